/*
 * Where a trace's events go in the diagram: the happens-before edges
 * between processes, one column per process, and rows of compressed
 * logical time. An event's row is one more than the row of the event
 * before it in its process, of the source of any edge into it, and of
 * the latest event of every other process that happens before it by the
 * vector clocks; so concurrent events may share a row, an event that
 * happens before another is always drawn higher, and the picture implies
 * no order the trace does not have.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/*
 * The kinds of cross-process edges, in the order they are looked for.
 * To add one (a pipe's write -> read, kill -> handler), add a row here
 * and its finder to sources[] below, at the same index.
 */
const struct lk__viz_edge_kind lk__viz_edge_kinds[] = {
        {"post-wait", "#4477AA", "solid", "normal",
         "post \xe2\x86\x92 wait: happens before"},
        {"fork-start", "#228833", "bold", "empty",
         "fork \xe2\x86\x92 child starts"},
        {"exit-wait", "#AA3377", "dashed", "normal",
         "exit \xe2\x86\x92 the wait that reaps it"},
};
const size_t lk__viz_nedge_kinds =
        sizeof(lk__viz_edge_kinds) / sizeof(lk__viz_edge_kinds[0]);

/* What the edge finders remember of the events seen so far. */
struct finder {
	size_t **posts; /* per object: its successful posts, in order */
	size_t *nposts, *capposts;
	long *fork_of; /* per process: the fork that made it, or -1 */
	long *exit_of; /* per process: its exit, or -1 */
};

/* Event e happens before f by the vector clock rule. */
int
lk__viz_hb(const struct lk__viz_event *e, const struct lk__viz_event *f)
{
	unsigned lo = 0, hi = f->nvc;

	/* f.vc[e.proc], by binary search: entries are sorted by proc. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (f->vc[mid].proc == e->proc)
			return e->own <= f->vc[mid].n;
		if (f->vc[mid].proc < e->proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return e->own == 0;
}

/* A successful wait of any kind: it consumed a post. */
static int
is_wait(const struct lk__viz_event *e)
{
	return (e->op == LK__VIZ_SEM_WAIT || e->op == LK__VIZ_SEM_TRYWAIT ||
	        e->op == LK__VIZ_SEM_TIMEDWAIT) &&
	       !e->blocked && e->ret == 0 && e->obj >= 0;
}

/*
 * Post -> wait: the source of a successful wait on O by Q is the most
 * recent post on O (by step) by another process that happens before the
 * wait. This is a witness, not necessarily the post the wait consumed:
 * a semaphore joins every post's clock, so each drawn arrow is a true
 * happens-before relation, and each wait gets at most one arrow.
 */
static long
post_wait_source(const struct finder *fd, const struct lk_viz_trace *t,
                 size_t i)
{
	const struct lk__viz_event *f = &t->ev[i];

	if (!is_wait(f))
		return -1;
	for (size_t k = fd->nposts[f->obj]; k-- > 0;) {
		const struct lk__viz_event *e = &t->ev[fd->posts[f->obj][k]];

		if (e->proc != f->proc && lk__viz_hb(e, f))
			return (long)fd->posts[f->obj][k];
	}
	return -1;
}

/* Fork -> start: a child's first step comes from the fork that made it. */
static long
fork_start_source(const struct finder *fd, const struct lk_viz_trace *t,
                  size_t i)
{
	if (t->ev[i].op != LK__VIZ_START)
		return -1;
	return fd->fork_of[t->ev[i].proc];
}

/* Exit -> wait: a wait that reaped a child comes from the child's exit. */
static long
exit_wait_source(const struct finder *fd, const struct lk_viz_trace *t,
                 size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];

	if (e->op != LK__VIZ_WAIT || e->blocked || e->peer < 0)
		return -1;
	return fd->exit_of[e->peer];
}

