/* Helpers of the end-to-end tests (see e2e.h). */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

extern char **environ;

/* A growing byte buffer, always NUL-terminated. */
struct buf {
	char *p;
	size_t len, cap;
	int fd; /* -1 once closed */
};

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what fd has now to b; close it at end of file. */
static void
drain(struct buf *b)
{
	char chunk[4096];
	ssize_t n;

	while (b->fd >= 0) {
		n = read(b->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(b->fd);
			b->fd = -1;
			return;
		}
		if (b->len + (size_t)n + 1 > b->cap) {
			size_t cap = (b->len + (size_t)n + 1) * 2;
			char *p = realloc(b->p, cap);

			if (p == NULL)
				abort();
			b->p = p;
			b->cap = cap;
		}
		memcpy(b->p + b->len, chunk, (size_t)n);
		b->len += (size_t)n;
		b->p[b->len] = '\0';
	}
}

/* Does the environment entry e set variable name? */
static int
sets(const char *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e, name, n) == 0 && e[n] == '=';
}

/* Our environment without the interposer's variables, plus extra. */
static char **
child_env(const char *const extra[])
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n] != NULL)
		n++;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		abort();
	for (i = 0; environ[i] != NULL; i++)
		if (!sets(environ[i], "LD_PRELOAD") &&
		    !sets(environ[i], "LOCKSTEP_SHM_FD"))
			env[k++] = environ[i];
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		env[k++] = (char *)extra[i];
	env[k] = NULL;
	return env;
}

