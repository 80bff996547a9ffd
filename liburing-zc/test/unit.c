// SPDX-License-Identifier: MIT OR LGPL-2.1
/*
 * Unit tests of liburing-zc that need no zero-copy capable kernel.
 *
 * Refill rings are built in ordinary memory: a struct io_uring_zcrx whose
 * head, tail and entries point into a buffer of ours, and an area that is
 * a buffer too.  Where the library asks the kernel for something, either
 * the real call fails (a ring fd of -1), or this program plays the kernel:
 * the library's static copy is linked into it, so its syscall() and its
 * io_uring_get_probe_ring() resolve to the stand-ins defined below, which
 * a test switches on (fk.active, fk.probe_last_op) and which otherwise
 * pass the call on.  The system's liburing makes its own system calls and
 * is not affected.
 *
 * Tests that need io_uring on the host (ring set-up) skip when the host
 * does not allow it; none depends on the host kernel having or lacking
 * zero-copy receive.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "lib.h"

/*
 * The harness's TEST_F() wrapper keeps a local across setjmp(); gcc warns
 * about it once a test is inlined into the wrapper.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wclobbered"
#endif
#include "kselftest_harness.h"

#define PAGE		4096UL
#define AREA_ID		5ULL
#define TOKEN		(AREA_ID << IORING_ZCRX_AREA_SHIFT)
#define OTHER_TOKEN	(6ULL << IORING_ZCRX_AREA_SHIFT)
#define FAKE_ENTRIES	8U
#define FAKE_BUFS	16U
#define FAKE_AREA	(FAKE_BUFS * PAGE)
#define FAKE_ID		3U

/*
 * The kernel's side of io_uring_register(2), when a test asks for it: the
 * refill ring flush, and an interface queue registration that checks and
 * answers as the ABI says.
 */

#define FK_HDR		128	/* the refill ring's header: head, tail */
#define FK_AREA_ID	2ULL
#define FK_ZCRX_ID	4U

static struct {
	int	active;		/* io_uring_register(2) comes here */
	int	calls;
	long	fd;
	long	op;
	long	nr_args;
	void	*arg;
	int	err;		/* fail the call with this errno */
	int	consume;	/* FLUSH_RQ consumes what is published */
	struct io_uring_zcrx *zc;
	struct zcrx_ctrl ctrl;	/* a copy of the last ctrl argument */
	/* the registration as it came in */
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	int	reg_calls;
	int	raw;		/* record the registration, check nothing */
	/* ZCRX_CTRL_EXPORT answers this; ZCRX_REG_IMPORT takes it */
	__u32	export_fd;
	__u32	import_entries;	/* the shared refill ring's size */
	/* the event descriptor of the registration, if it had one */
	struct zcrx_event_desc ev;
	int	ev_seen;
	/* io_uring_get_probe_ring(): 0 the real one, else this last_op */
	unsigned int probe_last_op;
	/* a device that fills at most buf_max bytes: buf_err above that */
	int	buf_err;
	__u32	buf_max;
} fk;

static int is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		if (*c++)
			return 0;
	return 1;
}

static int fake_register_ifq(struct io_uring_zcrx_ifq_reg *reg)
{
	struct io_uring_zcrx_area_reg *area;
	struct io_uring_region_desc *rd;
	__u32 entries = 1;

	fk.reg_calls++;
	if (!reg)
		return -EFAULT;
	fk.reg = *reg;
	if (reg->flags == ZCRX_REG_IMPORT) {
		/* the file descriptor in if_idx, every other input 0 */
		if (reg->if_rxq || reg->rq_entries || reg->area_ptr ||
		    reg->region_ptr || reg->rx_buf_len || reg->zcrx_id ||
		    reg->event_desc || !is_zero(reg->__resv, sizeof(reg->__resv)) ||
		    !is_zero(&reg->offsets, sizeof(reg->offsets)))
			return -EINVAL;
		if (!fk.export_fd || reg->if_idx != fk.export_fd)
			return -EBADF;
		reg->rq_entries = fk.import_entries;
		reg->offsets.head = 0;
		reg->offsets.tail = 64;
		reg->offsets.rqes = FK_HDR;
		reg->zcrx_id = FK_ZCRX_ID + 1;
		reg->rx_buf_len = PAGE;
		return 0;
	}
	area = (void *)(uintptr_t)reg->area_ptr;
	rd = (void *)(uintptr_t)reg->region_ptr;
	if (!area || !rd)
		return -EFAULT;
	fk.area = *area;
	fk.rd = *rd;
	if ((reg->flags & ~(__u32)ZCRX_REG_NODEV) || reg->zcrx_id ||
	    !is_zero(reg->__resv, sizeof(reg->__resv)) ||
	    !is_zero(&reg->offsets, sizeof(reg->offsets)) ||
	    area->rq_area_token || (area->flags & ~(__u32)IORING_ZCRX_AREA_DMABUF) ||
	    (!area->flags && area->dmabuf_fd) ||
	    !is_zero(area->__resv2, sizeof(area->__resv2)) ||
	    (rd->flags & ~(__u32)IORING_MEM_REGION_TYPE_USER) || rd->id ||
	    rd->mmap_offset || !is_zero(rd->__resv, sizeof(rd->__resv)))
		return -EINVAL;
	if (!reg->rq_entries || reg->rq_entries > 32768)
		return -EINVAL;
	if ((reg->flags & ZCRX_REG_NODEV) && (reg->if_idx || reg->if_rxq))
		return -EINVAL;
	while (entries < reg->rq_entries)
		entries <<= 1;
	if (area->flags & IORING_ZCRX_AREA_DMABUF) {
		/* no address, a file for the fd, nothing copied into it */
		if (area->addr || !area->len || (area->len & (PAGE - 1)) ||
		    (reg->flags & ZCRX_REG_NODEV))
			return -EINVAL;
		if (fcntl((int)area->dmabuf_fd, F_GETFD) < 0)
			return -EBADF;
	} else if (!area->addr || (area->addr & (PAGE - 1)) || !area->len ||
		   (area->len & (PAGE - 1))) {
		return -EINVAL;
	}
	if (area->len % (reg->rx_buf_len ? reg->rx_buf_len : PAGE))
		return -EINVAL;
	if (fk.buf_err && reg->rx_buf_len > fk.buf_max)
		return -fk.buf_err;
	if (reg->rx_buf_len && (reg->rx_buf_len < PAGE ||
				(reg->rx_buf_len & (reg->rx_buf_len - 1))))
		return -EINVAL;
	if (rd->flags & IORING_MEM_REGION_TYPE_USER) {
		if (!rd->user_addr || (rd->user_addr & (PAGE - 1)))
			return -EINVAL;
	} else if (rd->user_addr) {
		return -EINVAL;
	}
	/* the header and every rqe, for the rounded-up number of entries */
	if (!rd->size || rd->size < FK_HDR + (__u64)entries *
				    sizeof(struct io_uring_zcrx_rqe))
		return -EINVAL;
	if (reg->event_desc) {
		struct zcrx_event_desc *ev = (void *)(uintptr_t)reg->event_desc;

		fk.ev = *ev;
		fk.ev_seen = 1;
		if ((ev->flags & ~(__u32)ZCRX_EVENT_DESC_FLAG_STATS) ||
		    (ev->type_mask & ~3U) ||
		    !is_zero(ev->__resv2, sizeof(ev->__resv2)))
			return -EINVAL;
		/* aligned, inside the region, clear of the ring */
		if ((ev->flags & ZCRX_EVENT_DESC_FLAG_STATS) &&
		    ((ev->stats_offset & 7) ||
		     ev->stats_offset < FK_HDR + (__u64)entries *
					sizeof(struct io_uring_zcrx_rqe) ||
		     ev->stats_offset + sizeof(struct zcrx_stats) > rd->size))
			return -EINVAL;
	}

	reg->rq_entries = entries;
	reg->offsets.head = 0;
	reg->offsets.tail = 64;
	reg->offsets.rqes = FK_HDR;
	reg->zcrx_id = FK_ZCRX_ID;
	if (!reg->rx_buf_len)
		reg->rx_buf_len = PAGE;
	area->rq_area_token = FK_AREA_ID << IORING_ZCRX_AREA_SHIFT;
	if (!(rd->flags & IORING_MEM_REGION_TYPE_USER))
		rd->mmap_offset = 0x30000000ULL + ((__u64)FK_ZCRX_ID << 16);
	return 0;
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];
	int i, ret;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	if (nr == __NR_io_uring_register && fk.active) {
		fk.calls++;
		/* int fd, unsigned int opcode, void *arg, unsigned int nr_args */
		fk.fd = (int)a[0];
		fk.op = (unsigned int)a[1];
		fk.arg = (void *)a[2];
		fk.nr_args = (unsigned int)a[3];
		if (fk.op == IORING_REGISTER_ZCRX_CTRL && fk.arg)
			memcpy(&fk.ctrl, fk.arg, sizeof(fk.ctrl));
		if (fk.err) {
			errno = fk.err;
			return -1;
		}
		if (fk.op == IORING_REGISTER_ZCRX_CTRL && fk.arg &&
		    fk.ctrl.op == ZCRX_CTRL_EXPORT)
			((struct zcrx_ctrl *)fk.arg)->zc_export.zcrx_fd = fk.export_fd;
		if (fk.op == IORING_REGISTER_ZCRX_CTRL && fk.consume && fk.zc)
			io_uring_smp_store_release(fk.zc->rq.khead,
				io_uring_smp_load_acquire(fk.zc->rq.ktail));
		if (fk.op == IORING_REGISTER_ZCRX_IFQ && !fk.raw) {
			ret = fk.nr_args == 1 ? fake_register_ifq(fk.arg) : -EINVAL;
			if (ret) {
				errno = -ret;
				return -1;
			}
		}
		return 0;
	}
	if (!real) {
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
		if (!real) {
			errno = ENOSYS;
			return -1;
		}
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static struct io_uring_probe *mkprobe(unsigned int last_op, int recv_zc_flags)
{
	struct io_uring_probe *p;
	unsigned int i;

	p = calloc(1, sizeof(*p) + 256 * sizeof(struct io_uring_probe_op));
	if (!p)
		return NULL;
	p->last_op = last_op;
	p->ops_len = last_op + 1;
	for (i = 0; i <= last_op; i++) {
		p->ops[i].op = i;
		p->ops[i].flags = IO_URING_OP_SUPPORTED;
	}
	if (last_op >= IORING_OP_RECV_ZC)
		p->ops[IORING_OP_RECV_ZC].flags = recv_zc_flags;
	return p;
}

/* the library's probe of the kernel, answered by a test where it asks */
struct io_uring_probe *io_uring_get_probe_ring(struct io_uring *ring)
{
	static struct io_uring_probe *(*real)(struct io_uring *);

	if (fk.probe_last_op)
		return mkprobe(fk.probe_last_op, IO_URING_OP_SUPPORTED);
	if (!real)
		real = (struct io_uring_probe *(*)(struct io_uring *))
			dlsym(RTLD_NEXT, "io_uring_get_probe_ring");
	return real ? real(ring) : NULL;
}

/* A context over memory of ours. */

struct fake {
	struct io_uring ring;
	struct io_uring_zcrx zc;
	char	*region;
	char	*area;
	unsigned int entries;
};

static int fake_init(struct fake *f, unsigned int entries)
{
	size_t rsize = PAGE + entries * sizeof(struct io_uring_zcrx_rqe);

	rsize = (rsize + PAGE - 1) & ~(PAGE - 1);
	memset(f, 0, sizeof(*f));
	memset(&fk, 0, sizeof(fk));
	f->region = aligned_alloc(PAGE, rsize);
	f->area = aligned_alloc(PAGE, FAKE_AREA);
	if (!f->region || !f->area)
		return -1;
	memset(f->region, 0, rsize);
	/* stale garbage in the entries: the library must write every field */
	memset(f->region + PAGE, 0xa5, entries * sizeof(struct io_uring_zcrx_rqe));
	f->entries = entries;
	f->ring.ring_fd = -1;
	f->ring.enter_ring_fd = -1;
	f->ring.flags = IO_URING_ZCRX_SETUP_FLAGS;
	f->zc.rq.khead = (__u32 *)f->region;
	f->zc.rq.ktail = (__u32 *)(f->region + 64);
	f->zc.rq.rqes = (struct io_uring_zcrx_rqe *)(f->region + PAGE);
	f->zc.rq.ring_entries = entries;
	f->zc.rq.ring_ptr = f->region;
	f->zc.id = FAKE_ID;
	f->zc.buf_len = PAGE;
	f->zc.area = f->area;
	f->zc.area_size = FAKE_AREA;
	f->zc.area_token = TOKEN;
	f->zc.ring = &f->ring;
	fk.zc = &f->zc;
	return 0;
}

static void fake_free(struct fake *f)
{
	free(f->region);
	free(f->area);
	memset(&fk, 0, sizeof(fk));
}

/* the kernel has consumed up to @head; we have published up to @tail */
static void fake_at(struct fake *f, __u32 head, __u32 tail)
{
	*f->zc.rq.khead = head;
	*f->zc.rq.ktail = tail;
	f->zc.rq.rq_tail = tail;
}

static __u32 ktail(const struct fake *f)
{
	return io_uring_smp_load_acquire(f->zc.rq.ktail);
}

static struct io_uring_zcrx_rqe *rqe_at(struct fake *f, __u32 index)
{
	return &f->zc.rq.rqes[index & (f->entries - 1)];
}

/* a 32-byte completion */
struct cqe32 {
	__u64	w[4];
};

static struct io_uring_cqe *mkcqe(struct cqe32 *c, int res, __u64 off)
{
	struct io_uring_cqe *cqe = (struct io_uring_cqe *)c;

	memset(c, 0, sizeof(*c));
	cqe->user_data = 0x1234;
	cqe->res = res;
	cqe->flags = IORING_CQE_F_MORE;
	io_uring_zcrx_cqe(cqe)->off = off;
	return cqe;
}

/* Numbers and layouts. */

TEST(abi_numbers)
{
	EXPECT_EQ(58, IORING_OP_RECV_ZC);
	EXPECT_EQ(32, IORING_REGISTER_ZCRX_IFQ);
	EXPECT_EQ(35, IORING_REGISTER_QUERY);
	EXPECT_EQ(36, IORING_REGISTER_ZCRX_CTRL);
	EXPECT_EQ(48, IORING_ZCRX_AREA_SHIFT);
	EXPECT_EQ(0xffff000000000000ULL, (unsigned long long)IORING_ZCRX_AREA_MASK);
	EXPECT_EQ(0ULL, (unsigned long long)(IORING_ZCRX_AREA_MASK &
					     ((1ULL << 48) - 1)));
	EXPECT_EQ(1, IORING_ZCRX_AREA_DMABUF);
	EXPECT_EQ(1, ZCRX_REG_IMPORT);
	EXPECT_EQ(2, ZCRX_REG_NODEV);
	EXPECT_EQ(1, ZCRX_FEATURE_RX_PAGE_SIZE);
	EXPECT_EQ(0, ZCRX_CTRL_FLUSH_RQ);
	EXPECT_EQ(1, ZCRX_CTRL_EXPORT);
	EXPECT_EQ(1, IORING_MEM_REGION_TYPE_USER);
	EXPECT_EQ(0, IO_URING_QUERY_OPCODES);
	EXPECT_EQ(1, IO_URING_QUERY_ZCRX);
	EXPECT_EQ(3, IO_URING_QUERY_ZCRX_NOTIF);
	EXPECT_EQ(3, IO_URING_QUERY_ZCRX_EVENTS);
	/* events and statistics, and the names of earlier snapshots */
	EXPECT_EQ(2, ZCRX_FEATURE_EVENT);
	EXPECT_EQ(2, ZCRX_FEATURE_NOTIFICATION);
	EXPECT_EQ(0, ZCRX_EVENT_ALLOC_FAIL);
	EXPECT_EQ(1, ZCRX_EVENT_COPY);
	EXPECT_EQ(0, ZCRX_NOTIF_NO_BUFFERS);
	EXPECT_EQ(1, ZCRX_NOTIF_COPY);
	EXPECT_EQ(1, ZCRX_EVENT_DESC_FLAG_STATS);
	EXPECT_EQ(2, ZCRX_CTRL_ARM_EVENT);
	EXPECT_EQ((unsigned int)(IORING_SETUP_SINGLE_ISSUER |
				 IORING_SETUP_DEFER_TASKRUN |
				 IORING_SETUP_CQE32),
		  (unsigned int)IO_URING_ZCRX_SETUP_FLAGS);
}

#define SIZE(type, n)		EXPECT_EQ((size_t)(n), sizeof(type))
#define OFF(type, field, n)	EXPECT_EQ((size_t)(n), offsetof(type, field))

TEST(abi_struct_sizes)
{
	SIZE(struct io_uring_zcrx_rqe, 16);
	SIZE(struct io_uring_zcrx_cqe, 16);
	SIZE(struct io_uring_zcrx_offsets, 32);
	SIZE(struct io_uring_zcrx_area_reg, 48);
	SIZE(struct io_uring_zcrx_ifq_reg, 96);
	SIZE(struct io_uring_region_desc, 64);
	SIZE(struct zcrx_ctrl, 72);
	SIZE(struct io_uring_query_hdr, 40);
	SIZE(struct io_uring_query_opcode, 48);
	SIZE(struct io_uring_query_zcrx, 40);
	SIZE(struct io_uring_query_zcrx_notif, 48);
	SIZE(struct zcrx_ctrl_arm_event, 48);
	SIZE(struct zcrx_event_desc, 96);
	SIZE(struct zcrx_notification_desc, 96);
	SIZE(struct zcrx_stats, 16);
	SIZE(struct io_uring_sqe, 64);
}

TEST(abi_field_offsets)
{
	OFF(struct io_uring_zcrx_rqe, off, 0);
	OFF(struct io_uring_zcrx_rqe, len, 8);
	OFF(struct io_uring_zcrx_rqe, __pad, 12);
	OFF(struct io_uring_zcrx_cqe, off, 0);
	OFF(struct io_uring_zcrx_cqe, __pad, 8);

	OFF(struct io_uring_zcrx_offsets, head, 0);
	OFF(struct io_uring_zcrx_offsets, tail, 4);
	OFF(struct io_uring_zcrx_offsets, rqes, 8);
	OFF(struct io_uring_zcrx_offsets, __resv2, 12);
	OFF(struct io_uring_zcrx_offsets, __resv, 16);

	OFF(struct io_uring_zcrx_area_reg, addr, 0);
	OFF(struct io_uring_zcrx_area_reg, len, 8);
	OFF(struct io_uring_zcrx_area_reg, rq_area_token, 16);
	OFF(struct io_uring_zcrx_area_reg, flags, 24);
	OFF(struct io_uring_zcrx_area_reg, dmabuf_fd, 28);
	OFF(struct io_uring_zcrx_area_reg, __resv2, 32);

	OFF(struct io_uring_zcrx_ifq_reg, if_idx, 0);
	OFF(struct io_uring_zcrx_ifq_reg, if_rxq, 4);
	OFF(struct io_uring_zcrx_ifq_reg, rq_entries, 8);
	OFF(struct io_uring_zcrx_ifq_reg, flags, 12);
	OFF(struct io_uring_zcrx_ifq_reg, area_ptr, 16);
	OFF(struct io_uring_zcrx_ifq_reg, region_ptr, 24);
	OFF(struct io_uring_zcrx_ifq_reg, offsets, 32);
	OFF(struct io_uring_zcrx_ifq_reg, zcrx_id, 64);
	OFF(struct io_uring_zcrx_ifq_reg, rx_buf_len, 68);
	OFF(struct io_uring_zcrx_ifq_reg, event_desc, 72);
	OFF(struct io_uring_zcrx_ifq_reg, __resv, 80);
	EXPECT_EQ((size_t)16, sizeof(((struct io_uring_zcrx_ifq_reg *)0)->__resv));

	OFF(struct io_uring_region_desc, user_addr, 0);
	OFF(struct io_uring_region_desc, size, 8);
	OFF(struct io_uring_region_desc, flags, 16);
	OFF(struct io_uring_region_desc, id, 20);
	OFF(struct io_uring_region_desc, mmap_offset, 24);
	OFF(struct io_uring_region_desc, __resv, 32);

	OFF(struct zcrx_ctrl, zcrx_id, 0);
	OFF(struct zcrx_ctrl, op, 4);
	OFF(struct zcrx_ctrl, __resv, 8);
	OFF(struct zcrx_ctrl, zc_export, 24);
	OFF(struct zcrx_ctrl, zc_flush, 24);
	OFF(struct zcrx_ctrl, zc_export.zcrx_fd, 24);
	SIZE(struct zcrx_ctrl_export, 48);
	SIZE(struct zcrx_ctrl_flush_rq, 48);
#if LIBURING_ZC_CTRL_ARM_EVENT
	OFF(struct zcrx_ctrl, zc_arm_event, 24);
	OFF(struct zcrx_ctrl, zc_arm_event.event_type, 24);
#endif
	OFF(struct zcrx_ctrl_arm_event, __resv, 4);

	OFF(struct zcrx_event_desc, user_data, 0);
	OFF(struct zcrx_event_desc, type_mask, 8);
	OFF(struct zcrx_event_desc, flags, 12);
	OFF(struct zcrx_event_desc, stats_offset, 16);
	OFF(struct zcrx_event_desc, __resv2, 24);
	OFF(struct zcrx_stats, copy_count, 0);
	OFF(struct zcrx_stats, copy_bytes, 8);

	OFF(struct io_uring_query_zcrx_notif, flags, 0);
	OFF(struct io_uring_query_zcrx_notif, stats_size, 4);
	OFF(struct io_uring_query_zcrx_notif, stats_off_alignment, 8);
	OFF(struct io_uring_query_zcrx_notif, __resv1, 12);
	OFF(struct io_uring_query_zcrx_notif, __resv2, 16);

	OFF(struct io_uring_query_hdr, next_entry, 0);
	OFF(struct io_uring_query_hdr, query_data, 8);
	OFF(struct io_uring_query_hdr, query_op, 16);
	OFF(struct io_uring_query_hdr, size, 20);
	OFF(struct io_uring_query_hdr, result, 24);
	OFF(struct io_uring_query_hdr, __resv, 28);

	OFF(struct io_uring_query_opcode, nr_request_opcodes, 0);
	OFF(struct io_uring_query_opcode, nr_register_opcodes, 4);
	OFF(struct io_uring_query_opcode, feature_flags, 8);
	OFF(struct io_uring_query_opcode, ring_setup_flags, 16);
	OFF(struct io_uring_query_opcode, enter_flags, 24);
	OFF(struct io_uring_query_opcode, sqe_flags, 32);
	OFF(struct io_uring_query_opcode, nr_query_opcodes, 40);
	OFF(struct io_uring_query_opcode, __pad, 44);

	OFF(struct io_uring_query_zcrx, register_flags, 0);
	OFF(struct io_uring_query_zcrx, area_flags, 8);
	OFF(struct io_uring_query_zcrx, nr_ctrl_opcodes, 16);
	OFF(struct io_uring_query_zcrx, features, 20);
	OFF(struct io_uring_query_zcrx, rq_hdr_size, 24);
	OFF(struct io_uring_query_zcrx, rq_hdr_alignment, 28);
	OFF(struct io_uring_query_zcrx, __resv2, 32);

	OFF(struct io_uring_sqe, zcrx_ifq_idx, 44);
	EXPECT_EQ((size_t)4, sizeof(((struct io_uring_sqe *)0)->zcrx_ifq_idx));
}

/* the library's own parameters: dmabuf_fd took a reserved word */
TEST(params_layout)
{
	EXPECT_EQ((size_t)64, sizeof(struct io_uring_zcrx_params));
	EXPECT_EQ((size_t)36, offsetof(struct io_uring_zcrx_params, rx_buf_len));
	EXPECT_EQ((size_t)40, offsetof(struct io_uring_zcrx_params, flags));
	EXPECT_EQ((size_t)48, offsetof(struct io_uring_zcrx_params, event_desc));
	EXPECT_EQ((size_t)56, offsetof(struct io_uring_zcrx_params, dmabuf_fd));
	EXPECT_EQ((size_t)60, offsetof(struct io_uring_zcrx_params, __resv));
	EXPECT_EQ(3, IO_URING_ZCRX_AREA_DMABUF);
	EXPECT_EQ(2U, (unsigned int)IO_URING_ZCRX_BUF_FALLBACK);
}

TEST(cqe32_layout)
{
	struct cqe32 ring[2];
	struct io_uring_cqe *cqe = (struct io_uring_cqe *)&ring[0];

	/* a CQE32 ring: 16 bytes of io_uring_cqe, then the zcrx half */
	EXPECT_EQ((size_t)16, sizeof(struct io_uring_cqe));
	EXPECT_EQ((size_t)32, sizeof(struct io_uring_cqe) +
			      sizeof(struct io_uring_zcrx_cqe));
	EXPECT_EQ((uintptr_t)(cqe + 1), (uintptr_t)io_uring_zcrx_cqe(cqe));
	EXPECT_EQ((uintptr_t)&ring[0].w[2], (uintptr_t)io_uring_zcrx_cqe(cqe));

	mkcqe(&ring[1], 100, TOKEN | 0x2000);
	EXPECT_EQ(TOKEN | 0x2000, ring[1].w[2]);
	EXPECT_EQ(0ULL, ring[1].w[3]);
}

/* The receive request. */

static void check_recv_zc(struct __test_metadata *_metadata, int fd,
			  __u32 id, unsigned int len, unsigned int flags)
{
	struct io_uring_sqe sqe;
	__u32 slot;

	memset(&sqe, 0xff, sizeof(sqe));
	io_uring_prep_recv_zc(&sqe, fd, id, len, flags);
	memcpy(&slot, (char *)&sqe + 44, sizeof(slot));

	EXPECT_EQ(IORING_OP_RECV_ZC, sqe.opcode);
	EXPECT_EQ(fd, sqe.fd);
	EXPECT_EQ(len, sqe.len);
	EXPECT_EQ((__u16)(IORING_RECV_MULTISHOT | flags), sqe.ioprio);
	EXPECT_EQ(id, slot);
	EXPECT_EQ(id, sqe.zcrx_ifq_idx);
	EXPECT_EQ(0ULL, (unsigned long long)sqe.addr);
	EXPECT_EQ(0ULL, (unsigned long long)sqe.off);	/* addr2 */
	EXPECT_EQ(0ULL, (unsigned long long)sqe.addr3);
	EXPECT_EQ(0U, sqe.msg_flags);
	EXPECT_EQ(0, sqe.flags);
	EXPECT_EQ(0, sqe.buf_index);
	EXPECT_EQ(0, sqe.personality);
}

TEST(prep_recv_zc)
{
	check_recv_zc(_metadata, 7, 0, 0, 0);
	check_recv_zc(_metadata, 12, 1, 65536, 0);
	check_recv_zc(_metadata, 3, 0xdeadbeef, 1, IORING_RECVSEND_POLL_FIRST);
}

/* The refill ring in memory of ours. */

FIXTURE(rq) {
	struct fake f;
	struct io_uring_zcrx_rqe snap[FAKE_ENTRIES];
	__u32 snap_tail;
};

FIXTURE_SETUP(rq)
{
	ASSERT_EQ(0, fake_init(&self->f, FAKE_ENTRIES));
}

FIXTURE_TEARDOWN(rq)
{
	fake_free(&self->f);
}

/* remember the ring, to check later that nothing was queued */
static void snap(FIXTURE_DATA(rq) *self)
{
	memcpy(self->snap, self->f.zc.rq.rqes, sizeof(self->snap));
	self->snap_tail = self->f.zc.rq.rq_tail;
}

static int unchanged(FIXTURE_DATA(rq) *self)
{
	return !memcmp(self->snap, self->f.zc.rq.rqes, sizeof(self->snap)) &&
	       self->f.zc.rq.rq_tail == self->snap_tail &&
	       ktail(&self->f) == self->snap_tail;
}

TEST_F(rq, space)
{
	struct fake *f = &self->f;

	fake_at(f, 0, 0);
	EXPECT_EQ(FAKE_ENTRIES, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, 0, 3);
	EXPECT_EQ(FAKE_ENTRIES - 3, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, 100, 108);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));

	/* right before and after the index wraps */
	fake_at(f, UINT32_MAX - 7, UINT32_MAX);
	EXPECT_EQ(1U, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, UINT32_MAX - 7, 0);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, UINT32_MAX, 0);
	EXPECT_EQ(FAKE_ENTRIES - 1, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, UINT32_MAX - 2, 2);
	EXPECT_EQ(FAKE_ENTRIES - 5, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, 0, 0);
	*f->zc.rq.khead = 0;
	f->zc.rq.rq_tail = UINT32_MAX;		/* private tail counts */
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, space_nonsense_head)
{
	struct fake *f = &self->f;
	struct cqe32 c;

	/* head ahead of the tail */
	fake_at(f, 5, 4);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, 1, UINT32_MAX);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, 0x80000000U, 0);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	/* further behind than the ring is long */
	fake_at(f, 0, FAKE_ENTRIES + 1);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	fake_at(f, UINT32_MAX - FAKE_ENTRIES, 0);
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	/* and nothing can be queued then */
	fake_at(f, 5, 4);
	snap(self);
	EXPECT_NE(0, io_uring_zcrx_return(&f->zc, mkcqe(&c, 10, TOKEN | PAGE)));
	EXPECT_TRUE(unchanged(self));
}

