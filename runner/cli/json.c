/* Machine-readable output of run and replay (--json): one JSON object
 * on stdout, the fields of docs/json.md. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"
#include "common/protocol.h"
#include "strategy/strategy.h"
#include "trace/race.h"

/* A string that may hold any bytes: jansson takes only UTF-8, so a
 * byte that does not start a valid sequence becomes U+FFFD. */
static json_t *
bytes_json(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	json_t *j = json_stringn(text, len);
	char *copy;
	size_t n = 0;

	if (j != NULL)
		return j;
	copy = malloc(len * 3 + 1);
	if (copy == NULL)
		return json_null();
	for (size_t i = 0; i < len;) {
		size_t k = s[i] < 0x80                   ? 1
		           : s[i] >= 0xc2 && s[i] < 0xe0 ? 2
		           : s[i] >= 0xe0 && s[i] < 0xf0 ? 3
		           : s[i] >= 0xf0 && s[i] < 0xf5 ? 4
		                                         : 0;

		for (size_t m = 1; k > 1 && m < k; m++)
			if (i + m >= len || (s[i + m] & 0xc0) != 0x80)
				k = 0;
		if (k == 0) {
			/* U+FFFD, the replacement character, in UTF-8. */
			copy[n++] = (char)0xef;
			copy[n++] = (char)0xbf;
			copy[n++] = (char)0xbd;
			i++;
			continue;
		}
		memcpy(copy + n, s + i, k);
		n += k;
		i += k;
	}
	j = json_stringn(copy, n);
	free(copy);
	return j != NULL ? j : json_null();
}

/* A process by index as JSON: its label ("main.1 (wc)"), or null. */
static json_t *
proc_json(const struct lk_trace *t, int p)
{
	if (p < 0 || (size_t)p >= t->nprocs)
		return json_null();
	return json_string(lk_trace_proc_label(t, p));
}

/* One side of a race. */
static json_t *
site_json(const struct lk_race_site *s)
{
	return json_pack("{s:s, s:s, s:o, s:I}", "proc", s->proc, "op",
	                 lk_op_name(s->op), "line",
	                 s->line ? json_integer(s->line) : json_null(), "step",
	                 (json_int_t)s->step);
}

/* The distinct races of t: [{object, first, second, text}]. */
static json_t *
races_json(struct lk_trace *t)
{
	json_t *a = json_array();
	struct lk_race *r = NULL;
	size_t n = 0;

	if (lk_race_find(t, 1, &r, &n) != 0)
		return a;
	for (size_t i = 0; i < n; i++) {
		struct lk_race_rec rec;
		char text[LK_RACE_TEXT_MAX];

		lk_race_rec_make(t, &r[i], &rec);
		lk_race_rec_format(&rec, text, sizeof(text));
		json_array_append_new(
		        a, json_pack("{s:s, s:o, s:o, s:s}", "object", rec.obj,
		                     "first", site_json(&rec.first), "second",
		                     site_json(&rec.second), "text", text));
	}
	free(r);
	return a;
}

/* What blocked process p waits for, in words: an object's name, "a
 * child", or null. */
static json_t *
waits_json(const struct lk_trace *t, const struct lk_tproc *p)
{
	const char *obj = lk_trace_obj_name(t, p->blocked_on);

	if (p->blocked_on == LK_WAIT_CHILD)
		return json_string("a child");
	return obj != NULL ? json_string(obj) : json_null();
}

/* The deadlock: the wait-for cycle (process names, the first repeated
 * last, as t->cycle has it), who is blocked on what, and the explanation's
 * text; null when the run did not deadlock. */
static json_t *
deadlock_json(const struct lk_trace *t, const struct lk_cli_verdict *v)
{
	json_t *cycle, *blocked;

	if (t->verdict != LK_V_DEADLOCK)
		return json_null();
	cycle = json_array();
	blocked = json_array();
	for (size_t i = 0; i < t->ncycle; i++)
		json_array_append_new(cycle, proc_json(t, t->cycle[i]));
	for (size_t p = 0; p < t->nprocs; p++) {
		const struct lk_tproc *pr = &t->procs[p];

		if (pr->exited || (pr->blocked_on == -1 && !pr->stopped))
			continue;
		json_array_append_new(
		        blocked,
		        json_pack("{s:o, s:s, s:o}", "proc",
		                  proc_json(t, (int)p), "op",
		                  pr->pending_op >= 0 &&
		                                  pr->pending_op < LK_OP__COUNT
		                          ? lk_op_name((unsigned)pr->pending_op)
		                          : "?",
		                  "on", waits_json(t, pr)));
	}
	return json_pack("{s:o, s:o, s:s}", "cycle", cycle, "blocked", blocked,
	                 "text", v->why);
}

