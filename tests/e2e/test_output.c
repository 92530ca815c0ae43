/*
 * End-to-end tests of what the commands print: run --json and check
 * --json (parsed, their fields checked against the run and the exit
 * status), explore --top and its expectation lines, counts with their
 * plural, and the diagram's outcome line when an expectation failed.
 */
#include <sys/stat.h>

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

#include "e2e.h"

#define RENDEZVOUS "scenarios/rendezvous.xml"
#define DEADLOCK   "scenarios/deadlock-order.xml"
#define UNSYNC     "scenarios/unsync-writers.xml"

/* One process prints A1; the output must be B1 and a newline: fails. */
static const char fail_xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<scenario name=\"fail\" version=\"1\">\n"
        "  <process name=\"A\">\n"
        "    <print>A1</print>\n"
        "  </process>\n"
        "  <expect>\n"
        "    <output matches=\"^B1&#10;$\"/>\n" /* line 7 */
        "    <deadlock when=\"never\"/>\n"
        "  </expect>\n"
        "</scenario>\n";

/* A kills itself with SIGTERM after printing A1: a crash. No <expect>:
 * check warns. */
static const char crash_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<scenario name=\"crash\" version=\"1\">\n"
                                "  <process name=\"A\">\n"
                                "    <print>A1</print>\n"
                                "    <kill process=\"A\" signal=\"TERM\"/>\n"
                                "    <print>A2</print>\n"
                                "  </process>\n"
                                "</scenario>\n";

/* No version attribute: not valid (line 1). */
static const char bad_xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<scenario name=\"bad\">\n"
                              "  <process name=\"A\"><print>x</print>"
                              "</process>\n"
                              "</scenario>\n";

struct fixture {
	char *dir;
};

/* A directory for the test's files. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->dir = e2e_tempdir()) == NULL)
		return -1;
	if (chdir(LK_SOURCE_DIR) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	e2e_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Write text into dir/name; the path, malloc'd. */
static char *
put_file(const char *dir, const char *name, const char *text)
{
	char *path = e2e_write_file(dir, name, text);

	assert_non_null(path);
	return path;
}

/* The run ended with status, left nothing in /dev/shm, in time. */
static void
expect_exit(const struct e2e_result *r, int status)
{
	if (r->timed_out)
		fail_msg("lockstep ran longer than %d s", E2E_TIMEOUT_S);
	if (r->status != status)
		fail_msg("exit status %d, expected %d\n--- stdout:\n%s\n"
		         "--- stderr:\n%s",
		         r->status, status, r->out, r->err);
	if (r->leftovers != 0)
		fail_msg("the run left %d objects in /dev/shm", r->leftovers);
}

/* stdout as one JSON object, nothing else on it. */
static json_t *
parse(const struct e2e_result *r)
{
	json_error_t err;
	json_t *j = json_loadb(r->out, r->outlen, 0, &err);

	if (j == NULL || !json_is_object(j))
		fail_msg("stdout is not one JSON object (%s, line %d):\n%s",
		         err.text, err.line, r->out);
	return j;
}

/* Member k of o, which must be there. */
static json_t *
member(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		fail_msg("no member \"%s\"", k);
	return v;
}

/* Member k of o as a string. */
static const char *
str(const json_t *o, const char *k)
{
	json_t *v = member(o, k);

	if (!json_is_string(v))
		fail_msg("member \"%s\" is not a string", k);
	return json_string_value(v);
}

/* Member k of o as an integer. */
static json_int_t
num(const json_t *o, const char *k)
{
	json_t *v = member(o, k);

	if (!json_is_integer(v))
		fail_msg("member \"%s\" is not an integer", k);
	return json_integer_value(v);
}

/* How many lines of text start with prefix. */
static int
lines_starting(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *s = text; s != NULL && *s;) {
		n += strncmp(s, prefix, strlen(prefix)) == 0;
		s = strchr(s, '\n');
		s = s != NULL ? s + 1 : NULL;
	}
	return n;
}

/* run --json of a passing run: exit 0, stdout one object whose steps
 * are the trace's events, expectations with text, line and held, and
 * the files it wrote named. */
