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
 * sigwait and its kin take a signal without running a handler: they wait
 * as a pause does, and the signal's step is its acceptance.
 *
 * A target chosen at a scheduling point with a signal due takes it there,
 * before the call it was about to make (lk__signal_first): the handler
 * runs, then the call starts. Chosen first, the call starts and a signal
 * sent after interrupts it. So both orders of a kill and a pause are
 * schedules, and the lost wake-up of `if (!got) pause();` is one of them.
 *
 * As in the kernel, a signal the target ignores (SIG_IGN, or SIGCHLD,
 * SIGURG, SIGWINCH by default) and does not block is discarded when
 * sent: it is no step and interrupts nothing. The stop signals (SIGSTOP,
 * and SIGTSTP, SIGTTIN, SIGTTOU by default) are modelled, never sent:
 * the target's slot is marked stopped and it is not enabled until a
 * SIGCONT. A kill never leaves the run: a process group (0, -pgid) or
 * -1 reaches the run's processes only, one by one, and a process outside
 * the run (lockstep itself, the parent of the first process) is refused
 * with EPERM.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interposer.h"

/* The stop signals, and the signals the kernel ignores by default. */
#define STOPS                                                                  \
	((1ull << SIGSTOP) | (1ull << SIGTSTP) | (1ull << SIGTTIN) |           \
	 (1ull << SIGTTOU))
#define DFL_IGNORED                                                            \
	((1ull << SIGCHLD) | (1ull << SIGURG) | (1ull << SIGWINCH) |           \
	 (1ull << SIGCONT))

/* The state of the call in progress (interrupted, restartable, accepting,
 * in_wait, mask_before) is the thread's: lk__ipt (interposer.h). */

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
	lk__sigmask(SIG_SETMASK, &set, NULL);
}

/* The signals slot t ignores now: SIG_IGN, or default and ignored. */
static uint64_t
ignored(const struct lk_slot *t)
{
	return t->sigignored | (DFL_IGNORED & ~t->sigcaught);
}

/* Drop what the process has pending and now ignores without blocking
 * it, as the kernel does when a handler or the mask changes. */
static void
flush_ignored(struct lk_slot *me)
{
	uint64_t gone = ignored(me) & ~me->sigmask & LK_SIGNALS;

	if (atomic_load(&me->sigpending) & gone)
		atomic_fetch_and(&me->sigpending, ~gone);
}

/* At attach: hold our signals back from now on; note the signals an
 * exec'd image inherited ignored (nohup). */
