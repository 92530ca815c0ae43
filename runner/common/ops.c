/* The table of operations (ops.h) as data, and names of the run's own. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common/protocol.h"

/* Every payload member the table names exists in union lk_payload. */
#define LK_OP_MEMBER(name, str, member, ...)                                   \
	_Static_assert(sizeof(((union lk_payload *)0)->member) <=              \
	                       sizeof(union lk_payload),                       \
	               "ops.h: " #name ": no payload member " #member);
LK_OPS(LK_OP_MEMBER)
#undef LK_OP_MEMBER

const struct lk_op_info lk__ops[LK_OP__COUNT] = {
#define LK_OP_ROW(name, str, member, kind, flags, dep, ...)                    \
	[LK_OP_##name] = {str, #member, LK_OK_##kind, flags, LK_DEP_##dep},
        LK_OPS(LK_OP_ROW)
#undef LK_OP_ROW
};

/* Name of an operation as written in traces and schedules. */
const char *
lk_op_name(unsigned op)
{
	return op < LK_OP__COUNT ? lk__ops[op].name : "?";
}

/* Does a lock operation with payload u take (1) or release (2) a lock,
 * or only ask (0)? */
int
lk_op_lock_dir(const union lk_payload *u)
{
	/* A query (F_GETLK, F_OFD_GETLK) locks nothing, whatever type it
	 * asked about. */
	if (u->lock.cmd == F_GETLK || u->lock.cmd == F_OFD_GETLK)
		return 0;
	return u->lock.type == F_UNLCK ? 2 : 1;
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
		if (strcmp(lk__ops[i].name, name) == 0)
			return (int)i;
	return -1;
}