/* The finders, at the index of their kind in lk__viz_edge_kinds. */
static long (*const sources[])(const struct finder *,
                               const struct lk_viz_trace *, size_t) = {
        post_wait_source,
        fork_start_source,
        exit_wait_source,
};

/* Remember event i for the finders of later events; -1 out of memory. */
static int
finder_note(struct finder *fd, const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];

	if (e->op == LK__VIZ_FORK && e->peer >= 0 && e->ret >= 0)
		fd->fork_of[e->peer] = (long)i;
	if (e->op == LK__VIZ_EXIT)
		fd->exit_of[e->proc] = (long)i;
	if (e->op != LK__VIZ_SEM_POST || e->ret != 0 || e->obj < 0)
		return 0;
	if (fd->nposts[e->obj] == fd->capposts[e->obj]) {
		size_t cap =
		        fd->capposts[e->obj] ? fd->capposts[e->obj] * 2 : 16;
		size_t *p = realloc(fd->posts[e->obj], cap * sizeof(*p));

		if (p == NULL)
			return -1;
		fd->posts[e->obj] = p;
		fd->capposts[e->obj] = cap;
	}
	fd->posts[e->obj][fd->nposts[e->obj]++] = i;
	return 0;
}

/* Add the edge from -> to of kind to t; -1 out of memory. */
static int
add_edge(struct lk_viz_trace *t, size_t *cap, size_t from, size_t to,
         unsigned kind)
{
	if (t->nedges == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct lk__viz_edge *v = realloc(t->edges, n * sizeof(*v));

		if (v == NULL)
			return -1;
		t->edges = v;
		*cap = n;
	}
	t->edges[t->nedges].from = from;
	t->edges[t->nedges].to = to;
	t->edges[t->nedges++].kind = kind;
	return 0;
}

