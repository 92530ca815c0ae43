/*
 * posix_spawn, posix_spawnp, system and popen under control. glibc makes
 * their children with an internal clone(CLONE_VM | CLONE_VFORK) and an
 * internal execve that no wrapper sees, so in a run they are rebuilt here
 * from the wrapped calls a program would use: fork, the file actions as
 * close, dup2 and open, execve, waitpid. The child is a process of the run
 * (main.1, ...), its exec is a step, and so is waiting for it; the pipes of
 * popen are pipes like any other. Outside a run every function is glibc's.
 *
 * glibc's posix_spawn_file_actions_t is opaque, so the add functions are
 * wrapped too: each calls glibc's (the object stays valid for glibc) and
 * notes the action in a list of our own, keyed by the object's address.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "interposer.h"

/* closefrom and tcsetpgrp file actions came with glibc 2.34 and 2.35. */
#if __GLIBC_PREREQ(2, 34)
#define HAVE_CLOSEFROM_NP 1
#endif
#if __GLIBC_PREREQ(2, 35)
#define HAVE_TCSETPGRP_NP 1
#endif

/*
 * The real functions of this file. Kept here rather than in LK_REAL_FUNCS:
 * the _np file actions exist only in newer glibc, and a missing one must
 * not stop the interposer from loading (lk__resolve aborts).
 */
#define SPAWN_REAL_FUNCS(X)                                                    \
	X(posix_spawn, int,                                                    \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *,          \
	   const posix_spawnattr_t *, char *const[], char *const[]))           \
	X(posix_spawnp, int,                                                   \
	  (pid_t *, const char *, const posix_spawn_file_actions_t *,          \
	   const posix_spawnattr_t *, char *const[], char *const[]))           \
	X(posix_spawn_file_actions_init, int, (posix_spawn_file_actions_t *))  \
	X(posix_spawn_file_actions_destroy, int,                               \
	  (posix_spawn_file_actions_t *))                                      \
	X(posix_spawn_file_actions_addclose, int,                              \
	  (posix_spawn_file_actions_t *, int))                                 \
	X(posix_spawn_file_actions_adddup2, int,                               \
	  (posix_spawn_file_actions_t *, int, int))                            \
	X(posix_spawn_file_actions_addopen, int,                               \
	  (posix_spawn_file_actions_t *, int, const char *, int, mode_t))      \
	X(posix_spawn_file_actions_addchdir_np, int,                           \
	  (posix_spawn_file_actions_t *, const char *))                        \
	X(posix_spawn_file_actions_addfchdir_np, int,                          \
	  (posix_spawn_file_actions_t *, int))                                 \
	X(posix_spawn_file_actions_addclosefrom_np, int,                       \
	  (posix_spawn_file_actions_t *, int))                                 \
	X(posix_spawn_file_actions_addtcsetpgrp_np, int,                       \
	  (posix_spawn_file_actions_t *, int))                                 \
	X(system, int, (const char *))                                         \
	X(popen, FILE *, (const char *, const char *))                         \
	X(pclose, int, (FILE *))

/* real_<name>(), resolved on first use; a function glibc lacks is one
 * no program of this glibc calls either. The pointers are not in
 * struct lk_ip_state: resolved once, they stay right after a fork. */
