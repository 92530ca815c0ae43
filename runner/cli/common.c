/* Helpers shared by the commands: messages, option values, signals,
 * saving traces and the summary of a run. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "verdict.h"
#include "common/input.h"
#include "common/protocol.h"
#include "controller/controller.h"
#include "trace/analysis.h"
#include "trace/race.h"
#include "trace/trace.h"
#include "viz/viz.h"

/* Print "lockstep: MESSAGE" on stderr and return status. */
int
lk_cli_fail(int status, const char *fmt, ...)
{
	char msg[8192], safe[4 * sizeof(msg)];
	va_list ap;

	/* Messages echo what inputs say: escape what a terminal would
	 * obey (lk_escape), whichever file or command it came from. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lk_escape(msg, safe, sizeof(safe), 1);
	fprintf(stderr, "lockstep: %s\n", safe);
	return status;
}

/* A usage error with GNU's second line (see cli.h). */
int
lk_cli_usage(const char *cmd, const char *near, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lk_cli_fail(LK_EXIT_USAGE,
	                   "%s%s%s%s\nTry 'lockstep %s%s--help' for more "
	                   "information.",
	                   msg, near ? "; did you mean '" : "",
	                   near ? near : "", near ? "'?" : "", cmd ? cmd : "",
	                   cmd ? " " : "");
}

/* Report the option getopt_long just refused (see cli.h). */
int
lk_cli_bad_option(const char *cmd, int c, char **argv,
                  const struct option *longopts)
{
	const char *opt = argv[optind - 1];
	char names[512] = "", given[64], near[64] = "--";
	size_t len = 0;

	if (c == ':')
		return lk_cli_usage(cmd, NULL, "%s: option '%s' needs a value",
		                    cmd, opt);
	if (optopt != 0 && strncmp(opt, "--", 2) != 0)
		return lk_cli_usage(cmd, NULL, "%s: invalid option -- '%c'",
		                    cmd, optopt);
	for (size_t i = 0; longopts[i].name != NULL && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		                        "%s%s", len ? " " : "",
		                        longopts[i].name);
	snprintf(given, sizeof(given), "%.*s", (int)strcspn(opt + 2, "="),
	         opt + 2);
	if (strncmp(opt, "--", 2) == 0 &&
	    lk_cli_suggest(given, names, near + 2, sizeof(near) - 2) != NULL)
		return lk_cli_usage(cmd, near, "%s: unrecognized option '--%s'",
		                    cmd, given);
	return lk_cli_usage(cmd, NULL, "%s: unrecognized option '%s'", cmd,
	                    opt);
}

/* A name for an x86-64 system call number, for "stuck in" messages. */
static const char *
syscall_name(int nr)
{
	static const struct {
		int nr;
		const char *name;
	} names[] = {
	        {0, "read"},
	        {1, "write"},
	        {7, "poll"},
	        {23, "select"},
	        {34, "pause"},
	        {35, "nanosleep"},
	        {42, "connect"},
	        {43, "accept"},
	        {45, "recvfrom"},
	        {47, "recvmsg"},
	        {61, "wait4"},
	        {65, "semop"},
	        {69, "msgsnd"},
	        {70, "msgrcv"},
	        {72, "fcntl"},
	        {73, "flock"},
	        {130, "rt_sigsuspend"},
	        {202, "futex"},
	        {230, "clock_nanosleep"},
	        {232, "epoll_wait"},
	        {247, "waitid"},
	        {257, "openat"},
	        {270, "pselect6"},
	        {271, "ppoll"},
	        {281, "epoll_pwait"},
	        {288, "accept4"},
	};
	static char buf[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	snprintf(buf, sizeof(buf), "number %d", nr);
	return buf;
}

static void
on_signal(int sig)
{
	lk_run_interrupt(sig);
}

/* Catch SIGINT, SIGTERM and SIGHUP so a run cleans up before we go. */
void
lk_cli_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Write the trace to path ("-" is stdout). */
int
lk_cli_save_trace(const struct lk_trace *t, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int rc;

	if (f == NULL)
		return lk_cli_fail(LK_EXIT_USAGE, "cannot write trace %s: %s",
		                   path, strerror(errno));
	rc = lk_trace_write(t, f);
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		return lk_cli_fail(LK_EXIT_INTERNAL,
		                   "cannot write trace %s: %s", path,
		                   strerror(errno));
	return 0;
}

/* Print the distinct races of t, if any: information, not a verdict. */
static void
print_races(struct lk_trace *t)
{
	struct lk_race *r;
	char buf[LK_RACE_TEXT_MAX];
	size_t n;
	int rc = lk_race_find(t, 1, &r, &n);

	if (rc == -EINTR)
		return; /* the caller sees the signal and goes */
	if (rc != 0) {
		lk_cli_fail(0, "races: out of memory");
		return;
	}
	if (n > 0)
		printf("races:\n");
	for (size_t i = 0; i < n; i++) {
		lk_race_format(t, &r[i], buf, sizeof(buf));
		printf("  %s\n", buf);
	}
	free(r);
}

/* Say on stderr why the culprit of a crash, a timeout or a limit
 * stopped the run; the line (without "lockstep: ") also into v->crash. */
static void
explain_stop(const struct lk_trace *t, const struct lk_scenario *sc,
             size_t failed, struct lk_cli_verdict *v)
{
	char *m = v->crash;
	size_t size = sizeof(v->crash);

	m[0] = '\0';
	if (t->verdict == LK_V_CRASH && t->culprit >= 0) {
		const struct lk_tproc *p = &t->procs[t->culprit];
		const char *who = lk_trace_proc_label(t, t->culprit);
		long last = -1;
		char label[128] = "none";

		for (size_t i = 0; i < t->nevents; i++)
			if (t->ev[i].proc == t->culprit)
				last = (long)i;
		if (last >= 0)
			lk_event_label(t, &t->ev[last], label, sizeof(label));
		snprintf(v->last_event, sizeof(v->last_event), "%s", label);
		if (t->signal)
			snprintf(m, size,
			         "%s was killed by signal %d (%s: %s); its "
			         "last event: %s",
			         who, t->signal, lk_signal_name(t->signal),
			         strsignal(t->signal), label);
		else if (p->exited)
			snprintf(m, size,
			         "%s exited with status %d; its last event: %s",
			         who, p->status, label);
		else if (t->lost_status >= 0)
			snprintf(m, size,
			         "%s exited with status %d without an exit "
			         "step (it could not start, or left outside "
			         "lockstep's control); its last event: %s",
			         who, t->lost_status, label);
		else
			snprintf(m, size,
			         "%s died without reaching exit; its last "
			         "event: %s",
			         who, label);
	} else if (t->verdict == LK_V_DONE && t->program_run && failed &&
	           t->nprocs > 0 && t->procs[0].exited) {
		/* The only expectation of a program: how main exits. */
		snprintf(m, size,
		         "%s exited with status %d (expected %lld: "
		         "--expect-exit)",
		         lk_trace_proc_label(t, 0), t->procs[0].status,
		         sc->nexpects > 0 ? sc->expects[0].value : 0);
	} else if (t->verdict == LK_V_TIMEOUT) {
		const char *who = t->culprit >= 0
		                          ? lk_trace_proc_label(t, t->culprit)
		                          : "a process";

		if (t->stuck >= 0)
			snprintf(m, size,
			         "%s is stuck in the system call %s, which "
			         "lockstep does not control (it waited "
			         "--step-timeout for it)",
			         who, syscall_name(t->stuck));
		else
			snprintf(m, size,
			         "%s did not reach a scheduling point in time: "
			         "it is running, not in a system call (a loop "
			         "without IPC?)",
			         who);
	} else if (t->verdict == LK_V_LIMIT) {
		snprintf(m, size, "stopped after %zu %s (--max-steps)",
		         t->nevents, lk_plural(t->nevents, "step", "steps"));
	}
	if (m[0] != '\0')
		lk_cli_fail(0, "%s", m);
}

/* Judge the run (see cli.h). */
int
lk_cli_judge(struct lk_trace *t, const struct lk_scenario *sc, int quiet,
             int json, struct lk_cli_verdict *v)
{
	struct lk_scenario view = *sc;
	int status;

	memset(v, 0, sizeof(*v));
	v->nx = sc->nexpects < 64 ? sc->nexpects : 64;
	view.nexpects = v->nx;
	v->failed = lk_expect_eval(t, &view, v->lines);
	if (quiet && !json && t->program_run && !t->output_passed) {
		/* The program's own output, byte for byte, where it would
		 * have gone without lockstep; lockstep's lines after it, on
		 * stderr. (With output_passed it went there during the
		 * run.) */
		fflush(stdout);
		if (fwrite(t->output, 1, t->output_len, stdout) !=
		            t->output_len ||
		    fflush(stdout) != 0)
			lk_cli_fail(0, "cannot write the output: %s",
			            strerror(errno));
		fwrite(t->errout, 1, t->errout_len, stderr);
		fflush(stderr);
	}
	if (t->verdict == LK_V_DEADLOCK) {
		lk_explain_deadlock(t, sc, v->why, sizeof(v->why));
		if (!json)
			fprintf(quiet ? stderr : stdout,
			        "deadlock: no process can go on\n%s", v->why);
		status = LK_EXIT_DEADLOCK;
	} else if (t->verdict == LK_V_DONE) {
		status = v->failed ? LK_EXIT_EXPECT : LK_EXIT_OK;
	} else {
		status = LK_EXIT_CRASH;
	}
	/* An expectation that could not be judged is no "FAIL". */
	for (size_t i = 0; i < v->nx; i++)
		if (v->lines[i].error) {
			lk_cli_fail(0,
			            "%s:%d: cannot judge the expectation: %s",
			            sc->path, sc->expects[i].line,
			            v->lines[i].text);
			status = LK_EXIT_USAGE;
		}
	explain_stop(t, sc, v->failed, v);
	/* Past lockstep's table of objects, calls ran unscheduled: what
	 * the trace shows of them is not the whole story. */
	if (t->objects_full & 2u)
		lk_cli_fail(0,
		            "the run used more than %d objects (pipes, files, "
		            "semaphores, names): calls on the rest show no "
		            "object in the trace, give no happens-before and "
		            "may block outside lockstep's control",
		            LK_MAX_OBJECTS);
	else if (t->objects_full & 1u)
		lk_cli_fail(0,
		            "the run named more file-system paths than "
		            "lockstep's table of %d objects keeps room for: "
		            "the later ones were not steps, so races on them "
		            "are not shown",
		            LK_MAX_OBJECTS);
	if (quiet && t->program_run) {
		/* Output passed on that could not be written (a full disk;
		 * not a reader that went away, as with | head -1): an error,
		 * as for lockstep's own output (main.c). */
		for (int k = 0; t->output_passed && k < 2; k++)
			if (t->output_errno[k] != 0) {
				lk_cli_fail(0,
				            "cannot write the program's %s: %s",
				            k ? "stderr" : "stdout",
				            strerror(t->output_errno[k]));
				status = LK_EXIT_INTERNAL;
			}
	}
	v->status = status;
	return status;
}

/* Print a text a line at a time, each under "  | ". */
static void
print_lines(const char *text)
{
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		int len = nl ? (int)(nl - s) : (int)strlen(s);

		printf("  | %.*s\n", len, s);
		s += len + (nl != NULL);
	}
}

/* Print the outcome, the output and the expectations; the exit status. */
int
lk_cli_summarise(struct lk_trace *t, const struct lk_scenario *sc, int quiet,
                 int color, struct lk_cli_verdict *v)
{
	const char *bad = color ? "\033[31mFAIL\033[0m" : "FAIL";
	const char *ok = color ? "\033[32mok\033[0m  " : "ok  ";
	size_t nthreads = 0;
	int status;

	status = lk_cli_judge(t, sc, quiet, 0, v);
	/* "0 of 1 expectations failed": the noun is the set's, plural. */
	if (quiet && t->program_run) {
		fprintf(stderr,
		        "lockstep: %s: %s, %zu %s, %zu of %zu expectations "
		        "failed\n",
		        t->scenario, lk_verdict_name(t->verdict), t->nevents,
		        lk_plural(t->nevents, "step", "steps"), v->failed,
		        v->nx);
		return status;
	}
	if (quiet) {
		printf("%s: %s, %zu %s, %zu of %zu expectations failed\n",
		       t->scenario, lk_verdict_name(t->verdict), t->nevents,
		       lk_plural(t->nevents, "step", "steps"), v->failed,
		       v->nx);
		return status;
	}
	for (size_t i = 0; i < t->nprocs; i++)
		nthreads += t->procs[i].thread != 0;
	printf("\noutcome: %s after %zu %s, virtual time %g s, %zu %s",
	       lk_verdict_name(t->verdict), t->nevents,
	       lk_plural(t->nevents, "step", "steps"), (double)t->vt / 1e9,
	       t->nprocs - nthreads,
	       lk_plural(t->nprocs - nthreads, "process", "processes"));
	if (nthreads > 0)
		printf(" and %zu %s", nthreads,
		       lk_plural(nthreads, "thread", "threads"));
	printf(", %.1f ms wall\n", (double)t->wall_us / 1000);
	if (t->output_len > 0) {
		printf("output:\n");
		print_lines(t->output);
	}
	if (t->errout_len > 0) {
		printf("stderr:\n");
		print_lines(t->errout);
	}
	for (size_t i = 0; i < sc->nobjects && i < t->nfiles; i++) {
		const char *body = t->files[i];
		size_t len = t->file_lens[i];

		if (sc->objects[i].kind != LK_OBJ_FILE || body == NULL)
			continue;
		printf("file %s (%s, %zu %s): %.*s%s\n", sc->objects[i].name,
		       sc->objects[i].u.file.path, len,
		       lk_plural(len, "byte", "bytes"),
		       len > 60 ? 60 : (int)len, body, len > 60 ? "..." : "");
	}
	print_races(t);
	if (v->nx > 0)
		printf("expect:\n");
	for (size_t i = 0; i < v->nx; i++) {
		const char *mark = v->lines[i].error    ? "ERROR"
		                   : v->lines[i].passed ? ok
		                                        : bad;

		if (sc->expects[i].line > 0)
			printf("  %s %s  (line %d)\n", mark, v->lines[i].text,
			       sc->expects[i].line);
		else
			printf("  %s %s\n", mark, v->lines[i].text);
	}
	return status;
}

/* The expectations that failed, in words (see verdict.h). */
void
lk_cli_failed_text(const struct lk_scenario *sc, const struct lk_cli_verdict *v,
                   char *buf, size_t size)
{
	size_t first = v->nx, n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->nx; i++)
		if (!v->lines[i].passed && !v->lines[i].error && n++ == 0)
			first = i;
	if (n == 0)
		return;
	if (sc->expects[first].line > 0)
		snprintf(buf, size, "%s (line %d)", v->lines[first].text,
		         sc->expects[first].line);
	else
		snprintf(buf, size, "%s", v->lines[first].text);
	if (n > 1)
		snprintf(buf + strlen(buf), size - strlen(buf), ", and %zu %s",
		         n - 1, lk_plural(n - 1, "other", "others"));
}

