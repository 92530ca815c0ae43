/*
 * gettimeofday around a sleep: under lockstep the clock is virtual, so it
 * advances by exactly the time slept (and starts at 2100-01-01), without
 * any real waiting. Natively the same line comes out, rounded. With
 * "exact" as argument it prints the exact numbers.
 */
#include <sys/time.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timeval t0, t1;
	char line[128];
	long long us;
	int n;

	if (gettimeofday(&t0, NULL) != 0 || usleep(300000) != 0 ||
	    gettimeofday(&t1, NULL) != 0)
		return 1;
	us = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_usec - t0.tv_usec);
	if (argc > 1 && strcmp(argv[1], "exact") == 0)
		n = snprintf(line, sizeof(line),
		             "start %lld.%06ld, elapsed %lld us, time() %lld\n",
		             (long long)t0.tv_sec, (long)t0.tv_usec, us,
		             (long long)time(NULL));
	else
		n = snprintf(line, sizeof(line), "slept about %lld ms\n",
		             (us + 50000) / 100000 * 100);
	return write(1, line, (size_t)n) == n ? 0 : 1;
}
