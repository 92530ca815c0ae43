/*
 * File-system names and the copy-on-write view of the files: a
 * check-then-create race on a file name is found by explore and reported
 * as a race on the name, with the calls labelled in the diagram; explore
 * -- PROGRAM and run --sandbox leave the user's files byte for byte as
 * they were, every run starting from the same ones; run without
 * --sandbox writes for real, as the program does natively.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
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

#include "../e2e/e2e.h"

#define LOCKSTEP LK_BUILD_DIR "/lockstep"

/* Append to the malloc'd string *s. */
static void
cat(char **s, const char *fmt, ...)
{
	size_t have = *s ? strlen(*s) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*s = realloc(*s, have + (size_t)n + 1);
	assert_non_null(*s);
	va_start(ap, fmt);
	vsnprintf(*s + have, (size_t)n + 1, fmt, ap);
	va_end(ap);
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Append every entry under dir (sorted): its path, mode, size and, for
 * a file, an FNV-1a hash of its bytes. */
static void
snapshot_into(char **s, const char *dir, const char *rel)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, by_name);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path, sub[1024];
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			free(ents[i]);
			continue;
		}
		path = e2e_path(dir, name);
		snprintf(sub, sizeof(sub), "%s/%s", rel, name);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISREG(st.st_mode)) {
			size_t len;
			char *data = e2e_read_file(path, &len);
			uint64_t h = 1469598103934665603ull;

			assert_non_null(data);
			for (size_t k = 0; k < len; k++)
				h = (h ^ (unsigned char)data[k]) *
				    1099511628211ull;
			free(data);
			cat(s, "%s %o %lld %016llx\n", sub, st.st_mode,
			    (long long)st.st_size, (unsigned long long)h);
		} else {
			cat(s, "%s %o\n", sub, st.st_mode);
		}
		if (S_ISDIR(st.st_mode))
			snapshot_into(s, path, sub);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

/* What dir holds, as text (malloc'd). */
static char *
snapshot(const char *dir)
{
	char *s = NULL;

	cat(&s, "");
	snapshot_into(&s, dir, ".");
	return s;
}

/* Write text to dir/name. */
static void
put(const char *dir, const char *name, const char *text)
{
	char *path = e2e_path(dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(path);
}

/* Skip when this machine cannot give a run a view of its own. */
static int
isolation_available(void)
{
	struct e2e_result r;
	int ok;

	E2E_LOCKSTEP(&r, "run", "-q", "--sandbox", "--", "/bin/true");
	ok = r.status == 0 && strstr(r.err, "cannot isolate") == NULL;
	e2e_result_free(&r);
	return ok;
}

/* A directory with the writer's files: data.txt of one line, and
 * data.txt.old, which the writer removes. */
static char *
writer_dir(void)
{
	char *dir = e2e_tempdir();

	assert_non_null(dir);
	put(dir, "data.txt", "initial\n");
	put(dir, "data.txt.old", "old\n");
	return dir;
}

/* explore finds the interleaving where both enter, and reports the
 * lookup and the creation as a race on the name. */
static void
test_fsiso_check_then_create(void **state)
{
	struct e2e_result r;
	json_t *j, *races, *race;
	size_t i;
	int both = 0, found = 0;

	(void)state;
	E2E_LOCKSTEP(&r, "explore", "--json", "--", FS_RACE);
	if (r.status != 0)
		fail_msg("explore: exit %d: %s", r.status, r.err);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "complete")));
	json_array_foreach(json_object_get(j, "outcomes"), i, race)
	{
		const char *o =
		        json_string_value(json_object_get(race, "outcome"));

		if (strstr(o, "parent entered") && strstr(o, "child entered"))
			both = 1;
	}
	assert_true(both);
	races = json_object_get(j, "races");
	json_array_foreach(races, i, race)
	{
		const char *a = json_string_value(
		        json_object_get(json_object_get(race, "first"), "op"));
		const char *b = json_string_value(
		        json_object_get(json_object_get(race, "second"), "op"));

		if (strcmp(json_string_value(json_object_get(race, "object")),
		           "./fs_race.lock") == 0 &&
		    strcmp(a, "access") == 0 && strcmp(b, "open") == 0)
			found = 1;
	}
	assert_true(found);
	json_decref(j);
	e2e_result_free(&r);
}

