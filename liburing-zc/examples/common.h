/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * What the examples share: the byte pattern both ends agree on, size
 * parsing, and clocks.
 */
#ifndef ZC_EXAMPLES_COMMON_H
#define ZC_EXAMPLES_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

/*
 * The stream pattern, the same bytes as the kernel selftests' (zcrx_common.h)
 * so that either end may be theirs: bytes 8i to 8i + 7 are the 64-bit word
 * zc_word(seed, i), least significant byte first.  For one seed the word is
 * a bijection of i, so no two words of a stream are equal and every lost,
 * doubled, swapped or moved page shows; the seed comes from the
 * connection's ports (zc_seed()), so another connection's page shows too.
 */
static inline uint64_t zc_word(uint64_t seed, uint64_t i)
{
	uint64_t x = (i + seed) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

static inline uint8_t zc_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(zc_word(seed, off >> 3) >> ((off & 7) * 8));
}

/* the seed of the connected TCP socket @fd: the same at both ends */
static inline uint64_t zc_seed(int fd)
{
	struct sockaddr_in6 a, b;	/* sockaddr_in keeps its port there too */
	socklen_t la = sizeof(a), lb = sizeof(b);
	uint16_t p, q;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (getsockname(fd, (struct sockaddr *)&a, &la) ||
	    getpeername(fd, (struct sockaddr *)&b, &lb))
		return 0;
	p = ntohs(a.sin6_port);
	q = ntohs(b.sin6_port);
	return zc_word(0x7a637278, p < q ? (uint64_t)p << 16 | q :
					   (uint64_t)q << 16 | p);
}

/* the word as it lies in memory */
static inline uint64_t zc_word_le(uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w;
#else
	return __builtin_bswap64(w);
#endif
}

static inline void zc_fill(uint8_t *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i, w = zc_word(seed, o >> 3);
		unsigned int b = o & 7;

		if (!b && len - i >= 8) {
			w = zc_word_le(w);
			memcpy(buf + i, &w, 8);
			i += 8;
			continue;
		}
		for (; b < 8 && i < len; b++, i++)
			buf[i] = (uint8_t)(w >> (b * 8));
	}
}

/* the index of the first wrong byte, or @len */
static inline size_t zc_check(const uint8_t *buf, size_t len, uint64_t seed,
			      uint64_t off)
{
	size_t i = 0;

	while (i < len) {
		uint64_t o = off + i, w = zc_word(seed, o >> 3), v;
		unsigned int b = o & 7;

		if (!b && len - i >= 8) {
			memcpy(&v, buf + i, 8);
			if (v == zc_word_le(w)) {
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

/* "64K", "256M", "1G" or plain bytes; 0 on a malformed size */
static inline uint64_t zc_parse_size(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	return *end ? 0 : v;
}

static inline double zc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process, user and system, in seconds */
static inline double zc_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* a socket of @family listening on @port on every address: its fd or -errno */
static inline int zc_listen(int family, unsigned int port)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(port);
		a6.sin6_addr = in6addr_any;
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)))
			goto err;
	} else {
		memset(&a4, 0, sizeof(a4));
		a4.sin_family = AF_INET;
		a4.sin_port = htons(port);
		a4.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
			goto err;
	}
	if (listen(fd, 1))
		goto err;
	return fd;
err:
	one = -errno;
	close(fd);
	return one;
}

/*
 * A TCP connection to @addr, @port: its fd or -errno.  The other end may
 * still be setting up: a refused connection is retried for ten seconds.
 */
static inline int zc_connect(const char *addr, const char *port)
{
	struct addrinfo hints, *ai;
	int fd, ret, i;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	ret = getaddrinfo(addr, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "%s: %s\n", addr, gai_strerror(ret));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	for (ret = -1, i = 0; fd >= 0 && i < 200; i++) {
		ret = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (!ret || errno != ECONNREFUSED)
			break;
		usleep(50000);
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return -errno;
	if (ret) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * What the kernel counts for zero-copy receive context @id on the ring
 * @ring_fd (fdinfo): bytes received without and with a copy, -1 if absent.
 */
static inline void zc_counters(int ring_fd, unsigned int id, long long *zc,
			       long long *copied)
{
	char path[64], line[512];
	FILE *f;

	*zc = *copied = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		unsigned int lid;

		if (strncmp(line, "ZcrxIfq:", 8) ||
		    sscanf(line + 8, " id=%u", &lid) != 1 || lid != id)
			continue;
		p = strstr(line, " zc_bytes=");
		if (p)
			*zc = atoll(p + 10);
		p = strstr(line, " copy_bytes=");
		if (p)
			*copied = atoll(p + 12);
	}
	fclose(f);
}

#endif /* ZC_EXAMPLES_COMMON_H */
