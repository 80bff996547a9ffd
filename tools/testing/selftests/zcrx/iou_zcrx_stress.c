// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, randomized stress and fault-injection campaign for io_uring
 * zero-copy receive over two linked netdevsim ports (see zcrx_test.h for
 * the environment).  Namespace B has three rx queues, tcp-data-split on and
 * one ntuple rule per test port:
 *
 *   slot 0: a ring with an ifq on queue 1, flows to ports 9400 (IPv4) and
 *           9401 (IPv6)
 *   slot 1: the same on queue 2, ports 9402 and 9403
 *   slot 2: queue 0, ports 9404 and 9405: registered and closed within one
 *           operation (spare rings, a receiver that is killed)
 *
 * Every operation is drawn from a PRNG seeded with the campaign's seed:
 * transfers on several flows with every byte checked against the pattern
 * of zcrx_common.h, refill entries mixed with garbage, CQ overflow and
 * re-issue, cancellation, held buffers, ring close and re-registration,
 * registrations that must fail, kill -9 of a receiver, queue restarts, link
 * down/up, urgent data and device deletion.  A quarter of the operations
 * run with fault injection on: failslab and fail_page_alloc through
 * debugfs, limited to this task with /proc/self/make-it-fail (random
 * failures at ZCRX_STRESS_FAIL_PCT percent) or /proc/thread-self/fail-nth
 * (the n-th allocation of the next calls fails, n from the seed).
 *
 * After every operation: no kernel splat in /dev/kmsg, the fdinfo
 * accounting of every open ifq matches what the application owns, every
 * byte that arrived was right (or the request ended with a documented
 * errno), and after every disruption a small transfer proves the queue
 * usable again.  kmemleak is cleared at the start and scanned at the end
 * (and every ZCRX_STRESS_LEAK_EVERY seconds); scripts/vm-run scans it
 * again after the run.
 *
 * What fault injection covers: only allocations made in this task's own
 * context (in_task() with make-it-fail set): ring setup, registration,
 * RECV_ZC issue and its task work, the refill ring flush, cancellation,
 * queue restarts and link up (written from this task), socket calls.
 * Softirq work is never failed with the task filter, even when it runs on
 * this task's stack: the netdevsim rx path, page pool refills from the
 * refill ring in NAPI, and TCP's rx processing stay untouched.  The
 * senders are non-blocking sockets of this task in namespace A, written
 * whenever the receiver waits; random faults are paused while they send.
 *
 * Environment (or options):
 *   ZCRX_STRESS_SEED      (-s) the seed; default: from the clock, printed
 *   ZCRX_STRESS_OPS       (-n) operations; default 10000 (0: no limit)
 *   ZCRX_STRESS_DURATION  (-d) run time limit: 90, 90s, 30m, 1h
 *   ZCRX_STRESS_URGENT    (-u) urgent data on (1, default) or off (0)
 *   ZCRX_STRESS_FAULTS    (-f) fault injection on (1, default) or off (0)
 *   ZCRX_STRESS_FAIL_PCT  (-p) failslab/fail_page_alloc probability, %
 *   ZCRX_STRESS_LEAK_EVERY (-l) kmemleak scan period in seconds (0: only
 *                         at the end)
 *   ZCRX_STRESS_PROFILE   (-P) quick (the default) or full (make stress,
 *                         make check-full): see weight() below
 *   ZCRX_STRESS_RARE_EVERY (-r) each expensive kind once in this many
 *                         operations (default 5000, full 1000; 0: drawn
 *                         only)
 *   ZCRX_STRESS_MAX_SEND  (-m) the largest payload drawn for one send, in
 *                         bytes (default 8 KiB, full 1 MiB; filling a CQ
 *                         takes more)
 *   ZCRX_STRESS_SKIP      operations to leave out: names, comma-separated
 *   ZCRX_STRESS_VERBOSE   print every operation
 *
 * A failure prints the seed and the command that replays the run.  The
 * sequence of operations and the fail-nth points depend on the seed alone;
 * the random failures of make-it-fail come from the kernel's PRNG, so
 * replay with ZCRX_STRESS_FAIL_PCT=0 to keep only the reproducible ones.
 */
#define _GNU_SOURCE
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "../kselftest.h"
#include "zcrx_common.h"
#include "zcrx_uring.h"

#define IFNAME		"eth0"
#define NR_QUEUES	3
#define NR_SLOTS	3	/* slot i on queue (i + 1) % NR_QUEUES */
#define SPARE		2	/* the slot of queue 0 */
#define NR_FLOWS	2
#define PORT_BASE	9400
#define RING_FLAGS	(IORING_SETUP_DEFER_TASKRUN | \
			 IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_CQE32)
#define SQ_ENTRIES	8
#define AREA_LEN	(1UL << 20)
#define RQ_ENTRIES	256
#define HOLD_MAX	96	/* buffers the application keeps at most */
#define STALL_MS	60000
#define CANCEL_UD	(1ULL << 40)	/* user_data of cancel requests */
#define PROBE_UD	(1ULL << 41)	/* ... that look for a lost end */
#define KiB		1024ULL
#define MiB		(1024ULL * 1024)

/* user_data of a RECV_ZC: flow index and incarnation. */
#define UD(f)		((__u64)(f)->idx | ((__u64)(f)->gen << 8))

static const char *const splat_words[] = {
	"BUG:", "WARNING:", "KASAN:", "UBSAN:", "Oops", "general protection",
	"refcount_t:", "unreferenced object", "stalled pool shutdown",
	"blocked for more than", "soft lockup", "hard LOCKUP", "detected stall",
	"Kernel panic", "list_add corruption", "list_del corruption",
};

/* options, the PRNG, failure */

static unsigned long long seed;
static unsigned long long rng;
static unsigned long max_ops = 10000;
static unsigned long duration_s;
static bool opt_urgent = true;
static bool opt_faults = true;
static int fail_pct = 5;
static unsigned long leak_every;
static bool full_profile;		/* make stress's, not the default */
static unsigned long rare_every = ULONG_MAX;	/* unset: the profile's */
static unsigned long max_send;		/* largest send drawn, bytes */

static unsigned long op_no;
static const char *op_name = "setup";
static const char *stage = "-";	/* where inside the operation */
static const char *skip;		/* operations left out, by name */
static char op_log[16][320];	/* the last operations, for a failure */

static unsigned long long rnd64(void)
{
	/* splitmix64 */
	unsigned long long z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long rnd(unsigned long n)
{
	return n ? rnd64() % n : 0;
}

/* A size range no larger than ZCRX_STRESS_MAX_SEND. */
static unsigned long capped(unsigned long n)
{
	return n < max_send ? n : max_send;
}

/* A payload of 1 to @n bytes (at most ZCRX_STRESS_MAX_SEND). */
static uint32_t rnd_len(unsigned long n)
{
	return 1 + rnd(capped(n));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static size_t pagesz(void)
{
	static size_t sz;

	if (!sz)
		sz = sysconf(_SC_PAGESIZE);
	return sz;
}

static void cleanup(void);

static void replay_hint(void)
{
	ksft_print_msg("seed %llu; replay: ZCRX_STRESS_SEED=%llu ZCRX_STRESS_OPS=%lu ZCRX_STRESS_DURATION=%lu ZCRX_STRESS_URGENT=%d ZCRX_STRESS_FAULTS=%d ZCRX_STRESS_FAIL_PCT=%d ZCRX_STRESS_PROFILE=%s ZCRX_STRESS_RARE_EVERY=%lu ZCRX_STRESS_MAX_SEND=%lu ./iou_zcrx_stress\n",
		       seed, seed, max_ops, duration_s, opt_urgent, opt_faults,
		       fail_pct, full_profile ? "full" : "quick", rare_every,
		       max_send);
}

static void fault_off(void);

static __noreturn __printf(1, 2) void die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int i;

	fault_off();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksft_print_msg("FAIL at operation %lu (%s, at %s): %s\n", op_no,
		       op_name, stage, msg);
	ksft_print_msg("the last operations:\n");
	for (i = 15; i >= 0; i--) {
		const char *l = op_log[(op_no + 16 - i) % 16];

		if (*l)
			ksft_print_msg("  %s\n", l);
	}
	replay_hint();
	cleanup();
	ksft_test_result_fail("stress campaign\n");
	ksft_finished();
	exit(KSFT_FAIL);
}

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond))							\
		die("%s:%d: " fmt, __func__, __LINE__, ##__VA_ARGS__);	\
} while (0)

static bool verbose;

/*
 * The current operation's line in the log: "#N kind", then what logop()
 * and lognote() add (what it does, flows it opened with their options).
 */
static void logstart(void)
{
	snprintf(op_log[op_no % 16], sizeof(op_log[0]), "#%lu %s", op_no,
		 op_name);
}

static void vlogadd(const char *sep, const char *fmt, va_list ap)
{
	char *l = op_log[op_no % 16];
	size_t n = strlen(l);

	n += snprintf(l + n, sizeof(op_log[0]) - n, "%s", sep);
	if (n < sizeof(op_log[0]))
		vsnprintf(l + n, sizeof(op_log[0]) - n, fmt, ap);
}

static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogadd(": ", fmt, ap);
	va_end(ap);
	if (verbose)
		ksft_print_msg("%s\n", op_log[op_no % 16]);
}

static void lognote(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogadd("; ", fmt, ap);
	va_end(ap);
}

/* Where in the operation we are, for a failure (printed if verbose). */
/* With ZCRX_STRESS_VERBOSE, each stage and the time since the last one. */
static void setstage(const char *where)
{
	static uint64_t last;
	uint64_t t = now_ms();

	stage = where;
	if (verbose)
		ksft_print_msg("  %s (+%llu ms)\n", where,
			       (unsigned long long)(last ? t - last : 0));
	last = t;
}

/* An operation that never ends is a failure too. */
#define OP_LIMIT_S	900

static void watchdog(int sig)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	/* the blocked tasks, for the kernel log */
	if (fd >= 0) {
		if (write(fd, "w", 1) != 1)
			ksft_print_msg("no sysrq\n");
		close(fd);
	}
	die("still running after %d s", OP_LIMIT_S);
}

/* statistics */

enum op_kind {
	OP_XFER, OP_GARBAGE, OP_HOLD, OP_CANCEL, OP_BADREG, OP_REOPEN,
	OP_OVERFLOW, OP_SPARE, OP_RESTART, OP_URGENT, OP_FLOWCYCLE, OP_LINK,
	OP_KILL, OP_DEVDEL, NR_OPS,
};

/*
 * Draws per 10000.  The cheap operations on the rings and flows that stay
 * open make up the mix; the expensive ones (a new ring and registration,
 * which restarts the queue, a new sender, a link flap, a new device) are
 * rare draws and are also scheduled once every ZCRX_STRESS_RARE_EVERY
 * operations each, so that every run has a few of each.
 */
static const struct {
	const char *name;
	unsigned int weight;
	bool rare;
} ops[NR_OPS] = {
	[OP_XFER]	= { "transfer",		3500 },
	[OP_GARBAGE]	= { "refill-garbage",	2000 },
	[OP_HOLD]	= { "hold-return",	800 },
	[OP_CANCEL]	= { "cancel",		1200 },
	[OP_BADREG]	= { "bad-register",	1000 },
	[OP_REOPEN]	= { "ring-reopen",	4, true },
	[OP_OVERFLOW]	= { "cq-overflow",	300 },
	[OP_SPARE]	= { "spare-register",	4, true },
	[OP_RESTART]	= { "queue-restart",	4, true },
	[OP_URGENT]	= { "urgent",		800 },
	[OP_FLOWCYCLE]	= { "flow-cycle",	100 },
	[OP_LINK]	= { "link-flap",	4, true },
	[OP_KILL]	= { "kill-receiver",	4, true },
	[OP_DEVDEL]	= { "device-delete",	0, true },
};

/*
 * The quick profile (the default) keeps every kind and every check but
 * trades repetitions of the slowest for operations: under a debug kernel
 * an operation costs about what its packets cost, so sends of at most
 * 8 KiB, CQs of 8 or 16 entries, a fifth of the CQ overflows (each moves
 * a CQ's worth of buffers), a third of the urgent bytes, the expensive
 * kinds once in 5000 operations (three of each in 10,000), and one
 * device deletion, in the first pass.  The full profile (make stress,
 * make check-full) sends up to 1 MiB, fills CQs of up to 64 entries and
 * schedules a deletion with the other expensive kinds.
 */
static unsigned int weight(int k)
{
	if (k == OP_OVERFLOW && !full_profile)
		return ops[k].weight / 5;
	if (k == OP_URGENT && !full_profile)
		return ops[k].weight / 3;
	return ops[k].weight;
}

static struct {
	unsigned long ops[NR_OPS];
	uint64_t ms[NR_OPS], max_ms[NR_OPS];	/* time taken, per kind */
	unsigned long faulted;		/* operations run with faults armed */
	unsigned long fault_errs;	/* calls that failed under faults */
	unsigned long nth_fired;	/* fail-nth points that were hit */
	unsigned long long bytes;	/* received and checked */
	unsigned long cqes, enospc, enomem, cancelled, overflows;
	unsigned long garbage, rq_invalid, urg_inline, urg_skipped, urg_oob;
	unsigned long flows, regs, reg_retries, ebadr, verify;
	unsigned long devdel_armed;	/* requests cancelled after a deletion */
	unsigned long kmsg_lost, leak_scans, addr_restores, route_restores;
} st;

/* fault injection */

#define FI_TIMES	1000000000LL

static const char *const fi_dirs[] = {
	"/sys/kernel/debug/failslab",
	"/sys/kernel/debug/fail_page_alloc",
};

static bool fi_ready;
static int mif_fd = -1;		/* /proc/self/make-it-fail */
static int nth_fd = -1;		/* /proc/thread-self/fail-nth */
static bool fault_armed;
static bool fault_recent;	/* the last call ran with faults armed */

static int fi_write(const char *dir, const char *knob, const char *val)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static long long fi_read(const char *dir, const char *knob)
{
	char path[128], buf[64];
	long long v = -1;
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", dir, knob);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		v = strtoll(buf, NULL, 0);
	}
	return v;
}

