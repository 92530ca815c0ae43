/*
 * An unmodified program that blocks in a call lockstep does not control
 * yet: it reads from a pipe nobody writes. lockstep must not hang: it
 * reports the system call the process sits in.
 */
#include <unistd.h>

int
main(void)
{
	char c;
	int p[2];

	if (pipe(p) != 0 || write(1, "reading\n", 8) != 8)
		return 1;
	return read(p[0], &c, 1) == 1 ? 0 : 1;
}
