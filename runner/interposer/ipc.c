/*
 * The wrapped calls of descriptors, record locks, FIFOs and POSIX shared
 * memory (reads and writes are in rw.c, SysV IPC in sysv.c). Like the
 * semaphore wrappers, each is a scheduling point that never blocks for
 * real: a lock held by another process and the open of a FIFO with
 * nobody at the other end are recorded as blocked and retried when the
 * object changes (an unlock, a close, an open, an exit). Calls that make
 * descriptors (pipe, dup, open) are not steps, but they forget what the
 * new descriptor numbers were, so the next use finds the new object.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* Leave the interposer with errno set to err; returns ret. */
static long
leave(long ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* --- descriptors --------------------------------------------------------- */

int
close(int fd)
{
	struct lk_step st = {.op = LK_OP_CLOSE, .u.close.fd = fd};
	int own = -1;

	if (!lk__enter())
		return REAL(close)(fd);
	lk__guard_fds((unsigned)fd, (unsigned)fd);
	st.obj = lk__obj_fd(fd);
	lk__obj_fd_forget(fd);
	if (!lk__obj_is_pipe(st.obj)) {
		/* Closing any descriptor of a file drops the process's
		 * record locks on it: whoever waits for one may go on. */
		if (lk__obj_is_file(st.obj))
			lk__wake(st.obj);
		int r = REAL(close)(fd);

		lk__leave();
		return r;
	}
	/* Closing a pipe end may bring the end of file: a step. Which end
	 * it was (O_RDONLY, O_WRONLY) goes in off. */
	st.u.close.mode = fcntl(fd, F_GETFL) & O_ACCMODE;
	/* A socket's end: the peer's end of file, a step on the peer's
	 * end, as a pipe's write end (sock.c). */
	if (lk__obj_is_sock(st.obj) && lk__obj_sock_out(st.obj) != st.obj) {
		own = st.obj;
		st.obj = lk__obj_sock_out(own);
		st.u.close.mode = O_WRONLY;
	}
	lk__arrive(LK_OP_CLOSE, st.obj, 0);
	st.ret = REAL(close)(fd);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	if (own >= 0)
		lk__wake(own);
	return (int)leave(st.ret, st.err);
}

/* dup2 and dup3: a step when a pipe end is copied or replaced. */
static int
dup_to(int oldfd, int newfd, int flags, int three)
{
	struct lk_step st = {.op = LK_OP_DUP2, .u.dup2.newfd = newfd};
	int replaced;

	if (oldfd != newfd)
		lk__guard_fds((unsigned)newfd, (unsigned)newfd);
	st.obj = lk__obj_fd(oldfd);
	replaced = oldfd != newfd ? lk__obj_fd(newfd) : -1;
	if (!lk__obj_is_pipe(st.obj) && !lk__obj_is_pipe(replaced)) {
		lk__obj_fd_forget(newfd);
		int r = three ? REAL(dup3)(oldfd, newfd, flags)
		              : REAL(dup2)(oldfd, newfd);

		lk__leave();
		return r;
	}
	if (!lk__obj_is_pipe(st.obj))
		st.obj = replaced;
	st.u.dup2.mode =
	        fcntl(lk__obj_is_pipe(lk__obj_fd(oldfd)) ? oldfd : newfd,
	              F_GETFL) &
	        O_ACCMODE;
	lk__arrive(LK_OP_DUP2, st.obj, 0);
	st.ret = three ? REAL(dup3)(oldfd, newfd, flags)
	               : REAL(dup2)(oldfd, newfd);
	st.err = st.ret < 0 ? errno : 0;
	lk__obj_fd_forget(newfd);
	lk__done(&st, st.obj);
	if (lk__obj_is_pipe(replaced) && replaced != st.obj)
		lk__wake_pipes();
	return (int)leave(st.ret, st.err);
}

int
dup2(int oldfd, int newfd)
{
	if (!lk__enter())
		return REAL(dup2)(oldfd, newfd);
	return dup_to(oldfd, newfd, 0, 0);
}

int
dup3(int oldfd, int newfd, int flags)
{
	if (!lk__enter())
		return REAL(dup3)(oldfd, newfd, flags);
	return dup_to(oldfd, newfd, flags, 1);
}

/*
 * close_range and closefrom (glibc's closefrom makes the system call
 * itself; a raw one comes here through dispatch, sud.c) close everything
 * the program asks for but the run's own descriptors, which move out of
 * the way: an exec afterwards is still followed. Not a step (closing
 * many descriptors at once is like an exit's), but whoever waits on a
 * pipe may now see its end of file.
 */
int
close_range(unsigned first, unsigned last, int flags)
{
	int r, err;

	if (!lk__enter())
		return (int)syscall(SYS_close_range, first, last, flags);
	r = lk__close_range(first, last, (unsigned)flags);
	err = errno;
	if (r == 0) {
		lk__obj_fd_forget_range(first, last);
		lk__wake_pipes();
	}
	return (int)leave(r, err);
}

void
closefrom(int lowfd)
{
	int saved = errno;

	if (lowfd >= 0)
		close_range((unsigned)lowfd, ~0u, 0);
	errno = saved;
}

/* New descriptors are not steps: nobody else can see them yet. Their
 * numbers may have been something else, closed where the interposer did
 * not see it (fclose, close_range): forget that. errno preserved. */
int
pipe(int fds[2])
{
	int r = REAL(pipe)(fds);

	if (r == 0) {
		lk__obj_fd_forget(fds[0]);
		lk__obj_fd_forget(fds[1]);
	}
	return r;
}

int
pipe2(int fds[2], int flags)
{
	int r = REAL(pipe2)(fds, flags);

	if (r == 0) {
		lk__obj_fd_forget(fds[0]);
		lk__obj_fd_forget(fds[1]);
	}
	return r;
}

int
dup(int fd)
{
	int r = REAL(dup)(fd);

	if (r >= 0)
		lk__obj_fd_forget(r);
	return r;
}

/* fclose closes its descriptor inside glibc, where close is not seen
 * unless sud.c dispatches it:
 * forget the number, and let whoever waits on the object look again (a
 * pipe's reader may find the end of file, a lock waiter the lock free).
 * Not a step: a stream's close is folded into the steps around it, as
 * the writes stdio makes by itself are. */
int
fclose(FILE *f)
{
	int fd, obj, r;

	/* With dispatch on (sud.c), its flush and close are steps. */
	if (f == NULL || lk__sud_active() || !lk__enter())
		return REAL(fclose)(f);
	fd = fileno(f);
	obj = fd >= 0 ? lk__obj_fd(fd) : -1;
	lk__obj_fd_forget(fd);
	r = REAL(fclose)(f);
	if (lk__obj_is_pipe(obj) || lk__obj_is_file(obj))
		lk__wake(obj);
	lk__leave();
	return r;
}

/* A descriptor just made: forget what its number was. errno preserved. */
static int
new_fd(int fd)
{
	if (fd >= 0)
		lk__obj_fd_forget(fd);
	return fd;
}

/* Is cmd one of fcntl's record-lock commands? */
static int
is_lock_cmd(int cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK ||
	       cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK;
}

/*
 * A record-lock command as a step. F_SETLKW is F_SETLK retried whenever
 * the file's locks change (an unlock, a close, an exit), so a lock wait
 * never blocks for real and shows in deadlock cycles. The event's arg
 * packs the command, the lock type and the length; off is the start.
 */
static int
fcntl_lock(int fd, int cmd, struct flock *fl)
{
	struct lk_step st = {.op = LK_OP_FCNTL};
	int wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
	int try = cmd == F_SETLKW       ? F_SETLK
	          : cmd == F_OFD_SETLKW ? F_OFD_SETLK
	                                : cmd;

	st.obj = lk__obj_fd(fd);
	st.u.lock.cmd = cmd;
	st.u.lock.type = fl->l_type;
	st.u.lock.start = fl->l_start;
	st.u.lock.len = fl->l_len;
	lk__arrive(LK_OP_FCNTL, st.obj, 0);
	for (;;) {
		st.ret = REAL(fcntl)(fd, try, fl);
		st.err = st.ret < 0 ? errno : 0;
		if (!wait || st.ret == 0 ||
		    (st.err != EAGAIN && st.err != EACCES))
			break;
		lk__block(&st, st.obj, LK_NO_TIME);
	}
	lk__done(&st, st.ret == 0 && try != F_GETLK && try != F_OFD_GETLK
	                      ? st.obj
	                      : -1);
	return (int)leave(st.ret, st.err);
}

int
fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return new_fd(REAL(fcntl)(fd, cmd, arg));
	if (!is_lock_cmd(cmd) || arg == NULL || !lk__enter())
		return REAL(fcntl)(fd, cmd, arg);
	return fcntl_lock(fd, cmd, arg);
}

