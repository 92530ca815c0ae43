/*
 * Draw a trace's happens-before diagram with Graphviz: libcgraph builds
 * the graph, libgvc lays it out (nop2 keeps the positions layout.c
 * chose; dot places everything itself) and renders it.
 *
 * Every node and edge carries an SVG id and class so tests and slides can
 * find them: "proc:A" boxes, "lifeline:A", "ev:STEP" marks, "label:STEP",
 * "hb:K" arrows (class "hb" and the edge kind), "hb-label:K" the text on
 * an arrow, "blocked:STEP" spans.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gvc.h>
#include <gvplugin.h>

#include "viz.h"

/*
 * The plugins the program needs, registered by hand so it works without
 * Graphviz's plugin configuration file: core (svg, dot), dot_layout,
 * neato_layout (nop2) and pango (cairo: png, pdf, and text sizes
 * measured with real fonts). They are loaded on the first render, not at
 * start-up: pango brings cairo, glib, harfbuzz and X11 with it, some
 * forty libraries every other command would map for nothing.
 * LK_VIZ_PLUGIN_DIR is their directory, LK_VIZ_PLUGIN_SO the suffix of
 * the runtime package's names, ".so.6" (viz/CMakeLists.txt).
 */
static const char *const plugin_names[] = {"core", "dot_layout", "neato_layout",
                                           "pango"};
#define NPLUGINS (sizeof(plugin_names) / sizeof(plugin_names[0]))

/* The plugins' libraries, loaded; NULL (with why) when one is missing. */
static const lt_symlist_t *
plugins(char *why, size_t size)
{
	static lt_symlist_t list[NPLUGINS + 1];
	static char names[NPLUGINS][48];

	for (size_t i = 0; i < NPLUGINS && list[i].address == NULL; i++) {
		char path[4096];
		void *h;

		snprintf(names[i], sizeof(names[i]), "gvplugin_%s_LTX_library",
		         plugin_names[i]);
		snprintf(path, sizeof(path),
		         "%s/libgvplugin_%s" LK_VIZ_PLUGIN_SO,
		         LK_VIZ_PLUGIN_DIR, plugin_names[i]);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		list[i].name = names[i];
		list[i].address = h != NULL ? dlsym(h, names[i]) : NULL;
		if (list[i].address == NULL) {
			snprintf(why, size, "%s", dlerror());
			return NULL;
		}
	}
	return list;
}

/* Output formats by file name extension. */
static const struct {
	const char *ext, *format;
} formats[] = {
        {".svg", "svg"}, {".png", "png"}, {".pdf", "pdf"},
        {".dot", "dot"}, {".gv", "dot"},  {".html", "html"},
};

/*
 * How each kind of happens-before edge (enum lk_hb_kind, the trace
 * part's model) is drawn; its colour per theme is in the palettes below,
 * at the same index.
 */
const struct lk__viz_edge_kind lk__viz_edge_kinds[] = {
        [LK_HB_POST_WAIT] = {"post-wait", "#4477AA", "solid", "normal",
                             "post \xe2\x86\x92 wait: happens before"},
        [LK_HB_FORK_START] = {"fork-start", "#228833", "bold", "empty",
                              "fork \xe2\x86\x92 child starts"},
        [LK_HB_EXIT_WAIT] = {"exit-wait", "#AA3377", "dashed", "normal",
                             "exit \xe2\x86\x92 the wait that reaps it"},
        [LK_HB_WRITE_READ] = {"write-read", "#EE7733", "solid", "vee",
                              "write \xe2\x86\x92 the read that got its "
                              "bytes (a pipe: a double line)"},
        [LK_HB_CLOSE_EOF] = {"close-eof", "#EE7733", "dashed", "vee",
                             "last write end closed (or exited) "
                             "\xe2\x86\x92 read gets EOF"},
        [LK_HB_KILL_SIGNAL] = {"kill-signal", "#009988", "dotted", "veevee",
                               "kill \xe2\x86\x92 the signal's delivery "
                               "(not queued: two kills, one delivery)"},
        [LK_HB_UNLOCK_LOCK] = {"unlock-lock", "#999933", "solid", "box",
                               "unlock (or exit) \xe2\x86\x92 the lock "
                               "it let another process take"},
        [LK_HB_OPEN_OPEN] = {"open-open", "#EE7733", "dotted", "odot",
                             "open of a FIFO \xe2\x86\x92 the other "
                             "end's open it met"},
};
const size_t lk__viz_nedge_kinds =
        sizeof(lk__viz_edge_kinds) / sizeof(lk__viz_edge_kinds[0]);
_Static_assert(sizeof(lk__viz_edge_kinds) / sizeof(lk__viz_edge_kinds[0]) ==
                       LK_HB_NKINDS,
               "a way to draw every kind of edge");

/*
 * The colours of a theme. light and dark use Paul Tol's colour-blind-safe
 * "bright" palette; print is grey only, so every cue that colour gives is
 * also given by a shape or a dash (hollow marks, dashed spans and
 * outlines, arrow heads and styles).
 */
struct palette {
	const char *blue, *red, *green, *grey, *ink, *line, *redink;
	const char *paper, *box, *redbox, *faint;
	const char *labelbg; /* behind labels: the paper, nearly opaque */
	const char *race;    /* the mark joining a race's two accesses */
	const char *waitfor; /* a deadlock's wait-for arrows, all of them */
	const char *ghost;   /* frames: what has not happened yet */
	const char *now;     /* frames: the step the frame shows */
	const char *kind[LK_HB_NKINDS]; /* as in lk__viz_edge_kinds */
};

static const struct palette palettes[] = {
        [LK_VIZ_LIGHT] =
                {
                        .blue = "#4477AA",
                        .red = "#EE6677",
                        .green = "#228833",
                        .grey = "#BBBBBB",
                        .ink = "#222222",
                        .line = "#555555",
                        .redink = "#B2334A",
                        .paper = "white",
                        .box = "#EEF2F7",
                        .redbox = "#FCE4E8",
                        .faint = "#444444",
                        .labelbg = "#FFFFFFD8",
                        .race = "#CC3311",    /* Tol vibrant red */
                        .waitfor = "#882255", /* Tol muted wine */
                        .ghost = "#D8D8D8",
                        .now = "#EE3377", /* Tol vibrant magenta */
                        /* Tol bright; pipes Tol vibrant orange, signals
                         * Tol vibrant teal (bright has no dark enough
                         * fifth hue for a thin line on white), locks
                         * Tol muted olive. */
                        .kind = {"#4477AA", "#228833", "#AA3377", "#EE7733",
                                 "#EE7733", "#009988", "#999933", "#EE7733"},
                },
        [LK_VIZ_DARK] =
                {
                        .blue = "#66CCEE",
                        .red = "#EE6677",
                        .green = "#44BB66",
                        .grey = "#777777",
                        .ink = "#EEEEEE",
                        .line = "#AAAAAA",
                        .redink = "#FF8899",
                        .paper = "#1E1E1E",
                        .box = "#2E3440",
                        .redbox = "#4A2A30",
                        .faint = "#BBBBBB",
                        .labelbg = "#1E1E1ED8",
                        .race = "#FF7755",
                        .waitfor = "#DD88AA",
                        .ghost = "#4A4A4A",
                        .now = "#EE3377",
                        .kind = {"#66CCEE", "#44BB66", "#CC77AA", "#EE7733",
                                 "#EE7733", "#44BB99", "#DDCC77", "#EE7733"},
                },
        [LK_VIZ_PRINT] =
                {
                        .blue = "#333333",
                        .red = "#000000",
                        .green = "#333333",
                        .grey = "#AAAAAA",
                        .ink = "#000000",
                        .line = "#444444",
                        .redink = "#000000",
                        .paper = "white",
                        .box = "#F0F0F0",
                        .redbox = "#DDDDDD",
                        .faint = "#444444",
                        .labelbg = "#FFFFFFD8",
                        .race = "#000000",
                        .waitfor = "#333333",
                        .ghost = "#D8D8D8",
                        .now = "#000000",
                        .kind = {"#000000", "#555555", "#333333", "#000000",
                                 "#000000", "#444444", "#222222", "#000000"},
                },
};

/* The colours of the diagram being drawn (d, its struct draw). */
#define BLUE   (d->pal->blue)
#define RED    (d->pal->red)
#define GREEN  (d->pal->green)
#define GREY   (d->pal->grey)
#define INK    (d->pal->ink)
#define LINE   (d->pal->line)
#define REDINK (d->pal->redink) /* red darkened for text on the paper */

#define FONT     "Helvetica"
#define BOLDFONT "Helvetica-Bold"

/* What one render builds. */
struct draw {
	const struct lk_viz_trace *t;
	const struct lk_viz_opts *o;
	const struct palette *pal; /* the theme's colours */
	struct lk__viz_layout l;
	Agraph_t *g;
	Agnode_t **node;   /* per event: its mark (or its process box) */
	Agnode_t **head;   /* per process: its box, or NULL */
	Agnode_t **endbar; /* per process: its "stuck" bar, or NULL */
	unsigned waits;    /* wait-for arrows drawn */
	int under;         /* most lines of their words under one process */
	unsigned *kinds;   /* per edge kind: how many are drawn */
	unsigned folds;    /* fold marks drawn */
	unsigned blocks;   /* hollow marks of blocked calls drawn */
	unsigned prints;   /* prints drawn */
	unsigned failed;   /* diamonds of failed calls drawn */
	unsigned races;    /* races drawn */
	unsigned cuts;     /* arrows cut by the window: their stubs */
	int threads;       /* a thread lane is drawn */
	char others[96];   /* diamonds of other calls: their names */
	int shm_only;      /* those calls all set up shared memory */
	int pinned;        /* nop2: the positions are ours */
	double y0;         /* y of row 0, points downwards */
	int ended;         /* not a frame, or the frame of the trace's last
	                      step: the outcome is known */
	long lastdrawn;    /* the last step drawn */
	char glabel[2048]; /* unpinned: the title lines, as the graph label */
	char buf[4096];    /* scratch for escaped text */
};

/* What Graphviz reported during a render: its last message. */
static char gv_msg[512];

/* Keep Graphviz's messages instead of printing them. */
static int
gv_collect(char *s)
{
	size_t n = strlen(gv_msg);

	if (n > 0 && gv_msg[n - 1] == '\n')
		n = 0; /* a new message */
	snprintf(gv_msg + n, sizeof(gv_msg) - n, "%s", s);
	return 0;
}

/* Set attribute k of a graph, node or edge. */
static void
set(void *obj, const char *k, const char *v)
{
	agsafeset(obj, (char *)k, (char *)v, (char *)"");
}

