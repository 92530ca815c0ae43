/*
 * Hostile and broken programs under `lockstep run --step-timeout 20 --
 * PROG`: each does something a well-behaved program would not (close or
 * dup2 over every descriptor, block every signal, fork without end, loop
 * without a scheduling point, flood its output, make raw system calls,
 * _exit from a signal handler, SIGKILL its own child). Whatever it does,
 * the run must end with the documented exit status (0, 3 or 4), name the
 * process at fault on standard error, and leave nothing behind: no object
 * in /dev/shm, no SysV object the program made, no work directory in
 * TMPDIR, no process of the program alive. The step timeout only bounds a
 * failure (a loaded machine can take more than a second for a step), but
 * where the timeout is what is tested (spin).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../e2e/e2e.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* One run of lockstep on a hostile program. */
struct hrun {
	struct e2e_result r;
	char *tmp;   /* the run's TMPDIR, empty and removed afterwards */
	double secs; /* wall time of the run */
};

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deadline that only bounds a failure: what a test waits for comes in
 * milliseconds, unless something is wrong. */
#define WAIT_LIMIT_S 60.0

/* --step-timeout of the runs that do not test it: a limit that only
 * bounds a failure, well under E2E_TIMEOUT_S. */
#define STEP_LIMIT "20"

/* Live processes whose executable is prog (zombies have none); each is
 * sent sig unless it is 0. */
static int
procs_of(const char *prog, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], exe[4096];
		ssize_t len;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
		len = readlink(path, exe, sizeof(exe) - 1);
		if (len <= 0)
			continue;
		exe[len] = '\0';
		if (strcmp(exe, prog) != 0)
			continue;
		n++;
		if (sig != 0)
			kill((pid_t)atoi(de->d_name), sig);
	}
	closedir(d);
	return n;
}

/* Is there a SysV object with this id in /proc/sysvipc/what? */
static int
sysv_alive(const char *what, int id)
{
	char path[64], line[512];
	int key, i, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", what);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%d %d", &key, &i) == 2 && i == id)
			found = 1;
	fclose(f);
	return found;
}

/*
 * Run `lockstep run OPTS... -- PROG ARGS...` (opts and args
 * NULL-terminated, either may be NULL) with TMPDIR a new empty directory,
 * and check that it ended by itself and left nothing behind.
 */
