/*
 * Three threads meet at a barrier twice: in each round every thread
 * writes its mark before the barrier and reads all the marks after it
 * (so each sees the others' marks: the barrier orders them), and
 * exactly one waiter per round gets PTHREAD_BARRIER_SERIAL_THREAD.
 */
#include <pthread.h>
#include <stdio.h>

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

int
main(void)
{
	pthread_t t[N];

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
