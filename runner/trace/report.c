/* The readable interleaving printed by `lockstep run`. */
#include <stdio.h>

#include "trace/trace.h"

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

		lk_label(t, e, LK_LABEL_TERMINAL, label, sizeof(label));
		if (color && e->blocked)
			on = "\033[31m", off = "\033[0m";
		else if (color && e->act == LK_ACT_PRINT + 1)
			on = "\033[1m", off = "\033[0m";
		fprintf(f, "%5u  %*s%s%s%s\n", e->step, e->proc * width, "", on,
		        label, off);
	}
}