static void
run_prog(struct hrun *h, const char *const opts[], const char *prog,
         const char *const args[])
{
	const char *argv[48];
	char *tmpdir_env;
	const char *env[2];
	size_t n = 0;
	double start;

	memset(h, 0, sizeof(*h));
	h->tmp = e2e_tempdir();
	assert_non_null(h->tmp);
	if (asprintf(&tmpdir_env, "TMPDIR=%s", h->tmp) < 0)
		fail();
	env[0] = tmpdir_env;
	env[1] = NULL;
	argv[n++] = LOCKSTEP;
	argv[n++] = "run";
	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	argv[n++] = prog;
	for (size_t i = 0; args != NULL && args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_true(n < sizeof(argv) / sizeof(argv[0]));
	start = now_s();
	assert_int_equal(e2e_spawn(&h->r, LOCKSTEP, argv, env, NULL), 0);
	h->secs = now_s() - start;
	free(tmpdir_env);
	print_message("hostile: %s: exit %d in %.2f s\n", prog, h->r.status,
	              h->secs);
	if (h->r.timed_out)
		fail_msg("lockstep did not end within %d s; stderr:\n%s",
		         E2E_TIMEOUT_S, h->r.err);
}

/* Fail unless the run exited with status and left nothing behind. */
static void
expect_exit(const struct hrun *h, const char *prog, int status)
{
	/* The program's stderr: in the report, or passed through (-q). */
	const char *ids = strstr(h->r.out, "| ids: shm ") != NULL
	                          ? strstr(h->r.out, "ids: shm ")
	                          : strstr(h->r.err, "ids: shm ");
	int shm, sem, alive = procs_of(prog, 0);

	if (h->r.status != status)
		fail_msg("exit %d, expected %d; stderr:\n%s", h->r.status,
		         status, h->r.err);
	assert_int_equal(h->r.leftovers, 0);
	assert_int_equal(e2e_dir_entries(h->tmp, "hostile"), 0);
	/* A process killed at the end may take a moment to go. */
	for (double t0 = now_s(); alive > 0 && now_s() - t0 < WAIT_LIMIT_S;) {
		poll(NULL, 0, 5);
		alive = procs_of(prog, 0);
	}
	if (alive > 0)
		fail_msg("%d processes of %s still alive", alive, prog);
	if (ids != NULL) {
		assert_int_equal(sscanf(ids, "ids: shm %d sem %d", &shm, &sem),
		                 2);
		assert_false(sysv_alive("shm", shm));
		assert_false(sysv_alive("sem", sem));
	}
}

/* Fail unless the standard output holds text. */
static void
expect_out(const struct hrun *h, const char *text)
{
	if (strstr(h->r.out, text) == NULL)
		fail_msg("no \"%s\" in the output:\n%s", text, h->r.out);
}

/* Fail unless standard error holds text. */
static void
expect_err(const struct hrun *h, const char *text)
{
	if (strstr(h->r.err, text) == NULL)
		fail_msg("no \"%s\" on standard error:\n%s", text, h->r.err);
}

/* Free what a run captured and remove its TMPDIR. */
static void
hrun_free(struct hrun *h)
{
	e2e_result_free(&h->r);
	e2e_rmtree(h->tmp);
	free(h->tmp);
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * close_range(3, ~0U) over lockstep's shared memory and eventfd: they
 * move out of the way and the numbers 3.. are the program's again; the
 * ping-pong with a child runs under control and the run ends normally.
 * The SysV objects the program leaves are removed.
 */
static void
test_hostile_close_fds(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT), HOSTILE_CLOSE_FDS,
	         NULL);
	expect_exit(&h, HOSTILE_CLOSE_FDS, 0);
	expect_out(&h, "| closed 3..~0\n");
	expect_out(&h, "| child: done\n");
	expect_out(&h, "| parent: done\n");
	/* The interposer must never write its eventfd counter (8 bytes a
	 * notification) into the number the eventfd had, which is now the
	 * program's file. */
	expect_out(&h, "| close.out: 0 bytes\n");
	hrun_free(&h);
}

/*
 * The same, then an exec, with each way of closing everything: lockstep's
 * two descriptors moved out of the way (to the top of the first 1024), so
 * the new image is still in the run: its exec, its write and its exit are
 * steps and the run ends normally.
 */
static void
test_hostile_close_fds_exec(void **state)
{
	static const char *const hows[] = {"range", "closefrom", "loop"};
	struct hrun h;

	(void)state;
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		print_message("hostile: HOSTILE_CLOSE=%s\n", hows[i]);
		setenv("HOSTILE_CLOSE", hows[i], 1);
		run_prog(&h, OPTS("--step-timeout", STEP_LIMIT),
		         HOSTILE_CLOSE_FDS,
		         ARGS("sh", "-c", "echo after exec"));
		expect_exit(&h, HOSTILE_CLOSE_FDS, 0);
		expect_out(&h, "| closed 3..~0\n");
		expect_out(&h, "| close.out: 0 bytes\n");
		expect_out(&h, "  exec sh\n");
		expect_out(&h, "  write stdout \"after exec\"\n");
		expect_out(&h, "| after exec\n");
		hrun_free(&h);
	}
	unsetenv("HOSTILE_CLOSE");
}

/* dup2 of a file over descriptors 3 to 200, lockstep's included: the run
 * goes on and ends normally. */
static void
test_hostile_dup2_fds(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT), HOSTILE_DUP2_FDS,
	         NULL);
	expect_exit(&h, HOSTILE_DUP2_FDS, 0);
	expect_out(&h, "| dup2 over 3..200\n");
	expect_out(&h, "| parent: done\n");
	/* Nothing of lockstep's in the program's file (see
	 * test_hostile_close_fds). */
	expect_out(&h, "| dup2.out: 0 bytes\n");
	hrun_free(&h);
	/* An exec afterwards is still followed: lockstep's descriptors
	 * moved out of dup2's way. */
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT), HOSTILE_DUP2_FDS,
	         ARGS("sh", "-c", "echo after exec"));
	expect_exit(&h, HOSTILE_DUP2_FDS, 0);
	expect_out(&h, "  exec sh\n");
	expect_out(&h, "| after exec\n");
	hrun_free(&h);
}

/* Every signal blocked, then fork and wait: the child's exit still
 * reaches the parent's waitpid. */
