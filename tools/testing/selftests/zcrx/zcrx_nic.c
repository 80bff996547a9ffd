// SPDX-License-Identifier: GPL-2.0
/*
 * Set or show tcp-data-split of a network device over ethtool netlink, for
 * the zcrx selftests (Debian 12's ethtool cannot, and the ynl CLI is slow
 * to start under a debug kernel).
 *
 *   zcrx_nic [-N netns] IFNAME hds [on|off|auto]
 *   zcrx_nic [-N netns] IFNAME stat NAME
 *   zcrx_nic [-N netns] IFNAME ppstat NAME
 *   zcrx_nic [-N netns] IFNAME qstat QUEUE NAME
 *   zcrx_nic [-N netns] IFNAME rss-port SRC DST DPORT QUEUE
 *
 * "auto" leaves split to the driver (ETHTOOL_TCP_DATA_SPLIT_UNKNOWN).
 * Without a value, prints "on", "off" or "unknown"; "stat" prints the value
 * of the "ethtool -S" counter NAME; "ppstat" prints the page pool
 * statistic NAME (alloc-fast, recycle-ring, ... as netdev netlink calls
 * them) summed over the page pools of IFNAME that an io_uring interface
 * queue feeds, and fails if there is none.  "qstat" prints the statistic
 * NAME (rx-packets or rx-bytes, as netdev netlink's qstats-get calls them)
 * of rx queue QUEUE, and exits with 4 if the device does not report it.
 * "rss-port" prints the lowest
 * source port from 20000 up that makes IFNAME's RSS (Toeplitz hash of the
 * addresses and ports, its key and indirection table as they are now)
 * send the TCP flow from SRC to DST:DPORT to rx queue QUEUE (a device
 * that hashes TCP on other fields, or not with Toeplitz, fails with
 * EOPNOTSUPP).  Exits non-zero with the
 * kernel's error message on failure.
 */
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <linux/genetlink.h>
#include <linux/netdev.h>
#include <linux/netlink.h>

#include "zcrx_common.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NLBUF	65536
/* the kernel's ETH_RSS_HASH_TOP (bit 0 of ethtool's hash functions), not in uapi */
#define RSS_HASH_TOP	1

struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[512];
};

static struct nlattr *nla_put(struct nlmsghdr *nh, int type, const void *data, int len)
{
	struct nlattr *nla = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return nla;
}

static void nla_nest_end(struct nlmsghdr *nh, struct nlattr *nest)
{
	nest->nla_len = (char *)nh + nh->nlmsg_len - (char *)nest;
}

/*
 * Send @req and read until its acknowledgment; the messages before it are
 * left in @buf.  Returns their total length, or the kernel's -errno.
 */
static int nl_talk(int fd, struct nl_req *req, char *buf)
{
	static char rx[NLBUF];
	int used = 0;

	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, req, req->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *nh;
		int len = recv(fd, rx, sizeof(rx), 0);

		if (len < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)rx; NLMSG_OK(nh, (unsigned int)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return used;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(nh);

				return err->error ? err->error : used;
			}
			if (used + (int)nh->nlmsg_len > NLBUF)
				return -EMSGSIZE;
			memcpy(buf + used, nh, nh->nlmsg_len);
			used += NLMSG_ALIGN(nh->nlmsg_len);
		}
	}
}

static void req_init(struct nl_req *req, int type, int cmd)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nh.nlmsg_type = type;
	req->gh.cmd = cmd;
	req->gh.version = 1;
}

static int genl_family(int fd, const char *name)
{
	static char buf[NLBUF];
	struct nl_req req;
	struct nlmsghdr *nh;
	int len;

	req_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	nla_put(&req.nh, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	len = nl_talk(fd, &req, buf);
	if (len < 0)
		return len;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
		int rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

		if (nh->nlmsg_type != GENL_ID_CTRL)
			continue;
		for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
		     rem -= NLA_ALIGN(a->nla_len),
		     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
			if (a->nla_type == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)((char *)a + NLA_HDRLEN);
	}
	return -ENOENT;
}

