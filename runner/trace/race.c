/*
 * Data races from the trace (race.h), near-linear in the events. The
 * accesses are grouped by object, so only accesses to the same cell or
 * file are ever compared. Within an object, for an access a by process p
 * and another process q, the accesses of q that a does not happen before
 * are a window of q's accesses: those after a whose clock has not yet seen
 * a (their counter of p is below a's), a prefix since clocks only grow
 * (the epoch test of FastTrack, Flanagan and Freund, PLDI 2009). The
 * window's end only moves forward as p goes on, so finding every window
 * costs one pass per pair of processes. With unique set, a race is found
 * once per pair of sites, (process, operation, line): for a cell, whether
 * two accesses conflict depends on their sites alone, so the first access
 * of each open site pair in a window is found by a direct look-up, never
 * by walking the window; a file's accesses also need overlapping bytes,
 * found in the window through a segment tree of byte ranges per process,
 * and only while a pair of sites is open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/stop.h"
#include "trace/race.h"

/* A set of 64-bit values (pairs of sites), open addressing. */
struct pairset {
	uint64_t *v; /* 0 is the empty slot: values are stored plus one */
	size_t cap, n;
};

/* Spread a value over a table of cap slots. */
static size_t
slot(uint64_t x, size_t cap)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)(x % cap);
}

/* Is x in s? */
static int
pairset_has(const struct pairset *s, uint64_t x)
{
	x++;
	if (s->cap == 0)
		return 0;
	for (size_t i = slot(x, s->cap); s->v[i] != 0; i = (i + 1) % s->cap)
		if (s->v[i] == x)
			return 1;
	return 0;
}

/* Add x to s; 1 if new, 0 if present, -1 out of memory. */
static int
pairset_add(struct pairset *s, uint64_t x)
{
	size_t i;

	x++;
	if (s->n * 2 >= s->cap) {
		struct pairset ns = {0};

		ns.cap = s->cap ? s->cap * 2 : 64;
		ns.v = calloc(ns.cap, sizeof(*ns.v));
		if (ns.v == NULL)
			return -1;
		for (size_t j = 0; j < s->cap; j++) {
			if (s->v[j] == 0)
				continue;
			i = slot(s->v[j], ns.cap);
			while (ns.v[i] != 0)
				i = (i + 1) % ns.cap;
			ns.v[i] = s->v[j];
		}
		ns.n = s->n;
		free(s->v);
		*s = ns;
	}
	for (i = slot(x, s->cap); s->v[i] != 0; i = (i + 1) % s->cap)
		if (s->v[i] == x)
			return 0;
	s->v[i] = x;
	s->n++;
	return 1;
}

/* Is e an access to data: 1 a read, 2 a write, 0 neither. Which
 * operations read or write their object's data, the LK_OPS table says
 * (ops.h): read and load read it, write and store write it. */
static int
access_kind(const struct lk_trace *t, const struct lk_tev *e)
{
	unsigned type, f = lk_op_flags((unsigned)e->op);
	int kind = (f & LK_OPF_READS) ? 1 : (f & LK_OPF_WRITES) ? 2 : 0;

	if (e->obj < 0 || (size_t)e->obj >= t->nobjs || e->blocked ||
	    e->proc < 0 || (size_t)e->proc >= t->nprocs)
		return 0;
	type = t->objs[e->obj].type;
	/* A name: a failed lookup (ENOENT) looked at it all the same. */
	if (type == LK_OT_NAME)
		return lk_trace_name_changes(e) ? 2 : 1;
	if (e->err != 0 || kind == 0)
		return 0;
	if (type == LK_OT_CELL)
		return kind;
	/* Files: the bytes at u.rw.off (a pipe's have no place). */
	if (type != LK_OT_FILE || e->ret <= 0 || e->u.rw.off < 0)
		return 0;
	return kind;
}

/* Do two accesses to the same object conflict (a write among them and,
 * for files, overlapping bytes)? */
