/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * A zero-copy receiver written only against the names mainline liburing
 * (2.10 and later) gives applications: it includes <liburing.h> and
 * nothing else of ours, and is built with include/mainline first on the
 * include path, as "pkg-config --cflags liburing-zc-mainline" puts it.
 *
 *   mainline-recv IFNAME QUEUE PORT EXPECTED_BYTES
 *
 * Prints "result: bytes=N" and exits 0 when exactly EXPECTED_BYTES of the
 * examples' pattern arrived.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing.h>

#include "../../examples/common.h"

#define AREA_SIZE	(8 << 20)
#define RQ_ENTRIES	2048

static int die(const char *what, int err)
{
	fprintf(stderr, "mainline-recv: %s: %s\n", what, strerror(err));
	exit(1);
}

static void arm(struct io_uring *ring, int fd, unsigned int zcrx_id)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, 0, 0);
	sqe->ioprio |= IORING_RECV_MULTISHOT;
	sqe->zcrx_ifq_idx = zcrx_id;
}

int main(int argc, char **argv)
{
	struct io_uring_zcrx_area_reg area_reg;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	struct io_uring_zcrx_rq rq_ring;
	struct io_uring_params p;
	struct sockaddr_in addr;
	struct zcrx_ctrl ctrl;
	struct io_uring ring;
	unsigned long long expected, bytes = 0;
	uint64_t seed;
	size_t page = sysconf(_SC_PAGESIZE), rq_size;
	void *area, *rq_mem;
	int lfd, fd, ret, done = 0;

	if (argc != 5)
		return fprintf(stderr, "usage: mainline-recv IFNAME QUEUE PORT BYTES\n"), 2;
	expected = strtoull(argv[4], NULL, 0);

	memset(&p, 0, sizeof(p));
	/* room for the completions of many frames per wake-up */
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32 | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	ret = io_uring_queue_init_params(64, &ring, &p);
	if (ret)
		die("io_uring_queue_init_params", -ret);

	area = mmap(NULL, AREA_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rq_size = (page + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe) +
		   page - 1) & ~(page - 1);
	rq_mem = mmap(NULL, rq_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || rq_mem == MAP_FAILED)
		die("mmap", errno);

	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (__u64)(unsigned long)rq_mem;
	rd.size = rq_size;
	rd.flags = IORING_MEM_REGION_TYPE_USER;

	memset(&area_reg, 0, sizeof(area_reg));
	area_reg.addr = (__u64)(unsigned long)area;
	area_reg.len = AREA_SIZE;

	memset(&reg, 0, sizeof(reg));
	reg.if_idx = if_nametoindex(argv[1]);
	reg.if_rxq = atoi(argv[2]);
	reg.rq_entries = RQ_ENTRIES;
	reg.area_ptr = (__u64)(unsigned long)&area_reg;
	reg.region_ptr = (__u64)(unsigned long)&rd;
	ret = io_uring_register_ifq(&ring, &reg);
	if (ret)
		die("io_uring_register_ifq", -ret);

	rq_ring.khead = (unsigned int *)((char *)rq_mem + reg.offsets.head);
	rq_ring.ktail = (unsigned int *)((char *)rq_mem + reg.offsets.tail);
	rq_ring.rqes = (struct io_uring_zcrx_rqe *)((char *)rq_mem + reg.offsets.rqes);
	rq_ring.rq_tail = 0;
	rq_ring.ring_entries = reg.rq_entries;
	rq_ring.ring_ptr = rq_mem;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(atoi(argv[3]));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 1))
		die("listen", errno);
	printf("listening\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept", errno);
	seed = zc_seed(fd);

	arm(&ring, fd, reg.zcrx_id);
	while (!done) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			die("io_uring_submit_and_wait", -ret);
		io_uring_for_each_cqe(&ring, head, cqe) {
			struct io_uring_zcrx_cqe *rcqe = (struct io_uring_zcrx_cqe *)(cqe + 1);
			__u64 mask = (1ULL << IORING_ZCRX_AREA_SHIFT) - 1;
			struct io_uring_zcrx_rqe *rqe;
			unsigned char *data;

			seen++;
			/* a full CQ ends the request: ask again */
			if (cqe->res == -ENOSPC) {
				arm(&ring, fd, reg.zcrx_id);
				continue;
			}
			if (cqe->res < 0)
				die("recv_zc", -cqe->res);
			if (cqe->res == 0 || !(cqe->flags & IORING_CQE_F_MORE)) {
				done = 1;
				if (!cqe->res)
					continue;
			}
			data = (unsigned char *)area + (rcqe->off & mask);
			if (zc_check(data, cqe->res, seed, bytes) != (size_t)cqe->res)
				die("pattern", EILSEQ);
			bytes += cqe->res;

			if (rq_ring.rq_tail - io_uring_smp_load_acquire(rq_ring.khead) ==
			    rq_ring.ring_entries)
				die("refill ring full", ENOSPC);
			rqe = &rq_ring.rqes[rq_ring.rq_tail & (rq_ring.ring_entries - 1)];
			rqe->off = (rcqe->off & ~IORING_ZCRX_AREA_MASK) | area_reg.rq_area_token;
			rqe->len = cqe->res;
			rqe->__pad = 0;
			io_uring_smp_store_release(rq_ring.ktail, ++rq_ring.rq_tail);
		}
		io_uring_cq_advance(&ring, seen);
	}

	/* hand everything back at once before going */
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = reg.zcrx_id;
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;
	ret = io_uring_register_zcrx_ctrl(&ring, &ctrl);
	if (ret)
		die("io_uring_register_zcrx_ctrl", -ret);

	printf("result: bytes=%llu\n", bytes);
	close(fd);
	close(lfd);
	io_uring_queue_exit(&ring);
	return bytes == expected ? 0 : 1;
}
