/*
 * The command line's conventions, through the real lockstep: GNU-style
 * messages with a "did you mean", help, files named by the reason they
 * cannot be read, every output checked before a run starts, options a
 * strategy does not read refused, --color and NO_COLOR, and schedules
 * that replay from another directory and from a moved checkout. Each case
 * checks the message and the exit status.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"
#include "e2e.h"

#define RENDEZVOUS "scenarios/rendezvous.xml"
#define LOCKSTEP   LK_BUILD_DIR "/lockstep"

struct fixture {
	char *dir;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->dir = e2e_tempdir()) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	e2e_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* lockstep ARGS... (from the source directory) must exit with status
 * and print exactly err on stderr (NULL: anything), nothing on stdout
 * when status is 2. */
static void
expect(int status, const char *err, const char *const args[])
{
	struct e2e_result r;

	assert_int_equal(e2e_lockstep(&r, args), 0);
	if (r.status != status || (err != NULL && strcmp(r.err, err) != 0) ||
	    (status == 2 && r.outlen != 0)) {
		char line[512] = "lockstep";

		for (size_t a = 0; args[a] != NULL; a++)
			snprintf(line + strlen(line),
			         sizeof(line) - strlen(line), " %s", args[a]);
		print_error("%s: exit %d, expected %d; stderr:\n%s\nexpected "
		            "stderr:\n%s\nstdout:\n%s\n",
		            line, r.status, status, r.err, err ? err : "(any)",
		            r.out);
		e2e_result_free(&r);
		fail();
	}
	e2e_result_free(&r);
}

#define EXPECT(status, err, ...)                                               \
	expect((status), (err), (const char *const[]){__VA_ARGS__, NULL})

#define TRY(cmd) "Try 'lockstep " cmd "--help' for more information.\n"

/* The nearest word, or none when none is near or two are as near. */
static void
test_cli_suggest(void **state)
{
	static const char cmds[] =
	        "run replay explore render export merge check help";
	char buf[32];

	(void)state;
	assert_string_equal(lk_cli_suggest("rnu", cmds, buf, sizeof(buf)),
	                    "run");
	assert_string_equal(lk_cli_suggest("replya", cmds, buf, sizeof(buf)),
	                    "replay");
	assert_string_equal(
	        lk_cli_suggest("exp", "explore render", buf, sizeof(buf)),
	        "explore");
	assert_string_equal(
	        lk_cli_suggest("stratgy", "strategy seed", buf, sizeof(buf)),
	        "strategy");
	assert_string_equal(lk_cli_suggest("rnadom", "default random pct", buf,
	                                   sizeof(buf)),
	                    "random");
	assert_string_equal(
	        lk_cli_suggest("sede", "seed seed strategy", buf, sizeof(buf)),
	        "seed");
	/* Too far, two prefixes, a tie, the word itself, too short. */
	assert_null(lk_cli_suggest("frobnicate", cmds, buf, sizeof(buf)));
	assert_null(lk_cli_suggest("ex", cmds, buf, sizeof(buf)));
	assert_null(lk_cli_suggest("cat", "bat hat", buf, sizeof(buf)));
	assert_null(lk_cli_suggest("run", cmds, buf, sizeof(buf)));
	assert_null(lk_cli_suggest("x", "y z", buf, sizeof(buf)));
	assert_null(lk_cli_suggest("", cmds, buf, sizeof(buf)));
}

