/*
 * The options of run, replay and explore, in one table: the parser and
 * the help of each command read it (options.h). An option a command does
 * not take is refused by name, saying which commands take it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "controller/controller.h"
#include "common/protocol.h"
#include "lockstep/lockstep.h"
#include "strategy/strategy.h"

#define RUN     LK_CMD_RUN
#define REPLAY  LK_CMD_REPLAY
#define EXPLORE LK_CMD_EXPLORE
#define ALL     (RUN | REPLAY | EXPLORE)
#define RANDOM  LK_ST_RANDOM
#define PCT     LK_ST_PCT
#define DFS     LK_ST_DFS

#define AT(field) offsetof(struct lk_cli_args, field)

/* name, short, value, commands, kind, field, lo, hi, words, help,
 * strategies (the only table of which strategy reads which option: the
 * parser's check and the help's "dfs: " prefixes come from it) */
const struct lk_cli_option lk_cli_options[] = {
        {"strategy", 0, "NAME", RUN | REPLAY, LK_OPT_WORD, AT(strategy), 0, 0,
         "default random pct",
         "default (keep running the current process,\n"
         "else the first enabled), random or pct",
         0},
        {"strategy", 0, "NAME", EXPLORE, LK_OPT_WORD, AT(strategy), 0, 0,
         "dfs random pct",
         "dfs (default): every interleaving that can\n"
         "change the outcome, with dynamic partial-\n"
         "order reduction; random: --runs N seeded\n"
         "random runs from --seed S; pct: --runs N\n"
         "probabilistic concurrency testing runs of\n"
         "bug depth --depth D",
         0},
        {"seed", 0, "N", RUN | REPLAY, LK_OPT_U64, AT(seed), 0, 0, NULL,
         "the seed (alone, it means --strategy\n"
         "random); same seed, same trace",
         RANDOM | PCT},
        {"seed", 0, "N", EXPLORE, LK_OPT_U64, AT(seed), 0, 0, NULL,
         "the runs' seeds are N, N+1,\n"
         "N+2, ... (default 0)",
         RANDOM | PCT},
        {"runs", 0, "N", EXPLORE, LK_OPT_COUNT, AT(runs), 1, 100000000, NULL,
         "how many runs (default 100)", RANDOM | PCT},
        {"depth", 0, "D", EXPLORE, LK_OPT_COUNT, AT(depth), 1, LK_PCT_MAX_DEPTH,
         NULL, "the bug depth (default 3)", PCT},
        {"max-runs", 0, "N", EXPLORE, LK_OPT_COUNT, AT(max_runs), 1, 100000000,
         NULL, "stop after N runs (default 10000)", DFS},
        {"preemption-bound", 0, "K", EXPLORE, LK_OPT_COUNT,
         AT(preemption_bound), 0, 1000, NULL,
         "only schedules with at most K\n"
         "preemptions (switches away from a process\n"
         "that could go on)",
         DFS},
        {"no-reduction", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(no_reduction), 0, 0,
         NULL, "try every interleaving (no partial-\norder reduction)", DFS},
        {"scenario", 0, "FILE", REPLAY, LK_OPT_TEXT, AT(scenario), 0, 0, NULL,
         "run this scenario instead of the one named\n"
         "(a different SHA-256 is then a warning)",
         0},
        {"schedule", 0, "FILE", RUN, LK_OPT_TEXT, AT(schedule), 0, 0, NULL,
         "follow this schedule (see lockstep replay),\n"
         "then go on with the strategy",
         0},
        {"strict", 0, NULL, RUN | REPLAY, LK_OPT_FLAG, AT(strict), 0, 0, NULL,
         "a run longer than the schedule is a\n"
         "divergence (exit 2)",
         0},
        {"check", 0, "N", REPLAY, LK_OPT_COUNT, AT(check), 2, 1000, NULL,
         "replay N times and compare the traces: the\n"
         "determinism self-check (exit 1 on a\n"
         "difference, naming the first differing step)",
         0},
        {"trace", 0, "FILE", RUN | REPLAY, LK_OPT_TEXT, AT(trace), 0, 0, NULL,
         "write the trace as JSON Lines (- for stdout:\n"
         "then the report goes to stderr)",
         0},
        {"diagram", 0, "FILE", RUN | REPLAY, LK_OPT_TEXT, AT(diagram), 0, 0,
         NULL,
         "draw the run as a happens-before diagram\n"
         "(svg, png, pdf or dot, from the name)",
         0},
        {"save-schedule", 0, "FILE", RUN | REPLAY, LK_OPT_TEXT,
         AT(save_schedule), 0, 0, NULL,
         "write the run's interleaving as a schedule", 0},
        {"save-schedule", 0, "FILE", EXPLORE, LK_OPT_TEXT, AT(save_schedule), 0,
         0, NULL,
         "the first failure (deadlock, crash, failed\n"
         "expectation), simplest schedule first,\n"
         "replay-checked before it is written",
         0},
        {"save-dir", 0, "DIR", EXPLORE, LK_OPT_TEXT, AT(save_dir), 0, 0, NULL,
         "one schedule per outcome: DIR/outcome-N.sched\n"
         "(naming the scenario by its absolute path,\n"
         "so lockstep replay runs it from anywhere)",
         0},
        {"json", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(json), 0, 0, NULL,
         "one JSON object on stdout: runs, complete,\n"
         "outcomes, deadlocks, races, failures, ...",
         0},
        {"stop-at-first", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(stop_at_first), 0,
         0, NULL,
         "stop at the first run that deadlocks,\n"
         "crashes or fails an expectation, and exit\n"
         "with its status (3, 4, 1); -j N stops at\n"
         "the same run as -j 1",
         0},
        {"junit", 0, "FILE", EXPLORE, LK_OPT_TEXT, AT(junit), 0, 0, NULL,
         "a JUnit XML report: a test case per\n"
         "outcome and per expectation; a failure\n"
         "names its schedule and the command that\n"
         "replays it",
         0},
        {"progress", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(progress), 0, 0, NULL,
         "the progress line on stderr even when it\n"
         "is not a terminal (a line a second)",
         0},
        {"top", 0, "N", EXPLORE, LK_OPT_COUNT, AT(top), 0, 100000000, NULL,
         "print the N most frequent outcomes (default\n"
         "20; 0: all), the rest counted in one line;\n"
         "--json lists all",
         0},
        {"json", 0, NULL, RUN | REPLAY, LK_OPT_FLAG, AT(json), 0, 0, NULL,
         "one JSON object on stdout instead of the\n"
         "report: outcome, exit_status, steps,\n"
         "expectations, races, deadlock, crashes, ...\n"
         "(docs/json.md)",
         0},
        {"workdir", 0, "DIR", RUN | REPLAY, LK_OPT_TEXT, AT(workdir), 0, 0,
         NULL,
         "create the scenario's files in DIR and keep\n"
         "them (default: a temporary directory,\n"
         "removed); a file there of the same name is\n"
         "replaced, a link is never followed; a\n"
         "program runs in the current directory",
         0},
        {"expect-exit", 0, "N|any", RUN, LK_OPT_STATUS, AT(expect_exit), 0, 0,
         NULL,
         "with -- PROGRAM: main must exit with status\n"
         "N (default 0), else the run failed (exit\n"
         "1); any: every status is fine",
         0},
        {"expect-exit", 0, "N|any", EXPLORE, LK_OPT_STATUS, AT(expect_exit), 0,
         0, NULL,
         "with -- PROGRAM: a run where main exits\n"
         "with another status than N (default 0)\n"
         "is a failure; any: main's status is part\n"
         "of the outcome only, as children's are",
         0},
        {"max-steps", 0, "N", ALL, LK_OPT_COUNT, AT(max_steps), 1, 100000000,
         NULL,
         "stop a run after N steps (default 200000),\n"
         "a limit it hit (exit 4)",
         0},
        {"max-procs", 0, "N", ALL, LK_OPT_COUNT, AT(max_procs), 1, LK_MAX_PROCS,
         NULL,
         "at most N processes in a run (default 64):\n"
         "a fork beyond fails with EAGAIN",
         0},
        {"max-output", 0, "BYTES", ALL, LK_OPT_BYTES, AT(max_output), 0, 0,
         NULL,
         "no file a process writes (its output\n"
         "included) grows past BYTES (default 256M;\n"
         "K, M, G suffixes): the process gets SIGXFSZ",
         0},
        {"step-timeout", 0, "SECS", ALL, LK_OPT_SECONDS, AT(step_timeout_ms), 1,
         0, NULL,
         "a process that runs SECS without reaching a\n"
         "scheduling point is reported, exit 4\n"
         "(default 10)",
         0},
        {"timeout", 0, "SECS", RUN | REPLAY, LK_OPT_SECONDS, AT(timeout_ms), 0,
         0, NULL, "wall-clock limit of the whole run, exit 4", 0},
        {"time-limit", 0, "SECS", EXPLORE, LK_OPT_SECONDS, AT(time_limit_ms), 0,
         0, NULL, "stop starting runs after SECS", 0},
        {"perturb", 0, NULL, RUN | REPLAY | EXPLORE, LK_OPT_FLAG, AT(perturb),
         0, 0, NULL,
         "what the kernel may legally do is a choice\n"
         "too: a pipe read or write moves fewer bytes\n"
         "(all, 1 or half), a condition variable wakes\n"
         "without a signal; recorded, replayed, explored",
         0},
        {"track-shm", 0, NULL, RUN | EXPLORE, LK_OPT_FLAG, AT(track_shm), 0, 0,
         NULL,
         "with -- PROGRAM: every load and store of\n"
         "shared memory (mmap MAP_SHARED, shmat) is\n"
         "a step, so races on plain memory show",
         0},
        {"stable-pids", 0, NULL, RUN, LK_OPT_FLAG, AT(stable_pids), 0, 0, NULL,
         "with -- PROGRAM: run it in a pid namespace\n"
         "of its own, so getpid() and the pids of\n"
         "its children are the same in every run\n"
         "(main is 2, its children 3, 4, ...); exit 2\n"
         "where the kernel refuses the namespace",
         0},
        {"stable-pids", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(stable_pids), 0, 0,
         NULL,
         "with -- PROGRAM: every run in a pid\n"
         "namespace of its own, so pids the program\n"
         "prints or uses do not split outcomes; exit\n"
         "2 where the kernel refuses the namespace",
         0},
        {"sandbox", 0, NULL, RUN, LK_OPT_FLAG, AT(sandbox), 0, 0, NULL,
         "with -- PROGRAM: the program sees a\n"
         "copy-on-write view of its working\n"
         "directory and /tmp, thrown away after\n"
         "the run (default: it writes for real)",
         0},
        {"no-isolation", 0, NULL, RUN, LK_OPT_FLAG, AT(no_isolation), 0, 0,
         NULL,
         "no sandbox, the machine's network (default:\n"
         "a network namespace with only a loopback),\n"
         "and no warning where the machine cannot\n"
         "give them",
         0},
        {"no-isolation", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(no_isolation), 0, 0,
         NULL,
         "with -- PROGRAM: let the runs write to\n"
         "the real files and use the machine's\n"
         "network (default: every run sees a\n"
         "copy-on-write view of its working\n"
         "directory and /tmp, the same at its\n"
         "start and thrown away after, and has a\n"
         "network namespace with only a loopback;\n"
         "where the machine cannot give them, a\n"
         "warning)",
         0},
        {"jobs", 'j', "N", EXPLORE, LK_OPT_COUNT, AT(jobs), 1, 64, NULL,
         "N runs at once (dfs finds the same outcomes\n"
         "and counts as with one)",
         0},
        {"shard", 0, "K/N", EXPLORE, LK_OPT_SHARD, AT(shard), 0, 0, NULL,
         "run only seeds with index % N == K-1,\n"
         "for splitting over machines",
         RANDOM | PCT},
        {"no-zygote", 0, NULL, EXPLORE, LK_OPT_FLAG, AT(no_zygote), 0, 0, NULL,
         "fork+exec every process of every run\n"
         "(default: fork them from one loaded\n"
         "process, the zygote: faster)",
         0},
        {"quiet", 'q', NULL, RUN | REPLAY, LK_OPT_FLAG, AT(quiet), 0, 0, NULL,
         "print only the verdict line and errors\n"
         "(-- PROGRAM: its stdout and stderr as it\n"
         "writes them, then the verdict line on\n"
         "stderr)",
         0},
        {"quiet", 'q', NULL, EXPLORE, LK_OPT_FLAG, AT(quiet), 0, 0, NULL,
         "no progress line", 0},
        {"color", 0, "WHEN", ALL, LK_OPT_WORD, AT(color), 0, 0,
         "auto always never", "auto (default), always or never", 0},
        {"help", 'h', NULL, ALL, LK_OPT_HELP, 0, 0, 0, NULL, "this help", 0},
};

