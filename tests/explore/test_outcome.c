/*
 * What an explore outcome is, end to end with the real lockstep: final
 * cell values are part of it (so a failing <cell> expectation has a
 * failing schedule), a run cut short by Ctrl-C is neither an outcome nor a
 * failure, the schedules --save-dir writes replay from another directory,
 * and a --track-shm program's schedule is followed by run --track-shm
 * --schedule.
 */
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../e2e/e2e.h"
#include "schedule/schedule.h"
#include "trace/trace.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* A deadline that only bounds a failure. */
#define WAIT_LIMIT_S 60.0

/* Two increments of a cell without a lock: 1 or 2 at the end, and the
 * expectation says 2. */
static const char lost_update[] =
        "<scenario name=\"lost-update\" version=\"1\">\n"
        "  <shm name=\"m\"><cell name=\"x\"/></shm>\n"
        "  <process name=\"inc\" count=\"2\">\n"
        "    <attach shm=\"m\"/>\n"
        "    <add cell=\"x\"/>\n"
        "  </process>\n"
        "  <expect><cell name=\"x\" value=\"2\"/></expect>\n"
        "</scenario>\n";

/* Two processes that take turns 10^12 times: no run of it ends while a
 * test waits. Each prints first; the expectations hold in any run that
 * ends (none fails a correct scenario), but a run cut short has not
 * printed "end". */
static const char endless[] =
        "<scenario name=\"endless\" version=\"1\">\n"
        "  <semaphore name=\"s\" value=\"0\"/>\n"
        "  <process name=\"A\"><print>A</print>"
        "<repeat times=\"1000000\"><repeat times=\"1000000\">"
        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></repeat>"
        "<print>end</print></process>\n"
        "  <process name=\"B\"><print>B</print>"
        "<repeat times=\"1000000\"><repeat times=\"1000000\">"
        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></repeat>"
        "</process>\n"
        "  <expect>\n"
        "    <output matches=\"end\"/>\n"
        "    <before first=\"A\" then=\"B\" when=\"sometimes\"/>\n"
        "  </expect>\n"
        "</scenario>\n";

/* Write text to dir/name; the path, malloc'd. */
static char *
put(const char *dir, const char *name, const char *text)
{
	char *p = e2e_path(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return p;
}

/* The JSON summary on r's standard output. */
static json_t *
summary(const struct e2e_result *r)
{
	json_error_t je;
	json_t *j = json_loads(r->out, 0, &je);

	if (j == NULL)
		fail_msg("no JSON summary (%s); stdout:\n%.2000s\nstderr:\n"
		         "%.2000s",
		         je.text, r->out, r->err);
	return j;
}

/* Fail unless r exited with status (and left nothing in /dev/shm). */
static void
expect_status(const struct e2e_result *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d; stdout:\n%.2000s\nstderr:\n"
		         "%.2000s",
		         r->status, status, r->out, r->err);
	assert_int_equal(r->leftovers, 0);
}

/* The outcome of the JSON summary j whose text holds sub, or NULL. */
static json_t *
outcome_with(json_t *j, const char *key, const char *sub)
{
	json_t *a = json_object_get(j, key), *o;
	size_t i;

	json_array_foreach(a, i, o)
	{
		const char *t =
		        json_string_value(json_object_get(o, "outcome"));

		if (t != NULL && strstr(t, sub) != NULL)
			return o;
	}
	return NULL;
}

/*
 * Final cell values are part of the outcome: the lost update gives two
 * outcomes, "cell x: 1" (a failure, the one --save-schedule keeps) and
 * "cell x: 2". Each outcome's schedule replays to its verdict: exit 1 for
 * the first, 0 for the second.
 */
