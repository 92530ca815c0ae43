/*
 * End-to-end tests of lockstep: run the shipped scenarios for real and
 * check exit statuses, traces, the files the processes wrote, the reports
 * of bad input and bad usage, and that no run leaves anything in /dev/shm.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <glob.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/options.h"
#include "e2e.h"

#define NS_PER_S   1000000000LL
#define RENDEZVOUS "scenarios/rendezvous.xml"
#define DEADLOCK   "scenarios/deadlock-order.xml"
#define MUTEX      "scenarios/mutex-writers.xml"
#define UNSYNC     "scenarios/unsync-writers.xml"
#define CLEAN_RUNS "01234567890123456789012345678901234567890123456789"

/* What every test gets: a temporary directory of its own. */
struct fixture {
	char *dir;
};

/* The keys of a trace event, in the order the format promises. */
static const char *const ev_keys[] = {
        "step",    "proc", "op", "obj", "ret", "errno",
        "blocked", "vc",   "vt", "src", "act", "args",
};

/* Give the test a fresh temporary directory. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->dir = e2e_tempdir()) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Remove the directory; fail if any run left objects in /dev/shm. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	int left = e2e_shm_leftovers();

	e2e_rmtree(f->dir);
	free(f->dir);
	free(f);
	if (left != 0)
		print_error("%d lockstep objects left in /dev/shm\n", left);
	return left == 0 ? 0 : -1;
}

/* Fail unless the run exited with status and left nothing behind. */
static void
expect_exit(const struct e2e_result *r, int status)
{
	if (r->timed_out)
		fail_msg("lockstep ran longer than %d s", E2E_TIMEOUT_S);
	if (r->status != status)
		fail_msg("exit status %d, expected %d\n--- stdout:\n%s\n"
		         "--- stderr:\n%s",
		         r->status, status, r->out, r->err);
	if (r->leftovers != 0)
		fail_msg("the run left %d objects in /dev/shm", r->leftovers);
}

/* Member k of o, which must be an integer. */
static json_int_t
jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", k);
	return json_integer_value(v);
}

/* Member k of o as a string; NULL when it is not one. */
static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Is s equal to the string member k of o? */
static int
jis(const json_t *o, const char *k, const char *s)
{
	const char *v = jstr(o, k);

	return v != NULL && strcmp(v, s) == 0;
}

/* Counter of process p in vector clock vc (omitted entries are 0). */
static json_int_t
vc_get(const json_t *vc, const char *p)
{
	json_t *v = json_object_get(vc, p);

	return v != NULL ? json_integer_value(v) : 0;
}

/* Is vector clock a <= b, component-wise? */
static int
vc_leq(json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
	{
		if (json_integer_value(v) > vc_get(b, k))
			return 0;
	}
	return 1;
}

/* Is the name in the "name" member of one of the array's objects? */
static const json_t *
find_named(const json_t *arr, const char *name)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
	{
		if (jis(o, "name", name))
			return o;
	}
	return NULL;
}

/* Does word occur in text, not as part of a longer name? */
static int
has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p != NULL;
	     p = strstr(p + 1, word)) {
		int before = p > text && (isalnum((unsigned char)p[-1]) ||
		                          p[-1] == '_' || p[-1] == '.');
		int after = isalnum((unsigned char)p[n]) || p[n] == '_';

		if (!before && !after)
			return 1;
	}
	return 0;
}

/* The lines of a scenario file, kept to check the events' src. */
struct xml_lines {
	char *text;
	char **line; /* line[1] is the first line */
	long n;
};

