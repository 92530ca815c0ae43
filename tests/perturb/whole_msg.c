/*
 * A reader that assumes a read returns the whole message: the child
 * writes one 8-byte message with one write, the parent reads it with one
 * read of 8 bytes. A pipe gives all 8 at once in practice (natively, and
 * under lockstep without --perturb); POSIX lets the read return fewer,
 * and then the parent sees a part and exits 1.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char buf[8];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return 70;
	pid = fork();
	if (pid < 0)
		return 70;
	if (pid == 0) {
		close(fds[0]);
		_exit(write(fds[1], "hello42!", 8) == 8 ? 0 : 70);
	}
	close(fds[1]);
	if (waitpid(pid, &status, 0) != pid)
		return 70;
	n = read(fds[0], buf, sizeof(buf)); /* the bug: may be a part */
	printf("read %zd bytes\n", n);
	return n == (ssize_t)sizeof(buf) ? 0 : 1;
}
