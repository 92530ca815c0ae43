/* Unit tests of the table of operations (runner/common/ops.h): names,
 * lookups, flags that agree with each other, a dependency class and a
 * label in every style for every operation, and what the clocks and the
 * labeller read from the typed payload. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explore/explore.h"
#include "trace/analysis.h"
#include "trace/trace.h"

static const enum lk_label_style styles[] = {LK_LABEL_TERMINAL,
                                             LK_LABEL_DIAGRAM, LK_LABEL_EXPORT};

/* A trace of processes A, B and objects s (a semaphore), p (a pipe),
 * f (a file), ./n (a name), c (a cell). */
static struct lk_trace *
make_trace(void)
{
	struct lk_trace *t = lk_trace_new();
	static const char *const objs[] = {"s", "p", "f", "./n", "c"};
	static const unsigned types[] = {LK_OT_SEM_NAMED, LK_OT_PIPE,
	                                 LK_OT_FILE, LK_OT_NAME, LK_OT_CELL};

	assert_non_null(t);
	t->nprocs = 2;
	t->procs = calloc(2, sizeof(*t->procs));
	strcpy(t->procs[0].name, "A");
	strcpy(t->procs[1].name, "B");
	t->nobjs = 5;
	t->objs = calloc(5, sizeof(*t->objs));
	for (size_t i = 0; i < 5; i++) {
		strcpy(t->objs[i].name, objs[i]);
		t->objs[i].type = types[i];
	}
	t->ev = calloc(16, sizeof(*t->ev));
	return t;
}

/* Append an event of op by proc on obj. */
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

/* Every operation has a name, no two the same, and lookup finds it. */
static void
test_ops_names(void **state)
{
	(void)state;
	for (unsigned i = 0; i < LK_OP__COUNT; i++) {
		const char *name = lk_op_name(i);

		assert_non_null(name);
		assert_true(name[0] != '\0');
		assert_ptr_equal(lk_op_info(i)->name, name);
		assert_int_equal(lk_op_lookup(name), (int)i);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(lk_op_name(j), name);
	}
	assert_string_equal(lk_op_name(LK_OP__COUNT), "?");
	assert_int_equal(lk_op_lookup("no_such_call"), -1);
	assert_int_equal(lk_op_lookup(""), -1);
	/* Out of range: NONE's row, which does nothing. */
	assert_ptr_equal(lk_op_info(LK_OP__COUNT + 7), lk_op_info(LK_OP_NONE));
	assert_int_equal(lk_op_flags(LK_OP__COUNT), 0);
}

/* The names in traces are the contract, and rows are only appended:
 * the operations of this list keep their names and their places. */
static void
test_ops_names_kept(void **state)
{
	static const char *const kept[] = {
	        "none",
	        "start",
	        "sem_open",
	        "sem_close",
	        "sem_unlink",
	        "sem_init",
	        "sem_destroy",
	        "sem_wait",
	        "sem_trywait",
	        "sem_timedwait",
	        "sem_post",
	        "sem_getvalue",
	        "write",
	        "sleep",
	        "fork",
	        "exit",
	        "execve",
	        "waitpid",
	        "read",
	        "close",
	        "dup2",
	        "open",
	        "load",
	        "store",
	        "shm_open",
	        "shm_unlink",
	        "mmap",
	        "munmap",
	        "shmget",
	        "shmat",
	        "shmdt",
	        "shmctl",
	        "fcntl",
	        "flock",
	        "kill",
	        "signal",
	        "pause",
	        "semop",
	        "semget",
	        "semctl",
	        "access",
	        "stat",
	        "unlink",
	        "rename",
	        "link",
	        "symlink",
	        "mkdir",
	        "rmdir",
	        "poll",
	        "select",
	        "ppoll",
	        "pselect",
	        "epoll_wait",
	        "epoll_pwait",
	        "pthread_create",
	        "pthread_join",
	        "pthread_detach",
	        "pthread_exit",
	        "pthread_mutex_lock",
	        "pthread_mutex_trylock",
	        "pthread_mutex_timedlock",
	        "pthread_mutex_unlock",
	        "pthread_cond_wait",
	        "pthread_cond_timedwait",
	        "pthread_cond_signal",
	        "pthread_cond_broadcast",
	        "send",
	        "recv",
	        "shutdown",
	        "connect",
	        "accept",
	};

	(void)state;
	assert_true(LK_OP__COUNT >= sizeof(kept) / sizeof(kept[0]));
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_string_equal(lk_op_name(i), kept[i]);
}

