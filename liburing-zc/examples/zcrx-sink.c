/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-sink: the end of a stream.  Accept one TCP connection, check every
 * byte against zcrx-send's pattern, and optionally write the stream to a
 * file opened with O_DIRECT, so that it does not go through the page
 * cache either.
 *
 *   zcrx-sink -p PORT [-i IFNAME -q QUEUE | -r] [-o FILE] [options]
 *
 *   -i IFNAME -q QUEUE   receive with RECV_ZC from that NIC queue and
 *               write from the area: each buffer goes back to the refill
 *               ring when the write that reads it has completed
 *   -r          receive with recv() into an aligned buffer instead
 *   -o FILE     write the stream to FILE with O_DIRECT (created or
 *               truncated); at the end, read it back and check it, and
 *               count its pages in the page cache
 *   -x SEED     the pattern's seed (default: from the connection's ports;
 *               give zcrx-send's -x when a relay stands between)
 *   -6          listen on IPv6
 *   -a SIZE     area size (default 16M)
 *   -b BUFLEN   area buffers of BUFLEN bytes (with a fallback to pages)
 *   -s EXPECTED fail unless exactly EXPECTED bytes arrived
 *
 * O_DIRECT wants the memory, the length and the file offset of a write
 * aligned to the file system's block (4096 here).  A piece of the area
 * that is aligned like its stream offset goes to the file as it lies;
 * the others are copied into an aligned staging buffer first (and counted:
 * with an MTU whose segments carry 4096 bytes, there are none but the
 * stream's tail).  The last block is padded and the file truncated to the
 * stream's length.
 *
 * Exits 0 when the stream was complete and right (and so was the file),
 * 3 on a kernel without zero-copy receive, 1 otherwise.  The last line:
 *   result: bytes=B secs=S cpu=C completions=N zc_bytes=Z copy_bytes=Y
 *           direct_bytes=D staged_bytes=T writes=W cached_pages=P left=L
 * (P: the file's pages in the page cache after the transfer, -1 without
 * -o; L: buffers not back in the refill ring at the end, 0 but after an
 * interruption).
 */
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <liburing-zc.h>

#include "ring.h"

#define ALIGN_TO	4096U
#define STAGE_SIZE	(1U << 20)
#define WRITES		64

struct sink {
	int fd;			/* the connection */
	int out;		/* the file, or -1 */
	uint64_t seed;
	uint64_t bytes;		/* received */
	uint64_t completions;
	uint64_t direct, staged, writes;
	unsigned int left;	/* buffers not back in the refill ring at the end */
	int bad;
	/* the staging buffer: bytes of the stream from stage_off on */
	char *stage;
	uint64_t stage_off;
	unsigned int stage_len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: zcrx-sink -p PORT [-i IFNAME -q QUEUE | -r] [-o FILE] "
		"[-x SEED] [-6] [-a SIZE] [-b BUFLEN] [-s EXPECTED]\n");
	exit(2);
}

static void check(struct sink *s, const void *p, size_t len)
{
	size_t at;

	if (s->bad)
		return;
	at = zc_check(p, len, s->seed, s->bytes);
	if (at != len) {
		fprintf(stderr, "zcrx-sink: wrong byte at stream offset %llu\n",
			(unsigned long long)(s->bytes + at));
		s->bad = 1;
	}
}

