/*
 * A victim for the interposer: calls every function lockstep wraps, in
 * success and in failure, and prints one line per call with the return
 * value and the errno name. The output holds no pid and no time, so two
 * runs print the same lines; times are printed as "ok" when plausible.
 *
 * usage: transparency DIR  (a file is written in DIR)
 *
 * On standard error it says which library each wrapped name resolves to,
 * so a test can tell that a preload really took effect.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The names the interposer exports. */
static const char *const wrapped[] = {
        "sem_open",    "sem_close",    "sem_unlink",      "sem_init",
        "sem_destroy", "sem_wait",     "sem_trywait",     "sem_timedwait",
        "sem_post",    "sem_getvalue", "write",           "close",
        "fork",        "_exit",        "_Exit",           "sleep",
        "usleep",      "nanosleep",    "clock_nanosleep", "clock_gettime",
        "time",
};

/* The name of errno value e ("0" for none). */
static const char *
errname(int e)
{
	static char other[16];

	switch (e) {
	case 0:
		return "0";
	case EAGAIN:
		return "EAGAIN";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case EEXIST:
		return "EEXIST";
	case EBADF:
		return "EBADF";
	case EINTR:
		return "EINTR";
	case ENAMETOOLONG:
		return "ENAMETOOLONG";
	default:
		snprintf(other, sizeof(other), "E#%d", e);
		return other;
	}
}

/* Print "what = ret errno" with the errno the call left. */
static void
show(const char *what, long ret, int err)
{
	printf("%s = %ld %s\n", what, ret, errname(err));
}

/* Say where each wrapped name resolves, on standard error. */
static void
show_bindings(void)
{
	for (size_t i = 0; i < sizeof(wrapped) / sizeof(wrapped[0]); i++) {
		void *p = dlsym(RTLD_DEFAULT, wrapped[i]);
		Dl_info info;
		const char *lib = "?", *slash;

		if (p != NULL && dladdr(p, &info) != 0 &&
		    info.dli_fname != NULL) {
			slash = strrchr(info.dli_fname, '/');
			lib = slash != NULL ? slash + 1 : info.dli_fname;
		}
		fprintf(stderr, "%s: %s\n", wrapped[i], lib);
	}
}

/* Named semaphores: create, try, post, read, time out, close, unlink. */
static void
named_semaphores(void)
{
	struct timespec past = {.tv_sec = 1, .tv_nsec = 0};
	char name[64];
	sem_t *s, *again;
	int v = -1, r;

	snprintf(name, sizeof(name), "/e2e-transparency-%d", (int)getpid());
	errno = 0;
	s = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	show("sem_open(create)", s == SEM_FAILED ? -1 : 0, errno);
	if (s == SEM_FAILED)
		return;
	errno = 0;
	again = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	show("sem_open(create, exists)", again == SEM_FAILED ? -1 : 0, errno);
	errno = 0;
	r = sem_trywait(s);
	show("sem_trywait(0)", r, errno);
	errno = 0;
	r = sem_timedwait(s, &past);
	show("sem_timedwait(0, past)", r, errno);
	errno = 0;
	r = sem_post(s);
	show("sem_post", r, errno);
	errno = 0;
	r = sem_getvalue(s, &v);
	show("sem_getvalue", r, errno);
	printf("value = %d\n", v);
	errno = 0;
	r = sem_timedwait(s, &past);
	show("sem_timedwait(1, past)", r, errno);
	errno = 0;
	r = sem_post(s);
	show("sem_post", r, errno);
	errno = 0;
	r = sem_trywait(s);
	show("sem_trywait(1)", r, errno);
	errno = 0;
	r = sem_close(s);
	show("sem_close", r, errno);
	errno = 0;
	r = sem_unlink(name);
	show("sem_unlink", r, errno);
	errno = 0;
	r = sem_unlink(name);
	show("sem_unlink(gone)", r, errno);
	errno = 0;
	s = sem_open(name, 0);
	show("sem_open(gone)", s == SEM_FAILED ? -1 : 0, errno);
}

/* An unnamed semaphore: init, try, post, wait, read, destroy. */
static void
unnamed_semaphore(void)
{
	sem_t s;
	int v = -1, r;

	errno = 0;
	r = sem_init(&s, 0, 0);
	show("sem_init", r, errno);
	errno = 0;
	r = sem_trywait(&s);
	show("sem_trywait(0)", r, errno);
	errno = 0;
	r = sem_post(&s);
	show("sem_post", r, errno);
	errno = 0;
	r = sem_wait(&s);
	show("sem_wait(1)", r, errno);
	errno = 0;
	r = sem_getvalue(&s, &v);
	show("sem_getvalue", r, errno);
	printf("value = %d\n", v);
	errno = 0;
	r = sem_destroy(&s);
	show("sem_destroy", r, errno);
}

