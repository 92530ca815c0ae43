/* A counter in shared memory incremented by two processes without a lock:
 * load, add, store; an increment is lost when both load before either
 * stores. Needs --track-shm (plain loads and stores are then steps).
 * "fixed": the increments under a process-shared semaphore. */
#include <semaphore.h>
#include <string.h>

#include "bug.h"

struct shared {
	sem_t lock;
	volatile int counter;
	int fixed;
};

static int
inc(void *arg)
{
	struct shared *s = arg;
	int v;

	if (s->fixed)
		sem_wait(&s->lock);
	v = s->counter;
	s->counter = v + 1;
	if (s->fixed)
		sem_post(&s->lock);
	return 0;
}

int
main(int argc, char **argv)
{
	struct shared *s = bug_shared(sizeof(*s));
	pid_t a, b;

	s->fixed = argc > 1 && strcmp(argv[1], "fixed") == 0;
	sem_init(&s->lock, 1, 1);
	a = bug_spawn(inc, s);
	b = bug_spawn(inc, s);
	bug_reap(a);
	bug_reap(b);
	return s->counter == 2 ? 0 : 1;
}
