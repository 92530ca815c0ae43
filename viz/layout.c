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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

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

/*
 * Set-up calls (sem_open, sem_close, sem_unlink, sem_init, sem_destroy)
 * are folded: they order nothing between processes and would only push
 * the interesting events down. A failed one is drawn, as it matters.
 */
static int
folded(const struct lk_tev *e)
{
	switch (lk__viz_op(e)) {
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

		if (t->tr->ev[s->ev[mid]].vc[t->tr->ev[s->ev[mid]].proc] <= c)
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
       const struct seen *seen, const int *eff, const int *after, size_t i)
{
	const struct lk_tev *e = &t->tr->ev[i];
	int prev = l->last[e->proc], row;
	long j;

	if (prev >= 0)
		row = l->row[prev] + 1;
	else
		row = lk__viz_op(e) == LK__VIZ_START ? 0
		                                     : 1; /* 0: a child's box */
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		if ((int)p == e->proc || e->vc[p] == 0)
			continue;
		j = seen_at(t, &seen[p], e->vc[p]);
		if (j >= 0 && eff[j] >= row)
			row = eff[j] + 1;
	}
	/* The second access of a race goes below the first: side by side,
	 * the two would read as one moment, or as an order in the picture
	 * that the run did not have (the race's mark joins them). */
	if (after[i] >= 0 && l->row[after[i]] >= row)
		row = l->row[after[i]] + 1;
	return row;
}

