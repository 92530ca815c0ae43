/*
 * What the hostile programs share: a line written with write(2) (stdio
 * would buffer it past the schedule), and a semaphore ping-pong between a
 * parent and its child, the run's ordinary business after the program
 * did something hostile to it.
 */
#ifndef LK_HOSTILE_H
#define LK_HOSTILE_H

#include <sys/wait.h>

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line to standard output; exit 1 when that fails. */
static inline void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(1);
}

/*
 * Fork a child; parent and child pass the turn back and forth rounds
 * times on two named semaphores, then the parent reaps the child. Returns
 * 0 when every step worked and the child exited 0.
 */
static inline int
ping_pong(int rounds)
{
	sem_t *ping = sem_open("/hostile_ping", O_CREAT, 0600, 0);
	sem_t *pong = sem_open("/hostile_pong", O_CREAT, 0600, 0);
	int status;
	pid_t pid;

	if (ping == SEM_FAILED || pong == SEM_FAILED)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (int i = 0; i < rounds; i++)
			if (sem_wait(ping) != 0 || sem_post(pong) != 0)
				_exit(1);
		say("child: done\n");
		_exit(0);
	}
	for (int i = 0; i < rounds; i++)
		if (sem_post(ping) != 0 || sem_wait(pong) != 0)
			return -1;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	say("parent: done\n");
	sem_unlink("/hostile_ping");
	sem_unlink("/hostile_pong");
	return 0;
}

#endif
