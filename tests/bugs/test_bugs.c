/*
 * The bugs of tests/bugs/ found by explore --stop-at-first, end to end
 * with the real lockstep: each by dfs (or else pct) within 1000 runs,
 * with a saved schedule that replays to the same failure; the correct
 * variants of two of them not flagged; -j 2 stopping at -j 1's run; the
 * --junit report, parsed back with libxml2, its replay command run; and
 * the --progress line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../e2e/e2e.h"

#define BUGS   LK_BUILD_DIR "/tests/bugs/bug_"
#define BOUND  "1000"
#define MAXARG 32

/* Run lockstep with the words of args, then -- and the bug program name
 * (with arg, if not NULL); from directory cwd (NULL: the source tree). */
static void
run_bug(struct e2e_result *r, const char *cwd, const char *name,
        const char *arg, const char *const args[])
{
	const char *argv[MAXARG];
	char prog[512];
	size_t n = 0;

	snprintf(prog, sizeof(prog), BUGS "%s", name);
	argv[n++] = LK_BUILD_DIR "/lockstep";
	for (size_t i = 0; args[i] != NULL && n < MAXARG - 4; i++)
		argv[n++] = args[i];
	argv[n++] = "--";
	argv[n++] = prog;
	if (arg != NULL)
		argv[n++] = arg;
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(r, argv[0], argv, NULL, cwd), 0);
	assert_false(r->timed_out);
}

/* The explore --json summary of r, without "seconds". */
static json_t *
summary(const struct e2e_result *r)
{
	json_t *j = json_loads(r->out, 0, NULL);

	if (j == NULL)
		fprintf(stderr, "not JSON:\n%s\n%s\n", r->out, r->err);
	assert_non_null(j);
	json_object_del(j, "seconds");
	return j;
}

/* The options a bug needs, from bugs.list ("-" none): into opt (one
 * option at most). 0, or -1 if name is not listed. */
static int
bug_options(const char *name, char *opt, size_t size)
{
	FILE *f = fopen(LK_SOURCE_DIR "/tests/bugs/bugs.list", "r");
	char line[256], n[128], o[128];
	int found = -1;

	assert_non_null(f);
	while (found < 0 && fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '#' && sscanf(line, "%127s %127s", n, o) == 2 &&
		    strcmp(n, name) == 0) {
			snprintf(opt, size, "%s", strcmp(o, "-") == 0 ? "" : o);
			found = 0;
		}
	fclose(f);
	return found;
}

/* Explore bug name with strategy s and --stop-at-first; 1 if it stopped
 * at a failure within the bound (and then the saved schedule replays to
 * a run that fails the same way), else 0. */
static int
found_by(const char *name, const char *s, const char *dir)
{
	struct e2e_result r, rr;
	char opt[128], sched[600];
	const char *args[MAXARG];
	size_t n = 0;
	json_t *j, *st;
	int found;

	assert_int_equal(bug_options(name, opt, sizeof(opt)), 0);
	snprintf(sched, sizeof(sched), "%s/%s-%s.sched", dir, name, s);
	args[n++] = "explore";
	args[n++] = "--strategy";
	args[n++] = s;
	args[n++] = strcmp(s, "dfs") == 0 ? "--max-runs" : "--runs";
	args[n++] = BOUND;
	args[n++] = "--stop-at-first";
	args[n++] = "--json";
	args[n++] = "--save-schedule";
	args[n++] = sched;
	if (opt[0] != '\0')
		args[n++] = opt;
	args[n] = NULL;
	run_bug(&r, dir, name, NULL, args);
	j = summary(&r);
	st = json_object_get(j, "stopped_at");
	found = json_is_object(st);
	if (found) {
		json_int_t status =
		        json_integer_value(json_object_get(st, "status"));
		const char *rargs[] = {"run", "--schedule", sched,
		                       opt[0] ? opt : NULL, NULL};

		assert_int_equal(r.status, (int)status);
		assert_true(status == 1 || status == 3 || status == 4);
		assert_true(json_integer_value(json_object_get(st, "run")) <=
		            1000);
		/* The saved schedule fails the same way when followed. */
		run_bug(&rr, dir, name, NULL, rargs);
		if (rr.status != (int)status)
			fprintf(stderr, "%s: replay exit %d, explore %d\n%s",
			        name, rr.status, (int)status, rr.out);
		assert_int_equal(rr.status, (int)status);
		e2e_result_free(&rr);
	} else {
		assert_int_equal(r.status, 0);
	}
	json_decref(j);
	e2e_result_free(&r);
	return found;
}

