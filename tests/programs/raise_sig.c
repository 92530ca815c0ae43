/*
 * raise runs the handler before it returns, as POSIX wants; a raised
 * signal the process blocks waits until it is unblocked. Under lockstep
 * each raise is a kill step and each delivery a signal step.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(1);
}

static void
on_signal(int s)
{
	say(s == SIGUSR1 ? "handler USR1\n" : "handler USR2\n");
}

int
main(void)
{
	sigset_t usr2;

	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	if (raise(SIGUSR1) != 0)
		return 1;
	say("after raise\n");
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	if (raise(SIGUSR2) != 0)
		return 1;
	say("raised while blocked\n");
	sigprocmask(SIG_UNBLOCK, &usr2, NULL);
	say("after unblock\n");
	return 0;
}
