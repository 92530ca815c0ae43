/* `lockstep render`, and the diagrams of `run --diagram`: a trace drawn
 * as a happens-before diagram by viz/. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "trace/analysis.h"
#include "viz/viz.h"

static const char usage_render[] =
        "usage: lockstep render TRACE.jsonl -o OUT [options]\n"
        "\n"
        "Draw a trace as a happens-before (space-time) diagram: a lifeline\n"
        "per process, time flowing down, and an arrow for every\n"
        "happens-before edge between processes:\n"
        "  post -> the wait it let through         (blue; a semop that\n"
        "    gives, or an exit undoing SEM_UNDO -> a semop that takes)\n"
        "  fork -> start of the child              (green, hollow head)\n"
        "  exit -> the waitpid that reaped it      (purple, dashed)\n"
        "  write -> the read that got its bytes    (orange double line)\n"
        "  last write end closed -> read gets EOF  (orange double, dashed)\n"
        "  kill -> the signal's delivery           (teal, dotted)\n"
        "  unlock (or exit) -> the lock it let another process take\n"
        "                                          (olive, square head)\n"
        "  open of a FIFO -> the other end's open it met\n"
        "                                          (orange, dotted)\n"
        "Each event's step number (the terminal's step column) is\n"
        "beside its label. Blocked calls are hollow with a dashed\n"
        "span; a deadlock's processes are red with a dashed outline, a\n"
        "wine-red dashed wait-for arrow goes from each stuck call to\n"
        "whoever could let it go on, and the caption says what the\n"
        "terminal said. A race run reports is a thick dashed red line,\n"
        "\"race on a\", between its two accesses. The legend lists what\n"
        "the diagram shows.\n"
        "The format comes from OUT's extension: svg, png, pdf, dot or\n"
        "html: one self-contained page (no network) with the SVG, a step\n"
        "slider (and the arrow keys), an event's happens-before past and\n"
        "future on hover or click, race and cycle toggles, a search by\n"
        "process or object, and each event's source line.\n"
        "\n"
        "options:\n"
        "  -o, --output OUT     the file to write (required)\n"
        "  --title TEXT         the title (default: the scenario's name)\n"
        "  --dpi N              resolution of PNG output (default 150)\n"
        "  --from N, --to M     draw only steps N..M (a long trace);\n"
        "                       an arrow to a step outside is a stub\n"
        "                       labelled with that step\n"
        "  --engine NAME        nop2 (default: lockstep's own layout,\n"
        "                       stable from run to run) or dot\n"
        "  --theme NAME         light (default), dark, or print (grey\n"
        "                       only: shapes and dashes carry every cue)\n"
        "  --time-axis          the virtual time beside each row where it\n"
        "                       moves\n"
        "  --row-per-step       one step a row, in the order the run took\n"
        "                       them (default: rows of logical time, where\n"
        "                       unordered steps may share a row); no fold\n"
        "  --slide 16:9|4:3     laid out for a slide: a PNG of exactly\n"
        "                       1920x1080 (1440x1080) pixels, SVG/PDF of\n"
        "                       that aspect; the smallest text at least\n"
        "                       14 px high: a diagram too big folds runs\n"
        "                       of local steps, else is refused (exit 2)\n"
        "                       naming --from/--to windows that fit\n"
        "  --size W,H           fit into W by H inches, e.g. 16,9; never\n"
        "                       below 10 pt text there (else as --slide)\n"
        "  --frames DIR         instead of -o: the run step by step, for\n"
        "                       slides: DIR/frame-0001.svg, ... one frame\n"
        "                       per step drawn, all with the same layout\n"
        "                       (steps to come grey, this step ringed;\n"
        "                       the outcome only on the last frame)\n"
        "  --frames FILE.pdf    the same frames as the pages of one PDF\n"
        "  --frames-format FMT  svg (default), png or dot for --frames DIR\n"
        "  --frames-max N       refuse more than N frames (default 200):\n"
        "                       draw a window with --from/--to instead\n"
        "\n"
        "A PNG larger than a bitmap can be (32767 pixels), which\n"
        "Graphviz would shrink to illegible, is refused: exit 2.\n"
        "\n"
        "exit status: 0 drawn; 2 a bad trace or option, or a diagram\n"
        "that does not fit legibly; 70 Graphviz failed.\n";

/* Refuse --from past the last step of the trace at path (read into vt):
 * nothing would be drawn. 0 or exit status 2. */
