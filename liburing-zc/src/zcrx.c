/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Zero-copy receive contexts: rings with the right set-up flags, an area
 * and a refill ring registered as one interface queue, and the slow paths
 * of handing buffers back.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "lib.h"

/* what struct io_uring_zcrx.priv_flags records */
enum {
	ZC_OWN_AREA	= 1U << 0,	/* the library mapped the area */
	ZC_RQ_KERNEL	= 1U << 1,	/* the region is a mapping of the ring */
	ZC_IMPORTED	= 1U << 2,	/* another context's memory, not ours */
};

/**
 * io_uring_zcrx_queue_init_params() - set up a ring for zero-copy receive
 * @entries: submission queue entries
 * @ring: the ring to set up
 * @p: parameters as for io_uring_queue_init_params(); its flags gain
 *	IO_URING_ZCRX_SETUP_FLAGS
 *
 * Return: 0, -EINVAL for flags that cannot go with those (SQPOLL), or what
 * io_uring_queue_init_params() returns.
 */
int io_uring_zcrx_queue_init_params(unsigned int entries,
				    struct io_uring *ring,
				    struct io_uring_params *p)
{
	if (!ring || !p)
		return -EINVAL;
	/* task work deferred to the submitter excludes a polling thread */
	if (p->flags & IORING_SETUP_SQPOLL)
		return -EINVAL;
	p->flags |= IO_URING_ZCRX_SETUP_FLAGS;
	return io_uring_queue_init_params(entries, ring, p);
}

/**
 * io_uring_zcrx_queue_init() - set up a ring for zero-copy receive
 * @entries: submission queue entries
 * @ring: the ring to set up
 * @flags: IORING_SETUP_* flags besides IO_URING_ZCRX_SETUP_FLAGS
 *
 * Return: as io_uring_zcrx_queue_init_params().
 */
int io_uring_zcrx_queue_init(unsigned int entries, struct io_uring *ring,
			     unsigned int flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return io_uring_zcrx_queue_init_params(entries, ring, &p);
}

/**
 * io_uring_zcrx_probe() - does the kernel behind @ring do zero-copy receive
 * @ring: any ring
 *
 * Return: 0 if it knows IORING_OP_RECV_ZC, -EOPNOTSUPP if not (or if it
 * cannot even be probed).
 */
int io_uring_zcrx_probe(struct io_uring *ring)
{
	struct io_uring_probe *p;
	int ret;

	if (!ring)
		return -EINVAL;
	p = io_uring_get_probe_ring(ring);
	ret = zc_probe_result(p);
	if (p)
		io_uring_free_probe(p);
	return ret;
}