void
lk__signals_attach(struct lk_slot *me)
{
	struct sigaction sa;

	me->sigignored = 0;
	for (int s = 1; s < 64; s++)
		if (s != SIGKILL && s != SIGSTOP &&
		    REAL(sigaction)(s, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			me->sigignored |= 1ull << s;
	set_real_mask(me->sigmask);
}

/* Signals due in the calling process: sent, not blocked by it. */
static uint64_t
due(struct lk_slot *me)
{
	return atomic_load(&me->sigpending) & ~me->sigmask & LK_SIGNALS &
	       ~lk__ipt.accepting;
}

/* Does signal s have a handler (not SIG_DFL, not SIG_IGN)? */
static int
caught(int s, int *restart)
{
	struct sigaction sa;

	if (sigaction(s, NULL, &sa) != 0 || sa.sa_handler == SIG_DFL ||
	    sa.sa_handler == SIG_IGN)
		return 0;
	if (!(sa.sa_flags & SA_RESTART))
		*restart = 0;
	return 1;
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
	int handled = 0, restart = 1;

	if (d == 0)
		return 0;
	for (int s = 1; s < 64; s++) {
		struct lk_step st = {
		        .op = LK_OP_SIGNAL, .obj = -1, .u.signal.sig = s};

		if (!(d & (1ull << s)))
			continue;
		atomic_fetch_and(&me->sigpending, ~(1ull << s));
		handled |= caught(s, &restart);
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
	lk__ipt.expected |= d;
	lk__leave();
	{
		sigset_t set;

		to_set(me->sigmask | lk__ipt.accepting, &set);
		lk__sigmask(SIG_SETMASK, &set, NULL);
		set_real_mask(me->sigmask);
	}
	lk__enter();
	lk__ipt.expected &= ~d;
	lk__ipt.restartable = handled && restart;
	return handled;
}

/*
 * Chosen at the scheduling point of op with a signal due: the signal came
 * before op started, so it is delivered first, a step of its own, and the
 * caller arrives at op again. Not for a sleep, which is under way at its
 * point (a signal interrupts it), nor a load or store (their point is in
 * a fault handler), nor an exit. Returns 1 when it delivered.
 */
int
lk__signal_first(struct lk_slot *me, unsigned op)
{
	uint64_t call = me->sigmask, before = lk__ipt.mask_before;
	int r = 0, waiting = lk__ipt.in_wait;

	if (op == LK_OP_SIGNAL || op == LK_OP_SLEEP || op == LK_OP_LOAD ||
	    op == LK_OP_STORE || op == LK_OP_EXIT)
		return 0;
	/* Waiting for a signal: the call's own mask is in the slot (the
	 * strategy sees it), the one before goes here. */
	if (waiting)
		me->sigmask = before;
	if (due(me) != 0) {
		lk__deliver(me); /* a handler may pause itself */
		r = 1;
	}
	lk__ipt.in_wait = waiting;
	lk__ipt.mask_before = before;
	me->sigmask = call;
	return r;
}

uint64_t
lk__call_mask(const sigset_t *mask)
{
	struct lk_slot *me = lk__self();
	uint64_t saved = me->sigmask;

	lk__ipt.in_wait = 1;
	lk__ipt.mask_before = saved;
	me->sigmask = to_bits(mask) & ~((1ull << SIGKILL) | (1ull << SIGSTOP));
	flush_ignored(me);
	return saved;
}

void
lk__call_mask_arrived(void)
{
	lk__ipt.in_wait = 0;
}

void
lk__call_mask_end(uint64_t saved)
{
	struct lk_slot *me = lk__self();

	lk__ipt.in_wait = 0;
	me->sigmask = saved;
	set_real_mask(saved);
	flush_ignored(me);
}

int
lk__deliver_now(void)
{
	struct lk_slot *me = lk__self();

	return due(me) != 0 && lk__deliver(me);
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
		lk__ipt.interrupted = 1;
}

/* Was the blocked call interrupted by a handler? (Clears the flag.) */
int
lk__interrupted(void)
{
	int i = lk__ipt.interrupted;

	lk__ipt.interrupted = 0;
	return i;
}

/* The same for a call the kernel restarts after a handler installed
 * with SA_RESTART (read, write, waitpid, a lock wait, ...): interrupted
 * only when some handler that ran had no SA_RESTART. */
int
lk__interrupted_restart(void)
{
	return lk__interrupted() && !lk__ipt.restartable;
}

/* The slot of the scenario process with pid, or -1: a live one first,
 * else one that exited (a zombie, or gone if reaped: its pid may have
 * been given again). */
static int
slot_of(pid_t pid)
{
	struct lk_shared *sh = lk__shared();
	int gone = -1;

	for (uint32_t i = 0; pid > 0 && i < sh->nslots; i++) {
		if (sh->slots[i].pid != pid ||
		    sh->slots[i].state == LK_SLOT_FREE)
			continue;
		if (sh->slots[i].state != LK_SLOT_EXITED)
			return (int)i;
		gone = (int)i;
	}
	return gone;
}

/* Does sig stop slot t (not sent then, but modelled)? SIGSTOP always;
 * SIGTSTP, SIGTTIN and SIGTTOU when t neither handles, ignores nor
 * blocks them. */
static int
stops(const struct lk_slot *t, int sig)
{
	uint64_t b = 1ull << sig;

	return sig == SIGSTOP ||
	       ((STOPS & b) &&
	        !((t->sigcaught | t->sigignored | t->sigmask) & b));
}

/* Send sig to the run's process in slot ti as the kernel would, from
 * slot from; 0, or -1 with errno. */
static int
send_one(int ti, int sig, int from)
{
	struct lk_slot *t = &lk__shared()->slots[ti];
	uint64_t b = 1ull << sig;

	/* An exited process is a zombie until reaped (signals do nothing
	 * to it); after, its pid may be anybody's. */
	if (t->state == LK_SLOT_EXITED) {
		errno = ESRCH;
		return t->reaped ? -1 : 0;
	}
	if (sig == 0 || REAL(kill)(t->pid, 0) != 0)
		return sig == 0 ? REAL(kill)(t->pid, 0) : -1;
	if (stops(t, sig)) {
		t->stopped = (uint32_t)sig;
		t->stopped_by = from;
		return 0;
	}
	if (STOPS & b) /* ignored or blocked: nothing; caught: the kernel's */
		return (t->sigcaught & b) ? REAL(kill)(t->pid, sig) : 0;
	if (sig == SIGCONT) {
		t->stopped = 0;
		t->stopped_by = -1;
		return REAL(kill)(t->pid, sig);
	}
	if (!(LK_SIGNALS & b))
		return REAL(kill)(t->pid, sig);
	/* Discarded by the kernel: sent only to be kept pending. */
	if (ignored(t) & ~t->sigmask & b)
		return 0;
	if (REAL(kill)(t->pid, sig) != 0)
		return -1;
	atomic_fetch_or(&t->sigpending, b);
	return 0;
}

/* The slots kill(pid, ...) from slot me reaches: pid itself, or for 0
 * and -pgid the run's processes in that group, for -1 all but me. */
static uint64_t
targets_of(pid_t pid, int me)
{
	struct lk_shared *sh = lk__shared();
	pid_t group = pid == 0 ? getpgrp() : -pid;
	uint64_t m = 0;
	int t;

	if (pid > 0)
		return (t = slot_of(pid)) >= 0 ? 1ull << t : 0;
	for (uint32_t i = 0; i < sh->nslots; i++) {
		const struct lk_slot *s = &sh->slots[i];

		if (s->pid <= 0 || s->state == LK_SLOT_FREE ||
		    s->state == LK_SLOT_EXITED)
			continue;
		if (pid == -1 ? (int)i != me : getpgid(s->pid) == group)
			m |= 1ull << i;
	}
	return m;
}

/*
 * kill as a step; the caller entered the interposer and leaves it. The
 * step's off is the target's slot, or -2 for a process group, -3 for
 * every process (-1).
 */
static int
kill_step(pid_t pid, int sig)
{
	struct lk_step st = {.op = LK_OP_KILL, .obj = -1, .u.kill.sig = sig};
	struct lk_slot *me = lk__self();
	int self = (int)(me - lk__shared()->slots), sent = 0;
	uint64_t to;

	lk__arrive(LK_OP_KILL, -1, 0);
	to = targets_of(pid, self);
	st.u.kill.to = pid > 0 ? (to ? __builtin_ctzll(to) : -1)
	                       : (pid == -1 ? -3 : -2);
	st.err = ESRCH;
	if (sig < 0 || sig >= NSIG) {
		st.err = EINVAL;
	} else if (pid > 0 && to == 0) {
		/* Outside the run: lockstep, its helpers, anybody else. A
		 * look (signal 0) is harmless. */
		if (sig == 0 && REAL(kill)(pid, 0) == 0)
			sent = 1;
		else
			st.err = sig == 0 ? errno : EPERM;
	}
	for (int t = 0; sig >= 0 && sig < NSIG && t < 64; t++)
		if ((to & (1ull << t)) && send_one(t, sig, self) == 0)
			sent++;
		else if (to & (1ull << t))
			st.err = errno;
	st.ret = sent ? 0 : -1;
	st.err = sent ? 0 : st.err;
	lk__done(&st, -1);
	/* Stopped itself: it waits here, out of the run's enabled set,
	 * until another process continues it; that is a step. */
	if (me->stopped != 0) {
		struct lk_step cont = {
		        .op = LK_OP_SIGNAL, .obj = -1, .u.signal.sig = SIGCONT};

		lk__arrive(LK_OP_SIGNAL, -1, 0);
		lk__done(&cont, -1);
	}
	errno = st.err;
	return (int)st.ret;
}

int
kill(pid_t pid, int sig)
{
	int r, err;

	if (!lk__enter())
		return REAL(kill)(pid, sig);
	r = kill_step(pid, sig);
	err = errno;
	lk__leave();
	errno = err;
	return r;
}

/*
 * raise: glibc sends with tgkill, which the interposer does not see; for
 * a signal lockstep delivers it is kill(getpid(), sig) as a step, and the
 * delivery follows before raise returns (a step of its own, as POSIX
 * wants the handler to have run). Other signals (SIGSEGV, SIGABRT) are
 * the kernel's business, as always: raised for real, not a step.
 */
int
raise(int sig)
{
	int r, err;

	if (!lk__enter())
		return REAL(raise)(sig);
	if (sig <= 0 || sig >= 64 ||
	    !((LK_SIGNALS | STOPS | (1ull << SIGCONT)) & (1ull << sig))) {
		/* Left first: a handler runs inside, as the program's. */
		lk__leave();
		return REAL(raise)(sig);
	}
	r = kill_step(getpid(), sig);
	err = errno;
	if (r == 0)
		lk__deliver_due(lk__self());
	lk__leave();
	errno = err;
	return r;
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
		flush_ignored(me);
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

	/* What is due under the mask before the call is taken before it
	 * (lk__arrive); the call's own mask applies from its start. */
	lk__ipt.in_wait = 1;
	lk__ipt.mask_before = saved;
	me->sigmask = mask;
	flush_ignored(me);
	lk__arrive(LK_OP_PAUSE, -1, 0);
	lk__ipt.in_wait = 0;
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

/* --- sigwait, sigwaitinfo, sigtimedwait -------------------------------- */

/* Take signal s from the kernel without running its handler: it is
 * pending there, or about to be (the SIGCHLD of a child that logged its
 * exit and is still on its way out). */
static void
take(int s, siginfo_t *info)
{
	struct timespec grace = {1, 0};
	siginfo_t got;
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, s);
	if (REAL(sigtimedwait)(&one, &got, &grace) != s) {
		memset(&got, 0, sizeof(got));
		got.si_signo = s;
	}
	if (info != NULL)
		*info = got;
}

/* One of the signals lockstep does not deliver (other) pending in the
 * kernel, taken: its number, 0 when none. */
static int
take_other(uint64_t other, siginfo_t *info)
{
	struct timespec now = {0, 0};
	sigset_t set;
	int s;

	if (other == 0)
		return 0;
	to_set(other, &set);
	s = REAL(sigtimedwait)(&set, info, &now);
	return s > 0 ? s : 0;
}

/*
 * Accept one of the signals of want as steps: a pause, blocked until one
 * of them is sent to the process (kill marks it in the slot), then the
 * signal's step, which takes it from the kernel without a handler. During
 * the wait the slot's mask leaves want out, so the strategy sees the
 * process enabled once one comes, and a child's exit marks SIGCHLD for
 * it. Returns the signal; or -1 with EAGAIN at the deadline (virtual
 * time), or EINTR when a handler of another signal ran and !restart.
 */
static int
accept_signal(uint64_t want, siginfo_t *info, uint64_t deadline, int restart)
{
	struct lk_slot *me = lk__self();
	struct lk_step st = {.op = LK_OP_PAUSE, .obj = -1};
	uint64_t saved = me->sigmask, mine = want & LK_SIGNALS;
	uint64_t chld = mine & (1ull << SIGCHLD) & ~me->sigcaught;
	int s = -1, other = 0, err = 0;

	lk__ipt.accepting = mine;
	me->sigmask = saved & ~mine;
	me->sigcaught |= chld;
	lk__ipt.in_wait = 1;
	lk__ipt.mask_before = saved;
	lk__arrive(LK_OP_PAUSE, -1, 0);
	lk__ipt.in_wait = 0;
	for (;;) {
		uint64_t got = atomic_load(&me->sigpending) & mine;

		if (got != 0) {
			s = __builtin_ctzll(got);
			break;
		}
		if ((other = take_other(want & ~LK_SIGNALS, info)) > 0) {
			s = other;
			break;
		}
		if (lk__now() >= deadline) {
			err = EAGAIN;
			break;
		}
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, deadline == LK_NO_TIME ? LK_WAIT_SIGNAL : -1,
		          deadline);
		if (lk__interrupted() && !restart) {
			err = EINTR;
			break;
		}
	}
	me->sigcaught &= ~chld;
	me->sigmask = saved;
	lk__ipt.accepting = 0;
	if (s > 0) {
		if (other == 0) {
			atomic_fetch_and(&me->sigpending, ~(1ull << s));
			take(s, info);
		}
		st.op = LK_OP_SIGNAL;
		st.u.signal.sig = s;
	}
	st.ret = s > 0 ? 0 : -1;
	st.err = s > 0 ? 0 : err;
	lk__done(&st, -1);
	lk__leave();
	errno = err;
	return s > 0 ? s : -1;
}

/* Can the signals of set be waited for as steps (some are lockstep's)? */
static int
controlled(const sigset_t *set, uint64_t *want)
{
	*want = to_bits(set);
	return (*want & LK_SIGNALS) != 0;
}

int
sigwait(const sigset_t *set, int *sig)
{
	uint64_t want;
	int s;

	if (!lk__enter())
		return REAL(sigwait)(set, sig);
	if (!controlled(set, &want)) {
		int r = REAL(sigwait)(set, sig);

		lk__leave();
		return r;
	}
	s = accept_signal(want, NULL, LK_NO_TIME, 1);
	if (s < 0)
		return errno;
	*sig = s;
	return 0;
}

int
sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	uint64_t want;

	if (!lk__enter())
		return REAL(sigwaitinfo)(set, info);
	if (!controlled(set, &want)) {
		int r = REAL(sigwaitinfo)(set, info);

		lk__leave();
		return r;
	}
	return accept_signal(want, info, LK_NO_TIME, 0);
}

int
sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
	uint64_t want;

	if (!lk__enter())
		return REAL(sigtimedwait)(set, info, t);
	if (t != NULL && (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)) {
		lk__leave();
		errno = EINVAL;
		return -1;
	}
	if (!controlled(set, &want)) {
		int r = REAL(sigtimedwait)(set, info, t);

		lk__leave();
		return r;
	}
	return accept_signal(
	        want, info,
	        t == NULL ? LK_NO_TIME
	                  : lk__now() + (uint64_t)t->tv_sec * 1000000000u +
	                            (uint64_t)t->tv_nsec,
	        0);
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
	if (h == SIG_IGN)
		me->sigignored |= 1ull << s;
	else
		me->sigignored &= ~(1ull << s);
	/* Now ignored: the kernel drops it even where it is blocked. */
	if (ignored(me) & (1ull << s))
		atomic_fetch_and(&me->sigpending, ~(1ull << s));
}

