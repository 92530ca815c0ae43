/*
 * A child that clears its environment and then execs this program with an
 * empty one (execve with envp {NULL}): the new image must still be
 * followed. The inner image prints one line through stdio.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char *const args[] = {argv[0], "inner", NULL};
	char *const empty[] = {NULL};
	int status;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "inner") == 0) {
		printf("inner ran\n");
		return 0;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		clearenv();
		execve("/proc/self/exe", args, empty);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	printf("outer done\n");
	return WEXITSTATUS(status);
}
