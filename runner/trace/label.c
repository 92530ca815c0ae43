/*
 * The one labeller: an event in words, for three readers. The terminal
 * (the interleaving `lockstep run` prints, schedule comments) says
 * "wait b (blocked)"; the diagram says "wait b (blocks)" beside the mark
 * and cuts texts to fit; the exports (Perfetto, ShiViz) keep one line a
 * slice. Which words an operation gets in each style is the label column
 * of the LK_OPS table (ops.h): a name below, bound to one function per
 * style.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"

/* The diagram's limits, in characters: an event's data (a print's text
 * is the point of its mark, and may be longer), a name, a path. */
#define DATA_CHARS  20
#define PRINT_CHARS 48
#define NAME_CHARS  24
#define PATH_CHARS  32

/* The exports cut every text after this many characters. */
#define EXPORT_CHARS 32

/* Room the diagram and the exports build a label in: what they always
 * had, so a label is cut where it always was. */
#define DIAGRAM_ROOM 256
#define EXPORT_ROOM  LK_LABEL_MAX

typedef void (*label_fn)(const struct lk_trace *, const struct lk_tev *, char *,
                         size_t);

/* How one kind of operation is labelled, per style. */
struct labeller {
	label_fn terminal, diagram, export;
};

/* Append printf-style text to the string in buf, if there is room. */
static void
put(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Name of e's object, or "?". */
static const char *
obj_of(const struct lk_trace *t, const struct lk_tev *e)
{
	const char *obj = lk_trace_obj_name(t, e->obj);

	return obj != NULL ? obj : "?";
}

/* Name of process p, or NULL when p is not one of t's. */
static const char *
proc_of(const struct lk_trace *t, int64_t p)
{
	return p >= 0 && (uint64_t)p < t->nprocs ? t->procs[p].name : NULL;
}

/* The event's bytes as the trace file keeps them: a string, up to the
 * first NUL. */
static const char *
text_of(const struct lk_tev *e, size_t *n)
{
	*n = e->data != NULL ? strnlen(e->data, e->len) : 0;
	return e->data != NULL ? e->data : "";
}

/* Is e a <print>? */
static int
is_print(const struct lk_tev *e)
{
	return e->act == LK_ACT_PRINT + 1;
}

/* --- terminal -------------------------------------------------------- */

/* Copy at most len bytes of s into out, showing newlines as nothing and
 * other control bytes as '.'. */
static void
printable(char *out, size_t size, const char *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && i == len - 1)
			break;
		out[k++] = c < 0x20 || c == 0x7f ? '.' : (char)c;
	}
	out[k] = '\0';
}

/* e's bytes, printable, into text. */
static void
t_data(char *text, size_t size, const struct lk_tev *e)
{
	printable(text, size, e->data ? e->data : "", e->len);
}

/* The name of e's operation, its object, whether it blocked or failed. */
static void
t_plain(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	snprintf(buf, size, "%s %s%s%s", lk_trace_op_name(t, e->op),
	         e->obj >= 0 ? obj_of(t, e) : "",
	         e->blocked ? " (blocked)" : "",
	         !e->blocked && e->ret < 0 ? " (failed)" : "");
}

static void
t_write(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	const char *obj = obj_of(t, e);
	char text[64];

	t_data(text, sizeof(text), e);
	if (is_print(e))
		snprintf(buf, size, "print %s", text);
	else if (e->blocked)
		snprintf(buf, size, "write %s%s%s%s (blocked: full)", obj,
		         e->len ? " \"" : "", text, e->len ? "\"" : "");
	else
		snprintf(buf, size, "write %s \"%s\"%s", obj, text,
		         e->ret < 0 ? " (failed)" : "");
}

static void
t_semwait(const struct lk_trace *t, const struct lk_tev *e, char *buf,
          size_t size)
{
	snprintf(buf, size, "%s %s%s",
	         e->op == LK_OP_SEM_WAIT ? "wait" : "timedwait", obj_of(t, e),
	         e->blocked        ? " (blocked)"
	         : e->err == EINTR ? " (interrupted)"
	         : e->err          ? " (timed out)"
	                           : "");
}