TEST_F(rq, return_encodes)
{
	struct fake *f = &self->f;
	struct io_uring_zcrx_rqe *rqe;
	struct cqe32 c;

	fake_at(f, 40, 40);
	ASSERT_EQ(0, io_uring_zcrx_return(&f->zc,
					  mkcqe(&c, 1500, TOKEN | (3 * PAGE + 64))));
	rqe = rqe_at(f, 40);
	EXPECT_EQ(TOKEN | (3 * PAGE + 64), rqe->off);
	EXPECT_EQ(1500U, rqe->len);
	EXPECT_EQ(0U, rqe->__pad);
	EXPECT_EQ(41U, f->zc.rq.rq_tail);
	EXPECT_EQ(41U, ktail(f));
	EXPECT_EQ(40U, *f->zc.rq.khead);	/* the kernel's, never ours */

	/* a completion of another area is refused, nothing is queued */
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return(&f->zc,
						mkcqe(&c, 7, OTHER_TOKEN | PAGE)));
	EXPECT_EQ(41U, f->zc.rq.rq_tail);
	EXPECT_EQ(41U, ktail(f));
	/* nor one that carries no data */
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return(&f->zc,
						mkcqe(&c, 0, TOKEN | PAGE)));
	EXPECT_EQ(41U, ktail(f));
}

TEST_F(rq, return_rejects_no_data)
{
	struct fake *f = &self->f;
	struct cqe32 c;

	fake_at(f, 0, 0);
	snap(self);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return(&f->zc, mkcqe(&c, 0, TOKEN)));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return(&f->zc,
						mkcqe(&c, -ENOMEM, TOKEN)));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return(&f->zc,
						mkcqe(&c, INT_MIN, TOKEN)));
	EXPECT_TRUE(unchanged(self));
}

TEST_F(rq, return_wraps)
{
	struct fake *f = &self->f;
	__u32 start = UINT32_MAX - 2, i;
	struct cqe32 c;

	fake_at(f, start, start);
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, io_uring_zcrx_return(&f->zc,
				mkcqe(&c, 100 + i, TOKEN | (i * PAGE))));
		EXPECT_EQ(start + i + 1, ktail(f));
		EXPECT_EQ(f->zc.rq.rq_tail, ktail(f));
	}
	EXPECT_EQ(2U, f->zc.rq.rq_tail);
	EXPECT_EQ(FAKE_ENTRIES - 5, io_uring_zcrx_rq_space(&f->zc));
	/* slots 5, 6, 7, 0, 1 */
	for (i = 0; i < 5; i++) {
		struct io_uring_zcrx_rqe *rqe = &f->zc.rq.rqes[(5 + i) % 8];

		EXPECT_EQ(TOKEN | (i * PAGE), rqe->off);
		EXPECT_EQ(100 + i, rqe->len);
		EXPECT_EQ(0U, rqe->__pad);
	}
	/* slots 2, 3, 4 are untouched */
	for (i = 2; i < 5; i++)
		EXPECT_EQ(0xa5a5a5a5U, f->zc.rq.rqes[i].len);

	/* the kernel consumes across the wrap */
	*f->zc.rq.khead = 1;
	EXPECT_EQ(FAKE_ENTRIES - 1, io_uring_zcrx_rq_space(&f->zc));
	*f->zc.rq.khead = 2;
	EXPECT_EQ(FAKE_ENTRIES, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, return_fills_ring_to_the_last_slot)
{
	struct fake *f = &self->f;
	struct cqe32 c;
	unsigned int i;

	fake_at(f, UINT32_MAX - 3, UINT32_MAX - 3);
	for (i = 0; i < FAKE_ENTRIES; i++)
		ASSERT_EQ(0, io_uring_zcrx_return(&f->zc,
				mkcqe(&c, 1, TOKEN | (i * PAGE))));
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
	EXPECT_EQ((__u32)(UINT32_MAX - 3 + FAKE_ENTRIES), ktail(f));
	for (i = 0; i < FAKE_ENTRIES; i++)
		EXPECT_EQ(TOKEN | (i * PAGE),
			  rqe_at(f, UINT32_MAX - 3 + i)->off);
}

