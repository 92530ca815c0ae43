/* A fake agent that forks: parent and child each post the other's turn
 * through a pipe-free protocol of prints; the parent exits after the
 * child started. Checks that fork is a step and the child is scheduled. */
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	pid_t pid;

	if (write(1, "parent\n", 7) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (write(1, "child\n", 6) < 0)
			_exit(1);
		_exit(0);
	}
	if (write(1, "parent again\n", 13) < 0)
		return 1;
	return 0;
}
