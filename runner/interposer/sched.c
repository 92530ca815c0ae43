/*
 * The scheduling core of the interposer. Every wrapped call arrives here:
 * the process that holds the turn records what it is about to do, picks
 * the next process with the run's strategy and, if that is another
 * process, hands over with one futex wake on the other's word and sleeps
 * on its own. When the same process goes on there is no system call at
 * all: the decision and the event are plain memory writes.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/elfcheck.h"
#include "interposer.h"

static void exit_hook(int status, void *arg);

/* futex(2) on a word shared between processes. errno is clobbered. */
static long
futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* Tell the controller to look at the shared state. errno preserved. */
static void
notify(void)
{
	uint64_t one = 1;
	int saved = errno;
	struct stat st;

	/* Only into the run's eventfd: a program may have closed it and
	 * reused its number for a file of its own. */
	if (fstat(lk__ip.notify_fd, &st) == 0 &&
	    st.st_ino == lk__ip.notify_ino &&
	    syscall(SYS_write, lk__ip.notify_fd, &one, sizeof(one)) < 0) {
		/* The controller also looks on its own every 100 ms. */
	}
	errno = saved;
}

/* A process lockstep started: note what its descriptors 0, 1 and 2 are,
 * the caller's or the run's, so that they are the objects stdin, stdout
 * and stderr whatever they are (objects.c). Every process lockstep
 * starts has the same three, so they all write the same values. */
static void
note_stdio(struct lk_shared *m)
{
	struct stat st;

	for (int k = 0; k < 3; k++)
		if (fstat(k, &st) == 0) {
			m->stdio_dev[k] = st.st_dev;
			m->stdio_ino[k] = st.st_ino;
			atomic_fetch_or(&m->stdio_known, 1u << k);
		}
}

/* Map the run's shared memory from fd and find our slot by pid; 0, or
 * -1 when fd is not a run's memory or has no slot for us. The run's
 * eventfd is descriptor nfd here, or where the run made it when nfd < 0. */
static int
attach_fd(int fd, int nfd)
{
	struct lk_shared *m;
	struct stat st, nst;
	int self = -1;
	pid_t pid;

	if (lk__ip.sh != NULL)
		return 0;
	if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(*m))
		return -1;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	         fd, 0);
	if (m == MAP_FAILED)
		return -1;
	if (m->magic != LK_PROTO_MAGIC || m->version != LK_PROTO_VERSION) {
		munmap(m, (size_t)st.st_size);
		return -1;
	}
	pid = getpid();
	for (int i = 0; i < LK_MAX_PROCS; i++)
		if (m->slots[i].pid == pid &&
		    (m->slots[i].state == LK_SLOT_SPAWNED ||
		     m->slots[i].state == LK_SLOT_EXEC))
			self = i;
	if (self < 0) {
		munmap(m, (size_t)st.st_size);
		return -1;
	}
	/* After an exec the process still holds the turn: it goes on. */
	if (m->slots[self].state == LK_SLOT_EXEC)
		m->slots[self].state = LK_SLOT_RUNNING;
	else
		note_stdio(m);
	/* A process lockstep started runs in the work directory: say
	 * which it is, for those that exec after a chdir (sysv.c). */
	if (m->slots[self].state != LK_SLOT_RUNNING && m->workdir[0] == '\0' &&
	    getcwd(m->workdir, sizeof(m->workdir)) == NULL)
		m->workdir[0] = '\0';
	lk__ip.self = self;
	lk__lane = self;
	lk__ip.sh = m;
	lk__ip.shm_fd = fd;
	lk__ip.notify_fd = nfd >= 0 ? nfd : m->notify_fd;
	lk__ip.notify_ino = fstat(lk__ip.notify_fd, &nst) == 0 ? nst.st_ino : 0;
	lk__signals_attach(&m->slots[self]);
	on_exit(exit_hook, NULL);
	return 0;
}

/* At load: join the run named by the environment, if any:
 * LOCKSTEP_SHM_FD is the shared memory's descriptor, then ":" and the
 * eventfd's when an earlier image of this process moved it. */
__attribute__((constructor)) static void
attach(void)
{
	const char *v = getenv(LK_ENV_SHM);
	char *end;
	long fd, nfd = -1;

	lk__resolve();
	if (v == NULL || *v == '\0')
		return;
	fd = strtol(v, &end, 10);
	if (*end == ':')
		nfd = strtol(end + 1, &end, 10);
	if (*end == '\0' && fd >= 0 && fd < 1 << 20 && nfd < 1 << 20 &&
	    attach_fd((int)fd, (int)nfd) == 0)
		lk__sud_start();
}

/*
 * Join a run after the fact: for a process forked by lockstep's zygote,
 * which was loaded before there was a run. The one symbol the interposer
 * exports besides the wrapped libc names; 0 or -1.
 */
