/*
 * The exports on real traces: run the real lockstep on every shipped
 * scenario and on a program, export each trace for Perfetto and ShiViz,
 * and check the files as those viewers read them: the Perfetto JSON has a
 * named track per process, a slice per event and per blocked wait, no two
 * slices of a process overlapping, and a flow per happens-before edge with
 * both ends inside the right slices; the ShiViz log pairs an event line
 * with a "host {clock}" line, its own counters go 1, 2, 3, ... and a wait
 * dominates the post before it. Output is stable; bad input fails with
 * the file named, through the C API and through `lockstep export`.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../e2e/e2e.h"
#include "common/stop.h"
#include "viz/export.h"
#include "viz/viz.h"

/* The command under test, from runner/cli/export.c (linked in). */
int lk_cmd_export(int argc, char **argv);

/* One trace made by the real lockstep. */
struct trace {
	char name[128]; /* scenario (and seed), or the program */
	char *path;     /* the .jsonl file */
};

/* What the group setup made: a directory and the traces in it. */
static char *dir;
static struct trace traces[64];
static size_t ntraces;

/* One X slice of a Perfetto export. */
struct slice {
	long long pid;
	double ts, end;
	int blocked; /* cat "blocked" */
};

/* Compare two strings for qsort. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Record the trace lockstep wrote to dir/name.jsonl with args. */
static int
make_trace(const char *name, const char *const args[])
{
	struct trace *t = &traces[ntraces];
	struct e2e_result r;
	struct stat st;
	int ok;

	snprintf(t->name, sizeof(t->name), "%s", name);
	/* Any outcome will do (deadlock-order exits 3): a trace is wanted. */
	e2e_lockstep(&r, args);
	e2e_result_free(&r);
	ok = stat(t->path, &st) == 0 && st.st_size > 0;
	if (!ok)
		fprintf(stderr, "no trace from lockstep for %s\n", name);
	ntraces += ok;
	return ok ? 0 : -1;
}

/* Run one shipped scenario (in scenarios/) with seed, or NULL. */
static int
scenario_trace(const char *file, const char *seed)
{
	char name[128], scen[512], *jsonl;
	int n = (int)(strchr(file, '.') - file);

	snprintf(name, sizeof(name), "%.*s%s%s", n, file, seed ? "-seed" : "",
	         seed ? seed : "");
	snprintf(scen, sizeof(scen), "scenarios/%s", file);
	if (asprintf(&jsonl, "%s/%s.jsonl", dir, name) < 0)
		return -1;
	traces[ntraces].path = jsonl;
	const char *const args[] = {
	        "run", scen, "--trace", jsonl, seed ? "--seed" : NULL,
	        seed,  NULL};
	return make_trace(name, args);
}

/* Run lockstep on every shipped scenario, in name order, and a program. */
static int
setup(void **state)
{
	char *names[60];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	(void)state;
	if ((dir = e2e_tempdir()) == NULL ||
	    (d = opendir(LK_SOURCE_DIR "/scenarios")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && n < 60) {
		size_t len = strlen(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".xml") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		rc |= scenario_trace(names[i], NULL);
		if (strcmp(names[i], "unsync-writers.xml") == 0)
			rc |= scenario_trace(names[i], "3");
		free(names[i]);
	}
	traces[ntraces].path = e2e_path(dir, "prog_sem_fork.jsonl");
	const char *const prog[] = {"run", "--trace", traces[ntraces].path,
	                            "--",  SEM_FORK,  NULL};
	rc |= make_trace("prog_sem_fork", prog);
	return n == 0 ? -1 : rc;
}

/* Remove the directory and all in it. */
static int
teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++)
		free(traces[i].path);
	e2e_rmtree(dir);
	free(dir);
	return 0;
}

/* Read a trace, which must succeed. */
static struct lk_viz_trace *
must_read(const char *path)
{
	struct lk_viz_trace *t = NULL;
	struct lk_err err = {0};

	if (lk_viz_read(path, &t, &err) != 0)
		fail_msg("lk_viz_read %s: %s", path, err.msg);
	return t;
}

/* Export t to dir/stem.ext for Perfetto (json) or ShiViz (log): its path,
 * malloc'd. */
