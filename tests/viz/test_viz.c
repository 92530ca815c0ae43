/*
 * viz on real traces: run the real lockstep on every shipped scenario,
 * draw each trace as SVG, PNG, PDF and DOT, and check the pictures: the
 * SVG parses and holds one lifeline per process and one arrow per
 * happens-before edge (counted here again from the JSON), the output is
 * stable, a deadlock is spelled out, and bad traces fail by line number.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "trace/trace.h"
#include "viz/viz.h"

/* One trace made by the real lockstep. */
struct trace {
	char name[128];  /* scenario (and seed) */
	char path[1024]; /* the .jsonl file */
};

/* What the group setup made: a directory and the traces in it. */
static char dir[] = "/tmp/lk-viz-XXXXXX";
static struct trace traces[64];
static size_t ntraces;

/* What the SVG holds that the tests count. */
struct svg {
	int lifelines;  /* <g id="lifeline:..."> */
	int arrows;     /* <g class="... hb ..."> */
	int deadlocked; /* any element of class "deadlock" */
	int procs_dead; /* <g class="node proc deadlock"> */
	char *text;     /* every <text>, one a line */
	size_t len;
};

/*
 * Graphviz's font and plugin caches stay allocated until exit, by
 * design; LeakSanitizer should not count them (LK_SANITIZE builds).
 */
const char *__lsan_default_suppressions(void);

/* Leaks LeakSanitizer ignores: libraries' caches, not ours. */
__attribute__((visibility("default"))) const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig\nleak:libgvc\nleak:libpango\n"
	       "leak:libcairo\nleak:libglib\nleak:libgobject\n"
	       "leak:libharfbuzz\nleak:libfreetype\n";
}

/* Run argv (NULL-terminated) quietly from LK_SOURCE_DIR; its status. */
static int
run(char *const argv[])
{
	pid_t pid = fork();
	int status, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || chdir(LK_SOURCE_DIR) != 0)
			_exit(127);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Compare two strings for qsort. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Make a trace of scenario file (in scenarios/) with seed into traces. */
static int
make_trace(const char *file, const char *seed)
{
	struct trace *t = &traces[ntraces];
	char scen[1024];
	struct stat st;
	int n = (int)(strchr(file, '.') - file);
	char name[128];

	snprintf(name, sizeof(name), "%.*s%s%s", n, file, seed ? "-seed" : "",
	         seed ? seed : "");
	memcpy(t->name, name, sizeof(name));
	snprintf(t->path, sizeof(t->path), "%s/%s.jsonl", dir, name);
	snprintf(scen, sizeof(scen), "%s/scenarios/%s", LK_SOURCE_DIR, file);
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                scen,
	                (char *)"--trace",
	                t->path,
	                seed ? (char *)"--seed" : NULL,
	                (char *)seed,
	                NULL};
	/* Any outcome will do (deadlock-order exits 3): a trace is wanted. */
	if (run(argv) < 0 || stat(t->path, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "no trace from lockstep run %s\n", scen);
		return -1;
	}
	ntraces++;
	return 0;
}

/* Run lockstep on every shipped scenario, in name order. */
static int
setup(void **state)
{
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	(void)state;
	if (mkdtemp(dir) == NULL ||
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
		rc |= make_trace(names[i], NULL);
		if (strcmp(names[i], "unsync-writers.xml") == 0)
			rc |= make_trace(names[i], "3");
		free(names[i]);
	}
	return n == 0 ? -1 : rc;
}

/* Remove the directory and all in it (files, and the directories the
 * tests emptied). */
static int
teardown(void **state)
{
	struct dirent *de;
	char path[1280];
	DIR *d = opendir(dir);

	(void)state;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) != 0) /* a directory a test emptied */
			rmdir(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
	return 0;
}

/* The file at path, whole, NUL-terminated; *len its size. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

/* Write text to dir/name; return the path (static). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[1280];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
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

/* Render t to dir/stem.ext with opts, which must succeed; the path. */
static const char *
must_render(const struct lk_viz_trace *t, const struct lk_viz_opts *o,
            const char *stem, const char *ext)
{
	static char path[1280];
	struct lk_err err = {0};

	snprintf(path, sizeof(path), "%s/%s.%s", dir, stem, ext);
	if (lk_viz_render(t, o, path, &err) != 0)
		fail_msg("lk_viz_render %s: %s", path, err.msg);
	return path;
}

/* Whether the space-separated list cls holds word. */
static int
has_class(const char *cls, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cls; p && (p = strstr(p, word)) != NULL; p += n)
		if ((p == cls || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return 1;
	return 0;
}

/* Count what the tests look for in the element tree under node. */
static void
svg_walk(xmlNode *node, struct svg *s)
{
	for (xmlNode *n = node; n != NULL; n = n->next) {
		xmlChar *id, *cls, *txt;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		id = xmlGetProp(n, BAD_CAST "id");
		cls = xmlGetProp(n, BAD_CAST "class");
		if (xmlStrcmp(n->name, BAD_CAST "g") == 0) {
			s->lifelines +=
			        id && !xmlStrncmp(id, BAD_CAST "lifeline:", 9);
			s->arrows += cls && has_class((char *)cls, "hb");
			s->procs_dead += cls &&
			                 has_class((char *)cls, "proc") &&
			                 has_class((char *)cls, "deadlock");
		}
		s->deadlocked |= cls && has_class((char *)cls, "deadlock");
		if (xmlStrcmp(n->name, BAD_CAST "text") == 0 &&
		    (txt = xmlNodeGetContent(n)) != NULL) {
			size_t k = strlen((char *)txt);

			s->text = realloc(s->text, s->len + k + 2);
			memcpy(s->text + s->len, txt, k);
			s->len += k;
			s->text[s->len++] = '\n';
			s->text[s->len] = '\0';
			xmlFree(txt);
		}
		xmlFree(id);
		xmlFree(cls);
		svg_walk(n->children, s);
	}
}

/* Parse the SVG at path with libxml2 (it must parse) and count. */
static struct svg
svg_read(const char *path)
{
	struct svg s = {0};
	xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);

	if (doc == NULL)
		fail_msg("%s does not parse as XML", path);
	assert_string_equal((const char *)xmlDocGetRootElement(doc)->name,
	                    "svg");
	svg_walk(xmlDocGetRootElement(doc), &s);
	xmlFreeDoc(doc);
	if (s.text == NULL)
		s.text = strdup("");
	return s;
}

/* A name of the set in o (an object used as a set): present or not. */
static int
in_set(json_t *o, const char *name)
{
	return o != NULL && json_object_get(o, name) != NULL;
}

/*
 * The happens-before edges of the trace at path, counted from the JSON
 * alone: successful waits with a post on their object by another process
 * before them, plus children whose fork came before their start.
 */
static size_t
json_edges(const char *path, size_t *nprocs)
{
	json_error_t jerr;
	json_t *posters = json_object(), *forked = json_object(), *j;
	char line[1 << 16];
	size_t n = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *op, *proc, *obj;

		j = json_loads(line, 0, &jerr);
		assert_non_null(j);
		if (lineno++ == 0) {
			*nprocs = json_array_size(json_object_get(j, "procs"));
			json_decref(j);
			continue;
		}
		op = json_string_value(json_object_get(j, "op"));
		proc = json_string_value(json_object_get(j, "proc"));
		obj = json_string_value(json_object_get(j, "obj"));
		if (obj && !strcmp(op, "sem_post") &&
		    json_integer_value(json_object_get(j, "ret")) == 0) {
			if (json_object_get(posters, obj) == NULL)
				json_object_set_new(posters, obj,
				                    json_object());
			json_object_set_new(json_object_get(posters, obj), proc,
			                    json_true());
		}
		if (obj && !strncmp(op, "sem_", 4) && strstr(op, "wait") &&
		    json_is_false(json_object_get(j, "blocked")) &&
		    json_integer_value(json_object_get(j, "ret")) == 0) {
			json_t *set = json_object_get(posters, obj);
			size_t others = json_object_size(set) -
			                (in_set(set, proc) ? 1 : 0);

			n += set != NULL && others > 0;
		}
		if (!strcmp(op, "fork"))
			json_object_set_new(
			        forked,
			        json_string_value(json_object_get(
			                json_object_get(j, "args"), "child")),
			        json_true());
		if (!strcmp(op, "start") && in_set(forked, proc))
			n++;
		json_decref(j);
	}
	fclose(f);
	json_decref(posters);
	json_decref(forked);
	return n;
}

/* The edges of kind in t. */
static size_t
count_kind(const struct lk_viz_trace *t, unsigned kind)
{
	size_t n = 0;

	for (size_t k = 0; k < t->nedges; k++)
		n += t->edges[k].kind == kind;
	return n;
}

/* How many edges of kind t has into an event of operation op. */
static size_t
count_into(const struct lk_viz_trace *t, unsigned kind, int op)
{
	size_t n = 0;

	for (size_t k = 0; k < t->nedges; k++)
		n += t->edges[k].kind == kind &&
		     t->tr->ev[t->edges[k].to].op == op;
	return n;
}

/* Whether the file at path starts with magic and is bigger than min. */
static void
assert_file(const char *path, const char *magic, size_t min)
{
	size_t len = 0;
	char *p = slurp(path, &len);

	assert_non_null(p);
	if (len <= min || memcmp(p, magic, strlen(magic)) != 0)
		fail_msg("%s: %zu bytes, want > %zu starting %s", path, len,
		         min, magic);
	free(p);
}

/* Every shipped scenario's trace renders to svg, png, pdf and dot. */
static void
test_viz_render_all_formats(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		struct svg s;

		s = svg_read(must_render(t, NULL, traces[i].name, "svg"));
		assert_true(s.len > 0);
		free(s.text);
		assert_file(must_render(t, NULL, traces[i].name, "png"),
		            "\x89PNG\r\n\x1a\n", 2048);
		assert_file(must_render(t, NULL, traces[i].name, "pdf"), "%PDF",
		            1024);
		assert_file(must_render(t, NULL, traces[i].name, "dot"),
		            "digraph", 100);
		lk_viz_free(t);
	}
}

