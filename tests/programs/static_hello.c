/*
 * A program linked statically: the dynamic loader never runs, so the
 * interposer cannot be preloaded into it and lockstep refuses to start it
 * (or to let a process exec it) rather than run it uncontrolled.
 */
#include <unistd.h>

int
main(void)
{
	return write(1, "static hello\n", 13) == 13 ? 0 : 1;
}
