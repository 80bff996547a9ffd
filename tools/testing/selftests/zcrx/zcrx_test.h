/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What iou_zcrx_reg, iou_zcrx_data, iou_zcrx_pressure and iou_zcrx_teardown
 * share: io_uring zero-copy receive over two linked netdevsim ports in two
 * network namespaces, named after the program's pid.  Namespace B
 * receives: its port has three rx queues and tcp-data-split on, an ntuple
 * rule steers the test flow to the rx queue that an interface queue ("ifq")
 * of an io_uring instance is bound to, and IORING_OP_RECV_ZC hands the
 * payload over inside the ifq's area.  The senders in namespace A write the
 * pattern of zcrx_common.h, so that every misplaced, duplicated or lost byte
 * shows.
 *
 * The fdinfo of a ring has one "ZcrxIfq:" line per ifq; its counters make
 * the checks exact.
 *
 * With ZCRX_NIC=hw the pair is two cabled interfaces of real hardware that
 * the environment names (see nsim_env.sh): B has the rx queues of its
 * device, and the test flows are steered by ntuple rules if the device has
 * them, by the senders' source ports (as on e1000e) if not.
 *
 * Define _GNU_SOURCE before including this file; it brings in the
 * kselftest harness.
 */
#ifndef __ZCRX_TEST_H
#define __ZCRX_TEST_H

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

/*
 * Keep -Wextra builds quiet about the harness itself: an unused parameter
 * in its header, and the locals its test wrappers keep across setjmp().
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "zcrx_common.h"
#include "zcrx_uring.h"

/*
 * With ZCRX_NIC=e1000e the pair is two emulated 82574L (nsim_env.sh): two
 * rx queues and no ntuple rules; steer() then makes the senders leave
 * from a source port that B's RSS table sends to the queue wanted.
 */
static bool on_e1000e;

/*
 * ZCRX_NIC=hw: ZCRX_IF's number of rx queues, and whether its flows are
 * steered through the RSS table (no ntuple rules), as nsim_env.sh noted
 * them when it set the pair up.
 */
static bool on_hw;
static int hw_queues;
static bool hw_rss;

#define IFNAME		"eth0"
#define NR_QUEUES	(on_hw ? hw_queues : on_e1000e ? 2 : 3)
#define ZC_QUEUE	1	/* the ifq's queue */
/* another queue, ordinary pages */
#define ALT_QUEUE	(on_hw ? (hw_queues > 2 ? 2 : 0) : on_e1000e ? 0 : 2)
#define PORT		9300
#define PORT2		9301
#define RULE_LOC	1
#define RULE_LOC2	2

#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)
#define SQ_ENTRIES	64
#define CQ_ENTRIES	4096
#define AREA_LEN	(16UL << 20)
#define RQ_ENTRIES	4096
#define STALL_MS	30000		/* no completion for this long: stuck */
#define MAX_STREAMS	4
#define MAX_KIDS	8

#define CANCEL_UD	(1ULL << 32)	/* user_data of cancel requests */
#define EVENT_UD	(2ULL << 32)	/* user_data of zcrx events */

#define KiB		1024ULL
#define MiB		(1024ULL * 1024)

/* The layouts of the ABI sheet, as these programs see them. */
_Static_assert(sizeof(struct io_uring_zcrx_rqe) == 16, "rqe");
_Static_assert(sizeof(struct io_uring_zcrx_cqe) == 16, "zcrx cqe");
_Static_assert(sizeof(struct io_uring_zcrx_offsets) == 32, "offsets");
_Static_assert(sizeof(struct io_uring_zcrx_area_reg) == 48, "area_reg");
_Static_assert(sizeof(struct io_uring_zcrx_ifq_reg) == 96, "ifq_reg");
_Static_assert(sizeof(struct io_uring_region_desc) == 64, "region_desc");
_Static_assert(sizeof(struct zcrx_ctrl) == 72, "zcrx_ctrl");
_Static_assert(offsetof(struct io_uring_sqe, file_index) == 44, "ifq slot");

static inline size_t pagesz(void)
{
	static size_t sz;

	if (!sz)
		sz = sysconf(_SC_PAGESIZE);
	return sz;
}

static inline size_t page_align(size_t len)
{
	return (len + pagesz() - 1) & ~(pagesz() - 1);
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* the two namespaces */

/*
 * Setting the netdevsim pair up and down takes about 15 s under a debug
 * kernel in emulation, so the tests of a program share one pair: the first
 * test that finds none (or a broken one) creates it, the program removes it
 * when it exits.  A test that changes the pair puts it back, or leaves it
 * visibly broken for the next test to recreate.
 */
struct env {
	char ns_a[32];
	char ns_b[32];
	int ifindex;		/* eth0 of namespace B */
	bool hds_off;		/* tcp-data-split to turn on again */
	pid_t kids[MAX_KIDS];	/* senders not reaped yet */
};

static pid_t main_pid;

static inline void env_names(struct env *e)
{
	snprintf(e->ns_a, sizeof(e->ns_a), "zcrx-ia-%d", main_pid);
	snprintf(e->ns_b, sizeof(e->ns_b), "zcrx-ib-%d", main_pid);
}

/* Both devices still there, as nsim_env.sh recorded them. */
static inline bool env_alive(const struct env *e)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", e->ns_a);
	if (access(path, F_OK))
		return false;
	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", e->ns_b);
	if (access(path, F_OK))
		return false;
	/* an e1000e unbound by nsim_del() is bound again by "down" */
	snprintf(path, sizeof(path), "/run/netns/.%s.unplugged", e->ns_b);
	return access(path, F_OK);
}

/* ZCRX_NIC=hw: what nsim_env.sh noted of B's interface. */
static inline int hw_note_read(const char *ns)
{
	char path[128], steer[16];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "hw %*s %*s %*s %d %15s", &hw_queues, steer);
	fclose(f);
	if (n != 2)
		return -EPROTO;
	hw_rss = !strcmp(steer, "rss");
	return 0;
}

/* Get the pair (split headers on B) and move into namespace B. */
static inline int env_get(struct env *e)
{
	memset(e, 0, sizeof(*e));
	env_names(e);
	if (!env_alive(e)) {
		zcrx_env_down(e->ns_a, e->ns_b);
		if (zcrx_env_up(e->ns_a, e->ns_b, NR_QUEUES))
			return -1;
		if (zcrx_env_hds(e->ns_b, 1)) {
			zcrx_env_down(e->ns_a, e->ns_b);
			return -1;
		}
	}
	if (on_hw && hw_note_read(e->ns_b))
		return -1;
	if (zcrx_enter_netns(e->ns_b))
		return -1;
	e->ifindex = if_nametoindex(IFNAME);
	return e->ifindex ? 0 : -1;
}

