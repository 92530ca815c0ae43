/*
 * The wrapped libc functions. Each one, when its process is under
 * lockstep's control, is a scheduling point: arrive, wait for the turn,
 * perform the real call in its non-blocking form, record the step. A call
 * that would block is recorded as blocked and retried when the object it
 * waits on changes. Outside a run every wrapper is the real function.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "interposer.h"

/* Virtual wall-clock time starts at 2100-01-01T00:00:00Z: the same in
 * every run, so a program that prints the date prints it again, and
 * later than any file a user has, so make sees no file in the future.
 * Before 2106, the end of unsigned 32-bit times (docs/programs.md). */
#define EPOCH_S 4102444800LL
#define NS      1000000000LL

#define LK_REAL_DEF(name, ret, args) ret(*lk__real_##name) args;
LK_REAL_FUNCS(LK_REAL_DEF)
#undef LK_REAL_DEF

/* Resolve every real_* pointer; abort if we would find ourselves. */
void
lk__resolve(void)
{
#define LK_REAL_RESOLVE(name, ret, args)                                       \
	if (lk__real_##name == NULL) {                                         \
		void *p = dlsym(RTLD_NEXT, #name);                             \
		if (p == NULL || p == (void *)name)                            \
			abort();                                               \
		lk__real_##name = (ret(*) args)p;                              \
	}
	LK_REAL_FUNCS(LK_REAL_RESOLVE)
#undef LK_REAL_RESOLVE
}

/* Finish a wrapper: leave the interposer and restore err as errno. */
static int
leave_with(int ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* Remember a semaphore's value after an operation that changed it, so
 * waiters are enabled exactly when it is positive. errno preserved. */
static void
track(sem_t *s, int obj)
{
	struct lk_object *o;
	int v, saved = errno;

	if (obj < 0)
		return;
	o = &lk__shared()->objects[obj];
	o->has_value = REAL(sem_getvalue)(s, &v) == 0;
	o->value = o->has_value ? v : 0;
	errno = saved;
}

/* --- semaphores -------------------------------------------------------- */

sem_t *
sem_open(const char *name, int oflag, ...)
{
	struct lk_step st = {.op = LK_OP_SEM_OPEN};
	char priv[256];
	unsigned value = 0;
	mode_t mode = 0;
	va_list ap;
	sem_t *s;

	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = (mode_t)va_arg(ap, int);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	if (!lk__enter())
		return REAL(sem_open)(name, oflag, mode, value);
	if (lk__private_name(name, priv, sizeof(priv)) != 0) {
		lk__leave();
		errno = ENAMETOOLONG;
		return SEM_FAILED;
	}
	st.obj = lk__obj_sem_named(name, NULL);
	st.u.sem.value = value;
	lk__arrive(LK_OP_SEM_OPEN, st.obj, 0);
	s = REAL(sem_open)(priv, oflag, mode, value);
	st.ret = s == SEM_FAILED ? -1 : 0;
	st.err = s == SEM_FAILED ? errno : 0;
	if (s != SEM_FAILED) {
		lk__obj_sem_named(name, s);
		track(s, st.obj);
	}
	lk__done(&st, st.obj);
	lk__leave();
	errno = st.err;
	return s;
}

/* One scheduled call on a semaphore that never blocks. */
static int
sem_simple(unsigned op, sem_t *s, int (*fn)(sem_t *), int changes)
{
	struct lk_step st = {.op = (uint16_t)op};

	st.obj = lk__obj_sem(s);
	lk__arrive(op, st.obj, 0);
	st.ret = fn(s);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret == 0 && op != LK_OP_SEM_CLOSE && op != LK_OP_SEM_DESTROY)
		track(s, st.obj);
	if (st.ret == 0 && op == LK_OP_SEM_DESTROY && st.obj >= 0)
		lk__shared()->objects[st.obj].has_value = 0;
	lk__done(&st, changes || st.ret == 0 ? st.obj : -1);
	return leave_with((int)st.ret, st.err);
}

int
sem_close(sem_t *s)
{
	if (!lk__enter())
		return REAL(sem_close)(s);
	return sem_simple(LK_OP_SEM_CLOSE, s, lk__real_sem_close, 0);
}

int
sem_destroy(sem_t *s)
{
	if (!lk__enter())
		return REAL(sem_destroy)(s);
	return sem_simple(LK_OP_SEM_DESTROY, s, lk__real_sem_destroy, 1);
}

int
sem_post(sem_t *s)
{
	if (!lk__enter())
		return REAL(sem_post)(s);
	return sem_simple(LK_OP_SEM_POST, s, lk__real_sem_post, 1);
}

int
sem_trywait(sem_t *s)
{
	if (!lk__enter())
		return REAL(sem_trywait)(s);
	return sem_simple(LK_OP_SEM_TRYWAIT, s, lk__real_sem_trywait, 0);
}

int
sem_unlink(const char *name)
{
	struct lk_step st = {.op = LK_OP_SEM_UNLINK};
	char priv[256];

	if (!lk__enter())
		return REAL(sem_unlink)(name);
	if (lk__private_name(name, priv, sizeof(priv)) != 0)
		return leave_with(-1, ENAMETOOLONG);
	st.obj = lk__obj_sem_named(name, NULL);
	lk__arrive(LK_OP_SEM_UNLINK, st.obj, 0);
	st.ret = REAL(sem_unlink)(priv);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	return leave_with((int)st.ret, st.err);
}

int
sem_init(sem_t *s, int pshared, unsigned value)
{
	struct lk_step st = {.op = LK_OP_SEM_INIT, .u.sem.value = value};

	if (!lk__enter())
		return REAL(sem_init)(s, pshared, value);
	st.obj = lk__obj_sem(s);
	lk__arrive(LK_OP_SEM_INIT, st.obj, 0);
	st.ret = REAL(sem_init)(s, pshared, value);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret == 0)
		track(s, st.obj);
	lk__done(&st, st.obj);
	return leave_with((int)st.ret, st.err);
}

