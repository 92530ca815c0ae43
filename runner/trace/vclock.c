/*
 * Vector clocks of a trace (Fidge, Mattern), and the happens-before edges
 * they are made of: the one model of happens-before. Each event ticks its
 * own process's counter. Synchronisation joins clocks: a post releases
 * the semaphore's clock, a successful wait acquires it; a pipe write
 * releases and the read acquires; a fork hands the parent's clock to the
 * child's start; an exit hands the child's clock to the wait that reaps
 * it; a kill hands its clock to the delivery of that signal.
 * File-system names are like atomic variables: every call on a name
 * acquires its clock, and one that created, removed or replaced it also
 * releases, so a lookup sees what was done to the name before it, and a
 * lookup followed by another process's change (check, then create) is
 * left unordered: a race (race.c).
 *
 * One walk computes both: lk_trace_vclocks keeps the clocks,
 * lk_trace_edges the joins between processes as edges (what a diagram
 * draws), so the two cannot disagree.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

/* dst = max(dst, src), element-wise over n counters. */
void
lk_vc_join(uint32_t *dst, const uint32_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (src[i] > dst[i])
			dst[i] = src[i];
}

/* A growing array of n elements, cap of them allocated. */
struct vec {
	void *v;
	size_t n, cap;
};

/* Room for one more element of size bytes at the end of a; its address,
 * or NULL out of memory. The caller fills it in. */
static void *
vec_push(struct vec *a, size_t size)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *v = realloc(a->v, cap * size);

		if (v == NULL)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	return (char *)a->v + a->n++ * size;
}

/* A record lock operation (fcntl, flock: u.lock): 'r' or 'w' (a lock),
 * 'u' (an unlock), 0 (a query, or not a lock), over [*start, *start +
 * *len) as fcntl says it (0: to the end of the file). */
static int
lock_op(const struct lk_tev *e, long long *start, long long *len)
{
	*start = *len = 0;
	if (!(lk_op_flags((unsigned)e->op) & LK_OPF_LOCK))
		return 0;
	*start = e->u.lock.start;
	*len = e->u.lock.len;
	if (lk_op_lock_dir(&e->u) == 0)
		return 0;
	return e->u.lock.type == F_UNLCK   ? 'u'
	       : e->u.lock.type == F_RDLCK ? 'r'
	       : e->u.lock.type == F_WRLCK ? 'w'
	                                   : 0;
}

/*
 * Does event e acquire (1), release (2) or both (3) its object's clock?
 * The LK_OPS table says which (ops.h): semaphores: post releases, a
 * successful wait acquires. Pipes and FIFOs: a write (or a piece of one)
 * and a close release, a read acquires: the bytes a read returns, or its
 * end of file, were written or caused before it. Opening a FIFO meets the
 * other end: both. Locks: an unlock releases, a granted lock acquires.
 */
static int
sync_kind(const struct lk_trace *t, const struct lk_tev *e)
{
	unsigned f = lk_op_flags((unsigned)e->op);

	if (lk_trace_is_name(t, e->obj))
		return e->blocked ? 0 : lk_trace_name_writes(e) ? 3 : 1;
	/* A barrier's arrival releases (even blocked: the others wait for
	 * it), its departure acquires; the last arriver does both. */
	if (e->op == LK_OP_BARRIER_WAIT)
		return e->u.barrier.arrive ? (e->blocked ? 2 : 3)
		       : e->blocked        ? 0
		                           : 1;
	/* pthread_once: the routine's end releases, a caller that found it
	 * run (or waited for it) acquires. */
	if (e->op == LK_OP_PTHREAD_ONCE)
		return e->blocked || e->ret < 0 ? 0
		       : e->u.once.run == 2     ? 2
		       : e->u.once.run == 0     ? 1
		                                : 0;
	/* A FIFO's open waiting for the other end is there already: the
	 * other end's open returns because of it. */
	if (e->op == LK_OP_OPEN && e->blocked && lk_trace_is_pipe(t, e->obj))
		return 2;
	if (!(f & (LK_OPF_ACQUIRE | LK_OPF_RELEASE)) ||
	    ((f & LK_OPF_CHAN) && !lk_trace_is_pipe(t, e->obj)))
		return 0;
	if (f & LK_OPF_BYTES) {
		if (e->ret <= 0)
			return 0;
	} else if (!(f & LK_OPF_ANYWAY) && (e->blocked || e->ret < 0)) {
		return 0;
	}
	if (f & LK_OPF_LOCK)
		return lk_op_lock_dir(&e->u);
	return ((f & LK_OPF_ACQUIRE) ? 1 : 0) | ((f & LK_OPF_RELEASE) ? 2 : 0);
}

/* A kill not delivered yet, with the clock it sent. */
struct kill {
	int to;
	int64_t sig;
	size_t ev;
	uint32_t *vc;
};

/* Bytes of one write still in a pipe: the next to be read come first. */
struct chunk {
	size_t ev;  /* the write (or the piece of a large one) */
	long left;  /* its bytes not read yet */
	long off;   /* where they start in its data */
	long total; /* its bytes */
};

/* A pipe's contents as a queue of chunks, from head on. */
struct pipeq {
	struct vec q; /* of struct chunk */
	size_t head;
};

/* A descriptor known to hold a pipe's write end in a process. */
struct holder {
	int proc, obj;
	int64_t fd;
};

