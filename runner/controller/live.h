/*
 * A program's standard output and standard error, passed through to
 * lockstep's own as the run goes (run -q -- PROGRAM). The processes write
 * into the run's memory files as always (the trace and the captured output
 * do not change); the controller copies what each write step added to its
 * own descriptors, in step order. See live.c.
 */
#ifndef LK_LIVE_H
#define LK_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/protocol.h"

struct lk_live_seg {
	int k;        /* 0: stdout, 1: stderr */
	uint64_t end; /* offset in that memory file the piece ends at */
};

struct lk_live {
	int on;
	int dst[2];         /* lockstep's descriptors they go to */
	int src[2];         /* the run's memory files, -1 none */
	int obj[2];         /* their objects, -1 while unknown */
	uint64_t queued[2]; /* bytes of each memory file put in the queue */
	uint64_t sent[2];   /* bytes of each passed on (or dropped) */
	int gone[2];        /* its reader went away (EPIPE) or it failed */
	int error[2];       /* why it failed, other than EPIPE: errno, 0 */
	uint32_t seen;      /* events looked at */
	struct lk_live_seg *q;
	size_t qhead, qlen, qcap;
	char *buf;
};

/* Set l up: off unless on; out_obj is the object of standard output. */
void lk_live_init(struct lk_live *l, int on, const int dst[2], int out_fd,
                  int err_fd, int out_obj);

/* Queue the bytes of the steps recorded since the last call and pass on
 * what can be without blocking. Returns the descriptor that must become
 * writable for more to go (poll it for POLLOUT), or -1. */
int lk_live_pump(struct lk_live *l, struct lk_shared *sh);

/* At the end of the run: queue the rest, bytes written outside any step
 * included, and pass everything on, waiting for the reader (given up when
 * a stop is requested). */
void lk_live_finish(struct lk_live *l, const struct lk_shared *sh);

void lk_live_free(struct lk_live *l);

#endif
