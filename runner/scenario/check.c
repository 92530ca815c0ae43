/*
 * The checks a schema cannot make: references to declared objects of the
 * right kind, unique names and paths, numeric ranges that depend on the
 * platform or on other elements, durations, regular expressions, the texts
 * <before> refers to, pipe ends, command lines, the spawn tree, signal
 * names, the place and contents of handlers and record lock ranges.
 * scenario.c calls them in document order, the spawn tree once every
 * process is built.
 */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/protocol.h"
#include "check.h"
#include "regex.h"

#ifndef SEM_VALUE_MAX
#define SEM_VALUE_MAX INT_MAX
#endif

/* Bound far above every range checked here, so parsing can saturate. */
#define HUGE_INTEGER 1000000000000LL

/* Fill err with "path:line: " and a message (status USAGE); returns -1. */
int
lk__sc_fail(struct lk_err *err, const char *path, long line, const char *fmt,
            ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lk_err_set(err, LK_EXIT_USAGE, "%s:%ld: %s", path, line, msg);
	return -1;
}

/* How messages write the range of a 64-bit value (lk__check_int64). */
#define INT64_RANGE "-9223372036854775808..9223372036854775807"

/* The word users know an object kind by. */
static const char *
kind_word(enum lk_obj_kind kind)
{
	switch (kind) {
	case LK_OBJ_SEM:
		return "semaphore";
	case LK_OBJ_FILE:
		return "file";
	case LK_OBJ_PIPE:
		return "pipe";
	case LK_OBJ_FIFO:
		return "FIFO";
	case LK_OBJ_SHM:
		return "shared memory region";
	case LK_OBJ_SEMSET:
		return "SysV semaphore set";
	case LK_OBJ_CELL:
		return "cell";
	case LK_OBJ_SOCKET:
		return "socket";
	case LK_OBJ_MUTEX:
		return "mutex";
	case LK_OBJ_COND:
		return "condition variable";
	case LK_OBJ_BARRIER:
		return "barrier";
	}
	return "object";
}

/* Whether an object of kind has a path in the work directory. */
static int
has_path(enum lk_obj_kind kind)
{
	return kind == LK_OBJ_FILE || kind == LK_OBJ_FIFO ||
	       kind == LK_OBJ_SOCKET;
}

/*
 * Parse an xs:integer (surrounding blanks, optional sign, digits) into *v,
 * saturating at +-HUGE_INTEGER; returns -1 when s is not an integer.
 */
static int
parse_integer(const char *s, long long *v)
{
	long long n = 0;
	int neg = 0, digits = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (n < HUGE_INTEGER)
			n = n * 10 + (*s - '0');
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	*v = neg ? -n : n;
	return 0;
}

/*
 * Parse an xs:integer into the signed 64-bit *v; returns 0, -1 when s is
 * not an integer, -2 when it is one outside the range of long long.
 */
static int
parse_int64(const char *s, long long *v)
{
	unsigned long long n = 0, limit = LLONG_MAX, d;
	int neg = 0, digits = 0, over = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (neg)
		limit = (unsigned long long)LLONG_MAX + 1;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		d = (unsigned long long)(*s - '0');
		if (n > (limit - d) / 10)
			over = 1;
		else
			n = n * 10 + d;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	if (over)
		return -2;
	if (neg && n == (unsigned long long)LLONG_MAX + 1)
		*v = LLONG_MIN;
	else
		*v = neg ? -(long long)n : (long long)n;
	return 0;
}

