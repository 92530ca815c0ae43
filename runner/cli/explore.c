/* `lockstep explore`: many runs, every distinct outcome, deadlocks and
 * failures, and each expectation's verdict over all runs. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "controller/controller.h"
#include "explore/explore.h"
#include "schedule/schedule.h"
#include "trace/analysis.h"

static const char intro_explore[] =
        "usage: lockstep explore SCENARIO.xml [options]\n"
        "       lockstep explore [options] -- PROGRAM [ARG...]\n"
        "\n"
        "Run the scenario many times under different interleavings and\n"
        "report every distinct outcome (output, final files, exit statuses,\n"
        "deadlock) with how many runs reached it, each expectation's verdict\n"
        "over all runs (always, sometimes, never), deadlocks and failures,\n"
        "and the data races seen: accesses of two processes to the same cell\n"
        "or file bytes, one a write, not ordered by happens-before\n"
        "(information: races do not change the exit status).\n"
        "With -- PROGRAM, explore an unmodified program (process \"main\"\n"
        "and its children, as lockstep run -- PROGRAM); every run execs it.\n";

static const char outro_explore[] =
        "An outcome includes the final values of the scenario's cells.\n"
        "Ctrl-C (SIGINT, also SIGTERM, SIGHUP) stops the exploration: the\n"
        "run it cut short is neither an outcome nor a failure, the summary\n"
        "of the runs before it says \"interrupted, incomplete\", and a\n"
        "\"sometimes\" not seen yet is \"open\", not FAIL; then lockstep\n"
        "dies of the signal (exit status 130 in a shell for SIGINT).\n"
        "The progress line (on a terminal, or with --progress) shows the\n"
        "runs, the distinct outcomes, runs/s and the runs left (for dfs an\n"
        "estimate from the branching seen so far).\n"
        "\n"
        "exit status: 3 a deadlock was found; 4 a run crashed or timed out;\n"
        "1 an expectation failed over the runs; 0 otherwise; 2 bad usage.\n"
        "With --stop-at-first, the status of the run that stopped it.\n";

struct cli {
	struct lk_explore_opts o;
	int json, quiet, tty, no_isolation, color, progress;
	unsigned top;    /* outcomes printed, 0 all */
	double t0, last; /* progress line: start, last print */
	const char *save_schedule, *save_dir;
	int expect_exit;          /* --expect-exit, -1 any */
	const char *program_only; /* such an option given, or NULL */
	const char *junit;        /* --junit FILE, or NULL */
	char **program;           /* -- PROGRAM ARG...: as the user gave it */
};

static const char *const kinds[] = {"dfs", "random", "pct"};
static const char *const quants[] = {"always", "sometimes", "never"};

