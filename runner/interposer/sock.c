/*
 * Sockets under the scheduler: UNIX and loopback TCP stream sockets, UNIX
 * and UDP datagram sockets: socketpair, bind, and named sockets
 * (listen, accept, connect), read and written with send, recv, sendmsg,
 * recvmsg, sendto, recvfrom (read, write, readv and writev are in rw.c),
 * ended by shutdown and close (ipc.c).
 *
 * A connected stream socket (UNIX, or TCP on the loopback) is two queues
 * of bytes, one each way. Each end is an
 * object of the run, "sockN": the bytes that end reads. A read or a recv
 * through a descriptor is a step on its own end's object; a write or a
 * send is a step on the peer's (where its bytes go), as a pipe's write
 * and read are steps on the one pipe; a close or a shutdown for writing
 * is a step on the peer's too (its end of file). So the clocks, the
 * deadlock explanation, explore and the diagrams treat each direction as
 * they treat a pipe. A listening socket is an object of its own: connect
 * is a step on it (releasing), accept takes from it (acquiring).
 *
 * Blocking is try-and-report, as for pipes: a recv with nothing to read,
 * an accept with no pending connection, a send into a full socket and a
 * connect to a full backlog are made without blocking and recorded as
 * blocked, retried when the object changes. What the kernel does is left
 * to the kernel: the bytes go through the real socket, end of file comes
 * when the peer's last descriptor is closed, a send to a closed peer
 * really fails with EPIPE (and raises SIGPIPE unless MSG_NOSIGNAL), which
 * connection accept gets is the kernel's order of the connects, which the
 * schedule made.
 *
 * The ends are registered when the run makes them (socketpair, listen,
 * a connect to a listener of the run: which end is the connection's
 * other one the kernel tells, sock_diag's UNIX_DIAG_PEER, or for TCP the
 * client's port), under names given by that order, which the schedule
 * fixes: reproducible. TCP on the loopback is the same model; a connect
 * to a loopback port nobody listens on is a step on an object for the
 * address, which a later listener takes over. Datagram sockets (AF_UNIX,
 * UDP on the loopback) are one object each, the datagrams it gets: a
 * send is a step on the destination's, a recv on its own. SCM_RIGHTS,
 * SOCK_SEQPACKET and sockets to other machines are not modelled: calls
 * on them are made as they are, unscheduled.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

/* u.rw.off of a recv with MSG_PEEK: the bytes stay in the socket. */
#define LK_SOCK_PEEK (-2)

/* Leave the interposer with errno set to err; returns ret. */
static long
leave(long ret, int err)
{
	lk__leave();
	errno = err;
	return ret;
}

/* --- which object a socket is ------------------------------------------- */

/* The peer's inode of UNIX socket ino, from the kernel (sock_diag); 0
 * when it has none (not connected, or not known). errno preserved. */
static unsigned long long
peer_inode(unsigned long long ino)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req req;
	} q;
	union {
		char buf[8192];
		struct nlmsghdr align;
	} a;
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	unsigned long long peer = 0;
	int saved = errno, s;
	long n;

	s = (int)syscall(SYS_socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	                 NETLINK_SOCK_DIAG);
	if (s < 0)
		return 0;
	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = sizeof(q);
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.req.sdiag_family = AF_UNIX;
	q.req.udiag_states = ~0u;
	q.req.udiag_ino = (unsigned)ino;
	q.req.udiag_show = UDIAG_SHOW_PEER;
	q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;
	if (syscall(SYS_sendto, s, &q, sizeof(q), 0, &nl, sizeof(nl)) < 0)
		goto out;
	n = syscall(SYS_recvfrom, s, a.buf, sizeof(a.buf), 0, NULL, NULL);
	for (struct nlmsghdr *h = &a.align; n > 0 && NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct unix_diag_msg *m = NLMSG_DATA(h);
		struct rtattr *at;
		long left;

		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || m->udiag_ino != ino)
			continue;
		left = (long)h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
		for (at = (struct rtattr *)(m + 1); RTA_OK(at, left);
		     at = RTA_NEXT(at, left))
			if (at->rta_type == UNIX_DIAG_PEER &&
			    RTA_PAYLOAD(at) >= (int)sizeof(uint32_t))
				memcpy(&peer, RTA_DATA(at), sizeof(uint32_t));
		break;
	}
out:
	syscall(SYS_close, s);
	errno = saved;
	return peer;
}

/* The object of socket end ino, registering it: -1 when the table is
 * full. */
static int
end_obj(unsigned long long ino)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int obj;

	if (ino == 0)
		return -1;
	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SOCK &&
		    sh->objects[i].ino == ino)
			return (int)i;
	snprintf(name, sizeof(name), "sock%u", sh->nobjects);
	obj = lk__obj_add(LK_OT_SOCK, name);
	if (obj < 0)
		return -1;
	sh->objects[obj].ino = ino;
	sh->objects[obj].region = -1;
	snprintf(sh->objects[obj].path, sizeof(sh->objects[obj].path),
	         "socket:[%llu]", ino);
	return obj;
}

