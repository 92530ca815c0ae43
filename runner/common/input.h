/*
 * Untrusted files are data: opening an input so that nothing but a
 * regular file is read (a FIFO or a device never blocks us), and
 * escaping what an input says before it reaches a terminal. Libc only.
 */
#ifndef LK_INPUT_H
#define LK_INPUT_H

#include <stddef.h>

struct lk_err;

/*
 * Open path for reading as an input (scenario, trace, schedule, summary):
 * opened with O_NONBLOCK so that a FIFO or a device cannot block, then
 * refused unless it is a regular file. The descriptor (blocking again,
 * close-on-exec), or -1 with errno set and err filled (exit status 2)
 * naming the path, the reason and what (such as "a schedule file"):
 * "x: is a directory; expected a schedule file", "x: no such file;
 * expected a trace file". The one place every command opens a file the
 * user named.
 */
int lk_input_open(const char *path, const char *what, struct lk_err *err);

/*
 * Copy s into out (size bytes, always terminated when size > 0) with
 * control characters, DEL, C1 controls and invalid UTF-8 written as \xHH
 * ('\n' and '\t' are kept when keep_nl is set). The
 * length the whole escaped text needs, as snprintf.
 */
size_t lk_escape(const char *s, char *out, size_t size, int keep_nl);

#endif
