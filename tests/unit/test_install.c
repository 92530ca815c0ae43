/* Unit tests of where lockstep's parts are (runner/common/install.c): the
 * paths relative to the binary's directory, joined without "..", and the
 * directory of the running binary itself. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/install.h"

/* out = dir joined with rel, or -1. */
static int
join(char *out, size_t size, const char *dir, const char *rel)
{
	memset(out, 'x', size);
	return lk_path_join(out, size, dir, rel);
}

static void
test_join_relative(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(
	        join(out, sizeof(out), "/usr/bin", "../libexec/lockstep"), 0);
	assert_string_equal(out, "/usr/libexec/lockstep");
	assert_int_equal(join(out, sizeof(out), "/opt/a/bin",
	                      "../lib/x86_64-linux-gnu/lockstep"),
	                 0);
	assert_string_equal(out, "/opt/a/lib/x86_64-linux-gnu/lockstep");
	assert_int_equal(join(out, sizeof(out), "/a/b/c", "../../d"), 0);
	assert_string_equal(out, "/a/d");
	assert_int_equal(join(out, sizeof(out), "/a/b", "./c/./d"), 0);
	assert_string_equal(out, "/a/b/c/./d"); /* only leading ones go */
	assert_int_equal(join(out, sizeof(out), "/a/b", "."), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(join(out, sizeof(out), "/a/b", ".."), 0);
	assert_string_equal(out, "/a");
	assert_int_equal(join(out, sizeof(out), "/a/b", "c"), 0);
	assert_string_equal(out, "/a/b/c");
}

/* At the top: the parent of / is /, as for the kernel. */
static void
test_join_at_root(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(join(out, sizeof(out), "/", "../libexec/lockstep"), 0);
	assert_string_equal(out, "/libexec/lockstep");
	assert_int_equal(join(out, sizeof(out), "/bin", "../../../x"), 0);
	assert_string_equal(out, "/x");
	assert_int_equal(join(out, sizeof(out), "/bin", ".."), 0);
	assert_string_equal(out, "/");
}

/* A result that does not fit is refused, never cut short. */
static void
test_join_too_long(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(
	        join(out, sizeof(out), "/usr/bin", "../libexec/lockstep"), -1);
	assert_int_equal(join(out, sizeof(out), "/a/very/long/directory", "x"),
	                 -1);
	assert_int_equal(join(out, sizeof(out), "/usr/bin", "../lib/lk"), 0);
	assert_string_equal(out, "/usr/lib/lk");
	assert_int_equal(join(out, 12, "/usr/bin", "../lib/lk"), 0);
	assert_int_equal(join(out, 11, "/usr/bin", "../lib/lk"), -1);
}

/* The test binary's own directory, as the kernel gives it. */
static void
test_self_dir(void **state)
{
	char dir[PATH_MAX], exe[PATH_MAX];
	struct lk_err err = {0};
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	assert_int_equal(lk_self_dir(dir, sizeof(dir), &err), 0);
	assert_string_equal(dir, exe);
	assert_int_equal(lk_self_dir(dir, 2, &err), -1);
	assert_int_equal(err.status, LK_EXIT_INSTALL);
	/* The build tree has no installed docs next to it. */
	assert_null(lk_installed_docs());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_join_relative),
	        cmocka_unit_test(test_join_at_root),
	        cmocka_unit_test(test_join_too_long),
	        cmocka_unit_test(test_self_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
