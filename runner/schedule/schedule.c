/* Reading and writing schedule files (see schedule.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/input.h"
#include "schedule/schedule.h"
#include "common/sha256.h"
#include "trace/trace.h"

#define MAX_FILE (256u << 20)
#define MAX_LINE 4096

/* Read a whole regular file, at most MAX_FILE bytes; NULL with errno
 * and err filled. */
static char *
slurp(const char *path, size_t *len, struct lk_err *err)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t have = 0;
	int fd = lk_input_open(path, "a schedule file", err);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		lk_err_set(err, LK_EXIT_USAGE, "%s: cannot read: %s", path,
		           strerror(errno));
		goto out;
	}
	if ((size_t)st.st_size > MAX_FILE) {
		errno = EFBIG;
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s: cannot read: the file is larger than %u MiB",
		           path, MAX_FILE >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	while (have < (size_t)st.st_size &&
	       (n = read(fd, buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	*len = have;
out:
	close(fd);
	return buf;
}

/* SHA-256 of a file's contents into hex; 0, or -1 with errno. */
int
lk_sha256_file(const char *path, char hex[65])
{
	size_t len;
	char *buf = slurp(path, &len, NULL);

	if (buf == NULL)
		return -1;
	lk_sha256_hex(buf, len, hex);
	free(buf);
	return 0;
}

/* The directory part of path ("." when none), malloc'd; NULL. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The first path component of an absolute path: "/work" of
 * "/work/x/y"; its length. */
static size_t
top_len(const char *abs)
{
	return 1 + strcspn(abs + 1, "/");
}

/* abs relative to the directory real (both absolute and resolved, real
 * not "/"), with "../" to climb out of real; malloc'd, NULL with errno. */
static char *
relative(const char *abs, const char *real)
{
	size_t common = 0, ups = 0;
	char *out, *p;

	/* The longest run of whole components both start with. */
	for (size_t i = 0;; i++) {
		if ((real[i] == '\0' || real[i] == '/') && abs[i] == '/')
			common = i;
		if (real[i] == '\0' || abs[i] != real[i])
			break;
	}
	for (const char *q = real + common; *q != '\0'; q++)
		ups += *q == '/';
	if ((out = malloc(3 * ups + strlen(abs + common) + 1)) == NULL)
		return NULL;
	p = out;
	for (size_t i = 0; i < ups; i++) {
		*p++ = '.';
		*p++ = '.';
		*p++ = '/';
	}
	strcpy(p, abs + common + 1);
	return out;
}

/* The scenario path to write in a schedule (see schedule.h). */
char *
lk_schedule_scenario_ref(const char *scenario, const char *sched_path, int up)
{
	char *abs = realpath(scenario, NULL), *dir = NULL, *real = NULL;
	char *ref = NULL;
	size_t n;

	if (abs == NULL)
		return strdup(scenario);
	if (sched_path != NULL && (dir = dir_of(sched_path)) != NULL)
		real = realpath(dir, NULL);
	n = real != NULL ? strlen(real) : 0;
	if (real != NULL && strncmp(abs, real, n) == 0 && abs[n] == '/')
		ref = strdup(abs + n + 1);
	else if (real != NULL && up && strcmp(real, "/") != 0 &&
	         top_len(abs) == top_len(real) &&
	         strncmp(abs, real, top_len(abs)) == 0)
		ref = relative(abs, real);
	free(dir);
	free(real);
	if (ref == NULL)
		return abs;
	free(abs);
	return ref;
}

/* The scenario a schedule names, resolved (see schedule.h). */
char *
lk_schedule_scenario_path(const struct lk_schedule *s)
{
	char *dir, *full;

	if (s->scenario == NULL)
		return NULL;
	if (s->scenario[0] == '/' || (dir = dir_of(s->path)) == NULL)
		return strdup(s->scenario);
	if (strcmp(dir, ".") == 0) {
		free(dir);
		return strdup(s->scenario);
	}
	if (asprintf(&full, "%s/%s", dir, s->scenario) < 0)
		full = NULL;
	free(dir);
	return full;
}

/* The scenario a schedule names, found (see schedule.h). */
char *
lk_schedule_scenario_find(const struct lk_schedule *s, char *why, size_t size)
{
	char *rel = lk_schedule_scenario_path(s);

	if (rel == NULL) {
		snprintf(why, size, "%s", "");
		return NULL;
	}
	if (access(rel, F_OK) == 0 || s->scenario_abs == NULL ||
	    s->scenario[0] == '/')
		return rel;
	if (access(s->scenario_abs, F_OK) == 0) {
		free(rel);
		snprintf(why, size, "%s", "");
		return strdup(s->scenario_abs);
	}
	snprintf(why, size,
	         "no scenario at either path it gives: %s ('scenario: %s', "
	         "from the schedule's directory) or %s "
	         "('scenario-absolute:')",
	         rel, s->scenario, s->scenario_abs);
	free(rel);
	return NULL;
}

/* Free a schedule; NULL is allowed. */
void
lk_schedule_free(struct lk_schedule *s)
{
	for (size_t i = 0; s != NULL && i < s->nprogram; i++)
		free(s->program[i]);
	if (s != NULL)
		free(s->program);
	if (s == NULL)
		return;
	free(s->path);
	free(s->scenario);
	free(s->scenario_abs);
	free(s->steps);
	free(s->lines);
	free(s);
}

/* Is c allowed in a process or object name of a schedule line? */
static int
name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '#' ||
	       c == '/' || c == '~';
}

/* May c be part of an object name in a schedule? Any visible character
 * but ':' (which makes a line a header): objects are named by the program
 * as well as by the scenario (--track-shm cells are "shared+8" or
 * "counter+0", files are named after their last path component). Blanks
 * separate words, so names with blanks or ':' are written without the
 * object (lk_schedule_write). */
static int
obj_char(int c)
{
	return c > 0x20 && c != 0x7f && c != ':';
}

/* Can name be written as the object word of a step and read back? */
static int
writable_name(const char *name)
{
	if (*name == '\0' || *name == '#' || strlen(name) >= LK_NAME_MAX)
		return 0;
	/* "bytes=K" after the object is a count (--perturb). */
	if (strncmp(name, "bytes=", 6) == 0)
		return 0;
	for (const char *p = name; *p; p++)
		if (!obj_char((unsigned char)*p))
			return 0;
	return 1;
}

/* Split line (NUL-terminated, comment removed) into at most max
 * whitespace-separated words; returns how many, max + 1 if more. */
static int
split(char *line, char **words, int max)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n == max)
			return max + 1;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
	return n;
}