static char *
must_export(const struct lk_viz_trace *t, const char *stem, const char *ext)
{
	char name[256], *path;
	struct lk_err err = {0};
	int rc;

	snprintf(name, sizeof(name), "%s.%s", stem, ext);
	path = e2e_path(dir, name);
	if (strcmp(ext, "json") == 0)
		rc = lk_export_perfetto(t, path, &err);
	else
		rc = lk_export_shiviz(t, path, &err);
	if (rc != 0)
		fail_msg("export %s: %s", path, err.msg);
	return path;
}

/* The Perfetto export of t, parsed by jansson (it must parse). */
static json_t *
perfetto_of(const struct lk_viz_trace *t, const char *stem)
{
	char *path = must_export(t, stem, "json");
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (root == NULL)
		fail_msg("%s: not JSON: %d: %s", path, jerr.line, jerr.text);
	free(path);
	assert_true(json_is_array(json_object_get(root, "traceEvents")));
	return root;
}

/* String member key of o, or "". */
static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Integer member key of o, or -1. */
static long long
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Compare slices by process, then start, for qsort. */
static int
cmp_slice(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

/* How many entries of e's clock are not zero (what a log writes). */
static size_t
nonzero(const struct lk_viz_trace *t, const struct lk_tev *e)
{
	size_t n = 0;

	for (size_t p = 0; p < t->tr->nprocs; p++)
		n += e->vc[p] != 0;
	return n;
}

/* Check the tracks and slices of the export root of t. */
static void
check_slices(const struct lk_viz_trace *t, json_t *root, const char *name)
{
	json_t *evs = json_object_get(root, "traceEvents"), *j;
	struct slice *sl = calloc(json_array_size(evs) + 1, sizeof(*sl));
	size_t nsl = 0, nev = 0, nblocked = 0, want_blocked = 0, i;
	int *named = calloc(t->tr->nprocs + 1, sizeof(int));

	assert_non_null(sl);
	assert_non_null(named);
	json_array_foreach(evs, i, j)
	{
		const char *ph = str(j, "ph");
		long long pid = num(j, "pid");

		if (!strcmp(ph, "M") &&
		    !strcmp(str(j, "name"), "process_name")) {
			assert_true(pid >= 1 && (size_t)pid <= t->tr->nprocs);
			assert_string_equal(
			        str(json_object_get(j, "args"), "name"),
			        lk_trace_proc_label(t->tr, pid - 1));
			named[pid - 1]++;
		}
		if (strcmp(ph, "X") != 0)
			continue;
		assert_int_equal(pid, num(j, "tid"));
		assert_true(strlen(str(j, "name")) > 0);
		sl[nsl].pid = pid;
		sl[nsl].ts = json_number_value(json_object_get(j, "ts"));
		sl[nsl].end = sl[nsl].ts +
		              json_number_value(json_object_get(j, "dur"));
		sl[nsl].blocked = !strcmp(str(j, "cat"), "blocked");
		assert_true(sl[nsl].end >= sl[nsl].ts);
		if (sl[nsl].blocked) {
			nblocked++;
		} else {
			/* Event slices come in step order, one per event. */
			const struct lk_tev *e = &t->tr->ev[nev++];
			double dur = sl[nsl].end - sl[nsl].ts;

			assert_true(nev <= t->tr->nevents);
			assert_string_equal(str(j, "cat"), "event");
			assert_int_equal(
			        num(json_object_get(j, "args"), "step"),
			        e->step);
			assert_int_equal(pid, (long long)e->proc + 1);
			if (lk__viz_op(e) == LK__VIZ_SLEEP)
				assert_true(dur * 1000 >=
				            (double)e->u.sleep.ns);
		}
		nsl++;
	}
	for (size_t k = 0; k < t->tr->nevents; k++)
		want_blocked += t->tr->ev[k].blocked != 0;
	for (size_t p = 0; p < t->tr->nprocs; p++)
		if (named[p] != 1)
			fail_msg("%s: process %s named %d times", name,
			         t->tr->procs[p].name, named[p]);
	if (nev != t->tr->nevents || nblocked != want_blocked)
		fail_msg("%s: %zu event slices for %zu events, %zu blocked "
		         "for %zu",
		         name, nev, t->tr->nevents, nblocked, want_blocked);
	/* No two slices of one process overlap. */
	qsort(sl, nsl, sizeof(*sl), cmp_slice);
	for (size_t k = 1; k < nsl; k++)
		if (sl[k].pid == sl[k - 1].pid && sl[k].ts < sl[k - 1].end)
			fail_msg("%s: pid %lld: a slice at %g overlaps the one "
			         "ending at %g",
			         name, sl[k].pid, sl[k].ts, sl[k - 1].end);
	free(sl);
	free(named);
}

/* Every trace: a named track per process, a slice per event and per
 * blocked wait, never overlapping within a process. */
static void
test_export_perfetto_slices(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		json_t *root = perfetto_of(t, traces[i].name);

		check_slices(t, root, traces[i].name);
		json_decref(root);
		lk_viz_free(t);
	}
}

