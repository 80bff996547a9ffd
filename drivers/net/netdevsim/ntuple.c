// SPDX-License-Identifier: GPL-2.0
/*
 * ntuple flow steering for netdevsim: ethtool rules that send a TCP or UDP
 * flow over IPv4 or IPv6, matched on addresses and ports under masks, to a
 * chosen rx queue.  Other flows are spread over the rx queues by their
 * flow hash, through an RSS indirection table that ethtool can rewrite.
 * The peer applies the receiving port's rules as it transmits, as the
 * receiving NIC's classifier would.
 */
#include <linux/ethtool.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "netdevsim.h"

struct nsim_flow_key {
	u32 flow_type;
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
};

static bool nsim_flow_key_get(const struct sk_buff *skb,
			      struct nsim_flow_key *key)
{
	unsigned int off = skb_network_offset(skb);
	const __be16 *ports;
	__be16 _ports[2];
	u8 proto;

	memset(key, 0, sizeof(*key));
	switch (skb->protocol) {
	case htons(ETH_P_IP): {
		const struct iphdr *iph;
		struct iphdr _iph;

		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || ip_is_fragment(iph))
			return false;
		key->src[0] = iph->saddr;
		key->dst[0] = iph->daddr;
		proto = iph->protocol;
		off += iph->ihl * 4;
		key->flow_type = proto == IPPROTO_TCP ? TCP_V4_FLOW : UDP_V4_FLOW;
		break;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *ip6h;
		struct ipv6hdr _ip6h;

		ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return false;
		memcpy(key->src, &ip6h->saddr, sizeof(key->src));
		memcpy(key->dst, &ip6h->daddr, sizeof(key->dst));
		proto = ip6h->nexthdr;
		off += sizeof(*ip6h);
		key->flow_type = proto == IPPROTO_TCP ? TCP_V6_FLOW : UDP_V6_FLOW;
		break;
	}
	default:
		return false;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
	if (!ports)
		return false;
	key->sport = ports[0];
	key->dport = ports[1];
	return true;
}

static bool nsim_masked_eq(const __be32 *a, const __be32 *b,
			   const __be32 *mask, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if ((a[i] ^ b[i]) & mask[i])
			return false;
	return true;
}

static bool nsim_rule_match(const struct ethtool_rx_flow_spec *fs,
			    const struct nsim_flow_key *key)
{
	const union ethtool_flow_union *h = &fs->h_u, *m = &fs->m_u;

	if ((fs->flow_type & ~FLOW_RSS) != key->flow_type)
		return false;
	switch (key->flow_type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW:
		return nsim_masked_eq(key->src, &h->tcp_ip4_spec.ip4src,
				      &m->tcp_ip4_spec.ip4src, 1) &&
		       nsim_masked_eq(key->dst, &h->tcp_ip4_spec.ip4dst,
				      &m->tcp_ip4_spec.ip4dst, 1) &&
		       !((key->sport ^ h->tcp_ip4_spec.psrc) & m->tcp_ip4_spec.psrc) &&
		       !((key->dport ^ h->tcp_ip4_spec.pdst) & m->tcp_ip4_spec.pdst);
	case TCP_V6_FLOW:
	case UDP_V6_FLOW:
		return nsim_masked_eq(key->src, h->tcp_ip6_spec.ip6src,
				      m->tcp_ip6_spec.ip6src, 4) &&
		       nsim_masked_eq(key->dst, h->tcp_ip6_spec.ip6dst,
				      m->tcp_ip6_spec.ip6dst, 4) &&
		       !((key->sport ^ h->tcp_ip6_spec.psrc) & m->tcp_ip6_spec.psrc) &&
		       !((key->dport ^ h->tcp_ip6_spec.pdst) & m->tcp_ip6_spec.pdst);
	}
	return false;
}

/**
 * nsim_rx_select_queue() - the rx queue of @ns that receives @skb
 * @ns: the receiving port
 * @skb: the frame its peer transmits
 *
 * The lowest-numbered matching rule decides; without one, the flow hash
 * picks an entry of the RSS indirection table.
 *
 * Return: an rx queue index below the port's real_num_rx_queues.
 */