/* A record lock a process holds, or held last, on an object. */
struct lockhold {
	int proc, obj;
	int kind;             /* 'r' or 'w' */
	int held;             /* not released yet */
	long granted;         /* the event that granted it last */
	long long start, len; /* its bytes, as fcntl says them */
};

/* The release of a record lock: an unlock, or the exit of its holder. */
struct release {
	size_t ev;
	int obj;
	int kind;             /* of the lock let go: 'r', 'w', 0 unknown */
	long long start, len; /* the bytes let go */
};

/*
 * The state of one walk over the events. The clocks: per process (pv),
 * per object (ov), a forked child's first (born), a process's last, at
 * its exit (gone), the kills not delivered. With edges, which event each
 * of those joins comes from.
 */
struct hb {
	const struct lk_trace *t;
	size_t n;
	uint32_t *pv, *ov, *born, *gone;
	/* Per object: a read-write lock's clock of its write unlocks (what a
	 * read lock acquires), a barrier's clock at its last release. */
	uint32_t *wv;
	struct vec kills; /* of struct kill */
	/* What the edges are drawn from (with edges only). */
	struct vec *out;     /* of struct lk_hb_edge, NULL: clocks only */
	long *born_ev;       /* per process: the fork that made it, or -1 */
	long *gone_ev;       /* per process: its exit, or -1 */
	long *posts;         /* per object: latest two posts, by two
	                        processes: [2 * obj], [2 * obj + 1] */
	long *ends;          /* per object: the same for a pipe's write end let
	                        go (a close, or the exit of a holder) */
	struct pipeq *pipes; /* per object: what is in it, if a pipe */
	long *pieces;        /* per process: bytes of its pieces so far */
	struct vec holders;  /* of struct holder */
	struct vec locks;    /* of struct lockhold */
	struct vec unlocks;  /* of struct release, in step order */
	long *wposts;        /* per object: as posts, a rwlock's write
	                        unlocks */
	struct vec undos;    /* of struct undo */
};

/* Process proc made a SEM_UNDO semop on SysV set obj: its exit changes
 * the set (the kernel applies the adjustments), a release. */
struct undo {
	int proc, obj;
};

/* Add the edge from -> to of kind; -1 out of memory. */
static int
edge(struct hb *h, size_t from, size_t to, unsigned kind, long off, long len,
     int part)
{
	struct lk_hb_edge *d;

	if (h->t->ev[from].proc == h->t->ev[to].proc)
		return 0; /* on its own lifeline already */
	if ((d = vec_push(h->out, sizeof(*d))) == NULL)
		return -1;
	d->from = from;
	d->to = to;
	d->kind = kind;
	d->off = off;
	d->len = len;
	d->part = part;
	return 0;
}

/* Remember ev as the latest of its kind on obj in two (posts, ends). */
static void
latest_add(const struct hb *h, long *two, int obj, size_t ev)
{
	long *z = &two[2 * (size_t)obj];

	if (z[0] < 0 || h->t->ev[z[0]].proc != h->t->ev[ev].proc)
		z[1] = z[0];
	z[0] = (long)ev;
}

/* The latest remembered in two on obj by another process than f's, or
 * -1: every one happened before f, which joined obj's clock. */
static long
latest_of(const struct hb *h, const long *two, int obj, const struct lk_tev *f)
{
	const long *z = &two[2 * (size_t)obj];

	return z[0] >= 0 && h->t->ev[z[0]].proc != f->proc ? z[0] : z[1];
}

/* Whether e's data holds its bytes as they were (see trace.h). */
int
lk_trace_exact(const struct lk_tev *e, size_t *len)
{
	size_t n = e->data != NULL ? strnlen(e->data, e->len) : 0;

	*len = 0;
	/* Bytes that are not UTF-8 became U+FFFD; a NUL ends the text. */
	if (e->data == NULL || memmem(e->data, n, "\xef\xbf\xbd", 3) != NULL ||
	    e->ret < 0 || (n < 256 && (int64_t)n != e->ret) ||
	    (int64_t)n > e->ret)
		return 0;
	*len = n;
	return 1;
}

/*
 * Whether n bytes of write w from its data offset woff can be the bytes
 * of read r from roff: compared where both events hold them exactly. A
 * pipe also carries bytes the trace does not show (stdio's own writes
 * are not steps), and then the queue no longer matches the reads.
 */
static int
same_bytes(const struct lk_tev *w, long woff, const struct lk_tev *r, long roff,
           long n)
{
	size_t wn, rn;

	if (!lk_trace_exact(w, &wn) || !lk_trace_exact(r, &rn))
		return 1;
	for (long k = 0; k < n; k++)
		if ((size_t)(woff + k) < wn && (size_t)(roff + k) < rn &&
		    w->data[woff + k] != r->data[roff + k])
			return 0;
	return 1;
}

/*
 * A pipe read that got bytes joined the pipe's clock; its edges come
 * from the writes whose bytes it got. A pipe is a queue of bytes, so a
 * read of n bytes takes the n at the head, from one write or several.
 * When the bytes the trace shows disagree, the queue has lost track: it
 * is emptied rather than draw an edge for bytes that did not travel.
 */