/* Set attribute k to a printf-style value. */
static void __attribute__((format(printf, 3, 4)))
setf(void *obj, const char *k, const char *fmt, ...)
{
	char v[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	set(obj, k, v);
}

/* Text as a Graphviz label: backslashes doubled, then the suffix. */
static const char *
escape(struct draw *d, const char *s, const char *suffix)
{
	size_t n = 0;

	for (; *s && n + 8 < sizeof(d->buf); s++) {
		if (*s == '\\')
			d->buf[n++] = '\\';
		d->buf[n++] = *s;
	}
	snprintf(d->buf + n, sizeof(d->buf) - n, "%s", suffix);
	return d->buf;
}

/* Pin node n at x, y (points, y growing downwards) when pinned. */
static void
place(struct draw *d, Agnode_t *n, double x, double y)
{
	if (d->pinned)
		setf(n, "pos", "%.1f,%.1f!", x, -y);
}

/* The y of row r. */
static double
row_y(const struct draw *d, int r)
{
	return d->y0 + lk__viz_row_offset(r);
}

/* A new node called name with SVG id and class. */
static Agnode_t *
node(struct draw *d, const char *name, const char *id, const char *cls)
{
	Agnode_t *n = agnode(d->g, (char *)name, 1);

	set(n, "id", id);
	set(n, "class", cls);
	return n;
}

/* A new edge a -> b with SVG id and class. */
static Agedge_t *
edge(struct draw *d, Agnode_t *a, Agnode_t *b, const char *id, const char *cls)
{
	Agedge_t *e = agedge(d->g, a, b, (char *)id, 1);

	set(e, "id", id);
	set(e, "class", cls);
	return e;
}

/* Text whose left edge is at x, centred on y: a plaintext node. */
static Agnode_t *
text(struct draw *d, const char *id, const char *s, double x, double y,
     double pt, int bold)
{
	double w = lk__viz_text_width(s, pt, bold) + 4;
	Agnode_t *n = node(d, id, id, "text");

	set(n, "shape", "plaintext");
	set(n, "label", escape(d, s, "\\l"));
	setf(n, "fontsize", "%.0f", pt);
	set(n, "fontname", bold ? BOLDFONT : FONT);
	setf(n, "width", "%.3f", w / 72);
	setf(n, "height", "%.3f", (pt + 6) / 72);
	place(d, n, x + w / 2, y);
	return n;
}

/* Text whose right edge is at x, centred on y. */
static Agnode_t *
text_right(struct draw *d, const char *id, const char *s, double x, double y,
           double pt, int bold)
{
	double w = lk__viz_text_width(s, pt, bold) + 4;
	Agnode_t *n = text(d, id, s, x - w, y, pt, bold);

	set(n, "label", escape(d, s, "\\r"));
	return n;
}

/* A line of the title block: a node when pinned, else graph label. */
static void
title_line(struct draw *d, const char *id, const char *s, double x, double y,
           double pt, int bold, const char *color)
{
	size_t n = strlen(d->glabel);
	Agnode_t *t;

	if (!d->pinned) {
		snprintf(d->glabel + n, sizeof(d->glabel) - n, "%s",
		         escape(d, s, "\\l"));
		return;
	}
	t = text(d, id, s, x, y, pt, bold);
	set(t, "class", "title");
	if (color != NULL)
		set(t, "fontcolor", color);
}

/* The attributes of the whole graph and the defaults of its parts. */
static void
graph_attrs(struct draw *d, const struct lk_viz_opts *o, const char *fmt)
{
	agattr(d->g, AGRAPH, "bgcolor", (char *)d->pal->paper);
	agattr(d->g, AGRAPH, "pad", "0.3");
	agattr(d->g, AGRAPH, "splines", d->pinned ? "line" : "true");
	agattr(d->g, AGRAPH, "outputorder", "edgesfirst");
	agattr(d->g, AGRAPH, "fontname", FONT);
	if (strcmp(fmt, "png") == 0) {
		char dpi[32];

		snprintf(dpi, sizeof(dpi), "%u", o->dpi ? o->dpi : 150);
		agattr(d->g, AGRAPH, "dpi", dpi);
	}
	if (o->size != NULL) {
		/* Fit the drawing to the page, e.g. "16,9" for a slide. */
		char size[64];

		snprintf(size, sizeof(size), "%s!", o->size);
		agattr(d->g, AGRAPH, "size", size);
		agattr(d->g, AGRAPH, "ratio", "compress");
	}
	agattr(d->g, AGNODE, "shape", "circle");
	agattr(d->g, AGNODE, "label", "");
	agattr(d->g, AGNODE, "fixedsize", "true");
	agattr(d->g, AGNODE, "margin", "0");
	agattr(d->g, AGNODE, "fontname", FONT);
	agattr(d->g, AGNODE, "fontsize", "16");
	agattr(d->g, AGNODE, "fontcolor", (char *)INK);
	agattr(d->g, AGNODE, "color", (char *)INK);
	agattr(d->g, AGNODE, "penwidth", "1");
	agattr(d->g, AGNODE, "style", "");
	agattr(d->g, AGEDGE, "color", (char *)LINE);
	agattr(d->g, AGEDGE, "penwidth", "2.5");
	agattr(d->g, AGEDGE, "dir", "none");
	agattr(d->g, AGEDGE, "style", "solid");
}

/* The process that holds p back in the deadlock's cycle, or -1. */
static int
holder(const struct lk_viz_trace *t, size_t p)
{
	for (size_t i = 0; i + 1 < t->tr->ncycle; i++)
		if ((size_t)t->tr->cycle[i] == p)
			return t->tr->cycle[i + 1];
	return -1;
}

/* The last event of process p in the trace, or NULL. */
static const struct lk_tev *
final_event(const struct lk_viz_trace *t, size_t p)
{
	for (size_t i = t->tr->nevents; i-- > 0;)
		if ((size_t)t->tr->ev[i].proc == p)
			return &t->tr->ev[i];
	return NULL;
}

/*
 * What process p was still waiting for at the end, in one short line:
 * "main waits for wc to exit", "parent waits for data or end of file on
 * p", from the header's blocked map, the wait-for cycle (who could have
 * released it) and p's last call.
 */
static void
blocked_words(const struct lk_viz_trace *t, size_t p, char *buf, size_t size)
{
	const struct lk_tev *e = final_event(t, p);
	const char *obj = lk__viz_obj(t->tr, t->tr->procs[p].blocked_on);
	const char *me = lk_trace_proc_label(t->tr, p), *by = NULL;
	int h = holder(t, p), op = e != NULL ? lk__viz_op(e) : LK__VIZ_OTHER;

	if (h >= 0)
		by = lk_trace_proc_label(t->tr, h);
	if (strcmp(obj, "(a child)") == 0 || op == LK__VIZ_WAIT) {
		if (h >= 0 && t->tr->procs[h].parent == (int)p)
			snprintf(buf, size, "%s waits for %s to exit", me, by);
		else
			snprintf(buf, size, "%s waits for a child to exit", me);
	} else if (strcmp(obj, "(a signal)") == 0 || op == LK__VIZ_PAUSE) {
		snprintf(buf, size, "%s waits for a signal", me);
	} else if (op == LK__VIZ_READ) {
		snprintf(buf, size, "%s waits for data or end of file on %s",
		         me, obj);
	} else if (op == LK__VIZ_WRITE) {
		snprintf(buf, size, "%s waits for room in %s (it is full)", me,
		         obj);
	} else if (op == LK__VIZ_OPEN) {
		snprintf(buf, size, "%s waits for the other end of %s to open",
		         me, obj);
	} else if (op == LK__VIZ_LOCK && by != NULL) {
		snprintf(buf, size, "%s waits for %s to unlock %s", me, by,
		         obj);
	} else if (op == LK__VIZ_LOCK) {
		snprintf(buf, size, "%s waits for the lock on %s", me, obj);
	} else if (op == LK__VIZ_SEMOP) {
		snprintf(buf, size,
		         "%s waits for a change of %s that lets "
		         "its semop through",
		         me, obj);
	} else if (op == LK__VIZ_SEM_WAIT || op == LK__VIZ_SEM_TIMEDWAIT) {
		if (by != NULL)
			snprintf(buf, size, "%s waits for %s to post %s", me,
			         by, obj);
		else
			snprintf(buf, size, "%s waits for a post of %s", me,
			         obj);
	} else if (e != NULL && e->op == LK_OP_PTHREAD_JOIN &&
	           e->u.thread.lane >= 0 &&
	           (size_t)e->u.thread.lane < t->tr->nprocs) {
		snprintf(buf, size, "%s waits for %s to end", me,
		         lk_trace_proc_label(t->tr, (size_t)e->u.thread.lane));
	} else if (e != NULL && by != NULL &&
	           (e->op == LK_OP_MUTEX_LOCK ||
	            e->op == LK_OP_MUTEX_TIMEDLOCK)) {
		snprintf(buf, size, "%s waits for mutex %s, held by %s", me,
		         obj, by);
	} else {
		snprintf(buf, size, "%s waits for %s", me, obj);
	}
}

/* The start of the caption's first line: "deadlock: " or "stuck: ". */
static const char *
caption_lead(const struct lk_viz_trace *t)
{
	return strcmp(lk_verdict_name(t->tr->verdict), "deadlock") == 0
	               ? "deadlock: "
	               : "stuck: ";
}

/* The caption from what the terminal says (o->why), a line each, the
 * first after "deadlock: "; whether it named the cycle. */
static int
caption_why(struct draw *d, const char *why, double x, double *y)
{
	char line[1024], id[32];
	int n = 0, cycle = 0;

	for (const char *p = why; *p != '\0';) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%s%.*s",
		         n == 0 ? caption_lead(d->t) : "", (int)len, p);
		if (strncmp(p, "wait-for cycle:", 15) == 0) {
			snprintf(id, sizeof(id), "caption:cycle");
			cycle = 1;
		} else {
			snprintf(id, sizeof(id), "caption:%d", n);
		}
		n++;
		title_line(d, id, line, x, *y, 18, 0, NULL);
		*y += 26;
		p += len + (p[len] == '\n');
	}
	return cycle;
}

/* The caption lines under the title: why the run ended as it did. */
static void
caption(struct draw *d, double x, double *y)
{
	const struct lk_viz_trace *t = d->t;
	char line[512], id[32];
	int n = 0, cycle = 0;

	if (d->o->why != NULL && d->o->why[0] != '\0')
		cycle = caption_why(d, d->o->why, x, y);
	for (size_t p = 0; p < t->tr->nprocs && d->o->why == NULL; p++) {
		if (t->tr->procs[p].blocked_on == -1)
			continue;
		snprintf(line, sizeof(line), "%s",
		         n > 0 ? "" : caption_lead(t));
		blocked_words(t, p, line + strlen(line),
		              sizeof(line) - strlen(line));
		snprintf(id, sizeof(id), "caption:%d", n++);
		title_line(d, id, line, x, *y, 18, 0, NULL);
		*y += 26;
	}
	if (t->tr->ncycle > 0 && !cycle) {
		snprintf(line, sizeof(line), "wait-for cycle: ");
		for (size_t i = 0; i < t->tr->ncycle; i++)
			snprintf(line + strlen(line),
			         sizeof(line) - strlen(line), "%s%s",
			         i ? " \xe2\x86\x92 " : "",
			         lk_trace_proc_label(t->tr, t->tr->cycle[i]));
		title_line(d, "caption:cycle", line, x, *y, 18, 0, NULL);
		*y += 26;
	}
	if (t->tr->culprit >= 0) {
		snprintf(line, sizeof(line), "%s: %s",
		         lk_verdict_name(t->tr->verdict),
		         lk_trace_proc_label(t->tr, t->tr->culprit));
		title_line(d, "caption:culprit", line, x, *y, 18, 0, NULL);
		*y += 26;
	}
}

