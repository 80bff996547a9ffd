/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an older liburing (Debian 12 ships 2.3) lacks for zero-copy receive:
 * the opcode and register numbers, the memory region descriptor, and small
 * helpers for the ifq registration, the RECV_ZC request and the refill
 * ring.  liburing.h carries its own copy of linux/io_uring.h, so that file
 * must not be included next to it; the zcrx uapi header stands alone.
 */
#ifndef __ZCRX_URING_H
#define __ZCRX_URING_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/io_uring/zcrx.h>

#ifndef IORING_OP_RECV_ZC
#define IORING_OP_RECV_ZC		58
#endif

#ifndef IORING_REGISTER_ZCRX_IFQ
#define IORING_REGISTER_ZCRX_IFQ	32
#endif

#ifndef IORING_REGISTER_ZCRX_CTRL
#define IORING_REGISTER_ZCRX_CTRL	36
#endif

/* liburing grew the region descriptor in 2.9, with io_uring_version.h. */
#if !defined(IO_URING_VERSION_MAJOR) || \
	(IO_URING_VERSION_MAJOR == 2 && IO_URING_VERSION_MINOR < 9)
#ifndef IORING_MEM_REGION_TYPE_USER
#define IORING_MEM_REGION_TYPE_USER	1
#endif

struct io_uring_region_desc {
	__u64	user_addr;
	__u64	size;
	__u32	flags;
	__u32	id;
	__u64	mmap_offset;
	__u64	__resv[4];
};
#endif

/* mmap() offset of the refill ring when the kernel allocates its memory. */
#define ZCRX_RQ_MMAP_OFF(id)	(0x30000000ULL + ((__u64)(id) << 16))

/* Register an interface queue; 0 or -errno. */
static inline int zcrx_register_ifq(int ring_fd,
				    struct io_uring_zcrx_ifq_reg *reg)
{
	int ret;

	ret = syscall(__NR_io_uring_register, ring_fd,
		      IORING_REGISTER_ZCRX_IFQ, reg, 1);
	return ret < 0 ? -errno : ret;
}

/* IORING_REGISTER_ZCRX_CTRL with @ctrl as it is; 0 or -errno. */
static inline int zcrx_ctrl_raw(int ring_fd, struct zcrx_ctrl *ctrl)
{
	int ret = syscall(__NR_io_uring_register, ring_fd,
			  IORING_REGISTER_ZCRX_CTRL, ctrl, 0);

	return ret < 0 ? -errno : ret;
}

/* Operation @op on ifq @zcrx_id, every other field 0; 0 or -errno. */
static inline int zcrx_ctrl_op(int ring_fd, __u32 zcrx_id, __u32 op,
			       struct zcrx_ctrl *ctrl)
{
	memset(ctrl, 0, sizeof(*ctrl));
	ctrl->zcrx_id = zcrx_id;
	ctrl->op = op;
	return zcrx_ctrl_raw(ring_fd, ctrl);
}

/* Ask the kernel to consume the refill ring of @zcrx_id now; 0 or -errno. */
static inline int zcrx_flush_rq(int ring_fd, __u32 zcrx_id)
{
	struct zcrx_ctrl ctrl;

	return zcrx_ctrl_op(ring_fd, zcrx_id, ZCRX_CTRL_FLUSH_RQ, &ctrl);
}

/*
 * ZCRX_CTRL_EXPORT of ifq @zcrx_id: a file descriptor that holds it, or a
 * negative errno.
 */
static inline int zcrx_export(int ring_fd, __u32 zcrx_id)
{
	struct zcrx_ctrl ctrl;
	int ret;

	ret = zcrx_ctrl_op(ring_fd, zcrx_id, ZCRX_CTRL_EXPORT, &ctrl);
	return ret < 0 ? ret : (int)ctrl.zc_export.zcrx_fd;
}

