/*
 * A request/reply deadlock over a socketpair: parent and child both
 * receive first, so neither ever sends. Natively it hangs; under
 * lockstep it is a deadlock (exit 3), explained.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <unistd.h>

int
main(void)
{
	char c;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 10;
	if ((pid = fork()) < 0)
		return 11;
	if (pid == 0) {
		close(sv[0]);
		if (recv(sv[1], &c, 1, 0) != 1)
			return 12;
		return send(sv[1], "r", 1, 0) == 1 ? 0 : 13;
	}
	close(sv[1]);
	if (recv(sv[0], &c, 1, 0) != 1)
		return 14;
	if (send(sv[0], "q", 1, 0) != 1)
		return 15;
	return waitpid(pid, NULL, 0) == pid ? 0 : 16;
}
