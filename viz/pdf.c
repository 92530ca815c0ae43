/*
 * The frames of a stepping sequence as one PDF of many pages (render
 * --frames FILE.pdf): Graphviz's cairo device writes one page per
 * render, so each frame is rendered on its own and the one-page PDFs
 * are joined here.
 *
 * The joiner reads what cairo writes (a classic cross-reference table,
 * no object streams) and nothing more: each input's objects are copied
 * under new numbers (their references "N G R" renumbered outside the
 * streams, the streams copied byte for byte), each input's page tree
 * becomes a child of one new page tree, and a new catalogue names it.
 * The inputs' catalogues and information dictionaries stay behind,
 * unreferenced, as PDF allows.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/* A growing output buffer; failed once memory ran out. */
struct out {
	char *data;
	size_t len, cap;
	int failed;
};

/* Append the n bytes at p. */
static void
put(struct out *o, const void *p, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		char *d;

		while (o->len + n + 1 > cap)
			cap *= 2;
		if ((d = realloc(o->data, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->data = d;
		o->cap = cap;
	}
	memcpy(o->data + o->len, p, n);
	o->len += n;
}

/* Append printf-style text. */
static void __attribute__((format(printf, 2, 3)))
putf(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		o->failed = 1;
	else
		put(o, buf, (size_t)n);
}

/* The first place of the n bytes of s in [h, h + len), or NULL. */
static const char *
find(const char *h, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (memcmp(h + i, s, n) == 0)
			return h + i;
	return NULL;
}

/* The last place of s in [h, h + len), or NULL. */
static const char *
find_last(const char *h, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = len >= n ? len - n + 1 : 0; i-- > 0;)
		if (memcmp(h + i, s, n) == 0)
			return h + i;
	return NULL;
}

/* PDF white space. */
static int
white(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' ||
	       c == '\0';
}

/* An unsigned number at *p (before end) into *v, moving *p past it. */
static int
number(const char **p, const char *end, size_t *v)
{
	const char *q = *p;
	size_t n = 0;

	if (q >= end || !isdigit((unsigned char)*q))
		return -1;
	for (; q < end && isdigit((unsigned char)*q); q++) {
		if (n > ((size_t)-1) / 16)
			return -1;
		n = n * 10 + (size_t)(*q - '0');
	}
	*v = n;
	*p = q;
	return 0;
}

/* Skip white space at *p. */
static void
skip(const char **p, const char *end)
{
	while (*p < end && white(**p))
		(*p)++;
}

/*
 * Copy the text [p, end) of an object (no stream in it), every
 * reference "N G R" renumbered to N + base.
 */
static void
renumber(struct out *o, const char *p, const char *end, size_t base)
{
	const char *start = p;

	while (p < end) {
		const char *q = p, *r;
		size_t a, g;

		if (!isdigit((unsigned char)*p)) {
			put(o, p, 1);
			p++;
			continue;
		}
		if (p > start &&
		    (isalnum((unsigned char)p[-1]) || p[-1] == '.' ||
		     p[-1] == '-' || p[-1] == '+')) {
			/* Inside a name or a number: not a reference. */
			while (q < end &&
			       (isalnum((unsigned char)*q) || *q == '.'))
				q++;
			put(o, p, (size_t)(q - p));
			p = q;
			continue;
		}
		/* A number that starts a token: N, then G, then R. */
		number(&q, end, &a);
		r = q;
		if (r < end && white(*r)) {
			skip(&r, end);
			if (number(&r, end, &g) == 0 && r < end && white(*r)) {
				skip(&r, end);
				if (r < end && *r == 'R' &&
				    (r + 1 == end ||
				     !isalnum((unsigned char)r[1]))) {
					putf(o, "%zu %zu R", a + base, g);
					p = r + 1;
					continue;
				}
			}
		}
		put(o, p, (size_t)(q - p));
		p = q;
	}
}

/* One input: its objects' offsets, by number (0: not in use). */
struct doc {
	const char *d;
	size_t len;
	size_t nobj;  /* numbers 0..nobj-1 */
	size_t *off;  /* per number: offset of "N G obj", or 0 */
	size_t xref;  /* offset of its cross-reference table */
	size_t pages; /* number of its page tree's root */
};

/* Read the cross-reference table of d; 0 or -1. */
static int
read_xref(struct doc *d)
{
	const char *s = find_last(d->d, d->len, "startxref"), *p, *end;
	size_t first, count;

	end = d->d + d->len;
	if (s == NULL)
		return -1;
	p = s + 9;
	skip(&p, end);
	if (number(&p, end, &d->xref) != 0 || d->xref >= d->len)
		return -1;
	p = d->d + d->xref;
	if ((size_t)(end - p) < 4 || memcmp(p, "xref", 4) != 0)
		return -1;
	p += 4;
	skip(&p, end);
	if (number(&p, end, &first) != 0 || first != 0)
		return -1;
	skip(&p, end);
	if (number(&p, end, &count) != 0 || count == 0 || count > d->len)
		return -1;
	if ((d->off = calloc(count, sizeof(*d->off))) == NULL)
		return -1;
	d->nobj = count;
	for (size_t i = 0; i < count; i++) {
		size_t off, gen;

		skip(&p, end);
		if (number(&p, end, &off) != 0)
			return -1;
		skip(&p, end);
		if (number(&p, end, &gen) != 0)
			return -1;
		skip(&p, end);
		if (p >= end || (*p != 'n' && *p != 'f'))
			return -1;
		if (*p == 'n' && i > 0) {
			if (off >= d->xref)
				return -1;
			d->off[i] = off;
		}
		p++;
	}
	return 0;
}

/* Where object i of d ends: the next object's start, or the table. */
static size_t
obj_end(const struct doc *d, size_t i)
{
	size_t end = d->xref;

	for (size_t j = 1; j < d->nobj; j++)
		if (d->off[j] > d->off[i] && d->off[j] < end)
			end = d->off[j];
	return end;
}

/* Where the stream of an object body [p, end) starts ("stream" after
 * its dictionary's ">>"), or end when it has none. */
static const char *
stream_at(const char *p, const char *end)
{
	for (const char *s = p; (s = find(s, (size_t)(end - s), "stream"));
	     s += 6) {
		const char *b = s;

		while (b > p && white(b[-1]))
			b--;
		if (b - p >= 2 && b[-1] == '>' && b[-2] == '>')
			return s;
	}
	return end;
}

/* Copy object i of d as number i + base; the page tree's root gets
 * parent as its /Parent. */
static int
copy_obj(struct out *o, const struct doc *d, size_t i, size_t base,
         size_t parent, size_t *offset)
{
	const char *p = d->d + d->off[i], *end = d->d + obj_end(d, i);
	const char *body = find(p, (size_t)(end - p), "obj"), *st;

	if (body == NULL || body - p > 32)
		return -1;
	body += 3;
	st = stream_at(body, end);
	*offset = o->len;
	putf(o, "%zu 0 obj", i + base);
	if (i == d->pages) {
		const char *dict = find(body, (size_t)(st - body), "<<");

		if (dict == NULL)
			return -1;
		renumber(o, body, dict + 2, base);
		putf(o, " /Parent %zu 0 R", parent);
		renumber(o, dict + 2, st, base);
	} else {
		renumber(o, body, st, base);
	}
	put(o, st, (size_t)(end - st));
	return 0;
}

/* The number of d's page tree's root: its object "/Type /Pages". */
static int
find_pages(struct doc *d)
{
	for (size_t i = 1; i < d->nobj; i++) {
		const char *p = d->d + d->off[i];
		const char *end = d->d + obj_end(d, i);

		if (d->off[i] == 0)
			continue;
		end = stream_at(p, end);
		if (find(p, (size_t)(end - p), "/Type /Pages") != NULL) {
			d->pages = i;
			return 0;
		}
	}
	return -1;
}

int
lk__viz_pdf_join(const struct lk__viz_bytes *pages, size_t n,
                 struct lk__viz_bytes *out)
{
	struct doc *docs = calloc(n + 1, sizeof(*docs));
	size_t *offs = NULL, total = 0, root, cat, k = 0;
	struct out o = {0};
	int rc = -1;

	out->data = NULL;
	out->len = 0;
	if (docs == NULL || n == 0)
		goto done;
	for (size_t j = 0; j < n; j++) {
		docs[j].d = pages[j].data;
		docs[j].len = pages[j].len;
		if (read_xref(&docs[j]) != 0 || find_pages(&docs[j]) != 0)
			goto done;
		total += docs[j].nobj - 1;
	}
	root = total + 1;
	cat = total + 2;
	if ((offs = calloc(total + 3, sizeof(*offs))) == NULL)
		goto done;
	put(&o, "%PDF-1.5\n%\xb5\xed\xae\xfb\n", 15);
	for (size_t j = 0, base = 0; j < n; base += docs[j].nobj - 1, j++)
		for (size_t i = 1; i < docs[j].nobj; i++)
			if (docs[j].off[i] != 0 &&
			    copy_obj(&o, &docs[j], i, base, root,
			             &offs[i + base]) != 0)
				goto done;
	offs[root] = o.len;
	putf(&o, "%zu 0 obj\n<< /Type /Pages\n   /Kids [", root);
	for (size_t j = 0, base = 0; j < n; base += docs[j].nobj - 1, j++)
		putf(&o, " %zu 0 R", docs[j].pages + base);
	putf(&o, " ]\n   /Count %zu\n>>\nendobj\n", n);
	offs[cat] = o.len;
	putf(&o,
	     "%zu 0 obj\n<< /Type /Catalog\n   /Pages %zu 0 R\n>>\nendobj\n",
	     cat, root);
	k = o.len;
	putf(&o, "xref\n0 %zu\n0000000000 65535 f \n", total + 3);
	for (size_t i = 1; i < total + 3; i++)
		if (offs[i] != 0)
			putf(&o, "%010zu 00000 n \n", offs[i]);
		else
			putf(&o, "0000000000 65535 f \n");
	putf(&o,
	     "trailer\n<< /Size %zu\n   /Root %zu 0 R\n>>\nstartxref\n%zu\n"
	     "%%%%EOF\n",
	     total + 3, cat, k);
	if (!o.failed) {
		out->data = o.data;
		out->len = o.len;
		o.data = NULL;
		rc = 0;
	}
done:
	for (size_t j = 0; docs != NULL && j < n; j++)
		free(docs[j].off);
	free(docs);
	free(offs);
	free(o.data);
	return rc;
}
