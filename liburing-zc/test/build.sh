#!/bin/bash
# SPDX-License-Identifier: MIT OR LGPL-2.1
# liburing-zc's build and install promises, checked on the host:
#  a. a fresh build with gcc and with clang, warnings as errors, exporting
#     only the library's names under its soname;
#  b. "make install": every file in place, pkg-config flags that work, and
#     a program built against the installed copy, shared and static;
#  c. newer liburings that have zero-copy receive names themselves (2.10,
#     2.15 before events, 2.15 over mainline 7.2's uapi):
#     liburing-zc then defines only what that liburing lacks.
# One "ok: " or "FAILED: " line per check; exit status 1 if any failed.
#
#   build.sh [BUILD_DIR]	(not used: every build here is a fresh one)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/liburing-zc-build.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# whatever make or the caller set must not leak into these builds
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL CPPFLAGS CFLAGS LDFLAGS \
	DESTDIR PREFIX LIBDIR INCLUDEDIR MANDIR O CC PKG_CONFIG_PATH \
	PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
jobs=$(nproc 2>/dev/null || echo 2)
nfail=0

ok() { echo "ok: $1"; }
failed() { echo "FAILED: $1"; nfail=$((nfail + 1)); }
show() { tail -n "${2:-15}" "$1" | sed 's/^/#   /'; }

# check NAME LOG COMMAND...: ok if COMMAND succeeds, else FAILED and its log
check() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		ok "$name"
		return 0
	fi
	failed "$name"
	show "$log"
	return 1
}

# expect NAME CONDITION-COMMAND...: a check without a log
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else failed "$name"; fi
}

have() { command -v "$1" >/dev/null 2>&1; }

# the test programs the build makes, as make targets under $1
test_targets() {
	local t
	for t in "$src"/test/*.c; do
		[ -f "$t" ] && printf '%s/test/%s\n' "$1" "$(basename "$t" .c)"
	done
}

# A program of the library's users.
cat >"$tmp/consumer.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <liburing-zc.h>

int main(void)
{
	struct io_uring_zcrx_params p;
	struct io_uring_zcrx zc;
	struct io_uring ring;
	int ret;

	/* refused before any system call */
	memset(&p, 0, sizeof(p));
	memset(&ring, 0, sizeof(ring));
	p.flags = 1U << 31;
	ret = io_uring_zcrx_setup(&ring, &zc, &p);
	if (ret != -EINVAL) {
		printf("setup: %d, not -EINVAL\n", ret);
		return 1;
	}
	ret = io_uring_zcrx_queue_init(4, &ring, 0);
	if (ret) {
		printf("probe: no ring here (%d)\n", ret);
		return 0;
	}
	printf("probe: %d\n", io_uring_zcrx_probe(&ring));
	io_uring_queue_exit(&ring);
	return 0;
}
EOF

# --- a. fresh builds ---------------------------------------------------

