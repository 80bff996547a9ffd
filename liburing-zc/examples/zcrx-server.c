/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-server: accept one TCP connection and receive it with io_uring
 * zero-copy receive through liburing-zc, checking every byte against the
 * pattern zcrx-send sends and printing the throughput each second.
 *
 *   zcrx-server -i IFNAME -q QUEUE -p PORT [-s EXPECTED] [options]
 *
 *   -6          listen on IPv6 (default IPv4)
 *   -n          prepare the NIC with the NIC helper (split on, flow
 *               steered to QUEUE) and undo it at exit; on a NIC without
 *               ntuple rules, steer the connection through the RSS table
 *               once it is accepted (io_uring_zcrx_nic_setup_conn)
 *   -C          as -n, but always for the accepted connection
 *   -a SIZE     area size (default 16M)
 *   -H          area in huge pages
 *   -b BUFLEN   buffers of BUFLEN bytes (a power of two; with -H, up to
 *               what the NIC fills), page-sized ones if the NIC cannot
 *   -D          area in a dmabuf made with udmabuf (of the -a size)
 *   -k          refill ring in kernel memory (default: ours)
 *   -y          the synchronous layer (io_uring_zcrx_readv) instead of a
 *               ring loop
 *   -N          no pattern check
 *
 * Exits 0 when the stream ended after exactly EXPECTED bytes (any length
 * without -s) that all matched, 3 on a kernel without zero-copy receive,
 * 1 on any other failure.  The last line is a machine-readable summary:
 *   result: bytes=B secs=S cpu=C completions=N zc_bytes=Z copy_bytes=Y
 *           buf_len=L max_len=M
 * (M: the largest completion).
 */
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>

#include <liburing-zc.h>

#include "common.h"

#define BATCH		64

struct server {
	const char *ifname;
	unsigned int queue;
	unsigned int port;
	int family;
	uint64_t expected;
	int use_nic;
	int sync;
	int verify;
	struct io_uring_zcrx_params zp;

	/* progress */
	uint64_t seed;		/* of the pattern on the connection */
	uint64_t bytes;
	uint64_t completions;
	uint64_t max_len;
	uint64_t last_bytes;
	double t0, last;
	int bad;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: zcrx-server -i IFNAME -q QUEUE -p PORT [-s EXPECTED] "
		"[-6] [-n|-C] [-a SIZE] [-H] [-b BUFLEN] [-D] [-k] [-y] [-N]\n");
	exit(2);
}

static int fail(const char *what, int err)
{
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "zcrx-server: this kernel lacks io_uring zero-copy receive\n");
		return 3;
	}
	fprintf(stderr, "zcrx-server: %s: %s\n", what, strerror(-err));
	return 1;
}

/* listen on the server's port and take one connection: its fd or -errno */
static int accept_one(const struct server *sv)
{
	int lfd, fd;

	lfd = zc_listen(sv->family, sv->port);
	if (lfd < 0)
		return lfd;
	printf("listening on port %u\n", sv->port);
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fd = -errno;
	close(lfd);
	return fd;
}

/* one piece of the stream arrived at @p */
static void take(struct server *sv, const void *p, size_t len)
{
	double now;

	if (sv->verify && !sv->bad) {
		size_t at = zc_check(p, len, sv->seed, sv->bytes);

		if (at != len) {
			fprintf(stderr, "zcrx-server: wrong byte at stream offset %llu\n",
				(unsigned long long)(sv->bytes + at));
			sv->bad = 1;
		}
	}
	sv->bytes += len;
	if (len > sv->max_len)
		sv->max_len = len;
	/* a clock read costs more than the rest: look every 64 pieces */
	if (sv->completions++ & 63)
		return;
	now = zc_now();
	if (now - sv->last >= 1.0) {
		printf("%6.1f s  %8.1f MiB/s  %llu bytes\n", now - sv->t0,
		       (sv->bytes - sv->last_bytes) / (now - sv->last) / 1048576,
		       (unsigned long long)sv->bytes);
		fflush(stdout);
		sv->last = now;
		sv->last_bytes = sv->bytes;
	}
}

