# SPDX-License-Identifier: GPL-2.0
#
# io_uring zero-copy receive for Linux 6.12: build, boot and test.
#
#   make demo     build the kernel, boot it, and show the data path end to end
#                 (NIC=e1000e: through two emulated Intel 82574L instead of
#                 netdevsim)
#   make check    every test, host and VM; ends with "N passed, N failed"
#   make check-full  make check with the repetitions: every transfer size
#                 again under swiotlb=force and the full stress profile
#   make stress   the randomized stress and fault-injection campaign in the VM
#                 (DURATION=1h SEED=1234 OPS=... URGENT=0|1 FAULTS=0|1
#                 PROFILE=full|quick)
#   make bench    every way to receive TCP side by side on the non-debug
#                 kernel, then the relays (RECV_ZC + SEND_ZC, recv() +
#                 send(), splice()): tables, CSV and charts (SIZE=256M
#                 ROUNDS=3 FLOWS="1 4 16")
#
# Everything built or downloaded lives in $(ZCRX_CACHE), outside the clone.

ZCRX_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zcrx
export ZCRX_CACHE

S := scripts
CMD ?= uname -a

.PHONY: help deps tree kernel kernel-perf selftests check check-full demo vm series \
	series-check pull tree-reset kernel-path bench bench-scale bench-nsim bench-lib bench-bufs bench-e1000e \
	bench-fwd stress \
	mlx5-build

help:
	@sed -n 's/^#   //p' Makefile
	@echo "other targets: deps tree kernel kernel-perf selftests vm CMD='...'"
	@echo "               series series-check pull tree-reset kernel-path bench-nsim"
	@echo "               bench-scale (an ifq's cost against its size and flow count)"
	@echo "               bench-lib (liburing-zc against hand-written RECV_ZC code)"
	@echo "               bench-bufs (RECV_ZC with 4, 16 and 64 KiB rx buffers)"
	@echo "               bench-e1000e (recv() against RECV_ZC through e1000e, IOMMU off and on)"
	@echo "               bench-fwd (relays: RECV_ZC + SEND_ZC against recv() + send() and splice())"
	@echo "               mlx5-build (mlx5_core with W=1 and sparse: the warnings the series adds)"

deps:
	@bash $(S)/deps.sh

tree: deps
	@bash $(S)/tree/base.sh >/dev/null
	@python3 $(S)/tree/series.py assemble

kernel: tree
	@bash $(S)/kernel.sh debug

kernel-perf: tree
	@bash $(S)/kernel.sh perf

selftests: kernel
	@bash $(S)/selftests.sh debug

mlx5-build: tree
	@bash $(S)/mlx5-build.sh

kernel-path:
	@bash $(S)/kernel.sh debug kernel-path

vm: selftests
	@bash $(S)/vm-run -- '$(CMD)'

check:
	@bash $(S)/check.sh

check-full:
	@ZCRX_CHECK_FULL=1 bash $(S)/check.sh

demo:
	@ZCRX_DEMO_NIC='$(NIC)' bash $(S)/demo.sh

# Seeded randomized operations with fault injection; see scripts/stress.sh.
stress: kernel
	@DURATION='$(DURATION)' SEED='$(SEED)' OPS='$(OPS)' URGENT='$(URGENT)' \
	FAULTS='$(FAULTS)' FAIL_PCT='$(FAIL_PCT)' PROFILE='$(PROFILE)' \
	bash $(S)/stress.sh

# Every receiver side by side: recv(), io_uring recv, TCP_ZEROCOPY_RECEIVE,
# RECV_ZC with 4/16/64 KiB buffers, liburing-zc, the device-less mode;
# untouched and touched payload, 1, 4 and 16 flows.  SIZE, ROUNDS, FLOWS,
# RECEIVERS; PERF=1 profiles each run with perf built from the tree;
# KERNELS="LABEL=BZIMAGE ..." compares kernels, rounds alternated.
# Then the relays (make bench-fwd), unless KERNELS compares kernels.
bench: kernel-perf
	@SIZE='$(SIZE)' ROUNDS='$(ROUNDS)' FLOWS='$(FLOWS)' RECEIVERS='$(RECEIVERS)' \
	PERF='$(PERF)' KERNELS='$(KERNELS)' bash $(S)/bench.sh
	@[ -n '$(KERNELS)' ] || SIZE='$(SIZE)' ROUNDS='$(ROUNDS)' bash $(S)/bench-fwd.sh

# TCP relays: RECV_ZC + SEND_ZC (zcrx-forward, 4 and 64 KiB buffers),
# recv() + send() and splice(); relay CPU per GiB and throughput.  SIZE,
# ROUNDS.
bench-fwd: kernel-perf
	@SIZE='$(SIZE)' ROUNDS='$(ROUNDS)' bash $(S)/bench-fwd.sh

# How the cost grows: registration, memory and fdinfo against the ifq's
# size, and receive cost from 1 to 64 flows on one ifq.  SIZE, ROUNDS.
bench-scale: kernel-perf
	@SIZE='$(SIZE)' ROUNDS='$(ROUNDS)' BENCH_GUEST=bench-scale.sh bash $(S)/bench.sh

# netdevsim TCP throughput, split off vs on, and page pool recycling.
bench-nsim: kernel-perf
	@ks=$$(bash $(S)/selftests.sh perf) && \
	bash $(S)/vm-run --no-kmemleak \
		--kernel $$(bash $(S)/kernel.sh perf kernel-path) -- \
		bash $(CURDIR)/$(S)/guest/bench-nsim.sh $$ks/zcrx

# Zero-copy receive through e1000e: recv() against RECV_ZC, without and
# with an IOMMU; BEFORE=BZIMAGE adds the page pool's effect.  SIZE, ROUNDS.
bench-e1000e: kernel-perf
	@SIZE='$(SIZE)' ROUNDS='$(ROUNDS)' BEFORE='$(BEFORE)' bash $(S)/bench-e1000e.sh

# RECV_ZC throughput through liburing-zc against hand-written ring code.
bench-lib: kernel-perf
	@ks=$$(bash $(S)/selftests.sh perf) && \
	$(MAKE) -s -C liburing-zc lib examples >/dev/null && \
	bash $(S)/vm-run --no-kmemleak \
		--kernel $$(bash $(S)/kernel.sh perf kernel-path) -- \
		bash $(CURDIR)/$(S)/guest/bench-lib.sh $$ks/zcrx $(CURDIR)/liburing-zc/build

# RECV_ZC with rx buffers of 4, 16 and 64 KiB: completions and CPU per GiB.
bench-bufs: kernel-perf
	@ks=$$(bash $(S)/selftests.sh perf) && \
	bash $(S)/vm-run --no-kmemleak \
		--kernel $$(bash $(S)/kernel.sh perf kernel-path) -- \
		bash $(CURDIR)/$(S)/guest/bench-bufs.sh $$ks/zcrx

series: tree
	@bash $(S)/tree/export-series.sh

series-check: tree
	@bash $(S)/tree/series-check.sh

pull:
	@python3 $(S)/tree/series.py pull

tree-reset:
	@git -C $(ZCRX_CACHE)/tree checkout -q -f series
	@git -C $(ZCRX_CACHE)/tree checkout -q --detach