__attribute__((visibility("default"))) int
lockstep_interposer_attach(int fd)
{
	lk__resolve();
	return attach_fd(fd, -1);
}

/* The shared mapping (NULL outside a run). */
struct lk_shared *
lk__shared(void)
{
	return lk__ip.sh;
}

/* Enter the interposer; true when the caller must schedule this call.
 * A signal sent to the process is delivered first, as a step. */
int
lk__enter(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;

	if (lk__ipt.busy || sh == NULL || self < 0 ||
	    sh->slots[self].state == LK_SLOT_EXITED)
		return 0;
	lk__ipt.busy = 1;
	lk__sud_selector = 0;
	lk__track_open();
	if (sh->slots[self].state == LK_SLOT_RUNNING &&
	    atomic_load_explicit(&sh->slots[self].sigpending,
	                         memory_order_relaxed) != 0)
		lk__deliver_due(&sh->slots[self]);
	return 1;
}

/* The calling process's slot. */
struct lk_slot *
lk__self(void)
{
	return &lk__ip.sh->slots[lk__lane];
}

/* Leave the interposer. */
void
lk__leave(void)
{
	lk__track_close();
	lk__ipt.busy = 0;
	lk__sud_selector = 1;
}

/* Is the calling thread inside a wrapper? */
int
lk__busy(void)
{
	return lk__ipt.busy;
}

/* Would lk__enter schedule a call now? */
int
lk__active(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;

	return !lk__ipt.busy && sh != NULL && self >= 0 &&
	       sh->slots[self].state != LK_SLOT_EXITED;
}

/* Current virtual time, ns. */
uint64_t
lk__now(void)
{
	return lk__ip.sh->vt;
}

/* How long a parked process sleeps before it looks whether lockstep is
 * still there (a forked child has no parent-death signal to end it). */
static const struct timespec patience = {1, 0};

/* Is the lockstep process that runs us gone (SIGKILLed)? */
static int
lockstep_gone(void)
{
	struct lk_shared *sh = lk__ip.sh;

	return sh->controller > 0 &&
	       syscall(SYS_kill, sh->controller, 0) != 0 && errno == ESRCH;
}

/* Nanoseconds from a to b. */
static long
elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + b->tv_nsec - a->tv_nsec;
}

/*
 * Before sleeping, spin a while (sh->spin_ns) for go to be set. The turn
 * often comes back within microseconds (a ping-pong); a hand-over to a
 * process that still spins costs neither side a system call, and the
 * taker goes on at once instead of after a futex wake-up.
 *
 * A spinner must not keep a CPU from the process it waits for, or from
 * other work. At most max_spinners processes spin at once (the CPUs
 * beside the one that holds the turn), and after the first quarter of
 * the time the spinner gives its CPU away (sched_yield) between looks.
 * A turn that did not come in that first quarter, though it went to a
 * process that was awake, says the CPUs are short: then nobody in the
 * run spins for the next 2, 4, 8, ... 1024 steps (spin_misses and
 * spin_resume in the shared memory, so that all stop and start again
 * together: a process that spins while the other sleeps would only ever
 * see slow turns). A fast turn ends the back-off. errno is clobbered.
 */
static void
spin_for_turn(_Atomic uint32_t *go)
{
	struct lk_shared *sh = lk__ip.sh;
	uint32_t n = atomic_load_explicit(&sh->spinners, memory_order_relaxed);
	uint32_t now = atomic_load_explicit(&sh->nevents, memory_order_relaxed);
	long quarter = (long)sh->spin_ns / 4, spent = 0;
	struct timespec t0, t;
	uint32_t misses;

	if (sh->spin_ns == 0 ||
	    (int32_t)(now - atomic_load_explicit(&sh->spin_resume,
	                                         memory_order_relaxed)) < 0)
		return;
	do
		if (n >= sh->max_spinners)
			return;
	while (!atomic_compare_exchange_weak(&sh->spinners, &n, n + 1));
	REAL(clock_gettime)(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 1;
	     atomic_load_explicit(go, memory_order_acquire) == 0; i++) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if (i % 16 != 0)
			continue;
		REAL(clock_gettime)(CLOCK_MONOTONIC, &t);
		spent = elapsed_ns(&t0, &t);
		if (spent > (long)sh->spin_ns)
			break;
		if (spent > quarter)
			syscall(SYS_sched_yield);
	}
	atomic_fetch_sub(&sh->spinners, 1);
	misses = atomic_load_explicit(&sh->spin_misses, memory_order_relaxed);
	if (spent <= quarter) {
		if (misses != 0)
			atomic_store_explicit(&sh->spin_misses, 0,
			                      memory_order_relaxed);
	} else if (lk__ip.handed_awake) {
		misses = misses < 10 ? misses + 1 : 10;
		atomic_store_explicit(&sh->spin_misses, misses,
		                      memory_order_relaxed);
		atomic_store_explicit(&sh->spin_resume, now + (1u << misses),
		                      memory_order_relaxed);
	}
}

