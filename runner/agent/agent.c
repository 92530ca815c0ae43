/*
 * lockstep-agent: runs one declared process of a scenario. It reads its
 * program from the run's shared memory and performs each action with the
 * ordinary libc call (sem_wait, write, nanosleep, ...), so that declared
 * processes take the same road through the interposer as any program.
 *
 * Usage (by the controller only): lockstep-agent SLOT, with LOCKSTEP_SHM_FD
 * in the environment and the interposer preloaded.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/protocol.h"

struct agent {
	struct lk_shared *sh;
	struct lk_slot *slot;
	sem_t *sems[LK_MAX_OBJECTS];
	int fds[LK_MAX_OBJECTS];
	char out[LK_DATA_MAX * 4 + 2];
};

/* Print why the agent cannot run and exit with status 127. */
static void
die(const char *what)
{
	fprintf(stderr, "lockstep-agent: %s: %s\n", what, strerror(errno));
	exit(127);
}

/* Map the shared memory named by the environment. */
static struct lk_shared *
map_shared(void)
{
	const char *v = getenv(LK_ENV_SHM);
	struct stat st;
	void *m;
	int fd;

	if (v == NULL)
		die("LOCKSTEP_SHM_FD is not set (run me through lockstep)");
	fd = atoi(v);
	if (fstat(fd, &st) != 0)
		die("cannot stat the shared memory");
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	         fd, 0);
	if (m == MAP_FAILED)
		die("cannot map the shared memory");
	return m;
}

/* Open the objects this process's program uses, before its first step. */
static void
open_objects(struct agent *a, const struct lk_instr *p, uint32_t lo,
             uint32_t hi)
{
	char *base = (char *)a->sh;

	for (uint32_t i = lo; i < hi; i++) {
		int o = p[i].obj;
		const struct lk_object *obj;

		if (o < 0 || a->sems[o] != NULL || a->fds[o] >= 0)
			continue;
		obj = &a->sh->objects[o];
		if (obj->type == LK_OT_SEM_UNNAMED) {
			a->sems[o] = (sem_t *)(base + a->sh->sems_off +
			                       (size_t)o * sizeof(sem_t));
		} else if (obj->type == LK_OT_SEM_NAMED) {
			a->sems[o] = sem_open(obj->name, 0);
			if (a->sems[o] == SEM_FAILED)
				die(obj->name);
		} else if (obj->type == LK_OT_FILE) {
			a->fds[o] = open(obj->path,
			                 O_WRONLY | O_APPEND | O_CLOEXEC);
			if (a->fds[o] < 0)
				die(obj->path);
		}
	}
}

/* Perform one action. */
static void
perform(struct agent *a, const struct lk_instr *in)
{
	const char *text = lk_shared_text(a->sh) + in->text_off;
	struct timespec ts;
	size_t n;

	switch (in->act) {
	case LK_ACT_PRINT:
		n = in->text_len < sizeof(a->out) - 1 ? in->text_len
		                                      : sizeof(a->out) - 2;
		memcpy(a->out, text, n);
		a->out[n++] = '\n';
		if (write(STDOUT_FILENO, a->out, n) < 0)
			die("print");
		break;
	case LK_ACT_WRITE:
		if (write(a->fds[in->obj], text, in->text_len) < 0)
			die("write");
		break;
	case LK_ACT_POST:
		sem_post(a->sems[in->obj]);
		break;
	case LK_ACT_WAIT:
		while (sem_wait(a->sems[in->obj]) != 0 && errno == EINTR)
			;
		break;
	case LK_ACT_TRYWAIT:
		sem_trywait(a->sems[in->obj]);
		break;
	case LK_ACT_SLEEP:
		ts.tv_sec = (time_t)(in->ns / 1000000000u);
		ts.tv_nsec = (long)(in->ns % 1000000000u);
		nanosleep(&ts, NULL);
		break;
	default:
		break;
	}
}

/* Run instructions [lo, hi): repeats are loops with a counter stack. */
static void
run(struct agent *a, const struct lk_instr *p, uint32_t lo, uint32_t hi)
{
	uint32_t left[LK_MAX_DEPTH + 1];
	int depth = 0;
	uint32_t pc = lo;

	while (pc < hi) {
		const struct lk_instr *in = &p[pc];

		if (in->act == LK_ACT_REPEAT) {
			left[depth++] = in->times;
			pc++;
			continue;
		}
		if (in->act == LK_INSTR_END) {
			if (--left[depth - 1] > 0) {
				pc = in->jump;
			} else {
				depth--;
				pc++;
			}
			continue;
		}
		a->slot->src_line = in->line;
		a->slot->act = (uint16_t)(in->act + 1);
		perform(a, in);
		pc++;
	}
	a->slot->src_line = 0;
	a->slot->act = 0;
}

int
main(int argc, char **argv)
{
	static struct agent a;
	long slot;

	if (argc != 2) {
		fprintf(stderr,
		        "usage: lockstep-agent SLOT (run by lockstep)\n");
		return 2;
	}
	slot = strtol(argv[1], NULL, 10);
	if (slot < 0 || slot >= LK_MAX_PROCS) {
		fprintf(stderr, "lockstep-agent: bad slot %s\n", argv[1]);
		return 2;
	}
	a.sh = map_shared();
	a.slot = &a.sh->slots[slot];
	for (int i = 0; i < LK_MAX_OBJECTS; i++)
		a.fds[i] = -1;
	open_objects(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	             a.sh->prog_end[slot]);
	run(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	    a.sh->prog_end[slot]);
	return 0;
}
