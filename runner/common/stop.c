/*
 * The one "stop" flag of lockstep: the signal handlers of the commands set
 * it (SIGINT, SIGTERM, SIGHUP), and every long computation polls it (the
 * controller's loop, explore's loop, race analysis, export, render), so
 * that ^C is answered within a second whatever lockstep is doing.
 */
#include <signal.h>

#include "common/stop.h"

static volatile sig_atomic_t stop_sig;

/* Ask whatever runs to stop (async-signal-safe). */
void
lk_stop_request(int sig)
{
	stop_sig = sig;
}

/* The signal that asked to stop, or 0. */
int
lk_stop_requested(void)
{
	return stop_sig;
}

/* Forget a request (a new run starts). */
void
lk_stop_clear(void)
{
	stop_sig = 0;
}
