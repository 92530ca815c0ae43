/*
 * Tests of the controller with real processes: fake agents that spin,
 * crash, exit non-zero or fork run under the real interposer, and the
 * verdict, the culprit and the trace must say so; nothing may be left in
 * /dev/shm and no process may survive. Then lockstep itself is stopped
 * with SIGTERM in the middle of a long run.
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
#include "controller/controller.h"
#include "trace/trace.h"

static const char one_proc[] =
        "<scenario name=\"fake\" version=\"1\">\n"
        "  <process name=\"P\"><print>x</print></process>\n"
        "</scenario>\n";

/* Objects in /dev/shm of the runs of the lockstep process owner (other
 * lockstep runs on the machine are none of this test's business). */
static int
shm_leftovers(pid_t owner)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	char a[32], b[32];
	int n = 0;

	if (d == NULL)
		return 0;
	snprintf(a, sizeof(a), "sem.lk%dx", (int)owner);
	snprintf(b, sizeof(b), "lk%dx", (int)owner);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, a, strlen(a)) == 0 ||
		    strncmp(de->d_name, b, strlen(b)) == 0)
			n++;
	closedir(d);
	return n;
}

/* The step timeout of the runs that do not test it: a limit that only
 * bounds a failure (a loaded machine can take seconds for one step). */
#define STEP_LIMIT_MS 30000

/* Run the one-process scenario with a fake agent; returns the trace. */
static struct lk_trace *
run_fake(const char *agent, unsigned step_timeout_ms)
{
	struct lk_scenario *sc;
	struct lk_trace *t = NULL;
	struct lk_err err;
	struct lk_run_opts o = {0};
	char path[4096];

	assert_int_equal(lk_scenario_parse(one_proc, strlen(one_proc), "f.xml",
	                                   &sc, &err),
	                 0);
	snprintf(path, sizeof(path), "%s/tests/controller/%s", LK_BUILD_DIR,
	         agent);
	o.agent = path;
	o.interposer = LK_BUILD_DIR "/liblockstep-interpose.so";
	o.step_timeout_ms = step_timeout_ms;
	if (lk_run_scenario(sc, &o, &t, &err) != 0)
		fail_msg("run failed: %s", err.msg);
	lk_scenario_free(sc);
	assert_int_equal(shm_leftovers(getpid()), 0);
	return t;
}

/* A process that loops without a point is reported as timed out, and the
 * events before it are kept. */
static void
test_controller_step_timeout(void **state)
{
	struct lk_trace *t;
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	t = run_fake("agent_spin", 300);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(t->verdict, LK_V_TIMEOUT);
	assert_int_equal(t->culprit, 0);
	assert_int_equal(t->nevents, 1);
	assert_int_equal(t->ev[0].op, LK_OP_WRITE);
	assert_string_equal(t->output, "spin\n");
	/* Reported after the step timeout, not at the end of something much
	 * longer (the bound is generous: a loaded machine is slow). */
	assert_true(b.tv_sec - a.tv_sec < 20);
	lk_trace_free(t);
}

/* A crash is a verdict with the culprit and the signal. */
static void
test_controller_crash(void **state)
{
	struct lk_trace *t = run_fake("agent_crash", STEP_LIMIT_MS);

	(void)state;
	assert_int_equal(t->verdict, LK_V_CRASH);
	assert_int_equal(t->culprit, 0);
	assert_int_equal(t->signal, SIGSEGV);
	assert_int_equal(t->nevents, 1);
	assert_false(t->procs[0].exited);
	lk_trace_free(t);
}

/* A non-zero exit status fails the run and is kept in the trace. */
static void
test_controller_exit_status(void **state)
{
	struct lk_trace *t = run_fake("agent_status", STEP_LIMIT_MS);

	(void)state;
	assert_int_equal(t->verdict, LK_V_CRASH);
	assert_int_equal(t->culprit, 0);
	assert_int_equal(t->signal, 0);
	assert_true(t->procs[0].exited);
	assert_int_equal(t->procs[0].status, 3);
	assert_int_equal(t->ev[t->nevents - 1].op, LK_OP_EXIT);
	lk_trace_free(t);
}