static int zc_check_params(const struct io_uring *ring,
			   const struct io_uring_zcrx_params *p, size_t page)
{
	const struct zcrx_event_desc *ev = p->event_desc;
	unsigned int i;

	if (p->flags & ~(__u32)(IO_URING_ZCRX_NODEV | IO_URING_ZCRX_BUF_FALLBACK) ||
	    p->__resv1)
		return -EINVAL;
	for (i = 0; i < ZC_ARRAY_SIZE(p->__resv); i++)
		if (p->__resv[i])
			return -EINVAL;
	/* no device, no queue: the kernel wants both 0 */
	if ((p->flags & IO_URING_ZCRX_NODEV) && (p->if_idx || p->if_rxq))
		return -EINVAL;
	/* the kernel checks the rest; the region must hold the statistics */
	if (ev && (ev->flags & ZCRX_EVENT_DESC_FLAG_STATS) &&
	    ev->stats_offset > ZC_STATS_MAX_OFFSET)
		return -EINVAL;
	if ((ring->flags & IO_URING_ZCRX_SETUP_FLAGS) != IO_URING_ZCRX_SETUP_FLAGS)
		return -EINVAL;
	if (p->rq_type != IO_URING_ZCRX_RQ_USER &&
	    p->rq_type != IO_URING_ZCRX_RQ_KERNEL)
		return -EINVAL;
	if (p->rq_entries > ZC_RQ_MAX_ENTRIES)
		return -EINVAL;
	if (p->rx_buf_len && (p->rx_buf_len < page ||
			      (p->rx_buf_len & (p->rx_buf_len - 1))))
		return -EINVAL;
	/* dmabuf_fd belongs to dmabuf areas only: anywhere else it is 0 */
	if (p->area_type != IO_URING_ZCRX_AREA_DMABUF && p->dmabuf_fd)
		return -EINVAL;
	switch (p->area_type) {
	case IO_URING_ZCRX_AREA_PAGES:
	case IO_URING_ZCRX_AREA_HUGE:
		if (p->area_addr)
			return -EINVAL;
		break;
	case IO_URING_ZCRX_AREA_USER:
		if (!p->area_addr || !p->area_size ||
		    ((uintptr_t)p->area_addr & (page - 1)))
			return -EINVAL;
		break;
	case IO_URING_ZCRX_AREA_DMABUF:
		/* the kernel copies nothing into a dmabuf: no NODEV */
		if (p->area_addr || (p->flags & IO_URING_ZCRX_NODEV))
			return -EINVAL;
		if (p->dmabuf_fd < 0)
			return -EBADF;
		break;
	default:
		return -EINVAL;
	}
	if (p->area_size & (page - 1))
		return -EINVAL;
	if (p->area_size > SIZE_MAX / 2)
		return -EINVAL;
	return 0;
}

/*
 * The size of the dmabuf area: the dmabuf's own (lseek(SEEK_END) tells
 * it), which @size, when not 0, must match.
 */
static int zc_dmabuf_size(int fd, __u64 size, __u64 *out, size_t page)
{
	off_t end = lseek(fd, 0, SEEK_END);

	if (end < 0) {
		/* an exporter that cannot tell: trust the caller's size */
		if (!size || errno == EBADF)
			return -errno;
		end = (off_t)size;
	}
	if (!end || (end & (page - 1)) || (size && (__u64)end != size) ||
	    (__u64)end > SIZE_MAX / 2)
		return -EINVAL;
	*out = (__u64)end;
	return 0;
}

static void *zc_map_anon(size_t size, int extra)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* the bytes of rx_buf_len, whatever the system's headers call them */
static inline void zc_set_rx_buf_len(struct io_uring_zcrx_ifq_reg *reg, __u32 len)
{
#if LIBURING_ZC_IFQ_RX_BUF_LEN
	reg->rx_buf_len = len;
#else
	reg->__resv2 = len;
#endif
}

static inline __u32 zc_rx_buf_len(const struct io_uring_zcrx_ifq_reg *reg)
{
#if LIBURING_ZC_IFQ_RX_BUF_LEN
	return reg->rx_buf_len;
#else
	return reg->__resv2;
#endif
}

/**
 * io_uring_zcrx_setup() - register an interface queue with its memory
 * @ring: a ring set up with IO_URING_ZCRX_SETUP_FLAGS
 * @zc: the context to fill in
 * @p: interface, queue, area and refill ring choices
 *
 * Maps the area (unless the caller brings one; a dmabuf is mapped for
 * reading) and the refill region, registers both with the queue, and
 * maps the refill ring.  On failure nothing the call mapped is left
 * mapped and @zc is zeroed.  The one failure after registration (a
 * kernel refill ring that cannot be mapped) leaves the queue registered
 * until the ring is closed, as there is no unregister.
 *
 * With IO_URING_ZCRX_BUF_FALLBACK and an rx_buf_len above the page size,
 * a registration the device refuses with -EOPNOTSUPP or -ERANGE is made
 * again with page-sized buffers; zc->buf_len tells the size in use.
 *
 * Return: 0; -EOPNOTSUPP when the kernel lacks zero-copy receive; -EINVAL
 * for bad parameters (an area size that is not a multiple of rx_buf_len,
 * a dmabuf size other than the dmabuf's) or a ring without the set-up
 * flags; -EBADF for a negative dmabuf_fd; mmap()'s -errno when the
 * memory cannot be mapped (-ENOMEM, -EINVAL for a huge page area whose
 * size is not a multiple of the huge page size, or whatever a dmabuf's
 * exporter says when it cannot be mapped); or the registration's -errno
 * (-EOPNOTSUPP for a device that fills pages only, -ERANGE for an
 * rx_buf_len above its largest or an area not contiguous enough).
 */
