/*
 * Which run object a semaphore address or a file descriptor is. Declared
 * objects are in the shared table from the start; anything else is
 * registered the first time it is used, under a name that depends only on
 * the order of use, which the schedule fixes, so names are reproducible.
 * Lookups are cached per process (struct lk_ip_state); the caches are
 * inherited on fork.
 */
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/kcmp.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* The object cached for addr, or -2 when it is not there. */
static int
cache_find(const struct lk_ip_addr_cache *c, const void *addr)
{
	for (unsigned i = 0; i < LK_IP_ADDR_CACHE; i++)
		if (c->e[i].addr == addr)
			return c->e[i].obj;
	return -2;
}

/* Remember that addr is object obj. */
static void
cache_put(struct lk_ip_addr_cache *c, const void *addr, int obj)
{
	for (unsigned i = 0; i < LK_IP_ADDR_CACHE; i++)
		if (c->e[i].addr == addr) {
			c->e[i].obj = obj;
			return;
		}
	c->e[c->next].addr = addr;
	c->e[c->next].obj = obj;
	c->next = (c->next + 1) % LK_IP_ADDR_CACHE;
}

/* Add an object of type with name (made unique) to the table, or -1. */
int
lk__obj_add(unsigned type, const char *name)
{
	struct lk_shared *sh = lk__shared();
	struct lk_object *o;
	char unique[LK_NAME_MAX];

	if (sh->nobjects >= LK_MAX_OBJECTS) {
		/* Calls on it will not be steps: the report says so. */
		atomic_fetch_or(&sh->objects_full, 2u);
		return -1;
	}
	snprintf(unique, sizeof(unique), "%s", name);
	for (unsigned k = 2;; k++) {
		int clash = 0;

		for (uint32_t i = 0; i < sh->nobjects; i++)
			if (strcmp(sh->objects[i].name, unique) == 0)
				clash = 1;
		if (!clash)
			break;
		snprintf(unique, sizeof(unique), "%.*s#%u", LK_NAME_MAX - 12,
		         name, k);
	}
	o = &sh->objects[sh->nobjects];
	memset(o, 0, sizeof(*o));
	o->type = type;
	o->decl = -1;
	snprintf(o->name, sizeof(o->name), "%s", unique);
	return (int)sh->nobjects++;
}

/*
 * Find the mapping that holds addr in /proc/self/maps: its inode and the
 * file offset of addr, which name the memory the same way in every
 * process that maps it; *private (when not NULL) says whether the
 * mapping is private to the process (a copy after a fork), not shared.
 * Returns 0, or -1 when addr is not mapped.
 */
static int
memory_identity_of(const void *addr, uint64_t *ino, uint64_t *off, int *private)
{
	char buf[8192], *line, *nl;
	size_t have = 0;
	ssize_t n;
	int fd, found = -1;
	unsigned long a = (unsigned long)addr;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			unsigned long lo, hi, foff, inode;
			char perms[8];

			*nl = '\0';
			if (sscanf(line, "%lx-%lx %7s %lx %*s %lu", &lo, &hi,
			           perms, &foff, &inode) == 5 &&
			    a >= lo && a < hi) {
				if (private != NULL)
					*private = perms[3] != 's';
				*ino = inode;
				*off = inode != 0 ? foff + (a - lo) : a;
				found = 0;
				break;
			}
			line = nl + 1;
		}
		if (found == 0)
			break;
		have = strlen(line);
		memmove(buf, line, have);
	}
	close(fd);
	return found;
}

/* memory_identity_of, where sharing does not matter. */
static int
memory_identity(const void *addr, uint64_t *ino, uint64_t *off)
{
	return memory_identity_of(addr, ino, off, NULL);
}

/* Object of a semaphore, registering an unknown one: by the memory that
 * holds it, and in memory private to a process (not shared: a forked
 * child has a copy at the same address) by the process too. errno
 * preserved. */
