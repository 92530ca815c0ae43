/*
 * viz: a lockstep trace (docs/trace-format.md) as a happens-before
 * (space-time) diagram: one lifeline per process, time flowing down,
 * arrows for the happens-before edges between processes. Drawn with
 * Graphviz (libcgraph + libgvc) as SVG, PNG, PDF or DOT.
 *
 * viz knows only the trace part (runner/trace): it reads a trace file
 * with its reader (lk_trace_read), draws the edges of its one
 * happens-before model (lk_trace_edges) and labels events with its one
 * labeller (lk_label); nothing about the controller. Library code: it
 * never prints and never exits; errors come back as -1 with a struct
 * lk_err that names the file and line.
 */
#ifndef LOCKSTEP_VIZ_H
#define LOCKSTEP_VIZ_H

#include <stddef.h>

#include "lockstep/lockstep.h"
#include "trace/race.h"
#include "trace/trace.h"

/* Limits of what lk_viz_read accepts (the trace part's reader's). */
#define LK_VIZ_MAX_LINE   LK_TRACE_MAX_LINE   /* bytes in one line */
#define LK_VIZ_MAX_EVENTS LK_TRACE_MAX_EVENTS /* events in one trace */
#define LK_VIZ_MAX_DRAWN  20000               /* events in one diagram */

/* A trace read into memory; see the internal section below. */
struct lk_viz_trace;

/* The look of the diagram: light (default), dark (for dark slides),
 * print (grey only: shapes and dashes carry every distinction). */
enum lk_viz_theme { LK_VIZ_LIGHT = 0, LK_VIZ_DARK, LK_VIZ_PRINT };

/*
 * Options of lk_viz_render; all-zero (or NULL) gives the defaults.
 * title: replaces the scenario name at the top when not NULL.
 * dpi: resolution of PNG output, 150 when 0.
 * engine: "nop2" (default: pinned positions, compressed logical time) or
 *   "dot" (Graphviz places everything; no legend).
 * from, to: draw only the steps from..to (inclusive); to <= 0 means to
 *   the end of the trace.
 */
struct lk_viz_opts {
	const char *title;
	unsigned dpi;
	const char *engine;
	int theme;
	long from, to;
	const char *size; /* "W,H" in inches to fit into (16,9), or NULL:
	                   * never below LK_VIZ_SIZE_MINPT text there */
	unsigned slide_w, slide_h; /* a slide to lay out for, in pixels
	                            * (1920, 1080 for 16:9), or 0: PNG
	                            * exactly that, SVG/PDF its aspect, text
	                            * never below LK_VIZ_SLIDE_MINPX */
	int time_axis;      /* virtual time beside the rows where it moves */
	const char *failed; /* the expectations that failed, in words ("x = 2
	                     * (line 14)"), or NULL: the outcome line says
	                     * so (run --diagram; a trace does not record
	                     * them) */
	const char *why;    /* what the terminal says of a run that ended
	                     * stuck (lk_explain_deadlock), lines: the
	                     * caption, or NULL: viz's own short words */
	const lk_procset *waitfor; /* per process of the trace: who could
	                            * let it go on (lk_wait_for), drawn as
	                            * wait-for arrows; NULL: the header's
	                            * cycle */
	int row_per_step;          /* each row exactly one step */
	int framed; /* one frame of a stepping sequence (lk_viz_frames):
	             * the whole window laid out as the final picture,
	             * what happens after step frame greyed, step frame
	             * highlighted; the outcome and the deadlock only
	             * once frame is the trace's last step */
	long frame;
};

/* The least text --slide and --size draw: the height (font size) of the
 * smallest text, in pixels of the slide's PNG, and in points of the page
 * --size W,H names. A diagram that needs smaller text folds more, else is
 * refused (LK_EXIT_USAGE) naming windows of steps that fit. */
#define LK_VIZ_SLIDE_MINPX 14.0
#define LK_VIZ_SIZE_MINPT  10.0

/* Read the trace at path into *out; 0, or -1 with err filled. */
int lk_viz_read(const char *path, struct lk_viz_trace **out,
                struct lk_err *err);

