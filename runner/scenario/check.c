/*
 * The checks a schema cannot make: references to declared objects of the
 * right kind, unique names and paths, numeric ranges that depend on the
 * platform or on other elements, durations, regular expressions and the
 * texts <before> refers to. scenario.c calls them in document order.
 */
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/check.h"

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

/* The word users know an object kind by. */
static const char *
kind_word(enum lk_obj_kind kind)
{
	return kind == LK_OBJ_SEM ? "semaphore" : "file";
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
		return "expected a relative path, such as out.txt or "
		       "logs/out.txt";
	for (c = p; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "expected a path without control characters";
	}
	for (c = p;; c = end + 1) {
		end = strchr(c, '/');
		len = end != NULL ? (size_t)(end - c) : strlen(c);
		if (len == 0)
			return "expected a path without empty components, such "
			       "as logs/out.txt";
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return "expected a path without \".\" or \"..\" "
			       "components, such as logs/out.txt";
		if (end == NULL)
			return NULL;
	}
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
	if (kind != LK_OBJ_FILE)
		return 0;
	if ((why = path_problem(fpath)) != NULL)
		return lk__sc_fail(err, sc->path, line,
		                   "file \"%s\" has path \"%s\", %s", name,
		                   fpath, why);
	for (i = 0; i < sc->nobjects; i++) {
		o = &sc->objects[i];
		if (o->kind == LK_OBJ_FILE && o->u.file.path != NULL &&
		    strcmp(o->u.file.path, fpath) == 0)
			return lk__sc_fail(err, sc->path, line,
			                   "file \"%s\" has path \"%s\", which "
			                   "file \"%s\" on line %d already "
			                   "uses, expected a distinct path",
			                   name, fpath, o->name, o->line);
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

/* List the declared objects of a kind into buf, as a parenthesis. */
static void
list_objects(const struct lk_scenario *sc, enum lk_obj_kind kind, char *buf,
             size_t size)
{
	size_t i, used = 0, len;
	int n = 0;

	for (i = 0; i < sc->nobjects; i++) {
		if (sc->objects[i].kind != kind)
			continue;
		len = strlen(sc->objects[i].name);
		/* Leave room for ", ...)" and the NUL. */
		if (used + len + 16 > size) {
			used += (size_t)snprintf(buf + used, size - used,
			                         ", ...");
			break;
		}
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
		                         n++ == 0 ? "(declared: " : ", ",
		                         sc->objects[i].name);
	}
	if (n == 0)
		snprintf(buf, size, "(no %s is declared)", kind_word(kind));
	else
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
		list_objects(sc, kind, declared, sizeof(declared));
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

/* The product of every {m,n} count of a regex (the larger bound, 1 for
 * an open one), capped just above LK_REGEX_REPEAT: an upper bound of the
 * repetitions regcomp unrolls. */
static unsigned long
repetitions(const char *re)
{
	unsigned long product = 1;

	for (const char *p = re; *p; p++) {
		unsigned long m, n;
		char *end;

		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '{' || p[1] < '0' || p[1] > '9')
			continue;
		m = strtoul(p + 1, &end, 10);
		n = m;
		if (*end == ',' && end[1] >= '0' && end[1] <= '9')
			n = strtoul(end + 1, &end, 10);
		if (n < m)
			n = m;
		if (n > LK_REGEX_REPEAT)
			return LK_REGEX_REPEAT + 1;
		product *= n > 0 ? n : 1;
		if (product > LK_REGEX_REPEAT)
			return LK_REGEX_REPEAT + 1;
	}
	return product;
}

/* Check that regex compiles as a POSIX extended regular expression. */
int
lk__check_regex(const struct lk_scenario *sc, const char *elem,
                const char *regex, long line, struct lk_err *err)
{
	char why[256];
	regex_t re;
	int rc;

	/* glibc's regcomp unrolls {m,n} repetitions: a large or nested count
	 * makes it recurse out of stack or memory (found by fuzzing), so the
	 * counts are bounded before it sees them. */
	if (strlen(regex) > LK_REGEX_MAX)
		return lk__sc_fail(err, sc->path, line,
		                   "<%s matches=\"%.40s...\">: %zu characters, "
		                   "expected at most %d",
		                   elem, regex, strlen(regex), LK_REGEX_MAX);
	if (repetitions(regex) > LK_REGEX_REPEAT)
		return lk__sc_fail(
		        err, sc->path, line,
		        "<%s matches=\"%s\">: its {m,n} counts "
		        "multiply to more than %d repetitions, expected "
		        "fewer",
		        elem, regex, LK_REGEX_REPEAT);
	if ((rc = regcomp(&re, regex, REG_EXTENDED)) == 0) {
		regfree(&re);
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

/* Whether some <print> among n actions (or in their bodies) prints text. */
static int
printed(const struct lk_sc_action *acts, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (acts[i].kind == LK_ACT_PRINT &&
		    strcmp(acts[i].text, text) == 0)
			return 1;
		if (acts[i].kind == LK_ACT_REPEAT &&
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
