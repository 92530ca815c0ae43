/*
 * render --frames (issue 19): every frame the same layout (the same
 * canvas, every node at the same place), no outcome before the last
 * frame, no two frames alike, the --frames-max cap refusing with
 * nothing written, and one PDF with a page per frame. Each case runs the
 * real lockstep on shipped scenarios and reads what render wrote: the
 * DOT with Graphviz's own parser (libcgraph), PNG sizes from their
 * headers, the PDF's page objects.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cgraph.h>
#include <cmocka.h>

#include "vizcli.h"

char vt_dir[] = "/tmp/lk-viz-frames-XXXXXX";

/* `lockstep run SCENARIO --trace vt_dir/NAME.jsonl`, which must end with
 * status want. */
static void
run_scenario(const char *scenario, const char *name, int want)
{
	char trace[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                (char *)scenario,
	                (char *)"--trace",
	                trace,
	                NULL};
	int rc;

	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	rc = vt_run(argv, vt_in_dir("run.out"));
	if (rc != want)
		fail_msg("lockstep run %s: status %d, not %d", scenario, rc,
		         want);
}

/* `lockstep render vt_dir/NAME.jsonl --frames vt_dir/DEST [a] [b] [c] [d]`:
 * its status; what it printed into vt_dir/render.out. */
static int
render_frames(const char *name, const char *dest, const char *a, const char *b,
              const char *c, const char *d)
{
	char trace[1280], out[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"render",
	                trace,
	                (char *)"--frames",
	                out,
	                (char *)a,
	                (char *)b,
	                (char *)c,
	                (char *)d,
	                NULL};

	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	snprintf(out, sizeof(out), "%s/%s", vt_dir, dest);
	return vt_run(argv, vt_in_dir("render.out"));
}

/* The number render said it wrote ("21 frames in ..."). */
static long
frames_said(void)
{
	char *out = vt_slurp(vt_in_dir("render.out"));
	long n = strtol(out, NULL, 10);

	if (strstr(out, " frame") == NULL)
		fail_msg("render said: %s", out);
	free(out);
	return n;
}

/* vt_dir/DEST/frame-000K.EXT */
static const char *
frame_path(const char *dest, long k, const char *ext)
{
	static char p[1400];

	snprintf(p, sizeof(p), "%s/%s/frame-%04ld.%s", vt_dir, dest, k, ext);
	return p;
}

/* Frame k of vt_dir/DEST in DOT, read by libcgraph. */
static Agraph_t *
read_frame(const char *dest, long k)
{
	const char *path = frame_path(dest, k, "dot");
	FILE *f = fopen(path, "r");
	Agraph_t *g;

	if (f == NULL)
		fail_msg("no frame %s", path);
	g = agread(f, NULL);
	fclose(f);
	if (g == NULL)
		fail_msg("%s does not parse as DOT", path);
	return g;
}

/* Whether node name of g is drawn (there, not invisible). */
static int
shown(Agraph_t *g, const char *name)
{
	Agnode_t *n = agnode(g, (char *)name, 0);

	return n != NULL && strstr(vt_attr(n, "style"), "invis") == NULL;
}

/* The step an event node stands for ("ev:STEP"), or -1 (a box). */
static long
node_step(Agnode_t *n)
{
	long s;

	return sscanf(agnameof(n), "ev:%ld", &s) == 1 ? s : -1;
}

/*
 * pipe-hang (a deadlock) as DOT frames: as many as render says, each
 * with the final picture's canvas and every node where frame 1 has it;
 * frame k shows "step S of N", S rising; an arrow shows only when both
 * its ends have happened; the outcome and the caption only on the last
 * frame; no two frames alike.
 */
