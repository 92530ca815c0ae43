/*
 * The kernel's randomness, the same in every run with the same seed:
 * getrandom, getentropy and reads of /dev/urandom and /dev/random return
 * bytes of a generator of the process's own, never the kernel's. perl
 * seeds its hashes from /dev/urandom, python3 from getrandom, so without
 * this their output and their traces differ from run to run.
 *
 * Each process draws from one stream, a function of the run's seed
 * (--seed), the process's logical name and a counter: the number of bytes
 * the process drew so far, kept in its slot so an exec goes on where the
 * old image stopped. Byte i of the stream is byte i % 8 of a splitmix64
 * of (key, i / 8): reading 16 bytes and then 16 gives what reading 32 at
 * once gives. This is not a cryptographic generator: under lockstep a
 * program's secrets are predictable (docs/programs.md).
 *
 * Not steps: a process's stream is its own, nothing another process can
 * see, like the files of the system (objects.c). glibc makes the
 * getrandom system call itself (arc4random, getentropy): sud.c hands it
 * here. The AT_RANDOM bytes the kernel puts on the stack at exec (stack
 * protector, pointer guard) are left alone: a program cannot print them
 * through any call.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x01
#define GRND_RANDOM   0x02
#endif
#ifndef GRND_INSECURE
#define GRND_INSECURE 0x04
#endif

/* The most one getrandom call returns, as the kernel (INT_MAX >> 6). */
#define GETRANDOM_MAX 33554431u

/* splitmix64's finaliser. */
static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The calling process's key: the run's seed and its name. */
static uint64_t
key(void)
{
	const char *s = lk__self()->name;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	/* A constant apart from random.c's, so rand() and getrandom do
	 * not repeat each other. */
	return mix(lk__shared()->strategy.seed ^
	           mix(h ^ 0x6c6f636b73746570ull));
}

/* Fill buf with the next len bytes of the calling process's stream. */
static void
draw(void *buf, size_t len)
{
	struct lk_slot *me = lk__self();
	uint64_t k = key(), pos = me->entropy_used;
	unsigned char *out = buf;

	for (size_t i = 0; i < len; i++, pos++) {
		uint64_t block = mix(k + (pos / 8 + 1) * 0x9e3779b97f4a7c15ull);

		out[i] = (unsigned char)(block >> (8 * (pos % 8)));
	}
	me->entropy_used = pos;
}

/* Leave the interposer with errno set to err; returns ret. */
static ssize_t
leave(ssize_t ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

ssize_t
getrandom(void *buf, size_t len, unsigned flags)
{
	if (!lk__enter())
		return syscall(SYS_getrandom, buf, len, flags);
	if ((flags &
	     ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) ||
	    (flags & (GRND_RANDOM | GRND_INSECURE)) ==
	            (GRND_RANDOM | GRND_INSECURE))
		return leave(-1, EINVAL);
	if (len > GETRANDOM_MAX)
		len = GETRANDOM_MAX;
	draw(buf, len);
	return leave((ssize_t)len, errno);
}

/* getentropy outside a run: the kernel's bytes, as glibc's. */
static int
real_getentropy(void *buf, size_t len)
{
	size_t got = 0;

	if (len > 256) {
		errno = EIO;
		return -1;
	}
	while (got < len) {
		long r =
		        syscall(SYS_getrandom, (char *)buf + got, len - got, 0);

		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

int
getentropy(void *buf, size_t len)
{
	if (!lk__enter())
		return real_getentropy(buf, len);
	if (len > 256)
		return (int)leave(-1, EIO);
	draw(buf, len);
	return (int)leave(0, errno);
}

/* Is fd /dev/urandom or /dev/random (character device 1,9 or 1,8),
 * whatever name it was opened by? errno preserved. */
int
lk__entropy_fd(int fd)
{
	struct stat st;
	int saved = errno, is;

	is = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	     major(st.st_rdev) == 1 &&
	     (minor(st.st_rdev) == 8 || minor(st.st_rdev) == 9);
	errno = saved;
	return is;
}

/* A read of such a device (the caller is inside the interposer): the
 * stream's bytes into the buffers, as many as they hold. */
ssize_t
lk__entropy_read(const struct iovec *iov, int n)
{
	size_t sum = 0;

	for (int i = 0; i < n; i++) {
		draw(iov[i].iov_base, iov[i].iov_len);
		sum += iov[i].iov_len;
	}
	return (ssize_t)sum;
}
