/*
 * The pick at every scheduling point (see lk_pick in common/protocol.h).
 * It runs inside whichever scenario process holds the turn, and in the
 * controller for the first step, so it uses plain C only.
 */
#include <signal.h>
#include <string.h>

#include "strategy/strategy.h"

/* The exited children a waitpid of parent may reap (see protocol.h). */
uint64_t
lk_wait_candidates(const struct lk_shared *sh, uint32_t parent)
{
	int want = sh->slots[parent].wait_for;
	int32_t group = sh->slots[parent].wait_group;
	uint64_t set = 0;

	for (uint32_t j = 0; j < sh->nslots && j < 64; j++)
		if (sh->slots[j].parent == (int32_t)parent &&
		    sh->slots[j].state == LK_SLOT_EXITED &&
		    !sh->slots[j].reaped && (want < 0 || want == (int)j) &&
		    (group == 0 || sh->slots[j].pgid == group))
			set |= 1ull << j;
	return set;
}

/* Has a child that parent waits for exited, not yet waited for? */
static int
child_exited(const struct lk_shared *sh, uint32_t parent)
{
	return lk_wait_candidates(sh, parent) != 0;
}

/* --perturb: may slot s, waiting on a condition variable and not
 * signalled, wake without a signal (once a lane a run)? */
static int
may_wake_spuriously(const struct lk_shared *sh, const struct lk_slot *s)
{
	return sh->perturb && s->spurious == 0 && s->blocked_on >= 0 &&
	       (uint32_t)s->blocked_on < sh->nobjects &&
	       sh->objects[s->blocked_on].type == LK_OT_COND &&
	       s->cond_ticket != 0 && !s->woken;
}

/* The enabled set at the current virtual time; sets *soonest to the
 * earliest wake-up of a process waiting for the clock, and *spurious to
 * the processes enabled only to wake without a signal (--perturb). */
static uint64_t
enabled_now(const struct lk_shared *sh, uint64_t *soonest, uint64_t *spurious)
{
	uint64_t enabled = 0;

	*soonest = LK_NO_TIME;
	*spurious = 0;
	for (uint32_t i = 0; i < sh->nslots; i++) {
		const struct lk_slot *s = &sh->slots[i];

		/* Stopped (SIGSTOP): nothing runs until a SIGCONT. */
		if (s->state != LK_SLOT_PARKED || s->stopped != 0)
			continue;
		if (s->alarm_at != 0 && s->alarm_at < *soonest)
			*soonest = s->alarm_at;
		/* A signal to deliver: the process can step (and a blocked
		 * call of it is interrupted). */
		if (s->sigpending & ~s->sigmask) {
			enabled |= 1ull << i;
			continue;
		}
		if (s->blocked_on == LK_WAIT_SIGNAL)
			continue;
		if (s->blocked_on >= 0 &&
		    sh->objects[s->blocked_on].has_value &&
		    sh->objects[s->blocked_on].value > 0)
			enabled |= 1ull << i;
		else if (s->blocked_on == LK_WAIT_CHILD)
			enabled |= child_exited(sh, i) ? 1ull << i : 0;
		else if (s->blocked_on == LK_WAIT_THREAD)
			enabled |=
			        s->wait_for >= 0 &&
			                        sh->slots[s->wait_for].state ==
			                                LK_SLOT_EXITED
			                ? 1ull << i
			                : 0;
		else if (s->wake_at <= sh->vt)
			enabled |= 1ull << i;
		else if (s->wake_at < *soonest)
			*soonest = s->wake_at;
		if (!(enabled & (1ull << i)) && may_wake_spuriously(sh, s)) {
			enabled |= 1ull << i;
			*spurious |= 1ull << i;
		}
	}
	return enabled;
}

/* Check the forced decision d against the state; 0 or an lk_diverge. */
static unsigned
check_decision(struct lk_shared *sh, struct lk_decision *d, uint64_t enabled)
{
	const struct lk_slot *s;

	for (uint32_t i = 0; d->slot < 0 && i < sh->nslots; i++)
		if (strcmp(sh->slots[i].name, d->proc) == 0)
			d->slot = (int16_t)i;
	if (d->slot < 0)
		return LK_DIV_NO_PROC;
	if (!(enabled & (1ull << d->slot)))
		return LK_DIV_NOT_ENABLED;
	s = &sh->slots[d->slot];
	if (d->op == LK_OP_NONE)
		return 0;
	/* A due signal is delivered before what the process was about to
	 * do when it waits (blocked, paused, asleep): that is the step. */
	if (s->pending_op != d->op &&
	    !(d->op == LK_OP_SIGNAL && (s->sigpending & ~s->sigmask)))
		return LK_DIV_OTHER_OP;
	if (d->op == LK_OP_SIGNAL)
		return 0;
	/* A waitpid names the child it reaps: one it can reap now. */
	if (d->op == LK_OP_WAIT) {
		uint64_t can = lk_wait_candidates(sh, (uint32_t)d->slot);

		if (d->obj[0] == '\0')
			return 0;
		for (uint32_t j = 0; j < sh->nslots && j < 64; j++)
			if ((can & (1ull << j)) &&
			    strcmp(sh->slots[j].name, d->obj) == 0)
				return 0;
		sh->div_choices = can;
		return LK_DIV_OTHER_CHILD;
	}
	if (d->obj[0] != '\0' &&
	    (s->pending_obj < 0 || (uint32_t)s->pending_obj >= sh->nobjects ||
	     strcmp(sh->objects[s->pending_obj].name, d->obj) != 0))
		return LK_DIV_OTHER_OP;
	return 0;
}