/* Index of the object called name in sc, or -1. */
static int
find_object(const struct lk_scenario *sc, const char *name)
{
	size_t i;

	for (i = 0; i < sc->nobjects; i++) {
		if (sc->objects[i].name != NULL &&
		    strcmp(sc->objects[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

/* Why a file path is unusable, as "expected ..." text; NULL if it is fine. */
static const char *
path_problem(const char *p)
{
	const char *c, *end;
	size_t len;

	if (*p == '/')
		return "expected a relative path, such as out.txt";
	for (c = p; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "expected a path without control characters";
	}
	for (c = p;; c = end + 1) {
		end = strchr(c, '/');
		len = end != NULL ? (size_t)(end - c) : strlen(c);
		if (len == 0)
			return "expected a path without empty components, such "
			       "as out.txt";
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return "expected a path without \".\" or \"..\" "
			       "components, such as out.txt";
		if (end == NULL)
			break;
	}
	/* A directory part is refused by lk__check_path_dir (use.c),
	 * which names the directory. */
	if (strlen(p) > NAME_MAX)
		return "longer than the longest file name (255 bytes), "
		       "expected a shorter name";
	return NULL;
}

/* Check a new object against the ones before it; returns 0 or -1. */
int
lk__check_object(const struct lk_scenario *sc, enum lk_obj_kind kind,
                 const char *name, const char *fpath, long line,
                 struct lk_err *err)
{
	const struct lk_sc_object *o;
	const char *why;
	size_t i;
	int prev;

	if (sc->nobjects >= LK_MAX_DECLARED)
		return lk__sc_fail(err, sc->path, line,
		                   "%s \"%s\" is object number %zu, expected "
		                   "at most %d objects",
		                   kind_word(kind), name, sc->nobjects + 1,
		                   LK_MAX_DECLARED);
	if ((prev = find_object(sc, name)) >= 0) {
		o = &sc->objects[prev];
		return lk__sc_fail(err, sc->path, line,
		                   "%s \"%s\" reuses the name of the %s "
		                   "declared on line %d, expected unique "
		                   "object names",
		                   kind_word(kind), name, kind_word(o->kind),
		                   o->line);
	}
	if (kind == LK_OBJ_PIPE) {
		size_t pipes = 0;

		for (i = 0; i < sc->nobjects; i++)
			pipes += sc->objects[i].kind == LK_OBJ_PIPE;
		if (pipes >= LK_MAX_PIPES)
			return lk__sc_fail(err, sc->path, line,
			                   "pipe \"%s\" is pipe number %zu, "
			                   "expected at most %d pipes (what a "
			                   "run can hold)",
			                   name, pipes + 1, LK_MAX_PIPES);
	}
	if (!has_path(kind))
		return 0;
	if ((why = path_problem(fpath)) != NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "%s \"%s\" has path \"%s\", %s",
		                   kind_word(kind), name, fpath, why);
	/* Files, FIFOs and sockets share the paths of the work directory. */
	for (i = 0; i < sc->nobjects; i++) {
		o = &sc->objects[i];
		if (has_path(o->kind) && o->u.file.path != NULL &&
		    strcmp(o->u.file.path, fpath) == 0)
			return lk__sc_fail(err, sc->path, line,
			                   "%s \"%s\" has path \"%s\", which "
			                   "%s \"%s\" on line %d already "
			                   "uses, expected a distinct path",
			                   kind_word(kind), name, fpath,
			                   kind_word(o->kind), o->name,
			                   o->line);
	}
	return 0;
}

/* Check a semaphore's initial value and store it in *out. */
int
lk__check_sem_value(const struct lk_scenario *sc, const char *name,
                    const char *value, long line, unsigned *out,
                    struct lk_err *err)
{
	long long v;

	if (value == NULL) {
		*out = 0;
		return 0;
	}
	if (parse_integer(value, &v) < 0)
		return lk__sc_fail(err, sc->path, line,
		                   "semaphore \"%s\" has value \"%s\", "
		                   "expected an integer 0..%d",
		                   name, value, SEM_VALUE_MAX);
	if (v < 0 || v > SEM_VALUE_MAX)
		return lk__sc_fail(err, sc->path, line,
		                   "semaphore \"%s\" has value %s, expected "
		                   "0..%d",
		                   name, value, SEM_VALUE_MAX);
	*out = (unsigned)v;
	return 0;
}

/* Check a process declaration; *n is its number of instances. */
int
lk__check_process(const struct lk_scenario *sc, const char *name,
                  const char *count, long line, unsigned *n, struct lk_err *err)
{
	const struct lk_sc_process *p;
	size_t i, base, len;
	long long v = 1;
	char last[LK_NAME_MAX + 24];

	for (i = 0; i < sc->nprocs; i++) {
		p = &sc->procs[i];
		base = strcspn(p->name, ".");
		if (strlen(name) == base && strncmp(p->name, name, base) == 0)
			return lk__sc_fail(err, sc->path, line,
			                   "process \"%s\" is already declared "
			                   "on line %d, expected unique "
			                   "process names",
			                   name, p->line);
	}
	if (count != NULL) {
		if (parse_integer(count, &v) < 0 || v < 1 || v > LK_MAX_PROCS)
			return lk__sc_fail(err, sc->path, line,
			                   "process \"%s\" has count=\"%s\", "
			                   "expected 1..%d",
			                   name, count, LK_MAX_PROCS);
		len = (size_t)snprintf(last, sizeof(last), "%s.%lld", name, v);
		if (len > LK_NAME_MAX - 1)
			return lk__sc_fail(err, sc->path, line,
			                   "process \"%s\" with count=\"%s\" "
			                   "gives instance names such as "
			                   "\"%s\" of %zu characters, expected "
			                   "at most %d",
			                   name, count, last, len,
			                   LK_NAME_MAX - 1);
	}
	if (sc->nprocs + (size_t)v > LK_MAX_PROCS)
		return lk__sc_fail(err, sc->path, line,
		                   "process \"%s\" brings the number of "
		                   "processes to %zu, expected at most %d",
		                   name, sc->nprocs + (size_t)v, LK_MAX_PROCS);
	*n = (unsigned)v;
	return 0;
}

/* Append name to a parenthesised list in buf begun with label. */
static void
list_add(char *buf, size_t size, size_t *used, int *n, const char *label,
         const char *name, size_t len)
{
	if (*used >= size)
		return;
	/* Leave room for ", ...)" and the NUL. */
	if (*used + len + 16 > size) {
		if (*n >= 0)
			*used += (size_t)snprintf(buf + *used, size - *used,
			                          ", ...");
		*n = -1;
		return;
	}
	*used += (size_t)snprintf(buf + *used, size - *used, "%s%s%.*s",
	                          *n == 0 ? "(" : ", ", *n == 0 ? label : "",
	                          (int)len, name);
	(*n)++;
}

/*
 * List the declared objects whose kind is in mask (bits 1 << kind) into
 * buf as "(LABEL a, b)", or "(no WHAT is declared)" when there are none.
 */
static void
list_objects(const struct lk_scenario *sc, unsigned mask, const char *label,
             const char *what, char *buf, size_t size)
{
	size_t i, used = 0;
	int n = 0;

	for (i = 0; i < sc->nobjects && n >= 0; i++) {
		if ((mask & (1u << sc->objects[i].kind)) == 0)
			continue;
		list_add(buf, size, &used, &n, label, sc->objects[i].name,
		         strlen(sc->objects[i].name));
	}
	if (n == 0)
		snprintf(buf, size, "(no %s is declared)", what);
	else if (used < size)
		snprintf(buf + used, size - used, ")");
}

/* Resolve the object an element names; *obj is its index. */
int
lk__check_ref(const struct lk_scenario *sc, const char *elem, const char *name,
              enum lk_obj_kind kind, long line, int *obj, struct lk_err *err)
{
	char declared[512];
	int i;

	if ((i = find_object(sc, name)) < 0) {
		list_objects(sc, 1u << kind, "declared: ", kind_word(kind),
		             declared, sizeof(declared));
		return lk__sc_fail(err, sc->path, line,
		                   "<%s> names %s \"%s\", which is not "
		                   "declared %s",
		                   elem, kind_word(kind), name, declared);
	}
	if (sc->objects[i].kind != kind)
		return lk__sc_fail(err, sc->path, line,
		                   "<%s> names \"%s\", which is a %s, "
		                   "expected a %s",
		                   elem, name, kind_word(sc->objects[i].kind),
		                   kind_word(kind));
	*obj = i;
	return 0;
}

/* Check a <sleep> duration and store it in *ns. */
int
lk__check_sleep(const struct lk_scenario *sc, const char *dur, long line,
                uint64_t *ns, struct lk_err *err)
{
	const char *why;

	if ((why = lk__duration_problem(dur)) != NULL ||
	    lk_parse_duration(dur, ns) < 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<sleep for=\"%s\">: %s", dur,
		                   why != NULL ? why : "invalid");
	return 0;
}

/* Check a <repeat> at nesting depth (1 outermost); *out is its times. */
int
lk__check_repeat(const struct lk_scenario *sc, const char *times, int depth,
                 long line, unsigned *out, struct lk_err *err)
{
	long long v;

	if (depth > LK_MAX_DEPTH)
		return lk__sc_fail(err, sc->path, line,
		                   "<repeat> is nested %d deep, expected at "
		                   "most %d",
		                   depth, LK_MAX_DEPTH);
	if (parse_integer(times, &v) < 0 || v < 1 || v > LK_MAX_REPEAT)
		return lk__sc_fail(err, sc->path, line,
		                   "<repeat times=\"%s\">: expected 1..%d",
		                   times, LK_MAX_REPEAT);
	*out = (unsigned)v;
	return 0;
}

/* x * y, held at LK_REGEX_REPEAT + 1 (both are at most that). */
static unsigned long
times_held(unsigned long x, unsigned long y)
{
	return x * y > LK_REGEX_REPEAT ? LK_REGEX_REPEAT + 1 : x * y;
}

/* The end of the bracket expression that starts at p ("[...]"), or p + 1
 * when it has none (regcomp refuses it then). */
static const char *
bracket_end(const char *p)
{
	const char *q = p + 1;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++; /* a ] first is one of the characters */
	for (; *q != '\0' && *q != ']'; q++) {
		/* [:class:], [=equiv=], [.coll.] hold a ] of their own. */
		if (*q == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
			const char *e = strchr(q + 2, q[1]);

			while (e != NULL && e[1] != ']')
				e = strchr(e + 1, q[1]);
			if (e == NULL)
				return p + 1;
			q = e + 1;
		}
	}
	return *q == ']' ? q + 1 : p + 1;
}

/* The copies regcomp makes of what the repetition at p repeats ({m,n}:
 * n, {m,}: m + 1, +: 2 as x+ is x x*, * and ?: 1), capped, and in *end
 * where it ends; 0 when p is no repetition. */
static unsigned long
copies(const char *p, const char **end)
{
	unsigned long m = 0, n;
	char *q;

	*end = p + 1;
	if (*p == '*' || *p == '?')
		return 1;
	if (*p == '+')
		return 2;
	/* glibc reads {,n} as {0,n}. */
	if (*p != '{' || ((p[1] < '0' || p[1] > '9') && p[1] != ','))
		return 0;
	q = (char *)p + 1;
	if (*q != ',')
		m = strtoul(q, &q, 10);
	n = m;
	if (*q == ',') {
		q++;
		n = *q >= '0' && *q <= '9' ? strtoul(q, &q, 10) : m + 1;
	}
	if (*q != '}')
		return 0; /* not a count: regcomp refuses it */
	*end = q + 1;
	n = n > m ? n : m;
	return n > LK_REGEX_REPEAT ? LK_REGEX_REPEAT + 1 : n > 0 ? n : 1;
}

/*
 * The most copies of one part of a regex that regcomp unrolls: the
 * product of the copies the repetitions around it make, the repetition
 * of a group counting for all it holds, capped just above
 * LK_REGEX_REPEAT. Repetitions one after the other do not multiply.
 */
static unsigned long
repetitions(const char *re)
{
	/* Per open group: the most copies of anything in it so far, and of
	 * its last atom or group, which a repetition applies to. */
	struct {
		unsigned long most, last;
	} g[LK_REGEX_MAX + 2] = {{0, 0}};
	size_t depth = 0;
	const char *p = re, *end;
	unsigned long c;

	while (*p != '\0') {
		if ((c = copies(p, &end)) > 0) {
			g[depth].last = times_held(
			        g[depth].last ? g[depth].last : 1, c);
		} else if (*p == '(' && depth <= LK_REGEX_MAX) {
			g[++depth].most = 0;
			g[depth].last = 0;
			end = p + 1;
		} else if (*p == ')' && depth > 0) {
			c = g[depth].most > g[depth].last ? g[depth].most
			                                  : g[depth].last;
			depth--;
			g[depth].last = c > 0 ? c : 1; /* () too */
			end = p + 1;
		} else if (*p == '|') {
			g[depth].last = 0;
			end = p + 1;
		} else {
			/* An atom: a character, \x or a bracket expression. */
			end = *p == '\\' && p[1] != '\0' ? p + 2
			      : *p == '['                ? bracket_end(p)
			                                 : p + 1;
			g[depth].last = 1;
		}
		if (g[depth].last > g[depth].most)
			g[depth].most = g[depth].last;
		p = end;
	}
	/* Groups left open end here. */
	for (; depth > 0; depth--)
		if (g[depth].most > g[depth - 1].most)
			g[depth - 1].most = g[depth].most;
	return g[0].most;
}

/* Check that regex compiles as a POSIX extended regular expression. */
int
lk__check_regex(const struct lk_scenario *sc, const char *elem,
                const char *regex, long line, struct lk_err *err)
{
	char why[256];
	regex_t re;
	int rc;

	/* glibc's regcomp unrolls {m,n} and + repetitions: a large count, or
	 * nested or stacked ones (a+++...), make it recurse out of stack or
	 * take time and memory exponential in the length (found by fuzzing),
	 * so the copies are bounded before it sees them. */
	if (strlen(regex) > LK_REGEX_MAX)
		return lk__sc_fail(err, sc->path, line,
		                   "<%s matches=\"%.40s...\">: %zu characters, "
		                   "expected at most %d",
		                   elem, regex, strlen(regex), LK_REGEX_MAX);
	if (repetitions(regex) > LK_REGEX_REPEAT)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<%s matches=\"%s\">: its nested repetitions "
		        "({m,n} and +) multiply to more than %d "
		        "repetitions, expected fewer",
		        elem, regex, LK_REGEX_REPEAT);
	if ((rc = regcomp(&re, regex, REG_EXTENDED)) == 0) {
		struct lk_regex *rx;

		/* glibc says the syntax is POSIX; PCRE2, which matches it
		 * under limits, refuses back-references. */
		regfree(&re);
		if ((rx = lk_regex_compile(regex, why, sizeof(why))) == NULL)
			return lk__sc_fail(err, sc->path, line,
			                   "<%s matches=\"%s\">: %s", elem,
			                   regex, why);
		lk_regex_free(rx);
		return 0;
	}
	regerror(rc, &re, why, sizeof(why));
	if (why[0] >= 'A' && why[0] <= 'Z')
		why[0] = (char)(why[0] - 'A' + 'a');
	return lk__sc_fail(err, sc->path, line,
	                   "<%s matches=\"%s\">: %s, expected a POSIX "
	                   "extended regular expression",
	                   elem, regex, why);
}

/* Whether some <print> among n actions (or in their bodies: repeats and
 * handlers) prints text. */
static int
printed(const struct lk_sc_action *acts, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (acts[i].kind == LK_ACT_PRINT &&
		    strcmp(acts[i].text, text) == 0)
			return 1;
		/* Repeat and handler bodies. */
		if (acts[i].body != NULL &&
		    printed(acts[i].body, acts[i].nbody, text))
			return 1;
	}
	return 0;
}

/* Check that a <before> attribute names the text of some <print>. */
int
lk__check_printed(const struct lk_scenario *sc, const char *attr,
                  const char *text, long line, struct lk_err *err)
{
	size_t i;

	for (i = 0; i < sc->nprocs; i++) {
		if (printed(sc->procs[i].actions, sc->procs[i].nactions, text))
			return 0;
	}
	return lk__sc_fail(err, sc->path, line,
	                   "<before %s=\"%s\">: no <print> prints \"%s\"", attr,
	                   text, text);
}

/* Check a signed 64-bit integer of subject (such as cell "x") into *out. */
int
lk__check_int64(const struct lk_scenario *sc, const char *subject,
                const char *value, long line, long long *out,
                struct lk_err *err)
{
	int rc = parse_int64(value, out);

	if (rc == -1)
		return lk__sc_fail(err, sc->path, line,
		                   "%s has value \"%s\", expected an integer "
		                   "%s",
		                   subject, value, INT64_RANGE);
	if (rc == -2)
		return lk__sc_fail(err, sc->path, line,
		                   "%s has value %s, expected %s", subject,
		                   value, INT64_RANGE);
	return 0;
}

/* Check the number of cells of shared memory region name. */
int
lk__check_cells(const struct lk_scenario *sc, const char *name, size_t ncells,
                long line, struct lk_err *err)
{
	if (ncells < 1 || ncells > LK_MAX_CELLS)
		return lk__sc_fail(err, sc->path, line,
		                   "shared memory region \"%s\" has %zu cells, "
		                   "expected 1..%d",
		                   name, ncells, LK_MAX_CELLS);
	return 0;
}

/* Check <read bytes=> (NULL: the default) and store it in *out. */
int
lk__check_bytes(const struct lk_scenario *sc, const char *bytes, long line,
                unsigned *out, struct lk_err *err)
{
	long long v;

	if (bytes == NULL) {
		*out = LK_READ_DEFAULT;
		return 0;
	}
	if (parse_integer(bytes, &v) < 0 || v < 1 || v > LK_READ_MAX)
		return lk__sc_fail(err, sc->path, line,
		                   "<read bytes=\"%s\">: expected 1..%d", bytes,
		                   LK_READ_MAX);
	*out = (unsigned)v;
	return 0;
}

/*
 * Check the end= of a <close> of an object of kind called name: required
 * for a pipe, refused otherwise. *out is the end (LK_END_NONE if none).
 */
int
lk__check_end(const struct lk_scenario *sc, enum lk_obj_kind kind,
              const char *name, const char *end, long line, enum lk_end *out,
              struct lk_err *err)
{
	const char *attr = kind == LK_OBJ_FILE ? "file" : "fifo";

	if (kind == LK_OBJ_PIPE && end == NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "<close pipe=\"%s\"> has no end=, expected "
		                   "end=\"read\" or end=\"write\" (a pipe has "
		                   "two ends)",
		                   name);
	if (kind != LK_OBJ_PIPE && end != NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "<close %s=\"%s\"> has end=\"%s\", expected "
		                   "no end= (only a pipe has ends)",
		                   attr, name, end);
	*out = end == NULL                ? LK_END_NONE
	       : strcmp(end, "read") == 0 ? LK_END_READ
	                                  : LK_END_WRITE;
	return 0;
}

/*
 * Resolve <exec stdin=> or stdout= (which), naming a pipe or a file:
 * *obj is its index, *end the pipe end used (pipe_end) or LK_END_NONE.
 */
int
lk__check_stdio(const struct lk_scenario *sc, const char *which,
                const char *name, enum lk_end pipe_end, long line, int *obj,
                enum lk_end *end, struct lk_err *err)
{
	unsigned mask = 1u << LK_OBJ_PIPE | 1u << LK_OBJ_FILE;
	char declared[512];
	int i;

	if ((i = find_object(sc, name)) < 0) {
		list_objects(sc, mask, "pipes and files: ", "pipe or file",
		             declared, sizeof(declared));
		return lk__sc_fail(
		        err, sc->path, line,
		        "<exec %s=\"%s\"> names \"%s\", which is not "
		        "declared %s",
		        which, name, name, declared);
	}
	if ((mask & (1u << sc->objects[i].kind)) == 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<exec %s=\"%s\"> names a %s, expected a "
		                   "pipe or a file",
		                   which, name, kind_word(sc->objects[i].kind));
	*obj = i;
	*end = sc->objects[i].kind == LK_OBJ_PIPE ? pipe_end : LK_END_NONE;
	return 0;
}

/* Whether c separates the words of an <exec> command line. */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Check an <exec> command line: 1..LK_EXEC_WORDS blank-separated words. */
int
lk__check_command(const struct lk_scenario *sc, const char *text, long line,
                  struct lk_err *err)
{
	size_t words = 0;
	const char *p;

	for (p = text; *p != '\0'; p++) {
		if (!is_blank(*p) && (p == text || is_blank(p[-1])))
			words++;
	}
	if (words == 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<exec> has only blanks, expected a command "
		                   "line such as \"wc -l\"");
	if (words > LK_EXEC_WORDS)
		return lk__sc_fail(err, sc->path, line,
		                   "<exec> has a command line of %zu words, "
		                   "expected at most %d",
		                   words, LK_EXEC_WORDS);
	return 0;
}

/*
 * Check where an action of elem is: <spawn> and <exec> never inside a
 * <repeat> (depth > 0), <exec> the last action (last) of process pname.
 */
int
lk__check_place(const struct lk_scenario *sc, const char *elem,
                const char *pname, int depth, int last, long line,
                struct lk_err *err)
{
	if (strcmp(elem, "spawn") == 0 && depth > 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<spawn> is inside <repeat>, expected it "
		                   "directly in a <process> (a process is "
		                   "spawned once)");
	if (strcmp(elem, "exec") == 0 && (depth > 0 || !last))
		return lk__sc_fail(err, sc->path, line,
		                   "<exec> must be the last action of \"%s\": "
		                   "nothing after it would run%s",
		                   pname,
		                   depth > 0 ? " (it is inside <repeat>)" : "");
	return 0;
}

/* Whether c may begin a name, or (rest) go on with one. */
static int
name_char(char c, int rest)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (rest && ((c >= '0' && c <= '9') || c == '-'));
}

/* Check that every {name} in a <print> text names a declared cell, or
 * is {process}. */
int
lk__check_print_cells(const struct lk_scenario *sc, const char *text, long line,
                      struct lk_err *err)
{
	char cells[512];
	const char *p, *q;
	int i;

	for (p = text; (p = strchr(p, '{')) != NULL; p++) {
		if (!name_char(p[1], 0))
			continue;
		for (q = p + 2; name_char(*q, 1); q++)
			;
		if (*q != '}')
			continue;
		i = -1;
		if ((size_t)(q - p - 1) < LK_NAME_MAX) {
			char name[LK_NAME_MAX];

			snprintf(name, sizeof(name), "%.*s", (int)(q - p - 1),
			         p + 1);
			i = find_object(sc, name);
		}
		if (i >= 0 && sc->objects[i].kind == LK_OBJ_CELL)
			continue;
		if (q - p - 1 == 7 && strncmp(p + 1, "process", 7) == 0)
			continue; /* the name of the process that prints */
		list_objects(sc, 1u << LK_OBJ_CELL, "cells: ", "cell", cells,
		             sizeof(cells));
		return lk__sc_fail(err, sc->path, line,
		                   "%.*s in <print> names no cell %s",
		                   (int)(q - p + 1), p, cells);
	}
	return 0;
}

/* The signals lockstep delivers at scheduling points, by name. */
static const struct {
	const char *name;
	int number;
} signals[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},
        {"USR1", SIGUSR1}, {"USR2", SIGUSR2},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"WINCH", SIGWINCH},
};