/* End of a test: no sender survives it, split is on again. */
static inline int env_put(struct env *e)
{
	int i, ret = 0;

	for (i = 0; i < MAX_KIDS; i++) {
		if (e->kids[i] > 0) {
			kill(e->kids[i], SIGKILL);
			waitpid(e->kids[i], NULL, 0);
			e->kids[i] = 0;
		}
	}
	if (e->hds_off && env_alive(e))
		ret = zcrx_env_hds(e->ns_b, 1);
	return ret;
}

static void __attribute__((constructor)) env_init(void)
{
	const char *nic = getenv("ZCRX_NIC");

	main_pid = getpid();
	on_e1000e = nic && !strcmp(nic, "e1000e");
	on_hw = zcrx_hw_mode();
}

static void __attribute__((destructor)) env_fini(void)
{
	struct env e;
	char path[128];

	if (getpid() != main_pid)
		return;
	env_names(&e);
	snprintf(path, sizeof(path), "/run/netns/%s", e.ns_b);
	if (env_alive(&e) || !access(path, F_OK))
		zcrx_env_down(e.ns_a, e.ns_b);
}

/*
 * RSS steering, for a NIC without ntuple rules: B's key and indirection
 * table, and the queue each steered port wants.  Filled in by steer() in
 * the test, read by the senders it forks.
 */
#define RSS_MAX_KEY	64
#define RSS_MAX_TABLE	512
#define RSS_MAX_PORTS	8
static struct {
	uint8_t key[RSS_MAX_KEY];
	uint32_t table[RSS_MAX_TABLE];
	uint32_t key_len, size;
	int port[RSS_MAX_PORTS], queue[RSS_MAX_PORTS];
} rss;

/*
 * The addresses of A and B: the usual ones, or with ZCRX_NIC=hw those the
 * environment gives (ZCRX_PEER_ADDR4 and so on, as nsim_env.sh reads them).
 */
static inline const char *hw_addr(const char *var, const char *def)
{
	const char *v = on_hw ? getenv(var) : NULL;

	return v && *v ? v : def;
}

static inline const char *a_addr(int family)
{
	return family == AF_INET ? hw_addr("ZCRX_PEER_ADDR4", ZCRX_NS_A_ADDR4) :
				   hw_addr("ZCRX_PEER_ADDR6", ZCRX_NS_A_ADDR6);
}

static inline const char *b_addr(int family)
{
	return family == AF_INET ? hw_addr("ZCRX_ADDR4", ZCRX_NS_B_ADDR4) :
				   hw_addr("ZCRX_ADDR6", ZCRX_NS_B_ADDR6);
}

/*
 * ZCRX_NIC=hw: whether B's device hashes TCP over @family on both
 * addresses and both ports with Toeplitz, as rss_bind() computes it (an
 * 82574L does, like most NICs, but a device may hash on fewer fields or
 * make the hash symmetric).
 */
