/*
 * Real programs nobody here wrote (sh, sort, make, xargs, flock, perl,
 * grep, python3), each run natively and under `lockstep run -q`, in a
 * directory of its own made afresh before every run (python3 and perl's
 * hash order only under lockstep: natively it changes from run to run):
 *   - the same standard output, byte for byte, and the same standard error
 *     followed by lockstep's one verdict line;
 *   - the exit status native semantics give (main's 0 is 0, main's
 *     non-zero is a failed run, 1, never a crash);
 *   - the same trace bytes (header aside) for the same seed run twice, and
 *     with lockstep's stderr to a pipe or to a file;
 *   - the saved schedule, followed with --strict, gives the same trace.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"
#define SH       "/bin/sh"
#define MAX_ARGS 32

/* One program of the corpus: the files it starts from, and its argv. */
struct prog {
	const char *name;
	void (*setup)(const char *dir);
	const char *argv[10]; /* argv[0] is looked up in PATH */
	int native_status;    /* what it exits with natively */
};

/* Write text into dir/name, dated 2020 (see make_setup). */
static void
put(const char *dir, const char *name, const char *text)
{
	char *path = e2e_path(dir, name);
	struct timespec old[2] = {{1577836800, 0}, {1577836800, 0}};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
	free(path);
}

static void
words_setup(const char *dir)
{
	put(dir, "words.txt", "b\na\nb\nc\na\nb\n");
}

/* The Makefile dated 2020 (an old checkout); make_now_setup dates it
 * now: both before the virtual clock's start (2100-01-01). */
static void
make_setup(const char *dir)
{
	put(dir, "Makefile",
	    "all.txt: a.txt b.txt\n"
	    "\tcat a.txt b.txt > all.txt\n"
	    "a.txt:\n"
	    "\techo a > a.txt\n"
	    "b.txt:\n"
	    "\techo b > b.txt\n");
}

/* The same Makefile, dated now, as a file just edited is. */
static void
make_now_setup(const char *dir)
{
	char *path = e2e_path(dir, "Makefile");
	const char *text = "all.txt: a.txt b.txt\n"
	                   "\tcat a.txt b.txt > all.txt\n"
	                   "a.txt:\n"
	                   "\techo a > a.txt\n"
	                   "b.txt:\n"
	                   "\techo b > b.txt\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	free(path);
}

static void
no_setup(const char *dir)
{
	(void)dir;
}

static const struct prog pipeline = {
        "sort | uniq -c",
        words_setup,
        {"sh", "-c", "sort words.txt | uniq -c", NULL},
        0,
};

static const struct prog make_j2 = {
        "make -j2",
        make_setup,
        {"sh", "-c", "make -j2 -s && cat all.txt", NULL},
        0,
};

/* Not -s: make's own messages ("Nothing to be done", a clock skew
 * warning) must be as native. */
static const struct prog make_now = {
        "make, files dated now",
        make_now_setup,
        {"sh", "-c", "make -j2 && cat all.txt", NULL},
        0,
};

static const struct prog xargs_p2 = {
        "xargs -P2",
        no_setup,
        {"sh", "-c",
         "printf '1\\n2\\n3\\n4\\n' | xargs -P2 -n1 sh -c 'echo $0 > out.$0' "
         "&& cat out.1 out.2 out.3 out.4",
         NULL},
        0,
};

/* Three appenders, each writing start and end under flock(1): the log
 * must show every pair together, whoever went first. */
static const struct prog flock_log = {
        "flock",
        no_setup,
        {"sh", "-c",
         "for i in 1 2 3; do flock lock sh -c \"echo start $i >> log; echo "
         "end $i >> log\" & done; wait; awk '{ if ($1 == \"start\") { if (o "
         "!= \"\") bad = 1; o = $2 } else { if (o != $2) bad = 1; o = \"\" } "
         "} END { print (bad ? \"interleaved\" : \"serialised\") }' log; "
         "sort log",
         NULL},
        0,
};

