/*
 * The system calls glibc makes for itself. printf's flush into a pipe, the
 * flush at exit, fgets and scanf reading a pipe, fopen of a FIFO: stdio
 * calls write, read and openat inside libc, not through the exported
 * symbols the interposer replaces, so without help those calls would run
 * outside the schedule. Syscall User Dispatch (Linux 5.11,
 * prctl(PR_SET_SYSCALL_USER_DISPATCH)) makes every system call of the
 * process raise SIGSYS while a selector byte says "block", except calls
 * made from one address range: the gate below. The selector says "allow"
 * while the process is inside a wrapper (lk__enter .. lk__leave) and
 * "block" while the program's own code runs, glibc included. The SIGSYS
 * handler hands read, write, close, open and the rest of the calls the
 * interposer schedules to the same wrappers a direct call reaches, and
 * makes every other call itself through the gate: one code path for both.
 * docs/architecture.md says why this and not FILE-level wrappers or a
 * seccomp filter.
 *
 * Only images started by exec (a program and whatever it execs) turn it
 * on; the agent lockstep forks for XML processes makes its calls through
 * the wrappers on purpose. A forked child turns it on again (the kernel
 * does not copy it across fork). Where the kernel lacks it, prctl fails
 * and stdio's own calls stay uncontrolled, as before.
 */
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "interposer.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF          0
#define PR_SYS_DISPATCH_ON           1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a dispatched call */
#endif
#define SELECTOR_ALLOW 0
#define SELECTOR_BLOCK 1

__thread volatile char lk__sud_selector
        __attribute__((tls_model("initial-exec"))) = SELECTOR_ALLOW;

/* Whether dispatch is on (lk__ip.sud_on) and whether the handler is
 * running a wrapper (lk__ipt.in_handler): interposer.h. The selector above
 * stays a variable of its own: the kernel reads it by address, and the
 * handler must reach it without __tls_get_addr (initial-exec). */

#if defined(__x86_64__)

/*
 * The gate: the only code whose system calls are never dispatched.
 * lk__sud_call(nr, a1..a6) makes one call; lk__sud_restorer returns from
 * a signal handler (rt_sigreturn), for the SIGSYS handler and for the
 * program's handlers whose return was dispatched. The ud2 keeps the
 * address after the restorer's syscall inside the range.
 */
long lk__sud_call(long nr, long a1, long a2, long a3, long a4, long a5,
                  long a6);
void lk__sud_restorer(void);
extern const char lk__sud_begin[], lk__sud_end[];

__asm__(".text\n"
        ".p2align 4\n"
        ".globl lk__sud_begin\n"
        ".hidden lk__sud_begin\n"
        "lk__sud_begin:\n"
        ".globl lk__sud_call\n"
        ".hidden lk__sud_call\n"
        ".type lk__sud_call,@function\n"
        "lk__sud_call:\n"
        "	movq %rdi, %rax\n"
        "	movq %rsi, %rdi\n"
        "	movq %rdx, %rsi\n"
        "	movq %rcx, %rdx\n"
        "	movq %r8, %r10\n"
        "	movq %r9, %r8\n"
        "	movq 8(%rsp), %r9\n"
        "	syscall\n"
        "	ret\n"
        ".size lk__sud_call,.-lk__sud_call\n"
        ".globl lk__sud_restorer\n"
        ".hidden lk__sud_restorer\n"
        ".type lk__sud_restorer,@function\n"
        "lk__sud_restorer:\n"
        "	movq $15, %rax\n"
        "	syscall\n"
        "	ud2\n"
        ".size lk__sud_restorer,.-lk__sud_restorer\n"
        ".globl lk__sud_end\n"
        ".hidden lk__sud_end\n"
        "lk__sud_end:\n");

/* The kernel's struct sigaction on x86_64 (rt_sigaction). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define KSA_RESTORER 0x04000000UL

/* A wrapper's return as a raw system call's: -errno on failure. */
static long
raw(long r)
{
	return r == -1 ? -(long)errno : r;
}

#define RAW(call) raw((long)(call))

/* rt_sigprocmask from inside glibc (sigsetjmp, abort, posix_spawn...):
 * through the wrapper, which keeps lockstep's signals blocked; then the
 * new mask goes in the context the handler returns to, or sigreturn
 * would put the old one back. Sets are the kernel's 8 bytes. */