/* Read the scenario file (relative to the source directory). */
static void
xml_load(struct xml_lines *x, const char *file)
{
	char *path =
	        file[0] == '/' ? strdup(file) : e2e_path(LK_SOURCE_DIR, file);
	char *p;

	x->text = e2e_read_file(path, NULL);
	free(path);
	assert_non_null(x->text);
	x->n = 0;
	for (p = x->text; *p != '\0'; p++)
		x->n += *p == '\n';
	x->line = calloc((size_t)x->n + 2, sizeof(*x->line));
	assert_non_null(x->line);
	x->n = 0;
	for (p = x->text; *p != '\0';) {
		char *nl = strchr(p, '\n');

		x->line[++x->n] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
}

/* Free the lines. */
static void
xml_free(struct xml_lines *x)
{
	free(x->line);
	free(x->text);
}

/* Fail for event step unless the XML line src contains all of parts. */
static void
src_has(const struct xml_lines *x, json_int_t src, size_t step, const char *a,
        const char *b)
{
	const char *line = src >= 1 && src <= x->n ? x->line[src] : "";

	if (strstr(line, a) == NULL || (b != NULL && strstr(line, b) == NULL))
		fail_msg("step %zu: src %lld is \"%s\", expected it to hold "
		         "%s%s",
		         step, (long long)src, line, a, b != NULL ? b : "");
}

/* Check an event's act against its op, args and XML line. */
static void
check_act(const struct xml_lines *x, json_t *ev, size_t step)
{
	const char *act = jstr(ev, "act"), *op = jstr(ev, "op");
	const char *obj = jstr(ev, "obj");
	json_t *args = json_object_get(ev, "args");
	json_int_t src = jint(ev, "src");
	char want[512];

	if (strcmp(act, "print") == 0 || strcmp(act, "write") == 0) {
		const char *data = jstr(args, "data");
		int print = strcmp(act, "print") == 0;
		size_t len;

		if (strcmp(op, "write") != 0 || data == NULL || obj == NULL)
			fail_msg("step %zu: a %s must be a write with data",
			         step, act);
		len = strlen(data);
		if (!json_is_integer(json_object_get(args, "fd")))
			fail_msg("step %zu: a %s has no args.fd", step, act);
		if (jint(ev, "ret") != (json_int_t)len)
			fail_msg("step %zu: wrote %lld of %zu bytes", step,
			         (long long)jint(ev, "ret"), len);
		if (print) {
			if (strcmp(obj, "stdout") != 0 ||
			    jint(args, "fd") != 1 || len == 0 ||
			    data[len - 1] != '\n')
				fail_msg("step %zu: a print is \"TEXT\\n\" on "
				         "stdout",
				         step);
			snprintf(want, sizeof(want), "<print>%.*s</print>",
			         (int)len - 1, data);
			src_has(x, src, step, want, NULL);
		} else {
			snprintf(want, sizeof(want), "file=\"%s\"", obj);
			src_has(x, src, step, "<write ", want);
			snprintf(want, sizeof(want), ">%s</write>", data);
			src_has(x, src, step, want, NULL);
		}
	} else if (strcmp(act, "sleep") == 0) {
		if (strcmp(op, "sleep") != 0 || jint(args, "ns") <= 0)
			fail_msg("step %zu: a sleep needs args.ns", step);
		src_has(x, src, step, "<sleep ", NULL);
	} else if (strcmp(act, "post") == 0 || strcmp(act, "wait") == 0 ||
	           strcmp(act, "trywait") == 0) {
		snprintf(want, sizeof(want), "sem_%s", act);
		if (strcmp(op, want) != 0 || obj == NULL)
			fail_msg("step %zu: act %s but op %s", step, act, op);
		snprintf(want, sizeof(want), "<%s ", act);
		src_has(x, src, step, want, NULL);
		snprintf(want, sizeof(want), "sem=\"%s\"", obj);
		src_has(x, src, step, want, NULL);
	} else {
		fail_msg("step %zu: unknown act \"%s\"", step, act);
	}
}

/* Check the header line against what the run was asked to do. */
static void
check_header(const json_t *h, const char *scenario, const char *file,
             const char *strategy, json_int_t seed)
{
	size_t i;
	json_t *o;

	assert_int_equal(jint(h, "lockstep_trace"), 1);
	assert_true(jis(h, "scenario", scenario));
	assert_true(jis(h, "file", file));
	assert_true(jis(h, "strategy", strategy));
	assert_int_equal(jint(h, "seed"), seed);
	assert_true(json_array_size(json_object_get(h, "procs")) > 0);
	json_array_foreach(json_object_get(h, "procs"), i, o)
	{
		json_t *parent = json_object_get(o, "parent");

		assert_non_null(jstr(o, "name"));
		assert_true(json_is_null(parent) || json_is_string(parent));
	}
	json_array_foreach(json_object_get(h, "objects"), i, o)
	{
		assert_non_null(jstr(o, "name"));
		assert_non_null(jstr(o, "type"));
	}
}

/* Check that the event's keys are exactly ev_keys, in order. */
static void
check_keys(json_t *ev, size_t step)
{
	void *it = json_object_iter(ev);

	for (size_t i = 0; i < sizeof(ev_keys) / sizeof(ev_keys[0]); i++) {
		if (it == NULL || strcmp(json_object_iter_key(it), ev_keys[i]))
			fail_msg("step %zu: key %zu is \"%s\", expected \"%s\"",
			         step, i,
			         it != NULL ? json_object_iter_key(it) : "",
			         ev_keys[i]);
		it = json_object_iter_next(ev, it);
	}
	if (it != NULL)
		fail_msg("step %zu: unexpected key \"%s\"", step,
		         json_object_iter_key(it));
}

/* Check an event's types and names against the header. */
static void
check_fields(const json_t *h, json_t *ev, size_t step)
{
	json_t *obj = json_object_get(ev, "obj");
	json_t *vc = json_object_get(ev, "vc");
	json_t *src = json_object_get(ev, "src");
	json_t *act = json_object_get(ev, "act");
	const char *k;
	json_t *v;

	check_keys(ev, step);
	if (jint(ev, "step") != (json_int_t)step)
		fail_msg("event %zu has step %lld", step,
		         (long long)jint(ev, "step"));
	if (jstr(ev, "proc") == NULL ||
	    find_named(json_object_get(h, "procs"), jstr(ev, "proc")) == NULL)
		fail_msg("step %zu: proc is not a declared process", step);
	if (jstr(ev, "op") == NULL || *jstr(ev, "op") == '\0')
		fail_msg("step %zu: no op", step);
	if (!json_is_null(obj) && (!json_is_string(obj) ||
	                           find_named(json_object_get(h, "objects"),
	                                      json_string_value(obj)) == NULL))
		fail_msg("step %zu: obj is not an object of the header", step);
	jint(ev, "ret");
	jint(ev, "errno");
	if (!json_is_boolean(json_object_get(ev, "blocked")))
		fail_msg("step %zu: blocked is not a boolean", step);
	if (!json_is_object(vc))
		fail_msg("step %zu: vc is not an object", step);
	json_object_foreach(vc, k, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    find_named(json_object_get(h, "procs"), k) == NULL)
			fail_msg("step %zu: vc entry %s is not a positive "
			         "counter of a process",
			         step, k);
	}
	if (jint(ev, "vt") < 0)
		fail_msg("step %zu: negative vt", step);
	if (!(json_is_null(src) && json_is_null(act)) &&
	    !(json_is_integer(src) && json_is_string(act)))
		fail_msg("step %zu: src and act must both be set or null",
		         step);
	if (!json_is_object(json_object_get(ev, "args")))
		fail_msg("step %zu: args is not an object", step);
}

/* Is op a semaphore wait (which can block and acquires)? */
static int
is_wait(const char *op)
{
	return strcmp(op, "sem_wait") == 0 || strcmp(op, "sem_trywait") == 0 ||
	       strcmp(op, "sem_timedwait") == 0;
}

/* Check ev against the previous event prev of the same process. */
static void
check_order(json_t *prev, json_t *ev, size_t step)
{
	const char *p = jstr(ev, "proc");
	json_t *vc = json_object_get(ev, "vc");

	if (prev == NULL) {
		if (vc_get(vc, p) < 1)
			fail_msg("step %zu: %s's own counter is 0", step, p);
		return;
	}
	if (jis(prev, "op", "exit"))
		fail_msg("step %zu: %s acts after its exit", step, p);
	if (vc_get(vc, p) <= vc_get(json_object_get(prev, "vc"), p))
		fail_msg("step %zu: %s's counter does not increase", step, p);
	if (!vc_leq(json_object_get(prev, "vc"), vc))
		fail_msg("step %zu: %s's clock went back", step, p);
	if (json_is_true(json_object_get(prev, "blocked")) &&
	    (!json_equal(json_object_get(prev, "op"),
	                 json_object_get(ev, "op")) ||
	     !json_equal(json_object_get(prev, "obj"),
	                 json_object_get(ev, "obj")) ||
	     !json_equal(json_object_get(prev, "src"),
	                 json_object_get(ev, "src"))))
		fail_msg("step %zu: %s blocked, then did something else than "
		         "retry",
		         step, p);
}

/*
 * Check the happens-before of a successful wait at index i: it comes after
 * every earlier post on its semaphore by another process. Returns the
 * number of such posts.
 */
static int
check_hb(const json_t *t, size_t i)
{
	json_t *w = json_array_get(t, i);
	int pairs = 0;

	if (!is_wait(jstr(w, "op")) ||
	    json_is_true(json_object_get(w, "blocked")) || jint(w, "ret") != 0)
		return 0;
	for (size_t j = 1; j < i; j++) {
		json_t *p = json_array_get(t, j);

		if (!jis(p, "op", "sem_post") || jint(p, "ret") != 0 ||
		    !json_equal(json_object_get(p, "obj"),
		                json_object_get(w, "obj")) ||
		    jis(p, "proc", jstr(w, "proc")))
			continue;
		if (!vc_leq(json_object_get(p, "vc"), json_object_get(w, "vc")))
			fail_msg("step %zu (%s) is not HB-after the post of "
			         "step %zu (%s)",
			         i - 1, jstr(w, "proc"), j - 1,
			         jstr(p, "proc"));
		pairs++;
	}
	return pairs;
}

