// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-copy receive: an rx queue of a header/data-split NIC takes its
 * payload buffers from an area of application memory, and TCP payload that
 * lands there is handed to the application as (offset, length) completions.
 * The application gives buffers back through a refill ring in shared memory.
 *
 * Buffer life cycle:
 *   freelist -> page pool (NIC) -> skb frag -> completion (user reference)
 *   -> refill ring -> page pool again, or the freelist.
 * Payload that did not land in the area is copied into a buffer taken
 * straight from the freelist, which returns there when the user is done.
 * Page pools never take the last few free buffers (the copy reserve), so a
 * copy finds one once the user has returned what it holds.
 */
#include <linux/kernel.h>
#include <linux/anon_inodes.h>
#include <linux/dma-buf.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/io_uring.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/skbuff_ref.h>
#include <net/netdev_queues.h>
#include <net/netdev_rx_queue.h>
#include <net/netlink.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/memory_provider.h>
#include <net/rps.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <uapi/linux/io_uring.h>
#include <uapi/linux/netdev.h>

#include "io_uring.h"
#include "memmap.h"
#include "rsrc.h"
#include "zcrx.h"

#define IO_ZCRX_MAX_RQ_ENTRIES		32768
/* at most this many buffers are kept back from the NIC for copies */
#define IO_ZCRX_COPY_RESERVE_MAX	64
/* skbs one issue may walk before it yields to other requests */
#define IO_ZCRX_SKBS_PER_ISSUE		64
/* refill entries consumed under the BH lock at a time, outside the NIC */
#define IO_ZCRX_FLUSH_BATCH		32
#define IO_ZCRX_REGION_MAX_PAGES	USHRT_MAX
/* the largest rx_buf_len, 1 MiB with 4 KiB pages; devices may take less */
#define IO_ZCRX_MAX_BUF_SHIFT		(PAGE_SHIFT + 8)
/* the event types this kernel posts */
#define IO_ZCRX_EVENT_TYPES		(BIT(ZCRX_EVENT_ALLOC_FAIL) | \
					 BIT(ZCRX_EVENT_COPY))
/* struct zcrx_stats is updated with 64-bit atomics */
#define IO_ZCRX_STATS_ALIGN		sizeof(u64)

static const struct memory_provider_ops io_uring_pp_zc_ops;

static inline struct io_zcrx_area *io_zcrx_iov_to_area(const struct net_iov *niov)
{
	struct net_iov_area *owner = net_iov_owner(niov);

	return container_of(owner, struct io_zcrx_area, nia);
}

/* Bytes in each buffer of @ifq's area. */
static inline size_t io_zcrx_buf_len(const struct io_zcrx_ifq *ifq)
{
	return 1UL << ifq->niov_shift;
}

/* Pages in each buffer, as an order. */
static inline unsigned int io_zcrx_buf_order(const struct io_zcrx_ifq *ifq)
{
	return ifq->niov_shift - PAGE_SHIFT;
}

static inline atomic_t *io_get_user_counter(struct net_iov *niov)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);

	return &area->user_refs[net_iov_idx(niov)];
}

/*
 * Drop one user reference: -1 if there was none (a stale entry), 1 if it
 * was the buffer's last, 0 otherwise.  The caller counts the buffers that
 * left the application in ifq->user_bufs, once per batch.
 */
static int io_zcrx_put_niov_uref(struct net_iov *niov)
{
	int refs = atomic_dec_if_positive(io_get_user_counter(niov));

	if (refs < 0)
		return -1;
	return !refs;
}

/*
 * Take a user reference; true if the buffer was not the application's
 * yet, for the caller to count in ifq->user_bufs once per batch.
 */
static bool io_zcrx_get_niov_uref(struct net_iov *niov)
{
	return atomic_inc_return(io_get_user_counter(niov)) == 1;
}

/* The page of a buffer, or NULL in a dmabuf area: the CPU has none. */
static struct page *io_zcrx_iov_page(const struct net_iov *niov)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);

	if (!area->pages)
		return NULL;
	return area->pages[(unsigned long)net_iov_idx(niov) <<
			   io_zcrx_buf_order(area->ifq)];
}

static void io_zcrx_sync_for_device(const struct page_pool *pool,
				    struct net_iov *niov)
{
#if defined(CONFIG_HAS_DMA) && defined(CONFIG_DMA_NEED_SYNC)
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);
	dma_addr_t dma_addr;

	if (!dma_dev_need_sync(pool->p.dev))
		return;
	/* a dmabuf's exporter and its user see to its coherency */
	if (area->dmabuf)
		return;
	dma_addr = page_pool_get_dma_addr_netmem(net_iov_to_netmem(niov));
	__dma_sync_single_for_device(pool->p.dev, dma_addr + pool->p.offset,
				     io_zcrx_buf_len(area->ifq) - pool->p.offset,
				     pool->p.dma_dir);
#endif
}

static int io_zcrx_account(struct io_zcrx_ifq *ifq, unsigned long nr_pages)
{
	int ret;

	if (ifq->user) {
		ret = __io_account_mem(ifq->user, nr_pages);
		if (ret)
			return ret;
	}
	if (ifq->mm_account)
		atomic64_add(nr_pages, &ifq->mm_account->pinned_vm);
	return 0;
}

static void io_zcrx_unaccount(struct io_zcrx_ifq *ifq, unsigned long nr_pages)
{
	if (ifq->user)
		__io_unaccount_mem(ifq->user, nr_pages);
	if (ifq->mm_account)
		atomic64_sub(nr_pages, &ifq->mm_account->pinned_vm);
}

static int io_zcrx_create_region(struct io_zcrx_ifq *ifq,
				 struct io_uring_region_desc *rd,
				 size_t min_size)
{
	struct io_zcrx_region *r = &ifq->region;
	unsigned long nr_pages;
	u64 end;
	void *ptr;
	int ret;

	if (rd->flags & ~IORING_MEM_REGION_TYPE_USER)
		return -EINVAL;
	if (rd->id || rd->mmap_offset ||
	    memchr_inv(rd->__resv, 0, sizeof(rd->__resv)))
		return -EINVAL;
	if (!!(rd->flags & IORING_MEM_REGION_TYPE_USER) != !!rd->user_addr)
		return -EFAULT;
	if (!rd->size || (rd->user_addr | rd->size) & ~PAGE_MASK)
		return -EINVAL;
	if (check_add_overflow(rd->user_addr, rd->size, &end))
		return -EOVERFLOW;
	if (rd->size < min_size)
		return -EINVAL;
	if ((rd->size >> PAGE_SHIFT) > IO_ZCRX_REGION_MAX_PAGES)
		return -E2BIG;

	/*
	 * Pinned user pages and kernel pages that user space maps alike stay
	 * put for the life of the ifq: charge them as the area is charged,
	 * before any is taken.
	 */
	nr_pages = rd->size >> PAGE_SHIFT;
	ret = io_zcrx_account(ifq, nr_pages);
	if (ret)
		return ret;

	if (rd->flags & IORING_MEM_REGION_TYPE_USER) {
		ptr = __io_uaddr_map(&r->pages, &r->nr_pages, rd->user_addr,
				     rd->size);
		r->user_memory = true;
	} else {
		ptr = io_pages_map(&r->pages, &r->nr_pages, rd->size);
		rd->mmap_offset = IORING_OFF_ZCRX_REGION +
				  ((u64)ifq->id << IORING_OFF_ZCRX_SHIFT);
	}
	if (IS_ERR(ptr)) {
		io_zcrx_unaccount(ifq, nr_pages);
		return PTR_ERR(ptr);
	}
	r->ptr = ptr;
	r->acct_pages = nr_pages;
	return 0;
}

static void io_zcrx_free_region(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_region *r = &ifq->region;

	if (!r->ptr)
		return;
	if (r->user_memory) {
		io_pages_free(&r->pages, r->nr_pages);
		vunmap(r->ptr);
	} else {
		io_pages_unmap(r->ptr, &r->pages, &r->nr_pages, true);
	}
	r->ptr = NULL;
	io_zcrx_unaccount(ifq, r->acct_pages);
	r->acct_pages = 0;
}

static void __io_zcrx_unmap_area(struct device *dev, struct io_zcrx_area *area,
				 unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		netmem_ref netmem = net_iov_to_netmem(&area->nia.niovs[i]);
		dma_addr_t dma = page_pool_get_dma_addr_netmem(netmem);

		dma_unmap_page_attrs(dev, dma, io_zcrx_buf_len(area->ifq),
				     DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
		net_mp_niov_set_dma_addr(&area->nia.niovs[i], 0);
		cond_resched();
	}
}

static void io_zcrx_unmap_dmabuf(struct io_zcrx_area *area)
{
	unsigned long i;

	for (i = 0; i < area->nia.num_niovs; i++)
		net_mp_niov_set_dma_addr(&area->nia.niovs[i], 0);
	dma_buf_unmap_attachment_unlocked(area->attach, area->sgt,
					  DMA_FROM_DEVICE);
	dma_buf_detach(area->dmabuf, area->attach);
	area->sgt = NULL;
	area->attach = NULL;
}

/*
 * Attach the dmabuf to @dev and give each buffer its DMA address.  The
 * mapping comes in page-aligned pieces (udmabuf gives one a page); those
 * whose addresses run on make one range, which is cut into buffers: a
 * buffer that would span a gap is -ERANGE, as for an area of user memory
 * that is not contiguous enough.
 */
