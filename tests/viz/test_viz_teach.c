/*
 * Diagrams that teach (issue 19): the races run reports drawn between
 * exactly their two accesses, a deadlock's wait-for arrows and the
 * terminal's whole explanation in the caption, and step numbers beside
 * the events. Each case runs the real lockstep (run, explore, replay,
 * render) on shipped scenarios and reads the DOT that render writes with
 * Graphviz's own parser (libcgraph); what is expected comes from the
 * terminal's words and the trace's own steps, not from viz.
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

char vt_dir[] = "/tmp/lk-viz-teach-XXXXXX";

/*
 * `lockstep run SCENARIO --seed SEED --trace vt_dir/NAME.jsonl`, what it
 * printed into vt_dir/NAME.out; its status must be want. The terminal's
 * text, which the caller frees.
 */
static char *
run_scenario(const char *scenario, const char *seed, const char *name, int want)
{
	char trace[1280], out[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                (char *)scenario,
	                (char *)"--seed",
	                (char *)seed,
	                (char *)"--trace",
	                trace,
	                NULL};
	int rc;

	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	snprintf(out, sizeof(out), "%s/%s.out", vt_dir, name);
	rc = vt_run(argv, out);
	if (rc != want)
		fail_msg("lockstep run %s --seed %s: status %d, not %d",
		         scenario, seed, rc, want);
	return vt_slurp(out);
}

/* `lockstep render vt_dir/NAME.jsonl -o vt_dir/NAME.dot [opt]`, which must
 * succeed; the graph it wrote, read by libcgraph. */
static Agraph_t *
render_dot(const char *name, const char *opt)
{
	char trace[1280], dot[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"render",
	                trace,
	                (char *)"-o",
	                dot,
	                (char *)opt,
	                NULL};
	Agraph_t *g;
	FILE *f;

	snprintf(trace, sizeof(trace), "%s/%s.jsonl", vt_dir, name);
	snprintf(dot, sizeof(dot), "%s/%s%s.dot", vt_dir, name, opt ? opt : "");
	assert_int_equal(vt_run(argv, vt_in_dir("render.out")), 0);
	f = fopen(dot, "r");
	assert_non_null(f);
	g = agread(f, NULL);
	fclose(f);
	if (g == NULL)
		fail_msg("%s does not parse as DOT", dot);
	return g;
}

