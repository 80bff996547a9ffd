/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * The NIC helper: prepare one device for zero-copy receive of one TCP flow
 * and put it back afterwards.
 *
 *  1. tcp-data-split on, over ethtool generic netlink (RINGS_GET/RINGS_SET);
 *  2. an ntuple rule steering the flow to the chosen rx queue;
 *  3. unless IO_URING_ZCRX_NIC_NO_RSS, an RSS indirection table in which no
 *     entry points at that queue, so that other flows stay off it.
 *
 * io_uring_zcrx_nic_setup_conn() prepares for one connection that exists
 * already, whose addresses and ports are known.  Where the device takes
 * no ntuple rules (e1000e, many NICs of its class) step 2 and 3 become
 * one: the helper computes the hash the device computes for the flow (the
 * Toeplitz hash, over the fields "ethtool -n IFNAME rx-flow-hash tcp4"
 * names, with the device's key) and writes an indirection table in which
 * the entry that hash picks points at the chosen queue and every other
 * entry points elsewhere.  Other flows whose hash picks the same entry
 * (one in the table's size) share the queue; nothing can keep them off.
 *
 * Linux 6.12 has no netlink request for inserting or deleting ntuple rules
 * or for writing the RSS indirection table, so steps 2 and 3 use the
 * SIOCETHTOOL ioctl, as ethtool(8) itself does on such kernels.  The ioctl
 * goes through the generic netlink socket: every socket passes SIOCETHTOOL
 * on to the device layer.
 *
 * The state file.  Before each change, the helper records what it is about
 * to do and how to undo it in a text file, replaced atomically (written to
 * a temporary file, then renamed), so that a process killed by SIGKILL
 * leaves enough behind for io_uring_zcrx_nic_restore_saved() or
 * "zcrx-nic restore".  It lives in $LIBURING_ZC_STATE_DIR, by default
 * /run/liburing-zc (created with mode 0700), and is named
 * "<netns inode>-<ifname>.nic": one per device of a network namespace.
 * One "key value..." per line; unknown keys are ignored:
 *
 *	version 1
 *	pid 1234 5678		owner and its start time (/proc/PID/stat field
 *				22); "0 0" when no process owns it any more
 *	netns 4026532257	inode of the owner's /proc/self/ns/net
 *	ifname eth0
 *	ifindex 3		the device; a device with another index under
 *				the same name is a different one
 *	rxq 1
 *	flow tcp4 9000 0	family, destination and source port of the rule
 *				or of the connection
 *	hds_orig off		tcp-data-split before setup: off, on or unknown
 *	undo_hds off		set tcp-data-split back to this value
 *	undo_ntuple 1023	delete the ntuple rule at this location; "any"
 *				while the kernel has not told it yet: delete
 *				the rule that matches "flow" and "rxq"
 *	undo_rss default 128	write the RSS table back: the device's default
 *				("default") or the "rss_table" line ("table")
 *	rss_table 0 1 2 3 ...	the original table, when it was not the default
 *
 * The undo_* lines are written before the change they describe, so that
 * the file never claims less than was changed; undoing a change that was
 * not made yet is harmless.
 *
 * A state file whose owner is alive makes setup and restore_saved fail
 * with -EBUSY; one whose owner is dead (or "pid 0") is stale, and setup
 * restores from it before it starts.  A restore that cannot undo
 * everything rewrites the file with the rest and owner "0 0", for anyone
 * to finish later.
 *
 * Not thread-safe: the list of nics for the atexit() handler is not
 * locked.  Set up and restore from one thread, or serialize the calls.
 * Processes are serialized by an flock() on the state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>

#include "lib.h"

#define ZC_NIC_STATE_DIR	"/run/liburing-zc"
#define ZC_NIC_VERSION		1
/* how long restore waits for a memory provider to let go of the device */
#define ZC_NIC_HDS_WAIT_MS	2000
#define ZC_NIC_HDS_STEP_MS	50

#define ZC_NIC_FLAGS		(IO_URING_ZCRX_NIC_NO_RSS | \
				 IO_URING_ZCRX_NIC_ATEXIT)

struct io_uring_zcrx_nic {
	struct io_uring_zcrx_nic *next;	/* on the atexit() list */
	pid_t		owner;		/* 0: nobody (a leftover) */
	unsigned long long owner_start;
	unsigned long long netns;
	unsigned int	flags;
	unsigned int	changes;	/* CHANGED_*: still to undo */
	char		ifname[IFNAMSIZ];
	int		ifindex;
	__u32		rxq;
	int		family;
	__u16		dst_port;
	__u16		src_port;
	bool		conn;		/* setup_conn: the addresses are known */
	__u8		saddr[16];	/* the peer's (the frames' source) */
	__u8		daddr[16];	/* ours */
	bool		hds_known;
	__u8		hds_orig;	/* ETHTOOL_TCP_DATA_SPLIT_* */
	__u32		ntuple_loc;	/* RX_CLS_LOC_ANY: not known yet */
	bool		rss_default;	/* the original table was the default */
	__u32		rss_size;
	__u32		*rss_orig;
	char		path[PATH_MAX];	/* the state file */
};

/* the nics to restore at exit */
static struct io_uring_zcrx_nic *zc_nic_list;
static bool zc_nic_atexit_done;

/* A device handle: a generic netlink socket that also takes the ioctls. */
struct zc_dev {
	int	fd;
	__u32	seq;
	__u16	ethtool;		/* the ethtool family's id */
};

struct zc_nl_req {
	struct nlmsghdr		nh;
	struct genlmsghdr	gh;
	char			attrs[256];
};

static int zc_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Netlink: just what the ethtool rings requests need. */

static void zc_nl_init(struct zc_nl_req *r, __u16 type, __u8 cmd)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

static struct nlattr *zc_nl_put(struct zc_nl_req *r, __u16 type,
				const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->nh.nlmsg_len);
	struct nlattr *nla;

	if (off + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*r))
		return NULL;
	nla = (struct nlattr *)((char *)r + off);
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = off + NLA_ALIGN(nla->nla_len);
	return nla;
}

static void zc_nl_nest_end(struct zc_nl_req *r, struct nlattr *nest)
{
	nest->nla_len = (char *)r + r->nh.nlmsg_len - (char *)nest;
}