int
lk__obj_sem(sem_t *sem)
{
	struct lk_shared *sh = lk__shared();
	uint64_t ino, off;
	int saved = errno, obj, private = 0;
	int64_t key;
	char name[LK_NAME_MAX];

	if ((obj = cache_find(&lk__ip.sem_cache, sem)) != -2)
		return obj;
	obj = -1;
	if (memory_identity_of(sem, &ino, &off, &private) == 0) {
		key = private ? lk__process_of(lk__lane) + 1 : 0;
		for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
			if (sh->objects[i].type == LK_OT_SEM_UNNAMED &&
			    sh->objects[i].ino == ino &&
			    sh->objects[i].off == off &&
			    sh->objects[i].key == key)
				obj = (int)i;
		if (obj < 0) {
			snprintf(name, sizeof(name), "sem%u", sh->nobjects);
			obj = lk__obj_add(LK_OT_SEM_UNNAMED, name);
			if (obj >= 0) {
				sh->objects[obj].ino = ino;
				sh->objects[obj].off = off;
				sh->objects[obj].key = key;
			}
		}
	}
	cache_put(&lk__ip.sem_cache, sem, obj);
	errno = saved;
	return obj;
}

/* In a forked child: forget the semaphores of private memory looked up
 * so far (they were the parent's objects; the child's copies are its
 * own). Shared and named ones stay. */
void
lk__obj_forget_private(void)
{
	struct lk_shared *sh = lk__shared();
	struct lk_ip_addr_cache *c = &lk__ip.sem_cache;

	for (unsigned i = 0; i < LK_IP_ADDR_CACHE; i++)
		if (c->e[i].addr != NULL && c->e[i].obj >= 0 &&
		    (uint32_t)c->e[i].obj < sh->nobjects &&
		    sh->objects[c->e[i].obj].type == LK_OT_SEM_UNNAMED &&
		    sh->objects[c->e[i].obj].key != 0)
			c->e[i].addr = NULL;
}

/* Object of the named semaphore called name ("/x" or "x"). */
int
lk__obj_sem_named(const char *name, sem_t *sem)
{
	struct lk_shared *sh = lk__shared();
	int obj = -1;

	if (name[0] == '/')
		name++;
	for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
		if (sh->objects[i].type == LK_OT_SEM_NAMED &&
		    strcmp(sh->objects[i].name, name) == 0)
			obj = (int)i;
	if (obj < 0)
		obj = lk__obj_add(LK_OT_SEM_NAMED, name);
	if (sem != NULL && sem != SEM_FAILED)
		cache_put(&lk__ip.sem_cache, sem, obj);
	return obj;
}

/* Is path a file of the system (under /usr, /etc, /lib, /proc, /sys, and
 * /dev/urandom, /dev/random)?
 * Reads and writes of those are not steps: glibc reads them by itself
 * (locale.alias at start-up) and no two processes of a run share them. */
