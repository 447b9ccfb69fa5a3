#!/usr/bin/env bash
# HA failover benchmark: an active/standby pair of straitd (release build) with N synced
# tunnels (default 10,000 IKE SAs, one CHILD SA each) plus one strongSwan site tunnel.
#
# The pair is Tests/lab/ha-pair-lib.sh's (two nodes, WAN and LAN bridges, a sync veth, one
# strongSwan site "gb" with host B behind it, host A on the LAN), plus a load namespace on
# the WAN bridge:
#
#   load (${LAB}ld) ld-wan 192.0.2.3, lo: 100.64.0.1 ... (N /32s)  -- [WAN bridge] -- both nodes
#   nodes: route 100.64.0.0/16 via 192.0.2.3; VPN "load" (remote-id *.load.test, PSK, no DPD)
#
# The sites are strait-ike-load (Benchmarks/ike-load, the IKE scale benchmark's initiator:
# Strait's IKE engine with a null data plane, so its tunnels carry no ESP). What it measures,
# in order (every time from `straitctl --json ha status` polled every ~50 ms, or from the
# nodes' logs stamped as lines arrive):
#
#   1. setup: N tunnels to the active (node 1); when the standby (node 2) holds all N+1
#      CHILD SAs inactive, i.e. how far the sync lags the setup.
#   2. steady state: bytes/s on the sync veth (both directions, Ethernet frames) for
#      $STEADY s, twice: (a) idle tunnels, a 10 ms ping through the site tunnel only;
#      (b) plus UDP from host A to every load tunnel's selector in turn at $UDP_PPS packets/s
#      (the active encrypts them, so every CHILD SA's outbound sequence number moves and the
#      seq sync has N SAs to send). The active's per-tick sequence sampling cost (ha status
#      counters seq-sample-*) is read over the same windows.
#   3. takeover: kill -9 node 1 under the 10 ms ping (host A -> host B through the strongSwan
#      tunnel): kill to node 2's VRRP Master (log), to role=active with all N+1 CHILD SAs
#      taken over (poll, and the takeover's log line), the takeover's own duration
#      (lastTakeoverMs), the ping's longest gap and losses, the site's replay/ICV failures
#      and new IKE_SA_INITs. Before the kill it counts VRRP flaps and sync link drops: a run
#      with either is not a clean failover (it says so).
#   4. resync: node 1 restarts (priority 50: it stays standby) and gets the N+1 SAs by bulk
#      dump from node 2: start to sync link up to all N+1 inactive, and the bytes it took.
# Prints a markdown table for docs/benchmarks.md ("HA failover with 10k tunnels").
#
#   sudo bash Benchmarks/run-ha.sh [N]            # N defaults to 10000
#
# Environment: SCRATCH (.build-load; BUILD=1, the default, builds straitd, straitctl and
# strait-ike-load there in release), STRAIT_BIN (use the binaries there, no build), ADVERT
# (VRRP advertisement interval, 100ms; 1s on a loaded machine), STEADY (20 s per
# steady-state window), UDP_PPS (2000), WINDOW (64 negotiations in flight), PING_S (30: the
# takeover ping's length, from 3 s before the kill), PERF=1 (perf profiles: the active in
# the idle window, the standby across the kill), KEEP=1 (keep the work folder: logs, polls,
# profiles). Every process it starts is recorded by pid and stopped by pid; the namespaces
# are deleted on exit.
set -u
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
N=${1:-10000}
SCRATCH=${SCRATCH:-.build-load}
BUILD=${BUILD:-1}
ADVERT=${ADVERT:-100ms}
STEADY=${STEADY:-20}
UDP_PPS=${UDP_PPS:-2000}
WINDOW=${WINDOW:-64}
PING_S=${PING_S:-30}
[ -n "${STRAIT_BIN:-}" ] && BUILD=0
export STRAIT_BIN=${STRAIT_BIN:-$(pwd)/$SCRATCH/release}
[ "$(id -u)" -eq 0 ] || { echo "run-ha.sh: needs root (namespaces)"; exit 1; }
[ "$N" -ge 1 ] && [ "$N" -le 60000 ] || { echo "run-ha.sh: 1 to 60000 tunnels"; exit 1; }
if [ "$BUILD" = 1 ]; then
	for p in straitd straitctl strait-ike-load; do
		out=$(swift build -c release --scratch-path "$SCRATCH" --product "$p" 2>&1) ||
			{ tail -n 20 <<<"$out"; echo "run-ha.sh: building $p failed"; exit 1; }
	done
