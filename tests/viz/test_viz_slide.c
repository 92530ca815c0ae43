/*
 * render --slide and --size (issue 19, "any size fits"): a diagram laid
 * out for a 16:9 or 4:3 slide is a PNG of exactly 1920x1080 (1440x1080)
 * pixels whose smallest text is at least 14 px high, measured in the SVG
 * of the same slide (the smallest font-size, times pixels per point of
 * its canvas); one too big for that is refused with exit 2 naming
 * --from/--to windows, and the first window named does fit; --size never
 * goes below 10 pt text; a PNG larger than a cairo bitmap (which Graphviz
 * would shrink, exit 0) is refused with nothing written. Each case runs
 * the real lockstep on shipped scenarios.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vizcli.h"

char vt_dir[] = "/tmp/lk-viz-slide-XXXXXX";

/* `lockstep run scenarios/SCENARIO --trace vt_dir/NAME.jsonl`, which
 * must succeed. */
static void
run_scenario(const char *scenario, const char *name)
{
	char trace[1280], scen[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                scen,
	                (char *)"-q",
	                (char *)"--trace",
	                trace,
	                NULL};

	snprintf(scen, sizeof(scen), "scenarios/%s", scenario);
	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	if (vt_run(argv, vt_in_dir("run.out")) != 0)
		fail_msg("lockstep run %s failed: %s", scenario,
		         vt_slurp(vt_in_dir("run.out")));
}

/* `lockstep render vt_dir/NAME.jsonl -o vt_dir/OUT [a] .. [f]`: its
 * status; what it printed into vt_dir/render.out. */
static int
render(const char *name, const char *out, const char *a, const char *b,
       const char *c, const char *d, const char *e, const char *f)
{
	char trace[1280], dest[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"render",
	                trace,
	                (char *)"-o",
	                dest,
	                (char *)a,
	                (char *)b,
	                (char *)c,
	                (char *)d,
	                (char *)e,
	                (char *)f,
	                NULL};

	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	snprintf(dest, sizeof(dest), "%s/%s", vt_dir, out);
	return vt_run(argv, vt_in_dir("render.out"));
}

/* The SVG at path: its canvas (viewBox width and height, points) and
 * its smallest font-size. */
static void
svg_measure(const char *path, double *w, double *h, double *minfont)
{
	char *svg = vt_slurp(path), *p = strstr(svg, "viewBox=\"");
	double x0, y0;

	assert_non_null(p);
	assert_int_equal(sscanf(p, "viewBox=\"%lf %lf %lf %lf", &x0, &y0, w, h),
	                 4);
	*minfont = 1e9;
	for (p = svg; (p = strstr(p, "font-size=\"")) != NULL; p++) {
		double pt = strtod(p + strlen("font-size=\""), NULL);

		if (pt > 0 && pt < *minfont)
			*minfont = pt;
	}
	assert_true(*minfont < 1e9);
	free(svg);
}

/*
 * The trace name drawn on a slide of px_w x px_h pixels with args: the
 * PNG is exactly that, the SVG has its aspect, and the smallest text is
 * at least 14 px high in the PNG (the SVG's smallest font, at the PNG's
 * pixels per point of the canvas).
 */
static void
check_slide(const char *name, const char *slide, unsigned px_w, unsigned px_h,
            const char *a, const char *b, const char *c, const char *d)
{
	unsigned w, h;
	double cw, ch, minfont;

	if (render(name, "slide.png", "--slide", slide, a, b, c, d) != 0)
		fail_msg("render --slide %s: %s", slide,
		         vt_slurp(vt_in_dir("render.out")));
	vt_png_size(vt_in_dir("slide.png"), &w, &h);
	assert_int_equal(w, px_w);
	assert_int_equal(h, px_h);
	assert_int_equal(
	        render(name, "slide.svg", "--slide", slide, a, b, c, d), 0);
	svg_measure(vt_in_dir("slide.svg"), &cw, &ch, &minfont);
	assert_true(cw / ch > (double)px_w / px_h - 0.01 &&
	            cw / ch < (double)px_w / px_h + 0.01);
	if (minfont * px_w / cw < 14)
		fail_msg("%s: smallest text %.1f px", name,
		         minfont * px_w / cw);
	unlink(vt_in_dir("slide.png"));
	unlink(vt_in_dir("slide.svg"));
}

