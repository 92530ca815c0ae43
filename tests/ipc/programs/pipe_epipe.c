/*
 * A write to a pipe whose only read end is closed. By default SIGPIPE
 * kills the program at that write; with the argument "ignore" SIGPIPE is
 * ignored, the write returns -1 with EPIPE and the program goes on.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

int
main(int argc, char **argv)
{
	char msg[64];
	ssize_t n;
	int p[2];

	if (argc > 1 && strcmp(argv[1], "ignore") == 0)
		signal(SIGPIPE, SIG_IGN);
	say("start\n");
	if (pipe(p) != 0)
		return 1;
	close(p[0]);
	n = write(p[1], "x", 1);
	snprintf(msg, sizeof(msg), "write %zd, %s\n", n,
	         n < 0 && errno == EPIPE ? "EPIPE" : "no EPIPE");
	say(msg);
	say("goes on\n");
	return 0;
}
