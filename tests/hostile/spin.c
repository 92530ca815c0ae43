/*
 * Writes a line, then loops for ever without reaching a scheduling
 * point: for (;;);. lockstep's --step-timeout must name it. With the
 * argument "fork" it forks first: the child waits for a turn it never
 * gets, the parent spins.
 */
#include "hostile.h"

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "fork") == 0 && fork() == 0) {
		say("child: never runs this far\n");
		_exit(0);
	}
	say("spinning\n");
	for (;;)
		__asm__ volatile("" ::: "memory");
}
