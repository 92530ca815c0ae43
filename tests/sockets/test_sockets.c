/*
 * UNIX stream sockets in programs, end to end: a socketpair ping-pong
 * (sock_pingpong.c), a forking server with two clients on a named socket
 * (sock_server.c), an event loop with poll and with epoll over two
 * socketpairs (sock_poll.c), the kernel's answers to MSG_DONTWAIT,
 * MSG_PEEK, O_NONBLOCK, a closed peer (sock_flags.c), a poll for room
 * (sock_room.c), and a request/reply
 * deadlock (sock_deadlock.c). Each: the native output and exit status, nothing
 * left behind, the same seed twice the same trace bytes, a saved
 * schedule replayed with --strict to the same trace; explore finds both
 * orders of the server's clients; the deadlock is exit 3, explained.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

static const char pingpong_out[] = "child got ping 0\n"
                                   "parent got pong 0\n"
                                   "child got ping 1\n"
                                   "parent got pong 1\n"
                                   "child got ping 2\n"
                                   "parent got pong 2\n"
                                   "parent: end of file\n";

/* The lines of text, sorted, in a new string: outputs whose order is
 * the kernel's natively compare as sets. */
static char *
sorted(const char *text)
{
	char *copy = strdup(text), *lines[64], *out, *save = NULL;
	size_t n = 0, len = strlen(text) + 1;

	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l != NULL && n < 64;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0;
		     j--) {
			char *t = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = t;
		}
	out = calloc(1, len + 1);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
	}
	free(copy);
	return out;
}

/* How many entries dir has, failing on any but t.jsonl, r.jsonl and
 * s.txt. */
static int
only_ours(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "t.jsonl") != 0 &&
		    strcmp(de->d_name, "r.jsonl") != 0 &&
		    strcmp(de->d_name, "s.txt") != 0)
			fail_msg("left behind: %s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* Run lockstep with args in dir; the result, its status checked. */
static void
lockstep_in(struct e2e_result *r, const char *dir, int status,
            const char *const args[])
{
	assert_int_equal(e2e_spawn(r, LOCKSTEP, args, NULL, dir), 0);
	if (r->status != status)
		fail_msg("%s: exit %d, not %d: %s", args[1], r->status, status,
		         r->err);
	assert_int_equal(r->leftovers, 0);
}

/*
 * Same seed twice, the same trace bytes; the run's schedule replays
 * with --strict to the same trace; the output is want (or, when want is
 * NULL, the native run's lines in some order). prog, arg: the program.
 */
static void
check_program2(const char *prog, const char *arg, const char *arg2,
               const char *want)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"),
	     *rp = e2e_path(dir, "r.jsonl"), *sp = e2e_path(dir, "s.txt");
	const char *const native[] = {prog, arg, arg2, NULL};
	const char *const rec[] = {
	        LOCKSTEP,          "run", "-q", "--seed", "3", "--trace", tp,
	        "--save-schedule", sp,    "--", prog,     arg, arg2,      NULL};
	const char *const rep[] = {
	        LOCKSTEP, "run", "-q", "--strict", "--schedule", sp,  "--trace",
	        rp,       "--",  prog, arg,        arg2,         NULL};
	struct e2e_result n, r;
	char *a, *b, *sn, *sr;

	assert_int_equal(e2e_spawn(&n, prog, native, NULL, dir), 0);
	assert_int_equal(n.status, 0);
	lockstep_in(&r, dir, 0, rec);
	if (want != NULL) {
		assert_string_equal(n.out, want);
		assert_string_equal(r.out, want);
	}
	sn = sorted(n.out);
	sr = sorted(r.out);
	assert_string_equal(sn, sr);
	free(sn);
	free(sr);
	e2e_result_free(&n);
	e2e_result_free(&r);
	a = e2e_trace_events(tp);
	assert_non_null(a);
	/* The socket calls are steps on socket objects. */
	assert_non_null(strstr(a, "\"op\":\"recv\",\"obj\":\"sock"));
	assert_non_null(strstr(a, "\"op\":\"send\",\"obj\":\"sock"));
	lockstep_in(&r, dir, 0, rec);
	e2e_result_free(&r);
	b = e2e_trace_events(tp);
	assert_string_equal(a, b);
	free(b);
	lockstep_in(&r, dir, 0, rep);
	e2e_result_free(&r);
	b = e2e_trace_events(rp);
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* Nothing left but the test's own files (the server removed its
	 * socket's name). */
	assert_int_equal(only_ours(dir), 3);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
	free(rp);
	free(sp);
}

