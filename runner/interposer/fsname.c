/*
 * File-system names as shared objects. Two processes that look a path up
 * and create it (access then open with O_CREAT), or stat it and rename
 * over it, race on the name, not on any descriptor: the calls that look
 * up, create or remove a name are scheduling points on a "name" object,
 * called by the path relative to the run's working directory ("./t.db"),
 * or by its absolute path outside it, the same in every run.
 *
 * Every call here is made as the raw system call (x86-64 struct stat is
 * the kernel's), so the libc wrappers below and the calls glibc makes by
 * itself, dispatched by sud.c, take one road: lk__fs_syscall. Paths of
 * the system (/usr, /etc, /lib, /bin, /proc, /sys, /dev) are no names:
 * a program's start-up looks up hundreds of them and nobody shares them.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* Objects of the table names may not take. */
#define NAME_RESERVE 64

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* How a system call names its paths: the op it is, the argument indices
 * of its directory descriptor (-1: the working directory) and path, and
 * of a second path (rename, link: the new name) or -1. */
struct fs_call {
	long nr;
	uint16_t op;
	int8_t dir, path, dir2, path2;
};

static const struct fs_call calls[] = {
#ifdef SYS_access
        {SYS_access, LK_OP_ACCESS, -1, 0, -1, -1},
        {SYS_stat, LK_OP_STAT, -1, 0, -1, -1},
        {SYS_lstat, LK_OP_STAT, -1, 0, -1, -1},
        {SYS_unlink, LK_OP_UNLINK, -1, 0, -1, -1},
        {SYS_rmdir, LK_OP_RMDIR, -1, 0, -1, -1},
        {SYS_mkdir, LK_OP_MKDIR, -1, 0, -1, -1},
        {SYS_rename, LK_OP_RENAME, -1, 0, -1, 1},
        {SYS_link, LK_OP_LINK, -1, 0, -1, 1},
        {SYS_symlink, LK_OP_SYMLINK, -1, -1, -1, 1},
#endif
        {SYS_faccessat, LK_OP_ACCESS, 0, 1, -1, -1},
#ifdef SYS_faccessat2
        {SYS_faccessat2, LK_OP_ACCESS, 0, 1, -1, -1},
#endif
        {SYS_newfstatat, LK_OP_STAT, 0, 1, -1, -1},
        {SYS_statx, LK_OP_STAT, 0, 1, -1, -1},
        {SYS_unlinkat, LK_OP_UNLINK, 0, 1, -1, -1},
        {SYS_mkdirat, LK_OP_MKDIR, 0, 1, -1, -1},
        {SYS_renameat, LK_OP_RENAME, 0, 1, 2, 3},
        {SYS_renameat2, LK_OP_RENAME, 0, 1, 2, 3},
        {SYS_linkat, LK_OP_LINK, 0, 1, 2, 3},
        {SYS_symlinkat, LK_OP_SYMLINK, -1, -1, 1, 2},
};

/* The entry of system call nr, or NULL when it names no path. */
static const struct fs_call *
call_of(long nr)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* Is the system call nr one lk__fs_syscall schedules? */
int
lk__fs_names(long nr)
{
	return call_of(nr) != NULL;
}

/* Is abs, a normalised absolute path, a path of the system? */
static int
system_path(const char *abs)
{
	static const char *const dirs[] = {"/usr",   "/etc", "/lib",
	                                   "/lib64", "/bin", "/sbin",
	                                   "/proc",  "/sys", "/dev"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);

		if (strncmp(abs, dirs[i], n) == 0 &&
		    (abs[n] == '/' || abs[n] == '\0'))
			return 1;
	}
	return strcmp(abs, "/") == 0;
}

/* Append component c (n bytes) to the normalised path p: "." is nothing,
 * ".." drops the last component (lexically: a name, not a file). */
