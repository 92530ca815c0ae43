/*
 * The control protocol: the layout of the memory the controller shares
 * with every scenario process (a memfd mapped by the controller, the
 * interposer and the agent). One scenario process runs at a time; it owns
 * the scheduling state while it runs and hands the turn to the next process
 * with one futex wake on that process's own word.
 *
 * Versioned: a process whose interposer was built for another layout
 * refuses the mapping rather than misreading it.
 */
#ifndef LK_PROTOCOL_H
#define LK_PROTOCOL_H

#include <sys/mman.h>

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ops.h"

/* Nothing of the project but the operation table (ops.h, which includes
 * nothing itself): the interposer, the agent and the controller share
 * this header, and the interposer knows libc and this layout only
 * (docs/architecture.md, "Parts"). */

/* Limits of a run, which size the shared memory. */
#define LK_MAX_PROCS   64   /* processes in one run, forks included */
#define LK_MAX_OBJECTS 1024 /* declared plus discovered objects */
#define LK_NAME_MAX    48   /* a logical name, NUL included */
#define LK_MAX_DEPTH   16   /* nesting of <repeat> in an agent program */

/*
 * A set of processes: bit i is slot i (enabled sets, waitpid choices, pipe
 * holders, races' releasers). One machine word, so that a set is copied,
 * compared and walked without a loop: LK_MAX_PROCS can grow to 64 and no
 * further without changing this type and everything that shifts by a slot.
 */
typedef uint64_t lk_procset;
#define LK_PROCSET_BITS 64
_Static_assert(LK_MAX_PROCS <= LK_PROCSET_BITS,
               "a process set (lk_procset) has a bit per slot");

/* A set of objects: bit i of word i / 64 is object i (poll_objs). */
#define LK_OBJSET_WORDS (LK_MAX_OBJECTS / 64)
typedef uint64_t lk_objset[LK_OBJSET_WORDS];
_Static_assert(LK_MAX_OBJECTS % 64 == 0,
               "an object set (lk_objset) is whole 64-bit words");

#define LK_PROTO_MAGIC   0x6c6b7374u /* "lkst" */
#define LK_PROTO_VERSION 14u

/* Environment variable naming the shared memory descriptor. */
#define LK_ENV_SHM "LOCKSTEP_SHM_FD"

#define LK_DATA_MAX 256 /* bytes of a write kept in the trace */
#define LK_PATH_MAX 256
#define LK_NO_TIME  UINT64_MAX /* wake_at: not waiting for the clock */

/* The name a run gives named semaphore name ("/x" or "x"): "/RUNID.x",
 * into buf (runner/common/ops.c); 0, or -1 when it does not fit. */
int lk_private_name(const char *run_id, const char *name, char *buf,
                    size_t size);

enum lk_slot_state {
	LK_SLOT_FREE = 0,
	LK_SLOT_SPAWNED, /* exists, running towards its first point */
	LK_SLOT_PARKED,  /* waiting at a scheduling point */
	LK_SLOT_RUNNING, /* holds the turn */
	LK_SLOT_EXITED,  /* logged its exit */
	LK_SLOT_EXEC, /* in execve, holding the turn: the new image goes on */
};

