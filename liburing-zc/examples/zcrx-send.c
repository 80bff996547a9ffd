/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-send: connect to a zero-copy receive server and send it a number of
 * bytes of the pattern zcrx-server checks.
 *
 *   zcrx-send -c ADDRESS -p PORT -s SIZE [-b CHUNK] [-x SEED]
 *
 * The pattern's seed comes from the connection's ports, unless -x gives
 * it (for a stream that goes through a relay to its receiver).
 */
#include <getopt.h>
#include <unistd.h>
#include <sys/socket.h>

#include "common.h"

static void usage(void)
{
	fprintf(stderr, "usage: zcrx-send -c ADDRESS -p PORT -s SIZE [-b CHUNK] [-x SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *port = NULL;
	uint64_t size = 0, chunk = 64 << 10, sent = 0, seed;
	double t0, secs;
	uint8_t *buf;
	int fd, opt, fixed_seed = 0;
	uint64_t seed_arg = 0;

	while ((opt = getopt(argc, argv, "c:p:s:b:x:")) != -1) {
		switch (opt) {
		case 'c': addr = optarg; break;
		case 'p': port = optarg; break;
		case 's': size = zc_parse_size(optarg); break;
		case 'b': chunk = zc_parse_size(optarg); break;
		case 'x':
			seed_arg = strtoull(optarg, NULL, 0);
			fixed_seed = 1;
			break;
		default: usage();
		}
	}
	if (!addr || !port || !size || !chunk || chunk > (1 << 30))
		usage();

	fd = zc_connect(addr, port);
	if (fd < 0) {
		fprintf(stderr, "zcrx-send: connect: %s\n", strerror(-fd));
		return 1;
	}

	buf = malloc(chunk + 65536);
	if (!buf)
		return 1;
	seed = fixed_seed ? seed_arg : zc_seed(fd);
	t0 = zc_now();
	while (sent < size) {
		size_t n = size - sent < chunk ? size - sent : chunk;
		ssize_t w;

		zc_fill(buf, n, seed, sent);
		w = send(fd, buf, n, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			perror("zcrx-send: send");
			return 1;
		}
		sent += w;
	}
	shutdown(fd, SHUT_WR);
	/* wait for the receiver to close: then everything has arrived */
	while (recv(fd, buf, chunk, 0) > 0)
		;
	secs = zc_now() - t0;
	printf("sent %llu bytes in %.2f s (%.1f MiB/s)\n",
	       (unsigned long long)sent, secs, sent / secs / 1048576);
	close(fd);
	free(buf);
	return 0;
}
