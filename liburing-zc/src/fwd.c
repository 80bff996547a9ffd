/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Forwarding received data without a copy.
 *
 * A RECV_ZC completion names a piece of the area that the kernel will not
 * touch until the piece goes back through the refill ring.  A zero-copy
 * send (or an O_DIRECT write) of that piece reads it after the request's
 * completion: the send's pages stay referenced by the socket until its
 * notification, a write's until its completion.  Returning the piece any
 * earlier lets the NIC overwrite data that is still on its way out.
 *
 * The helper keeps that rule.  A piece the caller holds
 * (io_uring_zcrx_fwd_hold()) is counted once for the caller and once for
 * every request that reads it; it goes back to the refill ring when the
 * caller has let go (io_uring_zcrx_fwd_put()) and the last of those
 * requests has completed, as io_uring_zcrx_fwd_complete() sees its
 * completions.  The requests carry user_data of the helper's own (a tag
 * in the top 32 bits, a slot below), so that the caller can pass every
 * completion of the ring to io_uring_zcrx_fwd_complete() first.
 */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define ZC_FWD_INITIAL_BUFS	64U
#define ZC_FWD_MAX_ENTRIES	65536U

enum {
	ZC_BUF_FREE,
	ZC_BUF_HELD,		/* the caller's, or a request's, or both */
	ZC_BUF_RETURNING,	/* waiting for room in the refill ring */
};

struct zc_fwd_buf {
	__u64	pos;		/* byte offset in the area */
	__u32	len;
	__u32	refs;		/* requests that read it */
	int	state;
	int	holder;		/* the caller has not put it yet */
	int	next;		/* free list or return queue */
};

struct zc_fwd_req {
	int	kind;		/* 0 (free), _SEND or _WRITE */
	int	result_seen;
	int	more;		/* the result said a notification follows */
	int	notif_seen;
	int	next_free;
	unsigned int nr;
	__u64	cookie;
	struct msghdr msg;
	int	bufs[IO_URING_ZCRX_FWD_MAX_BUFS];
	struct iovec iov[IO_URING_ZCRX_FWD_MAX_BUFS];
};

struct io_uring_zcrx_fwd {
	struct io_uring_zcrx *zc;
	__u64	tag;		/* the top 32 bits of user_data */
	struct zc_fwd_req *reqs;
	unsigned int nr_reqs;
	unsigned int inflight;
	int	free_req;
	struct zc_fwd_buf *bufs;
	unsigned int cap_bufs;
	unsigned int held;	/* slots not free */
	int	free_buf;
	int	ret_head, ret_tail;	/* the return queue */
};

/**
 * io_uring_zcrx_fwd_init() - a forwarding helper for a context
 * @fp: where the handle goes
 * @zc: the context whose buffers are forwarded
 * @entries: sends and writes in flight at most (1 to 65536)
 * @tag: the top 32 bits of the helper's user_data (0 for
 *	IO_URING_ZCRX_FWD_TAG); no other request of the ring may use it
 *
 * Like the context, the helper belongs to one thread.
 *
 * Return: 0, -EINVAL for a context not set up or out-of-range arguments,
 * -ENOMEM.
 */
int io_uring_zcrx_fwd_init(struct io_uring_zcrx_fwd **fp,
			   struct io_uring_zcrx *zc, unsigned int entries,
			   __u64 tag)
{
	struct io_uring_zcrx_fwd *f;
	unsigned int i;

	if (!fp)
		return -EINVAL;
	*fp = NULL;
	if (!zc || !zc->ring || !zc->area || !entries ||
	    entries > ZC_FWD_MAX_ENTRIES || tag > 0xffffffffULL)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->reqs = calloc(entries, sizeof(*f->reqs));
	f->bufs = calloc(ZC_FWD_INITIAL_BUFS, sizeof(*f->bufs));
	if (!f->reqs || !f->bufs) {
		free(f->reqs);
		free(f->bufs);
		free(f);
		return -ENOMEM;
	}
	f->zc = zc;
	f->tag = tag ? tag : IO_URING_ZCRX_FWD_TAG;
	f->nr_reqs = entries;
	for (i = 0; i < entries; i++)
		f->reqs[i].next_free = i + 1 < entries ? (int)i + 1 : -1;
	f->free_req = 0;
	f->cap_bufs = ZC_FWD_INITIAL_BUFS;
	for (i = 0; i < f->cap_bufs; i++)
		f->bufs[i].next = i + 1 < f->cap_bufs ? (int)i + 1 : -1;
	f->free_buf = 0;
	f->ret_head = f->ret_tail = -1;
	*fp = f;
	return 0;
}

