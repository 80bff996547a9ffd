// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes, accounting and guards of io_uring zero-copy receive interface
 * queues ("ifqs"), on a netdevsim port in its own network namespace with
 * tcp-data-split on (or, with ZCRX_NIC=e1000e, on B of the e1000e pair that
 * nsim_env.sh sets up, and with ZCRX_NIC=hw on the interface ZCRX_IF; see
 * zcrx_test.h):
 *
 *   life.reregister         register, close, register again: the queue is
 *                           free at once each time; close() latency of a
 *                           ring with and without a bound queue is printed
 *   life.reregister_exit    the same when the ring goes with its process,
 *                           by exit() and by SIGKILL
 *   life.region_memlock     the refill region is charged to RLIMIT_MEMLOCK
 *                           and to the pinned memory (VmPin) like the area
 *   life.hds_guard          while a queue is bound, tcp-data-split can be
 *                           neither turned off nor left to the driver
 *   life.fdinfo             the fdinfo line: the device as registered, the
 *                           buffer counters adding up, across restarts of
 *                           the queue
 *   life.no_dma_device      a device with nothing to DMA for (loopback, a
 *                           netdevsim port whose bus device lost its DMA
 *                           mask) is refused with EOPNOTSUPP and no kernel
 *                           warning
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "../kselftest_harness.h"
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wclobbered"
#include "zcrx_common.h"
#include "zcrx_uring.h"

#define IFNAME		"eth0"
static bool on_e1000e;
static bool on_hw;		/* ZCRX_NIC=hw: real hardware */

#define NR_QUEUES	(on_e1000e ? 2 : 3)
#define ZC_QUEUE	1
#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)
#define AREA_LEN	(1UL << 20)
#define RQ_ENTRIES	256
#define LOOPS		10
#define MiB		(1024UL * 1024)

static pid_t main_pid;
static char ns_a[32], ns_b[32];

static size_t pagesz(void)
{
	return sysconf(_SC_PAGESIZE);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* the netdevsim pair, shared by the tests of this program */

static bool env_alive(void)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns_b);
	return !access(path, F_OK);
}

/* The pair with split on in namespace B, the caller moved there. */
static int env_get(void)
{
	if (!env_alive()) {
		zcrx_env_down(ns_a, ns_b);
		if (zcrx_env_up(ns_a, ns_b, NR_QUEUES) ||
		    zcrx_env_hds(ns_b, 1))
			return -1;
	}
	if (zcrx_enter_netns(ns_b))
		return -1;
	return if_nametoindex(IFNAME);
}

static void __attribute__((constructor)) env_init(void)
{
	const char *nic = getenv("ZCRX_NIC");

	on_e1000e = nic && !strcmp(nic, "e1000e");
	on_hw = zcrx_hw_mode();
	main_pid = getpid();
	snprintf(ns_a, sizeof(ns_a), "zcrx-la-%d", main_pid);
	snprintf(ns_b, sizeof(ns_b), "zcrx-lb-%d", main_pid);
}

static void __attribute__((destructor)) env_fini(void)
{
	if (getpid() == main_pid && env_alive())
		zcrx_env_down(ns_a, ns_b);
}

/* registration */

struct zc_mem {
	void *area;
	size_t area_len;
	void *region;		/* NULL: the kernel allocates it */
	size_t region_len;
};

static void *map_mem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* An area of @area_len; a user region of @region_len, or none if 0. */
static int zc_mem_alloc(struct zc_mem *m, size_t area_len, size_t region_len,
			bool kregion)
{
	memset(m, 0, sizeof(*m));
	m->area_len = area_len;
	m->region_len = region_len;
	m->area = map_mem(area_len);
	if (!m->area)
		return -ENOMEM;
	if (kregion)
		return 0;
	m->region = map_mem(region_len);
	return m->region ? 0 : -ENOMEM;
}

static void zc_mem_free(struct zc_mem *m)
{
	if (m->area)
		munmap(m->area, m->area_len);
	if (m->region)
		munmap(m->region, m->region_len);
	memset(m, 0, sizeof(*m));
}

struct zc_reg {
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
};