uint64_t
lk__own_signals(void)
{
	return (lk__sud_active() ? 1ull << SIGSYS : 0) | lk__track_signals();
}

void
lk__drop_own(sigset_t *set)
{
	uint64_t own = lk__own_signals();

	for (int s = 1; own != 0 && s < 64; s++)
		if (own & (1ull << s))
			sigdelset(set, s);
}

/* Is s a signal the interposer owns? */
static int
owned(int s)
{
	return s > 0 && s < 64 && (lk__own_signals() & (1ull << s));
}

/* --- the trampoline ------------------------------------------------------ */

/*
 * A signal lockstep delivers runs its handler in lk__deliver's moment of
 * the program's mask. The kernel may deliver a copy of its own in that
 * moment: a child's real exit raises SIGCHLD whenever the child gets to
 * it, after its exit step, so a handler that ran for the step would run
 * again when the kernel's copy came (or not: it depends on timing), and
 * bash's SIGCHLD handler makes steps. So the program's handlers of
 * lockstep's signals are installed as the trampoline, which runs the
 * program's handler only for a delivery lk__deliver is making
 * (lk__ipt.expected) and drops any other. SA_RESETHAND is the
 * trampoline's to do, or the kernel would reset the handler on a copy it
 * drops. One table per process, as the kernel's; fork copies it, exec
 * resets caught signals to SIG_DFL and the table with them.
 */
