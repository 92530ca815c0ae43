/*
 * A write larger than the pipe holds: the child writes 200000 bytes in
 * one call, the parent reads them in chunks of 1000. The write goes in
 * as the reader makes room (the writer blocks when the pipe is full and
 * resumes), and every byte arrives, in order.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOTAL 200000

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

int
main(void)
{
	char chunk[1000], msg[128];
	size_t len = 0;
	ssize_t n;
	int p[2], status, in_order = 1;
	pid_t pid;

	say("start\n");
	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		char *all = malloc(TOTAL);

		close(p[0]);
		if (all == NULL)
			_exit(1);
		for (size_t i = 0; i < TOTAL; i++)
			all[i] = (char)('0' + i % 10);
		_exit(write(p[1], all, TOTAL) == TOTAL ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			in_order &= chunk[i] == (char)('0' + (len + i) % 10);
		len += (size_t)n;
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	snprintf(msg, sizeof(msg), "read %zu bytes, in order %d, child %d\n",
	         len, in_order, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	say(msg);
	return len == TOTAL && in_order && WIFEXITED(status) &&
	                       WEXITSTATUS(status) == 0
	               ? 0
	               : 1;
}