static int zc_register(int ring_fd, const struct zc_mem *m, int ifindex,
		       unsigned int rxq, struct zc_reg *r)
{
	memset(r, 0, sizeof(*r));
	r->area.addr = (uintptr_t)m->area;
	r->area.len = m->area_len;
	r->rd.user_addr = (uintptr_t)m->region;
	r->rd.size = m->region_len;
	r->rd.flags = m->region ? IORING_MEM_REGION_TYPE_USER : 0;
	r->reg.if_idx = ifindex;
	r->reg.if_rxq = rxq;
	r->reg.rq_entries = RQ_ENTRIES;
	r->reg.area_ptr = (uintptr_t)&r->area;
	r->reg.region_ptr = (uintptr_t)&r->rd;
	return zcrx_register_ifq(ring_fd, &r->reg);
}

static int ring_init(struct io_uring *ring)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = RING_FLAGS;
	return io_uring_queue_init_params(8, ring, &p);
}

static size_t region_len(void)
{
	return pagesz() + RQ_ENTRIES * sizeof(struct io_uring_zcrx_rqe);
}

/* A new ring takes the queue; 0 or the errno of the registration. */
static int try_queue(int ifindex, const struct zc_mem *m)
{
	struct io_uring ring;
	struct zc_reg r;
	int ret;

	ret = ring_init(&ring);
	if (ret)
		return ret;
	ret = zc_register(ring.ring_fd, m, ifindex, ZC_QUEUE, &r);
	io_uring_queue_exit(&ring);
	return ret;
}

/* fdinfo */

struct zcrx_info {
	char dev[IFNAMSIZ];
	long long ifindex, rxq, bufs, free, nic, user;
};

/* The first ZcrxIfq line of @ring_fd of process @pid (0: this one). */
static int zcrx_info_get(pid_t pid, int ring_fd, struct zcrx_info *info)
{
	char path[64], line[1024], *p;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d",
		 pid ? pid : getpid(), ring_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	memset(info, 0, sizeof(*info));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "ZcrxIfq:", 8))
			continue;
		p = strstr(line, " dev=");
		if (!p || sscanf(p, " dev=%15s ifindex=%lld rxq=%lld",
				 info->dev, &info->ifindex, &info->rxq) != 3)
			break;
		p = strstr(line, " bufs=");
		if (!p || sscanf(p, " bufs=%lld free=%lld nic=%lld user=%lld",
				 &info->bufs, &info->free, &info->nic,
				 &info->user) != 4)
			break;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* VmPin of this process in kB, or -1. */
static long vm_pinned_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Wait up to ZCRX_WAIT_MS for VmPin to drop to 0; returns 0 or -1. */
static int wait_unpinned(void)
{
	uint64_t end = zcrx_now_ms() + ZCRX_WAIT_MS;

	while (vm_pinned_kb()) {
		if (zcrx_now_ms() > end)
			return -1;
		usleep(20 * 1000);
	}
	return 0;
}

/* Lines of the kernel log that report a warning or worse. */
static int kernel_warnings(void)
{
	char line[1024];
	int n = 0;
	FILE *f;

	f = popen("dmesg 2>/dev/null", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "WARNING:") || strstr(line, "BUG:"))
			n++;
	pclose(f);
	return n;
}

/* tcp-data-split of eth0 in namespace B: 0, or the error zcrx_nic prints. */
static int hds_set(const char *val, char *err, size_t len)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "./zcrx_nic -N %s %s hds %s 2>&1",
		 ns_b, IFNAME, val);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(err, 1, len - 1, f);
	err[n] = '\0';
	return pclose(f);
}

static bool hds_is_on(void)
{
	char out[64];

	return !hds_set("", out, sizeof(out)) && !strncmp(out, "on", 2);
}

/* the tests */

FIXTURE(life)
{
	int ifindex;
	struct zc_mem mem;
};

FIXTURE_SETUP(life)
{
	self->ifindex = env_get();
	ASSERT_GT(self->ifindex, 0);
	ASSERT_EQ(0, zc_mem_alloc(&self->mem, AREA_LEN, region_len(), false));
}

FIXTURE_TEARDOWN(life)
{
	zc_mem_free(&self->mem);
}

/*
 * Unmap the ring and close its descriptor; returns how long the close()
 * that drops the last reference to the ring's file took, in us.
 */
