/*
 * --perturb: what the kernel may legally do, as a schedule decision. A
 * reader that assumes one read returns a whole 8-byte message passes
 * natively and under lockstep without --perturb; explore --perturb finds
 * the short read, saves it, and the saved schedule replays it to the same
 * trace bytes. A condition wait under `if` breaks only when the wait ends
 * without a signal. Without --perturb nothing of it shows in a trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

/* The read events of a trace: how many, and how many of them returned
 * fewer bytes than args.avail says they could. */
static void
reads_of(const char *path, int *reads, int *cut)
{
	json_t *tr = e2e_trace_load(path);

	assert_non_null(tr);
	*reads = *cut = 0;
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		json_t *avail =
		        json_object_get(json_object_get(e, "args"), "avail");

		if (strcmp(json_string_value(json_object_get(e, "op")),
		           "read") != 0)
			continue;
		(*reads)++;
		if (avail != NULL &&
		    json_integer_value(json_object_get(e, "ret")) <
		            json_integer_value(avail))
			(*cut)++;
	}
	json_decref(tr);
}

/* Natively and without --perturb the reader always gets all 8 bytes. */
static void
test_perturb_off_whole(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *text;
	int reads, cut;

	(void)state;
	assert_int_equal(e2e_spawn(&r, WHOLE_MSG,
	                           (const char *const[]){WHOLE_MSG, NULL}, NULL,
	                           NULL),
	                 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", "--", WHOLE_MSG);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "1 outcome:"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "run", "-q", "--seed", "1", "--trace", tp, "--",
	             WHOLE_MSG);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	reads_of(tp, &reads, &cut);
	assert_int_equal(cut, 0);
	/* Nothing of --perturb in the trace. */
	text = e2e_read_file(tp, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "\"avail\""));
	assert_null(strstr(text, "\"perturb\""));
	free(text);
	e2e_rmtree(dir);
	free(tp);
	free(dir);
}

/* explore --perturb finds the short read; its schedule replays it to the
 * same trace bytes, twice. */
static void
test_perturb_short_read_found(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "fail.sched");
	char *t1 = e2e_path(dir, "t1.jsonl"), *t2 = e2e_path(dir, "t2.jsonl");
	char *sched, *a, *b;
	size_t la, lb;
	int reads, cut;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--perturb", "--save-schedule", sp, "--",
	             WHOLE_MSG);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "read 1 bytes"));
	assert_non_null(strstr(r.out, "read 4 bytes"));
	assert_non_null(strstr(r.out, "read 8 bytes"));
	e2e_result_free(&r);
	sched = e2e_read_file(sp, NULL);
	assert_non_null(sched);
	assert_non_null(strstr(sched, "\nperturb: yes\n"));
	assert_non_null(strstr(sched, "main read pipe1 bytes="));
	free(sched);
	/* The schedule turns --perturb on by itself. */
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", sp, "--trace", t1, "--",
	             WHOLE_MSG);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "run", "-q", "--strict", "--schedule", sp, "--trace",
	             t2, "--", WHOLE_MSG);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	a = e2e_read_file(t1, &la);
	b = e2e_read_file(t2, &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_non_null(strstr(a, "\"perturb\":true"));
	free(a);
	free(b);
	reads_of(t1, &reads, &cut);
	assert_int_equal(cut, 1);
	e2e_rmtree(dir);
	free(sp);
	free(t1);
	free(t2);
	free(dir);
}

/* The same seed gives the same trace bytes with --perturb; some seed of
 * a few cuts the read (random draws n, 1 or n/2). */
static void
test_perturb_seed_stable(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *t1 = e2e_path(dir, "t1.jsonl");
	char *t2 = e2e_path(dir, "t2.jsonl");
	int cuts = 0;

	(void)state;
	for (int seed = 1; seed <= 4; seed++) {
		char s[8], *a, *b;
		size_t la, lb;
		int reads, cut;

		snprintf(s, sizeof(s), "%d", seed);
		E2E_LOCKSTEP(&r, "run", "-q", "--perturb", "--seed", s,
		             "--trace", t1, "--", WHOLE_MSG);
		e2e_result_free(&r);
		E2E_LOCKSTEP(&r, "run", "-q", "--perturb", "--seed", s,
		             "--trace", t2, "--", WHOLE_MSG);
		e2e_result_free(&r);
		a = e2e_read_file(t1, &la);
		b = e2e_read_file(t2, &lb);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(a);
		free(b);
		reads_of(t1, &reads, &cut);
		cuts += cut;
	}
	assert_true(cuts > 0);
	e2e_rmtree(dir);
	free(t1);
	free(t2);
	free(dir);
}

