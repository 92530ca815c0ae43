/*
 * What one run deserves, judged once and then printed as text (common.c)
 * or as JSON (json.c): run and replay include it.
 */
#ifndef LK_CLI_VERDICT_H
#define LK_CLI_VERDICT_H

#include "cli.h"
#include "trace/analysis.h"

/* What one run deserves: each expectation's verdict, the exit status,
 * the deadlock explained, why a process stopped the run. */
struct lk_cli_verdict {
	struct lk_verdict_line lines[64]; /* the first nx expectations */
	size_t nx, failed;
	int status;           /* the exit status the run deserves */
	char why[4096];       /* deadlock: one line per blocked process */
	char crash[1024];     /* crash, timeout, limit: what happened, "" */
	char last_event[128]; /* crash: the culprit's last event */
};

/* Judge run t of sc into v and return v->status: the expectations, the
 * deadlock explained (printed unless json), a crash, a timeout or a
 * limit said on stderr. With quiet (not json), a program's output is
 * passed on first. */
int lk_cli_judge(struct lk_trace *t, const struct lk_scenario *sc, int quiet,
                 int json, struct lk_cli_verdict *v);

/* The expectations of v that failed, in words, into buf: the first with
 * its line, and how many others ("counter = 2 (line 14), and 1 other");
 * "" when none failed. */
void lk_cli_failed_text(const struct lk_scenario *sc,
                        const struct lk_cli_verdict *v, char *buf, size_t size);

/* The files a run wrote, for run --json: NULL when not asked for. */
struct lk_cli_run_files {
	const char *trace, *schedule, *diagram;
};

/* run --json: one JSON object on stdout for run t of sc, judged into v,
 * with the exit status the run ends with (see docs/json.md). */
void lk_cli_run_json(struct lk_trace *t, const struct lk_scenario *sc,
                     const struct lk_cli_verdict *v,
                     const struct lk_cli_run_files *files, int status);

#endif
