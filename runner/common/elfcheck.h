/*
 * Can lockstep follow a process into a program? The interposer is
 * preloaded by the dynamic loader, so a statically linked program runs
 * without it, and the loader ignores LD_PRELOAD paths in a setuid or
 * setgid program. Both would run uncontrolled; lockstep refuses them
 * instead. Libc only: used by the controller and by the interposer.
 */
#ifndef LK_ELFCHECK_H
#define LK_ELFCHECK_H

#include <stddef.h>

enum lk_elf_verdict {
	LK_ELF_OK = 0, /* dynamic, a script, or not for us to judge */
	LK_ELF_STATIC, /* an ELF program without a program interpreter */
	LK_ELF_SETUID,
	LK_ELF_SETGID,
};

/*
 * Judge the program at path: its mode, its ELF header and program
 * headers. A script ("#!") is judged by its interpreter. A file that
 * cannot be read, or is not ELF, is LK_ELF_OK: the exec itself will say
 * what is wrong with it. errno preserved.
 */
int lk_elf_check(const char *path);

/* What a verdict means, for messages: "statically linked", "setuid". */
const char *lk_elf_why(int verdict);

/*
 * The file execvp would run for file: file itself when it has a slash,
 * else the first executable regular file of that name in PATH (or in
 * /bin:/usr/bin without PATH). Into buf; 0, or -1 when there is none.
 * errno preserved.
 */
int lk_elf_find(const char *file, char *buf, size_t size);

#endif
