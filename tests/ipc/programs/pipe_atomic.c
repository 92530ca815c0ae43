/*
 * PIPE_BUF atomicity: two children each write one block of 4096 bytes
 * ('a'... and 'b'...) into the same pipe, shrunk to one page so that the
 * second block must wait until the first has been read; the parent reads
 * everything in chunks of 1000 bytes. Every block must arrive whole: the
 * program prints the order of the blocks ("ab" or "ba") and exits 0, or
 * prints where a block was torn and exits 1.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

/* A child: write one block of c into the pipe, in one call. */
static void
child(int p[2], char c)
{
	char block[BLOCK];

	close(p[0]);
	memset(block, c, sizeof(block));
	_exit(write(p[1], block, sizeof(block)) == BLOCK ? 0 : 1);
}

int
main(void)
{
	static char got[3 * BLOCK];
	char msg[128];
	size_t len = 0;
	ssize_t n;
	int p[2], status, ok = 1;

	say("start\n");
	if (pipe(p) != 0)
		return 1;
	/* One page: the second block cannot go in next to the first. */
	fcntl(p[1], F_SETPIPE_SZ, BLOCK);
	for (int i = 0; i < 2; i++)
		if (fork() == 0)
			child(p, (char)('a' + i));
	close(p[1]);
	while ((n = read(p[0], got + len,
	                 sizeof(got) - len < 1000 ? sizeof(got) - len : 1000)) >
	       0)
		len += (size_t)n;
	while (wait(&status) > 0)
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	for (size_t i = 0; i < len; i++)
		if (got[i] != got[i / BLOCK * BLOCK]) {
			snprintf(msg, sizeof(msg), "torn at byte %zu\n", i);
			say(msg);
			return 1;
		}
	snprintf(msg, sizeof(msg), "read %zu bytes: blocks %c%c\n", len,
	         len > 0 ? got[0] : '-', len > BLOCK ? got[BLOCK] : '-');
	say(msg);
	return ok && len == 2 * BLOCK && got[0] != got[BLOCK] ? 0 : 1;
}
