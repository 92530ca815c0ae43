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

#include "interposer/interposer.h"

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

/* The ready descriptors as text ("3 5"), for the event. */
static size_t
ready_text(const struct pollfd *fds, nfds_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (nfds_t i = 0; i < n && len + 12 < size; i++)
		if (fds[i].fd >= 0 && fds[i].revents != 0)
			len += (size_t)snprintf(buf + len, size - len, "%s%d",
			                        len ? " " : "", fds[i].fd);
	return len;
}

/*
 * The step: wait until something in fds is ready or timeout_ns (-1: no
 * limit) passed on the virtual clock. obj as from modelled. Returns
 * poll's result; *left gets the time that was left (select's timeout).
 */
static int
poll_step(unsigned op, struct pollfd *fds, nfds_t n, const int *obj, int first,
          long long timeout_ns, uint64_t *left)
{
	struct lk_step st = {.op = (uint16_t)op, .obj = first};
	struct lk_slot *me = lk__self();
	uint64_t deadline = timeout_ns < 0 ? LK_NO_TIME : 0;
	char text[LK_DATA_MAX];

	st.u.poll.nfds = (int64_t)n;
	lk__arrive(op, first, 0);
	if (timeout_ns >= 0)
		deadline = lk__now() + (uint64_t)timeout_ns;
	for (;;) {
		st.ret = ready_now(fds, n, obj);
		st.err = st.ret < 0 ? errno : 0;
		if (st.ret != 0 || lk__now() >= deadline)
			break;
		/* Nothing ready: blocked until one of them changes. */
		memset(me->poll_objs, 0, sizeof(me->poll_objs));
		for (nfds_t i = 0; i < n; i++)
			if (obj[i] >= 0)
				me->poll_objs[obj[i] / 64] |= 1ull
				                              << (obj[i] % 64);
		st.u.poll.nready = 0;
		st.len = 0;
		lk__block(&st, first, deadline);
		memset(me->poll_objs, 0, sizeof(me->poll_objs));
		if (lk__interrupted()) {
			/* poll and select are never restarted. */
			st.ret = -1;
			st.err = EINTR;
			break;
		}
	}
	st.u.poll.nready = st.ret > 0 ? st.ret : 0;
	st.len = st.ret > 0 ? ready_text(fds, n, text, sizeof(text)) : 0;
	st.data = text;
	lk__done(&st, -1);
	*left = deadline == LK_NO_TIME || lk__now() >= deadline
	                ? 0
	                : deadline - lk__now();
	errno = st.err;
	return (int)st.ret;
}

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int small[64], *obj = small, first, r, err;
	uint64_t left;

	if (!lk__enter())
		return REAL(poll)(fds, n, timeout);
	if (n > 64 && (n > 1024 || (obj = calloc(n, sizeof(*obj))) == NULL)) {
		lk__leave();
		return REAL(poll)(fds, n, timeout);
	}
	if (!modelled(fds, n, obj, &first)) {
		if (obj != small)
			free(obj);
		lk__leave();
		return REAL(poll)(fds, n, timeout);
	}
	r = poll_step(LK_OP_POLL, fds, n, obj, first,
	              timeout < 0 ? -1 : (long long)timeout * 1000000, &left);
	err = errno;
	if (obj != small)
		free(obj);
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

int
select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
	struct pollfd fds[FD_SETSIZE];
	int obj[FD_SETSIZE], first, r, err;
	uint64_t left;
	nfds_t n;

	if (!lk__enter())
		return REAL(select)(nfds, rd, wr, ex, tv);
	if (nfds < 0 || nfds > FD_SETSIZE ||
	    (tv != NULL &&
	     (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000))) {
		lk__leave();
		return REAL(select)(nfds, rd, wr, ex, tv);
	}
	n = to_poll(nfds, rd, wr, ex, fds);
	if (!modelled(fds, n, obj, &first)) {
		lk__leave();
		return REAL(select)(nfds, rd, wr, ex, tv);
	}
	r = poll_step(LK_OP_SELECT, fds, n, obj, first,
	              tv == NULL ? -1
	                         : (long long)tv->tv_sec * 1000000000 +
	                                   (long long)tv->tv_usec * 1000,
	              &left);
	err = errno;
	if (r >= 0) {
		r = from_poll(fds, n, rd, wr, ex);
		err = r < 0 ? errno : 0;
	}
	/* Linux leaves the time that was left in the timeout. */
	if (tv != NULL && r >= 0) {
		tv->tv_sec = (time_t)(left / 1000000000);
		tv->tv_usec = (suseconds_t)(left % 1000000000 / 1000);
	}
	lk__leave();
	errno = err;
	return r;
}
