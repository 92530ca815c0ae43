/*
 * The parent forks and waits for its child; the child keeps the turn for
 * ever: it posts a semaphore (a step that never gives the turn away, the
 * parent being blocked in waitpid), then works a while without a step,
 * again and again. After its first 100 posts it creates the file named
 * by its argument, so a test knows it holds the turn.
 */
#include "hostile.h"

int
main(int argc, char **argv)
{
	sem_t *s = sem_open("/hostile_hold", O_CREAT, 0600, 0);
	pid_t pid;

	if (argc != 2 || s == SEM_FAILED)
		return 2;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (long i = 0;; i++) {
			if (sem_post(s) != 0 || sem_wait(s) != 0)
				_exit(1);
			if (i == 100)
				close(open(argv[1], O_WRONLY | O_CREAT, 0600));
			for (volatile long k = 0; k < 100000; k++)
				;
		}
	}
	waitpid(pid, NULL, 0);
	sem_unlink("/hostile_hold");
	return 0;
}