/* The same for the len bytes at buf (which need no NUL), named path in
 * messages: what tests/fuzz/fuzz_trace.c calls. */
int lk_viz_read_mem(const char *buf, size_t len, const char *path,
                    struct lk_viz_trace **out, struct lk_err *err);

/* Free a trace from lk_viz_read; NULL is allowed. */
void lk_viz_free(struct lk_viz_trace *t);

/*
 * Draw t into out_path, the format chosen by its extension (.svg, .png,
 * .pdf, .dot or .gv); 0, or -1 with err filled.
 */
int lk_viz_render(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
                  const char *out_path, struct lk_err *err);

/*
 * The frames of a stepping sequence of t drawn with o (its window, fold
 * and rows): the steps of the events the diagram draws, ascending, one
 * frame each (a step it does not draw changes nothing visible), into a
 * new array *steps (free it); their number, or -1 with err filled.
 */
long lk_viz_frames(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
                   long **steps, struct lk_err *err);

/* The frames at steps[0..n) (from lk_viz_frames) as the pages of one
 * PDF at out_path, each drawn with o and o->frame its step; 0, or -1
 * with err filled (nothing written then). */
int lk_viz_render_pdf_frames(const struct lk_viz_trace *t,
                             const struct lk_viz_opts *o, const long *steps,
                             long n, const char *out_path, struct lk_err *err);

/* The last step of the trace, -1 when it has no events. */
long lk_viz_last_step(const struct lk_viz_trace *t);

/* The format lk_viz_render writes to path, from its extension: "svg",
 * "png", "pdf", "dot" (.dot, .gv) or "html" (the interactive page: the
 * SVG with the trace's events and a script, viz/html.c); NULL for any
 * other name. */
const char *lk_viz_format(const char *path);

/* The extensions lk_viz_format knows, for messages. */
#define LK_VIZ_EXTENSIONS ".svg, .png, .pdf, .dot, .gv or .html"

/* Number of cross-process happens-before edges in the whole trace. */
size_t lk_viz_edges(const struct lk_viz_trace *t);

/*
 * Internal to viz/: shared by events.c, layout.c and render.c.
 * Everything below may change without notice.
 */

/* What viz draws of each operation of the trace (lk__viz_op): the
 * operations it has words and marks for; the rest are LK__VIZ_OTHER. */
enum lk__viz_op {
	LK__VIZ_OTHER,
	LK__VIZ_SEM_OPEN,
	LK__VIZ_SEM_CLOSE,
	LK__VIZ_SEM_UNLINK,
	LK__VIZ_SEM_INIT,
	LK__VIZ_SEM_DESTROY,
	LK__VIZ_SEM_WAIT,
	LK__VIZ_SEM_TRYWAIT,
	LK__VIZ_SEM_TIMEDWAIT,
	LK__VIZ_SEM_POST,
	LK__VIZ_SEM_GETVALUE,
	LK__VIZ_WRITE,
	LK__VIZ_SLEEP,
	LK__VIZ_FORK,
	LK__VIZ_START,
	LK__VIZ_EXIT,
	LK__VIZ_EXEC,
	LK__VIZ_WAIT,
	LK__VIZ_READ,
	LK__VIZ_CLOSE,
	LK__VIZ_DUP2,
	LK__VIZ_OPEN,
	LK__VIZ_KILL,
	LK__VIZ_SIGNAL,
	LK__VIZ_PAUSE,
	LK__VIZ_LOAD,
	LK__VIZ_STORE,
	LK__VIZ_LOCK,  /* fcntl and flock */
	LK__VIZ_SEMOP, /* a SysV set's operations: takes, gives or both */
	LK__VIZ_THREAD /* pthread calls: create, join, mutexes, conditions */
};

/* How one kind of edge (enum lk_hb_kind) is drawn (render.c's table). */
struct lk__viz_edge_kind {
	const char *name;   /* class in the SVG: "post-wait" */
	const char *color;  /* Paul Tol bright */
	const char *style;  /* Graphviz edge style */
	const char *head;   /* arrowhead: the cue besides colour */
	const char *legend; /* text in the legend */
};