const size_t lk_cli_noptions =
        sizeof(lk_cli_options) / sizeof(lk_cli_options[0]);

/* lk_cli_args.given has a bit per row. */
_Static_assert(sizeof(lk_cli_options) / sizeof(lk_cli_options[0]) <= 64,
               "struct lk_cli_args.given has 64 bits, one per row");

/* The help's first column: "  -q, --quiet" padded to this width. */
#define HELP_COLUMN 23

/* The name of command cmd. */
const char *
lk_cli_cmd_name(unsigned cmd)
{
	return cmd == RUN ? "run" : cmd == REPLAY ? "replay" : "explore";
}

/* Zero every value; no strategy, expect-exit 0. */
void
lk_cli_args_init(struct lk_cli_args *a)
{
	memset(a, 0, sizeof(*a));
}

/* Is s one of the space-separated words? */
static int
is_word(const char *words, const char *s)
{
	size_t n = strlen(s);

	for (const char *w = words; *w != '\0';) {
		size_t len = strcspn(w, " ");

		if (len == n && n > 0 && strncmp(w, s, n) == 0)
			return 1;
		w += len;
		w += *w == ' ';
	}
	return 0;
}

/* "a, b or c" of the space-separated words, into buf; conj is the last
 * conjunction. */
static void
word_list(const char *words, const char *conj, char *buf, size_t size)
{
	size_t nwords = 1, k = 0, len = 0;

	for (const char *p = words; *p != '\0'; p++)
		nwords += *p == ' ';
	buf[0] = '\0';
	for (const char *w = words; *w != '\0' && len < size; k++) {
		size_t n = strcspn(w, " ");

		len += (size_t)snprintf(buf + len, size - len, "%s%.*s",
		                        k == 0            ? ""
		                        : k + 1 == nwords ? conj
		                                          : ", ",
		                        (int)n, w);
		w += n;
		w += *w == ' ';
	}
}

