/*
 * A fork bomb: every process forks until fork fails, then reaps its
 * children and exits. Under lockstep (--max-procs, 64 by default) the
 * failure is EAGAIN. The bomb bounds itself too, whatever runs it: a
 * counter in a shared mapping stops every process after LIMIT forks in
 * all, so a lockstep that let it through would not take the machine
 * down. Standard output gets the number of processes and how fork failed.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdatomic.h>

#include "hostile.h"

#define LIMIT 256

struct tally {
	atomic_int forks;  /* successful forks, all processes */
	atomic_int eagain; /* forks that failed with EAGAIN */
	atomic_int other;  /* forks that failed otherwise */
};

int
main(void)
{
	struct tally *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
	                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int top, status, bad = 0;
	char line[128];
	pid_t pid;

	if (t == MAP_FAILED)
		return 1;
	top = getpid();
	for (;;) {
		if (atomic_fetch_add(&t->forks, 1) >= LIMIT)
			break;
		pid = fork();
		if (pid < 0) {
			atomic_fetch_sub(&t->forks, 1);
			atomic_fetch_add(
			        errno == EAGAIN ? &t->eagain : &t->other, 1);
			break;
		}
	}
	while ((pid = wait(&status)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	if (getpid() != top)
		_exit(bad != 0);
	snprintf(line, sizeof(line),
	         "forks %d, EAGAIN %d, other errors %d, bad children %d\n",
	         atomic_load(&t->forks), atomic_load(&t->eagain),
	         atomic_load(&t->other), bad);
	say(line);
	return bad != 0 || atomic_load(&t->other) != 0;
}
