/*
 * Running one scenario (see controller.h). The controller prepares the
 * shared memory, the run's private objects and work directory, spawns one
 * agent per declared process with the interposer preloaded, starts the run
 * once all of them wait at their first point, then only supervises: the
 * processes hand the turn to each other themselves. It wakes on the
 * eventfd the processes signal, on a pidfd per process, or every 100 ms.
 */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/elfcheck.h"
#include "common/stop.h"
#include "common/zygote.h"
#include "controller/controller.h"
#include "live.h"
#include "strategy/strategy.h"
#include "trace/trace.h"

#define DATA_CAP   (32u << 20)
#define CELL_BYTES 8
#define ALIGN(x)   (((x) + 63) & ~(uint64_t)63)

static unsigned run_counter;

extern char **environ;

struct run {
	const struct lk_scenario *sc;
	const struct lk_run_opts *o;
	struct lk_shared *sh;
	size_t size;
	int shm_fd, notify_fd, out_fd;
	int err_fd; /* a program's standard error (a memfd), -1 none */
	int pidfd[LK_MAX_PROCS];
	int reaped[LK_MAX_PROCS];
	int reply[LK_MAX_PROCS]; /* zygote children: their wait status */
	pid_t pgid;
	char workdir[LK_PATH_MAX];
	char run_id[32]; /* "lk<pid>x<n>": prefix of everything it names */
	int own_workdir;
	int work_fd; /* the work directory */
	int dir_fd;  /* the user's private directory (rundir.c) */
	int lock_fd; /* the run's lock there, held while it lives */
	int list_fd; /* its list of SysV objects there, for the sweep */
	char dirpath[LK_PATH_MAX];
	char list[LK_PATH_MAX];
	char **env;
	int pipes[LK_MAX_PIPES][2]; /* declared pipes, in declaration order */
	int npipes;
	uint32_t nstart;               /* processes lockstep starts itself */
	void *region[LK_MAX_DECLARED]; /* shm regions, mapped here too */
	int shmid[LK_MAX_DECLARED];    /* SysV regions, -1 */
	int semid[LK_MAX_DECLARED];    /* SysV semaphore sets, -1 */
	uint64_t holders[LK_MAX_OBJECTS][2]; /* at a deadlock, see scan */
	struct lk_pidns ns;  /* --stable-pids: the run's pid namespace */
	long spin_us;        /* LOCKSTEP_SPIN_US */
	int out_obj;         /* the object stdout */
	struct lk_live live; /* run -q: the output passed on (live.c) */
};

/* Ask a run in progress to stop (async-signal-safe). */
void
lk_run_interrupt(int sig)
{
	lk_stop_request(sig);
}

/* The signal that interrupted the last run, or 0. */
int
lk_run_interrupted(void)
{
	return lk_stop_requested();
}

/* Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Slot i's pid as lockstep sees it, 0 when there is none (any more).
 * The slot holds the pid as the run's processes see it, which under
 * --stable-pids is that of their namespace (pidns.c). */
static pid_t
host_pid(struct run *r, uint32_t i)
{
	if (r->ns.init > 0)
		return lk_pidns_host(&r->ns, r->sh, i);
	return r->sh->slots[i].pid > 0 ? r->sh->slots[i].pid : 0;
}

/* Build the environment of a scenario process: ours, with the interposer
 * preloaded first and the shared memory named. */
static char **
make_env(const char *interposer, int shm_fd)
{
	size_t n = 0, k = 0;
	char **env;
	const char *old = getenv("LD_PRELOAD");

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
		    strncmp(environ[i], LK_ENV_SHM "=", sizeof(LK_ENV_SHM)) !=
		            0)
			env[k++] = environ[i];
	if (asprintf(&env[k], "LD_PRELOAD=%s%s%s", interposer,
	             old != NULL && *old ? ":" : "",
	             old != NULL ? old : "") < 0) {
		free(env);
		return NULL;
	}
	if (asprintf(&env[k + 1], LK_ENV_SHM "=%d", shm_fd) < 0) {
		free(env[k]);
		free(env);
		return NULL;
	}
	return env;
}

/* How long a parked process spins for its turn before it sleeps, unless
 * LOCKSTEP_SPIN_US says otherwise (docs/performance.md). */
#define SPIN_US_DEFAULT 20
#define SPIN_US_MAX     1000000

/* The spin time LOCKSTEP_SPIN_US asks for, into *us; -1 on nonsense. */
static int
spin_us(long *us, struct lk_err *err)
{
	const char *v = getenv("LOCKSTEP_SPIN_US");
	char *end;

	*us = SPIN_US_DEFAULT;
	if (v == NULL)
		return 0;
	errno = 0;
	*us = strtol(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 ||
	    *us > SPIN_US_MAX) {
		lk_err_set(
		        err, LK_EXIT_USAGE,
		        "LOCKSTEP_SPIN_US=%s: expected microseconds, a whole "
		        "number from 0 to %d",
		        v, SPIN_US_MAX);
		return -1;
	}
	return 0;
}

/* Let parked processes spin us microseconds for their turn, on the CPUs
 * beside the one that holds it; with a single CPU a spinner could only
 * delay the turn. */
static void
set_spin(struct lk_shared *sh, long us)
{
	cpu_set_t cpus;
	int n = 1;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		n = CPU_COUNT(&cpus);
	sh->spin_ns = (uint32_t)us * 1000u;
	sh->max_spinners = n > 1 ? (uint32_t)(n - 1) : 0;
}

