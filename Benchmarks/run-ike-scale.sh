#!/usr/bin/env bash
# IKE scale benchmark: N IKEv2 tunnels (one IKE SA + one CHILD SA each, PSK, X25519,
# AES-GCM) from N source addresses, brought up and torn down against three responders in
# one run, each in turn on the same load:
#
#   engine      strait-ike-load --respond: Strait's IKE engine alone, null data plane
#   straitd     the daemon: af_packet port, fast path, IKE service, CHILD SAs into the SAD
#   strongswan  charon-systemd with kernel-libipsec (this kernel has no ESP)
#
#   load generator (ns ${P}l)                              responder (ns ${P}r)
#   lo: 100.64.0.1 ... (N /32s)                            r0 192.0.2.1/24 (straitd: wan01 on r0)
#   l0 192.0.2.2/24 ------------------ veth --------------- route 100.64.0.0/16 via 192.0.2.2
#
# The load generator (strait-ike-load, Benchmarks/ike-load) is Strait's own initiator: one
# engine, one thread, pinned to CPU $GEN_CPU; the responder gets CPU $RESP_CPU (straitd: its
# control core; its fast-path worker shares the generator's CPU in adaptive poll mode).
#
#   sudo bash Benchmarks/run-ike-scale.sh [N]        # N defaults to 10000
#
# Environment: SIZES ("1000 N": smaller runs first), RESPONDERS ("engine engine_never straitd
# strongswan"; engine_never is the engine with unique-sa never, showing what that check costs),
# WINDOW (256 negotiations in flight), RATE (0: as fast as the window allows), TIMEOUT (180 s
# per phase), BUILD (1: swift build the binaries first, into .build-load), STRAITD_LOG (info).
# Prints one line per run and a markdown table for docs/benchmarks.md. Every process is
# started here, recorded by pid, stopped by pid; the namespaces are deleted on exit.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH=/opt/swift/usr/bin:$PATH
N=${1:-10000}
SIZES=${SIZES:-"1000 $N"}
RESPONDERS=${RESPONDERS:-"engine engine_never straitd strongswan"}
WINDOW=${WINDOW:-256}
RATE=${RATE:-0}
TIMEOUT=${TIMEOUT:-180}
BUILD=${BUILD:-1}
STRAITD_LOG=${STRAITD_LOG:-info}
SCRATCH=${SCRATCH:-.build-load}
BIN=${STRAIT_BIN:-$ROOT/$SCRATCH/release}
GEN_CPU=${GEN_CPU:-1}
RESP_CPU=${RESP_CPU:-0}
P=iks$$
L=${P}l
R=${P}r
WORK=$(mktemp -d /tmp/strait-ikescale.XXXXXX)
PIDS=()
# Lab-only key ("strait-ike-load-psk-0123456789", the load generator's default).
PSK_TEXT=strait-ike-load-psk-0123456789
PSK_HEX=0x$(printf '%s' "$PSK_TEXT" | od -An -tx1 | tr -d ' \n')
CLK_TCK=$(getconf CLK_TCK)
source "$ROOT/Tests/lab/strongswan-lib.sh"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
	local pid ns
	ss_cleanup
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	# Whatever still runs in these namespaces was started by this script.
	for ns in "$R" "$L"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || { echo "run-ike-scale.sh: needs root (namespaces, UDP 500)"; exit 1; }
[ "$(nproc)" -ge 2 ] || { GEN_CPU=0; RESP_CPU=0; }
products=(strait-ike-load)
[[ " $RESPONDERS " == *" straitd "* ]] && products+=(straitd straitctl)
for p in "${products[@]}"; do
	if [ "$BUILD" = 1 ]; then
		out=$(swift build -c release --scratch-path "$SCRATCH" --product "$p" 2>&1) ||
			{ tail -n 20 <<<"$out"; echo "run-ike-scale.sh: building $p failed"; exit 1; }
	fi
	[ -x "$BIN/$p" ] || { echo "no $BIN/$p: swift build -c release --scratch-path $SCRATCH --product $p"; exit 1; }