/* n with its thousands grouped, "1,527", into buf; buf. */
static const char *
grouped(char *buf, size_t size, unsigned long long n)
{
	char digits[32];
	size_t len = (size_t)snprintf(digits, sizeof(digits), "%llu", n), k = 0;

	for (size_t i = 0; i < len && k + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
	return buf;
}

/* A count with its noun: "1 run", "1,527 runs" (these can be large). */
static const char *
count(char *buf, size_t size, unsigned long long n, const char *one,
      const char *many)
{
	grouped(buf, size, n);
	snprintf(buf + strlen(buf), size - strlen(buf), " %s",
	         lk_plural(n, one, many));
	return buf;
}

/* The progress line on stderr, on a terminal or with --progress: the
 * runs, outcomes, runs/s and the runs left. */
static void
progress(const struct lk_explore *e, void *arg)
{
	struct cli *c = arg;
	struct timespec now;
	double t;

	char a[64], b[64], left[80] = "";

	if (!(c->tty || c->progress) || c->quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	if (c->t0 == 0)
		c->t0 = t;
	/* Ten times a second on a terminal; a line a second in a log. */
	if (t - c->last < (c->tty ? 0.1 : 1.0))
		return;
	c->last = t;
	if (c->o.kind == LK_EXP_DFS && e->estimate > e->runs)
		snprintf(left, sizeof(left), ", ~%s left",
		         grouped(b, sizeof(b),
		                 (unsigned long long)(e->estimate - e->runs)));
	else if (c->o.kind != LK_EXP_DFS && c->o.nshards <= 1 &&
	         c->o.runs > e->runs)
		snprintf(left, sizeof(left), ", %s left",
		         grouped(b, sizeof(b), c->o.runs - e->runs));
	fprintf(stderr, "%s%s, %zu %s, %.0f runs/s%s, %u %s, %u %s%s",
	        c->tty ? "\r" : "", count(a, sizeof(a), e->runs, "run", "runs"),
	        e->noutcomes, lk_plural(e->noutcomes, "outcome", "outcomes"),
	        t > c->t0 ? e->runs / (t - c->t0) : 0.0, left, e->deadlocks,
	        lk_plural(e->deadlocks, "deadlock", "deadlocks"), e->failures,
	        lk_plural(e->failures, "failure", "failures"),
	        c->tty ? "   " : "\n");
}

/* Parse the options from the table (options.c); -1 for help, else 0 or
 * an exit status. */
static int
parse(int argc, char **argv, struct cli *c)
{
	struct lk_explore_opts *o = &c->o;
	struct lk_cli_args a;
	char err[1024];
	unsigned kind;
	int rc;

	memset(c, 0, sizeof(*c));
	lk_cli_args_init(&a);
	a.runs = 100;
	a.depth = 3;
	a.max_runs = 10000;
	a.preemption_bound = UINT32_MAX;
	a.jobs = 1;
	a.top = 20;
	rc = lk_cli_parse(LK_CMD_EXPLORE, argc, argv, &a, err, sizeof(err));
	if (rc == LK_CLI_HELP) {
		lk_cli_print_help(stdout, LK_CMD_EXPLORE, intro_explore,
		                  outro_explore);
		return -1;
	}
	if (rc != 0)
		return lk_cli_fail(rc, "%s", err);
	for (kind = 0; a.strategy != NULL && kind < 2 &&
	               strcmp(kinds[kind], a.strategy) != 0;
	     kind++)
		;
	o->kind = a.strategy != NULL ? kind : LK_EXP_DFS;
	o->seed = a.seed;
	o->runs = a.runs;
	o->depth = a.depth;
	o->max_runs = a.max_runs;
	o->preemption_bound = a.preemption_bound;
	o->no_reduction = a.no_reduction;
	o->time_limit_ms = a.time_limit_ms;
	o->jobs = a.jobs;
	o->shard = a.shard.k;
	o->nshards = a.shard.n;
	o->no_zygote = a.no_zygote;
	lk_cli_run_opts(&a, &o->run);
	c->no_isolation = a.no_isolation;
	c->expect_exit = a.expect_exit;
	c->json = a.json;
	c->junit = a.junit;
	c->progress = a.progress;
	o->stop_at_first = a.stop_at_first;
	c->top = a.top;
	c->quiet = a.quiet;
	c->save_schedule = a.save_schedule;
	c->save_dir = a.save_dir;
	c->color = lk_cli_use_color(a.color, STDOUT_FILENO);
	c->program_only = lk_cli_program_option(&a);
	c->tty = isatty(STDERR_FILENO);
	/* Every output checked before the first run. */
	if (c->save_schedule != NULL &&
	    (rc = lk_cli_check_output("explore", "--save-schedule",
	                              c->save_schedule, LK_OUT_FILE)) != 0)
		return rc;
	if (c->save_dir != NULL &&
	    (rc = lk_cli_check_output("explore", "--save-dir", c->save_dir,
	                              LK_OUT_DIR)) != 0)
		return rc;
	if (c->junit != NULL &&
	    (rc = lk_cli_check_output("explore", "--junit", c->junit,
	                              LK_OUT_FILE)) != 0)
		return rc;
	return 0;
}

/* Is outcome o a failure worth saving (deadlock, crash, expectation)? */
static int
is_failure(const struct lk_scenario *sc, const struct lk_outcome *o)
{
	if (o->verdict != LK_V_DONE)
		return 1;
	for (size_t i = 0; i < sc->nexpects && i < 64; i++) {
		int held = (o->held >> i) & 1;

		if ((sc->expects[i].when == LK_ALWAYS && !held) ||
		    (sc->expects[i].when == LK_NEVER && held))
			return 1;
	}
	return 0;
}

/* Replay a schedule text and check it reaches outcome; 0 if it does. */
static int
replay_check(const struct lk_scenario *sc, const struct lk_explore_opts *eo,
             const struct lk_outcome *o)
{
	struct lk_schedule *s;
	struct lk_run_opts ro = eo->run;
	struct lk_trace *t = NULL;
	struct lk_digest d;
	struct lk_err err;
	int same;

	if (lk_schedule_parse(o->schedule, strlen(o->schedule), "(saved)", &s,
	                      &err) != 0)
		return -1;
	ro.forced = s->steps;
	ro.nforced = s->n;
	ro.strategy = LK_STRAT_DEFAULT;
	if (lk_run_scenario(sc, &ro, &t, &err) != 0) {
		lk_schedule_free(s);
		return -1;
	}
	same = lk_digest_make(t, sc, NULL, &d) == 0 &&
	       strcmp(d.outcome, o->text) == 0;
	lk_digest_clear(&d);
	lk_trace_free(t);
	lk_schedule_free(s);
	return same ? 0 : -1;
}

/* Write text to path; 0 or an exit status. */
static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL)
		return lk_cli_fail(LK_EXIT_USAGE, "cannot write %s: %s", path,
		                   strerror(errno));
	bad = fputs(text, f) == EOF || fflush(f) != 0;
	if ((fclose(f) != 0 || bad) != 0)
		return lk_cli_fail(LK_EXIT_INTERNAL, "cannot write %s: %s",
		                   path, strerror(errno));
	return 0;
}

/* Write text to path, a name lockstep made up (beside a report): never
 * through a link a hostile directory such as /tmp may hold there. 0 or
 * an exit status. */
