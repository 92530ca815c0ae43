/*
 * lockstep-agent: runs one declared process of a scenario. It reads its
 * program from the run's shared memory and performs each action with the
 * ordinary libc call (sem_wait, write, nanosleep, ...), so that declared
 * processes take the same road through the interposer as any program.
 *
 * Usage (by the controller only): lockstep-agent SLOT, with LOCKSTEP_SHM_FD
 * in the environment and the interposer preloaded; or lockstep-agent
 * --zygote FD, the fork server of common/zygote.h.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/protocol.h"
#include "common/zygote.h"

struct agent {
	struct lk_shared *sh;
	struct lk_slot *slot;
	sem_t *sems[LK_MAX_OBJECTS];
	int fds[LK_MAX_OBJECTS];
	int64_t *base[LK_MAX_OBJECTS];  /* attached shm regions */
	int64_t loaded[LK_MAX_OBJECTS]; /* cells: the value last loaded */
	uint8_t has_loaded[LK_MAX_OBJECTS];
	pid_t pids[LK_MAX_PROCS]; /* spawned declared processes */
	uint32_t handler[64];     /* signal -> its HANDLER instruction + 1 */
	int conns[LK_MAX_CONNS];  /* connections by name, -1 none */
};

/* The agent, for signal handlers. */
static struct agent *current;

/* Declared objects a thread action may name (scenario.h's
 * LK_MAX_DECLARED). */
#define SYNC_MAX 192

/*
 * The process's threads and its mutexes, condition variables and
 * barriers: each declared process has its own (a <spawn>ed child makes
 * its own). The calls are the real pthread ones: the interposer makes
 * them steps once the process has made a thread (thread.c), under the
 * declared names (claim_syncs).
 */
static struct {
	pthread_mutex_t mutex[SYNC_MAX];
	pthread_cond_t cond[SYNC_MAX];
	pthread_barrier_t barrier[SYNC_MAX];
	pthread_t tid[LK_MAX_THREADS];
	uint32_t tpc[LK_MAX_THREADS]; /* thread k's THREAD instruction */
	int proc;                     /* the process's slot */
	int claimed;                  /* its objects are named */
	uint32_t lo, hi;              /* its program */
} ps;

/* A thread's own agent and its actions. */
struct thread_run {
	struct agent a;
	uint32_t lo, hi;
};

#define OUT_MAX (LK_DATA_MAX * 4 + 2)

/* The interposer's scheduled access to a cell (see interposer.h). */
static int64_t (*cell_access)(int op, int obj, int64_t *addr, int64_t value);

static void run(struct agent *a, const struct lk_instr *p, uint32_t lo,
                uint32_t hi);
static void open_objects(struct agent *a, const struct lk_instr *p, uint32_t lo,
                         uint32_t hi);
static void install_handlers(struct agent *a, uint32_t lo, uint32_t hi);
static void threads_init(struct agent *a, uint32_t lo, uint32_t hi);

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
		} else if (obj->type == LK_OT_SEMSET) {
			a->fds[o] = semget((key_t)obj->key, 0, 0);
			if (a->fds[o] < 0)
				die(obj->name);
		} else if (obj->type == LK_OT_FILE) {
			a->fds[o] =
			        open(obj->path, O_RDWR | O_APPEND | O_NOFOLLOW |
			                                O_CLOEXEC);
			if (a->fds[o] < 0)
				die(obj->path);
		}
	}
}

/* Text of a print or write into out, with {cell} replaced by the value
 * this process last loaded from that cell and {process} by its name;
 * its length. */
static size_t
expand(struct agent *a, const char *text, size_t len, char *out)
{
	size_t n = 0, cap = OUT_MAX - 2;

	for (size_t i = 0; i < len && n < cap; i++) {
		const char *close =
		        text[i] == '{' ? memchr(text + i, '}', len - i) : NULL;
		int obj = -1;

		for (uint32_t o = 0; close != NULL && o < a->sh->nobjects; o++)
			if (a->sh->objects[o].type == LK_OT_CELL &&
			    strlen(a->sh->objects[o].name) ==
			            (size_t)(close - text - i - 1) &&
			    memcmp(a->sh->objects[o].name, text + i + 1,
			           (size_t)(close - text - i - 1)) == 0)
				obj = (int)o;
		if (obj < 0 && close != NULL && close - text - i - 1 == 7 &&
		    memcmp(text + i + 1, "process", 7) == 0) {
			n += (size_t)snprintf(out + n, cap - n, "%s",
			                      a->slot->name);
			if (n > cap)
				n = cap;
			i = (size_t)(close - text);
			continue;
		}
		if (obj < 0) {
			out[n++] = text[i];
			continue;
		}
		if (a->has_loaded[obj])
			n += (size_t)snprintf(out + n, cap - n, "%lld",
			                      (long long)a->loaded[obj]);
		else
			n += (size_t)snprintf(out + n, cap - n, "?");
		if (n > cap)
			n = cap;
		i = (size_t)(close - text);
	}
	return n;
}

/* The descriptor an action on object obj uses (end for pipes). */
static int
fd_of(struct agent *a, int obj, int end)
{
	const struct lk_object *o = &a->sh->objects[obj];

	if (o->type == LK_OT_PIPE)
		return o->fd[end == LK_END_WRITE ? 1 : 0];
	return a->fds[obj];
}