static void
t_trywait(const struct lk_trace *t, const struct lk_tev *e, char *buf,
          size_t size)
{
	snprintf(buf, size, "trywait %s%s", obj_of(t, e),
	         e->ret < 0 ? " (busy)" : "");
}

static void
t_post(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	snprintf(buf, size, "post %s", obj_of(t, e));
}

/* A duration in ns as "1s", "250ms", "10us" or "5ns". */
static void
t_duration(char *buf, size_t size, uint64_t ns)
{
	if (ns % 1000000000u == 0)
		snprintf(buf, size, "%llus",
		         (unsigned long long)(ns / 1000000000u));
	else if (ns % 1000000u == 0)
		snprintf(buf, size, "%llums",
		         (unsigned long long)(ns / 1000000u));
	else if (ns % 1000u == 0)
		snprintf(buf, size, "%lluus", (unsigned long long)(ns / 1000u));
	else
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
}

static void
t_sleep(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	char text[64];

	(void)t;
	t_duration(text, sizeof(text), (uint64_t)e->u.sleep.ns);
	snprintf(buf, size, "sleep %s", text);
}

static void
t_fork(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *child = proc_of(t, e->u.fork.child);

	snprintf(buf, size, "fork %s",
	         e->ret >= 0 && child != NULL ? child : "(failed)");
}

static void
t_exit(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	(void)t;
	snprintf(buf, size, "exit %lld", (long long)e->u.exit.status);
}

static void
t_start(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	(void)t, (void)e;
	snprintf(buf, size, "start");
}

static void
t_poll(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *bar = e->data ? memchr(e->data, '|', e->len) : NULL;
	char text[64];

	/* The descriptors found ready; their objects, after '|', are for
	 * the clocks (vclock.c). */
	printable(text, sizeof(text), e->data ? e->data : "",
	          bar != NULL ? (size_t)(bar - e->data) : e->len);
	snprintf(buf, size, "%s %s%s", lk_trace_op_name(t, e->op),
	         e->blocked    ? "(blocked)"
	         : e->ret < 0  ? "(failed)"
	         : e->ret == 0 ? "(timed out)"
	                       : "ready ",
	         e->ret > 0 ? text : "");
}

static void
t_exec(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	char text[64];

	(void)t;
	t_data(text, sizeof(text), e);
	snprintf(buf, size, "exec %s%s", text, e->ret < 0 ? " (failed)" : "");
}

static void
t_wait(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *target = proc_of(t, e->u.wait.target);
	int status = e->u.wait.status;

	if (e->blocked)
		snprintf(buf, size, "waitpid %s%s(blocked)",
		         target != NULL ? target : "",
		         target != NULL ? " " : "");
	else if (proc_of(t, e->ret) != NULL && e->ret > 0)
		snprintf(buf, size, "waitpid %s: %d", proc_of(t, e->ret),
		         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else
		snprintf(buf, size, "waitpid -> %lld", (long long)e->ret);
}

static void
t_read(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *obj = obj_of(t, e);
	char text[64];

	t_data(text, sizeof(text), e);
	if (e->blocked)
		snprintf(buf, size, "read %s (blocked)", obj);
	else if (e->ret == 0)
		snprintf(buf, size, "read %s: end of file", obj);
	else if (e->ret < 0)
		snprintf(buf, size, "read %s (%s)", obj,
		         e->err == EINTR ? "interrupted" : "failed");
	else
		snprintf(buf, size, "read %s \"%s\"", obj, text);
}

/* send, recv, shutdown on a socket: "send sock3 \"hi\"", "recv sock3:
 * end of file", "recv sock3 (blocked)". */
static void
t_sock(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *op = lk_trace_op_name(t, e->op), *obj = obj_of(t, e);
	char text[64];

	t_data(text, sizeof(text), e);
	if (e->op == LK_OP_SHUTDOWN)
		snprintf(buf, size, "%s %s%s", op, obj,
		         e->ret < 0 ? " (failed)" : "");
	else if (e->blocked && (e->op == LK_OP_RECV || e->ret <= 0))
		snprintf(buf, size, "%s %s (blocked)", op, obj);
	else if (e->blocked)
		snprintf(buf, size, "%s %s \"%s\" (blocked: full)", op, obj,
		         text);
	else if (e->op == LK_OP_RECV && e->ret == 0)
		snprintf(buf, size, "%s %s: end of file", op, obj);
	else if (e->ret < 0)
		snprintf(buf, size, "%s %s (%s)", op, obj,
		         e->err == EINTR ? "interrupted" : "failed");
	else
		snprintf(buf, size, "%s %s \"%s\"", op, obj, text);
}

static void
t_cell(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s %s %lld", lk_trace_op_name(t, e->op),
	         obj_of(t, e), e->op == LK_OP_LOAD ? "->" : "<-",
	         (long long)e->ret);
}

