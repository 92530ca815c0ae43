/*
 * What would fail at run time, found before anything runs: a cell used by
 * a process that has not attached its region there, and a file or FIFO
 * path in a directory that does not exist (the run's work directory holds
 * only the declared files and FIFOs). Without these checks the first
 * shows as a crash of the process and the second as an internal error
 * after the run has started.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Check a file's or a FIFO's path: no directory part, as nothing in the
 * work directory is a directory; returns 0 or -1. */
int
lk__check_path_dir(const struct lk_scenario *sc, enum lk_obj_kind kind,
                   const char *name, const char *fpath, long line,
                   struct lk_err *err)
{
	const char *slash = strrchr(fpath, '/');

	if (slash == NULL)
		return 0;
	return lk__sc_fail(err, sc->path, line,
	                   "%s \"%s\" has path \"%s\", whose directory "
	                   "\"%.*s\" does not exist: the run's work directory "
	                   "holds only the declared files and FIFOs, expected "
	                   "a path without a directory, such as \"%s\"",
	                   kind == LK_OBJ_FIFO     ? "FIFO"
	                   : kind == LK_OBJ_SOCKET ? "socket"
	                                           : "file",
	                   name, fpath, (int)(slash - fpath), fpath, slash + 1);
}

/* Check a <socket>'s kind, domain and path (its address, which must fit
 * in sun_path); 0 or -1. */
int
lk__check_socket(const struct lk_scenario *sc, const char *name,
                 const char *kind, const char *domain, const char *path,
                 long line, struct lk_err *err)
{
	if (kind != NULL && strcmp(kind, "stream") != 0)
		return lk__sc_fail(err, sc->path, line,
		                   "socket \"%s\" has kind=\"%s\", expected "
		                   "kind=\"stream\" (the only kind supported "
		                   "in scenarios for now)",
		                   name, kind);
	if (domain != NULL && strcmp(domain, "unix") != 0)
		return lk__sc_fail(err, sc->path, line,
		                   "socket \"%s\" has domain=\"%s\", expected "
		                   "domain=\"unix\" (the only domain "
		                   "supported in scenarios for now)",
		                   name, domain);
	if (strlen(path) > LK_SOCK_PATH_MAX)
		return lk__sc_fail(err, sc->path, line,
		                   "socket \"%s\" has a path of %zu bytes, "
		                   "expected at most %d (a UNIX socket's "
		                   "address is short)",
		                   name, strlen(path), LK_SOCK_PATH_MAX);
	return 0;
}

/* Parse decimal digits s into *v (at most max); 0 or -1. */
static int
small_number(const char *s, long long max, long long *v)
{
	long long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > max)
			return -1;
	}
	*v = n;
	return 0;
}

/* Check <listen backlog=> (1..LK_BACKLOG_MAX, default 8); 0 or -1. */
int
lk__check_backlog(const struct lk_scenario *sc, const char *sock,
                  const char *backlog, long line, long long *out,
                  struct lk_err *err)
{
	if (backlog == NULL) {
		*out = LK_BACKLOG_DEFAULT;
		return 0;
	}
	if (small_number(backlog, LK_BACKLOG_MAX, out) < 0 || *out < 1)
		return lk__sc_fail(err, sc->path, line,
		                   "<listen socket=\"%s\" backlog=\"%s\">: "
		                   "expected 1..%d",
		                   sock, backlog, LK_BACKLOG_MAX);
	return 0;
}

/* Check <recv bytes=> (1..LK_READ_MAX, default 512); 0 or -1. */
int
lk__check_recv_bytes(const struct lk_scenario *sc, const char *conn,
                     const char *bytes, long line, unsigned *out,
                     struct lk_err *err)
{
	long long v;

	if (bytes == NULL) {
		*out = LK_READ_DEFAULT;
		return 0;
	}
	if (small_number(bytes, LK_READ_MAX, &v) < 0 || v < 1)
		return lk__sc_fail(err, sc->path, line,
		                   "<recv conn=\"%s\" bytes=\"%s\">: expected "
		                   "1..%d",
		                   conn, bytes, LK_READ_MAX);
	*out = (unsigned)v;
	return 0;
}

