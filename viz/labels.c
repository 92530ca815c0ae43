/*
 * The words of a diagram: the short label beside each event's mark and
 * the label of an arrow. The wording follows the interleaving `lockstep
 * run` prints (runner/trace/report.c), in the diagram's own style: a
 * blocked call says "(blocks)", an outcome follows a colon.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz.h"

/* Longest text of an event's data in its label, in characters; a
 * print's text is the point of its mark, and may be longer. */
#define DATA_CHARS  20
#define PRINT_CHARS 48

/* Longest text of a name in a label, in characters. */
#define NAME_CHARS 24

/* Longest text of the bytes on an arrow, in characters. */
#define ARROW_CHARS 10

/* The length of the UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t k = *s < 0x80                 ? 1
	           : *s >= 0xc2 && *s < 0xe0 ? 2
	           : *s >= 0xe0 && *s < 0xf0 ? 3
	           : *s >= 0xf0 && *s < 0xf5 ? 4
	                                     : 0;

	if (k == 0 || k > n)
		return 0;
	for (size_t j = 1; j < k; j++)
		if ((s[j] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if ((*s == 0xe0 && s[1] < 0xa0) || (*s == 0xed && s[1] >= 0xa0) ||
	    (*s == 0xf0 && s[1] < 0x90) || (*s == 0xf4 && s[1] >= 0x90))
		return 0;
	return k;
}

/*
 * Append the n bytes at text to buf as printable text, cut after max
 * characters with an ellipsis: newlines and tabs as \n and \t, other
 * control bytes and bytes that are not UTF-8 (a slice of a pipe's bytes
 * may cut a character in two) as '?'. Returns 1 when it cut the text.
 */
static int
put_slice(char *buf, size_t size, const char *text, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)text, *end = s + n;
	size_t len = strlen(buf), chars = 0, k;

	for (; s < end && len + 8 < size; s += k) {
		if (chars++ == max) {
			strcpy(buf + len, "\xe2\x80\xa6"); /* ellipsis */
			return 1;
		}
		if ((k = utf8_len(s, (size_t)(end - s))) == 0) {
			buf[len++] = '?';
			k = 1;
		} else if (*s == '\n' || *s == '\t') {
			buf[len++] = '\\';
			buf[len++] = *s == '\n' ? 'n' : 't';
		} else if (*s < 0x20 || *s == 0x7f) {
			buf[len++] = '?';
		} else {
			memcpy(buf + len, s, k);
			len += k;
		}
	}
	buf[len] = '\0';
	return s < end;
}

/* Append text to buf as printable text, cut after max characters. */
static void
put_text(char *buf, size_t size, const char *text, size_t max)
{
	put_slice(buf, size, text, strlen(text), max);
}