/* Wait for our turn; on return we hold it. errno preserved. */
static void
park(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me = &sh->slots[self];
	int saved = errno;

	spin_for_turn(&me->go);

	/* Say we sleep before looking at go one last time; the hander sets
	 * go before looking at sleeping. One of the two sees the other. */
	while (atomic_load_explicit(&me->go, memory_order_acquire) == 0) {
		atomic_store(&me->sleeping, 1);
		if (atomic_load(&me->go) == 0 &&
		    syscall(SYS_futex, &me->go, FUTEX_WAIT, 0, &patience, NULL,
		            0) != 0 &&
		    errno == ETIMEDOUT && lockstep_gone())
			syscall(SYS_exit_group, 137);
		atomic_store(&me->sleeping, 0);
	}
	atomic_store_explicit(&me->go, 0, memory_order_relaxed);
	me->state = LK_SLOT_RUNNING;
	errno = saved;
}

/* Give the turn to slot next. */
static void
handoff(int next)
{
	struct lk_shared *sh = lk__ip.sh;
	int saved = errno;

	sh->running = next;
	atomic_store(&sh->slots[next].go, 1);
	/* No system call when the next process has not gone to sleep yet. */
	lk__ip.handed_awake = !atomic_load(&sh->slots[next].sleeping);
	if (!lk__ip.handed_awake)
		futex(&sh->slots[next].go, FUTEX_WAKE, 1);
	errno = saved;
}

/* The run cannot go on: say why and wait to be ended by the controller. */
static void
stall(unsigned why)
{
	struct lk_shared *sh = lk__ip.sh;

	sh->running = -1;
	atomic_store(&sh->state, why);
	notify();
	for (;;)
		park();
}

/* Choose who steps next (see lk_pick); stalls on divergence. */
static int
pick(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	int next = lk_pick(sh, self);

	if (next == -2)
		stall(LK_RUN_DIVERGED);
	return next;
}

/*
 * The process that keeps the turn never sleeps in park, where a sleeper
 * notices lockstep's death: every 64 steps it reads the clock, and once a
 * second it looks whether lockstep is still there (one kill(2)), so that a
 * run whose lockstep was killed ends within a second here too. errno is
 * preserved.
 */
static void
check_alive(void)
{
	struct timespec now, *last = &lk__ip.alive_last;
	int saved;

	if (++lk__ip.alive_steps % 64 != 0)
		return;
	saved = errno;
	REAL(clock_gettime)(CLOCK_MONOTONIC, &now);
	if (last->tv_sec == 0 || elapsed_ns(last, &now) >= 1000000000L) {
		*last = now;
		if (lockstep_gone())
			syscall(SYS_exit_group, 137);
	}
	errno = saved;
}

/* We are parked at a point: let the strategy choose, wait if not us. */
static void
choose(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	int next = pick();

	if (next == self) {
		sh->slots[self].state = LK_SLOT_RUNNING;
		check_alive();
		return;
	}
	if (next < 0)
		stall(LK_RUN_DEADLOCK);
	handoff(next);
	park();
}

#define POPULATE_CHUNK ((uintptr_t)256 * 1024)

/* About to write event e: fault in this process's mapping of it and of
 * the 256 KiB after with one call, not a fault a page. Best effort. */
static void
populate_events(const struct lk_event *e)
{
	struct lk_shared *sh = lk__ip.sh;
	uintptr_t lo, hi, end;

	if ((uintptr_t)(e + 1) <= lk__ip.populated_to)
		return;
	lo = (uintptr_t)e & ~(POPULATE_CHUNK - 1);
	hi = lo + 2 * POPULATE_CHUNK;
	end = (uintptr_t)(lk_shared_events(sh) + sh->max_events);
	if (hi > end)
		hi = end;
	lk_populate((void *)lo, hi - lo);
	lk__ip.populated_to = hi;
}

