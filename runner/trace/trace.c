/* The trace in memory and as JSON Lines (docs/trace-format.md). */
#include <errno.h>
#include <jansson.h>
#include <sys/file.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "strategy/strategy.h"
#include "trace/trace.h"

static const char *const verdicts[] = {
        [LK_V_DONE] = "done",         [LK_V_DEADLOCK] = "deadlock",
        [LK_V_CRASH] = "crash",       [LK_V_TIMEOUT] = "timeout",
        [LK_V_LIMIT] = "step-limit",  [LK_V_INTERRUPTED] = "interrupted",
        [LK_V_DIVERGED] = "diverged",
};

static const char *const acts[] = {
        [LK_ACT_PRINT] = "print",     [LK_ACT_POST] = "post",
        [LK_ACT_WAIT] = "wait",       [LK_ACT_TRYWAIT] = "trywait",
        [LK_ACT_WRITE] = "write",     [LK_ACT_SLEEP] = "sleep",
        [LK_ACT_REPEAT] = "repeat",   [LK_ACT_SPAWN] = "spawn",
        [LK_ACT_WAITPID] = "waitpid", [LK_ACT_EXEC] = "exec",
        [LK_ACT_READ] = "read",       [LK_ACT_CLOSE] = "close",
        [LK_ACT_OPEN] = "open",       [LK_ACT_LOAD] = "load",
        [LK_ACT_STORE] = "store",     [LK_ACT_ADD] = "add",
        [LK_ACT_ATTACH] = "attach",   [LK_ACT_DETACH] = "detach",
        [LK_ACT_REMOVE] = "remove",   [LK_ACT_KILL] = "kill",
        [LK_ACT_HANDLER] = "handler", [LK_ACT_PAUSE] = "pause",
        [LK_ACT_LOCK] = "lock",       [LK_ACT_UNLOCK] = "unlock",
        [LK_ACT_SEMOP] = "semop",
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
	for (size_t p = 0; p < t->nprocs; p++)
		lk_trace_label(t->procs[p].label, sizeof(t->procs[p].label),
		               t->procs[p].name, t->procs[p].program);
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
	switch (e->op) {
	case LK_OP_OPEN:
	case LK_OP_UNLINK:
	case LK_OP_RENAME:
	case LK_OP_LINK:
	case LK_OP_SYMLINK:
	case LK_OP_MKDIR:
	case LK_OP_RMDIR:
		return 1;
	default:
		return 0;
	}
}

/* Did e really change its name? As lk_trace_name_writes, but an open
 * that found the file (off 0: open(O_CREAT) of an existing database)
 * only looked it up. Not for clocks: whether a file was there before
 * the run must not change a trace. */
int
lk_trace_name_changes(const struct lk_tev *e)
{
	if (e->op == LK_OP_OPEN)
		return !e->blocked && e->ret >= 0 && e->off != 0;
	return lk_trace_name_writes(e);
}

/* The name a rename or link read from (its arg), or -1. */
int
lk_trace_name_from(const struct lk_trace *t, const struct lk_tev *e)
{
	if ((e->op != LK_OP_RENAME && e->op != LK_OP_LINK) ||
	    !lk_trace_is_name(t, (int)e->arg))
		return -1;
	return (int)e->arg;
}

