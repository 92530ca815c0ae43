/* Compiling declared processes into agent programs (see controller.h). */
#include <string.h>

#include "controller/controller.h"

struct emitter {
	struct lk_instr *prog;
	char *text;
	uint64_t n, cap;
	uint64_t tn, tcap;
};

/* Count instructions and text for a list of actions. */
static void
count(const struct lk_sc_action *a, size_t n, uint64_t *ni, uint64_t *nt)
{
	for (size_t i = 0; i < n; i++) {
		*ni += 1;
		if (a[i].text != NULL)
			*nt += strlen(a[i].text);
		if (a[i].kind == LK_ACT_REPEAT || a[i].kind == LK_ACT_HANDLER ||
		    a[i].kind == LK_ACT_THREAD) {
			*ni += 1; /* its END */
			count(a[i].body, a[i].nbody, ni, nt);
		}
	}
}

/* Instructions and text bytes sc needs. */
void
lk_program_size(const struct lk_scenario *sc, uint64_t *ninstr, uint64_t *ntext)
{
	*ninstr = *ntext = 0;
	for (size_t p = 0; p < sc->nprocs; p++)
		count(sc->procs[p].actions, sc->procs[p].nactions, ninstr,
		      ntext);
}

/* Emit actions; -1 when out of room. */
static int
emit(struct emitter *e, const struct lk_sc_action *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lk_instr *in;
		uint64_t at = e->n;

		if (e->n >= e->cap)
			return -1;
		in = &e->prog[e->n++];
		memset(in, 0, sizeof(*in));
		in->act = (uint16_t)a[i].kind;
		in->obj = a[i].obj;
		in->line = (uint32_t)a[i].line;
		in->ns = a[i].ns;
		in->times = a[i].times;
		in->value = a[i].value;
		in->proc = a[i].proc;
		in->nproc = (uint16_t)a[i].nproc;
		in->end = (uint8_t)a[i].end;
		in->flags = (a[i].until_eof ? LK_INSTR_EOF : 0) |
		            (a[i].nowait ? LK_INSTR_NOWAIT : 0) |
		            (a[i].undo ? LK_INSTR_UNDO : 0) |
		            (a[i].echo ? LK_INSTR_ECHO : 0);
		in->start = a[i].start;
		in->len = a[i].len;
		in->in = a[i].kind == LK_ACT_EXEC ? a[i].in : -1;
		in->out = a[i].kind == LK_ACT_EXEC ? a[i].out : -1;
		in->bytes = a[i].bytes;
		if (a[i].conn >= 0) {
			/* A connection of the process, by its name's index. */
			in->value = a[i].conn;
			if (a[i].kind == LK_ACT_CLOSE)
				in->flags |= LK_INSTR_CONN;
		}
		if (a[i].text != NULL) {
			size_t len = strlen(a[i].text);

			if (e->tn + len > e->tcap)
				return -1;
			memcpy(e->text + e->tn, a[i].text, len);
			in->text_off = (uint32_t)e->tn;
			in->text_len = (uint32_t)len;
			e->tn += len;
		}
		if (a[i].sync) {
			/* A mutex or condition variable: the wait's mutex and
			 * its test's cell. */
			in->flags |= LK_INSTR_SYNC;
			in->in = a[i].mutex;
			in->out = a[i].cell;
			in->end = (uint8_t)a[i].cmp;
			in->times = (uint32_t)a[i].test;
		}
		if (a[i].kind == LK_ACT_BARRIER_WAIT)
			in->in = in->out = -1;
		if (a[i].kind != LK_ACT_REPEAT && a[i].kind != LK_ACT_HANDLER &&
		    a[i].kind != LK_ACT_THREAD)
			continue;
		if (emit(e, a[i].body, a[i].nbody) != 0 || e->n >= e->cap)
			return -1;
		in = &e->prog[e->n++];
		memset(in, 0, sizeof(*in));
		in->act = LK_INSTR_END;
		in->obj = -1;
		in->jump = (uint32_t)at + 1;
		e->prog[at].jump = (uint32_t)e->n;
	}
	return 0;
}

/* Compile sc's processes into the agent program in sh. */
int
lk_program_build(const struct lk_scenario *sc, struct lk_shared *sh,
                 uint64_t prog_cap, uint64_t text_cap, struct lk_err *err)
{
	struct emitter e = {
	        .prog = lk_shared_prog(sh),
	        .text = lk_shared_text(sh),
	        .cap = prog_cap,
	        .tcap = text_cap,
	};

	for (size_t p = 0; p < sc->nprocs; p++) {
		sh->prog_start[p] = (uint32_t)e.n;
		if (emit(&e, sc->procs[p].actions, sc->procs[p].nactions) !=
		    0) {
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "%s: the program of %s does not fit",
			           sc->path, sc->procs[p].name);
			return -1;
		}
		sh->prog_end[p] = (uint32_t)e.n;
	}
	sh->text_len = (uint32_t)e.tn;
	return 0;
}