/* Refuse a descriptor limit too low for the runs of sc (see cli.h). */
int
lk_cli_check_fds(const struct lk_scenario *sc, int explore)
{
	struct rlimit rl;
	unsigned long need = LK_FDS_BASE;
	size_t pipes = 0;
	char why[160] = "the run's own descriptors";

	for (size_t i = 0; i < sc->nobjects; i++)
		pipes += sc->objects[i].kind == LK_OBJ_PIPE;
	if (explore && need < LK_FDS_EXPLORE) {
		need = LK_FDS_EXPLORE;
		snprintf(why, sizeof(why),
		         "descriptors %d to %d, where each process is started",
		         LK_FDS_EXPLORE - 3, LK_FDS_EXPLORE - 1);
	}
	if (pipes > 0 && LK_PIPE_FD + 2 * pipes > need) {
		need = LK_PIPE_FD + 2 * pipes;
		snprintf(why, sizeof(why),
		         "descriptors %d to %lu hold the ends of its %zu "
		         "%s",
		         LK_PIPE_FD, need - 1, pipes,
		         lk_plural(pipes, "pipe", "pipes"));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	return lk_cli_fail(LK_EXIT_USAGE,
	                   "the limit on open descriptors (ulimit -n) is %llu, "
	                   "but this %s needs at least %lu (%s); raise it "
	                   "with ulimit -n %lu",
	                   (unsigned long long)rl.rlim_cur,
	                   explore ? "exploration" : "run", need, why, need);
}

/* Find an executable: as given when it has a '/', else in PATH. */
char *
lk_cli_find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *full = NULL;

	/* Absolute: the program starts in the run's work directory. */
	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? realpath(name, NULL) : NULL;
	dirs = strdup(path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL && full == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&full, "%s/%s", *dir ? dir : ".", name) < 0)
			full = NULL;
		else if (access(full, X_OK) != 0) {
			free(full);
			full = NULL;
		}
	}
	free(dirs);
	if (full == NULL)
		errno = ENOENT;
	return full;
}