/* fork is a step; the child is named by lineage, starts after the fork
 * in happens-before order, and is scheduled like any process. */
static void
test_controller_fork(void **state)
{
	struct lk_trace *t = run_fake("agent_fork", STEP_LIMIT_MS);
	size_t fork_at = 0, start_at = 0;

	(void)state;
	assert_int_equal(t->verdict, LK_V_DONE);
	assert_int_equal(t->nprocs, 2);
	assert_string_equal(t->procs[1].name, "P.1");
	assert_int_equal(t->procs[1].parent, 0);
	assert_true(t->procs[0].exited && t->procs[1].exited);
	for (size_t i = 0; i < t->nevents; i++) {
		if (t->ev[i].op == LK_OP_FORK)
			fork_at = i;
		if (t->ev[i].op == LK_OP_START)
			start_at = i;
	}
	assert_true(start_at > fork_at);
	assert_int_equal(t->ev[fork_at].ret, 1);
	assert_int_equal(t->ev[start_at].proc, 1);
	assert_int_equal(lk_trace_vclocks(t), 0);
	assert_true(lk_trace_hb(t, fork_at, start_at));
	assert_non_null(strstr(t->output, "child\n"));
	assert_non_null(strstr(t->output, "parent again\n"));
	lk_trace_free(t);
}

#define MAX_AGENTS 64

/* How many of the n agents in pids are still alive. */
static int
agents_alive(const pid_t *pids, int n)
{
	int alive = 0;

	for (int i = 0; i < n; i++)
		alive += e2e_is_agent(pids[i]);
	return alive;
}

/* Write the long two-process scenario to a temporary file: 10^12 rounds,
 * a run no machine finishes while a test waits for it (--max-steps stops
 * it first). */
static void
long_scenario(char *xml)
{
	const char body[] =
	        "<scenario name=\"long\" version=\"1\">\n"
	        "  <semaphore name=\"s\" value=\"0\"/>\n"
	        "  <file name=\"out\"/>\n"
	        "  <process name=\"A\"><repeat times=\"1000000\">"
	        "<repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></repeat>"
	        "</process>\n"
	        "  <process name=\"B\"><repeat times=\"1000000\">"
	        "<repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></repeat>"
	        "</process>\n"
	        "</scenario>\n";
	int fd = mkstemps(xml, 4);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1),
	                 (ssize_t)sizeof(body) - 1);
	close(fd);
}

/* Seconds since t0 on the monotonic clock. */
static double
since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A deadline that only bounds a failure: what the tests wait for comes
 * in milliseconds, unless something is wrong. */
#define WAIT_LIMIT_S 60.0

/*
 * Wait until lockstep process ctl has demonstrably started its run: both
 * agents of the long scenario alive under it and its semaphore in
 * /dev/shm. Returns the agents (into agents) and their number. Fails if
 * lockstep ends first or after WAIT_LIMIT_S.
 */
static int
wait_started(pid_t ctl, pid_t *agents)
{
	struct timespec t0;
	int n, status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = e2e_agents_under(ctl, agents, MAX_AGENTS);
		n = n < MAX_AGENTS ? n : MAX_AGENTS;
		if (n >= 2 && shm_leftovers(ctl) > 0)
			return n;
		if (waitpid(ctl, &status, WNOHANG) == ctl)
			fail_msg("lockstep ended (status 0x%x) before its run "
			         "started",
			         status);
		if (since(&t0) > WAIT_LIMIT_S)
			fail_msg("no run started in %.0f s (%d agents)",
			         WAIT_LIMIT_S, n);
		poll(NULL, 0, 5);
	}
}

