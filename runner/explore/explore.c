/*
 * The explore driver. dfs keeps a set of schedule prefixes: the empty
 * one first; every run adds, for each race DPOR finds in it, the prefix
 * "this run up to step k, then process p" unless already known. The set
 * it ends with does not depend on the order in which prefixes are run,
 * so -j N runs the same runs (and finds the same outcome counts) as -j 1.
 * random and pct are N seeded runs. Runs go on in worker processes when
 * -j > 1; each run is a full lockstep run, isolated from the others.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/sha256.h"
#include "explore/explore.h"
#include "lockstep/lockstep.h"
#include "schedule/schedule.h"
#include "trace/trace.h"

#define MAX_JOBS 64

/* A prefix to run: decisions, and its key (one byte per step). */
struct job {
	struct lk_decision *dec;
	size_t n;
	uint64_t seed; /* random, pct */
	/* --stop-at-first with -j N: 0 not started, 1 out to a worker, 2
	 * its digest in res, waiting for its turn to be recorded */
	int state;
	struct lk_digest *res;
};

/* The set of prefixes seen, an open-addressing hash table of keys. */
struct keyset {
	char **keys;
	size_t *lens;
	size_t cap, n;
};

struct explorer {
	const struct lk_scenario *sc;
	const struct lk_explore_opts *o;
	struct lk_explore *e;
	char sha[65];
	int has_sha;
	struct keyset seen;
	struct job *stack;
	size_t nstack, capstack;
	unsigned next_seed; /* random, pct: runs started */
	uint32_t pct_steps;
	struct timespec t0;
	/* The run being analysed, for the DPOR callback. */
	const struct lk_digest *cur;
	int oom;
	int stop;      /* --stop-at-first: a run failed */
	double pushes; /* dfs: new prefixes a run adds, a moving average */
};

static uint64_t
fnv(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ull;
	return h;
}

/* Add key to the set; 1 if new, 0 if present, -1 out of memory. */
static int
keyset_add(struct keyset *s, const char *key, size_t len)
{
	size_t i;

	if (s->n * 2 >= s->cap) {
		struct keyset ns = {0};

		ns.cap = s->cap ? s->cap * 2 : 1024;
		ns.keys = calloc(ns.cap, sizeof(*ns.keys));
		ns.lens = calloc(ns.cap, sizeof(*ns.lens));
		if (!ns.keys || !ns.lens) {
			free(ns.keys);
			free(ns.lens);
			return -1;
		}
		for (size_t j = 0; j < s->cap; j++) {
			if (s->keys[j] == NULL)
				continue;
			i = fnv(s->keys[j], s->lens[j]) % ns.cap;
			while (ns.keys[i] != NULL)
				i = (i + 1) % ns.cap;
			ns.keys[i] = s->keys[j];
			ns.lens[i] = s->lens[j];
		}
		free(s->keys);
		free(s->lens);
		ns.n = s->n;
		*s = ns;
	}
	for (i = fnv(key, len) % s->cap; s->keys[i] != NULL;
	     i = (i + 1) % s->cap)
		if (s->lens[i] == len && memcmp(s->keys[i], key, len) == 0)
			return 0;
	s->keys[i] = malloc(len + 1);
	if (s->keys[i] == NULL)
		return -1;
	memcpy(s->keys[i], key, len);
	s->lens[i] = len;
	s->n++;
	return 1;
}

static void
keyset_free(struct keyset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->lens);
}

/* Push a job. */
static int
push(struct explorer *x, struct job j)
{
	if (x->nstack == x->capstack) {
		size_t nc = x->capstack ? x->capstack * 2 : 64;
		struct job *ns = realloc(x->stack, nc * sizeof(*ns));

		if (ns == NULL)
			return -1;
		x->stack = ns;
		x->capstack = nc;
	}
	x->stack[x->nstack++] = j;
	return 0;
}

/* Preemptions of the prefix "run up to k, then p": switches away from a
 * process that could have gone on. */
static unsigned
preemptions(const struct lk_digest *d, size_t k, unsigned p)
{
	unsigned n = 0;

	for (size_t i = 1; i <= k; i++) {
		unsigned prev = d->steps[i - 1].proc;
		unsigned now = i == k ? p : d->steps[i].proc;

		if (now != prev && (d->steps[i].enabled & (1ull << prev)))
			n++;
	}
	return n;
}

/* A step that reaped one of several exited children: a kernel choice. */
static int
reap_choice(const struct lk_step_rec *s)
{
	return s->op == LK_OP_WAIT && !s->blocked && s->ret > 0 &&
	       __builtin_popcountll(s->u.wait.choices) > 1;
}

/* --perturb: a pipe read or write that could move 2 or more bytes, of
 * which the schedule chose how many (docs/explore.md, "Perturbation"). */
static int
bytes_choice(const struct lk_step_rec *s)
{
	return (s->op == LK_OP_READ || s->op == LK_OP_WRITE) && !s->blocked &&
	       s->ret > 0 && s->u.rw.avail > 1;
}

