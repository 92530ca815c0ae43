/* Names of operations (the LK_OPS table in protocol.h). */
#include <stdio.h>
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

/* The name a run gives named semaphore name ("/x" or "x"): "/RUNID.x",
 * into buf; 0, or -1 when it does not fit. */
int
lk_private_name(const char *run_id, const char *name, char *buf, size_t size)
{
	int n;

	if (name[0] == '/')
		name++;
	n = snprintf(buf, size, "/%s.%s", run_id, name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
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