/* ZCRX_CTRL_ARM_EVENT: let event @type of ifq @zcrx_id fire once more. */
static inline int zcrx_arm_event(int ring_fd, __u32 zcrx_id, __u32 type)
{
	struct zcrx_ctrl ctrl;

	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = zcrx_id;
	ctrl.op = ZCRX_CTRL_ARM_EVENT;
	ctrl.zc_arm_event.event_type = type;
	return zcrx_ctrl_raw(ring_fd, &ctrl);
}

/*
 * A multishot zero-copy receive of at most @len bytes (0: no limit) from
 * socket @fd into the buffers of ifq @ifq_id.
 */
static inline void zcrx_prep_recv(struct io_uring_sqe *sqe, int fd,
				  unsigned int len, __u32 ifq_id)
{
	io_uring_prep_rw(IORING_OP_RECV_ZC, sqe, fd, NULL, len, 0);
	sqe->ioprio = IORING_RECV_MULTISHOT;
	sqe->file_index = ifq_id;
}

/* The zcrx half of a 32-byte completion. */
static inline struct io_uring_zcrx_cqe *zcrx_cqe(struct io_uring_cqe *cqe)
{
	return (struct io_uring_zcrx_cqe *)(cqe + 1);
}

/* The user's side of a refill ring. */
struct zcrx_rq {
	__u32 *khead;
	__u32 *ktail;
	struct io_uring_zcrx_rqe *rqes;
	__u32 entries;
	__u32 tail;		/* next entry to fill, not yet published */
	__u64 token;		/* rq_area_token of the area */
};

/* Map the ring described by @reg's offsets inside the region at @base. */
static inline void zcrx_rq_init(struct zcrx_rq *rq, void *base,
				const struct io_uring_zcrx_ifq_reg *reg,
				__u64 token)
{
	char *p = base;

	rq->khead = (__u32 *)(p + reg->offsets.head);
	rq->ktail = (__u32 *)(p + reg->offsets.tail);
	rq->rqes = (struct io_uring_zcrx_rqe *)(p + reg->offsets.rqes);
	rq->entries = reg->rq_entries;
	rq->tail = __atomic_load_n(rq->ktail, __ATOMIC_RELAXED);
	rq->token = token;
}

/* Free slots, as far as the kernel's published head tells. */
static inline __u32 zcrx_rq_space(const struct zcrx_rq *rq)
{
	__u32 head = __atomic_load_n(rq->khead, __ATOMIC_ACQUIRE);
	__u32 used = rq->tail - head;

	/* A head that makes no sense leaves no room rather than a lot. */
	return used > rq->entries ? 0 : rq->entries - used;
}

/*
 * Queue the buffer of a completion (its offset @cqe_off and length @len)
 * for return; -ENOSPC when the ring is full.  Nothing is visible to the
 * kernel before zcrx_rq_commit().
 */
static inline int zcrx_rq_push(struct zcrx_rq *rq, __u64 cqe_off, __u32 len)
{
	struct io_uring_zcrx_rqe *rqe;

	if (!zcrx_rq_space(rq))
		return -ENOSPC;
	rqe = &rq->rqes[rq->tail & (rq->entries - 1)];
	rqe->off = (cqe_off & ~IORING_ZCRX_AREA_MASK) | rq->token;
	rqe->len = len;
	rqe->__pad = 0;
	rq->tail++;
	return 0;
}

/* Publish the queued entries. */
static inline void zcrx_rq_commit(struct zcrx_rq *rq)
{
	__atomic_store_n(rq->ktail, rq->tail, __ATOMIC_RELEASE);
}

/*
 * Counter @key ("zc_bytes", "copy_bytes", ...) of the first ifq in the
 * fdinfo of ring @ring_fd, or -1 if there is none.
 */
static inline long long zcrx_fdinfo_counter(int ring_fd, const char *key)
{
	char path[64], line[1024], pat[64];
	long long val = -1;
	const char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	snprintf(pat, sizeof(pat), " %s=", key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "ZcrxIfq:", 8))
			continue;
		p = strstr(line, pat);
		if (p && sscanf(p + strlen(pat), "%lld", &val) != 1)
			val = -1;
		break;
	}
	fclose(f);
	return val;
}

#endif /* __ZCRX_URING_H */