/* fcntl64 is the same call (off_t is 64-bit here): the same wrapper. */
int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

int
flock(int fd, int op)
{
	struct lk_step st = {.op = LK_OP_FLOCK};

	if (!lk__enter())
		return REAL(flock)(fd, op);
	/* As a record lock of the whole file would say it. */
	st.u.lock.cmd = (op & LOCK_NB) ? F_SETLK : F_SETLKW;
	st.u.lock.type = (op & LOCK_UN)   ? F_UNLCK
	                 : (op & LOCK_SH) ? F_RDLCK
	                                  : F_WRLCK;
	st.obj = lk__obj_fd(fd);
	lk__arrive(LK_OP_FLOCK, st.obj, 0);
	for (;;) {
		st.ret = REAL(flock)(fd, op | LOCK_NB);
		st.err = st.ret < 0 ? errno : 0;
		if ((op & LOCK_NB) || st.ret == 0 || st.err != EWOULDBLOCK)
			break;
		lk__block(&st, st.obj, LK_NO_TIME);
	}
	lk__done(&st, st.ret == 0 ? st.obj : -1);
	return (int)leave(st.ret, st.err);
}

/* lockf: record locks from the current offset, as glibc makes them
 * with fcntl (whose internal call the interposer does not see). */
int
lockf(int fd, int cmd, off_t len)
{
	struct flock fl = {.l_whence = SEEK_CUR, .l_len = len};
	int r;

	if (!lk__enter())
		return REAL(lockf)(fd, cmd, len);
	switch (cmd) {
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		return fcntl_lock(fd, F_SETLK, &fl);
	case F_LOCK:
		fl.l_type = F_WRLCK;
		return fcntl_lock(fd, F_SETLKW, &fl);
	case F_TLOCK:
		fl.l_type = F_WRLCK;
		return fcntl_lock(fd, F_SETLK, &fl);
	case F_TEST:
		fl.l_type = F_RDLCK;
		r = fcntl_lock(fd, F_GETLK, &fl);
		if (r < 0 || fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return r;
		errno = EACCES;
		return -1;
	default:
		return (int)leave(-1, EINVAL);
	}
}

int
lockf64(int fd, int cmd, off64_t len)
{
	return lockf(fd, cmd, len);
}

/* --- FIFOs: open waits for the other end --------------------------------- */

/*
 * Open FIFO path for reading or writing without blocking for real. A
 * reader opens at once (O_NONBLOCK) and then waits, as a step, until
 * some process opened the FIFO for writing; a writer's non-blocking open
 * fails with ENXIO while no reader has it open, and is retried when that
 * changes. O_RDWR and O_NONBLOCK opens do not wait, as in the kernel.
 */
static int
open_fifo(int dirfd, const char *path, int flags, mode_t mode)
{
	struct lk_shared *sh = lk__shared();
	struct lk_step st = {.op = LK_OP_OPEN, .obj = -1};
	int writer = (flags & O_ACCMODE) == O_WRONLY, counted = 0, fd;
	int wait = !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_RDWR;

	/* Which FIFO: a reader's open never blocks and changes nothing. */
	fd = REAL(openat)(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		st.obj = lk__obj_fd(fd);
		lk__obj_fd_forget(fd);
		REAL(close)(fd);
	}
	lk__arrive(LK_OP_OPEN, st.obj, 0);
	fd = -1;
	for (;;) {
		if (fd < 0)
			fd = REAL(openat)(dirfd, path, flags | O_NONBLOCK,
			                  mode);
		st.err = fd < 0 ? errno : 0;
		if (fd >= 0 && !counted && st.obj >= 0) {
			sh->objects[st.obj].opens[writer]++;
			counted = 1;
			lk__wake(st.obj);
		}
		if (!wait || st.obj < 0 || (fd < 0 && st.err != ENXIO) ||
		    (fd >= 0 && (writer || sh->objects[st.obj].opens[1] > 0)))
			break;
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, st.obj, LK_NO_TIME);
	}
	if (fd >= 0 && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	new_fd(fd);
	st.ret = fd;
	st.u.open.fd = fd;
	lk__done(&st, fd >= 0 ? st.obj : -1);
	return (int)leave(fd, st.err);
}

/* Is path a FIFO? Only then is an open a scheduling point. */
static int
names_fifo(int dirfd, const char *path)
{
	struct stat st;

	return fstatat(dirfd, path, &st, 0) == 0 && S_ISFIFO(st.st_mode);
}

/* The mode argument of an open, present with O_CREAT or O_TMPFILE. */
#define HAS_MODE(flags) (((flags)&O_CREAT) || ((flags)&O_TMPFILE) == O_TMPFILE)
#define OPEN_MODE(flags, ap, last)                                             \
	(HAS_MODE(flags) ? (va_start(ap, last), (mode_t)va_arg(ap, int))       \
	                 : (mode_t)0)

/* An open under control: FIFOs wait for their other end. */
static int
open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	if (!lk__enter())
		return REAL(openat)(dirfd, path, flags, mode);
	if (!names_fifo(dirfd, path)) {
		int r;

		/* Creating or truncating: a step on the name (fsname.c). */
		if (flags & (O_CREAT | O_TRUNC)) {
			long fd = lk__fs_open(dirfd, path, flags, mode);

			if (fd < 0) {
				errno = (int)-fd;
				return -1;
			}
			return new_fd((int)fd);
		}
		r = new_fd(REAL(openat)(dirfd, path, flags, mode));

		lk__leave();
		return r;
	}
	return open_fifo(dirfd, path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = OPEN_MODE(flags, ap, flags);

	if (HAS_MODE(flags))
		va_end(ap);
	return open_at(AT_FDCWD, path, flags, mode);
}

/* open64 is the same call (off_t is 64-bit here): the same wrapper. */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = OPEN_MODE(flags, ap, flags);

	if (HAS_MODE(flags))
		va_end(ap);
	return open_at(dirfd, path, flags, mode);
}

