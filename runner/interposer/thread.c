/*
 * Threads as lanes, and their synchronisation (docs/programs.md,
 * "Threads"). Every thread a controlled process makes with
 * pthread_create has a slot of its own, a lane, scheduled like a
 * process: one lane runs at a time, and the hand-over is the one of
 * sched.c. Mutexes and condition variables are steps:
 *
 * - a mutex is locked with the real pthread_mutex_trylock, which never
 *   blocks: busy, the step is blocked on the mutex's object until an
 *   unlock of it (the real mutex keeps its type's rules: recursive
 *   counts, error-checking's EPERM, its owner);
 * - a condition variable lives here only: a wait lets go of its mutex
 *   (the real unlock), joins the queue of the condition (a ticket in its
 *   slot) and blocks on the object; a signal takes the waiter with the
 *   oldest ticket off the queue, a broadcast all of them; a woken waiter
 *   takes the mutex again as a lock does. The real pthread_cond_t is
 *   never waited on.
 *
 * Results: pthread calls return an error number; the step records ret
 * 0, or -1 with that number as its errno.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* What a new thread's trampoline needs. */
struct tramp {
	void *(*fn)(void *);
	void *arg;
	int lane, parent;
};

/* A new thread: its lane's first turn and step, then its start routine;
 * its return ends the lane. */
static void *
trampoline(void *p)
{
	struct tramp t = *(struct tramp *)p;
	void *ret;

	free(p);
	lk__ipt.busy = 1;
	lk__sud_thread(1);
	lk__lane_start(t.lane, t.parent);
	lk__leave();
	ret = t.fn(t.arg);
	if (lk__enter()) {
		lk__lane_end();
		lk__leave();
	}
	return ret;
}

/* Finish a wrapper with a pthread result (an error number). */
static int
leave_rc(int rc)
{
	lk__leave();
	return rc;
}

/* A step's outcome from a pthread result. */
static void
set_rc(struct lk_step *st, int rc)
{
	st->ret = rc == 0 ? 0 : -1;
	st->err = rc;
}

/* The name of a thread's start routine, "" when the symbols do not
 * say. */
static void
routine_name(void *(*fn)(void *), char *buf, size_t size)
{
	Dl_info di;

	buf[0] = '\0';
	if (dladdr((void *)(uintptr_t)fn, &di) != 0 && di.dli_sname != NULL)
		snprintf(buf, size, "%s", di.dli_sname);
}

int
pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
               void *arg)
{
	struct lk_shared *sh;
	struct lk_step st = {.op = LK_OP_PTHREAD_CREATE, .obj = -1};
	struct lk_slot *me, *pr, *c;
	struct tramp *tp;
	char name[LK_NAME_MAX];
	int self, proc, rc;
	uint32_t ci;

	if (!lk__enter())
		return REAL(pthread_create)(th, attr, fn, arg);
	sh = lk__shared();
	lk__arrive(LK_OP_PTHREAD_CREATE, -1, 0);
	self = lk__lane;
	proc = lk__process_of(self);
	me = &sh->slots[self];
	pr = &sh->slots[proc];
	tp = malloc(sizeof(*tp));
	if (tp == NULL ||
	    sh->nslots >= (sh->max_procs ? sh->max_procs : LK_MAX_PROCS)) {
		free(tp);
		set_rc(&st, EAGAIN);
		st.u.thread.lane = -1;
		lk__done(&st, -1);
		return leave_rc(EAGAIN);
	}
	/* Numbered per process in creation order, whichever thread of it
	 * creates: the schedule makes the order the same every run. */
	snprintf(name, sizeof(name), "%.*s/t%u", LK_NAME_MAX - 16, pr->name,
	         pr->nthreads + 1);
	ci = sh->nslots;
	c = &sh->slots[ci];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, sizeof(c->name));
	routine_name(fn, c->routine, sizeof(c->routine));
	c->state = LK_SLOT_PARKED;
	c->process = proc + 1;
	c->parent = self;
	c->sigmask = me->sigmask;
	c->sigcaught = pr->sigcaught;
	c->sigignored = pr->sigignored;
	c->stopped_by = -1;
	c->wait_for = -1;
	c->pending_op = LK_OP_START;
	c->pending_obj = -1;
	c->blocked_on = -1;
	pr->nthreads++;
	sh->nslots++;
	tp->fn = fn;
	tp->arg = arg;
	tp->lane = (int)ci;
	tp->parent = self;
	rc = REAL(pthread_create)(th, attr, trampoline, tp);
	if (rc != 0) {
		free(tp);
		memset(c, 0, sizeof(*c));
		sh->nslots--;
		pr->nthreads--;
		set_rc(&st, rc);
		st.u.thread.lane = -1;
		lk__done(&st, -1);
		return leave_rc(rc);
	}
	c->thread = (uint64_t)*th;
	st.u.thread.lane = (int32_t)ci;
	lk__done(&st, -1);
	return leave_rc(0);
}

