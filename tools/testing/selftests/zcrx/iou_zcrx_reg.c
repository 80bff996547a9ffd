// SPDX-License-Identifier: GPL-2.0
/*
 * Registration of io_uring zero-copy receive interface queues ("ifqs") and
 * bad input, on the netdevsim pair of zcrx_test.h: each rule of the ABI
 * broken once gets its errno, and the queue is still free afterwards.
 *
 *   reg.*   capabilities (no CAP_NET_ADMIN, root of a child user
 *           namespace), ring flags and register opcodes, reserved fields,
 *           rq_entries, user and kernel refill regions, areas, devices and
 *           queues (split off too), a queue already bound, the probe, the
 *           memlock limit, rx_buf_len, what the kernel writes back,
 *           ZCRX_CTRL_FLUSH_RQ and the rules of the RECV_ZC SQE
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/resource.h>

#include "zcrx_test.h"

#define REG_AREA_LEN	(1UL << 20)	/* registration tests */
#define REG_RQ_ENTRIES	256

static bool is_one_of(int v, int a, int b, int c)
{
	return v == a || v == b || v == c;
}

/* registration */

FIXTURE(reg)
{
	struct env env;
	struct zc_mem mem;
};

FIXTURE_SETUP(reg)
{
	ASSERT_EQ(0, env_get(&self->env));
	ASSERT_EQ(0, zc_mem_alloc(&self->mem, REG_AREA_LEN, REG_RQ_ENTRIES,
				  false));
}

FIXTURE_TEARDOWN(reg)
{
	zc_mem_free(&self->mem);
	EXPECT_EQ(0, env_put(&self->env));
}

/*
 * The queue takes a valid registration: on @ring_fd if it is a valid ring,
 * else on a new one, closed again at once.
 */
static void queue_free(struct __test_metadata *_metadata,
		       const struct zc_mem *mem, int ifindex, int ring_fd,
		       unsigned int rxq, const char *after)
{
	struct io_uring ring;
	struct zc_reg r;

	zc_reg_init(&r, mem, ifindex, rxq, REG_RQ_ENTRIES);
	if (ring_fd >= 0) {
		EXPECT_EQ(0, zcrx_register_ifq(ring_fd, &r.reg))
			TH_LOG("valid registration after: %s", after);
		return;
	}
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("valid registration after: %s", after);
	io_uring_queue_exit(&ring);
}

#define check_queue_free(ring_fd, rxq, after)				\
	queue_free(_metadata, &self->mem, self->env.ifindex, ring_fd, rxq, after)

/* In a child without CAP_NET_ADMIN (@userns: root of a new user ns). */
static int unpriv_register(int ifindex, bool userns)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int idx = CAP_TO_INDEX(CAP_NET_ADMIN);
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	int ret;

	if (userns) {
		if (unshare(CLONE_NEWUSER))
			return 2;	/* not available here */
	} else {
		if (syscall(SYS_capget, &hdr, data))
			return 1;
		data[idx].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
		if (syscall(SYS_capset, &hdr, data))
			return 1;
		if (syscall(SYS_capget, &hdr, data) ||
		    data[idx].effective & CAP_TO_MASK(CAP_NET_ADMIN))
			return 1;
	}
	if (ring_init(&ring, RING_FLAGS, 8, 0))
		return 1;
	if (zc_mem_alloc(&mem, REG_AREA_LEN, REG_RQ_ENTRIES, false))
		return 1;
	zc_reg_init(&r, &mem, ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	io_uring_queue_exit(&ring);
	return ret;
}