struct handler {
	sighandler_t fn;     /* the program's */
	unsigned long flags; /* its SA_SIGINFO and SA_RESETHAND */
};

static struct handler handlers[64];

#define TRAMPOLINE_FLAGS ((unsigned long)(SA_SIGINFO | SA_RESETHAND))

typedef void (*sigaction_fn)(int, siginfo_t *, void *);

/* A handler as the other kind (sa_handler and sa_sigaction share their
 * place); through void (*)(void), the cast C allows between the two. */
#define AS(type, fn) ((type)(void (*)(void))(fn))

static void
trampoline(int s, siginfo_t *info, void *ctx)
{
	struct handler h;

	if (s <= 0 || s >= 64 || !(lk__ipt.expected & (1ull << s)))
		return;
	lk__ipt.expected &= ~(1ull << s);
	h = handlers[s];
	if (h.flags & SA_RESETHAND)
		signal(s, SIG_DFL);
	if (h.flags & SA_SIGINFO)
		AS(sigaction_fn, h.fn)(s, info, ctx);
	else if (h.fn != SIG_DFL && h.fn != SIG_IGN)
		h.fn(s);
}

/* Is s one of lockstep's signals, in a process under its control? */
static int
trampolined(int s)
{
	return s > 0 && s < 64 && (LK_SIGNALS & (1ull << s)) &&
	       lk__shared() != NULL;
}