/*
 * Failures for this task only; GFP_KERNEL allocations too (the default
 * fails only those that cannot sleep), but never user pages (highmem) so
 * that page faults of the program itself keep working.
 */
static int fi_setup(void)
{
	char pct[16];
	size_t i;

	snprintf(pct, sizeof(pct), "%d", fail_pct);
	for (i = 0; i < ARRAY_SIZE(fi_dirs); i++) {
		const char *d = fi_dirs[i];

		if (fi_write(d, "task-filter", "Y") ||
		    fi_write(d, "probability", pct) ||
		    fi_write(d, "interval", "1") ||
		    fi_write(d, "space", "0") ||
		    fi_write(d, "verbose", "0") ||
		    fi_write(d, "times", "1000000000") ||
		    fi_write(d, "ignore-gfp-wait", "N"))
			return -1;
	}
	if (fi_write(fi_dirs[1], "ignore-gfp-highmem", "Y") ||
	    fi_write(fi_dirs[1], "min-order", "0"))
		return -1;
	mif_fd = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (mif_fd < 0 || nth_fd < 0)
		return -1;
	fi_ready = true;
	return 0;
}

static unsigned long long fi_injected(void)
{
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fi_dirs); i++) {
		long long t = fi_read(fi_dirs[i], "times");

		if (t >= 0)
			sum += FI_TIMES - t;
	}
	return sum;
}

static void fi_restore(void)
{
	size_t i;

	if (!fi_ready)
		return;
	for (i = 0; i < ARRAY_SIZE(fi_dirs); i++) {
		fi_write(fi_dirs[i], "probability", "0");
		fi_write(fi_dirs[i], "task-filter", "N");
		fi_write(fi_dirs[i], "times", "1");
		fi_write(fi_dirs[i], "ignore-gfp-wait", "Y");
	}
	fi_write(fi_dirs[1], "min-order", "1");
}

enum fmode { FM_NONE, FM_PROB, FM_NTH };

static enum fmode op_fmode;
static unsigned int op_nth;

/* Decide, from the seed, whether and how the current operation faults. */
static void fault_pick(void)
{
	op_fmode = FM_NONE;
	if (!fi_ready || rnd(4))
		return;
	op_fmode = rnd(2) ? FM_PROB : FM_NTH;
	op_nth = 1 + rnd(48);
	st.faulted++;
}

static void slots_faulted(void);

static void fault_on(void)
{
	char buf[16];
	int n;

	fault_recent = false;
	if (op_fmode == FM_NONE || fault_armed)
		return;
	fault_armed = true;
	slots_faulted();
	if (op_fmode == FM_NTH) {
		n = snprintf(buf, sizeof(buf), "%u", op_nth);
		if (write(nth_fd, buf, n) != n)
			die("cannot arm fail-nth: %s", strerror(errno));
	} else if (write(mif_fd, "1", 1) != 1) {
		die("cannot set make-it-fail: %s", strerror(errno));
	}
}

static void fault_off(void)
{
	char buf[16];
	int n, fd;

	if (!fault_armed)
		return;
	fault_armed = false;
	fault_recent = true;
	if (op_fmode == FM_NTH) {
		/* the file has no offset to rewind: read it afresh */
		fd = open("/proc/thread-self/fail-nth", O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (!strtoul(buf, NULL, 10))
				st.nth_fired++;
		}
		if (write(nth_fd, "0", 1) != 1)
			fprintf(stderr, "# cannot disarm fail-nth\n");
		/* One failure per operation: later calls run clean. */
		op_fmode = FM_NONE;
	} else {
		if (write(mif_fd, "0", 1) != 1)
			fprintf(stderr, "# cannot clear make-it-fail\n");
	}
}

/*
 * May a call that returned @ret have failed because of an injected fault?
 * Only if it ran with faults armed (fault_recent: the call just before
 * fault_off(), consumed by this check) and @ret is the errno that @doc,
 * the call's documented error for a failed allocation, says.
 */
static bool fault_excuses(int ret, int doc)
{
	bool faulted = fault_armed || fault_recent;

	fault_recent = false;
	if (!faulted || ret != doc)
		return false;
	st.fault_errs++;
	return true;
}

/* the kernel log */

static int kmsg_fd = -1;

/* The kernel log is read from here on; without it nothing is checked. */
static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		die("cannot read /dev/kmsg: %s", strerror(errno));
	if (lseek(kmsg_fd, 0, SEEK_END) < 0)
		die("cannot seek /dev/kmsg: %s", strerror(errno));
}

/* Fail on any splat logged since the last call. */
static void kmsg_check(void)
{
	char rec[2048];
	ssize_t n;
	size_t i;

	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE) {	/* overwritten records */
				st.kmsg_lost++;
				continue;
			}
			CHECK(errno == EAGAIN, "/dev/kmsg: %s", strerror(errno));
			break;
		}
		rec[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(splat_words); i++) {
			char *msg = strchr(rec, ';');

			if (msg && strstr(msg, splat_words[i]))
				die("kernel log: %s", msg + 1);
		}
	}
}

/* Two scans, then the report: -1 with something reported. */
static int kmemleak_check(void)
{
	char buf[4096];
	int fd, n;

	fd = open("/sys/kernel/debug/kmemleak", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("no kmemleak (CONFIG_DEBUG_KMEMLEAK, debugfs): %s",
		    strerror(errno));
	if (write(fd, "scan", 4) != 4 || write(fd, "scan", 4) != 4)
		die("kmemleak scan: %s", strerror(errno));
	st.leak_scans++;
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		ksft_print_msg("kmemleak:\n%s\n", buf);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Objects an earlier scan reported are no longer reported.  Nothing scans
 * by itself (the debug config turns the automatic scan off), so leaks of
 * programs run earlier in the same boot and not yet scanned would be
 * reported at this run's end: make check runs the campaign first.
 */
static void kmemleak_clear(void)
{
	int fd = open("/sys/kernel/debug/kmemleak", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		die("no kmemleak (CONFIG_DEBUG_KMEMLEAK, debugfs): %s",
		    strerror(errno));
	if (write(fd, "clear", 5) != 5)
		die("kmemleak: cannot clear: %s", strerror(errno));
	close(fd);
}

/* the environment */

static char ns_a[32], ns_b[32];
static int ifindex;
static char reset_path[256];
static int sock_a = -1, sock_b = -1;	/* for SIOCSIFFLAGS in A and B */
static int lfd[NR_SLOTS][NR_FLOWS];
static pid_t main_pid;
static long pinned0;
static int init_ns = -1;	/* where netdevsim devices must be created */

static int flow_port(int slot, int f)
{
	return PORT_BASE + slot * NR_FLOWS + f;
}

static int flow_family(int f)
{
	return f ? AF_INET6 : AF_INET;
}

static const char *b_addr(int family)
{
	return family == AF_INET ? ZCRX_NS_B_ADDR4 : ZCRX_NS_B_ADDR6;
}

static int steer(int family, int port, int queue, int loc)
{
	struct ethtool_rxnfc nfc;
	struct ifreq ifr;
	int ret;

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLINS;
	if (family == AF_INET) {
		nfc.fs.flow_type = TCP_V4_FLOW;
		nfc.fs.h_u.tcp_ip4_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip4_spec.pdst = htons(0xffff);
	} else {
		nfc.fs.flow_type = TCP_V6_FLOW;
		nfc.fs.h_u.tcp_ip6_spec.pdst = htons(port);
		nfc.fs.m_u.tcp_ip6_spec.pdst = htons(0xffff);
	}
	nfc.fs.ring_cookie = queue;
	nfc.fs.location = loc;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	ifr.ifr_data = (void *)&nfc;
	ret = ioctl(sock_b, SIOCETHTOOL, &ifr) ? -errno : 0;
	return ret;
}

static int tcp_listen(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len))
		return -EINVAL;
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void env_down(void)
{
	int s, f;

	for (s = 0; s < NR_SLOTS; s++)
		for (f = 0; f < NR_FLOWS; f++)
			if (lfd[s][f] >= 0) {
				close(lfd[s][f]);
				lfd[s][f] = -1;
			}
	if (sock_a >= 0)
		close(sock_a);
	if (sock_b >= 0)
		close(sock_b);
	sock_a = sock_b = -1;
	zcrx_env_down(ns_a, ns_b);
}

/* A link going down must not take the IPv6 addresses of the current ns. */
static int keep_addr_on_down(void)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv6/conf/all/keep_addr_on_down",
		"/proc/sys/net/ipv6/conf/" IFNAME "/keep_addr_on_down",
	};
	size_t i;
	int fd, ret = 0;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		fd = open(paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "1", 1) != 1)
			ret = -1;
		if (fd >= 0)
			close(fd);
	}
	return ret;
}

/* B's rules on its (new) port, and where its queues are reset. */
static void env_b_port(void)
{
	int s, f, id;

	ifindex = if_nametoindex(IFNAME);
	CHECK(ifindex > 0, "no %s in %s", IFNAME, ns_b);
	for (s = 0; s < NR_SLOTS; s++)
		for (f = 0; f < NR_FLOWS; f++) {
			int ret = steer(flow_family(f), flow_port(s, f),
					(s + 1) % NR_QUEUES,
					1 + s * NR_FLOWS + f);

			CHECK(!ret, "ntuple rule: %s", strerror(-ret));
		}
	id = zcrx_nsim_id(ns_b);
	CHECK(id >= 0, "no netdevsim id for %s", ns_b);
	snprintf(reset_path, sizeof(reset_path),
		 "/sys/kernel/debug/netdevsim/netdevsim%d/ports/0/queue_reset",
		 id);
	CHECK(!access(reset_path, W_OK), "no %s", reset_path);
}

/* Both namespaces, split headers, rules and listeners; we end up in B. */
static void env_up(void)
{
	int s, f;

	CHECK(!setns(init_ns, CLONE_NEWNET), "back to the initial netns: %s",
	      strerror(errno));
	zcrx_env_down(ns_a, ns_b);
	CHECK(!zcrx_env_up(ns_a, ns_b, NR_QUEUES), "cannot set netdevsim up");
	CHECK(!zcrx_env_hds(ns_b, 1), "cannot turn tcp-data-split on");
	CHECK(!zcrx_enter_netns(ns_a), "cannot enter %s", ns_a);
	sock_a = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(!keep_addr_on_down(), "keep_addr_on_down in %s", ns_a);
	CHECK(!zcrx_enter_netns(ns_b), "cannot enter %s", ns_b);
	sock_b = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(!keep_addr_on_down(), "keep_addr_on_down in %s", ns_b);
	CHECK(sock_a >= 0 && sock_b >= 0, "sockets: %s", strerror(errno));
	for (s = 0; s < NR_SLOTS; s++)
		for (f = 0; f < NR_FLOWS; f++) {
			lfd[s][f] = tcp_listen(flow_family(f), flow_port(s, f));
			CHECK(lfd[s][f] >= 0, "listen: %s", strerror(-lfd[s][f]));
		}
	env_b_port();
}

/*
 * After B's device was deleted: a new one in B, linked to A's port, with
 * split headers and the rules.  The namespaces, A's port, the listeners
 * and the sockets for SIOCSIFFLAGS stay (building them anew takes far
 * longer than the deletion under a debug kernel).
 */
static void env_renew(void)
{
	char cmd[256];

	/*
	 * New netdevsim ports are born in the writer's namespace, and only
	 * the initial one shows them in sysfs: not from B.
	 */
	CHECK(!setns(init_ns, CLONE_NEWNET), "back to the initial netns: %s",
	      strerror(errno));
	snprintf(cmd, sizeof(cmd), "./nsim_env.sh renew %s %s %d >/dev/null",
		 ns_a, ns_b, NR_QUEUES);
	CHECK(!system(cmd), "cannot renew the port of %s", ns_b);
	CHECK(!zcrx_env_hds(ns_b, 1), "cannot turn tcp-data-split on");
	CHECK(!zcrx_enter_netns(ns_b), "cannot enter %s", ns_b);
	CHECK(!keep_addr_on_down(), "keep_addr_on_down in %s", ns_b);
	env_b_port();
}

static int link_set(int sock, bool up)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", IFNAME);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		return -errno;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &ifr) ? -errno : 0;
}

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

/* senders */

enum { CMD_SEND = 1, CMD_URG = 2 };

struct cmd {
	uint32_t op;
	uint32_t len;		/* CMD_SEND: bytes; CMD_URG: bytes after */
	uint32_t before;	/* CMD_URG: bytes before the urgent byte */
};

static int send_range(int fd, uint64_t seed, uint64_t *off, uint64_t len)
{
	static uint8_t buf[64 * 1024];
	uint64_t end = *off + len;

	while (*off < end) {
		size_t chunk = sizeof(buf);
		ssize_t n;

		if (chunk > end - *off)
			chunk = end - *off;
		zcrx_fill(buf, chunk, seed, *off);
		n = send(fd, buf, chunk, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*off += n;
	}
	return 0;
}

/* In ns A: connect from @lport, then do what the pipe says until EOF. */
static int sender_main(int ctl, int family, int port, int lport)
{
	struct sockaddr_storage ss, ls;
	socklen_t len, llen;
	uint64_t off = 0, seed;
	struct cmd c;
	int fd, i, one = 1;
	uint8_t b;

	signal(SIGPIPE, SIG_IGN);
	if (zcrx_enter_netns(ns_a))
		return 2;
	if (zcrx_sockaddr(family, b_addr(family), port, &ss, &len) ||
	    zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::", lport,
			  &ls, &llen))
		return 3;
	for (i = 0;; i++) {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			return 3;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, (struct sockaddr *)&ls, llen) &&
		    !connect(fd, (struct sockaddr *)&ss, len))
			break;
		close(fd);
		if (i == 200)
			return 4;
		usleep(50 * 1000);
	}
	seed = zcrx_seed(fd);
	while (read(ctl, &c, sizeof(c)) == sizeof(c)) {
		if (c.op == CMD_URG) {
			if (send_range(fd, seed, &off, c.before))
				return 5;
			b = zcrx_byte(seed, off);
			if (send(fd, &b, 1, MSG_OOB) != 1)
				return 5;
			off++;
		}
		if (send_range(fd, seed, &off, c.len))
			return 5;
	}
	close(fd);
	return 0;
}