/* Find t's happens-before edges; 0, or -1 out of memory. */
int
lk__viz_find_edges(struct lk_viz_trace *t, struct lk_err *err)
{
	struct finder fd = {0};
	size_t cap = 0;
	long src;
	int rc = -1;

	fd.posts = calloc(t->nobjs + 1, sizeof(*fd.posts));
	fd.nposts = calloc(t->nobjs + 1, sizeof(*fd.nposts));
	fd.capposts = calloc(t->nobjs + 1, sizeof(*fd.capposts));
	fd.fork_of = malloc((t->nprocs + 1) * sizeof(*fd.fork_of));
	fd.exit_of = malloc((t->nprocs + 1) * sizeof(*fd.exit_of));
	if (!fd.posts || !fd.nposts || !fd.capposts || !fd.fork_of ||
	    !fd.exit_of)
		goto out;
	for (size_t p = 0; p < t->nprocs; p++)
		fd.fork_of[p] = fd.exit_of[p] = -1;
	for (size_t i = 0; i < t->nev; i++) {
		for (unsigned k = 0; k < lk__viz_nedge_kinds; k++)
			if ((src = sources[k](&fd, t, i)) >= 0 &&
			    add_edge(t, &cap, (size_t)src, i, k) < 0)
				goto out;
		if (finder_note(&fd, t, i) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", t->path);
	for (size_t o = 0; fd.posts != NULL && o < t->nobjs; o++)
		free(fd.posts[o]);
	free(fd.posts);
	free(fd.nposts);
	free(fd.capposts);
	free(fd.fork_of);
	free(fd.exit_of);
	return rc;
}

/*
 * Width of one character in em of DejaVu Sans, the widest of the fonts
 * that "Helvetica" turns into here (Liberation Sans is narrower): text is
 * left-aligned in a box of the estimated width, so too wide is harmless
 * and too narrow would shift it left.
 */
static double
char_em(unsigned char c)
{
	static const char *const groups[] = {
	        "ijl'|",  ".,:;! ", "ft()[]",
	        "r-\"",   "Iz_",    "csJ",
	        "kvxyL?", "aeoF",   "bdghnpqu0123456789#$+<=>~",
	        "ABEPST", "KRVXYZ", "CD",
	        "GHNOQU", "mwM",    "W%@",
	};
	static const double em[] = {
	        0.28, 0.32, 0.39, 0.46, 0.53, 0.56, 0.6, 0.62,
	        0.64, 0.69, 0.7,  0.77, 0.79, 0.98, 1.0,
	};

	for (size_t i = 0; i < sizeof(em) / sizeof(em[0]); i++)
		if (c != '\0' && strchr(groups[i], c) != NULL)
			return em[i];
	return 0.62;
}

/* Width in points of text in a font of size pt, estimated. */
double
lk__viz_text_width(const char *text, double pt, int bold)
{
	double em = 0;

	for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
		if (*s >= 0x80 && *s < 0xc0)
			continue; /* a UTF-8 continuation byte */
		em += *s < 0x80 ? char_em(*s) : 0.84;
	}
	return em * pt * (bold ? 1.12 : 1.0);
}

/* Append text to buf as printable text, cut after max characters. */
static void
put_text(char *buf, size_t size, const char *text, size_t max)
{
	size_t len = strlen(buf), chars = 0;
	const unsigned char *s = (const unsigned char *)text;

	for (; *s && len + 8 < size; s++) {
		if (*s < 0x80 || *s >= 0xc0)
			if (chars++ == max) {
				strcpy(buf + len,
				       "\xe2\x80\xa6"); /* ellipsis */
				return;
			}
		if (*s == '\n' || *s == '\t') {
			buf[len++] = '\\';
			buf[len++] = *s == '\n' ? 'n' : 't';
		} else {
			buf[len++] = *s < 0x20 || *s == 0x7f ? '?' : (char)*s;
		}
	}
	buf[len] = '\0';
}

/* Append a duration in ns to buf: 1s, 250ms, 3us, 7ns. */
static void
put_duration(char *buf, size_t size, long long ns)
{
	size_t len = strlen(buf);

	if (ns != 0 && ns % 1000000000 == 0)
		snprintf(buf + len, size - len, "%llds", ns / 1000000000);
	else if (ns != 0 && ns % 1000000 == 0)
		snprintf(buf + len, size - len, "%lldms", ns / 1000000);
	else if (ns != 0 && ns % 1000 == 0)
		snprintf(buf + len, size - len, "%lld\xc2\xb5s", ns / 1000);
	else
		snprintf(buf + len, size - len, "%lldns", ns);
}

/* Append the data of write e, without a print's newline; -1 no memory. */
static int
put_data(char *buf, size_t size, const struct lk__viz_event *e)
{
	size_t n = strlen(e->data);
	char *d;

	if (e->print && n > 0 && e->data[n - 1] == '\n')
		n--;
	if ((d = strndup(e->data, n)) == NULL)
		return -1;
	put_text(buf, size - 8, d, 20);
	free(d);
	return 0;
}

/* The words of a semaphore call: "wait x", "trywait x: busy". */
static void
sem_words(const struct lk_viz_trace *t, const struct lk__viz_event *e,
          char *buf, size_t size)
{
	const char *op = t->ops[e->opname], *obj;

	obj = e->obj >= 0 ? t->objs[e->obj] : "?";
	if (strncmp(op, "sem_", 4) == 0 && e->op != LK__VIZ_SEM_OPEN &&
	    e->op != LK__VIZ_SEM_CLOSE && e->op != LK__VIZ_SEM_UNLINK &&
	    e->op != LK__VIZ_SEM_INIT && e->op != LK__VIZ_SEM_DESTROY)
		op += 4;
	snprintf(buf, size, "%s %s", op, obj);
	if (e->blocked)
		strncat(buf, " (blocks)", size - strlen(buf) - 1);
	else if (e->op == LK__VIZ_SEM_GETVALUE && e->has_arg)
		snprintf(buf + strlen(buf), size - strlen(buf), " = %lld",
		         e->arg);
	else if (e->ret < 0 && e->op == LK__VIZ_SEM_TRYWAIT)
		strncat(buf, ": busy", size - strlen(buf) - 1);
	else if (e->ret < 0 && e->err == 110 /* ETIMEDOUT */)
		strncat(buf, ": timed out", size - strlen(buf) - 1);
	else if (e->ret < 0)
		snprintf(buf + strlen(buf), size - strlen(buf),
		         ": failed (errno %d)", e->err);
}

/* The text beside event i's mark, in a new string (NULL: no memory). */
static char *
label_of(const struct lk_viz_trace *t, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	const char *obj = e->obj >= 0 ? t->objs[e->obj] : NULL;
	char buf[256] = "";

	switch (e->op) {
	case LK__VIZ_WRITE:
		if (!e->print)
			snprintf(buf, sizeof(buf), "write %s ",
			         obj ? obj : "?");
		strcat(buf, "\"");
		if (e->data != NULL && put_data(buf, sizeof(buf), e) < 0)
			return NULL;
		strcat(buf, "\"");
		break;
	case LK__VIZ_START:
		strcpy(buf, "start");
		break;
	case LK__VIZ_SLEEP:
		strcpy(buf, "sleep ");
		put_duration(buf, sizeof(buf), e->has_arg ? e->arg : 0);
		break;
	case LK__VIZ_EXIT:
		if (e->has_arg)
			snprintf(buf, sizeof(buf), "exit %lld", e->arg);
		else
			strcpy(buf, "exit");
		break;
	case LK__VIZ_FORK:
		snprintf(buf, sizeof(buf), "fork %s",
		         e->peer >= 0 ? t->procs[e->peer].name : "");
		break;
	case LK__VIZ_EXEC:
		strcpy(buf, "exec ");
		if (e->data != NULL)
			put_text(buf, sizeof(buf) - 64, e->data, 32);
		if (e->ret < 0)
			strcat(buf, ": failed");
		break;
	case LK__VIZ_WAIT:
		if (e->blocked)
			strcpy(buf, "waitpid (blocks)");
		else if (e->peer >= 0)
			snprintf(buf, sizeof(buf), "waitpid %s",
			         t->procs[e->peer].name);
		else
			strcpy(buf, "waitpid: no child");
		break;
	case LK__VIZ_OTHER:
		/* An operation this viz does not know yet: its name. */
		put_text(buf, sizeof(buf) - 64, t->ops[e->opname], 24);
		if (obj != NULL) {
			strcat(buf, " ");
			put_text(buf, sizeof(buf) - 64, obj, 24);
		}
		if (e->ret < 0)
			snprintf(buf + strlen(buf), 64, ": failed (errno %d)",
			         e->err);
		break;
	default:
		sem_words(t, e, buf, sizeof(buf));
		break;
	}
	return strdup(buf);
}

/*
 * Set-up calls (sem_open, sem_close, sem_unlink, sem_init, sem_destroy)
 * are folded: they order nothing between processes and would only push
 * the interesting events down. A failed one is drawn, as it matters.
 */
static int
folded(const struct lk__viz_event *e)
{
	switch (e->op) {
	case LK__VIZ_SEM_OPEN:
	case LK__VIZ_SEM_CLOSE:
	case LK__VIZ_SEM_UNLINK:
	case LK__VIZ_SEM_INIT:
	case LK__VIZ_SEM_DESTROY:
		return e->ret >= 0;
	default:
		return 0;
	}
}

/* Per process: its events so far, whose own counters go up. */
struct seen {
	size_t *ev;
	size_t n, cap;
};

/* The latest event in s whose own counter is at most c, or -1. */
static long
seen_at(const struct lk_viz_trace *t, const struct seen *s, unsigned long c)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ev[s->ev[mid]].own <= c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? (long)s->ev[lo - 1] : -1;
}