/* the attribute @type at the top level of the generic netlink message @nh */
static const struct nlattr *zc_nl_attr(const struct nlmsghdr *nh, __u16 type,
				       size_t min_len)
{
	const struct nlattr *a;
	long rem;

	if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return NULL;
	rem = (long)nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (const struct nlattr *)((const char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem) {
		if ((a->nla_type & NLA_TYPE_MASK) == type &&
		    a->nla_len >= NLA_HDRLEN + min_len)
			return a;
		rem -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a +
					    NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static const void *zc_nl_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

typedef int (*zc_nl_cb)(const struct nlmsghdr *nh, void *arg);

/*
 * Send @r and read up to its acknowledgment, handing each reply of type
 * @r->nh.nlmsg_type to @cb.  Returns 0, the first error of @cb, or the
 * kernel's -errno.
 */
static int zc_nl_talk(struct zc_dev *d, struct zc_nl_req *r, zc_nl_cb cb,
		      void *arg)
{
	union {
		char		buf[8192];
		struct nlmsghdr	align;
	} rx;
	__u16 type = r->nh.nlmsg_type;
	const struct nlmsghdr *nh;
	int ret = 0;
	ssize_t len;

	r->nh.nlmsg_seq = ++d->seq;
	while (send(d->fd, r, r->nh.nlmsg_len, 0) < 0)
		if (errno != EINTR)
			return zc_errno();
	for (;;) {
		len = recv(d->fd, rx.buf, sizeof(rx.buf), MSG_TRUNC);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return zc_errno();
		}
		if ((size_t)len > sizeof(rx.buf))
			return -EMSGSIZE;
		for (nh = &rx.align; len >= (ssize_t)sizeof(*nh) &&
		     nh->nlmsg_len >= sizeof(*nh) && nh->nlmsg_len <= len;
		     len -= NLMSG_ALIGN(nh->nlmsg_len),
		     nh = (const void *)((const char *)nh +
					 NLMSG_ALIGN(nh->nlmsg_len))) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_seq != d->seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				return e->error ? e->error : ret;
			}
			if (nh->nlmsg_type == NLMSG_DONE)
				return ret;
			if (nh->nlmsg_type == type && cb && !ret)
				ret = cb(nh, arg);
		}
	}
}

static int zc_family_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *a = zc_nl_attr(nh, CTRL_ATTR_FAMILY_ID,
					    sizeof(__u16));

	if (!a)
		return -EBADMSG;
	memcpy(arg, zc_nl_data(a), sizeof(__u16));
	return 0;
}

static void zc_dev_close(struct zc_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static int zc_dev_open(struct zc_dev *d)
{
	static const int one = 1;
	struct zc_nl_req r;
	int ret;

	memset(d, 0, sizeof(*d));
	d->seq = (__u32)time(NULL);
	d->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (d->fd < 0)
		return zc_errno();
	/* errors without a copy of the request */
	setsockopt(d->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));

	zc_nl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	zc_nl_put(&r, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME,
		  sizeof(ETHTOOL_GENL_NAME));
	ret = zc_nl_talk(d, &r, zc_family_cb, &d->ethtool);
	if (!ret && !d->ethtool)
		ret = -EBADMSG;
	if (ret) {
		/* a kernel without ethtool netlink */
		zc_dev_close(d);
		return ret == -ENOENT ? -EOPNOTSUPP : ret;
	}
	return 0;
}

static int zc_rings_req(struct zc_nl_req *r, const struct zc_dev *d,
			__u8 cmd, const char *ifname)
{
	struct nlattr *nest;

	zc_nl_init(r, d->ethtool, cmd);
	nest = zc_nl_put(r, ETHTOOL_A_RINGS_HEADER | NLA_F_NESTED, NULL, 0);
	if (!nest || !zc_nl_put(r, ETHTOOL_A_HEADER_DEV_NAME, ifname,
				strlen(ifname) + 1))
		return -EMSGSIZE;
	zc_nl_nest_end(r, nest);
	return 0;
}

static int zc_hds_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *a = zc_nl_attr(nh, ETHTOOL_A_RINGS_TCP_DATA_SPLIT,
					    sizeof(__u8));

	/* a device that does not report it: unknown */
	*(__u8 *)arg = a ? *(const __u8 *)zc_nl_data(a) :
			   ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	return 0;
}

static int zc_hds_get(struct zc_dev *d, const char *ifname, __u8 *val)
{
	struct zc_nl_req r;
	int ret;

	*val = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	ret = zc_rings_req(&r, d, ETHTOOL_MSG_RINGS_GET, ifname);
	return ret ?: zc_nl_talk(d, &r, zc_hds_cb, val);
}

static int zc_hds_set(struct zc_dev *d, const char *ifname, __u8 val)
{
	struct zc_nl_req r;
	int ret;

	ret = zc_rings_req(&r, d, ETHTOOL_MSG_RINGS_SET, ifname);
	if (ret)
		return ret;
	if (!zc_nl_put(&r, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &val, sizeof(val)))
		return -EMSGSIZE;
	return zc_nl_talk(d, &r, NULL, NULL);
}

/* The ethtool ioctl. */

static int zc_ethtool(struct zc_dev *d, const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = cmd;
	return ioctl(d->fd, SIOCETHTOOL, &ifr) ? zc_errno() : 0;
}

/* the number of rx rings, which rule and table entries must stay below */
static int zc_rx_rings(struct zc_dev *d, const char *ifname, __u32 *n)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXRINGS };
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int ret;

	ret = zc_ethtool(d, ifname, &nfc);
	if (!ret) {
		*n = nfc.data;
		return 0;
	}
	if (ret != -EOPNOTSUPP)
		return ret;
	ret = zc_ethtool(d, ifname, &ch);
	if (ret)
		return ret;
	*n = ch.rx_count + ch.combined_count;
	return 0;
}

static void zc_rule_spec(const struct io_uring_zcrx_nic *nic,
			 struct ethtool_rx_flow_spec *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->ring_cookie = nic->rxq;
	fs->location = nic->ntuple_loc;
	if (nic->family == AF_INET) {
		fs->flow_type = TCP_V4_FLOW;
		fs->h_u.tcp_ip4_spec.pdst = htons(nic->dst_port);
		fs->m_u.tcp_ip4_spec.pdst = 0xffff;
		if (nic->src_port) {
			fs->h_u.tcp_ip4_spec.psrc = htons(nic->src_port);
			fs->m_u.tcp_ip4_spec.psrc = 0xffff;
		}
	} else {
		fs->flow_type = TCP_V6_FLOW;
		fs->h_u.tcp_ip6_spec.pdst = htons(nic->dst_port);
		fs->m_u.tcp_ip6_spec.pdst = 0xffff;
		if (nic->src_port) {
			fs->h_u.tcp_ip6_spec.psrc = htons(nic->src_port);
			fs->m_u.tcp_ip6_spec.psrc = 0xffff;
		}
	}
}

/*
 * The locations of the ntuple rules in *@locs (malloc()ed), their number
 * in *@n and the table size in *@size.
 */
static int zc_rule_locs(struct zc_dev *d, const char *ifname, __u32 **locs,
			__u32 *n, __u32 *size)
{
	struct ethtool_rxnfc cnt = { .cmd = ETHTOOL_GRXCLSRLCNT };
	struct ethtool_rxnfc *all;
	size_t off = offsetof(struct ethtool_rxnfc, rule_locs);
	__u32 room;
	int ret;

	*locs = NULL;
	*n = 0;
	ret = zc_ethtool(d, ifname, &cnt);
	if (ret)
		return ret;
	*size = cnt.data;
	room = cnt.rule_cnt + 16;	/* rules added meanwhile */
	all = calloc(1, off + room * sizeof(__u32));
	if (!all)
		return -ENOMEM;
	all->cmd = ETHTOOL_GRXCLSRLALL;
	all->rule_cnt = room;
	ret = zc_ethtool(d, ifname, all);
	if (!ret) {
		*n = all->rule_cnt < room ? all->rule_cnt : room;
		*locs = malloc((*n ? *n : 1) * sizeof(__u32));
		if (*locs)
			memcpy(*locs, (char *)all + off, *n * sizeof(__u32));
		else
			ret = -ENOMEM;
	}
	free(all);
	return ret;
}

