/*
 * Two threads hand a token back and forth N times (argument, default
 * 1000) through a mutex and a condition variable: the cost of a
 * hand-over between threads (docs/performance.md).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static int whose, n = 1000;

static void *
player(void *arg)
{
	int me = (int)(long)arg;

	for (int i = 0; i < n; i++) {
		pthread_mutex_lock(&lock);
		while (whose != me)
			pthread_cond_wait(&turn, &lock);
		whose = !me;
		pthread_cond_signal(&turn);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t a, b;

	if (argc > 1)
		n = atoi(argv[1]);
	pthread_create(&a, NULL, player, (void *)0L);
	pthread_create(&b, NULL, player, (void *)1L);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("%d rounds\n", n);
	return 0;
}
