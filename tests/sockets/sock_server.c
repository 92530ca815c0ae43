/*
 * A forking echo server on a named UNIX socket (path argv[1]), or on
 * the loopback over TCP (argv[1] "tcp": 127.0.0.1, "tcp6": ::1, at a
 * port the kernel chooses), and two clients, A and B, its children. The server
 * accepts two connections; for each it reads the client's name, prints "served
 * NAME" and forks a handler that answers "echo NAME" and exits; each client
 * checks the answer it got (exit status 22 when wrong). Which client is served
 * first is the order of their connects: natively the kernel's timing, under
 * lockstep a schedule decision.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct sockaddr_un addr = {.sun_family = AF_UNIX};
static struct sockaddr_storage where; /* the server's address */
static socklen_t where_len;
static int family = AF_UNIX;

/* A client: connect, send its name, print the answer. */
static int
client(const char *name)
{
	char buf[64];
	ssize_t n;
	int s = socket(family, SOCK_STREAM, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&where, where_len) != 0)
		return 20;
	if (send(s, name, strlen(name), 0) != (ssize_t)strlen(name))
		return 21;
	if ((n = recv(s, buf, sizeof(buf) - 1, 0)) <= 0)
		return 22;
	buf[n] = '\0';
	if (strncmp(buf, "echo ", 5) != 0 || strcmp(buf + 5, name) != 0)
		return 22;
	return close(s) == 0 ? 0 : 23;
}

/* A handler of one connection: answer, then see the client go. */
static int
handle(int c, const char *name)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "echo %s", name);
	if (send(c, buf, strlen(buf), 0) != (ssize_t)strlen(buf))
		return 30;
	return recv(c, buf, sizeof(buf), 0) == 0 ? 0 : 31;
}

int
main(int argc, char **argv)
{
	static const char *const names[] = {"A", "B"};
	int s, status, failed = 0;

	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path))
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	memset(&where, 0, sizeof(where));
	if (strcmp(argv[1], "tcp") == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)&where;

		family = in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		where_len = sizeof(*in);
	} else if (strcmp(argv[1], "tcp6") == 0) {
		struct sockaddr_in6 *in = (struct sockaddr_in6 *)&where;

		family = in->sin6_family = AF_INET6;
		in->sin6_addr = in6addr_loopback;
		where_len = sizeof(*in);
	} else {
		strcpy(addr.sun_path, argv[1]);
		memcpy(&where, &addr, sizeof(addr));
		where_len = sizeof(addr);
	}
	s = socket(family, SOCK_STREAM, 0);
	/* At port 0 the kernel chooses one: where says which. */
	if (s < 0 || bind(s, (struct sockaddr *)&where, where_len) != 0 ||
	    listen(s, 4) != 0 ||
	    getsockname(s, (struct sockaddr *)&where, &where_len) != 0)
		return 10;
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 11;
		if (pid == 0) {
			close(s);
			return client(names[i]);
		}
	}
	for (int i = 0; i < 2; i++) {
		char name[16];
		ssize_t n;
		pid_t pid;
		int c = accept(s, NULL, NULL);

		if (c < 0 || (n = recv(c, name, sizeof(name) - 1, 0)) <= 0)
			return 12;
		name[n] = '\0';
		printf("served %s\n", name);
		if ((pid = fork()) < 0)
			return 13;
		if (pid == 0) {
			close(s);
			return handle(c, name);
		}
		close(c);
	}
	close(s);
	if (family == AF_UNIX)
		unlink(addr.sun_path);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	return failed ? 1 : 0;
}
