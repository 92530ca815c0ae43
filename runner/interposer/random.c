/*
 * rand and random, the same in every run with the same seed. Each process
 * draws from a generator of its own (xorshift64*), seeded from the run's
 * strategy seed (--seed) and the process's name, so main and main.1 draw
 * different numbers, and the same ones in the next run. srand(s) and
 * srandom(s) reseed it from s and the name: a program that seeds with a
 * constant gets the same numbers whatever --seed says. A forked child
 * starts a sequence of its own (natively it would continue its parent's);
 * an exec starts afresh. Not steps: no event, no scheduling point.
 */
#include <stdlib.h>

#include "interposer.h"

/* FNV-1a of a name. */
static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* Seed the calling process's generator from seed and its name. */
static void
seed_with(uint64_t seed)
{
	uint64_t z = (seed ^ hash(lk__self()->name)) + 0x9e3779b97f4a7c15ull;

	/* splitmix64 spreads close seeds apart; xorshift needs non-zero. */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	lk__ip.rand_state = z != 0 ? z : 1;
	lk__ip.rand_seeded = 1;
}

/* The next number, 0 .. 2^31 - 1 (RAND_MAX). */
static long
next(void)
{
	uint64_t x;

	/* Not seeded yet in this process (lk__ip_forked clears it). */
	if (!lk__ip.rand_seeded)
		seed_with(lk__shared()->strategy.seed);
	x = lk__ip.rand_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	lk__ip.rand_state = x;
	return (long)((x * 0x2545f4914f6cdd1dull) >> 33);
}

int
rand(void)
{
	if (lk__shared() == NULL)
		return REAL(rand)();
	return (int)next();
}

long
random(void)
{
	if (lk__shared() == NULL)
		return REAL(random)();
	return next();
}

void
srand(unsigned seed)
{
	if (lk__shared() == NULL)
		REAL(srand)(seed);
	else
		seed_with(seed);
}

void
srandom(unsigned seed)
{
	if (lk__shared() == NULL)
		REAL(srandom)(seed);
	else
		seed_with(seed);
}