/* The SVG holds one lifeline per process, one arrow per HB edge. */
static void
test_viz_svg_counts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);
		size_t nprocs = 0, edges = json_edges(traces[i].path, &nprocs);
		struct svg s =
		        svg_read(must_render(t, NULL, traces[i].name, "svg"));

		size_t known = count_kind(t, LK_HB_POST_WAIT) -
		               count_into(t, LK_HB_POST_WAIT, LK_OP_SEMOP) +
		               count_kind(t, LK_HB_FORK_START);

		/* The JSON count knows sem_post -> wait and fork -> start
		 * (semop arrows: test_viz_semop_arrows). */
		if ((size_t)s.lifelines != nprocs ||
		    (size_t)s.arrows != lk_viz_edges(t) || known != edges)
			fail_msg("%s: %d lifelines for %zu processes, %d arrows"
			         " and %zu edges for %zu in the JSON",
			         traces[i].name, s.lifelines, nprocs, s.arrows,
			         lk_viz_edges(t), edges);
		free(s.text);
		lk_viz_free(t);
	}
}

/* The rendezvous has its two post -> wait arrows. */
static void
test_viz_rendezvous_arrows(void **state)
{
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		if (strcmp(traces[i].name, "rendezvous") != 0)
			continue;
		t = must_read(traces[i].path);
		assert_int_equal(lk_viz_edges(t), 2);
		s = svg_read(must_render(t, NULL, "rv-arrows", "svg"));
		assert_int_equal(s.arrows, 2);
		assert_non_null(strstr(s.text, "post a_arrived"));
		assert_non_null(strstr(s.text, "wait b_arrived"));
		assert_non_null(strstr(s.text, "\"A1\""));
		free(s.text);
		lk_viz_free(t);
		return;
	}
	fail_msg("no rendezvous trace");
}

/* The same trace renders to the same bytes, twice, in svg and dot. */
static void
test_viz_stable_output(void **state)
{
	static const char *const exts[] = {"svg", "dot"};

	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_viz_trace *t = must_read(traces[i].path);

		for (size_t k = 0; k < 2; k++) {
			char stem[160];
			size_t l1 = 0, l2 = 0;
			char *a, *b;

			snprintf(stem, sizeof(stem), "%s-1", traces[i].name);
			a = slurp(must_render(t, NULL, stem, exts[k]), &l1);
			snprintf(stem, sizeof(stem), "%s-2", traces[i].name);
			b = slurp(must_render(t, NULL, stem, exts[k]), &l2);
			assert_non_null(a);
			assert_non_null(b);
			assert_int_equal(l1, l2);
			assert_memory_equal(a, b, l1);
			free(a);
			free(b);
		}
		lk_viz_free(t);
	}
}

/* deadlock-order says the cycle in words and highlights its processes. */
static void
test_viz_deadlock_caption(void **state)
{
	const char *path = NULL;
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	for (size_t i = 0; i < ntraces; i++)
		if (strcmp(traces[i].name, "deadlock-order") == 0)
			path = traces[i].path;
	assert_non_null(path);
	t = must_read(path);
	s = svg_read(must_render(t, NULL, "deadlock-caption", "svg"));
	if (!strstr(s.text, "deadlock: A waits for B to post b_arrived\n") ||
	    !strstr(s.text, "\nB waits for A to post a_arrived\n") ||
	    strstr(s.text, "held back") ||
	    !strstr(s.text, "wait-for cycle: A \xe2\x86\x92 B \xe2\x86\x92 A"))
		fail_msg("caption missing from:\n%s", s.text);
	assert_non_null(strstr(s.text, "outcome: deadlock"));
	assert_int_equal(s.procs_dead, 2);
	assert_true(s.deadlocked);
	free(s.text);
	lk_viz_free(t);
}

/* Bad traces fail with the file, the line and what is wrong. */
static void
test_viz_bad_traces(void **state)
{
	static const char header[] =
	        "{\"lockstep_trace\":1,\"scenario\":\"x\",\"procs\":"
	        "[{\"name\":\"A\",\"parent\":null}]}\n";
	static const char event[] =
	        "{\"step\":0,\"proc\":\"A\",\"op\":\"sem_post\",\"obj\":\"s\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":1},"
	        "\"vt\":0}\n";
	static const char no_proc[] =
	        "{\"step\":1,\"op\":\"sem_post\",\"obj\":\"s\",\"ret\":0,"
	        "\"errno\":0,\"blocked\":false,\"vc\":{\"A\":2},\"vt\":0}\n";
	static const struct {
		const char *name, *want[2];
		int parts;
	} cases[] = {
	        {"not-json", {":2:", "bad JSON"}, 1},
	        {"no-proc", {":3:", "\"proc\""}, 2},
	        {"no-header", {":1:", "header is missing"}, 3},
	        {"empty", {":1:", "empty"}, 4},
	        {"long-line", {":2:", "1 MiB"}, 5},
	        {"unknown-proc", {":2:", "unknown process"}, 6},
	        {"newer-format", {":1:", "format 2"}, 7},
	};
	char text[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lk_viz_trace *t = NULL;
		struct lk_err err = {0};
		char *big = NULL;
		const char *path;

		switch (cases[i].parts) {
		case 1:
			snprintf(text, sizeof(text), "%s%s", header,
			         "{\"step\":0,\"proc\":\n");
			break;
		case 2:
			snprintf(text, sizeof(text), "%s%s%s", header, event,
			         no_proc);
			break;
		case 3:
			snprintf(text, sizeof(text), "%s", event);
			break;
		case 4:
			text[0] = '\0';
			break;
		case 6:
			snprintf(text, sizeof(text), "%s%s", header,
			         "{\"step\":0,\"proc\":\"Z\",\"op\":\"exit\","
			         "\"obj\":null,\"ret\":0,\"errno\":0,"
			         "\"blocked\":false,\"vc\":{},\"vt\":0}\n");
			break;
		case 7:
			snprintf(text, sizeof(text),
			         "{\"lockstep_trace\":2,\"scenario\":\"x\"}\n");
			break;
		}
		if (cases[i].parts == 5) {
			size_t n = LK_VIZ_MAX_LINE + 16;

			big = malloc(sizeof(header) + n + 8);
			assert_non_null(big);
			strcpy(big, header);
			memset(big + strlen(header), ' ', n);
			strcpy(big + strlen(header) + n, "{}\n");
		}
		path = write_file(cases[i].name, big ? big : text);
		free(big);
		assert_int_equal(lk_viz_read(path, &t, &err), -1);
		assert_null(t);
		assert_int_equal(err.status, LK_EXIT_USAGE);
		if (!strstr(err.msg, path) ||
		    !strstr(err.msg, cases[i].want[0]) ||
		    !strstr(err.msg, cases[i].want[1]))
			fail_msg("%s: got \"%s\", want %s and %s",
			         cases[i].name, err.msg, cases[i].want[0],
			         cases[i].want[1]);
	}
}

/* Unknown operations draw as their name; fork -> start is an arrow. */
static void
test_viz_unknown_ops_and_fork(void **state)
{
	static const char text[] =
	        "{\"lockstep_trace\":1,\"scenario\":\"future\",\"procs\":["
	        "{\"name\":\"P\",\"parent\":null},{\"name\":\"P.1\","
	        "\"parent\":\"P\"}],\"objects\":[],\"verdict\":\"done\","
	        "\"culprit\":null,\"blocked\":{},\"cycle\":[]}\n"
	        "{\"step\":0,\"proc\":\"P\",\"op\":\"pipe\",\"obj\":\"p0\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"P\":1},"
	        "\"vt\":0,\"src\":3,\"act\":\"pipe\",\"args\":{\"fds\":[3,4]}}"
	        "\n"
	        "{\"step\":1,\"proc\":\"P\",\"op\":\"fork\",\"obj\":null,"
	        "\"ret\":1,\"errno\":0,\"blocked\":false,\"vc\":{\"P\":2},"
	        "\"vt\":0,\"args\":{\"child\":\"P.1\"}}\n"
	        "{\"step\":2,\"proc\":\"P.1\",\"op\":\"start\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"P\":2,"
	        "\"P.1\":1},\"vt\":0,\"args\":{\"parent\":\"P\"}}\n"
	        "{\"step\":3,\"proc\":\"P.1\",\"op\":\"kill\",\"obj\":null,"
	        "\"ret\":-1,\"errno\":3,\"blocked\":false,\"vc\":{\"P\":2,"
	        "\"P.1\":2},\"vt\":0,\"args\":{}}\n"
	        "{\"step\":4,\"proc\":\"P\",\"op\":\"exit\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"P\":3},"
	        "\"vt\":0,\"args\":{\"status\":0}}\n";
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	t = must_read(write_file("future.jsonl", text));
	s = svg_read(must_render(t, NULL, "future", "svg"));
	assert_int_equal(lk_viz_edges(t), 1);
	assert_int_equal(s.arrows, 1);
	assert_int_equal(s.lifelines, 2);
	assert_non_null(strstr(s.text, "pipe p0"));
	/* No "signal" in its args: the payload's 0. */
	assert_non_null(strstr(s.text, "kill SIG0: failed (ESRCH)"));
	assert_non_null(strstr(s.text, "fork P.1"));
	free(s.text);
	lk_viz_free(t);
}

/* Traces no run writes, which tests/fuzz/fuzz_trace.c's sanitizers
 * caught: a process that forks or reaps itself gets no arrow to itself,
 * and lock ranges and pipe writes near LLONG_MAX do not overflow. The
 * same bytes read from memory give the same trace. */
