/*
 * Reads and writes under the scheduler: plain (read, write), scattered
 * (readv, writev) and positioned (pread, pwrite), of pipes, FIFOs,
 * regular files and the standard streams. Each call is one step. A read
 * of an empty pipe with a write end still open somewhere is recorded as
 * blocked and retried when the pipe changes; a write to a full pipe goes
 * in with O_NONBLOCK for the call, the part that went in is a step of its
 * own and the rest waits. What the kernel does is left to the kernel: the
 * end of file comes when the last write end is really closed, a write
 * with no reader really fails with EPIPE and raises SIGPIPE, a large
 * write is really split.
 */
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* How a call reads or writes. */
enum how {
	PLAIN,  /* read, write: one buffer at the file offset */
	VECTOR, /* readv, writev: several buffers at the file offset */
	AT,     /* pread, pwrite: one buffer at a given offset */
};

/* Leave the interposer with errno set to err; returns ret. */
static ssize_t
leave(ssize_t ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* Would a read of pipe descriptor fd return at once (data, or the end of
 * file because no write end is open)? */
static int
readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) != 0;
}

/* A count of buffers as the calls take it (an int; a negative one is
 * none here, and the real call fails with EINVAL). */
static size_t
niov(int n)
{
	return n > 0 ? (size_t)n : 0;
}

/* The bytes of buffers iov[0..n); -1 when the sum does not fit (the real
 * call then fails with EINVAL). */
ssize_t
lk__iov_total(const struct iovec *iov, size_t n)
{
	size_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - sum)
			return -1;
		sum += iov[i].iov_len;
	}
	return (ssize_t)sum;
}

/* Copy what the trace keeps (LK_DATA_MAX bytes at most) of len bytes of
 * the buffers from offset skip on into out; returns how many. */
size_t
lk__iov_gather(const struct iovec *iov, size_t n, size_t skip, size_t len,
               char *out)
{
	size_t got = 0;

	if (len > LK_DATA_MAX)
		len = LK_DATA_MAX;
	for (size_t i = 0; i < n && got < len; i++) {
		size_t take;

		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - skip;
		if (take > len - got)
			take = len - got;
		memcpy(out + got, (const char *)iov[i].iov_base + skip, take);
		got += take;
		skip = 0;
	}
	return got;
}

/* --- reads --------------------------------------------------------------- */

/* The real read of one call. */
static ssize_t
real_read(int fd, const struct iovec *iov, int n, off_t pos, enum how how)
{
	if (how == VECTOR)
		return REAL(readv)(fd, iov, n);
	if (how == AT)
		return REAL(pread)(fd, iov[0].iov_base, iov[0].iov_len, pos);
	return REAL(read)(fd, iov[0].iov_base, iov[0].iov_len);
}

/* At most this many buffers in a readv or writev that --perturb cuts
 * short (more: the call moves all it can, as without it). */
#define CUT_IOV 16

/* The first k bytes of the n buffers iov, into out (CUT_IOV at most);
 * returns how many buffers. */
static int
cut(const struct iovec *iov, int n, size_t k, struct iovec *out)
{
	int m = 0;

	for (int i = 0; i < n && k > 0; i++) {
		out[m] = iov[i];
		if (out[m].iov_len > k)
			out[m].iov_len = k;
		k -= out[m++].iov_len;
	}
	return m;
}

/*
 * --perturb: a read of a pipe or FIFO that could return n >= 2 bytes
 * returns as many as the schedule or the strategy says (lk__perturb_bytes),
 * and *avail is n. Returns what the read returned, or -2 when it is not
 * cut (no --perturb, not a pipe, fewer than 2 bytes there): the caller
 * reads as usual.
 */
static ssize_t
short_read(int fd, const struct iovec *iov, int n, enum how how, int ispipe,
           int32_t *avail)
{
	struct iovec part[CUT_IOV];
	ssize_t want;
	int there = 0;
	int64_t k;

	if (!lk__shared()->perturb || !ispipe || how == AT || n < 1 ||
	    n > CUT_IOV || ioctl(fd, FIONREAD, &there) != 0 || there < 2)
		return -2;
	want = lk__iov_total(iov, niov(n));
	if (want < 2)
		return -2;
	if (want > there)
		want = there;
	k = lk__perturb_bytes(want);
	*avail = (int32_t)want;
	return REAL(readv)(fd, part, cut(iov, n, (size_t)k, part));
}

/* A read as a step (the caller entered the interposer): of a pipe, a
 * FIFO or a file; anything else is read for real, unscheduled. */