/* One scenario process. */
struct lk_slot {
	_Atomic uint32_t go; /* futex word: 1 when it is this slot's turn */
	_Atomic uint32_t sleeping; /* in FUTEX_WAIT on go, or about to be */
	uint32_t state;            /* enum lk_slot_state */
	int32_t pid;               /* real pid: never in traces */
	int32_t parent;            /* slot that forked it, -1 for declared */
	uint32_t nforks;           /* children forked so far, for their names */
	uint16_t pending_op;       /* the operation it waits to perform */
	uint16_t act; /* the agent's current action (enum lk_act_kind
	                 + 1, 0 for none) */
	int32_t pending_obj;
	int32_t blocked_on; /* object it blocked on, -1 none */
	uint32_t src_line;  /* XML line of the current action, 0 none */
	uint64_t wake_at;   /* enabled once vt >= wake_at */
	int32_t wait_for;   /* blocked in waitpid: the child slot, -1 any */
	uint32_t reaped;    /* exited and waited for by its parent */
	/* Signals (bit n: signal n): sent and not delivered yet, and the
	 * ones the program blocks itself. */
	_Atomic uint64_t sigpending;
	uint64_t sigmask;
	uint64_t sigcaught; /* signals it has a handler for */
	/* SEM_UNDO adjustments it holds: undone by lockstep at its exit,
	 * while it still holds the turn (the kernel would only do it
	 * after the next process already ran). */
	struct {
		int32_t obj, id;
		uint16_t num;
		int16_t adj;
	} semadj[8];
	int32_t spawn_as; /* its next fork becomes declared slot
	                    spawn_as - 1; 0: an ordinary fork */
	/* alarm and setitimer(ITIMER_REAL) on the virtual clock: SIGALRM
	 * is due at alarm_at (0: none), then every alarm_every ns. */
	uint64_t alarm_at;
	uint64_t alarm_every;
	/* Its wait status + 1, when its parent reaped it without its exit
	 * being a step (killed): the controller can no longer read it. */
	int32_t died;
	char name[LK_NAME_MAX];
	/* Signals it ignores (SIG_IGN; bit n: signal n): the kernel
	 * discards them when sent, so they are never marked pending. */
	uint64_t sigignored;
	/* Stopped by a stop signal (SIGSTOP, or SIGTSTP, SIGTTIN, SIGTTOU
	 * by default) from another process of the run: the signal, 0 when
	 * it is not stopped; stopped_by is the sender's slot. A stopped
	 * process is not enabled until a SIGCONT (signals.c). */
	uint32_t stopped;
	int32_t stopped_by;
	/* waitpid: the exited child the pick chose for it to reap, slot
	 * + 1 (0: none); waitpid(0) or (-pgid): the group it waits for
	 * (0: any); exited: the process group it left from. */
	int32_t reap;
	int32_t wait_group;
	int32_t pgid;
	/* Blocked in poll or select: the objects it watches (bit = object),
	 * any of which changing enables it again. */
	lk_objset poll_objs;
	/* Bytes of getrandom and /dev/urandom it drew (entropy.c): its
	 * position in its stream, which an exec keeps. */
	uint64_t entropy_used;
	/* Threads (thread.c). A slot is a lane: a process (process 0) or
	 * one of its threads (process: the process's slot + 1; pid 0, so
	 * the controller watches the process only). nthreads counts the
	 * threads the process made, for their names (P/t1, P/t2, ...). */
	int32_t process;
	uint32_t nthreads;
	/* A thread lane's pthread_t in its process (join finds it by it);
	 * detached: nobody will join it. */
	uint64_t thread;
	uint32_t detached;
	/* In pthread_cond_wait: its place in the condition's queue
	 * (sh->cond_ticket when it began to wait), and whether a signal or
	 * broadcast took it off the queue (woken). */
	uint32_t cond_ticket;
	uint32_t woken;
	/* --perturb: a wait on a condition variable may end without a
	 * signal, once a lane a run: 1 when the pick chose it for that, 2
	 * once it did (thread.c). */
	uint32_t spurious;
	/* A thread's start routine, as dladdr names it ("" unknown). */
	char routine[LK_NAME_MAX];
};

enum lk_obj_type {
	LK_OT_SEM_NAMED,
	LK_OT_SEM_UNNAMED,
	LK_OT_FILE,
	LK_OT_STREAM,  /* stdin, stdout, stderr */
	LK_OT_PIPE,    /* an unnamed pipe; ino: its inode */
	LK_OT_FIFO,    /* a named pipe in the work directory */
	LK_OT_SHM,     /* a shared memory region (SysV or POSIX) */
	LK_OT_CELL,    /* a named cell of a shared memory region */
	LK_OT_SEMSET,  /* a SysV semaphore set; ino: its id + 1 */
	LK_OT_NAME,    /* a file-system name; path: absolute (fsname.c) */
	LK_OT_MUTEX,   /* a pthread mutex; ino, off: its memory (thread.c) */
	LK_OT_COND,    /* a pthread condition variable; the same */
	LK_OT_SOCK,    /* a UNIX stream socket's end: the bytes it reads;
	                  ino: its inode, off: its peer's inode, region: the
	                  peer's object (-1 none); a listener's path: its
	                  address (sock.c) */
	LK_OT_RWLOCK,  /* a pthread read-write lock; ino, off: its memory */
	LK_OT_BARRIER, /* a pthread barrier; the same; value: arrivals in
	                  the current round, slot: the rounds completed */
	LK_OT_SPIN,    /* a pthread spinlock; the same */
	LK_OT_ONCE,    /* a pthread_once_t; the same; value: 1 while its
	                  routine runs, 2 once it returned */
};

