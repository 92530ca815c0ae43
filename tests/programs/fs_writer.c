/*
 * Writes where it is told: reads FILE and prints how many lines it had,
 * then a child and the parent each append a line, the parent creates
 * FILE.new, removes FILE.old and makes the directory FILE.d, and prints
 * how many lines FILE has at the end. Run twice on the real files, the
 * second run starts from the first one's: under explore, every run must
 * start from the same files, and none of them may be the user's.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Lines of path, or -1 when it cannot be read. */
static int
lines(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY), n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* Append text to path. */
static int
append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	int ok = fd >= 0 &&
	         write(fd, text, strlen(text)) == (ssize_t)strlen(text);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	char line[64], other[4096];
	int status, fd;
	pid_t pid;

	if (argc != 2)
		return 2;
	snprintf(line, sizeof(line), "start %d\n", lines(argv[1]));
	if (write(1, line, strlen(line)) < 0)
		return 1;
	pid = fork();
	if (pid == 0)
		return append(argv[1], "child\n") != 0;
	if (pid < 0 || append(argv[1], "parent\n") != 0 ||
	    waitpid(pid, &status, 0) != pid)
		return 1;
	snprintf(other, sizeof(other), "%s.new", argv[1]);
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 1;
	close(fd);
	snprintf(other, sizeof(other), "%s.old", argv[1]);
	unlink(other);
	snprintf(other, sizeof(other), "%s.d", argv[1]);
	mkdir(other, 0755);
	snprintf(line, sizeof(line), "end %d\n", lines(argv[1]));
	return write(1, line, strlen(line)) < 0;
}
