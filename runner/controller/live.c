/*
 * Live output (see live.h). Every write step on the objects stdout and
 * stderr says how many bytes it added to its memory file; the controller
 * walks the events in step order and queues, for each, that many bytes of
 * that file, then copies the queue to its own stdout and stderr. Nothing
 * flows back: the processes never wait for the reader downstream, the
 * trace and the captured output are what they would be without it.
 *
 * The copy never blocks the supervision: a piece goes out only when its
 * descriptor polls writable, and then at most PIPE_BUF bytes to a pipe (a
 * pipe that polls writable takes that many without blocking). A reader
 * that goes away (EPIPE) ends the copy of what went to it; lockstep's own
 * SIGPIPE is blocked around the write and taken back, so it does not die.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/stop.h"
#include "live.h"

#define LIVE_BUF ((size_t)1 << 16)

void
lk_live_init(struct lk_live *l, int on, const int dst[2], int out_fd,
             int err_fd, int out_obj)
{
	memset(l, 0, sizeof(*l));
	l->on = on && out_fd >= 0;
	for (int k = 0; k < 2; k++) {
		l->dst[k] = dst != NULL ? dst[k] : -1;
		l->gone[k] = l->dst[k] < 0;
	}
	l->src[0] = out_fd;
	l->src[1] = err_fd;
	l->obj[0] = out_obj;
	l->obj[1] = -1;
	if (l->on && (l->buf = malloc(LIVE_BUF)) == NULL)
		l->on = 0;
}

void
lk_live_free(struct lk_live *l)
{
	free(l->q);
	free(l->buf);
	l->q = NULL;
	l->buf = NULL;
	l->on = 0;
}

/* Append n bytes of stream k to the queue (joined to the last piece when
 * it is of the same stream). */
static void
enqueue(struct lk_live *l, int k, uint64_t n)
{
	struct lk_live_seg *last =
	        l->qlen > l->qhead ? &l->q[l->qlen - 1] : NULL;

	l->queued[k] += n;
	if (last != NULL && last->k == k) {
		last->end = l->queued[k];
		return;
	}
	if (l->qhead > 0 && l->qhead == l->qlen)
		l->qhead = l->qlen = 0;
	if (l->qlen == l->qcap || l->q == NULL) {
		size_t cap = l->qcap ? 2 * l->qcap : 64;
		struct lk_live_seg *q;

		if (l->qhead > 0 && l->q != NULL) { /* room at the front */
			memmove(l->q, l->q + l->qhead,
			        (l->qlen - l->qhead) * sizeof(*l->q));
			l->qlen -= l->qhead;
			l->qhead = 0;
		} else if ((q = realloc(l->q, cap * sizeof(*q))) != NULL) {
			l->q = q;
			l->qcap = cap;
		} else {
			/* Out of memory: the bytes go at the end instead. */
			l->queued[k] -= n;
			return;
		}
	}
	l->q[l->qlen].k = k;
	l->q[l->qlen].end = l->queued[k];
	l->qlen++;
}

/* The stream (0, 1) event e wrote to, or -1. */
static int
stream_of(struct lk_live *l, const struct lk_shared *sh,
          const struct lk_event *e)
{
	if (e->obj < 0)
		return -1;
	if (e->obj == l->obj[0])
		return 0;
	if (l->obj[1] < 0 && l->src[1] >= 0 &&
	    (uint32_t)e->obj < LK_MAX_OBJECTS &&
	    sh->objects[e->obj].type == LK_OT_STREAM &&
	    strcmp(sh->objects[e->obj].name, "stderr") == 0)
		l->obj[1] = e->obj;
	return e->obj == l->obj[1] ? 1 : -1;
}

/* Queue the write steps recorded since the last look. */
static void
walk(struct lk_live *l, const struct lk_shared *sh)
{
	const struct lk_event *ev =
	        (const struct lk_event *)((const char *)sh + sh->events_off);
	uint32_t n = atomic_load_explicit(&sh->nevents, memory_order_acquire);

	for (; l->seen < n; l->seen++) {
		const struct lk_event *e = &ev[l->seen];
		int k;

		if (e->op != LK_OP_WRITE || e->ret <= 0 ||
		    (k = stream_of(l, sh, e)) < 0)
			continue;
		enqueue(l, k, (uint64_t)e->ret);
	}
}