static void
test_run_json_passing(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "t.jsonl");
	char *sched = e2e_path(f->dir, "s.sched");
	struct e2e_result r;
	json_t *j, *x, *ev;

	E2E_LOCKSTEP(&r, "run", RENDEZVOUS, "--json", "--seed", "3", "--trace",
	             trace, "--save-schedule", sched);
	expect_exit(&r, 0);
	j = parse(&r);
	assert_string_equal(str(j, "scenario"), "rendezvous");
	assert_string_equal(str(j, "outcome"), "done");
	assert_string_equal(str(j, "strategy"), "random");
	assert_int_equal(num(j, "seed"), 3);
	assert_int_equal(num(j, "exit_status"), 0);
	ev = e2e_trace_load(trace);
	assert_non_null(ev);
	assert_int_equal(num(j, "steps"), (json_int_t)json_array_size(ev) - 1);
	json_decref(ev);
	assert_int_equal(json_array_size(member(j, "processes")), 2);
	assert_int_equal(strlen(str(j, "output")), 12); /* 4 lines of 2 */
	x = member(j, "expectations");
	assert_int_equal(json_array_size(x), 3);
	assert_string_equal(str(json_array_get(x, 0), "text"),
	                    "\"A1\" printed before \"B2\"");
	assert_int_equal(num(json_array_get(x, 0), "line"), 20);
	assert_true(json_is_true(member(json_array_get(x, 0), "held")));
	assert_string_equal(str(json_array_get(x, 2), "when"), "never");
	assert_true(json_is_false(member(json_array_get(x, 2), "held")));
	assert_true(json_is_true(member(json_array_get(x, 2), "passed")));
	assert_int_equal(num(j, "failed"), 0);
	assert_true(json_is_array(member(j, "races")));
	assert_true(json_is_null(member(j, "deadlock")));
	assert_int_equal(json_array_size(member(j, "crashes")), 0);
	assert_string_equal(str(member(j, "files"), "trace"), trace);
	assert_string_equal(str(member(j, "files"), "schedule"), sched);
	assert_true(json_is_null(member(member(j, "files"), "diagram")));
	assert_int_equal(r.errlen, 0);
	json_decref(j);
	e2e_result_free(&r);
	free(trace);
	free(sched);
}

/* run --json of a failed expectation: exit 1, the expectation's text
 * with its newline escaped, held and passed false; the text report too
 * shows it on one line, and the diagram's outcome line names it. */
static void
test_run_json_expectation_failed(void **state)
{
	struct fixture *f = *state;
	char *xml = put_file(f->dir, "fail.xml", fail_xml);
	char *dot = e2e_path(f->dir, "d.dot");
	char *trace = e2e_path(f->dir, "t.jsonl");
	char *text;
	struct e2e_result r;
	json_t *j, *x;

	E2E_LOCKSTEP(&r, "run", xml, "--json");
	expect_exit(&r, 1);
	j = parse(&r);
	assert_string_equal(str(j, "outcome"), "done");
	assert_int_equal(num(j, "exit_status"), 1);
	assert_int_equal(num(j, "failed"), 1);
	x = json_array_get(member(j, "expectations"), 0);
	assert_string_equal(str(x, "text"), "output matches /^B1\\n$/");
	assert_int_equal(num(x, "line"), 7);
	assert_true(json_is_false(member(x, "held")));
	assert_true(json_is_false(member(x, "passed")));
	json_decref(j);
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "run", xml, "--diagram", dot, "--trace", trace);
	expect_exit(&r, 1);
	assert_non_null(strstr(r.out, "  FAIL output matches /^B1\\n$/  (line "
	                              "7)\n"));
	assert_non_null(strstr(r.out, ", 1 process, "));
	assert_null(strstr(r.out, "1 processes"));
	e2e_result_free(&r);
	text = e2e_read_file(dot, NULL);
	assert_non_null(text);
	if (strstr(text, "outcome: expectation failed: output matches "
	                 "/^B1\\\\n$/ (line 7)") == NULL ||
	    strstr(text, "outcome: done") != NULL)
		fail_msg("the diagram's outcome line:\n%s", text);
	free(text);
	/* The trace keeps it: a later render draws the same outcome line. */
	remove(dot);
	E2E_LOCKSTEP(&r, "render", trace, "-o", dot);
	expect_exit(&r, 0);
	e2e_result_free(&r);
	text = e2e_read_file(dot, NULL);
	assert_non_null(text);
	if (strstr(text, "outcome: expectation failed: output matches "
	                 "/^B1\\\\n$/ (line 7)") == NULL)
		fail_msg("render's outcome line:\n%s", text);
	free(text);
	free(trace);
	free(dot);
	free(xml);
}