static void
test_viz_hostile_traces(void **state)
{
	static const char header[] =
	        "{\"lockstep_trace\":1,\"scenario\":\"x\",\"procs\":["
	        "{\"name\":\"A\",\"parent\":null},{\"name\":\"B\","
	        "\"parent\":\"A\"}],\"objects\":[{\"name\":\"f\","
	        "\"type\":\"file\"},{\"name\":\"p\",\"type\":\"pipe\"}]}\n";
	static const char self[] =
	        "{\"step\":0,\"proc\":\"A\",\"op\":\"fork\",\"obj\":null,"
	        "\"ret\":1,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":1},"
	        "\"vt\":0,\"args\":{\"child\":\"A\"}}\n"
	        "{\"step\":1,\"proc\":\"A\",\"op\":\"start\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":2},"
	        "\"vt\":0}\n"
	        "{\"step\":2,\"proc\":\"A\",\"op\":\"exit\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":3},"
	        "\"vt\":0}\n"
	        "{\"step\":3,\"proc\":\"A\",\"op\":\"waitpid\",\"obj\":null,"
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":4},"
	        "\"vt\":0,\"args\":{\"child\":0}}\n";
	static const char big[] =
	        "{\"step\":0,\"proc\":\"A\",\"op\":\"fcntl\",\"obj\":\"f\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":1},"
	        "\"vt\":0,\"args\":{\"lock\":\"write\","
	        "\"start\":9223372036854775807,\"len\":100}}\n"
	        "{\"step\":1,\"proc\":\"A\",\"op\":\"fcntl\",\"obj\":\"f\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":2},"
	        "\"vt\":0,\"args\":{\"lock\":\"unlock\","
	        "\"start\":-9223372036854775807,\"len\":-100}}\n"
	        "{\"step\":2,\"proc\":\"B\",\"op\":\"fcntl\",\"obj\":\"f\","
	        "\"ret\":0,\"errno\":0,\"blocked\":false,\"vc\":{\"A\":2,"
	        "\"B\":1},\"vt\":0,\"args\":{\"lock\":\"write\",\"start\":0,"
	        "\"len\":0}}\n"
	        "{\"step\":3,\"proc\":\"A\",\"op\":\"write\",\"obj\":\"p\","
	        "\"ret\":9223372036854775807,\"errno\":0,\"blocked\":true,"
	        "\"vc\":{\"A\":3},\"vt\":0,\"args\":{\"fd\":4}}\n"
	        "{\"step\":4,\"proc\":\"A\",\"op\":\"write\",\"obj\":\"p\","
	        "\"ret\":9223372036854775807,\"errno\":0,\"blocked\":true,"
	        "\"vc\":{\"A\":4},\"vt\":0,\"args\":{\"fd\":4}}\n"
	        "{\"step\":5,\"proc\":\"A\",\"op\":\"write\",\"obj\":\"p\","
	        "\"ret\":-9223372036854775807,\"errno\":0,\"blocked\":false,"
	        "\"vc\":{\"A\":5},\"vt\":0,\"args\":{\"fd\":4}}\n";
	char text[4096];
	struct lk_viz_trace *t, *m = NULL;
	struct lk_err err = {0};

	(void)state;
	snprintf(text, sizeof(text), "%s%s", header, self);
	t = must_read(write_file("self.jsonl", text));
	assert_int_equal(t->tr->nevents, 4);
	assert_int_equal(lk_viz_edges(t), 0);
	lk_viz_free(t);
	snprintf(text, sizeof(text), "%s%s", header, big);
	t = must_read(write_file("big.jsonl", text));
	assert_int_equal(t->tr->nevents, 6);
	/* The unlock's range ends before the later lock's bytes start. */
	assert_int_equal(lk_viz_edges(t), 0);
	assert_int_equal(
	        lk_viz_read_mem(text, strlen(text), "mem.jsonl", &m, &err), 0);
	assert_int_equal(m->tr->nevents, t->tr->nevents);
	assert_string_equal(m->path, "mem.jsonl");
	lk_viz_free(m);
	lk_viz_free(t);
	assert_int_equal(lk_viz_read_mem("", 0, "mem.jsonl", &m, &err), -1);
	assert_null(m);
	assert_non_null(strstr(err.msg, "mem.jsonl:1: empty file"));
}

/* An unknown extension fails and says which formats there are. */
static void
test_viz_unknown_format(void **state)
{
	struct lk_viz_trace *t;
	struct lk_err err = {0};
	char path[1280];

	(void)state;
	t = must_read(traces[0].path);
	snprintf(path, sizeof(path), "%s/x.jpg", dir);
	assert_int_equal(lk_viz_render(t, NULL, path, &err), -1);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "cannot render"));
	assert_non_null(strstr(err.msg, "formats available here: svg, png, "
	                                "pdf, dot"));
	snprintf(path, sizeof(path), "%s/no/such/dir.svg", dir);
	assert_int_equal(lk_viz_render(t, NULL, path, &err), -1);
	assert_non_null(strstr(err.msg, "cannot write"));
	lk_viz_free(t);
}

/* A step window draws fewer events; dot lays out too; options work. */
static void
test_viz_options(void **state)
{
	struct lk_viz_opts o = {.title = "Mutual exclusion", .dpi = 72};
	struct lk_viz_trace *t = NULL;
	struct svg s;

	(void)state;
	for (size_t i = 0; i < ntraces; i++)
		if (strcmp(traces[i].name, "mutex-writers") == 0)
			t = must_read(traces[i].path);
	assert_non_null(t);
	o.from = 20;
	o.to = 50;
	s = svg_read(must_render(t, &o, "window", "svg"));
	assert_non_null(strstr(s.text, "Mutual exclusion"));
	assert_non_null(strstr(s.text, "steps 20 to 50"));
	assert_true(s.arrows >= 1 && (size_t)s.arrows < lk_viz_edges(t));
	free(s.text);
	assert_file(must_render(t, &o, "window", "png"), "\x89PNG", 2048);
	o.from = o.to = 0;
	o.engine = "dot";
	s = svg_read(must_render(t, &o, "dot-engine", "svg"));
	assert_int_equal((size_t)s.arrows, lk_viz_edges(t));
	free(s.text);
	lk_viz_free(t);
}

/* Run the tests. */
/* Themes: dark paints a dark paper, print uses no colour at all (the
 * Tol colours are gone), and each gives different bytes. */
static void
test_viz_themes(void **state)
{
	struct lk_viz_trace *t = NULL;
	struct lk_viz_opts o = {0};
	const char *p;
	char *light, *dark, *print;
	size_t a, b, c;

	(void)state;
	for (size_t i = 0; i < ntraces && t == NULL; i++)
		if (strcmp(traces[i].name, "rendezvous") == 0)
			t = must_read(traces[i].path);
	assert_non_null(t);
	light = slurp(must_render(t, &o, "theme-light", "svg"), &a);
	o.theme = LK_VIZ_DARK;
	dark = slurp(must_render(t, &o, "theme-dark", "svg"), &b);
	o.theme = LK_VIZ_PRINT;
	print = slurp(must_render(t, &o, "theme-print", "svg"), &c);
	assert_non_null(strcasestr(light, "#4477aa"));
	assert_non_null(strcasestr(dark, "#1e1e1e"));
	assert_null(strcasestr(print, "#4477aa"));
	assert_null(strcasestr(print, "#ee6677"));
	assert_null(strcasestr(print, "#228833"));
	assert_true(a != b || memcmp(light, dark, a) != 0);
	o.theme = 7;
	{
		struct lk_err err = {0};

		assert_int_equal(lk_viz_render(t, &o, "/tmp/x.svg", &err), -1);
		assert_non_null(strstr(err.msg, "light, dark or print"));
	}
	o.theme = LK_VIZ_LIGHT;
	o.size = "16,9";
	p = must_render(t, &o, "slide", "svg");
	assert_non_null(p);
	free(light);
	free(dark);
	free(print);
	lk_viz_free(t);
}

/* --time-axis: mutex-writers' rows carry the virtual seconds. */
static void
test_viz_time_axis(void **state)
{
	struct lk_viz_trace *t = NULL;
	struct lk_viz_opts o = {0};
	char *svg;
	size_t len;

	(void)state;
	for (size_t i = 0; i < ntraces && t == NULL; i++)
		if (strcmp(traces[i].name, "mutex-writers") == 0)
			t = must_read(traces[i].path);
	assert_non_null(t);
	svg = slurp(must_render(t, &o, "no-axis", "svg"), &len);
	assert_null(strstr(svg, "t = 1 s"));
	free(svg);
	o.time_axis = 1;
	svg = slurp(must_render(t, &o, "axis", "svg"), &len);
	assert_non_null(strstr(svg, "t = 0 s"));
	assert_non_null(strstr(svg, "t = 25 s"));
	free(svg);
	/* In a window nothing is folded: every second is there. */
	o.to = 40;
	svg = slurp(must_render(t, &o, "axis-window", "svg"), &len);
	for (int k = 0; k <= 9; k++) {
		char want[16];

		snprintf(want, sizeof(want), "t = %d s", k);
		assert_non_null(strstr(svg, want));
	}
	free(svg);
	lk_viz_free(t);
}

/* render --frames: one SVG per step drawn, each a valid diagram. */
static void
test_viz_frames(void **state)
{
	char out[1200], frame[1300];
	char *argv[] = {LK_BUILD_DIR "/lockstep",
	                "render",
	                traces[0].path,
	                "--frames",
	                out,
	                NULL};
	size_t n = 0;

	(void)state;
	snprintf(out, sizeof(out), "%s/frames", dir);
	assert_int_equal(run(argv), 0);
	for (;;) {
		snprintf(frame, sizeof(frame), "%s/frame-%04zu.svg", out,
		         n + 1);
		if (access(frame, R_OK) != 0)
			break;
		n++;
	}
	{
		struct lk_viz_trace *t = must_read(traces[0].path);

		long *steps;
		struct lk_err err;

		/* A frame per step drawn (the steps it has). */
		assert_int_equal(n, lk_viz_frames(t, NULL, &steps, &err));
		assert_int_equal(steps[n - 1], lk_viz_last_step(t));
		free(steps);
		lk_viz_free(t);
	}
	assert_true(n >= 3);
	snprintf(frame, sizeof(frame), "%s/frame-0001.svg", out);
	{
		struct svg v = svg_read(frame);

		assert_true(v.lifelines >= 1);
		free(v.text);
	}
	for (size_t i = 1; i <= n; i++) {
		snprintf(frame, sizeof(frame), "%s/frame-%04zu.svg", out, i);
		unlink(frame);
	}
	rmdir(out);
}

/* A trace written by hand: the header, then events one at a time. */
struct hand {
	char text[16384];
	long step;
};

/* Start a hand-written trace of procs (a JSON array's items) and objs
 * that ended as verdict says, with the header's blocked and cycle (the
 * members of an object, the items of an array). */
static void
hand_end(struct hand *h, const char *procs, const char *objs,
         const char *verdict, const char *blocked, const char *cycle)
{
	snprintf(h->text, sizeof(h->text),
	         "{\"lockstep_trace\":1,\"scenario\":\"hand\",\"procs\":[%s],"
	         "\"objects\":[%s],\"verdict\":\"%s\",\"culprit\":null,"
	         "\"blocked\":{%s},\"cycle\":[%s]}\n",
	         procs, objs, verdict, blocked, cycle);
	h->step = 0;
}

/* Start a hand-written trace of procs (a JSON array's items) and objs. */
static void
hand_start(struct hand *h, const char *procs, const char *objs)
{
	hand_end(h, procs, objs, "done", "", "");
}

/* Add the next event: proc's op on obj (NULL for none) returning ret with
 * errno err, blocked or not, with clock vc and args (JSON members). */
