/*
 * Blocks every signal it can (sigprocmask(SIG_BLOCK) of a full set), then
 * forks; the child, which inherits the mask, writes and exits 0; the
 * parent waits for it and reports its status.
 */
#include <signal.h>

#include "hostile.h"

int
main(void)
{
	sigset_t all;
	char line[64];
	int status;
	pid_t pid;

	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) != 0)
		return 1;
	say("every signal blocked\n");
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		say("child: running\n");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	snprintf(line, sizeof(line), "parent: child exited %d\n",
	         WEXITSTATUS(status));
	say(line);
	return WEXITSTATUS(status) == 0 ? 0 : 1;
}
