/*
 * Schedules and explore, end to end with the real lockstep: replay gives
 * the identical trace, an edited schedule is followed, bad schedules and
 * divergences are reported at their line and step, explore finds the
 * deadlock and the outcomes, DPOR agrees with the exhaustive search, -j 2
 * with -j 1, and merged shards with one whole run. Unit tests of the
 * schedule reader and SHA-256 come first.
 */
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../e2e/e2e.h"
#include "common/sha256.h"
#include "schedule/schedule.h"

static const char *const scenarios[] = {
        "scenarios/rendezvous.xml",
        "scenarios/deadlock-order.xml",
        "scenarios/mutex-writers.xml",
        "scenarios/unsync-writers.xml",
};

/* SHA-256 against the FIPS 180-4 examples. */
static void
test_schedule_sha256_vectors(void **state)
{
	char hex[65], *big;

	(void)state;
	lk_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	                         "27ae41e4649b934ca495991b7852b855");
	lk_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	                         "b00361a396177a9cb410ff61f20015ad");
	lk_sha256_hex(
	        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	        hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
	                         "a33ce45964ff2167f6ecedd419db06c1");
	big = malloc(1000000);
	memset(big, 'a', 1000000);
	lk_sha256_hex(big, 1000000, hex);
	free(big);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
	                         "f1809a48a497200e046d39ccc7112cd0");
}

/* Parse a schedule text; the error message when it fails. */
static int
parse(const char *text, struct lk_schedule **s, char *msg)
{
	struct lk_err err;
	int rc = lk_schedule_parse(text, strlen(text), "t.sched", s, &err);

	if (rc != 0)
		strcpy(msg, err.msg);
	return rc;
}

/* The reader: header, decisions, comments, and every refusal. */
static void
test_schedule_reader(void **state)
{
	struct lk_schedule *s;
	char msg[1024];

	(void)state;
	assert_int_equal(parse("# made by hand\nlockstep-schedule: 1\n"
	                       "scenario: x.xml\nstrategy: random\nseed: 7\n\n"
	                       "A sem_wait b_arrived   # 0: wait\nB\n"
	                       "A.1 write sem#2\n",
	                       &s, msg),
	                 0);
	assert_string_equal(s->scenario, "x.xml");
	assert_int_equal(s->seed, 7);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->steps[0].proc, "A");
	assert_int_equal(s->steps[0].op, LK_OP_SEM_WAIT);
	assert_string_equal(s->steps[0].obj, "b_arrived");
	assert_int_equal(s->steps[1].op, LK_OP_NONE);
	assert_string_equal(s->steps[2].obj, "sem#2");
	assert_int_equal(s->lines[2], 9);
	lk_schedule_free(s);

	assert_int_equal(parse("A\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:1: expected the header"));
	assert_int_equal(parse("lockstep-schedule: 2\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:1:"));
	assert_int_equal(parse("lockstep-schedule: 1\nA sem_frob x\n", &s, msg),
	                 -1);
	assert_non_null(strstr(msg, "t.sched:2: unknown operation 'sem_frob'"));
	assert_int_equal(
	        parse("lockstep-schedule: 1\nA sem_wait x y\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:2: expected 'PROCESS"));
	assert_int_equal(
	        parse("lockstep-schedule: 1\nA\ncolour: red\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:3:"));
	assert_int_equal(parse("lockstep-schedule: 1\nbogus: 1\n", &s, msg),
	                 -1);
	assert_non_null(strstr(msg, "t.sched:2: unknown header 'bogus:'"));
	assert_int_equal(parse("lockstep-schedule: 1\nA$ sem_wait\n", &s, msg),
	                 -1);
	assert_non_null(strstr(msg, "t.sched:2: 'A$' is not a process name"));
	assert_int_equal(parse("lockstep-schedule: 1\nseed: x\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:2: seed 'x'"));
	assert_int_equal(parse("lockstep-schedule: 1\nseed: -1\n", &s, msg),
	                 -1);
	assert_non_null(strstr(msg, "t.sched:2: seed '-1'"));
	assert_int_equal(
	        parse("lockstep-schedule: 1\nA sem_wait b\x01\n", &s, msg), -1);
	assert_non_null(strstr(msg, "t.sched:2:"));
	assert_non_null(strstr(msg, "is not an object name"));
}

/* Run lockstep in directory dir: a program writes its files there. */
#define IN_DIR(r, dir, ...)                                                    \
	e2e_spawn((r), LK_BUILD_DIR "/lockstep",                               \
	          (const char *const[]){LK_BUILD_DIR "/lockstep", __VA_ARGS__, \
	                                NULL},                                 \
	          NULL, (dir))

