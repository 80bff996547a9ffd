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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define ZCRX_NS_A_ADDR4	"192.0.2.1"
#define ZCRX_NS_B_ADDR4	"192.0.2.2"
#define ZCRX_NS_A_ADDR6	"2001:db8::1"
#define ZCRX_NS_B_ADDR6	"2001:db8::2"

/*
 * How long to wait for something the kernel finishes in the background (a
 * ring's exit work releasing its queue, pins given back): long enough for a
 * debug kernel under emulation, since only a defect makes it run out.
 */
#define ZCRX_WAIT_MS	(120 * 1000)

static inline uint64_t zcrx_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Monotonic time in seconds, for throughput figures. */
static inline double zcrx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the process so far, user and system, in seconds. */
static inline double zcrx_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* A size from the command line: a number with an optional K, M or G. */
static inline uint64_t zcrx_parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	default: return v;
	}
}

/*
 * The stream pattern.  Bytes 8i to 8i + 7 of a stream are the 64-bit word
 * zcrx_word(seed, i), least significant byte first.  For one seed the word
 * is a bijection of i (an addition, a multiplication by an odd constant and
 * xor-shifts), so no two words of a stream are equal: every 4 KiB block
 * differs from every other block, and a page delivered at the wrong place,
 * twice, swapped or not at all does not match.  The seed of a connection
 * (zcrx_seed()) comes from its ports, so a page of another connection does
 * not match either.  liburing-zc/examples/common.h computes the same bytes.
 */
static inline uint64_t zcrx_word(uint64_t seed, uint64_t i)
{
	uint64_t x = (i + seed) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static inline uint8_t zcrx_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(zcrx_word(seed, off >> 3) >> ((off & 7) * 8));
}

/*
 * The seed of a TCP connection between ports @p and @q: both ends compute
 * the same one, and other connections get other seeds.
 */
static inline uint64_t zcrx_seed_ports(uint16_t p, uint16_t q)
{
	return zcrx_word(0x7a637278, p < q ? (uint64_t)p << 16 | q :
					     (uint64_t)q << 16 | p);
}

/* The seed of the connected TCP socket @fd, from its two ports. */
static inline uint64_t zcrx_seed(int fd)
{
	struct sockaddr_in6 a, b;	/* the port is where sockaddr_in has it */
	socklen_t la = sizeof(a), lb = sizeof(b);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (getsockname(fd, (struct sockaddr *)&a, &la) ||
	    getpeername(fd, (struct sockaddr *)&b, &lb))
		return 0;
	return zcrx_seed_ports(ntohs(a.sin6_port), ntohs(b.sin6_port));
}

/* The word as it lies in memory. */
static inline uint64_t zcrx_word_le(uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w;
#else
	return __builtin_bswap64(w);
#endif
}

static inline void zcrx_fill(uint8_t *buf, size_t len, uint64_t seed,
			     uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i, w = zcrx_word(seed, o >> 3);
		unsigned int b = o & 7;

		if (!b && len - i >= 8) {
			w = zcrx_word_le(w);
			memcpy(buf + i, &w, 8);
			i += 8;
			continue;
		}
		for (; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(w >> (b * 8));
	}
}

/* Returns the index of the first wrong byte, or @len if all match. */
static inline size_t zcrx_check(const uint8_t *buf, size_t len, uint64_t seed,
				uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i, w = zcrx_word(seed, o >> 3), v;
		unsigned int b = o & 7;

		if (!b && len - i >= 8) {
			memcpy(&v, buf + i, 8);
			if (v == zcrx_word_le(w)) {
				i += 8;
				continue;
			}
		}
		for (; b < 8 && i < len; b++, i++)
			if (buf[i] != (uint8_t)(w >> (b * 8)))
				return i;
	}
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

/*
 * Run @argv[0] (a program next to the tests, or one found in $PATH) with
 * no shell in between: a process start is slow under a debug kernel, and
 * the tests start many.  If @out is not NULL, its standard output goes
 * there (at most @len - 1 bytes, NUL-terminated; the rest is read and
 * dropped), otherwise to /dev/null.  Returns its exit status, or -1 if it
 * could not run or was killed.
 */
