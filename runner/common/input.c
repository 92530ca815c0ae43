/* Opening untrusted inputs and escaping what they say (see input.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/input.h"
#include "lockstep/lockstep.h"

/* What kind of file a mode is, for the message refusing it. */
static const char *
kind_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "something else than a regular file";
}

/* Why path could not be opened (errno e), in err: "no such file",
 * "permission denied", else strerror's text in lower case. */
static void
open_failed(const char *path, int e, struct lk_err *err)
{
	char why[128];

	if (e == ENOENT)
		snprintf(why, sizeof(why), "no such file");
	else if (e == ENOTDIR)
		snprintf(why, sizeof(why),
		         "no such file (a part of the path is not a "
		         "directory)");
	else
		snprintf(why, sizeof(why), "cannot read: %s", strerror(e));
	/* strerror's capital: messages are lower case. */
	if (why[0] >= 'A' && why[0] <= 'Z' && why[1] >= 'a' && why[1] <= 'z')
		why[0] = (char)(why[0] - 'A' + 'a');
	if (strncmp(why, "cannot read: ", 13) == 0 && why[13] >= 'A' &&
	    why[13] <= 'Z' && why[14] >= 'a' && why[14] <= 'z')
		why[13] = (char)(why[13] - 'A' + 'a');
	lk_err_set(err, LK_EXIT_USAGE, "%s: %s", path, why);
}

/* Open an input file; a regular file's descriptor or -1 (see input.h). */
int
lk_input_open(const char *path, const char *what, struct lk_err *err)
{
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO with no writer returns at once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		open_failed(path, e, err);
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		open_failed(path, e, err);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		lk_err_set(err, LK_EXIT_USAGE, "%s: is %s; expected %s", path,
		           kind_name(st.st_mode), what);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

/* Length of the valid UTF-8 sequence at s (2..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n;
}

/* Escape s into out (see input.h). */
size_t
lk_escape(const char *s, char *out, size_t size, int keep_nl)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;

	while (*p != '\0') {
		char esc[4];
		const unsigned char *from = p;
		size_t n = 1;

		if (*p >= 0x80) {
			n = utf8_len(p);
			if (n == 0) {
				esc[0] = '\\', esc[1] = 'x';
				esc[2] = hex[*p >> 4], esc[3] = hex[*p & 15];
				from = (const unsigned char *)esc;
				n = 4;
			}
			p += from == p ? n : 1;
		} else if ((*p < 0x20 || *p == 0x7f) &&
		           !(keep_nl && (*p == '\n' || *p == '\t'))) {
			esc[0] = '\\', esc[1] = 'x';
			esc[2] = hex[*p >> 4], esc[3] = hex[*p & 15];
			from = (const unsigned char *)esc;
			n = 4;
			p++;
		} else {
			p++;
		}
		for (size_t i = 0; i < n; i++, len++)
			if (size > 0 && len < size - 1)
				out[len] = (char)from[i];
	}
	if (size > 0)
		out[len < size ? len : size - 1] = '\0';
	return len;
}