static void
check_program(const char *prog, const char *arg, const char *want)
{
	check_program2(prog, arg, NULL, want);
}

static void
test_sockets_pingpong(void **state)
{
	(void)state;
	check_program(SOCK_PINGPONG, "3", pingpong_out);
}

static void
test_sockets_flags(void **state)
{
	(void)state;
	check_program(SOCK_FLAGS, NULL,
	              "dontwait: EAGAIN\n"
	              "nonblock: EAGAIN\n"
	              "peek: \"abc\"\n"
	              "recv: \"abc\"\n"
	              "recv: end of file\n"
	              "send: -1 EPIPE\n"
	              "send nosignal: -1 EPIPE\n");
}

/* A poll for POLLOUT alone waits for the other end's reader. */
static void
test_sockets_room(void **state)
{
	(void)state;
	check_program(SOCK_ROOM, NULL,
	              "room: 1 POLLOUT\nparent read all: yes\n");
}

static void
test_sockets_server(void **state)
{
	(void)state;
	check_program(SOCK_SERVER, "srv.sock", NULL);
	/* The same over TCP on the loopback, IPv4 and IPv6. */
	check_program(SOCK_SERVER, "tcp", NULL);
	check_program(SOCK_SERVER, "tcp6", NULL);
}

static void
test_sockets_poll(void **state)
{
	(void)state;
	check_program(SOCK_POLL, "poll", NULL);
	check_program(SOCK_POLL, "epoll", NULL);
}

/* The header's object types: the socket ends are "socket"; a recv
 * that got a send's bytes and the end of file after the child's exit. */
static void
test_sockets_trace(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const rec[] = {LOCKSTEP, "run",         "-q", "--trace", tp,
	                           "--",     SOCK_PINGPONG, "1",  NULL};
	struct e2e_result r;
	size_t len;
	char *text, *line, *end;

	(void)state;
	lockstep_in(&r, dir, 0, rec);
	e2e_result_free(&r);
	text = e2e_read_file(tp, &len);
	assert_non_null(text);
	assert_non_null(
	        strstr(text, "{\"name\":\"sock1\",\"type\":\"socket\"}"));
	assert_non_null(strstr(text, "\"op\":\"recv\",\"obj\":\"sock1\","
	                             "\"ret\":0,"));
	/* The recv that got the child's "pong 0" happens after its send:
	 * its clock has the child's entry. */
	line = strstr(text, "\"op\":\"recv\",\"obj\":\"sock1\",\"ret\":6,");
	assert_non_null(line);
	end = strchr(line, '\n');
	assert_non_null(end);
	*end = '\0';
	assert_non_null(strstr(line, "\"main.1\":"));
	assert_non_null(strstr(line, "\"data\":\"pong 0\""));
	free(text);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* explore finds both orders, first and second, of program prog arg
 * arg2 in runs random runs; each saved schedule replays with --strict to
 * its outcome. Random runs from a fixed seed: the same runs every time (the
 * full search of five processes takes minutes). */
static void
explore_orders(const char *runs, const char *prog, const char *arg,
               const char *arg2, const char *first, const char *second)
{
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.txt");
	const char *const ex[] = {LOCKSTEP, "explore", "--json", "--strategy",
	                          "random", "--runs",  runs,     "--seed",
	                          "1",      "--",      prog,     arg,
	                          arg2,     NULL};
	const char *const rep[] = {LOCKSTEP,     "run", "-q", "--strict",
	                           "--schedule", sp,    "--", prog,
	                           arg,          arg2,  NULL};
	char ab_text[128], ba_text[128];
	int ab = 0, ba = 0;
	struct e2e_result r;
	json_error_t je;
	json_t *j, *outs;

	snprintf(ab_text, sizeof(ab_text), "%s\n%s\n", first, second);
	snprintf(ba_text, sizeof(ba_text), "%s\n%s\n", second, first);
	lockstep_in(&r, dir, 0, ex);
	j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	e2e_result_free(&r);
	assert_int_equal(json_array_size(json_object_get(j, "failures")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "deadlocks")), 0);
	outs = json_object_get(j, "outcomes");
	assert_int_equal(json_array_size(outs), 2);
	for (size_t k = 0; k < json_array_size(outs); k++) {
		json_t *o = json_array_get(outs, k);
		const char *text =
		        json_string_value(json_object_get(o, "outcome"));
		int is_ab = strstr(text, ab_text) != NULL;
		int is_ba = strstr(text, ba_text) != NULL;
		FILE *f;

		assert_true(is_ab != is_ba);
		ab |= is_ab;
		ba |= is_ba;
		f = fopen(sp, "w");
		assert_non_null(f);
		fputs(json_string_value(json_object_get(o, "schedule")), f);
		fclose(f);
		lockstep_in(&r, dir, 0, rep);
		assert_string_equal(r.out, is_ab ? ab_text : ba_text);
		e2e_result_free(&r);
	}
	assert_true(ab && ba);
	json_decref(j);
	e2e_rmtree(dir);
	free(dir);
	free(sp);
}