/* receive with a ring of our own: completions in batches, buffers back in batches */
static int run_ring(struct server *sv, struct io_uring *ring,
		    struct io_uring_zcrx *zc, int fd)
{
	struct io_uring_cqe *done[BATCH];
	struct io_uring_sqe *sqe;
	int ret, end = 0;

	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv_zc(sqe, fd, zc->id, 0, 0);
	while (!end && !stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, nr = 0, seen = 0;

		ret = io_uring_submit_and_wait(ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return ret;
		io_uring_for_each_cqe(ring, head, cqe) {
			struct iovec iov;

			seen++;
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				/* 0: end of stream; a full CQ ends it too: ask again */
				if (cqe->res == -ENOSPC) {
					sqe = io_uring_get_sqe(ring);
					io_uring_prep_recv_zc(sqe, fd, zc->id, 0, 0);
				} else if (cqe->res <= 0) {
					end = cqe->res ? cqe->res : 1;
				}
			}
			if (cqe->res <= 0)
				continue;
			ret = io_uring_zcrx_get_buf(zc, cqe, &iov);
			if (ret)
				return ret;
			take(sv, iov.iov_base, iov.iov_len);
			done[nr++] = cqe;
			if (nr == BATCH) {
				ret = io_uring_zcrx_return_batch(zc, done, nr);
				if (ret)
					return ret;
				nr = 0;
			}
		}
		ret = io_uring_zcrx_return_batch(zc, done, nr);
		if (ret)
			return ret;
		io_uring_cq_advance(ring, seen);
	}
	return end < 0 ? end : 0;
}