static int run_unpriv(int ifindex, bool userns)
{
	int p[2], ret = 1, status;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid == 0) {
		ret = unpriv_register(ifindex, userns);
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

TEST_F_TIMEOUT(reg, unprivileged, 120)
{
	int ret;

	ret = run_unpriv(self->env.ifindex, false);
	EXPECT_EQ(-EPERM, ret) TH_LOG("without CAP_NET_ADMIN");
	check_queue_free(-1, ZC_QUEUE, "no CAP_NET_ADMIN");
}

/* Capabilities count in the initial user namespace only. */
TEST_F_TIMEOUT(reg, userns_root, 120)
{
	int ret;

	ret = run_unpriv(self->env.ifindex, true);
	if (ret == 2)
		SKIP(return, "unshare(CLONE_NEWUSER) failed: no user namespaces");
	EXPECT_EQ(-EPERM, ret) TH_LOG("root of a child user namespace");
	check_queue_free(-1, ZC_QUEUE, "user namespace");
}

TEST_F_TIMEOUT(reg, ring_setup, 120)
{
	static const struct {
		unsigned int flags;
		const char *name;
	} rings[] = {
		{ IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32,
		  "ring without DEFER_TASKRUN" },
		{ IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		  "ring without CQE32" },
		{ 0, "ring with neither" },
	};
	static const unsigned int bad_ops[] = { 31, 33, 34 };
	struct io_uring ring;
	struct zc_reg r;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(rings); i++) {
		ASSERT_EQ(0, ring_init(&ring, rings[i].flags, 8, 0));
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", rings[i].name);
		io_uring_queue_exit(&ring);
		check_queue_free(-1, ZC_QUEUE, rings[i].name);
	}

	/* nr_args must be 1; opcodes around 32 are not ours. */
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ret = syscall(__NR_io_uring_register, ring.ring_fd,
		      IORING_REGISTER_ZCRX_IFQ, &r.reg, 2);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, errno) TH_LOG("nr_args 2");
	for (i = 0; i < ARRAY_SIZE(bad_ops); i++) {
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		ret = syscall(__NR_io_uring_register, ring.ring_fd,
			      bad_ops[i], &r.reg, 1);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(EINVAL, errno) TH_LOG("register opcode %u", bad_ops[i]);
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "nr_args and opcodes");
	io_uring_queue_exit(&ring);
}

/* One reserved field or unknown flag set, as a value stored at an offset. */
struct reserved_case {
	size_t off;		/* in struct zc_reg */
	size_t size;
	__u64 val;
	const char *name;
};

#define RSV(field, v, what) {						\
	offsetof(struct zc_reg, field),					\
	sizeof(((struct zc_reg *)0)->field), v, what			\
}

static const struct reserved_case reserved_cases[] = {
	RSV(reg.flags, 1U << 0, "ifq_reg.flags ZCRX_REG_IMPORT (not here)"),
	RSV(reg.flags, 1U << 2, "ifq_reg.flags bit 2"),
	RSV(reg.flags, 1U << 31, "ifq_reg.flags bit 31"),
	RSV(reg.__resv[0], 1, "ifq_reg.__resv[0]"),
	RSV(reg.__resv[1], 1ULL << 63, "ifq_reg.__resv[1]"),
	RSV(reg.zcrx_id, 1, "ifq_reg.zcrx_id on input"),
	RSV(reg.offsets.__resv2, 1, "offsets.__resv2"),
	RSV(reg.offsets.__resv[0], 1, "offsets.__resv[0]"),
	RSV(reg.offsets.__resv[1], 1, "offsets.__resv[1]"),
	RSV(area.flags, 1U << 1, "area_reg.flags bit 1"),
	RSV(area.flags, 1U << 31, "area_reg.flags bit 31"),
	RSV(area.__resv2[0], 1, "area_reg.__resv2[0]"),
	RSV(area.__resv2[1], 1, "area_reg.__resv2[1]"),
	RSV(area.rq_area_token, 1ULL << IORING_ZCRX_AREA_SHIFT,
	    "area_reg.rq_area_token on input"),
	RSV(area.rq_area_token, 1, "area_reg.rq_area_token 1"),
	RSV(area.dmabuf_fd, 1,
	    "area_reg.dmabuf_fd without IORING_ZCRX_AREA_DMABUF"),
	RSV(rd.flags, IORING_MEM_REGION_TYPE_USER | 1U << 1,
	    "region_desc.flags bit 1"),
	RSV(rd.flags, IORING_MEM_REGION_TYPE_USER | 1U << 31,
	    "region_desc.flags bit 31"),
	RSV(rd.__resv[0], 1, "region_desc.__resv[0]"),
	RSV(rd.__resv[1], 1, "region_desc.__resv[1]"),
	RSV(rd.__resv[2], 1, "region_desc.__resv[2]"),
	RSV(rd.__resv[3], 1, "region_desc.__resv[3]"),
};

#undef RSV

TEST_F_TIMEOUT(reg, reserved_fields, 300)
{
	struct io_uring ring;
	const char *name;
	struct zc_reg r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved_cases); i++) {
		const struct reserved_case *c = &reserved_cases[i];

		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		/* x86-64 is little-endian: the low bytes of val. */
		memcpy((char *)&r + c->off, &c->val, c->size);
		name = c->name;
		ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", name);
		check_queue_free(ring.ring_fd, ZC_QUEUE, name);
		io_uring_queue_exit(&ring);
	}
}

