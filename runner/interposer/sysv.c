/*
 * SysV IPC under the scheduler: shared memory segments (shmget, shmat,
 * shmdt, shmctl) and semaphore sets (semget, semctl, semop, semtimedop)
 * are steps; message queues only have their keys made private (msgget).
 *
 * Keys: a program's key other than IPC_PRIVATE, unless it is the key of a
 * declared object, is replaced by a key private to the run (a hash of the
 * run id and the key), so two runs of a program that uses key 0xABCD at
 * the same time never meet, and the object is named after the program's
 * key ("shm0xabcd"). Every object the programs create is listed, with
 * its key, in the run's list in lockstep's private directory (sh->
 * sysv_list, "KIND ID KEY" a line, runner/controller/rundir.c), which the
 * controller reads to remove them at the end of the run.
 */
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* The "type" of message queues: no declared object has it. */
#define QUEUE 0xffffu

/* semctl's fourth argument (the program defines union semun itself). */
union semarg {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *info;
};

/* Leave the interposer with errno set to err; returns ret. */
static long
leave(long ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* --- keys and the list ---------------------------------------------------- */

/* Is o a SysV object of type (a segment or a semaphore set)? */
static int
is_type(const struct lk_object *o, unsigned type)
{
	return o->type == type && (type != LK_OT_SHM || o->slot == LK_SHM_SYSV);
}

/* The key the run uses for a program's key (see above). */
static key_t
run_key(unsigned type, key_t key)
{
	const struct lk_shared *sh = lk__shared();
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	uint32_t k = (uint32_t)key;

	if (key == IPC_PRIVATE)
		return key;
	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].decl >= 0 &&
		    is_type(&sh->objects[i], type) &&
		    sh->objects[i].key == (int64_t)key)
			return key;
	for (const char *c = sh->run_id; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 1099511628211ull;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((k >> (8 * i)) & 0xff)) * 1099511628211ull;
	k = (uint32_t)(h ^ (h >> 32));
	return k == IPC_PRIVATE ? (key_t)1 : (key_t)k;
}

/* The object of a key: the declared object with it, or the object of the
 * program's key, registered on first use and named after it. -1 for
 * IPC_PRIVATE, and before the process's first step (naming objects then
 * would be racy). */
static int
key_object(unsigned type, key_t key, key_t real)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int obj;

	if (key == IPC_PRIVATE)
		return -1;
	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (is_type(&sh->objects[i], type) &&
		    sh->objects[i].key == (int64_t)real)
			return (int)i;
	if (lk__self()->state == LK_SLOT_SPAWNED)
		return -1;
	snprintf(name, sizeof(name), "%s0x%x",
	         type == LK_OT_SHM ? "shm" : "semset", (unsigned)key);
	obj = lk__obj_add(type, name);
	if (obj >= 0) {
		sh->objects[obj].key = real;
		sh->objects[obj].slot = type == LK_OT_SHM ? LK_SHM_SYSV : 0;
	}
	return obj;
}

/* Append "kind id key" to the run's list of SysV objects (in lockstep's
 * private directory, never followed if a link), for the controller to
 * remove them. 0, or -1 when it could not be recorded: then the object
 * is removed at once (it would outlive the run) and the controller is
 * told (sysv_err). errno preserved. */
