/*
 * The baseline of explore's speed: fork N processes that exit at once and
 * reap them, M times (argv: M, N; defaults 200, 2). Prints the mean cost
 * of one such round in milliseconds: what a run of an N-process scenario
 * cannot go below, since each run forks and reaps its N processes.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	int n = argc > 2 ? atoi(argv[2]) : 2;
	struct timespec a, b;

	if (rounds < 1 || n < 1)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid < 0)
				return 1;
			if (pid == 0)
				_exit(0);
		}
		for (int i = 0; i < n; i++)
			if (wait(NULL) < 0)
				return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("native_forkreap_ms %.3f\n",
	       ((double)(b.tv_sec - a.tv_sec) * 1e3 +
	        (double)(b.tv_nsec - a.tv_nsec) / 1e6) /
	               rounds);
	return 0;
}