/* perl forks three children that write a file each and exit 1, 2, 3;
 * the parent reaps them all and prints what it saw. perl seeds its hash
 * and its rand() from /dev/urandom: under lockstep the run's bytes
 * (docs/programs.md), so the same seed gives the same trace. */
static const struct prog perl_fork = {
        "perl fork",
        no_setup,
        {"perl", "-e",
         "my @k; for my $i (1..3) { my $p = fork(); if ($p == 0) { "
         "open(my $f, '>', \"child.$i\") or die; print $f \"child $i\\n\"; "
         "close $f; exit $i } push @k, $p } my @s; for (@k) { waitpid($_, "
         "0); push @s, $? >> 8 } print 'statuses ', join(' ', sort @s), "
         "\"\\n\"; for (1..3) { open(my $f, '<', \"child.$_\") or die; "
         "print <$f> }",
         NULL},
        0,
};

/* No match: grep exits 1, and says nothing. */
static const struct prog grep_none = {
        "grep, no match",
        words_setup,
        {"grep", "zzz", "words.txt", NULL},
        1,
};

/* Messages on stderr, a child that fails, and main exiting 3. (Not a
 * pipeline: which of two children dash's wait(-1) reaps first is not
 * chosen by the schedule yet, issue 14 point 2.) */
static const struct prog sh_stderr = {
        "sh, stderr",
        words_setup,
        {"sh", "-c",
         "echo to stderr >&2; cat no-such-file words.txt; echo status $?; "
         "exit 3",
         NULL},
        3,
};

/* Where a test keeps its files: base, and base/w the program's. */
struct place {
	char *base, *work;
};

static void
place_make(struct place *p)
{
	char *tmp = getenv("TMPDIR");
	char tmpl[4096];

	snprintf(tmpl, sizeof(tmpl), "%s/lockstep-real-XXXXXX",
	         tmp != NULL && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(tmpl));
	p->base = strdup(tmpl);
	p->work = e2e_path(p->base, "w");
}

static void
place_free(struct place *p)
{
	e2e_rmtree(p->base);
	free(p->base);
	free(p->work);
}

/* A fresh base/w with the program's files in it. */
static void
fresh(const struct place *p, const struct prog *g)
{
	e2e_rmtree(p->work);
	assert_int_equal(mkdir(p->work, 0755), 0);
	g->setup(p->work);
}

/* base/name, malloc'd. */
static char *
at(const struct place *p, const char *name)
{
	return e2e_path(p->base, name);
}

/* Run the program natively in a fresh work directory. */
static void
run_native(struct e2e_result *r, const struct place *p, const struct prog *g)
{
	const char *argv[MAX_ARGS];
	size_t n = 0;

	fresh(p, g);
	/* Through sh, so argv[0] is found in PATH as lockstep finds it. */
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "exec \"$@\"";
	argv[n++] = "sh";
	for (size_t i = 0; g->argv[i] != NULL; i++)
		argv[n++] = g->argv[i];
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(r, SH, argv, NULL, p->work), 0);
}

/*
 * Run lockstep run -q OPTS... -- PROG in a fresh work directory. When
 * err_file is set, lockstep's stderr goes to that file (read back into
 * r->err) instead of a pipe.
 */
static void
run_lk(struct e2e_result *r, const struct place *p, const struct prog *g,
       const char *const opts[], const char *err_file)
{
	const char *argv[MAX_ARGS];
	size_t n = 0;

	fresh(p, g);
	if (err_file != NULL) {
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = "f=$1; shift; exec \"$@\" 2>\"$f\"";
		argv[n++] = "sh";
		argv[n++] = err_file;
	}
	argv[n++] = LOCKSTEP;
	argv[n++] = "run";
	argv[n++] = "-q";
	for (size_t i = 0; opts[i] != NULL; i++)
		argv[n++] = opts[i];
	argv[n++] = "--";
	for (size_t i = 0; g->argv[i] != NULL; i++)
		argv[n++] = g->argv[i];
	argv[n] = NULL;
	assert_true(n < MAX_ARGS);
	assert_int_equal(
	        e2e_spawn(r, err_file ? SH : LOCKSTEP, argv, NULL, p->work), 0);
	if (r->timed_out)
		fail_msg("%s: lockstep timed out", g->name);
	if (err_file != NULL) {
		free(r->err);
		r->err = e2e_read_file(err_file, &r->errlen);
		assert_non_null(r->err);
	}
}