static int
conflict(const struct lk_trace *t, const struct lk_tev *a,
         const struct lk_tev *b, int ka, int kb)
{
	if (ka != 2 && kb != 2)
		return 0;
	if (t->objs[a->obj].type != LK_OT_FILE)
		return 1;
	return a->u.rw.off < b->u.rw.off + b->ret &&
	       b->u.rw.off < a->u.rw.off + a->ret;
}

/* A map from a site, (process, operation, line) packed in 64 bits, to its
 * number within an object's group; open addressing, at most half full. */
struct sitemap {
	uint64_t *key; /* stored plus one: 0 is the empty slot */
	uint32_t *val;
	size_t cap;
};

/* The number of site s in m; a new one, *n (then counted), if unseen. */
static uint32_t
site_id(struct sitemap *m, uint64_t s, uint32_t *n)
{
	size_t i;

	s++;
	for (i = slot(s, m->cap); m->key[i] != 0; i = (i + 1) % m->cap)
		if (m->key[i] == s)
			return m->val[i];
	m->key[i] = s;
	m->val[i] = *n;
	return (*n)++;
}

/* Order races by their first event, then their second. */
static int
cmp_race(const void *x, const void *y)
{
	const struct lk_race *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* Append race (a, b) on obj to the growing array; 0 or -ENOMEM. */
static int
push(struct lk_race **r, size_t *n, size_t *cap, size_t a, size_t b, int obj)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct lk_race *nr = realloc(*r, nc * sizeof(*nr));

		if (nr == NULL)
			return -ENOMEM;
		*r = nr;
		*cap = nc;
	}
	(*r)[*n].a = a;
	(*r)[*n].b = b;
	(*r)[(*n)++].obj = obj;
	return 0;
}

/*
 * The accesses to one object and what is known of them. Processes and
 * sites are numbered within the group (np, ns); "rank" is an access's
 * position among its own process's accesses.
 */
struct group {
	const struct lk_trace *t;
	const size_t *idx; /* event index of each access, in step order */
	const int *kind;   /* 1 a read, 2 a write */
	size_t k;
	int cell;     /* a cell: conflicts depend on the sites alone */
	uint32_t np;  /* processes */
	uint32_t ns;  /* sites */
	int *gproc;   /* [np] the process's index in the trace */
	int *procmap; /* [nprocs] trace process -> group process, -1 */
	uint32_t *lp; /* [k] process of each access */
	uint32_t *ls; /* [k] site of each access */
	uint32_t *rank;
	uint32_t *pstart, *plist;   /* accesses by process: [np+1], [k] */
	uint32_t *sstart, *slist;   /* accesses by site: [ns+1], [k] */
	uint32_t *qsstart, *qslist; /* sites by process: [np+1], [ns] */
	uint32_t *sproc;            /* [ns] process of each site */
	int *skind;                 /* [ns] 1 read, 2 write */
	uint32_t *seen_p, *seen_s;  /* accesses before the current one */
	uint32_t *wend;             /* [np * np] window ends, see below */
	uint32_t *tsize;      /* [np] files: leaves of each process's tree */
	size_t *tstart;       /* [np] where its nodes start in tmin, tmax */
	int64_t *tmin, *tmax; /* files: the trees (see trees_build) */
	struct sitemap map;
	struct pairset done; /* site pairs already reported (unique) */
};

/* The counter of process p (in the trace) in access a's clock. */
static uint32_t
clock_of(const struct group *g, uint32_t a, int p)
{
	return g->t->ev[g->idx[a]].vc[p];
}

/* Counting sort of n items by key[i] < nkeys into start[nkeys + 1] and
 * list[n] (stable); rank[i], if not NULL, is i's place among its key's. */