static int
write_derived(const char *path, const char *text)
{
	int fd = open(path,
	              O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	              0644);
	size_t len = strlen(text), done = 0;

	if (fd < 0)
		return lk_cli_fail(LK_EXIT_USAGE, "cannot write %s: %s", path,
		                   errno == ELOOP ? "it is a symbolic link"
		                                  : strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;

			close(fd);
			return lk_cli_fail(LK_EXIT_INTERNAL,
			                   "cannot write %s: %s", path,
			                   strerror(e));
		}
		done += (size_t)n;
	}
	if (close(fd) != 0)
		return lk_cli_fail(LK_EXIT_INTERNAL, "cannot write %s: %s",
		                   path, strerror(errno));
	return 0;
}

/* The verdict of expectation i over all runs. */
static int
passed(const struct lk_explore *e, const struct lk_sc_expect *x, size_t i)
{
	switch (x->when) {
	case LK_NEVER:
		return e->held[i] == 0;
	case LK_SOMETIMES:
		return e->held[i] > 0;
	default:
		return e->held[i] == e->runs;
	}
}

/* Was the exploration stopped by a signal (Ctrl-C)? */
static int
interrupted(const struct lk_explore *e)
{
	return e->bound != NULL && strcmp(e->bound, "interrupted") == 0;
}

/* Did --stop-at-first stop it with runs left? */
static int
stopped(const struct lk_explore *e)
{
	return e->bound != NULL && strcmp(e->bound, "--stop-at-first") == 0;
}

/* Is expectation i still open: "sometimes", not seen yet, in an
 * exploration a signal or the first failure stopped? Not a failure: the
 * runs that would have decided it were not made. */
static int
open_verdict(const struct lk_explore *e, const struct lk_sc_expect *x, size_t i)
{
	return (interrupted(e) || stopped(e)) && x->when == LK_SOMETIMES &&
	       e->held[i] == 0;
}

/* Why run e->stop_run stopped the exploration, in words. */
static const char *
stop_reason(const struct lk_explore *e)
{
	switch (e->stop_status) {
	case LK_EXIT_DEADLOCK:
		return "a deadlock";
	case LK_EXIT_CRASH:
		return "a crash, timeout or limit";
	default:
		return "a failed expectation";
	}
}

/* One outcome as JSON. */
static json_t *
outcome_json(const struct lk_outcome *o, const char *file)
{
	json_t *j = json_object();

	json_object_set_new(j, "outcome", json_string(o->text));
	json_object_set_new(j, "count", json_integer(o->count));
	json_object_set_new(j, "schedule", json_string(o->schedule));
	if (file != NULL)
		json_object_set_new(j, "schedule_file", json_string(file));
	json_object_set_new(
	        j, "verdict",
	        json_string(lk_verdict_name((enum lk_verdict)o->verdict)));
	if (o->explain[0] != '\0')
		json_object_set_new(j, "explain", json_string(o->explain));
	return j;
}

/* One side of a race as JSON. */
static json_t *
site_json(const struct lk_race_site *s)
{
	json_t *j = json_object();

	json_object_set_new(j, "proc", json_string(s->proc));
	json_object_set_new(j, "op", json_string(lk_op_name(s->op)));
	json_object_set_new(j, "line",
	                    s->line ? json_integer(s->line) : json_null());
	json_object_set_new(j, "step", json_integer(s->step));
	return j;
}

/* One race as JSON. */
static json_t *
race_json(const struct lk_race_seen *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "object", json_string(r->rec.obj));
	json_object_set_new(j, "first", site_json(&r->rec.first));
	json_object_set_new(j, "second", site_json(&r->rec.second));
	json_object_set_new(j, "count", json_integer(r->count));
	json_object_set_new(j, "schedule", json_string(r->schedule));
	return j;
}