/* Unmap every io_uring mapping in a child: each holds a ring. */
static void drop_ring_maps(void)
{
	unsigned long start[64], end[64];
	char line[512];
	int n = 0, i;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (n < 64 && fgets(line, sizeof(line), f))
		if (strstr(line, "io_uring") &&
		    sscanf(line, "%lx-%lx", &start[n], &end[n]) == 2)
			n++;
	fclose(f);
	for (i = 0; i < n; i++)
		munmap((void *)start[i], end[i] - start[i]);
}

#define MAX_KIDS	16
static pid_t kids[MAX_KIDS];

static void kid_add(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		if (!kids[i]) {
			kids[i] = pid;
			return;
		}
	die("too many children");
}

/* Reap @pid; its exit code, or 128 + signal. */
static int kid_reap(pid_t pid, bool kill_it)
{
	int i, status;

	if (kill_it)
		kill(pid, SIGKILL);
	for (i = 0; i < MAX_KIDS; i++)
		if (kids[i] == pid)
			kids[i] = 0;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/* ifqs and slots */

struct held {
	__u64 off;		/* as in the CQE */
	__u32 len;
	uint64_t soff;		/* stream offset of its first byte */
	uint64_t seed;		/* its connection's pattern seed */
};

struct hlist {
	struct held *v;
	size_t nr, max;
};

static void hl_add(struct hlist *l, __u64 off, __u32 len, uint64_t soff,
		   uint64_t seed)
{
	if (l->nr == l->max) {
		size_t n = l->max ? 2 * l->max : 256;
		struct held *v = realloc(l->v, n * sizeof(*v));

		CHECK(v, "out of memory");
		l->v = v;
		l->max = n;
	}
	l->v[l->nr].off = off;
	l->v[l->nr].len = len;
	l->v[l->nr].soff = soff;
	l->v[l->nr].seed = seed;
	l->nr++;
}

struct slot;

struct flow {
	struct slot *sl;
	int idx;
	unsigned int gen;
	int fd;			/* receiving socket, -1: none */
	pid_t tx;
	int ctl;		/* the sender's command pipe */
	uint64_t sent;		/* bytes the sender was told to send */
	uint64_t soff;		/* sender offset of the next byte expected */
	uint64_t seed;		/* the connection's pattern seed */
	uint64_t urg[32];	/* sender offsets of urgent bytes not seen */
	unsigned int nurg;
	unsigned int cancels;	/* cancellations not ended yet */
	bool oobinline;		/* SO_OOBINLINE set on the receiving socket */
	int txfd;		/* the sending socket, in A, non-blocking */
	uint64_t txoff;		/* bytes it has sent */
	uint64_t txurg[32];	/* offsets to send with MSG_OOB */
	unsigned int ntxurg;
	bool txshut;		/* shut down for writing once all is sent */
	bool armed;
	bool eof;
	int err;
};

struct slot {
	int idx;
	unsigned int rxq;
	bool open;
	bool hold;		/* keep buffers instead of returning them */
	bool faulted;		/* faults armed since it was last drained */
	bool quiet;		/* issue no request */
	bool kregion;
	struct io_uring ring;
	unsigned int cq;
	/* the ifq */
	void *area;
	void *region;		/* user memory of the refill ring, or NULL */
	void *rq_map;		/* mapping of a kernel-allocated one */
	size_t region_len;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg areg;
	struct io_uring_region_desc rd;
	struct zcrx_rq rq;
	__u32 id;
	size_t buf_len;
	uint64_t returned;	/* real refill entries published */
	struct hlist held;	/* kept by the application */
	struct hlist backlog;	/* returned, waiting for room in the ring */
	unsigned int cancel_cqes;
	int cancel_res;
	bool dropped;		/* the kernel reported lost completions */
	unsigned int probes;	/* cancel probes in flight */
	struct flow fl[NR_FLOWS];
};

static struct slot slots[NR_SLOTS];

static void slots_faulted(void)
{
	int i;

	for (i = 0; i < NR_SLOTS; i++)
		slots[i].faulted = true;
}

static size_t rq_region_len(unsigned int entries)
{
	return (pagesz() + (size_t)entries * sizeof(struct io_uring_zcrx_rqe) +
		pagesz() - 1) & ~(pagesz() - 1);
}

static void *map_mem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_DONTFORK);
	return p;
}

static void slot_unmap(struct slot *sl)
{
	if (sl->rq_map)
		munmap(sl->rq_map, sl->rd.size);
	if (sl->region)
		munmap(sl->region, sl->region_len);
	if (sl->area)
		munmap(sl->area, AREA_LEN);
	sl->rq_map = sl->region = sl->area = NULL;
}

/*
 * A new ring with an ifq on the slot's queue.  0, or the -errno of the
 * ring setup or the registration (with the memory unmapped again).
 */
static int slot_try_open(struct slot *sl)
{
	static const unsigned int cqs[] = { 8, 16, 32, 64 };
	struct io_uring_params p;
	void *base;
	int ret;

	sl->cq = cqs[rnd(full_profile ? ARRAY_SIZE(cqs) : 2)];
	sl->kregion = rnd(2);
	sl->region_len = rq_region_len(RQ_ENTRIES);
	sl->area = map_mem(AREA_LEN);
	sl->region = sl->kregion ? NULL : map_mem(sl->region_len);
	CHECK(sl->area && (sl->kregion || sl->region), "mmap failed");

	memset(&sl->reg, 0, sizeof(sl->reg));
	memset(&sl->areg, 0, sizeof(sl->areg));
	memset(&sl->rd, 0, sizeof(sl->rd));
	sl->areg.addr = (uintptr_t)sl->area;
	sl->areg.len = AREA_LEN;
	sl->rd.user_addr = (uintptr_t)sl->region;
	sl->rd.size = sl->region_len;
	sl->rd.flags = sl->region ? IORING_MEM_REGION_TYPE_USER : 0;
	sl->reg.if_idx = ifindex;
	sl->reg.if_rxq = sl->rxq;
	sl->reg.rq_entries = RQ_ENTRIES;
	sl->reg.area_ptr = (uintptr_t)&sl->areg;
	sl->reg.region_ptr = (uintptr_t)&sl->rd;

	memset(&p, 0, sizeof(p));
	p.flags = RING_FLAGS | IORING_SETUP_CQSIZE;
	p.cq_entries = sl->cq;
	fault_on();
	ret = io_uring_queue_init_params(SQ_ENTRIES, &sl->ring, &p);
	if (!ret) {
		ret = zcrx_register_ifq(sl->ring.ring_fd, &sl->reg);
		if (ret)
			io_uring_queue_exit(&sl->ring);
	}
	fault_off();
	if (ret) {
		slot_unmap(sl);
		return ret;
	}
	st.regs++;
	sl->id = sl->reg.zcrx_id;
	sl->buf_len = sl->reg.rx_buf_len ? sl->reg.rx_buf_len : pagesz();
	CHECK(sl->reg.rq_entries == RQ_ENTRIES, "rq_entries %u",
	      sl->reg.rq_entries);
	base = sl->region;
	if (!base) {
		base = mmap(NULL, sl->rd.size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, sl->ring.ring_fd,
			    sl->rd.mmap_offset);
		CHECK(base != MAP_FAILED, "mmap of the refill ring: %s",
		      strerror(errno));
		sl->rq_map = base;
	}
	zcrx_rq_init(&sl->rq, base, &sl->reg, sl->areg.rq_area_token);
	sl->returned = 0;
	sl->held.nr = sl->backlog.nr = 0;
	sl->hold = false;
	sl->faulted = false;
	sl->open = true;
	return 0;
}

/*
 * Open, with the operation's faults: a failure must be ENOMEM, the
 * documented errno of a failed allocation in ring set-up and registration,
 * and the queue must then take a registration without faults at once
 * (a closed or killed ring's queue is reclaimed by the next binding).
 */
static void slot_open(struct slot *sl)
{
	int ret;

	ret = slot_try_open(sl);
	if (!ret)
		return;
	CHECK(fault_excuses(ret, -ENOMEM),
	      "slot %d: registration on queue %u: %s",
	      sl->idx, sl->rxq, strerror(-ret));
	op_fmode = FM_NONE;
	st.reg_retries++;
	ret = slot_try_open(sl);
	CHECK(!ret, "slot %d: registration after a failed one: %s",
	      sl->idx, strerror(-ret));
}

static size_t held_corrupt(struct slot *sl)
{
	size_t i, bad = 0;

	for (i = 0; i < sl->held.nr; i++) {
		struct held *h = &sl->held.v[i];
		uint8_t *p = (uint8_t *)sl->area +
			     (h->off & ~IORING_ZCRX_AREA_MASK);

		if (zcrx_check(p, h->len, h->seed, h->soff) != h->len)
			bad++;
	}
	return bad;
}

static void flow_close(struct flow *f);

/* Close the ring with whatever is in flight; the held bytes stay. */
static void slot_close(struct slot *sl)
{
	int i;

	if (!sl->open)
		return;
	CHECK(!held_corrupt(sl), "slot %d: held buffers changed", sl->idx);
	io_uring_queue_exit(&sl->ring);
	for (i = 0; i < NR_FLOWS; i++)
		flow_close(&sl->fl[i]);
	CHECK(!held_corrupt(sl), "slot %d: held buffers changed at close",
	      sl->idx);
	slot_unmap(sl);
	sl->held.nr = sl->backlog.nr = 0;
	sl->open = false;
}

/* refill */

static void push_backlog(struct slot *sl)
{
	struct hlist *l = &sl->backlog;
	size_t i = 0;
	int pass;

	for (pass = 0; pass < 8 && i < l->nr; pass++) {
		for (; i < l->nr; i++) {
			if (zcrx_rq_push(&sl->rq, l->v[i].off, l->v[i].len))
				break;
			sl->returned++;
		}
		zcrx_rq_commit(&sl->rq);
		if (i == l->nr)
			break;
		zcrx_flush_rq(sl->ring.ring_fd, sl->id);
	}
	memmove(l->v, l->v + i, (l->nr - i) * sizeof(*l->v));
	l->nr -= i;
}

static void buf_return(struct slot *sl, __u64 off, __u32 len)
{
	if (!sl->backlog.nr && !zcrx_rq_push(&sl->rq, off, len)) {
		sl->returned++;
		return;
	}
	hl_add(&sl->backlog, off, len, 0, 0);
}

static void release_held(struct slot *sl)
{
	size_t i;

	CHECK(!held_corrupt(sl), "slot %d: held buffers changed", sl->idx);
	for (i = 0; i < sl->held.nr; i++)
		buf_return(sl, sl->held.v[i].off, sl->held.v[i].len);
	sl->held.nr = 0;
	zcrx_rq_commit(&sl->rq);
	push_backlog(sl);
}

/* receiving */

static void flow_data(struct slot *sl, struct flow *f,
		      struct io_uring_cqe *cqe)
{
	struct io_uring_zcrx_cqe *zc = zcrx_cqe(cqe);
	__u64 off = zc->off & ~IORING_ZCRX_AREA_MASK;
	__u32 len = cqe->res, i, run;
	uint64_t soff0 = f->soff;
	size_t ok;
	bool skipped = false;
	const uint8_t *p;

	st.cqes++;
	CHECK(cqe->flags & IORING_CQE_F_MORE, "data CQE without F_MORE");
	CHECK((zc->off & IORING_ZCRX_AREA_MASK) == sl->rq.token,
	      "CQE off %#llx: not the area's token",
	      (unsigned long long)zc->off);
	CHECK(off < AREA_LEN && len <= AREA_LEN - off,
	      "CQE off %#llx len %u outside the area",
	      (unsigned long long)off, len);
	CHECK(off / sl->buf_len == (off + len - 1) / sl->buf_len,
	      "CQE off %#llx len %u spans two buffers",
	      (unsigned long long)off, len);
	p = (const uint8_t *)sl->area + off;
	for (i = 0; i < len; i += run) {
		if (f->nurg && f->soff == f->urg[0]) {
			/*
			 * The urgent byte: in the stream with SO_OOBINLINE,
			 * taken out of it (for MSG_OOB) without.
			 */
			memmove(f->urg, f->urg + 1, --f->nurg * sizeof(f->urg[0]));
			if (f->oobinline) {
				st.urg_inline++;
			} else {
				f->soff++;
				skipped = true;
				st.urg_skipped++;
			}
		}
		/* up to the next urgent byte, checked a word at a time */
		run = len - i;
		if (f->nurg && f->urg[0] - f->soff < run)
			run = f->urg[0] - f->soff;
		CHECK(f->soff + run <= f->sent,
		      "slot %d flow %d: bytes %llu to %llu were never sent",
		      sl->idx, f->idx, (unsigned long long)f->soff,
		      (unsigned long long)(f->soff + run - 1));
		ok = zcrx_check(p + i, run, f->seed, f->soff);
		CHECK(ok == run,
		      "slot %d flow %d: stream byte %llu is %#x, not %#x (CQE off %#llx len %u)",
		      sl->idx, f->idx, (unsigned long long)(f->soff + ok),
		      p[i + ok], zcrx_byte(f->seed, f->soff + ok),
		      (unsigned long long)off, len);
		f->soff += run;
	}
	st.bytes += len;
	if (sl->hold && !skipped && sl->held.nr < HOLD_MAX)
		hl_add(&sl->held, zc->off, len, soff0, f->seed);
	else
		buf_return(sl, zc->off, len);
}

static void flow_end(struct slot *sl, struct flow *f, int res)
{
	f->armed = false;
	if (res == 0) {
		f->eof = true;
		return;
	}
	if (res == -ENOSPC) {
		st.enospc++;
		return;
	}
	if (res == -ECANCELED && f->cancels) {
		f->cancels--;
		st.cancelled++;
		return;
	}
	if (res == -ENOMEM) {
		/* no free buffer (or an allocation failed): give some back */
		st.enomem++;
		if (sl->held.nr)
			release_held(sl);
		return;
	}
	if (!f->err)
		f->err = res;
}