/* The process that crashed, timed out or hit a limit: [] or one. */
static json_t *
crashes_json(const struct lk_trace *t, const struct lk_cli_verdict *v)
{
	json_t *a = json_array(), *c;
	const struct lk_tproc *p;

	if (t->verdict != LK_V_CRASH && t->verdict != LK_V_TIMEOUT &&
	    t->verdict != LK_V_LIMIT)
		return a;
	c = json_pack("{s:s, s:o}", "kind", lk_verdict_name(t->verdict), "proc",
	              proc_json(t, t->culprit));
	p = t->culprit >= 0 ? &t->procs[t->culprit] : NULL;
	json_object_set_new(c, "signal",
	                    t->verdict == LK_V_CRASH && t->signal
	                            ? json_string(lk_signal_name(t->signal))
	                            : json_null());
	json_object_set_new(
	        c, "exit_status",
	        t->verdict == LK_V_CRASH && !t->signal && p != NULL && p->exited
	                ? json_integer(p->status)
	        : t->verdict == LK_V_CRASH && !t->signal && t->lost_status >= 0
	                ? json_integer(t->lost_status)
	                : json_null());
	json_object_set_new(c, "last_event",
	                    v->last_event[0] ? json_string(v->last_event)
	                                     : json_null());
	json_object_set_new(c, "text", json_string(v->crash));
	json_array_append_new(a, c);
	return a;
}

/* Every expectation: its text, line, quantifier, whether its condition
 * held in this run and whether it passed. */
static json_t *
expectations_json(const struct lk_scenario *sc, const struct lk_cli_verdict *v)
{
	static const char *const quants[] = {"always", "sometimes", "never"};
	json_t *a = json_array();

	for (size_t i = 0; i < v->nx; i++) {
		const struct lk_sc_expect *x = &sc->expects[i];
		const struct lk_verdict_line *l = &v->lines[i];

		json_array_append_new(
		        a, json_pack("{s:s, s:o, s:s, s:b, s:o, s:o}", "text",
		                     l->text, "line",
		                     x->line > 0 ? json_integer(x->line)
		                                 : json_null(),
		                     "when", quants[x->when], "held", l->holds,
		                     "passed",
		                     l->error ? json_null()
		                              : json_boolean(l->passed),
		                     "error",
		                     l->error ? json_true() : json_false()));
	}
	return a;
}

/* The processes of the run: name, parent, how each ended. */
static json_t *
procs_json(const struct lk_trace *t)
{
	json_t *a = json_array();

	for (size_t p = 0; p < t->nprocs; p++) {
		const struct lk_tproc *pr = &t->procs[p];

		json_array_append_new(
		        a, json_pack("{s:o, s:o, s:b, s:o}", "name",
		                     proc_json(t, (int)p), "parent",
		                     proc_json(t, pr->parent), "exited",
		                     pr->exited, "exit_status",
		                     pr->exited ? json_integer(pr->status)
		                                : json_null()));
	}
	return a;
}

/* A path, or null. */
static json_t *
path_json(const char *path)
{
	return path != NULL ? json_string(path) : json_null();
}

/* run --json (see verdict.h). */
void
lk_cli_run_json(struct lk_trace *t, const struct lk_scenario *sc,
                const struct lk_cli_verdict *v,
                const struct lk_cli_run_files *files, int status)
{
	json_t *j = json_object(), *fs;

	json_object_set_new(j, "scenario", json_string(t->scenario));
	json_object_set_new(j, "file", json_string(sc->path));
	json_object_set_new(j, "strategy",
	                    json_string(lk_strategy_name(t->strategy)));
	json_object_set_new(j, "seed",
	                    t->strategy == LK_STRAT_DEFAULT
	                            ? json_null()
	                            : json_integer((json_int_t)t->seed));
	json_object_set_new(j, "outcome",
	                    json_string(lk_verdict_name(t->verdict)));
	json_object_set_new(j, "exit_status", json_integer(status));
	json_object_set_new(j, "steps", json_integer((json_int_t)t->nevents));
	json_object_set_new(j, "virtual_time_ns",
	                    json_integer((json_int_t)t->vt));
	json_object_set_new(j, "processes", procs_json(t));
	json_object_set_new(j, "output", bytes_json(t->output, t->output_len));
	if (t->program_run)
		json_object_set_new(j, "stderr",
		                    bytes_json(t->errout, t->errout_len));
	json_object_set_new(j, "expectations", expectations_json(sc, v));
	json_object_set_new(j, "failed", json_integer((json_int_t)v->failed));
	json_object_set_new(j, "races", races_json(t));
	json_object_set_new(j, "deadlock", deadlock_json(t, v));
	json_object_set_new(j, "crashes", crashes_json(t, v));
	fs = json_pack("{s:o, s:o, s:o}", "trace", path_json(files->trace),
	               "schedule", path_json(files->schedule), "diagram",
	               path_json(files->diagram));
	json_object_set_new(j, "files", fs);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}
