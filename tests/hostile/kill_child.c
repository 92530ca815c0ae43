/*
 * The parent forks a child that keeps stepping (posts and waits on a
 * semaphore of its own, writes), lets it take a few steps, SIGKILLs it
 * and reaps it. With the argument "block" the child instead blocks in
 * sem_wait on a semaphore nobody posts. The program itself handles the
 * death: it exits 0 when the child died of SIGKILL.
 */
#include <signal.h>

#include "hostile.h"

int
main(int argc, char **argv)
{
	int block = argc > 1 && strcmp(argv[1], "block") == 0;
	sem_t *started = sem_open("/hostile_started", O_CREAT, 0600, 0);
	sem_t *never = sem_open("/hostile_never", O_CREAT, 0600, 0);
	char line[64];
	int status;
	pid_t pid;

	if (started == SEM_FAILED || never == SEM_FAILED)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		sem_post(started);
		if (block) {
			say("child: blocking\n");
			sem_wait(never);
			_exit(1);
		}
		for (unsigned long i = 0;; i++) {
			if (i % 1000 == 0)
				say("child: stepping\n");
			sem_post(started);
			sem_wait(started);
		}
	}
	sem_wait(started);
	if (kill(pid, SIGKILL) != 0)
		return 1;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	snprintf(line, sizeof(line), "parent: child %s %d\n",
	         WIFSIGNALED(status) ? "killed by signal" : "exited",
	         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	say(line);
	sem_unlink("/hostile_started");
	sem_unlink("/hostile_never");
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1;
}
