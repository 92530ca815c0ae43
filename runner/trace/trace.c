/* The trace in memory and as JSON Lines (docs/trace-format.md). */
#include <errno.h>
#include <jansson.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/protocol.h"
#include "trace/trace.h"

static const char *const verdicts[] = {
        [LK_V_DONE] = "done",         [LK_V_DEADLOCK] = "deadlock",
        [LK_V_CRASH] = "crash",       [LK_V_TIMEOUT] = "timeout",
        [LK_V_LIMIT] = "step-limit",  [LK_V_INTERRUPTED] = "interrupted",
        [LK_V_DIVERGED] = "diverged",
};

static const char *const acts[] = {
        [LK_ACT_PRINT] = "print",
        [LK_ACT_POST] = "post",
        [LK_ACT_WAIT] = "wait",
        [LK_ACT_TRYWAIT] = "trywait",
        [LK_ACT_WRITE] = "write",
        [LK_ACT_SLEEP] = "sleep",
        [LK_ACT_REPEAT] = "repeat",
        [LK_ACT_SPAWN] = "spawn",
        [LK_ACT_WAITPID] = "waitpid",
        [LK_ACT_EXEC] = "exec",
        [LK_ACT_READ] = "read",
        [LK_ACT_CLOSE] = "close",
        [LK_ACT_OPEN] = "open",
        [LK_ACT_LOAD] = "load",
        [LK_ACT_STORE] = "store",
        [LK_ACT_ADD] = "add",
        [LK_ACT_ATTACH] = "attach",
        [LK_ACT_DETACH] = "detach",
        [LK_ACT_REMOVE] = "remove",
        [LK_ACT_KILL] = "kill",
        [LK_ACT_HANDLER] = "handler",
        [LK_ACT_PAUSE] = "pause",
        [LK_ACT_LOCK] = "lock",
        [LK_ACT_UNLOCK] = "unlock",
        [LK_ACT_SEMOP] = "semop",
        [LK_ACT_LISTEN] = "listen",
        [LK_ACT_ACCEPT] = "accept",
        [LK_ACT_CONNECT] = "connect",
        [LK_ACT_SEND] = "send",
        [LK_ACT_RECV] = "recv",
        [LK_ACT_SHUTDOWN] = "shutdown",
        [LK_ACT_THREAD] = "thread",
        [LK_ACT_START] = "start",
        [LK_ACT_JOIN] = "join",
        [LK_ACT_SIGNAL] = "signal",
        [LK_ACT_BROADCAST] = "broadcast",
        [LK_ACT_BARRIER_WAIT] = "barrier-wait",
};

/* A new empty trace, or NULL when out of memory. */
struct lk_trace *
lk_trace_new(void)
{
	struct lk_trace *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->culprit = t->stuck = t->lost_status = -1;
	return t;
}

/* Free a trace; NULL is allowed. */
void
lk_trace_free(struct lk_trace *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nevents; i++)
		free(t->ev[i].data);
	free(t->vc_pool);
	for (size_t i = 0; t->files != NULL && i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->file_lens);
	free(t->ev);
	free(t->procs);
	free(t->objs);
	free(t->scenario);
	free(t->failed);
	free(t->file);
	free(t->output);
	free(t->errout);
	for (size_t i = 0; i < t->nopnames; i++)
		free(t->opnames[i]);
	free(t->opnames);
	free(t);
}

/* "SIGSEGV" for SIGSEGV, "SIG34" for one glibc has no name for (one
 * static buffer: not reentrant). */
const char *
lk_signal_name(int sig)
{
	static char buf[16];
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev != NULL)
		snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	else
		snprintf(buf, sizeof(buf), "SIG%d", sig);
	return buf;
}

/* Name of an object index, or NULL for -1. */
const char *
lk_trace_obj_name(const struct lk_trace *t, int obj)
{
	return obj >= 0 && (size_t)obj < t->nobjs ? t->objs[obj].name : NULL;
}

/* name, or "name (prog)" when prog is not empty and not the last
 * component of name (a process "wc" that runs wc stays "wc"). */