static int io_zcrx_map_dmabuf(struct io_zcrx_area *area, struct device *dev)
{
	unsigned long i = 0, nr = area->nia.num_niovs;
	size_t buf_len = io_zcrx_buf_len(area->ifq);
	dma_addr_t start = 0;
	struct scatterlist *sg;
	size_t have = 0;
	unsigned int j;
	int ret = 0;

	area->attach = dma_buf_attach(area->dmabuf, dev);
	if (IS_ERR(area->attach)) {
		ret = PTR_ERR(area->attach);
		area->attach = NULL;
		return ret;
	}
	area->sgt = dma_buf_map_attachment_unlocked(area->attach,
						    DMA_FROM_DEVICE);
	if (IS_ERR(area->sgt)) {
		ret = PTR_ERR(area->sgt);
		area->sgt = NULL;
		dma_buf_detach(area->dmabuf, area->attach);
		area->attach = NULL;
		return ret;
	}

	for_each_sgtable_dma_sg(area->sgt, sg, j) {
		dma_addr_t dma = sg_dma_address(sg);
		unsigned long len = sg_dma_len(sg);

		if ((dma | len) & ~PAGE_MASK) {
			ret = -EINVAL;
			break;
		}
		while (len && i < nr) {
			size_t n = min_t(size_t, len, buf_len - have);

			if (!have) {
				start = dma;
			} else if (dma != start + have) {
				ret = -ERANGE;
				break;
			}
			have += n;
			dma += n;
			len -= n;
			if (have < buf_len)
				continue;
			ret = net_mp_niov_set_dma_addr(&area->nia.niovs[i++],
						       start);
			if (ret)
				break;
			have = 0;
		}
		if (ret || i == nr)
			break;
	}
	if (!ret && i != nr)
		ret = -EINVAL;
	if (ret)
		io_zcrx_unmap_dmabuf(area);
	return ret;
}

/*
 * Unmap the area and let its device go, once nothing can DMA into it any
 * more: the queue was given back or its device is being unregistered.
 * The page pools that still hold buffers (in sockets, say) are destroyed
 * by then and no longer sync them for the device; a sync that started
 * before, under RCU, is waited for.
 */
static void io_zcrx_unmap_area(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	struct device *dev;

	mutex_lock(&ifq->dma_lock);
	dev = ifq->dev;
	ifq->dev = NULL;
	if (dev && area) {
		if (dma_dev_need_sync(dev) && !area->dmabuf)
			synchronize_net();
		if (area->dmabuf)
			io_zcrx_unmap_dmabuf(area);
		else
			__io_zcrx_unmap_area(dev, area, area->nia.num_niovs);
	}
	mutex_unlock(&ifq->dma_lock);
	put_device(dev);
}

/*
 * Map the area for @dev, the device of the queue's first page pool; the
 * pools of later restarts of the queue find it mapped already.
 */
static int io_zcrx_map_area(struct io_zcrx_ifq *ifq, struct device *dev)
{
	unsigned int order = io_zcrx_buf_order(ifq);
	size_t buf_len = io_zcrx_buf_len(ifq);
	struct io_zcrx_area *area = ifq->area;
	unsigned long i;
	int ret = 0;

	/* dma_map_page_attrs() would warn about a device that cannot DMA */
	if (!dev || !dev->dma_mask)
		return -EOPNOTSUPP;

	mutex_lock(&ifq->dma_lock);
	if (ifq->dev) {
		ret = ifq->dev == dev ? 0 : -EINVAL;
		goto out;
	}
	if (area->dmabuf) {
		ret = io_zcrx_map_dmabuf(area, dev);
		if (!ret)
			ifq->dev = get_device(dev);
		goto out;
	}
	/* a bounce buffer (swiotlb) holds only so much */
	if (buf_len > dma_max_mapping_size(dev)) {
		ret = -ERANGE;
		goto out;
	}
	for (i = 0; i < area->nia.num_niovs; i++) {
		dma_addr_t dma;

		dma = dma_map_page_attrs(dev, area->pages[i << order], 0,
					 buf_len, DMA_FROM_DEVICE,
					 DMA_ATTR_SKIP_CPU_SYNC);
		if (dma_mapping_error(dev, dma)) {
			ret = -ENOMEM;
			break;
		}
		ret = net_mp_niov_set_dma_addr(&area->nia.niovs[i], dma);
		if (ret) {
			dma_unmap_page_attrs(dev, dma, buf_len,
					     DMA_FROM_DEVICE,
					     DMA_ATTR_SKIP_CPU_SYNC);
			break;
		}
		cond_resched();
	}
	if (ret)
		__io_zcrx_unmap_area(dev, area, i);
	else
		ifq->dev = get_device(dev);
out:
	mutex_unlock(&ifq->dma_lock);
	return ret;
}

static void io_zcrx_free_area(struct io_zcrx_ifq *ifq,
			      struct io_zcrx_area *area)
{
	if (area->pages) {
		unpin_user_pages(area->pages, area->nr_pages);
		kvfree(area->pages);
	}
	if (area->acct_pages)
		io_zcrx_unaccount(ifq, area->acct_pages);
	if (area->dmabuf)
		dma_buf_put(area->dmabuf);
	kvfree(area->freelist);
	kvfree(area->user_refs);
	kvfree(area->nia.niovs);
	kfree(area);
}

static int io_zcrx_check_area_reg(const struct io_uring_zcrx_area_reg *reg)
{
	u64 end;

	if (reg->flags & ~IORING_ZCRX_AREA_DMABUF)
		return -EINVAL;
	if (reg->rq_area_token ||
	    memchr_inv(reg->__resv2, 0, sizeof(reg->__resv2)))
		return -EINVAL;
	if (reg->flags & IORING_ZCRX_AREA_DMABUF) {
		/* the whole dmabuf, which has no user address */
		if (reg->addr || !reg->len || reg->len & ~PAGE_MASK)
			return -EINVAL;
	} else {
		if (reg->dmabuf_fd)
			return -EINVAL;
		if (!reg->addr || !reg->len ||
		    (reg->addr | reg->len) & ~PAGE_MASK)
			return -EINVAL;
		if (check_add_overflow(reg->addr, reg->len, &end))
			return -EOVERFLOW;
	}
	if ((reg->len >> PAGE_SHIFT) > INT_MAX ||
	    reg->len > (1ULL << IORING_ZCRX_AREA_SHIFT))
		return -E2BIG;
	return 0;
}

/* On failure nothing is left pinned and area->pages stays NULL. */
static int io_zcrx_pin_area(struct io_zcrx_area *area,
			    const struct io_uring_zcrx_area_reg *reg)
{
	struct page **pages;
	int nr_pages;

	pages = io_pin_pages(reg->addr, reg->len, &nr_pages);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	area->pages = pages;
	area->nr_pages = nr_pages;
	return 0;
}

/*
 * Take a reference on the dmabuf of @reg, which must be exactly as large
 * as the area.  It is attached to the device when the area is mapped.
 */
static int io_zcrx_get_dmabuf(struct io_zcrx_area *area,
			      const struct io_uring_zcrx_area_reg *reg)
{
	struct dma_buf *dmabuf;

	dmabuf = dma_buf_get(reg->dmabuf_fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	area->dmabuf = dmabuf;
	if (dmabuf->size != reg->len)
		return -EINVAL;
	area->nr_pages = reg->len >> PAGE_SHIFT;
	return 0;
}

/* Charge the pinned pages; io_zcrx_free_area() gives back what was charged. */
static int io_zcrx_account_area(struct io_zcrx_ifq *ifq,
				struct io_zcrx_area *area)
{
	int ret;

	ret = io_zcrx_account(ifq, area->nr_pages);
	if (ret)
		return ret;
	area->acct_pages = area->nr_pages;
	return 0;
}

/* Whether each buffer of the area is one run of physical memory. */
static bool io_zcrx_area_contiguous(struct io_zcrx_ifq *ifq,
				    struct io_zcrx_area *area)
{
	unsigned long i, per = 1UL << io_zcrx_buf_order(ifq);

	for (i = 0; i < area->nr_pages; i++) {
		if (i % per &&
		    area->pages[i] != nth_page(area->pages[i - i % per],
					       i % per))
			return false;
		if (!(i & 1023))
			cond_resched();
	}
	return true;
}

static int io_zcrx_create_area(struct io_zcrx_ifq *ifq,
			       struct io_uring_zcrx_area_reg *reg)
{
	struct io_zcrx_area *area;
	unsigned long i, nr;
	int ret;

	ret = io_zcrx_check_area_reg(reg);
	if (ret)
		return ret;

	area = kzalloc(sizeof(*area), GFP_KERNEL);
	if (!area)
		return -ENOMEM;
	area->ifq = ifq;
	spin_lock_init(&area->freelist_lock);

	if (reg->flags & IORING_ZCRX_AREA_DMABUF) {
		/* nothing pinned, nothing to charge: the exporter's memory */
		ret = io_zcrx_get_dmabuf(area, reg);
		if (ret)
			goto err;
	} else {
		ret = io_zcrx_pin_area(area, reg);
		if (ret)
			goto err;
		ret = io_zcrx_account_area(ifq, area);
		if (ret)
			goto err;
	}

	/* the area is cut into buffers of rx_buf_len bytes */
	if (reg->len & (io_zcrx_buf_len(ifq) - 1)) {
		ret = -EINVAL;
		goto err;
	}
	if (area->pages && !io_zcrx_area_contiguous(ifq, area)) {
		ret = -ERANGE;
		goto err;
	}
	nr = area->nr_pages >> io_zcrx_buf_order(ifq);
	ret = -ENOMEM;
	area->nia.niovs = kvmalloc_array(nr, sizeof(area->nia.niovs[0]),
					 GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!area->nia.niovs)
		goto err;
	area->freelist = kvmalloc_array(nr, sizeof(area->freelist[0]),
					GFP_KERNEL_ACCOUNT);
	if (!area->freelist)
		goto err;
	area->user_refs = kvmalloc_array(nr, sizeof(area->user_refs[0]),
					 GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!area->user_refs)
		goto err;

	for (i = 0; i < nr; i++) {
		struct net_iov *niov = &area->nia.niovs[i];

		niov->owner = &area->nia;
		niov->type = NET_IOV_IOURING;
		area->freelist[i] = i;
	}
	area->nia.num_niovs = nr;
	area->free_count = nr;
	/*
	 * Buffers a page pool holds serve the NIC only, and the NIC keeps
	 * those the application returns: without a reserve the copy
	 * fallback would starve for good once a pool had taken them all.
	 */
	area->copy_reserve = clamp_t(u32, nr / 8, 1, IO_ZCRX_COPY_RESERVE_MAX);
	/* and no copy ever goes into a dmabuf */
	if (area->copy_reserve >= nr || area->dmabuf)
		area->copy_reserve = 0;
	/* one area per ifq for now */
	area->area_id = 0;
	reg->rq_area_token = (u64)area->area_id << IORING_ZCRX_AREA_SHIFT;
	ifq->area = area;
	return 0;
err:
	io_zcrx_free_area(ifq, area);
	return ret;
}

static struct net_iov *__io_zcrx_get_free_niov(struct io_zcrx_area *area)
{
	lockdep_assert_held(&area->freelist_lock);

	return &area->nia.niovs[area->freelist[--area->free_count]];
}

static void io_zcrx_return_niov_freelist(struct net_iov *niov)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);

	guard(spinlock_bh)(&area->freelist_lock);
	if (!WARN_ON_ONCE(area->free_count >= area->nia.num_niovs))
		area->freelist[area->free_count++] = net_iov_idx(niov);
}