static void
push_component(char *p, size_t size, const char *c, size_t n)
{
	size_t len = strlen(p);

	if (n == 0 || (n == 1 && c[0] == '.'))
		return;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		char *slash = strrchr(p, '/');

		if (slash != NULL)
			*slash = '\0';
		return;
	}
	if (len + 1 + n >= size)
		return;
	p[len] = '/';
	memcpy(p + len + 1, c, n);
	p[len + 1 + n] = '\0';
}

/* Append every component of path to p. */
static void
push_path(char *p, size_t size, const char *path)
{
	while (*path != '\0') {
		const char *end = strchrnul(path, '/');

		push_component(p, size, path, (size_t)(end - path));
		path = *end == '/' ? end + 1 : end;
	}
}

/*
 * The absolute, lexically normalised form of (dir, path) into abs; 0, or
 * -1 when it names nothing a run shares: an empty path (a descriptor's
 * own fstatat), a descriptor that is not a directory, a system path.
 * errno preserved.
 */
static int
absolute(int dir, const char *path, char *abs, size_t size)
{
	char base[LK_PATH_MAX];
	int saved = errno;

	abs[0] = '\0';
	if (path == NULL || path[0] == '\0')
		return -1;
	if (path[0] != '/') {
		if (dir == AT_FDCWD) {
			if (getcwd(base, sizeof(base)) == NULL)
				goto none;
		} else {
			char link[64];
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/self/fd/%d", dir);
			n = readlink(link, base, sizeof(base) - 1);
			if (n <= 0 || base[0] != '/')
				goto none;
			base[n] = '\0';
		}
		push_path(abs, size, base);
	}
	push_path(abs, size, path);
	if (abs[0] == '\0')
		snprintf(abs, size, "/");
	errno = saved;
	return system_path(abs) ? -1 : 0;
none:
	errno = saved;
	return -1;
}

/* The logical name of abs: "./rel" under the run's working directory,
 * "." for it, else abs itself. */
static void
logical(const char *abs, char *name, size_t size)
{
	const char *root = lk__shared()->cwd;
	size_t n = strlen(root);

	if (n > 1 && strncmp(abs, root, n) == 0 && abs[n] == '/')
		snprintf(name, size, ".%s", abs + n);
	else if (n > 1 && strcmp(abs, root) == 0)
		snprintf(name, size, ".");
	else
		snprintf(name, size, "%s", abs);
}

/* Is abs the directory the run started in, or one above it? Looking
 * those up is no step: nobody makes or removes them during a run, and
 * whether a shell checks $PWD against "." depends on the environment
 * lockstep was started from, not on the program. */
static int
start_dir(const char *abs)
{
	const char *root = lk__shared()->cwd;
	size_t n = strlen(abs);

	return strncmp(root, abs, n) == 0 &&
	       (root[n] == '\0' || root[n] == '/' || n == 1);
}

/* The name object of abs: found, or registered when allowed (not while
 * the process runs alongside others before its first step, where the
 * order of registration would be a race); -1 otherwise. */
static int
name_obj(const char *abs, int may_add)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_PATH_MAX];
	int obj;

	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_NAME &&
		    strcmp(sh->objects[i].path, abs) == 0)
			return (int)i;
	/* Names leave room in the table for the objects a run cannot do
	 * without (pipes, files, semaphores): past it, a name is no step. */
	if (!may_add)
		return -1;
	if (sh->nobjects >= LK_MAX_OBJECTS - NAME_RESERVE) {
		atomic_fetch_or(&sh->objects_full, 1u);
		return -1;
	}
	logical(abs, name, sizeof(name));
	obj = lk__obj_add(LK_OT_NAME, name);
	if (obj >= 0)
		snprintf(sh->objects[obj].path, sizeof(sh->objects[obj].path),
		         "%s", abs);
	return obj;
}

/* May this process register objects now? */
static int
may_register(void)
{
	return lk__self()->state != LK_SLOT_SPAWNED ||
	       lk__shared()->nslots <= 1;
}

