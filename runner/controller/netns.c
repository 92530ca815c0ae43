/*
 * A network namespace of its own for a program's run: only a loopback,
 * up, so two runs (or the runs of one explore, one after another) that
 * bind the same port never meet, and nothing the program sends leaves
 * the machine. The program's main process enters it just before its
 * exec, after the mount namespace (fsiso.c), inside that one's user
 * namespace when there is one, or in a user namespace of its own when
 * it is not privileged. Every process of the run inherits it; it goes
 * when the last one is gone.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "controller/controller.h"

/* The answer of lk_netns_check: 0 not asked yet, 1 yes, -1 no. */
static int can_netns;
static char why_not[256];

int
lk_netns_enter(char *why, size_t size)
{
	struct ifreq ifr;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int s, rc;

	if (unshare(CLONE_NEWNET) != 0) {
		if (errno != EPERM)
			return lk_why(why, size, "no network namespace: %s",
			              strerror(errno));
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
			return lk_why(why, size,
			              "no user and network namespace: %s",
			              strerror(errno));
		if (lk_ns_map_ids(uid, gid) != 0)
			return lk_why(why, size, "cannot map the user: %s",
			              strerror(errno));
	}
	/* The loopback of a new namespace is down: up, as `ip link set lo
	 * up` would. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return lk_why(why, size, "no socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (rc != 0)
		lk_why(why, size, "cannot bring the loopback up: %s",
		       strerror(errno));
	close(s);
	return rc == 0 ? 0 : -1;
}

int
lk_netns_check(char *why, size_t size)
{
	if (can_netns == 0)
		can_netns = lk_probe_in_child(lk_netns_enter, why_not,
		                              sizeof(why_not)) == 0
		                    ? 1
		                    : -1;
	if (can_netns > 0)
		return 0;
	snprintf(why, size, "%s", why_not);
	return -1;
}