/* Run lockstep, expecting status; fail with its stderr otherwise. */
static void
expect_status(struct e2e_result *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d; stderr:\n%s", r->status, status,
		         r->err);
	assert_int_equal(r->leftovers, 0);
}

/* Every shipped scenario, 10 seeds: replay gives the identical trace. */
static void
test_schedule_replay_identical(void **state)
{
	char *dir = e2e_tempdir(), seed[16];

	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(*scenarios); i++)
		for (int k = 0; k < 10; k++) {
			char *a = e2e_path(dir, "a.jsonl"),
			     *b = e2e_path(dir, "b.jsonl"),
			     *sc = e2e_path(dir, "s.sched"), *ta, *tb;
			struct e2e_result r;
			size_t la, lb;

			snprintf(seed, sizeof(seed), "%d", k);
			E2E_LOCKSTEP(&r, "run", scenarios[i], "-q", "--seed",
			             seed, "--trace", a, "--save-schedule", sc);
			assert_true(r.status == 0 || r.status == 3);
			e2e_result_free(&r);
			E2E_LOCKSTEP(&r, "replay", sc, "-q", "--trace", b,
			             "--strict");
			assert_true(r.status == 0 || r.status == 3);
			assert_int_equal(r.leftovers, 0);
			e2e_result_free(&r);
			ta = e2e_read_file(a, &la);
			tb = e2e_read_file(b, &lb);
			assert_non_null(ta);
			assert_non_null(tb);
			if (la != lb || memcmp(ta, tb, la) != 0)
				fail_msg("%s seed %d: replay differs",
				         scenarios[i], k);
			free(ta);
			free(tb);
			free(a);
			free(b);
			free(sc);
		}
	e2e_rmtree(dir);
	free(dir);
}

/* Write text to dir/name; the path, malloc'd. */
static char *
put(const char *dir, const char *name, const char *text)
{
	char *p = e2e_path(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* A hand-made schedule is followed: B goes first, and the output shows. */
/* A program's schedule: saved by run -- PROG with "program:"/"arg:"
 * lines, refused by replay (a file does not choose what runs), followed
 * by run --schedule -- PROG into the identical trace, for several seeds
 * of a program that forks. */
static void
test_schedule_program_replay(void **state)
{
	char *dir = e2e_tempdir(), seed[16];
	const char *cmd = "echo aa > f & echo bb > f; wait";

	(void)state;
	for (int k = 0; k < 5; k++) {
		char *a = e2e_path(dir, "a.jsonl"),
		     *b = e2e_path(dir, "b.jsonl"),
		     *c = e2e_path(dir, "c.jsonl"),
		     *sc = e2e_path(dir, "s.sched"), *ta, *tb, *tc, *text;
		struct e2e_result r;
		size_t la, lb, lc, lt;

		snprintf(seed, sizeof(seed), "%d", k);
		IN_DIR(&r, dir, "run", "-q", "--seed", seed, "--trace", a,
		       "--save-schedule", sc, "--", "sh", "-c", cmd);
		assert_int_equal(r.status, 0);
		e2e_result_free(&r);
		text = e2e_read_file(sc, &lt);
		assert_non_null(text);
		assert_non_null(strstr(text, "\narg: -c\narg: echo aa > f & "
		                             "echo bb > f; wait\n"));
		assert_null(strstr(text, "\nscenario:"));
		free(text);
		/* A schedule never makes lockstep run the program it names. */
		E2E_LOCKSTEP(&r, "replay", sc, "-q");
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "does not run a program a file "
		                              "names"));
		e2e_result_free(&r);
		IN_DIR(&r, dir, "run", "-q", "--schedule", sc, "--strict",
		       "--strategy", "random", "--seed", seed, "--trace", b,
		       "--", "sh", "-c", cmd);
		if (r.status != 0)
			fail_msg("run --schedule: exit %d: %s", r.status,
			         r.err);
		assert_int_equal(r.leftovers, 0);
		e2e_result_free(&r);
		IN_DIR(&r, dir, "run", "-q", "--schedule", sc, "--trace", c,
		       "--", "sh", "-c", cmd);
		assert_int_equal(r.status, 0);
		e2e_result_free(&r);
		ta = e2e_read_file(a, &la);
		tb = e2e_read_file(b, &lb);
		tc = e2e_read_file(c, &lc);
		assert_true(ta && tb && tc);
		if (la != lb || memcmp(ta, tb, la) != 0)
			fail_msg("seed %d: replay of the program differs", k);
		/* run --schedule keeps the strategy it was given (default),
		 * so only the steps must agree: compare from the 2nd line. */
		assert_string_equal(strchr(ta, '\n'), strchr(tc, '\n'));
		free(ta);
		free(tb);
		free(tc);
		free(a);
		free(b);
		free(c);
		free(sc);
	}
	e2e_rmtree(dir);
	free(dir);
}