void
lk_trace_label(char *buf, size_t size, const char *name, const char *prog)
{
	const char *last = strrchr(name, '.');

	last = last != NULL ? last + 1 : name;
	if (prog == NULL || prog[0] == '\0' || strcmp(prog, last) == 0)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%s (%s)", name, prog);
}

/* Find each process's last program from its execve events (trace.h).
 * An exec that fails after its step was taken is a second execve event
 * of the same process with ret -1, right after the first: it undoes it. */
void
lk_trace_programs(struct lk_trace *t)
{
	char undo[LK_MAX_PROCS][LK_NAME_MAX];
	int just[LK_MAX_PROCS] = {0};

	for (size_t p = 0; p < t->nprocs; p++)
		t->procs[p].program[0] = '\0';
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		struct lk_tproc *pr;
		const char *base;
		int was = 0;

		if (e->proc < 0 || (size_t)e->proc >= t->nprocs ||
		    e->proc >= LK_MAX_PROCS)
			continue;
		pr = &t->procs[e->proc];
		was = just[e->proc];
		just[e->proc] = 0;
		if (e->op != LK_OP_EXEC)
			continue;
		if (e->ret < 0) {
			if (was)
				memcpy(pr->program, undo[e->proc], LK_NAME_MAX);
			continue;
		}
		base = e->data != NULL ? strrchr(e->data, '/') : NULL;
		base = base != NULL ? base + 1 : e->data;
		if (base == NULL || base[0] == '\0')
			continue;
		memcpy(undo[e->proc], pr->program, LK_NAME_MAX);
		snprintf(pr->program, sizeof(pr->program), "%s", base);
		just[e->proc] = 1;
	}
	/* A thread that exec'd nothing is shown with its start routine. */
	for (size_t p = 0; p < t->nprocs; p++)
		lk_trace_label(t->procs[p].label, sizeof(t->procs[p].label),
		               t->procs[p].name,
		               t->procs[p].program[0] != '\0'
		                       ? t->procs[p].program
		                       : t->procs[p].routine);
}

/* Process p as a person reads it (trace.h). */
const char *
lk_trace_proc_label(const struct lk_trace *t, int p)
{
	if (p < 0 || (size_t)p >= t->nprocs)
		return "?";
	return t->procs[p].label[0] != '\0' ? t->procs[p].label
	                                    : t->procs[p].name;
}

/* Is object o of t a file-system name? */
int
lk_trace_is_name(const struct lk_trace *t, int o)
{
	return o >= 0 && (size_t)o < t->nobjs && t->objs[o].type == LK_OT_NAME;
}

/* Did e create, remove or replace its name? A failed call only looked. */
int
lk_trace_name_writes(const struct lk_tev *e)
{
	if (e->blocked || e->ret < 0)
		return 0;
	return (lk_op_flags((unsigned)e->op) & LK_OPF_NAMEW) != 0;
}

/* Did e really change its name? As lk_trace_name_writes, but an open
 * that found the file (open(O_CREAT) of an existing database) only
 * looked it up. Not for clocks: whether a file was there before the run
 * must not change a trace. */
int
lk_trace_name_changes(const struct lk_tev *e)
{
	if (e->op == LK_OP_OPEN)
		return !e->blocked && e->ret >= 0 && e->u.open.created != 0;
	return lk_trace_name_writes(e);
}

/* The second name a rename or link read from (u.name.from), or -1. */
int
lk_trace_name_from(const struct lk_trace *t, const struct lk_tev *e)
{
	if (!(lk_op_flags((unsigned)e->op) & LK_OPF_FROM) ||
	    !lk_trace_is_name(t, e->u.name.from))
		return -1;
	return e->u.name.from;
}

/* Is object o of t a pipe, a FIFO or a socket's end (a queue of bytes)? */
int
lk_trace_is_pipe(const struct lk_trace *t, int o)
{
	return o >= 0 && (size_t)o < t->nobjs &&
	       (t->objs[o].type == LK_OT_PIPE ||
	        t->objs[o].type == LK_OT_FIFO || t->objs[o].type == LK_OT_SOCK);
}

