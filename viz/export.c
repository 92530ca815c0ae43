/*
 * A trace in other viewers' formats (docs/exports.md): Chrome trace-event
 * JSON for Perfetto and chrome://tracing, and a ShiViz log. Both are made
 * from what lk_viz_read found, its happens-before edges included, so they
 * show the same relation as the diagrams.
 *
 * Perfetto needs a time axis, and a trace's virtual time is 0 for every
 * event of a run without sleeps. So the axis is synthetic: an event sits
 * at step * 10 us + vt / 1000 us (export.h), its slice lasts 8 us, and the
 * order of the slices is the order of the steps, in every process and
 * across them. A sleep's slice reaches back over the time slept, and a
 * wait that blocked gets a "blocked on X" slice from the attempt to the
 * retry that returned (or to the end of the axis, 100 us after the last
 * event, when it never returned: a deadlock).
 */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/stop.h"
#include "export.h"

/* How every JSON value is written: one line each, keys in our order. */
#define DUMP_FLAGS                                                             \
	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* From the last event to the end of the time axis: 10 steps. */
#define TAIL_NS (10 * LK_EXPORT_STEP_NS)

/* Room for one label: names and texts are cut well before this. */
#define LABEL_MAX 512

/* An output file being written. */
struct out {
	const char *path;
	FILE *f;
	size_t n;    /* elements of the traceEvents array so far */
	int nomem;   /* making a JSON value failed */
	int stopped; /* asked to stop: err says so, the file goes */
	struct lk_err *err;
};

/* Where the events go on the synthetic time axis, in ns. */
struct timeline {
	long long *at;    /* per event: its point in time */
	long long *start; /* per event: where its slice starts */
	long *next;       /* per event: the next event of its process, or -1 */
	long long end;    /* just after the last event */
};

/* Append a name (process, object, path) to buf, cut after 32 characters. */
static void
put_name(char *buf, size_t size, const char *name)
{
	lk_label_append_text(buf, size, name, strlen(name), 32);
}

/* The short label of event e into buf: the one labeller's export words
 * ("post a_arrived", print "A1"). */
static void
label_of(const struct lk_viz_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	lk_label(t->tr, e, LK_LABEL_EXPORT, buf, size);
}

