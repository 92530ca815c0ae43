/* A reader that assumes whole messages: the writer sends a 64-byte
 * message as a header write and a body write, and the reader trusts one
 * read of 64 bytes to return all of it. When it reads between the two
 * writes it gets the header alone. (The same reader breaks on a message
 * sent by one write only when the kernel returns fewer bytes than were
 * written, which lockstep does not make happen: that needs --perturb.) */
#include <string.h>

#include "bug.h"

#define HEAD 8
#define MSG  64

static int fds[2];

static int
writer(void *arg)
{
	char msg[MSG];

	(void)arg;
	memset(msg, 'm', sizeof(msg));
	memcpy(msg, "len=0056", HEAD);
	close(fds[0]);
	if (write(fds[1], msg, HEAD) != HEAD ||
	    write(fds[1], msg + HEAD, MSG - HEAD) != MSG - HEAD)
		return 70;
	return 0;
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