/* Name of operation op of t (trace.h). */
const char *
lk_trace_op_name(const struct lk_trace *t, int op)
{
	if (op >= LK_OP__COUNT && (size_t)(op - LK_OP__COUNT) < t->nopnames)
		return t->opnames[op - LK_OP__COUNT];
	return lk_op_name((unsigned)op);
}

/* Name of a verdict. */
const char *
lk_verdict_name(enum lk_verdict v)
{
	return (unsigned)v < sizeof(verdicts) / sizeof(verdicts[0])
	               ? verdicts[v]
	               : "?";
}

/* Name of an action (act field, kind + 1), or NULL. */
const char *
lk_act_name(int act)
{
	return act > 0 && (size_t)act <= sizeof(acts) / sizeof(acts[0])
	               ? acts[act - 1]
	               : NULL;
}

/* A JSON string of bytes that may not be UTF-8: invalid bytes become
 * U+FFFD so the line stays valid JSON. */
static json_t *
bytes_string(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *copy;

	if (j != NULL)
		return j;
	copy = malloc(len * 3 + 1);
	if (copy == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			copy[k++] = (char)c;
		} else {
			copy[k++] = (char)0xef;
			copy[k++] = (char)0xbf;
			copy[k++] = (char)0xbd;
		}
	}
	j = json_stringn(copy, k);
	free(copy);
	return j;
}

/* How the run ended, in the header (written after the run): verdict,
 * culprit, final virtual time, who is blocked on what, the cycle. */
static void
end_state(const struct lk_trace *t, json_t *h)
{
	json_t *blocked = json_object(), *cycle = json_array();

	json_object_set_new(h, "verdict",
	                    json_string(lk_verdict_name(t->verdict)));
	json_object_set_new(h, "culprit",
	                    t->culprit >= 0 && (size_t)t->culprit < t->nprocs
	                            ? json_string(t->procs[t->culprit].name)
	                            : json_null());
	json_object_set_new(h, "vt_end", json_integer((json_int_t)t->vt));
	for (size_t p = 0; p < t->nprocs; p++)
		if (!t->procs[p].exited &&
		    t->procs[p].blocked_on == LK_WAIT_CHILD)
			json_object_set_new(blocked, t->procs[p].name,
			                    json_string("(a child)"));
		else if (!t->procs[p].exited &&
		         t->procs[p].blocked_on == LK_WAIT_SIGNAL)
			json_object_set_new(blocked, t->procs[p].name,
			                    json_string("(a signal)"));
		else if (!t->procs[p].exited &&
		         t->procs[p].blocked_on == LK_WAIT_THREAD)
			json_object_set_new(blocked, t->procs[p].name,
			                    json_string("(a thread)"));
		else if (!t->procs[p].exited && t->procs[p].blocked_on >= 0)
			json_object_set_new(
			        blocked, t->procs[p].name,
			        json_string(lk_trace_obj_name(
			                t, t->procs[p].blocked_on)));
	json_object_set_new(h, "blocked", blocked);
	for (size_t i = 0; i < t->ncycle; i++)
		json_array_append_new(cycle,
		                      json_string(t->procs[t->cycle[i]].name));
	json_object_set_new(h, "cycle", cycle);
}