/* Whether the space-separated list cls holds word. */
static int
has_class(const char *cls, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cls; (p = strstr(p, word)) != NULL; p += n)
		if ((p == cls || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

/* The y of node name in g (Graphviz's: growing upwards). */
static double
node_y(Agraph_t *g, const char *name)
{
	Agnode_t *n = agnode(g, (char *)name, 0);
	double x, y;

	if (n == NULL)
		fail_msg("no node %s", name);
	if (sscanf(vt_attr(n, "pos"), "%lf,%lf", &x, &y) != 2)
		fail_msg("node %s has no position", name);
	return y;
}

/* The steps of each race the terminal printed ("... step 5) and ...
 * step 7) ..."), into a[] and b[]; how many. */
static size_t
terminal_races(const char *out, long *a, long *b, size_t max)
{
	size_t n = 0;

	for (const char *p = out;
	     (p = strstr(p, "  race on ")) != NULL && n < max; p++) {
		const char *s1 = strstr(p, "step "), *s2;

		assert_non_null(s1);
		s2 = strstr(s1 + 5, "step ");
		assert_non_null(s2);
		a[n] = strtol(s1 + 5, NULL, 10);
		b[n] = strtol(s2 + 5, NULL, 10);
		n++;
	}
	return n;
}

/*
 * The races of shm-race and file-offset (seed 3): one race mark per race
 * the terminal printed, between exactly its two events, the second drawn
 * lower; "race on NAME" at it; the legend says what it is. A race-free
 * run has neither.
 */
static void
test_teach_races(void **state)
{
	static const struct {
		const char *scenario, *name;
		size_t races;
	} cases[] = {
	        {"scenarios/lecture/shm-race.xml", "shm-race", 3},
	        {"scenarios/lecture/file-offset.xml", "file-offset", 1},
	        {"scenarios/rendezvous.xml", "rendezvous", 0},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *out =
		        run_scenario(cases[c].scenario, "3", cases[c].name, 0);
		long a[16], b[16];
		size_t n = terminal_races(out, a, b, 16), drawn = 0, labels = 0;
		Agraph_t *g = render_dot(cases[c].name, NULL);

		assert_int_equal(n, cases[c].races);
		for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v)) {
			for (Agedge_t *e = agfstout(g, v); e;
			     e = agnxtout(g, e)) {
				char ta[32], tb[32];
				size_t k;

				if (!has_class(vt_attr(e, "class"), "race"))
					continue;
				drawn++;
				for (k = 0; k < n; k++) {
					snprintf(ta, sizeof(ta), "ev:%ld",
					         a[k]);
					snprintf(tb, sizeof(tb), "ev:%ld",
					         b[k]);
					if (strcmp(agnameof(agtail(e)), ta) ==
					            0 &&
					    strcmp(agnameof(aghead(e)), tb) ==
					            0)
						break;
				}
				if (k == n)
					fail_msg("%s: a race mark %s -- %s "
					         "that run did not report",
					         cases[c].name,
					         agnameof(agtail(e)),
					         agnameof(aghead(e)));
				assert_true(node_y(g, ta) > node_y(g, tb));
				assert_string_equal(vt_attr(e, "dir"), "none");
			}
			if (has_class(vt_attr(v, "class"), "race-label")) {
				assert_non_null(strstr(vt_attr(v, "label"),
				                       "race on "));
				labels++;
			}
		}
		assert_int_equal(drawn, n);
		assert_int_equal(labels, n);
		if (n > 0)
			assert_non_null(agnode(g, (char *)"legend:race:a", 0));
		else
			assert_null(agnode(g, (char *)"legend:race:a", 0));
		agclose(g);
		free(out);
	}
	/* The race on a of shm-race says so. */
	{
		char *dot = vt_slurp(vt_in_dir("shm-race.dot"));

		assert_non_null(strstr(dot, "race on a"));
		free(dot);
	}
}

/* Run lockstep with args (NULL-terminated, after the binary) from
 * LK_SOURCE_DIR, its output into vt_dir/NAME.out; its status must be want.
 * What it printed, which the caller frees. */
static char *
lockstep(const char *name, int want, ...)
{
	char *argv[32] = {(char *)LK_BUILD_DIR "/lockstep"};
	char out[1280];
	size_t n = 1;
	va_list ap;
	int rc;

	va_start(ap, want);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	snprintf(out, sizeof(out), "%s/%s.out", vt_dir, name);
	rc = vt_run(argv, out);
	if (rc != want)
		fail_msg("lockstep %s ...: status %d, not %d", argv[1], rc,
		         want);
	return vt_slurp(out);
}

/* The deadlock's explanation the terminal printed: the lines after
 * "deadlock: no process can go on", up to the blank line. */
static char *
terminal_why(const char *out)
{
	const char *p = strstr(out, "deadlock: no process can go on\n"), *e;

	assert_non_null(p);
	p += strlen("deadlock: no process can go on\n");
	e = strstr(p, "\n\n");
	assert_non_null(e);
	return strndup(p, (size_t)(e - p) + 1);
}

/* The caption of g, its lines in order (the "title" texts whose id
 * starts "caption:"), one a line, without Graphviz's "\l". */
static char *
caption_text(Agraph_t *g)
{
	char *text = calloc(1, 1);
	size_t len = 0;

	for (int k = 0; k < 64; k++) {
		char id[32];
		const char *l;
		Agnode_t *v;
		size_t m;

		snprintf(id, sizeof(id), "caption:%d", k);
		if ((v = agnode(g, id, 0)) == NULL &&
		    (k == 0 ||
		     (v = agnode(g, (char *)"caption:cycle", 0)) == NULL))
			break;
		l = vt_attr(v, "label");
		m = strlen(l);
		if (m >= 2 && strcmp(l + m - 2, "\\l") == 0)
			m -= 2;
		text = realloc(text, len + m + 2);
		memcpy(text + len, l, m);
		len += m;
		text[len++] = '\n';
		text[len] = '\0';
		if (strcmp(agnameof(v), "caption:cycle") == 0)
			break;
	}
	return text;
}

