/*
 * Can this machine give a run what it asks for (a mount namespace, a
 * network of its own)? Asked once, in a forked child that tries it and
 * exits, so the controller itself stays where it is.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

/* Say why into why (controller.h). */
int
lk_why(char *why, size_t size, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* Try enter in a forked child (controller.h). */
int
lk_probe_in_child(int (*enter)(char *why, size_t size), char *why, size_t size)
{
	int fds[2], status, ok = 0;
	ssize_t n;
	pid_t pid;

	snprintf(why, size, "cannot fork: %s", strerror(errno));
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char msg[256];

		close(fds[0]);
		if (enter(msg, sizeof(msg)) == 0)
			_exit(0);
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(1);
	}
	if (pid < 0)
		snprintf(why, size, "cannot fork: %s", strerror(errno));
	close(fds[1]);
	if (pid > 0) {
		n = read(fds[0], why, size - 1);
		why[n > 0 ? n : 0] = '\0';
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!ok && why[0] == '\0')
			snprintf(why, size, "the test process failed");
	}
	close(fds[0]);
	return ok ? 0 : -1;
}