int
sem_getvalue(sem_t *s, int *value)
{
	struct lk_step st = {.op = LK_OP_SEM_GETVALUE};

	if (!lk__enter())
		return REAL(sem_getvalue)(s, value);
	st.obj = lk__obj_sem(s);
	lk__arrive(LK_OP_SEM_GETVALUE, st.obj, 0);
	st.ret = REAL(sem_getvalue)(s, value);
	st.err = st.ret < 0 ? errno : 0;
	st.u.sem.value = st.ret == 0 ? *value : 0;
	lk__done(&st, -1);
	return leave_with((int)st.ret, st.err);
}

/* One sem_trywait, for lk__retry. */
static long
try_sem(void *s)
{
	return REAL(sem_trywait)(s);
}

/*
 * A wait that never blocks for real: try, and if the semaphore is zero
 * record the attempt as blocked and try again once it changed, or once
 * the virtual clock reaches deadline (LK_NO_TIME: never).
 */
static int
sem_wait_until(unsigned op, sem_t *s, uint64_t deadline)
{
	struct lk_step st = {.op = (uint16_t)op};

	st.obj = lk__obj_sem(s);
	lk__arrive(op, st.obj, 0);
	lk__retry(&st, deadline, ETIMEDOUT, try_sem, s);
	if (st.ret == 0)
		track(s, st.obj);
	lk__done(&st, st.ret == 0 ? st.obj : -1);
	return leave_with((int)st.ret, st.err);
}

int
sem_wait(sem_t *s)
{
	if (!lk__enter())
		return REAL(sem_wait)(s);
	return sem_wait_until(LK_OP_SEM_WAIT, s, LK_NO_TIME);
}

/* Virtual time of an absolute CLOCK_REALTIME instant. */
static uint64_t
realtime_to_vt(const struct timespec *ts)
{
	long long ns = ((long long)ts->tv_sec - EPOCH_S) * NS + ts->tv_nsec;

	return ns < 0 ? 0 : (uint64_t)ns;
}

/* Virtual time of an absolute instant on clk (interposer.h). */
uint64_t
lk__abs_to_vt(clockid_t clk, const struct timespec *ts)
{
	long long ns;

	if (clk == CLOCK_REALTIME)
		return realtime_to_vt(ts);
	ns = (long long)ts->tv_sec * NS + ts->tv_nsec;
	return ns < 0 ? 0 : (uint64_t)ns;
}

int
sem_timedwait(sem_t *s, const struct timespec *abs)
{
	if (!lk__enter())
		return REAL(sem_timedwait)(s, abs);
	if (abs->tv_nsec < 0 || abs->tv_nsec >= NS)
		return leave_with(-1, EINVAL);
	return sem_wait_until(LK_OP_SEM_TIMEDWAIT, s, realtime_to_vt(abs));
}

/* --- processes --------------------------------------------------------- */

pid_t
fork(void)
{
	pid_t pid;
	int err;

	if (!lk__enter())
		return REAL(fork)();
	pid = lk__fork();
	err = errno;
	lk__leave();
	errno = err;
	return pid;
}

