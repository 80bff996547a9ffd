/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * liburing-zc: io_uring zero-copy receive on top of the system's liburing.
 *
 * Three layers:
 *  - the names mainline liburing uses (io_uring_register_ifq(),
 *    struct io_uring_zcrx_rq, the uapi structs), defined here only where
 *    the system's liburing lacks them;
 *  - a context (struct io_uring_zcrx) that owns an area, a refill ring and
 *    a registered interface queue, with helpers from a completion to its
 *    data and back to the refill ring;
 *  - a NIC helper (liburing-zc/nic.h) and a synchronous, readv-like
 *    receive for programs not built around a ring.
 *
 * Every function returns 0 (or a count, where documented) or a negative
 * errno; nothing prints or exits.
 */
#ifndef LIBURING_ZC_H
#define LIBURING_ZC_H

#include <errno.h>
#include <stddef.h>
#include <sys/uio.h>

#include <liburing.h>
#include <liburing-zc/compat.h>
#include <liburing-zc/uapi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBURING_ZC_VERSION_MAJOR	1
#define LIBURING_ZC_VERSION_MINOR	0

/* The mainline-compatible layer. */

#if !LIBURING_ZC_HAVE_ZCRX_RQ
/* the application's side of a refill ring, as mainline liburing has it */
struct io_uring_zcrx_rq {
	__u32 *khead;
	__u32 *ktail;
	__u32 rq_tail;
	unsigned ring_entries;

	struct io_uring_zcrx_rqe *rqes;
	void *ring_ptr;
};
#endif

#if !LIBURING_ZC_HAVE_FN_REGISTER_IFQ
int io_uring_register_ifq(struct io_uring *ring,
			  struct io_uring_zcrx_ifq_reg *reg);
#endif
#if !LIBURING_ZC_HAVE_FN_REGISTER_ZCRX_CTRL
int io_uring_register_zcrx_ctrl(struct io_uring *ring, struct zcrx_ctrl *ctrl);
#endif
#if !LIBURING_ZC_HAVE_FN_REGISTER_QUERY
int io_uring_register_query(struct io_uring_query_hdr *query);
#endif

/* Rings for zero-copy receive. */

/* the set-up flags every zero-copy receive ring needs */
#define IO_URING_ZCRX_SETUP_FLAGS \
	(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | \
	 IORING_SETUP_CQE32)

int io_uring_zcrx_queue_init(unsigned int entries, struct io_uring *ring,
			     unsigned int flags);
int io_uring_zcrx_queue_init_params(unsigned int entries,
				    struct io_uring *ring,
				    struct io_uring_params *p);
int io_uring_zcrx_probe(struct io_uring *ring);

/* The context. */

enum io_uring_zcrx_area_type {
	IO_URING_ZCRX_AREA_PAGES	= 0,	/* anonymous memory */
	IO_URING_ZCRX_AREA_HUGE		= 1,	/* MAP_HUGETLB memory */
	IO_URING_ZCRX_AREA_USER		= 2,	/* the caller's area_addr */
	IO_URING_ZCRX_AREA_DMABUF	= 3,	/* the caller's dmabuf_fd */
};

enum io_uring_zcrx_rq_type {
	IO_URING_ZCRX_RQ_USER		= 0,	/* refill ring in our memory */
	IO_URING_ZCRX_RQ_KERNEL		= 1,	/* kernel memory, mmap()ed */
};

/* io_uring_zcrx_params.flags */
enum io_uring_zcrx_params_flags {
	/* no device: every byte is copied into the area (ZCRX_REG_NODEV) */
	IO_URING_ZCRX_NODEV		= 1U << 0,
	/*
	 * rx_buf_len is a wish: when the device cannot fill buffers that
	 * large (-EOPNOTSUPP, -ERANGE), register page-sized ones instead;
	 * io_uring_zcrx.buf_len says which
	 */
	IO_URING_ZCRX_BUF_FALLBACK	= 1U << 1,
};

/* what io_uring_zcrx_setup() builds; zero what you do not set */
struct io_uring_zcrx_params {
	__u32	if_idx;		/* interface index */
	__u32	if_rxq;		/* its rx queue */
	__u32	area_type;	/* enum io_uring_zcrx_area_type */
	__u32	rq_type;	/* enum io_uring_zcrx_rq_type */
	__u64	area_size;	/* bytes; 0: IO_URING_ZCRX_DEFAULT_AREA */
	void	*area_addr;	/* IO_URING_ZCRX_AREA_USER only */
	__u32	rq_entries;	/* rounded up to a power of two; 0: one
				 * per buffer of the area, at most 32768 */
	__u32	rx_buf_len;	/* 0: the page size; else a power of two
				 * the device fills, on contiguous memory */
	__u32	flags;		/* enum io_uring_zcrx_params_flags */
	__u32	__resv1;
	/*
	 * NULL, or the events and statistics to ask for; with
	 * ZCRX_EVENT_DESC_FLAG_STATS and stats_offset 0, the library places
	 * the statistics in the refill region and writes the offset back.
	 */
	struct zcrx_event_desc *event_desc;
	/*
	 * IO_URING_ZCRX_AREA_DMABUF: the dmabuf (any fd >= 0, 0 included);
	 * the caller keeps it.  Every other area type: must be 0.
	 */
	__s32	dmabuf_fd;
	__u32	__resv[1];
};

