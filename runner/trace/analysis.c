/* Deadlock explanations: the wait-for graph of a stuck run. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/analysis.h"

/* Mark in releasers the objects posted by an action list of process p. */
static void
scan_posts(const struct lk_sc_action *a, size_t n, int p, uint64_t *rel,
           size_t nobjs)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == LK_ACT_POST && a[i].obj >= 0 &&
		    (size_t)a[i].obj < nobjs)
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
		if (t->ev[i].op == LK_OP_SEM_POST && t->ev[i].obj >= 0)
			rel[t->ev[i].obj] |= 1ull << t->ev[i].proc;
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
		if (e->op == LK_OP_FORK && e->ret > 0 && e->arg < 64)
			for (size_t o = 0; o < t->nobjs; o++)
				if (could[o] & (1ull << e->proc))
					could[o] |= 1ull << e->arg;
	}
}

/* Depth-first search for a cycle through p; 1 when found. */
static int
dfs(size_t n, int p, const int *waits, const uint64_t *rel, const int *exited,
    int *color, int *next)
{
	uint64_t cand;

	color[p] = 1;
	if (waits[p] >= 0) {
		cand = rel[waits[p]];
		for (size_t q = 0; q < n; q++) {
			if (!(cand & (1ull << q)) || exited[q] || (int)q == p)
				continue;
			next[p] = (int)q;
			if (color[q] == 1)
				return 1;
			if (color[q] == 0 &&
			    dfs(n, (int)q, waits, rel, exited, color, next))
				return 1;
		}
	}
	color[p] = 2;
	return 0;
}

/* Find a wait-for cycle (see analysis.h). */
size_t
lk_find_cycle(size_t nprocs, const int *waits, const uint64_t *rel,
              const int *exited, int *cycle)
{
	int color[LK_MAX_PROCS] = {0}, next[LK_MAX_PROCS];

	for (size_t s = 0; s < nprocs; s++) {
		if (color[s] != 0 || waits[s] < 0)
			continue;
		if (!dfs(nprocs, (int)s, waits, rel, exited, color, next))
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

/* Explain a deadlocked trace in words (see analysis.h). */
void
lk_explain_deadlock(struct lk_trace *t, const struct lk_scenario *sc, char *buf,
                    size_t size)
{
	uint64_t rel[LK_MAX_OBJECTS], could[LK_MAX_OBJECTS];
	char guessed[LK_MAX_OBJECTS] = {0};
	int waits[LK_MAX_PROCS], exited[LK_MAX_PROCS], cycle[LK_MAX_PROCS + 1];
	size_t n = t->nprocs, len;

	buf[0] = '\0';
	lk_releasers(t, sc, rel);
	holders(t, rel, could);
	for (size_t o = 0; o < t->nobjs; o++)
		if (rel[o] == 0) {
			rel[o] = could[o];
			guessed[o] = 1;
		}
	for (size_t p = 0; p < n; p++) {
		waits[p] = t->procs[p].blocked_on;
		exited[p] = t->procs[p].exited;
	}
	for (size_t p = 0; p < n; p++) {
		int o = waits[p], k = 0, live = 0;

		if (o == LK_WAIT_CHILD) {
			append(buf, size,
			       "%s waits for a child to exit, and none can\n",
			       t->procs[p].name);
			continue;
		}
		if (o < 0)
			continue;
		append(buf, size, "%s waits for %s", t->procs[p].name,
		       t->objs[o].name);
		if (t->objs[o].value >= 0)
			append(buf, size, " (%d)", t->objs[o].value);
		for (size_t q = 0; q < n; q++)
			if ((rel[o] & (1ull << q)) && !exited[q] && q != p)
				live++;
		if (live == 0) {
			append(buf, size, ", which no live process posts\n");
			continue;
		}
		append(buf, size, ", which %s", live == 1 ? "only " : "");
		for (size_t q = 0; q < n; q++) {
			if (!(rel[o] & (1ull << q)) || exited[q] || q == p)
				continue;
			append(buf, size, "%s%s",
			       k == 0          ? ""
			       : k == live - 1 ? " or "
			                       : ", ",
			       t->procs[q].name);
			k++;
		}
		append(buf, size,
		       guessed[o] ? " could post (it has it)\n" : " posts\n");
	}
	len = lk_find_cycle(n, waits, rel, exited, cycle);
	if (len == 0)
		return;
	t->ncycle = len + 1;
	memcpy(t->cycle, cycle, (len + 1) * sizeof(*cycle));
	append(buf, size, "wait-for cycle: ");
	for (size_t i = 0; i <= len; i++)
		append(buf, size, "%s%s", i ? " -> " : "",
		       t->procs[cycle[i]].name);
	append(buf, size, "\n");
}