void
lk__viz_put(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

void
lk__viz_put_duration(char *buf, size_t size, long long ns)
{
	if (ns != 0 && ns % 1000000000 == 0)
		lk__viz_put(buf, size, "%llds", ns / 1000000000);
	else if (ns != 0 && ns % 1000000 == 0)
		lk__viz_put(buf, size, "%lldms", ns / 1000000);
	else if (ns != 0 && ns % 1000 == 0)
		lk__viz_put(buf, size, "%lld\xc2\xb5s", ns / 1000);
	else
		lk__viz_put(buf, size, "%lldns", ns);
}

/* Append the data of write or read e in quotes, without a print's
 * newline. */
static void
put_data(char *buf, size_t size, const struct lk_tev *e)
{
	size_t n = e->data != NULL ? strlen(e->data) : 0;

	if (lk__viz_print(e) && n > 0 && e->data[n - 1] == '\n')
		n--;
	lk__viz_put(buf, size, "\"");
	if (e->data != NULL)
		put_slice(buf, size - 8, e->data, n,
		          lk__viz_print(e) ? PRINT_CHARS : DATA_CHARS);
	lk__viz_put(buf, size, "\"");
}

/* Append a space and the name of e's object, or " ?". */
static void
put_obj(char *buf, size_t size, const struct lk_viz_trace *t,
        const struct lk_tev *e)
{
	lk__viz_put(buf, size, " ");
	put_text(buf, size - 64, e->obj >= 0 ? lk__viz_obj(t->tr, e->obj) : "?",
	         NAME_CHARS);
}

/* Append signal sig's name: SIGUSR1 (SIG42 when it has none). */
static void
put_signal(char *buf, size_t size, long long sig)
{
	const char *name =
	        sig > 0 && sig < NSIG ? sigabbrev_np((int)sig) : NULL;

	if (name != NULL)
		lk__viz_put(buf, size, "SIG%s", name);
	else
		lk__viz_put(buf, size, "SIG%lld", sig);
}

/* Whether e failed: a call's -1, but not a stored or loaded value. */
int
lk__viz_failed(const struct lk_tev *e)
{
	return e->ret < 0 && lk__viz_op(e) != LK__VIZ_LOAD &&
	       lk__viz_op(e) != LK__VIZ_STORE && lk__viz_op(e) != LK__VIZ_PAUSE;
}

/* Append how call e ended when that is news: "(blocks)", a failure. */
static void
put_outcome(char *buf, size_t size, const struct lk_tev *e)
{
	if (e->blocked)
		lk__viz_put(buf, size, " (blocks)");
	else if (!lk__viz_failed(e))
		return;
	else if (e->err == EINTR)
		lk__viz_put(buf, size, ": interrupted");
	else if (e->err == EEXIST)
		lk__viz_put(buf, size, ": exists");
	else if (lk__viz_op(e) == LK__VIZ_LOCK &&
	         (e->err == EAGAIN || e->err == EACCES))
		lk__viz_put(buf, size, ": busy");
	else
		lk__viz_put(buf, size, ": failed (errno %d)", e->err);
}

/* The words of a semaphore call: "wait x", "trywait x: busy". */
static void
sem_words(const struct lk_viz_trace *t, const struct lk_tev *e, char *buf,
          size_t size)
{
	const char *op = lk_trace_op_name(t->tr, e->op), *obj;

	obj = e->obj >= 0 ? lk__viz_obj(t->tr, e->obj) : "?";
	if (strncmp(op, "sem_", 4) == 0 && lk__viz_op(e) != LK__VIZ_SEM_OPEN &&
	    lk__viz_op(e) != LK__VIZ_SEM_CLOSE &&
	    lk__viz_op(e) != LK__VIZ_SEM_UNLINK &&
	    lk__viz_op(e) != LK__VIZ_SEM_INIT &&
	    lk__viz_op(e) != LK__VIZ_SEM_DESTROY)
		op += 4;
	snprintf(buf, size, "%s %s", op, obj);
	if (e->blocked)
		strncat(buf, " (blocks)", size - strlen(buf) - 1);
	else if (lk__viz_op(e) == LK__VIZ_SEM_GETVALUE)
		snprintf(buf + strlen(buf), size - strlen(buf), " = %lld",
		         (long long)e->arg);
	else if (e->ret < 0 && lk__viz_op(e) == LK__VIZ_SEM_TRYWAIT)
		strncat(buf, ": busy", size - strlen(buf) - 1);
	else if (e->ret < 0 && e->err == ETIMEDOUT)
		strncat(buf, ": timed out", size - strlen(buf) - 1);
	else if (e->ret < 0)
		snprintf(buf + strlen(buf), size - strlen(buf),
		         ": failed (errno %d)", e->err);
}

/* The words of a call on a pipe, a FIFO or a file: "read p \"hi\"",
 * "close p (write end)", "dup2 p write end → stdout". */
static void
pipe_words(const struct lk_viz_trace *t, const struct lk_tev *e, char *buf,
           size_t size)
{
	static const char *const std[] = {"stdin", "stdout", "stderr"};
	int w = lk__viz_end(t->tr, e);
	const char *end = w == 'r' ? "read end" : w == 'w' ? "write end" : NULL;

	put_text(buf, size, lk_trace_op_name(t->tr, e->op), NAME_CHARS);
	put_obj(buf, size, t, e);
	switch (lk__viz_op(e)) {
	case LK__VIZ_READ:
		if (!e->blocked && e->ret == 0) {
			lk__viz_put(buf, size, ": end of file");
			return;
		}
		if (!e->blocked && e->ret > 0) {
			lk__viz_put(buf, size, " ");
			put_data(buf, size, e);
		}
		break;
	case LK__VIZ_CLOSE:
		if (end != NULL)
			lk__viz_put(buf, size, " (%s)", end);
		break;
	case LK__VIZ_DUP2:
		if (end != NULL)
			lk__viz_put(buf, size, " %s", end);
		if (lk__viz_fd(e) >= 0 && lk__viz_fd(e) <= 2)
			lk__viz_put(buf, size, " \xe2\x86\x92 %s",
			            std[lk__viz_fd(e)]);
		else if (lk__viz_fd(e) >= 0)
			lk__viz_put(buf, size, " \xe2\x86\x92 fd %d",
			            lk__viz_fd(e));
		break;
	default:
		break;
	}
	put_outcome(buf, size, e);
}

/* The words of signals, cells and locks: "kill B SIGUSR1",
 * "load x → 3", "write-lock f". */
static void
other_words(const struct lk_viz_trace *t, const struct lk_tev *e, char *buf,
            size_t size)
{
	long long value;
	int has = lk__viz_num(e, &value), peer = lk__viz_peer(t->tr, e);

	switch (lk__viz_op(e)) {
	case LK__VIZ_KILL:
		lk__viz_put(buf, size, "kill");
		if (peer >= 0)
			lk__viz_put(buf, size, " %s", t->tr->procs[peer].name);
		if (has) {
			lk__viz_put(buf, size, " ");
			put_signal(buf, size, value);
		}
		break;
	case LK__VIZ_SIGNAL:
		lk__viz_put(buf, size, "signal ");
		put_signal(buf, size, value);
		break;
	case LK__VIZ_PAUSE:
		lk__viz_put(buf, size, "pause");
		break;
	case LK__VIZ_LOAD:
	case LK__VIZ_STORE:
		lk__viz_put(buf, size, "%s",
		            lk__viz_op(e) == LK__VIZ_LOAD ? "load" : "store");
		put_obj(buf, size, t, e);
		lk__viz_put(buf, size, " %s %lld",
		            lk__viz_op(e) == LK__VIZ_LOAD ? "\xe2\x86\x92"
		                                          : "\xe2\x86\x90",
		            value);
		break;
	default: /* a lock: its kind when the trace says it */
		if (lk__viz_lock(e) != 0)
			lk__viz_put(buf, size, "%s",
			            lk__viz_lock(e) == 'u'   ? "unlock"
			            : lk__viz_lock(e) == 'r' ? "read-lock"
			                                     : "write-lock");
		else
			put_text(buf, size, lk_trace_op_name(t->tr, e->op),
			         NAME_CHARS);
		put_obj(buf, size, t, e);
		break;
	}
	put_outcome(buf, size, e);
}

/* The words of the calls that start, end and reap processes. */
static void
proc_words(const struct lk_viz_trace *t, const struct lk_tev *e, char *buf,
           size_t size)
{
	int peer = lk__viz_peer(t->tr, e);

	switch (lk__viz_op(e)) {
	case LK__VIZ_START:
		lk__viz_put(buf, size, "start");
		break;
	case LK__VIZ_EXIT:
		lk__viz_put(buf, size, "exit %lld", (long long)e->arg);
		break;
	case LK__VIZ_FORK:
		lk__viz_put(buf, size, "fork %s",
		            peer >= 0 ? t->tr->procs[peer].name : "");
		break;
	case LK__VIZ_EXEC:
		lk__viz_put(buf, size, "exec ");
		if (e->data != NULL)
			put_text(buf, size - 64, e->data, 32);
		if (e->ret < 0)
			lk__viz_put(buf, size, ": failed");
		break;
	default: /* waitpid */
		if (e->blocked)
			lk__viz_put(buf, size, "waitpid (blocks)");
		else if (peer >= 0)
			lk__viz_put(buf, size, "waitpid %s",
			            t->tr->procs[peer].name);
		else
			lk__viz_put(buf, size, "waitpid: no child");
		break;
	}
}

/* The text beside event i's mark, in a new string (NULL: no memory). */
char *
lk__viz_label(const struct lk_viz_trace *t, size_t i)
{
	const struct lk_tev *e = &t->tr->ev[i];
	char buf[256] = "";

	switch (lk__viz_op(e)) {
	case LK__VIZ_WRITE:
		if (lk__viz_print(e)) {
			put_data(buf, sizeof(buf), e);
			break;
		}
		lk__viz_put(buf, sizeof(buf), "write");
		put_obj(buf, sizeof(buf), t, e);
		/* A blocked write to a full pipe: the bytes that went in
		 * before it had to wait, if any. */
		if (!e->blocked || e->ret > 0) {
			lk__viz_put(buf, sizeof(buf), " ");
			put_data(buf, sizeof(buf), e);
		}
		if (e->blocked)
			lk__viz_put(buf, sizeof(buf), " (blocks: full)");
		else
			put_outcome(buf, sizeof(buf), e);
		break;
	case LK__VIZ_SLEEP:
		lk__viz_put(buf, sizeof(buf), "sleep ");
		lk__viz_put_duration(buf, sizeof(buf), e->arg);
		break;
	case LK__VIZ_START:
	case LK__VIZ_EXIT:
	case LK__VIZ_FORK:
	case LK__VIZ_EXEC:
	case LK__VIZ_WAIT:
		proc_words(t, e, buf, sizeof(buf));
		break;
	case LK__VIZ_READ:
	case LK__VIZ_CLOSE:
	case LK__VIZ_DUP2:
	case LK__VIZ_OPEN:
		pipe_words(t, e, buf, sizeof(buf));
		break;
	case LK__VIZ_KILL:
	case LK__VIZ_SIGNAL:
	case LK__VIZ_PAUSE:
	case LK__VIZ_LOAD:
	case LK__VIZ_STORE:
	case LK__VIZ_LOCK:
		other_words(t, e, buf, sizeof(buf));
		break;
	case LK__VIZ_OTHER:
		/* An operation this viz does not know yet: its name. */
		put_text(buf, sizeof(buf) - 64, lk_trace_op_name(t->tr, e->op),
		         NAME_CHARS);
		if (e->obj >= 0)
			put_obj(buf, sizeof(buf), t, e);
		/* A lookup of a file name that is not there, or a name
		 * that is already taken: the answer, not a failure. */
		if (e->ret < 0 && e->err == ENOENT)
			lk__viz_put(buf, sizeof(buf), ": no such file");
		else if (e->ret < 0 && e->err == EEXIST)
			lk__viz_put(buf, sizeof(buf), ": exists");
		else if (e->ret < 0)
			lk__viz_put(buf, sizeof(buf), ": failed (errno %d)",
			            e->err);
		break;
	default:
		sem_words(t, e, buf, sizeof(buf));
		break;
	}
	return strdup(buf);
}

/*
 * The label of edge d in a new string: on a write -> read arrow the bytes
 * it carried ("\"pin\"", or "\"aaaa…\" 63136 bytes" when cut), on a
 * close -> end of file arrow "EOF", else ""; NULL out of memory.
 */
char *
lk__viz_edge_label(const struct lk_viz_trace *t, const struct lk_hb_edge *d)
{
	const struct lk_tev *r = &t->tr->ev[d->to];
	char buf[128] = "";
	size_t have = 0, n;
	int cut;

	if (d->kind == LK_HB_CLOSE_EOF)
		return strdup("EOF");
	if (d->kind != LK_HB_WRITE_READ)
		return strdup("");
	if (!lk__viz_exact(r, &have) || (size_t)d->off >= have) {
		snprintf(buf, sizeof(buf), "%ld byte%s", d->len,
		         d->len == 1 ? "" : "s");
		return strdup(buf);
	}
	n = have - (size_t)d->off < (size_t)d->len ? have - (size_t)d->off
	                                           : (size_t)d->len;
	lk__viz_put(buf, sizeof(buf), "\"");
	cut = put_slice(buf, sizeof(buf) - 40, r->data + d->off, n,
	                ARROW_CHARS);
	if (!cut && n < (size_t)d->len)
		lk__viz_put(buf, sizeof(buf), "\xe2\x80\xa6");
	lk__viz_put(buf, sizeof(buf), "\"");
	if (cut || n < (size_t)d->len)
		lk__viz_put(buf, sizeof(buf), " %ld bytes", d->len);
	return strdup(buf);
}
