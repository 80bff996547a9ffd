/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP over loopback in a network namespace of the test's own, for the
 * programs that receive without a NIC (ZCRX_REG_NODEV): a listener, a
 * sender of the pattern in a child, and the stream that joins them.
 */
#ifndef __ZCRX_LO_H
#define __ZCRX_LO_H

#include <sched.h>
#include "zcrx_test.h"

/* Loopback up in a new network namespace. */
static inline int netns_lo_up(void)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

static inline const char *lo_addr(int family)
{
	return family == AF_INET ? "127.0.0.1" : "::1";
}

static inline int lo_listen(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (zcrx_sockaddr(family, lo_addr(family), port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * A sender in a child, in the same namespace: @size bytes of the pattern
 * to @port.  Exit codes: 0 sent, 3 socket, 4 connect, 5 send.
 */
static inline pid_t lo_sender(int family, int port, uint64_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	pid_t pid;
	int fd;

	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	syscall(__NR_close_range, 3, ~0U, 0);
	drop_ring_maps();
	signal(SIGPIPE, SIG_IGN);
	if (zcrx_sockaddr(family, lo_addr(family), port, &ss, &len))
		_exit(3);
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		_exit(3);
	if (connect(fd, (struct sockaddr *)&ss, len))
		_exit(4);
	if (zcrx_send_pattern(fd, size))
		_exit(5);
	close(fd);
	_exit(0);
}

static inline int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/*
 * A connection to a new listener on @port of loopback, whose sender (in
 * *@tx) sends @size bytes of the pattern, received by @rx through @q as
 * *@s.  Returns the listening socket, or a negative errno.
 */
static inline int lo_stream(struct rx *rx, struct ifq *q, int family,
			    int port, uint64_t size, pid_t *tx,
			    struct stream **s)
{
	int lfd, fd;

	lfd = lo_listen(family, port);
	if (lfd < 0)
		return lfd;
	*tx = lo_sender(family, port, size);
	fd = *tx > 0 ? tcp_accept(lfd, 60000) : -ECHILD;
	if (fd < 0) {
		close(lfd);
		return fd;
	}
	*s = rx_add(rx, fd, q);
	return lfd;
}

/* Reap the sender *@tx, which is then gone: its exit code. */
static inline int reap_tx(pid_t *tx)
{
	int ret = reap(*tx);

	*tx = 0;
	return ret;
}

/* End of a test: kill the senders of @tx[@n] that are still there. */
static inline void kill_tx(pid_t *tx, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (tx[i] > 0) {
			kill(tx[i], SIGKILL);
			waitpid(tx[i], NULL, 0);
			tx[i] = 0;
		}
	}
}

#endif /* __ZCRX_LO_H */