static void
hand_event(struct hand *h, const char *proc, const char *op, const char *obj,
           long ret, int err, int blocked, const char *vc, const char *args)
{
	size_t n = strlen(h->text);
	char o[64];

	snprintf(o, sizeof(o), obj ? "\"%s\"" : "null", obj);
	snprintf(h->text + n, sizeof(h->text) - n,
	         "{\"step\":%ld,\"proc\":\"%s\",\"op\":\"%s\",\"obj\":%s,"
	         "\"ret\":%ld,\"errno\":%d,\"blocked\":%s,\"vc\":{%s},"
	         "\"vt\":0,\"src\":null,\"act\":null,\"args\":{%s}}\n",
	         h->step++, proc, op, o, ret, err, blocked ? "true" : "false",
	         vc, args);
	assert_true(strlen(h->text) + 1 < sizeof(h->text));
}

/* The edge of kind from step a to step b, which must be there. */
static const struct lk_hb_edge *
must_edge(const struct lk_viz_trace *t, unsigned kind, long a, long b)
{
	for (size_t k = 0; k < t->nedges; k++)
		if (t->edges[k].kind == kind &&
		    t->tr->ev[t->edges[k].from].step == a &&
		    t->tr->ev[t->edges[k].to].step == b)
			return &t->edges[k];
	fail_msg("no %s edge from step %ld to step %ld",
	         lk__viz_edge_kinds[kind].name, a, b);
	return NULL;
}

/* How many times needle is in haystack. */
static int
count_str(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The dot output of t, whole, in a new string. */
static char *
render_dot(const struct lk_viz_trace *t, const char *stem)
{
	size_t len;
	char *dot = slurp(must_render(t, NULL, stem, "dot"), &len);

	assert_non_null(dot);
	return dot;
}

/*
 * Two writes and a read that takes the first and a part of the second:
 * two write -> read arrows into the read. Only the part carries a label
 * (the first write's label already shows all it sent), and it says the
 * bytes; a later read of the rest gets its own arrow.
 */
static void
test_viz_pipe_two_writes_one_read(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	const struct lk_hb_edge *a, *b, *c;
	struct svg s;
	char *dot, *label;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"W\",\"parent\":null},"
	           "{\"name\":\"R\",\"parent\":null}",
	           "{\"name\":\"p\",\"type\":\"pipe\"}");
	hand_event(&h, "W", "write", "p", 6, 0, 0, "\"W\":1",
	           "\"fd\":4,\"data\":\"hello \"");
	hand_event(&h, "W", "write", "p", 5, 0, 0, "\"W\":2",
	           "\"fd\":4,\"data\":\"world\"");
	hand_event(&h, "R", "read", "p", -1, 11, 1, "\"R\":1",
	           "\"fd\":3,\"data\":\"\"");
	hand_event(&h, "R", "read", "p", 8, 0, 0, "\"W\":2,\"R\":2",
	           "\"fd\":3,\"data\":\"hello wo\"");
	hand_event(&h, "R", "read", "p", 3, 0, 0, "\"W\":2,\"R\":3",
	           "\"fd\":3,\"data\":\"rld\"");
	t = must_read(write_file("two-writes.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_WRITE_READ), 3);
	assert_int_equal(lk_viz_edges(t), 3);
	a = must_edge(t, LK_HB_WRITE_READ, 0, 3);
	b = must_edge(t, LK_HB_WRITE_READ, 1, 3);
	c = must_edge(t, LK_HB_WRITE_READ, 1, 4);
	assert_int_equal(a->part, 0);
	assert_int_equal(b->part, 1);
	assert_int_equal(b->off, 6);
	assert_int_equal(b->len, 2);
	assert_int_equal(c->len, 3);
	label = lk__viz_edge_label(t, b);
	assert_string_equal(label, "\"wo\"");
	free(label);
	dot = render_dot(t, "two-writes");
	assert_int_equal(count_str(dot, "class=\"hb write-read\""), 3);
	/* A tube: two lines of the colour with a gap between. */
	assert_non_null(strstr(dot, "#EE7733:invis:#EE7733"));
	assert_int_equal(count_str(dot, "class=\"hb-label\""), 2);
	assert_non_null(strstr(dot, "label=\"\\\"wo\\\"\\l\""));
	assert_non_null(strstr(dot, "label=\"\\\"rld\\\"\\l\""));
	free(dot);
	s = svg_read(must_render(t, NULL, "two-writes", "svg"));
	assert_int_equal(s.arrows, 3);
	assert_non_null(strstr(s.text, "read p \"hello wo\""));
	assert_non_null(strstr(s.text, "read p (blocks)"));
	assert_non_null(strstr(s.text, "write \xe2\x86\x92 the read"));
	free(s.text);
	lk_viz_free(t);
}

/*
 * A write too large for the pipe: the piece that went in is a blocked
 * step with its bytes, the call's last step counts them again with the
 * rest. Reads are matched to the piece, then to the rest only.
 */
static void
test_viz_pipe_large_write(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"W\",\"parent\":null},"
	           "{\"name\":\"R\",\"parent\":null}",
	           "{\"name\":\"f\",\"type\":\"fifo\"}");
	hand_event(&h, "W", "write", "f", 3, 11, 1, "\"W\":1",
	           "\"fd\":4,\"data\":\"abc\"");
	hand_event(&h, "R", "read", "f", 2, 0, 0, "\"W\":1,\"R\":1",
	           "\"fd\":3,\"data\":\"ab\"");
	hand_event(&h, "W", "write", "f", 5, 0, 0, "\"W\":2",
	           "\"fd\":4,\"data\":\"abcde\"");
	hand_event(&h, "R", "read", "f", 3, 0, 0, "\"W\":2,\"R\":2",
	           "\"fd\":3,\"data\":\"cde\"");
	t = must_read(write_file("large-write.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_WRITE_READ), 3);
	assert_int_equal(must_edge(t, LK_HB_WRITE_READ, 0, 1)->len, 2);
	assert_int_equal(must_edge(t, LK_HB_WRITE_READ, 0, 3)->len, 1);
	assert_int_equal(must_edge(t, LK_HB_WRITE_READ, 2, 3)->len, 2);
	s = svg_read(must_render(t, NULL, "large-write", "svg"));
	assert_non_null(strstr(s.text, "write f \"abc\" (blocks: full)"));
	assert_non_null(strstr(s.text, "write f \"abcde\"\n"));
	free(s.text);
	lk_viz_free(t);
}

/*
 * SysV semop: one that takes gets an arrow from the latest that gave, by
 * another process: here A's exit, which undid its SEM_UNDO decrement (no
 * arrow from A's first semop, which took, nor into B's blocked try). The
 * label carries the operations.
 */
static void
test_viz_semop_arrows(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	char *dot, *label;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"A\",\"parent\":null},"
	           "{\"name\":\"B\",\"parent\":null}",
	           "{\"name\":\"forks\",\"type\":\"semset\"}");
	hand_event(&h, "A", "semop", "forks", 0, 0, 0, "\"A\":1",
	           "\"ops\":\"[0]-1\",\"undo\":true");
	hand_event(&h, "B", "semop", "forks", -1, 11, 1, "\"B\":1",
	           "\"ops\":\"[0]-1 [1]-1\"");
	hand_event(&h, "A", "exit", NULL, 0, 0, 0, "\"A\":2", "\"status\":0");
	hand_event(&h, "B", "semop", "forks", 0, 0, 0, "\"A\":2,\"B\":2",
	           "\"ops\":\"[0]-1 [1]-1\"");
	hand_event(&h, "B", "semop", "forks", 0, 0, 0, "\"A\":2,\"B\":3",
	           "\"ops\":\"[0]+1 [1]+1\"");
	t = must_read(write_file("semop.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_POST_WAIT), 1);
	must_edge(t, LK_HB_POST_WAIT, 2, 3);
	/* The exit happens before the semop it let through. */
	assert_true(lk_trace_hb(t->tr, 2, 3));
	assert_true(t->tr->ev[0].u.semop.undo && !t->tr->ev[3].u.semop.undo);
	label = lk__viz_label(t, 3);
	assert_string_equal(label, "semop forks [0]-1 [1]-1");
	free(label);
	label = lk__viz_label(t, 1);
	assert_string_equal(label, "semop forks [0]-1 [1]-1 (blocks)");
	free(label);
	dot = render_dot(t, "semop");
	assert_int_equal(count_str(dot, "class=\"hb post-wait\""), 1);
	/* Semops have arrows: not "drawn without arrows" in the legend. */
	assert_null(strstr(dot, "without arrows"));
	free(dot);
	lk_viz_free(t);
}

/* A blocked waitpid(pid) names the child it waits for, in the trace
 * ("target") and in the diagram; a waitpid for any child does not. */
static void
test_viz_waitpid_target(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	char *label;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"main\",\"parent\":null},"
	           "{\"name\":\"main.1\",\"parent\":\"main\"}",
	           "");
	hand_event(&h, "main", "fork", NULL, 1, 0, 0, "\"main\":1",
	           "\"child\":\"main.1\"");
	hand_event(&h, "main", "waitpid", NULL, 0, 0, 1, "\"main\":2",
	           "\"target\":\"main.1\",\"status\":0");
	hand_event(&h, "main", "waitpid", NULL, 0, 0, 1, "\"main\":3",
	           "\"status\":0");
	t = must_read(write_file("waitpid-target.jsonl", h.text));
	assert_int_equal(t->tr->ev[1].u.wait.target, 1);
	assert_int_equal(t->tr->ev[2].u.wait.target, -1);
	label = lk__viz_label(t, 1);
	assert_string_equal(label, "waitpid main.1 (blocks)");
	free(label);
	label = lk__viz_label(t, 2);
	assert_string_equal(label, "waitpid (blocks)");
	free(label);
	lk_viz_free(t);
}

/*
 * A window (--from/--to) that cuts an arrow draws a stub at the end it
 * holds, with the other end's step: "→ step 2" leaving, "step 0 →"
 * entering; the legend says what that means. The whole trace has none.
 */
static void
test_viz_window_cut_arrows(void **state)
{
	struct lk_viz_opts o = {0};
	struct hand h;
	struct lk_viz_trace *t;
	char *dot;
	size_t len;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"W\",\"parent\":null},"
	           "{\"name\":\"R\",\"parent\":null}",
	           "{\"name\":\"p\",\"type\":\"pipe\"}");
	hand_event(&h, "W", "write", "p", 2, 0, 0, "\"W\":1",
	           "\"fd\":4,\"data\":\"hi\"");
	hand_event(&h, "W", "exit", NULL, 0, 0, 0, "\"W\":2", "\"status\":0");
	hand_event(&h, "R", "read", "p", 2, 0, 0, "\"W\":1,\"R\":1",
	           "\"fd\":3,\"data\":\"hi\"");
	hand_event(&h, "R", "exit", NULL, 0, 0, 0, "\"W\":1,\"R\":2",
	           "\"status\":0");
	t = must_read(write_file("cut.jsonl", h.text));
	dot = render_dot(t, "cut-whole");
	assert_int_equal(count_str(dot, "hb-cut"), 0);
	assert_null(strstr(dot, "outside the steps drawn"));
	free(dot);
	o.from = 1;
	o.to = 3;
	dot = slurp(must_render(t, &o, "cut-in", "dot"), &len);
	assert_int_equal(count_str(dot, "class=\"hb-cut write-read\""), 1);
	assert_non_null(strstr(dot, "step 0 \xe2\x86\x92"));
	assert_non_null(strstr(dot, "outside the steps drawn"));
	free(dot);
	o.from = 0;
	o.to = 1;
	dot = slurp(must_render(t, &o, "cut-out", "dot"), &len);
	assert_int_equal(count_str(dot, "class=\"hb-cut write-read\""), 1);
	assert_non_null(strstr(dot, "\xe2\x86\x92 step 2"));
	free(dot);
	lk_viz_free(t);
}

/*
 * Threads: a process's thread lanes stand right after it, before the
 * next process; their calls are drawn as calls with arrows (no diamond,
 * "pthread_" left out of the words), and the legend names create and
 * join beside fork and exit.
 */
static void
test_viz_thread_lanes(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	size_t *order;
	char *dot, *label;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"main\",\"parent\":null},"
	           "{\"name\":\"main.1\",\"parent\":\"main\"},"
	           "{\"name\":\"main/t1\",\"parent\":\"main\","
	           "\"thread\":true}",
	           "{\"name\":\"m\",\"type\":\"mutex\"}");
	hand_event(&h, "main", "fork", NULL, 1, 0, 0, "\"main\":1",
	           "\"child\":\"main.1\"");
	hand_event(&h, "main", "pthread_create", NULL, 0, 0, 0, "\"main\":2",
	           "\"thread\":\"main/t1\"");
	hand_event(&h, "main/t1", "start", NULL, 0, 0, 0,
	           "\"main\":2,\"main/t1\":1", "\"parent\":\"main\"");
	hand_event(&h, "main/t1", "pthread_mutex_lock", "m", 0, 0, 0,
	           "\"main\":2,\"main/t1\":1", "");
	hand_event(&h, "main/t1", "pthread_mutex_unlock", "m", 0, 0, 0,
	           "\"main\":2,\"main/t1\":2", "");
	hand_event(&h, "main/t1", "pthread_exit", NULL, 0, 0, 0,
	           "\"main\":2,\"main/t1\":3", "");
	hand_event(&h, "main", "pthread_join", NULL, 0, 0, 0,
	           "\"main\":3,\"main/t1\":3", "\"thread\":\"main/t1\"");
	t = must_read(write_file("threads.jsonl", h.text));
	order = lk__viz_lane_order(t->tr);
	assert_non_null(order);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 2); /* main/t1 */
	assert_int_equal(order[2], 1); /* then main.1 */
	free(order);
	label = lk__viz_label(t, 3);
	assert_string_equal(label, "mutex_lock m");
	free(label);
	label = lk__viz_label(t, 1);
	assert_string_equal(label, "create main/t1");
	free(label);
	dot = render_dot(t, "threads");
	assert_null(strstr(dot, "without arrows"));
	assert_non_null(strstr(dot, "thread starts"));
	assert_non_null(strstr(dot, "its join"));
	free(dot);
	lk_viz_free(t);
}

