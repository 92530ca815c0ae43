/* Unit tests of the trace: vector clocks, happens-before, the wait-for
 * cycle finder, deadlock explanations, expectations and labels. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/analysis.h"
#include "trace/trace.h"

/* A trace of processes A, B and objects s0, s1, out (a file). */
static struct lk_trace *
make_trace(size_t nprocs)
{
	struct lk_trace *t = lk_trace_new();
	static const char *const names[] = {"A", "B", "C", "D"};

	t->scenario = strdup("t");
	t->file = strdup("t.xml");
	t->nprocs = nprocs;
	t->procs = calloc(nprocs, sizeof(*t->procs));
	for (size_t i = 0; i < nprocs; i++) {
		strcpy(t->procs[i].name, names[i]);
		t->procs[i].parent = -1;
		t->procs[i].blocked_on = -1;
	}
	t->nobjs = 3;
	t->objs = calloc(3, sizeof(*t->objs));
	strcpy(t->objs[0].name, "s0");
	strcpy(t->objs[1].name, "s1");
	strcpy(t->objs[2].name, "out");
	t->objs[2].type = LK_OT_FILE;
	t->ev = calloc(64, sizeof(*t->ev));
	return t;
}

/* Append an event. */
static struct lk_tev *
add(struct lk_trace *t, int proc, int op, int obj, int64_t ret, int blocked)
{
	struct lk_tev *e = &t->ev[t->nevents];

	e->step = (uint32_t)t->nevents++;
	e->proc = proc;
	e->op = op;
	e->obj = obj;
	e->ret = ret;
	e->blocked = blocked;
	return e;
}

/* Append a print of text by proc. */
static void
add_print(struct lk_trace *t, int proc, const char *text)
{
	struct lk_tev *e = add(t, proc, LK_OP_WRITE, -1, 3, 0);

	e->act = LK_ACT_PRINT + 1;
	e->len = strlen(text) + 1;
	e->data = malloc(e->len + 1);
	sprintf(e->data, "%s\n", text);
}

/* Program order ticks each process; a post releases, a wait acquires. */
static void
test_trace_vclock_post_wait(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 1, LK_OP_SEM_WAIT, 0, -1, 1); /* 0: B blocks on s0 */
	add(t, 0, LK_OP_SEM_POST, 1, 0, 0);  /* 1: A posts s1 (unrelated) */
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);  /* 2: A posts s0 */
	add(t, 1, LK_OP_SEM_WAIT, 0, 0, 0);  /* 3: B gets s0 */
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);  /* 4: A posts s0 again */
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_int_equal(t->ev[0].vc[1], 1);
	assert_int_equal(t->ev[0].vc[0], 0);
	assert_int_equal(t->ev[2].vc[0], 2);
	assert_int_equal(t->ev[3].vc[0], 2);
	assert_int_equal(t->ev[3].vc[1], 2);
	assert_true(lk_trace_hb(t, 2, 3));
	assert_true(lk_trace_hb(t, 1, 3));
	assert_false(lk_trace_hb(t, 0, 2)); /* blocked: no edge */
	assert_false(lk_trace_hb(t, 3, 4)); /* concurrent */
	assert_false(lk_trace_hb(t, 4, 3));
	assert_false(lk_trace_hb(t, 3, 3));
	lk_trace_free(t);
}

/* A blocked or failed wait acquires nothing. */
static void
test_trace_vclock_failed_wait(void **state)
{
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);
	add(t, 1, LK_OP_SEM_TRYWAIT, 0, -1, 0);
	add(t, 1, LK_OP_SEM_TRYWAIT, 0, 0, 0);
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_false(lk_trace_hb(t, 0, 1));
	assert_true(lk_trace_hb(t, 0, 2));
	lk_trace_free(t);
}

/* A fork hands the parent's clock to the child's start. */
static void
test_trace_vclock_fork(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_tev *e;

	(void)state;
	t->procs[1].parent = 0;
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);
	e = add(t, 0, LK_OP_FORK, -1, 1, 0);
	e->u.fork.child = 1;
	e = add(t, 1, LK_OP_START, -1, 0, 0);
	e->u.start.parent = 0;
	add(t, 0, LK_OP_SEM_POST, 1, 0, 0);
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_true(lk_trace_hb(t, 1, 2));
	assert_true(lk_trace_hb(t, 0, 2));
	assert_false(lk_trace_hb(t, 3, 2));
	assert_int_equal(t->ev[2].vc[0], 2);
	lk_trace_free(t);
}