/* Every bug of bugs.list is found by dfs or pct within 1000 runs. */
static void
test_every_bug_found(void **state)
{
	FILE *f = fopen(LK_SOURCE_DIR "/tests/bugs/bugs.list", "r");
	char line[256], name[128], *dir = e2e_tempdir();
	unsigned nbugs = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(dir);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%127s", name) != 1)
			continue;
		nbugs++;
		if (!found_by(name, "dfs", dir) && !found_by(name, "pct", dir))
			fail_msg("%s: found by neither dfs nor pct within "
			         "%s runs",
			         name, BOUND);
	}
	fclose(f);
	assert_true(nbugs >= 15);
	e2e_rmtree(dir);
	free(dir);
}

/* The correct variants of two bugs: every interleaving, nothing flagged. */
static void
test_fixed_not_flagged(void **state)
{
	const char *names[] = {"counter_nolock", "lock_order_sem"};
	const char *args[] = {
	        "explore", "--stop-at-first", "--json", "--max-runs",
	        BOUND,     "--track-shm",     NULL};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct e2e_result r;
		json_t *j;

		run_bug(&r, NULL, names[i], "fixed", args);
		j = summary(&r);
		assert_int_equal(r.status, 0);
		assert_true(json_is_true(json_object_get(j, "complete")));
		assert_true(json_is_null(json_object_get(j, "stopped_at")));
		assert_true(json_integer_value(json_object_get(j, "runs")) > 1);
		json_decref(j);
		e2e_result_free(&r);
	}
}

/*
 * sigchld_steal's bug shows in some runs only, as natively: a waitpid
 * already blocked when the child exits reaps it before the SIGCHLD
 * handler runs (the kernel looks for the child first). Complete dfs
 * finds both outcomes, main 0 and main 1, with and without reduction.
 */
static void
test_sigchld_both_outcomes(void **state)
{
	const char *reduced[] = {"explore", "--json", NULL};
	const char *full[] = {"explore", "--json", "--no-reduction", NULL};
	const char *const *args[] = {reduced, full};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct e2e_result r;
		json_t *j, *outs;
		int ok = 0, bad = 0;

		run_bug(&r, NULL, "sigchld_steal", NULL, args[i]);
		j = summary(&r);
		assert_true(json_is_true(json_object_get(j, "complete")));
		outs = json_object_get(j, "outcomes");
		for (size_t k = 0; k < json_array_size(outs); k++) {
			const char *t = json_string_value(json_object_get(
			        json_array_get(outs, k), "outcome"));

			assert_non_null(t);
			ok += strstr(t, "main=0") != NULL;
			bad += strstr(t, "main=1") != NULL;
		}
		if (ok != 1 || bad != 1)
			fail_msg("%s: %d outcomes with main=0, %d with main=1",
			         i == 0 ? "dfs" : "--no-reduction", ok, bad);
		json_decref(j);
		e2e_result_free(&r);
	}
}