/* The last reference to @niov is gone: give it back to its owner. */
static void io_zcrx_return_niov(struct net_iov *niov)
{
	netmem_ref netmem = net_iov_to_netmem(niov);

	if (!niov->pp) {
		/* a copy-fallback buffer, never in a page pool */
		io_zcrx_return_niov_freelist(niov);
		return;
	}
	page_pool_put_unrefed_netmem(niov->pp, netmem, -1, false);
}

/* Take back every buffer the application still holds. */
static void io_zcrx_scrub(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	unsigned long i;

	if (!area)
		return;
	for (i = 0; i < area->nia.num_niovs; i++) {
		struct net_iov *niov = &area->nia.niovs[i];
		int nr;

		nr = atomic_xchg(&area->user_refs[i], 0);
		if (!nr)
			continue;
		atomic_dec(&ifq->user_bufs);
		if (!page_pool_unref_netmem(net_iov_to_netmem(niov), nr))
			io_zcrx_return_niov(niov);
	}
}

static struct io_zcrx_ifq *io_zcrx_ifq_alloc(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;

	ifq = kzalloc(sizeof(*ifq), GFP_KERNEL);
	if (!ifq)
		return NULL;
	spin_lock_init(&ifq->rq_lock);
	spin_lock_init(&ifq->ev_lock);
	mutex_init(&ifq->dma_lock);
	refcount_set(&ifq->refs, 1);
	refcount_set(&ifq->holders, 1);
	atomic_set(&ifq->open_holders, 1);
	if (ctx->user)
		ifq->user = get_uid(ctx->user);
	if (ctx->mm_account) {
		mmgrab(ctx->mm_account);
		ifq->mm_account = ctx->mm_account;
	}
	return ifq;
}

static void io_zcrx_ifq_free(struct io_zcrx_ifq *ifq)
{
	if (WARN_ON_ONCE(ifq->netdev))
		netdev_put(ifq->netdev, &ifq->netdev_tracker);
	/* only after a failed registration is the area still mapped */
	io_zcrx_unmap_area(ifq);
	if (ifq->area)
		io_zcrx_free_area(ifq, ifq->area);
	io_zcrx_free_region(ifq);
	if (ifq->user)
		free_uid(ifq->user);
	if (ifq->mm_account)
		mmdrop(ifq->mm_account);
	mutex_destroy(&ifq->dma_lock);
	kfree(ifq);
}

static void io_zcrx_ifq_put(struct io_zcrx_ifq *ifq)
{
	if (refcount_dec_and_test(&ifq->refs))
		io_zcrx_ifq_free(ifq);
}

/* The device is released: fdinfo shows none from now on. */
static void io_zcrx_drop_netdev(struct io_zcrx_ifq *ifq)
{
	ASSERT_RTNL();

	WRITE_ONCE(ifq->if_gone, true);
	netdev_put(ifq->netdev, &ifq->netdev_tracker);
	ifq->netdev = NULL;
}

/*
 * Give the hardware queue back and unmap the area while the device is
 * still there; buffers already out stay valid.
 */
static void __io_zcrx_close_queue(struct io_zcrx_ifq *ifq)
{
	struct pp_memory_provider_params p = {
		.mp_ops = &io_uring_pp_zc_ops,
		.mp_priv = ifq,
	};

	ASSERT_RTNL();

	if (!ifq->netdev)
		return;
	__net_mp_close_rxq(ifq->netdev, ifq->if_rxq, &p);
	io_zcrx_unmap_area(ifq);
	io_zcrx_drop_netdev(ifq);
}

static void io_zcrx_close_queue(struct io_zcrx_ifq *ifq)
{
	if (ifq->nodev)
		return;
	rtnl_lock();
	__io_zcrx_close_queue(ifq);
	rtnl_unlock();
}

/*
 * A ring or an exported file lets go of @ifq.  The last holder releases
 * the queue and returns what the application still holds: nobody is left
 * to give it back.  Its reference goes last.
 */
static void io_zcrx_drop_holder(struct io_zcrx_ifq *ifq)
{
	if (refcount_dec_and_test(&ifq->holders)) {
		io_zcrx_close_queue(ifq);
		io_zcrx_scrub(ifq);
	}
	io_zcrx_ifq_put(ifq);
}

/*
 * A holder is closed: a ring's file is released, or an exported file.
 * Returns true for the last open one, which lets the queue go.
 */
static bool io_zcrx_close_holder(struct io_zcrx_ifq *ifq)
{
	return atomic_dec_and_test(&ifq->open_holders);
}

static int io_zcrx_box_release(struct inode *inode, struct file *file)
{
	struct io_zcrx_ifq *ifq = file->private_data;

	/* the rings are closed already: nobody receives any more */
	if (io_zcrx_close_holder(ifq))
		io_zcrx_close_queue(ifq);
	io_zcrx_drop_holder(ifq);
	return 0;
}

/* The file of ZCRX_CTRL_EXPORT: it only holds the ifq. */
static const struct file_operations io_zcrx_box_fops = {
	.owner		= THIS_MODULE,
	.release	= io_zcrx_box_release,
};

/*
 * The queue @rxq_idx of @dev may still be bound to an ifq of a ring that
 * was closed and whose exit work has not released the queue yet: release
 * it now, so that a new binding succeeds at once after a close().  While
 * the provider is installed its ifq is alive: the ring keeps its
 * reference until the queue is released, under rtnl.
 */
static void io_zcrx_reclaim_queue(struct net_device *dev, unsigned int rxq_idx)
{
	struct netdev_rx_queue *rxq;
	struct io_zcrx_ifq *old;

	ASSERT_RTNL();

	if (rxq_idx >= dev->real_num_rx_queues)
		return;
	rxq_idx = array_index_nospec(rxq_idx, dev->real_num_rx_queues);
	rxq = __netif_get_rx_queue(dev, rxq_idx);
	if (rxq->mp_params.mp_ops != &io_uring_pp_zc_ops)
		return;
	old = rxq->mp_params.mp_priv;
	if (READ_ONCE(old->closing) && old->netdev == dev &&
	    old->if_rxq == rxq_idx)
		__io_zcrx_close_queue(old);
}

static int io_zcrx_check_reg(struct io_uring_zcrx_ifq_reg *reg)
{
	if ((reg->flags & ~ZCRX_REG_NODEV) || reg->zcrx_id)
		return -EINVAL;
	/* a device-less ifq names no device and no queue */
	if ((reg->flags & ZCRX_REG_NODEV) && (reg->if_idx || reg->if_rxq))
		return -EINVAL;
	if (memchr_inv(reg->__resv, 0, sizeof(reg->__resv)) ||
	    reg->offsets.__resv2 ||
	    memchr_inv(reg->offsets.__resv, 0, sizeof(reg->offsets.__resv)))
		return -EINVAL;
	if (!reg->area_ptr || !reg->region_ptr)
		return -EINVAL;
	if (!reg->rq_entries || reg->rq_entries > IO_ZCRX_MAX_RQ_ENTRIES)
		return -EINVAL;
	if (reg->rx_buf_len) {
		if (!is_power_of_2(reg->rx_buf_len) ||
		    reg->rx_buf_len < PAGE_SIZE)
			return -EINVAL;
		if (ilog2(reg->rx_buf_len) > IO_ZCRX_MAX_BUF_SHIFT)
			return -ERANGE;
	}
	return 0;
}

/*
 * event_desc of a registration: which events to post and where the
 * statistics go.  The statistics must lie in the refill region, past the
 * ring (@rq_size bytes), aligned for 64-bit atomics.
 */
static int io_zcrx_setup_events(struct io_zcrx_ifq *ifq,
				struct io_ring_ctx *ctx, u64 uptr,
				size_t rq_size)
{
	size_t region_size = (size_t)ifq->region.nr_pages << PAGE_SHIFT;
	struct zcrx_event_desc desc;

	if (!uptr)
		return 0;
	if (copy_from_user(&desc, u64_to_user_ptr(uptr), sizeof(desc)))
		return -EFAULT;
	if ((desc.type_mask & ~IO_ZCRX_EVENT_TYPES) ||
	    (desc.flags & ~ZCRX_EVENT_DESC_FLAG_STATS) ||
	    memchr_inv(desc.__resv2, 0, sizeof(desc.__resv2)))
		return -EINVAL;
	if (desc.flags & ZCRX_EVENT_DESC_FLAG_STATS) {
		if (!IS_ALIGNED(desc.stats_offset, IO_ZCRX_STATS_ALIGN) ||
		    desc.stats_offset < rq_size ||
		    desc.stats_offset > region_size - sizeof(struct zcrx_stats))
			return -EINVAL;
		ifq->stats = ifq->region.ptr + desc.stats_offset;
		memset(ifq->stats, 0, sizeof(*ifq->stats));
	} else if (desc.stats_offset) {
		return -EINVAL;
	}

	ifq->ev_user_data = desc.user_data;
	ifq->ev_mask = desc.type_mask;
	/* every enabled type starts armed */
	ifq->ev_armed = desc.type_mask;
	ifq->ev_ctx = ctx;
	return 0;
}