/* a full ring whose flush fails in the kernel: ring fd -1 */
TEST_F(rq, return_full_flush_fails)
{
	struct fake *f = &self->f;
	struct cqe32 c;
	int ret, flush;

	fake_at(f, UINT32_MAX - 1, UINT32_MAX - 1 + FAKE_ENTRIES);
	snap(self);
	flush = io_uring_zcrx_flush_rq(&f->zc);
	ASSERT_LT(flush, 0);
	ret = io_uring_zcrx_return(&f->zc, mkcqe(&c, 10, TOKEN));
	EXPECT_EQ(flush, ret);
	EXPECT_TRUE(unchanged(self));
}

/* the same with a kernel of ours that reports an error */
TEST_F(rq, return_full_flush_error)
{
	struct fake *f = &self->f;
	struct cqe32 c;

	fake_at(f, 0, FAKE_ENTRIES);
	snap(self);
	fk.active = 1;
	fk.err = EOWNERDEAD;
	EXPECT_EQ(-EOWNERDEAD, io_uring_zcrx_return(&f->zc, mkcqe(&c, 10, TOKEN)));
	EXPECT_EQ(1, fk.calls);
	EXPECT_TRUE(unchanged(self));
}

/* a kernel that consumes nothing: -ENOSPC, the caller keeps the buffer */
TEST_F(rq, return_full_stays_full)
{
	struct fake *f = &self->f;
	struct cqe32 c;

	fake_at(f, 0, FAKE_ENTRIES);
	snap(self);
	fk.active = 1;
	EXPECT_EQ(-ENOSPC, io_uring_zcrx_return(&f->zc, mkcqe(&c, 10, TOKEN)));
	EXPECT_EQ(1, fk.calls);
	EXPECT_TRUE(unchanged(self));
}

/* a kernel that consumes the ring when asked: the entry goes in */
TEST_F(rq, return_full_flush_makes_room)
{
	struct fake *f = &self->f;
	struct cqe32 c;

	fake_at(f, 10, 10 + FAKE_ENTRIES);
	f->ring.ring_fd = 1234;
	fk.active = 1;
	fk.consume = 1;
	ASSERT_EQ(0, io_uring_zcrx_return(&f->zc,
					  mkcqe(&c, 99, TOKEN | (2 * PAGE))));
	EXPECT_EQ(1, fk.calls);
	EXPECT_EQ(1234L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
	EXPECT_EQ(0L, fk.nr_args);
	EXPECT_EQ(FAKE_ID, fk.ctrl.zcrx_id);
	EXPECT_EQ((__u32)ZCRX_CTRL_FLUSH_RQ, fk.ctrl.op);
	EXPECT_EQ(11U + FAKE_ENTRIES, ktail(f));
	EXPECT_EQ(TOKEN | (2 * PAGE), rqe_at(f, 10 + FAKE_ENTRIES)->off);
	EXPECT_EQ(99U, rqe_at(f, 10 + FAKE_ENTRIES)->len);
	EXPECT_EQ(FAKE_ENTRIES - 1, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, flush_ctrl)
{
	struct fake *f = &self->f;
	__u64 zero[6] = { 0 };

	f->ring.ring_fd = 77;
	fk.active = 1;
	memset(&fk.ctrl, 0xff, sizeof(fk.ctrl));
	EXPECT_EQ(0, io_uring_zcrx_flush_rq(&f->zc));
	EXPECT_EQ(1, fk.calls);
	EXPECT_EQ(77L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
	EXPECT_EQ(0L, fk.nr_args);
	EXPECT_EQ(FAKE_ID, fk.ctrl.zcrx_id);
	EXPECT_EQ((__u32)ZCRX_CTRL_FLUSH_RQ, fk.ctrl.op);
	EXPECT_EQ(0ULL, (unsigned long long)(fk.ctrl.__resv[0] | fk.ctrl.__resv[1]));
	EXPECT_EQ(0, memcmp(zero, fk.ctrl.zc_flush.__resv, sizeof(zero)));

	fk.err = EPERM;
	EXPECT_EQ(-EPERM, io_uring_zcrx_flush_rq(&f->zc));
}

/* ZCRX_CTRL_EXPORT and ZCRX_CTRL_ARM_EVENT as they go to the kernel. */
TEST_F(rq, export_ctrl)
{
	struct fake *f = &self->f;

	f->ring.ring_fd = 321;
	fk.active = 1;
	fk.export_fd = 12;
	EXPECT_EQ(12, io_uring_zcrx_export(&f->zc));
	EXPECT_EQ(1, fk.calls);
	EXPECT_EQ(321L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
	EXPECT_EQ(0L, fk.nr_args);
	EXPECT_EQ(FAKE_ID, fk.ctrl.zcrx_id);
	EXPECT_EQ((__u32)ZCRX_CTRL_EXPORT, fk.ctrl.op);
	EXPECT_TRUE(is_zero(fk.ctrl.__resv, sizeof(fk.ctrl.__resv)));
	EXPECT_TRUE(is_zero(&fk.ctrl.zc_export, sizeof(fk.ctrl.zc_export)));

	/* a kernel without export; the library's own refusals */
	fk.err = EOPNOTSUPP;
	EXPECT_EQ(-EOPNOTSUPP, io_uring_zcrx_export(&f->zc));
	fk.err = 0;
	fk.calls = 0;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_export(NULL));
	EXPECT_EQ(0, fk.calls);
}

TEST_F(rq, arm_event_ctrl)
{
	struct fake *f = &self->f;
	struct zcrx_ctrl want;
	__u32 type;

	f->ring.ring_fd = 321;
	fk.active = 1;
	for (type = 0; type < 32; type += 31) {
		fk.calls = 0;
		EXPECT_EQ(0, io_uring_zcrx_arm_event(&f->zc, type));
		EXPECT_EQ(1, fk.calls);
		EXPECT_EQ(321L, fk.fd);
		EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
		EXPECT_EQ(0L, fk.nr_args);
		/* byte for byte: id, op 2, the type at 24, zeros elsewhere */
		memset(&want, 0, sizeof(want));
		want.zcrx_id = FAKE_ID;
		want.op = 2;
		memcpy((char *)&want + 24, &type, sizeof(type));
		EXPECT_EQ(0, memcmp(&want, &fk.ctrl, sizeof(want)))
			TH_LOG("event type %u", type);
#if LIBURING_ZC_CTRL_ARM_EVENT
		EXPECT_EQ(type, fk.ctrl.zc_arm_event.event_type);
#endif
	}

	fk.err = EOPNOTSUPP;
	EXPECT_EQ(-EOPNOTSUPP, io_uring_zcrx_arm_event(&f->zc, ZCRX_EVENT_COPY));
	fk.err = 0;
	fk.calls = 0;
	/* a type that no event mask can hold; no context */
	EXPECT_EQ(-EINVAL, io_uring_zcrx_arm_event(&f->zc, 32));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_arm_event(&f->zc, UINT32_MAX));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_arm_event(NULL, 0));
	EXPECT_EQ(0, fk.calls);
}

TEST_F(rq, wait_space)
{
	struct fake *f = &self->f;

	fk.active = 1;
	fake_at(f, 0, 3);
	EXPECT_EQ(-EINVAL, __io_uring_zcrx_rq_wait_space(&f->zc, FAKE_ENTRIES + 1));
	EXPECT_EQ(0, fk.calls);
	EXPECT_EQ(0, __io_uring_zcrx_rq_wait_space(&f->zc, FAKE_ENTRIES - 3));
	EXPECT_EQ(0, fk.calls);
	EXPECT_EQ(-ENOSPC, __io_uring_zcrx_rq_wait_space(&f->zc, FAKE_ENTRIES - 2));
	EXPECT_EQ(1, fk.calls);
	fk.consume = 1;
	EXPECT_EQ(0, __io_uring_zcrx_rq_wait_space(&f->zc, FAKE_ENTRIES));
	EXPECT_EQ(2, fk.calls);
	EXPECT_EQ(3U, *f->zc.rq.khead);
}

TEST_F(rq, get_buf)
{
	struct fake *f = &self->f;
	struct iovec iov;
	struct cqe32 c;

	ASSERT_EQ(0, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, 1000, TOKEN | (2 * PAGE + 10)), &iov));
	EXPECT_EQ((uintptr_t)(f->area + 2 * PAGE + 10), (uintptr_t)iov.iov_base);
	EXPECT_EQ((size_t)1000, iov.iov_len);

	ASSERT_EQ(0, io_uring_zcrx_get_buf(&f->zc, mkcqe(&c, 1, TOKEN), &iov));
	EXPECT_EQ((uintptr_t)f->area, (uintptr_t)iov.iov_base);
	EXPECT_EQ((size_t)1, iov.iov_len);

	/* the last byte, and a piece ending exactly at the end */
	ASSERT_EQ(0, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, 1, TOKEN | (FAKE_AREA - 1)), &iov));
	EXPECT_EQ((uintptr_t)(f->area + FAKE_AREA - 1), (uintptr_t)iov.iov_base);
	ASSERT_EQ(0, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, PAGE, TOKEN | (FAKE_AREA - PAGE)), &iov));
	EXPECT_EQ((size_t)PAGE, iov.iov_len);
}

TEST_F(rq, get_buf_rejects)
{
	struct fake *f = &self->f;
	struct iovec iov = { (void *)0x1, 7 };
	struct cqe32 c;

	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc, mkcqe(&c, 0, TOKEN), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc, mkcqe(&c, -EIO, TOKEN), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, 100, OTHER_TOKEN | PAGE), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc, mkcqe(&c, 100, PAGE), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, 1, TOKEN | FAKE_AREA), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, 1, TOKEN | ~IORING_ZCRX_AREA_MASK), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, PAGE + 1, TOKEN | (FAKE_AREA - PAGE)), &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&f->zc,
			mkcqe(&c, INT_MAX, TOKEN | PAGE), &iov));
	/* iov is left alone */
	EXPECT_EQ((uintptr_t)1, (uintptr_t)iov.iov_base);
	EXPECT_EQ((size_t)7, iov.iov_len);
}

/* Batches. */

#define NB	5

struct batch {
	struct cqe32 c[FAKE_ENTRIES + 1];
	struct io_uring_cqe *p[FAKE_ENTRIES + 1];
};

static void mkbatch(struct batch *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		b->p[i] = mkcqe(&b->c[i], 200 + i, TOKEN | (i * PAGE + i));
}

TEST_F(rq, batch_queues)
{
	struct fake *f = &self->f;
	__u32 start = UINT32_MAX - 1, i;
	struct batch b;

	mkbatch(&b, NB);
	fake_at(f, start, start);
	fk.active = 1;
	ASSERT_EQ(0, io_uring_zcrx_return_batch(&f->zc, b.p, NB));
	EXPECT_EQ(0, fk.calls);
	EXPECT_EQ(start + NB, f->zc.rq.rq_tail);
	EXPECT_EQ(start + NB, ktail(f));
	for (i = 0; i < NB; i++) {
		struct io_uring_zcrx_rqe *rqe = rqe_at(f, start + i);

		EXPECT_EQ(TOKEN | (i * PAGE + i), rqe->off);
		EXPECT_EQ(200 + i, rqe->len);
		EXPECT_EQ(0U, rqe->__pad);
	}
	EXPECT_EQ(FAKE_ENTRIES - NB, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, batch_fills_empty_ring)
{
	struct fake *f = &self->f;
	struct batch b;

	mkbatch(&b, FAKE_ENTRIES);
	fake_at(f, 3, 3);
	ASSERT_EQ(0, io_uring_zcrx_return_batch(&f->zc, b.p, FAKE_ENTRIES));
	EXPECT_EQ(3U + FAKE_ENTRIES, ktail(f));
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, batch_empty)
{
	struct fake *f = &self->f;
	struct batch b;

	fake_at(f, 2, 4);
	snap(self);
	EXPECT_EQ(0, io_uring_zcrx_return_batch(&f->zc, b.p, 0));
	EXPECT_EQ(0, io_uring_zcrx_return_batch(&f->zc, NULL, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(&f->zc, NULL, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(NULL, b.p, 0));
	EXPECT_TRUE(unchanged(self));
}

/*
 * One store to the shared tail per batch: a hardware watchpoint on it
 * counts the writes.  Skipped where perf breakpoints are not available.
 */
static int watch_open(void *addr)
{
	struct perf_event_attr pe;

	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_BREAKPOINT;
	pe.size = sizeof(pe);
	pe.bp_type = HW_BREAKPOINT_W;
	pe.bp_addr = (uintptr_t)addr;
	pe.bp_len = HW_BREAKPOINT_LEN_4;
	pe.disabled = 1;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	return (int)syscall(__NR_perf_event_open, &pe, 0, -1, -1, 0);
}

static long long watch_count(int fd)
{
	long long n = -1;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return -1;
	return n;
}

TEST_F(rq, batch_one_tail_store)
{
	struct fake *f = &self->f;
	struct cqe32 c;
	struct batch b;
	int wfd;

	mkbatch(&b, NB);
	fake_at(f, 0, 0);
	wfd = watch_open(f->zc.rq.ktail);
	if (wfd < 0)
		SKIP(return, "no hardware watchpoint: %s", strerror(errno));

	/* the watchpoint counts stores: two of ours */
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_RESET, 0));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_ENABLE, 0));
	*(volatile __u32 *)f->zc.rq.ktail = 0;
	*(volatile __u32 *)f->zc.rq.ktail = 0;
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_DISABLE, 0));
	if (watch_count(wfd) != 2) {
		close(wfd);
		SKIP(return, "the watchpoint does not count stores");
	}

	/* one per single return */
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_RESET, 0));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_ENABLE, 0));
	ASSERT_EQ(0, io_uring_zcrx_return(&f->zc, mkcqe(&c, 1, TOKEN)));
	ASSERT_EQ(0, io_uring_zcrx_return(&f->zc, mkcqe(&c, 1, TOKEN)));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_DISABLE, 0));
	EXPECT_EQ(2LL, watch_count(wfd));

	/* one per batch */
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_RESET, 0));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_ENABLE, 0));
	ASSERT_EQ(0, io_uring_zcrx_return_batch(&f->zc, b.p, NB));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_DISABLE, 0));
	EXPECT_EQ(1LL, watch_count(wfd));
	EXPECT_EQ(2U + NB, ktail(f));

	/* and a refused batch stores nothing */
	b.p[2] = mkcqe(&b.c[2], 0, TOKEN);
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_RESET, 0));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_ENABLE, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(&f->zc, b.p, NB));
	ASSERT_EQ(0, ioctl(wfd, PERF_EVENT_IOC_DISABLE, 0));
	EXPECT_EQ(0LL, watch_count(wfd));
	close(wfd);
}

/* one bad completion anywhere refuses the whole batch */
static void batch_bad_at(struct __test_metadata *_metadata,
			 FIXTURE_DATA(rq) *self, unsigned int at, int res,
			 __u64 off, int null)
{
	struct fake *f = &self->f;
	struct batch b;

	mkbatch(&b, NB);
	if (null)
		b.p[at] = NULL;
	else
		b.p[at] = mkcqe(&b.c[at], res, off);
	fake_at(f, UINT32_MAX - 2, UINT32_MAX - 2);
	snap(self);
	fk.active = 1;
	fk.consume = 1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(&f->zc, b.p, NB));
	EXPECT_EQ(0, fk.calls);
	EXPECT_TRUE(unchanged(self));
	EXPECT_EQ(FAKE_ENTRIES, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, batch_invalid_in_the_middle)
{
	batch_bad_at(_metadata, self, 2, 0, TOKEN, 0);
	batch_bad_at(_metadata, self, 2, -ENOBUFS, TOKEN, 0);
	batch_bad_at(_metadata, self, 2, 10, OTHER_TOKEN | PAGE, 0);
	batch_bad_at(_metadata, self, 2, 10, TOKEN | FAKE_AREA, 0);
	batch_bad_at(_metadata, self, 2, PAGE + 1, TOKEN | (FAKE_AREA - PAGE), 0);
	batch_bad_at(_metadata, self, 2, 0, 0, 1);
	batch_bad_at(_metadata, self, 0, 0, TOKEN, 0);
	batch_bad_at(_metadata, self, NB - 1, 10, OTHER_TOKEN, 0);
}

TEST_F(rq, batch_full_flush_fails)
{
	struct fake *f = &self->f;
	struct batch b;

	mkbatch(&b, 3);
	fake_at(f, UINT32_MAX - 2, UINT32_MAX - 2 + FAKE_ENTRIES - 2);
	snap(self);
	EXPECT_LT(io_uring_zcrx_return_batch(&f->zc, b.p, 3), 0);
	EXPECT_TRUE(unchanged(self));
}

