/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-send: connect to a zero-copy receive server and send it a number of
 * bytes of the pattern zcrx-server checks.
 *
 *   zcrx-send -c ADDRESS -p PORT -s SIZE
 */
#include <getopt.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/socket.h>

#include "common.h"

static void usage(void)
{
	fprintf(stderr, "usage: zcrx-send -c ADDRESS -p PORT -s SIZE [-b CHUNK]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *port = NULL;
	uint64_t size = 0, chunk = 64 << 10, sent = 0, seed;
	struct addrinfo hints, *ai;
	double t0, secs;
	uint8_t *buf;
	int fd, opt, ret;

	while ((opt = getopt(argc, argv, "c:p:s:b:")) != -1) {
		switch (opt) {
		case 'c': addr = optarg; break;
		case 'p': port = optarg; break;
		case 's': size = zc_parse_size(optarg); break;
		case 'b': chunk = zc_parse_size(optarg); break;
		default: usage();
		}
	}
	if (!addr || !port || !size || !chunk || chunk > (1 << 30))
		usage();

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	ret = getaddrinfo(addr, port, &hints, &ai);
	if (ret) {
		fprintf(stderr, "zcrx-send: %s: %s\n", addr, gai_strerror(ret));
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	/* the server may still be setting up its queue: retry for a while */
	for (ret = -1, opt = 0; fd >= 0 && opt < 200; opt++) {
		ret = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (!ret || errno != ECONNREFUSED)
			break;
		usleep(50000);
	}
	freeaddrinfo(ai);
	if (fd < 0 || ret) {
		perror("zcrx-send: connect");
		return 1;
	}

	buf = malloc(chunk + 65536);
	if (!buf)
		return 1;
	seed = zc_seed(fd);
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
