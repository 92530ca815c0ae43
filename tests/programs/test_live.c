/*
 * `lockstep run -q -- PROGRAM`: the program's stdout and stderr reach
 * lockstep's as the program writes them, not when the run ends; a reader
 * that goes away (| head -1) does not kill lockstep before its trace,
 * schedule and report are written; the trace is the same with -q and
 * without. Every wait here is for the event itself, with a deadline that
 * only bounds a failure.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

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

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* Bounds a failure only: a loaded 2-CPU machine may be slow. */
#define DEADLINE_MS 120000

/* What a reader of one of lockstep's pipes has got so far. */
struct sink {
	int fd; /* -1 once at its end */
	char *buf;
	size_t len, cap;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Start lockstep with args (NULL-terminated, without argv[0]) in cwd, its
 * stdout and stderr into pipes (its stdout to /dev/full with full),
 * SIGPIPE at its default as in a shell. */
static pid_t
start_to(const char *const args[], const char *cwd, struct sink *out,
         struct sink *err, int full)
{
	int o[2], e[2];
	const char *argv[32] = {LOCKSTEP};
	size_t n = 1;
	pid_t pid;

	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	assert_int_equal(pipe2(o, O_CLOEXEC), 0);
	assert_int_equal(pipe2(e, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		signal(SIGPIPE, SIG_DFL);
		unsetenv("LD_PRELOAD");
		unsetenv("LOCKSTEP_SHM_FD");
		if (full && (dup2(open("/dev/full", O_WRONLY), o[1]) < 0))
			_exit(126);
		if (null < 0 || dup2(null, 0) < 0 || dup2(o[1], 1) < 0 ||
		    dup2(e[1], 2) < 0 || chdir(cwd) != 0)
			_exit(126);
		execv(LOCKSTEP, (char *const *)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	out->fd = o[0];
	err->fd = e[0];
	return pid;
}

static pid_t
start(const char *const args[], const char *cwd, struct sink *out,
      struct sink *err)
{
	return start_to(args, cwd, out, err, 0);
}

/* Read what s has now (wait: until something comes, or the deadline).
 * 0 when it got bytes or reached its end, -1 at the deadline. */
static int
take(struct sink *s, uint64_t deadline)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	ssize_t n;

	if (s->fd < 0)
		return 0;
	while (poll(&p, 1, 100) <= 0)
		if (now_ms() > deadline)
			return -1;
	if (s->cap - s->len < 4097) {
		s->cap = s->cap ? 2 * s->cap : 8192;
		s->buf = realloc(s->buf, s->cap);
		assert_non_null(s->buf);
	}
	n = read(s->fd, s->buf + s->len, 4096);
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
	} else {
		s->len += (size_t)n;
	}
	s->buf[s->len] = '\0';
	return 0;
}

/* Read s until it holds text (1), or its end (0), or the deadline. */
static int
take_until(struct sink *s, const char *text)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;

	while (s->buf == NULL || strstr(s->buf, text) == NULL) {
		if (s->fd < 0)
			return 0;
		if (take(s, deadline) != 0)
			fail_msg("nothing more on the pipe in %d s; have: %s",
			         DEADLINE_MS / 1000, s->buf ? s->buf : "");
	}
	return 1;
}

/* Read s to its end. */
static void
take_all(struct sink *s)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;

	while (s->fd >= 0)
		if (take(s, deadline) != 0)
			fail_msg("the pipe did not end in %d s",
			         DEADLINE_MS / 1000);
}

/* lockstep's exit status (128+N when killed by signal N). */
static int
finish(pid_t pid)
{
	int ws;

	assert_int_equal(waitpid(pid, &ws, 0), pid);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* The data of the write events on object obj, one after the other. */
static char *
writes_on(json_t *trace, const char *obj)
{
	size_t i, len = 0;
	json_t *ev;
	char *all = calloc(1, 1);

	assert_non_null(all);
	json_array_foreach(trace, i, ev)
	{
		const char *op = json_string_value(json_object_get(ev, "op"));
		const char *o = json_string_value(json_object_get(ev, "obj"));
		const char *d = json_string_value(
		        json_object_get(json_object_get(ev, "args"), "data"));

		if (i == 0 || op == NULL || strcmp(op, "write") != 0 ||
		    o == NULL || strcmp(o, obj) != 0 || d == NULL)
			continue;
		all = realloc(all, len + strlen(d) + 1);
		assert_non_null(all);
		strcpy(all + len, d);
		len += strlen(d);
	}
	return all;
}

/* A program that writes, then waits for real until the test lets it go:
 * what it wrote reaches lockstep's stdout and stderr while it waits (and
 * so while lockstep is still running). */
static void
test_live_while_running(void **state)
{
	char *dir = e2e_tempdir(), *sock, *tpath, *w;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct pollfd p;
	struct sink out, err;
	json_t *trace;
	pid_t pid;
	int ls, c, ws;

	(void)state;
	assert_non_null(dir);
	sock = e2e_path(dir, "s");
	tpath = e2e_path(dir, "t.jsonl");
	assert_true(strlen(sock) < sizeof(a.sun_path));
	strcpy(a.sun_path, sock);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 1), 0);
	/* The step timeout far beyond the deadline: the program waits in
	 * a call lockstep does not control until we close our end. */
	pid = start((const char *const[]){"run", "-q", "--step-timeout", "600",
	                                  "--trace", tpath, "--", LIVE_SOCK,
	                                  sock, NULL},
	            dir, &out, &err);
	p.fd = ls;
	p.events = POLLIN;
	if (poll(&p, 1, DEADLINE_MS) != 1)
		fail_msg("the program did not connect in %d s",
		         DEADLINE_MS / 1000);
	c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	/* Its first lines, while it still waits on us. */
	assert_true(take_until(&out, "first\n"));
	assert_true(take_until(&err, "err-first\n"));
	assert_string_equal(out.buf, "first\n");
	assert_string_equal(err.buf, "err-first\n");
	assert_int_equal(waitpid(pid, &ws, WNOHANG), 0);
	/* Let it go: the rest, then the verdict on stderr. */
	close(c);
	take_all(&out);
	take_all(&err);
	assert_int_equal(finish(pid), 0);
	assert_string_equal(out.buf, "first\nafter\n");
	if (strncmp(err.buf, "err-first\nlockstep: prog_live_sock: done", 40))
		fail_msg("stderr: %s", err.buf);
	/* The trace records the writes as ever. */
	trace = e2e_trace_load(tpath);
	assert_non_null(trace);
	w = writes_on(trace, "stdout");
	assert_string_equal(w, "first\nafter\n");
	free(w);
	w = writes_on(trace, "stderr");
	assert_string_equal(w, "err-first\n");
	free(w);
	json_decref(trace);
	close(ls);
	free(out.buf);
	free(err.buf);
	free(sock);
	free(tpath);
	e2e_rmtree(dir);
	free(dir);
}

