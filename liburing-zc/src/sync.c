/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * A synchronous zero-copy receive for programs not built around a ring:
 * io_uring_zcrx_readv() blocks until data is there and describes where it
 * landed in the area; io_uring_zcrx_release() gives the buffers back.
 * Behind it, one ring and one context, and a multishot RECV_ZC per socket
 * whose completions wait in a per-socket queue until asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "lib.h"

/* completions a ring can hold before the kernel must stop posting */
#define ZC_SYNC_SQ_ENTRIES	64
#define ZC_SYNC_CQ_ENTRIES	4096

struct zc_piece {
	__u64	pos;		/* byte offset in the area */
	__u32	len;
};

struct zc_sock {
	int	fd;
	int	armed;		/* a RECV_ZC is in flight */
	int	end;		/* 1: EOF seen; < 0: error to report */
	struct zc_piece *q;	/* received, not yet handed out */
	unsigned int head, tail, cap;	/* cap a power of two */
};

struct io_uring_zcrx_sync {
	struct io_uring ring;
	struct io_uring_zcrx zc;
	struct zc_sock *socks;
	unsigned int nr_socks;
	unsigned int cap_socks;
};

/**
 * io_uring_zcrx_sync_open() - set up a ring and a context for readv-style use
 * @sp: where the handle goes
 * @p: as for io_uring_zcrx_setup()
 *
 * The handle belongs to the calling thread (the ring is single issuer).
 *
 * Return: 0, -EINVAL for parameters with an event_desc (an event's
 * completion is no socket's), or the -errno of the ring's or the
 * context's set-up (-EOPNOTSUPP on a kernel without zero-copy receive).
 */
int io_uring_zcrx_sync_open(struct io_uring_zcrx_sync **sp,
			    const struct io_uring_zcrx_params *p)
{
	struct io_uring_zcrx_sync *s;
	struct io_uring_params rp;
	int ret;

	if (!sp)
		return -EINVAL;
	*sp = NULL;
	/* event completions would be taken for a socket's: not here */
	if (!p || p->event_desc)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(&rp, 0, sizeof(rp));
	rp.flags = IORING_SETUP_CQSIZE;
	rp.cq_entries = ZC_SYNC_CQ_ENTRIES;
	ret = io_uring_zcrx_queue_init_params(ZC_SYNC_SQ_ENTRIES, &s->ring, &rp);
	if (ret)
		goto err_free;
	ret = io_uring_zcrx_setup(&s->ring, &s->zc, p);
	if (ret)
		goto err_ring;
	*sp = s;
	return 0;

err_ring:
	io_uring_queue_exit(&s->ring);
err_free:
	free(s);
	return ret;
}

/**
 * io_uring_zcrx_sync_ctx() - the context behind a synchronous handle
 * @s: the handle
 *
 * Return: the context (its id, area and refill ring), or NULL for NULL.
 */
struct io_uring_zcrx *io_uring_zcrx_sync_ctx(struct io_uring_zcrx_sync *s)
{
	return s ? &s->zc : NULL;
}

static struct zc_sock *zc_sock_find(struct io_uring_zcrx_sync *s, int fd)
{
	unsigned int i;

	for (i = 0; i < s->nr_socks; i++)
		if (s->socks[i].fd == fd)
			return &s->socks[i];
	return NULL;
}

static struct zc_sock *zc_sock_get(struct io_uring_zcrx_sync *s, int fd)
{
	struct zc_sock *sk = zc_sock_find(s, fd);

