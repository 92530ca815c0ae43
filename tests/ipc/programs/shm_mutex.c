/*
 * The lost update fixed: the same counter with a process-shared
 * semaphore beside it in the shared mapping, taken around each update.
 * With --track-shm, lockstep explore finds one outcome, 4, and no race.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

struct shared {
	sem_t lock;
	volatile int count;
};

int
main(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
	                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (s == MAP_FAILED || sem_init(&s->lock, 1, 1) != 0)
		return 1;
	s->count = 0;
	pid = fork();
	if (pid < 0)
		return 1;
	for (int i = 0; i < 2; i++) {
		sem_wait(&s->lock);
		s->count = s->count + 1;
		sem_post(&s->lock);
	}
	if (pid == 0)
		return 0;
	if (waitpid(pid, NULL, 0) != pid)
		return 1;
	printf("count %d\n", s->count);
	sem_destroy(&s->lock);
	return 0;
}