/*
 * Where to insert the rule: RX_CLS_LOC_ANY if the driver picks, else (as
 * ethtool(8) does) the last free location of its table.
 */
static int zc_rule_pick(struct zc_dev *d, const char *ifname, __u32 *loc)
{
	__u32 *locs, n, size, i, l;
	int ret;

	*loc = RX_CLS_LOC_ANY;
	ret = zc_rule_locs(d, ifname, &locs, &n, &size);
	if (ret == -EOPNOTSUPP)
		return 0;	/* the insert will tell */
	if (ret)
		return ret;
	ret = 0;
	if (!(size & RX_CLS_LOC_SPECIAL)) {
		ret = -ENOSPC;
		for (l = size; l-- > 0 && ret;) {
			for (i = 0; i < n && locs[i] != l; i++)
				;
			if (i == n) {
				*loc = l;
				ret = 0;
			}
		}
	}
	free(locs);
	return ret;
}

static int zc_rule_insert(struct zc_dev *d, struct io_uring_zcrx_nic *nic)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLINS };
	int ret;

	zc_rule_spec(nic, &nfc.fs);
	ret = zc_ethtool(d, nic->ifname, &nfc);
	if (!ret)
		nic->ntuple_loc = nfc.fs.location;
	return ret;
}

static bool zc_rule_same(const struct ethtool_rx_flow_spec *a,
			 const struct ethtool_rx_flow_spec *b)
{
	size_t len = sizeof(a->h_u.tcp_ip4_spec);

	if ((a->flow_type & ~FLOW_EXT) != b->flow_type ||
	    a->ring_cookie != b->ring_cookie)
		return false;
	if (b->flow_type == TCP_V6_FLOW)
		len = sizeof(a->h_u.tcp_ip6_spec);
	return !memcmp(&a->h_u, &b->h_u, len) && !memcmp(&a->m_u, &b->m_u, len);
}

/*
 * The location of a rule like @nic's, for a state file written between
 * the insert and the kernel's answer: -ENOENT if there is none.
 */
static int zc_rule_find(struct zc_dev *d, const struct io_uring_zcrx_nic *nic,
			__u32 *loc)
{
	struct ethtool_rxnfc nfc;
	struct ethtool_rx_flow_spec want;
	__u32 *locs, n, size, i;
	int ret;

	ret = zc_rule_locs(d, nic->ifname, &locs, &n, &size);
	if (ret)
		return ret;
	zc_rule_spec(nic, &want);
	ret = -ENOENT;
	for (i = 0; i < n && ret == -ENOENT; i++) {
		memset(&nfc, 0, sizeof(nfc));
		nfc.cmd = ETHTOOL_GRXCLSRULE;
		nfc.fs.location = locs[i];
		if (!zc_ethtool(d, nic->ifname, &nfc) &&
		    zc_rule_same(&nfc.fs, &want)) {
			*loc = locs[i];
			ret = 0;
		}
	}
	free(locs);
	return ret;
}

/*
 * Whether the rule at @loc is still @nic's: -ENOENT if it is gone or was
 * replaced by another one, not ours to delete.
 */
static int zc_rule_check(struct zc_dev *d, const struct io_uring_zcrx_nic *nic,
			 __u32 loc)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXCLSRULE };
	struct ethtool_rx_flow_spec want;
	int ret;

	nfc.fs.location = loc;
	ret = zc_ethtool(d, nic->ifname, &nfc);
	if (ret == -EOPNOTSUPP)
		return 0;	/* cannot tell: delete it */
	if (ret)
		return ret;
	zc_rule_spec(nic, &want);
	return zc_rule_same(&nfc.fs, &want) ? 0 : -ENOENT;
}

static int zc_rule_delete(struct zc_dev *d, const char *ifname, __u32 loc)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLDEL };

	nfc.fs.location = loc;
	return zc_ethtool(d, ifname, &nfc);
}

/* The RSS indirection table; -EOPNOTSUPP where the device has none. */
static int zc_rss_get(struct zc_dev *d, const char *ifname, __u32 **table,
		      __u32 *size)
{
	struct ethtool_rxfh_indir q = { .cmd = ETHTOOL_GRXFHINDIR };
	struct ethtool_rxfh_indir *t;
	int ret;

	*table = NULL;
	*size = 0;
	ret = zc_ethtool(d, ifname, &q);
	if (ret)
		return ret;
	if (!q.size)
		return -EOPNOTSUPP;
	t = calloc(1, sizeof(*t) + q.size * sizeof(__u32));
	if (!t)
		return -ENOMEM;
	t->cmd = ETHTOOL_GRXFHINDIR;
	t->size = q.size;
	ret = zc_ethtool(d, ifname, t);
	if (!ret) {
		*table = malloc(q.size * sizeof(__u32));
		if (*table) {
			memcpy(*table, t->ring_index, q.size * sizeof(__u32));
			*size = q.size;
		} else {
			ret = -ENOMEM;
		}
	}
	free(t);
	return ret;
}

/* write @table of @size entries; NULL: the device's default table */
static int zc_rss_set(struct zc_dev *d, const char *ifname,
		      const __u32 *table, __u32 size)
{
	struct ethtool_rxfh_indir *t;
	int ret;

	if (!table)
		size = 0;
	t = calloc(1, sizeof(*t) + size * sizeof(__u32));
	if (!t)
		return -ENOMEM;
	t->cmd = ETHTOOL_SRXFHINDIR;
	t->size = size;
	if (size)
		memcpy(t->ring_index, table, size * sizeof(__u32));
	ret = zc_ethtool(d, ifname, t);
	free(t);
	return ret;
}

/*
 * What the device hashes for @nic's flow, in the order its Toeplitz hash
 * takes them (source and destination address, source and destination
 * port), into @in; the length in *@len.  -EOPNOTSUPP if the device hashes
 * TCP on fields other than those.
 */
static int zc_rss_input(struct zc_dev *d, const struct io_uring_zcrx_nic *nic,
			__u8 *in, size_t *len)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXFH };
	size_t alen = nic->family == AF_INET ? 4 : 16;
	__u64 fields;
	int ret;

	nfc.flow_type = nic->family == AF_INET ? TCP_V4_FLOW : TCP_V6_FLOW;
	ret = zc_ethtool(d, nic->ifname, &nfc);
	if (ret)
		return ret;	/* no answer: no guess either */
	fields = nfc.data;
	if (fields & RXH_DISCARD || !(fields & RXH_IP_SRC) ||
	    !(fields & RXH_IP_DST) ||
	    (fields & ~(__u64)(RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 |
			       RXH_L4_B_2_3)))
		return -EOPNOTSUPP;
	if (!!(fields & RXH_L4_B_0_1) != !!(fields & RXH_L4_B_2_3))
		return -EOPNOTSUPP;
	memcpy(in, nic->saddr, alen);
	memcpy(in + alen, nic->daddr, alen);
	*len = 2 * alen;
	if (fields & RXH_L4_B_0_1) {
		in[*len] = nic->src_port >> 8;
		in[*len + 1] = nic->src_port & 0xff;
		in[*len + 2] = nic->dst_port >> 8;
		in[*len + 3] = nic->dst_port & 0xff;
		*len += 4;
	}
	return 0;
}

