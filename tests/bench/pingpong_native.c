/*
 * pingpong_native: the baseline of scripts/bench. Two processes hand a
 * token back and forth N times over two process-shared POSIX semaphores,
 * with nothing in between: the parent posts ping and waits for pong, the
 * child waits for ping and posts pong. Only the round trips are timed,
 * after a first warm-up round trip has shown that both processes run.
 *
 * Usage: pingpong_native [N]   (default 10000)
 * Prints: native_roundtrip_us <microseconds per round trip>
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pair {
	sem_t ping;
	sem_t pong;
};

/* Print what failed and why, then exit with status 1. */
static void
die(const char *what)
{
	fprintf(stderr, "pingpong_native: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Wait on s, retrying when a signal interrupts the wait. */
static void
wait_sem(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			die("sem_wait");
}

/* Post s. */
static void
post_sem(sem_t *s)
{
	if (sem_post(s) != 0)
		die("sem_post");
}

/* Nanoseconds on the monotonic clock. */
static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The child's side: answer the warm-up and then every ping with a pong. */
static void
child(struct pair *p, long n)
{
	for (long i = 0; i < n + 1; i++) {
		wait_sem(&p->ping);
		post_sem(&p->pong);
	}
	_exit(0);
}

/* Parse argv[1] as the number of round trips; exit on nonsense. */
static long
parse_count(int argc, char **argv)
{
	char *end;
	long n;

	if (argc < 2)
		return 10000;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0) {
		fprintf(stderr, "usage: pingpong_native [ROUNDTRIPS]\n");
		exit(2);
	}
	return n;
}

/* Run the child, time n round trips with it, print the mean. */
int
main(int argc, char **argv)
{
	long n = parse_count(argc, argv);
	struct pair *p;
	long long t0, t1;
	int status;
	pid_t pid;

	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	if (sem_init(&p->ping, 1, 0) != 0 || sem_init(&p->pong, 1, 0) != 0)
		die("sem_init");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		child(p, n);

	/* Warm-up: once it returns, both processes are running. */
	post_sem(&p->ping);
	wait_sem(&p->pong);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		post_sem(&p->ping);
		wait_sem(&p->pong);
	}
	t1 = now_ns();

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pingpong_native: the child failed\n");
		return 1;
	}
	printf("native_roundtrip_us %.3f\n", (double)(t1 - t0) / 1e3 / n);
	return 0;
}
