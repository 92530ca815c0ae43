/* Lost wake-up with signals: the parent checks a flag its SIGUSR1
 * handler sets and then calls pause(); a signal that comes between the
 * check and the pause is taken before it, and pause waits forever. */
#include <signal.h>

#include "bug.h"

static volatile sig_atomic_t got;

static void
on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

static int
notify(void *arg)
{
	kill(getppid(), SIGUSR1);
	(void)arg;
	return 0;
}

int
main(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	pid_t c;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	c = bug_spawn(notify, NULL);
	if (!got)
		pause(); /* the bug: sigsuspend with USR1 blocked till here */
	bug_reap(c);
	return 0;
}