/* GNU's messages for options and commands, with "did you mean". */
static void
test_cli_gnu_messages(void **state)
{
	(void)state;
	EXPECT(2, "lockstep: unrecognized option '--bogus'\n" TRY(""),
	       "--bogus");
	EXPECT(2,
	       "lockstep: unrecognized option '--verison'; did you mean "
	       "'--version'?\n" TRY(""),
	       "--verison");
	EXPECT(2, "lockstep: invalid option -- 'x'\n" TRY(""), "-x");
	EXPECT(2,
	       "lockstep: 'rnu' is not a command; did you mean 'run'?\n" TRY(
	               ""),
	       "rnu");
	EXPECT(2, "lockstep: 'frobnicate' is not a command\n" TRY(""),
	       "frobnicate");
	EXPECT(2, "lockstep: run: unrecognized option '--bogus'\n" TRY("run "),
	       "run", "--bogus", RENDEZVOUS);
	EXPECT(2,
	       "lockstep: run: unrecognized option '--stratgy'; did you "
	       "mean '--strategy'?\n" TRY("run "),
	       "run", RENDEZVOUS, "--stratgy", "random");
	EXPECT(2,
	       "lockstep: explore: --strategy 'rnadom': expected dfs, random "
	       "or pct; did you mean 'random'?\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--strategy", "rnadom");
	EXPECT(2,
	       "lockstep: render: unrecognized option '--tilte'; did you "
	       "mean '--title'?\n" TRY("render "),
	       "render", "t.jsonl", "--tilte", "x", "-o", "x.svg");
	EXPECT(2,
	       "lockstep: render: --theme 'drak': expected light, dark or "
	       "print; did you mean 'dark'?\n" TRY("render "),
	       "render", "t.jsonl", "--theme", "drak", "-o", "x.svg");
	EXPECT(2, "lockstep: export: invalid option -- 'x'\n" TRY("export "),
	       "export", "t.jsonl", "-x");
	EXPECT(2,
	       "lockstep: check: unrecognized option '--bogus'\n" TRY("check "),
	       "check", RENDEZVOUS, "--bogus");
	EXPECT(2,
	       "lockstep: merge: unrecognized option '--hlep'; did you mean "
	       "'--help'?\n" TRY("merge "),
	       "merge", "a.json", "--hlep");
	EXPECT(2, "lockstep: run: option '--seed' needs a value\n" TRY("run "),
	       "run", RENDEZVOUS, "--seed");
}

