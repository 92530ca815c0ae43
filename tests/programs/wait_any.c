/*
 * An unmodified program for `lockstep run -- PROG`: a parent forks three
 * children (CHILDREN in the environment: another number, up to 8) that each
 * post a semaphore and exit; once the parent has seen the three posts it reaps
 * them with wait(0) (or, with WAIT_HOW in the environment, waitpid(-1), wait3,
 * wait4 or waitid P_ALL) and prints the order. Natively that order is the
 * kernel's; under lockstep the schedule chooses it.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CHILDREN 8

/* Reap one child the way WAIT_HOW says; its pid, its status in *ws. */
static pid_t
reap(const char *how, int *ws)
{
	struct rusage ru;
	siginfo_t si;

	if (strcmp(how, "waitpid") == 0)
		return waitpid(-1, ws, 0);
	if (strcmp(how, "wait3") == 0)
		return wait3(ws, 0, &ru);
	if (strcmp(how, "wait4") == 0)
		return wait4(-1, ws, 0, &ru);
	if (strcmp(how, "waitid") == 0) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED) != 0)
			return -1;
		*ws = si.si_status << 8;
		return si.si_pid;
	}
	return wait(ws);
}

int
main(void)
{
	const char *how = getenv("WAIT_HOW") ? getenv("WAIT_HOW") : "wait";
	sem_t *done = sem_open("/lk_wait_any", O_CREAT, 0600, 0);
	int kids_n = getenv("CHILDREN") ? atoi(getenv("CHILDREN")) : 3;
	pid_t kids[MAX_CHILDREN + 1];
	char line[64];
	int ws, n, k;

	if (done == SEM_FAILED || kids_n < 1 || kids_n > MAX_CHILDREN)
		return 1;
	for (int i = 1; i <= kids_n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			sem_post(done);
			_exit(0);
		}
		kids[i] = pid;
	}
	for (int i = 0; i < kids_n; i++)
		sem_wait(done);
	for (int i = 0; i < kids_n; i++) {
		pid_t pid = reap(how, &ws);

		if (pid < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
			return 1;
		for (k = 1; k <= kids_n && kids[k] != pid; k++)
			;
		n = snprintf(line, sizeof(line), "reaped %d\n", k);
		if (write(1, line, (size_t)n) != n)
			return 1;
	}
	sem_unlink("/lk_wait_any");
	return 0;
}