int io_uring_zcrx_setup(struct io_uring *ring, struct io_uring_zcrx *zc,
			const struct io_uring_zcrx_params *p)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	struct io_uring_zcrx_ifq_reg reg;
	struct zcrx_event_desc ev;
	__u64 area_size = 0, buf_len, stats_end;
	__u32 rx_buf_len;
	void *region = NULL;
	size_t region_size;
	unsigned int entries;
	char *base;
	int ret;

	if (zc)
		memset(zc, 0, sizeof(*zc));
	if (!ring || !zc || !p)
		return -EINVAL;
	ret = zc_check_params(ring, p, page);
	if (ret)
		return ret;
	ret = io_uring_zcrx_probe(ring);
	if (ret)
		return ret;

	if (p->area_type == IO_URING_ZCRX_AREA_DMABUF) {
		ret = zc_dmabuf_size(p->dmabuf_fd, p->area_size, &area_size, page);
		if (ret)
			return ret;
	} else {
		area_size = p->area_size ? p->area_size : IO_URING_ZCRX_DEFAULT_AREA;
	}
	rx_buf_len = p->rx_buf_len;
	buf_len = rx_buf_len ? rx_buf_len : page;
	/*
	 * The kernel cuts the area into whole buffers; one that may fall
	 * back to pages does so at once for an area that cannot be cut.
	 */
	if (area_size % buf_len) {
		if (!(p->flags & IO_URING_ZCRX_BUF_FALLBACK))
			return -EINVAL;
		rx_buf_len = 0;
		buf_len = page;
	}
	/*
	 * The kernel rounds up to a power of two: make room for that.  A
	 * set-up that may fall back to pages sizes the ring for pages.
	 */
	entries = zc_rq_entries(p->rq_entries ? p->rq_entries :
				area_size / ((p->flags & IO_URING_ZCRX_BUF_FALLBACK) ?
					     page : buf_len));
	region_size = zc_region_size(entries, page);
	if (p->event_desc) {
		ev = *p->event_desc;
		if ((ev.flags & ZCRX_EVENT_DESC_FLAG_STATS) && !ev.stats_offset)
			ev.stats_offset = zc_stats_offset(entries, page);
		/* room for the statistics, wherever the caller put them */
		if (ev.flags & ZCRX_EVENT_DESC_FLAG_STATS) {
			stats_end = ev.stats_offset + sizeof(struct zcrx_stats);
			if (stats_end > region_size)
				region_size = (stats_end + page - 1) & ~(__u64)(page - 1);
		}
	}

	if (p->area_type == IO_URING_ZCRX_AREA_USER) {
		base = p->area_addr;
	} else if (p->area_type == IO_URING_ZCRX_AREA_DMABUF) {
		/* the data is read through the exporter's mapping */
		base = mmap(NULL, area_size, PROT_READ, MAP_SHARED,
			    p->dmabuf_fd, 0);
		if (base == MAP_FAILED)
			return -errno;
		zc->priv_flags |= ZC_OWN_AREA;
	} else {
		base = zc_map_anon(area_size, p->area_type == IO_URING_ZCRX_AREA_HUGE ?
				   MAP_HUGETLB : 0);
		if (!base)
			return -errno;
		zc->priv_flags |= ZC_OWN_AREA;
	}

	if (p->rq_type == IO_URING_ZCRX_RQ_USER) {
		region = zc_map_anon(region_size, 0);
		if (!region) {
			ret = -errno;
			goto err_area;
		}
	}