#define SPAWN_REAL_DEF(name, ret, args)                                        \
	__attribute__((unused)) static ret(*real_##name(void)) args            \
	{                                                                      \
		static ret(*p) args;                                           \
		if (p == NULL) {                                               \
			p = (ret(*) args)dlsym(RTLD_NEXT, #name);              \
			if (p == NULL || p == name)                            \
				abort();                                       \
		}                                                              \
		return p;                                                      \
	}
SPAWN_REAL_FUNCS(SPAWN_REAL_DEF)
#undef SPAWN_REAL_DEF

/* Here the real functions are spawn.c's own real_<name>(). */
#undef REAL
#define REAL(name) real_##name()

extern char **environ;

/* Is this process under lockstep's control, outside any wrapper? The
 * calls made here then go through the wrappers themselves. */
static int
controlled(void)
{
	if (!lk__enter())
		return 0;
	lk__leave();
	return 1;
}

/* --- file actions: our own copy of what the program added ------------- */

enum act_kind {
	ACT_CLOSE,
	ACT_DUP2,
	ACT_OPEN,
	ACT_CHDIR,
	ACT_FCHDIR,
	ACT_CLOSEFROM,
	ACT_TCSETPGRP,
};

struct action {
	enum act_kind kind;
	int fd;    /* close, open's target, fchdir, closefrom, tcsetpgrp */
	int newfd; /* dup2's target */
	int oflag;
	mode_t mode;
	char *path; /* open, chdir */
};

struct spawn_actions {
	const posix_spawn_file_actions_t *key;
	struct action *v;
	int n, cap;
	int broken; /* an action could not be noted: do not trust v */
	struct spawn_actions *next;
};

/* The lists are in lk__ip.spawn_actions (interposer.h). */

/* The list of fa, or NULL; with unlink, taken out of the table. */
static struct spawn_actions *
actions_find(const posix_spawn_file_actions_t *fa, int unlink)
{
	for (struct spawn_actions **p = &lk__ip.spawn_actions; *p != NULL;
	     p = &(*p)->next)
		if ((*p)->key == fa) {
			struct spawn_actions *a = *p;

			if (unlink)
				*p = a->next;
			return a;
		}
	return NULL;
}

/* Free a list taken out of the table. */
static void
actions_free(struct spawn_actions *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < a->n; i++)
		free(a->v[i].path);
	free(a->v);
	free(a);
}

/* Note action x of fa, which glibc accepted. errno preserved. */
static void
actions_add(const posix_spawn_file_actions_t *fa, const struct action *x)
{
	struct spawn_actions *a = actions_find(fa, 0);
	int saved = errno;

	if (a == NULL) {
		a = calloc(1, sizeof(*a));
		if (a == NULL)
			goto out;
		a->key = fa;
		a->next = lk__ip.spawn_actions;
		lk__ip.spawn_actions = a;
	}
	if (a->n == a->cap) {
		int cap = a->cap ? 2 * a->cap : 8;
		struct action *v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (v == NULL) {
			a->broken = 1;
			goto out;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] = *x;
	if (x->path != NULL && (a->v[a->n].path = strdup(x->path)) == NULL) {
		a->broken = 1;
		goto out;
	}
	a->n++;
out:
	errno = saved;
}

int
posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	int r = REAL(posix_spawn_file_actions_init)(fa);

	/* A new object where an old one was (not destroyed): forget it. */
	if (r == 0)
		actions_free(actions_find(fa, 1));
	return r;
}

int
posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	actions_free(actions_find(fa, 1));
	return REAL(posix_spawn_file_actions_destroy)(fa);
}

int
posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
{
	struct action x = {.kind = ACT_CLOSE, .fd = fd};
	int r = REAL(posix_spawn_file_actions_addclose)(fa, fd);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}

int
posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd,
                                 int newfd)
{
	struct action x = {.kind = ACT_DUP2, .fd = fd, .newfd = newfd};
	int r = REAL(posix_spawn_file_actions_adddup2)(fa, fd, newfd);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}

int
posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *restrict fa,
                                 int fd, const char *restrict path, int oflag,
                                 mode_t mode)
{
	struct action x = {.kind = ACT_OPEN,
	                   .fd = fd,
	                   .oflag = oflag,
	                   .mode = mode,
	                   .path = (char *)path};
	int r = REAL(posix_spawn_file_actions_addopen)(fa, fd, path, oflag,
	                                               mode);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}

int
posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *restrict fa,
                                     const char *restrict path)
{
	struct action x = {.kind = ACT_CHDIR, .path = (char *)path};
	int r = REAL(posix_spawn_file_actions_addchdir_np)(fa, path);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}

