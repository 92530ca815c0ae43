/*
 * The interposer outside a run: a program preloaded with it but not
 * started by lockstep must behave exactly as without it. The victim calls
 * every wrapped function, in success and failure, and prints the results;
 * the outputs with and without the preload are compared line by line.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2e.h"

#define INTERPOSER "liblockstep-interpose.so"
#define PRELOAD    "LD_PRELOAD=" LK_BUILD_DIR "/" INTERPOSER

/* What the victim prints natively on Linux with glibc. */
static const char expected[] = "sem_open(create) = 0 0\n"
                               "sem_open(create, exists) = -1 EEXIST\n"
                               "sem_trywait(0) = -1 EAGAIN\n"
                               "sem_timedwait(0, past) = -1 ETIMEDOUT\n"
                               "sem_post = 0 0\n"
                               "sem_getvalue = 0 0\n"
                               "value = 1\n"
                               "sem_timedwait(1, past) = 0 0\n"
                               "sem_post = 0 0\n"
                               "sem_trywait(1) = 0 0\n"
                               "sem_close = 0 0\n"
                               "sem_unlink = 0 0\n"
                               "sem_unlink(gone) = -1 ENOENT\n"
                               "sem_open(gone) = -1 ENOENT\n"
                               "sem_init = 0 0\n"
                               "sem_trywait(0) = -1 EAGAIN\n"
                               "sem_post = 0 0\n"
                               "sem_wait(1) = 0 0\n"
                               "sem_getvalue = 0 0\n"
                               "value = 0\n"
                               "sem_destroy = 0 0\n"
                               "open = 0 0\n"
                               "write(file) = 6 0\n"
                               "close = 0 0\n"
                               "write(closed) = -1 EBADF\n"
                               "close(closed) = -1 EBADF\n"
                               "write(-1) = -1 EBADF\n"
                               "file = hello\n"
                               "nanosleep(tv_nsec=1e9) = -1 EINVAL\n"
                               "nanosleep(tv_nsec=-1) = -1 EINVAL\n"
                               "nanosleep(1ms) = 0 0\n"
                               "clock_nanosleep(tv_nsec=1e9) = 22 0\n"
                               "clock_nanosleep(1ms) = 0 0\n"
                               "usleep(1000) = 0 0\n"
                               "sleep(0) = 0 0\n"
                               "time = ok 0\n"
                               "clock_gettime(REALTIME) = 0 0 ok\n"
                               "clock_gettime(MONOTONIC) = 0 0 0 ok\n"
                               "clock_gettime(bad clock) = -1 EINVAL\n"
                               "child says hello\n"
                               "fork = 1 0\n"
                               "waitpid = ok exited 7\n"
                               "waitpid = ok exited 3\n"
                               "waitpid = ok exited 5\n"
                               "done\n";

/* What every test gets: a directory for the victim's file. */
struct fixture {
	char *dir;
};

/* Give the test a fresh temporary directory. */
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

/* Count the victim's named semaphores left in /dev/shm. */
static int
victim_leftovers(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "sem.e2e-transparency-", 21) == 0)
			n++;
	closedir(d);
	return n;
}

/* Remove the directory; fail if anything was left in /dev/shm. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	int left = e2e_shm_leftovers() + victim_leftovers();

	e2e_rmtree(f->dir);
	free(f->dir);
	free(f);
	return left == 0 ? 0 : -1;
}

/* Run the victim with the extra environment; fail unless it exits 0. */
static void
run_victim(struct e2e_result *r, const char *dir, const char *const env[])
{
	const char *argv[] = {E2E_VICTIM, dir, NULL};

	assert_int_equal(e2e_spawn(r, E2E_VICTIM, argv, env, NULL), 0);
	if (r->timed_out || r->status != 0)
		fail_msg("victim: exit %d\n--- stdout:\n%s\n--- stderr:\n%s",
		         r->status, r->out, r->err);
}

/* Fail at the first line where got differs from want. */
static void
same_lines(const char *got, const char *want, const char *what)
{
	int line = 1;

	while (*got != '\0' || *want != '\0') {
		size_t g = strcspn(got, "\n"), w = strcspn(want, "\n");

		if (g != w || strncmp(got, want, g) != 0 || got[g] != want[w])
			fail_msg("%s, line %d: got \"%.*s\", expected \"%.*s\"",
			         what, line, (int)g, got, (int)w, want);
		got += g + (got[g] != '\0');
		want += w + (want[w] != '\0');
		line++;
	}
}

/*
 * Fail unless every "name: library" line of the victim's standard error
 * names lib (or, when lib is NULL, anything but the interposer).
 */
static void
check_bindings(const char *err, const char *lib)
{
	int n = 0;

	for (const char *line = err; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);
		int ours;

		if (colon == NULL)
			fail_msg("victim stderr: \"%.*s\"", (int)len, line);
		ours = (size_t)(line + len - colon - 2) == strlen(INTERPOSER) &&
		       strncmp(colon + 2, INTERPOSER, strlen(INTERPOSER)) == 0;
		if (lib != NULL ? !ours : ours)
			fail_msg("%.*s: expected %s", (int)len, line,
			         lib != NULL ? lib : "libc");
		n++;
		line += len + (line[len] != '\0');
	}
	assert_int_equal(n, 21);
}

/* Natively the victim prints exactly the expected results. */
static void
test_transparency_native_results(void **state)
{
	struct fixture *f = *state;
	struct e2e_result r;

	run_victim(&r, f->dir, NULL);
	same_lines(r.out, expected, "native");
	check_bindings(r.err, NULL);
	e2e_result_free(&r);
}

/* Preloaded outside a run, every wrapper is the real function. */
static void
test_transparency_preload_outside_run(void **state)
{
	const char *const env[] = {PRELOAD, NULL};
	struct fixture *f = *state;
	struct e2e_result native, preloaded;

	run_victim(&native, f->dir, NULL);
	run_victim(&preloaded, f->dir, env);
	/* The preload took: every wrapped name is the interposer's. */
	check_bindings(preloaded.err, INTERPOSER);
	same_lines(preloaded.out, native.out, "preloaded");
	same_lines(preloaded.out, expected, "preloaded");
	e2e_result_free(&native);
	e2e_result_free(&preloaded);
}

/* A LOCKSTEP_SHM_FD that names no run's memory is ignored. */
static void
test_transparency_bogus_shm_fd(void **state)
{
	static const char *const values[] = {
	        "LOCKSTEP_SHM_FD=",     /* empty */
	        "LOCKSTEP_SHM_FD=junk", /* not a number */
	        "LOCKSTEP_SHM_FD=0",    /* /dev/null: too small */
	        "LOCKSTEP_SHM_FD=2",    /* a pipe */
	        "LOCKSTEP_SHM_FD=999",  /* not open */
	        "LOCKSTEP_SHM_FD=-1",   /* negative */
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const char *const env[] = {PRELOAD, values[i], NULL};
		struct e2e_result r;

		run_victim(&r, f->dir, env);
		check_bindings(r.err, INTERPOSER);
		same_lines(r.out, expected, values[i]);
		e2e_result_free(&r);
	}
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_transparency_native_results, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_transparency_preload_outside_run, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_transparency_bogus_shm_fd,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests_name("e2e_transparency", tests, NULL,
	                                   NULL);
}