static int slot_reap(struct slot *sl)
{
	struct io_uring_cqe *cqe;
	unsigned int head;
	int n = 0;

	io_uring_for_each_cqe(&sl->ring, head, cqe) {
		struct flow *f;
		__u64 ud = cqe->user_data;

		n++;
		if (ud & PROBE_UD) {
			f = &sl->fl[ud & 0xff];
			sl->probes--;
			/* the end of that request was among the lost ones */
			if (cqe->res == -ENOENT && f->cancels) {
				f->cancels--;
				f->armed = false;
			}
			continue;
		}
		if (ud == CANCEL_UD) {
			sl->cancel_cqes++;
			sl->cancel_res = cqe->res;
			continue;
		}
		CHECK((ud & 0xff) < NR_FLOWS, "CQE with user_data %#llx",
		      (unsigned long long)ud);
		f = &sl->fl[ud & 0xff];
		if ((ud >> 8) != f->gen) {
			/* a request of a closed flow: give the buffer back */
			if (cqe->res > 0)
				buf_return(sl, zcrx_cqe(cqe)->off, cqe->res);
			continue;
		}
		if (cqe->res > 0)
			flow_data(sl, f, cqe);
		else
			CHECK(!(cqe->flags & IORING_CQE_F_MORE),
			      "CQE res %d with F_MORE", cqe->res);
		if (cqe->res <= 0)
			flow_end(sl, f, cqe->res);
	}
	io_uring_cq_advance(&sl->ring, n);
	zcrx_rq_commit(&sl->rq);
	return n;
}

static bool flow_live(const struct flow *f)
{
	return f->fd >= 0 && !f->eof && !f->err;
}

static int flow_arm(struct slot *sl, struct flow *f)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&sl->ring);

	if (!sqe)
		return -EBUSY;
	zcrx_prep_recv(sqe, f->fd, 0, sl->id);
	if (!rnd(8))
		sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
	io_uring_sqe_set_data64(sqe, UD(f));
	f->armed = true;
	return 0;
}

static int slot_step(struct slot *sl, int ms);
static void flows_pump(void);
static void flow_pump(struct flow *f);

/*
 * The kernel dropped completions (-EBADR: no memory for an overflow
 * entry).  Data completions never overflow, so only ends of requests can
 * be among them: ask, with a cancel, whether each request is still there,
 * and issue none until the answers are in.
 */
static void slot_recover(struct slot *sl)
{
	struct io_uring_sqe *sqe;
	uint64_t start;
	int i;

	sl->dropped = false;
	/* what overflowed comes first */
	do {
		io_uring_get_events(&sl->ring);
	} while (slot_reap(sl) > 0);
	for (i = 0; i < NR_FLOWS; i++) {
		struct flow *f = &sl->fl[i];

		if (!f->armed)
			continue;
		sqe = io_uring_get_sqe(&sl->ring);
		CHECK(sqe, "no SQE");
		io_uring_prep_cancel64(sqe, UD(f), 0);
		io_uring_sqe_set_data64(sqe, PROBE_UD | i);
		f->cancels++;
		sl->probes++;
	}
	start = now_ms();
	while (sl->probes && now_ms() - start < STALL_MS) {
		io_uring_submit_and_get_events(&sl->ring);
		slot_reap(sl);
	}
	CHECK(!sl->probes, "slot %d: cancel probes unanswered", sl->idx);
}

/*
 * -EBADR: the kernel could not allocate an overflow entry and dropped a
 * completion (io_uring_enter(2)); only an injected fault may cause that,
 * in any call since the slot was last drained.
 */
static void slot_dropped(struct slot *sl)
{
	st.ebadr++;
	CHECK(sl->faulted || fault_armed, "slot %d: completions dropped",
	      sl->idx);
	st.fault_errs++;
	sl->dropped = true;
}

/* One round: arm, submit, wait up to @ms, reap.  Completions handled. */
static int slot_step(struct slot *sl, int ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000LL,
	};
	struct io_uring_cqe *cqe;
	int i, ret;

	/* a fault excuses only the call it was armed for */
	fault_recent = false;
	if (sl->backlog.nr)
		push_backlog(sl);
	for (i = 0; i < NR_FLOWS && !sl->quiet; i++)
		if (flow_live(&sl->fl[i]) && !sl->fl[i].armed)
			flow_arm(sl, &sl->fl[i]);
	if (io_uring_sq_ready(&sl->ring)) {
		ret = io_uring_submit(&sl->ring);
		if (ret == -EBADR) {
			slot_dropped(sl);
		} else if (ret < 0 && ret != -EBUSY && ret != -EINTR) {
			/* io_uring_enter(2): EAGAIN, no memory for a request */
			CHECK(fault_excuses(ret, -EAGAIN),
			      "submit: %s", strerror(-ret));
		}
	}
	if (ms)
		ret = io_uring_wait_cqe_timeout(&sl->ring, &cqe, &ts);
	else
		ret = io_uring_get_events(&sl->ring);
	if (ret == -EBADR)
		slot_dropped(sl);
	else
		CHECK(ret >= 0 || ret == -ETIME || ret == -EINTR ||
		      ret == -EAGAIN || ret == -EBUSY,
		      "wait: %s", strerror(-ret));
	ret = slot_reap(sl);
	if (sl->dropped) {
		bool armed = fault_armed;

		fault_off();
		slot_recover(sl);
		if (armed)
			fault_on();
		ret++;
	}
	return ret;
}

#define TRACING		"/sys/kernel/debug/tracing"

/*
 * Dropped skbs are traced with their reason and place throughout, so that
 * a stall can say which check threw the missing segments away (a
 * diagnostic only: without tracing the run goes on).
 */
static void trace_drops(bool on)
{
	int fd = open(TRACING "/events/skb/kfree_skb/enable",
		      O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1)
		ksft_print_msg("no skb drop tracing: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Each side's view of the stalled flows (TCP's retransmits and backoff,
 * the devices' counters and neighbours, TCP's counters), the rings' poll
 * lists, and the last drops that were not for want of a socket.
 */
static void stall_report(void)
{
	static const char *const cmds[] = {
		"ss -tinoem", "ethtool -S " IFNAME " | grep -v ': 0$'",
		"ip -s link show " IFNAME,
		"ip neigh; ip -6 neigh",
		"nstat -az | grep -v ' 0 ' | grep -i -e tcp -e ip",
	};
	char cmd[512];
	size_t i;

	fault_off();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		ksft_print_msg("B and A: %s\n", cmds[i]);
		fflush(stdout);
		snprintf(cmd, sizeof(cmd), "%s; ip netns exec %s sh -c \"%s\"",
			 cmds[i], ns_a, cmds[i]);
		if (system(cmd))
			ksft_print_msg("failed: %s\n", cmds[i]);
	}
	/*
	 * The rings: what io_uring holds (its poll list: are the receives
	 * the application counts as armed really there?) and the ifqs.
	 */
	for (i = 0; i < NR_SLOTS; i++) {
		if (!slots[i].open)
			continue;
		ksft_print_msg("slot %zu: fdinfo of ring fd %d\n", i,
			       slots[i].ring.ring_fd);
		fflush(stdout);
		snprintf(cmd, sizeof(cmd),
			 "sed -n '/^PollList/,$p' /proc/%d/fdinfo/%d",
			 main_pid, slots[i].ring.ring_fd);
		if (system(cmd))
			ksft_print_msg("no fdinfo\n");
	}
	fflush(stdout);
	if (system("grep -v -e NO_SOCKET -e NOT_SPECIFIED " TRACING "/trace | tail -n 60"))
		ksft_print_msg("no skb drop trace\n");
}

/*
 * What the socket of a stalled flow says (poll(2): is it readable, is an
 * urgent byte pending; bytes queued; at the mark?), and whether a new
 * request, issued after the armed one is cancelled, gets the data: if it
 * does, the armed request missed a wake-up.  A diagnostic: the run fails
 * either way.
 */
static void stall_probe(struct flow *f)
{
	struct slot *sl = f->sl;
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN | POLLPRI };
	uint64_t soff = f->soff, start;
	unsigned int cqes = sl->cancel_cqes;
	int inq = -1, mark = -1;
	struct io_uring_sqe *sqe;

	if (f->fd < 0 || f->err || !sl->open)
		return;
	poll(&pfd, 1, 0);
	ioctl(f->fd, SIOCINQ, &inq);
	ioctl(f->fd, SIOCATMARK, &mark);
	ksft_print_msg("slot %d flow %d: poll %#x, %d bytes queued, at mark %d, SO_OOBINLINE %d, next urgent at %lld\n",
		       sl->idx, f->idx, pfd.revents, inq, mark, f->oobinline,
		       f->nurg ? (long long)f->urg[0] : -1LL);
	if (!f->armed)
		return;
	sqe = io_uring_get_sqe(&sl->ring);
	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, UD(f), 0);
	io_uring_sqe_set_data64(sqe, CANCEL_UD);
	f->cancels++;
	start = now_ms();
	while (now_ms() - start < 5000 && f->soff == soff)
		slot_step(sl, 100);
	if (sl->cancel_cqes == cqes)
		ksft_print_msg("slot %d flow %d: after a cancel and a new request: %llu more bytes, armed %d, no answer to the cancel\n",
			       sl->idx, f->idx,
			       (unsigned long long)(f->soff - soff), f->armed);
	else
		ksft_print_msg("slot %d flow %d: after a cancel and a new request: %llu more bytes, armed %d, cancel result %d\n",
			       sl->idx, f->idx,
			       (unsigned long long)(f->soff - soff), f->armed,
			       sl->cancel_res);
}

/* Does @f still wait for bytes, the urgent byte, or (@closing) its EOF? */
static bool flow_owed(const struct flow *f, bool closing)
{
	return !f->err && (f->soff < f->sent || f->nurg ||
			   (closing && !f->eof));
}

/*
 * Wait until every flow of @fs got everything sent to it; with @closing,
 * also its EOF.  Errors are for the caller to judge.
 */
static void flows_wait(struct flow **fs, int n, bool closing)
{
	uint64_t last = now_ms();
	int i, j, wait;

	for (;;) {
		bool done = true;

		for (i = 0; i < n; i++) {
			struct flow *f = fs[i];

			if (f->err || !f->sl->open)
				continue;
			if (flow_owed(f, closing))
				done = false;
			CHECK(closing || !f->eof,
			      "slot %d flow %d: EOF after %llu of %llu bytes",
			      f->sl->idx, f->idx, (unsigned long long)f->soff,
			      (unsigned long long)f->sent);
		}
		if (done)
			return;
		flows_pump();
		/*
		 * Block (briefly) on the first ring that still owes a flow
		 * something; only reap the others, so that a ring with
		 * nothing to come cannot hold up one with data waiting.
		 */
		wait = 20;
		for (i = 0; i < n; i++) {
			struct slot *sl = fs[i]->sl;
			bool owed = false;

			for (j = 0; j < i; j++)
				if (fs[j]->sl == sl)
					break;
			if (j < i || !sl->open)
				continue;
			for (j = i; j < n; j++)
				if (fs[j]->sl == sl && flow_owed(fs[j], closing))
					owed = true;
			if (slot_step(sl, owed ? wait : 0) > 0)
				last = now_ms();
			if (owed)
				wait = 0;
		}
		if (now_ms() - last > STALL_MS) {
			for (i = 0; i < n; i++)
				ksft_print_msg("slot %d flow %d: %llu of %llu bytes, armed %d, urgent %u\n",
					       fs[i]->sl->idx, fs[i]->idx,
					       (unsigned long long)fs[i]->soff,
					       (unsigned long long)fs[i]->sent,
					       fs[i]->armed, fs[i]->nurg);
			/* TCP's view (retransmits, backoff) and the NIC's */
			stall_report();
			for (i = 0; i < n; i++)
				if (flow_owed(fs[i], closing))
					stall_probe(fs[i]);
			die("no progress for %d s", STALL_MS / 1000);
		}
	}
}

static void flow_check(struct flow *f)
{
	CHECK(!f->err,
	      "slot %d flow %d: the request ended with %s", f->sl->idx, f->idx,
	      strerror(-f->err));
}

/* flows */

static unsigned int flow_seq;

/*
 * The senders are sockets of this process in A, written without blocking
 * whenever the receiver waits: no process to wake for every transfer.
 * Their own allocations are not what the random faults are for, so those
 * are paused while they send; a fail-nth point counts their allocations
 * too (the n-th still depends on the seed alone).
 */
static bool fault_pause(void)
{
	if (!fault_armed || op_fmode != FM_PROB)
		return false;
	if (write(mif_fd, "0", 1) != 1)
		die("cannot clear make-it-fail: %s", strerror(errno));
	return true;
}

static void fault_resume(bool paused)
{
	if (paused && write(mif_fd, "1", 1) != 1)
		die("cannot set make-it-fail: %s", strerror(errno));
}

/* Send what the flow owes its receiver, as far as the socket takes it. */
static void flow_pump(struct flow *f)
{
	static uint8_t buf[64 * 1024];
	bool saved;
	ssize_t n;

	if (f->txfd < 0 || (f->txoff == f->sent && !f->txshut))
		return;
	saved = fault_pause();
	while (f->txoff < f->sent) {
		uint64_t end = f->sent;
		size_t chunk;

		if (f->ntxurg && f->txoff == f->txurg[0]) {
			uint8_t b = zcrx_byte(f->seed, f->txoff);

			n = send(f->txfd, &b, 1, MSG_OOB | MSG_DONTWAIT);
			if (n == 1) {
				memmove(f->txurg, f->txurg + 1,
					--f->ntxurg * sizeof(f->txurg[0]));
				f->txoff++;
				continue;
			}
		} else {
			if (f->ntxurg && f->txurg[0] < end)
				end = f->txurg[0];
			chunk = end - f->txoff;
			if (chunk > sizeof(buf))
				chunk = sizeof(buf);
			zcrx_fill(buf, chunk, f->seed, f->txoff);
			n = send(f->txfd, buf, chunk, MSG_DONTWAIT);
			if (n > 0) {
				f->txoff += n;
				continue;
			}
		}
		CHECK(n < 0 && (errno == EAGAIN || errno == EINTR),
		      "slot %d flow %d: send: %s", f->sl->idx, f->idx,
		      n < 0 ? strerror(errno) : "nothing sent");
		break;
	}
	if (f->txshut && f->txoff == f->sent) {
		CHECK(!shutdown(f->txfd, SHUT_WR), "shutdown: %s",
		      strerror(errno));
		f->txshut = false;
	}
	fault_resume(saved);
}