/* In the child: plug in the pipes and become path. Never returns. */
static void
exec_child(int out, int err, const char *path, const char *const argv[],
           char **env, const char *cwd)
{
	int null = open("/dev/null", O_RDONLY);

	/* A group of its own, so a timeout kills whatever it started. */
	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(126);
	if (cwd != NULL && chdir(cwd) != 0)
		_exit(126);
	execve(path, (char *const *)argv, env);
	dprintf(2, "e2e: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Read both pipes until the child exits or runs out of time. */
static void
collect(struct e2e_result *r, struct buf *out, struct buf *err)
{
	long long deadline = now_ms() + E2E_TIMEOUT_S * 1000LL;
	struct pollfd p[2];
	int ws, nfds;

	for (;;) {
		if (waitpid(r->pid, &ws, WNOHANG) == r->pid)
			break;
		if (now_ms() > deadline) {
			kill(-r->pid, SIGKILL);
			kill(r->pid, SIGKILL);
			waitpid(r->pid, &ws, 0);
			r->timed_out = 1;
			break;
		}
		nfds = 0;
		if (out->fd >= 0)
			p[nfds++] = (struct pollfd){.fd = out->fd,
			                            .events = POLLIN};
		if (err->fd >= 0)
			p[nfds++] = (struct pollfd){.fd = err->fd,
			                            .events = POLLIN};
		/* With both pipes closed only the exit is left to wait for. */
		poll(p, (nfds_t)nfds, nfds > 0 ? 50 : 2);
		drain(out);
		drain(err);
	}
	/* Whatever the program wrote before it exited is in the pipes. */
	drain(out);
	drain(err);
	if (WIFEXITED(ws))
		r->status = WEXITSTATUS(ws);
	else if (WIFSIGNALED(ws))
		r->status = 128 + WTERMSIG(ws);
}

/* When the last e2e_spawn started (CLOCK_REALTIME, seconds): names in
 * /dev/shm older than that by more than a second (file times follow a
 * coarse clock) are not its leftovers. lockstep sweeps only what runs of
 * its own user's private directory left (docs/architecture.md,
 * "Cleanup"), so names an older lockstep left behind stay until reboot. */
static time_t spawn_since;

/* Run path (see e2e.h). */
int
e2e_spawn(struct e2e_result *r, const char *path, const char *const argv[],
          const char *const env[], const char *cwd)
{
	struct buf out = {.fd = -1}, err = {.fd = -1};
	int po[2], pe[2];
	char **cenv;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(po, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	cenv = child_env(env);
	spawn_since = time(NULL);
	r->pid = fork();
	if (r->pid == 0)
		exec_child(po[1], pe[1], path, argv, cenv, cwd);
	free(cenv);
	close(po[1]);
	close(pe[1]);
	out.fd = po[0];
	err.fd = pe[0];
	fcntl(out.fd, F_SETFL, O_NONBLOCK);
	fcntl(err.fd, F_SETFL, O_NONBLOCK);
	if (r->pid > 0)
		collect(r, &out, &err);
	if (out.fd >= 0)
		close(out.fd);
	if (err.fd >= 0)
		close(err.fd);
	r->out = out.p != NULL ? out.p : strdup("");
	r->outlen = out.len;
	r->err = err.p != NULL ? err.p : strdup("");
	r->errlen = err.len;
	r->leftovers = e2e_shm_leftovers();
	return r->pid > 0 ? 0 : -1;
}

/* Run lockstep with args from the source directory (see e2e.h). */
int
e2e_lockstep(struct e2e_result *r, const char *const args[])
{
	const char *argv[64];
	size_t n = 0;

	argv[n++] = LK_BUILD_DIR "/lockstep";
	while (args[n - 1] != NULL && n < 63) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	return e2e_spawn(r, argv[0], argv, NULL, LK_SOURCE_DIR);
}

/* Free what a run captured. */
void
e2e_result_free(struct e2e_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Run, run again, replay: the same events (see e2e.h). */
int
e2e_same_trace_thrice(const char *dir, const char *const args[], int want,
                      char *why, size_t size)
{
	char *path[3], *ev[3] = {NULL, NULL, NULL}, *sched;
	const char *argv[64];
	struct e2e_result r;
	int rc = 0;

	sched = e2e_path(dir, "same.sched");
	for (int k = 0; k < 3 && rc == 0; k++) {
		size_t n = 0;
		char name[16];

		snprintf(name, sizeof(name), "same%d.jsonl", k);
		path[k] = e2e_path(dir, name);
		argv[n++] = k < 2 ? "run" : "replay";
		argv[n++] = "-q";
		argv[n++] = "--trace";
		argv[n++] = path[k];
		if (k == 0) {
			argv[n++] = "--save-schedule";
			argv[n++] = sched;
		}
		for (size_t i = 0; k < 2 && args[i] != NULL && n < 62; i++)
			argv[n++] = args[i];
		if (k == 2)
			argv[n++] = sched;
		argv[n] = NULL;
		if (e2e_lockstep(&r, argv) != 0 || r.status != want) {
			snprintf(why, size, "%s: exit %d, expected %d\n%.2000s",
			         argv[0], r.status, want, r.err ? r.err : "");
			rc = -1;
		}
		e2e_result_free(&r);
		ev[k] = rc == 0 ? e2e_trace_events(path[k]) : NULL;
		free(path[k]);
		if (rc == 0 && (ev[k] == NULL || ev[k][0] == '\0')) {
			snprintf(why, size, "no events in trace %d", k);
			rc = -1;
		}
		if (rc == 0 && k > 0 && strcmp(ev[0], ev[k]) != 0) {
			snprintf(why, size, "trace %d differs from the first",
			         k);
			rc = -1;
		}
	}
	for (int k = 0; k < 3; k++)
		free(ev[k]);
	free(sched);
	return rc;
}

/* Load a JSON Lines trace (see e2e.h). */
json_t *
e2e_trace_load(const char *path)
{
	size_t len;
	char *text = e2e_read_file(path, &len), *line, *nl;
	json_t *lines;

	if (text == NULL)
		return NULL;
	if (len == 0 || text[len - 1] != '\n' || strlen(text) != len) {
		free(text);
		return NULL;
	}
	lines = json_array();
	for (line = text; *line != '\0'; line = nl + 1) {
		json_error_t jerr;
		json_t *o;

		nl = strchr(line, '\n');
		*nl = '\0';
		o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		if (o == NULL || !json_is_object(o)) {
			fprintf(stderr, "%s:%zu: %s\n", path,
			        json_array_size(lines) + 1,
			        o == NULL ? jerr.text : "not an object");
			json_decref(o);
			json_decref(lines);
			free(text);
			return NULL;
		}
		json_array_append_new(lines, o);
	}
	free(text);
	return lines;
}

/* Is the object named n (without "sem.") owned by a run in progress? */
static int
live_run(const char *n)
{
	char *end;
	long pid = strtol(n + 2, &end, 10);

	if (end == n + 2 || *end != 'x' || pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Count lockstep's leftovers in /dev/shm (see e2e.h). */
int
e2e_shm_leftovers(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	struct stat st;
	int count = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strncmp(n, "sem.", 4) == 0)
			n += 4;
		if (strncmp(n, "lk", 2) != 0 || live_run(n))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) !=
		            0 ||
		    st.st_ctime < spawn_since - 1)
			continue;
		fprintf(stderr, "e2e: left in /dev/shm: %s\n", de->d_name);
		count++;
	}
	closedir(d);
	return count;
}

/* A new empty directory under /tmp (see e2e.h). */
char *
e2e_tempdir(void)
{
	char *dir = strdup("/tmp/lockstep-e2e-XXXXXX");

	if (dir != NULL && mkdtemp(dir) == NULL) {
		free(dir);
		return NULL;
	}
	return dir;
}

/* Remove a directory tree. */
void
e2e_rmtree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	struct stat st;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = e2e_path(path, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			e2e_rmtree(sub);
		else
			unlink(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Write a file (see e2e.h). */
char *
e2e_write_file(const char *dir, const char *name, const char *text)
{
	char *path = e2e_path(dir, name);
	FILE *f = path != NULL ? fopen(path, "w") : NULL;
	int ok = f != NULL && fputs(text, f) >= 0;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		free(path);
		return NULL;
	}
	return path;
}

/* A trace file's events (see e2e.h). */
char *
e2e_trace_events(const char *path)
{
	char *text = e2e_read_file(path, NULL), *nl, *ev = NULL;

	if (text != NULL && (nl = strchr(text, '\n')) != NULL)
		ev = strdup(nl + 1);
	free(text);
	return ev;
}

/* A file's contents (see e2e.h). */
char *
e2e_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4097 > cap) {
			char *q = realloc(p, cap = (n + 4097) * 2);

			if (q == NULL)
				abort();
			p = q;
		}
		got = fread(p + n, 1, 4096, f);
		n += got;
	} while (got > 0);
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

/* dir "/" name, malloc'd. */
char *
e2e_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

/* Does every line of text start with prefix (and is there one)? */
int
e2e_lines_start_with(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *line = text;

	if (*text == '\0')
		return 0;
	while (*line != '\0') {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, prefix, n) != 0 &&
		    (strcmp(prefix, "lockstep: ") != 0 || line == text ||
		     strncmp(line, "Try 'lockstep ", 14) != 0))
			return 0;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 1;
}

