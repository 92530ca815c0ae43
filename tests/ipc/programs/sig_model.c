/*
 * The kernel's signal semantics that lockstep models, one mode each:
 *
 *   lost:        the child sends SIGUSR1 to its parent, which does
 *                `if (!got) pause();`: natively the kill may land
 *                between the test and the pause, and the pause waits for
 *                ever (the lost wake-up).
 *   ignored:     the child sends SIGCHLD (ignored by default) and exits;
 *                the parent pauses: nothing wakes it.
 *   ignored-usr1: the same with SIGUSR1 set to SIG_IGN.
 *   stop-parent: the child sends its parent SIGSTOP; the parent waits
 *                for it: nobody is left to continue the parent.
 *   stop-cont:   the parent waits on semaphore "go"; one child
 *                (main.2) stops the parent, then posts "go" and
 *                "stopped"; another (main.1) waits for "stopped" and
 *                continues the parent, which only then takes "go" and
 *                finishes.
 *   self-stop:   the child stops itself (raise); the parent sends it
 *                SIGCONT after a virtual second: continued, or stopped
 *                for good when the SIGCONT came first.
 *   group-term:  the child sends SIGTERM to its process group (kill 0):
 *                the run's processes die of it, lockstep does not.
 *   parent:      the first process sends SIGTERM and SIGSTOP to its own
 *                parent (lockstep): refused, EPERM; then SIGTERM by
 *                sigqueue and by pidfd_send_signal (system calls glibc
 *                makes, dispatched to the kill wrapper): refused too.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got;

/* The handler: remember. */
static void
on_usr1(int sig)
{
	(void)sig;
	got = 1;
}

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(1);
}

/* Fork a child that runs fn; exits on failure. */
static pid_t
child(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		exit(1);
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void
usr1_parent(void *arg)
{
	(void)arg;
	kill(getppid(), SIGUSR1);
}

static void
chld_parent(void *arg)
{
	(void)arg;
	kill(getppid(), SIGCHLD);
}

static void
stop_parent(void *arg)
{
	(void)arg;
	kill(getppid(), SIGSTOP);
}

static sem_t *go, *stopped;

static void
stop_then_post(void *arg)
{
	(void)arg;
	kill(getppid(), SIGSTOP);
	sem_post(go);
	sem_post(stopped);
}

static void
wait_then_cont(void *arg)
{
	(void)arg;
	while (sem_wait(stopped) != 0 && errno == EINTR)
		;
	kill(getppid(), SIGCONT);
}

static void
stop_self(void *arg)
{
	(void)arg;
	raise(SIGSTOP);
	say("child continued\n");
}

static void
term_group(void *arg)
{
	(void)arg;
	kill(0, SIGTERM);
}

/* Reap every child; 0 when all exited 0. */
static int
reap(void)
{
	int status, bad = 0;

	while (wait(&status) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return bad;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "lost";
	struct sigaction sa;
	char msg[96];
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	if (strcmp(mode, "lost") == 0) {
		child(usr1_parent, NULL);
		if (!got)
			pause();
		say("woken\n");
	} else if (strcmp(mode, "ignored") == 0 ||
	           strcmp(mode, "ignored-usr1") == 0) {
		if (mode[7] == '-')
			signal(SIGUSR1, SIG_IGN);
		child(mode[7] == '-' ? usr1_parent : chld_parent, NULL);
		r = pause();
		snprintf(msg, sizeof(msg), "pause returned %d\n", r);
		say(msg);
	} else if (strcmp(mode, "stop-parent") == 0) {
		child(stop_parent, NULL);
		say("parent waits\n");
	} else if (strcmp(mode, "stop-cont") == 0) {
		go = sem_open("/go", O_CREAT, 0600, 0);
		stopped = sem_open("/stopped", O_CREAT, 0600, 0);
		if (go == SEM_FAILED || stopped == SEM_FAILED)
			return 1;
		/* The continuer first: forked after the stopper, it might
		 * never be, the parent stopped before its fork. */
		child(wait_then_cont, NULL);
		child(stop_then_post, NULL);
		while (sem_wait(go) != 0 && errno == EINTR)
			;
		say("parent continued\n");
		sem_unlink("/go");
		sem_unlink("/stopped");
	} else if (strcmp(mode, "self-stop") == 0) {
		pid_t pid = child(stop_self, NULL);

		sleep(1);
		kill(pid, SIGCONT);
	} else if (strcmp(mode, "group-term") == 0) {
		child(term_group, NULL);
		say("parent waits\n");
	} else if (strcmp(mode, "parent") == 0) {
		r = kill(getppid(), SIGTERM);
		snprintf(msg, sizeof(msg), "SIGTERM to parent: %d %s\n", r,
		         r < 0 && errno == EPERM ? "EPERM" : "");
		say(msg);
		r = kill(getppid(), SIGSTOP);
		snprintf(msg, sizeof(msg), "SIGSTOP to parent: %d %s\n", r,
		         r < 0 && errno == EPERM ? "EPERM" : "");
		say(msg);
		r = sigqueue(getppid(), SIGTERM, (union sigval){0});
		snprintf(msg, sizeof(msg), "sigqueue to parent: %d %s\n", r,
		         r < 0 && errno == EPERM ? "EPERM" : "");
		say(msg);
		r = (int)syscall(SYS_pidfd_send_signal,
		                 (int)syscall(SYS_pidfd_open, getppid(), 0),
		                 SIGTERM, NULL, 0);
		snprintf(msg, sizeof(msg), "pidfd to parent: %d %s\n", r,
		         r < 0 && errno == EPERM ? "EPERM" : "");
		say(msg);
	} else {
		return 2;
	}
	r = reap();
	say("parent done\n");
	return r;
}