/* The event slice of step in root's traceEvents (it must be there). */
static json_t *
slice_of_step(json_t *evs, long step)
{
	size_t i;
	json_t *j;

	json_array_foreach(evs, i, j)
	{
		if (!strcmp(str(j, "ph"), "X") &&
		    !strcmp(str(j, "cat"), "event") &&
		    num(json_object_get(j, "args"), "step") == step)
			return j;
	}
	fail_msg("no slice for step %ld", step);
	return NULL;
}

/* Flow end j lies inside the slice of event e, on e's process. */
static void
check_flow_end(json_t *evs, json_t *j, const struct lk_tev *e)
{
	json_t *s = slice_of_step(evs, e->step);
	double ts = json_number_value(json_object_get(j, "ts"));
	double from = json_number_value(json_object_get(s, "ts"));
	double to = from + json_number_value(json_object_get(s, "dur"));

	assert_int_equal(num(j, "pid"), (long long)e->proc + 1);
	assert_int_equal(num(j, "tid"), (long long)e->proc + 1);
	if (ts <= from || ts >= to)
		fail_msg("flow %lld at %g is outside its slice %g..%g",
		         num(j, "id"), ts, from, to);
}

/* Every happens-before edge is one flow: an "s" and one "f" with its id,
 * inside the slices of its events, of the right kind. */
static void
test_export_perfetto_flows(void **state)
{
	size_t total = 0;

	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		json_t *root = perfetto_of(t, traces[i].name);
		json_t *evs = json_object_get(root, "traceEvents"), *j;
		size_t n = t->nedges + 1, k, starts = 0;
		int *s = calloc(n, sizeof(int)), *f = calloc(n, sizeof(int));

		json_array_foreach(evs, k, j)
		{
			const char *ph = str(j, "ph");
			long long id = num(j, "id");
			const struct lk_hb_edge *ed;

			if (strcmp(ph, "s") != 0 && strcmp(ph, "f") != 0)
				continue;
			assert_true(id >= 1 && (size_t)id <= t->nedges);
			ed = &t->edges[id - 1];
			assert_string_equal(str(j, "cat"),
			                    lk__viz_edge_kinds[ed->kind].name);
			if (*ph == 's') {
				s[id]++;
				starts++;
				check_flow_end(evs, j, &t->tr->ev[ed->from]);
			} else {
				f[id]++;
				assert_string_equal(str(j, "bp"), "e");
				check_flow_end(evs, j, &t->tr->ev[ed->to]);
			}
		}
		for (size_t id = 1; id <= t->nedges; id++)
			if (s[id] != 1 || f[id] != 1)
				fail_msg("%s: flow %zu has %d starts, %d ends",
				         traces[i].name, id, s[id], f[id]);
		assert_int_equal(starts, lk_viz_edges(t));
		total += starts;
		free(s);
		free(f);
		json_decref(root);
		lk_viz_free(t);
	}
	assert_true(total > 0);
}

/* Whether files a and b hold the same bytes. */
static void
assert_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = e2e_read_file(a, &la), *y = e2e_read_file(b, &lb);

	assert_non_null(x);
	assert_non_null(y);
	if (la != lb || memcmp(x, y, la) != 0)
		fail_msg("%s and %s differ", a, b);
	free(x);
	free(y);
}