int
posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa, int fd)
{
	struct action x = {.kind = ACT_FCHDIR, .fd = fd};
	int r = REAL(posix_spawn_file_actions_addfchdir_np)(fa, fd);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}

#ifdef HAVE_CLOSEFROM_NP
int
posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa,
                                         int from)
{
	struct action x = {.kind = ACT_CLOSEFROM, .fd = from};
	int r = REAL(posix_spawn_file_actions_addclosefrom_np)(fa, from);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}
#endif

#ifdef HAVE_TCSETPGRP_NP
int
posix_spawn_file_actions_addtcsetpgrp_np(posix_spawn_file_actions_t *fa, int fd)
{
	struct action x = {.kind = ACT_TCSETPGRP, .fd = fd};
	int r = REAL(posix_spawn_file_actions_addtcsetpgrp_np)(fa, fd);

	if (r == 0)
		actions_add(fa, &x);
	return r;
}
#endif

/* --- posix_spawn --------------------------------------------------------- */

/* Close fd for real, not as a step: a descriptor of ours. Made as
 * inside a wrapper, so that sud.c does not schedule it either. errno
 * preserved. */
static void
close_quietly(int fd)
{
	int saved = errno, in = lk__enter();

	lk__obj_fd_forget(fd);
	lk__real_close(fd);
	if (in)
		lk__leave();
	errno = saved;
}

/* Send the parent the error err through fd, not as a step; 0 or -1.
 * As text: the parent's read of it is a step, whose data the trace
 * shows. */
static int
send_error(int fd, int err)
{
	char text[16];
	int in = lk__enter(), len = snprintf(text, sizeof(text), "%d", err);
	ssize_t n = lk__real_write(fd, text, (size_t)len);

	if (in)
		lk__leave();
	return n == (ssize_t)len ? 0 : -1;
}

/* closefrom(from) in the child, except keep and the run's descriptors:
 * one wrapped close each, so closing a pipe end is a step as always. */
static int
close_from(int from, int keep)
{
	int *fds = NULL, n = 0, cap = 0, dfd;
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");

	if (dir == NULL)
		return -1;
	dfd = dirfd(dir);
	while ((d = readdir(dir)) != NULL) {
		int fd = atoi(d->d_name);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd < from ||
		    fd == keep || fd == dfd || lk__run_fd(fd))
			continue;
		if (n == cap) {
			int *v = realloc(fds, (size_t)(cap + 64) * sizeof(*v));

			if (v == NULL)
				break;
			fds = v;
			cap += 64;
		}
		fds[n++] = fd;
	}
	closedir(dir);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/* Move the child's end of the error pipe *errfd out of the way of an
 * action that makes descriptor fd. 0 or -1. */
static int
dodge(int *errfd, int fd)
{
	int moved;

	if (fd != *errfd)
		return 0;
	moved = fcntl(*errfd, F_DUPFD_CLOEXEC, *errfd + 1);
	if (moved < 0)
		return -1;
	close_quietly(*errfd);
	*errfd = moved;
	return 0;
}

/* One file action in the child, through the wrapped calls; *errfd is
 * the error pipe, which the program cannot see. 0, or -1 with errno. */
