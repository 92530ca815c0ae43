/*
 * Internal interface of the interposer: the scheduling core (sched.c), the
 * object registry (objects.c) and the real libc functions (interpose.c).
 */
#ifndef LK_INTERPOSER_H
#define LK_INTERPOSER_H

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
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/protocol.h"

/*
 * The real functions, one table: name, return type, parameter list. Each
 * becomes a pointer real_<name>, resolved with dlsym(RTLD_NEXT).
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
	X(signal, sighandler_t, (int, sighandler_t))                           \
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
	X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))

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

/* --- sched.c: the scheduling core -------------------------------------- */

/* What a completed step reports for the trace. */
struct lk_step {
	uint16_t op;
	int32_t obj;
	int64_t ret;
	int err;
	union lk_payload u; /* by op: its member in the LK_OPS table */
	const void *data;   /* bytes written, or NULL */
	size_t len;
};

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

/* In a forked child: on again if the parent had it. */
void lk__sud_fork_child(void);

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

/* --- signals.c: signals delivered at scheduling points --------------- */

/* The signals the interposer owns (bit n: signal n): SIGSYS while
 * dispatch is on, SIGSEGV and SIGTRAP while shared memory is tracked. A
 * program can neither handle nor block them: the kernel kills a process
 * that faults with its fault signal blocked. */
uint64_t lk__own_signals(void);

/* Take the signals the interposer owns out of set. */
void lk__drop_own(sigset_t *set);

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

/* Add an object of type with name (made unique) to the table, or -1. */
int lk__obj_add(unsigned type, const char *name);

/* Is obj a pipe or a FIFO? A regular file of the run? */
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
