/*
 * Reading a trace for what a user asks: why it deadlocked, whether the
 * scenario's expectations hold, and a readable interleaving.
 */
#ifndef LK_ANALYSIS_H
#define LK_ANALYSIS_H

#include <stdio.h>

#include "scenario/scenario.h"
#include "trace/trace.h"

/* Who could release each object: bit p of releasers[obj] is set when
 * process p posts obj in its program or did in the trace. */
void lk_releasers(const struct lk_trace *t, const struct lk_scenario *sc,
                  lk_procset *releasers);

/*
 * Find a wait-for cycle among blocked processes: waits[p] is the object p
 * is blocked on (-1 none), releasers as above, exited[p] true for gone
 * processes. Writes the cycle into cycle[] (process indices, the first
 * repeated at the end) and returns its length without the repeat, or 0.
 */
size_t lk_find_cycle(size_t nprocs, const int *waits,
                     const lk_procset *releasers, const int *exited,
                     int *cycle);

/* The wait-for graph of t at its end, what lk_explain_deadlock says in
 * words: bit q of who[p] (LK_MAX_PROCS entries) is set when q could let
 * blocked process p go on: post the semaphore it waits for (from sc's
 * programs and the trace; without sc, any process that has it), hold a
 * pipe end open, hold the lock or the mutex, be the child or thread it
 * waits for. */
void lk_wait_for(const struct lk_trace *t, const struct lk_scenario *sc,
                 lk_procset *who);

/* Explain a deadlocked trace in words, one line per blocked process and
 * then the cycle, into buf; the cycle is also kept in t->cycle. */
void lk_explain_deadlock(struct lk_trace *t, const struct lk_scenario *sc,
                         char *buf, size_t size);

/* Result of one expectation in one run. */
/* How an expectation that could not be judged is explained (explore). */
#define LK_UNJUDGED "cannot judge the expectation"

struct lk_verdict_line {
	int holds;  /* the condition is true in this run */
	int passed; /* holds as its quantifier asks (sometimes: always) */
	int error;  /* could not be judged (a regex hit its limits): text
	               says why, and the run's verdict is an error */
	char text[256];
};

/* The text of expectation i of sc, one terminal line (a newline in a
 * regex or a text shows as \n), with its quantifier when not "always":
 * "counter = 2", "output matches /A1\nB1/ (sometimes)". */
void lk_expect_text(const struct lk_scenario *sc, size_t i, char *buf,
                    size_t size);

/* Judge every expectation of sc on t into out[sc->nexpects]; returns the
 * number that did not pass. */
size_t lk_expect_eval(const struct lk_trace *t, const struct lk_scenario *sc,
                      struct lk_verdict_line *out);

#endif
