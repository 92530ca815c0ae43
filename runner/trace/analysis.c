/* Deadlock explanations: the wait-for graph of a stuck run. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/analysis.h"

/* Does a <semop>'s operation text ("0:-1 1:1") add to a semaphore? */
static int
gives(const char *ops)
{
	for (const char *p = ops; p != NULL && (p = strchr(p, ':')) != NULL;
	     p++)
		if (p[1] != '-' && p[1] != '0')
			return 1;
	return 0;
}

/* Mark in releasers the objects posted by an action list of process p. */
static void
scan_posts(const struct lk_sc_action *a, size_t n, int p, uint64_t *rel,
           size_t nobjs)
{
	for (size_t i = 0; i < n; i++) {
		if ((a[i].kind == LK_ACT_POST ||
		     (a[i].kind == LK_ACT_SEMOP && gives(a[i].text))) &&
		    a[i].obj >= 0 && (size_t)a[i].obj < nobjs)
			rel[a[i].obj] |= 1ull << p;
		if (a[i].kind == LK_ACT_REPEAT)
			scan_posts(a[i].body, a[i].nbody, p, rel, nobjs);
	}
}

/* Who could release each object (see analysis.h). */
void
lk_releasers(const struct lk_trace *t, const struct lk_scenario *sc,
             uint64_t *rel)
{
	memset(rel, 0, t->nobjs * sizeof(*rel));
	for (size_t p = 0; sc != NULL && p < sc->nprocs && p < t->nprocs; p++)
		scan_posts(sc->procs[p].actions, sc->procs[p].nactions, (int)p,
		           rel, t->nobjs);
	for (size_t i = 0; i < t->nevents; i++)
		if ((t->ev[i].op == LK_OP_SEM_POST ||
		     t->ev[i].op == LK_OP_COND_SIGNAL ||
		     t->ev[i].op == LK_OP_COND_BROADCAST ||
		     (t->ev[i].op == LK_OP_SEMOP && t->ev[i].data != NULL &&
		      strchr(t->ev[i].data, '+') != NULL)) &&
		    t->ev[i].obj >= 0)
			rel[t->ev[i].obj] |= 1ull << t->ev[i].proc;
}

/* Does pending operation op put bytes into a pipe or a socket? */
static int
is_send(int op)
{
	return op == LK_OP_WRITE || op == LK_OP_SEND;
}

/* For objects nobody is known to post (a program, not a scenario): who
 * could, because it has the object: it used it, or was forked by a
 * process that had it. Bit p of could[obj]. */
static void
holders(const struct lk_trace *t, const uint64_t *rel, uint64_t *could)
{
	memset(could, 0, t->nobjs * sizeof(*could));
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];

		if (e->obj >= 0 && (size_t)e->obj < t->nobjs &&
		    rel[e->obj] == 0)
			could[e->obj] |= 1ull << e->proc;
		if (e->op == LK_OP_FORK && e->ret > 0 && e->u.fork.child < 64)
			for (size_t o = 0; o < t->nobjs; o++)
				if (could[o] & (1ull << e->proc))
					could[o] |= 1ull << e->u.fork.child;
		/* A thread shares its process's objects: any of them. */
		if (e->op == LK_OP_PTHREAD_CREATE && e->ret == 0 &&
		    e->u.thread.lane >= 0 && e->u.thread.lane < 64)
			for (size_t o = 0; o < t->nobjs; o++)
				if (could[o] & (1ull << e->proc))
					could[o] |= 1ull << e->u.thread.lane;
	}
}

/* Depth-first search for a cycle through p over the wait-for masks
 * (bit q of could[p]: q could let p go on); 1 when found. */
static int
dfs(size_t n, int p, const uint64_t *could, const int *exited, int *color,
    int *next)
{
	color[p] = 1;
	for (size_t q = 0; q < n; q++) {
		if (!(could[p] & (1ull << q)) || exited[q] || (int)q == p)
			continue;
		next[p] = (int)q;
		if (color[q] == 1)
			return 1;
		if (color[q] == 0 && dfs(n, (int)q, could, exited, color, next))
			return 1;
	}
	color[p] = 2;
	return 0;
}

