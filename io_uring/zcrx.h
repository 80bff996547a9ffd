/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IOU_ZC_RX_H
#define IOU_ZC_RX_H

#include <linux/if.h>
#include <linux/io_uring_types.h>
#include <linux/socket.h>
#include <net/page_pool/types.h>
#include <net/net_trackers.h>

struct io_zcrx_ifq;

/* Memory shared with user space for the refill ring */
struct io_zcrx_region {
	void			*ptr;
	struct page		**pages;
	unsigned short		nr_pages;
	bool			user_memory;
	/* pages charged to RLIMIT_MEMLOCK and pinned_vm */
	unsigned short		acct_pages;
};

struct io_zcrx_area {
	/* must stay first: net_iov::owner points here */
	struct net_iov_area	nia;
	struct io_zcrx_ifq	*ifq;
	/* references the application holds, one counter per buffer */
	atomic_t		*user_refs;

	u16			area_id;
	/* pinned user memory; NULL for a dmabuf area */
	struct page		**pages;
	unsigned long		nr_pages;
	unsigned long		acct_pages;
	/*
	 * IORING_ZCRX_AREA_DMABUF: the exporter's memory, which the CPU does
	 * not touch; attached and mapped for the queue's device with the
	 * area (under the ifq's dma_lock).
	 */
	struct dma_buf		*dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table		*sgt;

	/* buffers neither in a page pool nor with the application */
	spinlock_t		freelist_lock ____cacheline_aligned_in_smp;
	u32			free_count;
	/* free buffers the page pools leave to the copy fallback */
	u32			copy_reserve;
	u32			*freelist;
};

struct io_zcrx_ifq {
	struct io_zcrx_area	*area;
	struct io_zcrx_region	region;

	/* the refill ring, written by the application */
	spinlock_t		rq_lock ____cacheline_aligned_in_smp;
	struct io_uring		*rq_ring;
	struct io_uring_zcrx_rqe *rqes;
	u32			rq_entries;
	u32			cached_rq_head;
	u64			rq_consumed;
	u64			rq_invalid;

	u32			id;
	u32			if_rxq;
	/* log2 of the buffer size: PAGE_SHIFT unless rx_buf_len asked more */
	u32			niov_shift;
	/* the device as registered, for fdinfo; if_gone once it is released */
	int			ifindex;
	char			ifname[IFNAMSIZ];
	bool			if_gone;
	/* ZCRX_REG_NODEV: no queue, every byte is copied into the area */
	bool			nodev;
	/*
	 * Every holder is closed and the last was a ring (see
	 * @open_holders): its exit work, or a new binding, frees the queue.
	 * An exported file that closes last frees it itself.
	 */
	bool			closing;
	/* the queue's netdev; NULL once the queue is released (rtnl) */
	struct net_device	*netdev;
	netdevice_tracker	netdev_tracker;
	/*
	 * The device the area is DMA-mapped for, from the first page pool
	 * of the queue until the queue or the device goes.
	 */
	struct device		*dev;
	/* serialises mapping and unmapping the area, and @dev */
	struct mutex		dma_lock;

	/* one per holder, one for every page pool using the provider */
	refcount_t		refs;
	/*
	 * Holders: the rings that have the ifq in their table and the files
	 * ZCRX_CTRL_EXPORT made for it.  The last one releases the queue
	 * and takes back the buffers the application still holds.
	 */
	refcount_t		holders;
	/*
	 * Holders not closed yet: rings whose file is still open, exported
	 * files not released.  The one that closes last lets the queue go
	 * at once, before the rings' exit work.
	 */
	atomic_t		open_holders;
	struct user_struct	*user;
	struct mm_struct	*mm_account;

	/*
	 * Events (ZCRX_REG event_desc): posted to @ev_ctx, the ring that
	 * registered the ifq, until it closes; @ev_lock keeps @ev_ctx valid
	 * for the event's poster.  A type fires once per arming: its bit in
	 * @ev_armed is cleared by whoever posts it.
	 */
	spinlock_t		ev_lock;
	struct io_ring_ctx	*ev_ctx;
	u64			ev_user_data;
	u32			ev_mask;
	unsigned long		ev_armed;
	/* ZCRX_EVENT_DESC_FLAG_STATS: inside the refill region */
	struct zcrx_stats	*stats;

	/* buffers the application holds a reference to */
	atomic_t		user_bufs;
	/* rings of several threads may receive at once; read by fdinfo */
	atomic64_t		zc_bytes;
	atomic64_t		copy_bytes;
	atomic64_t		copy_count;
};

#if defined(CONFIG_IO_URING_ZCRX)
int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
			 struct io_uring_zcrx_ifq_reg __user *arg);
int io_zcrx_ctrl(struct io_ring_ctx *ctx, void __user *arg,
		 unsigned int nr_args);
void io_zcrx_ring_closing(struct io_ring_ctx *ctx);
void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx);
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx);
int io_zcrx_recv(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
		 struct socket *sock, unsigned int flags,
		 unsigned int issue_flags, unsigned int *len);
void *io_zcrx_region_ptr(struct io_ring_ctx *ctx, unsigned long offset);
int io_zcrx_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma,
		 unsigned long offset);
void io_zcrx_show_fdinfo(struct seq_file *m, struct io_ring_ctx *ctx);
#else
static inline int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
				       struct io_uring_zcrx_ifq_reg __user *arg)
{
	return -EOPNOTSUPP;
}

static inline int io_zcrx_ctrl(struct io_ring_ctx *ctx, void __user *arg,
			       unsigned int nr_args)
{
	return -EOPNOTSUPP;
}

static inline void io_zcrx_ring_closing(struct io_ring_ctx *ctx)
{
}

static inline void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx)
{
}

static inline void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
}

static inline int io_zcrx_recv(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
			       struct socket *sock, unsigned int flags,
			       unsigned int issue_flags, unsigned int *len)
{
	return -EOPNOTSUPP;
}

static inline void *io_zcrx_region_ptr(struct io_ring_ctx *ctx,
				       unsigned long offset)
{
	return ERR_PTR(-EINVAL);
}

static inline int io_zcrx_mmap(struct io_ring_ctx *ctx,
			       struct vm_area_struct *vma,
			       unsigned long offset)
{
	return -EINVAL;
}

static inline void io_zcrx_show_fdinfo(struct seq_file *m,
				       struct io_ring_ctx *ctx)
{
}
#endif

int io_recvzc(struct io_kiocb *req, unsigned int issue_flags);
int io_recvzc_prep(struct io_kiocb *req, const struct io_uring_sqe *sqe);

#endif