static void
test_frames_one_layout(void **state)
{
	Agraph_t *first, *g;
	long n, prev = -1, last = 0;
	char *before = NULL;

	(void)state;
	run_scenario("scenarios/lecture/pipe-hang.xml", "ph", 3);
	assert_int_equal(render_frames("ph", "ph-dot", "--frames-format", "dot",
	                               NULL, NULL),
	                 0);
	n = frames_said();
	assert_true(n >= 10);
	assert_int_equal(access(frame_path("ph-dot", n + 1, "dot"), F_OK), -1);
	first = read_frame("ph-dot", 1);
	assert_true(agnnodes(first) > 20);
	for (long k = 1; k <= n; k++) {
		char *text = vt_slurp(frame_path("ph-dot", k, "dot"));
		long s, of;
		int hb = 0, arrows = 0;

		g = read_frame("ph-dot", k);
		/* One layout: the same canvas, the same places. */
		assert_string_equal(vt_attr(g, "bb"), vt_attr(first, "bb"));
		assert_int_equal(agnnodes(g), agnnodes(first));
		for (Agnode_t *a = agfstnode(first); a != NULL;
		     a = agnxtnode(first, a)) {
			Agnode_t *b = agnode(g, agnameof(a), 0);

			if (b == NULL)
				fail_msg("frame %ld lacks node %s", k,
				         agnameof(a));
			assert_string_equal(vt_attr(b, "pos"),
			                    vt_attr(a, "pos"));
		}
		/* What the frame knows: its step, rising. */
		assert_true(shown(g, "frame"));
		if (sscanf(vt_attr(agnode(g, "frame", 0), "label"),
		           "step %ld of %ld", &s, &of) != 2)
			fail_msg("frame %ld: title %s", k,
			         vt_attr(agnode(g, "frame", 0), "label"));
		assert_true(s > prev);
		prev = s;
		last = of;
		/* Arrows only between what has happened. */
		for (Agnode_t *a = agfstnode(g); a != NULL; a = agnxtnode(g, a))
			for (Agedge_t *e = agfstout(g, a); e != NULL;
			     e = agnxtout(g, e)) {
				long t0 = node_step(agtail(e)),
				     t1 = node_step(aghead(e));
				int vis = strstr(vt_attr(e, "style"),
				                 "invis") == NULL;

				if (strncmp(vt_attr(e, "id"), "hb:", 3) != 0)
					continue;
				hb++;
				arrows += vis;
				if (t0 >= 0 && t1 >= 0)
					assert_int_equal(vis,
					                 t0 <= s && t1 <= s);
			}
		assert_true(hb > 0);
		if (k == 1)
			assert_int_equal(arrows, 0);
		/* The outcome only at the end. */
		assert_int_equal(shown(g, "outcome"), k == n);
		assert_int_equal(shown(g, "caption:0"), k == n);
		assert_int_equal(shown(g, "stuck:main"), k == n);
		if (k == n)
			assert_non_null(strstr(
			        vt_attr(agnode(g, "outcome", 0), "label"),
			        "deadlock"));
		/* No two frames alike. */
		if (before != NULL)
			assert_string_not_equal(before, text);
		free(before);
		before = text;
		agclose(g);
		unlink(frame_path("ph-dot", k, "dot"));
	}
	assert_int_equal(prev, last);
	free(before);
	agclose(first);
	rmdir(vt_in_dir("ph-dot"));
}

/* rendezvous as PNG frames: every one of the same size. */
static void
test_frames_png_same_size(void **state)
{
	unsigned w0 = 0, h0 = 0, w, h;
	long n;

	(void)state;
	run_scenario("scenarios/rendezvous.xml", "rv", 0);
	assert_int_equal(render_frames("rv", "rv-png", "--frames-format", "png",
	                               "--dpi", "30"),
	                 0);
	n = frames_said();
	assert_true(n >= 5);
	for (long k = 1; k <= n; k++) {
		vt_png_size(frame_path("rv-png", k, "png"), &w, &h);
		if (k == 1)
			w0 = w, h0 = h;
		assert_int_equal(w, w0);
		assert_int_equal(h, h0);
		unlink(frame_path("rv-png", k, "png"));
	}
	assert_true(w0 > 50 && h0 > 50);
	rmdir(vt_in_dir("rv-png"));
}

