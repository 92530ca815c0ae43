/* Read a lockstep trace (JSON Lines, docs/trace-format.md) into memory. */
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
#include "viz.h"

/* Names to indexes, with a jansson object as the hash table. */
struct names {
	json_t *map;
	char **v;
	size_t n, cap;
};

/* The state of one read. */
struct reader {
	const char *path;
	FILE *f;
	size_t line; /* number of the line in buf, from 1 */
	char *buf;
	size_t len, cap; /* cap: bytes allocated at buf */
	struct lk_viz_trace *t;
	struct names procs, objs, ops;
	char *pipe; /* per header object: a pipe or a FIFO */
	size_t npipe;
	size_t evcap;
	struct lk_err *err;
};

/* The operations viz knows, by the name the trace gives them. */
static const struct {
	const char *name;
	int op;
} known_ops[] = {
        {"sem_open", LK__VIZ_SEM_OPEN},
        {"sem_close", LK__VIZ_SEM_CLOSE},
        {"sem_unlink", LK__VIZ_SEM_UNLINK},
        {"sem_init", LK__VIZ_SEM_INIT},
        {"sem_destroy", LK__VIZ_SEM_DESTROY},
        {"sem_wait", LK__VIZ_SEM_WAIT},
        {"sem_trywait", LK__VIZ_SEM_TRYWAIT},
        {"sem_timedwait", LK__VIZ_SEM_TIMEDWAIT},
        {"sem_post", LK__VIZ_SEM_POST},
        {"sem_getvalue", LK__VIZ_SEM_GETVALUE},
        {"write", LK__VIZ_WRITE},
        {"sleep", LK__VIZ_SLEEP},
        {"fork", LK__VIZ_FORK},
        {"start", LK__VIZ_START},
        {"exit", LK__VIZ_EXIT},
        {"execve", LK__VIZ_EXEC},
        {"waitpid", LK__VIZ_WAIT},
        {"read", LK__VIZ_READ},
        {"close", LK__VIZ_CLOSE},
        {"dup2", LK__VIZ_DUP2},
        {"open", LK__VIZ_OPEN},
        {"kill", LK__VIZ_KILL},
        {"signal", LK__VIZ_SIGNAL},
        {"pause", LK__VIZ_PAUSE},
        {"load", LK__VIZ_LOAD},
        {"store", LK__VIZ_STORE},
        {"fcntl", LK__VIZ_LOCK},
        {"flock", LK__VIZ_LOCK},
};

/* Index of name in s, or -1. */
static int
names_find(const struct names *s, const char *name)
{
	json_t *v = s->map ? json_object_get(s->map, name) : NULL;

	return v ? (int)json_integer_value(v) : -1;
}

/* Index of name in s, added if new; -1 when out of memory. */
static int
names_add(struct names *s, const char *name)
{
	int i = names_find(s, name);

	if (i >= 0)
		return i;
	if (s->map == NULL && (s->map = json_object()) == NULL)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	if ((s->v[s->n] = strdup(name)) == NULL)
		return -1;
	if (json_object_set_new(s->map, name, json_integer((json_int_t)s->n))) {
		free(s->v[s->n]);
		return -1;
	}
	return (int)s->n++;
}

/* Give the names' array to the caller and forget the table. */
static char **
names_take(struct names *s, size_t *n)
{
	char **v = s->v;

	*n = s->n;
	json_decref(s->map);
	memset(s, 0, sizeof(*s));
	return v;
}

/* Free a names table that still owns its array. */
static void
names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	json_decref(s->map);
	memset(s, 0, sizeof(*s));
}

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

/* Room for one more byte in r->buf, which grows up to LK_VIZ_MAX_LINE;
 * -1 with an error at the limit or out of memory. */
