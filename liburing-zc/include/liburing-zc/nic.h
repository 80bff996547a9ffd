/* SPDX-License-Identifier: MIT OR LGPL-2.1 */
/*
 * Preparing a network device for zero-copy receive of one flow: header/data
 * split on, an ntuple rule steering the flow to the chosen rx queue, and
 * (where the device lets its RSS indirection table be changed) no other
 * flow hashed to that queue.  For a connection that exists already,
 * io_uring_zcrx_nic_setup_conn() steers it through the RSS table where the
 * device takes no ntuple rules.  Everything changed is recorded in a state
 * file first and undone by io_uring_zcrx_nic_restore(); after a crash,
 * io_uring_zcrx_nic_restore_saved() (or "zcrx-nic restore IFNAME") undoes
 * it from the state file.
 */
#ifndef LIBURING_ZC_NIC_H
#define LIBURING_ZC_NIC_H

#include <stddef.h>
#include <linux/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* the flow to steer, as the receiving host sees it */
struct io_uring_zcrx_flow {
	int	family;		/* AF_INET or AF_INET6 */
	__u16	dst_port;	/* local port, host byte order; required */
	__u16	src_port;	/* remote port, host byte order; 0: any */
	__u32	__resv[4];
};

enum {
	/* leave the RSS indirection table as it is */
	IO_URING_ZCRX_NIC_NO_RSS	= 1U << 0,
	/* also restore from an atexit() handler */
	IO_URING_ZCRX_NIC_ATEXIT	= 1U << 1,
};

/* what io_uring_zcrx_nic_changes() reports as changed */
enum {
	IO_URING_ZCRX_NIC_CHANGED_HDS		= 1U << 0,
	IO_URING_ZCRX_NIC_CHANGED_NTUPLE	= 1U << 1,
	IO_URING_ZCRX_NIC_CHANGED_RSS		= 1U << 2,
};

struct io_uring_zcrx_nic;

int io_uring_zcrx_nic_setup(struct io_uring_zcrx_nic **nicp,
			    const char *ifname, __u32 rxq,
			    const struct io_uring_zcrx_flow *flow,
			    unsigned int flags);
int io_uring_zcrx_nic_setup_conn(struct io_uring_zcrx_nic **nicp,
				 const char *ifname, __u32 rxq, int fd,
				 unsigned int flags);
unsigned int io_uring_zcrx_nic_changes(const struct io_uring_zcrx_nic *nic);
int io_uring_zcrx_nic_restore(struct io_uring_zcrx_nic *nic);
int io_uring_zcrx_nic_restore_saved(const char *ifname);

/*
 * The Toeplitz hash of @len bytes at @in under @key (@key_len >= @len + 4,
 * else 0), as NICs compute it for RSS; exported for the library's tests.
 */
__u32 __io_uring_zcrx_toeplitz(const __u8 *key, size_t key_len,
			       const __u8 *in, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBURING_ZC_NIC_H */