static int
system_file(const char *path)
{
	static const char *const dirs[] = {"/usr/",   "/etc/",  "/lib/",
	                                   "/lib64/", "/proc/", "/sys/"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
			return 1;
	/* Their reads are the run's own bytes (entropy.c). */
	return strcmp(path, "/dev/urandom") == 0 ||
	       strcmp(path, "/dev/random") == 0;
}

static const char *const std[] = {"stdin", "stdout", "stderr"};

/*
 * Is fd one of the descriptors 0, 1, 2 lockstep gave the processes it
 * started (/dev/null, the output, the caller's standard error), or a copy
 * of one? Then which: 0, 1 or 2; -1 when not. Whatever they really are (a
 * tty, a pipe, a file, /dev/null), they are the same three objects, so a
 * run's trace does not depend on how lockstep was started. A pipe or a
 * file is known by its inode; a device (/dev/null is stdin and may be
 * stderr too) only at its own number or as a copy of it (kcmp: the same
 * open file), as a program may open the device itself.
 */
static int
stdio_of(int fd)
{
	struct lk_shared *sh = lk__shared();
	uint32_t known = atomic_load(&sh->stdio_known), match = 0;
	pid_t me = getpid();
	struct stat st;

	if (known == 0 || fstat(fd, &st) != 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if ((known & (1u << i)) && sh->stdio_dev[i] == st.st_dev &&
		    sh->stdio_ino[i] == st.st_ino)
			match |= 1u << i;
	if (fd >= 0 && fd <= 2 && (match & (1u << fd)))
		return fd;
	for (int i = 0; i < 3; i++)
		if ((match & (1u << i)) &&
		    (!S_ISCHR(st.st_mode) ||
		     syscall(SYS_kcmp, me, me, KCMP_FILE, fd, i) == 0))
			return i;
	return -1;
}

/* The object of standard stream k (see stdio_of), registered at its
 * first use with path; -1 when it may not be registered yet. */
static int
stdio_obj(int k, const char *path)
{
	struct lk_shared *sh = lk__shared();
	int obj = -1;

	for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
		if (sh->objects[i].type == LK_OT_STREAM &&
		    strcmp(sh->objects[i].name, std[k]) == 0)
			obj = (int)i;
	if (obj >= 0 ||
	    (lk__self()->state == LK_SLOT_SPAWNED && sh->nslots > 1))
		return obj;
	obj = lk__obj_add(LK_OT_STREAM, std[k]);
	if (obj >= 0)
		snprintf(sh->objects[obj].path, sizeof(sh->objects[obj].path),
		         "%s", path);
	return obj;
}

/* Object written to through fd. errno preserved. */
int
lk__obj_fd(int fd)
{
	struct lk_shared *sh = lk__shared();
	char link[64], path[LK_PATH_MAX], name[LK_NAME_MAX];
	const char *base;
	int saved = errno, obj = -1, k;
	ssize_t n;

	if (fd >= 0 && fd < LK_IP_FD_CACHE && lk__ip.fd_cache[fd] != 0)
		return lk__ip.fd_cache[fd] - 1;
	/* lockstep's own descriptors are no object of the program's. */
	if (lk__run_fd(fd))
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n >= 0 && (k = stdio_of(fd)) >= 0) {
		path[n] = '\0';
		obj = stdio_obj(k, path);
		if (obj < 0) {
			errno = saved;
			return -1;
		}
	} else if (n >= 0 && (path[n] = '\0', 1) &&
	           strncmp(path, "socket:[", 8) == 0 &&
	           (k = lk__obj_sock(fd, path)) != -2) {
		/* An end of a UNIX stream socket the run made (sock.c);
		 * other sockets stay what they were, files by name. */
		obj = k;
	} else if (n >= 0) {
		path[n] = '\0';
		/* The standard streams are known by stdio_of alone: their
		 * path (/dev/null, a tty) may be opened anew. */
		for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
			if (sh->objects[i].type != LK_OT_SEM_NAMED &&
			    sh->objects[i].type != LK_OT_SEM_UNNAMED &&
			    sh->objects[i].type != LK_OT_CELL &&
			    sh->objects[i].type != LK_OT_NAME &&
			    sh->objects[i].type != LK_OT_STREAM &&
			    strcmp(sh->objects[i].path, path) == 0)
				obj = (int)i;
		if (obj < 0 && system_file(path)) {
			/* libc's locale, passwd or time zone files, a
			 * program's own libraries: not shared state. */
			errno = saved;
			return -1;
		}
		if (obj < 0 && lk__self()->state == LK_SLOT_SPAWNED &&
		    sh->nslots > 1) {
			/* Before its first step a process runs alongside
			 * the others lockstep started: registering here
			 * would name objects in a racy order. Unknown stays
			 * unknown. (A program's main is alone: it may.) */
			errno = saved;
			return -1;
		}
		if (obj < 0 && strncmp(path, "pipe:", 5) == 0) {
			/* Named by order of first use: reproducible. */
			snprintf(name, sizeof(name), "pipe%u", sh->nobjects);
			obj = lk__obj_add(LK_OT_PIPE, name);
		} else if (obj < 0) {
			struct stat st;

			base = strrchr(path, '/');
			base = base != NULL && base[1] != '\0' ? base + 1
			                                       : path;
			/* Anything else at 0, 1, 2 (sh's 2>/dev/null) is
			 * still the standard stream, in any environment. */
			obj = fd <= 2 ? stdio_obj(fd, path)
			      : fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)
			              ? lk__obj_add(LK_OT_FIFO, base)
			              : lk__obj_add(LK_OT_FILE, base);
		}
		if (obj >= 0 && sh->objects[obj].path[0] == '\0') {
			if (obj >= 0)
				snprintf(sh->objects[obj].path,
				         sizeof(sh->objects[obj].path), "%s",
				         path);
		}
	}
	if (fd >= 0 && fd < LK_IP_FD_CACHE)
		lk__ip.fd_cache[fd] = obj + 1;
	errno = saved;
	return obj;
}

/* Is obj a pipe, a FIFO or a socket's end (a queue of bytes)? */
int
lk__obj_is_pipe(int obj)
{
	const struct lk_shared *sh = lk__shared();

	return obj >= 0 && (sh->objects[obj].type == LK_OT_PIPE ||
	                    sh->objects[obj].type == LK_OT_FIFO ||
	                    sh->objects[obj].type == LK_OT_SOCK);
}

