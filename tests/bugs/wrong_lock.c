/* Two processes increment one shared counter, each under a lock, but not
 * the same lock: each takes the semaphore of its own record. Needs
 * --track-shm. */
#include <semaphore.h>

#include "bug.h"

struct shared {
	sem_t lock[2]; /* one per record; the counter belongs to record 0 */
	volatile int counter;
};

static struct shared *s;

static int
inc(void *arg)
{
	sem_t *l = &s->lock[(long)arg]; /* the bug: should be lock[0] */
	int v;

	sem_wait(l);
	v = s->counter;
	s->counter = v + 1;
	sem_post(l);
	return 0;
}

int
main(void)
{
	pid_t a, b;

	s = bug_shared(sizeof(*s));
	sem_init(&s->lock[0], 1, 1);
	sem_init(&s->lock[1], 1, 1);
	a = bug_spawn(inc, (void *)0L);
	b = bug_spawn(inc, (void *)1L);
	bug_reap(a);
	bug_reap(b);
	return s->counter == 2 ? 0 : 1;
}
