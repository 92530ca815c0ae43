/*
 * lockf: the parent locks a file, its child finds it locked (F_TLOCK,
 * F_TEST) and then waits for it (F_LOCK) until the parent unlocks. Under
 * lockstep the wait is a blocked step, not a real one. The parent unlocks
 * only after the child said (on a pipe) that it found the lock busy, so
 * the output is the same however fast either process runs.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(1);
}

int
main(void)
{
	int fd = open("lockf.dat", O_RDWR | O_CREAT | O_TRUNC, 0600), status;
	int busy[2];
	pid_t pid;
	char c;

	if (fd < 0 || pipe(busy) != 0 || lockf(fd, F_LOCK, 0) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(busy[0]);
		if (lockf(fd, F_TLOCK, 0) == -1 &&
		    (errno == EAGAIN || errno == EACCES))
			say("child: F_TLOCK busy\n");
		if (lockf(fd, F_TEST, 0) == -1 && errno == EACCES)
			say("child: F_TEST busy\n");
		if (write(busy[1], "b", 1) != 1 || lockf(fd, F_LOCK, 0) != 0)
			return 1;
		say("child: locked\n");
		return lockf(fd, F_ULOCK, 0) != 0;
	}
	close(busy[1]);
	if (read(busy[0], &c, 1) != 1)
		return 1;
	/* Natively this only gives the child time to reach F_LOCK (the
	 * output does not depend on it); under lockstep the sleep is
	 * virtual and ends once the child is blocked in F_LOCK. */
	usleep(200000);
	say("parent: unlocking\n");
	if (lockf(fd, F_ULOCK, 0) != 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	unlink("lockf.dat");
	return WEXITSTATUS(status);
}