/* The wait-for arrows of g, "TAIL P>Q" each (from TAIL, P's stuck call,
 * to Q), sorted, one a line. */
static char *
waitfor_arrows(Agraph_t *g)
{
	char *lines[64], *text;
	size_t n = 0, len = 0;

	for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v))
		for (Agedge_t *e = agfstout(g, v); e; e = agnxtout(g, e)) {
			const char *id = vt_attr(e, "id");
			char buf[256];

			if (!has_class(vt_attr(e, "class"), "waitfor"))
				continue;
			assert_true(n < 64);
			assert_string_equal(vt_attr(e, "constraint"), "false");
			/* id "waitfor:P:Q": "TAIL P>Q" */
			assert_int_equal(strncmp(id, "waitfor:", 8), 0);
			assert_non_null(strchr(id + 8, ':'));
			snprintf(buf, sizeof(buf), "%s %.*s>%s",
			         agnameof(agtail(e)),
			         (int)(strchr(id + 8, ':') - (id + 8)), id + 8,
			         strchr(id + 8, ':') + 1);
			lines[n++] = strdup(buf);
		}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(lines[j], lines[i]) < 0) {
				char *x = lines[i];

				lines[i] = lines[j];
				lines[j] = x;
			}
	text = calloc(1, 1);
	for (size_t i = 0; i < n; i++) {
		text = realloc(text, len + strlen(lines[i]) + 2);
		len += (size_t)sprintf(text + len, "%s\n", lines[i]);
		free(lines[i]);
	}
	return text;
}

/* The caption's text without the semaphores' values the terminal adds
 * (" (0)"): a trace file does not keep them. */
static void
drop_values(char *s)
{
	char *p;

	while ((p = strstr(s, " (")) != NULL && p[2] >= '0' && p[2] <= '9' &&
	       strchr(p, ')') != NULL)
		memmove(p, strchr(p, ')') + 1, strlen(strchr(p, ')') + 1) + 1);
}

/*
 * deadlock-order (seed 1): run --diagram's caption is the terminal's
 * explanation word for word ("deadlock: " before it); render of the
 * trace file says the same but for the semaphores' values, which a file
 * does not keep; the wait-for arrows go from each stuck wait to the
 * other, A's wait (step 7 or 6) to B and B's to A, nothing else.
 */
static void
test_teach_cycle_deadlock_order(void **state)
{
	char *out, *why, *cap, *arrows, want[2048];
	Agraph_t *g;
	FILE *f;

	(void)state;
	out = lockstep("do-run", 3, "run", "scenarios/deadlock-order.xml",
	               "--seed", "1", "--trace", vt_in_dir("do.jsonl"),
	               "--diagram", vt_in_dir("do-run.dot"), NULL);
	why = terminal_why(out);
	assert_non_null(strstr(why, "which only B posts"));
	snprintf(want, sizeof(want), "deadlock: %s", why);
	f = fopen(vt_in_dir("do-run.dot"), "r");
	assert_non_null(f);
	g = agread(f, NULL);
	fclose(f);
	assert_non_null(g);
	cap = caption_text(g);
	assert_string_equal(cap, want);
	arrows = waitfor_arrows(g);
	/* A and B each block in their second wait: steps from the
	 * terminal's interleaving. */
	{
		char a[64], b[64], expect[256];
		const char *pa = strstr(out, "wait b_arrived (blocked)");
		const char *pb = strstr(out, "wait a_arrived (blocked)");

		assert_non_null(pa);
		assert_non_null(pb);
		while (pa > out && pa[-1] != '\n')
			pa--;
		while (pb > out && pb[-1] != '\n')
			pb--;
		snprintf(a, sizeof(a), "ev:%ld A>B", strtol(pa, NULL, 10));
		snprintf(b, sizeof(b), "ev:%ld B>A", strtol(pb, NULL, 10));
		snprintf(expect, sizeof(expect), "%s\n%s\n",
		         strcmp(a, b) < 0 ? a : b, strcmp(a, b) < 0 ? b : a);
		assert_string_equal(arrows, expect);
	}
	assert_non_null(agnode(g, (char *)"legend:waitfor:a", 0));
	free(cap);
	free(arrows);
	agclose(g);

	/* render of the trace file */
	g = render_dot("do", NULL);
	cap = caption_text(g);
	drop_values(want);
	assert_string_equal(cap, want);
	free(cap);
	agclose(g);
	free(why);
	free(out);
}