/* The trace names the calls and the name; the diagram labels them. */
static void
test_fsiso_name_events(void **state)
{
	char *dir = e2e_tempdir(), *tp = e2e_path(dir, "t.jsonl"),
	     *dot = e2e_path(dir, "d.dot"), *text;
	struct e2e_result r;
	json_t *tr;
	int access = 0, open = 0, unlink = 0;

	(void)state;
	E2E_LOCKSTEP(&r, "run", "-q", "--sandbox", "--trace", tp, "--diagram",
	             dot, "--", FS_RACE);
	assert_int_equal(r.status, 0);
	tr = e2e_trace_load(tp);
	assert_non_null(tr);
	for (size_t i = 1; i < json_array_size(tr); i++) {
		json_t *e = json_array_get(tr, i);
		const char *op = json_string_value(json_object_get(e, "op"));
		const char *obj = json_string_value(json_object_get(e, "obj"));

		if (obj == NULL || strcmp(obj, "./fs_race.lock") != 0)
			continue;
		access += strcmp(op, "access") == 0;
		open += strcmp(op, "open") == 0;
		unlink += strcmp(op, "unlink") == 0;
	}
	assert_int_equal(access, 2);
	assert_int_equal(open, 1);
	assert_int_equal(unlink, 1);
	text = e2e_read_file(dot, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "access ./fs_race.lock: no such file"));
	assert_non_null(strstr(text, "open ./fs_race.lock"));
	free(text);
	json_decref(tr);
	e2e_result_free(&r);
	free(tp);
	free(dot);
	e2e_rmtree(dir);
	free(dir);
}

/* explore: the files are as they were, and every run saw the same ones
 * (one outcome over several runs). */
static void
test_fsiso_explore_untouched(void **state)
{
	char *dir, *file, *before, *after;
	struct e2e_result r;
	json_t *j, *outcomes;

	(void)state;
	if (!isolation_available())
		skip();
	dir = writer_dir();
	file = e2e_path(dir, "data.txt");
	before = snapshot(dir);
	E2E_LOCKSTEP(&r, "explore", "--json", "--", FS_WRITER, file);
	if (r.status != 0)
		fail_msg("explore: exit %d: %s", r.status, r.err);
	assert_null(strstr(r.err, "cannot isolate"));
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "runs")) >= 2);
	outcomes = json_object_get(j, "outcomes");
	assert_int_equal(json_array_size(outcomes), 1);
	assert_non_null(strstr(json_string_value(json_object_get(
	                               json_array_get(outcomes, 0), "outcome")),
	                       "start 1\nend 3\n"));
	after = snapshot(dir);
	assert_string_equal(before, after);
	json_decref(j);
	e2e_result_free(&r);
	free(before);
	free(after);
	free(file);
	e2e_rmtree(dir);
	free(dir);
}

/* run --sandbox: the same; run: the files change, as natively. */
static void
test_fsiso_run_sandbox(void **state)
{
	char *dir, *file, *before, *after, *data;
	struct e2e_result r;

	(void)state;
	if (!isolation_available())
		skip();
	dir = writer_dir();
	file = e2e_path(dir, "data.txt");
	before = snapshot(dir);
	for (int i = 0; i < 2; i++) {
		E2E_LOCKSTEP(&r, "run", "--sandbox", "--", FS_WRITER, file);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "start 1\n"));
		assert_non_null(strstr(r.out, "end 3\n"));
		e2e_result_free(&r);
	}
	after = snapshot(dir);
	assert_string_equal(before, after);
	free(after);
	E2E_LOCKSTEP(&r, "run", "--", FS_WRITER, file);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "start 1\n"));
	assert_non_null(strstr(r.out, "end 3\n"));
	e2e_result_free(&r);
	after = snapshot(dir);
	assert_string_not_equal(before, after);
	data = e2e_read_file(file, NULL);
	assert_non_null(data);
	assert_true(strcmp(data, "initial\nparent\nchild\n") == 0 ||
	            strcmp(data, "initial\nchild\nparent\n") == 0);
	free(data);
	data = e2e_path(dir, "data.txt.old");
	assert_int_equal(access(data, F_OK), -1);
	free(data);
	free(before);
	free(after);
	free(file);
	e2e_rmtree(dir);
	free(dir);
}

/* A program started in a directory outside /tmp (here the build tree),
 * naming its file relatively: the overlay of its working directory keeps
 * the directory as it was. */
static void
test_fsiso_cwd_outside_tmp(void **state)
{
	char dir[] = LK_BUILD_DIR "/fsiso-cwd-XXXXXX";
	char *before, *after;
	struct e2e_result r;

	(void)state;
	/* lockstep refuses the copy when its own files are under /tmp,
	 * which the copy's empty /tmp would hide (docs/programs.md). */
	if (!isolation_available() || strncmp(LK_BUILD_DIR, "/tmp/", 5) == 0)
		skip();
	assert_non_null(mkdtemp(dir));
	put(dir, "data.txt", "initial\n");
	put(dir, "data.txt.old", "old\n");
	before = snapshot(dir);
	for (int i = 0; i < 2; i++) {
		const char *const argv[] = {LOCKSTEP, "run",     "--sandbox",
		                            "--",     FS_WRITER, "data.txt",
		                            NULL};

		e2e_spawn(&r, LOCKSTEP, argv, NULL, dir);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "start 1\n"));
		assert_non_null(strstr(r.out, "end 3\n"));
		e2e_result_free(&r);
	}
	after = snapshot(dir);
	assert_string_equal(before, after);
	free(before);
	free(after);
	e2e_rmtree(dir);
}