/*
 * Check every promise of the trace format on t (the header, then one event
 * per step) for a run of file; returns the number of (post, wait) pairs
 * found ordered by happens-before.
 */
static int
check_trace(const json_t *t, const char *scenario, const char *file,
            const char *strategy, json_int_t seed)
{
	const json_t *h = json_array_get(t, 0);
	json_t *last = json_object();
	struct xml_lines x;
	json_int_t vt = 0;
	int pairs = 0;

	assert_non_null(h);
	check_header(h, scenario, file, strategy, seed);
	xml_load(&x, file);
	for (size_t i = 1; i < json_array_size(t); i++) {
		json_t *ev = json_array_get(t, i);
		const char *p;

		check_fields(h, ev, i - 1);
		p = jstr(ev, "proc");
		if (jint(ev, "vt") < vt)
			fail_msg("step %zu: virtual time went back", i - 1);
		vt = jint(ev, "vt");
		if (!json_is_null(json_object_get(ev, "act")))
			check_act(&x, ev, i - 1);
		if (jis(ev, "op", "exit"))
			jint(json_object_get(ev, "args"), "status");
		if (json_is_true(json_object_get(ev, "blocked")) &&
		    !is_wait(jstr(ev, "op")))
			fail_msg("step %zu: a %s cannot block", i - 1,
			         jstr(ev, "op"));
		check_order(json_object_get(last, p), ev, i - 1);
		json_object_set(last, p, ev);
		pairs += check_hb(t, i);
	}
	json_decref(last);
	xml_free(&x);
	return pairs;
}

/* The last event of process p in t, or NULL. */
static json_t *
last_of(const json_t *t, const char *p)
{
	for (size_t i = json_array_size(t); i-- > 1;)
		if (jis(json_array_get(t, i), "proc", p))
			return json_array_get(t, i);
	return NULL;
}

/* Step of the print of text ("A1"), -1 if none; counts prints in *n. */
static long
print_step(const json_t *t, const char *text, int *n)
{
	long at = -1;
	char data[64];

	snprintf(data, sizeof(data), "%s\n", text);
	*n = 0;
	for (size_t i = 1; i < json_array_size(t); i++) {
		json_t *ev = json_array_get(t, i);

		if (!jis(ev, "act", "print"))
			continue;
		(*n)++;
		if (at < 0 && jis(json_object_get(ev, "args"), "data", data))
			at = (long)i - 1;
	}
	return at;
}

/* Check the prints of a rendezvous: four, each arrival before the
 * other's departure. */
static void
check_rendezvous_prints(const json_t *t)
{
	int n;
	long a1 = print_step(t, "A1", &n), a2 = print_step(t, "A2", &n);
	long b1 = print_step(t, "B1", &n), b2 = print_step(t, "B2", &n);

	assert_int_equal(n, 4);
	assert_true(a1 >= 0 && a2 >= 0 && b1 >= 0 && b2 >= 0);
	assert_true(a1 < b2);
	assert_true(b1 < a2);
}

/* Virtual time of the last event of t. */
static json_int_t
last_vt(const json_t *t)
{
	assert_true(json_array_size(t) > 1);
	return jint(json_array_get(t, json_array_size(t) - 1), "vt");
}

/* A rendezvous under the default strategy: exit 0, a complete and
 * consistent trace, both waits HB-after the other's post. */
static void
test_rendezvous_trace_is_consistent(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");
	struct e2e_result r;
	json_t *t, *h, *procs, *blocked = NULL;
	int retried = 0;

	E2E_LOCKSTEP(&r, "run", RENDEZVOUS, "--trace", trace);
	expect_exit(&r, 0);
	assert_non_null(strstr(r.out, "A1"));
	assert_non_null(strstr(r.out, "B2"));
	t = e2e_trace_load(trace);
	assert_non_null(t);
	assert_int_equal(check_trace(t, "rendezvous", RENDEZVOUS, "default", 0),
	                 2);
	h = json_array_get(t, 0);
	procs = json_object_get(h, "procs");
	assert_int_equal(json_array_size(procs), 2);
	assert_true(jis(json_array_get(procs, 0), "name", "A"));
	assert_true(jis(json_array_get(procs, 1), "name", "B"));
	assert_true(json_is_null(
	        json_object_get(json_array_get(procs, 0), "parent")));
	assert_true(json_is_null(
	        json_object_get(json_array_get(procs, 1), "parent")));
	assert_true(jis(find_named(json_object_get(h, "objects"), "a_arrived"),
	                "type", "sem"));
	assert_true(jis(find_named(json_object_get(h, "objects"), "b_arrived"),
	                "type", "sem"));
	check_rendezvous_prints(t);
	/* The default strategy runs A until it blocks on b_arrived. */
	for (size_t i = 1; i < json_array_size(t); i++) {
		json_t *ev = json_array_get(t, i);

		if (json_is_true(json_object_get(ev, "blocked")) &&
		    blocked == NULL)
			blocked = ev;
		else if (blocked != NULL && jis(ev, "op", "sem_wait") &&
		         jis(ev, "proc", jstr(blocked, "proc")) &&
		         json_is_false(json_object_get(ev, "blocked")) &&
		         jint(ev, "ret") == 0)
			retried = 1;
	}
	assert_non_null(blocked);
	assert_true(jis(blocked, "op", "sem_wait"));
	assert_true(retried);
	assert_true(jis(last_of(t, "A"), "op", "exit"));
	assert_true(jis(last_of(t, "B"), "op", "exit"));
	assert_int_equal(
	        jint(json_object_get(last_of(t, "A"), "args"), "status"), 0);
	json_decref(t);
	e2e_result_free(&r);
	free(trace);
}

/* The rendezvous under ten random schedules keeps every promise. */
static void
test_rendezvous_random_seeds(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");

	for (int s = 0; s < 10; s++) {
		struct e2e_result r;
		char seed[16];
		json_t *t;

		snprintf(seed, sizeof(seed), "%d", s);
		E2E_LOCKSTEP(&r, "run", RENDEZVOUS, "--seed", seed, "--trace",
		             trace, "-q");
		expect_exit(&r, 0);
		t = e2e_trace_load(trace);
		assert_non_null(t);
		assert_int_equal(
		        check_trace(t, "rendezvous", RENDEZVOUS, "random", s),
		        2);
		check_rendezvous_prints(t);
		json_decref(t);
		e2e_result_free(&r);
	}
	free(trace);
}

/* The line of text holding needle, copied into buf ("" if none). */
static const char *
line_with(const char *text, const char *needle, char *buf, size_t size)
{
	const char *p = strstr(text, needle), *start, *end;

	buf[0] = '\0';
	if (p == NULL)
		return buf;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	snprintf(buf, size, "%.*s", (int)(end - start), start);
	return buf;
}