/* Append an event for st to the trace. */
static void
record(const struct lk_step *st, int blocked)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me = &sh->slots[self];
	uint32_t n = atomic_load_explicit(&sh->nevents, memory_order_relaxed);
	struct lk_event *e;

	if (n >= sh->max_events)
		stall(LK_RUN_LIMIT);
	e = &lk_shared_events(sh)[n];
	populate_events(e);
	memset(e, 0, sizeof(*e));
	e->proc = (uint16_t)self;
	e->op = st->op;
	e->obj = st->obj;
	e->ret = st->ret;
	e->err = st->err;
	e->u = st->u;
	e->vt = sh->vt;
	e->src = me->src_line;
	e->act = (uint8_t)me->act;
	e->blocked = (uint8_t)blocked;
	e->enabled = sh->last_enabled;
	if (st->data != NULL && st->len > 0) {
		size_t len = st->len < LK_DATA_MAX ? st->len : LK_DATA_MAX;

		if (sh->data_used + len <= sh->data_cap) {
			memcpy(lk_shared_data(sh) + sh->data_used, st->data,
			       len);
			e->data_off = sh->data_used;
			e->data_len = (uint16_t)len;
			sh->data_used += (uint32_t)len;
		}
	}
	atomic_store_explicit(&sh->nevents, n + 1, memory_order_release);
	/* run -q: the controller passes the bytes on as they come (told
	 * once until it looks: a burst of writes is one wake-up). */
	if (sh->live && st->op == LK_OP_WRITE && st->ret > 0 && st->obj >= 0 &&
	    sh->objects[st->obj].type == LK_OT_STREAM &&
	    atomic_exchange(&sh->live_wake, 1) == 0)
		notify();
}

/* --perturb: the bytes a read or write moves (see interposer.h). */
int64_t
lk__perturb_bytes(int64_t n)
{
	struct lk_shared *sh = lk__ip.sh;
	uint32_t step =
	        atomic_load_explicit(&sh->nevents, memory_order_relaxed);
	uint64_t set = 1u | 2u;
	int c;

	if (!sh->perturb || n < 2)
		return n;
	if (step < sh->nforced) {
		int64_t want = lk_shared_forced(sh)[step].bytes;

		if (want == 0)
			return n;
		if (want <= n)
			return want;
		sh->div_step = step;
		sh->div_why = LK_DIV_BYTES;
		sh->div_bytes = n;
		stall(LK_RUN_DIVERGED);
	}
	/* Three values, not all n: the whole (what the kernel mostly
	 * does), one byte (the most a reader of whole messages can be
	 * wrong about) and half (a message cut in two, both parts more
	 * than a byte): docs/explore.md, "Perturbation". */
	if (n / 2 > 1)
		set |= 4u;
	c = lk_strategy_choose(&sh->strategy, set);
	return c == 1 ? 1 : c == 2 ? n / 2 : n;
}

/* Arrive at a scheduling point for op on obj and wait until chosen.
 * Chosen with a signal due, the process takes it first, as a step of
 * its own (the handler runs before op starts), and arrives again. */
void
lk__arrive(unsigned op, int obj, uint64_t wake_at)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me = &sh->slots[self];
	uint32_t first = me->state == LK_SLOT_SPAWNED;

	do {
		me->pending_op = (uint16_t)op;
		me->pending_obj = obj;
		me->blocked_on = -1;
		me->wake_at = wake_at;
		me->state = LK_SLOT_PARKED;
		if (first) {
			/* The run starts once every declared process is
			 * here. */
			atomic_fetch_add(&sh->nready, 1);
			notify();
			park();
			return;
		}
		choose();
	} while (lk__signal_first(me, op));
}

/* Record a completed step; wake the processes blocked on changed. */
void
lk__done(const struct lk_step *st, int changed)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;

	record(st, 0);
	sh->slots[self].pending_op = LK_OP_NONE;
	lk__wake(changed);
}

/* Object obj changed: re-enable the processes blocked on it (those on a
 * semaphore with a known value are enabled by the value instead). */
void
lk__wake(int changed)
{
	struct lk_shared *sh = lk__ip.sh;

	if (changed < 0)
		return;
	for (uint32_t i = 0; i < sh->nslots; i++) {
		struct lk_slot *s = &sh->slots[i];

		if (s->state != LK_SLOT_PARKED)
			continue;
		/* A poll watches several objects: any of them will do. */
		if (s->poll_objs[changed / 64] & (1ull << (changed % 64))) {
			memset(s->poll_objs, 0, sizeof(s->poll_objs));
			s->blocked_on = -1;
			s->wake_at = 0;
		} else if (s->blocked_on == changed &&
		           !sh->objects[changed].has_value) {
			s->blocked_on = -1;
			s->wake_at = 0;
		}
	}
}

/* Record an attempt that would block on obj and wait to be chosen. */
void
lk__block(const struct lk_step *st, int obj, uint64_t deadline)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me = &sh->slots[self];

	record(st, 1);
	me->blocked_on = obj;
	me->wake_at = deadline;
	me->state = LK_SLOT_PARKED;
	choose();
	me->blocked_on = -1;
	if (!lk__ipt.own_delivery)
		lk__after_block(me);
}

/* Make attempt (a call that fails with EAGAIN rather than block) until
 * it does not fail so, each EAGAIN a blocked step on st->obj; or until the
 * virtual clock reaches deadline (timeout_err) or a handler interrupts the
 * wait (EINTR). Leaves the outcome in st->ret and st->err. */
