/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-nic: show, prepare and restore a network device for zero-copy
 * receive, with the NIC helper of liburing-zc.
 *
 *   zcrx-nic [-N NETNS] show IFNAME
 *	tcp-data-split, the ntuple rules and the RSS indirection table
 *   zcrx-nic [-N NETNS] setup IFNAME QUEUE PORT [-6] [--no-rss]
 *	     [--src-port PORT] [--atexit]
 *	split on, TCP to local PORT steered to rx QUEUE, RSS kept off QUEUE;
 *	prints the changes and "ready", then holds them until SIGINT or
 *	SIGTERM and restores (--atexit: leaves that to the library's atexit()
 *	handler, IO_URING_ZCRX_NIC_ATEXIT)
 *   zcrx-nic [-N NETNS] restore IFNAME
 *	undo what a setup left behind (its process crashed or was killed)
 *
 * -N runs in the network namespace NETNS, a name of "ip netns" or a path,
 * as "ip netns exec NETNS zcrx-nic ..." would, with one process less.
 * The state files are per namespace and device ($LIBURING_ZC_STATE_DIR,
 * default /run/liburing-zc).
 *
 * Exits 0 on success, 1 on an error (with a line on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>

#include <liburing-zc.h>

static const char *prog = "zcrx-nic";

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: %s [-N NETNS] show IFNAME\n"
		"       %s [-N NETNS] setup IFNAME QUEUE PORT [-6] [--no-rss] "
		"[--src-port PORT] [--atexit]\n"
		"       %s [-N NETNS] restore IFNAME\n", prog, prog, prog);
	exit(2);
}

/* a line naming the error: "setup eth0: Device or resource busy (EBUSY)" */
static int fail(const char *what, const char *ifname, int err)
{
	const char *name = strerrorname_np(err);

	fprintf(stderr, "%s: %s %s: %s (%s)\n", prog, what, ifname,
		strerror(err), name ? name : "?");
	return 1;
}

/* show: a minimal generic netlink client for tcp-data-split */

struct nl_req {
	struct nlmsghdr		nh;
	struct genlmsghdr	gh;
	char			attrs[128];
};

static void nl_put(struct nl_req *r, unsigned short type, const void *data,
		   size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r +
					     NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(a + 1, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

#define NLMSG_AFTER(nh) \
	((struct nlmsghdr *)((char *)(nh) + NLMSG_ALIGN((nh)->nlmsg_len)))
#define NLA_AFTER(a) \
	((struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

/*
 * Send @r; return the payload of attribute @attr of the reply (at most
 * @len bytes into @out), 0 if the reply lacks it, or -errno.
 */
static int nl_get(int fd, struct nl_req *r, unsigned short attr, void *out,
		  size_t len)
{
	static union {
		char		buf[8192];
		struct nlmsghdr	nh;
	} rx;
	struct nlmsghdr *nh;
	struct nlattr *a;
	int n, rem, found = 0;

	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, rx.buf, sizeof(rx.buf), 0);
		if (n < 0)
			return -errno;
		for (nh = &rx.nh; n >= (int)sizeof(*nh) &&
		     nh->nlmsg_len >= sizeof(*nh) && (int)nh->nlmsg_len <= n;
		     n -= NLMSG_ALIGN(nh->nlmsg_len), nh = NLMSG_AFTER(nh)) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_type == NLMSG_ERROR)
				return e->error ? e->error : found;
			if (nh->nlmsg_type != r->nh.nlmsg_type ||
			    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			a = (struct nlattr *)((char *)e + GENL_HDRLEN);
			rem = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			     a->nla_len <= rem;
			     rem -= NLA_ALIGN(a->nla_len), a = NLA_AFTER(a)) {
				size_t have;

				if ((a->nla_type & NLA_TYPE_MASK) != attr)
					continue;
				have = a->nla_len - NLA_HDRLEN;
				memcpy(out, a + 1, have < len ? have : len);
				found = 1;
			}
		}
	}
}

static void nl_init(struct nl_req *r, unsigned short type, unsigned char cmd)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = type;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

