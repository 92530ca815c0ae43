/*
 * Readiness as a schedule decision, end to end: ppoll, pselect,
 * epoll_wait, epoll_pwait and epoll_pwait2 (level-triggered,
 * edge-triggered and one-shot) on two pipes written by two children
 * (poll_pipes.c). explore finds both orders and every schedule it saved
 * replays to its outcome; the same seed gives the same trace bytes; a
 * saved schedule replays under --strict to the same trace; the output and
 * exit status are the native run's. A timeout expires on the virtual
 * clock, and the p-calls' signal mask is the kernel's (ppoll_signal.c).
 */
#include <errno.h>
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

/* The ways poll_pipes.c waits: WAIT_WITH, EPOLL_MODE, the op recorded,
 * and whether test_poll_explore explores it to the end (one of the poll
 * family and one of the epoll family, 424 and 277 runs; the others share
 * their decision code and are explored for their first runs only). */
static const struct way {
	const char *with, *mode, *op;
	int full;
} ways[] = {
        {"WAIT_WITH=ppoll", NULL, "ppoll", 1},
        {"WAIT_WITH=pselect", NULL, "pselect", 0},
        {"WAIT_WITH=epoll", NULL, "epoll_wait", 0},
        {"WAIT_WITH=epoll", "EPOLL_MODE=et", "epoll_wait", 1},
        {"WAIT_WITH=epoll", "EPOLL_MODE=oneshot", "epoll_wait", 0},
        {"WAIT_WITH=epoll_pwait", NULL, "epoll_pwait", 0},
        {"WAIT_WITH=epoll_pwait2", NULL, "epoll_pwait", 0},
};

#define NWAYS (sizeof(ways) / sizeof(ways[0]))

static const char one_two[] = "pipe 1: from 1\npipe 2: from 2\n";
static const char two_one[] = "pipe 2: from 2\npipe 1: from 1\n";

/* The events of a trace file: everything after its header line. */
static char *
events_of(const char *path)
{
	char *ev = e2e_trace_events(path);

	assert_non_null(ev);
	return ev;
}

/* Check the events of op in trace path: each answer's ready list has
 * ret entries, descriptors of the pipes, and its clock a child's entry;
 * returns how many answered with something ready. */
static int
answers(const char *path, const char *op)
{
	json_t *tr = e2e_trace_load(path);
	int ready = 0, steps = 0;

	assert_non_null(tr);
	for (size_t k = 1; k < json_array_size(tr); k++) {
		json_t *e = json_array_get(tr, k), *args, *list;

		if (strcmp(json_string_value(json_object_get(e, "op")), op))
			continue;
		steps++;
		args = json_object_get(e, "args");
		list = json_object_get(args, "ready");
		assert_true(json_is_array(list));
		if (json_is_true(json_object_get(e, "blocked")))
			continue;
		assert_int_equal(json_integer_value(json_object_get(e, "ret")),
		                 json_array_size(list));
		for (size_t i = 0; i < json_array_size(list); i++)
			assert_true(json_integer_value(
			                    json_array_get(list, i)) >= 3);
		ready += json_array_size(list) > 0;
		/* What it found ready was written or closed by a child
		 * before: the answer has an edge from it. */
		if (json_array_size(list) > 0)
			assert_true(json_object_size(
			                    json_object_get(e, "vc")) >= 2);
	}
	assert_true(steps > 0);
	json_decref(tr);
	return ready;
}

/* Same seed, same trace bytes; a saved schedule replays (--strict) to
 * the same trace; output and exit status are the native run's (the order
 * natively is the kernel's: either). */
