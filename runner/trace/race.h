/*
 * Data races, found from the trace alone: two accesses to the same data
 * (the bytes of a regular file, a shared-memory cell) by different
 * processes, at least one of them a write, with no happens-before order
 * between them (DESIGN.md). Cells: load and store. File-system names: a
 * call that creates, removes or replaces one writes it (an open only when
 * it created the file), any other call on it (a failed one too) reads
 * it. Files: read and write,
 * conflicting when their byte ranges [off, off + ret) overlap. Blocked
 * and failed calls, and transfers of no bytes, access nothing.
 */
#ifndef LK_RACE_H
#define LK_RACE_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

#define LK_RACE_KEY_MAX  256 /* a key fits (names are LK_NAME_MAX) */
#define LK_RACE_TEXT_MAX 512 /* a formatted race fits */

/* One race of a trace: two event indices and the object. */
struct lk_race {
	size_t a, b; /* event indices, a < b */
	int obj;
};

/* One side of a race, by name: it outlives the trace (explore keeps it
 * and sends it from worker processes as plain bytes). */
struct lk_race_site {
	char proc[LK_NAME_MAX];
	uint32_t op;   /* enum lk_op */
	uint32_t line; /* XML line of the action, 0 none */
	uint32_t step;
};

/* A race by name: what is reported and what its key is made of. */
struct lk_race_rec {
	char obj[LK_NAME_MAX];
	uint32_t type;  /* enum lk_obj_type: LK_OT_CELL, _FILE or _NAME */
	int64_t lo, hi; /* files: the bytes both touch, [lo, hi) */
	struct lk_race_site first, second; /* in step order */
};

/*
 * Find the races of t (clocks are computed if they are missing) into a
 * malloc'd array *races of *n, sorted by (a, b); free it with free().
 * With unique set, only the first race of each key (lk_race_key) is kept.
 * Near-linear in the accesses (see race.c). Returns 0, -ENOMEM, or
 * -EINTR when asked to stop (lk_stop_requested) before it was done.
 */
int lk_race_find(struct lk_trace *t, int unique, struct lk_race **races,
                 size_t *n);

/* Describe race r of t by name into *rec. */
void lk_race_rec_make(const struct lk_trace *t, const struct lk_race *r,
                      struct lk_race_rec *rec);

/* The key of a race: the object and the two (process, operation, line)
 * sides in a canonical order, so that the same two actions racing in
 * another run (or the other way round) give the same key. Returns the
 * length snprintf would write. */
int lk_race_rec_key(const struct lk_race_rec *rec, char *buf, size_t size);

/* A race as one line of text, without a newline: "race on cell counter:
 * load by inc.1 (line 12, step 4) and store by inc.2 (line 14, step 7),
 * not ordered by happens-before". Returns what snprintf returns. */
int lk_race_rec_format(const struct lk_race_rec *rec, char *buf, size_t size);

/* lk_race_rec_key and lk_race_rec_format of race r of t. */
int lk_race_key(const struct lk_trace *t, const struct lk_race *r, char *buf,
                size_t size);
int lk_race_format(const struct lk_trace *t, const struct lk_race *r, char *buf,
                   size_t size);

#endif