static void
test_hostile_block_signals(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT), HOSTILE_BLOCK_SIGNALS,
	         NULL);
	expect_exit(&h, HOSTILE_BLOCK_SIGNALS, 0);
	expect_out(&h, "| every signal blocked\n");
	expect_out(&h, "| parent: child exited 0\n");
	hrun_free(&h);
	/* And under the random strategy. */
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "--seed", "3"),
	         HOSTILE_BLOCK_SIGNALS, NULL);
	expect_exit(&h, HOSTILE_BLOCK_SIGNALS, 0);
	expect_out(&h, "| parent: child exited 0\n");
	hrun_free(&h);
}

/* A fork bomb: 64 processes at most (--max-procs' default), every fork
 * beyond fails with EAGAIN, and the run ends cleanly; fewer with a lower
 * --max-procs; a --max-steps in the middle stops it with exit 4. */
static void
test_hostile_fork_bomb(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT), HOSTILE_FORK_BOMB,
	         NULL);
	expect_exit(&h, HOSTILE_FORK_BOMB, 0);
	expect_out(&h, "| forks 63, EAGAIN ");
	expect_out(&h, ", other errors 0, bad children 0\n");
	hrun_free(&h);
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "--seed", "5"),
	         HOSTILE_FORK_BOMB, NULL);
	expect_exit(&h, HOSTILE_FORK_BOMB, 0);
	expect_out(&h, "| forks 63, EAGAIN ");
	expect_out(&h, "64 processes");
	hrun_free(&h);
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "--max-procs", "8"),
	         HOSTILE_FORK_BOMB, NULL);
	expect_exit(&h, HOSTILE_FORK_BOMB, 0);
	expect_out(&h, "| forks 7, EAGAIN ");
	hrun_free(&h);
	run_prog(&h,
	         OPTS("--step-timeout", STEP_LIMIT, "--max-steps", "100", "-q"),
	         HOSTILE_FORK_BOMB, NULL);
	expect_exit(&h, HOSTILE_FORK_BOMB, 4);
	expect_err(&h, "lockstep: stopped after 100 steps (--max-steps)");
	hrun_free(&h);
}

/* for (;;); never reaches a scheduling point: the step timeout names
 * the process, soon after the second, and kills it. */
static void
test_hostile_spin(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", "1", "--max-steps", "10"),
	         HOSTILE_SPIN, NULL);
	expect_exit(&h, HOSTILE_SPIN, 4);
	expect_out(&h, "| spinning\n");
	expect_err(&h, "lockstep: main did not reach a scheduling point in "
	               "time");
	/* Without the step timeout it would spin until e2e's limit. */
	assert_true(h.secs < E2E_TIMEOUT_S / 2);
	/* The message says where main is: running in user space, not
	 * stuck in a system call. */
	expect_err(&h, "running");
	hrun_free(&h);
	/* The whole-run --timeout catches it too: the step timeout is longer
	 * than e2e's limit, so only --timeout can end the run in time. */
	run_prog(&h, OPTS("--step-timeout", "600", "--timeout", "1", "-q"),
	         HOSTILE_SPIN, NULL);
	expect_exit(&h, HOSTILE_SPIN, 4);
	expect_err(&h, "lockstep: main ");
	assert_true(h.secs < E2E_TIMEOUT_S / 2);
	hrun_free(&h);
}

/* 50 MB of output in 64 KiB writes: lockstep keeps up and reports;
 * with --max-output 10M the writer dies of SIGXFSZ, exit 4, named. */
static void
test_hostile_flood(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "-q"), HOSTILE_FLOOD,
	         ARGS("50"));
	expect_exit(&h, HOSTILE_FLOOD, 0);
	/* 800 writes, the last line, the exit; -q passes the output
	 * through whole, the verdict on stderr. */
	expect_err(&h, ": done, 802 steps");
	assert_int_equal(h.r.outlen,
	                 50u * 1024 * 1024 + strlen("flood: done\n"));
	hrun_free(&h);
	run_prog(
	        &h,
	        OPTS("--step-timeout", STEP_LIMIT, "-q", "--max-output", "10M"),
	        HOSTILE_FLOOD, ARGS("50"));
	expect_exit(&h, HOSTILE_FLOOD, 4);
	expect_err(&h, "lockstep: main was killed by signal 25");
	hrun_free(&h);
}