/* The same trace, read twice, exports to the same bytes, twice. */
static void
test_export_stable(void **state)
{
	static const char *const exts[] = {"json", "log"};

	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t1 = must_read(traces[i].path);
		struct lk_viz_trace *t2 = must_read(traces[i].path);

		for (size_t k = 0; k < 2; k++) {
			char stem[160];
			char *a, *b;

			snprintf(stem, sizeof(stem), "%.128s-1",
			         traces[i].name);
			a = must_export(t1, stem, exts[k]);
			snprintf(stem, sizeof(stem), "%.128s-2",
			         traces[i].name);
			b = must_export(t2, stem, exts[k]);
			assert_same_file(a, b);
			free(a);
			free(b);
		}
		lk_viz_free(t1);
		lk_viz_free(t2);
	}
}

/* A ShiViz log, split into its events' line pairs. */
struct shiviz {
	char *text;
	size_t n;      /* events */
	long *step;    /* per event: from "step N: label" */
	char **host;   /* per event: the host name */
	json_t **vc;   /* per event: the clock */
	size_t *total; /* per process: events in the log */
};

/* Free what shiviz_read made. */
static void
shiviz_free(struct shiviz *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->vc[i]);
	free(l->text);
	free(l->step);
	free(l->host);
	free(l->vc);
	free(l->total);
}

/* Index of process name in t, or -1. */
static long
proc_index(const struct lk_viz_trace *t, const char *name)
{
	for (size_t p = 0; p < t->tr->nprocs; p++)
		if (strcmp(t->tr->procs[p].name, name) == 0)
			return (long)p;
	return -1;
}

/*
 * Read the ShiViz log of t at path, checking the line pairs with POSIX
 * regular expressions that say what ShiViz's parser expects: an event
 * line (never itself of the host line's shape), then "HOST {CLOCK}".
 */
static struct shiviz
shiviz_read(const struct lk_viz_trace *t, const char *path)
{
	struct shiviz l = {0};
	regex_t ev_re, host_re;
	regmatch_t m[3];
	size_t len = 0, cap = t->tr->nevents + 1;
	char *line, *save = NULL;
	json_error_t jerr;

	l.text = e2e_read_file(path, &len);
	assert_non_null(l.text);
	assert_true(len == 0 || l.text[len - 1] == '\n');
	assert_int_equal(regcomp(&ev_re, "^step ([0-9]+): .+$", REG_EXTENDED),
	                 0);
	assert_int_equal(
	        regcomp(&host_re, "^([^[:space:]]*) (\\{.*\\})$", REG_EXTENDED),
	        0);
	l.step = calloc(cap, sizeof(*l.step));
	l.host = calloc(cap, sizeof(*l.host));
	l.vc = calloc(cap, sizeof(*l.vc));
	l.total = calloc(t->tr->nprocs + 1, sizeof(*l.total));
	for (line = strtok_r(l.text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (l.n == t->tr->nevents)
			fail_msg("%s: more than %zu events", path,
			         t->tr->nevents);
		if (regexec(&ev_re, line, 2, m, 0) != 0 ||
		    regexec(&host_re, line, 3, m, 0) == 0)
			fail_msg("%s: not an event line: %s", path, line);
		l.step[l.n] = strtol(line + 5, NULL, 10);
		line = strtok_r(NULL, "\n", &save);
		if (line == NULL || regexec(&host_re, line, 3, m, 0) != 0)
			fail_msg("%s: step %ld: no host line after it", path,
			         l.step[l.n]);
		line[m[1].rm_eo] = '\0';
		l.host[l.n] = line;
		l.vc[l.n] = json_loads(line + m[2].rm_so, 0, &jerr);
		if (!json_is_object(l.vc[l.n]))
			fail_msg("%s: step %ld: bad clock", path, l.step[l.n]);
		l.n++;
	}
	regfree(&ev_re);
	regfree(&host_re);
	assert_int_equal(l.n, t->tr->nevents);
	return l;
}

/* Every trace: the log's line pairs, hosts, own counters 1, 2, 3, ...,
 * clock entries that name events of the log, the trace's own clocks. */
static void
test_export_shiviz_log(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		char *path = must_export(t, traces[i].name, "log");
		struct shiviz l = shiviz_read(t, path);
		size_t *own = calloc(t->tr->nprocs + 1, sizeof(*own));

		for (size_t k = 0; k < l.n; k++) {
			long p = proc_index(t, l.host[k]);

			assert_int_equal(l.step[k], t->tr->ev[k].step);
			assert_int_equal(p, (long)t->tr->ev[k].proc);
			l.total[p]++;
		}
		for (size_t k = 0; k < l.n; k++) {
			long p = proc_index(t, l.host[k]);
			const char *key;
			json_t *v;

			/* ShiViz: the first event is 1, then one more each. */
			assert_int_equal(num(l.vc[k], l.host[k]), ++own[p]);
			assert_int_equal(json_object_size(l.vc[k]),
			                 nonzero(t, &t->tr->ev[k]));
			json_object_foreach(l.vc[k], key, v)
			{
				long q = proc_index(t, key);

				assert_true(q >= 0);
				assert_true(json_integer_value(v) >= 1);
				assert_true((size_t)json_integer_value(v) <=
				            l.total[q]);
			}
			for (size_t q = 0; q < t->tr->nprocs; q++)
				if (t->tr->ev[k].vc[q] != 0)
					assert_int_equal(
					        num(l.vc[k],
					            t->tr->procs[q].name),
					        t->tr->ev[k].vc[q]);
		}
		free(own);
		shiviz_free(&l);
		free(path);
		lk_viz_free(t);
	}
}