static void
test_poll_seed_replay(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"),
	     *rp = e2e_path(dir, "r.jsonl"), *sp = e2e_path(dir, "s.txt");
	const char *const rec[] = {
	        LOCKSTEP,          "run", "-q", "--seed",   "4", "--trace", tp,
	        "--save-schedule", sp,    "--", POLL_PIPES, NULL};
	const char *const rep[] = {
	        LOCKSTEP,  "run", "-q", "--strict", "--schedule", sp,
	        "--trace", rp,    "--", POLL_PIPES, NULL};
	const char *const native[] = {POLL_PIPES, NULL};

	(void)state;
	for (size_t i = 0; i < NWAYS; i++) {
		const char *const env[] = {ways[i].with, ways[i].mode, NULL};
		struct e2e_result r, n;
		char *a, *b;

		assert_int_equal(e2e_spawn(&n, POLL_PIPES, native, env, dir),
		                 0);
		assert_int_equal(n.status, 0);
		assert_true(strcmp(n.out, one_two) == 0 ||
		            strcmp(n.out, two_one) == 0);
		e2e_result_free(&n);
		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rec, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", ways[i].with, r.status,
			         r.err);
		assert_true(strcmp(r.out, one_two) == 0 ||
		            strcmp(r.out, two_one) == 0);
		e2e_result_free(&r);
		a = events_of(tp);
		/* Two lines and two ends of file: four answers at least (an
		 * edge-triggered wait may take a line and its end at once). */
		assert_true(answers(tp, ways[i].op) >=
		            (ways[i].mode && strcmp(ways[i].mode,
		                                    "EPOLL_MODE=et") == 0
		                     ? 2
		                     : 4));
		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rec, env, dir), 0);
		assert_int_equal(r.status, 0);
		e2e_result_free(&r);
		b = events_of(tp);
		assert_string_equal(a, b);
		free(b);
		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rep, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s replay: exit %d: %s", ways[i].with,
			         r.status, r.err);
		e2e_result_free(&r);
		b = events_of(rp);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	free(tp);
	free(rp);
	free(sp);
	e2e_rmtree(dir);
	free(dir);
}

/* explore finds both orders without failures, and each saved schedule
 * replays to its outcome. The ways marked full are explored to the end
 * (complete); the others for their first 60 runs of the depth-first
 * search, which is deterministic and reaches the second order at run 20
 * (a way whose wait is not a schedule decision finds one order only). */
static void
test_poll_explore(void **state)
{
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.txt");
	const char *const ex[] = {LOCKSTEP, "explore",  "--json",
	                          "--",     POLL_PIPES, NULL};
	const char *const ex60[] = {LOCKSTEP,     "explore", "--json",
	                            "--max-runs", "60",      "--",
	                            POLL_PIPES,   NULL};
	const char *const rep[] = {LOCKSTEP,   "run",        "-q",
	                           "--strict", "--schedule", sp,
	                           "--",       POLL_PIPES,   NULL};

	(void)state;
	for (size_t i = 0; i < NWAYS; i++) {
		const char *const env[] = {ways[i].with, ways[i].mode, NULL};
		int seen12 = 0, seen21 = 0;
		struct e2e_result r;
		json_error_t je;
		json_t *j, *outs;

		assert_int_equal(e2e_spawn(&r, LOCKSTEP,
		                           ways[i].full ? ex : ex60, env, dir),
		                 0);
		if (r.status != 0)
			fail_msg("%s explore: exit %d: %s", ways[i].with,
			         r.status, r.err);
		j = json_loads(r.out, 0, &je);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "complete")) ==
		            ways[i].full);
		assert_int_equal(
		        json_array_size(json_object_get(j, "failures")), 0);
		assert_int_equal(
		        json_array_size(json_object_get(j, "deadlocks")), 0);
		outs = json_object_get(j, "outcomes");
		for (size_t k = 0; k < json_array_size(outs); k++) {
			json_t *o = json_array_get(outs, k);
			const char *text = json_string_value(
			        json_object_get(o, "outcome"));
			int is12 = strstr(text, one_two) != NULL;
			int is21 = strstr(text, two_one) != NULL;
			struct e2e_result rr;
			FILE *f;

			assert_true(is12 != is21);
			seen12 |= is12;
			seen21 |= is21;
			f = fopen(sp, "w");
			assert_non_null(f);
			fputs(json_string_value(json_object_get(o, "schedule")),
			      f);
			fclose(f);
			assert_int_equal(
			        e2e_spawn(&rr, LOCKSTEP, rep, env, dir), 0);
			if (rr.status != 0)
				fail_msg("%s replay: exit %d: %s", ways[i].with,
				         rr.status, rr.err);
			assert_string_equal(rr.out, is12 ? one_two : two_one);
			e2e_result_free(&rr);
		}
		assert_true(seen12);
		assert_true(seen21);
		json_decref(j);
		e2e_result_free(&r);
	}
	free(sp);
	e2e_rmtree(dir);
	free(dir);
}

/* The children write after 1 s, the first wait gives up after 100 ms:
 * on the virtual clock, it times out at 100 ms, every time. */