/*
 * A trace as viz draws it: the trace (read by the trace part,
 * runner/trace/read.c) and its happens-before edges between processes
 * (the trace part's one model, lk_trace_edges), sorted by target event.
 */
struct lk_viz_trace {
	struct lk_trace *tr;
	char *path;
	struct lk_hb_edge *edges;
	size_t nedges;
	char *in_cycle; /* per process: part of the deadlock's cycle */
};

/* events.c: what viz draws of e's operation. */
int lk__viz_op(const struct lk_tev *e);

/* events.c: whether e is a <print>'s write. */
int lk__viz_print(const struct lk_tev *e);

/* events.c: the other process e names (fork: the child, start: the
 * parent, kill: the target, waitpid: the child reaped), or -1. */
int lk__viz_peer(const struct lk_trace *t, const struct lk_tev *e);

/* events.c: the descriptor e used (read, write, close, dup2, open), or
 * -1. */
int lk__viz_fd(const struct lk_tev *e);

/* events.c: close, dup2 of a pipe: 'r' or 'w' for the end, else 0. */
int lk__viz_end(const struct lk_trace *t, const struct lk_tev *e);

/* events.c: a record lock's kind: 'r', 'w', 'u' (unlock), or 0. */
int lk__viz_lock(const struct lk_tev *e);

/* events.c: the number e's args hold (sleep: ns, exit and waitpid:
 * status, sem_open, sem_init, sem_getvalue, load, store: value, kill and
 * signal: signal) into *v; 0 when it has none. */
int lk__viz_num(const struct lk_tev *e, long long *v);

/* events.c: the name of object o ("(a child)", "(a signal)" for what a
 * process can be blocked on besides objects), "?" for none. */
const char *lk__viz_obj(const struct lk_trace *t, int o);

/* events.c: the strategy as the header wrote it, "" when it had none. */
const char *lk__viz_strategy(const struct lk_trace *t);

/* Event e happens before f by the vector clock rule. */
int lk__viz_hb(const struct lk_tev *e, const struct lk_tev *f);

/* Bytes in memory: a rendered page. */
struct lk__viz_bytes {
	char *data;
	size_t len;
};

/* pdf.c: the PDFs pages[0..n) (one page each, as cairo writes them)
 * joined into one PDF of n pages in *out (free out->data); 0, or -1
 * when one is not a PDF it can read or memory ran out. */
int lk__viz_pdf_join(const struct lk__viz_bytes *pages, size_t n,
                     struct lk__viz_bytes *out);

/* Where the events go; coordinates in points, y growing downwards. */
struct lk__viz_layout {
	long from, to;     /* the step window drawn */
	size_t nev;        /* events of the trace */
	int whole;         /* the window holds the whole trace */
	int *row;          /* per event: its row, or -1 when not drawn */
	char **label;      /* per drawn event: the text beside its mark */
	int *side;         /* per drawn event: label -1 below, 0 level, 1 up */
	int *lside;        /* per process: its labels 1 right, -1 left */
	double *leftw;     /* per process: room its labels take at the left */
	int *head_ev;      /* per process: event drawn as its box, or -1 */
	int *first, *last; /* per process: first/last drawn event, or -1 */
	int *head_row;     /* per process: row of its box, -1 if not drawn */
	double *x;         /* per process: x of its lifeline */
	double *labelw;    /* per drawn event: estimated width of its step
	                      number and label */
	double *stepw;     /* per drawn event: of that, its step number's
	                      (and the gap after it), 0 none */
	int per_step;      /* each row exactly one step */
	int *fold;         /* per event: steps folded into it, -1 folded */
	double *headw;     /* per process: width of its box */
	int nrows;         /* rows 0..nrows-1; row 0 holds the boxes */
	int stuck_row;     /* row of the "stuck" ends, or -1 */
	char *stuck;       /* per process: its last drawn event is the call
	                      it was still blocked in at the end */
	double width;      /* right edge of the lifelines and labels */
	size_t nedges;     /* edges of the trace */
	char **elabel;     /* per edge: the text on its arrow, or NULL */
	double *spot;      /* per edge: where along the arrow its text goes,
	                      0 at the tail, 1 at the head */
	double *shift;     /* per edge: its text's centre right of there */
	struct lk_race *races; /* the races run reports (lk_race_find,
	                          unique), by event index */
	size_t nraces;
};

