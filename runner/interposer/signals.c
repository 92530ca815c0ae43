/*
 * Signals under the scheduler. The signals a scenario sends each other
 * (LK_SIGNALS: USR1, USR2, TERM, ...) are kept blocked in every scenario
 * process, whatever the program asks; the mask the program asked for is
 * kept in its slot. kill(2) really sends the signal, which the kernel
 * keeps pending (two of the same before delivery are one, as always),
 * and marks it in the target's slot. The target is then enabled, and the
 * signal is delivered when the target takes its next step: lockstep
 * records a "signal" step and unblocks the program's own mask for a
 * moment, so the kernel runs the handler (or the default action) right
 * there. A target blocked in a call is woken for it: pause and
 * sigsuspend return, sem_wait, a read and a sleep fail with EINTR.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interposer/interposer.h"

/* Lazily resolve: a call may come before our constructor ran. */
#define REAL(name)                                                             \
	(lk__real_##name != NULL ? 0 : (lk__resolve(), 0), lk__real_##name)

static __thread int interrupted;

/* Signal numbers of bits into set (1..63). */
static void
to_set(uint64_t bits, sigset_t *set)
{
	sigemptyset(set);
	for (int s = 1; s < 64; s++)
		if (bits & (1ull << s))
			sigaddset(set, s);
}

/* Bits of the signals in set. */
static uint64_t
to_bits(const sigset_t *set)
{
	uint64_t bits = 0;

	for (int s = 1; s < 64; s++)
		if (sigismember(set, s) == 1)
			bits |= 1ull << s;
	return bits;
}

/* Set the real mask: the program's own, plus the signals we deliver. */
static void
set_real_mask(uint64_t user)
{
	sigset_t set;

	to_set(user | LK_SIGNALS, &set);
	REAL(sigprocmask)(SIG_SETMASK, &set, NULL);
}

/* At attach: hold our signals back from now on. */
void
lk__signals_attach(struct lk_slot *me)
{
	set_real_mask(me->sigmask);
}

/* Signals due in the calling process: sent, not blocked by it. */
static uint64_t
due(struct lk_slot *me)
{
	return atomic_load(&me->sigpending) & ~me->sigmask & LK_SIGNALS;
}

/* Does signal s have a handler (not SIG_DFL, not SIG_IGN)? */
static int
caught(int s)
{
	struct sigaction sa;

	return sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
	       sa.sa_handler != SIG_IGN;
}

/*
 * Deliver the due signals; the caller holds the turn and is inside the
 * interposer. One "signal" step each, then the program's mask for a
 * moment: the kernel runs the handlers, whose calls are steps as usual.
 * Returns 1 when a handler ran (the interrupted call fails with EINTR).
 */
int
lk__deliver(struct lk_slot *me)
{
	uint64_t d = due(me);
	int handled = 0;

	if (d == 0)
		return 0;
	for (int s = 1; s < 64; s++) {
		struct lk_step st = {.op = LK_OP_SIGNAL, .obj = -1, .arg = s};

		if (!(d & (1ull << s)))
			continue;
		atomic_fetch_and(&me->sigpending, ~(1ull << s));
		handled |= caught(s);
		lk__done(&st, -1);
	}
	/* The kernel may not have it pending yet (a SIGCHLD from a child
	 * that logged its exit and is still on its way out): make it so. */
	{
		sigset_t kernel;

		if (sigpending(&kernel) == 0)
			for (int s = 1; s < 64; s++)
				if ((d & (1ull << s)) &&
				    sigismember(&kernel, s) != 1)
					REAL(kill)(getpid(), s);
	}
	lk__leave();
	{
		sigset_t set;

		to_set(me->sigmask, &set);
		REAL(sigprocmask)(SIG_SETMASK, &set, NULL);
		set_real_mask(me->sigmask);
	}
	lk__enter();
	return handled;
}

/* A due signal at the start of a call: delivered as a step of its own. */
void
lk__deliver_due(struct lk_slot *me)
{
	if (due(me) == 0)
		return;
	lk__arrive(LK_OP_SIGNAL, -1, 0);
	lk__deliver(me);
}

/* After waiting blocked: deliver what woke us; remember an interrupt. */
void
lk__after_block(struct lk_slot *me)
{
	if (due(me) != 0 && lk__deliver(me))
		interrupted = 1;
}

/* Was the blocked call interrupted by a handler? (Clears the flag.) */
int
lk__interrupted(void)
{
	int i = interrupted;

	interrupted = 0;
	return i;
}

/* The slot of the scenario process with pid, or -1. */
static int
slot_of(pid_t pid)
{
	struct lk_shared *sh = lk__shared();

	for (uint32_t i = 0; pid > 0 && i < sh->nslots; i++)
		if (sh->slots[i].pid == pid &&
		    sh->slots[i].state != LK_SLOT_EXITED)
			return (int)i;
	return -1;
}

int
kill(pid_t pid, int sig)
{
	struct lk_step st = {.op = LK_OP_KILL, .obj = -1, .arg = sig};
	int target;

	if (!lk__enter())
		return REAL(kill)(pid, sig);
	target = slot_of(pid);
	st.off = target;
	lk__arrive(LK_OP_KILL, -1, 0);
	st.ret = REAL(kill)(pid, sig);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret == 0 && target >= 0 && sig > 0 && sig < 64 &&
	    (LK_SIGNALS & (1ull << sig)))
		atomic_fetch_or(&lk__shared()->slots[target].sigpending,
		                1ull << sig);
	lk__done(&st, -1);
	lk__leave();
	errno = st.err;
	return (int)st.ret;
}