/* Create the shared memory and fill in everything but the processes. */
static int
setup_shared(struct run *r, struct lk_err *err)
{
	const struct lk_scenario *sc = r->sc;
	uint64_t ninstr, ntext, off, max_events;
	struct lk_shared *sh;
	struct stat st;

	lk_program_size(sc, &ninstr, &ntext);
	max_events = r->o->max_steps ? r->o->max_steps : LK_DEFAULT_MAX_STEPS;
	off = ALIGN(sizeof(struct lk_shared));
	uint64_t prog_off = off;
	off = ALIGN(off + (ninstr + 1) * sizeof(struct lk_instr));
	uint64_t text_off = off;
	off = ALIGN(off + ntext + 1);
	uint64_t sems_off = off;
	off = ALIGN(off + LK_MAX_OBJECTS * sizeof(sem_t));
	uint64_t forced_off = off;
	off = ALIGN(off + r->o->nforced * sizeof(struct lk_decision));
	uint64_t events_off = off;
	off = ALIGN(off + max_events * sizeof(struct lk_event));
	uint64_t data_off = off;
	off = ALIGN(off + DATA_CAP);

	r->shm_fd = memfd_create("lockstep", MFD_CLOEXEC);
	if (r->shm_fd < 0 || ftruncate(r->shm_fd, (off_t)off) != 0)
		goto fail;
	sh = mmap(NULL, off, PROT_READ | PROT_WRITE, MAP_SHARED, r->shm_fd, 0);
	if (sh == MAP_FAILED)
		goto fail;
	r->sh = sh;
	r->size = off;
	sh->magic = LK_PROTO_MAGIC;
	sh->version = LK_PROTO_VERSION;
	sh->size = off;
	memcpy(sh->run_id, r->run_id, sizeof(sh->run_id));
	memcpy(sh->sysv_list, r->list, sizeof(sh->sysv_list));
	snprintf(sh->interposer, sizeof(sh->interposer), "%s",
	         r->o->interposer);
	sh->running = -1;
	sh->max_events = (uint32_t)max_events;
	/* In a pid namespace lockstep's pid means nothing (another process
	 * or none): there, its death kills the namespace's init, which
	 * takes every process with it. */
	sh->controller = r->o->stable_pids ? 0 : (int32_t)getpid();
	sh->max_procs = r->o->max_procs;
	sh->track_shm = (uint32_t)r->o->track_shm;
	sh->perturb = (uint32_t)r->o->perturb;
	set_spin(sh, r->spin_us);
	sh->prog_off = prog_off;
	sh->text_off = text_off;
	sh->sems_off = sems_off;
	sh->events_off = events_off;
	sh->forced_off = forced_off;
	sh->nforced = (uint32_t)r->o->nforced;
	sh->strict = (uint32_t)r->o->strict;
	if (r->o->nforced > 0)
		memcpy(lk_shared_forced(sh), r->o->forced,
		       r->o->nforced * sizeof(struct lk_decision));
	sh->data_off = data_off;
	sh->data_cap = DATA_CAP;
	if (r->o->strategy == LK_STRAT_PCT)
		lk_strategy_init_pct(&sh->strategy, r->o->seed,
		                     r->o->pct_depth ? r->o->pct_depth : 3,
		                     r->o->pct_steps ? r->o->pct_steps : 100);
	else
		lk_strategy_init(&sh->strategy, r->o->strategy, r->o->seed);
	if (fstat(r->shm_fd, &st) != 0)
		goto fail;
	if (lk_program_build(sc, sh, ninstr + 1, ntext + 1, err) != 0)
		return -1;

	for (size_t i = 0; i < sc->nobjects; i++) {
		const struct lk_sc_object *so = &sc->objects[i];
		struct lk_object *o = &sh->objects[i];

		o->decl = (int32_t)i;
		snprintf(o->name, sizeof(o->name), "%s", so->name);
		o->region = -1;
		if (so->kind == LK_OBJ_FILE || so->kind == LK_OBJ_FIFO) {
			o->type = so->kind == LK_OBJ_FILE ? LK_OT_FILE
			                                  : LK_OT_FIFO;
			if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s",
			                     r->workdir, so->u.file.path) >=
			    sizeof(o->path)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
		} else if (so->kind == LK_OBJ_SOCKET) {
			/* Inert until the <listen> gives it its socket's
			 * inode: then the listener the interposer finds is
			 * this object, under its declared name. */
			o->type = LK_OT_SOCK;
			if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s",
			                     r->workdir, so->u.file.path) >=
			    sizeof(o->path)) {
				errno = ENAMETOOLONG;
				goto fail;
			}
		} else if (so->kind == LK_OBJ_PIPE) {
			o->type = LK_OT_PIPE;
		} else if (so->kind == LK_OBJ_SHM) {
			o->type = LK_OT_SHM;
			o->size = (uint64_t)so->u.shm.ncells * CELL_BYTES;
			o->slot = so->u.shm.kind;
		} else if (so->kind == LK_OBJ_MUTEX ||
		           so->kind == LK_OBJ_COND ||
		           so->kind == LK_OBJ_BARRIER) {
			/* Claimed by the first process that uses it (the
			 * agent gives it its memory: ino 0, off, key); until
			 * then key -1 matches no memory. */
			o->type = so->kind == LK_OBJ_MUTEX  ? LK_OT_MUTEX
			          : so->kind == LK_OBJ_COND ? LK_OT_COND
			                                    : LK_OT_BARRIER;
			o->key = -1;
		} else if (so->kind == LK_OBJ_SEMSET) {
			o->type = LK_OT_SEMSET;
			o->slot = so->u.semset.n;
		} else if (so->kind == LK_OBJ_CELL) {
			o->type = LK_OT_CELL;
			o->region = so->u.cell.shm;
			o->slot = so->u.cell.slot;
		} else if (so->u.sem.kind == LK_SEM_UNNAMED) {
			o->type = LK_OT_SEM_UNNAMED;
			o->ino = st.st_ino;
			o->off = sems_off + i * sizeof(sem_t);
		} else {
			o->type = LK_OT_SEM_NAMED;
		}
		if (so->kind == LK_OBJ_SEM) {
			o->value = (int32_t)so->u.sem.value;
			o->has_value = 1;
		}
	}
	sh->nobjects = (uint32_t)sc->nobjects;
	return 0;
fail:
	lk_err_set(err, LK_EXIT_INTERNAL, "cannot set up shared memory: %s",
	           strerror(errno));
	return -1;
}

/* Make declared pipe o: its ends are given to every process at
 * LK_PIPE_FD + 2k and + 1; o->path is what /proc shows for them. */