again:
	memset(&rd, 0, sizeof(rd));
	rd.size = region_size;
	if (region) {
		rd.user_addr = (__u64)(uintptr_t)region;
		rd.flags = IORING_MEM_REGION_TYPE_USER;
	}

	memset(&area, 0, sizeof(area));
	area.len = area_size;
	if (p->area_type == IO_URING_ZCRX_AREA_DMABUF) {
		/* the kernel takes its own reference: the fd stays the caller's */
		area.flags = IORING_ZCRX_AREA_DMABUF;
#if LIBURING_ZC_AREA_DMABUF_FD
		area.dmabuf_fd = (__u32)p->dmabuf_fd;
#else
		area.__resv1 = (__u32)p->dmabuf_fd;
#endif
	} else {
		area.addr = (__u64)(uintptr_t)base;
	}

	memset(&reg, 0, sizeof(reg));
	reg.if_idx = p->if_idx;
	reg.if_rxq = p->if_rxq;
	reg.rq_entries = entries;
	zc_set_rx_buf_len(&reg, rx_buf_len);
	reg.area_ptr = (__u64)(uintptr_t)&area;
	reg.region_ptr = (__u64)(uintptr_t)&rd;
	if (p->flags & IO_URING_ZCRX_NODEV)
		reg.flags = ZCRX_REG_NODEV;
	if (p->event_desc) {
#if LIBURING_ZC_IFQ_EVENT_DESC
		reg.event_desc = (__u64)(uintptr_t)&ev;
#else
		/* headers of before events: the same bytes, 72..79 */
		reg.__resv[0] = (__u64)(uintptr_t)&ev;
#endif
	}

	ret = io_uring_register_ifq(ring, &reg);
	/* a device that cannot fill buffers that large: pages, if allowed */
	if ((ret == -EOPNOTSUPP || ret == -ERANGE) && buf_len > page &&
	    (p->flags & IO_URING_ZCRX_BUF_FALLBACK)) {
		rx_buf_len = 0;
		buf_len = page;
		goto again;
	}
	if (ret)
		goto err_region;
	/* where the statistics went, when the library chose */
	if (p->event_desc)
		p->event_desc->stats_offset = ev.stats_offset;

	if (p->rq_type == IO_URING_ZCRX_RQ_KERNEL) {
		/*
		 * The queue stays registered until the ring is closed: there
		 * is no unregister.  The caller learns of the failure and
		 * closes the ring.
		 */
		region = mmap(NULL, region_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_POPULATE, ring->ring_fd,
			      (off_t)rd.mmap_offset);
		if (region == MAP_FAILED) {
			region = NULL;
			ret = -errno;
			goto err_area;
		}
		zc->priv_flags |= ZC_RQ_KERNEL;
	}

	zc->rq.khead = (__u32 *)((char *)region + reg.offsets.head);
	zc->rq.ktail = (__u32 *)((char *)region + reg.offsets.tail);
	zc->rq.rqes = (struct io_uring_zcrx_rqe *)((char *)region +
						   reg.offsets.rqes);
	zc->rq.ring_entries = reg.rq_entries;
	zc->rq.rq_tail = io_uring_smp_load_acquire(zc->rq.ktail);
	zc->rq.ring_ptr = region;
	zc->id = reg.zcrx_id;
	/* the size in use, as the kernel writes it back */
	zc->buf_len = zc_rx_buf_len(&reg) ? zc_rx_buf_len(&reg) : (__u32)buf_len;
	zc->area = base;
	zc->area_size = area_size;
	zc->area_token = area.rq_area_token;
	zc->ring = ring;
	zc->region = region;
	zc->region_size = region_size;
	return 0;

err_region:
	if (region)
		munmap(region, region_size);
err_area:
	if (zc->priv_flags & ZC_OWN_AREA)
		munmap(base, area_size);
	memset(zc, 0, sizeof(*zc));
	return ret;
}