sighandler_t
lk__handler_wrap(int s, sighandler_t fn, unsigned long *flags)
{
	if (!trampolined(s) || fn == AS(sighandler_t, trampoline))
		return fn;
	handlers[s].flags = *flags & TRAMPOLINE_FLAGS;
	handlers[s].fn = fn;
	if (fn == SIG_DFL || fn == SIG_IGN)
		return fn;
	*flags = (*flags | SA_SIGINFO) & ~(unsigned long)SA_RESETHAND;
	return AS(sighandler_t, trampoline);
}

sighandler_t
lk__handler_unwrap(int s, sighandler_t fn, unsigned long *flags)
{
	if (s <= 0 || s >= 64 || fn != AS(sighandler_t, trampoline))
		return fn;
	*flags = (*flags & ~TRAMPOLINE_FLAGS) | handlers[s].flags;
	return handlers[s].fn;
}

int
sigaction(int s, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction mine, was;
	unsigned long flags;
	int r;

	if (act != NULL && owned(s)) {
		if (old != NULL)
			memset(old, 0, sizeof(*old));
		return 0;
	}
	/* The old action first, unwrapped, while the table still has it. */
	if (old != NULL) {
		if (REAL(sigaction)(s, NULL, &was) != 0)
			return -1;
		flags = (unsigned long)was.sa_flags;
		was.sa_handler = lk__handler_unwrap(s, was.sa_handler, &flags);
		was.sa_flags = (int)flags;
	}
	if (act != NULL) {
		mine = *act;
		lk__drop_own(&mine.sa_mask);
		flags = (unsigned long)mine.sa_flags;
		mine.sa_handler = lk__handler_wrap(s, mine.sa_handler, &flags);
		mine.sa_flags = (int)flags;
		r = REAL(sigaction)(s, &mine, NULL);
		if (r != 0)
			return r;
		if (lk__enter()) {
			note_handler(s, act->sa_handler);
			lk__leave();
		}
	}
	if (old != NULL)
		*old = was;
	return 0;
}

