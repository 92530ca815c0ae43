/*
 * The happens-before edges between processes that a diagram draws as
 * arrows: post -> wait, fork -> start, exit -> waitpid, a pipe's write ->
 * the reads that got its bytes, the last release of a pipe's write end ->
 * the read that found the end of file, kill -> the signal's delivery, and
 * the release of a record lock (an unlock, or the exit of a holder) -> the
 * lock it let another process take.
 * Each is found from the trace alone, walking the events in step order;
 * those that need a witness (post -> wait, end of file) take one that
 * happens before the target by the vector clocks.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/stop.h"
#include "viz.h"

/*
 * The kinds of cross-process edges, at the index enum lk__viz_kind gives
 * them. To add one, add a row here, its colours to render.c's palettes,
 * and its finder to finders[] below, all at the same index.
 */
const struct lk__viz_edge_kind lk__viz_edge_kinds[] = {
        [LK__VIZ_POST_WAIT] = {"post-wait", "#4477AA", "solid", "normal",
                               "post \xe2\x86\x92 wait: happens before"},
        [LK__VIZ_FORK_START] = {"fork-start", "#228833", "bold", "empty",
                                "fork \xe2\x86\x92 child starts"},
        [LK__VIZ_EXIT_WAIT] = {"exit-wait", "#AA3377", "dashed", "normal",
                               "exit \xe2\x86\x92 the wait that reaps it"},
        [LK__VIZ_WRITE_READ] = {"write-read", "#EE7733", "solid", "vee",
                                "write \xe2\x86\x92 the read that got its "
                                "bytes (a pipe: a double line)"},
        [LK__VIZ_CLOSE_EOF] = {"close-eof", "#EE7733", "dashed", "vee",
                               "last write end closed (or exited) "
                               "\xe2\x86\x92 read gets EOF"},
        [LK__VIZ_KILL_SIGNAL] = {"kill-signal", "#009988", "dotted", "veevee",
                                 "kill \xe2\x86\x92 the signal's delivery "
                                 "(not queued: two kills, one delivery)"},
        [LK__VIZ_UNLOCK_LOCK] = {"unlock-lock", "#999933", "solid", "box",
                                 "unlock (or exit) \xe2\x86\x92 the lock "
                                 "it let another process take"},
};
const size_t lk__viz_nedge_kinds =
        sizeof(lk__viz_edge_kinds) / sizeof(lk__viz_edge_kinds[0]);

/* A growing array of n elements of size bytes, cap of them allocated. */
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
	unsigned proc;
	int obj, fd;
};

/* A kill not delivered yet. */
struct pending {
	int to;
	long long sig;
	size_t ev;
};

/* A record lock a process holds, or held last, on an object. */
struct lockhold {
	unsigned proc;
	int obj;
	char kind;            /* 'r' or 'w' */
	int held;             /* not released yet */
	long granted;         /* the event that granted it last */
	long long start, len; /* its bytes, as fcntl says them */
};

/* The release of a record lock: an unlock, or the exit of its holder. */
struct release {
	size_t ev;
	int obj;
	char kind;            /* of the lock let go: 'r', 'w', 0 unknown */
	long long start, len; /* the bytes let go */
};

/* One source found for an event: the edge's tail and, for a pipe, the
 * bytes of the read it carried. */
struct source {
	size_t ev;
	long off, len;
	int part;
};

/*
 * Events of one kind (posts, releases of a pipe's write end) by object and
 * process, to find the latest one on an object, by another process, that
 * happens before an event f without walking them all: a process's own
 * counter only grows along its events, so those of its events that happen
 * before f are a prefix of its list, found by binary search on f's clock
 * entry for it. Only the processes in f's clock are looked at, which the
 * trace paid for in reading f. Events whose own counter is 0 (only a
 * crafted trace has them) happen before anything: the latest two by
 * different processes are kept per object.
 */
