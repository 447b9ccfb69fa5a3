#!/usr/bin/env bash
# Forwarding lab: straitd on the embedded default config between two hosts.
# Proves the fast path (not the kernel) forwards ping and iperf3 both ways, picks up a
# route added with `ip route` within a second, drops TTL 1 and malformed packets with the
# right counters, and keeps forwarding afterwards.
source "$(dirname "$0")/lib.sh"
trap lab_cleanup EXIT
set +e

lab_up || { echo "lab setup failed"; exit 1; }
straitd_start /run/strait/strait.sock || { fail "straitd starts on the embedded default config"; lab_summary; exit 1; }
pass "straitd starts on the embedded default config"

# First contact resolves neighbours through the kernel (exception path), at once: the
# mirrors come up without duplicate address detection holding IPv6 back for a second.
check "first IPv6 ping right after start is answered within 0.5 s" na ping -6 -c 1 -W 0.5 fd00:10:2::2
na ping -c 3 -i 0.2 -W 1 10.10.2.2 >/dev/null
nb ping -c 2 -i 0.2 -W 1 10.10.1.2 >/dev/null
na ping -6 -c 3 -i 0.2 -W 1 fd00:10:2::2 >/dev/null
check "neighbours of both hosts reach the fast path" \
	bash -c "ctl show neighbors | grep -q 10.10.2.2 && ctl show neighbors | grep -q 10.10.1.2"

k0=$(kernel_forwarded); f0=$(counter ipv4-forwarded); f60=$(counter ipv6-forwarded)
check "ping A -> B (IPv4) passes" na ping -c 20 -i 0.05 -W 1 10.10.2.2
check "ping B -> A (IPv4) passes" nb ping -c 20 -i 0.05 -W 1 10.10.1.2
check "ping A -> B (IPv6) passes" na ping -6 -c 20 -i 0.05 -W 1 fd00:10:2::2
ip netns exec "${LAB}b" iperf3 -s -1 -p 5201 >"$WORK/iperf-s.log" 2>&1 &
PIDS+=($!)
sleep 0.5
na timeout 30 iperf3 -c 10.10.2.2 -p 5201 -t 3 -J >"$WORK/iperf.json" 2>&1
check "iperf3 TCP A -> B completes" grep -q '"sum_received"' "$WORK/iperf.json"
ip netns exec "${LAB}b" iperf3 -s -1 -p 5202 >"$WORK/iperf-s2.log" 2>&1 &
PIDS+=($!)
sleep 0.5
na timeout 30 iperf3 -c 10.10.2.2 -p 5202 -t 3 -R -J >"$WORK/iperf-r.json" 2>&1
check "iperf3 TCP B -> A (reverse) completes" grep -q '"sum_received"' "$WORK/iperf-r.json"
mbps=$(/usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6,1))' "$WORK/iperf.json" 2>/dev/null)
log "iperf3 A -> B: ${mbps:-?} Mbit/s"
k1=$(kernel_forwarded); f1=$(counter ipv4-forwarded); f61=$(counter ipv6-forwarded)
log "fast path forwarded IPv4 $((f1 - f0)), IPv6 $((f61 - f60)); kernel forwarded $((k1 - k0))"
check "the fast path forwarded the pings and the TCP transfer (>= 1000 IPv4 packets)" test $((f1 - f0)) -ge 1000
check "the fast path forwarded the IPv6 pings (>= 40 packets)" test $((f61 - f60)) -ge 40
check "the kernel in straitd's namespace routed none of them" test $((k1 - k0)) -eq 0

# A route added in the kernel reaches the fast path through netlink within a second.
nr0=$(counter no-route)
na ping -c 1 -W 1 10.10.4.1 >/dev/null 2>&1
check "before the route exists, 10.10.4.1 is dropped as no-route" test "$(counter no-route)" -gt "$nr0"
ngw ip route add 10.10.4.0/24 via 10.10.2.2 dev wan01
t0=$(date +%s%N)
seen=0
for _ in $(seq 20); do
	if ctl show routes | grep -q '10.10.4.0/24'; then seen=1; break; fi
	sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "route visible in the fast path after ${ms} ms"
check "ip route add reaches the fast path within 1 s (${ms} ms)" test "$seen" -eq 1 -a "$ms" -le 1000
f0=$(counter ipv4-forwarded); k0=$(kernel_forwarded)
check "traffic to the new route passes" na ping -c 5 -i 0.1 -W 1 10.10.4.1
check "... forwarded by the fast path" test $(( $(counter ipv4-forwarded) - f0 )) -ge 10 -a $(( $(kernel_forwarded) - k0 )) -eq 0
ngw ip route del 10.10.4.0/24 via 10.10.2.2 dev wan01
sleep 0.5
check "ip route del removes it from the fast path" bash -c "! ctl show routes | grep -q '10.10.4.0/24'"
check "static route from the config (10.10.3.0/24 via 10.10.2.2) is used" na ping -c 3 -i 0.1 -W 1 10.10.3.1

# TTL 1 dies in the fast path and is counted.
t0=$(counter ttl-expired)
na ping -c 5 -i 0.1 -W 1 -t 1 10.10.2.2 >/dev/null 2>&1
check "TTL 1 packets are dropped and counted (ttl-expired +5)" test $(( $(counter ttl-expired) - t0 )) -eq 5

# Malformed packets: truncated IPv4 header, total length beyond the frame, bad checksum.
gwmac=$(na ip neigh show 10.10.1.1 | awk '{print $5}')
h0=$(counter ipv4-bad-header); l0=$(counter ipv4-bad-length); c0=$(counter ipv4-bad-checksum)
na /usr/bin/python3 - "$gwmac" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp, conf
conf.verb = 0
dst = sys.argv[1]
good = bytes(IP(src="10.10.1.2", dst="10.10.2.2", ttl=64) / UDP(sport=1, dport=9) / Raw(b"x" * 20))
truncated = good[:12]                                   # IHL says 20 bytes, 12 present
def with_total_length(packet, n):
    b = bytearray(packet)
    b[2:4] = n.to_bytes(2, "big")
    b[10:12] = b"\0\0"
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, 20, 2))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    b[10:12] = (~s & 0xffff).to_bytes(2, "big")
    return bytes(b)
bad_len = with_total_length(good, 1400)                 # right checksum, length beyond the frame
bad_ck = bytearray(good); bad_ck[10] ^= 0xff
for frame in (truncated, bad_len, bytes(bad_ck)):
    sendp(Ether(dst=dst, type=0x0800) / Raw(frame), iface="a0", count=3)
PY
sleep 0.3
check "truncated IPv4 headers are dropped and counted (+3)" test $(( $(counter ipv4-bad-header) - h0 )) -ge 3
check "IPv4 length beyond the frame is dropped and counted (+3)" test $(( $(counter ipv4-bad-length) - l0 )) -ge 3
check "bad IPv4 checksums are dropped and counted (+3)" test $(( $(counter ipv4-bad-checksum) - c0 )) -ge 3
check "forwarding continues after malformed packets" na ping -c 3 -i 0.1 -W 1 10.10.2.2
check "straitd is still running" kill -0 "$STRAITD_PID"

for what in ports lcores stats routes neighbors config; do
	check "straitctl show $what answers (text and --json)" bash -c "ctl show $what >/dev/null && ctl --json show $what | /usr/bin/python3 -m json.tool >/dev/null"
done
ctl show ports
ctl show lcores
ctl show stats

lab_summary