static int rings(int fd, int family, const char *ifname, int set)
{
	static char buf[NLBUF];
	struct nlattr *nest, *a;
	struct nlmsghdr *nh;
	struct nl_req req;
	int len, rem;
	uint8_t val;

	req_init(&req, family, set >= 0 ? ETHTOOL_MSG_RINGS_SET : ETHTOOL_MSG_RINGS_GET);
	nest = nla_put(&req.nh, ETHTOOL_A_RINGS_HEADER | NLA_F_NESTED, NULL, 0);
	nla_put(&req.nh, ETHTOOL_A_HEADER_DEV_NAME, ifname, strlen(ifname) + 1);
	nla_nest_end(&req.nh, nest);
	if (set >= 0) {
		val = set;
		nla_put(&req.nh, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &val, 1);
	}
	len = nl_talk(fd, &req, buf);
	if (len < 0 || set >= 0)
		return len < 0 ? len : 0;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type != family)
			continue;
		a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
		rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
		     rem -= NLA_ALIGN(a->nla_len),
		     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
			if ((a->nla_type & NLA_TYPE_MASK) == ETHTOOL_A_RINGS_TCP_DATA_SPLIT)
				return *((uint8_t *)a + NLA_HDRLEN);
	}
	return ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
}

static int ethtool_ioctl(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* Print the "ethtool -S" counter @name of @ifname. */
static int stat_one(const char *ifname, const char *name)
{
	struct ethtool_gstrings *strings = NULL;
	struct ethtool_stats *stats = NULL;
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO,
			    .sset_mask = 1ULL << ETH_SS_STATS } };
	int fd, ret, n;
	__u32 i;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ethtool_ioctl(fd, ifname, &sset);
	if (ret)
		goto out;
	n = sset.hdr.sset_mask ? sset.len : 0;
	strings = calloc(1, sizeof(*strings) + n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + n * sizeof(__u64));
	ret = -ENOMEM;
	if (!strings || !stats)
		goto out;
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	ret = ethtool_ioctl(fd, ifname, strings) ?: ethtool_ioctl(fd, ifname, stats);
	if (ret)
		goto out;
	ret = -ENOENT;
	for (i = 0; i < stats->n_stats; i++) {
		if (!strncmp((char *)strings->data + i * ETH_GSTRING_LEN, name,
			     ETH_GSTRING_LEN)) {
			printf("%llu\n", (unsigned long long)stats->data[i]);
			ret = 0;
			break;
		}
	}
out:
	free(strings);
	free(stats);
	close(fd);
	return ret;
}

/* Walk the attributes in the @len bytes at @start; @a is each in turn. */
#define for_each_attr(a, rem, start, len)					\
	for (a = (start), rem = (len);						\
	     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem; \
	     rem -= NLA_ALIGN(a->nla_len),					\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

/* A netlink "uint": 4 or 8 bytes. */
static uint64_t nla_uint(const struct nlattr *a)
{
	const void *d = (const char *)a + NLA_HDRLEN;

	if (a->nla_len - NLA_HDRLEN == 8)
		return *(const uint64_t *)d;
	return *(const uint32_t *)d;
}

static const char *const pp_stat_names[] = {
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_FAST] = "alloc-fast",
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_SLOW] = "alloc-slow",
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_SLOW_HIGH_ORDER] = "alloc-slow-high-order",
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_EMPTY] = "alloc-empty",
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_REFILL] = "alloc-refill",
	[NETDEV_A_PAGE_POOL_STATS_ALLOC_WAIVE] = "alloc-waive",
	[NETDEV_A_PAGE_POOL_STATS_RECYCLE_CACHED] = "recycle-cached",
	[NETDEV_A_PAGE_POOL_STATS_RECYCLE_CACHE_FULL] = "recycle-cache-full",
	[NETDEV_A_PAGE_POOL_STATS_RECYCLE_RING] = "recycle-ring",
	[NETDEV_A_PAGE_POOL_STATS_RECYCLE_RING_FULL] = "recycle-ring-full",
	[NETDEV_A_PAGE_POOL_STATS_RECYCLE_RELEASED_REFCNT] = "recycle-released-refcnt",
};

