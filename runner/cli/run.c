/* `lockstep run` and `lockstep replay`: one run of a scenario, free or
 * following a schedule, with its interleaving, output and verdicts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "verdict.h"
#include "common/sha256.h"
#include "controller/controller.h"
#include "schedule/schedule.h"
#include "strategy/strategy.h"
#include "trace/analysis.h"

static const char intro_run[] =
        "usage: lockstep run SCENARIO.xml [options]\n"
        "       lockstep run [options] -- PROGRAM [ARG...]\n"
        "\n"
        "Run every declared process of the scenario as a real process, one at\n"
        "a time: at each semaphore call, write, sleep, fork or exit the\n"
        "strategy picks who goes next. Prints the interleaving (a column per\n"
        "process), the output, the data races (unordered accesses to the\n"
        "same cell or file bytes, one a write), the verdict of each\n"
        "<expect>, and explains a deadlock as a wait-for cycle.\n"
        "\n"
        "With -- PROGRAM, run an unmodified program instead, as process\n"
        "\"main\" (its children: main.1, main.2, main.1.1, ...): its "
        "semaphore\n"
        "calls, writes, sleeps, forks, execs, waits and exits are scheduled\n"
        "the same way, and so are its pipes, FIFOs, UNIX stream sockets,\n"
        "record locks, shared memory and signals, and the calls glibc\n"
        "makes by itself (stdio flushing into a pipe, posix_spawn, system,\n"
        "popen). It runs in the current directory with the current\n"
        "environment, as under strace -f; its standard input is /dev/null;\n"
        "its standard output and error are captured and shown after the\n"
        "run (with -q: passed through as the program writes them,\n"
        "lockstep's line on stderr after the run; a reader that goes away,\n"
        "as head -1 does, only ends the passing through: the run goes on as\n"
        "recorded). A process that exits with a status is done with it:\n"
        "main exiting non-zero fails the run (exit 1, as a failed\n"
        "expectation; see --expect-exit), a child's status is part of the\n"
        "outcome only. A crash is a death by a signal (SIGSEGV, SIGABRT,\n"
        "...).\n";

static const char outro_run[] =
        "exit status: 0 every expectation holds; 1 an expectation failed\n"
        "(for a program: main exited non-zero, or not as --expect-exit\n"
        "says); 2 bad usage or bad input; 3 deadlock; 4 a process was\n"
        "killed by a signal, timed out or hit a limit; 70 internal error;\n"
        "128+N lockstep stopped by signal N.\n";

static const char intro_replay[] =
        "usage: lockstep replay SCHEDULE [options]\n"
        "\n"
        "Run the scenario a schedule file names, following the schedule step\n"
        "by step. Each line names the process that takes the step and the\n"
        "operation and object it must be about to perform; if it is not\n"
        "(the process is blocked, or about to do something else), replay\n"
        "stops at that line and says why (exit 2). The scenario the file\n"
        "names (its 'scenario:' path from the schedule's directory, else\n"
        "its 'scenario-absolute:' path) runs only when its SHA-256 is the\n"
        "schedule's, else nothing runs (exit 2); the commands of its\n"
        "<exec>s are shown on stderr first. When the schedule ends before\n"
        "the run, the default strategy goes on.\n"
        "\n"
        "A program's schedule replays with lockstep run --schedule FILE\n"
        "-- PROGRAM [ARG...] (and --stable-pids if it was made so): a\n"
        "schedule never names what runs.\n";

static const char outro_replay[] =
        "exit status: as lockstep run; 2 also for a bad schedule file or a\n"
        "divergence.\n";

struct opts {
	struct lk_run_opts run;
	const char *scenario;
	const char *trace;
	const char *schedule;
	const char *save_schedule;
	const char *diagram;
	int quiet, color, strategy, json;
	int no_isolation;
	const char *cmd;          /* "run" or "replay", for messages */
	const char *program_only; /* such an option given, or NULL */
	unsigned check;           /* replay --check N */
	int expect_exit;          /* --expect-exit, -1 any */
	/* replay: the scenario, loaded once and its hash checked */
	struct lk_scenario *loaded;
	int verified; /* its sha256 is the schedule's */
};

