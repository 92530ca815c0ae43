/*
 * The trace: the one record of a run. The controller produces it, the
 * JSON Lines file stores it (docs/trace-format.md), and everything
 * downstream (report, expectations, deadlock explanation, diagrams) reads
 * it rather than the live run.
 */
#ifndef LK_TRACE_H
#define LK_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "common/protocol.h"
#include "lockstep/lockstep.h"

struct lk_err;

/* How a run ended. */
enum lk_verdict {
	LK_V_DONE,        /* every process exited */
	LK_V_DEADLOCK,    /* processes left, none could step */
	LK_V_CRASH,       /* a process died of a signal (or exited unseen) */
	LK_V_TIMEOUT,     /* a process did not reach a point in time */
	LK_V_LIMIT,       /* the step limit was reached */
	LK_V_INTERRUPTED, /* lockstep was told to stop */
	LK_V_DIVERGED,    /* a forced schedule could not be followed */
	LK_V_UNKNOWN,     /* read from a trace that did not say ("?") */
};

/* Limits of what lk_trace_read accepts. */
#define LK_TRACE_MAX_LINE    (1024 * 1024) /* bytes in one line */
#define LK_TRACE_MAX_EVENTS  1000000       /* events in one trace */
#define LK_TRACE_MAX_OBJS    1000000       /* objects one trace names */
#define LK_TRACE_MAX_OPNAMES 1000          /* operations it does not know */

/* objs[].type of an object a trace file names without a known type. */
#define LK_OT_UNKNOWN 0xffu

/* strategy of a trace file that named none, or one this lockstep does
 * not know (written back as "?"). */
#define LK_TRACE_STRATEGY_NONE    0xfffeu
#define LK_TRACE_STRATEGY_UNKNOWN 0xffffu

struct lk_tev {
	uint32_t step;
	int proc;
	int op; /* enum lk_op */
	int obj;
	int64_t ret;
	int err;
	int blocked;
	union lk_payload u; /* by op: its member in the LK_OPS table */
	uint64_t vt;
	uint32_t src;
	int act;            /* enum lk_act_kind + 1, 0 none */
	lk_procset enabled; /* processes that could have taken this step */
	char *data;
	size_t len;
	uint32_t *vc; /* one counter per process, NULL until computed */
};

struct lk_tproc {
	char name[LK_NAME_MAX];
	int parent;     /* process index, -1 declared */
	int exited;     /* logged an exit */
	int status;     /* exit status when exited */
	int blocked_on; /* object it waits on at the end, -1 none */
	int pending_op; /* what it was about to do at the end */
	int pending_obj;
	uint64_t wake_at; /* asleep until then (LK_NO_TIME: not asleep) */
	int wait_for;     /* blocked in waitpid: the child, -1 any */
	char program[LK_NAME_MAX];       /* basename of the last program it
	                                    exec'd, "" none (lk_trace_programs) */
	char label[2 * LK_NAME_MAX + 3]; /* "main.2 (wc)", "" until then */
	int stopped;    /* stopped at the end by this signal, 0 none */
	int stopped_by; /* by this process, -1 none */
	char routine[LK_NAME_MAX]; /* a thread's start routine, "" */
	int thread; /* a thread's lane (not a process): no exit status */
};

struct lk_tobj {
	char name[LK_NAME_MAX];
	unsigned type; /* enum lk_obj_type */
	int decl;      /* scenario object index, -1 */
	int value;     /* semaphores: value at the end, -1 unknown */
	int has_final; /* cells: final is the value at the end */
	int64_t final;
	lk_procset holders[2]; /* pipes at a deadlock: processes (bits)
	                          holding the read end, the write end */
};

struct lk_trace {
	char *scenario; /* name */
	char *file;     /* path of the scenario */
	unsigned strategy;
	uint64_t seed;
	int perturb; /* made with --perturb ("perturb": true) */
	size_t nprocs;
	struct lk_tproc *procs;
	size_t nobjs;
	struct lk_tobj *objs;
	size_t nevents;
	struct lk_tev *ev;
	uint32_t *vc_pool; /* every event\'s clock, nprocs counters each */

