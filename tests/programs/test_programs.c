/*
 * Unmodified programs under `lockstep run -- PROG`: fork, exec and wait
 * are followed and scheduled, names go by lineage, exit happens before
 * the wait that reaps it, a program that hangs on semaphores gets its
 * wait-for cycle, sleeps are virtual, and a call lockstep does not control
 * is named instead of hanging the run. Programs that use scattered and
 * positioned I/O, raise, sigwait, lockf, gettimeofday and rand print the
 * same natively and under lockstep; SysV keys are private to a run;
 * static and setuid programs are refused. Children of posix_spawn,
 * posix_spawnp, system and popen are followed as forked ones are.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
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
#include "common/elfcheck.h"

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

/* The program's output in a report of lockstep run: the lines after
 * "output:", without their "  | "; malloc'd ("" when there is none). */
static char *
report_output(const char *report)
{
	const char *p = strstr(report, "\noutput:\n");
	size_t len = 0;
	char *out = calloc(1, strlen(report) + 1);

	assert_non_null(out);
	if (p == NULL)
		return out;
	for (p += strlen("\noutput:\n"); strncmp(p, "  | ", 4) == 0;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) - 4 : strlen(p + 4);

		memcpy(out + len, p + 4, n);
		len += n;
		out[len++] = '\n';
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	out[len] = '\0';
	return out;
}

/*
 * Run prog (with one argument arg, or none) natively in a temporary
 * directory and under `lockstep run`, with the trace into tp (NULL: no
 * trace): both succeed, print the same lines and leave nothing behind.
 * Returns the output, malloc'd.
 */
static char *
same_output(const char *prog, const char *arg, const char *tp)
{
	const char *argv[] = {LOCKSTEP, "run", "--trace", tp,
	                      "--",     prog,  arg,       NULL};
	const char *const native[] = {prog, arg, NULL};
	struct e2e_result n, r;
	char *dir = e2e_tempdir(), *out;

	assert_non_null(dir);
	e2e_spawn(&n, prog, native, NULL, dir);
	if (n.status != 0)
		fail_msg("%s natively: exit %d: %s", prog, n.status, n.err);
	if (tp == NULL) {
		argv[2] = "--";
		argv[3] = prog;
		argv[4] = arg;
		argv[5] = NULL;
	}
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	if (r.status != 0)
		fail_msg("%s under lockstep: exit %d: %s", prog, r.status,
		         r.err);
	assert_int_equal(r.leftovers, 0);
	out = report_output(r.out);
	if (strcmp(out, n.out) != 0)
		fail_msg("natively:\n%s\nunder lockstep:\n%s", n.out, out);
	e2e_result_free(&n);
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(dir);
	return out;
}

/* The args.name string of event e, or "". */
static const char *
arg_str(json_t *e, const char *name)
{
	const char *v = json_string_value(
	        json_object_get(json_object_get(e, "args"), name));

	return v != NULL ? v : "";
}

/* The first event from index from on with op by proc that is (not)
 * blocked; -1 when none. */
static long
find_step(json_t *tr, const char *op, const char *proc, int blocked,
          size_t from)
{
	long i = find(tr, op, proc, from);

	while (i > 0 && json_is_true(json_object_get(json_array_get(tr, i),
	                                             "blocked")) != blocked)
		i = find(tr, op, proc, (size_t)i + 1);
	return i;
}

/* writev and readv through a pipe, pwrite and pread on a file: the same
 * output; one write step carries the three pieces, one read two buffers'
 * worth. */
static void
test_programs_vector_io(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(VEC_IO, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long w, r;

	(void)state;
	assert_string_equal(out, "child wrote 13\n"
	                         "parent read 10: [one] [ two th]\n"
	                         "pread at 11: [ell], offset 0\n");
	assert_non_null(tr);
	w = find_step(tr, "write", "main.1", 0, 0);
	assert_true(w > 0);
	assert_string_equal(arg_str(json_array_get(tr, w), "data"),
	                    "one two three");
	r = find_step(tr, "read", "main", 0, 0);
	assert_true(r > w);
	assert_string_equal(arg_str(json_array_get(tr, r), "data"),
	                    "one two th");
	/* pwrite and pread at their own offsets. */
	w = find_step(tr, "write", "main", 0, (size_t)r);
	while (w > 0 && strcmp(json_string_value(json_object_get(
	                               json_array_get(tr, w), "obj")),
	                       "vec_io.dat") != 0)
		w = find_step(tr, "write", "main", 0, (size_t)w + 1);
	assert_true(w > 0);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(json_array_get(tr, w), "args"),
	                         "offset")),
	                 10);
	r = find_step(tr, "read", "main", 0, (size_t)w);
	assert_true(r > 0);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(json_array_get(tr, r), "args"),
	                         "offset")),
	                 11);
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* The output of `lockstep run --seed SEED -- RAND_SEQ [ARG]`, malloc'd. */
static char *
rand_run_with(const char *seed, const char *arg)
{
	const char *const argv[] = {LOCKSTEP, "run",    "--seed", seed,
	                            "--",     RAND_SEQ, arg,      NULL};
	struct e2e_result r;
	char *out;

	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	out = report_output(r.out);
	e2e_result_free(&r);
	return out;
}

/* The output of `lockstep run --seed SEED -- RAND_SEQ`, malloc'd. */
static char *
rand_run(const char *seed)
{
	return rand_run_with(seed, NULL);
}

/* The first line of text that starts with prefix, malloc'd (NULL:
 * none). */
static char *
first_line(const char *text, const char *prefix)
{
	const char *l = strstr(text, prefix);

	return l != NULL ? strndup(l, strcspn(l, "\n")) : NULL;
}

/* rand and random: the same numbers for the same seed, others for
 * another; srand with a constant repeats its sequence. */