static void
test_outcome_cells(void **state)
{
	char *dir = e2e_tempdir(), *xml = put(dir, "lost.xml", lost_update);
	char *saved = e2e_path(dir, "fail.sched");
	struct e2e_result r;
	json_t *j, *one, *two;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", xml, "--json", "-q", "--save-schedule",
	             saved);
	expect_status(&r, 1);
	j = summary(&r);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 2);
	one = outcome_with(j, "outcomes", "cell x: 1\n");
	two = outcome_with(j, "outcomes", "cell x: 2\n");
	assert_non_null(one);
	assert_non_null(two);
	assert_int_equal(json_array_size(json_object_get(j, "failures")), 1);
	assert_non_null(outcome_with(j, "failures", "cell x: 1\n"));
	for (int k = 0; k < 2; k++) {
		const char *text = json_string_value(
		        json_object_get(k ? two : one, "schedule"));
		char *sched = put(dir, "o.sched", text);
		struct e2e_result rr;

		E2E_LOCKSTEP(&rr, "replay", sched, "-q", "--strict");
		expect_status(&rr, k ? 0 : 1);
		e2e_result_free(&rr);
		free(sched);
	}
	json_decref(j);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "replay", saved, "-q", "--strict");
	expect_status(&r, 1);
	assert_non_null(strstr(r.out, "1 of 1 expectations failed"));
	e2e_result_free(&r);
	free(saved);
	free(xml);
	e2e_rmtree(dir);
	free(dir);
}

#define MAX_AGENTS 64

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Explore the endless scenario with the extra options, as a terminal's
 * foreground job: in a process group of its own, stdout into out. Once a
 * run is demonstrably going (its two agents alive, beside the zygote if
 * there is one), SIGINT goes to the whole group, as Ctrl-C sends it.
 * Returns the wait status.
 */
static int
explore_then_ctrl_c(const char *xml, const char *out, int zygote,
                    const char *jobs, int json)
{
	pid_t pid = fork(), agents[MAX_AGENTS];
	int status, want = zygote ? 3 : 2, n;
	double t0 = now_s();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || dup2(o, 1) < 0 || setpgid(0, 0) != 0)
			_exit(127);
		unsetenv("LD_PRELOAD");
		execl(LOCKSTEP, LOCKSTEP, "explore", xml, "-q", "--max-steps",
		      "100000000", "-j", jobs, zygote ? "-q" : "--no-zygote",
		      json ? "--json" : "-q", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, whoever runs first */
	while ((n = e2e_agents_under(pid, agents, MAX_AGENTS)) < want) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("explore ended (status 0x%x) before a run "
			         "started",
			         status);
		if (now_s() - t0 > WAIT_LIMIT_S)
			fail_msg("no run started in %.0f s", WAIT_LIMIT_S);
		poll(NULL, 0, 5);
	}
	assert_int_equal(kill(-pid, SIGINT), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Every agent of the run went with it (a moment after, at most). */
	t0 = now_s();
	for (int i = 0; i < n && i < MAX_AGENTS; i++)
		while (e2e_is_agent(agents[i]))
			if (now_s() - t0 > WAIT_LIMIT_S)
				fail_msg("agent %d alive after %.0f s",
				         (int)agents[i], WAIT_LIMIT_S);
			else
				poll(NULL, 0, 5);
	return status;
}

/*
 * Ctrl-C in the middle of a run of a correct scenario: the run is not
 * counted (0 runs, no outcome, no failure), the summary says interrupted
 * and incomplete, nothing FAILs (the "sometimes" is open), and lockstep
 * dies of SIGINT (130 in a shell). The same with the zygote and without,
 * with one run at a time and with -j 2, in text and in JSON.
 */
