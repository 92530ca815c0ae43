/*
 * rand and random under lockstep: the numbers of each process depend on
 * the run's seed and the process's name only, so two runs with the same
 * --seed print the same lines. srand with a constant repeats a sequence.
 * With "early", the parent draws a number before it forks: the child's
 * numbers are the same (a fork starts the child's own sequence).
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static int
say(const char *s)
{
	return write(1, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

int
main(int argc, char **argv)
{
	char line[128];
	int status, a, b;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "early") == 0) {
		snprintf(line, sizeof(line), "early %d\n", rand());
		if (say(line) != 0)
			return 1;
	}
	pid = fork();

	if (pid == 0) {
		snprintf(line, sizeof(line), "child %d %d\n", rand(), rand());
		return say(line) != 0;
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	snprintf(line, sizeof(line), "parent %d %d %ld\n", rand(), rand(),
	         random());
	if (say(line) != 0)
		return 1;
	srand(7);
	a = rand();
	srand(7);
	b = rand();
	snprintf(line, sizeof(line), "srand(7) twice: %s\n",
	         a == b ? "same" : "different");
	return say(line) != 0;
}
