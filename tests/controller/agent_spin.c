/* A fake agent that prints once, then loops without a scheduling point:
 * the controller must report it after --step-timeout. */
#include <unistd.h>

int
main(void)
{
	volatile unsigned long n = 0;

	if (write(1, "spin\n", 5) < 0)
		return 1;
	for (;;)
		n++;
}