/*
 * The row of drawn event i: below the event before it in its process
 * and below the latest event of every other process that happens before
 * it by the vector clocks (which covers the sources of its edges). So
 * e happens before f only if e is drawn higher than f.
 */
static int
row_of(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
       const struct seen *seen, const int *eff, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];
	int prev = l->last[e->proc], row;
	long j;

	if (prev >= 0)
		row = l->row[prev] + 1;
	else
		row = e->op == LK__VIZ_START ? 0 : 1; /* 0: a child's box */
	for (unsigned k = 0; k < e->nvc; k++) {
		if (e->vc[k].proc == e->proc)
			continue;
		j = seen_at(t, &seen[e->vc[k].proc], e->vc[k].n);
		if (j >= 0 && eff[j] >= row)
			row = eff[j] + 1;
	}
	return row;
}

/* Give every drawn event its row; the number of rows, or -1 no memory. */
static int
place_rows(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	struct seen *seen = calloc(t->nprocs + 1, sizeof(*seen));
	int *eff = malloc((t->nev + 1) * sizeof(*eff)), nrows = 1, rc = -1;

	if (seen == NULL || eff == NULL)
		goto out;
	for (size_t i = 0; i < t->nev; i++) {
		const struct lk__viz_event *e = &t->ev[i];
		struct seen *s = &seen[e->proc];

		/* eff: the row of i, or of the drawn event before it. */
		eff[i] = l->last[e->proc] >= 0 ? l->row[l->last[e->proc]] : -1;
		if (e->step >= l->from && e->step <= l->to && !folded(e) &&
		    l->fold[i] >= 0) {
			eff[i] = l->row[i] = row_of(t, l, seen, eff, i);
			if (l->last[e->proc] < 0) {
				l->first[e->proc] = (int)i;
				l->head_ev[e->proc] =
				        e->op == LK__VIZ_START ? (int)i : -1;
				l->head_row[e->proc] =
				        e->op == LK__VIZ_START ? l->row[i] : 0;
			}
			l->last[e->proc] = (int)i;
			if (l->row[i] >= nrows)
				nrows = l->row[i] + 1;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			size_t *v = realloc(s->ev, cap * sizeof(*v));

			if (v == NULL)
				goto out;
			s->ev = v;
			s->cap = cap;
		}
		s->ev[s->n++] = i;
	}
	rc = nrows;
out:
	for (size_t p = 0; seen != NULL && p < t->nprocs; p++)
		free(seen[p].ev);
	free(seen);
	free(eff);
	return rc;
}

