/*
 * One flag to stop long computations: a signal handler sets it, loops poll
 * it (cheaply, every few thousand iterations) and return -EINTR.
 */
#ifndef LK_STOP_H
#define LK_STOP_H

/* How many iterations a loop may run between two looks at the flag: a few
 * microseconds of work, far below the second a user waits. */
#define LK_STOP_EVERY 4096

/* Ask whatever runs to stop (async-signal-safe); sig is the signal. */
void lk_stop_request(int sig);

/* The signal that asked to stop, or 0. */
int lk_stop_requested(void);

/* Forget a request. */
void lk_stop_clear(void);

#endif
