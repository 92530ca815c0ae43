/*
 * An event loop over two socketpairs: two children each send a message
 * on their own pair, read the parent's answer and exit; the parent polls
 * both ends (argv[1] "epoll": with epoll instead of poll), answers each
 * message and prints what came from whom, until both children's ends
 * reach the end of file.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
child(int fd, int k)
{
	char buf[32];
	ssize_t n;

	snprintf(buf, sizeof(buf), "hello from %d", k);
	if (send(fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf))
		return 20;
	if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 21;
	buf[n] = '\0';
	printf("child %d got \"%s\"\n", k, buf);
	return 0;
}

/* Serve end fd of child k: 1 while it is open, 0 at its end of file. */
static int
serve(int fd, int k)
{
	char buf[32];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0) {
		printf("child %d: end of file\n", k);
		return 0;
	}
	buf[n] = '\0';
	printf("from child %d: \"%s\"\n", k, buf);
	snprintf(buf, sizeof(buf), "thanks %d", k);
	return send(fd, buf, strlen(buf), 0) > 0;
}

int
main(int argc, char **argv)
{
	int use_epoll = argc > 1 && strcmp(argv[1], "epoll") == 0;
	int sv[2][2], open_ends = 2, ep = -1, status, failed = 0;
	struct pollfd p[2];

	setvbuf(stdout, NULL, _IONBF, 0);
	for (int k = 0; k < 2; k++) {
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[k]) != 0 ||
		    (pid = fork()) < 0)
			return 10;
		if (pid == 0) {
			close(sv[k][0]);
			if (k == 1)
				close(sv[0][0]);
			return child(sv[k][1], k);
		}
		close(sv[k][1]);
	}
	if (use_epoll) {
		if ((ep = epoll_create1(0)) < 0)
			return 11;
		for (int k = 0; k < 2; k++) {
			struct epoll_event ev = {.events = EPOLLIN,
			                         .data.u32 = (uint32_t)k};

			if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[k][0], &ev) != 0)
				return 12;
		}
	}
	for (int k = 0; k < 2; k++)
		p[k] = (struct pollfd){sv[k][0], POLLIN, 0};
	while (open_ends > 0) {
		if (use_epoll) {
			struct epoll_event ev[2];
			int n = epoll_wait(ep, ev, 2, -1);

			if (n <= 0)
				return 13;
			for (int i = 0; i < n; i++) {
				int k = (int)ev[i].data.u32;

				if (!serve(sv[k][0], k)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, sv[k][0],
					          NULL);
					open_ends--;
				}
			}
			continue;
		}
		if (poll(p, 2, -1) <= 0)
			return 14;
		for (int k = 0; k < 2; k++)
			if (p[k].revents != 0 && !serve(p[k].fd, k)) {
				p[k].fd = -1;
				open_ends--;
			}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	return failed ? 1 : 0;
}
