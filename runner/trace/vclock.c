/*
 * Vector clocks of a trace (Fidge, Mattern). Each event ticks its own
 * process's counter. Synchronisation joins clocks: a post releases the
 * semaphore's clock, a successful wait acquires it; a fork hands the
 * parent's clock to the child's start.
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

/* Does op acquire (1) or release (2) its object when it succeeds? */
static int
sync_kind(int op)
{
	switch (op) {
	case LK_OP_SEM_WAIT:
	case LK_OP_SEM_TRYWAIT:
	case LK_OP_SEM_TIMEDWAIT:
		return 1;
	case LK_OP_SEM_POST:
	case LK_OP_SEM_INIT:
		return 2;
	default:
		return 0;
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
	int rc = -1;

	free(t->vc_pool);
	t->vc_pool = malloc((t->nevents ? t->nevents : 1) * n * sizeof(*pv));
	if (pv == NULL || ov == NULL || born == NULL || gone == NULL ||
	    t->vc_pool == NULL)
		goto out;
	for (size_t i = 0; i < t->nevents; i++) {
		struct lk_tev *e = &t->ev[i];
		uint32_t *v = &pv[(size_t)e->proc * n];
		int kind = e->blocked || e->ret < 0 ? 0 : sync_kind(e->op);
		uint32_t *o = e->obj >= 0 && (size_t)e->obj < t->nobjs
		                      ? &ov[(size_t)e->obj * n]
		                      : NULL;

		if (e->op == LK_OP_START)
			lk_vc_join(v, &born[(size_t)e->proc * n], n);
		v[e->proc]++;
		if (kind == 1 && o != NULL)
			lk_vc_join(v, o, n);
		if (kind == 2 && o != NULL)
			lk_vc_join(o, v, n);
		if (e->op == LK_OP_FORK && e->ret >= 0 && (size_t)e->arg < n)
			memcpy(&born[(size_t)e->arg * n], v, n * sizeof(*v));
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
