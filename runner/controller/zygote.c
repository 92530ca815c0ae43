/* The controller's side of the zygote (see common/zygote.h). */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/zygote.h"
#include "controller/controller.h"

extern char **environ;

/* Start the zygote: lockstep-agent --zygote with the interposer
 * preloaded; 0, or -1 with err. */
int
lk_zygote_start(struct lk_zygote *z, const char *agent, const char *interposer,
                struct lk_err *err)
{
	int sv[2];
	char fd[16], *pre;

	z->pid = -1;
	z->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		goto fail;
	if (asprintf(&pre, "%s", interposer) < 0)
		goto fail;
	z->pid = fork();
	if (z->pid < 0) {
		free(pre);
		goto fail;
	}
	if (z->pid == 0) {
		char *argv[] = {(char *)agent, "--zygote", fd, NULL};

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN);
		close(sv[0]);
		fcntl(sv[1], F_SETFD, 0);
		snprintf(fd, sizeof(fd), "%d", sv[1]);
		unsetenv(LK_ENV_SHM);
		setenv("LD_PRELOAD", pre, 1);
		execv(agent, argv);
		_exit(127);
	}
	free(pre);
	close(sv[1]);
	z->sock = sv[0];
	return 0;
fail:
	lk_err_set(err, LK_EXIT_INTERNAL, "cannot start the zygote: %s",
	           strerror(errno));
	return -1;
}

/* Stop the zygote (closing its socket ends it) and reap it. */
void
lk_zygote_stop(struct lk_zygote *z)
{
	if (z->sock >= 0)
		close(z->sock);
	if (z->pid > 0)
		waitpid(z->pid, NULL, 0);
	z->sock = -1;
	z->pid = -1;
}

/*
 * Ask the zygote for declared process slot. Returns its pid and sets
 * *reply to the pipe on which its exit status will come, or -1.
 */
pid_t
lk_zygote_spawn(const struct lk_zygote *z, int slot, pid_t pgid,
                const char *workdir, const int fds[3], int (*pipes)[2],
                int npipes, uint64_t max_output, int *reply)
{
	struct lk_zygote_req req;
	struct lk_zygote_msg m;
	char ctl[CMSG_SPACE(LK_ZY_MAX_FDS * sizeof(int))];
	struct iovec iov = {&req, sizeof(req)};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	int p[2], all[LK_ZY_MAX_FDS];
	size_t nfds = 4 + 2 * (size_t)npipes;

	memset(&req, 0, sizeof(req));
	req.magic = LK_ZY_MAGIC;
	req.slot = slot;
	req.pgid = pgid;
	req.npipes = npipes;
	req.max_output = max_output;
	snprintf(req.workdir, sizeof(req.workdir), "%s", workdir);
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	memcpy(all, fds, 3 * sizeof(int));
	all[3] = p[1];
	for (int k = 0; k < npipes; k++) {
		all[4 + 2 * k] = pipes[k][0];
		all[5 + 2 * k] = pipes[k][1];
	}
	memset(ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), all, nfds * sizeof(int));
	if (sendmsg(z->sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(req) ||
	    (close(p[1]), read(p[0], &m, sizeof(m))) != (ssize_t)sizeof(m) ||
	    m.kind != LK_ZY_SPAWNED || m.pid <= 0) {
		close(p[0]);
		return -1;
	}
	*reply = p[0];
	return m.pid;
}
