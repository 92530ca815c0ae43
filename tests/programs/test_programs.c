/*
 * Unmodified programs under `lockstep run -- PROG`: fork, exec and wait
 * are followed and scheduled, names go by lineage, exit happens before
 * the wait that reaps it, a program that hangs on semaphores gets its
 * wait-for cycle, sleeps are virtual, and a call lockstep does not control
 * is named instead of hanging the run.
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

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* The event of the trace (array of lines) with op and proc, from index
 * from on; -1 when none. */
static long
find(json_t *tr, const char *op, const char *proc, size_t from)
{
	for (size_t i = from < 1 ? 1 : from; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);

		if (strcmp(json_string_value(json_object_get(e, "op")), op) ==
		            0 &&
		    (proc == NULL ||
		     strcmp(json_string_value(json_object_get(e, "proc")),
		            proc) == 0))
			return (long)i;
	}
	return -1;
}

/* vc[name] of event e (0 when absent). */
static long long
vc(json_t *e, const char *name)
{
	return json_integer_value(
	        json_object_get(json_object_get(e, "vc"), name));
}

/* The rendezvous program: fork, exec of echo, waitpid; exit 0. */
static void
test_programs_fork_exec_wait(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const argv[] = {LOCKSTEP, "run",    "--trace", tp,
	                            "--",     SEM_FORK, NULL};
	struct e2e_result r;
	json_t *tr;
	long exit_child, waited, execd;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, dir);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	assert_int_equal(r.leftovers, 0);
	assert_non_null(strstr(r.out, "| parent 1\n"));
	assert_non_null(strstr(r.out, "| child 2\n")); /* echo, after exec */
	assert_non_null(strstr(r.out, "| parent 2\n"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_true(find(tr, "fork", "main", 0) > 0);
	assert_true(find(tr, "start", "main.1", 0) > 0);
	execd = find(tr, "execve", "main.1", 0);
	assert_true(execd > 0);
	exit_child = find(tr, "exit", "main.1", 0);
	waited = find(tr, "waitpid", "main", 0);
	assert_true(exit_child > execd);
	while (waited > 0 && json_is_true(json_object_get(
	                             json_array_get(tr, waited), "blocked")))
		waited = find(tr, "waitpid", "main", (size_t)waited + 1);
	assert_true(waited > exit_child);
	/* The exit happens before the wait that reaps it. */
	assert_true(vc(json_array_get(tr, exit_child), "main.1") <=
	            vc(json_array_get(tr, waited), "main.1"));
	assert_string_equal(
	        json_string_value(json_object_get(
	                json_object_get(json_array_get(tr, waited), "args"),
	                "child")),
	        "main.1");
	json_decref(tr);
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* The same program with both waits first: a deadlock, exit 3, and the
 * cycle named from who holds the semaphores. */
static void
test_programs_hang_cycle(void **state)
{
	const char *const argv[] = {LOCKSTEP, "run", "--", SEM_FORK, NULL};
	const char *const env[] = {"HANG=1", NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, env, NULL);
	assert_int_equal(r.status, 3);
	assert_int_equal(r.leftovers, 0);
	assert_non_null(strstr(r.out, "main waits for b_arrived (0), which "
	                              "only main.1 could post"));
	assert_non_null(strstr(r.out, "wait-for cycle: main -> main.1 -> "
	                              "main"));
	e2e_result_free(&r);
}

/* A shell script: fork, exec of sleep on the virtual clock, wait. */
static void
test_programs_shell_sleep(void **state)
{
	const char *const argv[] = {LOCKSTEP, "run",
	                            "--",     "sh",
	                            "-c",     "echo hi; sleep 30; echo there",
	                            NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "virtual time 30 s"));
	assert_non_null(strstr(r.out, "| hi\n  | there\n"));
	assert_non_null(strstr(r.out, "sleep 30s"));
	e2e_result_free(&r);
}

/* A read of a pipe whose only write end the reader holds itself: a
 * deadlock lockstep sees and explains, not a hang. */
static void
test_programs_pipe_self_deadlock(void **state)
{
	const char *const argv[] = {LOCKSTEP, "run", "--", PIPE_READ, NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.out, "main waits for data or the end of file "
	                              "on pipe pipe1; its write end is still "
	                              "open in main itself"));
	e2e_result_free(&r);
}

/* A call lockstep does not control, that nothing will satisfy: reported
 * by name, not waited on forever. */
static void
test_programs_stuck_call(void **state)
{
	const char *const argv[] = {LOCKSTEP,         "run", "-q",
	                            "--step-timeout", "0.5", "--",
	                            SOCK_READ,        NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "main is stuck in the system call "
	                              "read"));
	e2e_result_free(&r);
}

/* A program named by a relative path runs, though the run starts it in
 * a work directory of its own. */
static void
test_programs_relative_path(void **state)
{
	const char *const argv[] = {
	        LOCKSTEP, "run", "-q", "--", "./tests/programs/prog_sem_fork",
	        NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, LK_BUILD_DIR);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	e2e_result_free(&r);
}

/* Programs that cannot run are bad input. */
static void
test_programs_bad(void **state)
{
	struct e2e_result r;

	(void)state;
	E2E_LOCKSTEP(&r, "run", "--", "no-such-program-here");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "lockstep: cannot run "
	                              "no-such-program-here"));
	e2e_result_free(&r);
	E2E_LOCKSTEP(&r, "run", "--");
	assert_int_equal(r.status, 2);
	e2e_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_programs_fork_exec_wait),
	        cmocka_unit_test(test_programs_hang_cycle),
	        cmocka_unit_test(test_programs_shell_sleep),
	        cmocka_unit_test(test_programs_stuck_call),
	        cmocka_unit_test(test_programs_pipe_self_deadlock),
	        cmocka_unit_test(test_programs_relative_path),
	        cmocka_unit_test(test_programs_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