/* The lane of thread th of the calling process, or -1. glibc reuses a
 * finished thread's descriptor (its pthread_t) for a new thread, when
 * the old one is through its clean-up, which is timing: the newest lane
 * with the value is the thread it names now. */
static int
lane_of(pthread_t th)
{
	struct lk_shared *sh = lk__shared();
	int proc = lk__process_of(lk__lane);

	for (uint32_t i = sh->nslots; i-- > 0;)
		if (sh->slots[i].process == proc + 1 &&
		    sh->slots[i].thread == (uint64_t)th)
			return (int)i;
	return -1;
}

int
pthread_join(pthread_t th, void **ret)
{
	struct lk_step st = {.op = LK_OP_PTHREAD_JOIN, .obj = -1};
	struct lk_slot *me;
	int target, rc;

	if (!lk__enter())
		return REAL(pthread_join)(th, ret);
	target = lane_of(th);
	if (target < 0 || lk__shared()->slots[target].detached) {
		/* Not a lane (made before the run, or the main thread), or
		 * detached (EINVAL at once): the real join, unscheduled. */
		lk__leave();
		return REAL(pthread_join)(th, ret);
	}
	me = lk__self();
	st.u.thread.lane = target;
	lk__arrive(LK_OP_PTHREAD_JOIN, -1, 0);
	while (lk__shared()->slots[target].state != LK_SLOT_EXITED) {
		me->wait_for = target;
		lk__block(&st, LK_WAIT_THREAD, LK_NO_TIME);
		(void)lk__interrupted(); /* a join is not interrupted */
	}
	me->wait_for = -1;
	/* Its lane ended; the thread itself is at most finishing (glibc's
	 * clean-up, outside the schedule): the real join waits for that. */
	rc = REAL(pthread_join)(th, ret);
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_detach(pthread_t th)
{
	struct lk_step st = {.op = LK_OP_PTHREAD_DETACH, .obj = -1};
	int target, rc;

	if (!lk__enter())
		return REAL(pthread_detach)(th);
	target = lane_of(th);
	st.u.thread.lane = target;
	lk__arrive(LK_OP_PTHREAD_DETACH, -1, 0);
	rc = REAL(pthread_detach)(th);
	if (rc == 0 && target >= 0)
		lk__shared()->slots[target].detached = 1;
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

void
pthread_exit(void *ret)
{
	if (lk__enter()) {
		lk__lane_end();
		lk__leave();
	}
	REAL(pthread_exit)(ret);
	__builtin_unreachable();
}

/* --- mutexes ------------------------------------------------------------ */

/*
 * Are a mutex's or condition variable's operations steps? Shared between
 * processes (pshared), always; private to a process, once it has made a
 * thread: before that no other lane can see them, and a program without
 * threads (sort and Python lock mutexes of their own) keeps the trace it
 * had. errno preserved.
 */
static int
sync_steps(int pshared)
{
	return pshared ||
	       lk__shared()->slots[lk__process_of(lk__lane)].nthreads > 0;
}

/* The object of synchronisation object p of type, when its calls are
 * steps (sync_steps), else -1: then the real call runs. */
static int
sync_obj(unsigned type, const void *p, int pshared)
{
	return sync_steps(pshared) ? lk__obj_sync(type, p, pshared) : -1;
}

/* Is m shared between processes (PTHREAD_PROCESS_SHARED)? glibc keeps it
 * in the kind's bit 7 (PTHREAD_MUTEX_PSHARED_BIT). */
static int
mutex_pshared(const pthread_mutex_t *m)
{
	return (m->__data.__kind & 128) != 0;
}

/* Lock m as op (lock, trylock, timedlock): the real trylock, blocked on
 * the mutex while it is busy, until deadline on the virtual clock. */
static int
mutex_lock(unsigned op, pthread_mutex_t *m, uint64_t deadline,
           const struct timespec *timeout)
{
	struct lk_step st = {.op = (uint16_t)op};
	int rc;

	st.obj = sync_obj(LK_OT_MUTEX, m, mutex_pshared(m));
	if (st.obj < 0) {
		/* Not a step (private, no thread yet), or no room in the
		 * object table: the real call. */
		lk__leave();
		if (op == LK_OP_MUTEX_TRYLOCK)
			return REAL(pthread_mutex_trylock)(m);
		if (op == LK_OP_MUTEX_LOCK)
			return REAL(pthread_mutex_lock)(m);
		return REAL(pthread_mutex_timedlock)(m, timeout);
	}
	lk__arrive(op, st.obj, 0);
	for (;;) {
		rc = REAL(pthread_mutex_trylock)(m);
		if (rc != EBUSY || op == LK_OP_MUTEX_TRYLOCK)
			break;
		/* An error-checking mutex its owner locks again. */
		if ((m->__data.__kind & 3) == PTHREAD_MUTEX_ERRORCHECK &&
		    m->__data.__owner == gettid()) {
			rc = EDEADLK;
			break;
		}
		if (lk__now() >= deadline) {
			rc = ETIMEDOUT;
			break;
		}
		st.ret = -1;
		st.err = 0;
		lk__block(&st, st.obj, deadline);
		(void)lk__interrupted(); /* a lock is not interrupted */
	}
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_mutex_lock(pthread_mutex_t *m)
{
	if (!lk__enter())
		return REAL(pthread_mutex_lock)(m);
	return mutex_lock(LK_OP_MUTEX_LOCK, m, LK_NO_TIME, NULL);
}

int
pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (!lk__enter())
		return REAL(pthread_mutex_trylock)(m);
	return mutex_lock(LK_OP_MUTEX_TRYLOCK, m, LK_NO_TIME, NULL);
}

int
pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs)
{
	if (!lk__enter())
		return REAL(pthread_mutex_timedlock)(m, abs);
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return leave_rc(EINVAL);
	return mutex_lock(LK_OP_MUTEX_TIMEDLOCK, m,
	                  lk__abs_to_vt(CLOCK_REALTIME, abs), abs);
}

int
pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct lk_step st = {.op = LK_OP_MUTEX_UNLOCK};
	int rc;

	if (!lk__enter())
		return REAL(pthread_mutex_unlock)(m);
	st.obj = sync_obj(LK_OT_MUTEX, m, mutex_pshared(m));
	if (st.obj < 0) {
		lk__leave();
		return REAL(pthread_mutex_unlock)(m);
	}
	lk__arrive(LK_OP_MUTEX_UNLOCK, st.obj, 0);
	rc = REAL(pthread_mutex_unlock)(m);
	set_rc(&st, rc);
	lk__done(&st, rc == 0 ? st.obj : -1);
	return leave_rc(rc);
}

