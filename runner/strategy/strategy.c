/* The scheduling strategies (see strategy.h). */
#include "strategy/strategy.h"

/* splitmix64: a small, well-mixed generator; the state is one word. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Index of the n-th set bit of mask (n counts from 0). */
static int
nth_bit(uint64_t mask, unsigned n)
{
	while (n-- > 0)
		mask &= mask - 1;
	return __builtin_ctzll(mask);
}

/* Set up s for kind with seed (ignored by the default strategy). */
void
lk_strategy_init(struct lk_strategy *s, unsigned kind, uint64_t seed)
{
	s->kind = kind;
	s->seed = seed;
	s->rng = seed;
}

/* Set up PCT (see strategy.h). */
void
lk_strategy_init_pct(struct lk_strategy *s, uint64_t seed, unsigned depth,
                     uint32_t steps)
{
	lk_strategy_init(s, LK_STRAT_PCT, seed);
	if (depth < 1)
		depth = 1;
	if (depth > LK_PCT_MAX_DEPTH)
		depth = LK_PCT_MAX_DEPTH;
	s->depth = depth;
	/* Initial priorities depth .. depth+LK_MAX_PROCS-1, a random
	 * permutation. */
	for (uint32_t i = 0; i < LK_MAX_PROCS; i++)
		s->prio[i] = depth + i;
	for (uint32_t i = LK_MAX_PROCS - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next_random(&s->rng) % (i + 1));
		uint32_t t = s->prio[i];

		s->prio[i] = s->prio[j];
		s->prio[j] = t;
	}
	for (uint32_t i = 0; i + 1 < depth; i++)
		s->change[i] = 1 + (uint32_t)(next_random(&s->rng) %
		                              (steps ? steps : 1));
}

/* PCT: lower the running process at a change point, then the highest
 * priority enabled process. */
static int
pick_pct(struct lk_strategy *s, uint64_t enabled, int current, uint32_t step)
{
	int best = -1;

	for (uint32_t i = 0; i + 1 < s->depth; i++)
		if (s->change[i] == step && current >= 0 &&
		    current < LK_MAX_PROCS)
			s->prio[current] = s->depth - 1 - i;
	for (int i = 0; i < LK_MAX_PROCS; i++)
		if ((enabled & (1ull << i)) &&
		    (best < 0 || s->prio[i] > s->prio[best]))
			best = i;
	return best;
}

/* Pick a slot from the enabled set; -1 only when it is empty. */
int
lk_strategy_pick(struct lk_strategy *s, uint64_t enabled, int current,
                 uint32_t step)
{
	unsigned n;

	if (enabled == 0)
		return -1;
	switch (s->kind) {
	case LK_STRAT_PCT:
		return pick_pct(s, enabled, current, step);
	case LK_STRAT_RANDOM:
		n = (unsigned)__builtin_popcountll(enabled);
		return nth_bit(enabled, (unsigned)(next_random(&s->rng) % n));
	case LK_STRAT_DEFAULT:
	default:
		if (current >= 0 && current < LK_MAX_PROCS &&
		    (enabled & (1ull << current)))
			return current;
		return __builtin_ctzll(enabled);
	}
}

/* Choose one of several kernel results (see strategy.h). */
int
lk_strategy_choose(struct lk_strategy *s, uint64_t set)
{
	unsigned n = (unsigned)__builtin_popcountll(set);

	if (set == 0)
		return -1;
	if (n == 1 || s->kind == LK_STRAT_DEFAULT)
		return __builtin_ctzll(set);
	return nth_bit(set, (unsigned)(next_random(&s->rng) % n));
}