/*
 * Put each label where arrows do not run: above its mark when an arrow
 * leaves it down to the right, below when one comes in from the right.
 */
static void
place_sides(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk__viz_edge *d = &t->edges[k];

		if (l->row[d->from] < 0 || l->row[d->to] < 0)
			continue;
		if (t->ev[d->to].proc > t->ev[d->from].proc)
			l->side[d->from] = 1;
		else
			l->side[d->to] = -1;
	}
}

/* The largest of a, b and c. */
static double
max3(double a, double b, double c)
{
	double m = a > b ? a : b;

	return m > c ? m : c;
}

/* Set the x of every drawn column and the width of the whole. */
static int
place_columns(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	double prevx = 0, prevhalf = 0, prevlab = 0, *lab;
	int any = 0;

	if ((lab = calloc(t->nprocs + 1, sizeof(*lab))) == NULL)
		return -1;
	for (size_t i = 0; i < t->nev; i++)
		if (l->row[i] >= 0 && l->labelw[i] > lab[t->ev[i].proc])
			lab[t->ev[i].proc] = l->labelw[i];
	for (size_t p = 0; p < t->nprocs; p++) {
		double half;

		l->headw[p] = lk__viz_text_width(t->procs[p].name,
		                                 LK__VIZ_HEADFONT, 1) +
		              28;
		half = l->headw[p] / 2;
		l->x[p] = -1;
		if (l->head_row[p] < 0)
			continue;
		if (!any)
			l->x[p] = LK__VIZ_MARGIN + half;
		else
			l->x[p] = prevx + max3(LK__VIZ_LABELGAP + prevlab + 48,
			                       prevhalf + half + 32, 150);
		prevx = l->x[p];
		prevhalf = half;
		prevlab = lab[p];
		any = 1;
	}
	l->width = prevx + max3(prevhalf, LK__VIZ_LABELGAP + prevlab, 0) +
	           LK__VIZ_MARGIN;
	free(lab);
	return 0;
}