	if (sk)
		return sk;
	if (s->nr_socks == s->cap_socks) {
		unsigned int cap = s->cap_socks ? 2 * s->cap_socks : 4;
		struct zc_sock *n = realloc(s->socks, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->socks = n;
		s->cap_socks = cap;
	}
	sk = &s->socks[s->nr_socks++];
	memset(sk, 0, sizeof(*sk));
	sk->fd = fd;
	return sk;
}

/* the stream of @sk has ended and been reported: forget the socket */
static void zc_sock_drop(struct io_uring_zcrx_sync *s, struct zc_sock *sk)
{
	free(sk->q);
	*sk = s->socks[--s->nr_socks];
}

static int zc_sock_push(struct zc_sock *sk, __u64 pos, __u32 len)
{
	if (sk->tail - sk->head == sk->cap) {
		unsigned int cap = sk->cap ? 2 * sk->cap : 64;
		struct zc_piece *n = malloc(cap * sizeof(*n));
		unsigned int i;

		if (!n)
			return -ENOMEM;
		for (i = 0; i < sk->cap; i++)
			n[i] = sk->q[(sk->head + i) & (sk->cap - 1)];
		free(sk->q);
		sk->q = n;
		sk->tail = sk->cap;
		sk->head = 0;
		sk->cap = cap;
	}
	sk->q[sk->tail++ & (sk->cap - 1)] = (struct zc_piece){ pos, len };
	return 0;
}

/* file the completions that are there under their sockets */
static int zc_sync_reap(struct io_uring_zcrx_sync *s)
{
	struct io_uring_cqe *cqe;
	int ret = 0;

	while (!io_uring_peek_cqe(&s->ring, &cqe)) {
		struct zc_sock *sk = zc_sock_find(s, (int)cqe->user_data);
		struct iovec iov;

		if (!sk) {
			/* a socket no longer tracked: give the data back */
			if (cqe->res > 0)
				io_uring_zcrx_return(&s->zc, cqe);
		} else if (cqe->res > 0) {
			if (io_uring_zcrx_get_buf(&s->zc, cqe, &iov) ||
			    zc_sock_push(sk, (char *)iov.iov_base - s->zc.area,
					 cqe->res)) {
				/* cannot keep it: never lose it either */
				io_uring_zcrx_return(&s->zc, cqe);
				if (!sk->end)
					sk->end = -ENOMEM;
				ret = -ENOMEM;
			}
		}
		if (sk && !(cqe->flags & IORING_CQE_F_MORE)) {
			sk->armed = 0;
			/* a full CQ ends the request; ask again, quietly */
			if (cqe->res == 0 && !sk->end)
				sk->end = 1;
			else if (cqe->res < 0 && cqe->res != -ENOSPC && !sk->end)
				sk->end = cqe->res;
		}
		io_uring_cqe_seen(&s->ring, cqe);
	}
	return ret;
}

/**
 * io_uring_zcrx_readv() - wait for data on a socket, without copying it
 * @s: the handle
 * @sockfd: a TCP socket whose flow the context's queue receives
 * @iov: filled with pieces of the area that hold the data, in order
 * @iovcnt: room in @iov
 *
 * Blocks until at least one piece is there.  Each piece stays the
 * caller's until io_uring_zcrx_release() hands it back.  The handle
 * tracks @sockfd from the first call until it reports the end of the
 * stream or an error: read until then before closing the socket.
 *
 * Return: the number of pieces filled in (at least 1), 0 at end of
 * stream, or -errno: the receive's error (-ENOMEM when the area is out of
 * buffers because too many are held, or memory for the bookkeeping ran
 * out; the next call asks again), -EINTR when a signal came, -EBUSY when
 * the submission queue is full, -EINVAL for bad arguments.
 */
int io_uring_zcrx_readv(struct io_uring_zcrx_sync *s, int sockfd,
			struct iovec *iov, int iovcnt)
{
	struct zc_sock *sk;
	int n, ret;

	if (!s || sockfd < 0 || !iov || iovcnt <= 0)
		return -EINVAL;
	sk = zc_sock_get(s, sockfd);
	if (!sk)
		return -ENOMEM;

	while (sk->head == sk->tail) {
		if (sk->end == 1 && !sk->armed) {
			/* a later call (or a new socket with this fd) starts anew */
			zc_sock_drop(s, sk);
			return 0;
		}
		if (sk->end < 0) {
			ret = sk->end;
			sk->end = 0;
			if (!sk->armed && ret != -ENOMEM)
				zc_sock_drop(s, sk);
			return ret;
		}
		if (!sk->armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

			if (!sqe)
				return -EBUSY;
			io_uring_prep_recv_zc(sqe, sockfd, s->zc.id, 0, 0);
			io_uring_sqe_set_data64(sqe, (__u64)sockfd);
			sk->armed = 1;
		}
		ret = io_uring_submit_and_wait(&s->ring, 1);
		if (ret < 0)
			return ret;
		zc_sync_reap(s);
	}

	for (n = 0; n < iovcnt && sk->head != sk->tail; n++) {
		struct zc_piece *pc = &sk->q[sk->head++ & (sk->cap - 1)];

		iov[n].iov_base = s->zc.area + pc->pos;
		iov[n].iov_len = pc->len;
	}
	return n;
}

/**
 * io_uring_zcrx_release() - give pieces from io_uring_zcrx_readv() back
 * @s: the handle
 * @iov: the pieces, as readv filled them in
 * @iovcnt: how many
 *
 * Return: 0, -EINVAL for pieces not in the area, or -ENOSPC when the
 * refill ring cannot take them all (none is given back then).
 */
int io_uring_zcrx_release(struct io_uring_zcrx_sync *s,
			  const struct iovec *iov, int iovcnt)
{
	if (!s || iovcnt < 0)
		return -EINVAL;
	return io_uring_zcrx_return_iov(&s->zc, iov, (unsigned int)iovcnt);
}

/**
 * io_uring_zcrx_sync_close() - close the ring and unmap the memory
 * @s: the handle (NULL is fine)
 *
 * Pieces not yet released are gone with it.
 */
void io_uring_zcrx_sync_close(struct io_uring_zcrx_sync *s)
{
	unsigned int i;

	if (!s)
		return;
	io_uring_zcrx_teardown(&s->zc);
	io_uring_queue_exit(&s->ring);
	for (i = 0; i < s->nr_socks; i++)
		free(s->socks[i].q);
	free(s->socks);
	free(s);
}