TEST_F(rq, batch_all_or_nothing)
{
	struct fake *f = &self->f;
	struct batch b;

	/* room for 2 of 3: none goes in */
	mkbatch(&b, 3);
	fake_at(f, UINT32_MAX - 2, UINT32_MAX - 2 + FAKE_ENTRIES - 2);
	snap(self);
	fk.active = 1;
	EXPECT_EQ(-ENOSPC, io_uring_zcrx_return_batch(&f->zc, b.p, 3));
	EXPECT_EQ(1, fk.calls);
	EXPECT_TRUE(unchanged(self));

	fk.err = EBADF;
	EXPECT_EQ(-EBADF, io_uring_zcrx_return_batch(&f->zc, b.p, 3));
	EXPECT_TRUE(unchanged(self));

	/* the kernel makes room: all three go in, in order */
	fk.err = 0;
	fk.consume = 1;
	ASSERT_EQ(0, io_uring_zcrx_return_batch(&f->zc, b.p, 3));
	EXPECT_EQ(self->snap_tail + 3, ktail(f));
	EXPECT_EQ(TOKEN, rqe_at(f, self->snap_tail)->off);
	EXPECT_EQ(TOKEN | (PAGE + 1), rqe_at(f, self->snap_tail + 1)->off);
	EXPECT_EQ(TOKEN | (2 * PAGE + 2), rqe_at(f, self->snap_tail + 2)->off);
	EXPECT_EQ(FAKE_ENTRIES - 3, io_uring_zcrx_rq_space(&f->zc));
}

TEST_F(rq, batch_larger_than_ring)
{
	struct fake *f = &self->f;
	struct batch b;

	mkbatch(&b, FAKE_ENTRIES + 1);
	fake_at(f, 0, 0);
	snap(self);
	fk.active = 1;
	fk.consume = 1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(&f->zc, b.p,
						      FAKE_ENTRIES + 1));
	EXPECT_EQ(0, fk.calls);
	EXPECT_TRUE(unchanged(self));
}

/* By address. */

TEST_F(rq, iov_queues)
{
	struct fake *f = &self->f;
	struct iovec iov[3] = {
		{ f->area, 1 },
		{ f->area + 5 * PAGE + 100, 300 },
		{ f->area + FAKE_AREA - PAGE, PAGE },
	};
	struct io_uring_cqe *cqe;
	struct iovec v;
	struct cqe32 c;

	fake_at(f, UINT32_MAX, UINT32_MAX);
	ASSERT_EQ(0, io_uring_zcrx_return_iov(&f->zc, iov, 3));
	EXPECT_EQ(2U, ktail(f));
	EXPECT_EQ(2U, f->zc.rq.rq_tail);
	EXPECT_EQ(TOKEN, rqe_at(f, UINT32_MAX)->off);
	EXPECT_EQ(1U, rqe_at(f, UINT32_MAX)->len);
	EXPECT_EQ(TOKEN | (5 * PAGE + 100), rqe_at(f, 0)->off);
	EXPECT_EQ(300U, rqe_at(f, 0)->len);
	EXPECT_EQ(TOKEN | (FAKE_AREA - PAGE), rqe_at(f, 1)->off);
	EXPECT_EQ((__u32)PAGE, rqe_at(f, 1)->len);
	EXPECT_EQ(0U, rqe_at(f, 0)->__pad | rqe_at(f, 1)->__pad |
		      rqe_at(f, UINT32_MAX)->__pad);

	/* what get_buf() gives, return_iov() takes back to the same entry */
	cqe = mkcqe(&c, 777, TOKEN | (9 * PAGE + 3));
	ASSERT_EQ(0, io_uring_zcrx_get_buf(&f->zc, cqe, &v));
	ASSERT_EQ(0, io_uring_zcrx_return_iov(&f->zc, &v, 1));
	EXPECT_EQ(io_uring_zcrx_cqe(cqe)->off, rqe_at(f, 2)->off);
	EXPECT_EQ(777U, rqe_at(f, 2)->len);
}

static void iov_bad(struct __test_metadata *_metadata, FIXTURE_DATA(rq) *self,
		    void *base, size_t len)
{
	struct fake *f = &self->f;
	struct iovec iov[3] = {
		{ f->area, 10 },
		{ base, len },
		{ f->area + PAGE, 10 },
	};

	fake_at(f, 7, 7);
	snap(self);
	fk.active = 1;
	fk.consume = 1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_iov(&f->zc, iov, 3));
	EXPECT_EQ(0, fk.calls);
	EXPECT_TRUE(unchanged(self));
}

TEST_F(rq, iov_rejects)
{
	struct fake *f = &self->f;
	char *a = f->area;

	iov_bad(_metadata, self, a - 1, 1);
	iov_bad(_metadata, self, a - PAGE, 2 * PAGE);
	iov_bad(_metadata, self, a + FAKE_AREA, 1);
	iov_bad(_metadata, self, a + 100 * FAKE_AREA, 1);
	iov_bad(_metadata, self, NULL, 1);
	iov_bad(_metadata, self, a, 0);
	iov_bad(_metadata, self, a + PAGE, 0);
	iov_bad(_metadata, self, a + FAKE_AREA - 1, 2);
	iov_bad(_metadata, self, a, FAKE_AREA + 1);
	iov_bad(_metadata, self, a + 1, SIZE_MAX);

	/* a piece longer than an rqe's len can say */
	f->zc.area_size = 1ULL << 33;
	iov_bad(_metadata, self, a, 1ULL << 32);
	f->zc.area_size = FAKE_AREA;

	fake_at(f, 0, 0);
	snap(self);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_iov(&f->zc, NULL, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_iov(NULL, NULL, 0));
	EXPECT_EQ(0, io_uring_zcrx_return_iov(&f->zc, NULL, 0));
	EXPECT_TRUE(unchanged(self));
}

TEST_F(rq, iov_all_or_nothing)
{
	struct fake *f = &self->f;
	struct iovec iov[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		iov[i].iov_base = f->area + i * PAGE;
		iov[i].iov_len = 50 + i;
	}
	fake_at(f, 0, FAKE_ENTRIES - 3);
	snap(self);
	EXPECT_LT(io_uring_zcrx_return_iov(&f->zc, iov, 4), 0);
	EXPECT_TRUE(unchanged(self));

	fk.active = 1;
	EXPECT_EQ(-ENOSPC, io_uring_zcrx_return_iov(&f->zc, iov, 4));
	EXPECT_TRUE(unchanged(self));

	EXPECT_EQ(0, io_uring_zcrx_return_iov(&f->zc, iov, 3));
	EXPECT_EQ((__u32)FAKE_ENTRIES, ktail(f));

	fk.consume = 1;
	ASSERT_EQ(0, io_uring_zcrx_return_iov(&f->zc, iov, 4));
	EXPECT_EQ(FAKE_ENTRIES + 4U, ktail(f));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(TOKEN | (i * PAGE), rqe_at(f, FAKE_ENTRIES + i)->off);
		EXPECT_EQ(50 + i, rqe_at(f, FAKE_ENTRIES + i)->len);
	}
}

TEST_F(rq, iov_larger_than_ring)
{
	struct fake *f = &self->f;
	struct iovec iov[FAKE_ENTRIES + 1];
	unsigned int i;

	for (i = 0; i <= FAKE_ENTRIES; i++) {
		iov[i].iov_base = f->area + i * PAGE;
		iov[i].iov_len = PAGE;
	}
	fake_at(f, 0, 0);
	snap(self);
	fk.active = 1;
	fk.consume = 1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_iov(&f->zc, iov, FAKE_ENTRIES + 1));
	EXPECT_EQ(0, fk.calls);
	EXPECT_TRUE(unchanged(self));
	ASSERT_EQ(0, io_uring_zcrx_return_iov(&f->zc, iov, FAKE_ENTRIES));
	EXPECT_EQ(0U, io_uring_zcrx_rq_space(&f->zc));
}

/* A context that is not set up. */

TEST(zeroed_context)
{
	struct io_uring_zcrx zc;
	struct cqe32 c;
	struct io_uring_cqe *p = mkcqe(&c, 1, 0);
	struct iovec iov = { &c, 1 };

	memset(&zc, 0, sizeof(zc));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_teardown(&zc));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_teardown(NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_flush_rq(&zc));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_flush_rq(NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_batch(&zc, &p, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_return_iov(&zc, &iov, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_get_buf(&zc, p, &iov));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_export(&zc));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_arm_event(&zc, 0));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&zc, 0));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(NULL, 0));
}

/*
 * The registration calls, with a kernel of ours (those the system's
 * liburing has are its own business).
 */
TEST(register_calls)
{
	struct io_uring ring;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_query_hdr hdr;
	struct zcrx_ctrl ctrl;

	memset(&fk, 0, sizeof(fk));
	memset(&ring, 0, sizeof(ring));
	memset(&reg, 0, sizeof(reg));
	memset(&hdr, 0, sizeof(hdr));
	memset(&ctrl, 0, sizeof(ctrl));
	ring.ring_fd = 42;
	fk.active = 1;
	fk.raw = 1;

#if !LIBURING_ZC_HAVE_FN_REGISTER_IFQ
	EXPECT_EQ(0, io_uring_register_ifq(&ring, &reg));
	EXPECT_EQ(42L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_IFQ, fk.op);
	EXPECT_EQ((uintptr_t)&reg, (uintptr_t)fk.arg);
	EXPECT_EQ(1L, fk.nr_args);
	fk.err = ENODEV;
	EXPECT_EQ(-ENODEV, io_uring_register_ifq(&ring, &reg));
	fk.err = 0;
#endif
#if !LIBURING_ZC_HAVE_FN_REGISTER_ZCRX_CTRL
	ctrl.zcrx_id = 9;
	ctrl.op = ZCRX_CTRL_EXPORT;
	EXPECT_EQ(0, io_uring_register_zcrx_ctrl(&ring, &ctrl));
	EXPECT_EQ(42L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
	EXPECT_EQ(0L, fk.nr_args);
	EXPECT_EQ(9U, fk.ctrl.zcrx_id);
	EXPECT_EQ((__u32)ZCRX_CTRL_EXPORT, fk.ctrl.op);
	fk.err = EINVAL;
	EXPECT_EQ(-EINVAL, io_uring_register_zcrx_ctrl(&ring, &ctrl));
	fk.err = 0;
#endif
#if !LIBURING_ZC_HAVE_FN_REGISTER_QUERY
	EXPECT_EQ(0, io_uring_register_query(&hdr));
	EXPECT_EQ(-1L, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_QUERY, fk.op);
	EXPECT_EQ((uintptr_t)&hdr, (uintptr_t)fk.arg);
	EXPECT_EQ(0L, fk.nr_args);
	fk.err = EOPNOTSUPP;
	EXPECT_EQ(-EOPNOTSUPP, io_uring_register_query(&hdr));
#endif
	memset(&fk, 0, sizeof(fk));
}

/* Does the kernel have zero-copy receive: the decision. */

TEST(probe_result)
{
	struct io_uring_probe *p;

	EXPECT_EQ(-EOPNOTSUPP, zc_probe_result(NULL));

	/* Linux 6.12 without the series ends at IORING_OP_LISTEN */
	p = mkprobe(57, 0);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EOPNOTSUPP, zc_probe_result(p));
	free(p);

	p = mkprobe(58, 0);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EOPNOTSUPP, zc_probe_result(p));
	free(p);

	p = mkprobe(60, 0);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EOPNOTSUPP, zc_probe_result(p));
	free(p);

	p = mkprobe(58, IO_URING_OP_SUPPORTED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, zc_probe_result(p));
	free(p);

	p = mkprobe(70, IO_URING_OP_SUPPORTED);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, zc_probe_result(p));
	free(p);
}

TEST(sizing)
{
	unsigned int n;
	size_t s;

	EXPECT_EQ(1U, zc_rq_entries(0));
	EXPECT_EQ(1U, zc_rq_entries(1));
	EXPECT_EQ(2U, zc_rq_entries(2));
	EXPECT_EQ(4U, zc_rq_entries(3));
	EXPECT_EQ(4096U, zc_rq_entries(4096));
	EXPECT_EQ(8192U, zc_rq_entries(4097));
	EXPECT_EQ(32768U, zc_rq_entries(32768));
	EXPECT_EQ(32768U, zc_rq_entries(32769));
	EXPECT_EQ(32768U, zc_rq_entries(1ULL << 40));
	EXPECT_EQ(32768U, zc_rq_entries(UINT64_MAX));
	EXPECT_EQ(ZC_RQ_MAX_ENTRIES, 32768U);

	EXPECT_EQ((size_t)8192, zc_region_size(1, 4096));
	EXPECT_EQ((size_t)8192, zc_region_size(256, 4096));
	EXPECT_EQ((size_t)12288, zc_region_size(257, 4096));
	EXPECT_EQ((size_t)(4096 + 32768 * 16), zc_region_size(32768, 4096));
	EXPECT_EQ((size_t)(65536 * 2), zc_region_size(4096, 65536));
	/* the header page plus every entry always fit */
	for (n = 1; n <= 32768; n <<= 1) {
		s = zc_region_size(n, PAGE);
		EXPECT_EQ((size_t)0, s % PAGE);
		EXPECT_GE(s, PAGE + n * sizeof(struct io_uring_zcrx_rqe));
		EXPECT_LT(s, 2 * PAGE + n * sizeof(struct io_uring_zcrx_rqe));
	}
}

/* io_uring_zcrx_setup()'s checks, before any system call. */

static void fill(struct io_uring_zcrx *zc)
{
	memset(zc, 0xa5, sizeof(*zc));
}

/*
 * A ring with the set-up flags but fd -1: parameters that pass the checks
 * reach the kernel probe, which fails (-EOPNOTSUPP), so -EINVAL tells a
 * refusal by the checks.
 */
static void fake_ring(struct io_uring *ring)
{
	memset(ring, 0, sizeof(*ring));
	ring->ring_fd = -1;
	ring->enter_ring_fd = -1;
	ring->flags = IO_URING_ZCRX_SETUP_FLAGS;
}

static int setup_with(struct io_uring *ring, struct io_uring_zcrx *zc,
		      const struct io_uring_zcrx_params *p)
{
	fill(zc);
	return io_uring_zcrx_setup(ring, zc, p);
}

TEST(setup_null_args)
{
	struct io_uring_zcrx_params p;
	struct io_uring_zcrx zc;
	struct io_uring ring;

	fake_ring(&ring);
	memset(&p, 0, sizeof(p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_setup(NULL, &zc, &p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_setup(&ring, NULL, &p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_setup(&ring, &zc, NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_setup(NULL, NULL, NULL));
}

/*
 * "On failure ... @zc is zeroed": also when the ring or the parameters
 * are missing, so that a caller may always tear a failed context down.
 */
TEST(setup_null_args_zero_ctx)
{
	struct io_uring_zcrx_params p;
	struct io_uring_zcrx zc;
	struct io_uring ring;

	fake_ring(&ring);
	memset(&p, 0, sizeof(p));
	EXPECT_EQ(-EINVAL, setup_with(NULL, &zc, &p));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)))
		TH_LOG("ring NULL: the context is left as it was");
	EXPECT_EQ(-EINVAL, setup_with(&ring, &zc, NULL));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)))
		TH_LOG("params NULL: the context is left as it was");
}

