/*
 * The sweep deletes only its own (issue 15): what another user plants in
 * TMPDIR (a symlink to a victim directory, a fake list of SysV ids, a
 * directory in the name of lockstep's private one), a live run whose pid
 * looks dead (a pid namespace), a full file system, a link in --workdir,
 * a read-only /tmp beside a writable TMPDIR.
 * Each case checks the files and objects actually left, not messages
 * only.
 *
 * As root the test first moves into a mount and IPC namespace of its own
 * with a fresh /dev/shm, so that what it counts is its own and no other
 * lockstep on the machine sweeps what it plants; the second user is
 * nobody (65534), through `setpriv`. The cases that need that are
 * skipped when the test is not root.
 */
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../e2e/e2e.h"

#define LOCKSTEP   LK_BUILD_DIR "/lockstep"
#define SETPRIV    "/usr/bin/setpriv"
#define RENDEZVOUS "scenarios/rendezvous.xml"

/* Root, in a mount and IPC namespace of our own with a private /dev/shm. */
static int isolated;

/* Run lockstep with args (NULL-terminated) and TMPDIR=tmp, from the
 * source directory. */
static void
lockstep(struct e2e_result *r, const char *tmp, const char *const args[])
{
	const char *argv[16], *env[2];
	char *tmpenv;
	size_t n = 0;

	if (asprintf(&tmpenv, "TMPDIR=%s", tmp) < 0)
		fail();
	env[0] = tmpenv;
	env[1] = NULL;
	argv[n++] = "lockstep";
	for (size_t i = 0; args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(e2e_spawn(r, LOCKSTEP, argv, env, LK_SOURCE_DIR), 0);
	free(tmpenv);
	print_message("safety: lockstep %s: exit %d\n", args[1], r->status);
}

#define LOCKSTEP_IN(r, tmp, ...)                                               \
	lockstep((r), (tmp), (const char *const[]){__VA_ARGS__, NULL})

/* Run a shell command as nobody, with $1 and $2; it must succeed. */
static void
as_nobody(const char *cmd, const char *a1, const char *a2)
{
	const char *argv[] = {SETPRIV,
	                      "--reuid=65534",
	                      "--regid=65534",
	                      "--clear-groups",
	                      "sh",
	                      "-c",
	                      cmd,
	                      "sh",
	                      a1,
	                      a2,
	                      NULL};
	struct e2e_result r;

	assert_int_equal(e2e_spawn(&r, SETPRIV, argv, NULL, "/"), 0);
	if (r.status != 0)
		fail_msg("as nobody: %s: exit %d: %s", cmd, r.status, r.err);
	e2e_result_free(&r);
}

/* A pid that was a process a moment ago and is none now. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* Is there something (a link too) at path? */
static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* A new empty directory any user may add to, as /tmp (sticky). */
static char *
shared_tmp(void)
{
	char *t = e2e_tempdir();

	assert_non_null(t);
	assert_int_equal(chmod(t, 01777), 0);
	return t;
}

/* Write text to path (made 0644). */
static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Is SysV segment (shm) or semaphore set id still there? */
static int
sysv_there(int shm, int id)
{
	struct shmid_ds sd;
	struct semid_ds md;

	return shm ? shmctl(id, IPC_STAT, &sd) == 0
	           : semctl(id, 0, IPC_STAT, &md) == 0;
}

/* Objects in /proc/sysvipc/what (in our IPC namespace when isolated). */
static int
sysv_count(const char *what)
{
	char path[64], line[512];
	int n = -1; /* the header */
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sysvipc/%s", what);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* Row 1: another user's symlink lockstep-lk<deadpid>x0.X -> a victim
 * directory in TMPDIR, and names of that dead run in /dev/shm: root's
 * lockstep touches none of them (they are not in its private
 * directory). */
static void
test_safety_symlink_victim(void **state)
{
	char *t, *v, *victim, link[512], shm1[128], shm2[128];
	struct e2e_result r;
	pid_t dead = dead_pid();
	int fd;

	(void)state;
	if (!isolated)
		skip();
	t = shared_tmp();
	v = e2e_tempdir();
	victim = e2e_path(v, "precious");
	put(victim, "keep me\n");
	snprintf(link, sizeof(link), "%s/lockstep-lk%dx0.AbCdEf", t, (int)dead);
	as_nobody("ln -s \"$1\" \"$2\"", v, link);
	/* Names of the dead run in /dev/shm: one root's, one nobody's. */
	snprintf(shm1, sizeof(shm1), "/dev/shm/sem.lk%dx0.victim", (int)dead);
	snprintf(shm2, sizeof(shm2), "/dev/shm/lk%dx0.victim", (int)dead);
	fd = open(shm1, O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	as_nobody("touch \"$1\"", shm2, "");

	LOCKSTEP_IN(&r, t, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 0);
	assert_true(exists(victim));
	assert_true(exists(link));
	assert_true(exists(shm1));
	assert_true(exists(shm2));
	e2e_result_free(&r);

	unlink(shm1);
	unlink(shm2);
	unlink(link);
	e2e_rmtree(v);
	e2e_rmtree(t);
	free(victim);
	free(v);
	free(t);
}

/* Row 2: another user's fake lists of SysV ids (an old-style
 * .lockstep-sysv in TMPDIR and in --workdir DIR, and a directory planted
 * as root's private lockstep-0, or a link there) never make root's
 * lockstep remove root's segment and semaphore set. */
static void
test_safety_fake_sysv_list(void **state)
{
	char *t, *t2, *t3, *v, *victim, dir[512], list[256], ids[128];
	char priv[512], lock[600];
	struct e2e_result r;
	pid_t dead = dead_pid();
	int shm, sem;

	(void)state;
	if (!isolated)
		skip();
	shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	assert_true(shm >= 0 && sem >= 0);
	snprintf(list, sizeof(list), "%d\n%d\nq %d\ns %d 0\nm %d 0\n", shm,
	         -sem - 1, shm, shm, sem);
	t = shared_tmp();

	/* In TMPDIR, as the old sweep read it. */
	snprintf(dir, sizeof(dir), "%s/lockstep-lk%dx0.AbCdEf", t, (int)dead);
	as_nobody("mkdir \"$1\" && printf '%s' \"$2\" > \"$1/.lockstep-sysv\"",
	          dir, list);
	LOCKSTEP_IN(&r, t, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	assert_true(sysv_there(1, shm));
	assert_true(sysv_there(0, sem));

	/* In --workdir DIR, a directory of nobody's. */
	snprintf(dir, sizeof(dir), "%s/work", t);
	as_nobody("mkdir \"$1\" && printf '%s' \"$2\" > \"$1/.lockstep-sysv\"",
	          dir, list);
	LOCKSTEP_IN(&r, t, "run", RENDEZVOUS, "-q", "--workdir", dir);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	assert_true(sysv_there(1, shm));
	assert_true(sysv_there(0, sem));

	/* A directory in the name of root's private one, with a dead run's
	 * lock and list in it: refused, nothing removed. */
	t2 = shared_tmp();
	snprintf(priv, sizeof(priv), "%s/lockstep-%u", t2, (unsigned)geteuid());
	snprintf(lock, sizeof(lock), "%s/lk%dx0", priv, (int)dead);
	snprintf(ids, sizeof(ids), "s %d 0\nm %d 0\n", shm, sem);
	{
		/* $2 is "ID|LIST": ${2%|*} the run id, ${2#*|} the list. */
		char arg[256];

		snprintf(arg, sizeof(arg), "lk%dx0|%s", (int)dead, ids);
		as_nobody("mkdir -m 700 \"$1\" && touch \"$1/${2%|*}.lock\" "
		          "&& printf '%s' \"${2#*|}\" > \"$1/${2%|*}.sysv\"",
		          priv, arg);
	}
	LOCKSTEP_IN(&r, t2, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 70);
	assert_non_null(strstr(r.err, "owned by uid 65534"));
	e2e_result_free(&r);
	assert_true(sysv_there(1, shm));
	assert_true(sysv_there(0, sem));
	strcat(lock, ".lock");
	assert_true(exists(lock));

	/* A link in the name of root's private one, to a victim
	 * directory: not followed. */
	t3 = shared_tmp();
	v = e2e_tempdir();
	victim = e2e_path(v, "precious");
	put(victim, "keep me\n");
	snprintf(priv, sizeof(priv), "%s/lockstep-%u", t3, (unsigned)geteuid());
	as_nobody("ln -s \"$1\" \"$2\"", v, priv);
	LOCKSTEP_IN(&r, t3, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 70);
	assert_non_null(strstr(r.err, "refusing to follow it"));
	e2e_result_free(&r);
	assert_true(exists(victim));
	assert_int_equal(e2e_dir_entries(v, "safety") - 1, 0);

	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	e2e_rmtree(t);
	e2e_rmtree(t2);
	e2e_rmtree(t3);
	e2e_rmtree(v);
	free(victim);
	free(v);
	free(t);
	free(t2);
	free(t3);
}

/* Row 3: a live run whose pid looks dead from here (it runs in another
 * pid namespace) holds its lock: the sweep leaves its work directory,
 * SysV set, list and /dev/shm name. Once the lock is free, the next
 * lockstep removes them all, but not a SysV set whose key is not the
 * listed one. */
static void
test_safety_live_lock(void **state)
{
	char *t, *priv, id[64], path[1024], shmname[128];
	struct e2e_result r;
	pid_t dead = dead_pid();
	key_t key = (key_t)(0x5afe0000 | (getpid() & 0xffff));
	int lock, fd, sem, other;

	(void)state;
	t = e2e_tempdir();
	assert_non_null(t);
	if (asprintf(&priv, "%s/lockstep-%u", t, (unsigned)geteuid()) < 0)
		fail();
	assert_int_equal(mkdir(priv, 0700), 0);
	snprintf(id, sizeof(id), "lk%dx0", (int)dead);

	snprintf(path, sizeof(path), "%s/%s.lock", priv, id);
	lock = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(lock >= 0);
	assert_int_equal(flock(lock, LOCK_EX), 0);
	snprintf(path, sizeof(path), "%s/%s.work", priv, id);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s.work/out.txt", priv, id);
	put(path, "the live run's\n");
	sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
	other = semget(key + 1, 1, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(sem >= 0 && other >= 0);
	snprintf(path, sizeof(path), "%s/%s.sysv", priv, id);
	{
		char list[128];

		/* other is listed with a key it does not have. */
		snprintf(list, sizeof(list), "m %d %d\nm %d %d\n", sem,
		         (int)key, other, (int)key + 2);
		put(path, list);
	}
	/* Outside our own /dev/shm, another lockstep of an older kind
	 * could remove a dead pid's name: only when isolated. */
	snprintf(shmname, sizeof(shmname), "/dev/shm/sem.%s.s", id);
	if (isolated) {
		fd = open(shmname, O_CREAT | O_EXCL | O_RDWR, 0600);
		assert_true(fd >= 0);
		close(fd);
	}

	LOCKSTEP_IN(&r, t, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	snprintf(path, sizeof(path), "%s/%s.work/out.txt", priv, id);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/%s.lock", priv, id);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/%s.sysv", priv, id);
	assert_true(exists(path));
	assert_true(sysv_there(0, sem));
	assert_true(sysv_there(0, other));
	if (isolated)
		assert_true(exists(shmname));

	/* The run is gone: its lock is free. */
	close(lock);
	LOCKSTEP_IN(&r, t, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	snprintf(path, sizeof(path), "%s/%s.work", priv, id);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/%s.lock", priv, id);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/%s.sysv", priv, id);
	assert_false(exists(path));
	assert_false(sysv_there(0, sem));
	assert_true(sysv_there(0, other));
	assert_false(exists(shmname));
	assert_int_equal(e2e_dir_entries(t, "safety"), 0);

	semctl(other, 0, IPC_RMID);
	e2e_rmtree(t);
	free(priv);
	free(t);
}

/* Fill the file system of directory dir: a file grows until ENOSPC. */
static void
fill(const char *dir)
{
	char *path = e2e_path(dir, "filler"), buf[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	memset(buf, 'x', sizeof(buf));
	do
		n = write(fd, buf, sizeof(buf));
	while (n > 0);
	assert_int_equal(errno, ENOSPC);
	/* The last partial page too. */
	while (write(fd, buf, 1) == 1)
		;
	close(fd);
	free(path);
}

/* Row 4: TMPDIR on a full file system. A run cannot record the SysV
 * objects it makes, so it does not go on with them: exit 70 naming the
 * list and the error, and no SysV object left behind, neither the
 * controller's (a declared <semset>) nor a program's. */
static void
test_safety_full_fs(void **state)
{
	char *m, *priv;
	struct e2e_result r;
	int shm0, sem0;

	(void)state;
	if (!isolated)
		skip();
	m = e2e_tempdir();
	assert_non_null(m);
	assert_int_equal(mount("tmpfs", m, "tmpfs", 0, "size=64k,mode=1777"),
	                 0);
	/* The private directory exists; then nothing more fits. */
	LOCKSTEP_IN(&r, m, "run", RENDEZVOUS, "-q");
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	fill(m);
	shm0 = sysv_count("shm");
	sem0 = sysv_count("sem");

	LOCKSTEP_IN(&r, m, "run", "scenarios/philosophers-semop.xml", "-q");
	assert_int_equal(r.status, 70);
	assert_non_null(strstr(r.err, ".sysv: cannot record"));
	assert_non_null(strstr(r.err, "No space left on device"));
	e2e_result_free(&r);
	assert_int_equal(sysv_count("sem"), sem0);

	LOCKSTEP_IN(&r, m, "run", "-q", "--", SAFETY_SYSV_PROG);
	assert_int_equal(r.status, 70);
	assert_non_null(strstr(r.err, ".sysv: cannot record a SysV object"));
	assert_non_null(strstr(r.err, "No space left on device"));
	e2e_result_free(&r);
	assert_int_equal(sysv_count("shm"), shm0);
	assert_int_equal(sysv_count("sem"), sem0);

	if (asprintf(&priv, "%s/lockstep-%u", m, (unsigned)geteuid()) < 0)
		fail();
	assert_int_equal(e2e_dir_entries(priv, "safety"), 0);
	free(priv);
	assert_int_equal(umount(m), 0);
	e2e_rmtree(m);
	free(m);
}

/* Row 11: --workdir D where D/out.txt is a link: the declared file is
 * made afresh in D, the link's target is never written; a link on the way
 * (D/logs -> elsewhere) is not followed: exit 2, named. */
static void
test_safety_workdir_link(void **state)
{
	char *d, *v, *x, *victim, *out, *logs, *xml, *xml2, *text;
	struct e2e_result r;

	(void)state;
	d = e2e_tempdir();
	v = e2e_tempdir();
	x = e2e_tempdir();
	assert_true(d != NULL && v != NULL && x != NULL);
	victim = e2e_path(v, "victim");
	put(victim, "keep me\n");
	out = e2e_path(d, "out.txt");
	assert_int_equal(symlink(victim, out), 0);
	xml = e2e_path(x, "w.xml");
	put(xml, "<scenario name=\"w\" version=\"1\">\n"
	         "  <file name=\"out\" path=\"out.txt\"/>\n"
	         "  <process name=\"A\"><write file=\"out\">hello</write>"
	         "</process>\n"
	         "</scenario>\n");

	LOCKSTEP_IN(&r, x, "run", xml, "-q", "--workdir", d);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	text = e2e_read_file(victim, NULL);
	assert_string_equal(text, "keep me\n");
	free(text);
	{
		struct stat st;

		assert_int_equal(lstat(out, &st), 0);
		assert_true(S_ISREG(st.st_mode));
	}
	text = e2e_read_file(out, NULL);
	assert_string_equal(text, "hello");
	free(text);

	logs = e2e_path(d, "logs");
	assert_int_equal(symlink(v, logs), 0);
	xml2 = e2e_path(x, "w2.xml");
	put(xml2, "<scenario name=\"w2\" version=\"1\">\n"
	          "  <file name=\"out\" path=\"logs/victim\"/>\n"
	          "  <process name=\"A\"><write file=\"out\">hello</write>"
	          "</process>\n"
	          "</scenario>\n");
	LOCKSTEP_IN(&r, x, "run", xml2, "-q", "--workdir", d);
	/* Refused before the run (check: a path with a directory part),
	 * so the link is never reached; the victim is what matters. */
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "logs/victim"));
	e2e_result_free(&r);
	text = e2e_read_file(victim, NULL);
	assert_string_equal(text, "keep me\n");
	free(text);

	e2e_rmtree(d);
	e2e_rmtree(v);
	e2e_rmtree(x);
	free(victim);
	free(out);
	free(logs);
	free(xml);
	free(xml2);
	free(d);
	free(v);
	free(x);
}

/* Row 17: /tmp read-only, TMPDIR writable: run --diagram makes its
 * temporary file in TMPDIR, and the diagram is drawn. */
static void
test_safety_tmpdir_diagram(void **state)
{
	char *m, *svg;
	struct e2e_result r;
	struct stat st;

	(void)state;
	if (!isolated)
		skip();
	m = e2e_tempdir();
	assert_non_null(m);
	assert_int_equal(mount("tmpfs", m, "tmpfs", 0, "mode=1777"), 0);
	/* /tmp read-only above, m (mounted inside it) still writable. */
	assert_int_equal(mount("/tmp", "/tmp", NULL, MS_BIND | MS_REC, NULL),
	                 0);
	assert_int_equal(mount(NULL, "/tmp", NULL,
	                       MS_REMOUNT | MS_BIND | MS_RDONLY, NULL),
	                 0);
	assert_int_equal(access("/tmp", W_OK), -1);
	assert_int_equal(errno, EROFS);
	svg = e2e_path(m, "d.svg");
	LOCKSTEP_IN(&r, m, "run", RENDEZVOUS, "-q", "--diagram", svg);
	umount2("/tmp", MNT_DETACH);
	assert_int_equal(r.status, 0);
	e2e_result_free(&r);
	assert_int_equal(stat(svg, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(umount(m), 0);
	e2e_rmtree(m);
	free(svg);
	free(m);
}

/* As root: a mount and IPC namespace of our own, with a fresh /dev/shm,
 * for every lockstep this test starts. 1 when done. */
static int
isolate(void)
{
	if (geteuid() != 0 || access(SETPRIV, X_OK) != 0)
		return 0;
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0)
		return 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
	          "mode=1777") != 0) {
		fprintf(stderr, "safety: cannot isolate: %s\n",
		        strerror(errno));
		exit(1);
	}
	return 1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_safety_symlink_victim),
	        cmocka_unit_test(test_safety_fake_sysv_list),
	        cmocka_unit_test(test_safety_live_lock),
	        cmocka_unit_test(test_safety_full_fs),
	        cmocka_unit_test(test_safety_workdir_link),
	        cmocka_unit_test(test_safety_tmpdir_diagram),
	};

	/* lockstep's private directory is then $TMPDIR/lockstep-UID. */
	unsetenv("XDG_RUNTIME_DIR");
	isolated = isolate();
	if (!isolated)
		fprintf(stderr, "safety: not root (or no namespaces): the "
		                "cases of a second user are skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
