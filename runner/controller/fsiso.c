/*
 * A copy-on-write view of the file system for a program's run: explore
 * must not touch the user's files, and every run must start from the
 * same ones (docs/explore.md, "Files").
 *
 * The program's main process, just before its exec, enters a mount
 * namespace of its own (in a user namespace of its own when it is not
 * privileged: the kernel allows overlayfs there since 5.11), and mounts
 * an overlay over the working directory and one over /tmp, whose upper
 * layers live on a tmpfs of the namespace. Every process of the run
 * inherits the view; the controller, outside, keeps the real one, so the
 * trace and the schedule it writes land where the user asked. When the
 * last process of the run is gone the namespace goes, and the tmpfs and
 * everything written with it: nothing to clean up, whatever happens to
 * lockstep.
 *
 * The tmpfs is mounted over /tmp itself, which the /tmp overlay covers
 * again: its lower layer and the working directory's are named by
 * descriptors opened before (/proc/self/fd/N), so they are the real
 * directories and no path needs escaping in the mount options. What is
 * not isolated: other directories, the network, SysV and POSIX IPC
 * objects of other programs (docs/explore.md).
 *
 * Where the kernel refuses the overlay (before 5.11 in a user namespace,
 * a file system overlayfs cannot stack on), the working directory is a
 * private copy, and /tmp the tmpfs, empty, as systemd's PrivateTmp.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

/* The answer of lk_fsiso_check: 0 not asked yet, 1 yes, -1 no. */
static int can_isolate;
static char why_not[256];

/* Is dir, an absolute path, tmp or under it? */
static int
under(const char *dir, const char *tmp)
{
	size_t n = strlen(tmp);

	return strncmp(dir, tmp, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* Bytes the private copies of a run may take, all together. */
#define COPY_MAX (256ull << 20)

/* Copy regular file name of directory from into directory to; 0, or -1
 * with errno. */
static int
copy_file(int from, int to, const char *name, const struct stat *st)
{
	char buf[65536];
	int in, out, rc = 0;
	ssize_t n;

	struct stat now;

	/* Non-blocking: a FIFO put in its place since must not hang us. */
	in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return errno == EACCES ? 0 : -1; /* not ours to read */
	if (fstat(in, &now) != 0 || !S_ISREG(now.st_mode)) {
		close(in);
		return 0;
	}
	out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	             st->st_mode & 07777);
	if (out < 0) {
		close(in);
		return -1;
	}
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || write(out, buf, (size_t)n) != n)
			rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

/*
 * Copy the tree of directory from into directory to: directories, regular
 * files, symbolic links (never followed) and FIFOs, with their modes and
 * times; what this user may not read is left out. *left is the budget
 * of bytes. 0, or -1 with errno (E2BIG: the budget is spent).
 */
static int
copy_tree(int from, int to, uint64_t *left, int depth)
{
	int fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return errno == EACCES ? 0 : -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		struct timespec times[2];
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub, subto;

			if (depth > 64)
				errno = ELOOP;
			if (depth > 64 || mkdirat(to, name, 0700) != 0) {
				rc = -1;
				break;
			}
			sub = openat(dirfd(d), name,
			             O_PATH | O_DIRECTORY | O_NOFOLLOW |
			                     O_CLOEXEC);
			subto = openat(to, name,
			               O_PATH | O_DIRECTORY | O_NOFOLLOW |
			                       O_CLOEXEC);
			if (sub >= 0 && subto >= 0)
				rc = copy_tree(sub, subto, left, depth + 1);
			if (sub >= 0)
				close(sub);
			if (subto >= 0)
				close(subto);
			if (rc == 0 &&
			    fchmodat(to, name, st.st_mode & 07777, 0) != 0)
				rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			if ((uint64_t)st.st_size > *left) {
				errno = E2BIG;
				rc = -1;
				break;
			}
			*left -= (uint64_t)st.st_size;
			rc = copy_file(dirfd(d), to, name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), name, target,
			                       sizeof(target) - 1);

			if (n < 0)
				continue;
			target[n] = '\0';
			rc = symlinkat(target, to, name);
		} else if (S_ISFIFO(st.st_mode)) {
			rc = mkfifoat(to, name, st.st_mode & 07777);
		} else {
			continue; /* sockets and devices: not copied */
		}
		times[0] = st.st_atim;
		times[1] = st.st_mtim;
		if (rc == 0)
			utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
	}
	closedir(d);
	return rc;
}

