/* A SIGCHLD handler stealing a waitpid: the handler reaps every exited
 * child with waitpid(-1, WNOHANG), so when the child exits before main
 * calls waitpid(child), that waitpid fails with ECHILD and main never
 * learns the child's status. */
#include <errno.h>
#include <signal.h>

#include "bug.h"

static void
on_chld(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int
child(void *arg)
{
	(void)arg;
	return 7;
}

int
main(void)
{
	struct sigaction sa = {.sa_handler = on_chld};
	int st;
	pid_t c;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	c = bug_spawn(child, NULL);
	if (write(1, "", 0) < 0) /* some work of main's: a step */
		return 70;
	if (waitpid(c, &st, 0) != c)
		return 1; /* ECHILD: the handler took it */
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 70;
}