compilers=()
for cc in gcc clang; do
	if ! have $cc; then
		failed "$cc: no $cc on this host"
		continue
	fi
	compilers+=("$cc")
	out=$tmp/build-$cc
	log=$tmp/build-$cc.log
	# shellcheck disable=SC2046
	if ! check "$cc: fresh build of the library, examples and tests" "$log" \
		make -C "$src" -j"$jobs" O="$out" CC=$cc all $(test_targets "$out"); then
		continue
	fi
	expect "$cc: compiled with -Wall -Wextra -Werror" \
		grep -q -- "^$cc .*-Wall -Wextra -Werror.* -c -o $out/src/zcrx.o" "$log"
	so=$out/liburing-zc.so.1
	expect "$cc: soname liburing-zc.so.1" \
		bash -c "readelf -d '$so' | grep -q 'SONAME.*\[liburing-zc.so.1\]'"
	nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
		sed 's/@.*//' | sort -u >"$tmp/exports-$cc"
	bad=$(grep -v -E '^(__)?io_uring_' "$tmp/exports-$cc")
	if [ -s "$tmp/exports-$cc" ] && [ -z "$bad" ]; then
		ok "$cc: the shared library exports io_uring_* names only"
	else
		failed "$cc: the shared library exports io_uring_* names only"
		echo "$bad" | head -n 10 | sed 's/^/#   exported: /'
	fi
	missing=""
	for f in io_uring_zcrx_setup io_uring_zcrx_teardown \
		 io_uring_zcrx_return_batch io_uring_zcrx_return_iov \
		 io_uring_zcrx_flush_rq __io_uring_zcrx_rq_wait_space \
		 io_uring_zcrx_queue_init io_uring_zcrx_queue_init_params \
		 io_uring_zcrx_probe io_uring_zcrx_sync_open io_uring_zcrx_readv \
		 io_uring_zcrx_release io_uring_zcrx_sync_ctx \
		 io_uring_zcrx_sync_close io_uring_zcrx_nic_setup \
		 io_uring_zcrx_nic_changes io_uring_zcrx_nic_restore \
		 io_uring_zcrx_nic_restore_saved io_uring_zcrx_export \
		 io_uring_zcrx_import io_uring_zcrx_arm_event \
		 io_uring_zcrx_stats io_uring_register_ifq \
		 io_uring_register_zcrx_ctrl io_uring_register_query; do
		grep -q -x "$f" "$tmp/exports-$cc" || missing+=" $f"
	done
	if [ -z "$missing" ]; then
		ok "$cc: the shared library exports every function of the headers"
	else
		failed "$cc: the shared library exports every function of the headers"
		echo "#   missing:$missing"
	fi
	# the version node keeps them apart from liburing's LIBURING_2.x
	bad=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
	      grep -v '@@LIBURING_ZC_1\.0$')
	if [ -z "$bad" ]; then
		ok "$cc: every exported name has the version LIBURING_ZC_1.0"
	else
		failed "$cc: every exported name has the version LIBURING_ZC_1.0"
		echo "$bad" | head -n 10 | sed 's/^/#   exported: /'
	fi
	check "$cc: no exported name is also one of the system liburing's" \
		"$tmp/names-$cc.log" env CC=$cc "$src/names.sh" "$so"
done

# --- b. make install ---------------------------------------------------

root=$tmp/root
inst=${compilers[0]:-}
if [ -z "$inst" ] || [ ! -f "$tmp/build-$inst/liburing-zc.a" ]; then
	failed "install: no build to install"