/* help help is help's own; help takes one command at most. */
static void
test_cli_help(void **state)
{
	struct e2e_result r;

	(void)state;
	assert_int_equal(E2E_LOCKSTEP(&r, "help", "help"), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(strncmp(r.out, "usage: lockstep help", 20), 0);
	e2e_result_free(&r);
	assert_int_equal(E2E_LOCKSTEP(&r, "help", "explore"), 0);
	assert_int_equal(r.status, 0);
	/* The strategies column of the table makes the prefixes. */
	assert_non_null(strstr(r.out, "--runs N             random, pct: how "
	                              "many runs"));
	assert_non_null(strstr(r.out, "--max-runs N         dfs: stop"));
	assert_non_null(strstr(r.out, "--color WHEN"));
	e2e_result_free(&r);
	EXPECT(2,
	       "lockstep: help: one command at most, not 'extra' "
	       "too\n" TRY("help "),
	       "help", "run", "extra");
	EXPECT(2,
	       "lockstep: help: 'rnu' is not a command; did you mean "
	       "'run'?\n" TRY(""),
	       "help", "rnu");
}

/* An option the chosen strategy does not read is refused, saying why;
 * nothing runs. */
static void
test_cli_strategy_options(void **state)
{
	(void)state;
	EXPECT(2,
	       "lockstep: explore: --runs is for the random and pct "
	       "strategies, not dfs (the default): it would be "
	       "ignored\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--runs", "5");
	EXPECT(2,
	       "lockstep: explore: --max-runs is for the dfs strategy, not "
	       "random: it would be ignored\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--strategy", "random", "--max-runs",
	       "5");
	EXPECT(2,
	       "lockstep: explore: --depth is for the pct strategy, not "
	       "random: it would be ignored\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--strategy", "random", "--depth", "2");
	EXPECT(2,
	       "lockstep: explore: --shard is for the random and pct "
	       "strategies, not dfs (the default): it would be "
	       "ignored\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--shard", "1/2");
	EXPECT(2,
	       "lockstep: run: --seed is for the random and pct strategies, "
	       "not default: it would be ignored\n" TRY("run "),
	       "run", RENDEZVOUS, "--strategy", "default", "--seed", "3");
	/* Options only a program's runs read. */
	EXPECT(2,
	       "lockstep: --expect-exit is for a program, not a scenario: "
	       "lockstep run [options] --expect-exit -- PROGRAM\n",
	       "run", RENDEZVOUS, "--expect-exit", "3");
	EXPECT(2,
	       "lockstep: --track-shm is for a program, not a scenario: "
	       "lockstep explore [options] --track-shm -- PROGRAM\n",
	       "explore", RENDEZVOUS, "--track-shm");
	/* Taken where the strategy reads them. */
	EXPECT(0, NULL, "explore", RENDEZVOUS, "-q", "--strategy", "pct",
	       "--runs", "3", "--depth", "2", "--seed", "4");
	EXPECT(0, NULL, "run", RENDEZVOUS, "-q", "--strategy", "pct", "--seed",
	       "4");
}

/* Every file a user names: the path and the reason, never a line. */
static void
test_cli_unreadable_inputs(void **state)
{
	struct fixture *f = *state;
	char *fifo = e2e_path(f->dir, "fifo");
	char want[512];

	assert_int_equal(mkfifo(fifo, 0600), 0);
	EXPECT(2, "lockstep: /tmp: is a directory; expected a schedule file\n",
	       "replay", "/tmp");
	EXPECT(2,
	       "lockstep: /tmp: is a directory; expected a trace file (JSON "
	       "Lines)\n",
	       "render", "/tmp", "-o", "/tmp/cliargs-never.svg");
	EXPECT(2, "lockstep: nosuch.json: no such file\n", "merge",
	       "nosuch.json");
	EXPECT(2, "lockstep: nosuch.xml: no such file\n", "run", "nosuch.xml");
	snprintf(want, sizeof(want),
	         "lockstep: %s: is a directory; expected a scenario file\n",
	         f->dir);
	EXPECT(2, want, "check", f->dir);
	snprintf(want, sizeof(want),
	         "lockstep: %s: is a FIFO; expected a trace file (JSON "
	         "Lines)\n",
	         fifo);
	EXPECT(2, want, "export", fifo, "--shiviz", "/tmp/cliargs-never.log");
	EXPECT(2,
	       "lockstep: scenarios/rendezvous.xml/x: no such file (a part of "
	       "the path is not a directory)\n",
	       "replay", "scenarios/rendezvous.xml/x");
	assert_int_equal(access("/tmp/cliargs-never.svg", F_OK), -1);
	free(fifo);
}

/* Outputs are checked before the run: a bad one is exit 2 at once, with
 * nothing run and nothing written. */
static void
test_cli_outputs_checked_first(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "t.jsonl");
	char *svg = e2e_path(f->dir, "noext");
	char *drawn = e2e_path(f->dir, "x.svg");
	char *frames = e2e_path(f->dir, "slides");
	char *frames_slash = e2e_path(f->dir, "slides/");
	char *first_frame = e2e_path(f->dir, "slides/frame-0001.svg");
	char want[512];

	EXPECT(0, NULL, "run", RENDEZVOUS, "-q", "--trace", trace);
	snprintf(want, sizeof(want),
	         "lockstep: run: --diagram %s: no format in the name: it must "
	         "end in .svg, .png, .pdf, .dot, .gv or .html\n",
	         svg);
	EXPECT(2, want, "run", RENDEZVOUS, "--diagram", svg);
	EXPECT(2,
	       "lockstep: run: --diagram /nonexistent/x.svg: no directory "
	       "/nonexistent\n",
	       "run", RENDEZVOUS, "--diagram", "/nonexistent/x.svg");
	EXPECT(2,
	       "lockstep: replay: --trace /nonexistent/t: no directory "
	       "/nonexistent\n",
	       "replay", "x.sched", "--trace", "/nonexistent/t");
	EXPECT(2,
	       "lockstep: run: --save-schedule /tmp: is a directory; "
	       "expected a file to write\n",
	       "run", RENDEZVOUS, "--save-schedule", "/tmp");
	EXPECT(2,
	       "lockstep: explore: --save-dir /etc/passwd: exists and is not "
	       "a directory\n",
	       "explore", RENDEZVOUS, "--save-dir", "/etc/passwd");
	EXPECT(2,
	       "lockstep: explore: --save-schedule /nonexistent/x.sched: no "
	       "directory /nonexistent\n",
	       "explore", RENDEZVOUS, "--save-schedule",
	       "/nonexistent/x.sched");
	EXPECT(2,
	       "lockstep: render: -o /nonexistent/x.svg: no directory "
	       "/nonexistent\n",
	       "render", trace, "-o", "/nonexistent/x.svg");
	EXPECT(2,
	       "lockstep: export: --perfetto /nonexistent/p.json: no "
	       "directory /nonexistent\n",
	       "export", trace, "--perfetto", "/nonexistent/p.json");
	/* The trace of rendezvous has 15 steps, 0 to 14. */
	snprintf(want, sizeof(want),
	         "lockstep: render: --from 500 is past the last step of %s, "
	         "step 14\n",
	         trace);
	EXPECT(2, want, "render", trace, "--from", "500", "-o", drawn);
	EXPECT(2, "lockstep: render: --from 9 is after --to 3\n", "render",
	       trace, "--from", "9", "--to", "3", "-o", "x.svg");
	/* A directory named with a trailing slash (docs/diagrams.md's
	 * "--frames slides/"): made when its parent is there, refused
	 * naming the parent when not. */
	EXPECT(2,
	       "lockstep: render: --frames /nonexistent/f/: no directory "
	       "/nonexistent\n",
	       "render", trace, "--frames", "/nonexistent/f/");
	assert_int_equal(access(frames, F_OK), -1);
	EXPECT(0, NULL, "render", trace, "--frames", frames_slash);
	assert_int_equal(access(first_frame, F_OK), 0);
	assert_int_equal(access(svg, F_OK), -1);
	assert_int_equal(access(drawn, F_OK), -1);
	free(first_frame);
	free(frames_slash);
	free(frames);
	free(drawn);
	free(svg);
	free(trace);
}