/* "lockstep run and replay": the commands that take row r. */
static void
takers(const struct lk_cli_option *r, char *buf, size_t size)
{
	static const unsigned all[] = {RUN, REPLAY, EXPLORE};
	char words[64] = "";
	size_t len = 0;

	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < lk_cli_noptions; j++)
			if ((lk_cli_options[j].cmds & all[i]) &&
			    strcmp(lk_cli_options[j].name, r->name) == 0) {
				len += (size_t)snprintf(
				        words + len, sizeof(words) - len,
				        "%s%s", len ? " " : "",
				        lk_cli_cmd_name(all[i]));
				break;
			}
	word_list(words, " and ", buf, size);
}

/* The row of option name for cmd, or else the first row of that name. */
static const struct lk_cli_option *
row_of(const char *name, unsigned cmd)
{
	const struct lk_cli_option *first = NULL;

	for (size_t i = 0; i < lk_cli_noptions; i++)
		if (strcmp(lk_cli_options[i].name, name) == 0) {
			if (lk_cli_options[i].cmds & cmd)
				return &lk_cli_options[i];
			if (first == NULL)
				first = &lk_cli_options[i];
		}
	return first;
}

/* Read v into a as row r says; 0, or -1 with the reason in err. */
static int
store(const struct lk_cli_option *r, const char *v, struct lk_cli_args *a,
      const char *cmd, char *err, size_t errsize)
{
	char *at = (char *)a + r->off, words[128];
	uint64_t n;
	unsigned k, total;
	char extra;

	switch (r->kind) {
	case LK_OPT_HELP:
		return 0;
	case LK_OPT_FLAG:
		*(int *)at = 1;
		return 0;
	case LK_OPT_TEXT:
		*(const char **)at = v;
		return 0;
	case LK_OPT_WORD:
		if (is_word(r->words, v)) {
			*(const char **)at = v;
			return 0;
		}
		word_list(r->words, " or ", words, sizeof(words));
		snprintf(err, errsize, "%s: --%s '%s': expected %s", cmd,
		         r->name, v, words);
		if (lk_cli_suggest(v, r->words, words, sizeof(words)) != NULL)
			snprintf(err + strlen(err), errsize - strlen(err),
			         "; did you mean '%s'?", words);
		return -1;
	case LK_OPT_COUNT:
		if (lk_cli_u64(v, &n) == 0 && n >= r->lo && n <= r->hi) {
			*(unsigned *)at = (unsigned)n;
			return 0;
		}
		snprintf(err, errsize, "%s: --%s '%s': expected %llu..%llu",
		         cmd, r->name, v, (unsigned long long)r->lo,
		         (unsigned long long)r->hi);
		return -1;
	case LK_OPT_U64:
		if (lk_cli_u64(v, (uint64_t *)(void *)at) == 0)
			return 0;
		snprintf(err, errsize,
		         "%s: --%s '%s': expected a non-negative integer", cmd,
		         r->name, v);
		return -1;
	case LK_OPT_SECONDS:
		if (lk_cli_seconds(v, (unsigned *)(void *)at) == 0 &&
		    (r->lo == 0 || *(unsigned *)(void *)at != 0))
			return 0;
		snprintf(err, errsize,
		         "%s: --%s '%s': expected seconds%s, such as 2 or 0.5",
		         cmd, r->name, v, r->lo ? " more than 0" : "");
		return -1;
	case LK_OPT_BYTES:
		if (lk_cli_bytes(v, &n) == 0 && n != 0) {
			*(uint64_t *)(void *)at = n;
			return 0;
		}
		snprintf(err, errsize,
		         "%s: --%s '%s': expected bytes, such as 64M", cmd,
		         r->name, v);
		return -1;
	case LK_OPT_STATUS:
		if (lk_cli_expect_exit(v, (int *)(void *)at) == 0)
			return 0;
		snprintf(err, errsize,
		         "%s: --%s '%s': expected a status 0..255 or any", cmd,
		         r->name, v);
		return -1;
	case LK_OPT_SHARD:
		if (sscanf(v, "%u/%u%c", &k, &total, &extra) == 2 &&
		    total >= 1 && k >= 1 && k <= total && total <= 100000) {
			((struct lk_cli_shard *)(void *)at)->k = k - 1;
			((struct lk_cli_shard *)(void *)at)->n = total;
			return 0;
		}
		snprintf(err, errsize,
		         "%s: --%s '%s': expected K/N with 1 <= K <= N", cmd,
		         r->name, v);
		return -1;
	}
	return -1;
}

