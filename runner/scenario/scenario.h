/*
 * The scenario model: a scenario XML file parsed, validated against the
 * schema (scenarios/lockstep.xsd, embedded in the binary) and cross-checked,
 * as plain C structs. Nothing here starts a process.
 */
#ifndef LK_SCENARIO_H
#define LK_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/protocol.h"
#include "lockstep/lockstep.h"

/* LK_MAX_PROCS, LK_MAX_OBJECTS, LK_NAME_MAX and LK_MAX_DEPTH (nesting of
 * <repeat>) size the shared memory: they are the protocol's. */
#define LK_MAX_DECLARED     192 /* declared objects of one scenario */
#define LK_MAX_REPEAT       1000000
#define LK_REGEX_MAX        512   /* characters of a matches= regex */
#define LK_REGEX_REPEAT     1000  /* copies of a part: nested {m,n}, + */
#define LK_MAX_CELLS        64    /* cells of one shared memory region */
#define LK_READ_MAX         65536 /* bytes= of a <read> */
#define LK_READ_DEFAULT     512   /* bytes of a <read> without bytes= */
#define LK_BACKLOG_DEFAULT  8     /* backlog of a <listen> */
#define LK_BACKLOG_MAX      4096
#define LK_SOCK_PATH_MAX    100       /* bytes of a socket's path (sun_path) */
#define LK_EXEC_WORDS       32        /* words of an <exec> command line */
#define LK_XML_MAX_BYTES    (1 << 20) /* bytes of a scenario file */
#define LK_XML_MAX_ELEMENTS 10000     /* elements of a scenario file */
#define LK_XML_MAX_ATTRS    32        /* attributes of one element */

/* Kinds of declared object. */
enum lk_obj_kind {
	LK_OBJ_SEM,     /* a POSIX semaphore */
	LK_OBJ_FILE,    /* a regular file in the run's work directory */
	LK_OBJ_PIPE,    /* an unnamed pipe, made before any process starts */
	LK_OBJ_FIFO,    /* a named pipe in the work directory */
	LK_OBJ_SHM,     /* a shared memory region: SysV or POSIX */
	LK_OBJ_CELL,    /* a named integer cell of a shared memory region */
	LK_OBJ_SEMSET,  /* a SysV semaphore set (semget, semop) */
	LK_OBJ_SOCKET,  /* a UNIX stream socket's address in the work
	                   directory (u.file.path), made by <listen> */
	LK_OBJ_MUTEX,   /* a pthread mutex, one per process */
	LK_OBJ_COND,    /* a pthread condition variable, one per process */
	LK_OBJ_BARRIER, /* a pthread barrier of u.barrier.count threads */
};

#define LK_SEMSET_MAX 16 /* semaphores in one SysV set */
#define LK_SEMOP_MAX  8  /* operations in one <semop> */

enum lk_sem_kind {
	LK_SEM_NAMED,   /* sem_open, private name per run */
	LK_SEM_UNNAMED, /* sem_init(pshared=1) in shared memory */
};

struct lk_sc_object {
	enum lk_obj_kind kind;
	char *name; /* logical name, unique among objects */
	int line;   /* line of the declaration */
	union {
		struct {
			enum lk_sem_kind kind;
			unsigned value; /* initial value, <= SEM_VALUE_MAX */
		} sem;
		struct {
			char *path; /* relative to the work directory */
		} file;             /* files, FIFOs and sockets */
		struct {
			enum lk_shm_kind kind;
			unsigned ncells; /* its cells follow it in objects[] */
		} shm;
		struct {
			unsigned n; /* semaphores, 1..LK_SEMSET_MAX */
			unsigned short values[LK_SEMSET_MAX];
		} semset;
		struct {
			unsigned count; /* threads, 1..LK_MAX_PROCS */
		} barrier;
		struct {
			int shm;         /* index of its region */
			unsigned slot;   /* 8-byte position in the region */
			long long value; /* initial value */
		} cell;
	} u;
};