/* The summary object of the contract, on stdout. */
static void
print_json(const struct lk_scenario *sc, const struct cli *c,
           const struct lk_explore *e, char (*files)[4200])
{
	json_t *j = json_object(), *outs = json_array(), *dls = json_array(),
	       *fails = json_array(), *ex = json_array(), *races = json_array();

	json_object_set_new(j, "runs", json_integer(e->runs));
	json_object_set_new(j, "complete", json_boolean(e->complete));
	for (size_t i = 0; i < e->noutcomes; i++) {
		const struct lk_outcome *o = &e->outcomes[i];
		const char *file = files && files[i][0] ? files[i] : NULL;

		json_array_append_new(outs, outcome_json(o, file));
		if (o->verdict == LK_V_DEADLOCK)
			json_array_append_new(dls, outcome_json(o, file));
		else if (is_failure(sc, o))
			json_array_append_new(fails, outcome_json(o, file));
	}
	json_object_set_new(j, "outcomes", outs);
	json_object_set_new(j, "deadlocks", dls);
	for (size_t i = 0; i < e->nraces; i++)
		json_array_append_new(races, race_json(&e->races[i]));
	json_object_set_new(j, "races", races);
	json_object_set_new(j, "failures", fails);
	for (size_t i = 0; i < e->nexpects; i++) {
		json_t *x = json_object();

		json_object_set_new(x, "line",
		                    json_integer(sc->expects[i].line));
		if (sc->expects[i].kind == LK_EXPECT_EXIT)
			json_object_set_new(x, "exit",
			                    json_integer(sc->expects[i].value));
		json_object_set_new(x, "when",
		                    json_string(quants[sc->expects[i].when]));
		json_object_set_new(x, "held", json_integer(e->held[i]));
		json_object_set_new(
		        x, "passed",
		        open_verdict(e, &sc->expects[i], i)
		                ? json_null()
		                : json_boolean(passed(e, &sc->expects[i], i)));
		json_array_append_new(ex, x);
	}
	json_object_set_new(j, "expectations", ex);
	json_object_set_new(j, "strategy", json_string(kinds[c->o.kind]));
	json_object_set_new(j, "bound",
	                    e->bound ? json_string(e->bound) : json_null());
	if (c->o.stop_at_first) {
		json_t *st = json_null();

		if (e->stop_run != 0) {
			st = json_object();
			json_object_set_new(st, "run",
			                    json_integer(e->stop_run));
			json_object_set_new(
			        st, "outcome",
			        json_integer((json_int_t)e->stop_outcome + 1));
			json_object_set_new(st, "status",
			                    json_integer(e->stop_status));
		}
		json_object_set_new(j, "stopped_at", st);
	}
	json_object_set_new(j, "seconds", json_real(e->seconds));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* One outcome: its number, runs, schedule file, text and why. */
static void
print_outcome(size_t i, const struct lk_outcome *o, const char *file)
{
	const char *s = o->text;
	char runs[64];

	printf("  #%zu  %s%s%s\n", i + 1,
	       count(runs, sizeof(runs), o->count, "run", "runs"),
	       file ? "  " : "", file ? file : "");
	while (*s) {
		const char *nl = strchr(s, '\n');
		int len = nl ? (int)(nl - s) : (int)strlen(s);

		printf("      %.*s\n", len, s);
		s += len + (nl != NULL);
	}
	if (o->explain[0] && o->verdict == LK_V_DEADLOCK) {
		const char *w = o->explain;

		/* Every line of the explanation under the first. */
		printf("      why: ");
		while (*w) {
			const char *nl = strchr(w, '\n');
			int len = nl ? (int)(nl - w) : (int)strlen(w);

			printf("%s%.*s\n", w == o->explain ? "" : "           ",
			       len, w);
			w += len + (nl != NULL);
		}
	}
}

/* Order of outcome indices: a deadlock, a crash or a timeout first
 * (what a user must not miss), then most runs, then first found. */
static int
cmp_count(const void *a, const void *b, void *arg)
{
	const struct lk_outcome *o = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int bad_i = o[i].verdict != LK_V_DONE,
	    bad_j = o[j].verdict != LK_V_DONE;

	if (bad_i != bad_j)
		return bad_i ? -1 : 1;
	if (o[i].count != o[j].count)
		return o[i].count > o[j].count ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Mark in shown[] the top n outcomes (cmp_count's order). */
static void
pick_top(const struct lk_explore *e, size_t n, char *shown)
{
	size_t *order = malloc(e->noutcomes * sizeof(*order));

	if (order == NULL) {
		memset(shown, 1, e->noutcomes);
		return;
	}
	for (size_t i = 0; i < e->noutcomes; i++)
		order[i] = i;
	qsort_r(order, e->noutcomes, sizeof(*order), cmp_count, e->outcomes);
	memset(shown, 0, e->noutcomes);
	for (size_t i = 0; i < n; i++)
		shown[order[i]] = 1;
	free(order);
}

/* The human summary on stdout: with more outcomes than c->top, the
 * c->top that failed or that most runs reached, in the order found
 * (numbered as --save-dir and --json number them), the rest counted in
 * one line. */
static void
print_text(const struct lk_scenario *sc, const struct cli *c,
           const struct lk_explore *e, char (*files)[4200])
{
	size_t n = c->top == 0 || c->top > e->noutcomes ? e->noutcomes : c->top;
	unsigned long long rest = 0;
	char a[64], b[64], *shown = malloc(e->noutcomes + 1);

	printf("explore %s (%s): %s, %s, %s, %.2f s (%.0f runs/s)\n", sc->name,
	       sc->path, kinds[c->o.kind],
	       count(a, sizeof(a), e->runs, "run", "runs"),
	       e->complete      ? "complete"
	       : interrupted(e) ? "interrupted, incomplete"
	       : stopped(e)     ? "stopped at the first failure, incomplete"
	       : e->bound       ? e->bound
	                        : "incomplete",
	       e->seconds, e->seconds > 0 ? e->runs / e->seconds : 0.0);
	if (e->stop_run != 0)
		printf("stopped at run %u: %s (outcome #%zu, exit status %d)\n",
		       e->stop_run, stop_reason(e), e->stop_outcome + 1,
		       e->stop_status);
	if (e->pruned)
		printf("(%s beyond the preemption bound)\n",
		       count(a, sizeof(a), e->pruned, "alternative",
		             "alternatives"));
	printf("\n%s:\n",
	       count(a, sizeof(a), e->noutcomes, "outcome", "outcomes"));
	if (shown != NULL && n < e->noutcomes)
		pick_top(e, n, shown);
	else
		n = e->noutcomes;
	for (size_t i = 0; i < e->noutcomes; i++)
		if (n == e->noutcomes || shown[i])
			print_outcome(i, &e->outcomes[i],
			              files && files[i][0] ? files[i] : NULL);
		else
			rest += e->outcomes[i].count;
	free(shown);
	if (n < e->noutcomes)
		printf("  \xe2\x80\xa6 and %s (%s); --top 0 shows all\n",
		       count(a, sizeof(a), e->noutcomes - n, "more outcome",
		             "more outcomes"),
		       count(b, sizeof(b), rest, "run", "runs"));
	if (e->nraces > 0)
		printf("\n%s (unordered accesses to the same data, one a "
		       "write):\n",
		       count(a, sizeof(a), e->nraces, "race", "races"));
	for (size_t i = 0; i < e->nraces; i++) {
		char buf[LK_RACE_TEXT_MAX];

		lk_race_rec_format(&e->races[i].rec, buf, sizeof(buf));
		printf("  in %s of %s: %s\n",
		       grouped(b, sizeof(b), e->races[i].count),
		       count(a, sizeof(a), e->runs, "run", "runs"), buf);
	}
	if (e->nexpects > 0)
		printf("\nexpect:\n");
	for (size_t i = 0; i < e->nexpects; i++) {
		const struct lk_sc_expect *x = &sc->expects[i];
		const char *verdict =
		        open_verdict(e, x, i) ? "open"
		        : passed(e, x, i)
		                ? (c->color ? "\033[32mok\033[0m  " : "ok  ")
		        : c->color ? "\033[31mFAIL\033[0m"
		                   : "FAIL";
		const char *why = open_verdict(e, x, i)
		                          ? " (not decided: interrupted)"
		                          : "";
		char text[256], where[32] = "";

		lk_expect_text(sc, i, text, sizeof(text));
		if (x->kind == LK_EXPECT_EXIT)
			snprintf(where, sizeof(where), "  (--expect-exit)");
		else if (x->line > 0)
			snprintf(where, sizeof(where), "  (line %d)", x->line);
		printf("  %s  %s, held in %s of %s%s%s\n", verdict, text,
		       grouped(b, sizeof(b), e->held[i]),
		       count(a, sizeof(a), e->runs, "run", "runs"), why, where);
	}
}

/* Save one schedule per outcome into the directory. */
static int
save_dir(const char *dir, const struct lk_explore *e, char (*files)[4200])
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return lk_cli_fail(LK_EXIT_USAGE, "cannot create %s: %s", dir,
		                   strerror(errno));
	for (size_t i = 0; i < e->noutcomes; i++) {
		int rc;

		snprintf(files[i], sizeof(files[i]), "%s/outcome-%zu.sched",
		         dir, i + 1);
		if ((rc = write_file(files[i], e->outcomes[i].schedule)) != 0)
			return rc;
	}
	return 0;
}

/* Append word to buf (of size), quoted for a POSIX shell when it needs
 * to be. */
static void
shell_word(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf);
	int plain = word[0] != '\0' &&
	            strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
	                         "TUVWXYZ0123456789_-./=:,+@%") == strlen(word);

	if (len > 0 && len + 1 < size)
		buf[len++] = ' ';
	if (!plain && len + 1 < size)
		buf[len++] = '\'';
	for (const char *w = word; *w && len + 5 < size; w++) {
		if (*w == '\'' && !plain) {
			memcpy(buf + len, "'\\''", 4);
			len += 4;
		} else {
			buf[len++] = *w;
		}
	}
	if (!plain && len + 1 < size)
		buf[len++] = '\'';
	buf[len < size ? len : size - 1] = '\0';
}

