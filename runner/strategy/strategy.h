/*
 * Strategies: which enabled process takes the next step. The state lives
 * in the shared memory (struct lk_strategy, common/protocol.h) and the
 * pick runs in whichever scenario process holds the turn, so this code
 * uses nothing but plain C and the protocol.
 */
#ifndef LK_STRATEGY_H
#define LK_STRATEGY_H

#include <stdint.h>

#include "common/protocol.h"

/* Set up s for kind with seed (ignored by the default strategy). */
void lk_strategy_init(struct lk_strategy *s, unsigned kind, uint64_t seed);

/* Set up PCT with a seed, bug depth d (1..LK_PCT_MAX_DEPTH) and an
 * estimate of the number of steps of a run (change points fall in it). */
void lk_strategy_init_pct(struct lk_strategy *s, uint64_t seed, unsigned depth,
                          uint32_t steps);

/*
 * Pick a slot from the enabled set (bit i = slot i) for step; current is
 * the slot that just acted, -1 when none. Returns -1 only when enabled is
 * empty.
 */
int lk_strategy_pick(struct lk_strategy *s, lk_procset enabled, int current,
                     uint32_t step);

/*
 * Choose one of several results the kernel could give (bit i = choice
 * i, e.g. which exited child a wait reaps): the lowest with the default
 * strategy, else uniform from the seed. Returns -1 only when set is empty.
 */
int lk_strategy_choose(struct lk_strategy *s, lk_procset set);

/*
 * Choose who takes the next step (runner/strategy/pick.c): the enabled
 * processes, with the clock advanced when everybody waits for it; the
 * forced decision for this step if there is one, else the strategy.
 * current is the slot that just acted (-1 none). Returns a slot, -1 when
 * nobody can step, -2 when the forced schedule diverged (div_* say why).
 */
int lk_pick(struct lk_shared *sh, int current);

/* The exited, not yet reaped children that slot's waitpid may reap now
 * (bit = slot), by its wait_for and wait_group (pick.c). */
lk_procset lk_wait_candidates(const struct lk_shared *sh, uint32_t slot);

#endif
