// SPDX-License-Identifier: GPL-2.0
/*
 * How the cost of an interface queue grows with its size: registration
 * and release time and kernel memory for areas of 16 MiB to 1 GiB and
 * refill rings of 64 to 32768 entries, and the time to read the ring's
 * fdinfo, which must not grow with the area.  Device-less ifqs
 * (ZCRX_REG_NODEV), so that no NIC is needed; the area is faulted in
 * before it is registered, so that the memory figure is the kernel's own
 * (buffer descriptors, freelist, user references, the refill region).
 *
 *   zcrx_scale [-a "16M 64M 256M 1G"] [-q "64 512 4096 32768"] [-n reps]
 *              [-M]
 *
 * Prints one line per (area, rq_entries):
 *   scale: area=BYTES rq_entries=N reg_us=T release_us=T kernel_kib=K
 *          fdinfo_us=T
 * (median of -n repetitions): reg_us the registration call, release_us
 * from the ring's close() until its memory is back (the ifq goes in the
 * ring's exit work, so this is polled, to a millisecond or so),
 * kernel_kib the growth of the kernel's unreclaimable slab and vmalloc
 * memory across the registration (a system-wide figure: some tens of KiB
 * of noise, a new kworker's stack among them), fdinfo_us one read of
 * the ring's fdinfo.  Exits non-zero if a registration fails or the
 * memory does not come back, to within half of it or 512 KiB, within
 * five seconds.  -M leaves the memory out (kernel_kib=0, release_us the
 * close() alone): under KASAN, freed objects wait in a quarantine of
 * tens of MiB that fills and drains by itself, and kmemleak finds leaks.
 */
#include <getopt.h>
#include <sys/mman.h>

#include "zcrx_common.h"
#include "zcrx_uring.h"

#define MAX_REPS	16
#define FDINFO_READS	100
/* what the rest of an idle guest moves the kernel's memory by, at most */
#define RELEASE_SLACK_KIB	512
/* ... and at least (a kworker started meanwhile, with its stack) */
#define RELEASE_MIN_SLACK_KIB	128

static bool no_memory;

/* Fold the per-CPU deltas of the memory counters into their totals. */
static void fold_vmstat(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;	/* not root: the counters are only less exact */
	n = write(fd, "1", 1);
	close(fd);
	(void)n;
}

/*
 * The kernel's own allocations in KiB: unreclaimable slab (which counts
 * large kmalloc()s too) and vmalloc pages, where an ifq's arrays go.  Free
 * memory would also see the page cache that kswapd reclaims while a
 * large kmalloc() defragments, several MiB at a time.  The per-CPU
 * deltas of the counters are folded in first with @refresh (stat_refresh,
 * root only, a few milliseconds), or they hide a hundred KiB or more.
 */
static long long kernel_kib(bool refresh)
{
	long long v, sum = 0;
	char line[256];
	int seen = 0;
	FILE *f;

	if (refresh)
		fold_vmstat();
	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SUnreclaim: %lld kB", &v) == 1 ||
		    sscanf(line, "VmallocUsed: %lld kB", &v) == 1) {
			sum += v;
			seen++;
		}
	}
	fclose(f);
	return seen == 2 ? sum : -1;
}

