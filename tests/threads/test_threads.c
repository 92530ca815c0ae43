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

/* Program prog (argument arg, NULL none) natively, then under run -q
 * with the random strategy and each seed of seeds: the same output
 * every time; the native output is returned (to free). */
static char *
same_as_native(const char *prog, const char *arg, const char *const *seeds)
{
	const char *argv[] = {prog, arg, NULL};
	struct e2e_result r;
	char *native;

	assert_int_equal(e2e_spawn(&r, prog, argv, NULL, NULL), 0);
	assert_int_equal(r.status, 0);
	native = strdup(r.out);
	e2e_result_free(&r);
	for (; *seeds != NULL; seeds++) {
		const char *args[] = {"run",    "-q",   "--strategy", "random",
		                      "--seed", *seeds, "--",         prog,
		                      arg,      NULL};

		assert_int_equal(e2e_lockstep(&r, args), 0);
		assert_int_equal(r.status, 0);
		if (strcmp(r.out, native) != 0)
			fail_msg("seed %s:\n%s\nnatively:\n%s", *seeds, r.out,
			         native);
		e2e_result_free(&r);
	}
	return native;
}

/* Two runs with the same seed: the same trace bytes; the trace of the
 * first is returned (to free), with its path in *path (to free). */
static json_t *
same_seed_twice(const char *prog, const char *arg, const char *seed,
                char **dirp)
{
	char *dir = e2e_tempdir(), *a = e2e_path(dir, "a.jsonl"),
	     *b = e2e_path(dir, "b.jsonl"), *ea, *eb;
	const char *run_a[] = {"run", "--strategy", "random", "--seed",
	                       seed,  "--trace",    a,        "--",
	                       prog,  arg,          NULL};
	const char *run_b[] = {"run", "--strategy", "random", "--seed",
	                       seed,  "--trace",    b,        "--",
	                       prog,  arg,          NULL};
	struct e2e_result r;
	json_t *tr;

	assert_int_equal(e2e_lockstep(&r, run_a), 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	assert_int_equal(e2e_lockstep(&r, run_b), 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	ea = events_of(a);
	eb = events_of(b);
	assert_string_equal(ea, eb);
	tr = e2e_trace_load(a);
	assert_non_null(tr);
	free(ea);
	free(eb);
	free(a);
	free(b);
	*dirp = dir;
	return tr;
}

/* The string arg key of event e's args, "" absent. */
static const char *
arg_of(json_t *e, const char *key)
{
	json_t *v = json_object_get(json_object_get(e, "args"), key);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* Read-write locks answer as glibc does, natively and under lockstep,
 * process-shared too; with a seed where the child's read lock waits
 * for the parent's write unlock, the unlock happens before it. */
static void
test_threads_rwlock_kinds(void **state)
{
	const char *const seeds[] = {"1", "2", "5", NULL};
	char *native, *dir;
	json_t *tr, *unlock = NULL, *lock = NULL;
	int blocked = 0;

	(void)state;
	native = same_as_native(RWLOCK, "kinds", seeds);
	assert_non_null(strstr(native, "tryrdlock while read-held: 0\n"
	                               "trywrlock while read-held: EBUSY\n"
	                               "timedwrlock while read-held: "
	                               "ETIMEDOUT\n"));
	assert_non_null(strstr(native, "rdlock by the writer: EDEADLK\n"
	                               "wrlock by the writer: EDEADLK\n"
	                               "tryrdlock by the writer: EBUSY\n"));
	assert_non_null(strstr(native, "child read 42\n"));
	free(native);
	/* Seed 1: main.1's read lock blocks until main's write unlock. */
	tr = same_seed_twice(RWLOCK, "kinds", "1", &dir);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *pr = json_string_value(json_object_get(e, "proc"));

		if (strcmp(pr, "main") == 0 &&
		    strcmp(op, "pthread_rwlock_unlock") == 0 &&
		    strcmp(arg_of(e, "mode"), "write") == 0)
			unlock = e;
		if (strcmp(pr, "main.1") == 0 &&
		    strcmp(op, "pthread_rwlock_rdlock") == 0) {
			if (json_is_true(json_object_get(e, "blocked")))
				blocked = 1;
			else
				lock = e;
		}
	}
	assert_true(blocked);
	assert_non_null(unlock);
	assert_non_null(lock);
	assert_string_equal(arg_of(lock, "mode"), "read");
	assert_true(vc_of(lock, "main") >= vc_of(unlock, "main"));
	json_decref(tr);
	e2e_rmtree(dir);
	free(dir);
}

/* Two writers and a reader (main): explore finds which gets the lock
 * first, every order (five things the reader can see) within its first
 * 100 runs (the search is depth-first, the same every time), no
 * deadlock. */
static void
test_threads_rwlock_race(void **state)
{
	const char *args[] = {"explore", "--json", "--max-runs", "100",
	                      "--",      RWLOCK,   "race",       NULL};
	const char *const want[] = {"reader saw ''\n",   "reader saw 'A'\n",
	                            "reader saw 'B'\n",  "reader saw 'AB'\n",
	                            "reader saw 'BA'\n", "in order AB\n",
	                            "in order BA\n"};
	struct e2e_result r;
	json_t *j, *outs;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 0);
	outs = json_object_get(j, "outcomes");
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int found = 0;

		for (size_t i = 0; i < json_array_size(outs); i++)
			found |= strstr(json_string_value(json_object_get(
			                        json_array_get(outs, i),
			                        "outcome")),
			                want[k]) != NULL;
		if (!found)
			fail_msg("no outcome with %s", want[k]);
	}
	json_decref(j);
	e2e_result_free(&r);
}