/* Wait until none of the n agents is alive; fails after WAIT_LIMIT_S. */
static void
wait_agents_gone(const pid_t *agents, int n)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (agents_alive(agents, n) > 0) {
		if (since(&t0) > WAIT_LIMIT_S)
			fail_msg("%d agents still alive after %.0f s",
			         agents_alive(agents, n), WAIT_LIMIT_S);
		poll(NULL, 0, 5);
	}
}

/* What run ids of lockstep process pid keep in lockstep's private
 * directory under tmp (tmp/lockstep-UID, runner/controller/rundir.c):
 * lock, SysV list, work directory. */
static int
stale_workdirs(const char *tmp, pid_t pid)
{
	char dir[4096], prefix[32];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/lockstep-%u", tmp, (unsigned)geteuid());
	snprintf(prefix, sizeof(prefix), "lk%dx", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Start `lockstep run xml -q --max-steps 100000000` with TMPDIR tmp (NULL:
 * ours); its pid. */
static pid_t
start_long_run(const char *xml, const char *tmp)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (tmp != NULL)
			setenv("TMPDIR", tmp, 1);
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "run", xml, "-q",
		      "--max-steps", "100000000", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGKILL to lockstep: its processes die with it (parent-death signal),
 * and the next lockstep removes what the dead run left: its named
 * semaphore in /dev/shm and its work directory. Both lockstep runs have a
 * TMPDIR of their own, so that no other lockstep on the machine sweeps
 * the dead run's work directory first (/dev/shm cannot be private). */
static void
test_controller_sigkill(void **state)
{
	char xml[] = "/tmp/lockstep-kill-XXXXXX.xml";
	char tmp[] = "/tmp/lockstep-kill-tmp-XXXXXX";
	const char *tiny = LK_SOURCE_DIR "/scenarios/rendezvous.xml";
	pid_t pid, dead, agents[MAX_AGENTS];
	int status, nagents;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	long_scenario(xml);
	pid = start_long_run(xml, tmp);
	nagents = wait_started(pid, agents);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	dead = pid;
	unlink(xml);
	wait_agents_gone(agents, nagents);
	/* The dead run's names are proven dead only through its lock in our
	 * own TMPDIR's private directory, so no other lockstep sweeps them. */
	assert_true(shm_leftovers(dead) > 0);
	assert_true(stale_workdirs(tmp, dead) > 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		setenv("TMPDIR", tmp, 1);
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "run", tiny, "-q",
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(shm_leftovers(dead), 0);
	assert_int_equal(stale_workdirs(tmp, dead), 0);
	{
		char priv[4096];

		snprintf(priv, sizeof(priv), "%s/lockstep-%u", tmp,
		         (unsigned)geteuid());
		assert_int_equal(rmdir(priv), 0);
	}
	assert_int_equal(rmdir(tmp), 0);
}

/* SIGTERM to lockstep in the middle of a run: it cleans up, then dies of
 * that signal; no agent and no object survives. */
static void
test_controller_sigterm(void **state)
{
	char xml[] = "/tmp/lockstep-long-XXXXXX.xml";
	int status, nagents;
	pid_t pid, agents[MAX_AGENTS];

	(void)state;
	long_scenario(xml);
	pid = start_long_run(xml, NULL);
	nagents = wait_started(pid, agents);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(xml);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(agents_alive(agents, nagents), 0);
	assert_int_equal(shm_leftovers(pid), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_controller_step_timeout),
	        cmocka_unit_test(test_controller_crash),
	        cmocka_unit_test(test_controller_exit_status),
	        cmocka_unit_test(test_controller_fork),
	        cmocka_unit_test(test_controller_sigterm),
	        cmocka_unit_test(test_controller_sigkill),
	};

	/* lockstep's private directory is then under TMPDIR
	 * (stale_workdirs). */
	unsetenv("XDG_RUNTIME_DIR");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