#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

/* The name of signal number sig without "SIG", or "?". */
static const char *
signal_name(long long sig)
{
	size_t i;

	for (i = 0; i < NSIGNALS; i++) {
		if (signals[i].number == sig)
			return signals[i].name;
	}
	return "?";
}

/*
 * Check the signal= of elem (kill or handler), a name of the table above
 * with or without "SIG"; *out is its number.
 */
int
lk__check_signal(const struct lk_scenario *sc, const char *elem,
                 const char *name, long line, long long *out,
                 struct lk_err *err)
{
	const char *n = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
	char list[128];
	size_t i, used = 0;

	for (i = 0; i < NSIGNALS; i++) {
		if (strcmp(n, signals[i].name) == 0) {
			*out = signals[i].number;
			return 0;
		}
	}
	for (i = 0; i < NSIGNALS; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		                         "%s%s", i > 0 ? ", " : "",
		                         signals[i].name);
	return lk__sc_fail(err, sc->path, line,
	                   "<%s> has signal=\"%s\", expected one of %s (with "
	                   "or without SIG)",
	                   elem, name, list);
}

/*
 * Check the place of a <handler> for signal sig at repeat depth in
 * process pname, after the nprev actions prev of the process: directly
 * in the process, before any other action, one per signal.
 */
int
lk__check_handler(const struct lk_scenario *sc, const char *pname,
                  const struct lk_sc_action *prev, size_t nprev, int depth,
                  long long sig, long line, struct lk_err *err)
{
	size_t i;

	if (depth > 0)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<handler> must come before the first action "
		        "of \"%s\": it is installed when the process "
		        "starts (it is inside <repeat>)",
		        pname);
	for (i = 0; i < nprev; i++) {
		if (prev[i].kind != LK_ACT_HANDLER)
			return lk__sc_fail(
			        err, sc->path, line,
			        "<handler> must come before the first "
			        "action of \"%s\": it is installed "
			        "when the process starts (it follows "
			        "the action on line %d)",
			        pname, prev[i].line);
		if (prev[i].value == sig)
			return lk__sc_fail(
			        err, sc->path, line,
			        "process \"%s\" has a second "
			        "<handler> for SIG%s, expected one "
			        "per signal (the first is on line %d)",
			        pname, signal_name(sig), prev[i].line);
	}
	return 0;
}

