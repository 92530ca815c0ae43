/*
 * Where a run's files live, how a run shows that it is alive, and the
 * sweep of what dead runs left behind.
 *
 * Everything lockstep names on disk lives in one private directory per
 * user: $XDG_RUNTIME_DIR/lockstep when that is set and safe, else
 * $TMPDIR/lockstep-UID (TMPDIR default /tmp). It is made mode 0700 and,
 * once opened (O_NOFOLLOW | O_DIRECTORY), must be a directory of this
 * user that nobody else may enter; anything else is refused. Run ID keeps
 * there:
 *   ID.lock   an empty file the run holds locked (flock) while it lives;
 *   ID.sysv   the SysV objects the run made, "KIND ID KEY" a line
 *             (KIND s: segment, m: semaphore set, q: message queue);
 *   ID.work/  its temporary work directory (unless --workdir).
 * A run is dead when its lock can be taken: a pid namespace cannot fake
 * that, as it can fake kill(pid, 0). The sweep removes only runs it
 * proved dead so, and only through that directory: their SysV objects
 * when IPC_STAT still shows this user as creator and the listed key,
 * their /dev/shm names when this user owns them. Nothing is followed:
 * every walk is openat/unlinkat with O_NOFOLLOW.
 */
#include <sys/file.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define MAX_DEPTH 64 /* directories nested deeper are left alone */

/* 0 when the directory open at fd is ours and closed to others, else -1
 * with err naming path. */
static int
check_private(int fd, const char *path, struct lk_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: cannot stat it: %s",
		           path, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "%s: owned by uid %u, not by uid %u: refusing to "
		           "use it (remove it, or set TMPDIR)",
		           path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "%s: mode %03o lets other users in, expected 700: "
		           "refusing to use it",
		           path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	return 0;
}

/* Open (making it if need be) directory name in parent, as a private
 * directory of ours; its descriptor, or -1 with err. */
