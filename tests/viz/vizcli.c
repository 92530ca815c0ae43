/* What the viz tests that run the real lockstep share (vizcli.h). */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cgraph.h>
#include <cmocka.h>

#include "vizcli.h"

int
vt_run(char *const argv[], const char *out)
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || chdir(LK_SOURCE_DIR) != 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

const char *
vt_in_dir(const char *name)
{
	static char bufs[4][1280];
	static int k;
	char *p = bufs[k++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", vt_dir, name);
	return p;
}

char *
vt_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;
	size_t len;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
		len = fread(p, 1, (size_t)n, f);
		p[len] = '\0';
	}
	fclose(f);
	assert_non_null(p);
	return p;
}

const char *
vt_attr(void *obj, const char *k)
{
	char *v = agget(obj, (char *)k);

	return v != NULL ? v : "";
}

int
vt_setup(void **state)
{
	(void)state;
	return mkdtemp(vt_dir) == NULL ? -1 : 0;
}

/* nftw's callback: remove what it visits (children first). */
static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int
vt_teardown(void **state)
{
	(void)state;
	/* depth first, never following a link: a failed case may leave a
	 * directory of frames behind */
	nftw(vt_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* The size a PNG's header gives (vizcli.h). */
void
vt_png_size(const char *path, unsigned *w, unsigned *h)
{
	unsigned char b[24];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	assert_memory_equal(b + 1, "PNG", 3);
	*w = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
	*h = (unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
}