/*
 * Check that elem may be in the body of the <handler signal="sig"> on
 * handler_line: not another handler, nor what starts, replaces or waits
 * for a process.
 */
int
lk__check_in_handler(const struct lk_scenario *sc, const char *elem,
                     const char *sig, int handler_line, long line,
                     struct lk_err *err)
{
	if (strcmp(elem, "thread") == 0 || strcmp(elem, "start") == 0 ||
	    strcmp(elem, "join") == 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<%s> is inside the <handler signal=\"%s\"> "
		                   "of line %d, expected threads declared, "
		                   "started and joined by the process itself",
		                   elem, sig, handler_line);
	if (strcmp(elem, "handler") != 0 && strcmp(elem, "spawn") != 0 &&
	    strcmp(elem, "exec") != 0 && strcmp(elem, "waitpid") != 0)
		return 0;
	return lk__sc_fail(err, sc->path, line,
	                   "<%s> is inside the <handler signal=\"%s\"> of line "
	                   "%d, expected no <handler>, <spawn>, <exec> or "
	                   "<waitpid> in a handler (it runs between two steps "
	                   "of its process)",
	                   elem, sig, handler_line);
}

/* Check that elem may be inside the <thread name=tname> of tline: not
 * what only a process does. */
int
lk__check_in_thread(const struct lk_scenario *sc, const char *elem,
                    const char *tname, int tline, long line, struct lk_err *err)
{
	static const char *const refused[] = {
	        "handler", "spawn", "exec", "waitpid",
	        "thread",  "start", "join",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcmp(elem, refused[i]) == 0)
			return lk__sc_fail(
			        err, sc->path, line,
			        "<%s> is inside the <thread name=\"%s\"> of "
			        "line %d, expected no <handler>, <spawn>, "
			        "<exec>, <waitpid>, <thread>, <start> or "
			        "<join> in a thread (the process does those)",
			        elem, tname, tline);
	return 0;
}