/* The address of cell obj, dying when its region is not attached. */
static int64_t *
cell_at(struct agent *a, int obj)
{
	const struct lk_object *c = &a->sh->objects[obj];

	if (a->base[c->region] == NULL) {
		fprintf(stderr,
		        "lockstep-agent: %s: cell %s: region %s is not "
		        "attached (<attach shm=\"%s\"/> first)\n",
		        a->slot->name, c->name, a->sh->objects[c->region].name,
		        a->sh->objects[c->region].name);
		exit(1);
	}
	return a->base[c->region] + c->slot;
}

/* Attach region obj; on failure the process says so and ends. */
static void
attach_region(struct agent *a, int obj)
{
	const struct lk_object *o = &a->sh->objects[obj];
	void *m = MAP_FAILED;
	int fd, id;

	if (o->slot == LK_SHM_SYSV) {
		id = shmget((key_t)o->key, 0, 0);
		if (id >= 0 && (m = shmat(id, NULL, 0)) == (void *)-1)
			m = MAP_FAILED;
	} else if ((fd = shm_open(o->name, O_RDWR, 0)) >= 0) {
		m = mmap(NULL, (size_t)o->size, PROT_READ | PROT_WRITE,
		         MAP_SHARED, fd, 0);
		close(fd);
	}
	if (m == MAP_FAILED) {
		char out[OUT_MAX];
		int n = snprintf(out, sizeof(out), "%s: cannot attach %s: %s\n",
		                 a->slot->name, o->name, strerror(errno));

		if (write(STDOUT_FILENO, out, (size_t)n) < 0)
			die("print");
		exit(0);
	}
	a->base[obj] = m;
}

/* Detach (1) or remove (0) region obj. */
static void
release_region(struct agent *a, int obj, int detach)
{
	const struct lk_object *o = &a->sh->objects[obj];

	if (detach && a->base[obj] != NULL) {
		if (o->slot == LK_SHM_SYSV)
			shmdt(a->base[obj]);
		else
			munmap(a->base[obj], (size_t)o->size);
		a->base[obj] = NULL;
	} else if (!detach && o->slot == LK_SHM_SYSV) {
		int id = shmget((key_t)o->key, 0, 0);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	} else if (!detach) {
		shm_unlink(o->name);
	}
}

/* Run declared process slot in a child of this one: the child takes
 * over that slot (the interposer's fork names it) and runs its program. */
static void
spawn(struct agent *a, int slot)
{
	struct lk_shared *sh = a->sh;
	pid_t pid;

	a->slot->spawn_as = slot + 1;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0) {
		a->pids[slot] = pid;
		return;
	}
	a->slot = &sh->slots[slot];
	/* A forked child keeps its parent's handlers; it gets its own. */
	for (int s = 1; s < 64; s++)
		if (a->handler[s] != 0)
			signal(s, SIG_DFL);
	install_handlers(a, sh->prog_start[slot], sh->prog_end[slot]);
	threads_init(a, sh->prog_start[slot], sh->prog_end[slot]);
	open_objects(a, lk_shared_prog(sh), sh->prog_start[slot],
	             sh->prog_end[slot]);
	run(a, lk_shared_prog(sh), sh->prog_start[slot], sh->prog_end[slot]);
	exit(0);
}

