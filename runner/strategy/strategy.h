/*
 * Strategies: which enabled process takes the next step. The state lives
 * in the shared memory and the pick runs in whichever scenario process
 * holds the turn, so this code uses nothing but plain C.
 */
#ifndef LK_STRATEGY_H
#define LK_STRATEGY_H

#include <stdint.h>

enum lk_strategy_kind {
	LK_STRAT_DEFAULT, /* keep the current process, else the first */
	LK_STRAT_RANDOM,  /* uniform among the enabled, from a seed */
};

struct lk_strategy {
	uint32_t kind; /* enum lk_strategy_kind */
	uint64_t seed;
	uint64_t rng; /* generator state, advanced by every random pick */
};

/* Set up s for kind with seed (ignored by the default strategy). */
void lk_strategy_init(struct lk_strategy *s, unsigned kind, uint64_t seed);

/*
 * Pick a slot from the enabled set (bit i = slot i); current is the slot
 * that just acted, -1 when none. Returns -1 only when enabled is empty.
 */
int lk_strategy_pick(struct lk_strategy *s, uint64_t enabled, int current);

/* Strategy called name ("default", "random"), or -1. */
int lk_strategy_lookup(const char *name);

/* Name of a strategy kind. */
const char *lk_strategy_name(unsigned kind);

#endif