static ssize_t
read_step(int fd, const struct iovec *iov, int n, off_t pos, enum how how)
{
	struct lk_step st = {.op = LK_OP_READ, .u.rw.fd = fd};
	char data[LK_DATA_MAX];
	int ispipe, nonblock;

	st.obj = lk__obj_fd(fd);
	/* /dev/urandom: the run's bytes, not a step (entropy.c). */
	if (st.obj < 0 && lk__entropy_fd(fd))
		return leave(lk__entropy_read(iov, n), errno);
	ispipe = lk__obj_is_pipe(st.obj);
	if (!ispipe && !lk__obj_is_file(st.obj)) {
		ssize_t r = real_read(fd, iov, n, pos, how);

		lk__leave();
		return r;
	}
	nonblock = fcntl(fd, F_GETFL) & O_NONBLOCK;
	lk__arrive(LK_OP_READ, st.obj, 0);
	st.u.rw.off = how == AT ? pos : ispipe ? -1 : lseek(fd, 0, SEEK_CUR);
	/* pread of a pipe fails (ESPIPE) without waiting. */
	while (ispipe && how != AT && !nonblock &&
	       lk__iov_total(iov, niov(n)) > 0 && !readable(fd)) {
		/* TCP or UDP sent but not there yet: wait for it. */
		if (lk__sock_on_its_way(fd, st.obj))
			continue;
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, st.obj, LK_NO_TIME);
		if (lk__interrupted_restart()) {
			st.err = EINTR;
			lk__done(&st, -1);
			return leave(-1, EINTR);
		}
	}
	st.ret = short_read(fd, iov, n, how, ispipe, &st.u.rw.avail);
	if (st.ret == -2)
		st.ret = real_read(fd, iov, n, pos, how);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret >= 0)
		lk__sock_arrived(st.obj, (long)st.ret);
	st.len = st.ret > 0
	                 ? lk__iov_gather(iov, niov(n), 0, (size_t)st.ret, data)
	                 : 0;
	st.data = data;
	lk__done(&st, st.ret > 0 ? st.obj : -1);
	return leave((ssize_t)st.ret, st.err);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	struct iovec v = {buf, len};

	if (!lk__enter())
		return REAL(read)(fd, buf, len);
	return read_step(fd, &v, 1, 0, PLAIN);
}

ssize_t
readv(int fd, const struct iovec *iov, int n)
{
	if (!lk__enter())
		return REAL(readv)(fd, iov, n);
	if (n < 0 || n > IOV_MAX)
		return leave(-1, EINVAL);
	return read_step(fd, iov, n, 0, VECTOR);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t pos)
{
	struct iovec v = {buf, len};

	if (!lk__enter())
		return REAL(pread)(fd, buf, len, pos);
	return read_step(fd, &v, 1, pos, AT);
}

ssize_t
pread64(int fd, void *buf, size_t len, off64_t pos)
{
	return pread(fd, buf, len, pos);
}

/* The _FORTIFY_SOURCE entry points: a read past the buffer is left to
 * glibc, which aborts. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t len, off_t pos, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t pos,
                      size_t buflen);

ssize_t
__read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		return REAL(__read_chk)(fd, buf, len, buflen);
	return read(fd, buf, len);
}

ssize_t
__pread_chk(int fd, void *buf, size_t len, off_t pos, size_t buflen)
{
	if (len > buflen)
		return REAL(__read_chk)(fd, buf, len, buflen);
	return pread(fd, buf, len, pos);
}

ssize_t
__pread64_chk(int fd, void *buf, size_t len, off64_t pos, size_t buflen)
{
	return __pread_chk(fd, buf, len, pos, buflen);
}

/* --- writes -------------------------------------------------------------- */

/* The real write of one call. */
static ssize_t
real_write(int fd, const struct iovec *iov, int n, off_t pos, enum how how)
{
	if (how == VECTOR)
		return REAL(writev)(fd, iov, n);
	if (how == AT)
		return REAL(pwrite)(fd, iov[0].iov_base, iov[0].iov_len, pos);
	return REAL(write)(fd, iov[0].iov_base, iov[0].iov_len);
}

/* The real write of what is left of buffers iov[0..n) after done bytes,
 * with flags as the descriptor's flags for the call. */
static ssize_t
write_rest(int fd, const struct iovec *iov, int n, size_t done, int flags,
           enum how how)
{
	struct iovec one, *rest = NULL;
	ssize_t w;
	int k = 0, saved;