static int
check_steps(const char *path, const struct lk_viz_trace *vt,
            const struct lk_viz_opts *o)
{
	long last = lk_viz_last_step(vt);

	if (o == NULL || o->from <= 0 || o->from <= last)
		return 0;
	if (last < 0)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "render: --from %ld: %s has no steps",
		                   o->from, path);
	return lk_cli_fail(LK_EXIT_USAGE,
	                   "render: --from %ld is past the last step of %s, "
	                   "step %ld",
	                   o->from, path, last);
}

/*
 * The scenario trace t was run from, to say who posts what as the run's
 * terminal did: the file its header names ("file", relative to where it
 * ran), when it is still a regular file that parses and declares the
 * trace's processes in the trace's order; else NULL, and the words say
 * who could post from the trace alone ("could post (it has it)").
 */
static struct lk_scenario *
trace_scenario(const struct lk_trace *t)
{
	struct lk_scenario *sc = NULL;
	struct lk_err err;
	struct stat st;

	if (t->program_run || t->file == NULL || t->file[0] == '\0' ||
	    stat(t->file, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (1 << 20) || lk_scenario_load(t->file, &sc, &err) != 0)
		return NULL;
	for (size_t p = 0; p < sc->nprocs; p++)
		if (p >= t->nprocs ||
		    strcmp(sc->procs[p].name, t->procs[p].name) != 0) {
			lk_scenario_free(sc);
			return NULL;
		}
	return sc;
}

/* Whether a process of t waits on a pipe whose holders t does not know:
 * a trace file keeps no holders (only the run that made it knew them),
 * and its events show only the ends a process used. */
static int
holders_unknown(const struct lk_trace *t)
{
	for (size_t p = 0; p < t->nprocs; p++) {
		int o = t->procs[p].blocked_on;

		if (!t->procs[p].exited && o >= 0 && (size_t)o < t->nobjs &&
		    lk_trace_is_pipe(t, o) &&
		    t->procs[p].pending_op != LK_OP_OPEN &&
		    t->objs[o].holders[0] == 0 && t->objs[o].holders[1] == 0)
			return 1;
	}
	return 0;
}

/*
 * What the analysis says of a run that ended with processes stuck, for
 * the caption (why) and the wait-for arrows (who); 0 when none was. When
 * t lacks what the words need (a pipe's holders, in a trace file) the
 * caption keeps viz's own shorter words (why empty) rather than say
 * "nobody holds its write end" of an end someone holds.
 */
static int
stuck_words(struct lk_trace *t, char *why, size_t size, lk_procset *who)
{
	struct lk_scenario *sc;
	int cycle[LK_MAX_PROCS + 1], any = 0;
	size_t ncycle = t->ncycle;

	for (size_t p = 0; p < t->nprocs; p++)
		any |= !t->procs[p].exited &&
		       (t->procs[p].blocked_on != -1 || t->procs[p].stopped);
	if (!any)
		return 0;
	sc = trace_scenario(t);
	/* The header's cycle stays what is drawn. */
	memcpy(cycle, t->cycle, sizeof(cycle));
	lk_explain_deadlock(t, sc, why, size);
	lk_wait_for(t, sc, who);
	if (holders_unknown(t))
		why[0] = '\0';
	memcpy(t->cycle, cycle, sizeof(cycle));
	t->ncycle = ncycle;
	lk_scenario_free(sc);
	return 1;
}

/* Draw the trace at path into out with o, what the caption says from
 * mem when not NULL (the run's own trace, which knows more than its
 * file: the pipes' holders, the semaphores' values); 0 or an exit
 * status. */
static int
draw(const char *path, const char *out, const struct lk_viz_opts *o,
     const struct lk_trace *mem)
{
	static const struct lk_viz_opts none = {0};
	lk_procset who[LK_MAX_PROCS];
	struct lk_viz_opts with;
	struct lk_viz_trace *vt;
	struct lk_err err;
	char why[4096];
	int rc;

	if (lk_viz_read(path, &vt, &err) != 0)
		return lk_cli_fail(err.status, "%s", err.msg);
	if ((rc = check_steps(path, vt, o)) != 0) {
		lk_viz_free(vt);
		return rc;
	}
	with = o != NULL ? *o : none;
	if (mem != NULL) {
		/* A copy: the analysis notes its cycle in the trace. */
		struct lk_trace copy = *mem;

		if (stuck_words(&copy, why, sizeof(why), who)) {
			with.why = why[0] != '\0' ? why : NULL;
			with.waitfor = who;
		}
	} else if (stuck_words(vt->tr, why, sizeof(why), who)) {
		with.why = why[0] != '\0' ? why : NULL;
		with.waitfor = who;
	}
	rc = lk_viz_render(vt, &with, out, &err);
	lk_viz_free(vt);
	if (rc != 0)
		return lk_cli_fail(err.status, "%s", err.msg);
	return 0;
}

/* Draw the trace at path into out with o; 0 or an exit status. */
int
lk_cli_draw(const char *path, const char *out, const struct lk_viz_opts *o)
{
	return draw(path, out, o, NULL);
}

/* Draw an in-memory trace (run --diagram): through a temporary file, so
 * the diagram is made from the trace exactly as it would be saved. */
int
lk_cli_draw_trace(const struct lk_trace *t, const char *out, const char *failed)
{
	struct lk_viz_opts o = {0};

	const char *dir = getenv("TMPDIR");
	char tmp[PATH_MAX];
	int fd = -1, rc;
	FILE *f;

	/* In TMPDIR (default /tmp), as any temporary file. */
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/lockstep-diagram-XXXXXX",
	                     dir) >= sizeof(tmp))
		errno = ENAMETOOLONG;
	else
		fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return lk_cli_fail(LK_EXIT_INTERNAL,
		                   "cannot make a temporary file in %s: %s",
		                   dir, strerror(errno));
	rc = lk_trace_write(t, f);
	if (fclose(f) != 0 || rc != 0) {
		unlink(tmp);
		return lk_cli_fail(LK_EXIT_INTERNAL, "cannot write %s: %s", tmp,
		                   strerror(errno));
	}
	o.failed = failed;
	rc = draw(tmp, out, &o, t);
	unlink(tmp);
	return rc;
}

