/*
 * The wrapped calls of pipes, FIFOs and shared memory. Like the
 * semaphore wrappers, each is a scheduling point that never blocks for
 * real: a read of an empty pipe, a write to a full one and the open of a
 * FIFO with nobody at the other end are recorded as blocked and retried
 * when the object changes (a write, a read, a close, an open, an exit).
 * What the kernel does is left to the kernel: the end of file comes when
 * the last write end is really closed, a write with no reader really
 * fails with EPIPE and raises SIGPIPE, a large write is really split.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interposer/interposer.h"

/* Lazily resolve: a call may come before our constructor ran. */
#define REAL(name)                                                             \
	(lk__real_##name != NULL ? 0 : (lk__resolve(), 0), lk__real_##name)

/* Leave the interposer with errno set to err; returns ret. */
static long
leave(long ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* Is obj a pipe or a FIFO? */
static int
is_pipe(int obj)
{
	const struct lk_shared *sh = lk__shared();

	return obj >= 0 && (sh->objects[obj].type == LK_OT_PIPE ||
	                    sh->objects[obj].type == LK_OT_FIFO);
}

/* Is obj a regular file of the run (a declared or a discovered one)? */
static int
is_file(int obj)
{
	return obj >= 0 && lk__shared()->objects[obj].type == LK_OT_FILE;
}

/* Would a read of pipe descriptor fd return at once (data, or the end of
 * file because no write end is open)? */
static int
readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) != 0;
}

/* --- read and write ---------------------------------------------------- */

ssize_t
read(int fd, void *buf, size_t len)
{
	struct lk_step st = {.op = LK_OP_READ, .arg = fd};
	int nonblock;

	if (!lk__enter())
		return REAL(read)(fd, buf, len);
	st.obj = lk__obj_fd(fd);
	if (!is_pipe(st.obj) && !is_file(st.obj)) {
		lk__leave();
		return REAL(read)(fd, buf, len);
	}
	nonblock = fcntl(fd, F_GETFL) & O_NONBLOCK;
	st.off = is_file(st.obj) ? lseek(fd, 0, SEEK_CUR) : -1;
	lk__arrive(LK_OP_READ, st.obj, 0);
	while (is_pipe(st.obj) && !nonblock && len > 0 && !readable(fd)) {
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, st.obj, LK_NO_TIME);
		if (lk__interrupted()) {
			st.err = EINTR;
			lk__done(&st, -1);
			return leave(-1, EINTR);
		}
	}
	st.ret = REAL(read)(fd, buf, len);
	st.err = st.ret < 0 ? errno : 0;
	st.data = buf;
	st.len = st.ret > 0 ? (size_t)st.ret : 0;
	lk__done(&st, st.ret > 0 ? st.obj : -1);
	return leave(st.ret, st.err);
}

/* One write(2) to a pipe that cannot block: O_NONBLOCK for the call. */
static ssize_t
pipe_write_once(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n;
	int saved;

	if (flags & O_NONBLOCK)
		return REAL(write)(fd, buf, len);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	n = REAL(write)(fd, buf, len);
	saved = errno;
	fcntl(fd, F_SETFL, flags);
	errno = saved;
	return n;
}

/*
 * write(2) to a pipe or FIFO. At most PIPE_BUF bytes go in at once or not
 * at all; more may go in pieces: each piece that went in while the rest
 * must wait is a blocked step carrying those bytes, and the call returns
 * once everything is in, as a blocking write does. SIGPIPE is held back
 * until the step is recorded, then delivered as the kernel raised it.
 */
