/*
 * poll and select on pipes, FIFOs, regular files and the standard streams,
 * as steps. Which descriptors are ready is the kernel's answer for the
 * state lockstep's schedule made (one process runs at a time, so the
 * pipes hold what the earlier steps wrote), asked with a zero timeout; the
 * standard streams are always ready for what is asked, whatever they
 * really are (a tty, a pipe, /dev/null), so that the answer does not
 * depend on how lockstep was started. A poll that finds nothing ready
 * waits as a blocked step until one of its objects changes, or until its
 * timeout on the virtual clock. The ready descriptors are in the event.
 * A call that watches anything else (a socket, an eventfd, a terminal the
 * program opened) is made for real, unscheduled, as before.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "interposer.h"

#define READY_EVENTS (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)

/* Can every descriptor of fds be modelled? Fills obj[i] (-1 for a
 * negative fd) and *first, the object the step is recorded on. */
static int
modelled(const struct pollfd *fds, nfds_t n, int *obj, int *first)
{
	const struct lk_shared *sh = lk__shared();

	*first = -1;
	for (nfds_t i = 0; i < n; i++) {
		obj[i] = -1;
		if (fds[i].fd < 0)
			continue;
		obj[i] = lk__obj_fd(fds[i].fd);
		/* A socket's end asked for room only: the peer's end, which
		 * its reader empties, makes it (sock.c). */
		if (lk__obj_is_sock(obj[i]) &&
		    !(fds[i].events & (POLLIN | POLLRDNORM)))
			obj[i] = lk__obj_sock_out(obj[i]);
		if (obj[i] < 0 ||
		    (!lk__obj_is_pipe(obj[i]) && !lk__obj_is_file(obj[i]) &&
		     sh->objects[obj[i]].type != LK_OT_STREAM))
			return 0;
		if (*first < 0 || (sh->objects[*first].type == LK_OT_STREAM &&
		                   sh->objects[obj[i]].type != LK_OT_STREAM))
			*first = obj[i];
	}
	return 1;
}

/* The ready set now: the kernel's for pipes and files, "ready" for the
 * standard streams. Returns how many are ready, or -1 with errno. */
static int
ready_now(struct pollfd *fds, nfds_t n, const int *obj)
{
	const struct lk_shared *sh = lk__shared();
	int r = REAL(poll)(fds, n, 0), count = 0;

	if (r < 0)
		return -1;
	for (nfds_t i = 0; i < n; i++) {
		if (obj[i] >= 0 && sh->objects[obj[i]].type == LK_OT_STREAM)
			fds[i].revents = (short)(fds[i].events & READY_EVENTS);
		if (fds[i].fd >= 0 && fds[i].revents != 0)
			count++;
	}
	return count;
}

size_t
lk__ready_objs(char *buf, size_t len, size_t size, const int *obj, size_t n)
{
	size_t need = 2;

	for (size_t i = 0; i < n; i++)
		need += 12;
	if (n == 0 || len + need > size)
		return len;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%d",
		                        i ? " " : "|", obj[i]);
	return len;
}

/* The ready descriptors as text ("3 5"), then their objects ("|2 4"),
 * for the event. */
static size_t
ready_text(const struct pollfd *fds, nfds_t n, const int *obj, char *buf,
           size_t size)
{
	int small[64], *ready = small;
	size_t len = 0, k = 0;

	if (n > 64 && (ready = calloc(n, sizeof(*ready))) == NULL)
		ready = NULL;
	buf[0] = '\0';
	for (nfds_t i = 0; i < n && len + 12 < size; i++)
		if (fds[i].fd >= 0 && fds[i].revents != 0) {
			len += (size_t)snprintf(buf + len, size - len, "%s%d",
			                        len ? " " : "", fds[i].fd);
			if (ready != NULL)
				ready[k++] = obj[i];
		}
	if (ready != NULL)
		len = lk__ready_objs(buf, len, size, ready, k);
	if (ready != small)
		free(ready);
	return len;
}