static int
setup_pipe(struct run *r, struct lk_object *o)
{
	int k = r->npipes, *p = r->pipes[k];
	char link[64];
	ssize_t n;

	if (k >= LK_MAX_PIPES) {
		errno = EMFILE;
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	r->npipes++;
	o->fd[0] = LK_PIPE_FD + 2 * k;
	o->fd[1] = LK_PIPE_FD + 2 * k + 1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", p[0]);
	n = readlink(link, o->path, sizeof(o->path) - 1);
	if (n < 0)
		return -1;
	o->path[n] = '\0';
	return 0;
}

/* A SysV key for object i of the run, not yet in use by tries keys. */
static key_t
sysv_key(const struct run *r, int i, int tries)
{
	uint32_t h = 2166136261u;

	for (const char *c = r->sh->run_id; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return (key_t)(int32_t)((h + (uint32_t)i * 7919u +
	                         (uint32_t)tries * 104729u) |
	                        1u);
}

/* Make SysV semaphore set i with its initial values; listed for the
 * sweep, removed at the end. -1 with errno, or -2 with err. */
static int
setup_semset(struct run *r, int i, struct lk_err *err)
{
	struct lk_object *o = &r->sh->objects[i];
	const struct lk_sc_object *so = &r->sc->objects[i];
	int id = -1;

	for (int tries = 0; id < 0 && tries < 64; tries++) {
		o->key = sysv_key(r, i, tries);
		id = semget((key_t)o->key, (int)so->u.semset.n,
		            IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0 && errno != EEXIST)
			return -1;
	}
	if (id < 0)
		return -1;
	r->semid[i] = id;
	o->ino = (uint64_t)id + 1;
	if (lk_sysv_record(r->list_fd, r->list, 'm', id, (key_t)o->key, err) !=
	    0)
		return -2;
	for (unsigned k = 0; k < so->u.semset.n; k++)
		if (semctl(id, (int)k, SETVAL, (int)so->u.semset.values[k]) !=
		    0)
			return -1;
	return 0;
}

/* Make shared memory region i with its cells' initial values. POSIX:
 * a private name (as semaphores); SysV: a key of this run, listed for
 * the sweep. The controller keeps its own mapping to read the final
 * values. -1 with errno, or -2 with err. */
static int
setup_region(struct run *r, int i, struct lk_err *err)
{
	struct lk_shared *sh = r->sh;
	struct lk_object *o = &sh->objects[i];
	size_t size = (size_t)o->size;
	char priv[LK_PATH_MAX - 16];
	int64_t *cells;
	void *m;
	int fd;

	if (o->slot == LK_SHM_SYSV) {
		for (int tries = 0;; tries++) {
			o->key = sysv_key(r, i, tries);
			r->shmid[i] = shmget((key_t)o->key, size,
			                     IPC_CREAT | IPC_EXCL | 0600);
			if (r->shmid[i] >= 0 || errno != EEXIST || tries > 64)
				break;
		}
		if (r->shmid[i] < 0)
			return -1;
		if (lk_sysv_record(r->list_fd, r->list, 's', r->shmid[i],
		                   (key_t)o->key, err) != 0)
			return -2;
		o->ino = (uint64_t)r->shmid[i] + 1;
		m = shmat(r->shmid[i], NULL, 0);
		if (m == (void *)-1)
			return -1;
	} else {
		if (lk_private_name(sh->run_id, o->name, priv, sizeof(priv)) !=
		    0)
			return -1;
		snprintf(o->path, sizeof(o->path), "/dev/shm%s", priv);
		fd = shm_open(priv, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
		              0600);
		if (fd < 0)
			return -1;
		if (ftruncate(fd, (off_t)size) != 0) {
			close(fd);
			return -1;
		}
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			return -1;
	}
	r->region[i] = m;
	cells = m;
	for (size_t c = 0; c < r->sc->nobjects; c++)
		if (r->sc->objects[c].kind == LK_OBJ_CELL &&
		    r->sc->objects[c].u.cell.shm == i)
			cells[r->sc->objects[c].u.cell.slot] =
			        (int64_t)r->sc->objects[c].u.cell.value;
	return 0;
}

/* Create the declared objects: semaphores and files. */
static int
setup_objects(struct run *r, struct lk_err *err)
{
	const struct lk_scenario *sc = r->sc;
	struct lk_shared *sh = r->sh;
	char priv[300], link[64];
	ssize_t n;
	int rc = -1;

	for (size_t i = 0; i < sc->nobjects; i++) {
		const struct lk_sc_object *so = &sc->objects[i];
		struct lk_object *o = &sh->objects[i];
		sem_t *s;

		if (o->type == LK_OT_SEM_UNNAMED) {
			s = (sem_t *)((char *)sh + sh->sems_off) + i;
			if (sem_init(s, 1, so->u.sem.value) != 0)
				goto fail;
		} else if (o->type == LK_OT_SEM_NAMED) {
			if (lk_private_name(sh->run_id, o->name, priv,
			                    sizeof(priv)) != 0)
				goto fail;
			s = sem_open(priv, O_CREAT | O_EXCL, 0600,
			             so->u.sem.value);
			if (s == SEM_FAILED)
				goto fail;
			sem_close(s);
		} else if (o->type == LK_OT_FILE || o->type == LK_OT_FIFO) {
			if (lk_create_at(r->work_fd, so->u.file.path,
			                 o->type == LK_OT_FIFO) != 0) {
				lk_err_set(err,
				           r->own_workdir ? LK_EXIT_INTERNAL
				                          : LK_EXIT_USAGE,
				           "%s: cannot create it: %s%s",
				           o->path, strerror(errno),
				           errno == ELOOP || errno == ENOTDIR
				                   ? " (a link on the way is "
				                     "not followed)"
				                   : "");
				return -1;
			}
		} else if (o->type == LK_OT_SOCK) {
			struct stat sst;

			/* A socket left by an earlier run in --workdir would
			 * make <listen>'s bind fail: only a socket goes. */
			if (fstatat(r->work_fd, so->u.file.path, &sst,
			            AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISSOCK(sst.st_mode))
				unlinkat(r->work_fd, so->u.file.path, 0);
		} else if (o->type == LK_OT_PIPE) {
			if (setup_pipe(r, o) != 0)
				goto fail;
		} else if (o->type == LK_OT_SHM) {
			if ((rc = setup_region(r, (int)i, err)) != 0)
				goto fail;
		} else if (o->type == LK_OT_SEMSET) {
			if ((rc = setup_semset(r, (int)i, err)) != 0)
				goto fail;
		}
	}
	/* Standard output of every process: one memfd, offsets shared. */
	r->out_fd = memfd_create("lockstep-output", MFD_CLOEXEC);
	if (r->out_fd < 0 || sh->nobjects >= LK_MAX_OBJECTS)
		goto fail;
	struct lk_object *out = &sh->objects[sh->nobjects];
	out->type = LK_OT_STREAM;
	out->decl = -1;
	snprintf(out->name, sizeof(out->name), "stdout");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", r->out_fd);
	n = readlink(link, out->path, sizeof(out->path) - 1);
	if (n < 0)
		goto fail;
	out->path[n] = '\0';
	r->out_obj = (int)sh->nobjects;
	sh->nobjects++;
	/* A program's standard error: captured too, apart, so that it is
	 * part of the outcome, and the same kind of object wherever
	 * lockstep's own stderr goes (a tty, a pipe, a file). The
	 * interposer names it "stderr" when it is first written, as
	 * before: no object of its own here, so pipes keep their names. */
	if (r->sc->program != NULL) {
		r->err_fd = memfd_create("lockstep-stderr", MFD_CLOEXEC);
		if (r->err_fd < 0)
			goto fail;
	}
	return 0;
fail:
	if (rc != -2) /* else err says why */
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "cannot create the run's objects: %s",
		           strerror(errno));
	return -1;
}

/* The byte limit of any file a scenario process writes. */
static uint64_t
max_output(const struct run *r)
{
	return r->o->max_output ? r->o->max_output : LK_DEFAULT_MAX_OUTPUT;
}

/* close_range(lo, hi) but for the descriptors keep[0..2] (-1: none). */
static void
close_but(unsigned lo, unsigned hi, const int keep[3])
{
	int k[3] = {keep[0], keep[1], keep[2]};

	/* In order, so the ranges between them can be closed. */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (k[j] < k[i]) {
				int t = k[i];

				k[i] = k[j];
				k[j] = t;
			}
	for (int i = 0; i < 3; i++) {
		if (k[i] < 0 || (unsigned)k[i] < lo || (unsigned)k[i] > hi)
			continue;
		if ((unsigned)k[i] > lo)
			syscall(SYS_close_range, lo, (unsigned)k[i] - 1, 0u);
		lo = (unsigned)k[i] + 1;
	}
	if (lo <= hi)
		syscall(SYS_close_range, lo, hi, 0u);
}

/*
 * In the child, before the exec: the run's shared memory and eventfd at
 * the top of the descriptor table (below RLIMIT_NOFILE and 1024), and no
 * other descriptor but 0, 1, 2, the pipe ends and a program's standard
 * error (still to be put at 2): the numbers a program's open and pipe
 * get, which its trace shows, do not depend on what the caller of
 * lockstep left open. buf receives the environment entry that names the
 * two (env's LOCKSTEP_SHM_FD entry is pointed at it).
 */
static void
tidy_fds(struct run *r, char *buf, size_t size)
{
	struct rlimit rl;
	int top = 1023, keep[3] = {r->shm_fd, r->notify_fd, r->err_fd};
	unsigned pipes_end = LK_PIPE_FD + 2u * (unsigned)r->npipes;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= 1024)
		top = (int)rl.rlim_cur - 1;
	if (top - 1 > (int)pipes_end && keep[0] < top - 1 &&
	    keep[1] < top - 1 && keep[2] < top - 1 &&
	    dup2(keep[0], top) == top && dup2(keep[1], top - 1) == top - 1) {
		keep[0] = top;
		keep[1] = top - 1;
	}
	close_but(3, LK_PIPE_FD - 1, keep);
	close_but(pipes_end, ~0u, keep);
	snprintf(buf, size, LK_ENV_SHM "=%d:%d", keep[0], keep[1]);
	for (size_t k = 0; r->env[k] != NULL; k++)
		if (strncmp(r->env[k], LK_ENV_SHM "=", sizeof(LK_ENV_SHM)) == 0)
			r->env[k] = buf;
	r->shm_fd = keep[0];
	r->notify_fd = keep[1];
}

/* In the child: exec the program with the argv[0] the user typed, its
 * standard error the run's (our own kept for the message if it fails). */
static void
exec_program(struct run *r)
{
	char *const *argv = r->o->program;
	size_t n = 0;
	char **av;
	int keep = fcntl(2, F_DUPFD_CLOEXEC, 3);
	FILE *f;

	while (argv[n] != NULL)
		n++;
	av = calloc(n + 1, sizeof(*av));
	if (av == NULL || n == 0 || keep < 0 || dup2(r->err_fd, 2) < 0)
		_exit(127);
	memcpy(av, argv, n * sizeof(*av));
	if (r->o->argv0 != NULL)
		av[0] = (char *)r->o->argv0;
	execve(argv[0], av, r->env);
	f = fdopen(keep, "w");
	if (f != NULL)
		fprintf(f, "lockstep: cannot run %s: %s\n", argv[0],
		        strerror(errno));
	_exit(127);
}

/* In the child, for a program: PWD names the directory it starts in, as
 * the shell that starts a program sets it, whatever the environment
 * lockstep was started from said (sh -c wrapping lockstep, a test
 * harness): a shell checks $PWD against ".", and looking names up is a
 * step (runner/interposer/fsname.c), so the trace must not depend on
 * it. */
static void
program_pwd(struct run *r)
{
	char cwd[LK_PATH_MAX], *pwd;
	size_t n = 0, at;

	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    asprintf(&pwd, "PWD=%s", cwd) < 0)
		return;
	while (r->env[n] != NULL)
		n++;
	for (at = 0; at < n && strncmp(r->env[at], "PWD=", 4) != 0; at++)
		;
	if (at == n) {
		char **env = calloc(n + 2, sizeof(*env));

		if (env == NULL)
			return;
		memcpy(env, r->env, n * sizeof(*env));
		r->env = env; /* the child's copy: it execs or exits */
	}
	r->env[at] = pwd;
}

