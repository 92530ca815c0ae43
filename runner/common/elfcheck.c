/* Can lockstep follow a process into a program (see elfcheck.h)? */
#include <sys/stat.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/elfcheck.h"

#define MAX_PHDRS   512  /* more program headers: not judged */
#define MAX_DYN     1024 /* entries of the dynamic section looked at */
#define MAX_SCRIPTS 4    /* "#!" levels, as the kernel allows */
#define HEAD        256  /* bytes the kernel reads of a "#!" line too */

/* A program header, either class. */
struct phdr {
	uint32_t type;
	uint64_t offset, filesz;
};

/* Read exactly len bytes at off; 0 or -1. */
static int
read_at(int fd, void *buf, size_t len, uint64_t off)
{
	return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

/* Program header i of a table at phoff with entries of entsize. */
static int
read_phdr(int fd, int is64, uint64_t phoff, unsigned entsize, unsigned i,
          struct phdr *p)
{
	uint64_t at = phoff + (uint64_t)i * entsize;

	if (is64) {
		Elf64_Phdr h;

		if (read_at(fd, &h, sizeof(h), at) != 0)
			return -1;
		p->type = h.p_type;
		p->offset = h.p_offset;
		p->filesz = h.p_filesz;
	} else {
		Elf32_Phdr h;

		if (read_at(fd, &h, sizeof(h), at) != 0)
			return -1;
		p->type = h.p_type;
		p->offset = h.p_offset;
		p->filesz = h.p_filesz;
	}
	return 0;
}

/* Does the dynamic section dyn name the object itself (DT_SONAME)? Then
 * it is a shared object run directly, like the dynamic loader, which
 * does honour LD_PRELOAD. A static-pie program has no soname. */
static int
has_soname(int fd, int is64, const struct phdr *dyn)
{
	size_t esz = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);

	for (uint64_t k = 0; k < dyn->filesz / esz && k < MAX_DYN; k++) {
		int64_t tag;

		if (is64) {
			Elf64_Dyn d;

			if (read_at(fd, &d, sizeof(d), dyn->offset + k * esz))
				return 0;
			tag = d.d_tag;
		} else {
			Elf32_Dyn d;

			if (read_at(fd, &d, sizeof(d), dyn->offset + k * esz))
				return 0;
			tag = d.d_tag;
		}
		if (tag == DT_NULL)
			return 0;
		if (tag == DT_SONAME)
			return 1;
	}
	return 0;
}

/* Is the ELF file fd, whose first n bytes are head, a program the
 * dynamic loader does not start (no PT_INTERP)? Anything that is not a
 * native ELF program is not judged: 0. */
static int
is_static(int fd, const unsigned char *head, size_t n)
{
	struct phdr p, dyn = {0};
	uint64_t phoff;
	unsigned type, entsize, num, is64, have_dyn = 0;

	if (n < sizeof(Elf64_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0)
		return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (head[EI_DATA] != ELFDATA2LSB)
		return 0;
#else
	if (head[EI_DATA] != ELFDATA2MSB)
		return 0;
#endif
	if (head[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		is64 = 1;
		type = eh.e_type;
		phoff = eh.e_phoff;
		entsize = eh.e_phentsize;
		num = eh.e_phnum;
	} else if (head[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		memcpy(&eh, head, sizeof(eh));
		is64 = 0;
		type = eh.e_type;
		phoff = eh.e_phoff;
		entsize = eh.e_phentsize;
		num = eh.e_phnum;
	} else {
		return 0;
	}
	if ((type != ET_EXEC && type != ET_DYN) || num == 0 ||
	    num > MAX_PHDRS ||
	    entsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return 0;
	for (unsigned i = 0; i < num; i++) {
		if (read_phdr(fd, is64, phoff, entsize, i, &p) != 0)
			return 0;
		if (p.type == PT_INTERP)
			return 0;
		if (p.type == PT_DYNAMIC) {
			dyn = p;
			have_dyn = 1;
		}
	}
	return !(type == ET_DYN && have_dyn && has_soname(fd, is64, &dyn));
}

/* The interpreter of a "#!" line in head (n bytes) into buf; 0 or -1. */
static int
interpreter(const unsigned char *head, size_t n, char *buf, size_t size)
{
	size_t i = 2, k = 0;

	while (i < n && (head[i] == ' ' || head[i] == '\t'))
		i++;
	while (i < n && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' &&
	       head[i] != '\0' && k + 1 < size)
		buf[k++] = (char)head[i++];
	buf[k] = '\0';
	return k > 0 ? 0 : -1;
}

/* lk_elf_check, depth scripts deep. */
static int
check(const char *path, int depth)
{
	unsigned char head[HEAD];
	char interp[HEAD];
	struct stat st;
	ssize_t n;
	int fd, v = LK_ELF_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return LK_ELF_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (n = pread(fd, head, sizeof(head), 0)) < 0) {
		close(fd);
		return LK_ELF_OK;
	}
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		/* The kernel ignores the set-id bits of a script. */
		close(fd);
		if (depth >= MAX_SCRIPTS ||
		    interpreter(head, (size_t)n, interp, sizeof(interp)) != 0)
			return LK_ELF_OK;
		return check(interp, depth + 1);
	}
	if (st.st_mode & S_ISUID)
		v = LK_ELF_SETUID;
	else if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		v = LK_ELF_SETGID; /* without group execute: not set-id */
	else if (is_static(fd, head, (size_t)n))
		v = LK_ELF_STATIC;
	close(fd);
	return v;
}

/* Can a process that execs path be followed? errno preserved. */
int
lk_elf_check(const char *path)
{
	int saved = errno, v = check(path, 0);

	errno = saved;
	return v;
}

/* What a verdict means, for messages. */
const char *
lk_elf_why(int verdict)
{
	switch (verdict) {
	case LK_ELF_STATIC:
		return "statically linked";
	case LK_ELF_SETUID:
		return "setuid";
	case LK_ELF_SETGID:
		return "setgid";
	default:
		return "ok";
	}
}

/* Is path an executable regular file? */
static int
runnable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* The file execvp would run for file (see elfcheck.h). */
int
lk_elf_find(const char *file, char *buf, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;
	int saved = errno, n;

	if (strchr(file, '/') != NULL) {
		n = snprintf(buf, size, "%s", file);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path; *file != '\0'; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		/* An empty element is the current directory. */
		n = snprintf(buf, size, "%.*s%s%s", (int)(end - p), p,
		             end > p ? "/" : "", file);
		if (n >= 0 && (size_t)n < size && runnable(buf)) {
			errno = saved;
			return 0;
		}
		if (*end == '\0')
			break;
	}
	errno = saved;
	return -1;
}
