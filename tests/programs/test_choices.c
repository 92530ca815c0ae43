/*
 * Every result the kernel would choose is chosen by the schedule: which
 * of several exited children a wait for any child reaps (seeded, named in
 * the trace and the schedule, checked by --strict replay, tried both ways
 * by explore). And a run's trace does not depend on what lockstep's
 * standard output and error are: a pipe, a file, /dev/null or a tty give
 * the same bytes (header aside).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* The events of a trace file: everything after its header line. */
static char *
events_of(const char *path)
{
	char *ev = e2e_trace_events(path);

	assert_non_null(ev);
	return ev;
}

/* The children the trace's waitpid events reaped, in order, as
 * "main.2 main.1 ..." into buf; the number of reaps that had a choice
 * (args.choices) goes in *chosen. */
static void
reaped_in_trace(const char *path, char *buf, size_t size, int *chosen)
{
	json_t *tr = e2e_trace_load(path);
	size_t len = 0;

	assert_non_null(tr);
	buf[0] = '\0';
	*chosen = 0;
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i), *args;
		const char *child;

		if (strcmp(json_string_value(json_object_get(e, "op")),
		           "waitpid") != 0)
			continue;
		args = json_object_get(e, "args");
		child = json_string_value(json_object_get(args, "child"));
		if (child == NULL)
			continue;
		if (json_array_size(json_object_get(args, "choices")) > 1)
			(*chosen)++;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		                        len ? " " : "", child);
		assert_true(len < size);
	}
	json_decref(tr);
}

/* The order wait_any printed ("reaped 2" ... -> "main.2 ..."), from the
 * output lines lockstep shows ("  | reaped 2"). */
static void
reaped_in_output(const char *out, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (const char *p = out; (p = strstr(p, "| reaped ")) != NULL; p++) {
		len += (size_t)snprintf(buf + len, size - len, "%smain.%c",
		                        len ? " " : "", p[9]);
		assert_true(len < size);
	}
}

/* Run wait_any under lockstep with extra arguments before "--"; the
 * environment entry how (may be NULL) chooses the wait call. */
static void
run_wait_any(struct e2e_result *r, const char *dir, const char *how,
             const char *const extra[])
{
	const char *argv[32];
	const char *env[3] = {how, NULL, NULL};
	size_t n = 0;

	argv[n++] = LOCKSTEP;
	argv[n++] = "run";
	for (size_t i = 0; extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n++] = "--";
	argv[n++] = WAIT_ANY_PROG;
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(r, LOCKSTEP, argv, env, dir), 0);
}

/* The case: children post a semaphore and exit, the parent reaps
 * them with wait(0). Eight runs of --seed 5 give one trace, whose waits
 * name the child they reaped and what else they could have reaped; the
 * program's own output agrees with the trace; other seeds choose other
 * orders. */