/* "on", "off" or "unknown" */
static const char *show_hds(int fd, const char *ifname)
{
	unsigned short family = 0;
	unsigned char hds = ETHTOOL_TCP_DATA_SPLIT_UNKNOWN;
	struct nlattr *nest;
	struct nl_req r;

	nl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	nl_put(&r, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME,
	       sizeof(ETHTOOL_GENL_NAME));
	if (nl_get(fd, &r, CTRL_ATTR_FAMILY_ID, &family, sizeof(family)) <= 0)
		return "unknown";
	nl_init(&r, family, ETHTOOL_MSG_RINGS_GET);
	nest = (struct nlattr *)((char *)&r + r.nh.nlmsg_len);
	nl_put(&r, ETHTOOL_A_RINGS_HEADER | NLA_F_NESTED, NULL, 0);
	nl_put(&r, ETHTOOL_A_HEADER_DEV_NAME, ifname, strlen(ifname) + 1);
	nest->nla_len = (char *)&r + r.nh.nlmsg_len - (char *)nest;
	if (nl_get(fd, &r, ETHTOOL_A_RINGS_TCP_DATA_SPLIT, &hds, 1) <= 0)
		return "unknown";
	return hds == ETHTOOL_TCP_DATA_SPLIT_ENABLED ? "on" :
	       hds == ETHTOOL_TCP_DATA_SPLIT_DISABLED ? "off" : "unknown";
}

static int ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

static void show_rule(int fd, const char *ifname, __u32 loc)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXCLSRULE };
	struct ethtool_tcpip4_spec *h4 = &nfc.fs.h_u.tcp_ip4_spec;
	struct ethtool_tcpip4_spec *m4 = &nfc.fs.m_u.tcp_ip4_spec;
	struct ethtool_tcpip6_spec *h6 = &nfc.fs.h_u.tcp_ip6_spec;
	struct ethtool_tcpip6_spec *m6 = &nfc.fs.m_u.tcp_ip6_spec;
	__be16 dst = 0, src = 0, dmask = 0, smask = 0;
	const char *type;
	__u32 flow;

	nfc.fs.location = loc;
	if (ethtool(fd, ifname, &nfc)) {
		printf("  %u: ?\n", loc);
		return;
	}
	flow = nfc.fs.flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
	switch (flow) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW:
		dst = h4->pdst;
		dmask = m4->pdst;
		src = h4->psrc;
		smask = m4->psrc;
		type = flow == TCP_V4_FLOW ? "tcp4" : "udp4";
		break;
	case TCP_V6_FLOW:
	case UDP_V6_FLOW:
		dst = h6->pdst;
		dmask = m6->pdst;
		src = h6->psrc;
		smask = m6->psrc;
		type = flow == TCP_V6_FLOW ? "tcp6" : "udp6";
		break;
	default:
		type = "other";
	}
	printf("  %u: %s", loc, type);
	if (dmask)
		printf(" dst-port %u", ntohs(dst));
	if (smask)
		printf(" src-port %u", ntohs(src));
	if (nfc.fs.ring_cookie == RX_CLS_FLOW_DISC)
		printf(" drop\n");
	else
		printf(" queue %llu\n", (unsigned long long)
		       ethtool_get_flow_spec_ring(nfc.fs.ring_cookie));
}

static int show(const char *ifname)
{
	struct ethtool_rxnfc rings = { .cmd = ETHTOOL_GRXRINGS };
	struct ethtool_rxnfc cnt = { .cmd = ETHTOOL_GRXCLSRLCNT };
	struct ethtool_rxfh_indir q = { .cmd = ETHTOOL_GRXFHINDIR };
	struct ethtool_rxfh_indir *t;
	struct ethtool_rxnfc *all;
	__u32 i, *locs;
	int fd, ret;

	if (!if_nametoindex(ifname))
		return fail("show", ifname, ENODEV);
	/* the ethtool ioctl works on any socket, this one included */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return fail("show", ifname, errno);

	printf("tcp-data-split: %s\n", show_hds(fd, ifname));
	if (!ethtool(fd, ifname, &rings))
		printf("rx rings: %llu\n", (unsigned long long)rings.data);

	ret = ethtool(fd, ifname, &cnt);
	if (ret) {
		printf("ntuple: %s\n", ret == -EOPNOTSUPP ? "not supported" :
		       strerror(-ret));
	} else {
		printf("ntuple rules: %u\n", cnt.rule_cnt);
		all = calloc(1, sizeof(*all) + cnt.rule_cnt * sizeof(__u32));
		if (all) {
			all->cmd = ETHTOOL_GRXCLSRLALL;
			all->rule_cnt = cnt.rule_cnt;
			locs = (__u32 *)((char *)all +
				offsetof(struct ethtool_rxnfc, rule_locs));
			if (cnt.rule_cnt && !ethtool(fd, ifname, all))
				for (i = 0; i < all->rule_cnt; i++)
					show_rule(fd, ifname, locs[i]);
			free(all);
		}
	}

	ret = ethtool(fd, ifname, &q);
	if (!ret && !q.size)
		ret = -EOPNOTSUPP;
	t = ret ? NULL : calloc(1, sizeof(*t) + q.size * sizeof(__u32));
	if (t) {
		t->cmd = ETHTOOL_GRXFHINDIR;
		t->size = q.size;
		ret = ethtool(fd, ifname, t);
	}
	if (ret) {
		printf("rss: %s\n", ret == -EOPNOTSUPP ? "not supported" :
		       strerror(-ret));
	} else if (t) {
		printf("rss table (%u):", t->size);
		for (i = 0; i < t->size; i++)
			printf(" %u", t->ring_index[i]);
		printf("\n");
	}
	free(t);
	close(fd);
	return 0;
}

