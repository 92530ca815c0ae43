/*
 * Threads as lanes: each thread of a program is scheduled like a
 * process, named by lineage (main/t1, ...), and its pthread calls are
 * steps. The programs give their native answers under run, explore
 * finds their interleavings without a false deadlock (and the real
 * deadlock of a lock-order inversion, naming the owners), and a seed or
 * a schedule gives the same trace bytes again (a program's schedule is
 * replayed with run --schedule).
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

/* The events of a trace file: everything after its header line. */
static char *
events_of(const char *path)
{
	char *ev = e2e_trace_events(path);

	assert_non_null(ev);
	return ev;
}

/* How many events of trace tr have operation op (and process proc, when
 * not NULL). */
static int
count_ops(json_t *tr, const char *op, const char *proc)
{
	int n = 0;

	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);

		if (strcmp(json_string_value(json_object_get(e, "op")), op) ==
		            0 &&
		    (proc == NULL ||
		     strcmp(json_string_value(json_object_get(e, "proc")),
		            proc) == 0))
			n++;
	}
	return n;
}

/* The counter of process proc in event e's vector clock (0 absent). */
static long long
vc_of(json_t *e, const char *proc)
{
	return json_integer_value(
	        json_object_get(json_object_get(e, "vc"), proc));
}

/* The first (last: last != 0) event of trace tr with operation op by
 * process proc, or NULL. */
static json_t *
find_event(json_t *tr, const char *op, const char *proc, int last)
{
	json_t *found = NULL;

	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);

		if (strcmp(json_string_value(json_object_get(e, "op")), op) ==
		            0 &&
		    strcmp(json_string_value(json_object_get(e, "proc")),
		           proc) == 0 &&
		    !json_is_true(json_object_get(e, "blocked"))) {
			found = e;
			if (!last)
				break;
		}
	}
	return found;
}

/* Four threads around a counter under sem_init(&m, 0, 1): 400, the
 * threads are lanes of their own in the trace, and nothing deadlocks. */
static void
test_threads_sem_counter(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *args[] = {"run", "--trace", tp, "--", SEM_COUNTER, NULL};
	struct e2e_result r;
	json_t *tr, *procs;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "| counter=400"));
	/* Lanes are threads, not processes, in the summary. */
	assert_non_null(strstr(r.out, ", 1 process and 4 threads, "));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	procs = json_object_get(json_array_get(tr, 0), "procs");
	assert_int_equal(json_array_size(procs), 5);
	for (size_t i = 1; i < 5; i++) {
		json_t *p = json_array_get(procs, i);
		char want[16];

		snprintf(want, sizeof(want), "main/t%zu", i);
		assert_string_equal(
		        json_string_value(json_object_get(p, "name")), want);
		assert_true(json_is_true(json_object_get(p, "thread")));
		assert_string_equal(
		        json_string_value(json_object_get(p, "parent")),
		        "main");
		/* Each adds 100 times: 100 waits and 100 posts. */
		assert_int_equal(count_ops(tr, "sem_wait", want) -
		                         count_ops(tr, "sem_post", want),
		                 0);
		assert_int_equal(count_ops(tr, "sem_post", want), 100);
		assert_int_equal(count_ops(tr, "start", want), 1);
		assert_int_equal(count_ops(tr, "pthread_exit", want), 1);
	}
	assert_int_equal(count_ops(tr, "pthread_create", "main"), 4);
	/* Happens-before: main/t1's creation before its start, its end
	 * before main's join of it. */
	{
		json_t *create = find_event(tr, "pthread_create", "main", 0);
		json_t *start = find_event(tr, "start", "main/t1", 0);
		json_t *end = find_event(tr, "pthread_exit", "main/t1", 0);
		json_t *join = find_event(tr, "pthread_join", "main", 0);

		assert_non_null(create);
		assert_non_null(start);
		assert_non_null(end);
		assert_non_null(join);
		assert_true(vc_of(start, "main") >= vc_of(create, "main"));
		assert_true(vc_of(join, "main/t1") >= vc_of(end, "main/t1"));
	}
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(tr, 0), "verdict")),
	                    "done");
	json_decref(tr);
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(tp);
	free(dir);
}