/* exec the command line text, with stdin and stdout from objects. */
static void
exec_command(struct agent *a, const struct lk_instr *in, const char *text)
{
	char line[LK_DATA_MAX * 4], *argv[33], *save = NULL, *w;
	int argc = 0, redirect[2] = {in->in, in->out};
	size_t n = in->text_len < sizeof(line) - 1 ? in->text_len
	                                           : sizeof(line) - 1;

	memcpy(line, text, n);
	line[n] = '\0';
	for (w = strtok_r(line, " \t\n", &save); w != NULL && argc < 32;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	for (int k = 0; k < 2; k++) {
		const struct lk_object *o;
		int fd;

		if (redirect[k] < 0)
			continue;
		o = &a->sh->objects[redirect[k]];
		if (o->type == LK_OT_PIPE)
			fd = o->fd[k];
		else
			fd = open(o->path,
			          (k == 0 ? O_RDONLY : O_WRONLY | O_APPEND) |
			                  O_NOFOLLOW);
		if (fd < 0 || dup2(fd, k) < 0)
			die(o->name);
		close(fd);
	}
	execvp(argv[0], argv);
	die(argv[0]);
}

/* semop on set in->obj with the operations "NUM:ADD ..." of text. */
static void
semop_text(struct agent *a, const struct lk_instr *in, const char *text)
{
	struct sembuf ops[16];
	char buf[16 * 16];
	size_t n = 0, len = in->text_len < sizeof(buf) - 1 ? in->text_len
	                                                   : sizeof(buf) - 1;
	const char *p = buf, *end = buf + len;

	/* The program's texts are not NUL-terminated: copy first. */
	memcpy(buf, text, len);
	buf[len] = '\0';
	while (p < end && n < 16) {
		char *q;

		ops[n].sem_num = (unsigned short)strtoul(p, &q, 10);
		ops[n].sem_op = (short)strtol(q + 1, &q, 10);
		ops[n].sem_flg = (in->flags & LK_INSTR_UNDO) ? SEM_UNDO : 0;
		n++;
		p = q;
		while (p < end && *p == ' ')
			p++;
	}
	while (semop(a->fds[in->obj], ops, n) != 0 && errno == EINTR)
		;
}

/* read from obj into standard output: once, or until end of file. */
static void
read_into_output(struct agent *a, const struct lk_instr *in)
{
	int fd = fd_of(a, in->obj, LK_END_READ);
	char buf[65536];
	size_t want = in->bytes < sizeof(buf) ? in->bytes : sizeof(buf);
	ssize_t n;

	do {
		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
			die("print");
	} while ((in->flags & LK_INSTR_EOF) && n != 0);
}

/* Say in the output that this process cannot do what with socket obj,
 * and end it, as a program would (errno says why). */
static void
sock_fail(struct agent *a, const char *what, int obj)
{
	char out[OUT_MAX];
	int n = snprintf(out, sizeof(out), "%s: cannot %s %s: %s\n",
	                 a->slot->name, what, a->sh->objects[obj].name,
	                 strerror(errno));

	if (n < 0)
		die("print");
	if ((size_t)n >= sizeof(out)) /* cut: the bytes it has */
		n = (int)sizeof(out) - 1;
	if (write(STDOUT_FILENO, out, (size_t)n) < 0)
		die("print");
	exit(0);
}

/* The address of declared socket obj: its path's last part, relative to
 * the work directory this process runs in. */
static socklen_t
sock_address(struct agent *a, int obj, struct sockaddr_un *un)
{
	const char *path = a->sh->objects[obj].path;
	const char *base = strrchr(path, '/');
	const char *name = base != NULL ? base + 1 : path;

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	/* check refuses longer paths; a longer one is cut, never overrun */
	memcpy(un->sun_path, name, strnlen(name, sizeof(un->sun_path) - 1));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	                   strlen(un->sun_path) + 1);
}

/* socket, bind and listen on declared socket obj. The object takes the
 * socket's inode first, so that the interposer's listen finds it and
 * the trace names the listener as the scenario does. */
static void
sock_listen(struct agent *a, int obj, int backlog)
{
	struct lk_object *o = &a->sh->objects[obj];
	struct sockaddr_un un;
	socklen_t len = sock_address(a, obj, &un);
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&un, len) != 0 ||
	    fstat(fd, &st) != 0)
		sock_fail(a, "bind", obj);
	o->ino = st.st_ino;
	if (listen(fd, backlog) != 0)
		sock_fail(a, "listen on", obj);
	a->fds[obj] = fd;
}

/* The descriptor of connection c; the process ends when it has none
 * (lockstep check refuses what it can see before the run). */
static int
conn_fd(struct agent *a, int64_t c)
{
	if (c < 0 || c >= LK_MAX_CONNS || a->conns[c] < 0) {
		fprintf(stderr,
		        "lockstep-agent: %s: no such connection (number "
		        "%lld)\n",
		        a->slot->name, (long long)c);
		exit(1);
	}
	return a->conns[c];
}

/* send all n bytes at p on fd (a send may take part of them). */
static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t got = send(fd, p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("send");
		p += got;
		n -= (size_t)got;
	}
}

/*
 * Rename discovered socket end obj (still the interposer's "sockN") to
 * "PREFIX.SUFFIX", or "PREFIX.SUFFIX.2", ".3" ... when that is taken,
 * the prefix cut to fit.
 */
static void
rename_end(struct agent *a, int obj, const char *prefix, const char *suffix)
{
	struct lk_object *o;
	char name[LK_NAME_MAX], dflt[LK_NAME_MAX];

	if (obj < 0 || (uint32_t)obj >= a->sh->nobjects)
		return;
	o = &a->sh->objects[obj];
	snprintf(dflt, sizeof(dflt), "sock%d", obj);
	if (o->type != LK_OT_SOCK || o->decl >= 0 || strcmp(o->name, dflt) != 0)
		return;
	for (int k = 1;; k++) {
		char tail[LK_NAME_MAX + 16];
		size_t nt =
		        (size_t)snprintf(tail, sizeof(tail),
		                         k == 1 ? ".%s" : ".%s.%d", suffix, k);
		size_t np = strlen(prefix);
		int taken = 0;

		if (nt > sizeof(name) - 1)
			nt = sizeof(name) - 1;
		if (np > sizeof(name) - 1 - nt)
			np = sizeof(name) - 1 - nt;
		memcpy(name, prefix, np);
		memcpy(name + np, tail, nt);
		name[np + nt] = '\0';
		for (uint32_t i = 0; i < a->sh->nobjects && !taken; i++)
			taken = strcmp(a->sh->objects[i].name, name) == 0;
		if (!taken)
			break;
	}
	memcpy(o->name, name, sizeof(name));
}

/*
 * Name both ends of the connection fd that <connect> in just made, before
 * any step uses them (a schedule names objects, so a name must not change
 * once steps have used it): the end this process reads is "PROC.CONN"
 * ("client.conn"), the end the server will read "SOCKET.PROC" ("svc.client").
 */
