/*
 * Forks and execs followed three levels deep: each level prints its
 * depth, forks, and the child execs this program again one level down,
 * until level 3; each parent waits for its child and passes its status
 * on.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 0, status;
	char next[16];
	pid_t pid;

	printf("level %d\n", depth);
	fflush(stdout);
	if (depth >= 3)
		return 0;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		snprintf(next, sizeof(next), "%d", depth + 1);
		execl("/proc/self/exe", argv[0], next, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