/* The same seed twice: the same trace bytes (after the header), and the
 * run's schedule replays to them too. */
static void
test_threads_same_seed_same_trace(void **state)
{
	char *dir = e2e_tempdir(), *a = e2e_path(dir, "a.jsonl"),
	     *b = e2e_path(dir, "b.jsonl"), *c = e2e_path(dir, "c.jsonl"),
	     *s = e2e_path(dir, "s.sched");
	const char *run_a[] = {"run", "--strategy", "random", "--seed",
	                       "11",  "--trace",    a,        "--save-schedule",
	                       s,     "--",         PRODCONS, "4",
	                       NULL};
	const char *run_b[] = {"run",    "--strategy", "random", "--seed",
	                       "11",     "--trace",    b,        "--",
	                       PRODCONS, "4",          NULL};
	const char *rep[] = {"run", "--schedule", s,   "--strict", "--trace", c,
	                     "--",  PRODCONS,     "4", NULL};
	struct e2e_result r;
	char *ea, *eb, *ec;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, run_a), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "| got 1\n  | got 2\n  | got 3\n"
	                              "  | got 4\n"));
	e2e_result_free(&r);
	assert_int_equal(e2e_lockstep(&r, run_b), 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	assert_int_equal(e2e_lockstep(&r, rep), 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	ea = events_of(a);
	eb = events_of(b);
	ec = events_of(c);
	assert_string_equal(ea, eb);
	assert_string_equal(ea, ec);
	assert_non_null(strstr(ea, "\"op\":\"pthread_cond_wait\""));
	/* An unlock happens before the next lock by the other thread. */
	{
		json_t *tr = e2e_trace_load(a);
		json_t *unlock = NULL;

		assert_non_null(tr);
		for (size_t i = 1; i < json_array_size(tr); i++) {
			json_t *e = json_array_get(tr, i);
			const char *op =
			        json_string_value(json_object_get(e, "op"));
			const char *pr =
			        json_string_value(json_object_get(e, "proc"));

			if (strcmp(op, "pthread_mutex_unlock") == 0) {
				unlock = e;
			} else if (strcmp(op, "pthread_mutex_lock") == 0 &&
			           unlock != NULL &&
			           !json_is_true(
			                   json_object_get(e, "blocked")) &&
			           strcmp(pr, json_string_value(json_object_get(
			                              unlock, "proc"))) != 0) {
				const char *up = json_string_value(
				        json_object_get(unlock, "proc"));

				assert_true(vc_of(e, up) >= vc_of(unlock, up));
			}
		}
		json_decref(tr);
	}
	free(ea);
	free(eb);
	free(ec);
	e2e_rmtree(dir);
	free(a);
	free(b);
	free(c);
	free(s);
	free(dir);
}

/* explore of the producer and consumer: several interleavings, one
 * outcome (the items in order), no deadlock, and every outcome's
 * schedule replays to a run with that outcome. */
static void
test_threads_prodcons_explore(void **state)
{
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.sched");
	const char *args[] = {"explore", "--json", "--", PRODCONS, "2", NULL};
	const char *rep[] = {"run", "--schedule", sp,  "--strict",
	                     "--",  PRODCONS,     "2", NULL};
	struct e2e_result r;
	json_t *j, *outs;
	FILE *f;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "runs")) > 1);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 0);
	outs = json_object_get(j, "outcomes");
	assert_int_equal(json_array_size(outs), 1);
	assert_non_null(strstr(json_string_value(json_object_get(
	                               json_array_get(outs, 0), "outcome")),
	                       "got 1\ngot 2\n"));
	f = fopen(sp, "w");
	assert_non_null(f);
	fputs(json_string_value(
	              json_object_get(json_array_get(outs, 0), "schedule")),
	      f);
	fclose(f);
	json_decref(j);
	e2e_result_free(&r);
	assert_int_equal(e2e_lockstep(&r, rep), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "| got 2"));
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(sp);
	free(dir);
}

/* Two threads take two mutexes in opposite orders: explore finds the
 * deadlock (exit 3), and the explanation names the owner of each. */
/* The diagram's caption of the deadlock names the join's thread and the
 * mutexes' owners, as the terminal does (seed 1 deadlocks). */
