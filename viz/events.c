/*
 * viz's view of a trace: the trace as the trace part reads it
 * (runner/trace/read.c), the edges of its one happens-before model
 * (lk_trace_edges), and what the drawing reads of each event's fields.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/stop.h"
#include "common/protocol.h"
#include "viz.h"

/* What viz draws of each operation it knows, at its enum lk_op. */
static const unsigned char viz_ops[LK_OP__COUNT] = {
        [LK_OP_SEM_OPEN] = LK__VIZ_SEM_OPEN,
        [LK_OP_SEM_CLOSE] = LK__VIZ_SEM_CLOSE,
        [LK_OP_SEM_UNLINK] = LK__VIZ_SEM_UNLINK,
        [LK_OP_SEM_INIT] = LK__VIZ_SEM_INIT,
        [LK_OP_SEM_DESTROY] = LK__VIZ_SEM_DESTROY,
        [LK_OP_SEM_WAIT] = LK__VIZ_SEM_WAIT,
        [LK_OP_SEM_TRYWAIT] = LK__VIZ_SEM_TRYWAIT,
        [LK_OP_SEM_TIMEDWAIT] = LK__VIZ_SEM_TIMEDWAIT,
        [LK_OP_SEM_POST] = LK__VIZ_SEM_POST,
        [LK_OP_SEM_GETVALUE] = LK__VIZ_SEM_GETVALUE,
        [LK_OP_WRITE] = LK__VIZ_WRITE,
        [LK_OP_SLEEP] = LK__VIZ_SLEEP,
        [LK_OP_FORK] = LK__VIZ_FORK,
        [LK_OP_START] = LK__VIZ_START,
        [LK_OP_EXIT] = LK__VIZ_EXIT,
        [LK_OP_EXEC] = LK__VIZ_EXEC,
        [LK_OP_WAIT] = LK__VIZ_WAIT,
        [LK_OP_READ] = LK__VIZ_READ,
        [LK_OP_SEND] = LK__VIZ_WRITE,
        [LK_OP_RECV] = LK__VIZ_READ,
        [LK_OP_CLOSE] = LK__VIZ_CLOSE,
        [LK_OP_DUP2] = LK__VIZ_DUP2,
        [LK_OP_OPEN] = LK__VIZ_OPEN,
        [LK_OP_KILL] = LK__VIZ_KILL,
        [LK_OP_SIGNAL] = LK__VIZ_SIGNAL,
        [LK_OP_PAUSE] = LK__VIZ_PAUSE,
        [LK_OP_LOAD] = LK__VIZ_LOAD,
        [LK_OP_STORE] = LK__VIZ_STORE,
        [LK_OP_SEMOP] = LK__VIZ_SEMOP,
};

/* What viz draws of e's operation. */
int
lk__viz_op(const struct lk_tev *e)
{
	if (e->op < 0 || e->op >= LK_OP__COUNT)
		return LK__VIZ_OTHER;
	/* Every record lock operation (the table's LOCK kind) has the
	 * lock's marks. */
	if (lk_op_info((unsigned)e->op)->kind == LK_OK_LOCK)
		return LK__VIZ_LOCK;
	/* A thread's end is an exit; its other calls have their arrows. */
	if (e->op == LK_OP_PTHREAD_EXIT)
		return LK__VIZ_EXIT;
	if (strncmp(lk_op_info((unsigned)e->op)->name, "pthread_", 8) == 0)
		return LK__VIZ_THREAD;
	return viz_ops[e->op];
}

/* Whether e is a <print>'s write. */
int
lk__viz_print(const struct lk_tev *e)
{
	return e->act == LK_ACT_PRINT + 1;
}

/* Process index p of t, or -1. */
static int
proc_or_none(const struct lk_trace *t, int64_t p)
{
	return p >= 0 && (uint64_t)p < t->nprocs ? (int)p : -1;
}

/* The other process e names, or -1. */
int
lk__viz_peer(const struct lk_trace *t, const struct lk_tev *e)
{
	switch (e->op) {
	case LK_OP_FORK:
		return e->ret >= 0 ? proc_or_none(t, e->u.fork.child) : -1;
	case LK_OP_START:
		return proc_or_none(t, e->u.start.parent);
	case LK_OP_KILL:
		return proc_or_none(t, e->u.kill.to);
	case LK_OP_WAIT:
		return !e->blocked && e->ret > 0 ? proc_or_none(t, e->ret) : -1;
	default:
		return -1;
	}
}

/* The descriptor e used, or -1. */
int
lk__viz_fd(const struct lk_tev *e)
{
	int fd;

	switch (e->op) {
	case LK_OP_READ:
	case LK_OP_WRITE:
	case LK_OP_SEND:
	case LK_OP_RECV:
		fd = e->u.rw.fd;
		break;
	case LK_OP_CLOSE:
		fd = e->u.close.fd;
		break;
	case LK_OP_DUP2:
		fd = e->u.dup2.newfd;
		break;
	case LK_OP_OPEN:
		fd = e->u.open.fd;
		break;
	default:
		return -1;
	}
	return fd >= 0 ? fd : -1;
}