TEST(setup_bad_params)
{
	struct zcrx_event_desc ev = { 0 };
	struct io_uring_zcrx_params p, good;
	struct io_uring_zcrx zc;
	struct io_uring ring, plain;
	void *area;
	unsigned int i;

	area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	fake_ring(&ring);
	memset(&good, 0, sizeof(good));
	good.if_idx = 1;

	/* each case, its context zeroed afterwards */
#define BAD(stmt) do {							\
		p = good;						\
		stmt;							\
		EXPECT_EQ(-EINVAL, setup_with(&ring, &zc, &p))		\
			TH_LOG("case: %s", #stmt);			\
		EXPECT_TRUE(is_zero(&zc, sizeof(zc)))			\
			TH_LOG("context not zeroed: %s", #stmt);	\
	} while (0)

	BAD(p.flags = 1);
	BAD(p.flags = 1U << 31);
	BAD(p.flags = 8);
	BAD(p.__resv1 = 1);
	/* no device: no interface, no queue */
	BAD(p.flags = IO_URING_ZCRX_NODEV);
	BAD((p.flags = IO_URING_ZCRX_NODEV, p.if_idx = 0, p.if_rxq = 1));
	BAD((p.event_desc = &ev, ev.flags = ZCRX_EVENT_DESC_FLAG_STATS,
	     ev.stats_offset = (1ULL << 24) + 8));
	BAD((p.event_desc = &ev, ev.flags = ZCRX_EVENT_DESC_FLAG_STATS,
	     ev.stats_offset = UINT64_MAX - 7));
	for (i = 0; i < ZC_ARRAY_SIZE(p.__resv); i++)
		BAD(p.__resv[i] = 1);
	BAD(p.area_type = 4);
	BAD(p.area_type = UINT32_MAX);
	BAD(p.flags = 4);
	/* dmabuf_fd is for dmabuf areas only */
	BAD(p.dmabuf_fd = 1);
	BAD(p.dmabuf_fd = -1);
	BAD((p.area_type = IO_URING_ZCRX_AREA_HUGE, p.dmabuf_fd = 3));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER, p.area_addr = area,
	     p.area_size = PAGE, p.dmabuf_fd = 3));
	/* a dmabuf has no address, and no copy can go into it */
	BAD((p.area_type = IO_URING_ZCRX_AREA_DMABUF, p.area_addr = area));
	BAD((p.area_type = IO_URING_ZCRX_AREA_DMABUF, p.if_idx = 0,
	     p.flags = IO_URING_ZCRX_NODEV));
	BAD((p.area_type = IO_URING_ZCRX_AREA_DMABUF, p.area_size = PAGE + 1));
	BAD(p.rq_type = 2);
	BAD(p.rq_type = UINT32_MAX);
	BAD(p.area_addr = area);
	BAD((p.area_type = IO_URING_ZCRX_AREA_HUGE, p.area_addr = area));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER, p.area_size = PAGE));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER, p.area_addr = area));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER,
	     p.area_addr = (char *)area + 64, p.area_size = PAGE));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER,
	     p.area_addr = (char *)area + PAGE / 2, p.area_size = 2 * PAGE));
	BAD((p.area_type = IO_URING_ZCRX_AREA_USER, p.area_addr = area,
	     p.area_size = PAGE + 1));
	BAD(p.area_size = PAGE + 1);
	BAD(p.area_size = 100);
	BAD(p.area_size = 1ULL << 63);
	BAD(p.rq_entries = 32769);
	BAD(p.rq_entries = UINT32_MAX);
	BAD(p.rx_buf_len = 1);
	BAD(p.rx_buf_len = PAGE / 2);
	BAD(p.rx_buf_len = PAGE - 1);
	BAD(p.rx_buf_len = 3 * PAGE);
	BAD(p.rx_buf_len = PAGE + 1);
	BAD(p.rx_buf_len = UINT32_MAX);

	/* a negative dmabuf fd */
	p = good;
	p.area_type = IO_URING_ZCRX_AREA_DMABUF;
	p.dmabuf_fd = -1;
	EXPECT_EQ(-EBADF, setup_with(&ring, &zc, &p));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)));

	/* rings without the set-up flags */
	memset(&plain, 0, sizeof(plain));
	plain.ring_fd = -1;
	p = good;
	EXPECT_EQ(-EINVAL, setup_with(&plain, &zc, &p));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)));
	plain.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	EXPECT_EQ(-EINVAL, setup_with(&plain, &zc, &p));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)));
	plain.flags = IORING_SETUP_CQE32 | IORING_SETUP_SINGLE_ISSUER;
	EXPECT_EQ(-EINVAL, setup_with(&plain, &zc, &p));
	EXPECT_TRUE(is_zero(&zc, sizeof(zc)));
#undef BAD
	munmap(area, 4 * PAGE);
}

/* what passes the checks goes on to ask the kernel (and fails there) */
TEST(setup_good_params_reach_the_kernel)
{
	struct zcrx_event_desc ev = { 0 };
	struct io_uring_zcrx_params p, good;
	struct io_uring_zcrx zc;
	struct io_uring ring;
	void *area;

	area = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	fake_ring(&ring);
	memset(&good, 0, sizeof(good));

#define GOOD(stmt) do {							\
		p = good;						\
		stmt;							\
		EXPECT_EQ(-EOPNOTSUPP, setup_with(&ring, &zc, &p))	\
			TH_LOG("case: %s", #stmt);			\
		EXPECT_TRUE(is_zero(&zc, sizeof(zc)));			\
	} while (0)

	GOOD((void)0);
	GOOD(p.rq_type = IO_URING_ZCRX_RQ_KERNEL);
	GOOD(p.area_type = IO_URING_ZCRX_AREA_HUGE);
	GOOD((p.area_type = IO_URING_ZCRX_AREA_USER, p.area_addr = area,
	      p.area_size = 4 * PAGE));
	GOOD(p.area_size = 2 * PAGE);
	GOOD(p.rq_entries = 32768);
	GOOD(p.rq_entries = 3);
	GOOD(p.rx_buf_len = PAGE);
	GOOD(p.rx_buf_len = 2 * PAGE);
	GOOD(p.rx_buf_len = 1U << 21);
	GOOD((p.if_idx = UINT32_MAX, p.if_rxq = UINT32_MAX));
	GOOD(ring.flags |= IORING_SETUP_CQSIZE);
	GOOD(p.flags = IO_URING_ZCRX_NODEV);
	GOOD(p.flags = IO_URING_ZCRX_BUF_FALLBACK);
	GOOD((p.flags = IO_URING_ZCRX_BUF_FALLBACK, p.rx_buf_len = 4 * PAGE));
	/* fd 0 is a file like any other */
	GOOD((p.area_type = IO_URING_ZCRX_AREA_DMABUF, p.dmabuf_fd = 0));
	GOOD((p.area_type = IO_URING_ZCRX_AREA_DMABUF, p.dmabuf_fd = 7,
	      p.area_size = 4 * PAGE));
	GOOD((p.event_desc = &ev, ev.flags = ZCRX_EVENT_DESC_FLAG_STATS,
	      ev.stats_offset = 1ULL << 24));
#undef GOOD
	munmap(area, 4 * PAGE);
}

/*
 * The whole set-up against a kernel of ours: a probe that says yes and a
 * registration that checks its input and answers as the ABI says.
 */

static int count_maps(void);
static int is_mapped(unsigned long long addr);

/* what io_uring_queue_init() says on hosts that do not allow such a ring */
static int host_lacks_rings(int ret)
{
	return ret == -EPERM || ret == -ENOSYS || ret == -EINVAL ||
	       ret == -ENOMEM || ret == -EACCES;
}

FIXTURE(setup) {
	struct io_uring ring;
	struct io_uring_zcrx zc;
	struct io_uring_zcrx_params p;
	int maps;
	int memfd;
};

FIXTURE_SETUP(setup)
{
	memset(&fk, 0, sizeof(fk));
	fake_ring(&self->ring);
	memset(&self->p, 0, sizeof(self->p));
	self->p.if_idx = 11;
	self->p.if_rxq = 2;
	self->memfd = -1;
	fk.active = 1;
	fk.probe_last_op = IORING_OP_RECV_ZC;
	self->maps = count_maps();
	ASSERT_GT(self->maps, 0);
}

FIXTURE_TEARDOWN(setup)
{
	if (self->memfd >= 0)
		close(self->memfd);
	memset(&fk, 0, sizeof(fk));
}

/* what every successful set-up has */
static void check_ctx(struct __test_metadata *_metadata,
		      FIXTURE_DATA(setup) *self)
{
	struct io_uring_zcrx *zc = &self->zc;
	char *region = zc->rq.ring_ptr;
	struct io_uring_cqe *cqe;
	struct cqe32 c;

	ASSERT_EQ(1, fk.reg_calls);
	EXPECT_EQ((long)self->ring.ring_fd, fk.fd);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_IFQ, fk.op);
	EXPECT_EQ(1L, fk.nr_args);
	EXPECT_EQ(self->p.if_idx, fk.reg.if_idx);
	EXPECT_EQ(self->p.if_rxq, fk.reg.if_rxq);
	EXPECT_EQ(self->p.rx_buf_len, fk.reg.rx_buf_len);
	EXPECT_EQ(self->p.flags & IO_URING_ZCRX_NODEV ? (__u32)ZCRX_REG_NODEV : 0U,
		  fk.reg.flags);
	EXPECT_EQ(self->p.event_desc ? 1 : 0, fk.ev_seen);
	EXPECT_EQ((uintptr_t)0, (uintptr_t)(self->p.event_desc ? 0 : fk.reg.event_desc));

	EXPECT_EQ(FK_ZCRX_ID, zc->id);
	EXPECT_EQ((uintptr_t)self->ring.ring_fd, (uintptr_t)zc->ring->ring_fd);
	EXPECT_EQ((uintptr_t)&self->ring, (uintptr_t)zc->ring);
	EXPECT_EQ(FK_AREA_ID << IORING_ZCRX_AREA_SHIFT, zc->area_token);
	EXPECT_EQ((uintptr_t)fk.area.addr, (uintptr_t)zc->area);
	EXPECT_EQ(fk.area.len, zc->area_size);
	ASSERT_NE(NULL, region);
	EXPECT_EQ((uintptr_t)region, (uintptr_t)zc->rq.khead);
	EXPECT_EQ((uintptr_t)(region + 64), (uintptr_t)zc->rq.ktail);
	EXPECT_EQ((uintptr_t)(region + FK_HDR), (uintptr_t)zc->rq.rqes);
	EXPECT_EQ(*zc->rq.ktail, zc->rq.rq_tail);
	EXPECT_EQ(0U, zc->rq.ring_entries & (zc->rq.ring_entries - 1));
	EXPECT_GE(zc->rq.ring_entries, fk.reg.rq_entries);
	EXPECT_EQ(zc->rq.ring_entries, io_uring_zcrx_rq_space(zc));
	EXPECT_GE(zc->buf_len, (__u32)PAGE);

	/* the area is ours to read and write, the refill ring takes entries */
	memset(zc->area, 0x5a, PAGE);
	zc->area[zc->area_size - 1] = 1;
	cqe = mkcqe(&c, 100, zc->area_token | (zc->area_size - zc->buf_len));
	EXPECT_EQ(0, io_uring_zcrx_return(zc, cqe));
	EXPECT_EQ(1U, *zc->rq.ktail);
	EXPECT_EQ(zc->area_token | (zc->area_size - zc->buf_len),
		  zc->rq.rqes[0].off);
	EXPECT_EQ(100U, zc->rq.rqes[0].len);
}

/* teardown leaves no mapping of the library's behind */
static void check_teardown(struct __test_metadata *_metadata,
			   FIXTURE_DATA(setup) *self)
{
	EXPECT_EQ(0, io_uring_zcrx_teardown(&self->zc));
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	EXPECT_EQ(self->maps, count_maps());
	EXPECT_EQ(-EINVAL, io_uring_zcrx_teardown(&self->zc));
}

TEST_F(setup, defaults)
{
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	/* 16 MiB of pages, one refill entry per buffer, a region in our memory */
	EXPECT_EQ(IO_URING_ZCRX_DEFAULT_AREA, fk.area.len);
	EXPECT_EQ(0ULL, (unsigned long long)(fk.area.addr & (PAGE - 1)));
	EXPECT_EQ((__u32)(IO_URING_ZCRX_DEFAULT_AREA / PAGE), fk.reg.rq_entries);
	EXPECT_EQ((__u32)IORING_MEM_REGION_TYPE_USER, fk.rd.flags);
	EXPECT_EQ((uintptr_t)self->zc.rq.ring_ptr, (uintptr_t)fk.rd.user_addr);
	EXPECT_EQ(zc_region_size(fk.reg.rq_entries, PAGE), (size_t)fk.rd.size);
	EXPECT_EQ((__u32)PAGE, self->zc.buf_len);
	/*
	 * Both are new mappings; the kernel may merge them with each other
	 * or a neighbour, so look them up rather than count lines.
	 */
	EXPECT_TRUE(is_mapped(fk.area.addr));
	EXPECT_TRUE(is_mapped((uintptr_t)self->zc.rq.ring_ptr));
	EXPECT_LE(self->maps + 1, count_maps());
	check_teardown(_metadata, self);
}

TEST_F(setup, sizes)
{
	self->p.area_size = 64 * PAGE;
	self->p.rx_buf_len = 4 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	EXPECT_EQ(64 * PAGE, fk.area.len);
	EXPECT_EQ(16U, fk.reg.rq_entries);
	EXPECT_EQ(4 * PAGE, (unsigned long)self->zc.buf_len);
	check_teardown(_metadata, self);

	self->p.area_size = 3 * PAGE;
	self->p.rx_buf_len = 0;
	self->p.rq_entries = 64;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(64U, self->zc.rq.ring_entries);
	EXPECT_EQ(3 * PAGE, (unsigned long)self->zc.area_size);
	check_teardown(_metadata, self);

	/* asked for the power of two the kernel would make of it */
	self->p.rq_entries = 3;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(4U, fk.reg.rq_entries);
	EXPECT_EQ(4U, self->zc.rq.ring_entries);
	check_teardown(_metadata, self);
}

/*
 * The kernel rounds rq_entries up to a power of two and wants the region
 * to hold that many entries; the library must size the region for the
 * rounded number.
 */
TEST_F(setup, rq_entries_not_power_of_two)
{
	static const __u32 n[] = { 3, 100, 257, 513, 1000, 2049, 20000 };
	unsigned int i;
	int ret;

	self->p.area_size = 64 * PAGE;
	for (i = 0; i < ZC_ARRAY_SIZE(n); i++) {
		fk.reg_calls = 0;
		self->p.rq_entries = n[i];
		ret = setup_with(&self->ring, &self->zc, &self->p);
		EXPECT_EQ(0, ret)
			TH_LOG("rq_entries %u: region of %llu bytes for %u entries",
			       n[i], (unsigned long long)fk.rd.size,
			       zc_rq_entries(n[i]));
		if (ret)
			continue;
		EXPECT_EQ(zc_rq_entries(n[i]), self->zc.rq.ring_entries);
		EXPECT_GE(fk.rd.size, FK_HDR + (__u64)self->zc.rq.ring_entries *
				      sizeof(struct io_uring_zcrx_rqe));
		check_teardown(_metadata, self);
	}
	EXPECT_EQ(self->maps, count_maps());
}

TEST_F(setup, user_area)
{
	size_t len = 32 * PAGE;
	char *area;

	area = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	self->maps = count_maps();
	self->p.area_type = IO_URING_ZCRX_AREA_USER;
	self->p.area_addr = area;
	self->p.area_size = len;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	EXPECT_EQ((uintptr_t)area, (uintptr_t)fk.area.addr);
	EXPECT_EQ((__u64)len, fk.area.len);
	EXPECT_EQ((uintptr_t)area, (uintptr_t)self->zc.area);
	EXPECT_EQ(32U, fk.reg.rq_entries);
	check_teardown(_metadata, self);
	/* the caller's area stays the caller's */
	area[0] = area[len - 1] = 7;
	EXPECT_EQ(0, munmap(area, len));

	/* an area smaller than one buffer */
	self->p.area_addr = area;
	self->p.area_size = PAGE;
	self->p.rx_buf_len = 2 * PAGE;
	fk.reg_calls = 0;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
}

