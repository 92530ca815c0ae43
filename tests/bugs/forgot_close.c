/* A forgotten close: the reader closes its copy of the pipe's write end
 * on its usual path, but not on the path it takes when it starts before
 * the writer said it was ready; then its read never sees the end of
 * file (its own copy keeps the pipe open) and it waits forever. */
#include <fcntl.h>
#include <semaphore.h>

#include "bug.h"

static int fds[2];
static sem_t *ready;

static int
writer(void *arg)
{
	(void)arg;
	close(fds[0]);
	sem_post(ready);
	if (write(fds[1], "hello\n", 6) != 6)
		return 70;
	return 0;
}

static int
reader(void *arg)
{
	char buf[64];
	ssize_t n;
	size_t total = 0;

	(void)arg;
	if (sem_trywait(ready) == 0) {
		close(fds[1]);
	} else {
		sem_wait(ready); /* the bug: no close(fds[1]) on this path */
	}
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total == 6 ? 0 : 1;
}

int
main(void)
{
	char name[64];
	pid_t w, r;
	int bad;

	snprintf(name, sizeof(name), "/lk-bug-close");
	sem_unlink(name);
	ready = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (ready == SEM_FAILED || pipe(fds) != 0)
		return 70;
	sem_unlink(name);
	w = bug_spawn(writer, NULL);
	r = bug_spawn(reader, NULL);
	close(fds[0]);
	close(fds[1]);
	bad = bug_reap(w);
	bad |= bug_reap(r);
	return bad ? 1 : 0;
}