static void
test_programs_rand_seeded(void **state)
{
	char *a = rand_run("3"), *b = rand_run("3"), *c = rand_run("4");

	(void)state;
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strstr(a, "srand(7) twice: same\n"));
	/* Each process draws its own numbers. */
	assert_non_null(strstr(a, "child "));
	assert_non_null(strstr(a, "parent "));
	free(a);
	free(b);
	free(c);
}

/* A forked child starts a sequence of its own (lk__ip_forked): its
 * numbers are the same whether or not its parent drew before the fork,
 * and differ from what the parent draws next. */
static void
test_programs_rand_fork_starts_afresh(void **state)
{
	char *plain = rand_run("3"), *early = rand_run_with("3", "early");
	char *c1 = first_line(plain, "child "),
	     *c2 = first_line(early, "child ");
	char *p1 = first_line(plain, "parent "),
	     *p2 = first_line(early, "parent ");

	(void)state;
	assert_non_null(strstr(early, "early "));
	assert_non_null(c1);
	assert_non_null(c2);
	assert_string_equal(c1, c2);
	/* The parent's own sequence did go on past the early number. */
	assert_non_null(p1);
	assert_non_null(p2);
	assert_string_not_equal(p1, p2);
	free(c1);
	free(c2);
	free(p1);
	free(p2);
	free(plain);
	free(early);
}

/* The output of `lockstep run --seed SEED --trace TP -- ENTROPY_PRINT`
 * (its lines in the report), malloc'd; the trace into tp. */
static char *
entropy_run(const char *seed, const char *tp)
{
	const char *const argv[] = {LOCKSTEP, "run",         "--seed",
	                            seed,     "--trace",     tp,
	                            "--",     ENTROPY_PRINT, NULL};
	struct e2e_result r;
	char *out;

	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	assert_int_equal(r.leftovers, 0);
	out = report_output(r.out);
	e2e_result_free(&r);
	return out;
}

/* The trace without its header line, malloc'd. */
static char *
trace_steps(const char *tp)
{
	char *text = e2e_read_file(tp, NULL), *nl, *steps;

	assert_non_null(text);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	steps = strdup(nl + 1);
	free(text);
	return steps;
}

/* getrandom, getentropy, the raw system call and /dev/urandom: other
 * bytes in every native run; under lockstep the same for the same seed
 * (output and trace), others for another seed, others in main and its
 * child, and no read of /dev/urandom in the trace. */
static void
test_programs_entropy_seeded(void **state)
{
	const char *const native[] = {ENTROPY_PRINT, NULL};
	char *dir = e2e_tempdir(), *tp[3], *out[3], *steps[2];
	struct e2e_result n1, n2;
	const char *child, *parent;

	(void)state;
	assert_non_null(dir);
	e2e_spawn(&n1, ENTROPY_PRINT, native, NULL, dir);
	e2e_spawn(&n2, ENTROPY_PRINT, native, NULL, dir);
	assert_int_equal(n1.status, 0);
	assert_int_equal(n2.status, 0);
	/* Natively, the kernel's bytes: 2^-384 to be equal by chance. */
	assert_string_not_equal(n1.out, n2.out);
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d.jsonl", i);
		tp[i] = e2e_path(dir, name);
		out[i] = entropy_run(i < 2 ? "3" : "4", tp[i]);
	}
	assert_string_equal(out[0], out[1]);
	assert_string_not_equal(out[0], out[2]);
	child = strstr(out[0], "child: getrandom ");
	parent = strstr(out[0], "main: getrandom ");
	assert_non_null(child);
	assert_non_null(parent);
	assert_memory_not_equal(child + 17, parent + 16, 32);
	assert_non_null(strstr(out[0], " urandom "));
	steps[0] = trace_steps(tp[0]);
	steps[1] = trace_steps(tp[1]);
	assert_string_equal(steps[0], steps[1]);
	assert_null(strstr(steps[0], "\"obj\":\"urandom\""));
	for (int i = 0; i < 3; i++) {
		free(tp[i]);
		free(out[i]);
	}
	free(steps[0]);
	free(steps[1]);
	e2e_result_free(&n1);
	e2e_result_free(&n2);
	e2e_rmtree(dir);
	free(dir);
}

/* gettimeofday around usleep(300000): at least 300 ms natively (a busy
 * machine oversleeps, so the native figure is only a lower bound), exactly
 * 300 ms of virtual time under lockstep, from 2100-01-01. */
static void
test_programs_gettimeofday(void **state)
{
	const char *const argv[] = {LOCKSTEP,  "run",   "--",
	                            TIME_VIRT, "exact", NULL};
	const char *const rounded[] = {LOCKSTEP, "run", "--", TIME_VIRT, NULL};
	const char *const native[] = {TIME_VIRT, NULL};
	struct e2e_result r;
	long long ms = 0;
	char *out;

	(void)state;
	e2e_spawn(&r, TIME_VIRT, native, NULL, NULL);
	assert_int_equal(r.status, 0);
	if (sscanf(r.out, "slept about %lld ms", &ms) != 1 || ms < 300)
		fail_msg("natively: %s", r.out);
	e2e_result_free(&r);
	e2e_spawn(&r, LOCKSTEP, rounded, NULL, NULL);
	assert_int_equal(r.status, 0);
	out = report_output(r.out);
	assert_string_equal(out, "slept about 300 ms\n");
	free(out);
	e2e_result_free(&r);
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 0);
	out = report_output(r.out);
	assert_string_equal(out, "start 4102444800.000000, elapsed 300000 us, "
	                         "time() 4102444800\n");
	free(out);
	e2e_result_free(&r);
}

/* A run's objects beyond lockstep's table (LK_MAX_OBJECTS): up to it every
 * semaphore is an object of the trace and no warning is given; past it the
 * program still runs as natively and the report says that the rest were
 * not tracked. */
