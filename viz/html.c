/*
 * The interactive page (`lockstep render TRACE -o run.html`): one
 * self-contained HTML file, the diagram as the inline SVG Graphviz drew
 * (render.c, the same as -o run.svg), the trace's drawn events as JSON
 * (step, lane, label, vector clock, object, source line), and the
 * script and style of viz/html.js and viz/html.css (embedded at build
 * time by viz/embed.cmake). No network: a Content-Security-Policy of
 * default-src 'none' forbids every load, so the page works from a file
 * and a hostile trace cannot make it fetch anything.
 *
 * Every string from the trace reaches the page escaped: in the SVG by
 * Graphviz (XML entities), in the JSON by json() below, which also
 * escapes <, > and & so nothing in it can close or reopen the script
 * element that holds it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/* viz/html.js and viz/html.css, NUL-terminated (viz/embed.cmake). */
extern const char lk__viz_html_js[];
extern const char lk__viz_html_css[];

/* A growing buffer; oom once any append failed. */
struct buf {
	char *data;
	size_t len, cap;
	int oom;
};

static void
put_n(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->data, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
put(struct buf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_n(b, tmp,
		      (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* The length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;
	unsigned c = s[0];
	unsigned long v;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	return n;
}

/* s as a JSON string that is safe inside a <script> element: quotes,
 * backslashes, control characters, <, > and & as \u escapes, bytes that
 * are not UTF-8 as U+FFFD; NULL as null. */
static void
json(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		put(b, "null");
		return;
	}
	put(b, "\"");
	while (*p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0) {
			put(b, "\\ufffd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			putf(b, "\\%c", *p);
			p++;
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' ||
		           *p == 0x7f) {
			putf(b, "\\u%04x", *p);
			p++;
		} else if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
		           (p[2] == 0xa8 || p[2] == 0xa9)) {
			/* U+2028, U+2029: line ends to older JavaScript. */
			putf(b, "\\u%04x",
			     0x2000 | (p[2] == 0xa8 ? 0x28 : 0x29));
			p += 3;
		} else {
			put_n(b, (const char *)p, n);
			p += n;
		}
	}
	put(b, "\"");
}

/* The same text for a text node of the page (the <title>). */
static void
html_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			put(b, "&lt;");
		else if (*s == '>')
			put(b, "&gt;");
		else if (*s == '&')
			put(b, "&amp;");
		else
			put_n(b, s, 1);
	}
}

/* The trace's drawn events, edges, races and cycle as one JSON object. */
static void
data(struct buf *b, const struct lk_viz_trace *t,
     const struct lk__viz_layout *l, const char *title)
{
	const struct lk_trace *tr = t->tr;
	char src[LK_NAME_MAX + 4096];
	const char *sep = "";
	long last = -1;

	put(b, "{\"title\":");
	json(b, title);
	put(b, ",\"file\":");
	json(b, tr->file);
	put(b, ",\"procs\":[");
	for (size_t p = 0; p < tr->nprocs; p++) {
		put(b, p ? "," : "");
		json(b, lk_trace_proc_label(tr, p));
	}
	put(b, "],\"events\":[");
	for (size_t i = 0; i < tr->nevents; i++) {
		const struct lk_tev *e = &tr->ev[i];

		if (l->row[i] < 0)
			continue;
		last = (long)e->step;
		putf(b, "%s{\"s\":%ld,\"p\":%d,\"l\":", sep, (long)e->step,
		     e->proc);
		sep = ",";
		json(b, l->label[i]);
		put(b, ",\"o\":");
		json(b, e->obj >= 0 && (size_t)e->obj < tr->nobjs
		                ? tr->objs[e->obj].name
		                : NULL);
		put(b, ",\"src\":");
		if (e->src > 0 && tr->file != NULL && tr->file[0] != '\0') {
			snprintf(src, sizeof(src), "%s:%u", tr->file,
			         (unsigned)e->src);
			json(b, src);
		} else if (e->src > 0) {
			snprintf(src, sizeof(src), "line %u", (unsigned)e->src);
			json(b, src);
		} else {
			put(b, "null");
		}
		putf(b, ",\"f\":%d,\"vc\":[", l->fold[i] > 0 ? l->fold[i] : 0);
		for (size_t p = 0; p < tr->nprocs; p++)
			putf(b, "%s%u", p ? "," : "",
			     e->vc != NULL ? (unsigned)e->vc[p] : 0u);
		put(b, "]}");
	}
	putf(b, "],\"last\":%ld,\"edges\":[", last);
	sep = "";
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *h = &t->edges[k];

		if (l->row[h->from] < 0 || l->row[h->to] < 0)
			continue;
		putf(b, "%s{\"k\":%zu,\"a\":%ld,\"b\":%ld}", sep, k,
		     (long)tr->ev[h->from].step, (long)tr->ev[h->to].step);
		sep = ",";
	}
	put(b, "],\"races\":[");
	sep = "";
	for (size_t k = 0; k < l->nraces; k++) {
		const struct lk_race *r = &l->races[k];

		if (l->row[r->a] < 0 || l->row[r->b] < 0)
			continue;
		putf(b, "%s{\"k\":%zu,\"a\":%ld,\"b\":%ld,\"o\":", sep, k,
		     (long)tr->ev[r->a].step, (long)tr->ev[r->b].step);
		json(b, lk__viz_obj(tr, r->obj));
		put(b, "}");
		sep = ",";
	}
	put(b, "],\"cycle\":[");
	for (size_t i = 0; i < tr->ncycle; i++)
		putf(b, "%s%d", i ? "," : "", tr->cycle[i]);
	put(b, "],\"stuck\":[");
	sep = "";
	for (size_t p = 0; p < tr->nprocs; p++)
		if (!tr->procs[p].exited &&
		    (tr->procs[p].blocked_on != -1 || tr->procs[p].stopped)) {
			putf(b, "%s%zu", sep, p);
			sep = ",";
		}
	put(b, "]}");
}