/* The diagram at dot, drawn by the run that printed out: its caption is
 * "deadlock: " and all the terminal's explanation; its wait-for arrows
 * hold each of the NULL-terminated arrows (" P>Q\n"); its text says
 * phrase (an arrow's label). */
static void
expect_cycle(const char *out, const char *dot, const char *const arrows[],
             const char *phrase)
{
	char *why = terminal_why(out), *cap, *drawn, *text, want[2048];
	Agraph_t *g;
	FILE *f;

	snprintf(want, sizeof(want), "deadlock: %s", why);
	f = fopen(dot, "r");
	assert_non_null(f);
	g = agread(f, NULL);
	fclose(f);
	assert_non_null(g);
	cap = caption_text(g);
	assert_string_equal(cap, want);
	drawn = waitfor_arrows(g);
	for (size_t i = 0; arrows[i] != NULL; i++)
		assert_non_null(strstr(drawn, arrows[i]));
	text = vt_slurp(dot);
	assert_non_null(strstr(text, phrase));
	free(text);
	free(cap);
	free(drawn);
	free(why);
	agclose(g);
}

/*
 * pipe-hang and the philosophers' deadlock (explore finds it, replay
 * draws it): the caption says all the terminal says (pipe-hang: "its
 * write end is still open in main"); the wait-for arrows close the
 * cycle, each philosopher to the one who posts the fork it waits for.
 */
static void
test_teach_cycle_pipe_philosophers(void **state)
{
	static const char *const ph[] = {" main>wc\n", " wc>main\n", NULL};
	static const char *const phil[] = {" P0>P1\n", " P1>P2\n", " P2>P0\n",
	                                   NULL};
	char *out, *why;

	(void)state;
	out = lockstep("ph-run", 3, "run", "scenarios/lecture/pipe-hang.xml",
	               "--seed", "1", "--diagram", vt_in_dir("ph-run.dot"),
	               NULL);
	why = terminal_why(out);
	assert_non_null(strstr(why, "its write end is still open in main"));
	free(why);
	expect_cycle(out, vt_in_dir("ph-run.dot"), ph,
	             "main holds p's write end");
	free(out);

	free(lockstep("phil-explore", 3, "explore",
	              "scenarios/philosophers.xml", "--max-runs", "300",
	              "--save-schedule", vt_in_dir("phil.sched"), NULL));
	out = lockstep("phil-replay", 3, "replay", vt_in_dir("phil.sched"),
	               "--diagram", vt_in_dir("phil.dot"), NULL);
	expect_cycle(out, vt_in_dir("phil.dot"), phil, "P1 posts fork1");
	free(out);
}

/* The x and y of node name in g. */
static void
node_xy(Agraph_t *g, const char *name, double *x, double *y)
{
	Agnode_t *n = agnode(g, (char *)name, 0);

	if (n == NULL)
		fail_msg("no node %s", name);
	if (sscanf(vt_attr(n, "pos"), "%lf,%lf", x, y) != 2)
		fail_msg("node %s has no position", name);
}

/*
 * Step numbers: every event the terminal's interleaving lists under a
 * step number N and the diagram draws (label:N) has N beside it
 * (step:N, its text N), at its height, between its mark and its label,
 * and the label names the terminal's operation. --row-per-step puts each
 * drawn step in a row of its own, in step order; the default layout
 * shares rows.
 */
