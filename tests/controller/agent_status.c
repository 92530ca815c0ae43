/* A fake agent that prints once and exits with status 3. */
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	if (write(1, "status\n", 7) < 0)
		return 1;
	exit(3);
}