/* Parse the options of run or replay (cmd) from the table (options.c);
 * -1 means "exit 0" (help printed), else 0 or an exit status. */
static int
parse(int argc, char **argv, unsigned cmd, const char *intro, const char *outro,
      struct opts *o)
{
	struct lk_cli_args a;
	char err[1024];
	int rc;

	memset(o, 0, sizeof(*o));
	lk_cli_args_init(&a);
	rc = lk_cli_parse(cmd, argc, argv, &a, err, sizeof(err));
	if (rc == LK_CLI_HELP) {
		lk_cli_print_help(stdout, cmd, intro, outro);
		return -1;
	}
	if (rc != 0)
		return lk_cli_fail(rc, "%s", err);
	/* --seed means the random strategy, unless --strategy says. */
	o->strategy = a.strategy != NULL ? lk_strategy_lookup(a.strategy)
	              : lk_cli_given(&a, "seed") ? LK_STRAT_RANDOM
	                                         : -1;
	o->run.strategy =
	        o->strategy < 0 ? LK_STRAT_DEFAULT : (unsigned)o->strategy;
	o->run.seed = a.seed;
	o->run.workdir = a.workdir;
	lk_cli_run_opts(&a, &o->run);
	o->run.timeout_ms = a.timeout_ms;
	o->run.strict = a.strict;
	o->run.isolate = a.sandbox;
	o->scenario = a.scenario;
	o->trace = a.trace;
	o->schedule = a.schedule;
	o->save_schedule = a.save_schedule;
	o->diagram = a.diagram;
	o->quiet = a.quiet;
	o->json = a.json;
	o->no_isolation = a.no_isolation;
	o->check = a.check;
	o->expect_exit = a.expect_exit;
	if (o->json && o->trace != NULL && strcmp(o->trace, "-") == 0)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "--json and --trace - both write to stdout; "
		                   "write the trace to a file");
	if (o->json && o->check)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "replay: --json describes one run, --check "
		                   "compares several; give one of them");
	o->color = lk_cli_use_color(a.color, STDOUT_FILENO);
	o->cmd = lk_cli_cmd_name(cmd);
	o->program_only = lk_cli_program_option(&a);
	/* Every output checked before anything runs. */
	if (o->diagram != NULL &&
	    (rc = lk_cli_check_output(o->cmd, "--diagram", o->diagram,
	                              LK_OUT_DIAGRAM)) != 0)
		return rc;
	if (o->save_schedule != NULL &&
	    (rc = lk_cli_check_output(o->cmd, "--save-schedule",
	                              o->save_schedule, LK_OUT_FILE)) != 0)
		return rc;
	if (o->trace != NULL && strcmp(o->trace, "-") != 0 &&
	    (rc = lk_cli_check_output(o->cmd, "--trace", o->trace,
	                              LK_OUT_FILE)) != 0)
		return rc;
	return 0;
}

/* Describe what process p was doing when the run stopped. */
static void
describe_state(const struct lk_trace *t, int p, char *buf, size_t size)
{
	const struct lk_tproc *pr = &t->procs[p];
	const char *obj = lk_trace_obj_name(t, pr->pending_obj);

	if (pr->exited)
		snprintf(buf, size, "%s has exited", pr->name);
	else if (pr->blocked_on >= 0)
		snprintf(buf, size, "%s is blocked on %s", pr->name,
		         lk_trace_obj_name(t, pr->blocked_on));
	else if (pr->wake_at != LK_NO_TIME && pr->wake_at > t->vt)
		snprintf(buf, size, "%s is asleep until %g s", pr->name,
		         (double)pr->wake_at / 1e9);
	else
		snprintf(buf, size, "%s is about to %s%s%s%s", pr->name,
		         lk_op_name((unsigned)pr->pending_op), obj ? "(" : "",
		         obj ? obj : "", obj ? ")" : "");
}

