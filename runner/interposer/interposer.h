/*
 * Internal interface of the interposer: the scheduling core (sched.c), the
 * object registry (objects.c) and the real libc functions (interpose.c).
 */
#ifndef LK_INTERPOSER_H
#define LK_INTERPOSER_H

#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/protocol.h"
#include "strategy/strategy.h"

/*
 * The real functions, one table: name, return type, parameter list. Each
 * becomes a pointer lk__real_<name>, resolved with dlsym(RTLD_NEXT). They
 * are not in struct lk_ip_state: resolved once, they stay right after a
 * fork (the same libc), and an exec loads everything anew.
 */
#define LK_REAL_FUNCS(X)                                                       \
	X(sem_open, sem_t *, (const char *, int, ...))                         \
	X(sem_close, int, (sem_t *))                                           \
	X(sem_unlink, int, (const char *))                                     \
	X(sem_init, int, (sem_t *, int, unsigned))                             \
	X(sem_destroy, int, (sem_t *))                                         \
	X(sem_wait, int, (sem_t *))                                            \
	X(sem_trywait, int, (sem_t *))                                         \
	X(sem_timedwait, int, (sem_t *, const struct timespec *))              \
	X(sem_post, int, (sem_t *))                                            \
	X(sem_getvalue, int, (sem_t *, int *))                                 \
	X(write, ssize_t, (int, const void *, size_t))                         \
	X(close, int, (int))                                                   \
	X(fork, pid_t, (void))                                                 \
	X(execve, int, (const char *, char *const[], char *const[]))           \
	X(execvpe, int, (const char *, char *const[], char *const[]))          \
	X(waitpid, pid_t, (pid_t, int *, int))                                 \
	X(wait4, pid_t, (pid_t, int *, int, struct rusage *))                  \
	X(_exit, void, (int))                                                  \
	X(_Exit, void, (int))                                                  \
	X(sleep, unsigned, (unsigned))                                         \
	X(usleep, int, (useconds_t))                                           \
	X(nanosleep, int, (const struct timespec *, struct timespec *))        \
	X(clock_nanosleep, int,                                                \
	  (clockid_t, int, const struct timespec *, struct timespec *))        \
	X(clock_gettime, int, (clockid_t, struct timespec *))                  \
	X(time, time_t, (time_t *))                                            \
	X(read, ssize_t, (int, void *, size_t))                                \
	X(dup2, int, (int, int))                                               \
	X(dup3, int, (int, int, int))                                          \
	X(open, int, (const char *, int, ...))                                 \
	X(open64, int, (const char *, int, ...))                               \
	X(openat, int, (int, const char *, int, ...))                          \
	X(shm_open, int, (const char *, int, mode_t))                          \
	X(shm_unlink, int, (const char *))                                     \
	X(mmap, void *, (void *, size_t, int, int, int, off_t))                \
	X(munmap, int, (void *, size_t))                                       \
	X(shmget, int, (key_t, size_t, int))                                   \
	X(shmat, void *, (int, const void *, int))                             \
	X(shmdt, int, (const void *))                                          \
	X(shmctl, int, (int, int, struct shmid_ds *))                          \
	X(fcntl, int, (int, int, ...))                                         \
	X(flock, int, (int, int))                                              \
	X(kill, int, (pid_t, int))                                             \
	X(sigprocmask, int, (int, const sigset_t *, sigset_t *))               \
	X(alarm, unsigned, (unsigned))                                         \
	X(setitimer, int,                                                      \
	  (__itimer_which_t, const struct itimerval *, struct itimerval *))    \
	X(getitimer, int, (__itimer_which_t, struct itimerval *))              \
	X(pthread_sigmask, int, (int, const sigset_t *, sigset_t *))           \
	X(sigsuspend, int, (const sigset_t *))                                 \
	X(pause, int, (void))                                                  \
	X(sigaction, int, (int, const struct sigaction *, struct sigaction *)) \
	X(semop, int, (int, struct sembuf *, size_t))                          \
	X(semtimedop, int,                                                     \
	  (int, struct sembuf *, size_t, const struct timespec *))             \
	X(semget, int, (key_t, int, int))                                      \
	X(semctl, int, (int, int, int, ...))                                   \
	X(msgget, int, (key_t, int))                                           \
	X(readv, ssize_t, (int, const struct iovec *, int))                    \
	X(writev, ssize_t, (int, const struct iovec *, int))                   \
	X(pread, ssize_t, (int, void *, size_t, off_t))                        \
	X(pwrite, ssize_t, (int, const void *, size_t, off_t))                 \
	X(__read_chk, ssize_t, (int, void *, size_t, size_t))                  \
	X(pipe, int, (int[2]))                                                 \
	X(pipe2, int, (int[2], int))                                           \
	X(dup, int, (int))                                                     \
	X(fclose, int, (FILE *))                                               \
	X(lockf, int, (int, int, off_t))                                       \
	X(raise, int, (int))                                                   \
	X(sigwait, int, (const sigset_t *, int *))                             \
	X(sigwaitinfo, int, (const sigset_t *, siginfo_t *))                   \
	X(sigtimedwait, int,                                                   \
	  (const sigset_t *, siginfo_t *, const struct timespec *))            \
	X(waitid, int, (idtype_t, id_t, siginfo_t *, int))                     \
	X(gettimeofday, int, (struct timeval *, void *))                       \
	X(timespec_get, int, (struct timespec *, int))                         \
	X(rand, int, (void))                                                   \
	X(random, long, (void))                                                \
	X(srand, void, (unsigned))                                             \
	X(srandom, void, (unsigned))                                           \
	X(mkostemps, int, (char *, int, int))                                  \
	X(mkdtemp, char *, (char *))                                           \
	X(poll, int, (struct pollfd *, nfds_t, int))                           \
	X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))  \
	X(ppoll, int,                                                          \
	  (struct pollfd *, nfds_t, const struct timespec *,                   \
	   const sigset_t *))                                                  \
	X(pselect, int,                                                        \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *,         \
	   const sigset_t *))                                                  \
	X(epoll_wait, int, (int, struct epoll_event *, int, int))              \
	X(epoll_pwait, int,                                                    \
	  (int, struct epoll_event *, int, int, const sigset_t *))             \
	X(pthread_create, int,                                                 \
	  (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))    \
	X(pthread_join, int, (pthread_t, void **))                             \
	X(pthread_detach, int, (pthread_t))                                    \
	X(pthread_exit, void, (void *))                                        \
	X(pthread_mutex_lock, int, (pthread_mutex_t *))                        \
	X(pthread_mutex_trylock, int, (pthread_mutex_t *))                     \
	X(pthread_mutex_timedlock, int,                                        \
	  (pthread_mutex_t *, const struct timespec *))                        \
	X(pthread_mutex_unlock, int, (pthread_mutex_t *))                      \
	X(pthread_cond_wait, int, (pthread_cond_t *, pthread_mutex_t *))       \
	X(pthread_cond_timedwait, int,                                         \
	  (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))      \
	X(pthread_cond_signal, int, (pthread_cond_t *))                        \
	X(pthread_cond_broadcast, int, (pthread_cond_t *))                     \
	X(pthread_rwlock_tryrdlock, int, (pthread_rwlock_t *))                 \
	X(pthread_rwlock_trywrlock, int, (pthread_rwlock_t *))                 \
	X(pthread_rwlock_rdlock, int, (pthread_rwlock_t *))                    \
	X(pthread_rwlock_wrlock, int, (pthread_rwlock_t *))                    \
	X(pthread_rwlock_timedrdlock, int,                                     \
	  (pthread_rwlock_t *, const struct timespec *))                       \
	X(pthread_rwlock_timedwrlock, int,                                     \
	  (pthread_rwlock_t *, const struct timespec *))                       \
	X(pthread_rwlock_unlock, int, (pthread_rwlock_t *))                    \
	X(pthread_barrier_init, int,                                           \
	  (pthread_barrier_t *, const pthread_barrierattr_t *, unsigned))      \
	X(pthread_barrier_wait, int, (pthread_barrier_t *))                    \
	X(pthread_barrier_destroy, int, (pthread_barrier_t *))                 \
	X(pthread_spin_lock, int, (pthread_spinlock_t *))                      \
	X(pthread_spin_trylock, int, (pthread_spinlock_t *))                   \
	X(pthread_spin_unlock, int, (pthread_spinlock_t *))                    \
	X(pthread_once, int, (pthread_once_t *, void (*)(void)))