/* Fail unless the report of the deadlock names its cycle. */
static void
check_deadlock_report(const struct e2e_result *r)
{
	char *all, cycle[512];

	if (asprintf(&all, "%s\n%s", r->out, r->err) < 0)
		abort();
	assert_true(has_word(all, "a_arrived"));
	assert_true(has_word(all, "b_arrived"));
	line_with(all, "cycle", cycle, sizeof(cycle));
	if (!has_word(cycle, "A") || !has_word(cycle, "B"))
		fail_msg("no cycle through A and B in:\n%s", all);
	free(all);
}

/* deadlock-order: exit 3, the cycle explained, both processes blocked at
 * the end of a trace that is still written. */
static void
test_deadlock_order_is_reported(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");
	struct e2e_result r;
	json_t *a, *b, *t;
	int n;

	E2E_LOCKSTEP(&r, "run", DEADLOCK, "--trace", trace);
	expect_exit(&r, 3);
	check_deadlock_report(&r);
	t = e2e_trace_load(trace);
	assert_non_null(t);
	check_trace(t, "deadlock-order", DEADLOCK, "default", 0);
	a = last_of(t, "A");
	b = last_of(t, "B");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_is_true(json_object_get(a, "blocked")));
	assert_true(json_is_true(json_object_get(b, "blocked")));
	assert_true(jis(a, "op", "sem_wait") && jis(a, "obj", "b_arrived"));
	assert_true(jis(b, "op", "sem_wait") && jis(b, "obj", "a_arrived"));
	assert_true(print_step(t, "A2", &n) < 0);
	assert_int_equal(n, 2);
	json_decref(t);
	e2e_result_free(&r);

	/* Quiet, the explanation is all there is to name the processes. */
	E2E_LOCKSTEP(&r, "run", DEADLOCK, "-q", "--seed", "5");
	expect_exit(&r, 3);
	check_deadlock_report(&r);
	e2e_result_free(&r);
	free(trace);
}

/* A temporary path dir/<stem><n><ext>, malloc'd. */
static char *
numbered(const char *dir, const char *stem, int n, const char *ext)
{
	char *p;

	if (asprintf(&p, "%s/%s%d%s", dir, stem, n, ext) < 0)
		abort();
	return p;
}

/* The data of the successful writes of t to obj, in step order. */
static char *
written(const json_t *t, const char *obj)
{
	size_t n = 0;
	char *s = calloc(1, 1);

	for (size_t i = 1; i < json_array_size(t) && s != NULL; i++) {
		json_t *ev = json_array_get(t, i);
		const char *data = jstr(json_object_get(ev, "args"), "data");

		if (!jis(ev, "op", "write") || !jis(ev, "obj", obj) ||
		    data == NULL || jint(ev, "ret") < 0)
			continue;
		s = realloc(s, n + strlen(data) + 1);
		if (s != NULL)
			n += (size_t)sprintf(s + n, "%s", data);
	}
	assert_non_null(s);
	return s;
}

/* Run scenario with seed s, workdir dir/w<s> and trace dir/t<s>.jsonl;
 * returns the trace, the file out.txt in *out, which must hold what the
 * trace says was written to it. */
static json_t *
run_writers(const char *dir, const char *scenario, int s, char **out)
{
	char *wd = numbered(dir, "w", s, "");
	char *trace = numbered(dir, "t", s, ".jsonl"), *file, *data;
	char seed[16];
	struct e2e_result r;
	json_t *t;

	snprintf(seed, sizeof(seed), "%d", s);
	assert_int_equal(mkdir(wd, 0700), 0);
	E2E_LOCKSTEP(&r, "run", scenario, "--seed", seed, "--workdir", wd,
	             "--trace", trace, "-q");
	expect_exit(&r, 0);
	file = e2e_path(wd, "out.txt");
	*out = e2e_read_file(file, NULL);
	if (*out == NULL)
		fail_msg("seed %d: no %s", s, file);
	t = e2e_trace_load(trace);
	if (t == NULL)
		fail_msg("seed %d: no valid trace", s);
	data = written(t, "out");
	if (strcmp(data, *out) != 0)
		fail_msg("seed %d: out.txt is \"%s\", the trace wrote \"%s\"",
		         s, *out, data);
	free(data);
	e2e_result_free(&r);
	free(file);
	free(wd);
	free(trace);
	return t;
}

/* Seconds one writer of file sleeps: its <sleep for="1s"/> lines (every
 * sleep of the writer scenarios lasts one second). */
static int
writer_sleep_s(const char *file)
{
	struct xml_lines x;
	int n = 0;

	xml_load(&x, file);
	for (long i = 1; i <= x.n; i++) {
		if (strstr(x.line[i], "<sleep") == NULL)
			continue;
		assert_non_null(strstr(x.line[i], "<sleep for=\"1s\"/>"));
		n++;
	}
	xml_free(&x);
	assert_true(n > 0);
	return n;
}

/*
 * Check the virtual clock of t: n sleeps of one second, and every event of
 * a process no earlier than the sum of its own sleeps so far; exactly at
 * that sum when exact (a process that never waits for another).
 */
static void
check_clock(const json_t *t, int n, int exact)
{
	json_t *slept = json_object();
	int count = 0;

	for (size_t i = 1; i < json_array_size(t); i++) {
		json_t *ev = json_array_get(t, i);
		const char *p = jstr(ev, "proc");
		json_int_t own = json_integer_value(json_object_get(slept, p));

		if (jis(ev, "op", "sleep")) {
			assert_int_equal(
			        jint(json_object_get(ev, "args"), "ns"),
			        NS_PER_S);
			own += NS_PER_S;
			json_object_set_new(slept, p, json_integer(own));
			count++;
		}
		if (exact ? jint(ev, "vt") != own : jint(ev, "vt") < own)
			fail_msg(
			        "step %zu: %s at %lld ns, having slept %lld ns",
			        i - 1, p, (long long)jint(ev, "vt"),
			        (long long)own);
	}
	json_decref(slept);
	assert_int_equal(count, n);
}

/* mutex-writers under 20 seeds: five clean runs of digits, the writers'
 * sleeps one after the other on the virtual clock. */
static void
test_mutex_writers_serialise(void **state)
{
	struct fixture *f = *state;
	int sleep_s = writer_sleep_s(MUTEX);

	for (int s = 0; s < 20; s++) {
		char *out;
		json_t *t = run_writers(f->dir, MUTEX, s, &out);

		if (strcmp(out, CLEAN_RUNS) != 0)
			fail_msg("seed %d: out.txt is \"%s\"", s, out);
		/* Every writer but the first waited for another's post. */
		assert_true(check_trace(t, "mutex-writers", MUTEX, "random",
		                        s) >= 4);
		if (last_vt(t) != 5 * sleep_s * NS_PER_S)
			fail_msg("seed %d: ends at %lld ns, expected %d s", s,
			         (long long)last_vt(t), 5 * sleep_s);
		check_clock(t, 5 * sleep_s, 0);
		json_decref(t);
		free(out);
	}
}

