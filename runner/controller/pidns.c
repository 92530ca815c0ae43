/*
 * --stable-pids: a run's program in a PID namespace of its own, so that
 * it sees the same pids in every run with the same schedule.
 *
 * The namespace's first process (pid 1) is a tiny init of ours, not the
 * program: the kernel ignores signals without a handler sent to a pid 1
 * from inside (kill(getpid(), SIGTERM) would do nothing), orphans go to
 * pid 1, and when pid 1 exits the kernel kills everything in the
 * namespace. So init forks the program's main process (pid 2), tells
 * lockstep its pid, and then only sits there with every signal blocked,
 * never reaping: a process that ends stays a zombie until its parent or
 * the end of the run reaps it, as under lockstep's subreaper otherwise,
 * so lockstep can still read how it ended. Its children are 3, 4, ...,
 * in the order the scheduler lets them fork. When the run ends lockstep
 * kills init, and the kernel kills and reaps the rest; when lockstep dies,
 * init dies of its parent-death signal, with the same effect.
 *
 * Pids: a slot (struct lk_slot) holds the pid its process sees, that of
 * the namespace, because the interposer compares it with getpid(), the
 * result of fork and the pids a program passes to kill and waitpid. Only
 * lockstep, outside, needs the pid it sees itself (to kill, wait, open a
 * pidfd, read /proc/PID), and lk_pidns_host translates it: every process
 * of the namespace descends from init (orphans are re-parented to it),
 * and /proc/PID/status gives its pid in the namespace (the last NSpid).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

#define MAX_SCAN 65536 /* processes looked at in one pass over /proc */

/* The clone flags that make a namespace here: 0 not tried yet, -1 none. */
static long ns_flags;
static int ns_errno;

/* clone as fork, with extra flags (glibc's clone wants a new stack). */
static pid_t
clone_fork(long flags)
{
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL,
	                      NULL);
}

/* Write text to a /proc file of our own; 0 or -1. */
static int
put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* In a child in a new user namespace: map our own uid and gid onto
 * themselves, so the program runs as the same user; 0 or -1. */