/* The key byte of a bytes choice: which of all, 1, half (or another
 * count, edited by hand) it moved. */
static char
bytes_key(int64_t ret, int64_t avail)
{
	return (char)(ret == avail       ? 96
	              : ret == 1         ? 97
	              : ret == avail / 2 ? 98
	                                 : 99);
}

/*
 * Queue the prefix "the current run up to step k, then process p" (and,
 * when child >= 0, p's waitpid reaping child; when bytes > 0, p's read
 * or write moving that many bytes), unless already known;
 * with mark, only note it as known (the current run is that one). Its
 * key is one byte a step: the process, and after a reap that had a
 * choice one more, 64 + the child reaped, so that two runs that differ
 * only in the child a wait reaped have different keys; after a read or
 * write with a bytes choice (--perturb), 96 + which count it moved.
 */
static void
queue_prefix(struct explorer *x, size_t k, unsigned p, int child, int64_t bytes,
             int mark)
{
	const struct lk_digest *d = x->cur;
	struct job j = {0};
	char *key;
	size_t len = 0;
	int fresh;

	if (!mark && x->o->preemption_bound != UINT32_MAX &&
	    preemptions(d, k, p) > x->o->preemption_bound) {
		x->e->pruned++;
		return;
	}
	key = malloc(2 * k + 2);
	if (key == NULL) {
		x->oom = 1;
		return;
	}
	for (size_t i = 0; i < k; i++) {
		key[len++] = (char)d->steps[i].proc;
		if (reap_choice(&d->steps[i]))
			key[len++] = (char)(64 + d->steps[i].ret);
		if (bytes_choice(&d->steps[i]))
			key[len++] = bytes_key(d->steps[i].ret,
			                       d->steps[i].u.rw.avail);
	}
	key[len++] = (char)p;
	if (child >= 0)
		key[len++] = (char)(64 + child);
	if (bytes > 0)
		key[len++] = bytes_key(bytes, d->steps[k].u.rw.avail);
	fresh = keyset_add(&x->seen, key, len);
	free(key);
	if (fresh <= 0 || mark) {
		x->oom |= fresh < 0;
		return;
	}
	j.n = k + 1;
	j.dec = calloc(j.n, sizeof(*j.dec));
	if (j.dec == NULL) {
		x->oom = 1;
		return;
	}
	for (size_t i = 0; i <= k; i++) {
		struct lk_decision *dc = &j.dec[i];
		const struct lk_step_rec *s = &d->steps[i];

		dc->slot = -1;
		if (i == k) {
			memcpy(dc->proc, d->procs[p], LK_NAME_MAX);
			if (child >= 0) {
				dc->op = LK_OP_WAIT;
				memcpy(dc->obj, d->procs[child], LK_NAME_MAX);
			}
			if (bytes > 0) {
				dc->op = s->op;
				dc->bytes = (int32_t)bytes;
			}
			continue;
		}
		memcpy(dc->proc, d->procs[s->proc], LK_NAME_MAX);
		dc->op = s->op;
		if (s->obj >= 0 && (size_t)s->obj < d->nobjs)
			memcpy(dc->obj, d->objs[s->obj], LK_NAME_MAX);
		/* A wait that reaped: the same child again. */
		if (s->op == LK_OP_WAIT && !s->blocked && s->ret > 0 &&
		    (size_t)s->ret < d->nprocs)
			memcpy(dc->obj, d->procs[s->ret], LK_NAME_MAX);
		/* A read or write with a bytes choice: the same count. */
		if (bytes_choice(s))
			dc->bytes = (int32_t)s->ret;
	}
	if (push(x, j) != 0) {
		free(j.dec);
		x->oom = 1;
	}
}

/* DPOR callback: try process p at step k of the current run. */
static void
add_alternative(void *arg, size_t k, unsigned p)
{
	struct explorer *x = arg;
	const struct lk_digest *d = x->cur;

	if (x->oom || p >= d->nprocs || d->steps[k].proc == p)
		return;
	queue_prefix(x, k, p, -1, 0, 0);
}

/* Every reap of the current run that could have reaped another child:
 * try each other child there (the kernel's choice is a choice point). */
static void
add_reap_alternatives(struct explorer *x)
{
	const struct lk_digest *d = x->cur;

	for (size_t k = 0; k < d->nsteps && !x->oom; k++) {
		const struct lk_step_rec *s = &d->steps[k];

		if (!reap_choice(s))
			continue;
		/* This run is the one that reaps s->ret there. */
		queue_prefix(x, k, s->proc, (int)s->ret, 0, 1);
		for (unsigned c = 0; c < 64 && c < d->nprocs; c++)
			if ((s->u.wait.choices & (1ull << c)) && c != s->ret)
				queue_prefix(x, k, s->proc, (int)c, 0, 0);
	}
}