/* Title, outcome and caption at the top; sets y0 below them. */
static void
titles(struct draw *d, const struct lk_viz_opts *o)
{
	const struct lk_viz_trace *t = d->t;
	double x = LK__VIZ_MARGIN, y = 20;
	/* Given by the command that judged the run, or kept in the trace. */
	const char *failed = o->failed != NULL ? o->failed : t->tr->failed;
	char line[512];

	title_line(d, "title", o->title ? o->title : t->tr->scenario, x, y, 30,
	           1, NULL);
	y += 38;
	if (o->framed) {
		/* What the frame knows: how far the run has gone. */
		snprintf(line, sizeof(line), "step %ld of %ld", o->frame,
		         d->lastdrawn);
		if (d->pinned) {
			/* As wide in every frame: as the last frame's. */
			char widest[64];
			Agnode_t *n;

			snprintf(widest, sizeof(widest), "step %ld of %ld",
			         d->lastdrawn, d->lastdrawn);
			n = text(d, "frame", widest, x, y, 18, 1);
			set(n, "label", escape(d, line, "\\l"));
			set(n, "class", "title");
			set(n, "fontcolor", d->pal->now);
		} else {
			title_line(d, "frame", line, x, y, 18, 1, d->pal->now);
		}
		y += 28;
	}
	if (failed != NULL && t->tr->verdict == LK_V_DONE)
		snprintf(line, sizeof(line), "outcome: expectation failed: %s",
		         failed);
	else
		snprintf(line, sizeof(line), "outcome: %s",
		         lk_verdict_name(t->tr->verdict));
	/* The default strategy takes no seed: "seed 0" would mislead. */
	if (strcmp(lk__viz_strategy(t->tr), "default") == 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "    (strategy default)");
	else if (lk__viz_strategy(t->tr)[0] != '\0')
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		         "    (strategy %s, seed %lld)",
		         lk__viz_strategy(t->tr), (long long)t->tr->seed);
	title_line(d, "outcome", line, x, y, 18, 0,
	           strcmp(lk_verdict_name(t->tr->verdict), "done") != 0 ||
	                           failed != NULL
	                   ? REDINK
	                   : NULL);
	y += 28;
	if (!d->l.whole) {
		snprintf(line, sizeof(line), "steps %ld to %ld", d->l.from,
		         d->l.to);
		title_line(d, "window", line, x, y, 16, 0, NULL);
		y += 24;
	}
	caption(d, x, &y);
	d->y0 = y + 30;
	if (!d->pinned) {
		set(d->g, "label", d->glabel);
		set(d->g, "labelloc", "t");
		set(d->g, "labeljust", "l");
		set(d->g, "fontsize", "20");
	}
}

/* The process boxes at the top of the lifelines. */
static void
heads(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	char id[300];

	for (size_t p = 0; p < t->tr->nprocs; p++) {
		Agnode_t *n;
		/* In the cycle, or stuck at the end without one (a pipe
		 * no one else can close): red like its stuck mark. */
		int deadlocked = d->ended && (t->in_cycle[p] ||
		                              t->tr->procs[p].blocked_on != -1);

		if (d->l.head_row[p] < 0)
			continue;
		snprintf(id, sizeof(id), "proc:%s", t->tr->procs[p].name);
		n = node(d, id, id, deadlocked ? "proc deadlock" : "proc");
		d->head[p] = n;
		set(n, "shape", "box");
		set(n, "label", escape(d, lk_trace_proc_label(t->tr, p), ""));
		set(n, "fontname", BOLDFONT);
		set(n, "fontsize", "18");
		setf(n, "width", "%.3f", d->l.headw[p] / 72);
		set(n, "height", "0.47");
		set(n, "style",
		    deadlocked ? "rounded,filled,dashed" : "rounded,filled");
		set(n, "fillcolor", deadlocked ? d->pal->redbox : d->pal->box);
		set(n, "color", deadlocked ? RED : LINE);
		set(n, "penwidth", deadlocked ? "4" : "2");
		if (t->tr->procs[p].parent >= 0)
			setf(n, "tooltip", "%s, forked by %s",
			     lk_trace_proc_label(t->tr, p),
			     lk_trace_proc_label(t->tr,
			                         t->tr->procs[p].parent));
		else
			setf(n, "tooltip", "process %s",
			     lk_trace_proc_label(t->tr, p));
		place(d, n, d->l.x[p], row_y(d, d->l.head_row[p]));
		if (d->l.head_ev[p] >= 0)
			d->node[d->l.head_ev[p]] = n;
	}
}

/* The last blocked wait of a process stuck at the end of the run. */
static int
stuck(const struct draw *d, size_t i)
{
	const struct lk_tev *e = &d->t->tr->ev[i];

	return d->l.stuck[e->proc] && d->l.last[e->proc] == (int)i;
}

/* A fold of local steps: a gap in the lifeline with a vertical ellipsis. */
static void
fold_mark(const struct draw *d, Agnode_t *n)
{
	set(n, "shape", "box");
	set(n, "color", d->pal->paper);
	set(n, "fillcolor", d->pal->paper);
	set(n, "label", "\xe2\x8b\xae");
	set(n, "fontname", BOLDFONT);
	set(n, "fontsize", "22");
	set(n, "fontcolor", LINE);
	set(n, "width", "0.2");
	set(n, "height", "0.36");
}

/* Remember a diamond's call for the legend: its name when it is one of
 * the calls viz draws no arrow for, else that it failed. */
static void
note_diamond(struct draw *d, const struct lk_tev *e)
{
	const char *name = lk_trace_op_name(d->t->tr, e->op);
	size_t n = strlen(d->others), k = strlen(name);
	const char *p = d->others;

	if (lk__viz_op(e) != LK__VIZ_OTHER) {
		d->failed++;
		return;
	}
	if (n == 0)
		d->shm_only = 1;
	d->shm_only &= strncmp(name, "shm", 3) == 0 ||
	               strcmp(name, "mmap") == 0 || strcmp(name, "munmap") == 0;
	for (; (p = strstr(p, name)) != NULL; p += k)
		if ((p == d->others || p[-1] == ' ') &&
		    (p[k] == ',' || p[k] == '\0'))
			return; /* named already */
	if (n + k + 8 >= sizeof(d->others)) {
		if (n >= 3 && strcmp(d->others + n - 3, "\xe2\x80\xa6") != 0)
			snprintf(d->others + n, sizeof(d->others) - n,
			         ", \xe2\x80\xa6");
		return;
	}
	snprintf(d->others + n, sizeof(d->others) - n, "%s%s", n ? ", " : "",
	         name);
}

/* The look of event i's mark: shape, size and colours by what it did. */
static void
mark_style(struct draw *d, Agnode_t *n, size_t i)
{
	const struct lk_tev *e = &d->t->tr->ev[i];
	double size = LK__VIZ_MARK;

	set(n, "style", "filled");
	set(n, "fillcolor", INK);
	if (d->l.fold[i] > 0 && !d->pinned)
		set(n, "fillcolor", GREY);
	if (d->l.fold[i] > 0 && d->pinned) {
		fold_mark(d, n);
		return;
	}
	if (stuck(d, i) && !d->ended) {
		/* A frame before the end: a blocked call, not yet stuck. */
		set(n, "fillcolor", d->pal->paper);
		set(n, "penwidth", "2.5");
		size = 14;
	} else if (stuck(d, i)) {
		set(n, "style", "filled,dashed");
		set(n, "fillcolor", d->pal->paper);
		set(n, "color", RED);
		set(n, "penwidth", "3.5");
		size = 18;
	} else if (e->blocked) {
		set(n, "fillcolor", d->pal->paper);
		set(n, "penwidth", "2.5");
		size = 14;
		d->blocks++;
	} else if (lk__viz_op(e) == LK__VIZ_EXIT) {
		set(n, "shape", "square");
		size = 11;
	} else if (lk__viz_op(e) == LK__VIZ_SLEEP) {
		set(n, "fillcolor", GREY);
	} else if (lk__viz_op(e) == LK__VIZ_OTHER || lk__viz_failed(e)) {
		set(n, "shape", "diamond");
		set(n, "fillcolor", GREY);
		size = 14;
		note_diamond(d, e);
	}
	d->prints += lk__viz_print(e);
	setf(n, "width", "%.3f", size / 72);
	setf(n, "height", "%.3f", size / 72);
}

/* The marks of the drawn events and their labels. */
static void
events(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	char id[64], cls[128], num[24], words[1024];

	for (size_t i = 0; i < t->tr->nevents; i++) {
		const struct lk_tev *e = &t->tr->ev[i];
		double x = d->l.x[e->proc], y = row_y(d, d->l.row[i]), gap;
		Agnode_t *n;

		if (d->l.row[i] < 0 || d->node[i] != NULL)
			continue;
		snprintf(id, sizeof(id), "ev:%ld", (long)e->step);
		snprintf(cls, sizeof(cls), "event%s%s",
		         e->blocked ? " blocked" : "",
		         stuck(d, i) && d->ended ? " deadlock" : "");
		n = node(d, id, id, cls);
		d->node[i] = n;
		mark_style(d, n, i);
		d->folds += d->l.fold[i] > 0;
		setf(n, "tooltip", "step %ld: %s %s", (long)e->step,
		     t->tr->procs[e->proc].name,
		     lk_trace_op_name(t->tr, e->op));
		place(d, n, x, y);
		snprintf(num, sizeof(num), "%ld", (long)e->step);
		if (!d->pinned) {
			snprintf(words, sizeof(words), "%s%s%s",
			         d->l.stepw[i] > 0 ? num : "",
			         d->l.stepw[i] > 0 ? "  " : "", d->l.label[i]);
			set(n, "xlabel", escape(d, words, ""));
			continue;
		}
		y -= d->l.side[i] * LK__VIZ_LIFT;
		gap = lk__viz_label_gap(t, &d->l, i);
		/* The step number next to the mark, the label beyond it. */
		if (d->l.stepw[i] > 0) {
			snprintf(id, sizeof(id), "step:%ld", (long)e->step);
			if (d->l.lside[e->proc] < 0)
				n = text_right(d, id, num, x - gap, y,
				               LK__VIZ_STEPFONT, 0);
			else
				n = text(d, id, num, x + gap, y,
				         LK__VIZ_STEPFONT, 0);
			set(n, "class", "step");
			set(n, "fontcolor", d->pal->faint);
			gap += d->l.stepw[i];
		}
		snprintf(id, sizeof(id), "label:%ld", (long)e->step);
		if (d->l.lside[e->proc] < 0)
			n = text_right(d, id, d->l.label[i], x - gap, y,
			               LK__VIZ_FONT, lk__viz_print(e));
		else
			n = text(d, id, d->l.label[i], x + gap, y, LK__VIZ_FONT,
			         lk__viz_print(e));
		set(n, "class", "label");
		set(n, "style", "filled");
		set(n, "fillcolor", d->pal->labelbg);
		if (lk__viz_op(e) == LK__VIZ_OTHER ||
		    lk__viz_op(e) == LK__VIZ_SLEEP || d->l.fold[i] > 0)
			set(n, "fontcolor", d->pal->faint);
	}
}

/* An invisible point at x, y that a mask edge can end on. */
static Agnode_t *
anchor(struct draw *d, const char *name, double x, double y)
{
	Agnode_t *n = node(d, name, name, "anchor");

	set(n, "shape", "point");
	set(n, "style", "invis");
	set(n, "width", "0.01");
	place(d, n, x, y);
	return n;
}

/* A white mask on p's lifeline from the row of event a to row rb. */
static void
mask(struct draw *d, size_t a, int rb)
{
	const struct lk_tev *e = &d->t->tr->ev[a];
	double x = d->l.x[e->proc];
	char id[64], id2[64];
	Agedge_t *m;

	snprintf(id, sizeof(id), "mask:%ld:a", (long)e->step);
	snprintf(id2, sizeof(id2), "mask:%ld:b", (long)e->step);
	m = edge(d, anchor(d, id, x, row_y(d, d->l.row[a])),
	         anchor(d, id2, x, row_y(d, rb)), id, "mask");
	snprintf(id, sizeof(id), "mask:%ld", (long)e->step);
	set(m, "id", id);
	set(m, "color", d->pal->paper);
	set(m, "penwidth", "7");
}

/*
 * Pinned: white masks where the dashed spans of blocked waits will go,
 * so the dashes show on the lifeline. Graphviz draws edges in the order
 * of their tail nodes, so the masks' invisible anchors are made after
 * the process boxes (lifelines first) and before the marks (dashes
 * later); anchors, not the marks, so no span is bent as a parallel edge.
 */