TEST_F_TIMEOUT(reg, rq_entries, 120)
{
	static const unsigned int bad[] = { 0, 32769, 65536, 1U << 31 };
	struct io_uring ring;
	struct zc_mem big;
	struct zc_reg r;
	char what[64];
	size_t i;

	/* A region that would hold any of them. */
	ASSERT_EQ(0, zc_mem_alloc(&big, REG_AREA_LEN, 65536, false));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, bad[i]);
		snprintf(what, sizeof(what), "rq_entries %u", bad[i]);
		EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
			TH_LOG("%s", what);
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE, "rq_entries");
	io_uring_queue_exit(&ring);

	/* Rounded up to a power of two and written back. */
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, 100);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_EQ(128U, r.reg.rq_entries);
	zc_reg_init(&r, &big, self->env.ifindex, ALT_QUEUE, 32768);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("rq_entries 32768");
	EXPECT_EQ(32768U, r.reg.rq_entries);
	io_uring_queue_exit(&ring);

	/* A ring set up with IORING_SETUP_CLAMP clamps too many; 0 is 0. */
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS | IORING_SETUP_CLAMP, 8, 0));
	zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, 0);
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg));
	zc_reg_init(&r, &big, self->env.ifindex, ZC_QUEUE, 1U << 31);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("rq_entries 1 << 31 with IORING_SETUP_CLAMP");
	EXPECT_EQ(32768U, r.reg.rq_entries);
	io_uring_queue_exit(&ring);
	zc_mem_free(&big);
}

TEST_F_TIMEOUT(reg, pointers, 120)
{
	struct io_uring ring;
	struct zc_reg r;
	void *none;
	int ret;

	none = mmap(NULL, pagesz(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.region_ptr = 0;
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)
		TH_LOG("region_ptr 0: %d", ret);

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.area_ptr = 0;
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)
		TH_LOG("area_ptr 0: %d", ret);

	/* Pointers to memory that cannot be read. */
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.region_ptr = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("region_ptr unreadable");
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.area_ptr = (uintptr_t)none;
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("area_ptr unreadable");
	EXPECT_EQ(-EFAULT, zcrx_register_ifq(ring.ring_fd, none))
		TH_LOG("ifq_reg unreadable");

	check_queue_free(ring.ring_fd, ZC_QUEUE, "pointers");
	io_uring_queue_exit(&ring);
	munmap(none, pagesz());
}

TEST_F_TIMEOUT(reg, user_region, 120)
{
	struct io_uring ring;
	struct zc_reg r;
	void *ro;
	int ret;

	ro = map_mem(self->mem.region_len, PROT_READ);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

#define BAD_REGION(what, change) do {					\
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,	\
		    REG_RQ_ENTRIES);					\
	change;								\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(ret == -EINVAL || ret == -EFAULT)			\
		TH_LOG("%s: %d", what, ret);				\
} while (0)

	BAD_REGION("user region at address 0", r.rd.user_addr = 0);
	BAD_REGION("user region not page aligned", r.rd.user_addr += 64);
	BAD_REGION("user region of size 0", r.rd.size = 0);
	/* Room for the entries but not for the header. */
	BAD_REGION("user region without room for the header",
		   r.rd.size = REG_RQ_ENTRIES *
			       sizeof(struct io_uring_zcrx_rqe));
	BAD_REGION("user region too small for rq_entries",
		   r.reg.rq_entries = 4 * REG_RQ_ENTRIES);
	BAD_REGION("kernel region with a user address",
		   r.rd.flags = 0);
	BAD_REGION("read-only user region", r.rd.user_addr = (uintptr_t)ro);
#undef BAD_REGION

	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad user regions");
	io_uring_queue_exit(&ring);
	munmap(ro, self->mem.region_len);
}

