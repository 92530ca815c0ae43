/*
 * Two consumer threads, each testing a one-item buffer once ("if", not
 * "while") before waiting on a condition variable; main produces two
 * items. A consumer woken by a signal can be overtaken by the other one,
 * which locks the mutex between the producer's unlock and the woken
 * one's taking it back: the woken one then takes from an empty buffer
 * and prints "-1 left". explore (dfs) must reach that; it did not when
 * the reduction took a wait's retaking of the mutex for a read of it
 * (docs/explore.md; the unit test is tests/explore/test_dpor.c). Too
 * long for a test of its own: about 9,000 runs.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int items;

static void *
consumer(void *arg)
{
	pthread_mutex_lock(&lock);
	if (items == 0)
		pthread_cond_wait(&not_empty, &lock);
	items--;
	printf("%s took one, %d left\n", (const char *)arg, items);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int
main(void)
{
	pthread_t t1, t2;

	setvbuf(stdout, NULL, _IONBF, 0);
	pthread_create(&t1, NULL, consumer, "c1");
	pthread_create(&t2, NULL, consumer, "c2");
	for (int i = 0; i < 2; i++) {
		pthread_mutex_lock(&lock);
		items++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	return 0;
}