/* A trace from its second line on (the header names the schedule file,
 * the seed and such), malloc'd. */
static char *
steps_of(const char *path)
{
	char *text = e2e_read_file(path, NULL), *nl, *steps;

	assert_non_null(text);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	steps = strdup(nl + 1);
	free(text);
	assert_true(strlen(steps) > 0);
	return steps;
}

/* Standard error under lockstep -q: the program's own, byte for byte,
 * then lockstep's verdict line(s), every one "lockstep: ...". */
static void
check_stderr(const struct prog *g, const char *native, const char *lk)
{
	size_t n = strlen(native);

	if (strncmp(lk, native, n) != 0)
		fail_msg("%s: stderr differs from native:\n--- native\n%s--- "
		         "lockstep\n%s",
		         g->name, native, lk);
	if (!e2e_lines_start_with(lk + n, "lockstep: "))
		fail_msg("%s: after the program's stderr, lines that are not "
		         "lockstep's:\n%s",
		         g->name, lk + n);
	/* A status is never a crash. */
	assert_null(strstr(lk + n, "crash"));
	assert_null(strstr(lk + n, "signal"));
}

/* The whole check of one program (see the top of the file). */
static void
check_program(const struct prog *g, const char *seed)
{
	struct place p;
	struct e2e_result n, r;
	char *trace[4], *sched, *errf, *steps[4];
	int want;

	place_make(&p);
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d.jsonl", i);
		trace[i] = at(&p, name);
	}
	sched = at(&p, "s.sched");
	errf = at(&p, "err.txt");

	run_native(&n, &p, g);
	if (n.status != g->native_status)
		fail_msg("%s: natively exit %d, expected %d: %s", g->name,
		         n.status, g->native_status, n.err);
	want = n.status == 0 ? 0 : 1;

	/* 1: seeded, stderr to a pipe, the schedule saved. */
	run_lk(&r, &p, g,
	       (const char *const[]){"--seed", seed, "--trace", trace[0],
	                             "--save-schedule", sched, NULL},
	       NULL);
	if (r.status != want)
		fail_msg("%s: lockstep exit %d, expected %d; stderr:\n%s",
		         g->name, r.status, want, r.err);
	if (strcmp(r.out, n.out) != 0)
		fail_msg("%s: stdout differs:\n--- native\n%s--- lockstep\n%s",
		         g->name, n.out, r.out);
	check_stderr(g, n.err, r.err);
	assert_int_equal(r.leftovers, 0);
	e2e_result_free(&r);

	/* 2: the same seed again. */
	run_lk(&r, &p, g,
	       (const char *const[]){"--seed", seed, "--trace", trace[1], NULL},
	       NULL);
	assert_int_equal(r.status, want);
	e2e_result_free(&r);

	/* 3: the same seed, lockstep's stderr to a file. */
	run_lk(&r, &p, g,
	       (const char *const[]){"--seed", seed, "--trace", trace[2], NULL},
	       errf);
	assert_int_equal(r.status, want);
	assert_string_equal(r.out, n.out);
	check_stderr(g, n.err, r.err);
	e2e_result_free(&r);

	/* 4: the saved schedule, strictly. */
	run_lk(&r, &p, g,
	       (const char *const[]){"--schedule", sched, "--strict", "--trace",
	                             trace[3], NULL},
	       NULL);
	if (r.status != want)
		fail_msg("%s: replay exit %d, expected %d; stderr:\n%s",
		         g->name, r.status, want, r.err);
	assert_string_equal(r.out, n.out);
	e2e_result_free(&r);

	for (int i = 0; i < 4; i++)
		steps[i] = steps_of(trace[i]);
	for (int i = 1; i < 4; i++)
		if (strcmp(steps[0], steps[i]) != 0)
			fail_msg("%s: trace %d differs from trace 0 (%s)",
			         g->name, i,
			         i == 1   ? "same seed"
			         : i == 2 ? "stderr to a file"
			                  : "replayed schedule");
	for (int i = 0; i < 4; i++) {
		free(steps[i]);
		free(trace[i]);
	}
	free(sched);
	free(errf);
	e2e_result_free(&n);
	place_free(&p);
}