/* The header line. */
static json_t *
header(const struct lk_trace *t)
{
	json_t *h = json_object(), *procs = json_array(), *objs = json_array();
	static const char *const types[] = {
	        "sem",    "sem",    "file",    "stream",   "pipe",  "fifo",
	        "shm",    "cell",   "semset",  "name",     "mutex", "cond",
	        "socket", "rwlock", "barrier", "spinlock", "once"};

	json_object_set_new(h, "lockstep_trace", json_integer(LK_TRACE_FORMAT));
	json_object_set_new(h, "scenario", json_string(t->scenario));
	json_object_set_new(h, "file", json_string(t->file));
	json_object_set_new(h, "strategy",
	                    json_string(lk_strategy_name(t->strategy)));
	json_object_set_new(h, "seed", json_integer((json_int_t)t->seed));
	/* An extension (docs/trace-format.md): only with --perturb. */
	if (t->perturb)
		json_object_set_new(h, "perturb", json_true());
	/* An extension (docs/trace-format.md): only when one failed. */
	if (t->failed != NULL)
		json_object_set_new(h, "failed", json_string(t->failed));
	for (size_t i = 0; i < t->nprocs; i++) {
		json_t *p = json_object();

		json_object_set_new(p, "name", json_string(t->procs[i].name));
		json_object_set_new(
		        p, "parent",
		        t->procs[i].parent >= 0
		                ? json_string(t->procs[t->procs[i].parent].name)
		                : json_null());
		/* An extension (docs/trace-format.md): only after an exec. */
		if (t->procs[i].program[0] != '\0')
			json_object_set_new(
			        p, "program",
			        bytes_string(t->procs[i].program,
			                     strlen(t->procs[i].program)));
		/* Extensions: a thread's lane says so, and names its start
		 * routine where known. */
		if (t->procs[i].thread)
			json_object_set_new(p, "thread", json_true());
		if (t->procs[i].routine[0] != '\0')
			json_object_set_new(
			        p, "routine",
			        bytes_string(t->procs[i].routine,
			                     strlen(t->procs[i].routine)));
		json_array_append_new(procs, p);
	}
	json_object_set_new(h, "procs", procs);
	for (size_t i = 0; i < t->nobjs; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(t->objs[i].name));
		json_object_set_new(
		        o, "type",
		        json_string(t->objs[i].type < sizeof(types) /
		                                              sizeof(types[0])
		                            ? types[t->objs[i].type]
		                            : "?"));
		json_array_append_new(objs, o);
	}
	json_object_set_new(h, "objects", objs);
	end_state(t, h);
	return h;
}

/*
 * The "args" of an event, one function per kind the LK_OPS table names
 * (its last column): the typed payload as the trace format has it
 * (docs/trace-format.md).
 */
#define ARGS_FN(kind)                                                          \
	static void args_##kind(const struct lk_trace *t,                      \
	                        const struct lk_tev *e, json_t *args)

/* Set key of args to v. */
static void
put(json_t *args, const char *key, json_t *v)
{
	json_object_set_new(args, key, v);
}

/* The event's bytes as a JSON string. */
static json_t *
data_of(const struct lk_tev *e)
{
	return bytes_string(e->data ? e->data : "", e->len);
}

ARGS_FN(none)
{
	(void)t, (void)e, (void)args;
}

ARGS_FN(rw)
{
	put(args, "fd", json_integer(e->u.rw.fd));
	if (e->obj >= 0 && (size_t)e->obj < t->nobjs &&
	    t->objs[e->obj].type == LK_OT_FILE)
		put(args, "offset", json_integer(e->u.rw.off));
	/* A recv with MSG_PEEK (sock.c): its bytes stay in the socket. */
	if (e->op == LK_OP_RECV && e->u.rw.off == -2)
		put(args, "peek", json_true());
	put(args, "data", data_of(e));
	/* --perturb: the call could have moved this many bytes, and moved
	 * ret of them (the schedule's choice). */
	if (e->u.rw.avail != 0)
		put(args, "avail", json_integer(e->u.rw.avail));
}

/* close, dup2: the descriptor and, of a pipe, the end. */
static void
put_end(const struct lk_trace *t, const struct lk_tev *e, json_t *args, int fd,
        int mode)
{
	put(args, "fd", json_integer(fd));
	if (lk_trace_is_pipe(t, e->obj))
		put(args, "end", json_string(mode == 0 ? "read" : "write"));
}

ARGS_FN(close)
{
	put_end(t, e, args, e->u.close.fd, e->u.close.mode);
}

ARGS_FN(dup2)
{
	put_end(t, e, args, e->u.dup2.newfd, e->u.dup2.mode);
}

ARGS_FN(open)
{
	(void)t;
	put(args, "fd", json_integer(e->u.open.fd));
}