/* html.c: the interactive page around svg (len bytes, as the svg
 * device wrote the drawing of t laid out in l) into *out (free
 * out->data); 0, or -1 when memory ran out or svg has no <svg>. */
int lk__viz_html(const struct lk_viz_trace *t, const struct lk__viz_layout *l,
                 const char *title, const char *svg, size_t len,
                 struct lk__viz_bytes *out);

/* How each kind of edge is drawn, at its enum lk_hb_kind. */
extern const struct lk__viz_edge_kind lk__viz_edge_kinds[];
extern const size_t lk__viz_nedge_kinds;

/* layout.c: the lanes from left to right, nprocs of them: each process
 * in the trace's order with its threads right after it (NULL: no
 * memory; free it). */
size_t *lk__viz_lane_order(const struct lk_trace *t);

/* labels.c: the text beside event i's mark (the one labeller's diagram
 * words), in a new string (NULL: no memory). */
char *lk__viz_label(const struct lk_viz_trace *t, size_t i);

/* labels.c: append printf-style text to buf, which holds size bytes
 * (nothing once it is full). */
void lk__viz_put(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* labels.c: whether e failed (a -1 that is not a loaded value). */
int lk__viz_failed(const struct lk_tev *e);

/* labels.c: the label of edge d (write -> read: the bytes it carried,
 * close -> end of file: "EOF"), in a new string; "" when none, NULL when
 * out of memory. */
char *lk__viz_edge_label(const struct lk_viz_trace *t,
                         const struct lk_hb_edge *d);

/* layout.c: place the steps from..to of t, each in a row of its own
 * when per_step; folding every run of LK__VIZ_FOLD_RUN_MORE local steps
 * (in a window too) when more_fold (to fit a slide); 0, or -1 with err
 * filled. */
int lk__viz_layout(const struct lk_viz_trace *t, long from, long to,
                   int per_step, int more_fold, struct lk__viz_layout *l,
                   struct lk_err *err);

/* layout.c: free what lk__viz_layout allocated. */
void lk__viz_layout_free(struct lk__viz_layout *l);

/* layout.c: from the centre of drawn event i's mark to its label. */
double lk__viz_label_gap(const struct lk_viz_trace *t,
                         const struct lk__viz_layout *l, size_t i);

/* layout.c: the y of row r below row 0, in points. */
double lk__viz_row_offset(int r);

/* layout.c: width in points of text in a font of size pt, estimated. */
double lk__viz_text_width(const char *text, double pt, int bold);

/* layout.c: the layout's constants, in points. */
#define LK__VIZ_ROW           38.0 /* between two rows */
#define LK__VIZ_FONT          16.0 /* event labels */
#define LK__VIZ_HEADFONT      18.0 /* process names */
#define LK__VIZ_MARK          12.0 /* diameter of an event's mark */
#define LK__VIZ_LABELGAP      13.0 /* from a mark's centre to its label */
#define LK__VIZ_LIFT          9.0  /* label above or below its mark */
#define LK__VIZ_MARGIN        24.0 /* around the lifelines */
#define LK__VIZ_FOLD_ROWS     30   /* fold local runs above this many rows */
#define LK__VIZ_FOLD_RUN      6    /* the shortest run of local steps folded */
#define LK__VIZ_FOLD_RUN_MORE 4    /* the same, folding more for a slide */
#define LK__VIZ_MINFONT       12.0 /* the smallest text drawn: step numbers */
#define LK__VIZ_EDGEFONT      13.0 /* the text on an arrow */
#define LK__VIZ_STEPFONT      12.0 /* the step number beside a label */
#define LK__VIZ_STEPGAP       6.0  /* from the step number to the label */

#endif