/* Make end obj and the end with inode peer each other's peer. */
static void
link_peer(int obj, unsigned long long peer)
{
	struct lk_shared *sh = lk__shared();
	int p;

	if (obj < 0 || peer == 0 || (p = end_obj(peer)) < 0)
		return;
	sh->objects[obj].off = peer;
	sh->objects[obj].region = p;
	sh->objects[p].off = sh->objects[obj].ino;
	sh->objects[p].region = obj;
}

/* The inode of descriptor fd, 0 when fstat fails. errno preserved. */
static unsigned long long
inode_of(int fd)
{
	struct stat st;
	int saved = errno;
	unsigned long long ino = fstat(fd, &st) == 0 ? st.st_ino : 0;

	errno = saved;
	return ino;
}

/* The domain and type of socket fd (type without flags), 0 and 0 when
 * it is none. errno preserved. */
static void
sock_kind(int fd, int *dom, int *type)
{
	int saved = errno;
	socklen_t l = sizeof(*dom), m = sizeof(*type);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, dom, &l) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &m) != 0)
		*dom = *type = 0;
	errno = saved;
}

/* Is (dom, type) a kind of socket the run schedules: UNIX, or IPv4 and
 * IPv6 (loopback only, see address_key), stream or datagram? */
static int
modelled(int dom, int type)
{
	return (dom == AF_UNIX || dom == AF_INET || dom == AF_INET6) &&
	       (type == SOCK_STREAM || type == SOCK_DGRAM);
}

/* Remember what kind of socket end obj is: opens[0] the domain,
 * opens[1] the type. */
static void
mark(int obj, int dom, int type)
{
	if (obj < 0)
		return;
	lk__shared()->objects[obj].opens[0] = (uint32_t)dom;
	lk__shared()->objects[obj].opens[1] = (uint32_t)type;
}

/* Is end obj a datagram socket? */
static int
is_dgram(int obj)
{
	return obj >= 0 && lk__shared()->objects[obj].opens[1] == SOCK_DGRAM;
}

/* Is end obj a TCP or UDP socket (whose bytes the kernel delivers on the
 * loopback a moment after the send returns)? */
static int
is_inet(int obj)
{
	return obj >= 0 && (lk__shared()->objects[obj].opens[0] == AF_INET ||
	                    lk__shared()->objects[obj].opens[0] == AF_INET6);
}

/*
 * Only the ends the run made are objects: both ends of a socketpair, a
 * listening socket, both ends of a connection to such a listener, a
 * datagram socket bound or sending to an address of the run. Any other
 * socket (one not used yet, one connected to a process outside the run)
 * is no object: read and written for real, unscheduled, since nothing
 * in the run could end its wait; and never a file named by its inode,
 * which differs from run to run.
 */
int
lk__obj_sock(int fd, const char *path)
{
	struct lk_shared *sh = lk__shared();
	unsigned long long ino;

	if (sscanf(path, "socket:[%llu]", &ino) != 1)
		return -2;
	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SOCK &&
		    sh->objects[i].ino == ino)
			return (int)i;
	(void)fd;
	return -1;
}

int
lk__obj_is_sock(int obj)
{
	return obj >= 0 && lk__shared()->objects[obj].type == LK_OT_SOCK;
}

int
lk__obj_sock_out(int obj)
{
	struct lk_shared *sh = lk__shared();

	if (!lk__obj_is_sock(obj) || sh->objects[obj].region < 0)
		return obj;
	return sh->objects[obj].region;
}

/* FNV-1a of n bytes p, never 0. */
static uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h != 0 ? h : 1;
}

/* The port of an IPv4 or IPv6 address on this machine's loopback (or
 * the any address, which reaches it), in host order; -1 for any other
 * address. */
static int
loopback_port(const struct sockaddr *sa, socklen_t len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
	                                         0, 0, 0, 0, 0xff, 0xff};

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		uint32_t a = ntohl(in->sin_addr.s_addr);

		return (a >> 24) == 127 || a == 0 ? ntohs(in->sin_port) : -1;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)sa;
		const unsigned char *b = in->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&in->sin6_addr) ||
		    (memcmp(b, mapped, 12) == 0 &&
		     (b[12] == 127 || (b[12] | b[13] | b[14] | b[15]) == 0)))
			return ntohs(in->sin6_port);
	}
	return -1;
}

/*
 * The key of a socket address of type type: for a UNIX one a hash of
 * its absolute path (a relative one is taken from the caller's working
 * directory), or of "@name" for an abstract one; for IPv4 and IPv6 on
 * the loopback a hash of the protocol and the port (so 127.0.0.1,
 * 0.0.0.0, ::1 and :: of one port are one address); 0 for none.
 */
