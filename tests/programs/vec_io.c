/*
 * Scattered and positioned I/O: a child writes three pieces to a pipe
 * with one writev, its parent reads them with one readv into two
 * buffers; then pwrite and pread on a file at an offset. The output is
 * the same natively and under lockstep, where each call is one step.
 */
#include <sys/uio.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static int
say(const char *s)
{
	return write(1, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

int
main(void)
{
	char a[4] = {0}, b[8] = {0}, line[64], at[8] = {0};
	struct iovec out[3] = {{"one ", 4}, {"two ", 4}, {"three", 5}};
	struct iovec in[2] = {{a, 3}, {b, 7}};
	int p[2], fd, status;
	ssize_t n;
	pid_t pid;

	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		/* The child says nothing: the output has one order,
		 * natively too. */
		close(p[0]);
		return writev(p[1], out, 3) != 13;
	}
	close(p[1]);
	n = readv(p[0], in, 2);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (say(WEXITSTATUS(status) == 0 ? "child wrote 13\n"
	                                 : "child failed\n"))
		return 1;
	snprintf(line, sizeof(line), "parent read %zd: [%s] [%s]\n", n, a, b);
	if (say(line) != 0)
		return 1;
	fd = open("vec_io.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite(fd, "hello", 5, 10) != 5 ||
	    pread(fd, at, 3, 11) != 3)
		return 1;
	snprintf(line, sizeof(line), "pread at 11: [%s], offset %ld\n", at,
	         (long)lseek(fd, 0, SEEK_CUR));
	close(fd);
	unlink("vec_io.dat");
	return say(line) != 0;
}