/* Every happens-before edge: the target's clock dominates the source's
 * (a receive merges by element-wise max), post -> wait in particular. */
static void
test_export_shiviz_merge(void **state)
{
	size_t post_waits = 0;

	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		char *path = must_export(t, traces[i].name, "log");
		struct shiviz l = shiviz_read(t, path);

		for (size_t k = 0; k < t->nedges; k++) {
			const struct lk_hb_edge *ed = &t->edges[k];
			json_t *from = l.vc[ed->from], *to = l.vc[ed->to], *v;
			const char *key;

			json_object_foreach(from, key, v)
			{
				if (num(to, key) < json_integer_value(v))
					fail_msg("%s: %s edge step %ld -> %ld: "
					         "%s is %lld, then %lld",
					         traces[i].name,
					         lk__viz_edge_kinds[ed->kind]
					                 .name,
					         t->tr->ev[ed->from].step,
					         t->tr->ev[ed->to].step, key,
					         json_integer_value(v),
					         num(to, key));
			}
			post_waits += !strcmp(lk__viz_edge_kinds[ed->kind].name,
			                      "post-wait");
		}
		shiviz_free(&l);
		free(path);
		lk_viz_free(t);
	}
	assert_true(post_waits > 0);
}

/* The trace named name (it must have been made). */
static const struct trace *
trace_named(const char *name)
{
	for (size_t i = 0; i < ntraces; i++)
		if (strcmp(traces[i].name, name) == 0)
			return &traces[i];
	fail_msg("no trace %s", name);
	return NULL;
}

/* Whether the export root has a slice named name of category cat. */
static int
has_slice(json_t *root, const char *name, const char *cat)
{
	json_t *evs = json_object_get(root, "traceEvents"), *j;
	size_t i;

	json_array_foreach(evs, i, j)
	{
		if (!strcmp(str(j, "ph"), "X") &&
		    !strcmp(str(j, "name"), name) &&
		    !strcmp(str(j, "cat"), cat))
			return 1;
	}
	return 0;
}

/* The labels say what happened: the rendezvous, the program's fork,
 * exec and wait, and a deadlock's waits that never returned. */
