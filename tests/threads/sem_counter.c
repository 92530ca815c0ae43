/*
 * Four threads add to a counter 100 times each under an unnamed
 * semaphore used as a lock (sem_init(&m, 0, 1)): natively counter=400.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t m;
static int counter;

static void *
adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		sem_wait(&m);
		counter++;
		sem_post(&m);
	}
	return NULL;
}

int
main(void)
{
	pthread_t t[4];

	sem_init(&m, 0, 1);
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, adder, NULL) != 0)
			return 2;
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("counter=%d\n", counter);
	return counter == 400 ? 0 : 1;
}