TEST_F_TIMEOUT(reg, kernel_region, 120)
{
	struct io_uring ring;
	struct zc_mem mem;
	struct zc_reg r;
	size_t size;
	__u32 *head, *tail;
	char *p;
	void *other;

	ASSERT_EQ(0, zc_mem_alloc(&mem, REG_AREA_LEN, REG_RQ_ENTRIES, true));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &mem, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	ASSERT_EQ(0U, r.rd.flags);
	ASSERT_EQ(0ULL, r.rd.user_addr);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_EQ(ZCRX_RQ_MMAP_OFF(r.reg.zcrx_id), r.rd.mmap_offset);

	size = r.rd.size;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		 ring.ring_fd, r.rd.mmap_offset);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_LE(r.reg.offsets.head + sizeof(__u32), size);
	EXPECT_LE(r.reg.offsets.tail + sizeof(__u32), size);
	EXPECT_EQ(0U, r.reg.offsets.head % sizeof(__u32));
	EXPECT_EQ(0U, r.reg.offsets.tail % sizeof(__u32));
	EXPECT_NE(r.reg.offsets.head, r.reg.offsets.tail);
	EXPECT_EQ(0U, r.reg.offsets.rqes % 64);
	EXPECT_LE(r.reg.offsets.rqes + (size_t)r.reg.rq_entries *
		  sizeof(struct io_uring_zcrx_rqe), size);
	/* The entries overlap neither index. */
	EXPECT_TRUE(r.reg.offsets.head + sizeof(__u32) <= r.reg.offsets.rqes ||
		    r.reg.offsets.head >= r.reg.offsets.rqes +
		    r.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe));
	EXPECT_TRUE(r.reg.offsets.tail + sizeof(__u32) <= r.reg.offsets.rqes ||
		    r.reg.offsets.tail >= r.reg.offsets.rqes +
		    r.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe));
	head = (__u32 *)(p + r.reg.offsets.head);
	tail = (__u32 *)(p + r.reg.offsets.tail);
	EXPECT_EQ(*head, *tail);

	/* No region behind the offset of another id. */
	other = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     ring.ring_fd, ZCRX_RQ_MMAP_OFF(r.reg.zcrx_id + 1));
	EXPECT_EQ(MAP_FAILED, other);
	if (other != MAP_FAILED)
		munmap(other, size);

	munmap(p, size);
	io_uring_queue_exit(&ring);
	zc_mem_free(&mem);
}

TEST_F_TIMEOUT(reg, area, 120)
{
	const size_t len = REG_AREA_LEN, gap = 16 * pagesz();
	struct io_uring ring;
	struct zc_reg r;
	char *ro, *holed, *short_map;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	/* Made last, so that no other mapping lands in the gaps. */
	ro = map_mem(len, PROT_READ);
	ASSERT_NE(NULL, ro);
	holed = map_mem(len, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, holed);
	short_map = map_mem(len + gap, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, short_map);
	ASSERT_EQ(0, munmap(holed + len / 2, pagesz()));
	ASSERT_EQ(0, munmap(short_map + len, gap));

#define AREA_CASE(what, change, cond) do {				\
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,	\
		    REG_RQ_ENTRIES);					\
	change;								\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(cond) TH_LOG("%s: %d", what, ret);			\
} while (0)

	AREA_CASE("area addr not page aligned", r.area.addr += 64,
		  ret == -EINVAL);
	AREA_CASE("area len not page aligned", r.area.len -= 64,
		  ret == -EINVAL);
	AREA_CASE("area len 0", r.area.len = 0,
		  ret == -EINVAL || ret == -EFAULT);
	AREA_CASE("area at address 0", r.area.addr = 0,
		  ret == -EINVAL || ret == -EFAULT);
	AREA_CASE("read-only area", r.area.addr = (uintptr_t)ro,
		  ret == -EFAULT);
	AREA_CASE("area with a hole", r.area.addr = (uintptr_t)holed,
		  ret == -EFAULT);
	AREA_CASE("area running past its mapping",
		  (r.area.addr = (uintptr_t)short_map, r.area.len = len + gap),
		  ret == -EFAULT);
#undef AREA_CASE

	check_queue_free(ring.ring_fd, ZC_QUEUE, "bad areas");
	io_uring_queue_exit(&ring);
	munmap(ro, len);
	munmap(holed, len / 2);
	munmap(holed + len / 2 + pagesz(), len / 2 - pagesz());
	munmap(short_map, len);
}

/* The ifindex of eth0 in namespace A, seen from there. */
static int peer_ifindex(struct env *e)
{
	int idx;

	if (zcrx_enter_netns(e->ns_a))
		return -1;
	idx = if_nametoindex(IFNAME);
	if (zcrx_enter_netns(e->ns_b))
		return -1;
	return idx;
}