done
max=0
for s in $SIZES; do [ "$s" -gt "$max" ] && max=$s; done
[ "$max" -le 65000 ] || { echo "at most 65000 tunnels (one /16 of source addresses)"; exit 1; }

# --- Network -----------------------------------------------------------------------------
ip netns add "$L" || exit 1
ip netns exec "$L" ip link set lo up
# The sources live on lo, so the responder side can be rebuilt without re-adding them.
/usr/bin/python3 - "$max" >"$WORK/addrs.batch" <<'EOF'
import ipaddress, sys
base = int(ipaddress.IPv4Address("100.64.0.0"))
for i in range(int(sys.argv[1])):
    print(f"addr add {ipaddress.IPv4Address(base + 1 + i)}/32 dev lo")
EOF
t0=$(date +%s.%N)
ip netns exec "$L" ip -batch "$WORK/addrs.batch" || exit 1
log "$max source addresses in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

# responder_net kernel|straitd: a fresh responder namespace and veth. kernel: r0 has the
# gateway address and the route back; straitd: r0 is left bare for the af_packet port.
responder_net() {
	ip netns del "$R" 2>/dev/null
	ip netns add "$R" || return 1
	ip netns exec "$R" ip link set lo up
	ip link add l0 netns "$L" type veth peer name r0 netns "$R" || return 1
	ip netns exec "$L" ethtool -K l0 tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$R" ethtool -K r0 tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$L" ip addr add 192.0.2.2/24 dev l0
	ip netns exec "$L" ip link set l0 up
	if [ "$1" = kernel ]; then
		ip netns exec "$R" ip addr add 192.0.2.1/24 dev r0
		ip netns exec "$R" ip link set r0 up
		ip netns exec "$R" ip route add 100.64.0.0/16 via 192.0.2.2
		# The gateway's own LAN address (strongSwan's kernel-libipsec routes each CHILD SA
		# into its TUN device from an address inside the local traffic selector).
		ip netns exec "$R" ip addr add 10.1.0.1/16 dev lo
	else
		ip netns exec "$R" sysctl -qw net.ipv6.conf.r0.disable_ipv6=1
		ip netns exec "$R" ip link set r0 up
	fi
}

# --- Responders --------------------------------------------------------------------------
RPID=
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU seconds of a process's threads, less straitd's fast-path workers (rte-worker-N: they
# poll packets on the generator's CPU; the figure is the control plane's).
cpu_s() {
	local t total=0 comm
	for t in /proc/"$1"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		[[ $comm == rte-worker* ]] && continue
		total=$((total + $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)))
	done
	awk -v n="$total" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", n / t }'
}

start_engine() {
	responder_net kernel || return 1
	rm -f "$WORK/engine.status"
	taskset -c "$RESP_CPU" ip netns exec "$R" "$BIN/strait-ike-load" --respond --listen 192.0.2.1 \
		--psk "$PSK_TEXT" --status-file "$WORK/engine.status" "$@" >"$WORK/engine.out" 2>&1 &
	RPID=$!
	PIDS+=("$RPID")
	for _ in $(seq 100); do
		grep -q '^responding' "$WORK/engine.out" 2>/dev/null && [ -s "$WORK/engine.status" ] && return 0
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/engine.out" >&2
	return 1
}
# The same engine without the unique-sa check (a diagnostic: what that check costs).
start_engine_never() { start_engine --unique-sa never; }
engine_never_sas() { engine_sas; }
stop_engine_never() { stop_engine; }
engine_sas() { sleep 1.2; tr ' ' '\n' <"$WORK/engine.status" | awk -F= '$1 == "ike_sas" { print $2 }'; }
stop_engine() { kill -TERM "$RPID" 2>/dev/null; wait_gone "$RPID"; }