static void flows_pump(void)
{
	int s, i;

	for (s = 0; s < NR_SLOTS; s++)
		for (i = 0; i < NR_FLOWS; i++)
			if (slots[s].fl[i].fd >= 0)
				flow_pump(&slots[s].fl[i]);
}

/* A sending socket in A, connecting from @lport without waiting. */
static void tx_connect(struct flow *f, int lport)
{
	int family = flow_family(f->idx), port = flow_port(f->sl->idx, f->idx);
	struct sockaddr_storage ss, ls;
	socklen_t len, llen;
	int fd, one = 1;

	CHECK(!zcrx_sockaddr(family, b_addr(family), port, &ss, &len) &&
	      !zcrx_sockaddr(family, family == AF_INET ? "0.0.0.0" : "::",
			     lport, &ls, &llen), "addresses");
	CHECK(!zcrx_enter_netns(ns_a), "cannot enter %s", ns_a);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(!zcrx_enter_netns(ns_b), "cannot enter %s", ns_b);
	CHECK(fd >= 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Small sends go out at once: with Nagle, each would wait for the
	 * receiver's delayed ACK of the one before (up to 40 ms).
	 */
	CHECK(!setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)),
	      "TCP_NODELAY: %s", strerror(errno));
	CHECK(!bind(fd, (struct sockaddr *)&ls, llen), "bind to port %d: %s",
	      lport, strerror(errno));
	CHECK(!connect(fd, (struct sockaddr *)&ss, len) || errno == EINPROGRESS,
	      "connect: %s", strerror(errno));
	f->txfd = fd;
}

static void flow_close(struct flow *f)
{
	if (f->fd < 0)
		return;
	if (f->tx)
		kid_reap(f->tx, true);
	f->tx = 0;
	if (f->ctl >= 0)
		close(f->ctl);
	f->ctl = -1;
	if (f->txfd >= 0)
		close(f->txfd);
	f->txfd = -1;
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	f->fd = -1;
	f->gen = (f->gen + 1) & 0xffffff;
	f->armed = false;
}

/* Fork a sender that connects to the flow's port from @lport. */
static void sender_start(struct flow *f, int lport)
{
	int family = flow_family(f->idx), port = flow_port(f->sl->idx, f->idx);
	int p[2];
	pid_t pid;

	CHECK(!pipe2(p, O_CLOEXEC), "pipe: %s", strerror(errno));
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int ctl = dup(p[0]);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ctl < 0)
			_exit(1);
		syscall(__NR_close_range, 3, ctl - 1, 0);
		syscall(__NR_close_range, ctl + 1, ~0U, 0);
		drop_ring_maps();
		_exit(sender_main(ctl, family, port, lport));
	}
	kid_add(pid);
	close(p[0]);
	f->tx = pid;
	f->ctl = p[1];
}

/* Connect a new sender to the flow's port and accept it. */
static void flow_open(struct flow *f)
{
	struct slot *sl = f->sl;
	int lport = 20000 + (flow_seq++ % 30000);
	struct sockaddr_storage peer;
	socklen_t plen;
	struct pollfd pfd;
	int fd = -1, one = 1;

	tx_connect(f, lport);
	for (;;) {
		pfd.fd = lfd[sl->idx][f->idx];
		pfd.events = POLLIN;
		CHECK(poll(&pfd, 1, 20000) == 1, "slot %d flow %d: no connection",
		      sl->idx, f->idx);
		plen = sizeof(peer);
		fd = accept4(pfd.fd, (struct sockaddr *)&peer, &plen,
			     SOCK_CLOEXEC);
		CHECK(fd >= 0, "accept: %s", strerror(errno));
		/* A connection of an earlier, killed sender: not ours. */
		if (ntohs(((struct sockaddr_in *)&peer)->sin_port) == lport)
			break;
		close(fd);
	}
	f->oobinline = opt_urgent && rnd(2);
	if (f->oobinline)
		CHECK(!setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one,
				  sizeof(one)), "SO_OOBINLINE: %s",
		      strerror(errno));
	lognote("slot %d flow %d: connection from port %d, SO_OOBINLINE %s",
		sl->idx, f->idx, lport, f->oobinline ? "on" : "off");
	f->fd = fd;
	f->seed = zcrx_seed(fd);
	f->sent = f->soff = f->txoff = 0;
	f->nurg = f->ntxurg = 0;
	f->txshut = false;
	f->cancels = 0;
	f->armed = f->eof = false;
	f->err = 0;
	st.flows++;
}

static void flow_send(struct flow *f, uint32_t len)
{
	if (f->fd >= 0 && !flow_live(f))
		flow_close(f);
	if (f->fd < 0)
		flow_open(f);
	f->sent += len;
	flow_pump(f);
}

static void flow_urgent(struct flow *f, uint32_t before, uint32_t after)
{
	if (f->fd >= 0 && !flow_live(f))
		flow_close(f);
	if (f->fd < 0)
		flow_open(f);
	CHECK(f->nurg < ARRAY_SIZE(f->urg) && f->ntxurg < ARRAY_SIZE(f->txurg),
	      "too many urgent bytes");
	f->urg[f->nurg++] = f->sent + before;
	f->txurg[f->ntxurg++] = f->sent + before;
	f->sent += before + 1 + after;
	flow_pump(f);
}

/*
 * Mostly small, since each completion costs more than its bytes: a byte
 * to a few pages, now and then up to 1 MiB.
 */
static uint32_t xfer_size(void)
{
	unsigned long r = rnd(1000);

	if (r < 500)
		return rnd_len(512);
	if (r < 800)
		return rnd_len(4 * KiB);
	if (r < 950)
		return rnd_len(32 * KiB);
	if (r < 995)
		return rnd_len(256 * KiB);
	return rnd_len(MiB);
}

/* accounting */

struct zcrx_info {
	unsigned long long id, bufs, free, nic, user, rq_consumed, rq_invalid;
	unsigned long long area_bytes;
	char dev[IFNAMSIZ];
};

static const struct {
	const char *key;
	size_t off;
} info_keys[] = {
	{ "id", offsetof(struct zcrx_info, id) },
	{ "bufs", offsetof(struct zcrx_info, bufs) },
	{ "free", offsetof(struct zcrx_info, free) },
	{ "nic", offsetof(struct zcrx_info, nic) },
	{ "user", offsetof(struct zcrx_info, user) },
	{ "rq_consumed", offsetof(struct zcrx_info, rq_consumed) },
	{ "rq_invalid", offsetof(struct zcrx_info, rq_invalid) },
	{ "area_bytes", offsetof(struct zcrx_info, area_bytes) },
};

static int info_get(struct slot *sl, struct zcrx_info *info)
{
	char path[64], *line = NULL, *tok, *save, *val;
	unsigned int seen;
	size_t k;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sl->ring.ring_fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "ZcrxIfq:", 8))
			continue;
		memset(info, 0, sizeof(*info));
		seen = 0;
		for (tok = strtok_r(line + 8, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			val = strchr(tok, '=');
			if (!val)
				continue;
			*val++ = '\0';
			for (k = 0; k < ARRAY_SIZE(info_keys); k++) {
				if (strcmp(tok, info_keys[k].key))
					continue;
				*(unsigned long long *)((char *)info +
							info_keys[k].off) =
					strtoull(val, NULL, 10);
				seen |= 1U << k;
			}
			if (!strcmp(tok, "dev"))
				snprintf(info->dev, sizeof(info->dev), "%s", val);
		}
		if (seen == 255 && info->id == sl->id)
			ret = 0;
		else if (seen != 255)
			ret = -EPROTO;
		if (ret == -EPROTO)
			break;
	}
	free(line);
	fclose(f);
	return ret;
}

/* Distinct buffers the application owns: held, waiting, in the ring. */
static size_t user_bufs(struct slot *sl, __u32 head)
{
	size_t nbufs = AREA_LEN / sl->buf_len, n = 0, i;
	static uint8_t seen[AREA_LEN / 4096];
	__u32 t;

	memset(seen, 0, sizeof(seen));
#define MARK(o) do {							\
	__u64 b = ((o) & ~IORING_ZCRX_AREA_MASK) / sl->buf_len;		\
	if (b < nbufs && !seen[b]) {					\
		seen[b] = 1;						\
		n++;							\
	}								\
} while (0)
	for (t = head; t != sl->rq.tail; t++)
		MARK(sl->rq.rqes[t & (sl->rq.entries - 1)].off);
	for (i = 0; i < sl->held.nr; i++)
		MARK(sl->held.v[i].off);
	for (i = 0; i < sl->backlog.nr; i++)
		MARK(sl->backlog.v[i].off);
#undef MARK
	return n;
}

static __u32 rq_khead(struct slot *sl)
{
	return __atomic_load_n(sl->rq.khead, __ATOMIC_ACQUIRE);
}

/*
 * The kernel's accounting of the ifq against the application's: reap
 * everything, give the backlog back, flush the refill ring; then the
 * buffers the kernel counts as the user's are exactly the held ones.
 */
/* Reaps before an audit gives up on completions that never stop coming. */
#define AUDIT_REAP_MAX	100000

static void slot_audit(struct slot *sl)
{
	unsigned long n = 0, enomem0 = st.enomem;
	struct zcrx_info info;
	__u32 head;
	int i;

	if (!sl->open)
		return;
	while (slot_step(sl, 0) > 0)
		CHECK(++n < AUDIT_REAP_MAX,
		      "slot %d: completions still coming after %lu reaps (%lu of them -ENOMEM)",
		      sl->idx, n, st.enomem - enomem0);
	for (i = 0; i < 16; i++) {
		push_backlog(sl);
		CHECK(!zcrx_flush_rq(sl->ring.ring_fd, sl->id), "flush: %s",
		      strerror(errno));
		if (!sl->backlog.nr)
			break;
	}
	head = rq_khead(sl);
	CHECK(!sl->backlog.nr && head == sl->rq.tail,
	      "slot %d: refill ring not consumed by a flush (head %u tail %u, %zu waiting)",
	      sl->idx, head, sl->rq.tail, sl->backlog.nr);
	i = info_get(sl, &info);
	CHECK(!i, "slot %d: fdinfo of ifq %u: %s", sl->idx, sl->id,
	      strerror(-i));
	CHECK(info.bufs == AREA_LEN / sl->buf_len, "slot %d: %llu buffers",
	      sl->idx, info.bufs);
	CHECK(info.area_bytes == AREA_LEN, "slot %d: area_bytes %llu",
	      sl->idx, info.area_bytes);
	CHECK(info.bufs == info.free + info.nic + info.user,
	      "slot %d: bufs %llu != free %llu + nic %llu + user %llu",
	      sl->idx, info.bufs, info.free, info.nic, info.user);
	CHECK(info.user == user_bufs(sl, head),
	      "slot %d: the kernel counts %llu buffers with the user, the user has %zu",
	      sl->idx, info.user, user_bufs(sl, head));
	CHECK(info.rq_consumed == sl->returned,
	      "slot %d: %llu refill entries consumed, %llu returned",
	      sl->idx, info.rq_consumed, (unsigned long long)sl->returned);
	st.rq_invalid = info.rq_invalid > st.rq_invalid ? info.rq_invalid :
							   st.rq_invalid;
	/* everything was reaped: a dropped completion was reported by now */
	if (!fault_armed)
		sl->faulted = false;
}

/* The queue works: a small transfer on one of its flows, then an audit. */
static void slot_verify(struct slot *sl)
{
	struct flow *f = &sl->fl[rnd(NR_FLOWS)];

	if (!sl->open)
		return;
	setstage("verify: new flow");
	if (!flow_live(f)) {
		flow_close(f);
		flow_open(f);
	}
	/* a packet or two: the queue delivers again */
	flow_send(f, rnd_len(4 * KiB));
	setstage("verify: transfer");
	flows_wait(&f, 1, false);
	flow_check(f);
	setstage("verify: audit");
	slot_audit(sl);
	st.verify++;
}

/* operations */

static struct slot *pick_slot(void)
{
	struct slot *sl = &slots[rnd(2)];

	if (!sl->open) {
		enum fmode m = op_fmode;

		op_fmode = FM_NONE;
		slot_open(sl);
		op_fmode = m;
	}
	return sl;
}

static void op_xfer(bool hold)
{
	struct flow *fs[4];
	int n = 0, i, want = 1 + rnd(4);
	struct slot *sl;

	for (i = 0; i < want; i++) {
		sl = pick_slot();
		fs[n] = &sl->fl[rnd(NR_FLOWS)];
		if (fs[n]->fd >= 0 && !flow_live(fs[n]))
			flow_close(fs[n]);
		if (n && fs[n] == fs[n - 1])
			continue;
		flow_send(fs[n], xfer_size());
		fs[n]->sl->hold = hold;
		n++;
	}
	logop("%s on %d flows", hold ? "hold" : "transfer", n);
	fault_on();
	flows_wait(fs, n, false);
	fault_off();
	for (i = 0; i < n; i++) {
		flow_check(fs[i]);
		fs[i]->sl->hold = false;
	}
	if (hold) {
		/* The held bytes stay, then go back (some with garbage). */
		for (i = 0; i < 2; i++)
			CHECK(!held_corrupt(&slots[i]), "held buffers changed");
		if (rnd(2))
			for (i = 0; i < 2; i++)
				if (slots[i].open)
					release_held(&slots[i]);
	}
}

/* Does the application own the buffer at area offset @off? */
static bool owned(struct slot *sl, __u64 off)
{
	__u64 b = off / sl->buf_len;
	size_t i;

	for (i = 0; i < sl->held.nr; i++)
		if (((sl->held.v[i].off & ~IORING_ZCRX_AREA_MASK) / sl->buf_len) == b)
			return true;
	for (i = 0; i < sl->backlog.nr; i++)
		if (((sl->backlog.v[i].off & ~IORING_ZCRX_AREA_MASK) / sl->buf_len) == b)
			return true;
	return false;
}