/* The long options of cmd for getopt_long, every name once, val 256 +
 * its index in opts, and its short ones, into shorts. Only cmd's: an
 * abbreviation means what it meant before other commands had options.
 * Returns how many long ones. */
static size_t
getopt_tables(unsigned cmd, struct option *opts, char *shorts, size_t nshorts)
{
	size_t n = 0, s = 0;

	shorts[s++] = ':';
	for (size_t i = 0; i < lk_cli_noptions; i++) {
		const struct lk_cli_option *r = &lk_cli_options[i];

		if (!(r->cmds & cmd))
			continue;
		opts[n].name = r->name;
		opts[n].has_arg = r->arg ? required_argument : no_argument;
		opts[n].flag = NULL;
		opts[n].val = 256 + (int)n;
		n++;
		if (r->short_name && s + 3 < nshorts) {
			shorts[s++] = r->short_name;
			if (r->arg)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	memset(&opts[n], 0, sizeof(opts[n]));
	return n;
}

/* The long names of cmd's options, space apart, into buf. */
static void
long_names(unsigned cmd, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < lk_cli_noptions && len < size; i++)
		if (lk_cli_options[i].cmds & cmd)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			                        len ? " " : "",
			                        lk_cli_options[i].name);
}

/*
 * Say why the option getopt_long did not know is refused (given is the
 * argument that named it, c the short option or 0): another command's
 * (by its exact name), an abbreviation of several of cmd's, or unknown,
 * then with the nearest of cmd's names.
 */