start_straitd() {
	responder_net straitd || return 1
	local huge=false
	[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -ge 256 ] && huge=true
	cat >"$WORK/straitd.yaml" <<-EOF
	# IKE scale benchmark responder (written by Benchmarks/run-ike-scale.sh)
	fast-path:
	  instance: ikescale$$
	  core-mask: "$GEN_CPU"
	  control-core: $RESP_CPU
	  nb-mbuf: 8192
	  hugepages: $huge
	  memory-mb: 512
	  poll-mode: adaptive
	control:
	  socket: $WORK/straitd.sock
	  log-level: $STRAITD_LOG
	ports:
	  - name: wan01
	    device: net_af_packet0,iface=r0
	    addresses: [192.0.2.1/24]
	routes:
	  - prefix: 100.64.0.0/16
	    via: 192.0.2.2
	ike:
	  limits: { half-open: 100000, cookie-threshold: 50000, queue: 65536 }
	  ike-policy-templates:
	    - name: ike-load
	      proposals: [aes128gcm16-prfsha256-x25519]
	      unique-sa: replace
	      dpd: { interval: 0 }
	  ipsec-policy-templates:
	    - name: esp-load
	      proposals: [aes128gcm16-esn-noesn]
	  vpns:
	    - name: sites
	      ike-policy: ike-load
	      ipsec-policy: esp-load
	      local-address: 192.0.2.1
	      remote-address: any
	      local-id: gw.load.test
	      remote-id: "*.load.test"
	      local-auth: { method: psk }
	      remote-auth: { method: psk }
	      psk: $PSK_HEX
	      security-policies:
	        - name: lan
	          local-ts: [10.1.0.0/16]
	          remote-ts: [10.200.0.0/16]
	EOF
	ip netns exec "$R" "$BIN/straitd" --config "$WORK/straitd.yaml" >"$WORK/straitd.log" 2>&1 &
	RPID=$!
	PIDS+=("$RPID")
	for _ in $(seq 150); do
		ip netns exec "$R" "$BIN/straitctl" --socket "$WORK/straitd.sock" show version >/dev/null 2>&1 && {
			# The route back (192.0.2.2's MAC) before the clock starts.
			ip netns exec "$L" ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1
			return 0
		}
		kill -0 "$RPID" 2>/dev/null || break
		sleep 0.2
	done
	tail -n 30 "$WORK/straitd.log" >&2
	return 1
}
straitd_stat() {
	ip netns exec "$R" "$BIN/straitctl" --socket "$WORK/straitd.sock" --json show ike stats 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1" 2>/dev/null
}
# IKE SAs established, and the fast path's ESP SAs (two per CHILD SA) as "IKE/ESP".
straitd_sas() {
	local ike esp
	ike=$(ip netns exec "$R" "$BIN/straitctl" --socket "$WORK/straitd.sock" --json show ike sa 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(sum(1 for s in json.load(sys.stdin) if s.get("state") == "established"))' 2>/dev/null)
	esp=$(ip netns exec "$R" "$BIN/straitctl" --socket "$WORK/straitd.sock" --json show ipsec sa 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' 2>/dev/null)
	echo "${ike:-?}/${esp:-?}"
}
stop_straitd() { kill -TERM "$RPID" 2>/dev/null; wait_gone "$RPID" 20; }

SSD=$WORK/strongswan
start_strongswan() {
	responder_net kernel || return 1
	mkdir -p "$SSD"
	cat >"$SSD/strongswan.conf" <<-EOF
	# IKE scale benchmark responder (written by Benchmarks/run-ike-scale.sh)
	charon-systemd {
	  load = random nonce aes sha1 sha2 hmac gcm kdf openssl curve25519 pem pkcs1 pkcs8 vici kernel-libipsec kernel-netlink socket-default
	  port = 500
	  port_nat_t = 4500
	  threads = 16
	  # One hash row per IKE SA instead of the default single row; no cookies, no half-open
	  # limit below the load (as for straitd).
	  ikesa_table_size = 32768
	  ikesa_table_segments = 16
	  init_limit_half_open = 0
	  cookie_threshold = 100000
	  block_threshold = 100000
	  install_routes = no
	  install_virtual_ip = no
	  plugins {
	    vici {
	      socket = unix://$SSD/charon.vici
	    }
	    kernel-libipsec {
	      allow_peer_ts = yes
	    }
	    socket-default {
	      use_ipv6 = no
	    }
	  }
	  journal {
	    default = -1
	  }
	  filelog {
	    charon {
	      path = $SSD/charon.log
	      default = ${SS_LOG:-0}
	    }
	  }
	}
	EOF
	cat >"$SSD/swanctl.conf" <<-EOF
	connections {
	  sites {
	    local_addrs = 192.0.2.1
	    remote_addrs = %any
	    version = 2
	    proposals = aes128gcm16-prfsha256-x25519
	    unique = replace
	    dpd_delay = 0
	    local {
	      auth = psk
	      id = gw.load.test
	    }
	    remote {
	      auth = psk
	      id = *.load.test
	    }
	    children {
	      lan {
	        local_ts = 10.1.0.0/16
	        remote_ts = 10.200.0.0/16
	        esp_proposals = aes128gcm16
	        start_action = none
	      }
	    }
	  }
	}
	secrets {
	  ike-load {
	    secret = $PSK_HEX
	  }
	}
	EOF
	# charon and its threads on the responder's CPU.
	local mask
	mask=$(taskset -p $$ | awk '{ print $NF }')
	taskset -pc "$RESP_CPU" $$ >/dev/null
	ss_start "$R" "$SSD" 20
	local rc=$?
	taskset -p "$mask" $$ >/dev/null
	[ $rc -eq 0 ] || return 1
	RPID=$(ss_pid "$SSD")
	ss_load "$SSD" >/dev/null || return 1
}
strongswan_sas() { ss_ctl "$SSD" --stats 2>/dev/null | grep -oE 'IKE_SAs: [0-9]+ total' | grep -oE '[0-9]+'; }
stop_strongswan() { ss_stop "$SSD" 10; }

wait_gone() {
	local pid=$1 limit=${2:-10}
	for _ in $(seq $((limit * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}

# --- One run -----------------------------------------------------------------------------
# kv FILE PREFIX KEY: a key's value on the line starting with PREFIX.
kv() { grep "^$2 " "$1" 2>/dev/null | tail -1 | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }

# "tid comm ticks" per thread, to show where a responder's CPU went.
thread_ticks() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(tr ' ' '_' <"$t/comm" 2>/dev/null) $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)"
	done
}

RESULTS=$WORK/results
: >"$RESULTS"
run_one() {
	local who=$1 size=$2 out=$WORK/load-$1-$2.out go=$WORK/go-$1-$2 gpid rss0 cpu0 rss1 cpu1 rss2 cpu2 sas
	"start_$who" || { log "$who did not start"; echo "$who $size start-failed" >>"$RESULTS"; return 1; }
	sleep 1
	rss0=$(rss_kb "$RPID"); cpu0=$(cpu_s "$RPID")
	thread_ticks "$RPID" >"$WORK/threads0"
	log "$who: $size tunnels (window $WINDOW, rate $RATE); responder pid $RPID, RSS $((rss0 / 1024)) MiB"
	timeout $((TIMEOUT * 2 + 120)) taskset -c "$GEN_CPU" ip netns exec "$L" "$BIN/strait-ike-load" --count "$size" \
		--window "$WINDOW" --rate "$RATE" --gateway 192.0.2.1 --psk "$PSK_TEXT" --pool 100.64.0.0/16 \
		--timeout "$TIMEOUT" --teardown --hold 60 --go-file "$go" >"$out" 2>&1 &
	gpid=$!
	PIDS+=("$gpid")
	for _ in $(seq $(((TIMEOUT + 60) * 10))); do
		grep -q '^SETUP ' "$out" && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	rss1=$(rss_kb "$RPID"); cpu1=$(cpu_s "$RPID")
	thread_ticks "$RPID" >"$WORK/threads1"
	sas=$("${who}_sas")
	touch "$go"
	wait "$gpid"
	sleep 1
	rss2=$(rss_kb "$RPID"); cpu2=$(cpu_s "$RPID")
	sed 's/^/    /' "$out" | grep -v '^    \(SETUP\|RESULT\)' >&2
	log "$who: responder CPU during setup by thread (s): $(awk -v t="$CLK_TCK" 'NR == FNR { a[$1] = $3; next }
		{ d[$2] += ($3 - a[$1]) / t } END { for (c in d) if (d[c] >= 0.01) printf "%s %.2f  ", c, d[c] }' \
		"$WORK/threads0" "$WORK/threads1")"
	local up rate el td fails retr
	up=$(kv "$out" RESULT up); rate=$(kv "$out" RESULT rate); el=$(kv "$out" RESULT elapsed_s)
	td=$(kv "$out" RESULT teardown_s); retr=$(kv "$out" RESULT retransmits)
	fails=$(grep '^RESULT ' "$out" | tr ' ' '\n' | grep '^fail_' | tr '\n' ' ')
	echo "$who $size up=${up:-0} elapsed_s=${el:-0} rate=${rate:-0} teardown_s=${td:-0} deleted=$(kv "$out" RESULT deleted)" \
		"retransmits=${retr:-0} resp_sas=${sas:-?} rss0=$rss0 rss1=$rss1 rss2=$rss2 cpu_setup=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" \
		"cpu_teardown=$(awk -v a="$cpu1" -v b="$cpu2" 'BEGIN { printf "%.2f", b - a }') gen_cpu=$(kv "$out" RESULT gen_cpu_s) ${fails}" | tee -a "$RESULTS" >&2
	"stop_$who"
	ip netns del "$R" 2>/dev/null
}

log "IKE scale: sizes $SIZES, responders $RESPONDERS, window $WINDOW, rate $RATE; generator CPU $GEN_CPU, responder CPU $RESP_CPU"
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
	for who in $RESPONDERS; do run_one "$who" "$size"; done
done
log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- Table -------------------------------------------------------------------------------
echo
echo "IKE scale: $(date -u '+%F %H:%M') UTC, $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), window $WINDOW, rate ${RATE/#0/unlimited}"
echo
echo "| responder | tunnels | up | setup (s) | tunnels/s | vs strongSwan | responder CPU per tunnel | responder RSS before -> up | RSS per tunnel | SAs at the responder | teardown (s) | teardown/s | retransmits | failures |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
/usr/bin/python3 - "$RESULTS" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 3 or "=" not in f[2]:
        rows.append((f[0], f[1], None)); continue
    rows.append((f[0], f[1], dict(x.split("=", 1) for x in f[2:] if "=" in x)))
ss = {size: float(d["rate"]) for who, size, d in rows if d and who == "strongswan" and float(d.get("rate", 0)) > 0}
names = {"engine": "engine only", "engine_never": "engine only, unique-sa never", "straitd": "straitd",
         "strongswan": "strongSwan 5.9 (libipsec)"}
for who, size, d in rows:
    name = names.get(who, who)
    if d is None:
        print(f"| {name} | {size} | did not start | | | | | | | | | | | |"); continue
    up = int(d.get("up", 0) or 0); rate = float(d.get("rate", 0) or 0)
    ratio = "1" if who == "strongswan" else (f"{rate / ss[size]:.2f}x" if size in ss else "n/a")
    cpu = float(d["cpu_setup"]) / up * 1000 if up else 0
    rss0, rss1 = int(d["rss0"]), int(d["rss1"])
    per = (rss1 - rss0) * 1024 / up if up else 0
    td = float(d.get("teardown_s", 0) or 0); deleted = int(d.get("deleted", 0) or 0)
    teardown = f"{td:.2f}" if deleted == up else f"{td:.0f}, {deleted} of {up} deleted"
    fails = ", ".join(f"{k[5:]} {v}" for k, v in d.items() if k.startswith("fail_")) or "none"
    print(f"| {name} | {size} | {up} | {float(d['elapsed_s']):.2f} | {rate:.0f} | {ratio} | {cpu:.2f} ms "
          f"| {rss0 / 1024:.0f} -> {rss1 / 1024:.0f} MiB | {per / 1024:.1f} KiB | {d.get('resp_sas', '?')} | {teardown} "
          f"| {deleted / td if td else 0:.0f} | {d.get('retransmits', '?')} | {fails} |")
EOF