static void rq_raw(struct slot *sl, __u64 off, __u32 len, __u32 pad)
{
	struct io_uring_zcrx_rqe *rqe;

	rqe = &sl->rq.rqes[sl->rq.tail & (sl->rq.entries - 1)];
	rqe->off = off;
	rqe->len = len;
	rqe->__pad = pad;
	sl->rq.tail++;
}

/*
 * Garbage refill entries, mixed with real returns of held buffers.  None
 * names a buffer the application owns and does not return, so none may
 * count as a return; a data transfer follows to show nothing broke.
 */
static void op_garbage(void)
{
	struct slot *sl = pick_slot();
	__u64 tok = sl->rq.token, nbufs = AREA_LEN / sl->buf_len;
	unsigned int n = 1 + rnd(48), i, real = 0;
	int ret;

	/* Every buffer the kernel gave the user is known: reap all. */
	while (slot_step(sl, 0) > 0)
		;
	push_backlog(sl);
	if (zcrx_rq_space(&sl->rq) < n + sl->held.nr || sl->backlog.nr) {
		zcrx_flush_rq(sl->ring.ring_fd, sl->id);
		if (zcrx_rq_space(&sl->rq) < n + sl->held.nr)
			n = zcrx_rq_space(&sl->rq) > sl->held.nr ?
			    zcrx_rq_space(&sl->rq) - sl->held.nr : 0;
	}
	for (i = 0; i < n; i++) {
		__u64 off = rnd(nbufs) * sl->buf_len;

		if (sl->held.nr && !rnd(3)) {
			struct held *h = &sl->held.v[--sl->held.nr];

			CHECK(zcrx_check((uint8_t *)sl->area +
					 (h->off & ~IORING_ZCRX_AREA_MASK),
					 h->len, h->seed, h->soff) == h->len,
			      "held buffer changed");
			rq_raw(sl, h->off, h->len, 0);
			sl->returned++;
			real++;
			continue;
		}
		if (owned(sl, off))
			off = AREA_LEN + off;	/* out of the area instead */
		switch (rnd(8)) {
		case 0:	/* beyond the area */
			rq_raw(sl, tok | (AREA_LEN + off), pagesz(), 0);
			break;
		case 1:	/* all offset bits */
			rq_raw(sl, tok | ~IORING_ZCRX_AREA_MASK, rnd(2) ? 0 : ~0U, 0);
			break;
		case 2:	/* another area */
			rq_raw(sl, (tok ^ ((1 + rnd(255)) << IORING_ZCRX_AREA_SHIFT)) |
				   off, pagesz(), 0);
			break;
		case 3:	/* padding */
			rq_raw(sl, tok | off, pagesz(), 1 + rnd(~0U - 1));
			break;
		case 4:	/* a buffer the kernel owns */
			rq_raw(sl, tok | off, pagesz(), 0);
			break;
		case 5:	/* zero or huge length */
			rq_raw(sl, tok | off, rnd(2) ? 0 : ~0U - rnd(100), 0);
			break;
		case 6:	/* inside a buffer */
			rq_raw(sl, tok | (off + 1 + rnd(sl->buf_len - 1)),
			       pagesz(), 0);
			break;
		default: {	/* random bits, unless they name an owned buffer */
			__u64 r = rnd64();

			if ((r & IORING_ZCRX_AREA_MASK) == tok &&
			    owned(sl, r & ~IORING_ZCRX_AREA_MASK))
				r ^= 1ULL << 63;
			rq_raw(sl, r, rnd64(), rnd64());
			break;
		}
		}
		st.garbage++;
	}
	zcrx_rq_commit(&sl->rq);
	logop("%u refill entries, %u real, on slot %d", n, real, sl->idx);
	fault_on();
	ret = zcrx_flush_rq(sl->ring.ring_fd, sl->id);
	fault_off();
	/* the flush allocates nothing: 0, faults or not */
	CHECK(!ret, "flush: %s", strerror(-ret));
	slot_audit(sl);
	/* A head the user scribbled on, a tail a lap ahead: no buffer held. */
	if (!rnd(8) && !sl->held.nr && !sl->backlog.nr) {
		__u32 t = sl->rq.tail + sl->rq.entries + rnd(16);

		__atomic_store_n(sl->rq.khead, (__u32)rnd64(), __ATOMIC_RELEASE);
		__atomic_store_n(sl->rq.ktail, t, __ATOMIC_RELEASE);
		sl->rq.tail = t;
		/*
		 * One flush reads at most a ring's worth: a tail more than a
		 * lap ahead takes a second one.
		 */
		CHECK(!zcrx_flush_rq(sl->ring.ring_fd, sl->id), "flush: %s",
		      strerror(errno));
		if (rq_khead(sl) != t)
			CHECK(!zcrx_flush_rq(sl->ring.ring_fd, sl->id),
			      "flush: %s", strerror(errno));
		CHECK(rq_khead(sl) == t, "head %u, tail %u after a bad tail",
		      rq_khead(sl), t);
		slot_audit(sl);
	}
	slot_verify(sl);
}

static bool is_cancel_res(int res)
{
	return res == 0 || res == -ENOENT || res == -EALREADY;
}

/* Wait (bounded) until the flow has a request in flight. */
static void flow_armed(struct flow *f)
{
	int i;

	for (i = 0; i < 100 && !f->armed; i++) {
		CHECK(flow_live(f), "slot %d flow %d is not live", f->sl->idx,
		      f->idx);
		slot_step(f->sl, 0);
	}
	CHECK(f->armed, "slot %d flow %d: cannot issue a request", f->sl->idx,
	      f->idx);
}

static void op_cancel(void)
{
	struct slot *sl = pick_slot();
	struct flow *f = &sl->fl[rnd(NR_FLOWS)];
	struct io_uring_sqe *sqe;
	uint64_t start;
	unsigned int before;
	int ret;

	if (!flow_live(f)) {
		flow_close(f);
		flow_open(f);
	}
	if (rnd(2))
		flow_send(f, rnd_len(64 * KiB));
	flow_armed(f);
	before = sl->cancel_cqes;
	sqe = io_uring_get_sqe(&sl->ring);
	CHECK(sqe, "no SQE");
	io_uring_prep_cancel64(sqe, UD(f), 0);
	io_uring_sqe_set_data64(sqe, CANCEL_UD);
	f->cancels++;
	logop("cancel slot %d flow %d", sl->idx, f->idx);
	fault_on();
	do {
		ret = io_uring_submit(&sl->ring);
		if (ret < 0) {
			CHECK(fault_excuses(ret, -EAGAIN),
			      "submit: %s", strerror(-ret));
			fault_off();
		}
	} while (ret < 0);
	start = now_ms();
	while (sl->cancel_cqes == before && now_ms() - start < STALL_MS)
		slot_step(sl, 20);
	fault_off();
	CHECK(sl->cancel_cqes > before, "no completion for the cancel");
	CHECK(is_cancel_res(sl->cancel_res), "cancel: %s",
	      strerror(-sl->cancel_res));
	if (sl->cancel_res == -ENOENT && f->cancels)
		f->cancels--;
	/* the request ends (cancelled), is re-armed, and data flows on */
	flow_send(f, rnd_len(8 * KiB));
	flows_wait(&f, 1, false);
	flow_check(f);
	slot_audit(sl);
}

static void op_badreg(void)
{
	static void *mem;
	struct slot *sl = pick_slot();
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_area_reg areg;
	struct io_uring_region_desc rd;
	const size_t len = 16 * pagesz();
	int ret, kind = rnd(8), ok1 = 0, ok2 = 0;
	struct zcrx_ctrl ctrl;
	const char *what;

	if (!mem)
		mem = map_mem(2 * len);
	CHECK(mem, "mmap");
	memset(&reg, 0, sizeof(reg));
	memset(&areg, 0, sizeof(areg));
	memset(&rd, 0, sizeof(rd));
	areg.addr = (uintptr_t)mem;
	areg.len = len;
	rd.user_addr = (uintptr_t)mem + len;
	rd.size = len;
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	reg.if_idx = ifindex;
	/* the free queue, so that only the broken rule can fail it */
	reg.if_rxq = slots[SPARE].rxq;
	reg.rq_entries = 64;
	reg.area_ptr = (uintptr_t)&areg;
	reg.region_ptr = (uintptr_t)&rd;
	switch (kind) {
	case 0:
		what = "a queue bound already";
		reg.if_rxq = sl->rxq;
		ok1 = -EEXIST;
		ok2 = -EBUSY;
		break;
	case 1:
		what = "a queue that does not exist";
		reg.if_rxq = NR_QUEUES + rnd(1000);
		ok1 = -EINVAL;
		ok2 = -ERANGE;
		break;
	case 2:
		what = "a device that does not exist";
		reg.if_idx = ifindex + 1000 + rnd(1000);
		ok1 = ok2 = -ENODEV;
		break;
	case 3:
		what = "bad rq_entries";
		reg.rq_entries = rnd(2) ? 0 : 65536 << rnd(8);
		ok1 = ok2 = -EINVAL;
		break;
	case 4:
		what = "a bad area";
		if (rnd(2))
			areg.len = 0;
		else
			areg.addr += 1 + rnd(pagesz() - 1);
		ok1 = ok2 = -EINVAL;
		break;
	case 5:
		what = "a reserved field";
		reg.__resv[rnd(ARRAY_SIZE(reg.__resv))] = 1 + rnd(1000);
		ok1 = ok2 = -EINVAL;
		break;
	case 6:
		what = "an unknown flag";
		reg.flags = 1U << (8 + rnd(24));
		ok1 = ok2 = -EINVAL;
		break;
	default:
		what = "a control call for an unknown ifq";
		memset(&ctrl, 0, sizeof(ctrl));
		ctrl.zcrx_id = sl->id + 1 + rnd(1000);
		ctrl.op = ZCRX_CTRL_FLUSH_RQ;
		logop("%s on slot %d", what, sl->idx);
		fault_on();
		ret = syscall(__NR_io_uring_register, sl->ring.ring_fd,
			      IORING_REGISTER_ZCRX_CTRL, &ctrl, 0);
		ret = ret < 0 ? -errno : ret;
		fault_off();
		CHECK(ret == -EINVAL, "%s: %d", what, ret);
		slot_audit(sl);
		return;
	}
	logop("register %s on slot %d", what, sl->idx);
	fault_on();
	ret = zcrx_register_ifq(sl->ring.ring_fd, &reg);
	fault_off();
	/* the ifq, its region and area are allocated before most checks */
	CHECK(ret == ok1 || ret == ok2 || fault_excuses(ret, -ENOMEM),
	      "registration with %s: %d (%s)", what, ret, strerror(-ret));
	slot_verify(sl);
}

static void op_reopen(void)
{
	struct slot *sl = &slots[rnd(2)];
	int i;

	logop("reopen slot %d", sl->idx);
	if (sl->open) {
		/* data in flight, completions not reaped, buffers held */
		for (i = 0; i < NR_FLOWS; i++)
			if (rnd(2))
				flow_send(&sl->fl[i], rnd_len(256 * KiB));
		sl->hold = rnd(2);
		for (i = rnd(3); i > 0; i--)
			slot_step(sl, 10);
		slot_close(sl);
	}
	slot_open(sl);
	slot_verify(sl);
}

/* Did the request of @f end, in a completion not reaped yet? */
static bool flow_ended_unreaped(struct slot *sl, struct flow *f)
{
	struct io_uring_cqe *cqe;
	unsigned int head;

	io_uring_for_each_cqe(&sl->ring, head, cqe)
		if (cqe->user_data == UD(f) && !(cqe->flags & IORING_CQE_F_MORE))
			return true;
	return false;
}

/*
 * Completions left unreaped until the CQ is full: a transfer of more
 * buffers than the CQ has entries (8 to 64) fills it, the request ends
 * with -ENOSPC, is issued again and everything arrives.
 */
static void op_overflow(void)
{
	struct __kernel_timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
	struct slot *sl = pick_slot();
	struct io_uring_cqe *cqe;
	struct flow *f;
	uint64_t start;

	f = &sl->fl[rnd(NR_FLOWS)];
	while (slot_step(sl, 0) > 0)
		;
	flow_send(f, (sl->cq + 8 + rnd(sl->cq)) * sl->buf_len);
	logop("overflow slot %d (CQ %u) flow %d", sl->idx, sl->cq, f->idx);
	flow_armed(f);
	fault_on();
	start = now_ms();
	while (now_ms() - start < STALL_MS) {
		flow_pump(f);
		io_uring_wait_cqes(&sl->ring, &cqe, sl->cq, &ts, NULL);
		if (io_uring_cq_ready(&sl->ring) >= sl->cq ||
		    (IO_URING_READ_ONCE(*sl->ring.sq.kflags) &
		     IORING_SQ_CQ_OVERFLOW) ||
		    flow_ended_unreaped(sl, f))
			break;
	}
	if (io_uring_cq_ready(&sl->ring) >= sl->cq)
		st.overflows++;
	flows_wait(&f, 1, false);
	fault_off();
	flow_check(f);
	slot_audit(sl);
}

/* Register and close on the spare queue, on one ring or with a transfer. */
static void op_spare(void)
{
	struct slot *sl = &slots[SPARE];
	struct flow *f = &sl->fl[rnd(NR_FLOWS)];

	logop("spare register%s", f->idx ? " with a transfer" : "");
	slot_open(sl);
	if (rnd(2)) {
		flow_send(f, rnd_len(64 * KiB));
		flows_wait(&f, 1, false);
		flow_check(f);
		slot_audit(sl);
	}
	slot_close(sl);
}