static int
grow_line(struct reader *r)
{
	size_t cap = r->cap ? r->cap * 2 : 4096;
	char *buf;

	if (r->len < r->cap)
		return 0;
	if (r->len == LK_VIZ_MAX_LINE) {
		r->line++;
		return fail(r, "line longer than 1 MiB");
	}
	if (cap > LK_VIZ_MAX_LINE)
		cap = LK_VIZ_MAX_LINE;
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

/* Member key of o, which must be of type (JSON_TRUE: a boolean). */
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

/* A required member key of o that is a string. */
static int
get_str(struct reader *r, json_t *o, const char *key, const char **out)
{
	json_t *v;

	if (get(r, o, key, JSON_STRING, 0, &v))
		return -1;
	*out = json_string_value(v);
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
	i = names_find(&r->procs, json_string_value(v));
	if (i < 0)
		return fail(r,
		            "%s: unknown process \"%s\" (not in the header's "
		            "procs)",
		            where, json_string_value(v));
	return i;
}

/* Read the header's procs array. */
static int
read_procs(struct reader *r, json_t *procs)
{
	struct lk_viz_trace *t = r->t;
	size_t i;
	json_t *p, *name, *v;

	t->procs = calloc(json_array_size(procs) + 1, sizeof(*t->procs));
	if (t->procs == NULL)
		return no_memory(r);
	json_array_foreach(procs, i, p)
	{
		if (!json_is_object(p) ||
		    get(r, p, "name", JSON_STRING, 0, &name))
			return fail(r, "procs: each must be an object with a "
			               "\"name\" string");
		if (names_find(&r->procs, json_string_value(name)) >= 0)
			return fail(r, "procs: process \"%s\" named twice",
			            json_string_value(name));
		if (names_add(&r->procs, json_string_value(name)) < 0)
			return no_memory(r);
		t->procs[i].parent = -1;
		t->procs[i].blocked = -1;
	}
	t->nprocs = json_array_size(procs);
	json_array_foreach(procs, i, p)
	{
		json_t *parent = json_object_get(p, "parent");

		if (parent != NULL && !json_is_null(parent) &&
		    (t->procs[i].parent = proc_of(r, parent, "parent")) < 0)
			return -1;
		/* An extension of the format: absent in older traces. */
		if (get(r, p, "program", JSON_STRING, 1, &v))
			return -1;
		if (v != NULL && json_string_length(v) > 0 &&
		    (t->procs[i].program = strdup(json_string_value(v))) ==
		            NULL)
			return no_memory(r);
	}
	return 0;
}

/* Read the header's objects, blocked and cycle: what the run ended in. */
static int
read_end_state(struct reader *r, json_t *h)
{
	struct lk_viz_trace *t = r->t;
	json_t *objs, *blocked, *cycle, *v;
	const char *key;
	size_t i;
	int p, o;

	if (get(r, h, "objects", JSON_ARRAY, 1, &objs) ||
	    get(r, h, "blocked", JSON_OBJECT, 1, &blocked) ||
	    get(r, h, "cycle", JSON_ARRAY, 1, &cycle))
		return -1;
	if (objs != NULL &&
	    (r->pipe = calloc(json_array_size(objs) + 1, 1)) == NULL)
		return no_memory(r);
	json_array_foreach(objs, i, v)
	{
		json_t *name = json_object_get(v, "name");
		const char *type =
		        json_string_value(json_object_get(v, "type"));

		if (!json_is_string(name))
			return fail(r, "objects: each needs a \"name\" string");
		if ((o = names_add(&r->objs, json_string_value(name))) < 0)
			return no_memory(r);
		/* Header objects are the first names: o <= i. */
		r->pipe[o] = type != NULL && (strcmp(type, "pipe") == 0 ||
		                              strcmp(type, "fifo") == 0);
		if ((size_t)o >= r->npipe)
			r->npipe = (size_t)o + 1;
	}
	json_object_foreach(blocked, key, v)
	{
		if ((p = names_find(&r->procs, key)) < 0)
			return fail(r, "blocked: unknown process \"%s\"", key);
		o = json_is_string(v)
		            ? names_add(&r->objs, json_string_value(v))
		            : -1;
		if (json_is_string(v) && o < 0)
			return no_memory(r);
		t->procs[p].blocked = o;
	}
	if (cycle != NULL &&
	    (t->cycle = calloc(json_array_size(cycle), sizeof(int))) == NULL)
		return no_memory(r);
	json_array_foreach(cycle, i, v)
	{
		if ((p = proc_of(r, v, "cycle")) < 0)
			return -1;
		t->cycle[t->ncycle++] = p;
		t->procs[p].in_cycle = 1;
	}
	return 0;
}

/* Read the header, line 1. */
static int
read_header(struct reader *r, json_t *h)
{
	struct lk_viz_trace *t = r->t;
	json_t *procs, *v;
	const char *s;
	long long format;

	if (json_object_get(h, "lockstep_trace") == NULL) {
		if (json_object_get(h, "step") != NULL)
			return fail(
			        r, "the header is missing: line 1 is an event");
		return fail(r, "not a lockstep trace: missing key "
		               "\"lockstep_trace\"");
	}
	if (get_int(r, h, "lockstep_trace", &format))
		return -1;
	if (format != LK_TRACE_FORMAT) {
		lk_err_set(r->err, LK_EXIT_USAGE,
		           "%s:%zu: trace format %lld is not supported (this "
		           "lockstep reads format %d)",
		           r->path, r->line, format, LK_TRACE_FORMAT);
		return -1;
	}
	if (get_str(r, h, "scenario", &s))
		return -1;
	if ((t->scenario = strdup(s)) == NULL)
		return no_memory(r);
	if (get(r, h, "procs", JSON_ARRAY, 0, &procs) || read_procs(r, procs))
		return -1;
	if (get(r, h, "strategy", JSON_STRING, 1, &v))
		return -1;
	t->strategy = strdup(v ? json_string_value(v) : "");
	if (get(r, h, "verdict", JSON_STRING, 1, &v))
		return -1;
	t->verdict = strdup(v ? json_string_value(v) : "?");
	if (t->strategy == NULL || t->verdict == NULL)
		return no_memory(r);
	if (get(r, h, "seed", JSON_INTEGER, 1, &v))
		return -1;
	t->seed = v ? json_integer_value(v) : 0;
	t->culprit = -1;
	v = json_object_get(h, "culprit");
	if (v != NULL && !json_is_null(v) &&
	    (t->culprit = proc_of(r, v, "culprit")) < 0)
		return -1;
	return read_end_state(r, h);
}

/* Compare two vector clock entries by process. */
static int
tick_cmp(const void *a, const void *b)
{
	const struct lk__viz_tick *x = a, *y = b;

	return (x->proc > y->proc) - (x->proc < y->proc);
}

/* Read an event's vc: process name -> counter. */
static int
read_vc(struct reader *r, json_t *vc, struct lk__viz_event *e)
{
	const char *key;
	json_t *v;
	int p;

	e->vc = calloc(json_object_size(vc) + 1, sizeof(*e->vc));
	if (e->vc == NULL)
		return no_memory(r);
	json_object_foreach(vc, key, v)
	{
		if ((p = names_find(&r->procs, key)) < 0)
			return fail(r, "vc: unknown process \"%s\"", key);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fail(r, "vc: \"%s\" must be an integer >= 0",
			            key);
		e->vc[e->nvc].proc = (unsigned)p;
		e->vc[e->nvc++].n = (unsigned long)json_integer_value(v);
	}
	qsort(e->vc, e->nvc, sizeof(*e->vc), tick_cmp);
	for (unsigned i = 0; i < e->nvc; i++)
		if (e->vc[i].proc == e->proc)
			e->own = e->vc[i].n;
	return 0;
}

/* The first letter of args' string key when it is one of words. */
static char
read_word(json_t *args, const char *key, const char *const *words, size_t n)
{
	const char *s = json_string_value(json_object_get(args, key));

	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return words[i][0];
	return 0;
}

/* Read the args of pipes, signals and locks: fd, end, lock and to. */
static void
read_ipc_args(struct reader *r, json_t *args, struct lk__viz_event *e)
{
	static const char *const ends[] = {"read", "write"};
	static const char *const locks[] = {"read", "write", "unlock"};
	json_t *v = json_object_get(args, "fd");

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 0x7fffffff)
		e->fd = (int)json_integer_value(v);
	e->end = read_word(args, "end", ends, 2);
	e->lock = read_word(args, "lock", locks, 3);
	/* A lock's byte range (none: the whole file, as for flock) and
	 * whether it was only a query. */
	if (json_is_integer(v = json_object_get(args, "start")))
		e->lstart = json_integer_value(v);
	if (json_is_integer(v = json_object_get(args, "len")))
		e->llen = json_integer_value(v);
	v = json_object_get(args, "cmd");
	e->getlk =
	        json_is_integer(v) && (json_integer_value(v) == F_GETLK
#ifdef F_OFD_GETLK
	                               || json_integer_value(v) == F_OFD_GETLK
#endif
	                              );
	/* A kill's target that is not one of the run's processes is drawn
	 * without one, not refused: the kill still happened. */
	v = json_object_get(args, "to");
	if (json_is_string(v))
		e->peer = names_find(&r->procs, json_string_value(v));
}