/* Each edge lk_trace_edges gives is a happens-before relation of the
 * clocks lk_trace_vclocks computes (the same walk), between two
 * processes; the edges, n of them, of the given kinds in that order. */
static void
check_edges(struct lk_trace *t, const size_t (*want)[3], size_t n)
{
	struct lk_hb_edge *d;
	size_t nd;

	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_int_equal(lk_trace_edges(t, &d, &nd), 0);
	assert_int_equal(nd, n);
	for (size_t k = 0; k < nd; k++) {
		assert_true(lk_trace_hb(t, d[k].from, d[k].to));
		assert_int_not_equal(t->ev[d[k].from].proc,
		                     t->ev[d[k].to].proc);
		assert_int_equal(d[k].from, want[k][0]);
		assert_int_equal(d[k].to, want[k][1]);
		assert_int_equal(d[k].kind, want[k][2]);
	}
	free(d);
}

/* The edges of a wait: from the latest post by another process (a
 * witness: the semaphore joined every post); none from its own post,
 * none for a blocked wait. */
static void
test_trace_edges_post_wait(void **state)
{
	static const size_t want[][3] = {{1, 3, LK_HB_POST_WAIT},
	                                 {2, 6, LK_HB_POST_WAIT}};
	struct lk_trace *t = make_trace(2);

	(void)state;
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);  /* 0: A posts s0 */
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);  /* 1: A posts s0 */
	add(t, 1, LK_OP_SEM_POST, 0, 0, 0);  /* 2: B posts s0 */
	add(t, 1, LK_OP_SEM_WAIT, 0, 0, 0);  /* 3: B: from A's latest, 1 */
	add(t, 1, LK_OP_SEM_WAIT, 1, -1, 1); /* 4: blocked: none */
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);  /* 5: A posts s0 */
	add(t, 0, LK_OP_SEM_WAIT, 0, 0, 0);  /* 6: A: from B's latest, 2 */
	check_edges(t, want, 2);
	lk_trace_free(t);
}

/* A delivery joins only the kills of its signal not delivered yet: a
 * kill of another signal, or of signal 0 (which delivers nothing), is no
 * edge and adds nothing to its clock; two kills before one delivery are
 * two edges (standard signals are not queued). */
static void
test_trace_edges_kill_signal(void **state)
{
	static const size_t want[][3] = {{0, 3, LK_HB_KILL_SIGNAL},
	                                 {2, 3, LK_HB_KILL_SIGNAL}};
	struct lk_trace *t = make_trace(3);
	struct lk_tev *e;

	(void)state;
	e = add(t, 0, LK_OP_KILL, -1, 0, 0); /* 0: A: SIGUSR1 to C */
	e->u.kill.to = 2, e->u.kill.sig = SIGUSR1;
	e = add(t, 1, LK_OP_KILL, -1, 0, 0); /* 1: B: SIGUSR2 to C */
	e->u.kill.to = 2, e->u.kill.sig = SIGUSR2;
	e = add(t, 1, LK_OP_KILL, -1, 0, 0); /* 2: B: SIGUSR1 to C */
	e->u.kill.to = 2, e->u.kill.sig = SIGUSR1;
	e = add(t, 2, LK_OP_SIGNAL, -1, 0, 0); /* 3: C: SIGUSR1 */
	e->u.signal.sig = SIGUSR1;
	e = add(t, 0, LK_OP_KILL, -1, 0, 0); /* 4: A: signal 0 to C */
	e->u.kill.to = 2, e->u.kill.sig = 0;
	e = add(t, 2, LK_OP_SIGNAL, -1, 0, 0); /* 5: C: SIGUSR1 again */
	e->u.signal.sig = SIGUSR1;
	check_edges(t, want, 2);
	assert_true(lk_trace_hb(t, 2, 3));
	assert_true(lk_trace_hb(t, 1, 3));  /* B's program order to 2 */
	assert_false(lk_trace_hb(t, 4, 5)); /* signal 0: nothing sent */
	lk_trace_free(t);
}

/* Record locks: an unlock to the next conflicting locks of other
 * processes (two read locks share the unlock); a query (F_OFD_GETLK as
 * F_GETLK) takes nothing; the exit of a holder lets its lock go. */