/* In the child: become scenario process i and exec the agent. */
static void
exec_agent(struct run *r, int i)
{
	char arg[16], shm_env[64];
	char *argv[] = {(char *)r->o->agent, arg, NULL};
	int devnull;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, r->pgid);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* A program runs where it was started, like under strace -f; a
	 * scenario's processes in the run's work directory. */
	if (r->o->program == NULL && chdir(r->workdir) != 0)
		_exit(127);
	/* A copy-on-write view of the files, for the program and everything
	 * it starts: never the real ones once promised. Before the file
	 * size limit, which a private copy must not hit. */
	if (r->o->program != NULL && r->o->isolate) {
		char why[256];

		/* The list of SysV objects the interposer appends to must
		 * reach lockstep, wherever the private directory is. */
		if (lk_fsiso_enter(r->list, why, sizeof(why)) != 0) {
			fprintf(stderr,
			        "lockstep: cannot isolate the run's files: "
			        "%s\n",
			        why);
			_exit(127);
		}
	}
	/* Its own network, only a loopback: ports no other run sees. */
	if (r->o->program != NULL && r->o->netns) {
		char why[256];

		if (lk_netns_enter(why, sizeof(why)) != 0) {
			fprintf(stderr,
			        "lockstep: cannot isolate the run's network: "
			        "%s\n",
			        why);
			_exit(127);
		}
	}
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(r->out_fd, 1) < 0)
		_exit(127);
	{
		/* --max-output: the kernel stops any file from growing past
		 * it (SIGXFSZ), raw writes included. */
		struct rlimit rl = {max_output(r), max_output(r)};

		setrlimit(RLIMIT_FSIZE, &rl);
	}
	/* Every pipe end at its number (dup2 clears close-on-exec). */
	for (int k = 0; k < r->npipes; k++)
		if (dup2(r->pipes[k][0], LK_PIPE_FD + 2 * k) < 0 ||
		    dup2(r->pipes[k][1], LK_PIPE_FD + 2 * k + 1) < 0)
			_exit(127);
	tidy_fds(r, shm_env, sizeof(shm_env));
	/* The shared memory and the eventfd survive exec; nothing else. */
	fcntl(r->shm_fd, F_SETFD, 0);
	fcntl(r->notify_fd, F_SETFD, 0);
	snprintf(arg, sizeof(arg), "%d", i);
	r->sh->slots[i].pid = getpid();
	if (r->o->program != NULL) {
		int v = lk_elf_check(r->o->program[0]);

		if (v != LK_ELF_OK) {
			fprintf(stderr,
			        "lockstep: cannot follow %s: %s (the "
			        "interposer cannot be preloaded)\n",
			        r->o->program[0], lk_elf_why(v));
			_exit(127);
		}
		program_pwd(r);
		exec_program(r);
	}
	execve(r->o->agent, argv, r->env);
	fprintf(stderr, "lockstep: cannot run %s: %s\n", r->o->agent,
	        strerror(errno));
	_exit(127);
}

struct ns_main {
	struct run *r;
	int slot;
};

/* In the namespace's second process: become the program's main. */
static void
ns_main(void *arg)
{
	struct ns_main *m = arg;

	exec_agent(m->r, m->slot);
}

/* --stable-pids: the program's main process as pid 2 of a new pid
 * namespace, under its init (pidns.c), which is our child and leads the
 * process group kill_all kills. */
static int
spawn_in_namespace(struct run *r, struct lk_err *err)
{
	struct ns_main m = {r, 0};
	pid_t pid, main_pid;

	pid = lk_pidns_start(&r->ns, ns_main, &m, &main_pid, err);
	if (pid < 0)
		return -1;
	r->pgid = pid;
	setpgid(pid, pid);
	r->sh->slots[0].pid = main_pid;
	return 0;
}