int
e2e_dispatch_available(void)
{
	static char selector;
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1, 0, 0,
		            &selector) == 0
		              ? 0
		              : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

int
e2e_is_agent(pid_t pid)
{
	const char *agent = LK_BUILD_DIR "/lockstep-agent";
	char path[64], buf[256] = "";
	FILE *f;
	int yes;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	yes = fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
	      strncmp(buf, agent, strlen(agent)) == 0;
	fclose(f);
	return yes;
}

/* The parent of pid, 0 when it is gone. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512] = "", *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fread(buf, 1, sizeof(buf) - 1, f) > 0 &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

int
e2e_agents_under(pid_t top, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name), up;

		if (pid <= 0 || !e2e_is_agent(pid))
			continue;
		for (up = parent_of(pid); up > 1 && up != top;
		     up = parent_of(up))
			;
		if (up != top)
			continue;
		if (out != NULL && n < max)
			out[n] = pid;
		n++;
	}
	closedir(d);
	return n;
}

int
e2e_dir_entries(const char *dir, const char *tag)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char mine[64];
	int n = 0;

	if (d == NULL)
		return 0;
	/* lockstep's private directory stays; what is in it counts. */
	snprintf(mine, sizeof(mine), "lockstep-%u", (unsigned)geteuid());
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, mine) == 0) {
			char *sub = e2e_path(dir, mine);

			n += e2e_dir_entries(sub, tag);
			free(sub);
			continue;
		}
		fprintf(stderr, "%s: left in TMPDIR: %s\n", tag, de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* lockstep's private directory, as runner/controller/rundir.c finds it. */
char *
e2e_private_dir(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	char *path;

	if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0)
		return e2e_path(xdg, "lockstep");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (asprintf(&path, "%s/lockstep-%u", tmp, (unsigned)geteuid()) < 0)
		return NULL;
	return path;
}