static void
masks(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	int *prev = malloc((t->tr->nprocs + 1) * sizeof(int));

	if (prev == NULL || !d->pinned) {
		free(prev);
		return;
	}
	for (size_t p = 0; p < t->tr->nprocs; p++)
		prev[p] = -1;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		if (d->l.row[i] < 0)
			continue;
		if (prev[t->tr->ev[i].proc] >= 0 &&
		    t->tr->ev[prev[t->tr->ev[i].proc]].blocked)
			mask(d, (size_t)prev[t->tr->ev[i].proc], d->l.row[i]);
		prev[t->tr->ev[i].proc] = (int)i;
	}
	for (size_t p = 0; p < t->tr->nprocs; p++)
		if (prev[p] >= 0 && stuck(d, (size_t)prev[p]))
			mask(d, (size_t)prev[p], d->l.stuck_row);
	free(prev);
}

/* A dashed span of a lifeline where its process waited: a down to b. */
static void
blocked_span(struct draw *d, size_t a, Agnode_t *b, int stuck_end)
{
	const struct lk_tev *e = &d->t->tr->ev[a];
	char id[64];
	Agedge_t *m;

	snprintf(id, sizeof(id), "blocked:%ld", (long)e->step);
	m = edge(d, d->node[a], b, id,
	         stuck_end ? "blocked deadlock" : "blocked");
	set(m, "style", "dashed");
	set(m, "color", stuck_end ? RED : LINE);
	set(m, "penwidth", stuck_end ? "3.5" : "2.5");
	set(m, "weight", "10");
	setf(m, "tooltip", "%s blocked on %s", d->t->tr->procs[e->proc].name,
	     e->obj >= 0 ? lk__viz_obj(d->t->tr, e->obj) : "?");
}

/* Where p's lifeline ends when it has no event of its own to end on. */
static Agnode_t *
stub(struct draw *d, size_t p, int row, const char *what)
{
	char id[300];
	Agnode_t *n;

	snprintf(id, sizeof(id), "%s:%s", what, d->t->tr->procs[p].name);
	n = node(d, id, id, what);
	set(n, "shape", "box");
	set(n, "style", "filled");
	set(n, "width", "0.3");
	set(n, "height", "0.06");
	place(d, n, d->l.x[p], row_y(d, row));
	return n;
}

/* The end of a process stuck in the deadlock: a red bar, "stuck". */
static Agnode_t *
stuck_end(struct draw *d, size_t p)
{
	Agnode_t *n = stub(d, p, d->l.stuck_row, "stuck"), *t;
	char id[300];

	set(n, "color", RED);
	set(n, "fillcolor", RED);
	if (!d->pinned) {
		set(n, "xlabel", "stuck");
		return n;
	}
	snprintf(id, sizeof(id), "label:stuck:%s", d->t->tr->procs[p].name);
	t = text(d, id, "stuck", d->l.x[p] + 18, row_y(d, d->l.stuck_row),
	         LK__VIZ_FONT, 1);
	set(t, "fontcolor", REDINK);
	return n;
}

/* Pinned: one straight lifeline per process, box to last event. */
static void
lifelines(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	char id[300];

	for (size_t p = 0; p < t->tr->nprocs; p++) {
		int last = d->l.last[p];
		Agnode_t *end;
		Agedge_t *e;

		if (d->head[p] == NULL)
			continue;
		if (last < 0 || d->node[last] == d->head[p])
			end = stub(d, p, d->l.head_row[p] + 1, "end");
		else
			end = d->node[last];
		snprintf(id, sizeof(id), "lifeline:%s", t->tr->procs[p].name);
		e = edge(d, d->head[p], end, id, "lifeline");
		setf(e, "tooltip", "%s", lk_trace_proc_label(t->tr, p));
		if (!d->pinned)
			set(e, "style", "invis");
		if (last >= 0 && stuck(d, (size_t)last)) {
			d->endbar[p] = stuck_end(d, p);
			blocked_span(d, (size_t)last, d->endbar[p], 1);
		}
	}
}

/* The dashed spans after blocked attempts; unpinned, the whole chain. */
static void
spans(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	int *prev = malloc((t->tr->nprocs + 1) * sizeof(int));
	char id[64];

	if (prev == NULL)
		return;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		prev[p] = -1;
	for (size_t i = 0; i < t->tr->nevents; i++) {
		unsigned p = t->tr->ev[i].proc;
		Agnode_t *from;

		if (d->l.row[i] < 0)
			continue;
		if (prev[p] >= 0 && t->tr->ev[prev[p]].blocked) {
			blocked_span(d, (size_t)prev[p], d->node[i], 0);
		} else if (!d->pinned && d->node[i] != d->head[p]) {
			/* dot: the lifeline is a chain of segments. */
			from = prev[p] >= 0 ? d->node[prev[p]] : d->head[p];
			snprintf(id, sizeof(id), "seg:%ld",
			         (long)t->tr->ev[i].step);
			set(edge(d, from, d->node[i], id, "lifeline-seg"),
			    "weight", "10");
		}
		prev[p] = (int)i;
	}
	free(prev);
}

/*
 * The look of an arrow of kind k: its colour, dash and head. A pipe's
 * arrow is a double line, a tube, besides its colour: two lines of the
 * colour with a gap between them.
 */
static void
arrow_look(const struct draw *d, Agedge_t *e, unsigned k)
{
	const struct lk__viz_edge_kind *kind = &lk__viz_edge_kinds[k];
	const char *color = d->pal->kind[k < LK_HB_NKINDS ? k : 0];

	set(e, "dir", "forward");
	set(e, "style", kind->style);
	set(e, "arrowhead", kind->head);
	if (k == LK_HB_WRITE_READ || k == LK_HB_CLOSE_EOF) {
		setf(e, "color", "%s:invis:%s", color, color);
		set(e, "penwidth", "1.8");
	} else {
		set(e, "color", color);
		set(e, "penwidth", "2.5");
	}
}

/*
 * The text on arrow k, if it has one (layout.c chose it and its place):
 * pinned, a text on the paper over the line (so it covers the line there
 * and nothing else); unpinned, the edge's own label.
 */
static void
arrow_label(struct draw *d, Agedge_t *e, size_t k)
{
	const struct lk_hb_edge *h = &d->t->edges[k];
	const char *label = d->l.elabel[k];
	double xa = d->l.x[d->t->tr->ev[h->from].proc], ya, w, f = d->l.spot[k];
	double xb = d->l.x[d->t->tr->ev[h->to].proc], yb;
	char id[64];
	Agnode_t *n;

	if (label == NULL)
		return;
	if (!d->pinned) {
		set(e, "label", escape(d, label, ""));
		set(e, "fontname", FONT);
		set(e, "fontsize", "13");
		set(e, "fontcolor", d->pal->faint);
		return;
	}
	ya = row_y(d, d->l.row[h->from]);
	yb = row_y(d, d->l.row[h->to]);
	w = lk__viz_text_width(label, LK__VIZ_EDGEFONT, 0) + 4;
	snprintf(id, sizeof(id), "hb-label:%zu", k);
	n = text(d, id, label, xa + f * (xb - xa) + d->l.shift[k] - w / 2,
	         ya + f * (yb - ya), LK__VIZ_EDGEFONT, 0);
	set(n, "class", "hb-label");
	set(n, "style", "filled");
	set(n, "fillcolor", d->pal->labelbg);
	set(n, "fontcolor", d->pal->faint);
}

/*
 * Arrow k with one end outside the window (--from/--to): a short stub
 * from (or to) the end that is drawn, leaning towards the other end's
 * lifeline, and the other end's step at the stub's tip: "→ step 19" on
 * an arrow that leaves the window, "step 4 →" on one that enters it. An
 * end that is inside the window but folded away cuts nothing.
 */
static void
cut_arrow(struct draw *d, size_t k)
{
	const struct lk_hb_edge *h = &d->t->edges[k];
	int out = d->l.row[h->from] >= 0; /* the tail is drawn */
	size_t i = out ? h->from : h->to;
	const struct lk_tev *in = &d->t->tr->ev[i],
	                    *far = &d->t->tr->ev[out ? h->to : h->from];
	double x, y, dx;
	char id[64], cls[96], words[64];
	Agnode_t *tip;
	Agedge_t *e;

	if (!d->pinned || d->l.row[i] < 0 || d->node[i] == NULL ||
	    ((long)far->step >= d->l.from && (long)far->step <= d->l.to))
		return;
	x = d->l.x[in->proc];
	dx = d->l.x[far->proc] >= x ? 56 : -56;
	y = row_y(d, d->l.row[i]) + (out ? 18 : -18);
	snprintf(id, sizeof(id), "cut:%zu:tip", k);
	tip = anchor(d, id, x + dx, y);
	snprintf(id, sizeof(id), "cut:%zu", k);
	snprintf(cls, sizeof(cls), "hb-cut %s",
	         lk__viz_edge_kinds[h->kind].name);
	e = out ? edge(d, d->node[i], tip, id, cls)
	        : edge(d, tip, d->node[i], id, cls);
	arrow_look(d, e, h->kind);
	if (out)
		set(e, "arrowhead", "none");
	setf(e, "tooltip", "%s step %ld \xe2\x86\x92 %s step %ld",
	     d->t->tr->procs[d->t->tr->ev[h->from].proc].name,
	     (long)d->t->tr->ev[h->from].step,
	     d->t->tr->procs[d->t->tr->ev[h->to].proc].name,
	     (long)d->t->tr->ev[h->to].step);
	snprintf(words, sizeof(words),
	         out ? "\xe2\x86\x92 step %ld" : "step %ld \xe2\x86\x92",
	         (long)far->step);
	snprintf(id, sizeof(id), "cut:%zu:text", k);
	if (dx > 0)
		set(text(d, id, words, x + dx + 3, y, LK__VIZ_EDGEFONT, 0),
		    "fontcolor", d->pal->faint);
	else
		set(text_right(d, id, words, x + dx - 3, y, LK__VIZ_EDGEFONT,
		               0),
		    "fontcolor", d->pal->faint);
	d->kinds[h->kind]++;
	d->cuts++;
}

/* The happens-before arrows between processes. */
static void
arrows(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	char id[64], cls[96];

	for (size_t p = 0; p < t->tr->nprocs; p++)
		d->threads |= t->tr->procs[p].thread && d->l.head_row[p] >= 0;
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *h = &t->edges[k];
		const struct lk_tev *a = &t->tr->ev[h->from],
		                    *b = &t->tr->ev[h->to];
		Agedge_t *e;

		if (d->l.row[h->from] < 0 || d->l.row[h->to] < 0) {
			if (d->l.row[h->from] >= 0 || d->l.row[h->to] >= 0)
				cut_arrow(d, k);
			continue;
		}
		d->kinds[h->kind]++;
		snprintf(id, sizeof(id), "hb:%zu", k);
		snprintf(cls, sizeof(cls), "hb %s",
		         lk__viz_edge_kinds[h->kind].name);
		e = edge(d, d->node[h->from], d->node[h->to], id, cls);
		arrow_look(d, e, h->kind);
		set(e, "arrowsize", "1.3");
		setf(e, "tooltip", "%s step %ld \xe2\x86\x92 %s step %ld",
		     t->tr->procs[a->proc].name, (long)a->step,
		     t->tr->procs[b->proc].name, (long)b->step);
		arrow_label(d, e, k);
	}
}

/* The look of a race's mark: a thick dashed line without a head (no
 * order), in its own red, never pulling the layout. */
static void
race_look(const struct draw *d, Agedge_t *e)
{
	set(e, "dir", "none");
	set(e, "style", "dashed");
	set(e, "color", d->pal->race);
	set(e, "penwidth", "4");
	set(e, "constraint", "false");
}

/*
 * The races run reports (layout.c found them with the trace part's one
 * detector, lk_race_find): the two accesses of each joined by a race's
 * mark, "race on a" on it, when both are drawn.
 */
