/*
 * Spinlocks and pthread_once: two threads add to a counter under a
 * spinlock (a spin on a held lock is a blocked step, not a busy loop),
 * and both call pthread_once, whose routine runs once; the one that did
 * not run it returns only after the routine returned, and sees its
 * value.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_spinlock_t spin;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int counter, ran, value;

static void
init(void)
{
	ran++;
	usleep(1000); /* a step: the other caller may come meanwhile */
	value = 7;
}

static void *
worker(void *arg)
{
	int seen;

	(void)arg;
	pthread_once(&once, init);
	seen = value;
	for (int i = 0; i < 5; i++) {
		pthread_spin_lock(&spin);
		counter++;
		pthread_spin_unlock(&spin);
	}
	return (void *)(long)seen;
}

int
main(void)
{
	pthread_t t1, t2;
	void *s1, *s2;

	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	pthread_create(&t1, NULL, worker, NULL);
	pthread_create(&t2, NULL, worker, NULL);
	pthread_join(t1, &s1);
	pthread_join(t2, &s2);
	printf("counter=%d ran=%d seen=%ld,%ld\n", counter, ran, (long)s1,
	       (long)s2);
	printf("trylock free: %d\n", pthread_spin_trylock(&spin));
	printf("trylock held: %d\n", pthread_spin_trylock(&spin) != 0);
	pthread_spin_unlock(&spin);
	return 0;
}