static uint64_t
address_key(const struct sockaddr *sa, socklen_t len, int type)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	char path[PATH_MAX + sizeof(un->sun_path) + 2];
	size_t n, have = 0;
	int port = loopback_port(sa, len);

	if (port > 0) {
		unsigned char k[3] = {type == SOCK_DGRAM ? 'u' : 't',
		                      (unsigned char)(port >> 8),
		                      (unsigned char)port};

		return hash_bytes(k, sizeof(k));
	}
	if (sa == NULL || len <= offsetof(struct sockaddr_un, sun_path) ||
	    un->sun_family != AF_UNIX)
		return 0;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(un->sun_path))
		n = sizeof(un->sun_path);
	if (un->sun_path[0] == '\0') {
		path[have++] = '@';
		memcpy(path + have, un->sun_path + 1, n - 1);
		have += n - 1;
	} else {
		n = strnlen(un->sun_path, n);
		if (un->sun_path[0] != '/' &&
		    getcwd(path, sizeof(path) - n - 2) != NULL) {
			have = strlen(path);
			path[have++] = '/';
		}
		memcpy(path + have, un->sun_path, n);
		have += n;
	}
	return hash_bytes(path, have);
}

/* The key of the address socket fd of type type is bound to, 0 if
 * none. errno preserved. */
static uint64_t
own_key(int fd, int type)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	int saved = errno;
	uint64_t key = getsockname(fd, (struct sockaddr *)&ss, &len) == 0
	                       ? address_key((struct sockaddr *)&ss, len, type)
	                       : 0;

	errno = saved;
	return key;
}

/* The socket object bound (or listening) at address key, the latest one
 * when there were several, or -1. */
static int
listener(uint64_t key)
{
	struct lk_shared *sh = lk__shared();

	for (uint32_t i = sh->nobjects; key != 0 && i-- > 0;)
		if (sh->objects[i].type == LK_OT_SOCK &&
		    (uint64_t)sh->objects[i].key == key)
			return (int)i;
	return -1;
}

/* An object for address key that no socket of the run is bound to yet
 * (a connect to a port nobody listens on): the socket that listens
 * there later takes it over (listen). -1 when the table is full. */
static int
address_obj(uint64_t key)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int obj;

	snprintf(name, sizeof(name), "sock%u", sh->nobjects);
	obj = lk__obj_add(LK_OT_SOCK, name);
	if (obj < 0)
		return -1;
	sh->objects[obj].region = -1;
	sh->objects[obj].key = (int64_t)key;
	return obj;
}

/* Socket fd of (dom, type) is bound to address key: its object, taking
 * over an address object when there is one (address_obj). */
static int
bound_obj(int fd, int dom, int type, uint64_t key)
{
	struct lk_shared *sh = lk__shared();
	unsigned long long ino = inode_of(fd);
	int obj = listener(key);

	if (obj >= 0 && sh->objects[obj].ino == 0 &&
	    sh->objects[obj].slot == 0) {
		sh->objects[obj].ino = ino;
		snprintf(sh->objects[obj].path, sizeof(sh->objects[obj].path),
		         "socket:[%llu]", ino);
	} else if ((obj = end_obj(ino)) < 0)
		return -1;
	lk__obj_fd_forget(fd);
	sh->objects[obj].key = (int64_t)key;
	mark(obj, dom, type);
	return obj;
}

/* --- socketpair, listen, bind ------------------------------------------- */

int
socketpair(int domain, int type, int protocol, int sv[2])
{
	int r, err, t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), a;

	if (!lk__enter())
		return (int)syscall(SYS_socketpair, domain, type, protocol, sv);
	r = (int)syscall(SYS_socketpair, domain, type, protocol, sv);
	err = errno;
	if (r == 0 && domain == AF_UNIX &&
	    (t == SOCK_STREAM || t == SOCK_DGRAM)) {
		lk__obj_fd_forget(sv[0]);
		lk__obj_fd_forget(sv[1]);
		/* Both ends now, in the order of their descriptors. */
		a = end_obj(inode_of(sv[0]));
		link_peer(a, inode_of(sv[1]));
		mark(a, domain, t);
		if (a >= 0)
			mark(lk__shared()->objects[a].region, domain, t);
	}
	return (int)leave(r, err);
}

int
listen(int fd, int backlog)
{
	int r, err, dom, type;
	uint64_t key;

	if (!lk__enter())
		return (int)syscall(SYS_listen, fd, backlog);
	r = (int)syscall(SYS_listen, fd, backlog);
	err = errno;
	sock_kind(fd, &dom, &type);
	if (r == 0 && type == SOCK_STREAM && modelled(dom, type) &&
	    (key = own_key(fd, type)) != 0)
		bound_obj(fd, dom, type, key);
	return (int)leave(r, err);
}

/* A datagram socket bound to an address of the run (a UNIX name, a
 * loopback port) is an object from then on: the datagrams it gets. */
int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int r, err, dom, type;
	uint64_t key;

	if (!lk__enter())
		return (int)syscall(SYS_bind, fd, addr, len);
	r = (int)syscall(SYS_bind, fd, addr, len);
	err = errno;
	sock_kind(fd, &dom, &type);
	if (r == 0 && type == SOCK_DGRAM && modelled(dom, type) &&
	    (key = own_key(fd, type)) != 0)
		bound_obj(fd, dom, type, key);
	return (int)leave(r, err);
}

