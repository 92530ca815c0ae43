/* The readable interleaving printed by `lockstep run`. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "trace/analysis.h"

/* Copy at most max bytes of s into out, showing newlines as nothing and
 * other control bytes as '.'. */
static void
printable(char *out, size_t size, const char *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n' && i == len - 1)
			break;
		out[k++] = c < 0x20 || c == 0x7f ? '.' : (char)c;
	}
	out[k] = '\0';
}

/* A duration in ns as "1s", "250ms", "10us" or "5ns". */
static void
duration(char *buf, size_t size, uint64_t ns)
{
	if (ns % 1000000000u == 0)
		snprintf(buf, size, "%llus",
		         (unsigned long long)(ns / 1000000000u));
	else if (ns % 1000000u == 0)
		snprintf(buf, size, "%llums",
		         (unsigned long long)(ns / 1000000u));
	else if (ns % 1000u == 0)
		snprintf(buf, size, "%lluus", (unsigned long long)(ns / 1000u));
	else
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
}

/* A short label for an event (see analysis.h). */
void
lk_event_label(const struct lk_trace *t, const struct lk_tev *e, char *buf,
               size_t size)
{
	const char *obj = lk_trace_obj_name(t, e->obj);
	char text[64];

	if (obj == NULL)
		obj = "?";
	switch (e->op) {
	case LK_OP_WRITE:
		printable(text, sizeof(text), e->data ? e->data : "", e->len);
		if (e->act == LK_ACT_PRINT + 1)
			snprintf(buf, size, "print %s", text);
		else if (e->blocked)
			snprintf(buf, size, "write %s%s%s%s (blocked: full)",
			         obj, e->len ? " \"" : "", text,
			         e->len ? "\"" : "");
		else
			snprintf(buf, size, "write %s \"%s\"%s", obj, text,
			         e->ret < 0 ? " (failed)" : "");
		return;
	case LK_OP_SEM_WAIT:
	case LK_OP_SEM_TIMEDWAIT:
		snprintf(buf, size, "%s %s%s",
		         e->op == LK_OP_SEM_WAIT ? "wait" : "timedwait", obj,
		         e->blocked        ? " (blocked)"
		         : e->err == EINTR ? " (interrupted)"
		         : e->err          ? " (timed out)"
		                           : "");
		return;
	case LK_OP_SEM_TRYWAIT:
		snprintf(buf, size, "trywait %s%s", obj,
		         e->ret < 0 ? " (busy)" : "");
		return;
	case LK_OP_SEM_POST:
		snprintf(buf, size, "post %s", obj);
		return;
	case LK_OP_SLEEP:
		duration(text, sizeof(text), (uint64_t)e->u.sleep.ns);
		snprintf(buf, size, "sleep %s", text);
		return;
	case LK_OP_FORK:
		snprintf(buf, size, "fork %s",
		         e->ret >= 0 && (size_t)e->u.fork.child < t->nprocs
		                 ? t->procs[e->u.fork.child].name
		                 : "(failed)");
		return;
	case LK_OP_EXIT:
		snprintf(buf, size, "exit %lld", (long long)e->u.exit.status);
		return;
	case LK_OP_START:
		snprintf(buf, size, "start");
		return;
	case LK_OP_POLL:
	case LK_OP_SELECT:
		printable(text, sizeof(text), e->data ? e->data : "", e->len);
		snprintf(buf, size, "%s %s%s%s",
		         e->op == LK_OP_POLL ? "poll" : "select",
		         e->blocked    ? "(blocked)"
		         : e->ret < 0  ? "(failed)"
		         : e->ret == 0 ? "(timed out)"
		                       : "ready ",
		         e->ret > 0 ? text : "", "");
		return;
	case LK_OP_EXEC:
		printable(text, sizeof(text), e->data ? e->data : "", e->len);
		snprintf(buf, size, "exec %s%s", text,
		         e->ret < 0 ? " (failed)" : "");
		return;
	case LK_OP_WAIT:
		if (e->blocked)
			snprintf(buf, size, "waitpid %s%s(blocked)",
			         e->u.wait.target >= 0 &&
			                         (size_t)e->u.wait.target <
			                                 t->nprocs
			                 ? t->procs[e->u.wait.target].name
			                 : "",
			         e->u.wait.target >= 0 &&
			                         (size_t)e->u.wait.target <
			                                 t->nprocs
			                 ? " "
			                 : "");
		else if (e->ret > 0 && (size_t)e->ret < t->nprocs)
			snprintf(buf, size, "waitpid %s: %d",
			         t->procs[e->ret].name,
			         WIFEXITED(e->u.wait.status)
			                 ? WEXITSTATUS(e->u.wait.status)
			                 : -1);
		else
			snprintf(buf, size, "waitpid -> %lld",
			         (long long)e->ret);
		return;
	case LK_OP_READ:
		printable(text, sizeof(text), e->data ? e->data : "", e->len);
		if (e->blocked)
			snprintf(buf, size, "read %s (blocked)", obj);
		else if (e->ret == 0)
			snprintf(buf, size, "read %s: end of file", obj);
		else if (e->ret < 0)
			snprintf(buf, size, "read %s (%s)", obj,
			         e->err == EINTR ? "interrupted" : "failed");
		else
			snprintf(buf, size, "read %s \"%s\"", obj, text);
		return;
	case LK_OP_LOAD:
	case LK_OP_STORE:
		snprintf(buf, size, "%s %s %s %lld",
		         e->op == LK_OP_LOAD ? "load" : "store", obj,
		         e->op == LK_OP_LOAD ? "->" : "<-", (long long)e->ret);
		return;
	case LK_OP_KILL:
		snprintf(buf, size, "kill %s SIG%s%s",
		         e->u.kill.to >= 0 && (size_t)e->u.kill.to < t->nprocs
		                 ? t->procs[e->u.kill.to].name
		         : e->u.kill.to == -2 ? "(group)"
		         : e->u.kill.to == -3 ? "(all)"
		                              : "?",
		         sigabbrev_np(e->u.kill.sig)
		                 ? sigabbrev_np(e->u.kill.sig)
		                 : "?",
		         e->ret < 0 ? " (failed)" : "");
		return;
	case LK_OP_SIGNAL:
		snprintf(buf, size, "signal SIG%s",
		         sigabbrev_np(e->u.signal.sig)
		                 ? sigabbrev_np(e->u.signal.sig)
		                 : "?");
		return;
	case LK_OP_PAUSE:
		snprintf(buf, size, "pause%s", e->blocked ? " (blocked)" : "");
		return;
	case LK_OP_FCNTL:
		snprintf(buf, size, "%s %s%s",
		         e->u.lock.type == F_UNLCK   ? "unlock"
		         : e->u.lock.type == F_RDLCK ? "read-lock"
		                                     : "write-lock",
		         obj,
		         e->blocked   ? " (blocked)"
		         : e->ret < 0 ? " (busy)"
		                      : "");
		return;
	case LK_OP_SEMOP:
		printable(text, sizeof(text), e->data ? e->data : "", e->len);
		snprintf(buf, size, "semop %s %s%s", obj, text,
		         e->blocked   ? " (blocked)"
		         : e->ret < 0 ? " (failed)"
		                      : "");
		return;
	case LK_OP_CLOSE:
		snprintf(buf, size, "close %s%s", obj,
		         e->u.close.mode == O_RDONLY   ? " (read end)"
		         : e->u.close.mode == O_WRONLY ? " (write end)"
		                                       : "");
		return;
	case LK_OP_DUP2:
		snprintf(buf, size, "dup2 %s %s -> %s", obj,
		         e->u.dup2.mode == O_RDONLY ? "read end" : "write end",
		         e->u.dup2.newfd == 0   ? "stdin"
		         : e->u.dup2.newfd == 1 ? "stdout"
		         : e->u.dup2.newfd == 2 ? "stderr"
		                                : "fd");
		return;
	case LK_OP_OPEN:
		snprintf(buf, size, "open %s%s", obj,
		         e->blocked   ? " (blocked)"
		         : e->ret < 0 ? " (failed)"
		                      : "");
		return;
	default:
		snprintf(buf, size, "%s %s%s%s", lk_op_name((unsigned)e->op),
		         e->obj >= 0 ? obj : "", e->blocked ? " (blocked)" : "",
		         !e->blocked && e->ret < 0 ? " (failed)" : "");
	}
}

