/*
 * spawn_native: the start-up baseline of scripts/bench. A lockstep run of
 * a two-process scenario forks and execs two processes and waits for
 * both; this does the same with nothing else, M times, and prints the mean
 * time of one pair.
 *
 * Usage: spawn_native [M [PROGRAM]]   (defaults 50 and /bin/true)
 * Prints: native_spawn2_ms <milliseconds per pair>
 */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Print what failed and why, then exit with status 1. */
static void
die(const char *what)
{
	fprintf(stderr, "spawn_native: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Nanoseconds on the monotonic clock. */
static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Fork a child that execs prog; returns its pid. */
static pid_t
spawn(const char *prog)
{
	char *argv[] = {(char *)prog, NULL};
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execv(prog, argv);
		fprintf(stderr, "spawn_native: cannot run %s: %s\n", prog,
		        strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Wait for pid; exit if it did not exit with status 0. */
static void
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawn_native: a child failed\n");
		exit(1);
	}
}

/* Parse argv[1] as the number of pairs; exit on nonsense. */
static long
parse_count(int argc, char **argv)
{
	char *end;
	long n;

	if (argc < 2)
		return 50;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: spawn_native [PAIRS [PROGRAM]]\n");
		exit(2);
	}
	return n;
}

/* Spawn and reap m pairs of processes, print the mean time of a pair. */
int
main(int argc, char **argv)
{
	long m = parse_count(argc, argv);
	const char *prog = argc > 2 ? argv[2] : "/bin/true";
	long long t0, t1;

	t0 = now_ns();
	for (long i = 0; i < m; i++) {
		pid_t a = spawn(prog);
		pid_t b = spawn(prog);

		reap(a);
		reap(b);
	}
	t1 = now_ns();
	printf("native_spawn2_ms %.3f\n", (double)(t1 - t0) / 1e6 / m);
	return 0;
}