static void
races(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	char id[64], words[LK_NAME_MAX + 16];

	for (size_t k = 0; k < d->l.nraces; k++) {
		const struct lk_race *r = &d->l.races[k];
		const struct lk_tev *a = &t->tr->ev[r->a],
		                    *b = &t->tr->ev[r->b];
		double xa = d->l.x[a->proc], xb = d->l.x[b->proc], w;
		double ya, yb, slope;
		Agedge_t *e;
		Agnode_t *n;

		if (d->l.row[r->a] < 0 || d->l.row[r->b] < 0)
			continue;
		d->races++;
		snprintf(id, sizeof(id), "race:%zu", k);
		e = edge(d, d->node[r->a], d->node[r->b], id, "race");
		race_look(d, e);
		snprintf(words, sizeof(words), "race on %s",
		         lk__viz_obj(t->tr, r->obj));
		setf(e, "tooltip", "%s: %s step %ld and %s step %ld", words,
		     t->tr->procs[a->proc].name, (long)a->step,
		     t->tr->procs[b->proc].name, (long)b->step);
		if (!d->pinned) {
			set(e, "label", escape(d, words, ""));
			set(e, "fontname", BOLDFONT);
			set(e, "fontcolor", d->pal->race);
			continue;
		}
		/* The words beside the middle of the mark, on the paper,
		 * clear of the dashes: above a flat mark (as high as the
		 * line climbs under half the words), right of a steep one. */
		ya = row_y(d, d->l.row[r->a]);
		yb = row_y(d, d->l.row[r->b]);
		w = lk__viz_text_width(words, LK__VIZ_EDGEFONT, 1) + 4;
		slope = xb != xa ? fabs((yb - ya) / (xb - xa)) : 1e9;
		snprintf(id, sizeof(id), "race-label:%zu", k);
		if (slope <= 1)
			n = text(d, id, words, (xa + xb) / 2 - w / 2,
			         (ya + yb) / 2 - 9 - w / 2 * slope,
			         LK__VIZ_EDGEFONT, 1);
		else
			n = text(d, id, words, (xa + xb) / 2 + 6 + 9 / slope,
			         (ya + yb) / 2, LK__VIZ_EDGEFONT, 1);
		set(n, "class", "race-label");
		set(n, "style", "filled");
		set(n, "fillcolor", d->pal->labelbg);
		set(n, "fontcolor", d->pal->race);
	}
}

/* The look of a wait-for arrow: dashed, in the one colour of them all,
 * never pulling the layout. */
static void
waitfor_look(const struct draw *d, Agedge_t *e)
{
	set(e, "dir", "forward");
	set(e, "style", "dashed");
	set(e, "color", d->pal->waitfor);
	set(e, "penwidth", "3");
	set(e, "arrowhead", "normal");
	set(e, "arrowsize", "1.3");
	set(e, "constraint", "false");
}

/* What q does that p waits for, on p's wait-for arrow to q: "posts s",
 * "holds p's write end", "holds mutex m", "exits". */
static void
waitfor_words(const struct lk_viz_trace *t, size_t p, char *buf, size_t size)
{
	int o = t->tr->procs[p].blocked_on;
	const struct lk_tev *e = final_event(t, p);
	const char *obj = lk__viz_obj(t->tr, o);
	/* Its last call, the one it is stuck in (a trace file does not
	 * keep pending_op). */
	int op = e != NULL ? lk__viz_op(e) : LK__VIZ_OTHER;

	if (o >= 0 && (size_t)o < t->tr->nobjs && lk_trace_is_pipe(t->tr, o)) {
		if (op == LK__VIZ_OPEN)
			snprintf(buf, size, "may open %s", obj);
		else
			snprintf(buf, size, "holds %s's %s end", obj,
			         op == LK__VIZ_WRITE ? "read" : "write");
	} else if (o >= 0 && (size_t)o < t->tr->nobjs &&
	           t->tr->objs[o].type == LK_OT_MUTEX) {
		snprintf(buf, size, "holds mutex %s", obj);
	} else if (op == LK__VIZ_LOCK) {
		snprintf(buf, size, "holds a lock on %s", obj);
	} else if (strcmp(obj, "(a child)") == 0) {
		snprintf(buf, size, "exits");
	} else if (o < 0) {
		snprintf(buf, size, "ends");
	} else {
		snprintf(buf, size, "posts %s", obj);
	}
}

/*
 * A deadlock's wait-for arrows, one colour for all: from each stuck call
 * to every process that could let it go on (the analysis's wait-for
 * graph, o->waitfor, as the caption says it; without it the header's
 * cycle), to that one's "stuck" bar, or its last mark when it has none;
 * what it waits for on the arrow ("posts fork1", "holds p's write end").
 */
static void
waitfor(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	size_t n = t->tr->nprocs < LK_MAX_PROCS ? t->tr->nprocs : LK_MAX_PROCS;
	char id[128], words[LK_NAME_MAX + 40];
	int under[LK_MAX_PROCS] = {0}; /* per process: words under it */

	for (size_t p = 0; p < n; p++) {
		lk_procset who = 0;
		int last = d->l.last[p];

		if (d->o->waitfor != NULL)
			who = d->o->waitfor[p];
		if (who == 0) /* not known: the header's cycle */
			for (size_t i = 0; i + 1 < t->tr->ncycle; i++)
				if ((size_t)t->tr->cycle[i] == p)
					who |= 1ull << t->tr->cycle[i + 1];
		if (who == 0 || last < 0 || !stuck(d, (size_t)last))
			continue;
		waitfor_words(t, p, words, sizeof(words));
		for (size_t q = 0; q < n; q++) {
			Agnode_t *to = d->endbar[q];
			char line[LK_NAME_MAX * 2 + 48];
			double xb, yb, w;
			Agedge_t *e;
			Agnode_t *l;

			if (!(who & (1ull << q)) || q == p ||
			    t->tr->procs[q].exited)
				continue;
			if (to == NULL && d->l.last[q] >= 0)
				to = d->node[d->l.last[q]];
			if (to == NULL)
				continue;
			/* Pinned, onto the stuck span just above the bar,
			 * clear of the "stuck" beside it. */
			if (d->endbar[q] != NULL && d->pinned) {
				snprintf(id, sizeof(id), "waitfor-head:%s:%s",
				         t->tr->procs[p].name,
				         t->tr->procs[q].name);
				to = anchor(d, id, d->l.x[q],
				            row_y(d, d->l.stuck_row) - 14);
			}
			d->waits++;
			snprintf(id, sizeof(id), "waitfor:%s:%s",
			         t->tr->procs[p].name, t->tr->procs[q].name);
			e = edge(d, d->node[last], to, id, "waitfor");
			waitfor_look(d, e);
			setf(e, "tooltip", "%s waits: %s %s",
			     lk_trace_proc_label(t->tr, p),
			     lk_trace_proc_label(t->tr, q), words);
			if (!d->pinned) {
				set(e, "label", escape(d, words, ""));
				set(e, "fontname", BOLDFONT);
				set(e, "fontcolor", d->pal->waitfor);
				continue;
			}
			/* The words under the bar (or mark) the arrow ends
			 * on, one line for each arrow that ends there: what
			 * that process does that p waits for. */
			xb = d->l.x[q];
			yb = row_y(d, d->endbar[q] != NULL
			                      ? d->l.stuck_row
			                      : d->l.row[d->l.last[q]]);
			snprintf(line, sizeof(line), "%s %s",
			         lk_trace_proc_label(t->tr, q), words);
			w = lk__viz_text_width(line, LK__VIZ_EDGEFONT, 1) + 4;
			snprintf(id, sizeof(id), "waitfor-label:%s:%s",
			         t->tr->procs[p].name, t->tr->procs[q].name);
			l = text(d, id, line, xb - w / 2,
			         yb + 24 + 20 * under[q], LK__VIZ_EDGEFONT, 1);
			if (++under[q] > d->under)
				d->under = under[q];
			set(l, "class", "waitfor-label");
			set(l, "style", "filled");
			set(l, "fillcolor", d->pal->labelbg);
			set(l, "fontcolor", d->pal->waitfor);
		}
	}
}

/* One row of the legend: a sample drawn by the caller, then words. */
static void
legend_words(struct draw *d, const char *id, const char *words, double y)
{
	text(d, id, words, LK__VIZ_MARGIN + 90, y, 14, 0);
}

/* Two legend marks at y, from x to x + 60, named by id. */
static void
legend_pair(struct draw *d, const char *id, double y, Agnode_t **a,
            Agnode_t **b)
{
	char name[64];

	snprintf(name, sizeof(name), "%s:a", id);
	*a = node(d, name, name, "legend");
	snprintf(name, sizeof(name), "%s:b", id);
	*b = node(d, name, name, "legend");
	set(*a, "style", "filled");
	set(*b, "style", "filled");
	set(*a, "fillcolor", INK);
	set(*b, "fillcolor", INK);
	set(*a, "width", "0.16");
	set(*a, "height", "0.16");
	set(*b, "width", "0.16");
	set(*b, "height", "0.16");
	place(d, *a, LK__VIZ_MARGIN + 6, y);
	place(d, *b, LK__VIZ_MARGIN + 70, y);
}

/* The legend's sample of an arrow of kind k at y: two marks and the
 * arrow between them, "EOF" on an end of file's. */
static void
legend_arrow(struct draw *d, unsigned k, double y)
{
	const char *name = lk__viz_edge_kinds[k].name;
	Agnode_t *a, *b, *n;
	char id[64];

	snprintf(id, sizeof(id), "legend:%s", name);
	legend_pair(d, id, y, &a, &b);
	arrow_look(d, edge(d, a, b, id, "legend"), k);
	if (k == LK_HB_CLOSE_EOF) {
		snprintf(id, sizeof(id), "legend:label:%s", name);
		n = text(d, id, "EOF", LK__VIZ_MARGIN + 24, y - 11,
		         LK__VIZ_EDGEFONT, 0);
		set(n, "class", "legend");
		set(n, "fontcolor", d->pal->faint);
	}
	snprintf(id, sizeof(id), "legend:text:%s", name);
	/* Threads drawn: their create and join arrows are these kinds. */
	if (d->threads && k == LK_HB_FORK_START)
		legend_words(d, id,
		             "fork \xe2\x86\x92 child starts; pthread_create "
		             "\xe2\x86\x92 thread starts",
		             y);
	else if (d->threads && k == LK_HB_EXIT_WAIT)
		legend_words(d, id,
		             "exit \xe2\x86\x92 the wait that reaps it; a "
		             "thread's exit \xe2\x86\x92 its join",
		             y);
	else
		legend_words(d, id, lk__viz_edge_kinds[k].legend, y);
}

/* The legend's row for the stuck ends of a deadlock, at y. */
static void
legend_stuck(struct draw *d, double y)
{
	int deadlock =
	        strcmp(lk_verdict_name(d->t->tr->verdict), "deadlock") == 0;
	Agnode_t *a, *b;
	Agedge_t *e;
	char words[160];

	legend_pair(d, "legend:stuck", y, &a, &b);
	set(a, "fillcolor", d->pal->paper);
	set(a, "color", RED);
	set(a, "style", "filled,dashed");
	set(a, "penwidth", "3");
	set(b, "shape", "box");
	set(b, "color", RED);
	set(b, "fillcolor", RED);
	set(b, "height", "0.06");
	set(b, "width", "0.3");
	e = edge(d, a, b, "legend:stuck", "legend");
	set(e, "style", "dashed");
	set(e, "color", RED);
	/* Print has no red: its cue is the thick dashes. */
	snprintf(words, sizeof(words), "%s: %s",
	         d->pal == &palettes[LK_VIZ_PRINT] ? "thick dashes"
	                                           : "red, dashed",
	         deadlock ? "stuck in the deadlock (box, last call, end)"
	                  : "still blocked at the end");
	legend_words(d, "legend:text:stuck", words, y);
}

/*
 * The legend at the bottom: what the arrows, marks and dashes drawn
 * mean, each only when the diagram has one.
 */