/* "SIGUSR1" into buf, "SIG?" for a signal without a name. */
static const char *
t_signal_name(int sig)
{
	const char *name = sigabbrev_np(sig);

	return name != NULL ? name : "?";
}

static void
t_kill(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *to = proc_of(t, e->u.kill.to);

	snprintf(buf, size, "kill %s SIG%s%s",
	         to != NULL           ? to
	         : e->u.kill.to == -2 ? "(group)"
	         : e->u.kill.to == -3 ? "(all)"
	                              : "?",
	         t_signal_name(e->u.kill.sig), e->ret < 0 ? " (failed)" : "");
}

static void
t_signal(const struct lk_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	(void)t;
	snprintf(buf, size, "signal SIG%s", t_signal_name(e->u.signal.sig));
}

static void
t_pause(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	(void)t;
	snprintf(buf, size, "pause%s", e->blocked ? " (blocked)" : "");
}

static void
t_fcntl(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	snprintf(buf, size, "%s %s%s",
	         e->u.lock.type == F_UNLCK   ? "unlock"
	         : e->u.lock.type == F_RDLCK ? "read-lock"
	                                     : "write-lock",
	         obj_of(t, e),
	         e->blocked   ? " (blocked)"
	         : e->ret < 0 ? " (busy)"
	                      : "");
}

static void
t_semop(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	char text[64];

	t_data(text, sizeof(text), e);
	snprintf(buf, size, "semop %s %s%s", obj_of(t, e), text,
	         e->blocked   ? " (blocked)"
	         : e->ret < 0 ? " (failed)"
	                      : "");
}

static void
t_close(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	snprintf(buf, size, "close %s%s", obj_of(t, e),
	         e->u.close.mode == O_RDONLY   ? " (read end)"
	         : e->u.close.mode == O_WRONLY ? " (write end)"
	                                       : "");
}

static void
t_dup2(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	static const char *const std[] = {"stdin", "stdout", "stderr"};
	int fd = e->u.dup2.newfd;

	char other[24];

	snprintf(other, sizeof(other), "fd %d", fd);
	snprintf(buf, size, "dup2 %s %s -> %s", obj_of(t, e),
	         e->u.dup2.mode == O_RDONLY ? "read end" : "write end",
	         fd >= 0 && fd <= 2 ? std[fd] : other);
}

static void
t_open(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	snprintf(buf, size, "open %s%s", obj_of(t, e),
	         e->blocked   ? " (blocked)"
	         : e->ret < 0 ? " (failed)"
	                      : "");
}

/* --- diagram ----------------------------------------------------------- */

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
 * control bytes and bytes that are not UTF-8 as '?'. Returns 1 when it
 * cut the text.
 */
int
lk_label_slice(char *buf, size_t size, const char *text, size_t n, size_t max)
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

/* Append a string as printable text, cut after max characters. */
static void
d_text(char *buf, size_t size, const char *text, size_t max)
{
	lk_label_slice(buf, size, text, strlen(text), max);
}

/* Append a duration: "1s", "250ms", "10µs", "0ns". */
static void
d_duration(char *buf, size_t size, long long ns)
{
	if (ns != 0 && ns % 1000000000 == 0)
		put(buf, size, "%llds", ns / 1000000000);
	else if (ns != 0 && ns % 1000000 == 0)
		put(buf, size, "%lldms", ns / 1000000);
	else if (ns != 0 && ns % 1000 == 0)
		put(buf, size, "%lld\xc2\xb5s", ns / 1000);
	else
		put(buf, size, "%lldns", ns);
}