/* Open path for writing into o; 0, or -1 with err filled. */
static int
out_open(struct out *o, const char *path, struct lk_err *err)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->err = err;
	if ((o->f = fopen(path, "w")) == NULL) {
		lk_err_set(err, LK_EXIT_USAGE, "cannot write %s: %s", path,
		           strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Close o, which went well so far when rc is 0; a file that failed is
 * removed rather than left half written. Returns 0, or -1 with err set.
 */
static int
out_close(struct out *o, int rc)
{
	int failed = ferror(o->f), e = errno;

	if (fclose(o->f) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (rc == 0 && o->nomem) {
		lk_err_set(o->err, LK_EXIT_INTERNAL, "%s: out of memory",
		           o->path);
		rc = -1;
	} else if (rc == 0 && failed) {
		lk_err_set(o->err, LK_EXIT_INTERNAL, "cannot write %s: %s",
		           o->path, strerror(e ? e : EIO));
		rc = -1;
	}
	if (rc != 0)
		unlink(o->path);
	return rc;
}

/* Asked to stop before event i (looked at every LK_STOP_EVERY events)?
 * Then err says so, and out_close removes the file. */
static int
stopped(struct out *o, const struct lk_viz_trace *t, size_t i,
        struct lk_err *err)
{
	if (i % LK_STOP_EVERY != LK_STOP_EVERY - 1 || !lk_stop_requested())
		return 0;
	lk_err_set(err, 128 + lk_stop_requested(), "%s: interrupted", t->path);
	o->stopped = 1;
	return 1;
}

/* Write JSON value j (NULL: making it failed) to o, and release it. */
static void
dump(struct out *o, json_t *j)
{
	if (j == NULL) {
		o->nomem = 1;
		return;
	}
	if (json_dumpf(j, o->f, DUMP_FLAGS) != 0 && !ferror(o->f))
		o->nomem = 1;
	json_decref(j);
}

/* Write j as the next element of the traceEvents array, one a line. */
static void
emit(struct out *o, json_t *j)
{
	if (j != NULL && o->n++ > 0)
		fputs(",\n", o->f);
	dump(o, j);
}

/* Microseconds for ns, as Chrome's format wants: an integer if whole. */
static json_t *
usec(long long ns)
{
	if (ns % 1000 == 0)
		return json_integer(ns / 1000);
	return json_real((double)ns / 1000.0);
}

/* Free what timeline_make allocated. */
static void
timeline_free(struct timeline *tl)
{
	free(tl->at);
	free(tl->start);
	free(tl->next);
}

/* Place t's events on the synthetic time axis; 0, or -1 out of memory. */
static int
timeline_make(const struct lk_viz_trace *t, struct timeline *tl)
{
	long *last = malloc((t->tr->nprocs + 1) * sizeof(*last));
	long long floor;
	long prev;

	tl->at = malloc((t->tr->nevents + 1) * sizeof(*tl->at));
	tl->start = malloc((t->tr->nevents + 1) * sizeof(*tl->start));
	tl->next = malloc((t->tr->nevents + 1) * sizeof(*tl->next));
	if (last == NULL || !tl->at || !tl->start || !tl->next) {
		free(last);
		timeline_free(tl);
		return -1;
	}
	for (size_t p = 0; p < t->tr->nprocs; p++)
		last[p] = -1;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		const struct lk_tev *e = &t->tr->ev[i];
		long long at = (long long)e->step * LK_EXPORT_STEP_NS + e->vt;

		/* Virtual time never goes back; a bad trace's might. */
		if (i > 0 && at < tl->at[i - 1] + LK_EXPORT_STEP_NS)
			at = tl->at[i - 1] + LK_EXPORT_STEP_NS;
		tl->at[i] = tl->start[i] = at;
		tl->next[i] = -1;
		prev = last[e->proc];
		if (prev >= 0)
			tl->next[prev] = (long)i;
		/* vt is when the sleep ended: the slice covers it all. */
		if (lk__viz_op(e) == LK__VIZ_SLEEP && e->u.sleep.ns > 0) {
			floor = prev >= 0 ? tl->at[prev] + LK_EXPORT_SLICE_NS
			                  : 0;
			tl->start[i] = at - e->u.sleep.ns > floor
			                       ? at - e->u.sleep.ns
			                       : floor;
		}
		last[e->proc] = (long)i;
	}
	/* Room after the last step for the waits that never returned. */
	tl->end = t->tr->nevents > 0 ? tl->at[t->tr->nevents - 1] + TAIL_NS : 0;
	free(last);
	return 0;
}

/* The M events: a named track per process, in the trace's order. */
static void
emit_procs(struct out *o, const struct lk_viz_trace *t)
{
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		json_int_t id = (json_int_t)p + 1;
		const char *name = lk_trace_proc_label(t->tr, p);

		emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "name",
		                  "process_name", "ph", "M", "pid", id, "tid",
		                  id, "args", "name", name));
		emit(o,
		     json_pack("{s:s,s:s,s:I,s:I,s:{s:I}}", "name",
		               "process_sort_index", "ph", "M", "pid", id,
		               "tid", id, "args", "sort_index", (json_int_t)p));
		emit(o, json_pack("{s:s,s:s,s:I,s:I,s:{s:s}}", "name",
		                  "thread_name", "ph", "M", "pid", id, "tid",
		                  id, "args", "name", name));
	}
}

/* The details Perfetto shows for event e: what the trace says of it. */
static json_t *
event_args(const struct lk_viz_trace *t, const struct lk_tev *e)
{
	json_t *vc = json_object();

	for (size_t p = 0; vc != NULL && p < t->tr->nprocs; p++)
		if (e->vc[p] != 0 &&
		    json_object_set_new(vc, t->tr->procs[p].name,
		                        json_integer((json_int_t)e->vc[p]))) {
			json_decref(vc);
			vc = NULL;
		}
	return json_pack(
	        "{s:I,s:s,s:s?,s:I,s:i,s:b,s:I,s:o,s:s*}", "step",
	        (json_int_t)e->step, "op", lk_trace_op_name(t->tr, e->op),
	        "obj", e->obj >= 0 ? lk__viz_obj(t->tr, e->obj) : NULL, "ret",
	        (json_int_t)e->ret, "errno", e->err, "blocked", e->blocked,
	        "vt_ns", (json_int_t)e->vt, "vc", vc, "data",
	        lk__viz_op(e) == LK__VIZ_WRITE ||
	                        lk__viz_op(e) == LK__VIZ_READ ||
	                        lk__viz_op(e) == LK__VIZ_EXEC
	                ? e->data
	                : NULL);
}