/* --- condition variables ---------------------------------------------- */

/* glibc's condition variable: bit 0 of __wrefs says process-shared, bit
 * 1 that its clock is CLOCK_MONOTONIC. */
static int
cond_pshared(const pthread_cond_t *c)
{
	return (c->__data.__wrefs & 1) != 0;
}

static clockid_t
cond_clock(const pthread_cond_t *c)
{
	return (c->__data.__wrefs & 2) != 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

/*
 * Wait on c with mutex m until signalled, or until deadline on the
 * virtual clock (ETIMEDOUT). Steps: the first lets go of the mutex and
 * blocks (u.cond.released); a woken waiter takes the mutex again
 * (blocked on the mutex while it is busy) and its last step is the
 * wait's end.
 */
static int
cond_wait(unsigned op, pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline,
          const struct timespec *timeout)
{
	struct lk_shared *sh = lk__shared();
	struct lk_step st = {.op = (uint16_t)op};
	struct lk_slot *me = lk__self();
	int rc, mobj;

	if (!sync_steps(cond_pshared(c))) {
		st.obj = mobj = -1;
	} else {
		st.obj = lk__obj_sync(LK_OT_COND, c, cond_pshared(c));
		mobj = lk__obj_sync(LK_OT_MUTEX, m, mutex_pshared(m));
	}
	if (st.obj < 0 || mobj < 0) {
		lk__leave();
		return op == LK_OP_COND_WAIT
		               ? REAL(pthread_cond_wait)(c, m)
		               : REAL(pthread_cond_timedwait)(c, m, timeout);
	}
	st.u.cond.mutex = mobj;
	lk__arrive(op, st.obj, 0);
	rc = REAL(pthread_mutex_unlock)(m);
	if (rc != 0) {
		/* Not its owner (an error-checking or recursive mutex). */
		set_rc(&st, rc);
		lk__done(&st, -1);
		return leave_rc(rc);
	}
	lk__wake(mobj);
	st.u.cond.released = 1;
	me->cond_ticket = ++sh->cond_ticket;
	me->woken = 0;
	rc = 0;
	while (!me->woken) {
		if (lk__now() >= deadline) {
			me->cond_ticket = 0;
			rc = ETIMEDOUT;
			break;
		}
		st.ret = 0;
		st.err = 0;
		lk__block(&st, st.obj, deadline);
		st.u.cond.released = 0;
		(void)lk__interrupted(); /* a wait goes on after a handler */
		/* --perturb: chosen while still waiting, it wakes without a
		 * signal (lk_pick), as POSIX allows. */
		if (me->spurious == 1 && !me->woken) {
			me->spurious = 2;
			me->cond_ticket = 0;
			st.u.cond.spurious = 1;
			break;
		}
	}
	me->woken = 0;
	/* Take the mutex again. */
	while (REAL(pthread_mutex_trylock)(m) == EBUSY) {
		st.ret = 0;
		st.err = 0;
		lk__block(&st, mobj, LK_NO_TIME);
		st.u.cond.released = 0;
		(void)lk__interrupted();
	}
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (!lk__enter())
		return REAL(pthread_cond_wait)(c, m);
	return cond_wait(LK_OP_COND_WAIT, c, m, LK_NO_TIME, NULL);
}

int
pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                       const struct timespec *abs)
{
	if (!lk__enter())
		return REAL(pthread_cond_timedwait)(c, m, abs);
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return leave_rc(EINVAL);
	return cond_wait(LK_OP_COND_TIMEDWAIT, c, m,
	                 lk__abs_to_vt(cond_clock(c), abs), abs);
}

