/*
 * What the mutex types and the timed waits answer, as glibc gives it:
 * an error-checking mutex locked again by its owner (EDEADLK) and
 * unlocked by another thread (EPERM), a recursive one locked twice, a
 * trylock of a held mutex (EBUSY), a timedlock and a condition's
 * timedwait that time out (ETIMEDOUT) after the time asked for.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t check, rec, plain = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static const char *
name(int rc)
{
	return rc == 0 ? "0" : strerrorname_np(rc);
}

/* A second thread: it may not unlock what main holds. */
static void *
other(void *arg)
{
	(void)arg;
	printf("unlock by another: %s\n", name(pthread_mutex_unlock(&check)));
	printf("trylock held: %s\n", name(pthread_mutex_trylock(&plain)));
	return NULL;
}

/* Now + s seconds on clock clk. */
static struct timespec
in(clockid_t clk, int s)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_sec += s;
	return ts;
}

int
main(void)
{
	pthread_mutexattr_t a;
	pthread_t t;
	struct timespec t0, t1, ts;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&check, &a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);

	printf("lock: %s\n", name(pthread_mutex_lock(&check)));
	printf("lock again: %s\n", name(pthread_mutex_lock(&check)));
	printf("recursive: %s %s\n", name(pthread_mutex_lock(&rec)),
	       name(pthread_mutex_lock(&rec)));
	printf("recursive unlock: %s %s %s\n", name(pthread_mutex_unlock(&rec)),
	       name(pthread_mutex_unlock(&rec)),
	       name(pthread_mutex_unlock(&rec)));
	pthread_mutex_lock(&plain);
	pthread_create(&t, NULL, other, NULL);
	pthread_join(t, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ts = in(CLOCK_REALTIME, 2);
	printf("timedlock: %s\n", name(pthread_mutex_timedlock(&plain, &ts)));
	ts = in(CLOCK_REALTIME, 1);
	printf("timedwait: %s\n",
	       name(pthread_cond_timedwait(&never, &plain, &ts)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("waited %lds\n", (long)(t1.tv_sec - t0.tv_sec +
	                               (t1.tv_nsec >= t0.tv_nsec ? 0 : -1)));
	printf("unlock: %s %s\n", name(pthread_mutex_unlock(&plain)),
	       name(pthread_mutex_unlock(&check)));
	return 0;
}