/* The raw call: its result, or -errno. */
static long
raw_call(long nr, const long *a)
{
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	return r == -1 ? -(long)errno : r;
}

/*
 * Call nr with arguments a as a step on the name it looks up, creates or
 * removes, inside a wrapper (lk__enter was true): op is LK_OP_OPEN for
 * an open that creates or truncates, else the call's. The event's arg is
 * the object of the second name (rename, link), or -1; open's is the
 * descriptor, and its off says whether it creates the file (1) or finds
 * it (0). Returns the raw result. Leaves the wrapper.
 */
static long
name_step(unsigned op, const struct fs_call *c, long nr, const long *a)
{
	char abs[LK_PATH_MAX], abs2[LK_PATH_MAX];
	struct lk_step st = {.op = (uint16_t)op, .obj = -1, .u.name.from = -1};
	int has1, has2, may = may_register();
	int d1 = c->dir >= 0 ? (int)a[c->dir] : AT_FDCWD;
	int d2 = c->dir2 >= 0 ? (int)a[c->dir2] : AT_FDCWD;
	long r;

	has1 = c->path >= 0 &&
	       absolute(d1, (const char *)a[c->path], abs, sizeof(abs)) == 0;
	has2 = c->path2 >= 0 &&
	       absolute(d2, (const char *)a[c->path2], abs2, sizeof(abs2)) == 0;
	if ((!has1 && !has2) ||
	    ((op == LK_OP_STAT || op == LK_OP_ACCESS) && start_dir(abs))) {
		r = raw_call(nr, a);
		lk__leave();
		return r;
	}
	/* The name created or replaced is the event's object; the one a
	 * rename or link reads from is its arg. */
	st.obj = name_obj(has2 ? abs2 : abs, may);
	if (st.obj < 0 &&
	    (may || lk__shared()->nobjects >= LK_MAX_OBJECTS - NAME_RESERVE)) {
		r = raw_call(nr, a);
		lk__leave();
		return r;
	}
	lk__arrive(op, st.obj, 0);
	if (st.obj < 0)
		st.obj = name_obj(has2 ? abs2 : abs, 1);
	if (has1 && has2)
		st.u.name.from = name_obj(abs, 1);
	if (op == LK_OP_OPEN && (a[2] & O_CREAT) && !(a[2] & O_EXCL)) {
		/* Holding the turn: whether it exists now is whether the
		 * open creates it or finds it (open(O_CREAT) of an existing
		 * database), which races tell apart (trace.c). */
		struct stat sb;
		long none[6] = {a[0], a[1], (long)&sb, 0, 0, 0};

		st.u.open.created = raw_call(SYS_newfstatat, none) != 0;
	} else if (op == LK_OP_OPEN) {
		st.u.open.created =
		        (a[2] & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	}
	r = raw_call(nr, a);
	st.ret = r < 0 ? -1 : r;
	st.err = r < 0 ? (int)-r : 0;
	if (op == LK_OP_OPEN)
		st.u.open.fd = (int32_t)r;
	lk__done(&st, -1);
	lk__leave();
	return r;
}

/* A path call of the system's, dispatched (sud.c) or from a wrapper
 * below: a step on its name when the process is in a run. Returns the
 * raw result (-errno on failure). */
long
lk__fs_syscall(long nr, const long *a)
{
	const struct fs_call *c = call_of(nr);
	int saved = errno;
	unsigned op;
	long r;

	if (c == NULL || !lk__enter())
		return raw_call(nr, a);
	op = c->op;
	if (nr == SYS_unlinkat && (a[2] & AT_REMOVEDIR))
		op = LK_OP_RMDIR;
	if ((nr == SYS_newfstatat || nr == SYS_statx) &&
	    (a[c->path] == 0 || ((const char *)a[c->path])[0] == '\0')) {
		/* fstat(fd) made as fstatat(fd, "", AT_EMPTY_PATH). */
		r = raw_call(nr, a);
		lk__leave();
		return r;
	}
	r = name_step(op, c, nr, a);
	errno = saved;
	return r;
}

/* An open that creates or truncates (O_CREAT, O_TRUNC), inside a
 * wrapper: a step on its name. Returns the raw result; leaves. */
long
lk__fs_open(int dir, const char *path, int flags, mode_t mode)
{
	static const struct fs_call open_call = {SYS_openat, LK_OP_OPEN, 0,
	                                         1,          -1,         -1};
	long a[6] = {dir, (long)path, flags, (long)mode, 0, 0};
	int saved = errno;
	long r = name_step(LK_OP_OPEN, &open_call, SYS_openat, a);

	errno = saved;
	return r;
}

/* A raw result as libc's: -1 and errno. */
static long
libc(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define FS6(nr, a0, a1, a2, a3, a4)                                            \
	libc(lk__fs_syscall((nr),                                              \
	                    (long[6]){(long)(a0), (long)(a1), (long)(a2),      \
	                              (long)(a3), (long)(a4), 0}))

/* --- the libc functions ------------------------------------------------ */

int
access(const char *path, int mode)
{
	return (int)FS6(SYS_faccessat, AT_FDCWD, path, mode, 0, 0);
}

int
faccessat(int dir, const char *path, int mode, int flags)
{
#ifdef SYS_faccessat2
	if (flags != 0)
		return (int)FS6(SYS_faccessat2, dir, path, mode, flags, 0);
#endif
	return (int)FS6(SYS_faccessat, dir, path, mode, 0, 0);
}

int
stat(const char *path, struct stat *buf)
{
	return (int)FS6(SYS_newfstatat, AT_FDCWD, path, buf, 0, 0);
}

int
lstat(const char *path, struct stat *buf)
{
	return (int)FS6(SYS_newfstatat, AT_FDCWD, path, buf,
	                AT_SYMLINK_NOFOLLOW, 0);
}

int
fstatat(int dir, const char *path, struct stat *buf, int flags)
{
	return (int)FS6(SYS_newfstatat, dir, path, buf, flags, 0);
}

/* The 64-bit names are the same calls (off_t is 64-bit here). */
int
stat64(const char *path, struct stat64 *buf)
{
	return (int)FS6(SYS_newfstatat, AT_FDCWD, path, buf, 0, 0);
}

int
lstat64(const char *path, struct stat64 *buf)
{
	return (int)FS6(SYS_newfstatat, AT_FDCWD, path, buf,
	                AT_SYMLINK_NOFOLLOW, 0);
}

int
fstatat64(int dir, const char *path, struct stat64 *buf, int flags)
{
	return (int)FS6(SYS_newfstatat, dir, path, buf, flags, 0);
}

int
statx(int dir, const char *path, int flags, unsigned mask, struct statx *buf)
{
	return (int)FS6(SYS_statx, dir, path, flags, mask, buf);
}

int
unlink(const char *path)
{
	return (int)FS6(SYS_unlinkat, AT_FDCWD, path, 0, 0, 0);
}

int
unlinkat(int dir, const char *path, int flags)
{
	return (int)FS6(SYS_unlinkat, dir, path, flags, 0, 0);
}

int
rmdir(const char *path)
{
	return (int)FS6(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR, 0, 0);
}

/* remove: unlink, or rmdir for a directory, as glibc's. */
int
remove(const char *path)
{
	int saved = errno;

	if (unlink(path) == 0)
		return 0;
	if (errno != EISDIR)
		return -1;
	errno = saved;
	return rmdir(path);
}

int
mkdir(const char *path, mode_t mode)
{
	return (int)FS6(SYS_mkdirat, AT_FDCWD, path, mode, 0, 0);
}

int
mkdirat(int dir, const char *path, mode_t mode)
{
	return (int)FS6(SYS_mkdirat, dir, path, mode, 0, 0);
}

int
rename(const char *from, const char *to)
{
	return (int)FS6(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to, 0);
}

int
renameat(int fromdir, const char *from, int todir, const char *to)
{
	return (int)FS6(SYS_renameat, fromdir, from, todir, to, 0);
}

int
renameat2(int fromdir, const char *from, int todir, const char *to,
          unsigned flags)
{
	if (flags == 0)
		return renameat(fromdir, from, todir, to);
	return (int)FS6(SYS_renameat2, fromdir, from, todir, to, flags);
}

int
link(const char *from, const char *to)
{
	return (int)FS6(SYS_linkat, AT_FDCWD, from, AT_FDCWD, to, 0);
}

int
linkat(int fromdir, const char *from, int todir, const char *to, int flags)
{
	return (int)FS6(SYS_linkat, fromdir, from, todir, to, flags);
}

int
symlink(const char *target, const char *path)
{
	return (int)FS6(SYS_symlinkat, target, AT_FDCWD, path, 0, 0);
}

int
symlinkat(const char *target, int dir, const char *path)
{
	return (int)FS6(SYS_symlinkat, target, dir, path, 0, 0);
}

int
creat(const char *path, mode_t mode)
{
	return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));

/* --- temporary names: the same in every run ---------------------------- */

/*
 * Replace the six X before the last suffixlen bytes of tmpl by letters
 * that depend only on the process's name and how many names it made, so
 * that the same run makes the same names; make(tmpl) creates the file or
 * directory, a name that exists is tried again with the next letters.
 * Outside a run: NULL, the caller uses libc's random letters.
 */
static long
temp_name(char *tmpl, int suffixlen, long (*make)(char *, int), int flags)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t len = strlen(tmpl);
	char *x;

	if (suffixlen < 0 || len < 6 + (size_t)suffixlen) {
		errno = EINVAL;
		return -1;
	}
	x = tmpl + len - suffixlen - 6;
	if (strncmp(x, "XXXXXX", 6) != 0) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned tries = 0; tries < 1000; tries++) {
		uint64_t h = 1469598103934665603ull;
		long r;

		for (const char *p = lk__self()->name; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ lk__ip.temp_count++) * 1099511628211ull;
		h ^= h >> 29;
		for (int i = 0; i < 6; i++, h /= 62)
			x[i] = letters[h % 62];
		r = make(tmpl, flags);
		if (r >= 0 || errno != EEXIST)
			return r;
	}
	errno = EEXIST;
	return -1;
}