/*
 * The Toeplitz hash of @len bytes at @in with @key, which must be at least
 * 4 bytes longer: each set bit of the input, from the first byte's most
 * significant on, XORs the 32 key bits from its position into the hash.
 */
__u32 __io_uring_zcrx_toeplitz(const __u8 *key, size_t key_len,
			       const __u8 *in, size_t len)
{
	__u32 hash = 0, window;
	size_t i;
	int bit;

	if (key_len < len + 4)
		return 0;
	window = (__u32)key[0] << 24 | (__u32)key[1] << 16 |
		 (__u32)key[2] << 8 | key[3];
	for (i = 0; i < len; i++) {
		for (bit = 7; bit >= 0; bit--) {
			if (in[i] & (1U << bit))
				hash ^= window;
			window = window << 1 | ((key[i + 4] >> bit) & 1);
		}
	}
	return hash;
}

/* the kernel's ETH_RSS_HASH_TOP, which its uapi headers do not carry */
#define ZC_RSS_HASH_TOP		1U

/*
 * The entry of the RSS indirection table (of @size entries) that the
 * device's hash of @nic's flow picks: -EOPNOTSUPP if the device does not
 * say its key or uses another hash than Toeplitz.
 */
static int zc_rss_entry(struct zc_dev *d, const struct io_uring_zcrx_nic *nic,
			__u32 size, __u32 *entry)
{
	struct ethtool_rxfh q = { .cmd = ETHTOOL_GRSSH }, *h;
	__u8 in[36];
	size_t len;
	int ret;

	ret = zc_rss_input(d, nic, in, &len);
	if (ret)
		return ret;
	ret = zc_ethtool(d, nic->ifname, &q);
	if (ret)
		return ret;
	if (q.indir_size != size || q.key_size < len + 4 || q.key_size > 1024)
		return -EOPNOTSUPP;
	h = calloc(1, sizeof(*h) + size * sizeof(__u32) + q.key_size);
	if (!h)
		return -ENOMEM;
	*h = q;
	ret = zc_ethtool(d, nic->ifname, h);
	/*
	 * The byte after hfunc is input_xfrm (rsvd8[0] in headers before
	 * 6.8): a symmetric transformation of the input, which the helper
	 * does not compute.
	 */
	if (!ret && (h->hfunc != ZC_RSS_HASH_TOP ||
		     ((__u8 *)h)[offsetof(struct ethtool_rxfh, hfunc) + 1] ||
		     h->indir_size != size || h->key_size != q.key_size))
		ret = -EOPNOTSUPP;
	if (!ret)
		*entry = __io_uring_zcrx_toeplitz((__u8 *)&h->rss_config[size],
						  h->key_size, in, len) % size;
	free(h);
	return ret;
}

/* The state file. */

static bool zc_ifname_ok(const char *ifname)
{
	size_t len;

	if (!ifname)
		return false;
	len = strnlen(ifname, IFNAMSIZ);
	if (!len || len >= IFNAMSIZ || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return false;
	/* as the kernel's dev_valid_name(); '/' would also leave the dir */
	for (; *ifname; ifname++)
		if (*ifname == '/' || *ifname == ':' || *ifname <= ' ' ||
		    *ifname == 0x7f)
			return false;
	return true;
}

static const char *zc_hds_name(__u8 v)
{
	switch (v) {
	case ETHTOOL_TCP_DATA_SPLIT_DISABLED:
		return "off";
	case ETHTOOL_TCP_DATA_SPLIT_ENABLED:
		return "on";
	}
	return "unknown";
}

static int zc_hds_value(const char *s, __u8 *v)
{
	if (!strcmp(s, "off"))
		*v = ETHTOOL_TCP_DATA_SPLIT_DISABLED;
	else if (!strcmp(s, "on"))
		*v = ETHTOOL_TCP_DATA_SPLIT_ENABLED;
	else if (!strcmp(s, "unknown"))
		*v = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	else
		return -EBADMSG;
	return 0;
}

/* the start time (field 22) and state (field 3) of /proc/PID/stat */
static int zc_proc_stat(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024], *p, *tok, *save;
	ssize_t len;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return zc_errno();
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return zc_errno();
	buf[len] = '\0';
	/* the command name may hold anything, ")" included */
	p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	for (field = 3, tok = strtok_r(p + 1, " ", &save); tok;
	     field++, tok = strtok_r(NULL, " ", &save)) {
		if (field == 3) {
			*state = tok[0];
		} else if (field == 22) {
			*start = strtoull(tok, NULL, 10);
			return 0;
		}
	}
	return -EBADMSG;
}

/* whether the process that wrote a state file still runs */
static bool zc_owner_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	char state;
	int ret;

	if (pid <= 0)
		return false;
	ret = zc_proc_stat(pid, &now, &state);
	if (ret == -ENOENT || ret == -ESRCH)
		return false;
	if (!ret)
		/* a zombie has closed its files, rings included */
		return state != 'Z' && state != 'X' && (!start || now == start);
	return !kill(pid, 0) || errno == EPERM;
}

static const char *zc_state_dir(void)
{
	const char *dir = secure_getenv("LIBURING_ZC_STATE_DIR");

	return dir && *dir ? dir : ZC_NIC_STATE_DIR;
}

/*
 * The state file of @ifname in the caller's network namespace, in
 * @nic->path; its directory (created if @create) open and locked in
 * *@dirfd, until zc_state_unlock().
 */
static int zc_state_path(struct io_uring_zcrx_nic *nic, const char *ifname,
			 bool create, int *dirfd)
{
	const char *dir = zc_state_dir();
	struct stat st;
	int len;

	*dirfd = -1;
	if (stat("/proc/self/ns/net", &st))
		return zc_errno();
	nic->netns = st.st_ino;
	len = snprintf(nic->path, sizeof(nic->path), "%s/%llu-%s.nic", dir,
		       nic->netns, ifname);
	if (len < 0 || (size_t)len >= sizeof(nic->path))
		return -ENAMETOOLONG;
	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return zc_errno();
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return zc_errno();
	/* best effort: a file system without locks still works */
	while (flock(*dirfd, LOCK_EX) && errno == EINTR)
		;
	return 0;
}

static void zc_state_unlock(int dirfd)
{
	if (dirfd >= 0)
		close(dirfd);	/* drops the lock */
}

