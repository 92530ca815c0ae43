/* `lockstep check`: validate scenarios, run nothing. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scenario/scenario.h"

static const char usage_check[] =
        "usage: lockstep check [--json] SCENARIO.xml...\n"
        "\n"
        "Parse each scenario, validate it against the schema and check its\n"
        "names; print one line per file. Nothing is run. A scenario without\n"
        "an <expect> is valid, with a warning: every run of it passes.\n"
        "\n"
        "options:\n"
        "  --json       one JSON object on stdout: valid, scenarios, errors\n"
        "               (file, line, message), warnings (docs/json.md)\n"
        "  -h, --help   this help\n"
        "\n"
        "exit status: 0 all valid; 2 at least one is not.\n";

/* A message of a scenario as JSON: {file, line, message}. msg is
 * "path:line: what" (line null when it names none). */
static json_t *
message_json(const char *path, const char *msg)
{
	size_t len = strlen(path);
	const char *rest = msg;
	json_t *line = json_null();

	if (strncmp(msg, path, len) == 0 && msg[len] == ':') {
		char *end;
		long n = strtol(msg + len + 1, &end, 10);

		rest = msg + len + 1;
		if (end != msg + len + 1 && *end == ':' && n > 0) {
			json_decref(line);
			line = json_integer(n);
			rest = end + 1;
		}
		rest += *rest == ' ';
	}
	return json_pack("{s:s, s:o, s:s}", "file", path, "line", line,
	                 "message", rest);
}

/* The warnings of a valid scenario, into buf ("" none). */
static void
warnings(const struct lk_scenario *sc, char *buf, size_t size)
{
	buf[0] = '\0';
	if (sc->nexpects == 0)
		snprintf(buf, size,
		         "%s: no <expect>: every run of it passes, whatever "
		         "it does",
		         sc->path);
}

/* Parse the options; -1 for help, else 0 or an exit status. */
static int
parse(int argc, char **argv, int *json)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_check, stdout);
			return -1;
		}
		if (c == 'j')
			*json = 1;
		else
			return lk_cli_bad_option("check", c, argv, opts);
	}
	return 0;
}

/* `lockstep check [--json] FILE...` */
int
lk_cmd_check(int argc, char **argv)
{
	json_t *all = NULL, *errors = NULL, *warns = NULL;
	int status = 0, json = 0, rc = parse(argc, argv, &json);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (optind >= argc)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "check: no scenario given; see "
		                   "'lockstep check --help'");
	if (json) {
		all = json_array();
		errors = json_array();
		warns = json_array();
	}
	for (int i = optind; i < argc; i++) {
		struct lk_scenario *sc;
		struct lk_err err;
		char warn[1200];

		if (lk_scenario_load(argv[i], &sc, &err) != 0) {
			status = status ? status : err.status;
			if (!json) {
				lk_cli_fail(err.status, "%s", err.msg);
				continue;
			}
			json_array_append_new(errors,
			                      message_json(argv[i], err.msg));
			json_array_append_new(all,
			                      json_pack("{s:s, s:b}", "file",
			                                argv[i], "valid", 0));
			continue;
		}
		warnings(sc, warn, sizeof(warn));
		if (json) {
			json_array_append_new(
			        all,
			        json_pack("{s:s, s:b, s:s, s:I, s:I, s:I}",
			                  "file", argv[i], "valid", 1, "name",
			                  sc->name, "processes",
			                  (json_int_t)sc->nprocs, "objects",
			                  (json_int_t)sc->nobjects,
			                  "expectations",
			                  (json_int_t)sc->nexpects));
			if (warn[0] != '\0')
				json_array_append_new(
				        warns, message_json(argv[i], warn));
		} else {
			printf("%s: ok (%zu %s, %zu %s, %zu %s)\n", argv[i],
			       sc->nprocs,
			       lk_plural(sc->nprocs, "process", "processes"),
			       sc->nobjects,
			       lk_plural(sc->nobjects, "object", "objects"),
			       sc->nexpects,
			       lk_plural(sc->nexpects, "expectation",
			                 "expectations"));
			if (warn[0] != '\0')
				lk_cli_fail(0, "warning: %s", warn);
		}
		lk_scenario_free(sc);
	}
	if (json) {
		json_t *j = json_pack("{s:b, s:o, s:o, s:o}", "valid",
		                      status == 0, "scenarios", all, "errors",
		                      errors, "warnings", warns);

		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
	}
	return status;
}
