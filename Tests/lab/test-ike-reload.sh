#!/usr/bin/env bash
# Config reload lab: straitd's ike section changes while tunnels carry traffic.
#
#   host A (${LAB}a) a0 10.1.0.2 -- ga-lan [lan01 10.1.0.1] straitd (${LAB}ga) [wan01 192.0.2.1] ga-wan
#     -- bridge br0 in ${LAB}w --
#     site1 (${LAB}gb) 192.0.2.2, 10.2.0.0/24 host B (${LAB}b)   VPN site1
#     site2 (${LAB}gc) 192.0.2.3, 10.3.0.0/24 host C (${LAB}c)   VPN site2
#     site3 (${LAB}gd) 192.0.2.4, 10.4.0.0/24 host D (${LAB}d)   VPN site3
#
# Sites are strongSwan (kernel-libipsec), one VPN each in straitd (remote-address the site,
# remote-id siteN.strait.test, the lab PSK).
#
#  1. straitd with VPNs site1 and site2, both sites up, ping through both.
#  2. `straitctl reload` with site3 added (above site1, so site1's lines move), site2 removed,
#     site1 unchanged, under a ping A -> B every 10 ms: no ping lost, site1's IKE SA id and
#     CHILD SPIs the same in `show ike sa` and `show ipsec sa`; site2's strongSwan sees its
#     SA deleted and straitd's fast path drops its SAs; site3 can now connect.
#  3. Refused reloads: a semantic error (replay-window 100), a YAML syntax error, a
#     restart-only change (core-mask): exit 1, the error names file:line and the key, and the
#     SAs are the same as before.
#  4. SIGHUP with site2 back: logged, site2 connects again, site1 untouched (ping, SPIs).
#
# Run as root: bash Tests/lab/test-ike-reload.sh   (KEEP=1 keeps the work folder;
# STRAIT_BIN=dir picks straitd/straitctl)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "test-ike-reload.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
S1=$WORK/site1 S2=$WORK/site2 S3=$WORK/site3
SOCK=$WORK/gw.sock
CONF=$WORK/gw.yaml
GW_PID=
EXTRA_NS=(w gc c gd d)