static void
test_schedule_hand_made(void **state)
{
	char *dir = e2e_tempdir(), *p;
	struct e2e_result r;

	(void)state;
	p = put(dir, "b-first.sched",
	        "lockstep-schedule: 1\n"
	        "scenario: scenarios/rendezvous.xml\n"
	        "B sem_open\nB\nB write stdout\nB sem_post b_arrived\n"
	        "B sem_wait a_arrived   # blocks: A has not arrived\n"
	        "A\nA\nA write stdout\nA sem_post a_arrived\n"
	        "A sem_wait b_arrived\nA write stdout\n");
	E2E_LOCKSTEP(&r, "replay", p, "--scenario", "scenarios/rendezvous.xml",
	             "--color", "never");
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "| B1\n  | A1\n  | A2\n  | B2\n"));
	assert_non_null(strstr(r.out, "wait a_arrived (blocked)"));
	e2e_result_free(&r);
	/* The same, strict: the schedule ends before the run. */
	E2E_LOCKSTEP(&r, "replay", p, "--scenario", "scenarios/rendezvous.xml",
	             "--strict", "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "b-first.sched:13: the schedule ends at "
	                              "step 11"));
	e2e_result_free(&r);
	free(p);
	e2e_rmtree(dir);
	free(dir);
}

/* Divergence and bad files: exit 2 naming the line (and the step). */
static void
test_schedule_divergence(void **state)
{
	char *dir = e2e_tempdir(), *p;
	struct e2e_result r;

	(void)state;
	/* Step 4: A is blocked on b_arrived, it cannot go on. */
	p = put(dir, "d.sched",
	        "lockstep-schedule: 1\nscenario: scenarios/deadlock-order.xml\n"
	        "A\nA\nA\nA sem_wait\nA\n");
	E2E_LOCKSTEP(&r, "replay", p, "--scenario",
	             "scenarios/deadlock-order.xml", "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "d.sched:7: step 4 diverges: expected "
	                              "A, but A is blocked on b_arrived"));
	e2e_result_free(&r);
	free(p);
	/* Step 0: about to do something else. */
	p = put(dir, "e.sched",
	        "lockstep-schedule: 1\nscenario: scenarios/rendezvous.xml\n"
	        "A sem_post a_arrived\n");
	E2E_LOCKSTEP(&r, "replay", p, "--scenario", "scenarios/rendezvous.xml",
	             "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "e.sched:3: step 0 diverges: expected "
	                              "A sem_post(a_arrived), but A is about "
	                              "to sem_open(a_arrived)"));
	e2e_result_free(&r);
	free(p);
	/* An unknown process. */
	p = put(dir, "f.sched",
	        "lockstep-schedule: 1\nscenario: scenarios/rendezvous.xml\n"
	        "A\nZ\n");
	E2E_LOCKSTEP(&r, "replay", p, "--scenario", "scenarios/rendezvous.xml",
	             "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "f.sched:4: step 1 diverges: expected "
	                              "Z, but there is no process Z"));
	e2e_result_free(&r);
	free(p);
	/* A bad line, and a truncated file (a header cut in half). */
	p = put(dir, "g.sched",
	        "lockstep-schedule: 1\nscenario: scenarios/rendezvous.xml\n"
	        "A sem_open a_arrived extra\n");
	E2E_LOCKSTEP(&r, "replay", p);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "g.sched:3: expected 'PROCESS"));
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	free(p);
	p = put(dir, "h.sched", "lockstep-sch");
	E2E_LOCKSTEP(&r, "replay", p);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "h.sched:1:"));
	e2e_result_free(&r);
	free(p);
	/* A scenario that changed since: a warning, then the run. */
	p = put(dir, "i.sched",
	        "lockstep-schedule: 1\nscenario: scenarios/rendezvous.xml\n"
	        "sha256: 0000000000000000000000000000000000000000000000000000"
	        "000000000000\nA\n");
	E2E_LOCKSTEP(&r, "replay", p, "--scenario", "scenarios/rendezvous.xml",
	             "-q");
	expect_status(&r, 0);
	assert_non_null(strstr(r.err, "warning: scenarios/rendezvous.xml "
	                              "changed since"));
	e2e_result_free(&r);
	free(p);
	e2e_rmtree(dir);
	free(dir);
}

/* Copy the file at from (relative to the source directory) to dir/name;
 * the new path. */
static char *
copy_to(const char *from, const char *dir, const char *name)
{
	char *src = e2e_path(LK_SOURCE_DIR, from), *text, *p;

	text = e2e_read_file(src, NULL);
	free(src);
	assert_non_null(text);
	p = put(dir, name, text);
	free(text);
	return p;
}

