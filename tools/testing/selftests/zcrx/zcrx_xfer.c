// SPDX-License-Identifier: GPL-2.0
/*
 * Send or receive a TCP stream of the zcrx selftest pattern, verify every
 * received byte, and report throughput and CPU time.  Used by the demo and
 * the benchmarks as the plain recv() baseline.
 *
 *   zcrx_xfer -l [-6] [-N netns] [-p port] [-b bufsize] [-S size]
 *   zcrx_xfer -c ADDR [-N netns] [-p port] -S size
 *
 * The receiver exits 0 only if it got exactly -S bytes (when given) and all
 * of them matched.
 */
#include <getopt.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "zcrx_common.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static uint64_t parse_size(const char *s)
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

static void bad_args(const char *prog)
{
	fprintf(stderr,
		"usage: %s -l [-6] [-N netns] [-p port] [-b bufsize] [-S size]\n"
		"       %s -c ADDR [-N netns] [-p port] -S size\n", prog, prog);
	exit(2);
}

static int do_listen(int family, int port, size_t bufsize, uint64_t expect)
{
	struct sockaddr_storage ss;
	uint64_t got = 0, bad = UINT64_MAX;
	double t0, c0, t, c;
	socklen_t len;
	uint8_t *buf;
	int one = 1;
	int lfd, fd;

	buf = malloc(bufsize);
	if (!buf)
		return 1;
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", port, &ss, &len);
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1)) {
		perror("bind/listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("accept");
		return 1;
	}
	t0 = now();
	c0 = cpu_seconds();
	for (;;) {
		ssize_t n = recv(fd, buf, bufsize, 0);
		size_t off;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recv");
			return 1;
		}
		if (n == 0)
			break;
		off = zcrx_check(buf, n, got);
		if (off != (size_t)n && bad == UINT64_MAX)
			bad = got + off;
		got += n;
	}
	t = now() - t0;
	c = cpu_seconds() - c0;
	printf("recv: %llu bytes in %.2f s, %.1f MiB/s, receiver CPU %.2f s (%.2f s/GiB), %s\n",
	       (unsigned long long)got, t, got / t / (1 << 20), c,
	       got ? c * (1 << 30) / got : 0.0,
	       bad == UINT64_MAX ? "all bytes verified" : "DATA MISMATCH");
	if (bad != UINT64_MAX)
		fprintf(stderr, "first wrong byte at offset %llu\n", (unsigned long long)bad);
	if (expect != UINT64_MAX && got != expect)
		fprintf(stderr, "expected %llu bytes, got %llu\n",
			(unsigned long long)expect, (unsigned long long)got);
	close(fd);
	close(lfd);
	return bad != UINT64_MAX || (expect != UINT64_MAX && got != expect);
}

static int do_connect(const char *addr, int port, uint64_t size)
{
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, tries, ret;

	if (zcrx_sockaddr(family, addr, port, &ss, &len)) {
		fprintf(stderr, "bad address %s\n", addr);
		return 2;
	}
	/* The listener may still be starting: retry for a few seconds. */
	for (tries = 0; ; tries++) {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			return 1;
		}
		if (!connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		if (errno != ECONNREFUSED || tries == 100) {
			perror("connect");
			return 1;
		}
		usleep(100 * 1000);
	}
	ret = zcrx_send_pattern(fd, size);
	if (ret) {
		fprintf(stderr, "send: %s\n", strerror(-ret));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t size = UINT64_MAX;
	const char *peer = NULL;
	size_t bufsize = 64 << 10;
	int family = AF_INET;
	int listen_mode = 0;
	int port = 9000;
	int opt, ret;

	while ((opt = getopt(argc, argv, "lc:6N:p:b:S:")) != -1) {
		switch (opt) {
		case 'l':
			listen_mode = 1;
			break;
		case 'c':
			peer = optarg;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'N':
			ret = zcrx_enter_netns(optarg);
			if (ret) {
				fprintf(stderr, "netns %s: %s\n", optarg, strerror(-ret));
				return 1;
			}
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'b':
			bufsize = parse_size(optarg);
			break;
		case 'S':
			size = parse_size(optarg);
			break;
		default:
			bad_args(argv[0]);
		}
	}
	if (listen_mode == !!peer || !bufsize)
		bad_args(argv[0]);
	if (listen_mode)
		return do_listen(family, port, bufsize, size);
	if (size == UINT64_MAX)
		bad_args(argv[0]);
	return do_connect(peer, port, size);
}