/* Write a file in dir, close it, read it back; bad descriptors fail. */
static void
files(const char *dir)
{
	char path[4096], back[64] = "";
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "%s/transparency.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	show("open", fd < 0 ? -1 : 0, fd < 0 ? errno : 0);
	errno = 0;
	n = write(fd, "hello\n", 6);
	show("write(file)", (long)n, errno);
	errno = 0;
	r = close(fd);
	show("close", r, errno);
	errno = 0;
	n = write(fd, "x", 1);
	show("write(closed)", (long)n, errno);
	errno = 0;
	r = close(fd);
	show("close(closed)", r, errno);
	errno = 0;
	n = write(-1, "x", 1);
	show("write(-1)", (long)n, errno);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, back, sizeof(back) - 1);
	if (fd >= 0)
		close(fd);
	printf("file = %s", n > 0 ? back : "(unreadable)\n");
	unlink(path);
}

/* Sleeps: bad arguments fail with EINVAL, short ones succeed. */
static void
sleeps(void)
{
	struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000L};
	struct timespec neg = {.tv_sec = 0, .tv_nsec = -1};
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000L};
	struct timespec rem = {.tv_sec = 0, .tv_nsec = 0};
	int r;

	errno = 0;
	r = nanosleep(&bad, NULL);
	show("nanosleep(tv_nsec=1e9)", r, errno);
	errno = 0;
	r = nanosleep(&neg, NULL);
	show("nanosleep(tv_nsec=-1)", r, errno);
	errno = 0;
	r = nanosleep(&ms, &rem);
	show("nanosleep(1ms)", r, errno);
	errno = 0;
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL);
	show("clock_nanosleep(tv_nsec=1e9)", r, errno);
	errno = 0;
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);
	show("clock_nanosleep(1ms)", r, errno);
	errno = 0;
	r = usleep(1000);
	show("usleep(1000)", r, errno);
	errno = 0;
	r = (int)sleep(0);
	show("sleep(0)", r, errno);
}

/* Clocks: plausible values only, printed as "ok". */
static void
clocks(void)
{
	struct timespec rt, m1, m2, pause = {.tv_sec = 0, .tv_nsec = 2000000};
	time_t t, tp = 0;
	int r1, r2, r3;

	errno = 0;
	t = time(&tp);
	printf("time = %s %s\n",
	       t > 1600000000 && t == tp ? "ok" : "implausible",
	       errname(errno));
	errno = 0;
	r1 = clock_gettime(CLOCK_REALTIME, &rt);
	printf("clock_gettime(REALTIME) = %d %s %s\n", r1, errname(errno),
	       rt.tv_sec >= t && rt.tv_sec - t < 60 ? "ok" : "implausible");
	errno = 0;
	r1 = clock_gettime(CLOCK_MONOTONIC, &m1);
	nanosleep(&pause, NULL);
	r2 = clock_gettime(CLOCK_MONOTONIC, &m2);
	printf("clock_gettime(MONOTONIC) = %d %d %s %s\n", r1, r2,
	       errname(errno),
	       (m2.tv_sec - m1.tv_sec) * 1000000000LL +
	                               (m2.tv_nsec - m1.tv_nsec) >=
	                       2000000
	               ? "ok"
	               : "implausible");
	errno = 0;
	r3 = clock_gettime((clockid_t)12345, &rt);
	show("clock_gettime(bad clock)", r3, errno);
}

/* fork and waitpid: the child's exits (_exit, exit) reach the parent. */
static void
processes(void)
{
	int ws = 0;
	pid_t pid, got;

	fflush(stdout);
	errno = 0;
	pid = fork();
	if (pid == 0) {
		printf("child says hello\n");
		fflush(stdout);
		_exit(7);
	}
	/* Print only once the child is done: its line comes first. */
	got = waitpid(pid, &ws, 0);
	show("fork", pid > 0 ? 1 : (long)pid, errno);
	printf("waitpid = %s exited %d\n", got == pid ? "ok" : "wrong",
	       WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(3);
	got = waitpid(pid, &ws, 0);
	printf("waitpid = %s exited %d\n", got == pid ? "ok" : "wrong",
	       WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_Exit(5);
	got = waitpid(pid, &ws, 0);
	printf("waitpid = %s exited %d\n", got == pid ? "ok" : "wrong",
	       WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
}

/* Call everything, print what happened. */
int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: transparency DIR\n");
		return 2;
	}
	show_bindings();
	named_semaphores();
	unnamed_semaphore();
	files(argv[1]);
	sleeps();
	clocks();
	processes();
	printf("done\n");
	return 0;
}
