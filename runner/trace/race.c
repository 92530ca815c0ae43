/*
 * Data races from the trace (race.h). The accesses are grouped by object
 * first, so only accesses to the same cell or file are ever compared;
 * within an object every pair of accesses by different processes with a
 * write among them is checked against happens-before. Quadratic in the
 * accesses to one object at worst, but once an access is known to happen
 * before some event of a process, every later event of that process is
 * skipped without looking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Is e an access to data: 1 a read, 2 a write, 0 neither. */
static int
access_kind(const struct lk_trace *t, const struct lk_tev *e)
{
	unsigned type;

	if (e->obj < 0 || (size_t)e->obj >= t->nobjs || e->blocked ||
	    e->proc < 0 || (size_t)e->proc >= t->nprocs)
		return 0;
	type = t->objs[e->obj].type;
	/* A name: a failed lookup (ENOENT) looked at it all the same. */
	if (type == LK_OT_NAME)
		return lk_trace_name_changes(e) ? 2 : 1;
	if (e->err != 0)
		return 0;
	if (type == LK_OT_CELL)
		return e->op == LK_OP_LOAD ? 1 : e->op == LK_OP_STORE ? 2 : 0;
	if (type != LK_OT_FILE || e->ret <= 0 || e->off < 0)
		return 0;
	return e->op == LK_OP_READ ? 1 : e->op == LK_OP_WRITE ? 2 : 0;
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
	return a->off < b->off + b->ret && b->off < a->off + a->ret;
}

/* The site of access i within its object's group: an index into sites,
 * the distinct (process, operation, line) triples seen so far. */
static uint32_t
site_of(const struct lk_tev *e, uint64_t *sites, uint32_t *nsites)
{
	uint64_t s = (uint64_t)e->proc << 48 | (uint64_t)e->op << 32 | e->src;

	for (uint32_t i = 0; i < *nsites; i++)
		if (sites[i] == s)
			return i;
	sites[*nsites] = s;
	return (*nsites)++;
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

/* Append race (a, b) on obj to the growing array; 0 or -1. */
static int
push(struct lk_race **r, size_t *n, size_t *cap, size_t a, size_t b, int obj)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct lk_race *nr = realloc(*r, nc * sizeof(*nr));

		if (nr == NULL)
			return -1;
		*r = nr;
		*cap = nc;
	}
	(*r)[*n].a = a;
	(*r)[*n].b = b;
	(*r)[(*n)++].obj = obj;
	return 0;
}

/* Find the races among the accesses idx[0..k) to one object. */
static int
find_in_group(const struct lk_trace *t, const size_t *idx, size_t k,
              const int *kind, const uint32_t *site, int unique,
              struct lk_race **r, size_t *n, size_t *cap)
{
	struct pairset seen = {0};
	int rc = 0;

	for (size_t i = 0; i < k && rc == 0; i++) {
		const struct lk_tev *ea = &t->ev[idx[i]];
		uint64_t after = 0; /* processes already ordered after ea */

		for (size_t j = i + 1; j < k && rc == 0; j++) {
			const struct lk_tev *eb = &t->ev[idx[j]];
			uint64_t bit = 1ull << (eb->proc & 63);
			uint32_t lo = site[i], hi = site[j];

			if (eb->proc == ea->proc || (after & bit))
				continue;
			if (lk_trace_hb(t, idx[i], idx[j])) {
				after |= bit;
				continue;
			}
			if (!conflict(t, ea, eb, kind[i], kind[j]))
				continue;
			if (unique) {
				int fresh;

				if (lo > hi) {
					lo = site[j];
					hi = site[i];
				}
				fresh = pairset_add(&seen,
				                    (uint64_t)lo << 32 | hi);
				if (fresh < 0)
					rc = -1;
				if (fresh <= 0)
					continue;
			}
			rc = push(r, n, cap, idx[i], idx[j], ea->obj);
		}
	}
	free(seen.v);
	return rc;
}

/* Find the races of t (see race.h). */
int
lk_race_find(struct lk_trace *t, int unique, struct lk_race **races, size_t *n)
{
	size_t nacc = 0, cap = 0, *start = NULL, *idx = NULL, *fill = NULL;
	int *kind = NULL, rc = -1;
	uint32_t *site = NULL;
	uint64_t *sites = NULL;

	*races = NULL;
	*n = 0;
	for (size_t i = 0; i < t->nevents; i++)
		if (t->ev[i].vc == NULL) {
			if (lk_trace_vclocks(t) != 0)
				return -1;
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
	site = malloc((nacc + 1) * sizeof(*site));
	sites = malloc((nacc + 1) * sizeof(*sites));
	if (idx == NULL || kind == NULL || site == NULL || sites == NULL)
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
		size_t s = start[o], k = start[o + 1] - s;
		uint32_t nsites = 0;

		if (k < 2)
			continue;
		for (size_t i = 0; i < k; i++)
			site[s + i] =
			        site_of(&t->ev[idx[s + i]], sites, &nsites);
		rc = find_in_group(t, idx + s, k, kind + s, site + s, unique,
		                   races, n, &cap);
	}
	if (rc == 0 && *n > 1)
		qsort(*races, *n, sizeof(**races), cmp_race);
out:
	if (rc != 0) {
		free(*races);
		*races = NULL;
		*n = 0;
	}
	free(start);
	free(fill);
	free(idx);
	free(kind);
	free(site);
	free(sites);
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
		rec->lo = a->off > b->off ? a->off : b->off;
		rec->hi = a->off + a->ret < b->off + b->ret ? a->off + a->ret
		                                            : b->off + b->ret;
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
