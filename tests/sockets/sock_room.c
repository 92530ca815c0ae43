/*
 * A poll for room: the child fills its socket without blocking until
 * EAGAIN, says so on a pipe, then polls for POLLOUT alone; the parent
 * waits for the pipe, then reads everything until the end of file. The poll
 * waits for the parent's reads (the room is made on the other end), then the
 * child prints and exits.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	static char buf[65536];
	int sv[2], full[2], status;
	char c;
	long total = 0;
	ssize_t n;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(full) != 0 ||
	    (pid = fork()) < 0)
		return 10;
	if (pid == 0) {
		struct pollfd p;
		int r;

		close(sv[0]);
		while (send(sv[1], buf, 4096, MSG_DONTWAIT) > 0)
			;
		if (write(full[1], "f", 1) != 1)
			return 12;
		p = (struct pollfd){sv[1], POLLOUT, 0};
		r = poll(&p, 1, -1);
		printf("room: %d %s\n", r,
		       (p.revents & POLLOUT) ? "POLLOUT" : "?");
		return 0;
	}
	close(sv[1]);
	close(full[1]);
	if (read(full[0], &c, 1) != 1)
		return 13;
	while ((n = recv(sv[0], buf, sizeof(buf), 0)) > 0)
		total += n;
	printf("parent read all: %s\n", total > 0 ? "yes" : "no");
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 11;
	return 0;
}