static int zc_state_print(FILE *f, const struct io_uring_zcrx_nic *nic)
{
	__u32 i;

	fprintf(f, "# liburing-zc: changes to %s; undo with "
		"\"zcrx-nic restore %s\"\n", nic->ifname, nic->ifname);
	fprintf(f, "version %d\n", ZC_NIC_VERSION);
	fprintf(f, "pid %d %llu\n", (int)nic->owner, nic->owner_start);
	fprintf(f, "netns %llu\n", nic->netns);
	fprintf(f, "ifname %s\n", nic->ifname);
	fprintf(f, "ifindex %d\n", nic->ifindex);
	fprintf(f, "rxq %u\n", nic->rxq);
	fprintf(f, "flow %s %u %u\n", nic->family == AF_INET ? "tcp4" : "tcp6",
		nic->dst_port, nic->src_port);
	if (nic->hds_known)
		fprintf(f, "hds_orig %s\n", zc_hds_name(nic->hds_orig));
	if (nic->changes & IO_URING_ZCRX_NIC_CHANGED_HDS)
		fprintf(f, "undo_hds %s\n", zc_hds_name(nic->hds_orig));
	if (nic->changes & IO_URING_ZCRX_NIC_CHANGED_NTUPLE) {
		if (nic->ntuple_loc == RX_CLS_LOC_ANY)
			fprintf(f, "undo_ntuple any\n");
		else
			fprintf(f, "undo_ntuple %u\n", nic->ntuple_loc);
	}
	if (nic->changes & IO_URING_ZCRX_NIC_CHANGED_RSS) {
		fprintf(f, "undo_rss %s %u\n",
			nic->rss_default ? "default" : "table", nic->rss_size);
		if (!nic->rss_default) {
			fprintf(f, "rss_table");
			for (i = 0; i < nic->rss_size; i++)
				fprintf(f, " %u", nic->rss_orig[i]);
			fprintf(f, "\n");
		}
	}
	return ferror(f) ? -EIO : 0;
}

/*
 * Write the state file atomically.  @claim: it must not exist yet
 * (-EEXIST); else it replaces the old one.  No fsync(): the file has to
 * outlive the process, not the machine, whose NIC forgets it all anyway.
 */
static int zc_state_save(const struct io_uring_zcrx_nic *nic, bool claim)
{
	char tmp[PATH_MAX + 32];
	FILE *f;
	int fd, ret;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", nic->path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return zc_errno();
	f = fdopen(fd, "w");
	if (!f) {
		ret = zc_errno();
		close(fd);
		unlink(tmp);
		return ret;
	}
	ret = zc_state_print(f, nic);
	if (fclose(f) && !ret)
		ret = zc_errno();
	if (!ret && claim && link(tmp, nic->path))
		ret = zc_errno();
	else if (!ret && !claim && rename(tmp, nic->path))
		ret = zc_errno();
	unlink(tmp);
	return ret;
}

static int zc_state_line(struct io_uring_zcrx_nic *nic, const char *key,
			 char *val, unsigned int *seen)
{
	char word[16], *end;
	unsigned int a, b, i;
	int v;

	if (!strcmp(key, "version")) {
		if (sscanf(val, "%d", &v) != 1 || v != ZC_NIC_VERSION)
			return -EBADMSG;
		*seen |= 1;
	} else if (!strcmp(key, "pid")) {
		if (sscanf(val, "%d %llu", &v, &nic->owner_start) != 2)
			return -EBADMSG;
		nic->owner = v;
		*seen |= 2;
	} else if (!strcmp(key, "ifindex")) {
		if (sscanf(val, "%d", &nic->ifindex) != 1)
			return -EBADMSG;
		*seen |= 4;
	} else if (!strcmp(key, "rxq")) {
		if (sscanf(val, "%u", &nic->rxq) != 1)
			return -EBADMSG;
	} else if (!strcmp(key, "flow")) {
		if (sscanf(val, "%15s %u %u", word, &a, &b) != 3 ||
		    a > 0xffff || b > 0xffff)
			return -EBADMSG;
		if (!strcmp(word, "tcp4"))
			nic->family = AF_INET;
		else if (!strcmp(word, "tcp6"))
			nic->family = AF_INET6;
		else
			return -EBADMSG;
		nic->dst_port = a;
		nic->src_port = b;
	} else if (!strcmp(key, "hds_orig") || !strcmp(key, "undo_hds")) {
		if (zc_hds_value(val, &nic->hds_orig))
			return -EBADMSG;
		nic->hds_known = true;
		if (key[0] == 'u')
			nic->changes |= IO_URING_ZCRX_NIC_CHANGED_HDS;
	} else if (!strcmp(key, "undo_ntuple")) {
		if (!strcmp(val, "any"))
			nic->ntuple_loc = RX_CLS_LOC_ANY;
		else if (sscanf(val, "%u", &nic->ntuple_loc) != 1)
			return -EBADMSG;
		nic->changes |= IO_URING_ZCRX_NIC_CHANGED_NTUPLE;
	} else if (!strcmp(key, "undo_rss")) {
		if (sscanf(val, "%15s %u", word, &nic->rss_size) != 2 ||
		    !nic->rss_size || nic->rss_size > 1U << 20)
			return -EBADMSG;
		nic->rss_default = !strcmp(word, "default");
		nic->changes |= IO_URING_ZCRX_NIC_CHANGED_RSS;
	} else if (!strcmp(key, "rss_table")) {
		if (!nic->rss_size || nic->rss_orig)
			return -EBADMSG;
		nic->rss_orig = calloc(nic->rss_size, sizeof(__u32));
		if (!nic->rss_orig)
			return -ENOMEM;
		for (i = 0; i < nic->rss_size; i++) {
			errno = 0;
			nic->rss_orig[i] = strtoul(val, &end, 10);
			if (end == val || errno)
				return -EBADMSG;
			val = end;
		}
		val += strspn(val, " ");
		if (*val)
			return -EBADMSG;
	} else if (!strcmp(key, "ifname")) {
		if (!zc_ifname_ok(val))
			return -EBADMSG;
		memcpy(nic->ifname, val, strlen(val) + 1);
	}
	/* others (ifname, netns, comments) are for people */
	return 0;
}

