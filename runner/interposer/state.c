/*
 * The interposer's state in a process, in one place (struct lk_ip_state
 * in interposer.h says what each field is and what a fork and an exec do
 * to it), and its one reset, in a forked child.
 */
#include <string.h>

#include "interposer.h"

struct lk_ip_state lk__ip = {
        .self = -1,
        .shm_fd = -1,
        .notify_fd = -1,
};

__thread struct lk_ip_thread lk__ipt;

__thread int lk__lane = -1;

/* In the child of lk__fork: it is slot self now. */
void
lk__ip_forked(int self)
{
	lk__ip.self = self;
	lk__lane = self;
	lk__ip.handed_awake = 0;
	lk__ip.alive_steps = 0;
	memset(&lk__ip.alive_last, 0, sizeof(lk__ip.alive_last));
	lk__ip.populated_to = 0;
	lk__ip.rand_seeded = 0;
	/* A semaphore in private memory is the child's own copy now. */
	lk__obj_forget_private();
	/* Last: dispatch on again, when the parent had it. */
	lk__sud_fork_child();
}