/*
 * A FIFO's two opens meet: the writer's open returns because the reader
 * waits in its open (an arrow from the waiting try), and the reader's
 * open returns once the writer's did (an arrow from it).
 */
static void
test_viz_fifo_open_arrows(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	char *dot;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"W\",\"parent\":null},"
	           "{\"name\":\"R\",\"parent\":null}",
	           "{\"name\":\"chan\",\"type\":\"fifo\"}");
	hand_event(&h, "R", "open", "chan", -1, 11, 1, "\"R\":1", "\"fd\":0");
	hand_event(&h, "W", "open", "chan", 3, 0, 0, "\"W\":1,\"R\":1",
	           "\"fd\":3");
	hand_event(&h, "R", "open", "chan", 3, 0, 0, "\"W\":1,\"R\":2",
	           "\"fd\":3");
	t = must_read(write_file("fifo-open.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_OPEN_OPEN), 2);
	must_edge(t, LK_HB_OPEN_OPEN, 0, 1);
	must_edge(t, LK_HB_OPEN_OPEN, 1, 2);
	assert_true(lk_trace_hb(t->tr, 0, 1) && lk_trace_hb(t->tr, 1, 2));
	dot = render_dot(t, "fifo-open");
	assert_int_equal(count_str(dot, "class=\"hb open-open\""), 2);
	assert_non_null(strstr(dot, "the other end's open it met"));
	free(dot);
	lk_viz_free(t);
}

/*
 * The end of file: a read that returns 0 gets an EOF arrow from the last
 * release of a write end elsewhere that happens before it: here W2's
 * exit, as W2 still held the end it wrote with, not W1's earlier close
 * nor the reader's own close.
 */
static void
test_viz_pipe_eof(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	char *dot, *label;
	struct svg s;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"W1\",\"parent\":null},"
	           "{\"name\":\"W2\",\"parent\":null},"
	           "{\"name\":\"R\",\"parent\":null}",
	           "{\"name\":\"p\",\"type\":\"pipe\"}");
	hand_event(&h, "W1", "write", "p", 1, 0, 0, "\"W1\":1",
	           "\"fd\":4,\"data\":\"a\"");
	hand_event(&h, "W1", "close", "p", 0, 0, 0, "\"W1\":2",
	           "\"fd\":4,\"end\":\"write\"");
	hand_event(&h, "W2", "write", "p", 1, 0, 0, "\"W2\":1",
	           "\"fd\":5,\"data\":\"b\"");
	hand_event(&h, "W2", "exit", NULL, 0, 0, 0, "\"W2\":2", "\"status\":0");
	hand_event(&h, "R", "read", "p", 2, 0, 0, "\"W1\":2,\"W2\":2,\"R\":1",
	           "\"fd\":3,\"data\":\"ab\"");
	hand_event(&h, "R", "close", "p", 0, 0, 0, "\"W1\":2,\"W2\":2,\"R\":2",
	           "\"fd\":4,\"end\":\"write\"");
	hand_event(&h, "R", "read", "p", 0, 0, 0, "\"W1\":2,\"W2\":2,\"R\":3",
	           "\"fd\":3,\"data\":\"\"");
	t = must_read(write_file("eof.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_WRITE_READ), 2);
	assert_int_equal(count_kind(t, LK_HB_CLOSE_EOF), 1);
	label = lk__viz_edge_label(t, must_edge(t, LK_HB_CLOSE_EOF, 3, 6));
	assert_string_equal(label, "EOF");
	free(label);
	dot = render_dot(t, "eof");
	assert_int_equal(count_str(dot, "class=\"hb close-eof\""), 1);
	/* On the arrow, and on the legend's sample of one. */
	assert_int_equal(count_str(dot, "class=\"hb-label\""), 1);
	assert_int_equal(count_str(dot, "label=\"EOF\\l\""), 2);
	/* Dashed, unlike a write -> read arrow of the same colour. */
	assert_non_null(
	        strstr(strstr(dot, "class=\"hb close-eof\""), "style=dashed"));
	free(dot);
	s = svg_read(must_render(t, NULL, "eof", "svg"));
	assert_non_null(strstr(s.text, "read p: end of file"));
	assert_non_null(strstr(s.text, "close p (write end)"));
	assert_non_null(strstr(s.text, "\nEOF\n"));
	free(s.text);
	lk_viz_free(t);
}

/*
 * Signals are not queued: two kills before one delivery both point to
 * that delivery, and a kill after it to the next one. A kill of another
 * signal, never delivered, points nowhere.
 */
static void
test_viz_signals(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;
	char *dot;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"A\",\"parent\":null},"
	           "{\"name\":\"B\",\"parent\":null}",
	           "");
	hand_event(&h, "A", "kill", NULL, 0, 0, 0, "\"A\":1",
	           "\"to\":\"B\",\"signal\":10");
	hand_event(&h, "A", "kill", NULL, 0, 0, 0, "\"A\":2",
	           "\"to\":\"B\",\"signal\":10");
	hand_event(&h, "A", "kill", NULL, 0, 0, 0, "\"A\":3",
	           "\"to\":\"B\",\"signal\":12");
	hand_event(&h, "B", "signal", NULL, 0, 0, 0, "\"A\":2,\"B\":1",
	           "\"signal\":10");
	hand_event(&h, "A", "kill", NULL, 0, 0, 0, "\"A\":4",
	           "\"to\":\"B\",\"signal\":10");
	hand_event(&h, "B", "pause", NULL, -1, 4, 0, "\"A\":2,\"B\":2", "");
	hand_event(&h, "B", "signal", NULL, 0, 0, 0, "\"A\":4,\"B\":3",
	           "\"signal\":10");
	t = must_read(write_file("signals.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_KILL_SIGNAL), 3);
	must_edge(t, LK_HB_KILL_SIGNAL, 0, 3);
	must_edge(t, LK_HB_KILL_SIGNAL, 1, 3);
	must_edge(t, LK_HB_KILL_SIGNAL, 4, 6);
	dot = render_dot(t, "signals");
	assert_int_equal(count_str(dot, "class=\"hb kill-signal\""), 3);
	assert_non_null(strstr(dot, "style=dotted"));
	free(dot);
	s = svg_read(must_render(t, NULL, "signals", "svg"));
	assert_int_equal(s.arrows, 3);
	assert_non_null(strstr(s.text, "kill B SIGUSR1"));
	assert_non_null(strstr(s.text, "kill B SIGUSR2"));
	assert_non_null(strstr(s.text, "signal SIGUSR1"));
	assert_non_null(strstr(s.text, "\npause\n"));
	assert_non_null(strstr(s.text, "not queued"));
	free(s.text);
	lk_viz_free(t);
}

/* The new operations' labels read like the interleaving's. */
static void
test_viz_ipc_labels(void **state)
{
	static const char *const want[] = {
	        "load a \xe2\x86\x92 -1",
	        "store a \xe2\x86\x90 7",
	        "write-lock log",
	        "unlock log",
	        "write-lock log (blocks)",
	        "dup2 p write end \xe2\x86\x92 stdout",
	        "open chan (blocks)",
	        "read p: interrupted",
	        "read p \"x\\ny\"",
	        "close p (read end)",
	        "write p \"\xc3\xa9t\xc3\xa9\": failed (EPIPE)",
	};
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	hand_start(&h, "{\"name\":\"A\",\"parent\":null}",
	           "{\"name\":\"p\",\"type\":\"pipe\"},"
	           "{\"name\":\"chan\",\"type\":\"fifo\"},"
	           "{\"name\":\"a\",\"type\":\"cell\"},"
	           "{\"name\":\"log\",\"type\":\"file\"}");
	hand_event(&h, "A", "load", "a", -1, 0, 0, "\"A\":1", "\"value\":-1");
	hand_event(&h, "A", "store", "a", 7, 0, 0, "\"A\":2", "\"value\":7");
	hand_event(&h, "A", "fcntl", "log", 0, 0, 0, "\"A\":3",
	           "\"lock\":\"write\"");
	hand_event(&h, "A", "fcntl", "log", 0, 0, 0, "\"A\":4",
	           "\"lock\":\"unlock\"");
	hand_event(&h, "A", "fcntl", "log", -1, 11, 1, "\"A\":5",
	           "\"lock\":\"write\"");
	hand_event(&h, "A", "dup2", "p", 1, 0, 0, "\"A\":6",
	           "\"fd\":1,\"end\":\"write\"");
	hand_event(&h, "A", "open", "chan", -1, 11, 1, "\"A\":7", "\"fd\":0");
	hand_event(&h, "A", "read", "p", -1, 4, 0, "\"A\":8",
	           "\"fd\":3,\"data\":\"\"");
	hand_event(&h, "A", "read", "p", 3, 0, 0, "\"A\":9",
	           "\"fd\":3,\"data\":\"x\\ny\"");
	hand_event(&h, "A", "close", "p", 0, 0, 0, "\"A\":10",
	           "\"fd\":3,\"end\":\"read\"");
	hand_event(&h, "A", "write", "p", -1, 32, 0, "\"A\":11",
	           "\"fd\":1,\"data\":\"\xc3\xa9t\xc3\xa9\"");
	t = must_read(write_file("labels.jsonl", h.text));
	assert_int_equal(lk_viz_edges(t), 0);
	s = svg_read(must_render(t, NULL, "labels", "svg"));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(s.text, want[i]) == NULL)
			fail_msg("no label \"%s\" in:\n%s", want[i], s.text);
	free(s.text);
	lk_viz_free(t);
}

/*
 * A real program under the real lockstep: a child writes "ping" and
 * "pong!" into a pipe and kills its parent twice, which reads three
 * bytes at a time. Every byte read came along an arrow from a write,
 * every kill points to a delivery, there is one EOF arrow, and every
 * arrow is a happens-before relation by the trace's clocks.
 */
static void
test_viz_pipe_signal_program(void **state)
{
	char path[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                (char *)"-q",
	                (char *)"--trace",
	                path,
	                (char *)"--",
	                (char *)PIPE_SIGNAL,
	                NULL};
	struct lk_viz_trace *t;
	long *carried;
	size_t kills = 0;
	struct svg s;

	(void)state;
	snprintf(path, sizeof(path), "%s/pipe-signal.jsonl", dir);
	assert_int_equal(run(argv), 0);
	t = must_read(path);
	carried = calloc(t->tr->nevents + 1, sizeof(*carried));
	assert_non_null(carried);
	for (size_t k = 0; k < t->nedges; k++) {
		const struct lk_hb_edge *d = &t->edges[k];

		if (!lk__viz_hb(&t->tr->ev[d->from], &t->tr->ev[d->to]))
			fail_msg(
			        "%s edge step %ld -> %ld is not happens-before",
			        lk__viz_edge_kinds[d->kind].name,
			        t->tr->ev[d->from].step, t->tr->ev[d->to].step);
		if (d->kind == LK_HB_WRITE_READ)
			carried[d->to] += d->len;
	}
	for (size_t i = 0; i < t->tr->nevents; i++) {
		const struct lk_tev *e = &t->tr->ev[i];

		if (lk__viz_op(e) == LK__VIZ_READ && !e->blocked &&
		    e->ret > 0 && carried[i] != e->ret)
			fail_msg("read at step %ld got %ld bytes, arrows carry "
			         "%ld",
			         e->step, e->ret, carried[i]);
		kills += lk__viz_op(e) == LK__VIZ_KILL && e->ret == 0;
	}
	assert_int_equal(kills, 2);
	assert_int_equal(count_kind(t, LK_HB_KILL_SIGNAL), 2);
	assert_true(count_kind(t, LK_HB_WRITE_READ) >= 3);
	assert_int_equal(count_kind(t, LK_HB_CLOSE_EOF), 1);
	s = svg_read(must_render(t, NULL, "pipe-signal", "svg"));
	assert_int_equal((size_t)s.arrows, lk_viz_edges(t));
	assert_non_null(strstr(s.text, "kill main SIGUSR1"));
	assert_non_null(strstr(s.text, "signal SIGUSR1"));
	free(s.text);
	free(carried);
	lk_viz_free(t);
}

/* A fcntl event of proc on msg: a lock of kind ("read", "write",
 * "unlock") over start, len, granted or blocked, with clock vc. */
static void
hand_lock(struct hand *h, const char *proc, const char *kind, int start,
          int len, int blocked, const char *vc)
{
	char args[160];

	snprintf(args, sizeof(args),
	         "\"cmd\":%d,\"lock\":\"%s\",\"start\":%d,\"len\":%d",
	         strcmp(kind, "unlock") == 0 ? 6 : 7, kind, start, len);
	hand_event(h, proc, "fcntl", "msg", blocked ? -1 : 0, blocked ? 11 : 0,
	           blocked, vc, args);
}

/*
 * Record locks: an unlock points to the lock it let another process
 * take (not the exit after it), to every lock it let through, but not
 * to a later lock of a process it pointed to already; the exit of a
 * process that still held a lock points to the next one.
 */
static void
test_viz_lock_arrows(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;
	char *dot;

	(void)state;
	hand_start(&h,
	           "{\"name\":\"A\",\"parent\":null},"
	           "{\"name\":\"B\",\"parent\":null},"
	           "{\"name\":\"C\",\"parent\":null},"
	           "{\"name\":\"D\",\"parent\":null}",
	           "{\"name\":\"msg\",\"type\":\"file\"}");
	hand_lock(&h, "A", "write", 0, 0, 0, "\"A\":1");
	hand_lock(&h, "B", "read", 0, 0, 1, "\"B\":1");
	hand_lock(&h, "A", "unlock", 0, 0, 0, "\"A\":2");
	hand_event(&h, "A", "exit", NULL, 0, 0, 0, "\"A\":3", "\"status\":0");
	hand_lock(&h, "B", "read", 0, 0, 0, "\"A\":3,\"B\":2");
	hand_lock(&h, "C", "read", 0, 0, 0, "\"A\":3,\"C\":1");
	hand_lock(&h, "B", "unlock", 0, 0, 0, "\"A\":3,\"B\":3");
	hand_lock(&h, "B", "read", 0, 0, 0, "\"A\":3,\"B\":4");
	hand_lock(&h, "B", "unlock", 0, 0, 0, "\"A\":3,\"B\":5");
	hand_event(&h, "C", "exit", NULL, 0, 0, 0, "\"A\":3,\"C\":2",
	           "\"status\":0");
	hand_lock(&h, "D", "write", 0, 0, 0, "\"A\":3,\"B\":5,\"C\":2,\"D\":1");
	t = must_read(write_file("locks.jsonl", h.text));
	assert_int_equal(count_kind(t, LK_HB_UNLOCK_LOCK), 3);
	assert_int_equal(lk_viz_edges(t), 3);
	must_edge(t, LK_HB_UNLOCK_LOCK, 2, 4);
	must_edge(t, LK_HB_UNLOCK_LOCK, 2, 5);
	must_edge(t, LK_HB_UNLOCK_LOCK, 9, 10);
	dot = render_dot(t, "locks");
	assert_int_equal(count_str(dot, "class=\"hb unlock-lock\""), 3);
	assert_non_null(strstr(dot, "arrowhead=box"));
	free(dot);
	s = svg_read(must_render(t, NULL, "locks", "svg"));
	assert_int_equal(s.arrows, 3);
	assert_non_null(
	        strstr(s.text, "unlock (or exit) \xe2\x86\x92 the lock"));
	assert_null(strstr(s.text, "post \xe2\x86\x92 wait"));
	free(s.text);
	lk_viz_free(t);

	/* No arrow: a read lock after a read unlock (they share), a lock
	 * on other bytes, a query. */
	hand_start(&h,
	           "{\"name\":\"A\",\"parent\":null},"
	           "{\"name\":\"B\",\"parent\":null}",
	           "{\"name\":\"msg\",\"type\":\"file\"}");
	hand_lock(&h, "A", "read", 0, 0, 0, "\"A\":1");
	hand_lock(&h, "A", "unlock", 0, 0, 0, "\"A\":2");
	hand_lock(&h, "B", "read", 100, 0, 0, "\"A\":2,\"B\":1");
	hand_lock(&h, "A", "write", 0, 10, 0, "\"A\":3");
	hand_lock(&h, "A", "unlock", 0, 10, 0, "\"A\":4");
	hand_lock(&h, "B", "write", 20, 10, 0, "\"A\":4,\"B\":2");
	hand_event(&h, "B", "fcntl", "msg", 0, 0, 0, "\"A\":4,\"B\":3",
	           "\"cmd\":5,\"lock\":\"write\",\"start\":0,\"len\":0");
	t = must_read(write_file("no-locks.jsonl", h.text));
	assert_int_equal(lk_viz_edges(t), 0);
	lk_viz_free(t);
}

/* Run the real lockstep on scenarios/lecture/NAME.xml with args (at most
 * two) into a trace in dir; its path (static). */
static const char *
lecture_trace(const char *name, const char *a1, const char *a2)
{
	static char path[1280];
	char scen[1024];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                scen,
	                (char *)"-q",
	                (char *)"--trace",
	                path,
	                (char *)a1,
	                (char *)a2,
	                NULL};

	snprintf(scen, sizeof(scen), "%s/scenarios/lecture/%s.xml",
	         LK_SOURCE_DIR, name);
	snprintf(path, sizeof(path), "%s/lecture-%s.jsonl", dir, name);
	if (run(argv) < 0 || access(path, R_OK) != 0)
		fail_msg("no trace from lockstep run %s", scen);
	return path;
}

/* file-lock: the writer's unlock points to the reader's granted lock. */
static void
test_viz_file_lock_scenario(void **state)
{
	struct lk_viz_trace *t = must_read(lecture_trace("file-lock", 0, 0));
	const struct lk_hb_edge *d = NULL;
	struct svg s;

	(void)state;
	assert_int_equal(count_kind(t, LK_HB_UNLOCK_LOCK), 1);
	for (size_t k = 0; k < t->nedges; k++)
		if (t->edges[k].kind == LK_HB_UNLOCK_LOCK)
			d = &t->edges[k];
	assert_non_null(d);
	assert_string_equal(t->tr->procs[t->tr->ev[d->from].proc].name,
	                    "writer");
	assert_int_equal(lk__viz_lock(&t->tr->ev[d->from]), 'u');
	assert_string_equal(t->tr->procs[t->tr->ev[d->to].proc].name, "reader");
	assert_int_equal(lk__viz_lock(&t->tr->ev[d->to]), 'r');
	assert_int_equal(t->tr->ev[d->to].blocked, 0);
	s = svg_read(must_render(t, NULL, "file-lock", "svg"));
	assert_non_null(strstr(s.text, "unlock (or exit)"));
	assert_null(strstr(s.text, "post \xe2\x86\x92 wait"));
	free(s.text);
	lk_viz_free(t);
}

/* The svg text of the shipped scenario name's trace drawn with o. */
static struct svg
scenario_svg(const char *name, const struct lk_viz_opts *o, const char *stem)
{
	struct lk_viz_trace *t = NULL;
	struct svg s;

	for (size_t i = 0; i < ntraces && t == NULL; i++)
		if (strcmp(traces[i].name, name) == 0)
			t = must_read(traces[i].path);
	if (t == NULL)
		fail_msg("no %s trace", name);
	s = svg_read(must_render(t, o, stem, "svg"));
	lk_viz_free(t);
	return s;
}

/*
 * The legend lists only what is drawn: no arrow kinds that are not
 * there, no hollow-mark entry when every blocked call is a stuck one, a
 * diamond's entry when there is one; print names its own cues.
 */
static void
test_viz_legend_only_drawn(void **state)
{
	struct lk_viz_opts o = {.theme = LK_VIZ_PRINT};
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	s = scenario_svg("rendezvous", NULL, "legend-rv");
	assert_non_null(strstr(s.text, "post \xe2\x86\x92 wait"));
	assert_non_null(strstr(s.text, "a call blocks (hollow)"));
	assert_non_null(strstr(s.text, "print: the text"));
	assert_null(strstr(s.text, "EOF"));
	assert_null(strstr(s.text, "kill \xe2\x86\x92"));
	assert_null(strstr(s.text, "unlock"));
	assert_null(strstr(s.text, "stuck"));
	assert_null(strstr(s.text, "no arrows"));
	free(s.text);
	s = scenario_svg("deadlock-order", NULL, "legend-dl");
	assert_null(strstr(s.text, "post \xe2\x86\x92 wait"));
	assert_null(strstr(s.text, "a call blocks (hollow)"));
	assert_non_null(strstr(s.text, "red, dashed: stuck in the deadlock"));
	free(s.text);
	s = scenario_svg("deadlock-order", &o, "legend-dl-print");
	assert_null(strstr(s.text, "red, dashed"));
	assert_null(strstr(s.text, "(red)"));
	assert_non_null(strstr(s.text, "thick dashes: stuck in the deadlock"));
	free(s.text);
	s = scenario_svg("unsync-writers", NULL, "legend-unsync");
	assert_null(strstr(s.text, "print: the text"));
	assert_null(strstr(s.text, "\xe2\x86\x92"));
	free(s.text);
	t = must_read(lecture_trace("signal-sync", 0, 0));
	s = svg_read(must_render(t, NULL, "legend-signals", "svg"));
	assert_non_null(strstr(s.text, "shmget, shmat: shared-memory set-up"));
	assert_non_null(strstr(s.text, "kill \xe2\x86\x92"));
	/* A print is not cut short. */
	assert_non_null(
	        strstr(s.text, "\"parent: the child has read the data\""));
	free(s.text);
	lk_viz_free(t);
}

/* A window of steps keeps the stuck marks when it holds the blocked
 * processes' last steps, and has none when it ends before them. */
static void
test_viz_window_stuck(void **state)
{
	struct lk_viz_opts o = {.from = 3};
	struct svg s;

	(void)state;
	s = scenario_svg("deadlock-order", &o, "window-stuck");
	assert_non_null(strstr(s.text, "steps 3 to 7"));
	assert_int_equal(count_str(s.text, "\nstuck\n"), 2);
	assert_non_null(strstr(s.text, "stuck in the deadlock"));
	assert_true(s.deadlocked);
	free(s.text);
	o.from = 0;
	o.to = 2;
	s = scenario_svg("deadlock-order", &o, "window-not-stuck");
	assert_int_equal(count_str(s.text, "\nstuck\n"), 0);
	free(s.text);
}

/*
 * The caption says what each stuck process waits for in words, from the
 * header: a pipe's data or end of file, a child's exit (and which, from
 * the cycle); a process stuck outside a cycle is outlined red too.
 */
static void
test_viz_blocked_captions(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	hand_end(&h, "{\"name\":\"P\",\"parent\":null}",
	         "{\"name\":\"p\",\"type\":\"pipe\"}", "deadlock",
	         "\"P\":\"p\"", "");
	hand_event(&h, "P", "read", "p", -1, 11, 1, "\"P\":1", "\"fd\":3");
	t = must_read(write_file("stuck-pipe.jsonl", h.text));
	s = svg_read(must_render(t, NULL, "stuck-pipe", "svg"));
	if (!strstr(s.text, "deadlock: P waits for data or end of file on p\n"))
		fail_msg("no pipe caption in:\n%s", s.text);
	assert_int_equal(s.procs_dead, 1);
	free(s.text);
	lk_viz_free(t);

	hand_end(&h,
	         "{\"name\":\"M\",\"parent\":null},"
	         "{\"name\":\"C\",\"parent\":\"M\"}",
	         "{\"name\":\"p\",\"type\":\"pipe\"}", "deadlock",
	         "\"M\":\"(a child)\",\"C\":\"p\"", "\"M\",\"C\",\"M\"");
	hand_event(&h, "M", "fork", NULL, 1, 0, 0, "\"M\":1",
	           "\"child\":\"C\"");
	hand_event(&h, "M", "waitpid", NULL, 0, 0, 1, "\"M\":2",
	           "\"status\":0");
	hand_event(&h, "C", "start", NULL, 0, 0, 0, "\"M\":1,\"C\":1",
	           "\"parent\":\"M\"");
	hand_event(&h, "C", "read", "p", -1, 11, 1, "\"M\":1,\"C\":2",
	           "\"fd\":3");
	t = must_read(write_file("stuck-wait.jsonl", h.text));
	s = svg_read(must_render(t, NULL, "stuck-wait", "svg"));
	if (!strstr(s.text, "deadlock: M waits for C to exit\n") ||
	    !strstr(s.text, "\nC waits for data or end of file on p\n") ||
	    strstr(s.text, "(a child)"))
		fail_msg("no waitpid caption in:\n%s", s.text);
	assert_int_equal(s.procs_dead, 2);
	free(s.text);
	lk_viz_free(t);
}

/*
 * Labels go to the side of a lifeline that arrows do not run through:
 * the rendezvous's A (its arrows all to the right) has them at the
 * left, B at the right; writers with no arrows keep them at the right.
 * The subtitle names no seed for the default strategy.
 */
static void
test_viz_label_sides(void **state)
{
	struct lk__viz_layout l;
	struct lk_err err = {0};
	struct lk_viz_trace *t = NULL;
	struct svg s;

	(void)state;
	for (size_t i = 0; i < ntraces && t == NULL; i++)
		if (strcmp(traces[i].name, "rendezvous") == 0)
			t = must_read(traces[i].path);
	assert_non_null(t);
	assert_int_equal(lk__viz_layout(t, 0, 0, 0, 0, &l, &err), 0);
	assert_int_equal(l.lside[0], -1);
	assert_int_equal(l.lside[1], 1);
	/* The labels at the left fit between the margin and the line. */
	assert_true(l.x[0] - l.leftw[0] >= LK__VIZ_MARGIN);
	lk__viz_layout_free(&l);
	lk_viz_free(t);
	t = NULL;
	for (size_t i = 0; i < ntraces && t == NULL; i++)
		if (strcmp(traces[i].name, "unsync-writers") == 0)
			t = must_read(traces[i].path);
	assert_non_null(t);
	assert_int_equal(lk__viz_layout(t, 0, 0, 0, 0, &l, &err), 0);
	for (size_t p = 0; p < t->tr->nprocs; p++)
		assert_int_equal(l.lside[p], 1);
	lk__viz_layout_free(&l);
	lk_viz_free(t);
	s = scenario_svg("rendezvous", NULL, "subtitle");
	assert_non_null(strstr(s.text, "(strategy default)\n"));
	assert_null(strstr(s.text, "seed"));
	free(s.text);
	s = scenario_svg("unsync-writers-seed3", NULL, "subtitle-seed");
	assert_non_null(strstr(s.text, "(strategy random, seed 3)"));
	free(s.text);
}

/* Run argv from LK_SOURCE_DIR; its standard output into buf (size
 * bytes, NUL-terminated), its status returned. */
static int
run_out(char *const argv[], char *buf, size_t size)
{
	int fds[2], status;
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		if (chdir(LK_SOURCE_DIR) != 0)
			_exit(127);
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (n + 1 < size && (k = read(fds[0], buf + n, size - n - 1)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* `lockstep render --help` names every kind of arrow. */
static void
test_viz_render_help(void **state)
{
	static const char *const want[] = {
	        "post -> the wait",
	        "fork -> start",
	        "exit -> the waitpid",
	        "write -> the read",
	        "EOF",
	        "kill -> the signal",
	        "unlock",
	};
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep", (char *)"render",
	                (char *)"--help", NULL};
	char out[8192];

	(void)state;
	assert_int_equal(run_out(argv, out, sizeof(out)), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(out, want[i]) == NULL)
			fail_msg("render --help does not say \"%s\":\n%s",
			         want[i], out);
}

/*
 * Program names on the lifeline heads (issue 7): "main.1 (wc)" for a
 * process that exec'd wc, from the header's "program" or, in a trace
 * written before that key, from its execve events; an exec that failed
 * (a second execve with ret -1) does not count, nor does a program that
 * is the last component of the name. The ids keep the logical names.
 */
static void
test_viz_program_heads(void **state)
{
	struct hand h;
	struct lk_viz_trace *t;
	struct svg s;
	size_t len;
	char *svg;

	(void)state;
	/* The header says it; it wins over the events. */
	hand_start(&h,
	           "{\"name\":\"main\",\"parent\":null},"
	           "{\"name\":\"main.1\",\"parent\":\"main\","
	           "\"program\":\"wc\"},"
	           "{\"name\":\"wc\",\"parent\":null,\"program\":\"wc\"}",
	           "");
	hand_event(&h, "main", "fork", NULL, 1, 0, 0, "\"main\":1",
	           "\"child\":\"main.1\"");
	hand_event(&h, "main.1", "start", NULL, 0, 0, 0,
	           "\"main\":1,\"main.1\":1", "\"parent\":\"main\"");
	hand_event(&h, "main.1", "execve", NULL, 0, 0, 0,
	           "\"main\":1,\"main.1\":2", "\"path\":\"/usr/bin/sort\"");
	hand_event(&h, "wc", "execve", NULL, 0, 0, 0, "\"wc\":1",
	           "\"path\":\"wc\"");
	t = must_read(write_file("program-key.jsonl", h.text));
	assert_string_equal(lk_trace_proc_label(t->tr, 0), "main");
	assert_string_equal(t->tr->procs[0].program, "");
	assert_string_equal(lk_trace_proc_label(t->tr, 1), "main.1 (wc)");
	assert_string_equal(t->tr->procs[1].name, "main.1");
	assert_string_equal(lk_trace_proc_label(t->tr, 2), "wc");
	assert_string_equal(t->tr->procs[2].program, "wc");
	svg = slurp(must_render(t, NULL, "program-key", "svg"), &len);
	assert_non_null(svg);
	s = svg_read(must_render(t, NULL, "program-key", "svg"));
	if (!strstr(s.text, "\nmain.1 (wc)\n") || strstr(s.text, "wc (wc)"))
		fail_msg("no head main.1 (wc) in:\n%s", s.text);
	assert_non_null(strstr(svg, "id=\"proc:main.1\""));
	assert_non_null(strstr(svg, "id=\"lifeline:main.1\""));
	free(svg);
	free(s.text);
	lk_viz_free(t);

	/* No key: the last execve that went on; a failed one undoes. */
	hand_end(&h,
	         "{\"name\":\"main\",\"parent\":null},"
	         "{\"name\":\"main.1\",\"parent\":\"main\"},"
	         "{\"name\":\"main.2\",\"parent\":\"main\"}",
	         "{\"name\":\"p\",\"type\":\"pipe\"}", "deadlock",
	         "\"main.1\":\"p\"", "");
	hand_event(&h, "main", "execve", NULL, 0, 0, 0, "\"main\":1",
	           "\"path\":\"/bin/sh\"");
	hand_event(&h, "main", "fork", NULL, 1, 0, 0, "\"main\":2",
	           "\"child\":\"main.1\"");
	hand_event(&h, "main", "fork", NULL, 2, 0, 0, "\"main\":3",
	           "\"child\":\"main.2\"");
	hand_event(&h, "main.1", "start", NULL, 0, 0, 0,
	           "\"main\":2,\"main.1\":1", "\"parent\":\"main\"");
	hand_event(&h, "main.2", "start", NULL, 0, 0, 0,
	           "\"main\":3,\"main.2\":1", "\"parent\":\"main\"");
	hand_event(&h, "main.2", "execve", NULL, 0, 0, 0,
	           "\"main\":3,\"main.2\":2", "\"path\":\"/usr/bin/cat\"");
	hand_event(&h, "main.2", "execve", NULL, 0, 0, 0,
	           "\"main\":3,\"main.2\":3", "\"path\":\"/x/nothere\"");
	hand_event(&h, "main.1", "execve", NULL, 0, 0, 0,
	           "\"main\":2,\"main.1\":2", "\"path\":\"/usr/bin/wc\"");
	hand_event(&h, "main.2", "execve", NULL, -1, 2, 0,
	           "\"main\":3,\"main.2\":4", "\"path\":\"/x/nothere\"");
	hand_event(&h, "main", "execve", NULL, -1, 13, 0, "\"main\":4",
	           "\"path\":\"/x/refused\"");
	hand_event(&h, "main.1", "read", "p", -1, 11, 1,
	           "\"main\":2,\"main.1\":3", "\"fd\":0");
	t = must_read(write_file("program-events.jsonl", h.text));
	assert_string_equal(lk_trace_proc_label(t->tr, 0), "main (sh)");
	assert_string_equal(lk_trace_proc_label(t->tr, 1), "main.1 (wc)");
	assert_string_equal(lk_trace_proc_label(t->tr, 2), "main.2 (cat)");
	s = svg_read(must_render(t, NULL, "program-events", "svg"));
	if (!strstr(s.text, "deadlock: main.1 (wc) waits for data or end of "
	                    "file on p\n") ||
	    !strstr(s.text, "\nmain.2 (cat)\n") ||
	    !strstr(s.text, "\nmain (sh)\n"))
		fail_msg("no heads or caption with programs in:\n%s", s.text);
	free(s.text);
	lk_viz_free(t);

	/* "program" must be a string when it is there. */
	hand_start(&h, "{\"name\":\"A\",\"parent\":null,\"program\":3}", "");
	{
		struct lk_err err = {0};
		const char *path = write_file("program-bad.jsonl", h.text);

		t = NULL;
		assert_int_equal(lk_viz_read(path, &t, &err), -1);
		assert_null(t);
		if (!strstr(err.msg, ":1: \"program\" must be a string"))
			fail_msg("message: %s", err.msg);
	}
}

/* The real lockstep on echo hello | wc: the trace's "program" reaches
 * the diagram's head. */
static void
test_viz_program_heads_run(void **state)
{
	char tp[1280];
	char *argv[] = {(char *)LK_BUILD_DIR "/lockstep",
	                (char *)"run",
	                (char *)"-q",
	                (char *)"--trace",
	                tp,
	                (char *)"--",
	                (char *)"sh",
	                (char *)"-c",
	                (char *)"echo hello | wc",
	                NULL};
	struct lk_viz_trace *t;
	struct svg s;

	(void)state;
	snprintf(tp, sizeof(tp), "%s/echo-wc.jsonl", dir);
	assert_int_equal(run(argv), 0);
	t = must_read(tp);
	assert_int_equal(t->tr->nprocs, 3);
	assert_string_equal(lk_trace_proc_label(t->tr, 0), "main");
	assert_string_equal(lk_trace_proc_label(t->tr, 1), "main.1");
	assert_string_equal(lk_trace_proc_label(t->tr, 2), "main.2 (wc)");
	s = svg_read(must_render(t, NULL, "echo-wc", "svg"));
	if (!strstr(s.text, "\nmain.2 (wc)\n"))
		fail_msg("no head main.2 (wc) in:\n%s", s.text);
	free(s.text);
	lk_viz_free(t);
}

/* The trace part's reader gives back what lockstep wrote: reading each
 * trace of every shipped scenario and writing it again with
 * lk_trace_write gives the same bytes, clocks and all; and every edge
 * viz draws (lk_trace_edges) is a happens-before relation of those
 * clocks, between two processes. */
static void
test_trace_read_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < ntraces; i++) {
		struct lk_trace *t = NULL;
		struct lk_err err = {0};
		size_t len = 0, n = 0, nd = 0;
		char *want = slurp(traces[i].path, &len), *got = NULL;
		struct lk_hb_edge *d = NULL;
		FILE *m;

		assert_non_null(want);
		if (lk_trace_read(traces[i].path, &t, &err) != 0)
			fail_msg("lk_trace_read %s: %s", traces[i].path,
			         err.msg);
		assert_non_null(m = open_memstream(&got, &n));
		assert_int_equal(lk_trace_write(t, m), 0);
		assert_int_equal(fclose(m), 0);
		if (n != len || memcmp(got, want, len) != 0)
			fail_msg("%s: written back differently",
			         traces[i].name);
		assert_int_equal(lk_trace_edges(t, &d, &nd), 0);
		for (size_t k = 0; k < nd; k++)
			if (!lk_trace_hb(t, d[k].from, d[k].to) ||
			    t->ev[d[k].from].proc == t->ev[d[k].to].proc)
				fail_msg("%s: edge %zu -> %zu is no "
				         "happens-before of its clocks",
				         traces[i].name, d[k].from, d[k].to);
		free(d);
		free(got);
		free(want);
		lk_trace_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_viz_render_all_formats),
	        cmocka_unit_test(test_viz_svg_counts),
	        cmocka_unit_test(test_viz_rendezvous_arrows),
	        cmocka_unit_test(test_viz_stable_output),
	        cmocka_unit_test(test_viz_deadlock_caption),
	        cmocka_unit_test(test_viz_bad_traces),
	        cmocka_unit_test(test_trace_read_round_trip),
	        cmocka_unit_test(test_viz_unknown_ops_and_fork),
	        cmocka_unit_test(test_viz_hostile_traces),
	        cmocka_unit_test(test_viz_unknown_format),
	        cmocka_unit_test(test_viz_options),
	        cmocka_unit_test(test_viz_themes),
	        cmocka_unit_test(test_viz_frames),
	        cmocka_unit_test(test_viz_time_axis),
	        cmocka_unit_test(test_viz_pipe_two_writes_one_read),
	        cmocka_unit_test(test_viz_pipe_large_write),
	        cmocka_unit_test(test_viz_pipe_eof),
	        cmocka_unit_test(test_viz_semop_arrows),
	        cmocka_unit_test(test_viz_fifo_open_arrows),
	        cmocka_unit_test(test_viz_waitpid_target),
	        cmocka_unit_test(test_viz_window_cut_arrows),
	        cmocka_unit_test(test_viz_thread_lanes),
	        cmocka_unit_test(test_viz_signals),
	        cmocka_unit_test(test_viz_ipc_labels),
	        cmocka_unit_test(test_viz_pipe_signal_program),
	        cmocka_unit_test(test_viz_lock_arrows),
	        cmocka_unit_test(test_viz_file_lock_scenario),
	        cmocka_unit_test(test_viz_legend_only_drawn),
	        cmocka_unit_test(test_viz_window_stuck),
	        cmocka_unit_test(test_viz_blocked_captions),
	        cmocka_unit_test(test_viz_label_sides),
	        cmocka_unit_test(test_viz_render_help),
	        cmocka_unit_test(test_viz_program_heads),
	        cmocka_unit_test(test_viz_program_heads_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
