/*
 * A condition wait under `if` instead of `while`: the main thread waits
 * for ready once and trusts that a wake-up means ready was set. Signals
 * alone never break it (ready is set before the signal, under the
 * mutex); POSIX lets pthread_cond_wait return without a signal, and then
 * main reads ready as 0 and exits 1.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int ready;

static void *
setter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	ready = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	return NULL;
}

int
main(void)
{
	pthread_t t;
	int seen;

	if (pthread_create(&t, NULL, setter, NULL) != 0)
		return 70;
	pthread_mutex_lock(&m);
	if (!ready) /* the bug: `while` is needed */
		pthread_cond_wait(&c, &m);
	seen = ready;
	pthread_mutex_unlock(&m);
	pthread_join(t, NULL);
	printf("ready %d\n", seen);
	return seen ? 0 : 1;
}