/*
 * A schedule never chooses what runs: replay runs the scenario it names
 * (found from the schedule's directory) only when the SHA-256 matches,
 * says which commands an <exec> will run, and refuses a schedule without
 * a hash, a changed scenario and a FIFO, each with exit 2 and nothing run.
 */
static void
test_schedule_untrusted(void **state)
{
	char *dir = e2e_tempdir(), *sc, *p, *text, *fifo;
	struct e2e_result r;
	FILE *f;

	(void)state;
	sc = copy_to("tests/ipc/scenarios/exec-tr.xml", dir, "tr.xml");
	p = e2e_path(dir, "tr.sched");
	E2E_LOCKSTEP(&r, "run", sc, "-q", "--save-schedule", p);
	expect_status(&r, 0);
	e2e_result_free(&r);
	text = e2e_read_file(p, NULL);
	/* Named from the schedule's own directory, then absolutely. */
	assert_non_null(
	        strstr(text, "\nscenario: tr.xml\nscenario-absolute: /"));
	assert_non_null(strstr(text, "/tr.xml\nsha256: "));
	free(text);
	E2E_LOCKSTEP(&r, "replay", p, "-q");
	expect_status(&r, 0);
	assert_non_null(strstr(r.err, "tr.xml:24: process cat will run the "
	                              "command: cat"));
	assert_non_null(strstr(r.err, "process tr will run the command: tr "
	                              "a-z A-Z"));
	e2e_result_free(&r);
	/* The scenario changes under the schedule: refused, named. */
	f = fopen(sc, "a");
	assert_non_null(f);
	fputs("<!-- changed -->\n", f);
	fclose(f);
	E2E_LOCKSTEP(&r, "replay", p, "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "tr.sched: the scenario "));
	assert_non_null(strstr(r.err, "tr.xml has sha256 "));
	assert_non_null(strstr(r.err, "but the schedule recorded "));
	assert_null(strstr(r.err, "will run"));
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	/* Chosen knowingly: a warning, then the run. */
	E2E_LOCKSTEP(&r, "replay", p, "-q", "--scenario", sc);
	expect_status(&r, 0);
	assert_non_null(strstr(r.err, "changed since"));
	e2e_result_free(&r);
	free(p);
	/* A regex that hits its limit: an error, in run and explore. */
	free(sc);
	sc = put(dir, "lim.xml",
	         "<scenario name=\"lim\" version=\"1\">\n"
	         "<process name=\"A\"><print>"
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab</print></process>\n"
	         "<expect>\n<output matches=\"^(a|a)*b$\"/>\n</expect>\n"
	         "</scenario>\n");
	E2E_LOCKSTEP(&r, "run", sc, "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "lim.xml:4: cannot judge the "
	                              "expectation: output matches "
	                              "/^(a|a)*b$/: matching 38 bytes needs "
	                              "more than 10000000 backtracking "
	                              "steps"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", sc, "-q");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "cannot judge the expectation on line "
	                              "4"));
	e2e_result_free(&r);
	/* No hash: nothing says which scenario it is. */
	p = put(dir, "nohash.sched",
	        "lockstep-schedule: 1\nscenario: tr.xml\nsh\n");
	E2E_LOCKSTEP(&r, "replay", p);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "has no 'sha256:' line"));
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	free(p);
	/* A FIFO (nobody writes it) is refused at once, not read. */
	fifo = e2e_path(dir, "fifo.sched");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	E2E_LOCKSTEP(&r, "replay", fifo);
	assert_false(r.timed_out);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "fifo.sched: is a FIFO; expected a "
	                              "schedule file"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "check", fifo);
	assert_false(r.timed_out);
	expect_status(&r, 2);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "render", fifo, "-o", "x.svg");
	assert_false(r.timed_out);
	expect_status(&r, 2);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "merge", fifo);
	assert_false(r.timed_out);
	expect_status(&r, 2);
	e2e_result_free(&r);
	/* Control characters a file says are escaped in the message. */
	p = put(dir, "esc.sched", "lockstep-schedule: 1\n\033[2J\377: x\n");
	E2E_LOCKSTEP(&r, "replay", p);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "unknown header '\\x1b[2J\\xff:'"));
	assert_null(strchr(r.err, '\033'));
	e2e_result_free(&r);
	free(p);
	free(fifo);
	free(sc);
	e2e_rmtree(dir);
	free(dir);
}

/* `lockstep merge` of hostile summaries: wrong types, negative counts
 * and sums past the largest integer are refused, naming file and field. */