/* Is obj a regular file of the run (a declared or a discovered one)? */
int
lk__obj_is_file(int obj)
{
	return obj >= 0 && lk__shared()->objects[obj].type == LK_OT_FILE;
}

/* Forget what fd was (it was closed). */
void
lk__obj_fd_forget(int fd)
{
	if (fd >= 0 && fd < LK_IP_FD_CACHE)
		lk__ip.fd_cache[fd] = 0;
}

/* Forget descriptors lo..hi (close_range). */
void
lk__obj_fd_forget_range(unsigned lo, unsigned hi)
{
	for (unsigned fd = lo; fd < LK_IP_FD_CACHE && fd <= hi; fd++)
		lk__ip.fd_cache[fd] = 0;
}

/* The private name of a named semaphore in this run, into buf. */
int
lk__private_name(const char *name, char *buf, size_t size)
{
	return lk_private_name(lk__shared()->run_id, name, buf, size);
}

/* Object of the POSIX shared memory region called name ("/x" or "x"),
 * registering an unknown one with the path its descriptors show. */
int
lk__obj_shm_named(const char *name)
{
	struct lk_shared *sh = lk__shared();
	char priv[LK_PATH_MAX - 16];
	int obj = -1;

	if (name[0] == '/')
		name++;
	for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
		if (sh->objects[i].type == LK_OT_SHM &&
		    sh->objects[i].slot != LK_SHM_SYSV &&
		    strcmp(sh->objects[i].name, name) == 0)
			obj = (int)i;
	if (obj >= 0 || lk__private_name(name, priv, sizeof(priv)) != 0)
		return obj;
	obj = lk__obj_add(LK_OT_SHM, name);
	if (obj >= 0) {
		sh->objects[obj].slot = LK_SHM_POSIX;
		snprintf(sh->objects[obj].path, sizeof(sh->objects[obj].path),
		         "/dev/shm%s", priv);
	}
	return obj;
}

/* Object of the SysV region with key (a declared one), or -1. */
int
lk__obj_shm_key(key_t key)
{
	struct lk_shared *sh = lk__shared();

	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SHM &&
		    sh->objects[i].slot == LK_SHM_SYSV &&
		    sh->objects[i].key == (int64_t)key && key != IPC_PRIVATE)
			return (int)i;
	return -1;
}

/* Object of the SysV region with id, registering an unknown one. */
int
lk__obj_shm_id(int id)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int obj;

	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SHM &&
		    sh->objects[i].slot == LK_SHM_SYSV &&
		    sh->objects[i].ino == (uint64_t)id + 1)
			return (int)i;
	snprintf(name, sizeof(name), "shm%u", sh->nobjects);
	obj = lk__obj_add(LK_OT_SHM, name);
	if (obj >= 0) {
		sh->objects[obj].slot = LK_SHM_SYSV;
		sh->objects[obj].ino = (uint64_t)id + 1;
	}
	return obj;
}

/* Remember that region object obj is mapped at addr. */
void
lk__obj_map(const void *addr, int obj)
{
	for (unsigned i = 0; i < LK_IP_MAPS; i++)
		if (lk__ip.maps[i].addr == NULL ||
		    lk__ip.maps[i].addr == addr) {
			lk__ip.maps[i].addr = addr;
			lk__ip.maps[i].obj = obj;
			return;
		}
}

/* The region object mapped at addr (forgetting it), or -1. */
int
lk__obj_mapped(const void *addr, int forget)
{
	for (unsigned i = 0; i < LK_IP_MAPS; i++)
		if (lk__ip.maps[i].addr == addr && addr != NULL) {
			int obj = lk__ip.maps[i].obj;

			if (forget)
				lk__ip.maps[i].addr = NULL;
			return obj;
		}
	return -1;
}