/* Remove the frames DIR/frame-0001.EXT .. frame-N.EXT written, and
 * DIR when this run made it: a failed --frames leaves nothing. */
static void
unwrite_frames(const char *dir, const char *ext, long n, int made)
{
	char out[4096];

	for (long k = 1; k <= n; k++) {
		snprintf(out, sizeof(out), "%s/frame-%04ld.%s", dir, k, ext);
		unlink(out);
	}
	if (made)
		rmdir(dir);
}

/*
 * --frames DEST: the diagram step by step, one frame per step it draws,
 * all laid out once (the final picture, restyled per frame: see
 * viz.h). DEST a directory: DEST/frame-0001.EXT, ... in format ext (svg,
 * png or dot); DEST a name ending in .pdf: one PDF, a page a frame.
 * More than max frames: refused before anything is written.
 */
static int
draw_frames(const char *path, const char *dest, const char *ext, long max,
            struct lk_viz_opts *o)
{
	lk_procset who[LK_MAX_PROCS];
	struct lk_viz_opts g;
	struct lk_viz_trace *vt;
	struct lk_err err;
	char out[4096], why[4096];
	const char *fmt = lk_viz_format(dest);
	int pdf = fmt != NULL && strcmp(fmt, "pdf") == 0, made = 0, rc = 0;
	long n, k;
	long *steps = NULL;

	if (lk_viz_read(path, &vt, &err) != 0)
		return lk_cli_fail(err.status, "%s", err.msg);
	if (check_steps(path, vt, o) != 0) {
		lk_viz_free(vt);
		return LK_EXIT_USAGE;
	}
	if ((n = lk_viz_frames(vt, o, &steps, &err)) < 0) {
		lk_viz_free(vt);
		return lk_cli_fail(err.status, "%s", err.msg);
	}
	if (n > max || n == 0) {
		lk_viz_free(vt);
		free(steps);
		if (n == 0)
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "render: %s: no steps to draw in "
			                   "the window",
			                   path);
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "render: %s: %ld frames, more than "
		                   "--frames-max %ld: choose a window with "
		                   "--from N --to M, or raise --frames-max",
		                   path, n, max);
	}
	/* The caption and the arrows of a deadlock, for the last frame:
	 * in a copy of the options, since they point into this frame. */
	g = *o;
	if (stuck_words(vt->tr, why, sizeof(why), who)) {
		g.why = why[0] != '\0' ? why : NULL;
		g.waitfor = who;
	}
	if (pdf) {
		if (lk_viz_render_pdf_frames(vt, &g, steps, n, dest, &err) != 0)
			rc = lk_cli_fail(err.status, "%s", err.msg);
		goto out;
	}
	if (mkdir(dest, 0755) == 0) {
		made = 1;
	} else if (errno != EEXIST) {
		rc = lk_cli_fail(LK_EXIT_USAGE, "render: cannot create %s: %s",
		                 dest, strerror(errno));
		goto out;
	}
	for (k = 0; k < n; k++) {
		g.framed = 1;
		g.frame = steps[k];
		snprintf(out, sizeof(out), "%s/frame-%04ld.%s", dest, k + 1,
		         ext);
		if (lk_viz_render(vt, &g, out, &err) != 0) {
			unwrite_frames(dest, ext, k + 1, made);
			rc = lk_cli_fail(err.status, "%s", err.msg);
			goto out;
		}
	}