/*
 * unsync-writers under 10 seeds: 50 digits, five of each, the writers'
 * sleeps side by side on the virtual clock, and the digits really
 * interleave: the seeds give at least two different files.
 */
static void
test_unsync_writers_interleave(void **state)
{
	struct fixture *f = *state;
	int sleep_s = writer_sleep_s(UNSYNC), differ = 0;
	char *first = NULL;

	for (int s = 0; s < 10; s++) {
		char *out;
		json_t *t = run_writers(f->dir, UNSYNC, s, &out);
		size_t len = strlen(out);
		int count[10] = {0};

		if (len != 50)
			fail_msg("seed %d: out.txt is \"%s\"", s, out);
		for (size_t i = 0; i < len; i++) {
			assert_true(out[i] >= '0' && out[i] <= '9');
			count[out[i] - '0']++;
		}
		for (int d = 0; d < 10; d++)
			assert_int_equal(count[d], 5);
		check_trace(t, "unsync-writers", UNSYNC, "random", s);
		if (last_vt(t) != sleep_s * NS_PER_S)
			fail_msg("seed %d: ends at %lld ns, expected %d s", s,
			         (long long)last_vt(t), sleep_s);
		check_clock(t, 5 * sleep_s, 1);
		if (first == NULL)
			first = out;
		else {
			differ |= strcmp(first, out) != 0;
			free(out);
		}
		json_decref(t);
	}
	if (!differ)
		fail_msg("every seed wrote \"%s\"", first);
	free(first);
}

/* Run scenario with the extra options into trace; return the trace's
 * bytes. */
static char *
trace_bytes(const char *scenario, const char *trace, const char *opt,
            const char *val, size_t *len)
{
	struct e2e_result r;
	char *bytes;

	unlink(trace);
	if (opt != NULL)
		E2E_LOCKSTEP(&r, "run", scenario, opt, val, "--trace", trace,
		             "-q");
	else
		E2E_LOCKSTEP(&r, "run", scenario, "--trace", trace, "-q");
	expect_exit(&r, 0);
	e2e_result_free(&r);
	bytes = e2e_read_file(trace, len);
	assert_non_null(bytes);
	assert_true(*len > 0);
	return bytes;
}

/* Same scenario, same seed (or the default strategy): the same bytes. */
static void
test_determinism_same_seed_same_trace(void **state)
{
	static const struct {
		const char *scenario, *opt, *val;
	} runs[] = {
	        {MUTEX, "--seed", "7"},
	        {UNSYNC, "--seed", "3"},
	        {RENDEZVOUS, NULL, NULL},
	        {MUTEX, "--strategy", "default"},
	};
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		size_t n1, n2;
		char *a = trace_bytes(runs[i].scenario, trace, runs[i].opt,
		                      runs[i].val, &n1);
		char *b = trace_bytes(runs[i].scenario, trace, runs[i].opt,
		                      runs[i].val, &n2);

		if (n1 != n2 || memcmp(a, b, n1) != 0)
			fail_msg("%s %s %s: two runs gave different traces",
			         runs[i].scenario,
			         runs[i].opt ? runs[i].opt : "",
			         runs[i].val ? runs[i].val : "");
		free(a);
		free(b);
	}
	free(trace);
}

/* LOCKSTEP_SPIN_US only changes how a waiting process waits: with no
 * spin, the default and a long one, the same bytes; nonsense is a usage
 * error naming the variable, with nothing run and nothing left. */
static void
test_spin_setting(void **state)
{
	static const char *const spins[] = {"0", "20", "500"};
	static const char *const bad[] = {"abc", "-1", "2000000", ""};
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl"), *first = NULL;
	size_t first_len = 0;

	for (size_t i = 0; i < sizeof(spins) / sizeof(spins[0]); i++) {
		size_t n;
		char *b;

		setenv("LOCKSTEP_SPIN_US", spins[i], 1);
		b = trace_bytes(MUTEX, trace, "--seed", "7", &n);
		if (first == NULL) {
			first = b;
			first_len = n;
			continue;
		}
		if (n != first_len || memcmp(first, b, n) != 0)
			fail_msg("LOCKSTEP_SPIN_US=%s: another trace than with "
			         "%s",
			         spins[i], spins[0]);
		free(b);
	}
	/* On one CPU nobody spins (a spinner could only delay the turn):
	 * the same bytes again. */
	{
		cpu_set_t all, one;
		size_t n;
		char *b;

		assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
		CPU_ZERO(&one);
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &all)) {
				CPU_SET(c, &one);
				break;
			}
		assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
		setenv("LOCKSTEP_SPIN_US", "20", 1);
		b = trace_bytes(MUTEX, trace, "--seed", "7", &n);
		assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
		if (n != first_len || memcmp(first, b, n) != 0)
			fail_msg("on one CPU: another trace than with %s",
			         spins[0]);
		free(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct e2e_result r;
		char want[64];

		setenv("LOCKSTEP_SPIN_US", bad[i], 1);
		E2E_LOCKSTEP(&r, "run", MUTEX, "-q");
		snprintf(want, sizeof(want),
		         "lockstep: LOCKSTEP_SPIN_US=%s:", bad[i]);
		if (r.status != 2 || r.outlen != 0 || r.leftovers != 0 ||
		    strstr(r.err, want) == NULL)
			fail_msg("LOCKSTEP_SPIN_US=%s: exit %d, expected 2 and "
			         "\"%s\"; stderr:\n%s",
			         bad[i], r.status, want, r.err);
		e2e_result_free(&r);
	}
	unsetenv("LOCKSTEP_SPIN_US");
	free(first);
	free(trace);
}

/* Different seeds give different schedules of unsync-writers. */
static void
test_determinism_seeds_differ(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl"), *first = NULL;
	int differ = 0;

	for (int s = 1; s <= 5; s++) {
		char seed[16], *bytes;
		size_t n;

		snprintf(seed, sizeof(seed), "%d", s);
		bytes = trace_bytes(UNSYNC, trace, "--seed", seed, &n);
		if (first == NULL)
			first = bytes;
		else {
			/* The headers differ by the seed: compare events. */
			if (strcmp(strchr(first, '\n'), strchr(bytes, '\n')))
				differ = 1;
			free(bytes);
		}
	}
	assert_true(differ);
	free(first);
	free(trace);
}

/* What a bad scenario's comment promises: the line and a substring. */
struct bad_expect {
	long line;
	char what[512];
};