static double fdinfo_read_us(int ring_fd)
{
	char path[64], buf[8192];
	double t0;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	t0 = zcrx_now() * 1e6;
	for (i = 0; i < FDINFO_READS; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	return (zcrx_now() * 1e6 - t0) / FDINFO_READS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One registration and release of a device-less ifq; -errno on failure. */
static int one(void *area, size_t area_len, unsigned int rq_entries,
	       double *reg_us, double *release_us, double *kib, double *fd_us)
{
	struct io_uring_zcrx_area_reg area_reg = {};
	struct io_uring_zcrx_ifq_reg reg = {};
	struct io_uring_region_desc rd = {};
	struct io_uring_params p = {};
	struct io_uring ring;
	long long m0, m1, slack;
	size_t rq_len;
	void *rq;
	double t0;
	int ret;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		  IORING_SETUP_CQE32;
	ret = io_uring_queue_init_params(8, &ring, &p);
	if (ret)
		return ret;
	rq_len = 4096 + (size_t)rq_entries * sizeof(struct io_uring_zcrx_rqe);
	rq_len = (rq_len + 4095) & ~4095UL;
	rq = mmap(NULL, rq_len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (rq == MAP_FAILED) {
		ret = -errno;
		io_uring_queue_exit(&ring);
		return ret;
	}
	area_reg.addr = (uintptr_t)area;
	area_reg.len = area_len;
	rd.user_addr = (uintptr_t)rq;
	rd.size = rq_len;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	reg.flags = ZCRX_REG_NODEV;
	reg.rq_entries = rq_entries;
	reg.area_ptr = (uintptr_t)&area_reg;
	reg.region_ptr = (uintptr_t)&rd;

	m0 = no_memory ? 0 : kernel_kib(true);
	if (m0 < 0) {
		io_uring_queue_exit(&ring);
		munmap(rq, rq_len);
		return -EIO;
	}
	t0 = zcrx_now() * 1e6;
	ret = zcrx_register_ifq(ring.ring_fd, &reg);
	*reg_us = zcrx_now() * 1e6 - t0;
	m1 = no_memory ? 0 : kernel_kib(true);
	if (ret || m1 < 0) {
		io_uring_queue_exit(&ring);
		munmap(rq, rq_len);
		return ret ? ret : -EIO;
	}
	*kib = m1 - m0;
	*fd_us = fdinfo_read_us(ring.ring_fd);
	t0 = zcrx_now() * 1e6;
	io_uring_queue_exit(&ring);
	munmap(rq, rq_len);
	/*
	 * The exit work frees the ifq a little later: wait for its memory,
	 * to within half of what it took (a leak of the whole ifq shows
	 * even for the smallest area), but no less than the noise and no
	 * more than RELEASE_SLACK_KIB.
	 */
	slack = (m1 - m0) / 2;
	if (slack > RELEASE_SLACK_KIB)
		slack = RELEASE_SLACK_KIB;
	if (slack < RELEASE_MIN_SLACK_KIB)
		slack = RELEASE_MIN_SLACK_KIB;
	for (ret = 0; !no_memory; ret++) {
		/* a quick look each millisecond, an exact one to confirm */
		m1 = kernel_kib(false);
		if (m1 >= 0 && m1 <= m0 + slack) {
			*release_us = zcrx_now() * 1e6 - t0;
			m1 = kernel_kib(true);
			if (m1 >= 0 && m1 <= m0 + slack)
				return 0;
		}
		if (m1 < 0)
			return -EIO;
		if (ret == 5000) {
			fprintf(stderr, "%lld KiB not back 5 s after close()\n",
				m1 - m0);
			return -ENOMEM;
		}
		usleep(1000);
	}
	*release_us = zcrx_now() * 1e6 - t0;
	return 0;
}

int main(int argc, char **argv)
{
	const char *areas = "16M 64M 256M 1G", *rqs = "64 512 4096 32768";
	char abuf[256], qbuf[256], *a, *q, *sa, *sq;
	int reps = 3, opt, ret, i;

	while ((opt = getopt(argc, argv, "a:q:n:M")) != -1) {
		switch (opt) {
		case 'a':
			areas = optarg;
			break;
		case 'q':
			rqs = optarg;
			break;
		case 'n':
			reps = atoi(optarg);
			break;
		case 'M':
			no_memory = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-a AREAS] [-q RQ_ENTRIES] [-n reps] [-M]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "-n takes 1 to %d\n", MAX_REPS);
		return 2;
	}
	snprintf(abuf, sizeof(abuf), "%s", areas);
	for (a = strtok_r(abuf, " ,", &sa); a; a = strtok_r(NULL, " ,", &sa)) {
		size_t len = zcrx_parse_size(a);
		void *area = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				  -1, 0);

		if (area == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		snprintf(qbuf, sizeof(qbuf), "%s", rqs);
		for (q = strtok_r(qbuf, " ,", &sq); q;
		     q = strtok_r(NULL, " ,", &sq)) {
			double r[MAX_REPS], u[MAX_REPS], k[MAX_REPS], f[MAX_REPS];

			for (i = 0; i < reps; i++) {
				ret = one(area, len, atoi(q), &r[i], &u[i],
					  &k[i], &f[i]);
				if (ret) {
					fprintf(stderr, "area %s, %s entries: %s\n",
						a, q, strerror(-ret));
					return 1;
				}
			}
			printf("scale: area=%zu rq_entries=%s reg_us=%.0f",
			       len, q, median(r, reps));
			printf(" release_us=%.0f kernel_kib=%.0f fdinfo_us=%.1f\n",
			       median(u, reps), median(k, reps),
			       median(f, reps));
			fflush(stdout);
		}
		munmap(area, len);
	}
	return 0;
}