/* An object the run knows, declared or discovered. */
struct lk_object {
	uint32_t type; /* enum lk_obj_type */
	int32_t decl;  /* index of the scenario object, -1 if discovered */
	uint64_t ino;  /* unnamed semaphores: inode and offset of the memory */
	uint64_t off;
	char name[LK_NAME_MAX];
	char path[LK_PATH_MAX]; /* files: the path /proc/self/fd shows */
	/* Semaphores: the value after the last operation, when known. A
	 * process blocked on a semaphore with a known value is enabled
	 * exactly when the value is positive, so its retry succeeds;
	 * otherwise it is re-enabled whenever the object changes. */
	int32_t value;
	uint32_t has_value;
	/* Pipes: the descriptor numbers of the ends in every declared
	 * process (LK_PIPE_FD + 2 * k and + 1). FIFOs: the opens for
	 * reading and for writing so far. */
	int32_t fd[2];
	uint32_t opens[2];
	/* Shared memory: SysV key, or cells: region object and position. */
	int32_t region;
	uint32_t slot;
	int64_t key;
	uint64_t size;
};

/* Where declared pipes' ends live in every declared process: pipe k's
 * read end is LK_PIPE_FD + 2k, its write end the next number. */
#define LK_PIPE_FD   100
#define LK_MAX_PIPES 32

/* One event: a step of the run. */
struct lk_event {
	uint16_t proc;
	uint16_t op;
	int32_t obj;
	int64_t ret;
	union lk_payload u; /* by op: its member in the LK_OPS table */
	uint64_t vt;
	int32_t err;
	uint32_t src;
	uint32_t data_off; /* bytes written, in the data pool */
	uint16_t data_len;
	uint8_t blocked;
	uint8_t act;
	uint64_t enabled; /* processes the strategy could pick (bit = slot) */
};

/* One decision of a schedule: the process that takes the step and,
 * optionally (op != LK_OP_NONE), the operation it must be about to do. */
struct lk_decision {
	char proc[LK_NAME_MAX];
	int16_t slot; /* proc's slot once looked up, -1 before */
	uint16_t op;
	char obj[LK_NAME_MAX]; /* "" when not checked */
	/* --perturb: the bytes a pipe read or write moves at this step
	 * (a schedule's "bytes=K"), 0 when not given: all it can. */
	int32_t bytes;
};

/* blocked_on of a process in waitpid: it waits for a child to exit. */
#define LK_WAIT_CHILD (-2)

/* blocked_on of a process in pause or sigsuspend: it waits for a signal. */
#define LK_WAIT_SIGNAL (-3)

/* blocked_on of a lane in pthread_join: it waits for the thread lane
 * wait_for to end. */
#define LK_WAIT_THREAD (-4)

/* The signals lockstep delivers itself, at scheduling points: blocked in
 * every scenario process, delivered when the target takes a step. */
#define LK_SIGNALS                                                             \
	((1ull << SIGHUP) | (1ull << SIGINT) | (1ull << SIGQUIT) |             \
	 (1ull << SIGUSR1) | (1ull << SIGUSR2) | (1ull << SIGALRM) |           \
	 (1ull << SIGTERM) | (1ull << SIGWINCH) | (1ull << SIGCHLD))

/* Why a forced schedule could not be followed. */
enum lk_diverge {
	LK_DIV_NONE = 0,
	LK_DIV_NO_PROC,     /* the process does not exist (yet) */
	LK_DIV_NOT_ENABLED, /* blocked, asleep or exited */
	LK_DIV_OTHER_OP,    /* about to do something else */
	LK_DIV_ENDED,       /* the schedule ended first (strict) */
	LK_DIV_OTHER_CHILD, /* waitpid: that child cannot be reaped now */
	LK_DIV_BYTES,       /* --perturb: that many bytes cannot move now */
};

enum lk_run_state {
	LK_RUN_STARTING = 0,
	LK_RUN_RUNNING,
	LK_RUN_DONE,     /* every process exited */
	LK_RUN_DEADLOCK, /* no process enabled, none asleep */
	LK_RUN_LIMIT,    /* the step limit was reached */
	LK_RUN_DIVERGED, /* a forced schedule could not be followed */
};