/* the same with the synchronous layer */
static int run_sync(struct server *sv, struct io_uring_zcrx_sync *s, int fd)
{
	struct iovec iov[BATCH];
	int i, n, ret;

	while (!stop) {
		n = io_uring_zcrx_readv(s, fd, iov, BATCH);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return n;
		for (i = 0; i < n; i++)
			take(sv, iov[i].iov_base, iov[i].iov_len);
		ret = io_uring_zcrx_release(s, iov, n);
		if (ret)
			return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct io_uring_zcrx_nic *nic = NULL;
	struct io_uring_zcrx_sync *s = NULL;
	struct io_uring_zcrx zc, *zcp;
	struct server sv;
	struct io_uring ring;
	long long zc_bytes, copy_bytes;
	int opt, fd = -1, ret, rc = 0, dmabuf = 0;
	double cpu0, secs;

	memset(&sv, 0, sizeof(sv));
	sv.family = AF_INET;
	sv.verify = 1;
	while ((opt = getopt(argc, argv, "i:q:p:s:6nCa:Hb:DkyN")) != -1) {
		switch (opt) {
		case 'i': sv.ifname = optarg; break;
		case 'q': sv.queue = atoi(optarg); break;
		case 'p': sv.port = atoi(optarg); break;
		case 's': sv.expected = zc_parse_size(optarg); break;
		case '6': sv.family = AF_INET6; break;
		case 'n': sv.use_nic = 1; break;
		case 'C': sv.use_nic = 2; break;
		case 'a': sv.zp.area_size = zc_parse_size(optarg); break;
		case 'H': sv.zp.area_type = IO_URING_ZCRX_AREA_HUGE; break;
		case 'b':
			sv.zp.rx_buf_len = (__u32)zc_parse_size(optarg);
			sv.zp.flags |= IO_URING_ZCRX_BUF_FALLBACK;
			break;
		case 'D': dmabuf = 1; break;
		case 'k': sv.zp.rq_type = IO_URING_ZCRX_RQ_KERNEL; break;
		case 'y': sv.sync = 1; break;
		case 'N': sv.verify = 0; break;
		default: usage();
		}
	}
	if (!sv.ifname || !sv.port || sv.port > 65535)
		usage();
	sv.zp.if_idx = if_nametoindex(sv.ifname);
	sv.zp.if_rxq = sv.queue;
	if (!sv.zp.if_idx)
		return fail(sv.ifname, -ENODEV);

	if (dmabuf) {
		/* the dmabuf's size is the area's; the library maps it */
		ret = io_uring_zcrx_udmabuf_create(sv.zp.area_size ? sv.zp.area_size :
						   IO_URING_ZCRX_DEFAULT_AREA, NULL);
		if (ret < 0)
			return fail("udmabuf", ret);
		sv.zp.area_type = IO_URING_ZCRX_AREA_DMABUF;
		sv.zp.dmabuf_fd = ret;
		sv.zp.area_size = 0;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (sv.use_nic) {
		struct io_uring_zcrx_flow flow = {
			.family = sv.family,
			.dst_port = (__u16)sv.port,
		};

		ret = -EOPNOTSUPP;
		if (sv.use_nic == 1)
			ret = io_uring_zcrx_nic_setup(&nic, sv.ifname, sv.queue, &flow,
						      IO_URING_ZCRX_NIC_ATEXIT);
		if (ret == -EOPNOTSUPP) {
			/*
			 * No ntuple rules: once the connection is there, the
			 * helper steers it through the RSS table.  What
			 * arrives before, on another queue, is copied.
			 */
			if (sv.use_nic == 1)
				printf("NIC: %s cannot take a rule for the port; steering "
				       "the connection once it is accepted\n", sv.ifname);
			fd = accept_one(&sv);
			if (fd < 0)
				return fail("accept", fd);
			ret = io_uring_zcrx_nic_setup_conn(&nic, sv.ifname, sv.queue, fd,
							   IO_URING_ZCRX_NIC_ATEXIT);
		}
		if (ret) {
			fprintf(stderr, "zcrx-server: NIC set-up: %s\n", strerror(-ret));
			return 1;
		}
		printf("NIC: %s prepared for port %u on queue %u (changed:%s%s%s)\n",
		       sv.ifname, sv.port, sv.queue,
		       io_uring_zcrx_nic_changes(nic) & IO_URING_ZCRX_NIC_CHANGED_HDS ? " split" : "",
		       io_uring_zcrx_nic_changes(nic) & IO_URING_ZCRX_NIC_CHANGED_NTUPLE ? " ntuple" : "",
		       io_uring_zcrx_nic_changes(nic) & IO_URING_ZCRX_NIC_CHANGED_RSS ? " rss" : "");
	}

	if (sv.sync) {
		ret = io_uring_zcrx_sync_open(&s, &sv.zp);
		zcp = io_uring_zcrx_sync_ctx(s);
	} else {
		struct io_uring_params rp;

		/* room for the completions of many frames per wake-up */
		memset(&rp, 0, sizeof(rp));
		rp.flags = IORING_SETUP_CQSIZE;
		rp.cq_entries = 4096;
		ret = io_uring_zcrx_queue_init_params(64, &ring, &rp);
		if (!ret) {
			ret = io_uring_zcrx_setup(&ring, &zc, &sv.zp);
			if (ret)
				io_uring_queue_exit(&ring);
		}
		zcp = &zc;
	}
	/* the kernel holds the dmabuf now */
	if (dmabuf)
		close(sv.zp.dmabuf_fd);
	if (ret) {
		rc = fail("zero-copy receive set-up", ret);
		goto out_nic;
	}
	printf("zero-copy receive: %s queue %u, zcrx id %u, area %llu KiB in %u-byte buffers, "
	       "%u refill entries\n", sv.ifname, sv.queue, zcp->id,
	       (unsigned long long)(zcp->area_size >> 10), zcp->buf_len,
	       zcp->rq.ring_entries);

	if (fd < 0) {
		fd = accept_one(&sv);
		if (fd < 0) {
			rc = fail("accept", fd);
			goto out;
		}
	}

	sv.seed = zc_seed(fd);
	cpu0 = zc_cpu();
	sv.t0 = sv.last = zc_now();
	ret = sv.sync ? run_sync(&sv, s, fd) : run_ring(&sv, &ring, &zc, fd);
	secs = zc_now() - sv.t0;
	close(fd);
	if (ret) {
		rc = fail("receive", ret);
	} else if (stop) {
		fprintf(stderr, "zcrx-server: interrupted\n");
		rc = 1;
	} else if (sv.bad || (sv.expected && sv.bytes != sv.expected)) {
		if (!sv.bad)
			fprintf(stderr, "zcrx-server: received %llu bytes, expected %llu\n",
				(unsigned long long)sv.bytes,
				(unsigned long long)sv.expected);
		rc = 1;
	}

	zc_counters(zcp->ring->ring_fd, zcp->id, &zc_bytes, &copy_bytes);
	printf("received %llu bytes in %.2f s: %.1f MiB/s, %llu completions, "
	       "CPU %.2f s%s\n", (unsigned long long)sv.bytes, secs,
	       secs > 0 ? sv.bytes / secs / 1048576 : 0.0,
	       (unsigned long long)sv.completions, zc_cpu() - cpu0,
	       sv.verify ? (sv.bad ? ", pattern WRONG" : ", pattern verified") : "");
	printf("result: bytes=%llu secs=%.3f cpu=%.3f completions=%llu "
	       "zc_bytes=%lld copy_bytes=%lld buf_len=%u max_len=%llu\n",
	       (unsigned long long)sv.bytes, secs, zc_cpu() - cpu0,
	       (unsigned long long)sv.completions, zc_bytes, copy_bytes,
	       zcp->buf_len, (unsigned long long)sv.max_len);
out:
	if (sv.sync) {
		io_uring_zcrx_sync_close(s);
	} else {
		io_uring_zcrx_teardown(&zc);
		io_uring_queue_exit(&ring);
	}
out_nic:
	/* after the ring: split can only go off once the queue is free */
	if (nic) {
		ret = io_uring_zcrx_nic_restore(nic);
		if (ret)
			rc = fail("NIC restore (run \"zcrx-nic restore\")", ret);
	}
	return rc;
}