struct witnesses {
	struct wslot *map; /* open addressing, (obj, proc) -> list */
	size_t cap, n;
	struct vec lists; /* of struct vec (size_t) */
	long *zero;       /* per object: latest two, [2 * obj], [2 * obj + 1] */
};

/* One entry of the map: key is (obj, proc) + 1, 0 an empty slot. */
struct wslot {
	uint64_t key;
	size_t list;
};

/* Spread a key over cap slots. */
static size_t
wslot_of(uint64_t x, size_t cap)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)(x % cap);
}

/* The list of (obj, proc), or NULL; with create, made if missing (NULL
 * then means out of memory). */
static struct vec *
wit_list(struct witnesses *w, int obj, unsigned proc, int create)
{
	uint64_t key = ((uint64_t)(unsigned)obj << 32 | proc) + 1;
	size_t i;

	if (create && (w->n + 1) * 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct wslot *m = calloc(cap, sizeof(*m));

		if (m == NULL)
			return NULL;
		for (size_t j = 0; j < w->cap; j++) {
			if (w->map[j].key == 0)
				continue;
			for (i = wslot_of(w->map[j].key, cap); m[i].key != 0;
			     i = (i + 1) % cap)
				;
			m[i] = w->map[j];
		}
		free(w->map);
		w->map = m;
		w->cap = cap;
	}
	if (w->cap == 0)
		return NULL;
	for (i = wslot_of(key, w->cap); w->map[i].key != 0;
	     i = (i + 1) % w->cap)
		if (w->map[i].key == key)
			return (struct vec *)w->lists.v + w->map[i].list;
	if (!create || vec_push(&w->lists, sizeof(struct vec)) == NULL)
		return NULL;
	w->map[i].key = key;
	w->map[i].list = w->lists.n - 1;
	w->n++;
	memset((struct vec *)w->lists.v + w->lists.n - 1, 0,
	       sizeof(struct vec));
	return (struct vec *)w->lists.v + w->lists.n - 1;
}

/* Remember event ev, on obj; -1 out of memory. */
static int
wit_add(struct witnesses *w, const struct lk_viz_trace *t, int obj, size_t ev)
{
	const struct lk__viz_event *e = &t->ev[ev];
	long *z = &w->zero[2 * (size_t)obj];
	struct vec *l;
	size_t *slot;

	if (e->own == 0) {
		if (z[0] < 0 || t->ev[z[0]].proc != e->proc)
			z[1] = z[0];
		z[0] = (long)ev;
		return 0;
	}
	if ((l = wit_list(w, obj, e->proc, 1)) == NULL ||
	    (slot = vec_push(l, sizeof(*slot))) == NULL)
		return -1;
	*slot = ev;
	return 0;
}

/* The latest event remembered on obj, by another process than f's, that
 * happens before f; -1 none. */