/* -j 2 stops at the run -j 1 stops at, with the same summary. */
static void
test_jobs_same_run(void **state)
{
	const char *cases[][3] = {{"lock_order_fcntl", "dfs", "--max-runs"},
	                          {"file_counter", "pct", "--runs"},
	                          {"lock_order_semop", "random", "--runs"}};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		json_t *one = NULL;

		for (int jobs = 1; jobs <= 3; jobs += 2) {
			struct e2e_result r;
			char js[8];
			const char *args[] = {"explore",   "--strategy",
			                      cases[i][1], cases[i][2],
			                      BOUND,       "--stop-at-first",
			                      "--json",    "-j",
			                      js,          NULL};
			json_t *j;

			snprintf(js, sizeof(js), "%d", jobs);
			run_bug(&r, NULL, cases[i][0], NULL, args);
			j = summary(&r);
			assert_true(json_is_object(
			        json_object_get(j, "stopped_at")));
			assert_true(r.status != 0);
			if (one == NULL) {
				one = j;
			} else {
				if (!json_equal(one, j))
					fail_msg(
					        "%s %s: -j 3 differs from -j 1",
					        cases[i][0], cases[i][1]);
				json_decref(j);
			}
			e2e_result_free(&r);
		}
		json_decref(one);
	}
}

/* An attribute of node as an allocated string (xmlFree). */
static char *
attr(xmlNode *node, const char *name)
{
	return (char *)xmlGetProp(node, (const xmlChar *)name);
}

/* --junit: well-formed, a test case per outcome and expectation, the
 * failures with their schedule file and a replay command that works. */
static void
test_junit(void **state)
{
	char *dir = e2e_tempdir(), *report, *text;
	struct e2e_result r;
	xmlDoc *doc;
	xmlNode *root, *suite;
	unsigned cases = 0, failures = 0, replayed = 0;
	json_t *j;
	size_t noutcomes;

	(void)state;
	assert_non_null(dir);
	report = e2e_path(dir, "report.xml");
	{
		const char *args[] = {"explore", "--json", "--junit", report,
		                      NULL};

		run_bug(&r, dir, "lock_order_sem", NULL, args);
	}
	assert_int_equal(r.status, 3);
	j = summary(&r);
	noutcomes = json_array_size(json_object_get(j, "outcomes"));
	json_decref(j);
	e2e_result_free(&r);
	doc = xmlReadFile(report, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "testsuites");
	for (suite = root->children; suite && suite->type != XML_ELEMENT_NODE;
	     suite = suite->next)
		;
	assert_non_null(suite);
	assert_string_equal((const char *)suite->name, "testsuite");
	for (xmlNode *c = suite->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE ||
		    strcmp((const char *)c->name, "testcase") != 0)
			continue;
		cases++;
		for (xmlNode *f = c->children; f != NULL; f = f->next) {
			char *msg, *cmd, script[8192];
			const char *rp;

			if (f->type != XML_ELEMENT_NODE ||
			    strcmp((const char *)f->name, "failure") != 0)
				continue;
			failures++;
			msg = attr(f, "message");
			assert_non_null(msg);
			rp = strstr(msg, "replay: ");
			if (rp == NULL) { /* an expectation: no schedule */
				xmlFree(msg);
				continue;
			}
			/* The command, with this build's lockstep. */
			cmd = strstr(rp, "lockstep run ");
			assert_non_null(cmd);
			assert_non_null(strstr(cmd, " --schedule "));
			assert_non_null(strstr(cmd, dir));
			snprintf(script, sizeof(script), "PATH=%s:$PATH; %s",
			         LK_BUILD_DIR, cmd);
			{
				const char *argv[] = {"/bin/sh", "-c", script,
				                      NULL};

				assert_int_equal(
				        e2e_spawn(&r, argv[0], argv, NULL, dir),
				        0);
			}
			/* A deadlock replays to a deadlock (3); main's
			 * failing status to 1. */
			assert_true(r.status == 3 || r.status == 1);
			e2e_result_free(&r);
			replayed++;
			xmlFree(msg);
		}
	}
	{
		char *tests = attr(suite, "tests"),
		     *fails = attr(suite, "failures");

		assert_int_equal(atoi(tests), (int)cases);
		assert_int_equal(atoi(fails), (int)failures);
		xmlFree(tests);
		xmlFree(fails);
	}
	/* The outcomes and main's --expect-exit. */
	assert_int_equal(cases, noutcomes + 1);
	assert_true(replayed >= 1);
	xmlFreeDoc(doc);
	text = e2e_read_file(report, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "<?xml version=\"1.0\""));
	free(text);
	free(report);
	e2e_rmtree(dir);
	free(dir);
}

