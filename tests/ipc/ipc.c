/* Helpers of the IPC end-to-end tests (see ipc.h). */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc.h"

/* At most this many SysV segments are remembered from before a run. */
#define MAX_SEGS 1024

/* The SysV shared memory segments of our uid: id and creator. */
struct segs {
	int n;
	int id[MAX_SEGS];
	pid_t cpid[MAX_SEGS];
};

/* Read /proc/sysvipc/shm: the segments owned by our uid. */
static void
segs_read(struct segs *s)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	char line[512];

	s->n = 0;
	if (f == NULL)
		return;
	/* The header, then: key shmid perms size cpid lpid nattch uid ... */
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && s->n < MAX_SEGS) {
		long key, id, perms, size, cpid, lpid, nattch, uid;

		if (sscanf(line, "%ld %ld %ld %ld %ld %ld %ld %ld", &key, &id,
		           &perms, &size, &cpid, &lpid, &nattch, &uid) == 8 &&
		    uid == (long)getuid()) {
			s->id[s->n] = (int)id;
			s->cpid[s->n] = (pid_t)cpid;
			s->n++;
		}
	}
	fclose(f);
}

/* Is id one of s's segments? */
static int
segs_has(const struct segs *s, int id)
{
	for (int i = 0; i < s->n; i++)
		if (s->id[i] == id)
			return 1;
	return 0;
}

/* Sleep ms milliseconds. */
static void
nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * The segments of now that were not there before and whose creator has
 * gone: a run that ended left them. Another lockstep running on the
 * machine may hold segments of its own, but their creator (its controller
 * or explore worker) is alive until it has removed them; a segment that
 * goes away within 10 s is not counted either (a limit that only bounds a
 * failure: on a loaded machine another run may take its time).
 */
static int
segs_left(const struct segs *before)
{
	static struct segs now;
	int left = 0;

	for (int tries = 0; tries < 100; tries++) {
		segs_read(&now);
		left = 0;
		for (int i = 0; i < now.n; i++)
			if (!segs_has(before, now.id[i]) &&
			    kill(now.cpid[i], 0) != 0 && errno == ESRCH)
				left++;
		if (left == 0)
			return 0;
		nap(100);
	}
	for (int i = 0; i < now.n; i++)
		if (!segs_has(before, now.id[i]) && kill(now.cpid[i], 0) != 0)
			fprintf(stderr,
			        "ipc: SysV segment %d left (creator %d)\n",
			        now.id[i], (int)now.cpid[i]);
	return left;
}

/* Run lockstep with a private TMPDIR (see ipc.h). */
void
ipc_run(struct ipc_run *run, const char *trace, const char *const args[],
        const char *const env[])
{
	static struct segs before;
	const char *argv[64];
	char *old = getenv("TMPDIR"), *saved = old ? strdup(old) : NULL;
	char *tmp = e2e_tempdir();
	size_t n = 0;

	memset(run, 0, sizeof(*run));
	assert_non_null(tmp);
	argv[n++] = IPC_LOCKSTEP;
	while (args[n - 1] != NULL && n < 63) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	if (trace != NULL)
		unlink(trace);
	segs_read(&before);
	/* Our own environment: e2e_spawn would add a second TMPDIR. */
	setenv("TMPDIR", tmp, 1);
	if (e2e_spawn(&run->r, argv[0], argv, env, LK_SOURCE_DIR) != 0)
		fail_msg("cannot run %s", argv[0]);
	if (saved != NULL)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	run->tmp_left = e2e_dir_entries(tmp, "ipc");
	e2e_rmtree(tmp);
	free(tmp);
	run->sysv_left = segs_left(&before);
	if (trace != NULL)
		run->trace = e2e_trace_load(trace);
	if (run->r.out[0] == '{')
		run->json = json_loads(run->r.out, 0, NULL);
}

/* Free what a run captured. */
void
ipc_run_free(struct ipc_run *run)
{
	e2e_result_free(&run->r);
	json_decref(run->trace);
	json_decref(run->json);
	run->trace = run->json = NULL;
}

/* Fail unless the run exited with status, leaving nothing (see ipc.h). */
void
ipc_expect_exit(const struct ipc_run *run, int status)
{
	const struct e2e_result *r = &run->r;

	if (r->timed_out)
		fail_msg("lockstep ran longer than %d s", E2E_TIMEOUT_S);
	if (r->status != status)
		fail_msg("exit status %d, expected %d\n--- stdout:\n%.4000s\n"
		         "--- stderr:\n%.4000s",
		         r->status, status, r->out, r->err);
	if (r->leftovers != 0)
		fail_msg("the run left %d objects in /dev/shm", r->leftovers);
	if (run->tmp_left != 0)
		fail_msg("the run left %d entries in its TMPDIR",
		         run->tmp_left);
	if (run->sysv_left != 0)
		fail_msg("the run left %d SysV segments", run->sysv_left);
}

/* Fail unless the standard output holds text. */
void
ipc_expect_out(const struct ipc_run *run, const char *text)
{
	if (strstr(run->r.out, text) == NULL)
		fail_msg("no \"%s\" in the output:\n%.4000s\n--- stderr:\n"
		         "%.2000s",
		         text, run->r.out, run->r.err);
}

