/*
 * libFuzzer harness for traces (JSON Lines, docs/trace-format.md), as
 * `lockstep render` and `export` read them: whatever the bytes,
 * lk_viz_read_mem (the reader of lk_viz_read, on a buffer) must return
 * without crashing, hanging, leaking or reading out of bounds (the
 * sanitizers and libFuzzer watch for those), and every rejection must be
 * a message that names the file, "fuzz.jsonl:LINE: ...", checked here.
 * An accepted trace, its happens-before edges included, is walked once so
 * that an index out of range or an unterminated string shows up.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lockstep/lockstep.h"
#include "viz/viz.h"

#define FUZZ_PATH "fuzz.jsonl"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the walk adds up string lengths, so no strlen is optimised away. */
static volatile size_t sink;

/* Trap unless err->msg is a non-empty string ending inside the buffer
 * that starts with path and a colon. */
static void
check_message(const struct lk_err *err, const char *path)
{
	size_t len = strnlen(err->msg, sizeof(err->msg));
	size_t plen = strlen(path);

	if (len == 0 || len == sizeof(err->msg))
		__builtin_trap();
	if (strncmp(err->msg, path, plen) != 0 || err->msg[plen] != ':')
		__builtin_trap();
}

/* Trap unless i is -1 or an index below n. */
static void
check_index(long i, size_t n)
{
	if (i < -1 || (i >= 0 && (size_t)i >= n))
		__builtin_trap();
}

/* Touch the header's part of an accepted trace; traps on a broken one. */
static void
walk_header(const struct lk_viz_trace *t)
{
	if (t->path == NULL || strcmp(t->path, FUZZ_PATH) != 0 ||
	    t->scenario == NULL || t->strategy == NULL || t->verdict == NULL)
		__builtin_trap();
	sink += strlen(t->scenario) + strlen(t->strategy) + strlen(t->verdict);
	check_index(t->culprit, t->nprocs);
	for (size_t p = 0; p < t->nprocs; p++) {
		const struct lk__viz_proc *pr = &t->procs[p];

		if (pr->name == NULL || (pr->in_cycle & ~1) != 0)
			__builtin_trap();
		sink += strlen(pr->name);
		check_index(pr->parent, t->nprocs);
		check_index(pr->blocked, t->nobjs);
	}
	/* pipe holds one flag per object. */
	for (size_t o = 0; o < t->nobjs; o++) {
		if (t->objs[o] == NULL || (t->pipe[o] & ~1) != 0)
			__builtin_trap();
		sink += strlen(t->objs[o]);
	}
	for (size_t k = 0; k < t->nops; k++) {
		if (t->ops[k] == NULL)
			__builtin_trap();
		sink += strlen(t->ops[k]);
	}
	for (size_t k = 0; k < t->ncycle; k++)
		if (t->cycle[k] < 0 || (size_t)t->cycle[k] >= t->nprocs)
			__builtin_trap();
}

/* Touch event i of an accepted trace; traps on a broken one. */
static void
walk_event(const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	unsigned long own = 0;

	if (e->step < 0 || (i > 0 && e->step <= t->ev[i - 1].step) ||
	    e->proc >= t->nprocs || e->opname >= t->nops ||
	    e->op < LK__VIZ_OTHER || e->op > LK__VIZ_LOCK)
		__builtin_trap();
	check_index(e->obj, t->nobjs);
	check_index(e->peer, t->nprocs);
	if (e->fd < -1 || (e->end != 0 && e->end != 'r' && e->end != 'w') ||
	    (e->lock != 0 && e->lock != 'r' && e->lock != 'w' &&
	     e->lock != 'u'))
		__builtin_trap();
	if (e->data != NULL)
		sink += strlen(e->data);
	/* The clock is sorted by process, each at most once. */
	for (unsigned k = 0; k < e->nvc; k++) {
		if (e->vc[k].proc >= t->nprocs ||
		    (k > 0 && e->vc[k].proc <= e->vc[k - 1].proc))
			__builtin_trap();
		if (e->vc[k].proc == e->proc)
			own = e->vc[k].n;
	}
	if (e->own != own)
		__builtin_trap();
}

/* Touch the edges of an accepted trace; traps on a broken one. */
static void
walk_edges(const struct lk_viz_trace *t)
{
	if (lk_viz_edges(t) != t->nedges)
		__builtin_trap();
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk__viz_edge *d = &t->edges[k];

		/* Sorted by target; from an earlier event of another
		 * process. */
		if (d->to >= t->nev || d->from >= d->to ||
		    (k > 0 && d->to < t->edges[k - 1].to) ||
		    d->kind >= LK__VIZ_NKINDS ||
		    t->ev[d->from].proc == t->ev[d->to].proc)
			__builtin_trap();
		/* write -> read: bytes of the read that it returned. */
		if (d->kind == LK__VIZ_WRITE_READ &&
		    (d->off < 0 || d->len <= 0 ||
		     d->off + d->len > t->ev[d->to].ret))
			__builtin_trap();
	}
}

/* Parse one input as a trace, free what was built, check the error. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_viz_trace *t = NULL;
	struct lk_err err;

	/* No NUL anywhere: a message left unterminated is then seen. */
	memset(&err, 'Z', sizeof(err));
	if (lk_viz_read_mem((const char *)data, size, FUZZ_PATH, &t, &err) ==
	    0) {
		if (t == NULL || t->nev > LK_VIZ_MAX_EVENTS)
			__builtin_trap();
		walk_header(t);
		for (size_t i = 0; i < t->nev; i++)
			walk_event(t, i);
		if (lk_viz_last_step(t) !=
		    (t->nev > 0 ? t->ev[t->nev - 1].step : -1))
			__builtin_trap();
		walk_edges(t);
		lk_viz_free(t);
		return 0;
	}
	if (t != NULL)
		__builtin_trap();
	check_message(&err, FUZZ_PATH);
	return 0;
}