static void
legend(struct draw *d)
{
	double y = row_y(d, d->l.nrows - 1) + 64 + 20 * d->under;
	Agnode_t *a, *b;
	Agedge_t *e;
	char words[200];
	int nprocs = 0;

	for (size_t k = 0; k < lk__viz_nedge_kinds; k++) {
		if (d->kinds[k] == 0)
			continue;
		legend_arrow(d, (unsigned)k, y);
		y += 30;
	}
	if (d->races > 0) {
		legend_pair(d, "legend:race", y, &a, &b);
		race_look(d, edge(d, a, b, "legend:race", "legend"));
		legend_words(d, "legend:text:race",
		             "race: two accesses, one a write, that no arrow "
		             "orders (as run reports it)",
		             y);
		y += 30;
	}
	if (d->blocks > 0) {
		legend_pair(d, "legend:blocked", y, &a, &b);
		set(a, "fillcolor", d->pal->paper);
		set(a, "penwidth", "2.5");
		e = edge(d, a, b, "legend:blocked", "legend");
		set(e, "style", "dashed");
		legend_words(d, "legend:text:blocked",
		             "a call blocks (hollow): dashed until it returns",
		             y);
		y += 30;
	}
	if (d->l.stuck_row >= 0) {
		legend_stuck(d, y);
		y += 30;
	}
	if (d->waits > 0) {
		legend_pair(d, "legend:waitfor", y, &a, &b);
		waitfor_look(d, edge(d, a, b, "legend:waitfor", "legend"));
		legend_words(d, "legend:text:waitfor",
		             "wait-for: a stuck call \xe2\x86\x92 who could "
		             "let it go on (posts it, holds it)",
		             y);
		y += 30;
	}
	if (d->prints > 0) {
		a = text(d, "legend:print", "\"A1\"", LK__VIZ_MARGIN, y, 16, 1);
		set(a, "class", "legend");
		legend_words(d, "legend:text:print", "print: the text it wrote",
		             y);
		y += 30;
	}
	if (d->others[0] != '\0' || d->failed > 0) {
		a = node(d, "legend:other", "legend:other", "legend");
		set(a, "shape", "diamond");
		set(a, "style", "filled");
		set(a, "fillcolor", GREY);
		set(a, "width", "0.2");
		set(a, "height", "0.2");
		place(d, a, LK__VIZ_MARGIN + 6, y);
		snprintf(words, sizeof(words), "%s%s%s", d->others,
		         d->others[0] == '\0' ? ""
		         : d->shm_only ? ": shared-memory set-up (no arrows)"
		                       : ": calls drawn without arrows",
		         d->failed == 0 ? ""
		         : d->others[0] ? "; or a call that returned an error"
		                        : "a call that returned an error");
		legend_words(d, "legend:text:other", words, y);
		y += 30;
	}
	if (d->folds > 0) {
		a = node(d, "legend:fold", "legend:fold", "legend");
		fold_mark(d, a);
		place(d, a, LK__VIZ_MARGIN + 6, y);
		legend_words(d, "legend:text:fold",
		             "steps folded to fit (a window of steps shows "
		             "them all)",
		             y);
		y += 30;
	}
	if (d->o->framed) {
		legend_pair(d, "legend:frame", y, &a, &b);
		set(a, "color", d->pal->now);
		set(a, "penwidth", "4");
		set(b, "color", d->pal->ghost);
		set(b, "fillcolor", d->pal->ghost);
		legend_words(d, "legend:text:frame",
		             "this step (bold ring); grey: still to come", y);
		y += 30;
	}
	if (d->cuts > 0) {
		legend_words(d, "legend:text:cut",
		             "\xe2\x86\x92 step 19: an arrow to (or from) a "
		             "step outside the steps drawn",
		             y);
		y += 30;
	}
	for (size_t p = 0; p < d->t->tr->nprocs; p++)
		nprocs += d->l.head_row[p] >= 0;
	if (nprocs > 1)
		legend_words(d, "legend:text:order",
		             d->l.per_step
		                     ? "a row a step, in the order this run "
		                       "took them; only arrows order processes"
		                     : "events of different processes are "
		                       "ordered only by arrows, not by height",
		             y);
}

/* --time-axis: the virtual time at the left of each row where it moved
 * (the first event drawn in a row gives the row its time). */
static void
time_axis(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	long long shown = -1;
	char id[64], label[64];
	double x = 1e9;

	/* Left of the leftmost column and its labels. */
	for (size_t p = 0; p < t->tr->nprocs; p++)
		if (d->l.head_row[p] >= 0) {
			double half = d->l.headw[p] / 2, left = d->l.leftw[p];

			if (d->l.x[p] - (left > half ? left : half) < x)
				x = d->l.x[p] - (left > half ? left : half);
		}
	x -= 90;

	for (int r = 1; r < d->l.nrows; r++) {
		long long vt = -1;

		for (size_t i = 0; i < t->tr->nevents && vt < 0; i++)
			if (d->l.row[i] == r)
				vt = t->tr->ev[i].vt;
		if (vt < 0 || vt == shown)
			continue;
		shown = vt;
		snprintf(id, sizeof(id), "time:%d", r);
		snprintf(label, sizeof(label), "t = %g s", (double)vt / 1e9);
		set(text(d, id, label, x, row_y(d, r), 14, 0), "fontcolor",
		    d->pal->faint);
	}
}

/* Whether event i happens after the step the frame shows. */
static int
later(const struct draw *d, size_t i)
{
	return d->o->framed && d->t->tr->ev[i].step > d->o->frame;
}

/* Hide node or edge obj, keeping its place (the canvas stays). */
static void
veil(void *obj)
{
	if (obj != NULL)
		set(obj, "style", "invis");
}

/* The node called name, or NULL. */
static Agnode_t *
named(struct draw *d, const char *fmt, long v)
{
	char name[64];

	snprintf(name, sizeof(name), fmt, v);
	return agnode(d->g, name, 0);
}

/* Grey text node n (a label, a step number), if there is one. */
static void
ghost_text(struct draw *d, Agnode_t *n)
{
	if (n != NULL)
		set(n, "fontcolor", d->pal->ghost);
}

/* The step the frame shows: its mark (or box) ringed, its words bold. */
static void
highlight(struct draw *d, size_t i)
{
	long step = d->t->tr->ev[i].step;
	Agnode_t *n;

	set(d->node[i], "color", d->pal->now);
	set(d->node[i], "penwidth", "4");
	if ((n = named(d, "label:%ld", step)) != NULL) {
		set(n, "fontcolor", d->pal->now);
		set(n, "fontname", BOLDFONT);
	}
	if ((n = named(d, "step:%ld", step)) != NULL)
		set(n, "fontcolor", d->pal->now);
}

/* An event still to come: its mark or box and its words grey. */
static void
ghost_event(struct draw *d, size_t i)
{
	const struct lk_tev *e = &d->t->tr->ev[i];
	Agnode_t *n = d->node[i];

	set(n, "color", d->pal->ghost);
	set(n, "fontcolor", d->pal->ghost);
	if (n == d->head[e->proc])
		set(n, "fillcolor", d->pal->paper);
	else if (d->l.fold[i] <= 0 && !e->blocked)
		set(n, "fillcolor", d->pal->ghost);
	ghost_text(d, named(d, "label:%ld", e->step));
	ghost_text(d, named(d, "step:%ld", e->step));
}

/* Whether the id of obj starts with one of the words in list. */
static int
id_in(void *obj, const char *const *list)
{
	const char *id = agget(obj, (char *)"id");

	for (; id != NULL && *list != NULL; list++)
		if (strncmp(id, *list, strlen(*list)) == 0)
			return 1;
	return 0;
}

/* Before the end: hide what only the end knows (the outcome, the
 * caption, the stuck ends, the wait-for arrows and their legend). */
static void
veil_outcome(struct draw *d)
{
	static const char *const ends[] = {"outcome",
	                                   "caption",
	                                   "stuck:",
	                                   "label:stuck:",
	                                   "waitfor",
	                                   "legend:stuck",
	                                   "legend:text:stuck",
	                                   "legend:waitfor",
	                                   "legend:text:waitfor",
	                                   NULL};

	for (Agnode_t *n = agfstnode(d->g); n != NULL; n = agnxtnode(d->g, n)) {
		if (id_in(n, ends))
			veil(n);
		for (Agedge_t *e = agfstout(d->g, n); e != NULL;
		     e = agnxtout(d->g, e)) {
			const char *cls = agget(e, (char *)"class");

			if (id_in(e, ends) ||
			    (cls != NULL &&
			     strcmp(cls, "blocked deadlock") == 0))
				veil(e);
		}
	}
}

/*
 * A frame: the final picture (the same nodes at the same places, so
 * every frame has the same canvas), restyled to what has happened by
 * step o->frame: later events grey, arrows and races shown only when
 * both their ends have happened, the current step highlighted.
 */
static void
frame_look(struct draw *d)
{
	const struct lk_viz_trace *t = d->t;
	int *prev = malloc((t->tr->nprocs + 1) * sizeof(int));
	char name[64];

	for (size_t i = 0; i < t->tr->nevents; i++) {
		if (d->node[i] == NULL || d->l.row[i] < 0)
			continue;
		if (later(d, i))
			ghost_event(d, i);
		else if (t->tr->ev[i].step == d->o->frame)
			highlight(d, i);
	}
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *h = &t->edges[k];

		if (d->l.row[h->from] < 0 || d->l.row[h->to] < 0 ||
		    (!later(d, h->from) && !later(d, h->to)))
			continue;
		snprintf(name, sizeof(name), "hb:%zu", k);
		veil(agedge(d->g, d->node[h->from], d->node[h->to], name, 0));
		veil(named(d, "hb-label:%ld", (long)k));
	}
	for (size_t k = 0; k < d->l.nraces; k++) {
		const struct lk_race *r = &d->l.races[k];

		if (d->l.row[r->a] < 0 || d->l.row[r->b] < 0 ||
		    (!later(d, r->a) && !later(d, r->b)))
			continue;
		snprintf(name, sizeof(name), "race:%zu", k);
		veil(agedge(d->g, d->node[r->a], d->node[r->b], name, 0));
		veil(named(d, "race-label:%ld", (long)k));
	}
	/* A blocked call's dashed span, grey until its retry happened. */
	for (size_t p = 0; prev != NULL && p < t->tr->nprocs; p++)
		prev[p] = -1;
	for (size_t i = 0; prev != NULL && i < t->tr->nevents; i++) {
		unsigned p = t->tr->ev[i].proc;
		Agedge_t *e;

		if (d->l.row[i] < 0)
			continue;
		if (prev[p] >= 0 && t->tr->ev[prev[p]].blocked && later(d, i)) {
			snprintf(name, sizeof(name), "blocked:%ld",
			         (long)t->tr->ev[prev[p]].step);
			e = agedge(d->g, d->node[prev[p]], d->node[i], name, 0);
			if (e != NULL)
				set(e, "color", d->pal->ghost);
		}
		prev[p] = (int)i;
	}
	free(prev);
	/* A process not started yet: its lifeline grey too. */
	for (size_t p = 0; p < t->tr->nprocs; p++) {
		if (d->head[p] == NULL || d->l.head_ev[p] < 0 ||
		    !later(d, (size_t)d->l.head_ev[p]))
			continue;
		for (Agedge_t *e = agfstout(d->g, d->head[p]); e != NULL;
		     e = agnxtout(d->g, e)) {
			const char *cls = agget(e, (char *)"class");

			if (cls != NULL && strcmp(cls, "lifeline") == 0)
				set(e, "color", d->pal->ghost);
		}
	}
	if (!d->ended)
		veil_outcome(d);
}