/* Wake the waiter of cond object obj with the oldest ticket (all: every
 * waiter); how many were woken. */
static int
cond_wake(int obj, int all)
{
	struct lk_shared *sh = lk__shared();
	int woke = 0;

	for (;;) {
		struct lk_slot *first = NULL;

		for (uint32_t i = 0; i < sh->nslots; i++) {
			struct lk_slot *s = &sh->slots[i];

			if (s->state == LK_SLOT_PARKED &&
			    s->blocked_on == obj && s->cond_ticket != 0 &&
			    !s->woken &&
			    (first == NULL ||
			     s->cond_ticket < first->cond_ticket))
				first = s;
		}
		if (first == NULL)
			return woke;
		first->woken = 1;
		first->cond_ticket = 0;
		first->blocked_on = -1;
		first->wake_at = 0;
		woke++;
		if (!all)
			return woke;
	}
}

/* signal (all 0) or broadcast (all 1). */
static int
cond_signal(unsigned op, pthread_cond_t *c, int all)
{
	struct lk_step st = {.op = (uint16_t)op};

	st.obj = sync_obj(LK_OT_COND, c, cond_pshared(c));
	if (st.obj < 0) {
		lk__leave();
		return all ? REAL(pthread_cond_broadcast)(c)
		           : REAL(pthread_cond_signal)(c);
	}
	st.u.cond.mutex = -1;
	lk__arrive(op, st.obj, 0);
	st.u.cond.woke = cond_wake(st.obj, all);
	set_rc(&st, 0);
	lk__done(&st, -1);
	return leave_rc(0);
}