/* The ring is closing: no event may reach it any more. */
static void io_zcrx_drop_events(struct io_zcrx_ifq *ifq,
				struct io_ring_ctx *ctx)
{
	guard(spinlock_bh)(&ifq->ev_lock);
	if (ifq->ev_ctx == ctx)
		ifq->ev_ctx = NULL;
}

static void io_zcrx_event_tw(struct io_kiocb *req, struct io_tw_state *ts)
{
	struct io_ring_ctx *ctx = req->ctx;

	io_add_aux_cqe(ctx, req->cqe.user_data, req->cqe.res, 0);
	kfree_rcu(req, rcu_head);
	percpu_ref_put(&ctx->refs);
}

/*
 * Post event @type if it is armed: one completion with the descriptor's
 * user_data and res = @type, through the ring's task work, as any context
 * may find the event (the NIC's softirq for ALLOC_FAIL).  The first caller
 * to clear the armed bit posts; the others return at once.  An event that
 * cannot be posted for want of memory stays armed; one for a ring that is
 * closing is dropped.
 */
static void io_zcrx_event(struct io_zcrx_ifq *ifq, enum zcrx_event_type type)
{
	struct task_struct *task = NULL;
	struct io_ring_ctx *ctx;
	struct io_kiocb *req;

	if (likely(!(READ_ONCE(ifq->ev_armed) & BIT(type))))
		return;
	if (!test_and_clear_bit(type, &ifq->ev_armed))
		return;

	spin_lock_bh(&ifq->ev_lock);
	ctx = ifq->ev_ctx;
	if (!ctx || !percpu_ref_tryget_live(&ctx->refs)) {
		/* the ring is closing: the event goes nowhere */
		spin_unlock_bh(&ifq->ev_lock);
		return;
	}
	/*
	 * As for IORING_OP_MSG_RING: pairs with the store-release that
	 * clears IORING_SETUP_R_DISABLED once submitter_task is set.
	 */
	if (!(smp_load_acquire(&ctx->flags) & IORING_SETUP_R_DISABLED))
		task = READ_ONCE(ctx->submitter_task);
	req = NULL;
	if (task)
		req = kmem_cache_alloc(req_cachep,
				       GFP_ATOMIC | __GFP_NOWARN | __GFP_ZERO);
	if (!req) {
		/* a ring not enabled yet, or no memory: the event waits */
		spin_unlock_bh(&ifq->ev_lock);
		percpu_ref_put(&ctx->refs);
		set_bit(type, &ifq->ev_armed);
		return;
	}
	req->task = task;
	req->ctx = ctx;
	req->opcode = IORING_OP_NOP;
	req->cqe.user_data = ifq->ev_user_data;
	io_req_set_res(req, type, 0);
	req->io_task_work.func = io_zcrx_event_tw;
	/* not lazy: a waiter may wait for this completion alone */
	io_req_task_work_add_remote(req, ctx, 0);
	spin_unlock_bh(&ifq->ev_lock);
}

/* ZCRX_CTRL_ARM_EVENT: let an enabled event type fire once more. */
static int io_zcrx_arm_event(struct io_ring_ctx *ctx, struct io_zcrx_ifq *ifq,
			     struct zcrx_ctrl *ctrl)
{
	u32 type = ctrl->zc_arm_event.event_type;

	if (memchr_inv(ctrl->zc_arm_event.__resv, 0,
		       sizeof(ctrl->zc_arm_event.__resv)))
		return -EINVAL;
	/* events go to the ring that registered the ifq, and only there */
	if (type >= __ZCRX_EVENT_LAST || !(ifq->ev_mask & BIT(type)) ||
	    READ_ONCE(ifq->ev_ctx) != ctx)
		return -EINVAL;
	set_bit(type, &ifq->ev_armed);
	return 0;
}

/* Bytes copied into @nr buffers: counters, statistics, event. */
static void io_zcrx_account_copy(struct io_zcrx_ifq *ifq, unsigned int nr,
				 size_t bytes)
{
	struct zcrx_stats *stats = ifq->stats;

	atomic64_add(nr, &ifq->copy_count);
	atomic64_add(bytes, &ifq->copy_bytes);
	if (stats) {
		/*
		 * Rings sharing the ifq may copy at once.  The words are
		 * 8-byte aligned in memory the kernel keeps mapped; what
		 * the application writes there only spoils its own figures.
		 */
		atomic64_add(nr, (atomic64_t *)&stats->copy_count);
		atomic64_add(bytes, (atomic64_t *)&stats->copy_bytes);
	}
	io_zcrx_event(ifq, ZCRX_EVENT_COPY);
}

/* The outputs of a registration: the ring's id and the refill ring's layout. */
static void io_zcrx_fill_reg(struct io_zcrx_ifq *ifq,
			     struct io_uring_zcrx_ifq_reg *reg, u32 id)
{
	reg->zcrx_id = id;
	reg->rx_buf_len = io_zcrx_buf_len(ifq);
	reg->offsets.head = offsetof(struct io_uring, head);
	reg->offsets.tail = offsetof(struct io_uring, tail);
	reg->offsets.rqes = (void *)ifq->rqes - ifq->region.ptr;
}

/*
 * ZCRX_REG_IMPORT: the ring takes the ifq of a file ZCRX_CTRL_EXPORT made,
 * under an id of its own.  if_idx is the file descriptor; every other
 * input is 0.  The area, the refill ring and the queue are shared.
 */
static int io_zcrx_import(struct io_ring_ctx *ctx,
			  struct io_uring_zcrx_ifq_reg __user *arg,
			  struct io_uring_zcrx_ifq_reg *reg)
{
	struct io_zcrx_ifq *ifq;
	u32 id;
	int ret;

	if (reg->flags != ZCRX_REG_IMPORT || reg->if_rxq ||
	    reg->rq_entries || reg->area_ptr || reg->region_ptr ||
	    reg->rx_buf_len || reg->zcrx_id || reg->event_desc ||
	    memchr_inv(reg->__resv, 0, sizeof(reg->__resv)) ||
	    memchr_inv(&reg->offsets, 0, sizeof(reg->offsets)))
		return -EINVAL;

	CLASS(fd, f)(reg->if_idx);
	if (fd_empty(f) || fd_file(f)->f_op != &io_zcrx_box_fops)
		return -EBADF;
	ifq = fd_file(f)->private_data;

	ret = xa_alloc(&ctx->zcrx_ctxs, &id, NULL,
		       XA_LIMIT(0, IORING_OFF_ZCRX_MAX_ID), GFP_KERNEL);
	if (ret)
		return ret;
	reg->rq_entries = ifq->rq_entries;
	io_zcrx_fill_reg(ifq, reg, id);
	if (copy_to_user(arg, reg, sizeof(*reg))) {
		ret = -EFAULT;
		goto err;
	}

	/* the file holds the ifq while we are here: it cannot have gone */
	refcount_inc(&ifq->refs);
	refcount_inc(&ifq->holders);
	atomic_inc(&ifq->open_holders);
	ret = xa_err(xa_store(&ctx->zcrx_ctxs, id, ifq, GFP_KERNEL));
	if (ret) {
		/* the file is still open: this cannot be the last */
		WARN_ON_ONCE(io_zcrx_close_holder(ifq));
		io_zcrx_drop_holder(ifq);
		goto err;
	}
	return 0;
err:
	xa_erase(&ctx->zcrx_ctxs, id);
	return ret;
}

/*
 * ZCRX_CTRL_EXPORT: a new file descriptor, in ctrl->zc_export.zcrx_fd,
 * that holds @ifq for ZCRX_REG_IMPORT by other rings, even after this one
 * is gone.  The descriptor exists only once the answer is written back.
 */
