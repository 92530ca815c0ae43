/*
 * The controller: runs one scenario as real processes under the run's
 * strategy, supervises them (deadlock, crash, step timeout, interruption),
 * reaps every process, removes every object of the run, and hands back
 * what happened as a trace.
 */
#ifndef LK_CONTROLLER_H
#define LK_CONTROLLER_H

#include <sys/types.h>

#include <stdint.h>

#include "common/protocol.h"
#include "scenario/scenario.h"

struct lk_trace;

/* A running zygote (fork server): zygote.c, common/zygote.h. */
struct lk_zygote {
	pid_t pid;
	int sock;
};

/* Start and stop a zygote; start returns 0 or -1 with err. */
int lk_zygote_start(struct lk_zygote *z, const char *agent,
                    const char *interposer, struct lk_err *err);
void lk_zygote_stop(struct lk_zygote *z);

/* Have the zygote fork declared process slot; its pid, or -1. *reply gets
 * the pipe that will carry its wait status. fds: shm, notify, out. */
pid_t lk_zygote_spawn(const struct lk_zygote *z, int slot, pid_t pgid,
                      const char *workdir, const int fds[3], int (*pipes)[2],
                      int npipes, uint64_t max_output, int *reply);

struct lk_run_opts {
	unsigned strategy; /* enum lk_strategy_kind */
	uint64_t seed;
	uint32_t max_steps;       /* events at most; 0: the default */
	uint32_t max_procs;       /* processes at most; 0: LK_MAX_PROCS */
	int perturb;              /* --perturb: what the kernel may legally
	                             do is a choice too (docs/explore.md) */
	int track_shm;            /* --track-shm: shared memory loads and stores
	                             are steps (runner/interposer/shmtrack.c) */
	uint64_t max_output;      /* bytes a process may grow a file (its
	                             output included) to; 0: the default */
	unsigned step_timeout_ms; /* 0: the default */
	unsigned timeout_ms;      /* whole run; 0: none */
	const char *workdir;      /* NULL: a temporary one, removed after */
	const char *agent;        /* path of lockstep-agent */
	const char *interposer;   /* path of liblockstep-interpose.so */
	const struct lk_decision *forced; /* a schedule to follow, or NULL */
	size_t nforced;
	int strict; /* diverge when the schedule ends before the run */
	const struct lk_zygote *zygote; /* fork from it instead of exec */
	char *const *program; /* run this program as "main" (argv, whose
	                         [0] is its path), or NULL */
	const char *argv0;    /* the program's argv[0] as the user typed it
	                         (NULL: program[0]) */
	unsigned pct_depth;   /* pct: bug depth and expected steps */
	uint32_t pct_steps;
	int stable_pids; /* run the program in a pid namespace (pidns.c) */
	int isolate;     /* the program sees a copy-on-write view of its
	                    working directory and /tmp (fsiso.c) */
	int netns;       /* the program runs in a network namespace of its
	                    own with only a loopback (netns.c) */
	int live;        /* a program's stdout and stderr go on to
	                    live_fd[0] and live_fd[1] as they are written
	                    (run -q; live.c), besides the capture */
	int live_fd[2];
};

#define LK_DEFAULT_MAX_STEPS       200000u
#define LK_DEFAULT_MAX_OUTPUT      (256ull << 20)
#define LK_DEFAULT_STEP_TIMEOUT_MS 10000u

/*
 * Run sc once. Returns 0 and fills *trace (the caller frees it with
 * lk_trace_free), whatever the verdict; -1 with err when the run could not
 * be carried out (LK_EXIT_INTERNAL, or LK_EXIT_USAGE for a bad option).
 */
int lk_run_scenario(const struct lk_scenario *sc, const struct lk_run_opts *o,
                    struct lk_trace **trace, struct lk_err *err);

/* A scenario of one process "main" that runs an unmodified program
 * (argv[0] is its path), for lk_run_scenario with opts.program, with the
 * expectation that main exits with status expect_exit (--expect-exit;
 * none when it is negative: "any"); NULL when out of memory. Free with
 * lk_scenario_free. */
struct lk_scenario *lk_program_scenario(char *const argv[], int expect_exit);

/* Ask a run in progress to stop (async-signal-safe, for SIGINT/SIGTERM). */
void lk_run_interrupt(int sig);

/* The signal that interrupted the last run, or 0. */
int lk_run_interrupted(void);

/* The user's private directory, where every run keeps its lock, its
 * SysV list and its work directory (rundir.c): its descriptor, its path
 * in path; -1 with err when it cannot be made or is not safe. */
int lk_private_dir(char *path, size_t size, struct lk_err *err);