fi
source Tests/lab/lib.sh
source Tests/lab/strongswan-lib.sh
set +e
source Tests/lab/ha-pair-lib.sh
for p in straitd straitctl strait-ike-load; do [ -x "$BIN/$p" ] || { echo "no $BIN/$p"; exit 1; }; done
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; exit 1; }
NSS+=(ld)
BG=()   # pollers, stampers, ping, UDP sender, the load generator: stopped by pid
bench_cleanup() {
	local rc=$? pid
	for pid in "${BG[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	(exit $rc); ha_cleanup
}
trap bench_cleanup EXIT
PSK_TEXT=strait-ike-load-psk-0123456789
PSK_HEX=0x$(printf '%s' "$PSK_TEXT" | od -An -tx1 | tr -d ' \n')
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'; }
# sync_bytes: rx + tx bytes on node 1's end of the sync veth (the frames both ways).
sync_bytes() {
	nx n1 cat /sys/class/net/n1-sync/statistics/rx_bytes /sys/class/net/n1-sync/statistics/tx_bytes | awk '{ s += $1 } END { print s }'
}
# counter NODE KEY: a counter of `ha status`.
counter() {
	hactl "$1" --json ha status 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['counters'].get('$2', 0))" 2>/dev/null
}
# poll NODE OUT: `ha status` as one JSON line per answer, prefixed by the time it came.
poll() {
	while :; do
		j=$(hactl "$1" --json ha status 2>/dev/null | tr -d '\n')
		[ -n "$j" ] || j='{}'
		echo "$(now) $j"
		sleep 0.05
	done >>"$2"
}
start_poll() { poll "$1" "$2" & BG+=($!); POLL_PID=$!; }
stop_poll() { kill -TERM "$POLL_PID" 2>/dev/null; wait "$POLL_PID" 2>/dev/null; }
# stamp FILE OUT: FILE's new lines, each prefixed by the time it was read (every 10 ms).
stamp() {
	python3 -u -c '
import sys, time
f = open(sys.argv[1]); f.seek(0, 2); out = open(sys.argv[2], "a"); part = ""
while True:
    part += f.readline()
    if part.endswith("\n"): out.write("%.3f %s" % (time.time(), part)); out.flush(); part = ""
    else: time.sleep(0.01)' "$1" "$2" &
	BG+=($!)
}
# first OUT EXPR: the time of the first poll line whose status `s` makes EXPR true ("" if none).
first() {
	python3 - "$1" "$2" <<-'EOF'
	import json, sys
	for line in open(sys.argv[1]):
	    t, _, j = line.partition(" ")
	    try: s = json.loads(j)
	    except ValueError: continue
	    if s and eval(sys.argv[2], {}, {"s": s}): print(t); break
	EOF
}

# bench_config N PRIORITY: ha-pair-lib's node config (node_config), sized for N tunnels, with
# $ADVERT, the route to the load namespace and the load VPN (its own templates: no DPD, the
# default replay window). Each edit names the text it expects and fails loudly without it, so
# the benchmark's nodes cannot drift from the labs' unnoticed.
bench_config() {
	node_config "$1" "$2"
	python3 - "$WORK/n$1.yaml" "$ADVERT" "$PSK_HEX" <<-'EOF'
	import sys
	path, advert, psk = sys.argv[1:4]
	s = open(path).read()
	def edit(old, new, count=1):
	    global s
	    if s.count(old) != count:
	        sys.exit(f"bench_config: {old.strip()!r} is not {count} time(s) in ha-pair-lib's node config")
	    s = s.replace(old, new)
	edit("nb-mbuf: 8192, memory-mb: 600", "nb-mbuf: 16384, memory-mb: 1024")
	edit("advert-interval: 100ms", f"advert-interval: {advert}", count=2)
	edit("\nike:\n", "\nroutes:\n  - { prefix: 100.64.0.0/16, via: 192.0.2.3 }\n"
	     "ike:\n  limits: { half-open: 100000, cookie-threshold: 50000, queue: 65536 }\n")
	edit("  ike-policy-templates:\n", "  ike-policy-templates:\n"
	     "    - { name: tl, proposals: [aes128gcm16-prfsha256-x25519], unique-sa: replace, dpd: { interval: 0 } }\n")
	edit("  ipsec-policy-templates:\n", "  ipsec-policy-templates:\n"
	     "    - { name: el, proposals: [aes128gcm16-esn-noesn] }\n")
	edit("\nvrrp:\n", f"""
	    - name: load
	      ike-policy: tl
	      ipsec-policy: el
	      local-address: 192.0.2.1
	      remote-address: any
	      local-id: gw.load.test
	      remote-id: "*.load.test"
	      local-auth: {{ method: psk }}
	      remote-auth: {{ method: psk }}
	      psk: {psk}
	      security-policies:
	        - {{ name: lan, local-ts: [10.1.0.0/16], remote-ts: [10.200.0.0/16] }}
	vrrp:
	""")
	open(path, "w").write(s)
	EOF
}

