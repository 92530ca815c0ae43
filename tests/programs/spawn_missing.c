/*
 * An unmodified program for `lockstep run -- PROG`: posix_spawnp of a
 * program that is nowhere in PATH returns ENOENT, and no child is left
 * to wait for; then one that exists runs and exits 0.
 */
#include <sys/wait.h>

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(void)
{
	char *const missing[] = {"lockstep-no-such-program", NULL};
	char *const truth[] = {"true", NULL};
	int err, status;
	pid_t pid = 0;

	err = posix_spawnp(&pid, missing[0], NULL, NULL, missing, environ);
	printf("missing: %s\n", err == ENOENT ? "ENOENT" : strerror(err));
	printf("children left: %s\n",
	       waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD ? "none"
	                                                            : "some");
	err = posix_spawnp(&pid, truth[0], NULL, NULL, truth, environ);
	if (err != 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	printf("true: exit %d\n", WEXITSTATUS(status));
	return 0;
}
