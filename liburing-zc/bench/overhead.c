/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * What liburing-zc costs per completion, next to hand-written ring code.
 *
 * No kernel is involved: a completion queue of 32-byte RECV_ZC CQEs and a
 * refill ring live in ordinary memory, and a stand-in for the kernel
 * consumes the refill ring every 32 completions.  Each variant turns every
 * completion into a pointer and a length, reads a byte of the data, and
 * hands the buffer back:
 *
 *   hand-written   what mainline liburing's example does: mask the offset,
 *                  write the rqe, store-release the tail, per completion
 *   return         io_uring_zcrx_get_buf() + io_uring_zcrx_return()
 *   return_batch   io_uring_zcrx_get_buf() per completion, then
 *                  io_uring_zcrx_return_batch() per 32 completions
 *
 *   overhead [MILLIONS_OF_COMPLETIONS]
 *
 * Prints ns per completion for each (best of 5 runs) and the ratios to
 * hand-written.  Compare within one run only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liburing-zc.h>

#define NR_CQES		256	/* completions in the fake CQ, reused */
#define RQ_ENTRIES	4096
#define BATCH		32
#define AREA_BUFS	1024
#define PAGE		4096

static struct io_uring_zcrx zc;
static unsigned char cqmem[NR_CQES][32] __attribute__((aligned(64)));
static struct io_uring_cqe *cqes[NR_CQES];
static unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the kernel's side: everything published so far is consumed */
static inline void kernel_consume(void)
{
	io_uring_smp_store_release(zc.rq.khead,
				   io_uring_smp_load_acquire(zc.rq.ktail));
}

static void __attribute__((noinline)) run_hand(unsigned long n)
{
	__u64 mask = (1ULL << IORING_ZCRX_AREA_SHIFT) - 1;
	struct io_uring_zcrx_rq *rq = &zc.rq;
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe = cqes[i % NR_CQES];
		struct io_uring_zcrx_cqe *rcqe = (struct io_uring_zcrx_cqe *)(cqe + 1);
		struct io_uring_zcrx_rqe *rqe;
		unsigned char *data = (unsigned char *)zc.area + (rcqe->off & mask);

		sink += data[0] + cqe->res;
		rqe = &rq->rqes[rq->rq_tail & (rq->ring_entries - 1)];
		rqe->off = (rcqe->off & ~IORING_ZCRX_AREA_MASK) | zc.area_token;
		rqe->len = cqe->res;
		rqe->__pad = 0;
		io_uring_smp_store_release(rq->ktail, ++rq->rq_tail);
		if (i % BATCH == BATCH - 1)
			kernel_consume();
	}
}

static void __attribute__((noinline)) run_return(unsigned long n)
{
	unsigned long i;
	struct iovec iov;

	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe = cqes[i % NR_CQES];

		if (io_uring_zcrx_get_buf(&zc, cqe, &iov) ||
		    io_uring_zcrx_return(&zc, cqe))
			abort();
		sink += ((unsigned char *)iov.iov_base)[0] + iov.iov_len;
		if (i % BATCH == BATCH - 1)
			kernel_consume();
	}
}

static void __attribute__((noinline)) run_batch(unsigned long n)
{
	struct io_uring_cqe *done[BATCH];
	unsigned int nr = 0;
	unsigned long i;
	struct iovec iov;

	for (i = 0; i < n; i++) {
		struct io_uring_cqe *cqe = cqes[i % NR_CQES];

		if (io_uring_zcrx_get_buf(&zc, cqe, &iov))
			abort();
		sink += ((unsigned char *)iov.iov_base)[0] + iov.iov_len;
		done[nr++] = cqe;
		if (nr == BATCH) {
			if (io_uring_zcrx_return_batch(&zc, done, nr))
				abort();
			nr = 0;
			kernel_consume();
		}
	}
}

static double best_ns(void (*fn)(unsigned long), unsigned long n)
{
	double best = 1e30;
	int r;

	for (r = 0; r < 5; r++) {
		double t = now();

		fn(n);
		t = (now() - t) * 1e9 / n;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	unsigned long n = (argc > 1 ? strtoul(argv[1], NULL, 0) : 20) * 1000000UL;
	static struct io_uring fake_ring;
	double hand, one, batch;
	char *region;
	int i;

	region = aligned_alloc(PAGE, PAGE + RQ_ENTRIES * 16);
	zc.area = aligned_alloc(PAGE, (size_t)AREA_BUFS * PAGE);
	if (!region || !zc.area || !n)
		return 1;
	memset(region, 0, PAGE + RQ_ENTRIES * 16);
	memset(zc.area, 1, (size_t)AREA_BUFS * PAGE);
	zc.rq.khead = (__u32 *)region;
	zc.rq.ktail = (__u32 *)(region + 4);
	zc.rq.rqes = (struct io_uring_zcrx_rqe *)(region + 64);
	zc.rq.ring_entries = RQ_ENTRIES;
	zc.area_size = (size_t)AREA_BUFS * PAGE;
	zc.area_token = 0;
	zc.buf_len = PAGE;
	fake_ring.ring_fd = -1;
	zc.ring = &fake_ring;

	for (i = 0; i < NR_CQES; i++) {
		struct io_uring_cqe *cqe = (struct io_uring_cqe *)cqmem[i];

		cqe->res = 1448;
		cqe->flags = IORING_CQE_F_MORE;
		io_uring_zcrx_cqe(cqe)->off = (__u64)((i * 7) % AREA_BUFS) * PAGE;
		cqes[i] = cqe;
	}

	hand = best_ns(run_hand, n);
	one = best_ns(run_return, n);
	batch = best_ns(run_batch, n);
	printf("completions per run  %lu (best of 5 runs)\n", n);
	printf("hand-written         %6.2f ns/completion\n", hand);
	printf("return               %6.2f ns/completion  (%.2fx, %+.2f ns)\n",
	       one, one / hand, one - hand);
	printf("return_batch         %6.2f ns/completion  (%.2fx, %+.2f ns)\n",
	       batch, batch / hand, batch - hand);
	return sink == 42;	/* keep the reads */
}
