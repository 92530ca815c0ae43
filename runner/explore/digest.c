/* The digest of a run: what explore keeps of it, and how a worker
 * process sends it to the explorer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explore/explore.h"
#include "schedule/schedule.h"
#include "trace/analysis.h"
#include "trace/race.h"
#include "trace/trace.h"

/* Write the outcome of t as text: what a user would call the result. */
static void
outcome_text(struct lk_trace *t, const struct lk_scenario *sc, FILE *f)
{
	fprintf(f, "%s\n", lk_verdict_name(t->verdict));
	if (t->output_len > 0)
		fprintf(f, "output:\n%s%s", t->output,
		        t->output[t->output_len - 1] == '\n' ? "" : "\n");
	/* A program's stderr apart: other error messages, another
	 * outcome. */
	if (t->errout_len > 0)
		fprintf(f, "stderr:\n%s%s", t->errout,
		        t->errout[t->errout_len - 1] == '\n' ? "" : "\n");
	for (size_t i = 0; i < sc->nobjects && i < t->nfiles; i++)
		if (sc->objects[i].kind == LK_OBJ_FILE && t->files[i] != NULL)
			fprintf(f, "file %s: %s\n", sc->objects[i].name,
			        t->files[i]);
	/* Final values of the declared cells: a <cell> expectation is judged
	 * on them, so runs that differ there are different outcomes (and an
	 * outcome's schedule fails such an expectation as every run of it
	 * does). */
	for (size_t i = 0; i < t->nobjs; i++)
		if (t->objs[i].has_final && t->objs[i].decl >= 0)
			fprintf(f, "cell %s: %lld\n", t->objs[i].name,
			        (long long)t->objs[i].final);
	fprintf(f, "exit:");
	for (size_t p = 0; p < t->nprocs; p++) {
		/* A thread's end has no status: only where it waits. */
		if (t->procs[p].thread &&
		    (t->procs[p].exited || t->procs[p].blocked_on == -1))
			continue;
		if (t->procs[p].blocked_on == LK_WAIT_THREAD &&
		    t->procs[p].wait_for >= 0 &&
		    (size_t)t->procs[p].wait_for < t->nprocs)
			fprintf(f, " %s@join(%s)", t->procs[p].name,
			        t->procs[t->procs[p].wait_for].name);
		else if (t->procs[p].exited)
			fprintf(f, " %s=%d", t->procs[p].name,
			        t->procs[p].status);
		else if (t->procs[p].stopped)
			fprintf(f, " %s@stopped", t->procs[p].name);
		else if (t->procs[p].blocked_on == LK_WAIT_CHILD &&
		         t->procs[p].wait_for >= 0 &&
		         (size_t)t->procs[p].wait_for < t->nprocs)
			fprintf(f, " %s@waitpid(%s)", t->procs[p].name,
			        t->procs[t->procs[p].wait_for].name);
		else if (t->procs[p].blocked_on == LK_WAIT_CHILD)
			fprintf(f, " %s@waitpid", t->procs[p].name);
		else if (t->procs[p].blocked_on == LK_WAIT_SIGNAL)
			fprintf(f, " %s@pause", t->procs[p].name);
		else if (t->procs[p].blocked_on >= 0)
			fprintf(f, " %s@%s", t->procs[p].name,
			        lk_trace_obj_name(t, t->procs[p].blocked_on));
		else
			fprintf(f, " %s=?", t->procs[p].name);
	}
	fputc('\n', f);
	if (t->verdict == LK_V_CRASH && t->culprit >= 0 && t->signal)
		fprintf(f, "crashed: %s %s\n", t->procs[t->culprit].name,
		        lk_signal_name(t->signal));
	else if (t->verdict == LK_V_CRASH && t->culprit >= 0 &&
	         t->procs[t->culprit].exited)
		fprintf(f, "failed: %s exited with status %d\n",
		        t->procs[t->culprit].name, t->procs[t->culprit].status);
	else if (t->verdict == LK_V_CRASH && t->culprit >= 0)
		fprintf(f, "lost: %s exited %d without an exit step\n",
		        t->procs[t->culprit].name, t->lost_status);
}

