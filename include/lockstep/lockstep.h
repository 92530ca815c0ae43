/*
 * lockstep: the public constants every part shares.
 *
 * The exit statuses and the trace format version are part of the contract
 * that tools outside this repository rely on (docs/trace-format.md, "The
 * contract"): extend, never change.
 */
#ifndef LOCKSTEP_LOCKSTEP_H
#define LOCKSTEP_LOCKSTEP_H

#define LK_VERSION "0.1.0"

/* Version of the JSON Lines trace ({"lockstep_trace":1, ...}). */
#define LK_TRACE_FORMAT 1

/* Exit statuses of the lockstep command. */
enum lk_exit {
	LK_EXIT_OK = 0,        /* every expectation holds */
	LK_EXIT_EXPECT = 1,    /* an expectation failed */
	LK_EXIT_USAGE = 2,     /* bad usage or bad input */
	LK_EXIT_DEADLOCK = 3,  /* the run deadlocked */
	LK_EXIT_CRASH = 4,     /* a process crashed, timed out or hit a limit */
	LK_EXIT_INTERNAL = 70, /* lockstep itself failed */
	LK_EXIT_INSTALL = 72   /* lockstep's installation is incomplete: its
	                        * agent or interposer is missing (sysexits'
	                        * EX_OSFILE; docs/install.md) */
};

/*
 * An error report filled by library code: the exit status it maps to and
 * a message that names the file and line, or the step, and what was
 * expected. Callers pass NULL when they do not want the message.
 */
struct lk_err {
	int status;
	char msg[1024];
};

/* Fill err (if not NULL) with status and a printf-style message. */
void lk_err_set(struct lk_err *err, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