static void
test_programs_object_table(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const fits[] = {LOCKSTEP, "run",     "-q",   "--trace", tp,
	                            "--",     MANY_SEMS, "1000", NULL};
	const char *const over[] = {LOCKSTEP, "run",     "-q",   "--trace", tp,
	                            "--",     MANY_SEMS, "1100", NULL};
	struct e2e_result r;
	json_t *tr;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, fits, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "1000 semaphores\n");
	assert_null(strstr(r.err, "objects"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_true(json_array_size(json_object_get(json_array_get(tr, 0),
	                                            "objects")) >= 1000);
	json_decref(tr);
	e2e_result_free(&r);

	e2e_spawn(&r, LOCKSTEP, over, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "1100 semaphores\n");
	if (strstr(r.err, "the run used more than 1024 objects") == NULL)
		fail_msg("no word of the full table:\n%s", r.err);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* raise runs the handler before it returns: a kill step, then the
 * signal's delivery; a blocked one waits for the unblock. */
static void
test_programs_raise(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(RAISE_SIG, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long k, d;

	(void)state;
	assert_string_equal(out, "handler USR1\nafter raise\n"
	                         "raised while blocked\nhandler USR2\n"
	                         "after unblock\n");
	assert_non_null(tr);
	k = find(tr, "kill", "main", 0);
	d = find(tr, "signal", "main", 0);
	assert_true(k > 0 && d == k + 1);
	assert_string_equal(arg_str(json_array_get(tr, k), "to"), "main");
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* sigwait, sigwaitinfo and sigtimedwait take signals without running
 * handlers; a timed wait times out on the virtual clock; SIGCHLD too. */
static void
test_programs_sigwait(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(SIG_WAIT, NULL, tp);
	json_t *tr = e2e_trace_load(tp);

	(void)state;
	assert_string_equal(out, "sigwait: USR2\nsigwaitinfo: USR1\n"
	                         "sigtimedwait: timed out\nsigwait: CHLD\n");
	assert_non_null(tr);
	/* The parent waits blocked; the child's kill comes first. */
	assert_true(find_step(tr, "pause", "main", 1, 0) > 0);
	assert_true(find(tr, "kill", "main.1", 0) <
	            find(tr, "signal", "main", 0));
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/*
 * A SIGCHLD handler runs once per delivery step, never for the kernel's
 * own copy raised when a child really exits after its exit step (bash's
 * handler makes steps: a copy would add steps, or not, by timing). For
 * several seeds: the handler's runs are the trace's SIGCHLD deliveries
 * to main, every child reaped; the same seed twice, the same trace.
 */
static void
test_programs_sigchld_once(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");

	(void)state;
	for (int seed = 1; seed <= 8; seed++) {
		char sd[16], *out, *first = NULL;
		const char *argv[] = {LOCKSTEP, "run",         "--seed",
		                      sd,       "--trace",     tp,
		                      "--",     SIGCHLD_COUNT, NULL};

		snprintf(sd, sizeof(sd), "%d", seed);
		for (int again = 0; again < 2; again++) {
			struct e2e_result r;
			json_t *tr;
			int runs = -1, delivered = 0;
			char *events;

			e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
			if (r.status != 0)
				fail_msg("seed %d: exit %d: %s", seed, r.status,
				         r.err);
			out = report_output(r.out);
			assert_non_null(strstr(out, "reaped 4\n"));
			assert_int_equal(
			        sscanf(strstr(out, "runs "), "runs %d", &runs),
			        1);
			tr = e2e_trace_load(tp);
			assert_non_null(tr);
			for (size_t i = 1; i < json_array_size(tr); i++) {
				json_t *e = json_array_get(tr, i);

				delivered += strcmp(json_string_value(
				                            json_object_get(
				                                    e, "op")),
				                    "signal") == 0 &&
				             json_integer_value(json_object_get(
				                     json_object_get(e, "args"),
				                     "signal")) == SIGCHLD;
			}
			if (runs != delivered || runs < 1)
				fail_msg(
				        "seed %d: the handler ran %d times for "
				        "%d deliveries",
				        seed, runs, delivered);
			events = e2e_trace_events(tp);
			if (first == NULL)
				first = events;
			else {
				if (strcmp(first, events) != 0)
					fail_msg("seed %d: another trace the "
					         "second time",
					         seed);
				free(events);
			}
			json_decref(tr);
			e2e_result_free(&r);
			free(out);
		}
		free(first);
	}
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* lockf: F_TLOCK and F_TEST find the lock busy, F_LOCK waits (a blocked
 * step) until the holder unlocks. */
static void
test_programs_lockf(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(LOCKF_WAIT, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long blocked, unlock, got;

	(void)state;
	assert_string_equal(out, "child: F_TLOCK busy\nchild: F_TEST busy\n"
	                         "parent: unlocking\nchild: locked\n");
	assert_non_null(tr);
	blocked = find_step(tr, "fcntl", "main.1", 1, 0);
	unlock = find(tr, "fcntl", "main", (size_t)blocked);
	got = find_step(tr, "fcntl", "main.1", 0, (size_t)blocked);
	assert_true(blocked > 0 && unlock > blocked && got > unlock);
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* A pipe write leaves the program's signal mask as it was: a signal
 * sent afterwards is delivered. */
static void
test_programs_pipe_write_mask(void **state)
{
	char *out = same_output(PIPE_SIGNAL, NULL, NULL);

	(void)state;
	assert_string_equal(out, "handler\ndone\n");
	free(out);
}

/* A descriptor number closed inside glibc (fclose) and made again by
 * pipe is the pipe: its read waits as a step, not for real. */
static void
test_programs_fd_reuse(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(FD_REUSE, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long r;

	(void)state;
	assert_string_equal(out, "start\ngot y\n");
	assert_non_null(tr);
	r = find_step(tr, "read", "main", 1, 0);
	assert_true(r > 0);
	assert_int_equal(strncmp(json_string_value(json_object_get(
	                                 json_array_get(tr, r), "obj")),
	                         "pipe", 4),
	                 0);
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* Start argv with standard output and error into files; its pid. */
static pid_t
start(const char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int n = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || n < 0 || dup2(n, 0) < 0 ||
		    dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		unsetenv("LD_PRELOAD");
		unsetenv("LOCKSTEP_SHM_FD");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Is there a SysV object with this id (second column) or key (first)
 * in /proc/sysvipc/what? */
static int
sysv_exists(const char *what, int id, int key)
{
	char path[64], line[512];
	int k, i, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", what);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%d %d", &k, &i) == 2 && (i == id || k == key))
			found = 1;
	fclose(f);
	return found;
}

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Accept n connections on the listening socket l, then write a byte to
 * each: the programs connected (each with its objects made and filled)
 * go on together. Fails when a program ends first (pids) or after 60 s,
 * a limit that only bounds a failure.
 */
static void
open_gate(int l, int n, const pid_t *pids, char *const *errs)
{
	int conn[8], got = 0, status;
	double t0 = now_s();

	assert_true(n <= 8);
	while (got < n) {
		struct pollfd p = {l, POLLIN, 0};

		for (int i = 0; i < n; i++)
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				char *e = e2e_read_file(errs[i], NULL);

				fail_msg(
				        "run %d ended (status 0x%x) before the "
				        "gate opened: %s",
				        i, status, e ? e : "");
			}
		if (now_s() - t0 > 60)
			fail_msg("%d of %d runs at the gate after 60 s", got,
			         n);
		if (poll(&p, 1, 50) == 1)
			conn[got++] = accept(l, NULL, NULL);
		assert_true(got == 0 || conn[got - 1] >= 0);
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(write(conn[i], "g", 1), 1);
		close(conn[i]);
	}
}

/* Two runs at once of a program with fixed SysV keys (0xABCD) and a fixed
 * semaphore name: each sees its own values (natively the second copy's
 * O_EXCL sem_open fails), and no segment or set is left afterwards. The
 * runs certainly overlap: each waits at a gate (a Unix socket of the
 * test's) with its objects made and filled until both are there. */
static void
test_programs_sysv_private_keys(void **state)
{
	const char *const argv[] = {
	        LOCKSTEP, "run", "--step-timeout", "120", "--", SYSV_KEY, NULL};
	char *dir = e2e_tempdir(), *out[2], *err[2];
	char *sock = e2e_path(dir, "gate");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	pid_t pid[2];
	int status, shm, sem, l;

	(void)state;
	assert_true(strlen(sock) < sizeof(a.sun_path));
	strcpy(a.sun_path, sock);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 2), 0);
	setenv("SYSV_KEY_GATE", sock, 1);
	for (int i = 0; i < 2; i++) {
		out[i] = e2e_path(dir, i ? "b.out" : "a.out");
		err[i] = e2e_path(dir, i ? "b.err" : "a.err");
		pid[i] = start(argv, out[i], err[i]);
	}
	unsetenv("SYSV_KEY_GATE");
	open_gate(l, 2, pid, err);
	close(l);
	free(sock);
	for (int i = 0; i < 2; i++) {
		char *o, *e, *ids;

		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		o = e2e_read_file(out[i], NULL);
		e = e2e_read_file(err[i], NULL);
		assert_non_null(o);
		assert_non_null(e);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("run %d: status %d: %s", i, status, e);
		assert_non_null(strstr(o, "| segment: own value, semaphore: "
		                          "own value, named semaphore: own "
		                          "value\n"));
		/* The program's stderr is in the report, apart. */
		ids = strstr(o, "stderr:\n  | ids: shm ");
		assert_non_null(ids);
		ids = strstr(ids, "ids: shm ");
		assert_non_null(ids);
		assert_int_equal(sscanf(ids, "ids: shm %d sem %d", &shm, &sem),
		                 2);
		assert_false(sysv_exists("shm", shm, 0xABCD));
		assert_false(sysv_exists("sem", sem, 0xABCD));
		free(o);
		free(e);
		free(out[i]);
		free(err[i]);
	}
	e2e_rmtree(dir);
	free(dir);
}

/* Copy file from to to, with mode. */
static void
copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	char *data = e2e_read_file(from, &len);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0700);

	assert_non_null(data);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(data);
}

/* The ELF check itself: dynamic programs, scripts and the dynamic loader
 * pass; static and set-id ones do not. */
static void
test_programs_elf_check(void **state)
{
	char *dir = e2e_tempdir(), *suid = e2e_path(dir, "suid");
	char *sgid = e2e_path(dir, "sgid"), *script = e2e_path(dir, "s.sh");
	char found[4096];
	FILE *f;

	(void)state;
	assert_int_equal(lk_elf_check(SEM_FORK), LK_ELF_OK);
	assert_int_equal(lk_elf_check("/no/such/file"), LK_ELF_OK);
	copy_file(SEM_FORK, suid, 04755);
	assert_int_equal(lk_elf_check(suid), LK_ELF_SETUID);
	copy_file(SEM_FORK, sgid, 02755);
	assert_int_equal(lk_elf_check(sgid), LK_ELF_SETGID);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho hi\n");
	fclose(f);
	assert_int_equal(lk_elf_check(script), LK_ELF_OK);
	assert_int_equal(lk_elf_find("sh", found, sizeof(found)), 0);
	assert_int_equal(lk_elf_check(found), LK_ELF_OK);
	if (access("/lib64/ld-linux-x86-64.so.2", R_OK) == 0)
		assert_int_equal(lk_elf_check("/lib64/ld-linux-x86-64.so.2"),
		                 LK_ELF_OK);
#ifdef STATIC_PROG
	assert_int_equal(lk_elf_check(STATIC_PROG), LK_ELF_STATIC);
	/* A script whose interpreter is static is judged by it. */
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!%s\n", STATIC_PROG);
	fclose(f);
	assert_int_equal(lk_elf_check(script), LK_ELF_STATIC);
#endif
	free(suid);
	free(sgid);
	free(script);
	e2e_rmtree(dir);
	free(dir);
}

/* A setuid copy of a program is refused: a process that cannot start,
 * exit 4, with the reason. */
static void
test_programs_setuid_refused(void **state)
{
	char *dir = e2e_tempdir(), *suid = e2e_path(dir, "prog");
	const char *const argv[] = {LOCKSTEP, "run", "--", suid, NULL};
	char want[4200];
	struct e2e_result r;

	(void)state;
	copy_file(SEM_FORK, suid, 04755);
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 4);
	snprintf(want, sizeof(want),
	         "lockstep: cannot follow %s: setuid (the interposer cannot be "
	         "preloaded)\n",
	         suid);
	assert_non_null(strstr(r.err, want));
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	free(suid);
	e2e_rmtree(dir);
	free(dir);
}

/* A statically linked program is refused: started directly (a process
 * that cannot start: exit 4), or exec'd by a process of the run (the exec
 * fails with EACCES). */
static void
test_programs_static_refused(void **state)
{
#ifdef STATIC_PROG
	const char *const argv[] = {LOCKSTEP, "run", "--", STATIC_PROG, NULL};
	const char *const sh[] = {LOCKSTEP, "run",
	                          "--",     "sh",
	                          "-c",     STATIC_PROG "; echo status $?",
	                          NULL};
	const char *want = "lockstep: cannot follow " STATIC_PROG
	                   ": statically linked (the interposer cannot be "
	                   "preloaded)\n";
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, want));
	assert_null(strstr(r.out, "static hello"));
	e2e_result_free(&r);
	/* The shell's child cannot exec it and exits 126: a status the
	 * shell sees (its own is 0), not a crash. The message is on the
	 * run's standard error, which the report shows. */
	e2e_spawn(&r, LOCKSTEP, sh, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, want + strlen("lockstep: ")));
	assert_non_null(strstr(r.out, "| status 126\n")); /* EACCES */
	assert_null(strstr(r.out, "static hello"));
	e2e_result_free(&r);
#else
	(void)state;
	skip();
#endif
}

