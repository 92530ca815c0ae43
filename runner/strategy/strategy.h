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
	LK_STRAT_PCT,     /* probabilistic concurrency testing */
};

#define LK_PCT_MAX_DEPTH 16

struct lk_strategy {
	uint32_t kind; /* enum lk_strategy_kind */
	uint64_t seed;
	uint64_t rng; /* generator state, advanced by every random pick */
	/* PCT (Burckhardt et al., ASPLOS 2010): distinct priorities, the
	 * highest enabled runs; at each change point the running process
	 * drops to a priority below all initial ones. */
	uint32_t depth;
	uint32_t change[LK_PCT_MAX_DEPTH];
	uint32_t prio[64];
};

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
int lk_strategy_pick(struct lk_strategy *s, uint64_t enabled, int current,
                     uint32_t step);

/*
 * Choose one of several results the kernel could give (bit i = choice
 * i, e.g. which exited child a wait reaps): the lowest with the default
 * strategy, else uniform from the seed. Returns -1 only when set is empty.
 */
int lk_strategy_choose(struct lk_strategy *s, uint64_t set);

/* Strategy called name ("default", "random", "pct"), or -1. */
int lk_strategy_lookup(const char *name);

/* Name of a strategy kind. */
const char *lk_strategy_name(unsigned kind);

#endif