TOTAL=$((N + 1))   # CHILD SAs in all: the load's and the site's
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "HA benchmark: $N load tunnels + 1 strongSwan site; binaries $BIN; load average $(cut -d' ' -f1-3 /proc/loadavg)"
topology || { log "topology failed"; exit 1; }
# (topology made ${LAB}ld too: it is in NSS)
ip link add ld-wan netns "${LAB}ld" type veth peer name w-ld netns "${LAB}w" || exit 1
quiet w w-ld; nx w ip link set w-ld master br0 up
quiet ld ld-wan; nx ld ip addr add 192.0.2.3/24 dev ld-wan; nx ld ip link set ld-wan up
python3 - "$N" >"$WORK/addrs.batch" <<'EOF'
import ipaddress, sys
base = int(ipaddress.IPv4Address("100.64.0.0"))
for i in range(int(sys.argv[1])):
    print(f"addr add {ipaddress.IPv4Address(base + 1 + i)}/32 dev lo")
EOF
nx ld ip -batch "$WORK/addrs.batch" || exit 1

bench_config 1 200; bench_config 2 100
node_start 1 || exit 1
wait_for 20 field_is n1 role active || { log "node 1 is not active"; exit 1; }
node_start 2 || exit 1
wait_for 20 field_is n2 role standby || { log "node 2 is not standby"; exit 1; }
wait_for 20 field_is n2 peerConnected True || { log "no sync link"; exit 1; }
stamp "$WORK/n1.log" "$WORK/n1.stamped"
stamp "$WORK/n2.log" "$WORK/n2.stamped"
site1_start || { log "the site's charon did not start"; exit 1; }
ss_initiate "$S1" c 30 || { log "the site tunnel did not come up"; exit 1; }
wait_for 10 field_is n2 inactiveSAs 1 || { log "node 2 did not get the site's CHILD SA"; exit 1; }
nx a ping -c 3 -W 2 10.2.0.2 >/dev/null || { log "no traffic through the site tunnel"; exit 1; }
nx ld ping -c 2 -W 1 192.0.2.1 >/dev/null  # the VIP's MAC before the clock starts

# --- 1. setup and incremental sync -------------------------------------------------------
log "1. $N tunnels to node 1 (window $WINDOW); node 2's ha status polled"
start_poll n2 "$WORK/poll-setup"
t_setup=$(now)
ip netns exec "${LAB}ld" "$BIN/strait-ike-load" --count "$N" --window "$WINDOW" --gateway 192.0.2.1 \
	--psk "$PSK_TEXT" --pool 100.64.0.0/16 --timeout 300 --teardown --hold 3600 --go-file "$WORK/never" \
	>"$WORK/load.out" 2>&1 &
BG+=($!); LOAD_PID=$!
for _ in $(seq 3000); do grep -q '^SETUP ' "$WORK/load.out" && break; kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.1; done
t_up=$(now)
UP=$(grep '^SETUP ' "$WORK/load.out" | tr ' ' '\n' | awk -F= '$1 == "up" { print $2 }')
SETUP_S=$(grep '^SETUP ' "$WORK/load.out" | tr ' ' '\n' | awk -F= '$1 == "elapsed_s" { print $2 }')
log "setup: ${UP:-0} of $N up in ${SETUP_S:-?} s (generator)"
wait_for 300 field_is n2 inactiveSAs "$TOTAL" || log "node 2 holds $(ha_field n2 inactiveSAs) of $TOTAL CHILD SAs"
stop_poll
t_synced=$(first "$WORK/poll-setup" "s['inactiveSAs'] >= $TOTAL")
SYNC_LAG=$([ -n "$t_synced" ] && since "$t_up" "$t_synced" || echo "n/a")
SYNC_ALL=$([ -n "$t_synced" ] && since "$t_setup" "$t_synced" || echo "n/a")
SPURIOUS=$(first "$WORK/poll-setup" "s['role'] != 'standby'")
[ -n "$SPURIOUS" ] && log "WARNING: node 2 left standby during the setup (at $(since "$t_setup" "$SPURIOUS") s): the numbers below are not a clean failover"
log "node 2 holds all $TOTAL: ${SYNC_ALL} s after the first IKE_SA_INIT, ${SYNC_LAG} s after the generator's last tunnel"
SETUP_BYTES=$(sync_bytes)
log "node 1: $(ha_field n1 childSAs) CHILD SAs exported; sync link $((SETUP_BYTES / 1024)) KiB so far"

