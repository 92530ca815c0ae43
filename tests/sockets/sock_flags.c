/*
 * The kernel's answers through lockstep: a recv with MSG_DONTWAIT on an
 * empty socket fails with EAGAIN; MSG_PEEK leaves the bytes for the next
 * recv; a non-blocking socket (O_NONBLOCK) answers EAGAIN too; the end
 * of file once the child closed its end; a send to the closed peer fails
 * with EPIPE (SIGPIPE ignored), and with MSG_NOSIGNAL.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What a recv of fd with flags got, as a line. */
static void
show(const char *what, int fd, int flags)
{
	char buf[16];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, flags);

	if (n < 0)
		printf("%s: %s\n", what,
		       errno == EAGAIN ? "EAGAIN" : strerror(errno));
	else if (n == 0)
		printf("%s: end of file\n", what);
	else
		printf("%s: \"%.*s\"\n", what, (int)n, buf);
}

int
main(void)
{
	int sv[2], status;
	ssize_t n;
	char c;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || (pid = fork()) < 0)
		return 10;
	if (pid == 0) {
		close(sv[0]);
		if (recv(sv[1], &c, 1, 0) != 1)
			return 11;
		if (send(sv[1], "abc", 3, 0) != 3)
			return 12;
		return close(sv[1]) == 0 ? 0 : 13;
	}
	close(sv[1]);
	show("dontwait", sv[0], MSG_DONTWAIT);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	show("nonblock", sv[0], 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) & ~O_NONBLOCK);
	if (send(sv[0], "g", 1, 0) != 1)
		return 14;
	show("peek", sv[0], MSG_PEEK);
	show("recv", sv[0], 0);
	show("recv", sv[0], 0);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 15;
	n = send(sv[0], "x", 1, 0);
	printf("send: %zd %s\n", n, errno == EPIPE ? "EPIPE" : "?");
	n = send(sv[0], "x", 1, MSG_NOSIGNAL);
	printf("send nosignal: %zd %s\n", n, errno == EPIPE ? "EPIPE" : "?");
	return 0;
}