static inline int rss_check(int fd, int family, const struct ethtool_rxfh *h)
{
	struct ethtool_rxnfc fields = { .cmd = ETHTOOL_GRXFH };
	struct ifreq ifr;

	fields.flow_type = family == AF_INET ? TCP_V4_FLOW : TCP_V6_FLOW;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ifr.ifr_data = (void *)&fields;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	if (fields.data != (RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3) ||
	    h->hfunc != 1 /* ETH_RSS_HASH_TOP */ || h->input_xfrm) {
		ksft_print_msg("%s: %s\n", IFNAME,
			       "no ntuple rules, and RSS is not Toeplitz over addresses and ports: cannot steer");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Read B's (the current namespace's) RSS key and table into rss. */
static inline int rss_read(int family)
{
	struct {
		struct ethtool_rxfh h;
		uint32_t data[RSS_MAX_TABLE + RSS_MAX_KEY / 4];
	} q;
	struct ifreq ifr;
	int fd, ret;

	memset(&q, 0, sizeof(q));
	q.h.cmd = ETHTOOL_GRSSH;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ifr.ifr_data = (void *)&q;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	if (!ret && (q.h.indir_size > RSS_MAX_TABLE || q.h.key_size > RSS_MAX_KEY ||
		     !q.h.indir_size || q.h.key_size < 40))
		ret = -EOPNOTSUPP;
	if (!ret)
		ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	if (!ret && on_hw)
		ret = rss_check(fd, family, &q.h);
	close(fd);
	if (ret)
		return ret;
	rss.size = q.h.indir_size;
	rss.key_len = q.h.key_size;
	memcpy(rss.table, q.h.rss_config, rss.size * 4);
	memcpy(rss.key, (uint8_t *)&q.h.rss_config[rss.size], rss.key_len);
	return 0;
}

/* The queue steer() asked for @port, or -1. */
static inline int rss_queue(int port)
{
	int i;

	for (i = 0; i < RSS_MAX_PORTS; i++)
		if (rss.port[i] == port)
			return rss.queue[i];
	return -1;
}

/*
 * Bind @fd, about to connect from namespace A to @port of B, to a source
 * port whose flow B's table sends to the queue steer() asked for.  Ports
 * are tried from one that depends on the pid, so that senders one after
 * the other do not meet each other's TIME_WAIT.
 */
static inline int rss_bind(int fd, int family, int port)
{
	const char *src = a_addr(family);
	size_t alen = family == AF_INET ? 4 : 16;
	struct sockaddr_storage ss;
	int queue = rss_queue(port), one = 1, i;
	unsigned int sport;
	socklen_t len;
	uint8_t in[36];

	if (queue < 0 || !rss.size)
		return 0;	/* not steered: any port */
	inet_pton(family, src, in);
	inet_pton(family, b_addr(family), in + alen);
	in[2 * alen + 2] = port >> 8;
	in[2 * alen + 3] = port & 0xff;
	sport = 20000 + (getpid() * 97) % 40000;
	for (i = 0; i < 40000; i++, sport = sport >= 59999 ? 20000 : sport + 1) {
		in[2 * alen] = sport >> 8;
		in[2 * alen + 1] = sport & 0xff;
		if (rss.table[zcrx_toeplitz(rss.key, rss.key_len, in, 2 * alen + 4) %
			      rss.size] == (uint32_t)queue)
			break;
	}
	if (i == 40000)
		return -ENOENT;
	zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", sport, &ss, &len);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (struct sockaddr *)&ss, len) ? -errno : 0;
}

/* Steer TCP to @port of namespace B (the current one) to rx queue @queue. */
static inline int steer(int family, int port, int queue, int loc)
{
	struct ethtool_rxnfc nfc;
	struct ifreq ifr;
	int fd, ret;

	if (on_e1000e || (on_hw && hw_rss)) {
		/* no ntuple rules: the senders pick their source ports */
		if (loc < 0 || loc >= RSS_MAX_PORTS)
			return -EINVAL;
		ret = rss_read(family);
		if (ret)
			return ret;
		rss.port[loc] = port;
		rss.queue[loc] = queue;
		return 0;
	}

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLINS;
	if (family == AF_INET) {
		nfc.fs.flow_type = TCP_V4_FLOW;
		nfc.fs.h_u.tcp_ip4_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip4_spec.pdst = htons(0xffff);
	} else {
		nfc.fs.flow_type = TCP_V6_FLOW;
		nfc.fs.h_u.tcp_ip6_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip6_spec.pdst = htons(0xffff);
	}
	nfc.fs.ring_cookie = queue;
	nfc.fs.location = loc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ifr.ifr_data = (void *)&nfc;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

/* A counter that B's device does not have (ZCRX_NIC=hw only): not checked. */
#define NO_COUNTER	(-2LL)

/*
 * A per-queue counter of B's eth0: "bytes" (payload into the queue's
 * buffers) or "split" (frames whose payload went apart from the headers),
 * as netdevsim names them (rxN_*).  e1000e counts both for the device:
 * rx_mp_bytes, the payload it wrote into a provider's buffers (only the
 * bound queue has any), and rx_header_split.  On other hardware
 * (ZCRX_NIC=hw) "bytes" is the queue's rx-bytes of netdev netlink's
 * statistics (headers included), if the device reports them; nothing
 * generic counts split frames.
 */
static inline long long queue_counter(const char *ns, int queue, const char *what)
{
	char name[64], q[16], out[64];
	long long val;
	int ret;

	if (on_hw) {
		if (strcmp(what, "bytes"))
			return NO_COUNTER;
		snprintf(q, sizeof(q), "%d", queue);
		ret = zcrx_run((char *const []){ "./zcrx_nic", "-N",
						 (char *)ns, IFNAME, "qstat", q,
						 "rx-bytes", NULL }, out, sizeof(out));
		if (ret == 4)
			return NO_COUNTER;
		if (ret || sscanf(out, "%lld", &val) != 1)
			return -1;
		return val;
	}
	if (!on_e1000e)
		snprintf(name, sizeof(name), "rx%d_%s", queue, what);
	else if (!strcmp(what, "split"))
		snprintf(name, sizeof(name), "rx_header_split");
	else
		snprintf(name, sizeof(name), "rx_mp_%s", what);
	return zcrx_counter(ns, name);
}

static inline int tcp_listen(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd, ret;

	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static inline int tcp_accept(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	ret = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/*
 * The sender, in a child: connect from namespace A to @port of B, send
 * @size bytes of the pattern, then, if @linger, wait for the peer to close
 * before closing.  Exit codes: 0 sent, 2 netns, 3 socket, 4 connect, 5 send,
 * 6 no source port that B's RSS table sends to the queue wanted (e1000e).
 */
static inline int sender_main(const char *ns, int family, int port,
			      uint64_t size, bool linger)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint64_t end;
	char c;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (zcrx_enter_netns(ns))
		return 2;
	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len))
		return 3;
	for (end = now_ms() + ZCRX_WAIT_MS;;) {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			return 3;
		if ((on_e1000e || on_hw) && rss_bind(fd, family, port))
			return 6;
		if (!connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		if (now_ms() > end)
			return 4;
		usleep(20 * 1000);
	}
	if (zcrx_send_pattern(fd, size))
		return 5;
	if (linger)
		while (recv(fd, &c, 1, 0) > 0)
			;
	close(fd);
	return 0;
}

/*
 * In a forked child: unmap every io_uring mapping.  A mapping holds the
 * ring's file, so the ring and the queues bound to it would outlive the
 * parent's close() for as long as the child lives.  (MADV_DONTFORK would
 * do, but small kernels leave madvise() out.)
 */
static inline void drop_ring_maps(void)
{
	unsigned long start[64], end[64];
	char line[512];
	int n = 0, i;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (n < 64 && fgets(line, sizeof(line), f))
		if (strstr(line, "io_uring") &&
		    sscanf(line, "%lx-%lx", &start[n], &end[n]) == 2)
			n++;
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)start[i], end[i] - start[i]);
}

/* Fork a sender; the child keeps no descriptor of ours (rings above all). */
static inline pid_t start_sender(struct env *e, int family, int port,
				 uint64_t size, bool linger)
{
	pid_t pid;
	int i;

	for (i = 0; i < MAX_KIDS && e->kids[i] > 0; i++)
		;
	if (i == MAX_KIDS)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* Die with the test, whatever ends it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		syscall(__NR_close_range, 3, ~0U, 0);
		drop_ring_maps();
		_exit(sender_main(e->ns_a, family, port, size, linger));
	}
	if (pid > 0)
		e->kids[i] = pid;
	return pid;
}