# --- 2. steady state ---------------------------------------------------------------------
ip netns exec "${LAB}a" ping -i 0.01 -W 1 10.2.0.2 >/dev/null 2>&1 &
BG+=($!); PING0=$!
sleep 3
# window NAME: sync bytes/s and the active's sampling cost over $STEADY s.
window() {
	local b0 b1 t0 t1 k0 k1 c0 c1 w0 w1
	b0=$(sync_bytes); k0=$(counter n1 seq-sample-ticks); c0=$(counter n1 seq-sample-cpu-us); w0=$(counter n1 seq-sample-wall-us); t0=$(now)
	sleep "$STEADY"
	b1=$(sync_bytes); k1=$(counter n1 seq-sample-ticks); c1=$(counter n1 seq-sample-cpu-us); w1=$(counter n1 seq-sample-wall-us); t1=$(now)
	python3 -c "
b=($b1-$b0)/($t1-$t0); k=${k1:-0}-${k0:-0}; c=${c1:-0}-${c0:-0}; w=${w1:-0}-${w0:-0}; d=$t1-$t0
print('%s bytes_s=%.0f ticks_s=%.1f cpu_us=%s wall_us=%s core=%.1f%%' % ('$1', b, k/d, ('%.0f' % (c/k)) if k else 'n/a',
      ('%.0f' % (w/k)) if k else 'n/a', c/d/1e4))" | tee -a "$WORK/steady"
}
log "2a. steady state, idle tunnels + a 10 ms ping through the site tunnel, $STEADY s"
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	# Where node 1's CPU goes with N idle tunnels (the sampling timer, the IKE engine's tick).
	perf record -q -F 499 -g -p "$N1_PID" -o "$WORK/perf.data" -- sleep 10 >/dev/null 2>&1 &
	BG+=($!)
fi
window idle
if [ -s "$WORK/perf.data" ]; then
	perf report -q -i "$WORK/perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' | head -n 25 >"$WORK/perf.txt"
	log "node 1, idle $N tunnels, perf (self, top 25):"; sed 's/^/    /' "$WORK/perf.txt"
