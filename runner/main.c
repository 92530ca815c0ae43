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
        "  NO_COLOR                     set and not empty: no colour with\n"
        "                               --color auto (no-color.org)\n"
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

/* Those suppressed caches are not news: no "Suppressions used" table at
 * exit, so a sanitizer build prints what the release build prints. */
const char *__lsan_default_options(void);

__attribute__((visibility("default"), used)) const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
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

static const char usage_help[] =
        "usage: lockstep help [COMMAND]\n"
        "\n"
        "Show the help of COMMAND (the same as lockstep COMMAND --help),\n"
        "or without one, lockstep's own.\n"
        "\n"
        "exit status: 0 shown; 2 not a command, or more than one.\n";

/* The commands, as the did-you-mean hint takes them. */
static const char command_words[] =
        "run replay explore render export merge check help";

/* The function of command name, or NULL. */
static int (*command(const char *name))(int, char **)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} table[] = {
	        {"run", lk_cmd_run},         {"replay", lk_cmd_replay},
	        {"explore", lk_cmd_explore}, {"render", lk_cmd_render},
	        {"export", lk_cmd_export},   {"merge", lk_cmd_merge},
	        {"check", lk_cmd_check},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].fn;
	return NULL;
}

/* "'rnu' is not a command; did you mean 'run'?" (prefix: "help: " or
 * ""), GNU's second line after it: exit status 2. */
static int
not_a_command(const char *prefix, const char *what)
{
	char near[16];

	return lk_cli_usage(
	        NULL, lk_cli_suggest(what, command_words, near, sizeof(near)),
	        "%s'%s' is not a command", prefix, what);
}

/* An option before any command: GNU's message, with the nearest of
 * --help and --version. */
static int
bad_option(const char *opt)
{
	char near[16] = "--";

	if (strncmp(opt, "--", 2) != 0)
		return lk_cli_usage(NULL, NULL, "invalid option -- '%.1s'",
		                    opt + 1);
	return lk_cli_usage(NULL,
	                    lk_cli_suggest(opt + 2, "help version", near + 2,
	                                   sizeof(near) - 2) != NULL
	                            ? near
	                            : NULL,
	                    "unrecognized option '%s'", opt);
}

/* `lockstep help [COMMAND]`: argv[0] is "help". */
static int
help(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : NULL;
	char *args[] = {(char *)what, "--help", NULL};
	int (*fn)(int, char **);

	if (argc > 2)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "help: one command at most, not '%s' too\n"
		                   "Try 'lockstep help --help' for more "
		                   "information.",
		                   argv[2]);
	if (what == NULL) {
		usage(stdout);
		return 0;
	}
	if (strcmp(what, "help") == 0 || strcmp(what, "-h") == 0 ||
	    strcmp(what, "--help") == 0) {
		fputs(usage_help, stdout);
		return 0;
	}
	if ((fn = command(what)) == NULL)
		return what[0] == '-' ? bad_option(what)
		                      : not_a_command("help: ", what);
	return fn(2, args);
}

/* Run the command argv names; its exit status. */
static int
dispatch(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int (*fn)(int, char **);

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
	if (strcmp(cmd, "help") == 0)
		return help(argc - 1, argv + 1);
	if ((fn = command(cmd)) != NULL)
		return fn(argc - 1, argv + 1);
	if (cmd[0] == '-' && cmd[1] != '\0')
		return bad_option(cmd);
	return not_a_command("", cmd);
}

int
main(int argc, char **argv)
{
	return close_stdout(dispatch(argc, argv));
}