/* A condition wait that blocked (on the condition or, woken, on its
 * mutex again). */
static int
cond_blocked(const struct lk_step_rec *s)
{
	return (s->op == LK_OP_COND_WAIT || s->op == LK_OP_COND_TIMEDWAIT) &&
	       s->blocked;
}

/*
 * --perturb: wherever a waiter of a condition variable could have woken
 * without a signal (enabled at step k while its last step was a blocked
 * wait, and no spurious wake-up of it before: once a lane a run), try it
 * there. The reduction alone would not: the signal that woke it in this
 * run orders the two, but a spurious wake-up needs no signal.
 */
static void
add_spurious_alternatives(struct explorer *x)
{
	const struct lk_digest *d = x->cur;
	uint64_t waiting = 0, spent = 0;

	for (size_t k = 0; k < d->nsteps && !x->oom; k++) {
		const struct lk_step_rec *s = &d->steps[k];
		uint64_t can = d->steps[k].enabled & waiting & ~spent;

		for (unsigned p = 0; p < 64 && p < d->nprocs; p++)
			if ((can & (1ull << p)) && p != s->proc)
				queue_prefix(x, k, p, -1, 0, 0);
		if (s->proc >= 64)
			continue;
		if (cond_blocked(s))
			waiting |= 1ull << s->proc;
		else
			waiting &= ~(1ull << s->proc);
		if ((s->op == LK_OP_COND_WAIT ||
		     s->op == LK_OP_COND_TIMEDWAIT) &&
		    !s->blocked && s->u.cond.spurious)
			spent |= 1ull << s->proc;
	}
}

/* --perturb: every read or write of the current run that could have
 * moved another count of bytes: try all, 1 and half there (the counts
 * the strategies draw from: sched.c, lk__perturb_bytes). */
static void
add_bytes_alternatives(struct explorer *x)
{
	const struct lk_digest *d = x->cur;

	for (size_t k = 0; k < d->nsteps && !x->oom; k++) {
		const struct lk_step_rec *s = &d->steps[k];
		int64_t n = s->u.rw.avail;
		int64_t counts[3] = {n, 1, n / 2};

		if (!bytes_choice(s))
			continue;
		/* This run is the one that moved s->ret there. */
		queue_prefix(x, k, s->proc, -1, s->ret, 1);
		for (int i = 0; i < 3; i++)
			if (counts[i] >= 1 && counts[i] != s->ret &&
			    (i < 2 || counts[i] > 1))
				queue_prefix(x, k, s->proc, -1, counts[i], 0);
	}
}

/* Is run d (with pre preemptions) simpler than a kept schedule of opre
 * preemptions and osteps steps? Ties go to the smaller schedule text, so
 * the choice is the same in any order. */
static int
simpler(unsigned pre, const struct lk_digest *d, unsigned opre, size_t osteps,
        const char *osched)
{
	if (pre != opre)
		return pre < opre;
	if (d->nsteps != osteps)
		return d->nsteps < osteps;
	return strcmp(d->schedule, osched) < 0;
}

/* Count the races of run d (pre preemptions) in the results: each race
 * once per run, with the simplest run's schedule and steps. */
static int
record_races(struct lk_explore *e, const struct lk_digest *d, unsigned pre)
{
	char key[LK_RACE_KEY_MAX];

	for (size_t i = 0; i < d->nraces; i++) {
		const struct lk_race_rec *rec = &d->races[i];
		struct lk_race_seen *r = NULL;
		char *sched;

		lk_race_rec_key(rec, key, sizeof(key));
		for (size_t k = 0; k < e->nraces && r == NULL; k++)
			if (strcmp(e->races[k].key, key) == 0)
				r = &e->races[k];
		if (r != NULL) {
			r->count++;
			if (!simpler(pre, d, r->preemptions, r->steps,
			             r->schedule))
				continue;
			if ((sched = strdup(d->schedule)) == NULL)
				return -1;
			free(r->schedule);
			r->schedule = sched;
		} else {
			struct lk_race_seen *nr = realloc(
			        e->races, (e->nraces + 1) * sizeof(*nr));

			if (nr == NULL)
				return -1;
			e->races = nr;
			r = &e->races[e->nraces];
			memset(r, 0, sizeof(*r));
			r->key = strdup(key);
			r->schedule = strdup(d->schedule);
			if (r->key == NULL || r->schedule == NULL) {
				free(r->key);
				free(r->schedule);
				return -1;
			}
			e->nraces++;
			r->count = 1;
		}
		r->rec = *rec;
		r->preemptions = pre;
		r->steps = d->nsteps;
	}
	return 0;
}

/* Order races by key. */
static int
cmp_race_seen(const void *x, const void *y)
{
	const struct lk_race_seen *a = x, *b = y;

	return strcmp(a->key, b->key);
}

/* The exit status a run stands for on its own: 3 it deadlocked, 4 it
 * crashed, timed out or hit a limit, 1 it broke an "always" or met a
 * "never" expectation, 0 none of these. */
