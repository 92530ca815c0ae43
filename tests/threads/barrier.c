/*
 * Three threads meet at a barrier twice: in each round every thread
 * writes its mark before the barrier and reads all the marks after it
 * (so each sees the others' marks: the barrier orders them), and
 * exactly one waiter per round gets PTHREAD_BARRIER_SERIAL_THREAD.
 * With argument "shared": a process-shared barrier in shared memory
 * between a parent and its child, which writes before the barrier what
 * the parent reads after it. With "short": a barrier of 3 that only two
 * threads reach, a deadlock.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define N      3
#define ROUNDS 2

static pthread_barrier_t bar;
static int mark[N];
static int serial[ROUNDS];
static int missed;

static void *
worker(void *arg)
{
	int me = (int)(long)arg;

	for (int r = 0; r < ROUNDS; r++) {
		mark[me] = r + 1;
		if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial[r], 1, __ATOMIC_RELAXED);
		for (int i = 0; i < N; i++)
			if (mark[i] < r + 1)
				__atomic_fetch_add(&missed, 1,
				                   __ATOMIC_RELAXED);
		/* Nobody writes the next round's mark before all have
		 * read this round's. */
		pthread_barrier_wait(&bar);
	}
	return NULL;
}

static int
shared(void)
{
	pthread_barrier_t *b;
	pthread_barrierattr_t a;
	int *v, status;
	pid_t pid;

	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	         -1, 0);
	if (b == MAP_FAILED)
		return 1;
	v = (int *)(b + 1);
	pthread_barrierattr_init(&a);
	pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(b, &a, 2);
	pid = fork();
	if (pid == 0) {
		*v = 5;
		pthread_barrier_wait(b);
		_exit(0);
	}
	pthread_barrier_wait(b);
	printf("parent sees %d\n", *v);
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WEXITSTATUS(status));
	return 0;
}

static void *
arrive(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&bar);
	return NULL;
}

static int
short_of_one(void)
{
	pthread_t t;

	pthread_barrier_init(&bar, NULL, 3);
	pthread_create(&t, NULL, arrive, NULL);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	puts("no deadlock");
	return 0;
}

int
main(int argc, char **argv)
{
	pthread_t t[N];

	if (argc > 1 && strcmp(argv[1], "shared") == 0)
		return shared();
	if (argc > 1 && strcmp(argv[1], "short") == 0)
		return short_of_one();

	pthread_barrier_init(&bar, NULL, N);
	for (long i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	for (int r = 0; r < ROUNDS; r++)
		printf("round %d: %d serial\n", r + 1, serial[r]);
	printf("marks missed: %d\n", missed);
	printf("destroy: %d\n", pthread_barrier_destroy(&bar));
	return 0;
}