static double ring_close(struct io_uring *ring)
{
	int fd = dup(ring->ring_fd);
	double t;

	io_uring_queue_exit(ring);
	t = now_us();
	close(fd);
	return now_us() - t;
}

/*
 * The queue's teardown runs in the ring's exit work, so close() does not
 * pay for rtnl and a queue restart; a new registration right after close()
 * still gets the queue.  The latencies are printed, not asserted.
 */
TEST_F_TIMEOUT(life, reregister, 600)
{
	double t, bound = 0, bound_max = 0, plain = 0, plain_max = 0;
	struct io_uring ring;
	struct zc_reg r;
	int i, ret;

	for (i = 0; i < LOOPS; i++) {
		ASSERT_EQ(0, ring_init(&ring));
		ret = zc_register(ring.ring_fd, &self->mem, self->ifindex,
				  ZC_QUEUE, &r);
		ASSERT_EQ(0, ret) TH_LOG("registration %d after a close: %d",
					 i, ret);
		t = ring_close(&ring);
		bound += t;
		if (t > bound_max)
			bound_max = t;

		ASSERT_EQ(0, ring_init(&ring));
		t = ring_close(&ring);
		plain += t;
		if (t > plain_max)
			plain_max = t;
	}
	TH_LOG("close() with a bound queue: mean %.0f us, max %.0f us (%d rings)",
	       bound / LOOPS, bound_max, LOOPS);
	TH_LOG("close() without a queue: mean %.0f us, max %.0f us (%d rings)",
	       plain / LOOPS, plain_max, LOOPS);

	/* The last ring's queue, released in the background, is free too. */
	EXPECT_EQ(0, try_queue(self->ifindex, &self->mem));
}

/* A child registers the queue, then exits or waits for SIGKILL. */
static pid_t child_holds_queue(int ifindex, const struct zc_mem *m, bool wait)
{
	struct io_uring ring;
	struct zc_reg r;
	int p[2], ret;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		ret = ring_init(&ring);
		if (!ret)
			ret = zc_register(ring.ring_fd, m, ifindex, ZC_QUEUE,
					  &r);
		c = ret ? 1 : 0;
		if (write(p[1], &c, 1) != 1 || ret)
			_exit(1);
		if (wait)
			pause();
		_exit(0);
	}
	close(p[1]);
	if (pid > 0 && (read(p[0], &c, 1) != 1 || c)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

TEST_F_TIMEOUT(life, reregister_exit, 600)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < LOOPS / 2; i++) {
		pid = child_holds_queue(self->ifindex, &self->mem, false);
		ASSERT_GT(pid, 0);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, try_queue(self->ifindex, &self->mem))
			TH_LOG("after exit() %d", i);

		pid = child_holds_queue(self->ifindex, &self->mem, true);
		ASSERT_GT(pid, 0);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, try_queue(self->ifindex, &self->mem))
			TH_LOG("after SIGKILL %d", i);
	}
}

/*
 * In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK at @limit,
 * register an area of AREA_LEN and a refill region of @rlen bytes (in the
 * kernel's memory with @kregion); returns the result, or 1.
 */
static int memlock_register(int ifindex, size_t rlen, bool kregion,
			    rlim_t limit)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int idx = CAP_TO_INDEX(CAP_IPC_LOCK);
	struct rlimit rl = { limit, limit };
	int p[2], ret = 1, status;
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		if (syscall(SYS_capget, &hdr, data))
			_exit(1);
		data[idx].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
		if (syscall(SYS_capset, &hdr, data) ||
		    setrlimit(RLIMIT_MEMLOCK, &rl) || ring_init(&ring) ||
		    zc_mem_alloc(&mem, AREA_LEN, rlen, kregion)) {
			ret = 1;
		} else {
			mem.region_len = rlen;
			ret = zc_register(ring.ring_fd, &mem, ifindex,
					  ZC_QUEUE, &r);
			io_uring_queue_exit(&ring);
		}
		_exit(write(p[1], &ret, sizeof(ret)) != sizeof(ret));
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = 1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ret;
}

