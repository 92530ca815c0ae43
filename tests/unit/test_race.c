/* Unit tests of the data-race analysis: cells and file bytes, what
 * happens-before orders (post/wait, fork/start, exit/waitpid), what is
 * ignored, and the key and text of a race; races on file-system names. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/stop.h"
#include "trace/race.h"
#include "trace/trace.h"

enum { SEM, COUNTER, OUT };

/* A trace of processes A, B, C and objects s0 (a semaphore), counter (a
 * cell) and out (a file). */
static struct lk_trace *
make_trace(size_t nprocs)
{
	struct lk_trace *t = lk_trace_new();
	static const char *const names[] = {"A", "B", "C"};

	t->scenario = strdup("t");
	t->file = strdup("t.xml");
	t->nprocs = nprocs;
	t->procs = calloc(nprocs, sizeof(*t->procs));
	for (size_t i = 0; i < nprocs; i++) {
		strcpy(t->procs[i].name, names[i]);
		t->procs[i].parent = -1;
		t->procs[i].blocked_on = -1;
	}
	t->nobjs = 3;
	t->objs = calloc(3, sizeof(*t->objs));
	strcpy(t->objs[SEM].name, "s0");
	t->objs[SEM].type = LK_OT_SEM_NAMED;
	strcpy(t->objs[COUNTER].name, "counter");
	t->objs[COUNTER].type = LK_OT_CELL;
	strcpy(t->objs[OUT].name, "out");
	t->objs[OUT].type = LK_OT_FILE;
	t->ev = calloc(64, sizeof(*t->ev));
	return t;
}

/* Append an event at XML line src. */
static struct lk_tev *
add(struct lk_trace *t, int proc, int op, int obj, int64_t ret, uint32_t src)
{
	struct lk_tev *e = &t->ev[t->nevents];

	e->step = (uint32_t)t->nevents++;
	e->proc = proc;
	e->op = op;
	e->obj = obj;
	e->ret = ret;
	e->src = src;
	return e;
}

/* Append a read or write of len bytes of out at off. */
static struct lk_tev *
add_io(struct lk_trace *t, int proc, int op, int64_t off, int64_t len)
{
	struct lk_tev *e = add(t, proc, op, OUT, len, 0);

	e->u.rw.off = off;
	return e;
}

/* The number of races of t (all pairs, or one per key). */
static size_t
count(struct lk_trace *t, int unique)
{
	struct lk_race *r;
	size_t n;

	assert_int_equal(lk_race_find(t, unique, &r, &n), 0);
	free(r);
	return n;
}

/* Two unsynchronised stores by different processes: one race, told in
 * words with both lines and steps. */
static void
test_race_two_stores(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	char buf[LK_RACE_TEXT_MAX];
	size_t n;

	(void)state;
	add(t, 0, LK_OP_LOAD, COUNTER, 0, 12);  /* 0 */
	add(t, 0, LK_OP_STORE, COUNTER, 1, 14); /* 1 */
	add(t, 1, LK_OP_STORE, COUNTER, 1, 14); /* 2 */
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].a, 0);
	assert_int_equal(r[0].b, 2);
	assert_int_equal(r[0].obj, COUNTER);
	assert_int_equal(r[1].a, 1);
	assert_int_equal(r[1].b, 2);
	lk_race_format(t, &r[0], buf, sizeof(buf));
	assert_string_equal(buf, "race on cell counter: load by A (line 12, "
	                         "step 0) and store by B (line 14, step 2), "
	                         "not ordered by happens-before");
	lk_race_key(t, &r[1], buf, sizeof(buf));
	assert_string_equal(buf, "counter\tA store 14\tB store 14");
	free(r);
	lk_trace_free(t);
}

/* A post and the wait it enables order the stores: no race. */
static void
test_race_post_wait_orders(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 1, LK_OP_SEM_WAIT, SEM, -1, 0)->blocked = 1;
	add(t, 0, LK_OP_STORE, COUNTER, 1, 5);
	add(t, 0, LK_OP_SEM_POST, SEM, 0, 6);
	add(t, 1, LK_OP_SEM_WAIT, SEM, 0, 9);
	add(t, 1, LK_OP_STORE, COUNTER, 2, 10);
	assert_int_equal(count(t, 0), 0);
	lk_trace_free(t);
}

/* A wait that acquires a post made after the store is no order for it:
 * B's store after A's post is ordered, A's store after its post is not. */
static void
test_race_post_before_store(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	size_t n;

	(void)state;
	add(t, 0, LK_OP_SEM_POST, SEM, 0, 6);
	add(t, 0, LK_OP_STORE, COUNTER, 1, 7);
	add(t, 1, LK_OP_SEM_WAIT, SEM, 0, 9);
	add(t, 1, LK_OP_STORE, COUNTER, 2, 10);
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].a, 1);
	assert_int_equal(r[0].b, 3);
	free(r);
	lk_trace_free(t);
}