/* A cycle in the wait-for masks, into cycle[]; its length or 0. */
static size_t
find_cycle(size_t nprocs, const uint64_t *could, const int *exited, int *cycle)
{
	int color[LK_MAX_PROCS] = {0}, next[LK_MAX_PROCS];

	for (size_t s = 0; s < nprocs; s++) {
		if (color[s] != 0 || could[s] == 0)
			continue;
		if (!dfs(nprocs, (int)s, could, exited, color, next))
			continue;
		/* The back edge closes on a grey node: walk from it. */
		for (size_t p = 0; p < nprocs; p++) {
			size_t len = 0;
			int q = (int)p;

			if (color[p] != 1)
				continue;
			do {
				cycle[len++] = q;
				q = next[q];
			} while (q != (int)p && len < nprocs && color[q] == 1);
			if (q == (int)p) {
				cycle[len] = (int)p;
				return len;
			}
		}
	}
	return 0;
}

/* Find a wait-for cycle (see analysis.h). */
size_t
lk_find_cycle(size_t nprocs, const int *waits, const uint64_t *rel,
              const int *exited, int *cycle)
{
	uint64_t could[LK_MAX_PROCS] = {0};

	for (size_t p = 0; p < nprocs && p < LK_MAX_PROCS; p++)
		if (waits[p] >= 0)
			could[p] = rel[waits[p]];
	return find_cycle(nprocs, could, exited, cycle);
}

/* Append printf-style text to buf. */
static void append(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= size - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Is process p waiting for a record lock? */
static int
is_lock(const struct lk_trace *t, size_t p)
{
	int o = t->procs[p].blocked_on;

	return o >= 0 && (size_t)o < t->nobjs &&
	       t->objs[o].type == LK_OT_FILE &&
	       (lk_op_flags((unsigned)t->procs[p].pending_op) & LK_OPF_LOCK);
}

/* The children process p waits for in waitpid (bits). */
static uint64_t
awaited_children(const struct lk_trace *t, size_t p)
{
	uint64_t m = 0;

	for (size_t q = 0; q < t->nprocs; q++)
		if (t->procs[q].parent == (int)p && !t->procs[q].exited &&
		    (t->procs[p].wait_for < 0 ||
		     t->procs[p].wait_for == (int)q))
			m |= 1ull << q;
	return m;
}

/* Is o a mutex? */
static int
is_mutex(const struct lk_trace *t, int o)
{
	return o >= 0 && (size_t)o < t->nobjs && t->objs[o].type == LK_OT_MUTEX;
}

/* The lane that holds mutex o at the end of the trace, or -1: the last
 * lock it took and did not let go of (a recursive lock counted). */
static int
mutex_owner(const struct lk_trace *t, int o)
{
	int owner = -1, depth = 0;

	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		int cw = e->op == LK_OP_COND_WAIT ||
		         e->op == LK_OP_COND_TIMEDWAIT;

		if (cw && e->u.cond.mutex == o) {
			/* The wait lets go of the mutex, its end takes it. */
			if (e->u.cond.released || !e->blocked) {
				owner = e->u.cond.released ? -1 : e->proc;
				depth = e->u.cond.released ? 0 : 1;
			}
		} else if (e->obj != o || e->blocked || e->ret != 0) {
			continue;
		} else if (e->op == LK_OP_MUTEX_LOCK ||
		           e->op == LK_OP_MUTEX_TRYLOCK ||
		           e->op == LK_OP_MUTEX_TIMEDLOCK) {
			owner = e->proc;
			depth++;
		} else if (e->op == LK_OP_MUTEX_UNLOCK && --depth <= 0) {
			owner = -1;
			depth = 0;
		}
	}
	return owner;
}

/* Is o a read-write lock (LK_OT_RWLOCK) or a spinlock (LK_OT_SPIN)? */
static int
is_type(const struct lk_trace *t, int o, unsigned type)
{
	return o >= 0 && (size_t)o < t->nobjs && t->objs[o].type == type;
}

