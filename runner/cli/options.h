/*
 * The options run, replay and explore take: one table (options.c) with
 * each option's name, value, help line and the commands that take it,
 * read by the parser and by the help, so the two cannot disagree.
 */
#ifndef LK_CLI_OPTIONS_H
#define LK_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The commands that share options (bits of lk_cli_option.cmds). */
#define LK_CMD_RUN     0x1u
#define LK_CMD_REPLAY  0x2u
#define LK_CMD_EXPLORE 0x4u

/* The strategies an option is for (bits of lk_cli_option.strats; 0:
 * every one). The parser refuses an option the chosen strategy does not
 * read, and the help prefixes its text with their names ("dfs: "). */
#define LK_ST_DEFAULT 0x1u /* run, replay: --strategy default */
#define LK_ST_RANDOM  0x2u
#define LK_ST_PCT     0x4u
#define LK_ST_DFS     0x8u /* explore's default */

/* How an option's value is read, and what it is stored as. */
enum lk_opt_kind {
	LK_OPT_HELP,    /* -h, --help: the parser says so */
	LK_OPT_FLAG,    /* no value: int, set to 1 */
	LK_OPT_TEXT,    /* const char *, as given */
	LK_OPT_WORD,    /* const char *, one of the row's words */
	LK_OPT_COUNT,   /* unsigned, lo..hi */
	LK_OPT_U64,     /* uint64_t, any non-negative integer */
	LK_OPT_SECONDS, /* unsigned ms from seconds (at most a day); lo 1:
	                 * not 0 */
	LK_OPT_BYTES,   /* uint64_t, not 0, with a K, M or G suffix */
	LK_OPT_STATUS,  /* int, an exit status 0..255 or "any" (-1) */
	LK_OPT_SHARD,   /* struct lk_cli_shard, "K/N" */
};

/* --shard K/N: K - 1 and N. */
struct lk_cli_shard {
	unsigned k, n;
};

/* Every value an option of the table sets. The caller sets defaults
 * (lk_cli_args_init, then its own) before lk_cli_parse. */
struct lk_cli_args {
	const char *strategy; /* a word of the command's --strategy row */
	uint64_t seed;
	const char *trace, *workdir, *schedule, *save_schedule, *save_dir;
	const char *diagram, *scenario, *color;
	unsigned max_steps, max_procs;
	uint64_t max_output;
	unsigned step_timeout_ms, timeout_ms, time_limit_ms;
	int strict, perturb, track_shm, stable_pids, sandbox, no_isolation,
	        quiet;
	unsigned check; /* replay --check N */
	int expect_exit;
	unsigned runs, depth, max_runs, preemption_bound, jobs, top;
	int no_reduction, json, no_zygote, stop_at_first, progress;
	const char *junit;
	struct lk_cli_shard shard;
	uint64_t given; /* bit i: row i of the table was given */
};

/* One option of the table. A name may have a row per group of commands
 * when its meaning or its help differs between them. */
struct lk_cli_option {
	const char *name;      /* long name, without "--" */
	char short_name;       /* -q, or 0 */
	const char *arg;       /* the value's name in the help; NULL: none */
	unsigned cmds;         /* LK_CMD_* that take it */
	enum lk_opt_kind kind; /* how the value is read */
	size_t off;            /* where it goes in struct lk_cli_args */
	uint64_t lo, hi;       /* LK_OPT_COUNT: range; LK_OPT_SECONDS: lo */
	const char *words;     /* LK_OPT_WORD: the words, space apart */
	const char *help;      /* the help, lines '\n' apart */
	unsigned strats;       /* LK_ST_* it is for; 0: any strategy */
};

/* The table, and how many rows it has. */
extern const struct lk_cli_option lk_cli_options[];
extern const size_t lk_cli_noptions;

/* What lk_cli_parse returns for -h or --help. */
#define LK_CLI_HELP (-1)

/* The name of command cmd (one LK_CMD_* bit): "run". */
const char *lk_cli_cmd_name(unsigned cmd);

/* Zero every value; no strategy, expect-exit 0. */
void lk_cli_args_init(struct lk_cli_args *a);

struct lk_run_opts;

/* Into run: the options of one run that run, replay and explore share
 * (--max-steps, --max-procs, --max-output, --step-timeout, --track-shm,
 * --stable-pids), from a; the rest stay as they are. */
void lk_cli_run_opts(const struct lk_cli_args *a, struct lk_run_opts *run);

/*
 * Parse the options of command cmd in argv[0..argc) (argv[0] is the
 * command's name) into a, whose defaults the caller set. Returns 0 with
 * optind on the first operand, LK_CLI_HELP for -h or --help, or 2 (bad
 * usage) with a message in err naming the command and the option: an
 * unknown one (with the nearest name, if one is near), one another
 * command takes, a value missing or wrong, or an option the chosen
 * strategy does not read. A message about an option ends with a line
 * "Try 'lockstep CMD --help' for more information.", as GNU tools do.
 */
int lk_cli_parse(unsigned cmd, int argc, char **argv, struct lk_cli_args *a,
                 char *err, size_t errsize);

/* The strategy of cmd the options in a choose, as one LK_ST_* bit:
 * --strategy, else random for run's and replay's --seed, else the
 * command's default (default; explore: dfs). */
unsigned lk_cli_strategy_bit(unsigned cmd, const struct lk_cli_args *a);

/*
 * The word of words (space-separated) nearest to given, for a "did you
 * mean" hint: the only word given is a prefix of, else the only one at
 * the smallest Damerau-Levenshtein distance, at most 2 and less than
 * given's length. Copied into buf (size bytes); buf, or NULL when no word
 * is near enough or two are equally near.
 */
const char *lk_cli_suggest(const char *given, const char *words, char *buf,
                           size_t size);

/*
 * Colour on fd or not, for --color WHEN (NULL: auto): always, never, or
 * auto: when fd is a terminal and NO_COLOR is unset or empty
 * (no-color.org). The one place that decides, for every command.
 */
int lk_cli_use_color(const char *when, int fd);

/* The name of an option given in a that only a program's runs read
 * (--expect-exit, --track-shm, --stable-pids, --sandbox,
 * --no-isolation), or NULL: a scenario's run refuses it. */
const char *lk_cli_program_option(const struct lk_cli_args *a);

/* Was an option of that name given (any row of it)? */
int lk_cli_given(const struct lk_cli_args *a, const char *name);

/* Print the options cmd takes, a line or more each, as its help does. */
void lk_cli_print_options(FILE *f, unsigned cmd);

/* Print the help of cmd: intro, its options, then outro. */
void lk_cli_print_help(FILE *f, unsigned cmd, const char *intro,
                       const char *outro);

/* Value parsers, also for commands outside the table (render). Each
 * returns 0, or -1 when s is not such a value. */
int lk_cli_u64(const char *s, uint64_t *out);    /* 0 .. 2^64 - 1 */
int lk_cli_seconds(const char *s, unsigned *ms); /* "2", "0.5" */
int lk_cli_bytes(const char *s, uint64_t *out);  /* "64M" */
int lk_cli_expect_exit(const char *s, int *out); /* 0..255, "any" -1 */

#endif
