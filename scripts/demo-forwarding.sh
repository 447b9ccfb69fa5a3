#!/usr/bin/env bash
# The forwarding demo (scripts/demo.sh is the HA pair): straitd on its embedded default config
# between two hosts in network namespaces (no NIC needed). Sends ping and an iperf3 transfer through the fast path and
# prints what the fast path did. Run as root on Debian 12.
set -u
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" -eq 0 ] || { echo "scripts/demo-forwarding.sh must run as root"; exit 2; }
bash scripts/install-deps.sh || exit 2
echo "building straitd and straitctl (release)..."
swift build -c release --product straitd >/dev/null && swift build -c release --product straitctl >/dev/null || exit 1
mkdir -p /run/strait

LAB=stdemo
source Tests/lab/lib.sh
trap lab_cleanup EXIT
lab_up || exit 1
echo
echo "topology: host A (10.10.1.2) -- lan01 [straitd] wan01 -- host B (10.10.2.2, 10.10.3.1 behind it)"
echo "starting straitd on the embedded default config (straitd --print-default shows it)..."
straitd_start /run/strait/strait.sock || exit 1
echo
echo "--- ping A -> B, first packets resolve neighbours through the kernel exception path"
na ping -c 5 -i 0.2 10.10.2.2
echo
echo "--- ping A -> B over IPv6"
na ping -6 -c 3 -i 0.2 fd00:10:2::2
echo
echo "--- ping A -> 10.10.3.1 (static route from the config: 10.10.3.0/24 via 10.10.2.2)"
na ping -c 3 -i 0.2 10.10.3.1
echo
echo "--- iperf3 TCP A -> B, 5 s"
ip netns exec "${LAB}b" iperf3 -s -1 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
na iperf3 -c 10.10.2.2 -t 5 | tail -4
echo
echo "--- what the fast path did (straitctl)"
for what in ports lcores routes neighbors stats; do
	echo "\$ straitctl show $what"
	ctl show "$what"
	echo
done
echo "kernel IPv4/IPv6 datagrams forwarded in straitd's namespace: $(kernel_forwarded) (only exception-path packets)"
