/*
 * An unmodified program for `lockstep run -- PROG`: two children each
 * write a line into a pipe of their own and exit; the parent waits for
 * either with poll (or select, with USE_SELECT in the environment), reads
 * what is ready and says which pipe it was, until both are at the end of
 * file. Which pipe is ready first is the schedule's doing; natively, the
 * kernel's.
 */
#include <sys/select.h>
#include <sys/wait.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Wait for one of the open read ends; its index, -1 on failure. */
static int
wait_ready(const int *fd, const int *open_, int use_select)
{
	if (use_select) {
		fd_set rd;
		int top = 0;

		FD_ZERO(&rd);
		for (int i = 0; i < 2; i++)
			if (open_[i]) {
				FD_SET(fd[i], &rd);
				top = fd[i] + 1 > top ? fd[i] + 1 : top;
			}
		if (select(top, &rd, NULL, NULL, NULL) <= 0)
			return -1;
		for (int i = 0; i < 2; i++)
			if (open_[i] && FD_ISSET(fd[i], &rd))
				return i;
		return -1;
	}
	struct pollfd p[2] = {{open_[0] ? fd[0] : -1, POLLIN, 0},
	                      {open_[1] ? fd[1] : -1, POLLIN, 0}};

	if (poll(p, 2, -1) <= 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (p[i].revents != 0)
			return i;
	return -1;
}

int
main(void)
{
	int use_select = getenv("USE_SELECT") != NULL;
	int fd[2], open_[2] = {1, 1}, p[2];
	char buf[64], line[96];

	for (int i = 0; i < 2; i++) {
		pid_t pid;

		if (pipe(p) != 0 || (pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			close(p[0]);
			snprintf(line, sizeof(line), "from %d\n", i + 1);
			if (write(p[1], line, strlen(line)) < 0)
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		fd[i] = p[0];
	}
	while (open_[0] || open_[1]) {
		int i = wait_ready(fd, open_, use_select);
		ssize_t n;

		if (i < 0)
			return 1;
		n = read(fd[i], buf, sizeof(buf));
		if (n < 0)
			return 1;
		if (n == 0) {
			open_[i] = 0;
			close(fd[i]);
			continue;
		}
		snprintf(line, sizeof(line), "pipe %d: %.*s", i + 1, (int)n,
		         buf);
		if (write(1, line, strlen(line)) < 0)
			return 1;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