TEST_F_TIMEOUT(life, region_memlock, 300)
{
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	long before, after;

	/* 1 MiB of area fits 4 MiB; 8 MiB of refill region on top does not */
	EXPECT_EQ(-ENOMEM, memlock_register(self->ifindex, 8 * MiB, false,
					    4 * MiB))
		TH_LOG("an 8 MiB user refill region under a 4 MiB limit");
	EXPECT_EQ(-ENOMEM, memlock_register(self->ifindex, 8 * MiB, true,
					    4 * MiB))
		TH_LOG("an 8 MiB kernel refill region under a 4 MiB limit");
	EXPECT_EQ(0, memlock_register(self->ifindex, 2 * MiB, false, 4 * MiB))
		TH_LOG("a 2 MiB refill region under a 4 MiB limit");
	EXPECT_EQ(0, try_queue(self->ifindex, &self->mem))
		TH_LOG("the queue after the refused registrations");

	/*
	 * Area and region count in VmPin while registered.  The rings closed
	 * so far give their pins back in the background: wait for none.
	 */
	ASSERT_EQ(0, wait_unpinned());
	ASSERT_EQ(0, zc_mem_alloc(&mem, AREA_LEN, 2 * MiB, false));
	ASSERT_EQ(0, ring_init(&ring));
	before = vm_pinned_kb();
	ASSERT_EQ(0, zc_register(ring.ring_fd, &mem, self->ifindex, ZC_QUEUE,
				 &r));
	after = vm_pinned_kb();
	EXPECT_EQ((long)((AREA_LEN + 2 * MiB) / 1024), after - before)
		TH_LOG("VmPin grew by %ld kB", after - before);
	io_uring_queue_exit(&ring);
	zc_mem_free(&mem);

	ASSERT_EQ(0, wait_unpinned());
	ASSERT_EQ(0, zc_mem_alloc(&mem, AREA_LEN, 2 * MiB, true));
	ASSERT_EQ(0, ring_init(&ring));
	before = vm_pinned_kb();
	ASSERT_EQ(0, zc_register(ring.ring_fd, &mem, self->ifindex, ZC_QUEUE,
				 &r));
	after = vm_pinned_kb();
	EXPECT_EQ((long)((AREA_LEN + 2 * MiB) / 1024), after - before)
		TH_LOG("kernel region: VmPin grew by %ld kB", after - before);
	io_uring_queue_exit(&ring);
	zc_mem_free(&mem);
}

TEST_F_TIMEOUT(life, hds_guard, 300)
{
	struct io_uring ring;
	struct zc_reg r;
	char err[512];
	uint64_t end;
	int ret;

	ASSERT_TRUE(hds_is_on());
	ASSERT_EQ(0, ring_init(&ring));
	ASSERT_EQ(0, zc_register(ring.ring_fd, &self->mem, self->ifindex,
				 ZC_QUEUE, &r));

	EXPECT_NE(0, hds_set("auto", err, sizeof(err)))
		TH_LOG("tcp-data-split left to the driver under a bound queue");
	EXPECT_NE(NULL, strstr(err, strerror(EINVAL))) TH_LOG("%s", err);
	EXPECT_NE(0, hds_set("off", err, sizeof(err)))
		TH_LOG("tcp-data-split off under a bound queue");
	EXPECT_NE(NULL, strstr(err, strerror(EINVAL))) TH_LOG("%s", err);
	EXPECT_EQ(0, hds_set("on", err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_TRUE(hds_is_on());
	io_uring_queue_exit(&ring);

	/* Unbound (by the exit work, a moment later), "auto" is taken. */
	end = zcrx_now_ms() + ZCRX_WAIT_MS;
	while ((ret = hds_set("auto", err, sizeof(err))) &&
	       zcrx_now_ms() < end)
		usleep(20 * 1000);
	EXPECT_EQ(0, ret) TH_LOG("auto refused %d ms after the ring went: %s",
				 ZCRX_WAIT_MS, err);
	EXPECT_EQ(0, hds_set("on", err, sizeof(err))) TH_LOG("%s", err);
}

/*
 * Restart the rx queue @queue of B with the same provider: netdevsim's
 * queue_reset restarts that queue alone through the queue management ops;
 * e1000e has nothing to restart one queue from user space, so a ring
 * resize (to 512 descriptors from any other size, else to 256) restarts
 * them all, the bound one with its provider.  Other hardware
 * (ZCRX_NIC=hw) is resized the same way; nsim_env.sh down puts its size
 * back.
 */
static int restart_queue(unsigned int queue)
{
	char cmd[512];

	if (on_e1000e || on_hw) {
		/* the current size, from the line after "Current hardware settings" */
		snprintf(cmd, sizeof(cmd),
			 "n=$(ip netns exec %s ethtool -g %s | awk '/^Current/ { c = 1 } c && /^RX:/ { print $2; exit }') && "
			 "[ -n \"$n\" ] && ip netns exec %s ethtool -G %s rx $([ \"$n\" = 512 ] && echo 256 || echo 512)",
			 ns_b, IFNAME, ns_b, IFNAME);
		return system(cmd);
	}
	/* The file must exist: no path, no restart, no success. */
	snprintf(cmd, sizeof(cmd),
		 "d=$(./nsim_env.sh dfs %s) && [ -n \"$d\" ] && [ -e \"$d/queue_reset\" ] && echo %u > \"$d/queue_reset\"",
		 ns_b, queue);
	return system(cmd);
}

TEST_F_TIMEOUT(life, fdinfo, 300)
{
	struct zcrx_info info;
	struct io_uring ring;
	struct zc_reg r;
	int i;

	ASSERT_EQ(0, ring_init(&ring));
	ASSERT_EQ(0, zc_register(ring.ring_fd, &self->mem, self->ifindex,
				 ZC_QUEUE, &r));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, zcrx_info_get(0, ring.ring_fd, &info));
		EXPECT_STREQ(IFNAME, info.dev);
		EXPECT_EQ(self->ifindex, info.ifindex);
		EXPECT_EQ(ZC_QUEUE, info.rxq);
		EXPECT_EQ((long long)(AREA_LEN / pagesz()), info.bufs);
		EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
		EXPECT_EQ(0, info.user);
		/* a restart maps nothing again and loses no buffer */
		ASSERT_EQ(0, restart_queue(ZC_QUEUE));
	}
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, try_queue(self->ifindex, &self->mem));
}