/* write @len bytes at @p to the file at @off, all of it: 0 or -errno */
static int pwrite_all(int fd, const char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* write the staging buffer's whole blocks (@all: and the padded rest) */
static int stage_flush(struct sink *s, int all)
{
	unsigned int whole = s->stage_len & ~(ALIGN_TO - 1), len = whole;
	int ret;

	if (all && s->stage_len > whole) {
		len = whole + ALIGN_TO;
		memset(s->stage + s->stage_len, 0, len - s->stage_len);
	}
	if (!len)
		return 0;
	ret = pwrite_all(s->out, s->stage, len, s->stage_off);
	if (ret)
		return ret;
	s->writes++;
	if (len > whole) {
		s->stage_off += s->stage_len;
		s->stage_len = 0;
		return 0;
	}
	memmove(s->stage, s->stage + whole, s->stage_len - whole);
	s->stage_len -= whole;
	s->stage_off += whole;
	return 0;
}

/* copy a piece of the stream through the staging buffer */
static int stage_add(struct sink *s, const char *p, size_t len, uint64_t off)
{
	int ret;

	if (!s->stage_len)
		s->stage_off = off;
	while (len) {
		size_t n = STAGE_SIZE - s->stage_len;

		if (n > len)
			n = len;
		memcpy(s->stage + s->stage_len, p, n);
		s->stage_len += n;
		s->staged += n;
		p += n;
		len -= n;
		if (s->stage_len == STAGE_SIZE || !(s->stage_len % ALIGN_TO)) {
			ret = stage_flush(s, 0);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int aligned(uint64_t v)
{
	return !(v & (ALIGN_TO - 1));
}

static int sink_recv(struct sink *s)
{
	const size_t chunk = 1 << 20;
	char *buf = aligned_alloc(ALIGN_TO, chunk);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (!stop) {
		ssize_t n = recv(s->fd, buf, chunk, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? -errno : 0;
			break;
		}
		check(s, buf, n);
		s->completions++;
		if (s->out >= 0) {
			ret = stage_add(s, buf, n, s->bytes);
			if (ret)
				break;
		}
		s->bytes += n;
	}
	free(buf);
	return stop && !ret ? -EINTR : ret;
}

/*
 * RECV_ZC in, writes out.  Aligned pieces wait in a queue and go to the
 * file in runs of up to IO_URING_ZCRX_FWD_MAX_BUFS, as writes from the
 * area; the helper returns each buffer when its write has completed.
 */
static int sink_zc(struct sink *s, struct io_uring *ring,
		   struct io_uring_zcrx *zc)
{
	struct zc_fifo pending = { 0 };
	struct io_uring_zcrx_fwd *f;
	struct io_uring_sqe *sqe;
	int ret, eof = 0, err = 0;

	ret = io_uring_zcrx_fwd_init(&f, zc, WRITES, 0);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv_zc(sqe, s->fd, zc->id, 0, 0);
	/* an entry keeps the user_data of its last use: not the helper's */
	io_uring_sqe_set_data64(sqe, 0);
	while (!stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		/* runs of pieces that follow each other in the stream */
		while (!err && !zc_fifo_empty(&pending) &&
		       io_uring_zcrx_fwd_inflight(f) < WRITES) {
			int bufs[IO_URING_ZCRX_FWD_MAX_BUFS];
			uint64_t off = zc_fifo_first(&pending)->off, end = off;
			unsigned int n = 0, i;

			while (!zc_fifo_empty(&pending) && n < IO_URING_ZCRX_FWD_MAX_BUFS &&
			       zc_fifo_first(&pending)->off == end) {
				struct zc_piece pc = zc_fifo_pop(&pending);

				bufs[n++] = pc.buf;
				end += pc.len;
			}
			sqe = io_uring_get_sqe(ring);
			if (!sqe) {
				io_uring_submit(ring);
				sqe = io_uring_get_sqe(ring);
			}
			ret = io_uring_zcrx_prep_writev(f, sqe, s->out, bufs, n,
							off, end - off);
			/* on success the write holds them now; else they go back */
			for (i = 0; i < n; i++)
				io_uring_zcrx_fwd_put(f, bufs[i]);
			if (ret) {
				/* the entry must not go out as it was last used */
				io_uring_prep_nop(sqe);
				io_uring_sqe_set_data64(sqe, 0);
				err = ret;
				break;
			}
			s->writes++;
		}
		if ((eof || err) && zc_fifo_empty(&pending) &&
		    !io_uring_zcrx_fwd_inflight(f))
			break;

		ret = io_uring_submit_and_wait(ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			err = ret;
			break;
		}
		io_uring_for_each_cqe(ring, head, cqe) {
			struct io_uring_zcrx_fwd_cqe fc;
			struct iovec iov;
			int buf;

			seen++;
			ret = io_uring_zcrx_fwd_complete(f, cqe, &fc);
			if (ret < 0) {
				if (!err)
					err = ret;
				continue;
			}
			if (ret) {
				/* the cookie is the write's length */
				if (fc.res < 0 && !err)
					err = fc.res;
				else if (fc.res >= 0 && (uint64_t)fc.res != fc.cookie && !err)
					err = -EIO;
				else if (fc.res > 0)
					s->direct += fc.res;
				continue;
			}
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				if (cqe->res == -ENOSPC) {
					sqe = io_uring_get_sqe(ring);
					io_uring_prep_recv_zc(sqe, s->fd, zc->id, 0, 0);
					io_uring_sqe_set_data64(sqe, 0);
				} else if (cqe->res < 0 && !err) {
					err = cqe->res;
				} else if (!cqe->res) {
					eof = 1;
				}
			}
			if (cqe->res <= 0)
				continue;
			if (io_uring_zcrx_get_buf(zc, cqe, &iov)) {
				err = -EINVAL;
				continue;
			}
			check(s, iov.iov_base, iov.iov_len);
			s->completions++;
			if (s->out < 0 || err || s->stage_len ||
			    !aligned((uintptr_t)iov.iov_base) ||
			    !aligned(iov.iov_len) || !aligned(s->bytes)) {
				if (s->out >= 0 && !err) {
					ret = stage_add(s, iov.iov_base, iov.iov_len, s->bytes);
					if (ret)
						err = ret;
				}
				s->bytes += iov.iov_len;
				io_uring_zcrx_return(zc, cqe);
				continue;
			}
			buf = io_uring_zcrx_fwd_hold(f, cqe);
			if (buf < 0) {
				err = buf;
				io_uring_zcrx_return(zc, cqe);
				continue;
			}
			ret = zc_fifo_push(&pending, (struct zc_piece){
				.buf = buf, .len = iov.iov_len, .off = s->bytes });
			if (ret) {
				err = ret;
				io_uring_zcrx_fwd_put(f, buf);
			}
			s->bytes += iov.iov_len;
		}
		io_uring_cq_advance(ring, seen);
	}
	while (!zc_fifo_empty(&pending))
		io_uring_zcrx_fwd_put(f, zc_fifo_pop(&pending).buf);
	free(pending.v);
	io_uring_zcrx_fwd_flush(f);
	s->left = io_uring_zcrx_fwd_held(f);
	if (io_uring_zcrx_fwd_free(f) == -EBUSY && !err)
		err = -EBUSY;
	return stop && !err ? -EINTR : err;
}

/* read the file back (O_DIRECT) and check it: 0 or -errno */
static int verify_file(struct sink *s, const char *path)
{
	const size_t chunk = 1 << 20;
	uint64_t off = 0;
	struct stat st;
	char *buf;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (uint64_t)st.st_size != s->bytes) {
		fprintf(stderr, "zcrx-sink: %s holds %lld bytes, the stream had %llu\n",
			path, (long long)st.st_size, (unsigned long long)s->bytes);
		close(fd);
		return -EIO;
	}
	buf = aligned_alloc(ALIGN_TO, chunk);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < s->bytes) {
		ssize_t n = pread(fd, buf, chunk, off);
		size_t at;

		if (n <= 0) {
			ret = n ? -errno : -EIO;
			break;
		}
		at = zc_check((uint8_t *)buf, n, s->seed, off);
		if (at != (size_t)n) {
			fprintf(stderr, "zcrx-sink: %s: wrong byte at %llu\n", path,
				(unsigned long long)(off + at));
			ret = -EIO;
			break;
		}
		off += n;
	}
	free(buf);
	close(fd);
	return ret;
}

/* pages of @path in the page cache, or -1 */
static long long cached_pages(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	long long n = 0;
	unsigned char *vec;
	struct stat st;
	size_t pages, i;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !st.st_size) {
		close(fd);
		return st.st_size ? -1 : 0;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	pages = (st.st_size + page - 1) / page;
	vec = malloc(pages);
	if (!vec || mincore(map, st.st_size, vec)) {
		n = -1;
	} else {
		for (i = 0; i < pages; i++)
			n += vec[i] & 1;
	}
	free(vec);
	munmap(map, st.st_size);
	return n;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *path = NULL;
	struct io_uring_zcrx_params zp;
	struct io_uring_zcrx zc;
	struct io_uring ring;
	struct sink s;
	long long zc_bytes = -1, copy_bytes = -1, cached = -1;
	uint64_t expected = 0, seed = 0;
	unsigned int port = 0, queue = 0;
	int family = AF_INET, opt, lfd, ret, rc = 0, use_recv = 0, fixed_seed = 0;
	double t0, cpu0, secs, cpu;

	memset(&zp, 0, sizeof(zp));
	memset(&s, 0, sizeof(s));
	s.out = -1;
	while ((opt = getopt(argc, argv, "p:i:q:ro:x:6a:b:s:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'i': ifname = optarg; break;
		case 'q': queue = atoi(optarg); break;
		case 'r': use_recv = 1; break;
		case 'o': path = optarg; break;
		case 'x':
			seed = strtoull(optarg, NULL, 0);
			fixed_seed = 1;
			break;
		case '6': family = AF_INET6; break;
		case 'a': zp.area_size = zc_parse_size(optarg); break;
		case 'b':
			zp.rx_buf_len = (__u32)zc_parse_size(optarg);
			zp.flags |= IO_URING_ZCRX_BUF_FALLBACK;
			break;
		case 's': expected = zc_parse_size(optarg); break;
		default: usage();
		}
	}
	if (!port || port > 65535 || (!ifname == !use_recv))
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (path) {
		s.out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
		if (s.out < 0) {
			fprintf(stderr, "zcrx-sink: %s: %s\n", path, strerror(errno));
			return 1;
		}
		s.stage = aligned_alloc(ALIGN_TO, STAGE_SIZE + ALIGN_TO);
		if (!s.stage)
			return 1;
	}
	if (!use_recv) {
		ret = zc_ring_setup("zcrx-sink", ifname, queue, 128, &zp, &ring, &zc);
		if (ret)
			return ret;
	}

	lfd = zc_listen(family, port);
	if (lfd < 0) {
		fprintf(stderr, "zcrx-sink: listen: %s\n", strerror(-lfd));
		rc = 1;
		goto out;
	}
	printf("listening on port %u%s%s\n", port, path ? ", writing to " : "",
	       path ? path : "");
	fflush(stdout);
	s.fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (s.fd < 0) {
		perror("zcrx-sink: accept");
		rc = 1;
		goto out;
	}
	s.seed = fixed_seed ? seed : zc_seed(s.fd);

	cpu0 = zc_cpu();
	t0 = zc_now();
	ret = use_recv ? sink_recv(&s) : sink_zc(&s, &ring, &zc);
	if (!ret && s.out >= 0)
		ret = stage_flush(&s, 1);
	if (!ret && s.out >= 0 && ftruncate(s.out, s.bytes))
		ret = -errno;
	secs = zc_now() - t0;
	cpu = zc_cpu() - cpu0;
	close(s.fd);
	if (ret) {
		fprintf(stderr, "zcrx-sink: after %llu bytes: %s\n",
			(unsigned long long)s.bytes, strerror(-ret));
		rc = 1;
	} else if (s.bad || (expected && s.bytes != expected)) {
		if (!s.bad)
			fprintf(stderr, "zcrx-sink: received %llu bytes, expected %llu\n",
				(unsigned long long)s.bytes, (unsigned long long)expected);
		rc = 1;
	}
	if (!use_recv)
		zc_counters(ring.ring_fd, zc.id, &zc_bytes, &copy_bytes);
	if (s.out >= 0) {
		close(s.out);
		/* before the read-back, which goes around the cache too */
		cached = cached_pages(path);
		if (!rc && verify_file(&s, path)) {
			fprintf(stderr, "zcrx-sink: %s does not hold the stream\n", path);
			rc = 1;
		}
	}
	printf("received %llu bytes in %.2f s: %.1f MiB/s, CPU %.2f s, pattern %s%s\n",
	       (unsigned long long)s.bytes, secs, secs > 0 ? s.bytes / secs / 1048576 : 0.0,
	       cpu, s.bad ? "WRONG" : "verified",
	       s.out >= 0 && !rc ? ", file verified" : "");
	printf("result: bytes=%llu secs=%.3f cpu=%.3f completions=%llu zc_bytes=%lld "
	       "copy_bytes=%lld direct_bytes=%llu staged_bytes=%llu writes=%llu "
	       "cached_pages=%lld left=%u\n", (unsigned long long)s.bytes, secs, cpu,
	       (unsigned long long)s.completions, zc_bytes, copy_bytes,
	       (unsigned long long)s.direct, (unsigned long long)s.staged,
	       (unsigned long long)s.writes, cached, s.left);
out:
	if (!use_recv) {
		io_uring_zcrx_teardown(&zc);
		io_uring_queue_exit(&ring);
	}
	return rc;
}