static void
test_choices_wait_seed_stable(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const extra[] = {"--seed", "5", "--trace", tp, NULL};
	char order[128], printed[128], first[128] = "", seed[16];
	char *ev0 = NULL;
	struct e2e_result r;
	int chosen, orders = 0;

	(void)state;
	for (int i = 0; i < 8; i++) {
		char *ev;

		run_wait_any(&r, dir, NULL, extra);
		if (r.status != 0)
			fail_msg("run %d: exit %d: %s", i, r.status, r.err);
		ev = events_of(tp);
		if (ev0 == NULL)
			ev0 = ev;
		else if (strcmp(ev0, ev) != 0)
			fail_msg("run %d of --seed 5 gave another trace", i);
		if (ev != ev0)
			free(ev);
		reaped_in_trace(tp, order, sizeof(order), &chosen);
		reaped_in_output(r.out, printed, sizeof(printed));
		assert_string_equal(order, printed);
		assert_true(chosen >= 1);
		e2e_result_free(&r);
	}
	free(ev0);
	/* The seed chooses: seeds 1..8 do not all reap in one order. */
	for (int s = 1; s <= 8; s++) {
		const char *const ex2[] = {"--seed", seed, "--trace", tp, NULL};

		snprintf(seed, sizeof(seed), "%d", s);
		run_wait_any(&r, dir, NULL, ex2);
		assert_int_equal(r.status, 0);
		reaped_in_trace(tp, order, sizeof(order), &chosen);
		if (first[0] == '\0')
			snprintf(first, sizeof(first), "%s", order);
		else if (strcmp(first, order) != 0)
			orders++;
		e2e_result_free(&r);
	}
	assert_true(orders > 0);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* waitpid(-1), wait3, wait4 and waitid(P_ALL) choose the same way: the
 * same seed twice gives the same trace, and what the program saw is what
 * the trace says it reaped. */
static void
test_choices_wait_flavours(void **state)
{
	static const char *const how[] = {"WAIT_HOW=waitpid", "WAIT_HOW=wait3",
	                                  "WAIT_HOW=wait4", "WAIT_HOW=waitid"};
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const extra[] = {"--seed", "3", "--trace", tp, NULL};
	char order[128], printed[128];
	struct e2e_result r;
	int chosen;

	(void)state;
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		char *a, *b;

		run_wait_any(&r, dir, how[i], extra);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", how[i], r.status, r.err);
		a = events_of(tp);
		reaped_in_trace(tp, order, sizeof(order), &chosen);
		reaped_in_output(r.out, printed, sizeof(printed));
		if (strcmp(order, printed) != 0)
			fail_msg("%s: trace reaped %s, program saw %s", how[i],
			         order, printed);
		e2e_result_free(&r);
		run_wait_any(&r, dir, how[i], extra);
		assert_int_equal(r.status, 0);
		b = events_of(tp);
		if (strcmp(a, b) != 0)
			fail_msg("%s: two runs of one seed differ", how[i]);
		free(a);
		free(b);
		e2e_result_free(&r);
	}
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* Write text to path. */
static void
put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/*
 * The schedule names the child a wait reaps ("main waitpid main.2"):
 * replayed it gives the same trace; edited to swap the first two reaps it
 * reaps in that order; naming a child already reaped is a divergence
 * under --strict that names the step and what could be reaped.
 */
static void
test_choices_wait_replay(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"),
	     *rp = e2e_path(dir, "r.jsonl"), *sp = e2e_path(dir, "s.txt"),
	     *ep = e2e_path(dir, "edited.txt"), *bp = e2e_path(dir, "bad.txt");
	const char *const rec[] = {"--seed",          "5", "--trace", tp,
	                           "--save-schedule", sp,  NULL};
	const char *const rep[] = {"--strict", "--schedule", sp,
	                           "--trace",  rp,           NULL};
	const char *const edit[] = {"--strict", "--schedule", ep,
	                            "--trace",  rp,           NULL};
	const char *const bad[] = {"--strict", "--schedule", bp, NULL};
	char order[128], printed[128], want[128], *sched, *a, *b, *line;
	char *names[3], *edited, *broken;
	struct e2e_result r;
	size_t len;
	int chosen, k = 0;

	(void)state;
	run_wait_any(&r, dir, NULL, rec);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	run_wait_any(&r, dir, NULL, rep);
	if (r.status != 0)
		fail_msg("replay: exit %d: %s", r.status, r.err);
	e2e_result_free(&r);
	a = events_of(tp);
	b = events_of(rp);
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* The three reaping lines, "main waitpid main.N". */
	sched = e2e_read_file(sp, &len);
	assert_non_null(sched);
	edited = strdup(sched);
	broken = strdup(sched);
	assert_non_null(edited);
	assert_non_null(broken);
	for (line = sched;
	     (line = strstr(line, "\nmain waitpid main.")) && k < 3; line++)
		names[k++] = line + 14;
	assert_int_equal(k, 3);
	/* Swap the first two children named (one character each). */
	edited[names[0] - sched + 5] = names[1][5];
	edited[names[1] - sched + 5] = names[0][5];
	put_file(ep, edited);
	snprintf(want, sizeof(want), "main.%c main.%c main.%c", names[1][5],
	         names[0][5], names[2][5]);
	run_wait_any(&r, dir, NULL, edit);
	if (r.status != 0)
		fail_msg("edited: exit %d: %s", r.status, r.err);
	reaped_in_trace(rp, order, sizeof(order), &chosen);
	reaped_in_output(r.out, printed, sizeof(printed));
	assert_string_equal(order, want);
	assert_string_equal(printed, want);
	e2e_result_free(&r);

	/* The second reap names the child the first one took. */
	broken[names[1] - sched + 5] = names[0][5];
	put_file(bp, broken);
	run_wait_any(&r, dir, NULL, bad);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want),
	         "diverges: expected main waitpid(main.%c), but main can "
	         "only reap main.",
	         names[0][5]);
	if (strstr(r.err, want) == NULL || strstr(r.err, "bad.txt:") == NULL)
		fail_msg("no divergence naming the child in: %s", r.err);
	e2e_result_free(&r);

	free(sched);
	free(edited);
	free(broken);
	free(tp);
	free(rp);
	free(sp);
	free(ep);
	free(bp);
	e2e_rmtree(dir);
	free(dir);
}

/* explore treats the reap as a choice point: with two children both
 * orders are outcomes, and each outcome's schedule replays to its order. */