static int
write_read(struct hb *h, size_t i)
{
	const struct lk_tev *r = &h->t->ev[i];
	struct pipeq *p = &h->pipes[r->obj];
	long got = 0;

	while (got < r->ret && p->head < p->q.n) {
		struct chunk *c = (struct chunk *)p->q.v + p->head;
		const struct lk_tev *w = &h->t->ev[c->ev];
		long n = c->left < r->ret - got ? c->left : r->ret - got;

		if (!same_bytes(w, c->off, r, got, n)) {
			p->head = p->q.n = 0;
			break;
		}
		if (edge(h, c->ev, i, LK_HB_WRITE_READ, got, n, n < c->total) <
		    0)
			return -1;
		got += n;
		c->off += n;
		if ((c->left -= n) == 0)
			p->head++;
	}
	if (p->head == p->q.n)
		p->head = p->q.n = 0;
	return 0;
}

/* a + b, held at LLONG_MIN or LLONG_MAX where it would overflow (a
 * trace file's numbers are not checked against what fcntl accepts). */
static long long
add_held(long long a, long long b)
{
	long long sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b < 0 ? LLONG_MIN : LLONG_MAX;
	return sum;
}

/* The bytes from start, len long as fcntl says it (0: to the end of the
 * file, negative: before start), as a half-open range [*lo, *hi). */
static void
lock_range(long long start, long long len, long long *lo, long long *hi)
{
	*lo = len < 0 ? add_held(start, len) : start;
	*hi = len == 0 ? LLONG_MAX : len < 0 ? start : add_held(start, len);
}

/* Whether release r can have kept lock kind over [start, start + len)
 * from being granted. */
static int
conflicts(const struct release *r, int kind, long long start, long long len)
{
	long long alo, ahi, blo, bhi;

	if (r->kind == 'r' && kind == 'r')
		return 0; /* read locks share */
	lock_range(r->start, r->len, &alo, &ahi);
	lock_range(start, len, &blo, &bhi);
	return alo < bhi && blo < ahi;
}

/* The lock process proc holds or held last on obj, or NULL. */
static struct lockhold *
lock_of(struct hb *h, int proc, int obj)
{
	struct lockhold *l = h->locks.v;

	for (size_t k = 0; k < h->locks.n; k++)
		if (l[k].proc == proc && l[k].obj == obj)
			return &l[k];
	return NULL;
}

/*
 * A granted lock joined its object's clock, which every release (an
 * unlock, or the exit of a process that still held a lock) joined
 * before it. Its edge comes from the most recent release by another
 * process that conflicts with it; one from before the process's own
 * previous lock on the object let that lock through, not this one.
 */
static int
unlock_lock(struct hb *h, size_t i, int kind, long long start, long long len)
{
	const struct lk_tev *f = &h->t->ev[i];
	const struct release *r = h->unlocks.v;
	const struct lockhold *mine = lock_of(h, f->proc, f->obj);
	long before = mine != NULL ? mine->granted : -1;

	if (r == NULL)
		return 0; /* nothing released yet */
	for (size_t k = h->unlocks.n; k-- > 0;) {
		if ((long)r[k].ev < before)
			break;
		if (r[k].obj != f->obj || h->t->ev[r[k].ev].proc == f->proc ||
		    !conflicts(&r[k], kind, start, len))
			continue;
		return edge(h, r[k].ev, i, LK_HB_UNLOCK_LOCK, 0, 0, 0);
	}
	return 0;
}

/* The edges of barrier wait i, which acquired: its last arriver's step
 * (arrive, not blocked) from every arrival of the round before it; a
 * departure from the release of its round (the latest, by another). */