void
lk__retry(struct lk_step *st, uint64_t deadline, int timeout_err,
          long (*attempt)(void *), void *arg)
{
	for (;;) {
		st->ret = attempt(arg);
		st->err = st->ret < 0 ? errno : 0;
		if (st->ret == 0 || st->err != EAGAIN)
			return;
		if (lk__now() >= deadline) {
			st->err = timeout_err;
			return;
		}
		lk__block(st, st->obj, deadline);
		if (lk__interrupted()) {
			st->ret = -1;
			st->err = EINTR;
			return;
		}
	}
}

/* Re-enable every process blocked on a pipe, a FIFO, a socket or a file lock:
 * descriptors were closed all at once (an exit or an exec), which may
 * bring an end of file, a broken pipe or a released lock. */
void
lk__wake_pipes(void)
{
	struct lk_shared *sh = lk__ip.sh;

	for (uint32_t i = 0; i < sh->nslots; i++) {
		struct lk_slot *s = &sh->slots[i];
		int o = s->blocked_on;

		if (s->state == LK_SLOT_PARKED && o >= 0 &&
		    (s->poll_objs[0] | s->poll_objs[1] | s->poll_objs[2] |
		     s->poll_objs[3]) != 0) {
			memset(s->poll_objs, 0, sizeof(s->poll_objs));
			s->blocked_on = -1;
			s->wake_at = 0;
		} else if (s->state == LK_SLOT_PARKED && o >= 0 &&
		           (sh->objects[o].type == LK_OT_PIPE ||
		            sh->objects[o].type == LK_OT_FIFO ||
		            sh->objects[o].type == LK_OT_SOCK ||
		            sh->objects[o].type == LK_OT_FILE ||
		            sh->objects[o].type == LK_OT_SEMSET)) {
			s->blocked_on = -1;
			s->wake_at = 0;
		}
	}
}

/* close_range(lo, hi, flags) but for the run's own two descriptors. */
static void
close_but_ours(unsigned lo, unsigned hi, unsigned flags)
{
	int s = lk__ip.shm_fd, n = lk__ip.notify_fd;
	int keep[2] = {s < n ? s : n, s < n ? n : s};

	for (int i = 0; i < 2; i++) {
		unsigned k = (unsigned)keep[i];

		if (keep[i] < 0 || (i == 1 && keep[1] == keep[0]) || k < lo ||
		    k > hi)
			continue;
		if (k > lo)
			syscall(SYS_close_range, lo, k - 1, flags);
		lo = k + 1;
	}
	if (lo <= hi)
		syscall(SYS_close_range, lo, hi, flags);
}

/* Is number fd free in this process? errno is clobbered. */
static int
fd_free(int fd)
{
	return syscall(SYS_fcntl, fd, F_GETFD) < 0 && errno == EBADF;
}

/* The run's own descriptor *fd is about to be closed or replaced by the
 * program (lo..hi): copy it to the highest free number under 1024 (or
 * RLIMIT_NOFILE), outside lo..hi when there is one, and use that. The
 * program's call then frees the old number as it expects. */
static void
move_out(int *fd, unsigned lo, unsigned hi)
{
	struct rlimit rl;
	int top = 1023, to, outside;

	if (*fd < 0 || (unsigned)*fd < lo || (unsigned)*fd > hi)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= 1024)
		top = (int)rl.rlim_cur - 1;
	outside = lo > 3 || hi < (unsigned)top;
	for (to = top; to > 2; to--)
		if (to != *fd && fd_free(to) &&
		    (!outside || (unsigned)to < lo || (unsigned)to > hi))
			break;
	if (to > 2 && syscall(SYS_dup3, *fd, to, 0) == to)
		*fd = to;
}

/* The program is about to close or replace descriptors lo..hi: move the
 * run's own out of the way first, so that it stays in the run (an exec
 * after a closefrom still finds the shared memory). errno preserved. */
void
lk__guard_fds(unsigned lo, unsigned hi)
{
	struct lk_shared *sh = lk__ip.sh;
	int saved = errno;

	if (sh == NULL)
		return;
	move_out(&lk__ip.shm_fd, lo, hi);
	move_out(&lk__ip.notify_fd, lo, hi);
	errno = saved;
}

/* close_range(2) for the program: lo..hi closed (or marked close-on-exec
 * with CLOSE_RANGE_CLOEXEC), the run's own descriptors moved out of the
 * way and left open. */
int
lk__close_range(unsigned lo, unsigned hi, unsigned flags)
{
	if (lo > hi ||
	    (flags & ~(unsigned)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))) {
		errno = EINVAL;
		return -1;
	}
	lk__guard_fds(lo, hi);
	close_but_ours(lo, hi, flags);
	return 0;
}

