/* Check-then-act on shared memory: a process takes a free slot by
 * checking that its owner is 0 and then writing its own number; two can
 * both see it free and both believe they own it. Needs --track-shm. */
#include "bug.h"

struct shared {
	volatile int owner;
	volatile int claims;
};

static struct shared *s;

static int
claim(void *arg)
{
	int me = (int)(long)arg;

	if (s->owner == 0) {
		s->owner = me;
		/* Count the claims under no lock either: each process
		 * writes its own bit, so none is lost. */
		__atomic_fetch_or(&s->claims, 1 << me, __ATOMIC_SEQ_CST);
	}
	return 0;
}

int
main(void)
{
	pid_t a, b;

	s = bug_shared(sizeof(*s));
	a = bug_spawn(claim, (void *)1L);
	b = bug_spawn(claim, (void *)2L);
	bug_reap(a);
	bug_reap(b);
	return s->claims == 6 ? 1 : 0;
}
