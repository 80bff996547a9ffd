// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of mlx5e's memory provider support, apart from the
 * hardware: the SHAMPO buffer arithmetic, which RQs may take a provider,
 * and which channel parameters a bound provider cannot live with.
 * Included by en_main.c, for its static functions.
 */

#include <kunit/test.h>

#define ZC_TEST_HD_PER_WQ	1024

/* header slots tile each header page, in index order, one page per
 * MLX5E_SHAMPO_WQ_HEADER_PER_PAGE entries: allocated at the first entry's
 * slot (offset 0), released with the last
 */
static void mlx5e_zc_test_hd_slots(struct kunit *test)
{
	u32 slot = BIT(MLX5E_SHAMPO_LOG_MAX_HEADER_ENTRY_SIZE);
	u32 i, firsts = 0, lasts = 0;

	KUNIT_ASSERT_EQ(test, MLX5E_SHAMPO_WQ_HEADER_PER_PAGE * slot, PAGE_SIZE);
	for (i = 0; i < ZC_TEST_HD_PER_WQ; i++) {
		u32 off = mlx5e_shampo_hd_offset(i);
		bool last = mlx5e_shampo_hd_last_in_page(i);

		KUNIT_EXPECT_EQ(test, off % slot, 0);
		KUNIT_EXPECT_LE(test, off + slot, PAGE_SIZE);
		if (i % MLX5E_SHAMPO_WQ_HEADER_PER_PAGE)
			KUNIT_EXPECT_EQ(test, off, mlx5e_shampo_hd_offset(i - 1) + slot);
		KUNIT_EXPECT_EQ(test, last, off == PAGE_SIZE - slot);
		if (last && i + 1 < ZC_TEST_HD_PER_WQ)
			KUNIT_EXPECT_EQ(test, mlx5e_shampo_hd_offset(i + 1), 0);
		firsts += !off;
		lasts += last;
	}
	KUNIT_EXPECT_EQ(test, firsts, ZC_TEST_HD_PER_WQ / MLX5E_SHAMPO_WQ_HEADER_PER_PAGE);
	KUNIT_EXPECT_EQ(test, lasts, firsts);
	/* the index wraps at hd_per_wq, a multiple of a page of entries */
	KUNIT_EXPECT_EQ(test, mlx5e_shampo_hd_offset(ZC_TEST_HD_PER_WQ), 0);
}

/* the device writes up to BIT(MLX5E_SHAMPO_LOG_HEADER_ENTRY_SIZE) bytes of
 * header at the slot plus the RQ's headroom: never into the next slot
 */
static void mlx5e_zc_test_hd_fits_slot(struct kunit *test)
{
	struct mlx5e_params params = {};
	u16 headroom;

	params.packet_merge.type = MLX5E_PACKET_MERGE_SHAMPO;
	headroom = mlx5e_get_linear_rq_headroom(&params, NULL);
	KUNIT_EXPECT_LE(test, headroom + BIT(MLX5E_SHAMPO_LOG_HEADER_ENTRY_SIZE),
			BIT(MLX5E_SHAMPO_LOG_MAX_HEADER_ENTRY_SIZE));
	KUNIT_EXPECT_LE(test, MLX5E_SHAMPO_LOG_HEADER_ENTRY_SIZE,
			MLX5E_SHAMPO_LOG_MAX_HEADER_ENTRY_SIZE);
}

/* a CQE's payload position: page and offset recompose the WQE offset */
static void mlx5e_zc_test_data_pos(struct kunit *test)
{
	static const u8 shifts[] = { PAGE_SHIFT, 12, 13, 16 };
	unsigned int s;

	for (s = 0; s < ARRAY_SIZE(shifts); s++) {
		u8 shift = shifts[s];
		u32 wqe_offset;

		for (wqe_offset = 0; wqe_offset < 64 * BIT(shift);
		     wqe_offset += BIT(shift) / 8 + 61) {
			u32 page_idx, offset;

			mlx5e_mpwqe_data_pos(wqe_offset, shift, &page_idx, &offset);
			KUNIT_EXPECT_LT(test, offset, BIT(shift));
			KUNIT_EXPECT_EQ(test, (page_idx << shift) + offset, wqe_offset);
		}
	}
}

