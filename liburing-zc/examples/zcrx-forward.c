/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * zcrx-forward: a TCP relay.  Accept one connection, connect to the next
 * hop, and pass the stream on until it ends.
 *
 *   zcrx-forward -p PORT -c ADDRESS -P PORT [-m MODE] [options]
 *
 *   -m zc       (default) receive with RECV_ZC into the area of -i/-q and
 *               send straight from it with SEND_ZC / SENDMSG_ZC; each
 *               buffer goes back to the refill ring after the send's
 *               notification (liburing-zc's forwarding helper)
 *   -m copy     recv() into a buffer and send() it: two copies
 *   -m splice   splice() through a pipe
 *   -i IFNAME -q QUEUE   the receiving NIC queue (-m zc)
 *   -6          listen on IPv6
 *   -a SIZE     area size (default 16M)
 *   -H          area in huge pages
 *   -b BUFLEN   area buffers of BUFLEN bytes (a power of two; with -H, up
 *               to what the NIC fills), page-sized ones if the NIC cannot
 *   -s EXPECTED fail unless exactly EXPECTED bytes were passed on
 *
 * Exits 0 when the whole stream went on, 3 on a kernel without zero-copy
 * receive (-m zc), 1 otherwise.  The last line is a summary:
 *   result: mode=M bytes=B secs=S cpu=C sends=N notifs=N notif_copied=N
 *           zc_bytes=Z copy_bytes=Y left=L
 * notif_copied counts the sends whose notification said the kernel had
 * to copy (IORING_NOTIF_USAGE_ZC_COPIED); zc_bytes and copy_bytes are
 * the receive side's counters (-1 without RECV_ZC); L the buffers that
 * were not back in the refill ring when the relay ended (0 unless a send
 * was still in flight).
 */
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>

#include <liburing-zc.h>

#include "ring.h"

#define CHUNK		(64 << 10)
/* sends whose notification has not come yet: the peer has not acked them */
#define ENTRIES		256

struct relay {
	int src, dst;
	uint64_t bytes;		/* passed on */
	uint64_t received;
	uint64_t sends, notifs, copied;
	unsigned int left;	/* buffers not back in the refill ring at the end */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: zcrx-forward -p PORT -c ADDRESS -P PORT [-m zc|copy|splice] "
		"[-i IFNAME -q QUEUE] [-6] [-a SIZE] [-H] [-b BUFLEN] [-s EXPECTED]\n");
	exit(2);
}

/* send all of @len bytes at @p: 0 or -errno */
static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR && !stop)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int relay_copy(struct relay *r)
{
	static char buf[CHUNK];

	while (!stop) {
		ssize_t n = recv(r->src, buf, sizeof(buf), 0);
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		r->received += n;
		ret = send_all(r->dst, buf, n);
		if (ret)
			return ret;
		r->sends++;
		r->bytes += n;
	}
	return -EINTR;
}

static int relay_splice(struct relay *r)
{
	int p[2], ret = 0;

	if (pipe(p))
		return -errno;
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	while (!stop) {
		ssize_t n = splice(r->src, NULL, p[1], NULL, 1 << 20,
				   SPLICE_F_MOVE | SPLICE_F_MORE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n ? -errno : 0;
			break;
		}
		r->received += n;
		while (n > 0) {
			ssize_t m = splice(p[0], NULL, r->dst, NULL, n,
					   SPLICE_F_MOVE | SPLICE_F_MORE);

			if (m < 0 && errno == EINTR && !stop)
				continue;
			if (m <= 0) {
				ret = m ? -errno : -EPIPE;
				goto out;
			}
			n -= m;
			r->bytes += m;
			r->sends++;
		}
	}
	if (stop)
		ret = -EINTR;
out:
	close(p[0]);
	close(p[1]);
	return ret;
}

/*
 * RECV_ZC in, SEND_ZC out.  Received buffers wait in a queue; one send at
 * a time (two sends in flight on a stream socket may overtake each other)
 * takes up to IO_URING_ZCRX_FWD_MAX_BUFS of them, and the helper gives
 * each back once that send's notification is in.
 */
static int relay_zc(struct relay *r, struct io_uring *ring,
		    struct io_uring_zcrx *zc)
{
	struct zc_fifo pending = { 0 };
	struct io_uring_zcrx_fwd *f;
	struct io_uring_sqe *sqe;
	uint64_t in_send = 0;
	int ret, eof = 0, err = 0, sending = 0;