/* The number that tells a TCP connection's client end from the server
 * side: its port plus one (getsockname of the client, getpeername of
 * the accepted end); 0 for a UNIX socket. errno preserved. */
static uint64_t
conn_id(int fd, int server_side)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	int saved = errno, r;
	uint64_t id = 0;

	r = server_side ? getpeername(fd, (struct sockaddr *)&ss, &len)
	                : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r == 0 && ss.ss_family == AF_INET)
		id = 1 + ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (r == 0 && ss.ss_family == AF_INET6)
		id = 1 + ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	errno = saved;
	return id;
}

/* A connection from client end own (descriptor fd) to listener lis was
 * made: its server end, the object pending until an accept takes it. */
static void
pending_end(int own, int fd, int lis)
{
	struct lk_shared *sh = lk__shared();
	char name[LK_NAME_MAX];
	int p;

	if (own < 0)
		return;
	snprintf(name, sizeof(name), "sock%u", sh->nobjects);
	if ((p = lk__obj_add(LK_OT_SOCK, name)) < 0)
		return;
	sh->objects[p].slot = (uint32_t)lis + 1;
	sh->objects[p].off = sh->objects[own].ino;
	sh->objects[p].size = conn_id(fd, 0);
	sh->objects[p].region = own;
	sh->objects[own].region = p;
	sh->objects[p].opens[0] = sh->objects[own].opens[0];
	sh->objects[p].opens[1] = sh->objects[own].opens[1];
}

/* Accept on listener lis returned descriptor fd: its end is the pending
 * one of the client the kernel names as its peer (the oldest connect
 * not accepted yet, as the kernel's queue is in the order of the
 * connects): for UNIX by the client's inode (sock_diag), for TCP by
 * the client's port. A client from outside the run: no object. */
static void
accept_end(int fd, int lis)
{
	struct lk_shared *sh = lk__shared();
	unsigned long long ino = inode_of(fd);
	uint64_t id = conn_id(fd, 1), client = id != 0 ? 0 : peer_inode(ino);

	for (uint32_t i = 0; i < sh->nobjects; i++) {
		struct lk_object *o = &sh->objects[i];

		if (o->type != LK_OT_SOCK || o->ino != 0 ||
		    o->slot != (uint32_t)lis + 1 ||
		    (id != 0 ? o->size != id : o->off != client))
			continue;
		o->ino = ino;
		o->slot = 0;
		o->size = 0;
		snprintf(o->path, sizeof(o->path), "socket:[%llu]", ino);
		if (o->region >= 0)
			sh->objects[o->region].off = ino;
		return;
	}
}

/* --- connect, accept ---------------------------------------------------- */

/* A datagram socket's connect: the socket and where it sends are the
 * run's when the address is: the socket gets an object, the default
 * destination its region. */
static int
connect_dgram(int fd, int dom, const struct sockaddr *addr, socklen_t len)
{
	struct lk_shared *sh = lk__shared();
	int r = (int)syscall(SYS_connect, fd, addr, len), err = errno, own, to;

	if (r == 0 &&
	    (to = listener(address_key(addr, len, SOCK_DGRAM))) >= 0 &&
	    (own = end_obj(inode_of(fd))) >= 0) {
		lk__obj_fd_forget(fd);
		mark(own, dom, SOCK_DGRAM);
		if (sh->objects[own].key == 0)
			sh->objects[own].key = (int64_t)own_key(fd, SOCK_DGRAM);
		sh->objects[own].region = to;
	}
	return (int)leave(r, err);
}

int
connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct lk_step st = {.op = LK_OP_CONNECT};
	struct lk_shared *sh;
	int own, flags, r, dom, type, inet;
	uint64_t key;

	if (!lk__enter())
		return (int)syscall(SYS_connect, fd, addr, len);
	sh = lk__shared();
	sock_kind(fd, &dom, &type);
	if (type == SOCK_DGRAM && modelled(dom, type))
		return connect_dgram(fd, dom, addr, len);
	inet = dom == AF_INET || dom == AF_INET6;
	key = modelled(dom, type) ? address_key(addr, len, type) : 0;
	/* A connection to a listener of the run: a step on it. On the
	 * loopback one to a port nobody listens on too (the kernel's
	 * ECONNREFUSED): a step on the address, whose listener may come. */
	st.obj = listener(key);
	if (st.obj < 0 && inet && key != 0)
		st.obj = address_obj(key);
	if (st.obj < 0) {
		r = (int)syscall(SYS_connect, fd, addr, len);
		return (int)leave(r, errno);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		flags = 0;
	lk__arrive(LK_OP_CONNECT, st.obj, 0);
	for (;;) {
		/* A UNIX connect to a full backlog fails with EAGAIN when
		 * non-blocking: tried so. A TCP one on the loopback is
		 * made as it is (the handshake is the kernel's at once). */
		if (!(flags & O_NONBLOCK) && !inet)
			fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		st.ret = syscall(SYS_connect, fd, addr, len);
		st.err = st.ret < 0 ? errno : 0;
		if (!(flags & O_NONBLOCK) && !inet)
			fcntl(fd, F_SETFL, flags);
		/* A full backlog: wait for an accept. */
		if (st.ret == 0 || st.err != EAGAIN || (flags & O_NONBLOCK))
			break;
		lk__block(&st, st.obj, LK_NO_TIME);
		if (lk__interrupted_restart()) {
			st.ret = -1;
			st.err = EINTR;
			break;
		}
	}
	if ((st.ret == 0 || st.err == EINPROGRESS) &&
	    sh->objects[st.obj].ino != 0) {
		/* Both ends of the connection are the run's now: the
		 * server's has no inode until it is accepted (accept_end). */
		lk__obj_fd_forget(fd);
		own = end_obj(inode_of(fd));
		mark(own, dom, type);
		pending_end(own, fd, st.obj);
	}
	/* A non-blocking TCP connect under way has reached the listener's
	 * queue already: released as a finished one. */
	lk__done(&st, st.ret == 0 || (st.err == EINPROGRESS &&
	                              sh->objects[st.obj].ino != 0)
	                      ? st.obj
	                      : -1);
	return (int)leave(st.ret, st.err);
}