static int
run_status(const struct lk_scenario *sc, const struct lk_digest *d)
{
	if (d->verdict == LK_V_DEADLOCK)
		return LK_EXIT_DEADLOCK;
	if (d->verdict != LK_V_DONE)
		return LK_EXIT_CRASH;
	for (size_t i = 0; i < sc->nexpects && i < 64; i++) {
		int held = (d->held >> i) & 1;

		if ((sc->expects[i].when == LK_ALWAYS && !held) ||
		    (sc->expects[i].when == LK_NEVER && held))
			return LK_EXIT_EXPECT;
	}
	return 0;
}

/*
 * dfs: an estimate of the runs in all, for the progress line. Each run
 * adds new prefixes to run (pushes of them, on average, recent runs
 * weighing more); a prefix left to run is a run that adds as many, and
 * so on: if each adds m < 1 on average, a prefix stands for 1/(1-m)
 * runs. A guide, from the branching seen so far: it is only as good as
 * the runs to come are like the ones made.
 */
static void
estimate(struct explorer *x, size_t pushes)
{
	double m;

	x->pushes = x->e->runs == 1 ? (double)pushes
	                            : 0.9 * x->pushes + 0.1 * (double)pushes;
	m = x->pushes < 0.95 ? x->pushes : 0.95;
	x->e->estimate = x->e->runs + (double)x->nstack / (1 - m);
}

/* Record one run's digest in the results. */
static int
record(struct explorer *x, struct lk_digest *d)
{
	struct lk_explore *e = x->e;
	struct lk_outcome *o = NULL;
	unsigned pre;
	int status;

	/* A run cut short by SIGINT, SIGTERM or SIGHUP says nothing about
	 * the scenario: it is neither an outcome nor a failure, and its
	 * alternatives are not explored (the exploration is incomplete). */
	if (d->verdict == LK_V_INTERRUPTED) {
		e->bound = "interrupted";
		return 0;
	}
	e->runs++;
	for (size_t i = 0; i < e->nexpects; i++)
		if (d->held & (1ull << i))
			e->held[i]++;
	if (d->verdict == LK_V_DEADLOCK)
		e->deadlocks++;
	else if (d->verdict != LK_V_DONE)
		e->failures++;
	for (size_t i = 0; i < e->noutcomes && o == NULL; i++)
		if (strcmp(e->outcomes[i].text, d->outcome) == 0)
			o = &e->outcomes[i];
	pre = d->nsteps ? preemptions(d, d->nsteps - 1,
	                              d->steps[d->nsteps - 1].proc)
	                : 0;
	if (record_races(e, d, pre) != 0)
		return -1;
	if (o != NULL &&
	    simpler(pre, d, o->preemptions, o->steps, o->schedule)) {
		/* Keep the simplest schedule of each outcome, so the one
		 * shown does not depend on the order runs finished in. */
		free(o->schedule);
		o->schedule = d->schedule;
		o->preemptions = pre;
		o->steps = d->nsteps;
		d->schedule = NULL;
	}
	if (o == NULL) {
		struct lk_outcome *no =
		        realloc(e->outcomes, (e->noutcomes + 1) * sizeof(*no));

		if (no == NULL)
			return -1;
		e->outcomes = no;
		o = &e->outcomes[e->noutcomes++];
		memset(o, 0, sizeof(*o));
		o->text = d->outcome;
		o->schedule = d->schedule;
		o->explain = d->explain;
		o->verdict = d->verdict;
		o->held = d->held;
		o->preemptions = pre;
		o->steps = d->nsteps;
		d->outcome = d->schedule = d->explain = NULL;
	}
	o->count++;
	if (x->o->stop_at_first && (status = run_status(x->sc, d)) != 0) {
		/* The first failure: nothing after it is run or recorded. */
		x->stop = 1;
		e->stop_run = e->runs;
		e->stop_outcome = (size_t)(o - e->outcomes);
		e->stop_status = status;
	}
	/* Even after the first failure: what is left makes it incomplete. */
	if (x->o->kind == LK_EXP_DFS) {
		size_t before = x->nstack;

		x->cur = d;
		lk_dpor_backtrack(d, x->o->no_reduction, add_alternative, x);
		add_reap_alternatives(x);
		add_bytes_alternatives(x);
		if (x->o->run.perturb)
			add_spurious_alternatives(x);
		if (x->oom)
			return -1;
		estimate(x, x->nstack - before);
	}
	e->pending = x->nstack;
	if (x->o->progress != NULL)
		x->o->progress(e, x->o->progress_arg);
	return 0;
}

/* Run one job in this process and make its digest. */
static int
run_job(struct explorer *x, const struct job *j, struct lk_digest *d,
        struct lk_err *err)
{
	struct lk_run_opts ro = x->o->run;
	struct lk_trace *t = NULL;
	int rc;