/* Apply a "key: value" header line. */
static int
header(struct lk_schedule *s, const char *key, char *val, int *version,
       const char *path, unsigned line, struct lk_err *err)
{
	char *end;

	while (*val == ' ' || *val == '\t')
		val++;
	for (end = val + strlen(val);
	     end > val && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	if (strcmp(key, "lockstep-schedule") == 0) {
		if (strcmp(val, "1") != 0)
			goto bad_version;
		*version = 1;
	} else if (strcmp(key, "perturb") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: perturb '%.60s': expected yes or no",
			           path, line, val);
			return -1;
		}
		s->perturb = strcmp(val, "yes") == 0;
	} else if (strcmp(key, "scenario") == 0) {
		free(s->scenario);
		s->scenario = strdup(val);
		if (s->scenario == NULL)
			goto nomem;
	} else if (strcmp(key, "scenario-absolute") == 0) {
		if (val[0] != '/') {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: scenario-absolute '%s': expected an "
			           "absolute path",
			           path, line, val);
			return -1;
		}
		free(s->scenario_abs);
		s->scenario_abs = strdup(val);
		if (s->scenario_abs == NULL)
			goto nomem;
	} else if (strcmp(key, "program") == 0 || strcmp(key, "arg") == 0) {
		char **v;

		if ((strcmp(key, "program") == 0) != (s->nprogram == 0)) {
			lk_err_set(err, LK_EXIT_USAGE, "%s:%u: '%s:' %s", path,
			           line, key,
			           s->nprogram == 0
			                   ? "before 'program:'"
			                   : "twice (one program a schedule)");
			return -1;
		}
		v = realloc(s->program, (s->nprogram + 2) * sizeof(*v));
		if (v == NULL)
			goto nomem;
		s->program = v;
		if ((v[s->nprogram] = strdup(val)) == NULL)
			goto nomem;
		v[++s->nprogram] = NULL;
	} else if (strcmp(key, "sha256") == 0) {
		if (strlen(val) != 64 ||
		    strspn(val, "0123456789abcdef") != 64) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: sha256 '%s': expected 64 lower-case "
			           "hex digits",
			           path, line, val);
			return -1;
		}
		memcpy(s->sha256, val, 65);
	} else if (strcmp(key, "strategy") == 0) {
		int k = lk_strategy_lookup(val);

		s->strategy = k < 0 ? LK_STRAT_DEFAULT : (unsigned)k;
	} else if (strcmp(key, "seed") == 0) {
		if (*val < '0' || *val > '9') {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: seed '%s': expected a non-negative "
			           "integer",
			           path, line, val);
			return -1;
		}
		errno = 0;
		s->seed = strtoull(val, &end, 10);
		if (errno != 0 || end == val || *end != '\0') {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: seed '%s': expected a non-negative "
			           "integer",
			           path, line, val);
			return -1;
		}
	} else {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: unknown header '%s:', expected "
		           "lockstep-schedule, scenario, scenario-absolute, "
		           "program, arg, sha256, strategy or seed",
		           path, line, key);
		return -1;
	}
	return 0;
