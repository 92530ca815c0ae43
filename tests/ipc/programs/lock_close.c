/*
 * fcntl record locks are owned by the process. The parent opens the file
 * twice and write-locks byte 0 through the first descriptor, then forks.
 *
 *   close:  the child waits for the same byte (F_SETLKW); the parent
 *           sleeps a second, then closes its *second* descriptor, which
 *           drops every lock it holds on the file: the child gets the lock
 *           while the parent is still alive (it is waiting for the child).
 *   nowait: the child tries the same byte with F_SETLK: the parent's lock
 *           is not the child's, so it fails at once with EAGAIN.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write(2) a line: stdio would buffer it past the schedule. */
static void
say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(1);
}

/* Lock (or unlock) byte 0 of fd with cmd, F_SETLK or F_SETLKW. */
static int
lock_byte(int fd, int cmd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

	fl.l_start = 0;
	fl.l_len = 1;
	return fcntl(fd, cmd, &fl);
}

/* The child: take byte 0 as mode says and report. */
static void
child(int nowait)
{
	int fd = open("lock.dat", O_RDWR), r;
	char msg[64];

	if (fd < 0)
		_exit(1);
	r = lock_byte(fd, nowait ? F_SETLK : F_SETLKW, F_WRLCK);
	snprintf(msg, sizeof(msg), "child lock %d%s\n", r,
	         r < 0 && (errno == EAGAIN || errno == EACCES) ? " EAGAIN"
	                                                       : "");
	say(msg);
	_exit(nowait ? (r < 0 ? 0 : 1) : (r == 0 ? 0 : 1));
}

int
main(int argc, char **argv)
{
	int nowait = argc > 1 && strcmp(argv[1], "nowait") == 0;
	int fd1, fd2, status;
	pid_t pid;

	say("start\n");
	fd1 = open("lock.dat", O_RDWR | O_CREAT, 0600);
	fd2 = open("lock.dat", O_RDWR);
	if (fd1 < 0 || fd2 < 0 || lock_byte(fd1, F_SETLK, F_WRLCK) != 0)
		return 1;
	say("parent locked\n");
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		child(nowait);
	if (!nowait) {
		sleep(1);
		say("parent closes fd2\n");
		close(fd2);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	say("parent done\n");
	unlink("lock.dat");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
