/*
 * The operations, in one table: each operation lockstep records, once,
 * with everything the other parts need to know about it. The interposer
 * fills an event's payload, the trace writer turns it into "args", the
 * vector clocks, DPOR, race analysis and the labeller read their columns
 * here rather than keeping their own switch on the operation.
 *
 * Adding an operation is adding a row at the end (the numbers are
 * internal, the trace names are the contract; existing rows keep their
 * place), its wrapper in the interposer, and its tests: see "Adding an
 * operation" in docs/architecture.md. This header includes nothing of the
 * project, so the preloaded interposer can include it.
 */
#ifndef LK_OPS_H
#define LK_OPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The payload of an event: a member per kind of operation, named in the
 * table's third column, so no field means two things. 24 bytes at most.
 */
struct lk_pl_none {
	int32_t unused;
};

struct lk_pl_start {
	int32_t parent; /* the slot that forked it */
};

struct lk_pl_sem {
	int64_t value; /* sem_open, sem_init: the initial value;
	                  sem_getvalue: the value found (0 when it failed) */
};

struct lk_pl_rw {
	int32_t fd;
	int64_t off;   /* regular file: where the bytes went or came from;
	                  -1 for a pipe */
	int32_t avail; /* --perturb: the bytes the call could move (2 or
	                  more; ret of them moved), 0 when no choice */
};

struct lk_pl_sleep {
	int64_t ns;
};

struct lk_pl_fork {
	int32_t child; /* the child's slot (ret says it too) */
};

struct lk_pl_exit {
	int32_t status;
	int32_t chld; /* 1 + the parent this exit made SIGCHLD pending in
	                 (it handles or blocks it), 0 none: a signal sent,
	                 as a kill's (explore/dpor.c); not in traces */
};

struct lk_pl_wait {
	int32_t target;   /* the child a waitpid waits for, -1 any */
	int32_t status;   /* the wait status of the child reaped */
	uint64_t choices; /* the exited children it could have reaped (bit
	                     = slot), 0 when at most one */
};

struct lk_pl_close {
	int32_t fd;
	int32_t mode; /* the end's access mode: O_RDONLY, O_WRONLY, ... */
};

struct lk_pl_dup2 {
	int32_t newfd;
	int32_t mode; /* the pipe end's access mode */
};

struct lk_pl_open {
	int32_t fd;
	int32_t created; /* a file-system name: the open created the file */
};

struct lk_pl_cell {
	int64_t at; /* the byte of the region it touched */
};

struct lk_pl_shm_open {
	int32_t flags;
};

struct lk_pl_map {
	int64_t len; /* mmap, munmap */
};

struct lk_pl_shmget {
	int64_t size;
};

struct lk_pl_shmctl {
	int32_t cmd;
};

/* fcntl's record locks, and flock's as a lock of the whole file: cmd
 * F_SETLK with LOCK_NB, else F_SETLKW; type from LOCK_SH, LOCK_EX,
 * LOCK_UN. */
struct lk_pl_lock {
	int32_t cmd;   /* F_SETLK, F_SETLKW, F_GETLK, F_OFD_* */
	int32_t type;  /* F_RDLCK, F_WRLCK, F_UNLCK */
	int64_t start; /* the range, as struct flock has it */
	int64_t len;   /* 0: to the end of the file */
};

struct lk_pl_kill {
	int32_t sig;
	int32_t to; /* the target's slot; -1 none of the run's, -2 a
	               process group, -3 every process */
};

struct lk_pl_signal {
	int32_t sig;
};

struct lk_pl_semop {
	int32_t nops;
	int32_t undo; /* 1: an operation has SEM_UNDO (the exit undoes it) */
};

struct lk_pl_semget {
	int32_t nsems;
};

struct lk_pl_semctl {
	int32_t cmd;
	int32_t num;
};

struct lk_pl_poll {
	int64_t nfds;
	int64_t nready;   /* descriptors found ready */
	uint64_t watched; /* the objects it watches (bit = object, the
	                     first 64), for explore (dpor.c) */
};

struct lk_pl_name {
	int32_t from; /* rename, link: the object of the old name, or -1 */
};

