/*
 * Writes MEGABYTES (the argument, default 1024) to standard output in
 * 64 KiB writes, then a last line; exits 0 when every write went in
 * whole, 1 at the first that did not.
 */
#include <errno.h>

#include "hostile.h"

#define CHUNK (64 * 1024)

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	long mb = argc > 1 ? atol(argv[1]) : 1024;
	long writes = mb * (1024 * 1024 / CHUNK);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (i % 64 == 63) ? '\n' : 'x';
	for (long i = 0; i < writes; i++) {
		ssize_t n = write(1, buf, sizeof(buf));

		if (n != (ssize_t)sizeof(buf)) {
			dprintf(2, "flood: write %ld of %ld: %s\n", i + 1,
			        writes, n < 0 ? strerror(errno) : "short");
			return 1;
		}
	}
	say("flood: done\n");
	return 0;
}