	ro.forced = j->dec;
	ro.nforced = j->n;
	ro.strategy = LK_STRAT_DEFAULT;
	if (x->o->kind == LK_EXP_RANDOM) {
		ro.strategy = LK_STRAT_RANDOM;
		ro.seed = j->seed;
	} else if (x->o->kind == LK_EXP_PCT) {
		ro.strategy = LK_STRAT_PCT;
		ro.seed = j->seed;
		ro.pct_depth = x->o->depth;
		ro.pct_steps = x->pct_steps;
	}
	if (lk_run_scenario(x->sc, &ro, &t, err) != 0)
		return -1;
	/* The digest names the scenario by its absolute path, so that a
	 * saved outcome replays from any directory. */
	rc = lk_digest_make(t, x->sc, x->has_sha ? x->sha : NULL, d);
	lk_trace_free(t);
	if (rc != 0)
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
	return rc;
}

/* Milliseconds since the exploration started. */
static unsigned long
elapsed_ms(const struct explorer *x)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long)((now.tv_sec - x->t0.tv_sec) * 1000 +
	                       (now.tv_nsec - x->t0.tv_nsec) / 1000000);
}

/* Take the next job, or 0 when there is none (or a bound was hit). */
static int
next_job(struct explorer *x, struct job *j, unsigned started)
{
	const struct lk_explore_opts *o = x->o;

	if (lk_run_interrupted()) {
		x->e->bound = "interrupted";
		return 0;
	}
	if (x->stop)
		return 0;
	if (o->time_limit_ms && elapsed_ms(x) > o->time_limit_ms) {
		x->e->bound = "--time-limit";
		return 0;
	}
	if (o->kind != LK_EXP_DFS) {
		while (x->next_seed < o->runs && o->nshards > 1 &&
		       x->next_seed % o->nshards != o->shard)
			x->next_seed++;
		if (x->next_seed >= o->runs)
			return 0;
		memset(j, 0, sizeof(*j));
		j->seed = o->seed + x->next_seed++;
		return 1;
	}
	if (started >= o->max_runs) {
		if (x->nstack > 0)
			x->e->bound = "--max-runs";
		return 0;
	}
	if (x->nstack == 0)
		return 0;
	*j = x->stack[--x->nstack];
	return 1;
}

/* Explore with one run at a time, in this process. */
static int
explore_serial(struct explorer *x, struct lk_err *err)
{
	struct job j;
	unsigned started = 0;

	while (next_job(x, &j, started)) {
		struct lk_digest d;
		int rc;

		started++;
		rc = run_job(x, &j, &d, err);
		free(j.dec);
		if (rc != 0 && lk_run_interrupted()) {
			/* Stopped within the run or its analysis: a bound. */
			x->e->bound = "interrupted";
			return 0;
		}
		if (rc != 0)
			return -1;
		rc = record(x, &d);
		lk_digest_clear(&d);
		if (rc != 0) {
			lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
			return -1;
		}
	}
	return 0;
}

/*
 * -j N: a pool of N worker processes, forked once, each running the jobs
 * it is sent, one at a time, and answering with the run's digest. Forking
 * a worker per run made every run pay for copying the explorer's pages
 * on write (with a TLB shoot-down across CPUs at each), which cost more
 * than the second CPU gave.
 */
struct worker {
	pid_t pid;
	int req;  /* jobs to the worker, -1 once closed */
	int rep;  /* digests from it */
	int busy; /* a job is out */
};

/*
 * Wait until a busy worker has something to say: pfd[0..n) watch the
 * busy workers' report pipes, idx[k] the worker of pfd[k]; returns n, 0
 * when the wait failed. Ctrl-C reaches the workers with the whole
 * process group; a signal sent to lockstep alone is passed on (once:
 * *told), so that their runs end now (as interrupted, not recorded).
 */
static unsigned
await_reports(struct worker *w, unsigned nw, struct pollfd *pfd, unsigned *idx,
              int *told)
{
	unsigned np = 0;

	for (unsigned i = 0; i < nw; i++)
		if (w[i].busy) {
			pfd[np].fd = w[i].rep;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			idx[np++] = i;
		}
	if (poll(pfd, np, -1) < 0 && errno != EINTR)
		return 0;
	if (lk_run_interrupted() && !*told) {
		*told = 1;
		for (unsigned i = 0; i < nw; i++)
			if (w[i].busy)
				kill(w[i].pid, lk_run_interrupted());
	}
	return np;
}

/* A job on the wire: its seed and length, then its decisions. */
struct job_msg {
	uint64_t seed;
	uint64_t n;
};

/* Asked to stop (SIGTERM, SIGINT, SIGHUP): the run in progress has
 * cleaned up after itself; die of the signal, as lockstep does. */
