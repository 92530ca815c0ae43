/* Lock order with fcntl record locks: one process locks byte 0 then
 * byte 1 of a file, the other byte 1 then byte 0. The kernel sees the
 * cycle and fails one F_SETLKW with EDEADLK (under lockstep: the run
 * deadlocks); either way the bug shows. */
#include <errno.h>
#include <fcntl.h>

#include "bug.h"

static int fd;

static int
lock(int byte, int type)
{
	struct flock fl = {.l_type = (short)type,
	                   .l_whence = SEEK_SET,
	                   .l_start = byte,
	                   .l_len = 1};

	return fcntl(fd, F_SETLKW, &fl);
}

static int
worker(void *arg)
{
	int first = (int)(long)arg, second = 1 - first;

	if (lock(first, F_WRLCK) != 0)
		return errno == EDEADLK ? 1 : 70;
	if (lock(second, F_WRLCK) != 0)
		return errno == EDEADLK ? 1 : 70;
	lock(second, F_UNLCK);
	lock(first, F_UNLCK);
	return 0;
}

int
main(void)
{
	char path[] = "/tmp/lk-bug-fcntl-XXXXXX";
	pid_t p, q;
	int bad;

	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 70;
	}
	unlink(path);
	p = bug_spawn(worker, (void *)0L);
	q = bug_spawn(worker, (void *)1L);
	bad = bug_reap(p);
	bad |= bug_reap(q);
	return bad ? 1 : 0;
}