/* Who holds read-write lock o at the end of the trace: the lane that
 * holds its write lock (or -1), and the lanes that hold read locks
 * (bits, *readers). */
static int
rwlock_holders(const struct lk_trace *t, int o, uint64_t *readers)
{
	int writer = -1, count[LK_MAX_PROCS] = {0};

	*readers = 0;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];

		if (e->obj != o || e->blocked || e->ret != 0 ||
		    e->proc >= LK_MAX_PROCS)
			continue;
		if (e->op == LK_OP_RWLOCK_UNLOCK && e->u.rwlock.write)
			writer = -1;
		else if (e->op == LK_OP_RWLOCK_UNLOCK && count[e->proc] > 0)
			count[e->proc]--;
		else if (e->op == LK_OP_RWLOCK_WRLOCK ||
		         e->op == LK_OP_RWLOCK_TRYWRLOCK ||
		         e->op == LK_OP_RWLOCK_TIMEDWRLOCK)
			writer = e->proc;
		else if (e->op == LK_OP_RWLOCK_RDLOCK ||
		         e->op == LK_OP_RWLOCK_TRYRDLOCK ||
		         e->op == LK_OP_RWLOCK_TIMEDRDLOCK)
			count[e->proc]++;
	}
	for (size_t q = 0; q < t->nprocs && q < LK_MAX_PROCS; q++)
		if (count[q] > 0)
			*readers |= 1ull << q;
	return writer;
}

/* The lane that holds spinlock o at the end of the trace, or -1. */
static int
spin_owner(const struct lk_trace *t, int o)
{
	int owner = -1;

	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];

		if (e->obj != o || e->blocked || e->ret != 0)
			continue;
		if (e->op == LK_OP_SPIN_LOCK || e->op == LK_OP_SPIN_TRYLOCK)
			owner = e->proc;
		else if (e->op == LK_OP_SPIN_UNLOCK)
			owner = -1;
	}
	return owner;
}

/* The lanes that hold rwlock o, in either mode (bits). */
static uint64_t
held_by(const struct lk_trace *t, int o)
{
	uint64_t readers;
	int writer = rwlock_holders(t, o, &readers);

	return writer >= 0 ? 1ull << writer : readers;
}

static void append_names(char *buf, size_t size, const struct lk_trace *t,
                         uint64_t m, size_t p);

