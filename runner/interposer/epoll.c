/*
 * epoll_wait, epoll_pwait and epoll_pwait2 on pipes and FIFOs, as steps,
 * like poll (poll.c). The interest list is the kernel's own, read from
 * /proc/self/fdinfo of the epoll descriptor at each attempt: so
 * epoll_create, epoll_ctl ADD, MOD and DEL, closing the epoll descriptor
 * or the last descriptor of a watched pipe, dup, fork and exec (with or
 * without EPOLL_CLOEXEC) are what the kernel made of them, in whichever
 * process made them. Which entries are ready, in which order, and how
 * many fit maxevents is the kernel's answer (epoll_wait with a zero
 * timeout) for the state the schedule made: one process runs at a time,
 * so the pipes and the epoll's ready list hold what the earlier steps
 * did to them, and the answer is the same on replay. Edge-triggered
 * (EPOLLET) and one-shot (EPOLLONESHOT) entries are therefore the
 * kernel's too: an edge already reported is not reported again, and a
 * one-shot entry stays disabled until an EPOLL_CTL_MOD.
 *
 * The event lists the descriptors of the entries it returned, in the
 * order returned (an entry whose data matches no single entry's is -1:
 * data may be a pointer, which differs from run to run). An epoll set
 * that watches anything but pipes and FIFOs (a standard stream, a
 * socket, an eventfd, a timerfd, a signalfd, inotify, another epoll), or
 * an entry whose descriptor this process no longer has, makes the call
 * unscheduled and real, as poll does for what it does not model.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "interposer.h"

#define MAX_ENTRIES 256

/* One entry of the interest list. */
struct entry {
	int fd;
	uint64_t data;
};

static int
by_fd(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* The interest list of epfd: entries and their objects. n gets how many
 * (at most MAX_ENTRIES). 1 when every entry is a pipe or FIFO this
 * process has under its registered descriptor, else 0. */
static int
interest(int epfd, struct entry *e, int *obj, size_t *n)
{
	char path[64], buf[16384], *line, *save = NULL;
	ssize_t got, len = 0;
	int fd, saved = errno, ok = 1;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", epfd);
	got = readlink(path, buf, sizeof(buf) - 1);
	if (got >= 0)
		buf[got] = '\0';
	if (got < 0 || strcmp(buf, "anon_inode:[eventpoll]") != 0)
		ok = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
	if (ok && (fd = (int)syscall(SYS_openat, AT_FDCWD, path,
	                             O_RDONLY | O_CLOEXEC)) >= 0) {
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (got = (ssize_t)syscall(SYS_read, fd, buf + len,
		                               sizeof(buf) - 1 - (size_t)len)) >
		               0)
			len += got;
		syscall(SYS_close, fd);
		/* A list that does not fit is not modelled. */
		ok = len < (ssize_t)sizeof(buf) - 1;
	} else
		ok = 0;
	buf[ok ? len : 0] = '\0';
	for (line = strtok_r(buf, "\n", &save); ok && line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long data, ino;
		unsigned events, sdev;
		long long pos;
		struct stat st;
		int tfd;

		if (strncmp(line, "tfd:", 4) != 0)
			continue;
		if (*n == MAX_ENTRIES ||
		    sscanf(line,
		           "tfd: %d events: %x data: %llx pos:%lld ino:%llx "
		           "sdev:%x",
		           &tfd, &events, &data, &pos, &ino, &sdev) != 6 ||
		    fstat(tfd, &st) != 0 || st.st_ino != ino ||
		    major(st.st_dev) != sdev >> 20 ||
		    minor(st.st_dev) != (sdev & 0xfffff)) {
			ok = 0;
			break;
		}
		e[*n].fd = tfd;
		e[*n].data = data;
		obj[*n] = lk__obj_fd(tfd);
		if (obj[*n] < 0 || !lk__obj_is_pipe(obj[*n]))
			ok = 0;
		(*n)++;
	}
	/* The kernel keeps them in the order of its file pointers, which
	 * differs from run to run: by descriptor instead. */
	qsort(e, *n, sizeof(*e), by_fd);
	for (size_t i = 0; ok && i < *n; i++)
		obj[i] = lk__obj_fd(e[i].fd);
	errno = saved;
	return ok;
}

struct epoll_ctx {
	int epfd;
	struct epoll_event *events;
	int maxevents;
	const struct entry *e;
	const int *obj;
	size_t n;
};

