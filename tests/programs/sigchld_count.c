/*
 * A SIGCHLD handler that makes a call of its own (a write into a pipe),
 * four children that exit at once, and a parent that reaps them with
 * wait. Prints how many times the handler ran and what it wrote. Under
 * lockstep the handler runs once per "signal" step of the trace, never
 * for the copy of SIGCHLD the kernel raises when a child really exits
 * (after its exit step was delivered); natively the count depends on
 * how the exits fall.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#define CHILDREN 4

static volatile sig_atomic_t runs;
static int fds[2];

static void
on_child(int s)
{
	char c = 'c';

	(void)s;
	runs++;
	if (write(fds[1], &c, 1) != 1)
		_exit(3);
}

int
main(void)
{
	char buf[64];
	ssize_t got;
	int reaped = 0;

	if (pipe(fds) != 0 || signal(SIGCHLD, on_child) == SIG_ERR)
		return 2;
	for (int i = 0; i < CHILDREN; i++) {
		pid_t p = fork();

		if (p < 0)
			return 2;
		if (p == 0)
			_exit(0);
	}
	while (reaped < CHILDREN) {
		if (wait(NULL) > 0)
			reaped++;
		else if (errno != EINTR)
			return 2;
	}
	/* What the handler wrote: one byte per run. */
	close(fds[1]);
	got = read(fds[0], buf, sizeof(buf));
	printf("reaped %d\nruns %d\nwrote %zd\n", reaped, (int)runs, got);
	return 0;
}