/* What process p waits for, in words ("wc to exit", "b_arrived (0)"). */
static void
waits_for(const struct lk_trace *t, size_t p, char *buf, size_t size)
{
	const struct lk_tproc *pr = &t->procs[p];
	int o = pr->blocked_on, k = 0;

	buf[0] = '\0';
	if (o == LK_WAIT_SIGNAL) {
		append(buf, size, "a signal");
	} else if (o == LK_WAIT_THREAD) {
		append(buf, size, "%s to end",
		       pr->wait_for >= 0 && (size_t)pr->wait_for < t->nprocs
		               ? lk_trace_proc_label(t, pr->wait_for)
		               : "a thread");
	} else if (is_mutex(t, o)) {
		int owner = mutex_owner(t, o);

		append(buf, size, "mutex %s", t->objs[o].name);
		if (owner >= 0)
			append(buf, size, ", held by %s%s",
			       lk_trace_proc_label(t, owner),
			       owner == (int)p ? " itself" : "");
	} else if (is_type(t, o, LK_OT_RWLOCK)) {
		uint64_t readers;
		int writer = rwlock_holders(t, o, &readers);
		int wr = pr->pending_op == LK_OP_RWLOCK_WRLOCK ||
		         pr->pending_op == LK_OP_RWLOCK_TIMEDWRLOCK;

		append(buf, size, "rwlock %s (%s)", t->objs[o].name,
		       wr ? "write" : "read");
		if (writer >= 0)
			append(buf, size, ", write-held by %s%s",
			       lk_trace_proc_label(t, writer),
			       writer == (int)p ? " itself" : "");
		else if (readers != 0) {
			append(buf, size, ", read-held by ");
			append_names(buf, size, t, readers, p);
		}
	} else if (is_type(t, o, LK_OT_SPIN)) {
		int owner = spin_owner(t, o);

		append(buf, size, "spinlock %s", t->objs[o].name);
		if (owner >= 0)
			append(buf, size, ", held by %s%s",
			       lk_trace_proc_label(t, owner),
			       owner == (int)p ? " itself" : "");
	} else if (is_type(t, o, LK_OT_BARRIER)) {
		int count = 0, in = 0;

		/* The count its waits recorded; the lanes still in it. */
		for (size_t i = 0; i < t->nevents; i++)
			if (t->ev[i].obj == o &&
			    t->ev[i].op == LK_OP_BARRIER_WAIT)
				count = t->ev[i].u.barrier.count;
		for (size_t q = 0; q < t->nprocs; q++)
			in += !t->procs[q].exited &&
			      t->procs[q].blocked_on == o;
		append(buf, size, "barrier %s (%d of %d arrived)",
		       t->objs[o].name, in, count);
	} else if (is_type(t, o, LK_OT_ONCE)) {
		append(buf, size, "the init routine of %s to return",
		       t->objs[o].name);
	} else if (o == LK_WAIT_CHILD) {
		uint64_t kids = awaited_children(t, p);

		for (size_t q = 0; q < t->nprocs; q++)
			if (kids & (1ull << q))
				append(buf, size, "%s%s", k++ ? " or " : "",
				       lk_trace_proc_label(t, (int)q));
		append(buf, size, k ? " to exit" : "a child to exit");
	} else if (t->objs[o >= 0 ? o : 0].type == LK_OT_SOCK && o >= 0 &&
	           pr->pending_op == LK_OP_ACCEPT) {
		append(buf, size, "a connection on socket %s", t->objs[o].name);
	} else if (t->objs[o >= 0 ? o : 0].type == LK_OT_SOCK && o >= 0 &&
	           is_send(pr->pending_op)) {
		append(buf, size, "room on socket %s", t->objs[o].name);
	} else if (t->objs[o >= 0 ? o : 0].type == LK_OT_SOCK && o >= 0) {
		append(buf, size, "data on socket %s", t->objs[o].name);
	} else if (lk_trace_is_pipe(t, o) && pr->pending_op == LK_OP_WRITE) {
		append(buf, size, "room in %s %s",
		       t->objs[o].type == LK_OT_PIPE ? "pipe" : "FIFO",
		       t->objs[o].name);
	} else if (lk_trace_is_pipe(t, o) && pr->pending_op == LK_OP_OPEN) {
		append(buf, size, "the other end of FIFO %s to be opened",
		       t->objs[o].name);
	} else if (lk_trace_is_pipe(t, o)) {
		append(buf, size, "data or the end of file on %s %s",
		       t->objs[o].type == LK_OT_PIPE ? "pipe" : "FIFO",
		       t->objs[o].name);
	} else if (is_lock(t, p)) {
		append(buf, size, "a lock on file %s", t->objs[o].name);
	} else if (o >= 0) {
		append(buf, size, "%s", t->objs[o].name);
		if (t->objs[o].value >= 0)
			append(buf, size, " (%d)", t->objs[o].value);
	}
}

/* Append the names in mask m: "A", "A and B", "A, B and C"; p is "it". */
static void
append_names(char *buf, size_t size, const struct lk_trace *t, uint64_t m,
             size_t p)
{
	int n = __builtin_popcountll(m), k = 0;

	for (size_t q = 0; q < t->nprocs; q++) {
		if (!(m & (1ull << q)))
			continue;
		append(buf, size, "%s%s%s",
		       k == 0       ? ""
		       : k == n - 1 ? " and "
		                    : ", ",
		       lk_trace_proc_label(t, (int)q), q == p ? " itself" : "");
		k++;
	}
}

/* Who could let each blocked process go on (who[p], bits), with who
 * could release each object (rel) and whether that was guessed. */