static int
list_sysv(char kind, int id, key_t key)
{
	struct lk_shared *sh = lk__shared();
	char line[64];
	int fd, n, saved = errno, err = 0;

	if (sh->sysv_list[0] == '\0')
		return 0;
	fd = REAL(open)(sh->sysv_list,
	                O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else {
		n = snprintf(line, sizeof(line), "%c %d %d\n", kind, id,
		             (int)key);
		if (REAL(write)(fd, line, (size_t)n) != n)
			err = errno != 0 ? errno : EIO;
		REAL(close)(fd);
	}
	if (err != 0) {
		if (kind == 's')
			REAL(shmctl)(id, IPC_RMID, NULL);
		else if (kind == 'm')
			REAL(semctl)(id, 0, IPC_RMID);
		else
			msgctl(id, IPC_RMID, NULL);
		atomic_store(&sh->sysv_err, err);
	}
	errno = saved;
	return err != 0 ? -1 : 0;
}

/* A get of type with key real returned id for object obj (-1: none
 * yet): the object is that id now (registered if need be, with the key),
 * and an id the run had not seen is listed for removal. -1 when it could
 * not be listed (the object is gone then). */
static int
found(unsigned type, int obj, int id, key_t real)
{
	struct lk_shared *sh = lk__shared();
	int known = 0;

	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (is_type(&sh->objects[i], type) &&
		    sh->objects[i].ino == (uint64_t)id + 1)
			known = 1;
	if (obj >= 0 && sh->objects[obj].decl < 0)
		sh->objects[obj].ino = (uint64_t)id + 1;
	else if (obj < 0) {
		/* Named by order, as a key's object is not before the
		 * process's first step. */
		obj = type == LK_OT_SHM ? lk__obj_shm_id(id)
		                        : lk__obj_semset(id);
		if (obj >= 0 && sh->objects[obj].decl < 0 &&
		    sh->objects[obj].key == 0)
			sh->objects[obj].key = real;
	}
	if (known)
		return 0;
	return list_sysv(type == LK_OT_SHM ? 's' : 'm', id, real);
}

/* --- shared memory segments ---------------------------------------------- */

int
shmget(key_t key, size_t size, int flags)
{
	struct lk_step st = {.op = LK_OP_SHMGET,
	                     .u.shmget.size = (int64_t)size};
	key_t real;
	int id;

	if (!lk__enter())
		return REAL(shmget)(key, size, flags);
	real = run_key(LK_OT_SHM, key);
	st.obj = key_object(LK_OT_SHM, key, real);
	lk__arrive(LK_OP_SHMGET, st.obj, 0);
	id = REAL(shmget)(real, size, flags);
	if (id >= 0 && found(LK_OT_SHM, st.obj, id, real) != 0) {
		id = -1;
		errno = ENOSPC; /* not recorded, so not made */
	}
	st.err = id < 0 ? errno : 0;
	st.ret = id < 0 ? -1 : 0; /* ids differ from run to run */
	lk__done(&st, st.obj);
	return (int)leave(id, st.err);
}

void *
shmat(int id, const void *addr, int flags)
{
	struct lk_step st = {.op = LK_OP_SHMAT};
	void *m;

	if (!lk__enter())
		return REAL(shmat)(id, addr, flags);
	st.obj = lk__obj_shm_id(id);
	lk__arrive(LK_OP_SHMAT, st.obj, 0);
	m = REAL(shmat)(id, addr, flags);
	st.err = m == (void *)-1 ? errno : 0;
	st.ret = m == (void *)-1 ? -1 : 0;
	lk__done(&st, st.obj);
	if (m != (void *)-1) {
		struct shmid_ds ds;

		memset(&ds, 0, sizeof(ds));
		lk__obj_map(m, st.obj);
		if (REAL(shmctl)(id, IPC_STAT, &ds) == 0)
			lk__track_add(m, ds.shm_segsz,
			              (flags & SHM_RDONLY)
			                      ? PROT_READ
			                      : PROT_READ | PROT_WRITE);
	}
	lk__leave();
	errno = st.err;
	return m;
}

int
shmdt(const void *addr)
{
	struct lk_step st = {.op = LK_OP_SHMDT};

	if (!lk__enter())
		return REAL(shmdt)(addr);
	st.obj = lk__obj_mapped(addr, 1);
	lk__track_remove(addr);
	lk__arrive(LK_OP_SHMDT, st.obj, 0);
	st.ret = REAL(shmdt)(addr);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	return (int)leave(st.ret, st.err);
}

int
shmctl(int id, int cmd, struct shmid_ds *buf)
{
	struct lk_step st = {.op = LK_OP_SHMCTL, .u.shmctl.cmd = cmd};
	int index = cmd == IPC_INFO || cmd == SHM_INFO || cmd == SHM_STAT ||
	            cmd == SHM_STAT_ANY;

	if (!lk__enter())
		return REAL(shmctl)(id, cmd, buf);
	/* The *_INFO and *_STAT commands take an index, not an id. */
	st.obj = index ? -1 : lk__obj_shm_id(id);
	lk__arrive(LK_OP_SHMCTL, st.obj, 0);
	st.ret = REAL(shmctl)(id, cmd, buf);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	return (int)leave(st.ret, st.err);
}

/* --- SysV semaphore sets ------------------------------------------------ */

/* Remember a SEM_UNDO adjustment of semaphore num of set id. */
static void
note_undo(int obj, int id, unsigned num, int adj)
{
	struct lk_slot *me = lk__self();
	int free_at = -1;

	for (int i = 0; i < 8; i++) {
		if (me->semadj[i].adj != 0 && me->semadj[i].id == id &&
		    me->semadj[i].num == num) {
			me->semadj[i].adj = (int16_t)(me->semadj[i].adj + adj);
			return;
		}
		if (me->semadj[i].adj == 0 && free_at < 0)
			free_at = i;
	}
	if (free_at >= 0) {
		me->semadj[free_at].obj = obj;
		me->semadj[free_at].id = id;
		me->semadj[free_at].num = (uint16_t)num;
		me->semadj[free_at].adj = (int16_t)adj;
	}
}

/* At exit: apply the process's SEM_UNDO adjustments now, as operations
 * with SEM_UNDO themselves, so the kernel has nothing left to undo. */
void
lk__undo_semops(void)
{
	struct lk_slot *me = lk__self();

	for (int i = 0; i < 8; i++) {
		struct sembuf op;

		if (me->semadj[i].adj == 0)
			continue;
		op.sem_num = me->semadj[i].num;
		op.sem_op = me->semadj[i].adj;
		op.sem_flg = SEM_UNDO | IPC_NOWAIT;
		REAL(semop)(me->semadj[i].id, &op, 1);
		me->semadj[i].adj = 0;
		lk__wake(me->semadj[i].obj);
	}
}

/* One semop with IPC_NOWAIT on every operation, for lk__retry. */
struct semop_call {
	int id;
	struct sembuf *ops;
	size_t n;
};

static long
try_semop(void *arg)
{
	struct semop_call *c = arg;

	return REAL(semop)(c->id, c->ops, c->n);
}

/*
 * semop as a step: the operations with IPC_NOWAIT added, all applied at
 * once by the kernel or none; EAGAIN is a blocked step, retried when the
 * set changes (another semop, or an exit undoing SEM_UNDO operations).
 * The event's data is the operations as text, "[0]-1 [1]+1".
 */
static int
semop_step(int id, struct sembuf *ops, size_t n, uint64_t deadline)
{
	struct lk_step st = {.op = LK_OP_SEMOP, .u.semop.nops = (int32_t)n};
	struct sembuf nb[64];
	struct semop_call call;
	char text[64 * 16];
	size_t len = 0;
	int nowait = 0;

	if (n == 0 || n > 64)
		return (int)leave(-1, n == 0 ? EINVAL : E2BIG);
	for (size_t i = 0; i < n; i++) {
		nb[i] = ops[i];
		nowait |= ops[i].sem_flg & IPC_NOWAIT;
		nb[i].sem_flg |= IPC_NOWAIT;
		if (ops[i].sem_flg & SEM_UNDO)
			st.u.semop.undo = 1;
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s[%u]%+d", i ? " " : "",
		                        ops[i].sem_num, ops[i].sem_op);
	}
	st.data = text;
	st.len = len < sizeof(text) ? len : sizeof(text) - 1;
	st.obj = lk__obj_semset(id);
	lk__arrive(LK_OP_SEMOP, st.obj, 0);
	call.id = id;
	call.ops = nb;
	call.n = n;
	lk__retry(&st, nowait ? lk__now() : deadline, EAGAIN, try_semop, &call);
	if (st.ret == 0)
		for (size_t i = 0; i < n; i++)
			if (ops[i].sem_flg & SEM_UNDO)
				note_undo(st.obj, id, ops[i].sem_num,
				          -ops[i].sem_op);
	lk__done(&st, st.ret == 0 ? st.obj : -1);
	return (int)leave(st.ret, st.err);
}