/* sigprocmask and pthread_sigmask: change the program's own mask, keep
 * ours; old gets the program's. Returns 0 or an error number. */
static int
change_mask(int how, const sigset_t *set, sigset_t *old)
{
	struct lk_slot *me = lk__self();
	uint64_t user = me->sigmask, bits;
	sigset_t real;

	if (old != NULL) {
		REAL(sigprocmask)(SIG_BLOCK, NULL, &real);
		for (int s = 1; s < 64; s++)
			if ((LK_SIGNALS & (1ull << s)) && !(user & (1ull << s)))
				sigdelset(&real, s);
	}
	if (set != NULL) {
		bits = to_bits(set) & ~((1ull << SIGKILL) | (1ull << SIGSTOP));
		if (how == SIG_BLOCK)
			user |= bits;
		else if (how == SIG_UNBLOCK)
			user &= ~bits;
		else if (how == SIG_SETMASK)
			user = bits;
		else
			return EINVAL;
		me->sigmask = user;
		set_real_mask(user);
	}
	if (old != NULL)
		*old = real;
	return 0;
}

int
sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	if (!lk__enter())
		return REAL(sigprocmask)(how, set, old);
	err = change_mask(how, set, old);
	lk__leave();
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

int
pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	int err;

	if (!lk__enter())
		return REAL(pthread_sigmask)(how, set, old);
	err = change_mask(how, set, old);
	lk__leave();
	return err;
}

/* Wait, as a step, until a signal is delivered with mask as the
 * program's mask; returns -1 with EINTR once a handler ran. */
static int
wait_signal(struct lk_slot *me, uint64_t mask)
{
	struct lk_step st = {.op = LK_OP_PAUSE, .obj = -1};
	uint64_t saved = me->sigmask;

	me->sigmask = mask;
	lk__arrive(LK_OP_PAUSE, -1, 0);
	for (;;) {
		if (due(me) != 0 && lk__deliver(me))
			break;
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, LK_WAIT_SIGNAL, LK_NO_TIME);
		if (lk__interrupted())
			break;
	}
	lk__interrupted();
	me->sigmask = saved;
	set_real_mask(saved);
	st.ret = -1;
	st.err = EINTR;
	lk__done(&st, -1);
	lk__leave();
	errno = EINTR;
	return -1;
}

int
pause(void)
{
	if (!lk__enter())
		return REAL(pause)();
	return wait_signal(lk__self(), lk__self()->sigmask);
}

int
sigsuspend(const sigset_t *mask)
{
	if (!lk__enter())
		return REAL(sigsuspend)(mask);
	return wait_signal(lk__self(), to_bits(mask));
}

/* Remember whether signal s now has a handler (for SIGCHLD: a child's
 * exit marks it in the parent only then, or every fork would add a
 * delivery step nobody asked for). */
static void
note_handler(int s, void (*h)(int))
{
	struct lk_slot *me = lk__self();

	if (s <= 0 || s >= 64)
		return;
	if (h != SIG_DFL && h != SIG_IGN)
		me->sigcaught |= 1ull << s;
	else
		me->sigcaught &= ~(1ull << s);
}

int
sigaction(int s, const struct sigaction *act, struct sigaction *old)
{
	int r = REAL(sigaction)(s, act, old);

	if (r == 0 && act != NULL && lk__enter()) {
		note_handler(s, act->sa_handler);
		lk__leave();
	}
	return r;
}

sighandler_t
signal(int s, sighandler_t h)
{
	sighandler_t r = REAL(signal)(s, h);

	if (r != SIG_ERR && lk__enter()) {
		note_handler(s, h);
		lk__leave();
	}
	return r;
}