/* Keep the run's distinct races by name; 0 or -1 (memory). */
static int
digest_races(struct lk_trace *t, struct lk_digest *d)
{
	struct lk_race *r;
	size_t n;

	if (lk_race_find(t, 1, &r, &n) != 0)
		return -1;
	d->races = calloc(n + 1, sizeof(*d->races));
	if (d->races == NULL) {
		free(r);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		lk_race_rec_make(t, &r[i], &d->races[i]);
	d->nraces = n;
	free(r);
	return 0;
}

/* Make the digest of a run. */
int
lk_digest_make(struct lk_trace *t, const struct lk_scenario *sc,
               const char *sha, struct lk_digest *d)
{
	struct lk_verdict_line v[64];
	struct lk_scenario view = *sc;
	size_t len;
	FILE *f;
	char buf[4096] = "", *ref;

	memset(d, 0, sizeof(*d));
	d->verdict = (int)t->verdict;
	if (t->verdict == LK_V_INTERRUPTED) {
		/* Not recorded (explore.c): skip the analysis, whose cost
		 * grows with the run's length, so Ctrl-C is answered now. */
		d->steps = calloc(1, sizeof(*d->steps));
		d->procs = calloc(1, sizeof(*d->procs));
		d->objs = calloc(1, sizeof(*d->objs));
		d->races = calloc(1, sizeof(*d->races));
		d->outcome = strdup("");
		d->schedule = strdup("");
		d->explain = strdup("");
		return d->steps && d->procs && d->objs && d->races &&
		                       d->outcome && d->schedule && d->explain
		               ? 0
		               : -1;
	}
	d->nsteps = t->nevents;
	d->nprocs = t->nprocs;
	d->nobjs = t->nobjs;
	d->steps = calloc(t->nevents + 1, sizeof(*d->steps));
	d->procs = calloc(t->nprocs + 1, sizeof(*d->procs));
	d->objs = calloc(t->nobjs + 1, sizeof(*d->objs));
	if (!d->steps || !d->procs || !d->objs)
		return -1;
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		struct lk_step_rec *s = &d->steps[i];

		s->proc = (uint16_t)e->proc;
		s->op = (uint16_t)e->op;
		s->obj = e->obj;
		s->ret = e->ret;
		s->u = e->u;
		s->enabled = e->enabled;
		s->blocked = (uint8_t)e->blocked;
	}
	for (size_t i = 0; i < t->nprocs; i++)
		memcpy(d->procs[i], t->procs[i].name, LK_NAME_MAX);
	for (size_t i = 0; i < t->nobjs; i++)
		memcpy(d->objs[i], t->objs[i].name, LK_NAME_MAX);

	f = open_memstream(&d->outcome, &len);
	if (f == NULL)
		return -1;
	outcome_text(t, sc, f);
	fclose(f);
	f = open_memstream(&d->schedule, &len);
	if (f == NULL)
		return -1;
	/* Absolute: replay resolves a relative path from the directory
	 * of the schedule file, which is not known yet. */
	ref = sc->program == NULL ? lk_schedule_scenario_ref(sc->path, NULL, 0)
	                          : NULL;
	lk_schedule_write(t, ref != NULL ? ref : sc->path, NULL, sc->program,
	                  sha, f);
	free(ref);
	fclose(f);

	if (t->verdict == LK_V_DEADLOCK)
		lk_explain_deadlock(t, sc, buf, sizeof(buf));
	else if (t->verdict == LK_V_CRASH && t->culprit >= 0 && t->signal)
		snprintf(buf, sizeof(buf), "%s was killed by %s\n",
		         t->procs[t->culprit].name, lk_signal_name(t->signal));
	else if (t->verdict == LK_V_CRASH && t->culprit >= 0 &&
	         t->procs[t->culprit].exited)
		snprintf(buf, sizeof(buf), "%s exited with status %d\n",
		         t->procs[t->culprit].name,
		         t->procs[t->culprit].status);
	else if (t->verdict == LK_V_CRASH && t->culprit >= 0)
		snprintf(buf, sizeof(buf),
		         "%s exited with status %d without an exit step\n",
		         t->procs[t->culprit].name, t->lost_status);
	else if (t->verdict != LK_V_DONE)
		snprintf(buf, sizeof(buf), "%s\n", lk_verdict_name(t->verdict));
	d->explain = strdup(buf);
	if (digest_races(t, d) != 0)
		return -1;
	view.nexpects = sc->nexpects < 64 ? sc->nexpects : 64;
	lk_expect_eval(t, &view, v);
	for (size_t i = 0; i < view.nexpects; i++) {
		char *more;

		if (v[i].holds)
			d->held |= 1ull << i;
		/* Not judged (a regex limit): said, so explore reports it
		 * as an error rather than as a failed expectation. */
		if (v[i].error && d->explain != NULL &&
		    asprintf(&more, "%s%s on line %d: %s\n", d->explain,
		             LK_UNJUDGED, sc->expects[i].line,
		             v[i].text) >= 0) {
			free(d->explain);
			d->explain = more;
		}
	}
	return d->outcome && d->schedule && d->explain ? 0 : -1;
}