static void
test_sockets_explore(void **state)
{
	(void)state;
	explore_orders("30", SOCK_SERVER, "srv.sock", NULL, "served A",
	               "served B");
}

/* The same over TCP, and which sender's datagram a UDP receiver gets
 * first. */
static void
test_sockets_explore_inet(void **state)
{
	(void)state;
	explore_orders("12", SOCK_SERVER, "tcp", NULL, "served A", "served B");
	explore_orders("12", PROG_DGRAM, "udp", "0", "got from A",
	               "got from B");
}

/* Datagrams: UDP on the loopback, AF_UNIX socketpair and bound name. */
static void
test_sockets_dgram(void **state)
{
	(void)state;
	check_program2(PROG_DGRAM, "udp", "0", NULL);
	check_program2(PROG_DGRAM, "unix", NULL, NULL);
}

/* A connect to a loopback port nobody listens on: the kernel's
 * ECONNREFUSED, a step on the address's object. */
static void
test_sockets_refused(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl");
	const char *const rec[] = {LOCKSTEP,   "run",     "-q",
	                           "--trace",  tp,        "--",
	                           PROG_DGRAM, "refused", NULL};
	struct e2e_result r;
	char *ev;

	(void)state;
	lockstep_in(&r, dir, 0, rec);
	assert_string_equal(r.out, "connect: ECONNREFUSED\n");
	e2e_result_free(&r);
	ev = e2e_trace_events(tp);
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"op\":\"connect\",\"obj\":\"sock"));
	free(ev);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* A client that connects before the server listens is refused (a step,
 * the kernel's ECONNREFUSED) and tries again: explore finds both
 * orders of the connect and the listen, and each schedule replays. */
static void
test_sockets_early(void **state)
{
	char *dir = e2e_tempdir(), *sp = e2e_path(dir, "s.txt");
	const char *const ex[] = {LOCKSTEP, "explore", "--json",   "--strategy",
	                          "random", "--runs",  "12",       "--seed",
	                          "1",      "--",      PROG_DGRAM, "early",
	                          "7357",   NULL};
	const char *const rep[] = {LOCKSTEP,     "run",  "-q", "--strict",
	                           "--schedule", sp,     "--", PROG_DGRAM,
	                           "early",      "7357", NULL};
	int refused = 0, at_once = 0;
	struct e2e_result r;
	json_error_t je;
	json_t *j, *outs;

	(void)state;
	lockstep_in(&r, dir, 0, ex);
	j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	e2e_result_free(&r);
	outs = json_object_get(j, "outcomes");
	assert_int_equal(json_array_size(outs), 2);
	for (size_t k = 0; k < json_array_size(outs); k++) {
		json_t *o = json_array_get(outs, k);
		const char *text =
		        json_string_value(json_object_get(o, "outcome"));
		int was_refused = strstr(text, "client: refused first") != NULL;
		FILE *f;

		refused |= was_refused;
		at_once |= strstr(text, "client: connected at once") != NULL;
		f = fopen(sp, "w");
		assert_non_null(f);
		fputs(json_string_value(json_object_get(o, "schedule")), f);
		fclose(f);
		lockstep_in(&r, dir, 0, rep);
		assert_string_equal(r.out, was_refused ? "server: up\nclient: "
		                                         "refused first\n"
		                                       : "server: up\nclient: "
		                                         "connected at once\n");
		e2e_result_free(&r);
	}
	assert_true(refused && at_once);
	json_decref(j);
	e2e_rmtree(dir);
	free(dir);
	free(sp);
}

/* Each run has a network of its own: a run binds the UDP port this test
 * holds, and two runs bind the same port at once. */
static void
test_sockets_netns(void **state)
{
	char *dir = e2e_tempdir(), port[16], *got;
	struct sockaddr_in at = {.sin_family = AF_INET};
	socklen_t len = sizeof(at);
	const char *const run[] = {LOCKSTEP,   "run", "-q", "--",
	                           PROG_DGRAM, "udp", port, NULL};
	struct e2e_result r;
	int held = socket(AF_INET, SOCK_DGRAM, 0), status;
	pid_t pid;

	(void)state;
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(held >= 0);
	assert_int_equal(bind(held, (struct sockaddr *)&at, sizeof(at)), 0);
	assert_int_equal(getsockname(held, (struct sockaddr *)&at, &len), 0);
	snprintf(port, sizeof(port), "%u", ntohs(at.sin_port));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = e2e_spawn(&r, LOCKSTEP, run, NULL, dir) == 0 &&
		         r.status == 0;

		_exit(ok ? 0 : 1);
	}
	lockstep_in(&r, dir, 0, run);
	got = sorted(r.out);
	assert_string_equal(got, "got from A\ngot from B\n");
	free(got);
	e2e_result_free(&r);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(held);
	e2e_rmtree(dir);
	free(dir);
}

