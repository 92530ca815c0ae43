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
	/* Reported soon after the timeout, not much later. */
	assert_true(b.tv_sec - a.tv_sec < 5);
	lk_trace_free(t);
}

/* A crash is a verdict with the culprit and the signal. */
static void
test_controller_crash(void **state)
{
	struct lk_trace *t = run_fake("agent_crash", 5000);

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
	struct lk_trace *t = run_fake("agent_status", 5000);

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
	struct lk_trace *t = run_fake("agent_fork", 5000);
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

/* Is pid an agent of this build, alive (a zombie has no command line)? */
static int
is_agent(pid_t pid)
{
	char path[64], buf[256] = "";
	FILE *f;
	int yes;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	yes = fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
	      strncmp(buf, LK_BUILD_DIR "/lockstep-agent",
	              strlen(LK_BUILD_DIR "/lockstep-agent")) == 0;
	fclose(f);
	return yes;
}

/* The parent of pid, 0 when it is gone. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512] = "", *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

#define MAX_AGENTS 64

/* The agents of this build that descend from lockstep process ctl, into
 * out; how many. Tests running beside this one (ctest -j) have agents of
 * their own, which this leaves out. */
static int
run_agents(pid_t ctl, pid_t *out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL && n < MAX_AGENTS) {
		pid_t pid = (pid_t)atoi(de->d_name), up;

		if (pid <= 0 || !is_agent(pid))
			continue;
		for (up = parent_of(pid); up > 1 && up != ctl;
		     up = parent_of(up))
			;
		if (up == ctl)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/* How many of the n agents in pids are still alive. */
static int
agents_alive(const pid_t *pids, int n)
{
	int alive = 0;

	for (int i = 0; i < n; i++)
		alive += is_agent(pids[i]);
	return alive;
}

/* Write the long two-process scenario to a temporary file. */
static void
long_scenario(char *xml)
{
	const char body[] =
	        "<scenario name=\"long\" version=\"1\">\n"
	        "  <semaphore name=\"s\" value=\"0\"/>\n"
	        "  <file name=\"out\"/>\n"
	        "  <process name=\"A\"><repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></process>\n"
	        "  <process name=\"B\"><repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></process>\n"
	        "</scenario>\n";
	int fd = mkstemps(xml, 4);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1),
	                 (ssize_t)sizeof(body) - 1);
	close(fd);
}

/* What run ids of lockstep process pid keep in lockstep's private
 * directory ($TMPDIR/lockstep-UID, runner/controller/rundir.c): lock,
 * SysV list, work directory. */
static int
stale_workdirs(pid_t pid)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], prefix[32];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/lockstep-%u",
	         tmp != NULL && *tmp ? tmp : "/tmp", (unsigned)geteuid());
	snprintf(prefix, sizeof(prefix), "lk%dx", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* SIGKILL to lockstep: its processes die with it (parent-death signal),
 * and the next lockstep removes what the dead run left: its named
 * semaphore in /dev/shm and its work directory. */
static void
test_controller_sigkill(void **state)
{
	char xml[] = "/tmp/lockstep-kill-XXXXXX.xml";
	const char *tiny = LK_SOURCE_DIR "/scenarios/rendezvous.xml";
	pid_t pid, dead, agents[MAX_AGENTS];
	int status, nagents;

	(void)state;
	long_scenario(xml);
	pid = fork();
	if (pid == 0) {
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "run", xml, "-q",
		      "--max-steps", "100000000", (char *)NULL);
		_exit(127);
	}
	usleep(400 * 1000);
	nagents = run_agents(pid, agents);
	assert_true(nagents > 0);
	assert_true(shm_leftovers(pid) > 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	dead = pid;
	unlink(xml);
	for (int i = 0; i < 50 && agents_alive(agents, nagents) > 0; i++)
		usleep(20 * 1000);
	assert_int_equal(agents_alive(agents, nagents), 0);
	assert_true(shm_leftovers(dead) > 0);
	assert_true(stale_workdirs(dead) > 0);
	pid = fork();
	if (pid == 0) {
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "check", tiny,
		      (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "run", tiny, "-q",
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(shm_leftovers(dead), 0);
	assert_int_equal(stale_workdirs(dead), 0);
}

/* SIGTERM to lockstep in the middle of a run: it cleans up, then dies of
 * that signal; no agent and no object survives. */
static void
test_controller_sigterm(void **state)
{
	char xml[] = "/tmp/lockstep-long-XXXXXX.xml";
	const char body[] =
	        "<scenario name=\"long\" version=\"1\">\n"
	        "  <semaphore name=\"s\" value=\"0\"/>\n"
	        "  <process name=\"A\"><repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></process>\n"
	        "  <process name=\"B\"><repeat times=\"1000000\">"
	        "<post sem=\"s\"/><wait sem=\"s\"/></repeat></process>\n"
	        "</scenario>\n";
	int fd = mkstemps(xml, 4), status, nagents;
	pid_t pid, agents[MAX_AGENTS];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1),
	                 (ssize_t)sizeof(body) - 1);
	close(fd);
	pid = fork();
	if (pid == 0) {
		execl(LK_BUILD_DIR "/lockstep", "lockstep", "run", xml, "-q",
		      "--max-steps", "100000000", (char *)NULL);
		_exit(127);
	}
	usleep(400 * 1000);
	nagents = run_agents(pid, agents);
	assert_true(nagents > 0);
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
	/* lockstep's private directory is then under TMPDIR (stale_workdirs).
	 */
	unsetenv("XDG_RUNTIME_DIR");
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
