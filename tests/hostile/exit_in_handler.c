/*
 * The parent installs a SIGUSR1 handler that calls _exit(0), forks, and
 * blocks in sem_wait on a semaphore nobody posts; the child sends it
 * SIGUSR1 and exits. The parent leaves from inside the handler, its
 * sem_wait never returning, and the child is never reaped by it.
 */
#include <signal.h>

#include "hostile.h"

static void
on_usr1(int sig)
{
	(void)sig;
	say("parent: _exit from the handler\n");
	_exit(0);
}

int
main(void)
{
	sem_t *never = sem_open("/hostile_never", O_CREAT, 0600, 0);
	struct sigaction sa = {.sa_handler = on_usr1};
	pid_t pid;

	if (never == SEM_FAILED)
		return 1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		say("child: signalling\n");
		if (kill(getppid(), SIGUSR1) != 0)
			_exit(1);
		_exit(0);
	}
	say("parent: waiting\n");
	sem_wait(never);
	say("parent: sem_wait returned\n");
	return 1;
}