/* Threads: pthread_create's new lane, pthread_join's and
 * pthread_detach's target (a slot). */
struct lk_pl_thread {
	int32_t lane;
};

/* Condition variables: a wait's mutex (an object); whether the step
 * let go of it (the wait's first step) and, for signal and broadcast,
 * how many waiters it woke. */
struct lk_pl_cond {
	int32_t mutex;
	int32_t released;
	int32_t woke;
	int32_t spurious; /* a wait's end: woken without a signal
	                     (--perturb) */
};

/* Read-write locks: whether a lock takes (an unlock lets go of) the
 * write lock (1) or a read lock (0). */
struct lk_pl_rwlock {
	int32_t write;
};

/* Barriers: the barrier's count (init's, and a wait's); whether the step is its
 * arrival (1: the first step of the wait; the last arriver's only step is both
 * arrival and departure) and whether the wait returned
 * PTHREAD_BARRIER_SERIAL_THREAD. */
struct lk_pl_barrier {
	int32_t count;
	int32_t arrive;
	int32_t serial;
};

/* pthread_once: 1 on the step where the caller starts the init routine,
 * 2 on the step where the routine returned, 0 otherwise (it found the
 * routine run, or waited for its end). */
struct lk_pl_once {
	int32_t run;
};

union lk_payload {
	struct lk_pl_none none;
	struct lk_pl_start start;
	struct lk_pl_sem sem;
	struct lk_pl_rw rw;
	struct lk_pl_sleep sleep;
	struct lk_pl_fork fork;
	struct lk_pl_exit exit;
	struct lk_pl_wait wait;
	struct lk_pl_close close;
	struct lk_pl_dup2 dup2;
	struct lk_pl_open open;
	struct lk_pl_cell cell;
	struct lk_pl_shm_open shm_open;
	struct lk_pl_map map;
	struct lk_pl_shmget shmget;
	struct lk_pl_shmctl shmctl;
	struct lk_pl_lock lock;
	struct lk_pl_kill kill;
	struct lk_pl_signal signal;
	struct lk_pl_semop semop;
	struct lk_pl_semget semget;
	struct lk_pl_semctl semctl;
	struct lk_pl_poll poll;
	struct lk_pl_name name;
	struct lk_pl_thread thread;
	struct lk_pl_cond cond;
	struct lk_pl_rwlock rwlock;
	struct lk_pl_barrier barrier;
	struct lk_pl_once once;
};

_Static_assert(sizeof(union lk_payload) == 24, "payload: 24 bytes");

/* What an operation acts on (the table's fourth column). */
enum lk_op_kind {
	LK_OK_NONE,    /* nothing: sleep, pause */
	LK_OK_PROC,    /* processes: fork, exit, waitpid, signals */
	LK_OK_SEM,     /* a POSIX semaphore */
	LK_OK_CHAN,    /* a descriptor's object: pipe, FIFO, file, stream */
	LK_OK_CELL,    /* a cell of shared memory */
	LK_OK_SHM,     /* a shared memory region */
	LK_OK_LOCK,    /* a file's record or whole-file locks */
	LK_OK_SEMSET,  /* a SysV semaphore set */
	LK_OK_NAME,    /* a file-system name */
	LK_OK_MUTEX,   /* a pthread mutex */
	LK_OK_COND,    /* a pthread condition variable */
	LK_OK_RWLOCK,  /* a pthread read-write lock */
	LK_OK_BARRIER, /* a pthread barrier */
	LK_OK_SPIN,    /* a pthread spinlock */
	LK_OK_ONCE,    /* a pthread_once_t */
};

/*
 * Flags (the fifth column). Happens-before: an operation that acquires
 * joins its object's clock into its own, one that releases joins its own
 * into the object's, when it succeeded (not blocked, ret >= 0) unless
 * CHAN_BYTES or ANYWAY says otherwise (runner/trace/vclock.c).
 */
#define LK_OPF_BLOCKS  0x001u /* may report blocked and retry */
#define LK_OPF_TRY     0x002u /* the form that fails where another blocks */
#define LK_OPF_ACQUIRE 0x004u
#define LK_OPF_RELEASE 0x008u
#define LK_OPF_CHAN                                                            \
	0x010u /* acquire/release on a pipe, FIFO or socket end only */