static int io_zcrx_export(struct io_zcrx_ifq *ifq, struct zcrx_ctrl *ctrl,
			  void __user *arg)
{
	struct file *file;
	int fd;

	if (ctrl->zc_export.zcrx_fd ||
	    memchr_inv(ctrl->zc_export.__resv1, 0,
		       sizeof(ctrl->zc_export.__resv1)))
		return -EINVAL;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	refcount_inc(&ifq->refs);
	refcount_inc(&ifq->holders);
	atomic_inc(&ifq->open_holders);
	file = anon_inode_getfile("[zcrx]", &io_zcrx_box_fops, ifq, O_CLOEXEC);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		/* the ring is open: this cannot be the last */
		WARN_ON_ONCE(io_zcrx_close_holder(ifq));
		io_zcrx_drop_holder(ifq);
		return PTR_ERR(file);
	}
	ctrl->zc_export.zcrx_fd = fd;
	if (copy_to_user(arg, ctrl, sizeof(*ctrl))) {
		put_unused_fd(fd);
		fput(file);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* What registration writes back; before anything is bound. */
static int io_zcrx_copy_reg_out(struct io_uring_zcrx_ifq_reg __user *arg,
				struct io_uring_zcrx_ifq_reg *reg,
				struct io_uring_region_desc *rd,
				struct io_uring_zcrx_area_reg *area)
{
	if (copy_to_user(arg, reg, sizeof(*reg)) ||
	    copy_to_user(u64_to_user_ptr(reg->region_ptr), rd, sizeof(*rd)) ||
	    copy_to_user(u64_to_user_ptr(reg->area_ptr), area, sizeof(*area)))
		return -EFAULT;
	return 0;
}

/**
 * io_register_zcrx_ifq() - bind an rx queue to an area of memory
 * @ctx: the ring
 * @arg: &struct io_uring_zcrx_ifq_reg from user space
 *
 * Pins the area (or takes the dmabuf) and sets up the refill ring, writes
 * the results back to user space, and only then installs the memory
 * provider on the queue, so that a failing copy leaves no queue bound
 * behind it.  The area is DMA-mapped (or the dmabuf attached) by the
 * queue's new page pool, once every check has passed.
 * With ZCRX_REG_NODEV no device or queue is involved: the ifq receives
 * through the copy fallback only, on any TCP socket.
 *
 * Context: process, with ctx->uring_lock held.
 * Return: 0 or a negative errno.
 */
int io_register_zcrx_ifq(struct io_ring_ctx *ctx,
			 struct io_uring_zcrx_ifq_reg __user *arg)
{
	struct pp_memory_provider_params mp_param = {};
	struct io_uring_zcrx_area_reg area;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_region_desc rd;
	struct net_device *netdev;
	struct io_zcrx_ifq *ifq;
	size_t rq_size;
	u32 id;
	int ret;

	lockdep_assert_held(&ctx->uring_lock);

	/* the queue sees payload meant for every socket of the host */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	/* completions are posted from the submitter task, 32 bytes each */
	if (!(ctx->flags & IORING_SETUP_DEFER_TASKRUN) ||
	    !(ctx->flags & IORING_SETUP_CQE32))
		return -EINVAL;
	if (copy_from_user(&reg, arg, sizeof(reg)))
		return -EFAULT;
	if (reg.flags & ZCRX_REG_IMPORT)
		return io_zcrx_import(ctx, arg, &reg);
	/* as for the ring's own sizes, IORING_SETUP_CLAMP clamps */
	if (reg.rq_entries > IO_ZCRX_MAX_RQ_ENTRIES &&
	    (ctx->flags & IORING_SETUP_CLAMP))
		reg.rq_entries = IO_ZCRX_MAX_RQ_ENTRIES;
	ret = io_zcrx_check_reg(&reg);
	if (ret)
		return ret;
	if (copy_from_user(&rd, u64_to_user_ptr(reg.region_ptr), sizeof(rd)))
		return -EFAULT;
	if (copy_from_user(&area, u64_to_user_ptr(reg.area_ptr), sizeof(area)))
		return -EFAULT;
	/* a device-less ifq copies everything, and a dmabuf takes no copy */
	if ((reg.flags & ZCRX_REG_NODEV) &&
	    (area.flags & IORING_ZCRX_AREA_DMABUF))
		return -EINVAL;

	reg.rq_entries = roundup_pow_of_two(reg.rq_entries);
	rq_size = ALIGN(sizeof(struct io_uring), L1_CACHE_BYTES) +
		  reg.rq_entries * sizeof(struct io_uring_zcrx_rqe);

	ifq = io_zcrx_ifq_alloc(ctx);
	if (!ifq)
		return -ENOMEM;
	ifq->niov_shift = reg.rx_buf_len ? ilog2(reg.rx_buf_len) : PAGE_SHIFT;

	/* reserve an id; the entry is published once the queue is bound */
	ret = xa_alloc(&ctx->zcrx_ctxs, &id, NULL,
		       XA_LIMIT(0, IORING_OFF_ZCRX_MAX_ID), GFP_KERNEL);
	if (ret)
		goto err_free;
	ifq->id = id;

	ret = io_zcrx_create_region(ifq, &rd, rq_size);
	if (ret)
		goto err_erase;
	ifq->rq_entries = reg.rq_entries;
	ifq->rq_ring = ifq->region.ptr;
	ifq->rqes = ifq->region.ptr + ALIGN(sizeof(struct io_uring),
					    L1_CACHE_BYTES);

	ret = io_zcrx_create_area(ifq, &area);
	if (ret)
		goto err_erase;
	ret = io_zcrx_setup_events(ifq, ctx, reg.event_desc, rq_size);
	if (ret)
		goto err_erase;

	io_zcrx_fill_reg(ifq, &reg, id);

	if (reg.flags & ZCRX_REG_NODEV) {
		ifq->nodev = true;
		ret = io_zcrx_copy_reg_out(arg, &reg, &rd, &area);
		if (ret)
			goto err_erase;
		goto publish;
	}

	netdev = netdev_get_by_index(current->nsproxy->net_ns, reg.if_idx,
				     &ifq->netdev_tracker, GFP_KERNEL);
	if (!netdev) {
		ret = -ENODEV;
		goto err_erase;
	}
	ifq->netdev = netdev;
	ifq->ifindex = netdev->ifindex;
	netdev_copy_name(netdev, ifq->ifname);
	ifq->if_rxq = reg.if_rxq;
	/*
	 * The buffers are written by the device that does the DMA; the area
	 * is mapped for it when the queue's page pool is created.
	 */
	if (!netdev->dev.parent || !netdev->dev.parent->dma_mask) {
		ret = -EOPNOTSUPP;
		goto err_put;
	}
	ret = io_zcrx_copy_reg_out(arg, &reg, &rd, &area);
	if (ret)
		goto err_put;

	mp_param.mp_ops = &io_uring_pp_zc_ops;
	mp_param.mp_priv = ifq;
	mp_param.rx_page_order = io_zcrx_buf_order(ifq);
	rtnl_lock();
	io_zcrx_reclaim_queue(netdev, reg.if_rxq);
	ret = __net_mp_open_rxq(netdev, reg.if_rxq, &mp_param, NULL);
	if (ret) {
		/* a page pool that failed to start may have mapped the area */
		io_zcrx_unmap_area(ifq);
		io_zcrx_drop_netdev(ifq);
	}
	rtnl_unlock();
	if (ret)
		goto err_erase;

publish:
	/*
	 * The id is reserved, so this does not allocate; should it fail all
	 * the same, the queue is bound and has to be released first.
	 */
	ret = xa_err(xa_store(&ctx->zcrx_ctxs, id, ifq, GFP_KERNEL));
	if (ret) {
		io_zcrx_close_queue(ifq);
		goto err_erase;
	}
	return 0;

err_put:
	ifq->netdev = NULL;
	netdev_put(netdev, &ifq->netdev_tracker);
err_erase:
	xa_erase(&ctx->zcrx_ctxs, id);
	/* a page pool that failed to start may outlive this call */
	io_zcrx_drop_events(ifq, ctx);
err_free:
	/* a page pool that failed to start may still hold a reference */
	io_zcrx_ifq_put(ifq);
	return ret;
}

/**
 * io_zcrx_ring_closing() - the ring's file is being released
 * @ctx: the ring
 *
 * Marks the ring's interface queues that no other open ring or exported
 * file holds, so that the exit work releases them, or a new binding of the
 * same queue does first, whichever comes first: close() does not wait for
 * rtnl and a queue restart.
 *
 * Context: process, with ctx->uring_lock held.
 */
void io_zcrx_ring_closing(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;
	unsigned long index;

	lockdep_assert_held(&ctx->uring_lock);

	/* a shared queue stays until its last holder is closed */
	xa_for_each(&ctx->zcrx_ctxs, index, ifq) {
		io_zcrx_drop_events(ifq, ctx);
		if (io_zcrx_close_holder(ifq))
			WRITE_ONCE(ifq->closing, true);
	}
}

/**
 * io_shutdown_zcrx_ifqs() - release the hardware queues of a dying ring
 * @ctx: the ring
 *
 * Called first thing in the ring's exit work, so that neither a new
 * registration on the same queue nor the queue's other users wait for
 * requests and buffers to drain.
 *
 * Context: the ring's exit work; the ring is dead, no ifq can be added.
 */
void io_shutdown_zcrx_ifqs(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;
	unsigned long index;

	xa_for_each(&ctx->zcrx_ctxs, index, ifq) {
		if (READ_ONCE(ifq->closing))
			io_zcrx_close_queue(ifq);
		cond_resched();
	}
}

/**
 * io_unregister_zcrx_ifqs() - drop the ring's interface queues
 * @ctx: the ring, with no request left
 *
 * Buffers the application did not return go back to their pools; the
 * memory is freed when the last page pool lets go of the ifq.
 */
void io_unregister_zcrx_ifqs(struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;
	unsigned long index;

	lockdep_assert_held(&ctx->uring_lock);

	xa_for_each(&ctx->zcrx_ctxs, index, ifq) {
		xa_erase(&ctx->zcrx_ctxs, index);
		io_zcrx_drop_events(ifq, ctx);
		io_zcrx_drop_holder(ifq);
	}
	xa_destroy(&ctx->zcrx_ctxs);
}

static struct io_zcrx_ifq *io_zcrx_region_ifq(struct io_ring_ctx *ctx,
					      unsigned long offset)
{
	unsigned long id = (offset & ~IORING_OFF_MMAP_MASK) >>
			   IORING_OFF_ZCRX_SHIFT;
	struct io_zcrx_ifq *ifq;

	if (offset & ((1UL << IORING_OFF_ZCRX_SHIFT) - 1))
		return NULL;
	/*
	 * Entries are published fully set up and only erased when the ring is
	 * freed, which cannot happen while its file is being mapped.
	 */
	ifq = xa_load(&ctx->zcrx_ctxs, id);
	if (!ifq || ifq->region.user_memory || !ifq->region.ptr)
		return NULL;
	return ifq;
}

/**
 * io_zcrx_region_ptr() - find the kernel-allocated refill ring at @offset
 * @ctx: the ring
 * @offset: the mmap offset, IORING_OFF_ZCRX_REGION plus the ifq id
 *
 * Return: the region's kernel address, or an ERR_PTR.
 */
void *io_zcrx_region_ptr(struct io_ring_ctx *ctx, unsigned long offset)
{
	struct io_zcrx_ifq *ifq = io_zcrx_region_ifq(ctx, offset);

	return ifq ? ifq->region.ptr : ERR_PTR(-EINVAL);
}

/**
 * io_zcrx_mmap() - map a kernel-allocated refill ring
 * @ctx: the ring
 * @vma: the mapping being created
 * @offset: the mmap offset, IORING_OFF_ZCRX_REGION plus the ifq id
 *
 * Return: 0 or a negative errno.
 */
int io_zcrx_mmap(struct io_ring_ctx *ctx, struct vm_area_struct *vma,
		 unsigned long offset)
{
	struct io_zcrx_ifq *ifq = io_zcrx_region_ifq(ctx, offset);
	unsigned long nr = vma_pages(vma);

	if (!ifq || nr > ifq->region.nr_pages)
		return -EINVAL;
	return io_uring_mmap_pages(ctx, vma, ifq->region.pages, nr);
}

static inline u32 io_zcrx_rqring_entries(struct io_zcrx_ifq *ifq)
{
	u32 entries;

	/* pairs with the application's store-release of the tail */
	entries = smp_load_acquire(&ifq->rq_ring->tail) - ifq->cached_rq_head;
	return min(entries, ifq->rq_entries);
}

/* Validate one refill entry, reading each field once. */
static struct net_iov *io_zcrx_parse_rqe(struct io_zcrx_ifq *ifq,
					 struct io_uring_zcrx_rqe *rqe)
{
	struct io_zcrx_area *area = ifq->area;
	u64 off = READ_ONCE(rqe->off);
	u32 pad = READ_ONCE(rqe->__pad);
	u64 idx;

	if (unlikely(pad))
		return NULL;
	if (unlikely((off >> IORING_ZCRX_AREA_SHIFT) != area->area_id))
		return NULL;
	idx = (off & ~IORING_ZCRX_AREA_MASK) >> ifq->niov_shift;
	if (unlikely(idx >= area->nia.num_niovs))
		return NULL;
	idx = array_index_nospec(idx, area->nia.num_niovs);
	return &area->nia.niovs[idx];
}

/* What a batch of refill entries did, counted once for the batch. */
struct io_zcrx_rq_batch {
	u32	consumed;	/* entries that returned a reference */
	u32	invalid;	/* entries that named no buffer of ours */
	u32	released;	/* buffers the application no longer holds */
};

/*
 * Consume the next refill entry, with rq_lock held. Returns its buffer if
 * the application's reference was the last one, NULL otherwise.
 */
static struct net_iov *io_zcrx_consume_rqe(struct io_zcrx_ifq *ifq,
					   struct io_zcrx_rq_batch *b)
{
	struct io_uring_zcrx_rqe *rqe;
	struct net_iov *niov;
	int last;

	lockdep_assert_held(&ifq->rq_lock);

	rqe = &ifq->rqes[ifq->cached_rq_head++ & (ifq->rq_entries - 1)];
	niov = io_zcrx_parse_rqe(ifq, rqe);
	last = niov ? io_zcrx_put_niov_uref(niov) : -1;
	if (last < 0) {
		b->invalid++;
		return NULL;
	}
	b->consumed++;
	b->released += last;
	if (page_pool_unref_netmem(net_iov_to_netmem(niov), 1) != 0)
		return NULL;
	return niov;
}

/* Publish a batch's counts, with rq_lock held. */
static void io_zcrx_rq_batch_done(struct io_zcrx_ifq *ifq,
				  const struct io_zcrx_rq_batch *b)
{
	lockdep_assert_held(&ifq->rq_lock);

	if (b->invalid)
		WRITE_ONCE(ifq->rq_invalid, ifq->rq_invalid + b->invalid);
	if (b->consumed)
		WRITE_ONCE(ifq->rq_consumed, ifq->rq_consumed + b->consumed);
	if (b->released)
		atomic_sub(b->released, &ifq->user_bufs);
	/* entries up to the head are read: the application may reuse them */
	smp_store_release(&ifq->rq_ring->head, ifq->cached_rq_head);
}

static void io_zcrx_ring_refill(struct page_pool *pp, struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_rq_batch b = {};
	u32 entries;

	guard(spinlock_bh)(&ifq->rq_lock);
	entries = io_zcrx_rqring_entries(ifq);
	entries = min_t(u32, entries, PP_ALLOC_CACHE_REFILL - pp->alloc.count);
	while (entries--) {
		struct net_iov *niov = io_zcrx_consume_rqe(ifq, &b);

		if (!niov)
			continue;
		if (unlikely(niov->pp != pp)) {
			io_zcrx_return_niov(niov);
			continue;
		}
		io_zcrx_sync_for_device(pp, niov);
		pp->alloc.cache[pp->alloc.count++] = net_iov_to_netmem(niov);
	}
	io_zcrx_rq_batch_done(ifq, &b);
}

/*
 * Consume up to IO_ZCRX_FLUSH_BATCH refill entries outside the page pool's
 * context.  Only the entries are read under the BH lock; the buffers go
 * back to their pools or the freelist after it is dropped.  Returns the
 * number of entries consumed.
 */
static u32 io_zcrx_flush_rq_batch(struct io_zcrx_ifq *ifq)
{
	struct net_iov *niovs[IO_ZCRX_FLUSH_BATCH];
	struct io_zcrx_rq_batch b = {};
	u32 entries, i, nr = 0;

	spin_lock_bh(&ifq->rq_lock);
	entries = min_t(u32, io_zcrx_rqring_entries(ifq), IO_ZCRX_FLUSH_BATCH);
	for (i = 0; i < entries; i++) {
		struct net_iov *niov = io_zcrx_consume_rqe(ifq, &b);

		if (niov)
			niovs[nr++] = niov;
	}
	io_zcrx_rq_batch_done(ifq, &b);
	spin_unlock_bh(&ifq->rq_lock);

	for (i = 0; i < nr; i++)
		io_zcrx_return_niov(niovs[i]);
	return entries;
}

/*
 * Consume the refill ring now, batch by batch, at most one ring's worth of
 * entries: the application may keep adding more.  With @need_free, stop as
 * soon as a buffer is free for a copy.  Yields between batches and stops
 * for a fatal signal.
 */
static int io_zcrx_flush_rq(struct io_zcrx_ifq *ifq, bool need_free)
{
	u32 done = 0, nr;

	do {
		nr = io_zcrx_flush_rq_batch(ifq);
		done += nr;
		if (need_free && READ_ONCE(ifq->area->free_count))
			break;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	} while (nr == IO_ZCRX_FLUSH_BATCH && done < ifq->rq_entries);
	return 0;
}

/**
 * io_zcrx_ctrl() - IORING_REGISTER_ZCRX_CTRL
 * @ctx: the ring
 * @arg: &struct zcrx_ctrl from user space
 * @nr_args: must be 0
 *
 * Context: process, with ctx->uring_lock held.
 * Return: 0 or a negative errno.
 */
int io_zcrx_ctrl(struct io_ring_ctx *ctx, void __user *arg,
		 unsigned int nr_args)
{
	struct io_zcrx_ifq *ifq;
	struct zcrx_ctrl ctrl;

	lockdep_assert_held(&ctx->uring_lock);

	if (nr_args)
		return -EINVAL;
	if (copy_from_user(&ctrl, arg, sizeof(ctrl)))
		return -EFAULT;
	if (memchr_inv(ctrl.__resv, 0, sizeof(ctrl.__resv)))
		return -EINVAL;
	ifq = xa_load(&ctx->zcrx_ctxs, ctrl.zcrx_id);
	if (!ifq)
		return -EINVAL;

	switch (ctrl.op) {
	case ZCRX_CTRL_FLUSH_RQ:
		if (memchr_inv(&ctrl.zc_flush, 0, sizeof(ctrl.zc_flush)))
			return -EINVAL;
		return io_zcrx_flush_rq(ifq, false);
	case ZCRX_CTRL_EXPORT:
		return io_zcrx_export(ifq, &ctrl, arg);
	case ZCRX_CTRL_ARM_EVENT:
		return io_zcrx_arm_event(ctx, ifq, &ctrl);
	}
	return -EOPNOTSUPP;
}

static void io_zcrx_freelist_refill(struct page_pool *pp,
				    struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;

	guard(spinlock_bh)(&area->freelist_lock);
	while (area->free_count > area->copy_reserve &&
	       pp->alloc.count < PP_ALLOC_CACHE_REFILL) {
		struct net_iov *niov = __io_zcrx_get_free_niov(area);

		net_mp_niov_set_page_pool(pp, niov);
		io_zcrx_sync_for_device(pp, niov);
		pp->alloc.cache[pp->alloc.count++] = net_iov_to_netmem(niov);
	}
}

static netmem_ref io_pp_zc_alloc_netmems(struct page_pool *pp, gfp_t gfp)
{
	struct io_zcrx_ifq *ifq = pp->mp_priv;

	/* the pool only asks once its own cache is empty */
	if (unlikely(pp->alloc.count))
		goto out;

	io_zcrx_ring_refill(pp, ifq);
	if (!pp->alloc.count)
		io_zcrx_freelist_refill(pp, ifq);
	if (!pp->alloc.count) {
		io_zcrx_event(ifq, ZCRX_EVENT_ALLOC_FAIL);
		return 0;
	}
out:
	return pp->alloc.cache[--pp->alloc.count];
}

static bool io_pp_zc_release_netmem(struct page_pool *pp, netmem_ref netmem)
{
	struct net_iov *niov;

	if (WARN_ON_ONCE(!netmem_is_net_iov(netmem)))
		return false;

	niov = netmem_to_net_iov(netmem);
	net_mp_niov_clear_page_pool(niov);
	io_zcrx_return_niov_freelist(niov);
	/* the pool must not put_page() our buffers */
	return false;
}

/*
 * A page pool of the bound queue is created, under rtnl, after every check
 * of the binding: map the area for the pool's device now, once.
 */
static int io_pp_zc_init(struct page_pool *pp)
{
	struct io_zcrx_ifq *ifq = pp->mp_priv;
	int ret;

	if (WARN_ON_ONCE(!ifq))
		return -EINVAL;
	if (WARN_ON_ONCE(!pp->dma_map))
		return -EOPNOTSUPP;
	/* the driver sized its buffers as the provider asked */
	if (pp->p.order != io_zcrx_buf_order(ifq))
		return -EINVAL;
	if (pp->p.dma_dir != DMA_FROM_DEVICE)
		return -EOPNOTSUPP;

	ret = io_zcrx_map_area(ifq, pp->p.dev);
	if (ret)
		return ret;
	/*
	 * An importer must not sync a dmabuf's DMA addresses for the CPU or
	 * the device: they may not even be memory the CPU has.
	 */
	if (ifq->area->dmabuf) {
		pp->dma_sync = false;
		pp->dma_sync_for_cpu = false;
	}
	refcount_inc(&ifq->refs);
	return 0;
}

static void io_pp_zc_destroy(struct page_pool *pp)
{
	io_zcrx_ifq_put(pp->mp_priv);
}

static int io_pp_nl_fill(void *mp_priv, struct sk_buff *rsp,
			 struct netdev_rx_queue *rxq)
{
	int type = rxq ? NETDEV_A_QUEUE_IO_URING : NETDEV_A_PAGE_POOL_IO_URING;
	struct nlattr *nest;

	nest = nla_nest_start(rsp, type);
	if (!nest)
		return -EMSGSIZE;
	nla_nest_end(rsp, nest);
	return 0;
}

static void io_pp_uninstall(void *mp_priv, struct netdev_rx_queue *rxq)
{
	struct io_zcrx_ifq *ifq = mp_priv;

	ASSERT_RTNL();

	memset(&rxq->mp_params, 0, sizeof(rxq->mp_params));
	/* the device goes away: nothing may DMA into the area any more */
	io_zcrx_unmap_area(ifq);
	if (ifq->netdev)
		io_zcrx_drop_netdev(ifq);
}

/*
 * An area of user memory is pinned, so the stack can read the payload
 * where it needs to (urgent data, TCP-MD5/AO, checksums); the pages stay
 * pinned while any page pool, and so any skb, holds one of the area's
 * buffers.  A dmabuf has no page for the CPU: NULL, and the stack treats
 * its payload as unreadable.
 */
static struct page *io_pp_cpu_page(const struct net_iov *niov)
{
	return io_zcrx_iov_page(niov);
}

static const struct memory_provider_ops io_uring_pp_zc_ops = {
	.alloc_netmems		= io_pp_zc_alloc_netmems,
	.release_netmem		= io_pp_zc_release_netmem,
	.init			= io_pp_zc_init,
	.destroy		= io_pp_zc_destroy,
	.nl_fill		= io_pp_nl_fill,
	.uninstall		= io_pp_uninstall,
	.cpu_page		= io_pp_cpu_page,
};

struct io_zcrx_args {
	struct io_kiocb		*req;
	struct io_zcrx_ifq	*ifq;
	unsigned int		nr_skbs;
	/* counted in the ifq once per issue, not per buffer */
	unsigned int		new_user_bufs;
	u64			zc_bytes;
	/* the last zero-copy completion, while it may still grow */
	struct io_uring_cqe	*last_cqe;
	struct net_iov		*last_niov;
	unsigned int		last_end;
	unsigned int		last_tail;	/* the ring's tail after it */
	/* an error met after some bytes were already handed over */
	int			err;
	bool			budget_hit;
};

static struct io_uring_cqe *io_zcrx_queue_cqe(struct io_kiocb *req,
					      struct net_iov *niov,
					      unsigned int off, unsigned int len)
{
	struct io_zcrx_area *area = io_zcrx_iov_to_area(niov);
	struct io_ring_ctx *ctx = req->ctx;
	struct io_uring_zcrx_cqe *rcqe;
	struct io_uring_cqe *cqe;
	u64 offset;

	lockdep_assert_held(&ctx->uring_lock);

	if (!io_defer_get_uncommited_cqe(ctx, &cqe))
		return NULL;

	offset = ((u64)net_iov_idx(niov) << area->ifq->niov_shift) + off;
	cqe->user_data = req->cqe.user_data;
	cqe->res = len;
	cqe->flags = IORING_CQE_F_MORE;
	rcqe = (struct io_uring_zcrx_cqe *)(cqe + 1);
	rcqe->off = offset | ((u64)area->area_id << IORING_ZCRX_AREA_SHIFT);
	rcqe->__pad = 0;
	return cqe;
}

/*
 * If the stream's next @len bytes sit in @niov at @off, right after those
 * of the last completion, and no other completion was posted since (it is
 * the last one in the ring, not yet visible to the application), let that
 * one cover them: payload that a NIC packed into one buffer, frame after
 * frame, costs one completion, one refill entry and one reference instead
 * of one per frame.
 */
static bool io_zcrx_extend_cqe(struct io_zcrx_args *args,
			       struct net_iov *niov, unsigned int off,
			       unsigned int len)
{
	struct io_ring_ctx *ctx = args->req->ctx;

	lockdep_assert_held(&ctx->uring_lock);

	/*
	 * Nothing posted since (the cached tail is still the one after it)
	 * and nothing published (the tail the application sees is behind).
	 */
	if (args->last_niov != niov || args->last_end != off ||
	    ctx->cached_cq_tail != args->last_tail ||
	    READ_ONCE(ctx->rings->cq.tail) == args->last_tail)
		return false;
	args->last_cqe->res += len;
	args->last_end += len;
	return true;
}

static struct net_iov *io_zcrx_alloc_fallback(struct io_zcrx_ifq *ifq)
{
	struct io_zcrx_area *area = ifq->area;
	struct net_iov *niov = NULL;

	/*
	 * Copied buffers come back through the refill ring, which the NIC
	 * only reads when it needs buffers: look there before giving up.
	 */
	if (!READ_ONCE(area->free_count))
		io_zcrx_flush_rq(ifq, true);

	spin_lock_bh(&area->freelist_lock);
	if (area->free_count)
		niov = __io_zcrx_get_free_niov(area);
	spin_unlock_bh(&area->freelist_lock);

	if (!niov) {
		io_zcrx_event(ifq, ZCRX_EVENT_ALLOC_FAIL);
		return NULL;
	}
	page_pool_fragment_netmem(net_iov_to_netmem(niov), 1);
	return niov;
}

/*
 * Copy @len bytes, starting @off bytes into @page (possibly compound), to
 * the start of buffer @dst, which may span several pages.
 */
static void io_zcrx_copy_page(struct net_iov *dst, struct page *page,
			      size_t off, size_t len)
{
	struct page *dst_page = io_zcrx_iov_page(dst);
	size_t done = 0;

	while (done < len) {
		size_t src_off = offset_in_page(off);
		size_t dst_off = offset_in_page(done);
		size_t n = min3(len - done, PAGE_SIZE - src_off,
				PAGE_SIZE - dst_off);
		void *src_addr = kmap_local_page(nth_page(page, off / PAGE_SIZE));
		void *dst_addr = kmap_local_page(nth_page(dst_page,
							  done / PAGE_SIZE));

		memcpy(dst_addr + dst_off, src_addr + src_off, n);
		kunmap_local(dst_addr);
		kunmap_local(src_addr);
		done += n;
		off += n;
	}
}

static ssize_t io_zcrx_copy_chunk(struct io_zcrx_args *args,
				  struct page *page, size_t off, size_t len)
{
	struct io_zcrx_ifq *ifq = args->ifq;
	unsigned int nr = 0;
	size_t copied = 0;
	int ret = 0;

	/* the CPU cannot write into a dmabuf: the flow must be steered */
	if (ifq->area->dmabuf)
		return -EFAULT;

	while (len) {
		size_t n = min_t(size_t, len, io_zcrx_buf_len(ifq));
		struct net_iov *niov;

		niov = io_zcrx_alloc_fallback(ifq);
		if (!niov) {
			ret = -ENOMEM;
			break;
		}
		io_zcrx_copy_page(niov, page, off, n);
		if (!io_zcrx_queue_cqe(args->req, niov, 0, n)) {
			io_zcrx_return_niov_freelist(niov);
			ret = -ENOSPC;
			break;
		}
		args->new_user_bufs += io_zcrx_get_niov_uref(niov);
		off += n;
		len -= n;
		copied += n;
		nr++;
	}
	if (copied)
		io_zcrx_account_copy(ifq, nr, copied);
	return copied ? copied : ret;
}

static ssize_t io_zcrx_recv_frag(struct io_zcrx_args *args,
				 const skb_frag_t *frag, unsigned int off,
				 unsigned int len)
{
	struct io_zcrx_ifq *ifq = args->ifq;
	struct net_iov *niov;

	off += skb_frag_off(frag);

	if (!skb_frag_is_net_iov(frag))
		return io_zcrx_copy_chunk(args, skb_frag_page(frag), off, len);

	niov = netmem_to_net_iov(frag->netmem);
	/*
	 * Only buffers of our own area are ours to hand over: that one
	 * comparison also rules out devmem's net_iovs and other areas'.
	 */
	if (unlikely(net_iov_owner(niov) != &ifq->area->nia))
		return -EFAULT;
	if (WARN_ON_ONCE(off + len > io_zcrx_buf_len(ifq)))
		return -EFAULT;

	if (io_zcrx_extend_cqe(args, niov, off, len)) {
		args->zc_bytes += len;
		return len;
	}

	args->last_cqe = io_zcrx_queue_cqe(args->req, niov, off, len);
	if (!args->last_cqe) {
		args->last_niov = NULL;
		return -ENOSPC;
	}
	args->last_niov = niov;
	args->last_end = off + len;
	args->last_tail = args->req->ctx->cached_cq_tail;
	args->zc_bytes += len;

	/* the skb keeps its reference, the application gets its own */
	page_pool_ref_netmem(net_iov_to_netmem(niov));
	args->new_user_bufs += io_zcrx_get_niov_uref(niov);
	return len;
}

/*
 * Hand over @len bytes of @skb from @offset, recursing into the frag list.
 * Returns the bytes handed over, or an error if there were none; an error
 * after some progress is left in args->err.
 */
static ssize_t io_zcrx_walk_skb(struct io_zcrx_args *args,
				const struct sk_buff *skb,
				unsigned int offset, size_t len)
{
	unsigned int start, start_off = offset;
	struct sk_buff *frag_iter;
	ssize_t ret = 0;
	size_t copy;
	int i;

	start = skb_headlen(skb);
	if (offset < start) {
		void *data = skb->data + offset;

		copy = min_t(size_t, start - offset, len);
		ret = io_zcrx_copy_chunk(args, virt_to_page(data),
					 offset_in_page(data), copy);
		if (ret < 0)
			goto out;
		offset += ret;
		len -= ret;
		if (!len || ret != copy)
			goto out;
	}

	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		unsigned int end = start + skb_frag_size(frag);

		if (offset < end) {
			copy = min_t(size_t, end - offset, len);
			ret = io_zcrx_recv_frag(args, frag, offset - start,
						copy);
			if (ret < 0)
				goto out;
			offset += ret;
			len -= ret;
			if (!len || ret != copy)
				goto out;
		}
		start = end;
	}

	skb_walk_frags(skb, frag_iter) {
		unsigned int end = start + frag_iter->len;

		if (offset < end) {
			copy = min_t(size_t, end - offset, len);
			ret = io_zcrx_walk_skb(args, frag_iter, offset - start,
					       copy);
			if (ret < 0)
				goto out;
			offset += ret;
			len -= ret;
			if (!len || ret != copy)
				goto out;
		}
		start = end;
	}
out:
	if (offset == start_off)
		return ret;
	if (ret < 0)
		args->err = ret;
	return offset - start_off;
}