/**
 * io_uring_zcrx_teardown() - unmap what io_uring_zcrx_setup() mapped
 * @zc: the context
 *
 * The kernel keeps the queue, and its pins on the area, until the ring is
 * closed; call this before or after io_uring_queue_exit().  @zc is zeroed.
 *
 * Return: 0, or -EINVAL for a context that is not set up.
 */
int io_uring_zcrx_teardown(struct io_uring_zcrx *zc)
{
	if (!zc || !zc->ring)
		return -EINVAL;
	if (zc->region)
		munmap(zc->region, zc->region_size);
	if (zc->priv_flags & ZC_OWN_AREA)
		munmap(zc->area, zc->area_size);
	memset(zc, 0, sizeof(*zc));
	return 0;
}

/**
 * io_uring_zcrx_flush_rq() - have the kernel consume the refill ring now
 * @zc: the context
 *
 * Return: 0 or the kernel's -errno.
 */
int io_uring_zcrx_flush_rq(struct io_uring_zcrx *zc)
{
	struct zcrx_ctrl ctrl;

	if (!zc || !zc->ring)
		return -EINVAL;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = zc->id;
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;
	return io_uring_register_zcrx_ctrl(zc->ring, &ctrl);
}

/**
 * io_uring_zcrx_export() - a file descriptor that shares the queue
 * @zc: the context
 *
 * ZCRX_CTRL_EXPORT: the kernel makes a file (close-on-exec) that keeps
 * the queue, its area and its refill ring alive and that another ring
 * can import with io_uring_zcrx_import(), in this process or another.
 *
 * Return: the file descriptor, or -EINVAL for a context that is not set
 * up, or the kernel's -errno (-EOPNOTSUPP where it cannot export).
 */
int io_uring_zcrx_export(struct io_uring_zcrx *zc)
{
	struct zcrx_ctrl ctrl;
	int ret;

	if (!zc || !zc->ring)
		return -EINVAL;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = zc->id;
	ctrl.op = ZCRX_CTRL_EXPORT;
	ret = io_uring_register_zcrx_ctrl(zc->ring, &ctrl);
	if (ret)
		return ret;
	if (ctrl.zc_export.zcrx_fd > INT_MAX)
		return -EOVERFLOW;
	return (int)ctrl.zc_export.zcrx_fd;
}

/**
 * io_uring_zcrx_import() - share an exported queue on another ring
 * @ring: a ring set up with IO_URING_ZCRX_SETUP_FLAGS
 * @zc: the context to fill in
 * @src: the memory of the queue as this process sees it: the exporting
 *	context, or one that describes this process's mappings of the same
 *	area and refill region (area, area_size, area_token, buf_len,
 *	rq.ring_ptr, rq.ring_entries, region_size)
 * @fd: what io_uring_zcrx_export() returned
 *
 * Registers with ZCRX_REG_IMPORT: @ring gets an id of its own for the
 * queue, whose area and refill ring are shared.  @zc owns no memory:
 * io_uring_zcrx_teardown() unmaps nothing of it.  Keeping the refill
 * ring to one producer at a time is the caller's business.  On failure
 * @zc is zeroed; a refill ring of another size than @src's leaves the
 * import registered until @ring is closed.
 *
 * Return: 0; -EINVAL for bad arguments or a @src of another size;
 * -EOPNOTSUPP when the kernel lacks zero-copy receive; or the
 * registration's -errno (-EBADF for a file that is not an exported
 * queue).
 */