/* The command that replays schedule file sched: lockstep replay for a
 * scenario; for a program, lockstep run --schedule with the options that
 * change a run (docs/explore.md). */
static void
replay_command(const struct cli *c, const char *sched, char *buf, size_t size)
{
	buf[0] = '\0';
	if (c->program == NULL) {
		shell_word(buf, size, "lockstep");
		shell_word(buf, size, "replay");
		shell_word(buf, size, sched);
		return;
	}
	shell_word(buf, size, "lockstep");
	shell_word(buf, size, "run");
	if (c->o.run.isolate)
		shell_word(buf, size, "--sandbox");
	if (c->o.run.track_shm)
		shell_word(buf, size, "--track-shm");
	if (c->o.run.perturb)
		shell_word(buf, size, "--perturb");
	if (c->o.run.stable_pids)
		shell_word(buf, size, "--stable-pids");
	if (c->expect_exit != 0) {
		char n[16];

		shell_word(buf, size, "--expect-exit");
		if (c->expect_exit < 0)
			snprintf(n, sizeof(n), "any");
		else
			snprintf(n, sizeof(n), "%d", c->expect_exit);
		shell_word(buf, size, n);
	}
	shell_word(buf, size, "--schedule");
	shell_word(buf, size, sched);
	shell_word(buf, size, "--");
	for (char **a = c->program; *a != NULL; a++)
		shell_word(buf, size, *a);
}