static void
test_export_labels(void **state)
{
	static const struct {
		const char *trace, *slice, *cat, *log;
	} cases[] = {
	        {"rendezvous", "post a_arrived", "event",
	         "step 3: post a_arrived\nA {\"A\":4}\n"},
	        {"rendezvous", "wait b_arrived (blocks)", "event",
	         "step 4: wait b_arrived (blocks)\nA {\"A\":5}\n"},
	        {"rendezvous", "print \"A1\"", "event",
	         "step 2: print \"A1\"\nA {\"A\":3}\n"},
	        {"rendezvous", "blocked on b_arrived", "blocked",
	         "wait b_arrived\nA {\"A\":6,\"B\":4}\n"},
	        {"deadlock-order", "blocked on a_arrived", "blocked",
	         "wait a_arrived (blocks)\nB {"},
	        {"prog_sem_fork", "fork main.1", "event",
	         "fork main.1\nmain {"},
	        {"prog_sem_fork", "exec echo", "event", "exec echo\nmain.1 {"},
	        {"prog_sem_fork", "waitpid main.1", "event",
	         "waitpid main.1\nmain {"},
	        {"prog_sem_fork", "write stdout \"parent 1\\n\"", "event",
	         "start\nmain.1 {\"main\":3,\"main.1\":1}\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_viz_trace *t =
		        must_read(trace_named(cases[i].trace)->path);
		json_t *root = perfetto_of(t, "labels");
		char *log = must_export(t, "labels", "log");
		char *text = e2e_read_file(log, NULL);

		if (!has_slice(root, cases[i].slice, cases[i].cat))
			fail_msg("%s: no %s slice \"%s\"", cases[i].trace,
			         cases[i].cat, cases[i].slice);
		if (!strstr(text, cases[i].log))
			fail_msg("%s: no \"%s\" in the ShiViz log:\n%s",
			         cases[i].trace, cases[i].log, text);
		free(text);
		free(log);
		json_decref(root);
		lk_viz_free(t);
	}
}

/* Write text to dir/name; the path, malloc'd. */
static char *
write_file(const char *name, const char *text)
{
	char *path = e2e_write_file(dir, name, text);

	assert_non_null(path);
	return path;
}

/* Clocks and names ShiViz would refuse are refused, and no log is left. */
static void
test_export_shiviz_refuses(void **state)
{
	static const char jump[] =
	        "{\"lockstep_trace\":1,\"scenario\":\"x\",\"procs\":"
	        "[{\"name\":\"A\",\"parent\":null}]}\n"
	        "{\"step\":0,\"proc\":\"A\",\"op\":\"sem_post\",\"obj\":\"s\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":1},"
	        "\"vt\":0}\n"
	        "{\"step\":1,\"proc\":\"A\",\"op\":\"sem_post\",\"obj\":\"s\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":3},"
	        "\"vt\":0}\n";
	static const char space[] =
	        "{\"lockstep_trace\":1,\"scenario\":\"x\",\"procs\":"
	        "[{\"name\":\"A b\",\"parent\":null}]}\n"
	        "{\"step\":0,\"proc\":\"A b\",\"op\":\"exit\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A b\":1},"
	        "\"vt\":0}\n";
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
	        {"jump.jsonl", jump, "step 1: the clock of A says 3"},
	        {"space.jsonl", space, "process \"A b\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_file(cases[i].name, cases[i].text);
		char *out = e2e_path(dir, "refused.log");
		struct lk_viz_trace *t = must_read(path);
		struct lk_err err = {0};

		assert_int_equal(lk_export_shiviz(t, out, &err), -1);
		assert_int_equal(err.status, LK_EXIT_USAGE);
		if (!strstr(err.msg, path) || !strstr(err.msg, cases[i].want) ||
		    !strstr(err.msg, "ShiViz"))
			fail_msg("got \"%s\", want %s", err.msg, cases[i].want);
		assert_int_equal(access(out, F_OK), -1);
		/* Perfetto has no such rules. */
		free(must_export(t, "refused", "json"));
		lk_viz_free(t);
		free(out);
		free(path);
	}
}

