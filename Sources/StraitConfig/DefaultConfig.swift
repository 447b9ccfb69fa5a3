/// The embedded default config: the lab/demo setup, byte-identical to conf/default.yaml
/// (a test checks it). Regenerate this file when conf/default.yaml changes.
public enum DefaultConfig {
    public static let text: String = #"""
# Strait: the embedded default configuration (lab / demo).
#
# This is what `straitd` runs when it is given no file, and what
# `ConfigLoader.loadDefault()` loads. It needs no NIC: both ports are
# af_packet ports on the veth pair `gw-lan` / `gw-wan` that the demo
# creates inside its network namespace (outside it, the check "interface
# does not exist" fails, on purpose).
#
# Every key is explained below; docs/configuration.md is the full reference.
# Check a file without starting anything: straitd --check FILE

fast-path:
  # Names this fast-path instance: the DPDK --file-prefix and the default
  # control socket. 1 to 24 of a-z, 0-9 and '-'. Two instances on one host
  # need two names.
  instance: strait
  # CPUs that run fast-path workers (one DPDK lcore each). A list ("1-3,5")
  # or a hex mask ("0x2e"). Quote it, so YAML keeps it as written.
  core-mask: "1"
  # The CPU of the control plane (DPDK's main lcore). Must be outside
  # core-mask. Default 0.
  control-core: 0
  # Mbufs (packet buffers) in the pool. Must cover every port's RX and TX
  # rings on every worker, plus the per-lcore caches, plus 1024 for the
  # exception path. Default 16384.
  nb-mbuf: 8192
  # Mbufs each lcore keeps in its private cache of the pool (0 to 512).
  # Default 256.
  mbuf-cache: 256
  # Default RX and TX ring sizes of every port, in descriptors: a power of
  # two from 64 to 16384. A port may override them. Default 1024.
  nb-rxd: 512
  nb-txd: 512
  # true: back DPDK memory with hugepages (needs them reserved).
  # false: run DPDK with --no-huge (plain memory; fine for a lab). Default false.
  hugepages: false
  # Memory DPDK may take, in MiB: the mbuf pool (2.5 KiB per mbuf) plus
  # 160 MiB of tables. Default 512.
  memory-mb: 512
  # busy: workers spin all the time (lowest latency, one full core each).
  # adaptive: workers spin while traffic flows and sleep when idle, so
  # several instances can share a small machine. Default adaptive.
  poll-mode: adaptive
  # In adaptive mode, the longest sleep between empty polls, in
  # microseconds (1 to 100000). Default 200.
  idle-sleep-us: 200

control:
  # The control socket straitctl talks to (root only).
  # Default /run/strait/<instance>.sock.
  socket: /run/strait/strait.sock
  # trace, debug, info, notice, warning or error. Default info.
  log-level: info

# The fast path's ports. Each is mirrored into the kernel as a TAP
# interface of the same name (so a name has at most 15 characters).
ports:
  # name: a-z first, then a-z, 0-9, '_'; unique.
  # device: a DPDK vdev (net_af_packet0,iface=eth1 / net_tap0 / net_ring0 ...)
  #         or a PCI address (0000:00:04.0); unique.
  # mtu: 68 to 9600 (at least 1280 with an IPv6 address). Default 1500.
  # nb-rxd / nb-txd: override the fast-path ring sizes for this port.
  # mac: optional unicast MAC; default: the device's own.
  # addresses: interface addresses with their prefix length.
  - name: lan01
    device: net_af_packet0,iface=gw-lan
    mtu: 1500
    addresses:
      - 10.10.1.1/24
      - fd00:10:1::1/64
  - name: wan01
    device: net_af_packet1,iface=gw-wan
    mtu: 1500
    addresses:
      - 10.10.2.1/24
      - fd00:10:2::1/64

# Static routes. prefix: the destination network (host bits zero).
# via: the gateway, inside a connected subnet. port: the port to send on.
# Give via, port or both.
routes:
  - prefix: 10.10.3.0/24
    via: 10.10.2.2
  - prefix: fd00:10:3::/64
    via: fd00:10:2::2

"""#
}