/* Spawn one agent per declared process. */
static int
spawn(struct run *r, struct lk_err *err)
{
	struct lk_shared *sh = r->sh;

	for (size_t i = 0; i < r->sc->nprocs; i++) {
		struct lk_slot *s = &sh->slots[i];

		snprintf(s->name, sizeof(s->name), "%s", r->sc->procs[i].name);
		s->parent = -1;
		s->blocked_on = -1;
		s->pending_obj = -1;
		s->state = LK_SLOT_SPAWNED;
	}
	sh->nslots = (uint32_t)r->sc->nprocs;
	for (size_t i = 0; i < r->sc->nprocs; i++)
		if (r->sc->procs[i].spawned)
			sh->slots[i].state = LK_SLOT_FREE;
		else
			r->nstart++;
	for (size_t i = 0; r->o->zygote != NULL && i < r->sc->nprocs; i++) {
		int fds[3] = {r->shm_fd, r->notify_fd, r->out_fd};
		pid_t pid;

		if (r->sc->procs[i].spawned)
			continue;
		pid = lk_zygote_spawn(r->o->zygote, (int)i, r->pgid, r->workdir,
		                      fds, r->pipes, r->npipes, max_output(r),
		                      &r->reply[i]);

		if (pid < 0) {
			lk_err_set(err, LK_EXIT_INTERNAL,
			           "the zygote could not fork: %s",
			           strerror(errno));
			return -1;
		}
		if (r->pgid == 0)
			r->pgid = pid;
		sh->slots[i].pid = pid;
		r->pidfd[i] = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	if (r->o->stable_pids)
		return spawn_in_namespace(r, err);
	for (size_t i = 0; r->o->zygote == NULL && i < r->sc->nprocs; i++) {
		pid_t pid;

		if (r->sc->procs[i].spawned)
			continue;
		pid = fork();

		if (pid < 0) {
			lk_err_set(err, LK_EXIT_INTERNAL, "cannot fork: %s",
			           strerror(errno));
			return -1;
		}
		if (pid == 0)
			exec_agent(r, (int)i);
		if (r->pgid == 0)
			r->pgid = pid;
		setpgid(pid, r->pgid);
		sh->slots[i].pid = pid;
		r->pidfd[i] = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	return 0;
}

/* Kill every scenario process and reap every child. */
static void
kill_all(struct run *r)
{
	struct lk_shared *sh = r->sh;

	if (r->pgid > 0)
		kill(-r->pgid, SIGKILL);
	for (uint32_t i = 0; i < sh->nslots; i++) {
		pid_t pid = r->reaped[i] ? 0 : host_pid(r, i);

		if (pid > 0)
			kill(pid, SIGKILL);
	}
}

/* Reap the run's processes that are our children (the zygote reaps
 * its own), then orphans handed to us as subreaper, without waiting. */
static void
reap_all(struct run *r)
{
	int status;

	/* The namespace's init is our child; once it is gone the kernel
	 * has killed and reaped every process of the namespace. */
	while (r->ns.init > 0 && waitpid(r->ns.init, &status, __WALL) < 0 &&
	       errno == EINTR)
		;
	for (uint32_t i = 0;
	     r->o->zygote == NULL && r->ns.init <= 0 && i < r->sc->nprocs; i++)
		if (!r->reaped[i] && r->sh->slots[i].pid > 0)
			while (waitpid(r->sh->slots[i].pid, &status, __WALL) <
			               0 &&
			       errno == EINTR)
				;
	while (waitpid(-1, &status, __WALL | WNOHANG) > 0)
		;
	for (uint32_t i = 0; i < LK_MAX_PROCS; i++)
		if (r->reply[i] >= 0) {
			close(r->reply[i]);
			r->reply[i] = -1;
		}
	for (uint32_t i = 0; i < LK_MAX_PROCS; i++)
		if (r->pidfd[i] >= 0) {
			close(r->pidfd[i]);
			r->pidfd[i] = -1;
		}
}

/* How a process that is not our child ended, from its zombie's
 * /proc/PID/stat (field 52, the wait status), while its parent has not
 * reaped it yet; si is left zero when that is too late. */
static void
zombie_status(pid_t pid, siginfo_t *si)
{
	char path[64], buf[1024], *p;
	int status = -1, field = 2;
	ssize_t n;
	int fd;

	memset(si, 0, sizeof(*si));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* The name (field 2) may hold blanks: count from its ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return;
	for (p++; *p != '\0' && field < 52; p++)
		if (*p == ' ')
			field++;
	if (field == 52)
		status = atoi(p);
	if (status < 0)
		return;
	si->si_code = WIFSIGNALED(status) ? CLD_KILLED : CLD_EXITED;
	si->si_status =
	        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
}

/* The state letter of process pid (/proc/PID/stat: R, S, D, Z, ...),
 * or 'X' when it is gone. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 'X';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 'X';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : 'X';
}

/* Has process pid ended (gone, or a zombie nobody reaped yet)? */
static int
dead(pid_t pid)
{
	char c = proc_state(pid);

	return c == 'Z' || c == 'X';
}

/* At a deadlock every process left should sleep at its point; one that
 * does not is on its way out (killed by another): give the kernel a
 * moment (at most 100 ms) to finish it. */
static void
settle(struct run *r)
{
	const struct lk_shared *sh = r->sh;

	for (int tries = 0; tries < 50; tries++) {
		int busy = 0;

		for (uint32_t i = 0; i < sh->nslots; i++) {
			char c;

			if (sh->slots[i].pid <= 0 ||
			    sh->slots[i].state == LK_SLOT_EXITED ||
			    sh->slots[i].state == LK_SLOT_FREE)
				continue;
			c = proc_state(host_pid(r, i));
			busy |= c == 'R' || c == 'D';
		}
		if (!busy)
			return;
		usleep(2000);
	}
}

/* A process died: was it a crash? Fills culprit and signal. */
static int
check_death(struct run *r, uint32_t i, struct lk_trace *t)
{
	siginfo_t si;
	struct lk_slot *s = &r->sh->slots[i];

	memset(&si, 0, sizeof(si));
	if (i < LK_MAX_PROCS && r->reply[i] >= 0) {
		/* A child of the zygote: it sends the wait status. */
		struct lk_zygote_msg m;
		struct pollfd p = {r->reply[i], POLLIN, 0};

		r->reaped[i] = 1;
		if (poll(&p, 1, 1000) == 1 &&
		    read(r->reply[i], &m, sizeof(m)) == (ssize_t)sizeof(m) &&
		    m.kind == LK_ZY_EXITED) {
			si.si_code =
			        WIFSIGNALED(m.status) ? CLD_KILLED : CLD_EXITED;
			si.si_status = WIFSIGNALED(m.status)
			                       ? WTERMSIG(m.status)
			                       : WEXITSTATUS(m.status);
		}
	} else {
		/* Not our child (a fork of a scenario process): its death
		 * is seen, but its parent (or we, as subreaper) reaps it. */
		if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd[i], &si,
		           WEXITED | WNOWAIT | WNOHANG) != 0)
			zombie_status(host_pid(r, i), &si);
		/* Reaped by its parent already: the parent's interposer
		 * says how it died (it may be storing it right now). */
		for (int tries = 0; si.si_code == 0 &&
		                    s->state != LK_SLOT_EXITED && tries < 100;
		     tries++) {
			int ws = *(volatile int32_t *)&s->died - 1;

			if (ws >= 0) {
				si.si_code = WIFSIGNALED(ws) ? CLD_KILLED
				                             : CLD_EXITED;
				si.si_status = WIFSIGNALED(ws)
				                       ? WTERMSIG(ws)
				                       : WEXITSTATUS(ws);
				break;
			}
			usleep(1000);
		}
		r->reaped[i] = 1;
	}
	if (s->state == LK_SLOT_EXITED)
		return 0;
	t->culprit = (int)i;
	t->signal = si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED
	                    ? si.si_status
	                    : 0;
	if (si.si_code == CLD_EXITED) {
		/* Exited without an exit step: _exit of an unwrapped path,
		 * or the agent or program could not start. */
		t->signal = 0;
		t->lost_status = si.si_status;
	}
	return 1;
}

/* Give the first turn: the same pick as at every later point. */
static void
start(struct run *r)
{
	struct lk_shared *sh = r->sh;
	int first;

	atomic_store(&sh->state, LK_RUN_RUNNING);
	first = lk_pick(sh, -1);
	if (first < 0) {
		atomic_store(&sh->state,
		             first == -2 ? LK_RUN_DIVERGED : LK_RUN_DEADLOCK);
		return;
	}
	sh->running = first;
	atomic_store(&sh->slots[first].go, 1);
	syscall(SYS_futex, &sh->slots[first].go, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The access mode (O_RDONLY, ...) of descriptor fd of process pid. */
static int
access_mode(pid_t pid, const char *fd)
{
	char path[64 + 260], line[128];
	unsigned long flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, fd);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	fclose(f);
	return (int)(flags & O_ACCMODE);
}

/*
 * At a deadlock, while the processes still live: who holds which end of
 * every pipe, FIFO and socket, from /proc/PID/fd. A reader waiting for the end
 * of file waits for every process that still holds a write end.
 */
static void
scan_holders(struct run *r)
{
	struct lk_shared *sh = r->sh;

	for (uint32_t i = 0; i < sh->nslots; i++) {
		char dir[64], link[64 + 260], path[LK_PATH_MAX];
		struct dirent *de;
		DIR *d;

		if (sh->slots[i].pid <= 0 ||
		    sh->slots[i].state == LK_SLOT_EXITED)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)host_pid(r, i));
		if ((d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			ssize_t n;
			int acc;

			snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
			n = readlink(link, path, sizeof(path) - 1);
			if (n <= 0)
				continue;
			path[n] = '\0';
			for (uint32_t o = 0; o < sh->nobjects; o++) {
				unsigned long long ino;

				/* A socket's end (the bytes it reads): its own
				 * descriptors read, its peer's write. */
				if (sh->objects[o].type == LK_OT_SOCK &&
				    sscanf(path, "socket:[%llu]", &ino) == 1) {
					if (ino == sh->objects[o].ino)
						r->holders[o][0] |= 1ull << i;
					if (ino == sh->objects[o].off &&
					    ino != 0)
						r->holders[o][1] |= 1ull << i;
					continue;
				}
				if ((sh->objects[o].type != LK_OT_PIPE &&
				     sh->objects[o].type != LK_OT_FIFO) ||
				    strcmp(sh->objects[o].path, path) != 0)
					continue;
				acc = access_mode(host_pid(r, i), de->d_name);
				if (acc == O_RDONLY || acc == O_RDWR)
					r->holders[o][0] |= 1ull << i;
				if (acc == O_WRONLY || acc == O_RDWR)
					r->holders[o][1] |= 1ull << i;
			}
		}
		closedir(d);
	}
}

/*
 * At a deadlock: who holds a record lock (fcntl, OFD or flock) on each
 * declared or discovered file, from /proc/locks ("1: POSIX ADVISORY
 * WRITE PID MAJ:MIN:INODE START END"), into holders[o][1].
 */
static void
scan_locks(struct run *r)
{
	struct lk_shared *sh = r->sh;
	char line[256];
	FILE *f = fopen("/proc/locks", "re");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long ino;
		int pid;
		struct stat st;

		if (strstr(line, "->") != NULL || /* a waiter, not a holder */
		    sscanf(line, "%*d: %*s %*s %*s %d %*x:%*x:%lu", &pid,
		           &ino) != 2)
			continue;
		for (uint32_t o = 0; o < sh->nobjects; o++) {
			if (sh->objects[o].type != LK_OT_FILE ||
			    stat(sh->objects[o].path, &st) != 0 ||
			    st.st_ino != ino)
				continue;
			for (uint32_t i = 0; i < sh->nslots; i++)
				if (host_pid(r, i) == pid)
					r->holders[o][1] |= 1ull << i;
		}
	}
	fclose(f);
}