/* The fortified read, which <unistd.h> declares only with
 * _FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);

#define LK_REAL_DECL(name, ret, args) extern ret(*lk__real_##name) args;
LK_REAL_FUNCS(LK_REAL_DECL)
#undef LK_REAL_DECL

/* Resolve every real_* pointer (idempotent). */
void lk__resolve(void);

/* The real function: lazily resolved, as a call may come before our
 * constructor ran. */
#define REAL(name)                                                             \
	(lk__real_##name != NULL ? 0 : (lk__resolve(), 0), lk__real_##name)

/* What a completed step reports for the trace (sched.c). */
struct lk_step {
	uint16_t op;
	int32_t obj;
	int64_t ret;
	int err;
	union lk_payload u; /* by op: its member in the LK_OPS table */
	const void *data;   /* bytes written, or NULL */
	size_t len;
};

/* --- state.c: what the interposer remembers in a process --------------- */

#define LK_IP_ADDR_CACHE 64   /* addresses of semaphores, of cells */
#define LK_IP_FD_CACHE   1024 /* descriptors whose object is cached */
#define LK_IP_MAPS       64   /* region objects this process mapped */
#define LK_IP_REGIONS    32   /* shared mappings --track-shm watches */

/* Address -> object, the oldest entry replaced when full (objects.c). */
struct lk_ip_addr_cache {
	struct {
		const void *addr;
		int obj;
	} e[LK_IP_ADDR_CACHE];
	unsigned next;
};

/* A shared mapping --track-shm keeps closed (shmtrack.c). */
struct lk_ip_region {
	uintptr_t lo, hi; /* [lo, hi), page aligned */
	int prot;         /* what the program asked for */
};

struct spawn_actions;
struct spawn_piped;

/*
 * The interposer's state in one process: every mutable variable of
 * runner/interposer/ that lives longer than one call, in one instance,
 * lk__ip (state.c). What happens to it:
 *
 * - exec: a new image starts with this struct as state.c initialises it
 *   (static storage) and finds the run again from LOCKSTEP_SHM_FD, which
 *   lk__exec puts in the new image's environment (shm_fd, notify_fd).
 *   Nothing to reset: nothing survives.
 * - fork: the child is a copy. Every fork of a process in a run comes to
 *   lk__fork (fork, vfork, posix_spawn, system and popen are rebuilt on
 *   it: spawn.c), whose child calls lk__ip_forked once, before its first
 *   step; that resets what described the parent only. Each field below
 *   says "fork:" what it does. A child that shares this memory with
 *   its parent (clone with CLONE_VM by a raw system call, which lockstep
 *   does not follow) must never reset it: lk__ip_forked runs only in the
 *   child of lk__fork's real fork.
 * - attach after the fact (lockstep_interposer_attach, a zygote's
 *   child): the zygote was never in a run, so what its child inherited
 *   is this struct as initialised; attach sets sh, self and the two
 *   descriptors, as at load.
 * - threads: not supported yet (issue 18). This struct is the process's;
 *   what belongs to a thread is in struct lk_ip_thread.
 *
 * Signal handlers (sud.c's SIGSYS, shmtrack.c's SIGSEGV and SIGTRAP) use
 * it as the code they interrupt does: plain memory, no lock, nothing
 * allocated. lk__ip_forked is async-signal-safe (stores, and the system
 * calls that turn dispatch on), as a forked child's code must be.
 */
struct lk_ip_state {
	/* sched.c. The run's shared memory, mapped by attach (NULL outside
	 * a run). fork: kept (a shared mapping is inherited). */
	struct lk_shared *sh;
	/* Our slot in it, found by pid at attach (-1 outside a run). fork:
	 * the child's slot, which lk__fork made for it. */
	int self;
	/* The shared memory's descriptor, kept open for the next image;
	 * moved out of the way of a program's close or dup2
	 * (lk__guard_fds). fork: kept (the child has the same table). */
	int shm_fd;
	/* The run's eventfd here, and its inode at attach (notify writes
	 * only into that very file). Set and moved as shm_fd. fork: kept. */
	int notify_fd;
	ino_t notify_ino;
	/* Did our last hand-over find the next process awake (spin_for_turn
	 * learns from it)? fork: 0, the child has handed nothing over. */
	int handed_awake;
	/* check_alive: steps since the turn was last kept, and when lockstep
	 * was last seen alive. fork: 0, the child counts its own. */
	unsigned alive_steps;
	struct timespec alive_last;
	/* This process's mapping of the event array is populated below this
	 * address. fork: 0, a child's shared mappings start empty. */
	uintptr_t populated_to;

	/* sud.c. Is Syscall User Dispatch on in this process? fork: kept,
	 * so that the child knows to turn it on again (the kernel turned it
	 * off): lk__sud_fork_child, from lk__ip_forked. */
	int sud_on;

	/* objects.c: lookups, so a call asks /proc once. fork: kept, the
	 * child has the same semaphores, descriptors and mappings. */
	struct lk_ip_addr_cache sem_cache;  /* semaphore address -> object */
	struct lk_ip_addr_cache cell_cache; /* --track-shm cell -> object */
	struct lk_ip_addr_cache sync_cache; /* process-shared mutex or
	                                       condition variable -> object */
	int fd_cache[LK_IP_FD_CACHE];       /* fd -> object + 1, 0 unknown */
	struct {
		const void *addr;
		int obj;
	} maps[LK_IP_MAPS]; /* region objects mapped here, by address */

	/* shmtrack.c, --track-shm. The shared mappings kept closed while
	 * the program runs; whether they are open now (inside a wrapper);
	 * whether SIGSEGV and SIGTRAP are ours. fork: kept, the child
	 * inherits the mappings, their protection and the handlers. */
	struct lk_ip_region regions[LK_IP_REGIONS];
	int nregions;
	int regions_open;
	int track_handlers;

	/* random.c. The rand/random generator, and whether it was seeded
	 * for this process. fork: not seeded, the child starts a sequence
	 * of its own from its own name. */
	uint64_t rand_state;
	int rand_seeded;

	/* fsname.c. Temporary names this process made (mkstemp...). fork:
	 * kept, the child's own name keeps its names apart. */
	unsigned temp_count;

	/* spawn.c. Our copy of the program's posix_spawn file actions, and
	 * the streams popen made. fork: kept, they are the program's data
	 * (its file-actions objects and its streams), copied with it. */
	struct spawn_actions *spawn_actions;
	struct spawn_piped *popen_streams;
};

/* The one instance; hidden, so reached as a file's static was (no GOT). */
extern struct lk_ip_state lk__ip __attribute__((visibility("hidden")));

/* In the child of lk__fork, before its first step: it is slot self now;
 * reset what described the parent (see struct lk_ip_state). */
void lk__ip_forked(int self);

/*
 * What the interposer remembers in a thread: the state of the call in
 * progress. Threads are not supported yet (issue 18), but this is kept
 * per thread already so that two threads never share a call's state. A
 * fork copies the calling thread's, which is inside lk__fork: the child
 * goes on with that call. lk__sud_selector stays apart (sud.c): the
 * kernel reads it by address, and it must be initial-exec TLS.
 */
struct lk_ip_thread {
	/* sched.c: inside a wrapper (lk__enter .. lk__leave). */
	int busy;
	/* sud.c: the SIGSYS handler is running a wrapper for a dispatched
	 * call: calls the wrapper makes after leaving are made as they are. */
	int in_handler;
	/* signals.c: the last blocked wait was interrupted by a handler;
	 * every handler that ran had SA_RESTART; the signals a sigwait takes
	 * (no handler runs for those); in pause, sigsuspend or a sigwait,
	 * and the mask before that call (lk__signal_first). */
	int interrupted;
	int restartable;
	uint64_t accepting;
	int in_wait;
	uint64_t mask_before;
	/* signals.c: the signals lk__deliver is delivering now, whose
	 * handlers the trampoline runs (once each). */
	uint64_t expected;
	/* sched.c: a blocked wait delivers what is due itself, after it
	 * looked for its result (lk__waitpid: the kernel reaps first). */
	int own_delivery;
	/* shmtrack.c: the load or store in flight between its fault and its
	 * trap: record it at the trap; the trap flag is set by us. */
	struct lk_ip_cell {
		int active;
		int stepping;
		struct lk_step st;
		const int32_t *addr;
	} cell;
};

extern __thread struct lk_ip_thread lk__ipt
        __attribute__((visibility("hidden")));

/*
 * The calling thread's lane (its slot), -1 when it is none: a thread
 * made before the run was joined, or not by pthread_create (a raw
 * clone), runs outside the schedule, its calls made as they are. Set at
 * attach (the main thread: the process's slot), in lk__fork's child and
 * by a thread's start (thread.c). lk__ip.self stays the process's slot.
 */
extern __thread int lk__lane __attribute__((visibility("hidden")));

/* --- sched.c: the scheduling core -------------------------------------- */

/*
 * Enter the interposer: true when this process is under lockstep's control
 * and not already inside a wrapper (the caller must then call lk__leave).
 */
int lk__enter(void);

/* Leave the interposer. */
void lk__leave(void);

/* Is the calling thread inside a wrapper? */
int lk__busy(void);

/* Would lk__enter schedule a call now (in a run, not exited, not inside
 * a wrapper)? */
int lk__active(void);

/* --- shmtrack.c: --track-shm, loads and stores of shared memory ------- */

/* Open every tracked region (entering a wrapper). */
void lk__track_open(void);

/* Close them again (leaving it). */
void lk__track_close(void);

/* A shared mapping the program made: track it (when the run asks). */
void lk__track_add(void *addr, size_t len, int prot);

/* The mapping at addr is gone. */
void lk__track_remove(const void *addr);

/* SIGSEGV and SIGTRAP (bit n: signal n) once tracking took them, or 0. */
uint64_t lk__track_signals(void);

/* --- sud.c: glibc's own system calls, dispatched to the wrappers -------- */

/* 0 ("allow") inside a wrapper, 1 ("block") in the program's code. */
extern __thread volatile char lk__sud_selector;

/* Turn dispatch on for this process (an image started by exec). */
void lk__sud_start(void);

/* Turn it off (the process left the run). */
void lk__sud_stop(void);

/* In a forked child: on again if the parent had it (from lk__ip_forked). */
void lk__sud_fork_child(void);

/* Dispatch on (1) or off (0) for the calling thread alone, when the
 * process has it on. */
void lk__sud_thread(int on);

/* Is dispatch on? */
int lk__sud_active(void);

/* The real signal mask, set through the gate: for the interposer's own
 * changes made outside a wrapper (signals.c), never dispatched. The
 * signals it owns are never blocked (lk__own_signals). */
int lk__sigmask(int how, const sigset_t *set, sigset_t *old);

/* Arrive at a scheduling point for op on obj and wait until chosen.
 * wake_at is the virtual time before which the process is not enabled. */
void lk__arrive(unsigned op, int obj, uint64_t wake_at);

/* Record a completed step; changed is the object whose waiters it may
 * enable (-1 none). */
void lk__done(const struct lk_step *st, int changed);

/* Record an attempt that would block on obj, wait until chosen again;
 * deadline is the virtual time at which a timed wait gives up. */
void lk__block(const struct lk_step *st, int obj, uint64_t deadline);

/*
 * --perturb: how many of the n bytes (n >= 2) a pipe read or write at
 * the current step could move it moves: the schedule's count when the
 * forced decision names one (a divergence when it is not in 1..n), else
 * the strategy's choice among n, 1 and n / 2 (the default strategy:
 * n). Without --perturb, n.
 */
int64_t lk__perturb_bytes(int64_t n);

/* The calling process leaves the run (its exit was recorded). */
void lk__depart(void);

/* _exit: record the exit (descriptors closed first) and leave. */
void lk__exit_now(int status);

/* At exit: undo the process's SEM_UNDO operations itself (ipc.c). */
void lk__undo_semops(void);

/* Make attempt until it does not fail with EAGAIN, each EAGAIN a blocked
 * step on st->obj, or until deadline (timeout_err) or a handler (EINTR):
 * the wait of sem_wait and semop. */
void lk__retry(struct lk_step *st, uint64_t deadline, int timeout_err,
               long (*attempt)(void *), void *arg);

/* Object obj changed: re-enable the processes blocked on it. */
void lk__wake(int obj);

/* Re-enable the processes blocked on pipes, FIFOs and file locks. */
void lk__wake_pipes(void);
void lk__guard_fds(unsigned lo, unsigned hi);
int lk__close_range(unsigned lo, unsigned hi, unsigned flags);
int lk__run_fd(int fd);

/* Current virtual time, ns. */
uint64_t lk__now(void);

/* Fork under control: returns as fork(2); the child waits for its turn. */
pid_t lk__fork(void);

/* exec under control: the exec is a step and the new image goes on
 * holding the turn. search: look file up in PATH (execvp). Returns only
 * on failure, as exec does. */
int lk__exec(const char *file, char *const argv[], char *const envp[],
             int search);

/* waitpid under control: blocks (as a step) until a child exited. */
pid_t lk__waitpid(pid_t pid, int *status, int options);

/* A scheduled load or store of a cell by the agent; exported. */
int64_t lockstep_interposer_cell(int op, int obj, int64_t *addr, int64_t value);

/* Join a run after the fact (a child of the zygote); 0 or -1. Exported. */
int lockstep_interposer_attach(int fd);

/* The shared mapping (NULL outside a run). */
struct lk_shared *lk__shared(void);

/* The calling process's slot (inside a run). */
struct lk_slot *lk__self(void);

/* --- rw.c: buffers ------------------------------------------------------ */

/* The bytes of buffers iov[0..n); -1 when the sum does not fit a
 * ssize_t (the real call then fails with EINVAL). */
ssize_t lk__iov_total(const struct iovec *iov, size_t n);

/* Copy what the trace keeps (LK_DATA_MAX bytes at most) of len bytes of
 * buffers iov[0..n) from offset skip on into out; returns how many. */
size_t lk__iov_gather(const struct iovec *iov, size_t n, size_t skip,
                      size_t len, char *out);

/* --- signals.c: signals delivered at scheduling points --------------- */

/* The signals the interposer owns (bit n: signal n): SIGSYS while
 * dispatch is on, SIGSEGV and SIGTRAP while shared memory is tracked. A
 * program can neither handle nor block them: the kernel kills a process
 * that faults with its fault signal blocked. */
uint64_t lk__own_signals(void);

/* Take the signals the interposer owns out of set. */
void lk__drop_own(sigset_t *set);

/* The program's handler of one of lockstep's signals goes to the kernel
 * as the interposer's trampoline, which runs it for the deliveries
 * lockstep makes and drops the copies the kernel makes on its own (the
 * SIGCHLD of a child's real exit, after its exit step was delivered):
 * fn and flags as the program gives them, the handler and flags to give
 * the kernel in return. Unwrap is the inverse, for an old action. */
sighandler_t lk__handler_wrap(int s, sighandler_t fn, unsigned long *flags);
sighandler_t lk__handler_unwrap(int s, sighandler_t fn, unsigned long *flags);

/* Block the signals lockstep delivers, keeping the program's mask. */
void lk__signals_attach(struct lk_slot *me);

/* Deliver due signals now (holding the turn); 1 if a handler ran. */
int lk__deliver(struct lk_slot *me);

/* Chosen at the point of op with a signal due: deliver it now, before
 * op starts, as a step of its own; 1 when it did (arrive again). */
int lk__signal_first(struct lk_slot *me, unsigned op);

/* At the start of a call: deliver due signals as a step of their own. */
void lk__deliver_due(struct lk_slot *me);

/* After a blocked wait: deliver what woke the process. */
void lk__after_block(struct lk_slot *me);

/* Was the last blocked wait interrupted by a handler? Clears it. */
int lk__interrupted(void);

/* The same for calls SA_RESTART restarts: false when every handler that
 * ran was installed with SA_RESTART. */
int lk__interrupted_restart(void);

/* ppoll, pselect, epoll_pwait: the call's own signal mask, from its
 * arrival (signals due under the mask before are taken before the call,
 * lk__signal_first) to its end; returns the mask to put back. */
uint64_t lk__call_mask(const sigset_t *mask);

/* The call arrived: the mask before it no longer matters. */
void lk__call_mask_arrived(void);

/* The call ended: the program's mask saved goes back. */
void lk__call_mask_end(uint64_t saved);

/* Holding the turn: deliver a signal due now; 1 when a handler ran
 * (the call fails with EINTR). */
int lk__deliver_now(void);

/* --- poll.c, epoll.c: readiness as a step ------------------------------ */

/* What a readiness wait asks: the objects it watches, and how to ask the
 * kernel (a zero timeout) which are ready. */
struct lk_watch {
	const int *obj; /* n objects, -1 for none */
	size_t n;
	int first;    /* the object the step is recorded on */
	int64_t nfds; /* for the event: how many it watched */
	/* The ready count now, or -1 with errno; text gets the ready
	 * descriptors ("3 5"), their order that of the answer. */
	int (*ready)(void *ctx, char *text, size_t size, size_t *len);
	void *ctx;
};

/* Append the objects of the ready descriptors to an event's text
 * ("3 5" becomes "3 5|2 4": the ready answer acquires their clocks);
 * returns the new length. Nothing when they do not all fit. */
size_t lk__ready_objs(char *buf, size_t len, size_t size, const int *obj,
                      size_t n);

/* The step: wait until something is ready or timeout_ns (-1: no limit)
 * passed on the virtual clock, with mask (NULL: the program's) as the
 * signal mask. Returns the count (-1 with errno); *left the time left. */
int lk__ready_step(unsigned op, const struct lk_watch *w, long long timeout_ns,
                   const sigset_t *mask, uint64_t *left);

/* --- fsname.c: file-system names as objects ------------------------- */

/* Does system call nr look up, create or remove a path? */
int lk__fs_names(long nr);

/* Make path system call nr with arguments a, as a step on its name when
 * the process is in a run; the raw result (-errno on failure). */
long lk__fs_syscall(long nr, const long *a);

/* Inside a wrapper: an open that creates or truncates, as a step on its
 * name; the raw result. Leaves the wrapper. */
long lk__fs_open(int dir, const char *path, int flags, mode_t mode);

/* --- entropy.c: getrandom and /dev/urandom from the run's seed -------- */

/* Is fd /dev/urandom or /dev/random? errno preserved. */
int lk__entropy_fd(int fd);

/* Read such a device inside the interposer: the process's own stream
 * fills the buffers; returns how many bytes. */
ssize_t lk__entropy_read(const struct iovec *iov, int n);

/* --- objects.c: which object a semaphore or descriptor is ------------- */

/* Object of a semaphore, registering an unknown one. errno preserved. */
int lk__obj_sem(sem_t *sem);

/* Object of a named semaphore just opened under logical name. */
int lk__obj_sem_named(const char *name, sem_t *sem);

/* Object written to through fd. errno preserved. */
int lk__obj_fd(int fd);

/* Forget what fd was (it was closed). */
void lk__obj_fd_forget(int fd);
void lk__obj_fd_forget_range(unsigned lo, unsigned hi);

/* Object of a shared memory region: POSIX by name (registering an
 * unknown one), SysV by key or by id (-1 when unknown). */
int lk__obj_shm_named(const char *name);
int lk__obj_shm_key(key_t key);
int lk__obj_shm_id(int id);

/* Object of the SysV semaphore set with id, registering an unknown one. */
int lk__obj_semset(int id);

/* In a forked child: forget the cached semaphores of private memory. */
void lk__obj_forget_private(void);

/* Object of a mutex or condition variable (type LK_OT_MUTEX, LK_OT_COND)
 * at addr, registering an unknown one: in the calling process's memory
 * (private), or by the shared mapping that holds it (pshared), so that
 * every process that maps it finds the same. -1 when the table is full.
 * errno preserved. */
int lk__obj_sync(unsigned type, const void *addr, int pshared);

/* --- thread.c, sched.c: threads as lanes ------------------------------ */

/* The process of lane i (its own slot for a process). */
int lk__process_of(int i);

/* A new thread's lane: wait for its first turn, take the step start. */
void lk__lane_start(int lane, int parent);

/* The calling thread's lane ends: the step pthread_exit, the turn goes
 * on, and the thread runs outside the schedule from then on. */
void lk__lane_end(void);

/* Virtual time of an absolute instant on clock clk (CLOCK_REALTIME or
 * CLOCK_MONOTONIC), for the deadlines of timed waits (interpose.c). */
uint64_t lk__abs_to_vt(clockid_t clk, const struct timespec *ts);

/* Add an object of type with name (made unique) to the table, or -1. */
int lk__obj_add(unsigned type, const char *name);

/* --- sock.c: UNIX stream sockets -------------------------------------- */

/* The object of socket descriptor fd whose /proc link is path
 * ("socket:[INODE]"): the end it reads, registered with its peer; -1 when
 * the table is full, -2 when it is no UNIX stream socket. */
int lk__obj_sock(int fd, const char *path);

/* Is obj a socket's end? */
int lk__obj_is_sock(int obj);

/* Where bytes written through end obj go: its peer's end (obj itself
 * when it has none, or when obj is no socket). */
int lk__obj_sock_out(int obj);

/* Loopback TCP and UDP deliver a moment after the send or the close
 * returns (sock.c): n bytes (or one datagram) written to end obj are on
 * their way; n bytes (or one datagram) were read from it; is something
 * on its way to descriptor fd of end obj (bytes, or a peer's end of
 * file)? Then it waits for it, at most a second, and returns 1. */
void lk__sock_sent(int obj, long n);
void lk__sock_arrived(int obj, long n);
int lk__sock_on_its_way(int fd, int obj);

/* Is obj a pipe, a FIFO or a socket's end? A regular file of the run? */
int lk__obj_is_pipe(int obj);
int lk__obj_is_file(int obj);

/* Remember that a region object is mapped at addr; which one is. */
void lk__obj_map(const void *addr, int obj);
int lk__obj_mapped(const void *addr, int forget);

/* The cell object of a shared memory address (--track-shm), registering
 * it: named by the memory's identity, the same in every process. */
int lk__obj_cell(const void *addr);

/* The private name of a named semaphore in this run, into buf. */
int lk__private_name(const char *name, char *buf, size_t size);

#endif