static int io_zcrx_recv_skb(read_descriptor_t *desc, struct sk_buff *skb,
			    unsigned int offset, size_t len)
{
	struct io_zcrx_args *args = desc->arg.data;
	ssize_t ret;

	/* the byte budget is only charged here, never in the recursion */
	len = min_t(size_t, len, desc->count);
	if (!len || args->err)
		return 0;
	if (args->nr_skbs++ >= IO_ZCRX_SKBS_PER_ISSUE) {
		args->budget_hit = true;
		return 0;
	}

	ret = io_zcrx_walk_skb(args, skb, offset, len);
	if (ret > 0)
		desc->count -= ret;
	return ret;
}

/*
 * tcp_read_sock() stops at the urgent mark and nothing moves it on.  Do
 * what tcp_recvmsg() does there: with SO_OOBINLINE off the urgent byte is
 * not part of the stream and is stepped over; with it on, it is read in
 * line, so the mark is lifted for the next read (and put back by
 * io_zcrx_urg_done() if that read does not get past it).  The urgent
 * state ends once the stream has passed the mark, as with recvmsg(); until
 * then MSG_OOB reads the byte.  Returns true if the stream may go on.
 */
static bool io_zcrx_pass_urg_mark(struct sock *sk, u32 *held_urg)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	u32 off;

	/* at the mark, with the urgent byte queued (not just a FIN) */
	if (!tp->urg_data || tp->urg_seq != tp->copied_seq)
		return false;
	skb = tcp_recv_skb(sk, tp->copied_seq, &off);
	if (!skb || off >= skb->len)
		return false;

	if (sock_flag(sk, SOCK_URGINLINE)) {
		*held_urg = tp->urg_data;
	} else {
		WRITE_ONCE(tp->copied_seq, tp->copied_seq + 1);
		*held_urg = 0;
	}
	WRITE_ONCE(tp->urg_data, 0);
	tcp_fast_path_check(sk);
	return true;
}

