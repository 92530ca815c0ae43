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
	const struct lk_trace *tr = t->tr;

	if (t->path == NULL || strcmp(t->path, FUZZ_PATH) != 0 ||
	    tr->scenario == NULL || tr->nprocs > LK_MAX_PROCS ||
	    tr->ncycle > LK_MAX_PROCS + 1)
		__builtin_trap();
	sink += strlen(tr->scenario) + strlen(lk__viz_strategy(tr)) +
	        strlen(lk_verdict_name(tr->verdict));
	check_index(tr->culprit, tr->nprocs);
	for (size_t p = 0; p < tr->nprocs; p++) {
		const struct lk_tproc *pr = &tr->procs[p];

		if (memchr(pr->name, '\0', sizeof(pr->name)) == NULL ||
		    memchr(pr->program, '\0', sizeof(pr->program)) == NULL ||
		    (t->in_cycle[p] & ~1) != 0)
			__builtin_trap();
		sink += strlen(lk_trace_proc_label(tr, (int)p));
		check_index(pr->parent, tr->nprocs);
		if (pr->blocked_on != LK_WAIT_CHILD &&
		    pr->blocked_on != LK_WAIT_SIGNAL)
			check_index(pr->blocked_on, tr->nobjs);
	}
	for (size_t o = 0; o < tr->nobjs; o++)
		sink += strlen(lk__viz_obj(tr, (int)o));
	for (size_t k = 0; k < tr->ncycle; k++)
		if (tr->cycle[k] < 0 || (size_t)tr->cycle[k] >= tr->nprocs)
			__builtin_trap();
}

/* Touch event i of an accepted trace; traps on a broken one. */
static void
walk_event(const struct lk_viz_trace *t, size_t i)
{
	const struct lk_trace *tr = t->tr;
	const struct lk_tev *e = &tr->ev[i];
	int end = lk__viz_end(tr, e), lock = lk__viz_lock(e);
	long long v;

	if ((i > 0 && e->step <= tr->ev[i - 1].step) || e->proc < 0 ||
	    (size_t)e->proc >= tr->nprocs || e->op < 0 ||
	    e->op >= LK_OP__COUNT + (int)tr->nopnames ||
	    lk__viz_op(e) < LK__VIZ_OTHER || lk__viz_op(e) > LK__VIZ_LOCK ||
	    e->vc == NULL)
		__builtin_trap();
	sink += strlen(lk_trace_op_name(tr, e->op));
	check_index(e->obj, tr->nobjs);
	check_index(lk__viz_peer(tr, e), tr->nprocs);
	if (lk__viz_fd(e) < -1 || (end != 0 && end != 'r' && end != 'w') ||
	    (lock != 0 && lock != 'r' && lock != 'w' && lock != 'u'))
		__builtin_trap();
	if (e->data != NULL)
		sink += strnlen(e->data, e->len);
	sink += (size_t)lk__viz_num(e, &v);
	for (size_t p = 0; p < tr->nprocs; p++)
		sink += e->vc[p];
}

/* Touch the edges of an accepted trace; traps on a broken one. */
static void
walk_edges(const struct lk_viz_trace *t)
{
	if (lk_viz_edges(t) != t->nedges)
		__builtin_trap();
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *d = &t->edges[k];

		/* Sorted by target; from an earlier event of another
		 * process. */
		if (d->to >= t->tr->nevents || d->from >= d->to ||
		    (k > 0 && d->to < t->edges[k - 1].to) ||
		    d->kind >= LK_HB_NKINDS ||
		    t->tr->ev[d->from].proc == t->tr->ev[d->to].proc)
			__builtin_trap();
		/* write -> read: bytes of the read that it returned. */
		if (d->kind == LK_HB_WRITE_READ &&
		    (d->off < 0 || d->len <= 0 ||
		     d->off + d->len > t->tr->ev[d->to].ret))
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
		if (t == NULL || t->tr->nevents > LK_VIZ_MAX_EVENTS)
			__builtin_trap();
		walk_header(t);
		for (size_t i = 0; i < t->tr->nevents; i++)
			walk_event(t, i);
		if (lk_viz_last_step(t) !=
		    (t->tr->nevents > 0
		             ? (long)t->tr->ev[t->tr->nevents - 1].step
		             : -1))
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
