/*
 * How long the data-race analysis takes on a trace of N accesses, made
 * here in memory (scripts/bench-analysis, docs/performance.md). Shapes:
 *   racy    two processes load and store one cell, never synchronised:
 *           every pair of their accesses is concurrent
 *   locked  the same inside a semaphore (wait, load, store, post): every
 *           pair ordered
 *   append  two processes write one byte each at the end of one file,
 *           never synchronised: concurrent, never the same bytes
 * Usage: race_bench SHAPE N; prints "SHAPE N events: T ms, R races".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace/race.h"
#include "trace/trace.h"

/* Append an event. */
static void
add(struct lk_trace *t, int proc, int op, int obj, int64_t ret, int64_t off)
{
	struct lk_tev *e = &t->ev[t->nevents];

	e->step = (uint32_t)t->nevents++;
	e->proc = proc;
	e->op = op;
	e->obj = obj;
	e->ret = ret;
	e->u.rw.off = off;
	e->src = (uint32_t)(10 + op);
}

int
main(int argc, char **argv)
{
	struct lk_trace *t;
	struct lk_race *r;
	struct timespec a, b;
	size_t n, nr;

	if (argc != 3 || (n = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: race_bench racy|locked|append N\n");
		return 2;
	}
	t = lk_trace_new();
	t->nprocs = 2;
	t->procs = calloc(2, sizeof(*t->procs));
	strcpy(t->procs[0].name, "A");
	strcpy(t->procs[1].name, "B");
	t->nobjs = 3;
	t->objs = calloc(3, sizeof(*t->objs));
	strcpy(t->objs[0].name, "x");
	t->objs[0].type = LK_OT_CELL;
	strcpy(t->objs[1].name, "m");
	t->objs[1].type = LK_OT_SEM_NAMED;
	strcpy(t->objs[2].name, "log");
	t->objs[2].type = LK_OT_FILE;
	t->ev = calloc(2 * n + 4, sizeof(*t->ev));
	if (t->procs == NULL || t->objs == NULL || t->ev == NULL)
		return 70;
	for (size_t i = 0; t->nevents < n; i++) {
		int p = (int)(i % 2);

		if (strcmp(argv[1], "racy") == 0) {
			add(t, p, LK_OP_LOAD, 0, 0, 0);
			add(t, p, LK_OP_STORE, 0, 1, 0);
		} else if (strcmp(argv[1], "locked") == 0) {
			add(t, p, LK_OP_SEM_WAIT, 1, 0, 0);
			add(t, p, LK_OP_LOAD, 0, 0, 0);
			add(t, p, LK_OP_STORE, 0, 1, 0);
			add(t, p, LK_OP_SEM_POST, 1, 0, 0);
		} else if (strcmp(argv[1], "append") == 0) {
			add(t, p, LK_OP_WRITE, 2, 1, (int64_t)i);
		} else {
			fprintf(stderr, "race_bench: unknown shape %s\n",
			        argv[1]);
			return 2;
		}
	}
	if (lk_trace_vclocks(t) != 0)
		return 70;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (lk_race_find(t, 1, &r, &nr) != 0)
		return 70;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%s %zu events: %.1f ms, %zu races\n", argv[1], t->nevents,
	       (double)(b.tv_sec - a.tv_sec) * 1e3 +
	               (double)(b.tv_nsec - a.tv_nsec) / 1e6,
	       nr);
	free(r);
	lk_trace_free(t);
	return 0;
}