/* The kernel's answer now; the descriptors of what it returned. */
static int
epoll_ready(void *ctx, char *text, size_t size, size_t *len)
{
	struct epoll_ctx *c = ctx;
	int r = REAL(epoll_wait)(c->epfd, c->events, c->maxevents, 0), k = 0;
	int ready[MAX_ENTRIES];

	*len = 0;
	text[0] = '\0';
	for (int i = 0; i < r && *len + 12 < size; i++) {
		int fd = -1, hits = 0;

		int o = -1;

		for (size_t j = 0; j < c->n; j++)
			if (c->e[j].data == c->events[i].data.u64) {
				fd = c->e[j].fd;
				o = c->obj[j];
				hits++;
			}
		*len += (size_t)snprintf(text + *len, size - *len, "%s%d",
		                         *len ? " " : "", hits == 1 ? fd : -1);
		if (hits == 1 && k < MAX_ENTRIES)
			ready[k++] = o;
	}
	if (r > 0)
		*len = lk__ready_objs(text, *len, size, ready, (size_t)k);
	return r;
}

/* The step, when the set is modelled (1); else 0 and the caller makes
 * the call for real. */
static int
epoll_call(unsigned op, int epfd, struct epoll_event *events, int maxevents,
           long long timeout_ns, const sigset_t *mask, int *r)
{
	struct entry e[MAX_ENTRIES];
	int obj[MAX_ENTRIES];
	struct epoll_ctx c = {epfd, events, maxevents, e, obj, 0};
	struct lk_watch w = {.obj = obj, .ready = epoll_ready, .ctx = &c};
	uint64_t left;

	/* Bad arguments: the kernel says so, unscheduled. */
	if (maxevents <= 0 || events == NULL || timeout_ns == -2 ||
	    !interest(epfd, e, obj, &c.n))
		return 0;
	w.n = c.n;
	w.nfds = (int64_t)c.n;
	w.first = -1;
	for (size_t i = 0; i < c.n && w.first < 0; i++)
		w.first = obj[i];
	*r = lk__ready_step(op, &w, timeout_ns, mask, &left);
	return 1;
}

static long long
ms_timeout(int timeout)
{
	return timeout < 0 ? -1 : (long long)timeout * 1000000;
}

int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	int r, err;

	if (!lk__enter())
		return REAL(epoll_wait)(epfd, events, maxevents, timeout);
	if (!epoll_call(LK_OP_EPOLL_WAIT, epfd, events, maxevents,
	                ms_timeout(timeout), NULL, &r)) {
		lk__leave();
		return REAL(epoll_wait)(epfd, events, maxevents, timeout);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}

int
epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
            const sigset_t *mask)
{
	int r, err;

	if (!lk__enter())
		return REAL(epoll_pwait)(epfd, events, maxevents, timeout,
		                         mask);
	if (!epoll_call(LK_OP_EPOLL_PWAIT, epfd, events, maxevents,
	                ms_timeout(timeout), mask, &r)) {
		lk__leave();
		return REAL(epoll_pwait)(epfd, events, maxevents, timeout,
		                         mask);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}

/* epoll_pwait2 is new in glibc 2.35: looked up when called. */
typedef int (*pwait2_fn)(int, struct epoll_event *, int,
                         const struct timespec *, const sigset_t *);

static int
real_pwait2(int epfd, struct epoll_event *events, int maxevents,
            const struct timespec *ts, const sigset_t *mask)
{
	static pwait2_fn real;

	if (real == NULL)
		real = (pwait2_fn)dlsym(RTLD_NEXT, "epoll_pwait2");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(epfd, events, maxevents, ts, mask);
}

int
epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
             const struct timespec *ts, const sigset_t *mask)
{
	long long t = -1;
	int r, err;

	if (!lk__enter())
		return real_pwait2(epfd, events, maxevents, ts, mask);
	if (ts != NULL)
		t = ts->tv_sec < 0 || ts->tv_nsec < 0 ||
		                    ts->tv_nsec >= 1000000000 ||
		                    ts->tv_sec > 1000000000
		            ? -2
		            : (long long)ts->tv_sec * 1000000000 + ts->tv_nsec;
	if (!epoll_call(LK_OP_EPOLL_PWAIT, epfd, events, maxevents, t, mask,
	                &r)) {
		lk__leave();
		return real_pwait2(epfd, events, maxevents, ts, mask);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}