/* Whether drawn event i may fold: no arrow, no block, nothing said. */
static int
local(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
      const char *endpoint, size_t i)
{
	const struct lk__viz_event *e = &t->ev[i];

	switch (e->op) {
	case LK__VIZ_WRITE:
	case LK__VIZ_SLEEP:
	case LK__VIZ_SEM_GETVALUE:
	case LK__VIZ_OTHER:
		break;
	default:
		return 0; /* semaphores, fork and exit are the story */
	}
	return !endpoint[i] && !e->blocked && !e->print && e->ret >= 0 &&
	       l->fold[i] == 0;
}

/* The label of a fold of n steps from rep on: "13 more steps: write". */
static char *
fold_label(const struct lk_viz_trace *t, const int *next, size_t rep, int n)
{
	char buf[160];
	unsigned seen[3];
	size_t nseen = 0;

	snprintf(buf, sizeof(buf), "%d more steps:", n);
	for (int j = (int)rep, k = 0; j >= 0 && k < n; j = next[j], k++) {
		unsigned op = t->ev[j].opname, dup = 0;

		for (size_t m = 0; m < nseen; m++)
			dup |= seen[m] == op;
		if (dup || nseen == 3)
			continue;
		seen[nseen++] = op;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s %s",
		         nseen > 1 ? "," : "", t->ops[op]);
	}
	return strdup(buf);
}

/*
 * A tall diagram folds the middle of each long run of local steps (no
 * arrow, no block, no print) into one mark, keeping the run's first and
 * last step: the overview fits a slide, and a from/to window shows all.
 */
static int
fold_runs(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	char *endpoint = calloc(t->nev + 1, 1);
	int *next = malloc((t->nev + 1) * sizeof(int));
	int *lastp = malloc((t->nprocs + 1) * sizeof(int)), rc = -1;

	if (endpoint == NULL || next == NULL || lastp == NULL)
		goto out;
	for (size_t k = 0; k < t->nedges; k++)
		endpoint[t->edges[k].from] = endpoint[t->edges[k].to] = 1;
	for (size_t p = 0; p < t->nprocs; p++)
		lastp[p] = -1;
	for (size_t i = 0; i < t->nev; i++) {
		next[i] = -1;
		if (l->row[i] < 0)
			continue;
		if (lastp[t->ev[i].proc] >= 0)
			next[lastp[t->ev[i].proc]] = (int)i;
		lastp[t->ev[i].proc] = (int)i;
	}
	for (size_t p = 0; p < t->nprocs; p++) {
		for (int i = l->first[p]; i >= 0;) {
			int start = i, last = i, len = 0;

			for (; i >= 0 && local(t, l, endpoint, (size_t)i);
			     i = next[i], len++)
				last = i;
			if (len == 0) {
				i = next[i];
				continue;
			}
			if (len < LK__VIZ_FOLD_RUN)
				continue;
			start = next[start];
			l->fold[start] = len - 2;
			l->label[start] =
			        fold_label(t, next, (size_t)start, len - 2);
			if (l->label[start] == NULL)
				goto out;
			for (int j = next[start]; j != last; j = next[j])
				l->fold[j] = -1;
		}
	}
	rc = 0;
out:
	free(endpoint);
	free(next);
	free(lastp);
	return rc;
}