	while (k < n && done >= iov[k].iov_len)
		done -= iov[k++].iov_len;
	if (k == n)
		return real_write(fd, iov, 0, 0, how == PLAIN ? VECTOR : how);
	if (how == PLAIN) {
		one.iov_base = (char *)iov[0].iov_base + done;
		one.iov_len = iov[0].iov_len - done;
		rest = &one;
	} else if (done > 0 || k > 0) {
		/* Restart the vector where the last piece stopped. */
		struct iovec *v = calloc((size_t)(n - k), sizeof(*v));

		if (v == NULL) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(v, iov + k, (size_t)(n - k) * sizeof(*v));
		v[0].iov_base = (char *)v[0].iov_base + done;
		v[0].iov_len -= done;
		rest = v;
	}
	if (!(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	w = real_write(fd, rest != NULL ? rest : iov, rest == &one ? 1 : n - k,
	               0, how);
	saved = errno;
	if (!(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags);
	if (rest != NULL && rest != &one)
		free(rest);
	errno = saved;
	return w;
}

/*
 * A write to a pipe or FIFO. At most PIPE_BUF bytes go in at once or not
 * at all; more may go in pieces: each piece that went in while the rest
 * must wait is a blocked step carrying those bytes, and the call returns
 * once everything is in, as a blocking write does. SIGPIPE is held back
 * until the step is recorded, then delivered as the kernel raised it.
 */
static ssize_t
pipe_write(int fd, const struct iovec *iov, int n, int obj, enum how how)
{
	struct lk_step st = {.op = LK_OP_WRITE, .obj = obj, .u.rw.fd = fd};
	int flags = fcntl(fd, F_GETFL);
	ssize_t len = lk__iov_total(iov, niov(n)), w;
	char data[LK_DATA_MAX];
	sigset_t pipe_sig, old;
	size_t done = 0;
	struct iovec part[CUT_IOV];

	if (flags < 0)
		flags = 0;
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	lk__sigmask(SIG_BLOCK, &pipe_sig, &old);
	lk__arrive(LK_OP_WRITE, obj, 0);
	/* --perturb: a non-blocking write of more than PIPE_BUF bytes may
	 * move fewer than would fit (POSIX; a blocking one returns them all
	 * unless a signal interrupts it): len, 1 or len / 2. */
	if (lk__shared()->perturb && (flags & O_NONBLOCK) && how != AT &&
	    len > PIPE_BUF && len <= INT32_MAX && n >= 1 && n <= CUT_IOV) {
		int64_t k = lk__perturb_bytes(len);

		st.u.rw.avail = (int32_t)len;
		if (k < len) {
			n = cut(iov, n, (size_t)k, part);
			iov = part;
			how = VECTOR;
			len = k;
		}
	}
	for (;;) {
		w = write_rest(fd, iov, n, done, flags, how);
		st.err = w < 0 ? errno : 0;
		if (w > 0)
			done += (size_t)w;
		if (len < 0 || done == (size_t)len ||
		    (w < 0 && st.err != EAGAIN) || (flags & O_NONBLOCK))
			break;
		/* Full: what went in is a step, the rest waits. */
		st.ret = w > 0 ? w : -1;
		st.err = EAGAIN;
		st.len = w > 0 ? lk__iov_gather(iov, niov(n), done - (size_t)w,
		                                (size_t)w, data)
		               : 0;
		st.data = st.len > 0 ? data : NULL;
		/* The piece that went in is data for a waiting reader. */
		if (w > 0)
			lk__wake(obj);
		lk__block(&st, obj, LK_NO_TIME);
	}
	st.ret = done > 0 || w >= 0 ? (ssize_t)done : -1;
	/* What is on its way to a TCP or UDP end (sock.c). */
	if (st.ret >= 0)
		lk__sock_sent(obj, (long)done);
	st.len = lk__iov_gather(iov, niov(n), 0, done, data);
	st.data = data;
	lk__done(&st, done > 0 ? obj : -1);
	lk__leave();
	/* The real mask: the program's own mask is not changed. */
	lk__sigmask(SIG_SETMASK, &old, NULL);
	errno = st.err;
	return (ssize_t)st.ret;
}

/* A write as a step (the caller entered the interposer). */
static ssize_t
write_step(int fd, const struct iovec *iov, int n, off_t pos, enum how how)
{
	struct lk_step st = {.op = LK_OP_WRITE, .u.rw.fd = fd};
	ssize_t len = lk__iov_total(iov, niov(n));
	char data[LK_DATA_MAX];
	int append;

	st.obj = lk__obj_fd(fd);
	if (lk__obj_is_pipe(st.obj) && how != AT)
		return pipe_write(fd, iov, n, lk__obj_sock_out(st.obj), how);
	st.len = lk__iov_gather(iov, niov(n), 0, len > 0 ? (size_t)len : 0,
	                        data);
	st.data = data;
	lk__arrive(LK_OP_WRITE, st.obj, 0);
	/* The offset once we hold the turn: a process sharing the open
	 * file description may have moved it while we waited. */
	st.u.rw.off = how == AT                 ? pos
	              : lk__obj_is_file(st.obj) ? lseek(fd, 0, SEEK_CUR)
	                                        : -1;
	append = how != AT && st.u.rw.off >= 0 &&
	         (fcntl(fd, F_GETFL) & O_APPEND);
	if (append)
		st.u.rw.off = lseek(fd, 0, SEEK_END);
	st.ret = real_write(fd, iov, n, pos, how);
	st.err = st.ret < 0 ? errno : 0;
	if (append && st.ret >= 0)
		st.u.rw.off = lseek(fd, 0, SEEK_CUR) - st.ret;
	lk__done(&st, st.obj);
	return leave((ssize_t)st.ret, st.err);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	struct iovec v = {(void *)buf, len};

	if (!lk__enter())
		return REAL(write)(fd, buf, len);
	return write_step(fd, &v, 1, 0, PLAIN);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
	if (!lk__enter())
		return REAL(writev)(fd, iov, n);
	if (n < 0 || n > IOV_MAX)
		return leave(-1, EINVAL);
	return write_step(fd, iov, n, 0, VECTOR);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t pos)
{
	struct iovec v = {(void *)buf, len};

	if (!lk__enter())
		return REAL(pwrite)(fd, buf, len, pos);
	return write_step(fd, &v, 1, pos, AT);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off64_t pos)
{
	return pwrite(fd, buf, len, pos);
}
