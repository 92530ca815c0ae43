/*
 * A producer and a consumer thread around a one-slot buffer guarded by a
 * mutex and a condition variable (while, not if): the consumer prints
 * the items in order. Argument: how many items (default 3).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int full, item, n = 3;

static void *
producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= n; i++) {
		pthread_mutex_lock(&lock);
		while (full)
			pthread_cond_wait(&changed, &lock);
		item = i;
		full = 1;
		pthread_cond_signal(&changed);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *
consumer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= n; i++) {
		pthread_mutex_lock(&lock);
		while (!full)
			pthread_cond_wait(&changed, &lock);
		printf("got %d\n", item);
		full = 0;
		pthread_cond_signal(&changed);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t p, c;

	if (argc > 1)
		n = atoi(argv[1]);
	pthread_create(&p, NULL, producer, NULL);
	pthread_create(&c, NULL, consumer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	return 0;
}