/* The outcome's verdict as a JUnit failure type, or NULL when the outcome
 * did not fail. */
static const char *
failure_type(const struct lk_scenario *sc, const struct lk_outcome *o)
{
	if (!is_failure(sc, o))
		return NULL;
	if (o->verdict == LK_V_DONE)
		return "expectation";
	return lk_verdict_name((enum lk_verdict)o->verdict);
}

/* Write the JUnit report: a test suite for the exploration, a test case
 * per outcome (failing ones with the schedule file and the command that
 * replays it) and per expectation. Failing outcomes' schedules are the
 * --save-dir files, else written beside the report as
 * NAME-outcome-N.sched (NAME: the report's name without .xml). 0 or an
 * exit status. */
static int
write_junit(const struct lk_scenario *sc, const struct cli *c,
            const struct lk_explore *e, char (*files)[4200])
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	unsigned nfail = 0, nskip = 0, ntests = 0;
	char base[4096], cls[300], num[64];
	int rc = 0, bad = 0;
	size_t blen;

	if (w == NULL) {
		xmlBufferFree(buf);
		return lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
	}
	snprintf(base, sizeof(base), "%s", c->junit);
	blen = strlen(base);
	if (blen > 4 && strcmp(base + blen - 4, ".xml") == 0)
		base[blen - 4] = '\0';
	snprintf(cls, sizeof(cls), "lockstep.explore.%s", sc->name);
	for (size_t i = 0; i < e->noutcomes; i++)
		nfail += is_failure(sc, &e->outcomes[i]);
	for (size_t i = 0; i < e->nexpects; i++) {
		nskip += open_verdict(e, &sc->expects[i], i);
		nfail += !open_verdict(e, &sc->expects[i], i) &&
		         !passed(e, &sc->expects[i], i);
	}
	ntests = (unsigned)(e->noutcomes + e->nexpects);
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "  ");
	bad |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
	bad |= xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%u",
	                                         ntests) < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%u",
	                                         nfail) < 0;
	bad |= xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "name",
	                                         "explore %s", sc->name) < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "tests", "%u",
	                                         ntests) < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "failures", "%u",
	                                         nfail) < 0;
	bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0") <
	       0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "skipped", "%u",
	                                         nskip) < 0;
	bad |= xmlTextWriterWriteFormatAttribute(w, BAD_CAST "time", "%.3f",
	                                         e->seconds) < 0;
	bad |= xmlTextWriterStartElement(w, BAD_CAST "properties") < 0;
	{
		const char *props[][2] = {
		        {"scenario", sc->path},
		        {"strategy", kinds[c->o.kind]},
		        {"runs", NULL},
		        {"complete", e->complete ? "true" : "false"},
		        {"bound", e->bound},
		};

		snprintf(num, sizeof(num), "%u", e->runs);
		props[2][1] = num;
		for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
			if (props[i][1] == NULL)
				continue;
			bad |= xmlTextWriterStartElement(w, BAD_CAST
			                                 "property") < 0;
			bad |= xmlTextWriterWriteAttribute(
			               w, BAD_CAST "name",
			               BAD_CAST props[i][0]) < 0;
			bad |= xmlTextWriterWriteAttribute(
			               w, BAD_CAST "value",
			               BAD_CAST props[i][1]) < 0;
			bad |= xmlTextWriterEndElement(w) < 0;
		}
	}
	bad |= xmlTextWriterEndElement(w) < 0;
	for (size_t i = 0; i < e->noutcomes && rc == 0; i++) {
		const struct lk_outcome *o = &e->outcomes[i];
		const char *type = failure_type(sc, o);
		char path[4200], cmd[8192];

		bad |= xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
		bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname",
		                                   BAD_CAST cls) < 0;
		bad |= xmlTextWriterWriteFormatAttribute(
		               w, BAD_CAST "name", "outcome #%zu: %s", i + 1,
		               lk_verdict_name((enum lk_verdict)o->verdict)) <
		       0;
		if (type != NULL) {
			if (files != NULL && files[i][0] != '\0')
				snprintf(path, sizeof(path), "%s", files[i]);
			else {
				snprintf(path, sizeof(path),
				         "%s-outcome-%zu.sched", base, i + 1);
				rc = write_derived(path, o->schedule);
			}
			replay_command(c, path, cmd, sizeof(cmd));
			bad |= xmlTextWriterStartElement(w, BAD_CAST
			                                 "failure") < 0;
			bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "type",
			                                   BAD_CAST type) < 0;
			bad |= xmlTextWriterWriteFormatAttribute(
			               w, BAD_CAST "message",
			               "%s in %u of %u runs; replay: %s", type,
			               o->count, e->runs, cmd) < 0;
			bad |= xmlTextWriterWriteFormatString(
			               w, "%s%s%s\nschedule: %s\nreplay: %s\n",
			               o->text, o->explain[0] ? "why: " : "",
			               o->explain, path, cmd) < 0;
			bad |= xmlTextWriterEndElement(w) < 0;
		}
		bad |= xmlTextWriterWriteElement(w, BAD_CAST "system-out",
		                                 BAD_CAST o->text) < 0;
		bad |= xmlTextWriterEndElement(w) < 0;
	}
	for (size_t i = 0; i < e->nexpects && rc == 0; i++) {
		const struct lk_sc_expect *x = &sc->expects[i];
		char text[256];

		lk_expect_text(sc, i, text, sizeof(text));
		bad |= xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
		bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname",
		                                   BAD_CAST cls) < 0;
		if (x->kind == LK_EXPECT_EXIT)
			bad |= xmlTextWriterWriteFormatAttribute(
			               w, BAD_CAST "name",
			               "expect: %s (--expect-exit)", text) < 0;
		else
			bad |= xmlTextWriterWriteFormatAttribute(
			               w, BAD_CAST "name",
			               "expect: %s (line %d)", text,
			               x->line) < 0;
		if (open_verdict(e, x, i)) {
			bad |= xmlTextWriterStartElement(w, BAD_CAST
			                                 "skipped") < 0;
			bad |= xmlTextWriterWriteAttribute(
			               w, BAD_CAST "message",
			               BAD_CAST "not decided: the exploration "
			                        "stopped first") < 0;
			bad |= xmlTextWriterEndElement(w) < 0;
		} else if (!passed(e, x, i)) {
			bad |= xmlTextWriterStartElement(w, BAD_CAST
			                                 "failure") < 0;
			bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "type",
			                                   BAD_CAST
			                                   "expectation") < 0;
			bad |= xmlTextWriterWriteFormatAttribute(
			               w, BAD_CAST "message",
			               "%s: held in %u of %u runs",
			               quants[x->when], e->held[i],
			               e->runs) < 0;
			bad |= xmlTextWriterEndElement(w) < 0;
		}
		bad |= xmlTextWriterEndElement(w) < 0;
	}
	bad |= xmlTextWriterEndDocument(w) < 0;
	xmlFreeTextWriter(w);
	if (rc == 0 && bad)
		rc = lk_cli_fail(LK_EXIT_INTERNAL,
		                 "cannot write %s: out of memory", c->junit);
	if (rc == 0)
		rc = write_file(c->junit, (const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return rc;
}

/* `lockstep explore SCENARIO [options]` */
int
lk_cmd_explore(int argc, char **argv)
{
	char agent[4096], interposer[4096];
	char(*files)[4200] = NULL;
	struct lk_scenario *sc = NULL;
	struct lk_explore e;
	struct lk_err err;
	struct cli c;
	char *exe = NULL;
	int rc, status = 0, dd = argc;

	/* Everything after "--" is a program and its arguments. */
	for (int i = 1; i < argc && dd == argc; i++)
		if (strcmp(argv[i], "--") == 0)
			dd = i;
	rc = parse(dd, argv, &c);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (dd < argc) {
		if (optind != dd || dd + 1 == argc)
			return lk_cli_fail(
			        LK_EXIT_USAGE,
			        "explore: expected options, then -- and a "
			        "program; see 'lockstep explore --help'");
		if ((exe = lk_cli_find_program(argv[dd + 1])) == NULL)
			return lk_cli_fail(LK_EXIT_USAGE, "cannot run %s: %s",
			                   argv[dd + 1], strerror(errno));
		c.o.run.argv0 = argv[dd + 1];
		/* As the user gave it, for the replay command (--junit). */
		c.program = calloc((size_t)(argc - dd), sizeof(*c.program));
		if (c.program == NULL) {
			free(exe);
			free(c.program);
			return lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		}
		for (int i = dd + 1; i < argc; i++)
			c.program[i - dd - 1] = argv[i];
		argv[dd + 1] = exe;
		c.o.run.program = &argv[dd + 1];
		/* Every run starts from the same files, and none is the
		 * user's: a copy-on-write view (fsiso.c). */
		c.o.run.isolate = !c.no_isolation;
		/* And its own network: the ports of one run are not the
		 * next one's (netns.c). */
		c.o.run.netns = !c.no_isolation;
		/* The zygote forks agents; a program is exec'd each run. */
		c.o.no_zygote = 1;
		if ((sc = lk_program_scenario(&argv[dd + 1], c.expect_exit)) ==
		    NULL) {
			free(exe);
			free(c.program);
			return lk_cli_fail(LK_EXIT_INTERNAL, "out of memory");
		}
	} else if (optind != argc - 1) {
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "explore: expected one scenario file; see "
		                   "'lockstep explore --help'");
	} else if (c.program_only != NULL) {
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "--%s is for a program, not a scenario: "
		                   "lockstep explore [options] --%s -- PROGRAM",
		                   c.program_only, c.program_only);
	} else if (lk_scenario_load(argv[optind], &sc, &err) != 0) {
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	if (lk_find_helpers(agent, sizeof(agent), interposer,
	                    sizeof(interposer), &err) != 0) {
		lk_scenario_free(sc);
		free(exe);
		free(c.program);
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	c.o.run.agent = agent;
	c.o.run.interposer = interposer;
	/* Before any run: a worker could only say it failed. */
	if (c.o.run.stable_pids && lk_pidns_check(&err) != 0) {
		lk_scenario_free(sc);
		free(exe);
		free(c.program);
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	lk_cli_isolation(&c.o.run);
	c.o.progress = progress;
	c.o.progress_arg = &c;
	if ((status = lk_cli_check_fds(sc, 1)) != 0) {
		lk_scenario_free(sc);
		free(exe);
		free(c.program);
		return status;
	}
	lk_sweep_stale();
	lk_cli_catch_signals();
	if (lk_explore_run(sc, &c.o, &e, &err) != 0) {
		status = lk_cli_fail(err.status, "%s", err.msg);
		goto out;
	}
	if (c.tty && !c.quiet)
		fprintf(stderr, "\r%100s\r", "");
	files = calloc(e.noutcomes + 1, sizeof(*files));
	if (files != NULL && c.save_dir != NULL &&
	    (status = save_dir(c.save_dir, &e, files)) != 0)
		goto out;
	if (c.json)
		print_json(sc, &c, &e, files);
	else
		print_text(sc, &c, &e, files);
	for (size_t i = 0; i < e.noutcomes; i++) {
		const struct lk_outcome *o = &e.outcomes[i];

		if (o->verdict == LK_V_DEADLOCK)
			status = LK_EXIT_DEADLOCK;
		else if (o->verdict != LK_V_DONE && status != LK_EXIT_DEADLOCK)
			status = LK_EXIT_CRASH;
	}
	for (size_t i = 0; status == 0 && i < e.nexpects; i++)
		if (!passed(&e, &sc->expects[i], i) &&
		    !open_verdict(&e, &sc->expects[i], i))
			status = LK_EXIT_EXPECT;
	/* --stop-at-first: the status of the run that stopped it. */
	if (e.stop_run != 0)
		status = e.stop_status;
	if (c.junit != NULL) {
		int w = write_junit(sc, &c, &e, files);

		if (w != 0) {
			status = w;
			goto out;
		}
	}
	/* An expectation some run could not judge is no verdict. */
	for (size_t i = 0; i < e.noutcomes; i++) {
		const char *u = strstr(e.outcomes[i].explain, LK_UNJUDGED);

		if (u != NULL) {
			lk_cli_fail(0, "%s: %.*s", sc->path,
			            (int)strcspn(u, "\n"), u);
			status = LK_EXIT_USAGE;
		}
	}
	if (c.save_schedule != NULL) {
		const struct lk_outcome *best = NULL;

		for (size_t i = 0; i < e.noutcomes; i++) {
			const struct lk_outcome *o = &e.outcomes[i];

			if (is_failure(sc, o) &&
			    (best == NULL ||
			     o->preemptions < best->preemptions ||
			     (o->preemptions == best->preemptions &&
			      o->steps < best->steps)))
				best = o;
		}
		/* Interrupted: no replay check, which the signal would cut
		 * short too; the schedule is saved unchecked, and says so. */
		if (best == NULL) {
			if (!c.json)
				printf("\nno failure to save in %s\n",
				       c.save_schedule);
		} else if (!lk_run_interrupted() &&
		           replay_check(sc, &c.o, best) != 0) {
			lk_cli_fail(0, "the failing schedule did not replay to "
			               "the same outcome; not saved (the "
			               "scenario is not deterministic under "
			               "lockstep)");
			status = LK_EXIT_CRASH;
		} else {
			int w = write_file(c.save_schedule, best->schedule);

			if (w != 0)
				status = w;
			else if (!c.json)
				printf("\nsaved the failing schedule (%u %s, "
				       "%zu %s) to %s%s\n",
				       best->preemptions,
				       lk_plural(best->preemptions,
				                 "preemption", "preemptions"),
				       best->steps,
				       lk_plural(best->steps, "step", "steps"),
				       c.save_schedule,
				       lk_run_interrupted()
				               ? " (not replay-checked: "
				                 "interrupted)"
				               : "");
			if (w == 0 && !c.json) {
				char cmd[8192];

				replay_command(&c, c.save_schedule, cmd,
				               sizeof(cmd));
				printf("replay it with: %s\n", cmd);
			}
		}
	}
out:
	free(files);
	free(exe);
	free(c.program);
	lk_explore_free(&e);
	lk_scenario_free(sc);
	if (lk_run_interrupted()) {
		fflush(stdout);
		signal(lk_run_interrupted(), SIG_DFL);
		raise(lk_run_interrupted());
		return 128 + lk_run_interrupted();
	}
	return status;
}