/* Each row's flags agree with each other and with its kind and class. */
static void
test_ops_flags_consistent(void **state)
{
	(void)state;
	for (unsigned i = 0; i < LK_OP__COUNT; i++) {
		const struct lk_op_info *o = lk_op_info(i);
		unsigned f = o->flags;
		int acq = (f & LK_OPF_ACQUIRE) != 0;
		int rel = (f & LK_OPF_RELEASE) != 0;

		print_message("%s\n", o->name);
		/* A take that gives nothing back can come out empty: it
		 * blocks, or it is the form that fails instead. */
		if (acq && !rel)
			assert_true(f & (LK_OPF_BLOCKS | LK_OPF_TRY));
		assert_false((f & LK_OPF_BLOCKS) && (f & LK_OPF_TRY));
		/* Clocks live on objects. */
		if (acq || rel)
			assert_true(o->kind != LK_OK_NONE &&
			            o->kind != LK_OK_PROC);
		if (f & LK_OPF_LOCK)
			assert_true(acq && rel && o->kind == LK_OK_LOCK);
		if (f & LK_OPF_CHAN)
			assert_true((acq || rel) && o->kind == LK_OK_CHAN);
		if (f & (LK_OPF_BYTES | LK_OPF_ANYWAY))
			assert_true(rel && (f & LK_OPF_CHAN));
		assert_false((f & LK_OPF_BYTES) && (f & LK_OPF_ANYWAY));
		/* Data is read or written, not both, and only that of
		 * descriptors and cells. */
		assert_false((f & LK_OPF_READS) && (f & LK_OPF_WRITES));
		if (f & (LK_OPF_READS | LK_OPF_WRITES))
			assert_true(o->kind == LK_OK_CHAN ||
			            o->kind == LK_OK_CELL);
		/* A change of a name is a write, for DPOR too. */
		if (f & LK_OPF_NAMEW)
			assert_int_equal(o->dep, LK_DEP_WRITE);
		if (f & LK_OPF_FROM)
			assert_true((f & LK_OPF_NAMEW) &&
			            strcmp(o->member, "name") == 0);
		/* A wait takes only when it succeeded. */
		if (o->dep == LK_DEP_TAKE)
			assert_true(acq && !rel);
		if (o->dep == LK_DEP_CLOSE)
			assert_string_equal(o->member, "close");
		if (o->dep == LK_DEP_KILL)
			assert_string_equal(o->member, "kill");
		/* Readiness: the objects it watches and found ready are in
		 * the poll payload and data. */
		if ((f & LK_OPF_READY) || o->dep == LK_DEP_WATCH)
			assert_true((f & LK_OPF_READY) &&
			            o->dep == LK_DEP_WATCH &&
			            strcmp(o->member, "poll") == 0 &&
			            (f & LK_OPF_BLOCKS));
	}
}

/*
 * Every operation on an object has a dependency class: one that says
 * none would make DPOR skip the orders that matter. Processes and time
 * (fork, exit, sleep, ...) are ordered by other means.
 */
static void
test_ops_dependency_class(void **state)
{
	(void)state;
	for (unsigned i = 0; i < LK_OP__COUNT; i++) {
		const struct lk_op_info *o = lk_op_info(i);

		print_message("%s\n", o->name);
		assert_true(o->dep < LK_DEP__COUNT);
		assert_true(o->kind <= LK_OK_ONCE);
		assert_non_null(o->member);
		if (o->kind != LK_OK_NONE && o->kind != LK_OK_PROC)
			assert_int_not_equal(o->dep, LK_DEP_NONE);
		if (o->flags & (LK_OPF_ACQUIRE | LK_OPF_RELEASE))
			assert_int_not_equal(o->dep, LK_DEP_NONE);
	}
	/* What DPOR makes of them. */
	struct lk_step_rec s = {.op = LK_OP_SEM_WAIT, .obj = 0};

	assert_int_equal(lk_dpor_access(&s), 2);
	s.blocked = 1;
	assert_int_equal(lk_dpor_access(&s), 1);
	s = (struct lk_step_rec){.op = LK_OP_CLOSE, .obj = 1};
	s.u.close.mode = O_WRONLY;
	assert_int_equal(lk_dpor_access(&s), 2);
	s.u.close.mode = O_RDONLY;
	assert_int_equal(lk_dpor_access(&s), 1);
	s = (struct lk_step_rec){.op = LK_OP_KILL, .obj = -1};
	s.u.kill.to = -2; /* a group: no one process's signals */
	assert_int_equal(lk_dpor_access(&s), 0);
	s.u.kill.to = 1;
	assert_int_equal(lk_dpor_access(&s), 2);
	s = (struct lk_step_rec){.op = LK_OP_SLEEP, .obj = -1};
	assert_int_equal(lk_dpor_access(&s), 0);
	s = (struct lk_step_rec){.op = LK_OP_STAT, .obj = -1};
	assert_int_equal(lk_dpor_access(&s), 0);
	s.obj = 3;
	assert_int_equal(lk_dpor_access(&s), 1);
}

