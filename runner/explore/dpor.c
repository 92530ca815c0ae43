/*
 * Dynamic partial-order reduction (Flanagan and Godefroid, POPL 2005) on
 * one finished run. Two steps are dependent when they touch the same
 * object and one of them changes it. For each step i of process p, the
 * last earlier dependent step j of another process that does not happen
 * before p's previous step is a race: reversing it may change the
 * outcome, so p should also be tried at step j (or, when p was not
 * enabled there, every process that was).
 *
 * Happens-before here is the order the dependences themselves impose
 * (vector clocks joined along program order, fork and every dependent
 * pair), not only the synchronisation the trace shows.
 *
 * A process that some kill targets reads its own signal state at every
 * step: the kill may land before any of them (a handler runs there, a
 * stop keeps the rest from running), so a kill races with the target's
 * steps it is not ordered with. A child's exit that makes SIGCHLD
 * pending in its parent (one with a handler for it, or blocking it) is
 * such a kill.
 *
 * A wait that blocked and then succeeds on retry was enabled by the
 * change it waited for: its success is not a race with that change (it
 * could not have come first); the race that matters is the blocked
 * attempt's, with the change that would have let it through at once.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "explore/explore.h"
#include "trace/trace.h"

/* The process whose pending signals a step writes, -1 none: a kill's
 * target, or the parent an exit sent SIGCHLD to. */
static int
signal_target(const struct lk_step_rec *s)
{
	if (s->op == LK_OP_EXIT)
		return s->u.exit.chld - 1;
	if (lk_op_info(s->op)->dep == LK_DEP_KILL && s->ret == 0)
		return s->u.kill.to;
	return -1;
}

/* Is a step a read (1), a write (2) or neither (0) of its object? Its
 * dependency class in the LK_OPS table (ops.h) says. */
int
lk_dpor_access(const struct lk_step_rec *s)
{
	if (s->op == LK_OP_EXIT)
		return signal_target(s) >= 0 ? 2 : 0;
	switch (lk_op_info(s->op)->dep) {
	/* Signals have no object: they touch the target's pending set. */
	case LK_DEP_KILL:
		return signal_target(s) >= 0 ? 2 : 0;
	case LK_DEP_SIGNAL:
		return 2;
	case LK_DEP_PAUSE:
		return 1;
	case LK_DEP_READ:
	case LK_DEP_EXIST_READ:
	case LK_DEP_WATCH:
		return s->obj >= 0 ? 1 : 0;
	case LK_DEP_WRITE:
	case LK_DEP_EXIST_WRITE:
		return s->obj >= 0 ? 2 : 0;
	case LK_DEP_TAKE:
		return s->obj < 0 ? 0 : s->blocked || s->ret < 0 ? 1 : 2;
	/* A read of a pipe consumes what it reads; closing a write end may
	 * bring the end of file. Closing a read end or copying an end
	 * (dup2) only matters to a writer that finds no reader left, which
	 * is not modelled: they are treated as reads of the ends' state. */
	case LK_DEP_CLOSE:
		return s->obj < 0 ? 0 : s->u.close.mode == O_WRONLY ? 2 : 1;
	default:
		return 0;
	}
}

/* The mutex of a condition wait's step, as a bit (0: none, or not one
 * of the first 64 objects). */
static uint64_t
cond_mutex(const struct lk_step_rec *s, size_t nobj)
{
	if ((s->op == LK_OP_COND_WAIT || s->op == LK_OP_COND_TIMEDWAIT) &&
	    s->u.cond.mutex >= 0 && s->u.cond.mutex < 64 &&
	    (size_t)s->u.cond.mutex < nobj)
		return 1ull << s->u.cond.mutex;
	return 0;
}

/*
 * The mutex a condition wait's step writes, as a bit (0 none). Its first
 * step lets go of the mutex (an unlock) and its last one takes it again
 * (a lock): both change the mutex as an unlock and a lock do, so both
 * race with another thread's lock of it. Only the attempts in between
 * (blocked on the condition or on the busy mutex) just read it.
 */
static uint64_t
written_too(const struct lk_step_rec *s, size_t nobj)
{
	if (s->blocked && !s->u.cond.released)
		return 0;
	return cond_mutex(s, nobj);
}

/* A readiness step (poll, select, ppoll, pselect, epoll: dependency
 * class LK_DEP_WATCH) reads every object it watches, not only the one it
 * is recorded on: u.poll.watched has bit o for watched object o (o < 64;
 * interposer/poll.c); a condition wait's blocked attempt, its mutex. The
 * others, as bits. */