static void
refuse(unsigned cmd, const char *given, int c, const struct option *opts,
       size_t n, char *err, size_t errsize)
{
	const char *name = lk_cli_cmd_name(cmd);
	const char *long_name = strncmp(given, "--", 2) == 0 ? given + 2 : NULL;
	size_t len = long_name ? strcspn(long_name, "=") : 0, matches = 0;
	char who[64], list[256] = "", shown[8] = "", names[1024], near[64];
	const struct lk_cli_option *r = NULL;

	for (size_t i = 0; i < lk_cli_noptions && r == NULL; i++)
		if (long_name != NULL
		            ? strlen(lk_cli_options[i].name) == len &&
		                      strncmp(lk_cli_options[i].name, long_name,
		                              len) == 0
		            : c > 0 && lk_cli_options[i].short_name == c)
			r = &lk_cli_options[i];
	if (r != NULL) {
		if (long_name == NULL)
			snprintf(shown, sizeof(shown), "-%c (", c);
		takers(r, who, sizeof(who));
		snprintf(err, errsize,
		         "%s: option %s--%s%s is for lockstep %s, not %s", name,
		         shown, r->name, long_name ? "" : ")", who, name);
		return;
	}
	for (size_t i = 0; long_name != NULL && len > 0 && i < n; i++)
		if (strncmp(opts[i].name, long_name, len) == 0) {
			size_t used = strlen(list);

			snprintf(list + used, sizeof(list) - used, "%s--%s",
			         matches++ ? ", " : "", opts[i].name);
		}
	if (matches > 1) {
		snprintf(err, errsize, "%s: option '%.*s' is ambiguous (%s)",
		         name, (int)len + 2, given, list);
		return;
	}
	if (long_name == NULL && c > 0) {
		snprintf(err, errsize, "%s: invalid option -- '%c'", name, c);
		return;
	}
	snprintf(err, errsize, "%s: unrecognized option '%.*s'", name,
	         long_name ? (int)len + 2 : (int)strlen(given), given);
	long_names(cmd, names, sizeof(names));
	if (long_name != NULL && len < sizeof(list)) {
		snprintf(list, sizeof(list), "%.*s", (int)len, long_name);
		if (lk_cli_suggest(list, names, near, sizeof(near)) != NULL)
			snprintf(err + strlen(err), errsize - strlen(err),
			         "; did you mean '--%s'?", near);
	}
}

