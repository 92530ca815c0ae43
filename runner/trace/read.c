/*
 * Read a trace file (JSON Lines, docs/trace-format.md) back into a
 * struct lk_trace: what `render` and `export` draw from. The file is
 * input, not ours: every line, key and number is checked, every size is
 * bounded, and an error names the file and line and what was expected.
 * lk_trace_write of what this reads gives back the bytes of a trace that
 * lockstep wrote (tests/viz/test_viz.c, test_trace_read_round_trip).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/input.h"
#include "common/stop.h"
#include "common/protocol.h"
#include "trace/trace.h"

/* The state of one read. */
struct reader {
	const char *path;
	FILE *f;
	size_t line; /* number of the line in buf, from 1 */
	char *buf;
	size_t len, cap; /* cap: bytes allocated at buf */
	struct lk_trace *t;
	json_t *procs, *objs, *ops; /* name -> index */
	size_t objcap, evcap, opcap;
	uint32_t *vc;      /* every event's clock, nprocs counters each */
	char *had_program; /* per process: the header named its program */
	struct lk_err *err;
};

/* The object types of the header, at their enum lk_obj_type. */
static const char *const obj_types[] = {
        [LK_OT_SEM_NAMED] = "sem", [LK_OT_FILE] = "file",
        [LK_OT_STREAM] = "stream", [LK_OT_PIPE] = "pipe",
        [LK_OT_FIFO] = "fifo",     [LK_OT_SHM] = "shm",
        [LK_OT_CELL] = "cell",     [LK_OT_SEMSET] = "semset",
        [LK_OT_NAME] = "name",     [LK_OT_MUTEX] = "mutex",
        [LK_OT_COND] = "cond",     [LK_OT_SOCK] = "socket",
        [LK_OT_RWLOCK] = "rwlock", [LK_OT_BARRIER] = "barrier",
        [LK_OT_SPIN] = "spinlock", [LK_OT_ONCE] = "once",
};

/* Report an error on the current line, printf-style; returns -1. */
static int __attribute__((format(printf, 2, 3)))
fail(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lk_err_set(r->err, LK_EXIT_USAGE, "%s:%zu: %s", r->path, r->line, msg);
	return -1;
}

/* Report that memory ran out; returns -1. */
static int
no_memory(struct reader *r)
{
	lk_err_set(r->err, LK_EXIT_INTERNAL, "%s:%zu: out of memory", r->path,
	           r->line);
	return -1;
}

/* Index of name in map, or -1. */
static int
find(json_t *map, const char *name)
{
	json_t *v = json_object_get(map, name);

	return v ? (int)json_integer_value(v) : -1;
}

/* Room for one more byte in r->buf, which grows up to LK_TRACE_MAX_LINE;
 * -1 with an error at the limit or out of memory. */
static int
grow_line(struct reader *r)
{
	size_t cap = r->cap ? r->cap * 2 : 4096;
	char *buf;

	if (r->len < r->cap)
		return 0;
	if (r->len == LK_TRACE_MAX_LINE) {
		r->line++;
		return fail(r, "line longer than 1 MiB");
	}
	if (cap > LK_TRACE_MAX_LINE)
		cap = LK_TRACE_MAX_LINE;
	if ((buf = realloc(r->buf, cap)) == NULL) {
		r->line++;
		return no_memory(r);
	}
	r->buf = buf;
	r->cap = cap;
	return 0;
}

/* Read the next line into r->buf; 1, 0 at end of file, -1 on error. */
static int
read_line(struct reader *r)
{
	int c = EOF;

	r->len = 0;
	while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
		if (grow_line(r) < 0)
			return -1;
		r->buf[r->len++] = (char)c;
	}
	if (ferror(r->f)) {
		lk_err_set(r->err, LK_EXIT_USAGE, "%s:%zu: %s", r->path,
		           r->line + 1, strerror(errno));
		return -1;
	}
	if (c == EOF && r->len == 0)
		return 0;
	r->line++;
	return 1;
}

/* Member key of o, which must be of type (JSON_TRUE: a boolean); with
 * optional, absent or null gives *out NULL. */
static int
get(struct reader *r, json_t *o, const char *key, int type, int optional,
    json_t **out)
{
	json_t *v = json_object_get(o, key);
	static const char *const what[] = {
	        [JSON_OBJECT] = "an object",   [JSON_ARRAY] = "an array",
	        [JSON_STRING] = "a string",    [JSON_INTEGER] = "an integer",
	        [JSON_TRUE] = "true or false",
	};
	int ok;

	*out = NULL;
	if (v == NULL || (optional && json_is_null(v))) {
		if (optional)
			return 0;
		return fail(r, "missing key \"%s\"", key);
	}
	ok = type == JSON_TRUE ? json_is_boolean(v)
	                       : (int)json_typeof(v) == type;
	if (!ok)
		return fail(r, "\"%s\" must be %s%s", key, what[type],
		            optional ? " or null" : "");
	*out = v;
	return 0;
}