static int
open_private(int parent, const char *path, const char *name, struct lk_err *err)
{
	int fd;

	if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: cannot make it: %s",
		           path, strerror(errno));
		return -1;
	}
	fd = openat(parent, name, DIR_FLAGS);
	if (fd < 0) {
		struct stat st;
		int e = errno;

		if ((e == ELOOP || e == ENOTDIR) &&
		    fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "%s: %s: refusing to follow it", path,
			           S_ISLNK(st.st_mode) ? "a symbolic link"
			                               : "not a directory");
		else
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "%s: cannot open it: %s", path, strerror(e));
		return -1;
	}
	if (check_private(fd, path, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The user's private directory (see above): its descriptor, its path in
 * path; -1 with err when it cannot be made or is not safe. */
int
lk_private_dir(char *path, size_t size, struct lk_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *tmp = getenv("TMPDIR");
	char name[32], abs[PATH_MAX];
	int parent, fd;

	/* $XDG_RUNTIME_DIR only when it is itself ours and private (under
	 * sudo it is often the invoking user's). */
	if (xdg != NULL && xdg[0] == '/' &&
	    (parent = open(xdg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (check_private(parent, xdg, NULL) == 0 &&
		    (size_t)snprintf(path, size, "%s/lockstep", xdg) < size &&
		    (fd = open_private(parent, path, "lockstep", NULL)) >= 0) {
			close(parent);
			return fd;
		}
		close(parent);
	}
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	/* The processes run elsewhere: the paths they get are absolute. */
	if (tmp[0] != '/' && realpath(tmp, abs) != NULL)
		tmp = abs;
	snprintf(name, sizeof(name), "lockstep-%u", (unsigned)geteuid());
	if ((size_t)snprintf(path, size, "%s/%s", tmp, name) >= size) {
		lk_err_set(err, LK_EXIT_INTERNAL, "TMPDIR=%s: too long", tmp);
		return -1;
	}
	parent = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0) {
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "%s: cannot open the temporary directory: %s", tmp,
		           strerror(errno));
		return -1;
	}
	fd = open_private(parent, path, name, err);
	close(parent);
	return fd;
}

/* Remove name in dir and, when it is a directory, what it holds; links
 * are removed, never followed. */
static void
remove_tree_at(int dir, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return;
	fd = depth < MAX_DEPTH ? openat(dir, name, DIR_FLAGS) : -1;
	if (fd >= 0 && (d = fdopendir(fd)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				remove_tree_at(dirfd(d), de->d_name, depth + 1);
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(dir, name, AT_REMOVEDIR);
}

/* Remove directory name in dir and everything in it (links not
 * followed). */
void
lk_remove_tree_at(int dir, const char *name)
{
	remove_tree_at(dir, name, 0);
}

/* Remove the names of run id in /dev/shm ("sem.ID.*" and "ID.*") that
 * this user owns. */
void
lk_sweep_shm(const char *id)
{
	DIR *d = opendir("/dev/shm");
	size_t len = strlen(id);
	struct dirent *de;
	struct stat st;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strncmp(n, "sem.", 4) == 0)
			n += 4;
		if (strncmp(n, id, len) != 0 || n[len] != '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		            0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Remove SysV object kind/id if it is still the one listed: made by
 * this user, with this key. */
static void
remove_sysv_one(char kind, int id, key_t key)
{
	uid_t me = geteuid();

	if (kind == 's') {
		struct shmid_ds ds;

		if (shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.cuid == me &&
		    ds.shm_perm.__key == key)
			shmctl(id, IPC_RMID, NULL);
	} else if (kind == 'm') {
		struct semid_ds ds;

		if (semctl(id, 0, IPC_STAT, &ds) == 0 &&
		    ds.sem_perm.cuid == me && ds.sem_perm.__key == key)
			semctl(id, 0, IPC_RMID);
	} else if (kind == 'q') {
		struct msqid_ds ds;

		if (msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_perm.cuid == me &&
		    ds.msg_perm.__key == key)
			msgctl(id, IPC_RMID, NULL);
	}
}

/* Parse a line "KIND ID KEY" of a SysV list; 0, or -1 when it is not
 * one (a line cut short by a full file system, say). */
static int
parse_sysv(const char *line, char *kind, int *id, key_t *key)
{
	char *end;
	long v, k;

	if (line[0] != 's' && line[0] != 'm' && line[0] != 'q')
		return -1;
	if (line[1] != ' ')
		return -1;
	errno = 0;
	v = strtol(line + 2, &end, 10);
	if (end == line + 2 || *end != ' ' || v < 0 || v > INT_MAX)
		return -1;
	k = strtol(end + 1, &end, 10);
	if (*end != '\n' || errno != 0 || k < INT_MIN || k > INT_MAX)
		return -1;
	*kind = line[0];
	*id = (int)v;
	*key = (key_t)k;
	return 0;
}

/* Remove the SysV objects run id listed in dir (ID.sysv), then the
 * list. */
static void
remove_sysv(int dir, const char *id)
{
	char name[64], line[64], kind;
	key_t key;
	int fd, oid;
	FILE *f;

	snprintf(name, sizeof(name), "%s.sysv", id);
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (f = fdopen(fd, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (parse_sysv(line, &kind, &oid, &key) == 0)
				remove_sysv_one(kind, oid, key);
		fclose(f);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(dir, name, 0);
}

/* Append "kind id key" to the SysV list open at fd (O_APPEND), for the
 * sweep should this lockstep be killed; 0, or -1 with err naming path.
 * A write that returned is in the page cache, which outlives the
 * process: only its result needs checking. */
int
lk_sysv_record(int fd, const char *path, char kind, int id, key_t key,
               struct lk_err *err)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%c %d %d\n", kind, id, (int)key);
	ssize_t w = write(fd, line, (size_t)n);

	if (w == n)
		return 0;
	lk_err_set(err, LK_EXIT_INTERNAL,
	           "%s: cannot record the SysV objects the run makes: %s", path,
	           w < 0 ? strerror(errno) : "short write");
	return -1;
}

/* Make ID.lock in dir, locked, for a new run id; the lock's descriptor,
 * -1 with errno (EEXIST: the id is taken). The file is made locked under
 * no name and then linked in, so no sweep ever sees it unlocked. */
static int
make_lock(int dir, const char *id)
{
	char name[64], tmp[80], proc[64];
	int fd, rc;

	snprintf(name, sizeof(name), "%s.lock", id);
	fd = openat(dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW) == 0)
			return fd;
		rc = errno;
		close(fd);
		if (rc == EEXIST) {
			errno = rc;
			return -1;
		}
	}
	/* No O_TMPFILE here (or no /proc): a locked temporary name, which
	 * the sweep removes only once it can lock it. */
	snprintf(tmp, sizeof(tmp), "%s.new", id);
	fd = openat(dir, tmp,
	            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    linkat(dir, tmp, dir, name, 0) != 0) {
		rc = errno == EWOULDBLOCK ? EEXIST : errno;
		unlinkat(dir, tmp, 0);
		close(fd);
		errno = rc;
		return -1;
	}
	unlinkat(dir, tmp, 0);
	return fd;
}

/*
 * Register a new run of this process in dir: a run id "lk<pid>x<n>" (n
 * from *counter, skipping ids taken, even by a process of the same pid
 * in another pid namespace) into id, its lock held (the returned
 * descriptor) and its empty SysV list open for appending in *list.
 * -1 with err when that fails.
 */
int
lk_run_register(int dir, const char *dirpath, unsigned *counter, char *id,
                size_t size, int *list, struct lk_err *err)
{
	char name[64];

	for (int tries = 0; tries < 1000; tries++) {
		int lock;

		snprintf(id, size, "lk%dx%u", (int)getpid(), (*counter)++);
		lock = make_lock(dir, id);
		if (lock < 0 && (errno == EEXIST || errno == ENOENT))
			continue;
		if (lock < 0)
			break;
		snprintf(name, sizeof(name), "%s.sysv", id);
		*list = openat(dir, name,
		               O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
		                       O_NOFOLLOW | O_CLOEXEC,
		               0600);
		if (*list >= 0)
			return lock;
		if (errno != EEXIST) {
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "%s/%s: cannot make it: %s", dirpath, name,
			           strerror(errno));
			snprintf(name, sizeof(name), "%s.lock", id);
			unlinkat(dir, name, 0);
			close(lock);
			return -1;
		}
		/* A list without its lock: not ours to reuse. */
		snprintf(name, sizeof(name), "%s.lock", id);
		unlinkat(dir, name, 0);
		close(lock);
	}
	lk_err_set(err, LK_EXIT_INTERNAL, "%s: cannot make a run's lock: %s",
	           dirpath, strerror(errno ? errno : EEXIST));
	return -1;
}

/* Remove everything run id has in dir (SysV objects, work directory,
 * /dev/shm names), its lock last. The caller holds the lock. */
void
lk_run_remove(int dir, const char *id)
{
	char name[64];

	remove_sysv(dir, id);
	snprintf(name, sizeof(name), "%s.work", id);
	lk_remove_tree_at(dir, name);
	lk_sweep_shm(id);
	snprintf(name, sizeof(name), "%s.lock", id);
	unlinkat(dir, name, 0);
}

/* Is name "lk<pid>x<n>" followed by suffix? The id goes into id. */
static int
run_entry(const char *name, const char *suffix, char *id, size_t size)
{
	size_t len = strlen(name), slen = strlen(suffix);
	const char *c = name + 2;

	if (len <= slen + 2 || len - slen >= size ||
	    strncmp(name, "lk", 2) != 0 ||
	    strcmp(name + len - slen, suffix) != 0)
		return 0;
	if (*c < '0' || *c > '9')
		return 0;
	while (*c >= '0' && *c <= '9')
		c++;
	if (*c++ != 'x' || *c < '0' || *c > '9')
		return 0;
	while (*c >= '0' && *c <= '9')
		c++;
	if (c != name + len - slen)
		return 0;
	memcpy(id, name, len - slen);
	id[len - slen] = '\0';
	return 1;
}

/* Take the lock of file name in dir if nobody holds it, and only if name
 * is still that file; its descriptor, or -1. */
static int
take_lock(int dir, const char *name)
{
	struct stat a, b;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &a) != 0 ||
	    !S_ISREG(a.st_mode) ||
	    fstatat(dir, name, &b, AT_SYMLINK_NOFOLLOW) != 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Remove what dead runs of this user left behind (their lockstep was
 * SIGKILLed): every run of the private directory whose lock can be
 * taken, with its SysV objects, /dev/shm names and work directory.
 * Nothing outside that directory's runs is touched.
 */
void
lk_sweep_stale(void)
{
	char path[LK_PATH_MAX], id[48];
	struct dirent *de;
	DIR *d;
	int dir, fd;

	if ((dir = lk_private_dir(path, sizeof(path), NULL)) < 0)
		return;
	if ((d = fdopendir(dir)) == NULL) {
		close(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (run_entry(de->d_name, ".lock", id, sizeof(id))) {
			if ((fd = take_lock(dirfd(d), de->d_name)) < 0)
				continue;
			lk_run_remove(dirfd(d), id);
			close(fd);
		} else if (run_entry(de->d_name, ".new", id, sizeof(id))) {
			if ((fd = take_lock(dirfd(d), de->d_name)) < 0)
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
			close(fd);
		}
	}
	closedir(d);
}

/*
 * Create declared file (or FIFO, when fifo) rel afresh in the work
 * directory open at dir: every directory on the way opened without
 * following a link, an old file of that name removed (a link is removed,
 * never written through), the new one made with O_EXCL | O_NOFOLLOW.
 * 0, or -1 with errno.
 */
int
lk_create_at(int dir, const char *rel, int fifo)
{
	char part[LK_PATH_MAX];
	const char *c = rel, *slash;
	int fd = dir, next, rc = -1, saved;

	while ((slash = strchr(c, '/')) != NULL) {
		if ((size_t)(slash - c) >= sizeof(part)) {
			errno = ENAMETOOLONG;
			goto out;
		}
		memcpy(part, c, (size_t)(slash - c));
		part[slash - c] = '\0';
		next = openat(fd, part, DIR_FLAGS);
		if (fd != dir)
			close(fd);
		if ((fd = next) < 0)
			return -1;
		c = slash + 1;
	}
	if (unlinkat(fd, c, 0) != 0 && errno != ENOENT)
		goto out;
	if (fifo) {
		rc = mkfifoat(fd, c, 0600);
	} else {
		next = openat(fd, c,
		              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		                      O_CLOEXEC,
		              0644);
		rc = next < 0 ? -1 : close(next);
	}
out:
	saved = errno;
	if (fd != dir)
		close(fd);
	errno = saved;
	return rc;
}
