/*
 * explore: many runs of one scenario, each a full run under the
 * controller, and what they add up to: the distinct outcomes with a
 * schedule for each, deadlocks, failures, and each expectation's verdict
 * over all runs (always, sometimes, never).
 *
 * Strategies: dfs (exhaustive, with dynamic partial-order reduction after
 * Flanagan and Godefroid, POPL 2005), random and pct (seeded runs).
 */
#ifndef LK_EXPLORE_H
#define LK_EXPLORE_H

#include <stdint.h>

#include "controller/controller.h"
#include "scenario/scenario.h"
#include "trace/race.h"

struct lk_explore;

enum lk_explore_kind {
	LK_EXP_DFS,
	LK_EXP_RANDOM,
	LK_EXP_PCT,
};

/* One step of a run, as the explorer needs it. */
struct lk_step_rec {
	uint16_t proc;
	uint16_t op;
	int32_t obj;
	int64_t ret;
	union lk_payload u; /* by op: its member in the LK_OPS table */
	lk_procset enabled;
	uint8_t blocked;
};

/* What one run comes to: the explorer keeps this, not the trace. */
struct lk_digest {
	int verdict; /* enum lk_verdict */
	size_t nsteps;
	struct lk_step_rec *steps;
	size_t nprocs;
	char (*procs)[LK_NAME_MAX];
	size_t nobjs;
	char (*objs)[LK_NAME_MAX];
	char *outcome;  /* the outcome, as text: the key of the table */
	char *explain;  /* why it deadlocked or failed, "" if it did not */
	char *schedule; /* the run as a schedule file */
	uint64_t held;  /* bit i: expectation i held in this run */
	size_t nraces;  /* the run's distinct races (one per key) */
	struct lk_race_rec *races;
};

struct lk_explore_opts {
	struct lk_run_opts run;    /* agent, interposer, limits */
	unsigned kind;             /* enum lk_explore_kind */
	uint64_t seed;             /* random, pct: the first seed */
	unsigned runs;             /* random, pct: how many runs */
	unsigned depth;            /* pct: bug depth */
	unsigned max_runs;         /* dfs: stop after this many */
	unsigned preemption_bound; /* dfs: UINT32_MAX for none */
	unsigned time_limit_ms;    /* 0: none */
	int no_reduction;          /* dfs: every enabled process, every step */
	unsigned jobs;             /* runs at once */
	int no_zygote;             /* fork+exec every process of every run */
	unsigned shard, nshards;   /* run only shard K of N (K < N) */
	int stop_at_first;         /* stop after the first failing run; -j N
	                              records runs in -j 1's order then */
	/* Called after every run (progress line); may be NULL. */
	void (*progress)(const struct lk_explore *e, void *arg);
	void *progress_arg;
};

struct lk_outcome {
	char *text;     /* the outcome (key) */
	unsigned count; /* runs that reached it */
	int verdict;
	char *explain;
	char *schedule; /* the simplest run that reached it: fewest
	                   preemptions, then fewest steps */
	uint64_t held;
	unsigned preemptions;
	size_t steps;
};

/* A race seen in one or more runs, one per key (lk_race_rec_key). */
struct lk_race_seen {
	char *key;
	struct lk_race_rec rec; /* as in the run that schedule is of */
	unsigned count;         /* runs in which it was seen */
	char *schedule;         /* the simplest of those runs, as outcomes */
	unsigned preemptions;
	size_t steps;
};

struct lk_explore {
	unsigned runs;
	int complete;      /* every interleaving within the bounds covered */
	const char *bound; /* the bound that stopped it, NULL if none */
	size_t noutcomes;
	struct lk_outcome *outcomes;
	size_t nraces; /* sorted by key once exploring is done */
	struct lk_race_seen *races;
	size_t nexpects;
	unsigned *held; /* per expectation: runs in which it held */
	unsigned deadlocks, failures; /* runs */
	double seconds;
	unsigned pruned; /* dfs: alternatives cut by the preemption bound */
	/* --stop-at-first: the run (1, 2, ...) that failed and stopped the
	 * exploration, 0 if none did; its outcome (an index) and the exit
	 * status it stands for (deadlock 3, crash or timeout 4, a failed
	 * expectation 1). */
	unsigned stop_run;
	size_t stop_outcome;
	int stop_status;
	/* dfs: prefixes left to run, and an estimate of the runs in all
	 * (from the branching seen so far), for the
	 * progress line. */
	size_t pending;
	double estimate;
};

/* Explore sc under o into *e (free with lk_explore_free). Returns 0, or
 * -1 with err when exploring could not start or a run could not be made
 * (a run that deadlocks or crashes is a result, not an error). */
int lk_explore_run(const struct lk_scenario *sc,
                   const struct lk_explore_opts *o, struct lk_explore *e,
                   struct lk_err *err);

/* Free what an exploration holds. */
void lk_explore_free(struct lk_explore *e);

/* Make the digest of a run (digest.c). 0 or -1 (memory). */
int lk_digest_make(struct lk_trace *t, const struct lk_scenario *sc,
                   const char *sha, struct lk_digest *d);

/* Free a digest's contents. */
void lk_digest_clear(struct lk_digest *d);

/* Send a digest down a pipe, and read it back (digest.c); 0 or -1. */
/* The pipe between explore and its workers: all of len bytes (put: 0
 * or -1; get: 0, 1 when the pipe ended before the first byte, or -1). */
int lk_wire_put(int fd, const void *buf, size_t len);
int lk_wire_get(int fd, void *buf, size_t len);

int lk_digest_send(int fd, const struct lk_digest *d);
int lk_digest_recv(int fd, struct lk_digest *d);

/*
 * Dynamic partial-order reduction on one run (dpor.c): for every race
 * (two dependent steps of different processes not ordered by
 * happens-before), call add(arg, k, p): process p should be tried at
 * step k. With full set, every enabled process at every step instead.
 */
void lk_dpor_backtrack(const struct lk_digest *d, int full,
                       void (*add)(void *arg, size_t k, unsigned p), void *arg);

/* Is a step a read (1), a write (2) or neither (0) of its object? */
int lk_dpor_access(const struct lk_step_rec *s);

#endif
