/*
 * A socketpair ping-pong between a parent and its child: the parent sends
 * "ping I", the child answers "pong I", N round trips (argv[1], 3 by
 * default). Each side prints what it got unless argv[2] is "-q" (the
 * benchmark). The child's end closes at its exit: the parent's last recv
 * sees the end of file.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Receive one message of up to size - 1 bytes into buf; its length. */
static ssize_t
get(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

int
main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 3;
	int quiet = argc > 2 && strcmp(argv[2], "-q") == 0;
	char buf[64];
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 10;
	setvbuf(stdout, NULL, _IONBF, 0);
	pid = fork();
	if (pid < 0)
		return 11;
	if (pid == 0) {
		close(sv[0]);
		for (long i = 0; i < rounds; i++) {
			if (get(sv[1], buf, sizeof(buf)) <= 0)
				return 12;
			if (!quiet)
				printf("child got %s\n", buf);
			snprintf(buf, sizeof(buf), "pong %ld", i);
			if (send(sv[1], buf, strlen(buf), 0) !=
			    (ssize_t)strlen(buf))
				return 13;
		}
		return 0;
	}
	close(sv[1]);
	for (long i = 0; i < rounds; i++) {
		snprintf(buf, sizeof(buf), "ping %ld", i);
		if (write(sv[0], buf, strlen(buf)) != (ssize_t)strlen(buf))
			return 14;
		if (get(sv[0], buf, sizeof(buf)) <= 0)
			return 15;
		if (!quiet)
			printf("parent got %s\n", buf);
	}
	if (get(sv[0], buf, sizeof(buf)) != 0)
		return 16;
	if (!quiet)
		printf("parent: end of file\n");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 17;
	return WEXITSTATUS(status);
}