/* Returns false if the in-line urgent byte was not read after all. */
static bool io_zcrx_urg_done(struct sock *sk, u32 urg_seq, u32 *held_urg)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 urg = *held_urg;

	*held_urg = 0;
	if (tp->copied_seq != urg_seq)
		return true;
	/* back to the mark, as if this read had not happened */
	WRITE_ONCE(tp->urg_data, urg);
	tp->pred_flags = 0;
	return false;
}

static int io_zcrx_tcp_recvmsg(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
			       struct sock *sk, unsigned int *outlen)
{
	unsigned int len = *outlen;
	struct io_zcrx_args args = {
		.req = req,
		.ifq = ifq,
	};
	read_descriptor_t rd_desc = {
		.count = len ? len : UINT_MAX,
		.arg.data = &args,
	};
	u32 held_urg = 0, urg_seq = 0;
	int ret, copied = 0;

	lock_sock(sk);
	/*
	 * Only a plain TCP socket: a ULP (kTLS) or a sockmap that took over
	 * the receive path, or a strparser that reads from the data-ready
	 * callback (KCM), owns the queued skbs.  The first two are installed
	 * under the socket lock, so the check holds while we read; KCM
	 * swaps the callback under sk_callback_lock only, but its
	 * strparser reads under the socket lock too, so it reads after us.
	 */
	if (READ_ONCE(sk->sk_prot)->recvmsg != tcp_recvmsg ||
	    READ_ONCE(sk->sk_data_ready) != sock_def_readable) {
		ret = -EPROTONOSUPPORT;
		goto out;
	}