/* Append e's bytes in quotes, without a print's newline. */
static void
d_data(char *buf, size_t size, const struct lk_tev *e)
{
	size_t n;
	const char *text = text_of(e, &n);

	if (is_print(e) && n > 0 && text[n - 1] == '\n')
		n--;
	put(buf, size, "\"");
	lk_label_slice(buf, size - 8, text, n,
	               is_print(e) ? PRINT_CHARS : DATA_CHARS);
	put(buf, size, "\"");
}

/* Append a space and the name of e's object. */
static void
d_obj(char *buf, size_t size, const struct lk_trace *t, const struct lk_tev *e)
{
	put(buf, size, " ");
	d_text(buf, size - 64, obj_of(t, e), NAME_CHARS);
}

/* Append signal sig's name: SIGUSR1 (SIG42 when it has none). */
static void
d_signal_name(char *buf, size_t size, long long sig)
{
	const char *name =
	        sig > 0 && sig < NSIG ? sigabbrev_np((int)sig) : NULL;

	if (name != NULL)
		put(buf, size, "SIG%s", name);
	else
		put(buf, size, "SIG%lld", sig);
}

/* Did e fail: a call's -1, but not a loaded or stored value, and not a
 * pause, which always returns -1? */
static int
d_failed(const struct lk_tev *e)
{
	return e->ret < 0 && e->op != LK_OP_LOAD && e->op != LK_OP_STORE &&
	       e->op != LK_OP_PAUSE;
}

/* Append how call e ended when that is news: "(blocks)", a failure. */
static void
d_outcome(char *buf, size_t size, const struct lk_tev *e)
{
	if (e->blocked)
		put(buf, size, " (blocks)");
	else if (!d_failed(e))
		return;
	else if (e->err == EINTR)
		put(buf, size, ": interrupted");
	else if (e->err == EEXIST)
		put(buf, size, ": exists");
	else if (e->err == ENOENT)
		put(buf, size, ": no such file");
	else if ((lk_op_flags((unsigned)e->op) & LK_OPF_LOCK) &&
	         (e->err == EAGAIN || e->err == EACCES))
		put(buf, size, ": busy");
	else
		put(buf, size, ": failed (%s)", lk_errno_name(e->err));
}

/* A semaphore call: "wait x", "trywait x: busy", "sem_open x". */
static void
d_sem(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *op = lk_trace_op_name(t, e->op);

	if (e->op == LK_OP_SEM_WAIT || e->op == LK_OP_SEM_TRYWAIT ||
	    e->op == LK_OP_SEM_TIMEDWAIT || e->op == LK_OP_SEM_POST ||
	    e->op == LK_OP_SEM_GETVALUE)
		op += 4; /* without its "sem_" */
	snprintf(buf, size, "%s %s", op, obj_of(t, e));
	if (e->blocked)
		put(buf, size, " (blocks)");
	else if (e->op == LK_OP_SEM_GETVALUE)
		put(buf, size, " = %lld", (long long)e->u.sem.value);
	else if (e->ret < 0 && e->op == LK_OP_SEM_TRYWAIT)
		put(buf, size, ": busy");
	else if (e->ret < 0 && e->err == ETIMEDOUT)
		put(buf, size, ": timed out");
	else if (e->ret < 0)
		put(buf, size, ": failed (%s)", lk_errno_name(e->err));
}

static void
d_write(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	if (is_print(e)) {
		d_data(buf, size, e);
		return;
	}
	put(buf, size, "write");
	d_obj(buf, size, t, e);
	/* A blocked write to a full pipe: the bytes that went in before it
	 * had to wait, if any. */
	if (!e->blocked || e->ret > 0) {
		put(buf, size, " ");
		d_data(buf, size, e);
	}
	if (e->blocked)
		put(buf, size, " (blocks: full)");
	else
		d_outcome(buf, size, e);
}

static void
d_sleep(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	(void)t;
	put(buf, size, "sleep ");
	d_duration(buf, size, e->u.sleep.ns);
}

static void
d_start(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	(void)t, (void)e;
	put(buf, size, "start");
}

static void
d_exit(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	(void)t;
	put(buf, size, "exit %lld", (long long)e->u.exit.status);
}

/* fork's child as the trace names it, or NULL. */
static const char *
fork_child(const struct lk_trace *t, const struct lk_tev *e)
{
	return e->ret >= 0 ? proc_of(t, e->u.fork.child) : NULL;
}