/* Register a new run in the private directory dir: its id into id, the
 * descriptor of its lock (held while the run lives) returned, its SysV
 * list open for appending in *list; -1 with err. */
int lk_run_register(int dir, const char *dirpath, unsigned *counter, char *id,
                    size_t size, int *list, struct lk_err *err);

/* Remove everything run id keeps in dir, its lock last (the caller holds
 * it). */
void lk_run_remove(int dir, const char *id);

/* Record SysV object kind ('s', 'm', 'q') id, made with key, in the list
 * open at fd (named path); 0, or -1 with err. */
int lk_sysv_record(int fd, const char *path, char kind, int id, key_t key,
                   struct lk_err *err);

/* Create declared file (FIFO when fifo) rel afresh in the directory open
 * at dir, following no link and writing through none; 0, or -1 with
 * errno. */
int lk_create_at(int dir, const char *rel, int fifo);

/* Remove directory name in dir and what it holds, links not followed. */
void lk_remove_tree_at(int dir, const char *name);

/* Remove run id's names in /dev/shm that this user owns. */
void lk_sweep_shm(const char *id);

/* Remove what runs of this user whose lockstep died (SIGKILL) left: only
 * runs of the private directory whose lock can be taken. */
void lk_sweep_stale(void);

/* Compile sc's processes into the agent program in sh (program.c).
 * Returns 0, or -1 when the program does not fit. */
int lk_program_build(const struct lk_scenario *sc, struct lk_shared *sh,
                     uint64_t prog_cap, uint64_t text_cap, struct lk_err *err);

/* Instructions and text bytes sc needs. */
void lk_program_size(const struct lk_scenario *sc, uint64_t *ninstr,
                     uint64_t *ntext);

/* Locate lockstep-agent and the interposer next to the running binary or
 * where the install rules put them relative to it (paths.c); 0, or -1 with
 * err (LK_EXIT_INSTALL, the message naming what is missing and where
 * lockstep looked). */
int lk_find_helpers(char *agent, size_t asz, char *interposer, size_t isz,
                    struct lk_err *err);

/* In a process about to exec a run's program: enter a mount namespace
 * (and a user namespace when unprivileged) where the working directory
 * and /tmp are copy-on-write overlays, discarded with the namespace, but
 * for the file keep (NULL: none), which stays real (fsiso.c). 0, or -1
 * with why. */
int lk_fsiso_enter(const char *keep, char *why, size_t size);

/* Can runs be isolated so here? Tried once, in a child, and the answer
 * kept: 0, or -1 with why. */
int lk_fsiso_check(char *why, size_t size);

/* In a process about to exec a run's program: enter a network
 * namespace of its own (in a user namespace when unprivileged) and bring
 * its loopback up (netns.c). 0, or -1 with why. */
int lk_netns_enter(char *why, size_t size);

/* Can runs have a network namespace here? Tried once, in a child, and
 * the answer kept: 0, or -1 with why. */
int lk_netns_check(char *why, size_t size);

/* probe.c: say why (printf-style) into why, size bytes, and return -1,
 * errno preserved: the shape of every "0, or -1 with why" above. */
int lk_why(char *why, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* probe.c: try enter (a namespace the controller must stay out of) in a
 * forked child: 0 when it worked, else -1 with why filled (what the
 * child said, or why it could not run). */
int lk_probe_in_child(int (*enter)(char *why, size_t size), char *why,
                      size_t size);

/* In a child in a new user namespace: map our own uid and gid onto
 * themselves (pidns.c); 0 or -1. */
int lk_ns_map_ids(uid_t uid, gid_t gid);

/* A run's pid namespace, for --stable-pids (pidns.c). */
struct lk_pidns {
	pid_t init;                /* its pid 1, our child; 0: no namespace */
	pid_t nspid[LK_MAX_PROCS]; /* the slot's pid when it was looked up */
	pid_t host[LK_MAX_PROCS];  /* that process's pid here, -1 gone */
};

/* Can this kernel give a run a pid namespace? 0, or -1 with err
 * (LK_EXIT_USAGE). The answer is kept for the process's lifetime. */
int lk_pidns_check(struct lk_err *err);

/* Start a pid namespace whose init forks a child that calls start(arg)
 * (which must not return); init's pid, or -1 with err. *main_pid gets
 * the child's pid inside the namespace (2). */
pid_t lk_pidns_start(struct lk_pidns *ns, void (*start)(void *), void *arg,
                     pid_t *main_pid, struct lk_err *err);

/* The pid lockstep sees for slot i of sh, whose slots hold the pids of
 * the namespace; 0 when it is not there (any more). */
pid_t lk_pidns_host(struct lk_pidns *ns, const struct lk_shared *sh,
                    uint32_t i);

#endif