static int
apply_action(const struct action *x, int *errfd, pid_t pgrp)
{
	int fd, flags;

	switch (x->kind) {
	case ACT_CLOSE:
		/* Not open for the program: as glibc, no error. */
		if (x->fd == *errfd)
			return 0;
		if (close(x->fd) != 0 && errno != EBADF)
			return -1;
		return 0;
	case ACT_DUP2:
		if (x->fd == *errfd) {
			errno = EBADF;
			return -1;
		}
		if (x->fd == x->newfd) {
			/* POSIX: the descriptor stays open across exec. */
			flags = fcntl(x->fd, F_GETFD);
			return flags < 0 ? -1
			                 : fcntl(x->fd, F_SETFD,
			                         flags & ~FD_CLOEXEC);
		}
		if (dodge(errfd, x->newfd) != 0)
			return -1;
		return dup2(x->fd, x->newfd) < 0 ? -1 : 0;
	case ACT_OPEN:
		if (dodge(errfd, x->fd) != 0)
			return -1;
		fd = open(x->path, x->oflag, x->mode);
		if (fd < 0)
			return -1;
		if (fd != x->fd) {
			if (dup2(fd, x->fd) < 0)
				return -1;
			close(fd);
		}
		return 0;
	case ACT_CHDIR:
		return chdir(x->path);
	case ACT_FCHDIR:
		if (x->fd == *errfd) {
			errno = EBADF;
			return -1;
		}
		return fchdir(x->fd);
	case ACT_CLOSEFROM:
		return close_from(x->fd, *errfd);
	case ACT_TCSETPGRP:
		if (x->fd == *errfd) {
			errno = EBADF;
			return -1;
		}
		return tcsetpgrp(x->fd, pgrp != 0 ? pgrp : getpgid(0));
	}
	return 0;
}

/* The attributes that come before the file actions, as glibc orders
 * them: default signal actions, scheduling, session, group, ids. */
static int
apply_attr(const posix_spawnattr_t *at, short flags)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	struct sched_param sp;
	sigset_t def;
	pid_t pgrp;
	int policy;

	if ((flags & POSIX_SPAWN_SETSIGDEF) &&
	    posix_spawnattr_getsigdefault(at, &def) == 0)
		for (int s = 1; s < NSIG; s++)
			/* SIGSYS may be the interposer's own (sud.c); the
			 * exec resets its handler anyway. */
			if (s != SIGKILL && s != SIGSTOP && s != SIGSYS &&
			    sigismember(&def, s) == 1 &&
			    sigaction(s, &dfl, NULL) != 0)
				return -1;
	if (flags & (POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_SETSCHEDULER))
		posix_spawnattr_getschedparam(at, &sp);
	if (flags & POSIX_SPAWN_SETSCHEDULER) {
		posix_spawnattr_getschedpolicy(at, &policy);
		if (sched_setscheduler(0, policy, &sp) == -1)
			return -1;
	} else if ((flags & POSIX_SPAWN_SETSCHEDPARAM) &&
	           sched_setparam(0, &sp) == -1) {
		return -1;
	}
	if ((flags & POSIX_SPAWN_SETSID) && setsid() < 0)
		return -1;
	if ((flags & POSIX_SPAWN_SETPGROUP) &&
	    (posix_spawnattr_getpgroup(at, &pgrp) != 0 ||
	     setpgid(0, pgrp) != 0))
		return -1;
	if ((flags & POSIX_SPAWN_RESETIDS) &&
	    (seteuid(getuid()) != 0 || setegid(getgid()) != 0))
		return -1;
	return 0;
}

/* What a posix_spawn child does. */
struct spawn_req {
	const char *file;
	const struct spawn_actions *acts; /* NULL: none */
	const posix_spawnattr_t *attr;
	char *const *argv, *const *envp;
	int search; /* posix_spawnp: look file up in PATH */
};

/* The child: attributes, file actions, the mask, exec. On failure the
 * error goes to the parent through errfd and the child exits 127. */
static void __attribute__((noreturn))
spawn_child(const struct spawn_req *rq, int errfd)
{
	short flags = 0;
	pid_t pgrp = 0;
	sigset_t mask;
	int err;

	if (rq->attr != NULL) {
		posix_spawnattr_getflags(rq->attr, &flags);
		if (flags & POSIX_SPAWN_SETPGROUP)
			posix_spawnattr_getpgroup(rq->attr, &pgrp);
		if (apply_attr(rq->attr, flags) != 0)
			goto fail;
	}
	for (int i = 0; rq->acts != NULL && i < rq->acts->n; i++)
		if (apply_action(&rq->acts->v[i], &errfd, pgrp) != 0)
			goto fail;
	if ((flags & POSIX_SPAWN_SETSIGMASK) &&
	    (posix_spawnattr_getsigmask(rq->attr, &mask) != 0 ||
	     sigprocmask(SIG_SETMASK, &mask, NULL) != 0))
		goto fail;
	if (rq->search)
		execvpe(rq->file, rq->argv, rq->envp);
	else
		execve(rq->file, rq->argv, rq->envp);
fail:
	/* posix_spawn reaps this child and returns the error; it exits
	 * 127, as glibc's child (a child's status fails no run). */
	err = errno;
	send_error(errfd, err);
	_exit(127);
}

