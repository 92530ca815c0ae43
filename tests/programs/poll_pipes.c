/*
 * An unmodified program for `lockstep run -- PROG`: two children each
 * write a line into a pipe of their own and exit; the parent waits for
 * either, reads what is ready and says which pipe it was, until both are
 * at the end of file. Which pipe is ready first is the schedule's doing;
 * natively, the kernel's.
 *
 * How the parent waits, from the environment: WAIT_WITH=poll (the
 * default), select, ppoll, pselect, epoll (epoll_wait), epoll_pwait or
 * epoll_pwait2 (USE_SELECT=1 is select). With an epoll, EPOLL_MODE=et
 * watches edge-triggered (the read ends non-blocking, read until EAGAIN)
 * and EPOLL_MODE=oneshot one-shot (re-armed with EPOLL_CTL_MOD after
 * each event). The p-calls block SIGUSR1 outside the wait and let it
 * through in it. DELAY_MS=N: the children sleep N ms before writing and
 * the parent's first wait has a timeout of N/10 ms; it says "timed out"
 * when that expires.
 */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *with = "poll";
static int ep = -1, et, oneshot;
static sigset_t in_wait; /* the p-calls' mask */

/* Wait for one of the open read ends, at most timeout_ms (-1: no limit);
 * its index, 2 when it timed out, -1 on failure. */
static int
wait_ready(const int *fd, const int *open_, int timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, timeout_ms % 1000 * 1000000};
	struct timespec *tsp = timeout_ms < 0 ? NULL : &ts;
	int r = -1;

	if (strcmp(with, "select") == 0 || strcmp(with, "pselect") == 0) {
		struct timeval tv = {timeout_ms / 1000,
		                     timeout_ms % 1000 * 1000};
		fd_set rd;
		int top = 0;

		FD_ZERO(&rd);
		for (int i = 0; i < 2; i++)
			if (open_[i]) {
				FD_SET(fd[i], &rd);
				top = fd[i] + 1 > top ? fd[i] + 1 : top;
			}
		if (with[0] == 's')
			r = select(top, &rd, NULL, NULL,
			           timeout_ms < 0 ? NULL : &tv);
		else
			r = pselect(top, &rd, NULL, NULL, tsp, &in_wait);
		if (r <= 0)
			return r == 0 ? 2 : -1;
		for (int i = 0; i < 2; i++)
			if (open_[i] && FD_ISSET(fd[i], &rd))
				return i;
		return -1;
	}
	if (ep >= 0) {
		struct epoll_event ev;

		if (strcmp(with, "epoll") == 0)
			r = epoll_wait(ep, &ev, 1, timeout_ms);
		else if (strcmp(with, "epoll_pwait") == 0)
			r = epoll_pwait(ep, &ev, 1, timeout_ms, &in_wait);
		else
			r = epoll_pwait2(ep, &ev, 1, tsp, &in_wait);
		if (r <= 0)
			return r == 0 ? 2 : -1;
		for (int i = 0; i < 2; i++)
			if (open_[i] && ev.data.fd == fd[i])
				return i;
		return -1;
	}
	struct pollfd p[2] = {{open_[0] ? fd[0] : -1, POLLIN, 0},
	                      {open_[1] ? fd[1] : -1, POLLIN, 0}};

	if (strcmp(with, "ppoll") == 0)
		r = ppoll(p, 2, tsp, &in_wait);
	else
		r = poll(p, 2, timeout_ms);
	if (r <= 0)
		return r == 0 ? 2 : -1;
	for (int i = 0; i < 2; i++)
		if (p[i].revents != 0)
			return i;
	return -1;
}

static int
say(const char *text)
{
	return write(1, text, strlen(text)) < 0 ? -1 : 0;
}

int
main(void)
{
	const char *mode = getenv("EPOLL_MODE"), *delay = getenv("DELAY_MS");
	int fd[2], open_[2] = {1, 1}, p[2], ms = delay ? atoi(delay) : 0;
	int timeout = ms > 0 ? ms / 10 : -1;
	char buf[64], line[96];
	sigset_t usr1;

	if (getenv("WAIT_WITH") != NULL)
		with = getenv("WAIT_WITH");
	else if (getenv("USE_SELECT") != NULL)
		with = "select";
	et = mode != NULL && strcmp(mode, "et") == 0;
	oneshot = mode != NULL && strcmp(mode, "oneshot") == 0;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &in_wait);
	for (int i = 0; i < 2; i++) {
		pid_t pid;

		if (pipe(p) != 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			struct timespec d = {ms / 1000, ms % 1000 * 1000000};

			close(p[0]);
			if (ms > 0)
				nanosleep(&d, NULL);
			snprintf(line, sizeof(line), "from %d\n", i + 1);
			if (write(p[1], line, strlen(line)) < 0)
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		fd[i] = p[0];
	}
	if (strncmp(with, "epoll", 5) == 0) {
		if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
			return 1;
		for (int i = 0; i < 2; i++) {
			struct epoll_event ev = {EPOLLIN, {.fd = fd[i]}};

			ev.events |= et ? EPOLLET : oneshot ? EPOLLONESHOT : 0;
			if (et && fcntl(fd[i], F_SETFL, O_NONBLOCK) != 0)
				return 1;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev) != 0)
				return 1;
		}
	}
	while (open_[0] || open_[1]) {
		int i = wait_ready(fd, open_, timeout);
		ssize_t n;

		timeout = -1;
		if (i == 2) {
			if (say("timed out\n") != 0)
				return 1;
			continue;
		}
		if (i < 0)
			return 1;
		/* Edge-triggered: drain until EAGAIN or the end of file. */
		do {
			n = read(fd[i], buf, sizeof(buf));
			if (n < 0 && et && errno == EAGAIN)
				break;
			if (n < 0)
				return 1;
			if (n == 0) {
				open_[i] = 0;
				if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_DEL,
				                         fd[i], NULL) != 0)
					return 1;
				close(fd[i]);
				break;
			}
			snprintf(line, sizeof(line), "pipe %d: %.*s", i + 1,
			         (int)n, buf);
			if (say(line) != 0)
				return 1;
		} while (et);
		if (oneshot && open_[i]) {
			struct epoll_event ev = {EPOLLIN | EPOLLONESHOT,
			                         {.fd = fd[i]}};

			if (epoll_ctl(ep, EPOLL_CTL_MOD, fd[i], &ev) != 0)
				return 1;
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
