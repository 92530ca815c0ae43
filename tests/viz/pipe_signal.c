/*
 * A program for test_viz: a child writes two messages into a pipe,
 * signals its parent twice with SIGUSR1 and closes its write end; the
 * parent reads the pipe three bytes at a time until the end of file, so
 * reads take bytes of both writes, and its handler counts deliveries.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

/* Count a delivery of SIGUSR1. */
static void
on_usr1(int sig)
{
	(void)sig;
	got++;
}

/* The child: two writes, two kills, the close that brings the EOF. */
static void
child(int fd)
{
	if (write(fd, "ping", 4) != 4 || write(fd, "pong!", 5) != 5)
		_exit(1);
	kill(getppid(), SIGUSR1);
	kill(getppid(), SIGUSR1);
	close(fd);
	_exit(0);
}

int
main(void)
{
	struct sigaction sa;
	char buf[3];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || pipe(fds) != 0)
		return 1;
	if ((pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		close(fds[0]);
		child(fds[1]);
	}
	close(fds[1]);
	/* A read a signal interrupts is tried again. */
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
