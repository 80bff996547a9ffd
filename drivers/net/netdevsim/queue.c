// SPDX-License-Identifier: GPL-2.0
/*
 * Rx queue management for netdevsim: each rx queue has its own page pool,
 * DMA-mapped for the bus device, which takes its buffers from a memory
 * provider when one is bound to the queue.  A queue can be stopped and
 * restarted with a new pool while the device is up; frames that arrive in
 * the meantime wait on the queue's ring.
 */
#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu-dma.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/netdev_queues.h>
#include <net/netdev_rx_queue.h>
#include <net/page_pool/helpers.h>

#include "netdevsim.h"

/* the largest rx buffer a memory provider may ask for: 64 KiB */
#define NSIM_RX_MAX_ORDER	(PAGE_SHIFT < 16 ? 16 - PAGE_SHIFT : 0)

struct nsim_queue_mem {
	struct page_pool *pp;
};

/**
 * nsim_create_page_pool() - create the page pool of an rx queue
 * @ns: the port
 * @idx: index of the rx queue
 * @pp: where to store the pool
 *
 * The pool picks up the memory provider bound to the queue, if any.  The
 * receive engine can only model a device's DMA under dma-direct: behind
 * an IOMMU or other DMA ops, or with no DMA mask (see dma_mask_bits), the
 * pool hands out pages that are not mapped and that the engine writes
 * through their CPU address, and a memory provider (whose buffers can
 * only be reached by DMA) is refused.
 *
 * Context: rtnl held.
 * Return: 0 or a negative errno.
 */
int nsim_create_page_pool(struct netdevsim *ns, unsigned int idx,
			  struct page_pool **pp)
{
	struct netdev_rx_queue *rxq = __netif_get_rx_queue(ns->netdev, idx);
	/* a provider may ask for larger buffers, up to NSIM_RX_MAX_ORDER */
	unsigned int order = rxq->mp_params.rx_page_order;
	struct page_pool_params p = {
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV |
			 PP_FLAG_ALLOW_UNREADABLE_NETMEM,
		.order = order,
		.pool_size = NSIM_RING_SIZE,
		.nid = NUMA_NO_NODE,
		.dev = &ns->nsim_bus_dev->dev,
		.napi = &ns->rq[idx].napi,
		.dma_dir = DMA_FROM_DEVICE,
		.max_len = PAGE_SIZE << order,
		.netdev = ns->netdev,
		.queue_idx = idx,
	};
	struct page_pool *pool;

	/*
	 * The receive engine plays the device: it writes where a buffer's
	 * bus address points, which only dma-direct (with or without swiotlb
	 * bouncing) lets it know.  Under an IOMMU or other DMA ops it would
	 * write to the wrong memory, and without a DMA mask it cannot map:
	 * use unmapped pages then, written by the CPU, and refuse a
	 * provider's buffers, which have no other address.
	 */
	if (use_dma_iommu(p.dev) || get_dma_ops(p.dev) || !p.dev->dma_mask) {
		if (rxq->mp_params.mp_ops) {
			dev_err_ratelimited(p.dev, "a memory provider needs dma-direct and a DMA mask\n");
			return -EOPNOTSUPP;
		}
		p.flags &= ~(PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV);
	}

	pool = page_pool_create(&p);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	*pp = pool;
	return 0;
}

static int nsim_queue_mem_alloc(struct net_device *dev, void *per_queue_mem,
				int idx)
{
	struct nsim_queue_mem *qmem = per_queue_mem;
	struct netdevsim *ns = netdev_priv(dev);

	/* A port that is down has no pools; open creates them. */
	if (!netif_running(dev))
		return -ENETDOWN;
	return nsim_create_page_pool(ns, idx, &qmem->pp);
}

static void nsim_queue_mem_free(struct net_device *dev, void *per_queue_mem)
{
	struct nsim_queue_mem *qmem = per_queue_mem;

	if (qmem->pp)
		page_pool_destroy(qmem->pp);
	qmem->pp = NULL;
}

static int nsim_queue_stop(struct net_device *dev, void *per_queue_mem, int idx)
{
	struct nsim_queue_mem *qmem = per_queue_mem;
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_rq *rq = &ns->rq[idx];

	napi_disable(&rq->napi);
	nsim_rx_fill_done(rq, false);
	/* The old pool outlives the NAPI instance it was tied to. */
	page_pool_disable_direct_recycling(rq->page_pool);
	qmem->pp = rq->page_pool;
	rq->page_pool = NULL;
	return 0;
}

static int nsim_queue_start(struct net_device *dev, void *per_queue_mem,
			    int idx)
{
	struct nsim_queue_mem *qmem = per_queue_mem;
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_rq *rq = &ns->rq[idx];

	rq->page_pool = qmem->pp;
	qmem->pp = NULL;
	napi_enable(&rq->napi);
	/* Frames that arrived while the queue was stopped wait on the ring. */
	local_bh_disable();
	napi_schedule(&rq->napi);
	local_bh_enable();
	return 0;
}

const struct netdev_queue_mgmt_ops nsim_queue_mgmt_ops = {
	.ndo_queue_mem_size	= sizeof(struct nsim_queue_mem),
	.ndo_queue_mem_alloc	= nsim_queue_mem_alloc,
	.ndo_queue_mem_free	= nsim_queue_mem_free,
	.ndo_queue_start	= nsim_queue_start,
	.ndo_queue_stop		= nsim_queue_stop,
	.max_rx_page_order	= NSIM_RX_MAX_ORDER,
};

/* debugfs "queue_reset": write a queue index to restart that rx queue. */
static ssize_t nsim_queue_reset_write(struct file *file,
				      const char __user *data,
				      size_t count, loff_t *ppos)
{
	struct netdevsim *ns = file->private_data;
	unsigned int idx;
	ssize_t ret;

	ret = kstrtouint_from_user(data, count, 0, &idx);
	if (ret)
		return ret;

	rtnl_lock();
	if (idx >= ns->netdev->real_num_rx_queues)
		ret = -EINVAL;
	else if (!netif_running(ns->netdev))
		ret = -ENETDOWN;
	else
		ret = netdev_rx_queue_restart(ns->netdev, idx);
	rtnl_unlock();

	return ret ?: count;
}

static const struct file_operations nsim_queue_reset_fops = {
	.open = simple_open,
	.write = nsim_queue_reset_write,
	.llseek = generic_file_llseek,
	.owner = THIS_MODULE,
};

/**
 * nsim_queue_debugfs_init() - add the port's queue_reset debugfs file
 * @ns: the port
 */
void nsim_queue_debugfs_init(struct netdevsim *ns)
{
	ns->queue_reset_dfs = debugfs_create_file("queue_reset", 0200,
						  ns->nsim_dev_port->ddir, ns,
						  &nsim_queue_reset_fops);
}