/* Is fd one of the run's own descriptors? */
int
lk__run_fd(int fd)
{
	return lk__ip.sh != NULL && fd >= 0 &&
	       (fd == lk__ip.shm_fd || fd == lk__ip.notify_fd);
}

/* The process is leaving: flush its streams and close its descriptors
 * now, while it holds the turn, rather than after it handed it on, so
 * the next process already sees the pipes it held closed. */
static void
close_all(void)
{
	lk__undo_semops();
	close_but_ours(0, ~0u, 0);
	lk__wake_pipes();
}

/* The process of lane i: its own slot for a process. */
int
lk__process_of(int i)
{
	struct lk_shared *sh = lk__ip.sh;

	return sh->slots[i].process > 0 ? sh->slots[i].process - 1 : i;
}

/* Pass the turn on after the calling lane left, or end the run: done
 * when nobody waits any more, a deadlock when some wait in vain. */
static void
pass_on(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int next = pick(), waiting = 0;

	if (next >= 0) {
		handoff(next);
		return;
	}
	for (uint32_t i = 0; i < sh->nslots; i++)
		if (sh->slots[i].state == LK_SLOT_PARKED)
			waiting = 1;
	sh->running = -1;
	atomic_store(&sh->state, waiting ? LK_RUN_DEADLOCK : LK_RUN_DONE);
	notify();
}

/* The parent the calling process's exit sends SIGCHLD to, -1 none: the
 * parent has a handler for it or blocks it (the kernel keeps it pending
 * then, for sigwait); otherwise it is discarded, as ignored. */
static int
sigchld_parent(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int parent = sh->slots[lk__process_of(lk__lane)].parent;

	if (parent >= 0 &&
	    ((sh->slots[parent].sigcaught | sh->slots[parent].sigmask) &
	     (1ull << SIGCHLD)) &&
	    sh->slots[parent].state != LK_SLOT_EXITED)
		return parent;
	return -1;
}

/* The calling process leaves the run: pass the turn on or end the run.
 * Every lane of it ends with it, as the kernel ends its threads. */
void
lk__depart(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int proc = lk__process_of(lk__lane), parent = sigchld_parent();

	lk__sud_stop();
	for (uint32_t i = 0; i < sh->nslots; i++)
		if ((int)i == proc || sh->slots[i].process == proc + 1)
			sh->slots[i].state = LK_SLOT_EXITED;
	if (parent >= 0)
		atomic_fetch_or(&sh->slots[parent].sigpending, 1ull << SIGCHLD);
	pass_on();
}

/* A new thread's lane (thread.c), before its start routine: wait for
 * the first turn, then take the step "start" (created by parent). */
void
lk__lane_start(int lane, int parent)
{
	struct lk_step start = {.op = LK_OP_START, .obj = -1};

	lk__lane = lane;
	park();
	start.u.start.parent = parent;
	lk__done(&start, -1);
}

/* The calling thread's lane ends (its start routine returned, or
 * pthread_exit): the step pthread_exit, then the turn goes on. The
 * thread runs outside the schedule from here (lk__lane -1): what glibc
 * does at a thread's end is no step. Inside a wrapper. */
void
lk__lane_end(void)
{
	struct lk_shared *sh = lk__ip.sh;
	struct lk_step st = {.op = LK_OP_PTHREAD_EXIT, .obj = -1};
	int self = lk__lane;

	lk__arrive(LK_OP_PTHREAD_EXIT, -1, 0);
	lk__done(&st, -1);
	sh->slots[self].state = LK_SLOT_EXITED;
	lk__sud_thread(0);
	pass_on();
	lk__lane = -1;
}

/* Fork under control: the child is registered before it runs and waits
 * for its turn, so it cannot race its parent. */
