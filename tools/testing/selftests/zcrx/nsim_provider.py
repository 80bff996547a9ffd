#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Memory providers on netdevsim rx queues, through devmem TCP's netlink
binding of a udmabuf and through io_uring zero-copy receive: every check of
the rx queue binding helpers gives its errno, netlink shows the binding on
the queue and its page pool, tcp-data-split cannot be turned off under it,
and deleting the device while it is bound, closing the binding or killing
the io_uring process leaves nothing behind."""

import ctypes
import errno
import fcntl
import mmap
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(HERE, '..', 'kselftest'))
import ksft  # noqa: E402

# The kernel's netlink specs and ynl: installed next to the tests (the
# Makefile's TEST_FILES), or those of the kernel tree the tests run from.
if os.path.isdir(os.path.join(HERE, 'ynl')) and os.path.isdir(os.path.join(HERE, 'specs')):
    YNL = os.path.join(HERE, 'ynl')
    SPECS = os.path.join(HERE, 'specs')
else:
    KSRC = os.environ.get('KSRC') or os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
    YNL = os.path.join(KSRC, 'tools', 'net', 'ynl')
    SPECS = os.path.join(KSRC, 'Documentation', 'netlink', 'specs')
sys.path.append(YNL)
from lib import YnlFamily, NlError  # noqa: E402

ENV = os.path.join(HERE, 'nsim_env.sh')
NS_A = 'zcrx-pa-%d' % os.getpid()
NS_B = 'zcrx-pb-%d' % os.getpid()
QUEUES = 2
CLONE_NEWNET = 0x40000000
F_ADD_SEALS = 1033
F_SEAL_SHRINK = 0x0002
UDMABUF_CREATE = (1 << 30) | (24 << 16) | (ord('u') << 8) | 0x42
UDMABUF_FLAGS_CLOEXEC = 0x01
DMABUF_SIZE = 4 << 20

AF_XDP = 44
SOL_XDP = 283
XDP_RX_RING = 2
XDP_UMEM_REG = 4
XDP_UMEM_FILL_RING = 5
XDP_UMEM_COMPLETION_RING = 6
XDP_COPY = 1 << 1

libc = ctypes.CDLL(None, use_errno=True)


def setns(name):
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), 'setns ' + name)
    finally:
        os.close(fd)


def env(*args):
    return subprocess.run([ENV] + list(args), check=True, stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def udmabuf(size=DMABUF_SIZE):
    memfd = os.memfd_create('zcrx-provider', os.MFD_ALLOW_SEALING)
    os.ftruncate(memfd, size)
    fcntl.fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)
    dev = os.open('/dev/udmabuf', os.O_RDWR)
    arg = bytearray(struct.pack('IIQQ', memfd, UDMABUF_FLAGS_CLOEXEC, 0, size))
    fd = fcntl.ioctl(dev, UDMABUF_CREATE, arg, True)
    os.close(dev)
    os.close(memfd)
    return fd


def xsk_bind(ifindex, queue):
    """An AF_XDP socket (copy mode) on @queue; returns (socket, errno)."""
    umem = mmap.mmap(-1, 16 * 4096)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(umem))
    sock = socket.socket(AF_XDP, socket.SOCK_RAW, 0)
    sock.setsockopt(SOL_XDP, XDP_UMEM_REG,
                    struct.pack('QQIIII', addr, len(umem), 4096, 0, 0, 0))
    for opt in (XDP_UMEM_FILL_RING, XDP_UMEM_COMPLETION_RING, XDP_RX_RING):
        sock.setsockopt(SOL_XDP, opt, struct.pack('I', 64))
    sxdp = struct.pack('HHIII', AF_XDP, XDP_COPY, ifindex, queue, 0)
    err = 0
    if libc.bind(sock.fileno(), ctypes.c_char_p(sxdp), len(sxdp)):
        err = ctypes.get_errno()
    return (sock, umem), err


def netdev():
    return YnlFamily(os.path.join(SPECS, 'netdev.yaml'), schema='')


def bind(nl, ifindex, queue, fd=None):
    own = fd is None
    if own:
        fd = udmabuf()
    try:
        return nl.do('bind-rx', {'ifindex': ifindex, 'fd': fd,
                                 'queues': [{'id': queue, 'type': 'rx'}]})['id']
    finally:
        if own:
            os.close(fd)


def bind_errno(nl, ifindex, queue):
    try:
        bind(nl, ifindex, queue)
    except NlError as e:
        return e.error
    return 0


def queue_dmabuf(ifindex, queue):
    for q in netdev().dump('queue-get', {'ifindex': ifindex}):
        if q['type'] == 'rx' and q['id'] == queue:
            return q.get('dmabuf')
    return None


def queue_attrs(ifindex, queue):
    for q in netdev().dump('queue-get', {'ifindex': ifindex}):
        if q['type'] == 'rx' and q['id'] == queue:
            return q
    return {}


def io_uring_pools(ifindex):
    return [p for p in netdev().dump('page-pool-get', {})
            if p.get('ifindex') == ifindex and 'io-uring' in p]


def wait_for(cond, timeout=20):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.2)
    return cond()


def test_io_uring(ifindex):
    """An io_uring ifq on queue 1, held by a receiver that is then killed."""
    rx = subprocess.Popen([os.path.join(HERE, 'zcrx_xfer'), '-l', '-p', '9100',
                           '-z', 'eth0:1', '-A', '4M'],
                          stdout=subprocess.DEVNULL)
    try:
        bound = wait_for(lambda: 'io-uring' in queue_attrs(ifindex, 1))
        ksft.test_result(bound and 'io-uring' not in queue_attrs(ifindex, 0),
                         'queue-get shows the io_uring binding on queue 1 only')
        ksft.test_result(len(io_uring_pools(ifindex)) == 1,
                         'page-pool-get shows one io_uring pool')
        ksft.test_result(bind_errno(netdev(), ifindex, 1) == errno.EEXIST,
                         'devmem binding of an io_uring queue: EEXIST')
        ksft.test_result(hds(False) == errno.EINVAL,
                         'tcp-data-split cannot be turned off under io_uring')
    finally:
        rx.kill()
        rx.wait()
    ksft.test_result(wait_for(lambda: 'io-uring' not in queue_attrs(ifindex, 1) and
                              not io_uring_pools(ifindex)),
                     'killing the receiver releases the queue and its pool')
    nl = netdev()
    ksft.test_result(bind_errno(nl, ifindex, 1) == 0,
                     'the queue can be bound again after the kill')
    nl.sock.close()
    wait_for(lambda: queue_dmabuf(ifindex, 1) is None)


def pools_with(ifindex, binding):
    return [p for p in netdev().dump('page-pool-get', {})
            if p.get('ifindex') == ifindex and p.get('dmabuf') == binding]


def hds(on):
    eth = YnlFamily(os.path.join(SPECS, 'ethtool.yaml'), schema='')
    try:
        eth.do('rings-set', {'header': {'dev-name': 'eth0'},
                             'tcp-data-split': 2 if on else 1})
    except NlError as e:
        return e.error
    return 0


def test_no_queue_management():
    """A netdevsim VF representor has a DMA parent but no queue ops."""
    nsim_id = 40000 + os.getpid() % 20000
    sysdir = '/sys/bus/netdevsim/devices/netdevsim%d' % nsim_id
    with open('/sys/bus/netdevsim/new_device', 'w') as f:
        f.write('%d 1 1' % nsim_id)
    try:
        with open(sysdir + '/sriov_numvfs', 'w') as f:
            f.write('1')
        subprocess.run(['devlink', 'dev', 'eswitch', 'set', 'netdevsim/netdevsim%d' % nsim_id,
                        'mode', 'switchdev'], check=True)
        vf = None
        for name in os.listdir(sysdir + '/net'):
            try:
                port = open('/sys/class/net/%s/phys_port_name' % name).read().strip()
            except OSError:
                continue
            if 'vf' in port:
                vf = name
        if not vf:
            ksft.test_result_fail('binding a device without queue management: no VF found')
            return
        err = bind_errno(netdev(), socket.if_nametoindex(vf), 0)
        ksft.test_result(err == errno.EOPNOTSUPP,
                         'binding a device without queue management: EOPNOTSUPP (%d)' % err)
    finally:
        with open('/sys/bus/netdevsim/del_device', 'w') as f:
            f.write('%d' % nsim_id)


def main():
    ksft.print_header()
    if os.geteuid():
        ksft.print_msg('needs root')
        sys.exit(ksft.KSFT_SKIP)
    ksft.set_plan(20)
    test_no_queue_management()
    env('up', NS_A, NS_B, str(QUEUES))
    try:
        setns(NS_B)
        ifindex = socket.if_nametoindex('eth0')

        hds(False)
        nl = netdev()
        ksft.test_result(bind_errno(nl, ifindex, 1) == errno.EINVAL,
                         'binding without tcp-data-split: EINVAL')
        ksft.test_result(hds(True) == 0, 'tcp-data-split can be turned on')

        ksft.test_result(bind_errno(nl, ifindex, QUEUES) == errno.ERANGE,
                         'binding a queue out of range: ERANGE')
        ksft.test_result(bind_errno(nl, 1, 0) == errno.EOPNOTSUPP,
                         'binding a device without a DMA parent (lo): EOPNOTSUPP')

        binding = bind(nl, ifindex, 1)
        ksft.test_result(binding > 0, 'binding queue 1')
        ksft.test_result(queue_dmabuf(ifindex, 1) == binding and
                         queue_dmabuf(ifindex, 0) is None,
                         'queue-get shows the binding on queue 1 only')
        ksft.test_result(len(pools_with(ifindex, binding)) == 1,
                         'page-pool-get shows one pool of the binding')
        ksft.test_result(bind_errno(netdev(), ifindex, 1) == errno.EEXIST,
                         'binding a bound queue: EEXIST')
        # (A copy-mode AF_XDP socket may share a bound queue: it gets
        # nothing without an XDP program, which a bound device refuses.)
        xsk, err = xsk_bind(ifindex, 0)
        ksft.test_result(err == 0 and bind_errno(netdev(), ifindex, 0) == errno.EBUSY,
                         'binding a queue that AF_XDP uses: EBUSY')
        xsk[0].close()
        ksft.test_result(hds(False) == errno.EINVAL,
                         'tcp-data-split cannot be turned off under a binding')

        # Closing the netlink socket releases the binding.
        nl.sock.close()
        del nl
        ksft.test_result(queue_dmabuf(ifindex, 1) is None,
                         'closing the binding socket unbinds the queue')

        test_io_uring(ifindex)

        # Delete the device under a binding, then release the binding.
        nl = netdev()
        binding = bind(nl, ifindex, 1)
        nsim_id = open('/run/netns/.%s.nsim' % NS_B).read().strip()
        with open('/sys/bus/netdevsim/del_device', 'w') as f:
            f.write(nsim_id)
        os.unlink('/run/netns/.%s.nsim' % NS_B)
        ksft.test_result('eth0' not in [n for _, n in socket.if_nameindex()],
                         'deleting the device under a binding')
        nl.sock.close()
        del nl
        # The pool of the deleted device goes when its buffers are back.
        deadline = time.time() + 20
        while time.time() < deadline and pools_with(None, binding):
            time.sleep(0.5)
        ksft.test_result(not pools_with(None, binding) and not pools_with(ifindex, binding),
                         'no page pool of the binding is left')
    finally:
        setns_root = os.open('/proc/1/ns/net', os.O_RDONLY)
        libc.setns(setns_root, CLONE_NEWNET)
        os.close(setns_root)
        subprocess.run([ENV, 'down', NS_A, NS_B])
    ksft.finished()


if __name__ == '__main__':
    main()