/* The data of write event e, or "". */
static const char *
data_of(json_t *e)
{
	const char *v = json_string_value(
	        json_object_get(json_object_get(e, "args"), "data"));

	return v != NULL ? v : "";
}

/* A raw futex wait with a timeout and a raw write: the run finishes, the
 * futex wait is made as it is, the raw write is a step of its own between
 * the two wrapped writes (where the kernel can dispatch system calls;
 * elsewhere it is in the output only). */
static void
test_hostile_raw_syscalls(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	long before = -1, after = -1, raw = -1;
	struct hrun h;
	json_t *tr;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "--trace", tp),
	         HOSTILE_RAW_SYSCALLS, NULL);
	expect_exit(&h, HOSTILE_RAW_SYSCALLS, 0);
	expect_out(&h, "| before\n  | raw write\n  | after\n");
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		const char *d = data_of(e);

		if (strcmp(d, "raw write\n") == 0)
			raw = (long)i;
		if (strcmp(d, "before\n") == 0)
			before = (long)i;
		if (strcmp(d, "after\n") == 0)
			after = (long)i;
	}
	assert_true(before > 0);
	if (e2e_dispatch_available()) {
		assert_int_equal(raw, before + 1);
		assert_int_equal(after, before + 2);
	} else {
		assert_int_equal(raw, -1);
		assert_int_equal(after, before + 1);
	}
	json_decref(tr);
	hrun_free(&h);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* _exit from a signal handler while the main flow is blocked in
 * sem_wait: the exit is the process's last step, the run ends. */
static void
test_hostile_exit_in_handler(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT),
	         HOSTILE_EXIT_IN_HANDLER, NULL);
	expect_exit(&h, HOSTILE_EXIT_IN_HANDLER, 0);
	expect_out(&h, "| parent: _exit from the handler\n");
	assert_null(strstr(h.r.out, "sem_wait returned"));
	expect_out(&h, "signal SIGUSR1");
	hrun_free(&h);
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "--seed", "2"),
	         HOSTILE_EXIT_IN_HANDLER, NULL);
	expect_exit(&h, HOSTILE_EXIT_IN_HANDLER, 0);
	expect_out(&h, "| parent: _exit from the handler\n");
	hrun_free(&h);
}

/* The parent SIGKILLs its child while the child is stepping: a process
 * that dies of a signal is a crash, exit 4, naming the child and the
 * signal. */
static void
test_hostile_kill_child(void **state)
{
	struct hrun h;

	(void)state;
	for (int seed = 1; seed <= 3; seed++) {
		char s[8];

		snprintf(s, sizeof(s), "%d", seed);
		run_prog(&h,
		         OPTS("--step-timeout", STEP_LIMIT, "-q", "--seed", s),
		         HOSTILE_KILL_CHILD, NULL);
		expect_exit(&h, HOSTILE_KILL_CHILD, 4);
		expect_err(&h, "lockstep: main.1 was killed by signal 9");
		hrun_free(&h);
	}
}

/*
 * SIGKILL to a child blocked in a controlled sem_wait: the parent then
 * blocks in waitpid, and the run must end as the crash of main.1 (exit
 * 4), not as a deadlock that names the dead child as a waiter.
 */
static void
test_hostile_kill_blocked_child(void **state)
{
	struct hrun h;

	(void)state;
	run_prog(&h, OPTS("--step-timeout", STEP_LIMIT, "-q"),
	         HOSTILE_KILL_CHILD, ARGS("block"));
	expect_exit(&h, HOSTILE_KILL_CHILD, 4);
	expect_err(&h, "main.1 was killed by signal 9");
	hrun_free(&h);
}

/*
 * lockstep killed with SIGKILL while a program's child waits for its
 * turn: the program dies with lockstep (PR_SET_PDEATHSIG, kept across
 * exec), and the child it forked, which has no parent-death signal,
 * notices that lockstep is gone and exits within a second. The next
 * lockstep removes the dead run's objects and work directory.
 */