/* Write lock then mutex against mutex then read lock: explore finds
 * the deadlock (exit 3) and names the holders. */
static void
test_threads_rwlock_deadlock(void **state)
{
	const char *args[] = {"explore", "--json",   "--",
	                      RWLOCK,    "deadlock", NULL};
	struct e2e_result r;
	const char *why = NULL;
	json_t *j, *outs;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 3);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	outs = json_object_get(j, "outcomes");
	for (size_t i = 0; i < json_array_size(outs); i++) {
		json_t *o = json_array_get(outs, i);

		if (strcmp(json_string_value(json_object_get(o, "verdict")),
		           "deadlock") == 0)
			why = json_string_value(json_object_get(o, "explain"));
	}
	assert_non_null(why);
	if (strstr(why, "main/t2 waits for rwlock rwlock1 (read), "
	                "write-held by main/t1, which waits for mutex "
	                "mutex1, held by main/t2") == NULL ||
	    strstr(why, "wait-for cycle: main/t") == NULL)
		fail_msg("explanation:\n%s", why);
	json_decref(j);
	e2e_result_free(&r);
}

/* `lockstep ARGS` (an explore --json) that exits 0 with no deadlock:
 * its summary, for the caller to check further and free. */
static json_t *
explore_clean(const char **args)
{
	struct e2e_result r;
	json_t *j;

	assert_int_equal(e2e_lockstep(&r, args), 0);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 0);
	e2e_result_free(&r);
	return j;
}

/* A barrier: the native answer under run; in the trace one serial
 * waiter per round (the last arriver) and every arrival of a round
 * before every departure of it; explore finds no deadlock and one
 * outcome. */
static void
test_threads_barrier(void **state)
{
	const char *const seeds[] = {"1", "3", NULL};
	const char *args[] = {"explore", "--json", "--", BARRIER, NULL};
	char *native, *dir;
	json_t *tr, *j;
	int serials = 0, rounds = 0;

	(void)state;
	native = same_as_native(BARRIER, NULL, seeds);
	assert_string_equal(native, "round 1: 1 serial\nround 2: 1 serial\n"
	                            "marks missed: 0\ndestroy: 0\n");
	free(native);
	tr = same_seed_twice(BARRIER, NULL, "4", &dir);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		json_t *a = json_object_get(e, "args");

		if (strcmp(json_string_value(json_object_get(e, "op")),
		           "pthread_barrier_wait") != 0)
			continue;
		if (json_is_true(json_object_get(a, "serial"))) {
			serials++;
			/* The last arriver: no departure of its round by
			 * another lane came before it. */
			assert_true(json_is_true(json_object_get(a, "arrive")));
		}
		/* A departure: after every arrival of its round: the latest
		 * release (serial) and the arrivals before it, back to the
		 * release of the round before. */
		if (!json_is_true(json_object_get(a, "arrive")) &&
		    !json_is_true(json_object_get(e, "blocked"))) {
			int in_round = 0;

			for (size_t k = i; k-- > 1;) {
				json_t *f = json_array_get(tr, k);
				json_t *fa = json_object_get(f, "args");
				const char *fp;

				if (strcmp(json_string_value(
				                   json_object_get(f, "op")),
				           "pthread_barrier_wait") != 0 ||
				    !json_is_true(
				            json_object_get(fa, "arrive")))
					continue;
				if (json_is_true(
				            json_object_get(fa, "serial"))) {
					if (in_round)
						break;
					in_round = 1;
				}
				if (!in_round)
					continue;
				fp = json_string_value(
				        json_object_get(f, "proc"));
				assert_true(vc_of(e, fp) >= vc_of(f, fp));
			}
			rounds++;
		}
	}
	/* Two barrier waits a round, two rounds, three threads: 4
	 * releases; 2 departures each. */
	assert_int_equal(serials, 4);
	assert_int_equal(rounds, 8);
	json_decref(tr);
	e2e_rmtree(dir);
	free(dir);
	j = explore_clean(args);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 1);
	json_decref(j);
}

