/*
 * stdio over a pipe, as students write it: the parent prints "start"
 * (buffered: its standard output is not a terminal) and forks; the child
 * writes two lines into the pipe through a FILE (the first flushed by
 * fflush, the second by fclose) and leaves with _exit, which discards its
 * copy of "start"; the parent reads the lines with fgets. Every one of
 * these writes, reads and closes happens inside glibc, not through the
 * exported functions.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	char line[64];
	FILE *f;
	pid_t pid;
	int p[2];

	printf("start\n");
	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(p[0]);
		f = fdopen(p[1], "w");
		if (f == NULL)
			_exit(1);
		fprintf(f, "one\n");
		fflush(f);
		fprintf(f, "two\n");
		fclose(f);
		_exit(0);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (f == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL)
		printf("got %s", line);
	fclose(f);
	if (waitpid(pid, NULL, 0) != pid)
		return 1;
	printf("end\n");
	return 0;
}