static void
test_choices_wait_explore(void **state)
{
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.txt");
	const char *const argv[] = {LOCKSTEP, "explore",     "--json",
	                            "--",     WAIT_ANY_PROG, NULL};
	const char *const rep[] = {LOCKSTEP, "run", "--strict",    "--schedule",
	                           sp,       "--",  WAIT_ANY_PROG, NULL};
	const char *const env[] = {"CHILDREN=2", NULL};
	int seen12 = 0, seen21 = 0;
	struct e2e_result r;
	json_error_t je;
	json_t *j, *outs;

	(void)state;
	assert_int_equal(e2e_spawn(&r, LOCKSTEP, argv, env, dir), 0);
	if (r.status != 0)
		fail_msg("explore: exit %d: %s", r.status, r.err);
	j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "complete")));
	outs = json_object_get(j, "outcomes");
	for (size_t i = 0; i < json_array_size(outs); i++) {
		json_t *o = json_array_get(outs, i);
		const char *text =
		        json_string_value(json_object_get(o, "outcome"));
		const char *sched =
		        json_string_value(json_object_get(o, "schedule"));
		const char *one = strstr(text, "reaped 1");
		const char *two = strstr(text, "reaped 2");
		struct e2e_result rr;
		char printed[64];

		assert_non_null(one);
		assert_non_null(two);
		seen12 |= one < two;
		seen21 |= two < one;
		put_file(sp, sched);
		assert_int_equal(e2e_spawn(&rr, LOCKSTEP, rep, env, dir), 0);
		if (rr.status != 0)
			fail_msg("replay: exit %d: %s", rr.status, rr.err);
		reaped_in_output(rr.out, printed, sizeof(printed));
		assert_string_equal(printed, one < two ? "main.1 main.2"
		                                       : "main.2 main.1");
		e2e_result_free(&rr);
	}
	assert_true(seen12);
	assert_true(seen21);
	json_decref(j);
	e2e_result_free(&r);
	free(sp);
	e2e_rmtree(dir);
	free(dir);
}

/* poll and select on two pipes are steps whose ready set is in the
 * event: the same seed gives the same trace, a saved schedule replays to
 * it under --strict, and the program read what the events say was
 * ready. */
static void
test_choices_poll_select(void **state)
{
	static const char *const how[] = {"POLL=1", "USE_SELECT=1"};
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"),
	     *rp = e2e_path(dir, "r.jsonl"), *sp = e2e_path(dir, "s.txt");
	const char *const rec[] = {
	        LOCKSTEP,          "run", "--seed", "4",        "--trace", tp,
	        "--save-schedule", sp,    "--",     POLL_PIPES, NULL};
	const char *const rep[] = {
	        LOCKSTEP,  "run", "--strict", "--schedule", sp,
	        "--trace", rp,    "--",       POLL_PIPES,   NULL};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const char *const env[] = {how[i], NULL};
		const char *op = i == 0 ? "poll" : "select";
		struct e2e_result r;
		int steps = 0, ready = 0;
		json_int_t nfds;
		size_t nready;
		char *a, *b;
		json_t *tr;

		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rec, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", op, r.status, r.err);
		assert_non_null(strstr(r.out, "| pipe 1: from 1\n"));
		assert_non_null(strstr(r.out, "| pipe 2: from 2\n"));
		e2e_result_free(&r);
		a = events_of(tp);
		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rec, env, dir), 0);
		assert_int_equal(r.status, 0);
		e2e_result_free(&r);
		b = events_of(tp);
		assert_string_equal(a, b);
		free(b);
		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rep, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s replay: exit %d: %s", op, r.status, r.err);
		e2e_result_free(&r);
		b = events_of(rp);
		assert_string_equal(a, b);
		free(a);
		free(b);
		tr = e2e_trace_load(tp);
		assert_non_null(tr);
		for (size_t k = 1; k < json_array_size(tr); k++) {
			json_t *e = json_array_get(tr, k), *args;

			if (strcmp(json_string_value(json_object_get(e, "op")),
			           op) != 0)
				continue;
			steps++;
			args = json_object_get(e, "args");
			nfds = json_integer_value(
			        json_object_get(args, "nfds"));
			/* poll watches both slots, select the open ends. */
			assert_true(i == 0 ? nfds == 2
			                   : nfds >= 1 && nfds <= 2);
			if (json_is_true(json_object_get(e, "blocked")))
				continue;
			nready =
			        json_array_size(json_object_get(args, "ready"));
			assert_int_equal(
			        json_integer_value(json_object_get(e, "ret")),
			        nready);
			ready += nready > 0;
		}
		/* Two lines and two ends of file: four answers at least. */
		assert_true(steps >= 4);
		assert_true(ready >= 4);
		json_decref(tr);
	}
	free(tp);
	free(rp);
	free(sp);
	e2e_rmtree(dir);
	free(dir);
}