/* Read the state file at @nic->path into @nic; -ENOENT if there is none. */
static int zc_state_load(struct io_uring_zcrx_nic *nic)
{
	unsigned int seen = 0;
	char *line = NULL, *val;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int ret = 0;

	f = fopen(nic->path, "re");
	if (!f)
		return zc_errno();
	while (!ret && (len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		val = strchr(line, ' ');
		if (!val) {
			ret = -EBADMSG;
			break;
		}
		*val++ = '\0';
		ret = zc_state_line(nic, line, val, &seen);
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (!ret && seen != 7)
		ret = -EBADMSG;
	if (!ret && (nic->changes & IO_URING_ZCRX_NIC_CHANGED_RSS) &&
	    !nic->rss_default && !nic->rss_orig)
		ret = -EBADMSG;
	if (!ret && (nic->changes & IO_URING_ZCRX_NIC_CHANGED_NTUPLE) &&
	    !nic->family)
		ret = -EBADMSG;
	return ret;
}

/* Undoing. */

static void zc_nic_free(struct io_uring_zcrx_nic *nic)
{
	free(nic->rss_orig);
	free(nic);
}

static void zc_nic_unlist(struct io_uring_zcrx_nic *nic)
{
	struct io_uring_zcrx_nic **p;

	for (p = &zc_nic_list; *p; p = &(*p)->next) {
		if (*p == nic) {
			*p = nic->next;
			break;
		}
	}
	nic->next = NULL;
}

static void zc_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long long zc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * tcp-data-split back to @nic's original value.  While a memory provider
 * (an io_uring zcrx queue, a devmem binding) is bound to one of its
 * queues the kernel refuses to turn it off with -EINVAL; an io_uring
 * releases its queue when the ring is closed, for a process that died
 * possibly a moment after its exit.  So @wait: retry for a while.
 */
static int zc_hds_restore(struct zc_dev *d, const struct io_uring_zcrx_nic *nic,
			  bool wait)
{
	long long end = zc_now_ms() + ZC_NIC_HDS_WAIT_MS;
	int ret;

	for (;;) {
		ret = zc_hds_set(d, nic->ifname, nic->hds_orig);
		if (!wait || (ret != -EINVAL && ret != -EBUSY) ||
		    zc_now_ms() >= end)
			return ret;
		zc_sleep_ms(ZC_NIC_HDS_STEP_MS);
	}
}

static bool zc_gone(int ret)
{
	return ret == -ENODEV || ret == -ENXIO;
}

/*
 * Undo what @nic->changes holds, newest first; what is undone leaves
 * @nic->changes.  Returns 0 or the first error.  A device that is gone
 * took all of it along.
 */
static int zc_nic_undo(struct zc_dev *d, struct io_uring_zcrx_nic *nic,
		       bool wait)
{
	unsigned int left = nic->changes;
	char name[IF_NAMESIZE];
	int ret = 0, err;
	__u32 loc;

	if (!left)
		return 0;
	/* by index: the device may have been renamed, or be another one */
	if (!if_indextoname(nic->ifindex, name)) {
		if (errno != ENXIO && errno != ENODEV)
			return zc_errno();
		nic->changes = 0;
		return 0;
	}
	memcpy(nic->ifname, name, sizeof(name));

	if (left & IO_URING_ZCRX_NIC_CHANGED_RSS) {
		err = zc_rss_set(d, nic->ifname,
				 nic->rss_default ? NULL : nic->rss_orig,
				 nic->rss_size);
		/* e.g. fewer rings now: the default table fits them */
		if (err == -EINVAL && !nic->rss_default)
			err = zc_rss_set(d, nic->ifname, NULL, 0);
		if (!err || zc_gone(err))
			nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_RSS;
		else
			ret = ret ?: err;
	}
	if (left & IO_URING_ZCRX_NIC_CHANGED_NTUPLE) {
		loc = nic->ntuple_loc;
		if (loc == RX_CLS_LOC_ANY)
			err = zc_rule_find(d, nic, &loc);
		else
			err = zc_rule_check(d, nic, loc);
		if (!err)
			err = zc_rule_delete(d, nic->ifname, loc);
		/* -ENOENT: not there (any more) */
		if (!err || err == -ENOENT || zc_gone(err))
			nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_NTUPLE;
		else
			ret = ret ?: err;
	}
	if (left & IO_URING_ZCRX_NIC_CHANGED_HDS) {
		err = zc_hds_restore(d, nic, wait);
		if (!err || zc_gone(err))
			nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_HDS;
		else
			ret = ret ?: err;
	}
	return ret;
}

/*
 * After an undo: remove the state file when nothing is left, else hand
 * what is left to whoever restores next (owner "0 0").  Frees @nic.
 */
static int zc_nic_finish(struct io_uring_zcrx_nic *nic, int ret)
{
	int err;

	if (!nic->changes) {
		if (unlink(nic->path) && errno != ENOENT && !ret)
			ret = zc_errno();
	} else {
		nic->owner = 0;
		nic->owner_start = 0;
		err = zc_state_save(nic, false);
		ret = ret ?: err;
	}
	zc_nic_free(nic);
	return ret;
}

/*
 * Restore from the state file @nic->path, whose directory is locked:
 * -ENOENT if there is none, -EBUSY if its owner is alive.  Frees @nic.
 */
static int zc_restore_file(struct io_uring_zcrx_nic *nic)
{
	struct zc_dev d;
	int ret;

	ret = zc_state_load(nic);
	if (ret == -EBADMSG)
		/* not ours to guess at; a person has to look */
		goto out;
	if (!ret && zc_owner_alive(nic->owner, nic->owner_start))
		ret = -EBUSY;
	if (ret)
		goto out;
	ret = zc_dev_open(&d);
	if (ret)
		goto out;
	ret = zc_nic_undo(&d, nic, true);
	zc_dev_close(&d);
	return zc_nic_finish(nic, ret);
out:
	zc_nic_free(nic);
	return ret;
}

/*
 * IO_URING_ZCRX_NIC_ATEXIT: the first setup with it registers one atexit()
 * handler, which restores the nics set up with the flag and not restored
 * yet.  exit() runs it before the kernel closes the process's files, so if
 * an io_uring ring still holds a zcrx queue of the device then, turning
 * tcp-data-split off fails (after the ~2 s wait) and the state file stays
 * behind: close the ring (io_uring_queue_exit()) before exit() for a
 * complete restore, or run "zcrx-nic restore IFNAME" afterwards.
 */
static void zc_nic_atexit(void)
{
	struct io_uring_zcrx_nic *nic, *next;
	pid_t me = getpid();

	/* a fork()ed child inherits the list, not the nics */
	for (nic = zc_nic_list; nic; nic = next) {
		next = nic->next;
		if (nic->owner == me)
			io_uring_zcrx_nic_restore(nic);
	}
}

/* The API. */

/*
 * Take rxq out of the RSS indirection table: its entries go round the
 * other queues.  With @steer, the entry that the device's hash of the
 * connection picks points at rxq instead (whatever it pointed at).  A
 * table that needs no change stays as it is; one that can be read but not
 * written too.
 */
static int zc_rss_apply(struct zc_dev *d, struct io_uring_zcrx_nic *nic,
			__u32 rings, bool steer)
{
	__u32 *table, size = 0, i, k, entry;
	bool change = false;
	int ret;

	ret = zc_rss_get(d, nic->ifname, &table, &size);
	if (ret == -EOPNOTSUPP && !steer)
		return 0;
	if (ret)
		return ret;
	entry = size;
	if (steer) {
		ret = zc_rss_entry(d, nic, size, &entry);
		if (ret) {
			free(table);
			return ret;
		}
	}
	nic->rss_default = true;
	for (i = 0; i < size; i++) {
		change |= i == entry ? table[i] != nic->rxq : table[i] == nic->rxq;
		nic->rss_default &= table[i] == i % rings;
	}
	if (!change) {
		free(table);
		return 0;
	}
	nic->rss_orig = table;
	nic->rss_size = size;
	nic->changes |= IO_URING_ZCRX_NIC_CHANGED_RSS;
	ret = zc_state_save(nic, false);
	if (ret)
		return ret;
	table = malloc(size * sizeof(__u32));
	if (!table)
		return -ENOMEM;
	for (i = 0, k = 0; i < size; i++) {
		table[i] = nic->rss_orig[i];
		if (i == entry) {
			table[i] = nic->rxq;
		} else if (table[i] == nic->rxq) {
			table[i] = k++ % (rings - 1);
			if (table[i] >= nic->rxq)
				table[i]++;
		}
	}
	ret = zc_rss_set(d, nic->ifname, table, size);
	free(table);
	if (ret) {
		nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_RSS;
		/* a table to read but not to write: leave it */
		if (ret == -EOPNOTSUPP && !steer)
			ret = zc_state_save(nic, false);
	}
	return ret;
}

static int zc_nic_steps(struct zc_dev *d, struct io_uring_zcrx_nic *nic,
			__u32 rings)
{
	struct ethtool_rxnfc cnt = { .cmd = ETHTOOL_GRXCLSRLCNT };
	bool ntuple;
	int ret;

	/*
	 * A device that lists no ntuple rules takes none: fail before
	 * anything changes (each change of split may reset the MAC), or,
	 * for a connection, steer through the RSS table alone.
	 */
	ret = zc_ethtool(d, nic->ifname, &cnt);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	ntuple = !ret;
	if (!ntuple && !nic->conn)
		return -EOPNOTSUPP;
	if (!ntuple && rings > 1 && (nic->flags & IO_URING_ZCRX_NIC_NO_RSS))
		return -EOPNOTSUPP;

	/* 1. tcp-data-split */
	ret = zc_hds_get(d, nic->ifname, &nic->hds_orig);
	if (ret)
		return ret;
	nic->hds_known = true;
	if (nic->hds_orig != ETHTOOL_TCP_DATA_SPLIT_ENABLED)
		nic->changes |= IO_URING_ZCRX_NIC_CHANGED_HDS;
	ret = zc_state_save(nic, false);
	if (ret)
		return ret;
	if (nic->changes & IO_URING_ZCRX_NIC_CHANGED_HDS) {
		ret = zc_hds_set(d, nic->ifname,
				 ETHTOOL_TCP_DATA_SPLIT_ENABLED);
		if (ret) {
			nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_HDS;
			return ret;
		}
	}

	if (!ntuple)
		return rings < 2 ? 0 : zc_rss_apply(d, nic, rings, true);

	/* 2. the ntuple rule; its location is known once it is in */
	ret = zc_rule_pick(d, nic->ifname, &nic->ntuple_loc);
	if (ret)
		return ret;
	nic->changes |= IO_URING_ZCRX_NIC_CHANGED_NTUPLE;
	ret = zc_state_save(nic, false);
	if (ret)
		return ret;
	ret = zc_rule_insert(d, nic);
	if (ret) {
		nic->changes &= ~IO_URING_ZCRX_NIC_CHANGED_NTUPLE;
		if (ret != -EOPNOTSUPP || !nic->conn)
			return ret;
		/* no ntuple rules: the RSS table steers the connection */
		ret = zc_state_save(nic, false);
		if (ret)
			return ret;
		if (rings < 2)
			return 0;	/* every flow reaches the one queue */
		if (nic->flags & IO_URING_ZCRX_NIC_NO_RSS)
			return -EOPNOTSUPP;
		return zc_rss_apply(d, nic, rings, true);
	}
	ret = zc_state_save(nic, false);
	if (ret)
		return ret;

	/* 3. RSS: the other queues take the entries of rxq */
	if (nic->flags & IO_URING_ZCRX_NIC_NO_RSS || rings < 2)
		return 0;
	return zc_rss_apply(d, nic, rings, false);
}

/*
 * The set-up of both entry points, for @nic (allocated, the flow in it)
 * from their checked arguments; frees @nic on failure.
 */
static int zc_nic_setup(struct io_uring_zcrx_nic **nicp,
			struct io_uring_zcrx_nic *nic, const char *ifname,
			__u32 rxq, unsigned int flags)
{
	struct io_uring_zcrx_nic *old;
	struct zc_dev d = { .fd = -1 };
	int ret, dirfd = -1;
	__u32 rings;
	char state;
	size_t i;

	memcpy(nic->ifname, ifname, strlen(ifname) + 1);
	nic->flags = flags;
	nic->rxq = rxq;
	nic->ntuple_loc = RX_CLS_LOC_ANY;
	nic->owner = getpid();
	if (zc_proc_stat(nic->owner, &nic->owner_start, &state))
		nic->owner_start = 0;	/* no /proc: the pid alone */

	ret = -ENODEV;
	nic->ifindex = if_nametoindex(ifname);
	if (!nic->ifindex)
		goto out_free;
	ret = zc_dev_open(&d);
	if (ret)
		goto out_free;
	ret = zc_rx_rings(&d, ifname, &rings);
	if (ret)
		goto out_free;
	if (rxq >= rings) {
		ret = -ERANGE;
		goto out_free;
	}
	if ((flags & IO_URING_ZCRX_NIC_ATEXIT) && !zc_nic_atexit_done) {
		if (atexit(zc_nic_atexit)) {
			ret = -ENOMEM;
			goto out_free;
		}
		zc_nic_atexit_done = true;
	}

	/* claim the state file, restoring a stale one first */
	ret = zc_state_path(nic, ifname, true, &dirfd);
	if (ret)
		goto out_free;
	for (i = 0; i < 2; i++) {
		ret = zc_state_save(nic, true);
		if (ret != -EEXIST)
			break;
		old = calloc(1, sizeof(*old));
		if (!old) {
			ret = -ENOMEM;
			break;
		}
		memcpy(old->path, nic->path, sizeof(old->path));
		ret = zc_restore_file(old);
		if (ret && ret != -ENOENT)
			break;
		ret = -EEXIST;
	}
	zc_state_unlock(dirfd);
	if (ret == -EEXIST)
		ret = -EBUSY;	/* someone keeps taking it */
	if (ret)
		goto out_free;

	ret = zc_nic_steps(&d, nic, rings);
	if (ret) {
		zc_nic_undo(&d, nic, false);
		zc_dev_close(&d);
		zc_nic_finish(nic, 0);
		return ret;
	}
	zc_dev_close(&d);
	if (flags & IO_URING_ZCRX_NIC_ATEXIT) {
		nic->next = zc_nic_list;
		zc_nic_list = nic;
	}
	*nicp = nic;
	return 0;

out_free:
	zc_dev_close(&d);
	zc_nic_free(nic);
	return ret;
}

/*
 * Prepare @ifname for zero-copy receive of @flow on rx queue @rxq; see the
 * top of this file.  Returns 0 and the handle in *@nicp, or:
 *  -EINVAL	a bad argument;
 *  -ENODEV	no such device in the caller's network namespace;
 *  -ERANGE	@rxq is not below the device's number of rx rings;
 *  -EBUSY	a live process (this one included) holds the device's state;
 *  -EOPNOTSUPP	the device cannot split headers or take ntuple rules;
 *  or what the kernel said (-EPERM without CAP_NET_ADMIN).
 * A stale state file is restored first; if that fails, its error.  On
 * failure all that was changed is undone and the state file removed; should
 * even the undo fail, the state file stays with what is left.
 */
int io_uring_zcrx_nic_setup(struct io_uring_zcrx_nic **nicp,
			    const char *ifname, __u32 rxq,
			    const struct io_uring_zcrx_flow *flow,
			    unsigned int flags)
{
	struct io_uring_zcrx_nic *nic;
	size_t i;

	if (!nicp)
		return -EINVAL;
	*nicp = NULL;
	if (!zc_ifname_ok(ifname) || !flow || (flags & ~ZC_NIC_FLAGS) ||
	    (flow->family != AF_INET && flow->family != AF_INET6) ||
	    !flow->dst_port)
		return -EINVAL;
	for (i = 0; i < ZC_ARRAY_SIZE(flow->__resv); i++)
		if (flow->__resv[i])
			return -EINVAL;

	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	nic->family = flow->family;
	nic->dst_port = flow->dst_port;
	nic->src_port = flow->src_port;
	return zc_nic_setup(nicp, nic, ifname, rxq, flags);
}

/*
 * The flow of the connected TCP socket @fd as its frames arrive: source
 * the peer, destination this end.  An IPv4-mapped IPv6 connection is an
 * IPv4 flow on the wire.
 */
static int zc_conn_flow(int fd, struct io_uring_zcrx_nic *nic)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer), olen;
	const struct sockaddr_in6 *l6, *p6;
	int type, i;

	if (getsockname(fd, (struct sockaddr *)&local, &llen))
		return zc_errno();
	if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
		return -EINVAL;
	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen))
		return zc_errno();
	if (type != SOCK_STREAM)
		return -EINVAL;
	olen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &type, &olen))
		return zc_errno();
	if (type != IPPROTO_TCP)
		return -EINVAL;	/* SCTP, MPTCP: other frames on the wire */
	if (getpeername(fd, (struct sockaddr *)&peer, &plen))
		return zc_errno();	/* -ENOTCONN: not connected yet */
	if (local.ss_family != peer.ss_family)
		return -EINVAL;
	if (local.ss_family == AF_INET) {
		const struct sockaddr_in *l4 = (void *)&local, *p4 = (void *)&peer;

		nic->family = AF_INET;
		memcpy(nic->daddr, &l4->sin_addr, 4);
		memcpy(nic->saddr, &p4->sin_addr, 4);
		nic->dst_port = ntohs(l4->sin_port);
		nic->src_port = ntohs(p4->sin_port);
		return 0;
	}
	if (local.ss_family != AF_INET6)
		return -EINVAL;
	l6 = (void *)&local;
	p6 = (void *)&peer;
	nic->family = AF_INET6;
	memcpy(nic->daddr, &l6->sin6_addr, 16);
	memcpy(nic->saddr, &p6->sin6_addr, 16);
	if (IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr) &&
	    IN6_IS_ADDR_V4MAPPED(&p6->sin6_addr)) {
		nic->family = AF_INET;
		for (i = 0; i < 4; i++) {
			nic->daddr[i] = nic->daddr[12 + i];
			nic->saddr[i] = nic->saddr[12 + i];
		}
	}
	nic->dst_port = ntohs(l6->sin6_port);
	nic->src_port = ntohs(p6->sin6_port);
	return 0;
}