static void
test_poll_timeout(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const rec[] = {LOCKSTEP,  "run", "-q", "--seed",   "7",
	                           "--trace", tp,    "--", POLL_PIPES, NULL};

	(void)state;
	for (size_t i = 0; i < NWAYS; i++) {
		const char *const env[] = {"DELAY_MS=1000", ways[i].with,
		                           ways[i].mode, NULL};
		struct e2e_result r;
		int timeouts = 0;
		json_t *tr;

		assert_int_equal(e2e_spawn(&r, LOCKSTEP, rec, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", ways[i].with, r.status,
			         r.err);
		assert_true(strncmp(r.out, "timed out\n", 10) == 0);
		assert_true(strcmp(r.out + 10, one_two) == 0 ||
		            strcmp(r.out + 10, two_one) == 0);
		e2e_result_free(&r);
		tr = e2e_trace_load(tp);
		assert_non_null(tr);
		for (size_t k = 1; k < json_array_size(tr); k++) {
			json_t *e = json_array_get(tr, k);

			if (strcmp(json_string_value(json_object_get(e, "op")),
			           ways[i].op) != 0 ||
			    json_is_true(json_object_get(e, "blocked")) ||
			    json_integer_value(json_object_get(e, "ret")) != 0)
				continue;
			assert_int_equal(
			        json_integer_value(json_object_get(e, "vt")),
			        100000000);
			timeouts++;
		}
		assert_int_equal(timeouts, 1);
		json_decref(tr);
	}
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* ppoll, pselect and epoll_pwait let SIGUSR1 through only in the call:
 * explore finds the two outcomes the kernel allows (interrupted in the
 * call; or ready first, the handler after the unblock) and no other. */
static void
test_poll_signal_mask(void **state)
{
	static const char *const with[] = {"WAIT_WITH=ppoll",
	                                   "WAIT_WITH=pselect",
	                                   "WAIT_WITH=epoll_pwait"};
	char *dir = e2e_tempdir();
	const char *const ex[] = {LOCKSTEP, "explore",    "--json",
	                          "--",     PPOLL_SIGNAL, NULL};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *const env[] = {with[i], NULL};
		int intr = 0, ready = 0;
		struct e2e_result r;
		json_error_t je;
		json_t *j, *outs;

		assert_int_equal(e2e_spawn(&r, LOCKSTEP, ex, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s explore: exit %d: %s", with[i], r.status,
			         r.err);
		j = json_loads(r.out, 0, &je);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "complete")));
		outs = json_object_get(j, "outcomes");
		for (size_t k = 0; k < json_array_size(outs); k++) {
			const char *text = json_string_value(json_object_get(
			        json_array_get(outs, k), "outcome"));

			assert_non_null(strstr(text, "after the unblock: "
			                             "handler ran\n"));
			intr += strstr(text, ": interrupted, handler ran in "
			                     "the call\n") != NULL;
			ready += strstr(text, ": ready, handler not yet\n") !=
			         NULL;
		}
		assert_int_equal(intr, 1);
		assert_int_equal(ready, 1);
		assert_int_equal(json_array_size(outs), 2);
		json_decref(j);
		e2e_result_free(&r);
	}
	e2e_rmtree(dir);
	free(dir);
}

/* A question asked at once, recorded on a pipe nobody touches, while a
 * child writes into the other: explore (with its reduction) finds both
 * answers, as it must see the call read every watched pipe. */
static void
test_poll_explore_all_watched(void **state)
{
	static const char *const with[] = {"WAIT_WITH=poll", "WAIT_WITH=ppoll",
	                                   "WAIT_WITH=select",
	                                   "WAIT_WITH=epoll"};
	char *dir = e2e_tempdir();
	const char *const ex[] = {LOCKSTEP, "explore", "--json",
	                          "--",     POLL_LATE, NULL};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		const char *const env[] = {with[i], NULL};
		int nothing = 0, second = 0;
		struct e2e_result r;
		json_error_t je;
		json_t *j, *outs;

		assert_int_equal(e2e_spawn(&r, LOCKSTEP, ex, env, dir), 0);
		if (r.status != 0)
			fail_msg("%s explore: exit %d: %s", with[i], r.status,
			         r.err);
		j = json_loads(r.out, 0, &je);
		assert_non_null(j);
		assert_true(json_is_true(json_object_get(j, "complete")));
		outs = json_object_get(j, "outcomes");
		for (size_t k = 0; k < json_array_size(outs); k++) {
			const char *text = json_string_value(json_object_get(
			        json_array_get(outs, k), "outcome"));

			nothing += strstr(text, "nothing ready\n") != NULL;
			second += strstr(text, "second ready\n") != NULL;
		}
		assert_int_equal(nothing, 1);
		assert_int_equal(second, 1);
		assert_int_equal(json_array_size(outs), 2);
		json_decref(j);
		e2e_result_free(&r);
	}
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_poll_seed_replay),
	        cmocka_unit_test(test_poll_explore),
	        cmocka_unit_test(test_poll_timeout),
	        cmocka_unit_test(test_poll_signal_mask),
	        cmocka_unit_test(test_poll_explore_all_watched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
