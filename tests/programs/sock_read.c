/*
 * An unmodified program that blocks in a call lockstep does not control:
 * it reads from a SOCK_SEQPACKET socket nobody writes (stream and
 * datagram sockets are scheduled, SOCK_SEQPACKET not yet). lockstep must
 * not hang: it reports the system call the process sits in.
 */
#include <sys/socket.h>

#include <unistd.h>

int
main(void)
{
	char c;
	int s[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s) != 0 ||
	    write(1, "reading\n", 8) != 8)
		return 1;
	return read(s[0], &c, 1) == 1 ? 0 : 1;
}
