/*
 * lockstep-agent: runs one declared process of a scenario. It reads its
 * program from the run's shared memory and performs each action with the
 * ordinary libc call (sem_wait, write, nanosleep, ...), so that declared
 * processes take the same road through the interposer as any program.
 *
 * Usage (by the controller only): lockstep-agent SLOT, with LOCKSTEP_SHM_FD
 * in the environment and the interposer preloaded; or lockstep-agent
 * --zygote FD, the fork server of common/zygote.h.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/protocol.h"
#include "common/zygote.h"

struct agent {
	struct lk_shared *sh;
	struct lk_slot *slot;
	sem_t *sems[LK_MAX_OBJECTS];
	int fds[LK_MAX_OBJECTS];
	char out[LK_DATA_MAX * 4 + 2];
};

/* Print why the agent cannot run and exit with status 127. */
static void
die(const char *what)
{
	fprintf(stderr, "lockstep-agent: %s: %s\n", what, strerror(errno));
	exit(127);
}

/* Map the shared memory named by the environment. */
static struct lk_shared *
map_shared(void)
{
	const char *v = getenv(LK_ENV_SHM);
	struct stat st;
	void *m;
	int fd;

	if (v == NULL)
		die("LOCKSTEP_SHM_FD is not set (run me through lockstep)");
	fd = atoi(v);
	if (fstat(fd, &st) != 0)
		die("cannot stat the shared memory");
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	         fd, 0);
	if (m == MAP_FAILED)
		die("cannot map the shared memory");
	return m;
}

/* Open the objects this process's program uses, before its first step. */
static void
open_objects(struct agent *a, const struct lk_instr *p, uint32_t lo,
             uint32_t hi)
{
	char *base = (char *)a->sh;

	for (uint32_t i = lo; i < hi; i++) {
		int o = p[i].obj;
		const struct lk_object *obj;

		if (o < 0 || a->sems[o] != NULL || a->fds[o] >= 0)
			continue;
		obj = &a->sh->objects[o];
		if (obj->type == LK_OT_SEM_UNNAMED) {
			a->sems[o] = (sem_t *)(base + a->sh->sems_off +
			                       (size_t)o * sizeof(sem_t));
		} else if (obj->type == LK_OT_SEM_NAMED) {
			a->sems[o] = sem_open(obj->name, 0);
			if (a->sems[o] == SEM_FAILED)
				die(obj->name);
		} else if (obj->type == LK_OT_FILE) {
			a->fds[o] = open(obj->path,
			                 O_WRONLY | O_APPEND | O_CLOEXEC);
			if (a->fds[o] < 0)
				die(obj->path);
		}
	}
}

/* Perform one action. */
static void
perform(struct agent *a, const struct lk_instr *in)
{
	const char *text = lk_shared_text(a->sh) + in->text_off;
	struct timespec ts;
	size_t n;

	switch (in->act) {
	case LK_ACT_PRINT:
		n = in->text_len < sizeof(a->out) - 1 ? in->text_len
		                                      : sizeof(a->out) - 2;
		memcpy(a->out, text, n);
		a->out[n++] = '\n';
		if (write(STDOUT_FILENO, a->out, n) < 0)
			die("print");
		break;
	case LK_ACT_WRITE:
		if (write(a->fds[in->obj], text, in->text_len) < 0)
			die("write");
		break;
	case LK_ACT_POST:
		sem_post(a->sems[in->obj]);
		break;
	case LK_ACT_WAIT:
		while (sem_wait(a->sems[in->obj]) != 0 && errno == EINTR)
			;
		break;
	case LK_ACT_TRYWAIT:
		sem_trywait(a->sems[in->obj]);
		break;
	case LK_ACT_SLEEP:
		ts.tv_sec = (time_t)(in->ns / 1000000000u);
		ts.tv_nsec = (long)(in->ns % 1000000000u);
		nanosleep(&ts, NULL);
		break;
	default:
		break;
	}
}

/* Run instructions [lo, hi): repeats are loops with a counter stack. */
static void
run(struct agent *a, const struct lk_instr *p, uint32_t lo, uint32_t hi)
{
	uint32_t left[LK_MAX_DEPTH + 1];
	int depth = 0;
	uint32_t pc = lo;

	while (pc < hi) {
		const struct lk_instr *in = &p[pc];

		if (in->act == LK_ACT_REPEAT) {
			left[depth++] = in->times;
			pc++;
			continue;
		}
		if (in->act == LK_INSTR_END) {
			if (--left[depth - 1] > 0) {
				pc = in->jump;
			} else {
				depth--;
				pc++;
			}
			continue;
		}
		a->slot->src_line = in->line;
		a->slot->act = (uint16_t)(in->act + 1);
		perform(a, in);
		pc++;
	}
	a->slot->src_line = 0;
	a->slot->act = 0;
}

/* Run declared process slot of the run mapped at sh. */
static int
run_slot(struct lk_shared *sh, long slot)
{
	static struct agent a;

	a.sh = sh;
	a.slot = &a.sh->slots[slot];
	for (int i = 0; i < LK_MAX_OBJECTS; i++)
		a.fds[i] = -1;
	open_objects(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	             a.sh->prog_end[slot]);
	run(&a, lk_shared_prog(a.sh), a.sh->prog_start[slot],
	    a.sh->prog_end[slot]);
	return 0;
}