TEST_F_TIMEOUT(reg, device, 300)
{
	struct io_uring ring;
	struct zc_reg r;
	int ret, peer;
	uint64_t end;

	peer = peer_ifindex(&self->env);
	ASSERT_GT(peer, 0);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));

#define DEV_CASE(what, idx, rxq, cond) do {				\
	zc_reg_init(&r, &self->mem, idx, rxq, REG_RQ_ENTRIES);		\
	ret = zcrx_register_ifq(ring.ring_fd, &r.reg);			\
	EXPECT_TRUE(cond) TH_LOG("%s: %d", what, ret);			\
} while (0)

	DEV_CASE("if_idx 0", 0, ZC_QUEUE, ret == -ENODEV);
	DEV_CASE("if_idx that does not exist", 0x7ffffff0, ZC_QUEUE,
		 ret == -ENODEV);
	if (peer != self->env.ifindex) {
		DEV_CASE("if_idx of another namespace", peer, ZC_QUEUE,
			 ret == -ENODEV);
	}
	DEV_CASE("if_rxq == number of rx queues", self->env.ifindex,
		 NR_QUEUES, ret == -EINVAL || ret == -ERANGE);
	DEV_CASE("if_rxq ~0", self->env.ifindex, ~0U,
		 ret == -EINVAL || ret == -ERANGE);
	/* No queue management, no DMA device: it must fail, cleanly. */
	DEV_CASE("loopback", (int)if_nametoindex("lo"), 0, ret < 0);
#undef DEV_CASE
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad devices and queues");
	io_uring_queue_exit(&ring);

	/*
	 * Without header split the queue refuses a provider.  The closed
	 * ring's exit work releases the queue a moment after close(): until
	 * then split cannot be turned off.
	 */
	self->env.hds_off = true;
	end = zcrx_now_ms() + ZCRX_WAIT_MS;
	while ((ret = zcrx_env_hds(self->env.ns_b, 0)) && zcrx_now_ms() < end)
		usleep(20 * 1000);
	ASSERT_EQ(0, ret) TH_LOG("split still on %d ms after the ring went",
				 ZCRX_WAIT_MS);
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	EXPECT_EQ(-EINVAL, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("tcp-data-split off");
	ASSERT_EQ(0, zcrx_env_hds(self->env.ns_b, 1));
	self->env.hds_off = false;
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "tcp-data-split off");
	io_uring_queue_exit(&ring);
}