ARGS_FN(from)
{
	int from = lk_trace_name_from(t, e);

	if (from >= 0)
		put(args, "from", json_string(t->objs[from].name));
}

ARGS_FN(cell)
{
	(void)t;
	put(args, "value", json_integer(e->ret));
}

ARGS_FN(semop)
{
	(void)t;
	put(args, "ops", data_of(e));
	if (e->u.semop.undo)
		put(args, "undo", json_true());
}

ARGS_FN(fcntl)
{
	int type = e->u.lock.type;

	(void)t;
	put(args, "cmd", json_integer(e->u.lock.cmd));
	put(args, "lock",
	    json_string(type == F_UNLCK   ? "unlock"
	                : type == F_RDLCK ? "read"
	                                  : "write"));
	put(args, "start", json_integer(e->u.lock.start));
	put(args, "len", json_integer(e->u.lock.len));
}

/* A lock of the whole file: its kind only. */
ARGS_FN(flock)
{
	int type = e->u.lock.type;

	(void)t;
	put(args, "lock",
	    json_string(type == F_UNLCK   ? "unlock"
	                : type == F_RDLCK ? "read"
	                                  : "write"));
}

ARGS_FN(kill)
{
	if (e->u.kill.to >= 0 && (size_t)e->u.kill.to < t->nprocs)
		put(args, "to", json_string(t->procs[e->u.kill.to].name));
	put(args, "signal", json_integer(e->u.kill.sig));
}

ARGS_FN(signal)
{
	(void)t;
	put(args, "signal", json_integer(e->u.signal.sig));
}

ARGS_FN(sleep)
{
	(void)t;
	put(args, "ns", json_integer(e->u.sleep.ns));
}

ARGS_FN(fork)
{
	if (e->ret >= 0 && (size_t)e->u.fork.child < t->nprocs)
		put(args, "child", json_string(t->procs[e->u.fork.child].name));
}

ARGS_FN(start)
{
	if ((size_t)e->u.start.parent < t->nprocs)
		put(args, "parent",
		    json_string(t->procs[e->u.start.parent].name));
}

ARGS_FN(exit)
{
	(void)t;
	put(args, "status", json_integer(e->u.exit.status));
}

ARGS_FN(thread)
{
	if (e->u.thread.lane >= 0 && (size_t)e->u.thread.lane < t->nprocs)
		put(args, "thread",
		    json_string(t->procs[e->u.thread.lane].name));
}

/* A condition variable: a wait's mutex, how many a signal woke. */
ARGS_FN(cond)
{
	if (e->op == LK_OP_COND_WAIT || e->op == LK_OP_COND_TIMEDWAIT) {
		if (e->u.cond.mutex >= 0 && (size_t)e->u.cond.mutex < t->nobjs)
			put(args, "mutex",
			    json_string(t->objs[e->u.cond.mutex].name));
		if (e->u.cond.released)
			put(args, "released", json_true());
		/* --perturb: it ended without a signal. */
		if (e->u.cond.spurious)
			put(args, "spurious", json_true());
	} else {
		put(args, "woke", json_integer(e->u.cond.woke));
	}
}

/* A read-write lock: which lock a lock takes or an unlock lets go of. */
ARGS_FN(rwlock)
{
	(void)t;
	put(args, "mode", json_string(e->u.rwlock.write ? "write" : "read"));
}

/* A barrier: init's count; a wait's arrival, and the serial thread. */
ARGS_FN(barrier)
{
	(void)t;
	put(args, "count", json_integer(e->u.barrier.count));
	if (e->u.barrier.arrive)
		put(args, "arrive", json_true());
	if (e->u.barrier.serial)
		put(args, "serial", json_true());
}

/* pthread_once: the caller's step that starts the routine, or ends it. */
ARGS_FN(once)
{
	(void)t;
	if (e->u.once.run == 1)
		put(args, "run", json_string("start"));
	else if (e->u.once.run == 2)
		put(args, "run", json_string("end"));
}

ARGS_FN(exec)
{
	(void)t;
	put(args, "path", data_of(e));
}