/* waitpid's reaped child as the trace names it, or NULL. */
static const char *
wait_child(const struct lk_trace *t, const struct lk_tev *e)
{
	return !e->blocked && e->ret > 0 ? proc_of(t, e->ret) : NULL;
}

static void
d_fork(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *child = fork_child(t, e);

	put(buf, size, "fork %s", child != NULL ? child : "");
}

static void
d_exec(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	size_t n;
	const char *path = text_of(e, &n);

	(void)t;
	put(buf, size, "exec ");
	lk_label_slice(buf, size - 64, path, n, PATH_CHARS);
	if (e->ret < 0)
		put(buf, size, ": failed");
}

static void
d_wait(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *child = wait_child(t, e);
	const char *target = proc_of(t, e->u.wait.target);

	if (e->blocked && target != NULL) /* waitpid(pid): that child */
		put(buf, size, "waitpid %s (blocks)", target);
	else if (e->blocked)
		put(buf, size, "waitpid (blocks)");
	else if (child != NULL)
		put(buf, size, "waitpid %s", child);
	else
		put(buf, size, "waitpid: no child");
}

/* A call on a pipe, a FIFO or a file, by its name: "read p \"hi\"",
 * "close p (write end)", "dup2 p write end → stdout". */
static void
d_chan(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	static const char *const std[] = {"stdin", "stdout", "stderr"};
	int pipe = lk_trace_is_pipe(t, e->obj), fd = -1, mode = 0;

	d_text(buf, size, lk_trace_op_name(t, e->op), NAME_CHARS);
	d_obj(buf, size, t, e);
	if (e->op == LK_OP_READ) {
		if (!e->blocked && e->ret == 0) {
			put(buf, size, ": end of file");
			return;
		}
		if (!e->blocked && e->ret > 0) {
			put(buf, size, " ");
			d_data(buf, size, e);
		}
	} else if (e->op == LK_OP_CLOSE) {
		if (pipe)
			put(buf, size, " (%s)",
			    e->u.close.mode == 0 ? "read end" : "write end");
	} else if (e->op == LK_OP_DUP2) {
		fd = e->u.dup2.newfd;
		mode = e->u.dup2.mode;
		if (pipe)
			put(buf, size, " %s",
			    mode == 0 ? "read end" : "write end");
		if (fd >= 0 && fd <= 2)
			put(buf, size, " \xe2\x86\x92 %s", std[fd]);
		else if (fd >= 0)
			put(buf, size, " \xe2\x86\x92 fd %d", fd);
	}
	d_outcome(buf, size, e);
}

/* send, recv, shutdown on a socket, as a pipe's write and read. */
static void
d_sock(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	d_text(buf, size, lk_trace_op_name(t, e->op), NAME_CHARS);
	d_obj(buf, size, t, e);
	if (e->op == LK_OP_RECV && !e->blocked && e->ret == 0) {
		put(buf, size, ": end of file");
		return;
	}
	if (e->op != LK_OP_SHUTDOWN && e->ret > 0) {
		put(buf, size, " ");
		d_data(buf, size, e);
	}
	if (e->blocked)
		put(buf, size,
		    e->op == LK_OP_SEND ? " (blocks: full)" : " (blocks)");
	else
		d_outcome(buf, size, e);
}

static void
d_kill(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	const char *to = proc_of(t, e->u.kill.to);

	put(buf, size, "kill");
	if (to != NULL)
		put(buf, size, " %s", to);
	put(buf, size, " ");
	d_signal_name(buf, size, e->u.kill.sig);
	d_outcome(buf, size, e);
}

static void
d_signal(const struct lk_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	(void)t;
	put(buf, size, "signal ");
	d_signal_name(buf, size, e->u.signal.sig);
	d_outcome(buf, size, e);
}

static void
d_pause(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	(void)t;
	put(buf, size, "pause");
	d_outcome(buf, size, e);
}

static void
d_cell(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	put(buf, size, "%s", lk_trace_op_name(t, e->op));
	d_obj(buf, size, t, e);
	put(buf, size, " %s %lld",
	    e->op == LK_OP_LOAD ? "\xe2\x86\x92" : "\xe2\x86\x90",
	    (long long)e->ret);
	d_outcome(buf, size, e);
}