/* Free a digest's contents. */
void
lk_digest_clear(struct lk_digest *d)
{
	free(d->steps);
	free(d->procs);
	free(d->objs);
	free(d->outcome);
	free(d->explain);
	free(d->schedule);
	free(d->races);
	memset(d, 0, sizeof(*d));
}

/* Write all of len bytes of buf to fd; 0 or -1. */
int
lk_wire_put(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes from fd into buf: 0; 1 when the file ended
 * before the first byte (the writer is done); -1 otherwise. */
int
lk_wire_get(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && got == 0)
			return 1;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* A string with its length. */
static int
put_str(int fd, const char *s)
{
	uint64_t len = strlen(s);

	return lk_wire_put(fd, &len, sizeof(len)) || lk_wire_put(fd, s, len)
	               ? -1
	               : 0;
}

static char *
get_str(int fd)
{
	uint64_t len;
	char *s;

	if (lk_wire_get(fd, &len, sizeof(len)) != 0 || len > (1u << 30))
		return NULL;
	s = malloc(len + 1);
	if (s == NULL || lk_wire_get(fd, s, len) != 0) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

/* Send a digest down a pipe; 0 or -1. */
int
lk_digest_send(int fd, const struct lk_digest *d)
{
	uint64_t h[6] = {(uint64_t)d->verdict,
	                 d->nsteps,
	                 d->nprocs,
	                 d->nobjs,
	                 d->held,
	                 d->nraces};

	if (lk_wire_put(fd, h, sizeof(h)) ||
	    lk_wire_put(fd, d->steps, d->nsteps * sizeof(*d->steps)) ||
	    lk_wire_put(fd, d->procs, d->nprocs * sizeof(*d->procs)) ||
	    lk_wire_put(fd, d->objs, d->nobjs * sizeof(*d->objs)) ||
	    lk_wire_put(fd, d->races, d->nraces * sizeof(*d->races)) ||
	    put_str(fd, d->outcome) || put_str(fd, d->explain) ||
	    put_str(fd, d->schedule))
		return -1;
	return 0;
}

/* Read a digest sent by lk_digest_send; 0 or -1. */
int
lk_digest_recv(int fd, struct lk_digest *d)
{
	uint64_t h[6];

	memset(d, 0, sizeof(*d));
	if (lk_wire_get(fd, h, sizeof(h)) != 0 || h[1] > 100000000u ||
	    h[2] > 64 || h[3] > 4096 || h[5] > 10000000u)
		return -1;
	d->verdict = (int)h[0];
	d->nsteps = h[1];
	d->nprocs = h[2];
	d->nobjs = h[3];
	d->held = h[4];
	d->nraces = h[5];
	d->steps = calloc(d->nsteps + 1, sizeof(*d->steps));
	d->procs = calloc(d->nprocs + 1, sizeof(*d->procs));
	d->objs = calloc(d->nobjs + 1, sizeof(*d->objs));
	d->races = calloc(d->nraces + 1, sizeof(*d->races));
	if (!d->steps || !d->procs || !d->objs || !d->races ||
	    lk_wire_get(fd, d->steps, d->nsteps * sizeof(*d->steps)) ||
	    lk_wire_get(fd, d->procs, d->nprocs * sizeof(*d->procs)) ||
	    lk_wire_get(fd, d->objs, d->nobjs * sizeof(*d->objs)) ||
	    lk_wire_get(fd, d->races, d->nraces * sizeof(*d->races)) ||
	    (d->outcome = get_str(fd)) == NULL ||
	    (d->explain = get_str(fd)) == NULL ||
	    (d->schedule = get_str(fd)) == NULL) {
		lk_digest_clear(d);
		return -1;
	}
	return 0;
}