/* --- posix_spawn, posix_spawnp, system, popen ---------------------------- */

/* The first event from index from on with op by proc whose args.path is
 * path and whose ret is ret; -1 when none. */
static long
find_exec(json_t *tr, const char *proc, const char *path, long ret, size_t from)
{
	long i = find(tr, "execve", proc, from);

	while (i > 0 &&
	       (strcmp(arg_str(json_array_get(tr, i), "path"), path) != 0 ||
	        json_integer_value(
	                json_object_get(json_array_get(tr, i), "ret")) != ret))
		i = find(tr, "execve", proc, (size_t)i + 1);
	return i;
}

/* The first read by proc from index from on that carried data; -1. */
static long
find_read_data(json_t *tr, const char *proc, const char *data, size_t from)
{
	long i = find_step(tr, "read", proc, 0, from);

	while (i > 0 && strcmp(arg_str(json_array_get(tr, i), "data"), data))
		i = find_step(tr, "read", proc, 0, (size_t)i + 1);
	return i;
}

/* The wait by proc that reaped child, from index from on; -1. */
static long
find_reap(json_t *tr, const char *proc, const char *child, size_t from)
{
	long i = find_step(tr, "waitpid", proc, 0, from);

	while (i > 0 && strcmp(arg_str(json_array_get(tr, i), "child"), child))
		i = find_step(tr, "waitpid", proc, 0, (size_t)i + 1);
	return i;
}