static void
name_connection(struct agent *a, int fd, const struct lk_instr *in)
{
	const char *text = lk_shared_text(a->sh) + in->text_off;
	char conn[LK_NAME_MAX];
	struct stat st;
	int own = -1;

	snprintf(conn, sizeof(conn), "%.*s",
	         (int)(in->text_len < sizeof(conn) - 1 ? in->text_len
	                                               : sizeof(conn) - 1),
	         text);
	if (fstat(fd, &st) != 0)
		return;
	for (uint32_t i = 0; i < a->sh->nobjects; i++)
		if (a->sh->objects[i].type == LK_OT_SOCK &&
		    a->sh->objects[i].decl < 0 &&
		    a->sh->objects[i].ino == st.st_ino)
			own = (int)i;
	if (own < 0)
		return;
	rename_end(a, own, a->slot->name, conn);
	rename_end(a, a->sh->objects[own].region, a->sh->objects[in->obj].name,
	           a->slot->name);
}

/* One socket action. */
static void
perform_sock(struct agent *a, const struct lk_instr *in, const char *text)
{
	struct sockaddr_un un;
	char out[OUT_MAX], buf[65536];
	const char *p = text;
	size_t n = in->text_len, want;
	ssize_t got;
	int fd;

	switch (in->act) {
	case LK_ACT_LISTEN:
		sock_listen(a, in->obj, (int)in->value);
		break;
	case LK_ACT_ACCEPT:
		if (a->fds[in->obj] < 0) {
			errno = EINVAL;
			sock_fail(a, "accept on", in->obj);
		}
		while ((fd = accept4(a->fds[in->obj], NULL, NULL,
		                     SOCK_CLOEXEC)) < 0 &&
		       errno == EINTR)
			;
		if (fd < 0)
			sock_fail(a, "accept on", in->obj);
		a->conns[in->value] = fd;
		break;
	case LK_ACT_CONNECT:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			sock_fail(a, "connect to", in->obj);
		while (connect(fd, (struct sockaddr *)&un,
		               sock_address(a, in->obj, &un)) != 0)
			if (errno != EINTR)
				sock_fail(a, "connect to", in->obj);
		a->conns[in->value] = fd;
		name_connection(a, fd, in);
		break;
	case LK_ACT_SEND:
		fd = conn_fd(a, in->value);
		if (memchr(text, '{', in->text_len) != NULL) {
			n = expand(a, text, in->text_len, out);
			p = out;
		}
		send_all(fd, p, n);
		break;
	case LK_ACT_RECV:
		fd = conn_fd(a, in->value);
		want = in->bytes < sizeof(buf) ? in->bytes : sizeof(buf);
		do {
			got = recv(fd, buf, want, 0);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				die("recv");
			if (got > 0 && (in->flags & LK_INSTR_ECHO))
				send_all(fd, buf, (size_t)got);
			else if (got > 0 &&
			         write(STDOUT_FILENO, buf, (size_t)got) < 0)
				die("print");
		} while ((in->flags & LK_INSTR_EOF) && got != 0);
		break;
	case LK_ACT_SHUTDOWN:
		shutdown(conn_fd(a, in->value), SHUT_WR);
		break;
	case LK_ACT_CLOSE: /* of a connection */
		close(conn_fd(a, in->value));
		a->conns[in->value] = -1;
		break;
	default:
		break;
	}
}

/* Set up the threads and synchronisation objects of the process that
 * runs program [lo, hi) in slot, before its first step: no thread yet,
 * so the barriers' init calls are the real ones, not steps. */
static void
threads_init(struct agent *a, uint32_t lo, uint32_t hi)
{
	const struct lk_instr *p = lk_shared_prog(a->sh);
	unsigned k = 0;

	memset(&ps, 0, sizeof(ps)); /* default mutexes and conditions */
	ps.proc = (int)(a->slot - a->sh->slots);
	ps.lo = lo;
	ps.hi = hi;
	/* Its threads: top-level THREAD instructions, bodies skipped. */
	for (uint32_t pc = lo; pc < hi; pc++) {
		if (p[pc].act == LK_ACT_THREAD && k < LK_MAX_THREADS)
			ps.tpc[k++] = pc;
		if (p[pc].act == LK_ACT_THREAD || p[pc].act == LK_ACT_HANDLER ||
		    p[pc].act == LK_ACT_REPEAT)
			pc = p[pc].jump - 1;
	}
	for (uint32_t pc = lo; pc < hi; pc++)
		if (p[pc].act == LK_ACT_BARRIER_WAIT && p[pc].obj >= 0 &&
		    p[pc].obj < SYNC_MAX &&
		    pthread_barrier_init(&ps.barrier[p[pc].obj], NULL,
		                         p[pc].times) != 0)
			die("pthread_barrier_init");
}

/* Give the process's object of declared object obj, at addr, its
 * declared name: the first process claims the declared entry, a later
 * one gets an entry of its own, "m#2". Run while this lane holds the
 * turn, before any step on it: the interposer then finds it by its
 * memory (thread.c's lk__obj_sync: ino 0, off the address, key the
 * process's slot + 1) and names the steps as the scenario does. */
