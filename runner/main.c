/*
 * lockstep: run concurrency scenarios as real processes under a
 * deterministic scheduler. The command line; the only file that prints to
 * the terminal or exits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/install.h"
#include "lockstep/lockstep.h"

static const char usage_main[] =
        "usage: lockstep COMMAND [ARGS]\n"
        "\n"
        "Run concurrency scenarios as real processes under a deterministic\n"
        "scheduler and show what happened before what.\n"
        "\n"
        "commands:\n"
        "  run SCENARIO.xml [options]   run a scenario once, print the\n"
        "                               interleaving and the verdict\n"
        "  run [options] -- PROGRAM     run an unmodified program the same\n"
        "                               way, its forks and execs followed\n"
        "  replay SCHEDULE [options]    run exactly the interleaving a\n"
        "                               schedule file records\n"
        "  explore SCENARIO.xml [opts]  many runs: every outcome, deadlock\n"
        "                               and failure, counted\n"
        "  render TRACE -o OUT.svg      draw a trace: svg, png, pdf, dot\n"
        "  export TRACE --perfetto F    for ui.perfetto.dev; --shiviz F\n"
        "  merge SUMMARY.json...        join explore --json --shard results\n"
        "  check SCENARIO.xml...        validate scenarios, run nothing\n"
        "  help [COMMAND]               show help for a command\n"
        "\n"
        "options:\n"
        "  -h, --help                   this help\n"
        "  -V, --version                print the version\n"
        "\n"
        "exit status: 0 every expectation holds; 1 an expectation failed;\n"
        "2 bad usage or bad input; 3 deadlock; 4 a process crashed, timed\n"
        "out or hit a limit; 70 internal error or a result that could not\n"
        "be written; 72 the installation is incomplete (the agent or the\n"
        "interposer is missing); 128+N stopped by signal N (the table:\n"
        "README.md, \"Exit status\").\n"
        "\n"
        "environment:\n"
        "  NO_COLOR                     no colour with --color auto\n"
        "  TMPDIR                       where runs make their work directory\n"
        "  LOCKSTEP_SPIN_US             how long a waiting process spins for\n"
        "                               its turn before it sleeps (default\n"
        "                               20; 0 never spins)\n"
        "\n"
        "manual: lockstep(1); lockstep-run(1) for run and replay,\n"
        "lockstep-explore(1), lockstep-render(1), lockstep-export(1),\n"
        "lockstep-merge(1), lockstep-check(1); the scenario language in\n"
        "lockstep-scenario(5), schedule files in lockstep-schedule(5).\n";

/* Where the documentation is: installed, or the source tree's. */
static const char *
docs_where(void)
{
	const char *docs = lk_installed_docs();

	return docs != NULL ? docs : "README.md and docs/";
}

/* The main help to f. */
static void
usage(FILE *f)
{
	fputs(usage_main, f);
	fprintf(f, "See %s for the scenario language and the trace.\n",
	        docs_where());
}

/*
 * Graphviz, fontconfig and pango keep caches until exit, by design; in
 * sanitizer builds (LK_SANITIZE) LeakSanitizer reads this list and does
 * not count them as lockstep's leaks. Unused in other builds.
 */
const char *__lsan_default_suppressions(void);

__attribute__((visibility("default"), used)) const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig\nleak:libgvc\nleak:libpango\n"
	       "leak:libcairo\nleak:libglib\nleak:libgobject\n"
	       "leak:libharfbuzz\nleak:libfreetype\nleak:libcgraph\n";
}

/*
 * Flush and close stdout: a result that did not reach it (a full disk,
 * /dev/full, a closed pipe) is an error, exit 70 naming it, never the
 * run's own status. Returns status or 70.
 */
static int
close_stdout(int status)
{
	int bad = ferror(stdout), e = 0;

	errno = 0;
	if (fflush(stdout) != 0) {
		bad = 1;
		e = errno;
	}
	if (fclose(stdout) != 0 && e == 0) {
		bad = 1;
		e = errno;
	}
	if (!bad)
		return status;
	return lk_cli_fail(LK_EXIT_INTERNAL, "stdout: %s",
	                   strerror(e ? e : EIO));
}

/* Run the command argv names; its exit status. */
static int
dispatch(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(stderr);
		return LK_EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("lockstep %s\n", LK_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		const char *what = argc > 2 ? argv[2] : "";

		char *help[] = {(char *)what, "--help", NULL};

		if (strcmp(what, "run") == 0)
			return lk_cmd_run(2, help);
		if (strcmp(what, "replay") == 0)
			return lk_cmd_replay(2, help);
		if (strcmp(what, "render") == 0)
			return lk_cmd_render(2, help);
		if (strcmp(what, "export") == 0)
			return lk_cmd_export(2, help);
		if (strcmp(what, "merge") == 0)
			return lk_cmd_merge(2, help);
		if (strcmp(what, "explore") == 0)
			return lk_cmd_explore(2, help);
		if (strcmp(what, "check") == 0)
			return lk_cmd_check(2, help);
		if (*what != '\0')
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "help: '%s' is not a command; see "
			                   "'lockstep --help'",
			                   what);
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return lk_cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return lk_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return lk_cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "render") == 0)
		return lk_cmd_render(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return lk_cmd_export(argc - 1, argv + 1);
	if (strcmp(cmd, "explore") == 0)
		return lk_cmd_explore(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return lk_cmd_replay(argc - 1, argv + 1);
	return lk_cli_fail(LK_EXIT_USAGE,
	                   "'%s' is not a command; see 'lockstep --help'", cmd);
}

int
main(int argc, char **argv)
{
	return close_stdout(dispatch(argc, argv));
}