/* Check where a <thread name=> is: directly in its <process> (not in a
 * <repeat> or <handler>). */
int
lk__check_thread_place(const struct lk_scenario *sc, const char *name,
                       const char *pname, int in_process, long line,
                       struct lk_err *err)
{
	if (!in_process)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<thread name=\"%s\"> is not directly in "
		        "its <process name=\"%s\">, expected threads "
		        "declared at the top of a process, outside "
		        "<repeat>",
		        name, pname);
	return 0;
}

/* Check a barrier's count=: 1..LK_MAX_PROCS threads. */
int
lk__check_barrier_count(const struct lk_scenario *sc, const char *name,
                        const char *count, long line, unsigned *out,
                        struct lk_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(count, &end, 10);
	if (*count < '0' || *count > '9' || *end != '\0' || errno != 0 ||
	    v < 1 || v > LK_MAX_PROCS)
		return lk__sc_fail(err, sc->path, line,
		                   "barrier \"%s\" has count=\"%s\", expected "
		                   "an integer from 1 to %d (the threads that "
		                   "meet at it)",
		                   name, count, LK_MAX_PROCS);
	*out = (unsigned)v;
	return 0;
}

/* Check that a <lock> or <unlock> names a file (with its attributes) or
 * a mutex (with none of them), not both. */
