/*
 * The words of a diagram: the label beside each event's mark is the one
 * labeller's (runner/trace/label.c, its diagram style); the label of an
 * arrow, the bytes a pipe carried, is drawn from the read's data here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/* Longest text of the bytes on an arrow, in characters. */
#define ARROW_CHARS 10

void
lk__viz_put(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Whether e failed: a call's -1, but not a stored or loaded value. */
int
lk__viz_failed(const struct lk_tev *e)
{
	return e->ret < 0 && lk__viz_op(e) != LK__VIZ_LOAD &&
	       lk__viz_op(e) != LK__VIZ_STORE && lk__viz_op(e) != LK__VIZ_PAUSE;
}

/* The text beside event i's mark, in a new string (NULL: no memory). */
char *
lk__viz_label(const struct lk_viz_trace *t, size_t i)
{
	char buf[LK_LABEL_MAX];

	lk_label(t->tr, &t->tr->ev[i], LK_LABEL_DIAGRAM, buf, sizeof(buf));
	return strdup(buf);
}

/*
 * The label of edge d in a new string: on a write -> read arrow the bytes
 * it carried ("\"pin\"", or "\"aaaa…\" 63136 bytes" when cut), on a
 * close -> end of file arrow "EOF", else ""; NULL out of memory.
 */
char *
lk__viz_edge_label(const struct lk_viz_trace *t, const struct lk_hb_edge *d)
{
	const struct lk_tev *r = &t->tr->ev[d->to];
	char buf[128] = "";
	size_t have = 0, n;
	int cut;

	if (d->kind == LK_HB_CLOSE_EOF)
		return strdup("EOF");
	if (d->kind != LK_HB_WRITE_READ)
		return strdup("");
	if (!lk_trace_exact(r, &have) || (size_t)d->off >= have) {
		snprintf(
		        buf, sizeof(buf), "%ld %s", d->len,
		        lk_plural((unsigned long long)d->len, "byte", "bytes"));
		return strdup(buf);
	}
	n = have - (size_t)d->off < (size_t)d->len ? have - (size_t)d->off
	                                           : (size_t)d->len;
	lk__viz_put(buf, sizeof(buf), "\"");
	cut = lk_label_slice(buf, sizeof(buf) - 40, r->data + d->off, n,
	                     ARROW_CHARS);
	if (!cut && n < (size_t)d->len)
		lk__viz_put(buf, sizeof(buf), "\xe2\x80\xa6");
	lk__viz_put(buf, sizeof(buf), "\"");
	if (cut || n < (size_t)d->len)
		lk__viz_put(buf, sizeof(buf), " %ld bytes", d->len);
	return strdup(buf);
}
