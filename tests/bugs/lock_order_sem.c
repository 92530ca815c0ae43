/* Lock order with POSIX named semaphores: one process takes a then b,
 * the other b then a; when each holds its first, both wait forever.
 * "fixed": both take a then b. */
#include <fcntl.h>
#include <semaphore.h>
#include <string.h>

#include "bug.h"

static sem_t *a, *b;

static int
ab(void *arg)
{
	(void)arg;
	sem_wait(a);
	sem_wait(b);
	sem_post(b);
	sem_post(a);
	return 0;
}

static int
ba(void *arg)
{
	(void)arg;
	sem_wait(b);
	sem_wait(a);
	sem_post(a);
	sem_post(b);
	return 0;
}

int
main(int argc, char **argv)
{
	int fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
	char na[64], nb[64];
	pid_t p, q;

	/* Fixed names (lockstep makes them private to each run; no pid
	 * in them, or the runs would not name the same objects). */
	snprintf(na, sizeof(na), "/lk-bug-order-a");
	snprintf(nb, sizeof(nb), "/lk-bug-order-b");
	sem_unlink(na);
	sem_unlink(nb);
	a = sem_open(na, O_CREAT | O_EXCL, 0600, 1);
	b = sem_open(nb, O_CREAT | O_EXCL, 0600, 1);
	if (a == SEM_FAILED || b == SEM_FAILED) {
		perror("sem_open");
		return 70;
	}
	sem_unlink(na);
	sem_unlink(nb);
	p = bug_spawn(ab, NULL);
	q = bug_spawn(fixed ? ab : ba, NULL);
	bug_reap(p);
	bug_reap(q);
	return 0;
}