static inline int zcrx_run(char *const argv[], char *out, size_t len)
{
	size_t got = 0;
	int p[2], status;
	char drop[256];
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int fd = out ? p[1] : open("/dev/null", O_WRONLY);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		if (out && got + 1 < len)
			n = read(p[0], out + got, len - 1 - got);
		else
			n = read(p[0], drop, sizeof(drop));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && got + 1 < len)
			got += n;
	}
	close(p[0]);
	if (out && len)
		out[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The Toeplitz hash of @len bytes of @data under the key @key. */
static inline uint32_t zcrx_toeplitz(const uint8_t *key, size_t key_len,
			 const uint8_t *data, size_t len)
{
	uint32_t hash = 0, window;
	size_t i, next = 4;
	int bit;

	if (key_len < len + 4)
		return 0;
	window = (uint32_t)key[0] << 24 | key[1] << 16 | key[2] << 8 | key[3];
	for (i = 0; i < len; i++, next++) {
		for (bit = 7; bit >= 0; bit--) {
			if (data[i] & (1 << bit))
				hash ^= window;
			window = window << 1 | ((key[next] >> bit) & 1);
		}
	}
	return hash;
}

/*
 * Whether the tests run over real hardware (ZCRX_NIC=hw): two cabled
 * interfaces that ZCRX_IF (the receiver) and ZCRX_PEER_IF (the sender)
 * name, which nsim_env.sh moves into the namespaces.  Without either
 * variable the program cannot run there: it exits with the kselftest
 * status "skip".
 */
static inline bool zcrx_hw_mode(void)
{
	const char *nic = getenv("ZCRX_NIC");
	const char *dev = getenv("ZCRX_IF"), *peer = getenv("ZCRX_PEER_IF");

	if (!nic || strcmp(nic, "hw"))
		return false;
	if (!dev || !*dev || !peer || !*peer) {
		fprintf(stderr, "%s\n",
			"ZCRX_NIC=hw: set ZCRX_IF to the receiving interface and ZCRX_PEER_IF to the interface cabled to it");
		exit(4);
	}
	return true;
}

/* Create the two linked netdevsim ports in namespaces @a and @b. */
static inline int zcrx_env_up(const char *a, const char *b, int queues)
{
	char q[16];

	snprintf(q, sizeof(q), "%d", queues);
	return zcrx_run((char *const []){ "./nsim_env.sh", "up", (char *)a,
					 (char *)b, q, NULL }, NULL, 0);
}

/* Turn tcp-data-split of eth0 in namespace @ns on or off. */
static inline int zcrx_env_hds(const char *ns, int on)
{
	return zcrx_run((char *const []){ "./zcrx_nic", "-N", (char *)ns, "eth0",
					 "hds", on ? "on" : "off", NULL }, NULL, 0);
}

/* A counter of "ethtool -S eth0" in namespace @ns, or -1. */
static inline long long zcrx_counter(const char *ns, const char *name)
{
	long long val;
	char out[64];

	if (zcrx_run((char *const []){ "./zcrx_nic", "-N", (char *)ns, "eth0",
				      "stat", (char *)name, NULL },
		     out, sizeof(out)) ||
	    sscanf(out, "%lld", &val) != 1)
		return -1;
	return val;
}

/* The netdevsim id of namespace @ns's port, as nsim_env.sh noted it, or -1. */
static inline int zcrx_nsim_id(const char *ns)
{
	char path[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

/* Delete the ports and namespaces that zcrx_env_up() created. */
static inline int zcrx_env_down(const char *a, const char *b)
{
	return zcrx_run((char *const []){ "./nsim_env.sh", "down", (char *)a,
					 (char *)b, NULL }, NULL, 0);
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

/* Send @len bytes of @buf, whatever send() takes at a time; 0 or -errno. */
static inline int zcrx_send_all(int fd, const uint8_t *buf, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += n;
	}
	return 0;
}

/*
 * Send @total bytes of the pattern, starting at stream offset 0, with the
 * seed of the connection.
 */
static inline int zcrx_send_pattern(int fd, uint64_t total)
{
	static uint8_t buf[256 * 1024];
	uint64_t off, seed = zcrx_seed(fd);
	int ret;

	for (off = 0; off < total; off += sizeof(buf)) {
		size_t chunk = sizeof(buf);

		if (chunk > total - off)
			chunk = total - off;
		zcrx_fill(buf, chunk, seed, off);
		ret = zcrx_send_all(fd, buf, chunk);
		if (ret)
			return ret;
	}
	return 0;
}

#endif /* __ZCRX_COMMON_H */