static void
test_merge_validates(void **state)
{
	static const struct {
		const char *json, *want;
	} bad[] = {
	        {"{\"runs\": -1, \"outcomes\": []}", "'runs' is not a non"},
	        {"{\"runs\": \"7\", \"outcomes\": []}", "'runs' is not"},
	        {"{\"runs\": 1, \"outcomes\": [{\"outcome\": \"x\", "
	         "\"count\": -5}], \"deadlocks\": [], \"failures\": []}",
	         "outcomes[0].count is not a non-negative integer"},
	        {"{\"runs\": 1, \"outcomes\": [{\"outcome\": 3, "
	         "\"count\": 1}], \"deadlocks\": [], \"failures\": []}",
	         "outcomes[0].outcome is not a string"},
	        {"{\"runs\": 1, \"outcomes\": [], \"deadlocks\": [], "
	         "\"failures\": [], \"expectations\": [{\"held\": 2}]}",
	         "expectations[0].held is not an integer from 0 to runs"},
	};
	char *dir = e2e_tempdir(), *a, *b;
	struct e2e_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = put(dir, "bad.json", bad[i].json);
		E2E_LOCKSTEP(&r, "merge", a);
		expect_status(&r, 2);
		if (strstr(r.err, "bad.json: ") == NULL ||
		    strstr(r.err, bad[i].want) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].json,
			         r.err, bad[i].want);
		e2e_result_free(&r);
		free(a);
	}
	/* Each count fits, their sum does not: refused, not wrapped. */
	a = put(dir, "a.json",
	        "{\"runs\": 9223372036854775800, \"outcomes\": [], "
	        "\"deadlocks\": [], \"failures\": []}");
	b = put(dir, "b.json",
	        "{\"runs\": 9223372036854775800, \"outcomes\": [], "
	        "\"deadlocks\": [], \"failures\": []}");
	E2E_LOCKSTEP(&r, "merge", a, b);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "b.json: runs: the total is too large"));
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	free(b);
	b = put(dir, "b.json",
	        "{\"runs\": 1, \"outcomes\": [{\"outcome\": \"x\", "
	        "\"count\": 9223372036854775807}], \"deadlocks\": [], "
	        "\"failures\": []}");
	free(a);
	a = put(dir, "a.json",
	        "{\"runs\": 1, \"outcomes\": [{\"outcome\": \"x\", "
	        "\"count\": 1}], \"deadlocks\": [], \"failures\": []}");
	E2E_LOCKSTEP(&r, "merge", a, b);
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "too large to count"));
	e2e_result_free(&r);
	free(a);
	free(b);
	e2e_rmtree(dir);
	free(dir);
}

/* Run `sh -c script` from the source directory; its result in r. */
static void
shell(struct e2e_result *r, const char *script)
{
	const char *const argv[] = {"sh", "-c", script, NULL};

	assert_int_equal(e2e_spawn(r, "/bin/sh", argv, NULL, LK_SOURCE_DIR), 0);
}

/* A result that cannot be written is an error (70) naming the file,
 * never a success: stdout at exit, explore --json, render -o. */
static void
test_results_written_or_error(void **state)
{
	char *dir = e2e_tempdir(), *link, *trace;
	struct e2e_result r;

	(void)state;
	shell(&r, "exec " LK_BUILD_DIR "/lockstep run "
	          "scenarios/rendezvous.xml >/dev/full");
	expect_status(&r, 70);
	assert_non_null(strstr(r.err, "lockstep: stdout: No space left on "
	                              "device"));
	e2e_result_free(&r);
	shell(&r, "exec " LK_BUILD_DIR "/lockstep explore "
	          "scenarios/rendezvous.xml --json >/dev/full");
	expect_status(&r, 70);
	assert_non_null(strstr(r.err, "stdout: No space left on device"));
	e2e_result_free(&r);
	/* render -o through a link to /dev/full. */
	trace = e2e_path(dir, "t.jsonl");
	link = e2e_path(dir, "out.svg");
	E2E_LOCKSTEP(&r, "run", "scenarios/rendezvous.xml", "-q", "--trace",
	             trace);
	expect_status(&r, 0);
	e2e_result_free(&r);
	assert_int_equal(symlink("/dev/full", link), 0);
	E2E_LOCKSTEP(&r, "render", trace, "-o", link);
	expect_status(&r, 70);
	assert_non_null(strstr(r.err, "out.svg"));
	e2e_result_free(&r);
	/* --trace /dev/full. */
	E2E_LOCKSTEP(&r, "run", "scenarios/rendezvous.xml", "-q", "--trace",
	             "/dev/full");
	expect_status(&r, 70);
	assert_non_null(strstr(r.err, "/dev/full"));
	e2e_result_free(&r);
	free(trace);
	free(link);
	e2e_rmtree(dir);
	free(dir);
}

/* A descriptor limit too low for the run: refused before it starts,
 * naming the limit and what is needed, never a fake crash. */