static int queue_reset(unsigned int q)
{
	char buf[16];
	int fd, n, ret;

	fd = open(reset_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%u", q);
	fault_on();
	ret = write(fd, buf, n) == n ? 0 : -errno;
	fault_off();
	close(fd);
	return ret;
}

static void op_restart(void)
{
	struct slot *sl = pick_slot();
	struct flow *fs[NR_FLOWS];
	int i, ret;

	for (i = 0; i < NR_FLOWS; i++) {
		fs[i] = &sl->fl[i];
		if (fs[i]->fd >= 0 && !flow_live(fs[i]))
			flow_close(fs[i]);
		flow_send(fs[i], rnd_len(256 * KiB));
	}
	for (i = rnd(3); i > 0; i--)
		slot_step(sl, 5);
	logop("restart queue %u", sl->rxq);
	ret = queue_reset(sl->rxq);
	if (ret) {
		CHECK(fault_excuses(ret, -ENOMEM), "queue restart: %s", strerror(-ret));
		op_fmode = FM_NONE;
		ret = queue_reset(sl->rxq);
		CHECK(!ret, "queue restart after a failed one: %s",
		      strerror(-ret));
	}
	flows_wait(fs, NR_FLOWS, false);
	for (i = 0; i < NR_FLOWS; i++)
		flow_check(fs[i]);
	slot_audit(sl);
}

static void op_urgent(void)
{
	struct slot *sl = pick_slot();
	struct flow *f = &sl->fl[rnd(NR_FLOWS)];
	uint64_t uoff;
	ssize_t n;
	uint8_t c;

	if (f->fd >= 0 && !flow_live(f))
		flow_close(f);
	flow_urgent(f, rnd(capped(16 * KiB)), rnd_len(16 * KiB));
	uoff = f->urg[f->nurg - 1];
	logop("urgent byte at %llu, slot %d flow %d, SO_OOBINLINE %s",
	      (unsigned long long)uoff, sl->idx, f->idx,
	      f->oobinline ? "on" : "off");
	fault_on();
	flows_wait(&f, 1, false);
	fault_off();
	flow_check(f);
	/*
	 * The stream is read past the mark: as after recvmsg(), the byte is
	 * no longer there for MSG_OOB, with SO_OOBINLINE or without.
	 */
	n = recv(f->fd, &c, 1, MSG_OOB | MSG_DONTWAIT);
	CHECK(n < 0 && errno == EINVAL,
	      "recv(MSG_OOB) past the mark, SO_OOBINLINE %s: %zd %s",
	      f->oobinline ? "on" : "off", n, n < 0 ? strerror(errno) : "");
	st.urg_oob++;
	slot_verify(sl);
}

static void op_flowcycle(void)
{
	struct slot *sl = pick_slot();
	struct flow *f = &sl->fl[rnd(NR_FLOWS)];

	logop("flow cycle slot %d flow %d", sl->idx, f->idx);
	if (f->fd < 0 || !flow_live(f)) {
		flow_close(f);
		flow_open(f);
	}
	/* the sender shuts down after its data: all of it, then EOF */
	f->txshut = true;
	flow_send(f, rnd(capped(32 * KiB)));
	flows_wait(&f, 1, true);
	flow_check(f);
	close(f->txfd);
	f->txfd = -1;
	close(f->fd);
	f->fd = -1;
	f->gen = (f->gen + 1) & 0xffffff;
	slot_verify(sl);
}

/*
 * The addresses of namespace @ns, host part @host, and the routes that
 * come with them, as nsim_env.sh set them up.  A link up that ran with
 * faults can leave them broken without failing: IPv6 drops an address
 * whose prefix route it could not add ("Failed to add prefix route ...
 * dropping"), and IPv4 keeps the address without its prefix route
 * (fib_add_ifaddr() has no way to report a failed insert), after which
 * every packet for the subnet, the ACKs of the flows included, fails with
 * IP_OUTNOROUTES and the flows stall.  Count what was missing; put it back.
 */
static void addr_restore(const char *ns, int host)
{
	/* each with the namespace, the host part and the device */
	static const char *const show[] = {
		"ip -n %1$s -4 route show 192.0.2.0/24 dev %3$s",
		"ip -n %1$s -4 route show table local 192.0.2.%2$d dev %3$s",
		"ip -n %1$s -6 route show 2001:db8::/64 dev %3$s",
	};
	static const char *const restore[] = {
		"ip -n %1$s addr replace 192.0.2.%2$d/24 dev %3$s",
		"ip -n %1$s addr replace 2001:db8::%2$d/64 dev %3$s nodad",
		"ip -n %1$s route replace 192.0.2.0/24 dev %3$s proto kernel scope link src 192.0.2.%2$d",
		"ip -n %1$s route replace local 192.0.2.%2$d dev %3$s table local proto kernel scope host src 192.0.2.%2$d",
		"ip -n %1$s -6 route replace 2001:db8::/64 dev %3$s proto kernel metric 256",
	};
	char cmd[256], line[256];
	bool missing = false;
	size_t i;
	FILE *p;

	for (i = 0; i < ARRAY_SIZE(show); i++) {
		snprintf(cmd, sizeof(cmd), show[i], ns, host, IFNAME);
		p = popen(cmd, "r");
		CHECK(p, "%s: %s", cmd, strerror(errno));
		if (!fgets(line, sizeof(line), p))
			missing = true;
		while (fgets(line, sizeof(line), p))
			;
		CHECK(!pclose(p), "%s failed", cmd);
	}
	st.route_restores += missing;
	for (i = 0; i < ARRAY_SIZE(restore); i++) {
		snprintf(cmd, sizeof(cmd), restore[i], ns, host, IFNAME);
		CHECK(!system(cmd), "cannot restore the addresses and routes of %s: %s",
		      ns, cmd);
	}
	st.addr_restores++;
}

static void op_link(void)
{
	bool faulted;
	bool peer = rnd(2);
	int sock = peer ? sock_a : sock_b, ret, i, j, n = 0;
	struct flow *fs[4];

	for (i = 0; i < 2; i++) {
		struct slot *sl = pick_slot();

		for (j = 0; j < NR_FLOWS; j++) {
			if (sl->fl[j].fd >= 0 && !flow_live(&sl->fl[j]))
				flow_close(&sl->fl[j]);
			if (i && sl == fs[0]->sl)
				continue;
			flow_send(&sl->fl[j], rnd_len(128 * KiB));
			fs[n++] = &sl->fl[j];
		}
	}
	logop("link of %s down and up", peer ? "A" : "B");
	CHECK(!link_set(sock, false), "link down: %s", strerror(errno));
	for (i = 0; i < 2; i++)
		if (slots[i].open)
			slot_step(&slots[i], 10);
	fault_on();
	faulted = fault_armed;
	ret = link_set(sock, true);
	fault_off();
	if (ret) {
		CHECK(fault_excuses(ret, -ENOMEM), "link up: %s", strerror(-ret));
		ret = link_set(sock, true);
		CHECK(!ret, "link up after a failed one: %s", strerror(-ret));
	}
	/*
	 * IPv6 drops an address whose prefix route it cannot add when the
	 * link comes up ("Failed to add prefix route ... dropping"): an
	 * allocation failed, the link is up; put the addresses back.
	 */
	if (faulted)
		addr_restore(peer ? ns_a : ns_b, peer ? 1 : 2);
	flows_wait(fs, n, false);
	for (i = 0; i < n; i++)
		flow_check(fs[i]);
	for (i = 0; i < 2; i++)
		slot_audit(&slots[i]);
}

/* The receiver child: register, say so, receive until killed. */
static int killed_receiver(struct slot *sl, int ready)
{
	struct flow *f = &sl->fl[0];
	struct pollfd pfd = { .fd = lfd[SPARE][0], .events = POLLIN };

	op_fmode = FM_NONE;
	if (slot_try_open(sl))
		return 2;
	if (write(ready, "r", 1) != 1)
		return 3;
	if (poll(&pfd, 1, 20000) != 1)
		return 4;
	f->fd = accept4(pfd.fd, NULL, NULL, SOCK_CLOEXEC);
	if (f->fd < 0)
		return 5;
	f->seed = zcrx_seed(f->fd);
	f->sent = ~0ULL >> 1;
	f->soff = 0;
	f->nurg = f->cancels = 0;
	f->armed = f->eof = false;
	f->err = 0;
	sl->hold = true;
	for (;;)
		slot_step(sl, 100);
}

/* Print a file of /proc/@pid, for a child that does not die. */
static void show_proc(pid_t pid, const char *what)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		ksft_print_msg("%s: %s", what, line);
	fclose(f);
}

/* Kill -9 and reap within 60 s, or show where the child is stuck. */
static int kill_reap(pid_t pid)
{
	int i, n, status;

	kill(pid, SIGKILL);
	for (n = 0; n < 600; n++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100 * 1000);
	}
	if (n == 600) {
		show_proc(pid, "status");
		show_proc(pid, "stack");
		for (i = 0; i < 3; i++) {
			usleep(300 * 1000);
			show_proc(pid, "stack");
		}
		die("pid %d does not exit 60 s after kill -9", pid);
	}
	for (i = 0; i < MAX_KIDS; i++)
		if (kids[i] == pid)
			kids[i] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

/*
 * Connections that nobody accepted: their senders are gone.  Only those
 * already queued: the listener blocks, and SOCK_NONBLOCK of accept4()
 * applies to the new socket, not to the wait for one.
 */
static void drain_listener(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int c;

	while (poll(&pfd, 1, 0) == 1) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		CHECK(c >= 0, "accept: %s", strerror(errno));
		close(c);
	}
}

static void op_kill(void)
{
	struct slot *sl = &slots[SPARE];
	struct flow *f = &sl->fl[0];
	struct cmd c = { .op = CMD_SEND, .len = 1 << 30 };
	struct pollfd pfd;
	int p[2], rc, delay = rnd(4);
	pid_t pid;
	char ch;

	logop("kill -9 of a receiver, delay class %d", delay);
	f->tx = 0;
	f->ctl = -1;
	CHECK(!pipe2(p, O_CLOEXEC), "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		for (rc = 0; rc < NR_SLOTS - 1; rc++)
			if (slots[rc].open)
				close(slots[rc].ring.ring_fd);
		drop_ring_maps();
		_exit(killed_receiver(sl, p[1]));
	}
	kid_add(pid);
	close(p[1]);
	setstage("kill: waiting for the receiver");
	if (delay) {
		pfd.fd = p[0];
		pfd.events = POLLIN;
		CHECK(poll(&pfd, 1, 60000) == 1 && read(p[0], &ch, 1) == 1,
		      "the receiver failed");
		/* a sender for it, and some time to receive */
		setstage("kill: starting its sender");
		sender_start(f, 20000 + (flow_seq++ % 30000));
		CHECK(write(f->ctl, &c, sizeof(c)) == sizeof(c), "pipe");
		usleep(rnd(delay * 100) * 1000);
	}
	setstage("kill: kill -9 of the receiver");
	rc = kill_reap(pid);
	CHECK(rc == 128 + SIGKILL, "the receiver ended with %d", rc);
	close(p[0]);
	setstage("kill: kill -9 of the sender");
	if (f->tx)
		kill_reap(f->tx);
	if (f->ctl >= 0)
		close(f->ctl);
	f->tx = 0;
	f->ctl = -1;
	drain_listener(lfd[SPARE][0]);
	fault_recent = false;
	/* The queue is free again at once, and works. */
	setstage("kill: registration after the kill");
	slot_open(sl);
	setstage("kill: transfer after the kill");
	slot_verify(sl);
	setstage("kill: close");
	slot_close(sl);
}

static bool slot_armed(struct slot *sl)
{
	int j;

	for (j = 0; j < NR_FLOWS; j++)
		if (sl->fl[j].armed)
			return true;
	return false;
}

/*
 * Delete B's device under both bound queues with data in flight.  The
 * removal ends no request (Documentation/networking/iou-zcrx.rst): each
 * one still armed is cancelled and must end, with -ECANCELED or with an
 * end it reached before (-ENOSPC, -ENOMEM), within STALL_MS; every byte
 * that arrived was checked, the held ones must not change, every page
 * is unpinned once the rings are closed, and the queues must take new
 * registrations on a new device put in its place.
 */
static void op_devdel(void)
{
	struct io_uring_sqe *sqe;
	char path[128], buf[32];
	int i, j, fd, len;
	uint64_t start;

	logop("delete the device of B");
	for (i = 0; i < 2; i++) {
		struct slot *sl = &slots[i];

		if (!sl->open)
			slot_open(sl);
		for (j = 0; j < NR_FLOWS; j++)
			if (rnd(4))
				flow_send(&sl->fl[j], rnd_len(64 * KiB));
		while (slot_step(sl, 10) > 0)
			;
		sl->hold = true;
	}
	setstage("devdel: deletion");
	fd = open("/sys/bus/netdevsim/del_device", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "del_device: %s", strerror(errno));
	len = snprintf(buf, sizeof(buf), "%d", zcrx_nsim_id(ns_b));
	CHECK(write(fd, buf, len) == len, "del_device: %s", strerror(errno));
	close(fd);
	snprintf(path, sizeof(path), "/run/netns/.%s.nsim", ns_b);
	unlink(path);
	setstage("devdel: every request ends");
	for (i = 0; i < 2; i++) {
		struct slot *sl = &slots[i];
		struct zcrx_info info;

		sl->quiet = true;
		while (slot_step(sl, 0) > 0)
			;
		for (j = 0; j < NR_FLOWS; j++) {
			struct flow *f = &sl->fl[j];

			if (!f->armed)
				continue;
			sqe = io_uring_get_sqe(&sl->ring);
			CHECK(sqe, "no SQE");
			io_uring_prep_cancel64(sqe, UD(f), 0);
			io_uring_sqe_set_data64(sqe, CANCEL_UD);
			f->cancels++;
			st.devdel_armed++;
		}
		start = now_ms();
		while (slot_armed(sl) && now_ms() - start < STALL_MS)
			slot_step(sl, 20);
		for (j = 0; j < NR_FLOWS; j++) {
			struct flow *f = &sl->fl[j];

			CHECK(!f->armed,
			      "slot %d flow %d: the request does not end after the device is gone and it was cancelled",
			      i, j);
			flow_check(f);
		}
		CHECK(!info_get(sl, &info), "fdinfo after device deletion");
		CHECK(!strcmp(info.dev, "-"), "ifq still on %s", info.dev);
		CHECK(!held_corrupt(sl), "held buffers changed");
		release_held(sl);
		slot_close(sl);
		sl->quiet = false;
	}
	setstage("devdel: pages unpinned");
	start = now_ms();
	while (vm_pinned_kb() > pinned0 && now_ms() - start < STALL_MS)
		usleep(10 * 1000);
	CHECK(vm_pinned_kb() == pinned0, "%ld kB pinned after every ring closed",
	      vm_pinned_kb() - pinned0);
	setstage("devdel: the new device");
	env_renew();
	for (i = 0; i < 2; i++) {
		op_fmode = FM_NONE;
		slot_open(&slots[i]);
		slot_verify(&slots[i]);
	}
}

