/*
 * An unmodified program for `lockstep run -- PROG`: popen for reading
 * (the parent reads what echo printed) and for writing (the parent
 * writes to wc -c, which prints the count); pclose returns the status.
 * The reads go through read(2) on the stream's descriptor: stdio's own
 * reads are scheduled only where sud.c can dispatch them.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char buf[256];
	size_t len = 0;
	ssize_t n;
	FILE *f;
	int st;

	f = popen("echo a b c", "r");
	if (f == NULL)
		return 1;
	while (len < sizeof(buf) - 1 &&
	       (n = read(fileno(f), buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	st = pclose(f);
	printf("read: %s", buf);
	printf("pclose: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	f = popen("wc -c", "w");
	if (f == NULL)
		return 1;
	fputs("twelve bytes", f);
	st = pclose(f);
	printf("pclose: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