static ssize_t
pipe_write(int fd, const char *buf, size_t len, int obj)
{
	struct lk_step st = {.op = LK_OP_WRITE, .obj = obj, .arg = fd};
	int flags = fcntl(fd, F_GETFL);
	sigset_t pipe_sig, old;
	size_t done = 0;
	ssize_t n;

	if (flags < 0)
		flags = 0;
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_sig, &old);
	lk__arrive(LK_OP_WRITE, obj, 0);
	for (;;) {
		n = pipe_write_once(fd, buf + done, len - done, flags);
		st.err = n < 0 ? errno : 0;
		if (n > 0)
			done += (size_t)n;
		if (done == len || (n < 0 && st.err != EAGAIN) ||
		    (flags & O_NONBLOCK))
			break;
		/* Full: what went in is a step, the rest waits. */
		st.ret = n > 0 ? n : -1;
		st.err = EAGAIN;
		st.data = n > 0 ? buf + done - (size_t)n : NULL;
		st.len = n > 0 ? (size_t)n : 0;
		lk__block(&st, obj, LK_NO_TIME);
	}
	st.ret = done > 0 || n >= 0 ? (ssize_t)done : -1;
	st.data = buf;
	st.len = done;
	lk__done(&st, done > 0 ? obj : -1);
	lk__leave();
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = st.err;
	return (ssize_t)st.ret;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	struct lk_step st = {.op = LK_OP_WRITE, .data = buf, .len = len};

	if (!lk__enter())
		return REAL(write)(fd, buf, len);
	st.obj = lk__obj_fd(fd);
	st.arg = fd;
	if (is_pipe(st.obj))
		return pipe_write(fd, buf, len, st.obj);
	st.off = is_file(st.obj) ? lseek(fd, 0, SEEK_CUR) : -1;
	lk__arrive(LK_OP_WRITE, st.obj, 0);
	if (st.off >= 0 && (fcntl(fd, F_GETFL) & O_APPEND))
		st.off = lseek(fd, 0, SEEK_END);
	st.ret = REAL(write)(fd, buf, len);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret >= 0 && st.off >= 0 && (fcntl(fd, F_GETFL) & O_APPEND))
		st.off = lseek(fd, 0, SEEK_CUR) - st.ret;
	lk__done(&st, st.obj);
	return leave((long)st.ret, st.err);
}

/* --- descriptors --------------------------------------------------------- */

int
close(int fd)
{
	struct lk_step st = {.op = LK_OP_CLOSE, .arg = fd};

	if (!lk__enter())
		return REAL(close)(fd);
	st.obj = lk__obj_fd(fd);
	lk__obj_fd_forget(fd);
	if (!is_pipe(st.obj)) {
		/* Closing any descriptor of a file drops the process's
		 * record locks on it: whoever waits for one may go on. */
		if (is_file(st.obj))
			lk__wake(st.obj);
		lk__leave();
		return REAL(close)(fd);
	}
	/* Closing a pipe end may bring the end of file: a step. Which end
	 * it was (O_RDONLY, O_WRONLY) goes in off. */
	st.off = fcntl(fd, F_GETFL) & O_ACCMODE;
	lk__arrive(LK_OP_CLOSE, st.obj, 0);
	st.ret = REAL(close)(fd);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	return (int)leave(st.ret, st.err);
}

/* dup2 and dup3: a step when a pipe end is copied or replaced. */
static int
dup_to(int oldfd, int newfd, int flags, int three)
{
	struct lk_step st = {.op = LK_OP_DUP2, .arg = newfd};
	int replaced;

	st.obj = lk__obj_fd(oldfd);
	replaced = oldfd != newfd ? lk__obj_fd(newfd) : -1;
	if (!is_pipe(st.obj) && !is_pipe(replaced)) {
		lk__obj_fd_forget(newfd);
		lk__leave();
		return three ? REAL(dup3)(oldfd, newfd, flags)
		             : REAL(dup2)(oldfd, newfd);
	}
	if (!is_pipe(st.obj))
		st.obj = replaced;
	st.off = fcntl(is_pipe(lk__obj_fd(oldfd)) ? oldfd : newfd, F_GETFL) &
	         O_ACCMODE;
	lk__arrive(LK_OP_DUP2, st.obj, 0);
	st.ret = three ? REAL(dup3)(oldfd, newfd, flags)
	               : REAL(dup2)(oldfd, newfd);
	st.err = st.ret < 0 ? errno : 0;
	lk__obj_fd_forget(newfd);
	lk__done(&st, st.obj);
	if (is_pipe(replaced) && replaced != st.obj)
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

/* --- record locks: fcntl and flock -------------------------------------- */

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
	st.arg = (int64_t)cmd | (int64_t)(fl->l_type & 0xff) << 8 |
	         (int64_t)fl->l_len << 16;
	st.off = fl->l_start;
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
	if (!is_lock_cmd(cmd) || arg == NULL || !lk__enter())
		return REAL(fcntl)(fd, cmd, arg);
	return fcntl_lock(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...);

int
fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!is_lock_cmd(cmd) || arg == NULL || !lk__enter())
		return REAL(fcntl)(fd, cmd, arg);
	return fcntl_lock(fd, cmd, arg);
}