static void
lock_order_diagram(void)
{
	char *dir = e2e_tempdir(), *dot, *text;
	struct e2e_result r;

	assert_non_null(dir);
	dot = e2e_path(dir, "d.dot");
	{
		const char *args[] = {"run",       "-q",     "--strategy",
		                      "random",    "--seed", "1",
		                      "--diagram", dot,      "--",
		                      LOCK_ORDER,  NULL};

		assert_int_equal(e2e_lockstep(&r, args), 0);
	}
	assert_int_equal(r.status, 3);
	e2e_result_free(&r);
	text = e2e_read_file(dot, NULL);
	assert_non_null(text);
	if (strstr(text, "main waits for main/t1 to end") == NULL ||
	    strstr(text, "main/t1 waits for mutex mutex2, held by main/t2") ==
	            NULL ||
	    strstr(text, "main/t2 waits for mutex mutex1, held by main/t1") ==
	            NULL)
		fail_msg("the diagram's caption:\n%s", text);
	free(text);
	e2e_rmtree(dir);
	free(dir);
	free(dot);
}

static void
test_threads_lock_order_deadlock(void **state)
{
	const char *args[] = {"explore", "--json", "--", LOCK_ORDER, NULL};
	struct e2e_result r;
	const char *why = NULL;
	json_t *j, *outs;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 3);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_array_size(json_object_get(j, "deadlocks")) >= 1);
	outs = json_object_get(j, "outcomes");
	for (size_t i = 0; i < json_array_size(outs); i++) {
		json_t *o = json_array_get(outs, i);

		if (strcmp(json_string_value(json_object_get(o, "verdict")),
		           "deadlock") == 0)
			why = json_string_value(json_object_get(o, "explain"));
	}
	assert_non_null(why);
	assert_non_null(strstr(why, "main/t1 waits for mutex "));
	assert_non_null(strstr(why, ", held by main/t2, which waits for "
	                            "mutex "));
	assert_non_null(strstr(why, ", held by main/t1"));
	assert_non_null(strstr(why, "wait-for cycle: main/t"));
	json_decref(j);
	e2e_result_free(&r);
	lock_order_diagram();
}

/* The mutex types answer as glibc does, and the timed waits time out on
 * the virtual clock: 3 virtual seconds, no 3 s of wall time. */
static void
test_threads_mutex_kinds(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *args[] = {"run", "--trace", tp, "--", MUTEX_KINDS, NULL};
	struct e2e_result r;
	json_t *tr;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "| lock again: EDEADLK\n"));
	assert_non_null(strstr(r.out, "| recursive: 0 0\n"));
	assert_non_null(strstr(r.out, "| unlock by another: EPERM\n"));
	assert_non_null(strstr(r.out, "| trylock held: EBUSY\n"));
	assert_non_null(strstr(r.out, "| timedlock: ETIMEDOUT\n"));
	assert_non_null(strstr(r.out, "| timedwait: ETIMEDOUT\n"));
	assert_non_null(strstr(r.out, "| waited 3s\n"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(tr, 0), "vt_end")),
	                 3000000000LL);
	json_decref(tr);
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(tp);
	free(dir);
}

/* A thread given the pthread_t of one joined before it is itself: its
 * detach names it (main/t2), not the lane that had the value first. */
static void
test_threads_reused_descriptor(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *args[] = {"run", "--trace", tp, "--", THREAD_REUSE, NULL};
	struct e2e_result r;
	json_t *tr, *d;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	/* Not a test of lockstep if glibc did not reuse it. */
	assert_non_null(strstr(r.out, "| reused yes\n"));
	assert_non_null(strstr(r.out, "| done\n"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	d = find_event(tr, "pthread_detach", "main", 0);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(
	                            json_object_get(d, "args"), "thread")),
	                    "main/t2");
	json_decref(tr);
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(tp);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_threads_sem_counter),
	        cmocka_unit_test(test_threads_same_seed_same_trace),
	        cmocka_unit_test(test_threads_prodcons_explore),
	        cmocka_unit_test(test_threads_lock_order_deadlock),
	        cmocka_unit_test(test_threads_mutex_kinds),
	        cmocka_unit_test(test_threads_reused_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