/* Forget the rows, to place them again. */
static void
reset_rows(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	for (size_t i = 0; i <= t->nev; i++)
		l->row[i] = -1;
	for (size_t p = 0; p <= t->nprocs; p++)
		l->head_ev[p] = l->first[p] = l->last[p] = l->head_row[p] = -1;
}

/* Place the steps from..to of t; 0, or -1 with err filled. */
int
lk__viz_layout(const struct lk_viz_trace *t, long from, long to,
               struct lk__viz_layout *l, struct lk_err *err)
{
	size_t n = t->nev + 1, np = t->nprocs + 1;
	int whole;

	memset(l, 0, sizeof(*l));
	l->nev = t->nev;
	l->from = from < 0 ? 0 : from;
	l->to = to <= 0 ? (t->nev ? t->ev[t->nev - 1].step : 0) : to;
	l->row = malloc(n * sizeof(*l->row));
	l->label = calloc(n, sizeof(*l->label));
	l->side = calloc(n, sizeof(*l->side));
	l->labelw = calloc(n, sizeof(*l->labelw));
	l->fold = calloc(n, sizeof(*l->fold));
	l->head_ev = malloc(np * sizeof(int));
	l->first = malloc(np * sizeof(int));
	l->last = malloc(np * sizeof(int));
	l->head_row = malloc(np * sizeof(int));
	l->x = calloc(np, sizeof(double));
	l->headw = calloc(np, sizeof(double));
	if (!l->row || !l->label || !l->side || !l->labelw || !l->fold ||
	    !l->head_ev || !l->first || !l->last || !l->head_row || !l->x ||
	    !l->headw)
		goto nomem;
	reset_rows(t, l);
	if ((l->nrows = place_rows(t, l)) < 0)
		goto nomem;
	/* The whole trace shows every process, even one with no event. */
	whole = t->nev == 0 ||
	        (l->from <= t->ev[0].step && l->to >= t->ev[t->nev - 1].step);
	l->whole = whole;
	if (whole && l->nrows > LK__VIZ_FOLD_ROWS) {
		if (fold_runs(t, l) < 0)
			goto nomem;
		reset_rows(t, l);
		if ((l->nrows = place_rows(t, l)) < 0)
			goto nomem;
	}
	for (size_t p = 0; whole && p < t->nprocs; p++)
		if (l->head_row[p] < 0)
			l->head_row[p] = 0;
	l->stuck_row = -1;
	for (size_t p = 0; whole && p < t->nprocs; p++)
		if (t->procs[p].blocked >= 0 && l->last[p] >= 0 &&
		    t->ev[l->last[p]].blocked)
			l->stuck_row = l->nrows;
	if (l->stuck_row >= 0)
		l->nrows++;
	for (size_t i = 0; i < t->nev; i++) {
		if (l->row[i] < 0 || (int)i == l->head_ev[t->ev[i].proc])
			continue;
		if (l->label[i] == NULL &&
		    (l->label[i] = label_of(t, i)) == NULL)
			goto nomem;
		l->labelw[i] = lk__viz_text_width(l->label[i], LK__VIZ_FONT,
		                                  t->ev[i].print);
	}
	place_sides(t, l);
	if (place_columns(t, l) < 0)
		goto nomem;
	return 0;
nomem:
	lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", t->path);
	lk__viz_layout_free(l);
	return -1;
}

/* Free what lk__viz_layout allocated. */
void
lk__viz_layout_free(struct lk__viz_layout *l)
{
	for (size_t i = 0; l->label != NULL && i < l->nev; i++)
		free(l->label[i]);
	free(l->label);
	free(l->row);
	free(l->side);
	free(l->labelw);
	free(l->fold);
	free(l->head_ev);
	free(l->first);
	free(l->last);
	free(l->head_row);
	free(l->x);
	free(l->headw);
	memset(l, 0, sizeof(*l));
}