/* Report a divergence from the schedule in the house style. */
static int
diverged(const struct lk_trace *t, const struct lk_schedule *s)
{
	const struct lk_decision *d;
	char want[160], state[160];
	int p = -1;

	if (s == NULL) /* a run diverges only from a schedule */
		return lk_cli_fail(LK_EXIT_INTERNAL,
		                   "a run diverged without a schedule");
	if (t->div_why == LK_DIV_ENDED)
		return lk_cli_fail(
		        LK_EXIT_USAGE,
		        "%s:%u: the schedule ends at step %u but the "
		        "run goes on (--strict)",
		        s->path, s->n ? s->lines[s->n - 1] : 1, t->div_step);
	d = &s->steps[t->div_step];
	snprintf(want, sizeof(want), "%s%s%s%s%s%s", d->proc, d->op ? " " : "",
	         d->op ? lk_op_name(d->op) : "", d->op ? "(" : "", d->obj,
	         d->op ? ")" : "");
	for (size_t i = 0; i < t->nprocs; i++)
		if (strcmp(t->procs[i].name, d->proc) == 0)
			p = (int)i;
	if (p < 0) {
		size_t len = 0;

		len += (size_t)snprintf(state, sizeof(state),
		                        "there is no process %s (there are",
		                        d->proc);
		for (size_t i = 0; i < t->nprocs && len < sizeof(state); i++)
			len += (size_t)snprintf(state + len,
			                        sizeof(state) - len, " %s",
			                        t->procs[i].name);
		if (len < sizeof(state))
			snprintf(state + len, sizeof(state) - len, ")");
	} else if (t->div_why == LK_DIV_OTHER_CHILD) {
		size_t len = (size_t)snprintf(
		        state, sizeof(state), "%s %s", d->proc,
		        t->div_choices ? "can only reap"
		                       : "has no exited child to reap");
		const char *sep = " ";

		for (size_t i = 0;
		     i < t->nprocs && i < 64 && len < sizeof(state); i++)
			if (t->div_choices & (1ull << i)) {
				len += (size_t)snprintf(
				        state + len, sizeof(state) - len,
				        "%s%s", sep, t->procs[i].name);
				sep = " or ";
			}
	} else if (t->div_why == LK_DIV_BYTES) {
		snprintf(state, sizeof(state),
		         "it can move %lld bytes at most, not %lld",
		         (long long)t->div_bytes, (long long)d->bytes);
	} else {
		describe_state(t, p, state, sizeof(state));
	}
	return lk_cli_fail(
	        LK_EXIT_USAGE, "%s:%u: step %u diverges: expected %s, but %s",
	        s->path, s->lines[t->div_step], t->div_step, want, state);
}

/* Load the schedule for o (replay: positional; run: --schedule). */
static int
load_schedule(const char *path, struct lk_schedule **s, struct opts *o)
{
	struct lk_err err;

	if (lk_schedule_read(path, s, &err) != 0)
		return lk_cli_fail(err.status, "%s", err.msg);
	o->run.forced = (*s)->steps;
	o->run.nforced = (*s)->n;
	/* Made with --perturb: its reads and writes are cut as then. */
	o->run.perturb |= (*s)->perturb;
	return 0;
}

/* Warn when the scenario changed since the schedule was saved. */
static void
check_hash(const struct lk_schedule *s, const char *scenario)
{
	char hex[65];

	if (s->sha256[0] == '\0' || lk_sha256_file(scenario, hex) != 0)
		return;
	if (strcmp(hex, s->sha256) != 0)
		lk_cli_fail(0,
		            "warning: %s changed since %s was saved (sha256 "
		            "differs); the steps may not fit",
		            scenario, s->path);
}

