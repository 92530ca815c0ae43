/*
 * An unmodified program that reads from a pipe whose only write end it
 * holds itself: it would hang for ever. lockstep reports a deadlock and
 * says who holds the write end.
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