/* The strategy cmd runs with (see options.h). */
unsigned
lk_cli_strategy_bit(unsigned cmd, const struct lk_cli_args *a)
{
	if (a->strategy != NULL)
		return strcmp(a->strategy, "random") == 0 ? LK_ST_RANDOM
		       : strcmp(a->strategy, "pct") == 0  ? LK_ST_PCT
		       : strcmp(a->strategy, "dfs") == 0  ? LK_ST_DFS
		                                          : LK_ST_DEFAULT;
	if (cmd == EXPLORE)
		return LK_ST_DFS;
	return lk_cli_given(a, "seed") ? LK_ST_RANDOM : LK_ST_DEFAULT;
}

/* "random and pct": the names of the strategies in mask, with conj
 * before the last, into buf. */
static void
strategy_names(unsigned mask, const char *conj, char *buf, size_t size)
{
	static const char *const names[] = {"default", "random", "pct", "dfs"};
	char words[64] = "";
	size_t len = 0;

	for (unsigned i = 0; i < 4; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(words + len,
			                        sizeof(words) - len, "%s%s",
			                        len ? " " : "", names[i]);
	word_list(words, conj, buf, size);
}

/* Refuse an option a gives that the strategy chosen does not read: 0,
 * or -1 with the reason in err. */
static int
check_strategy(unsigned cmd, const struct lk_cli_args *a, char *err,
               size_t errsize)
{
	unsigned st = lk_cli_strategy_bit(cmd, a);
	char is[64], wants[64];

	strategy_names(st, " or ", is, sizeof(is));
	for (size_t i = 0; i < lk_cli_noptions; i++) {
		const struct lk_cli_option *r = &lk_cli_options[i];

		if (!(a->given & (1ull << i)) || r->strats == 0 ||
		    (r->strats & st))
			continue;
		strategy_names(r->strats & (cmd == EXPLORE ? ~LK_ST_DEFAULT
		                                           : ~LK_ST_DFS),
		               " and ", wants, sizeof(wants));
		snprintf(err, errsize,
		         "%s: --%s is for the %s %s, not %s%s: it would be "
		         "ignored",
		         lk_cli_cmd_name(cmd), r->name, wants,
		         strchr(wants, ' ') ? "strategies" : "strategy", is,
		         a->strategy == NULL ? " (the default)" : "");
		return -1;
	}
	return 0;
}

/* Append GNU's second line to a message about an option of cmd. */
static void
try_help(unsigned cmd, char *err, size_t errsize)
{
	size_t len = strlen(err);

	snprintf(err + len, errsize - len,
	         "\nTry 'lockstep %s --help' for more information.",
	         lk_cli_cmd_name(cmd));
}

/* Parse the options of cmd (see options.h). */
int
lk_cli_parse(unsigned cmd, int argc, char **argv, struct lk_cli_args *a,
             char *err, size_t errsize)
{
	struct option
	        opts[sizeof(lk_cli_options) / sizeof(lk_cli_options[0]) + 1];
	const char *name = lk_cli_cmd_name(cmd);
	char shorts[32];
	size_t n = getopt_tables(cmd, opts, shorts, sizeof(shorts));
	int c;

	/* 0, not 1: glibc then forgets a scan an earlier call left midway
	 * (the tests parse many command lines in one process). */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct lk_cli_option *r = NULL;
		const char *given = argv[optind - 1];
		int missing = c == ':', valued = c == '?';

		/* ':' a value missing, '?' unknown or a value given to a
		 * flag: optopt says which option (0: an unknown long one). */
		if (missing || valued)
			c = optopt;
		if (c >= 256 && (size_t)(c - 256) < n)
			r = row_of(opts[c - 256].name, cmd);
		for (size_t i = 0;
		     r == NULL && c > 0 && c < 256 && i < lk_cli_noptions; i++)
			if (lk_cli_options[i].short_name == c &&
			    (lk_cli_options[i].cmds & cmd))
				r = &lk_cli_options[i];
		if (r == NULL) {
			refuse(cmd, given, c, opts, n, err, errsize);
			goto bad;
		}
		if (missing) {
			snprintf(err, errsize, "%s: option '%s' needs a value",
			         name, given);
			goto bad;
		}
		if (valued) {
			snprintf(err, errsize, "%s: option --%s takes no value",
			         name, r->name);
			goto bad;
		}
		if (r->kind == LK_OPT_HELP)
			return LK_CLI_HELP;
		if (store(r, optarg, a, name, err, errsize) != 0)
			goto bad;
		a->given |= 1ull << (r - lk_cli_options);
	}
	if (check_strategy(cmd, a, err, errsize) == 0)
		return 0;
bad:
	try_help(cmd, err, errsize);
	return LK_EXIT_USAGE;
}

