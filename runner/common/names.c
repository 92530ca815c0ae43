/* Names of the strategy kinds the protocol stores (struct lk_strategy):
 * traces and schedules name the strategy that made them. */
#include <string.h>

#include "common/protocol.h"

static const char *const names[] = {
        [LK_STRAT_DEFAULT] = "default",
        [LK_STRAT_RANDOM] = "random",
        [LK_STRAT_PCT] = "pct",
};

/* Strategy called name, or -1. */
int
lk_strategy_lookup(const char *name)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Name of a strategy kind. */
const char *
lk_strategy_name(unsigned kind)
{
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