int
flock(int fd, int op)
{
	struct lk_step st = {.op = LK_OP_FLOCK, .arg = op};

	if (!lk__enter())
		return REAL(flock)(fd, op);
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
	st.ret = fd;
	st.arg = fd;
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
#define OPEN_MODE(flags, ap, last)                                             \
	((flags) & (O_CREAT | O_TMPFILE)                                       \
	         ? (va_start(ap, last), (mode_t)va_arg(ap, int))               \
	         : (mode_t)0)

/* An open under control: FIFOs wait for their other end. */
static int
open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	if (!lk__enter())
		return REAL(openat)(dirfd, path, flags, mode);
	if (!names_fifo(dirfd, path)) {
		lk__leave();
		return REAL(openat)(dirfd, path, flags, mode);
	}
	return open_fifo(dirfd, path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = OPEN_MODE(flags, ap, flags);

	if (flags & (O_CREAT | O_TMPFILE))
		va_end(ap);
	return open_at(AT_FDCWD, path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = OPEN_MODE(flags, ap, flags);

	if (flags & (O_CREAT | O_TMPFILE))
		va_end(ap);
	return open_at(AT_FDCWD, path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode = OPEN_MODE(flags, ap, flags);

	if (flags & (O_CREAT | O_TMPFILE))
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
#define SHM_STEP(op_, obj_, arg_, call, fail)                                  \
	do {                                                                   \
		st.op = (op_);                                                 \
		st.obj = (obj_);                                               \
		st.arg = (arg_);                                               \
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
	SHM_STEP(LK_OP_SHM_OPEN, lk__obj_shm_named(name), flags,
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
	SHM_STEP(LK_OP_SHM_UNLINK, lk__obj_shm_named(name), 0,
	         st.ret = REAL(shm_unlink)(priv), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct lk_step st = {0};
	void *m;
	int obj;

	if (fd < 0 || !lk__enter())
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	obj = lk__obj_fd(fd);
	if (obj < 0 || lk__shared()->objects[obj].type != LK_OT_SHM) {
		lk__leave();
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	}
	SHM_STEP(LK_OP_MMAP, obj, (int64_t)len,
	         m = REAL(mmap)(addr, len, prot, flags, fd, off),
	         m == MAP_FAILED);
	st.ret = m == MAP_FAILED ? -1 : 0;
	if (m != MAP_FAILED)
		lk__obj_map(m, obj);
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
	obj = lk__obj_mapped(addr, 1);
	if (obj < 0) {
		lk__leave();
		return REAL(munmap)(addr, len);
	}
	SHM_STEP(LK_OP_MUNMAP, obj, (int64_t)len,
	         st.ret = REAL(munmap)(addr, len), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

int
shmget(key_t key, size_t size, int flags)
{
	struct lk_step st = {0};
	int id;

	if (!lk__enter())
		return REAL(shmget)(key, size, flags);
	SHM_STEP(LK_OP_SHMGET, lk__obj_shm_key(key), (int64_t)size,
	         id = REAL(shmget)(key, size, flags), id < 0);
	if (id >= 0 && st.obj < 0)
		lk__obj_shm_id(id); /* the program's own: named by order */
	st.ret = id;
	return (int)leave(id, st.err);
}

void *
shmat(int id, const void *addr, int flags)
{
	struct lk_step st = {0};
	void *m;

	if (!lk__enter())
		return REAL(shmat)(id, addr, flags);
	SHM_STEP(LK_OP_SHMAT, lk__obj_shm_id(id), id,
	         m = REAL(shmat)(id, addr, flags), m == (void *)-1);
	if (m != (void *)-1)
		lk__obj_map(m, st.obj);
	lk__leave();
	errno = st.err;
	return m;
}

int
shmdt(const void *addr)
{
	struct lk_step st = {0};
	int obj;

	if (!lk__enter())
		return REAL(shmdt)(addr);
	obj = lk__obj_mapped(addr, 1);
	SHM_STEP(LK_OP_SHMDT, obj, 0, st.ret = REAL(shmdt)(addr), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

int
shmctl(int id, int cmd, struct shmid_ds *buf)
{
	struct lk_step st = {0};

	if (!lk__enter())
		return REAL(shmctl)(id, cmd, buf);
	SHM_STEP(LK_OP_SHMCTL, lk__obj_shm_id(id), cmd,
	         st.ret = REAL(shmctl)(id, cmd, buf), st.ret < 0);
	return (int)leave(st.ret, st.err);
}

/* --- SysV semaphore sets ------------------------------------------------ */

/* Remember a SEM_UNDO adjustment of semaphore num of set id. */
static void
note_undo(int obj, int id, unsigned num, int adj)
{
	struct lk_slot *me = lk__self();
	int free_at = -1;

	for (int i = 0; i < 8; i++) {
		if (me->semadj[i].adj != 0 && me->semadj[i].id == id &&
		    me->semadj[i].num == num) {
			me->semadj[i].adj = (int16_t)(me->semadj[i].adj + adj);
			return;
		}
		if (me->semadj[i].adj == 0 && free_at < 0)
			free_at = i;
	}
	if (free_at >= 0) {
		me->semadj[free_at].obj = obj;
		me->semadj[free_at].id = id;
		me->semadj[free_at].num = (uint16_t)num;
		me->semadj[free_at].adj = (int16_t)adj;
	}
}

/* At exit: apply the process's SEM_UNDO adjustments now, as operations
 * with SEM_UNDO themselves, so the kernel has nothing left to undo. */
void
lk__undo_semops(void)
{
	struct lk_slot *me = lk__self();

	for (int i = 0; i < 8; i++) {
		struct sembuf op;

		if (me->semadj[i].adj == 0)
			continue;
		op.sem_num = me->semadj[i].num;
		op.sem_op = me->semadj[i].adj;
		op.sem_flg = SEM_UNDO | IPC_NOWAIT;
		REAL(semop)(me->semadj[i].id, &op, 1);
		me->semadj[i].adj = 0;
		lk__wake(me->semadj[i].obj);
	}
}

/*
 * semop as a step: the operations with IPC_NOWAIT added, all applied at
 * once by the kernel or none; EAGAIN is a blocked step, retried when the
 * set changes (another semop, or an exit undoing SEM_UNDO operations).
 * The event's data is the operations as text, "[0]-1 [1]+1".
 */
static int
semop_step(int id, struct sembuf *ops, size_t n, uint64_t deadline)
{
	struct lk_step st = {.op = LK_OP_SEMOP, .arg = (int64_t)n};
	struct sembuf nb[64];
	char text[64 * 16];
	size_t len = 0;
	int nowait = 0;

	if (n == 0 || n > 64)
		return (int)leave(-1, n == 0 ? EINVAL : E2BIG);
	for (size_t i = 0; i < n; i++) {
		nb[i] = ops[i];
		nowait |= ops[i].sem_flg & IPC_NOWAIT;
		nb[i].sem_flg |= IPC_NOWAIT;
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s[%u]%+d", i ? " " : "",
		                        ops[i].sem_num, ops[i].sem_op);
	}
	st.data = text;
	st.len = len < sizeof(text) ? len : sizeof(text) - 1;
	st.obj = lk__obj_semset(id);
	lk__arrive(LK_OP_SEMOP, st.obj, 0);
	for (;;) {
		st.ret = REAL(semop)(id, nb, n);
		st.err = st.ret < 0 ? errno : 0;
		if (st.ret == 0 || st.err != EAGAIN || nowait)
			break;
		if (lk__now() >= deadline) {
			st.err = EAGAIN;
			break;
		}
		lk__block(&st, st.obj, deadline);
		if (lk__interrupted()) {
			st.ret = -1;
			st.err = EINTR;
			break;
		}
	}
	if (st.ret == 0)
		for (size_t i = 0; i < n; i++)
			if (ops[i].sem_flg & SEM_UNDO)
				note_undo(st.obj, id, ops[i].sem_num,
				          -ops[i].sem_op);
	lk__done(&st, st.ret == 0 ? st.obj : -1);
	return (int)leave(st.ret, st.err);
}

int
semop(int id, struct sembuf *ops, size_t n)
{
	if (!lk__enter())
		return REAL(semop)(id, ops, n);
	return semop_step(id, ops, n, LK_NO_TIME);
}

int
semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *t)
{
	if (!lk__enter())
		return REAL(semtimedop)(id, ops, n, t);
	return semop_step(
	        id, ops, n,
	        t == NULL ? LK_NO_TIME
	                  : lk__now() + (uint64_t)t->tv_sec * 1000000000u +
	                            (uint64_t)t->tv_nsec);
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