#define MAX_POOLS	64
#define NR_PP_STATS	ARRAY_SIZE(pp_stat_names)

/*
 * Print the page pool statistic @name summed over the pools of @ifname
 * that have an io_uring provider.
 */
static int pp_stat(const char *ifname, const char *name)
{
	static char buf[NLBUF];
	uint64_t ids[MAX_POOLS], sum = 0;
	int fd, family, len, rem, stat, n = 0, i;
	unsigned int ifindex;
	struct nlattr *a, *b;
	struct nlmsghdr *nh;
	struct nl_req req;

	for (stat = 0; stat < (int)NR_PP_STATS; stat++)
		if (pp_stat_names[stat] && !strcmp(pp_stat_names[stat], name))
			break;
	if (stat == (int)NR_PP_STATS)
		return -EINVAL;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	family = genl_family(fd, NETDEV_FAMILY_NAME);
	if (family < 0) {
		close(fd);
		return family;
	}

	/* The pools of the device that io_uring feeds. */
	req_init(&req, family, NETDEV_CMD_PAGE_POOL_GET);
	req.nh.nlmsg_flags = NLM_F_DUMP;
	len = nl_talk(fd, &req, buf);
	for (nh = (struct nlmsghdr *)buf; len > 0 && NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		uint64_t id = 0, dev = 0;
		bool uring = false;

		if (nh->nlmsg_type != family)
			continue;
		for_each_attr(a, rem, (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN),
			      (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN))) {
			switch (a->nla_type & NLA_TYPE_MASK) {
			case NETDEV_A_PAGE_POOL_ID:
				id = nla_uint(a);
				break;
			case NETDEV_A_PAGE_POOL_IFINDEX:
				dev = nla_uint(a);
				break;
			case NETDEV_A_PAGE_POOL_IO_URING:
				uring = true;
				break;
			}
		}
		if (uring && dev == ifindex && n < MAX_POOLS)
			ids[n++] = id;
	}
	if (len < 0 || !n) {
		close(fd);
		return len < 0 ? len : -ENOENT;
	}

	/* Their statistics. */
	req_init(&req, family, NETDEV_CMD_PAGE_POOL_STATS_GET);
	req.nh.nlmsg_flags = NLM_F_DUMP;
	len = nl_talk(fd, &req, buf);
	close(fd);
	if (len < 0)
		return len;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		uint64_t id = 0, val = 0;
		int rem2;

		if (nh->nlmsg_type != family)
			continue;
		for_each_attr(a, rem, (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN),
			      (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN))) {
			if ((a->nla_type & NLA_TYPE_MASK) == NETDEV_A_PAGE_POOL_STATS_INFO) {
				for_each_attr(b, rem2, (struct nlattr *)((char *)a + NLA_HDRLEN),
					      (int)(a->nla_len - NLA_HDRLEN))
					if ((b->nla_type & NLA_TYPE_MASK) == NETDEV_A_PAGE_POOL_ID)
						id = nla_uint(b);
			} else if ((a->nla_type & NLA_TYPE_MASK) == stat) {
				val = nla_uint(a);
			}
		}
		for (i = 0; i < n; i++)
			if (ids[i] == id)
				sum += val;
	}
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}

/*
 * Print the statistic @name of rx queue @queue of @ifname, from netdev
 * netlink's per-queue statistics; -EOPNOTSUPP if the device has none.
 */