int io_uring_zcrx_import(struct io_uring *ring, struct io_uring_zcrx *zc,
			 const struct io_uring_zcrx *src, int fd)
{
	struct io_uring_zcrx_ifq_reg reg;
	char *base;
	int ret;

	if (zc)
		memset(zc, 0, sizeof(*zc));
	if (!ring || !zc || !src || fd < 0 || !src->area ||
	    !src->rq.ring_ptr || !src->rq.ring_entries || src == zc)
		return -EINVAL;
	if ((ring->flags & IO_URING_ZCRX_SETUP_FLAGS) != IO_URING_ZCRX_SETUP_FLAGS)
		return -EINVAL;
	ret = io_uring_zcrx_probe(ring);
	if (ret)
		return ret;

	memset(&reg, 0, sizeof(reg));
	reg.if_idx = (__u32)fd;
	reg.flags = ZCRX_REG_IMPORT;
	ret = io_uring_register_ifq(ring, &reg);
	if (ret)
		return ret;
	/* the refill ring must be the one @src maps */
	if (reg.rq_entries != src->rq.ring_entries ||
	    (src->region_size &&
	     (reg.offsets.head + sizeof(__u32) > src->region_size ||
	      reg.offsets.tail + sizeof(__u32) > src->region_size ||
	      reg.offsets.rqes + (__u64)reg.rq_entries *
	      sizeof(struct io_uring_zcrx_rqe) > src->region_size)))
		return -EINVAL;

	base = src->rq.ring_ptr;
	zc->rq.khead = (__u32 *)(base + reg.offsets.head);
	zc->rq.ktail = (__u32 *)(base + reg.offsets.tail);
	zc->rq.rqes = (struct io_uring_zcrx_rqe *)(base + reg.offsets.rqes);
	zc->rq.ring_entries = reg.rq_entries;
	zc->rq.rq_tail = io_uring_smp_load_acquire(zc->rq.ktail);
	zc->rq.ring_ptr = base;
	zc->id = reg.zcrx_id;
	zc->buf_len = src->buf_len;
	zc->area = src->area;
	zc->area_size = src->area_size;
	zc->area_token = src->area_token;
	zc->ring = ring;
	/* known for the bounds of io_uring_zcrx_stats(); never unmapped */
	zc->region = NULL;
	zc->region_size = src->region_size;
	zc->priv_flags = ZC_IMPORTED;
	return 0;
}

/**
 * io_uring_zcrx_arm_event() - let an event of the queue fire again
 * @zc: the context
 * @event_type: ZCRX_EVENT_ALLOC_FAIL or ZCRX_EVENT_COPY
 *
 * ZCRX_CTRL_ARM_EVENT.  An event that the registration enabled fires
 * once; after its completion, this re-arms it.
 *
 * Return: 0; -EINVAL for a context that is not set up or a type that
 * cannot be in an event mask; or the kernel's -errno (-EOPNOTSUPP for a
 * kernel without events, -EINVAL for a type it does not know).
 */
int io_uring_zcrx_arm_event(struct io_uring_zcrx *zc, __u32 event_type)
{
	struct zcrx_ctrl ctrl;
#if !LIBURING_ZC_CTRL_ARM_EVENT
	struct zcrx_ctrl_arm_event arm;
#endif

	if (!zc || !zc->ring || event_type >= 32)
		return -EINVAL;
	memset(&ctrl, 0, sizeof(ctrl));
	ctrl.zcrx_id = zc->id;
	ctrl.op = ZCRX_CTRL_ARM_EVENT;
#if LIBURING_ZC_CTRL_ARM_EVENT
	ctrl.zc_arm_event.event_type = event_type;
#else
	/* a struct zcrx_ctrl of before events: the payload opens the union */
	memset(&arm, 0, sizeof(arm));
	arm.event_type = event_type;
	memcpy(&ctrl.zc_flush, &arm, sizeof(arm));
#endif
	return io_uring_register_zcrx_ctrl(zc->ring, &ctrl);
}

/**
 * io_uring_zcrx_stats() - the queue's statistics in its refill region
 * @zc: the context
 * @stats_offset: zcrx_event_desc.stats_offset of the registration
 *
 * The kernel keeps the counters up to date while the program reads them:
 * read each with a single 64-bit load.
 *
 * Return: the counters, or NULL for a context that is not set up or an
 * offset that is not 8-byte aligned or not inside the region.
 */