/*
 * What the loopback delivers late (sock_late.c): the run's own loopback
 * shaped by a token bucket (tc tbf, 8 kbit/s: a small segment waits some
 * 66 ms for its turn once the bucket is empty, a full one far longer),
 * so that the FIN of a close or a shutdown, and the last segment of a
 * connect's handshake, reach the server long after the client's call
 * returned, whatever the machine's speed. The server's recv, read and
 * accept wait for them, as a native run does: exit 0, the same trace
 * for the same seed; without that, a false deadlock (exit 3) every
 * time. A close of one of two fork-shared copies sends nothing and is
 * not waited for. Only ever in the run's own network namespace (the
 * program refuses this process's); skipped where tc or tbf is missing.
 */
static void
test_sockets_late(void **state)
{
	static const char *const modes[] = {"fin", "shut", "write", "connect",
	                                    "shared"};
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"), host[32],
	     want[128];
	struct stat st;
	struct e2e_result r;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	snprintf(host, sizeof(host), "%llu", (unsigned long long)st.st_ino);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *const run[] = {LOCKSTEP,  "run",     "-q", "--seed",
		                           "1",       "--trace", tp,   "--",
		                           SOCK_LATE, "shape",   host, modes[i],
		                           NULL};
		char *a, *b;

		lockstep_in(&r, dir, 0, run);
		if (strstr(r.out, "cannot shape the loopback") != NULL) {
			e2e_result_free(&r);
			e2e_rmtree(dir);
			free(dir);
			free(tp);
			skip();
		}
		snprintf(want, sizeof(want),
		         "server got %d bytes, then end of file\n%s",
		         strcmp(modes[i], "connect") == 0 ? 100 : 1400,
		         strcmp(modes[i], "shut") == 0 ? "client got ok\n"
		                                       : "");
		assert_string_equal(r.out, want);
		e2e_result_free(&r);
		a = e2e_trace_events(tp);
		assert_non_null(a);
		lockstep_in(&r, dir, 0, run);
		e2e_result_free(&r);
		b = e2e_trace_events(tp);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

/* Both sides receive first: a deadlock, explained per socket. */
static void
test_sockets_deadlock(void **state)
{
	char *dir = e2e_tempdir();
	const char *const run[] = {LOCKSTEP, "run", "--", SOCK_DEADLOCK, NULL};
	struct e2e_result r;

	(void)state;
	lockstep_in(&r, dir, 3, run);
	assert_non_null(strstr(r.out, "main waits for data on socket sock1; "
	                              "its other end is still open in "
	                              "main.1, which waits for data on "
	                              "socket sock2\n"));
	assert_non_null(strstr(r.out, "main.1 waits for data on socket "
	                              "sock2; its other end is still open "
	                              "in main, which waits for data on "
	                              "socket sock1\n"));
	assert_non_null(strstr(r.out, "wait-for cycle: main -> main.1 -> "
	                              "main\n"));
	e2e_result_free(&r);
	e2e_rmtree(dir);
	free(dir);
}

/* A real program nobody here wrote: python3's http.server answering
 * one request of a urllib client in the same run, over TCP on the
 * loopback; the same answer natively and under lockstep, the same seed
 * the same trace. Skipped without python3. */
static void
test_sockets_http(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"), py[512],
	     script[2048], *a, *b, *sh;
	const char *const which[] = {
	        "sh", "-c", "python3 -c 'import sys; print(sys.executable)'",
	        NULL};
	struct sockaddr_in at = {.sin_family = AF_INET};
	socklen_t len = sizeof(at);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct e2e_result r;

	(void)state;
	if (e2e_spawn(&r, "/bin/sh", which, NULL, dir) != 0 || r.status != 0 ||
	    r.out[0] != '/') {
		e2e_result_free(&r);
		e2e_rmtree(dir);
		skip();
	}
	/* The interpreter itself, not a wrapper script (pyenv's). */
	snprintf(py, sizeof(py), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	e2e_result_free(&r);
	/* A port free natively (under lockstep the run has its own). */
	at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&at, sizeof(at)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&at, &len), 0);
	close(s);
	snprintf(script, sizeof(script),
	         "%s -c 'import http.server as h; h.HTTPServer((\"127.0.0.1\", "
	         "%u), h.SimpleHTTPRequestHandler).handle_request()' "
	         "2>/dev/null &\n"
	         "%s -c '\n"
	         "import urllib.request, time\n"
	         "for i in range(200):\n"
	         "    try:\n"
	         "        print(urllib.request.urlopen(\"http://127.0.0.1:%u/"
	         "hello.txt\").read().decode(), end=\"\"); break\n"
	         "    except OSError: time.sleep(0.05)\n"
	         "'\nwait\n",
	         py, ntohs(at.sin_port), py, ntohs(at.sin_port));
	free(e2e_write_file(dir, "hello.txt", "hello over http\n"));
	sh = e2e_write_file(dir, "http.sh", script);
	{
		const char *const native[] = {"sh", sh, NULL};
		const char *const rec[] = {LOCKSTEP,  "run",     "-q", "--seed",
		                           "1",       "--trace", tp,   "--",
		                           "/bin/sh", sh,        NULL};

		assert_int_equal(e2e_spawn(&r, "/bin/sh", native, NULL, dir),
		                 0);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "hello over http\n");
		e2e_result_free(&r);
		lockstep_in(&r, dir, 0, rec);
		assert_string_equal(r.out, "hello over http\n");
		e2e_result_free(&r);
		a = e2e_trace_events(tp);
		assert_non_null(a);
		assert_non_null(strstr(a, "\"op\":\"accept\",\"obj\":\"sock"));
		lockstep_in(&r, dir, 0, rec);
		e2e_result_free(&r);
		b = e2e_trace_events(tp);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	free(sh);
	e2e_rmtree(dir);
	free(dir);
	free(tp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sockets_pingpong),
	        cmocka_unit_test(test_sockets_trace),
	        cmocka_unit_test(test_sockets_flags),
	        cmocka_unit_test(test_sockets_room),
	        cmocka_unit_test(test_sockets_server),
	        cmocka_unit_test(test_sockets_poll),
	        cmocka_unit_test(test_sockets_explore),
	        cmocka_unit_test(test_sockets_explore_inet),
	        cmocka_unit_test(test_sockets_dgram),
	        cmocka_unit_test(test_sockets_refused),
	        cmocka_unit_test(test_sockets_early),
	        cmocka_unit_test(test_sockets_netns),
	        cmocka_unit_test(test_sockets_http),
	        cmocka_unit_test(test_sockets_deadlock),
	        cmocka_unit_test(test_sockets_late),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
