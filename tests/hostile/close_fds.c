/*
 * Closes every descriptor from 3 up, where lockstep's shared memory and
 * eventfd were, opens a file on the numbers 3 to 10 that freed (natively
 * the file is descriptor 10: lockstep's must be out of the way), leaves a SysV
 * semaphore set and segment behind on purpose, then plays a semaphore ping-pong
 * with a child and says how many bytes the file got: anything but 0 is lockstep
 * writing into a descriptor the program owns now. The SysV ids go to standard
 * error for the test to check that the run removed them. With
 * arguments, it then execs them.
 *
 * HOSTILE_CLOSE in the environment says how to close: "range" (the
 * default, the raw close_range system call), "closefrom" (glibc's) or
 * "loop" (close() on every number from 1023 down to 3).
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "hostile.h"

int
main(int argc, char **argv)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	char line[64];
	struct stat st;
	int fd = -1;

	if (shm < 0 || sem < 0)
		return 1;
	dprintf(2, "ids: shm %d sem %d\n", shm, sem);
	const char *how = getenv("HOSTILE_CLOSE");

	if (how != NULL && strcmp(how, "closefrom") == 0) {
		closefrom(3);
	} else if (how != NULL && strcmp(how, "loop") == 0) {
		for (int i = 1023; i >= 3; i--)
			close(i);
	} else if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
		return 1;
	}
	for (int i = 3; i <= 10; i++)
		fd = open("close.out", O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd != 10)
		return 1;
	say("closed 3..~0\n");
	if (ping_pong(3) != 0 || fstat(fd, &st) != 0)
		return 1;
	snprintf(line, sizeof(line), "close.out: %lld bytes\n",
	         (long long)st.st_size);
	say(line);
	/* With arguments: exec them, lockstep's descriptors gone. */
	if (argc > 1) {
		execvp(argv[1], argv + 1);
		return 127;
	}
	return 0;
}