static void
test_teach_step_numbers(void **state)
{
	char *out = run_scenario("scenarios/rendezvous.xml", "3", "rv", 0);
	Agraph_t *g = render_dot("rv", NULL), *h;
	size_t checked = 0, drawn = 0;
	double ys[256];
	long steps[256];
	int shared = 0;

	(void)state;
	for (char *line = out; line != NULL && *line != '\0';) {
		char *end = strchr(line, '\n'), *words, lname[32], sname[32];
		double xm, ym, xs, ysn, xl, yl;
		long n;

		if (end != NULL)
			*end = '\0';
		n = strtol(line, &words, 10);
		if (words != line && *words == ' ' && strstr(line, "  ")) {
			Agnode_t *lab;

			while (*words == ' ')
				words++;
			snprintf(lname, sizeof(lname), "label:%ld", n);
			snprintf(sname, sizeof(sname), "step:%ld", n);
			if ((lab = agnode(g, lname, 0)) != NULL) {
				char want[32], op[64];

				/* "N\l", or "N\r" at the left */
				snprintf(want, sizeof(want), "%ld\\", n);
				assert_int_equal(
				        strlen(vt_attr(agnode(g, sname, 0),
				                       "label")),
				        strlen(want) + 1);
				assert_int_equal(
				        strncmp(vt_attr(agnode(g, sname, 0),
				                        "label"),
				                want, strlen(want)),
				        0);
				snprintf(want, sizeof(want), "ev:%ld", n);
				node_xy(g, want, &xm, &ym);
				node_xy(g, sname, &xs, &ysn);
				node_xy(g, lname, &xl, &yl);
				assert_true(ysn == yl);
				assert_true(ysn - ym < 10 && ym - ysn < 10);
				assert_true((xm < xs && xs < xl) ||
				            (xl < xs && xs < xm));
				/* The same operation as the terminal's (a
				 * print shows its text in quotes). */
				snprintf(op, sizeof(op), "%.*s",
				         (int)strcspn(words, " "), words);
				if (strcmp(op, "print") == 0)
					snprintf(op, sizeof(op), "\"%s",
					         words + 6);
				assert_int_equal(strncmp(vt_attr(lab, "label"),
				                         op, strlen(op)),
				                 0);
				checked++;
			}
		}
		line = end != NULL ? end + 1 : NULL;
	}
	assert_true(checked >= 6);

	/* The default layout shares rows; --row-per-step does not. */
	for (Agnode_t *v = agfstnode(g); v; v = agnxtnode(g, v)) {
		double x, y;

		if (strncmp(agnameof(v), "ev:", 3) != 0)
			continue;
		node_xy(g, agnameof(v), &x, &y);
		for (size_t k = 0; k < drawn; k++)
			shared |= ys[k] == y;
		assert_true(drawn < 256);
		ys[drawn++] = y;
	}
	assert_true(shared);
	h = render_dot("rv", "--row-per-step");
	drawn = 0;
	for (Agnode_t *v = agfstnode(h); v; v = agnxtnode(h, v)) {
		double x, y;

		if (strncmp(agnameof(v), "ev:", 3) != 0)
			continue;
		node_xy(h, agnameof(v), &x, &y);
		assert_true(drawn < 256);
		steps[drawn] = strtol(agnameof(v) + 3, NULL, 10);
		ys[drawn++] = y;
	}
	assert_true(drawn >= 6);
	for (size_t a = 0; a < drawn; a++)
		for (size_t b = 0; b < drawn; b++)
			if (steps[a] < steps[b] && !(ys[a] > ys[b]))
				fail_msg("--row-per-step: step %ld not above "
				         "step %ld",
				         steps[a], steps[b]);
	agclose(h);
	agclose(g);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_teach_races),
	        cmocka_unit_test(test_teach_cycle_deadlock_order),
	        cmocka_unit_test(test_teach_cycle_pipe_philosophers),
	        cmocka_unit_test(test_teach_step_numbers),
	};

	return cmocka_run_group_tests(tests, vt_setup, vt_teardown);
}