/* The _FORTIFY_SOURCE entry points of open. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int
__open_2(const char *path, int flags)
{
	return open_at(AT_FDCWD, path, flags, 0);
}

int
__open64_2(const char *path, int flags)
{
	return open_at(AT_FDCWD, path, flags, 0);
}

/* --- shared memory ------------------------------------------------------- */

/* One scheduled call on region obj; the caller performs it in between. */
#define SHM_STEP(op_, obj_, payload, call, fail)                               \
	do {                                                                   \
		st.op = (op_);                                                 \
		st.obj = (obj_);                                               \
		payload;                                                       \
		lk__arrive((op_), st.obj, 0);                                  \
		call;                                                          \
		st.err = (fail) ? errno : 0;                                   \
		lk__done(&st, st.obj);                                         \
	} while (0)

int
shm_open(const char *name, int flags, mode_t mode)
{
	struct lk_step st = {0};
	char priv[LK_PATH_MAX];
	int fd;

	if (!lk__enter())
		return REAL(shm_open)(name, flags, mode);
	if (lk__private_name(name, priv, sizeof(priv)) != 0)
		return (int)leave(-1, ENAMETOOLONG);
	SHM_STEP(LK_OP_SHM_OPEN, lk__obj_shm_named(name),
	         st.u.shm_open.flags = flags,
	         fd = REAL(shm_open)(priv, flags, mode), fd < 0);
	st.ret = fd;
	return (int)leave(fd, st.err);
}