/* --color always/never/auto and NO_COLOR, decided in one place; explore
 * takes --color too. */
static void
test_cli_color(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), tty;
	struct e2e_result r;

	(void)state;
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	tty = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(tty >= 0);
	unsetenv("NO_COLOR");
	assert_int_equal(lk_cli_use_color(NULL, tty), 1);
	assert_int_equal(lk_cli_use_color("auto", tty), 1);
	assert_int_equal(lk_cli_use_color("never", tty), 0);
	assert_int_equal(lk_cli_use_color("auto", STDIN_FILENO) &&
	                         !isatty(STDIN_FILENO),
	                 0);
	/* no-color.org: set and not empty, no colour unless always. */
	setenv("NO_COLOR", "", 1);
	assert_int_equal(lk_cli_use_color("auto", tty), 1);
	setenv("NO_COLOR", "1", 1);
	assert_int_equal(lk_cli_use_color("auto", tty), 0);
	assert_int_equal(lk_cli_use_color(NULL, tty), 0);
	assert_int_equal(lk_cli_use_color("always", tty), 1);
	unsetenv("NO_COLOR");
	close(tty);
	close(master);
	/* Through lockstep: explore --color always colours its verdicts,
	 * never and a pipe (auto) do not. */
	assert_int_equal(E2E_LOCKSTEP(&r, "explore", RENDEZVOUS, "-q",
	                              "--color", "always"),
	                 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\033[32mok\033[0m"));
	e2e_result_free(&r);
	assert_int_equal(E2E_LOCKSTEP(&r, "explore", RENDEZVOUS, "-q"), 0);
	assert_int_equal(r.status, 0);
	assert_null(strchr(r.out, '\033'));
	e2e_result_free(&r);
	assert_int_equal(
	        E2E_LOCKSTEP(&r, "run", RENDEZVOUS, "--color", "always"), 0);
	assert_non_null(strchr(r.out, '\033'));
	e2e_result_free(&r);
	EXPECT(2,
	       "lockstep: explore: --color 'sometimes': expected auto, always "
	       "or never\n" TRY("explore "),
	       "explore", RENDEZVOUS, "--color", "sometimes");
}

/* Run path with args from directory cwd: lockstep's exit status, its
 * stderr into err (malloc'd) when not NULL. */
static int
lockstep_in(const char *cwd, const char *const args[], char **err)
{
	const char *argv[16] = {"lockstep"};
	struct e2e_result r;
	int status;
	size_t n = 1;

	for (; args[n - 1] != NULL && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(&r, LOCKSTEP, argv, NULL, cwd), 0);
	status = r.status;
	if (status != 0 && err == NULL)
		print_error("lockstep in %s: exit %d:\n%s\n", cwd, status,
		            r.err);
	if (err != NULL)
		*err = strdup(r.err);
	e2e_result_free(&r);
	return status;
}

#define LOCKSTEP_IN(cwd, err, ...)                                             \
	lockstep_in((cwd), (const char *const[]){__VA_ARGS__, NULL}, (err))

/* A schedule names its scenario relative to itself and absolutely:
 * replay works from another directory, from a moved checkout (the
 * relative path), with the schedule alone moved (the absolute one), and
 * says both paths when neither is there. Old schedules still replay. */
static void
test_cli_schedule_paths(void **state)
{
	struct fixture *f = *state;
	char *co = e2e_path(f->dir, "checkout"), *moved = e2e_path(f->dir, "m");
	char *sc = e2e_path(co, "scenarios"), *out = e2e_path(co, "out");
	char *xml, *sched, *text, *abs, *err = NULL, *old;
	char cmd[4096], want[2048];
	FILE *fp;

	assert_int_equal(mkdir(co, 0755), 0);
	assert_int_equal(mkdir(sc, 0755), 0);
	assert_int_equal(mkdir(out, 0755), 0);
	snprintf(cmd, sizeof(cmd), "cp %s/%s %s/", LK_SOURCE_DIR, RENDEZVOUS,
	         sc);
	assert_int_equal(system(cmd), 0);
	xml = e2e_path(sc, "rendezvous.xml");
	abs = realpath(xml, NULL);
	assert_non_null(abs);
	assert_int_equal(LOCKSTEP_IN(co, NULL, "run",
	                             "scenarios/rendezvous.xml", "-q", "--seed",
	                             "3", "--save-schedule", "out/r.sched"),
	                 0);
	sched = e2e_path(out, "r.sched");
	text = e2e_read_file(sched, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nscenario: ../scenarios/rendezvous.xml\n"
	                             "scenario-absolute: "));
	snprintf(want, sizeof(want), "scenario-absolute: %s\n", abs);
	assert_non_null(strstr(text, want));
	/* From another directory: "/", and the schedule's own. */
	assert_int_equal(LOCKSTEP_IN("/", NULL, "replay", sched, "-q"), 0);
	assert_int_equal(LOCKSTEP_IN(out, NULL, "replay", "r.sched", "-q"), 0);
	/* The checkout moved: the relative path finds it. */
	assert_int_equal(rename(co, moved), 0);
	free(sched);
	sched = e2e_path(moved, "out/r.sched");
	assert_int_equal(LOCKSTEP_IN("/", NULL, "replay", sched, "-q"), 0);
	/* Moved back but the schedule alone elsewhere: the absolute. */
	assert_int_equal(rename(moved, co), 0);
	snprintf(cmd, sizeof(cmd), "cp %s/out/r.sched %s/alone.sched", co,
	         f->dir);
	assert_int_equal(system(cmd), 0);
	free(sched);
	sched = e2e_path(f->dir, "alone.sched");
	assert_int_equal(LOCKSTEP_IN("/", NULL, "replay", sched, "-q"), 0);
	/* Neither: both paths said, exit 2. */
	assert_int_equal(rename(co, moved), 0);
	assert_int_equal(LOCKSTEP_IN("/", &err, "replay", sched), 2);
	snprintf(want, sizeof(want),
	         "lockstep: %s: no scenario at either path it gives: "
	         "%s/../scenarios/rendezvous.xml ('scenario: "
	         "../scenarios/rendezvous.xml', from the schedule's "
	         "directory) or %s ('scenario-absolute:')\n",
	         sched, f->dir, abs);
	if (strcmp(err, want) != 0)
		print_error("got:\n%sexpected:\n%s", err, want);
	assert_string_equal(err, want);
	free(err);
	assert_int_equal(rename(moved, co), 0);
	/* An old schedule: scenario: only, relative to it. */
	old = e2e_path(out, "old.sched");
	fp = fopen(old, "w");
	assert_non_null(fp);
	for (char *l = text; *l != '\0';) {
		size_t n = strcspn(l, "\n");

		if (strncmp(l, "scenario-absolute:", 18) != 0)
			fprintf(fp, "%.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(LOCKSTEP_IN("/", NULL, "replay", old, "-q"), 0);
	free(old);
	free(text);
	free(sched);
	free(abs);
	free(xml);
	free(sc);
	free(out);
	free(co);
	free(moved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cli_suggest),
	        cmocka_unit_test(test_cli_gnu_messages),
	        cmocka_unit_test(test_cli_help),
	        cmocka_unit_test(test_cli_strategy_options),
	        cmocka_unit_test_setup_teardown(test_cli_unreadable_inputs,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cli_outputs_checked_first,
	                                        setup, teardown),
	        cmocka_unit_test(test_cli_color),
	        cmocka_unit_test_setup_teardown(test_cli_schedule_paths, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests_name("e2e_cli", tests, NULL, NULL);
}