/*
 * What the agent programs say, and what slots and events record (act): the
 * scenario's actions (runner/scenario/scenario.h reads them from XML,
 * runner/controller/program.c compiles them, runner/agent runs them).
 */
enum lk_act_kind {
	LK_ACT_PRINT,     /* text plus newline to standard output; {cell} in
	                     the text is the value this process last loaded */
	LK_ACT_POST,      /* sem_post */
	LK_ACT_WAIT,      /* sem_wait */
	LK_ACT_TRYWAIT,   /* sem_trywait */
	LK_ACT_WRITE,     /* write text (verbatim) to a file, pipe or FIFO */
	LK_ACT_SLEEP,     /* nanosleep, on the virtual clock */
	LK_ACT_REPEAT,    /* the body, times times */
	LK_ACT_SPAWN,     /* fork; the child runs process proc (every
	                     instance of a counted process, in order) */
	LK_ACT_WAITPID,   /* waitpid for process proc (each instance) */
	LK_ACT_EXEC,      /* execvp text split at blanks; stdin/stdout
	                     (objects, -1 none) are dup2'ed onto 0 and 1 */
	LK_ACT_READ,      /* read up to bytes from a pipe, FIFO or file into
	                     standard output; until_eof: loop until 0 */
	LK_ACT_CLOSE,     /* close a pipe end (end), a FIFO or a file */
	LK_ACT_OPEN,      /* open a FIFO for reading or writing (end) */
	LK_ACT_LOAD,      /* load a cell (remembered for print) */
	LK_ACT_STORE,     /* store value into a cell */
	LK_ACT_ADD,       /* load a cell, then store it plus value: 2 steps */
	LK_ACT_ATTACH,    /* attach a shm region (shmat, or shm_open+mmap) */
	LK_ACT_DETACH,    /* detach it (shmdt, munmap) */
	LK_ACT_REMOVE,    /* remove it (IPC_RMID, shm_unlink) */
	LK_ACT_KILL,      /* kill process proc (every instance) with signal
	                     value */
	LK_ACT_HANDLER,   /* body runs when signal value is delivered;
	                     installed before the process's first step */
	LK_ACT_PAUSE,     /* pause: wait for a signal with a handler */
	LK_ACT_LOCK,      /* fcntl record lock on a file: end is the type
	                     (LK_END_READ: F_RDLCK, LK_END_WRITE: F_WRLCK),
	                     start, len; F_SETLKW unless nowait */
	LK_ACT_UNLOCK,    /* F_UNLCK of start, len */
	LK_ACT_SEMOP,     /* semop on a SysV set: text is the operations,
	                     "NUM:ADD ..." (ADD 0: wait for zero), applied
	                     all at once; undo: SEM_UNDO */
	LK_ACT_LISTEN,    /* socket+bind+listen on socket obj's path;
	                     value: the backlog */
	LK_ACT_ACCEPT,    /* accept on socket obj into connection value */
	LK_ACT_CONNECT,   /* socket+connect to obj's path, as connection
	                     value */
	LK_ACT_SEND,      /* send text on connection value */
	LK_ACT_RECV,      /* recv up to bytes from connection value into
	                     standard output; until_eof: loop until 0 */
	LK_ACT_SHUTDOWN,  /* shutdown(SHUT_WR) of connection value */
	LK_ACT_THREAD,    /* body: a thread's actions, run when a START of
	                     it runs (value: its number in its process) */
	LK_ACT_START,     /* pthread_create of thread value of the process */
	LK_ACT_JOIN,      /* pthread_join of thread value */
	LK_ACT_SIGNAL,    /* pthread_cond_signal of condition variable obj */
	LK_ACT_BROADCAST, /* pthread_cond_broadcast of obj */
	LK_ACT_BARRIER_WAIT, /* pthread_barrier_wait on barrier obj */
};

/* <thread>s of one declared process. */
#define LK_MAX_THREADS 16

/* Connection names of a scenario (<accept as=>, <connect as=>): each
 * process holds its own descriptor for each, as after fork. */
#define LK_MAX_CONNS 32

/* Pipe end of a read/close/open/exec. */
enum lk_end {
	LK_END_NONE = 0,
	LK_END_READ,
	LK_END_WRITE,
};