/* a refill region in kernel memory: the ring fd is mapped at its offset */
TEST_F(setup, kernel_region)
{
	__u32 tail = 0;
	off_t off = 0x30000000 + ((off_t)FK_ZCRX_ID << 16);

	self->memfd = memfd_create("fake-ring", 0);
	if (self->memfd < 0)
		SKIP(return, "no memfd: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->memfd, off + (1 << 20)));
	self->ring.ring_fd = self->memfd;
	self->p.rq_type = IO_URING_ZCRX_RQ_KERNEL;
	self->p.area_size = 16 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	EXPECT_EQ(0U, fk.rd.flags);
	EXPECT_EQ(0ULL, (unsigned long long)fk.rd.user_addr);
	EXPECT_GE(fk.rd.size, FK_HDR + 16 * sizeof(struct io_uring_zcrx_rqe));
	/* the tail published above is in the ring's memory */
	ASSERT_EQ((ssize_t)sizeof(tail), pread(self->memfd, &tail, sizeof(tail),
					       off + 64));
	EXPECT_EQ(1U, tail);
	check_teardown(_metadata, self);
}

/* the mapping of a kernel region fails: nothing is left behind */
TEST_F(setup, kernel_region_mmap_fails)
{
	self->p.rq_type = IO_URING_ZCRX_RQ_KERNEL;
	EXPECT_EQ(-EBADF, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	EXPECT_EQ(self->maps, count_maps());
}

/* the kernel refuses: its error, nothing left behind */
TEST_F(setup, register_fails)
{
	static const int err[] = { EPERM, ENODEV, EEXIST, EOPNOTSUPP, ERANGE };
	unsigned int i;

	for (i = 0; i < ZC_ARRAY_SIZE(err); i++) {
		fk.err = err[i];
		self->p.rq_type = i & 1;
		EXPECT_EQ(-err[i], setup_with(&self->ring, &self->zc, &self->p));
		EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
		EXPECT_EQ(self->maps, count_maps());
	}
}

/* a 6.12 kernel without the series: -EOPNOTSUPP before anything is done */
TEST_F(setup, kernel_without_recv_zc)
{
	fk.probe_last_op = IORING_OP_RECV_ZC - 1;
	EXPECT_EQ(-EOPNOTSUPP, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	EXPECT_EQ(self->maps, count_maps());
	EXPECT_EQ(-EOPNOTSUPP, io_uring_zcrx_probe(&self->ring));
	fk.probe_last_op = IORING_OP_RECV_ZC;
	EXPECT_EQ(0, io_uring_zcrx_probe(&self->ring));
}

/*
 * The synchronous layer over a real ring of the host and a context from
 * the kernel of ours.  The receive goes to the host's kernel, which
 * refuses it (no such ifq there, or no such opcode): readv reports that.
 */
TEST_F(setup, sync_layer)
{
	struct io_uring_zcrx_sync *s = NULL;
	struct io_uring_zcrx *zc;
	struct iovec iov[4];
	int sv[2], ret;

	self->p.area_size = 32 * PAGE;
	ret = io_uring_zcrx_sync_open(&s, &self->p);
	if (!fk.reg_calls && host_lacks_rings(ret))
		SKIP(return, "no DEFER_TASKRUN|CQE32 ring on this host (%d)", ret);
	ASSERT_EQ(0, ret);
	ASSERT_NE(NULL, s);
	zc = io_uring_zcrx_sync_ctx(s);
	ASSERT_NE(NULL, zc);
	EXPECT_EQ(FK_ZCRX_ID, zc->id);
	EXPECT_EQ(32 * PAGE, (unsigned long)zc->area_size);
	EXPECT_EQ((unsigned int)IO_URING_ZCRX_SETUP_FLAGS,
		  zc->ring->flags & IO_URING_ZCRX_SETUP_FLAGS);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, -1, iov, 4));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, sv[0], NULL, 4));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, sv[0], iov, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, sv[0], iov, -1));

	iov[0].iov_base = zc->area - 1;
	iov[0].iov_len = 10;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_release(s, iov, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_release(s, iov, -1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_release(s, NULL, 1));
	EXPECT_EQ(0, io_uring_zcrx_release(s, NULL, 0));
	EXPECT_EQ(0U, *zc->rq.ktail);
	iov[0].iov_base = zc->area + PAGE;
	iov[0].iov_len = 10;
	EXPECT_EQ(0, io_uring_zcrx_release(s, iov, 1));
	EXPECT_EQ(1U, *zc->rq.ktail);
	EXPECT_EQ(zc->area_token | PAGE, zc->rq.rqes[0].off);

	/* the request's error, and again when asked again */
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, sv[0], iov, 4));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(s, sv[0], iov, 4));

	io_uring_zcrx_sync_close(s);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(self->maps, count_maps());
}

/* No device: the registration says so, with interface and queue 0. */
/* an area size that is not a whole number of buffers: refused here */
TEST_F(setup, area_not_whole_buffers)
{
	self->p.area_size = 3 * PAGE;
	self->p.rx_buf_len = 2 * PAGE;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	/* the default area of 16 MiB is no multiple of 32 MiB either */
	self->p.area_size = 0;
	self->p.rx_buf_len = 1U << 25;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
	EXPECT_EQ(self->maps, count_maps());
	/* one that may fall back takes pages at once */
	self->p.area_size = 3 * PAGE;
	self->p.rx_buf_len = 2 * PAGE;
	self->p.flags = IO_URING_ZCRX_BUF_FALLBACK;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_EQ(0U, fk.reg.rx_buf_len);
	EXPECT_EQ((__u32)PAGE, self->zc.buf_len);
	check_teardown(_metadata, self);
}

/*
 * A device that fills 8 KiB at most: 16 KiB buffers are refused with the
 * kernel's error, unless IO_URING_ZCRX_BUF_FALLBACK asks for pages then.
 */
TEST_F(setup, buf_fallback)
{
	static const int err[] = { ERANGE, EOPNOTSUPP };
	unsigned int i;

	self->p.area_size = 64 * PAGE;
	self->p.rx_buf_len = 4 * PAGE;
	fk.buf_max = 2 * PAGE;
	for (i = 0; i < ZC_ARRAY_SIZE(err); i++) {
		fk.buf_err = err[i];
		fk.reg_calls = 0;
		self->p.flags = 0;
		EXPECT_EQ(-err[i], setup_with(&self->ring, &self->zc, &self->p));
		EXPECT_EQ(1, fk.reg_calls);
		EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
		EXPECT_EQ(self->maps, count_maps());

		fk.reg_calls = 0;
		self->p.flags = IO_URING_ZCRX_BUF_FALLBACK;
		ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
		EXPECT_EQ(2, fk.reg_calls);
		EXPECT_EQ(0U, fk.reg.rx_buf_len);
		EXPECT_EQ((__u32)PAGE, self->zc.buf_len);
		/* a refill entry for every page of the area */
		EXPECT_EQ(64U, self->zc.rq.ring_entries);
		EXPECT_EQ(64 * PAGE, (unsigned long)self->zc.area_size);
		check_teardown(_metadata, self);
	}

	/* what the device can do needs no fallback */
	fk.reg_calls = 0;
	self->p.rx_buf_len = 2 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_EQ(2 * PAGE, (unsigned long)self->zc.buf_len);
	check_teardown(_metadata, self);

	/* another error is not the device's size: no second try */
	fk.buf_err = 0;
	fk.err = EINVAL;
	fk.calls = 0;
	self->p.rx_buf_len = 4 * PAGE;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.calls);
	EXPECT_EQ(self->maps, count_maps());
}

/*
 * A dmabuf area, with a memfd standing in for the dmabuf: registered
 * with its fd, address 0 and its whole size; mapped for reading; the fd
 * stays the caller's.
 */
TEST_F(setup, dmabuf_area)
{
	const size_t len = 16 * PAGE;
	struct io_uring_cqe *cqe;
	struct cqe32 c;
	struct iovec iov;
	char *w;

	self->memfd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	if (self->memfd < 0)
		SKIP(return, "no memfd: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->memfd, len));
	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, w);
	w[0] = 'a';
	w[len - 1] = 'z';
	self->maps = count_maps();

	self->p.area_type = IO_URING_ZCRX_AREA_DMABUF;
	self->p.dmabuf_fd = self->memfd;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ((__u32)IORING_ZCRX_AREA_DMABUF, fk.area.flags);
	EXPECT_EQ((__u32)self->memfd, fk.area.dmabuf_fd);
	EXPECT_EQ(0ULL, (unsigned long long)fk.area.addr);
	EXPECT_EQ((__u64)len, fk.area.len);
	EXPECT_EQ((__u64)len, self->zc.area_size);
	EXPECT_EQ(16U, self->zc.rq.ring_entries);
	EXPECT_EQ((__u32)PAGE, self->zc.buf_len);
	ASSERT_NE(NULL, self->zc.area);
	EXPECT_NE((uintptr_t)w, (uintptr_t)self->zc.area);
	/* the data, through the library's mapping */
	EXPECT_EQ('a', self->zc.area[0]);
	EXPECT_EQ('z', self->zc.area[len - 1]);
	cqe = mkcqe(&c, 10, self->zc.area_token | (len - 10));
	ASSERT_EQ(0, io_uring_zcrx_get_buf(&self->zc, cqe, &iov));
	EXPECT_EQ('z', ((char *)iov.iov_base)[9]);
	EXPECT_EQ(0, io_uring_zcrx_return(&self->zc, cqe));
	check_teardown(_metadata, self);
	EXPECT_LE(0, fcntl(self->memfd, F_GETFD));

	/* the size given must be the dmabuf's */
	fk.reg_calls = 0;
	self->p.area_size = len;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ((__u64)len, fk.area.len);
	check_teardown(_metadata, self);
	self->p.area_size = len / 2;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	self->p.area_size = 2 * len;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));

	/* and a whole number of buffers */
	self->p.area_size = 0;
	self->p.rx_buf_len = 32 * PAGE;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	self->p.rx_buf_len = 4 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(4 * PAGE, (unsigned long)fk.reg.rx_buf_len);
	check_teardown(_metadata, self);
	EXPECT_EQ(0, munmap(w, len));
}

/* a dmabuf that cannot be mapped, or not sized: nothing registered */
TEST_F(setup, dmabuf_unusable)
{
	char path[64];
	int wfd, sv[2];

	self->memfd = memfd_create("fake-dmabuf", MFD_CLOEXEC);
	if (self->memfd < 0)
		SKIP(return, "no memfd: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->memfd, 8 * PAGE));
	self->p.area_type = IO_URING_ZCRX_AREA_DMABUF;

	/* write-only: lseek works, a readable mapping does not */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->memfd);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	self->p.dmabuf_fd = wfd;
	EXPECT_EQ(-EACCES, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	EXPECT_EQ(self->maps, count_maps());
	close(wfd);

	/* closed */
	self->p.dmabuf_fd = wfd;
	EXPECT_EQ(-EBADF, setup_with(&self->ring, &self->zc, &self->p));
	self->p.area_size = 8 * PAGE;
	EXPECT_EQ(-EBADF, setup_with(&self->ring, &self->zc, &self->p));

	/* a file without a size: only with area_size, which is then trusted */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	self->p.dmabuf_fd = sv[0];
	self->p.area_size = 0;
	EXPECT_EQ(-ESPIPE, setup_with(&self->ring, &self->zc, &self->p));
	self->p.area_size = 8 * PAGE;
	EXPECT_GT(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
	EXPECT_EQ(self->maps, count_maps());
	close(sv[0]);
	close(sv[1]);

	/* an empty one */
	ASSERT_EQ(0, ftruncate(self->memfd, 0));
	self->p.dmabuf_fd = self->memfd;
	self->p.area_size = 0;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0, fk.reg_calls);
}

TEST_F(setup, nodev)
{
	self->p.flags = IO_URING_ZCRX_NODEV;
	self->p.if_idx = 0;
	self->p.if_rxq = 0;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	EXPECT_EQ((__u32)ZCRX_REG_NODEV, fk.reg.flags);
	EXPECT_EQ(0U, fk.reg.if_idx);
	EXPECT_EQ(0U, fk.reg.if_rxq);
	check_teardown(_metadata, self);
}

/*
 * Events with statistics placed by the library: past the refill entries,
 * on a cache line of their own, inside the region, the offset written
 * back; io_uring_zcrx_stats() finds them there.
 */
TEST_F(setup, events_stats_placed)
{
	struct zcrx_event_desc ev;
	struct zcrx_stats *st;
	__u64 end;

	memset(&ev, 0, sizeof(ev));
	ev.user_data = 0xe7e7;
	ev.type_mask = 1U << ZCRX_EVENT_ALLOC_FAIL | 1U << ZCRX_EVENT_COPY;
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	self->p.area_size = 64 * PAGE;
	self->p.event_desc = &ev;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	ASSERT_EQ(1, fk.ev_seen);
	EXPECT_EQ(0xe7e7ULL, fk.ev.user_data);
	EXPECT_EQ(3U, fk.ev.type_mask);
	EXPECT_EQ((__u32)ZCRX_EVENT_DESC_FLAG_STATS, fk.ev.flags);
	EXPECT_NE(0ULL, fk.ev.stats_offset);
	EXPECT_EQ(fk.ev.stats_offset, ev.stats_offset);
	EXPECT_EQ(0ULL, ev.stats_offset % 64);
	end = PAGE + (__u64)fk.reg.rq_entries * sizeof(struct io_uring_zcrx_rqe);
	EXPECT_GE(ev.stats_offset, end);
	EXPECT_LE(ev.stats_offset + sizeof(*st), fk.rd.size);
	EXPECT_EQ(self->zc.region_size, (size_t)fk.rd.size);

	st = io_uring_zcrx_stats(&self->zc, ev.stats_offset);
	ASSERT_NE(NULL, st);
	EXPECT_EQ((uintptr_t)self->zc.rq.ring_ptr + ev.stats_offset,
		  (uintptr_t)st);
	/* the "kernel" counts, the program reads */
	st->copy_count = 3;
	st->copy_bytes = 4096;
	EXPECT_EQ(3ULL, io_uring_zcrx_stats(&self->zc, ev.stats_offset)->copy_count);
	EXPECT_EQ(4096ULL, io_uring_zcrx_stats(&self->zc, ev.stats_offset)->copy_bytes);

	/* not aligned, not inside the region, no context */
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&self->zc, ev.stats_offset + 4));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&self->zc, self->zc.region_size));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&self->zc, self->zc.region_size - 8));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&self->zc, UINT64_MAX - 7));
	EXPECT_NE(NULL, io_uring_zcrx_stats(&self->zc, self->zc.region_size - 16));
	EXPECT_EQ(NULL, io_uring_zcrx_stats(NULL, ev.stats_offset));
	check_teardown(_metadata, self);
	EXPECT_EQ(NULL, io_uring_zcrx_stats(&self->zc, ev.stats_offset));
}

/* the caller's offset: the region grows to hold it, the offset stays */
TEST_F(setup, events_stats_offset_given)
{
	struct zcrx_event_desc ev;

	memset(&ev, 0, sizeof(ev));
	ev.type_mask = 1U << ZCRX_EVENT_COPY;
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	ev.stats_offset = 5 * PAGE + 64;
	self->p.area_size = 16 * PAGE;
	self->p.event_desc = &ev;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	check_ctx(_metadata, self);
	EXPECT_EQ(5 * PAGE + 64, (unsigned long)ev.stats_offset);
	EXPECT_EQ(5 * PAGE + 64, (unsigned long)fk.ev.stats_offset);
	EXPECT_EQ(6 * PAGE, (unsigned long)fk.rd.size);
	EXPECT_NE(NULL, io_uring_zcrx_stats(&self->zc, ev.stats_offset));
	check_teardown(_metadata, self);

	/* events without statistics: the region as without events */
	memset(&ev, 0, sizeof(ev));
	ev.type_mask = 1U << ZCRX_EVENT_ALLOC_FAIL;
	fk.reg_calls = 0;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(0ULL, ev.stats_offset);
	EXPECT_EQ(0ULL, fk.ev.stats_offset);
	EXPECT_EQ(zc_region_size(fk.reg.rq_entries, PAGE), (size_t)fk.rd.size);
	check_teardown(_metadata, self);

	/* what the kernel refuses comes back, nothing left behind */
	ev.flags = 1U << 5;
	fk.reg_calls = 0;
	EXPECT_EQ(-EINVAL, setup_with(&self->ring, &self->zc, &self->p));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_TRUE(is_zero(&self->zc, sizeof(self->zc)));
	EXPECT_EQ(self->maps, count_maps());
}

/* Export and import: one queue, two rings, one area and refill ring. */
TEST_F(setup, export_import)
{
	struct io_uring_zcrx zc2;
	struct io_uring ring2;
	struct io_uring_cqe *cqe;
	struct cqe32 c;
	int fd;

	self->p.area_size = 16 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	fk.export_fd = 77;
	fk.calls = 0;
	fd = io_uring_zcrx_export(&self->zc);
	EXPECT_EQ(77, fd);
	EXPECT_EQ(1, fk.calls);
	EXPECT_EQ((long)IORING_REGISTER_ZCRX_CTRL, fk.op);
	EXPECT_EQ(0L, fk.nr_args);
	EXPECT_EQ(FK_ZCRX_ID, fk.ctrl.zcrx_id);
	EXPECT_EQ((__u32)ZCRX_CTRL_EXPORT, fk.ctrl.op);
	EXPECT_TRUE(is_zero(fk.ctrl.__resv, sizeof(fk.ctrl.__resv)));
	/* the answer is the kernel's, not ours: it went in zeroed */
	EXPECT_TRUE(is_zero(&fk.ctrl.zc_export, sizeof(fk.ctrl.zc_export)));

	fake_ring(&ring2);
	fk.import_entries = self->zc.rq.ring_entries;
	fk.reg_calls = 0;
	ASSERT_EQ(0, io_uring_zcrx_import(&ring2, &zc2, &self->zc, fd));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_EQ((__u32)ZCRX_REG_IMPORT, fk.reg.flags);
	EXPECT_EQ(77U, fk.reg.if_idx);
	EXPECT_EQ(FK_ZCRX_ID + 1, zc2.id);
	EXPECT_EQ((uintptr_t)&ring2, (uintptr_t)zc2.ring);
	EXPECT_EQ((uintptr_t)self->zc.area, (uintptr_t)zc2.area);
	EXPECT_EQ(self->zc.area_size, zc2.area_size);
	EXPECT_EQ(self->zc.area_token, zc2.area_token);
	EXPECT_EQ(self->zc.buf_len, zc2.buf_len);
	EXPECT_EQ((uintptr_t)self->zc.rq.khead, (uintptr_t)zc2.rq.khead);
	EXPECT_EQ((uintptr_t)self->zc.rq.ktail, (uintptr_t)zc2.rq.ktail);
	EXPECT_EQ((uintptr_t)self->zc.rq.rqes, (uintptr_t)zc2.rq.rqes);
	EXPECT_EQ(self->zc.rq.ring_entries, zc2.rq.ring_entries);

	/* a buffer handed back through the import lands in the shared ring */
	cqe = mkcqe(&c, 10, zc2.area_token | PAGE);
	EXPECT_EQ(0, io_uring_zcrx_return(&zc2, cqe));
	EXPECT_EQ(1U, io_uring_smp_load_acquire(self->zc.rq.ktail));
	EXPECT_EQ(zc2.area_token | PAGE, self->zc.rq.rqes[0].off);

	/* the import owns no memory: its teardown unmaps nothing */
	EXPECT_EQ(0, io_uring_zcrx_teardown(&zc2));
	EXPECT_TRUE(is_mapped((uintptr_t)self->zc.area));
	EXPECT_TRUE(is_mapped((uintptr_t)self->zc.rq.ring_ptr));
	self->zc.rq.rq_tail = 1;
	check_teardown(_metadata, self);
}