int
lk__check_lock_kind(const struct lk_scenario *sc, const char *elem,
                    const char *file, const char *mutex, const char *type,
                    int range, long line, struct lk_err *err)
{
	if ((file == NULL) == (mutex == NULL))
		return lk__sc_fail(
		        err, sc->path, line,
		        "<%s> has %s, expected exactly one of file= "
		        "(a record lock) and mutex= (a pthread mutex)",
		        elem, file == NULL ? "neither" : "both");
	if (mutex != NULL && (type != NULL || range))
		return lk__sc_fail(err, sc->path, line,
		                   "<%s mutex=\"%s\"> has a record lock's "
		                   "attribute (type=, start=, len= or wait=), "
		                   "expected mutex= alone",
		                   elem, mutex);
	if (file != NULL && strcmp(elem, "lock") == 0 && type == NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "element 'lock': the attribute 'type' is "
		                   "required but missing (<lock file=\"%s\">: "
		                   "type=\"read\" or type=\"write\")",
		                   file);
	return 0;
}

/* Check that a <wait> is on a semaphore (sem= alone) or a condition
 * variable (cond= and mutex=, at most one of while= and if=). */
int
lk__check_wait_kind(const struct lk_scenario *sc, const char *sem,
                    const char *cond, const char *mutex, const char *w,
                    const char *f, long line, struct lk_err *err)
{
	if (sem != NULL &&
	    (cond != NULL || mutex != NULL || w != NULL || f != NULL))
		return lk__sc_fail(
		        err, sc->path, line,
		        "<wait sem=\"%s\"> has cond=, mutex=, while= "
		        "or if=, expected sem= alone (a semaphore) or "
		        "cond= and mutex= (a condition variable)",
		        sem);
	if (cond == NULL && mutex == NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "element 'wait': the attribute 'sem' is "
		                   "required but missing (or cond= and mutex=, "
		                   "for a condition variable)");
	if (cond == NULL || mutex == NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "<wait> has %s, expected both cond= and "
		                   "mutex= (a condition variable and the mutex "
		                   "it releases)",
		                   cond != NULL ? "cond= without mutex="
		                                : "mutex= without cond=");
	if (w != NULL && f != NULL)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<wait cond=\"%s\"> has both while= and if=, "
		        "expected one of them",
		        cond);
	return 0;
}

/* Parse a while= or if= test "CELL OP INTEGER" (OP: == != < <= > >=). */
int
lk__check_test(const struct lk_scenario *sc, const char *attr, const char *test,
               long line, int *cell, enum lk_cmp *cmp, long long *value,
               struct lk_err *err)
{
	static const struct {
		const char *op;
		enum lk_cmp cmp;
	} ops[] = {
	        {"==", LK_CMP_EQ}, {"!=", LK_CMP_NE}, {"<=", LK_CMP_LE},
	        {">=", LK_CMP_GE}, {"<", LK_CMP_LT},  {">", LK_CMP_GT},
	};
	char name[LK_NAME_MAX + 1], subject[64];
	const char *p = test, *q;
	size_t n, i;

	while (*p == ' ')
		p++;
	for (q = p; *q != '\0' && *q != ' ' && strchr("=!<>", *q) == NULL; q++)
		;
	n = (size_t)(q - p);
	while (*q == ' ')
		q++;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(q, ops[i].op, strlen(ops[i].op)) == 0)
			break;
	if (n == 0 || n >= sizeof(name) || i == sizeof(ops) / sizeof(ops[0]))
		return lk__sc_fail(
		        err, sc->path, line,
		        "%s=\"%s\" is not a test, expected \"CELL OP "
		        "INTEGER\" with OP one of == != < <= > >= "
		        "(count == 0)",
		        attr, test);
	memcpy(name, p, n);
	name[n] = '\0';
	if (lk__check_ref(sc, attr, name, LK_OBJ_CELL, line, cell, err) < 0)
		return -1;
	*cmp = ops[i].cmp;
	q += strlen(ops[i].op);
	while (*q == ' ')
		q++;
	snprintf(subject, sizeof(subject), "the value of %s=", attr);
	return lk__check_int64(sc, subject, q, line, value, err);
}

/* Check that process pname has an action outside its n handlers acts. */
int
lk__check_not_only_handlers(const struct lk_scenario *sc, const char *pname,
                            const struct lk_sc_action *acts, size_t n,
                            long line, struct lk_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (acts[i].kind != LK_ACT_HANDLER)
			return 0;
	}
	return lk__sc_fail(err, sc->path, line,
	                   "process \"%s\" has only handlers: it would end at "
	                   "once, expected at least one action after them "
	                   "(such as <pause/>)",
	                   pname);
}

/* Check one of start= and len= (attr) of <elem file="name">; NULL is 0. */
static int
check_offset(const struct lk_scenario *sc, const char *elem, const char *name,
             const char *attr, const char *value, long line, long long *out,
             struct lk_err *err)
{
	int rc;

	*out = 0;
	if (value == NULL)
		return 0;
	if ((rc = parse_int64(value, out)) == -1)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<%s file=\"%s\"> has %s=\"%s\", expected an "
		        "integer 0..%lld",
		        elem, name, attr, value, LLONG_MAX);
	if (rc == -2 || *out < 0)
		return lk__sc_fail(err, sc->path, line,
		                   "<%s file=\"%s\"> has %s=%s, expected "
		                   "0..%lld",
		                   elem, name, attr, value, LLONG_MAX);
	return 0;
}