/* SIGALRM is due for every process whose alarm time came (alarm,
 * setitimer: runner/interposer/signals.c); a periodic one is set again. */
static void
ring_alarms(struct lk_shared *sh)
{
	for (uint32_t i = 0; i < sh->nslots; i++) {
		struct lk_slot *s = &sh->slots[i];

		if (s->alarm_at == 0 || s->alarm_at > sh->vt ||
		    s->state == LK_SLOT_EXITED)
			continue;
		atomic_fetch_or(&s->sigpending, 1ull << SIGALRM);
		s->alarm_at =
		        s->alarm_every != 0 ? s->alarm_at + s->alarm_every : 0;
	}
}

/*
 * Slot next takes the step: when it is about to reap a child and more
 * than one could be reaped, choose which (the kernel would take the
 * first it finds): the one the forced decision d names, else the
 * strategy's choice. The interposer reaps that child (reap).
 */
static void
choose_reap(struct lk_shared *sh, int next, const struct lk_decision *d)
{
	struct lk_slot *s = &sh->slots[next];
	uint64_t can;
	int c = -1;

	s->reap = 0;
	if (s->pending_op != LK_OP_WAIT || (s->sigpending & ~s->sigmask))
		return;
	can = lk_wait_candidates(sh, (uint32_t)next);
	for (uint32_t j = 0; d != NULL && d->obj[0] != '\0' && j < 64; j++)
		if ((can & (1ull << j)) &&
		    strcmp(sh->slots[j].name, d->obj) == 0)
			c = (int)j;
	/* A forced step that does not name the child (an older schedule):
	 * the first, as the default strategy. */
	if (c < 0 && d != NULL)
		c = can != 0 ? __builtin_ctzll(can) : -1;
	else if (c < 0)
		c = lk_strategy_choose(&sh->strategy, can);
	s->reap = c + 1;
}

/* Choose who takes the next step (see common/protocol.h). */
int
lk_pick(struct lk_shared *sh, int current)
{
	uint64_t enabled, soonest, spurious, real;
	uint32_t step =
	        atomic_load_explicit(&sh->nevents, memory_order_relaxed);
	unsigned why;
	int next;

	ring_alarms(sh);
	enabled = enabled_now(sh, &soonest, &spurious);
	/* The clock goes on when nobody can step but by waking without a
	 * signal (--perturb): that is a choice, not a reason to wait. */
	if ((enabled & ~spurious) == 0 && soonest != LK_NO_TIME) {
		sh->vt = soonest;
		ring_alarms(sh);
		enabled = enabled_now(sh, &soonest, &spurious);
	}
	sh->last_enabled = enabled;
	if (enabled == 0)
		return -1;
	if (step < sh->nforced) {
		struct lk_decision *d = &lk_shared_forced(sh)[step];

		why = check_decision(sh, d, enabled);
		if (why == 0) {
			choose_reap(sh, d->slot, d);
			if (spurious & (1ull << d->slot))
				sh->slots[d->slot].spurious = 1;
			return d->slot;
		}
		sh->div_step = step;
		sh->div_why = why;
		return -2;
	}
	if (sh->strict && sh->nforced > 0) {
		sh->div_step = step;
		sh->div_why = LK_DIV_ENDED;
		return -2;
	}
	/* The default strategy does what the kernel mostly does: a wait
	 * never wakes without a signal (explore tries it elsewhere). */
	real = enabled & ~spurious;
	next = lk_strategy_pick(&sh->strategy,
	                        sh->strategy.kind == LK_STRAT_DEFAULT ? real
	                                                              : enabled,
	                        current, step);
	if (next >= 0)
		choose_reap(sh, next, NULL);
	if (next >= 0 && (spurious & (1ull << next)))
		sh->slots[next].spurious = 1;
	return next;
}