static void
wait_graph(const struct lk_trace *t, const struct lk_scenario *sc,
           uint64_t *rel, char *guessed, uint64_t *who)
{
	uint64_t could[LK_MAX_OBJECTS];
	int exited[LK_MAX_PROCS];
	size_t n = t->nprocs < LK_MAX_PROCS ? t->nprocs : LK_MAX_PROCS;

	memset(who, 0, LK_MAX_PROCS * sizeof(*who));
	lk_releasers(t, sc, rel);
	holders(t, rel, could);
	for (size_t o = 0; o < t->nobjs; o++)
		if (rel[o] == 0) {
			rel[o] = could[o];
			guessed[o] = 1;
		}
	for (size_t p = 0; p < n; p++)
		exited[p] = t->procs[p].exited;
	/* Who could let each blocked process go on. */
	for (size_t p = 0; p < n; p++) {
		const struct lk_tproc *pr = &t->procs[p];
		int o = pr->blocked_on;

		if (exited[p] || pr->stopped)
			continue;
		if (o == LK_WAIT_CHILD)
			who[p] = awaited_children(t, p);
		else if (o == LK_WAIT_THREAD)
			who[p] = pr->wait_for >= 0 && pr->wait_for < 64
			                 ? 1ull << pr->wait_for
			                 : 0;
		else if (is_mutex(t, o))
			who[p] = mutex_owner(t, o) >= 0
			                 ? 1ull << mutex_owner(t, o)
			                 : 0;
		else if (is_type(t, o, LK_OT_RWLOCK))
			who[p] = held_by(t, o);
		else if (is_type(t, o, LK_OT_BARRIER) ||
		         pr->pending_op == LK_OP_ACCEPT)
			who[p] = 0; /* another arrival, or anyone could
			               connect: nobody in particular */
		else if (is_type(t, o, LK_OT_SPIN))
			who[p] = spin_owner(t, o) >= 0
			                 ? 1ull << spin_owner(t, o)
			                 : 0;
		else if (lk_trace_is_pipe(t, o) && is_send(pr->pending_op))
			who[p] = t->objs[o].holders[0];
		else if (lk_trace_is_pipe(t, o) && pr->pending_op == LK_OP_OPEN)
			who[p] = ~0ull >> (64 - n);
		else if (lk_trace_is_pipe(t, o))
			who[p] = t->objs[o].holders[1];
		else if (is_lock(t, p))
			who[p] = t->objs[o].holders[1] & ~(1ull << p);
		else if (o >= 0)
			who[p] = rel[o] & ~(1ull << p);
	}
}

/* The wait-for graph of a trace at its end (see analysis.h). */
void
lk_wait_for(const struct lk_trace *t, const struct lk_scenario *sc,
            lk_procset *who)
{
	uint64_t rel[LK_MAX_OBJECTS];
	char guessed[LK_MAX_OBJECTS] = {0};

	wait_graph(t, sc, rel, guessed, who);
}