/* Does the user want private copies instead of overlays (for a file
 * system overlayfs mishandles, and to test the fallback)? */
static int
copies_wanted(void)
{
	const char *v = getenv("LOCKSTEP_FSISO");

	return v != NULL && strcmp(v, "copy") == 0;
}

/* Make directory path and those above it that are missing; 0 or -1. */
static int
make_path(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Mount an overlay over target whose lower layer is descriptor lower and
 * whose upper and work directories are made under layers/name. Where
 * the kernel refuses the overlay: a private copy of lower (at most
 * *left bytes) bind-mounted over target, or, when copy is 0, nothing
 * (returns 1). */
static int
overlay(const char *target, int lower, const char *layers, const char *name,
        int userns, int copy_ok, uint64_t *left, char *why, size_t size)
{
	char up[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX];
	int copy;

	snprintf(up, sizeof(up), "%s/%s.up", layers, name);
	snprintf(work, sizeof(work), "%s/%s.work", layers, name);
	if (mkdir(up, 0755) != 0 || mkdir(work, 0700) != 0)
		return lk_why(why, size, "cannot make %s: %s", up,
		              strerror(errno));
	snprintf(opts, sizeof(opts),
	         "lowerdir=/proc/self/fd/%d,upperdir=%s,workdir=%s%s", lower,
	         up, work, userns ? ",userxattr" : "");
	if (!copies_wanted() &&
	    mount("overlay", target, "overlay", 0, opts) == 0)
		return 0;
	if (!copy_ok)
		return 1;
	copy = open(up, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (copy < 0 || copy_tree(lower, copy, left, 0) != 0) {
		if (copy >= 0)
			close(copy);
		return lk_why(
		        why, size, "no overlay on %s, and cannot copy it: %s",
		        target,
		        errno == E2BIG ? "more than 256 MiB" : strerror(errno));
	}
	close(copy);
	if (mount(up, target, NULL, MS_BIND, NULL) != 0)
		return lk_why(why, size, "cannot mount a copy on %s: %s",
		              target, strerror(errno));
	return 0;
}

/*
 * In a process about to exec a run's program: enter a mount namespace
 * with copy-on-write overlays over the working directory and /tmp, and
 * go into the overlay of the working directory. keep (or NULL) is a file
 * that stays the real one in the view, made empty first if it is not
 * there: lockstep reads what the processes write to it (the list of
 * SysV objects to remove). 0, or -1 with why.
 */
int
lk_fsiso_enter(const char *keep, char *why, size_t size)
{
	char cwd[PATH_MAX], src[64];
	const char *layers = "/tmp/.lockstep-layers";
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int userns = 0, tmpfd, cwdfd = -1, keepfd = -1, rc = -1;
	uint64_t left = COPY_MAX;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return lk_why(why, size,
		              "cannot tell the working directory: %s",
		              strerror(errno));
	if (strcmp(cwd, "/") == 0)
		return lk_why(why, size, "the working directory is /");
	if (unshare(CLONE_NEWNS) != 0) {
		if (errno != EPERM)
			return lk_why(why, size, "no mount namespace: %s",
			              strerror(errno));
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
			return lk_why(why, size,
			              "no user and mount namespace: %s",
			              strerror(errno));
		if (lk_ns_map_ids(uid, gid) != 0)
			return lk_why(why, size, "cannot map the user: %s",
			              strerror(errno));
		userns = 1;
	}
	/* Nothing mounted here may reach the rest of the system. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return lk_why(why, size, "cannot make the mounts private: %s",
		              strerror(errno));
	tmpfd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return lk_why(why, size, "cannot open /tmp: %s",
		              strerror(errno));
	cwdfd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwdfd < 0) {
		lk_why(why, size, "cannot open %s: %s", cwd, strerror(errno));
		goto out;
	}
	if (keep != NULL && keep[0] == '/' &&
	    (under(keep, "/tmp") || under(keep, cwd))) {
		char dir[PATH_MAX];
		char *slash;
		int dfd;

		snprintf(dir, sizeof(dir), "%s", keep);
		slash = strrchr(dir, '/');
		*slash = '\0';
		dfd = open(dir[0] ? dir : "/",
		           O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		keepfd = dfd < 0 ? -1
		                 : openat(dfd, slash + 1,
		                          O_WRONLY | O_APPEND | O_CREAT |
		                                  O_NOFOLLOW | O_CLOEXEC,
		                          0600);
		if (dfd >= 0)
			close(dfd);
		if (keepfd < 0) {
			lk_why(why, size, "cannot open %s: %s", keep,
			       strerror(errno));
			goto out;
		}
	}
	/* The layers' tmpfs is also the private, empty /tmp where the
	 * kernel refuses an overlay of the real one. */
	if (mount("lockstep", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
	          "mode=1777") != 0) {
		lk_why(why, size, "cannot mount a tmpfs: %s", strerror(errno));
		goto out;
	}
	if (mkdir(layers, 0700) != 0) {
		lk_why(why, size, "cannot make %s: %s", layers,
		       strerror(errno));
		goto out;
	}
	/* The working directory first: /tmp's overlay then hides the
	 * layers. A working directory under /tmp is in /tmp's overlay. */
	if (!under(cwd, "/tmp")) {
		/* Mounted where the descriptor is, not where the path
		 * leads now. */
		snprintf(src, sizeof(src), "/proc/self/fd/%d", cwdfd);
		if (overlay(src, cwdfd, layers, "cwd", userns, 1, &left, why,
		            size) != 0)
			goto out;
	}
	switch (overlay("/tmp", tmpfd, layers, "tmp", userns, 0, &left, why,
	                size)) {
	case 0:
		break;
	case 1: {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		/* No overlay of /tmp: it stays the private tmpfs, empty, as
		 * systemd's PrivateTmp; a working directory in it is a copy
		 * of the real one. lockstep's own files (the interposer
		 * beside this binary) must stay reachable: when they are
		 * under /tmp, the empty /tmp would hide them. */
		self[n > 0 ? n : 0] = '\0';
		if (n > 0 && under(self, "/tmp")) {
			lk_why(why, size,
			       "no overlay on /tmp, and lockstep itself (%s) "
			       "is "
			       "under it",
			       self);
			goto out;
		}
		if (under(cwd, "/tmp")) {
			int to;

			if (make_path(cwd) != 0 ||
			    (to = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC)) <
			            0) {
				lk_why(why, size, "cannot make %s: %s", cwd,
				       strerror(errno));
				goto out;
			}
			rc = copy_tree(cwdfd, to, &left, 0);
			close(to);
			if (rc != 0) {
				lk_why(why, size, "cannot copy %s: %s", cwd,
				       errno == E2BIG ? "more than 256 MiB"
				                      : strerror(errno));
				rc = -1;
				goto out;
			}
			rc = -1;
		}
		if (keepfd >= 0 && under(keep, "/tmp")) {
			char dir[PATH_MAX];
			int fd;

			snprintf(dir, sizeof(dir), "%s", keep);
			*strrchr(dir, '/') = '\0';
			if (make_path(dir) != 0 ||
			    (fd = open(keep, O_WRONLY | O_CREAT | O_CLOEXEC,
			               0600)) < 0) {
				lk_why(why, size, "cannot make %s: %s", keep,
				       strerror(errno));
				goto out;
			}
			close(fd);
		}
		break;
	}
	default:
		goto out;
	}
	if (keepfd >= 0) {
		snprintf(src, sizeof(src), "/proc/self/fd/%d", keepfd);
		if (mount(src, keep, NULL, MS_BIND, NULL) != 0) {
			lk_why(why, size, "cannot keep %s: %s", keep,
			       strerror(errno));
			goto out;
		}
	}
	if (chdir(cwd) != 0) {
		lk_why(why, size, "cannot enter %s: %s", cwd, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(tmpfd);
	if (cwdfd >= 0)
		close(cwdfd);
	if (keepfd >= 0)
		close(keepfd);
	return rc;
}

/* lk_fsiso_enter for a probe: the isolation of no particular run. */
static int
enter_any(char *why, size_t size)
{
	return lk_fsiso_enter(NULL, why, size);
}

/* Can runs here be isolated? 0, or -1 with why (see controller.h). */
int
lk_fsiso_check(char *why, size_t size)
{
	if (can_isolate == 0)
		can_isolate = lk_probe_in_child(enter_any, why_not,
		                                sizeof(why_not)) == 0
		                      ? 1
		                      : -1;
	if (can_isolate > 0)
		return 0;
	snprintf(why, size, "%s", why_not);
	return -1;
}
