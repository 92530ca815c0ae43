/*
 * sigwait and its kin: a parent and its child, both with USR1, USR2 and
 * CHLD blocked, signal each other in turn and take the signals with
 * sigwait. The handler installed for USR1 must not run: a signal taken
 * by sigwait is not delivered. sigtimedwait with nothing coming times out
 * (on the virtual clock under lockstep), and sigwait for SIGCHLD takes
 * the child's exit.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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
	(void)s;
	say("handler ran\n");
}

int
main(void)
{
	struct timespec brief = {0, 200000000};
	char line[64];
	siginfo_t info;
	sigset_t set;
	int sig = 0;
	pid_t pid;

	signal(SIGUSR1, on_signal);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	sigdelset(&set, SIGCHLD);
	if (pid == 0) {
		usleep(100000);
		kill(getppid(), SIGUSR2);
		if (sigwait(&set, &sig) != 0 || sig != SIGUSR1)
			return 1;
		kill(getppid(), SIGUSR1);
		return 0;
	}
	if (sigwait(&set, &sig) != 0)
		return 1;
	snprintf(line, sizeof(line), "sigwait: %s\n", sigabbrev_np(sig));
	say(line);
	kill(pid, SIGUSR1);
	if (sigwaitinfo(&set, &info) < 0)
		return 1;
	snprintf(line, sizeof(line), "sigwaitinfo: %s\n",
	         sigabbrev_np(info.si_signo));
	say(line);
	if (sigtimedwait(&set, &info, &brief) < 0 && errno == EAGAIN)
		say("sigtimedwait: timed out\n");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigwait(&set, &sig) != 0)
		return 1;
	snprintf(line, sizeof(line), "sigwait: %s\n", sigabbrev_np(sig));
	say(line);
	return waitpid(pid, NULL, 0) == pid ? 0 : 1;
}