static int queue_stat(const char *ifname, unsigned int queue, const char *name)
{
	static char buf[NLBUF];
	uint32_t ifindex, scope = NETDEV_QSTATS_SCOPE_QUEUE;
	int fd, family, len, rem, stat;
	struct nlmsghdr *nh;
	struct nl_req req;
	struct nlattr *a;

	if (!strcmp(name, "rx-packets"))
		stat = NETDEV_A_QSTATS_RX_PACKETS;
	else if (!strcmp(name, "rx-bytes"))
		stat = NETDEV_A_QSTATS_RX_BYTES;
	else
		return -EINVAL;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	family = genl_family(fd, NETDEV_FAMILY_NAME);
	if (family < 0) {
		close(fd);
		return family;
	}
	req_init(&req, family, NETDEV_CMD_QSTATS_GET);
	req.nh.nlmsg_flags = NLM_F_DUMP;
	nla_put(&req.nh, NETDEV_A_QSTATS_IFINDEX, &ifindex, sizeof(ifindex));
	nla_put(&req.nh, NETDEV_A_QSTATS_SCOPE, &scope, sizeof(scope));
	len = nl_talk(fd, &req, buf);
	close(fd);
	if (len < 0)
		return len;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)len);
	     nh = NLMSG_NEXT(nh, len)) {
		uint64_t type = ~0ULL, id = ~0ULL, val = 0;
		bool found = false;

		if (nh->nlmsg_type != family)
			continue;
		for_each_attr(a, rem, (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN),
			      (int)(nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN))) {
			int t = a->nla_type & NLA_TYPE_MASK;

			if (t == NETDEV_A_QSTATS_QUEUE_TYPE) {
				type = nla_uint(a);
			} else if (t == NETDEV_A_QSTATS_QUEUE_ID) {
				id = nla_uint(a);
			} else if (t == stat) {
				val = nla_uint(a);
				found = true;
			}
		}
		if (type == NETDEV_QUEUE_TYPE_RX && id == queue) {
			if (!found)
				break;
			printf("%llu\n", (unsigned long long)val);
			return 0;
		}
	}
	return -EOPNOTSUPP;
}

