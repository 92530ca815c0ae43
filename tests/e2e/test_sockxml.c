/*
 * Sockets in scenarios, end to end (scenarios/lecture/echo-server.xml and
 * request-deadlock.xml): the exit status, the trace's objects and
 * operations (the listener under its declared name, the connection's
 * ends named at connect), the deadlock explained with the sockets, the
 * same trace bytes for the same seed, a saved schedule replayed to the
 * same trace, explore's outcomes, and nothing left behind: no socket in
 * a --workdir, no object in /dev/shm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "e2e.h"

#define ECHO     "scenarios/lecture/echo-server.xml"
#define DEADLOCK "scenarios/lecture/request-deadlock.xml"

static void
expect_exit(const struct e2e_result *r, int status)
{
	if (r->status != status)
		fail_msg("exit %d, expected %d\nstdout:\n%.3000s\nstderr:\n"
		         "%.3000s",
		         r->status, status, r->out, r->err);
}

/* The header's object called name has type type. */
static void
expect_object(json_t *trace, const char *name, const char *type)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(json_array_get(trace, 0), "objects"),
	                   i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "name")),
		           name) == 0) {
			assert_string_equal(
			        json_string_value(json_object_get(o, "type")),
			        type);
			return;
		}
	}
	fail_msg("no object %s in the trace's header", name);
}

/* How many events of proc have op on obj. */
static int
count_events(json_t *trace, const char *proc, const char *op, const char *obj)
{
	json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(trace, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "proc"));
		const char *o = json_string_value(json_object_get(e, "op"));
		const char *b = json_string_value(json_object_get(e, "obj"));

		if (i > 0 && p != NULL && o != NULL && b != NULL &&
		    strcmp(p, proc) == 0 && strcmp(o, op) == 0 &&
		    strcmp(b, obj) == 0)
			n++;
	}
	return n;
}

/* The echo server: done, both echoes printed, the listener "echo" and
 * the ends named after the clients; in a --workdir, no socket is left. */
static void
test_sockxml_echo_run(void **state)
{
	char *dir = e2e_tempdir(), *tp;
	struct e2e_result r;
	json_t *t;

	(void)state;
	assert_non_null(dir);
	tp = e2e_path(dir, "t.jsonl");
	E2E_LOCKSTEP(&r, "run", "-q", "--workdir", dir, "--trace", tp, ECHO);
	expect_exit(&r, 0);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);
	t = e2e_trace_load(tp);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(t, 0), "verdict")),
	                    "done");
	expect_object(t, "echo", "socket");
	expect_object(t, "alice.conn", "socket");
	expect_object(t, "echo.alice", "socket");
	expect_object(t, "bob.conn", "socket");
	expect_object(t, "echo.bob", "socket");
	assert_int_equal(count_events(t, "alice", "connect", "echo"), 1);
	assert_int_equal(count_events(t, "bob", "connect", "echo"), 1);
	assert_int_equal(count_events(t, "alice", "send", "echo.alice"), 1);
	assert_int_equal(count_events(t, "server", "send", "alice.conn"), 1);
	assert_int_equal(count_events(t, "server", "send", "bob.conn"), 1);
	assert_true(count_events(t, "server", "accept", "echo") >= 2);
	json_decref(t);
	unlink(tp);
	/* The socket's address went with the run; nothing else was made. */
	assert_int_equal(e2e_dir_entries(dir, "echo-server"), 0);
	free(tp);
	e2e_rmtree(dir);
	free(dir);
}

/* Both sides wait to read first: exit 3, explained with the sockets.
 * The diagram says the first accept blocks, never the EAGAIN with which
 * lockstep tried it. */
static void
test_sockxml_deadlock_run(void **state)
{
	char *dir = e2e_tempdir(), *dot = e2e_path(dir, "d.dot"), *text;
	struct e2e_result r;
	size_t len;

	(void)state;
	E2E_LOCKSTEP(&r, "run", DEADLOCK, "--diagram", dot);
	expect_exit(&r, 3);
	assert_int_equal(r.leftovers, 0);
	if (strstr(r.out, "client waits for data on socket client.conn") ==
	            NULL ||
	    strstr(r.out, "server waits for data on socket svc.client") ==
	            NULL ||
	    strstr(r.out, "wait-for cycle: server -> client -> server") == NULL)
		fail_msg("explanation:\n%s", r.out);
	e2e_result_free(&r);
	text = e2e_read_file(dot, &len);
	assert_non_null(text);
	if (strstr(text, "accept svc (blocks)") == NULL ||
	    strstr(text, "EAGAIN") != NULL)
		fail_msg("diagram labels:\n%.3000s", text);
	free(text);
	free(dot);
	e2e_rmtree(dir);
	free(dir);
}

