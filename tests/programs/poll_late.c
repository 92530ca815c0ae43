/*
 * An unmodified program for `lockstep run -- PROG`: the parent asks once,
 * without waiting (timeout 0), which of two pipes is readable; a child
 * writes into the second only. Whether the write comes before the
 * question is the schedule's: explore must find both answers, though
 * the call is recorded on the first pipe, which nobody touches.
 * WAIT_WITH=poll (default), ppoll, select or epoll.
 */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	const char *with = getenv("WAIT_WITH") ? getenv("WAIT_WITH") : "poll";
	int a[2], b[2], r = -1, second = 0;
	struct timespec zero = {0, 0};

	if (pipe(a) != 0 || pipe(b) != 0)
		return 1;
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		if (write(b[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (strcmp(with, "epoll") == 0) {
		struct epoll_event ev[2], e0 = {EPOLLIN, {.fd = a[0]}},
		                          e1 = {EPOLLIN, {.fd = b[0]}};
		int ep = epoll_create1(0);

		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &e0) != 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &e1) != 0)
			return 1;
		r = epoll_wait(ep, ev, 2, 0);
		second = r == 1 && ev[0].data.fd == b[0];
	} else if (strcmp(with, "select") == 0) {
		struct timeval tv = {0, 0};
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(a[0], &rd);
		FD_SET(b[0], &rd);
		r = select(b[0] + 1, &rd, NULL, NULL, &tv);
		second = r == 1 && FD_ISSET(b[0], &rd);
	} else {
		struct pollfd p[2] = {{a[0], POLLIN, 0}, {b[0], POLLIN, 0}};

		r = strcmp(with, "ppoll") == 0 ? ppoll(p, 2, &zero, NULL)
		                               : poll(p, 2, 0);
		second = r == 1 && p[1].revents != 0;
	}
	if (r < 0)
		return 1;
	printf("%s\n", r == 0   ? "nothing ready"
	               : second ? "second ready"
	                        : "?");
	fflush(stdout);
	close(a[1]);
	while (wait(NULL) > 0)
		;
	return 0;
}
