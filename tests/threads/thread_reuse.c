/*
 * glibc gives a new thread the descriptor (the pthread_t) of a thread
 * that was joined: t2 has t1's value. Then t2 is detached and lets main
 * know it ran. Under lockstep the detach names main/t2, not the lane
 * that had the value first.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t ran;

static void *
first(void *arg)
{
	return arg;
}

static void *
second(void *arg)
{
	(void)arg;
	sem_post(&ran);
	return NULL;
}

int
main(void)
{
	pthread_t t1, t2;

	if (sem_init(&ran, 0, 0) != 0 ||
	    pthread_create(&t1, NULL, first, NULL) != 0 ||
	    pthread_join(t1, NULL) != 0 ||
	    pthread_create(&t2, NULL, second, NULL) != 0)
		return 2;
	printf("reused %s\n", pthread_equal(t1, t2) ? "yes" : "no");
	if (pthread_detach(t2) != 0 || sem_wait(&ran) != 0)
		return 2;
	printf("done\n");
	return 0;
}