/*
 * posix_spawn under control: fork, the child applies the attributes and
 * file actions and execs, the parent waits for the exec (a blocked read
 * of a close-on-exec pipe, which the exec closes) and reports an error
 * the child sent back through it, reaping the child. Returns as
 * posix_spawn: 0 or an error number.
 */
static int
spawn(pid_t *pidp, struct spawn_req *rq, const posix_spawn_file_actions_t *fa)
{
	int p[2], err = 0, saved = errno, status;
	char text[16];
	ssize_t n;
	pid_t pid;

	if (fa != NULL) {
		rq->acts = actions_find(fa, 0);
		/* Actions we did not see added (a copied object): we cannot
		 * apply them, and must not run the program without them. */
		if ((rq->acts != NULL && rq->acts->broken) ||
		    (rq->acts != NULL ? rq->acts->n : 0) != fa->__used)
			return ENOTSUP;
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		err = errno;
		errno = saved;
		return err;
	}
	pid = fork();
	if (pid == 0) {
		close_quietly(p[0]);
		spawn_child(rq, p[1]);
	}
	close_quietly(p[1]);
	if (pid < 0) {
		err = errno;
		close_quietly(p[0]);
		errno = saved;
		return err;
	}
	/* A step: blocked until the child execs or gives up. */
	do
		n = read(p[0], text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	close_quietly(p[0]);
	text[n > 0 ? n : 0] = '\0';
	err = n > 0 ? atoi(text) : 0;
	if (n > 0 && err <= 0)
		err = EINVAL; /* cannot be: the child sends an errno */
	if (err != 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (pidp != NULL) {
		*pidp = pid;
	}
	errno = saved;
	return err;
}

int
posix_spawn(pid_t *restrict pid, const char *restrict path,
            const posix_spawn_file_actions_t *fa,
            const posix_spawnattr_t *restrict attr, char *const argv[restrict],
            char *const envp[restrict])
{
	struct spawn_req rq = {path, NULL, attr, argv, envp, 0};

	if (!controlled())
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	return spawn(pid, &rq, fa);
}

int
posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
             const posix_spawnattr_t *attr, char *const argv[],
             char *const envp[])
{
	struct spawn_req rq = {file, NULL, attr, argv, envp, 1};

	if (!controlled())
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	return spawn(pid, &rq, fa);
}

/* --- system ------------------------------------------------------------ */

/*
 * system under control, as POSIX describes it: the parent ignores SIGINT
 * and SIGQUIT and blocks SIGCHLD while it waits; the child puts them back
 * and execs sh -c cmd (exit 127 when it cannot). Returns the wait status,
 * or -1 when no child could be made or waited for.
 */
int
system(const char *cmd)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	sigset_t chld, omask;
	int status = -1, err;
	pid_t pid;

	if (!controlled())
		return REAL(system)(cmd);
	if (cmd == NULL)
		return access("/bin/sh", X_OK) == 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	sigprocmask(SIG_BLOCK, &chld, &omask);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		sigprocmask(SIG_SETMASK, &omask, NULL);
		execve("/bin/sh", argv, environ);
		_exit(127);
	}
	err = errno;
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				err = errno;
				status = -1;
				break;
			}
		}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	sigprocmask(SIG_SETMASK, &omask, NULL);
	errno = err;
	return status;
}