/* Fail unless the standard error holds text. */
void
ipc_expect_err(const struct ipc_run *run, const char *text)
{
	if (strstr(run->r.err, text) == NULL)
		fail_msg("no \"%s\" in stderr:\n%.4000s", text, run->r.err);
}

/* The listed SysV segments of workdir that still exist (see ipc.h). */
int
ipc_sysv_listed_alive(const char *workdir)
{
	static struct segs now;
	char *list = e2e_path(workdir, ".lockstep-sysv");
	FILE *f = fopen(list, "re");
	int id, alive = 0;

	free(list);
	if (f == NULL)
		return -1;
	segs_read(&now);
	/* Segments as their id, semaphore sets as -id-1. */
	while (fscanf(f, "%d", &id) == 1)
		if (id >= 0 && segs_has(&now, id)) {
			fprintf(stderr, "ipc: SysV segment %d still exists\n",
			        id);
			alive++;
		}
	fclose(f);
	return alive;
}

/* Member k of o as an integer. */
json_int_t
ipc_jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", k);
	return json_integer_value(v);
}

/* Member k of o as a string; NULL when it is not one. */
const char *
ipc_jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Is the string member k of o equal to s? */
int
ipc_jis(const json_t *o, const char *k, const char *s)
{
	const char *v = ipc_jstr(o, k);

	return v != NULL && strcmp(v, s) == 0;
}

/* The first matching event from index from on (see ipc.h). */
long
ipc_find(const json_t *t, size_t from, const char *proc, const char *op,
         const char *obj, int blocked)
{
	for (size_t i = from < 1 ? 1 : from; i < json_array_size(t); i++) {
		json_t *e = json_array_get(t, i);

		if ((proc == NULL || ipc_jis(e, "proc", proc)) &&
		    (op == NULL || ipc_jis(e, "op", op)) &&
		    (obj == NULL || ipc_jis(e, "obj", obj)) &&
		    (blocked < 0 ||
		     json_is_true(json_object_get(e, "blocked")) == blocked))
			return (long)i;
	}
	return -1;
}

/* Event i of t. */
json_t *
ipc_ev(const json_t *t, long i)
{
	if (i < 1 || (size_t)i >= json_array_size(t))
		fail_msg("no event at index %ld of the trace", i);
	return json_array_get(t, (size_t)i);
}

/* vc[proc] of event ev. */
json_int_t
ipc_vc(const json_t *ev, const char *proc)
{
	return json_integer_value(
	        json_object_get(json_object_get(ev, "vc"), proc));
}

/* Does event a happen before event b? */
int
ipc_hb(const json_t *a, const json_t *b)
{
	const char *p = ipc_jstr(a, "proc");

	return p != NULL && ipc_vc(a, p) <= ipc_vc(b, p);
}

/* Fail unless every expectation of an explore summary passed. */
void
ipc_expect_all_passed(const json_t *j)
{
	json_t *exps = json_object_get(j, "expectations"), *e;
	size_t i;

	if (!json_is_array(exps))
		fail_msg("no expectations in the summary");
	json_array_foreach(exps, i, e)
	{
		if (!json_is_true(json_object_get(e, "passed")))
			fail_msg("the expectation of line %lld (%s) failed: "
			         "held in %lld of %lld runs",
			         (long long)ipc_jint(e, "line"),
			         ipc_jstr(e, "when"),
			         (long long)ipc_jint(e, "held"),
			         (long long)ipc_jint(j, "runs"));
	}
}

/* The expectation on a scenario line. */
const json_t *
ipc_expectation(const json_t *j, long line)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(j, "expectations"), i, e)
	{
		if (ipc_jint(e, "line") == line)
			return e;
	}
	fail_msg("no expectation of line %ld in the summary", line);
	return NULL;
}

/* Is there a race on obj? */
int
ipc_has_race(const json_t *j, const char *obj)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(j, "races"), i, r)
	{
		if (ipc_jis(r, "object", obj))
			return 1;
	}
	return 0;
}

/* The number of outcomes with verdict v (NULL: all). */
size_t
ipc_count_outcomes(const json_t *j, const char *v)
{
	size_t i, n = 0;
	json_t *o;

	json_array_foreach(json_object_get(j, "outcomes"), i, o)
	{
		if (v == NULL || ipc_jis(o, "verdict", v))
			n++;
	}
	return n;
}

/* The number of outcomes whose text holds text. */
size_t
ipc_outcomes_with(const json_t *j, const char *text)
{
	size_t i, n = 0;
	json_t *o;

	json_array_foreach(json_object_get(j, "outcomes"), i, o)
	{
		const char *s = ipc_jstr(o, "outcome");

		if (s != NULL && strstr(s, text) != NULL)
			n++;
	}
	return n;
}

/* The line of a scenario file that holds text. */
long
ipc_line_of(const char *file, const char *text)
{
	char *path = e2e_path(LK_SOURCE_DIR, file);
	char *all = e2e_read_file(path, NULL), *p;
	long line = 1;

	free(path);
	if (all == NULL)
		fail_msg("cannot read %s", file);
	p = strstr(all, text);
	if (p == NULL) {
		free(all);
		fail_msg("no \"%s\" in %s", text, file);
	}
	for (char *c = all; c < p; c++)
		line += *c == '\n';
	free(all);
	return line;
}