static void
test_real_pipeline(void **state)
{
	(void)state;
	check_program(&pipeline, "3");
	check_program(&pipeline, "11");
}

static void
test_real_make_j2(void **state)
{
	(void)state;
	check_program(&make_j2, "3");
}

static void
test_real_xargs_p2(void **state)
{
	(void)state;
	check_program(&xargs_p2, "5");
}

static void
test_real_flock(void **state)
{
	(void)state;
	check_program(&flock_log, "2");
	check_program(&flock_log, "7");
}

static void
test_real_perl_fork(void **state)
{
	(void)state;
	check_program(&perl_fork, "4");
}

static void
test_real_grep_no_match(void **state)
{
	(void)state;
	check_program(&grep_none, "1");
}

static void
test_real_sh_stderr(void **state)
{
	(void)state;
	check_program(&sh_stderr, "1");
}

/* A relative path means the caller's directory, as natively. */
static void
test_real_cwd(void **state)
{
	static const struct prog cat = {
	        "cat", words_setup, {"cat", "words.txt", NULL}, 0};
	struct place p;
	struct e2e_result r;

	(void)state;
	place_make(&p);
	run_lk(&r, &p, &cat, (const char *const[]){NULL}, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "b\na\nb\nc\na\nb\n");
	e2e_result_free(&r);
	place_free(&p);
}

/* --expect-exit: grep's 1 is what was expected, or any status is. */
static void
test_real_expect_exit(void **state)
{
	struct place p;
	struct e2e_result r;

	(void)state;
	place_make(&p);
	run_lk(&r, &p, &grep_none,
	       (const char *const[]){"--expect-exit", "1", NULL}, NULL);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	run_lk(&r, &p, &grep_none,
	       (const char *const[]){"--expect-exit", "any", NULL}, NULL);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	run_lk(&r, &p, &pipeline,
	       (const char *const[]){"--expect-exit", "2", NULL}, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "exited with status 0 (expected 2"));
	e2e_result_free(&r);
	run_lk(&r, &p, &pipeline,
	       (const char *const[]){"--expect-exit", "256", NULL}, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--expect-exit '256'"));
	e2e_result_free(&r);
	place_free(&p);
}

/* A death by a signal is the crash, named; natively 128 + 11 here. */
static void
test_real_crash_named(void **state)
{
	static const struct prog segv = {
	        "kill -SEGV",
	        no_setup,
	        {"sh", "-c", "echo x; kill -SEGV $$", NULL},
	        128 + 11};
	struct place p;
	struct e2e_result n, r;

	(void)state;
	place_make(&p);
	run_native(&n, &p, &segv);
	assert_int_equal(n.status, segv.native_status);
	run_lk(&r, &p, &segv, (const char *const[]){NULL}, NULL);
	assert_int_equal(r.status, 4);
	assert_string_equal(r.out, "x\n");
	assert_non_null(strstr(r.err, "lockstep: main was killed by signal "
	                              "11 (SIGSEGV: "));
	assert_null(strstr(r.err, "signal 0"));
	e2e_result_free(&n);
	e2e_result_free(&r);
	place_free(&p);
}

/* --trace -: stdout carries the JSON Lines and nothing else; the
 * program's output and lockstep's report go to stderr. */