/* Would accept on listening socket fd return at once? */
static int
pending(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) != 0;
}

/* Is a connection to TCP listener lis (descriptor fd) on its way: a
 * connect step of the run reached it (its server end is pending, see
 * pending_end) but the kernel has not queued it yet (the handshake's
 * last segment goes through the loopback a moment after the client's
 * connect returns)? Then wait for it (at most a second) and say so. */
static int
connect_on_its_way(int fd, int lis)
{
	struct lk_shared *sh = lk__shared();
	struct pollfd p = {fd, POLLIN, 0};

	if (!is_inet(lis))
		return 0;
	for (uint32_t i = 0; i < sh->nobjects; i++)
		if (sh->objects[i].type == LK_OT_SOCK &&
		    sh->objects[i].ino == 0 &&
		    sh->objects[i].slot == (uint32_t)lis + 1)
			return syscall(SYS_poll, &p, 1, 1000) > 0;
	return 0;
}

static int
accept_step(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct lk_step st = {.op = LK_OP_ACCEPT};
	int nonblock;

	st.obj = lk__obj_fd(fd);
	if (!lk__obj_is_sock(st.obj)) {
		int r = (int)syscall(SYS_accept4, fd, addr, len, flags);

		return (int)leave(r, errno);
	}
	nonblock = fcntl(fd, F_GETFL) & O_NONBLOCK;
	lk__arrive(LK_OP_ACCEPT, st.obj, 0);
	while (!nonblock && !pending(fd)) {
		if (connect_on_its_way(fd, st.obj))
			continue;
		st.ret = -1;
		st.err = EAGAIN;
		lk__block(&st, st.obj, LK_NO_TIME);
		if (lk__interrupted_restart()) {
			st.err = EINTR;
			lk__done(&st, -1);
			return (int)leave(-1, EINTR);
		}
	}
	st.ret = syscall(SYS_accept4, fd, addr, len, flags);
	st.err = st.ret < 0 ? errno : 0;
	if (st.ret >= 0) {
		lk__obj_fd_forget((int)st.ret);
		accept_end((int)st.ret, st.obj);
	}
	/* The connect waiting for room in the backlog may go on. */
	lk__done(&st, st.ret >= 0 ? st.obj : -1);
	return (int)leave(st.ret, st.err);
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!lk__enter())
		return (int)syscall(SYS_accept4, fd, addr, len, 0);
	return accept_step(fd, addr, len, 0);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (!lk__enter())
		return (int)syscall(SYS_accept4, fd, addr, len, flags);
	return accept_step(fd, addr, len, flags);
}

/* --- send, recv --------------------------------------------------------- */