int
pthread_cond_signal(pthread_cond_t *c)
{
	if (!lk__enter())
		return REAL(pthread_cond_signal)(c);
	return cond_signal(LK_OP_COND_SIGNAL, c, 0);
}

int
pthread_cond_broadcast(pthread_cond_t *c)
{
	if (!lk__enter())
		return REAL(pthread_cond_broadcast)(c);
	return cond_signal(LK_OP_COND_BROADCAST, c, 1);
}

/* --- read-write locks --------------------------------------------------- */

/*
 * A read-write lock is taken with the real tryrdlock or trywrlock, which
 * never block: busy, the step is blocked on the lock's object until an
 * unlock of it. The real lock keeps glibc's rules: many readers or one
 * writer; a reader gets in while readers hold it (no writer really waits
 * in it, so a writer waiting here does not keep readers out, whatever
 * the lock's kind); EDEADLK when the caller holds the write lock.
 */

/* glibc's rwlock: __shared says process-shared, __cur_writer is the tid
 * of the thread that holds the write lock. */
static int
rwlock_pshared(const pthread_rwlock_t *rw)
{
	return rw->__data.__shared != 0;
}

static int
rwlock_mine(const pthread_rwlock_t *rw)
{
	return rw->__data.__cur_writer == gettid();
}

/* Lock rw as op (a read lock unless write), until deadline on the
 * virtual clock for the timed forms. */
static int
rwlock_lock(unsigned op, pthread_rwlock_t *rw, int write, uint64_t deadline,
            const struct timespec *timeout)
{
	struct lk_step st = {.op = (uint16_t)op};
	int try = op == LK_OP_RWLOCK_TRYRDLOCK || op == LK_OP_RWLOCK_TRYWRLOCK;
	int rc;

	st.obj = sync_obj(LK_OT_RWLOCK, rw, rwlock_pshared(rw));
	st.u.rwlock.write = write;
	if (st.obj < 0) {
		lk__leave();
		switch (op) {
		case LK_OP_RWLOCK_RDLOCK:
			return REAL(pthread_rwlock_rdlock)(rw);
		case LK_OP_RWLOCK_TRYRDLOCK:
			return REAL(pthread_rwlock_tryrdlock)(rw);
		case LK_OP_RWLOCK_TIMEDRDLOCK:
			return REAL(pthread_rwlock_timedrdlock)(rw, timeout);
		case LK_OP_RWLOCK_WRLOCK:
			return REAL(pthread_rwlock_wrlock)(rw);
		case LK_OP_RWLOCK_TRYWRLOCK:
			return REAL(pthread_rwlock_trywrlock)(rw);
		default:
			return REAL(pthread_rwlock_timedwrlock)(rw, timeout);
		}
	}
	lk__arrive(op, st.obj, 0);
	for (;;) {
		/* glibc: the holder of the write lock locks again. */
		if (!try && rwlock_mine(rw)) {
			rc = EDEADLK;
			break;
		}
		rc = write ? REAL(pthread_rwlock_trywrlock)(rw)
		           : REAL(pthread_rwlock_tryrdlock)(rw);
		if (rc != EBUSY || try)
			break;
		if (lk__now() >= deadline) {
			rc = ETIMEDOUT;
			break;
		}
		st.ret = -1;
		st.err = 0;
		lk__block(&st, st.obj, deadline);
		(void)lk__interrupted(); /* a lock is not interrupted */
	}
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_rdlock)(rw);
	return rwlock_lock(LK_OP_RWLOCK_RDLOCK, rw, 0, LK_NO_TIME, NULL);
}