static void
test_descriptor_limit(void **state)
{
	struct e2e_result r;

	(void)state;
	shell(&r, "ulimit -n 65 && exec " LK_BUILD_DIR "/lockstep explore "
	          "scenarios/philosophers.xml");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "(ulimit -n) is 65, but this "
	                              "exploration needs at least 67"));
	assert_int_equal(r.outlen, 0);
	e2e_result_free(&r);
	shell(&r, "ulimit -n 65 && exec " LK_BUILD_DIR "/lockstep run "
	          "tests/ipc/scenarios/exec-tr.xml");
	expect_status(&r, 2);
	assert_non_null(strstr(r.err, "needs at least 104 (descriptors 100 "
	                              "to 103 hold the ends of its 2 pipes)"));
	e2e_result_free(&r);
	/* Enough: it runs. */
	shell(&r, "ulimit -n 67 && exec " LK_BUILD_DIR "/lockstep explore "
	          "scenarios/rendezvous.xml -q");
	expect_status(&r, 0);
	e2e_result_free(&r);
}

/* Load explore's JSON summary from its stdout. */
static json_t *
summary(const struct e2e_result *r)
{
	json_error_t je;
	json_t *j = json_loads(r->out, 0, &je);

	if (j == NULL)
		fail_msg("explore --json printed no JSON (%s): %s", je.text,
		         r->out);
	assert_true(json_is_integer(json_object_get(j, "runs")));
	assert_true(json_is_boolean(json_object_get(j, "complete")));
	assert_true(json_is_array(json_object_get(j, "outcomes")));
	assert_true(json_is_array(json_object_get(j, "deadlocks")));
	assert_true(json_is_array(json_object_get(j, "races")));
	assert_true(json_is_array(json_object_get(j, "failures")));
	return j;
}

/* The outcome texts and counts of a summary, sorted, as one string. */
static char *
outcome_set(json_t *j, int with_counts)
{
	json_t *outs = json_object_get(j, "outcomes");
	size_t n = json_array_size(outs), len = 0;
	char **lines = calloc(n + 1, sizeof(char *)), *all;

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(outs, i);
		const char *t =
		        json_string_value(json_object_get(o, "outcome"));

		lines[i] = malloc(strlen(t) + 32);
		sprintf(lines[i], "%s|%lld\n", t,
		        with_counts ? (long long)json_integer_value(
		                              json_object_get(o, "count"))
		                    : 0LL);
		len += strlen(lines[i]);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(lines[i], lines[k]) > 0) {
				char *t = lines[i];

				lines[i] = lines[k];
				lines[k] = t;
			}
	all = calloc(len + 1, 1);
	for (size_t i = 0; i < n; i++) {
		strcat(all, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return all;
}

/* explore on deadlock-order: the deadlock is found, exit 3, and the
 * saved schedule replays to the deadlock. */
static void
test_explore_deadlock(void **state)
{
	char *dir = e2e_tempdir(), *sched = e2e_path(dir, "dl.sched");
	struct e2e_result r;
	json_t *j;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "scenarios/deadlock-order.xml", "--json",
	             "--save-schedule", sched);
	expect_status(&r, 3);
	j = summary(&r);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_true(json_array_size(json_object_get(j, "deadlocks")) >= 1);
	json_decref(j);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "replay", sched, "--strict");
	expect_status(&r, 3);
	assert_non_null(strstr(r.out, "wait-for cycle"));
	e2e_result_free(&r);
	free(sched);
	e2e_rmtree(dir);
	free(dir);
}

/* unsync-writers has more than one outcome (random runs). (That
 * mutex-writers has exactly one, dfs to the end, test_ipc_lecture checks
 * with the other shipped scenarios.) */
static void
test_explore_outcomes(void **state)
{
	struct e2e_result r;
	json_t *j;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "scenarios/unsync-writers.xml", "--json",
	             "--strategy", "random", "--runs", "12", "--seed", "5");
	expect_status(&r, 0); /* all 50 digits, and sometimes "00" */
	j = summary(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 12);
	assert_true(json_array_size(json_object_get(j, "outcomes")) > 1);
	json_decref(j);
	e2e_result_free(&r);
}

/* DPOR finds the same outcomes as trying every interleaving, in fewer
 * runs; -j 2 makes the same runs and counts as -j 1. */
