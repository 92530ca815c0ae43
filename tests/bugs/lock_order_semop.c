/* Lock order with a SysV semaphore set: two binary semaphores taken in
 * opposite orders by two processes (semop, one at a time). */
#include <sys/ipc.h>
#include <sys/sem.h>

#include "bug.h"

static int set;

static void
op(unsigned short num, short delta)
{
	struct sembuf b = {.sem_num = num, .sem_op = delta, .sem_flg = 0};

	if (semop(set, &b, 1) != 0) {
		perror("semop");
		_exit(70);
	}
}

static int
worker(void *arg)
{
	unsigned short first = (unsigned short)(long)arg,
	               second = (unsigned short)(1 - first);

	op(first, -1);
	op(second, -1);
	op(second, 1);
	op(first, 1);
	return 0;
}

int
main(void)
{
	unsigned short one[2] = {1, 1};
	pid_t p, q;

	set = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	if (set < 0 || semctl(set, 0, SETALL, one) != 0) {
		perror("semget");
		return 70;
	}
	p = bug_spawn(worker, (void *)0L);
	q = bug_spawn(worker, (void *)1L);
	bug_reap(p);
	bug_reap(q);
	semctl(set, 0, IPC_RMID);
	return 0;
}