static long
sigprocmask_call(ucontext_t *uc, long how, const void *set, void *old,
                 long size)
{
	sigset_t s, o, now;

	if (size != 8)
		return -EINVAL;
	sigemptyset(&s);
	if (set != NULL)
		memcpy(&s, set, 8);
	if (sigprocmask((int)how, set != NULL ? &s : NULL, &o) != 0)
		return -errno;
	lk__sud_selector = SELECTOR_ALLOW;
	if (old != NULL)
		memcpy(old, &o, 8);
	if (set != NULL && lk__real_sigprocmask(SIG_BLOCK, NULL, &now) == 0) {
		lk__drop_own(&now);
		memcpy(&uc->uc_sigmask, &now, 8);
	}
	return 0;
}

/* rt_sigaction from inside glibc: as the sigaction wrapper, the signals
 * the interposer owns are neither taken nor blocked (lk__own_signals). */
static long
sigaction_call(long sig, const struct ksigaction *act, struct ksigaction *old,
               long size)
{
	uint64_t own = lk__own_signals();
	struct ksigaction k;

	if (sig > 0 && sig < 64 && (own & (1ull << sig))) {
		if (old != NULL)
			memset(old, 0, sizeof(*old));
		return 0;
	}
	/* The old action first, unwrapped, while the trampoline's table
	 * still has it (lk__handler_wrap). */
	if (old != NULL) {
		long r = lk__sud_call(SYS_rt_sigaction, sig, 0, (long)old, size,
		                      0, 0);

		if (r != 0)
			return r;
		old->handler = (void *)lk__handler_unwrap(
		        (int)sig, (sighandler_t)old->handler, &old->flags);
	}
	if (act == NULL)
		return 0;
	k = *act;
	k.mask &= ~(own >> 1); /* the kernel's bit n - 1: signal n */
	k.handler = (void *)lk__handler_wrap((int)sig, (sighandler_t)k.handler,
	                                     &k.flags);
	return lk__sud_call(SYS_rt_sigaction, sig, (long)&k, 0, size, 0, 0);
}

/* The pid a pidfd refers to (its fdinfo's "Pid:"), or -1. Raw calls:
 * this runs in the dispatch handler. */
static pid_t
pidfd_pid(long pidfd)
{
	char path[64], buf[512], *p;
	long fd, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%ld", pidfd);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	syscall(SYS_close, fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	return p != NULL ? (pid_t)strtol(p + 5, NULL, 10) : -1;
}

/* A signal sent to another process by a call other than kill (sigqueue,
 * tgkill, pidfd_send_signal): to the kill wrapper, so that it is a step
 * and stays in the run; 0 (made as it is) when the target is the
 * calling process itself. */
static int
signal_other(long pid, long sig, long *ret)
{
	if (pid <= 0 || pid == getpid())
		return 0;
	*ret = RAW(kill((pid_t)pid, (int)sig));
	return 1;
}

/* Is a dispatched fcntl one the wrapper schedules (a record lock)? */
static int
lock_cmd(long cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK ||
	       cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW || cmd == F_OFD_GETLK;
}

/* A call the interposer schedules: to its wrapper. Returns 1 and sets
 * *ret, or 0 when the call is to be made as it is. */
