/*
 * Read-write locks as glibc answers them, in three modes (argv[1]):
 *
 * - "kinds": two readers at once, a writer kept out (EBUSY on try,
 *   ETIMEDOUT on a timed lock), EDEADLK for the write lock's holder, and
 *   a process-shared lock in shared memory between two processes: the
 *   child's read lock waits for the parent's write unlock;
 * - "race": two writers and a reader (main): which gets the lock first is the
 *   schedule's (explore finds every order);
 * - "deadlock": one thread takes the write lock then a mutex, the other
 *   the mutex then a read lock: one interleaving deadlocks.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t held, done;
static char order[8];

static const char *
name(int rc)
{
	return rc == 0 ? "0" : strerrorname_np(rc);
}

/* Holds a read lock until main says. */
static void *
reader(void *arg)
{
	(void)arg;
	pthread_rwlock_rdlock(&rw);
	sem_post(&held);
	sem_wait(&done);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static int
kinds(void)
{
	struct timespec ts;
	pthread_rwlockattr_t a;
	pthread_rwlock_t *shared;
	int *value, status;
	pthread_t t;
	pid_t pid;

	sem_init(&held, 0, 0);
	sem_init(&done, 0, 0);
	pthread_create(&t, NULL, reader, NULL);
	sem_wait(&held);
	printf("tryrdlock while read-held: %s\n",
	       name(pthread_rwlock_tryrdlock(&rw)));
	pthread_rwlock_unlock(&rw);
	printf("trywrlock while read-held: %s\n",
	       name(pthread_rwlock_trywrlock(&rw)));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 200000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	printf("timedwrlock while read-held: %s\n",
	       name(pthread_rwlock_timedwrlock(&rw, &ts)));
	sem_post(&done);
	pthread_join(t, NULL);
	printf("wrlock: %s\n", name(pthread_rwlock_wrlock(&rw)));
	printf("rdlock by the writer: %s\n", name(pthread_rwlock_rdlock(&rw)));
	printf("wrlock by the writer: %s\n", name(pthread_rwlock_wrlock(&rw)));
	printf("tryrdlock by the writer: %s\n",
	       name(pthread_rwlock_tryrdlock(&rw)));
	printf("unlock: %s\n", name(pthread_rwlock_unlock(&rw)));

	/* Process-shared, in shared memory. */
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 1;
	value = (int *)(shared + 1);
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_rwlock_init(shared, &a);
	pthread_rwlock_wrlock(shared);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pthread_rwlock_rdlock(shared);
		printf("child read %d\n", *value);
		pthread_rwlock_unlock(shared);
		fflush(stdout);
		_exit(0);
	}
	*value = 42;
	pthread_rwlock_unlock(shared);
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WEXITSTATUS(status));
	return 0;
}

static void *
writer(void *arg)
{
	pthread_rwlock_wrlock(&rw);
	strcat(order, arg);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static int
race(void)
{
	pthread_t t[2];

	pthread_create(&t[0], NULL, writer, "A");
	pthread_create(&t[1], NULL, writer, "B");
	/* main reads meanwhile. */
	pthread_rwlock_rdlock(&rw);
	printf("reader saw '%s'\n", order);
	pthread_rwlock_unlock(&rw);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("writers in order %s\n", order);
	return 0;
}

static void *
wr_then_m(void *arg)
{
	(void)arg;
	pthread_rwlock_wrlock(&rw);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static void *
m_then_rd(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&m);
	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
	pthread_mutex_unlock(&m);
	return NULL;
}

static int
deadlock(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, wr_then_m, NULL);
	pthread_create(&t2, NULL, m_then_rd, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	puts("no deadlock");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "kinds";

	if (strcmp(mode, "race") == 0)
		return race();
	if (strcmp(mode, "deadlock") == 0)
		return deadlock();
	return kinds();
}
