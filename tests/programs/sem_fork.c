/*
 * An unmodified program for `lockstep run -- PROG`: a parent and its child
 * meet on two named semaphores (a rendezvous), the child execs echo, and
 * the parent waits for it. With HANG in the environment the waits come
 * first on both sides, so the two hang on each other.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

int
main(void)
{
	int hang = getenv("HANG") != NULL;
	sem_t *a = sem_open("/a_arrived", O_CREAT, 0600, 0);
	sem_t *b = sem_open("/b_arrived", O_CREAT, 0600, 0);
	pid_t pid;
	int status;

	if (a == SEM_FAILED || b == SEM_FAILED)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		say("child 1\n");
		if (hang) {
			sem_wait(a);
			sem_post(b);
		} else {
			sem_post(b);
			sem_wait(a);
		}
		execlp("echo", "echo", "child 2", (char *)NULL);
		_exit(127);
	}
	say("parent 1\n");
	if (hang) {
		sem_wait(b);
		sem_post(a);
	} else {
		sem_post(a);
		sem_wait(b);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	say("parent 2\n");
	sem_unlink("/a_arrived");
	sem_unlink("/b_arrived");
	return WEXITSTATUS(status);
}