static int
scheduled(ucontext_t *uc, long nr, const long *a, long *ret)
{
	if (lk__fs_names(nr)) {
		*ret = lk__fs_syscall(nr, a);
		return 1;
	}
	switch (nr) {
	case SYS_creat:
		*ret = RAW(open((const char *)a[0],
		                O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1]));
		return 1;
	case SYS_read:
		*ret = RAW(read((int)a[0], (void *)a[1], (size_t)a[2]));
		return 1;
	case SYS_write:
		*ret = RAW(write((int)a[0], (const void *)a[1], (size_t)a[2]));
		return 1;
	case SYS_pread64:
		*ret = RAW(pread((int)a[0], (void *)a[1], (size_t)a[2],
		                 (off_t)a[3]));
		return 1;
	case SYS_pwrite64:
		*ret = RAW(pwrite((int)a[0], (const void *)a[1], (size_t)a[2],
		                  (off_t)a[3]));
		return 1;
	case SYS_readv:
		*ret = RAW(readv((int)a[0], (const struct iovec *)a[1],
		                 (int)a[2]));
		return 1;
	case SYS_writev:
		*ret = RAW(writev((int)a[0], (const struct iovec *)a[1],
		                  (int)a[2]));
		return 1;
	case SYS_close:
		*ret = RAW(close((int)a[0]));
		return 1;
	/* UNIX stream sockets (sock.c). */
	case SYS_sendto:
		*ret = RAW(sendto((int)a[0], (const void *)a[1], (size_t)a[2],
		                  (int)a[3], (const struct sockaddr *)a[4],
		                  (socklen_t)a[5]));
		return 1;
	case SYS_recvfrom:
		*ret = RAW(recvfrom((int)a[0], (void *)a[1], (size_t)a[2],
		                    (int)a[3], (struct sockaddr *)a[4],
		                    (socklen_t *)a[5]));
		return 1;
	case SYS_sendmsg:
		*ret = RAW(sendmsg((int)a[0], (const struct msghdr *)a[1],
		                   (int)a[2]));
		return 1;
	case SYS_recvmsg:
		*ret = RAW(
		        recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]));
		return 1;
	case SYS_connect:
		*ret = RAW(connect((int)a[0], (const struct sockaddr *)a[1],
		                   (socklen_t)a[2]));
		return 1;
	case SYS_accept:
	case SYS_accept4:
		*ret = RAW(accept4((int)a[0], (struct sockaddr *)a[1],
		                   (socklen_t *)a[2],
		                   nr == SYS_accept4 ? (int)a[3] : 0));
		return 1;
	case SYS_shutdown:
		*ret = RAW(shutdown((int)a[0], (int)a[1]));
		return 1;
	case SYS_socketpair:
		*ret = RAW(socketpair((int)a[0], (int)a[1], (int)a[2],
		                      (int *)a[3]));
		return 1;
	case SYS_listen:
		*ret = RAW(listen((int)a[0], (int)a[1]));
		return 1;
	case SYS_dup2:
		*ret = RAW(dup2((int)a[0], (int)a[1]));
		return 1;
	case SYS_close_range:
		*ret = RAW(
		        close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]));
		return 1;
	case SYS_dup3:
		*ret = RAW(dup3((int)a[0], (int)a[1], (int)a[2]));
		return 1;
	case SYS_open:
		*ret = RAW(open((const char *)a[0], (int)a[1], (mode_t)a[2]));
		return 1;
	case SYS_openat:
		*ret = RAW(openat((int)a[0], (const char *)a[1], (int)a[2],
		                  (mode_t)a[3]));
		return 1;
	case SYS_fcntl:
		if (!lock_cmd(a[1]))
			return 0;
		*ret = RAW(fcntl((int)a[0], (int)a[1], (void *)a[2]));
		return 1;
	case SYS_flock:
		*ret = RAW(flock((int)a[0], (int)a[1]));
		return 1;
	case SYS_wait4:
		*ret = RAW(wait4((pid_t)a[0], (int *)a[1], (int)a[2],
		                 (struct rusage *)a[3]));
		return 1;
	case SYS_kill:
		*ret = RAW(kill((pid_t)a[0], (int)a[1]));
		return 1;
	case SYS_rt_sigqueueinfo:
		return signal_other(a[0], a[1], ret);
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		return signal_other(a[0], a[2], ret);
	case SYS_pidfd_send_signal:
		return signal_other(pidfd_pid(a[0]), a[1], ret);
	case SYS_nanosleep:
		*ret = RAW(nanosleep((const struct timespec *)a[0],
		                     (struct timespec *)a[1]));
		return 1;
	case SYS_clock_nanosleep:
		/* Returns the error number, as the raw call's negation. */
		*ret = -(long)clock_nanosleep((clockid_t)a[0], (int)a[1],
		                              (const struct timespec *)a[2],
		                              (struct timespec *)a[3]);
		return 1;
	case SYS_execve:
		*ret = RAW(execve((const char *)a[0], (char *const *)a[1],
		                  (char *const *)a[2]));
		return 1;
	case SYS_exit_group:
		_exit((int)a[0]);
	case SYS_rt_sigprocmask:
		*ret = sigprocmask_call(uc, a[0], (const void *)a[1],
		                        (void *)a[2], a[3]);
		return 1;
	case SYS_getrandom:
		*ret = RAW(
		        getrandom((void *)a[0], (size_t)a[1], (unsigned)a[2]));
		return 1;
	case SYS_rt_sigaction:
		*ret = sigaction_call(a[0], (const struct ksigaction *)a[1],
		                      (struct ksigaction *)a[2], a[3]);
		return 1;
	default:
		return 0;
	}
}

/* A thread or a vfork child runs on a stack of its own: the call cannot
 * be made from the handler. It is made again, allowed, where it was. */
static int
on_own_stack(long nr, const long *a)
{
	return nr == SYS_clone3 || nr == SYS_vfork ||
	       (nr == SYS_clone && (a[0] & CLONE_VM));
}