int
lk__ready_step(unsigned op, const struct lk_watch *w, long long timeout_ns,
               const sigset_t *mask, uint64_t *left)
{
	struct lk_step st = {.op = (uint16_t)op, .obj = w->first};
	struct lk_slot *me = lk__self();
	uint64_t deadline = timeout_ns < 0 ? LK_NO_TIME : 0, saved = 0;
	char text[LK_DATA_MAX];
	size_t len = 0;

	st.u.poll.nfds = w->nfds;
	/* The objects it watches, for explore (dpor.c): it reads them all. */
	for (size_t i = 0; i < w->n; i++)
		if (w->obj[i] >= 0 && w->obj[i] < 64)
			st.u.poll.watched |= 1ull << w->obj[i];
	if (mask != NULL)
		saved = lk__call_mask(mask);
	lk__arrive(op, w->first, 0);
	if (mask != NULL)
		lk__call_mask_arrived();
	if (timeout_ns >= 0)
		deadline = lk__now() + (uint64_t)timeout_ns;
	for (;;) {
		st.ret = w->ready(w->ctx, text, sizeof(text), &len);
		st.err = st.ret < 0 ? errno : 0;
		if (st.ret != 0)
			break;
		/* Nothing ready and a signal the call's mask lets through is
		 * pending: it interrupts, as the kernel's ppoll does. */
		if (mask != NULL && lk__deliver_now()) {
			st.ret = -1;
			st.err = EINTR;
			break;
		}
		if (lk__now() >= deadline)
			break;
		/* Nothing ready: blocked until one of them changes. */
		memset(me->poll_objs, 0, sizeof(me->poll_objs));
		for (size_t i = 0; i < w->n; i++)
			if (w->obj[i] >= 0)
				me->poll_objs[w->obj[i] / 64] |=
				        1ull << (w->obj[i] % 64);
		st.u.poll.nready = 0;
		st.len = 0;
		lk__block(&st, w->first, deadline);
		memset(me->poll_objs, 0, sizeof(me->poll_objs));
		if (lk__interrupted()) {
			/* poll and select are never restarted. */
			st.ret = -1;
			st.err = EINTR;
			break;
		}
	}
	st.u.poll.nready = st.ret > 0 ? st.ret : 0;
	st.len = st.ret > 0 ? len : 0;
	st.data = text;
	lk__done(&st, -1);
	if (mask != NULL)
		lk__call_mask_end(saved);
	*left = deadline == LK_NO_TIME || lk__now() >= deadline
	                ? 0
	                : deadline - lk__now();
	errno = st.err;
	return (int)st.ret;
}

/* poll's array as a watch. */
struct poll_ctx {
	struct pollfd *fds;
	nfds_t n;
	const int *obj;
};

static int
poll_ready(void *ctx, char *text, size_t size, size_t *len)
{
	struct poll_ctx *c = ctx;
	int r = ready_now(c->fds, c->n, c->obj);

	*len = r > 0 ? ready_text(c->fds, c->n, c->obj, text, size) : 0;
	return r;
}

static int
poll_step(unsigned op, struct pollfd *fds, nfds_t n, const int *obj, int first,
          long long timeout_ns, const sigset_t *mask, uint64_t *left)
{
	struct poll_ctx c = {fds, n, obj};
	struct lk_watch w = {.obj = obj,
	                     .n = n,
	                     .first = first,
	                     .nfds = (int64_t)n,
	                     .ready = poll_ready,
	                     .ctx = &c};

	return lk__ready_step(op, &w, timeout_ns, mask, left);
}