/* Reap a sender: its exit code, or 128 + the signal that ended it. */
static inline int reap_sender(struct env *e, pid_t pid)
{
	int i, status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	for (i = 0; i < MAX_KIDS; i++)
		if (e->kids[i] == pid)
			e->kids[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* Kill a sender that is still sending, and reap it. */
static inline void stop_sender(struct env *e, pid_t pid)
{
	kill(pid, SIGKILL);
	reap_sender(e, pid);
}

/*
 * Whether nsim_del() can take the device of namespace @ns away: always,
 * but with ZCRX_NIC=hw only a PCI device of its own; if not, why not goes
 * to @why.
 */
static inline bool nsim_can_del(const char *ns, char *why, size_t len)
{
	size_t n;

	if (!on_hw)
		return true;
	if (!zcrx_run((char *const []){ "./nsim_env.sh", "can-unplug",
					(char *)ns, NULL }, why, len))
		return true;
	n = strlen(why);
	if (n && why[n - 1] == '\n')
		why[n - 1] = '\0';
	return false;
}

/*
 * Delete the netdevsim device of namespace @ns, as a hot unplug would; on
 * e1000e or other hardware, unbind the PCI device from the driver
 * (nsim_env.sh unplug).
 */
static inline int nsim_del(const char *ns)
{
	char path[128], buf[32];
	int id, fd, len, ret;

	if (on_e1000e || on_hw)
		return zcrx_run((char *const []){ "./nsim_env.sh", "unplug",
						 (char *)ns, NULL }, NULL, 0) ?
		       -EIO : 0;
	id = zcrx_nsim_id(ns);
	if (id < 0)
		return -ENOENT;
	fd = open("/sys/bus/netdevsim/del_device", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d", id);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	if (!ret) {
		/* nsim_env.sh down must not delete it again. */
		snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns);
		unlink(path);
	}
	return ret;
}

/* memory, registration and rings */

/*
 * The memory of one ifq: its area and, unless the kernel allocates it, the
 * memory of its refill ring.
 */
struct zc_mem {
	void *area;
	size_t area_len;
	void *region;		/* NULL: a kernel-allocated region */
	size_t region_len;
};

/* Where a kernel-allocated refill ring is mapped: the ABI's numbers. */
#define ZCRX_REGION_OFF		0x30000000ULL
#define ZCRX_REGION_SHIFT	16

/* A page for the ring header, then the entries. */
static inline size_t rq_region_len(unsigned int entries)
{
	return page_align(pagesz() +
			  (size_t)entries * sizeof(struct io_uring_zcrx_rqe));
}

static inline void *map_mem(size_t len, int prot)
{
	void *p;

	p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/*
	 * Forked senders need none of it: spare them copies of pinned pages,
	 * where the kernel has madvise().
	 */
	madvise(p, len, MADV_DONTFORK);
	return p;
}

static inline void zc_mem_free(struct zc_mem *m)
{
	if (m->area)
		munmap(m->area, m->area_len);
	if (m->region)
		munmap(m->region, m->region_len);
	m->area = NULL;
	m->region = NULL;
}

static inline int zc_mem_alloc(struct zc_mem *m, size_t area_len,
			       unsigned int entries, bool kregion)
{
	memset(m, 0, sizeof(*m));
	m->area_len = area_len;
	m->region_len = rq_region_len(entries);
	m->area = map_mem(area_len, PROT_READ | PROT_WRITE);
	if (!m->area)
		return -ENOMEM;
	if (kregion)
		return 0;
	m->region = map_mem(m->region_len, PROT_READ | PROT_WRITE);
	if (!m->region) {
		zc_mem_free(m);
		return -ENOMEM;
	}
	return 0;
}

/* The three structures of a registration; reg points at the other two. */
struct zc_reg {
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
};

static inline void zc_reg_init(struct zc_reg *r, const struct zc_mem *m,
			       int ifindex, unsigned int rxq, unsigned int entries)
{
	memset(r, 0, sizeof(*r));
	r->area.addr = (uintptr_t)m->area;
	r->area.len = m->area_len;
	r->rd.user_addr = (uintptr_t)m->region;
	r->rd.size = m->region_len;
	r->rd.flags = m->region ? IORING_MEM_REGION_TYPE_USER : 0;
	r->reg.if_idx = ifindex;
	r->reg.if_rxq = rxq;
	r->reg.rq_entries = entries;
	r->reg.area_ptr = (uintptr_t)&r->area;
	r->reg.region_ptr = (uintptr_t)&r->rd;
}

static inline int ring_init(struct io_uring *ring, unsigned int flags,
			    unsigned int sq, unsigned int cq)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (cq) {
		p.flags |= IORING_SETUP_CQSIZE;
		p.cq_entries = cq;
	}
	return io_uring_queue_init_params(sq, ring, &p);
}

/* A registered ifq and the user's view of it.  Must not move once open. */
struct ifq {
	struct zc_mem mem;
	struct zc_reg r;	/* as the kernel wrote it back */
	void *rq_map;		/* mapping of a kernel-allocated region */
	size_t rq_map_len;
	struct zcrx_rq rq;
	__u32 id;
	__u64 token;
	size_t buf_len;
	uint64_t returned;	/* refill entries published */
	/* ZCRX_EVENT_DESC_FLAG_STATS: where the kernel keeps them */
	volatile struct zcrx_stats *stats;
};

/*
 * Register @q as set up in q->r, with the memory of q->mem, and map its
 * refill ring; q->mem is freed if the kernel refuses.  @desc is the
 * event descriptor q->r.reg names, or NULL.
 */
static inline int ifq_register(int ring_fd, struct ifq *q,
			       const struct zcrx_event_desc *desc)
{
	void *base;
	int ret;

	ret = zcrx_register_ifq(ring_fd, &q->r.reg);
	if (ret) {
		zc_mem_free(&q->mem);
		return ret;
	}
	q->id = q->r.reg.zcrx_id;
	q->token = q->r.area.rq_area_token;
	q->buf_len = q->r.reg.rx_buf_len ? q->r.reg.rx_buf_len : pagesz();
	base = q->mem.region;
	if (!base) {
		q->rq_map_len = q->r.rd.size;
		base = mmap(NULL, q->rq_map_len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, ring_fd,
			    q->r.rd.mmap_offset);
		if (base == MAP_FAILED)
			return -errno;
		q->rq_map = base;
	}
	zcrx_rq_init(&q->rq, base, &q->r.reg, q->token);
	if (desc && (desc->flags & ZCRX_EVENT_DESC_FLAG_STATS))
		q->stats = (void *)((char *)base + desc->stats_offset);
	return 0;
}

/*
 * Register an ifq with ifq_reg.flags @flags (ZCRX_REG_NODEV, say) and the
 * events of @desc (NULL: none).
 */
static inline int ifq_open_desc(int ring_fd, struct ifq *q, int ifindex,
				unsigned int rxq, size_t area_len,
				unsigned int entries, bool kregion,
				__u32 flags, const struct zcrx_event_desc *desc)
{
	int ret;

	memset(q, 0, sizeof(*q));
	ret = zc_mem_alloc(&q->mem, area_len, entries, kregion);
	if (ret)
		return ret;
	zc_reg_init(&q->r, &q->mem, ifindex, rxq, entries);
	q->r.reg.flags = flags;
	q->r.reg.event_desc = (uintptr_t)desc;
	return ifq_register(ring_fd, q, desc);
}

static inline int ifq_open_flags(int ring_fd, struct ifq *q, int ifindex,
				 unsigned int rxq, size_t area_len,
				 unsigned int entries, bool kregion,
				 __u32 flags)
{
	return ifq_open_desc(ring_fd, q, ifindex, rxq, area_len, entries,
			     kregion, flags, NULL);
}

static inline int ifq_open(int ring_fd, struct ifq *q, int ifindex,
			   unsigned int rxq, size_t area_len,
			   unsigned int entries, bool kregion)
{
	return ifq_open_flags(ring_fd, q, ifindex, rxq, area_len, entries,
			      kregion, 0);
}