/* sendmsg of what is left of msg after done bytes, without blocking. */
static ssize_t
send_rest(int fd, const struct msghdr *msg, size_t done, int flags)
{
	struct msghdr m = *msg;
	struct iovec one[8], *v = one;
	size_t k = 0, n = msg->msg_iovlen;
	ssize_t w;
	int saved;

	while (k < n && done >= msg->msg_iov[k].iov_len)
		done -= msg->msg_iov[k++].iov_len;
	if (n - k > sizeof(one) / sizeof(one[0]) &&
	    (v = calloc(n - k, sizeof(*v))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (k < n) {
		memcpy(v, msg->msg_iov + k, (n - k) * sizeof(*v));
		v[0].iov_base = (char *)v[0].iov_base + done;
		v[0].iov_len -= done;
	}
	m.msg_iov = v;
	m.msg_iovlen = n - k;
	w = syscall(SYS_sendmsg, fd, &m, flags | MSG_DONTWAIT);
	saved = errno;
	if (v != one)
		free(v);
	errno = saved;
	return w;
}

/*
 * A send as a step on the peer's end: what goes in without blocking is a
 * step; when the socket is full, the piece that went in is a blocked
 * step and the rest waits, as a pipe's write does. SIGPIPE is held back
 * until the step is recorded.
 */
static ssize_t
send_step(int fd, const struct msghdr *msg, int flags)
{
	struct lk_step st = {.op = LK_OP_SEND, .u.rw = {.fd = fd, .off = -1}};
	ssize_t len = lk__iov_total(msg->msg_iov, msg->msg_iovlen), w;
	char data[LK_DATA_MAX];
	sigset_t pipe_sig, old;
	size_t done = 0;
	int nonblock, own = lk__obj_fd(fd), to = -1, named, dom, type;
	struct lk_shared *sh = lk__shared();

	/* A datagram to an address: a step on the socket of the run bound
	 * there, if any; the sender's socket is the run's from then on
	 * (where the answers come). */
	named = msg->msg_name != NULL && msg->msg_namelen > 0;
	if (named && (!lk__obj_is_sock(own) || is_dgram(own))) {
		sock_kind(fd, &dom, &type);
		if (type == SOCK_DGRAM && modelled(dom, type))
			to = listener(address_key(msg->msg_name,
			                          msg->msg_namelen, type));
		if (to >= 0 && !lk__obj_is_sock(own) &&
		    (own = end_obj(inode_of(fd))) >= 0) {
			lk__obj_fd_forget(fd);
			mark(own, dom, type);
		}
	}
	if (!lk__obj_is_sock(own) || (is_dgram(own) && to < 0 &&
	                              (named || sh->objects[own].region < 0))) {
		w = syscall(SYS_sendmsg, fd, msg, flags);
		return leave(w, errno);
	}
	st.obj = to >= 0 ? to : lk__obj_sock_out(own);
	nonblock = (flags & MSG_DONTWAIT) || (fcntl(fd, F_GETFL) & O_NONBLOCK);
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	lk__sigmask(SIG_BLOCK, &pipe_sig, &old);
	lk__arrive(LK_OP_SEND, st.obj, 0);
	for (;;) {
		w = send_rest(fd, msg, done, flags);
		st.err = w < 0 ? errno : 0;
		if (w > 0)
			done += (size_t)w;
		if (len < 0 || done == (size_t)len ||
		    (w < 0 && st.err != EAGAIN) || nonblock)
			break;
		st.ret = w > 0 ? w : -1;
		st.err = EAGAIN;
		st.len = w > 0 ? lk__iov_gather(msg->msg_iov, msg->msg_iovlen,
		                                done - (size_t)w, (size_t)w,
		                                data)
		               : 0;
		st.data = st.len > 0 ? data : NULL;
		if (w > 0)
			lk__wake(st.obj);
		lk__block(&st, st.obj, LK_NO_TIME);
	}
	st.ret = done > 0 || w >= 0 ? (ssize_t)done : -1;
	/* What is on its way to the peer's end (see recv_step). */
	if (st.ret >= 0 && is_inet(own))
		sh->objects[st.obj].value += is_dgram(own) ? 1 : (int32_t)done;
	/* An unbound datagram socket got a port sending: its address. */
	if (st.ret >= 0 && is_dgram(own) && sh->objects[own].key == 0)
		sh->objects[own].key = (int64_t)own_key(fd, SOCK_DGRAM);
	st.len = lk__iov_gather(msg->msg_iov, msg->msg_iovlen, 0, done, data);
	st.data = data;
	lk__done(&st, done > 0 ? st.obj : -1);
	lk__leave();
	lk__sigmask(SIG_SETMASK, &old, NULL);
	errno = st.err;
	return (ssize_t)st.ret;
}

/* Would a recv of fd return at once (data, or the end of file)? */
static int
readable(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) != 0;
}

/* Has the peer of TCP descriptor fd sent its FIN (or its RST), whether
 * or not it has reached fd yet? The kernel's answer (sock_diag): the
 * peer's state once its last descriptor was closed or it was shut down
 * for writing, or no peer left at all; a close of one of several
 * descriptors of the peer's socket (fork-shared copies) leaves it
 * established and sends nothing. 0 when the kernel does not say.
 * errno preserved. */
static int
fin_sent(int fd)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} q;
	union {
		char buf[1024];
		struct nlmsghdr align;
	} a;
	struct sockaddr_storage me = {0}, peer = {0};
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	int saved = errno, s, sent = 0;
	long n;

	if (getsockname(fd, (struct sockaddr *)&me, &ml) != 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 ||
	    me.ss_family != peer.ss_family ||
	    (me.ss_family != AF_INET && me.ss_family != AF_INET6)) {
		errno = saved;
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = sizeof(q);
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.req.sdiag_family = me.ss_family;
	q.req.sdiag_protocol = IPPROTO_TCP;
	q.req.idiag_states = ~0u;
	/* The peer's socket: its source is this one's destination. */
	if (me.ss_family == AF_INET) {
		struct sockaddr_in *m = (void *)&me, *p = (void *)&peer;

		q.req.id.idiag_sport = p->sin_port;
		q.req.id.idiag_dport = m->sin_port;
		memcpy(q.req.id.idiag_src, &p->sin_addr, 4);
		memcpy(q.req.id.idiag_dst, &m->sin_addr, 4);
	} else {
		struct sockaddr_in6 *m = (void *)&me, *p = (void *)&peer;

		q.req.id.idiag_sport = p->sin6_port;
		q.req.id.idiag_dport = m->sin6_port;
		memcpy(q.req.id.idiag_src, &p->sin6_addr, 16);
		memcpy(q.req.id.idiag_dst, &m->sin6_addr, 16);
	}
	q.req.id.idiag_cookie[0] = q.req.id.idiag_cookie[1] =
	        INET_DIAG_NOCOOKIE;
	s = (int)syscall(SYS_socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	                 NETLINK_SOCK_DIAG);
	if (s < 0) {
		errno = saved;
		return 0;
	}
	if (syscall(SYS_sendto, s, &q, sizeof(q), 0, &nl, sizeof(nl)) < 0)
		goto out;
	n = syscall(SYS_recvfrom, s, a.buf, sizeof(a.buf), 0, NULL, NULL);
	if (n > 0 && NLMSG_OK(&a.align, (size_t)n)) {
		struct nlmsghdr *h = &a.align;

		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			/* Gone: closed with a reset, on its way too. */
			sent = e->error == -ENOENT;
		} else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct inet_diag_msg *m = NLMSG_DATA(h);

			switch (m->idiag_state) {
			case TCP_FIN_WAIT1:
			case TCP_FIN_WAIT2:
			case TCP_TIME_WAIT:
			case TCP_CLOSE:
			case TCP_LAST_ACK:
			case TCP_CLOSING:
				sent = 1;
				break;
			default:
				break;
			}
		}
	}