bad_version:
	lk_err_set(err, LK_EXIT_USAGE,
	           "%s:%u: lockstep-schedule '%s': this lockstep reads "
	           "format 1",
	           path, line, val);
	return -1;
nomem:
	lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
	return -1;
}

/* Append one decision from its words. */
static int
decision(struct lk_schedule *s, char **w, int n, size_t *cap, const char *path,
         unsigned line, struct lk_err *err)
{
	struct lk_decision *d;
	int op = LK_OP_NONE;
	long long bytes = 0;

	/* --perturb: "bytes=K" after the operation (and object), the
	 * bytes a pipe read or write moves (docs/schedules.md). */
	if (n >= 3 && strncmp(w[n - 1], "bytes=", 6) == 0) {
		char *end;

		errno = 0;
		bytes = strtoll(w[n - 1] + 6, &end, 10);
		if (errno != 0 || *end != '\0' || end == w[n - 1] + 6 ||
		    bytes < 1 || bytes > INT32_MAX) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: '%.60s' is not a count of bytes, "
			           "expected bytes=K with K from 1 to %d",
			           path, line, w[n - 1], INT32_MAX);
			return -1;
		}
		n--;
	} else if (n == 4) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: expected 'PROCESS [OPERATION [OBJECT] "
		           "[bytes=K]]', found a fourth word '%.60s'",
		           path, line, w[3]);
		return -1;
	}
	for (const char *p = w[0]; *p; p++)
		if (!name_char((unsigned char)*p))
			goto bad_name;
	if (strlen(w[0]) >= LK_NAME_MAX)
		goto bad_name;
	if (n >= 2 && ((op = lk_op_lookup(w[1])) <= LK_OP_NONE)) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: unknown operation '%s', expected one such "
		           "as sem_wait, sem_post, write, sleep, exit",
		           path, line, w[1]);
		return -1;
	}
	for (const char *p = n == 3 ? w[2] : ""; *p; p++)
		if (!obj_char((unsigned char)*p)) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: '%.60s' is not an object name", path,
			           line, w[2]);
			return -1;
		}
	if (n == 3 && strlen(w[2]) >= LK_NAME_MAX) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: object name '%.60s' is too long", path, line,
		           w[2]);
		return -1;
	}
	if (s->n >= LK_SCHEDULE_MAX_STEPS) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: more than %u steps, expected fewer", path,
		           line, LK_SCHEDULE_MAX_STEPS);
		return -1;
	}
	if (s->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct lk_decision *ns = realloc(s->steps, nc * sizeof(*ns));
		uint32_t *nl = ns ? realloc(s->lines, nc * sizeof(*nl)) : NULL;

		if (ns != NULL)
			s->steps = ns;
		if (nl == NULL) {
			lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
			return -1;
		}
		s->lines = nl;
		*cap = nc;
	}
	d = &s->steps[s->n];
	memset(d, 0, sizeof(*d));
	strcpy(d->proc, w[0]);
	d->slot = -1;
	d->op = (uint16_t)op;
	if (n == 3)
		strcpy(d->obj, w[2]);
	d->bytes = bytes;
	s->lines[s->n++] = line;
	return 0;
bad_name:
	lk_err_set(err, LK_EXIT_USAGE,
	           "%s:%u: '%.60s' is not a process name, expected a line "
	           "'PROCESS [OPERATION [OBJECT]]'",
	           path, line, w[0]);
	return -1;
}

/* Read a schedule from a buffer (see schedule.h). */
int
lk_schedule_parse(const char *buf, size_t len, const char *path,
                  struct lk_schedule **out, struct lk_err *err)
{
	struct lk_schedule *s = calloc(1, sizeof(*s));
	char line[MAX_LINE + 1], *w[4], *colon, *hash;
	size_t cap = 0, pos = 0;
	unsigned lineno = 0;
	int version = 0, n;