/* poll and ppoll: timeout_ns -1 for none; mask NULL for poll. */
static int
poll_call(unsigned op, struct pollfd *fds, nfds_t n, long long timeout_ns,
          const sigset_t *mask, int *r)
{
	int small[64], *obj = small, first, err;
	uint64_t left;

	if (n > 64 && (n > 1024 || (obj = calloc(n, sizeof(*obj))) == NULL))
		return 0;
	if (!modelled(fds, n, obj, &first)) {
		if (obj != small)
			free(obj);
		return 0;
	}
	*r = poll_step(op, fds, n, obj, first, timeout_ns, mask, &left);
	err = errno;
	if (obj != small)
		free(obj);
	errno = err;
	return 1;
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int r, err;

	if (!lk__enter())
		return REAL(poll)(fds, n, timeout);
	if (!poll_call(LK_OP_POLL, fds, n,
	               timeout < 0 ? -1 : (long long)timeout * 1000000, NULL,
	               &r)) {
		lk__leave();
		return REAL(poll)(fds, n, timeout);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}

/* A timespec timeout as ns, -1 for none, -2 when it is not valid. */
static long long
timeout_of(const struct timespec *ts)
{
	if (ts == NULL)
		return -1;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000 ||
	    ts->tv_sec > 1000000000)
		return -2;
	return (long long)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
      const sigset_t *mask)
{
	long long t = timeout_of(ts);
	int r, err;

	if (!lk__enter())
		return REAL(ppoll)(fds, n, ts, mask);
	if (t == -2 || !poll_call(LK_OP_PPOLL, fds, n, t, mask, &r)) {
		lk__leave();
		return REAL(ppoll)(fds, n, ts, mask);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}

/* select's sets as poll's array: one entry per descriptor in any set. */
static nfds_t
to_poll(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct pollfd *fds)
{
	nfds_t n = 0;

	for (int fd = 0; fd < nfds; fd++) {
		short ev = (short)((rd && FD_ISSET(fd, rd) ? POLLIN : 0) |
		                   (wr && FD_ISSET(fd, wr) ? POLLOUT : 0) |
		                   (ex && FD_ISSET(fd, ex) ? POLLPRI : 0));

		if (ev == 0)
			continue;
		fds[n].fd = fd;
		fds[n].events = ev;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

/* poll's answer back into select's sets; the number of bits set, or -1
 * (EBADF) when a descriptor was not open. */
static int
from_poll(const struct pollfd *fds, nfds_t n, fd_set *rd, fd_set *wr,
          fd_set *ex)
{
	int count = 0;

	for (nfds_t i = 0; i < n; i++)
		if (fds[i].revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
	if (rd)
		FD_ZERO(rd);
	if (wr)
		FD_ZERO(wr);
	if (ex)
		FD_ZERO(ex);
	for (nfds_t i = 0; i < n; i++) {
		short re = fds[i].revents, ev = fds[i].events;

		if (rd && (ev & POLLIN) &&
		    (re & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(fds[i].fd, rd);
			count++;
		}
		if (wr && (ev & POLLOUT) && (re & (POLLOUT | POLLERR))) {
			FD_SET(fds[i].fd, wr);
			count++;
		}
		if (ex && (ev & POLLPRI) && (re & POLLPRI)) {
			FD_SET(fds[i].fd, ex);
			count++;
		}
	}
	return count;
}

/* select and pselect: timeout_ns -1 for none; mask NULL for select;
 * *left the time that was left. 0 when it is not modelled. */
static int
select_call(unsigned op, int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
            long long timeout_ns, const sigset_t *mask, uint64_t *left, int *r)
{
	struct pollfd fds[FD_SETSIZE];
	int obj[FD_SETSIZE], first, err;
	nfds_t n;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return 0;
	n = to_poll(nfds, rd, wr, ex, fds);
	if (!modelled(fds, n, obj, &first))
		return 0;
	*r = poll_step(op, fds, n, obj, first, timeout_ns, mask, left);
	err = errno;
	if (*r >= 0) {
		*r = from_poll(fds, n, rd, wr, ex);
		err = *r < 0 ? errno : 0;
	}
	errno = err;
	return 1;
}

int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	uint64_t left;
	int r, err;

	if (!lk__enter())
		return REAL(select)(nfds, rd, wr, ex, tv);
	if ((tv != NULL &&
	     (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)) ||
	    !select_call(LK_OP_SELECT, nfds, rd, wr, ex,
	                 tv == NULL ? -1
	                            : (long long)tv->tv_sec * 1000000000 +
	                                      (long long)tv->tv_usec * 1000,
	                 NULL, &left, &r)) {
		lk__leave();
		return REAL(select)(nfds, rd, wr, ex, tv);
	}
	err = errno;
	/* Linux leaves the time that was left in the timeout. */
	if (tv != NULL && r >= 0) {
		tv->tv_sec = (time_t)(left / 1000000000);
		tv->tv_usec = (suseconds_t)(left % 1000000000 / 1000);
	}
	lk__leave();
	errno = err;
	return r;
}

/* pselect leaves its timeout alone (glibc's, unlike the system call). */
int
pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
        const sigset_t *mask)
{
	long long t = timeout_of(ts);
	uint64_t left;
	int r, err;

	if (!lk__enter())
		return REAL(pselect)(nfds, rd, wr, ex, ts, mask);
	if (t == -2 ||
	    !select_call(LK_OP_PSELECT, nfds, rd, wr, ex, t, mask, &left, &r)) {
		lk__leave();
		return REAL(pselect)(nfds, rd, wr, ex, ts, mask);
	}
	err = errno;
	lk__leave();
	errno = err;
	return r;
}