elif check "install: make install DESTDIR=... PREFIX=/usr" "$tmp/install.log" \
	make -C "$src" O="$tmp/build-$inst" CC="$inst" install \
		DESTDIR="$root" PREFIX=/usr; then
	missing=""
	for f in lib/liburing-zc.a lib/liburing-zc.so.1 \
		 include/liburing-zc.h include/liburing-zc/uapi.h \
		 include/liburing-zc/nic.h include/liburing-zc/compat.h \
		 lib/pkgconfig/liburing-zc.pc; do
		[ -f "$root/usr/$f" ] && [ -s "$root/usr/$f" ] || missing+=" $f"
	done
	if [ -z "$missing" ]; then
		ok "install: library, headers and pkg-config file in place"
	else
		failed "install: library, headers and pkg-config file in place"
		echo "#   missing:$missing"
	fi
	expect "install: liburing-zc.so links to liburing-zc.so.1" \
		test "$(readlink "$root/usr/lib/liburing-zc.so")" = liburing-zc.so.1
	if [ -f "$src/include/mainline/liburing.h" ]; then
		expect "install: the mainline-names header in place" \
			test -f "$root/usr/include/liburing-zc/mainline/liburing.h"
		expect "install: the mainline uapi headers in place" \
			test -f "$root/usr/include/liburing-zc/mainline/linux/io_uring/zcrx.h" -a \
			     -f "$root/usr/include/liburing-zc/mainline/linux/io_uring/query.h"
	fi

	# every page of man/ in its section's directory
	missing=""
	n=0
	for m in "$src"/man/*.[1-9]; do
		[ -f "$m" ] || continue
		n=$((n + 1))
		sec=${m##*.}
		[ -f "$root/usr/share/man/man$sec/$(basename "$m")" ] ||
			missing+=" man$sec/$(basename "$m")"
	done
	if [ $n -gt 0 ] && [ -z "$missing" ] &&
	   ls "$root"/usr/share/man/man3/*.3 >/dev/null 2>&1; then
		ok "install: all $n man pages under share/man"
	else
		failed "install: all man pages under share/man"
		echo "#   ${n} in man/; not installed:${missing:- (no man3 pages at all)}"
	fi

	export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
	export PKG_CONFIG_SYSROOT_DIR=$root
	cflags=$(pkg-config --cflags liburing-zc 2>"$tmp/pc.log")
	libs=$(pkg-config --libs liburing-zc 2>>"$tmp/pc.log")
	if [[ " $cflags " == *" -I$root/usr/include "* ]] &&
	   [[ " $libs " == *" -L$root/usr/lib "* ]] &&
	   [[ " $libs " == *" -luring-zc "* ]] && [[ " $libs " == *" -luring "* ]]; then
		ok "pkg-config: --cflags and --libs point at the installed copy"
	else
		failed "pkg-config: --cflags and --libs point at the installed copy"
		echo "#   cflags: $cflags"
		echo "#   libs: $libs"
		show "$tmp/pc.log" 5
	fi
	expect "pkg-config: version 1.0.0" \
		test "$(pkg-config --modversion liburing-zc 2>/dev/null)" = 1.0.0
	static_libs=${libs/-luring-zc/-Wl,-Bstatic -luring-zc -Wl,-Bdynamic}

	for cc in "${compilers[@]}"; do
		prog=$tmp/consumer-$cc
		# shellcheck disable=SC2086
		if check "$cc: a program builds against the installed shared library" \
			"$tmp/consumer-$cc.log" \
			$cc -Wall -Wextra -Werror -O2 -o "$prog" "$tmp/consumer.c" \
				$cflags $libs; then
			if LD_LIBRARY_PATH=$root/usr/lib ldd "$prog" 2>/dev/null |
			   grep -q "liburing-zc.so.1 => $root/usr/lib/liburing-zc.so.1" &&
			   LD_LIBRARY_PATH=$root/usr/lib "$prog" >"$tmp/run.log" 2>&1 &&
			   grep -q '^probe: ' "$tmp/run.log"; then
				ok "$cc: it runs with the installed liburing-zc.so.1 ($(head -n1 "$tmp/run.log"))"
			else
				failed "$cc: it runs with the installed liburing-zc.so.1"
				show "$tmp/run.log" 5
			fi
		fi
		# shellcheck disable=SC2086
		if check "$cc: a program builds against the installed static library" \
			"$tmp/consumer-static-$cc.log" \
			$cc -Wall -Wextra -Werror -O2 -o "$prog-static" \
				"$tmp/consumer.c" $cflags $static_libs; then
			if ! readelf -d "$prog-static" | grep -q 'NEEDED.*liburing-zc' &&
			   "$prog-static" >"$tmp/run.log" 2>&1 &&
			   grep -q '^probe: ' "$tmp/run.log"; then
				ok "$cc: it runs without liburing-zc.so.1"
			else
				failed "$cc: it runs without liburing-zc.so.1"
				show "$tmp/run.log" 5
			fi
		fi
	done
	if have g++; then
		# shellcheck disable=SC2086
		check "g++: the installed headers work from C++" "$tmp/cxx.log" \
			g++ -Wall -Wextra -Werror -O2 -x c++ -o "$tmp/consumer-cxx" \
				"$tmp/consumer.c" -x none $cflags $libs
	fi

	# programs written against mainline liburing's names
	if [ -f "$src/liburing-zc-mainline.pc.in" ]; then
		cat >"$tmp/mainline.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <liburing.h>

int main(void)
{
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_zcrx_rq rq;
	struct io_uring_sqe sqe;
	struct io_uring ring;

	memset(&reg, 0, sizeof(reg));
	memset(&rq, 0, sizeof(rq));
	memset(&sqe, 0, sizeof(sqe));
	memset(&ring, 0, sizeof(ring));
	ring.ring_fd = -1;
	sqe.zcrx_ifq_idx = reg.zcrx_id;
	rq.rq_tail = IORING_ZCRX_AREA_SHIFT;
	printf("register_ifq: %d\n", io_uring_register_ifq(&ring, &reg));
	return sqe.zcrx_ifq_idx || IORING_OP_RECV_ZC != 58;
}
EOF
		mcflags=$(pkg-config --cflags liburing-zc-mainline 2>/dev/null)
		mlibs=$(pkg-config --libs liburing-zc-mainline 2>/dev/null)
		# shellcheck disable=SC2086
		if check "pkg-config liburing-zc-mainline: a program with mainline's names builds" \
			"$tmp/mainline.log" \
			gcc -Wall -Wextra -Werror -o "$tmp/mainline" "$tmp/mainline.c" \
				$mcflags $mlibs; then
			expect "pkg-config liburing-zc-mainline: and runs" \
				bash -c "LD_LIBRARY_PATH='$root/usr/lib' '$tmp/mainline' |
					 grep -q '^register_ifq: -'"
		fi
	fi
	unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
fi

# --- c. a newer liburing -----------------------------------------------

# test/liburing-new/ is a newer system in miniature: the liburing.h of
# liburing 2.15 (mainline's three registration calls, struct
# io_uring_zcrx_rq, the SQE's zcrx_ifq_idx) over the kernel's
# linux/io_uring/zcrx.h and query.h of mainline 7.2 (events included),
# and fake-liburing.c for the calls themselves.  With -DTEST_NO_EVENTS
# the same headers are those of before events; test/liburing-2.10/ is
# the first liburing with zero-copy receive.  liburing-zc must build
# against each, defining only what it lacks.
new=$src/test/liburing-new
old=$src/test/liburing-2.10

# a program with mainline's names and liburing-zc's helpers side by side
cat >"$tmp/both.c" <<'EOF'
#include <string.h>
#include <liburing-zc.h>

int use_both(struct io_uring *ring, struct io_uring_zcrx *zc,
	     struct io_uring_cqe *cqe);

int use_both(struct io_uring *ring, struct io_uring_zcrx *zc,
	     struct io_uring_cqe *cqe)
{
	struct io_uring_query_zcrx_notif qn;
	struct io_uring_zcrx_area_reg area;
	struct io_uring_region_desc rd;
	struct io_uring_zcrx_ifq_reg reg;
	struct io_uring_query_hdr hdr;
	struct zcrx_event_desc ev;
	struct zcrx_notification_desc ev2;
	struct io_uring_zcrx_rq rq;
	struct io_uring_sqe *sqe;
	struct zcrx_stats *st;
	struct zcrx_ctrl ctrl;
	struct iovec iov;

	memset(&area, 0, sizeof(area));
	memset(&rd, 0, sizeof(rd));
	memset(&reg, 0, sizeof(reg));
	memset(&hdr, 0, sizeof(hdr));
	memset(&ctrl, 0, sizeof(ctrl));
	memset(&ev, 0, sizeof(ev));
	memset(&qn, 0, sizeof(qn));
	rd.flags = IORING_MEM_REGION_TYPE_USER;
	reg.area_ptr = (__u64)(unsigned long)&area;
	reg.region_ptr = (__u64)(unsigned long)&rd;
	reg.flags = ZCRX_REG_NODEV;
	ev.type_mask = 1U << ZCRX_EVENT_COPY | 1U << ZCRX_NOTIF_NO_BUFFERS;
	ev.flags = ZCRX_EVENT_DESC_FLAG_STATS;
	ev2 = ev;
	if (io_uring_register_ifq(ring, &reg))
		return -1;
	rq.khead = NULL;
	rq.rq_tail = 0;
	rq.ring_entries = reg.rq_entries;
	(void)rq;
	sqe = io_uring_get_sqe(ring);
	if (sqe) {
		io_uring_prep_recv_zc(sqe, 3, reg.zcrx_id, 0, 0);
		sqe->zcrx_ifq_idx = reg.zcrx_id;
	}
	if (!io_uring_zcrx_get_buf(zc, cqe, &iov))
		io_uring_zcrx_return(zc, cqe);
	ctrl.op = ZCRX_CTRL_FLUSH_RQ;
	hdr.query_op = IO_URING_QUERY_ZCRX;
	if (io_uring_register_zcrx_ctrl(ring, &ctrl) ||
	    io_uring_register_query(&hdr))
		return -1;
	hdr.query_op = IO_URING_QUERY_ZCRX_NOTIF + IO_URING_QUERY_ZCRX_EVENTS;
	hdr.size = sizeof(qn);
	st = io_uring_zcrx_stats(zc, ev2.stats_offset);
	return (int)((io_uring_zcrx_cqe(cqe)->off & ~IORING_ZCRX_AREA_MASK) +
		     IORING_OP_RECV_ZC + IORING_REGISTER_ZCRX_IFQ +
#if LIBURING_ZC_IFQ_RX_BUF_LEN	/* not in liburing 2.10 */
		     area.dmabuf_fd + reg.rx_buf_len +