/* The cell object of a shared memory address (--track-shm). */
int
lk__obj_cell(const void *addr)
{
	struct lk_shared *sh = lk__shared();
	char key[LK_PATH_MAX], name[LK_NAME_MAX];
	uint64_t ino, off;
	int saved = errno, obj, region = -1;

	if ((obj = cache_find(&lk__ip.cell_cache, addr)) != -2)
		return obj;
	obj = -1;
	if (memory_identity(addr, &ino, &off) != 0)
		return -1;
	snprintf(key, sizeof(key), "cell:%llu:%llu", (unsigned long long)ino,
	         (unsigned long long)off);
	for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
		if (sh->objects[i].type == LK_OT_CELL &&
		    strcmp(sh->objects[i].path, key) == 0)
			obj = (int)i;
	if (obj < 0) {
		/* After the object mapped there, if lockstep knows it. */
		const void *best = NULL;

		for (unsigned i = 0; i < LK_IP_MAPS; i++)
			if (lk__ip.maps[i].addr != NULL &&
			    lk__ip.maps[i].addr <= addr &&
			    (best == NULL || lk__ip.maps[i].addr > best)) {
				best = lk__ip.maps[i].addr;
				region = lk__ip.maps[i].obj;
			}
		snprintf(name, sizeof(name), "%.*s+%llu", LK_NAME_MAX - 24,
		         region >= 0 ? sh->objects[region].name : "shared",
		         (unsigned long long)(off % (1ull << 30)));
		obj = lk__obj_add(LK_OT_CELL, name);
		if (obj >= 0)
			snprintf(sh->objects[obj].path,
			         sizeof(sh->objects[obj].path), "%s", key);
	}
	cache_put(&lk__ip.cell_cache, addr, obj);
	errno = saved;
	return obj;
}

/* Object of the SysV semaphore set with id, registering an unknown one
 * (named by order of first use). */
int
lk__obj_semset(int id)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int obj;

	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SEMSET &&
		    sh->objects[i].ino == (uint64_t)id + 1)
			return (int)i;
	snprintf(name, sizeof(name), "semset%u", sh->nobjects);
	obj = lk__obj_add(LK_OT_SEMSET, name);
	if (obj >= 0)
		sh->objects[obj].ino = (uint64_t)id + 1;
	return obj;
}

/* The name of a mutex or condition variable at addr: the global variable
 * it is, when the dynamic symbols say so (dladdr), else its kind and
 * its number among those of its kind, in order of first use. */
static void
sync_name(unsigned type, const void *addr, char *name, size_t size)
{
	struct lk_shared *sh = lk__shared();
	const char *kind = type == LK_OT_MUTEX     ? "mutex"
	                   : type == LK_OT_COND    ? "cond"
	                   : type == LK_OT_RWLOCK  ? "rwlock"
	                   : type == LK_OT_BARRIER ? "barrier"
	                   : type == LK_OT_SPIN    ? "spin"
	                                           : "once";
	unsigned n = 1;
	Dl_info di;

	if (dladdr(addr, &di) != 0 && di.dli_sname != NULL &&
	    di.dli_saddr == addr) {
		snprintf(name, size, "%s", di.dli_sname);
		return;
	}
	for (uint32_t i = 0; i < sh->nobjects; i++)
		n += sh->objects[i].type == type;
	snprintf(name, size, "%s%u", kind, n);
}

/* Object of a mutex or condition variable (interposer.h). */
int
lk__obj_sync(unsigned type, const void *addr, int pshared)
{
	struct lk_shared *sh = lk__shared();
	int saved = errno, obj = -1, proc = lk__process_of(lk__lane);
	uint64_t ino = 0, off = (uintptr_t)addr;
	int64_t key = proc + 1;
	char name[LK_NAME_MAX];

	/* Shared between processes: named by the memory, as an unnamed
	 * semaphore is; private: by the process and the address (a forked
	 * child's copy at the same address is another object). */
	if (pshared) {
		if ((obj = cache_find(&lk__ip.sync_cache, addr)) != -2) {
			errno = saved;
			return obj;
		}
		if (memory_identity(addr, &ino, &off) != 0) {
			errno = saved;
			return -1;
		}
		key = 0;
	}
	obj = -1;
	for (uint32_t i = 0; i < sh->nobjects && obj < 0; i++)
		if (sh->objects[i].type == type && sh->objects[i].ino == ino &&
		    sh->objects[i].off == off && sh->objects[i].key == key)
			obj = (int)i;
	if (obj < 0) {
		sync_name(type, addr, name, sizeof(name));
		obj = lk__obj_add(type, name);
		if (obj >= 0) {
			sh->objects[obj].ino = ino;
			sh->objects[obj].off = off;
			sh->objects[obj].key = key;
		}
	}
	if (pshared)
		cache_put(&lk__ip.sync_cache, addr, obj);
	errno = saved;
	return obj;
}
