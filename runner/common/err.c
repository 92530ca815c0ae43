/* Error reports shared by every part of lockstep. */
#include <stdarg.h>
#include <stdio.h>

#include "lockstep/lockstep.h"

/* Fill err (if not NULL) with status and a printf-style message. */
void
lk_err_set(struct lk_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}