/*
 * Set the DMA mask width of the netdevsim device behind namespace B: 0, or
 * -errno of the write.
 */
static int set_dma_mask_bits(int bits)
{
	int id = zcrx_nsim_id(ns_b), fd, ret;
	char path[128], val[16];

	if (id < 0)
		return -ENOENT;
	snprintf(path, sizeof(path),
		 "/sys/bus/netdevsim/devices/netdevsim%d/dma_mask_bits", id);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(val, sizeof(val), "%d", bits);
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return ret;
}

/* Bring IFNAME of the current namespace up or down. */
static int set_link(bool up)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * A device with nothing to DMA for is refused before anything is mapped,
 * without a warning in the kernel log: loopback, which has no parent, and
 * the netdevsim port once its bus device has no DMA mask (it has queue
 * management ops, so only the mask decides; netdevsim changes the mask of
 * a device whose ports are down only).  With the mask back and the port
 * up, the same queue registers.  An e1000e, like other hardware, has its
 * PCI device's mask, which cannot be taken away: there, loopback only.
 */
TEST_F_TIMEOUT(life, no_dma_device, 120)
{
	struct io_uring ring;
	struct zc_reg r;
	int warnings;

	warnings = kernel_warnings();
	ASSERT_GE(warnings, 0);
	ASSERT_EQ(0, ring_init(&ring));
	EXPECT_EQ(-EOPNOTSUPP, zc_register(ring.ring_fd, &self->mem,
					   if_nametoindex("lo"), 0, &r));
	if (on_e1000e || on_hw)
		goto out;
	EXPECT_EQ(-EBUSY, set_dma_mask_bits(0));
	ASSERT_EQ(0, set_link(false));
	ASSERT_EQ(0, set_dma_mask_bits(0));
	EXPECT_EQ(-EOPNOTSUPP, zc_register(ring.ring_fd, &self->mem,
					   self->ifindex, ZC_QUEUE, &r));
	ASSERT_EQ(0, set_dma_mask_bits(64));
	ASSERT_EQ(0, set_link(true));
out:
	io_uring_queue_exit(&ring);
	EXPECT_EQ(warnings, kernel_warnings());
	EXPECT_EQ(0, try_queue(self->ifindex, &self->mem));
}

TEST_HARNESS_MAIN
