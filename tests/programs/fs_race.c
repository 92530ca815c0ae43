/*
 * A check-then-create race on a file name: two processes each look for a
 * lock file with access() and, when it is not there, create it with
 * open(O_CREAT) and say they entered. Natively both usually find the file
 * missing only when they overlap; under explore the interleaving where
 * both enter must be found, and the two calls reported as a race on the
 * name.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Enter when the lock file is not there yet, and say so. */
static void
enter(const char *who)
{
	int fd;

	if (access("fs_race.lock", F_OK) == 0)
		return;
	fd = open("fs_race.lock", O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return;
	close(fd);
	if (write(1, who, strlen(who)) < 0)
		_exit(1);
}

int
main(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 1;
	if (pid == 0) {
		enter("child entered\n");
		return 0;
	}
	enter("parent entered\n");
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	unlink("fs_race.lock");
	return 0;
}