static void
worker_stop(void)
{
	int sig = lk_run_interrupted();

	if (sig == 0)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

/* A worker's life: run each job that comes on req, its digest on rep,
 * until req ends or it is asked to stop. */
static void
worker_loop(struct explorer *x, int req, int rep)
{
	for (;;) {
		struct job_msg m;
		struct job j = {0};
		struct lk_digest d;
		struct lk_err err;
		int r;

		worker_stop();
		r = lk_wire_get(req, &m, sizeof(m));

		if (r == 1)
			_exit(0);
		if (r != 0 || m.n > 100000000u)
			_exit(70);
		j.seed = m.seed;
		j.n = (size_t)m.n;
		j.dec = calloc(j.n + 1, sizeof(*j.dec));
		if (j.dec == NULL ||
		    lk_wire_get(req, j.dec, j.n * sizeof(*j.dec)) != 0)
			_exit(70);
		if (run_job(x, &j, &d, &err) != 0) {
			worker_stop();
			fprintf(stderr, "lockstep: %s\n", err.msg);
			_exit(70);
		}
		worker_stop();
		free(j.dec);
		if (lk_digest_send(rep, &d) != 0)
			_exit(70);
		lk_digest_clear(&d);
	}
}

/* Fork worker k of the pool w; 0 or -1. */
static int
start_worker(struct explorer *x, struct worker *w, unsigned k)
{
	int req[2], rep[2];
	pid_t explorer = getpid();

	if (pipe2(req, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) != 0) {
		close(req[0]);
		close(req[1]);
		return -1;
	}
	w[k].pid = fork();
	if (w[k].pid < 0) {
		close(req[0]);
		close(req[1]);
		close(rep[0]);
		close(rep[1]);
		return -1;
	}
	if (w[k].pid == 0) {
		/* Die with the explorer, even by SIGKILL; had it died before
		 * the prctl, the worker is an orphan already. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != explorer)
			_exit(70);
		/* Not the others' pipes: a worker holding another's job pipe
		 * open would keep it from seeing the end. */
		for (unsigned i = 0; i < k; i++) {
			if (w[i].req >= 0)
				close(w[i].req);
			close(w[i].rep);
		}
		close(req[1]);
		close(rep[0]);
		worker_loop(x, req[0], rep[1]);
	}
	close(req[0]);
	close(rep[1]);
	w[k].req = req[1];
	w[k].rep = rep[0];
	w[k].busy = 0;
	return 0;
}

/* Start workers 0..jobs-1 of w; returns how many started (fewer: err
 * says why). */
static unsigned
start_workers(struct explorer *x, struct worker *w, unsigned jobs,
              struct lk_err *err)
{
	unsigned nw;

	for (nw = 0; nw < jobs; nw++)
		if (start_worker(x, w, nw) != 0) {
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "cannot start a worker: %s",
			           strerror(errno));
			break;
		}
	return nw;
}

/* Send job j to worker w; 0 or -1. */
static int
send_job(struct worker *w, const struct job *j)
{
	struct job_msg m = {j->seed, j->n};

	if (lk_wire_put(w->req, &m, sizeof(m)) != 0 ||
	    lk_wire_put(w->req, j->dec, j->n * sizeof(*j->dec)) != 0)
		return -1;
	w->busy = 1;
	return 0;
}

/* Explore with up to jobs runs at once, in a pool of worker processes. */
static int
explore_parallel(struct explorer *x, struct lk_err *err)
{
	struct worker w[MAX_JOBS];
	struct pollfd pfd[MAX_JOBS];
	unsigned nw = 0, busy = 0, started = 0, jobs = x->o->jobs;
	int failed = 0, told = 0;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;

	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	/* A worker that died must not take lockstep with it (EPIPE). */
	sigaction(SIGPIPE, &ign, &old);
	nw = start_workers(x, w, jobs, err);
	failed = nw < jobs;
	for (;;) {
		unsigned np = 0, idx[MAX_JOBS];

		/* Idle workers take the jobs there are now; a dfs run that
		 * ends may bring more. */
		for (unsigned i = 0; i < nw && !failed; i++) {
			struct job j;

			if (w[i].busy)
				continue;
			if (!next_job(x, &j, started))
				break;
			if (send_job(&w[i], &j) != 0) {
				lk_err_set(err, LK_EXIT_INTERNAL,
				           "a worker is gone");
				failed = 1;
			} else {
				busy++;
				started++;
			}
			free(j.dec);
		}
		if (busy == 0)
			break;
		np = await_reports(w, nw, pfd, idx, &told);
		if (np == 0)
			failed = 1;
		for (unsigned p = 0; p < np; p++) {
			struct worker *wk = &w[idx[p]];
			struct lk_digest d;

			if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			wk->busy = 0;
			busy--;
			if (lk_digest_recv(wk->rep, &d) != 0) {
				/* Asked to stop, a worker dies of the signal
				 * once its run is cleaned up: not a failure. */
				if (lk_run_interrupted()) {
					x->e->bound = "interrupted";
					continue;
				}
				if (!failed)
					lk_err_set(err, LK_EXIT_INTERNAL,
					           "a worker failed");
				failed = 1;
				continue;
			}
			if (!failed && record(x, &d) != 0) {
				lk_err_set(err, LK_EXIT_INTERNAL,
				           "out of memory");
				failed = 1;
			}
			lk_digest_clear(&d);
		}
	}
	/* No more jobs: each worker sees the end of its pipe and exits. */
	for (unsigned i = 0; i < nw; i++) {
		int status;

		close(w[i].req);
		close(w[i].rep);
		waitpid(w[i].pid, &status, 0);
	}
	sigaction(SIGPIPE, &old, NULL);
	return failed ? -1 : 0;
}

