/*
 * Threads in scenarios, end to end (scenarios/lecture/bounded-buffer.xml,
 * bounded-buffer-if.xml, lock-order.xml): the exit status, the trace's
 * lanes (PROCESS/THREAD, marked as threads) and objects (the mutexes and
 * condition variables under their declared names), the deadlock
 * explained with the owners, the same trace bytes for the same seed, a
 * saved schedule replayed, explore's outcomes, and nothing left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "e2e.h"

#define BUFFER   "scenarios/lecture/bounded-buffer.xml"
#define BUFFERIF "scenarios/lecture/bounded-buffer-if.xml"
#define ORDER    "scenarios/lecture/lock-order.xml"

static void
expect_exit(const struct e2e_result *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d\nstdout:\n%.3000s\nstderr:\n"
		         "%.3000s",
		         r->status, status, r->out, r->err);
}

/* The header's entry called name in list ("objects" or "procs"). */
static json_t *
header_entry(json_t *trace, const char *list, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(trace, 0), list), i,
	                   o)
	{
		if (strcmp(json_string_value(json_object_get(o, "name")),
		           name) == 0)
			return o;
	}
	fail_msg("no %s entry %s in the trace's header", list, name);
	return NULL;
}

/* How many events of proc have op on obj (any object: NULL). */
static int
count_events(json_t *trace, const char *proc, const char *op, const char *obj)
{
	json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(trace, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "proc"));
		const char *o = json_string_value(json_object_get(e, "op"));
		const char *b = json_string_value(json_object_get(e, "obj"));

		if (i > 0 && p != NULL && o != NULL && strcmp(p, proc) == 0 &&
		    strcmp(o, op) == 0 &&
		    (obj == NULL || (b != NULL && strcmp(b, obj) == 0)))
			n++;
	}
	return n;
}

/* The bounded buffer: done, the three thread lanes under their declared
 * names, the mutex and conditions under theirs, each consumer's lock,
 * test and wait steps, and the act of each step. */
static void
test_threadxml_buffer_run(void **state)
{
	char *dir = e2e_tempdir(), *tp;
	struct e2e_result r;
	json_t *t, *p;
	const char *const lanes[] = {"main/producer", "main/c1", "main/c2"};

	(void)state;
	assert_non_null(dir);
	tp = e2e_path(dir, "t.jsonl");
	E2E_LOCKSTEP(&r, "run", "-q", "--trace", tp, BUFFER);
	expect_exit(&r, 0);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	t = e2e_trace_load(tp);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(t, 0), "verdict")),
	                    "done");
	for (size_t i = 0; i < 3; i++) {
		p = header_entry(t, "procs", lanes[i]);
		assert_true(json_is_true(json_object_get(p, "thread")));
		/* the agent's start routine is not the scenario's */
		assert_null(json_object_get(p, "routine"));
		assert_int_equal(count_events(t, lanes[i], "start", NULL), 1);
		assert_true(count_events(t, lanes[i], "pthread_mutex_lock",
		                         "m") >= 1);
		assert_true(count_events(t, lanes[i], "pthread_mutex_unlock",
		                         "m") >= 1);
	}
	assert_string_equal(json_string_value(json_object_get(
	                            header_entry(t, "objects", "m"), "type")),
	                    "mutex");
	assert_string_equal(
	        json_string_value(json_object_get(
	                header_entry(t, "objects", "not_empty"), "type")),
	        "cond");
	assert_int_equal(count_events(t, "main", "pthread_create", NULL), 3);
	assert_int_equal(count_events(t, "main", "pthread_join", NULL) >= 3, 1);
	assert_int_equal(count_events(t, "main/producer", "pthread_cond_signal",
	                              "not_empty"),
	                 2);
	assert_int_equal(
	        count_events(t, "main/c1", "pthread_cond_signal", "not_full"),
	        1);
	json_decref(t);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* The same seed twice: the same trace bytes; the run's schedule replayed
 * gives that trace again. */
static void
test_threadxml_seed_and_replay(void **state)
{
	const char *const args[] = {"--strategy", "random", "--seed",
	                            "7",          BUFFER,   NULL};
	char *dir = e2e_tempdir(), why[2300];

	(void)state;
	assert_non_null(dir);
	if (e2e_same_trace_thrice(dir, args, 0, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	e2e_rmtree(dir);
	free(dir);
}

/* With if= instead of while=: random runs find the consumer that takes
 * from an empty buffer (exit 1); the saved schedule replays it, the
 * expectation failing again. With while=: no failure in as many runs. */
static void
test_threadxml_buffer_if(void **state)
{
	char *dir = e2e_tempdir(), *sched;
	struct e2e_result r;

	(void)state;
	assert_non_null(dir);
	sched = e2e_path(dir, "fail.sched");
	E2E_LOCKSTEP(&r, "explore", "-q", "--strategy", "random", "--runs",
	             "60", "--save-schedule", sched, BUFFERIF);
	expect_exit(&r, 1);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "replay", sched);
	expect_exit(&r, 1);
	if (strstr(r.out, "took an item, count was 0") == NULL ||
	    strstr(r.out, "FAIL output matches /count was 0/ (never)") == NULL)
		fail_msg("replay:\n%s", r.out);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", "-q", "--strategy", "random", "--runs",
	             "60", BUFFER);
	expect_exit(&r, 0);
	e2e_result_free(&r);
	free(sched);
	e2e_rmtree(dir);
	free(dir);
}