static void
test_explore_reduction_and_jobs(void **state)
{
	static const char *const small[] = {"scenarios/deadlock-order.xml",
	                                    "tests/explore/handoff.xml"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct e2e_result a, b, c;
		json_t *ja, *jb, *jc;
		char *sa, *sb, *sc2, *ca, *cc;

		E2E_LOCKSTEP(&a, "explore", small[i], "--json", "-q");
		E2E_LOCKSTEP(&b, "explore", small[i], "--json", "-q",
		             "--no-reduction", "--max-runs", "100000");
		E2E_LOCKSTEP(&c, "explore", small[i], "--json", "-q", "-j",
		             "2");
		ja = summary(&a);
		jb = summary(&b);
		jc = summary(&c);
		assert_true(json_is_true(json_object_get(ja, "complete")));
		assert_true(json_is_true(json_object_get(jb, "complete")));
		sa = outcome_set(ja, 0);
		sb = outcome_set(jb, 0);
		assert_string_equal(sa, sb);
		assert_true(json_integer_value(json_object_get(ja, "runs")) <
		            json_integer_value(json_object_get(jb, "runs")));
		ca = outcome_set(ja, 1);
		cc = outcome_set(jc, 1);
		assert_string_equal(ca, cc);
		assert_int_equal(
		        json_integer_value(json_object_get(ja, "runs")),
		        json_integer_value(json_object_get(jc, "runs")));
		sc2 = outcome_set(jc, 0);
		free(sa);
		free(sb);
		free(sc2);
		free(ca);
		free(cc);
		json_decref(ja);
		json_decref(jb);
		json_decref(jc);
		e2e_result_free(&a);
		e2e_result_free(&b);
		e2e_result_free(&c);
	}
}

/* -j 2 on rendezvous: the same runs and outcome counts as -j 1. */
static void
test_explore_jobs_rendezvous(void **state)
{
	struct e2e_result a, c;
	json_t *ja, *jc;
	char *ca, *cc;

	(void)state;
	E2E_LOCKSTEP(&a, "explore", "scenarios/rendezvous.xml", "--json", "-q");
	E2E_LOCKSTEP(&c, "explore", "scenarios/rendezvous.xml", "--json", "-q",
	             "-j", "2");
	expect_status(&a, 0);
	expect_status(&c, 0);
	ja = summary(&a);
	jc = summary(&c);
	assert_int_equal(json_array_size(json_object_get(ja, "outcomes")), 4);
	ca = outcome_set(ja, 1);
	cc = outcome_set(jc, 1);
	assert_string_equal(ca, cc);
	assert_int_equal(json_integer_value(json_object_get(ja, "runs")),
	                 json_integer_value(json_object_get(jc, "runs")));
	free(ca);
	free(cc);
	json_decref(ja);
	json_decref(jc);
	e2e_result_free(&a);
	e2e_result_free(&c);
}

/* Shards merged equal the whole. */
static void
test_explore_shards_merge(void **state)
{
	char *dir = e2e_tempdir(), *p1 = e2e_path(dir, "1.json"),
	     *p2 = e2e_path(dir, "2.json"), *p3 = e2e_path(dir, "3.json");
	struct e2e_result r, whole, merged;
	json_t *jw, *jm;
	char *sw, *sm;
	const char *files[] = {p1, p2, p3};

	(void)state;
	for (int k = 0; k < 3; k++) {
		char shard[8];
		FILE *f;

		snprintf(shard, sizeof(shard), "%d/3", k + 1);
		E2E_LOCKSTEP(&r, "explore", "scenarios/unsync-writers.xml",
		             "--json", "-q", "--strategy", "random", "--runs",
		             "9", "--shard", shard);
		f = fopen(files[k], "w");
		fputs(r.out, f);
		fclose(f);
		e2e_result_free(&r);
	}
	E2E_LOCKSTEP(&whole, "explore", "scenarios/unsync-writers.xml",
	             "--json", "-q", "--strategy", "random", "--runs", "9");
	E2E_LOCKSTEP(&merged, "merge", p1, p2, p3);
	assert_int_equal(merged.status, whole.status);
	jw = summary(&whole);
	jm = summary(&merged);
	assert_int_equal(json_integer_value(json_object_get(jm, "runs")), 9);
	sw = outcome_set(jw, 1);
	sm = outcome_set(jm, 1);
	assert_string_equal(sw, sm);
	free(sw);
	free(sm);
	json_decref(jw);
	json_decref(jm);
	e2e_result_free(&whole);
	e2e_result_free(&merged);
	E2E_LOCKSTEP(&r, "merge", "/nonexistent.json");
	expect_status(&r, 2);
	e2e_result_free(&r);
	free(p1);
	free(p2);
	free(p3);
	e2e_rmtree(dir);
	free(dir);
}

/* The races of a summary as sorted "object first second count" lines
 * (each side "proc op line", in canonical order). */
