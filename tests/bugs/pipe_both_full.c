/* Pipe buffer full both ways: the parent sends 12 chunks to an echoing
 * child and, until it has sent them all, reads back at most 512 bytes a
 * chunk and only when poll says some are there already. When the child's echoes
 * fill the return pipe while the parent is blocked writing a chunk into a full
 * outgoing pipe, each waits for the other. Both pipes are shrunk to one page,
 * so the chunks are few. */
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "bug.h"

#define CHUNK  1024
#define CHUNKS 12

static int to[2], from[2];

static int
echo(void *arg)
{
	char buf[CHUNK];
	ssize_t n;

	(void)arg;
	close(to[1]);
	close(from[0]);
	while ((n = read(to[0], buf, sizeof(buf))) > 0)
		if (write(from[1], buf, (size_t)n) != n)
			return 70;
	return 0;
}

/* Read what the child echoed back, if anything is there now. */
static size_t
drain(int wait)
{
	struct pollfd p = {.fd = from[0], .events = POLLIN};
	char buf[4096];
	ssize_t n;

	if (poll(&p, 1, wait ? -1 : 0) <= 0)
		return 0;
	/* the bug, too: at most 512 bytes a chunk while 1024 come */
	n = read(from[0], buf, wait ? sizeof(buf) : 512);
	return n > 0 ? (size_t)n : 0;
}

int
main(void)
{
	char chunk[CHUNK];
	size_t back = 0;
	pid_t c;

	if (pipe(to) != 0 || pipe(from) != 0)
		return 70;
	fcntl(to[1], F_SETPIPE_SZ, 4096);
	fcntl(from[1], F_SETPIPE_SZ, 4096);
	memset(chunk, 'x', sizeof(chunk));
	c = bug_spawn(echo, NULL);
	close(to[0]);
	close(from[1]);
	for (int i = 0; i < CHUNKS; i++) {
		back += drain(0); /* the bug: only what is there already */
		if (write(to[1], chunk, sizeof(chunk)) != CHUNK)
			return 70;
	}
	close(to[1]);
	while (back < (size_t)CHUNK * CHUNKS) {
		size_t n = drain(1);

		if (n == 0)
			break;
		back += n;
	}
	bug_reap(c);
	return back == (size_t)CHUNK * CHUNKS ? 0 : 70;
}
