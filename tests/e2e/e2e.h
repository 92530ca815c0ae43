/*
 * Helpers of the end-to-end tests: run lockstep (or any program) for real
 * and capture what it printed, read a JSON Lines trace, look for objects a
 * run left in /dev/shm, and make and remove temporary directories.
 */
#ifndef LK_E2E_H
#define LK_E2E_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

/* A program that runs longer than this is killed and the run fails: a
 * limit that only bounds a failure (explore --no-reduction of a small
 * scenario takes a minute on a loaded 2-CPU machine). */
#define E2E_TIMEOUT_S 300

/* What one run of a program did. */
struct e2e_result {
	int status;    /* exit status, 128+N if killed by signal N, -1 */
	int timed_out; /* killed after E2E_TIMEOUT_S */
	pid_t pid;
	char *out; /* standard output, NUL-terminated */
	size_t outlen;
	char *err; /* standard error, NUL-terminated */
	size_t errlen;
	int leftovers; /* lockstep objects in /dev/shm right after exit */
};

/*
 * Run path with argv (argv[0] first, NULL last) in directory cwd (NULL: ours),
 * with our environment minus LD_PRELOAD and LOCKSTEP_SHM_FD plus the
 * "NAME=VALUE" strings of env (NULL-terminated, may be NULL). Standard
 * input is /dev/null. Returns 0 when the program ran, -1 when it could not
 * be started; r is filled either way and must be freed.
 */
int e2e_spawn(struct e2e_result *r, const char *path, const char *const argv[],
              const char *const env[], const char *cwd);

/*
 * Run LK_BUILD_DIR/lockstep with args (NULL-terminated, without argv[0])
 * from LK_SOURCE_DIR, so scenarios can be named as "scenarios/NAME.xml".
 */
int e2e_lockstep(struct e2e_result *r, const char *const args[]);

/* e2e_lockstep with the arguments inline: E2E_LOCKSTEP(&r, "check", f). */
#define E2E_LOCKSTEP(r, ...)                                                   \
	e2e_lockstep((r), (const char *const[]){__VA_ARGS__, NULL})

/* Free what a run captured. */
void e2e_result_free(struct e2e_result *r);

/*
 * Same seed, same trace; its schedule replays it: `lockstep run -q ARGS
 * --trace a --save-schedule s`, the same run again to trace b, and
 * `replay -q --trace c s`, each exiting with want (files in dir; args
 * NULL-terminated, ending with the scenario). 0 when the three traces'
 * events are the same bytes, not none; else -1 with why.
 */
int e2e_same_trace_thrice(const char *dir, const char *const args[], int want,
                          char *why, size_t size);

/*
 * Load a JSON Lines trace: an array of its lines' objects, the header
 * first. NULL when the file is missing, empty, does not end with a newline
 * or holds a line that is not a JSON object.
 */
json_t *e2e_trace_load(const char *path);

/*
 * Objects named sem.lk* or lk* in /dev/shm that no running lockstep owns
 * (names of a run in progress, "lk<pid>x...", with <pid> alive, are not
 * counted: another run may be going on), made since the last e2e_spawn
 * began (older ones are not its leftovers). Their names are printed.
 */
int e2e_shm_leftovers(void);

/* A new empty directory under /tmp, malloc'd; NULL on failure. */
char *e2e_tempdir(void);

/* Remove a directory tree. */
void e2e_rmtree(const char *path);

/* A file's contents, NUL-terminated and malloc'd; NULL when unreadable. */
char *e2e_read_file(const char *path, size_t *len);

/* The events of a trace file: everything after its header line,
 * malloc'd; NULL when unreadable or without a header line. */
char *e2e_trace_events(const char *path);

/* Write text into dir/name; the path, malloc'd, or NULL on failure. */
char *e2e_write_file(const char *dir, const char *name, const char *text);

/* dir "/" name, malloc'd. */
char *e2e_path(const char *dir, const char *name);

/* Is pid a lockstep-agent of this build, alive (a zombie has no command
 * line)? */
int e2e_is_agent(pid_t pid);

/* The lockstep-agent processes of this build that descend from process
 * top (tests beside this one under ctest -j have agents of their own);
 * how many, the first max of them into out when out is not NULL. */
int e2e_agents_under(pid_t top, pid_t *out, int max);

/* Entries of directory dir other than . and .., each printed on standard
 * error as "TAG: left in TMPDIR: NAME". */
int e2e_dir_entries(const char *dir, const char *tag);

/* lockstep's private directory ($XDG_RUNTIME_DIR/lockstep when that is
 * ours and private, else $TMPDIR/lockstep-UID), malloc'd. */
char *e2e_private_dir(void);

/* Does every line of text start with prefix (and is there one)? With
 * the prefix "lockstep: ", GNU's second line of a usage error, "Try
 * 'lockstep ... --help' for more information.", is one too. */
int e2e_lines_start_with(const char *text, const char *prefix);

/* Can this kernel dispatch a process's system calls to a handler
 * (Syscall User Dispatch, Linux 5.11)? Then the system calls glibc makes
 * by itself (stdio) are steps (runner/interposer/sud.c). */
int e2e_dispatch_available(void);

#endif