TEST_F_TIMEOUT(reg, busy, 120)
{
	struct io_uring ring1, ring2;
	struct zc_mem mem2;
	struct zc_reg r;
	struct zcrx_info info;
	__u32 id;
	int n;

	ASSERT_EQ(0, zc_mem_alloc(&mem2, REG_AREA_LEN, REG_RQ_ENTRIES, false));
	ASSERT_EQ(0, ring_init(&ring1, RING_FLAGS, 8, 0));
	ASSERT_EQ(0, ring_init(&ring2, RING_FLAGS, 8, 0));

	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring1.ring_fd, &r.reg));
	id = r.reg.zcrx_id;
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(-EEXIST, zcrx_register_ifq(ring1.ring_fd, &r.reg))
		TH_LOG("the same queue twice on one ring");
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(-EEXIST, zcrx_register_ifq(ring2.ring_fd, &r.reg))
		TH_LOG("the same queue from a second ring");
	ASSERT_EQ(0, zcrx_info_get(ring1.ring_fd, id, NULL, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ(-ENOENT, zcrx_info_get(ring2.ring_fd, id, NULL, &n));
	EXPECT_EQ(0, n);

	/* The first ring goes: the queue is free at once. */
	io_uring_queue_exit(&ring1);
	zc_reg_init(&r, &mem2, self->env.ifindex, ZC_QUEUE, REG_RQ_ENTRIES);
	EXPECT_EQ(0, zcrx_register_ifq(ring2.ring_fd, &r.reg))
		TH_LOG("the queue after its ring was closed");
	id = r.reg.zcrx_id;
	ASSERT_EQ(0, zcrx_info_get(ring2.ring_fd, id, &info, &n));
	EXPECT_EQ(1, n);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	io_uring_queue_exit(&ring2);
	zc_mem_free(&mem2);
}

/* IORING_REGISTER_PROBE lists IORING_OP_RECV_ZC as supported. */
TEST_F_TIMEOUT(reg, probe, 60)
{
	struct io_uring_probe *probe;
	struct io_uring ring;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	probe = io_uring_get_probe_ring(&ring);
	ASSERT_NE(NULL, probe);
	EXPECT_LE(IORING_OP_RECV_ZC, probe->last_op);
	EXPECT_TRUE(io_uring_opcode_supported(probe, IORING_OP_RECV_ZC));
	EXPECT_FALSE(io_uring_opcode_supported(probe, IORING_OP_RECV_ZC + 1));
	io_uring_free_probe(probe);
	io_uring_queue_exit(&ring);
}

/*
 * In a child without CAP_IPC_LOCK and with RLIMIT_MEMLOCK at @limit,
 * register an area of @area_len bytes; returns its result, or 1.
 */
static int memlock_register(int ifindex, size_t area_len, rlim_t limit)
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
		    setrlimit(RLIMIT_MEMLOCK, &rl) ||
		    ring_init(&ring, RING_FLAGS, 8, 0) ||
		    zc_mem_alloc(&mem, area_len, REG_RQ_ENTRIES, false)) {
			ret = 1;
		} else {
			zc_reg_init(&r, &mem, ifindex, ZC_QUEUE,
				    REG_RQ_ENTRIES);
			ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
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

/* The area is charged to the locked-memory limit, like registered buffers. */
TEST_F_TIMEOUT(reg, memlock, 120)
{
	EXPECT_EQ(-ENOMEM, memlock_register(self->env.ifindex, 16 * MiB,
					    4 * MiB))
		TH_LOG("a 16 MiB area under a 4 MiB RLIMIT_MEMLOCK");
	check_queue_free(-1, ZC_QUEUE, "memlock limit");
	EXPECT_EQ(0, memlock_register(self->env.ifindex, 2 * MiB, 4 * MiB))
		TH_LOG("a 2 MiB area under a 4 MiB RLIMIT_MEMLOCK");
	check_queue_free(-1, ZC_QUEUE, "after the memlock child exited");
}

TEST_F_TIMEOUT(reg, rx_buf_len, 120)
{
	static const struct {
		__u32 len;
		const char *name;
	} bad[] = {
		{ 3 * 4096, "not a power of two" },
		{ 4096 + 1, "PAGE_SIZE + 1" },
		{ 2048, "below PAGE_SIZE" },
		{ 1U << 21, "2 MiB chunks of a 4 KiB-page area" },
		{ 1U << 31, "2 GiB" },
	};
	struct io_uring ring;
	struct zc_reg r;
	size_t i;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	r.reg.rx_buf_len = pagesz();
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg))
		TH_LOG("rx_buf_len PAGE_SIZE");
	EXPECT_EQ(pagesz(), r.reg.rx_buf_len);
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	EXPECT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	EXPECT_TRUE(r.reg.rx_buf_len == 0 || r.reg.rx_buf_len == pagesz())
		TH_LOG("rx_buf_len 0 came back as %u", r.reg.rx_buf_len);
	io_uring_queue_exit(&ring);

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
			    REG_RQ_ENTRIES);
		r.reg.rx_buf_len = bad[i].len;
		ret = zcrx_register_ifq(ring.ring_fd, &r.reg);
		if (bad[i].len & (bad[i].len - 1)) {
			EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", bad[i].name);
		} else {
			EXPECT_TRUE(is_one_of(ret, -EINVAL, -ERANGE,
					      -EOPNOTSUPP))
				TH_LOG("%s: %d", bad[i].name, ret);
		}
	}
	check_queue_free(ring.ring_fd, ZC_QUEUE,
			 "bad rx_buf_len");
	io_uring_queue_exit(&ring);
}