/*
 * --stop-at-first with -j N: the runs are recorded in the order -j 1
 * records them, so the run that stops the exploration, and every count
 * before it, are -j 1's. The workers run ahead: dfs hands out the
 * prefixes nearest the top of the stack, random and pct the next seeds
 * (a window of them kept at the stack's bottom-up order); a digest that
 * comes back waits in its stack entry until that entry is the top, the
 * one -j 1 would run next. A run that finishes after the failure was
 * recorded is thrown away, and runs still going are stopped.
 */
static int
more_seeds(struct explorer *x)
{
	const struct lk_explore_opts *o = x->o;

	while (x->next_seed < o->runs && o->nshards > 1 &&
	       x->next_seed % o->nshards != o->shard)
		x->next_seed++;
	return x->next_seed < o->runs;
}

/* random, pct: keep up to want seeds on the stack, the next at the top
 * (new ones go underneath); 0 or -1. Workers' entries move up by one. */
static int
refill(struct explorer *x, size_t want, struct worker *w, unsigned nw,
       size_t *slot)
{
	while (x->nstack < want && more_seeds(x)) {
		struct job j = {0};

		j.seed = x->o->seed + x->next_seed++;
		if (push(x, j) != 0)
			return -1;
		memmove(&x->stack[1], &x->stack[0],
		        (x->nstack - 1) * sizeof(*x->stack));
		x->stack[0] = j;
		for (unsigned i = 0; i < nw; i++)
			if (w[i].busy)
				slot[i]++;
	}
	return 0;
}