/* What a process holds at one point: the regions it has attached (by
 * object index), the connections it has made or inherited (by index
 * into the scenario's conns) and the sockets it listens on. */
struct attached {
	unsigned char on[LK_MAX_DECLARED];
	unsigned char conn[LK_MAX_CONNS];
	unsigned char listening[LK_MAX_DECLARED];
};

/* The element name of a socket action. */
static const char *
sock_elem(const struct lk_sc_action *x)
{
	switch (x->kind) {
	case LK_ACT_SEND:
		return "send";
	case LK_ACT_RECV:
		return "recv";
	case LK_ACT_SHUTDOWN:
		return "shutdown";
	case LK_ACT_ACCEPT:
		return "accept";
	default:
		return "close";
	}
}

/* The element name of a cell action. */
static const char *
cell_elem(enum lk_act_kind kind)
{
	return kind == LK_ACT_LOAD    ? "load"
	       : kind == LK_ACT_STORE ? "store"
	                              : "add";
}

static int walk(const struct lk_scenario *sc, const struct lk_sc_process *p,
                const struct lk_sc_action *acts, size_t n, struct attached *a,
                int report, struct lk_err *err);

/*
 * The regions attached after a <repeat> body, and its check. attach and
 * detach set or clear one region each, so one pass over the body maps a
 * state s to f(s), with f(f(s)) = f(s): every pass from the second on
 * starts from f(s). A region is attached at a point of the body in every
 * pass exactly when it is in the pass from the intersection of s and
 * f(s), so one checking pass from there covers them all, and nesting
 * costs a pass per level, not a power of two.
 */
static int
walk_repeat(const struct lk_scenario *sc, const struct lk_sc_process *p,
            const struct lk_sc_action *r, struct attached *a, int report,
            struct lk_err *err)
{
	struct attached after = *a, both;

	walk(sc, p, r->body, r->nbody, &after, 0, err);
	if (report) {
		for (size_t i = 0; i < LK_MAX_DECLARED; i++) {
			both.on[i] = a->on[i] && after.on[i];
			both.listening[i] =
			        a->listening[i] && after.listening[i];
		}
		for (size_t i = 0; i < LK_MAX_CONNS; i++)
			both.conn[i] = a->conn[i] && after.conn[i];
		if (walk(sc, p, r->body, r->nbody, &both, 1, err) < 0)
			return -1;
	}
	*a = after;
	return 0;
}

/*
 * Follow the actions of process p from the regions in a (updated), and
 * with report set, fail at the first cell used where its region is not
 * attached. A spawned process starts with what its spawner has attached
 * at the <spawn>. Handlers run at moments the scenario does not fix: they
 * are left alone.
 */
