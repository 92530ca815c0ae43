/*
 * The kernel's randomness under lockstep: getrandom, getentropy, the raw
 * getrandom system call and a read of /dev/urandom, in main and in a
 * forked child, printed in hex. Natively every run prints other bytes;
 * under lockstep the run's seed and the process's name decide them.
 */
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Append n bytes of b in hex to line, after label. */
static void
hex(char *line, size_t size, const char *label, const unsigned char *b,
    size_t n)
{
	size_t at = strlen(line);

	at += (size_t)snprintf(line + at, size - at, "%s ", label);
	for (size_t i = 0; i < n && at + 3 < size; i++)
		at += (size_t)snprintf(line + at, size - at, "%02x", b[i]);
	snprintf(line + at, size - at, "%s", " ");
}

/* One line of what process who draws; 0 or -1 when a call failed. */
static int
draw(const char *who)
{
	unsigned char b[16];
	char line[256];
	int fd;

	snprintf(line, sizeof(line), "%s: ", who);
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	hex(line, sizeof(line), "getrandom", b, sizeof(b));
	if (getentropy(b, 8) != 0)
		return -1;
	hex(line, sizeof(line), "getentropy", b, 8);
	if (syscall(SYS_getrandom, b, 8, 0) != 8)
		return -1;
	hex(line, sizeof(line), "syscall", b, 8);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b) ||
	    close(fd) != 0)
		return -1;
	hex(line, sizeof(line), "urandom", b, sizeof(b));
	strcat(line, "\n");
	/* write(2): stdio would buffer it past the schedule. */
	return write(1, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
}

int
main(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		return draw("child") != 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		return 1;
	return draw("main") != 0;
}