	ret = io_uring_zcrx_fwd_init(&f, zc, ENTRIES, 0);
	if (ret)
		return ret;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv_zc(sqe, r->src, zc->id, 0, 0);
	/* an entry keeps the user_data of its last use: not the helper's */
	io_uring_sqe_set_data64(sqe, 0);
	while (!stop) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (!sending && !zc_fifo_empty(&pending) && !err &&
		    io_uring_zcrx_fwd_inflight(f) < ENTRIES) {
			int bufs[IO_URING_ZCRX_FWD_MAX_BUFS];
			unsigned int n = 0, i;

			in_send = 0;
			while (!zc_fifo_empty(&pending) && n < IO_URING_ZCRX_FWD_MAX_BUFS) {
				struct zc_piece pc = zc_fifo_pop(&pending);

				bufs[n++] = pc.buf;
				in_send += pc.len;
			}
			sqe = io_uring_get_sqe(ring);
			/*
			 * MSG_WAITALL: all of it or an error.  MSG_EOR: the
			 * next send starts a segment of its own, so that its
			 * notification reports on its own data alone.
			 */
			ret = io_uring_zcrx_prep_sendmsg_zc(f, sqe, r->dst, bufs, n,
							    MSG_NOSIGNAL | MSG_WAITALL |
							    MSG_EOR, 0);
			/* on success the send holds them now; else they go back */
			for (i = 0; i < n; i++)
				io_uring_zcrx_fwd_put(f, bufs[i]);
			if (ret) {
				/* the entry must not go out as it was last used */
				io_uring_prep_nop(sqe);
				io_uring_sqe_set_data64(sqe, 0);
				err = ret;
				break;
			}
			sending = 1;
		}
		if (eof && !sending && zc_fifo_empty(&pending) &&
		    !io_uring_zcrx_fwd_inflight(f))
			break;
		if (err && !io_uring_zcrx_fwd_inflight(f))
			break;

