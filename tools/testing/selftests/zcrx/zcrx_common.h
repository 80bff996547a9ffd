/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the zcrx selftests: the netdevsim peer environment,
 * network namespaces, and a byte pattern that makes every misplaced,
 * duplicated or lost page visible.
 */
#ifndef __ZCRX_COMMON_H
#define __ZCRX_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ZCRX_NS_A_ADDR4	"192.0.2.1"
#define ZCRX_NS_B_ADDR4	"192.0.2.2"
#define ZCRX_NS_A_ADDR6	"2001:db8::1"
#define ZCRX_NS_B_ADDR6	"2001:db8::2"

/*
 * The byte at stream offset @off.  It depends on every byte of the offset
 * up to 2^32, so a page delivered at the wrong place, twice or not at all
 * does not match.
 */
static inline uint8_t zcrx_pattern(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 8) ^ (off >> 16) ^ (off >> 24) ^ 0x5a);
}

static inline void zcrx_fill(uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = zcrx_pattern(off + i);
}

/* Returns the index of the first wrong byte, or @len if all match. */
static inline size_t zcrx_check(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != zcrx_pattern(off + i))
			return i;
	return len;
}

/* Move the calling thread into the named network namespace. */
static inline int zcrx_enter_netns(const char *name)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return ret;
}

/* Create the two linked netdevsim ports in namespaces @a and @b. */
static inline int zcrx_env_up(const char *a, const char *b, int queues)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "./nsim_env.sh up %s %s %d >/dev/null",
		 a, b, queues);
	return system(cmd);
}

/* Turn tcp-data-split of eth0 in namespace @ns on or off. */
static inline int zcrx_env_hds(const char *ns, int on)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "./nsim_env.sh hds %s %s", ns, on ? "on" : "off");
	return system(cmd);
}

/* A counter of "ethtool -S eth0" in namespace @ns, or -1. */
static inline long long zcrx_counter(const char *ns, const char *name)
{
	long long val = -1;
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "./nsim_env.sh stat %s %s", ns, name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &val) != 1)
		val = -1;
	if (pclose(f))
		val = -1;
	return val;
}

static inline int zcrx_env_down(const char *a, const char *b)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "./nsim_env.sh down %s %s", a, b);
	return system(cmd);
}

static inline int zcrx_sockaddr(int family, const char *addr, int port,
				struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -EINVAL;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	*len = sizeof(*sin6);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? 0 : -EINVAL;
}

/* Send @total bytes of the pattern, starting at stream offset 0. */
static inline int zcrx_send_pattern(int fd, uint64_t total)
{
	static uint8_t buf[256 * 1024];
	uint64_t off = 0;

	while (off < total) {
		size_t chunk = sizeof(buf);
		ssize_t n;

		if (chunk > total - off)
			chunk = total - off;
		zcrx_fill(buf, chunk, off);
		n = send(fd, buf, chunk, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A short send: refill from the new offset. */
		off += n;
	}
	return 0;
}

#endif /* __ZCRX_COMMON_H */