/* Where the kernel refuses the overlay, a private copy of the working
 * directory and an empty private /tmp (forced here with
 * LOCKSTEP_FSISO=copy): the same promise. */
static void
test_fsiso_copy_fallback(void **state)
{
	const char *const env[] = {"LOCKSTEP_FSISO=copy", NULL};
	const char *const argv[] = {LOCKSTEP,  "run",      "--sandbox", "--",
	                            FS_WRITER, "data.txt", NULL};
	char dir[] = LK_BUILD_DIR "/fsiso-copy-XXXXXX";
	char *link, *before, *after;
	struct e2e_result r;

	(void)state;
	/* lockstep refuses the copy when its own files are under /tmp,
	 * which the copy's empty /tmp would hide (docs/programs.md). */
	if (!isolation_available() || strncmp(LK_BUILD_DIR, "/tmp/", 5) == 0)
		skip();
	assert_non_null(mkdtemp(dir));
	put(dir, "data.txt", "initial\n");
	put(dir, "data.txt.old", "old\n");
	link = e2e_path(dir, "link");
	assert_int_equal(symlink("data.txt", link), 0);
	free(link);
	before = snapshot(dir);
	for (int i = 0; i < 2; i++) {
		e2e_spawn(&r, LOCKSTEP, argv, env, dir);
		assert_null(strstr(r.err, "cannot isolate"));
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "start 1\n"));
		assert_non_null(strstr(r.out, "end 3\n"));
		e2e_result_free(&r);
	}
	after = snapshot(dir);
	assert_string_equal(before, after);
	free(before);
	free(after);
	e2e_rmtree(dir);
}

/* --sandbox is for programs; --no-isolation lets explore write. */
static void
test_fsiso_options(void **state)
{
	char *dir, *file, *before, *after;
	struct e2e_result r;

	(void)state;
	E2E_LOCKSTEP(&r, "run", "--sandbox", "scenarios/rendezvous.xml");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--sandbox is for a program"));
	e2e_result_free(&r);
	dir = writer_dir();
	file = e2e_path(dir, "data.txt");
	before = snapshot(dir);
	E2E_LOCKSTEP(&r, "explore", "-q", "--no-isolation", "--max-runs", "1",
	             "--", FS_WRITER, file);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.err, "cannot isolate"));
	e2e_result_free(&r);
	after = snapshot(dir);
	assert_string_not_equal(before, after);
	free(before);
	free(after);
	free(file);
	e2e_rmtree(dir);
	free(dir);
}

/* Two sqlite3 processes insert into one database (issue 14): explored,
 * the database is untouched and the outcomes are the orders of the
 * inserts and "database is locked", not one per run. */
static void
test_fsiso_sqlite_writers(void **state)
{
	char *dir, *db, *script, *before, *after, *text = NULL;
	struct e2e_result r;
	json_t *j, *o;
	size_t i;
	int orders = 0;

	(void)state;
	if (access("/usr/bin/sqlite3", X_OK) != 0 || !isolation_available())
		skip();
	dir = e2e_tempdir();
	db = e2e_path(dir, "t.db");
	script = e2e_path(dir, "writers.sh");
	cat(&text, "/usr/bin/sqlite3 %s 'create table t(x text);'", db);
	assert_int_equal(system(text), 0);
	free(text);
	text = NULL;
	cat(&text,
	    "sqlite3 %s \"insert into t values('a');\" &\n"
	    "sqlite3 %s \"insert into t values('b');\" &\n"
	    "wait\n"
	    "sqlite3 %s 'select group_concat(x) from t;'\n",
	    db, db, db);
	put(dir, "writers.sh", text);
	free(text);
	before = snapshot(dir);
	E2E_LOCKSTEP(&r, "explore", "--json", "--max-runs", "12", "--",
	             "/bin/sh", script);
	j = json_loads(r.out, 0, NULL);
	if (j == NULL)
		fail_msg("explore: exit %d: %s", r.status, r.err);
	json_array_foreach(json_object_get(j, "outcomes"), i, o)
	{
		const char *t =
		        json_string_value(json_object_get(o, "outcome"));

		orders += strstr(t, "\na,b\n") != NULL ||
		          strstr(t, "\nb,a\n") != NULL;
	}
	assert_true(orders >= 1);
	assert_true(json_array_size(json_object_get(j, "outcomes")) <= 4);
	after = snapshot(dir);
	assert_string_equal(before, after);
	json_decref(j);
	e2e_result_free(&r);
	free(before);
	free(after);
	free(db);
	free(script);
	e2e_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fsiso_check_then_create),
	        cmocka_unit_test(test_fsiso_name_events),
	        cmocka_unit_test(test_fsiso_explore_untouched),
	        cmocka_unit_test(test_fsiso_run_sandbox),
	        cmocka_unit_test(test_fsiso_cwd_outside_tmp),
	        cmocka_unit_test(test_fsiso_copy_fallback),
	        cmocka_unit_test(test_fsiso_options),
	        cmocka_unit_test(test_fsiso_sqlite_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
