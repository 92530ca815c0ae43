/* Names of operations (the LK_OPS table in protocol.h). */
#include <string.h>

#include "common/protocol.h"

static const char *const op_names[] = {
#define LK_OP_NAME(name, str) str,
        LK_OPS(LK_OP_NAME)
#undef LK_OP_NAME
};

/* Name of an operation as written in traces and schedules. */
const char *
lk_op_name(unsigned op)
{
	return op < LK_OP__COUNT ? op_names[op] : "?";
}

/* Operation called name, or -1. */
int
lk_op_lookup(const char *name)
{
	for (unsigned i = 0; i < LK_OP__COUNT; i++)
		if (strcmp(op_names[i], name) == 0)
			return (int)i;
	return -1;
}