static void
test_outcome_interrupted(void **state)
{
	char *dir = e2e_tempdir(), *xml = put(dir, "endless.xml", endless);
	char *out = e2e_path(dir, "out");
	static const struct {
		int zygote;
		const char *jobs;
		int json;
	} cases[] = {{0, "1", 0}, {1, "1", 1}, {1, "2", 0}, {0, "2", 1}};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		int status = explore_then_ctrl_c(xml, out, cases[k].zygote,
		                                 cases[k].jobs, cases[k].json);
		char *text = e2e_read_file(out, NULL);

		assert_non_null(text);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGINT)
			fail_msg("case %zu: status 0x%x, expected death by "
			         "SIGINT; stdout:\n%s",
			         k, status, text);
		if (cases[k].json) {
			json_error_t je;
			json_t *j = json_loads(text, 0, &je), *x;

			if (j == NULL)
				fail_msg("case %zu: no JSON: %s", k, text);
			assert_int_equal(
			        json_integer_value(json_object_get(j, "runs")),
			        0);
			assert_true(
			        json_is_false(json_object_get(j, "complete")));
			assert_string_equal(
			        json_string_value(json_object_get(j, "bound")),
			        "interrupted");
			assert_int_equal(
			        json_array_size(json_object_get(j, "outcomes")),
			        0);
			assert_int_equal(
			        json_array_size(json_object_get(j, "failures")),
			        0);
			x = json_object_get(j, "expectations");
			assert_true(json_is_true(json_object_get(
			        json_array_get(x, 0), "passed")));
			assert_true(json_is_null(json_object_get(
			        json_array_get(x, 1), "passed")));
			json_decref(j);
		} else {
			if (strstr(text, "0 runs, interrupted, incomplete") ==
			            NULL ||
			    strstr(text, "\n0 outcomes:") == NULL ||
			    strstr(text, "FAIL") != NULL ||
			    strstr(text, "open  \"A\" printed before \"B\" "
			                 "(sometimes), held in 0 of 0 runs "
			                 "(not decided: interrupted)  (line "
			                 "7)\n") == NULL)
				fail_msg("case %zu: stdout:\n%s", k, text);
		}
		free(text);
	}
	assert_int_equal(e2e_shm_leftovers(), 0);
	free(out);
	free(xml);
	e2e_rmtree(dir);
	free(dir);
}

/* The schedules of --save-dir replay from another directory: explore a
 * scenario named by a relative path, then replay each saved outcome from
 * the directory they were saved in. */
static void
test_outcome_save_dir_replays(void **state)
{
	char *dir = e2e_tempdir(), *saved = e2e_path(dir, "outcomes");
	const char *const args[] = {LOCKSTEP, "replay",   "outcome-1.sched",
	                            "-q",     "--strict", NULL};
	struct e2e_result r;
	json_t *j;
	size_t n;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "scenarios/rendezvous.xml", "--json", "-q",
	             "--save-dir", saved);
	expect_status(&r, 0);
	j = summary(&r);
	n = json_array_size(json_object_get(j, "outcomes"));
	assert_true(n > 1);
	json_decref(j);
	e2e_result_free(&r);
	for (size_t i = 1; i <= n; i++) {
		char name[32];
		const char *argv[6];

		memcpy(argv, args, sizeof(argv));
		snprintf(name, sizeof(name), "outcome-%zu.sched", i);
		argv[2] = name;
		e2e_spawn(&r, LOCKSTEP, argv, NULL, saved);
		expect_status(&r, 0);
		e2e_result_free(&r);
	}
	free(saved);
	e2e_rmtree(dir);
	free(dir);
}

/*
 * explore --track-shm of the lost update in plain C, then run
 * --track-shm --schedule of each saved outcome: the schedule, whose
 * cells are named like "shared+0", is read and followed to the same
 * output ("count 2" and the others).
 */