	enum lk_verdict verdict;
	int culprit;     /* process that crashed or timed out, -1 */
	int signal;      /* that killed the culprit, 0 none */
	int lost_status; /* crash without a signal: the status the culprit
	                    exited with outside lockstep's view, -1 */
	int stuck;       /* timeout: the system call it sat in, -1 running */
	uint64_t vt;     /* virtual time at the end */
	int cycle[LK_MAX_PROCS + 1]; /* deadlock: the wait-for cycle, first */
	size_t ncycle;               /* process repeated last; 0 none */
	uint32_t div_step; /* diverged: the step and why (enum lk_diverge) */
	uint32_t div_why;
	lk_procset div_choices; /* diverged on a waitpid: what it could reap */
	int64_t div_bytes;      /* diverged on a read or write's bytes=K: how
	                           many it could move */
	int program_run;        /* run -- PROG: main started as PROG, whose
	                           name is scenario */
	unsigned long wall_us;  /* wall-clock time of the run */
	char *failed; /* the expectations that failed, in words, as the
	                 command that judged the run wrote them (header key
	                 "failed"); NULL when none failed or none judged */
	char *output; /* everything the processes printed */
	size_t output_len;
	char *errout; /* what a program's processes wrote to stderr ("" for
	                 a scenario, whose stderr is lockstep's) */
	size_t errout_len;
	int output_passed;     /* output and errout went on to lockstep's own
	                          as the run went (run -q): not to print again */
	unsigned objects_full; /* the object table ran out: bit 0 names,
	                          bit 1 other objects (protocol.h) */
	int output_errno[2];   /* then: why lockstep's stdout, stderr failed
	                          (errno; 0, also when a reader went away) */
	char **files; /* final contents per scenario object (files only) */
	size_t *file_lens;
	size_t nfiles;
	char **opnames; /* read from a file: the operations this lockstep
	                   does not know, ev[].op LK_OP__COUNT + index */
	size_t nopnames;
};

/* A new empty trace, or NULL when out of memory. */
struct lk_trace *lk_trace_new(void);

/* Free a trace; NULL is allowed. */
void lk_trace_free(struct lk_trace *t);

/* Compute every event's vector clock (vclock.c); 0 or -1 (memory). */
int lk_trace_vclocks(struct lk_trace *t);

/* Whether e's data holds its bytes as they were (no byte replaced by
 * U+FFFD, none left out); *len is how many of them it holds (<= 256). */
int lk_trace_exact(const struct lk_tev *e, size_t *len);

/* dst = max(dst, src), element-wise over n counters. */
void lk_vc_join(uint32_t *dst, const uint32_t *src, size_t n);

/*
 * The kinds of happens-before edges between processes that lk_trace_edges
 * gives (docs/diagrams.md draws each its own way). Other synchronisation
 * (semctl, file-system names) joins clocks but has no kind: it is not
 * drawn.
 */
enum lk_hb_kind {
	LK_HB_POST_WAIT,   /* sem_post -> the wait it let through */
	LK_HB_FORK_START,  /* fork -> the child's first step */
	LK_HB_EXIT_WAIT,   /* exit -> the waitpid that reaped it */
	LK_HB_WRITE_READ,  /* pipe write -> a read that got its bytes */
	LK_HB_CLOSE_EOF,   /* last write end let go -> read gets EOF */
	LK_HB_KILL_SIGNAL, /* kill -> the signal's delivery */
	LK_HB_UNLOCK_LOCK, /* unlock (or exit) -> the lock it let through */
	LK_HB_OPEN_OPEN,   /* a FIFO's open -> the other end's open it met */
	LK_HB_NKINDS
};

/* One happens-before edge: event from (of another process) -> event to. */
struct lk_hb_edge {
	size_t from, to;
	unsigned kind; /* enum lk_hb_kind */
	long off, len; /* write -> read: the bytes of the read it carried */
	int part;      /* write -> read: only a part of the write's bytes */
};

/*
 * The happens-before edges of t between processes, sorted by target
 * event: the synchronisation each event's clock joins in
 * lk_trace_vclocks (the same walk), as arrows. Where a join takes in a
 * whole object's clock (a semaphore, a record lock), the edge is its
 * latest source by another process. 0, or -1 out of memory (*out NULL).
 */
int lk_trace_edges(const struct lk_trace *t, struct lk_hb_edge **out,
                   size_t *n);

/* True when event a happens before event b (both have clocks). */
int lk_trace_hb(const struct lk_trace *t, size_t a, size_t b);

/* Write t as JSON Lines; 0 or -1 with errno. */
int lk_trace_write(const struct lk_trace *t, FILE *f);

/* read.c: read the trace file at path (JSON Lines, docs/trace-format.md)
 * into *out, with the clocks the file gives; 0, or -1 with err filled
 * (status 2: the file and line, and what was expected). */