/* The same seed twice: the same trace bytes; the run's schedule replayed
 * gives that trace again. */
static void
test_sockxml_seed_and_replay(void **state)
{
	const char *const args[] = {"--seed", "7", ECHO, NULL};
	char *dir = e2e_tempdir(), why[2300];

	(void)state;
	assert_non_null(dir);
	if (e2e_same_trace_thrice(dir, args, 0, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	e2e_rmtree(dir);
	free(dir);
}

/* explore with at most one preemption: complete in 34 runs, the two
 * orders of the clients, every expectation held; the deadlock scenario:
 * one outcome, a deadlock, in 13 runs. */
static void
test_sockxml_explore(void **state)
{
	struct e2e_result r;
	json_t *j;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--json", "-q", "--preemption-bound", "1",
	             ECHO);
	expect_exit(&r, 0);
	assert_int_equal(r.leftovers, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 34);
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 2);
	json_decref(j);
	e2e_result_free(&r);

	E2E_LOCKSTEP(&r, "explore", "--json", "-q", DEADLOCK);
	expect_exit(&r, 3);
	assert_int_equal(r.leftovers, 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "complete")));
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 13);
	assert_int_equal(json_array_size(json_object_get(j, "outcomes")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 1);
	json_decref(j);
	e2e_result_free(&r);
}

/* A handler forked after the accept holds the connection, as after
 * fork: it echoes, shuts its side down and sees the client's close. */
static void
test_sockxml_forked_handler(void **state)
{
	static const char xml[] =
	        "<scenario name=\"fork-handler\" version=\"1\">\n"
	        "  <socket name=\"svc\"/>\n"
	        "  <process name=\"server\">\n"
	        "    <listen socket=\"svc\"/>\n"
	        "    <spawn process=\"client\"/>\n"
	        "    <accept socket=\"svc\" as=\"conn\"/>\n"
	        "    <spawn process=\"handler\"/>\n"
	        "    <close conn=\"conn\"/>\n"
	        "    <waitpid process=\"handler\"/>\n"
	        "    <waitpid process=\"client\"/>\n"
	        "  </process>\n"
	        "  <process name=\"handler\">\n"
	        "    <recv conn=\"conn\" bytes=\"64\" echo=\"yes\"/>\n"
	        "    <shutdown conn=\"conn\"/>\n"
	        "    <recv conn=\"conn\" until=\"eof\"/>\n"
	        "  </process>\n"
	        "  <process name=\"client\">\n"
	        "    <connect socket=\"svc\" as=\"conn\"/>\n"
	        "    <send conn=\"conn\">ping{process}&#10;</send>\n"
	        "    <recv conn=\"conn\" until=\"eof\"/>\n"
	        "    <close conn=\"conn\"/>\n"
	        "  </process>\n"
	        "  <expect><output matches=\"^pingclient&#10;$\"/></expect>\n"
	        "</scenario>\n";
	char *dir = e2e_tempdir(), *file;
	struct e2e_result r;

	(void)state;
	assert_non_null(dir);
	file = e2e_write_file(dir, "fork.xml", xml);
	assert_non_null(file);
	E2E_LOCKSTEP(&r, "run", file);
	expect_exit(&r, 0);
	if (strstr(r.out, "recv svc.client \"pingclient\"") == NULL ||
	    strstr(r.out, "shutdown client.conn") == NULL ||
	    strstr(r.out, "recv svc.client: end of file") == NULL)
		fail_msg("run:\n%s", r.out);
	e2e_result_free(&r);
	free(file);
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sockxml_echo_run),
	        cmocka_unit_test(test_sockxml_deadlock_run),
	        cmocka_unit_test(test_sockxml_seed_and_replay),
	        cmocka_unit_test(test_sockxml_explore),
	        cmocka_unit_test(test_sockxml_forked_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