static long
wit_latest(struct witnesses *w, const struct lk_viz_trace *t, int obj,
           const struct lk__viz_event *f)
{
	const long *z = &w->zero[2 * (size_t)obj];
	long best = z[0] >= 0 && t->ev[z[0]].proc != f->proc ? z[0] : z[1];

	for (unsigned k = 0; k < f->nvc; k++) {
		const struct vec *l;
		const size_t *v;
		size_t lo = 0, hi;

		if (f->vc[k].proc == f->proc ||
		    (l = wit_list(w, obj, f->vc[k].proc, 0)) == NULL)
			continue;
		v = l->v;
		hi = l->n;
		/* The first whose own counter is past f's entry. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t->ev[v[mid]].own <= f->vc[k].n)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && (long)v[lo - 1] > best &&
		    lk__viz_hb(&t->ev[v[lo - 1]], f))
			best = (long)v[lo - 1];
	}
	return best;
}

/* Make w for nobjs objects; -1 out of memory. */
static int
wit_init(struct witnesses *w, size_t nobjs)
{
	memset(w, 0, sizeof(*w));
	w->zero = malloc(2 * (nobjs + 1) * sizeof(*w->zero));
	if (w->zero == NULL)
		return -1;
	for (size_t i = 0; i < 2 * (nobjs + 1); i++)
		w->zero[i] = -1;
	return 0;
}

/* Free w. */
static void
wit_free(struct witnesses *w)
{
	for (size_t i = 0; i < w->lists.n; i++)
		free(((struct vec *)w->lists.v)[i].v);
	free(w->lists.v);
	free(w->map);
	free(w->zero);
}

/* What the edge finders remember of the events seen so far. */
struct finder {
	struct witnesses posts; /* successful posts */
	long *fork_of;          /* per process: the fork that made it, or -1 */
	long *exit_of;          /* per process: its exit, or -1 */
	struct pipeq *pipes;    /* per object: what is in it, if a pipe */
	struct witnesses releases; /* write ends let go */
	long *pieces;              /* per process: bytes of its pieces so far */
	struct vec holders;        /* of struct holder */
	struct vec kills;          /* of struct pending */
	struct vec locks;          /* of struct lockhold */
	struct vec unlocks;        /* of struct release, in step order */
	struct vec found;          /* of struct source: for the current event */
};

/* Event e happens before f by the vector clock rule. */
int
lk__viz_hb(const struct lk__viz_event *e, const struct lk__viz_event *f)
{
	unsigned lo = 0, hi = f->nvc;

	/* f.vc[e.proc], by binary search: entries are sorted by proc. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (f->vc[mid].proc == e->proc)
			return e->own <= f->vc[mid].n;
		if (f->vc[mid].proc < e->proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return e->own == 0;
}

/* Whether e's data holds its bytes as they were; *len how many. */
int
lk__viz_exact(const struct lk__viz_event *e, size_t *len)
{
	size_t n = e->data != NULL ? strlen(e->data) : 0;

	*len = 0;
	/* Bytes that are not UTF-8 became U+FFFD; a NUL ends the string. */
	if (e->data == NULL || strstr(e->data, "\xef\xbf\xbd") != NULL ||
	    e->ret < 0 || (n < 256 && (long)n != e->ret) || (long)n > e->ret)
		return 0;
	*len = n;
	return 1;
}

/* Add a source for the current event; -1 out of memory. */
static int
found(struct finder *fd, size_t ev, long off, long len, int part)
{
	struct source *s = vec_push(&fd->found, sizeof(*s));

	if (s == NULL)
		return -1;
	s->ev = ev;
	s->off = off;
	s->len = len;
	s->part = part;
	return 0;
}

/* A successful wait of any kind: it consumed a post. */
static int
is_wait(const struct lk__viz_event *e)
{
	return (e->op == LK__VIZ_SEM_WAIT || e->op == LK__VIZ_SEM_TRYWAIT ||
	        e->op == LK__VIZ_SEM_TIMEDWAIT) &&
	       !e->blocked && e->ret == 0 && e->obj >= 0;
}

/* A call on a pipe or a FIFO that did not block. */
static int
on_pipe(const struct lk_viz_trace *t, const struct lk__viz_event *e, int op)
{
	return e->op == op && e->obj >= 0 && t->pipe[e->obj];
}

/*
 * Post -> wait: the source of a successful wait on O by Q is the most
 * recent post on O (by step) by another process that happens before the
 * wait. This is a witness, not necessarily the post the wait consumed:
 * a semaphore joins every post's clock, so each drawn arrow is a true
 * happens-before relation, and each wait gets at most one arrow.
 */
static int
post_wait(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *f = &t->ev[i];
	long post;

	if (!is_wait(f))
		return 0;
	post = wit_latest(&fd->posts, t, f->obj, f);
	return post >= 0 ? found(fd, (size_t)post, 0, 0, 0) : 0;
}

/* Fork -> start: a child's first step comes from the fork that made it
 * (in another process: a trace may say a process forked itself). */
static int
fork_start(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	long src = fd->fork_of[t->ev[i].proc];

	if (t->ev[i].op != LK__VIZ_START || src < 0 ||
	    t->ev[src].proc == t->ev[i].proc)
		return 0;
	return found(fd, (size_t)src, 0, 0, 0);
}

/* Exit -> wait: a wait that reaped a child comes from the child's exit
 * (another process's: a trace may say a process reaped itself). */
static int
exit_wait(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];

	if (e->op != LK__VIZ_WAIT || e->blocked || e->peer < 0 ||
	    e->peer == (int)e->proc || fd->exit_of[e->peer] < 0)
		return 0;
	return found(fd, (size_t)fd->exit_of[e->peer], 0, 0, 0);
}

/*
 * Whether n bytes of write w from its data offset woff can be the bytes
 * of read r from roff: compared where both events hold them exactly. A
 * pipe also carries bytes the trace does not show (stdio's own writes
 * are not steps), and then the queue no longer matches the reads.
 */
static int
same_bytes(const struct lk__viz_event *w, long woff,
           const struct lk__viz_event *r, long roff, long n)
{
	size_t wn, rn;

	if (!lk__viz_exact(w, &wn) || !lk__viz_exact(r, &rn))
		return 1;
	for (long k = 0; k < n; k++)
		if ((size_t)(woff + k) < wn && (size_t)(roff + k) < rn &&
		    w->data[woff + k] != r->data[roff + k])
			return 0;
	return 1;
}

/*
 * Write -> read: a pipe is a queue of bytes, so a read of n bytes takes
 * the n at the head, from one write or several, and gets an arrow from
 * each write it took bytes of (in another process). When the bytes the
 * trace shows disagree, the queue has lost track: it is emptied rather
 * than draw an arrow for bytes that did not travel along it.
 */
static int
write_read(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *r = &t->ev[i];
	struct pipeq *p;
	long got = 0;

	if (!on_pipe(t, r, LK__VIZ_READ) || r->blocked || r->ret <= 0)
		return 0;
	p = &fd->pipes[r->obj];
	while (got < r->ret && p->head < p->q.n) {
		struct chunk *c = (struct chunk *)p->q.v + p->head;
		const struct lk__viz_event *w = &t->ev[c->ev];
		long n = c->left < r->ret - got ? c->left : r->ret - got;

		if (!same_bytes(w, c->off, r, got, n)) {
			p->head = p->q.n = 0;
			break;
		}
		if (w->proc != r->proc &&
		    found(fd, c->ev, got, n, n < c->total) < 0)
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

/*
 * Close -> end of file: a read that returned 0 waited for every write end
 * to go. Its source is the last event of another process that let one go
 * (a close of a write end, or the exit of a process that still held one)
 * and happens before the read: the reader's own closes are on its own
 * lifeline already.
 */
static int
close_eof(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *r = &t->ev[i];
	long rel;

	if (!on_pipe(t, r, LK__VIZ_READ) || r->blocked || r->ret != 0)
		return 0;
	rel = wit_latest(&fd->releases, t, r->obj, r);
	return rel >= 0 ? found(fd, (size_t)rel, 0, 0, 0) : 0;
}

/*
 * Kill -> signal: a delivery comes from every kill of that signal to its
 * process not delivered yet. Standard signals are not queued, so two
 * kills before one delivery both point to it.
 */
static int
kill_signal(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	struct pending *k = fd->kills.v;
	size_t n = 0;

	if (e->op != LK__VIZ_SIGNAL || !e->has_arg)
		return 0;
	for (size_t j = 0; j < fd->kills.n; j++) {
		if (k[j].to != (int)e->proc || k[j].sig != e->arg) {
			k[n++] = k[j];
			continue;
		}
		if (t->ev[k[j].ev].proc != e->proc &&
		    found(fd, k[j].ev, 0, 0, 0) < 0)
			return -1;
	}
	fd->kills.n = n;
	return 0;
}

/* A granted read or write lock (not a query, not an unlock). */
static int
is_lock(const struct lk__viz_event *e)
{
	return e->op == LK__VIZ_LOCK && !e->blocked && e->ret == 0 &&
	       !e->getlk && e->obj >= 0 && (e->lock == 'r' || e->lock == 'w');
}

/* The lock process proc holds or held last on obj, or NULL. */
static struct lockhold *
lock_of(struct finder *fd, unsigned proc, int obj)
{
	struct lockhold *h = fd->locks.v;

	for (size_t k = 0; k < fd->locks.n; k++)
		if (h[k].proc == proc && h[k].obj == obj)
			return &h[k];
	return NULL;
}

/* a + b, held at LLONG_MIN or LLONG_MAX where it would overflow (a
 * trace's numbers are not checked against what fcntl accepts). */
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

/* Whether a release of kind a over [start, start+len) can have kept a
 * lock of kind b over f's bytes from being granted. */
static int
conflicts(const struct release *r, const struct lk__viz_event *f)
{
	long long alo, ahi, blo, bhi;

	if (r->kind == 'r' && f->lock == 'r')
		return 0; /* read locks share */
	lock_range(r->start, r->len, &alo, &ahi);
	lock_range(f->lstart, f->llen, &blo, &bhi);
	return alo < bhi && blo < ahi;
}

/*
 * Unlock -> lock: the source of a granted lock on O by Q is the most
 * recent release of a lock on O by another process (an unlock, or the
 * exit of a process that still held one) that conflicts with it and
 * happens before it; one from before Q's previous lock on O let that
 * lock through, not this one. Like post -> wait, a witness: every arrow drawn
 * is a true happens-before relation.
 */
static int
unlock_lock(struct finder *fd, struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *f = &t->ev[i];
	const struct release *r = fd->unlocks.v;
	const struct lockhold *mine;
	long before = -1;

	if (!is_lock(f))
		return 0;
	if ((mine = lock_of(fd, f->proc, f->obj)) != NULL)
		before = mine->granted;
	for (size_t k = fd->unlocks.n; k-- > 0;) {
		const struct lk__viz_event *e = &t->ev[r[k].ev];

		if ((long)r[k].ev < before)
			break;
		if (r[k].obj != f->obj || e->proc == f->proc ||
		    !conflicts(&r[k], f))
			continue;
		if (lk__viz_hb(e, f))
			return found(fd, r[k].ev, 0, 0, 0);
	}
	return 0;
}

/* Add a release of h's lock at event ev (over h's bytes unless the
 * unlock u says others); -1 out of memory. */
static int
release(struct finder *fd, size_t ev, int obj, const struct lockhold *h,
        const struct lk__viz_event *u)
{
	struct release *r = vec_push(&fd->unlocks, sizeof(*r));

	if (r == NULL)
		return -1;
	r->ev = ev;
	r->obj = obj;
	r->kind = h != NULL && h->held ? h->kind : 0;
	r->start = u != NULL ? u->lstart : h->start;
	r->len = u != NULL ? u->llen : h->len;
	return 0;
}

/*
 * Follow the record locks: a granted lock is held by its process until
 * its unlock, or its exit (the kernel lets go of a process's locks when
 * it ends); both are releases the next lock may come from.
 */
static int
note_locks(struct finder *fd, const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	struct lockhold *h;

	if (e->op == LK__VIZ_EXIT) {
		h = fd->locks.v;
		for (size_t k = 0; k < fd->locks.n; k++) {
			if (h[k].proc != e->proc || !h[k].held)
				continue;
			if (release(fd, i, h[k].obj, &h[k], NULL) < 0)
				return -1;
			h[k].held = 0;
		}
		return 0;
	}
	if (e->op != LK__VIZ_LOCK || e->blocked || e->ret != 0 || e->getlk ||
	    e->obj < 0)
		return 0;
	h = lock_of(fd, e->proc, e->obj);
	if (e->lock == 'u') {
		if (release(fd, i, e->obj, h, e) < 0)
			return -1;
		if (h != NULL)
			h->held = 0;
		return 0;
	}
	if (!is_lock(e))
		return 0;
	if (h == NULL && (h = vec_push(&fd->locks, sizeof(*h))) == NULL)
		return -1;
	h->proc = e->proc;
	h->obj = e->obj;
	h->kind = e->lock;
	h->held = 1;
	h->granted = (long)i;
	h->start = e->lstart;
	h->len = e->llen;
	return 0;
}

/* The finders, at the index of their kind in lk__viz_edge_kinds. */
static int (*const finders[])(struct finder *, struct lk_viz_trace *,
                              size_t) = {
        [LK__VIZ_POST_WAIT] = post_wait,
        [LK__VIZ_FORK_START] = fork_start,
        [LK__VIZ_EXIT_WAIT] = exit_wait,
        [LK__VIZ_WRITE_READ] = write_read,
        [LK__VIZ_CLOSE_EOF] = close_eof,
        [LK__VIZ_KILL_SIGNAL] = kill_signal,
        [LK__VIZ_UNLOCK_LOCK] = unlock_lock,
};

/* Remember that fd of process proc holds obj's write end (once). */
static int
hold(struct finder *fd, unsigned proc, int obj, int d)
{
	struct holder *h = fd->holders.v;

	for (size_t k = 0; k < fd->holders.n; k++)
		if (h[k].proc == proc && h[k].obj == obj && h[k].fd == d)
			return 0;
	if ((h = vec_push(&fd->holders, sizeof(*h))) == NULL)
		return -1;
	h->proc = proc;
	h->obj = obj;
	h->fd = d;
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
note_holders(struct finder *fd, const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	struct holder *h = fd->holders.v;
	size_t n = 0, had = fd->holders.n;

	if ((on_pipe(t, e, LK__VIZ_WRITE) && e->ret > 0) ||
	    (on_pipe(t, e, LK__VIZ_DUP2) && e->end == 'w' && e->ret >= 0))
		return e->fd >= 0 ? hold(fd, e->proc, e->obj, e->fd) : 0;
	if (e->op == LK__VIZ_FORK && e->peer >= 0 && e->ret >= 0) {
		for (size_t k = 0; k < had; k++) {
			struct holder parent =
			        ((struct holder *)fd->holders.v)[k];

			if (parent.proc == e->proc &&
			    hold(fd, (unsigned)e->peer, parent.obj, parent.fd) <
			            0)
				return -1;
		}
		return 0;
	}
	if (on_pipe(t, e, LK__VIZ_CLOSE) && e->end == 'w' && e->ret == 0 &&
	    wit_add(&fd->releases, t, e->obj, i) < 0)
		return -1;
	if (e->op != LK__VIZ_EXIT && !on_pipe(t, e, LK__VIZ_CLOSE))
		return 0;
	for (size_t k = 0; k < had; k++) {
		int gone = h[k].proc == e->proc &&
		           (e->op == LK__VIZ_EXIT ||
		            (h[k].obj == e->obj && h[k].fd == e->fd));

		if (gone && e->op == LK__VIZ_EXIT &&
		    wit_add(&fd->releases, t, h[k].obj, i) < 0)
			return -1;
		if (!gone)
			h[n++] = h[k];
	}
	fd->holders.n = n;
	return 0;
}

/*
 * Put the bytes of pipe write i in its pipe's queue. A write too large
 * for the pipe goes in pieces: each piece that went in before the writer
 * had to wait is a blocked step with those bytes, and the last step of
 * the call counts all of them again, so only the rest is new.
 */
static int
note_write(struct finder *fd, const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	long *pieces = &fd->pieces[e->proc], n = e->ret, off = 0;
	struct chunk *c;

	if (!on_pipe(t, e, LK__VIZ_WRITE))
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
	if ((c = vec_push(&fd->pipes[e->obj].q, sizeof(*c))) == NULL)
		return -1;
	c->ev = i;
	c->left = c->total = n;
	c->off = e->blocked ? 0 : off;
	return 0;
}

/* Remember event i for the finders of later events; -1 out of memory. */
static int
note(struct finder *fd, const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	struct pending *k;

	if (e->op == LK__VIZ_FORK && e->peer >= 0 && e->ret >= 0)
		fd->fork_of[e->peer] = (long)i;
	if (e->op == LK__VIZ_EXIT)
		fd->exit_of[e->proc] = (long)i;
	if (e->op == LK__VIZ_KILL && e->ret == 0 && e->peer >= 0 &&
	    e->has_arg && e->arg > 0) {
		if ((k = vec_push(&fd->kills, sizeof(*k))) == NULL)
			return -1;
		k->to = e->peer;
		k->sig = e->arg;
		k->ev = i;
	}
	if (note_holders(fd, t, i) < 0 || note_write(fd, t, i) < 0 ||
	    note_locks(fd, t, i) < 0)
		return -1;
	if (e->op != LK__VIZ_SEM_POST || e->ret != 0 || e->obj < 0)
		return 0;
	return wit_add(&fd->posts, t, e->obj, i);
}

/* Add the edge from -> to of kind to t; -1 out of memory. */
static int
add_edge(struct lk_viz_trace *t, size_t *cap, const struct source *s, size_t to,
         unsigned kind)
{
	if (t->nedges == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct lk__viz_edge *v = realloc(t->edges, n * sizeof(*v));

		if (v == NULL)
			return -1;
		t->edges = v;
		*cap = n;
	}
	t->edges[t->nedges].from = s->ev;
	t->edges[t->nedges].to = to;
	t->edges[t->nedges].kind = kind;
	t->edges[t->nedges].off = s->off;
	t->edges[t->nedges].part = s->part;
	t->edges[t->nedges++].len = s->len;
	return 0;
}

/* Free what the finders remembered. */
static void
finder_free(struct finder *fd, size_t nobjs)
{
	for (size_t o = 0; fd->pipes != NULL && o < nobjs; o++)
		free(fd->pipes[o].q.v);
	wit_free(&fd->posts);
	wit_free(&fd->releases);
	free(fd->pipes);
	free(fd->fork_of);
	free(fd->exit_of);
	free(fd->pieces);
	free(fd->holders.v);
	free(fd->kills.v);
	free(fd->locks.v);
	free(fd->unlocks.v);
	free(fd->found.v);
}

/* Find t's happens-before edges; 0, or -1 out of memory. */
int
lk__viz_find_edges(struct lk_viz_trace *t, struct lk_err *err)
{
	struct finder fd = {0};
	size_t cap = 0, no = t->nobjs + 1, np = t->nprocs + 1;
	int rc = -1, wp = wit_init(&fd.posts, no),
	    wr = wit_init(&fd.releases, no);

	fd.pipes = calloc(no, sizeof(*fd.pipes));
	fd.fork_of = malloc(np * sizeof(*fd.fork_of));
	fd.exit_of = malloc(np * sizeof(*fd.exit_of));
	fd.pieces = calloc(np, sizeof(*fd.pieces));
	if (wp != 0 || wr != 0 || !fd.pipes || !fd.fork_of || !fd.exit_of ||
	    !fd.pieces)
		goto out;
	for (size_t p = 0; p < t->nprocs; p++)
		fd.fork_of[p] = fd.exit_of[p] = -1;
	for (size_t i = 0; i < t->nev; i++) {
		if (i % LK_STOP_EVERY == LK_STOP_EVERY - 1 &&
		    lk_stop_requested()) {
			lk_err_set(err, 128 + lk_stop_requested(),
			           "%s: interrupted", t->path);
			rc = -2;
			goto out;
		}
		for (unsigned k = 0; k < lk__viz_nedge_kinds; k++) {
			fd.found.n = 0;
			if (finders[k](&fd, t, i) < 0)
				goto out;
			for (size_t s = 0; s < fd.found.n; s++)
				if (add_edge(t, &cap,
				             (struct source *)fd.found.v + s, i,
				             k) < 0)
					goto out;
		}
		if (note(&fd, t, i) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", t->path);
	finder_free(&fd, t->nobjs);
	return rc;
}
