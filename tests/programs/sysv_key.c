/*
 * A program with fixed SysV keys: a segment and a semaphore set under key
 * 0xABCD. It stores its pid in both, waits, and reads them back: two
 * copies running at once would overwrite each other's values, unless, as
 * under lockstep, each run has keys of its own. The same for a POSIX
 * named semaphore with a fixed name, created with O_EXCL (a second copy
 * would get EEXIST) and posted once (a shared one would count 2). It
 * removes nothing:
 * lockstep removes the objects at the end of the run. The ids go to
 * standard error, for the test to look for them afterwards.
 *
 * With SYSV_KEY_GATE=PATH, once its objects hold its values it connects
 * to the Unix socket PATH and waits (a real wait, which lockstep does not
 * schedule) until the test writes a byte: the test writes only when both
 * copies are connected, so their objects certainly exist at the same
 * time.
 */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY 0xABCD

/* Connect to the socket at path and wait for its byte; 0 when path is
 * NULL or the byte came, -1 otherwise. */
static int
gate(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s, ok;
	char c;

	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return -1;
	ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	     read(s, &c, 1) == 1;
	close(s);
	return ok ? 0 : -1;
}

int
main(void)
{
	int shm = shmget(KEY, 4096, IPC_CREAT | 0600);
	int sem = semget(KEY, 1, IPC_CREAT | 0600);
	sem_t *named =
	        sem_open("/lockstep-test-fixed", O_CREAT | O_EXCL, 0600, 0u);
	int mine = getpid() % 30000, n, count = -1;
	char line[160];
	int *cell;

	if (shm < 0 || sem < 0 || named == SEM_FAILED)
		return 1;
	cell = shmat(shm, NULL, 0);
	if (cell == (void *)-1 || semctl(sem, 0, SETVAL, mine) != 0)
		return 1;
	*cell = mine;
	fprintf(stderr, "ids: shm %d sem %d\n", shm, sem);
	if (gate(getenv("SYSV_KEY_GATE")) != 0)
		return 1;
	/* A virtual wait, for good measure. */
	sleep(1);
	if (sem_post(named) != 0 || sem_getvalue(named, &count) != 0)
		return 1;
	n = snprintf(line, sizeof(line),
	             "segment: %s, semaphore: %s, named semaphore: %s\n",
	             *cell == mine ? "own value" : "overwritten",
	             semctl(sem, 0, GETVAL) == mine ? "own value"
	                                            : "overwritten",
	             count == 1 ? "own value" : "shared");
	return write(1, line, (size_t)n) == n ? 0 : 1;
}