/*
 * ZCRX_REG_IMPORT of the ifq exported as @fd into the ring @ring_fd: @q
 * becomes a second view of @from's memory, under the id the new ring gave
 * it; a kernel-allocated refill ring is mapped through the new ring, at
 * the offset of that id.  Free it with ifq_unimport(), never ifq_free();
 * and since the refill ring has one producer, call rq_resync() on a view
 * before it returns buffers after another.
 */
static inline int ifq_import(int ring_fd, struct ifq *q, const struct ifq *from,
			     int fd)
{
	struct io_uring_zcrx_ifq_reg reg;
	void *base;
	int ret;

	memset(&reg, 0, sizeof(reg));
	reg.if_idx = fd;
	reg.flags = ZCRX_REG_IMPORT;
	ret = zcrx_register_ifq(ring_fd, &reg);
	if (ret)
		return ret;
	*q = *from;
	q->r.reg = reg;
	q->id = reg.zcrx_id;
	q->rq_map = NULL;
	base = from->mem.region;
	if (!base) {
		q->rq_map_len = from->r.rd.size;
		base = mmap(NULL, q->rq_map_len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, ring_fd,
			    ZCRX_REGION_OFF + ((__u64)q->id << ZCRX_REGION_SHIFT));
		if (base == MAP_FAILED)
			return -errno;
		q->rq_map = base;
	}
	zcrx_rq_init(&q->rq, base, &reg, q->token);
	return 0;
}

/* Unmap what ifq_import() mapped; the memory stays @from's. */
static inline void ifq_unimport(struct ifq *q)
{
	if (q->rq_map)
		munmap(q->rq_map, q->rq_map_len);
	q->rq_map = NULL;
}

/* Take up the refill ring where another view of it left it. */
static inline void rq_resync(struct ifq *q)
{
	q->rq.tail = __atomic_load_n(q->rq.ktail, __ATOMIC_RELAXED);
}

/* Unmap what ifq_open() mapped; after the ring is gone or not. */
static inline void ifq_free(struct ifq *q)
{
	if (q->rq_map)
		munmap(q->rq_map, q->rq_map_len);
	q->rq_map = NULL;
	zc_mem_free(&q->mem);
}

static inline __u32 rq_khead(const struct ifq *q)
{
	return __atomic_load_n(q->rq.khead, __ATOMIC_ACQUIRE);
}

/* the fdinfo line of an ifq */

struct zcrx_info {
	unsigned long long id;
	unsigned long long ifindex;
	unsigned long long rxq;
	unsigned long long area_bytes;
	unsigned long long bufs;
	unsigned long long free;
	unsigned long long nic;
	unsigned long long user;
	unsigned long long zc_bytes;
	unsigned long long copy_bytes;
	unsigned long long copy_count;
	unsigned long long rq_consumed;
	unsigned long long rq_invalid;
	char dev[IFNAMSIZ];
};

static const struct {
	const char *key;
	size_t off;
} info_keys[] = {
#define INFO_KEY(k) { #k, offsetof(struct zcrx_info, k) }
	INFO_KEY(id), INFO_KEY(ifindex), INFO_KEY(rxq), INFO_KEY(area_bytes),
	INFO_KEY(bufs), INFO_KEY(free), INFO_KEY(nic), INFO_KEY(user),
	INFO_KEY(zc_bytes), INFO_KEY(copy_bytes), INFO_KEY(copy_count),
	INFO_KEY(rq_consumed), INFO_KEY(rq_invalid),
#undef INFO_KEY
};

/* Parse the key=value pairs after "ZcrxIfq:"; every known key must be there. */
static inline int parse_info(char *s, struct zcrx_info *info)
{
	unsigned long long v;
	unsigned int seen = 0;
	char *tok, *save, *val, *end;
	bool dev = false;
	size_t i;

	memset(info, 0, sizeof(*info));
	for (tok = strtok_r(s, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		val = strchr(tok, '=');
		if (!val)
			return -EPROTO;
		*val++ = '\0';
		if (!strcmp(tok, "dev")) {
			if (strlen(val) >= sizeof(info->dev))
				return -EPROTO;
			snprintf(info->dev, sizeof(info->dev), "%s", val);
			dev = true;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(info_keys); i++)
			if (!strcmp(tok, info_keys[i].key))
				break;
		if (i == ARRAY_SIZE(info_keys))
			continue;	/* a newer field */
		errno = 0;
		v = strtoull(val, &end, 10);
		if (errno || end == val || *end)
			return -EPROTO;
		*(unsigned long long *)((char *)info + info_keys[i].off) = v;
		seen |= 1U << i;
	}
	if (!dev || seen != (1U << ARRAY_SIZE(info_keys)) - 1)
		return -EPROTO;
	return 0;
}

/*
 * The fdinfo line of ifq @id of the ring @ring_fd.  Returns 0, -ENOENT
 * without such a line, -EPROTO for a line that does not parse.  With @count,
 * stores the number of ZcrxIfq lines.  Without the line, @info is all zeroes
 * (and @count 0 if fdinfo cannot be read).
 */
static inline int zcrx_info_get(int ring_fd, unsigned int id,
				struct zcrx_info *info, int *count)
{
	struct zcrx_info tmp;
	char path[64], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT, n = 0;
	FILE *f;

	if (info)
		memset(info, 0, sizeof(*info));
	if (count)
		*count = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "ZcrxIfq:", 8))
			continue;
		n++;
		if (parse_info(line + 8, &tmp)) {
			ret = -EPROTO;
			break;
		}
		if (tmp.id == id && ret == -ENOENT) {
			if (info)
				*info = tmp;
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	if (count)
		*count = n;
	return ret;
}

/* receiving */

/* One connection and its multishot RECV_ZC request. */
struct stream {
	int fd;
	struct ifq *q;
	uint64_t seed;		/* of the pattern on this connection */
	uint64_t off;		/* bytes received: the next stream offset */
	uint64_t bad;		/* stream offset of the first wrong byte */
	uint64_t limit;		/* len of the request, 0: none */
	uint64_t req_bytes;	/* received under the current limit */
	unsigned int data_cqes;
	unsigned int max_cqe;	/* bytes of the longest data completion */
	unsigned int buf_starts; /* data completions at a buffer's start */
	unsigned int enospc;	/* requests ended by a full CQ */
	unsigned int enomem;	/* requests ended by an empty freelist */
	unsigned int limits;	/* requests ended by their len */
	unsigned int cancels;	/* cancellations the test asked for */
	unsigned int cancelled;	/* requests ended by them */
	int err;		/* an unexpected end, or 0 */
	bool armed;		/* a request is in flight */
	bool eof;
	bool pause;		/* not re-armed until the test says so */
};

