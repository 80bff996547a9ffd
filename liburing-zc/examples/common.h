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
#include <sys/resource.h>

/* the byte at stream offset @off: every lost, doubled or moved page shows */
static inline uint8_t zc_pattern(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 8) ^ (off >> 16) ^ (off >> 24) ^ 0x5a);
}

static inline void zc_fill(uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = zc_pattern(off + i);
}

/* the index of the first wrong byte, or @len */
static inline size_t zc_check(const uint8_t *buf, size_t len, uint64_t off)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != zc_pattern(off + i))
			return i;
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

#endif /* ZC_EXAMPLES_COMMON_H */
