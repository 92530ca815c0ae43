/* A rendezvous with a semaphore posted too early: the parent posts
 * "done" for its child before it has written the result the child
 * reads, so the child may read the old one. (The same mistake as
 * publish-before-initialise, with a file and a named semaphore.) */
#include <fcntl.h>
#include <semaphore.h>

#include "bug.h"

static int fd;
static sem_t *done;

static int
child(void *arg)
{
	char c = 0;

	(void)arg;
	sem_wait(done);
	if (pread(fd, &c, 1, 0) != 1)
		return 70;
	return c == 'n' ? 0 : 1;
}

int
main(void)
{
	char path[] = "/tmp/lk-bug-early-XXXXXX", name[64];
	pid_t c;

	snprintf(name, sizeof(name), "/lk-bug-early");
	sem_unlink(name);
	fd = mkstemp(path);
	done = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (fd < 0 || done == SEM_FAILED || write(fd, "o", 1) != 1)
		return 70;
	unlink(path);
	sem_unlink(name);
	c = bug_spawn(child, NULL);
	sem_post(done); /* the bug: before the write, not after */
	if (pwrite(fd, "n", 1, 0) != 1)
		return 70;
	return bug_reap(c) ? 1 : 0;
}