static int
walk(const struct lk_scenario *sc, const struct lk_sc_process *p,
     const struct lk_sc_action *acts, size_t n, struct attached *a, int report,
     struct lk_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct lk_sc_action *x = &acts[i];
		const struct lk_sc_object *cell, *region;

		switch (x->kind) {
		case LK_ACT_ATTACH:
		case LK_ACT_DETACH:
			if (x->obj >= 0 && (size_t)x->obj < LK_MAX_DECLARED)
				a->on[x->obj] = x->kind == LK_ACT_ATTACH;
			break;
		case LK_ACT_LOAD:
		case LK_ACT_STORE:
		case LK_ACT_ADD:
			if (!report || x->obj < 0 ||
			    (size_t)x->obj >= sc->nobjects)
				break;
			cell = &sc->objects[x->obj];
			if (cell->kind != LK_OBJ_CELL || cell->u.cell.shm < 0 ||
			    a->on[cell->u.cell.shm])
				break;
			region = &sc->objects[cell->u.cell.shm];
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<%s cell=\"%s\"> in process \"%s\" uses "
			        "region "
			        "\"%s\", which the process has not attached "
			        "there, expected <attach shm=\"%s\"/> before "
			        "it "
			        "(a spawned process has what its spawner had "
			        "attached at the <spawn>)",
			        cell_elem(x->kind), cell->name, p->name,
			        region->name, region->name);
		case LK_ACT_LISTEN:
			if (x->obj >= 0 && (size_t)x->obj < LK_MAX_DECLARED)
				a->listening[x->obj] = 1;
			break;
		case LK_ACT_CONNECT:
			if (x->conn >= 0 && x->conn < LK_MAX_CONNS)
				a->conn[x->conn] = 1;
			break;
		case LK_ACT_ACCEPT:
			if (report && x->obj >= 0 &&
			    (size_t)x->obj < LK_MAX_DECLARED &&
			    !a->listening[x->obj])
				return lk__sc_fail(
				        err, sc->path, x->line,
				        "<accept socket=\"%s\"> in process "
				        "\"%s\" accepts on a socket the "
				        "process does not listen on there, "
				        "expected <listen socket=\"%s\"/> "
				        "before it (a spawned process has what "
				        "its spawner had at the <spawn>)",
				        sc->objects[x->obj].name, p->name,
				        sc->objects[x->obj].name);
			if (x->conn >= 0 && x->conn < LK_MAX_CONNS)
				a->conn[x->conn] = 1;
			break;
		case LK_ACT_SEND:
		case LK_ACT_RECV:
		case LK_ACT_SHUTDOWN:
		case LK_ACT_CLOSE:
			if (x->kind == LK_ACT_CLOSE && x->conn < 0) {
				if (x->obj >= 0 &&
				    (size_t)x->obj < LK_MAX_DECLARED &&
				    (size_t)x->obj < sc->nobjects &&
				    sc->objects[x->obj].kind == LK_OBJ_SOCKET)
					a->listening[x->obj] = 0;
				break;
			}
			if (x->conn < 0 || x->conn >= LK_MAX_CONNS)
				break;
			if (report && !a->conn[x->conn])
				return lk__sc_fail(
				        err, sc->path, x->line,
				        "<%s conn=\"%s\"> in process \"%s\" "
				        "uses connection \"%s\", which the "
				        "process has not made there (or has "
				        "closed), expected <accept as=\"%s\"> "
				        "or "
				        "<connect as=\"%s\"> before it (a "
				        "spawned process has the connections "
				        "its spawner had at the <spawn>)",
				        sock_elem(x), sc->conns[x->conn],
				        p->name, sc->conns[x->conn],
				        sc->conns[x->conn], sc->conns[x->conn]);
			if (x->kind == LK_ACT_CLOSE)
				a->conn[x->conn] = 0;
			break;
		case LK_ACT_REPEAT:
			if (walk_repeat(sc, p, x, a, report, err) < 0)
				return -1;
			break;
		case LK_ACT_WAIT:
			/* A condition variable's test reads its cell. */
			if (!report || x->cell < 0 ||
			    (size_t)x->cell >= sc->nobjects)
				break;
			cell = &sc->objects[x->cell];
			if (cell->u.cell.shm < 0 || a->on[cell->u.cell.shm])
				break;
			region = &sc->objects[cell->u.cell.shm];
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<wait cond=\"%s\"> in process \"%s\" tests "
			        "cell \"%s\" of region \"%s\", which the "
			        "process has not attached there, expected "
			        "<attach shm=\"%s\"/> before it (a thread has "
			        "what its process had attached at its <start>)",
			        sc->objects[x->obj].name, p->name, cell->name,
			        region->name, region->name);
		case LK_ACT_START:
			/* The thread runs from here with what its process
			 * has attached now. */
			for (size_t t = 0, k = 0; report && t < p->nactions;
			     t++) {
				struct attached inherited = *a;

				if (p->actions[t].kind != LK_ACT_THREAD ||
				    (long long)k++ != x->value)
					continue;
				if (walk(sc, p, p->actions[t].body,
				         p->actions[t].nbody, &inherited, 1,
				         err) < 0)
					return -1;
			}
			break;
		case LK_ACT_SPAWN:
			for (unsigned k = 0; report && k < x->nproc; k++) {
				const struct lk_sc_process *c;
				struct attached inherited = *a;

				if (x->proc < 0 ||
				    (size_t)x->proc + k >= sc->nprocs)
					break;
				c = &sc->procs[x->proc + k];
				if (walk(sc, c, c->actions, c->nactions,
				         &inherited, 1, err) < 0)
					return -1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Check that every cell is used where its region is attached, and every
 * connection name where the process has made it (an <accept> where it
 * listens), from each process lockstep starts (spawned ones through
 * their <spawn>); 0 or -1.
 * The spawn tree must have been checked (lk__check_spawns). */
int
lk__check_attached(const struct lk_scenario *sc, struct lk_err *err)
{
	for (size_t i = 0; i < sc->nprocs; i++) {
		const struct lk_sc_process *p = &sc->procs[i];
		struct attached none;

		if (p->spawned)
			continue;
		memset(&none, 0, sizeof(none));
		if (walk(sc, p, p->actions, p->nactions, &none, 1, err) < 0)
			return -1;
	}
	return 0;
}

/* --- threads ----------------------------------------------------------- */

/* The mutexes one thread (or a process's own actions) holds, as far as
 * the text says: a lock adds, an unlock removes, a <repeat> body is
 * followed once. */
struct held {
	unsigned char on[LK_MAX_DECLARED];
};

static const char *
who(const char *thread, char *buf, size_t size, const char *pname)
{
	if (thread == NULL)
		snprintf(buf, size, "process \"%s\"", pname);
	else
		snprintf(buf, size, "thread \"%s\" of process \"%s\"", thread,
		         pname);
	return buf;
}

/* Check that each unlock and condition wait in acts holds its mutex. */
static int
walk_held(const struct lk_scenario *sc, const struct lk_sc_process *p,
          const char *thread, const struct lk_sc_action *acts, size_t n,
          struct held *h, struct lk_err *err)
{
	char by[2 * LK_NAME_MAX + 32];

	for (size_t i = 0; i < n; i++) {
		const struct lk_sc_action *x = &acts[i];
		int m = x->kind == LK_ACT_WAIT ? x->mutex : x->obj;

		if (x->kind == LK_ACT_REPEAT) {
			if (walk_held(sc, p, thread, x->body, x->nbody, h,
			              err) < 0)
				return -1;
			continue;
		}
		if (!x->sync || m < 0 || (size_t)m >= LK_MAX_DECLARED)
			continue;
		if (x->kind == LK_ACT_LOCK) {
			h->on[m] = 1;
			continue;
		}
		if (h->on[m]) {
			if (x->kind == LK_ACT_UNLOCK)
				h->on[m] = 0;
			continue;
		}
		if (x->kind == LK_ACT_UNLOCK)
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<unlock mutex=\"%s\"> in %s unlocks a mutex "
			        "it does not hold there, expected a <lock "
			        "mutex=\"%s\"/> before it in the same thread",
			        sc->objects[m].name,
			        who(thread, by, sizeof(by), p->name),
			        sc->objects[m].name);
		return lk__sc_fail(err, sc->path, x->line,
		                   "<wait cond=\"%s\" mutex=\"%s\"> in %s "
		                   "waits without holding mutex \"%s\", "
		                   "expected a <lock mutex=\"%s\"/> before it "
		                   "in the same thread (the wait releases it)",
		                   sc->objects[x->obj].name,
		                   sc->objects[m].name,
		                   who(thread, by, sizeof(by), p->name),
		                   sc->objects[m].name, sc->objects[m].name);
	}
	return 0;
}