static uint64_t
watched_too(const struct lk_step_rec *s, size_t nobj)
{
	uint64_t bits;

	if (cond_mutex(s, nobj) != 0)
		return cond_mutex(s, nobj) & ~written_too(s, nobj);
	if (lk_op_info(s->op)->dep != LK_DEP_WATCH)
		return 0;
	bits = s->u.poll.watched;
	if (s->obj >= 0 && s->obj < 64)
		bits &= ~(1ull << s->obj);
	if (nobj < 64)
		bits &= (1ull << nobj) - 1;
	return bits;
}

/*
 * Which state of its object a step touches. Opening and closing a named
 * semaphore touch its existence, not its value: they commute with posts
 * and waits, and only conflict with sem_unlink (and create, init,
 * destroy). Existence is tracked as a second object, index obj + nobj.
 */
static size_t
state_of(const struct lk_step_rec *s, size_t nobj)
{
	if (s->op == LK_OP_EXIT) /* SIGCHLD: the parent's pending signals */
		return 2 * nobj + (size_t)signal_target(s);
	switch (lk_op_info(s->op)->dep) {
	case LK_DEP_KILL: /* the pending signals of the target */
		return 2 * nobj + (size_t)signal_target(s);
	case LK_DEP_SIGNAL:
	case LK_DEP_PAUSE:
		return 2 * nobj + s->proc;
	case LK_DEP_EXIST_READ:
	case LK_DEP_EXIST_WRITE:
		return (size_t)s->obj + nobj;
	case LK_DEP_CLOSE:
		return s->u.close.mode == O_WRONLY ? (size_t)s->obj
		                                   : (size_t)s->obj + nobj;
	default:
		return (size_t)s->obj;
	}
}

struct access {
	long step;    /* -1: none */
	uint32_t *vc; /* the clock after that step */
};

struct object_state {
	struct access write;
	struct access reads[LK_MAX_PROCS]; /* latest read per process */
};

/* Does access a happen before a process whose clock is pre? */
static int
ordered(const struct access *a, const struct lk_digest *d, const uint32_t *pre)
{
	unsigned q = d->steps[a->step].proc;

	return a->vc[q] <= pre[q];
}

/* Report the race (j, i): p = proc of i should be tried at j. */
static void
report(const struct lk_digest *d, size_t j, unsigned p,
       void (*add)(void *, size_t, unsigned), void *arg)
{
	uint64_t en = d->steps[j].enabled;

	if (en & (1ull << p)) {
		add(arg, j, p);
		return;
	}
	for (unsigned q = 0; q < 64; q++)
		if (en & (1ull << q))
			add(arg, j, q);
}

/*
 * Follow the queues of the condition variables through step s (of a
 * process p < LK_MAX_PROCS), as interposer/thread.c keeps them: a wait's
 * first step joins its condition's queue, a signal takes the oldest
 * waiter off it (a broadcast every one: u.cond.woke says how many), and
 * a wait's end leaves it (a time-out, a wake-up without a signal). A
 * wait's blocked attempt after its waiter left the queue is an attempt
 * to take the mutex back: retaking[p].
 */
static void
cond_queue(const struct lk_step_rec *s, int32_t *queued, uint64_t *ticket,
           uint64_t *tickets, uint8_t *retaking)
{
	unsigned p = s->proc;

	retaking[p] = 0;
	if (s->op == LK_OP_COND_WAIT || s->op == LK_OP_COND_TIMEDWAIT) {
		if (s->u.cond.released) {
			queued[p] = s->obj;
			ticket[p] = ++*tickets;
		} else if (!s->blocked) {
			queued[p] = -1;
		} else if (queued[p] < 0) {
			retaking[p] = 1;
		}
		return;
	}
	if (s->op != LK_OP_COND_SIGNAL && s->op != LK_OP_COND_BROADCAST)
		return;
	for (int32_t k = 0; k < s->u.cond.woke; k++) {
		int first = -1;

		for (int q = 0; q < LK_MAX_PROCS; q++)
			if (queued[q] == s->obj && s->obj >= 0 &&
			    (first < 0 || ticket[q] < ticket[first]))
				first = q;
		if (first < 0)
			break;
		queued[first] = -1;
	}
}

