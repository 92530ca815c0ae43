/*
 * Prints its pid, forks two children that print theirs and their
 * parent's, and waits for both: the same numbers in every run under
 * lockstep run --stable-pids. With MODE=hang the first child reads a
 * pipe nobody writes to (a deadlock); with MODE=crash the second child
 * aborts.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	const char *mode = getenv("MODE");
	char line[64];
	int p[2];

	if (pipe(p) != 0)
		return 1;
	snprintf(line, sizeof(line), "main %d\n", (int)getpid());
	if (write(1, line, strlen(line)) < 0)
		return 1;
	for (int i = 1; i <= 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid > 0)
			continue;
		snprintf(line, sizeof(line), "child%d %d parent %d\n", i,
		         (int)getpid(), (int)getppid());
		if (write(1, line, strlen(line)) < 0)
			_exit(1);
		if (mode != NULL && strcmp(mode, "hang") == 0 && i == 1 &&
		    read(p[0], line, 1) < 0)
			_exit(1);
		if (mode != NULL && strcmp(mode, "crash") == 0 && i == 2)
			abort();
		_exit(0);
	}
	for (int i = 0; i < 2; i++)
		if (wait(NULL) < 0)
			return 1;
	return 0;
}