static void
test_trace_edges_locks(void **state)
{
	static const size_t want[][3] = {{1, 3, LK_HB_UNLOCK_LOCK},
	                                 {1, 4, LK_HB_UNLOCK_LOCK},
	                                 {5, 6, LK_HB_UNLOCK_LOCK}};
	struct lk_trace *t = make_trace(3);
	struct lk_tev *e;

	(void)state;
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0); /* 0: A write-locks out */
	e->u.lock.cmd = F_SETLKW, e->u.lock.type = F_WRLCK;
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0); /* 1: A unlocks */
	e->u.lock.cmd = F_SETLK, e->u.lock.type = F_UNLCK;
	e = add(t, 2, LK_OP_FCNTL, 2, 0, 0); /* 2: C asks (OFD): nothing */
	e->u.lock.cmd = F_OFD_GETLK, e->u.lock.type = F_WRLCK;
	e = add(t, 1, LK_OP_FCNTL, 2, 0, 0); /* 3: B read-locks: from 1 */
	e->u.lock.cmd = F_SETLKW, e->u.lock.type = F_RDLCK;
	e = add(t, 2, LK_OP_FCNTL, 2, 0, 0); /* 4: C read-locks: from 1 */
	e->u.lock.cmd = F_SETLKW, e->u.lock.type = F_RDLCK;
	add(t, 1, LK_OP_EXIT, -1, 0, 0);     /* 5: B exits holding it */
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0); /* 6: A write-locks: from 5 */
	e->u.lock.cmd = F_SETLKW, e->u.lock.type = F_WRLCK;
	check_edges(t, want, 3);
	assert_false(lk_trace_hb(t, 1, 2)); /* a query joins nothing */
	lk_trace_free(t);
}

/* Two processes each waiting for what only the other posts: a cycle. */
static void
test_trace_cycle_two(void **state)
{
	int waits[2] = {1, 0}, exited[2] = {0, 0}, cycle[3];
	uint64_t rel[3] = {1u << 0, 1u << 1, 0};

	(void)state;
	assert_int_equal(lk_find_cycle(2, waits, rel, exited, cycle), 2);
	assert_int_equal(cycle[0], cycle[2]);
	assert_int_not_equal(cycle[0], cycle[1]);
}

/* No cycle when the releaser is gone or nobody waits. */
static void
test_trace_cycle_none(void **state)
{
	int waits[3] = {1, -1, 0}, exited[3] = {0, 0, 0}, cycle[4];
	uint64_t rel[3] = {1u << 0, 1u << 1, 0};

	(void)state;
	/* A waits for s1 (posted by B, who runs); C waits for s0 (by A). */
	assert_int_equal(lk_find_cycle(3, waits, rel, exited, cycle), 0);
	waits[0] = 2; /* nobody posts object 2 */
	assert_int_equal(lk_find_cycle(3, waits, rel, exited, cycle), 0);
}

/* A three-process ring is found whole. */
static void
test_trace_cycle_three(void **state)
{
	int waits[3] = {0, 1, 2}, exited[3] = {0, 0, 0}, cycle[4];
	/* A waits s0 posted by B; B waits s1 posted by C; C waits s2 by A. */
	uint64_t rel[3] = {1u << 1, 1u << 2, 1u << 0};

	(void)state;
	assert_int_equal(lk_find_cycle(3, waits, rel, exited, cycle), 3);
	assert_int_equal(cycle[0], cycle[3]);
	exited[2] = 1;
	assert_int_equal(lk_find_cycle(3, waits, rel, exited, cycle), 0);
}

/* The explanation names each blocked process, object, value, releaser. */
static void
test_trace_explain_deadlock(void **state)
{
	struct lk_trace *t = make_trace(2);
	char buf[1024];

	(void)state;
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0); /* A posted s0 once before */
	add(t, 1, LK_OP_SEM_POST, 1, 0, 0); /* B posted s1 once before */
	t->procs[0].blocked_on = 1;
	t->procs[1].blocked_on = 0;
	t->objs[0].value = 0;
	t->objs[1].value = 0;
	t->verdict = LK_V_DEADLOCK;
	lk_explain_deadlock(t, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "A waits for s1 (0), which only B posts"));
	assert_non_null(strstr(buf, "B waits for s0 (0), which only A posts"));
	assert_non_null(strstr(buf, "wait-for cycle: A -> B -> A"));
	lk_trace_free(t);
}