/* Run the analysis (see explore.h). */
void
lk_dpor_backtrack(const struct lk_digest *d, int full,
                  void (*add)(void *arg, size_t k, unsigned p), void *arg)
{
	size_t n = d->nprocs ? d->nprocs : 1, nobj = d->nobjs;
	uint32_t *pv, *born, *pool, *pre;
	int32_t waited[LK_MAX_PROCS];
	/* Condition waits: the condition a process waits on until a signal
	 * wakes it (-1 none), its place in the queue, and whether its last
	 * step was an attempt to take the mutex back (woken, the mutex
	 * busy). */
	int32_t queued[LK_MAX_PROCS];
	uint64_t ticket[LK_MAX_PROCS], tickets = 0;
	uint8_t retaking[LK_MAX_PROCS];
	uint64_t targeted = 0; /* processes some kill reaches */
	struct object_state *os;
	size_t used = 0;

	if (full) {
		for (size_t k = 0; k < d->nsteps; k++)
			for (unsigned q = 0; q < 64; q++)
				if (d->steps[k].enabled & (1ull << q))
					add(arg, k, q);
		return;
	}
	pv = calloc(n * n, sizeof(*pv));
	born = calloc(n * n, sizeof(*born));
	pre = calloc(n, sizeof(*pre));
	pool = calloc((d->nsteps + 1) * n, sizeof(*pool));
	os = calloc(2 * nobj + n + 1, sizeof(*os));
	if (!pv || !born || !pre || !pool || !os) {
		/* Without memory, fall back to trying everything. */
		lk_dpor_backtrack(d, 1, add, arg);
		goto out;
	}
	for (size_t q = 0; q < LK_MAX_PROCS; q++)
		waited[q] = queued[q] = -1, retaking[q] = 0;
	for (size_t i = 0; i < d->nsteps; i++) {
		int to = signal_target(&d->steps[i]);

		if (to >= 0)
			targeted |= to < 64 ? 1ull << to : ~0ull;
		else if (d->steps[i].op == LK_OP_KILL && d->steps[i].ret == 0)
			targeted = ~0ull; /* a group's or everyone's */
	}
	for (size_t o = 0; o < 2 * nobj + n; o++) {
		os[o].write.step = -1;
		for (size_t q = 0; q < LK_MAX_PROCS; q++)
			os[o].reads[q].step = -1;
	}
	for (size_t i = 0; i < d->nsteps; i++) {
		const struct lk_step_rec *s = &d->steps[i];
		unsigned p = s->proc;
		int kind = lk_dpor_access(s);
		uint32_t *v = &pv[(size_t)p * n], *after = &pool[used];
		struct object_state *ob =
		        kind && ((size_t)s->obj < nobj || s->obj < 0) &&
		                        state_of(s, nobj) < 2 * nobj + n
		                ? &os[state_of(s, nobj)]
		                : NULL;
		struct object_state *sig =
		        p < 64 && (targeted & (1ull << p)) &&
		                        2 * nobj + p < 2 * nobj + n &&
		                        ob != &os[2 * nobj + p]
		                ? &os[2 * nobj + p]
		                : NULL;
		uint64_t too = watched_too(s, nobj);
		uint64_t wtoo = written_too(s, nobj);
		long race = -1;

		if (p >= n)
			continue;
		if (s->op == LK_OP_START)
			lk_vc_join(v, &born[(size_t)p * n], n);
		memcpy(pre, v, n * sizeof(*pre));
		if (ob != NULL && s->obj >= 0 && waited[p] == s->obj &&
		    !s->blocked)
			lk_vc_join(pre,
			           ob->write.step >= 0 ? ob->write.vc : pre, n);
		if (ob != NULL) {
			struct access *w = &ob->write;

			if (w->step >= 0 && d->steps[w->step].proc != p &&
			    !ordered(w, d, pre))
				race = w->step;
			for (size_t q = 0; kind == 2 && q < n; q++) {
				struct access *r = &ob->reads[q];

				if (r->step > race && q != p &&
				    !ordered(r, d, pre))
					race = r->step;
			}
		}
		if (race >= 0)
			report(d, (size_t)race, p, add, arg);
		for (unsigned o = 0; too != 0 && o < 64; o++) {
			struct access *w = &os[o].write;

			if (!(too & (1ull << o)))
				continue;
			if (s->obj >= 0 && waited[p] == s->obj && !s->blocked &&
			    w->step >= 0)
				lk_vc_join(pre, w->vc, n);
			if (w->step >= 0 && d->steps[w->step].proc != p &&
			    !ordered(w, d, pre))
				report(d, (size_t)w->step, p, add, arg);
		}
		/* A mutex a condition wait lets go of or takes again: as an
		 * unlock or a lock of it, it races with its last write and
		 * with every read since. Not ordered by the wait's blocking:
		 * its end may come right after the signal, before a lock the
		 * mutex's last write belongs to. */
		for (unsigned o = 0; wtoo != 0 && o < 64; o++) {
			long wrace = -1;

			if (!(wtoo & (1ull << o)))
				continue;
			/* Taken after an attempt that found it busy: enabled
			 * by its last write, which could not come after. */
			if (!s->blocked && p < LK_MAX_PROCS && retaking[p] &&
			    os[o].write.step >= 0)
				lk_vc_join(pre, os[o].write.vc, n);
			if (os[o].write.step >= 0 &&
			    d->steps[os[o].write.step].proc != p &&
			    !ordered(&os[o].write, d, pre))
				wrace = os[o].write.step;
			for (size_t q = 0; q < n; q++) {
				struct access *r = &os[o].reads[q];

				if (r->step > wrace && q != p &&
				    !ordered(r, d, pre))
					wrace = r->step;
			}
			if (wrace >= 0)
				report(d, (size_t)wrace, p, add, arg);
		}
		/* The read of its own signal state: a kill not ordered
		 * before this step could have come first. */
		if (sig != NULL && sig->write.step >= 0 &&
		    d->steps[sig->write.step].proc != p &&
		    !ordered(&sig->write, d, pre))
			report(d, (size_t)sig->write.step, p, add, arg);

		if (p < LK_MAX_PROCS) {
			waited[p] = s->blocked ? s->obj : -1;
			cond_queue(s, queued, ticket, &tickets, retaking);
		}
		v[p]++;
		if (ob != NULL) {
			if (ob->write.step >= 0)
				lk_vc_join(v, ob->write.vc, n);
			for (size_t q = 0; kind == 2 && q < n; q++)
				if (ob->reads[q].step >= 0)
					lk_vc_join(v, ob->reads[q].vc, n);
		}
		if (sig != NULL && sig->write.step >= 0)
			lk_vc_join(v, sig->write.vc, n);
		for (unsigned o = 0; too != 0 && o < 64; o++)
			if ((too & (1ull << o)) && os[o].write.step >= 0)
				lk_vc_join(v, os[o].write.vc, n);
		for (unsigned o = 0; wtoo != 0 && o < 64; o++) {
			if (!(wtoo & (1ull << o)))
				continue;
			if (os[o].write.step >= 0)
				lk_vc_join(v, os[o].write.vc, n);
			for (size_t q = 0; q < n; q++)
				if (os[o].reads[q].step >= 0)
					lk_vc_join(v, os[o].reads[q].vc, n);
		}
		memcpy(after, v, n * sizeof(*after));
		used += n;
		for (unsigned o = 0; too != 0 && o < 64; o++)
			if (too & (1ull << o)) {
				os[o].reads[p].step = (long)i;
				os[o].reads[p].vc = after;
			}
		for (unsigned o = 0; wtoo != 0 && o < 64; o++)
			if (wtoo & (1ull << o)) {
				os[o].write.step = (long)i;
				os[o].write.vc = after;
				for (size_t q = 0; q < LK_MAX_PROCS; q++)
					os[o].reads[q].step = -1;
			}
		if (sig != NULL) {
			sig->reads[p].step = (long)i;
			sig->reads[p].vc = after;
		}
		if (ob != NULL && kind == 2) {
			ob->write.step = (long)i;
			ob->write.vc = after;
			for (size_t q = 0; q < LK_MAX_PROCS; q++)
				ob->reads[q].step = -1;
		} else if (ob != NULL) {
			ob->reads[p].step = (long)i;
			ob->reads[p].vc = after;
		}
		if (s->op == LK_OP_FORK && s->ret >= 0 &&
		    (size_t)s->u.fork.child < n)
			memcpy(&born[(size_t)s->u.fork.child * n], v,
			       n * sizeof(*v));
		/* A thread's start comes after its creation, as a fork's. */
		if (s->op == LK_OP_PTHREAD_CREATE && s->ret == 0 &&
		    s->u.thread.lane >= 0 && (size_t)s->u.thread.lane < n)
			memcpy(&born[(size_t)s->u.thread.lane * n], v,
			       n * sizeof(*v));
	}
out:
	free(pv);
	free(born);
	free(pre);
	free(pool);
	free(os);
}