/* Write len bytes of buf to fd with lockstep's SIGPIPE held back: a
 * reader gone is EPIPE here, never lockstep's death. */
static ssize_t
write_nosigpipe(int fd, const char *buf, size_t len)
{
	sigset_t pipe, old;
	ssize_t n;
	int saved;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &old);
	n = write(fd, buf, len);
	saved = errno;
	if (n < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = {0, 0};

		/* Take back the SIGPIPE this write made pending. */
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Descriptor fd went away (e: 0, EPIPE) or failed (e: errno): nothing
 * more goes to it. */
static void
drop(struct lk_live *l, int fd, int e)
{
	for (int k = 0; k < 2; k++)
		if (l->dst[k] == fd) {
			l->gone[k] = 1;
			if (e != 0 && e != EPIPE && l->error[k] == 0)
				l->error[k] = e;
		}
}

/* Pass the queue on. wait: until it is empty (or a stop is requested);
 * else only what goes without blocking. The descriptor waited for, or
 * -1 when the queue is empty. */
static int
pass(struct lk_live *l, int wait)
{
	while (l->qhead < l->qlen) {
		struct lk_live_seg *s = &l->q[l->qhead];
		int k = s->k, fd = l->dst[k];
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		struct stat st;
		uint64_t lim = s->end;
		size_t chunk = LIVE_BUF;
		ssize_t n;

		if (l->gone[k] || l->sent[k] >= s->end ||
		    fstat(l->src[k], &st) != 0) {
			l->sent[k] = s->end > l->sent[k] ? s->end : l->sent[k];
			l->qhead++;
			continue;
		}
		/* The step's bytes are in the file before the step is
		 * recorded; fewer there means it wrote elsewhere (pwrite):
		 * what is there goes, the rest with the final copy. */
		if ((uint64_t)st.st_size < lim)
			lim = (uint64_t)st.st_size;
		if (l->sent[k] >= lim) {
			l->sent[k] = s->end;
			l->qhead++;
			continue;
		}
		while (poll(&p, 1, wait ? 100 : 0) <= 0 || !p.revents) {
			if (!wait || lk_stop_requested())
				return fd;
		}
		if (p.revents & (POLLERR | POLLNVAL)) {
			/* POLLERR: a pipe without a reader, as EPIPE */
			drop(l, fd, p.revents & POLLNVAL ? EBADF : 0);
			continue;
		}
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			chunk = PIPE_BUF; /* never blocks once writable */
		if (lim - l->sent[k] < chunk)
			chunk = (size_t)(lim - l->sent[k]);
		n = pread(l->src[k], l->buf, chunk, (off_t)l->sent[k]);
		if (n <= 0) {
			l->sent[k] = s->end;
			l->qhead++;
			continue;
		}
		n = write_nosigpipe(fd, l->buf, (size_t)n);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			if (!wait || lk_stop_requested())
				return fd;
			continue;
		}
		if (n < 0) {
			drop(l, fd, errno); /* EPIPE: the reader went away */
			continue;
		}
		l->sent[k] += (uint64_t)n;
	}
	return -1;
}

int
lk_live_pump(struct lk_live *l, struct lk_shared *sh)
{
	if (!l->on)
		return -1;
	/* Before the walk: a write recorded after it tells us again. */
	atomic_store(&sh->live_wake, 0);
	walk(l, sh);
	return pass(l, 0);
}

void
lk_live_finish(struct lk_live *l, const struct lk_shared *sh)
{
	if (!l->on)
		return;
	walk(l, sh);
	/* Bytes no step accounts for (written outside lockstep's control,
	 * or by a pwrite past the end): after everything else. */
	for (int k = 0; k < 2; k++) {
		struct stat st;

		if (l->src[k] >= 0 && fstat(l->src[k], &st) == 0 &&
		    (uint64_t)st.st_size > l->queued[k])
			enqueue(l, k, (uint64_t)st.st_size - l->queued[k]);
	}
	pass(l, 1);
}