/* Is object o of t a pipe or a FIFO? */
int
lk_trace_is_pipe(const struct lk_trace *t, int o)
{
	return o >= 0 && (size_t)o < t->nobjs &&
	       (t->objs[o].type == LK_OT_PIPE || t->objs[o].type == LK_OT_FIFO);
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
	static const char *const types[] = {"sem",    "sem",  "file", "stream",
	                                    "pipe",   "fifo", "shm",  "cell",
	                                    "semset", "name"};

	json_object_set_new(h, "lockstep_trace", json_integer(LK_TRACE_FORMAT));
	json_object_set_new(h, "scenario", json_string(t->scenario));
	json_object_set_new(h, "file", json_string(t->file));
	json_object_set_new(h, "strategy",
	                    json_string(lk_strategy_name(t->strategy)));
	json_object_set_new(h, "seed", json_integer((json_int_t)t->seed));
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
		json_array_append_new(procs, p);
	}
	json_object_set_new(h, "procs", procs);
	for (size_t i = 0; i < t->nobjs; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(t->objs[i].name));
		json_object_set_new(o, "type",
		                    json_string(t->objs[i].type < 10
		                                        ? types[t->objs[i].type]
		                                        : "?"));
		json_array_append_new(objs, o);
	}
	json_object_set_new(h, "objects", objs);
	end_state(t, h);
	return h;
}

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
	switch (e->op) {
	case LK_OP_WRITE:
	case LK_OP_READ:
		json_object_set_new(args, "fd", json_integer(e->arg));
		if (e->obj >= 0 && (size_t)e->obj < t->nobjs &&
		    t->objs[e->obj].type == LK_OT_FILE)
			json_object_set_new(args, "offset",
			                    json_integer(e->off));
		json_object_set_new(
		        args, "data",
		        bytes_string(e->data ? e->data : "", e->len));
		break;
	case LK_OP_CLOSE:
	case LK_OP_DUP2:
		json_object_set_new(args, "fd", json_integer(e->arg));
		if (lk_trace_is_pipe(t, e->obj))
			json_object_set_new(
			        args, "end",
			        json_string(e->off == 0 ? "read" : "write"));
		break;
	case LK_OP_OPEN:
		json_object_set_new(args, "fd", json_integer(e->arg));
		break;
	case LK_OP_RENAME:
	case LK_OP_LINK:
		if (lk_trace_name_from(t, e) >= 0)
			json_object_set_new(args, "from",
			                    json_string(t->objs[e->arg].name));
		break;
	case LK_OP_LOAD:
	case LK_OP_STORE:
		json_object_set_new(args, "value", json_integer(e->ret));
		break;
	case LK_OP_SEMOP:
		json_object_set_new(
		        args, "ops",
		        bytes_string(e->data ? e->data : "", e->len));
		break;
	case LK_OP_FCNTL: {
		int type = (int)((e->arg >> 8) & 0xff);

		json_object_set_new(args, "cmd", json_integer(e->arg & 0xff));
		json_object_set_new(args, "lock",
		                    json_string(type == F_UNLCK   ? "unlock"
		                                : type == F_RDLCK ? "read"
		                                                  : "write"));
		json_object_set_new(args, "start", json_integer(e->off));
		json_object_set_new(args, "len", json_integer(e->arg >> 16));
		break;
	}
	case LK_OP_FLOCK:
		json_object_set_new(args, "lock",
		                    json_string((e->arg & LOCK_UN) ? "unlock"
		                                : (e->arg & LOCK_SH)
		                                        ? "read"
		                                        : "write"));
		break;
	case LK_OP_KILL:
		if (e->off >= 0 && (size_t)e->off < t->nprocs)
			json_object_set_new(args, "to",
			                    json_string(t->procs[e->off].name));
		/* fall through */
	case LK_OP_SIGNAL:
		json_object_set_new(args, "signal", json_integer(e->arg));
		break;
	case LK_OP_SLEEP:
		json_object_set_new(args, "ns", json_integer(e->arg));
		break;
	case LK_OP_FORK:
		if (e->ret >= 0 && (size_t)e->arg < t->nprocs)
			json_object_set_new(args, "child",
			                    json_string(t->procs[e->arg].name));
		break;
	case LK_OP_START:
		if ((size_t)e->arg < t->nprocs)
			json_object_set_new(args, "parent",
			                    json_string(t->procs[e->arg].name));
		break;
	case LK_OP_EXIT:
		json_object_set_new(args, "status", json_integer(e->arg));
		break;
	case LK_OP_EXEC:
		json_object_set_new(
		        args, "path",
		        bytes_string(e->data ? e->data : "", e->len));
		break;
	case LK_OP_WAIT:
		if (!e->blocked && e->ret > 0 && (size_t)e->ret < t->nprocs)
			json_object_set_new(args, "child",
			                    json_string(t->procs[e->ret].name));
		json_object_set_new(args, "status", json_integer(e->arg));
		if (e->choices != 0) {
			/* The kernel could have reaped any of these: the
			 * schedule chose the child above. */
			json_t *of = json_array();

			for (size_t q = 0; q < t->nprocs && q < 64; q++)
				if (e->choices & (1ull << q))
					json_array_append_new(
					        of,
					        json_string(t->procs[q].name));
			json_object_set_new(args, "choices", of);
		}
		break;
	case LK_OP_SEM_OPEN:
	case LK_OP_SEM_INIT:
	case LK_OP_SEM_GETVALUE:
		json_object_set_new(args, "value", json_integer(e->arg));
		break;
	case LK_OP_POLL:
	case LK_OP_SELECT: {
		/* The descriptors it watched, and those it found ready. */
		json_t *ready = json_array();
		const char *p = e->data ? e->data : "";
		char *end;

		while (*p != '\0') {
			long fd = strtol(p, &end, 10);

			if (end == p)
				break;
			json_array_append_new(ready, json_integer(fd));
			p = end;
		}
		json_object_set_new(args, "nfds", json_integer(e->off));
		json_object_set_new(args, "ready", ready);
		break;
	}
	default:
		break;
	}
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