static void
bucket(const uint32_t *key, size_t n, uint32_t nkeys, uint32_t *start,
       uint32_t *list, uint32_t *rank)
{
	memset(start, 0, (nkeys + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[key[i] + 1]++;
	for (uint32_t b = 0; b < nkeys; b++)
		start[b + 1] += start[b];
	for (size_t i = 0; i < n; i++) {
		uint32_t at = start[key[i]]++;

		list[at] = (uint32_t)i;
		if (rank != NULL)
			rank[i] = at;
	}
	for (uint32_t b = nkeys; b > 0; b--)
		start[b] = start[b - 1];
	start[0] = 0;
	if (rank != NULL)
		for (size_t i = 0; i < n; i++)
			rank[i] -= start[key[i]];
}

/* Number the processes and sites of the group and sort its accesses by
 * both. */
static void
group_index(struct group *g)
{
	const struct lk_trace *t = g->t;

	g->np = g->ns = 0;
	for (size_t p = 0; p < t->nprocs; p++)
		g->procmap[p] = -1;
	g->map.cap = 2 * g->k + 1;
	memset(g->map.key, 0, g->map.cap * sizeof(*g->map.key));
	for (size_t i = 0; i < g->k; i++) {
		const struct lk_tev *e = &t->ev[g->idx[i]];
		uint64_t s = (uint64_t)e->proc << 48 | (uint64_t)e->op << 32 |
		             e->src;

		if (g->procmap[e->proc] < 0) {
			g->procmap[e->proc] = (int)g->np;
			g->gproc[g->np++] = e->proc;
		}
		g->lp[i] = (uint32_t)g->procmap[e->proc];
		g->ls[i] = site_id(&g->map, s, &g->ns);
		g->sproc[g->ls[i]] = g->lp[i];
		g->skind[g->ls[i]] = g->kind[i];
	}
	bucket(g->lp, g->k, g->np, g->pstart, g->plist, g->rank);
	bucket(g->ls, g->k, g->ns, g->sstart, g->slist, NULL);
	bucket(g->sproc, g->ns, g->np, g->qsstart, g->qslist, NULL);
	memset(g->seen_p, 0, g->np * sizeof(*g->seen_p));
	memset(g->seen_s, 0, g->ns * sizeof(*g->seen_s));
	memset(g->wend, 0, (size_t)g->np * g->np * sizeof(*g->wend));
}

/* The key of the unordered pair of sites a, b. */
static uint64_t
pair_key(uint32_t a, uint32_t b)
{
	return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
}

/* Can an access of site a conflict with one of site b (a write among
 * them), and is the pair still to be found? */
static int
pair_open(const struct group *g, uint32_t a, uint32_t b)
{
	return (g->skind[a] == 2 || g->skind[b] == 2) &&
	       !pairset_has(&g->done, pair_key(a, b));
}

/* Report race (a, b), accesses of the group; 0 or -ENOMEM. */
static int
report(struct group *g, int unique, uint32_t a, uint32_t b, struct lk_race **r,
       size_t *n, size_t *cap)
{
	if (unique && pairset_add(&g->done, pair_key(g->ls[a], g->ls[b])) < 0)
		return -ENOMEM;
	return push(r, n, cap, g->idx[a], g->idx[b], g->t->ev[g->idx[a]].obj);
}

/*
 * Cells, unique: for each open site of q, its first access after a; a
 * race when that access is inside the window (its rank below wend).
 */
static int
scan_sites(struct group *g, uint32_t a, uint32_t q, uint32_t wend,
           struct lk_race **r, size_t *n, size_t *cap)
{
	uint32_t sa = g->ls[a];

	for (uint32_t x = g->qsstart[q]; x < g->qsstart[q + 1]; x++) {
		uint32_t s = g->qslist[x], next = g->seen_s[s], b;
		int rc;

		if (next >= g->sstart[s + 1] - g->sstart[s] ||
		    !pair_open(g, sa, s))
			continue;
		b = g->slist[g->sstart[s] + next];
		if (g->rank[b] >= wend)
			continue;
		rc = report(g, 1, a, b, r, n, cap);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Files: per process, a segment tree over its accesses in rank order with
 * the lowest first byte and the highest end of each node's range, so that
 * the accesses of a window that overlap a's bytes are found without
 * walking the others (two processes appending to one file, concurrently
 * but never on the same bytes, were quadratic). Leaves of rank r are at
 * tree + 2 * tstart[q] ... as nodes size_q + r, size_q a power of two.
 */
static int
trees_build(struct group *g)
{
	size_t total = 0;

	for (uint32_t q = 0; q < g->np; q++) {
		uint32_t n = g->pstart[q + 1] - g->pstart[q], sz = 1;

		while (sz < n)
			sz *= 2;
		g->tsize[q] = sz;
		g->tstart[q] = total;
		total += 2 * (size_t)sz;
	}
	free(g->tmin);
	free(g->tmax);
	/* At least one entry: malloc(0) may return NULL. */
	total = total ? total : 1;
	g->tmin = malloc(total * sizeof(*g->tmin));
	g->tmax = malloc(total * sizeof(*g->tmax));
	if (g->tmin == NULL || g->tmax == NULL)
		return -ENOMEM;
	for (uint32_t q = 0; q < g->np; q++) {
		int64_t *mn = g->tmin + g->tstart[q],
		        *mx = g->tmax + g->tstart[q];
		uint32_t n = g->pstart[q + 1] - g->pstart[q], sz = g->tsize[q];

		for (uint32_t r = 0; r < sz; r++) {
			const struct lk_tev *e =
			        r < n ? &g->t->ev[g->idx[g->plist[g->pstart[q] +
			                                          r]]]
			              : NULL;

			mn[sz + r] = e != NULL ? e->u.rw.off : INT64_MAX;
			mx[sz + r] =
			        e != NULL ? e->u.rw.off + e->ret : INT64_MIN;
		}
		for (uint32_t x = sz - 1; x > 0; x--) {
			mn[x] = mn[2 * x] < mn[2 * x + 1] ? mn[2 * x]
			                                  : mn[2 * x + 1];
			mx[x] = mx[2 * x] > mx[2 * x + 1] ? mx[2 * x]
			                                  : mx[2 * x + 1];
		}
	}
	return 0;
}

/* The first rank in [from, to), within node x covering [lo, hi), whose
 * bytes overlap [blo, bhi); -1 none. */
static int64_t
first_overlap(const int64_t *mn, const int64_t *mx, uint32_t x, uint32_t lo,
              uint32_t hi, uint32_t from, uint32_t to, int64_t blo, int64_t bhi)
{
	int64_t r;

	if (hi <= from || lo >= to || mn[x] >= bhi || mx[x] <= blo)
		return -1;
	if (hi - lo == 1)
		return lo;
	r = first_overlap(mn, mx, 2 * x, lo, lo + (hi - lo) / 2, from, to, blo,
	                  bhi);
	if (r >= 0)
		return r;
	return first_overlap(mn, mx, 2 * x + 1, lo + (hi - lo) / 2, hi, from,
	                     to, blo, bhi);
}

/* The next access of q in ranks [from, wend) that can conflict with a:
 * any for a cell, one overlapping a's bytes for a file; -1 none. */
static int64_t
next_candidate(const struct group *g, const struct lk_tev *ea, uint32_t q,
               uint32_t from, uint32_t wend)
{
	if (from >= wend)
		return -1;
	if (g->cell || g->t->objs[ea->obj].type == LK_OT_NAME)
		return from; /* a name has no bytes: any access */
	return first_overlap(g->tmin + g->tstart[q], g->tmax + g->tstart[q], 1,
	                     0, g->tsize[q], from, wend, ea->u.rw.off,
	                     ea->u.rw.off + ea->ret);
}

/* Go over q's accesses of ranks [from, wend) for races with access a. */
static int
scan_window(struct group *g, uint32_t a, uint32_t q, uint32_t from,
            uint32_t wend, int unique, struct lk_race **r, size_t *n,
            size_t *cap)
{
	const struct lk_tev *ea = &g->t->ev[g->idx[a]];
	uint32_t sa = g->ls[a], open = !unique;

	for (uint32_t x = g->qsstart[q]; x < g->qsstart[q + 1] && !open; x++)
		open = pair_open(g, sa, g->qslist[x]);
	if (!open)
		return 0;
	for (int64_t w = next_candidate(g, ea, q, from, wend); w >= 0;
	     w = next_candidate(g, ea, q, (uint32_t)w + 1, wend)) {
		uint32_t b = g->plist[g->pstart[q] + (uint32_t)w];
		int rc;

		if (unique && !pair_open(g, sa, g->ls[b]))
			continue;
		if (!conflict(g->t, ea, &g->t->ev[g->idx[b]], g->kind[a],
		              g->kind[b]))
			continue;
		rc = report(g, unique, a, b, r, n, cap);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Find the races of one object's group. For access a of process p and
 * another process q, q's accesses after a have ranks from seen_p[q] on;
 * those a does not happen before end at wend[p][q], the first whose
 * counter of p has reached a's. Both only grow as the walk goes on.
 */
static int
find_in_group(struct group *g, int unique, struct lk_race **r, size_t *n,
              size_t *cap)
{
	for (uint32_t a = 0; a < g->k; a++) {
		uint32_t p = g->lp[a];
		int gp = g->gproc[p];
		uint32_t va = clock_of(g, a, gp);

		if (a % LK_STOP_EVERY == LK_STOP_EVERY - 1 &&
		    lk_stop_requested())
			return -EINTR;
		for (uint32_t q = 0; q < g->np; q++) {
			uint32_t from = g->seen_p[q],
			         *w = &g->wend[p * g->np + q];
			uint32_t qn = g->pstart[q + 1] - g->pstart[q];
			int rc;

			if (q == p)
				continue;
			if (*w < from)
				*w = from;
			while (*w < qn &&
			       clock_of(g, g->plist[g->pstart[q] + *w], gp) <
			               va)
				(*w)++;
			if (*w == from)
				continue;
			if (unique && g->cell)
				rc = scan_sites(g, a, q, *w, r, n, cap);
			else
				rc = scan_window(g, a, q, from, *w, unique, r,
				                 n, cap);
			if (rc != 0)
				return rc;
		}
		g->seen_p[p]++;
		g->seen_s[g->ls[a]]++;
	}
	return 0;
}

/* Allocate the group's arrays for up to nacc accesses; 0 or -ENOMEM. */
static int
group_alloc(struct group *g, const struct lk_trace *t, size_t nacc)
{
	size_t np = t->nprocs ? t->nprocs : 1;

	memset(g, 0, sizeof(*g));
	g->t = t;
	g->gproc = malloc(np * sizeof(*g->gproc));
	g->procmap = malloc(np * sizeof(*g->procmap));
	g->lp = malloc(nacc * sizeof(uint32_t));
	g->ls = malloc(nacc * sizeof(uint32_t));
	g->rank = malloc(nacc * sizeof(uint32_t));
	g->pstart = malloc((np + 1) * sizeof(uint32_t));
	g->plist = malloc(nacc * sizeof(uint32_t));
	g->sstart = malloc((nacc + 1) * sizeof(uint32_t));
	g->slist = malloc(nacc * sizeof(uint32_t));
	g->qsstart = malloc((np + 1) * sizeof(uint32_t));
	g->qslist = malloc(nacc * sizeof(uint32_t));
	g->sproc = malloc(nacc * sizeof(uint32_t));
	g->skind = malloc(nacc * sizeof(int));
	g->seen_p = malloc(np * sizeof(uint32_t));
	g->seen_s = malloc(nacc * sizeof(uint32_t));
	g->wend = malloc(np * np * sizeof(uint32_t));
	g->tsize = malloc(np * sizeof(uint32_t));
	g->tstart = malloc(np * sizeof(size_t));
	g->map.key = malloc((2 * nacc + 1) * sizeof(uint64_t));
	g->map.val = malloc((2 * nacc + 1) * sizeof(uint32_t));
	if (g->gproc == NULL || g->procmap == NULL || g->lp == NULL ||
	    g->ls == NULL || g->rank == NULL || g->pstart == NULL ||
	    g->plist == NULL || g->sstart == NULL || g->slist == NULL ||
	    g->qsstart == NULL || g->qslist == NULL || g->sproc == NULL ||
	    g->skind == NULL || g->seen_p == NULL || g->seen_s == NULL ||
	    g->wend == NULL || g->tsize == NULL || g->tstart == NULL ||
	    g->map.key == NULL || g->map.val == NULL)
		return -ENOMEM;
	return 0;
}

/* Free what group_alloc allocated. */
static void
group_free(struct group *g)
{
	free(g->gproc);
	free(g->procmap);
	free(g->lp);
	free(g->ls);
	free(g->rank);
	free(g->pstart);
	free(g->plist);
	free(g->sstart);
	free(g->slist);
	free(g->qsstart);
	free(g->qslist);
	free(g->sproc);
	free(g->skind);
	free(g->seen_p);
	free(g->seen_s);
	free(g->wend);
	free(g->tsize);
	free(g->tstart);
	free(g->tmin);
	free(g->tmax);
	free(g->map.key);
	free(g->map.val);
	free(g->done.v);
}

/* Find the races of t (see race.h). */
int
lk_race_find(struct lk_trace *t, int unique, struct lk_race **races, size_t *n)
{
	size_t nacc = 0, cap = 0, *start = NULL, *idx = NULL, *fill = NULL;
	int *kind = NULL, rc = -ENOMEM;
	struct group g;

	*races = NULL;
	*n = 0;
	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < t->nevents; i++)
		if (t->ev[i].vc == NULL) {
			if (lk_trace_vclocks(t) != 0)
				return -ENOMEM;
			break;
		}
	/* Group the accesses by object: a counting sort keeps step order. */
	start = calloc(t->nobjs + 1, sizeof(*start));
	fill = calloc(t->nobjs + 1, sizeof(*fill));
	if (start == NULL || fill == NULL)
		goto out;
	for (size_t i = 0; i < t->nevents; i++)
		if (access_kind(t, &t->ev[i])) {
			start[t->ev[i].obj + 1]++;
			nacc++;
		}
	for (size_t o = 0; o < t->nobjs; o++)
		start[o + 1] += start[o];
	idx = malloc((nacc + 1) * sizeof(*idx));
	kind = malloc((nacc + 1) * sizeof(*kind));
	if (idx == NULL || kind == NULL || group_alloc(&g, t, nacc + 1) != 0)
		goto out;
	for (size_t i = 0; i < t->nevents; i++) {
		int k = access_kind(t, &t->ev[i]);
		size_t o = (size_t)t->ev[i].obj;

		if (k == 0)
			continue;
		idx[start[o] + fill[o]] = i;
		kind[start[o] + fill[o]++] = k;
	}
	rc = 0;
	for (size_t o = 0; o < t->nobjs && rc == 0; o++) {
		g.idx = idx + start[o];
		g.kind = kind + start[o];
		g.k = start[o + 1] - start[o];
		g.cell = t->objs[o].type == LK_OT_CELL;
		if (g.k < 2)
			continue;
		group_index(&g);
		rc = g.cell || t->objs[o].type == LK_OT_NAME ? 0
		                                             : trees_build(&g);
		if (rc == 0)
			rc = find_in_group(&g, unique, races, n, &cap);
		free(g.done.v);
		memset(&g.done, 0, sizeof(g.done));
	}
	if (rc == 0 && *n > 1)
		qsort(*races, *n, sizeof(**races), cmp_race);
out:
	if (rc != 0) {
		free(*races);
		*races = NULL;
		*n = 0;
	}
	group_free(&g);
	free(start);
	free(fill);
	free(idx);
	free(kind);
	return rc;
}

/* Fill one side of a race from event e. */
static void
site_make(const struct lk_trace *t, const struct lk_tev *e,
          struct lk_race_site *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->proc, sizeof(s->proc), "%s", t->procs[e->proc].name);
	s->op = (uint32_t)e->op;
	s->line = e->src;
	s->step = e->step;
}

/* Describe race r of t by name. */
void
lk_race_rec_make(const struct lk_trace *t, const struct lk_race *r,
                 struct lk_race_rec *rec)
{
	const struct lk_tev *a = &t->ev[r->a], *b = &t->ev[r->b];

	memset(rec, 0, sizeof(*rec));
	snprintf(rec->obj, sizeof(rec->obj), "%s", t->objs[r->obj].name);
	rec->type = t->objs[r->obj].type;
	if (rec->type == LK_OT_FILE) {
		int64_t ha = a->u.rw.off + a->ret, hb = b->u.rw.off + b->ret;

		rec->lo = a->u.rw.off > b->u.rw.off ? a->u.rw.off : b->u.rw.off;
		rec->hi = ha < hb ? ha : hb;
	}
	site_make(t, a, &rec->first);
	site_make(t, b, &rec->second);
}

/* Compare two sides by (process, operation, line). */
static int
site_cmp(const struct lk_race_site *a, const struct lk_race_site *b)
{
	int c = strcmp(a->proc, b->proc);

	if (c != 0)
		return c;
	c = strcmp(lk_op_name(a->op), lk_op_name(b->op));
	if (c != 0)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* The key of a race (see race.h). */
int
lk_race_rec_key(const struct lk_race_rec *rec, char *buf, size_t size)
{
	const struct lk_race_site *x = &rec->first, *y = &rec->second;

	if (site_cmp(x, y) > 0) {
		x = &rec->second;
		y = &rec->first;
	}
	return snprintf(buf, size, "%s\t%s %s %u\t%s %s %u", rec->obj, x->proc,
	                lk_op_name(x->op), x->line, y->proc, lk_op_name(y->op),
	                y->line);
}

/* One side in words: "store by inc.2 (line 14, step 7)". */
static int
site_format(const struct lk_race_site *s, char *buf, size_t size)
{
	if (s->line != 0)
		return snprintf(buf, size, "%s by %s (line %u, step %u)",
		                lk_op_name(s->op), s->proc, s->line, s->step);
	return snprintf(buf, size, "%s by %s (step %u)", lk_op_name(s->op),
	                s->proc, s->step);
}

/* A race as one line of text (see race.h). */
int
lk_race_rec_format(const struct lk_race_rec *rec, char *buf, size_t size)
{
	char a[LK_RACE_KEY_MAX], b[LK_RACE_KEY_MAX], bytes[64] = "";

	site_format(&rec->first, a, sizeof(a));
	site_format(&rec->second, b, sizeof(b));
	if (rec->type == LK_OT_FILE && rec->hi - rec->lo == 1)
		snprintf(bytes, sizeof(bytes), " (byte %lld)",
		         (long long)rec->lo);
	else if (rec->type == LK_OT_FILE)
		snprintf(bytes, sizeof(bytes), " (bytes %lld-%lld)",
		         (long long)rec->lo, (long long)rec->hi - 1);
	return snprintf(buf, size,
	                "race on %s %s%s: %s and %s, not ordered by "
	                "happens-before",
	                rec->type == LK_OT_FILE   ? "file"
	                : rec->type == LK_OT_NAME ? "name"
	                                          : "cell",
	                rec->obj, bytes, a, b);
}

/* lk_race_rec_key of race r of t. */
int
lk_race_key(const struct lk_trace *t, const struct lk_race *r, char *buf,
            size_t size)
{
	struct lk_race_rec rec;

	lk_race_rec_make(t, r, &rec);
	return lk_race_rec_key(&rec, buf, size);
}

/* lk_race_rec_format of race r of t. */
int
lk_race_format(const struct lk_trace *t, const struct lk_race *r, char *buf,
               size_t size)
{
	struct lk_race_rec rec;

	lk_race_rec_make(t, r, &rec);
	return lk_race_rec_format(&rec, buf, size);
}
