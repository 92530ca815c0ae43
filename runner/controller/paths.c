/* Finding lockstep's agent and interposer wherever lockstep is started. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

#define AGENT      "lockstep-agent"
#define INTERPOSER "liblockstep-interpose.so"

/* Does path name an existing file? */
static int
exists(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Locate lockstep-agent and the interposer: next to the running binary
 * (the build tree), or under the install prefix (bin/ and lib/lockstep/). */
int
lk_find_helpers(char *agent, size_t asz, char *interposer, size_t isz,
                struct lk_err *err)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "cannot find my own binary");
		return -1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(agent, asz, "%s/" AGENT, self);
	snprintf(interposer, isz, "%s/" INTERPOSER, self);
	if (exists(agent) && exists(interposer))
		return 0;
	snprintf(interposer, isz, "%s/../lib/lockstep/" INTERPOSER, self);
	if (exists(agent) && exists(interposer))
		return 0;
	lk_err_set(
	        err, LK_EXIT_INTERNAL,
	        "cannot find %s and %s next to %s or under %s/../lib/lockstep",
	        AGENT, INTERPOSER, self, self);
	return -1;
}