pid_t
lk__fork(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me, *c;
	struct lk_step st = {.op = LK_OP_FORK, .obj = -1};
	char name[LK_NAME_MAX];
	uint32_t ci;
	int as;
	pid_t pid;

	lk__arrive(LK_OP_FORK, -1, 0);
	me = &sh->slots[self];
	if (sh->nslots >= (sh->max_procs ? sh->max_procs : LK_MAX_PROCS) &&
	    me->spawn_as == 0) {
		st.ret = -1;
		st.err = EAGAIN;
		lk__done(&st, -1);
		errno = EAGAIN;
		return -1;
	}
	/* A fork from a thread: the child is its process's child, named
	 * after the process (the kernel's parent is the process too). */
	self = lk__process_of(self);
	me = &sh->slots[self];
	as = me->spawn_as - 1;
	me->spawn_as = 0;
	if (as >= 0 && (uint32_t)as < sh->nslots &&
	    sh->slots[as].state == LK_SLOT_FREE) {
		/* A declared process started by <spawn>: its slot and name
		 * are waiting for it. */
		ci = (uint32_t)as;
		c = &sh->slots[ci];
		memcpy(name, c->name, sizeof(name));
	} else {
		as = -1;
		ci = sh->nslots;
		c = &sh->slots[ci];
		snprintf(name, sizeof(name), "%.*s.%u", LK_NAME_MAX - 12,
		         me->name, me->nforks + 1);
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, sizeof(c->name));
	c->state = LK_SLOT_PARKED;
	c->sigmask = me->sigmask;
	c->sigcaught = me->sigcaught;
	c->sigignored = me->sigignored;
	c->stopped_by = -1;
	c->parent = self;
	c->pending_op = LK_OP_START;
	c->pending_obj = -1;
	c->blocked_on = -1;
	if (as < 0) {
		me->nforks++;
		sh->nslots++;
	}
	pid = lk__real_fork();
	if (pid == 0) {
		struct lk_step start = {.op = LK_OP_START, .obj = -1};

		lk__ip_forked((int)ci);
		c->pid = getpid();
		park();
		start.u.start.parent = c->parent;
		lk__done(&start, -1);
		return 0;
	}
	if (pid < 0) {
		st.err = errno;
		memset(c, 0, sizeof(*c));
		if (as < 0) {
			sh->nslots--;
			me->nforks--;
		} else {
			memcpy(c->name, name, sizeof(c->name));
		}
		st.ret = -1;
		lk__done(&st, -1);
		errno = st.err;
		return -1;
	}
	c->pid = pid;
	st.ret = ci;
	st.u.fork.child = (int32_t)ci;
	lk__done(&st, -1);
	notify();
	return pid;
}

/* Runs last in exit(): the process's exit is its final step. */
static void
exit_hook(int status, void *arg)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_step st = {.op = LK_OP_EXIT, .obj = -1};

	(void)arg;
	/* What stdio still holds is written first, each flush a write of
	 * its own (through sud.c); _exit writes none of it. */
	fflush(NULL);
	if (!lk__enter())
		return;
	sh->slots[self].pgid = (int32_t)getpgrp();
	lk__arrive(LK_OP_EXIT, -1, 0);
	close_all();
	st.ret = status;
	st.u.exit.status = status;
	st.u.exit.chld = sigchld_parent() + 1;
	lk__done(&st, -1);
	lk__depart();
	lk__leave();
}

/* _exit under control: the exit is a step, descriptors close with it. */
void
lk__exit_now(int status)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_step st = {.op = LK_OP_EXIT, .obj = -1};

	sh->slots[self].pgid = (int32_t)getpgrp();
	lk__arrive(LK_OP_EXIT, -1, 0);
	close_all();
	st.ret = status;
	st.u.exit.status = status;
	st.u.exit.chld = sigchld_parent() + 1;
	lk__done(&st, -1);
	lk__depart();
}

/* The environment for an exec: envp with the interposer preloaded and the
 * shared memory named, whatever the program did to it. */
static char **
exec_env(char *const envp[])
{
	static const char pre[] = "LD_PRELOAD=";
	struct lk_shared *sh = lk__ip.sh;
	size_t n = 0, k = 0;
	char **env;

	while (envp != NULL && envp[n] != NULL)
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], pre, sizeof(pre) - 1) != 0 &&
		    strncmp(envp[i], LK_ENV_SHM "=", sizeof(LK_ENV_SHM)) != 0)
			env[k++] = envp[i];
	if (asprintf(&env[k], "%s%s", pre, sh->interposer) < 0) {
		free(env);
		return NULL;
	}
	if (asprintf(&env[k + 1], LK_ENV_SHM "=%d:%d", lk__ip.shm_fd,
	             lk__ip.notify_fd) < 0) {
		free(env[k]);
		free(env);
		return NULL;
	}
	return env;
}

/* Is file a program the interposer cannot be preloaded into (static,
 * setuid, setgid)? Then the exec is refused (EACCES) with a message on
 * standard error rather than run uncontrolled. */