/* --- popen, pclose --------------------------------------------------- */

/* A stream popen made: its descriptor and its child. */
struct spawn_piped {
	FILE *fp;
	int fd;
	pid_t pid;
	struct spawn_piped *next;
};

/* The streams are in lk__ip.popen_streams (interposer.h). */

/* In a popen child: close the streams of earlier popens (POSIX), except
 * the new pipe's ends a and b. */
static void
close_piped(int a, int b)
{
	for (struct spawn_piped *q = lk__ip.popen_streams; q != NULL;
	     q = q->next) {
		int flags = fcntl(q->fd, F_GETFD);

		/* Close-on-exec ones go with the exec. */
		if (q->fd != a && q->fd != b && flags >= 0 &&
		    !(flags & FD_CLOEXEC))
			close(q->fd);
	}
}

/* The popen child: the pipe's end onto standard input or output, the
 * other streams closed, sh -c cmd. */
static void __attribute__((noreturn))
popen_child(const char *cmd, int end, int std, int other)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};

	close_piped(end, other);
	if (end != std) {
		if (dup2(end, std) < 0)
			_exit(127);
		close(end);
	} else if (fcntl(end, F_SETFD, 0) != 0) {
		_exit(127);
	}
	execve("/bin/sh", argv, environ);
	_exit(127);
}

/* popen's mode: "r" or "w", and "e" for a close-on-exec stream. 0, or
 * -1 when it is neither. */
static int
popen_mode(const char *mode, int *reading, int *cloexec)
{
	int r = 0, w = 0;

	*cloexec = 0;
	for (; *mode != '\0'; mode++) {
		if (*mode == 'r')
			r = 1;
		else if (*mode == 'w')
			w = 1;
		else if (*mode == 'e')
			*cloexec = 1;
		else
			return -1;
	}
	*reading = r;
	return r ^ w ? 0 : -1;
}

/* popen under control: pipe, fork, the child's end onto its standard
 * input or output, exec of sh -c cmd; the parent's end as a stream. */
FILE *
popen(const char *cmd, const char *mode)
{
	struct spawn_piped *q;
	int p[2], reading, cloexec, mine, theirs, err, status;
	FILE *fp;
	pid_t pid;

	if (!controlled())
		return REAL(popen)(cmd, mode);
	if (popen_mode(mode, &reading, &cloexec) != 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL || pipe2(p, O_CLOEXEC) != 0) {
		free(q);
		return NULL;
	}
	mine = reading ? p[0] : p[1];
	theirs = reading ? p[1] : p[0];
	pid = fork();
	if (pid == 0)
		popen_child(cmd, theirs, reading ? 1 : 0, mine);
	err = errno;
	if (pid < 0) {
		close_quietly(p[0]);
		close_quietly(p[1]);
		free(q);
		errno = err;
		return NULL;
	}
	/* The parent's copy of the child's end: a step, as any close of a
	 * pipe end (it brings the reader its end of file later). */
	close(theirs);
	if (!cloexec)
		fcntl(mine, F_SETFD, 0);
	fp = fdopen(mine, reading ? "r" : "w");
	if (fp == NULL) {
		err = errno;
		close(mine);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		free(q);
		errno = err;
		return NULL;
	}
	q->fp = fp;
	q->fd = mine;
	q->pid = pid;
	q->next = lk__ip.popen_streams;
	lk__ip.popen_streams = q;
	return fp;
}

/* pclose of a stream popen made under control: close it, then wait for
 * its child (a step); the wait status, or -1. Others are glibc's. */
int
pclose(FILE *fp)
{
	struct spawn_piped **p, *q = NULL;
	int status;
	pid_t pid;

	for (p = &lk__ip.popen_streams; *p != NULL; p = &(*p)->next)
		if ((*p)->fp == fp) {
			q = *p;
			*p = q->next;
			break;
		}
	if (q == NULL)
		return REAL(pclose)(fp);
	pid = q->pid;
	free(q);
	fclose(fp);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
