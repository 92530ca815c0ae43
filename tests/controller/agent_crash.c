/* A fake agent that prints once, then dies of SIGSEGV while it holds the
 * turn: the controller must report the crash and its last event. */
#include <signal.h>
#include <unistd.h>

int
main(void)
{
	if (write(1, "crash\n", 6) < 0)
		return 1;
	raise(SIGSEGV);
	return 0;
}
