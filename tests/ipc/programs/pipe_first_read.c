/*
 * A read of an empty pipe whose only write end the reader holds, as the
 * program's very first call: the same hang as tests/programs/pipe_read.c
 * without the write that comes first there. lockstep should report a
 * deadlock, not wait for the call to come back.
 */
#include <unistd.h>

int
main(void)
{
	char c;
	int p[2];

	if (pipe(p) != 0)
		return 1;
	return read(p[0], &c, 1) == 1 ? 0 : 1;
}