static int
barrier_edges(struct hb *h, size_t i)
{
	const struct lk_tev *e = &h->t->ev[i];
	long src;

	if (!e->u.barrier.arrive) {
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_POST_WAIT, 0, 0,
		                       0)
		                : 0;
	}
	for (size_t k = i; k-- > 0;) {
		const struct lk_tev *f = &h->t->ev[k];

		if (f->op != LK_OP_BARRIER_WAIT || f->obj != e->obj ||
		    !f->u.barrier.arrive)
			continue;
		if (!f->blocked)
			break; /* the release of the round before */
		if (edge(h, k, i, LK_HB_POST_WAIT, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

/*
 * What a semop's operations do, from its text ("[0]-1 [2]+1"): bit 1, one
 * takes (a decrement, or a wait for zero: it may have waited); bit 2, one
 * gives (an increment: it may let another's wait through).
 */
static int
semop_dir(const struct lk_tev *e)
{
	const char *p = e->data, *end;
	int dir = 0;

	if (p == NULL)
		return 0;
	end = p + e->len;
	while (p < end && (p = memchr(p, ']', (size_t)(end - p))) != NULL &&
	       ++p < end) {
		if (*p == '-' || (p + 1 < end && p[1] == '0'))
			dir |= 1;
		else
			dir |= 2;
	}
	return dir;
}

/* The edges of event i, which acquired (kind 1) its object's clock. */
static int
acquired(struct hb *h, size_t i)
{
	const struct lk_tev *e = &h->t->ev[i];
	long long start, len;
	int lock;
	long src;

	/* A granted record lock (LK_OPF_LOCK): from the unlocks it waited
	 * for. */
	if (lk_op_flags((unsigned)e->op) & LK_OPF_LOCK) {
		lock = lock_op(e, &start, &len);
		return unlock_lock(h, i, lock, start, len);
	}
	switch (e->op) {
	case LK_OP_RWLOCK_RDLOCK:
	case LK_OP_RWLOCK_TRYRDLOCK:
	case LK_OP_RWLOCK_TIMEDRDLOCK:
		/* A read lock: from the latest write unlock by another. */
		src = latest_of(h, h->wposts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_UNLOCK_LOCK, 0,
		                       0, 0)
		                : 0;
	case LK_OP_BARRIER_WAIT:
		return barrier_edges(h, i);
	case LK_OP_PTHREAD_ONCE:
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_POST_WAIT, 0, 0,
		                       0)
		                : 0;
	case LK_OP_RWLOCK_WRLOCK:
	case LK_OP_RWLOCK_TRYWRLOCK:
	case LK_OP_RWLOCK_TIMEDWRLOCK:
	case LK_OP_SPIN_LOCK:
	case LK_OP_SPIN_TRYLOCK:
	case LK_OP_MUTEX_LOCK:
	case LK_OP_MUTEX_TRYLOCK:
	case LK_OP_MUTEX_TIMEDLOCK:
		/* The mutex's clock holds every unlock before: the edge comes
		 * from the latest by another thread. */
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_UNLOCK_LOCK, 0,
		                       0, 0)
		                : 0;
	case LK_OP_COND_WAIT:
	case LK_OP_COND_TIMEDWAIT:
		/* Woken: from the signal or broadcast that woke it (a
		 * witness: the latest by another thread); woken without one
		 * (--perturb): from none. */
		if (e->u.cond.spurious)
			return 0;
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_POST_WAIT, 0, 0,
		                       0)
		                : 0;
	case LK_OP_SEMOP:
		/* One that takes: from the latest that gave (an increment,
		 * or an exit undoing a decrement), by another process. */
		src = (semop_dir(e) & 1) ? latest_of(h, h->posts, e->obj, e)
		                         : -1;
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_POST_WAIT, 0, 0,
		                       0)
		                : 0;
	case LK_OP_SEM_WAIT:
	case LK_OP_SEM_TRYWAIT:
	case LK_OP_SEM_TIMEDWAIT:
		/* A witness, not necessarily the post the wait consumed:
		 * the semaphore joined every post's clock. */
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 && e->ret == 0 ? edge(h, (size_t)src, i,
		                                      LK_HB_POST_WAIT, 0, 0, 0)
		                               : 0;
	case LK_OP_OPEN:
		/* A FIFO's end: from the other end's open it met, the latest
		 * by another process (waiting or returned). */
		src = latest_of(h, h->posts, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_OPEN_OPEN, 0, 0,
		                       0)
		                : 0;
	case LK_OP_RECV:
		/* MSG_PEEK (off -2): the bytes stay for the next read. */
		if (e->u.rw.off == -2)
			return 0;
		/* fall through */
	case LK_OP_READ:
		if (e->ret > 0)
			return write_read(h, i);
		/* End of file: every write end had gone, the last by
		 * another process is the edge's source. */
		src = latest_of(h, h->ends, e->obj, e);
		return src >= 0 ? edge(h, (size_t)src, i, LK_HB_CLOSE_EOF, 0, 0,
		                       0)
		                : 0;
	default:
		return 0;
	}
}

/* Remember that descriptor fd of process proc holds obj's write end. */
static int
hold(struct hb *h, int proc, int obj, int64_t fd)
{
	struct holder *o = h->holders.v;

	for (size_t k = 0; k < h->holders.n; k++)
		if (o[k].proc == proc && o[k].obj == obj && o[k].fd == fd)
			return 0;
	if ((o = vec_push(&h->holders, sizeof(*o))) == NULL)
		return -1;
	o->proc = proc;
	o->obj = obj;
	o->fd = fd;
	return 0;
}

/*
 * Follow who holds a pipe's write end, as far as the trace shows it: a
 * descriptor a process wrote with or dup2'ed a write end to, inherited by
 * its children at a fork; gone at its close. A process that exits still
 * holding one lets it go then. Which descriptors a process had from the
 * start the trace does not say, so a holder that never used its write end
 * is not known.
 */
static int
note_holders(struct hb *h, size_t i)
{
	const struct lk_trace *t = h->t;
	const struct lk_tev *e = &t->ev[i];
	int pipe = lk_trace_is_pipe(t, e->obj);
	struct holder *o = h->holders.v;
	size_t n = 0, had = h->holders.n;

	if (pipe && (e->op == LK_OP_WRITE || e->op == LK_OP_SEND) && e->ret > 0)
		return e->u.rw.fd >= 0 ? hold(h, e->proc, e->obj, e->u.rw.fd)
		                       : 0;
	if (pipe && e->op == LK_OP_DUP2 && e->u.dup2.mode == O_WRONLY &&
	    e->ret >= 0)
		return e->u.dup2.newfd >= 0
		               ? hold(h, e->proc, e->obj, e->u.dup2.newfd)
		               : 0;
	if (e->op == LK_OP_FORK && e->ret >= 0 && e->u.fork.child >= 0 &&
	    (size_t)e->u.fork.child < t->nprocs) {
		for (size_t k = 0; k < had; k++) {
			struct holder parent =
			        ((struct holder *)h->holders.v)[k];

			if (parent.proc == e->proc &&
			    hold(h, e->u.fork.child, parent.obj, parent.fd) < 0)
				return -1;
		}
		return 0;
	}
	if (pipe && (e->op == LK_OP_CLOSE || e->op == LK_OP_SHUTDOWN) &&
	    e->u.close.mode == O_WRONLY && e->ret == 0)
		latest_add(h, h->ends, e->obj, i);
	if (e->op != LK_OP_EXIT && !(pipe && e->op == LK_OP_CLOSE))
		return 0;
	for (size_t k = 0; k < had; k++) {
		int gone = o[k].proc == e->proc &&
		           (e->op == LK_OP_EXIT ||
		            (o[k].obj == e->obj && o[k].fd == e->u.close.fd));

		if (gone && e->op == LK_OP_EXIT)
			latest_add(h, h->ends, o[k].obj, i);
		if (!gone)
			o[n++] = o[k];
	}
	h->holders.n = n;
	return 0;
}