/* A small diagram on a 16:9 and a 4:3 slide: the slide, legible. */
static void
test_slide_small(void **state)
{
	(void)state;
	run_scenario("rendezvous.xml", "rv");
	check_slide("rv", "16:9", 1920, 1080, NULL, NULL, NULL, NULL);
	check_slide("rv", "4:3", 1440, 1080, NULL, NULL, NULL, NULL);
}

/*
 * pipe-words, whose text was 7 px at --size 16,9: whole, it needs more
 * room than a slide has at 14 px (ten lanes, fifty rows), so it is
 * refused, exit 2, with windows named and nothing written; the first
 * window named is a 1920x1080 PNG with text at least 14 px high.
 */
static void
test_slide_pipe_words(void **state)
{
	char from[32], to[32], *out, *p;
	long a, b;
	struct stat st;

	(void)state;
	run_scenario("lecture/pipe-words.xml", "pw");
	assert_int_equal(render("pw", "pw.png", "--slide", "16:9", NULL, NULL,
	                        NULL, NULL),
	                 2);
	assert_int_not_equal(stat(vt_in_dir("pw.png"), &st), 0);
	out = vt_slurp(vt_in_dir("render.out"));
	assert_non_null(strstr(out, "does not fit a 1920x1080 slide"));
	assert_non_null(p = strstr(out, "--from "));
	assert_int_equal(sscanf(p, "--from %ld --to %ld", &a, &b), 2);
	assert_non_null(strstr(p + 1, "--from "));
	free(out);
	assert_true(a >= 0 && b > a);
	snprintf(from, sizeof(from), "%ld", a);
	snprintf(to, sizeof(to), "%ld", b);
	check_slide("pw", "16:9", 1920, 1080, "--from", from, "--to", to);
	/* --size 16,9: never below 10 pt text; refused the same way. */
	assert_int_equal(render("pw", "pw.png", "--size", "16,9", NULL, NULL,
	                        NULL, NULL),
	                 2);
	out = vt_slurp(vt_in_dir("render.out"));
	assert_non_null(strstr(out, "with text at least 10 pt high"));
	assert_non_null(strstr(out, "--from "));
	free(out);
	assert_int_not_equal(stat(vt_in_dir("pw.png"), &st), 0);
}

/*
 * A PNG taller than a cairo bitmap (pipe-words at 1200 dpi: 37,000
 * pixels), which Graphviz shrinks with exit 0: refused, exit 2, naming
 * --from/--to and --slide, nothing written; the same as SVG is drawn.
 */
static void
test_too_large_png(void **state)
{
	struct stat st;
	char *out;

	(void)state;
	run_scenario("lecture/pipe-words.xml", "big");
	assert_int_equal(render("big", "big.png", "--dpi", "1200", NULL, NULL,
	                        NULL, NULL),
	                 2);
	assert_int_not_equal(stat(vt_in_dir("big.png"), &st), 0);
	out = vt_slurp(vt_in_dir("render.out"));
	assert_non_null(strstr(out, "more than a bitmap can be"));
	assert_non_null(strstr(out, "--from N --to M"));
	assert_non_null(strstr(out, "--slide 16:9"));
	free(out);
	assert_int_equal(render("big", "big.svg", "--dpi", "1200", NULL, NULL,
	                        NULL, NULL),
	                 0);
	unlink(vt_in_dir("big.svg"));
}

/* --slide's words and outputs: a bad aspect, .html, --size too. */
static void
test_slide_usage(void **state)
{
	char *out;

	(void)state;
	run_scenario("rendezvous.xml", "use");
	assert_int_equal(render("use", "u.png", "--slide", "16:10", NULL, NULL,
	                        NULL, NULL),
	                 2);
	out = vt_slurp(vt_in_dir("render.out"));
	assert_non_null(strstr(out, "16:9 or 4:3"));
	free(out);
	assert_int_equal(render("use", "u.html", "--slide", "16:9", NULL, NULL,
	                        NULL, NULL),
	                 2);
	assert_int_equal(render("use", "u.png", "--slide", "16:9", "--size",
	                        "16,9", NULL, NULL),
	                 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_slide_small),
	        cmocka_unit_test(test_slide_pipe_words),
	        cmocka_unit_test(test_too_large_png),
	        cmocka_unit_test(test_slide_usage),
	};

	return cmocka_run_group_tests(tests, vt_setup, vt_teardown);
}
