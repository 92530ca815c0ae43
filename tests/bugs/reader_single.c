/* A reader that assumes whole messages, of one write: the writer sends a
 * 64-byte message with a single write (at most PIPE_BUF bytes: atomic),
 * and the reader trusts one read of 64 bytes to return all of it. No
 * interleaving breaks it: the message is in the pipe whole or not at
 * all. The kernel may still return fewer bytes than the pipe holds, which
 * only explore --perturb makes happen (docs/explore.md, "Perturbation"). */
#include <string.h>

#include "bug.h"

#define MSG 64

static int fds[2];

static int
writer(void *arg)
{
	char msg[MSG];

	(void)arg;
	memset(msg, 'm', sizeof(msg));
	close(fds[0]);
	return write(fds[1], msg, MSG) == MSG ? 0 : 70;
}

int
main(void)
{
	char buf[MSG];
	ssize_t n;
	pid_t w;

	if (pipe(fds) != 0)
		return 70;
	w = bug_spawn(writer, NULL);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf)); /* the bug: may be a part */
	while (read(fds[0], buf, sizeof(buf)) > 0)
		;
	bug_reap(w);
	return n == MSG ? 0 : 1;
}