enum lk_shm_kind {
	LK_SHM_POSIX, /* shm_open + mmap, private name per run */
	LK_SHM_SYSV,  /* shmget(IPC_PRIVATE) + shmat */
};

/* Instruction of an agent program (runner/controller/program.c). */
struct lk_instr {
	uint16_t act; /* enum lk_act_kind, or LK_INSTR_END */
	uint16_t pad;
	int32_t obj;
	uint32_t line;
	uint32_t times;    /* repeat */
	uint32_t jump;     /* repeat: index after its END; END: body start */
	uint32_t text_off; /* in the text pool */
	uint32_t text_len;
	uint64_t ns;        /* sleep */
	int64_t value;      /* store, add */
	int32_t proc;       /* spawn, waitpid: first declared process */
	uint16_t nproc;     /* spawn, waitpid: instances */
	uint8_t end;        /* close, open: enum lk_end */
	uint8_t flags;      /* read: LK_INSTR_EOF */
	int32_t in, out;    /* exec: objects for stdin and stdout, -1 */
	uint32_t bytes;     /* read */
	int64_t start, len; /* lock, unlock */
};

#define LK_INSTR_EOF    1u  /* read until end of file */
#define LK_INSTR_NOWAIT 2u  /* lock: F_SETLK, not F_SETLKW */
#define LK_INSTR_UNDO   4u  /* semop: SEM_UNDO */
#define LK_INSTR_CONN   8u  /* close: of connection value, not of obj */
#define LK_INSTR_ECHO   16u /* recv: send the bytes back, not print them */
#define LK_INSTR_SYNC                                                          \
	32u /* lock, unlock: of mutex obj; wait: on                            \
	       condition variable obj with mutex in, and                       \
	       test times (1 while, 2 if) "cell out end                        \
	       value" (end: enum lk_cmp) */

/* The comparison of a <wait cond= while=|if=>. */
enum lk_cmp {
	LK_CMP_EQ,
	LK_CMP_NE,
	LK_CMP_LT,
	LK_CMP_LE,
	LK_CMP_GT,
	LK_CMP_GE,
};

#define LK_INSTR_END 0xffffu

/* The strategy's state (runner/strategy: who steps next). */
enum lk_strategy_kind {
	LK_STRAT_DEFAULT, /* keep the current process, else the first */
	LK_STRAT_RANDOM,  /* uniform among the enabled, from a seed */
	LK_STRAT_PCT,     /* probabilistic concurrency testing */
};

#define LK_PCT_MAX_DEPTH 16

struct lk_strategy {
	uint32_t kind; /* enum lk_strategy_kind */
	uint64_t seed;
	uint64_t rng; /* generator state, advanced by every random pick */
	/* PCT (Burckhardt et al., ASPLOS 2010): distinct priorities, the
	 * highest enabled runs; at each change point the running process
	 * drops to a priority below all initial ones. */
	uint32_t depth;
	uint32_t change[LK_PCT_MAX_DEPTH];
	uint32_t prio[LK_MAX_PROCS];
};

/* Strategy called name ("default", "random", "pct"), or -1
 * (runner/common/names.c: traces and schedules name the kind). */
int lk_strategy_lookup(const char *name);

/* Name of a strategy kind. */
const char *lk_strategy_name(unsigned kind);

struct lk_shared {
	uint32_t magic;
	uint32_t version;
	uint64_t size;                /* bytes mapped */
	char run_id[32];              /* prefix of the run's private names */
	char interposer[LK_PATH_MAX]; /* preloaded again at every exec */
	int32_t notify_fd;  /* eventfd telling the controller to look */
	int32_t controller; /* lockstep's pid: a parked process whose
	                       lockstep is gone (SIGKILL) ends itself */

	_Atomic uint32_t state; /* enum lk_run_state */
	_Atomic uint32_t nready;
	int32_t running; /* slot holding the turn, -1 none */
	uint32_t nslots;
	uint32_t max_procs; /* --max-procs: a fork beyond fails (EAGAIN) */
	uint32_t track_shm; /* --track-shm: shared memory accesses are steps */
	uint32_t live;      /* run -q: tell the controller of every write on a
	                       standard stream, which it passes on (live.c) */
	_Atomic uint32_t live_wake; /* 1: told, and it has not looked yet */
	uint32_t spin_ns;      /* a parked process spins this long for its turn
	                          before it sleeps on the futex (0: never) */
	uint32_t max_spinners; /* at most this many spin at once */
	_Atomic uint32_t spinners;    /* spinning now */
	_Atomic uint32_t spin_misses; /* slow turns in a row (sched.c) */
	_Atomic uint32_t spin_resume; /* nobody spins before this step */
	uint64_t vt;                  /* virtual time, ns */
	struct lk_strategy strategy;
	lk_procset last_enabled; /* the enabled set of the last pick */

