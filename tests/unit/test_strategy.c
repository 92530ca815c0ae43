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
	assert_int_equal(lk_strategy_pick(&s, 0x6, 2), 2);
	assert_int_equal(lk_strategy_pick(&s, 0x6, 1), 1);
}

/* Otherwise it takes the lowest enabled slot. */
static void
test_strategy_default_lowest(void **state)
{
	struct lk_strategy s;

	(void)state;
	lk_strategy_init(&s, LK_STRAT_DEFAULT, 0);
	assert_int_equal(lk_strategy_pick(&s, 0x6, 0), 1);
	assert_int_equal(lk_strategy_pick(&s, 0x6, -1), 1);
	assert_int_equal(lk_strategy_pick(&s, 1ull << 63, 3), 63);
}

/* Nobody enabled: -1 for every strategy. */
static void
test_strategy_empty(void **state)
{
	struct lk_strategy s;

	(void)state;
	lk_strategy_init(&s, LK_STRAT_DEFAULT, 0);
	assert_int_equal(lk_strategy_pick(&s, 0, 0), -1);
	lk_strategy_init(&s, LK_STRAT_RANDOM, 9);
	assert_int_equal(lk_strategy_pick(&s, 0, 0), -1);
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
		int x = lk_strategy_pick(&a, 0x2d, 0);
		int y = lk_strategy_pick(&b, 0x2d, 0);
		int z = lk_strategy_pick(&c, 0x2d, 0);

		assert_int_equal(x, y);
		assert_true((0x2d >> x) & 1);
		seen |= 1ull << x;
		differ |= x != z;
	}
	assert_int_equal(seen, 0x2d);
	assert_true(differ);
}

/* Names round-trip. */
static void
test_strategy_names(void **state)
{
	(void)state;
	assert_int_equal(lk_strategy_lookup("default"), LK_STRAT_DEFAULT);
	assert_int_equal(lk_strategy_lookup("random"), LK_STRAT_RANDOM);
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
	        cmocka_unit_test(test_strategy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