/* 2000 lines of 70 bytes: more than a pipe holds, so lockstep still
 * writes when the reader has gone. */
#define MANY_LINES                                                             \
	"i=0; while [ $i -lt 2000 ]; do echo \"line $i "                       \
	"..........................................................\"; "       \
	"i=$((i+1)); done"

/* run -q -- PROG | head -1: the reader goes after the first line;
 * lockstep does not die of SIGPIPE, writes its trace, schedule and
 * report, exits with the run's status, and the program went on as
 * recorded: the trace is byte for byte that of a run without -q. */
static void
test_live_reader_gone(void **state)
{
	char *dir = e2e_tempdir(), *tq, *tn, *sq, *a, *b;
	struct e2e_result r;
	struct sink out, err;
	size_t alen, blen;
	json_t *trace;
	pid_t pid;

	(void)state;
	assert_non_null(dir);
	tq = e2e_path(dir, "q.jsonl");
	tn = e2e_path(dir, "n.jsonl");
	sq = e2e_path(dir, "q.schedule");
	pid = start((const char *const[]){"run", "-q", "--trace", tq,
	                                  "--save-schedule", sq, "--", "sh",
	                                  "-c", MANY_LINES, NULL},
	            dir, &out, &err);
	assert_true(take_until(&out, "\n"));
	assert_int_equal(strncmp(out.buf, "line 0 ...", 10), 0);
	close(out.fd); /* head -1 has what it wanted */
	out.fd = -1;
	take_all(&err);
	assert_int_equal(finish(pid), 0);
	if (strstr(err.buf, "lockstep: sh: done, 2001 steps, 0 of 1") == NULL)
		fail_msg("stderr: %s", err.buf);
	trace = e2e_trace_load(tq);
	assert_non_null(trace);
	json_decref(trace);
	a = e2e_read_file(sq, &alen);
	assert_non_null(a);
	assert_non_null(strstr(a, "main write stdout"));
	free(a);
	/* The same run without -q (and its output all read). */
	assert_int_equal(E2E_LOCKSTEP(&r, "run", "--trace", tn, "--", "sh",
	                              "-c", MANY_LINES),
	                 0);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	a = e2e_read_file(tq, &alen);
	b = e2e_read_file(tn, &blen);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	free(out.buf);
	free(err.buf);
	free(tq);
	free(tn);
	free(sq);
	e2e_rmtree(dir);
	free(dir);
}

/* With --trace -, stdout carries the JSON Lines alone; the program's
 * stdout goes, as it comes, to stderr, before lockstep's verdict. */
static void
test_live_trace_stdout(void **state)
{
	struct e2e_result r;

	(void)state;
	E2E_LOCKSTEP(&r, "run", "-q", "--trace", "-", "--", "sh", "-c",
	             "echo a; echo b >&2; echo c");
	assert_int_equal(r.status, 0);
	if (strncmp(r.err, "a\nb\nc\nlockstep: sh: done", 24) != 0)
		fail_msg("stderr: %s", r.err);
	for (const char *l = r.out; *l; l = strchr(l, '\n') + 1)
		assert_int_equal(*l, '{');
	e2e_result_free(&r);
}

/* An output that cannot be written for another reason than a reader
 * gone (a full disk) is an error, exit 70 naming it; the run itself is
 * done as ever. */
static void
test_live_full(void **state)
{
	struct sink out, err;
	pid_t pid;

	(void)state;
	pid = start_to((const char *const[]){"run", "-q", "--", "sh", "-c",
	                                     "echo a; echo b >&2", NULL},
	               "/", &out, &err, 1);
	take_all(&out);
	take_all(&err);
	assert_int_equal(finish(pid), 70);
	if (strstr(err.buf, "b\nlockstep: cannot write the program's "
	                    "stdout: No space left on device\n"
	                    "lockstep: sh: done, 3 steps, 0 of 1") == NULL)
		fail_msg("stderr: %s", err.buf);
	free(out.buf);
	free(err.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_live_while_running),
	        cmocka_unit_test(test_live_reader_gone),
	        cmocka_unit_test(test_live_trace_stdout),
	        cmocka_unit_test(test_live_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
