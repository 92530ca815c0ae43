/*
 * tests/bugs: small programs, each with one concurrency bug that shows in
 * only some interleavings (scripts/bench-bugs, docs/performance.md). A
 * program exits 0 when its bug did not show, non-zero (or deadlocks) when
 * it did. Helpers shared by them.
 */
#ifndef LK_BUG_H
#define LK_BUG_H

#include <sys/mman.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A page of memory shared with the children forked after it. */
static inline void *
bug_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(70);
	}
	return p;
}

/* Fork a child that runs fn(arg) and exits with what it returns. */
static inline pid_t
bug_spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(70);
	}
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* Reap child pid; its exit status, 128 + the signal if it died of one. */
static inline int
bug_reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(70);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif
