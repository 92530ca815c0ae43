/* Where lockstep's parts are, relative to the running binary. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install.h"

#ifndef LK_REL_DOCDIR /* set by CMakeLists.txt from GNUInstallDirs */
#error "LK_REL_DOCDIR is not defined"
#endif

int
lk_self_dir(char *dir, size_t size, struct lk_err *err)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0) {
		lk_err_set(err, LK_EXIT_INSTALL,
		           "/proc/self/exe: %s: lockstep finds its agent and "
		           "interposer next to its own binary (is /proc "
		           "mounted?)",
		           strerror(errno));
		return -1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL || (size_t)(slash - self) >= size) {
		lk_err_set(err, LK_EXIT_INSTALL,
		           "/proc/self/exe: unusable path '%s'", self);
		return -1;
	}
	if (slash == self) /* lockstep in / */
		slash++;
	memcpy(dir, self, (size_t)(slash - self));
	dir[slash - self] = '\0';
	return 0;
}

int
lk_path_join(char *out, size_t size, const char *dir, const char *rel)
{
	size_t len = strlen(dir);
	int n;

	if (len >= size)
		return -1;
	memcpy(out, dir, len + 1);
	for (;;) {
		if (strncmp(rel, "./", 2) == 0) {
			rel += 2;
		} else if (strcmp(rel, ".") == 0) {
			rel += 1;
		} else if (strncmp(rel, "../", 3) == 0 ||
		           strcmp(rel, "..") == 0) {
			char *slash = strrchr(out, '/');

			rel += rel[2] == '/' ? 3 : 2;
			if (slash == NULL)
				return -1;
			/* The parent of "/x" is "/", of "/" itself "/". */
			slash[slash == out ? 1 : 0] = '\0';
		} else {
			break;
		}
	}
	len = strlen(out);
	if (*rel == '\0')
		return 0;
	n = snprintf(out + len, size - len, "%s%s",
	             len > 0 && out[len - 1] == '/' ? "" : "/", rel);
	return n < 0 || (size_t)n >= size - len ? -1 : 0;
}

const char *
lk_installed_docs(void)
{
	static char docs[PATH_MAX];
	char dir[PATH_MAX], readme[PATH_MAX + 16];
	struct stat st;

	if (lk_self_dir(dir, sizeof(dir), NULL) != 0 ||
	    lk_path_join(docs, sizeof(docs), dir, LK_REL_DOCDIR) != 0)
		return NULL;
	snprintf(readme, sizeof(readme), "%s/README.md", docs);
	if (stat(readme, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return docs;
}