static void
test_real_trace_stdout(void **state)
{
	static const struct prog both = {
	        "out and err",
	        no_setup,
	        {"sh", "-c", "echo to-out; echo to-err >&2", NULL},
	        0};
	const char *const quiet[] = {"--trace", "-", NULL};
	struct place p;
	struct e2e_result r;

	(void)state;
	place_make(&p);
	for (int q = 0; q < 2; q++) {
		const char *const full[] = {"--trace", "-", "--color", "always",
		                            NULL};

		/* run_lk passes -q; the full report is the same but for
		 * -q, so run it by hand. */
		if (q == 0) {
			run_lk(&r, &p, &both, quiet, NULL);
		} else {
			const char *argv[MAX_ARGS];
			size_t n = 0;

			fresh(&p, &both);
			argv[n++] = LOCKSTEP;
			argv[n++] = "run";
			for (size_t i = 0; full[i] != NULL; i++)
				argv[n++] = full[i];
			argv[n++] = "--";
			for (size_t i = 0; both.argv[i] != NULL; i++)
				argv[n++] = both.argv[i];
			argv[n] = NULL;
			assert_int_equal(
			        e2e_spawn(&r, LOCKSTEP, argv, NULL, p.work), 0);
		}
		assert_int_equal(r.status, 0);
		assert_true(e2e_lines_start_with(r.out, "{\""));
		assert_null(strstr(r.out, "to-out\n"));
		assert_non_null(strstr(r.out, "\"lockstep_trace\":1"));
		assert_non_null(strstr(r.err, q ? "| to-out" : "to-out\n"));
		assert_non_null(strstr(r.err, q ? "| to-err" : "to-err\n"));
		e2e_result_free(&r);
	}
	place_free(&p);
}

/* make on a Makefile just written: no "modification time in the future"
 * nor "clock skew" under lockstep, its output as native. */
static void
test_real_make_now(void **state)
{
	(void)state;
	check_program(&make_now, "3");
}

/*
 * A program whose output natively depends on the kernel's randomness:
 * run it twice under lockstep with seed, the same output and the same
 * trace bytes (header aside), exit 0; returns the output, malloc'd.
 */
static char *
same_twice(const struct prog *g, const char *seed)
{
	struct place p;
	struct e2e_result r;
	char *trace[2], *steps[2], *out = NULL;

	place_make(&p);
	trace[0] = at(&p, "t0.jsonl");
	trace[1] = at(&p, "t1.jsonl");
	for (int i = 0; i < 2; i++) {
		run_lk(&r, &p, g,
		       (const char *const[]){"--seed", seed, "--trace",
		                             trace[i], NULL},
		       NULL);
		if (r.status != 0)
			fail_msg("%s: lockstep exit %d: %s", g->name, r.status,
			         r.err);
		if (out == NULL)
			out = strdup(r.out);
		else if (strcmp(out, r.out) != 0)
			fail_msg("%s: seed %s, another output:\n%s---\n%s",
			         g->name, seed, out, r.out);
		e2e_result_free(&r);
		steps[i] = steps_of(trace[i]);
	}
	if (strcmp(steps[0], steps[1]) != 0)
		fail_msg("%s: seed %s, the traces differ", g->name, seed);
	for (int i = 0; i < 2; i++) {
		free(steps[i]);
		free(trace[i]);
	}
	place_free(&p);
	return out;
}

/* python3 seeds its string hashes from getrandom(2): a set's order
 * differs from run to run natively, never with the same seed. Debian's
 * python3, not a PATH shim (pyenv's is a shell script). */
static void
test_real_python_set(void **state)
{
	static const struct prog py = {
	        "python3 set",
	        no_setup,
	        {"/usr/bin/python3", "-c",
	         "import os; print({'alpha', 'beta', 'gamma', 'delta', "
	         "'epsilon', 'zeta'}); print(os.urandom(8).hex())",
	         NULL},
	        0};
	char *a, *b;

	(void)state;
	a = same_twice(&py, "6");
	b = same_twice(&py, "7");
	assert_non_null(strstr(a, "'epsilon'"));
	/* os.urandom: 8 bytes from the seed, others for another. */
	assert_string_not_equal(strchr(a, '\n'), strchr(b, '\n'));
	free(a);
	free(b);
}