unsigned int nsim_rx_select_queue(struct netdevsim *ns, struct sk_buff *skb)
{
	unsigned int nq = READ_ONCE(ns->netdev->real_num_rx_queues);
	struct nsim_ntuple *nt = &ns->ntuple;
	struct nsim_flow_key key;
	unsigned int loc;
	int q = -1;

	if (READ_ONCE(nt->count) && nsim_flow_key_get(skb, &key)) {
		spin_lock(&nt->lock);
		for_each_set_bit(loc, nt->used, NSIM_NTUPLE_MAX) {
			if (nsim_rule_match(&nt->rules[loc], &key)) {
				q = ethtool_get_flow_spec_ring(nt->rules[loc].ring_cookie);
				break;
			}
		}
		spin_unlock(&nt->lock);
	}
	if (q >= 0 && q < nq)
		return q;
	if (nq <= 1)
		return 0;
	if (!netif_is_rxfh_configured(ns->netdev))
		return reciprocal_scale(skb_get_hash(skb), nq);
	/* ethtool keeps the channel count above every entry of the table */
	q = READ_ONCE(nt->indir[reciprocal_scale(skb_get_hash(skb),
						 NSIM_RSS_INDIR_SIZE)]);
	return q < nq ? q : 0;
}

/**
 * nsim_get_rxfh_indir_size() - ethtool get_rxfh_indir_size
 * @dev: the port
 *
 * Return: the number of entries of the RSS indirection table.
 */
u32 nsim_get_rxfh_indir_size(struct net_device *dev)
{
	return NSIM_RSS_INDIR_SIZE;
}

/**
 * nsim_get_rxfh() - ethtool get_rxfh: the RSS indirection table
 * @dev: the port
 * @rxfh: where the table goes; there is no hash key
 *
 * Return: 0.
 */
int nsim_get_rxfh(struct net_device *dev, struct ethtool_rxfh_param *rxfh)
{
	struct netdevsim *ns = netdev_priv(dev);
	unsigned int i;

	rxfh->hfunc = ETH_RSS_HASH_TOP;
	if (!rxfh->indir)
		return 0;
	for (i = 0; i < NSIM_RSS_INDIR_SIZE; i++)
		rxfh->indir[i] = netif_is_rxfh_configured(dev) ?
				 ns->ntuple.indir[i] :
				 ethtool_rxfh_indir_default(i, dev->real_num_rx_queues);
	return 0;
}

/**
 * nsim_set_rxfh() - ethtool set_rxfh: rewrite the RSS indirection table
 * @dev: the port
 * @rxfh: the new table; neither the hash function nor a key can change
 * @extack: for error messages
 *
 * Context: rtnl held; ethtool has checked every entry against the rx
 * queue count.
 * Return: 0 or -EOPNOTSUPP.
 */
int nsim_set_rxfh(struct net_device *dev, struct ethtool_rxfh_param *rxfh,
		  struct netlink_ext_ack *extack)
{
	struct netdevsim *ns = netdev_priv(dev);
	unsigned int i;

	if (rxfh->key || rxfh->rss_context ||
	    (rxfh->hfunc != ETH_RSS_HASH_NO_CHANGE &&
	     rxfh->hfunc != ETH_RSS_HASH_TOP)) {
		NL_SET_ERR_MSG(extack, "only the indirection table can change");
		return -EOPNOTSUPP;
	}
	if (!rxfh->indir)
		return 0;
	for (i = 0; i < NSIM_RSS_INDIR_SIZE; i++)
		WRITE_ONCE(ns->ntuple.indir[i], rxfh->indir[i]);
	return 0;
}

static int nsim_ntuple_get_rule(struct nsim_ntuple *nt,
				struct ethtool_rxnfc *cmd)
{
	u32 loc = cmd->fs.location;

	if (loc >= NSIM_NTUPLE_MAX || !test_bit(loc, nt->used))
		return -ENOENT;
	spin_lock_bh(&nt->lock);
	cmd->fs = nt->rules[loc];
	spin_unlock_bh(&nt->lock);
	return 0;
}

/**
 * nsim_get_rxnfc() - ethtool get_rxnfc: rings and ntuple rules
 * @dev: the port
 * @cmd: the request
 * @rule_locs: where ETHTOOL_GRXCLSRLALL stores the rule locations
 *
 * Return: 0 or a negative errno.
 */
