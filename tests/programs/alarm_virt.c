/*
 * alarm and setitimer on the virtual clock: a handler counts SIGALRMs;
 * pause waits for an alarm of 5 s, sleep(10) is cut short by one of 2 s
 * (returns 8), a 1 s periodic timer rings three times during pause, and
 * alarm returns what was left of the previous alarm.
 */
#include <sys/time.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t rings;

static void
on_alarm(int s)
{
	(void)s;
	rings++;
}

int
main(void)
{
	struct itimerval every = {{1, 0}, {1, 0}}, off;
	struct sigaction sa;
	time_t t0 = time(NULL);
	unsigned left;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(5);
	pause();
	printf("pause: rings %d\n", (int)rings);
	alarm(2);
	left = sleep(10);
	printf("sleep: %u left, rings %d\n", left, (int)rings);
	alarm(30);
	left = alarm(0);
	printf("alarm: %u left\n", left);
	setitimer(ITIMER_REAL, &every, NULL);
	while (rings < 5)
		pause();
	memset(&off, 0, sizeof(off));
	setitimer(ITIMER_REAL, &off, NULL);
	printf("timer: rings %d, %ld s\n", (int)rings, (long)(time(NULL) - t0));
	return 0;
}