/* Opposite lock orders: explore (dfs, complete) finds the deadlock among
 * the outcomes, exit 3, explained with the owners of the mutexes. */
static void
test_threadxml_lock_order(void **state)
{
	struct e2e_result r;
	json_t *j;
	const char *why;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--json", "-q", ORDER);
	expect_exit(&r, 3);
	assert_int_equal(r.leftovers, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 47);
	/* t1 first, t2 first, or the deadlock */
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 3);
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 1);
	why = json_string_value(json_object_get(
	        json_array_get(json_object_get(j, "deadlocks"), 0), "explain"));
	if (why == NULL ||
	    strstr(why, "main/t1 waits for mutex n, held by main/t2, which "
	                "waits for mutex m, held by main/t1") == NULL)
		fail_msg("explanation:\n%s", why ? why : "(none)");
	json_decref(j);
	e2e_result_free(&r);
}

/* A barrier of two: the main thread and a thread meet at it, so what each
 * printed before it comes before what the other prints after it (the
 * first print of each text, in any process); two
 * processes declaring the same mutex each get their own (the second
 * named m#2). */
static void
test_threadxml_barrier_and_processes(void **state)
{
	static const char xml[] =
	        "<scenario name=\"meet\" version=\"1\">\n"
	        "  <barrier name=\"b\" count=\"2\"/>\n"
	        "  <mutex name=\"m\"/>\n"
	        "  <process name=\"P\" count=\"2\">\n"
	        "    <thread name=\"t\">\n"
	        "      <print>t before</print>\n"
	        "      <barrier-wait barrier=\"b\"/>\n"
	        "      <lock mutex=\"m\"/>\n"
	        "      <print>t after</print>\n"
	        "      <unlock mutex=\"m\"/>\n"
	        "    </thread>\n"
	        "    <start thread=\"t\"/>\n"
	        "    <print>main before</print>\n"
	        "    <barrier-wait barrier=\"b\"/>\n"
	        "    <lock mutex=\"m\"/>\n"
	        "    <print>main after</print>\n"
	        "    <unlock mutex=\"m\"/>\n"
	        "    <join thread=\"t\"/>\n"
	        "  </process>\n"
	        "  <expect>\n"
	        "    <before first=\"t before\" then=\"main after\"/>\n"
	        "    <before first=\"main before\" then=\"t after\"/>\n"
	        "  </expect>\n"
	        "</scenario>\n";
	char *dir = e2e_tempdir(), *file, *tp;
	struct e2e_result r;
	json_t *t;

	(void)state;
	assert_non_null(dir);
	file = e2e_write_file(dir, "meet.xml", xml);
	assert_non_null(file);
	tp = e2e_path(dir, "t.jsonl");
	E2E_LOCKSTEP(&r, "run", "-q", "--strategy", "random", "--seed", "3",
	             "--trace", tp, file);
	expect_exit(&r, 0);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	t = e2e_trace_load(tp);
	assert_non_null(t);
	/* Each process's lanes meet at its own barrier and lock its own
	 * mutex: the first process to make a thread has the declared
	 * names, the other b#2 and m#2. */
	{
		int first =
		        count_events(t, "P.1", "pthread_barrier_wait", "b") > 0;
		const char *b1 = first ? "b" : "b#2", *b2 = first ? "b#2" : "b";
		const char *m1 = first ? "m" : "m#2", *m2 = first ? "m#2" : "m";

		assert_true(count_events(t, "P.1", "pthread_barrier_wait",
		                         b1) >= 1);
		assert_true(count_events(t, "P.1/t", "pthread_barrier_wait",
		                         b1) >= 1);
		assert_true(count_events(t, "P.2", "pthread_barrier_wait",
		                         b2) >= 1);
		assert_true(count_events(t, "P.2/t", "pthread_barrier_wait",
		                         b2) >= 1);
		assert_int_equal(
		        count_events(t, "P.1/t", "pthread_barrier_wait", b2),
		        0);
		assert_true(count_events(t, "P.1", "pthread_mutex_lock", m1) >=
		            1);
		assert_true(count_events(t, "P.2/t", "pthread_mutex_lock",
		                         m2) >= 1);
	}
	json_decref(t);
	E2E_LOCKSTEP(&r, "explore", "-q", "--strategy", "random", "--runs",
	             "20", file);
	expect_exit(&r, 0);
	e2e_result_free(&r);
	free(tp);
	free(file);
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_threadxml_buffer_run),
	        cmocka_unit_test(test_threadxml_seed_and_replay),
	        cmocka_unit_test(test_threadxml_buffer_if),
	        cmocka_unit_test(test_threadxml_lock_order),
	        cmocka_unit_test(test_threadxml_barrier_and_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