#define IO_URING_ZCRX_DEFAULT_AREA	(16ULL << 20)

/* a registered interface queue with its area and refill ring */
struct io_uring_zcrx {
	struct io_uring_zcrx_rq rq;	/* the refill ring */
	__u32	id;			/* zcrx_id, for io_uring_prep_recv_zc() */
	__u32	buf_len;		/* bytes per area buffer */
	char	*area;			/* the area's first byte */
	__u64	area_size;		/* its length */
	__u64	area_token;		/* rq_area_token */

	/* the library's own; do not touch */
	struct io_uring *ring;
	void	*region;
	size_t	region_size;
	__u32	priv_flags;
	__u32	__resv;
};

int io_uring_zcrx_setup(struct io_uring *ring, struct io_uring_zcrx *zc,
			const struct io_uring_zcrx_params *p);
int io_uring_zcrx_teardown(struct io_uring_zcrx *zc);

/* a dmabuf over a sealed memfd, for IO_URING_ZCRX_AREA_DMABUF */
int io_uring_zcrx_udmabuf_create(size_t size, int *memfd);

/* Sharing a queue between rings, events and statistics. */

int io_uring_zcrx_export(struct io_uring_zcrx *zc);
int io_uring_zcrx_import(struct io_uring *ring, struct io_uring_zcrx *zc,
			 const struct io_uring_zcrx *src, int fd);
int io_uring_zcrx_arm_event(struct io_uring_zcrx *zc, __u32 event_type);
struct zcrx_stats *io_uring_zcrx_stats(const struct io_uring_zcrx *zc,
				       __u64 stats_offset);

/* Receiving. */

/*
 * A multishot zero-copy receive of at most @len bytes (0: until EOF) from
 * @sockfd into the area of the context @zcrx_id; @flags may hold
 * IORING_RECVSEND_POLL_FIRST.
 */
static inline void io_uring_prep_recv_zc(struct io_uring_sqe *sqe, int sockfd,
					 __u32 zcrx_id, unsigned int len,
					 unsigned int flags)
{
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, sockfd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT | flags;
	sqe->zcrx_ifq_idx = zcrx_id;
}

/* the zero-copy half of a 32-byte completion */
static inline struct io_uring_zcrx_cqe *
io_uring_zcrx_cqe(const struct io_uring_cqe *cqe)
{
	return (struct io_uring_zcrx_cqe *)(cqe + 1);
}

/*
 * The data of a RECV_ZC completion: 0 and @iov pointing into the area, or
 * -EINVAL when @cqe carries no data (an error, EOF) or names a place
 * outside the area.
 */
static inline int io_uring_zcrx_get_buf(const struct io_uring_zcrx *zc,
					const struct io_uring_cqe *cqe,
					struct iovec *iov)
{
	__u64 off = io_uring_zcrx_cqe(cqe)->off;
	__u64 pos = off & ~IORING_ZCRX_AREA_MASK;

	if (cqe->res <= 0 || (off & IORING_ZCRX_AREA_MASK) != zc->area_token ||
	    pos >= zc->area_size || (__u64)cqe->res > zc->area_size - pos)
		return -EINVAL;
	iov->iov_base = zc->area + pos;
	iov->iov_len = cqe->res;
	return 0;
}

/* The refill ring. */

/* free entries in the refill ring, as far as the kernel's head tells */
static inline unsigned int io_uring_zcrx_rq_space(const struct io_uring_zcrx *zc)
{
	unsigned int head = io_uring_smp_load_acquire(zc->rq.khead);
	unsigned int used = zc->rq.rq_tail - head;

	/* a head that makes no sense leaves no room rather than a lot */
	return used > zc->rq.ring_entries ? 0 : zc->rq.ring_entries - used;
}

int __io_uring_zcrx_rq_wait_space(struct io_uring_zcrx *zc, unsigned int nr);

/* queue one entry; the caller has checked the room */
static inline void __io_uring_zcrx_rq_put(struct io_uring_zcrx *zc,
					  __u64 pos, __u32 len)
{
	struct io_uring_zcrx_rqe *rqe;

	rqe = &zc->rq.rqes[zc->rq.rq_tail & (zc->rq.ring_entries - 1)];
	rqe->off = pos | zc->area_token;
	rqe->len = len;
	rqe->__pad = 0;
	zc->rq.rq_tail++;
}

static inline void __io_uring_zcrx_rq_commit(struct io_uring_zcrx *zc)
{
	io_uring_smp_store_release(zc->rq.ktail, zc->rq.rq_tail);
}

/*
 * Hand the buffer of one completion back to the kernel.  0; -EINVAL when
 * @cqe carries no data of this context; -ENOSPC when the refill ring stays
 * full even after asking the kernel to consume it (or that request's
 * -errno): nothing is ever dropped, the caller still owns the buffer.
 */