/* Print the interleaving, one event a line, a column per process. */
void
lk_report_interleaving(const struct lk_trace *t, FILE *f, int color)
{
	int width = t->nprocs > 0 ? (int)(72 / t->nprocs) : 24;
	char label[128];

	if (width > 26)
		width = 26;
	if (width < 12)
		width = 12;
	fprintf(f, "%5s  ", "step");
	for (size_t p = 0; p < t->nprocs; p++) {
		char head[2 * LK_NAME_MAX + 3];

		/* The program of `run -- PROG` started main; name it at the
		 * head of main's column unless main exec'd another. */
		if (p == 0 && t->program_run && t->procs[0].program[0] == '\0')
			lk_trace_label(head, sizeof(head), t->procs[0].name,
			               t->scenario);
		else
			snprintf(head, sizeof(head), "%s",
			         lk_trace_proc_label(t, (int)p));
		fprintf(f, "%-*.*s", width, width - 1, head);
	}
	fputc('\n', f);
	for (size_t i = 0; i < t->nevents; i++) {
		const struct lk_tev *e = &t->ev[i];
		const char *on = "", *off = "";

		lk_event_label(t, e, label, sizeof(label));
		if (color && e->blocked)
			on = "\033[31m", off = "\033[0m";
		else if (color && e->act == LK_ACT_PRINT + 1)
			on = "\033[1m", off = "\033[0m";
		fprintf(f, "%5u  %*s%s%s%s\n", e->step, e->proc * width, "", on,
		        label, off);
	}
}