/* run --json of a deadlock: exit 3, the wait-for cycle as process names
 * (the first repeated last), who is blocked on what, and the text. */
static void
test_run_json_deadlock(void **state)
{
	struct e2e_result r;
	json_t *j, *d, *cycle, *blocked;

	(void)state;
	E2E_LOCKSTEP(&r, "run", DEADLOCK, "--json");
	expect_exit(&r, 3);
	j = parse(&r);
	assert_string_equal(str(j, "outcome"), "deadlock");
	assert_int_equal(num(j, "exit_status"), 3);
	d = member(j, "deadlock");
	cycle = member(d, "cycle");
	assert_true(json_array_size(cycle) >= 3);
	assert_string_equal(json_string_value(json_array_get(cycle, 0)),
	                    json_string_value(json_array_get(
	                            cycle, json_array_size(cycle) - 1)));
	blocked = member(d, "blocked");
	assert_int_equal(json_array_size(blocked), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *b = json_array_get(blocked, i);

		assert_string_equal(str(b, "op"), "sem_wait");
		assert_true(strlen(str(b, "on")) > 0);
		assert_non_null(strstr(str(d, "text"), str(b, "proc")));
	}
	assert_non_null(strstr(str(d, "text"), "wait-for cycle: "));
	json_decref(j);
	e2e_result_free(&r);
}

/* run --json of a crash: exit 4, the process, its signal by name and
 * its last event; the message on stderr as without --json. */
static void
test_run_json_crash(void **state)
{
	struct fixture *f = *state;
	char *xml = put_file(f->dir, "crash.xml", crash_xml);
	struct e2e_result r;
	json_t *j, *c;

	E2E_LOCKSTEP(&r, "run", xml, "--json");
	expect_exit(&r, 4);
	j = parse(&r);
	assert_string_equal(str(j, "outcome"), "crash");
	assert_int_equal(num(j, "exit_status"), 4);
	assert_int_equal(json_array_size(member(j, "crashes")), 1);
	c = json_array_get(member(j, "crashes"), 0);
	assert_string_equal(str(c, "proc"), "A");
	assert_string_equal(str(c, "signal"), "SIGTERM");
	assert_string_equal(str(c, "last_event"), "signal SIGTERM");
	assert_non_null(strstr(r.err, "A was killed by signal 15"));
	assert_string_equal(str(j, "output"), "A1\n");
	json_decref(j);
	e2e_result_free(&r);

	/* Both want stdout: refused before anything runs. */
	E2E_LOCKSTEP(&r, "run", xml, "--json", "--trace", "-");
	expect_exit(&r, 2);
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	free(xml);
}

/* check --json: valid only when every file is; each error with its file,
 * line and message; a scenario without <expect> valid, with a warning
 * (on stderr without --json). */
static void
test_check_json(void **state)
{
	struct fixture *f = *state;
	char *bad = put_file(f->dir, "bad.xml", bad_xml);
	char *crash = put_file(f->dir, "crash.xml", crash_xml);
	struct e2e_result r;
	json_t *j, *e, *w;

	E2E_LOCKSTEP(&r, "check", "--json", RENDEZVOUS, bad, crash);
	expect_exit(&r, 2);
	j = parse(&r);
	assert_true(json_is_false(member(j, "valid")));
	assert_int_equal(json_array_size(member(j, "scenarios")), 3);
	assert_true(json_is_true(
	        member(json_array_get(member(j, "scenarios"), 0), "valid")));
	assert_int_equal(
	        num(json_array_get(member(j, "scenarios"), 0), "expectations"),
	        3);
	assert_int_equal(json_array_size(member(j, "errors")), 1);
	e = json_array_get(member(j, "errors"), 0);
	assert_string_equal(str(e, "file"), bad);
	assert_int_equal(num(e, "line"), 2);
	assert_non_null(strstr(str(e, "message"), "version"));
	assert_int_equal(json_array_size(member(j, "warnings")), 1);
	w = json_array_get(member(j, "warnings"), 0);
	assert_string_equal(str(w, "file"), crash);
	assert_non_null(strstr(str(w, "message"), "no <expect>"));
	assert_int_equal(r.errlen, 0);
	json_decref(j);
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "check", "--json", RENDEZVOUS);
	expect_exit(&r, 0);
	j = parse(&r);
	assert_true(json_is_true(member(j, "valid")));
	assert_int_equal(json_array_size(member(j, "errors")), 0);
	json_decref(j);
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "check", crash);
	expect_exit(&r, 0);
	assert_non_null(strstr(r.out, ": ok (1 process, 0 objects, 0 "
	                              "expectations)\n"));
	assert_non_null(strstr(r.err, "lockstep: warning: "));
	e2e_result_free(&r);
	free(bad);
	free(crash);
}