static void
claim(struct agent *a, int obj, const void *addr)
{
	struct lk_shared *sh = a->sh;
	struct lk_object *o = &sh->objects[obj], *n;
	char name[LK_NAME_MAX];

	if (o->key == -1) {
		o->ino = 0;
		o->off = (uintptr_t)addr;
		o->key = ps.proc + 1;
		return;
	}
	if (sh->nobjects >= LK_MAX_OBJECTS)
		return; /* the interposer finds no room either, and says so */
	for (unsigned k = 2;; k++) {
		int taken = 0;

		snprintf(name, sizeof(name), "%.*s#%u", LK_NAME_MAX - 12,
		         o->name, k);
		for (uint32_t i = 0; i < sh->nobjects && !taken; i++)
			taken = strcmp(sh->objects[i].name, name) == 0;
		if (!taken)
			break;
	}
	n = &sh->objects[sh->nobjects];
	memset(n, 0, sizeof(*n));
	n->type = o->type;
	n->decl = -1;
	n->region = -1;
	memcpy(n->name, name, sizeof(name));
	n->off = (uintptr_t)addr;
	n->key = ps.proc + 1;
	sh->nobjects++;
}

/* Name every mutex, condition variable and barrier the process's
 * program uses, once, when it has made its first thread (its calls on
 * them become steps then). */
static void
claim_syncs(struct agent *a)
{
	const struct lk_instr *p = lk_shared_prog(a->sh);
	uint8_t done[SYNC_MAX] = {0};

	if (ps.claimed)
		return;
	ps.claimed = 1;
	for (uint32_t pc = ps.lo; pc < ps.hi; pc++) {
		const struct lk_instr *in = &p[pc];
		int objs[2] = {-1, -1};

		if (in->act == LK_ACT_SIGNAL || in->act == LK_ACT_BROADCAST ||
		    in->act == LK_ACT_BARRIER_WAIT)
			objs[0] = in->obj;
		else if (in->flags & LK_INSTR_SYNC) {
			objs[0] = in->obj;
			objs[1] = in->act == LK_ACT_WAIT ? in->in : -1;
		}
		for (int k = 0; k < 2; k++) {
			int o = objs[k];
			const void *addr;

			if (o < 0 || o >= SYNC_MAX || done[o])
				continue;
			done[o] = 1;
			addr = a->sh->objects[o].type == LK_OT_MUTEX
			               ? (const void *)&ps.mutex[o]
			       : a->sh->objects[o].type == LK_OT_COND
			               ? (const void *)&ps.cond[o]
			               : (const void *)&ps.barrier[o];
			claim(a, o, addr);
		}
	}
}

/* The slot of thread th of this process: the newest lane with it. */
static struct lk_slot *
lane_of(struct lk_shared *sh, pthread_t th)
{
	for (uint32_t i = sh->nslots; i-- > 0;)
		if (sh->slots[i].process == ps.proc + 1 &&
		    sh->slots[i].thread == (uint64_t)th)
			return &sh->slots[i];
	return NULL;
}

/* A <thread>'s body, in its own lane. */
static void *
thread_main(void *arg)
{
	struct thread_run *t = arg;

	t->a.slot = lane_of(t->a.sh, pthread_self());
	if (t->a.slot == NULL) {
		fprintf(stderr, "lockstep-agent: a thread has no lane\n");
		exit(1);
	}
	run(&t->a, lk_shared_prog(t->a.sh), t->lo, t->hi);
	free(t);
	return NULL;
}

/* <start thread=k>: pthread_create, then the lane is named PROC/NAME. */
static void
start_thread(struct agent *a, unsigned k)
{
	const struct lk_instr *p = lk_shared_prog(a->sh);
	const struct lk_instr *th = &p[ps.tpc[k]];
	struct thread_run *t = malloc(sizeof(*t));
	struct lk_slot *lane;
	int rc;

	if (t == NULL)
		die("malloc");
	t->a = *a;
	t->lo = ps.tpc[k] + 1;
	t->hi = th->jump - 1;
	rc = pthread_create(&ps.tid[k], NULL, thread_main, t);
	if (rc != 0) {
		errno = rc;
		die("pthread_create");
	}
	/* This lane keeps the turn until its next call: the new lane has
	 * not run, so no step has used its name yet. */
	lane = lane_of(a->sh, ps.tid[k]);
	if (lane != NULL) {
		char pname[LK_NAME_MAX], name[LK_NAME_MAX];
		int tl = (int)(th->text_len < LK_NAME_MAX / 2 - 1
		                       ? th->text_len
		                       : LK_NAME_MAX / 2 - 1);

		memcpy(pname, a->sh->slots[ps.proc].name, sizeof(pname));
		pname[sizeof(pname) - 1] = '\0';
		snprintf(name, sizeof(name), "%.*s/%.*s",
		         (int)(LK_NAME_MAX / 2 - 1), pname, tl,
		         lk_shared_text(a->sh) + th->text_off);
		memcpy(lane->name, name, sizeof(name));
		lane->routine[0] = '\0'; /* the agent's, not the scenario's */
	}
	claim_syncs(a);
}

