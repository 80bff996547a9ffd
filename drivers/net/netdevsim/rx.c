// SPDX-License-Identifier: GPL-2.0
/*
 * netdevsim's receive engine: a model of a NIC that DMAs frames into
 * buffers of its rx queue's page pool and, with tcp-data-split enabled,
 * splits the headers of TCP frames from their payload.
 *
 * The peer's transmitted skbs wait on the rx queue's ring until its NAPI
 * instance picks them up.  For each frame the engine then
 *  - with split on, copies the headers through the TCP header into the
 *    linear part of a new skb and writes the payload, page by page, into
 *    buffers of the queue's page pool (which may come from a memory
 *    provider), attached as frags;  frames that are not TCP go entirely
 *    into the linear part, as into a NIC's header buffer;
 *  - with split off, writes the whole frame into page pool buffers and
 *    pulls the headers into the linear part, as drivers do.
 * Both modes copy every byte once, so they cost the same: a real NIC
 * always DMAs.  The buffers are written through their DMA addresses, as a
 * device would; the sender's skb is freed, never handed to the receiver.
 */
#include <linux/dma-direct.h>
#include <linux/etherdevice.h>
#include <linux/highmem.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/busy_poll.h>
#include <net/page_pool/helpers.h>

#include "netdevsim.h"

#define NSIM_RX_HDR_MAX		256