/*
 * Put the bytes of pipe write i in its pipe's queue. A write too large
 * for the pipe goes in pieces: each piece that went in before the writer
 * had to wait is a blocked step with those bytes, and the last step of
 * the call counts all of them again, so only the rest is new.
 */
static int
note_write(struct hb *h, size_t i)
{
	const struct lk_tev *e = &h->t->ev[i];
	long *pieces = &h->pieces[e->proc], n = e->ret, off = 0;
	struct chunk *c;

	if ((e->op != LK_OP_WRITE && e->op != LK_OP_SEND) ||
	    !lk_trace_is_pipe(h->t, e->obj))
		return 0;
	if (!e->blocked) {
		off = *pieces;
		*pieces = 0;
		/* Nothing new; also keeps ret - off from overflowing, as
		 * off >= 0. */
		if (e->ret <= off)
			return 0;
		n = e->ret - off;
	} else if (e->ret > 0 &&
	           __builtin_add_overflow(*pieces, e->ret, pieces)) {
		*pieces = LONG_MAX; /* not a real trace: no write is that big */
	}
	if (n <= 0)
		return 0;
	if ((c = vec_push(&h->pipes[e->obj].q, sizeof(*c))) == NULL)
		return -1;
	c->ev = i;
	c->left = c->total = n;
	c->off = e->blocked ? 0 : off;
	return 0;
}

/* Does an exit join object o's clock: a pipe's (the ends it held), a
 * file's (the record locks it held)? */
static int
exit_joins(const struct lk_trace *t, int o)
{
	return lk_trace_is_pipe(t, o) || (o >= 0 && (size_t)o < t->nobjs &&
	                                  t->objs[o].type == LK_OT_FILE);
}

/* Add a release of l's lock at event ev (over l's bytes unless the
 * unlock says others); -1 out of memory. */
static int
release(struct hb *h, size_t ev, int obj, const struct lockhold *l, int unlock,
        long long start, long long len)
{
	struct release *r = vec_push(&h->unlocks, sizeof(*r));

	if (r == NULL)
		return -1;
	r->ev = ev;
	r->obj = obj;
	r->kind = l != NULL && l->held ? l->kind : 0;
	r->start = unlock ? start : l->start;
	r->len = unlock ? len : l->len;
	return 0;
}

/*
 * Follow the record locks: a granted lock is held by its process until
 * its unlock, or its exit (the kernel lets go of a process's locks when
 * it ends, and the exit joins the clock of every file); both are
 * releases the next lock may come from.
 */
static int
note_locks(struct hb *h, size_t i)
{
	const struct lk_tev *e = &h->t->ev[i];
	struct lockhold *l;
	long long start, len;
	int kind;

	if (e->op == LK_OP_EXIT) {
		l = h->locks.v;
		for (size_t k = 0; k < h->locks.n; k++) {
			/* Only where the exit joins the object's clock. */
			if (l[k].proc != e->proc || !l[k].held ||
			    !exit_joins(h->t, l[k].obj))
				continue;
			if (release(h, i, l[k].obj, &l[k], 0, 0, 0) < 0)
				return -1;
			l[k].held = 0;
		}
		return 0;
	}
	if (!(lk_op_flags((unsigned)e->op) & LK_OPF_LOCK) || e->blocked ||
	    e->ret != 0 || e->obj < 0 || (kind = lock_op(e, &start, &len)) == 0)
		return 0;
	l = lock_of(h, e->proc, e->obj);
	if (kind == 'u') {
		if (release(h, i, e->obj, l, 1, start, len) < 0)
			return -1;
		if (l != NULL)
			l->held = 0;
		return 0;
	}
	if (l == NULL && (l = vec_push(&h->locks, sizeof(*l))) == NULL)
		return -1;
	l->proc = e->proc;
	l->obj = e->obj;
	l->kind = kind;
	l->held = 1;
	l->granted = (long)i;
	l->start = start;
	l->len = len;
	return 0;
}

/* The lane a fork or pthread_create made, or -1. */
static int
born_of(const struct lk_tev *e, size_t n)
{
	int c = e->op == LK_OP_FORK             ? e->u.fork.child
	        : e->op == LK_OP_PTHREAD_CREATE ? e->u.thread.lane
	                                        : -1;

	return e->ret >= 0 && c >= 0 && (size_t)c < n ? c : -1;
}

/* Is e a read lock of a read-write lock? */
static int
is_rdlock(const struct lk_tev *e)
{
	return e->op == LK_OP_RWLOCK_RDLOCK ||
	       e->op == LK_OP_RWLOCK_TRYRDLOCK ||
	       e->op == LK_OP_RWLOCK_TIMEDRDLOCK;
}

/* Is e a condition variable's wait? */
static int
is_cond_wait(const struct lk_tev *e)
{
	return e->op == LK_OP_COND_WAIT || e->op == LK_OP_COND_TIMEDWAIT;
}