/* A count the read cannot give is a divergence at its line; a count that
 * is not one is refused before anything runs. */
static void
test_perturb_bad_bytes(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.sched");
	char *sched, *at, *bad;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--perturb", "--save-schedule", sp, "--",
	             WHOLE_MSG);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	sched = e2e_read_file(sp, NULL);
	assert_non_null(sched);
	at = strstr(sched, "bytes=");
	assert_non_null(at);
	at[6] = '9'; /* bytes=9 of 8 */
	bad = e2e_write_file(dir, "nine.sched", sched);
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", bad, "--", WHOLE_MSG);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "diverges: expected main read(pipe1), "
	                              "but it can move 8 bytes at most, "
	                              "not 9"));
	e2e_result_free(&r);
	free(bad);
	at[6] = '0'; /* bytes=0 */
	bad = e2e_write_file(dir, "zero.sched", sched);
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", bad, "--", WHOLE_MSG);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "'bytes=0' is not a count of bytes"));
	e2e_result_free(&r);
	free(bad);
	free(sched);
	e2e_rmtree(dir);
	free(sp);
	free(dir);
}

/* A wait under `if`: only a spurious wake-up breaks it, and only
 * explore --perturb finds that; the saved schedule replays it. */
static void
test_perturb_spurious_wakeup(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "fail.sched");
	char *t1 = e2e_path(dir, "t1.jsonl"), *t2 = e2e_path(dir, "t2.jsonl");
	char *a, *b;
	size_t la, lb;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--", COND_IF);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "1 outcome:"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", "--perturb", "--stop-at-first",
	             "--save-schedule", sp, "--", COND_IF);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "ready 0"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", sp, "--trace", t1, "--",
	             COND_IF);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", sp, "--trace", t2, "--",
	             COND_IF);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	a = e2e_read_file(t1, &la);
	b = e2e_read_file(t2, &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_non_null(strstr(a, "\"spurious\":true"));
	free(a);
	free(b);
	e2e_rmtree(dir);
	free(sp);
	free(t1);
	free(t2);
	free(dir);
}

/* A non-blocking write of 8192 bytes into an empty pipe: whole natively
 * and without --perturb; explore --perturb tries 8192, 1 and 4096, and
 * the schedule of a partial one replays it (bytes=K on a write). */
static void
test_perturb_partial_write(void **state)
{
	struct e2e_result r;
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "fail.sched");
	char *t1 = e2e_path(dir, "t1.jsonl"), *sched, *tr;

	(void)state;
	assert_int_equal(e2e_spawn(&r, NB_WRITE,
	                           (const char *const[]){NB_WRITE, NULL}, NULL,
	                           NULL),
	                 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", "--", NB_WRITE);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "1 outcome:"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "explore", "--perturb", "--save-schedule", sp, "--",
	             NB_WRITE);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "dfs, 3 runs, complete"));
	assert_non_null(strstr(r.out, "wrote 8192 bytes"));
	assert_non_null(strstr(r.out, "wrote 4096 bytes"));
	assert_non_null(strstr(r.out, "wrote 1 bytes"));
	e2e_result_free(&r);
	sched = e2e_read_file(sp, NULL);
	assert_non_null(sched);
	assert_non_null(strstr(sched, "main write pipe1 bytes="));
	free(sched);
	E2E_LOCKSTEP(&r, "run", "-q", "--schedule", sp, "--trace", t1, "--",
	             NB_WRITE);
	assert_int_equal(r.status, 1);
	e2e_result_free(&r);
	tr = e2e_read_file(t1, NULL);
	assert_non_null(tr);
	assert_non_null(strstr(tr, "\"avail\":8192"));
	free(tr);
	e2e_rmtree(dir);
	free(sp);
	free(t1);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_perturb_off_whole),
	        cmocka_unit_test(test_perturb_short_read_found),
	        cmocka_unit_test(test_perturb_seed_stable),
	        cmocka_unit_test(test_perturb_bad_bytes),
	        cmocka_unit_test(test_perturb_spurious_wakeup),
	        cmocka_unit_test(test_perturb_partial_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