static char *
race_set(json_t *j)
{
	json_t *races = json_object_get(j, "races");
	size_t n = json_array_size(races);
	char **lines = calloc(n + 1, sizeof(char *)), *all;

	all = calloc(n * 256 + 1, 1);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(races, i);
		char side[2][96];

		for (int k = 0; k < 2; k++) {
			json_t *x = json_object_get(o, k ? "second" : "first");

			snprintf(side[k], sizeof(side[k]), "%s %s %lld",
			         json_string_value(json_object_get(x, "proc")),
			         json_string_value(json_object_get(x, "op")),
			         (long long)json_integer_value(
			                 json_object_get(x, "line")));
		}
		assert_non_null(
		        json_string_value(json_object_get(o, "schedule")));
		lines[i] = malloc(256);
		snprintf(lines[i], 256, "%s %s %s %lld\n",
		         json_string_value(json_object_get(o, "object")),
		         strcmp(side[0], side[1]) < 0 ? side[0] : side[1],
		         strcmp(side[0], side[1]) < 0 ? side[1] : side[0],
		         (long long)json_integer_value(
		                 json_object_get(o, "count")));
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(lines[i], lines[k]) > 0) {
				char *t = lines[i];

				lines[i] = lines[k];
				lines[k] = t;
			}
	for (size_t i = 0; i < n; i++) {
		strcat(all, lines[i]);
		free(lines[i]);
	}
	free(lines);
	return all;
}

/* Races: the unlocked counter races in every run, the locked one never;
 * run prints them and exits 0; -j 2 and merged shards see the same. */
static void
test_explore_races(void **state)
{
	static const char *const scen = "tests/explore/race-cell.xml";
	char *dir = e2e_tempdir(), *p1 = e2e_path(dir, "1.json"),
	     *p2 = e2e_path(dir, "2.json");
	struct e2e_result a, c, r;
	json_t *ja, *jc, *first;
	char *ra, *rc;
	long long runs;

	(void)state;
	E2E_LOCKSTEP(&r, "run", scen);
	expect_status(&r, 0);
	assert_non_null(strstr(r.out, "\nraces:\n  race on cell counter: "));
	assert_null(strstr(r.out, "race on cell safe"));
	e2e_result_free(&r);

	E2E_LOCKSTEP(&a, "explore", scen, "--json", "-q");
	E2E_LOCKSTEP(&c, "explore", scen, "--json", "-q", "-j", "2");
	expect_status(&a, 0);
	expect_status(&c, 0);
	ja = summary(&a);
	jc = summary(&c);
	runs = json_integer_value(json_object_get(ja, "runs"));
	assert_int_equal(json_array_size(json_object_get(ja, "races")), 3);
	first = json_array_get(json_object_get(ja, "races"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "object")),
	                    "counter");
	assert_int_equal(json_integer_value(json_object_get(first, "count")),
	                 runs);
	ra = race_set(ja);
	rc = race_set(jc);
	assert_string_equal(ra, rc);
	assert_null(strstr(ra, "safe"));
	free(rc);
	/* The same races, with the same schedules, whatever the order. */
	assert_true(json_equal(json_object_get(ja, "races"),
	                       json_object_get(jc, "races")));
	json_decref(jc);
	e2e_result_free(&c);

	for (int k = 0; k < 2; k++) {
		FILE *f;

		E2E_LOCKSTEP(&r, "explore", scen, "--json", "-q", "--strategy",
		             "random", "--runs", "6", "--shard",
		             k ? "2/2" : "1/2");
		f = fopen(k ? p2 : p1, "w");
		fputs(r.out, f);
		fclose(f);
		e2e_result_free(&r);
	}
	E2E_LOCKSTEP(&r, "merge", p1, p2);
	expect_status(&r, 0);
	jc = summary(&r);
	rc = race_set(jc);
	assert_non_null(strstr(rc, "counter inc.1 store 12 inc.2 store 12 "
	                           "6\n"));
	assert_int_equal(json_array_size(json_object_get(jc, "races")), 3);
	free(rc);
	json_decref(jc);
	e2e_result_free(&r);

	free(ra);
	json_decref(ja);
	e2e_result_free(&a);
	free(p1);
	free(p2);
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_schedule_sha256_vectors),
	        cmocka_unit_test(test_schedule_reader),
	        cmocka_unit_test(test_schedule_replay_identical),
	        cmocka_unit_test(test_schedule_hand_made),
	        cmocka_unit_test(test_schedule_program_replay),
	        cmocka_unit_test(test_schedule_divergence),
	        cmocka_unit_test(test_schedule_untrusted),
	        cmocka_unit_test(test_merge_validates),
	        cmocka_unit_test(test_results_written_or_error),
	        cmocka_unit_test(test_descriptor_limit),
	        cmocka_unit_test(test_explore_deadlock),
	        cmocka_unit_test(test_explore_outcomes),
	        cmocka_unit_test(test_explore_reduction_and_jobs),
	        cmocka_unit_test(test_explore_jobs_rendezvous),
	        cmocka_unit_test(test_explore_shards_merge),
	        cmocka_unit_test(test_explore_races),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