/* Was an option of that name given? */
int
lk_cli_given(const struct lk_cli_args *a, const char *name)
{
	for (size_t i = 0; i < lk_cli_noptions; i++)
		if ((a->given & (1ull << i)) &&
		    strcmp(lk_cli_options[i].name, name) == 0)
			return 1;
	return 0;
}

/* Print the options cmd takes (see options.h). */
void
lk_cli_print_options(FILE *f, unsigned cmd)
{
	for (size_t i = 0; i < lk_cli_noptions; i++) {
		const struct lk_cli_option *r = &lk_cli_options[i];
		char head[64];
		int len;

		if (!(r->cmds & cmd))
			continue;
		if (r->short_name)
			len = snprintf(head, sizeof(head), "  -%c, --%s%s%s",
			               r->short_name, r->name,
			               r->arg ? " " : "", r->arg ? r->arg : "");
		else
			len = snprintf(head, sizeof(head), "  --%s%s%s",
			               r->name, r->arg ? " " : "",
			               r->arg ? r->arg : "");
		fputs(head, f);
		if (len >= HELP_COLUMN) {
			fputc('\n', f);
			len = 0;
		}
		for (const char *p = r->help; *p != '\0';) {
			size_t n = strcspn(p, "\n");
			char who[64] = "";

			if (p == r->help && r->strats != 0) {
				strategy_names(r->strats, ", ", who,
				               sizeof(who));
				strcat(who, ": ");
			}
			fprintf(f, "%*s%s%.*s\n", HELP_COLUMN - len, "", who,
			        (int)n, p);
			len = 0;
			p += n;
			p += *p == '\n';
		}
	}
}

