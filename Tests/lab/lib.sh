# Shared helpers for Strait's namespace labs. Source it; do not run it.
#
#   host A (ns ${LAB}a)            straitd (ns ${LAB}gw)               host B (ns ${LAB}b)
#   a0 10.10.1.2/24  ---- veth ---- gw-lan [lan01]   [wan01] gw-wan ---- veth ---- b0 10.10.2.2/24
#      fd00:10:1::2/64                  (af_packet ports, TAP mirrors)          fd00:10:2::2/64
#                                                                          lo: 10.10.3.1/24, 10.10.4.1/24
#
# Everything a lab starts is recorded by pid and stopped by pid on exit; namespaces are
# deleted. Traffic only flows between these namespaces.

set -u
LAB=${LAB:-stl$$}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${STRAIT_BIN:-$ROOT/.build/release}
WORK=$(mktemp -d /tmp/strait-lab.XXXXXX)
PIDS=()
PASS=0
FAIL=0

na() { ip netns exec "${LAB}a" "$@"; }
ngw() { ip netns exec "${LAB}gw" "$@"; }
nb() { ip netns exec "${LAB}b" "$@"; }

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
pass() { PASS=$((PASS + 1)); printf 'PASS: %s\n' "$*"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL: %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

lab_cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	# Anything still running inside the lab's namespaces was started by this lab.
	for ns in a gw b; do
		for pid in $(ip netns pids "${LAB}$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "${LAB}$ns" 2>/dev/null
	done
	rm -rf "$WORK"
}

# Quiet an interface that a DPDK af_packet port or a lab host uses: no offloads (af_packet
# sees frames as the wire would: no GSO super-frames, no partial checksums).
no_offloads() { "$@" 2>/dev/null; }

lab_up() {
	ip netns add "${LAB}a" && ip netns add "${LAB}gw" && ip netns add "${LAB}b" || return 1
	ip link add a0 netns "${LAB}a" type veth peer name gw-lan netns "${LAB}gw"
	ip link add b0 netns "${LAB}b" type veth peer name gw-wan netns "${LAB}gw"
	for ns in a gw b; do ip netns exec "${LAB}$ns" ip link set lo up; done
	for dev in gw-lan gw-wan; do
		# The kernel must stay silent on the ports DPDK owns: no IPv6, no addresses.
		ngw sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
		ngw ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1
		ngw ip link set "$dev" up
	done
	na ethtool -K a0 tx off rx off tso off gso off gro off >/dev/null 2>&1
	nb ethtool -K b0 tx off rx off tso off gso off gro off >/dev/null 2>&1
	na ip addr add 10.10.1.2/24 dev a0
	na ip addr add fd00:10:1::2/64 dev a0 nodad
	na ip link set a0 up
	na ip route add default via 10.10.1.1
	na ip -6 route add default via fd00:10:1::1
	nb ip addr add 10.10.2.2/24 dev b0
	nb ip addr add fd00:10:2::2/64 dev b0 nodad
	nb ip link set b0 up
	nb ip route add default via 10.10.2.1
	nb ip -6 route add default via fd00:10:2::1
	# Subnets behind B (this kernel has no dummy interfaces: loopback holds them).
	nb ip addr add 10.10.3.1/24 dev lo
	nb ip addr add 10.10.4.1/24 dev lo
	nb ip addr add fd00:10:3::1/64 dev lo
}

# Start straitd in the gateway namespace; extra arguments go to straitd.
STRAITD_PID=
SOCK=
straitd_start() {
	SOCK=$1; shift
	export SOCK
	# `ip netns exec` execs the command, so $! is straitd itself (a shell function would
	# leave a subshell's pid here).
	ip netns exec "${LAB}gw" "$BIN/straitd" "$@" >"$WORK/straitd.log" 2>&1 &
	STRAITD_PID=$!
	PIDS+=("$STRAITD_PID")
	local i
	for i in $(seq 150); do
		if ngw "$BIN/straitctl" --socket "$SOCK" show version >/dev/null 2>&1; then return 0; fi
		kill -0 "$STRAITD_PID" 2>/dev/null || break
		sleep 0.2
	done
	log "straitd did not come up; its log:"
	cat "$WORK/straitd.log"
	return 1
}

ctl() { ngw "$BIN/straitctl" --socket "$SOCK" "$@"; }
export -f na ngw nb ctl
export LAB BIN

# Total of one fast-path counter, from `straitctl show stats --json`.
counter() {
	ctl --json show stats | /usr/bin/python3 -c '
import json, sys
name = sys.argv[1]
for c in json.load(sys.stdin)["counters"]:
    if c["name"] == name:
        print(c["total"]); break
else:
    print(0)' "$1"
}

# The kernel's own IPv4/IPv6 forwarding counters in the gateway namespace.
kernel_forwarded() {
	ngw cat /proc/net/snmp /proc/net/snmp6 | awk '
		/^Ip: / && !hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
		/^Ip: / { v4 = $col["ForwDatagrams"] }
		/^Ip6OutForwDatagrams/ { v6 = $2 }
		END { print v4 + v6 }'
}

lab_summary() {
	echo "lab $(basename "$0"): $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