/* push what waits in the return queue into the refill ring, as room allows */
static int zc_fwd_push(struct io_uring_zcrx_fwd *f, int may_flush)
{
	struct io_uring_zcrx *zc = f->zc;
	int queued = 0, ret = 0;

	while (f->ret_head >= 0) {
		struct zc_fwd_buf *b = &f->bufs[f->ret_head];
		int idx = f->ret_head;

		if (!io_uring_zcrx_rq_space(zc)) {
			if (queued) {
				__io_uring_zcrx_rq_commit(zc);
				queued = 0;
			}
			if (!may_flush)
				break;
			ret = __io_uring_zcrx_rq_wait_space(zc, 1);
			if (ret)
				break;
		}
		__io_uring_zcrx_rq_put(zc, b->pos, b->len);
		queued = 1;
		f->ret_head = b->next;
		if (f->ret_head < 0)
			f->ret_tail = -1;
		b->state = ZC_BUF_FREE;
		b->next = f->free_buf;
		f->free_buf = idx;
		f->held--;
	}
	if (queued)
		__io_uring_zcrx_rq_commit(zc);
	return ret;
}

/* the last reference is gone: queue the buffer for the refill ring */
static void zc_fwd_release(struct io_uring_zcrx_fwd *f, int idx)
{
	struct zc_fwd_buf *b = &f->bufs[idx];

	b->state = ZC_BUF_RETURNING;
	b->next = -1;
	if (f->ret_tail >= 0)
		f->bufs[f->ret_tail].next = idx;
	else
		f->ret_head = idx;
	f->ret_tail = idx;
}

static int zc_fwd_valid_buf(const struct io_uring_zcrx_fwd *f, int buf)
{
	return buf >= 0 && (unsigned int)buf < f->cap_bufs &&
	       f->bufs[buf].state == ZC_BUF_HELD;
}

/**
 * io_uring_zcrx_fwd_free() - give everything back and free the helper
 * @f: the helper (NULL: nothing to do)
 *
 * Buffers the caller still holds go back to the refill ring with the
 * ones already let go.
 *
 * Return: 0; -EBUSY, freeing nothing, while a send or write is in flight
 * (wait for its completions first: their pages are still being read);
 * or the -errno of the last return, whose buffers then stay with the
 * kernel until the context goes.
 */
int io_uring_zcrx_fwd_free(struct io_uring_zcrx_fwd *f)
{
	unsigned int i;
	int ret;

	if (!f)
		return 0;
	if (f->inflight)
		return -EBUSY;
	for (i = 0; i < f->cap_bufs; i++)
		if (f->bufs[i].state == ZC_BUF_HELD)
			zc_fwd_release(f, i);
	ret = zc_fwd_push(f, 1);
	free(f->reqs);
	free(f->bufs);
	free(f);
	return ret;
}

/**
 * io_uring_zcrx_fwd_hold() - take the data of a RECV_ZC completion
 * @f: the helper
 * @cqe: the completion
 *
 * From here on the helper returns the buffer: the caller must not pass
 * @cqe to io_uring_zcrx_return() or its kin, and lets go of it with
 * io_uring_zcrx_fwd_put() once it has prepared the sends and writes that
 * read it.
 *
 * Return: a handle (0 or more) for the prep calls, -EINVAL if @cqe carries
 * no data of the helper's context, -ENOMEM.
 */
int io_uring_zcrx_fwd_hold(struct io_uring_zcrx_fwd *f,
			   const struct io_uring_cqe *cqe)
{
	struct zc_fwd_buf *b;
	struct iovec iov;
	int idx;

	if (!f || !cqe || io_uring_zcrx_get_buf(f->zc, cqe, &iov))
		return -EINVAL;
	if (f->free_buf < 0) {
		unsigned int cap = f->cap_bufs * 2, i;
		struct zc_fwd_buf *nb;

		if (cap > (1U << 30))
			return -ENOMEM;
		nb = realloc(f->bufs, cap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + f->cap_bufs, 0, (cap - f->cap_bufs) * sizeof(*nb));
		for (i = f->cap_bufs; i < cap; i++)
			nb[i].next = i + 1 < cap ? (int)i + 1 : -1;
		f->free_buf = f->cap_bufs;
		f->bufs = nb;
		f->cap_bufs = cap;
	}
	idx = f->free_buf;
	b = &f->bufs[idx];
	f->free_buf = b->next;
	b->pos = (char *)iov.iov_base - f->zc->area;
	b->len = iov.iov_len;
	b->refs = 0;
	b->holder = 1;
	b->state = ZC_BUF_HELD;
	b->next = -1;
	f->held++;
	return idx;
}