/* the campaign */

static void cleanup(void)
{
	int i;

	if (getpid() != main_pid)
		return;
	fault_off();
	fi_restore();
	trace_drops(false);
	for (i = 0; i < NR_SLOTS; i++)
		if (slots[i].open) {
			io_uring_queue_exit(&slots[i].ring);
			slots[i].open = false;
		}
	alarm(0);
	if (init_ns >= 0 && setns(init_ns, CLONE_NEWNET))
		ksft_print_msg("cannot go back to the initial netns\n");
	for (i = 0; i < MAX_KIDS; i++) {
		int n;

		if (kids[i] <= 0)
			continue;
		kill(kids[i], SIGKILL);
		/* a child stuck in the kernel must not hang the report */
		for (n = 0; n < 50 && !waitpid(kids[i], NULL, WNOHANG); n++)
			usleep(100 * 1000);
		if (n == 50)
			ksft_print_msg("child %d does not die\n", kids[i]);
		kids[i] = 0;
	}
	env_down();
}

static unsigned long parse_duration(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	switch (*end) {
	case 'h':
		return v * 3600;
	case 'm':
		return v * 60;
	default:
		return v;
	}
}

static const char *opt(const char *env)
{
	const char *v = getenv(env);

	return v && *v ? v : NULL;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS] [-d DURATION] [-u 0|1] [-f 0|1] [-p PCT] [-l SECS] [-r OPS] [-m BYTES] [-P quick|full]\n",
		prog);
	exit(KSFT_FAIL);
}

/* Urgent data and the names in ZCRX_STRESS_SKIP can be left out. */
static bool op_on(int k)
{
	const char *p = skip;
	size_t n = strlen(ops[k].name);

	if (k == OP_URGENT && !opt_urgent)
		return false;
	while (p && (p = strstr(p, ops[k].name))) {
		if ((p == skip || p[-1] == ',') && (!p[n] || p[n] == ','))
			return false;
		p += n;
	}
	return true;
}

/* Is kind @k scheduled once every rare_every operations? */
static bool rare_sched(int k)
{
	return ops[k].rare && (full_profile || k != OP_DEVDEL);
}

/*
 * Operation @n is the scheduled run of a rare kind when it falls on that
 * kind's place in a period of rare_every operations; otherwise @k.
 */
static enum op_kind rare_at(unsigned long n, enum op_kind k)
{
	unsigned long nr = 0, r = 0, pos = n % rare_every;
	int i;

	for (i = 0; i < NR_OPS; i++)
		nr += rare_sched(i);
	for (i = 0; i < NR_OPS; i++) {
		if (!rare_sched(i))
			continue;
		r++;
		if (pos == r * rare_every / (nr + 1))
			return i;
	}
	return k;
}

static enum op_kind pick_op(void)
{
	unsigned long total = 0, r;
	int i;

	for (i = 0; i < NR_OPS; i++)
		if (op_on(i))
			total += weight(i);
	r = rnd(total);
	for (i = 0; i < NR_OPS; i++) {
		if (!op_on(i))
			continue;
		if (r < weight(i))
			return i;
		r -= weight(i);
	}
	return OP_XFER;
}

int main(int argc, char **argv)
{
	unsigned long last_leak, t0, last_note;
	const char *v, *profile;
	uint64_t op_t0;
	int c, i, j;

	main_pid = getpid();
	seed = time(NULL) ^ ((unsigned long long)getpid() << 32);
	v = opt("ZCRX_STRESS_SEED");
	if (v)
		seed = strtoull(v, NULL, 0);
	v = opt("ZCRX_STRESS_OPS");
	if (v)
		max_ops = strtoul(v, NULL, 0);
	v = opt("ZCRX_STRESS_DURATION");
	if (v) {
		duration_s = parse_duration(v);
		if (!opt("ZCRX_STRESS_OPS"))
			max_ops = 0;
	}
	v = opt("ZCRX_STRESS_URGENT");
	if (v)
		opt_urgent = atoi(v);
	v = opt("ZCRX_STRESS_FAULTS");
	if (v)
		opt_faults = atoi(v);
	v = opt("ZCRX_STRESS_FAIL_PCT");
	if (v)
		fail_pct = atoi(v);
	v = opt("ZCRX_STRESS_LEAK_EVERY");
	if (v)
		leak_every = parse_duration(v);
	profile = opt("ZCRX_STRESS_PROFILE");
	v = opt("ZCRX_STRESS_RARE_EVERY");
	if (v)
		rare_every = strtoul(v, NULL, 0);
	v = opt("ZCRX_STRESS_MAX_SEND");
	if (v)
		max_send = strtoul(v, NULL, 0);
	verbose = opt("ZCRX_STRESS_VERBOSE");
	skip = opt("ZCRX_STRESS_SKIP");
	while ((c = getopt(argc, argv, "s:n:d:u:f:p:l:r:m:P:")) != -1) {
		switch (c) {
		case 'P':
			profile = optarg;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			max_ops = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			duration_s = parse_duration(optarg);
			break;
		case 'u':
			opt_urgent = atoi(optarg);
			break;
		case 'f':
			opt_faults = atoi(optarg);
			break;
		case 'p':
			fail_pct = atoi(optarg);
			break;
		case 'l':
			leak_every = parse_duration(optarg);
			break;
		case 'r':
			rare_every = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			max_send = strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	full_profile = profile && !strcmp(profile, "full");
	if (profile && !full_profile && strcmp(profile, "quick"))
		usage(argv[0]);
	if (rare_every == ULONG_MAX)
		rare_every = full_profile ? 1000 : 5000;
	if (!max_send)
		max_send = full_profile ? MiB : 8 * KiB;
	if (fail_pct < 0 || fail_pct > 100)
		usage(argv[0]);
	rng = seed;

	ksft_print_header();
	ksft_set_plan(1);
	ksft_print_msg("seed %llu, %lu operations%s, duration %lus, urgent %s, faults %s (%d%%), %s profile\n",
		       seed, max_ops, max_ops ? "" : " (no limit)", duration_s,
		       opt_urgent ? "on" : "off", opt_faults ? "on" : "off",
		       fail_pct, full_profile ? "full" : "quick");
	replay_hint();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);

	snprintf(ns_a, sizeof(ns_a), "zcrx-sa-%d", main_pid);
	snprintf(ns_b, sizeof(ns_b), "zcrx-sb-%d", main_pid);
	for (i = 0; i < NR_SLOTS; i++) {
		slots[i].idx = i;
		slots[i].rxq = (i + 1) % NR_QUEUES;
		for (j = 0; j < NR_FLOWS; j++) {
			slots[i].fl[j].sl = &slots[i];
			slots[i].fl[j].idx = j;
			slots[i].fl[j].fd = -1;
			slots[i].fl[j].ctl = -1;
			slots[i].fl[j].txfd = -1;
			lfd[i][j] = -1;
		}
	}
	kmsg_open();
	trace_drops(true);
	init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (init_ns < 0)
		die("no /proc/self/ns/net: %s", strerror(errno));
	if (opt_faults && fi_setup())
		die("fault injection is not available (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS and debugfs): %s",
		    strerror(errno));
	/* what an earlier scan reported is not ours */
	kmemleak_clear();
	pinned0 = vm_pinned_kb();
	alarm(OP_LIMIT_S * 2);
	env_up();
	for (i = 0; i < 2; i++) {
		slot_open(&slots[i]);
		slot_verify(&slots[i]);
	}
	kmsg_check();

	/*
	 * Every kind once first, the device deletion last (so that a run
	 * cut short by a time limit has one too), then the draws and the
	 * rare kinds' schedule.
	 */
	t0 = last_leak = last_note = now_ms() / 1000;
	for (op_no = 1;; op_no++) {
		enum op_kind k;
		unsigned long now = now_ms() / 1000;

		if (max_ops && op_no > max_ops)
			break;
		if (duration_s && now - t0 >= duration_s)
			break;
		/*
		 * Each operation draws from its own stream, so that how the
		 * data of earlier ones was split into completions cannot
		 * change what comes next.
		 */
		rng = seed ^ (op_no * 0xd1b54a32d192ed03ULL);
		rnd64();
		k = pick_op();
		/* first, every kind once, the deletion last; then the rare ones */
		if (op_no <= NR_OPS)
			k = (enum op_kind)(op_no - 1);
		else if (rare_every)
			k = rare_at(op_no, k);
		if (!op_on(k))
			k = OP_XFER;
		op_t0 = now_ms();
		op_name = ops[k].name;
		logstart();
		stage = "-";
		fault_recent = false;
		fault_pick();
		alarm(OP_LIMIT_S);
		switch (k) {
		case OP_XFER:
			op_xfer(false);
			break;
		case OP_HOLD:
			op_xfer(true);
			break;
		case OP_GARBAGE:
			op_garbage();
			break;
		case OP_CANCEL:
			op_cancel();
			break;
		case OP_BADREG:
			op_badreg();
			break;
		case OP_REOPEN:
			op_reopen();
			break;
		case OP_OVERFLOW:
			op_overflow();
			break;
		case OP_SPARE:
			op_spare();
			break;
		case OP_RESTART:
			op_restart();
			break;
		case OP_URGENT:
			op_urgent();
			break;
		case OP_FLOWCYCLE:
			op_flowcycle();
			break;
		case OP_LINK:
			op_link();
			break;
		case OP_KILL:
			op_kill();
			break;
		case OP_DEVDEL:
			op_devdel();
			break;
		default:
			break;
		}
		fault_off();
		op_fmode = FM_NONE;
		st.ops[k]++;
		op_t0 = now_ms() - op_t0;
		st.ms[k] += op_t0;
		if (op_t0 > st.max_ms[k])
			st.max_ms[k] = op_t0;
		if (verbose)
			ksft_print_msg("#%lu %s: %llu ms\n", op_no, op_name,
				       (unsigned long long)op_t0);
		kmsg_check();
		if (now - last_note >= 60 || !(op_no % 1000)) {
			ksft_print_msg("%lu operations in %lus, %llu bytes checked, %llu faults injected\n",
				       op_no, now - t0, st.bytes, fi_injected());
			last_note = now;
		}
		if (leak_every && now - last_leak >= leak_every) {
			if (kmemleak_check())
				die("kmemleak found leaks (operations up to %lu)",
				    op_no);
			kmemleak_clear();
			last_leak = now;
		}
	}
	op_no--;
	op_name = "end";

	/* Everything closes cleanly and gives its pinned pages back. */
	for (i = 0; i < NR_SLOTS; i++) {
		slot_audit(&slots[i]);
		if (slots[i].open)
			release_held(&slots[i]);
		slot_close(&slots[i]);
	}
	t0 = now_ms() / 1000 - t0;
	c = 0;
	while (vm_pinned_kb() > pinned0 && c++ < 100)
		usleep(100 * 1000);
	CHECK(vm_pinned_kb() == pinned0, "%ld kB stay pinned",
	      vm_pinned_kb() - pinned0);
	kmsg_check();

	ksft_print_msg("%lu operations in %lus:\n", op_no, t0);
	ksft_print_msg("  %-16s %7s %9s %8s %8s\n", "kind", "count", "total ms",
		       "mean ms", "max ms");
	for (i = 0; i < NR_OPS; i++)
		ksft_print_msg("  %-16s %7lu %9llu %8llu %8llu%s\n", ops[i].name,
			       st.ops[i], (unsigned long long)st.ms[i],
			       (unsigned long long)(st.ops[i] ?
						    st.ms[i] / st.ops[i] : 0),
			       (unsigned long long)st.max_ms[i],
			       op_on(i) ? "" : " (left out)");
	ksft_print_msg("faults: %lu operations armed, %llu allocations failed, %lu fail-nth points hit, %lu calls failed with their documented errno\n",
		       st.faulted, fi_injected(), st.nth_fired, st.fault_errs);
	ksft_print_msg("data: %llu bytes in %lu completions checked on %lu flows; %lu registrations (%lu retried); %lu address restores after a faulted link up, %lu with a route missing\n",
		       st.bytes, st.cqes, st.flows, st.regs, st.reg_retries,
		       st.addr_restores, st.route_restores);
	ksft_print_msg("ends: %lu -ENOSPC (%lu full CQs), %lu -ENOMEM, %lu cancelled, %lu dropped-CQE reports\n",
		       st.enospc, st.overflows, st.enomem, st.cancelled,
		       st.ebadr);
	ksft_print_msg("refill: %lu garbage entries, rq_invalid up to %lu; urgent: %lu inline, %lu out of band, %lu MSG_OOB past the mark; %lu verifications\n",
		       st.garbage, st.rq_invalid, st.urg_inline, st.urg_skipped,
		       st.urg_oob, st.verify);
	if (kmemleak_check())
		die("kmemleak found leaks at the end");
	/*
	 * Every kind ran: once in the first pass, three times in a run of
	 * two periods of the rare ones (the first pass and two schedules),
	 * but for a kind that is not scheduled (the quick profile's
	 * deletion).
	 */
	for (i = 0; i < NR_OPS; i++) {
		unsigned long min = op_no >= NR_OPS;

		if (rare_every && op_no >= 2 * rare_every &&
		    (!ops[i].rare || rare_sched(i)))
			min = 3;

		CHECK(!op_on(i) || st.ops[i] >= min,
		      "%s ran %lu times in %lu operations, not %lu", ops[i].name,
		      st.ops[i], op_no, min);
	}
	cleanup();
	ksft_test_result_pass("stress campaign: %lu operations, seed %llu\n",
			      op_no, seed);
	ksft_finished();
}