/* An X event: a slice of process p from start to end (ns). */
static json_t *
slice(const char *name, const char *cat, unsigned p, long long start,
      long long end, json_t *args)
{
	json_int_t id = (json_int_t)p + 1;

	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:o}", "name", name,
	                 "cat", cat, "ph", "X", "ts", usec(start), "dur",
	                 usec(end - start), "pid", id, "tid", id, "args", args);
}

/* The slice of event i, and its "blocked on" slice if it blocked. */
static void
emit_event(struct out *o, const struct lk_viz_trace *t,
           const struct timeline *tl, size_t i)
{
	const struct lk_tev *e = &t->tr->ev[i];
	char label[LABEL_MAX];
	long next = tl->next[i];
	long long from, to;

	label_of(t, e, label, sizeof(label));
	emit(o, slice(label, "event", e->proc, tl->start[i],
	              tl->at[i] + LK_EXPORT_SLICE_NS, event_args(t, e)));
	if (!e->blocked)
		return;
	/* From the attempt to the next step of the process: the retry. */
	from = tl->at[i] + LK_EXPORT_SLICE_NS;
	to = next >= 0 ? tl->start[next] : tl->end;
	label[0] = '\0';
	if (e->obj >= 0) {
		lk__viz_put(label, sizeof(label), "blocked on ");
		put_name(label, sizeof(label), lk__viz_obj(t->tr, e->obj));
	} else {
		lk__viz_put(label, sizeof(label), "blocked in ");
		put_name(label, sizeof(label), lk_trace_op_name(t->tr, e->op));
	}
	emit(o, slice(label, "blocked", e->proc, from, to,
	              json_pack("{s:I,s:o,s:b}", "step", (json_int_t)e->step,
	                        "until_step",
	                        next >= 0 ? json_integer(t->tr->ev[next].step)
	                                  : json_null(),
	                        "returned", next >= 0)));
}

/*
 * The flow arrows, one per happens-before edge: an "s" inside the
 * source's slice and an "f" inside the target's, bound to the slice
 * around it ("bp":"e"), both in the middle of the event's own slice.
 */
static void
emit_flows(struct out *o, const struct lk_viz_trace *t,
           const struct timeline *tl)
{
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *ed = &t->edges[k];
		const char *kind = lk__viz_edge_kinds[ed->kind].name;
		json_int_t id = (json_int_t)k + 1;
		json_int_t src = (json_int_t)t->tr->ev[ed->from].proc + 1;
		json_int_t dst = (json_int_t)t->tr->ev[ed->to].proc + 1;

		emit(o,
		     json_pack("{s:s,s:s,s:s,s:I,s:o,s:I,s:I}", "name", kind,
		               "cat", kind, "ph", "s", "id", id, "ts",
		               usec(tl->at[ed->from] + LK_EXPORT_SLICE_NS / 2),
		               "pid", src, "tid", src));
		emit(o, json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:I,s:I}", "name",
		                  kind, "cat", kind, "ph", "f", "bp", "e", "id",
		                  id, "ts",
		                  usec(tl->at[ed->to] + LK_EXPORT_SLICE_NS / 2),
		                  "pid", dst, "tid", dst));
	}
}

/*
 * Write t as Chrome trace-event JSON. Every element is made and written
 * by jansson, one a line (so a big trace never sits in memory as one JSON
 * tree, and the output diffs well); only the frame around them is ours.
 */
int
lk_export_perfetto(const struct lk_viz_trace *t, const char *out_path,
                   struct lk_err *err)
{
	struct timeline tl = {0};
	struct out o;

	if (timeline_make(t, &tl) < 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory",
		           out_path);
		return -1;
	}
	if (out_open(&o, out_path, err) < 0) {
		timeline_free(&tl);
		return -1;
	}
	fputs("{\"traceEvents\":[\n", o.f);
	emit_procs(&o, t);
	for (size_t i = 0; i < t->tr->nevents && !stopped(&o, t, i, err); i++)
		emit_event(&o, t, &tl, i);
	if (!o.stopped)
		emit_flows(&o, t, &tl);
	fputs("\n],\n\"otherData\":", o.f);
	dump(&o, json_pack("{s:s,s:s,s:I,s:s,s:s,s:s}", "scenario",
	                   t->tr->scenario, "strategy", lk__viz_strategy(t->tr),
	                   "seed", (json_int_t)(long long)t->tr->seed,
	                   "verdict", lk_verdict_name(t->tr->verdict),
	                   "generator", "lockstep " LK_VERSION, "timeline",
	                   "ts = step * 10 us + vt / 1000 us; slices 8 us"));
	fputs("}\n", o.f);
	timeline_free(&tl);
	return out_close(&o, o.stopped ? -1 : 0);
}