int
shm_unlink(const char *name)
{
	struct lk_step st = {0};
	char priv[LK_PATH_MAX];

	if (!lk__enter())
		return REAL(shm_unlink)(name);
	if (lk__private_name(name, priv, sizeof(priv)) != 0)
		return (int)leave(-1, ENAMETOOLONG);
	SHM_STEP(LK_OP_SHM_UNLINK, lk__obj_shm_named(name), (void)0,
	         st.ret = REAL(shm_unlink)(priv), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct lk_step st = {0};
	void *m;
	int obj;

	if (!lk__enter())
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	obj = fd >= 0 ? lk__obj_fd(fd) : -1;
	if (obj < 0 || lk__shared()->objects[obj].type != LK_OT_SHM) {
		void *r = REAL(mmap)(addr, len, prot, flags, fd, off);

		if (r != MAP_FAILED && (flags & MAP_SHARED))
			lk__track_add(r, len, prot);
		lk__leave();
		return r;
	}
	SHM_STEP(LK_OP_MMAP, obj, st.u.map.len = (int64_t)len,
	         m = REAL(mmap)(addr, len, prot, flags, fd, off),
	         m == MAP_FAILED);
	st.ret = m == MAP_FAILED ? -1 : 0;
	if (m != MAP_FAILED) {
		lk__obj_map(m, obj);
		if (flags & MAP_SHARED)
			lk__track_add(m, len, prot);
	}
	lk__leave();
	errno = st.err;
	return m;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int
munmap(void *addr, size_t len)
{
	struct lk_step st = {0};
	int obj;

	if (!lk__enter())
		return REAL(munmap)(addr, len);
	lk__track_remove(addr);
	obj = lk__obj_mapped(addr, 1);
	if (obj < 0) {
		int r = REAL(munmap)(addr, len);

		lk__leave();
		return r;
	}
	SHM_STEP(LK_OP_MUNMAP, obj, st.u.map.len = (int64_t)len,
	         st.ret = REAL(munmap)(addr, len), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

/* --- cells ------------------------------------------------------------- */

/*
 * A load or a store of a shared memory cell by a declared process: plain
 * memory, so the agent asks for the scheduling point itself. Exported
 * (the agent finds it with dlsym); returns the value loaded or stored.
 */
__attribute__((visibility("default"))) int64_t
lockstep_interposer_cell(int op, int obj, int64_t *addr, int64_t value)
{
	struct lk_step st = {.op = (uint16_t)op, .obj = obj};

	if (!lk__enter()) {
		if (op == LK_OP_STORE)
			*(volatile int64_t *)addr = value;
		return *(volatile int64_t *)addr;
	}
	lk__arrive((unsigned)op, obj, 0);
	if (op == LK_OP_STORE)
		*(volatile int64_t *)addr = value;
	else
		value = *(volatile int64_t *)addr;
	st.ret = value;
	lk__done(&st, -1);
	lk__leave();
	return value;
}