/* Two loads never race; a load and a store do, either way round. */
static void
test_race_loads(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 0, LK_OP_LOAD, COUNTER, 0, 3);
	add(t, 1, LK_OP_LOAD, COUNTER, 0, 4);
	assert_int_equal(count(t, 0), 0);
	add(t, 1, LK_OP_STORE, COUNTER, 1, 5);
	assert_int_equal(count(t, 0), 1);
	lk_trace_free(t);
}

/* One process's accesses are ordered by its program. */
static void
test_race_same_process(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 0, LK_OP_STORE, COUNTER, 1, 3);
	add(t, 0, LK_OP_LOAD, COUNTER, 1, 4);
	add(t, 0, LK_OP_STORE, COUNTER, 2, 5);
	assert_int_equal(count(t, 0), 0);
	lk_trace_free(t);
}

/* File writes race only where their bytes overlap. */
static void
test_race_file_ranges(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	char buf[LK_RACE_TEXT_MAX];
	size_t n;

	(void)state;
	add_io(t, 0, LK_OP_WRITE, 0, 10);
	add_io(t, 1, LK_OP_WRITE, 10, 10); /* adjacent: no overlap */
	assert_int_equal(count(t, 0), 0);
	add_io(t, 1, LK_OP_WRITE, 5, 3); /* bytes 5-7 of A's 0-9 */
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].a, 0);
	assert_int_equal(r[0].b, 2);
	lk_race_format(t, &r[0], buf, sizeof(buf));
	assert_string_equal(buf, "race on file out (bytes 5-7): write by A "
	                         "(step 0) and write by B (step 2), not "
	                         "ordered by happens-before");
	free(r);
	lk_trace_free(t);
}

/* A read of bytes another process writes races; reads alone do not. */
static void
test_race_file_read_write(void **state)
{
	struct lk_trace *t = make_trace(3);

	(void)state;
	add_io(t, 0, LK_OP_READ, 0, 4);
	add_io(t, 1, LK_OP_READ, 2, 4);
	assert_int_equal(count(t, 0), 0);
	add_io(t, 2, LK_OP_WRITE, 3, 1);
	assert_int_equal(count(t, 0), 2);
	lk_trace_free(t);
}

/* Blocked and failed calls, and transfers of nothing, access nothing;
 * so do streams and semaphores. */
static void
test_race_ignored(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 0, LK_OP_STORE, COUNTER, 1, 3)->err = 14;
	add(t, 1, LK_OP_STORE, COUNTER, 1, 4);
	add_io(t, 0, LK_OP_WRITE, 0, 4)->blocked = 1;
	add_io(t, 0, LK_OP_WRITE, 0, 4)->err = 28;
	add_io(t, 0, LK_OP_WRITE, 0, 0);
	add_io(t, 0, LK_OP_WRITE, 0, -1);
	add_io(t, 1, LK_OP_WRITE, 0, 4);
	add(t, 0, LK_OP_SEM_POST, SEM, 0, 5);
	add(t, 1, LK_OP_SEM_POST, SEM, 0, 6);
	add(t, 0, LK_OP_WRITE, -1, 3, 7);
	add(t, 1, LK_OP_WRITE, -1, 3, 8);
	assert_int_equal(count(t, 0), 0);
	lk_trace_free(t);
}

/* A fork orders what the parent did before it before the child's steps,
 * not what the parent does after it. */
static void
test_race_fork(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	size_t n;

	(void)state;
	t->procs[1].parent = 0;
	add(t, 0, LK_OP_STORE, COUNTER, 1, 3);
	add(t, 0, LK_OP_FORK, -1, 1, 4)->u.fork.child = 1;
	add(t, 1, LK_OP_START, -1, 0, 0)->u.start.parent = 0;
	add(t, 1, LK_OP_STORE, COUNTER, 2, 5);
	assert_int_equal(count(t, 0), 0);
	add(t, 0, LK_OP_STORE, COUNTER, 3, 6);
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].a, 3);
	assert_int_equal(r[0].b, 4);
	free(r);
	lk_trace_free(t);
}