/* Check that e has a label in style styles[s], which says it blocked
 * when it did (but in the diagram, which does not for every call). */
static void
check_label(const struct lk_trace *t, const struct lk_tev *e, size_t s,
            int blocked)
{
	const char *word = s == 0 ? "(blocked" : "(blocks)";
	char buf[LK_LABEL_MAX];

	memset(buf, 'x', sizeof(buf));
	lk_label(t, e, styles[s], buf, sizeof(buf));
	if (buf[0] == '\0' || strlen(buf) >= sizeof(buf))
		fail_msg("%s on %d, style %zu: no label", lk_op_name(e->op),
		         e->obj, s);
	if (blocked && s != 1 && (lk_op_flags(e->op) & LK_OPF_BLOCKS) &&
	    strstr(buf, word) == NULL)
		fail_msg("%s on %d, style %zu: \"%s\" does not say %s",
		         lk_op_name(e->op), e->obj, s, buf, word);
}

/* Every operation has a label in every style, in any state; a blocked
 * call says so in the terminal and the exports. */
static void
test_ops_labels_every_style(void **state)
{
	struct lk_trace *t = make_trace();
	static const int objs[] = {-1, 0, 1, 2, 3, 4};

	(void)state;
	for (unsigned op = 0; op < LK_OP__COUNT; op++)
		for (size_t k = 0; k < sizeof(objs) / sizeof(objs[0]); k++)
			for (int how = 0; how < 3; how++) {
				struct lk_tev e = {.op = (int)op,
				                   .obj = objs[k],
				                   .ret = how == 1 ? -1 : 0,
				                   .err = how == 1 ? 22 : 0,
				                   .blocked = how == 2};

				for (size_t s = 0; s < 3; s++)
					check_label(t, &e, s, how == 2);
			}
	lk_trace_free(t);
}

/* A label is cut to the room it is given, never overrun. */
static void
test_ops_labels_cut(void **state)
{
	struct lk_trace *t = make_trace();
	struct lk_tev *e = add(t, 0, LK_OP_WRITE, 1, 40, 0);
	char buf[12];

	(void)state;
	e->data = strdup("0123456789012345678901234567890123456789");
	e->len = 40;
	for (size_t s = 0; s < 3; s++) {
		memset(buf, 'x', sizeof(buf));
		lk_label(t, e, styles[s], buf, sizeof(buf));
		assert_int_equal(strlen(buf), sizeof(buf) - 1);
	}
	lk_label(t, e, LK_LABEL_DIAGRAM, buf, 1);
	assert_string_equal(buf, "");
	lk_trace_free(t);
}

/* Check event e's label in the three styles. */
static void
labels(const struct lk_trace *t, const struct lk_tev *e, const char *term,
       const char *diag, const char *exp)
{
	char buf[LK_LABEL_MAX];

	lk_label(t, e, LK_LABEL_TERMINAL, buf, sizeof(buf));
	assert_string_equal(buf, term);
	lk_label(t, e, LK_LABEL_DIAGRAM, buf, sizeof(buf));
	assert_string_equal(buf, diag);
	lk_label(t, e, LK_LABEL_EXPORT, buf, sizeof(buf));
	assert_string_equal(buf, exp);
}