enum kind { PIPE, FILE_, DEVNULL, PTY };

/*
 * Run lockstep with args (from the source directory) with its standard
 * output and error as kind; stdin is /dev/null. Returns the exit status.
 * The output is small (-q): it fits a pipe's or a tty's buffer, so the
 * run is waited for first and what it wrote read after.
 */
static int
run_as(enum kind kind, const char *dir, const char *const args[])
{
	int out = -1, keep = -1, ws, devnull;
	char path[4096];
	pid_t pid;

	if (kind == PIPE) {
		int p[2];

		assert_int_equal(pipe(p), 0);
		keep = p[0];
		out = p[1];
	} else if (kind == FILE_) {
		snprintf(path, sizeof(path), "%s/out.txt", dir);
		out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		           0600);
	} else if (kind == DEVNULL) {
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	} else {
		keep = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		assert_true(keep >= 0);
		assert_int_equal(grantpt(keep), 0);
		assert_int_equal(unlockpt(keep), 0);
		out = open(ptsname(keep), O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	assert_true(out >= 0);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(devnull >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32];
		size_t n = 0;

		argv[n++] = LOCKSTEP;
		for (size_t i = 0; args[i] != NULL && n < 31; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		if (chdir(LK_SOURCE_DIR) != 0 || dup2(devnull, 0) < 0 ||
		    dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(126);
		unsetenv("LD_PRELOAD");
		unsetenv("LOCKSTEP_SHM_FD");
		execv(LOCKSTEP, (char *const *)argv);
		_exit(127);
	}
	close(out);
	close(devnull);
	while (waitpid(pid, &ws, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (keep >= 0)
		close(keep);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* The events of one scenario or program run with each kind of standard
 * output and error: all the same bytes. */
static void
same_under_every_kind(const char *const args[], const char *tp, int status)
{
	static const char *const names[] = {"pipe", "file", "/dev/null", "tty"};
	char *dir = e2e_tempdir(), *first = NULL;

	for (int k = PIPE; k <= PTY; k++) {
		char *ev;
		int st = run_as((enum kind)k, dir, args);

		if (st != status)
			fail_msg("%s with stdio to a %s: exit %d, expected %d",
			         args[1], names[k], st, status);
		ev = events_of(tp);
		if (first == NULL)
			first = ev;
		else if (strcmp(first, ev) != 0) {
			size_t at = 0;

			while (first[at] == ev[at])
				at++;
			while (at > 0 && first[at - 1] != '\n')
				at--;
			fail_msg(
			        "%s: the trace with stdio to a %s differs "
			        "from the one with a pipe:\n%.300s\nvs\n%.300s",
			        args[1], names[k], first + at, ev + at);
		}
		if (ev != first)
			free(ev);
	}
	free(first);
	e2e_rmtree(dir);
	free(dir);
}

/* The case (pipe-hang.xml: echo closes its standard error at
 * exit) and a program that writes to, copies and closes its standard
 * error: the same trace whatever lockstep's stdout and stderr are, and
 * standard error is the object stderr in every one. */
static void
test_choices_stdio_kinds(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const scen[] = {
	        "run", "-q", "--trace", tp, "scenarios/lecture/pipe-hang.xml",
	        NULL};
	const char *const prog[] = {"run", "-q",        "--trace", tp,
	                            "--",  STDIO_KINDS, NULL};
	const char *pipe = NULL;
	int writes = 0;
	json_t *tr;

	(void)state;
	same_under_every_kind(scen, tp, 3);
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_int_equal(json_array_size(tr), 1 + 21);
	json_decref(tr);

	same_under_every_kind(prog, tp, 0);
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *obj = json_string_value(json_object_get(e, "obj"));

		/* The program's own pipe is the only one. */
		if (obj != NULL && strncmp(obj, "pipe", 4) == 0 && pipe == NULL)
			pipe = obj;
		else if (obj != NULL && strncmp(obj, "pipe", 4) == 0)
			assert_string_equal(obj, pipe);
		if (strcmp(op, "write") == 0 && obj != NULL &&
		    strcmp(obj, "stderr") == 0)
			writes++;
	}
	assert_int_equal(writes, 2);
	json_decref(tr);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_choices_wait_seed_stable),
	        cmocka_unit_test(test_choices_wait_flavours),
	        cmocka_unit_test(test_choices_wait_replay),
	        cmocka_unit_test(test_choices_wait_explore),
	        cmocka_unit_test(test_choices_poll_select),
	        cmocka_unit_test(test_choices_stdio_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