/* A child's exit happens before the waitpid that reaps it. */
static void
test_race_exit_waitpid(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	t->procs[1].parent = 0;
	add(t, 0, LK_OP_FORK, -1, 1, 4)->u.fork.child = 1;
	add(t, 1, LK_OP_START, -1, 0, 0)->u.start.parent = 0;
	add(t, 1, LK_OP_STORE, COUNTER, 2, 5);
	add(t, 0, LK_OP_WAIT, -1, -1, 6)->blocked = 1;
	add(t, 0, LK_OP_LOAD, COUNTER, 2, 7); /* before the reap: races */
	add(t, 1, LK_OP_EXIT, -1, 0, 0);
	add(t, 0, LK_OP_WAIT, -1, 1, 6);
	add(t, 0, LK_OP_LOAD, COUNTER, 2, 8);
	add(t, 0, LK_OP_STORE, COUNTER, 3, 9);
	assert_int_equal(count(t, 0), 1);
	lk_trace_free(t);
}

/* One race per key: the same two actions racing again (or the other way
 * round) are one, kept at their first pair. */
static void
test_race_unique(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	char k1[LK_RACE_KEY_MAX], k2[LK_RACE_KEY_MAX];
	size_t n;

	(void)state;
	for (int i = 0; i < 3; i++) {
		add(t, 0, LK_OP_STORE, COUNTER, i, 3);
		add(t, 1, LK_OP_STORE, COUNTER, i, 4);
	}
	assert_int_equal(count(t, 0), 9);
	assert_int_equal(lk_race_find(t, 1, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].a, 0);
	assert_int_equal(r[0].b, 1);
	free(r);
	/* B's store then A's: the same key as A's then B's. */
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	lk_race_key(t, &r[0], k1, sizeof(k1)); /* A(0), B(1) */
	for (size_t i = 0; i < n; i++)
		if (t->ev[r[i].a].proc == 1) {
			lk_race_key(t, &r[i], k2, sizeof(k2));
			break;
		}
	assert_string_equal(k1, k2);
	free(r);
	lk_trace_free(t);
}

/* Clocks are computed when missing; a trace without accesses is fine. */
static void
test_race_empty(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r = (struct lk_race *)1;
	size_t n = 7;

	(void)state;
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 0);
	free(r);
	add(t, 0, LK_OP_SEM_POST, SEM, 0, 0);
	assert_null(t->ev[0].vc);
	assert_int_equal(count(t, 1), 0);
	assert_non_null(t->ev[0].vc);
	lk_trace_free(t);
}

/* Order races as lk_race_find does. */
static int
cmp_ref(const void *x, const void *y)
{
	const struct lk_race *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* A small deterministic generator (xorshift), so a failure reproduces. */
static uint32_t
next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 32);
}

/* A random trace of n events by nprocs processes: loads and stores of
 * the counter, reads and writes of bytes of out, posts and waits of s0. */
static struct lk_trace *
random_trace(size_t nprocs, size_t n, uint64_t seed)
{
	struct lk_trace *t = make_trace(nprocs);

	t->ev = realloc(t->ev, n * sizeof(*t->ev));
	memset(t->ev, 0, n * sizeof(*t->ev));
	for (size_t i = 0; i < n; i++) {
		int proc = (int)(next_rand(&seed) % nprocs);
		uint32_t line = 10 + next_rand(&seed) % 3;

		switch (next_rand(&seed) % 6) {
		case 0:
			add(t, proc, LK_OP_LOAD, COUNTER, 0, line);
			break;
		case 1:
			add(t, proc, LK_OP_STORE, COUNTER, 1, line);
			break;
		case 2:
		case 3:
			add_io(t, proc,
			       next_rand(&seed) % 2 ? LK_OP_READ : LK_OP_WRITE,
			       next_rand(&seed) % 40, 1 + next_rand(&seed) % 4)
			        ->src = line;
			break;
		case 4:
			add(t, proc, LK_OP_SEM_POST, SEM, 0, 0);
			break;
		default:
			add(t, proc, LK_OP_SEM_WAIT, SEM, 0, 0);
			break;
		}
	}
	return t;
}

/* The definition itself, every pair against every other: the races of t
 * (all of them, or the first pair of each key) into r, sorted; the count. */
static size_t
reference(struct lk_trace *t, int unique, struct lk_race *r, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nevents; i++)
		for (size_t j = i + 1; j < t->nevents; j++) {
			const struct lk_tev *a = &t->ev[i], *b = &t->ev[j];
			int wa, wb;
			char k1[LK_RACE_KEY_MAX], k2[LK_RACE_KEY_MAX];
			struct lk_race x = {i, j, a->obj};
			size_t m;

			if (a->obj != b->obj || a->proc == b->proc ||
			    a->obj == SEM || lk_trace_hb(t, i, j))
				continue;
			wa = a->op == LK_OP_STORE || a->op == LK_OP_WRITE;
			wb = b->op == LK_OP_STORE || b->op == LK_OP_WRITE;
			if (!wa && !wb)
				continue;
			if (a->obj == OUT &&
			    (a->u.rw.off >= b->u.rw.off + b->ret ||
			     b->u.rw.off >= a->u.rw.off + a->ret))
				continue;
			lk_race_key(t, &x, k1, sizeof(k1));
			for (m = 0; unique && m < n; m++) {
				lk_race_key(t, &r[m], k2, sizeof(k2));
				if (strcmp(k1, k2) == 0)
					break;
			}
			if (unique && m < n)
				continue;
			assert_true(n < max);
			r[n++] = x;
		}
	qsort(r, n, sizeof(*r), cmp_ref);
	return n;
}