/* A missing trace and an unwritable output fail, naming the file. */
static void
test_export_bad_input(void **state)
{
	char *missing = e2e_path(dir, "no-such-trace.jsonl");
	char *bad = e2e_path(dir, "no/such/dir/out");
	struct lk_viz_trace *t = NULL;
	struct lk_err err = {0};

	(void)state;
	assert_int_equal(lk_viz_read(missing, &t, &err), -1);
	assert_null(t);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_non_null(strstr(err.msg, missing));
	t = must_read(traces[0].path);
	assert_int_equal(lk_export_perfetto(t, bad, &err), -1);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "cannot write"));
	assert_non_null(strstr(err.msg, bad));
	memset(&err, 0, sizeof(err));
	assert_int_equal(lk_export_shiviz(t, bad, &err), -1);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_non_null(strstr(err.msg, bad));
	lk_viz_free(t);
	free(missing);
	free(bad);
}

/* What `lockstep export` printed and returned. */
struct cli {
	int status;
	char *out, *err;
};

/* Run lk_cmd_export with args (NULL-terminated, after "export") in a
 * child process, as `lockstep export ...` would. */
static struct cli
cli_run(const char *const args[])
{
	char *argv[16] = {(char *)"export"};
	char *out = e2e_path(dir, "cli.out"), *err = e2e_path(dir, "cli.err");
	struct cli c = {-1, NULL, NULL};
	int argc = 1, status;
	pid_t pid;

	while (args[argc - 1] != NULL && argc < 15) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
			_exit(127);
		exit(lk_cmd_export(argc, argv));
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	c.out = e2e_read_file(out, NULL);
	c.err = e2e_read_file(err, NULL);
	assert_non_null(c.out);
	assert_non_null(c.err);
	free(out);
	free(err);
	return c;
}

/* Run `lockstep export` with args; it must exit with status and print
 * want (on stderr if status, else on stdout; NULL: nothing to check). */
static void
cli_expect(const char *const args[], int status, const char *want)
{
	struct cli c = cli_run(args);
	const char *text = status ? c.err : c.out;

	if (c.status != status || (want && !strstr(text, want)))
		fail_msg("lockstep export %s ...: status %d, want %d; "
		         "stdout:\n%s\nstderr:\n%s\nwant \"%s\"",
		         args[0] ? args[0] : "", c.status, status, c.out, c.err,
		         want ? want : "");
	free(c.out);
	free(c.err);
}

/* `lockstep export`: both outputs as the C API writes them; help; bad
 * usage, a missing trace and an unwritable output exit 2, named. */
static void
test_export_cli(void **state)
{
	const char *tr = traces[0].path;
	struct lk_viz_trace *t = must_read(tr);
	char *pj = e2e_path(dir, "cli.json"), *sl = e2e_path(dir, "cli.log");
	char *missing = e2e_path(dir, "missing.jsonl");
	char *bad = e2e_path(dir, "no/such/dir/x.json");
	char *want = malloc(strlen(missing) + 64);
	char *api;

	(void)state;
	cli_expect((const char *const[]){tr, "--perfetto", pj, "--shiviz", sl,
	                                 NULL},
	           0, NULL);
	api = must_export(t, "api", "json");
	assert_same_file(pj, api);
	free(api);
	api = must_export(t, "api", "log");
	assert_same_file(sl, api);
	free(api);
	cli_expect((const char *const[]){"-h", NULL}, 0,
	           "usage: lockstep export");
	cli_expect((const char *const[]){"--help", NULL}, 0,
	           LK_EXPORT_SHIVIZ_REGEX);
	sprintf(want, "lockstep: %s: no such file\n", missing);
	cli_expect((const char *const[]){missing, "--perfetto", pj, NULL}, 2,
	           want);
	cli_expect((const char *const[]){tr, NULL}, 2,
	           "lockstep: export: expected a trace");
	cli_expect((const char *const[]){NULL}, 2, "expected a trace");
	cli_expect((const char *const[]){tr, tr, "--shiviz", sl, NULL}, 2,
	           "expected a trace");
	cli_expect((const char *const[]){tr, "--perfetto", NULL}, 2,
	           "option '--perfetto' needs a value");
	cli_expect((const char *const[]){tr, "--svg", "x", NULL}, 2,
	           "unrecognized option '--svg'");
	cli_expect((const char *const[]){tr, "-x", NULL}, 2,
	           "invalid option -- 'x'");
	cli_expect((const char *const[]){tr, "--perfetto", pj, "--shiviz", pj,
	                                 NULL},
	           2, "both name");
	cli_expect((const char *const[]){tr, "--shiviz", tr, NULL}, 2,
	           "would be overwritten");
	/* Checked before the trace is read: the directory is not there. */
	cli_expect((const char *const[]){tr, "--perfetto", bad, NULL}, 2,
	           "/no/such/dir/x.json: no directory ");
	free(want);
	free(pj);
	free(sl);
	free(missing);
	free(bad);
	lk_viz_free(t);
}