/* Explain a deadlocked trace in words (see analysis.h). */
void
lk_explain_deadlock(struct lk_trace *t, const struct lk_scenario *sc, char *buf,
                    size_t size)
{
	uint64_t rel[LK_MAX_OBJECTS], who[LK_MAX_PROCS];
	char guessed[LK_MAX_OBJECTS] = {0}, what[160], then[160];
	int exited[LK_MAX_PROCS], cycle[LK_MAX_PROCS + 1];
	size_t n = t->nprocs < LK_MAX_PROCS ? t->nprocs : LK_MAX_PROCS, len;

	buf[0] = '\0';
	wait_graph(t, sc, rel, guessed, who);
	for (size_t p = 0; p < n; p++)
		exited[p] = t->procs[p].exited;
	for (size_t p = 0; p < n; p++) {
		const struct lk_tproc *pr = &t->procs[p];
		int o = pr->blocked_on, live = 0;
		uint64_t m = who[p];

		if (!exited[p] && pr->stopped) {
			append(buf, size,
			       "%s is stopped (SIG%s from %s); nobody left "
			       "to continue it\n",
			       lk_trace_proc_label(t, (int)p),
			       sigabbrev_np(pr->stopped)
			               ? sigabbrev_np(pr->stopped)
			               : "?",
			       pr->stopped_by == (int)p ? "itself"
			       : pr->stopped_by >= 0 &&
			                       (size_t)pr->stopped_by < n
			               ? lk_trace_proc_label(t, pr->stopped_by)
			               : "?");
			continue;
		}
		if (exited[p] || (o < 0 && o != LK_WAIT_CHILD &&
		                  o != LK_WAIT_SIGNAL && o != LK_WAIT_THREAD))
			continue;
		waits_for(t, p, what, sizeof(what));
		append(buf, size, "%s waits for %s",
		       lk_trace_proc_label(t, (int)p), what);
		for (size_t q = 0; q < n; q++)
			if ((m & (1ull << q)) && !exited[q])
				live++;
		if (o == LK_WAIT_CHILD) {
			append(buf, size, live ? "\n" : ", and none can\n");
			continue;
		}
		if (o == LK_WAIT_SIGNAL) {
			append(buf, size,
			       " (pause), and no process sends "
			       "one\n");
			continue;
		}
		/* A join or a mutex: whom it waits for is named; what that
		 * one waits for, when it waits. */
		if (o == LK_WAIT_THREAD || is_mutex(t, o) ||
		    is_type(t, o, LK_OT_RWLOCK) || is_type(t, o, LK_OT_SPIN)) {
			if (__builtin_popcountll(m) == 1 &&
			    (size_t)__builtin_ctzll(m) != p) {
				waits_for(t, (size_t)__builtin_ctzll(m), then,
				          sizeof(then));
				if (then[0] != '\0')
					append(buf, size,
					       ", which waits for %s", then);
			}
			append(buf, size, "\n");
			continue;
		}
		if (pr->pending_op == LK_OP_ACCEPT) {
			append(buf, size, "\n");
			continue;
		}
		if (is_type(t, o, LK_OT_BARRIER)) {
			append(buf, size, ", and no other lane arrives\n");
			continue;
		}
		if (lk_trace_is_pipe(t, o) && pr->pending_op != LK_OP_OPEN) {
			int rd = is_send(pr->pending_op);
			int sock = t->objs[o].type == LK_OT_SOCK;

			m = t->objs[o].holders[rd ? 0 : 1];
			if (m == 0) {
				append(buf, size, "; nobody holds its %s end\n",
				       sock ? "other"
				       : rd ? "read"
				            : "write");
				continue;
			}
			append(buf, size, "; its %s end is still open in ",
			       sock ? "other"
			       : rd ? "read"
			            : "write");
			append_names(buf, size, t, m, p);
			m &= ~(1ull << p);
			if (__builtin_popcountll(m) == 1) {
				size_t q = (size_t)__builtin_ctzll(m);

				waits_for(t, q, then, sizeof(then));
				if (then[0] != '\0')
					append(buf, size,
					       ", which waits for %s", then);
			}
			append(buf, size, "\n");
			continue;
		}
		if (lk_trace_is_pipe(t, o)) {
			append(buf, size, "\n");
			continue;
		}
		if (is_lock(t, p)) {
			append(buf, size, m ? "; it is held by " : "\n");
			if (m == 0)
				continue;
			append_names(buf, size, t, m, p);
			if (__builtin_popcountll(m) == 1) {
				waits_for(t, (size_t)__builtin_ctzll(m), then,
				          sizeof(then));
				if (then[0] != '\0')
					append(buf, size,
					       ", which waits for %s", then);
			}
			append(buf, size, "\n");
			continue;
		}
		if (live == 0) {
			append(buf, size, ", which no live process posts\n");
			continue;
		}
		append(buf, size, ", which %s", live == 1 ? "only " : "");
		append_names(buf, size, t, m, n);
		append(buf, size,
		       guessed[o] ? " could post (it has it)\n" : " posts\n");
	}
	len = find_cycle(n, who, exited, cycle);
	if (len == 0)
		return;
	t->ncycle = len + 1;
	memcpy(t->cycle, cycle, (len + 1) * sizeof(*cycle));
	append(buf, size, "wait-for cycle: ");
	for (size_t i = 0; i <= len; i++)
		append(buf, size, "%s%s", i ? " -> " : "",
		       lk_trace_proc_label(t, cycle[i]));
	append(buf, size, "\n");
}