int
pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_tryrdlock)(rw);
	return rwlock_lock(LK_OP_RWLOCK_TRYRDLOCK, rw, 0, LK_NO_TIME, NULL);
}

int
pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_timedrdlock)(rw, abs);
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return leave_rc(EINVAL);
	return rwlock_lock(LK_OP_RWLOCK_TIMEDRDLOCK, rw, 0,
	                   lk__abs_to_vt(CLOCK_REALTIME, abs), abs);
}

int
pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_wrlock)(rw);
	return rwlock_lock(LK_OP_RWLOCK_WRLOCK, rw, 1, LK_NO_TIME, NULL);
}

int
pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_trywrlock)(rw);
	return rwlock_lock(LK_OP_RWLOCK_TRYWRLOCK, rw, 1, LK_NO_TIME, NULL);
}

int
pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *abs)
{
	if (!lk__enter())
		return REAL(pthread_rwlock_timedwrlock)(rw, abs);
	if (abs->tv_nsec < 0 || abs->tv_nsec >= 1000000000L)
		return leave_rc(EINVAL);
	return rwlock_lock(LK_OP_RWLOCK_TIMEDWRLOCK, rw, 1,
	                   lk__abs_to_vt(CLOCK_REALTIME, abs), abs);
}

int
pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
	struct lk_step st = {.op = LK_OP_RWLOCK_UNLOCK};
	int rc;

	if (!lk__enter())
		return REAL(pthread_rwlock_unlock)(rw);
	st.obj = sync_obj(LK_OT_RWLOCK, rw, rwlock_pshared(rw));
	if (st.obj < 0) {
		lk__leave();
		return REAL(pthread_rwlock_unlock)(rw);
	}
	lk__arrive(LK_OP_RWLOCK_UNLOCK, st.obj, 0);
	/* As glibc decides: the write lock when the caller holds it. */
	st.u.rwlock.write = rwlock_mine(rw);
	rc = REAL(pthread_rwlock_unlock)(rw);
	set_rc(&st, rc);
	lk__done(&st, rc == 0 ? st.obj : -1);
	return leave_rc(rc);
}

/* --- barriers ----------------------------------------------------------- */

/*
 * A barrier lives here while it is a step: its object counts the
 * arrivals of the current round (value) and the rounds completed
 * (slot); the real pthread_barrier_t only gives its count and whether
 * it is process-shared, and is never waited on. A wait's first step is
 * its arrival; all but the last arriver block on the object until the
 * last one's step, the round's release, marks them woken; their next
 * step is their departure. PTHREAD_BARRIER_SERIAL_THREAD goes to the
 * last arriver, as glibc gives it (which thread that is, the schedule
 * decides).
 */

/* glibc's barrier (struct pthread_barrier): in, current_round, count,
 * shared, out. */
static unsigned
barrier_count(const pthread_barrier_t *b)
{
	return ((const unsigned *)(const void *)b)[2];
}

static int
barrier_pshared(const pthread_barrier_t *b)
{
	return ((const int *)(const void *)b)[3] != 0;
}