/* explore --top 3 of random runs: three outcomes shown, the ones most
 * runs reached, and one line counting the rest and their runs, as
 * --json (every outcome) says; expectation lines give their text. */
static void
test_explore_top(void **state)
{
	struct e2e_result r;
	json_t *j, *outs;
	size_t n;
	json_int_t runs = 0;
	char want[160];

	(void)state;
	E2E_LOCKSTEP(&r, "explore", UNSYNC, "--strategy", "random", "--runs",
	             "12", "--json");
	expect_exit(&r, 0);
	j = parse(&r);
	outs = member(j, "outcomes");
	n = json_array_size(outs);
	/* Five writers, 50 characters: runs rarely meet the same outcome. */
	assert_true(n > 3);
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "explore", UNSYNC, "--strategy", "random", "--runs",
	             "12", "--top", "3", "-q");
	expect_exit(&r, 0);
	assert_int_equal(lines_starting(r.out, "  #"), 3);
	/* The three most runs reached (the first found on a tie). */
	for (size_t k = 0; k < n; k++) {
		json_int_t c = num(json_array_get(outs, k), "count");
		size_t better = 0;

		for (size_t i = 0; i < n; i++) {
			json_int_t d = num(json_array_get(outs, i), "count");

			better += d > c || (d == c && i < k);
		}
		snprintf(want, sizeof(want), "  #%zu  %lld run", k + 1,
		         (long long)c);
		if ((better < 3) != (strstr(r.out, want) != NULL))
			fail_msg("outcome #%zu (%lld runs) %s shown:\n%s",
			         k + 1, (long long)c,
			         better < 3 ? "not" : "wrongly", r.out);
		if (better >= 3)
			runs += c;
	}
	snprintf(want, sizeof(want),
	         "  \xe2\x80\xa6 and %zu more outcome%s (%lld run%s); --top 0 "
	         "shows all\n",
	         n - 3, n - 3 == 1 ? "" : "s", (long long)runs,
	         runs == 1 ? "" : "s");
	if (strstr(r.out, want) == NULL)
		fail_msg("no line \"%s\" in:\n%s", want, r.out);
	assert_non_null(strstr(r.out, "out matches /^[0-9]{50}$/, held in 12 "
	                              "of 12 runs  (line "));
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "explore", UNSYNC, "--strategy", "random", "--runs",
	             "12", "--top", "0", "-q");
	expect_exit(&r, 0);
	assert_int_equal(lines_starting(r.out, "  #"), (int)n);
	assert_null(strstr(r.out, "--top 0 shows all"));
	e2e_result_free(&r);
	json_decref(j);
}

/* One run is "1 run", not "1 runs": explore of a scenario with a single
 * interleaving. */
static void
test_explore_plural(void **state)
{
	struct fixture *f = *state;
	char *xml = put_file(f->dir, "crash.xml", crash_xml);
	struct e2e_result r;

	E2E_LOCKSTEP(&r, "explore", xml, "-q");
	expect_exit(&r, 4);
	assert_non_null(strstr(r.out, ": dfs, 1 run, complete"));
	assert_non_null(strstr(r.out, "\n1 outcome:\n  #1  1 run\n"));
	assert_null(strstr(r.out, " 1 runs"));
	e2e_result_free(&r);
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_run_json_passing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_run_json_expectation_failed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_run_json_deadlock, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_run_json_crash, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_check_json, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_explore_top, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_explore_plural, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests_name("e2e_output", tests, NULL, NULL);
}