/* Write a crafted trace of n events to dir/name: A and B each post and
 * wait on one semaphore, their clocks never joined; its path. */
static char *
crafted_trace(const char *name, size_t n)
{
	char *path = e2e_path(dir, name);
	FILE *f = fopen(path, "w");
	unsigned long own[2] = {0, 0};

	assert_non_null(f);
	fputs("{\"lockstep_trace\":1,\"scenario\":\"selfsem\",\"file\":"
	      "\"x.xml\",\"strategy\":\"default\",\"seed\":0,\"procs\":[{"
	      "\"name\":\"A\",\"parent\":null},{\"name\":\"B\",\"parent\":"
	      "null}],\"objects\":[{\"name\":\"s\",\"type\":\"sem_unnamed\"}"
	      "],\"verdict\":\"done\",\"culprit\":null,\"vt_end\":0,"
	      "\"blocked\":{},\"cycle\":[]}\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		int p = i % 4 < 2 ? 0 : 1;

		fprintf(f,
		        "{\"step\":%zu,\"proc\":\"%s\",\"op\":\"%s\",\"obj\":"
		        "\"s\",\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":"
		        "{\"%s\":%lu},\"vt\":0}\n",
		        i, p ? "B" : "A", i % 2 ? "sem_wait" : "sem_post",
		        p ? "B" : "A", ++own[p]);
	}
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Asked to stop (SIGINT), reading and exporting a long trace give up
 * with the signal's exit status (128 + 2) and "interrupted", and leave no
 * half-written file; once the request is forgotten, they complete. The
 * arrows are the trace part's model's, not the crafted clocks': each
 * wait but the first comes from the other process's latest post. */
static void
test_export_stop(void **state)
{
	char *in = crafted_trace("stop.jsonl", 5 * LK_STOP_EVERY);
	char *json = e2e_path(dir, "stop.json"),
	     *log = e2e_path(dir, "stop.log");
	struct lk_viz_trace *t = must_read(in), *t2 = NULL;
	struct lk_err err = {0};
	struct stat st;

	(void)state;
	assert_int_equal(t->nedges, 5 * LK_STOP_EVERY / 2 - 1);
	lk_stop_request(SIGINT);
	assert_int_not_equal(lk_export_perfetto(t, json, &err), 0);
	assert_int_equal(err.status, 130);
	assert_non_null(strstr(err.msg, "interrupted"));
	assert_int_not_equal(stat(json, &st), 0);
	memset(&err, 0, sizeof(err));
	assert_int_not_equal(lk_export_shiviz(t, log, &err), 0);
	assert_int_equal(err.status, 130);
	assert_int_not_equal(stat(log, &st), 0);
	memset(&err, 0, sizeof(err));
	assert_int_not_equal(lk_viz_read(in, &t2, &err), 0);
	assert_int_equal(err.status, 130);
	assert_non_null(strstr(err.msg, "interrupted"));
	lk_stop_clear();
	free(must_export(t, "stop", "json"));
	assert_int_equal(stat(json, &st), 0);
	lk_viz_free(t);
	free(in);
	free(json);
	free(log);
}

/* Run the tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_export_perfetto_slices),
	        cmocka_unit_test(test_export_perfetto_flows),
	        cmocka_unit_test(test_export_stable),
	        cmocka_unit_test(test_export_shiviz_log),
	        cmocka_unit_test(test_export_shiviz_merge),
	        cmocka_unit_test(test_export_labels),
	        cmocka_unit_test(test_export_shiviz_refuses),
	        cmocka_unit_test(test_export_bad_input),
	        cmocka_unit_test(test_export_cli),
	        cmocka_unit_test(test_export_stop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