/* Write the run's interleaving as a schedule file. */
static int
save_schedule(const struct lk_trace *t, const struct opts *o)
{
	char hex[65];
	FILE *f = fopen(o->save_schedule, "w");
	char *ref, *abs;
	int rc;

	if (f == NULL)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "cannot write schedule %s: %s",
		                   o->save_schedule, strerror(errno));
	/* Named from the schedule's directory, as replay resolves it (a
	 * checkout moved with its schedules still works), and by its
	 * absolute path, tried second. */
	ref = lk_schedule_scenario_ref(o->scenario, o->save_schedule, 1);
	abs = realpath(o->scenario, NULL);
	rc = ref == NULL
	             ? -1
	             : lk_schedule_write(t, ref, abs, o->run.program,
	                                 lk_sha256_file(o->scenario, hex) == 0
	                                         ? hex
	                                         : NULL,
	                                 f);
	free(ref);
	free(abs);
	if (fclose(f) != 0 || rc != 0)
		return lk_cli_fail(LK_EXIT_INTERNAL,
		                   "cannot write schedule %s: %s",
		                   o->save_schedule, strerror(errno));
	return 0;
}

/* The trace as JSON Lines in memory (for --check); NULL on failure. */
static char *
trace_text(const struct lk_trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	if (lk_trace_write(t, f) != 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* Run the scenario once under o; the trace or NULL (message printed). */
static struct lk_trace *
run_once(const struct lk_scenario *sc, struct opts *o, int *status)
{
	struct lk_trace *t = NULL;
	struct lk_err err;

	if (lk_run_scenario(sc, &o->run, &t, &err) != 0) {
		*status = lk_cli_fail(err.status, "%s", err.msg);
		return NULL;
	}
	if (lk_trace_vclocks(t) != 0) {
		*status = lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		lk_trace_free(t);
		return NULL;
	}
	return t;
}

/* replay --check N: run N times, compare the traces to the first. */
static int
self_check(const struct lk_scenario *sc, struct opts *o,
           const struct lk_schedule *s)
{
	char *first = NULL;
	size_t first_len = 0;
	int status = 0;

	for (unsigned i = 0; i < o->check && status == 0; i++) {
		struct lk_trace *t = run_once(sc, o, &status);
		char *text;
		size_t len, line = 1, at = 0;

		if (t == NULL)
			break;
		if (s != NULL && o->strategy < 0) {
			t->strategy = s->strategy;
			t->seed = s->seed;
		}
		text = trace_text(t, &len);
		lk_trace_free(t);
		if (text == NULL) {
			status = lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
			break;
		}
		if (first == NULL) {
			first = text;
			first_len = len;
			continue;
		}
		while (at < len && at < first_len && text[at] == first[at])
			line += text[at++] == '\n';
		if (len != first_len || at != len) {
			status = lk_cli_fail(LK_EXIT_EXPECT,
			                     "replay --check: run %u differs "
			                     "from run 1 at trace line %zu "
			                     "(step %zu)",
			                     i + 1, line,
			                     line >= 2 ? line - 2 : 0);
		}
		free(text);
	}
	if (status == 0)
		printf("replay --check: %u %s, identical traces (%zu %s)\n",
		       o->check, lk_plural(o->check, "run", "runs"), first_len,
		       lk_plural(first_len, "byte", "bytes"));
	free(first);
	return status;
}

/* The body of run and replay once the options are known. */
static int
execute(struct opts *o, const struct lk_schedule *s)
{
	char agent[4096], interposer[4096];
	struct lk_scenario *sc = NULL;
	struct lk_trace *t = NULL;
	struct lk_cli_verdict *v = NULL;
	struct lk_cli_run_files files = {NULL, NULL, NULL}; /* written */
	struct lk_err err;
	int status = 0, json_fd = -1;
	char failed[512];

	if (o->loaded != NULL) {
		sc = o->loaded;
		o->loaded = NULL;
	} else if (o->run.program != NULL) {
		sc = lk_program_scenario(o->run.program, o->expect_exit);
		if (sc == NULL)
			return lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
	} else if (lk_scenario_load(o->scenario, &sc, &err) != 0) {
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	if (s != NULL && !o->verified)
		check_hash(s, o->scenario);
	if (lk_find_helpers(agent, sizeof(agent), interposer,
	                    sizeof(interposer), &err) != 0) {
		lk_scenario_free(sc);
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	o->run.agent = agent;
	o->run.interposer = interposer;
	if (o->run.stable_pids && o->run.program == NULL) {
		lk_scenario_free(sc);
		return lk_cli_fail(
		        LK_EXIT_USAGE,
		        "--stable-pids is for a program: lockstep run "
		        "[--schedule FILE] --stable-pids -- PROGRAM");
	}
	if (o->run.stable_pids && lk_pidns_check(&err) != 0) {
		lk_scenario_free(sc);
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	if (o->run.isolate && o->run.program == NULL) {
		lk_scenario_free(sc);
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "--sandbox is for a program (a scenario's "
		                   "files are in its own work directory): "
		                   "lockstep run --sandbox -- PROGRAM");
	}
	if (o->no_isolation)
		o->run.isolate = 0;
	o->run.netns = o->run.program != NULL && !o->no_isolation;
	lk_cli_isolation(&o->run);
	/* Refuse an unwritable output now, not after the run. */
	for (int i = 0; i < 2; i++) {
		const char *path = i ? o->save_schedule : o->trace;
		FILE *f;

		if (path == NULL || strcmp(path, "-") == 0)
			continue;
		f = fopen(path, "a");
		if (f == NULL) {
			lk_scenario_free(sc);
			return lk_cli_fail(LK_EXIT_USAGE, "cannot write %s: %s",
			                   path, strerror(errno));
		}
		fclose(f);
	}
	if ((status = lk_cli_check_fds(sc, 0)) != 0)
		goto out;
	lk_sweep_stale();
	lk_cli_catch_signals();
	if (o->check) {
		status = self_check(sc, o, s);
		goto out;
	}
	if (o->quiet && !o->json && o->run.program != NULL) {
		/* -q: the program's stdout and stderr reach ours as it
		 * writes them (with --trace -, its stdout goes to stderr). */
		fflush(NULL);
		o->run.live = 1;
		o->run.live_fd[0] =
		        o->trace != NULL && strcmp(o->trace, "-") == 0
		                ? STDERR_FILENO
		                : STDOUT_FILENO;
		o->run.live_fd[1] = STDERR_FILENO;
		/* Closed when we were started: the run's own files will
		 * take the number, and must not receive the output. */
		for (int k = 0; k < 2; k++)
			if (fcntl(o->run.live_fd[k], F_GETFD) < 0)
				o->run.live_fd[k] = -1;
	}
	t = run_once(sc, o, &status);
	/* A reader of our output gone (| head -1) must not kill lockstep
	 * before the report, the schedule and the trace are written; the
	 * run's processes, which must not inherit it, are gone. */
	signal(SIGPIPE, SIG_IGN);
	if (t == NULL)
		goto out;
	if (s != NULL && o->strategy < 0) {
		/* The trace says how its steps were chosen: by the strategy
		 * that made the schedule, so a replay's trace is the same. */
		t->strategy = s->strategy;
		t->seed = s->seed;
	}
	if (o->trace != NULL && strcmp(o->trace, "-") == 0) {
		/* --trace -: stdout carries the JSON Lines alone; the
		 * report (and a program's output with -q) goes to stderr. */
		fflush(stdout);
		json_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (json_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			status = lk_cli_fail(LK_EXIT_INTERNAL,
			                     "cannot write the trace: %s",
			                     strerror(errno));
			goto out;
		}
	}
	if (!o->quiet && !o->json) {
		printf("%s (%s), strategy %s", sc->name, sc->path,
		       lk_strategy_name(o->run.strategy));
		if (o->run.strategy == LK_STRAT_RANDOM)
			printf(", seed %llu", (unsigned long long)o->run.seed);
		if (s != NULL)
			printf(", schedule %s (%zu %s)", s->path, s->n,
			       lk_plural(s->n, "step", "steps"));
		printf("\n\n");
		lk_report_interleaving(t, stdout, o->color);
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		status = lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (o->json)
		status = lk_cli_judge(t, sc, o->quiet, 1, v);
	if (t->verdict == LK_V_DIVERGED)
		status = diverged(t, s);
	else if (!o->json)
		status = lk_cli_summarise(t, sc, o->quiet, o->color, v);
	/* The expectations that failed, in words: the diagram's outcome
	 * line, and the trace's header for a later render. */
	lk_cli_failed_text(sc, v, failed, sizeof(failed));
	if (failed[0] != '\0' && (t->failed = strdup(failed)) == NULL) {
		status = lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (o->diagram != NULL) {
		int ds = lk_cli_draw_trace(t, o->diagram, NULL);

		status = ds ? ds : status;
		if (ds == 0 && !o->quiet && !o->json)
			printf("diagram: %s\n", o->diagram);
		if (ds == 0)
			files.diagram = o->diagram;
	}
	if (o->save_schedule != NULL && t->verdict != LK_V_DIVERGED) {
		int ss = save_schedule(t, o);

		status = ss ? ss : status;
		if (ss == 0)
			files.schedule = o->save_schedule;
	}
	if (json_fd >= 0) {
		fflush(stdout);
		dup2(json_fd, STDOUT_FILENO);
	}
	if (o->trace != NULL) {
		int ts = lk_cli_save_trace(t, o->trace);

		status = ts ? ts : status;
		if (ts == 0)
			files.trace = o->trace;
	}
	if (o->json)
		lk_cli_run_json(t, sc, v, &files, status);
out:
	free(v);
	if (json_fd >= 0)
		close(json_fd);
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

/* `lockstep run SCENARIO [options]`, `lockstep run [options] -- PROG` */
int
lk_cmd_run(int argc, char **argv)
{
	struct lk_schedule *s = NULL;
	struct opts o;
	char *exe = NULL;
	int rc, dd = argc;

	/* Everything after "--" is the program and its arguments. */
	for (int i = 1; i < argc && dd == argc; i++)
		if (strcmp(argv[i], "--") == 0)
			dd = i;
	rc = parse(dd, argv, LK_CMD_RUN, intro_run, outro_run, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (dd < argc) {
		if (optind != dd || dd + 1 == argc)
			return lk_cli_fail(
			        LK_EXIT_USAGE,
			        "run: expected options, then -- and "
			        "a program; see 'lockstep run --help'");
		exe = lk_cli_find_program(argv[dd + 1]);
		if (exe == NULL)
			return lk_cli_fail(LK_EXIT_USAGE, "cannot run %s: %s",
			                   argv[dd + 1], strerror(errno));
		o.run.argv0 = argv[dd + 1];
		argv[dd + 1] = exe;
		o.run.program = &argv[dd + 1];
		o.scenario = exe;
		if (o.schedule != NULL &&
		    (rc = load_schedule(o.schedule, &s, &o)) != 0) {
			free(exe);
			return rc;
		}
		rc = execute(&o, s);
		lk_schedule_free(s);
		free(exe);
		return rc;
	}
	if (optind != argc - 1)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "run: expected one scenario file; see "
		                   "'lockstep run --help'");
	if (o.program_only != NULL)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "--%s is for a program, not a scenario: "
		                   "lockstep run [options] --%s -- PROGRAM",
		                   o.program_only, o.program_only);
	o.scenario = argv[optind];
	if (o.schedule != NULL && (rc = load_schedule(o.schedule, &s, &o)))
		return rc;
	rc = execute(&o, s);
	lk_schedule_free(s);
	return rc;
}

/*
 * Load the scenario at path that schedule s names, only if its bytes are
 * those the schedule recorded (sha256): a schedule never chooses what
 * runs. 0 with *out set, or an exit status (message printed).
 */
static int
load_named(const struct lk_schedule *s, const char *path,
           struct lk_scenario **out)
{
	struct lk_err err;
	char hex[65];

	if (s->sha256[0] == '\0')
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "%s: names the scenario %s but has no "
		                   "'sha256:' line, so nothing says it is the "
		                   "one recorded; choose it knowingly with "
		                   "--scenario %s",
		                   s->path, path, path);
	if (lk_scenario_load_hashed(path, out, hex, &err) != 0)
		return lk_cli_fail(err.status, "%s (the scenario %s names)",
		                   err.msg, s->path);
	if (strcmp(hex, s->sha256) == 0)
		return 0;
	lk_scenario_free(*out);
	*out = NULL;
	return lk_cli_fail(LK_EXIT_USAGE,
	                   "%s: the scenario %s has sha256 %s, but the "
	                   "schedule recorded %s: it is not the scenario the "
	                   "schedule was made from, and replay does not run "
	                   "it; choose it knowingly with --scenario %s",
	                   s->path, path, hex, s->sha256, path);
}

/* Say on stderr which commands the scenario's <exec>s will run. */
static void
announce_actions(const struct lk_scenario *sc, const char *proc,
                 const struct lk_sc_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == LK_ACT_EXEC)
			lk_cli_fail(
			        0, "%s:%d: process %s will run the command: %s",
			        sc->path, a[i].line, proc, a[i].text);
		if (a[i].body != NULL)
			announce_actions(sc, proc, a[i].body, a[i].nbody);
	}
}

/* Say on stderr which commands sc will run, if any (<exec>). */
static void
announce_execs(const struct lk_scenario *sc)
{
	for (size_t i = 0; sc != NULL && i < sc->nprocs; i++)
		announce_actions(sc, sc->procs[i].name, sc->procs[i].actions,
		                 sc->procs[i].nactions);
}

/* `lockstep replay SCHEDULE [options]` */
int
lk_cmd_replay(int argc, char **argv)
{
	struct lk_schedule *s = NULL;
	struct lk_err err;
	struct opts o;
	char *path = NULL;
	int rc = parse(argc, argv, LK_CMD_REPLAY, intro_replay, outro_replay,
	               &o);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (optind != argc - 1)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "replay: expected one schedule file; see "
		                   "'lockstep replay --help'");
	if ((rc = load_schedule(argv[optind], &s, &o)) != 0)
		return rc;
	if (o.scenario == NULL && s->program != NULL) {
		/* A schedule is data, not a command: the user names the
		 * program to run, never the file. */
		lk_cli_fail(
		        LK_EXIT_USAGE,
		        "%s is a schedule of the program %s; lockstep does "
		        "not run a program a file names. Run it yourself "
		        "with: lockstep run --schedule %s -- PROGRAM ARG...",
		        argv[optind], s->program[0], argv[optind]);
		lk_schedule_free(s);
		return LK_EXIT_USAGE;
	}
	if (o.scenario == NULL && s->scenario == NULL) {
		lk_schedule_free(s);
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "%s: names no scenario (no 'scenario:' "
		                   "line); give one with --scenario",
		                   argv[optind]);
	}
	if (o.scenario == NULL) {
		char why[8192] = "";
		char *found = lk_schedule_scenario_find(s, why, sizeof(why));

		if (found == NULL) {
			lk_schedule_free(s);
			if (why[0] == '\0')
				return lk_cli_fail(LK_EXIT_INTERNAL,
				                   "out of memory");
			return lk_cli_fail(LK_EXIT_USAGE, "%s: %s",
			                   argv[optind], why);
		}
		/* Shown from here when it lies below the working directory,
		 * so the trace's header says what the first run's said. */
		path = lk_schedule_scenario_ref(found, "./", 0);
		free(found);
		if (path == NULL) {
			lk_schedule_free(s);
			return lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		}
		rc = load_named(s, path, &o.loaded);
		o.scenario = path;
		o.verified = 1;
	} else {
		rc = lk_scenario_load(o.scenario, &o.loaded, &err);
		if (rc != 0)
			rc = lk_cli_fail(err.status, "%s", err.msg);
	}
	if (rc == 0) {
		announce_execs(o.loaded);
		rc = execute(&o, s);
	}
	lk_scenario_free(o.loaded);
	lk_schedule_free(s);
	free(path);
	return rc;
}