#define LK_OPF_BYTES                                                           \
	0x020u               /* releases when bytes went (ret > 0), even       \
	                        blocked: a piece of a write */
#define LK_OPF_ANYWAY 0x040u /* releases whatever the result: a close */
#define LK_OPF_LOCK                                                            \
	0x080u               /* acquires, or releases when its payload         \
	                        unlocks; a query (F_GETLK) neither */
#define LK_OPF_READS  0x100u /* reads its object's data (races) */
#define LK_OPF_WRITES 0x200u /* writes its object's data (races) */
#define LK_OPF_NAMEW  0x400u /* creates, removes or replaces its name */
#define LK_OPF_FROM   0x800u /* also reads a second name (u.name.from) */
#define LK_OPF_READY                                                           \
	0x1000u /* readiness: acquires the clock of each                       \
	           ready pipe or FIFO, as a read does (their                   \
	           objects follow '|' in its data) */

/*
 * DPOR dependency classes (the sixth column; runner/explore/dpor.c): which
 * state of what a step reads or writes. Two steps are dependent when they
 * touch the same state and one of them writes it.
 */
enum lk_dep {
	LK_DEP_NONE,        /* touches nothing another process sees */
	LK_DEP_READ,        /* reads its object */
	LK_DEP_WRITE,       /* writes its object */
	LK_DEP_TAKE,        /* a wait: writes when it took, else reads */
	LK_DEP_EXIST_READ,  /* reads its object's existence (opening a
	                       named semaphore, copying a pipe end) */
	LK_DEP_EXIST_WRITE, /* writes it (sem_unlink) */
	LK_DEP_CLOSE,       /* a write end's close writes the pipe (end of
	                       file), a read end's reads its existence */
	LK_DEP_KILL,        /* writes the target's pending signals */
	LK_DEP_SIGNAL,      /* writes its own pending signals */
	LK_DEP_PAUSE,       /* reads its own pending signals */
	LK_DEP_WATCH,       /* reads its object and every object it
	                       watches (u.poll.watched): poll, epoll */
	LK_DEP__COUNT
};

/*
 * The table. Columns:
 *   enum name (LK_OP_<name>), name in traces and schedules,
 *   payload member (union lk_payload), object kind (LK_OK_<kind>),
 *   flags (LK_OPF_*, 0 none), DPOR class (LK_DEP_<class>),
 *   label (runner/trace/label.c: label_<label>, every style),
 *   trace args (runner/trace/trace.c: args_<args>).
 * Rows are appended; a row's place is its number.
 */