/* A lock: "write-lock f", "unlock f", "read-lock f: busy". */
static void
d_lock(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	put(buf, size, "%s",
	    e->u.lock.type == F_UNLCK   ? "unlock"
	    : e->u.lock.type == F_RDLCK ? "read-lock"
	                                : "write-lock");
	d_obj(buf, size, t, e);
	d_outcome(buf, size, e);
}

/* The name of e's call in a diagram: the libc name, without the
 * "pthread_" every thread call starts with ("mutex_lock", "join"). */
static const char *
d_call(const struct lk_trace *t, const struct lk_tev *e)
{
	const char *name = lk_trace_op_name(t, e->op);

	return strncmp(name, "pthread_", 8) == 0 && name[8] != '\0' ? name + 8
	                                                            : name;
}

/* Any other call: its name, its object, and a failure, where a file
 * name that is not there or already taken is the answer it got. */
static void
d_plain(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	d_text(buf, size - 64, d_call(t, e), NAME_CHARS);
	if (e->obj >= 0)
		d_obj(buf, size, t, e);
	d_outcome(buf, size, e);
}

/* semop: the set, then its operations: "semop forks [0]-1 [1]+1". */
static void
d_semop(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	char text[64];

	d_text(buf, size - 64, "semop", NAME_CHARS);
	if (e->obj >= 0)
		d_obj(buf, size, t, e);
	t_data(text, sizeof(text), e);
	put(buf, size, " ");
	d_text(buf, size - 64, text, NAME_CHARS);
	d_outcome(buf, size, e);
}

/* --- export ------------------------------------------------------------ */

/*
 * Append the len bytes of text (UTF-8) to buf as one line that any viewer
 * can show: newlines, tabs and returns as \n, \t and \r, other control
 * characters and the Unicode line separators as '?', cut after max
 * characters with an ellipsis. Characters are never split.
 */
void
lk_label_append_text(char *buf, size_t size, const char *text, size_t len,
                     size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *end = s + len;
	size_t n = strlen(buf), chars = 0;

	for (; s < end && *s != '\0'; s++) {
		if ((*s & 0xc0) != 0x80) {
			/* A new character: room for it and an ellipsis? */
			if (n + 8 >= size)
				break;
			if (chars++ == max) {
				memcpy(buf + n, "\xe2\x80\xa6", 3);
				n += 3;
				break;
			}
		}
		if (*s == '\n' || *s == '\t' || *s == '\r') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : *s == '\t' ? 't' : 'r';
		} else if (*s < 0x20 || *s == 0x7f) {
			buf[n++] = '?';
		} else if (*s == 0xe2 && end - s >= 3 && s[1] == 0x80 &&
		           (s[2] == 0xa8 || s[2] == 0xa9)) {
			buf[n++] = '?'; /* U+2028, U+2029 end a line in JS */
			s += 2;
		} else {
			buf[n++] = (char)*s;
		}
	}
	buf[n] = '\0';
}

/* Append a name (process, object, path), cut. */
static void
x_name(char *buf, size_t size, const char *name)
{
	lk_label_append_text(buf, size, name, strlen(name), EXPORT_CHARS);
}

/* Append how e ended when that is news: blocked, a value, a failure. */
static void
x_outcome(char *buf, size_t size, const struct lk_tev *e)
{
	if (e->blocked)
		put(buf, size, " (blocks)");
	else if (e->op == LK_OP_SEM_GETVALUE)
		put(buf, size, " = %lld", (long long)e->u.sem.value);
	else if (e->ret >= 0 || e->op == LK_OP_EXIT)
		return;
	else if (e->op == LK_OP_SEM_TRYWAIT && e->err == EAGAIN)
		put(buf, size, ": busy");
	else if (e->err == ETIMEDOUT)
		put(buf, size, ": timed out");
	else
		put(buf, size, ": failed (%s)", lk_errno_name(e->err));
}

/* print "text" or write obj "text". */
static void
x_write(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	size_t len;
	const char *text = text_of(e, &len);

	if (is_print(e)) {
		put(buf, size, "print");
	} else {
		put(buf, size, "write ");
		x_name(buf, size, obj_of(t, e));
	}
	/* A print's newline is lockstep's, not the text's. */
	if (is_print(e) && len > 0 && text[len - 1] == '\n')
		len--;
	put(buf, size, " \"");
	lk_label_append_text(buf, size, text, len, EXPORT_CHARS);
	put(buf, size, "\"");
	x_outcome(buf, size, e);
}