/* Read "<!-- expect: LINE: SUBSTRING -->" near the top of path. */
static int
bad_expect_read(const char *path, struct bad_expect *x)
{
	char *text = e2e_read_file(path, NULL), *p, *end;
	int rc = -1;

	if (text == NULL)
		return -1;
	p = strstr(text, "<!-- expect: ");
	if (p != NULL && p - text < 400) {
		x->line = strtol(p + 13, &end, 10);
		p = end;
		end = strstr(p, " -->");
		if (x->line > 0 && strncmp(p, ": ", 2) == 0 && end != NULL &&
		    end - p - 2 < (long)sizeof(x->what)) {
			snprintf(x->what, sizeof(x->what), "%.*s",
			         (int)(end - p - 2), p + 2);
			rc = 0;
		}
	}
	free(text);
	return rc;
}

/* The bad scenarios, sorted, relative to the source directory. */
static glob_t
bad_files(void)
{
	glob_t g;

	assert_int_equal(chdir(LK_SOURCE_DIR), 0);
	assert_int_equal(glob("tests/bad/*.xml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 0);
	return g;
}

/* Does the report of a bad file name FILE:LINE: and the substring?
 * Prints what is wrong; returns 1 when all is well. */
static int
bad_report_ok(const struct e2e_result *r, const char *file,
              const struct bad_expect *x)
{
	char where[512];

	snprintf(where, sizeof(where), "%s:%ld: ", file, x->line);
	if (r->status == 2 && !r->timed_out && r->leftovers == 0 &&
	    strncmp(r->err, "lockstep: ", 10) == 0 &&
	    strstr(r->err, where) != NULL && strstr(r->err, x->what) != NULL)
		return 1;
	print_error("%s: exit %d, expected 2 with \"%s\" and \"%s\"; "
	            "stderr:\n%s\n",
	            file, r->status, where, x->what, r->err);
	return 0;
}

/* lockstep check on every bad scenario: exit 2, FILE:LINE: and the
 * promised reason. */
static void
test_check_bad_files(void **state)
{
	glob_t g = bad_files();
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *file = g.gl_pathv[i];
		struct bad_expect x;
		struct e2e_result r;

		if (bad_expect_read(file, &x) != 0) {
			print_error("%s: no expect comment\n", file);
			failed++;
			continue;
		}
		E2E_LOCKSTEP(&r, "check", file);
		if (!bad_report_ok(&r, file, &x) ||
		    strstr(r.out, ": ok") != NULL)
			failed++;
		e2e_result_free(&r);
	}
	globfree(&g);
	assert_int_equal(failed, 0);
}

/* lockstep run on every bad scenario (named by an absolute path): exit
 * 2 with the same report, nothing run, no trace written. */
static void
test_run_bad_files(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");
	glob_t g = bad_files();
	int failed = 0;

	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *file = e2e_path(LK_SOURCE_DIR, g.gl_pathv[i]);
		struct bad_expect x;
		struct e2e_result r;

		assert_int_equal(bad_expect_read(file, &x), 0);
		E2E_LOCKSTEP(&r, "run", file, "--trace", trace);
		if (!bad_report_ok(&r, file, &x))
			failed++;
		if (access(trace, F_OK) == 0 || r.outlen != 0) {
			print_error("%s: the run started (trace written or "
			            "stdout \"%s\")\n",
			            file, r.out);
			unlink(trace);
			failed++;
		}
		e2e_result_free(&r);
		free(file);
	}
	globfree(&g);
	free(trace);
	assert_int_equal(failed, 0);
}

/* Bad command lines: exit 2, only "lockstep: " messages naming the
 * culprit, nothing run. */
static void
test_usage_errors(void **state)
{
	static const struct {
		const char *args[8];
		const char *culprit;
	} cases[] = {
	        {{"frobnicate", NULL}, "frobnicate"},
	        {{"run", "--bogus", RENDEZVOUS, NULL}, "--bogus"},
	        {{"run", NULL}, "run"},
	        {{"run", RENDEZVOUS, "--seed", NULL}, "--seed"},
	        {{"run", RENDEZVOUS, "--seed", "abc", NULL}, "abc"},
	        {{"run", RENDEZVOUS, "--strategy", "nope", NULL}, "nope"},
	        {{"run", RENDEZVOUS, "--max-steps", "abc", NULL}, "abc"},
	        {{"check", NULL}, "check"},
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct e2e_result r;

		e2e_lockstep(&r, cases[i].args);
		if (r.status != 2 || r.outlen != 0 || r.leftovers != 0 ||
		    !e2e_lines_start_with(r.err, "lockstep: ") ||
		    strstr(r.err, cases[i].culprit) == NULL) {
			char line[256] = "lockstep";

			for (size_t a = 0; cases[i].args[a] != NULL; a++)
				snprintf(line + strlen(line),
				         sizeof(line) - strlen(line), " %s",
				         cases[i].args[a]);
			print_error("%s: exit %d, expected 2 and only "
			            "\"lockstep: \" lines naming %s; "
			            "stderr:\n%s\n",
			            line, r.status, cases[i].culprit, r.err);
			failed++;
		}
		e2e_result_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* lockstep check on the shipped scenarios: exit 0, a line each. */
static void
test_check_shipped_scenarios(void **state)
{
	const char *args[32] = {"check"};
	struct e2e_result r;
	const char *line;
	glob_t g;

	(void)state;
	assert_int_equal(chdir(LK_SOURCE_DIR), 0);
	assert_int_equal(glob("scenarios/*.xml", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4 && g.gl_pathc < 30);
	for (size_t i = 0; i < g.gl_pathc; i++)
		args[i + 1] = g.gl_pathv[i];
	e2e_lockstep(&r, args);
	expect_exit(&r, 0);
	line = r.out;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char want[512];

		snprintf(want, sizeof(want), "%s: ok", g.gl_pathv[i]);
		if (strncmp(line, want, strlen(want)) != 0)
			fail_msg("line %zu of:\n%s\nexpected \"%s\"", i + 1,
			         r.out, want);
		line = strchr(line, '\n');
		assert_non_null(line);
		line++;
	}
	assert_string_equal(line, "");
	assert_int_equal(r.errlen, 0);
	e2e_result_free(&r);
	globfree(&g);
}

/* --max-steps 5: exit 4, the limit named, a trace of exactly 5 events. */
static void
test_limits_max_steps(void **state)
{
	struct fixture *f = *state;
	char *trace = e2e_path(f->dir, "trace.jsonl");
	struct e2e_result r;
	json_t *t;

	E2E_LOCKSTEP(&r, "run", MUTEX, "--max-steps", "5", "--trace", trace);
	expect_exit(&r, 4);
	assert_non_null(strstr(r.err, "max-steps"));
	t = e2e_trace_load(trace);
	assert_non_null(t);
	assert_int_equal(json_array_size(t), 1 + 5);
	check_trace(t, "mutex-writers", MUTEX, "default", 0);
	json_decref(t);
	e2e_result_free(&r);
	free(trace);
}

/* --- the options of run, replay and explore (runner/cli/options.c) ------ */

static const unsigned commands[] = {LK_CMD_RUN, LK_CMD_REPLAY, LK_CMD_EXPLORE};

/* A value row o accepts (static storage). */
static const char *
good_value(const struct lk_cli_option *o)
{
	static char buf[64];

	switch (o->kind) {
	case LK_OPT_WORD:
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(o->words, " "),
		         o->words);
		return buf;
	case LK_OPT_COUNT:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->hi);
		return buf;
	case LK_OPT_U64:
		return "7";
	case LK_OPT_SECONDS:
		return "1.5";
	case LK_OPT_BYTES:
		return "64M";
	case LK_OPT_STATUS:
		return "any";
	case LK_OPT_SHARD:
		return "2/3";
	case LK_OPT_TEXT:
		return "some-file";
	default:
		return NULL;
	}
}