int lk_trace_read(const char *path, struct lk_trace **out, struct lk_err *err);

/* read.c: the same for the len bytes at buf (which need no NUL), named
 * path in messages. */
int lk_trace_read_mem(const char *buf, size_t len, const char *path,
                      struct lk_trace **out, struct lk_err *err);

/* Name of operation op of t: lk_op_name's, or the name a trace file gave
 * one this lockstep does not know. */
const char *lk_trace_op_name(const struct lk_trace *t, int op);

/* Is object o of t a pipe or a FIFO? (False for -1.) */
int lk_trace_is_pipe(const struct lk_trace *t, int o);

/* Is object o of t a file-system name? (False for -1.) */
int lk_trace_is_name(const struct lk_trace *t, int o);

/* Did event e, a call on a name, create, remove or replace it (a write
 * of the name), rather than look it up (a read)? */
int lk_trace_name_writes(const struct lk_tev *e);

/* Did e really change its name (for races): an open that found the file
 * there did not. */
int lk_trace_name_changes(const struct lk_tev *e);

/* The second name event e read from (rename, link), or -1. */
int lk_trace_name_from(const struct lk_trace *t, const struct lk_tev *e);

/* Into buf: name, or "name (prog)" when prog is neither empty nor the
 * last component of name. */
void lk_trace_label(char *buf, size_t size, const char *name, const char *prog);

/* Find the program each process ran last from its execve events, for
 * procs[].program and procs[].label. */
void lk_trace_programs(struct lk_trace *t);

/* Process p as a person reads it: "main.2 (wc)" after an exec of wc,
 * else its name (which is what traces and schedules use). */
const char *lk_trace_proc_label(const struct lk_trace *t, int p);

/* Who reads an event's label (label.c): the terminal (the interleaving
 * `lockstep run` prints, schedule comments), a diagram (beside the
 * event's mark), an export (a Perfetto slice, a ShiViz line). */
enum lk_label_style {
	LK_LABEL_TERMINAL,
	LK_LABEL_DIAGRAM,
	LK_LABEL_EXPORT,
};

/* Bytes that always hold a label of any style. */
#define LK_LABEL_MAX 512

/* Append the len bytes of UTF-8 text to buf (a string) as one line any
 * viewer can show: newlines, tabs and returns as \n, \t and \r, other
 * control characters and U+2028/U+2029 as '?', cut after max characters
 * with an ellipsis, never inside a character (label.c; the exports). */
void lk_label_append_text(char *buf, size_t size, const char *text, size_t len,
                          size_t max);

/* Event e of t in words, as style shows it ("wait b (blocked)", "wait b
 * (blocks)"), into buf; the operation's row of the LK_OPS table names
 * the words. Cut to size bytes; LK_LABEL_MAX are always enough. */
void lk_label(const struct lk_trace *t, const struct lk_tev *e,
              enum lk_label_style style, char *buf, size_t size);

/* Append the n bytes at text to the string in buf as the diagram shows
 * text: newlines and tabs as \n and \t, other control bytes and bytes
 * that are not UTF-8 as '?', cut after max characters with an ellipsis.
 * Returns 1 when it cut the text. */
int lk_label_slice(char *buf, size_t size, const char *text, size_t n,
                   size_t max);

/* Name of an object index, or NULL for -1. */
const char *lk_trace_obj_name(const struct lk_trace *t, int obj);

/* Name of a signal, "SIGSEGV" (a static buffer). */
const char *lk_signal_name(int sig);

/* Name of an errno value, "ENOENT" ("errno N" when it has none; a
 * static buffer then) (words.c). */
const char *lk_errno_name(int err);

/* one when n is 1, else many: "%zu %s", n, lk_plural(n, "process",
 * "processes") (words.c). Every count lockstep prints goes through it. */
const char *lk_plural(unsigned long long n, const char *one, const char *many);

/* Name of a verdict ("done", "deadlock", ...). */
const char *lk_verdict_name(enum lk_verdict v);

/* Name of an action (act field), or NULL. */
const char *lk_act_name(int act);

/* A short label for an event ("post a_arrived", "print A1"): lk_label's
 * terminal style (label.c). */
void lk_event_label(const struct lk_trace *t, const struct lk_tev *e, char *buf,
                    size_t size);

/* Print the interleaving, one event a line, a column per process
 * (report.c). */
void lk_report_interleaving(const struct lk_trace *t, FILE *f, int color);

#endif