/*
 * Whether t's clocks and names follow ShiViz's rules: a host name has no
 * white space (the parser reads it as \S*); each process's own counter
 * goes 1, 2, 3, ... one per event; every entry names an event that is in
 * the log. 0, or -1 with err filled.
 */
static int
shiviz_check(const struct lk_viz_trace *t, struct lk_err *err)
{
	unsigned long *total = calloc(t->tr->nprocs + 1, sizeof(*total));
	unsigned long *seen = calloc(t->tr->nprocs + 1, sizeof(*seen));
	int rc = -1;

	if (total == NULL || seen == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", t->path);
		goto out;
	}
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		const char *s = t->tr->procs[p].name;

		for (; *s != '\0' && (unsigned char)*s > ' ' && *s != 0x7f; s++)
			;
		if (*s != '\0' || s == t->tr->procs[p].name) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s: process \"%s\": ShiViz cannot read a "
			           "host name that is empty or holds white "
			           "space",
			           t->path, t->tr->procs[p].name);
			goto out;
		}
	}
	for (size_t i = 0; i < t->tr->nevents; i++)
		total[t->tr->ev[i].proc]++;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		const struct lk_tev *e = &t->tr->ev[i];
		const char *name = t->tr->procs[e->proc].name;

		if (e->vc[e->proc] != ++seen[e->proc]) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s: step %ld: the clock of %s says %lu at "
			           "its event %lu; ShiViz needs each process's "
			           "own counter to go up by one per event",
			           t->path, (long)e->step, name,
			           (unsigned long)e->vc[e->proc],
			           seen[e->proc]);
			goto out;
		}
		for (size_t p = 0; p < t->tr->nprocs; p++)
			if (e->vc[p] > total[p]) {
				lk_err_set(
				        err, LK_EXIT_USAGE,
				        "%s: step %ld: the clock names event "
				        "%lu of %s, which has %lu; ShiViz "
				        "needs every entry to be an event "
				        "of the log",
				        t->path, (long)e->step,
				        (unsigned long)e->vc[p],
				        t->tr->procs[p].name, total[p]);
				goto out;
			}
	}
	rc = 0;
out:
	free(total);
	free(seen);
	return rc;
}

/* The vector clock of e as ShiViz reads it: host name -> counter. */
static json_t *
shiviz_clock(const struct lk_viz_trace *t, const struct lk_tev *e)
{
	json_t *vc = json_object();

	for (size_t p = 0; vc != NULL && p < t->tr->nprocs; p++)
		if (e->vc[p] != 0 &&
		    json_object_set_new(vc, t->tr->procs[p].name,
		                        json_integer((json_int_t)e->vc[p]))) {
			json_decref(vc);
			return NULL;
		}
	return vc;
}

/*
 * Write t as a ShiViz log: per event "step N: label", then "HOST {clock}".
 * The clocks are the trace's own: each event ticks its process by one
 * and a successful wait joins its semaphore's clock, which is what ShiViz
 * expects of a receive.
 */
int
lk_export_shiviz(const struct lk_viz_trace *t, const char *out_path,
                 struct lk_err *err)
{
	char label[LABEL_MAX];
	struct out o;

	if (shiviz_check(t, err) < 0 || out_open(&o, out_path, err) < 0)
		return -1;
	for (size_t i = 0;
	     i < t->tr->nevents && !o.nomem && !stopped(&o, t, i, err); i++) {
		const struct lk_tev *e = &t->tr->ev[i];

		label_of(t, e, label, sizeof(label));
		fprintf(o.f, "step %ld: %s\n%s ", (long)e->step, label,
		        t->tr->procs[e->proc].name);
		dump(&o, shiviz_clock(t, e));
		fputc('\n', o.f);
	}
	return out_close(&o, o.stopped ? -1 : 0);
}
