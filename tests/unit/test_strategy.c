/* Unit tests of the scheduling strategies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strategy/strategy.h"

/* The default strategy keeps the current process while it can go on. */
static void
test_strategy_default_keeps_current(void **state)
{
	struct lk_strategy s;

	(void)state;
	lk_strategy_init(&s, LK_STRAT_DEFAULT, 0);
	assert_int_equal(lk_strategy_pick(&s, 0x6, 2, 0), 2);
	assert_int_equal(lk_strategy_pick(&s, 0x6, 1, 0), 1);
}

/* Otherwise it takes the lowest enabled slot. */
static void
test_strategy_default_lowest(void **state)
{
	struct lk_strategy s;

	(void)state;
	lk_strategy_init(&s, LK_STRAT_DEFAULT, 0);
	assert_int_equal(lk_strategy_pick(&s, 0x6, 0, 0), 1);
	assert_int_equal(lk_strategy_pick(&s, 0x6, -1, 0), 1);
	assert_int_equal(lk_strategy_pick(&s, 1ull << 63, 3, 0), 63);
}

/* Nobody enabled: -1 for every strategy. */
static void
test_strategy_empty(void **state)
{
	struct lk_strategy s;

	(void)state;
	lk_strategy_init(&s, LK_STRAT_DEFAULT, 0);
	assert_int_equal(lk_strategy_pick(&s, 0, 0, 0), -1);
	lk_strategy_init(&s, LK_STRAT_RANDOM, 9);
	assert_int_equal(lk_strategy_pick(&s, 0, 0, 0), -1);
}

/* Random picks only enabled slots, the same sequence for the same seed,
 * and reaches every enabled slot. */
static void
test_strategy_random_seeded(void **state)
{
	struct lk_strategy a, b, c;
	uint64_t seen = 0;
	int differ = 0;

	(void)state;
	lk_strategy_init(&a, LK_STRAT_RANDOM, 42);
	lk_strategy_init(&b, LK_STRAT_RANDOM, 42);
	lk_strategy_init(&c, LK_STRAT_RANDOM, 43);
	for (int i = 0; i < 1000; i++) {
		int x = lk_strategy_pick(&a, 0x2d, 0, 0);
		int y = lk_strategy_pick(&b, 0x2d, 0, 0);
		int z = lk_strategy_pick(&c, 0x2d, 0, 0);

		assert_int_equal(x, y);
		assert_true((0x2d >> x) & 1);
		seen |= 1ull << x;
		differ |= x != z;
	}
	assert_int_equal(seen, 0x2d);
	assert_true(differ);
}

/* PCT: the highest priority enabled process runs until a change point
 * lowers it; the same seed gives the same choices. */
static void
test_strategy_pct(void **state)
{
	struct lk_strategy a, b;
	int first, changed = 0;

	(void)state;
	lk_strategy_init_pct(&a, 5, 1, 100);
	first = lk_strategy_pick(&a, 0x7, -1, 0);
	for (uint32_t step = 1; step < 100; step++)
		assert_int_equal(lk_strategy_pick(&a, 0x7, first, step), first);
	/* Depth 3: two change points in 1..10; by step 10 the first choice
	 * has been lowered below the others at least once. */
	lk_strategy_init_pct(&a, 11, 3, 10);
	lk_strategy_init_pct(&b, 11, 3, 10);
	first = lk_strategy_pick(&a, 0x7, -1, 0);
	assert_int_equal(lk_strategy_pick(&b, 0x7, -1, 0), first);
	for (uint32_t step = 1; step <= 10; step++) {
		int x = lk_strategy_pick(&a, 0x7, first, step);

		assert_int_equal(lk_strategy_pick(&b, 0x7, first, step), x);
		changed |= x != first;
	}
	assert_true(changed);
	assert_int_equal(lk_strategy_pick(&a, 0, 0, 11), -1);
}

/* Names round-trip. */
static void
test_strategy_names(void **state)
{
	(void)state;
	assert_int_equal(lk_strategy_lookup("default"), LK_STRAT_DEFAULT);
	assert_int_equal(lk_strategy_lookup("random"), LK_STRAT_RANDOM);
	assert_int_equal(lk_strategy_lookup("pct"), LK_STRAT_PCT);
	assert_int_equal(lk_strategy_lookup("dfs-ish"), -1);
	assert_string_equal(lk_strategy_name(LK_STRAT_RANDOM), "random");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_strategy_default_keeps_current),
	        cmocka_unit_test(test_strategy_default_lowest),
	        cmocka_unit_test(test_strategy_empty),
	        cmocka_unit_test(test_strategy_random_seeded),
	        cmocka_unit_test(test_strategy_pct),
	        cmocka_unit_test(test_strategy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