static int
exec_refused(const char *file, int search)
{
	char path[4096], msg[4096 + 128];
	int v, n;

	if (search ? lk_elf_find(file, path, sizeof(path)) != 0
	           : snprintf(path, sizeof(path), "%s", file) < 0)
		return 0;
	v = lk_elf_check(path);
	if (v == LK_ELF_OK)
		return 0;
	n = snprintf(msg, sizeof(msg),
	             "lockstep: cannot follow %s: %s (the interposer cannot "
	             "be preloaded)\n",
	             path, lk_elf_why(v));
	if (n >= (int)sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (n > 0 && lk__real_write(2, msg, (size_t)n) < 0) {
		/* Nothing else to tell it with: the step says EACCES. */
	}
	return 1;
}

/* exec under control (see interposer.h). */
int
lk__exec(const char *file, char *const argv[], char *const envp[], int search)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_step st = {.op = LK_OP_EXEC, .obj = -1, .data = file};
	struct lk_slot *me = &sh->slots[self];
	char **env = exec_env(envp);
	int err;

	st.len = strlen(file);
	lk__arrive(LK_OP_EXEC, -1, 0);
	if (exec_refused(file, search)) {
		free(env);
		st.ret = -1;
		st.err = EACCES;
		lk__done(&st, -1);
		errno = EACCES;
		return -1;
	}
	lk__done(&st, -1);
	/* Close-on-exec descriptors go with the old image, and so do the
	 * handlers. */
	lk__wake_pipes();
	me->sigcaught = 0;
	me->state = LK_SLOT_EXEC;
	if (env != NULL) {
		if (search)
			lk__real_execvpe(file, argv, env);
		else
			lk__real_execve(file, argv, env);
	}
	err = env != NULL ? errno : ENOMEM;
	free(env);
	/* Still here: it failed, and that is a step too. */
	me->state = LK_SLOT_RUNNING;
	st.ret = -1;
	st.err = err;
	lk__arrive(LK_OP_EXEC, -1, 0);
	lk__done(&st, -1);
	errno = err;
	return -1;
}

/* The slot of our child with this pid, or -1. */
static int
child_slot(pid_t pid)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;

	for (uint32_t j = 0; j < sh->nslots; j++)
		if (sh->slots[j].pid == pid && sh->slots[j].parent == self)
			return (int)j;
	return -1;
}

/* The child to reap now, chosen by the pick (a slot), or -1 when no
 * exited child of the run qualifies. */
static int
chosen_child(void)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_slot *me = &sh->slots[self];
	int c = me->reap - 1;

	me->reap = 0;
	if (c >= 0 && (lk_wait_candidates(sh, (uint32_t)self) & (1ull << c)))
		return c;
	/* Not chosen for this step (a signal came first): the first. */
	if (lk_wait_candidates(sh, (uint32_t)self) != 0)
		return __builtin_ctzll(lk_wait_candidates(sh, (uint32_t)self));
	return -1;
}

/*
 * waitpid under control (see interposer.h). Which of several exited
 * children a wait for any child (or a group) reaps is the kernel's
 * choice; here it is the schedule's: the pick chose one (slot->reap) and
 * that very pid is reaped. A child that logged its exit is on its way
 * out: wait for the kernel to finish it, not for the turn.
 */
pid_t
lk__waitpid(pid_t pid, int *status, int options)
{
	struct lk_shared *sh = lk__ip.sh;
	int self = lk__lane;
	struct lk_step st = {.op = LK_OP_WAIT, .obj = -1};
	struct lk_slot *me = &sh->slots[self];
	int ws = 0, c;
	pid_t r;

	me->wait_for = pid > 0 ? child_slot(pid) : -1;
	me->wait_group = pid == 0 ? (int32_t)getpgrp() : pid < -1 ? -pid : 0;
	st.u.wait.target = me->wait_for; /* whom it waits for, -1 any */
	lk__arrive(LK_OP_WAIT, -1, 0);
	for (;;) {
		uint64_t can = lk_wait_candidates(sh, (uint32_t)self);

		/* A pid that is no child of the run: the kernel's answer. */
		c = pid > 0 && me->wait_for < 0 ? -1 : chosen_child();
		st.u.wait.choices =
		        c >= 0 && __builtin_popcountll(can) > 1 ? can : 0;
		if (c >= 0)
			r = lk__real_waitpid(sh->slots[c].pid, &ws,
			                     options & ~WNOHANG);
		else
			/* No child of the run has exited: one killed
			 * outside its steps, or an error (ECHILD). */
			r = lk__real_waitpid(pid, &ws, options | WNOHANG);
		if (r != 0 || (options & WNOHANG))
			break;
		/* Nothing to reap: now a signal due interrupts the wait. The
		 * kernel looks for a child first, so a SIGCHLD handler runs
		 * after the wait that reaps its child, not before it. */
		if (lk__deliver_now() && !lk__ipt.restartable) {
			r = -1;
			errno = EINTR;
			break;
		}
		st.u.wait.choices = 0;
		lk__ipt.own_delivery = 1;
		lk__block(&st, LK_WAIT_CHILD, LK_NO_TIME);
		lk__ipt.own_delivery = 0;
	}
	st.err = r < 0 ? errno : 0;
	c = r > 0 ? child_slot(r) : -1;
	if (c >= 0 && sh->slots[c].state != LK_SLOT_EXITED)
		sh->slots[c].died = ws + 1;
	if (c >= 0)
		sh->slots[c].reaped = 1;
	st.ret = r > 0 ? c : r;
	st.u.wait.status = ws;
	me->wait_for = -1;
	me->wait_group = 0;
	lk__done(&st, -1);
	if (status != NULL && r > 0)
		*status = ws;
	errno = st.err;
	return r;
}
