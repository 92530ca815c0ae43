/*
 * Helpers of the IPC end-to-end tests: run lockstep with a private TMPDIR
 * and check that it left nothing behind (objects in /dev/shm, work
 * directories in TMPDIR, SysV shared memory segments), and look things up
 * in traces and in explore's JSON.
 */
#ifndef LK_IPC_H
#define LK_IPC_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

#include "../e2e/e2e.h"

#define IPC_LOCKSTEP LK_BUILD_DIR "/lockstep"

/* One run of lockstep and what it left behind. */
struct ipc_run {
	struct e2e_result r;
	int tmp_left;  /* entries lockstep left in its TMPDIR */
	int sysv_left; /* SysV segments the run left */
	json_t *trace; /* the trace file, when one was asked for */
	json_t *json;  /* standard output, when it is one JSON object */
};

/*
 * Run lockstep with args (NULL-terminated, without argv[0]) from the
 * source directory, with TMPDIR a new empty directory, plus the
 * "NAME=VALUE" strings of env (may be NULL). When trace is not NULL, it
 * is the path given to --trace, loaded after the run. Fails the test when
 * lockstep could not be started.
 */
void ipc_run(struct ipc_run *run, const char *trace, const char *const args[],
             const char *const env[]);

/* ipc_run with the arguments inline. */
#define IPC_RUN(run, trace, ...)                                               \
	ipc_run((run), (trace), (const char *const[]){__VA_ARGS__, NULL}, NULL)

/* Free what a run captured. */
void ipc_run_free(struct ipc_run *run);

/*
 * Fail unless the run ended by itself with exit status and left nothing
 * behind: no object in /dev/shm, nothing in its TMPDIR, no SysV segment.
 */
void ipc_expect_exit(const struct ipc_run *run, int status);

/* Fail unless the standard output or error holds text. */
void ipc_expect_out(const struct ipc_run *run, const char *text);
void ipc_expect_err(const struct ipc_run *run, const char *text);

/* The ids of the SysV segments that workdir's run listed and that still
 * exist (lockstep lists them in DIR/.lockstep-sysv); -1 when no list. */
int ipc_sysv_listed_alive(const char *workdir);

/* Member k of o as an integer (fails the test unless it is one). */
json_int_t ipc_jint(const json_t *o, const char *k);

/* Member k of o as a string; NULL when it is not one. */
const char *ipc_jstr(const json_t *o, const char *k);

/* Is the string member k of o equal to s? */
int ipc_jis(const json_t *o, const char *k, const char *s);

/*
 * Index in trace t (header at 0) of the first event from index from on
 * with that process, operation and object (NULL: any) and blocked flag
 * (-1: any); -1 when none.
 */
long ipc_find(const json_t *t, size_t from, const char *proc, const char *op,
              const char *obj, int blocked);

/* Event i of t (fails the test when i is not an event). */
json_t *ipc_ev(const json_t *t, long i);

/* vc[proc] of event ev (0 when absent). */
json_int_t ipc_vc(const json_t *ev, const char *proc);

/* Does event a happen before event b (a.vc[a.proc] <= b.vc[a.proc])? */
int ipc_hb(const json_t *a, const json_t *b);

/* explore --json: fail unless every expectation passed. */
void ipc_expect_all_passed(const json_t *j);

/* explore --json: the expectation on scenario line (fails if none). */
const json_t *ipc_expectation(const json_t *j, long line);

/* explore --json: is there a race on object obj? */
int ipc_has_race(const json_t *j, const char *obj);

/* explore --json: the number of outcomes with verdict v (NULL: any). */
size_t ipc_count_outcomes(const json_t *j, const char *v);

/* explore --json: the number of outcomes whose text holds text. */
size_t ipc_outcomes_with(const json_t *j, const char *text);

/* The line of the scenario file (relative to the source directory) that
 * holds text; fails the test when none does. */
long ipc_line_of(const char *file, const char *text);

#endif