/* The page around svg (len bytes, as Graphviz wrote it) into *out. */
int
lk__viz_html(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
             const char *title, const char *svg, size_t len,
             struct lk__viz_bytes *out)
{
	struct buf b = {0};
	const char *start = NULL;

	/* The <svg> element itself, without the XML declaration and the
	 * DOCTYPE before it (HTML parses inline SVG as foreign content). */
	for (size_t i = 0; i + 4 < len; i++)
		if (memcmp(svg + i, "<svg", 4) == 0 &&
		    (svg[i + 4] == ' ' || svg[i + 4] == '\n')) {
			start = svg + i;
			break;
		}
	if (start == NULL)
		return -1;
	put(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	        "<meta charset=\"utf-8\">\n"
	        "<meta http-equiv=\"Content-Security-Policy\" "
	        "content=\"default-src 'none'; script-src 'unsafe-inline'; "
	        "style-src 'unsafe-inline'; img-src data:\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width\">\n"
	        "<meta name=\"generator\" content=\"lockstep render\">\n"
	        "<link rel=\"icon\" href=\"data:,\">\n<title>");
	html_text(&b, title);
	put(&b, " \xe2\x80\x94 lockstep</title>\n<style>\n");
	put(&b, lk__viz_html_css);
	put(&b, "</style>\n</head>\n<body>\n"
	        "<div id=\"lk-bar\">\n"
	        "<label id=\"lk-steplabel\" for=\"lk-slider\">step "
	        "<output id=\"lk-step\"></output></label>\n"
	        "<input id=\"lk-slider\" type=\"range\" min=\"0\" max=\"0\" "
	        "value=\"0\" aria-label=\"step\">\n"
	        "<input id=\"lk-search\" type=\"search\" "
	        "placeholder=\"process or object\" "
	        "aria-label=\"search by process or object\">\n"
	        "<span id=\"lk-toggles\"></span>\n"
	        "</div>\n"
	        "<div id=\"lk-info\" aria-live=\"polite\"></div>\n"
	        "<div id=\"lk-diagram\">\n");
	put_n(&b, start, len - (size_t)(start - svg));
	put(&b, "</div>\n<script type=\"application/json\" id=\"lk-data\">");
	data(&b, t, l, title);
	put(&b, "</script>\n<script>\n");
	put(&b, lk__viz_html_js);
	put(&b, "</script>\n</body>\n</html>\n");
	if (b.oom) {
		free(b.data);
		return -1;
	}
	out->data = b.data;
	out->len = b.len;
	return 0;
}