/*
 * Check the byte range of a <lock> or <unlock> (elem) of file name: start
 * and len (NULL: 0, len 0 meaning to the end of the file) are
 * non-negative and the range ends at the largest offset at most, as
 * fcntl requires.
 */
int
lk__check_range(const struct lk_scenario *sc, const char *elem,
                const char *name, const char *start, const char *len, long line,
                long long *out_start, long long *out_len, struct lk_err *err)
{
	if (check_offset(sc, elem, name, "start", start, line, out_start, err) <
	            0 ||
	    check_offset(sc, elem, name, "len", len, line, out_len, err) < 0)
		return -1;
	/* The last byte, start + len - 1, must be an offset. */
	if (*out_len > 0 && *out_len - 1 > LLONG_MAX - *out_start)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<%s file=\"%s\"> has start=%lld and "
		        "len=%lld, which end past the largest offset, "
		        "expected len at most %lld (or 0: to the end "
		        "of the file)",
		        elem, name, *out_start, *out_len,
		        LLONG_MAX - *out_start + 1);
	return 0;
}

/* Length of the name process i was declared with ("w" for "w.3"). */
static size_t
base_len(const struct lk_scenario *sc, size_t i)
{
	return strcspn(sc->procs[i].name, ".");
}

/* Index of the first instance of the process i is an instance of. */
static size_t
first_instance(const struct lk_scenario *sc, size_t i)
{
	size_t len = base_len(sc, i);

	while (i > 0 && base_len(sc, i - 1) == len &&
	       strncmp(sc->procs[i - 1].name, sc->procs[i].name, len) == 0)
		i--;
	return i;
}

/* Number of instances of the process whose first instance is first. */
static unsigned
instances(const struct lk_scenario *sc, size_t first)
{
	size_t len = base_len(sc, first), i = first + 1;

	while (i < sc->nprocs && base_len(sc, i) == len &&
	       strncmp(sc->procs[i].name, sc->procs[first].name, len) == 0)
		i++;
	return (unsigned)(i - first);
}

/* Index of the first instance of the process declared as name, or -1. */
static int
find_process(const struct lk_scenario *sc, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sc->nprocs; i++) {
		if (base_len(sc, i) == len &&
		    strncmp(sc->procs[i].name, name, len) == 0)
			return (int)i;
	}
	return -1;
}

/* List the declared process names into buf, as a parenthesis. */
static void
list_processes(const struct lk_scenario *sc, char *buf, size_t size)
{
	size_t i, used = 0;
	int n = 0;

	for (i = 0; i < sc->nprocs && n >= 0; i += instances(sc, i))
		list_add(buf, size, &used, &n, "declared: ", sc->procs[i].name,
		         base_len(sc, i));
	if (used < size)
		snprintf(buf + used, size - used, ")");
}

/* List the processes spawned by first (the index) into buf. */
static void
list_spawned(const struct lk_scenario *sc, const int *spawner, size_t first,
             char *buf, size_t size)
{
	size_t i, len = base_len(sc, first), used = 0;
	char label[LK_NAME_MAX + 16];
	int n = 0;

	snprintf(label, sizeof(label), "%.*s spawns: ", (int)len,
	         sc->procs[first].name);
	for (i = 0; i < sc->nprocs && n >= 0; i += instances(sc, i)) {
		if (spawner[i] == (int)first)
			list_add(buf, size, &used, &n, label, sc->procs[i].name,
			         base_len(sc, i));
	}
	if (n == 0)
		snprintf(buf, size, "(%.*s spawns no process)", (int)len,
		         sc->procs[first].name);
	else if (used < size)
		snprintf(buf + used, size - used, ")");
}

/* The state of one check of the spawn tree. */
struct tree {
	struct lk_scenario *sc;
	int spawner[LK_MAX_PROCS];    /* first instance of the spawner, -1 */
	int spawn_line[LK_MAX_PROCS]; /* line of the <spawn>, by spawned */
};

/*
 * Resolve a->text (a process name) of a <spawn>, <waitpid> or <kill> of
 * instance k into a->proc and a->nproc; the name is freed. 0 or -1.
 */
static int
resolve(struct tree *t, size_t k, struct lk_sc_action *a, struct lk_err *err)
{
	struct lk_scenario *sc = t->sc;
	const char *elem = a->kind == LK_ACT_SPAWN     ? "spawn"
	                   : a->kind == LK_ACT_WAITPID ? "waitpid"
	                                               : "kill";
	size_t self = first_instance(sc, k), len = base_len(sc, self), n, i;
	char list[512];
	int x;

	if ((x = find_process(sc, a->text)) < 0) {
		list_processes(sc, list, sizeof(list));
		return lk__sc_fail(err, sc->path, a->line,
		                   "<%s> names process \"%s\", which is not "
		                   "declared %s",
		                   elem, a->text, list);
	}
	n = instances(sc, (size_t)x);
	if (a->kind == LK_ACT_KILL) {
		/* Any process, the sender itself included. */
	} else if (a->kind == LK_ACT_WAITPID) {
		if (t->spawner[x] != (int)self) {
			list_spawned(sc, t->spawner, self, list, sizeof(list));
			return lk__sc_fail(err, sc->path, a->line,
			                   "<waitpid> names \"%s\", which %.*s "
			                   "does not spawn %s",
			                   a->text, (int)len, sc->procs[k].name,
			                   list);
		}
		if (t->spawn_line[x] > a->line)
			return lk__sc_fail(err, sc->path, a->line,
			                   "<waitpid> names \"%s\", which %.*s "
			                   "spawns only later, on line %d, "
			                   "expected the <waitpid> after the "
			                   "<spawn>",
			                   a->text, (int)len, sc->procs[k].name,
			                   t->spawn_line[x]);
	} else if ((size_t)x == self) {
		return lk__sc_fail(err, sc->path, a->line,
		                   "process \"%s\" spawns itself, expected "
		                   "another process",
		                   a->text);
	} else if (instances(sc, self) > 1) {
		return lk__sc_fail(err, sc->path, a->line,
		                   "<spawn> is in process \"%.*s\", which has "
		                   "%u instances, so \"%s\" would be spawned "
		                   "%u times, expected a process without "
		                   "count=",
		                   (int)len, sc->procs[k].name,
		                   instances(sc, self), a->text,
		                   instances(sc, self));
	} else if (t->spawner[x] >= 0) {
		return lk__sc_fail(err, sc->path, a->line,
		                   "process \"%s\" is already spawned at line "
		                   "%d, expected one <spawn> per process",
		                   a->text, t->spawn_line[x]);
	} else {
		/* Every instance: each is forked by the same <spawn>. */
		for (i = (size_t)x; i < (size_t)x + n; i++) {
			t->spawner[i] = (int)self;
			t->spawn_line[i] = a->line;
			sc->procs[i].spawned = 1;
		}
	}
	a->proc = x;
	a->nproc = (unsigned)n;
	free(a->text);
	a->text = NULL;
	return 0;
}