/* The object of barrier b when its calls are steps, else -1. */
static int
barrier_obj(pthread_barrier_t *b)
{
	return sync_obj(LK_OT_BARRIER, b, barrier_pshared(b));
}

int
pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *a,
                     unsigned count)
{
	struct lk_step st = {.op = LK_OP_BARRIER_INIT};
	int rc, obj;

	if (!lk__enter())
		return REAL(pthread_barrier_init)(b, a, count);
	rc = REAL(pthread_barrier_init)(b, a, count);
	/* Initialised already: a step when the others are. */
	obj = rc == 0 ? barrier_obj(b) : -1;
	if (obj < 0)
		return leave_rc(rc);
	st.obj = obj;
	st.u.barrier.count = (int32_t)count;
	lk__arrive(LK_OP_BARRIER_INIT, obj, 0);
	lk__shared()->objects[obj].value = 0;
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_barrier_wait(pthread_barrier_t *b)
{
	struct lk_shared *sh;
	struct lk_step st = {.op = LK_OP_BARRIER_WAIT};
	struct lk_slot *me;
	struct lk_object *o;

	if (!lk__enter())
		return REAL(pthread_barrier_wait)(b);
	if ((st.obj = barrier_obj(b)) < 0) {
		lk__leave();
		return REAL(pthread_barrier_wait)(b);
	}
	sh = lk__shared();
	me = lk__self();
	lk__arrive(LK_OP_BARRIER_WAIT, st.obj, 0);
	o = &sh->objects[st.obj];
	st.u.barrier.arrive = 1;
	st.u.barrier.count = (int32_t)barrier_count(b);
	if ((unsigned)o->value + 1 >= barrier_count(b)) {
		/* The last arriver: the round's release. */
		o->value = 0;
		o->slot++;
		for (uint32_t i = 0; i < sh->nslots; i++) {
			struct lk_slot *s = &sh->slots[i];

			if (s->state == LK_SLOT_PARKED &&
			    s->blocked_on == st.obj) {
				s->woken = 1;
				s->blocked_on = -1;
				s->wake_at = 0;
			}
		}
		st.u.barrier.serial = 1;
		set_rc(&st, 0);
		lk__done(&st, -1);
		lk__leave();
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	o->value++;
	me->woken = 0;
	while (!me->woken) {
		st.ret = 0;
		st.err = 0;
		lk__block(&st, st.obj, LK_NO_TIME);
		st.u.barrier.arrive = 0;
		(void)lk__interrupted(); /* a wait goes on after a handler */
	}
	me->woken = 0;
	st.u.barrier.arrive = 0;
	set_rc(&st, 0);
	lk__done(&st, -1);
	return leave_rc(0);
}

int
pthread_barrier_destroy(pthread_barrier_t *b)
{
	struct lk_step st = {.op = LK_OP_BARRIER_DESTROY};
	int rc;

	if (!lk__enter())
		return REAL(pthread_barrier_destroy)(b);
	if ((st.obj = barrier_obj(b)) < 0) {
		lk__leave();
		return REAL(pthread_barrier_destroy)(b);
	}
	lk__arrive(LK_OP_BARRIER_DESTROY, st.obj, 0);
	/* Threads still waiting in it: glibc would wait for them to leave;
	 * POSIX leaves it undefined. Say EBUSY. */
	rc = lk__shared()->objects[st.obj].value != 0
	             ? EBUSY
	             : REAL(pthread_barrier_destroy)(b);
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

/* --- spinlocks ---------------------------------------------------------- */

/*
 * A spin on a held spinlock is a blocked step on its object until an
 * unlock, not a busy loop. glibc's spinlock is an int that does not say
 * whether it is process-shared: its calls are steps once the process has
 * made a thread (a spinlock shared by processes without threads runs
 * for real).
 */

static int
spin_lock(unsigned op, pthread_spinlock_t *l)
{
	struct lk_step st = {.op = (uint16_t)op};
	int rc;

	st.obj = sync_obj(LK_OT_SPIN, (const void *)l, 0);
	if (st.obj < 0) {
		lk__leave();
		return op == LK_OP_SPIN_TRYLOCK ? REAL(pthread_spin_trylock)(l)
		                                : REAL(pthread_spin_lock)(l);
	}
	lk__arrive(op, st.obj, 0);
	while ((rc = REAL(pthread_spin_trylock)(l)) == EBUSY &&
	       op == LK_OP_SPIN_LOCK) {
		st.ret = -1;
		st.err = 0;
		lk__block(&st, st.obj, LK_NO_TIME);
		(void)lk__interrupted();
	}
	set_rc(&st, rc);
	lk__done(&st, -1);
	return leave_rc(rc);
}

int
pthread_spin_lock(pthread_spinlock_t *l)
{
	if (!lk__enter())
		return REAL(pthread_spin_lock)(l);
	return spin_lock(LK_OP_SPIN_LOCK, l);
}

int
pthread_spin_trylock(pthread_spinlock_t *l)
{
	if (!lk__enter())
		return REAL(pthread_spin_trylock)(l);
	return spin_lock(LK_OP_SPIN_TRYLOCK, l);
}

int
pthread_spin_unlock(pthread_spinlock_t *l)
{
	struct lk_step st = {.op = LK_OP_SPIN_UNLOCK};
	int rc;

	if (!lk__enter())
		return REAL(pthread_spin_unlock)(l);
	st.obj = sync_obj(LK_OT_SPIN, (const void *)l, 0);
	if (st.obj < 0) {
		lk__leave();
		return REAL(pthread_spin_unlock)(l);
	}
	lk__arrive(LK_OP_SPIN_UNLOCK, st.obj, 0);
	rc = REAL(pthread_spin_unlock)(l);
	set_rc(&st, rc);
	lk__done(&st, rc == 0 ? st.obj : -1);
	return leave_rc(rc);
}

/* --- pthread_once ------------------------------------------------------- */

/*
 * The first caller's step starts the routine (run 1), which then runs
 * as the caller's own code, its steps among the others'; its return is a
 * step (run 2) that wakes the callers blocked meanwhile on the object.
 * The object's value says where the routine is (1 running, 2 returned);
 * the real pthread_once_t is marked done (glibc's __PTHREAD_ONCE_DONE,
 * 2) so that a later call outside the run finds it so.
 */
int
pthread_once(pthread_once_t *once, void (*init)(void))
{
	struct lk_step st = {.op = LK_OP_PTHREAD_ONCE};
	struct lk_object *o;

	if (!lk__enter())
		return REAL(pthread_once)(once, init);
	st.obj = sync_obj(LK_OT_ONCE, once, 0);
	if (st.obj < 0) {
		lk__leave();
		return REAL(pthread_once)(once, init);
	}
	lk__arrive(LK_OP_PTHREAD_ONCE, st.obj, 0);
	o = &lk__shared()->objects[st.obj];
	if ((*once & 2) != 0)
		o->value = 2; /* run before, outside the run's steps */
	while (o->value == 1) {
		st.ret = 0;
		st.err = 0;
		lk__block(&st, st.obj, LK_NO_TIME);
		(void)lk__interrupted();
	}
	if (o->value == 2) {
		set_rc(&st, 0);
		lk__done(&st, -1);
		return leave_rc(0);
	}
	o->value = 1;
	st.u.once.run = 1;
	set_rc(&st, 0);
	lk__done(&st, -1);
	lk__leave();
	init();
	if (!lk__enter()) {
		*once = 2;
		return 0;
	}
	lk__arrive(LK_OP_PTHREAD_ONCE, st.obj, 0);
	o = &lk__shared()->objects[st.obj];
	o->value = 2;
	*once = 2;
	st.u.once.run = 2;
	set_rc(&st, 0);
	lk__done(&st, st.obj);
	return leave_rc(0);
}