ARGS_FN(wait)
{
	if (!e->blocked && e->ret > 0 && (size_t)e->ret < t->nprocs)
		put(args, "child", json_string(t->procs[e->ret].name));
	/* Blocked in waitpid(pid): the child it waits for. */
	if (e->blocked && e->u.wait.target >= 0 &&
	    (size_t)e->u.wait.target < t->nprocs)
		put(args, "target",
		    json_string(t->procs[e->u.wait.target].name));
	put(args, "status", json_integer(e->u.wait.status));
	if (e->u.wait.choices != 0) {
		/* The kernel could have reaped any of these: the schedule
		 * chose the child above. */
		json_t *of = json_array();

		for (size_t q = 0; q < t->nprocs && q < 64; q++)
			if (e->u.wait.choices & (1ull << q))
				json_array_append_new(
				        of, json_string(t->procs[q].name));
		put(args, "choices", of);
	}
}

ARGS_FN(value)
{
	(void)t;
	put(args, "value", json_integer(e->u.sem.value));
}

ARGS_FN(poll)
{
	/* The descriptors it watched, and those it found ready. */
	json_t *ready = json_array();
	const char *p = e->data ? e->data : "";
	char *end;

	(void)t;
	while (*p != '\0') {
		long fd = strtol(p, &end, 10);

		if (end == p)
			break;
		json_array_append_new(ready, json_integer(fd));
		p = end;
	}
	put(args, "nfds", json_integer(e->u.poll.nfds));
	put(args, "ready", ready);
}

typedef void (*args_fn)(const struct lk_trace *, const struct lk_tev *,
                        json_t *);

static const args_fn args_of[] = {
#define LK_OP_ARGS(name, str, member, kind, flags, dep, label, args)           \
	[LK_OP_##name] = args_##args,
        LK_OPS(LK_OP_ARGS)
#undef LK_OP_ARGS
};

/* One event line; vc may be absent if clocks were not computed. */
static json_t *
event(const struct lk_trace *t, const struct lk_tev *e)
{
	json_t *j = json_object(), *args = json_object();
	const char *obj = lk_trace_obj_name(t, e->obj);
	const char *act = lk_act_name(e->act);

	json_object_set_new(j, "step", json_integer(e->step));
	json_object_set_new(j, "proc", json_string(t->procs[e->proc].name));
	json_object_set_new(j, "op", json_string(lk_trace_op_name(t, e->op)));
	json_object_set_new(j, "obj", obj ? json_string(obj) : json_null());
	json_object_set_new(j, "ret", json_integer(e->ret));
	json_object_set_new(j, "errno", json_integer(e->err));
	json_object_set_new(j, "blocked", json_boolean(e->blocked));
	if (e->vc != NULL) {
		json_t *vc = json_object();

		for (size_t p = 0; p < t->nprocs; p++)
			if (e->vc[p] != 0)
				json_object_set_new(vc, t->procs[p].name,
				                    json_integer(e->vc[p]));
		json_object_set_new(j, "vc", vc);
	}
	json_object_set_new(j, "vt", json_integer((json_int_t)e->vt));
	json_object_set_new(j, "src",
	                    e->src ? json_integer(e->src) : json_null());
	json_object_set_new(j, "act", act ? json_string(act) : json_null());
	if ((unsigned)e->op < LK_OP__COUNT)
		args_of[e->op](t, e, args);
	json_object_set_new(j, "args", args);
	return j;
}

/* Write one JSON value as a line. */
static int
put_line(json_t *j, FILE *f)
{
	int rc = json_dumpf(
	        j, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);

	json_decref(j);
	if (rc != 0 || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

/* Write t as JSON Lines; 0 or -1 with errno. */
int
lk_trace_write(const struct lk_trace *t, FILE *f)
{
	if (put_line(header(t), f) != 0)
		return -1;
	for (size_t i = 0; i < t->nevents; i++)
		if (put_line(event(t, &t->ev[i]), f) != 0)
			return -1;
	return fflush(f) == 0 ? 0 : -1;
}