/*
 * Resolve the <spawn>s and <kill>s (kind LK_ACT_SPAWN), or the <waitpid>s,
 * among n actions of instance k and in their repeat and handler bodies.
 */
static int
resolve_all(struct tree *t, size_t k, struct lk_sc_action *acts, size_t n,
            enum lk_act_kind kind, struct lk_err *err)
{
	struct lk_sc_action *a;
	size_t i;

	for (i = 0; i < n; i++) {
		a = &acts[i];
		if ((a->kind == kind ||
		     (kind == LK_ACT_SPAWN && a->kind == LK_ACT_KILL)) &&
		    resolve(t, k, a, err) < 0)
			return -1;
		if (a->body != NULL &&
		    resolve_all(t, k, a->body, a->nbody, kind, err) < 0)
			return -1;
	}
	return 0;
}

/* Check that some process starts and every spawned one is reached. */
static int
check_reached(struct tree *t, struct lk_err *err)
{
	const struct lk_scenario *sc = t->sc;
	int started[LK_MAX_PROCS] = {0}, grew = 1, any = 0;
	size_t i, len;

	for (i = 0; i < sc->nprocs; i++) {
		started[i] = t->spawner[i] < 0;
		any |= started[i];
	}
	if (!any)
		return lk__sc_fail(err, sc->path, sc->procs[0].line,
		                   "every process is spawned by another, so "
		                   "none would start, expected at least one "
		                   "process without a <spawn>");
	while (grew) {
		grew = 0;
		for (i = 0; i < sc->nprocs; i++) {
			if (!started[i] && started[t->spawner[i]]) {
				started[i] = 1;
				grew = 1;
			}
		}
	}
	for (i = 0; i < sc->nprocs; i++) {
		if (started[i])
			continue;
		len = base_len(sc, (size_t)t->spawner[i]);
		return lk__sc_fail(err, sc->path, sc->procs[i].line,
		                   "process \"%.*s\" never starts: it is "
		                   "spawned only by processes that never start "
		                   "(by \"%.*s\" on line %d)",
		                   (int)base_len(sc, i), sc->procs[i].name,
		                   (int)len, sc->procs[t->spawner[i]].name,
		                   t->spawn_line[i]);
	}
	return 0;
}

/*
 * Resolve every <spawn>, <waitpid> and <kill> (their text holds the
 * process name until now) and check the spawn tree: each process spawned at
 * most once, by a process that starts; each <waitpid> names a child of its
 * process.
 */
int
lk__check_spawns(struct lk_scenario *sc, struct lk_err *err)
{
	struct tree t;
	size_t k;

	t.sc = sc;
	for (k = 0; k < LK_MAX_PROCS; k++) {
		t.spawner[k] = -1;
		t.spawn_line[k] = 0;
	}
	if (sc->nprocs == 0)
		return 0;
	for (k = 0; k < sc->nprocs; k++) {
		if (resolve_all(&t, k, sc->procs[k].actions,
		                sc->procs[k].nactions, LK_ACT_SPAWN, err) < 0)
			return -1;
	}
	for (k = 0; k < sc->nprocs; k++) {
		if (resolve_all(&t, k, sc->procs[k].actions,
		                sc->procs[k].nactions, LK_ACT_WAITPID, err) < 0)
			return -1;
	}
	return check_reached(&t, err);
}

/* Parse the values="1 0 2" of <semset> name into values[*n]; 0 or -1. */
int
lk__check_semset(const struct lk_scenario *sc, const char *name,
                 const char *text, long line, unsigned short *values,
                 unsigned *n, struct lk_err *err)
{
	const char *p = text;
	char *end;

	*n = 0;
	while (*p != '\0') {
		long v;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno != 0 || v < 0 || v > 32767 ||
		    (*end != '\0' && *end != ' ' && *end != '\t' &&
		     *end != '\n'))
			return lk__sc_fail(
			        err, sc->path, line,
			        "semset \"%s\": values=\"%s\" is not "
			        "a list of integers 0..32767",
			        name, text);
		if (*n == LK_SEMSET_MAX)
			return lk__sc_fail(err, sc->path, line,
			                   "semset \"%s\" has more than %d "
			                   "semaphores",
			                   name, LK_SEMSET_MAX);
		values[(*n)++] = (unsigned short)v;
		p = end;
	}
	if (*n == 0)
		return lk__sc_fail(err, sc->path, line,
		                   "semset \"%s\" has no values, expected one "
		                   "initial value per semaphore",
		                   name);
	return 0;
}

/* Check an <op sem= add=> of a <semop> on set obj: sem a semaphore of
 * the set, add an integer -32767..32767 (0 waits for zero). */
int
lk__check_semop(const struct lk_scenario *sc, int obj, const char *num,
                const char *add, long line, int *n, int *v, struct lk_err *err)
{
	unsigned size = sc->objects[obj].u.semset.n;
	char *end;
	long a, k;

	errno = 0;
	k = strtol(num, &end, 10);
	if (end == num || *end != '\0' || errno != 0 || k < 0 ||
	    k >= (long)size)
		return lk__sc_fail(err, sc->path, line,
		                   "<op sem=\"%s\"> on semset \"%s\": expected "
		                   "a semaphore number 0..%u",
		                   num, sc->objects[obj].name, size - 1);
	errno = 0;
	a = strtol(add, &end, 10);
	if (end == add || *end != '\0' || errno != 0 || a < -32767 || a > 32767)
		return lk__sc_fail(err, sc->path, line,
		                   "<op add=\"%s\">: expected an integer "
		                   "-32767..32767 (0 waits for zero)",
		                   add);
	*n = (int)k;
	*v = (int)a;
	return 0;
}
