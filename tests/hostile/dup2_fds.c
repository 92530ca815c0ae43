/*
 * Opens a file and dup2s it over every descriptor from 3 to 200,
 * whatever lockstep keeps there, then plays a semaphore ping-pong with a
 * child and says how many bytes the file got: anything but 0 is lockstep
 * writing into a descriptor the program owns now.
 */
#include <sys/stat.h>

#include "hostile.h"

int
main(int argc, char **argv)
{
	int fd = open("dup2.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char line[64];
	struct stat st;

	if (fd < 0)
		return 1;
	for (int i = 3; i <= 200; i++)
		if (i != fd && dup2(fd, i) != i)
			return 1;
	say("dup2 over 3..200\n");
	if (ping_pong(3) != 0)
		return 1;
	if (fstat(fd, &st) != 0)
		return 1;
	snprintf(line, sizeof(line), "dup2.out: %lld bytes\n",
	         (long long)st.st_size);
	say(line);
	/* With arguments: exec them, lockstep's descriptors taken. */
	if (argc > 1) {
		execvp(argv[1], argv + 1);
		return 127;
	}
	return 0;
}