/* Does v pass a <wait>'s test? */
static int
passes(int64_t v, enum lk_cmp cmp, int64_t value)
{
	switch (cmp) {
	case LK_CMP_EQ:
		return v == value;
	case LK_CMP_NE:
		return v != value;
	case LK_CMP_LT:
		return v < value;
	case LK_CMP_LE:
		return v <= value;
	case LK_CMP_GT:
		return v > value;
	case LK_CMP_GE:
		return v >= value;
	}
	return 0;
}

/* Load the cell of a <wait>'s test (a step) and judge it. */
static int
test_holds(struct agent *a, const struct lk_instr *in)
{
	int64_t v = cell_access(LK_OP_LOAD, in->out, cell_at(a, in->out), 0);

	a->loaded[in->out] = v;
	a->has_loaded[in->out] = 1;
	return passes(v, (enum lk_cmp)in->end, in->value);
}

/* One thread action: the real pthread call. */
static void
perform_thread(struct agent *a, const struct lk_instr *in)
{
	int o = in->obj;

	if (in->act != LK_ACT_START && in->act != LK_ACT_JOIN &&
	    (o < 0 || o >= SYNC_MAX || (in->act == LK_ACT_WAIT && in->in < 0)))
		return;
	switch (in->act) {
	case LK_ACT_START:
		start_thread(a, (unsigned)in->value);
		break;
	case LK_ACT_JOIN:
		pthread_join(ps.tid[in->value], NULL);
		break;
	case LK_ACT_LOCK:
		pthread_mutex_lock(&ps.mutex[o]);
		break;
	case LK_ACT_UNLOCK:
		pthread_mutex_unlock(&ps.mutex[o]);
		break;
	case LK_ACT_WAIT:
		if (in->times == 0) /* no test: one wait */
			pthread_cond_wait(&ps.cond[o], &ps.mutex[in->in]);
		else if (in->times == 2) { /* if=: tested once */
			if (test_holds(a, in))
				pthread_cond_wait(&ps.cond[o],
				                  &ps.mutex[in->in]);
		} else { /* while=: tested again after every wake-up */
			while (test_holds(a, in))
				pthread_cond_wait(&ps.cond[o],
				                  &ps.mutex[in->in]);
		}
		break;
	case LK_ACT_SIGNAL:
		pthread_cond_signal(&ps.cond[o]);
		break;
	case LK_ACT_BROADCAST:
		pthread_cond_broadcast(&ps.cond[o]);
		break;
	case LK_ACT_BARRIER_WAIT:
		pthread_barrier_wait(&ps.barrier[o]);
		break;
	default:
		break;
	}
}