/* perl's hash order and rand() come from /dev/urandom, without
 * PERL_HASH_SEED or PERL_INTERNAL_RAND_SEED. */
static void
test_real_perl_hash(void **state)
{
	static const struct prog pl = {
	        "perl hash",
	        no_setup,
	        {"perl", "-e",
	         "my %h = map { $_ => 1 } qw(a b c d e f g h); print join(',', "
	         "keys %h), ' ', int(rand(1000000)), \"\\n\"",
	         NULL},
	        0};

	(void)state;
	free(same_twice(&pl, "6"));
}

/* explore: two writers to stderr in either order are two outcomes; a
 * run whose main exits non-zero is a failure, with a saved schedule. */
static void
test_real_explore_stderr(void **state)
{
	static const struct prog two = {
	        "two errors",
	        no_setup,
	        {"sh", "-c", "echo a >&2 & echo b >&2; wait; exit 2", NULL},
	        2};
	struct place p;
	struct e2e_result r;
	json_t *j, *outs;
	json_error_t jerr;
	char *sched;
	const char *argv[16];
	size_t n = 0;

	(void)state;
	place_make(&p);
	fresh(&p, &two);
	sched = at(&p, "fail.sched");
	argv[n++] = LOCKSTEP;
	argv[n++] = "explore";
	argv[n++] = "--json";
	argv[n++] = "-q";
	argv[n++] = "--save-schedule";
	argv[n++] = sched;
	argv[n++] = "--";
	for (size_t i = 0; two.argv[i] != NULL; i++)
		argv[n++] = two.argv[i];
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(&r, LOCKSTEP, argv, NULL, p.work), 0);
	assert_int_equal(r.status, 1);
	j = json_loads(r.out, 0, &jerr);
	assert_non_null(j);
	outs = json_object_get(j, "outcomes");
	assert_true(json_array_size(outs) >= 2);
	for (size_t i = 0; i < json_array_size(outs); i++) {
		const char *o = json_string_value(
		        json_object_get(json_array_get(outs, i), "outcome"));

		assert_non_null(o);
		assert_true(strstr(o, "stderr:\na\nb\n") != NULL ||
		            strstr(o, "stderr:\nb\na\n") != NULL);
		assert_null(strstr(o, "crash"));
	}
	assert_true(json_array_size(json_object_get(j, "failures")) >= 1);
	json_decref(j);
	e2e_result_free(&r);
	/* The failing schedule replays to the same failure: exit 1. */
	run_lk(&r, &p, &two,
	       (const char *const[]){"--schedule", sched, "--strict", NULL},
	       NULL);
	if (r.status != 1)
		fail_msg("replay of the failure: exit %d: %s", r.status, r.err);
	assert_non_null(strstr(r.err, "exited with status 2 (expected 0"));
	e2e_result_free(&r);
	place_free(&p);
	free(sched);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_real_cwd),
	        cmocka_unit_test(test_real_pipeline),
	        cmocka_unit_test(test_real_grep_no_match),
	        cmocka_unit_test(test_real_sh_stderr),
	        cmocka_unit_test(test_real_expect_exit),
	        cmocka_unit_test(test_real_trace_stdout),
	        cmocka_unit_test(test_real_crash_named),
	        cmocka_unit_test(test_real_make_j2),
	        cmocka_unit_test(test_real_xargs_p2),
	        cmocka_unit_test(test_real_flock),
	        cmocka_unit_test(test_real_perl_fork),
	        cmocka_unit_test(test_real_make_now),
	        cmocka_unit_test(test_real_python_set),
	        cmocka_unit_test(test_real_perl_hash),
	        cmocka_unit_test(test_real_explore_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