fi
log "2b. plus UDP from host A to the $N load selectors in turn, $UDP_PPS packets/s, $STEADY s"
ip netns exec "${LAB}a" python3 - "$N" "$UDP_PPS" <<'EOF' &
import socket, sys, time
n, pps = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
base = (10 << 24) | (200 << 16)
i, t0, sent = 0, time.monotonic(), 0
while True:
    due = int((time.monotonic() - t0) * pps)
    while sent < due:
        a = base + i
        try: s.sendto(b"x" * 64, ("%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255), 9))
        except OSError: pass
        i = (i + 1) % n; sent += 1
    time.sleep(0.005)
EOF
BG+=($!); UDP_PID=$!
sleep 3
window udp
kill -TERM "$UDP_PID" 2>/dev/null
OUT_SEQ=$(nx n1 "$BIN/straitctl" --socket "$WORK/n1.sock" --json show ipsec sa 2>/dev/null |
	python3 -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s.get("direction") == "out" and (s.get("seq") or 0) > 0))' 2>/dev/null)
log "outbound ESP SAs on node 1 with sequence numbers used: ${OUT_SEQ:-?}"
kill -TERM "$PING0" 2>/dev/null
sleep 1

# --- 3. kill -9 the active ---------------------------------------------------------------
# Was it a clean pair until now? VRRP flaps (node 2 Master while node 1 runs) and sync link
# drops (each one costs a full dump) make the numbers above and below not a clean failover.
FLAPS=$(grep -c 'vrrp group vpnc: backup -> master' "$WORK/n2.log")
LINK=$(hactl n1 --json ha status 2>/dev/null | python3 -c '
import json, sys; c = json.load(sys.stdin)["counters"]
print(" ".join("%s=%s" % (k, c.get(k, "?")) for k in ("link-connects", "link-disconnects", "frames-refused", "queue-drops", "bulk-dumps-sent")))')
log "before the kill: node 2 became VRRP Master $FLAPS time(s); node 1's sync link: $LINK"
[ "$FLAPS" -gt 0 ] && log "WARNING: node 2 took over while node 1 ran (VRRP advertisements late: a loaded machine; try ADVERT=1s)"
INITS=$(ss_counter "$S1" init-out-req)
log "3. kill -9 node 1 under a 10 ms ping through the site tunnel"
# A deadline, not a signal, ends it: it prints its summary (and a background job ignores SIGINT).
ip netns exec "${LAB}a" ping -D -i 0.01 -W 1 -w "$PING_S" 10.2.0.2 >"$WORK/ping.txt" 2>&1 &
BG+=($!); PING_PID=$!
start_poll n2 "$WORK/poll-takeover"
sleep 2
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -q -F 999 -g -p "$N2_PID" -o "$WORK/perf-takeover.data" -- sleep 6 >/dev/null 2>&1 &
	BG+=($!)
fi
sleep 1
t_kill=$(now)
kill -KILL "$N1_PID"; N1_PID=
wait_for 120 field_is n2 takenOverSAs "$TOTAL" || log "node 2 took over $(ha_field n2 takenOverSAs) of $TOTAL"
stop_poll
wait "$PING_PID" 2>/dev/null; PING_PID=
t_active=$(first "$WORK/poll-takeover" "s['role'] == 'active'")
t_all=$(first "$WORK/poll-takeover" "s['role'] == 'active' and s['takenOverSAs'] >= $TOTAL")
t_line=$(awk -v k="$t_kill" '$1 > k && /is master: took over/ { print $1; exit }' "$WORK/n2.stamped")
t_master=$(awk -v k="$t_kill" '$1 > k && /vrrp group vpnc: backup -> master/ { print $1; exit }' "$WORK/n2.stamped")
TAKEOVER_MS=$(hactl n2 --json ha status 2>/dev/null | python3 -c 'import json,sys; v=json.load(sys.stdin).get("lastTakeoverMs"); print("n/a" if v is None else "%.0f" % v)')
IMPORTED=$(ike_sas n2)
read -r GAP_MS LOST SENT <<<"$(python3 - "$WORK/ping.txt" <<'EOF'
import re, sys
ts, sent = [], 0
for line in open(sys.argv[1]):
    m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)", line)
    if m: ts.append(float(m.group(1)))
    m = re.match(r"(\d+) packets transmitted", line)
    if m: sent = int(m.group(1))
gap = max((b - a for a, b in zip(ts, ts[1:])), default=0)
print("%.0f %d %d" % (gap * 1000, sent - len(ts), sent))
EOF
)"
k0=$(counter n2 seq-sample-ticks); u0=$(counter n2 seq-sample-cpu-us); sleep 5
k1=$(counter n2 seq-sample-ticks); u1=$(counter n2 seq-sample-cpu-us)
NEW_SAMPLE=$(awk -v k="$((${k1:-0} - ${k0:-0}))" -v u="$((${u1:-0} - ${u0:-0}))" 'BEGIN { if (k > 0) printf "%.0f", u / k; else print "n/a" }')
REPLAY=$(ss_esp_replay_failures "$S1"); ICV=$(ss_esp_auth_failures "$S1")
if [ -s "$WORK/perf-takeover.data" ]; then
	perf report -q -i "$WORK/perf-takeover.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' | head -n 25 >"$WORK/perf-takeover.txt"
	log "node 2 from 1 s before the kill for 6 s, perf (self, top 25):"; sed 's/^/    /' "$WORK/perf-takeover.txt"
fi
NEWINIT=$(( $(ss_counter "$S1" init-out-req) - INITS ))
ms() { [ -n "$1" ] && awk -v a="$t_kill" -v b="$1" 'BEGIN { printf "%.0f", (b - a) * 1000 }' || echo n/a; }
log "kill -> vrrp master log line $(ms "$t_master") ms, -> role active (poll) $(ms "$t_active") ms, -> all $TOTAL taken over (poll) $(ms "$t_all") ms, -> takeover log line $(ms "$t_line") ms; takeover itself ${TAKEOVER_MS} ms; IKE SAs in its engine $IMPORTED"
log "sequence sampling on the new active: ${NEW_SAMPLE} µs CPU per tick"
log "ping: ${SENT} sent, ${LOST} lost, longest gap ${GAP_MS} ms; site: replay failures $REPLAY, ICV failures $ICV, new IKE_SA_INITs $NEWINIT"