static void mlx5e_zc_test_mp_conflict(struct kunit *test)
{
	struct mlx5e_params split = {}, p;

	split.packet_merge.type = MLX5E_PACKET_MERGE_SHAMPO;
	split.rq_wq_type = MLX5_WQ_TYPE_LINKED_LIST_STRIDING_RQ;
	MLX5E_SET_PFLAG(&split, MLX5E_PFLAG_RX_STRIDING_RQ, true);
	KUNIT_EXPECT_NULL(test, mlx5e_params_mp_conflict(&split));

	/* what keeps the split: MTU, ring size, channels, moderation */
	p = split;
	p.sw_mtu = 9000;
	p.log_rq_mtu_frames = 13;
	p.num_channels = 1;
	p.rx_dim_enabled = true;
	KUNIT_EXPECT_NULL(test, mlx5e_params_mp_conflict(&p));

	p = split;
	p.packet_merge.type = MLX5E_PACKET_MERGE_LRO;
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "LRO");
	p.packet_merge.type = MLX5E_PACKET_MERGE_NONE;
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "HW-GRO off");

	p = split;
	p.rq_wq_type = MLX5_WQ_TYPE_CYCLIC;
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "the legacy RQ");
	p = split;
	MLX5E_SET_PFLAG(&p, MLX5E_PFLAG_RX_STRIDING_RQ, false);
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "the legacy RQ");

	p = split;
	MLX5E_SET_PFLAG(&p, MLX5E_PFLAG_RX_CQE_COMPRESS, true);
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "CQE compression");

	/* any program, never run here */
	p = split;
	p.xdp_prog = (struct bpf_prog *)&p;
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "XDP");

	/* queues opened for all channels at once: no single restart */
	p = split;
	MLX5E_SET_PFLAG(&p, MLX5E_PFLAG_TX_PORT_TS, true);
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "TX port timestamping");
	p = split;
	p.ptp_rx = true;
	KUNIT_EXPECT_STREQ(test, mlx5e_params_mp_conflict(&p), "PTP rx timestamping");
}

static void mlx5e_zc_test_provider_rq(struct kunit *test)
{
	struct mlx5e_channel *c;
	struct net_device *netdev;
	struct device *parent, *other;
	struct mlx5e_rq *rq;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	netdev = kunit_kzalloc(test, sizeof(*netdev), GFP_KERNEL);
	parent = kunit_kzalloc(test, sizeof(*parent), GFP_KERNEL);
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, netdev);
	KUNIT_ASSERT_NOT_NULL(test, parent);
	KUNIT_ASSERT_NOT_NULL(test, other);
	netdev->dev.parent = parent;

	rq = &c->rq;
	rq->channel = c;
	rq->netdev = netdev;
	rq->pdev = parent;
	__set_bit(MLX5E_RQ_STATE_SHAMPO, &rq->state);
	KUNIT_EXPECT_TRUE(test, mlx5e_rq_can_take_provider(rq));

	/* a socket-direct secondary device's channel */
	rq->pdev = other;
	KUNIT_EXPECT_FALSE(test, mlx5e_rq_can_take_provider(rq));
	rq->pdev = parent;

	/* no split */
	__clear_bit(MLX5E_RQ_STATE_SHAMPO, &rq->state);
	KUNIT_EXPECT_FALSE(test, mlx5e_rq_can_take_provider(rq));

	/* the channel's XSK RQ, and an RQ of no channel (PTP) */
	rq = &c->xskrq;
	rq->channel = c;
	rq->netdev = netdev;
	rq->pdev = parent;
	__set_bit(MLX5E_RQ_STATE_SHAMPO, &rq->state);
	KUNIT_EXPECT_FALSE(test, mlx5e_rq_can_take_provider(rq));
	rq->channel = NULL;
	KUNIT_EXPECT_FALSE(test, mlx5e_rq_can_take_provider(rq));
}

static struct kunit_case mlx5e_zc_test_cases[] = {
	KUNIT_CASE(mlx5e_zc_test_hd_slots),
	KUNIT_CASE(mlx5e_zc_test_hd_fits_slot),
	KUNIT_CASE(mlx5e_zc_test_data_pos),
	KUNIT_CASE(mlx5e_zc_test_mp_conflict),
	KUNIT_CASE(mlx5e_zc_test_provider_rq),
	{}
};

static struct kunit_suite mlx5e_zc_test_suite = {
	.name = "mlx5e_zc",
	.test_cases = mlx5e_zc_test_cases,
};

kunit_test_suite(mlx5e_zc_test_suite);
