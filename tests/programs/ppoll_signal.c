/*
 * An unmodified program for `lockstep run -- PROG`: ppoll's own signal
 * mask. The parent blocks SIGUSR1 (handled), forks a child that sends it
 * SIGUSR1 and exits, and waits in ppoll on the pipe to the child with an
 * empty mask. The signal may interrupt ppoll (EINTR, the handler ran in
 * the call), or the end of file may be first (ready, the signal stays
 * pending and blocked until the parent unblocks it). The handler never
 * runs outside the call before the unblock. WAIT_WITH=pselect or
 * epoll_pwait waits with that call instead.
 */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got, in_call, outside;

static void
on_usr1(int sig)
{
	(void)sig;
	got = 1;
	if (!in_call)
		outside = 1;
}

int
main(void)
{
	const char *with = getenv("WAIT_WITH") ? getenv("WAIT_WITH") : "ppoll";
	struct sigaction sa;
	sigset_t usr1, none;
	int p[2], r, err, ep = -1;
	char line[128];
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0 || pipe(p) != 0 ||
	    (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		close(p[0]);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	close(p[1]);
	if (strcmp(with, "epoll_pwait") == 0) {
		struct epoll_event ev = {EPOLLIN, {.fd = p[0]}};

		if ((ep = epoll_create1(0)) < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0)
			return 1;
	}
	in_call = 1;
	if (ep >= 0) {
		struct epoll_event ev;

		r = epoll_pwait(ep, &ev, 1, -1, &none);
	} else if (strcmp(with, "pselect") == 0) {
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(p[0], &rd);
		r = pselect(p[0] + 1, &rd, NULL, NULL, NULL, &none);
	} else {
		struct pollfd pfd = {p[0], POLLIN, 0};

		r = ppoll(&pfd, 1, NULL, &none);
	}
	err = errno;
	in_call = 0;
	snprintf(line, sizeof(line), "%s: %s, handler %s\n", with,
	         r > 0                   ? "ready"
	         : r < 0 && err == EINTR ? "interrupted"
	                                 : "failed",
	         got ? "ran in the call" : "not yet");
	if (write(1, line, strlen(line)) < 0 || outside)
		return 1;
	/* Under lockstep a signal is delivered at a scheduling point: the
	 * wait is the first after the unblock. */
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	while (wait(NULL) > 0)
		;
	snprintf(line, sizeof(line), "after the unblock: handler %s\n",
	         got ? "ran" : "did not run");
	if (write(1, line, strlen(line)) < 0)
		return 1;
	return got ? 0 : 1;
}
