/*
 * The zygote protocol (a fork server, after AFL's forkserver). explore
 * starts `lockstep-agent --zygote FD` once, with the interposer preloaded
 * but not attached; for every process of every run the controller sends a
 * request on the SOCK_SEQPACKET socket FD, with descriptors attached
 * (SCM_RIGHTS): the run's shared memory, its eventfd, the output file,
 * the write end of a reply pipe and both ends of every declared pipe. The
 * zygote forks; the child becomes the declared process (joins the run through
 * lockstep_interposer_attach) and the zygote answers on the reply pipe: first
 * LK_ZY_SPAWNED with the pid, later LK_ZY_EXITED with the wait status once it
 * reaped the child. A run thus pays fork, not exec and dynamic loading.
 */
#ifndef LK_ZYGOTE_H
#define LK_ZYGOTE_H

#include <stddef.h>
#include <stdint.h>

#include "common/protocol.h"

#define LK_ZY_MAGIC 0x6c6b7a79u /* "lkzy" */

/* Descriptors of one request: shm, eventfd, output, reply, pipe ends. */
#define LK_ZY_MAX_FDS (4 + 2 * LK_MAX_PIPES)

struct lk_zygote_req {
	uint32_t magic;
	int32_t slot;
	int32_t pgid;        /* process group to join, 0: start one */
	int32_t npipes;      /* declared pipes: 2 * npipes more descriptors */
	uint64_t max_output; /* RLIMIT_FSIZE of the child */
	char workdir[LK_PATH_MAX];
};

enum lk_zygote_kind {
	LK_ZY_SPAWNED = 1,
	LK_ZY_EXITED = 2,
};

struct lk_zygote_msg {
	int32_t kind;
	int32_t pid;
	int32_t status; /* wait status, LK_ZY_EXITED */
};

/* The layout, checked as the shared memory's is (protocol.h, "The
 * layout"): lockstep and the zygote are built apart too, and one
 * LK_PROTO_VERSION covers both protocols. */
LK_LAYOUT(sizeof(struct lk_zygote_req) == 280);
LK_LAYOUT(offsetof(struct lk_zygote_req, workdir) == 24);
LK_LAYOUT(sizeof(struct lk_zygote_msg) == 12);
LK_LAYOUT(offsetof(struct lk_zygote_msg, status) == 8);

#endif