static inline int io_uring_zcrx_return(struct io_uring_zcrx *zc,
				       const struct io_uring_cqe *cqe)
{
	struct iovec iov;
	int ret;

	if (io_uring_zcrx_get_buf(zc, cqe, &iov))
		return -EINVAL;
	if (!io_uring_zcrx_rq_space(zc)) {
		ret = __io_uring_zcrx_rq_wait_space(zc, 1);
		if (ret)
			return ret;
	}
	__io_uring_zcrx_rq_put(zc, io_uring_zcrx_cqe(cqe)->off &
			       ~IORING_ZCRX_AREA_MASK, cqe->res);
	__io_uring_zcrx_rq_commit(zc);
	return 0;
}

int io_uring_zcrx_return_batch(struct io_uring_zcrx *zc,
			       struct io_uring_cqe *const *cqes,
			       unsigned int nr);
int io_uring_zcrx_return_iov(struct io_uring_zcrx *zc,
			     const struct iovec *iov, unsigned int nr);
int io_uring_zcrx_flush_rq(struct io_uring_zcrx *zc);

/*
 * Forwarding: received data as the source of a zero-copy send or of a
 * write, its buffers going back to the refill ring only when the
 * operations that read them are complete (a send's notification, a
 * write's completion).
 */

struct io_uring_zcrx_fwd;

/* the most buffers one send or write may take */
#define IO_URING_ZCRX_FWD_MAX_BUFS	64

/* user_data of the helper's requests: this in the top 32 bits by default */
#define IO_URING_ZCRX_FWD_TAG		0x7a637266ULL

/* what io_uring_zcrx_fwd_complete() tells about a completion */
struct io_uring_zcrx_fwd_cqe {
	__u64	cookie;		/* the caller's, from the prep call */
	__s32	res;		/* with _RESULT: the send's or write's result */
	__u32	flags;		/* IO_URING_ZCRX_FWD_* */
};

#define IO_URING_ZCRX_FWD_SEND		(1U << 0)	/* of a send */
#define IO_URING_ZCRX_FWD_WRITE		(1U << 1)	/* of a write */
#define IO_URING_ZCRX_FWD_RESULT	(1U << 2)	/* res is the result */
#define IO_URING_ZCRX_FWD_DONE		(1U << 3)	/* buffers released */
#define IO_URING_ZCRX_FWD_COPIED	(1U << 4)	/* the send was copied */

int io_uring_zcrx_fwd_init(struct io_uring_zcrx_fwd **fp,
			   struct io_uring_zcrx *zc, unsigned int entries,
			   __u64 tag);
int io_uring_zcrx_fwd_free(struct io_uring_zcrx_fwd *f);
int io_uring_zcrx_fwd_hold(struct io_uring_zcrx_fwd *f,
			   const struct io_uring_cqe *cqe);
int io_uring_zcrx_fwd_buf(const struct io_uring_zcrx_fwd *f, int buf,
			  struct iovec *iov);
int io_uring_zcrx_fwd_put(struct io_uring_zcrx_fwd *f, int buf);
int io_uring_zcrx_prep_sendmsg_zc(struct io_uring_zcrx_fwd *f,
				  struct io_uring_sqe *sqe, int sockfd,
				  const int *bufs, unsigned int nr,
				  int msg_flags, __u64 cookie);
int io_uring_zcrx_prep_writev(struct io_uring_zcrx_fwd *f,
			      struct io_uring_sqe *sqe, int fd,
			      const int *bufs, unsigned int nr,
			      __u64 offset, __u64 cookie);
int io_uring_zcrx_prep_send_zc_cqe(struct io_uring_zcrx_fwd *f,
				   struct io_uring_sqe *sqe, int sockfd,
				   const struct io_uring_cqe *cqe,
				   int msg_flags, __u64 cookie);
int io_uring_zcrx_fwd_complete(struct io_uring_zcrx_fwd *f,
			       const struct io_uring_cqe *cqe,
			       struct io_uring_zcrx_fwd_cqe *out);
unsigned int io_uring_zcrx_fwd_inflight(const struct io_uring_zcrx_fwd *f);
unsigned int io_uring_zcrx_fwd_held(const struct io_uring_zcrx_fwd *f);
int io_uring_zcrx_fwd_flush(struct io_uring_zcrx_fwd *f);

/* The synchronous layer. */

struct io_uring_zcrx_sync;

int io_uring_zcrx_sync_open(struct io_uring_zcrx_sync **sp,
			    const struct io_uring_zcrx_params *p);
int io_uring_zcrx_readv(struct io_uring_zcrx_sync *s, int sockfd,
			struct iovec *iov, int iovcnt);
int io_uring_zcrx_release(struct io_uring_zcrx_sync *s,
			  const struct iovec *iov, int iovcnt);
struct io_uring_zcrx *io_uring_zcrx_sync_ctx(struct io_uring_zcrx_sync *s);
void io_uring_zcrx_sync_close(struct io_uring_zcrx_sync *s);

#ifdef __cplusplus
}
#endif

#include <liburing-zc/nic.h>

#endif /* LIBURING_ZC_H */
