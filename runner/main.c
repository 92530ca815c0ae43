/*
 * lockstep: run concurrency scenarios as real processes under a
 * deterministic scheduler. The command line; the only file that prints to
 * the terminal or exits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"
#include "lockstep/lockstep.h"
#include "strategy/strategy.h"
#include "trace/analysis.h"
#include "trace/trace.h"

static const char usage_main[] =
        "usage: lockstep COMMAND [ARGS]\n"
        "\n"
        "Run concurrency scenarios as real processes under a deterministic\n"
        "scheduler and show what happened before what.\n"
        "\n"
        "commands:\n"
        "  run SCENARIO.xml [options]   run a scenario once, print the\n"
        "                               interleaving and the verdict\n"
        "  check SCENARIO.xml...        validate scenarios, run nothing\n"
        "  help [COMMAND]               show help for a command\n"
        "\n"
        "options:\n"
        "  -h, --help                   this help\n"
        "  -V, --version                print the version\n"
        "\n"
        "exit status: 0 every expectation holds; 1 an expectation failed;\n"
        "2 bad usage or bad input; 3 deadlock; 4 a process crashed, timed\n"
        "out or hit a limit; 70 internal error; 128+N stopped by signal N.\n"
        "\n"
        "See README.md and docs/ for the scenario language and the trace.\n";

static const char usage_run[] =
        "usage: lockstep run SCENARIO.xml [options]\n"
        "\n"
        "Run every declared process of the scenario as a real process, one at\n"
        "a time: at each semaphore call, write, sleep, fork or exit the\n"
        "strategy picks who goes next. Prints the interleaving (a column per\n"
        "process), the output, the verdict of each <expect>, and explains a\n"
        "deadlock as a wait-for cycle.\n"
        "\n"
        "options:\n"
        "  --strategy NAME      default (keep running the current process,\n"
        "                       else the first enabled) or random\n"
        "  --seed N             seed of the random strategy (implies\n"
        "                       --strategy random); same seed, same trace\n"
        "  --trace FILE         write the trace as JSON Lines (- for stdout)\n"
        "  --workdir DIR        create the scenario's files in DIR and keep\n"
        "                       them (default: a temporary directory, "
        "removed)\n"
        "  --max-steps N        stop after N steps (default 200000), exit 4\n"
        "  --step-timeout SECS  a process that runs SECS without reaching a\n"
        "                       scheduling point is reported, exit 4\n"
        "                       (default 10)\n"
        "  --timeout SECS       wall-clock limit of the whole run, exit 4\n"
        "  -q, --quiet          print only the verdict line and errors\n"
        "  --color WHEN         auto (default), always or never\n"
        "  -h, --help           this help\n"
        "\n"
        "exit status: 0 every expectation holds; 1 an expectation failed;\n"
        "2 bad usage or bad input; 3 deadlock; 4 a process crashed, timed\n"
        "out or hit a limit; 70 internal error; 128+N stopped by signal N.\n";

static const char usage_check[] =
        "usage: lockstep check SCENARIO.xml...\n"
        "\n"
        "Parse each scenario, validate it against the schema and check its\n"
        "names; print one line per file. Nothing is run.\n"
        "\n"
        "exit status: 0 all valid; 2 at least one is not.\n";

/* Print an error in the house style and return status. */
static int fail(int status, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("lockstep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Parse a non-negative number of seconds (may be fractional) into ms. */
static int
parse_seconds(const char *s, unsigned *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return -1;
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

/* Parse an unsigned 64-bit integer. */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return -1;
	*out = strtoull(s, &end, 0);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* `lockstep check FILE...` */
static int
cmd_check(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return fail(LK_EXIT_USAGE, "check: no scenario given; see "
		                           "'lockstep check --help'");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_check, stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		struct lk_scenario *sc;
		struct lk_err err;

		if (lk_scenario_load(argv[i], &sc, &err) != 0) {
			fail(err.status, "%s", err.msg);
			status = status ? status : err.status;
			continue;
		}
		printf("%s: ok (%zu processes, %zu objects, %zu "
		       "expectations)\n",
		       argv[i], sc->nprocs, sc->nobjects, sc->nexpects);
		lk_scenario_free(sc);
	}
	return status;
}

static void
on_signal(int sig)
{
	lk_run_interrupt(sig);
}

/* Catch SIGINT, SIGTERM and SIGHUP so a run cleans up before we go. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Write the trace to path ("-" is stdout). */
static int
save_trace(const struct lk_trace *t, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int rc;

	if (f == NULL)
		return fail(LK_EXIT_USAGE, "cannot write trace %s: %s", path,
		            strerror(errno));
	rc = lk_trace_write(t, f);
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		return fail(LK_EXIT_INTERNAL, "cannot write trace %s: %s", path,
		            strerror(errno));
	return 0;
}

/* Print the outcome, the output and the expectations; the exit status. */
static int
summarise(const struct lk_trace *t, const struct lk_scenario *sc, int quiet,
          int color)
{
	struct lk_verdict_line lines[64];
	char why[4096];
	size_t nx = sc->nexpects < 64 ? sc->nexpects : 64, failed;
	int status;
	struct lk_scenario view = *sc;
	const char *bad = color ? "\033[31mFAIL\033[0m" : "FAIL";
	const char *ok = color ? "\033[32mok\033[0m  " : "ok  ";

	view.nexpects = nx;
	failed = lk_expect_eval(t, &view, lines);
	if (t->verdict == LK_V_DEADLOCK) {
		lk_explain_deadlock(t, sc, why, sizeof(why));
		fprintf(quiet ? stderr : stdout,
		        "deadlock: no process can go on\n%s", why);
		status = LK_EXIT_DEADLOCK;
	} else if (t->verdict == LK_V_DONE) {
		status = failed ? LK_EXIT_EXPECT : LK_EXIT_OK;
	} else {
		status = LK_EXIT_CRASH;
	}
	if (t->verdict == LK_V_CRASH && t->culprit >= 0) {
		const struct lk_tproc *p = &t->procs[t->culprit];
		long last = -1;
		char label[128] = "none";

		for (size_t i = 0; i < t->nevents; i++)
			if (t->ev[i].proc == t->culprit)
				last = (long)i;
		if (last >= 0)
			lk_event_label(t, &t->ev[last], label, sizeof(label));
		if (t->signal)
			fail(0,
			     "%s was killed by signal %d (%s); its last "
			     "event: %s",
			     p->name, t->signal, strsignal(t->signal), label);
		else if (p->exited)
			fail(0, "%s exited with status %d; its last event: %s",
			     p->name, p->status, label);
		else
			fail(0,
			     "%s died without reaching exit; its last "
			     "event: %s",
			     p->name, label);
	} else if (t->verdict == LK_V_TIMEOUT) {
		fail(0,
		     "%s did not reach a scheduling point in time (a loop "
		     "without IPC, or a call lockstep does not control)",
		     t->culprit >= 0 ? t->procs[t->culprit].name : "a process");
	} else if (t->verdict == LK_V_LIMIT) {
		fail(0, "stopped after %zu steps (--max-steps)", t->nevents);
	}
	if (quiet) {
		printf("%s: %s, %zu steps, %zu of %zu expectations failed\n",
		       t->scenario, lk_verdict_name(t->verdict), t->nevents,
		       failed, nx);
		return status;
	}
	printf("\noutcome: %s after %zu steps, virtual time %.3f s, "
	       "%zu processes\n",
	       lk_verdict_name(t->verdict), t->nevents, (double)t->vt / 1e9,
	       t->nprocs);
	if (t->output_len > 0) {
		printf("output:\n");
		for (const char *s = t->output; *s;) {
			const char *nl = strchr(s, '\n');
			int len = nl ? (int)(nl - s) : (int)strlen(s);

			printf("  | %.*s\n", len, s);
			s += len + (nl != NULL);
		}
	}
	if (nx > 0)
		printf("expect:\n");
	for (size_t i = 0; i < nx; i++)
		printf("  %s %s  (line %d)\n", lines[i].passed ? ok : bad,
		       lines[i].text, sc->expects[i].line);
	return status;
}

/* `lockstep run SCENARIO [options]` */
static int
cmd_run(int argc, char **argv)
{
	enum {
		O_STRATEGY = 256,
		O_SEED,
		O_TRACE,
		O_WORKDIR,
		O_MAX_STEPS,
		O_STEP_TIMEOUT,
		O_TIMEOUT,
		O_COLOR
	};
	static const struct option longopts[] = {
	        {"strategy", required_argument, NULL, O_STRATEGY},
	        {"seed", required_argument, NULL, O_SEED},
	        {"trace", required_argument, NULL, O_TRACE},
	        {"workdir", required_argument, NULL, O_WORKDIR},
	        {"max-steps", required_argument, NULL, O_MAX_STEPS},
	        {"step-timeout", required_argument, NULL, O_STEP_TIMEOUT},
	        {"timeout", required_argument, NULL, O_TIMEOUT},
	        {"color", required_argument, NULL, O_COLOR},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct lk_run_opts o = {0};
	const char *trace_path = NULL, *color_s = "auto";
	char agent[4096], interposer[4096];
	struct lk_scenario *sc = NULL;
	struct lk_trace *t = NULL;
	struct lk_err err;
	int c, quiet = 0, color, status, strategy = -1;
	uint64_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case O_STRATEGY:
			strategy = lk_strategy_lookup(optarg);
			if (strategy < 0)
				return fail(LK_EXIT_USAGE,
				            "run: unknown strategy '%s', "
				            "expected default or random",
				            optarg);
			break;
		case O_SEED:
			if (parse_u64(optarg, &o.seed) != 0)
				return fail(LK_EXIT_USAGE,
				            "run: --seed '%s': expected a "
				            "non-negative integer",
				            optarg);
			if (strategy < 0)
				strategy = LK_STRAT_RANDOM;
			break;
		case O_TRACE:
			trace_path = optarg;
			break;
		case O_WORKDIR:
			o.workdir = optarg;
			break;
		case O_MAX_STEPS:
			if (parse_u64(optarg, &v) != 0 || v == 0 ||
			    v > 100000000)
				return fail(LK_EXIT_USAGE,
				            "run: --max-steps '%s': expected "
				            "1..100000000",
				            optarg);
			o.max_steps = (uint32_t)v;
			break;
		case O_STEP_TIMEOUT:
		case O_TIMEOUT:
			if (parse_seconds(optarg,
			                  c == O_TIMEOUT
			                          ? &o.timeout_ms
			                          : &o.step_timeout_ms) != 0 ||
			    (c == O_STEP_TIMEOUT && o.step_timeout_ms == 0))
				return fail(LK_EXIT_USAGE,
				            "run: %s '%s': expected seconds, "
				            "such as 2 or 0.5",
				            c == O_TIMEOUT ? "--timeout"
				                           : "--step-timeout",
				            optarg);
			break;
		case O_COLOR:
			if (strcmp(optarg, "auto") &&
			    strcmp(optarg, "always") && strcmp(optarg, "never"))
				return fail(LK_EXIT_USAGE,
				            "run: --color '%s': expected auto, "
				            "always or never",
				            optarg);
			color_s = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage_run, stdout);
			return 0;
		default:
			return fail(LK_EXIT_USAGE,
			            "run: see 'lockstep run --help'");
		}
	}
	if (optind != argc - 1)
		return fail(LK_EXIT_USAGE,
		            "run: expected one scenario file; see 'lockstep "
		            "run --help'");
	o.strategy = strategy < 0 ? LK_STRAT_DEFAULT : (unsigned)strategy;
	color = strcmp(color_s, "always") == 0 ||
	        (strcmp(color_s, "auto") == 0 && isatty(STDOUT_FILENO) &&
	         getenv("NO_COLOR") == NULL);
	if (lk_scenario_load(argv[optind], &sc, &err) != 0)
		return fail(err.status, "%s", err.msg);
	if (lk_find_helpers(agent, sizeof(agent), interposer,
	                    sizeof(interposer), &err) != 0) {
		lk_scenario_free(sc);
		return fail(err.status, "%s", err.msg);
	}
	o.agent = agent;
	o.interposer = interposer;
	lk_sweep_stale();
	catch_signals();
	if (lk_run_scenario(sc, &o, &t, &err) != 0) {
		lk_scenario_free(sc);
		return fail(err.status, "%s", err.msg);
	}
	if (lk_trace_vclocks(t) != 0) {
		status = fail(LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (!quiet) {
		printf("%s (%s), strategy %s", sc->name, sc->path,
		       lk_strategy_name(o.strategy));
		if (o.strategy == LK_STRAT_RANDOM)
			printf(", seed %llu", (unsigned long long)o.seed);
		printf("\n\n");
		lk_report_interleaving(t, stdout, color);
	}
	status = summarise(t, sc, quiet, color);
	if (trace_path != NULL) {
		int ts = save_trace(t, trace_path);

		if (ts != 0)
			status = ts;
	}
out:
	lk_trace_free(t);
	lk_scenario_free(sc);
	if (lk_run_interrupted()) {
		fflush(stdout);
		signal(lk_run_interrupted(), SIG_DFL);
		raise(lk_run_interrupted());
		return 128 + lk_run_interrupted();
	}
	return status;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd == NULL) {
		fputs(usage_main, stderr);
		return LK_EXIT_USAGE;
	}
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("lockstep %s\n", LK_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0) {
		const char *what = argc > 2 ? argv[2] : "";

		fputs(strcmp(what, "run") == 0     ? usage_run
		      : strcmp(what, "check") == 0 ? usage_check
		                                   : usage_main,
		      stdout);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	return fail(LK_EXIT_USAGE,
	            "'%s' is not a command; see 'lockstep --help'", cmd);
}