static void
x_sleep(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	d_sleep(t, e, buf, size);
	x_outcome(buf, size, e);
}

static void
x_exit(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	d_exit(t, e, buf, size);
	x_outcome(buf, size, e);
}

/* fork or waitpid, and the child. */
static void
x_child(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	const char *child = e->op == LK_OP_FORK ? fork_child(t, e)
	                    : e->blocked        ? proc_of(t, e->u.wait.target)
	                                        : wait_child(t, e);

	x_name(buf, size, lk_trace_op_name(t, e->op));
	if (child != NULL) {
		put(buf, size, " ");
		x_name(buf, size, child);
	}
	x_outcome(buf, size, e);
}

static void
x_exec(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	size_t n;
	const char *path = text_of(e, &n);

	(void)t;
	put(buf, size, "exec ");
	lk_label_append_text(buf, size, path, n, EXPORT_CHARS);
	x_outcome(buf, size, e);
}

/* Its name (a semaphore's wait and post without "sem_"), its object. */
static void
x_plain(const struct lk_trace *t, const struct lk_tev *e, char *buf,
        size_t size)
{
	const char *op = lk_trace_op_name(t, e->op);

	if (e->op == LK_OP_SEM_WAIT || e->op == LK_OP_SEM_TRYWAIT ||
	    e->op == LK_OP_SEM_TIMEDWAIT || e->op == LK_OP_SEM_POST ||
	    e->op == LK_OP_SEM_GETVALUE)
		op += 4;
	x_name(buf, size, op);
	if (e->obj >= 0) {
		put(buf, size, " ");
		x_name(buf, size, obj_of(t, e));
	}
	x_outcome(buf, size, e);
}

/* --- threads and their synchronisation ---------------------------------- */

/* The lane a thread operation names (created, joined, detached). */
static const char *
thread_of(const struct lk_trace *t, const struct lk_tev *e)
{
	return proc_of(t, e->u.thread.lane);
}

static void
t_thread(const struct lk_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	const char *lane = thread_of(t, e);

	snprintf(buf, size, "%s %s%s%s", lk_trace_op_name(t, e->op),
	         lane != NULL ? lane : "?", e->blocked ? " (blocked)" : "",
	         !e->blocked && e->ret < 0 ? " (failed)" : "");
}

static void
d_thread(const struct lk_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	const char *lane = thread_of(t, e);

	d_text(buf, size - 64, d_call(t, e), NAME_CHARS);
	if (lane != NULL) {
		put(buf, size, " ");
		d_text(buf, size - 64, lane, NAME_CHARS);
	}
	d_outcome(buf, size, e);
}

static void
x_thread(const struct lk_trace *t, const struct lk_tev *e, char *buf,
         size_t size)
{
	const char *lane = thread_of(t, e);

	x_name(buf, size, lk_trace_op_name(t, e->op));
	if (lane != NULL) {
		put(buf, size, " ");
		x_name(buf, size, lane);
	}
	x_outcome(buf, size, e);
}

/* A mutex or condition variable operation: its name, its object, how it
 * ended when that is news. */
static void
d_sync(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	d_text(buf, size - 64, d_call(t, e), NAME_CHARS);
	if (e->obj >= 0)
		d_obj(buf, size, t, e);
	if (!e->blocked && e->ret < 0 && e->err == EBUSY)
		put(buf, size, ": busy");
	else if (!e->blocked && e->ret < 0 && e->err == ETIMEDOUT)
		put(buf, size, ": timed out");
	else
		d_outcome(buf, size, e);
}

static void
t_sync(const struct lk_trace *t, const struct lk_tev *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s%s", lk_trace_op_name(t, e->op),
	         e->obj >= 0 ? obj_of(t, e) : "",
	         e->blocked            ? " (blocked)"
	         : e->ret >= 0         ? ""
	         : e->err == EBUSY     ? " (busy)"
	         : e->err == ETIMEDOUT ? " (timed out)"
	                               : " (failed)");
}

/* --- the table's label column ------------------------------------------ */