/* Say once that the files or the network cannot be isolated, and go on
 * without. */
void
lk_cli_isolation(struct lk_run_opts *run)
{
	char why[256];

	/* The network: a namespace of the run's own where the kernel
	 * gives one; said once where it does not. */
	if (run->netns && lk_netns_check(why, sizeof(why)) != 0) {
		run->netns = 0;
		fprintf(stderr,
		        "lockstep: warning: cannot give the program a "
		        "network of its own (%s): its sockets share the "
		        "machine's; --no-isolation silences this\n",
		        why);
	}
	if (!run->isolate || lk_fsiso_check(why, sizeof(why)) == 0)
		return;
	run->isolate = 0;
	fprintf(stderr,
	        "lockstep: warning: cannot isolate the program's "
	        "files (%s): its runs write to the real ones; "
	        "--no-isolation silences this\n",
	        why);
}

/* Refuse an output path that cannot be written (see cli.h). */
int
lk_cli_check_output(const char *cmd, const char *opt, const char *path,
                    enum lk_cli_out kind)
{
	size_t len = strlen(path);
	const char *slash;
	char dir[4096];
	struct stat st;

	/* A directory may be named with trailing slashes ("slides/"): the
	 * directory it goes into is the one before its last component. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	slash = memrchr(path, '/', len);
	if (path[0] == '\0')
		return lk_cli_fail(LK_EXIT_USAGE, "%s: %s '': expected a %s",
		                   cmd, opt,
		                   kind == LK_OUT_DIR ? "directory" : "file");
	if (kind == LK_OUT_DIAGRAM && lk_viz_format(path) == NULL)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "%s: %s %s: no format in the name: it "
		                   "must end in " LK_VIZ_EXTENSIONS,
		                   cmd, opt, path);
	if (stat(path, &st) == 0) {
		if (kind != LK_OUT_DIR && S_ISDIR(st.st_mode))
			return lk_cli_fail(
			        LK_EXIT_USAGE,
			        "%s: %s %s: is a directory; expected "
			        "a file to write",
			        cmd, opt, path);
		if (kind == LK_OUT_DIR && !S_ISDIR(st.st_mode))
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "%s: %s %s: exists and is not a "
			                   "directory",
			                   cmd, opt, path);
		if (kind == LK_OUT_DIR && access(path, W_OK | X_OK) != 0)
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "%s: %s %s: cannot write in it: %s",
			                   cmd, opt, path, strerror(errno));
		if (kind == LK_OUT_DIR)
			return 0;
	}
	/* The directory it goes into: there, a directory, writable. */
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		return lk_cli_fail(
		        LK_EXIT_USAGE, "%s: %s %s: %s %s", cmd, opt, path,
		        errno == ENOENT ? "no directory"
		                        : "cannot reach the directory",
		        dir);
	if (!S_ISDIR(st.st_mode))
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "%s: %s %s: %s is not a directory", cmd, opt,
		                   path, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "%s: %s %s: cannot write in %s: %s", cmd,
		                   opt, path, dir, strerror(errno));
	return 0;
}

/* Refuse an option where a command takes only operands (see cli.h). */
int
lk_cli_operands_only(const char *cmd, int argc, char **argv)
{
	char near[16] = "--";

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] != '-')
			return lk_cli_usage(cmd, NULL,
			                    "%s: invalid option -- '%c'", cmd,
			                    a[1]);
		return lk_cli_usage(cmd,
		                    lk_cli_suggest(a + 2, "help", near + 2,
		                                   sizeof(near) - 2) != NULL
		                            ? near
		                            : NULL,
		                    "%s: unrecognized option '%s'", cmd, a);
	}
	return 0;
}
