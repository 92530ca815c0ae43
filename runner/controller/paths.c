/*
 * Finding lockstep's agent and interposer wherever lockstep is started:
 * next to the running binary (the build tree), or where the install rules
 * put them relative to its bin/ directory (any prefix, the tree moved or
 * not; docs/install.md). Only /proc/self/exe is followed, never a path
 * from the environment.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/install.h"
#include "controller/controller.h"

#ifndef LK_REL_AGENTDIR /* set by CMakeLists.txt from GNUInstallDirs */
#error "LK_REL_AGENTDIR is not defined"
#endif

#define AGENT      "lockstep-agent"
#define INTERPOSER "liblockstep-interpose.so"

/*
 * Is dir/name a regular file (a symbolic link to one counts) that this
 * process may execute (exec) or read (read)? Its path into path.
 */
static int
usable(char *path, size_t size, const char *dir, const char *name, int exec)
{
	struct stat st;
	int n = snprintf(path, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, exec ? X_OK : R_OK) == 0;
}

int
lk_find_helpers(char *agent, size_t asz, char *interposer, size_t isz,
                struct lk_err *err)
{
	char self[PATH_MAX], adir[PATH_MAX], idir[PATH_MAX];
	int as, is, ai, ii;

	if (lk_self_dir(self, sizeof(self), err) != 0)
		return -1;
	/* The build tree: all three side by side. */
	as = usable(agent, asz, self, AGENT, 1);
	is = usable(interposer, isz, self, INTERPOSER, 0);
	if (as && is)
		return 0;
	/* Installed: libexec/lockstep/ and lib/lockstep/ beside bin/. */
	if (lk_path_join(adir, sizeof(adir), self, LK_REL_AGENTDIR) != 0 ||
	    lk_path_join(idir, sizeof(idir), self, LK_REL_INTERPOSERDIR) != 0) {
		lk_err_set(err, LK_EXIT_INSTALL, "%s: path too long", self);
		return -1;
	}
	ai = usable(agent, asz, adir, AGENT, 1);
	ii = usable(interposer, isz, idir, INTERPOSER, 0);
	if (ai && ii)
		return 0;
	/* Never one of each place: they must come from the same build. */
	if (!as && !ai && !is && !ii)
		lk_err_set(err, LK_EXIT_INSTALL,
		           "cannot find " AGENT " (looked in %s and %s) "
		           "nor " INTERPOSER " (looked in %s and %s): "
		           "lockstep's installation is incomplete; install "
		           "all of it (docs/install.md)",
		           self, adir, self, idir);
	else
		lk_err_set(err, LK_EXIT_INSTALL,
		           "cannot find " AGENT " and " INTERPOSER " of one "
		           "build: no %s%s%s in %s, no %s%s%s in %s and %s: "
		           "lockstep's installation is incomplete; install "
		           "all of it (docs/install.md)",
		           as ? "" : AGENT, !as && !is ? " and " : "",
		           is ? "" : INTERPOSER, self, ai ? "" : AGENT,
		           !ai && !ii ? " and " : "", ii ? "" : INTERPOSER,
		           adir, idir);
	return -1;
}