static long
make_file(char *path, int flags)
{
	return open(path, O_RDWR | O_CREAT | O_EXCL | (flags & ~O_ACCMODE),
	            0600);
}

static long
make_dir(char *path, int flags)
{
	(void)flags;
	return mkdir(path, 0700);
}

int
mkostemps(char *tmpl, int suffixlen, int flags)
{
	if (!lk__active())
		return REAL(mkostemps)(tmpl, suffixlen, flags);
	return (int)temp_name(tmpl, suffixlen, make_file, flags);
}

int
mkstemp(char *tmpl)
{
	return mkostemps(tmpl, 0, 0);
}

int
mkostemp(char *tmpl, int flags)
{
	return mkostemps(tmpl, 0, flags);
}

int
mkstemps(char *tmpl, int suffixlen)
{
	return mkostemps(tmpl, suffixlen, 0);
}

int mkstemp64(char *tmpl) __attribute__((alias("mkstemp")));
int mkostemp64(char *tmpl, int flags) __attribute__((alias("mkostemp")));
int mkstemps64(char *tmpl, int suffixlen) __attribute__((alias("mkstemps")));
int mkostemps64(char *tmpl, int suffixlen, int flags)
        __attribute__((alias("mkostemps")));

char *
mkdtemp(char *tmpl)
{
	if (!lk__active())
		return REAL(mkdtemp)(tmpl);
	return temp_name(tmpl, 0, make_dir, 0) == 0 ? tmpl : NULL;
}
