/*
 * N unnamed semaphores (argv[1]), each initialised, posted, waited for and
 * destroyed: with more than lockstep's table of objects holds, the calls
 * on the last ones are not steps and the report says so; the program
 * itself must still finish as natively.
 */
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	sem_t *s = n > 0 && n < 100000 ? calloc((size_t)n, sizeof(*s)) : NULL;

	if (s == NULL)
		return 2;
	for (long i = 0; i < n; i++)
		if (sem_init(&s[i], 0, 0) != 0 || sem_post(&s[i]) != 0 ||
		    sem_wait(&s[i]) != 0)
			return 1;
	for (long i = 0; i < n; i++)
		sem_destroy(&s[i]);
	printf("%ld semaphores\n", n);
	free(s);
	return 0;
}