/**
 * io_uring_zcrx_fwd_buf() - where a held buffer's data is
 * @f: the helper
 * @buf: a handle of io_uring_zcrx_fwd_hold()
 * @iov: filled with the data's address and length
 *
 * Return: 0, or -EINVAL for a handle that is not held.
 */
int io_uring_zcrx_fwd_buf(const struct io_uring_zcrx_fwd *f, int buf,
			  struct iovec *iov)
{
	if (!f || !iov || !zc_fwd_valid_buf(f, buf))
		return -EINVAL;
	iov->iov_base = f->zc->area + f->bufs[buf].pos;
	iov->iov_len = f->bufs[buf].len;
	return 0;
}

/**
 * io_uring_zcrx_fwd_put() - let go of a held buffer
 * @f: the helper
 * @buf: a handle of io_uring_zcrx_fwd_hold()
 *
 * The buffer goes back to the refill ring now if no send or write reads
 * it, else when the last of them completes.  The handle is then invalid.
 *
 * Return: 0; -EINVAL for a handle the caller does not hold (a second put
 * cannot take a request's reference); or the -errno of the return, which
 * is retried on the helper's next completion or flush.
 */
int io_uring_zcrx_fwd_put(struct io_uring_zcrx_fwd *f, int buf)
{
	if (!f || !zc_fwd_valid_buf(f, buf) || !f->bufs[buf].holder)
		return -EINVAL;
	f->bufs[buf].holder = 0;
	if (f->bufs[buf].refs)
		return 0;
	zc_fwd_release(f, buf);
	return zc_fwd_push(f, 1);
}

/*
 * Check @bufs and take a request slot for them: their pieces as an iovec
 * with neighbours in the area merged, and a reference on each.
 */
static int zc_fwd_prep(struct io_uring_zcrx_fwd *f, const int *bufs,
		       unsigned int nr, int kind, __u64 cookie,
		       struct zc_fwd_req **rp)
{
	struct zc_fwd_req *r;
	unsigned int i, n = 0;
	__u64 total = 0;
	int idx;

	if (!f || !bufs || !nr || nr > IO_URING_ZCRX_FWD_MAX_BUFS)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		unsigned int j;

		if (!zc_fwd_valid_buf(f, bufs[i]) || !f->bufs[bufs[i]].holder)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (bufs[j] == bufs[i])
				return -EINVAL;
		total += f->bufs[bufs[i]].len;
	}
	/* the result is an int */
	if (total > 0x7fffffffULL)
		return -EINVAL;
	if (f->free_req < 0)
		return -EBUSY;
	idx = f->free_req;
	r = &f->reqs[idx];
	f->free_req = r->next_free;
	r->kind = kind;
	r->result_seen = r->more = r->notif_seen = 0;
	r->cookie = cookie;
	r->nr = nr;
	for (i = 0; i < nr; i++) {
		struct zc_fwd_buf *b = &f->bufs[bufs[i]];
		char *base = f->zc->area + b->pos;

		r->bufs[i] = bufs[i];
		b->refs++;
		if (n && (char *)r->iov[n - 1].iov_base + r->iov[n - 1].iov_len == base) {
			r->iov[n - 1].iov_len += b->len;
			continue;
		}
		r->iov[n].iov_base = base;
		r->iov[n].iov_len = b->len;
		n++;
	}
	memset(&r->msg, 0, sizeof(r->msg));
	r->msg.msg_iov = r->iov;
	r->msg.msg_iovlen = n;
	f->inflight++;
	*rp = r;
	return 0;
}

static __u64 zc_fwd_user_data(const struct io_uring_zcrx_fwd *f,
			      const struct zc_fwd_req *r)
{
	return f->tag << 32 | (__u64)(r - f->reqs);
}

/**
 * io_uring_zcrx_prep_sendmsg_zc() - send held buffers without a copy
 * @f: the helper
 * @sqe: the submission entry to fill
 * @sockfd: the socket to send on
 * @bufs: handles of held buffers, in the order their bytes are to go
 * @nr: how many (1 to IO_URING_ZCRX_FWD_MAX_BUFS)
 * @msg_flags: as for sendmsg(2)
 * @cookie: reported back by io_uring_zcrx_fwd_complete()
 *
 * One IORING_OP_SEND_ZC (one piece, or pieces that follow each other in
 * the area) or IORING_OP_SENDMSG_ZC, with IORING_SEND_ZC_REPORT_USAGE so
 * that the notification tells whether the kernel had to copy.  Each
 * buffer is referenced until the notification, whatever the caller does
 * with its own handle meanwhile.  On a stream socket, pass MSG_WAITALL
 * (else a send the socket took in part completes short), and have one
 * send in flight at a time, or link them: io_uring does not keep two in
 * order.  The helper sets the entry's user_data; the caller must not.
 *
 * Return: 0; -EINVAL for a handle not held, one named twice, or more than
 * 2 GiB; -EBUSY when all of the helper's entries are in flight.
 */