/* Perform one action. */
static void
perform(struct agent *a, const struct lk_instr *in)
{
	const char *text = lk_shared_text(a->sh) + in->text_off;
	char out[OUT_MAX];
	struct timespec ts;
	struct flock fl;
	int64_t v;
	size_t n;
	int fd;

	if (in->act >= LK_ACT_THREAD || (in->flags & LK_INSTR_SYNC)) {
		perform_thread(a, in);
		return;
	}
	if (in->act >= LK_ACT_LISTEN ||
	    (in->act == LK_ACT_CLOSE && (in->flags & LK_INSTR_CONN))) {
		perform_sock(a, in, text);
		return;
	}
	switch (in->act) {
	case LK_ACT_PRINT:
		n = expand(a, text, in->text_len, out);
		out[n++] = '\n';
		if (write(STDOUT_FILENO, out, n) < 0)
			die("print");
		break;
	case LK_ACT_KILL:
		for (int k = 0; k < in->nproc; k++) {
			const struct lk_slot *t = &a->sh->slots[in->proc + k];

			/* Not started yet, or gone: nothing to signal. */
			if (t->pid > 0 && t->state != LK_SLOT_FREE &&
			    t->state != LK_SLOT_EXITED)
				kill(t->pid, (int)in->value);
		}
		break;
	case LK_ACT_PAUSE:
		pause();
		break;
	case LK_ACT_SEMOP:
		semop_text(a, in, text);
		break;
	case LK_ACT_LOCK:
	case LK_ACT_UNLOCK:
		memset(&fl, 0, sizeof(fl));
		fl.l_type = in->act == LK_ACT_UNLOCK ? F_UNLCK
		            : in->end == LK_END_READ ? F_RDLCK
		                                     : F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = (off_t)in->start;
		fl.l_len = (off_t)in->len;
		while (fcntl(a->fds[in->obj],
		             in->act == LK_ACT_LOCK &&
		                             !(in->flags & LK_INSTR_NOWAIT)
		                     ? F_SETLKW
		                     : F_SETLK,
		             &fl) != 0 &&
		       errno == EINTR)
			;
		break;
	case LK_ACT_WRITE:
		/* Verbatim, whatever its size, unless it names something. */
		if (memchr(text, '{', in->text_len) == NULL)
			n = (size_t)write(fd_of(a, in->obj, LK_END_WRITE), text,
			                  in->text_len);
		else
			n = (size_t)write(fd_of(a, in->obj, LK_END_WRITE), out,
			                  expand(a, text, in->text_len, out));
		if (n == (size_t)-1)
			die("write");
		break;
	case LK_ACT_SPAWN:
		for (int k = 0; k < in->nproc; k++)
			spawn(a, in->proc + k);
		break;
	case LK_ACT_WAITPID:
		for (int k = 0; k < in->nproc; k++)
			while (waitpid(a->pids[in->proc + k], NULL, 0) < 0 &&
			       errno == EINTR)
				;
		break;
	case LK_ACT_EXEC:
		exec_command(a, in, text);
		break;
	case LK_ACT_READ:
		read_into_output(a, in);
		break;
	case LK_ACT_CLOSE:
		fd = fd_of(a, in->obj, in->end);
		close(fd);
		if (a->sh->objects[in->obj].type != LK_OT_PIPE)
			a->fds[in->obj] = -1;
		break;
	case LK_ACT_OPEN:
		/* A file: a new open file description, offset 0, no
		 * O_APPEND; <spawn>ed children share it (and its offset). */
		fd = open(a->sh->objects[in->obj].path,
		          (a->sh->objects[in->obj].type == LK_OT_FILE ? O_RDWR
		           : in->end == LK_END_WRITE                  ? O_WRONLY
		                                     : O_RDONLY) |
		                  O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			die(a->sh->objects[in->obj].name);
		if (a->fds[in->obj] >= 0)
			close(a->fds[in->obj]);
		a->fds[in->obj] = fd;
		break;
	case LK_ACT_LOAD:
	case LK_ACT_ADD:
		v = cell_access(LK_OP_LOAD, in->obj, cell_at(a, in->obj), 0);
		a->loaded[in->obj] = v;
		a->has_loaded[in->obj] = 1;
		if (in->act == LK_ACT_ADD)
			cell_access(LK_OP_STORE, in->obj, cell_at(a, in->obj),
			            v + in->value);
		break;
	case LK_ACT_STORE:
		cell_access(LK_OP_STORE, in->obj, cell_at(a, in->obj),
		            in->value);
		break;
	case LK_ACT_ATTACH:
		attach_region(a, in->obj);
		break;
	case LK_ACT_DETACH:
	case LK_ACT_REMOVE:
		release_region(a, in->obj, in->act == LK_ACT_DETACH);
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

		if (in->act == LK_ACT_HANDLER || in->act == LK_ACT_THREAD) {
			pc = in->jump; /* runs when its signal comes, or in its
			                  thread from its <start> */
			continue;
		}
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

/* A delivered signal: run the handler's actions, then go back to the
 * action it interrupted (its line and kind restored for the trace). */
static void
on_signal(int sig)
{
	struct agent *a = current;
	const struct lk_instr *p = lk_shared_prog(a->sh);
	uint32_t at = a->handler[sig] - 1, line = a->slot->src_line;
	uint16_t act = a->slot->act;
	int saved = errno;

	run(a, p, at + 1, p[at].jump - 1);
	a->slot->src_line = line;
	a->slot->act = act;
	errno = saved;
}

/* Install the handlers declared at the top of program [lo, hi), before
 * the process's first step (no SA_RESTART: blocked calls see EINTR). */
static void
install_handlers(struct agent *a, uint32_t lo, uint32_t hi)
{
	const struct lk_instr *p = lk_shared_prog(a->sh);
	struct sigaction sa;

	memset(a->handler, 0, sizeof(a->handler));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	current = a;
	for (uint32_t pc = lo; pc < hi && p[pc].act == LK_ACT_HANDLER;
	     pc = p[pc].jump) {
		int sig = (int)p[pc].value;

		if (sig <= 0 || sig >= 64)
			continue;
		a->handler[sig] = pc + 1;
		sigaction(sig, &sa, NULL);
	}
}

/* A cell access without the interposer (never under a run). */
static int64_t
plain_access(int op, int obj, int64_t *addr, int64_t value)
{
	(void)obj;
	if (op == LK_OP_STORE)
		*addr = value;
	return *addr;
}

/* Run declared process slot of the run mapped at sh. */
static int
run_slot(struct lk_shared *sh, long slot)
{
	static struct agent a;

	a.sh = sh;
	a.slot = &a.sh->slots[slot];
	for (int i = 0; i < LK_MAX_OBJECTS; i++)
		a.fds[i] = -1;
	for (int i = 0; i < LK_MAX_CONNS; i++)
		a.conns[i] = -1;
	cell_access = (int64_t(*)(int, int, int64_t *, int64_t))dlsym(
	        RTLD_DEFAULT, "lockstep_interposer_cell");
	if (cell_access == NULL)
		cell_access = plain_access;
	install_handlers(&a, a.sh->prog_start[slot], a.sh->prog_end[slot]);
	threads_init(&a, a.sh->prog_start[slot], a.sh->prog_end[slot]);
	open_objects(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	             a.sh->prog_end[slot]);
	run(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	    a.sh->prog_end[slot]);
	return 0;
}

/* Move fd to exactly target (closing what was there); -1 on failure. */
static int
move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	if (dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

/* In a child of the zygote: become declared process req->slot. fds are
 * shm, notify, out (the reply pipe is closed already). */
static void
zygote_child(const struct lk_zygote_req *req, int *fds)
{
	int (*attach)(int) =
	        (int (*)(int))dlsym(RTLD_DEFAULT, "lockstep_interposer_attach");
	struct lk_shared *sh;
	struct stat st;
	int tmp[3], devnull;
	char num[16];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, req->pgid);
	if (chdir(req->workdir) != 0 || attach == NULL)
		_exit(127);
	if (req->max_output > 0) {
		struct rlimit rl = {req->max_output, req->max_output};

		setrlimit(RLIMIT_FSIZE, &rl);
	}
	/* Out of the way of 0-2 and of the numbers the run uses. */
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD, 64);
		close(fds[i]);
	}
	/* Every pipe end at its number, as the controller would place it. */
	for (int k = 0; k < 2 * req->npipes; k++)
		if (dup2(fds[4 + k], LK_PIPE_FD + k) < 0)
			_exit(127);
	for (int k = 0; k < 2 * req->npipes; k++)
		if (fds[4 + k] < LK_PIPE_FD ||
		    fds[4 + k] >= LK_PIPE_FD + 2 * req->npipes)
			close(fds[4 + k]);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || move_fd(devnull, 0) < 0 || move_fd(tmp[2], 1) < 0 ||
	    fstat(tmp[0], &st) != 0)
		_exit(127);
	sh = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	          tmp[0], 0);
	if (sh == MAP_FAILED || move_fd(tmp[1], sh->notify_fd) < 0)
		_exit(127);
	snprintf(num, sizeof(num), "%d", tmp[0]);
	fcntl(tmp[0], F_SETFD, 0);
	setenv(LK_ENV_SHM, num, 1);
	sh->slots[req->slot].pid = getpid();
	if (attach(tmp[0]) != 0)
		_exit(127);
	exit(run_slot(sh, req->slot));
}

