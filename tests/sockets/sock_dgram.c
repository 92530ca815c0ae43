/*
 * Datagram sockets and the loopback, in one program of modes:
 *
 *   udp PORT   a receiver bound to 127.0.0.1:PORT (0: the kernel's
 *              choice) and two senders, A and B, its children, each
 *              sending "from X" and waiting for "ack X" on its own
 *              (unbound) socket; the receiver prints "got from X" in the
 *              order the datagrams came: natively the kernel's timing,
 *              under lockstep a schedule decision.
 *   unix       an AF_UNIX datagram ping-pong: the parent sends two
 *              datagrams at once down a socketpair, the child gets each
 *              on its own (the kernel keeps the boundaries) and answers
 *              to the parent's socket bound at "dgram.sock" (removed at
 *              the end).
 *   refused    a TCP connect to a loopback port nobody listens on.
 *   early PORT a client (a child) connects to 127.0.0.1:PORT until the
 *              server (the parent) listens there, and says whether it
 *              was refused first: the order of the connect and the
 *              listen.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
reap(void)
{
	int status, failed = 0;

	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	return failed;
}

/* A sender: its datagram to the receiver at to, then the answer. */
static int
sender(const struct sockaddr_in *to, const char *name)
{
	char buf[64], want[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;

	snprintf(buf, sizeof(buf), "from %s", name);
	if (s < 0 || sendto(s, buf, strlen(buf), 0, (struct sockaddr *)to,
	                    sizeof(*to)) != (ssize_t)strlen(buf))
		return 20;
	if ((n = recv(s, buf, sizeof(buf) - 1, 0)) <= 0)
		return 21;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "ack %s", name);
	return strcmp(buf, want) == 0 && close(s) == 0 ? 0 : 22;
}

static int
udp(int port)
{
	static const char *const names[] = {"A", "B"};
	struct sockaddr_in at = {.sin_family = AF_INET}, from;
	socklen_t len = sizeof(at);
	int r = socket(AF_INET, SOCK_DGRAM, 0);

	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	at.sin_port = htons((unsigned short)port);
	if (r < 0 || bind(r, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    getsockname(r, (struct sockaddr *)&at, &len) != 0)
		return 10;
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 11;
		if (pid == 0) {
			close(r);
			return sender(&at, names[i]);
		}
	}
	for (int i = 0; i < 2; i++) {
		char buf[64], ack[64];
		ssize_t n;

		len = sizeof(from);
		n = recvfrom(r, buf, sizeof(buf) - 1, 0,
		             (struct sockaddr *)&from, &len);
		if (n <= 5)
			return 12;
		buf[n] = '\0';
		printf("got %s\n", buf);
		snprintf(ack, sizeof(ack), "ack %s", buf + 5);
		if (sendto(r, ack, strlen(ack), 0, (struct sockaddr *)&from,
		           len) != (ssize_t)strlen(ack))
			return 13;
	}
	close(r);
	return reap();
}

static int
unix_dgram(void)
{
	struct sockaddr_un at = {.sun_family = AF_UNIX,
	                         .sun_path = "dgram.sock"};
	int sv[2], home = socket(AF_UNIX, SOCK_DGRAM, 0), failed;
	char buf[64];
	pid_t pid;

	if (home < 0 || bind(home, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
		return 10;
	if ((pid = fork()) < 0)
		return 11;
	if (pid == 0) {
		int out = socket(AF_UNIX, SOCK_DGRAM, 0);

		close(sv[0]);
		close(home);
		for (int i = 0; i < 2; i++) {
			ssize_t n = recv(sv[1], buf, sizeof(buf) - 1, 0);

			if (n <= 5)
				return 20;
			buf[n] = '\0';
			printf("child got %s\n", buf);
			buf[1] = 'o'; /* "ping N" -> "pong N" */
			if (sendto(out, buf, (size_t)n, 0,
			           (struct sockaddr *)&at, sizeof(at)) != n)
				return 21;
		}
		return 0;
	}
	close(sv[1]);
	/* Two datagrams at once: the child gets them one by one. */
	if (send(sv[0], "ping 0", 6, 0) != 6 ||
	    send(sv[0], "ping 1", 6, 0) != 6)
		return 12;
	for (int i = 0; i < 2; i++) {
		ssize_t n = recv(home, buf, sizeof(buf) - 1, 0);

		if (n <= 0)
			return 13;
		buf[n] = '\0';
		printf("parent got %s\n", buf);
	}
	failed = reap();
	close(home);
	unlink(at.sun_path);
	return failed;
}

static int
refused(void)
{
	struct sockaddr_in at = {.sin_family = AF_INET};
	socklen_t len = sizeof(at);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was free a moment ago, closed again. */
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    getsockname(s, (struct sockaddr *)&at, &len) != 0 || close(s) != 0)
		return 10;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&at, sizeof(at)) == 0)
		return 11;
	printf("connect: %s\n",
	       errno == ECONNREFUSED ? "ECONNREFUSED" : strerror(errno));
	return close(s) == 0 ? 0 : 12;
}

static int
early(int port)
{
	struct sockaddr_in at = {.sin_family = AF_INET};
	int s, c, status;
	char buf[16];
	pid_t pid;

	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	at.sin_port = htons((unsigned short)port);
	if ((pid = fork()) < 0)
		return 10;
	if (pid == 0) {
		int refusals = 0;

		s = socket(AF_INET, SOCK_STREAM, 0);
		while (connect(s, (struct sockaddr *)&at, sizeof(at)) != 0) {
			if (errno != ECONNREFUSED || ++refusals > 1000000)
				return 20;
			close(s);
			s = socket(AF_INET, SOCK_STREAM, 0);
		}
		printf("client: %s\n",
		       refusals > 0 ? "refused first" : "connected at once");
		return send(s, "hi", 2, 0) == 2 && close(s) == 0 ? 0 : 21;
	}
	/* A step before the listen (listen is none): the client may come
	 * first. */
	printf("server: up\n");
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    listen(s, 4) != 0 || (c = accept(s, NULL, NULL)) < 0 ||
	    recv(c, buf, sizeof(buf), MSG_WAITALL) != 2)
		return 11;
	close(c);
	close(s);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                       WEXITSTATUS(status) == 0
	               ? 0
	               : 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 3 && strcmp(argv[1], "udp") == 0)
		return udp(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "unix") == 0)
		return unix_dgram();
	if (argc == 2 && strcmp(argv[1], "refused") == 0)
		return refused();
	if (argc == 3 && strcmp(argv[1], "early") == 0)
		return early(atoi(argv[2]));
	fprintf(stderr, "usage: prog_sock_dgram udp PORT | unix | refused | "
	                "early PORT\n");
	return 2;
}