/* Length of the Ethernet, IP and TCP headers of @frame; 0 if not TCP. */
static unsigned int nsim_rx_split_offset(const struct sk_buff *frame)
{
	unsigned int off = ETH_HLEN;
	const struct tcphdr *th;
	struct tcphdr _th;
	u8 proto;

	switch (frame->protocol) {
	case htons(ETH_P_IP): {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(frame, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || ip_is_fragment(iph))
			return 0;
		proto = iph->protocol;
		off += iph->ihl * 4;
		break;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;

		ip6h = skb_header_pointer(frame, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return 0;
		proto = ip6h->nexthdr;
		off += sizeof(*ip6h);
		break;
	}
	default:
		return 0;
	}
	if (proto != IPPROTO_TCP)
		return 0;
	th = skb_header_pointer(frame, off, sizeof(_th), &_th);
	if (!th || th->doff < 5)
		return 0;
	off += th->doff * 4;
	return off <= frame->len ? off : 0;
}

/*
 * Write @len bytes of @frame at @off into the buffer @netmem, through its
 * DMA address: the bus device uses dma-direct, so the address translates
 * back to the physical page, whoever provides it.
 */
static int nsim_rx_dma(struct page_pool *pool, netmem_ref netmem,
		       const struct sk_buff *frame, unsigned int off,
		       unsigned int len)
{
	dma_addr_t dma = page_pool_get_dma_addr_netmem(netmem);
	phys_addr_t phys = dma_to_phys(pool->p.dev, dma);
	void *va;
	int err;

	va = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
	err = skb_copy_bits(frame, off, va + offset_in_page(phys), len);
	kunmap_local(va);
	if (!err && !netmem_is_net_iov(netmem))
		page_pool_dma_sync_netmem_for_cpu(pool, netmem, 0, len);
	return err;
}

static void nsim_rx_count(struct nsim_rq *rq, unsigned int len, bool split,
			  bool alloc_fail)
{
	u64_stats_update_begin(&rq->stats.syncp);
	if (alloc_fail) {
		rq->stats.alloc_fail++;
	} else {
		rq->stats.packets++;
		rq->stats.bytes += len;
		rq->stats.split += split;
	}
	u64_stats_update_end(&rq->stats.syncp);
}

/**
 * nsim_rx_frame() - receive one frame on an rx queue
 * @ns: the receiving port
 * @rq: its rx queue
 * @frame: the peer's skb, data at the network header; consumed
 *
 * Context: the queue's NAPI poll.
 */
void nsim_rx_frame(struct netdevsim *ns, struct nsim_rq *rq,
		   struct sk_buff *frame)
{
	struct page_pool *pool = rq->page_pool;
	bool split = READ_ONCE(ns->tcp_data_split);
	unsigned int linear, off, len, frags = 0;
	struct net_device *dev = ns->netdev;
	struct sk_buff *skb;
	netmem_ref netmem;

	/* The frame as it was on the wire. */
	skb_push(frame, ETH_HLEN);

	if (split) {
		linear = nsim_rx_split_offset(frame);
		if (!linear)
			linear = frame->len;
	} else {
		linear = 0;
	}

	skb = napi_alloc_skb(&rq->napi, max(linear, NSIM_RX_HDR_MAX));
	if (!skb)
		goto drop_alloc;
	skb_mark_for_recycle(skb);
	if (linear && skb_copy_bits(frame, 0, skb_put(skb, linear), linear))
		goto drop;

	for (off = linear; off < frame->len; off += len) {
		if (frags == MAX_SKB_FRAGS)
			goto drop;
		netmem = page_pool_alloc_netmems(pool, GFP_ATOMIC | __GFP_NOWARN);
		if (!netmem)
			goto drop_alloc;
		len = min_t(unsigned int, frame->len - off, PAGE_SIZE);
		if (nsim_rx_dma(pool, netmem, frame, off, len)) {
			page_pool_put_full_netmem(pool, netmem, true);
			goto drop;
		}
		skb_add_rx_frag_netmem(skb, frags++, netmem, 0, len, PAGE_SIZE);
	}

	if (!split) {
		/* Headers come from the buffers, as in any driver. */
		len = eth_get_headlen(dev, frame->data, skb_headlen(frame));
		if (!__pskb_pull_tail(skb, min(len, skb->len)))
			goto drop;
	}

	if (skb_is_gso(frame) && (skb_shinfo(frame)->gso_type &
				  (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))) {
		/* Like hardware GRO: one skb for the whole burst. */
		skb_shinfo(skb)->gso_size = skb_shinfo(frame)->gso_size;
		skb_shinfo(skb)->gso_type = skb_shinfo(frame)->gso_type &
					    (SKB_GSO_TCPV4 | SKB_GSO_TCPV6);
		skb_shinfo(skb)->gso_segs = skb_shinfo(frame)->gso_segs;
	}
	/* The sender left the checksum to "hardware": it was checked here. */
	if (frame->ip_summed == CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_UNNECESSARY;

	len = frame->len;
	consume_skb(frame);

	skb->protocol = eth_type_trans(skb, dev);
	skb_record_rx_queue(skb, rq - ns->rq);
	skb_mark_napi_id(skb, &rq->napi);
	nsim_rx_count(rq, len, split && frags && linear < len, false);
	netif_receive_skb(skb);
	return;

drop_alloc:
	nsim_rx_count(rq, 0, false, true);
drop:
	kfree_skb(skb);
	kfree_skb(frame);
	dev_core_stats_rx_dropped_inc(dev);
}

static const char nsim_rx_stat_names[][ETH_GSTRING_LEN] = {
	"packets", "bytes", "split", "alloc_fail",
};

#define NSIM_RX_NSTATS	ARRAY_SIZE(nsim_rx_stat_names)

/**
 * nsim_rx_get_sset_count() - number of per-queue rx counters
 * @ns: the port
 *
 * Return: the number of ethtool -S values.
 */
int nsim_rx_get_sset_count(struct netdevsim *ns)
{
	return ns->netdev->num_rx_queues * NSIM_RX_NSTATS;
}

/**
 * nsim_rx_get_strings() - names of the per-queue rx counters
 * @ns: the port
 * @data: ethtool's string table
 */
void nsim_rx_get_strings(struct netdevsim *ns, u8 *data)
{
	unsigned int i, j;

	for (i = 0; i < ns->netdev->num_rx_queues; i++)
		for (j = 0; j < NSIM_RX_NSTATS; j++)
			ethtool_sprintf(&data, "rx%u_%s", i, nsim_rx_stat_names[j]);
}

/**
 * nsim_rx_get_stats() - values of the per-queue rx counters
 * @ns: the port
 * @data: where to write them, in the order of nsim_rx_get_strings()
 */
void nsim_rx_get_stats(struct netdevsim *ns, u64 *data)
{
	unsigned int i, start;

	for (i = 0; i < ns->netdev->num_rx_queues; i++, data += NSIM_RX_NSTATS) {
		struct nsim_rq_stats *s = &ns->rq[i].stats;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			data[0] = s->packets;
			data[1] = s->bytes;
			data[2] = s->split;
			data[3] = s->alloc_fail;
		} while (u64_stats_fetch_retry(&s->syncp, start));
	}
}