/* setup: hold the changes until a signal */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (!*s || *end || errno || v > max || *s == '-')
		usage();
	return v;
}

static int setup(int argc, char **argv)
{
	struct io_uring_zcrx_flow flow = { .family = AF_INET };
	struct sigaction sa = { .sa_handler = on_signal };
	struct io_uring_zcrx_nic *nic;
	unsigned int flags = 0, changes;
	const char *pos[3] = { NULL };
	sigset_t block, old;
	int i, n = 0, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-6"))
			flow.family = AF_INET6;
		else if (!strcmp(argv[i], "--no-rss"))
			flags |= IO_URING_ZCRX_NIC_NO_RSS;
		else if (!strcmp(argv[i], "--atexit"))
			flags |= IO_URING_ZCRX_NIC_ATEXIT;
		else if (!strcmp(argv[i], "--src-port") && i + 1 < argc)
			flow.src_port = number(argv[++i], 65535);
		else if (argv[i][0] == '-' || n == 3)
			usage();
		else
			pos[n++] = argv[i];
	}
	if (n != 3)
		usage();
	flow.dst_port = number(pos[2], 65535);

	/* a signal during setup waits for the changes to be complete */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = io_uring_zcrx_nic_setup(&nic, pos[0], number(pos[1], ~0U), &flow,
				      flags);
	if (ret)
		return fail("setup", pos[0], -ret);
	changes = io_uring_zcrx_nic_changes(nic);
	printf("changed:%s%s%s%s\n",
	       changes & IO_URING_ZCRX_NIC_CHANGED_HDS ? " hds" : "",
	       changes & IO_URING_ZCRX_NIC_CHANGED_NTUPLE ? " ntuple" : "",
	       changes & IO_URING_ZCRX_NIC_CHANGED_RSS ? " rss" : "",
	       changes ? "" : " nothing");
	printf("ready\n");
	fflush(stdout);

	while (!stop)
		sigsuspend(&old);
	if (flags & IO_URING_ZCRX_NIC_ATEXIT)
		exit(0);	/* and the handler restores */

	ret = io_uring_zcrx_nic_restore(nic);
	if (ret) {
		fail("restore", pos[0], -ret);
		fprintf(stderr, "%s: what is left: \"%s restore %s\"\n",
			prog, prog, pos[0]);
		return 1;
	}
	return 0;
}

/* -N: into the network namespace @name (of "ip netns") or at path @name */
static int enter_netns(const char *name)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" :
		 "/run/netns/", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		ret = errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		return fail("netns", name, ret);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc > 2 && !strcmp(argv[1], "-N")) {
		if (enter_netns(argv[2]))
			return 1;
		argc -= 2;
		argv += 2;
	}
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "show") && argc == 3)
		return show(argv[2]);
	if (!strcmp(argv[1], "setup"))
		return setup(argc - 2, argv + 2);
	if (!strcmp(argv[1], "restore") && argc == 3) {
		ret = io_uring_zcrx_nic_restore_saved(argv[2]);
		if (ret == -ENOENT) {
			printf("nothing to restore\n");
			return 0;
		}
		if (ret)
			return fail("restore", argv[2], -ret);
		printf("restored\n");
		return 0;
	}
	usage();
}