/* Build the whole graph into d->g. */
static void
build(struct draw *d, const struct lk_viz_opts *o)
{
	titles(d, o);
	heads(d);
	masks(d);
	events(d);
	lifelines(d);
	spans(d);
	arrows(d);
	races(d);
	waitfor(d);
	if (d->pinned && o->time_axis)
		time_axis(d);
	if (d->pinned) {
		legend(d);
		if (o->framed)
			frame_look(d);
	} else {
		Agraph_t *top = agsubg(d->g, (char *)"heads", 1);

		set(top, "rank", "min");
		for (size_t p = 0; p < d->t->tr->nprocs; p++)
			if (d->head[p] != NULL && d->t->tr->procs[p].parent < 0)
				agsubnode(top, d->head[p], 1);
	}
}

/* The Graphviz format for path's extension, or NULL (see viz.h). */
const char *
lk_viz_format(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		size_t m = strlen(formats[i].ext);

		if (n > m && strcasecmp(path + n - m, formats[i].ext) == 0)
			return formats[i].format;
	}
	return NULL;
}

/* Whether gvc can render format; else fill err with those it can. */
static int
format_ok(GVC_t *gvc, const char *format, const char *path, struct lk_err *err)
{
	int n = 0, ok = 0;
	char **list = gvPluginList(gvc, "device", &n, NULL);
	char avail[256] = "";

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		int here = 0;

		for (size_t j = 0; j < i; j++)
			here |= strcmp(formats[j].format, formats[i].format) ==
			        0;
		if (here)
			continue; /* .gv is .dot again */
		/* html: the svg device's drawing in a page (html.c). */
		for (int k = 0; k < n && list != NULL; k++)
			here |= strcmp(list[k],
			               strcmp(formats[i].format, "html") == 0
			                       ? "svg"
			                       : formats[i].format) == 0;
		if (!here)
			continue;
		ok |= format != NULL && strcmp(format, formats[i].format) == 0;
		snprintf(avail + strlen(avail), sizeof(avail) - strlen(avail),
		         "%s%s", avail[0] ? ", " : "", formats[i].ext + 1);
	}
	for (int k = 0; k < n && list != NULL; k++)
		free(list[k]);
	free(list);
	if (!ok)
		lk_err_set(err, LK_EXIT_USAGE,
		           "cannot render %s: formats available here: %s", path,
		           avail[0] ? avail : "none");
	return ok;
}

/* Whether the layout has more events than a diagram can hold. */
static int
too_many(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
         struct lk_err *err)
{
	size_t n = 0;

	for (size_t i = 0; i < t->tr->nevents; i++)
		n += l->row[i] >= 0;
	if (n <= LK_VIZ_MAX_DRAWN)
		return 0;
	lk_err_set(err, LK_EXIT_USAGE,
	           "%s: %zu events to draw, more than %d: draw a window of "
	           "steps",
	           t->path, n, LK_VIZ_MAX_DRAWN);
	return 1;
}

/*
 * The Graphviz context, made once and kept for the life of the process:
 * Graphviz 2.42's pango plugin remembers the last font name by pointer,
 * and gvFreeContext frees that name, so the next render in the same
 * process would read freed memory (AddressSanitizer shows it). Each
 * render still frees its layout and graph.
 */
static GVC_t *
context(char *why, size_t size)
{
	static GVC_t *gvc;
	const lt_symlist_t *list;

	snprintf(why, size, "gvContextPlugins failed");
	if (gvc == NULL && (list = plugins(why, size)) != NULL)
		gvc = gvContextPlugins(list, 0);
	return gvc;
}

/* Free what a render allocated, Graphviz's parts in the order it needs. */
static void
draw_free(struct draw *d, GVC_t *gvc, int laid_out)
{
	if (laid_out)
		gvFreeLayout(gvc, d->g);
	if (d->g != NULL)
		agclose(d->g);
	lk__viz_layout_free(&d->l);
	free(d->node);
	free(d->head);
	free(d->endbar);
	free(d->kinds);
}

/* Report what Graphviz said when step failed; returns -1. */
static int
gv_fail(struct lk_err *err, const char *step, const char *path)
{
	size_t n = strlen(gv_msg);

	while (n > 0 && (gv_msg[n - 1] == '\n' || gv_msg[n - 1] == ' '))
		gv_msg[--n] = '\0';
	lk_err_set(err, LK_EXIT_INTERNAL, "cannot %s %s: graphviz: %s", step,
	           path, n ? gv_msg : "failed");
	return -1;
}

/* Write the n bytes of data to path; 0, or -1 with err filled. */
static int
write_file(const char *path, const char *data, size_t n, struct lk_err *err)
{
	FILE *f = fopen(path, "wb");

	/* A file we cannot open is bad usage; one that fails while
	 * written (a full disk) is a result lost: exit 70. */
	if (f == NULL) {
		lk_err_set(err, LK_EXIT_USAGE, "cannot write %s: %s", path,
		           strerror(errno));
		return -1;
	}
	if (fwrite(data, 1, n, f) != n || fflush(f) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "cannot write %s: %s", path,
		           strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "cannot write %s: %s", path,
		           strerror(errno));
		return -1;
	}
	return 0;
}

/* Cairo's largest bitmap, in pixels either way. */
#define CAIRO_MAX 32767

/*
 * Whether the PNG of d->g (laid out) would be larger than a cairo bitmap
 * can be: Graphviz would then shrink it to fit ("graph is too large for
 * cairo-renderer bitmaps. Scaling by 0.05 to fit", on stderr, and
 * success), a picture nobody can read. Refused instead (exit 2, err
 * filled, nothing written), naming what fits. The size as Graphviz
 * reckons it: the bounding box, scaled down (or up, "W,H!") to --size,
 * its pad, at the dpi.
 */
static int
too_large(struct draw *d, const char *path, struct lk_err *err)
{
	boxf box = GD_bb(d->g);
	double w = box.UR.x - box.LL.x, h = box.UR.y - box.LL.y, z = 1;
	double sw, sh, dpi = d->o->dpi ? d->o->dpi : 150, pad = 0.3 * 72;

	if (d->o->slide_w > 0)
		return 0; /* a slide's own dpi and pad: its size */
	if (d->o->size != NULL && w > 0 && h > 0 &&
	    sscanf(d->o->size, "%lf,%lf", &sw, &sh) == 2)
		z = sw * 72 / w < sh * 72 / h ? sw * 72 / w : sh * 72 / h;
	if ((w * z + 2 * pad) * dpi / 72 <= CAIRO_MAX &&
	    (h * z + 2 * pad) * dpi / 72 <= CAIRO_MAX)
		return 0;
	lk_err_set(err, LK_EXIT_USAGE,
	           "cannot render %s: at %.0f dpi it would be %.0fx%.0f "
	           "pixels, more than a bitmap can be (%d): graphviz would "
	           "shrink it to illegible; draw a window of steps with "
	           "--from N --to M, fit it with --slide 16:9, lower --dpi, "
	           "or write .svg or .pdf",
	           path, dpi, (w * z + 2 * pad) * dpi / 72,
	           (h * z + 2 * pad) * dpi / 72, CAIRO_MAX);
	return 1;
}

/*
 * Lay out and render d->g with gvc; 0, or -1 with err filled. Rendered
 * in memory (gvRenderData) and written here: gvRenderFilename reports
 * a file it cannot open only on stderr, and still returns 0.
 */
static int
layout_render(struct draw *d, GVC_t *gvc, const char *engine,
              const char *format, const char *path, struct lk_err *err,
              int *laid_out, struct lk__viz_bytes *keep)
{
	char *data = NULL;
	unsigned len = 0;
	int rc;

	gv_msg[0] = '\0';
	if (gvLayout(gvc, d->g, engine) != 0)
		return gv_fail(err, "lay out", path);
	*laid_out = 1;
	gv_msg[0] = '\0';
	if (strcmp(format, "png") == 0 && too_large(d, path, err))
		return -1;
	if (gvRenderData(gvc, d->g, format, &data, &len) != 0 || data == NULL) {
		gvFreeRenderData(data);
		return gv_fail(err, "render", path);
	}
	if (keep != NULL) {
		/* Kept in memory: a page of a PDF of frames. */
		rc = 0;
		if ((keep->data = malloc(len + 1)) == NULL)
			rc = -1,
			lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		else
			memcpy(keep->data, data, len), keep->len = len;
	} else {
		rc = write_file(path, data, len, err);
	}
	gvFreeRenderData(data);
	return rc;
}

/*
 * The interactive page: d drawn as SVG (the same drawing as -o x.svg),
 * in memory, then wrapped by html.c with the trace's events; written to
 * path, or kept in keep's bytes. 0, or -1 with err filled.
 */
static int
page(struct draw *d, GVC_t *gvc, const char *engine,
     const struct lk_viz_opts *o, const char *path, struct lk_err *err,
     int *laid_out, struct lk__viz_bytes *keep)
{
	struct lk__viz_bytes svg = {0}, html = {0};
	const char *title = o->title;
	int rc;

	if (title == NULL)
		title = d->t->tr->scenario != NULL ? d->t->tr->scenario : "";
	graph_attrs(d, o, "svg");
	build(d, o);
	if (layout_render(d, gvc, engine, "svg", path, err, laid_out, &svg) !=
	    0)
		return -1;
	rc = lk__viz_html(d->t, &d->l, title, svg.data, svg.len, &html);
	free(svg.data);
	if (rc != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "cannot make the page %s: out of memory", path);
		return -1;
	}
	if (keep != NULL) {
		*keep = html;
		return 0;
	}
	rc = write_file(path, html.data, html.len, err);
	free(html.data);
	return rc;
}

/* The frames of a stepping sequence: the steps drawn (see viz.h). */
long
lk_viz_frames(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
              long **steps, struct lk_err *err)
{
	static const struct lk_viz_opts defaults = {0};
	struct lk__viz_layout l = {0};
	long n = 0;

	o = o ? o : &defaults;
	*steps = NULL;
	if (lk__viz_layout(t, o->from, o->to, o->row_per_step, 0, &l, err) < 0)
		return -1;
	if ((*steps = malloc((t->tr->nevents + 1) * sizeof(**steps))) == NULL) {
		lk__viz_layout_free(&l);
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->tr->nevents; i++)
		if (l.row[i] >= 0 &&
		    (n == 0 || (*steps)[n - 1] != (long)t->tr->ev[i].step))
			(*steps)[n++] = (long)t->tr->ev[i].step;
	lk__viz_layout_free(&l);
	return n;
}

/* Set up d (its palette set) to draw t with o, folding more when more:
 * the layout, the arrays, the graph; 0, or -1 with err filled. */
static int
prepare(struct draw *d, const struct lk_viz_trace *t,
        const struct lk_viz_opts *o, const char *engine, int more,
        struct lk_err *err)
{
	if (lk__viz_layout(t, o->from, o->to, o->row_per_step, more, &d->l,
	                   err) < 0 ||
	    too_many(t, &d->l, err))
		return -1;
	d->t = t;
	d->pinned = strcmp(engine, "nop2") == 0;
	d->ended = !o->framed || o->frame >= lk_viz_last_step(t);
	for (size_t i = 0; i < t->tr->nevents; i++)
		if (d->l.row[i] >= 0)
			d->lastdrawn = (long)t->tr->ev[i].step;
	d->node = calloc(t->tr->nevents + 1, sizeof(*d->node));
	d->head = calloc(t->tr->nprocs + 1, sizeof(*d->head));
	d->endbar = calloc(t->tr->nprocs + 1, sizeof(*d->endbar));
	d->o = o;
	d->kinds = calloc(lk__viz_nedge_kinds, sizeof(*d->kinds));
	d->g = agopen((char *)"lockstep", Agdirected, NULL);
	if (!d->node || !d->head || !d->endbar || !d->kinds || !d->g) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		return -1;
	}
	return 0;
}

/* Whether o asks the drawing to fit a slide or a page. */
static int
fitted(const struct lk_viz_opts *o)
{
	return o->slide_w > 0 || o->size != NULL;
}

/* Room around a slide's drawing, in points of the drawing. */
#define SLIDE_PAD 18.0