	/* A forced prefix (replay): decision i chooses step i. */
	uint64_t forced_off;
	uint32_t nforced;
	uint32_t strict; /* past the prefix: diverge instead of going on */
	uint32_t div_step;
	uint32_t div_why; /* enum lk_diverge */

	uint32_t nobjects;
	struct lk_object objects[LK_MAX_OBJECTS];
	struct lk_slot slots[LK_MAX_PROCS];

	/* Events and the bytes they carry. */
	_Atomic uint32_t nevents;
	uint32_t max_events;
	uint64_t events_off;
	uint64_t data_off;
	uint32_t data_cap;
	uint32_t data_used;

	/* Agent programs: per declared process a range of instructions. */
	uint64_t prog_off;
	uint32_t prog_start[LK_MAX_PROCS];
	uint32_t prog_end[LK_MAX_PROCS];
	uint64_t text_off;
	uint32_t text_len;

	/* Unnamed semaphores (sem_t each), indexed by object. */
	uint64_t sems_off;

	/* The run's work directory: the first declared process's working
	 * directory, filled in by its interposer (the programs' SysV
	 * objects are listed there for the controller to remove). */
	char workdir[LK_PATH_MAX];

	/* Where the run's processes start (a program: the caller's working
	 * directory; a scenario: its work directory): file-system names
	 * under it are called "./path" (runner/interposer/fsname.c). */
	char cwd[LK_PATH_MAX];
	/* Divergence on a waitpid: the children it could reap (bit = slot). */
	lk_procset div_choices;
	/* What descriptors 0, 1 and 2 of the processes lockstep starts are
	 * (device, inode): always the objects stdin, stdout and stderr,
	 * whatever they really are (a tty, a pipe, a file, /dev/null). */
	uint64_t stdio_dev[3];
	uint64_t stdio_ino[3];
	_Atomic uint32_t stdio_known; /* bit k: stdio_*[k] filled in */
	/* The run's list of SysV objects, in lockstep's private directory
	 * (runner/controller/rundir.c): the interposer appends what the
	 * programs make; when it cannot, it removes the object, fails the
	 * call and leaves the errno here for the controller (exit 70). */
	char sysv_list[LK_PATH_MAX];
	_Atomic int32_t sysv_err;
	/* The object table ran out (LK_MAX_OBJECTS): bit 0, file-system
	 * names were no longer steps (fsname.c keeps room for the rest);
	 * bit 1, a pipe, file, semaphore or region was not tracked, so calls
	 * on it ran unscheduled. The report says so (objects.c). */
	_Atomic uint32_t objects_full;
	/* The next place in a condition variable's queue (thread.c). */
	uint32_t cond_ticket;
	/* --perturb: what the kernel may legally do is a choice too (a
	 * pipe read or write moves fewer bytes, a condition variable wakes
	 * without a signal: docs/explore.md, "Perturbation"). */
	uint32_t perturb;
	/* Divergence on a read or write's bytes: how many could move. */
	int64_t div_bytes;
};

static inline struct lk_decision *
lk_shared_forced(struct lk_shared *sh)
{
	return (struct lk_decision *)((char *)sh + sh->forced_off);
}

/* Fault in the whole pages of [p, p + len) with one system call rather
 * than one fault a page (a page fault is dear on a virtual machine).
 * Best effort: before Linux 5.14 there is no MADV_POPULATE_WRITE, and the
 * pages come one fault at a time as they are written. */
static inline void
lk_populate(void *p, size_t len)
{
	uintptr_t lo = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
	uintptr_t hi = ((uintptr_t)p + len) & ~(uintptr_t)4095;

	if (hi > lo && madvise((void *)lo, hi - lo, 23 /* POPULATE_WRITE */))
		return;
}