/* Read an event's args: the parts viz draws. */
static int
read_args(struct reader *r, json_t *args, struct lk__viz_event *e)
{
	static const char *const nums[] = {"ns", "status", "value", "signal"};
	static const char *const peers[] = {"child", "parent"};
	json_t *v;

	if ((v = json_object_get(args, "data")) != NULL ||
	    (v = json_object_get(args, "path")) != NULL) {
		if (!json_is_string(v))
			return fail(r, "args: \"data\" and \"path\" must be "
			               "strings");
		if ((e->data = strdup(json_string_value(v))) == NULL)
			return no_memory(r);
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if ((v = json_object_get(args, nums[i])) == NULL)
			continue;
		if (!json_is_integer(v))
			return fail(r, "args: \"%s\" must be an integer",
			            nums[i]);
		e->arg = json_integer_value(v);
		e->has_arg = 1;
	}
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		if ((v = json_object_get(args, peers[i])) == NULL ||
		    json_is_null(v))
			continue;
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    (size_t)json_integer_value(v) < r->t->nprocs)
			e->peer = (int)json_integer_value(v);
		else if ((e->peer = proc_of(r, v, peers[i])) < 0)
			return -1;
	}
	read_ipc_args(r, args, e);
	return 0;
}

/* Read the parts of an event line that name things. */
static int
read_names(struct reader *r, json_t *j, struct lk__viz_event *e)
{
	const char *s;
	json_t *v;
	int i;

	if (get_str(r, j, "proc", &s))
		return -1;
	if ((i = names_find(&r->procs, s)) < 0)
		return fail(
		        r, "unknown process \"%s\" (not in the header's procs)",
		        s);
	e->proc = (unsigned)i;
	if (get_str(r, j, "op", &s))
		return -1;
	if ((i = names_add(&r->ops, s)) < 0)
		return no_memory(r);
	e->opname = (unsigned)i;
	for (size_t k = 0; k < sizeof(known_ops) / sizeof(known_ops[0]); k++)
		if (strcmp(known_ops[k].name, s) == 0)
			e->op = known_ops[k].op;
	if (json_object_get(j, "obj") == NULL)
		return fail(r, "missing key \"obj\"");
	if (get(r, j, "obj", JSON_STRING, 1, &v))
		return -1;
	e->obj = v ? names_add(&r->objs, json_string_value(v)) : -1;
	if (v && e->obj < 0)
		return no_memory(r);
	if (get(r, j, "act", JSON_STRING, 1, &v))
		return -1;
	e->print = v && strcmp(json_string_value(v), "print") == 0;
	return 0;
}