static void
test_hostile_sigkill_orphans(void **state)
{
	const char *const again[] = {LOCKSTEP, "run", "-q",
	                             LK_SOURCE_DIR "/scenarios/rendezvous.xml",
	                             NULL};
	char *tmp = e2e_tempdir(), *env[2] = {NULL, NULL};
	int status, survivors;
	struct e2e_result r;
	pid_t pid;

	(void)state;
	assert_non_null(tmp);
	if (asprintf(&env[0], "TMPDIR=%s", tmp) < 0)
		fail();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(127);
		setenv("TMPDIR", tmp, 1);
		unsetenv("LD_PRELOAD");
		unsetenv("LOCKSTEP_SHM_FD");
		execl(LOCKSTEP, LOCKSTEP, "run", "-q", "--step-timeout", "30",
		      "--", HOSTILE_SPIN, "fork", (char *)NULL);
		_exit(127);
	}
	/* The parent spins, the child waits for its turn. */
	for (double t0 = now_s();
	     procs_of(HOSTILE_SPIN, 0) < 2 && now_s() - t0 < WAIT_LIMIT_S;)
		poll(NULL, 0, 5);
	assert_int_equal(procs_of(HOSTILE_SPIN, 0), 2);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* The child must go within 1 s of lockstep's death; 10 s bounds the
	 * failure (a spin until the old 16 s turn timeout) on a slow or
	 * loaded machine. */
	survivors = procs_of(HOSTILE_SPIN, 0);
	for (double t0 = now_s(); survivors > 0 && now_s() - t0 < 10.0;) {
		poll(NULL, 0, 5);
		survivors = procs_of(HOSTILE_SPIN, 0);
	}
	/* Whatever the outcome, leave no spinner behind. */
	procs_of(HOSTILE_SPIN, SIGKILL);
	/* The next lockstep removes the dead run's objects and work
	 * directory. */
	e2e_spawn(&r, LOCKSTEP, again, (const char *const *)env, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.leftovers, 0);
	assert_int_equal(e2e_dir_entries(tmp, "hostile"), 0);
	e2e_result_free(&r);
	assert_int_equal(survivors, 0);
	e2e_rmtree(tmp);
	free(tmp);
	free(env[0]);
}

/* Start `lockstep ARGS...` with its standard streams on /dev/null and
 * TMPDIR set to tmp; its pid. */
static pid_t
start_lockstep(const char *const args[], const char *tmp)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(127);
		setenv("TMPDIR", tmp, 1);
		unsetenv("LD_PRELOAD");
		unsetenv("LOCKSTEP_SHM_FD");
		execv(LOCKSTEP, (char *const *)args);
		_exit(127);
	}
	return pid;
}

/* Wait up to secs for path to exist; 1 when it does. The deadline only
 * bounds a failure. */
static int
wait_for_file(const char *path, double secs)
{
	double end = now_s() + secs;
	struct stat st;

	while (stat(path, &st) != 0 && now_s() < end)
		usleep(10 * 1000);
	return stat(path, &st) == 0;
}

/* The processes whose executable is exe and, unless parent is 0, whose
 * parent is parent, into pids[max]; how many. */