TEST_F(setup, import_refused)
{
	struct io_uring_zcrx zc2, bare;
	struct io_uring ring2, plain;

	self->p.area_size = 16 * PAGE;
	ASSERT_EQ(0, setup_with(&self->ring, &self->zc, &self->p));
	fake_ring(&ring2);
	fk.export_fd = 9;
	fk.import_entries = self->zc.rq.ring_entries;
	fk.reg_calls = 0;

	/* refused before the kernel is asked, the context zeroed */
	fill(&zc2);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(NULL, &zc2, &self->zc, 9));
	EXPECT_TRUE(is_zero(&zc2, sizeof(zc2)));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&ring2, NULL, &self->zc, 9));
	fill(&zc2);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&ring2, &zc2, NULL, 9));
	EXPECT_TRUE(is_zero(&zc2, sizeof(zc2)));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&ring2, &zc2, &self->zc, -1));
	memset(&bare, 0, sizeof(bare));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&ring2, &zc2, &bare, 9));
	memset(&plain, 0, sizeof(plain));
	plain.ring_fd = -1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&plain, &zc2, &self->zc, 9));
	EXPECT_EQ(0, fk.reg_calls);

	/* the kernel's answers */
	fill(&zc2);
	EXPECT_EQ(-EBADF, io_uring_zcrx_import(&ring2, &zc2, &self->zc, 10));
	EXPECT_EQ(1, fk.reg_calls);
	EXPECT_TRUE(is_zero(&zc2, sizeof(zc2)));
	/* a refill ring of another size is not the one src maps */
	fk.import_entries = self->zc.rq.ring_entries * 2;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_import(&ring2, &zc2, &self->zc, 9));
	EXPECT_TRUE(is_zero(&zc2, sizeof(zc2)));
	/* a kernel without zero-copy receive */
	fk.probe_last_op = IORING_OP_RECV_ZC - 1;
	fk.reg_calls = 0;
	EXPECT_EQ(-EOPNOTSUPP, io_uring_zcrx_import(&ring2, &zc2, &self->zc, 9));
	EXPECT_EQ(0, fk.reg_calls);
	fk.probe_last_op = IORING_OP_RECV_ZC;
	check_teardown(_metadata, self);
}

TEST(queue_init_args)
{
	struct io_uring_params p;
	struct io_uring ring;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQPOLL;
	memset(&ring, 0xa5, sizeof(ring));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init_params(8, &ring, &p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init(8, &ring, IORING_SETUP_SQPOLL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init(8, &ring,
			IORING_SETUP_SQPOLL | IORING_SETUP_SQ_AFF));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init_params(8, NULL, &p));
	p.flags = 0;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init_params(8, &ring, NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_queue_init_params(8, NULL, &p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_probe(NULL));
}

/* The udmabuf helper. */

TEST(udmabuf_args)
{
	int memfd = 5;

	EXPECT_EQ(-EINVAL, io_uring_zcrx_udmabuf_create(0, &memfd));
	EXPECT_EQ(-1, memfd);
	memfd = 5;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_udmabuf_create(PAGE + 1, &memfd));
	EXPECT_EQ(-1, memfd);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_udmabuf_create(100, NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_udmabuf_create(SIZE_MAX & ~(PAGE - 1),
							NULL));
}

/*
 * A dmabuf that shows the memfd's bytes; on a host without /dev/udmabuf
 * (the VM test areas.sh has one), the clean failure: the errno, no memfd
 * handed out, no descriptor left open.
 */
TEST(host_udmabuf)
{
	const size_t len = 8 * PAGE;
	int fd, memfd = -1, fd2, maps = count_maps();
	char *d, *m;

	fd2 = dup(0);
	ASSERT_LE(0, fd2);
	close(fd2);
	fd = io_uring_zcrx_udmabuf_create(len, &memfd);
	if (fd == -ENOENT || fd == -EACCES || fd == -EPERM || fd == -ENODEV ||
	    fd == -ENXIO) {
		TH_LOG("no /dev/udmabuf here (%d): the failure path only", fd);
		EXPECT_EQ(-1, memfd);
		/* the lowest free descriptor is still the same one */
		EXPECT_EQ(fd2, dup(0));
		close(fd2);
		EXPECT_EQ(maps, count_maps());
		return;
	}
	ASSERT_LE(0, fd);
	ASSERT_LE(0, memfd);
	EXPECT_NE(fd, memfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(FD_CLOEXEC, fcntl(memfd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ((off_t)len, lseek(fd, 0, SEEK_END));
	/* sealed against shrinking, as udmabuf wants */
	EXPECT_NE(0, fcntl(memfd, F_GET_SEALS) & F_SEAL_SHRINK);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, m);
	d = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, d);
	m[0] = 'x';
	m[len - 1] = 'y';
	EXPECT_EQ('x', d[0]);
	EXPECT_EQ('y', d[len - 1]);
	munmap(d, len);
	munmap(m, len);
	close(memfd);
	close(fd);

	/* without the memfd: only the dmabuf is left open */
	fd2 = io_uring_zcrx_udmabuf_create(len, NULL);
	ASSERT_LE(0, fd2);
	EXPECT_EQ((off_t)len, lseek(fd2, 0, SEEK_END));
	close(fd2);
	EXPECT_EQ(maps, count_maps());
}

/* The synchronous layer's argument checks. */

TEST(sync_args)
{
	struct io_uring_zcrx_sync *s = (void *)0x1;
	struct io_uring_zcrx_params p;
	struct iovec iov[2];

	memset(&p, 0, sizeof(p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_sync_open(NULL, &p));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_sync_open(NULL, NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_sync_open(&s, NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(NULL, 0, iov, 2));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_readv(NULL, 3, NULL, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_release(NULL, iov, 1));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_release(NULL, NULL, 0));
	EXPECT_TRUE(io_uring_zcrx_sync_ctx(NULL) == NULL);
	io_uring_zcrx_sync_close(NULL);
}

/* bad parameters for the context: refused, whatever the host */
TEST(sync_open_bad_params)
{
	struct zcrx_event_desc ev = { 0 };
	struct io_uring_zcrx_sync *s = (void *)0x1;
	struct io_uring_zcrx_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = 1U << 31;
	ret = io_uring_zcrx_sync_open(&s, &p);
	if (ret == -EPERM || ret == -ENOSYS || ret == -ENOMEM)
		SKIP(return, "no io_uring ring on this host (%d)", ret);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_TRUE(s == NULL);

	p.flags = 0;
	p.area_size = PAGE + 1;
	s = (void *)0x1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_sync_open(&s, &p));
	EXPECT_TRUE(s == NULL);

	/* events: their completions are no socket's */
	p.area_size = 0;
	p.event_desc = &ev;
	s = (void *)0x1;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_sync_open(&s, &p));
	EXPECT_TRUE(s == NULL);
}

/* The NIC helper's argument checks: no privileges, no changes. */

TEST(nic_args)
{
	struct io_uring_zcrx_flow flow, good;
	struct io_uring_zcrx_nic *nic = (void *)0x1;
	char longname[IFNAMSIZ + 1];
	unsigned int i;

	memset(&good, 0, sizeof(good));
	good.family = AF_INET;
	good.dst_port = 9999;
	memset(longname, 'e', sizeof(longname) - 1);
	longname[IFNAMSIZ] = 0;

#define NIC_BAD(name, f, fl) do {					\
		nic = (void *)0x1;					\
		EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup(&nic, name, 0, f, fl)) \
			TH_LOG("case: %s %s %s", #name, #f, #fl);	\
		EXPECT_TRUE(nic == NULL);				\
	} while (0)

	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup(NULL, "lo", 0, &good, 0));
	NIC_BAD(NULL, &good, 0);
	NIC_BAD("", &good, 0);
	NIC_BAD(longname, &good, 0);
	NIC_BAD("a/b", &good, 0);
	NIC_BAD("..", &good, 0);
	NIC_BAD("lo", NULL, 0);
	NIC_BAD("lo", &good, 1U << 2);
	NIC_BAD("lo", &good, 1U << 31);
	flow = good;
	flow.family = AF_UNIX;
	NIC_BAD("lo", &flow, 0);
	flow.family = AF_UNSPEC;
	NIC_BAD("lo", &flow, 0);
	flow.family = AF_INET6;
	flow.dst_port = 0;
	NIC_BAD("lo", &flow, 0);
	flow.dst_port = 0;
	flow.src_port = 80;
	NIC_BAD("lo", &flow, 0);
	for (i = 0; i < ZC_ARRAY_SIZE(flow.__resv); i++) {
		flow = good;
		flow.__resv[i] = 1;
		NIC_BAD("lo", &flow, 0);
	}
#undef NIC_BAD

	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_restore(NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_restore_saved(NULL));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_restore_saved(""));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_restore_saved("x/../y"));
	EXPECT_EQ(0U, io_uring_zcrx_nic_changes(NULL));
}

/*
 * The Toeplitz hash against the verification values that Microsoft's RSS
 * specification gives for its sample key (IPv4 with and without the ports,
 * IPv6 with the ports), and its refusal of a key too short.
 */
TEST(nic_toeplitz)
{
	static const __u8 key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
		0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
		0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
		0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	/* 66.9.149.187:2794 -> 161.142.100.80:1766 */
	static const __u8 v4[12] = { 66, 9, 149, 187, 161, 142, 100, 80,
				     0x0a, 0xea, 0x06, 0xe6 };
	/* [3ffe:2501:200:1fff::7]:2794 -> [3ffe:2501:200:3::1]:1766 */
	static const __u8 v6[36] = {
		0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
		0, 0, 0, 0, 0, 0, 0, 0x07,
		0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
		0, 0, 0, 0, 0, 0, 0, 0x01,
		0x0a, 0xea, 0x06, 0xe6,
	};

	EXPECT_EQ(0x51ccc178U, __io_uring_zcrx_toeplitz(key, 40, v4, 12));
	EXPECT_EQ(0x323e8fc2U, __io_uring_zcrx_toeplitz(key, 40, v4, 8));
	EXPECT_EQ(0x40207d3dU, __io_uring_zcrx_toeplitz(key, 40, v6, 36));
	EXPECT_EQ(0U, __io_uring_zcrx_toeplitz(key, 15, v4, 12));
}

/* setup_conn's argument checks: a connected TCP socket or nothing */
TEST(nic_conn_args)
{
	struct io_uring_zcrx_nic *nic = (void *)0x1;
	int fd;

	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(NULL, "lo", 0, 0, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(&nic, "a/b", 0, 0, 0));
	EXPECT_TRUE(nic == NULL);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, -1, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, 0, 1U << 2));
	fd = open("/dev/null", O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTSOCK, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, fd, 0));
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, fd, 0));
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTCONN, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, fd, 0));
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_nic_setup_conn(&nic, "lo", 0, fd, 0));
	close(fd);
	EXPECT_TRUE(nic == NULL);
}

/* a device that does not exist, before anything is changed */
TEST(nic_no_such_device)
{
	struct io_uring_zcrx_flow flow;
	struct io_uring_zcrx_nic *nic = (void *)0x1;
	char name[IFNAMSIZ];

	memset(&flow, 0, sizeof(flow));
	flow.family = AF_INET6;
	flow.dst_port = 9999;
	/* the longest name there can be: 15 characters */
	snprintf(name, sizeof(name), "zcnone%09u", (unsigned int)getpid());
	ASSERT_EQ((size_t)IFNAMSIZ - 1, strlen(name));
	if (if_nametoindex(name))
		SKIP(return, "%s exists here", name);
	EXPECT_EQ(-ENODEV, io_uring_zcrx_nic_setup(&nic, name, 0, &flow, 0));
	EXPECT_TRUE(nic == NULL);
}

/* On the host, if it lets us have io_uring. */

TEST(host_queue_init)
{
	struct io_uring_params p;
	struct io_uring ring;
	int ret;

	ret = io_uring_zcrx_queue_init(8, &ring, 0);
	if (host_lacks_rings(ret))
		SKIP(return, "no DEFER_TASKRUN|CQE32 ring on this host (%d)", ret);
	ASSERT_EQ(0, ret);
	EXPECT_EQ((unsigned int)IO_URING_ZCRX_SETUP_FLAGS,
		  ring.flags & IO_URING_ZCRX_SETUP_FLAGS);
	EXPECT_GE(ring.ring_fd, 0);
	ret = io_uring_zcrx_probe(&ring);
	EXPECT_TRUE(ret == 0 || ret == -EOPNOTSUPP)
		TH_LOG("io_uring_zcrx_probe: %d", ret);
	io_uring_queue_exit(&ring);

	/* the caller's flags are kept, ours added */
	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 64;
	ASSERT_EQ(0, io_uring_zcrx_queue_init_params(8, &ring, &p));
	EXPECT_EQ((unsigned int)(IO_URING_ZCRX_SETUP_FLAGS | IORING_SETUP_CQSIZE),
		  p.flags & (IO_URING_ZCRX_SETUP_FLAGS | IORING_SETUP_CQSIZE));
	EXPECT_EQ((unsigned int)IO_URING_ZCRX_SETUP_FLAGS,
		  ring.flags & IO_URING_ZCRX_SETUP_FLAGS);
	EXPECT_EQ(64U, ring.cq.ring_entries);
	io_uring_queue_exit(&ring);
}

static int count_maps(void)
{
	static char buf[1 << 18];
	ssize_t n, len = 0;
	int fd, lines = 0;

	fd = open("/proc/self/maps", O_RDONLY);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += n;
	close(fd);
	for (n = 0; n < len; n++)
		lines += buf[n] == '\n';
	return lines;
}

/* Does a line of /proc/self/maps cover @addr? */
static int is_mapped(unsigned long long addr)
{
	unsigned long long lo, hi;
	char line[512];
	int found = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
			lo <= addr && addr < hi;
	fclose(f);
	return found;
}

/*
 * A registration that cannot succeed (no such interface) on a real ring:
 * whatever the host's kernel says, the call fails, zeroes the context and
 * leaves no mapping behind.
 */
TEST(host_setup_failure_cleans_up)
{
	struct io_uring_zcrx_params p;
	struct io_uring_zcrx zc;
	struct io_uring ring;
	int ret, before, i;

	ret = io_uring_zcrx_queue_init(8, &ring, 0);
	if (host_lacks_rings(ret))
		SKIP(return, "no DEFER_TASKRUN|CQE32 ring on this host (%d)", ret);
	ASSERT_EQ(0, ret);
	if (count_maps() < 0) {
		io_uring_queue_exit(&ring);
		SKIP(return, "no /proc/self/maps");
	}
	memset(&p, 0, sizeof(p));
	p.if_idx = 0x7ffffff0;
	p.area_size = 64 * PAGE;
	for (i = 0; i < 3; i++) {
		p.rq_type = i == 1 ? IO_URING_ZCRX_RQ_KERNEL : IO_URING_ZCRX_RQ_USER;
		/* the first round settles whatever the library allocates */
		setup_with(&ring, &zc, &p);
		before = count_maps();
		ret = setup_with(&ring, &zc, &p);
		EXPECT_LT(ret, 0);
		if (i == 0)
			TH_LOG("the host says %d", ret);
		EXPECT_TRUE(is_zero(&zc, sizeof(zc)));
		EXPECT_EQ(before, count_maps());
	}
	io_uring_queue_exit(&ring);
}

/* The query call, where the host kernel has it. */
TEST(host_query)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_zcrx zq;
	struct io_uring_query_hdr h[2];
	int ret;

	memset(h, 0, sizeof(h));
	memset(&op, 0, sizeof(op));
	memset(&zq, 0, sizeof(zq));
	h[0].query_op = IO_URING_QUERY_OPCODES;
	h[0].query_data = (uintptr_t)&op;
	h[0].size = sizeof(op);
	h[0].next_entry = (uintptr_t)&h[1];
	h[1].query_op = IO_URING_QUERY_ZCRX;
	h[1].query_data = (uintptr_t)&zq;
	h[1].size = sizeof(zq);
	ret = io_uring_register_query(h);
	if (ret)
		SKIP(return, "no IORING_REGISTER_QUERY here (%d)", ret);
	ASSERT_EQ(0, h[0].result);
	EXPECT_GT(op.nr_request_opcodes, (__u32)IORING_OP_RECV_ZC);
	EXPECT_GT(op.nr_register_opcodes, (__u32)IORING_REGISTER_QUERY);
	if (h[1].result == -EOPNOTSUPP) {
		TH_LOG("the host's query knows no zcrx");
		return;
	}
	EXPECT_EQ(0, h[1].result);
	EXPECT_GE(zq.nr_ctrl_opcodes, 1U);
	EXPECT_NE(0U, zq.rq_hdr_size);
}

