/*
 * A program that makes a SysV segment and a semaphore set and leaves them
 * for lockstep to remove (tests/safety): prints "made" when both were
 * made, else why not, and exits 1.
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
	int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	int sem = semget(0x5afe, 1, IPC_CREAT | 0600);

	if (shm < 0 || sem < 0) {
		printf("not made: %s\n", strerror(errno));
		return 1;
	}
	printf("made\n");
	return 0;
}