/*
 * What o fits the drawing into: the room (*cw by *ch: pixels of a
 * slide, points of a --size page), the least scale (room per point of
 * the drawing) that keeps the smallest text legible, and the pad the
 * drawing has around it, in points.
 */
static void
target(const struct lk_viz_opts *o, double *cw, double *ch, double *least,
       double *pad)
{
	double w = 16, h = 9;

	if (o->slide_w > 0) {
		*cw = o->slide_w;
		*ch = o->slide_h;
		*least = LK_VIZ_SLIDE_MINPX / LK__VIZ_MINFONT;
		*pad = SLIDE_PAD;
		return;
	}
	if (o->size != NULL)
		sscanf(o->size, "%lf,%lf", &w, &h);
	*cw = w * 72;
	*ch = h * 72;
	*least = LK_VIZ_SIZE_MINPT / LK__VIZ_MINFONT;
	*pad = 0.3 * 72; /* graph_attrs's */
}

/*
 * Lay out the drawing of t with o (no size, no slide), folding more when
 * more, to measure it: its bounding box (bb: llx, lly, urx, ury, points,
 * as Graphviz has it, not translated) and its rows; 0, or -1 with err.
 */
static int
measure(const struct lk_viz_trace *t, const struct lk_viz_opts *o, GVC_t *gvc,
        const char *engine, int more, double *bb, int *nrows,
        struct lk_err *err)
{
	struct draw *d = calloc(1, sizeof(*d));
	struct lk_viz_opts plain = *o;
	int laid_out = 0, rc = -1;
	boxf box;

	if (d == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		return -1;
	}
	plain.size = NULL;
	plain.slide_w = plain.slide_h = 0;
	d->pal = &palettes[o->theme];
	if (prepare(d, t, &plain, engine, more, err) != 0)
		goto out;
	graph_attrs(d, &plain, "svg");
	agattr(d->g, AGRAPH, "notranslate", "true");
	build(d, &plain);
	gv_msg[0] = '\0';
	if (gvLayout(gvc, d->g, engine) != 0) {
		gv_fail(err, "lay out", t->path);
		goto out;
	}
	laid_out = 1;
	box = GD_bb(d->g);
	bb[0] = box.LL.x;
	bb[1] = box.LL.y;
	bb[2] = box.UR.x;
	bb[3] = box.UR.y;
	*nrows = d->l.nrows;
	rc = 0;
out:
	draw_free(d, gvc, laid_out);
	free(d);
	return rc;
}

/* Whether a drawing of bounding box bb fits o's target legibly. */
static int
fits(const struct lk_viz_opts *o, const double *bb)
{
	double cw, ch, least, pad;

	target(o, &cw, &ch, &least, &pad);
	return (bb[2] - bb[0] + 2 * pad) * least <= cw &&
	       (bb[3] - bb[1] + 2 * pad) * least <= ch;
}

/* The first and last step of t from step from on, in steps of k: the
 * window's last step, at most the trace's last. */
static long
window_end(long from, long k, long last)
{
	return from + k - 1 < last ? from + k - 1 : last;
}

/*
 * The drawing of t with o does not fit even folded more (bb, nrows):
 * refuse, naming windows of steps that would fit (the first one laid out
 * to be sure); -1 with err filled.
 */
static int
refuse(const struct lk_viz_trace *t, const struct lk_viz_opts *o, GVC_t *gvc,
       const char *engine, const double *bb, int nrows, struct lk_err *err)
{
	double cw, ch, least, pad, wb[4];
	double w = bb[2] - bb[0], h = bb[3] - bb[1];
	double rest = h - lk__viz_row_offset(nrows > 1 ? nrows - 1 : 0);
	long first = t->tr->nevents ? (long)t->tr->ev[0].step : 0;
	long last = lk_viz_last_step(t), k, n, from;
	char what[96], list[512] = "";
	struct lk_viz_opts win = *o;
	int rows;

	target(o, &cw, &ch, &least, &pad);
	if (o->slide_w > 0)
		snprintf(what, sizeof(what),
		         "a %ux%u slide with text at least %.0f px high",
		         o->slide_w, o->slide_h, LK_VIZ_SLIDE_MINPX);
	else
		snprintf(what, sizeof(what),
		         "%s inches with text at least %.0f pt high", o->size,
		         LK_VIZ_SIZE_MINPT);
	if (o->from > first)
		first = o->from;
	if (o->to > 0 && o->to < last)
		last = o->to;
	/* Rows a window may have: the room left by the titles, the
	 * legend and the caption; a window of k steps has at most k + 1
	 * rows and 3 more for stuck ends. */
	k = (long)((ch / least - 2 * pad - rest) / LK__VIZ_ROW) - 4;
	for (; k >= 2; k /= 2) {
		win.from = first;
		win.to = window_end(first, k, last);
		if (measure(t, &win, gvc, engine, 1, wb, &rows, err) != 0)
			return -1;
		if (fits(o, wb))
			break;
	}
	if (k < 2) {
		lk_err_set(
		        err, LK_EXIT_USAGE,
		        "%s: the diagram (%.0fx%.0f points) does not fit %s, "
		        "not even a few steps of it: its lanes are too wide; "
		        "give a larger --size, or write .svg",
		        t->path, w, h, what);
		return -1;
	}
	n = (last - first + k) / k;
	from = first;
	for (long j = 0; j < n && j < 4; j++, from += k)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		         "%s--from %ld --to %ld", j ? ", " : "", from,
		         window_end(from, k, last));
	if (n > 4)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		         ", ... (%ld windows of %ld steps)", n, k);
	lk_err_set(err, LK_EXIT_USAGE,
	           "%s: the diagram (%.0fx%.0f points, %d rows) does not fit "
	           "%s, even with runs of local steps folded: draw a window "
	           "of steps: %s",
	           t->path, w, h, nrows, what, list);
	return -1;
}

/*
 * A --slide or --size drawing: whether it needs more folding to fit
 * legibly (0 no, 1 yes), the bounding box in bb; or -1 with err filled
 * when even that does not fit (a refusal naming windows that do).
 */
static int
fit(const struct lk_viz_trace *t, const struct lk_viz_opts *o, GVC_t *gvc,
    const char *engine, double *bb, struct lk_err *err)
{
	int nrows;

	for (int more = 0; more <= 1; more++) {
		if (measure(t, o, gvc, engine, more, bb, &nrows, err) != 0)
			return -1;
		if (fits(o, bb))
			return more;
	}
	return refuse(t, o, gvc, engine, bb, nrows, err);
}

/*
 * A slide: the drawing (bounding box bb, untranslated) centred on a
 * canvas of the slide's aspect, as large as the slide allows: two
 * invisible corners pin the canvas; a PNG gets the dpi that makes it
 * exactly slide_w by slide_h pixels, so its smallest text is
 * LK__VIZ_MINFONT times that scale (at least LK_VIZ_SLIDE_MINPX: fit
 * checked it).
 */
static void
slide_canvas(struct draw *d, const struct lk_viz_opts *o, const char *format,
             const double *bb)
{
	double w = bb[2] - bb[0] + 2 * SLIDE_PAD,
	       h = bb[3] - bb[1] + 2 * SLIDE_PAD;
	double aspect = (double)o->slide_w / o->slide_h, cw, ch;
	double cx = (bb[0] + bb[2]) / 2, cy = (bb[1] + bb[3]) / 2;
	Agnode_t *a, *b;

	cw = w > h * aspect ? w : h * aspect;
	ch = cw / aspect;
	agattr(d->g, AGRAPH, "notranslate", "true");
	set(d->g, "pad", "0");
	if (strcmp(format, "png") == 0)
		setf(d->g, "dpi", "%.6f", 72.0 * o->slide_w / cw);
	a = node(d, "slide:a", "slide:a", "slide");
	b = node(d, "slide:b", "slide:b", "slide");
	for (int k = 0; k < 2; k++) {
		Agnode_t *n = k ? b : a;

		set(n, "shape", "point");
		set(n, "style", "invis");
		set(n, "width", "0");
		set(n, "height", "0");
	}
	setf(a, "pos", "%.3f,%.3f!", cx - cw / 2, cy - ch / 2);
	setf(b, "pos", "%.3f,%.3f!", cx + cw / 2, cy + ch / 2);
}

/* Draw t into out_path, the format chosen by its extension; or, when
 * keep is not NULL, into keep's bytes (out_path names them). */
static int
render(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
       const char *out_path, struct lk_err *err, struct lk__viz_bytes *keep)
{
	static const struct lk_viz_opts defaults = {0};
	const char *format = lk_viz_format(out_path), *engine;
	struct draw *d = calloc(1, sizeof(*d));
	agusererrf prev_f = agseterrf(gv_collect);
	char why[256];
	agerrlevel_t prev_level = agseterr(AGWARN);
	GVC_t *gvc = NULL;
	int laid_out = 0, rc = -1, more = 0;
	double bb[4] = {0};

	o = o ? o : &defaults;
	engine = o->engine ? o->engine : "nop2";
	if (d == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	if (strcmp(engine, "nop2") != 0 && strcmp(engine, "dot") != 0) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "unknown layout engine %s: use nop2 or dot", engine);
		goto out;
	}
	if (o->theme < 0 ||
	    (size_t)o->theme >= sizeof(palettes) / sizeof(palettes[0])) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "unknown theme %d: use light, dark or print",
		           o->theme);
		goto out;
	}
	d->pal = &palettes[o->theme];
	if (o->to > 0 && o->from > o->to) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "no steps to draw: from %ld is after to %ld",
		           o->from, o->to);
		goto out;
	}
	if ((gvc = context(why, sizeof(why))) == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "cannot start graphviz: %s",
		           why);
		goto out;
	}
	if (!format_ok(gvc, format, out_path, err))
		goto out;
	if (fitted(o) && (more = fit(t, o, gvc, engine, bb, err)) < 0)
		goto out;
	if (prepare(d, t, o, engine, more, err) != 0)
		goto out;
	if (strcmp(format, "html") == 0) {
		rc = page(d, gvc, engine, o, out_path, err, &laid_out, keep);
		goto out;
	}
	graph_attrs(d, o, format);
	build(d, o);
	if (o->slide_w > 0)
		slide_canvas(d, o, format, bb);
	rc = layout_render(d, gvc, engine, format, out_path, err, &laid_out,
	                   keep);
out:
	if (d != NULL) {
		draw_free(d, gvc, laid_out);
		free(d);
	}
	agseterrf(prev_f);
	agseterr(prev_level);
	return rc;
}

/* Draw t into out_path, the format chosen by its extension. */
int
lk_viz_render(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
              const char *out_path, struct lk_err *err)
{
	return render(t, o, out_path, err, NULL);
}

/* The frames at steps[0..n) as the pages of one PDF (see viz.h). */
int
lk_viz_render_pdf_frames(const struct lk_viz_trace *t,
                         const struct lk_viz_opts *o, const long *steps, long n,
                         const char *out_path, struct lk_err *err)
{
	struct lk__viz_bytes *pages = calloc((size_t)n + 1, sizeof(*pages));
	struct lk__viz_bytes all = {0};
	struct lk_viz_opts f = *o;
	int rc = -1;
	long k = 0;

	if (pages == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		return -1;
	}
	for (; k < n; k++) {
		f.framed = 1;
		f.frame = steps[k];
		if (render(t, &f, out_path, err, &pages[k]) != 0)
			goto out;
	}
	if (lk__viz_pdf_join(pages, (size_t)n, &all) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "cannot join the pages of %s: a page is not a PDF "
		           "this joiner reads",
		           out_path);
		goto out;
	}
	rc = write_file(out_path, all.data, all.len, err);
out:
	for (long i = 0; i < n; i++)
		free(pages[i].data);
	free(pages);
	free(all.data);
	return rc;
}
