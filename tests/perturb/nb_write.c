/*
 * A writer that assumes a non-blocking write into an empty pipe moves the
 * whole buffer: 8192 bytes (more than PIPE_BUF) into a pipe that holds
 * 64 KiB. The kernel takes them all in practice (natively, and under
 * lockstep without --perturb); POSIX lets a non-blocking write of more
 * than PIPE_BUF bytes move fewer, and then the writer exits 1.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LEN 8192

int
main(void)
{
	static char buf[LEN];
	int fds[2];
	ssize_t n;

	if (pipe(fds) != 0 || fcntl(fds[1], F_SETFL, O_NONBLOCK) != 0)
		return 70;
	memset(buf, 'x', sizeof(buf));
	n = write(fds[1], buf, sizeof(buf)); /* the bug: may be a part */
	printf("wrote %zd bytes\n", n);
	return n == LEN ? 0 : 1;
}
