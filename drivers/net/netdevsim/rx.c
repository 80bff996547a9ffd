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
 * always DMAs.  Buffers larger than a page (a memory provider's choice)
 * are filled frame after frame until full, across NAPI polls, as a
 * striding RQ keeps its multi-packet buffer or an aggregation ring packs
 * payload: the frames of a flow then lie back to back in one buffer,
 * each frame's frag holding its own reference.  A frame that would not
 * fit in what is left starts the next buffer, unless it is larger than a
 * buffer anyway.  The buffers are written
 * through their DMA addresses, as a device would, and synced for the CPU
 * as a driver must; the sender's skb is freed, never handed to the
 * receiver.
 *
 * Like a NIC's receive checksum offload, the engine sums each TCP or UDP
 * frame while writing it: frames whose checksum holds reach the stack as
 * CHECKSUM_UNNECESSARY, the others are dropped and counted (csum_err),
 * since the stack could not verify payload that a memory provider keeps
 * out of the CPU's reach.  A frame whose sender left the checksum to the
 * hardware (CHECKSUM_PARTIAL) has none to verify and is taken as good.
 * The sender's debugfs file tx_corrupt damages frames on the wire.
 */
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/etherdevice.h>
#include <linux/highmem.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/busy_poll.h>
#include <net/ip6_checksum.h>
#include <net/page_pool/helpers.h>

#include "netdevsim.h"

#define NSIM_RX_HDR_MAX		256

/* Where the transport segment of a frame is, as the model parses it. */
struct nsim_rx_l4 {
	unsigned int off;	/* transport header */
	unsigned int end;	/* end of the transport segment */
	unsigned int hlen;	/* headers through TCP's; 0 if not TCP */
	unsigned int data;	/* first payload byte */
	__wsum psum;		/* pseudo-header sum */
	__wsum csum;		/* sum of [off, end) copied so far */
	u64 dma_ns;		/* time spent writing the frame */
	u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP or 0 */
	bool sum;		/* the checksum is to be verified */
};

/*
 * Parse the Ethernet, IP and TCP or UDP headers of @frame (data at the
 * Ethernet header).  @l4->proto is left 0 for anything else, for IP
 * fragments, extension headers and lengths that do not add up: the model
 * neither splits nor checksums such frames.
 */
static void nsim_rx_parse(const struct sk_buff *frame, struct nsim_rx_l4 *l4)
{
	unsigned int off = ETH_HLEN, end;
	const struct tcphdr *th;
	struct tcphdr _th;
	u8 proto;

	memset(l4, 0, sizeof(*l4));
	switch (frame->protocol) {
	case htons(ETH_P_IP): {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(frame, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || ip_is_fragment(iph))
			return;
		proto = iph->protocol;
		/* A GSO burst may be too long for tot_len, which is then 0. */
		end = iph->tot_len || !skb_is_gso(frame) ?
		      off + ntohs(iph->tot_len) : frame->len;
		off += iph->ihl * 4;
		if (end < off || end > frame->len)
			return;
		l4->psum = csum_tcpudp_nofold(iph->saddr, iph->daddr, end - off,
					      proto, 0);
		break;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;

		ip6h = skb_header_pointer(frame, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return;
		proto = ip6h->nexthdr;
		off += sizeof(*ip6h);
		end = off + ntohs(ip6h->payload_len);
		if (end == off || end > frame->len)
			return;
		l4->psum = ~csum_unfold(csum_ipv6_magic(&ip6h->saddr,
							&ip6h->daddr,
							end - off, proto, 0));
		break;
	}
	default:
		return;
	}

	switch (proto) {
	case IPPROTO_TCP:
		th = skb_header_pointer(frame, off, sizeof(_th), &_th);
		if (!th || th->doff < 5 || off + th->doff * 4 > end)
			return;
		l4->hlen = off + th->doff * 4;
		l4->data = l4->hlen;
		break;
	case IPPROTO_UDP: {
		const struct udphdr *uh;
		struct udphdr _uh;

		uh = skb_header_pointer(frame, off, sizeof(_uh), &_uh);
		if (!uh || off + sizeof(_uh) > end)
			return;
		l4->data = off + sizeof(_uh);
		/*
		 * The checksum covers the UDP length, which the stack checks
		 * against the IP one: leave a frame where they differ to it.
		 * So too a zero checksum: none was computed (IPv4), or the
		 * socket decides whether to take it (IPv6, UDP_NO_CHECK6_RX).
		 */
		if (ntohs(uh->len) != end - off || !uh->check)
			return;
		break;
	}
	default:
		return;
	}
	l4->off = off;
	l4->end = end;
	l4->proto = proto;
	l4->sum = true;
}

/*
 * Copy @len bytes of @frame at @off to @to and, if @l4->sum is set, add the
 * bytes of the transport segment to its checksum on the way, as a NIC sums
 * what it writes.
 */
static int nsim_rx_copy(const struct sk_buff *frame, unsigned int off,
			void *to, unsigned int len, struct nsim_rx_l4 *l4)
{
	unsigned int start, end;
	__wsum csum;

	start = clamp(l4->off, off, off + len);
	end = clamp(l4->end, off, off + len);
	if (!l4->sum || start == end)
		return skb_copy_bits(frame, off, to, len);

	if (start > off && skb_copy_bits(frame, off, to, start - off))
		return -EFAULT;
	csum = skb_copy_and_csum_bits(frame, start, to + start - off,
				      end - start);
	l4->csum = csum_block_add(l4->csum, csum, start - l4->off);
	if (end < off + len &&
	    skb_copy_bits(frame, end, to + end - off, off + len - end))
		return -EFAULT;
	return 0;
}

/*
 * Write @len bytes of @frame at @off into the buffer @netmem as the device
 * would: to the memory its DMA address points at, which is the buffer
 * itself or, when swiotlb bounces the mapping, its bounce slot.  A pool
 * that maps its buffers does so under dma-direct (nsim_create_page_pool()
 * sees to it), so dma_to_phys() tells that memory.  Then, like any
 * driver, sync the buffer for the CPU, whoever provides it: this is what
 * copies a bounce slot into the buffer that the stack and the application
 * read.  A pool that does not map (the device has DMA ops) holds pages,
 * written through their CPU address.
 *
 * The time the writes take is the device's, which a real NIC does not
 * spend on a CPU: it goes to @l4->dma_ns (ethtool's rxN_dma_ns), so that
 * a benchmark can tell the receiver's own CPU time from the model's.  The
 * sync, a driver's work, is not in it.
 */
static int nsim_rx_dma(struct page_pool *pool, netmem_ref netmem,
		       unsigned int boff, const struct sk_buff *frame,
		       unsigned int off, unsigned int len, struct nsim_rx_l4 *l4)
{
	u64 start = local_clock();
	unsigned int done, n;
	phys_addr_t phys;
	int err = 0;
	void *va;

	if (!pool->dma_map) {
		/* only a mapping pool fills a buffer at an offset */
		if (netmem_is_net_iov(netmem) || boff)
			return -EFAULT;
		va = kmap_local_page(netmem_to_page(netmem));
		err = nsim_rx_copy(frame, off, va, len, l4);
		kunmap_local(va);
		goto out;
	}

	phys = dma_to_phys(pool->p.dev, page_pool_get_dma_addr_netmem(netmem)) +
	       boff;
	for (done = 0; done < len; done += n) {
		if (!pfn_valid(PHYS_PFN(phys + done))) {
			err = -EFAULT;
			goto out;
		}
		n = min_t(unsigned int, len - done,
			  PAGE_SIZE - offset_in_page(phys + done));
		va = kmap_local_page(pfn_to_page(PHYS_PFN(phys + done)));
		err = nsim_rx_copy(frame, off + done,
				   va + offset_in_page(phys + done), n, l4);
		kunmap_local(va);
		if (err)
			goto out;
	}
	l4->dma_ns += local_clock() - start;
	page_pool_dma_sync_netmem_for_cpu(pool, netmem, boff, len);
	return 0;
out:
	l4->dma_ns += local_clock() - start;
	return err;
}

/**
 * nsim_rx_fill_done() - give back the buffer the queue is filling
 * @rq: the rx queue
 * @napi_safe: called from the queue's NAPI poll, which may recycle directly
 *
 * When it is full, when a write into it failed, and when the queue stops:
 * the queue keeps a partly filled buffer from one NAPI poll to the next,
 * so that bursts that arrive apart still share it.  The frames written
 * into it hold their own references.
 *
 * Context: the queue's NAPI poll, or its NAPI disabled.
 */
void nsim_rx_fill_done(struct nsim_rq *rq, bool napi_safe)
{
	if (!rq->fill)
		return;
	page_pool_put_full_netmem(rq->page_pool, rq->fill, napi_safe);
	rq->fill = 0;
}

/*
 * The next @len bytes of a frame go into the buffer being filled, or a
 * new one: where (*@boff) and how much (the return value, 0 if no buffer
 * was free).  A frame's payload (@first) that fits in a buffer but not in
 * what is left of this one starts a new buffer, as a striding RQ moves to
 * its next multi-packet buffer rather than split a packet: a burst that
 * fits in one buffer then takes one completion.  The caller takes the
 * frag's reference and gives the buffer back once it is full.
 */
static unsigned int nsim_rx_fill_get(struct nsim_rq *rq, unsigned int buf_len,
				     unsigned int len, bool first,
				     unsigned int *boff)
{
	if (rq->fill && first && len > buf_len - rq->fill_off &&
	    len <= buf_len)
		nsim_rx_fill_done(rq, true);
	if (!rq->fill) {
		rq->fill = page_pool_alloc_netmems(rq->page_pool,
						   GFP_ATOMIC | __GFP_NOWARN);
		if (!rq->fill)
			return 0;
		rq->fill_off = 0;
	}
	*boff = rq->fill_off;
	return min(len, buf_len - rq->fill_off);
}

enum nsim_rx_result {
	NSIM_RX_PASS,
	NSIM_RX_ALLOC_FAIL,
	NSIM_RX_CSUM_ERR,
	NSIM_RX_DROP,		/* counted by the device's rx_dropped */
};

static void nsim_rx_count(struct nsim_rq *rq, unsigned int len, bool split,
			  u64 dma_ns, enum nsim_rx_result res)
{
	u64_stats_update_begin(&rq->stats.syncp);
	rq->stats.dma_ns += dma_ns;
	switch (res) {
	case NSIM_RX_PASS:
		rq->stats.packets++;
		rq->stats.bytes += len;
		rq->stats.split += split;
		break;
	case NSIM_RX_ALLOC_FAIL:
		rq->stats.alloc_fail++;
		break;
	case NSIM_RX_CSUM_ERR:
		rq->stats.csum_err++;
		break;
	case NSIM_RX_DROP:
		break;
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
	unsigned int buf_len = PAGE_SIZE << pool->p.order;
	bool split = READ_ONCE(ns->tcp_data_split);
	bool pack = pool->p.order && pool->dma_map;
	unsigned int linear, off, len, boff, frags = 0;
	struct net_device *dev = ns->netdev;
	struct nsim_rx_l4 l4;
	struct sk_buff *skb;
	netmem_ref netmem;

	/* The frame as it was on the wire. */
	skb_push(frame, ETH_HLEN);

	nsim_rx_parse(frame, &l4);
	/*
	 * A sender that left the checksum to "hardware" has none in the frame
	 * yet; it is taken as correct.  Any other TCP or UDP frame has its
	 * checksum verified as it is written, like a NIC's receive offload
	 * does: the stack cannot do it on payload that went to buffers the
	 * CPU may not read.  Bursts other than TCP's (UDP fraglists) are
	 * left to the stack: they go into the linear part, readable.
	 */
	if (frame->ip_summed == CHECKSUM_PARTIAL ||
	    (skb_is_gso(frame) && l4.proto != IPPROTO_TCP))
		l4.sum = false;

	if (split)
		linear = l4.hlen ?: frame->len;
	else
		linear = 0;

	skb = napi_alloc_skb(&rq->napi, max(linear, NSIM_RX_HDR_MAX));
	if (!skb)
		goto drop_alloc;
	skb_mark_for_recycle(skb);
	if (linear) {
		/* the device writes the headers, too */
		u64 start = local_clock();
		int err;

		err = nsim_rx_copy(frame, 0, skb_put(skb, linear), linear, &l4);
		l4.dma_ns += local_clock() - start;
		if (err)
			goto drop;
	}

	for (off = linear; off < frame->len; off += len) {
		if (frags == MAX_SKB_FRAGS)
			goto drop;
		if (pack) {
			len = nsim_rx_fill_get(rq, buf_len, frame->len - off,
					       off == linear, &boff);
			if (!len)
				goto drop_alloc;
			netmem = rq->fill;
			if (nsim_rx_dma(pool, netmem, boff, frame, off, len,
					&l4)) {
				nsim_rx_fill_done(rq, true);
				goto drop;
			}
			page_pool_ref_netmem(netmem);
			rq->fill_off += len;
			/*
			 * Any frag may be the one that keeps the whole
			 * buffer: charge the socket for all of it, so that
			 * its receive memory bounds the buffers it pins (an
			 * out-of-order queue must not hold them all).
			 */
			skb_add_rx_frag_netmem(skb, frags++, netmem, boff, len,
					       buf_len);
			if (rq->fill_off == buf_len)
				nsim_rx_fill_done(rq, true);
			continue;
		}
		netmem = page_pool_alloc_netmems(pool, GFP_ATOMIC | __GFP_NOWARN);
		if (!netmem)
			goto drop_alloc;
		/*
		 * Consecutive segments of a burst share a buffer as far as
		 * it goes, as hardware GRO packs them.
		 */
		len = min_t(unsigned int, frame->len - off, buf_len);
		if (nsim_rx_dma(pool, netmem, 0, frame, off, len, &l4)) {
			page_pool_put_full_netmem(pool, netmem, true);
			goto drop;
		}
		skb_add_rx_frag_netmem(skb, frags++, netmem, 0, len, buf_len);
	}

	if (l4.sum && csum_fold(csum_add(l4.psum, l4.csum)))
		goto drop_csum;

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
	if (l4.sum || frame->ip_summed == CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_UNNECESSARY;

	len = frame->len;
	consume_skb(frame);

	skb->protocol = eth_type_trans(skb, dev);
	skb_record_rx_queue(skb, rq - ns->rq);
	skb_mark_napi_id(skb, &rq->napi);
	nsim_rx_count(rq, len, split && frags && linear < len, l4.dma_ns,
		      NSIM_RX_PASS);
	netif_receive_skb(skb);
	return;

drop_csum:
	nsim_rx_count(rq, 0, false, l4.dma_ns, NSIM_RX_CSUM_ERR);
	goto drop_counted;
drop_alloc:
	nsim_rx_count(rq, 0, false, l4.dma_ns, NSIM_RX_ALLOC_FAIL);
	goto drop_counted;
drop:
	nsim_rx_count(rq, 0, false, l4.dma_ns, NSIM_RX_DROP);
drop_counted:
	kfree_skb(skb);
	kfree_skb(frame);
	dev_core_stats_rx_dropped_inc(dev);
}

static const char nsim_rx_stat_names[][ETH_GSTRING_LEN] = {
	"packets", "bytes", "split", "alloc_fail", "csum_err", "dma_ns",
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
			data[4] = s->csum_err;
			data[5] = s->dma_ns;
		} while (u64_stats_fetch_retry(&s->syncp, start));
	}
}

/**
 * nsim_tx_corrupt() - damage a frame on the wire when asked to
 * @ns: the transmitting port
 * @skb: the frame, data at the Ethernet header
 *
 * While the port's debugfs counter tx_corrupt is above zero, each TCP or
 * UDP frame that carries payload, once its checksum is complete, gets its
 * last payload byte flipped and takes one off the counter, so that the
 * peer receives it with a checksum that does not match.  The bytes are
 * changed in a private copy: the sender's pages, which TCP may retransmit
 * from, stay intact.
 *
 * Context: the port's transmit path.
 * Return: 0, or a negative errno if the frame could not be made private.
 */
int nsim_tx_corrupt(struct netdevsim *ns, struct sk_buff *skb)
{
	struct nsim_rx_l4 l4;

	if (likely(!atomic_read(&ns->tx_corrupt)) || skb_is_gso(skb))
		return 0;
	nsim_rx_parse(skb, &l4);
	if (!l4.proto || l4.data >= l4.end ||
	    atomic_dec_if_positive(&ns->tx_corrupt) < 0)
		return 0;
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return -ENOMEM;
	if (skb_ensure_writable(skb, l4.end))
		return -ENOMEM;
	skb->data[l4.end - 1] ^= 0xff;
	return 0;
}

static int nsim_tx_corrupt_get(void *data, u64 *val)
{
	struct netdevsim *ns = data;

	*val = atomic_read(&ns->tx_corrupt);
	return 0;
}

static int nsim_tx_corrupt_set(void *data, u64 val)
{
	struct netdevsim *ns = data;

	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(&ns->tx_corrupt, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(nsim_tx_corrupt_fops, nsim_tx_corrupt_get,
			 nsim_tx_corrupt_set, "%llu\n");

/**
 * nsim_rx_debugfs_init() - add the port's tx_corrupt debugfs file
 * @ns: the port
 *
 * Writing N to tx_corrupt damages the next N frames with payload that the
 * port transmits (see nsim_tx_corrupt()); reading it tells how many are
 * still to come.
 */
void nsim_rx_debugfs_init(struct netdevsim *ns)
{
	ns->tx_corrupt_dfs = debugfs_create_file_unsafe("tx_corrupt", 0600,
							ns->nsim_dev_port->ddir,
							ns,
							&nsim_tx_corrupt_fops);
}