out:
	syscall(SYS_close, s);
	errno = saved;
	return sent;
}

/* Is something the run sent to TCP or UDP end obj on its way to
 * descriptor fd, not there yet: bytes or datagrams (counted by the
 * sends), or the end of file of a TCP peer that closed its last
 * descriptor or shut down (fin_sent)? Then wait for the kernel to
 * deliver it (at most a second) and say so. */
static int
on_its_way(int fd, int obj)
{
	struct pollfd p = {fd, POLLIN, 0};

	if (!is_inet(obj) || (lk__shared()->objects[obj].value <= 0 &&
	                      (is_dgram(obj) || !fin_sent(fd))))
		return 0;
	return syscall(SYS_poll, &p, 1, 1000) > 0;
}

/* n bytes (or datagrams) sent to end obj were received. */
static void
arrived(int obj, long n)
{
	struct lk_object *o = &lk__shared()->objects[obj];

	o->value = o->value > n ? o->value - (int32_t)n : 0;
}

void
lk__sock_sent(int obj, long n)
{
	if (lk__obj_is_sock(obj) && is_inet(obj) && n >= 0)
		lk__shared()->objects[obj].value +=
		        is_dgram(obj) ? 1 : (int32_t)n;
}

void
lk__sock_arrived(int obj, long n)
{
	if (lk__obj_is_sock(obj) && is_inet(obj) && n >= 0)
		arrived(obj, is_dgram(obj) ? 1 : n);
}

int
lk__sock_on_its_way(int fd, int obj)
{
	return lk__obj_is_sock(obj) && on_its_way(fd, obj);
}

/*
 * A recv as a step on the descriptor's own end: with nothing to read and
 * the peer still there, a blocked step, retried when the end changes.
 * MSG_WAITALL: each piece that came is a step of its own until all did
 * (or the end of file).
 */
static ssize_t
recv_step(int fd, struct msghdr *msg, int flags)
{
	struct lk_step st = {.op = LK_OP_RECV, .u.rw = {.fd = fd, .off = -1}};
	ssize_t len = lk__iov_total(msg->msg_iov, msg->msg_iovlen), got = 0;
	char data[LK_DATA_MAX];
	int nonblock;

	st.obj = lk__obj_fd(fd);
	if (!lk__obj_is_sock(st.obj)) {
		ssize_t r = syscall(SYS_recvmsg, fd, msg, flags);

		return leave(r, errno);
	}
	nonblock = (flags & MSG_DONTWAIT) || (fcntl(fd, F_GETFL) & O_NONBLOCK);
	if (flags & MSG_PEEK)
		st.u.rw.off = LK_SOCK_PEEK;
	lk__arrive(LK_OP_RECV, st.obj, 0);
	for (;;) {
		struct msghdr m = *msg;
		struct iovec one;

		while (!nonblock && len > 0 && !readable(fd)) {
			/* Sent on the loopback but not there yet (the kernel
			 * delivers it a moment later): wait for it. */
			if (on_its_way(fd, st.obj))
				continue;
			st.ret = -1;
			st.err = EAGAIN;
			st.len = 0;
			lk__block(&st, st.obj, LK_NO_TIME);
			if (lk__interrupted_restart()) {
				st.err = EINTR;
				lk__done(&st, -1);
				return leave(got > 0 ? got : -1, EINTR);
			}
		}
		/* MSG_WAITALL's later pieces: into the rest of one buffer. */
		if (got > 0 && msg->msg_iovlen == 1) {
			one.iov_base = (char *)msg->msg_iov[0].iov_base + got;
			one.iov_len = msg->msg_iov[0].iov_len - (size_t)got;
			m.msg_iov = &one;
		}
		st.ret = syscall(SYS_recvmsg, fd, &m,
		                 (flags & ~MSG_WAITALL) | MSG_DONTWAIT);
		st.err = st.ret < 0 ? errno : 0;
		if (st.ret < 0 && st.err == EAGAIN && !nonblock)
			continue; /* the poll saw what this did not: again */
		st.len = st.ret > 0 ? lk__iov_gather(m.msg_iov, m.msg_iovlen, 0,
		                                     (size_t)st.ret, data)
		                    : 0;
		st.data = data;
		msg->msg_flags = m.msg_flags;
		if (st.ret > 0)
			got += st.ret;
		if (st.ret >= 0 && !(flags & MSG_PEEK) && is_inet(st.obj))
			arrived(st.obj, is_dgram(st.obj) ? 1 : st.ret);
		if (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) ||
		    msg->msg_iovlen != 1 || st.ret <= 0 || got >= len ||
		    nonblock)
			break;
		/* A piece of a MSG_WAITALL: its own step, then wait on. */
		lk__done(&st, st.obj);
		lk__arrive(LK_OP_RECV, st.obj, 0);
	}
	/* Reading made room for a blocked sender. */
	lk__done(&st, st.ret > 0 && !(flags & MSG_PEEK) ? st.obj : -1);
	if (got > 0)
		return leave(got, 0);
	return leave(st.ret, st.err);
}

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec v = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};

	if (!lk__enter())
		return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
	return send_step(fd, &m, flags);
}