/* Resolve the <start>s and <join>s among acts (of process p, whose
 * threads are named names[0..n)), in order: started[k] is the line of
 * thread k's <start>. */
static int
walk_starts(const struct lk_scenario *sc, const struct lk_sc_process *p,
            struct lk_sc_action *acts, size_t n, int repeat,
            const char *const *names, size_t nthreads, int *started,
            struct lk_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct lk_sc_action *x = &acts[i];
		const char *elem = x->kind == LK_ACT_START ? "start" : "join";
		size_t k;

		if (x->kind == LK_ACT_REPEAT) {
			if (walk_starts(sc, p, x->body, x->nbody, 1, names,
			                nthreads, started, err) < 0)
				return -1;
			continue;
		}
		if (x->kind != LK_ACT_START && x->kind != LK_ACT_JOIN)
			continue;
		for (k = 0; k < nthreads; k++)
			if (strcmp(names[k], x->text) == 0)
				break;
		if (k == nthreads) {
			char list[512] = "";
			size_t used = 0;

			for (size_t j = 0; j < nthreads && used < sizeof(list);
			     j++)
				used += (size_t)snprintf(
				        list + used, sizeof(list) - used,
				        "%s%s", j ? ", " : "", names[j]);
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<%s thread=\"%s\"> names a thread process "
			        "\"%s\" does not declare (%s%s)",
			        elem, x->text, p->name,
			        nthreads ? "its threads: "
			                 : "it declares no "
			                   "<thread>",
			        list);
		}
		x->value = (long long)k;
		if (repeat)
			return lk__sc_fail(err, sc->path, x->line,
			                   "<%s thread=\"%s\"> is inside a "
			                   "<repeat>, expected each thread "
			                   "started and joined once",
			                   elem, x->text);
		if (x->kind == LK_ACT_START && started[k] > 0)
			return lk__sc_fail(err, sc->path, x->line,
			                   "<start thread=\"%s\"> starts a "
			                   "thread already started on line %d, "
			                   "expected one <start> per thread",
			                   x->text, started[k]);
		if (x->kind == LK_ACT_JOIN && started[k] == 0)
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<join thread=\"%s\"> joins a thread "
			        "that is not started before it, "
			        "expected <start thread=\"%s\"/> "
			        "first",
			        x->text, x->text);
		if (x->kind == LK_ACT_JOIN && started[k] < 0)
			return lk__sc_fail(
			        err, sc->path, x->line,
			        "<join thread=\"%s\"> joins a thread "
			        "already joined, expected one <join> "
			        "per thread",
			        x->text);
		started[k] = x->kind == LK_ACT_START ? x->line : -1;
	}
	return 0;
}