static int
explore_ordered(struct explorer *x, struct lk_err *err)
{
	struct worker w[MAX_JOBS];
	struct pollfd pfd[MAX_JOBS];
	size_t slot[MAX_JOBS]; /* each busy worker's stack entry */
	unsigned nw = 0, busy = 0, taken = 0, jobs = x->o->jobs;
	size_t window;
	int failed = 0, told = 0;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;

	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	window = 4 * (size_t)jobs;
	sigaction(SIGPIPE, &ign, &old);
	nw = start_workers(x, w, jobs, err);
	failed = nw < jobs;
	while (!failed) {
		struct job *top;
		unsigned np = 0, idx[MAX_JOBS];
		size_t scanned = 0;

		if (x->o->kind != LK_EXP_DFS &&
		    refill(x, window, w, nw, slot) != 0) {
			lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
			failed = 1;
			break;
		}
		if (x->stop || x->nstack == 0)
			break;
		if (lk_run_interrupted()) {
			x->e->bound = "interrupted";
			break;
		}
		if (x->o->time_limit_ms &&
		    elapsed_ms(x) > x->o->time_limit_ms) {
			x->e->bound = "--time-limit";
			break;
		}
		if (x->o->kind == LK_EXP_DFS && taken >= x->o->max_runs) {
			x->e->bound = "--max-runs";
			break;
		}
		top = &x->stack[x->nstack - 1];
		if (top->state == 2) {
			/* Its turn: record it as -j 1 would now. */
			struct lk_digest *d = top->res;
			int rc;

			x->nstack--;
			free(top->dec);
			taken++;
			rc = record(x, d);
			lk_digest_clear(d);
			free(d);
			if (rc != 0) {
				lk_err_set(err, LK_EXIT_INTERNAL,
				           "out of memory");
				failed = 1;
			}
			continue;
		}
		/* Idle workers take the entries nearest the top. */
		for (size_t i = x->nstack; i-- > 0 && scanned < window;
		     scanned++) {
			unsigned k = 0;

			if (x->stack[i].state != 0)
				continue;
			while (k < nw && w[k].busy)
				k++;
			if (k == nw)
				break;
			if (send_job(&w[k], &x->stack[i]) != 0) {
				lk_err_set(err, LK_EXIT_INTERNAL,
				           "a worker is gone");
				failed = 1;
				break;
			}
			x->stack[i].state = 1;
			slot[k] = i;
			busy++;
		}
		if (failed || busy == 0)
			break;
		np = await_reports(w, nw, pfd, idx, &told);
		if (np == 0)
			failed = 1;
		for (unsigned p = 0; p < np; p++) {
			struct worker *wk = &w[idx[p]];
			struct lk_digest *d;

			if (!(pfd[p].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			wk->busy = 0;
			busy--;
			d = calloc(1, sizeof(*d));
			if (d == NULL || lk_digest_recv(wk->rep, d) != 0) {
				free(d);
				if (lk_run_interrupted()) {
					x->e->bound = "interrupted";
					x->stack[slot[idx[p]]].state = 0;
					continue;
				}
				if (!failed)
					lk_err_set(err, LK_EXIT_INTERNAL,
					           "a worker failed");
				failed = 1;
				continue;
			}
			x->stack[slot[idx[p]]].state = 2;
			x->stack[slot[idx[p]]].res = d;
		}
	}
	/* Runs still going are not wanted: stop them (each worker cleans
	 * its run up and dies of the signal), then end the others. */
	for (unsigned i = 0; i < nw; i++) {
		int status;

		if (w[i].busy)
			kill(w[i].pid, SIGTERM);
		close(w[i].req);
		close(w[i].rep);
		waitpid(w[i].pid, &status, 0);
	}
	for (size_t i = 0; i < x->nstack; i++)
		if (x->stack[i].res != NULL) {
			lk_digest_clear(x->stack[i].res);
			free(x->stack[i].res);
			x->stack[i].res = NULL;
		}
	sigaction(SIGPIPE, &old, NULL);
	return failed ? -1 : 0;
}

/* Explore sc under o (see explore.h). */
int
lk_explore_run(const struct lk_scenario *sc, const struct lk_explore_opts *o,
               struct lk_explore *e, struct lk_err *err)
{
	struct explorer x;
	struct lk_explore_opts oz = *o;
	struct lk_zygote z = {-1, -1};
	struct timespec t1;
	int rc;

	memset(e, 0, sizeof(*e));
	memset(&x, 0, sizeof(x));
	x.sc = sc;
	x.o = o;
	x.e = e;
	x.has_sha = lk_sha256_file(sc->path, x.sha) == 0;
	clock_gettime(CLOCK_MONOTONIC, &x.t0);
	e->nexpects = sc->nexpects < 64 ? sc->nexpects : 64;
	e->held = calloc(e->nexpects + 1, sizeof(*e->held));
	if (e->held == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		return -1;
	}
	if (!o->no_zygote) {
		/* Pay fork, not exec, for each process of each run. */
		if (lk_zygote_start(&z, o->run.agent, o->run.interposer, err) !=
		    0)
			return -1;
		oz.run.zygote = &z;
		o = &oz;
		x.o = o;
	}
	if (o->kind == LK_EXP_PCT) {
		/* PCT places its change points within a run's length: measure
		 * it with one default run first (not counted). */
		struct job j0 = {0};
		struct lk_digest d;
		struct lk_explore_opts oo = *o;

		oo.kind = LK_EXP_DFS;
		x.o = &oo;
		if (run_job(&x, &j0, &d, err) != 0) {
			lk_zygote_stop(&z);
			return -1;
		}
		x.pct_steps = (uint32_t)d.nsteps;
		lk_digest_clear(&d);
		x.o = o;
	}
	if (o->kind == LK_EXP_DFS) {
		struct job root = {0};

		if (push(&x, root) != 0) {
			lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
			return -1;
		}
	}
	if (o->jobs > 1 && o->stop_at_first)
		rc = explore_ordered(&x, err);
	else if (o->jobs > 1)
		rc = explore_parallel(&x, err);
	else
		rc = explore_serial(&x, err);
	lk_zygote_stop(&z);
	/* Stopped with runs left: say so (random and pct's seeds are on the
	 * stack with -j N). */
	if (rc == 0 && x.stop && e->bound == NULL &&
	    (x.nstack > 0 || (o->kind != LK_EXP_DFS && more_seeds(&x))))
		e->bound = "--stop-at-first";
	e->pending = x.nstack;
	/* Only dfs covers every interleaving; random and pct sample. */
	e->complete = rc == 0 && e->bound == NULL && o->kind == LK_EXP_DFS;
	if (o->kind == LK_EXP_DFS && x.nstack > 0)
		e->complete = 0;
	for (size_t i = 0; i < x.nstack; i++)
		free(x.stack[i].dec);
	free(x.stack);
	keyset_free(&x.seen);
	if (e->nraces > 1)
		qsort(e->races, e->nraces, sizeof(*e->races), cmp_race_seen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	e->seconds = (double)(t1.tv_sec - x.t0.tv_sec) +
	             (double)(t1.tv_nsec - x.t0.tv_nsec) / 1e9;
	return rc;
}

/* Free what an exploration holds. */
void
lk_explore_free(struct lk_explore *e)
{
	for (size_t i = 0; i < e->noutcomes; i++) {
		free(e->outcomes[i].text);
		free(e->outcomes[i].schedule);
		free(e->outcomes[i].explain);
	}
	free(e->outcomes);
	for (size_t i = 0; i < e->nraces; i++) {
		free(e->races[i].key);
		free(e->races[i].schedule);
	}
	free(e->races);
	free(e->held);
	memset(e, 0, sizeof(*e));
}