int
lk_ns_map_ids(uid_t uid, gid_t gid)
{
	char line[64];

	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (put("/proc/self/uid_map", line) != 0)
		return -1;
	/* An unprivileged gid_map needs setgroups denied first. */
	if (put("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
		return -1;
	snprintf(line, sizeof(line), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return put("/proc/self/gid_map", line);
}

/* Try to make a namespace with flags: fork a child into one, which
 * exits at once; 0 or -1 with errno. */
static int
try_flags(long flags)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int status;
	pid_t pid = clone_fork(flags);

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit((flags & CLONE_NEWUSER) && lk_ns_map_ids(uid, gid) != 0
		              ? 1
		              : 0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Can this kernel give a run a pid namespace? 0, or -1 with err
 * (LK_EXIT_USAGE: the option cannot be honoured here). */
int
lk_pidns_check(struct lk_err *err)
{
	if (ns_flags == 0) {
		/* As root (or with CAP_SYS_ADMIN) a pid namespace alone;
		 * else one inside a user namespace of our own. */
		if (try_flags(CLONE_NEWPID) == 0)
			ns_flags = CLONE_NEWPID;
		else if (try_flags(CLONE_NEWUSER | CLONE_NEWPID) == 0)
			ns_flags = CLONE_NEWUSER | CLONE_NEWPID;
		else {
			ns_flags = -1;
			ns_errno = errno;
		}
	}
	if (ns_flags > 0)
		return 0;
	lk_err_set(err, LK_EXIT_USAGE,
	           "--stable-pids: the kernel refuses a new pid namespace "
	           "(%s); run without --stable-pids",
	           strerror(ns_errno));
	return -1;
}

/* Init, pid 1 of the namespace: start the main process, say its pid on
 * fd, then wait to be killed. Never returns. */
static void
run_init(int fd, uid_t uid, gid_t gid, void (*start)(void *), void *arg)
{
	sigset_t all;
	pid_t pid;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "lockstep-init");
	if ((ns_flags & CLONE_NEWUSER) && lk_ns_map_ids(uid, gid) != 0)
		_exit(127);
	pid = fork();
	if (pid == 0) {
		close(fd);
		start(arg);
		_exit(127);
	}
	if (pid < 0 || write(fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(127);
	/* Hold nothing of lockstep's: no pipe end, no terminal. */
	syscall(SYS_close_range, 0u, ~0u, 0u);
	/* No signal handler runs here; SIGCHLD keeps its default, so the
	 * children that end stay zombies until someone reaps them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;)
		pause();
}

/* Start a new pid namespace whose init runs start(arg) as its first
 * child (see controller.h). */
pid_t
lk_pidns_start(struct lk_pidns *ns, void (*start)(void *), void *arg,
               pid_t *main_pid, struct lk_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int p[2], status;
	pid_t pid;
	ssize_t n;

	memset(ns, 0, sizeof(*ns));
	if (lk_pidns_check(err) != 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) != 0)
		goto fail;
	pid = clone_fork(ns_flags);
	if (pid == 0) {
		close(p[0]);
		run_init(p[1], uid, gid, start, arg);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		goto fail;
	}
	while ((n = read(p[0], main_pid, sizeof(*main_pid))) < 0 &&
	       errno == EINTR)
		;
	close(p[0]);
	if (n != (ssize_t)sizeof(*main_pid)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "--stable-pids: the namespace's init could not "
		           "start the program");
		return -1;
	}
	ns->init = pid;
	return pid;
fail:
	lk_err_set(err, LK_EXIT_INTERNAL,
	           "--stable-pids: cannot start a pid namespace: %s",
	           strerror(errno));
	return -1;
}

struct proc {
	pid_t pid, ppid, nspid;
};

/* Order procs by pid. */
static int
by_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* PPid and the last NSpid of process pid from /proc/PID/status; 0 or -1. */
static int
read_status(pid_t pid, struct proc *pr)
{
	char path[64], line[256];
	FILE *f;
	int got = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	pr->pid = pid;
	while (got != 3 && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "PPid:", 5) == 0) {
			pr->ppid = (pid_t)strtol(line + 5, NULL, 10);
			got |= 1;
		} else if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');

			pr->nspid = (pid_t)strtol(
			        last != NULL ? last : line + 6, NULL, 10);
			got |= 2;
		}
	}
	fclose(f);
	return got == 3 ? 0 : -1;
}

/* Is procs[k] init or one of its descendants? */
static int
descends(const struct proc *procs, size_t n, size_t k, pid_t init)
{
	for (int depth = 0; depth < 4096; depth++) {
		struct proc key = {.pid = procs[k].ppid};
		const struct proc *up;

		if (procs[k].pid == init)
			return 1;
		up = bsearch(&key, procs, n, sizeof(*procs), by_pid);
		if (up == NULL)
			return 0;
		k = (size_t)(up - procs);
	}
	return 0;
}

/* One pass over /proc: look up every slot whose pid is new. */
static void
scan(struct lk_pidns *ns, const struct lk_shared *sh)
{
	struct proc *procs = malloc(MAX_SCAN * sizeof(*procs));
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	for (uint32_t j = 0; j < sh->nslots && j < LK_MAX_PROCS; j++)
		if (sh->slots[j].pid > 0 && ns->nspid[j] != sh->slots[j].pid) {
			ns->nspid[j] = sh->slots[j].pid;
			ns->host[j] = -1;
		}
	if (procs == NULL || (d = opendir("/proc")) == NULL) {
		free(procs);
		return;
	}
	while (n < MAX_SCAN && (de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end == '\0' && pid > 0 &&
		    read_status((pid_t)pid, &procs[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(procs, n, sizeof(*procs), by_pid);
	for (size_t k = 0; k < n; k++) {
		if (!descends(procs, n, k, ns->init))
			continue;
		for (uint32_t j = 0; j < sh->nslots && j < LK_MAX_PROCS; j++)
			if (ns->host[j] < 0 && ns->nspid[j] == procs[k].nspid)
				ns->host[j] = procs[k].pid;
	}
	free(procs);
}

/* Lockstep's pid of slot i's process (see controller.h). */
pid_t
lk_pidns_host(struct lk_pidns *ns, const struct lk_shared *sh, uint32_t i)
{
	if (i >= LK_MAX_PROCS || sh->slots[i].pid <= 0)
		return 0;
	if (ns->nspid[i] != sh->slots[i].pid)
		scan(ns, sh);
	return ns->host[i] > 0 ? ns->host[i] : 0;
}
