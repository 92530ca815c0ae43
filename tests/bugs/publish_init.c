/* Publish before initialise: the producer sets the ready flag before it
 * fills in the value, so a consumer that sees the flag may read a value
 * not yet written. Needs --track-shm. */
#include "bug.h"

struct shared {
	volatile int ready;
	volatile int value;
};

static struct shared *s;

static int
produce(void *arg)
{
	(void)arg;
	s->ready = 1; /* the bug: after the value, not before */
	s->value = 42;
	return 0;
}

static int
consume(void *arg)
{
	(void)arg;
	if (s->ready && s->value != 42)
		return 1;
	return 0;
}

int
main(void)
{
	pid_t p, c;
	int bad;

	s = bug_shared(sizeof(*s));
	p = bug_spawn(produce, NULL);
	c = bug_spawn(consume, NULL);
	bug_reap(p);
	bad = bug_reap(c);
	return bad ? 1 : 0;
}