/* The forwarding helper: buffers go back only when nothing reads them. */

FIXTURE(fwd) {
	struct fake f;
	struct io_uring_zcrx_fwd *h;
	struct io_uring_sqe sqe;
};

FIXTURE_SETUP(fwd)
{
	ASSERT_EQ(0, fake_init(&self->f, FAKE_ENTRIES));
	fake_at(&self->f, 0, 0);
	ASSERT_EQ(0, io_uring_zcrx_fwd_init(&self->h, &self->f.zc, 2, 0));
	memset(&self->sqe, 0, sizeof(self->sqe));
}

FIXTURE_TEARDOWN(fwd)
{
	fake_free(&self->f);
}

/* hold the data of a completion of @len bytes at buffer @page */
static int fwd_hold(FIXTURE_DATA(fwd) *self, unsigned int page, int len)
{
	struct cqe32 c;

	return io_uring_zcrx_fwd_hold(self->h, mkcqe(&c, len, TOKEN | (page * PAGE)));
}

/* deliver a completion for the request in self->sqe */
static int fwd_cqe(FIXTURE_DATA(fwd) *self, int res, __u32 flags,
		   struct io_uring_zcrx_fwd_cqe *out)
{
	struct io_uring_cqe cqe;

	memset(&cqe, 0, sizeof(cqe));
	cqe.user_data = self->sqe.user_data;
	cqe.res = res;
	cqe.flags = flags;
	return io_uring_zcrx_fwd_complete(self->h, &cqe, out);
}

TEST_F(fwd, init_rejects)
{
	struct io_uring_zcrx_fwd *h = (void *)1;
	struct io_uring_zcrx zero;

	memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_init(NULL, &self->f.zc, 4, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_init(&h, &zero, 4, 0));
	EXPECT_EQ(NULL, h);
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_init(&h, &self->f.zc, 0, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_init(&h, &self->f.zc, 65537, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_init(&h, &self->f.zc, 4, 1ULL << 32));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, hold_put_returns)
{
	struct io_uring_zcrx_rqe *rqe;
	struct iovec iov;
	int b;

	b = fwd_hold(self, 3, 1000);
	ASSERT_LE(0, b);
	EXPECT_EQ(1U, io_uring_zcrx_fwd_held(self->h));
	ASSERT_EQ(0, io_uring_zcrx_fwd_buf(self->h, b, &iov));
	EXPECT_EQ(self->f.area + 3 * PAGE, iov.iov_base);
	EXPECT_EQ(1000U, iov.iov_len);
	EXPECT_EQ(0U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(1U, ktail(&self->f));
	rqe = rqe_at(&self->f, 0);
	EXPECT_EQ(TOKEN | (3 * PAGE), rqe->off);
	EXPECT_EQ(1000U, rqe->len);
	EXPECT_EQ(0U, io_uring_zcrx_fwd_held(self->h));
	/* a second put, or a put of nothing held, is refused */
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_put(self->h, 12345));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_buf(self->h, b, &iov));
	EXPECT_EQ(1U, ktail(&self->f));
	/* completions without data of this area are not taken */
	EXPECT_EQ(-EINVAL, fwd_hold(self, 1, 0));
	EXPECT_EQ(-EINVAL, fwd_hold(self, 1, -ECONNRESET));
	EXPECT_EQ(-EINVAL, fwd_hold(self, FAKE_BUFS, 10));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, send_returns_after_notification)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b;

	b = fwd_hold(self, 5, 4096);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 1,
						   MSG_NOSIGNAL, 77));
	EXPECT_EQ(IORING_OP_SEND_ZC, self->sqe.opcode);
	EXPECT_EQ(9, self->sqe.fd);
	EXPECT_EQ((__u64)(uintptr_t)(self->f.area + 5 * PAGE), self->sqe.addr);
	EXPECT_EQ(4096U, self->sqe.len);
	EXPECT_EQ((__u32)MSG_NOSIGNAL, self->sqe.msg_flags);
	EXPECT_NE(0U, (unsigned int)self->sqe.ioprio & IORING_SEND_ZC_REPORT_USAGE);
	EXPECT_EQ(IO_URING_ZCRX_FWD_TAG, self->sqe.user_data >> 32);
	EXPECT_EQ(1U, io_uring_zcrx_fwd_inflight(self->h));

	/* the caller lets go: the send still reads it */
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(0U, ktail(&self->f));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_put(self->h, b));

	ASSERT_EQ(1, fwd_cqe(self, 4096, IORING_CQE_F_MORE, &out));
	EXPECT_EQ(77U, out.cookie);
	EXPECT_EQ(4096, out.res);
	EXPECT_EQ(IO_URING_ZCRX_FWD_SEND | IO_URING_ZCRX_FWD_RESULT, out.flags);
	EXPECT_EQ(0U, ktail(&self->f));

	/* the notification: now it goes back */
	ASSERT_EQ(1, fwd_cqe(self, 0, IORING_CQE_F_NOTIF, &out));
	EXPECT_EQ(IO_URING_ZCRX_FWD_SEND | IO_URING_ZCRX_FWD_DONE, out.flags);
	EXPECT_EQ(1U, ktail(&self->f));
	EXPECT_EQ(TOKEN | (5 * PAGE), rqe_at(&self->f, 0)->off);
	EXPECT_EQ(0U, io_uring_zcrx_fwd_inflight(self->h));
	EXPECT_EQ(0U, io_uring_zcrx_fwd_held(self->h));
	/* a late duplicate is not a request in flight */
	EXPECT_EQ(-EINVAL, fwd_cqe(self, 0, IORING_CQE_F_NOTIF, &out));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, notification_first_and_copied)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b;

	b = fwd_hold(self, 2, 100);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 1, 0, 1));
	ASSERT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	ASSERT_EQ(1, fwd_cqe(self, (int)IORING_NOTIF_USAGE_ZC_COPIED,
			     IORING_CQE_F_NOTIF, &out));
	EXPECT_EQ(IO_URING_ZCRX_FWD_SEND | IO_URING_ZCRX_FWD_COPIED, out.flags);
	EXPECT_EQ(0U, ktail(&self->f));
	ASSERT_EQ(1, fwd_cqe(self, 100, IORING_CQE_F_MORE, &out));
	EXPECT_NE(0U, out.flags & IO_URING_ZCRX_FWD_DONE);
	EXPECT_EQ(1U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, failed_send_without_notification)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b;

	b = fwd_hold(self, 2, 100);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 1, 0, 1));
	ASSERT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	ASSERT_EQ(1, fwd_cqe(self, -EPIPE, 0, &out));
	EXPECT_EQ(-EPIPE, out.res);
	EXPECT_EQ(IO_URING_ZCRX_FWD_SEND | IO_URING_ZCRX_FWD_RESULT |
		  IO_URING_ZCRX_FWD_DONE, out.flags);
	EXPECT_EQ(1U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, holder_keeps_it_past_the_send)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b;

	b = fwd_hold(self, 2, 100);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 1, 0, 1));
	ASSERT_EQ(1, fwd_cqe(self, 100, 0, &out));
	EXPECT_NE(0U, out.flags & IO_URING_ZCRX_FWD_DONE);
	EXPECT_EQ(0U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(1U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, neighbours_merge)
{
	struct io_uring_zcrx_fwd_cqe out;
	struct msghdr *msg;
	int b[3];

	b[0] = fwd_hold(self, 4, PAGE);
	b[1] = fwd_hold(self, 5, 100);	/* right after 4 */
	b[2] = fwd_hold(self, 9, 10);
	ASSERT_LE(0, b[0]);
	ASSERT_LE(0, b[1]);
	ASSERT_LE(0, b[2]);
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, b, 2, 0, 1));
	EXPECT_EQ(IORING_OP_SEND_ZC, self->sqe.opcode);
	EXPECT_EQ(PAGE + 100, self->sqe.len);
	ASSERT_EQ(1, fwd_cqe(self, PAGE + 100, 0, &out));

	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, b, 3, 0, 2));
	EXPECT_EQ(IORING_OP_SENDMSG_ZC, self->sqe.opcode);
	EXPECT_NE(0U, (unsigned int)self->sqe.ioprio & IORING_SEND_ZC_REPORT_USAGE);
	msg = (struct msghdr *)(uintptr_t)self->sqe.addr;
	ASSERT_EQ(2U, msg->msg_iovlen);
	EXPECT_EQ(self->f.area + 4 * PAGE, msg->msg_iov[0].iov_base);
	EXPECT_EQ(PAGE + 100, msg->msg_iov[0].iov_len);
	EXPECT_EQ(self->f.area + 9 * PAGE, msg->msg_iov[1].iov_base);
	EXPECT_EQ(10U, msg->msg_iov[1].iov_len);
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[0]));
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[1]));
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[2]));
	EXPECT_EQ(0U, ktail(&self->f));
	ASSERT_EQ(1, fwd_cqe(self, PAGE + 110, 0, &out));
	EXPECT_EQ(3U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, writev)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b[2];

	b[0] = fwd_hold(self, 1, PAGE);
	b[1] = fwd_hold(self, 7, PAGE);
	ASSERT_EQ(0, io_uring_zcrx_prep_writev(self->h, &self->sqe, 4, b, 1, 8192, 3));
	EXPECT_EQ(IORING_OP_WRITE, self->sqe.opcode);
	EXPECT_EQ(8192U, self->sqe.off);
	ASSERT_EQ(1, fwd_cqe(self, PAGE, 0, &out));
	EXPECT_EQ(IO_URING_ZCRX_FWD_WRITE | IO_URING_ZCRX_FWD_RESULT |
		  IO_URING_ZCRX_FWD_DONE, out.flags);
	ASSERT_EQ(0, io_uring_zcrx_prep_writev(self->h, &self->sqe, 4, b, 2, 0, 3));
	EXPECT_EQ(IORING_OP_WRITEV, self->sqe.opcode);
	EXPECT_EQ(2U, self->sqe.len);
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[0]));
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[1]));
	EXPECT_EQ(0U, ktail(&self->f));
	ASSERT_EQ(1, fwd_cqe(self, 2 * PAGE, 0, &out));
	EXPECT_EQ(2U, ktail(&self->f));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, prep_rejects)
{
	struct io_uring_sqe s2, s3;
	int b, c, bad[2];

	b = fwd_hold(self, 1, 10);
	c = fwd_hold(self, 2, 10);
	bad[0] = b;
	bad[1] = b;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, bad, 2, 0, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 0, 0, 0));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b,
							 IO_URING_ZCRX_FWD_MAX_BUFS + 1, 0, 0));
	bad[1] = 999;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_writev(self->h, &self->sqe, 9, bad, 2, 0, 0));
	EXPECT_EQ(0U, io_uring_zcrx_fwd_inflight(self->h));
	/* two entries: the third request waits */
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &self->sqe, 9, &b, 1, 0, 0));
	ASSERT_EQ(0, io_uring_zcrx_prep_sendmsg_zc(self->h, &s2, 9, &c, 1, 0, 0));
	EXPECT_EQ(-EBUSY, io_uring_zcrx_prep_writev(self->h, &s3, 9, &b, 1, 0, 0));
	/* nothing can be freed under a request in flight */
	EXPECT_EQ(-EBUSY, io_uring_zcrx_fwd_free(self->h));
	/* after put, a buffer cannot be named again */
	EXPECT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_sendmsg_zc(self->h, &s3, 9, &b, 1, 0, 0));
	EXPECT_EQ(2U, io_uring_zcrx_fwd_inflight(self->h));
	EXPECT_EQ(0U, ktail(&self->f));
}

TEST_F(fwd, send_cqe_in_one)
{
	struct io_uring_zcrx_fwd_cqe out;
	struct io_uring_sqe s2, s3;
	struct cqe32 c;

	ASSERT_EQ(0, io_uring_zcrx_prep_send_zc_cqe(self->h, &self->sqe, 9,
						    mkcqe(&c, 50, TOKEN | PAGE), 0, 5));
	EXPECT_EQ(1U, io_uring_zcrx_fwd_held(self->h));
	ASSERT_EQ(0, io_uring_zcrx_prep_send_zc_cqe(self->h, &s2, 9,
						    mkcqe(&c, 50, TOKEN | 2 * PAGE), 0, 6));
	/* out of entries: the caller keeps the completion, nothing is queued */
	EXPECT_EQ(-EBUSY, io_uring_zcrx_prep_send_zc_cqe(self->h, &s3, 9,
							 mkcqe(&c, 50, TOKEN | 3 * PAGE), 0, 7));
	EXPECT_EQ(2U, io_uring_zcrx_fwd_held(self->h));
	EXPECT_EQ(-EINVAL, io_uring_zcrx_prep_send_zc_cqe(self->h, &s3, 9,
							  mkcqe(&c, 0, TOKEN), 0, 7));
	ASSERT_EQ(1, fwd_cqe(self, 50, 0, &out));
	EXPECT_EQ(5U, out.cookie);
	EXPECT_EQ(1U, ktail(&self->f));
	EXPECT_EQ(TOKEN | PAGE, rqe_at(&self->f, 0)->off);
}

TEST_F(fwd, foreign_completions)
{
	struct io_uring_zcrx_fwd_cqe out;
	struct io_uring_cqe cqe;
	struct cqe32 c;

	memset(&cqe, 0, sizeof(cqe));
	cqe.user_data = 42;
	EXPECT_EQ(0, io_uring_zcrx_fwd_complete(self->h, &cqe, &out));
	/* a RECV_ZC completion is the caller's */
	EXPECT_EQ(0, io_uring_zcrx_fwd_complete(self->h, mkcqe(&c, 10, TOKEN), &out));
	/* the tag with a slot out of range, or not in flight */
	cqe.user_data = IO_URING_ZCRX_FWD_TAG << 32 | 2;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_complete(self->h, &cqe, &out));
	cqe.user_data = IO_URING_ZCRX_FWD_TAG << 32;
	EXPECT_EQ(-EINVAL, io_uring_zcrx_fwd_complete(self->h, &cqe, &out));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, full_refill_ring_waits)
{
	struct io_uring_zcrx_fwd_cqe out;
	int b[3], i;

	fake_at(&self->f, 0, FAKE_ENTRIES - 1);
	for (i = 0; i < 3; i++) {
		b[i] = fwd_hold(self, i, 10 + i);
		ASSERT_LE(0, b[i]);
	}
	ASSERT_EQ(0, io_uring_zcrx_prep_writev(self->h, &self->sqe, 4, b, 3, 0, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, io_uring_zcrx_fwd_put(self->h, b[i]));
	/* one slot left; the flush the library asks for fails (no ring) */
	ASSERT_EQ(1, fwd_cqe(self, 33, 0, &out));
	EXPECT_EQ(FAKE_ENTRIES, ktail(&self->f));
	EXPECT_EQ(2U, io_uring_zcrx_fwd_held(self->h));
	EXPECT_NE(0, io_uring_zcrx_fwd_flush(self->h));
	/* the kernel consumes: the rest goes in order */
	*self->f.zc.rq.khead = FAKE_ENTRIES;
	EXPECT_EQ(0, io_uring_zcrx_fwd_flush(self->h));
	EXPECT_EQ(FAKE_ENTRIES + 2, ktail(&self->f));
	EXPECT_EQ(11U, rqe_at(&self->f, FAKE_ENTRIES)->len);
	EXPECT_EQ(12U, rqe_at(&self->f, FAKE_ENTRIES + 1)->len);
	EXPECT_EQ(0U, io_uring_zcrx_fwd_held(self->h));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
}

TEST_F(fwd, free_returns_held)
{
	ASSERT_LE(0, fwd_hold(self, 1, 10));
	ASSERT_LE(0, fwd_hold(self, 2, 10));
	EXPECT_EQ(0, io_uring_zcrx_fwd_free(self->h));
	EXPECT_EQ(2U, ktail(&self->f));
}

TEST_F(fwd, many_holds_grow)
{
	unsigned int i;
	int b;

	for (i = 0; i < 200; i++) {
		b = fwd_hold(self, i % FAKE_BUFS, 1);
		ASSERT_LE(0, b);
	}
	EXPECT_EQ(200U, io_uring_zcrx_fwd_held(self->h));
	ASSERT_EQ(0, io_uring_zcrx_fwd_put(self->h, b));
	EXPECT_EQ(199U, io_uring_zcrx_fwd_held(self->h));
}

TEST_HARNESS_MAIN