int
lk__check_threads(struct lk_scenario *sc, struct lk_err *err)
{
	for (size_t i = 0; i < sc->nprocs; i++) {
		struct lk_sc_process *p = &sc->procs[i];
		const char *names[LK_MAX_THREADS];
		int started[LK_MAX_THREADS] = {0}, lines[LK_MAX_THREADS];
		size_t n = 0;
		struct held h;

		for (size_t t = 0; t < p->nactions; t++) {
			const struct lk_sc_action *x = &p->actions[t];

			if (x->kind != LK_ACT_THREAD)
				continue;
			for (size_t j = 0; j < n; j++)
				if (strcmp(names[j], x->text) == 0)
					return lk__sc_fail(
					        err, sc->path, x->line,
					        "<thread name=\"%s\"> reuses "
					        "the "
					        "name of the thread of line "
					        "%d, "
					        "expected unique thread names "
					        "in "
					        "process \"%s\"",
					        x->text, lines[j], p->name);
			if (n == LK_MAX_THREADS)
				return lk__sc_fail(
				        err, sc->path, x->line,
				        "<thread name=\"%s\"> is thread number "
				        "%d of process \"%s\", expected at "
				        "most "
				        "%d",
				        x->text, LK_MAX_THREADS + 1, p->name,
				        LK_MAX_THREADS);
			lines[n] = x->line;
			names[n++] = x->text;
		}
		if (walk_starts(sc, p, p->actions, p->nactions, 0, names, n,
		                started, err) < 0)
			return -1;
		memset(&h, 0, sizeof(h));
		if (walk_held(sc, p, NULL, p->actions, p->nactions, &h, err) <
		    0)
			return -1;
		for (size_t t = 0; t < p->nactions; t++) {
			const struct lk_sc_action *x = &p->actions[t];

			if (x->kind != LK_ACT_THREAD)
				continue;
			memset(&h, 0, sizeof(h));
			if (walk_held(sc, p, x->text, x->body, x->nbody, &h,
			              err) < 0)
				return -1;
		}
	}
	return 0;
}
