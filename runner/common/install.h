/*
 * Where lockstep's parts are: the directory of the running lockstep binary
 * and the installed directories relative to it (docs/install.md).
 */
#ifndef LK_COMMON_INSTALL_H
#define LK_COMMON_INSTALL_H

#include <stddef.h>

#include "lockstep/lockstep.h"

/*
 * The directory of the running binary, from /proc/self/exe (no symbolic
 * link in it), into dir. 0, or -1 with err set (LK_EXIT_INSTALL).
 */
int lk_self_dir(char *dir, size_t size, struct lk_err *err);

/*
 * dir joined with rel, a relative path that may start with "../"
 * components, each of which removes dir's last component: no "..", so a
 * message shows the directory itself. 0, or -1 if it does not fit.
 */
int lk_path_join(char *out, size_t size, const char *dir, const char *rel);

/*
 * The installed documentation directory (share/doc/lockstep, holding
 * README.md) of this lockstep, as an absolute path without "..", or NULL
 * when lockstep runs from a build tree or an incomplete installation.
 * The answer is a static buffer.
 */
const char *lk_installed_docs(void);

#endif