/* posix_spawn with file actions: the child is main.1, its dup2 into the
 * pipe and its exec are steps, the parent reads what echo wrote and
 * reaps it; with the interposer preloaded outside a run, glibc's
 * posix_spawn runs and prints the same. */
static void
test_programs_spawn_file_actions(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(SPAWN_PIPE, NULL, tp);
	const char *const argv[] = {SPAWN_PIPE, NULL};
	const char *const env[] = {
	        "LD_PRELOAD=" LK_BUILD_DIR "/liblockstep-interpose.so", NULL};
	json_t *tr = e2e_trace_load(tp);
	struct e2e_result r;
	long f, d, x, rd, w;

	(void)state;
	assert_string_equal(out, "parent read: hello from echo\n"
	                         "child exited 0\n");
	assert_non_null(tr);
	f = find(tr, "fork", "main", 0);
	assert_true(f > 0);
	assert_string_equal(arg_str(json_array_get(tr, f), "child"), "main.1");
	assert_true(find(tr, "start", "main.1", 0) > f);
	d = find(tr, "dup2", "main.1", 0);
	x = find_exec(tr, "main.1", "/bin/echo", 0, 0);
	assert_true(d > f && x > d);
	rd = find_read_data(tr, "main", "hello from echo\n", 0);
	assert_true(rd > x);
	w = find_reap(tr, "main", "main.1", 0);
	assert_true(w > find(tr, "exit", "main.1", 0));
	json_decref(tr);
	free(out);
	/* Outside a run the wrappers are glibc's functions. */
	e2e_spawn(&r, SPAWN_PIPE, argv, env, dir);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "parent read: hello from echo\n"
	                           "child exited 0\n");
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* posix_spawnp of a program nowhere in PATH: ENOENT, its child (main.1)
 * tried the exec as a step and was reaped; the next spawn is main.2. */