extern char **environ;

int
execve(const char *path, char *const argv[], char *const envp[])
{
	int r;

	if (!lk__enter())
		return REAL(execve)(path, argv, envp);
	r = lk__exec(path, argv, envp, 0);
	return leave_with(r, errno);
}

int
execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

int
execvpe(const char *file, char *const argv[], char *const envp[])
{
	int r;

	if (!lk__enter())
		return REAL(execvpe)(file, argv, envp);
	r = lk__exec(file, argv, envp, 1);
	return leave_with(r, errno);
}

int
execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* Collect the arguments of an execl-style call after arg0 into a vector
 * (at most 1023, as exec's own limits are far beyond a test program). */
static char **
list_args(const char *arg0, va_list ap, char ***envp)
{
	/* Scratch for one call (exec copies it), not state: per thread,
	 * not in lk__ipt, so as not to grow every thread's TLS block. */
	static __thread char *v[1024];
	size_t n = 0;
	char *a;

	v[n++] = (char *)arg0;
	while (n < 1023 && (a = va_arg(ap, char *)) != NULL)
		v[n++] = a;
	v[n] = NULL;
	if (envp != NULL)
		*envp = va_arg(ap, char **);
	return v;
}

int
execl(const char *path, const char *arg, ...)
{
	va_list ap;
	char **v;

	va_start(ap, arg);
	v = list_args(arg, ap, NULL);
	va_end(ap);
	return execve(path, v, environ);
}

int
execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	char **v;

	va_start(ap, arg);
	v = list_args(arg, ap, NULL);
	va_end(ap);
	return execvpe(file, v, environ);
}

int
execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char **v, **envp;

	va_start(ap, arg);
	v = list_args(arg, ap, &envp);
	va_end(ap);
	return execve(path, v, envp);
}

pid_t
waitpid(pid_t pid, int *status, int options)
{
	pid_t r;

	if (!lk__enter())
		return REAL(waitpid)(pid, status, options);
	r = lk__waitpid(pid, status, options);
	return (pid_t)leave_with(r, errno);
}

pid_t
wait(int *status)
{
	return waitpid(-1, status, 0);
}

pid_t
wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	pid_t r;

	if (!lk__enter())
		return REAL(wait4)(pid, status, options, ru);
	if (ru != NULL)
		memset(ru, 0, sizeof(*ru));
	r = lk__waitpid(pid, status, options);
	return (pid_t)leave_with(r, errno);
}

pid_t
wait3(int *status, int options, struct rusage *ru)
{
	return wait4(-1, status, options, ru);
}

/* waitid for exits (WEXITED, with or without WNOHANG) of a child, any
 * child or a process group's: as waitpid, with the status as siginfo.
 * Stops, continues, WNOWAIT and pidfds are not followed: real calls. */
int
waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	int ws = 0, err;
	pid_t pid;

	if (!lk__enter())
		return REAL(waitid)(type, id, info, options);
	if ((options & (WSTOPPED | WCONTINUED | WNOWAIT)) ||
	    !(options & WEXITED) || (type == P_PID && id == 0) ||
	    (type != P_PID && type != P_ALL && type != P_PGID)) {
		int r = REAL(waitid)(type, id, info, options);

		lk__leave();
		return r;
	}
	pid = type == P_PID ? (pid_t)id : type == P_PGID ? -(pid_t)id : -1;
	pid = lk__waitpid(pid, &ws,
	                  options &
	                          (WNOHANG | __WALL | __WCLONE | __WNOTHREAD));
	err = errno;
	if (pid < 0)
		return leave_with(-1, err);
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		if (pid > 0) {
			info->si_signo = SIGCHLD;
			info->si_pid = pid;
			info->si_uid = getuid();
			info->si_code = WIFEXITED(ws)   ? CLD_EXITED
			                : WCOREDUMP(ws) ? CLD_DUMPED
			                                : CLD_KILLED;
			info->si_status =
			        WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws);
		}
	}
	return leave_with(0, err);
}

/* vfork is fork here: a correct vfork child only execs or exits, which a
 * forked child does just as well, and it gets a slot of its own. */
pid_t
vfork(void)
{
	return fork();
}

/* _exit and _Exit skip exit handlers, so they record the exit here. */
static void
exit_now(int status)
{
	if (!lk__enter())
		return;
	lk__exit_now(status);
	lk__leave();
}

void
_exit(int status)
{
	exit_now(status);
	REAL(_exit)(status);
	__builtin_unreachable();
}

