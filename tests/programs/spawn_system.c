/*
 * An unmodified program for `lockstep run -- PROG`: system runs a shell
 * command and returns its wait status; system(NULL) says a shell exists.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	int st;

	printf("shell: %s\n", system(NULL) != 0 ? "yes" : "no");
	fflush(stdout);
	st = system("echo hi; exit 3");
	printf("status: %s %d\n", WIFEXITED(st) ? "exit" : "other",
	       WIFEXITED(st) ? WEXITSTATUS(st) : st);
	return 0;
}
