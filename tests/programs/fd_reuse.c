/*
 * A descriptor number used again: fd 3 is a file, read with read(2) and
 * closed by fclose (inside glibc, where the interposer does not see the
 * close), then pipe() returns 3 again. The read of the pipe must be a
 * pipe read (a blocked step while the child sleeps), not a file read
 * that blocks for real.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	FILE *f;
	int p[2];
	pid_t pid;
	char c;

	if (write(1, "start\n", 6) != 6)
		return 1;
	f = fopen("fd_reuse.dat", "w+");
	if (f == NULL || fputs("x", f) < 0 || fflush(f) != 0 ||
	    lseek(fileno(f), 0, SEEK_SET) != 0 || read(fileno(f), &c, 1) != 1)
		return 1;
	fclose(f);
	unlink("fd_reuse.dat");
	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		sleep(1);
		return write(p[1], "y", 1) != 1;
	}
	if (read(p[0], &c, 1) != 1 || waitpid(pid, NULL, 0) != pid)
		return 1;
	return write(1, "got y\n", 6) != 6;
}