TEST_F_TIMEOUT(reg, written_back, 120)
{
	struct io_uring ring;
	struct zc_mem mem2;
	struct zc_reg r1, r2;
	struct zcrx_info info;
	size_t hdr_end;
	int n;

	ASSERT_EQ(0, zc_mem_alloc(&mem2, 2 * REG_AREA_LEN, REG_RQ_ENTRIES,
				  false));
	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r1, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r1.reg));
	zc_reg_init(&r2, &mem2, self->env.ifindex, ALT_QUEUE, REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r2.reg));

	EXPECT_NE(r1.reg.zcrx_id, r2.reg.zcrx_id);
	EXPECT_EQ((__u32)REG_RQ_ENTRIES, r1.reg.rq_entries);
	/* area_id << 48: nothing below the shift. */
	EXPECT_EQ(0ULL, r1.area.rq_area_token & ~IORING_ZCRX_AREA_MASK);
	EXPECT_EQ(0ULL, r2.area.rq_area_token & ~IORING_ZCRX_AREA_MASK);
	hdr_end = r1.reg.offsets.rqes + (size_t)REG_RQ_ENTRIES *
		  sizeof(struct io_uring_zcrx_rqe);
	EXPECT_LE(hdr_end, self->mem.region_len);
	EXPECT_LT(r1.reg.offsets.head, self->mem.region_len);
	EXPECT_LT(r1.reg.offsets.tail, self->mem.region_len);
	EXPECT_EQ(0U, r1.reg.offsets.rqes % 64);

	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r1.reg.zcrx_id, &info, &n));
	EXPECT_EQ(2, n);
	EXPECT_STREQ(IFNAME, info.dev);
	EXPECT_EQ((unsigned long long)self->env.ifindex, info.ifindex);
	EXPECT_EQ((unsigned long long)ZC_QUEUE, info.rxq);
	EXPECT_EQ((unsigned long long)REG_AREA_LEN, info.area_bytes);
	EXPECT_EQ(REG_AREA_LEN / pagesz(), info.bufs);
	EXPECT_EQ(info.bufs, info.free + info.nic + info.user);
	EXPECT_EQ(0ULL, info.user);
	EXPECT_EQ(0ULL, info.zc_bytes);
	EXPECT_EQ(0ULL, info.copy_bytes);
	EXPECT_EQ(0ULL, info.rq_invalid);
	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r2.reg.zcrx_id, &info, NULL));
	EXPECT_EQ((unsigned long long)ALT_QUEUE, info.rxq);
	EXPECT_EQ(2 * REG_AREA_LEN, info.area_bytes);

	io_uring_queue_exit(&ring);
	zc_mem_free(&mem2);
}

/*
 * ZCRX_CTRL_FLUSH_RQ: known ids only, nothing reserved set, and invalid
 * entries in the ring are skipped while the call still succeeds.
 */
TEST_F_TIMEOUT(reg, flush_rq, 120)
{
	struct io_uring ring;
	struct zcrx_info info;
	struct zcrx_ctrl ctrl;
	struct zcrx_rq rq;
	struct zc_reg r;
	int ret, i;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));
	/* The series implements it: -EINVAL here is a failure, not a skip. */
	ret = zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id);
	ASSERT_EQ(0, ret) TH_LOG("ZCRX_CTRL_FLUSH_RQ on a registered ifq");
	EXPECT_EQ(-EINVAL, zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id + 1))
		TH_LOG("unknown ifq id");

#define CTRL_CASE(what, change, nr, alt) do {				\
	memset(&ctrl, 0, sizeof(ctrl));					\
	ctrl.zcrx_id = r.reg.zcrx_id;					\
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;					\
	change;								\
	ret = syscall(__NR_io_uring_register, ring.ring_fd,		\
		      IORING_REGISTER_ZCRX_CTRL, &ctrl, nr);		\
	EXPECT_EQ(-1, ret) TH_LOG("%s", what);				\
	EXPECT_TRUE(errno == EINVAL || errno == (alt))			\
		TH_LOG("%s: errno %d", what, errno);			\
} while (0)
	CTRL_CASE("nr_args 1", (void)0, 1, EINVAL);
	CTRL_CASE("unknown op", ctrl.op = __ZCRX_CTRL_LAST, 0, EOPNOTSUPP);
	CTRL_CASE("__resv[0]", ctrl.__resv[0] = 1, 0, EINVAL);
	CTRL_CASE("__resv[1]", ctrl.__resv[1] = 1, 0, EINVAL);
	CTRL_CASE("zc_flush.__resv[5]", ctrl.zc_flush.__resv[5] = 1, 0,
		  EINVAL);
#undef CTRL_CASE

	/* Four entries that name no buffer of the area. */
	zcrx_rq_init(&rq, self->mem.region, &r.reg, r.area.rq_area_token);
	for (i = 0; i < 4; i++) {
		rq.rqes[rq.tail & (rq.entries - 1)].off =
			r.area.rq_area_token | (REG_AREA_LEN + i * pagesz());
		rq.rqes[rq.tail & (rq.entries - 1)].len = pagesz();
		rq.rqes[rq.tail & (rq.entries - 1)].__pad = 0;
		rq.tail++;
	}
	zcrx_rq_commit(&rq);
	EXPECT_EQ(0, zcrx_flush_rq(ring.ring_fd, r.reg.zcrx_id));
	EXPECT_EQ(rq.tail, __atomic_load_n(rq.khead, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, zcrx_info_get(ring.ring_fd, r.reg.zcrx_id, &info, NULL));
	EXPECT_EQ(4ULL, info.rq_invalid);
	EXPECT_EQ(0ULL, info.rq_consumed);
	io_uring_queue_exit(&ring);
}

