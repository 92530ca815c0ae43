/* Words of what lockstep prints: errno names and plurals. */
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"

/* Name of an errno value, "ENOENT"; "errno N" when libc has none. */
const char *
lk_errno_name(int err)
{
	static char buf[32];
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	if (name != NULL)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* one when n is 1, else many. */
const char *
lk_plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