/* More frames than --frames-max: status 2, a message naming the way
 * out, and nothing written (no directory, no PDF). */
static void
test_frames_cap(void **state)
{
	struct stat st;
	char *out;

	(void)state;
	run_scenario("scenarios/rendezvous.xml", "cap", 0);
	assert_int_equal(render_frames("cap", "cap-dir", "--frames-max", "3",
	                               NULL, NULL),
	                 2);
	out = vt_slurp(vt_in_dir("render.out"));
	assert_non_null(strstr(out, "more than --frames-max 3"));
	assert_non_null(strstr(out, "--from"));
	assert_non_null(strstr(out, "--to"));
	free(out);
	assert_int_equal(stat(vt_in_dir("cap-dir"), &st), -1);
	assert_int_equal(render_frames("cap", "cap.pdf", "--frames-max", "3",
	                               NULL, NULL),
	                 2);
	assert_int_equal(stat(vt_in_dir("cap.pdf"), &st), -1);
	/* dot would lay out each frame anew: refused. */
	assert_int_equal(
	        render_frames("cap", "cap-dot", "--engine", "dot", NULL, NULL),
	        2);
	assert_int_equal(stat(vt_in_dir("cap-dot"), &st), -1);
	/* A window within the cap is drawn. */
	assert_int_equal(render_frames("cap", "cap-win", "--frames-max", "3",
	                               "--to", "2"),
	                 0);
	assert_true(frames_said() <= 3);
	for (long k = 1; k <= 3; k++)
		unlink(frame_path("cap-win", k, "svg"));
	assert_int_equal(rmdir(vt_in_dir("cap-win")), 0);
}

/* --frames FILE.pdf: one PDF, a page per frame. */
static void
test_frames_pdf(void **state)
{
	char *pdf;
	long n, pages = 0;
	struct stat st;

	(void)state;
	run_scenario("scenarios/lecture/pipe-hang.xml", "pdf", 3);
	assert_int_equal(
	        render_frames("pdf", "pdf.pdf", NULL, NULL, NULL, NULL), 0);
	n = frames_said();
	assert_int_equal(stat(vt_in_dir("pdf.pdf"), &st), 0);
	pdf = malloc((size_t)st.st_size + 1);
	assert_non_null(pdf);
	{
		FILE *f = fopen(vt_in_dir("pdf.pdf"), "rb");

		assert_non_null(f);
		assert_int_equal(fread(pdf, 1, (size_t)st.st_size, f),
		                 (size_t)st.st_size);
		fclose(f);
	}
	assert_memory_equal(pdf, "%PDF-", 5);
	for (off_t i = 0; i + 12 < st.st_size; i++)
		if (memcmp(pdf + i, "/Type /Page", 11) == 0 &&
		    pdf[i + 11] != 's')
			pages++;
	assert_int_equal(pages, n);
	/* The page tree says so too. */
	{
		char want[64];
		int found = 0;

		snprintf(want, sizeof(want), "/Count %ld\n", n);
		for (off_t i = 0; i + 16 < st.st_size && !found; i++)
			found = memcmp(pdf + i, want, strlen(want)) == 0;
		assert_true(found);
	}
	free(pdf);
	/* The same frames as a directory: as many. */
	assert_int_equal(
	        render_frames("pdf", "pdf-svg", NULL, NULL, NULL, NULL), 0);
	assert_int_equal(frames_said(), n);
	for (long k = 1; k <= n; k++)
		unlink(frame_path("pdf-svg", k, "svg"));
	rmdir(vt_in_dir("pdf-svg"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_frames_one_layout),
	        cmocka_unit_test(test_frames_png_same_size),
	        cmocka_unit_test(test_frames_cap),
	        cmocka_unit_test(test_frames_pdf),
	};

	return cmocka_run_group_tests(tests, vt_setup, vt_teardown);
}