/* Submit one RECV_ZC as @sqe_fix leaves it and wait for its completion. */
static int recv_once(struct io_uring *ring, int fd, __u32 ifq_id,
		     void (*sqe_fix)(struct io_uring_sqe *), __u32 *flags)
{
	struct __kernel_timespec ts = { .tv_sec = 10 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	zcrx_prep_recv(sqe, fd, 0, ifq_id);
	if (sqe_fix)
		sqe_fix(sqe);
	io_uring_submit(ring);
	ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	if (ret)
		return 1000 + ret;	/* no completion */
	ret = cqe->res;
	*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* Each breaks one rule of the RECV_ZC SQE. */
static void sqe_addr(struct io_uring_sqe *sqe)
{
	sqe->addr = 4096;
}

static void sqe_addr2(struct io_uring_sqe *sqe)
{
	sqe->off = 1;
}

static void sqe_addr3(struct io_uring_sqe *sqe)
{
	sqe->addr3 = 1;
}

static void sqe_msg_flags(struct io_uring_sqe *sqe)
{
	sqe->msg_flags = 1;
}

static void sqe_oneshot(struct io_uring_sqe *sqe)
{
	sqe->ioprio &= ~IORING_RECV_MULTISHOT;
}

static void sqe_ioprio(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 7;
}

static void sqe_fixed(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 2;		/* IORING_RECVSEND_FIXED_BUF */
}

static void sqe_bundle(struct io_uring_sqe *sqe)
{
	sqe->ioprio |= 1U << 4;		/* IORING_RECVSEND_BUNDLE */
}

TEST_F_TIMEOUT(reg, recv_args, 120)
{
	static const struct {
		void (*fix)(struct io_uring_sqe *sqe);
		const char *name;
	} bad[] = {
		{ sqe_addr, "addr" }, { sqe_addr2, "addr2" },
		{ sqe_addr3, "addr3" }, { sqe_msg_flags, "msg_flags" },
		{ sqe_oneshot, "ioprio without IORING_RECV_MULTISHOT" },
		{ sqe_ioprio, "unknown ioprio bit" },
		{ sqe_fixed, "IORING_RECVSEND_FIXED_BUF" },
		{ sqe_bundle, "IORING_RECVSEND_BUNDLE" },
	};
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct io_uring ring;
	struct zc_reg r;
	int lfd, cfd, sfd, p[2];
	__u32 flags;
	size_t i;
	int ret;

	ASSERT_EQ(0, ring_init(&ring, RING_FLAGS, 8, 0));
	zc_reg_init(&r, &self->mem, self->env.ifindex, ZC_QUEUE,
		    REG_RQ_ENTRIES);
	ASSERT_EQ(0, zcrx_register_ifq(ring.ring_fd, &r.reg));

	/* A connected TCP socket over lo of namespace B. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(lfd, 1));
	ASSERT_EQ(0, getsockname(lfd, (struct sockaddr *)&sin, &len));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(cfd, 0);
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sin, sizeof(sin)));
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_GE(sfd, 0);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		flags = ~0U;
		ret = recv_once(&ring, sfd, r.reg.zcrx_id, bad[i].fix, &flags);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", bad[i].name);
		EXPECT_EQ(0U, flags & IORING_CQE_F_MORE) TH_LOG("%s", bad[i].name);
	}
	flags = ~0U;
	ret = recv_once(&ring, sfd, r.reg.zcrx_id + 1, NULL, &flags);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("unknown ifq id");
	EXPECT_EQ(0U, flags & IORING_CQE_F_MORE);

	ASSERT_EQ(0, pipe(p));
	flags = ~0U;
	ret = recv_once(&ring, p[0], r.reg.zcrx_id, NULL, &flags);
	EXPECT_EQ(-ENOTSOCK, ret) TH_LOG("a pipe");
	EXPECT_EQ(0U, flags & IORING_CQE_F_MORE);

	io_uring_queue_exit(&ring);
	close(p[0]);
	close(p[1]);
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_HARNESS_MAIN