/* Does command cmd take an option called name (any row)? */
static int
takes(unsigned cmd, const char *name)
{
	for (size_t i = 0; i < lk_cli_noptions; i++)
		if ((lk_cli_options[i].cmds & cmd) &&
		    strcmp(lk_cli_options[i].name, name) == 0)
			return 1;
	return 0;
}

/* A strategy of cmd that reads option o ("random" for --runs), or
 * NULL when the command's default does (or o is for any strategy). */
static const char *
strategy_for(unsigned cmd, const struct lk_cli_option *o)
{
	unsigned deflt = cmd == LK_CMD_EXPLORE ? LK_ST_DFS : LK_ST_DEFAULT;

	if (o->strats == 0 || (o->strats & deflt))
		return NULL;
	return (o->strats & LK_ST_RANDOM) ? "random"
	       : (o->strats & LK_ST_PCT)  ? "pct"
	                                  : "dfs";
}

/* Parse CMD --name [value] in this process (with --strategy first when
 * the option needs one); the parser's return. */
static int
parse_one(unsigned cmd, const char *opt, const char *value,
          struct lk_cli_args *a, char *err, size_t size)
{
	const struct lk_cli_option *o = NULL;
	const char *st;
	char *argv[6] = {(char *)lk_cli_cmd_name(cmd)};
	int n = 1;

	for (size_t i = 0; i < lk_cli_noptions && o == NULL; i++)
		if (strcmp(lk_cli_options[i].name, opt + 2) == 0 &&
		    (lk_cli_options[i].cmds & cmd))
			o = &lk_cli_options[i];
	if (o != NULL && (st = strategy_for(cmd, o)) != NULL) {
		argv[n++] = "--strategy";
		argv[n++] = (char *)st;
	}
	argv[n++] = (char *)opt;
	if (value != NULL)
		argv[n++] = (char *)value;
	argv[n] = NULL;
	lk_cli_args_init(a);
	err[0] = '\0';
	return lk_cli_parse(cmd, n, argv, a, err, size);
}

/* Every row of the table, for every command: taken with a good value
 * (the value stored where the row says), refused with a bad or missing
 * one; refused by a command that does not take it, naming the command,
 * the option and who takes it. In this process, through lk_cli_parse. */
static void
test_options_parse_by_the_table(void **state)
{
	char err[1024], want[256], opt[64];
	struct lk_cli_args a;
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < lk_cli_noptions; i++) {
		const struct lk_cli_option *o = &lk_cli_options[i];

		snprintf(opt, sizeof(opt), "--%s", o->name);
		for (size_t c = 0; c < 3; c++) {
			unsigned cmd = commands[c];
			const char *name = lk_cli_cmd_name(cmd);
			const char *v = o->arg ? good_value(o) : NULL;
			int rc = parse_one(cmd, opt, v, &a, err, sizeof(err));
			/* Where the operand would be: after the command,
			 * --strategy S if any, the option and its value. */
			int operand = 2 + !!v + 2 * !!strategy_for(cmd, o);

			if (!(o->cmds & cmd)) {
				snprintf(want, sizeof(want),
				         "%s: option %s is for lockstep ", name,
				         opt);
				if (!takes(cmd, o->name) &&
				    (rc != 2 || strstr(err, want) == NULL)) {
					print_error(
					        "%s %s: %d \"%s\", expected "
					        "2 and \"%s\"\n",
					        name, opt, rc, err, want);
					failed++;
				}
				continue;
			}
			if (o->kind == LK_OPT_HELP
			            ? rc != LK_CLI_HELP
			            : rc != 0 || optind != operand ||
			                      !lk_cli_given(&a, o->name)) {
				print_error("%s %s %s: %d \"%s\", expected it "
				            "taken\n",
				            name, opt, v ? v : "", rc, err);
				failed++;
			}
			if (o->arg == NULL)
				continue;
			rc = parse_one(cmd, opt, NULL, &a, err, sizeof(err));
			snprintf(want, sizeof(want),
			         "%s: option '%s' needs a value", name, opt);
			if (rc != 2 || strstr(err, want) == NULL) {
				print_error("%s %s (no value): %d \"%s\"\n",
				            name, opt, rc, err);
				failed++;
			}
			if (o->kind == LK_OPT_TEXT)
				continue;
			rc = parse_one(cmd, opt, "bogus", &a, err, sizeof(err));
			snprintf(want, sizeof(want),
			         "%s: %s 'bogus': expected ", name, opt);
			if (rc != 2 || strstr(err, want) == NULL) {
				print_error("%s %s bogus: %d \"%s\"\n", name,
				            opt, rc, err);
				failed++;
			}
		}
	}
	assert_int_equal(failed, 0);
}

/* The values land where the commands read them. */
static void
test_options_values(void **state)
{
	char *argv[] = {"explore",
	                "--max-output",
	                "64M",
	                "--shard",
	                "2/3",
	                "--step-timeout",
	                "1.5",
	                "--expect-exit",
	                "any",
	                "-qj",
	                "4",
	                "--strategy",
	                "pct",
	                "--seed",
	                "18446744073709551615",
	                "scenarios/x.xml",
	                NULL};
	char *flag[] = {"explore", "--json=yes", NULL};
	char *amb[] = {"run", "--s", "x", NULL};
	char *other[] = {"run", "--jobs=2", NULL};
	char *short_other[] = {"replay", "-j", "2", NULL};
	char *abbrev[] = {"explore", "--time-l", "2", NULL};
	char err[1024];
	struct lk_cli_args a;

	(void)state;
	lk_cli_args_init(&a);
	assert_int_equal(
	        lk_cli_parse(LK_CMD_EXPLORE, 16, argv, &a, err, sizeof(err)),
	        0);
	assert_int_equal(a.max_output, 64ull << 20);
	assert_int_equal(a.shard.k, 1);
	assert_int_equal(a.shard.n, 3);
	assert_int_equal(a.step_timeout_ms, 1500);
	assert_int_equal(a.expect_exit, -1);
	assert_int_equal(a.quiet, 1);
	assert_int_equal(a.jobs, 4);
	assert_string_equal(a.strategy, "pct");
	assert_true(a.seed == UINT64_MAX);
	assert_true(lk_cli_given(&a, "seed"));
	assert_false(lk_cli_given(&a, "runs"));
	assert_int_equal(optind, 15);
	assert_string_equal(argv[optind], "scenarios/x.xml");
	/* A flag with a value; an abbreviation of two options. */
	assert_int_equal(
	        lk_cli_parse(LK_CMD_EXPLORE, 2, flag, &a, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "explore: option --json takes no value"));
	assert_int_equal(lk_cli_parse(LK_CMD_RUN, 3, amb, &a, err, sizeof(err)),
	                 2);
	assert_non_null(strstr(err, "run: option '--s' is ambiguous (--"));
	/* Another command's option by its name, as --name=value too. */
	assert_int_equal(
	        lk_cli_parse(LK_CMD_RUN, 2, other, &a, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "run: option --jobs is for lockstep "
	                            "explore, not run"));
	assert_int_equal(lk_cli_parse(LK_CMD_REPLAY, 3, short_other, &a, err,
	                              sizeof(err)),
	                 2);
	assert_non_null(strstr(err, "replay: option -j (--jobs) is for "
	                            "lockstep explore, not replay"));
	/* An abbreviation means what it means among the command's own:
	 * --time-l is explore's --time-limit (run has --timeout). */
	assert_int_equal(
	        lk_cli_parse(LK_CMD_EXPLORE, 3, abbrev, &a, err, sizeof(err)),
	        0);
	assert_int_equal(a.time_limit_ms, 2000);
}