#endif
		     ZCRX_REG_NODEV +
		     ZCRX_CTRL_ARM_EVENT + ZCRX_FEATURE_EVENT +
		     ZCRX_FEATURE_NOTIFICATION + IORING_ZCRX_AREA_DMABUF +
		     (st ? st->copy_bytes : 0) +
		     io_uring_zcrx_arm_event(zc, ZCRX_EVENT_ALLOC_FAIL) +
		     io_uring_zcrx_export(zc));
}
EOF

cat >"$tmp/query.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <liburing-zc.h>

int main(void)
{
	struct io_uring_query_opcode op;
	struct io_uring_query_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	memset(&op, 0, sizeof(op));
	hdr.query_op = IO_URING_QUERY_OPCODES;
	hdr.query_data = (__u64)(unsigned long)&op;
	hdr.size = sizeof(op);
	printf("query: %d\n", io_uring_register_query(&hdr));
	return 0;
}
EOF

# compat_build NAME FAKE-DIR OUT [CPPFLAGS...]: build the library against
# the liburing in FAKE-DIR, into $tmp/build-OUT
compat_build() {
	local name=$1 fake=$2 out=$tmp/build-$3 log=$tmp/build-$3.log
	local cc=${compilers[0]:-gcc}
	shift 3

	if ! check "$name: the library builds against it ($cc, -Werror)" "$log" \
		make -C "$src" -j"$jobs" O="$out" CC="$cc" \
			CPPFLAGS="-I$fake $*" lib; then
		return 1
	fi
	if grep -q -i -E 'redefinition|redeclar|conflicting types' "$log"; then
		failed "$name: no redefinitions"
		grep -i -E 'redefinition|redeclar|conflicting types' "$log" |
			head -n 5 | sed 's/^/#   /'
	else
		ok "$name: no redefinitions"
	fi
	return 0
}