static int
pids_of(const char *exe, pid_t parent, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && n < max) {
		char path[300], buf[4096], *p;
		ssize_t len;
		FILE *f;
		int ppid = -1;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
		len = readlink(path, buf, sizeof(buf) - 1);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		if (strcmp(buf, exe) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL)
			sscanf(p + 1, " %*c %d", &ppid);
		fclose(f);
		if (parent == 0 || ppid == parent)
			pids[n++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	return n;
}

/* Wait up to secs for each of pids[n] to be gone (a zombie is gone: it
 * runs no more), on a pidfd each, so the wait ends at the event; the
 * number still running at the deadline. */
static int
wait_gone(const pid_t *pids, int n, double secs)
{
	double end = now_s() + secs;
	int alive = 0;

	for (int i = 0; i < n; i++) {
		int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = end - now_s();

		if (fd < 0) {
			assert_int_equal(errno, ESRCH);
			continue;
		}
		if (poll(&p, 1, left > 0 ? (int)(left * 1000) : 0) != 1)
			alive++;
		close(fd);
	}
	return alive;
}

/* Run a tiny scenario with TMPDIR tmp, which removes what a run killed
 * with SIGKILL left there; it must succeed. */
static void
sweep_after_kill(const char *tmp)
{
	const char *const again[] = {LOCKSTEP, "run", "-q",
	                             LK_SOURCE_DIR "/scenarios/rendezvous.xml",
	                             NULL};
	char *env[2] = {NULL, NULL};
	struct e2e_result r;

	if (asprintf(&env[0], "TMPDIR=%s", tmp) < 0)
		fail();
	e2e_spawn(&r, LOCKSTEP, again, (const char *const *)env, NULL);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	free(env[0]);
}

/*
 * lockstep killed with SIGKILL while a program's child holds the turn.
 * The child never sleeps for a turn, where sleepers look whether lockstep
 * is alive, so it must look on its own as it goes on (issue 15, row 19:
 * it went on for its whole --max-steps). main dies with lockstep (its
 * parent-death signal), the child by itself; both are gone within a
 * deadline that only bounds a failure (the child looks once a second).
 */
static void
test_hostile_sigkill_turn_holder(void **state)
{
	char *tmp = e2e_tempdir(), *marker;
	pid_t pid, procs[4];
	int status, n;

	(void)state;
	assert_non_null(tmp);
	marker = e2e_path(tmp, "held");
	const char *const args[] = {LOCKSTEP,          "run",  "-q",
	                            "--step-timeout",  "60",   "--",
	                            HOSTILE_HOLD_TURN, marker, NULL};
	pid = start_lockstep(args, tmp);
	assert_true(wait_for_file(marker, 120));
	n = pids_of(HOSTILE_HOLD_TURN, 0, procs, 4);
	assert_int_equal(n, 2);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(wait_gone(procs, n, 15), 0);
	procs_of(HOSTILE_HOLD_TURN, SIGKILL);
	sem_unlink("/hostile_hold");
	sweep_after_kill(tmp);
	e2e_rmtree(tmp);
	free(marker);
	free(tmp);
}

/*
 * explore -j 2 on a program whose runs are long: a worker honours
 * SIGTERM (its run stops and cleans up, then it dies of the signal), and
 * when the explorer is killed with SIGKILL the other worker and the
 * program's processes of its run are gone within a deadline (issue 15,
 * row 9: they went on at 100% CPU for minutes).
 */
static void
test_hostile_sigkill_explore_workers(void **state)
{
	char *tmp = e2e_tempdir(), *marker;
	pid_t pid, workers[4], procs[8];
	int status, nw, np;

	(void)state;
	assert_non_null(tmp);
	marker = e2e_path(tmp, "held");
	/* --no-isolation: the marker is written for real, not into the
	 * run's copy-on-write view of /tmp. */
	const char *const args[] = {LOCKSTEP,
	                            "explore",
	                            "--no-isolation",
	                            "-j",
	                            "2",
	                            "--strategy",
	                            "random",
	                            "--runs",
	                            "8",
	                            "--step-timeout",
	                            "60",
	                            "--",
	                            HOSTILE_HOLD_TURN,
	                            marker,
	                            NULL};
	pid = start_lockstep(args, tmp);
	assert_true(wait_for_file(marker, 120));
	nw = pids_of(LOCKSTEP, pid, workers, 4);
	assert_int_equal(nw, 2);
	kill(workers[0], SIGTERM);
	assert_int_equal(wait_gone(workers, 1, 30), 0);
	np = pids_of(HOSTILE_HOLD_TURN, 0, procs, 8);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(wait_gone(workers + 1, 1, 15), 0);
	assert_int_equal(wait_gone(procs, np, 15), 0);
	procs_of(HOSTILE_HOLD_TURN, SIGKILL);
	sem_unlink("/hostile_hold");
	sweep_after_kill(tmp);
	e2e_rmtree(tmp);
	free(marker);
	free(tmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hostile_close_fds),
	        cmocka_unit_test(test_hostile_close_fds_exec),
	        cmocka_unit_test(test_hostile_dup2_fds),
	        cmocka_unit_test(test_hostile_block_signals),
	        cmocka_unit_test(test_hostile_fork_bomb),
	        cmocka_unit_test(test_hostile_spin),
	        cmocka_unit_test(test_hostile_flood),
	        cmocka_unit_test(test_hostile_raw_syscalls),
	        cmocka_unit_test(test_hostile_exit_in_handler),
	        cmocka_unit_test(test_hostile_kill_child),
	        cmocka_unit_test(test_hostile_kill_blocked_child),
	        cmocka_unit_test(test_hostile_sigkill_orphans),
	        cmocka_unit_test(test_hostile_sigkill_turn_holder),
	        cmocka_unit_test(test_hostile_sigkill_explore_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
