/*
 * An unmodified program for `lockstep run -- PROG`: posix_spawn of echo
 * with its standard output moved into a pipe by a dup2 file action; the
 * parent reads what it wrote, then waits for it. A file action that
 * closes the read end, a signal mask and a process group to set are
 * applied in the child.
 */
#include <sys/wait.h>

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(void)
{
	char *const argv[] = {"echo", "hello", "from", "echo", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char buf[256];
	size_t len = 0;
	ssize_t n;
	int p[2], status, err;
	sigset_t none;
	pid_t pid;

	if (pipe(p) != 0)
		return 1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawn(&pid, "/bin/echo", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err != 0) {
		printf("posix_spawn: %s\n", strerror(err));
		return 1;
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 &&
	       (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	printf("parent read: %s", buf);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child exited %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
