/*
 * An unmodified program for `lockstep run -- PROG` that uses the
 * descriptors it was given: a child writes to its own pipe and to
 * standard error, then closes 0, 1 and 2 as coreutils do at exit; the
 * parent reads the pipe, writes to a copy of standard error, closes it
 * and reaps the child. Its trace must not depend on what standard error
 * really is (a tty, a pipe, a file, /dev/null).
 */
#include <sys/wait.h>

#include <string.h>
#include <unistd.h>

int
main(void)
{
	char buf[16];
	int p[2], err2, ws;
	pid_t pid;

	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(p[0]);
		if (write(p[1], "x", 1) != 1 || write(2, "child\n", 6) != 6)
			_exit(1);
		close(p[1]);
		close(0);
		close(1);
		close(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], buf, sizeof(buf)) != 1)
		return 1;
	err2 = dup(2);
	if (err2 < 0 || write(err2, "parent\n", 7) != 7)
		return 1;
	close(err2);
	close(2);
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
		return 1;
	return WEXITSTATUS(ws);
}