/* Print the help of cmd (see options.h). */
void
lk_cli_print_help(FILE *f, unsigned cmd, const char *intro, const char *outro)
{
	fputs(intro, f);
	fputs("\noptions:\n", f);
	lk_cli_print_options(f, cmd);
	fputs("\n", f);
	fputs(outro, f);
}

/* --- values ------------------------------------------------------------ */

/* Parse an unsigned 64-bit integer. */
int
lk_cli_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return -1;
	*out = strtoull(s, &end, 0);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Parse seconds (may be fractional, at most a day) into ms. */
int
lk_cli_seconds(const char *s, unsigned *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return -1;
	*ms = (unsigned)(v * 1000 + 0.5);
	return 0;
}

/* Parse a byte count with an optional K, M or G suffix. */
int
lk_cli_bytes(const char *s, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	unsigned shift = 0;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[len - 1] = '\0';
	if (lk_cli_u64(num, out) != 0 || *out > (UINT64_MAX >> 34))
		return -1;
	*out <<= shift;
	return 0;
}

/* Parse --expect-exit's value: "any" is -1, else a status 0..255. */
int
lk_cli_expect_exit(const char *s, int *out)
{
	uint64_t v;

	if (strcmp(s, "any") == 0) {
		*out = -1;
		return 0;
	}
	if (lk_cli_u64(s, &v) != 0 || v > 255)
		return -1;
	*out = (int)v;
	return 0;
}

void
lk_cli_run_opts(const struct lk_cli_args *a, struct lk_run_opts *run)
{
	run->max_steps = a->max_steps;
	run->max_procs = a->max_procs;
	run->max_output = a->max_output;
	run->step_timeout_ms = a->step_timeout_ms;
	run->track_shm = a->track_shm;
	run->perturb = a->perturb;
	run->stable_pids = a->stable_pids;
}

/* The optimal-string-alignment (restricted Damerau-Levenshtein)
 * distance of a and b, the lengths at most 63: insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1. */
static unsigned
distance(const char *a, size_t n, const char *b, size_t m)
{
	unsigned d[64][64];

	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = a[i - 1] != b[j - 1], best;

			best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

/* The word nearest to given, for "did you mean" (see options.h). */
const char *
lk_cli_suggest(const char *given, const char *words, char *buf, size_t size)
{
	size_t n = strlen(given), nprefix = 0;
	const char *best = NULL, *prefix = NULL;
	size_t best_len = 0, prefix_len = 0;
	unsigned best_d = 3;
	int tie = 0;

	if (n == 0 || n > 63 || size == 0)
		return NULL;
	for (const char *w = words; *w != '\0';) {
		size_t len = strcspn(w, " ");
		unsigned d = len > 63 ? 64 : distance(given, n, w, len);

		/* A word listed twice is one word. */
		if (len > n && strncmp(w, given, n) == 0 &&
		    (prefix == NULL || len != prefix_len ||
		     strncmp(w, prefix, len) != 0)) {
			prefix = w;
			prefix_len = len;
			nprefix++;
		}
		if (d < best_d) {
			best = w;
			best_len = len;
			best_d = d;
			tie = 0;
		} else if (d == best_d && best != NULL &&
		           (len != best_len || strncmp(w, best, len) != 0)) {
			tie = 1;
		}
		w += len;
		w += *w == ' ';
	}
	if (nprefix == 1) {
		best = prefix;
		best_len = prefix_len;
	} else if (best == NULL || tie || best_d == 0 || best_d >= n) {
		return NULL;
	}
	if (best_len >= size)
		return NULL;
	memcpy(buf, best, best_len);
	buf[best_len] = '\0';
	return buf;
}

/* Colour or not (see options.h). */
int
lk_cli_use_color(const char *when, int fd)
{
	const char *no_color = getenv("NO_COLOR");

	if (when != NULL && strcmp(when, "always") == 0)
		return 1;
	if (when != NULL && strcmp(when, "never") == 0)
		return 0;
	return isatty(fd) && (no_color == NULL || no_color[0] == '\0');
}

/* The options that only a program's runs read (see options.h). */
const char *
lk_cli_program_option(const struct lk_cli_args *a)
{
	static const char *const names[] = {
	        "expect-exit", "track-shm",    "stable-pids",
	        "sandbox",     "no-isolation",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (lk_cli_given(a, names[i]))
			return names[i];
	return NULL;
}