/* The near-linear analysis finds exactly the races of the definition,
 * the same pair of each key, on random traces of 2 and 3 processes. */
static void
test_race_same_as_definition(void **state)
{
	static struct lk_race want[40000];

	(void)state;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		struct lk_trace *t =
		        random_trace(2 + seed % 2, 120 + seed % 50, seed);

		for (int unique = 0; unique <= 1; unique++) {
			struct lk_race *r;
			size_t n, nw;

			assert_int_equal(lk_race_find(t, unique, &r, &n), 0);
			nw = reference(t, unique, want, 40000);
			assert_int_equal(n, nw);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(r[i].a, want[i].a);
				assert_int_equal(r[i].b, want[i].b);
				assert_int_equal(r[i].obj, want[i].obj);
			}
			free(r);
		}
		lk_trace_free(t);
	}
}

/* Asked to stop, the analysis of a long trace gives up with -EINTR and
 * nothing allocated; once the request is forgotten it completes. */
static void
test_race_stop(void **state)
{
	struct lk_trace *t = random_trace(2, 20000, 7);
	struct lk_race *r;
	size_t n;

	(void)state;
	lk_stop_request(SIGINT);
	assert_int_equal(lk_race_find(t, 1, &r, &n), -EINTR);
	assert_null(r);
	assert_int_equal(n, 0);
	lk_stop_clear();
	assert_int_equal(lk_race_find(t, 1, &r, &n), 0);
	assert_true(n > 0);
	free(r);
	lk_trace_free(t);
}

/* File-system names: a lookup that failed, then another process's
 * creation, is a race (check, then create); a creation, then another's
 * lookup, is ordered (the lookup sees it); two creations are ordered. */
static void
test_race_name_check_then_create(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_race *r;
	char buf[LK_RACE_TEXT_MAX];
	size_t n;

	(void)state;
	strcpy(t->objs[OUT].name, "./lock");
	t->objs[OUT].type = LK_OT_NAME;
	add(t, 0, LK_OP_ACCESS, OUT, -1, 0)->err = 2;         /* 0: A, ENOENT */
	add(t, 1, LK_OP_ACCESS, OUT, -1, 0)->err = 2;         /* 1: B, ENOENT */
	add(t, 0, LK_OP_OPEN, OUT, 3, 0)->u.open.created = 1; /* 2: A creates */
	add(t, 1, LK_OP_OPEN, OUT, 3, 0); /* 3: B finds it */
	assert_int_equal(lk_race_find(t, 0, &r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].a, 1);
	assert_int_equal(r[0].b, 2);
	lk_race_format(t, &r[0], buf, sizeof(buf));
	assert_string_equal(buf, "race on name ./lock: access by B (step 1) "
	                         "and open by A (step 2), not ordered by "
	                         "happens-before");
	free(r);
	lk_trace_free(t);

	t = make_trace(2);
	t->objs[OUT].type = LK_OT_NAME;
	add(t, 0, LK_OP_OPEN, OUT, 3, 0)->u.open.created = 1; /* A creates */
	add(t, 1, LK_OP_STAT, OUT, 0, 0);                     /* B sees it */
	add(t, 1, LK_OP_UNLINK, OUT, 0, 0);                   /* B removes it */
	assert_int_equal(count(t, 0), 0);
	assert_true(lk_trace_hb(t, 0, 1));
	lk_trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_race_two_stores),
	        cmocka_unit_test(test_race_post_wait_orders),
	        cmocka_unit_test(test_race_post_before_store),
	        cmocka_unit_test(test_race_loads),
	        cmocka_unit_test(test_race_same_process),
	        cmocka_unit_test(test_race_file_ranges),
	        cmocka_unit_test(test_race_file_read_write),
	        cmocka_unit_test(test_race_ignored),
	        cmocka_unit_test(test_race_fork),
	        cmocka_unit_test(test_race_exit_waitpid),
	        cmocka_unit_test(test_race_unique),
	        cmocka_unit_test(test_race_empty),
	        cmocka_unit_test(test_race_same_as_definition),
	        cmocka_unit_test(test_race_stop),
	        cmocka_unit_test(test_race_name_check_then_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
