/*
 * The command line: one file per command, helpers in common.c. Only
 * runner/main.c and the files here print to the terminal or exit.
 */
#ifndef LK_CLI_H
#define LK_CLI_H

#include <stdint.h>

#include "options.h"
#include "lockstep/lockstep.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

/* Print "lockstep: MESSAGE" on stderr and return status. */
int lk_cli_fail(int status, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* A usage error, GNU's way: "lockstep: MESSAGE", then "; did you mean
 * 'NEAR'?" when near is not NULL, then "Try 'lockstep CMD --help' for
 * more information." (cmd NULL: lockstep's own --help); exit status 2. */
int lk_cli_usage(const char *cmd, const char *near, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Report the option getopt_long just refused (it returned c, with
 * opterr 0 and a ':' leading the short options), GNU's way, with the
 * nearest name of longopts if one is near: exit status 2. For the
 * commands outside the option table (render, export); run, replay and
 * explore parse with lk_cli_parse (options.h). */
struct option;
int lk_cli_bad_option(const char *cmd, int c, char **argv,
                      const struct option *longopts);

/* For a command that takes -h and operands only (check, merge), called
 * after -h: an argument that looks like an option ("-" alone is an
 * operand) is refused GNU's way, exit status 2; else 0. */
int lk_cli_operands_only(const char *cmd, int argc, char **argv);

/* Catch SIGINT, SIGTERM and SIGHUP so a run cleans up before we go. */
void lk_cli_catch_signals(void);

/* Write the trace to path ("-" is stdout); 0 or an exit status. */
int lk_cli_save_trace(const struct lk_trace *t, const char *path);

struct lk_cli_verdict; /* verdict.h */

/* Print the outcome, the output and the expectations of one run; returns
 * the exit status the run deserves. */
int lk_cli_summarise(struct lk_trace *t, const struct lk_scenario *sc,
                     int quiet, int color, struct lk_cli_verdict *v);

struct lk_run_opts;

/* When run->isolate asks for a copy-on-write view of the files and this
 * machine cannot give one: say so once on stderr and go on without
 * (run->isolate = 0). */
void lk_cli_isolation(struct lk_run_opts *run);

/* Descriptors a run needs at least: its own, and for explore the
 * numbers where each declared process is started (64 to 66). */
#define LK_FDS_BASE    16
#define LK_FDS_EXPLORE 67

/* Refuse, before anything runs, a limit on open descriptors (ulimit -n)
 * too low for the runs of sc: 0, or exit status 2 with the limit and
 * what is needed printed. */
int lk_cli_check_fds(const struct lk_scenario *sc, int explore);

/* What an output option names (lk_cli_check_output). */
enum lk_cli_out {
	LK_OUT_FILE,    /* a file to write */
	LK_OUT_DIAGRAM, /* a file whose extension says the format */
	LK_OUT_DIR,     /* a directory to fill, made when missing */
};

/*
 * Refuse, before anything runs, the path an output option opt of cmd
 * names when it cannot be written: its directory missing, not one or not
 * writable; itself a directory (a directory that is a file, for
 * LK_OUT_DIR); a diagram's name without a format. Creates nothing. 0, or
 * exit status 2 with "lockstep: CMD: OPT PATH: why" printed.
 */
int lk_cli_check_output(const char *cmd, const char *opt, const char *path,
                        enum lk_cli_out kind);

/* An executable: name as given when it has a '/', else found in PATH;
 * its absolute path (malloc'd), or NULL with errno. */
char *lk_cli_find_program(const char *name);

/* The commands: argv[0] is the command's name. */
int lk_cmd_run(int argc, char **argv);
int lk_cmd_replay(int argc, char **argv);
int lk_cmd_check(int argc, char **argv);
int lk_cmd_explore(int argc, char **argv);
int lk_cmd_merge(int argc, char **argv);
int lk_cmd_render(int argc, char **argv);
int lk_cmd_export(int argc, char **argv);

struct lk_viz_opts;

/* Draw the trace file at path into out (render.c); 0 or exit status. */
int lk_cli_draw(const char *path, const char *out, const struct lk_viz_opts *o);

/* Draw an in-memory trace into out; failed (or NULL) names the
 * expectations that failed, for the outcome line. 0 or an exit status. */
int lk_cli_draw_trace(const struct lk_trace *t, const char *out,
                      const char *failed);

#endif