int nsim_get_rxnfc(struct net_device *dev, struct ethtool_rxnfc *cmd,
		   u32 *rule_locs)
{
	struct netdevsim *ns = netdev_priv(dev);
	struct nsim_ntuple *nt = &ns->ntuple;
	unsigned int loc, n = 0;

	switch (cmd->cmd) {
	case ETHTOOL_GRXRINGS:
		cmd->data = dev->real_num_rx_queues;
		return 0;
	case ETHTOOL_GRXCLSRLCNT:
		cmd->rule_cnt = nt->count;
		cmd->data = NSIM_NTUPLE_MAX | RX_CLS_LOC_SPECIAL;
		return 0;
	case ETHTOOL_GRXCLSRULE:
		return nsim_ntuple_get_rule(nt, cmd);
	case ETHTOOL_GRXCLSRLALL:
		for_each_set_bit(loc, nt->used, NSIM_NTUPLE_MAX) {
			if (n == cmd->rule_cnt)
				return -EMSGSIZE;
			rule_locs[n++] = loc;
		}
		cmd->rule_cnt = n;
		cmd->data = NSIM_NTUPLE_MAX;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int nsim_ntuple_add(struct netdevsim *ns, struct ethtool_rx_flow_spec *fs)
{
	struct nsim_ntuple *nt = &ns->ntuple;
	u32 type = fs->flow_type & ~FLOW_RSS;
	u32 loc = fs->location;

	if (type != TCP_V4_FLOW && type != TCP_V6_FLOW &&
	    type != UDP_V4_FLOW && type != UDP_V6_FLOW)
		return -EOPNOTSUPP;
	if (fs->flow_type & FLOW_RSS)
		return -EOPNOTSUPP;
	if (fs->ring_cookie == RX_CLS_FLOW_DISC ||
	    ethtool_get_flow_spec_ring_vf(fs->ring_cookie) ||
	    ethtool_get_flow_spec_ring(fs->ring_cookie) >=
	    ns->netdev->real_num_rx_queues)
		return -EINVAL;
	/* The tos/tclass fields are not matched: refuse rules that ask. */
	if (type == TCP_V4_FLOW || type == UDP_V4_FLOW ?
	    fs->m_u.tcp_ip4_spec.tos : fs->m_u.tcp_ip6_spec.tclass)
		return -EOPNOTSUPP;

	if (loc == RX_CLS_LOC_ANY) {
		loc = find_first_zero_bit(nt->used, NSIM_NTUPLE_MAX);
		if (loc >= NSIM_NTUPLE_MAX)
			return -ENOSPC;
		fs->location = loc;
	} else if (loc >= NSIM_NTUPLE_MAX) {
		return -EINVAL;
	}

	spin_lock_bh(&nt->lock);
	nt->rules[loc] = *fs;
	if (!test_and_set_bit(loc, nt->used))
		WRITE_ONCE(nt->count, nt->count + 1);
	spin_unlock_bh(&nt->lock);
	return 0;
}

static int nsim_ntuple_del(struct netdevsim *ns, u32 loc)
{
	struct nsim_ntuple *nt = &ns->ntuple;

	if (loc >= NSIM_NTUPLE_MAX || !test_bit(loc, nt->used))
		return -ENOENT;
	spin_lock_bh(&nt->lock);
	clear_bit(loc, nt->used);
	WRITE_ONCE(nt->count, nt->count - 1);
	spin_unlock_bh(&nt->lock);
	return 0;
}

/**
 * nsim_set_rxnfc() - ethtool set_rxnfc: insert and delete ntuple rules
 * @dev: the port
 * @cmd: the request
 *
 * Context: rtnl held.
 * Return: 0 or a negative errno.
 */
int nsim_set_rxnfc(struct net_device *dev, struct ethtool_rxnfc *cmd)
{
	struct netdevsim *ns = netdev_priv(dev);

	switch (cmd->cmd) {
	case ETHTOOL_SRXCLSRLINS:
		return nsim_ntuple_add(ns, &cmd->fs);
	case ETHTOOL_SRXCLSRLDEL:
		return nsim_ntuple_del(ns, cmd->fs.location);
	}
	return -EOPNOTSUPP;
}

/**
 * nsim_ntuple_init() - start with an empty rule table
 * @ns: the port
 */
void nsim_ntuple_init(struct netdevsim *ns)
{
	spin_lock_init(&ns->ntuple.lock);
	bitmap_zero(ns->ntuple.used, NSIM_NTUPLE_MAX);
	ns->ntuple.count = 0;
}
