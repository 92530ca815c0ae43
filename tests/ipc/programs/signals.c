/*
 * Signals in an unmodified program. The parent installs a SIGUSR1 handler
 * that counts, forks a child (which inherits it), waits until the child
 * is ready (a semaphore), and then, by mode:
 *
 *   coalesce:  sends SIGUSR1 twice while the child waits on a semaphore;
 *              standard signals do not queue: the child handles one.
 *   twice:     sends one, waits until the child has handled it, sends
 *              another: the child handles two.
 *   semintr:   sends one while the child is blocked in sem_wait, which
 *              fails with EINTR.
 *   sleepintr: sleeps a second, then sends one to the child, which is
 *              sleeping 100 s: its sleep returns early, 99 s left.
 *   pause:     sends one to the child, which waits for it in pause().
 *   lonely:    (no child) pauses, and nobody sends anything: a deadlock.
 *
 * The child prints what happened and how many signals it handled.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

/* The handler: count. */
static void
on_usr1(int sig)
{
	(void)sig;
	handled++;
}

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

/* sem_wait, again after a signal. */
static void
wait_sem(sem_t *s)
{
	while (sem_wait(s) != 0 && errno == EINTR)
		;
}

/* The child's side of mode; never returns. */
static void
child(const char *mode, sem_t *ready, sem_t *go)
{
	char msg[96];
	int r, err;

	sem_post(ready);
	if (strcmp(mode, "coalesce") == 0) {
		wait_sem(go);
	} else if (strcmp(mode, "twice") == 0) {
		wait_sem(go);
		sem_post(ready);
		wait_sem(go);
	} else if (strcmp(mode, "semintr") == 0) {
		r = sem_wait(go);
		err = errno;
		snprintf(msg, sizeof(msg), "sem_wait %d%s\n", r,
		         r < 0 && err == EINTR ? " EINTR" : "");
		say(msg);
	} else if (strcmp(mode, "sleepintr") == 0) {
		snprintf(msg, sizeof(msg), "sleep left %u\n", sleep(100));
		say(msg);
	} else if (strcmp(mode, "pause") == 0) {
		r = pause();
		err = errno;
		snprintf(msg, sizeof(msg), "pause %d%s\n", r,
		         r < 0 && err == EINTR ? " EINTR" : "");
		say(msg);
	}
	snprintf(msg, sizeof(msg), "child handled %d\n", (int)handled);
	say(msg);
	_exit(0);
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "coalesce";
	struct sigaction sa;
	sem_t *ready, *go;
	int status;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		return 1;
	ready = sem_open("/ready", O_CREAT, 0600, 0);
	go = sem_open("/go", O_CREAT, 0600, 0);
	if (ready == SEM_FAILED || go == SEM_FAILED)
		return 1;
	if (strcmp(mode, "lonely") == 0) {
		say("pausing\n");
		pause();
		say("never printed\n");
		return 0;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		child(mode, ready, go);
	wait_sem(ready);
	if (strcmp(mode, "coalesce") == 0) {
		kill(pid, SIGUSR1);
		kill(pid, SIGUSR1);
		sem_post(go);
	} else if (strcmp(mode, "twice") == 0) {
		kill(pid, SIGUSR1);
		sem_post(go);
		wait_sem(ready);
		kill(pid, SIGUSR1);
		sem_post(go);
	} else {
		if (strcmp(mode, "sleepintr") == 0)
			sleep(1);
		kill(pid, SIGUSR1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	sem_unlink("/ready");
	sem_unlink("/go");
	say("parent done\n");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