/*
 * Prepare @ifname for zero-copy receive of the connected TCP socket @fd
 * on rx queue @rxq: as io_uring_zcrx_nic_setup() for the flow of its two
 * ports, and on a device without ntuple rules through the RSS indirection
 * table (see the top of this file).  The errors are setup's, and:
 *  -ENOTCONN	@fd is not connected;
 *  -EBADF, -ENOTSOCK	@fd is not a socket;
 *  -EINVAL	@fd is not a TCP socket of AF_INET or AF_INET6;
 *  -EOPNOTSUPP	neither ntuple rules nor a Toeplitz RSS table whose key and
 *		hashed fields the device tells (or IO_URING_ZCRX_NIC_NO_RSS
 *		on a device without ntuple rules).
 * On a device with one rx queue and no ntuple rules, nothing needs
 * steering: only split is turned on.
 */
int io_uring_zcrx_nic_setup_conn(struct io_uring_zcrx_nic **nicp,
				 const char *ifname, __u32 rxq, int fd,
				 unsigned int flags)
{
	struct io_uring_zcrx_nic *nic;
	int ret;

	if (!nicp)
		return -EINVAL;
	*nicp = NULL;
	if (!zc_ifname_ok(ifname) || fd < 0 || (flags & ~ZC_NIC_FLAGS))
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	ret = zc_conn_flow(fd, nic);
	if (ret) {
		zc_nic_free(nic);
		return ret;
	}
	nic->conn = true;
	return zc_nic_setup(nicp, nic, ifname, rxq, flags);
}

