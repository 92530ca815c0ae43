/*
 * --track-shm: plain loads and stores of shared memory as steps. A
 * program's shared mappings (mmap MAP_SHARED, anonymous or of a file or
 * a POSIX shared memory object, and shmat) are kept PROT_NONE while its
 * own code runs. An access faults (SIGSEGV); the handler takes the turn
 * for a load or a store of that cell (the page fault's error code says
 * which: a read-modify-write instruction is a store), opens the page and
 * sets the trap flag, so the kernel runs exactly that one instruction and
 * stops again (SIGTRAP); the second handler records the step with the
 * value loaded or stored (the 32-bit word at the address) and closes the
 * page. Inside a wrapper every tracked region is open, so the kernel and
 * libc (futexes, read into a shared buffer) see ordinary memory.
 *
 * A cell is the object of its address: the mapping's inode and offset
 * (objects.c), the same in every process that maps the memory, named
 * "shared+OFF" (anonymous) or after the object mapped ("counter+OFF").
 * x86-64 only (the trap flag and the fault's error code); elsewhere the
 * option is refused by the controller.
 */
#include <sys/mman.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "interposer.h"

#if defined(__x86_64__)

#define TRAP_FLAG 0x100 /* EFLAGS.TF */
#define PF_WRITE  0x2   /* page fault error code: a write */

/* The regions, and the step in flight between a fault and its trap, are
 * in lk__ip and lk__ipt (interposer.h). */

/* The tracked region that holds address a, or NULL. */
static struct lk_ip_region *
find(uintptr_t a)
{
	for (int i = 0; i < lk__ip.nregions; i++)
		if (a >= lk__ip.regions[i].lo && a < lk__ip.regions[i].hi)
			return &lk__ip.regions[i];
	return NULL;
}

static void
protect_all(int open)
{
	for (int i = 0; i < lk__ip.nregions; i++) {
		const struct lk_ip_region *r = &lk__ip.regions[i];

		mprotect((void *)r->lo, r->hi - r->lo,
		         open ? r->prot : PROT_NONE);
	}
}

void
lk__track_open(void)
{
	if (lk__ip.nregions > 0 && !lk__ip.regions_open) {
		protect_all(1);
		lk__ip.regions_open = 1;
	}
}

void
lk__track_close(void)
{
	if (lk__ip.nregions > 0 && lk__ip.regions_open &&
	    !lk__ipt.cell.stepping) {
		protect_all(0);
		lk__ip.regions_open = 0;
	}
}

/* A fault we do not own: the default action, as without lockstep. */
static void
not_ours(int sig)
{
	signal(sig, SIG_DFL);
	if (sig == SIGTRAP)
		raise(SIGTRAP);
	/* SIGSEGV: returning runs the instruction again, which faults
	 * again, now fatally. */
}

static void
on_segv(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	struct lk_ip_cell *pending = &lk__ipt.cell;
	ucontext_t *uc = ctx;
	uintptr_t a = (uintptr_t)si->si_addr;
	struct lk_ip_region *r = find(a);

	if (r == NULL || si->si_code != SEGV_ACCERR) {
		not_ours(sig);
		return;
	}
	uc->uc_mcontext.gregs[REG_EFL] |= TRAP_FLAG;
	if (pending->stepping || !lk__active()) {
		/* Inside a wrapper or outside the run: just let it go. */
		mprotect((void *)(a & ~(uintptr_t)4095), 4096, r->prot);
		pending->stepping = 1;
		errno = saved;
		return;
	}
	lk__enter(); /* opens every region */
	memset(&pending->st, 0, sizeof(pending->st));
	pending->st.op = (uc->uc_mcontext.gregs[REG_ERR] & PF_WRITE)
	                         ? LK_OP_STORE
	                         : LK_OP_LOAD;
	pending->addr = (const int32_t *)(a & ~(uintptr_t)3);
	pending->st.obj = lk__obj_cell(pending->addr);
	pending->st.u.cell.at = (int64_t)(a - r->lo);
	lk__arrive(pending->st.op, pending->st.obj, 0);
	if (pending->st.op == LK_OP_LOAD)
		pending->st.ret = *(volatile const int32_t *)pending->addr;
	pending->active = 1;
	pending->stepping = 1;
	errno = saved;
}

static void
on_trap(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	struct lk_ip_cell *pending = &lk__ipt.cell;
	ucontext_t *uc = ctx;

	(void)si;
	if (!pending->stepping) {
		not_ours(sig);
		return;
	}
	uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
	pending->stepping = 0;
	if (pending->active) {
		pending->active = 0;
		if (pending->st.op == LK_OP_STORE)
			pending->st.ret =
			        *(volatile const int32_t *)pending->addr;
		lk__done(&pending->st, -1);
		lk__leave(); /* closes them again */
	} else {
		/* Closed again when the wrapper it came from leaves. */
		lk__ip.regions_open = 1;
		if (!lk__busy())
			lk__track_close();
	}
	errno = saved;
}

/* Install the two handlers (once). */
static void
take_signals(void)
{
	struct sigaction sa;

	if (lk__ip.track_handlers)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sa.sa_sigaction = on_segv;
	lk__real_sigaction(SIGSEGV, &sa, NULL);
	sa.sa_sigaction = on_trap;
	lk__real_sigaction(SIGTRAP, &sa, NULL);
	lk__ip.track_handlers = 1;
}

void
lk__track_add(void *addr, size_t len, int prot)
{
	uintptr_t lo = (uintptr_t)addr;
	struct lk_ip_region *r;

	if (!lk__shared()->track_shm || lk__ip.nregions >= LK_IP_REGIONS ||
	    len == 0 || prot == PROT_NONE)
		return;
	take_signals();
	r = &lk__ip.regions[lk__ip.nregions++];
	r->lo = lo;
	r->hi = (lo + len + 4095) & ~(uintptr_t)4095;
	r->prot = prot;
	/* The caller is inside a wrapper: open until it leaves. */
	if (!lk__ip.regions_open)
		mprotect(addr, len, PROT_NONE);
}

void
lk__track_remove(const void *addr)
{
	for (int i = 0; i < lk__ip.nregions; i++)
		if (lk__ip.regions[i].lo == (uintptr_t)addr) {
			lk__ip.regions[i] = lk__ip.regions[--lk__ip.nregions];
			return;
		}
}

uint64_t
lk__track_signals(void)
{
	return lk__ip.track_handlers ? (1ull << SIGSEGV) | (1ull << SIGTRAP)
	                             : 0;
}

#else /* no trap flag here: nothing is tracked */

void
lk__track_open(void)
{
}

void
lk__track_close(void)
{
}

void
lk__track_add(void *addr, size_t len, int prot)
{
	(void)addr;
	(void)len;
	(void)prot;
}

void
lk__track_remove(const void *addr)
{
	(void)addr;
}

uint64_t
lk__track_signals(void)
{
	return 0;
}

#endif