/* The buffer of a completion, kept by the test or waiting to go back. */
struct held {
	struct ifq *q;
	__u64 off;		/* as in the CQE */
	__u32 len;
	uint64_t soff;		/* stream offset of its first byte */
	uint64_t seed;		/* and the pattern seed of its stream */
};

struct held_list {
	struct held *v;
	size_t nr;
	size_t max;
};

static inline int held_add(struct held_list *l, struct ifq *q, __u64 off,
			   __u32 len, uint64_t soff, uint64_t seed)
{
	struct held *h;

	if (l->nr == l->max) {
		size_t n = l->max ? 2 * l->max : 256;

		h = realloc(l->v, n * sizeof(*h));
		if (!h)
			return -ENOMEM;
		l->v = h;
		l->max = n;
	}
	h = &l->v[l->nr++];
	h->q = q;
	h->off = off;
	h->len = len;
	h->soff = soff;
	h->seed = seed;
	return 0;
}

struct rx {
	struct io_uring ring;
	struct stream st[MAX_STREAMS];
	int nr;
	bool hold;		/* keep buffers instead of returning them */
	bool allow_enomem;	/* an -ENOMEM end is re-issued, not an error */
	bool no_flush;		/* ZCRX_CTRL_FLUSH_RQ failed: a failure */
	bool async;		/* issue requests with IOSQE_ASYNC (io-wq) */
	bool poll_first;	/* ... and with IORING_RECVSEND_POLL_FIRST */
	struct held_list held;	/* kept by the test */
	struct held_list backlog; /* returned, waiting for room in the ring */
	unsigned int violations; /* completions that break the ABI */
	unsigned int events[__ZCRX_EVENT_LAST]; /* zcrx events, by type */
	unsigned int cancel_cqes; /* completions of cancel requests */
	int cancel_res;		/* and the result of the last one */
	char why[256];		/* the first of them */
};

static inline void rx_violation(struct rx *rx, const char *fmt, ...)
{
	va_list ap;

	if (!rx->violations++) {
		va_start(ap, fmt);
		vsnprintf(rx->why, sizeof(rx->why), fmt, ap);
		va_end(ap);
	}
}

static inline int rx_init(struct rx *rx, unsigned int sq, unsigned int cq)
{
	memset(rx, 0, sizeof(*rx));
	return ring_init(&rx->ring, RING_FLAGS, sq, cq);
}

static inline void rx_exit(struct rx *rx)
{
	int i;

	io_uring_queue_exit(&rx->ring);
	for (i = 0; i < rx->nr; i++)
		close(rx->st[i].fd);
	free(rx->held.v);
	free(rx->backlog.v);
	memset(&rx->held, 0, sizeof(rx->held));
	memset(&rx->backlog, 0, sizeof(rx->backlog));
	rx->nr = 0;
}

static inline struct stream *rx_add(struct rx *rx, int fd, struct ifq *q)
{
	struct stream *s = &rx->st[rx->nr++];

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->q = q;
	s->seed = zcrx_seed(fd);
	s->bad = UINT64_MAX;
	return s;
}

/* Publish the refill entries of every ifq. */
static inline void rx_commit(struct rx *rx)
{
	int i;

	for (i = 0; i < rx->nr; i++)
		zcrx_rq_commit(&rx->st[i].q->rq);
}

/*
 * Move the backlog into the refill rings, in order, as far as they have
 * room; ask the kernel to make room if it knows how.
 */
static inline void rx_push_backlog(struct rx *rx)
{
	struct held_list *l = &rx->backlog;
	size_t i = 0;
	int pass;

	for (pass = 0; pass < 8 && i < l->nr; pass++) {
		for (; i < l->nr; i++) {
			struct held *h = &l->v[i];

			if (zcrx_rq_push(&h->q->rq, h->off, h->len))
				break;
			h->q->returned++;
		}
		rx_commit(rx);
		if (i == l->nr || rx->no_flush)
			break;
		if (zcrx_flush_rq(rx->ring.ring_fd, l->v[i].q->id))
			rx->no_flush = true;
	}
	memmove(l->v, l->v + i, (l->nr - i) * sizeof(*l->v));
	l->nr -= i;
}

/* Hand a buffer back, through the backlog when the ring is full. */
static inline void ifq_return(struct rx *rx, struct ifq *q, __u64 off,
			      __u32 len)
{
	if (!rx->backlog.nr && !zcrx_rq_push(&q->rq, off, len)) {
		q->returned++;
		return;
	}
	if (held_add(&rx->backlog, q, off, len, 0, 0))
		rx_violation(rx, "out of memory for the return backlog");
}

/* Return every held buffer. */
static inline void rx_release(struct rx *rx)
{
	size_t i;

	for (i = 0; i < rx->held.nr; i++)
		ifq_return(rx, rx->held.v[i].q, rx->held.v[i].off,
			   rx->held.v[i].len);
	rx->held.nr = 0;
	rx_commit(rx);
	rx_push_backlog(rx);
}

/* Held buffers whose bytes changed since their completion; 0 if none. */
static inline size_t rx_held_corrupt(struct rx *rx)
{
	size_t i, bad = 0;

	for (i = 0; i < rx->held.nr; i++) {
		struct held *h = &rx->held.v[i];
		uint8_t *p = (uint8_t *)h->q->mem.area +
			     (h->off & ~IORING_ZCRX_AREA_MASK);

		if (zcrx_check(p, h->len, h->seed, h->soff) != h->len)
			bad++;
	}
	return bad;
}

/*
 * Distinct buffers of @q that the user still owns: held ones, those in the
 * backlog and, with @ring, those in refill entries the kernel has not
 * consumed past @head.  SIZE_MAX if the ring indices make no sense.
 */
static inline size_t user_bufs(struct rx *rx, struct ifq *q, bool ring,
			       __u32 head)
{
	size_t nbufs = q->mem.area_len / q->buf_len, n = 0, i;
	uint8_t *seen;
	__u32 t;

	if (ring && q->rq.tail - head > q->rq.entries)
		return SIZE_MAX;
	seen = calloc(nbufs, 1);
	if (!seen)
		return SIZE_MAX;
#define MARK(o) do {							\
	__u64 b = ((o) & ~IORING_ZCRX_AREA_MASK) / q->buf_len;		\
									\
	if (b < nbufs && !seen[b]) {					\
		seen[b] = 1;						\
		n++;							\
	}								\
} while (0)
	for (t = head; ring && t != q->rq.tail; t++)
		MARK(q->rq.rqes[t & (q->rq.entries - 1)].off);
	for (i = 0; i < rx->held.nr; i++)
		if (rx->held.v[i].q == q)
			MARK(rx->held.v[i].off);
	for (i = 0; i < rx->backlog.nr; i++)
		if (rx->backlog.v[i].q == q)
			MARK(rx->backlog.v[i].off);