static void
test_outcome_track_shm_replays(void **state)
{
	char *dir = e2e_tempdir(), *saved = e2e_path(dir, "o");
	const char *const explore[] = {
	        LOCKSTEP,     "explore", "--track-shm", "--json",  "-q",
	        "--save-dir", saved,     "--",          SHM_COUNT, NULL};
	struct e2e_result r;
	json_t *j, *o;
	size_t i;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, explore, NULL, NULL);
	expect_status(&r, 0);
	j = summary(&r);
	assert_true(json_array_size(json_object_get(j, "outcomes")) > 1);
	assert_non_null(outcome_with(j, "outcomes", "count 2\n"));
	json_array_foreach(json_object_get(j, "outcomes"), i, o)
	{
		const char *text =
		        json_string_value(json_object_get(o, "outcome"));
		const char *file =
		        json_string_value(json_object_get(o, "schedule_file"));
		const char *const run[] = {
		        LOCKSTEP,   "run",        "--track-shm",
		        "--strict", "--schedule", file,
		        "--",       SHM_COUNT,    NULL};
		const char *count;
		char want[64], *steps;
		struct e2e_result rr;

		assert_non_null(file);
		steps = e2e_read_file(file, NULL);
		assert_non_null(steps);
		assert_non_null(strstr(steps, " shared+0"));
		free(steps);
		count = strstr(text, "count ");
		assert_non_null(count);
		snprintf(want, sizeof(want), "| %.*s",
		         (int)strcspn(count, "\n"), count);
		e2e_spawn(&rr, LOCKSTEP, run, NULL, NULL);
		expect_status(&rr, 0);
		if (strstr(rr.out, want) == NULL)
			fail_msg("%s: no \"%s\" in:\n%s", file, want, rr.out);
		e2e_result_free(&rr);
	}
	json_decref(j);
	e2e_result_free(&r);
	free(saved);
	e2e_rmtree(dir);
	free(dir);
}

/*
 * The schedule format and the names programs give objects: "shared+8"
 * (a --track-shm cell) and any other visible characters read back; a
 * name with a blank is written without the object, so that the file
 * reads back; control characters are refused with the line.
 */
static void
test_outcome_schedule_names(void **state)
{
	static const char text[] = "lockstep-schedule: 1\n"
	                           "scenario: x.xml\n\n"
	                           "main store shared+8\n"
	                           "main load counter+0\n"
	                           "main write caf\xc3\xa9@x+1\n";
	static const char bad[] = "lockstep-schedule: 1\n\nmain load a\x01"
	                          "b\n";
	struct lk_trace *t = lk_trace_new();
	struct lk_schedule *s;
	struct lk_err err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(
	        lk_schedule_parse(text, strlen(text), "n.sched", &s, &err), 0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->steps[0].obj, "shared+8");
	assert_int_equal(s->steps[0].op, lk_op_lookup("store"));
	assert_string_equal(s->steps[1].obj, "counter+0");
	assert_string_equal(s->steps[2].obj, "caf\xc3\xa9@x+1");
	lk_schedule_free(s);
	assert_int_not_equal(
	        lk_schedule_parse(bad, sizeof(bad) - 1, "c.sched", &s, &err),
	        0);
	assert_non_null(strstr(err.msg, "c.sched:3: "));

	/* Written: the blank name goes, the others stay. */
	assert_non_null(t);
	t->nprocs = 1;
	t->procs = calloc(1, sizeof(*t->procs));
	t->nobjs = 2;
	t->objs = calloc(2, sizeof(*t->objs));
	t->nevents = 2;
	t->ev = calloc(2, sizeof(*t->ev));
	assert_true(t->procs && t->objs && t->ev);
	strcpy(t->procs[0].name, "main");
	strcpy(t->objs[0].name, "shared+8");
	strcpy(t->objs[1].name, "my notes.txt");
	t->ev[0].op = lk_op_lookup("store");
	t->ev[0].obj = 0;
	t->ev[1].op = lk_op_lookup("write");
	t->ev[1].obj = 1;
	t->ev[1].step = 1;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(lk_schedule_write(t, "x.xml", NULL, NULL, NULL, f), 0);
	fclose(f);
	assert_int_equal(lk_schedule_parse(buf, len, "w.sched", &s, &err), 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->steps[0].obj, "shared+8");
	assert_string_equal(s->steps[1].obj, "");
	assert_int_equal(s->steps[1].op, lk_op_lookup("write"));
	lk_schedule_free(s);
	free(buf);
	lk_trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_outcome_schedule_names),
	        cmocka_unit_test(test_outcome_cells),
	        cmocka_unit_test(test_outcome_interrupted),
	        cmocka_unit_test(test_outcome_save_dir_replays),
	        cmocka_unit_test(test_outcome_track_shm_replays),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