static void
test_programs_spawnp_missing(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(SPAWN_MISSING, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long x, w;

	(void)state;
	assert_string_equal(out, "missing: ENOENT\nchildren left: none\n"
	                         "true: exit 0\n");
	assert_non_null(tr);
	x = find_exec(tr, "main.1", "lockstep-no-such-program", -1, 0);
	assert_true(x > 0);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_array_get(tr, x), "errno")),
	                 ENOENT);
	w = find_reap(tr, "main", "main.1", 0);
	assert_true(w > x);
	assert_true(find_exec(tr, "main.2", "true", 0, (size_t)w) > w);
	assert_true(find_reap(tr, "main", "main.2", (size_t)w + 1) > w);
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* system("echo hi; exit 3"): 3 natively and under lockstep, the shell
 * is main.1 and its exec a step. Its exit status 3 fails the run (exit
 * 4), as any process's non-zero exit does. */
static void
test_programs_spawn_system(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const native[] = {SPAWN_SYSTEM, NULL};
	const char *const argv[] = {LOCKSTEP, "run",        "--trace", tp,
	                            "--",     SPAWN_SYSTEM, NULL};
	const char *want = "shell: yes\nhi\nstatus: exit 3\n";
	struct e2e_result n, r;
	json_t *tr;
	char *out;
	long x, w;

	(void)state;
	e2e_spawn(&n, SPAWN_SYSTEM, native, NULL, dir);
	assert_int_equal(n.status, 0);
	assert_string_equal(n.out, want);
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	/* system's child exits 3: a status main sees, not a failure. */
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "exited with status"));
	assert_int_equal(r.leftovers, 0);
	out = report_output(r.out);
	assert_string_equal(out, want);
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	x = find_exec(tr, "main.1", "/bin/sh", 0, 0);
	assert_true(x > find(tr, "fork", "main", 0));
	w = find_reap(tr, "main", "main.1", 0);
	assert_true(w > x);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(json_array_get(tr, w), "args"),
	                         "status")),
	                 3 << 8);
	assert_true(find(tr, "exit", "main", (size_t)w) > w);
	json_decref(tr);
	free(out);
	e2e_result_free(&n);
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* popen for reading and for writing: the shells are main.1 and main.2,
 * their pipes are pipes of the run (the parent's read of "a b c" and
 * wc's read of what the parent wrote are steps), pclose waits as a
 * step. */
static void
test_programs_spawn_popen(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(SPAWN_POPEN, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long x1, rd, x2, wc;

	(void)state;
	assert_string_equal(out, "read: a b c\npclose: exit 0\n12\n"
	                         "pclose: exit 0\n");
	assert_non_null(tr);
	x1 = find_exec(tr, "main.1", "/bin/sh", 0, 0);
	assert_true(x1 > 0);
	rd = find_read_data(tr, "main", "a b c\n", 0);
	assert_true(rd > x1);
	assert_true(find_reap(tr, "main", "main.1", (size_t)rd) > rd);
	x2 = find_exec(tr, "main.2", "/bin/sh", 0, 0);
	assert_true(x2 > rd);
	/* The shell's own child, wc, reads through the pipe. */
	wc = find_read_data(tr, "main.2.1", "twelve bytes", 0);
	assert_true(wc > x2);
	assert_true(find_reap(tr, "main", "main.2", (size_t)wc) > wc);
	json_decref(tr);
	free(out);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* --- processes followed, glibc's own calls ------------------------------ */

/* The data of event i of the trace, or "". */
static const char *
data_at(json_t *tr, long i)
{
	return i > 0 ? arg_str(json_array_get(tr, i), "data") : "";
}

/* stdio over a pipe: fprintf + fflush, fclose, fgets, the flush at exit
 * are steps (where the kernel dispatches system calls), and _exit
 * discards the child's copy of the parent's buffered "start". */
static void
test_programs_stdio_pipe(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(STDIO_PIPE, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long w1, w2, c, r, o;

	(void)state;
	assert_string_equal(out, "start\ngot one\ngot two\nend\n");
	assert_non_null(tr);
	if (!e2e_dispatch_available())
		skip();
	w1 = find_step(tr, "write", "main.1", 0, 0);
	assert_string_equal(data_at(tr, w1), "one\n");
	w2 = find_step(tr, "write", "main.1", 0, (size_t)w1 + 1);
	assert_string_equal(data_at(tr, w2), "two\n");
	c = find_step(tr, "close", "main.1", 0, (size_t)w2 + 1);
	assert_true(c > w2);
	assert_true(find_step(tr, "exit", "main.1", 0, (size_t)c + 1) > c);
	/* fgets waits for the child as a step, then reads both lines. */
	assert_true(find_step(tr, "read", "main", 1, 0) > 0);
	r = find_step(tr, "read", "main", 0, 0);
	assert_true(r > w2);
	assert_string_equal(data_at(tr, r), "one\ntwo\n");
	/* The parent's standard output, flushed by exit, once. */
	o = find_step(tr, "write", "main", 0, (size_t)r + 1);
	assert_string_equal(data_at(tr, o), "start\ngot one\ngot two\nend\n");
	assert_int_equal(find_step(tr, "write", "main", 0, (size_t)o + 1), -1);
	json_decref(tr);
	free(out);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* Forks and execs three levels deep: main, main.1, main.1.1, main.1.1.1,
 * each exec a step, each level's output a step of its own. */
static void
test_programs_nest_exec(void **state)
{
	static const char *const names[] = {"main", "main.1", "main.1.1",
	                                    "main.1.1.1"};
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(NEST_EXEC, NULL, tp);
	json_t *tr = e2e_trace_load(tp);

	(void)state;
	assert_string_equal(out, "level 0\nlevel 1\nlevel 2\nlevel 3\n");
	assert_non_null(tr);
	for (int i = 1; i < 4; i++) {
		long f = find_step(tr, "fork", names[i - 1], 0, 0);
		long e = find_step(tr, "execve", names[i], 0, 0);
		long w = find_step(tr, "waitpid", names[i - 1], 0, 0);

		assert_true(f > 0);
		assert_true(e > f);
		assert_true(w > e);
		if (e2e_dispatch_available()) {
			char want[16];

			snprintf(want, sizeof(want), "level %d\n", i);
			assert_string_equal(
			        data_at(tr, find_step(tr, "write", names[i], 0,
			                              (size_t)e)),
			        want);
		}
	}
	json_decref(tr);
	free(out);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* A child that clears its environment and execs with an empty one is
 * still followed: its exec and its output are its steps. */
static void
test_programs_clearenv_exec(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	char *out = same_output(CLEARENV_EXEC, NULL, tp);
	json_t *tr = e2e_trace_load(tp);
	long e;

	(void)state;
	assert_string_equal(out, "inner ran\nouter done\n");
	assert_non_null(tr);
	e = find_step(tr, "execve", "main.1", 0, 0);
	assert_true(e > 0);
	assert_true(find_step(tr, "exit", "main.1", 0, (size_t)e) > e);
	if (e2e_dispatch_available())
		assert_string_equal(data_at(tr, find_step(tr, "write", "main.1",
		                                          0, (size_t)e)),
		                    "inner ran\n");
	json_decref(tr);
	free(out);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* alarm and setitimer on the virtual clock: pause waits for the alarm,
 * sleep is cut short by one, a periodic timer rings; 10 virtual seconds,
 * every SIGALRM a signal step. */
static void
test_programs_alarm_virtual(void **state)
{
	const char *const argv[] = {LOCKSTEP, "run", "--", ALARM_VIRT, NULL};
	struct e2e_result r;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, NULL);
	if (r.status != 0)
		fail_msg("exit %d: %s\n%s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "  | pause: rings 1\n"
	                              "  | sleep: 8 left, rings 2\n"
	                              "  | alarm: 30 left\n"
	                              "  | timer: rings 5, 10 s\n"));
	assert_non_null(strstr(r.out, "virtual time 10 s"));
	assert_non_null(strstr(r.out, "signal SIGALRM"));
	e2e_result_free(&r);
}

/* --stable-pids (issue 7) ------------------------------------------- */

/* Processes (zombies too) whose name is comm. */
static int
count_procs(const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], name[64] = "";
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(name, sizeof(name), f) != NULL)
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
		n += strcmp(name, comm) == 0;
	}
	closedir(d);
	return n;
}

/* Run print_pids under --stable-pids with MODE=mode (NULL: none); false
 * when the kernel refuses the namespace (the caller skips). */
static int
run_stable(struct e2e_result *r, const char *mode)
{
	const char *const argv[] = {LOCKSTEP, "run",      "--stable-pids",
	                            "--",     PRINT_PIDS, NULL};
	char env0[32];
	const char *const env[] = {env0, NULL};

	snprintf(env0, sizeof(env0), "MODE=%s", mode ? mode : "");
	e2e_spawn(r, LOCKSTEP, argv, env, NULL);
	if (r->status == 2 && strstr(r->err, "refuses a new pid namespace")) {
		e2e_result_free(r);
		return 0;
	}
	/* Nothing of the run is left: no process, no object. */
	assert_int_equal(r->leftovers, 0);
	assert_int_equal(count_procs("prog_print_pids"), 0);
	return 1;
}

/* The same pids in every run: main is 2 (its parent, pid 1, is
 * lockstep's init of the namespace), its children 3 and 4. A deadlock
 * and a crash inside the namespace are reported as anywhere else. */
static void
test_programs_stable_pids(void **state)
{
	struct e2e_result a, b;
	const char *out;

	(void)state;
	if (!run_stable(&a, NULL))
		skip();
	if (a.status != 0)
		fail_msg("exit %d: %s", a.status, a.err);
	out = strstr(a.out, "output:\n");
	assert_non_null(out);
	assert_string_equal(out, "output:\n"
	                         "  | main 2\n"
	                         "  | child1 3 parent 2\n"
	                         "  | child2 4 parent 2\n"
	                         "expect:\n"
	                         "  ok   main exits with status 0\n");
	assert_true(run_stable(&b, NULL));
	assert_int_equal(b.status, 0);
	assert_non_null(strstr(b.out, "output:\n"));
	assert_string_equal(strstr(b.out, "output:\n"), out);
	e2e_result_free(&a);
	e2e_result_free(&b);

	assert_true(run_stable(&a, "hang"));
	assert_int_equal(a.status, 3);
	assert_non_null(strstr(a.out, "wait-for cycle: main -> main.1 -> "
	                              "main"));
	e2e_result_free(&a);

	assert_true(run_stable(&a, "crash"));
	assert_int_equal(a.status, 4);
	assert_non_null(strstr(a.err, "main.2 was killed by signal 6"));
	e2e_result_free(&a);
}

/* --stable-pids is for programs: a scenario is bad usage. */
static void
test_programs_stable_pids_scenario(void **state)
{
	struct e2e_result r;

	(void)state;
	E2E_LOCKSTEP(&r, "run", "--stable-pids", "scenarios/rendezvous.xml");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--stable-pids is for a program"));
	e2e_result_free(&r);
}

/*
 * Program names beside process names (issue 7): a process that exec'd is
 * shown as "main.2 (wc)" in the step table, the deadlock explanation and
 * the crash messages, and the trace header says "program" for it; the
 * name in the trace stays "main.2".
 */

/* The header's procs entry of process name in trace tr, or NULL. */
static json_t *
header_proc(json_t *tr, const char *name)
{
	json_t *procs = json_object_get(json_array_get(tr, 0), "procs"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "name")),
		           name) == 0)
			return p;
	}
	return NULL;
}