static int rss_port(const char *ifname, const char *src, const char *dst,
		    int dport, unsigned int queue)
{
	struct ethtool_rxfh q = { .cmd = ETHTOOL_GRSSH }, *rxfh = NULL;
	struct ethtool_rxnfc fields = { .cmd = ETHTOOL_GRXFH };
	uint8_t in[36], *key;
	int fd, ret, family = strchr(src, ':') ? AF_INET6 : AF_INET;
	size_t alen = family == AF_INET ? 4 : 16;
	unsigned int sport;

	if (inet_pton(family, src, in) != 1 ||
	    inet_pton(family, dst, in + alen) != 1 || dport <= 0 || dport > 65535)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the hash must be over both addresses and both ports, nothing else */
	fields.flow_type = family == AF_INET ? TCP_V4_FLOW : TCP_V6_FLOW;
	ret = ethtool_ioctl(fd, ifname, &fields);
	if (ret)
		goto out;
	ret = -EOPNOTSUPP;
	if (fields.data != (RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3))
		goto out;
	ret = ethtool_ioctl(fd, ifname, &q);
	if (ret)
		goto out;
	ret = -EOPNOTSUPP;
	if (!q.indir_size || q.key_size < 2 * alen + 8)
		goto out;
	rxfh = calloc(1, sizeof(*rxfh) + q.indir_size * 4 + q.key_size);
	ret = -ENOMEM;
	if (!rxfh)
		goto out;
	*rxfh = q;
	ret = ethtool_ioctl(fd, ifname, rxfh);
	if (ret)
		goto out;
	ret = -EOPNOTSUPP;
	/* Toeplitz over the fields as they are, not made symmetric */
	if (rxfh->hfunc != RSS_HASH_TOP || rxfh->input_xfrm)
		goto out;
	key = (uint8_t *)&rxfh->rss_config[rxfh->indir_size];
	in[2 * alen + 2] = dport >> 8;
	in[2 * alen + 3] = dport & 0xff;
	ret = -ENOENT;
	for (sport = 20000; sport < 65536; sport++) {
		in[2 * alen] = sport >> 8;
		in[2 * alen + 1] = sport & 0xff;
		if (rxfh->rss_config[zcrx_toeplitz(key, rxfh->key_size, in, 2 * alen + 4) %
				     rxfh->indir_size] == queue) {
			printf("%u\n", sport);
			ret = 0;
			break;
		}
	}
out:
	free(rxfh);
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	int fd, family, ret, set = -1, i = 1;

	if (argc > 2 && !strcmp(argv[1], "-N")) {
		ret = zcrx_enter_netns(argv[2]);
		if (ret) {
			fprintf(stderr, "netns %s: %s\n", argv[2], strerror(-ret));
			return 1;
		}
		i = 3;
	}
	if (argc - i == 3 && !strcmp(argv[i + 1], "stat")) {
		ret = stat_one(argv[i], argv[i + 2]);
		if (ret)
			fprintf(stderr, "%s: %s: %s\n", argv[i], argv[i + 2], strerror(-ret));
		return !!ret;
	}
	if (argc - i == 3 && !strcmp(argv[i + 1], "ppstat")) {
		ret = pp_stat(argv[i], argv[i + 2]);
		if (ret)
			fprintf(stderr, "%s: page pool %s: %s\n", argv[i], argv[i + 2],
				strerror(-ret));
		return !!ret;
	}
	if (argc - i == 4 && !strcmp(argv[i + 1], "qstat")) {
		ret = queue_stat(argv[i], strtoul(argv[i + 2], NULL, 0), argv[i + 3]);
		if (ret)
			fprintf(stderr, "%s: rx queue %s: %s: %s\n", argv[i], argv[i + 2],
				argv[i + 3], strerror(-ret));
		return ret == -EOPNOTSUPP ? 4 : !!ret;
	}
	if (argc - i == 6 && !strcmp(argv[i + 1], "rss-port")) {
		ret = rss_port(argv[i], argv[i + 2], argv[i + 3], atoi(argv[i + 4]),
			       strtoul(argv[i + 5], NULL, 0));
		if (ret)
			fprintf(stderr, "%s: rss-port: %s\n", argv[i], strerror(-ret));
		return !!ret;
	}
	if (argc - i < 2 || argc - i > 3 || strcmp(argv[i + 1], "hds")) {
		fprintf(stderr,
			"usage: %s [-N netns] IFNAME hds [on|off|auto] | stat NAME | ppstat NAME\n"
			"       | qstat QUEUE NAME | rss-port SRC DST DPORT QUEUE\n",
			argv[0]);
		return 2;
	}
	if (argc - i == 3)
		set = !strcmp(argv[i + 2], "on") ? ETHTOOL_TCP_DATA_SPLIT_ENABLED :
		      !strcmp(argv[i + 2], "auto") ? ETHTOOL_TCP_DATA_SPLIT_UNKNOWN :
		      ETHTOOL_TCP_DATA_SPLIT_DISABLED;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0) {
		perror("netlink socket");
		return 1;
	}
	family = genl_family(fd, ETHTOOL_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "ethtool netlink family: %s\n", strerror(-family));
		return 1;
	}
	ret = rings(fd, family, argv[i], set);
	if (ret < 0) {
		fprintf(stderr, "%s: tcp-data-split: %s\n", argv[i], strerror(-ret));
		return 1;
	}
	if (set < 0)
		printf("%s\n", ret == ETHTOOL_TCP_DATA_SPLIT_ENABLED ? "on" :
		       ret == ETHTOOL_TCP_DATA_SPLIT_DISABLED ? "off" : "unknown");
	close(fd);
	return 0;
}