#undef MARK
	free(seen);
	return n;
}

/* Distinct buffers among the held ones (single-ifq tests). */
static inline size_t rx_held_bufs(struct rx *rx)
{
	return rx->nr ? user_bufs(rx, rx->st[0].q, false, 0) : 0;
}

/* A data completion: check where it points, check its bytes, return it. */
static inline void rx_data(struct rx *rx, struct stream *s,
			   struct io_uring_cqe *cqe)
{
	struct io_uring_zcrx_cqe *zc = zcrx_cqe(cqe);
	struct ifq *q = s->q;
	__u64 off = zc->off & ~IORING_ZCRX_AREA_MASK;
	__u32 len = cqe->res;
	size_t i;

	s->data_cqes++;
	if (len > s->max_cqe)
		s->max_cqe = len;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		rx_violation(rx, "data CQE (res %d) without F_MORE", cqe->res);
	if ((zc->off & IORING_ZCRX_AREA_MASK) != q->token) {
		rx_violation(rx, "CQE off %#llx: area bits are not token %#llx",
			     (unsigned long long)zc->off,
			     (unsigned long long)q->token);
		s->off += len;
		return;
	}
	if (off >= q->mem.area_len || len > q->mem.area_len - off) {
		rx_violation(rx, "CQE off %#llx len %u outside the area",
			     (unsigned long long)off, len);
		s->off += len;
		return;
	}
	if (off % q->buf_len == 0)
		s->buf_starts++;
	if (off / q->buf_len != (off + len - 1) / q->buf_len)
		rx_violation(rx, "CQE off %#llx len %u spans two buffers",
			     (unsigned long long)off, len);
	i = zcrx_check((uint8_t *)q->mem.area + off, len, s->seed, s->off);
	if (i != len && s->bad == UINT64_MAX)
		s->bad = s->off + i;
	if (rx->hold) {
		if (held_add(&rx->held, q, zc->off, len, s->off, s->seed))
			rx_violation(rx, "out of memory for held buffers");
	} else {
		ifq_return(rx, q, zc->off, len);
	}
	s->off += len;
	s->req_bytes += len;
}

/* A completion without F_MORE: the request is over. */
static inline void rx_end(struct rx *rx, struct stream *s, int res)
{
	s->armed = false;
	if (res == 0) {
		if (!s->limit) {
			s->eof = true;
			return;
		}
		if (s->req_bytes != s->limit)
			rx_violation(rx, "len %llu: request ended after %llu",
				     (unsigned long long)s->limit,
				     (unsigned long long)s->req_bytes);
		s->limits++;
		s->pause = true;
		return;
	}
	if (res == -ENOSPC) {
		s->enospc++;
		if (s->limit && s->req_bytes >= s->limit) {
			rx_violation(rx, "len %llu reached, request ended with %d",
				     (unsigned long long)s->limit, res);
			s->pause = true;
		}
		return;
	}
	if (res == -ECANCELED && s->cancelled < s->cancels) {
		/* a cancellation the test asked for: re-issue */
		s->cancelled++;
		return;
	}
	if (res == -ENOMEM && rx->allow_enomem) {
		s->enomem++;
		return;
	}
	if (!s->err)
		s->err = res;
}

/* Handle every completion in the CQ; returns how many there were. */
static inline int rx_reap(struct rx *rx)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	int n = 0;

	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		struct stream *s;

		n++;
		if (cqe->user_data == CANCEL_UD) {
			rx->cancel_cqes++;
			rx->cancel_res = cqe->res;
			continue;
		}
		if (cqe->user_data == EVENT_UD) {
			if (cqe->res < 0 || cqe->res >= __ZCRX_EVENT_LAST ||
			    cqe->flags || zcrx_cqe(cqe)->off ||
			    zcrx_cqe(cqe)->__pad)
				rx_violation(rx, "event res %d flags %#x",
					     cqe->res, cqe->flags);
			else
				rx->events[cqe->res]++;
			continue;
		}
		if (cqe->user_data >= (__u64)rx->nr) {
			rx_violation(rx, "CQE with user_data %llu",
				     (unsigned long long)cqe->user_data);
			continue;
		}
		s = &rx->st[cqe->user_data];
		if (cqe->res > 0)
			rx_data(rx, s, cqe);
		else if (cqe->flags & IORING_CQE_F_MORE)
			rx_violation(rx, "CQE res %d with F_MORE", cqe->res);
		else
			rx_end(rx, s, cqe->res);
	}
	io_uring_cq_advance(&rx->ring, n);
	rx_commit(rx);
	return n;
}

static inline bool stream_live(const struct stream *s)
{
	return !s->eof && !s->err;
}

static inline int rx_arm(struct rx *rx, struct stream *s)
{
	struct io_uring_sqe *sqe;

	sqe = io_uring_get_sqe(&rx->ring);
	if (!sqe) {
		io_uring_submit(&rx->ring);
		sqe = io_uring_get_sqe(&rx->ring);
		if (!sqe)
			return -EBUSY;
	}
	zcrx_prep_recv(sqe, s->fd, s->limit ? s->limit - s->req_bytes : 0,
		       s->q->id);
	if (rx->async)
		sqe->flags |= IOSQE_ASYNC;
	if (rx->poll_first)
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	io_uring_sqe_set_data64(sqe, s - rx->st);
	s->armed = true;
	return 0;
}

/*
 * Re-issue ended requests, submit, wait up to @ms for a completion, handle
 * all that are there.  Returns the number handled or -errno.
 */
static inline int rx_step(struct rx *rx, int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	int i, ret;

	if (rx->backlog.nr)
		rx_push_backlog(rx);
	for (i = 0; i < rx->nr; i++) {
		struct stream *s = &rx->st[i];

		if (!s->armed && !s->pause && stream_live(s)) {
			ret = rx_arm(rx, s);
			if (ret)
				return ret;
		}
	}
	if (io_uring_sq_ready(&rx->ring)) {
		ret = io_uring_submit(&rx->ring);
		if (ret < 0)
			return ret;
	}
	ret = io_uring_wait_cqe_timeout(&rx->ring, &cqe, &ts);
	if (ret && ret != -ETIME && ret != -EINTR)
		return ret;
	return rx_reap(rx);
}

/*
 * Make sure @s has a request in flight.  rx_run() may return right after
 * a completion that ended one (a full CQ ends it with -ENOSPC), which the
 * next rx_step() issues again.  Returns 0, the error of rx_step(), or
 * -ETIMEDOUT if the stream takes no new request (paused or over).
 */
