// SPDX-License-Identifier: GPL-2.0
/*
 * TCP between two linked netdevsim ports in two network namespaces, with
 * every received byte checked against the sender's pattern, with the
 * receiver's tcp-data-split off and on.  This is the data path that
 * zero-copy receive builds on; it must stay intact.  With split on, the
 * receiver's counters must show split packets; with it off, none.
 */
#include <signal.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "zcrx_common.h"

#define PORT	9000

FIXTURE(nsim)
{
	char ns_a[32];
	char ns_b[32];
};

FIXTURE_VARIANT(nsim)
{
	int family;
	uint64_t size;
	int split;
};

FIXTURE_VARIANT_ADD(nsim, ipv4_1b)
{
	.family = AF_INET,
	.size = 1,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv4_4k)
{
	.family = AF_INET,
	.size = 4096,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv4_1m)
{
	.family = AF_INET,
	.size = 1 << 20,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv4_64m)
{
	.family = AF_INET,
	.size = 64 << 20,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv6_1b)
{
	.family = AF_INET6,
	.size = 1,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv6_4k)
{
	.family = AF_INET6,
	.size = 4096,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv6_1m)
{
	.family = AF_INET6,
	.size = 1 << 20,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, ipv6_64m)
{
	.family = AF_INET6,
	.size = 64 << 20,
	.split = 0,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv4_1b)
{
	.family = AF_INET,
	.size = 1,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv4_4k)
{
	.family = AF_INET,
	.size = 4096,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv4_1m)
{
	.family = AF_INET,
	.size = 1 << 20,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv4_64m)
{
	.family = AF_INET,
	.size = 64 << 20,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv6_1b)
{
	.family = AF_INET6,
	.size = 1,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv6_4k)
{
	.family = AF_INET6,
	.size = 4096,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv6_1m)
{
	.family = AF_INET6,
	.size = 1 << 20,
	.split = 1,
};

FIXTURE_VARIANT_ADD(nsim, split_ipv6_64m)
{
	.family = AF_INET6,
	.size = 64 << 20,
	.split = 1,
};


FIXTURE_SETUP(nsim)
{
	snprintf(self->ns_a, sizeof(self->ns_a), "zcrx-a-%d", getpid());
	snprintf(self->ns_b, sizeof(self->ns_b), "zcrx-b-%d", getpid());
	ASSERT_EQ(0, zcrx_env_up(self->ns_a, self->ns_b, 1));
	if (variant->split)
		ASSERT_EQ(0, zcrx_env_hds(self->ns_b, 1));
}

FIXTURE_TEARDOWN(nsim)
{
	EXPECT_EQ(0, zcrx_env_down(self->ns_a, self->ns_b));
}

/*
 * Receive until EOF in namespace B; report how many bytes arrived and where
 * the first wrong byte was through @report (two uint64_t).
 */
static int receiver(const char *ns, int family, int ready_fd, int report_fd)
{
	static uint8_t buf[64 * 1024];
	struct sockaddr_storage ss;
	uint64_t res[2] = { 0, UINT64_MAX }, seed;
	socklen_t len;
	int one = 1;
	int lfd, fd;
	ssize_t n;
	size_t bad;

	if (zcrx_enter_netns(ns))
		return 10;
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		return 11;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (zcrx_sockaddr(family, family == AF_INET ? ZCRX_NS_B_ADDR4 : ZCRX_NS_B_ADDR6,
			  PORT, &ss, &len))
		return 12;
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 1))
		return 13;
	if (write(ready_fd, "r", 1) != 1)
		return 14;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 15;
	seed = zcrx_seed(fd);
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 16;
		if (n == 0)
			break;
		bad = zcrx_check(buf, n, seed, res[0]);
		if (bad != (size_t)n && res[1] == UINT64_MAX)
			res[1] = res[0] + bad;
		res[0] += n;
	}
	if (write(report_fd, res, sizeof(res)) != sizeof(res))
		return 17;
	close(fd);
	close(lfd);
	return 0;
}

TEST_F_TIMEOUT(nsim, tcp_transfer, 600)
{
	int ready[2], report[2], status, fd;
	long long split0, split1, bytes0, bytes1;
	struct sockaddr_storage ss;
	uint64_t res[2];
	socklen_t len;
	pid_t pid;
	char c;

	split0 = zcrx_counter(self->ns_b, "rx0_split");
	bytes0 = zcrx_counter(self->ns_b, "rx0_bytes");
	ASSERT_GE(split0, 0);
	ASSERT_GE(bytes0, 0);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(report));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(receiver(self->ns_b, variant->family, ready[1], report[1]));
	close(ready[1]);
	close(report[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("receiver did not start");

	ASSERT_EQ(0, zcrx_enter_netns(self->ns_a));
	fd = socket(variant->family, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, zcrx_sockaddr(variant->family,
				   variant->family == AF_INET ? ZCRX_NS_B_ADDR4 : ZCRX_NS_B_ADDR6,
				   PORT, &ss, &len));
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, zcrx_send_pattern(fd, variant->size));
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ((ssize_t)sizeof(res), read(report[0], res, sizeof(res)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(variant->size, res[0]);
	EXPECT_EQ(UINT64_MAX, res[1])
		TH_LOG("first wrong byte at offset %llu", (unsigned long long)res[1]);

	/* Every payload byte went through the receiver's rx queue. */
	split1 = zcrx_counter(self->ns_b, "rx0_split");
	bytes1 = zcrx_counter(self->ns_b, "rx0_bytes");
	EXPECT_GE((unsigned long long)(bytes1 - bytes0), variant->size);
	if (variant->split) {
		EXPECT_GT(split1, split0);
	} else {
		EXPECT_EQ(split1, split0);
	}
}

TEST_HARNESS_MAIN