unsigned int io_uring_zcrx_nic_changes(const struct io_uring_zcrx_nic *nic)
{
	return nic ? nic->changes : 0;
}

/*
 * Undo what setup changed, newest first: the RSS table, the ntuple rule,
 * then tcp-data-split (only if setup turned it on, and waiting up to ~2 s
 * for a memory provider to release the device).  Always frees @nic.  0
 * once all is undone and the state file removed; else the first error, and
 * the state file keeps what is left, owned by nobody, so that
 * io_uring_zcrx_nic_restore_saved() (from this process or any other, e.g.
 * "zcrx-nic restore") can finish it, once the io_uring ring bound to the
 * device is closed.  A device that is gone counts as restored.
 */
int io_uring_zcrx_nic_restore(struct io_uring_zcrx_nic *nic)
{
	struct zc_dev d;
	int ret;

	if (!nic)
		return -EINVAL;
	zc_nic_unlist(nic);
	ret = zc_dev_open(&d);
	if (!ret) {
		ret = zc_nic_undo(&d, nic, true);
		zc_dev_close(&d);
	}
	return zc_nic_finish(nic, ret);
}

/*
 * Restore @ifname of the caller's network namespace from its state file,
 * after a crash of the process that set it up: -ENOENT if there is none,
 * -EBUSY if that process is still alive, -EBADMSG if the file makes no
 * sense; else as io_uring_zcrx_nic_restore().
 */
int io_uring_zcrx_nic_restore_saved(const char *ifname)
{
	struct io_uring_zcrx_nic *nic;
	int ret, dirfd;

	if (!zc_ifname_ok(ifname))
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	ret = zc_state_path(nic, ifname, false, &dirfd);
	if (ret) {
		zc_nic_free(nic);
		return ret;
	}
	ret = zc_restore_file(nic);
	zc_state_unlock(dirfd);
	return ret;
}

