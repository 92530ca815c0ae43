/*
 * System calls made with syscall(2), around the wrapped libc functions:
 * a FUTEX_WAIT with a 100 ms timeout on a private word nobody wakes (it
 * really waits, and times out), and a write to standard output. The
 * futex wait is made as it is; the raw write is dispatched to the
 * interposer's write like glibc's own (runner/interposer/sud.c), a step.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <linux/futex.h>
#include <time.h>

#include "hostile.h"

int
main(void)
{
	static const char raw[] = "raw write\n";
	struct timespec brief = {0, 100 * 1000 * 1000};
	unsigned word = 0;
	long r;

	say("before\n");
	r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0u, &brief, NULL, 0);
	if (r != -1 || errno != ETIMEDOUT)
		return 1;
	if (syscall(SYS_write, 1, raw, sizeof(raw) - 1) !=
	    (long)sizeof(raw) - 1)
		return 1;
	say("after\n");
	return ping_pong(2) == 0 ? 0 : 1;
}