struct zcrx_stats *io_uring_zcrx_stats(const struct io_uring_zcrx *zc,
				       __u64 stats_offset)
{
	if (!zc || !zc->ring || !zc->rq.ring_ptr || (stats_offset & 7) ||
	    !zc->region_size || stats_offset > zc->region_size ||
	    zc->region_size - stats_offset < sizeof(struct zcrx_stats))
		return NULL;
	return (struct zcrx_stats *)((char *)zc->rq.ring_ptr + stats_offset);
}

/**
 * __io_uring_zcrx_rq_wait_space() - make room for @nr refill entries
 * @zc: the context
 * @nr: entries wanted
 *
 * The slow path of the return helpers: when the ring is short of room,
 * ask the kernel to consume it and look again.
 *
 * Return: 0, -ENOSPC if the room is still not there, -EINVAL if @nr can
 * never fit, or the kernel's -errno.
 */
int __io_uring_zcrx_rq_wait_space(struct io_uring_zcrx *zc, unsigned int nr)
{
	int ret;

	if (nr > zc->rq.ring_entries)
		return -EINVAL;
	if (io_uring_zcrx_rq_space(zc) >= nr)
		return 0;
	ret = io_uring_zcrx_flush_rq(zc);
	if (ret)
		return ret;
	return io_uring_zcrx_rq_space(zc) >= nr ? 0 : -ENOSPC;
}

/**
 * io_uring_zcrx_return_batch() - hand back the buffers of @nr completions
 * @zc: the context
 * @cqes: the completions
 * @nr: how many
 *
 * All or nothing, with one update of the ring's tail.
 *
 * Return: 0; -EINVAL if a completion carries no data of this context
 * (nothing is queued then); -ENOSPC if the ring has no room for all of
 * them (the caller keeps them all).
 */
int io_uring_zcrx_return_batch(struct io_uring_zcrx *zc,
			       struct io_uring_cqe *const *cqes,
			       unsigned int nr)
{
	struct iovec iov;
	unsigned int i;
	int ret;

	if (!zc || !zc->ring || (nr && !cqes))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (!cqes[i] || io_uring_zcrx_get_buf(zc, cqes[i], &iov))
			return -EINVAL;
	ret = __io_uring_zcrx_rq_wait_space(zc, nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++)
		__io_uring_zcrx_rq_put(zc, io_uring_zcrx_cqe(cqes[i])->off &
				       ~IORING_ZCRX_AREA_MASK, cqes[i]->res);
	if (nr)
		__io_uring_zcrx_rq_commit(zc);
	return 0;
}

/**
 * io_uring_zcrx_return_iov() - hand back buffers by their data's address
 * @zc: the context
 * @iov: pieces of the area as io_uring_zcrx_get_buf() described them
 * @nr: how many
 *
 * All or nothing, with one update of the ring's tail.
 *
 * Return: 0; -EINVAL if a piece is empty or not inside the area; -ENOSPC
 * if the ring has no room for all of them.
 */
int io_uring_zcrx_return_iov(struct io_uring_zcrx *zc,
			     const struct iovec *iov, unsigned int nr)
{
	unsigned int i;
	int ret;

	if (!zc || !zc->ring || (nr && !iov))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		uintptr_t b = (uintptr_t)iov[i].iov_base;
		uintptr_t a = (uintptr_t)zc->area;

		if (b < a || b - a >= zc->area_size || !iov[i].iov_len ||
		    iov[i].iov_len > zc->area_size - (b - a) ||
		    iov[i].iov_len > UINT32_MAX)
			return -EINVAL;
	}
	ret = __io_uring_zcrx_rq_wait_space(zc, nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++)
		__io_uring_zcrx_rq_put(zc, (char *)iov[i].iov_base - zc->area,
				       (__u32)iov[i].iov_len);
	if (nr)
		__io_uring_zcrx_rq_commit(zc);
	return 0;
}
