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
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

/* The answer of lk_fsiso_check: 0 not asked yet, 1 yes, -1 no. */
static int can_isolate;
static char why_not[256];

/* Say why into why (size bytes) and return -1; errno preserved. */
static int
fail(char *why, size_t size, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* Is dir, an absolute path, tmp or under it? */
static int
under(const char *dir, const char *tmp)
{
	size_t n = strlen(tmp);

	return strncmp(dir, tmp, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* Mount an overlay over target whose lower layer is descriptor lower and
 * whose upper and work directories are made under layers/name. */
static int
overlay(const char *target, int lower, const char *layers, const char *name,
        int userns, char *why, size_t size)
{
	char up[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX];

	snprintf(up, sizeof(up), "%s/%s.up", layers, name);
	snprintf(work, sizeof(work), "%s/%s.work", layers, name);
	if (mkdir(up, 0755) != 0 || mkdir(work, 0700) != 0)
		return fail(why, size, "cannot make %s: %s", up,
		            strerror(errno));
	snprintf(opts, sizeof(opts),
	         "lowerdir=/proc/self/fd/%d,upperdir=%s,workdir=%s%s", lower,
	         up, work, userns ? ",userxattr" : "");
	if (mount("overlay", target, "overlay", 0, opts) != 0)
		return fail(why, size, "cannot mount an overlay on %s: %s",
		            target, strerror(errno));
	return 0;
}

/*
 * In a process about to exec a run's program: enter a mount namespace
 * with copy-on-write overlays over the working directory and /tmp, and
 * go into the overlay of the working directory. keep (or NULL) is the
 * run's own directory, which stays the real one in the view: lockstep
 * reads what the processes leave there (the list of SysV objects to
 * remove). 0, or -1 with why.
 */
int
lk_fsiso_enter(const char *keep, char *why, size_t size)
{
	char cwd[PATH_MAX], src[64];
	const char *layers = "/tmp/.lockstep-layers";
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int userns = 0, tmpfd, cwdfd = -1, keepfd = -1, rc = -1;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return fail(why, size, "cannot tell the working directory: %s",
		            strerror(errno));
	if (strcmp(cwd, "/") == 0)
		return fail(why, size, "the working directory is /");
	if (unshare(CLONE_NEWNS) != 0) {
		if (errno != EPERM)
			return fail(why, size, "no mount namespace: %s",
			            strerror(errno));
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
			return fail(why, size,
			            "no user and mount namespace: %s",
			            strerror(errno));
		if (lk_ns_map_ids(uid, gid) != 0)
			return fail(why, size, "cannot map the user: %s",
			            strerror(errno));
		userns = 1;
	}
	/* Nothing mounted here may reach the rest of the system. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail(why, size, "cannot make the mounts private: %s",
		            strerror(errno));
	tmpfd = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return fail(why, size, "cannot open /tmp: %s", strerror(errno));
	if (!under(cwd, "/tmp")) {
		cwdfd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cwdfd < 0) {
			fail(why, size, "cannot open %s: %s", cwd,
			     strerror(errno));
			goto out;
		}
	}
	if (keep != NULL && keep[0] == '/' &&
	    (under(keep, "/tmp") || under(keep, cwd))) {
		keepfd = open(keep,
		              O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (keepfd < 0) {
			fail(why, size, "cannot open %s: %s", keep,
			     strerror(errno));
			goto out;
		}
	}
	if (mount("lockstep", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
	          "mode=0700") != 0) {
		fail(why, size, "cannot mount a tmpfs: %s", strerror(errno));
		goto out;
	}
	if (mkdir(layers, 0700) != 0) {
		fail(why, size, "cannot make %s: %s", layers, strerror(errno));
		goto out;
	}
	/* The working directory first: /tmp's overlay then hides the
	 * layers. A working directory under /tmp is in /tmp's overlay. */
	if (cwdfd >= 0) {
		/* Mounted where the descriptor is, not where the path
		 * leads now. */
		snprintf(src, sizeof(src), "/proc/self/fd/%d", cwdfd);
		if (overlay(src, cwdfd, layers, "cwd", userns, why, size) != 0)
			goto out;
	}
	if (overlay("/tmp", tmpfd, layers, "tmp", userns, why, size) != 0)
		goto out;
	if (keepfd >= 0) {
		snprintf(src, sizeof(src), "/proc/self/fd/%d", keepfd);
		if (mount(src, keep, NULL, MS_BIND, NULL) != 0) {
			fail(why, size, "cannot keep %s: %s", keep,
			     strerror(errno));
			goto out;
		}
	}
	if (chdir(cwd) != 0) {
		fail(why, size, "cannot enter %s: %s", cwd, strerror(errno));
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

/* Can runs here be isolated? 0, or -1 with why (see controller.h). */
int
lk_fsiso_check(char *why, size_t size)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (can_isolate == 0) {
		can_isolate = -1;
		snprintf(why_not, sizeof(why_not), "cannot fork: %s",
		         strerror(errno));
		if (pipe2(fds, O_CLOEXEC) == 0) {
			pid = fork();
			if (pid == 0) {
				char msg[sizeof(why_not)];

				close(fds[0]);
				if (lk_fsiso_enter(NULL, msg, sizeof(msg)) == 0)
					_exit(0);
				if (write(fds[1], msg, strlen(msg)) < 0)
					_exit(2);
				_exit(1);
			}
			close(fds[1]);
			n = pid < 0 ? -1
			            : read(fds[0], why_not,
			                   sizeof(why_not) - 1);
			why_not[n > 0 ? n : 0] = '\0';
			close(fds[0]);
			if (pid > 0 && waitpid(pid, &status, 0) == pid &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0)
				can_isolate = 1;
			else if (why_not[0] == '\0')
				snprintf(why_not, sizeof(why_not),
				         "the test process failed");
		}
	}
	if (can_isolate < 0)
		snprintf(why, size, "%s", why_not);
	return can_isolate > 0 ? 0 : -1;
}