int io_uring_zcrx_prep_sendmsg_zc(struct io_uring_zcrx_fwd *f,
				  struct io_uring_sqe *sqe, int sockfd,
				  const int *bufs, unsigned int nr,
				  int msg_flags, __u64 cookie)
{
	struct zc_fwd_req *r;
	int ret;

	if (!sqe)
		return -EINVAL;
	ret = zc_fwd_prep(f, bufs, nr, IO_URING_ZCRX_FWD_SEND, cookie, &r);
	if (ret)
		return ret;
	if (r->msg.msg_iovlen == 1) {
		io_uring_prep_send_zc(sqe, sockfd, r->iov[0].iov_base,
				      r->iov[0].iov_len, msg_flags,
				      IORING_SEND_ZC_REPORT_USAGE);
	} else {
		io_uring_prep_sendmsg_zc(sqe, sockfd, &r->msg, msg_flags);
		sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
	}
	io_uring_sqe_set_data64(sqe, zc_fwd_user_data(f, r));
	return 0;
}

/**
 * io_uring_zcrx_prep_writev() - write held buffers to a file
 * @f: the helper
 * @sqe: the submission entry to fill
 * @fd: the file (for no copy at all: opened with O_DIRECT, with every
 *	piece and @offset aligned as the file system asks)
 * @bufs: handles of held buffers, in file order
 * @nr: how many (1 to IO_URING_ZCRX_FWD_MAX_BUFS)
 * @offset: where in the file
 * @cookie: reported back by io_uring_zcrx_fwd_complete()
 *
 * One IORING_OP_WRITE or IORING_OP_WRITEV; each buffer is referenced
 * until its completion.  A short write is the caller's to finish.  The
 * helper sets the entry's user_data; the caller must not.
 *
 * Return: as io_uring_zcrx_prep_sendmsg_zc().
 */
int io_uring_zcrx_prep_writev(struct io_uring_zcrx_fwd *f,
			      struct io_uring_sqe *sqe, int fd,
			      const int *bufs, unsigned int nr,
			      __u64 offset, __u64 cookie)
{
	struct zc_fwd_req *r;
	int ret;

	if (!sqe)
		return -EINVAL;
	ret = zc_fwd_prep(f, bufs, nr, IO_URING_ZCRX_FWD_WRITE, cookie, &r);
	if (ret)
		return ret;
	if (r->msg.msg_iovlen == 1)
		io_uring_prep_write(sqe, fd, r->iov[0].iov_base,
				    r->iov[0].iov_len, offset);
	else
		io_uring_prep_writev(sqe, fd, r->iov, r->msg.msg_iovlen,
				     offset);
	io_uring_sqe_set_data64(sqe, zc_fwd_user_data(f, r));
	return 0;
}

/**
 * io_uring_zcrx_prep_send_zc_cqe() - send the data of one completion
 * @f: the helper
 * @sqe: the submission entry to fill
 * @sockfd: the socket to send on
 * @cqe: a RECV_ZC completion with data
 * @msg_flags: as for send(2)
 * @cookie: reported back by io_uring_zcrx_fwd_complete()
 *
 * io_uring_zcrx_fwd_hold(), io_uring_zcrx_prep_sendmsg_zc() and
 * io_uring_zcrx_fwd_put() in one: on success the buffer is the helper's
 * and goes back after the notification; on failure it is still the
 * caller's, as if nothing had happened.
 *
 * Return: as io_uring_zcrx_prep_sendmsg_zc().
 */
int io_uring_zcrx_prep_send_zc_cqe(struct io_uring_zcrx_fwd *f,
				   struct io_uring_sqe *sqe, int sockfd,
				   const struct io_uring_cqe *cqe,
				   int msg_flags, __u64 cookie)
{
	int buf, ret;

	if (!sqe)
		return -EINVAL;
	buf = io_uring_zcrx_fwd_hold(f, cqe);
	if (buf < 0)
		return buf;
	ret = io_uring_zcrx_prep_sendmsg_zc(f, sqe, sockfd, &buf, 1,
					    msg_flags, cookie);
	if (ret) {
		/* not returned: the caller keeps the completion's buffer */
		f->bufs[buf].state = ZC_BUF_FREE;
		f->bufs[buf].next = f->free_buf;
		f->free_buf = buf;
		f->held--;
		return ret;
	}
	f->bufs[buf].holder = 0;
	return 0;
}