# --- 4. the killed node restarts and resyncs ---------------------------------------------
log "4. node 1 restarts (priority 50: standby) and gets $TOTAL SAs from node 2's dump"
bench_config 1 50
b0=$(sync_bytes)
start_poll n1 "$WORK/poll-resync"
t_start=$(now)
node_start 1 || exit 1
wait_for 300 field_is n1 inactiveSAs "$TOTAL" || log "node 1 holds $(ha_field n1 inactiveSAs) of $TOTAL"
sleep 1
stop_poll
b1=$(sync_bytes)
t_link=$(first "$WORK/poll-resync" "s.get('peerConnected')")
t_store=$(first "$WORK/poll-resync" "s['childSAs'] >= $TOTAL")
t_inst=$(first "$WORK/poll-resync" "s['inactiveSAs'] >= $TOTAL")
rs() { [ -n "$1" ] && since "$t_start" "$1" || echo n/a; }
RESYNC_KB=$(( (b1 - b0) / 1024 ))
log "resync: start -> sync link up $(rs "$t_link") s, -> all $TOTAL in the store $(rs "$t_store") s, -> all installed inactive $(rs "$t_inst") s; ${RESYNC_KB} KiB on the sync link"
link_to_inst=$([ -n "$t_link" ] && [ -n "$t_inst" ] && since "$t_link" "$t_inst" || echo n/a)

# --- Table -------------------------------------------------------------------------------
IDLE=$(awk '$1 == "idle"' "$WORK/steady"); UDP=$(awk '$1 == "udp"' "$WORK/steady")
kvs() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
echo
echo "HA failover: $(date -u '+%F %H:%M') UTC, $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $N load tunnels + 1 site, VRRP advert $ADVERT"
echo
echo "| what | measured |"
echo "|---|---|"
echo "| load average at the start | $LOAD0 |"
echo "| tunnels up (generator) | ${UP:-0} of $N in ${SETUP_S:-?} s |"
echo "| standby holds all $TOTAL CHILD SAs (incremental sync) | ${SYNC_ALL} s after the first IKE_SA_INIT, ${SYNC_LAG} s after the last tunnel came up |"
echo "| sync link, idle tunnels + 10 ms ping on one | $(awk -v b="$(kvs "$IDLE" bytes_s)" 'BEGIN { printf "%.1f KB/s", b / 1000 }') |"
echo "| sync link, + UDP to all $N at $UDP_PPS pkt/s | $(awk -v b="$(kvs "$UDP" bytes_s)" 'BEGIN { printf "%.1f KB/s", b / 1000 }') |"
echo "| active's sequence sampling per tick ($N+1 SAs), CPU (wall) | idle $(kvs "$IDLE" cpu_us) µs ($(kvs "$IDLE" wall_us)), UDP $(kvs "$UDP" cpu_us) µs ($(kvs "$UDP" wall_us)); $(kvs "$IDLE" ticks_s) ticks/s: $(kvs "$IDLE" core) / $(kvs "$UDP" core) of a core |"
echo "| the same on the new active after the takeover (idle), CPU | ${NEW_SAMPLE} µs |"
echo "| before the kill: standby VRRP flaps; node 1's sync link | $FLAPS; $LINK |"
echo "| kill -9 -> standby's VRRP Master (log) | $(ms "$t_master") ms |"
echo "| kill -> all $TOTAL CHILD SAs taken over (ha status) | $(ms "$t_all") ms (takeover log line $(ms "$t_line") ms; the takeover itself ${TAKEOVER_MS} ms) |"
echo "| IKE SAs in the new active's engine | ${IMPORTED:-?} of $TOTAL |"
echo "| traffic gap, 10 ms ping through the site tunnel | ${GAP_MS} ms longest gap, ${LOST} of ${SENT} lost |"
echo "| site: replay / ICV failures, new IKE_SA_INIT | $REPLAY / $ICV, $NEWINIT |"
echo "| restarted node: start -> sync link up -> all $TOTAL inactive | $(rs "$t_link") s, $(rs "$t_inst") s (link up to all: ${link_to_inst} s; in the store at $(rs "$t_store") s) |"
echo "| bulk dump on the sync link | ${RESYNC_KB} KiB ($(( (b1 - b0) / TOTAL )) B per tunnel) |"