/* The line of text that starts with prefix, copied into buf. */
static const char *
line_of(const char *text, const char *prefix, char *buf, size_t size)
{
	const char *s = strstr(text, prefix);
	size_t n;

	if (s == NULL)
		return "";
	n = strcspn(s, "\n");
	snprintf(buf, size, "%.*s", (int)n, s);
	return buf;
}

/* echo hello | wc: main.2 runs wc, main.1 (a forked sh) runs echo. */
static void
test_programs_exec_names(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const argv[] = {
	        LOCKSTEP, "run", "--trace",         tp,  "--",
	        "sh",     "-c",  "echo hello | wc", NULL};
	struct e2e_result r;
	char head[512];
	json_t *tr, *p;
	size_t i;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, dir);
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	/* The column heads: main runs sh (the program given), main.1 is a
	 * forked sh that did not exec, main.2 exec'd wc. */
	line_of(r.out, " step  ", head, sizeof(head));
	if (!strstr(head, " main (sh) ") || !strstr(head, " main.1 ") ||
	    strstr(head, "main.1 (") || !strstr(head, " main.2 (wc)"))
		fail_msg("column heads: \"%s\"", head);
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	p = header_proc(tr, "main.2");
	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "program")),
	                    "wc");
	/* main was started as sh by lockstep, not by an exec of its own. */
	assert_null(json_object_get(header_proc(tr, "main"), "program"));
	assert_null(json_object_get(header_proc(tr, "main.1"), "program"));
	/* Events, clocks and the header's names stay logical. */
	assert_true(find(tr, "execve", "main.2", 0) > 0);
	for (i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);

		assert_null(strchr(
		        json_string_value(json_object_get(e, "proc")), '('));
		assert_null(json_object_get(json_object_get(e, "vc"),
		                            "main.2 (wc)"));
	}
	json_decref(tr);
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* wc reads a FIFO whose write end the shell keeps open while it waits:
 * the explanation names wc, the header's blocked map does not. */
