/* A counter in a file without a lock: each process reads the number,
 * adds one and writes it back at offset 0; an update is lost when both
 * read before either writes. */
#include <fcntl.h>
#include <stdlib.h>

#include "bug.h"

static int fd;

static int
inc(void *arg)
{
	char buf[16] = {0};
	int v;

	(void)arg;
	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		return 70;
	v = atoi(buf) + 1;
	if (pwrite(fd, buf, (size_t)snprintf(buf, sizeof(buf), "%d\n", v), 0) <
	    0)
		return 70;
	return 0;
}

int
main(void)
{
	char path[] = "/tmp/lk-bug-counter-XXXXXX", buf[16] = {0};
	pid_t a, b;

	fd = mkstemp(path);
	if (fd < 0 || write(fd, "0\n", 2) != 2)
		return 70;
	unlink(path);
	a = bug_spawn(inc, NULL);
	b = bug_spawn(inc, NULL);
	bug_reap(a);
	bug_reap(b);
	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		return 70;
	return atoi(buf) == 2 ? 0 : 1;
}
