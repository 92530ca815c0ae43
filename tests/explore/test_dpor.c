/*
 * The reduction's races on hand-made runs (runner/explore/dpor.c): what
 * dfs must try again at which step, so that it reaches every outcome
 * the exhaustive search (--no-reduction) reaches. End-to-end checks of
 * the same are in test_schedule.c and tests/threads/test_threads.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "explore/explore.h"

/* The backtrack points one analysis asked for: bit p of tried[k]. */
struct points {
	uint64_t tried[16];
};

static void
add(void *arg, size_t k, unsigned p)
{
	struct points *pt = arg;

	assert_true(k < 16 && p < 64);
	pt->tried[k] |= 1ull << p;
}

enum { PRODUCER, C1, C2 };
enum { MUTEX, COND };

static struct lk_step_rec
step(unsigned proc, unsigned op, int obj, unsigned enabled)
{
	struct lk_step_rec s;

	memset(&s, 0, sizeof(s));
	s.proc = (uint16_t)proc;
	s.op = (uint16_t)op;
	s.obj = obj;
	s.enabled = enabled;
	return s;
}

/*
 * bounded-buffer-if's bug, reduced: c2 waits on the condition, the
 * producer locks the mutex (c1's lock finds it busy), signals and
 * unlocks; c2 takes the mutex back (the wait's end) and c1's lock finds
 * it busy again. The wait's end changes the mutex as a lock does, so
 * c1 must also be tried right there: c1 then takes the mutex before the
 * woken c2, which goes on to take from an empty buffer. When the wait's
 * end counted as a read of the mutex, nothing raced with it and dfs
 * reported complete without that run.
 */
static void
test_dpor_cond_retake_races_with_lock(void **state)
{
	struct lk_step_rec s[8];
	struct lk_digest d;
	struct points pt;
	unsigned all = 1u << PRODUCER | 1u << C1 | 1u << C2;

	(void)state;
	s[0] = step(C2, LK_OP_MUTEX_LOCK, MUTEX, all);
	s[1] = step(C2, LK_OP_COND_WAIT, COND, all);
	s[1].blocked = 1;
	s[1].u.cond.mutex = MUTEX;
	s[1].u.cond.released = 1;
	s[2] = step(PRODUCER, LK_OP_MUTEX_LOCK, MUTEX,
	            1u << PRODUCER | 1u << C1);
	s[3] = step(C1, LK_OP_MUTEX_LOCK, MUTEX, 1u << PRODUCER | 1u << C1);
	s[3].blocked = 1;
	s[3].ret = -1;
	s[4] = step(PRODUCER, LK_OP_COND_SIGNAL, COND, 1u << PRODUCER);
	s[4].u.cond.mutex = -1;
	s[4].u.cond.woke = 1;
	s[5] = step(PRODUCER, LK_OP_MUTEX_UNLOCK, MUTEX,
	            1u << PRODUCER | 1u << C2);
	s[6] = step(C2, LK_OP_COND_WAIT, COND, 1u << C1 | 1u << C2);
	s[6].u.cond.mutex = MUTEX;
	s[7] = step(C1, LK_OP_MUTEX_LOCK, MUTEX, 1u << C1 | 1u << C2);
	s[7].blocked = 1;
	s[7].ret = -1;
	memset(&d, 0, sizeof(d));
	d.steps = s;
	d.nsteps = 8;
	d.nprocs = 3;
	d.nobjs = 2;
	memset(&pt, 0, sizeof(pt));
	lk_dpor_backtrack(&d, 0, add, &pt);
	/* c1's lock before c2's taking the mutex back. */
	assert_true(pt.tried[6] & (1ull << C1));
	/* c2's wait letting go of the mutex races with the producer's
	 * lock: the producer is tried before it (it is, at step 1). */
	assert_true(pt.tried[1] & (1ull << PRODUCER));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dpor_cond_retake_races_with_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