static void
test_programs_exec_deadlock_names(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const argv[] = {
	        LOCKSTEP, "run", "--trace", tp,
	        "--",     "sh",  "-c",      "mkfifo p; wc < p & exec 3>p; wait",
	        NULL};
	struct e2e_result r;
	json_t *tr, *blocked;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, argv, NULL, dir);
	if (r.status != 3)
		fail_msg("exit %d: %s%s", r.status, r.out, r.err);
	if (!strstr(r.out, "\nmain.2 (wc) waits for data or the end of file "
	                   "on FIFO p; its write end is still open in main, "
	                   "which waits for a signal\n"))
		fail_msg("no explanation naming wc in:\n%s", r.out);
	assert_non_null(strstr(r.out, " main.1 (mkfifo) "));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	blocked = json_object_get(json_array_get(tr, 0), "blocked");
	assert_string_equal(
	        json_string_value(json_object_get(blocked, "main.2")), "p");
	assert_string_equal(json_string_value(json_object_get(
	                            header_proc(tr, "main.1"), "program")),
	                    "mkfifo");
	json_decref(tr);
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* main execs false itself (after failed execs along PATH): "main
 * (false)" in the crash message; execs that all fail name no program. */
static void
test_programs_exec_crash_names(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const a1[] = {LOCKSTEP, "run", "--trace",    tp,  "--",
	                          "sh",     "-c",  "exec false", NULL};
	const char *const a2[] = {
	        LOCKSTEP, "run", "--trace", tp,
	        "--",     "sh",  "-c",      "exec lk-no-such-program-7",
	        NULL};
	struct e2e_result r;
	char head[512];
	json_t *tr;

	(void)state;
	e2e_spawn(&r, LOCKSTEP, a1, NULL, dir);
	assert_int_equal(r.status, 1); /* main exits 1: a failed run */
	assert_non_null(
	        strstr(r.err, "lockstep: main (false) exited with status 1"));
	line_of(r.out, " step  ", head, sizeof(head));
	assert_non_null(strstr(head, " main (false)"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_string_equal(json_string_value(json_object_get(
	                            header_proc(tr, "main"), "program")),
	                    "false");
	json_decref(tr);
	e2e_result_free(&r);

	e2e_spawn(&r, LOCKSTEP, a2, NULL, dir);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "lockstep: main exited with status 127"));
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	assert_true(find(tr, "execve", "main", 0) > 0);
	assert_null(json_object_get(header_proc(tr, "main"), "program"));
	json_decref(tr);
	e2e_result_free(&r);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
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
	        cmocka_unit_test(test_programs_vector_io),
	        cmocka_unit_test(test_programs_rand_seeded),
	        cmocka_unit_test(test_programs_rand_fork_starts_afresh),
	        cmocka_unit_test(test_programs_entropy_seeded),
	        cmocka_unit_test(test_programs_gettimeofday),
	        cmocka_unit_test(test_programs_object_table),
	        cmocka_unit_test(test_programs_raise),
	        cmocka_unit_test(test_programs_sigwait),
	        cmocka_unit_test(test_programs_sigchld_once),
	        cmocka_unit_test(test_programs_lockf),
	        cmocka_unit_test(test_programs_pipe_write_mask),
	        cmocka_unit_test(test_programs_fd_reuse),
	        cmocka_unit_test(test_programs_sysv_private_keys),
	        cmocka_unit_test(test_programs_elf_check),
	        cmocka_unit_test(test_programs_setuid_refused),
	        cmocka_unit_test(test_programs_static_refused),
	        cmocka_unit_test(test_programs_spawn_file_actions),
	        cmocka_unit_test(test_programs_spawnp_missing),
	        cmocka_unit_test(test_programs_spawn_system),
	        cmocka_unit_test(test_programs_spawn_popen),
	        cmocka_unit_test(test_programs_stdio_pipe),
	        cmocka_unit_test(test_programs_nest_exec),
	        cmocka_unit_test(test_programs_clearenv_exec),
	        cmocka_unit_test(test_programs_alarm_virtual),
	        cmocka_unit_test(test_programs_stable_pids),
	        cmocka_unit_test(test_programs_stable_pids_scenario),
	        cmocka_unit_test(test_programs_exec_names),
	        cmocka_unit_test(test_programs_exec_deadlock_names),
	        cmocka_unit_test(test_programs_exec_crash_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