/* label_<name>: the words of the operations whose row names it, per
 * style (terminal, diagram, export). */
#define LABEL(name, term, diag, exp)                                           \
	static const struct labeller label_##name = {term, diag, exp};

LABEL(plain, t_plain, d_plain, x_plain)
LABEL(start, t_start, d_start, x_plain)
LABEL(sem, t_plain, d_sem, x_plain)
LABEL(semwait, t_semwait, d_sem, x_plain)
LABEL(trywait, t_trywait, d_sem, x_plain)
LABEL(post, t_post, d_sem, x_plain)
LABEL(write, t_write, d_write, x_write)
LABEL(sleep, t_sleep, d_sleep, x_sleep)
LABEL(fork, t_fork, d_fork, x_child)
LABEL(exit, t_exit, d_exit, x_exit)
LABEL(exec, t_exec, d_exec, x_exec)
LABEL(wait, t_wait, d_wait, x_child)
LABEL(read, t_read, d_chan, x_plain)
LABEL(close, t_close, d_chan, x_plain)
LABEL(dup2, t_dup2, d_chan, x_plain)
LABEL(open, t_open, d_chan, x_plain)
LABEL(cell, t_cell, d_cell, x_plain)
LABEL(other, t_plain, d_plain, x_plain)
LABEL(fcntl, t_fcntl, d_lock, x_plain)
LABEL(flock, t_plain, d_lock, x_plain)
LABEL(kill, t_kill, d_kill, x_plain)
LABEL(signal, t_signal, d_signal, x_plain)
LABEL(pause, t_pause, d_pause, x_plain)
LABEL(semop, t_semop, d_semop, x_plain)
LABEL(poll, t_poll, d_plain, x_plain)
LABEL(thread, t_thread, d_thread, x_thread)
LABEL(sync, t_sync, d_sync, x_plain)
LABEL(chan, t_sock, d_sock, x_plain)
#undef LABEL

static const struct labeller *const labellers[] = {
#define LK_OP_LABEL(name, str, member, kind, flags, dep, label, ...)           \
	[LK_OP_##name] = &label_##label,
        LK_OPS(LK_OP_LABEL)
#undef LK_OP_LABEL
};

/* --perturb: what the kernel chose, after the label: a read or write
 * cut short "(1 of 8 bytes)", a condition wait that ended without a
 * signal "(spurious)". Nothing without --perturb. */
static void
perturbed(const struct lk_tev *e, char *buf, size_t size)
{
	size_t len = strlen(buf);

	if ((e->op == LK_OP_READ || e->op == LK_OP_WRITE) && !e->blocked &&
	    e->u.rw.avail > 1 && e->ret > 0 && e->ret < e->u.rw.avail)
		snprintf(buf + len, size - len, " (%lld of %d bytes)",
		         (long long)e->ret, (int)e->u.rw.avail);
	else if ((e->op == LK_OP_COND_WAIT || e->op == LK_OP_COND_TIMEDWAIT) &&
	         !e->blocked && e->u.cond.spurious)
		snprintf(buf + len, size - len, " (spurious)");
}

/* Event e of t in words, in style (trace.h). */
void
lk_label(const struct lk_trace *t, const struct lk_tev *e,
         enum lk_label_style style, char *buf, size_t size)
{
	const struct labeller *l =
	        labellers[(unsigned)e->op < LK_OP__COUNT ? e->op : LK_OP_NONE];
	char room[EXPORT_ROOM];

	if (size == 0)
		return;
	room[0] = '\0';
	switch (style) {
	case LK_LABEL_DIAGRAM:
		/* Built in the room the diagram always gave it, so it is
		 * cut where it always was. */
		l->diagram(t, e, room, DIAGRAM_ROOM);
		break;
	case LK_LABEL_EXPORT:
		l->export(t, e, room, EXPORT_ROOM);
		break;
	default:
		l->terminal(t, e, buf, size);
		perturbed(e, buf, size);
		return;
	}
	snprintf(buf, size, "%s", room);
	perturbed(e, buf, size);
}

/* A short label for an event, as the terminal shows it (analysis.h). */
void
lk_event_label(const struct lk_trace *t, const struct lk_tev *e, char *buf,
               size_t size)
{
	lk_label(t, e, LK_LABEL_TERMINAL, buf, size);
}