/* The real binary agrees: each option a command takes gets past the
 * parser (the command then wants its operand: exit 2 for that, with no
 * word about the option), each one it does not take is refused, exit 2,
 * a "lockstep: " line naming the command and the option, nothing on
 * standard output. */
static void
test_options_through_lockstep(void **state)
{
	char want[256], opt[64];
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < lk_cli_noptions; i++) {
		const struct lk_cli_option *o = &lk_cli_options[i];

		snprintf(opt, sizeof(opt), "--%s", o->name);
		for (size_t c = 0; c < 3; c++) {
			unsigned cmd = commands[c];
			const char *name = lk_cli_cmd_name(cmd);
			const char *v = o->arg ? good_value(o) : NULL;
			struct e2e_result r;
			int ok;

			/* Each name once per command: its own row, or the
			 * first row when it takes none. */
			if (!(o->cmds & cmd) && takes(cmd, o->name))
				continue;
			if ((o->cmds & cmd) && o->kind == LK_OPT_HELP)
				continue;
			if ((o->cmds & cmd) && strategy_for(cmd, o) != NULL)
				E2E_LOCKSTEP(&r, name, "--strategy",
				             strategy_for(cmd, o), opt, v);
			else
				E2E_LOCKSTEP(&r, name, opt, v);
			snprintf(want, sizeof(want),
			         "lockstep: %s: option %s is for lockstep ",
			         name, opt);
			if (o->cmds & cmd)
				ok = r.status == 2 &&
				     strstr(r.err, "option") == NULL &&
				     strstr(r.err, "': expected") == NULL;
			else
				ok = r.status == 2 &&
				     strstr(r.err, want) != NULL;
			/* Nothing runs: no leftovers to count (another
			 * test's, in /dev/shm machine-wide, would be seen). */
			ok = ok && r.outlen == 0 &&
			     e2e_lines_start_with(r.err, "lockstep: ");
			if (!ok) {
				print_error("lockstep %s %s %s: exit %d, "
				            "stderr:\n%s\n",
				            name, opt, v ? v : "", r.status,
				            r.err);
				failed++;
			}
			e2e_result_free(&r);
		}
	}
	assert_int_equal(failed, 0);
}

/* Is there a line of text that starts with prefix followed by a space
 * or the line's end? */
static int
has_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = text; l != NULL && *l != '\0';) {
		if (strncmp(l, prefix, n) == 0 && (l[n] == ' ' || l[n] == '\n'))
			return 1;
		l = strchr(l, '\n');
		l = l != NULL ? l + 1 : NULL;
	}
	return 0;
}

/* lockstep help run|replay|explore lists every option the command
 * takes, with the first line of its help, and none it does not. */
static void
test_options_help_lists_every_option(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t c = 0; c < 3; c++) {
		unsigned cmd = commands[c];
		const char *name = lk_cli_cmd_name(cmd);
		struct e2e_result r;

		E2E_LOCKSTEP(&r, "help", name);
		assert_int_equal(r.status, 0);
		for (size_t i = 0; i < lk_cli_noptions; i++) {
			const struct lk_cli_option *o = &lk_cli_options[i];
			char head[96], first[96];
			int listed;

			if (o->short_name)
				snprintf(head, sizeof(head), "  -%c, --%s",
				         o->short_name, o->name);
			else
				snprintf(head, sizeof(head), "  --%s", o->name);
			listed = has_line(r.out, head);
			snprintf(first, sizeof(first), "%.*s",
			         (int)strcspn(o->help, "\n"), o->help);
			if ((o->cmds & cmd) &&
			    (!listed || strstr(r.out, first) == NULL)) {
				print_error("lockstep help %s: no line for %s "
				            "(\"%s\")\n",
				            name, head, first);
				failed++;
			}
			if (!takes(cmd, o->name) && listed) {
				print_error("lockstep help %s lists %s\n", name,
				            head);
				failed++;
			}
		}
		e2e_result_free(&r);
	}
	assert_int_equal(failed, 0);
}

/* Every comment names what exists: the files, the C files by name and
 * the functions it cites (scripts/check-refs). */
static void
test_comments_name_what_exists(void **state)
{
	const char *const argv[] = {"check-refs", LK_SOURCE_DIR, NULL};
	struct e2e_result r;

	(void)state;
	if (access("/usr/bin/python3", X_OK) != 0)
		skip();
	assert_int_equal(e2e_spawn(&r, LK_SOURCE_DIR "/scripts/check-refs",
	                           argv, NULL, NULL),
	                 0);
	if (r.status != 0)
		print_error("scripts/check-refs: exit %d:\n%s%s\n", r.status,
		            r.out, r.err);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
}

/* Run the tests, each in a directory of its own. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_options_parse_by_the_table),
	        cmocka_unit_test(test_options_values),
	        cmocka_unit_test(test_options_through_lockstep),
	        cmocka_unit_test(test_options_help_lists_every_option),
	        cmocka_unit_test(test_comments_name_what_exists),
	        cmocka_unit_test_setup_teardown(
	                test_rendezvous_trace_is_consistent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rendezvous_random_seeds,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deadlock_order_is_reported,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mutex_writers_serialise,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unsync_writers_interleave,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_determinism_same_seed_same_trace, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_spin_setting, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_determinism_seeds_differ,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_check_bad_files, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_run_bad_files, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_usage_errors, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_check_shipped_scenarios,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_limits_max_steps, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests_name("e2e_run", tests, NULL, NULL);
}