static inline int rx_rearm(struct rx *rx, struct stream *s)
{
	int i, ret;

	for (i = 0; i < 100 && !s->armed; i++) {
		if (s->pause || !stream_live(s))
			break;
		ret = rx_step(rx, 10);
		if (ret < 0)
			return ret;
	}
	return s->armed ? 0 : -ETIMEDOUT;
}

static inline uint64_t rx_bytes(const struct rx *rx)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < rx->nr; i++)
		sum += rx->st[i].off;
	return sum;
}

static inline bool rx_over(const struct rx *rx)
{
	int i;

	for (i = 0; i < rx->nr; i++)
		if (stream_live(&rx->st[i]) &&
		    (rx->st[i].armed || !rx->st[i].pause))
			return false;
	return true;
}

/*
 * Receive until all streams are over (EOF, error or paused) or, with
 * @until, until that many bytes arrived in total.  -ETIMEDOUT when nothing
 * completes for STALL_MS.
 */
static inline int rx_run(struct rx *rx, uint64_t until)
{
	uint64_t last = now_ms();
	int ret;

	for (;;) {
		if (rx_over(rx) || (until && rx_bytes(rx) >= until))
			return 0;
		ret = rx_step(rx, 1000);
		if (ret < 0)
			return ret;
		if (ret > 0)
			last = now_ms();
		else if (now_ms() - last > STALL_MS)
			return -ETIMEDOUT;
	}
}

/*
 * A stream from namespace A: a listener on @port (in *@lfd), a sender of
 * @size bytes of the pattern (in *@tx, see start_sender() for @linger)
 * and the accepted connection, received by @rx through @q.  NULL if a
 * step failed; what was made before it is in *@lfd and *@tx all the same.
 * With @rcvbuf_opt (SO_RCVBUF or SO_RCVBUFFORCE) the listener's receive
 * buffer is set to @rcvbuf first.
 */
static inline struct stream *nic_stream_opt(struct env *e, struct rx *rx,
					    struct ifq *q, int family, int port,
					    uint64_t size, bool linger,
					    int rcvbuf_opt, int rcvbuf,
					    int *lfd, pid_t *tx)
{
	int fd;

	*tx = 0;
	*lfd = tcp_listen(family, port);
	if (*lfd < 0)
		return NULL;
	/* before the connection: its window scale follows from the buffer */
	if (rcvbuf_opt && setsockopt(*lfd, SOL_SOCKET, rcvbuf_opt, &rcvbuf,
				     sizeof(rcvbuf)))
		return NULL;
	*tx = start_sender(e, family, port, size, linger);
	if (*tx <= 0)
		return NULL;
	fd = tcp_accept(*lfd, 60000);
	return fd < 0 ? NULL : rx_add(rx, fd, q);
}

static inline struct stream *nic_stream(struct env *e, struct rx *rx,
					struct ifq *q, int family, int port,
					uint64_t size, bool linger, int *lfd,
					pid_t *tx)
{
	return nic_stream_opt(e, rx, q, family, port, size, linger, 0, 0,
			      lfd, tx);
}

/*
 * Step until nothing arrives for @quiet_ms or @s ends; -ETIMEDOUT if it
 * still flows after @limit_ms.
 */
static inline int rx_until_quiet(struct rx *rx, struct stream *s,
				 int quiet_ms, uint64_t limit_ms)
{
	uint64_t start = now_ms();
	int ret;

	for (;;) {
		ret = rx_step(rx, quiet_ms);
		if (ret < 0)
			return ret;
		if (!ret || !stream_live(s))
			return 0;
		if (now_ms() - start > limit_ms)
			return -ETIMEDOUT;
	}
}

#define EXPECT_STREAM_OK(rx, s, size) do {				\
	EXPECT_EQ(0, (s)->err)						\
		TH_LOG("request ended with %d", (s)->err);		\
	EXPECT_TRUE((s)->eof);						\
	EXPECT_EQ((uint64_t)(size), (s)->off);				\
	EXPECT_EQ(UINT64_MAX, (s)->bad)					\
		TH_LOG("first wrong byte at stream offset %llu",	\
		       (unsigned long long)(s)->bad);			\
	EXPECT_EQ(0U, (rx)->violations) TH_LOG("%s", (rx)->why);	\
} while (0)

/*
 * After the last buffer went back, the fdinfo accounting of @q must match
 * what the user still owns: nothing held, nothing waiting, and whatever
 * refill entries the kernel has not consumed yet.  With
 * ZCRX_CTRL_FLUSH_RQ the kernel consumes them all now, and the user must
 * own nothing.
 */
static inline void check_drained(struct __test_metadata *_metadata,
				 struct rx *rx, struct ifq *q,
				 struct zcrx_info *out)
{
	struct zcrx_info info;
	__u32 head;
	int i;

	rx_push_backlog(rx);
	for (i = 0; i < 64 && !rx->no_flush; i++) {
		if (zcrx_flush_rq(rx->ring.ring_fd, q->id))
			rx->no_flush = true;	/* iou_zcrx_reg's reg.flush_rq tells why */
		else if (!rx->backlog.nr)
			break;
		rx_push_backlog(rx);
	}
	/* The series has ZCRX_CTRL_FLUSH_RQ: without it, checks run weaker. */
	EXPECT_FALSE(rx->no_flush)
		TH_LOG("ZCRX_CTRL_FLUSH_RQ failed during the test");
	if (!rx->no_flush) {
		EXPECT_EQ(0UL, rx->backlog.nr);
		EXPECT_EQ(q->rq.tail, rq_khead(q))
			TH_LOG("ZCRX_CTRL_FLUSH_RQ left entries in the ring");
	}
	for (i = 0; i < 10; i++) {
		head = rq_khead(q);
		ASSERT_EQ(0, zcrx_info_get(rx->ring.ring_fd, q->id, &info,
					   NULL));
		if (rq_khead(q) == head)
			break;
	}
	EXPECT_EQ((unsigned long long)user_bufs(rx, q, true, head), info.user)
		TH_LOG("%u refill entries not consumed, %zu waiting",
		       q->rq.tail - head, rx->backlog.nr);
	EXPECT_EQ(q->returned - (q->rq.tail - head), info.rq_consumed);
	EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
	EXPECT_EQ(q->mem.area_len / q->buf_len, info.bufs);
	EXPECT_EQ(q->mem.area_len, info.area_bytes);
	if (out)
		*out = info;
}

#endif /* __ZCRX_TEST_H */