int
semop(int id, struct sembuf *ops, size_t n)
{
	if (!lk__enter())
		return REAL(semop)(id, ops, n);
	return semop_step(id, ops, n, LK_NO_TIME);
}

int
semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *t)
{
	if (!lk__enter())
		return REAL(semtimedop)(id, ops, n, t);
	return semop_step(
	        id, ops, n,
	        t == NULL ? LK_NO_TIME
	                  : lk__now() + (uint64_t)t->tv_sec * 1000000000u +
	                            (uint64_t)t->tv_nsec);
}

/* --- semget, semctl --------------------------------------------------------
 */

int
semget(key_t key, int n, int flags)
{
	struct lk_step st = {.op = LK_OP_SEMGET, .u.semget.nsems = n};
	key_t real;
	int id;

	if (!lk__enter())
		return REAL(semget)(key, n, flags);
	real = run_key(LK_OT_SEMSET, key);
	st.obj = key_object(LK_OT_SEMSET, key, real);
	if (st.obj >= 0 && lk__shared()->objects[st.obj].decl >= 0) {
		/* A declared set exists from the start: finding it changes
		 * nothing and races with nothing (the agent's own lookup). */
		int r = REAL(semget)(key, n, flags);

		lk__leave();
		return r;
	}
	lk__arrive(LK_OP_SEMGET, st.obj, 0);
	id = REAL(semget)(real, n, flags);
	if (id >= 0 && found(LK_OT_SEMSET, st.obj, id, real) != 0) {
		id = -1;
		errno = ENOSPC; /* not recorded, so not made */
	}
	st.err = id < 0 ? errno : 0;
	st.ret = id < 0 ? -1 : 0; /* ids differ from run to run */
	lk__done(&st, -1);
	return (int)leave(id, st.err);
}