/* The mutex of condition wait e, or -1. */
static int
cond_mutex(const struct lk_trace *t, const struct lk_tev *e)
{
	return e->u.cond.mutex >= 0 && (size_t)e->u.cond.mutex < t->nobjs
	               ? e->u.cond.mutex
	               : -1;
}

/* Remember event i for the edges of later events; -1 out of memory. */
static int
note(struct hb *h, size_t i)
{
	const struct lk_tev *e = &h->t->ev[i];

	if (born_of(e, h->n) >= 0)
		h->born_ev[born_of(e, h->n)] = (long)i;
	if (e->op == LK_OP_EXIT || e->op == LK_OP_PTHREAD_EXIT)
		h->gone_ev[e->proc] = (long)i;
	if ((e->op == LK_OP_SEM_POST || e->op == LK_OP_MUTEX_UNLOCK ||
	     e->op == LK_OP_COND_SIGNAL || e->op == LK_OP_COND_BROADCAST ||
	     e->op == LK_OP_RWLOCK_UNLOCK || e->op == LK_OP_SPIN_UNLOCK ||
	     (e->op == LK_OP_PTHREAD_ONCE && e->u.once.run == 2) ||
	     (e->op == LK_OP_BARRIER_WAIT && e->u.barrier.arrive)) &&
	    e->ret == 0 && !e->blocked && e->obj >= 0)
		latest_add(h, h->posts, e->obj, i);
	if (e->op == LK_OP_RWLOCK_UNLOCK && e->u.rwlock.write && e->ret == 0 &&
	    e->obj >= 0)
		latest_add(h, h->wposts, e->obj, i);
	if (e->op == LK_OP_OPEN && e->obj >= 0 && (e->blocked || e->ret >= 0) &&
	    lk_trace_is_pipe(h->t, e->obj))
		latest_add(h, h->posts, e->obj, i);
	if (e->op == LK_OP_SEMOP && e->ret == 0 && !e->blocked && e->obj >= 0 &&
	    (semop_dir(e) & 2))
		latest_add(h, h->posts, e->obj, i);
	if (is_cond_wait(e) && e->u.cond.released && cond_mutex(h->t, e) >= 0)
		latest_add(h, h->posts, e->u.cond.mutex, i);
	if (note_holders(h, i) < 0 || note_write(h, i) < 0)
		return -1;
	return note_locks(h, i);
}

/* A kill (ret 0, a signal, a target) is pending until the target's
 * delivery of that signal; -1 out of memory. */
static int
send(struct hb *h, size_t i, const uint32_t *v)
{
	const struct lk_tev *e = &h->t->ev[i];
	struct kill *k;

	if (e->ret != 0 || e->u.kill.to < 0 || (size_t)e->u.kill.to >= h->n ||
	    e->u.kill.sig <= 0)
		return 0;
	if ((k = vec_push(&h->kills, sizeof(*k))) == NULL)
		return -1;
	k->to = e->u.kill.to;
	k->sig = e->u.kill.sig;
	k->ev = i;
	if ((k->vc = malloc(h->n * sizeof(*v))) == NULL) {
		h->kills.n--;
		return -1;
	}
	memcpy(k->vc, v, h->n * sizeof(*v));
	return 0;
}

/* A delivery joins every kill of its signal to its process not
 * delivered yet (standard signals are not queued: two kills, one
 * delivery), and each is an edge; -1 out of memory. */
static int
deliver(struct hb *h, size_t i, uint32_t *v)
{
	const struct lk_tev *e = &h->t->ev[i];
	struct kill *k = h->kills.v;
	size_t n = 0;
	int rc = 0;

	for (size_t j = 0; j < h->kills.n; j++) {
		if (k[j].to != e->proc || k[j].sig != e->u.signal.sig) {
			k[n++] = k[j];
			continue;
		}
		lk_vc_join(v, k[j].vc, h->n);
		if (h->out != NULL &&
		    edge(h, k[j].ev, i, LK_HB_KILL_SIGNAL, 0, 0, 0) < 0)
			rc = -1;
		free(k[j].vc);
	}
	h->kills.n = n;
	return rc;
}

/* Free what a walk allocated. */
static void
hb_free(struct hb *h)
{
	for (size_t k = 0; k < h->kills.n; k++)
		free(((struct kill *)h->kills.v)[k].vc);
	free(h->kills.v);
	for (size_t o = 0; h->pipes != NULL && o < h->t->nobjs; o++)
		free(h->pipes[o].q.v);
	free(h->pipes);
	free(h->pv);
	free(h->ov);
	free(h->wv);
	free(h->wposts);
	free(h->born);
	free(h->gone);
	free(h->born_ev);
	free(h->gone_ev);
	free(h->posts);
	free(h->ends);
	free(h->pieces);
	free(h->holders.v);
	free(h->undos.v);
	free(h->locks.v);
	free(h->unlocks.v);
}