/* The words each style reads from the typed payload. */
static void
test_ops_labels_payload(void **state)
{
	struct lk_trace *t = make_trace();
	struct lk_tev *e;

	(void)state;
	e = add(t, 0, LK_OP_DUP2, 1, 7, 0);
	e->u.dup2.newfd = 7;
	e->u.dup2.mode = O_WRONLY;
	labels(t, e, "dup2 p write end -> fd 7", "dup2 p write end \u2192 fd 7",
	       "dup2 p");
	e->u.dup2.newfd = 1;
	e->u.dup2.mode = O_RDONLY;
	labels(t, e, "dup2 p read end -> stdout",
	       "dup2 p read end \u2192 stdout", "dup2 p");

	e = add(t, 0, LK_OP_CLOSE, 1, 0, 0);
	e->u.close.mode = O_WRONLY;
	labels(t, e, "close p (write end)", "close p (write end)", "close p");

	e = add(t, 0, LK_OP_FCNTL, 2, -1, 0);
	e->err = EAGAIN;
	e->u.lock.cmd = F_SETLK;
	e->u.lock.type = F_RDLCK;
	labels(t, e, "read-lock f (busy)", "read-lock f: busy",
	       "fcntl f: failed (EAGAIN)");

	e = add(t, 0, LK_OP_FLOCK, 2, 0, 0);
	e->u.lock = (struct lk_pl_lock){F_SETLK, F_UNLCK, 0, 0};
	labels(t, e, "flock f", "unlock f", "flock f");

	e = add(t, 0, LK_OP_KILL, -1, 0, 0);
	e->u.kill.to = 1;
	e->u.kill.sig = SIGUSR1;
	labels(t, e, "kill B SIGUSR1", "kill B SIGUSR1", "kill");
	e->u.kill.to = -2;
	labels(t, e, "kill (group) SIGUSR1", "kill SIGUSR1", "kill");

	e = add(t, 0, LK_OP_SLEEP, -1, 0, 0);
	e->u.sleep.ns = 1500;
	labels(t, e, "sleep 1500ns", "sleep 1500ns", "sleep 1500ns");
	e->u.sleep.ns = 20000;
	labels(t, e, "sleep 20us", "sleep 20\u00b5s", "sleep 20\u00b5s");

	e = add(t, 0, LK_OP_FORK, -1, 1, 0);
	e->u.fork.child = 1;
	labels(t, e, "fork B", "fork B", "fork B");

	e = add(t, 0, LK_OP_WAIT, -1, 0, 1);
	e->u.wait.target = 1;
	labels(t, e, "waitpid B (blocked)", "waitpid B (blocks)",
	       "waitpid B (blocks)");
	e = add(t, 0, LK_OP_WAIT, -1, 1, 0);
	e->u.wait.status = 3 << 8;
	labels(t, e, "waitpid B: 3", "waitpid B", "waitpid B");

	e = add(t, 0, LK_OP_SEM_GETVALUE, 0, 0, 0);
	e->u.sem.value = 2;
	labels(t, e, "sem_getvalue s", "getvalue s = 2", "getvalue s = 2");
	lk_trace_free(t);
}

/* The clocks read locks from the payload: an unlock releases to the next
 * lock, a query (F_GETLK) joins nothing. */
static void
test_ops_vclock_locks(void **state)
{
	struct lk_trace *t = make_trace();
	struct lk_tev *e;

	(void)state;
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0); /* 0: A locks f */
	e->u.lock = (struct lk_pl_lock){F_SETLK, F_WRLCK, 0, 0};
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0); /* 1: A unlocks f */
	e->u.lock = (struct lk_pl_lock){F_SETLK, F_UNLCK, 0, 0};
	e = add(t, 1, LK_OP_FCNTL, 2, 0, 0); /* 2: B only asks */
	e->u.lock = (struct lk_pl_lock){F_GETLK, F_WRLCK, 0, 0};
	e = add(t, 1, LK_OP_FLOCK, 2, 0, 0); /* 3: B locks f */
	e->u.lock = (struct lk_pl_lock){F_SETLK, F_RDLCK, 0, 0};
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_false(lk_trace_hb(t, 1, 2));
	assert_true(lk_trace_hb(t, 1, 3));
	assert_true(lk_trace_hb(t, 0, 3));
	assert_int_equal(lk_op_lock_dir(&t->ev[3].u), 1);
	assert_int_equal(lk_op_lock_dir(&t->ev[2].u), 0);
	assert_int_equal(lk_op_lock_dir(&t->ev[1].u), 2);
	lk_trace_free(t);
}