out:
	lk_viz_free(vt);
	free(steps);
	if (rc == 0)
		printf("%ld %s in %s\n", n,
		       lk_plural((unsigned long long)n, "frame", "frames"),
		       dest);
	return rc;
}

/* Refuse value v of option opt, one of words (space apart; listed as
 * list), naming the nearest: exit status 2. */
static int
bad_word(const char *opt, const char *v, const char *words, const char *list)
{
	char near[16];

	return lk_cli_usage("render",
	                    lk_cli_suggest(v, words, near, sizeof(near)),
	                    "render: %s '%s': expected %s", opt, v, list);
}

/* `lockstep render TRACE -o OUT [options]` */
int
lk_cmd_render(int argc, char **argv)
{
	enum {
		O_TITLE = 256,
		O_DPI,
		O_FROM,
		O_TO,
		O_ENGINE,
		O_THEME,
		O_SIZE,
		O_FRAMES,
		O_TIME_AXIS,
		O_ROW_PER_STEP,
		O_FRAMES_MAX,
		O_FRAMES_FORMAT,
		O_SLIDE
	};
	static const struct option longopts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {"title", required_argument, NULL, O_TITLE},
	        {"dpi", required_argument, NULL, O_DPI},
	        {"from", required_argument, NULL, O_FROM},
	        {"to", required_argument, NULL, O_TO},
	        {"engine", required_argument, NULL, O_ENGINE},
	        {"theme", required_argument, NULL, O_THEME},
	        {"size", required_argument, NULL, O_SIZE},
	        {"slide", required_argument, NULL, O_SLIDE},
	        {"time-axis", no_argument, NULL, O_TIME_AXIS},
	        {"row-per-step", no_argument, NULL, O_ROW_PER_STEP},
	        {"frames", required_argument, NULL, O_FRAMES},
	        {"frames-max", required_argument, NULL, O_FRAMES_MAX},
	        {"frames-format", required_argument, NULL, O_FRAMES_FORMAT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct lk_viz_opts o = {0};
	const char *out = NULL, *frames = NULL, *fformat = NULL;
	long fmax = 200;
	double w, h;
	char extra;
	uint64_t v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case O_TITLE:
			o.title = optarg;
			break;
		case O_DPI:
			if (lk_cli_u64(optarg, &v) != 0 || v < 30 || v > 1200)
				return lk_cli_fail(
				        LK_EXIT_USAGE,
				        "render: --dpi '%s': expected "
				        "30..1200",
				        optarg);
			o.dpi = (unsigned)v;
			break;
		case O_FROM:
		case O_TO:
			if (lk_cli_u64(optarg, &v) != 0 || v > 100000000)
				return lk_cli_fail(
				        LK_EXIT_USAGE,
				        "render: '%s': expected a step "
				        "number",
				        optarg);
			*(c == O_FROM ? &o.from : &o.to) = (long)v;
			break;
		case O_ENGINE:
			if (strcmp(optarg, "nop2") != 0 &&
			    strcmp(optarg, "dot") != 0)
				return bad_word("--engine", optarg, "nop2 dot",
				                "nop2 or dot");
			o.engine = optarg;
			break;
		case O_THEME:
			if (strcmp(optarg, "light") == 0)
				o.theme = LK_VIZ_LIGHT;
			else if (strcmp(optarg, "dark") == 0)
				o.theme = LK_VIZ_DARK;
			else if (strcmp(optarg, "print") == 0)
				o.theme = LK_VIZ_PRINT;
			else
				return bad_word("--theme", optarg,
				                "light dark print",
				                "light, dark or print");
			break;
		case O_SIZE:
			if (sscanf(optarg, "%lf,%lf%c", &w, &h, &extra) != 2 ||
			    w < 1 || h < 1 || w > 200 || h > 200)
				return lk_cli_fail(
				        LK_EXIT_USAGE,
				        "render: --size '%s': expected "
				        "W,H in inches, such as 16,9",
				        optarg);
			o.size = optarg;
			break;
		case O_SLIDE:
			if (strcmp(optarg, "16:9") == 0)
				o.slide_w = 1920, o.slide_h = 1080;
			else if (strcmp(optarg, "4:3") == 0)
				o.slide_w = 1440, o.slide_h = 1080;
			else
				return bad_word("--slide", optarg, "16:9 4:3",
				                "16:9 or 4:3");
			break;
		case O_FRAMES:
			frames = optarg;
			break;
		case O_FRAMES_MAX:
			if (lk_cli_u64(optarg, &v) != 0 || v < 1 || v > 100000)
				return lk_cli_fail(
				        LK_EXIT_USAGE,
				        "render: --frames-max '%s': expected "
				        "1..100000",
				        optarg);
			fmax = (long)v;
			break;
		case O_FRAMES_FORMAT:
			if (strcmp(optarg, "svg") != 0 &&
			    strcmp(optarg, "png") != 0 &&
			    strcmp(optarg, "dot") != 0)
				return bad_word("--frames-format", optarg,
				                "svg png dot",
				                "svg, png or dot");
			fformat = optarg;
			break;
		case O_TIME_AXIS:
			o.time_axis = 1;
			break;
		case O_ROW_PER_STEP:
			o.row_per_step = 1;
			break;
		case 'h':
			fputs(usage_render, stdout);
			return 0;
		default:
			return lk_cli_bad_option("render", c, argv, longopts);
		}
	}
	if (optind != argc - 1 || (out == NULL) == (frames == NULL))
		return lk_cli_fail(
		        LK_EXIT_USAGE,
		        "render: expected a trace and -o OUT or "
		        "--frames DIR; see 'lockstep render --help'");
	if (o.to > 0 && o.from > o.to)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "render: --from %ld is after --to %ld",
		                   o.from, o.to);
	if (out != NULL &&
	    (c = lk_cli_check_output("render", "-o", out, LK_OUT_DIAGRAM)) != 0)
		return c;
	if (frames != NULL && o.engine != NULL && strcmp(o.engine, "dot") == 0)
		return lk_cli_fail(
		        LK_EXIT_USAGE,
		        "render: --frames --engine dot: frames keep "
		        "one layout, lockstep's own (nop2); dot would "
		        "lay out every frame anew");
	if (o.slide_w > 0 && o.size != NULL)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "render: --slide and --size: give one");
	if (o.slide_w > 0 &&
	    (frames != NULL || (lk_viz_format(out) != NULL &&
	                        strcmp(lk_viz_format(out), "png") != 0 &&
	                        strcmp(lk_viz_format(out), "svg") != 0 &&
	                        strcmp(lk_viz_format(out), "pdf") != 0)))
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "render: --slide: draws one picture, "
		                   "-o .png, .svg or .pdf");
	if (fformat != NULL && frames == NULL)
		return lk_cli_fail(
		        LK_EXIT_USAGE,
		        "render: --frames-format needs --frames DIR");
	if (frames != NULL && lk_viz_format(frames) != NULL &&
	    strcmp(lk_viz_format(frames), "pdf") == 0) {
		/* --frames FILE.pdf: one PDF, a page a frame. */
		if (fformat != NULL)
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "render: --frames-format: %s is one "
			                   "PDF already; give a directory for "
			                   "%s frames",
			                   frames, fformat);
		if ((c = lk_cli_check_output("render", "--frames", frames,
		                             LK_OUT_FILE)) != 0)
			return c;
		return draw_frames(argv[optind], frames, "pdf", fmax, &o);
	}
	if (frames != NULL &&
	    (c = lk_cli_check_output("render", "--frames", frames,
	                             LK_OUT_DIR)) != 0)
		return c;
	if (frames != NULL)
		return draw_frames(argv[optind], frames,
		                   fformat != NULL ? fformat : "svg", fmax, &o);
	return lk_cli_draw(argv[optind], out, &o);
}
