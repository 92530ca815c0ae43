/*
 * Schedule files: one interleaving, as plain text a person can read and
 * edit (docs/schedules.md). A header names the scenario (and its SHA-256),
 * the strategy and the seed; then one decision a line: the process that
 * takes the step, and optionally the operation and object it must be
 * about to perform, so that replay notices when it drifts.
 */
#ifndef LK_SCHEDULE_H
#define LK_SCHEDULE_H

#include <stdint.h>
#include <stdio.h>

#include "common/protocol.h"
#include "lockstep/lockstep.h"

struct lk_trace;

#define LK_SCHEDULE_FORMAT    1
#define LK_SCHEDULE_MAX_STEPS 10000000u

struct lk_schedule {
	char *path;         /* the file it was read from */
	char *scenario;     /* path of the scenario, NULL if absent */
	char *scenario_abs; /* its absolute path when scenario is
	                       relative ("scenario-absolute:"), or NULL */
	char **program;     /* or the program and its arguments, NULL-
	                       terminated ("program:" and "arg:" lines) */
	size_t nprogram;
	char sha256[65];   /* of the scenario file, "" if absent */
	unsigned strategy; /* what made it (information only) */
	uint64_t seed;
	int perturb; /* made with --perturb ("perturb: yes"): replay too */
	size_t n;
	struct lk_decision *steps;
	uint32_t *lines; /* line of each decision in the file */
};

/* Read a schedule file. Returns 0, or -1 with err ("path:line: ...",
 * LK_EXIT_USAGE). */
int lk_schedule_read(const char *path, struct lk_schedule **out,
                     struct lk_err *err);

/* The same from a buffer; path is used in messages. */
int lk_schedule_parse(const char *buf, size_t len, const char *path,
                      struct lk_schedule **out, struct lk_err *err);

/* Free a schedule; NULL is allowed. */
void lk_schedule_free(struct lk_schedule *s);

/* Write the interleaving of t as a schedule for the scenario at
 * scenario_path (and, when that is relative, at the absolute path
 * scenario_abs, or NULL), or for the program argv (program != NULL: path
 * and arguments, NULL-terminated), whose bytes hash to sha (may be
 * NULL). 0 or -1. */
int lk_schedule_write(const struct lk_trace *t, const char *scenario_path,
                      const char *scenario_abs, char *const *program,
                      const char *sha, FILE *f);

/*
 * The scenario path to write in a schedule that will be saved at
 * sched_path (NULL: not known yet): relative to the schedule file's
 * directory when the scenario lies under it (or, with up set, under the
 * same top directory: "../scenarios/x.xml"), else absolute. malloc'd;
 * NULL with errno.
 */
char *lk_schedule_scenario_ref(const char *scenario, const char *sched_path,
                               int up);

/* The scenario s names, resolved: a relative path is taken from the
 * schedule file's directory. malloc'd; NULL when none or no memory. */
char *lk_schedule_scenario_path(const struct lk_schedule *s);

/*
 * The scenario s names, found: its relative path (from the schedule
 * file's directory) when that exists, else its absolute path
 * ("scenario-absolute:") when that does. malloc'd; NULL with why saying
 * which paths were tried, or "" for no memory.
 */
char *lk_schedule_scenario_find(const struct lk_schedule *s, char *why,
                                size_t size);

#endif