/* A required member key of o that is an integer. */
static int
get_int(struct reader *r, json_t *o, const char *key, long long *out)
{
	json_t *v;

	if (get(r, o, key, JSON_INTEGER, 0, &v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* Index of the process named by v (a string), or -1 with an error. */
static int
proc_of(struct reader *r, json_t *v, const char *where)
{
	int i;

	if (!json_is_string(v))
		return fail(r, "%s: a process name must be a string", where);
	i = find(r->procs, json_string_value(v));
	if (i < 0)
		return fail(r,
		            "%s: unknown process \"%s\" (not in the header's "
		            "procs)",
		            where, json_string_value(v));
	return i;
}

/* Copy name into a name field of LK_NAME_MAX bytes; -1 with an error
 * when it does not fit. */
static int
put_name(struct reader *r, char *dst, const char *name, const char *what)
{
	size_t n = strlen(name);

	if (n >= LK_NAME_MAX)
		return fail(r, "%s \"%.*s...\" is longer than %d bytes", what,
		            20, name, LK_NAME_MAX - 1);
	memcpy(dst, name, n + 1);
	return 0;
}

/* Index of the object called name, added (type unknown) when new; -1
 * with an error. */
static int
obj_add(struct reader *r, const char *name, unsigned type)
{
	struct lk_trace *t = r->t;
	int i = find(r->objs, name);

	if (i >= 0 && type == LK_OT_UNKNOWN)
		return i;
	if (t->nobjs == LK_TRACE_MAX_OBJS)
		return fail(r, "too many objects: a trace names at most %d",
		            LK_TRACE_MAX_OBJS);
	if (t->nobjs == r->objcap) {
		size_t cap = r->objcap ? r->objcap * 2 : 16;
		struct lk_tobj *v = realloc(t->objs, cap * sizeof(*v));

		if (v == NULL)
			return no_memory(r);
		t->objs = v;
		r->objcap = cap;
	}
	memset(&t->objs[t->nobjs], 0, sizeof(t->objs[0]));
	if (put_name(r, t->objs[t->nobjs].name, name, "object name") < 0)
		return -1;
	t->objs[t->nobjs].type = type;
	t->objs[t->nobjs].decl = -1;
	t->objs[t->nobjs].value = -1;
	/* A name given twice in the header keeps its first index. */
	if (i < 0 && json_object_set_new(r->objs, name,
	                                 json_integer((json_int_t)t->nobjs)))
		return no_memory(r);
	return (int)t->nobjs++;
}

/* Read the header's procs array. */
static int
read_procs(struct reader *r, json_t *procs)
{
	struct lk_trace *t = r->t;
	size_t i, n = json_array_size(procs);
	json_t *p, *name, *v;

	if (n > LK_MAX_PROCS)
		return fail(r, "procs: at most %d processes", LK_MAX_PROCS);
	t->procs = calloc(n + 1, sizeof(*t->procs));
	r->had_program = calloc(n + 1, 1);
	if (t->procs == NULL || r->had_program == NULL)
		return no_memory(r);
	json_array_foreach(procs, i, p)
	{
		if (!json_is_object(p) ||
		    get(r, p, "name", JSON_STRING, 0, &name))
			return fail(r, "procs: each must be an object with a "
			               "\"name\" string");
		if (find(r->procs, json_string_value(name)) >= 0)
			return fail(r, "procs: process \"%s\" named twice",
			            json_string_value(name));
		if (put_name(r, t->procs[i].name, json_string_value(name),
		             "process name") < 0)
			return -1;
		if (json_object_set_new(r->procs, json_string_value(name),
		                        json_integer((json_int_t)i)))
			return no_memory(r);
		t->procs[i].parent = -1;
		t->procs[i].blocked_on = -1;
		t->procs[i].pending_obj = -1;
		t->procs[i].wait_for = -1;
		t->procs[i].stopped_by = -1;
		t->procs[i].wake_at = LK_NO_TIME;
	}
	t->nprocs = n;
	json_array_foreach(procs, i, p)
	{
		json_t *parent = json_object_get(p, "parent");

		if (parent != NULL && !json_is_null(parent) &&
		    (t->procs[i].parent = proc_of(r, parent, "parent")) < 0)
			return -1;
		/* An extension of the format: absent in older traces. */
		if (get(r, p, "program", JSON_STRING, 1, &v))
			return -1;
		if (v != NULL && json_string_length(v) > 0) {
			snprintf(t->procs[i].program,
			         sizeof(t->procs[i].program), "%s",
			         json_string_value(v));
			r->had_program[i] = 1;
		}
		t->procs[i].thread = json_is_true(json_object_get(p, "thread"));
		if (get(r, p, "routine", JSON_STRING, 1, &v))
			return -1;
		if (v != NULL)
			snprintf(t->procs[i].routine,
			         sizeof(t->procs[i].routine), "%s",
			         json_string_value(v));
	}
	return 0;
}

/* Read the header's objects. */
static int
read_objs(struct reader *r, json_t *objs)
{
	size_t i;
	json_t *v;

	json_array_foreach(objs, i, v)
	{
		json_t *name = json_object_get(v, "name");
		const char *type =
		        json_string_value(json_object_get(v, "type"));
		unsigned k = LK_OT_UNKNOWN;

		if (!json_is_string(name))
			return fail(r, "objects: each needs a \"name\" string");
		for (unsigned j = 0;
		     type != NULL &&
		     j < sizeof(obj_types) / sizeof(obj_types[0]);
		     j++)
			if (obj_types[j] != NULL &&
			    strcmp(obj_types[j], type) == 0)
				k = j;
		if (obj_add(r, json_string_value(name), k) < 0)
			return -1;
	}
	return 0;
}

/* Read the header's blocked and cycle: what the run ended in. */
static int
read_end_state(struct reader *r, json_t *h)
{
	struct lk_trace *t = r->t;
	json_t *objs, *blocked, *cycle, *v;
	const char *key;
	size_t i;
	int p, o;

	if (get(r, h, "objects", JSON_ARRAY, 1, &objs) ||
	    get(r, h, "blocked", JSON_OBJECT, 1, &blocked) ||
	    get(r, h, "cycle", JSON_ARRAY, 1, &cycle))
		return -1;
	if (objs != NULL && read_objs(r, objs) < 0)
		return -1;
	json_object_foreach(blocked, key, v)
	{
		if ((p = find(r->procs, key)) < 0)
			return fail(r, "blocked: unknown process \"%s\"", key);
		o = -1;
		if (json_is_string(v) &&
		    strcmp(json_string_value(v), "(a child)") == 0)
			o = LK_WAIT_CHILD;
		else if (json_is_string(v) &&
		         strcmp(json_string_value(v), "(a signal)") == 0)
			o = LK_WAIT_SIGNAL;
		else if (json_is_string(v) &&
		         strcmp(json_string_value(v), "(a thread)") == 0)
			o = LK_WAIT_THREAD;
		else if (json_is_string(v) &&
		         (o = obj_add(r, json_string_value(v), LK_OT_UNKNOWN)) <
		                 0)
			return -1;
		t->procs[p].blocked_on = o;
	}
	if (json_array_size(cycle) > LK_MAX_PROCS + 1)
		return fail(r, "cycle: at most %d processes", LK_MAX_PROCS + 1);
	json_array_foreach(cycle, i, v)
	{
		if ((p = proc_of(r, v, "cycle")) < 0)
			return -1;
		t->cycle[t->ncycle++] = p;
	}
	return 0;
}

/* Read the header, line 1. */
static int
read_header(struct reader *r, json_t *h)
{
	struct lk_trace *t = r->t;
	json_t *procs, *v;
	long long format;
	int k;

	if (json_object_get(h, "lockstep_trace") == NULL) {
		if (json_object_get(h, "step") != NULL)
			return fail(
			        r, "the header is missing: line 1 is an event");
		return fail(r, "not a lockstep trace: missing key "
		               "\"lockstep_trace\"");
	}
	if (get_int(r, h, "lockstep_trace", &format))
		return -1;
	if (format != LK_TRACE_FORMAT)
		return fail(r,
		            "trace format %lld is not supported (this "
		            "lockstep reads format %d)",
		            format, LK_TRACE_FORMAT);
	if (get(r, h, "scenario", JSON_STRING, 0, &v))
		return -1;
	if ((t->scenario = strdup(json_string_value(v))) == NULL)
		return no_memory(r);
	if (get(r, h, "failed", JSON_STRING, 1, &v))
		return -1;
	if (v != NULL && (t->failed = strdup(json_string_value(v))) == NULL)
		return no_memory(r);
	if (get(r, h, "file", JSON_STRING, 1, &v))
		return -1;
	if (v != NULL && (t->file = strdup(json_string_value(v))) == NULL)
		return no_memory(r);
	if (get(r, h, "procs", JSON_ARRAY, 0, &procs) || read_procs(r, procs))
		return -1;
	if (get(r, h, "strategy", JSON_STRING, 1, &v))
		return -1;
	/* Absent: LK_TRACE_STRATEGY_NONE, which nothing draws; unknown: "?". */
	k = v != NULL ? lk_strategy_lookup(json_string_value(v)) : -1;
	t->strategy = k >= 0      ? (unsigned)k
	              : v != NULL ? LK_TRACE_STRATEGY_UNKNOWN
	                          : LK_TRACE_STRATEGY_NONE;
	if (get(r, h, "verdict", JSON_STRING, 1, &v))
		return -1;
	t->verdict = LK_V_UNKNOWN;
	for (int i = 0; v != NULL && i < LK_V_UNKNOWN; i++)
		if (strcmp(lk_verdict_name((enum lk_verdict)i),
		           json_string_value(v)) == 0)
			t->verdict = (enum lk_verdict)i;
	if (get(r, h, "seed", JSON_INTEGER, 1, &v))
		return -1;
	t->seed = v ? (uint64_t)json_integer_value(v) : 0;
	t->perturb = json_is_true(json_object_get(h, "perturb"));
	if (get(r, h, "vt_end", JSON_INTEGER, 1, &v))
		return -1;
	t->vt = v ? (uint64_t)json_integer_value(v) : 0;
	t->culprit = -1;
	v = json_object_get(h, "culprit");
	if (v != NULL && !json_is_null(v) &&
	    (t->culprit = proc_of(r, v, "culprit")) < 0)
		return -1;
	return read_end_state(r, h);
}

/* Read an event's vc: process name -> counter, into clock. */
static int
read_vc(struct reader *r, json_t *vc, uint32_t *clock)
{
	const char *key;
	json_t *v;
	int p;

	json_object_foreach(vc, key, v)
	{
		if ((p = find(r->procs, key)) < 0)
			return fail(r, "vc: unknown process \"%s\"", key);
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return fail(r,
			            "vc: \"%s\" must be an integer from 0 to "
			            "%u",
			            key, UINT32_MAX);
		clock[p] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

/* The string of args' key (a byte count and a copy) into e. */
static int
take_bytes(struct reader *r, json_t *v, struct lk_tev *e)
{
	size_t n = json_string_length(v);

	if ((e->data = malloc(n + 1)) == NULL)
		return no_memory(r);
	memcpy(e->data, json_string_value(v), n + 1);
	e->len = n;
	return 0;
}

/* Which of words args' string key is, or -1. */
static int
word(json_t *args, const char *key, const char *const *words, int n)
{
	const char *s = json_string_value(json_object_get(args, key));

	for (int i = 0; s != NULL && i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

/* args' integer key, or dflt. */
static long long
num(json_t *args, const char *key, long long dflt)
{
	json_t *v = json_object_get(args, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* The keys any event's args may hold, checked whatever the operation:
 * strings, integers and process names of the right type. */
static int
check_args(struct reader *r, json_t *args)
{
	static const char *const nums[] = {"ns", "status", "value", "signal"};
	static const char *const peers[] = {"child", "parent"};
	json_t *v;

	if (((v = json_object_get(args, "data")) != NULL &&
	     !json_is_string(v)) ||
	    ((v = json_object_get(args, "path")) != NULL && !json_is_string(v)))
		return fail(r, "args: \"data\" and \"path\" must be strings");
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if ((v = json_object_get(args, nums[i])) != NULL &&
		    !json_is_integer(v))
			return fail(r, "args: \"%s\" must be an integer",
			            nums[i]);
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		v = json_object_get(args, peers[i]);
		if (v == NULL || json_is_null(v) ||
		    (json_is_integer(v) && json_integer_value(v) >= 0 &&
		     (size_t)json_integer_value(v) < r->t->nprocs))
			continue;
		if (proc_of(r, v, peers[i]) < 0)
			return -1;
	}
	return 0;
}

/* A process named by args' key (a name, or an index), or -1. */
static int
peer(struct reader *r, json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (size_t)json_integer_value(v) < r->t->nprocs)
		return (int)json_integer_value(v);
	return json_is_string(v) ? find(r->procs, json_string_value(v)) : -1;
}

/* The lock type of args' "lock" ("read", "write", "unlock"), -1 none. */
static int32_t
lock_type(json_t *args)
{
	static const char *const locks[] = {"read", "write", "unlock"};
	static const int types[] = {F_RDLCK, F_WRLCK, F_UNLCK};
	int w = word(args, "lock", locks, 3);

	return w >= 0 ? types[w] : -1;
}

/* poll, select: ready's descriptors as the text trace.c writes from. */
static int
ready_args(struct reader *r, json_t *args, struct lk_tev *e)
{
	json_t *ready = json_object_get(args, "ready"), *v;
	size_t i, k = 0, n = json_array_size(ready);

	e->u.poll.nfds = num(args, "nfds", 0);
	e->u.poll.nready = (int64_t)n;
	if ((e->data = malloc(n * 22 + 1)) == NULL)
		return no_memory(r);
	json_array_foreach(ready, i, v)
	{
		if (!json_is_integer(v))
			return fail(r, "args: \"ready\" must hold integers");
		k += (size_t)snprintf(e->data + k, 23, "%s%lld", k ? " " : "",
		                      (long long)json_integer_value(v));
	}
	e->data[k] = '\0';
	e->len = k;
	return 0;
}

/* A close's or dup2's end of a pipe: its access mode, -1 unknown. */
static int32_t
end_mode(json_t *args)
{
	static const char *const ends[] = {"read", "write"};
	int w = word(args, "end", ends, 2);

	return w == 0 ? O_RDONLY : w == 1 ? O_WRONLY : -1;
}

/* waitpid's choices: the processes it could have reaped, as bits. */
static uint64_t
choices(struct reader *r, json_t *args)
{
	json_t *v = json_object_get(args, "choices");
	uint64_t bits = 0;

	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *c = json_array_get(v, i);
		int q = json_is_string(c) ? find(r->procs, json_string_value(c))
		                          : -1;

		if (q >= 0 && q < 64)
			bits |= 1ull << q;
	}
	return bits;
}

/*
 * Reading an event's args into its payload, one function per kind the
 * LK_OPS table names in its last column (ops.h), the inverse of trace.c's
 * args_<kind>: 0, or -1 with the error in r.
 */
#define READ_FN(kind)                                                          \
	static int read_##kind(struct reader *r, json_t *args, struct lk_tev *e)

READ_FN(none)
{
	(void)r, (void)args, (void)e;
	return 0;
}

/* A load or a store: its words are its data, read with the event. */
READ_FN(cell)
{
	(void)r, (void)args, (void)e;
	return 0;
}

READ_FN(rw)
{
	json_t *v = json_object_get(args, "data");

	e->u.rw.fd = (int32_t)num(args, "fd", -1);
	e->u.rw.off = num(args, "offset", -1);
	if (json_is_true(json_object_get(args, "peek")))
		e->u.rw.off = -2; /* a recv with MSG_PEEK */
	e->u.rw.avail = (int32_t)num(args, "avail", 0);
	return v != NULL ? take_bytes(r, v, e) : 0;
}

READ_FN(close)
{
	(void)r;
	e->u.close.fd = (int32_t)num(args, "fd", -1);
	e->u.close.mode = end_mode(args);
	return 0;
}

READ_FN(dup2)
{
	(void)r;
	e->u.dup2.newfd = (int32_t)num(args, "fd", -1);
	e->u.dup2.mode = end_mode(args);
	return 0;
}

READ_FN(open)
{
	(void)r;
	e->u.open.fd = (int32_t)num(args, "fd", -1);
	return 0;
}

/* rename, link: the name they read from. */
READ_FN(from)
{
	json_t *v = json_object_get(args, "from");

	e->u.name.from = json_is_string(v) ? obj_add(r, json_string_value(v),
	                                             LK_OT_UNKNOWN)
	                                   : -1;
	return json_is_string(v) && e->u.name.from < 0 ? -1 : 0;
}

READ_FN(semop)
{
	json_t *v = json_object_get(args, "ops");

	e->u.semop.undo = json_is_true(json_object_get(args, "undo"));
	return json_is_string(v) ? take_bytes(r, v, e) : 0;
}

READ_FN(fcntl)
{
	(void)r;
	e->u.lock.cmd = (int32_t)num(args, "cmd", F_SETLK);
	e->u.lock.type = lock_type(args);
	e->u.lock.start = num(args, "start", 0);
	e->u.lock.len = num(args, "len", 0);
	return 0;
}

/* A lock of the whole file; the trace does not say whether it would have
 * waited. */
READ_FN(flock)
{
	(void)r;
	e->u.lock.cmd = F_SETLKW;
	e->u.lock.type = lock_type(args);
	return 0;
}

/* A target that is not one of the run's processes is none: the kill
 * still happened. */
READ_FN(kill)
{
	e->u.kill.to = peer(r, args, "to");
	e->u.kill.sig = (int32_t)num(args, "signal", 0);
	return 0;
}

READ_FN(signal)
{
	(void)r;
	e->u.signal.sig = (int32_t)num(args, "signal", 0);
	return 0;
}

READ_FN(sleep)
{
	(void)r;
	e->u.sleep.ns = num(args, "ns", 0);
	return 0;
}

READ_FN(fork)
{
	e->u.fork.child = peer(r, args, "child");
	return 0;
}

READ_FN(start)
{
	e->u.start.parent = peer(r, args, "parent");
	return 0;
}

READ_FN(exit)
{
	(void)r;
	e->u.exit.status = (int32_t)num(args, "status", 0);
	return 0;
}

/* Which child it waits for the trace says of a blocked waitpid(pid). */
READ_FN(wait)
{
	e->u.wait.target = peer(r, args, "target");
	e->u.wait.status = (int32_t)num(args, "status", 0);
	e->u.wait.choices = choices(r, args);
	return 0;
}

READ_FN(thread)
{
	e->u.thread.lane = peer(r, args, "thread");
	return 0;
}

READ_FN(cond)
{
	json_t *v = json_object_get(args, "mutex");

	e->u.cond.mutex = json_is_string(v) ? obj_add(r, json_string_value(v),
	                                              LK_OT_UNKNOWN)
	                                    : -1;
	e->u.cond.released = json_is_true(json_object_get(args, "released"));
	e->u.cond.woke = (int32_t)num(args, "woke", 0);
	e->u.cond.spurious = json_is_true(json_object_get(args, "spurious"));
	return json_is_string(v) && e->u.cond.mutex < 0 ? -1 : 0;
}

READ_FN(rwlock)
{
	json_t *v = json_object_get(args, "mode");

	(void)r;
	e->u.rwlock.write =
	        json_is_string(v) && strcmp(json_string_value(v), "write") == 0;
	return 0;
}

READ_FN(barrier)
{
	(void)r;
	e->u.barrier.count = (int32_t)num(args, "count", 0);
	e->u.barrier.arrive = json_is_true(json_object_get(args, "arrive"));
	e->u.barrier.serial = json_is_true(json_object_get(args, "serial"));
	return 0;
}

READ_FN(once)
{
	json_t *v = json_object_get(args, "run");
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	(void)r;
	e->u.once.run = strcmp(s, "start") == 0 ? 1
	                : strcmp(s, "end") == 0 ? 2
	                                        : 0;
	return 0;
}

READ_FN(exec)
{
	json_t *v = json_object_get(args, "path");

	return v != NULL ? take_bytes(r, v, e) : 0;
}

READ_FN(value)
{
	(void)r;
	e->u.sem.value = num(args, "value", 0);
	return 0;
}

READ_FN(poll)
{
	return ready_args(r, args, e);
}

typedef int (*read_fn)(struct reader *, json_t *, struct lk_tev *);

static const read_fn read_of[] = {
#define LK_OP_READER(name, str, member, kind, flags, dep, label, args)         \
	[LK_OP_##name] = read_##args,
        LK_OPS(LK_OP_READER)
#undef LK_OP_READER
};

/* Read an event's args into its payload (the table's member for its
 * operation, ops.h), as trace.c writes them. */
static int
read_args(struct reader *r, json_t *args, struct lk_tev *e)
{
	if (check_args(r, args) < 0)
		return -1;
	return e->op >= 0 && e->op < LK_OP__COUNT ? read_of[e->op](r, args, e)
	                                          : 0;
}

/* The operation called name: its enum lk_op, or past LK_OP__COUNT for
 * one this lockstep does not know (kept by name, drawn as its name). */
static int
op_of(struct reader *r, const char *name)
{
	struct lk_trace *t = r->t;
	int op = lk_op_lookup(name);

	if (op >= 0)
		return op;
	if ((op = find(r->ops, name)) >= 0)
		return LK_OP__COUNT + op;
	if (t->nopnames == LK_TRACE_MAX_OPNAMES)
		return fail(r, "too many unknown operations: at most %d",
		            LK_TRACE_MAX_OPNAMES);
	if (t->nopnames == r->opcap) {
		size_t cap = r->opcap ? r->opcap * 2 : 8;
		char **v = realloc(t->opnames, cap * sizeof(*v));

		if (v == NULL)
			return no_memory(r);
		t->opnames = v;
		r->opcap = cap;
	}
	if ((t->opnames[t->nopnames] = strdup(name)) == NULL ||
	    json_object_set_new(r->ops, name,
	                        json_integer((json_int_t)t->nopnames)))
		return no_memory(r);
	return LK_OP__COUNT + (int)t->nopnames++;
}

/* Read the parts of an event line that name things. */
static int
read_names(struct reader *r, json_t *j, struct lk_tev *e)
{
	json_t *v;
	int i;

	if (get(r, j, "proc", JSON_STRING, 0, &v))
		return -1;
	if ((i = find(r->procs, json_string_value(v))) < 0)
		return fail(
		        r, "unknown process \"%s\" (not in the header's procs)",
		        json_string_value(v));
	e->proc = i;
	if (get(r, j, "op", JSON_STRING, 0, &v) ||
	    (e->op = op_of(r, json_string_value(v))) < 0)
		return -1;
	if (json_object_get(j, "obj") == NULL)
		return fail(r, "missing key \"obj\"");
	if (get(r, j, "obj", JSON_STRING, 1, &v))
		return -1;
	e->obj = v ? obj_add(r, json_string_value(v), LK_OT_UNKNOWN) : -1;
	if (v && e->obj < 0)
		return -1;
	if (get(r, j, "act", JSON_STRING, 1, &v))
		return -1;
	for (int a = 1; v != NULL && lk_act_name(a) != NULL; a++)
		if (strcmp(lk_act_name(a), json_string_value(v)) == 0)
			e->act = a;
	if (get(r, j, "src", JSON_INTEGER, 1, &v))
		return -1;
	if (v != NULL &&
	    (json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX))
		return fail(r, "\"src\" must be a line number");
	e->src = v ? (uint32_t)json_integer_value(v) : 0;
	return 0;
}

/* Room for one more event (and its clock); -1 with an error. */
static int
grow_events(struct reader *r)
{
	struct lk_trace *t = r->t;
	size_t n = t->nprocs ? t->nprocs : 1, cap;
	struct lk_tev *ev;
	uint32_t *vc;

	if (t->nevents == LK_TRACE_MAX_EVENTS)
		return fail(r, "too many events: a trace holds at most %d",
		            LK_TRACE_MAX_EVENTS);
	if (t->nevents < r->evcap)
		return 0;
	cap = r->evcap ? r->evcap * 2 : 256;
	if ((ev = realloc(t->ev, cap * sizeof(*ev))) == NULL)
		return no_memory(r);
	t->ev = ev;
	if ((vc = realloc(r->vc, cap * n * sizeof(*vc))) == NULL)
		return no_memory(r);
	r->vc = vc;
	r->evcap = cap;
	return 0;
}

/* Read an event line into the next slot of r->t->ev. */
static int
read_event(struct reader *r, json_t *j)
{
	struct lk_trace *t = r->t;
	size_t n = t->nprocs ? t->nprocs : 1;
	struct lk_tev *e;
	json_t *blocked, *vc, *args;
	long long v;
	int rc;

	if (grow_events(r) < 0)
		return -1;
	e = &t->ev[t->nevents];
	memset(e, 0, sizeof(*e));
	memset(&r->vc[t->nevents * n], 0, n * sizeof(*r->vc));
	e->obj = -1;
	t->nevents++;
	if (get_int(r, j, "step", &v))
		return -1;
	if (v < 0 || v > UINT32_MAX ||
	    (t->nevents > 1 && v <= t->ev[t->nevents - 2].step))
		return fail(r, "\"step\" must be >= 0 and more than the step "
		               "before");
	e->step = (uint32_t)v;
	if (read_names(r, j, e) || get_int(r, j, "ret", &v))
		return -1;
	e->ret = v;
	if (get_int(r, j, "errno", &v))
		return -1;
	e->err = (int)v;
	if (get(r, j, "blocked", JSON_TRUE, 0, &blocked))
		return -1;
	e->blocked = json_is_true(blocked);
	if (get(r, j, "vc", JSON_OBJECT, 0, &vc) ||
	    read_vc(r, vc, &r->vc[(t->nevents - 1) * n]))
		return -1;
	if (get_int(r, j, "vt", &v))
		return -1;
	e->vt = (uint64_t)v;
	if (get(r, j, "args", JSON_OBJECT, 1, &args))
		return -1;
	if (args != NULL)
		return read_args(r, args, e);
	/* None: the payload says what an absent key does. */
	if ((args = json_object()) == NULL)
		return no_memory(r);
	rc = read_args(r, args, e);
	json_decref(args);
	return rc;
}

/* Read every line of r->f. */
static int
read_lines(struct reader *r)
{
	json_error_t jerr;
	json_t *j;
	int rc;

	while ((rc = read_line(r)) > 0) {
		if (r->line % LK_STOP_EVERY == 0 && lk_stop_requested()) {
			lk_err_set(r->err, 128 + lk_stop_requested(),
			           "%s:%zu: interrupted", r->path, r->line);
			return -1;
		}
		/* An empty first line leaves buf NULL. */
		j = json_loadb(r->buf != NULL ? r->buf : "", r->len,
		               JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL) {
			lk_err_set(r->err, LK_EXIT_USAGE,
			           "%s:%zu: bad JSON: %s", r->path, r->line,
			           jerr.text);
			return -1;
		}
		if (!json_is_object(j))
			rc = fail(r, "each line must be a JSON object");
		else if (r->line == 1)
			rc = read_header(r, j);
		else
			rc = read_event(r, j);
		json_decref(j);
		if (rc < 0)
			return -1;
	}
	if (rc == 0 && r->line == 0) {
		lk_err_set(r->err, LK_EXIT_USAGE,
		           "%s:1: empty file: the trace header is missing",
		           r->path);
		return -1;
	}
	return rc;
}

/* What the events say of the processes: who exited, and the program of
 * each the header did not name one for (a trace from before the
 * "program" key: its last execve). */
static void
finish(struct reader *r)
{
	struct lk_trace *t = r->t;
	char keep[LK_MAX_PROCS][LK_NAME_MAX];
	size_t n = t->nprocs ? t->nprocs : 1;

	t->vc_pool = r->vc;
	r->vc = NULL;
	for (size_t i = 0; i < t->nevents; i++) {
		t->ev[i].vc = &t->vc_pool[i * n];
		if (t->ev[i].op == LK_OP_EXIT &&
		    t->procs[t->ev[i].proc].blocked_on == -1) {
			t->procs[t->ev[i].proc].exited = 1;
			t->procs[t->ev[i].proc].status = t->ev[i].u.exit.status;
		}
	}
	for (size_t p = 0; p < t->nprocs; p++)
		memcpy(keep[p], t->procs[p].program, LK_NAME_MAX);
	lk_trace_programs(t);
	for (size_t p = 0; p < t->nprocs; p++) {
		if (!r->had_program[p])
			continue;
		memcpy(t->procs[p].program, keep[p], LK_NAME_MAX);
		lk_trace_label(t->procs[p].label, sizeof(t->procs[p].label),
		               t->procs[p].name, t->procs[p].program);
	}
}

/* Read the trace in f, named path in messages, into *out; 0, or -1 with
 * err filled. */
static int
read_stream(FILE *f, const char *path, struct lk_trace **out,
            struct lk_err *err)
{
	struct reader r = {.path = path, .f = f, .err = err};
	int rc = -1;

	r.t = lk_trace_new();
	r.procs = json_object();
	r.objs = json_object();
	r.ops = json_object();
	if (r.t == NULL || r.procs == NULL || r.objs == NULL || r.ops == NULL) {
		no_memory(&r);
		goto out;
	}
	r.t->verdict = LK_V_UNKNOWN;
	r.t->strategy = LK_TRACE_STRATEGY_NONE;
	if (read_lines(&r) < 0)
		goto out;
	finish(&r);
	*out = r.t;
	r.t = NULL;
	rc = 0;
out:
	if (r.t != NULL && r.vc != NULL) {
		/* The clocks are not the trace's yet: events point nowhere. */
		free(r.vc);
		r.vc = NULL;
	}
	lk_trace_free(r.t);
	json_decref(r.procs);
	json_decref(r.objs);
	json_decref(r.ops);
	free(r.had_program);
	free(r.buf);
	return rc;
}

/* Read the trace file at path into *out; 0, or -1 with err filled. */
int
lk_trace_read(const char *path, struct lk_trace **out, struct lk_err *err)
{
	FILE *f;
	int rc, fd;

	*out = NULL;
	if ((fd = lk_input_open(path, "a trace file (JSON Lines)", err)) < 0)
		return -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: %s", path,
		           strerror(errno));
		close(fd);
		return -1;
	}
	rc = read_stream(f, path, out, err);
	fclose(f);
	return rc;
}

/* The same for the len bytes at buf (which need no NUL), named path in
 * messages. */
int
lk_trace_read_mem(const char *buf, size_t len, const char *path,
                  struct lk_trace **out, struct lk_err *err)
{
	FILE *f;
	int rc;

	*out = NULL;
	/* A stream opened for reading never writes to its buffer. */
	if ((f = fmemopen((void *)buf, len, "r")) == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: %s", path,
		           strerror(errno));
		return -1;
	}
	rc = read_stream(f, path, out, err);
	fclose(f);
	return rc;
}