have_is() {	# have_is COMPAT NAME 0|1
	grep -q -x "#define LIBURING_ZC_HAVE_$2 $3" "$1"
}

# compat_is NAME COMPAT "HAVE..." "LACKS...": compat.h probed them so
compat_is() {
	local name=$1 compat=$2 g wrong=""

	for g in $3; do have_is "$compat" "$g" 1 || wrong+=" $g(want 1)"; done
	for g in $4; do have_is "$compat" "$g" 0 || wrong+=" $g(want 0)"; done
	if [ -z "$wrong" ]; then
		ok "$name: compat.h finds what it has and what it lacks"
	else
		failed "$name: compat.h finds what it has and what it lacks"
		echo "#  $wrong"
	fi
}

# defines LIB NAME: the shared library LIB defines NAME
defines() {
	nm -D --defined-only "$1" 2>/dev/null | awk '{ print $3 }' |
		sed 's/@.*//' | grep -q -x "$2"
}

# both_compiles NAME FAKE OUT [CPPFLAGS...]: each compiler takes both.c
both_compiles() {
	local name=$1 fake=$2 tag=$3 out=$tmp/build-$3 cc
	shift 3
	for cc in "${compilers[@]}"; do
		# shellcheck disable=SC2068
		check "$name: $cc compiles a program using both sets of names" \
			"$tmp/both-$tag-$cc.log" \
			"$cc" -Wall -Wextra -Werror -I"$fake" $@ -I"$src/include" \
				-I"$out/include" -c -o "$tmp/both-$cc.o" "$tmp/both.c"
	done
}