reload_test_cleanup() {
	local rc=$? d ns pid
	ss_cleanup
	if [ -n "$GW_PID" ]; then
		kill -TERM "$GW_PID" 2>/dev/null
		for _ in $(seq 300); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$GW_PID" 2>/dev/null
	fi
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "--- last lines of straitd's log"
		tail -n 40 "$WORK/straitd.log" 2>/dev/null
		for d in "$S1" "$S2" "$S3"; do
			[ -f "$d/charon.log" ] && { echo "--- last lines of $d/charon.log"; tail -n 15 "$d/charon.log"; }
		done
	fi
	[ -n "${KEEP:-}" ] && { echo "work folder kept: $WORK"; WORK=/nonexistent-keep; }
	lab_cleanup
	ike_lab_down "$LAB"
	for ns in "${EXTRA_NS[@]}"; do
		for pid in $(ip netns pids "$LAB$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$LAB$ns" 2>/dev/null
	done
}
trap reload_test_cleanup EXIT
trap "exit 143" TERM INT HUP

nga() { ip netns exec "${LAB}ga" "$@"; }
nw() { ip netns exec "${LAB}w" "$@"; }
gctl() { nga "$BIN/straitctl" --socket "$SOCK" "$@"; }
quiet_if() { ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1; }

# lab_topology: ike_lab_up's namespaces with the WAN through a bridge, then sites 2 and 3.
lab_topology() {
	ike_lab_up "$LAB" straitd || return 1
	local ns n
	for ns in "${EXTRA_NS[@]}"; do ip netns add "$LAB$ns" || return 1; ip netns exec "$LAB$ns" ip link set lo up; done
	nga ip link del ga-wan || return 1
	nw ip link add br0 type bridge; nw sysctl -qw net.ipv6.conf.all.disable_ipv6=1; nw ip link set br0 up
	ip link add ga-wan netns "${LAB}ga" type veth peer name w-ga netns "${LAB}w" || return 1
	ip link add gb-wan netns "${LAB}gb" type veth peer name w-gb netns "${LAB}w" || return 1
	nga sysctl -qw net.ipv6.conf.ga-wan.disable_ipv6=1
	quiet_if "${LAB}ga" ga-wan; nga ip link set ga-wan up
	quiet_if "${LAB}gb" gb-wan
	ip -n "${LAB}gb" addr add 192.0.2.2/24 dev gb-wan; ip -n "${LAB}gb" link set gb-wan up
	for n in c d; do
		local g=g$n i=$([ $n = c ] && echo 3 || echo 4)
		ip link add "$g-wan" netns "$LAB$g" type veth peer name "w-$g" netns "${LAB}w" || return 1
		ip link add "$g-lan" netns "$LAB$g" type veth peer name "${n}0" netns "$LAB$n" || return 1
		quiet_if "$LAB$g" "$g-wan"; quiet_if "$LAB$g" "$g-lan"; quiet_if "$LAB$n" "${n}0"
		ip -n "$LAB$g" addr add "192.0.2.$i/24" dev "$g-wan"; ip -n "$LAB$g" link set "$g-wan" up
		ip -n "$LAB$g" addr add "10.$i.0.1/24" dev "$g-lan"; ip -n "$LAB$g" link set "$g-lan" up
		ip netns exec "$LAB$g" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		ip -n "$LAB$n" addr add "10.$i.0.2/24" dev "${n}0"; ip -n "$LAB$n" link set "${n}0" up
		ip -n "$LAB$n" route add default via "10.$i.0.1"
	done
	for dev in w-ga w-gb w-gc w-gd; do quiet_if "${LAB}w" "$dev"; nw ip link set "$dev" master br0 up; done
}

# gw_conf SITE...: straitd's config with one VPN per site named (siteN: 192.0.2.N+1, 10.N+1.0.0/24),
# in that order; written to $CONF (the file straitd was started with: reload re-reads it).
gw_conf() {
	cat >"$CONF.new" <<-YAML
	# IKE reload lab gateway (Tests/lab/test-ike-reload.sh)
	fast-path:
	  instance: reload$$
	  core-mask: "1"
	  control-core: 0
	  nb-mbuf: 8192
	  memory-mb: 700
	  poll-mode: adaptive
	control:
	  socket: $SOCK
	  log-level: info
	ports:
	  - name: lan01
	    device: net_af_packet0,iface=ga-lan
	    addresses: [10.1.0.1/24]
	  - name: wan01
	    device: net_af_packet1,iface=ga-wan
	    addresses: [192.0.2.1/24]
	ike:
	  retransmit: { timeout: 2s, tries: 3, base: 1.5 }
	  ike-policy-templates:
	    - name: ike-lab
	      proposals: [aes128gcm16-prfsha256-x25519]
	      dpd: { interval: 5s, timeout: 20s }
	  ipsec-policy-templates:
	    - name: esp-lab
	      proposals: [aes128gcm16-esn-noesn]
	      replay-window: 1024
	  vpns:
	YAML
	local s n
	for s in "$@"; do
		n=${s#site}
		cat >>"$CONF.new" <<-YAML
		    - name: $s
		      ike-policy: ike-lab
		      ipsec-policy: esp-lab
		      local-address: 192.0.2.1
		      remote-address: 192.0.2.$((n + 1))
		      local-id: gw.strait.test
		      remote-id: $s.strait.test
		      local-auth: { method: psk }
		      remote-auth: { method: psk }
		      psk: "strait-lab-psk-0123456789"
		      security-policies:
		        - name: lan
		          local-ts: [10.1.0.0/24]
		          remote-ts: [10.$((n + 1)).0.0/24]
		YAML
	done
	mv "$CONF.new" "$CONF"
}

# site_setup DIR N NS: strongSwan site N in NS (connection gw, CHILD c), started and loaded.
site_setup() {
	local dir=$1 n=$2 ns=$3
	ss_write_conf "$dir" || return 1
	ss_swanctl_conf "$dir" --name gw --local-addrs "192.0.2.$((n + 1))" --remote-addrs 192.0.2.1 \
		--local-id "site$n.strait.test" --remote-id gw.strait.test --psk "$SS_LAB_PSK" \
		--local-ts "10.$((n + 1)).0.0/24" --remote-ts 10.1.0.0/24 \
		--proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16 || return 1
	ss_start "$ns" "$dir" && ss_load "$dir"
}

# ike_q count | id REMOTE-ID | spis REMOTE-ID: straitd's IKE SAs (`show ike sa --json`).
ike_q() {
	gctl --json show ike sa 2>/dev/null | /usr/bin/python3 -c '
import json, sys
sas = json.load(sys.stdin)
q, args = sys.argv[1], sys.argv[2:]
mine = [s for s in sas if args and s.get("remoteID") == args[0]]
if q == "count": print(len(sas))
elif q == "id": print(" ".join(str(s["id"]) for s in mine))
elif q == "spis": print(" ".join(str(c["inboundSPI"]) + "/" + str(c["outboundSPI"]) for s in mine for c in s["children"]))' "$@" 2>/dev/null
}
# fp_spis: every SPI in straitd's fast path (`show ipsec sa --json`), sorted.
fp_spis() {
	gctl --json show ipsec sa 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print(" ".join(sorted(str(s.get("spi")) for s in json.load(sys.stdin))))' 2>/dev/null
}
not() { ! "$@" 2>/dev/null; }
quiet() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" | tail -n 4 | sed 's/^/    /'; return 1; }; }
wait_for() { local limit=$1 i; shift; for i in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
no_sa_for() { [ -z "$(ike_q id "$1")" ]; }
ping_summary() { sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) (packets )?received.*/\1 \2/p' "$1"; }
# ping_lost FILE: transmitted - received (or "?" without a summary).
ping_lost() { local s r; read -r s r <<<"$(ping_summary "$1")"; [ -n "$s" ] && echo $((s - r)) || echo "?"; }
mark() { wc -l <"$1" 2>/dev/null || echo 0; }
since() { tail -n +$(($2 + 1)) "$1" 2>/dev/null; }
# state: what must not move: site1's IKE SA id and CHILD SPIs, and the fast path's SPIs.
state() { echo "ike=$(ike_q id site1.strait.test) child=$(ike_q spis site1.strait.test) fp=$(fp_spis)"; }

# --- 1. Two VPNs, two sites
lab_topology || { fail "lab namespaces"; lab_summary; exit 1; }
gw_conf site1 site2
ip netns exec "${LAB}ga" "$BIN/straitd" --config "$CONF" >>"$WORK/straitd.log" 2>&1 &
GW_PID=$!
PIDS+=("$GW_PID")
check "straitd starts with VPNs site1 and site2" wait_for 30 gctl show version
check "site1's strongSwan starts" site_setup "$S1" 1 "${LAB}gb"
check "site2's strongSwan starts" site_setup "$S2" 2 "${LAB}gc"
check "site3's strongSwan starts" site_setup "$S3" 3 "${LAB}gd"
check "site1 connects" ss_initiate "$S1" c 20
check "site2 connects" ss_initiate "$S2" c 20
na ping -c 2 -i 0.3 -W 1 10.2.0.2 >/dev/null; na ping -c 2 -i 0.3 -W 1 10.3.0.2 >/dev/null
check "ping A -> B through site1's tunnel" quiet na ping -q -c 10 -i 0.05 -W 1 10.2.0.2
check "ping A -> C through site2's tunnel" quiet na ping -q -c 10 -i 0.05 -W 1 10.3.0.2
check "site3 is refused before the reload (no VPN for it)" not ss_initiate "$S3" c 6
ss_terminate "$S3" gw 5; ss_wait_ike "$S3" gw none 10   # charon would go on retrying
before=$(state)
log "before: $before"
check "straitd has two IKE SAs and four ESP SAs" test "$(ike_q count)/$(fp_spis | wc -w)" = 2/4

# --- 2. Reload: site3 added, site2 removed, site1 unchanged (but on other lines)
log "phase 2: straitctl reload (site3 added, site2 removed, site1 unchanged) under ping -i 0.01"
na ping -c 1000 -i 0.01 -W 1 10.2.0.2 >"$WORK/ping1.txt" 2>&1 &
PING=$!
PIDS+=("$PING")
sleep 2
gw_conf site3 site1
gctl reload >"$WORK/reload1.txt" 2>&1
rc=$?
sed 's/^/    /' "$WORK/reload1.txt"
check "straitctl reload succeeds (rc=$rc)" test $rc -eq 0
check "the reply names site2 removed with its IKE SA deleted" grep -q "VPN 'site2' removed: 1 IKE SA" "$WORK/reload1.txt"
check "the reply names site3 added" grep -q "VPN 'site3' added" "$WORK/reload1.txt"
check "the reply does not mention site1" bash -c "! grep -q site1 '$WORK/reload1.txt'"
check "site2's strongSwan sees its IKE SA deleted" ss_wait_ike "$S2" gw none 10
check "straitd has no SA for site2 any more" wait_for 10 no_sa_for site2.strait.test
wait "$PING"
lost=$(ping_lost "$WORK/ping1.txt")
log "ping A -> B across the reload: $(ping_summary "$WORK/ping1.txt") (sent received)"
check "no ping through site1 lost across the reload (lost $lost of 1000)" test "$lost" = 0
after=$(state)
log "after:  $after"
b_ike=${before#ike=}; b_ike=${b_ike%% *}
a_ike=${after#ike=}; a_ike=${a_ike%% *}
b_child=$(sed -E 's/.*child=(\S*).*/\1/' <<<"$before"); a_child=$(sed -E 's/.*child=(\S*).*/\1/' <<<"$after")
check "site1's IKE SA id unchanged ($b_ike -> $a_ike)" test -n "$a_ike" -a "$b_ike" = "$a_ike"
check "site1's CHILD SPIs unchanged ($b_child -> $a_child)" test -n "$a_child" -a "$b_child" = "$a_child"
check "the fast path holds site1's two ESP SAs only ($(fp_spis))" test "$(fp_spis | wc -w)" = 2
check "site3 connects after the reload" ss_initiate "$S3" c 20
na ping -c 2 -i 0.3 -W 1 10.4.0.2 >/dev/null
check "ping A -> D through site3's new tunnel" quiet na ping -q -c 10 -i 0.05 -W 1 10.4.0.2
check "site2 is refused now (its VPN is gone)" not ss_initiate "$S2" c 6
ss_terminate "$S2" gw 5; ss_wait_ike "$S2" gw none 10

# --- 3. Refused reloads change nothing
log "phase 3: reloads with errors"
good=$(cat "$CONF")
steady=$(state)
refused() {   # refused NAME PATTERN: straitctl reload fails, its error matches PATTERN, nothing moved
	local name=$1 pattern=$2 out rc
	out=$(gctl reload 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	check "$name: refused (rc=$rc)" test $rc -eq 1
	check "$name: the error names file:line and the key" grep -qE -- "$pattern" <<<"$out"
	check "$name: the running state is unchanged" test "$(state)" = "$steady"
}
line=$(grep -n 'replay-window: 1024' "$CONF" | cut -d: -f1)
sed -i 's/replay-window: 1024/replay-window: 100/' "$CONF"
refused "replay-window 100" "$CONF:$line:[0-9]+: ike.ipsec-policy-templates\[0\].replay-window"
printf '%s\n' "$good" >"$CONF"
line=$(grep -n 'remote-ts: \[10.4.0.0/24\]' "$CONF" | cut -d: -f1)
sed -i 's|remote-ts: \[10.4.0.0/24\]|remote-ts: [10.4.0.0/24|' "$CONF"
refused "YAML syntax error" "$CONF:[0-9]+:[0-9]+: "
printf '%s\n' "$good" >"$CONF"
line=$(grep -n 'memory-mb' "$CONF" | cut -d: -f1)
sed -i 's/memory-mb: 700/memory-mb: 800/' "$CONF"
refused "memory-mb changed (restart only)" "$CONF:$line:[0-9]+: fast-path.memory-mb: .*restart"
printf '%s\n' "$good" >"$CONF"
check "ping A -> B and A -> D still pass" bash -c "na ping -q -c 5 -i 0.05 -W 1 10.2.0.2 >/dev/null && na ping -q -c 5 -i 0.05 -W 1 10.4.0.2 >/dev/null"

# --- 4. SIGHUP
log "phase 4: SIGHUP with site2 back"
m=$(mark "$WORK/straitd.log")
gw_conf site3 site1 site2
na ping -c 500 -i 0.01 -W 1 10.2.0.2 >"$WORK/ping2.txt" 2>&1 &
PING=$!
PIDS+=("$PING")
sleep 1
kill -HUP "$GW_PID"
check "straitd logs the SIGHUP reload with site2 added" wait_for 10 bash -c "tail -n +$((m + 1)) '$WORK/straitd.log' | grep -q \"reload of .*VPN 'site2' added\""
since "$WORK/straitd.log" "$m" | grep -i reload | sed 's/^/    /'
check "straitd is still running" kill -0 "$GW_PID"
check "site2 connects again" ss_initiate "$S2" c 20
wait "$PING"
lost=$(ping_lost "$WORK/ping2.txt")
check "no ping through site1 lost across SIGHUP (lost $lost of 500)" test "$lost" = 0
check "site1's IKE SA and CHILD SPIs still the ones from the start" \
	test "$(ike_q id site1.strait.test) $(ike_q spis site1.strait.test)" = "$b_ike $b_child"
check "three IKE SAs now (site1, site2, site3)" test "$(ike_q count)" = 3

lab_summary