/* Send msg on the reply pipe fd. */
static void
reply(int fd, int kind, pid_t pid, int status)
{
	struct lk_zygote_msg m = {kind, pid, status};

	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		/* The controller went away; nothing to tell. */
	}
}

/* Receive one request with its descriptors; 1, 0 at end, -1. */
static int
receive(int sock, struct lk_zygote_req *req, int fds[LK_ZY_MAX_FDS])
{
	char ctl[CMSG_SPACE(LK_ZY_MAX_FDS * sizeof(int))];
	struct iovec iov = {req, sizeof(*req)};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	ssize_t n;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	c = CMSG_FIRSTHDR(&mh);
	if (n != (ssize_t)sizeof(*req) || req->magic != LK_ZY_MAGIC ||
	    req->npipes < 0 || req->npipes > LK_MAX_PIPES || c == NULL ||
	    c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len !=
	            CMSG_LEN((4 + 2 * (size_t)req->npipes) * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), (4 + 2 * (size_t)req->npipes) * sizeof(int));
	return 1;
}

/* The fork server: one child per request, reaped and reported. */
static int
zygote(int sock)
{
	struct {
		pid_t pid;
		int fd;
	} kids[4 * LK_MAX_PROCS];
	size_t nkids = 0;
	struct pollfd pfd[2];
	sigset_t chld;
	int sfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* A controller may close a reply pipe before the exit is told. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0)
		return 70;
	pfd[0].fd = sock;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		struct lk_zygote_req req;
		int fds[LK_ZY_MAX_FDS], status, rc;
		pid_t pid;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return 70;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) < 0) {
				/* drained below anyway */
			}
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (size_t i = 0; i < nkids; i++)
					if (kids[i].pid == pid) {
						reply(kids[i].fd, LK_ZY_EXITED,
						      pid, status);
						close(kids[i].fd);
						kids[i] = kids[--nkids];
						break;
					}
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		rc = receive(sock, &req, fds);
		if (rc <= 0)
			return rc == 0 ? 0 : 70;
		if (nkids == sizeof(kids) / sizeof(kids[0])) {
			reply(fds[3], LK_ZY_SPAWNED, -1, 0);
			for (int i = 0; i < 4 + 2 * req.npipes; i++)
				close(fds[i]);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			signal(SIGPIPE, SIG_DFL);
			close(sock);
			close(sfd);
			close(fds[3]);
			zygote_child(&req, fds);
		}
		if (pid > 0) /* before the reply: the next child joins it */
			setpgid(pid, req.pgid ? req.pgid : pid);
		/* Our copies of the run's descriptors go before the reply: a
		 * pipe end held here would keep a reader from its end of file
		 * once the run has started. */
		for (int i = 0; i < 4 + 2 * req.npipes; i++)
			if (i != 3)
				close(fds[i]);
		reply(fds[3], LK_ZY_SPAWNED, pid, 0);
		if (pid < 0) {
			close(fds[3]);
			continue;
		}
		kids[nkids].pid = pid;
		kids[nkids++].fd = fds[3];
	}
}

int
main(int argc, char **argv)
{
	long slot;

	if (argc == 3 && strcmp(argv[1], "--zygote") == 0)
		return zygote(atoi(argv[2]));
	if (argc != 2) {
		fprintf(stderr, "usage: lockstep-agent SLOT | --zygote FD (run "
		                "by lockstep)\n");
		return 2;
	}
	slot = strtol(argv[1], NULL, 10);
	if (slot < 0 || slot >= LK_MAX_PROCS) {
		fprintf(stderr, "lockstep-agent: bad slot %s\n", argv[1]);
		return 2;
	}
	return run_slot(map_shared(), slot);
}