/* signal is sigaction with glibc's BSD semantics (SA_RESTART, the signal
 * blocked in its handler), so the program's handler goes through the
 * trampoline too. */
sighandler_t
signal(int s, sighandler_t h)
{
	struct sigaction act = {0}, old;

	if (owned(s))
		return SIG_DFL;
	act.sa_handler = h;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	if (s > 0 && s < 64)
		sigaddset(&act.sa_mask, s);
	if (sigaction(s, &act, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* --- alarm and setitimer(ITIMER_REAL): on the virtual clock -------------- */

#define NS 1000000000ull

/* The time left of the process's alarm, as a timeval. */
static struct timeval
alarm_left(const struct lk_slot *me)
{
	uint64_t left = me->alarm_at > lk__now() ? me->alarm_at - lk__now() : 0;
	struct timeval tv;

	if (me->alarm_at != 0 && left == 0)
		left = 1000; /* due: not "none" */
	tv.tv_sec = (time_t)(left / NS);
	tv.tv_usec = (suseconds_t)((left % NS + 999) / 1000);
	return tv;
}

/* The process's ITIMER_REAL as getitimer gives it. */
static void
timer_now(const struct lk_slot *me, struct itimerval *it)
{
	it->it_value = alarm_left(me);
	it->it_interval.tv_sec = (time_t)(me->alarm_every / NS);
	it->it_interval.tv_usec = (suseconds_t)(me->alarm_every % NS / 1000);
}

static uint64_t
tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * NS + (uint64_t)tv->tv_usec * 1000;
}

/*
 * alarm: SIGALRM becomes due when the virtual clock reaches now + s
 * (runner/strategy/pick.c rings it); a process waiting for it (pause,
 * sleep, a blocked call) lets the clock run to it. Not a step: setting
 * one's own alarm is seen by nobody else. Returns the seconds that were
 * left of the previous one, rounded up, as alarm does.
 */
unsigned
alarm(unsigned s)
{
	struct lk_slot *me;
	struct timeval left;
	unsigned r;

	if (!lk__enter())
		return REAL(alarm)(s);
	me = lk__self();
	left = alarm_left(me);
	r = (unsigned)left.tv_sec + (left.tv_usec > 0 ? 1 : 0);
	me->alarm_at = s != 0 ? lk__now() + (uint64_t)s * NS : 0;
	me->alarm_every = 0;
	lk__leave();
	return r;
}

int
setitimer(__itimer_which_t which, const struct itimerval *nv,
          struct itimerval *old)
{
	struct lk_slot *me;
	uint64_t every, first;

	if (which != ITIMER_REAL || !lk__enter())
		return REAL(setitimer)(which, nv, old);
	me = lk__self();
	if (nv != NULL &&
	    (nv->it_value.tv_usec < 0 || nv->it_value.tv_usec >= 1000000 ||
	     nv->it_interval.tv_usec < 0 ||
	     nv->it_interval.tv_usec >= 1000000)) {
		lk__leave();
		errno = EINVAL;
		return -1;
	}
	if (old != NULL)
		timer_now(me, old);
	if (nv != NULL) {
		first = tv_ns(&nv->it_value);
		every = tv_ns(&nv->it_interval);
		me->alarm_at = first != 0 ? lk__now() + first : 0;
		me->alarm_every = first != 0 ? every : 0;
	}
	lk__leave();
	return 0;
}

int
getitimer(__itimer_which_t which, struct itimerval *cur)
{
	struct lk_slot *me;

	if (which != ITIMER_REAL || cur == NULL || !lk__enter())
		return REAL(getitimer)(which, cur);
	me = lk__self();
	timer_now(me, cur);
	lk__leave();
	return 0;
}