/* The system call process pid sits in (/proc/PID/syscall), or -1 when
 * it is running or unknown. */
static int
stuck_in(pid_t pid)
{
	char path[64], buf[64];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL && buf[0] >= '0' &&
	    buf[0] <= '9')
		nr = strtol(buf, NULL, 10);
	fclose(f);
	return (int)nr;
}

/* Supervise until the run ends; sets the verdict. */
static void
supervise(struct run *r, struct lk_trace *t)
{
	struct lk_shared *sh = r->sh;
	struct pollfd pfd[LK_MAX_PROCS + 2];
	int slot_of[LK_MAX_PROCS + 2];
	uint64_t start_ms = now_ms(), last_ms = start_ms;
	uint32_t last_n = 0, last_ready = 0;
	unsigned step_to = r->o->step_timeout_ms ? r->o->step_timeout_ms
	                                         : LK_DEFAULT_STEP_TIMEOUT_MS;
	int started = 0, live_wait = -1;

	for (;;) {
		uint32_t n, st;
		int np = 0;
		uint64_t buf, now;

		pfd[np].fd = r->notify_fd;
		pfd[np].events = POLLIN;
		slot_of[np++] = -1;
		/* run -q: lockstep's stdout or stderr, full, that the output
		 * passed on waits for. */
		if (live_wait >= 0) {
			pfd[np].fd = live_wait;
			pfd[np].events = POLLOUT;
			slot_of[np++] = -1;
		}
		for (uint32_t i = 0; i < sh->nslots; i++) {
			if (r->pidfd[i] < 0 && !r->reaped[i] &&
			    host_pid(r, i) > 0) {
				r->pidfd[i] = (int)syscall(SYS_pidfd_open,
				                           host_pid(r, i), 0);
				/* Killed and reaped by its parent before we
				 * looked: no pidfd will ever tell, so its
				 * death is checked now (the parent's wait
				 * stored the status in the slot). */
				if (r->pidfd[i] < 0 && errno == ESRCH &&
				    sh->slots[i].state != LK_SLOT_EXITED &&
				    sh->slots[i].state != LK_SLOT_FREE &&
				    check_death(r, i, t)) {
					t->verdict = LK_V_CRASH;
					return;
				}
			}
			if (r->pidfd[i] < 0 || r->reaped[i])
				continue;
			pfd[np].fd = r->pidfd[i];
			pfd[np].events = POLLIN;
			slot_of[np++] = (int)i;
		}
		poll(pfd, (nfds_t)np, 100);
		if (pfd[0].revents & POLLIN) {
			if (read(r->notify_fd, &buf, sizeof(buf)) < 0) {
				/* nothing to drain */
			}
		}
		live_wait = lk_live_pump(&r->live, sh);
		if (lk_stop_requested() || atomic_load(&sh->sysv_err) != 0) {
			t->verdict = LK_V_INTERRUPTED;
			return;
		}
		st = atomic_load(&sh->state);
		/* A process killed while it waited looks like a deadlock to
		 * the others: it is a crash. */
		if (st == LK_RUN_DEADLOCK)
			settle(r);
		for (uint32_t i = 0; st == LK_RUN_DEADLOCK && i < sh->nslots;
		     i++)
			if (sh->slots[i].pid > 0 &&
			    sh->slots[i].state != LK_SLOT_EXITED &&
			    sh->slots[i].state != LK_SLOT_FREE &&
			    dead(host_pid(r, i))) {
				check_death(r, i, t); /* culprit, signal */
				t->verdict = LK_V_CRASH;
				t->culprit = (int)i;
				return;
			}
		if (st == LK_RUN_DONE || st == LK_RUN_DEADLOCK ||
		    st == LK_RUN_LIMIT || st == LK_RUN_DIVERGED) {
			t->verdict = st == LK_RUN_DONE       ? LK_V_DONE
			             : st == LK_RUN_LIMIT    ? LK_V_LIMIT
			             : st == LK_RUN_DIVERGED ? LK_V_DIVERGED
			                                     : LK_V_DEADLOCK;
			return;
		}
		for (int k = 1; k < np; k++)
			if (slot_of[k] >= 0 && (pfd[k].revents & POLLIN) &&
			    check_death(r, (uint32_t)slot_of[k], t)) {
				t->verdict = LK_V_CRASH;
				return;
			}
		if (!started && atomic_load(&sh->nready) == r->nstart) {
			started = 1;
			start(r);
		}
		now = now_ms();
		n = atomic_load(&sh->nevents);
		if (n != last_n || sh->nready != last_ready) {
			last_n = n;
			last_ready = sh->nready;
			last_ms = now;
		}
		if (now - last_ms > step_to) {
			t->verdict = LK_V_TIMEOUT;
			t->culprit = started ? sh->running : -1;
			for (uint32_t i = 0; !started && i < sh->nslots; i++)
				if (sh->slots[i].state == LK_SLOT_SPAWNED)
					t->culprit = (int)i;
			if (t->culprit >= 0)
				t->stuck = stuck_in(
				        host_pid(r, (uint32_t)t->culprit));
			return;
		}
		if (r->o->timeout_ms && now - start_ms > r->o->timeout_ms) {
			t->verdict = LK_V_TIMEOUT;
			t->culprit = sh->running;
			if (t->culprit >= 0)
				t->stuck = stuck_in(
				        host_pid(r, (uint32_t)t->culprit));
			return;
		}
	}
}

/* Read a whole descriptor from offset 0 into a new buffer; drain: free
 * what was read from it as it goes (the output memfd). */