ssize_t
sendto(int fd, const void *buf, size_t len, int flags,
       const struct sockaddr *to, socklen_t tolen)
{
	struct iovec v = {(void *)buf, len};
	struct msghdr m = {.msg_name = (void *)to,
	                   .msg_namelen = tolen,
	                   .msg_iov = &v,
	                   .msg_iovlen = 1};

	if (!lk__enter())
		return syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
	return send_step(fd, &m, flags);
}

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (!lk__enter())
		return syscall(SYS_sendmsg, fd, msg, flags);
	if (msg == NULL || msg->msg_iovlen > IOV_MAX ||
	    msg->msg_controllen > 0) {
		/* SCM_RIGHTS and other control data: not modelled. */
		ssize_t r = syscall(SYS_sendmsg, fd, msg, flags);

		return leave(r, errno);
	}
	return send_step(fd, msg, flags);
}

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec v = {buf, len};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};

	if (!lk__enter())
		return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
	return recv_step(fd, &m, flags);
}

ssize_t
recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
         socklen_t *fromlen)
{
	struct iovec v = {buf, len};
	struct msghdr m = {.msg_name = from,
	                   .msg_namelen = fromlen != NULL ? *fromlen : 0,
	                   .msg_iov = &v,
	                   .msg_iovlen = 1};
	ssize_t r;

	if (!lk__enter())
		return syscall(SYS_recvfrom, fd, buf, len, flags, from,
		               fromlen);
	r = recv_step(fd, &m, flags);
	if (r >= 0 && fromlen != NULL)
		*fromlen = m.msg_namelen;
	return r;
}

ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	if (!lk__enter())
		return syscall(SYS_recvmsg, fd, msg, flags);
	if (msg == NULL || msg->msg_iovlen > IOV_MAX ||
	    msg->msg_controllen > 0) {
		ssize_t r = syscall(SYS_recvmsg, fd, msg, flags);

		return leave(r, errno);
	}
	return recv_step(fd, msg, flags);
}

/* The _FORTIFY_SOURCE entry points. */
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                       struct sockaddr *from, socklen_t *fromlen);

ssize_t
__recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recv(fd, buf, len, flags);
}

ssize_t
__recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
               struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

/* --- shutdown ----------------------------------------------------------- */

/* SHUT_WR, SHUT_RDWR: the peer's end of file, a step on its end;
 * SHUT_RD: a step on the descriptor's own end. */
int
shutdown(int fd, int how)
{
	struct lk_step st = {.op = LK_OP_SHUTDOWN, .u.close.fd = fd};
	int own;

	if (!lk__enter())
		return (int)syscall(SYS_shutdown, fd, how);
	own = lk__obj_fd(fd);
	if (!lk__obj_is_sock(own)) {
		int r = (int)syscall(SYS_shutdown, fd, how);

		return (int)leave(r, errno);
	}
	st.obj = how == SHUT_RD ? own : lk__obj_sock_out(own);
	st.u.close.mode = how == SHUT_RD ? O_RDONLY : O_WRONLY;
	lk__arrive(LK_OP_SHUTDOWN, st.obj, 0);
	st.ret = syscall(SYS_shutdown, fd, how);
	st.err = st.ret < 0 ? errno : 0;
	lk__done(&st, st.obj);
	/* A sender blocked on this end sees EPIPE now, a reader of it 0. */
	if (how != SHUT_WR && st.obj != own)
		lk__wake(own);
	return (int)leave(st.ret, st.err);
}