/* --expect-exit: main (process 0) exits with the status, or the run
 * failed; a child's status counts for nothing; a signal name. */
static void
test_trace_expect_exit(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_sc_expect x[1] = {{.kind = LK_EXPECT_EXIT, .value = 0}};
	struct lk_scenario sc = {.name = "t", .expects = x, .nexpects = 1};
	struct lk_verdict_line v[1];

	(void)state;
	t->procs[0].exited = 1;
	t->procs[1].exited = 1;
	t->procs[1].status = 1; /* a child's grep found nothing */
	assert_int_equal(lk_expect_eval(t, &sc, v), 0);
	assert_true(v[0].passed);
	assert_string_equal(v[0].text, "main exits with status 0");
	t->procs[0].status = 2;
	assert_int_equal(lk_expect_eval(t, &sc, v), 1);
	assert_string_equal(v[0].text,
	                    "main exits with status 0 (it exited with 2)");
	x[0].value = 2;
	assert_int_equal(lk_expect_eval(t, &sc, v), 0);
	t->procs[0].exited = 0;
	assert_int_equal(lk_expect_eval(t, &sc, v), 1);
	assert_non_null(strstr(v[0].text, "(it did not exit)"));
	assert_string_equal(lk_signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(lk_signal_name(SIGABRT), "SIGABRT");
	lk_trace_free(t);
}

/* Expectations: before, output, contents, deadlock; with quantifiers. */
static void
test_trace_expectations(void **state)
{
	struct lk_trace *t = make_trace(2);
	struct lk_sc_object objs[3] = {{.name = "s0"},
	                               {.name = "s1"},
	                               {.name = "out", .kind = LK_OBJ_FILE}};
	struct lk_sc_expect x[6] = {
	        {.kind = LK_EXPECT_BEFORE, .first = "A1", .then = "B1"},
	        {.kind = LK_EXPECT_BEFORE, .first = "B1", .then = "A1"},
	        {.kind = LK_EXPECT_OUTPUT, .regex = "^A1\nB1\n$"},
	        {.kind = LK_EXPECT_CONTENTS, .regex = "^(01)+$", .obj = 2},
	        {.kind = LK_EXPECT_DEADLOCK, .when = LK_NEVER},
	        {.kind = LK_EXPECT_DEADLOCK, .when = LK_SOMETIMES},
	};
	struct lk_scenario sc = {.name = "t",
	                         .objects = objs,
	                         .nobjects = 3,
	                         .expects = x,
	                         .nexpects = 6};
	struct lk_verdict_line v[6];

	(void)state;
	add_print(t, 0, "A1");
	add_print(t, 1, "B1");
	t->output = strdup("A1\nB1\n");
	t->output_len = 6;
	t->nfiles = 3;
	t->files = calloc(3, sizeof(char *));
	t->file_lens = calloc(3, sizeof(size_t));
	t->files[2] = strdup("0101");
	t->file_lens[2] = 4;
	assert_int_equal(lk_expect_eval(t, &sc, v), 1);
	assert_true(v[0].passed);
	assert_false(v[1].passed);
	assert_true(v[2].passed);
	assert_true(v[3].passed);
	assert_true(v[4].passed);
	assert_true(v[5].passed);
	assert_false(v[5].holds);
	assert_non_null(strstr(v[1].text, "\"B1\" printed before \"A1\""));
	t->verdict = LK_V_DEADLOCK;
	free(t->files[2]);
	t->files[2] = strdup("0102");
	assert_int_equal(lk_expect_eval(t, &sc, v), 3);
	assert_false(v[3].passed);
	assert_false(v[4].passed);
	assert_true(v[5].holds);
	lk_trace_free(t);
}

/* Labels say what a reader of the interleaving needs. */
static void
test_trace_labels(void **state)
{
	struct lk_trace *t = make_trace(2);
	char buf[128];
	struct lk_tev *e;

	(void)state;
	add_print(t, 0, "hello");
	lk_event_label(t, &t->ev[0], buf, sizeof(buf));
	assert_string_equal(buf, "print hello");
	e = add(t, 1, LK_OP_SEM_WAIT, 0, -1, 1);
	lk_event_label(t, e, buf, sizeof(buf));
	assert_string_equal(buf, "wait s0 (blocked)");
	e = add(t, 1, LK_OP_SLEEP, -1, 0, 0);
	e->u.sleep.ns = 250000000;
	lk_event_label(t, e, buf, sizeof(buf));
	assert_string_equal(buf, "sleep 250ms");
	e = add(t, 0, LK_OP_EXIT, -1, 3, 0);
	e->u.exit.status = 3;
	lk_event_label(t, e, buf, sizeof(buf));
	assert_string_equal(buf, "exit 3");
	lk_trace_free(t);
}

/* Append an execve of path by proc returning ret. */
static void
add_exec(struct lk_trace *t, int proc, const char *path, int64_t ret)
{
	struct lk_tev *e = add(t, proc, LK_OP_EXEC, -1, ret, 0);

	e->data = strdup(path);
	e->len = strlen(path);
}

/*
 * Program names (issue 7): the last exec that went on, in the header's
 * "program" and the label people read; a failed exec (its second event,
 * ret -1) undoes its first, a refused one (only ret -1) changes nothing,
 * a program that is the last component of the name is not repeated.
 */
static void
test_trace_programs(void **state)
{
	struct lk_trace *t = make_trace(4);
	char buf[1024], *json = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	add_exec(t, 0, "/bin/sh", 0);
	add_exec(t, 0, "/usr/bin/cat", 0);
	add_exec(t, 1, "wc", 0);
	add_exec(t, 0, "/usr/bin/cat", -1); /* cat failed: sh again */
	add_exec(t, 2, "/x/refused", -1);
	add_exec(t, 3, "/usr/local/bin/D", 0);
	add(t, 0, LK_OP_SEM_POST, 0, 0, 0);
	lk_trace_programs(t);
	assert_string_equal(t->procs[0].program, "sh");
	assert_string_equal(lk_trace_proc_label(t, 0), "A (sh)");
	assert_string_equal(lk_trace_proc_label(t, 1), "B (wc)");
	assert_string_equal(t->procs[2].program, "");
	assert_string_equal(lk_trace_proc_label(t, 2), "C");
	assert_string_equal(t->procs[3].program, "D");
	assert_string_equal(lk_trace_proc_label(t, 3), "D");
	assert_string_equal(t->procs[1].name, "B");

	lk_trace_label(buf, sizeof(buf), "main.2", "wc");
	assert_string_equal(buf, "main.2 (wc)");
	lk_trace_label(buf, sizeof(buf), "sort.wc", "wc");
	assert_string_equal(buf, "sort.wc");
	lk_trace_label(buf, sizeof(buf), "main.1", "");
	assert_string_equal(buf, "main.1");

	/* The explanation names the program, the header's keys do not. */
	t->procs[1].blocked_on = 0;
	t->procs[0].exited = t->procs[2].exited = t->procs[3].exited = 1;
	t->objs[0].value = 0;
	t->verdict = LK_V_DEADLOCK;
	lk_explain_deadlock(t, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "B (wc) waits for s0 (0)"));
	f = open_memstream(&json, &len);
	assert_non_null(f);
	assert_int_equal(lk_trace_write(t, f), 0);
	fclose(f);
	assert_non_null(strstr(json, "{\"name\":\"A\",\"parent\":null,"
	                             "\"program\":\"sh\"}"));
	assert_non_null(strstr(json, "{\"name\":\"B\",\"parent\":null,"
	                             "\"program\":\"wc\"}"));
	assert_non_null(strstr(json, "{\"name\":\"C\",\"parent\":null}"));
	assert_non_null(strstr(json, "\"blocked\":{\"B\":\"s0\"}"));
	assert_null(strstr(json, "B (wc)"));
	free(json);
	lk_trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_trace_vclock_post_wait),
	        cmocka_unit_test(test_trace_vclock_failed_wait),
	        cmocka_unit_test(test_trace_vclock_fork),
	        cmocka_unit_test(test_trace_edges_post_wait),
	        cmocka_unit_test(test_trace_edges_kill_signal),
	        cmocka_unit_test(test_trace_edges_locks),
	        cmocka_unit_test(test_trace_cycle_two),
	        cmocka_unit_test(test_trace_cycle_none),
	        cmocka_unit_test(test_trace_cycle_three),
	        cmocka_unit_test(test_trace_explain_deadlock),
	        cmocka_unit_test(test_trace_expectations),
	        cmocka_unit_test(test_trace_expect_exit),
	        cmocka_unit_test(test_trace_labels),
	        cmocka_unit_test(test_trace_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