/* Read an event line into the next slot of r->t->ev. */
static int
read_event(struct reader *r, json_t *j)
{
	struct lk_viz_trace *t = r->t;
	struct lk__viz_event *e;
	json_t *blocked, *vc, *args;
	long long n;

	if (t->nev == LK_VIZ_MAX_EVENTS)
		return fail(r, "too many events: a trace holds at most %d",
		            LK_VIZ_MAX_EVENTS);
	if (t->nev == r->evcap) {
		size_t cap = r->evcap ? r->evcap * 2 : 256;

		e = realloc(t->ev, cap * sizeof(*e));
		if (e == NULL)
			return no_memory(r);
		t->ev = e;
		r->evcap = cap;
	}
	e = &t->ev[t->nev];
	memset(e, 0, sizeof(*e));
	e->obj = e->peer = e->fd = -1;
	t->nev++;
	if (get_int(r, j, "step", &n))
		return -1;
	if (n < 0 || (t->nev > 1 && n <= t->ev[t->nev - 2].step))
		return fail(r, "\"step\" must be >= 0 and more than the step "
		               "before");
	e->step = (long)n;
	if (read_names(r, j, e) || get_int(r, j, "ret", &n))
		return -1;
	e->ret = (long)n;
	if (get_int(r, j, "errno", &n))
		return -1;
	e->err = (int)n;
	if (get(r, j, "blocked", JSON_TRUE, 0, &blocked))
		return -1;
	e->blocked = json_is_true(blocked);
	if (get(r, j, "vc", JSON_OBJECT, 0, &vc) || read_vc(r, vc, e))
		return -1;
	if (get_int(r, j, "vt", &n))
		return -1;
	e->vt = n;
	if (get(r, j, "args", JSON_OBJECT, 1, &args))
		return -1;
	return args ? read_args(r, args, e) : 0;
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

/* The program of each process the header did not name (a trace from
 * before the "program" key): the basename of its last execve. An exec
 * that fails after its step is a second execve of the process with ret
 * -1 right after the first, which it undoes. */
static int
exec_programs(struct lk_viz_trace *t)
{
	/* just[p]: p's last event was an exec that went on (-1: p's
	 * program is the header's); undo[p]: its program before that. */
	int *just = calloc(t->nprocs + 1, sizeof(*just));
	char **undo = calloc(t->nprocs + 1, sizeof(*undo));
	int rc = -1;

	if (just == NULL || undo == NULL)
		goto out;
	for (size_t p = 0; p < t->nprocs; p++)
		just[p] = t->procs[p].program != NULL ? -1 : 0;
	for (size_t i = 0; i < t->nev; i++) {
		const struct lk__viz_event *e = &t->ev[i];
		struct lk__viz_proc *pr = &t->procs[e->proc];
		const char *base;
		char *prog;
		int was = just[e->proc];

		if (was < 0)
			continue;
		just[e->proc] = 0;
		if (e->op != LK__VIZ_EXEC)
			continue;
		if (e->ret < 0) {
			if (was) {
				free(pr->program);
				pr->program = undo[e->proc];
				undo[e->proc] = NULL;
			}
			continue;
		}
		base = e->data != NULL ? strrchr(e->data, '/') : NULL;
		base = base != NULL ? base + 1 : e->data;
		if (base == NULL || *base == '\0')
			continue;
		if ((prog = strdup(base)) == NULL)
			goto out;
		free(undo[e->proc]);
		undo[e->proc] = pr->program;
		pr->program = prog;
		just[e->proc] = 1;
	}
	rc = 0;
out:
	for (size_t p = 0; undo != NULL && p < t->nprocs; p++)
		free(undo[p]);
	free(undo);
	free(just);
	return rc;
}

/* Each process's head: "main.2 (wc)" after an exec of wc, the name
 * alone when it never exec'd or its program is the last component of
 * its name (a process "wc" that runs wc). 0, or -1 out of memory. */
static int
heads(struct lk_viz_trace *t)
{
	if (exec_programs(t) < 0)
		return -1;
	for (size_t p = 0; p < t->nprocs; p++) {
		struct lk__viz_proc *pr = &t->procs[p];
		const char *last = strrchr(pr->name, '.');

		last = last != NULL ? last + 1 : pr->name;
		if (pr->program == NULL || strcmp(pr->program, last) == 0)
			pr->head = strdup(pr->name);
		else if (asprintf(&pr->head, "%s (%s)", pr->name, pr->program) <
		         0)
			pr->head = NULL;
		if (pr->head == NULL)
			return -1;
	}
	return 0;
}

/* Read the trace in f, named path in messages, into *out; 0, or -1 with
 * err filled. */
static int
read_stream(FILE *f, const char *path, struct lk_viz_trace **out,
            struct lk_err *err)
{
	struct reader r = {.path = path, .f = f, .err = err};
	int rc = -1;

	r.t = calloc(1, sizeof(*r.t));
	if (r.t == NULL || !(r.t->path = strdup(path))) {
		no_memory(&r);
		goto out;
	}
	if (read_lines(&r) < 0)
		goto out;
	r.t->objs = names_take(&r.objs, &r.t->nobjs);
	r.t->ops = names_take(&r.ops, &r.t->nops);
	if ((r.t->pipe = calloc(r.t->nobjs + 1, 1)) == NULL) {
		no_memory(&r);
		goto out;
	}
	if (r.pipe != NULL)
		memcpy(r.t->pipe, r.pipe, r.npipe);
	for (size_t i = 0; i < r.t->nprocs; i++)
		r.t->procs[i].name = r.procs.v[i];
	free(names_take(&r.procs, &r.t->nprocs));
	if (heads(r.t) < 0) {
		no_memory(&r);
		goto out;
	}
	if (lk__viz_find_edges(r.t, err) < 0)
		goto out;
	*out = r.t;
	r.t = NULL;
	rc = 0;
out:
	lk_viz_free(r.t);
	names_free(&r.procs);
	names_free(&r.objs);
	names_free(&r.ops);
	free(r.buf);
	free(r.pipe);
	return rc;
}

/* Read the trace at path into *out; 0, or -1 with err filled. */
int
lk_viz_read(const char *path, struct lk_viz_trace **out, struct lk_err *err)
{
	FILE *f;
	int rc, fd;

	*out = NULL;
	if ((fd = lk_input_open(path, err)) < 0)
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

/* Read the trace in the len bytes at buf, named path in messages, into
 * *out; 0, or -1 with err filled. */
int
lk_viz_read_mem(const char *buf, size_t len, const char *path,
                struct lk_viz_trace **out, struct lk_err *err)
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

/* Free a trace from lk_viz_read; NULL is allowed. */
void
lk_viz_free(struct lk_viz_trace *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nev; i++) {
		free(t->ev[i].data);
		free(t->ev[i].vc);
	}
	for (size_t i = 0; t->procs != NULL && i < t->nprocs; i++) {
		free(t->procs[i].name);
		free(t->procs[i].program);
		free(t->procs[i].head);
	}
	for (size_t i = 0; i < t->nobjs; i++)
		free(t->objs[i]);
	for (size_t i = 0; i < t->nops; i++)
		free(t->ops[i]);
	free(t->objs);
	free(t->pipe);
	free(t->ops);
	free(t->procs);
	free(t->cycle);
	free(t->ev);
	free(t->edges);
	free(t->path);
	free(t->scenario);
	free(t->strategy);
	free(t->verdict);
	free(t);
}

/* The last step of the trace, -1 when it has no events. */
long
lk_viz_last_step(const struct lk_viz_trace *t)
{
	return t->nev > 0 ? t->ev[t->nev - 1].step : -1;
}

/* Number of cross-process happens-before edges in the whole trace. */
size_t
lk_viz_edges(const struct lk_viz_trace *t)
{
	return t ? t->nedges : 0;
}