		ret = io_uring_submit_and_wait(ring, 1);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			err = ret;
			break;
		}
		io_uring_for_each_cqe(ring, head, cqe) {
			struct io_uring_zcrx_fwd_cqe fc;
			int buf;

			seen++;
			ret = io_uring_zcrx_fwd_complete(f, cqe, &fc);
			if (ret < 0) {
				if (!err)
					err = ret;
				continue;
			}
			if (ret) {
				if (fc.flags & IO_URING_ZCRX_FWD_RESULT) {
					sending = 0;
					r->sends++;
					if (fc.res < 0 && !err)
						err = fc.res;
					else if (fc.res >= 0 && (uint64_t)fc.res != in_send && !err)
						err = -EPIPE;	/* a stream send ends short only when it ends */
					if (fc.res > 0)
						r->bytes += fc.res;
				} else {
					r->notifs++;
					if (fc.flags & IO_URING_ZCRX_FWD_COPIED)
						r->copied++;
				}
				continue;
			}
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				if (cqe->res == -ENOSPC) {
					sqe = io_uring_get_sqe(ring);
					io_uring_prep_recv_zc(sqe, r->src, zc->id, 0, 0);
					io_uring_sqe_set_data64(sqe, 0);
				} else if (cqe->res < 0 && !err) {
					err = cqe->res;
				} else if (!cqe->res) {
					eof = 1;
				}
			}
			if (cqe->res <= 0)
				continue;
			r->received += cqe->res;
			if (err) {
				/* nowhere to go: give it straight back */
				io_uring_zcrx_return(zc, cqe);
				continue;
			}
			buf = io_uring_zcrx_fwd_hold(f, cqe);
			if (buf < 0) {
				err = buf;
				io_uring_zcrx_return(zc, cqe);
				continue;
			}
			ret = zc_fifo_push(&pending, (struct zc_piece){
				.buf = buf, .len = cqe->res });
			if (ret) {
				err = ret;
				io_uring_zcrx_fwd_put(f, buf);
			}
		}
		io_uring_cq_advance(ring, seen);
	}
	/*
	 * On the way out, buffers still queued go back; the ones a send
	 * reads are the kernel's until the ring closes.
	 */
	while (!zc_fifo_empty(&pending))
		io_uring_zcrx_fwd_put(f, zc_fifo_pop(&pending).buf);
	free(pending.v);
	io_uring_zcrx_fwd_flush(f);
	r->left = io_uring_zcrx_fwd_held(f);
	if (stop && !err)
		err = -EINTR;
	/* with sends in flight (interrupted), the ring's close frees all */
	if (io_uring_zcrx_fwd_free(f) == -EBUSY && !err)
		err = -EBUSY;
	return err;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *mode = "zc", *addr = NULL, *dport = NULL;
	struct io_uring_zcrx_params zp;
	struct io_uring_zcrx zc;
	struct io_uring ring;
	struct relay r;
	long long zc_bytes = -1, copy_bytes = -1;
	uint64_t expected = 0;
	unsigned int port = 0, queue = 0;
	int family = AF_INET, opt, lfd, ret, rc = 0, zcmode;
	double t0, cpu0, secs, cpu;
	char tmp[64];

	memset(&zp, 0, sizeof(zp));
	memset(&r, 0, sizeof(r));
	while ((opt = getopt(argc, argv, "p:c:P:m:i:q:6a:Hb:s:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'c': addr = optarg; break;
		case 'P': dport = optarg; break;
		case 'm': mode = optarg; break;
		case 'i': ifname = optarg; break;
		case 'q': queue = atoi(optarg); break;
		case '6': family = AF_INET6; break;
		case 'a': zp.area_size = zc_parse_size(optarg); break;
		case 'H': zp.area_type = IO_URING_ZCRX_AREA_HUGE; break;
		case 'b':
			zp.rx_buf_len = (__u32)zc_parse_size(optarg);
			zp.flags |= IO_URING_ZCRX_BUF_FALLBACK;
			break;
		case 's': expected = zc_parse_size(optarg); break;
		default: usage();
		}
	}
	zcmode = !strcmp(mode, "zc");
	if (!port || port > 65535 || !addr || !dport ||
	    (!zcmode && strcmp(mode, "copy") && strcmp(mode, "splice")) ||
	    (zcmode && !ifname))
		usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (zcmode) {
		ret = zc_ring_setup("zcrx-forward", ifname, queue, 64, &zp, &ring, &zc);
		if (ret)
			return ret;
	}

	lfd = zc_listen(family, port);
	if (lfd < 0) {
		fprintf(stderr, "zcrx-forward: listen: %s\n", strerror(-lfd));
		rc = 1;
		goto out;
	}
	printf("listening on port %u, forwarding to %s port %s (%s)\n", port, addr,
	       dport, mode);
	fflush(stdout);
	r.src = accept(lfd, NULL, NULL);
	close(lfd);
	if (r.src < 0) {
		perror("zcrx-forward: accept");
		rc = 1;
		goto out;
	}
	r.dst = zc_connect(addr, dport);
	if (r.dst < 0) {
		fprintf(stderr, "zcrx-forward: connect: %s\n", strerror(-r.dst));
		close(r.src);
		rc = 1;
		goto out;
	}

	cpu0 = zc_cpu();
	t0 = zc_now();
	if (zcmode)
		ret = relay_zc(&r, &ring, &zc);
	else if (!strcmp(mode, "copy"))
		ret = relay_copy(&r);
	else
		ret = relay_splice(&r);
	if (!ret) {
		/* the stream's end goes on; the next hop closes once it has it all */
		shutdown(r.dst, SHUT_WR);
		while (recv(r.dst, tmp, sizeof(tmp), 0) > 0)
			;
	}
	secs = zc_now() - t0;
	cpu = zc_cpu() - cpu0;
	close(r.src);
	close(r.dst);
	if (ret) {
		fprintf(stderr, "zcrx-forward: after %llu bytes: %s\n",
			(unsigned long long)r.bytes, strerror(-ret));
		rc = 1;
	} else if (r.bytes != r.received || (expected && r.bytes != expected)) {
		fprintf(stderr, "zcrx-forward: received %llu bytes, passed on %llu, expected %llu\n",
			(unsigned long long)r.received, (unsigned long long)r.bytes,
			(unsigned long long)expected);
		rc = 1;
	}
	if (zcmode)
		zc_counters(ring.ring_fd, zc.id, &zc_bytes, &copy_bytes);
	printf("forwarded %llu bytes in %.2f s: %.1f MiB/s, %llu sends, CPU %.2f s\n",
	       (unsigned long long)r.bytes, secs,
	       secs > 0 ? r.bytes / secs / 1048576 : 0.0,
	       (unsigned long long)r.sends, cpu);
	printf("result: mode=%s bytes=%llu secs=%.3f cpu=%.3f sends=%llu notifs=%llu "
	       "notif_copied=%llu zc_bytes=%lld copy_bytes=%lld left=%u\n", mode,
	       (unsigned long long)r.bytes, secs, cpu, (unsigned long long)r.sends,
	       (unsigned long long)r.notifs, (unsigned long long)r.copied,
	       zc_bytes, copy_bytes, r.left);
out:
	if (zcmode) {
		io_uring_zcrx_teardown(&zc);
		io_uring_queue_exit(&ring);
	}
	return rc;
}