/* A barrier that one thread short of its count never releases: a
 * deadlock (exit 3) that says how many arrived. A process-shared
 * barrier between two processes: the native answer under run, whoever
 * arrives first; explore: one outcome, no deadlock, more than one run
 * (the arrivals are a race). */
static void
test_threads_barrier_shared(void **state)
{
	const char *const seeds[] = {"1", "2", "3", NULL};
	const char *args[] = {"explore", "--json", "--",
	                      BARRIER,   "shared", NULL};
	struct e2e_result r;
	const char *short_args[] = {"run", "--", BARRIER, "short", NULL};
	char *native;
	json_t *j;

	(void)state;
	assert_int_equal(e2e_lockstep(&r, short_args), 0);
	assert_int_equal(r.status, 3);
	if (strstr(r.out, "main waits for barrier barrier1 (2 of 3 arrived), "
	                  "and no other lane arrives\n") == NULL)
		fail_msg("%s", r.out);
	e2e_result_free(&r);
	native = same_as_native(BARRIER, "shared", seeds);
	assert_string_equal(native, "parent sees 5\nchild exit 0\n");
	free(native);
	j = explore_clean(args);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_true(json_integer_value(json_object_get(j, "runs")) > 1);
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 1);
	json_decref(j);
}

/* Spinlocks and pthread_once: the native answer; the caller that waited
 * for the routine returns after it, by happens-before; explore finds no
 * deadlock and one outcome. */
static void
test_threads_spin_once(void **state)
{
	const char *const seeds[] = {"1", "2", NULL};
	const char *args[] = {"explore", "--json",  "--max-runs", "40",
	                      "--",      SPIN_ONCE, NULL};
	char *native, *dir;
	json_t *tr, *end = NULL, *j;
	int waited = 0;

	(void)state;
	native = same_as_native(SPIN_ONCE, NULL, seeds);
	assert_string_equal(native, "counter=10 ran=1 seen=7,7\n"
	                            "trylock free: 0\ntrylock held: 1\n");
	free(native);
	/* Seed 1: main/t2 calls while main/t1 runs the routine. */
	tr = same_seed_twice(SPIN_ONCE, NULL, "1", &dir);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);

		if (strcmp(json_string_value(json_object_get(e, "op")),
		           "pthread_once") != 0)
			continue;
		if (strcmp(arg_of(e, "run"), "end") == 0)
			end = e;
		else if (json_is_true(json_object_get(e, "blocked")))
			waited = 1;
		else if (arg_of(e, "run")[0] == '\0' && waited) {
			const char *ep =
			        json_string_value(json_object_get(end, "proc"));

			assert_non_null(end);
			assert_true(vc_of(e, ep) >= vc_of(end, ep));
			waited = 2;
		}
	}
	assert_int_equal(waited, 2);
	assert_true(count_ops(tr, "pthread_spin_lock", NULL) >= 10);
	json_decref(tr);
	e2e_rmtree(dir);
	free(dir);
	j = explore_clean(args);
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 1);
	json_decref(j);
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
	        cmocka_unit_test(test_threads_rwlock_kinds),
	        cmocka_unit_test(test_threads_rwlock_race),
	        cmocka_unit_test(test_threads_rwlock_deadlock),
	        cmocka_unit_test(test_threads_barrier),
	        cmocka_unit_test(test_threads_barrier_shared),
	        cmocka_unit_test(test_threads_spin_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