	for (;;) {
		ret = tcp_read_sock(sk, &rd_desc, io_zcrx_recv_skb);
		if (ret > 0)
			copied += ret;
		else if (ret < 0 && copied && !args.err)
			args.err = ret;
		if (held_urg && !io_zcrx_urg_done(sk, urg_seq, &held_urg))
			break;
		if (ret < 0 || args.err || args.budget_hit || !rd_desc.count)
			break;
		urg_seq = tcp_sk(sk)->urg_seq;
		if (!io_zcrx_pass_urg_mark(sk, &held_urg))
			break;
	}
	if (copied)
		ret = copied;
	if (len && ret > 0)
		*outlen = len - ret;

	if (args.err) {
		ret = args.err;
	} else if (ret <= 0) {
		if (ret < 0 || sock_flag(sk, SOCK_DONE))
			goto out;
		if (sk->sk_err)
			ret = sock_error(sk);
		else if (sk->sk_shutdown & RCV_SHUTDOWN)
			goto out;
		else if (sk->sk_state == TCP_CLOSE)
			ret = -ENOTCONN;
		else
			ret = -EAGAIN;
	} else if (args.budget_hit ||
		   !skb_queue_empty(&sk->sk_receive_queue)) {
		/* more is waiting: yield, then come back */
		ret = IOU_REQUEUE;
	} else if (sk->sk_shutdown & RCV_SHUTDOWN) {
		/* all data handed over and the peer is done */
		ret = 0;
	}
out:
	if (args.new_user_bufs)
		atomic_add(args.new_user_bufs, &ifq->user_bufs);
	if (args.zc_bytes)
		atomic64_add(args.zc_bytes, &ifq->zc_bytes);
	release_sock(sk);
	return ret;
}

/**
 * io_zcrx_recv() - hand a TCP socket's queued payload to the application
 * @req: the RECV_ZC request
 * @ifq: the interface queue whose area receives the data
 * @sock: the socket
 * @flags: MSG_* flags
 * @issue_flags: IO_URING_F_* flags of this issue
 * @len: bytes the request may still take (0: unlimited), updated
 *
 * Urgent data is handled as recvmsg() does: the urgent byte is skipped
 * unless SO_OOBINLINE is set, and never stops the stream.
 *
 * Return: bytes handed over (> 0), 0 at end of stream, -EAGAIN when
 * nothing is queued, IOU_REQUEUE when there is more to do after others
 * had their turn, -EPROTONOSUPPORT for a socket that is not plain TCP, or
 * a negative errno that ends the request.
 */
int io_zcrx_recv(struct io_kiocb *req, struct io_zcrx_ifq *ifq,
		 struct socket *sock, unsigned int flags,
		 unsigned int issue_flags, unsigned int *len)
{
	struct sock *sk = sock->sk;

	sock_rps_record_flow(sk);
	return io_zcrx_tcp_recvmsg(req, ifq, sk, len);
}

/**
 * io_zcrx_show_fdinfo() - describe the ring's interface queues
 * @m: the fdinfo file
 * @ctx: the ring
 *
 * Anyone who may read the ring's fdinfo calls this as often as they like:
 * it takes no lock and reads only what registration recorded and counters
 * kept up to date on the way, nothing per buffer.
 */
void io_zcrx_show_fdinfo(struct seq_file *m, struct io_ring_ctx *ctx)
{
	struct io_zcrx_ifq *ifq;
	unsigned long index;

	xa_for_each(&ctx->zcrx_ctxs, index, ifq) {
		struct io_zcrx_area *area = ifq->area;
		bool gone = READ_ONCE(ifq->if_gone);
		u32 nr, free, user;

		nr = area->nia.num_niovs;
		free = min_t(u32, READ_ONCE(area->free_count), nr);
		user = clamp_t(int, atomic_read(&ifq->user_bufs), 0, nr - free);
		/* one line per ifq, printed in pieces */
		/* an imported ifq has this ring's id, not its creator's */
		seq_printf(m, "ZcrxIfq:\tid=%lu dev=%s ifindex=%d rxq=%u",
			   index,
			   gone || !ifq->ifname[0] ? "-" : ifq->ifname,
			   gone ? 0 : ifq->ifindex, ifq->if_rxq);
		seq_printf(m, " area_bytes=%lu bufs=%u free=%u nic=%u user=%u",
			   (unsigned long)nr << ifq->niov_shift, nr, free,
			   nr - free - user, user);
		seq_printf(m, " zc_bytes=%llu copy_bytes=%llu copy_count=%llu",
			   (u64)atomic64_read(&ifq->zc_bytes),
			   (u64)atomic64_read(&ifq->copy_bytes),
			   (u64)atomic64_read(&ifq->copy_count));
		seq_printf(m, " rq_consumed=%llu rq_invalid=%llu\n",
			   READ_ONCE(ifq->rq_consumed),
			   READ_ONCE(ifq->rq_invalid));
	}
}