/* the request has seen its last completion: drop its references */
static void zc_fwd_req_done(struct io_uring_zcrx_fwd *f, struct zc_fwd_req *r)
{
	unsigned int i;

	for (i = 0; i < r->nr; i++) {
		struct zc_fwd_buf *b = &f->bufs[r->bufs[i]];

		if (!--b->refs && !b->holder)
			zc_fwd_release(f, r->bufs[i]);
	}
	r->kind = 0;
	r->next_free = f->free_req;
	f->free_req = r - f->reqs;
	f->inflight--;
}

/**
 * io_uring_zcrx_fwd_complete() - account a completion of the helper's
 * @f: the helper
 * @cqe: any completion of the ring
 * @out: filled when the completion is the helper's
 *
 * A send has two completions: its result (IO_URING_ZCRX_FWD_RESULT), and,
 * when that carried IORING_CQE_F_MORE, its notification, which may carry
 * IO_URING_ZCRX_FWD_COPIED; a write has one.  The one that ends the
 * request carries IO_URING_ZCRX_FWD_DONE: the request's buffers that
 * nothing else references are then back in the refill ring (or queued for
 * it while it is full; io_uring_zcrx_fwd_flush()).
 *
 * Return: 1 if @cqe was the helper's (the caller must not look at it
 * further), 0 if not, -EINVAL for the helper's tag with a slot that is
 * not in flight.
 */
int io_uring_zcrx_fwd_complete(struct io_uring_zcrx_fwd *f,
			       const struct io_uring_cqe *cqe,
			       struct io_uring_zcrx_fwd_cqe *out)
{
	struct zc_fwd_req *r;
	__u64 slot;

	if (!f || !cqe || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (cqe->user_data >> 32 != f->tag)
		return 0;
	slot = cqe->user_data & 0xffffffffULL;
	if (slot >= f->nr_reqs || !f->reqs[slot].kind)
		return -EINVAL;
	r = &f->reqs[slot];
	out->cookie = r->cookie;
	out->flags = r->kind;
	if (r->kind == IO_URING_ZCRX_FWD_SEND && (cqe->flags & IORING_CQE_F_NOTIF)) {
		if (r->notif_seen)
			return -EINVAL;
		r->notif_seen = 1;
		if ((__u32)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
			out->flags |= IO_URING_ZCRX_FWD_COPIED;
	} else {
		if (r->result_seen)
			return -EINVAL;
		r->result_seen = 1;
		r->more = r->kind == IO_URING_ZCRX_FWD_SEND &&
			  (cqe->flags & IORING_CQE_F_MORE);
		out->res = cqe->res;
		out->flags |= IO_URING_ZCRX_FWD_RESULT;
	}
	if (r->result_seen && (!r->more || r->notif_seen)) {
		zc_fwd_req_done(f, r);
		out->flags |= IO_URING_ZCRX_FWD_DONE;
		/* a full refill ring is retried later, never an error here */
		zc_fwd_push(f, 1);
	}
	return 1;
}

/**
 * io_uring_zcrx_fwd_inflight() - sends and writes not yet done
 * @f: the helper
 *
 * Return: their number.
 */
unsigned int io_uring_zcrx_fwd_inflight(const struct io_uring_zcrx_fwd *f)
{
	return f ? f->inflight : 0;
}

/**
 * io_uring_zcrx_fwd_held() - buffers not yet back in the refill ring
 * @f: the helper
 *
 * Return: the buffers held by the caller, read by a request, or waiting
 * for room in the refill ring.
 */
unsigned int io_uring_zcrx_fwd_held(const struct io_uring_zcrx_fwd *f)
{
	return f ? f->held : 0;
}

/**
 * io_uring_zcrx_fwd_flush() - push buffers waiting for the refill ring
 * @f: the helper
 *
 * Return: 0 when none waits any more, -ENOSPC if the ring is still full,
 * or the kernel's -errno.
 */
int io_uring_zcrx_fwd_flush(struct io_uring_zcrx_fwd *f)
{
	if (!f)
		return -EINVAL;
	return zc_fwd_push(f, 1);
}
