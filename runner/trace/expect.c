/* Judging a scenario's <expect> against one run's trace. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/regex.h"
#include "trace/analysis.h"

static const char *const quants[] = {"always", "sometimes", "never"};

/* Step of the first print of text, or -1. */
static long
first_print(const struct lk_trace *t, const char *text)
{
	size_t len = strlen(text);

	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];

		if (e->op == LK_OP_WRITE && e->act == LK_ACT_PRINT + 1 &&
		    e->len == len + 1 && memcmp(e->data, text, len) == 0)
			return (long)i;
	}
	return -1;
}

/* Does the regex match the len bytes at s? 1, 0, or -1 when it could
 * not be judged (a limit hit), why filled. */
static int
matches(const char *re, const char *s, size_t len, char *why, size_t size)
{
	struct lk_regex *rx = lk_regex_compile(re, why, size);
	int rc;

	if (rx == NULL)
		return -1;
	rc = lk_regex_match(rx, s, s != NULL ? len : 0, why, size);
	lk_regex_free(rx);
	return rc;
}

/* "main exits with status N", and how it ended when it did not. */
static void
exit_text(const struct lk_trace *t, long long want, char *buf, size_t size)
{
	const struct lk_tproc *m = t->nprocs > 0 ? &t->procs[0] : NULL;

	if (m != NULL && m->exited && m->status != want)
		snprintf(buf, size,
		         "main exits with status %lld (it exited "
		         "with %d)",
		         want, m->status);
	else if (m != NULL && !m->exited)
		snprintf(buf, size,
		         "main exits with status %lld (it did "
		         "not exit)",
		         want);
	else
		snprintf(buf, size, "main exits with status %lld", want);
}

/* Append the printf text to buf as one terminal line: a newline, tab or
 * return an expectation's text or regex holds shows as \n, \t, \r. */
static void put_text(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
put_text(char *buf, size_t size, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	lk_label_append_text(buf, size, raw, strlen(raw), size);
}

/* The text of expectation i of sc, as run and explore print it (see
 * analysis.h). */
void
lk_expect_text(const struct lk_scenario *sc, size_t i, char *buf, size_t size)
{
	const struct lk_sc_expect *x = &sc->expects[i];

	buf[0] = '\0';
	switch (x->kind) {
	case LK_EXPECT_BEFORE:
		put_text(buf, size, "\"%s\" printed before \"%s\"", x->first,
		         x->then);
		break;
	case LK_EXPECT_OUTPUT:
		put_text(buf, size, "output matches /%s/", x->regex);
		break;
	case LK_EXPECT_CONTENTS:
		put_text(buf, size, "%s matches /%s/", sc->objects[x->obj].name,
		         x->regex);
		break;
	case LK_EXPECT_DEADLOCK:
		put_text(buf, size, "deadlock");
		break;
	case LK_EXPECT_CELL:
		put_text(buf, size, "%s = %lld", sc->objects[x->obj].name,
		         x->value);
		break;
	case LK_EXPECT_EXIT:
		put_text(buf, size, "main exits with status %lld", x->value);
		break;
	}
	if (x->when != LK_ALWAYS)
		put_text(buf, size, " (%s)", quants[x->when]);
}

/* Judge every expectation of sc on t (see analysis.h). */
size_t
lk_expect_eval(const struct lk_trace *t, const struct lk_scenario *sc,
               struct lk_verdict_line *out)
{
	size_t failed = 0;

	for (size_t i = 0; i < sc->nexpects; i++) {
		const struct lk_sc_expect *x = &sc->expects[i];
		struct lk_verdict_line *v = &out[i];

		v->error = 0;
		long a, b;
		const char *body = NULL;
		size_t body_len = 0;
		char why[200];
		int m;

		switch (x->kind) {
		case LK_EXPECT_BEFORE:
			a = first_print(t, x->first);
			b = first_print(t, x->then);
			v->holds = a >= 0 && b >= 0 && a < b;
			break;
		case LK_EXPECT_OUTPUT:
			m = matches(x->regex, t->output, t->output_len, why,
			            sizeof(why));
			v->holds = m == 1;
			v->error = m < 0;
			break;
		case LK_EXPECT_CONTENTS:
			if (x->obj >= 0 && (size_t)x->obj < t->nfiles) {
				body = t->files[x->obj];
				body_len = t->file_lens != NULL
				                   ? t->file_lens[x->obj]
				                   : (body ? strlen(body) : 0);
			}
			m = body == NULL ? 0
			                 : matches(x->regex, body, body_len,
			                           why, sizeof(why));
			v->holds = m == 1;
			v->error = m < 0;
			break;
		case LK_EXPECT_DEADLOCK:
			v->holds = t->verdict == LK_V_DEADLOCK;
			break;
		case LK_EXPECT_CELL:
			v->holds = x->obj >= 0 && (size_t)x->obj < t->nobjs &&
			           t->objs[x->obj].has_final &&
			           t->objs[x->obj].final == x->value;
			break;
		case LK_EXPECT_EXIT:
			v->holds = t->nprocs > 0 && t->procs[0].exited &&
			           t->procs[0].status == x->value;
			break;
		}
		if (x->kind == LK_EXPECT_EXIT) {
			/* How main ended, when not as expected. */
			exit_text(t, x->value, v->text, sizeof(v->text));
			if (x->when != LK_ALWAYS)
				put_text(v->text, sizeof(v->text), " (%s)",
				         quants[x->when]);
		} else {
			lk_expect_text(sc, i, v->text, sizeof(v->text));
		}
		switch (x->when) {
		case LK_NEVER:
			v->passed = !v->holds;
			break;
		case LK_SOMETIMES:
			v->passed = 1; /* judged over many runs only */
			break;
		default:
			v->passed = v->holds;
		}
		if (v->error) {
			/* Not a verdict: why it could not be judged. */
			v->passed = 0;
			put_text(v->text, sizeof(v->text), ": %s", why);
		}
		if (!v->passed)
			failed++;
	}
	return failed;
}
