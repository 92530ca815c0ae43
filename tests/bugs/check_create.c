/* Check-then-create on a file: a process takes the lock file when
 * access() says it does not exist, then creates it with O_CREAT but
 * without O_EXCL; two processes can both see it missing and both
 * believe they hold the lock. Uses bug-check-create.lock in the current
 * directory (explore gives each run a copy-on-write view of it). */
#include <fcntl.h>

#include "bug.h"

#define LOCK "bug-check-create.lock"

static int
take(void *arg)
{
	int fd;

	(void)arg;
	if (access(LOCK, F_OK) == 0)
		return 0;                          /* someone holds it */
	fd = open(LOCK, O_CREAT | O_WRONLY, 0600); /* the bug: no O_EXCL */
	if (fd < 0)
		return 70;
	close(fd);
	return 10; /* took it */
}

int
main(void)
{
	pid_t a, b;
	int took;

	unlink(LOCK);
	a = bug_spawn(take, NULL);
	b = bug_spawn(take, NULL);
	took = (bug_reap(a) == 10) + (bug_reap(b) == 10);
	unlink(LOCK);
	return took == 1 ? 0 : 1;
}