static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *r = uc->uc_mcontext.gregs;
	long nr = r[REG_RAX], ret;
	long a[6] = {r[REG_RDI], r[REG_RSI], r[REG_RDX],
	             r[REG_R10], r[REG_R8],  r[REG_R9]};
	int saved = errno, nested = lk__ipt.in_handler;

	(void)sig;
	lk__sud_selector = SELECTOR_ALLOW;
	if (si->si_code != SYS_USER_DISPATCH) {
		/* A SIGSYS someone sent: what the default would do. */
		signal(SIGSYS, SIG_DFL);
		raise(SIGSYS);
		return;
	}
	if (nr == SYS_rt_sigreturn) {
		/* A program's handler returns through glibc's restorer: do
		 * the same from the gate, on the same stack. */
		r[REG_RIP] = (greg_t)lk__sud_restorer;
		lk__sud_selector = lk__busy() ? SELECTOR_ALLOW : SELECTOR_BLOCK;
		return;
	}
	if (on_own_stack(nr, a)) {
		r[REG_RIP] -= 2; /* the syscall instruction, again */
		return; /* the selector stays "allow" until a wrapper */
	}
	lk__ipt.in_handler = 1;
	if (nested || !lk__active() || !scheduled(uc, nr, a, &ret))
		ret = lk__sud_call(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	lk__ipt.in_handler = nested;
	r[REG_RAX] = ret;
	errno = saved;
	lk__sud_selector = lk__busy() ? SELECTOR_ALLOW : SELECTOR_BLOCK;
}

void
lk__sud_start(void)
{
	struct ksigaction ka = {0};

	ka.handler = (void *)on_sigsys;
	ka.flags = SA_SIGINFO | SA_NODEFER | KSA_RESTORER;
	ka.restorer = lk__sud_restorer;
	if (syscall(SYS_rt_sigaction, SIGSYS, &ka, NULL, 8) != 0)
		return;
	lk__sud_selector = lk__busy() ? SELECTOR_ALLOW : SELECTOR_BLOCK;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
	          (unsigned long)lk__sud_begin,
	          (unsigned long)((uintptr_t)lk__sud_end -
	                          (uintptr_t)lk__sud_begin),
	          &lk__sud_selector) != 0) {
		lk__sud_selector = SELECTOR_ALLOW;
		return;
	}
	lk__ip.sud_on = 1;
}

void
lk__sud_stop(void)
{
	if (!lk__ip.sud_on)
		return;
	lk__sud_selector = SELECTOR_ALLOW;
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	lk__ip.sud_on = 0;
}

/* Turn dispatch on (on) or off for the calling thread alone, when the
 * process has it: a new thread starts without it (the kernel clears it
 * at clone), and one whose lane ended runs outside the schedule. */
void
lk__sud_thread(int on)
{
	if (!lk__ip.sud_on)
		return;
	if (!on) {
		lk__sud_selector = SELECTOR_ALLOW;
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0,
		      0);
		return;
	}
	lk__sud_selector = lk__busy() ? SELECTOR_ALLOW : SELECTOR_BLOCK;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
	          (unsigned long)lk__sud_begin,
	          (unsigned long)((uintptr_t)lk__sud_end -
	                          (uintptr_t)lk__sud_begin),
	          &lk__sud_selector) != 0)
		lk__sud_selector = SELECTOR_ALLOW;
}

void
lk__sud_fork_child(void)
{
	if (lk__ip.sud_on) {
		lk__ip.sud_on = 0;
		lk__sud_start();
	}
}

int
lk__sud_active(void)
{
	return lk__ip.sud_on;
}

/* rt_sigprocmask through the gate, never dispatched. */
static int
raw_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	long r = lk__sud_call(SYS_rt_sigprocmask, how, (long)set, (long)old, 8,
	                      0, 0);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

#else /* no dispatch: stdio's own calls are not scheduled */

void
lk__sud_start(void)
{
}

void
lk__sud_stop(void)
{
}

void
lk__sud_fork_child(void)
{
}

void
lk__sud_thread(int on)
{
	(void)on;
}

int
lk__sud_active(void)
{
	return 0;
}

static int
raw_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	lk__resolve();
	return lk__real_sigprocmask(how, set, old);
}

#endif

int
lk__sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t s;

	if (set != NULL && how != SIG_UNBLOCK && lk__own_signals() != 0) {
		s = *set;
		lk__drop_own(&s);
		set = &s;
	}
	return raw_sigmask(how, set, old);
}
