/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * What the examples that receive on one NIC queue with a ring of their
 * own share: setting the ring and the context up.
 */
#ifndef ZC_EXAMPLES_RING_H
#define ZC_EXAMPLES_RING_H

#include <net/if.h>

#include <liburing-zc.h>

#include "common.h"

/*
 * A ring of @sq_entries (completions for many frames per wake-up) in
 * @ring and a zero-copy receive context for queue @queue of @ifname in
 * @zc, with the rest of @zp as given.  Returns 0, or the exit status
 * after saying why on stderr as @prog: 3 on a kernel without zero-copy
 * receive, 1 otherwise.
 */
static inline int zc_ring_setup(const char *prog, const char *ifname,
				unsigned int queue, unsigned int sq_entries,
				struct io_uring_zcrx_params *zp,
				struct io_uring *ring, struct io_uring_zcrx *zc)
{
	struct io_uring_params rp;
	int ret;

	zp->if_idx = if_nametoindex(ifname);
	zp->if_rxq = queue;
	if (!zp->if_idx) {
		fprintf(stderr, "%s: %s: no such interface\n", prog, ifname);
		return 1;
	}
	memset(&rp, 0, sizeof(rp));
	rp.flags = IORING_SETUP_CQSIZE;
	rp.cq_entries = 4096;
	ret = io_uring_zcrx_queue_init_params(sq_entries, ring, &rp);
	if (!ret) {
		ret = io_uring_zcrx_setup(ring, zc, zp);
		if (ret)
			io_uring_queue_exit(ring);
	}
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "%s: this kernel lacks io_uring zero-copy receive\n", prog);
		return 3;
	}
	if (ret) {
		fprintf(stderr, "%s: zero-copy receive set-up: %s\n", prog, strerror(-ret));
		return 1;
	}
	printf("zero-copy receive: %s queue %u, area %llu KiB in %u-byte buffers\n",
	       ifname, queue, (unsigned long long)(zc->area_size >> 10), zc->buf_len);
	return 0;
}

/* a piece of received data that waits to go on: a helper's handle */
struct zc_piece {
	int	buf;		/* of io_uring_zcrx_fwd_hold() */
	uint32_t len;
	uint64_t off;		/* in the stream */
};

/*
 * A FIFO of pieces that grows as needed: how many completions a queue
 * holds at once depends on the NIC (back to back in large buffers, they
 * can be many more than the area has buffers).
 */
struct zc_fifo {
	struct zc_piece *v;
	unsigned int head, tail, cap;	/* cap: 0 or a power of two */
};

static inline int zc_fifo_empty(const struct zc_fifo *q)
{
	return q->head == q->tail;
}

static inline struct zc_piece *zc_fifo_first(struct zc_fifo *q)
{
	return &q->v[q->head & (q->cap - 1)];
}

static inline struct zc_piece zc_fifo_pop(struct zc_fifo *q)
{
	return q->v[q->head++ & (q->cap - 1)];
}

/* 0, or -ENOMEM and nothing queued */
static inline int zc_fifo_push(struct zc_fifo *q, struct zc_piece p)
{
	if (q->tail - q->head == q->cap) {
		unsigned int cap = q->cap ? q->cap * 2 : 1024, n = 0;
		struct zc_piece *v;

		if (cap > (1U << 28))
			return -ENOMEM;
		v = malloc(cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		while (!zc_fifo_empty(q))
			v[n++] = zc_fifo_pop(q);
		free(q->v);
		q->v = v;
		q->cap = cap;
		q->head = 0;
		q->tail = n;
	}
	q->v[q->tail++ & (q->cap - 1)] = p;
	return 0;
}

#endif /* ZC_EXAMPLES_RING_H */