/* Does semctl's cmd take the fourth argument? */
static int
has_arg(int cmd)
{
	switch (cmd) {
	case SETVAL:
	case GETALL:
	case SETALL:
	case IPC_STAT:
	case IPC_SET:
	case IPC_INFO:
	case SEM_INFO:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return 1;
	default:
		return 0;
	}
}

/* The kernel clears every process's SEM_UNDO adjustments of the
 * semaphores a SETVAL (num), SETALL or IPC_RMID (num < 0) sets: so do
 * the slots'. */
static void
clear_undo(int id, int num)
{
	struct lk_shared *sh = lk__shared();

	for (uint32_t s = 0; s < sh->nslots; s++)
		for (int i = 0; i < 8; i++)
			if (sh->slots[s].semadj[i].id == id &&
			    (num < 0 || sh->slots[s].semadj[i].num == num))
				sh->slots[s].semadj[i].adj = 0;
}

/* The command as text, for the trace. */
static size_t
describe(int cmd, int num, union semarg arg, char *buf, size_t size)
{
	int n;

	switch (cmd) {
	case SETVAL:
		n = snprintf(buf, size, "SETVAL [%d]=%d", num, arg.val);
		break;
	case GETVAL:
		n = snprintf(buf, size, "GETVAL [%d]", num);
		break;
	case SETALL:
		n = snprintf(buf, size, "SETALL");
		break;
	case GETALL:
		n = snprintf(buf, size, "GETALL");
		break;
	case IPC_RMID:
		n = snprintf(buf, size, "IPC_RMID");
		break;
	default:
		n = snprintf(buf, size, "cmd %d [%d]", cmd, num);
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/*
 * semctl as a step. SETVAL, SETALL and IPC_RMID change the set: its
 * waiters are re-enabled (a blocked semop may go on, or fail with EIDRM).
 * The event's ret is what semctl returned (GETVAL: the value), arg the
 * command, off the semaphore number, data the command as text.
 */
int
semctl(int id, int num, int cmd, ...)
{
	struct lk_step st = {.op = LK_OP_SEMCTL, .u.semctl = {cmd, num}};
	union semarg arg = {0};
	char text[64];
	int changes = cmd == SETVAL || cmd == SETALL || cmd == IPC_RMID;
	va_list ap;

	if (has_arg(cmd)) {
		va_start(ap, cmd);
		arg = va_arg(ap, union semarg);
		va_end(ap);
	}
	if (!lk__enter())
		return REAL(semctl)(id, num, cmd, arg);
	/* The *_INFO and SEM_STAT commands take an index, not an id. */
	st.obj = cmd == IPC_INFO || cmd == SEM_INFO || cmd == SEM_STAT ||
	                         cmd == SEM_STAT_ANY
	                 ? -1
	                 : lk__obj_semset(id);
	st.len = describe(cmd, num, arg, text, sizeof(text));
	st.data = text;
	lk__arrive(LK_OP_SEMCTL, st.obj, 0);
	st.ret = REAL(semctl)(id, num, cmd, arg);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret >= 0 && changes)
		clear_undo(id, cmd == SETVAL ? num : -1);
	lk__done(&st, st.ret >= 0 && changes ? st.obj : -1);
	return (int)leave(st.ret, st.err);
}

/* --- message queues: private keys only -------------------------------------
 */

/* msgget is not a step (msgsnd and msgrcv are not under control): the
 * key is made private to the run and a queue it creates is listed. */
int
msgget(key_t key, int flags)
{
	key_t real;
	int id, err;

	if (!lk__enter())
		return REAL(msgget)(key, flags);
	real = run_key(QUEUE, key);
	id = REAL(msgget)(real, flags);
	err = errno;
	if (id >= 0 && (key == IPC_PRIVATE || (flags & IPC_CREAT)) &&
	    list_sysv('q', id, real) != 0) {
		id = -1;
		err = ENOSPC; /* not recorded, so not made */
	}
	return (int)leave(id, err);
}