/* Give every drawn event its row; the number of rows, or -1 no memory. */
static int
place_rows(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	struct seen *seen = calloc(t->tr->nprocs + 1, sizeof(*seen));
	int *eff = malloc((t->tr->nevents + 1) * sizeof(*eff)), nrows = 1,
	    rc = -1;
	/* Per event: the first access of a race it is the second of (the
	 * latest such), or -1. */
	int *after = malloc((t->tr->nevents + 1) * sizeof(*after));

	if (seen == NULL || eff == NULL || after == NULL)
		goto out;
	for (size_t i = 0; i < t->tr->nevents; i++)
		after[i] = -1;
	for (size_t k = 0; k < l->nraces; k++)
		if ((int)l->races[k].a > after[l->races[k].b])
			after[l->races[k].b] = (int)l->races[k].a;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		const struct lk_tev *e = &t->tr->ev[i];
		struct seen *s = &seen[e->proc];

		/* eff: the row of i, or of the drawn event before it. */
		eff[i] = l->last[e->proc] >= 0 ? l->row[l->last[e->proc]] : -1;
		if (e->step >= l->from && e->step <= l->to && !folded(e) &&
		    l->fold[i] >= 0) {
			/* One step a row: in step order, which every
			 * happens-before order follows. */
			eff[i] = l->row[i] =
			        l->per_step ? nrows
			                    : row_of(t, l, seen, eff, after, i);
			if (l->last[e->proc] < 0) {
				l->first[e->proc] = (int)i;
				l->head_ev[e->proc] =
				        lk__viz_op(e) == LK__VIZ_START ? (int)i
				                                       : -1;
				l->head_row[e->proc] =
				        lk__viz_op(e) == LK__VIZ_START
				                ? l->row[i]
				                : 0;
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
	for (size_t p = 0; seen != NULL && p < t->tr->nprocs; p++)
		free(seen[p].ev);
	free(seen);
	free(eff);
	free(after);
	return rc;
}

/*
 * Lift each label off the arrows at its own mark: above it when an arrow
 * leaves it towards the side of the label (arrows run down), below it
 * when one comes in from that side.
 */
static void
place_sides(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	for (size_t i = 0; i <= t->tr->nevents; i++)
		l->side[i] = 0;
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *d = &t->edges[k];
		unsigned pa = t->tr->ev[d->from].proc,
		         pb = t->tr->ev[d->to].proc;
		double dx = l->x[pb] - l->x[pa];

		if (l->row[d->from] < 0 || l->row[d->to] < 0)
			continue;
		if (dx * l->lside[pa] > 0)
			l->side[d->from] = 1;
		if (-dx * l->lside[pb] > 0)
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

/*
 * Set the x of every drawn column and the width of the whole: each
 * column leaves room for its labels, on the side lside gives them, and
 * for the labels of its neighbour that face it.
 */
static int
place_columns(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	double prevx = 0, prevhalf = 0, prevright = 0, *lab;
	size_t *order;
	int any = 0;

	if ((lab = calloc(t->tr->nprocs + 1, sizeof(*lab))) == NULL)
		return -1;
	if ((order = lk__viz_lane_order(t->tr)) == NULL) {
		free(lab);
		return -1;
	}
	/* The room labels take: their width, and a stuck mark's gap. */
	for (size_t i = 0; i < t->tr->nevents; i++) {
		double w;

		if (l->row[i] < 0)
			continue;
		w = l->labelw[i] + lk__viz_label_gap(t, l, i) -
		    LK__VIZ_LABELGAP;
		if (w > lab[t->tr->ev[i].proc])
			lab[t->tr->ev[i].proc] = w;
	}
	for (size_t k = 0; k < t->tr->nprocs; k++) {
		size_t p = order[k];
		double half, left, right;

		l->headw[p] = lk__viz_text_width(lk_trace_proc_label(t->tr, p),
		                                 LK__VIZ_HEADFONT, 1) +
		              28;
		half = l->headw[p] / 2;
		l->x[p] = -1;
		l->leftw[p] = 0;
		if (l->head_row[p] < 0)
			continue;
		left = l->lside[p] < 0 ? LK__VIZ_LABELGAP + lab[p] : 0;
		right = l->lside[p] > 0 ? LK__VIZ_LABELGAP + lab[p] : 0;
		if (!any)
			l->x[p] = LK__VIZ_MARGIN + (half > left ? half : left);
		else
			l->x[p] = prevx +
			          max3(prevright + left + 48,
			               prevright + half + 20,
			               max3(prevhalf + half + 32, 150, 0));
		l->leftw[p] = left;
		prevx = l->x[p];
		prevhalf = half;
		prevright = right;
		any = 1;
	}
	l->width = prevx + max3(prevhalf, prevright, 0) + LK__VIZ_MARGIN;
	free(order);
	free(lab);
	return 0;
}

/* The process lane q is a thread of (following its creators), or q when
 * it is a process. */
static size_t
owner(const struct lk_trace *t, size_t q)
{
	for (size_t hops = 0;
	     hops < t->nprocs && t->procs[q].thread &&
	     t->procs[q].parent >= 0 && (size_t)t->procs[q].parent < t->nprocs;
	     hops++)
		q = (size_t)t->procs[q].parent;
	return q;
}

/* The lanes left to right: each process in the trace's order, its
 * threads right after it, in theirs (viz.h). */
size_t *
lk__viz_lane_order(const struct lk_trace *t)
{
	size_t *order = malloc((t->nprocs + 1) * sizeof(*order)), n = 0;

	if (order == NULL)
		return NULL;
	for (size_t p = 0; p < t->nprocs; p++) {
		if (t->procs[p].thread && owner(t, p) != p)
			continue;
		order[n++] = p;
		for (size_t q = 0; q < t->nprocs; q++)
			if (q != p && t->procs[q].thread && owner(t, q) == p)
				order[n++] = q;
	}
	return order;
}

/* From the centre of drawn event i's mark to its label: further for the
 * larger mark of a stuck call. */
double
lk__viz_label_gap(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
                  size_t i)
{
	unsigned p = t->tr->ev[i].proc;

	return LK__VIZ_LABELGAP + (l->stuck[p] && l->last[p] == (int)i ? 5 : 0);
}

/* The box of drawn event i's label: where its side puts it. */
static void
label_box(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
          size_t i, double *lo, double *hi, double *y)
{
	double x = l->x[t->tr->ev[i].proc], gap = lk__viz_label_gap(t, l, i);

	if (l->lside[t->tr->ev[i].proc] < 0) {
		*lo = x - gap - l->labelw[i];
		*hi = x - gap;
	} else {
		*lo = x + gap;
		*hi = x + gap + l->labelw[i];
	}
	*y = lk__viz_row_offset(l->row[i]) - l->side[i] * LK__VIZ_LIFT;
}

/* Whether the segment from (xa, ya) to (xb, yb) runs through the box
 * from x lo to hi, y - h to y + h (Liang-Barsky clipping). */
static int
crosses(double xa, double ya, double xb, double yb, double lo, double hi,
        double y, double h)
{
	double p[4] = {xa - xb, xb - xa, ya - yb, yb - ya};
	double q[4] = {xa - lo, hi - xa, ya - (y - h), (y + h) - ya};
	double t0 = 0, t1 = 1;

	for (int k = 0; k < 4; k++) {
		double r;

		if (p[k] == 0) {
			if (q[k] < 0)
				return 0;
			continue;
		}
		r = q[k] / p[k];
		if (p[k] < 0 && r > t0)
			t0 = r;
		else if (p[k] > 0 && r < t1)
			t1 = r;
	}
	return t0 < t1;
}

/*
 * How badly the arrows run through the labels of process p when they
 * are on side s: one for each label an arrow crosses, a half for the
 * label of an arrow's own end that has to move off it. own holds p's
 * drawn, labelled events, n of them, in order (so rows go down).
 */
static double
side_cost(const struct lk_viz_trace *t, struct lk__viz_layout *l, size_t p,
          int s, const size_t *own, size_t n)
{
	int keep = l->lside[p];
	double cost = 0;

	l->lside[p] = s;
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *d = &t->edges[k];
		unsigned pa = t->tr->ev[d->from].proc,
		         pb = t->tr->ev[d->to].proc;
		int ra = l->row[d->from], rb = l->row[d->to];
		double xa = l->x[pa], xb = l->x[pb];
		size_t lo = 0, hi = n;

		if (ra < 0 || rb < 0 ||
		    (pa != p && pb != p && (xa - l->x[p]) * (xb - l->x[p]) > 0))
			continue;
		/* The first of p's labels in the rows the arrow spans. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (l->row[own[mid]] < ra - 1)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && l->row[own[lo]] <= rb + 1; lo++) {
			size_t i = own[lo];
			double left, right, y;

			label_box(t, l, i, &left, &right, &y);
			if (crosses(xa, lk__viz_row_offset(ra), xb,
			            lk__viz_row_offset(rb), left, right, y, 7))
				cost += i == d->from || i == d->to ? 0.5 : 1;
		}
	}
	l->lside[p] = keep;
	return cost;
}

/* Whether p's labels are better at the left, on the columns as they
 * are: at least one arrow fewer through them there. */
static int
better_left(const struct lk_viz_trace *t, struct lk__viz_layout *l, size_t p,
            size_t *own)
{
	size_t n = 0;

	for (size_t i = 0; i < t->tr->nevents; i++)
		if ((size_t)t->tr->ev[i].proc == p && l->row[i] >= 0 &&
		    l->label[i] != NULL && (int)i != l->head_ev[p])
			own[n++] = i;
	return side_cost(t, l, p, -1, own, n) + 1 <=
	       side_cost(t, l, p, 1, own, n);
}

/*
 * Put each process's labels at the right of its lifeline, or at the left
 * when at least one arrow fewer runs through them there (a process whose
 * arrows all go to the right, say; a small gain is not worth a column
 * unlike its neighbours): judged on the columns with every label at the
 * right, then again on the columns that choice gives (labels moved left
 * widen the gap before them, and the arrows run elsewhere), keeping at
 * the left only those still better off there.
 */
static int
choose_sides(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	size_t *own = malloc((t->tr->nevents + 1) * sizeof(*own));
	int moved = 0, rc = -1;

	if (own == NULL)
		return -1;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		l->lside[p] = 1;
	if (place_columns(t, l) < 0)
		goto out;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		if (l->head_row[p] >= 0 && better_left(t, l, p, own)) {
			l->lside[p] = -1;
			moved = 1;
		}
	if (moved && place_columns(t, l) < 0)
		goto out;
	for (size_t p = 0; moved && p < t->tr->nprocs; p++)
		if (l->lside[p] < 0 && !better_left(t, l, p, own))
			l->lside[p] = 1;
	rc = moved ? place_columns(t, l) : 0;
out:
	free(own);
	return rc;
}

/* Whether drawn event i may fold: no arrow, no block, nothing said. */
static int
local(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
      const char *endpoint, size_t i)
{
	const struct lk_tev *e = &t->tr->ev[i];

	switch (lk__viz_op(e)) {
	case LK__VIZ_WRITE:
	case LK__VIZ_SLEEP:
	case LK__VIZ_SEM_GETVALUE:
	case LK__VIZ_READ:
	case LK__VIZ_CLOSE:
	case LK__VIZ_DUP2:
	case LK__VIZ_OPEN:
	case LK__VIZ_LOAD:
	case LK__VIZ_STORE:
	case LK__VIZ_OTHER:
		break;
	default:
		return 0; /* semaphores, fork, exit, signals, locks: the story
		           */
	}
	return !endpoint[i] && !e->blocked && !lk__viz_print(e) &&
	       !lk__viz_failed(e) && l->fold[i] == 0;
}

/* The label of a fold of n steps from rep on: "13 more steps: write". */
static char *
fold_label(const struct lk_viz_trace *t, const int *next, size_t rep, int n)
{
	char buf[160];
	int seen[3];
	size_t nseen = 0;

	snprintf(buf, sizeof(buf), "%d more %s:", n,
	         lk_plural((unsigned long long)n, "step", "steps"));
	for (int j = (int)rep, k = 0; j >= 0 && k < n; j = next[j], k++) {
		int op = t->tr->ev[j].op, dup = 0;

		for (size_t m = 0; m < nseen; m++)
			dup |= seen[m] == op;
		if (dup || nseen == 3)
			continue;
		seen[nseen++] = op;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s %s",
		         nseen > 1 ? "," : "", lk_trace_op_name(t->tr, op));
	}
	return strdup(buf);
}

/*
 * A tall diagram folds the middle of each long run of local steps (no
 * arrow, no block, no print) into one mark, keeping the run's first and
 * last step: the overview fits a slide, and a from/to window shows all.
 */
static int
fold_runs(const struct lk_viz_trace *t, struct lk__viz_layout *l, int minrun)
{
	char *endpoint = calloc(t->tr->nevents + 1, 1);
	int *next = malloc((t->tr->nevents + 1) * sizeof(int));
	int *lastp = malloc((t->tr->nprocs + 1) * sizeof(int)), rc = -1;

	if (endpoint == NULL || next == NULL || lastp == NULL)
		goto out;
	for (size_t k = 0; k < t->nedges; k++)
		endpoint[t->edges[k].from] = endpoint[t->edges[k].to] = 1;
	for (size_t k = 0; k < l->nraces; k++)
		endpoint[l->races[k].a] = endpoint[l->races[k].b] = 1;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		lastp[p] = -1;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		next[i] = -1;
		if (l->row[i] < 0)
			continue;
		if (lastp[t->tr->ev[i].proc] >= 0)
			next[lastp[t->tr->ev[i].proc]] = (int)i;
		lastp[t->tr->ev[i].proc] = (int)i;
	}
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		for (int i = l->first[p]; i >= 0;) {
			int start = i, last = i, len = 0;

			for (; i >= 0 && local(t, l, endpoint, (size_t)i);
			     i = next[i], len++)
				last = i;
			if (len == 0) {
				i = next[i];
				continue;
			}
			if (len < minrun)
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

/* The y of row r below row 0, in points: row 0 holds the boxes. */
double
lk__viz_row_offset(int r)
{
	return r > 0 ? 16 + r * LK__VIZ_ROW : 0;
}

/* Something drawn: left and right x, centre y and half its height. */
struct box {
	double l, r, y, h;
};

/* What the text on an arrow must not cover. */
struct taken {
	int nrows;
	int *first, *next;   /* per row: the drawn events in it, a list */
	int *hfirst, *hnext; /* per row: the processes whose box is in it */
	int *pfirst, *pnext; /* per row: the texts on arrows placed near it */
	struct box *placed;  /* the texts on arrows so far */
	size_t nplaced;
};

/* The row whose y is nearest above y (clamped to the rows there are). */
static int
row_near(const struct taken *tk, double y)
{
	int r = (int)((y - 16) / LK__VIZ_ROW);

	return r < 0 ? 0 : r >= tk->nrows ? tk->nrows - 1 : r;
}

/* How much of boxes a and b overlap: the area they share. */
static double
overlap(const struct box *a, const struct box *b)
{
	double l = a->l > b->l ? a->l : b->l, r = a->r < b->r ? a->r : b->r;
	double at = a->y - a->h > b->y - b->h ? a->y - a->h : b->y - b->h;
	double ab = a->y + a->h < b->y + b->h ? a->y + a->h : b->y + b->h;

	return r > l && ab > at ? (r - l) * (ab - at) : 0;
}

/* How much of event i's mark and label b covers. */
static double
cover_event(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
            const struct box *b, size_t i)
{
	double x = l->x[t->tr->ev[i].proc], y = lk__viz_row_offset(l->row[i]);
	struct box mark = {x - 8, x + 8, y, 8}, text;

	label_box(t, l, i, &text.l, &text.r, &text.y);
	text.l -= 2;
	text.r += 4;
	text.h = 11;

	/* A mark hidden is much worse than a label crossed. */
	return 100 * overlap(b, &mark) +
	       (l->label[i] != NULL ? overlap(b, &text) : 0);
}

/* How much b covers of the events of the rows around it, the process
 * boxes and the texts already on arrows. */
static double
cover(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
      const struct taken *tk, const struct box *b)
{
	/* What b can touch is less than a row's height from it. */
	int mid = row_near(tk, b->y);
	double sum = 0;

	for (int r = mid > 0 ? mid - 1 : 0; r <= mid + 2 && r < tk->nrows;
	     r++) {
		for (int i = tk->first[r]; i >= 0; i = tk->next[i])
			sum += cover_event(t, l, b, (size_t)i);
		for (int p = tk->hfirst[r]; p >= 0; p = tk->hnext[p]) {
			struct box head = {l->x[p] - l->headw[p] / 2,
			                   l->x[p] + l->headw[p] / 2,
			                   lk__viz_row_offset(r), 17};

			sum += 100 * overlap(b, &head);
		}
		for (int k = tk->pfirst[r]; k >= 0; k = tk->pnext[k])
			sum += 4 * overlap(b, &tk->placed[k]);
	}
	return sum;
}

/*
 * Where edge k's text goes: a point along its arrow, nearest the middle,
 * with the text centred on it, or beside it to the right or the left,
 * where it covers no mark, no label and no other arrow's text; or when
 * there is no such place, where it covers the least.
 */
static void
place_spot(const struct lk_viz_trace *t, struct lk__viz_layout *l,
           struct taken *tk, size_t k)
{
	static const double at[] = {0.5, 0.4, 0.6,  0.3, 0.7,
	                            0.2, 0.8, 0.15, 0.85};
	const struct lk_hb_edge *d = &t->edges[k];
	int ra = l->row[d->from], rb = l->row[d->to];
	double xa = l->x[t->tr->ev[d->from].proc],
	       xb = l->x[t->tr->ev[d->to].proc];
	double ya = lk__viz_row_offset(ra), yb = lk__viz_row_offset(rb);
	double w = lk__viz_text_width(l->elabel[k], LK__VIZ_EDGEFONT, 0) + 8;
	double shift[] = {0, w / 2 - 12, 12 - w / 2}, best = -1, c;
	struct box b = {0}, chosen = {0};

	for (size_t j = 0; j < 3 * sizeof(at) / sizeof(at[0]) && best != 0;
	     j++) {
		double f = at[j / 3], x = xa + f * (xb - xa) + shift[j % 3];
		double y = ya + f * (yb - ya);

		b = (struct box){x - w / 2, x + w / 2, y, 10};
		c = cover(t, l, tk, &b);
		if (best < 0 || c < best) {
			best = c;
			chosen = b;
			l->spot[k] = f;
			l->shift[k] = shift[j % 3];
		}
	}
	tk->placed[tk->nplaced] = chosen;
	tk->pnext[tk->nplaced] = tk->pfirst[row_near(tk, chosen.y)];
	tk->pfirst[row_near(tk, chosen.y)] = (int)tk->nplaced++;
}

/*
 * The texts on arrows: the bytes on a write -> read arrow that carried a
 * part of its write (when it carried all of them, the write's own label
 * shows them), "EOF" on a close -> end of file arrow; and their places.
 */
static int
label_arrows(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	struct taken tk = {0};
	int rc = -1;

	l->nedges = t->nedges;
	l->elabel = calloc(t->nedges + 1, sizeof(*l->elabel));
	l->spot = calloc(t->nedges + 1, sizeof(*l->spot));
	l->shift = calloc(t->nedges + 1, sizeof(*l->shift));
	tk.nrows = l->nrows > 0 ? l->nrows : 1;
	tk.first = malloc((size_t)tk.nrows * sizeof(int));
	tk.hfirst = malloc((size_t)tk.nrows * sizeof(int));
	tk.pfirst = malloc((size_t)tk.nrows * sizeof(int));
	tk.next = malloc((t->tr->nevents + 1) * sizeof(int));
	tk.hnext = malloc((t->tr->nprocs + 1) * sizeof(int));
	tk.pnext = malloc((t->nedges + 1) * sizeof(int));
	tk.placed = malloc((t->nedges + 1) * sizeof(*tk.placed));
	if (!l->elabel || !l->spot || !l->shift || !tk.first || !tk.hfirst ||
	    !tk.pfirst || !tk.next || !tk.hnext || !tk.pnext || !tk.placed)
		goto out;
	for (int r = 0; r < tk.nrows; r++)
		tk.first[r] = tk.hfirst[r] = tk.pfirst[r] = -1;
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		tk.hnext[p] = -1;
		if (l->head_row[p] >= 0 && l->head_row[p] < tk.nrows) {
			tk.hnext[p] = tk.hfirst[l->head_row[p]];
			tk.hfirst[l->head_row[p]] = (int)p;
		}
	}
	for (size_t i = t->tr->nevents; i-- > 0;) {
		tk.next[i] = -1;
		if (l->row[i] >= 0 && (int)i != l->head_ev[t->tr->ev[i].proc]) {
			tk.next[i] = tk.first[l->row[i]];
			tk.first[l->row[i]] = (int)i;
		}
	}
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *d = &t->edges[k];

		if (l->row[d->from] < 0 || l->row[d->to] < 0 ||
		    !(d->kind == LK_HB_CLOSE_EOF ||
		      (d->kind == LK_HB_WRITE_READ && d->part)))
			continue;
		if ((l->elabel[k] = lk__viz_edge_label(t, d)) == NULL)
			goto out;
		place_spot(t, l, &tk, k);
	}
	rc = 0;
out:
	free(tk.first);
	free(tk.hfirst);
	free(tk.pfirst);
	free(tk.next);
	free(tk.hnext);
	free(tk.pnext);
	free(tk.placed);
	return rc;
}

/*
 * The processes still blocked at the end of the run whose last, blocked
 * call is drawn (the whole trace, or a window that holds that step) end
 * in a "stuck" mark, in a row of its own below the rest.
 */
static void
place_stuck(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	l->stuck_row = -1;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		l->stuck[p] = 0;
	for (size_t i = 0; i < t->tr->nevents; i++)
		l->stuck[t->tr->ev[i].proc] =
		        (int)i == l->last[t->tr->ev[i].proc];
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		l->stuck[p] = l->stuck[p] && t->tr->procs[p].blocked_on != -1 &&
		              t->tr->ev[l->last[p]].blocked;
		if (l->stuck[p])
			l->stuck_row = l->nrows;
	}
	/* A cycle's wait-for arrows run down to the stuck ends: room for
	 * them to slope apart. */
	if (l->stuck_row >= 0 && t->tr->ncycle > 0)
		l->stuck_row += 2;
	if (l->stuck_row >= 0)
		l->nrows = l->stuck_row + 1;
}

/* Forget the rows, to place them again. */
static void
reset_rows(const struct lk_viz_trace *t, struct lk__viz_layout *l)
{
	for (size_t i = 0; i <= t->tr->nevents; i++)
		l->row[i] = -1;
	for (size_t p = 0; p <= t->tr->nprocs; p++)
		l->head_ev[p] = l->first[p] = l->last[p] = l->head_row[p] = -1;
}

/* Place the steps from..to of t, folding more when more_fold; 0, or -1
 * with err filled. */
int
lk__viz_layout(const struct lk_viz_trace *t, long from, long to, int per_step,
               int more_fold, struct lk__viz_layout *l, struct lk_err *err)
{
	size_t n = t->tr->nevents + 1, np = t->tr->nprocs + 1;
	int whole;

	memset(l, 0, sizeof(*l));
	l->nev = t->tr->nevents;
	l->per_step = per_step;
	l->from = from < 0 ? 0 : from;
	l->to = to <= 0 ? (t->tr->nevents ? t->tr->ev[t->tr->nevents - 1].step
	                                  : 0)
	                : to;
	l->row = malloc(n * sizeof(*l->row));
	l->label = calloc(n, sizeof(*l->label));
	l->side = calloc(n, sizeof(*l->side));
	l->lside = calloc(np, sizeof(*l->lside));
	l->leftw = calloc(np, sizeof(*l->leftw));
	l->stuck = calloc(np, 1);
	l->labelw = calloc(n, sizeof(*l->labelw));
	l->stepw = calloc(n, sizeof(*l->stepw));
	l->fold = calloc(n, sizeof(*l->fold));
	l->head_ev = malloc(np * sizeof(int));
	l->first = malloc(np * sizeof(int));
	l->last = malloc(np * sizeof(int));
	l->head_row = malloc(np * sizeof(int));
	l->x = calloc(np, sizeof(double));
	l->headw = calloc(np, sizeof(double));
	if (!l->row || !l->label || !l->side || !l->labelw || !l->stepw ||
	    !l->fold || !l->head_ev || !l->first || !l->last || !l->head_row ||
	    !l->x || !l->headw || !l->lside || !l->leftw || !l->stuck)
		goto nomem;
	/* The races run reports: drawn, and kept apart in rows. */
	switch (lk_race_find(t->tr, 1, &l->races, &l->nraces)) {
	case 0:
		break;
	case -EINTR:
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "%s: interrupted while finding its races", t->path);
		lk__viz_layout_free(l);
		return -1;
	default:
		goto nomem;
	}
	reset_rows(t, l);
	if ((l->nrows = place_rows(t, l)) < 0)
		goto nomem;
	/* The whole trace shows every process, even one with no event. */
	whole = t->tr->nevents == 0 ||
	        (l->from <= t->tr->ev[0].step &&
	         l->to >= t->tr->ev[t->tr->nevents - 1].step);
	l->whole = whole;
	/* more_fold (a slide): every run of LK__VIZ_FOLD_RUN_MORE local
	 * steps, in a window too, however few the rows. */
	if (!per_step &&
	    (more_fold || (whole && l->nrows > LK__VIZ_FOLD_ROWS))) {
		if (fold_runs(t, l,
		              more_fold ? LK__VIZ_FOLD_RUN_MORE
		                        : LK__VIZ_FOLD_RUN) < 0)
			goto nomem;
		reset_rows(t, l);
		if ((l->nrows = place_rows(t, l)) < 0)
			goto nomem;
	}
	for (size_t p = 0; whole && p < t->tr->nprocs; p++)
		if (l->head_row[p] < 0)
			l->head_row[p] = 0;
	place_stuck(t, l);
	for (size_t i = 0; i < t->tr->nevents; i++) {
		if (l->row[i] < 0 || (int)i == l->head_ev[t->tr->ev[i].proc])
			continue;
		if (l->label[i] == NULL &&
		    (l->label[i] = lk__viz_label(t, i)) == NULL)
			goto nomem;
		l->labelw[i] = lk__viz_text_width(l->label[i], LK__VIZ_FONT,
		                                  lk__viz_print(&t->tr->ev[i]));
		/* Its step number, as the terminal's step column says it,
		 * between the mark and the label (a fold has none). */
		if (l->fold[i] <= 0) {
			char num[24];

			snprintf(num, sizeof(num), "%ld",
			         (long)t->tr->ev[i].step);
			l->stepw[i] =
			        lk__viz_text_width(num, LK__VIZ_STEPFONT, 0) +
			        LK__VIZ_STEPGAP;
			l->labelw[i] += l->stepw[i];
		}
	}
	if (choose_sides(t, l) < 0)
		goto nomem;
	place_sides(t, l);
	if (label_arrows(t, l) < 0)
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
	free(l->lside);
	free(l->leftw);
	free(l->stuck);
	free(l->labelw);
	free(l->stepw);
	free(l->fold);
	free(l->head_ev);
	free(l->first);
	free(l->last);
	free(l->head_row);
	free(l->x);
	free(l->headw);
	for (size_t k = 0; l->elabel != NULL && k < l->nedges; k++)
		free(l->elabel[k]);
	free(l->elabel);
	free(l->spot);
	free(l->shift);
	free(l->races);
	memset(l, 0, sizeof(*l));
}
