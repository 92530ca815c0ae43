/* `lockstep export`: a trace for other viewers, Perfetto's trace viewer
 * and ShiViz (viz/export.c, docs/exports.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "viz/export.h"
#include "viz/viz.h"

static const char usage_export[] =
        "usage: lockstep export TRACE.jsonl [--perfetto OUT.json] "
        "[--shiviz OUT.log]\n"
        "\n"
        "Write a trace for other viewers; give one output or both.\n"
        "\n"
        "options:\n"
        "  --perfetto OUT.json  Chrome trace-event JSON, for\n"
        "                       ui.perfetto.dev or chrome://tracing: a\n"
        "                       track per process, a slice per event, a\n"
        "                       \"blocked on X\" slice per wait that\n"
        "                       blocked, an arrow per happens-before edge\n"
        "  --shiviz OUT.log     a ShiViz log: per event a line \"step N:\n"
        "                       label\", then \"PROCESS {vector clock}\";\n"
        "                       paste it into ShiViz with this parser:\n"
        "                       " LK_EXPORT_SHIVIZ_REGEX "\n"
        "  -h, --help           this help\n"
        "\n"
        "Perfetto's time axis is synthetic, since virtual time is often 0\n"
        "throughout: the event of step N at virtual time VT ns is at\n"
        "N * 10 us + VT / 1000 us, and its slice lasts 8 us. See\n"
        "docs/exports.md.\n"
        "\n"
        "exit status: 0 written; 2 a bad trace, a bad option or an output\n"
        "that cannot be written; 70 internal error.\n";

/* Write the exports asked for of the trace at path; 0 or exit status. */
static int
export_trace(const char *path, const char *perfetto, const char *shiviz)
{
	struct lk_viz_trace *t;
	struct lk_err err;
	int rc = 0;

	if (lk_viz_read(path, &t, &err) != 0)
		return lk_cli_fail(err.status, "%s", err.msg);
	if (perfetto != NULL && lk_export_perfetto(t, perfetto, &err) != 0)
		rc = lk_cli_fail(err.status, "%s", err.msg);
	if (rc == 0 && shiviz != NULL && lk_export_shiviz(t, shiviz, &err) != 0)
		rc = lk_cli_fail(err.status, "%s", err.msg);
	lk_viz_free(t);
	return rc;
}

/* `lockstep export TRACE [--perfetto OUT.json] [--shiviz OUT.log]` */
int
lk_cmd_export(int argc, char **argv)
{
	enum { O_PERFETTO = 256, O_SHIVIZ };
	static const struct option longopts[] = {
	        {"perfetto", required_argument, NULL, O_PERFETTO},
	        {"shiviz", required_argument, NULL, O_SHIVIZ},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *perfetto = NULL, *shiviz = NULL, *trace;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case O_PERFETTO:
			perfetto = optarg;
			break;
		case O_SHIVIZ:
			shiviz = optarg;
			break;
		case 'h':
			fputs(usage_export, stdout);
			return 0;
		default:
			return lk_cli_bad_option("export", c, argv, longopts);
		}
	}
	if (optind != argc - 1 || (perfetto == NULL && shiviz == NULL))
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "export: expected a trace and --perfetto "
		                   "OUT, --shiviz OUT or both; see 'lockstep "
		                   "export --help'");
	trace = argv[optind];
	if (perfetto != NULL && shiviz != NULL && !strcmp(perfetto, shiviz))
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "export: --perfetto and --shiviz both name "
		                   "%s",
		                   perfetto);
	if ((perfetto && !strcmp(perfetto, trace)) ||
	    (shiviz && !strcmp(shiviz, trace)))
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "export: %s is the trace; it would be "
		                   "overwritten",
		                   trace);
	if (perfetto != NULL &&
	    (c = lk_cli_check_output("export", "--perfetto", perfetto,
	                             LK_OUT_FILE)) != 0)
		return c;
	if (shiviz != NULL &&
	    (c = lk_cli_check_output("export", "--shiviz", shiviz,
	                             LK_OUT_FILE)) != 0)
		return c;
	return export_trace(trace, perfetto, shiviz);
}