/* Set up a walk of t, with edges into out unless NULL; -1 memory. */
static int
hb_init(struct hb *h, const struct lk_trace *t, struct vec *out)
{
	size_t n = t->nprocs ? t->nprocs : 1, no = t->nobjs + 1;

	memset(h, 0, sizeof(*h));
	h->t = t;
	h->n = t->nprocs;
	h->out = out;
	h->pv = calloc(n * n, sizeof(*h->pv));
	h->ov = calloc(no * n, sizeof(*h->ov));
	h->wv = calloc(no * n, sizeof(*h->wv));
	h->born = calloc(n * n, sizeof(*h->born));
	h->gone = calloc(n * n, sizeof(*h->gone)); /* clock at exit */
	if (h->pv == NULL || h->ov == NULL || h->wv == NULL ||
	    h->born == NULL || h->gone == NULL)
		return -1;
	if (out == NULL)
		return 0;
	h->born_ev = malloc(n * sizeof(*h->born_ev));
	h->gone_ev = malloc(n * sizeof(*h->gone_ev));
	h->pieces = calloc(n, sizeof(*h->pieces));
	h->posts = malloc(2 * no * sizeof(*h->posts));
	h->ends = malloc(2 * no * sizeof(*h->ends));
	h->wposts = malloc(2 * no * sizeof(*h->wposts));
	h->pipes = calloc(no, sizeof(*h->pipes));
	if (h->born_ev == NULL || h->gone_ev == NULL || h->pieces == NULL ||
	    h->posts == NULL || h->ends == NULL || h->pipes == NULL ||
	    h->wposts == NULL)
		return -1;
	for (size_t p = 0; p < n; p++)
		h->born_ev[p] = h->gone_ev[p] = -1;
	for (size_t o = 0; o < 2 * no; o++)
		h->posts[o] = h->ends[o] = h->wposts[o] = -1;
	return 0;
}

/* A readiness step (LK_OPF_READY: poll, select, epoll) that found
 * descriptors ready acquires the clock of each ready object, as a read
 * does: the data or end of file it saw was written or caused before it.
 * The objects follow the ready descriptors in the event's data, after
 * '|' (interposer/poll.c). No edge is drawn for it. */
static void
ready_acquires(const struct hb *h, const struct lk_tev *e, uint32_t *v)
{
	const struct lk_trace *t = h->t;
	const char *p, *end;

	if (!(lk_op_flags((unsigned)e->op) & LK_OPF_READY) || e->blocked ||
	    e->ret <= 0 || e->data == NULL ||
	    (p = memchr(e->data, '|', e->len)) == NULL)
		return;
	end = e->data + e->len;
	while (++p < end) {
		long obj = 0;

		if (*p < '0' || *p > '9')
			break;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			obj = obj * 10 + (*p - '0');
		if (obj < (long)t->nobjs && lk_trace_is_pipe(t, (int)obj))
			lk_vc_join(v, &h->ov[(size_t)obj * h->n], h->n);
		if (p >= end || *p != ' ')
			break;
	}
}

/*
 * SEM_UNDO: a semop with it makes its set one the process's exit changes;
 * the exit then releases the set's clock (and is the latest to give, for
 * the edges), as a semop that increments. 0, or -1 out of memory.
 */
static int
undo_note(struct hb *h, size_t i, const uint32_t *v)
{
	const struct lk_tev *e = &h->t->ev[i];
	struct undo *u = h->undos.v;

	if (e->op == LK_OP_SEMOP && e->u.semop.undo && e->ret == 0 &&
	    !e->blocked && e->obj >= 0 && (size_t)e->obj < h->t->nobjs) {
		for (size_t k = 0; k < h->undos.n; k++)
			if (u[k].proc == e->proc && u[k].obj == e->obj)
				return 0;
		if ((u = vec_push(&h->undos, sizeof(*u))) == NULL)
			return -1;
		u->proc = e->proc;
		u->obj = e->obj;
		return 0;
	}
	if (e->op != LK_OP_EXIT)
		return 0;
	for (size_t k = 0; k < h->undos.n; k++) {
		if (u[k].proc != e->proc)
			continue;
		lk_vc_join(&h->ov[(size_t)u[k].obj * h->n], v, h->n);
		if (h->out != NULL)
			latest_add(h, h->posts, u[k].obj, i);
	}
	return 0;
}

/*
 * Walk t's events in step order: the clock of each (into pool, nprocs
 * counters an event, unless NULL) and, with h->out, the edges of the
 * joins between processes. 0, or -1 out of memory.
 */
