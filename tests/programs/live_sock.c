/*
 * A program whose end the test decides: it prints a line on stdout and
 * one on stderr, then reads a unix socket (path argv[1]) for real, a call
 * lockstep does not control, until the test closes the other end; then
 * prints "after" and exits 0. Under `lockstep run -q` its first lines
 * must reach lockstep's stdout and stderr while it still waits.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char c;
	int s;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path))
		return 2;
	strcpy(a.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 3;
	if (write(1, "first\n", 6) != 6 || write(2, "err-first\n", 10) != 10)
		return 4;
	while (read(s, &c, 1) == 1)
		;
	return write(1, "after\n", 6) == 6 ? 0 : 5;
}