	if (s == NULL || (s->path = strdup(path)) == NULL)
		goto nomem;
	if (memchr(buf, '\0', len) != NULL) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s: contains a NUL byte, expected a text file",
		           path);
		goto fail;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		lineno++;
		if (ll > MAX_LINE) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: line longer than %d characters",
			           path, lineno, MAX_LINE);
			goto fail;
		}
		memcpy(line, buf + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		/* A comment starts at a '#' that begins a word. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || hash[-1] == ' ' ||
			    hash[-1] == '\t') {
				*hash = '\0';
				break;
			}
		colon = strchr(line, ':');
		if (colon != NULL && s->n == 0) {
			*colon = '\0';
			if (split(line, w, 1) != 1)
				goto bad_line;
			if (header(s, w[0], colon + 1, &version, path, lineno,
			           err) != 0)
				goto fail;
			continue;
		}
		n = split(line, w, 4);
		if (n == 0)
			continue;
		if (n > 4 || colon != NULL)
			goto bad_line;
		if (version == 0) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:%u: expected the header "
			           "'lockstep-schedule: 1' before the first "
			           "step",
			           path, lineno);
			goto fail;
		}
		if (decision(s, w, n, &cap, path, lineno, err) != 0)
			goto fail;
	}
	if (version == 0) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "%s:%u: expected the header 'lockstep-schedule: 1'",
		           path, lineno ? lineno : 1);
		goto fail;
	}
	*out = s;
	return 0;
bad_line:
	lk_err_set(err, LK_EXIT_USAGE,
	           "%s:%u: expected 'PROCESS [OPERATION [OBJECT]]' or a "
	           "'key: value' header",
	           path, lineno);
	goto fail;
nomem:
	lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
fail:
	lk_schedule_free(s);
	return -1;
}

/* Read a schedule file (see schedule.h). */
int
lk_schedule_read(const char *path, struct lk_schedule **out, struct lk_err *err)
{
	size_t len;
	char *buf = slurp(path, &len, err);
	int rc;

	if (buf == NULL)
		return -1;
	rc = lk_schedule_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

/* Write the interleaving of t as a schedule (see schedule.h). */
int
lk_schedule_write(const struct lk_trace *t, const char *scenario_path,
                  const char *scenario_abs, char *const *program,
                  const char *sha, FILE *f)
{
	char label[128];

	fprintf(f,
	        "# lockstep schedule: one step a line, PROCESS [OPERATION "
	        "[OBJECT]].\n"
	        "# Edit freely; replay with: lockstep replay FILE\n"
	        "lockstep-schedule: %d\n",
	        LK_SCHEDULE_FORMAT);
	if (program == NULL)
		fprintf(f, "scenario: %s\n", scenario_path);
	if (program == NULL && scenario_abs != NULL && scenario_path[0] != '/')
		fprintf(f, "scenario-absolute: %s\n", scenario_abs);
	for (size_t i = 0; program != NULL && program[i] != NULL; i++)
		fprintf(f, "%s: %s\n", i == 0 ? "program" : "arg", program[i]);
	if (sha != NULL)
		fprintf(f, "sha256: %s\n", sha);
	fprintf(f, "strategy: %s\nseed: %llu\n%s\n",
	        lk_strategy_name(t->strategy), (unsigned long long)t->seed,
	        t->perturb ? "perturb: yes\n" : "");
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		const char *obj = lk_trace_obj_name(t, e->obj);
		int col;

		/* A wait that reaped names the child: replay reaps it. */
		if (e->op == LK_OP_WAIT && !e->blocked && e->ret > 0 &&
		    (size_t)e->ret < t->nprocs)
			obj = t->procs[e->ret].name;
		if (obj != NULL && !writable_name(obj))
			obj = NULL; /* the step without its object */

		lk_label(t, e, LK_LABEL_TERMINAL, label, sizeof(label));
		col = fprintf(f, "%s %s%s%s", t->procs[e->proc].name,
		              lk_op_name((unsigned)e->op), obj ? " " : "",
		              obj ? obj : "");
		/* --perturb: a read or write that moved fewer bytes than it
		 * could says how many. */
		if ((e->op == LK_OP_READ || e->op == LK_OP_WRITE) &&
		    e->u.rw.avail != 0 && e->ret > 0 && e->ret < e->u.rw.avail)
			col += fprintf(f, " bytes=%lld", (long long)e->ret);
		fprintf(f, "%*s# %zu: %s", col < 40 ? 40 - col : 1, "", i,
		        label);
		if (e->src)
			fprintf(f, " (line %u)", e->src);
		fputc('\n', f);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