/* A scenario: the summary says where and why it stopped, the exit
 * status is the run's (1: the "always" it broke), and a "sometimes" not
 * seen before the stop is open, not FAIL. */
static void
test_scenario_stop(void **state)
{
	static const char xml[] =
	        "<scenario name=\"lost-update\" version=\"1\">\n"
	        "  <shm name=\"m\"><cell name=\"x\"/></shm>\n"
	        "  <process name=\"inc\" count=\"2\">\n"
	        "    <attach shm=\"m\"/>\n"
	        "    <add cell=\"x\"/>\n"
	        "  </process>\n"
	        "  <expect><cell name=\"x\" value=\"2\"/>\n"
	        "  <cell name=\"x\" value=\"3\" when=\"sometimes\"/>"
	        "</expect>\n"
	        "</scenario>\n";
	char *dir = e2e_tempdir(), *path;
	struct e2e_result r;

	(void)state;
	assert_non_null(dir);
	path = e2e_write_file(dir, "lost.xml", xml);
	assert_non_null(path);
	assert_int_equal(E2E_LOCKSTEP(&r, "explore", path, "--stop-at-first"),
	                 0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "stopped at the first failure, "
	                              "incomplete"));
	assert_non_null(strstr(r.out, "a failed expectation"));
	assert_non_null(strstr(r.out, "  open  "));
	assert_non_null(strstr(r.out, "  FAIL  "));
	e2e_result_free(&r);
	free(path);
	e2e_rmtree(dir);
	free(dir);
}

/* The schedule --junit writes beside its report is never written
 * through a symbolic link planted there (exit 2, the link's target
 * untouched). */
static void
test_junit_no_link(void **state)
{
	char *dir = e2e_tempdir(), *report, *link, *link2, *target;
	const char *args[] = {"explore", "--junit", NULL, NULL};
	struct e2e_result r;

	(void)state;
	assert_non_null(dir);
	report = e2e_path(dir, "r.xml");
	/* Whichever outcome fails first (the bug shows in some runs). */
	link = e2e_path(dir, "r-outcome-1.sched");
	link2 = e2e_path(dir, "r-outcome-2.sched");
	target = e2e_path(dir, "target");
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(symlink(target, link2), 0);
	args[2] = report;
	run_bug(&r, dir, "sigchld_steal", NULL, args);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "it is a symbolic link"));
	assert_int_equal(access(target, F_OK), -1);
	e2e_result_free(&r);
	free(report);
	free(link);
	free(link2);
	free(target);
	e2e_rmtree(dir);
	free(dir);
}

/* --progress: the line on stderr though it is a pipe, dfs's estimate. */
static void
test_progress(void **state)
{
	const char *args[] = {"explore", "--progress", "--track-shm", NULL};
	struct e2e_result r;

	(void)state;
	run_bug(&r, NULL, "counter_nolock", "fixed", args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "runs/s"));
	assert_non_null(strstr(r.err, "outcome"));
	assert_null(strchr(r.err, '\r'));
	e2e_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_bug_found),
	        cmocka_unit_test(test_fixed_not_flagged),
	        cmocka_unit_test(test_sigchld_both_outcomes),
	        cmocka_unit_test(test_jobs_same_run),
	        cmocka_unit_test(test_junit),
	        cmocka_unit_test(test_progress),
	        cmocka_unit_test(test_scenario_stop),
	        cmocka_unit_test(test_junit_no_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