/* A pipe write releases once bytes went, a piece of a blocked one too;
 * a write of nothing does not. */
static void
test_ops_vclock_pipe_bytes(void **state)
{
	struct lk_trace *t = make_trace();

	(void)state;
	add(t, 0, LK_OP_WRITE, 1, 0, 0); /* 0: nothing written */
	add(t, 1, LK_OP_READ, 1, 0, 0);  /* 1: B reads */
	add(t, 0, LK_OP_WRITE, 1, 4, 1); /* 2: a piece, then blocked */
	add(t, 1, LK_OP_READ, 1, 4, 0);  /* 3: B reads it */
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_false(lk_trace_hb(t, 0, 1));
	assert_true(lk_trace_hb(t, 2, 3));
	lk_trace_free(t);
}

/* The trace writer maps each payload to the "args" of the trace format
 * (docs/trace-format.md). */
static void
test_ops_trace_args(void **state)
{
	struct lk_trace *t = make_trace();
	struct lk_tev *e;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	t->scenario = strdup("t");
	t->file = strdup("t.xml");
	e = add(t, 0, LK_OP_FCNTL, 2, 0, 0);
	e->u.lock = (struct lk_pl_lock){F_SETLKW, F_RDLCK, 10, 5};
	e = add(t, 0, LK_OP_FLOCK, 2, 0, 0);
	e->u.lock = (struct lk_pl_lock){F_SETLK, F_UNLCK, 0, 0};
	e = add(t, 0, LK_OP_DUP2, 1, 1, 0);
	e->u.dup2 = (struct lk_pl_dup2){1, O_WRONLY};
	e = add(t, 0, LK_OP_KILL, -1, 0, 0);
	e->u.kill = (struct lk_pl_kill){SIGUSR1, 1};
	e = add(t, 0, LK_OP_WAIT, -1, 1, 0);
	e->u.wait = (struct lk_pl_wait){-1, 768, 3};
	e = add(t, 0, LK_OP_RENAME, 3, 0, 0);
	e->u.name.from = 3;
	e = add(t, 0, LK_OP_WRITE, 2, 2, 0);
	e->u.rw = (struct lk_pl_rw){5, 40, 0};
	e->data = strdup("hi");
	e->len = 2;
	e = add(t, 0, LK_OP_POLL, 1, 1, 0);
	e->u.poll = (struct lk_pl_poll){2, 1, 1u << 1};
	e->data = strdup("3");
	e->len = 1;
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(lk_trace_write(t, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\"args\":{\"cmd\":7,\"lock\":\"read\","
	                             "\"start\":10,\"len\":5}"));
	assert_non_null(strstr(text, "\"op\":\"flock\""));
	assert_non_null(strstr(text, "\"args\":{\"lock\":\"unlock\"}"));
	assert_non_null(strstr(text, "\"args\":{\"fd\":1,\"end\":\"write\"}"));
	assert_non_null(strstr(text, "\"args\":{\"to\":\"B\",\"signal\":10}"));
	assert_non_null(strstr(text, "\"args\":{\"child\":\"B\",\"status\":"
	                             "768,\"choices\":[\"A\",\"B\"]}"));
	assert_non_null(strstr(text, "\"args\":{\"from\":\"./n\"}"));
	assert_non_null(strstr(text, "\"args\":{\"fd\":5,\"offset\":40,"
	                             "\"data\":\"hi\"}"));
	assert_non_null(strstr(text, "\"args\":{\"nfds\":2,\"ready\":[3]}"));
	free(text);
	lk_trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ops_names),
	        cmocka_unit_test(test_ops_names_kept),
	        cmocka_unit_test(test_ops_flags_consistent),
	        cmocka_unit_test(test_ops_dependency_class),
	        cmocka_unit_test(test_ops_labels_every_style),
	        cmocka_unit_test(test_ops_labels_cut),
	        cmocka_unit_test(test_ops_labels_payload),
	        cmocka_unit_test(test_ops_vclock_locks),
	        cmocka_unit_test(test_ops_vclock_pipe_bytes),
	        cmocka_unit_test(test_ops_trace_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