static char *
slurp_fd(int fd, size_t *len, int drain)
{
	const size_t chunk = (size_t)1 << 20;
	struct stat st;
	char *buf;
	ssize_t n;
	size_t have = 0;

	if (fstat(fd, &st) != 0)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return NULL;
	while (have < (size_t)st.st_size &&
	       (n = pread(fd, buf + have,
	                  (size_t)st.st_size - have < chunk
	                          ? (size_t)st.st_size - have
	                          : chunk,
	                  (off_t)have)) > 0) {
		/* The run's output memfd: what was copied leaves it, so the
		 * output is in memory once, not twice (--max-output). */
		if (drain &&
		    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		              (off_t)have, n) != 0) {
			/* Not fatal: the copy is whole either way. */
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
}

/* Final value of a semaphore object, or -1. */
static int
sem_value(struct run *r, const struct lk_object *o, int i)
{
	char priv[300];
	sem_t *s;
	int v = -1;

	if (o->type == LK_OT_SEM_UNNAMED && o->decl >= 0) {
		s = (sem_t *)((char *)r->sh + r->sh->sems_off) + i;
		sem_getvalue(s, &v);
	} else if (o->type == LK_OT_SEM_NAMED) {
		if (lk_private_name(r->sh->run_id, o->name, priv, sizeof(priv)))
			return -1;
		s = sem_open(priv, 0);
		if (s != SEM_FAILED) {
			sem_getvalue(s, &v);
			sem_close(s);
		}
	}
	return v;
}

/* Copy what the run left in shared memory into the trace. */
static int
collect(struct run *r, struct lk_trace *t)
{
	struct lk_shared *sh = r->sh;
	const struct lk_event *ev = lk_shared_events(sh);
	const char *data = lk_shared_data(sh);

	t->scenario = strdup(r->sc->name);
	t->file = strdup(r->sc->path);
	t->strategy = r->o->strategy;
	t->seed = r->o->seed;
	t->perturb = r->o->perturb;
	t->vt = sh->vt;
	t->div_step = sh->div_step;
	t->div_why = sh->div_why;
	t->div_choices = sh->div_choices;
	t->div_bytes = sh->div_bytes;
	t->nprocs = sh->nslots;
	t->procs = calloc(sh->nslots ? sh->nslots : 1, sizeof(*t->procs));
	t->nobjs = sh->nobjects;
	t->objs = calloc(sh->nobjects ? sh->nobjects : 1, sizeof(*t->objs));
	t->nevents = atomic_load(&sh->nevents);
	t->ev = calloc(t->nevents ? t->nevents : 1, sizeof(*t->ev));
	if (!t->scenario || !t->file || !t->procs || !t->objs || !t->ev)
		return -1;
	lk_populate(t->ev, t->nevents * sizeof(*t->ev));
	for (size_t i = 0; i < t->nprocs; i++) {
		struct lk_tproc *p = &t->procs[i];

		memcpy(p->name, sh->slots[i].name, sizeof(p->name));
		p->parent = sh->slots[i].parent;
		p->exited = sh->slots[i].state == LK_SLOT_EXITED;
		p->status = -1;
		p->blocked_on = sh->slots[i].state == LK_SLOT_PARKED
		                        ? sh->slots[i].blocked_on
		                        : -1;
		p->pending_op = sh->slots[i].pending_op;
		p->pending_obj = sh->slots[i].pending_obj;
		p->wake_at = sh->slots[i].wake_at;
		p->wait_for = sh->slots[i].wait_for;
		p->stopped = p->exited ? 0 : (int)sh->slots[i].stopped;
		p->stopped_by = p->stopped ? sh->slots[i].stopped_by : -1;
		memcpy(p->routine, sh->slots[i].routine, sizeof(p->routine));
		p->thread = sh->slots[i].process > 0;
		p->routine[sizeof(p->routine) - 1] = '\0';
	}
	for (size_t i = 0; i < t->nobjs; i++) {
		memcpy(t->objs[i].name, sh->objects[i].name, LK_NAME_MAX);
		t->objs[i].type = sh->objects[i].type;
		t->objs[i].decl = sh->objects[i].decl;
		t->objs[i].value = sem_value(r, &sh->objects[i], (int)i);
		t->objs[i].holders[0] = r->holders[i][0];
		t->objs[i].holders[1] = r->holders[i][1];
		if (sh->objects[i].type == LK_OT_CELL &&
		    sh->objects[i].region >= 0 &&
		    r->region[sh->objects[i].region] != NULL) {
			t->objs[i].has_final = 1;
			t->objs[i].final =
			        ((volatile int64_t *)
			                 r->region[sh->objects[i].region])
			                [sh->objects[i].slot];
		}
	}
	for (size_t i = 0; i < t->nevents; i++) {
		struct lk_tev *e = &t->ev[i];

		e->step = (uint32_t)i;
		e->proc = ev[i].proc;
		e->op = ev[i].op;
		e->obj = ev[i].obj;
		e->ret = ev[i].ret;
		e->err = ev[i].err;
		e->blocked = ev[i].blocked;
		e->u = ev[i].u;
		e->vt = ev[i].vt;
		e->src = ev[i].src;
		e->act = ev[i].act;
		e->enabled = ev[i].enabled;
		if (ev[i].data_len > 0) {
			e->data = malloc(ev[i].data_len + 1u);
			if (e->data == NULL)
				return -1;
			memcpy(e->data, data + ev[i].data_off, ev[i].data_len);
			e->data[ev[i].data_len] = '\0';
			e->len = ev[i].data_len;
		}
		if (e->op == LK_OP_EXIT && (size_t)e->proc < t->nprocs)
			t->procs[e->proc].status = (int)e->ret;
		/* exit() from a thread: its process's status. */
		if (e->op == LK_OP_EXIT && (size_t)e->proc < t->nprocs &&
		    sh->slots[e->proc].process > 0 &&
		    (size_t)sh->slots[e->proc].process - 1 < t->nprocs)
			t->procs[sh->slots[e->proc].process - 1].status =
			        (int)e->ret;
	}
	t->program_run = r->sc->program != NULL;
	lk_trace_programs(t);
	t->output = slurp_fd(r->out_fd, &t->output_len, 1);
	t->errout = r->err_fd >= 0 ? slurp_fd(r->err_fd, &t->errout_len, 1)
	                           : strdup("");
	t->nfiles = r->sc->nobjects;
	t->files = calloc(t->nfiles ? t->nfiles : 1, sizeof(*t->files));
	t->file_lens = calloc(t->nfiles ? t->nfiles : 1, sizeof(size_t));
	if (t->output == NULL || t->errout == NULL || !t->files ||
	    !t->file_lens)
		return -1;
	for (size_t i = 0; i < r->sc->nobjects; i++) {
		int fd;

		if (r->sc->objects[i].kind != LK_OBJ_FILE)
			continue;
		fd = open(sh->objects[i].path,
		          O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		t->files[i] = slurp_fd(fd, &t->file_lens[i], 0);
		close(fd);
	}
	/* A program's processes that exit with a status are done with it:
	 * the statuses are part of the outcome, and main exiting otherwise
	 * than --expect-exit says fails an expectation (expect.c). A
	 * scenario's declared process exits non-zero only when its agent
	 * could not carry out an action (it said why): the run failed. */
	for (size_t i = 0;
	     r->sc->program == NULL && t->verdict == LK_V_DONE && i < t->nprocs;
	     i++)
		if (t->procs[i].exited && !t->procs[i].thread &&
		    t->procs[i].status != 0) {
			/* A thread's lane has no status of its own. */
			t->verdict = LK_V_CRASH;
			t->culprit = (int)i;
		}
	return 0;
}

/* Release everything the run holds; objects are removed. */
static void
teardown(struct run *r)
{
	if (r->sh != NULL) {
		for (uint32_t i = 0; i < r->sh->nobjects; i++)
			if (r->sh->objects[i].type == LK_OT_SEM_UNNAMED &&
			    r->sh->objects[i].decl >= 0)
				sem_destroy((sem_t *)((char *)r->sh +
				                      r->sh->sems_off) +
				            i);
		for (uint32_t i = 0; i < r->sc->nobjects; i++) {
			if (r->semid[i] >= 0)
				semctl(r->semid[i], 0, IPC_RMID);
			if (r->region[i] == NULL)
				continue;
			if (r->shmid[i] >= 0) {
				shmctl(r->shmid[i], IPC_RMID, NULL);
				shmdt(r->region[i]);
			} else {
				munmap(r->region[i],
				       (size_t)r->sh->objects[i].size);
			}
		}
		munmap(r->sh, r->size);
	}
	if (r->shm_fd >= 0)
		close(r->shm_fd);
	if (r->notify_fd >= 0)
		close(r->notify_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	for (int k = 0; k < r->npipes; k++) {
		close(r->pipes[k][0]);
		close(r->pipes[k][1]);
	}
	/* A declared socket's address goes with the run, as a server
	 * removes its own (only a socket: --workdir is the user's). */
	for (size_t i = 0;
	     r->sc != NULL && r->work_fd >= 0 && i < r->sc->nobjects; i++) {
		struct stat sst;
		const char *sp = r->sc->objects[i].u.file.path;

		if (r->sc->objects[i].kind == LK_OBJ_SOCKET &&
		    fstatat(r->work_fd, sp, &sst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISSOCK(sst.st_mode))
			unlinkat(r->work_fd, sp, 0);
	}
	if (r->work_fd >= 0)
		close(r->work_fd);
	if (r->list_fd >= 0)
		close(r->list_fd);
	/* The SysV objects the programs made, the work directory, the
	 * names in /dev/shm; then the lock goes. */
	if (r->lock_fd >= 0) {
		lk_run_remove(r->dir_fd, r->run_id);
		close(r->lock_fd);
	}
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	if (r->env != NULL) {
		for (char **e = r->env; *e != NULL; e++)
			if (strncmp(*e, "LD_PRELOAD=", 11) == 0 ||
			    strncmp(*e, LK_ENV_SHM "=", sizeof(LK_ENV_SHM)) ==
			            0)
				free(*e);
		free(r->env);
	}
}

/* Prepare the work directory: the user's (--workdir; a link to it is
 * followed only when it is ours), or a fresh one of the run's in the
 * private directory. */
static int
setup_workdir(struct run *r, struct lk_err *err)
{
	const char *dir = r->o->workdir;
	char name[64];
	struct stat st;

	if (dir != NULL) {
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			goto fail;
		if (lstat(dir, &st) != 0)
			goto fail;
		if (S_ISLNK(st.st_mode) && st.st_uid != geteuid()) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "cannot use work directory %s: a link owned "
			           "by uid %u, not followed",
			           dir, (unsigned)st.st_uid);
			return -1;
		}
		if (realpath(dir, r->workdir) == NULL)
			goto fail;
		r->work_fd = open(r->workdir, O_RDONLY | O_DIRECTORY |
		                                      O_NOFOLLOW | O_CLOEXEC);
		if (r->work_fd < 0)
			goto fail;
		return 0;
	}
	snprintf(name, sizeof(name), "%s.work", r->run_id);
	if ((size_t)snprintf(r->workdir, sizeof(r->workdir), "%s/%s",
	                     r->dirpath, name) >= sizeof(r->workdir)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (mkdirat(r->dir_fd, name, 0700) != 0)
		goto fail;
	r->own_workdir = 1;
	r->work_fd = openat(r->dir_fd, name,
	                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->work_fd < 0)
		goto fail;
	return 0;
fail:
	lk_err_set(err, dir != NULL ? LK_EXIT_USAGE : LK_EXIT_INTERNAL,
	           "cannot use work directory %s: %s",
	           dir != NULL ? dir : r->workdir, strerror(errno));
	r->workdir[0] = '\0';
	return -1;
}

/* Register the run in the user's private directory (rundir.c): its id,
 * its lock, its SysV list. */
static int
setup_rundir(struct run *r, struct lk_err *err)
{
	r->dir_fd = lk_private_dir(r->dirpath, sizeof(r->dirpath), err);
	if (r->dir_fd < 0)
		return -1;
	r->lock_fd =
	        lk_run_register(r->dir_fd, r->dirpath, &run_counter, r->run_id,
	                        sizeof(r->run_id), &r->list_fd, err);
	if (r->lock_fd < 0)
		return -1;
	if ((size_t)snprintf(r->list, sizeof(r->list), "%s/%s.sysv", r->dirpath,
	                     r->run_id) >= sizeof(r->list)) {
		lk_err_set(err, LK_EXIT_INTERNAL, "%s: path too long",
		           r->dirpath);
		return -1;
	}
	return 0;
}

/* A scenario of one process "main" that runs a program (controller.h). */
struct lk_scenario *
lk_program_scenario(char *const argv[], int expect_exit)
{
	struct lk_scenario *sc = calloc(1, sizeof(*sc));
	const char *base = strrchr(argv[0], '/');

	if (sc == NULL)
		return NULL;
	sc->path = strdup(argv[0]);
	sc->name = strdup(base != NULL ? base + 1 : argv[0]);
	sc->procs = calloc(1, sizeof(*sc->procs));
	if (sc->path == NULL || sc->name == NULL || sc->procs == NULL) {
		lk_scenario_free(sc);
		return NULL;
	}
	sc->nprocs = 1;
	sc->program = argv;
	sc->procs[0].name = strdup("main");
	if (sc->procs[0].name == NULL) {
		lk_scenario_free(sc);
		return NULL;
	}
	if (expect_exit < 0)
		return sc;
	/* main exiting otherwise is a failed run, like a failed <expect>. */
	sc->expects = calloc(1, sizeof(*sc->expects));
	if (sc->expects == NULL) {
		lk_scenario_free(sc);
		return NULL;
	}
	sc->expects[0].kind = LK_EXPECT_EXIT;
	sc->expects[0].when = LK_ALWAYS;
	sc->expects[0].obj = -1;
	sc->expects[0].value = expect_exit;
	sc->nexpects = 1;
	return sc;
}

/* Run sc once (see controller.h). */
int
lk_run_scenario(const struct lk_scenario *sc, const struct lk_run_opts *o,
                struct lk_trace **trace, struct lk_err *err)
{
	struct run r;
	struct lk_trace *t = NULL;
	uint64_t t0 = now_ms();
	int rc = -1;

	if (o->stable_pids &&
	    (o->program == NULL || sc->nprocs != 1 || o->zygote != NULL)) {
		lk_err_set(err, LK_EXIT_USAGE,
		           "--stable-pids is for a program (-- PROGRAM), not "
		           "a scenario's declared processes");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	if (spin_us(&r.spin_us, err) != 0)
		return -1;
	r.sc = sc;
	r.o = o;
	r.shm_fd = r.notify_fd = r.out_fd = r.err_fd = -1;
	r.dir_fd = r.lock_fd = r.list_fd = r.work_fd = -1;
	for (int i = 0; i < LK_MAX_PROCS; i++)
		r.pidfd[i] = r.reply[i] = -1;
	for (int i = 0; i < LK_MAX_DECLARED; i++)
		r.shmid[i] = r.semid[i] = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (setup_rundir(&r, err) != 0 || setup_workdir(&r, err) != 0 ||
	    setup_shared(&r, err) != 0)
		goto out;
	/* The work directory, for the record (a program does not run in
	 * it; the SysV list is in the private directory, sh->sysv_list). */
	snprintf(r.sh->workdir, sizeof(r.sh->workdir), "%s", r.workdir);
	/* Where the processes start, for the names of files under it. */
	if (o->program == NULL || getcwd(r.sh->cwd, sizeof(r.sh->cwd)) == NULL)
		snprintf(r.sh->cwd, sizeof(r.sh->cwd), "%s", r.workdir);
	if (setup_objects(&r, err) != 0)
		goto out;
	lk_live_init(&r.live, o->live && o->program != NULL, o->live_fd,
	             r.out_fd, r.err_fd, r.out_obj);
	r.sh->live = (uint32_t)r.live.on;
	r.notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r.sh->notify_fd = r.notify_fd;
	r.env = make_env(o->interposer, r.shm_fd);
	t = lk_trace_new();
	if (r.notify_fd < 0 || r.env == NULL || t == NULL) {
		lk_err_set(err, LK_EXIT_INTERNAL, "cannot set up the run: %s",
		           strerror(errno));
		goto out;
	}
	if (spawn(&r, err) != 0) {
		kill_all(&r);
		reap_all(&r);
		goto out;
	}
	/* Only scenario processes hold pipe ends now: EOF can come. */
	for (int k = 0; k < r.npipes; k++) {
		close(r.pipes[k][0]);
		close(r.pipes[k][1]);
	}
	r.npipes = 0;
	supervise(&r, t);
	if (atomic_load(&r.sh->sysv_err) != 0) {
		kill_all(&r);
		reap_all(&r);
		lk_err_set(err, LK_EXIT_INTERNAL,
		           "%s: cannot record a SysV object a program made: %s",
		           r.list, strerror(atomic_load(&r.sh->sysv_err)));
		goto out;
	}
	if (t->verdict == LK_V_DEADLOCK) {
		scan_holders(&r);
		scan_locks(&r);
	}
	kill_all(&r);
	reap_all(&r);
	t->wall_us = (unsigned long)(now_ms() - t0) * 1000;
	/* The rest of the output passed on, before collect empties the
	 * memory files. */
	lk_live_finish(&r.live, r.sh);
	t->output_passed = r.live.on;
	t->objects_full = atomic_load(&r.sh->objects_full);
	t->output_errno[0] = r.live.error[0];
	t->output_errno[1] = r.live.error[1];
	if (collect(&r, t) != 0) {
		lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
		goto out;
	}
	*trace = t;
	t = NULL;
	rc = 0;
out:
	lk_trace_free(t);
	lk_live_free(&r.live);
	teardown(&r);
	return rc;
}