mainline3="FN_REGISTER_IFQ FN_REGISTER_ZCRX_CTRL FN_REGISTER_QUERY"
uapi="LINUX_ZCRX_H LINUX_QUERY_H OP_RECV_ZC REGISTER_ZCRX_IFQ REGISTER_QUERY
      REGISTER_ZCRX_CTRL REGION_DESC ZCRX_UAPI ZCRX_AREA_FLAGS ZCRX_REG_FLAGS
      ZCRX_FEATURES ZCRX_RX_BUF_LEN ZCRX_CTRL QUERY_UAPI SQE_ZCRX_IFQ_IDX
      ZCRX_RQ"
events="ZCRX_FEATURE_EVENT ZCRX_EVENT ZCRX_STATS ZCRX_CTRL_ARM_EVENT
	IFQ_EVENT_DESC QUERY_ZCRX_NOTIF"
aliases="ZCRX_FEATURE_NOTIFICATION ZCRX_NOTIF QUERY_ZCRX_EVENTS"

# the newer liburing's library: its calls, under its symbol versions
fake_so=$tmp/liburing-new.so
check "newer liburing: its stand-in library builds" "$tmp/fake.log" \
	gcc -Wall -Wextra -Werror -shared -fPIC -I"$new" \
		-Wl,--version-script="$new/fake-liburing.map" -o "$fake_so" \
		"$new/fake-liburing.c"

if compat_build "newer liburing" "$new" new; then
	out=$tmp/build-new
	compat_is "newer liburing" "$out/include/liburing-zc/compat.h" \
		"$uapi $events $mainline3" "$aliases"
	so=$out/liburing-zc.so.1
	wrong=""
	for f in io_uring_register_ifq io_uring_register_zcrx_ctrl \
		 io_uring_register_query; do
		if defines "$so" $f ||
		   nm "$out/liburing-zc.a" 2>/dev/null | grep -q " T $f\$"; then
			wrong+=" $f"
		fi
	done
	# the library's own calls go to liburing's
	if ! nm -D --undefined-only "$so" 2>/dev/null |
	     grep -q ' io_uring_register_ifq$'; then
		wrong+=" (io_uring_register_ifq not taken from liburing)"
	fi
	if [ -z "$wrong" ]; then
		ok "newer liburing: mainline's three calls are liburing's, not defined again"
	else
		failed "newer liburing: mainline's three calls are liburing's, not defined again"
		echo "#   defined by liburing-zc:$wrong"
	fi
	if [ -f "$fake_so" ]; then
		check "newer liburing: no name liburing-zc exports is also the newer liburing's" \
			"$tmp/names-new.log" "$src/names.sh" "$so" "$fake_so"
	fi
	both_compiles "newer liburing" "$new" new
	if check "newer liburing: a program links the static library" \
		"$tmp/query.log" \
		gcc -Wall -Wextra -Werror -I"$new" -I"$src/include" -I"$out/include" \
			-o "$tmp/query" "$tmp/query.c" "$out/liburing-zc.a" \
			"$new/fake-liburing.c" -luring; then
		expect "newer liburing: and runs" \
			bash -c "'$tmp/query' | grep -q '^query: '"
	fi
	# mainline's names (and uapi headers) through include/mainline,
	# over the newer liburing
	for t in mainline-recv mainline-abi; do
		[ -f "$src/test/vm/$t.c" ] || continue
		check "newer liburing: test/vm/$t.c compiles through include/mainline" \
			"$tmp/$t-new.log" \
			gcc -Wall -Wextra -Werror -D_GNU_SOURCE -I"$src/include/mainline" \
				-I"$new" -I"$src/include" -I"$out/include" -c \
				-o "$tmp/$t-new.o" "$src/test/vm/$t.c"
	done