#define LK_OPS(X)                                                              \
	X(NONE, "none", none, NONE, 0, NONE, plain, none)                      \
	X(START, "start", start, PROC, 0, NONE, start, start)                  \
	X(SEM_OPEN, "sem_open", sem, SEM, 0, EXIST_READ, sem, value)           \
	X(SEM_CLOSE, "sem_close", none, SEM, 0, EXIST_READ, sem, none)         \
	X(SEM_UNLINK, "sem_unlink", none, SEM, 0, EXIST_WRITE, sem, none)      \
	X(SEM_INIT, "sem_init", sem, SEM, LK_OPF_RELEASE, WRITE, sem, value)   \
	X(SEM_DESTROY, "sem_destroy", none, SEM, 0, WRITE, sem, none)          \
	X(SEM_WAIT, "sem_wait", none, SEM, LK_OPF_BLOCKS | LK_OPF_ACQUIRE,     \
	  TAKE, semwait, none)                                                 \
	X(SEM_TRYWAIT, "sem_trywait", none, SEM, LK_OPF_TRY | LK_OPF_ACQUIRE,  \
	  TAKE, trywait, none)                                                 \
	X(SEM_TIMEDWAIT, "sem_timedwait", none, SEM,                           \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, semwait, none)                 \
	X(SEM_POST, "sem_post", none, SEM, LK_OPF_RELEASE, WRITE, post, none)  \
	X(SEM_GETVALUE, "sem_getvalue", sem, SEM, 0, READ, sem, value)         \
	X(WRITE, "write", rw, CHAN,                                            \
	  LK_OPF_BLOCKS | LK_OPF_RELEASE | LK_OPF_CHAN | LK_OPF_BYTES |        \
	          LK_OPF_WRITES,                                               \
	  WRITE, write, rw)                                                    \
	X(SLEEP, "sleep", sleep, NONE, 0, NONE, sleep, sleep)                  \
	X(FORK, "fork", fork, PROC, 0, NONE, fork, fork)                       \
	X(EXIT, "exit", exit, PROC, 0, NONE, exit, exit)                       \
	X(EXEC, "execve", none, PROC, 0, NONE, exec, exec)                     \
	X(WAIT, "waitpid", wait, PROC, LK_OPF_BLOCKS, NONE, wait, wait)        \
	X(READ, "read", rw, CHAN,                                              \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_CHAN | LK_OPF_READS, WRITE,  \
	  read, rw)                                                            \
	X(CLOSE, "close", close, CHAN,                                         \
	  LK_OPF_RELEASE | LK_OPF_CHAN | LK_OPF_ANYWAY, CLOSE, close, close)   \
	X(DUP2, "dup2", dup2, CHAN,                                            \
	  LK_OPF_RELEASE | LK_OPF_CHAN | LK_OPF_ANYWAY, EXIST_READ, dup2,      \
	  dup2)                                                                \
	X(OPEN, "open", open, CHAN,                                            \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE | LK_OPF_CHAN |      \
	          LK_OPF_NAMEW,                                                \
	  WRITE, open, open)                                                   \
	X(LOAD, "load", cell, CELL, LK_OPF_READS, READ, cell, cell)            \
	X(STORE, "store", cell, CELL, LK_OPF_WRITES, WRITE, cell, cell)        \
	X(SHM_OPEN, "shm_open", shm_open, SHM, 0, READ, other, none)           \
	X(SHM_UNLINK, "shm_unlink", none, SHM, 0, WRITE, other, none)          \
	X(MMAP, "mmap", map, SHM, 0, READ, other, none)                        \
	X(MUNMAP, "munmap", map, SHM, 0, READ, other, none)                    \
	X(SHMGET, "shmget", shmget, SHM, 0, READ, other, none)                 \
	X(SHMAT, "shmat", none, SHM, 0, READ, other, none)                     \
	X(SHMDT, "shmdt", none, SHM, 0, READ, other, none)                     \
	X(SHMCTL, "shmctl", shmctl, SHM, 0, WRITE, other, none)                \
	X(FCNTL, "fcntl", lock, LOCK,                                          \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE | LK_OPF_LOCK,       \
	  WRITE, fcntl, fcntl)                                                 \
	X(FLOCK, "flock", lock, LOCK,                                          \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE | LK_OPF_LOCK,       \
	  WRITE, flock, flock)                                                 \
	X(KILL, "kill", kill, PROC, 0, KILL, kill, kill)                       \
	X(SIGNAL, "signal", signal, PROC, 0, SIGNAL, signal, signal)           \
	X(PAUSE, "pause", none, NONE, LK_OPF_BLOCKS, PAUSE, pause, none)       \
	X(SEMOP, "semop", semop, SEMSET,                                       \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE, WRITE, semop,       \
	  semop)                                                               \
	X(SEMGET, "semget", semget, SEMSET, 0, READ, other, none)              \
	X(SEMCTL, "semctl", semctl, SEMSET, LK_OPF_ACQUIRE | LK_OPF_RELEASE,   \
	  WRITE, other, none)                                                  \
	X(ACCESS, "access", name, NAME, 0, READ, other, none)                  \
	X(STAT, "stat", name, NAME, 0, READ, other, none)                      \
	X(UNLINK, "unlink", name, NAME, LK_OPF_NAMEW, WRITE, other, none)      \
	X(RENAME, "rename", name, NAME, LK_OPF_NAMEW | LK_OPF_FROM, WRITE,     \
	  other, from)                                                         \
	X(LINK, "link", name, NAME, LK_OPF_NAMEW | LK_OPF_FROM, WRITE, other,  \
	  from)                                                                \
	X(SYMLINK, "symlink", name, NAME, LK_OPF_NAMEW, WRITE, other, none)    \
	X(MKDIR, "mkdir", name, NAME, LK_OPF_NAMEW, WRITE, other, none)        \
	X(RMDIR, "rmdir", name, NAME, LK_OPF_NAMEW, WRITE, other, none)        \
	X(POLL, "poll", poll, CHAN, LK_OPF_BLOCKS | LK_OPF_READY, WATCH, poll, \
	  poll)                                                                \
	X(SELECT, "select", poll, CHAN, LK_OPF_BLOCKS | LK_OPF_READY, WATCH,   \
	  poll, poll)                                                          \
	X(PPOLL, "ppoll", poll, CHAN, LK_OPF_BLOCKS | LK_OPF_READY, WATCH,     \
	  poll, poll)                                                          \
	X(PSELECT, "pselect", poll, CHAN, LK_OPF_BLOCKS | LK_OPF_READY, WATCH, \
	  poll, poll)                                                          \
	X(EPOLL_WAIT, "epoll_wait", poll, CHAN, LK_OPF_BLOCKS | LK_OPF_READY,  \
	  WATCH, poll, poll)                                                   \
	X(EPOLL_PWAIT, "epoll_pwait", poll, CHAN,                              \
	  LK_OPF_BLOCKS | LK_OPF_READY, WATCH, poll, poll)                     \
	X(PTHREAD_CREATE, "pthread_create", thread, PROC, 0, NONE, thread,     \
	  thread)                                                              \
	X(PTHREAD_JOIN, "pthread_join", thread, PROC, LK_OPF_BLOCKS, NONE,     \
	  thread, thread)                                                      \
	X(PTHREAD_DETACH, "pthread_detach", thread, PROC, 0, NONE, thread,     \
	  thread)                                                              \
	X(PTHREAD_EXIT, "pthread_exit", none, PROC, 0, NONE, plain, none)      \
	X(MUTEX_LOCK, "pthread_mutex_lock", none, MUTEX,                       \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, none)                    \
	X(MUTEX_TRYLOCK, "pthread_mutex_trylock", none, MUTEX,                 \
	  LK_OPF_TRY | LK_OPF_ACQUIRE, TAKE, sync, none)                       \
	X(MUTEX_TIMEDLOCK, "pthread_mutex_timedlock", none, MUTEX,             \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, none)                    \
	X(MUTEX_UNLOCK, "pthread_mutex_unlock", none, MUTEX, LK_OPF_RELEASE,   \
	  WRITE, sync, none)                                                   \
	X(COND_WAIT, "pthread_cond_wait", cond, COND,                          \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, WRITE, sync, cond)                   \
	X(COND_TIMEDWAIT, "pthread_cond_timedwait", cond, COND,                \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, WRITE, sync, cond)                   \
	X(COND_SIGNAL, "pthread_cond_signal", cond, COND, LK_OPF_RELEASE,      \
	  WRITE, sync, cond)                                                   \
	X(COND_BROADCAST, "pthread_cond_broadcast", cond, COND,                \
	  LK_OPF_RELEASE, WRITE, sync, cond)                                   \
	X(SEND, "send", rw, CHAN,                                              \
	  LK_OPF_BLOCKS | LK_OPF_RELEASE | LK_OPF_CHAN | LK_OPF_BYTES |        \
	          LK_OPF_WRITES,                                               \
	  WRITE, chan, rw)                                                     \
	X(RECV, "recv", rw, CHAN,                                              \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_CHAN | LK_OPF_READS, WRITE,  \
	  chan, rw)                                                            \
	X(SHUTDOWN, "shutdown", close, CHAN,                                   \
	  LK_OPF_RELEASE | LK_OPF_CHAN | LK_OPF_ANYWAY, CLOSE, chan, close)    \
	X(CONNECT, "connect", none, CHAN, LK_OPF_BLOCKS | LK_OPF_RELEASE,      \
	  WRITE, other, none)                                                  \
	X(ACCEPT, "accept", none, CHAN, LK_OPF_BLOCKS | LK_OPF_ACQUIRE, WRITE, \
	  other, none)                                                         \
	X(RWLOCK_RDLOCK, "pthread_rwlock_rdlock", rwlock, RWLOCK,              \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                  \
	X(RWLOCK_TRYRDLOCK, "pthread_rwlock_tryrdlock", rwlock, RWLOCK,        \
	  LK_OPF_TRY | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                     \
	X(RWLOCK_TIMEDRDLOCK, "pthread_rwlock_timedrdlock", rwlock, RWLOCK,    \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                  \
	X(RWLOCK_WRLOCK, "pthread_rwlock_wrlock", rwlock, RWLOCK,              \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                  \
	X(RWLOCK_TRYWRLOCK, "pthread_rwlock_trywrlock", rwlock, RWLOCK,        \
	  LK_OPF_TRY | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                     \
	X(RWLOCK_TIMEDWRLOCK, "pthread_rwlock_timedwrlock", rwlock, RWLOCK,    \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, rwlock)                  \
	X(RWLOCK_UNLOCK, "pthread_rwlock_unlock", rwlock, RWLOCK,              \
	  LK_OPF_RELEASE, WRITE, sync, rwlock)                                 \
	X(BARRIER_INIT, "pthread_barrier_init", barrier, BARRIER, 0, WRITE,    \
	  sync, barrier)                                                       \
	X(BARRIER_WAIT, "pthread_barrier_wait", barrier, BARRIER,              \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE, WRITE, sync,        \
	  barrier)                                                             \
	X(BARRIER_DESTROY, "pthread_barrier_destroy", none, BARRIER, 0, WRITE, \
	  sync, none)                                                          \
	X(SPIN_LOCK, "pthread_spin_lock", none, SPIN,                          \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE, TAKE, sync, none)                    \
	X(SPIN_TRYLOCK, "pthread_spin_trylock", none, SPIN,                    \
	  LK_OPF_TRY | LK_OPF_ACQUIRE, TAKE, sync, none)                       \
	X(SPIN_UNLOCK, "pthread_spin_unlock", none, SPIN, LK_OPF_RELEASE,      \
	  WRITE, sync, none)                                                   \
	X(PTHREAD_ONCE, "pthread_once", once, ONCE,                            \
	  LK_OPF_BLOCKS | LK_OPF_ACQUIRE | LK_OPF_RELEASE, WRITE, sync, once)

enum lk_op {
#define LK_OP_ENUM(name, str, ...) LK_OP_##name,
	LK_OPS(LK_OP_ENUM)
#undef LK_OP_ENUM
	        LK_OP__COUNT
};

/* One operation's row, as data (runner/common/ops.c). */
struct lk_op_info {
	const char *name;   /* in traces and schedules */
	const char *member; /* its payload member, as written in the table */
	unsigned kind;      /* enum lk_op_kind */
	unsigned flags;     /* LK_OPF_* */
	unsigned dep;       /* enum lk_dep */
};

/* The rows, by number (ops.c); read them through lk_op_info. */
extern const struct lk_op_info lk__ops[LK_OP__COUNT];

/* The row of op, or the row of LK_OP_NONE for a number out of range.
 * Inline: the clocks, DPOR and races ask for every event. */
static inline const struct lk_op_info *
lk_op_info(unsigned op)
{
	return &lk__ops[op < LK_OP__COUNT ? op : 0];
}

/* The flags of op (0 out of range). */
static inline unsigned
lk_op_flags(unsigned op)
{
	return op < LK_OP__COUNT ? lk__ops[op].flags : 0;
}

/* Name of an operation as written in traces and schedules ("?" when op
 * is out of range). */
const char *lk_op_name(unsigned op);

/* Operation called name, or -1. */
int lk_op_lookup(const char *name);

/* A lock operation (LK_OPF_LOCK) with payload u (u->lock): 1 when it
 * takes a lock, 2 when it releases one, 0 for a query (F_GETLK,
 * F_OFD_GETLK). */
int lk_op_lock_dir(const union lk_payload *u);

#endif