/* close, dup2 of a pipe: 'r' or 'w' for the end, else 0. */
int
lk__viz_end(const struct lk_trace *t, const struct lk_tev *e)
{
	int mode = e->op == LK_OP_CLOSE  ? e->u.close.mode
	           : e->op == LK_OP_DUP2 ? e->u.dup2.mode
	                                 : -1;

	if (!lk_trace_is_pipe(t, e->obj))
		return 0;
	return mode == O_RDONLY ? 'r' : mode == O_WRONLY ? 'w' : 0;
}

/* A record lock's kind: 'r', 'w', 'u' (unlock), or 0. */
int
lk__viz_lock(const struct lk_tev *e)
{
	if (!(lk_op_flags((unsigned)e->op) & LK_OPF_LOCK))
		return 0;
	return e->u.lock.type == F_UNLCK   ? 'u'
	       : e->u.lock.type == F_RDLCK ? 'r'
	       : e->u.lock.type == F_WRLCK ? 'w'
	                                   : 0;
}

/* The number e's args hold into *v; 0 when it has none. */
int
lk__viz_num(const struct lk_tev *e, long long *v)
{
	*v = 0;
	switch (e->op) {
	case LK_OP_SLEEP:
		*v = e->u.sleep.ns;
		return 1;
	case LK_OP_EXIT:
		*v = e->u.exit.status;
		return 1;
	case LK_OP_WAIT:
		*v = e->u.wait.status;
		return 1;
	case LK_OP_SEM_OPEN:
	case LK_OP_SEM_INIT:
	case LK_OP_SEM_GETVALUE:
		*v = e->u.sem.value;
		return 1;
	/* A trace file that gave no signal: none shown. */
	case LK_OP_KILL:
		*v = e->u.kill.sig;
		return *v != 0;
	case LK_OP_SIGNAL:
		*v = e->u.signal.sig;
		return *v != 0;
	case LK_OP_LOAD:
	case LK_OP_STORE:
		*v = e->ret;
		return 1;
	default:
		return 0;
	}
}

/* The name of object o, or what a process waits on besides objects. */
const char *
lk__viz_obj(const struct lk_trace *t, int o)
{
	if (o == LK_WAIT_CHILD)
		return "(a child)";
	if (o == LK_WAIT_SIGNAL)
		return "(a signal)";
	return o >= 0 && (size_t)o < t->nobjs ? t->objs[o].name : "?";
}

/* The strategy as the header wrote it, "" when it had none. */
const char *
lk__viz_strategy(const struct lk_trace *t)
{
	return t->strategy == LK_TRACE_STRATEGY_NONE
	               ? ""
	               : lk_strategy_name(t->strategy);
}

/* Event e happens before f by the vector clock rule. */
int
lk__viz_hb(const struct lk_tev *e, const struct lk_tev *f)
{
	return e->vc[e->proc] <= f->vc[e->proc];
}

/* Make the view of trace tr (which it takes), named path; 0, or -1
 * with err filled. */
static int
view(struct lk_trace *tr, const char *path, struct lk_viz_trace **out,
     struct lk_err *err)
{
	struct lk_viz_trace *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		lk_trace_free(tr);
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", path);
		return -1;
	}
	t->tr = tr;
	if (lk_stop_requested()) {
		lk_err_set(err, 128 + lk_stop_requested(), "%s: interrupted",
		           path);
		lk_viz_free(t);
		return -1;
	}
	t->path = strdup(path);
	t->in_cycle = calloc(tr->nprocs + 1, 1);
	if (t->path == NULL || t->in_cycle == NULL ||
	    lk_trace_edges(tr, &t->edges, &t->nedges) < 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: out of memory", path);
		lk_viz_free(t);
		return -1;
	}
	for (size_t i = 0; i < tr->ncycle; i++)
		t->in_cycle[tr->cycle[i]] = 1;
	*out = t;
	return 0;
}

/* Read the trace at path into *out; 0, or -1 with err filled. */
int
lk_viz_read(const char *path, struct lk_viz_trace **out, struct lk_err *err)
{
	struct lk_trace *tr;

	*out = NULL;
	if (lk_trace_read(path, &tr, err) < 0)
		return -1;
	return view(tr, path, out, err);
}

/* The same for the len bytes at buf, named path in messages. */
int
lk_viz_read_mem(const char *buf, size_t len, const char *path,
                struct lk_viz_trace **out, struct lk_err *err)
{
	struct lk_trace *tr;

	*out = NULL;
	if (lk_trace_read_mem(buf, len, path, &tr, err) < 0)
		return -1;
	return view(tr, path, out, err);
}

/* Free a trace from lk_viz_read; NULL is allowed. */
void
lk_viz_free(struct lk_viz_trace *t)
{
	if (t == NULL)
		return;
	lk_trace_free(t->tr);
	free(t->edges);
	free(t->in_cycle);
	free(t->path);
	free(t);
}

/* The last step of the trace, -1 when it has no events. */
long
lk_viz_last_step(const struct lk_viz_trace *t)
{
	return t->tr->nevents > 0 ? (long)t->tr->ev[t->tr->nevents - 1].step
	                          : -1;
}

/* Number of cross-process happens-before edges in the whole trace. */
size_t
lk_viz_edges(const struct lk_viz_trace *t)
{
	return t ? t->nedges : 0;
}