void
_Exit(int status)
{
	exit_now(status);
	REAL(_Exit)(status);
	__builtin_unreachable();
}

/* --- time: sleeps advance the virtual clock, never the real one ------- */

/* Sleep ns on the virtual clock: a step enabled once the time came, or
 * when a signal comes; returns the time left (0 when it slept it all). */
static uint64_t
virtual_sleep(uint64_t ns)
{
	struct lk_step st = {
	        .op = LK_OP_SLEEP, .obj = -1, .u.sleep.ns = (int64_t)ns};
	uint64_t until = lk__now() + ns;

	lk__arrive(LK_OP_SLEEP, -1, until);
	/* Woken early by a signal whose handler ran: EINTR, time left. */
	if (lk__now() < until && lk__deliver(lk__self())) {
		st.ret = -1;
		st.err = EINTR;
		lk__done(&st, -1);
		return until - lk__now();
	}
	lk__done(&st, -1);
	return 0;
}

unsigned
sleep(unsigned s)
{
	uint64_t left;

	if (!lk__enter())
		return REAL(sleep)(s);
	left = virtual_sleep((uint64_t)s * NS);
	lk__leave();
	return (unsigned)((left + NS - 1) / NS);
}

int
usleep(useconds_t us)
{
	if (!lk__enter())
		return REAL(usleep)(us);
	if (virtual_sleep((uint64_t)us * 1000) > 0)
		return leave_with(-1, EINTR);
	return leave_with(0, errno);
}

int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	uint64_t left;

	if (!lk__enter())
		return REAL(nanosleep)(req, rem);
	if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= NS ||
	    req->tv_sec < 0)
		return leave_with(-1, EINVAL);
	left = virtual_sleep((uint64_t)req->tv_sec * NS +
	                     (uint64_t)req->tv_nsec);
	if (rem != NULL) {
		rem->tv_sec = (time_t)(left / NS);
		rem->tv_nsec = (long)(left % NS);
	}
	return leave_with(left > 0 ? -1 : 0, left > 0 ? EINTR : errno);
}

int
clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                struct timespec *rem)
{
	uint64_t ns, now;

	if (!lk__enter())
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= NS ||
	    req->tv_sec < 0) {
		lk__leave();
		return EINVAL;
	}
	ns = (uint64_t)req->tv_sec * NS + (uint64_t)req->tv_nsec;
	if (flags & TIMER_ABSTIME) {
		now = lk__now() + (clk == CLOCK_REALTIME ? EPOCH_S * NS : 0);
		ns = ns > now ? ns - now : 0;
	}
	virtual_sleep(ns);
	if (rem != NULL && !(flags & TIMER_ABSTIME))
		rem->tv_sec = rem->tv_nsec = 0;
	lk__leave();
	return 0;
}

int
clock_gettime(clockid_t clk, struct timespec *ts)
{
	uint64_t ns;

	if (!lk__enter())
		return REAL(clock_gettime)(clk, ts);
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns = lk__now() + (uint64_t)EPOCH_S * NS;
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = lk__now();
		break;
	default: {
		int r = REAL(clock_gettime)(clk, ts);

		lk__leave();
		return r;
	}
	}
	ts->tv_sec = (time_t)(ns / NS);
	ts->tv_nsec = (long)(ns % NS);
	return leave_with(0, errno);
}

/* gettimeofday reads the virtual clock, as clock_gettime does; the time
 * zone, when asked for, is the kernel's. */
int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timeval real;
	uint64_t ns;

	if (!lk__enter())
		return REAL(gettimeofday)(tv, tz);
	if (tz != NULL)
		REAL(gettimeofday)(&real, tz);
	ns = lk__now() + (uint64_t)EPOCH_S * NS;
	tv->tv_sec = (time_t)(ns / NS);
	tv->tv_usec = (suseconds_t)(ns % NS / 1000);
	return leave_with(0, errno);
}

/* timespec_get(TIME_UTC) is clock_gettime(CLOCK_REALTIME), whose
 * wrapper reads the virtual clock in a run. */
int
timespec_get(struct timespec *ts, int base)
{
	if (base != TIME_UTC)
		return REAL(timespec_get)(ts, base);
	return clock_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}

time_t
time(time_t *t)
{
	time_t now;

	if (!lk__enter())
		return REAL(time)(t);
	now = (time_t)(EPOCH_S + (long long)(lk__now() / NS));
	if (t != NULL)
		*t = now;
	lk__leave();
	return now;
}
