/* A write over PIPE_BUF torn: two processes each write one message of
 * 70000 bytes (more than the pipe holds) into one pipe, trusting each
 * write to land whole. A write larger than PIPE_BUF is not atomic: once
 * the reader makes room, the other writer's bytes may go in before the
 * rest of the first message. The reader checks that each message is in
 * one piece. */
#include <string.h>

#include "bug.h"

#define MSG 70000

static int fds[2];

static int
writer(void *arg)
{
	static char msg[MSG];

	memset(msg, (int)(long)arg, sizeof(msg));
	close(fds[0]);
	return write(fds[1], msg, sizeof(msg)) == MSG ? 0 : 70;
}

int
main(void)
{
	static char buf[65536];
	size_t run = 0, total = 0;
	char last = 0;
	int torn = 0;
	ssize_t n;
	pid_t a, b;

	if (pipe(fds) != 0)
		return 70;
	a = bug_spawn(writer, (void *)(long)'a');
	b = bug_spawn(writer, (void *)(long)'b');
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, total++) {
			if (buf[i] != last && run % MSG != 0)
				torn = 1;
			run = buf[i] == last ? run + 1 : 1;
			last = buf[i];
		}
	bug_reap(a);
	bug_reap(b);
	return torn || total != 2 * MSG ? 1 : 0;
}
