/*
 * A signal after a pipe write: the parent writes to a pipe, its child
 * reads and sends it SIGUSR1 while it waits for the child. The handler
 * runs before the wait returns. (Under lockstep a pipe write once left
 * every signal lockstep delivers blocked for good.)
 */
#include <sys/wait.h>

#include <signal.h>
#include <unistd.h>

static void
on_usr1(int s)
{
	(void)s;
	if (write(1, "handler\n", 8) != 8)
		_exit(1);
}

int
main(void)
{
	int p[2];
	pid_t pid;
	char c;

	signal(SIGUSR1, on_usr1);
	if (pipe(p) != 0)
		return 1;
	pid = fork();
	if (pid == 0)
		return read(p[0], &c, 1) != 1 || kill(getppid(), SIGUSR1) != 0;
	if (write(p[1], "x", 1) != 1 || waitpid(pid, NULL, 0) != pid)
		return 1;
	return write(1, "done\n", 5) != 5;
}