/* Move fd to exactly target (closing what was there); -1 on failure. */
static int
move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	if (dup2(fd, target) < 0)
		return -1;
	close(fd);
	return 0;
}

/* In a child of the zygote: become declared process req->slot. fds are
 * shm, notify, out (the reply pipe is closed already). */
static void
zygote_child(const struct lk_zygote_req *req, int fds[3])
{
	int (*attach)(int) =
	        (int (*)(int))dlsym(RTLD_DEFAULT, "lockstep_interposer_attach");
	struct lk_shared *sh;
	struct stat st;
	int tmp[3], devnull;
	char num[16];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, req->pgid);
	if (chdir(req->workdir) != 0 || attach == NULL)
		_exit(127);
	/* Out of the way of 0-2 and of the numbers the run uses. */
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD, 64);
		close(fds[i]);
	}
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || move_fd(devnull, 0) < 0 || move_fd(tmp[2], 1) < 0 ||
	    fstat(tmp[0], &st) != 0)
		_exit(127);
	sh = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	          tmp[0], 0);
	if (sh == MAP_FAILED || move_fd(tmp[1], sh->notify_fd) < 0)
		_exit(127);
	snprintf(num, sizeof(num), "%d", tmp[0]);
	fcntl(tmp[0], F_SETFD, 0);
	setenv(LK_ENV_SHM, num, 1);
	sh->slots[req->slot].pid = getpid();
	if (attach(tmp[0]) != 0)
		_exit(127);
	exit(run_slot(sh, req->slot));
}

/* Send msg on the reply pipe fd. */
static void
reply(int fd, int kind, pid_t pid, int status)
{
	struct lk_zygote_msg m = {kind, pid, status};

	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m)) {
		/* The controller went away; nothing to tell. */
	}
}

/* Receive one request with its four descriptors; 1, 0 at end, -1. */
static int
receive(int sock, struct lk_zygote_req *req, int fds[4])
{
	char ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = {req, sizeof(*req)};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	ssize_t n;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	c = CMSG_FIRSTHDR(&mh);
	if (n != (ssize_t)sizeof(*req) || req->magic != LK_ZY_MAGIC ||
	    c == NULL || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(4 * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), 4 * sizeof(int));
	return 1;
}

/* The fork server: one child per request, reaped and reported. */
static int
zygote(int sock)
{
	struct {
		pid_t pid;
		int fd;
	} kids[4 * LK_MAX_PROCS];
	size_t nkids = 0;
	struct pollfd pfd[2];
	sigset_t chld;
	int sfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* A controller may close a reply pipe before the exit is told. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC);
	if (sfd < 0)
		return 70;
	pfd[0].fd = sock;
	pfd[0].events = POLLIN;
	pfd[1].fd = sfd;
	pfd[1].events = POLLIN;
	for (;;) {
		struct lk_zygote_req req;
		int fds[4], status, rc;
		pid_t pid;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return 70;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) < 0) {
				/* drained below anyway */
			}
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (size_t i = 0; i < nkids; i++)
					if (kids[i].pid == pid) {
						reply(kids[i].fd, LK_ZY_EXITED,
						      pid, status);
						close(kids[i].fd);
						kids[i] = kids[--nkids];
						break;
					}
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		rc = receive(sock, &req, fds);
		if (rc <= 0)
			return rc == 0 ? 0 : 70;
		if (nkids == sizeof(kids) / sizeof(kids[0])) {
			reply(fds[3], LK_ZY_SPAWNED, -1, 0);
			for (int i = 0; i < 4; i++)
				close(fds[i]);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			sigprocmask(SIG_UNBLOCK, &chld, NULL);
			signal(SIGPIPE, SIG_DFL);
			close(sock);
			close(sfd);
			close(fds[3]);
			zygote_child(&req, fds);
		}
		if (pid > 0) /* before the reply: the next child joins it */
			setpgid(pid, req.pgid ? req.pgid : pid);
		reply(fds[3], LK_ZY_SPAWNED, pid, 0);
		for (int i = 0; i < 3; i++)
			close(fds[i]);
		if (pid < 0) {
			close(fds[3]);
			continue;
		}
		kids[nkids].pid = pid;
		kids[nkids++].fd = fds[3];
	}
}

int
main(int argc, char **argv)
{
	long slot;

	if (argc == 3 && strcmp(argv[1], "--zygote") == 0)
		return zygote(atoi(argv[2]));
	if (argc != 2) {
		fprintf(stderr, "usage: lockstep-agent SLOT | --zygote FD (run "
		                "by lockstep)\n");
		return 2;
	}
	slot = strtol(argv[1], NULL, 10);
	if (slot < 0 || slot >= LK_MAX_PROCS) {
		fprintf(stderr, "lockstep-agent: bad slot %s\n", argv[1]);
		return 2;
	}
	return run_slot(map_shared(), slot);
}