struct lk_sc_action {
	enum lk_act_kind kind;
	int line;
	int obj;        /* index into scenario objects, -1 when none */
	char *text;     /* print, write, exec (the command line) */
	uint64_t ns;    /* sleep */
	unsigned times; /* repeat */
	struct lk_sc_action *body; /* repeat, handler */
	size_t nbody;
	int proc;        /* spawn, waitpid: first process index */
	unsigned nproc;  /* spawn, waitpid: instances (count) */
	enum lk_end end; /* close (pipes), open (FIFOs) */
	int in, out;     /* exec: objects for stdin, stdout, or -1 */
	enum lk_end in_end, out_end; /* exec: which end (pipes) */
	unsigned bytes;              /* read: at most this many (default 512) */
	int until_eof;               /* read: loop until end of file */
	long long value;             /* store, add; kill, handler: signal */
	long long start, len;        /* lock, unlock (len 0: to the end) */
	int nowait;                  /* lock: F_SETLK, fail at once */
	int undo;                    /* semop: SEM_UNDO */
	int echo;                    /* recv: send back, do not print */
	int conn;  /* accept, connect, send, recv, shutdown, close:
	              index into the scenario's conns, or -1 */
	int sync;  /* lock, unlock, wait: of a mutex or condition variable
	              (obj is it; mutex: wait's mutex, -1 otherwise) */
	int mutex; /* wait cond=: its mutex object */
	int test;  /* wait cond=: 0 none, 1 while=, 2 if= */
	int cell;  /* the test's cell object, its comparison and value */
	enum lk_cmp cmp;
};

struct lk_sc_process {
	char *name; /* "A", or "writer.3" for instance 3 of count="5" */
	int line;
	int spawned; /* started by a <spawn>, not by lockstep */
	struct lk_sc_action *actions;
	size_t nactions;
};

enum lk_expect_kind {
	LK_EXPECT_BEFORE,   /* print first happens before print then */
	LK_EXPECT_OUTPUT,   /* the whole output matches a regex */
	LK_EXPECT_CONTENTS, /* a file's final contents match a regex */
	LK_EXPECT_DEADLOCK, /* the run deadlocks */
	LK_EXPECT_CELL,     /* a cell's final value equals value */
	LK_EXPECT_EXIT,     /* a program's main exits with status value
	                       (--expect-exit; line 0) */
};

/* How an expectation is judged over many runs (explore). */
enum lk_quant {
	LK_ALWAYS,
	LK_SOMETIMES,
	LK_NEVER,
};

struct lk_sc_expect {
	enum lk_expect_kind kind;
	enum lk_quant when;
	int line;
	char *first, *then; /* before */
	char *regex;        /* output, contents: POSIX extended */
	int obj;            /* contents: the file object; cell: the cell */
	long long value;    /* cell */
};

struct lk_scenario {
	char *path;           /* as given by the user */
	char *const *program; /* lk_program_scenario: the program's argv */
	char *name;
	char *description; /* NULL when absent */
	struct lk_sc_object *objects;
	size_t nobjects;
	struct lk_sc_process *procs;
	size_t nprocs;
	struct lk_sc_expect *expects;
	size_t nexpects;
	char *conns[LK_MAX_CONNS]; /* connection names (<accept as=>) */
	size_t nconns;
};

/*
 * Parse, validate and cross-check the scenario at path. Returns 0 and sets
 * *out, or -1 with err filled ("path:line: what was found, what was
 * expected", status LK_EXIT_USAGE; LK_EXIT_INTERNAL for out of memory).
 */
int lk_scenario_load(const char *path, struct lk_scenario **out,
                     struct lk_err *err);

/* The same, and the SHA-256 (64 hex digits) of the bytes it parsed:
 * hashed and parsed from one read, so the file cannot change between. */
int lk_scenario_load_hashed(const char *path, struct lk_scenario **out,
                            char hex[65], struct lk_err *err);

/* The same from a buffer; path is only used in messages. */
int lk_scenario_parse(const char *buf, size_t len, const char *path,
                      struct lk_scenario **out, struct lk_err *err);

/* Free a scenario and everything it owns; NULL is allowed. */
void lk_scenario_free(struct lk_scenario *sc);

/* Index of the object called name, or -1. */
int lk_scenario_find_object(const struct lk_scenario *sc, const char *name);

/* Parse a duration such as "1s", "250ms", "10us", "5ns", "1.5s" into ns;
 * returns 0 or -1 when malformed or above one day. */
int lk_parse_duration(const char *s, uint64_t *ns);

/* The schema, embedded at build time from scenarios/lockstep.xsd. */
extern const char lk_schema_xsd[];
extern const size_t lk_schema_xsd_len;

#endif
