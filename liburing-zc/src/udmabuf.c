/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * A dmabuf for machines without a GPU: a sealed memfd made into a dmabuf
 * by udmabuf, for dmabuf areas in tests and examples.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib.h"

#if LIBURING_ZC_HAVE_LINUX_UDMABUF_H
#include <linux/udmabuf.h>
#else
/* <linux/udmabuf.h> of Linux 4.20 and later */
#define UDMABUF_FLAGS_CLOEXEC	0x01

struct udmabuf_create {
	__u32	memfd;
	__u32	flags;
	__u64	offset;
	__u64	size;
};

#define UDMABUF_CREATE		_IOW('u', 0x42, struct udmabuf_create)
#endif

/**
 * io_uring_zcrx_udmabuf_create() - a dmabuf over a sealed memfd
 * @size: bytes, a non-zero multiple of the page size
 * @memfd: where to put the memfd (close-on-exec) that holds the memory,
 *	or NULL to close it here (the dmabuf keeps the memory)
 *
 * Makes a memfd of @size bytes, seals it against shrinking as udmabuf
 * requires, and turns it into a dmabuf with /dev/udmabuf (UDMABUF_CREATE,
 * close-on-exec).  The caller owns both descriptors.  The dmabuf can be
 * mapped, and the memfd's mapping shows the same bytes.
 *
 * Return: the dmabuf's file descriptor; -EINVAL for a bad @size;
 * -ENOENT without /dev/udmabuf (the udmabuf module), -EACCES or -EPERM
 * where it may not be opened; -E2BIG or -EINVAL from udmabuf for a size
 * above its size_limit_mb; or another -errno of the calls made.  On
 * failure nothing is left open and *@memfd is -1.
 */
int io_uring_zcrx_udmabuf_create(size_t size, int *memfd)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct udmabuf_create c;
	int mfd, dev, fd, ret;

	if (memfd)
		*memfd = -1;
	if (!size || (size & (page - 1)) || size > (size_t)INT64_MAX)
		return -EINVAL;
	mfd = memfd_create("liburing-zc-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	if (ftruncate(mfd, (off_t)size) ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		goto err;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		ret = -errno;
		goto err;
	}
	memset(&c, 0, sizeof(c));
	c.memfd = (__u32)mfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.offset = 0;
	c.size = size;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	ret = fd < 0 ? -errno : fd;
	close(dev);
	if (fd < 0)
		goto err;
	if (memfd)
		*memfd = mfd;
	else
		close(mfd);
	return fd;
err:
	close(mfd);
	return ret;
}
