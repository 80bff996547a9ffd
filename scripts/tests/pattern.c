// SPDX-License-Identifier: GPL-2.0
/*
 * Host test program; built and run by scripts/tests/pattern.sh.
 *
 * The stream pattern of the selftests (zcrx_common.h) and of liburing-zc's
 * examples (examples/common.h): the same bytes at both, every 4 KiB block
 * unlike every other, and a misplaced, repeated, swapped or foreign page
 * caught.  Prints "ok: " / "FAILED: " lines.
 */
#define _GNU_SOURCE
#include "../../tools/testing/selftests/zcrx/zcrx_common.h"
#include "../../liburing-zc/examples/common.h"

#define PAGE	4096
#define STREAM	(64ULL << 20)

static int fails;

static void result(int good, const char *what)
{
	printf("%s: pattern: %s\n", good ? "ok" : "FAILED", what);
	if (!good)
		fails++;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A connected pair of loopback TCP sockets. */
static int tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int lfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, len) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &len))
		return -1;
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, len))
		return -1;
	fds[1] = accept(lfd, NULL, NULL);
	close(lfd);
	return fds[1] < 0 ? -1 : 0;
}

int main(void)
{
	uint64_t seeds[] = { 0, 1, 0x123456789abcdefULL, UINT64_MAX };
	uint8_t *s = malloc(STREAM), *t = malloc(STREAM), page[PAGE];
	size_t nblk = STREAM / PAGE, i, j, k;
	uint64_t *first = malloc(nblk * sizeof(*first));
	int same = 1, cross = 1, exact = 1, distinct = 1;
	int a[2], b[2];
	uint64_t seed;

	if (!s || !t || !first)
		return 1;

	/* Both headers, any seed, offset and length, the same bytes. */
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		for (j = 0; j < 200; j++) {
			uint64_t off = j * 7919 + (j << 33) + (j & 7);
			size_t len = 1 + (j * 131) % 9000;

			zcrx_fill(s, len, seeds[i], off);
			zc_fill(t, len, seeds[i], off);
			same &= !memcmp(s, t, len);
			cross &= zc_check(s, len, seeds[i], off) == len &&
				 zcrx_check(t, len, seeds[i], off) == len;
			for (k = 0; k < len; k += 97)
				same &= s[k] == zcrx_byte(seeds[i], off + k) &&
					s[k] == zc_byte(seeds[i], off + k);
			/* The first wrong byte is found exactly. */
			k = (j * 37) % len;
			s[k] ^= 0x10;
			exact &= zcrx_check(s, len, seeds[i], off) == k &&
				 zc_check(s, len, seeds[i], off) == k;
		}
	}
	result(same, "zcrx_common.h and examples/common.h make the same bytes");
	result(cross, "each header accepts the other's bytes");
	result(exact, "the first wrong byte is found at any offset");

	/* Every 4 KiB block of a 64 MiB stream differs from every other. */
	seed = 0x5eed;
	zcrx_fill(s, STREAM, seed, 0);
	for (i = 0; i < nblk; i++)
		memcpy(&first[i], s + i * PAGE, 8);
	qsort(first, nblk, sizeof(*first), cmp64);
	for (i = 1; i < nblk; i++)
		distinct &= first[i] != first[i - 1];
	result(distinct, "every 4 KiB block of 64 MiB differs from every other");

	/*
	 * A page at the wrong place.  With the old pattern (the xor of the
	 * offset's bytes) page 0 equalled pages 257, 514, ...: 1 MiB + 4 KiB
	 * apart.
	 */
	{
		static const size_t moves[][2] = {
			{ 0, 257 }, { 0, 514 }, { 3, 3 + 256 }, { 100, 101 },
			{ 16383, 0 }, { 4096, 4096 + 257 }, { 7, 7 + 16 },
		};
		int all = 1;

		for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
			all &= zcrx_check(s + moves[i][0] * PAGE, PAGE, seed,
					  moves[i][1] * PAGE) == 0 &&
			       zc_check(s + moves[i][0] * PAGE, PAGE, seed,
					moves[i][1] * PAGE) == 0;
		/* And every page against every offset 1 MiB away, and more. */
		for (i = 0; i + 514 < nblk; i++)
			for (k = 1; k <= 514; k += 1 + (k > 255) * 256)
				all &= zcrx_check(s + i * PAGE, PAGE, seed,
						  (i + k) * PAGE) != PAGE;
		result(all, "a page delivered at another offset does not match");
	}

	/* A repeated page, then two pages swapped, in a received stream. */
	memcpy(t, s, 8 * PAGE);
	memcpy(t + 5 * PAGE, t + 4 * PAGE, PAGE);
	result(zcrx_check(t, 8 * PAGE, seed, 0) == 5 * PAGE,
	       "a page received twice is caught where the copy lies");
	memcpy(t, s, 8 * PAGE);
	memcpy(page, t + 2 * PAGE, PAGE);
	memcpy(t + 2 * PAGE, t + 6 * PAGE, PAGE);
	memcpy(t + 6 * PAGE, page, PAGE);
	result(zcrx_check(t, 8 * PAGE, seed, 0) == 2 * PAGE &&
	       zc_check(t + 6 * PAGE, 2 * PAGE, seed, 6 * PAGE) == 0,
	       "two swapped pages are caught");

	/* Seeds: both ends of a connection agree; two connections differ. */
	if (tcp_pair(a) || tcp_pair(b)) {
		result(0, "loopback TCP connections for the seed");
	} else {
		uint64_t sa = zcrx_seed(a[0]), sb = zcrx_seed(b[0]);

		result(sa == zcrx_seed(a[1]) && sa == zc_seed(a[1]) &&
		       sb == zc_seed(b[1]),
		       "both ends of a connection compute one seed");
		zcrx_fill(t, PAGE, sb, 0);
		result(sa != sb && zcrx_check(t, PAGE, sa, 0) == 0,
		       "a page of another connection, at its own offset, does not match");
	}
	return fails ? 1 : 0;
}
