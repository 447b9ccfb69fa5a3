#!/usr/bin/env bash
# ESP benchmark: one worker lcore encrypting and decrypting over net_ring ports, with 1 SA
# and with 10,000 SAs spread over the traffic, beside the cipher-only cost (the direct
# intel-ipsec-mb AES-GCM call on the same plaintext lengths, same core, same run).
#
#   [REPS=n] bash Benchmarks/run-esp.sh [seconds] [key-bits]
#
# Prints a markdown table for docs/benchmarks.md. Run as root on an idle machine with at
# least 2 CPUs; uses hugepages when scripts/hugepages.sh could reserve them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
secs=${1:-3}
bits=${2:-128}
swift build -c release --product strait-bench-esp >/dev/null
bash scripts/hugepages.sh 1024 >/dev/null
huge=0
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -ge 500 ] && huge=1
# This VM shares its physical cores: a neighbour's load halves a point for seconds at a
# time. REPS > 1 runs the 1-SA and 10k-SA benches alternately REPS times and keeps, per
# point, the run with the highest rate (the machine at its quietest), each line whole.
reps=${REPS:-1}
best() {  # keep, per (op, size), the line with the highest Mpps
	awk '$1 ~ /^(en|de)crypt$/ { k = $1 " " $2; if (!(k in m) || $4 > m[k]) { m[k] = $4; l[k] = $0 }; if (!(k in o)) { o[k] = n++ } }
	     END { for (k in o) print o[k], l[k] }' | sort -n | cut -d' ' -f2-
}
one_all="" many_all=""
for _ in $(seq "$reps"); do
	one_all+=$(.build/release/strait-bench-esp --seconds "$secs" --sas 1 --key-bits "$bits" --hugepages "$huge" 2>/dev/null)$'\n'
	many_all+=$(.build/release/strait-bench-esp --seconds "$secs" --sas 10000 --key-bits "$bits" --hugepages "$huge" 2>/dev/null)$'\n'
done
one=$(best <<<"$one_all")
many=$(best <<<"$many_all")

echo "ESP AES-${bits}-GCM-16, one worker lcore, net_ring ports, ${secs} s per point, best of $reps, hugepages=$huge ($(date -u +%F), $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
echo
echo "| op | inner size | SAs | Mpps | Gbit/s | cycles/pkt | cipher-only cycles | cipher / Strait | vs 1 SA |"
echo "|---|---|---|---|---|---|---|---|---|"
while read -r op size sas mpps gbps cyc cipher ratio drops; do
	base=$(awk -v o="$op" -v s="$size" '$1 == o && $2 == s {print $4}' <<<"$one")
	rel=$(awk -v a="$mpps" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
	echo "| $op | $size B | $sas | $mpps | $gbps | $cyc | $cipher | $ratio | $rel |"
done <<<"$(printf '%s\n%s\n' "$one" "$many" | grep -E '^(en|de)crypt')" | sed 's/| imix B |/| IMIX |/'
