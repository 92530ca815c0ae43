/*
 * The lost update in plain C: a parent and its child each add 1 twice to
 * a counter in an anonymous shared mapping, with no lock. Natively it
 * almost always prints 4; with --track-shm every load and store is a
 * step and lockstep explore finds 2, 3 and 4.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	volatile int *count = mmap(NULL, sizeof(*count), PROT_READ | PROT_WRITE,
	                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (count == MAP_FAILED)
		return 1;
	*count = 0;
	pid = fork();
	if (pid < 0)
		return 1;
	for (int i = 0; i < 2; i++)
		*count = *count + 1;
	if (pid == 0)
		return 0;
	if (waitpid(pid, NULL, 0) != pid)
		return 1;
	printf("count %d\n", *count);
	return 0;
}