fi

if compat_build "liburing 2.15 before events" "$new" new-noev -DTEST_NO_EVENTS; then
	out=$tmp/build-new-noev
	compat_is "liburing 2.15 before events" \
		"$out/include/liburing-zc/compat.h" "$uapi $mainline3" \
		"$events $aliases"
	both_compiles "liburing 2.15 before events" "$new" new-noev -DTEST_NO_EVENTS
fi

if compat_build "liburing 2.10" "$old" 2.10; then
	out=$tmp/build-2.10
	compat_is "liburing 2.10" "$out/include/liburing-zc/compat.h" \
		"OP_RECV_ZC REGISTER_ZCRX_IFQ REGION_DESC ZCRX_UAPI ZCRX_RQ
		 SQE_ZCRX_IFQ_IDX FN_REGISTER_IFQ" \
		"LINUX_ZCRX_H LINUX_QUERY_H REGISTER_QUERY REGISTER_ZCRX_CTRL
		 ZCRX_AREA_FLAGS ZCRX_REG_FLAGS ZCRX_FEATURES ZCRX_RX_BUF_LEN
		 ZCRX_CTRL QUERY_UAPI FN_REGISTER_ZCRX_CTRL FN_REGISTER_QUERY
		 $events $aliases"
	so=$out/liburing-zc.so.1
	if ! defines "$so" io_uring_register_ifq &&
	   defines "$so" io_uring_register_zcrx_ctrl &&
	   defines "$so" io_uring_register_query; then
		ok "liburing 2.10: liburing-zc defines the two calls it lacks, not the one it has"
	else
		failed "liburing 2.10: liburing-zc defines the two calls it lacks, not the one it has"
	fi
	both_compiles "liburing 2.10" "$old" 2.10
fi

# A later liburing that adds a function under a name of liburing-zc's
# own.  Declared with our very signature, the compiler would take it
# quietly: the probe must stop the build.  Exported by its library, the
# linker would bind programs to whichever came first: names.sh must say.
clash=$tmp/liburing-clash
mkdir -p "$clash"
cat >"$clash/liburing.h" <<'EOF'
#include_next <liburing.h>
struct io_uring_zcrx;
int io_uring_zcrx_export(struct io_uring_zcrx *zc);
EOF
if make -C "$src" O="$tmp/build-clash" CPPFLAGS="-I$clash" lib \
	>"$tmp/build-clash.log" 2>&1; then
	failed "a liburing.h that declares io_uring_zcrx_export() stops the build"
elif grep -q "liburing.h declares liburing-zc's own:.* io_uring_zcrx_export" \
	"$tmp/build-clash.log"; then
	ok "a liburing.h that declares io_uring_zcrx_export() stops the build"
else
	failed "a liburing.h that declares io_uring_zcrx_export() stops the build (with a message that says so)"
	show "$tmp/build-clash.log" 5
fi
cat >"$clash/uring.c" <<'EOF'
int io_uring_zcrx_setup(void);
int io_uring_zcrx_setup(void) { return 0; }
EOF
printf 'LIBURING_2.99 { global: io_uring_zcrx_setup; local: *; };\n' \
	>"$clash/uring.map"
so=$tmp/build-${compilers[0]:-gcc}/liburing-zc.so.1
if [ -f "$so" ] &&
   gcc -shared -fPIC -Wl,--version-script="$clash/uring.map" \
	-o "$clash/liburing.so" "$clash/uring.c" 2>"$tmp/clash-so.log"; then
	if ! "$src/names.sh" "$so" "$clash/liburing.so" >"$tmp/names-clash.log" 2>&1 &&
	   grep -q '^  io_uring_zcrx_setup$' "$tmp/names-clash.log"; then
		ok "names.sh finds a name of ours in a liburing that exports it"
	else
		failed "names.sh finds a name of ours in a liburing that exports it"
		show "$tmp/names-clash.log" 5
	fi
else
	failed "names.sh finds a name of ours in a liburing that exports it (no library to test with)"
fi

[ $nfail -eq 0 ]
