/*
 * Vector clocks of a trace (Fidge, Mattern). Each event ticks its own
 * process's counter. Synchronisation joins clocks: a post releases the
 * semaphore's clock, a successful wait acquires it; a pipe write releases
 * and the read acquires; a fork hands the parent's clock to the child's
 * start; an exit hands the child's clock to the wait that reaps it.
 * File-system names are like atomic variables: every call on a name
 * acquires its clock, and one that created, removed or replaced it also
 * releases, so a lookup sees what was done to the name before it, and a
 * lookup followed by another process's change (check, then create) is
 * left unordered: a race (race.c).
 */
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

/* Per operation: its flags of the LK_OPS table (ops.h), folded into an
 * array at compile time: the clocks ask for every event. */
static const unsigned short op_flags[LK_OP__COUNT] = {
#define LK_OP_FLAGS(name, str, member, kind, flags, ...)                       \
	[LK_OP_##name] = (flags),
        LK_OPS(LK_OP_FLAGS)
#undef LK_OP_FLAGS
};

_Static_assert(LK_OPF_READY <= 0xffff, "op_flags: flags fit 16 bits");

/*
 * Does event e, of flags f, acquire (1), release (2) or both (3) its
 * object's clock? The LK_OPS table says which (ops.h): semaphores: post
 * releases, a successful wait acquires. Pipes and FIFOs: a write (or a piece of
 * one) and a close release, a read acquires: the bytes a read returns, or its
 * end of file, were written or caused before it. Opening a FIFO meets the
 * other end: both. Locks: an unlock releases, a granted lock acquires.
 */
static int
sync_kind(const struct lk_trace *t, const struct lk_tev *e, unsigned f)
{
	if (lk_trace_is_name(t, e->obj))
		return e->blocked ? 0 : lk_trace_name_writes(e) ? 3 : 1;
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

/* A readiness step (LK_OPF_READY: poll, select, epoll) that found
 * descriptors ready acquires the clock of each ready object, as a read
 * does: the data or end of file it saw was written or caused before it.
 * The objects follow the ready descriptors in the event's data, after
 * '|' (interposer/poll.c). */
static void
ready_acquires(const struct lk_trace *t, const struct lk_tev *e, unsigned f,
               uint32_t *v, const uint32_t *ov, size_t n)
{
	const char *p, *end;

	if (!(f & LK_OPF_READY) || e->blocked || e->ret <= 0 ||
	    e->data == NULL || (p = memchr(e->data, '|', e->len)) == NULL)
		return;
	end = e->data + e->len;
	while (++p < end) {
		long obj = 0;

		if (*p < '0' || *p > '9')
			break;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			obj = obj * 10 + (*p - '0');
		if (obj < (long)t->nobjs && lk_trace_is_pipe(t, (int)obj))
			lk_vc_join(v, &ov[(size_t)obj * n], n);
		if (p >= end || *p != ' ')
			break;
	}
}

/* Compute every event's vector clock; 0 or -1 (memory). */
int
lk_trace_vclocks(struct lk_trace *t)
{
	size_t n = t->nprocs ? t->nprocs : 1;
	uint32_t *pv = calloc(n * n, sizeof(*pv));
	uint32_t *ov = calloc((t->nobjs ? t->nobjs : 1) * n, sizeof(*ov));
	uint32_t *born = calloc(n * n, sizeof(*born));
	uint32_t *gone = calloc(n * n, sizeof(*gone)); /* clock at exit */
	uint32_t *sent = calloc(n * n, sizeof(*sent)); /* signals to p */
	int rc = -1;

	free(t->vc_pool);
	t->vc_pool = malloc((t->nevents ? t->nevents : 1) * n * sizeof(*pv));
	if (pv == NULL || ov == NULL || born == NULL || gone == NULL ||
	    sent == NULL || t->vc_pool == NULL)
		goto out;
	for (size_t i = 0; i < t->nevents; i++) {
		struct lk_tev *e = &t->ev[i];
		uint32_t *v = &pv[(size_t)e->proc * n];
		unsigned f =
		        (unsigned)e->op < LK_OP__COUNT ? op_flags[e->op] : 0;
		int kind = sync_kind(t, e, f);
		uint32_t *o = e->obj >= 0 && (size_t)e->obj < t->nobjs
		                      ? &ov[(size_t)e->obj * n]
		                      : NULL;

		if (e->op == LK_OP_START)
			lk_vc_join(v, &born[(size_t)e->proc * n], n);
		v[e->proc]++;
		if ((kind & 1) && o != NULL)
			lk_vc_join(v, o, n);
		if ((kind & 2) && o != NULL)
			lk_vc_join(o, v, n);
		ready_acquires(t, e, f, v, ov, n);
		/* rename and link: the name they read from too. */
		if (kind != 0 && lk_trace_name_from(t, e) >= 0) {
			uint32_t *from = &ov[(size_t)e->u.name.from * n];

			lk_vc_join(v, from, n);
			if (kind & 2)
				lk_vc_join(from, v, n);
		}
		/* kill happens before the delivery in the target. */
		if (e->op == LK_OP_KILL && e->ret == 0 && e->u.kill.to >= 0 &&
		    (size_t)e->u.kill.to < n)
			lk_vc_join(&sent[(size_t)e->u.kill.to * n], v, n);
		if (e->op == LK_OP_SIGNAL)
			lk_vc_join(v, &sent[(size_t)e->proc * n], n);
		/* An exit closes every end the process held and drops its
		 * record locks. */
		for (size_t k = 0; e->op == LK_OP_EXIT && k < t->nobjs; k++)
			if (lk_trace_is_pipe(t, (int)k) ||
			    t->objs[k].type == LK_OT_FILE)
				lk_vc_join(&ov[k * n], v, n);
		if (e->op == LK_OP_FORK && e->ret >= 0 &&
		    (size_t)e->u.fork.child < n)
			memcpy(&born[(size_t)e->u.fork.child * n], v,
			       n * sizeof(*v));
		/* Exit happens before the wait that reaps it. */
		if (e->op == LK_OP_EXIT)
			memcpy(&gone[(size_t)e->proc * n], v, n * sizeof(*v));
		if (e->op == LK_OP_WAIT && !e->blocked && e->ret > 0 &&
		    (size_t)e->ret < n)
			lk_vc_join(v, &gone[(size_t)e->ret * n], n);
		e->vc = &t->vc_pool[i * n];
		memcpy(e->vc, v, n * sizeof(*v));
	}
	rc = 0;
out:
	free(pv);
	free(ov);
	free(born);
	free(gone);
	free(sent);
	return rc;
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