static inline struct lk_event *
lk_shared_events(struct lk_shared *sh)
{
	return (struct lk_event *)((char *)sh + sh->events_off);
}

static inline struct lk_instr *
lk_shared_prog(struct lk_shared *sh)
{
	return (struct lk_instr *)((char *)sh + sh->prog_off);
}

static inline char *
lk_shared_text(struct lk_shared *sh)
{
	return (char *)sh + sh->text_off;
}

static inline char *
lk_shared_data(struct lk_shared *sh)
{
	return (char *)sh + sh->data_off;
}

/*
 * The layout, checked. Three binaries built apart (lockstep, the agent and
 * the preloaded interposer, perhaps of another installation) read this
 * memory, so the sizes and offsets below are the protocol: a change of
 * any of them (a field added, moved or resized, a limit changed) stops the
 * build here. Then: update the number, bump LK_PROTO_VERSION, and add the
 * new layout's row to the table of tests/unit/test_protocol.c, which fails
 * until the version and the layout agree (docs/architecture.md, "The
 * protocol's version").
 */
#define LK_LAYOUT(cond)                                                        \
	_Static_assert(cond, "the shared memory's layout changed: "            \
	                     "see runner/common/protocol.h, \"The layout\"")

/* Where a process finds the magic and the version: never moves. */
LK_LAYOUT(offsetof(struct lk_shared, magic) == 0);
LK_LAYOUT(offsetof(struct lk_shared, version) == 4);
LK_LAYOUT(offsetof(struct lk_shared, size) == 8);

/* The futex words and flags processes share: lock-free atomics only. */
LK_LAYOUT(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2);
LK_LAYOUT(sizeof(_Atomic uint32_t) == 4 && sizeof(_Atomic uint64_t) == 8);

LK_LAYOUT(sizeof(struct lk_strategy) == 352);
LK_LAYOUT(offsetof(struct lk_strategy, prio) == 92);

LK_LAYOUT(sizeof(struct lk_slot) == 504);
LK_LAYOUT(offsetof(struct lk_slot, go) == 0);
LK_LAYOUT(offsetof(struct lk_slot, sleeping) == 4);
LK_LAYOUT(offsetof(struct lk_slot, sigpending) == 56);
LK_LAYOUT(offsetof(struct lk_slot, name) == 204);
LK_LAYOUT(offsetof(struct lk_slot, poll_objs) == 288);
LK_LAYOUT(offsetof(struct lk_slot, entropy_used) == 416);

LK_LAYOUT(sizeof(struct lk_object) == 376);
LK_LAYOUT(offsetof(struct lk_object, name) == 24);
LK_LAYOUT(offsetof(struct lk_object, path) == 72);
LK_LAYOUT(offsetof(struct lk_object, size) == 368);

LK_LAYOUT(sizeof(struct lk_event) == 72);
LK_LAYOUT(offsetof(struct lk_event, proc) == 0);
LK_LAYOUT(offsetof(struct lk_event, op) == 2);
LK_LAYOUT(offsetof(struct lk_event, obj) == 4);
LK_LAYOUT(offsetof(struct lk_event, u) == 16);
LK_LAYOUT(sizeof(union lk_payload) == 24);
LK_LAYOUT(offsetof(struct lk_event, vt) == 40);
LK_LAYOUT(offsetof(struct lk_event, enabled) == 64);

LK_LAYOUT(sizeof(struct lk_decision) == 104);
LK_LAYOUT(offsetof(struct lk_decision, obj) == 52);

LK_LAYOUT(sizeof(struct lk_instr) == 88);
LK_LAYOUT(offsetof(struct lk_instr, ns) == 32);
LK_LAYOUT(offsetof(struct lk_instr, len) == 80);

LK_LAYOUT(sizeof(struct lk_shared) == 419480);
LK_LAYOUT(offsetof(struct lk_shared, state) == 312);
LK_LAYOUT(offsetof(struct lk_shared, strategy) == 376);
LK_LAYOUT(offsetof(struct lk_shared, objects) == 768);
LK_LAYOUT(offsetof(struct lk_shared, slots) == 385792);
LK_LAYOUT(offsetof(struct lk_shared, nevents) == 418048);
LK_LAYOUT(offsetof(struct lk_shared, sysv_err) == 419452);
LK_LAYOUT(offsetof(struct lk_shared, objects_full) == 419456);

#endif
