/*
 * What the loopback delivers late: a client connects to a server of the
 * same run over TCP, sends a segment and ends the connection; the server
 * accepts, reads to the end of file and says what it got. Meant to run
 * where the loopback is slow (the test shapes the run's own loopback
 * with a token bucket, tc tbf, so that every segment waits its turn for
 * a tenth of a second or more), where the end of file and the
 * connection reach the server well after the client's close, shutdown
 * or connect returned.
 *
 *   prog_sock_late fin       send, close: the FIN comes after the bytes
 *   prog_sock_late shut      send, shutdown(SHUT_WR), then wait for the
 *                            server's answer before closing
 *   prog_sock_late write     as fin, with write and read, not send/recv
 *   prog_sock_late connect   the token bucket emptied first (a datagram
 *                            of the client's to itself), then connect:
 *                            the handshake's last segment comes late
 *   prog_sock_late shared    the client forks after connecting and
 *                            closes its copy first: no FIN yet (the
 *                            child's copy holds the connection), the
 *                            child sends and closes
 *
 * Output: "server got N bytes, then end of file" (and "client got ok"
 * for shut). Exit status 0; 1 when a call failed.
 *
 *   prog_sock_late shape INODE MODE
 *
 * first shapes the loopback (ip link, tc qdisc: 8 kbit/s, a bucket of
 * 1600 bytes), refusing to unless its network namespace is another one
 * than INODE's (the caller's: never the machine's own); "cannot shape
 * the loopback" and exit 0 when ip or tc fails (no tbf in the kernel).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEGMENT 1400

static int
fail(const char *what)
{
	perror(what);
	return 1;
}

/* Empty the token bucket of the shaped loopback: one full datagram to a
 * socket of the client's own, never read. */
static int
drain(void)
{
	struct sockaddr_in at = {.sin_family = AF_INET};
	socklen_t len = sizeof(at);
	static char big[1472];
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u < 0 || bind(u, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    getsockname(u, (struct sockaddr *)&at, &len) != 0 ||
	    sendto(u, big, sizeof(big), 0, (struct sockaddr *)&at,
	           sizeof(at)) != (ssize_t)sizeof(big))
		return fail("drain");
	close(u);
	return 0;
}

/* Run a command, 0 when it exited with 0. */
static int
command(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	                       WIFEXITED(status) && WEXITSTATUS(status) == 0
	               ? 0
	               : -1;
}

/* Shape the loopback of this network namespace, unless it is the one
 * whose inode is host; -1 when that failed. */
static int
shape(const char *host)
{
	static char *const mtu[] = {"ip",  "link", "set", "lo",
	                            "mtu", "1500", NULL};
	static char *const tbf[] = {"tc",   "qdisc",   "add",  "dev",   "lo",
	                            "root", "tbf",     "rate", "8kbit", "burst",
	                            "1600", "latency", "10s",  NULL};
	struct stat st;

	if (stat("/proc/self/ns/net", &st) != 0 ||
	    st.st_ino == strtoull(host, NULL, 10)) {
		fprintf(stderr, "prog_sock_late: not in a network namespace "
		                "of its own: the loopback is left alone\n");
		return -1;
	}
	return command(mtu) == 0 && command(tbf) == 0 ? 0 : -1;
}

static int
client(const char *mode, const struct sockaddr_in *at, int lis)
{
	static char seg[SEGMENT];
	char answer[8];
	int s, wr = strcmp(mode, "write") == 0;
	size_t size;
	ssize_t n;
	pid_t pid;

	close(lis);
	memset(seg, 'x', sizeof(seg));
	if (strcmp(mode, "connect") == 0 && drain() != 0)
		return 1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (const struct sockaddr *)at, sizeof(*at)) != 0)
		return fail("connect");
	if (strcmp(mode, "shared") == 0) {
		/* The child's copy keeps the connection open: the parent's
		 * close sends nothing. */
		if ((pid = fork()) < 0)
			return fail("fork");
		if (pid == 0) {
			if (send(s, seg, sizeof(seg), 0) != sizeof(seg))
				return fail("send");
			close(s);
			return 0;
		}
		close(s);
		return waitpid(pid, NULL, 0) == pid ? 0 : fail("waitpid");
	}
	/* After the drain, a small segment: the bucket refills slowly. */
	size = strcmp(mode, "connect") == 0 ? 100 : sizeof(seg);
	n = wr ? write(s, seg, size) : send(s, seg, size, 0);
	if (n != (ssize_t)size)
		return fail("send");
	if (strcmp(mode, "shut") == 0) {
		if (shutdown(s, SHUT_WR) != 0)
			return fail("shutdown");
		n = recv(s, answer, sizeof(answer) - 1, MSG_WAITALL);
		if (n < 0)
			return fail("recv");
		answer[n] = '\0';
		printf("client got %s\n", answer);
		fflush(stdout);
	}
	close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in at = {.sin_family = AF_INET};
	socklen_t len = sizeof(at);
	const char *mode = argc > 1 ? argv[1] : "fin";
	int lis = socket(AF_INET, SOCK_STREAM, 0), c, status, wr;
	char buf[4096];
	long total = 0;
	ssize_t n;
	pid_t pid;

	if (strcmp(mode, "shape") == 0) {
		if (argc < 4)
			return 2;
		if (shape(argv[2]) != 0) {
			printf("cannot shape the loopback\n");
			return 0;
		}
		mode = argv[3];
	}
	wr = strcmp(mode, "write") == 0;
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lis < 0 || bind(lis, (struct sockaddr *)&at, sizeof(at)) != 0 ||
	    listen(lis, 4) != 0 ||
	    getsockname(lis, (struct sockaddr *)&at, &len) != 0)
		return fail("listen");
	fflush(stdout);
	if ((pid = fork()) < 0)
		return fail("fork");
	if (pid == 0)
		_exit(client(mode, &at, lis));
	if ((c = accept(lis, NULL, NULL)) < 0)
		return fail("accept");
	close(lis);
	while ((n = wr ? read(c, buf, sizeof(buf))
	               : recv(c, buf, sizeof(buf), 0)) > 0)
		total += n;
	if (n < 0)
		return fail("recv");
	printf("server got %ld bytes, then end of file\n", total);
	fflush(stdout);
	if (strcmp(mode, "shut") == 0 && send(c, "ok", 2, 0) != 2)
		return fail("send");
	close(c);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return fail("client");
	return 0;
}