static int
walk(struct hb *h, uint32_t *pool)
{
	const struct lk_trace *t = h->t;
	size_t n = h->n;

	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		uint32_t *v = &h->pv[(size_t)e->proc * n];
		int kind = sync_kind(t, e);
		uint32_t *o = e->obj >= 0 && (size_t)e->obj < t->nobjs
		                      ? &h->ov[(size_t)e->obj * n]
		                      : NULL;

		if (e->op == LK_OP_START) {
			lk_vc_join(v, &h->born[(size_t)e->proc * n], n);
			if (h->out != NULL && h->born_ev[e->proc] >= 0 &&
			    edge(h, (size_t)h->born_ev[e->proc], i,
			         LK_HB_FORK_START, 0, 0, 0) < 0)
				return -1;
		}
		v[e->proc]++;
		/* A read lock acquires the write unlocks only; a barrier's
		 * departure its round's release. */
		if (o != NULL &&
		    (is_rdlock(e) ||
		     (e->op == LK_OP_BARRIER_WAIT && !e->u.barrier.arrive)))
			o = &h->wv[(size_t)e->obj * n];
		if ((kind & 1) && o != NULL) {
			lk_vc_join(v, o, n);
			if (h->out != NULL && acquired(h, i) < 0)
				return -1;
		}
		if ((kind & 2) && o != NULL)
			lk_vc_join(o, v, n);
		if ((kind & 2) && o != NULL && e->op == LK_OP_RWLOCK_UNLOCK &&
		    e->u.rwlock.write)
			lk_vc_join(&h->wv[(size_t)e->obj * n], v, n);
		if (kind == 3 && o != NULL && e->op == LK_OP_BARRIER_WAIT)
			memcpy(&h->wv[(size_t)e->obj * n], v, n * sizeof(*v));
		ready_acquires(h, e, v);
		/* rename and link: the name they read from (arg) too. */
		if (kind != 0 && lk_trace_name_from(t, e) >= 0) {
			uint32_t *from = &h->ov[(size_t)e->u.name.from * n];

			lk_vc_join(v, from, n);
			if (kind & 2)
				lk_vc_join(from, v, n);
		}
		/* kill happens before the delivery of its signal. */
		if (e->op == LK_OP_KILL && send(h, i, v) < 0)
			return -1;
		if (e->op == LK_OP_SIGNAL && deliver(h, i, v) < 0)
			return -1;
		/* An exit closes every end the process held and drops its
		 * record locks. */
		for (size_t k = 0; e->op == LK_OP_EXIT && k < t->nobjs; k++)
			if (exit_joins(t, (int)k))
				lk_vc_join(&h->ov[k * n], v, n);
		if (undo_note(h, i, v) < 0)
			return -1;
		if (born_of(e, n) >= 0)
			memcpy(&h->born[(size_t)born_of(e, n) * n], v,
			       n * sizeof(*v));
		/* Exit happens before the wait that reaps it (and a thread's
		 * end before the join). */
		if (e->op == LK_OP_EXIT || e->op == LK_OP_PTHREAD_EXIT)
			memcpy(&h->gone[(size_t)e->proc * n], v,
			       n * sizeof(*v));
		if (e->op == LK_OP_PTHREAD_JOIN && !e->blocked && e->ret == 0 &&
		    e->u.thread.lane >= 0 && (size_t)e->u.thread.lane < n) {
			lk_vc_join(v, &h->gone[(size_t)e->u.thread.lane * n],
			           n);
			if (h->out != NULL &&
			    h->gone_ev[e->u.thread.lane] >= 0 &&
			    edge(h, (size_t)h->gone_ev[e->u.thread.lane], i,
			         LK_HB_EXIT_WAIT, 0, 0, 0) < 0)
				return -1;
		}
		/* A condition wait lets go of its mutex at its first step
		 * and takes it again at its last. */
		if (is_cond_wait(e) && cond_mutex(t, e) >= 0) {
			uint32_t *m = &h->ov[(size_t)cond_mutex(t, e) * n];

			if (e->u.cond.released)
				lk_vc_join(m, v, n);
			else if (!e->blocked) {
				long src =
				        h->out != NULL
				                ? latest_of(h, h->posts,
				                            cond_mutex(t, e), e)
				                : -1;

				lk_vc_join(v, m, n);
				if (src >= 0 &&
				    edge(h, (size_t)src, i, LK_HB_UNLOCK_LOCK,
				         0, 0, 0) < 0)
					return -1;
			}
		}
		if (e->op == LK_OP_WAIT && !e->blocked && e->ret > 0 &&
		    (size_t)e->ret < n) {
			lk_vc_join(v, &h->gone[(size_t)e->ret * n], n);
			if (h->out != NULL && h->gone_ev[e->ret] >= 0 &&
			    edge(h, (size_t)h->gone_ev[e->ret], i,
			         LK_HB_EXIT_WAIT, 0, 0, 0) < 0)
				return -1;
		}
		if (pool != NULL)
			memcpy(&pool[i * n], v, n * sizeof(*v));
		if (h->out != NULL && note(h, i) < 0)
			return -1;
	}
	return 0;
}

/* Compute every event's vector clock; 0 or -1 (memory). */
int
lk_trace_vclocks(struct lk_trace *t)
{
	size_t n = t->nprocs ? t->nprocs : 1;
	struct hb h;
	int rc = -1;

	free(t->vc_pool);
	t->vc_pool =
	        malloc((t->nevents ? t->nevents : 1) * n * sizeof(uint32_t));
	if (hb_init(&h, t, NULL) == 0 && t->vc_pool != NULL &&
	    walk(&h, t->vc_pool) == 0)
		rc = 0;
	hb_free(&h);
	for (size_t i = 0; i < t->nevents; i++)
		t->ev[i].vc = rc == 0 ? &t->vc_pool[i * n] : NULL;
	return rc;
}

/* The happens-before edges of t between processes (trace.h). */
int
lk_trace_edges(const struct lk_trace *t, struct lk_hb_edge **out, size_t *n)
{
	struct vec edges = {0};
	struct hb h;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (hb_init(&h, t, &edges) == 0 && walk(&h, NULL) == 0)
		rc = 0;
	hb_free(&h);
	if (rc != 0) {
		free(edges.v);
		return -1;
	}
	*out = edges.v;
	*n = edges.n;
	return 0;
}

/* True when event a happens before event b. */
int
lk_trace_hb(const struct lk_trace *t, size_t a, size_t b)
{
	const struct lk_tev *ea = &t->ev[a], *eb = &t->ev[b];

	if (a == b || ea->vc == NULL || eb->vc == NULL)
		return 0;
	return ea->vc[ea->proc] <= eb->vc[ea->proc];
}
