#!/usr/bin/env bash
# HA lab: two straitd (an active/standby pair, VRRP + ha state sync) and one strongSwan site.
#
#   host A (${LAB}a) a0 10.1.0.2 -- [LAN bridge ${LAB}l] -- n1-lan [lan01 10.1.0.11] node 1 (${LAB}n1)
#                                                      \-- n2-lan [lan01 10.1.0.12] node 2 (${LAB}n2)
#   node 1 wan01 192.0.2.11 n1-wan -- [WAN bridge ${LAB}w] -- n2-wan 192.0.2.12 node 2
#                                            \-- gb-wan 192.0.2.2 site (${LAB}gb) gb-lan 10.2.0.1 -- b0 10.2.0.2 host B
#   node 1 sync01 192.168.255.1 n1-sync ---- n2-sync 192.168.255.2 sync01 node 2
#   virtual addresses 192.0.2.1 (WAN, VRID 51) and 10.1.0.1 (LAN, VRID 52), group vpnc;
#   node 1 priority 200 (active), node 2 100 (standby).
#
# The site sets up a tunnel to 192.0.2.1; node 2 gets its CHILD SA inactive. Host A pings
# host B every 10 ms through the tunnel; node 1 is SIGKILLed. Node 2 becomes Master, takes
# the CHILD SA over with outbound sequence numbers shifted, and the ping resumes: the site
# sends no new IKE_SA_INIT, keeps its CHILD SA SPIs, and its libipsec logs no replay error.
#
# Then node 1 comes back: it joins as standby (preempt-delay 10 s), gets the SA from node
# 2's full dump, preempts and takes it over in turn; the ping carries on, same checks.
#
# The IKE SA goes into the taker's IKE engine too: after the failback the site deletes it and
# node 1 answers.
#
# Run as root: bash Tests/lab/test-ha.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "test-ha.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
T0=$SECONDS
S1=$WORK/site1
N1_PID= N2_PID= PING_PID=
NSS=(a n1 n2 l w gb b)

ha_cleanup() {
	local rc=$? ns pid
	[ -n "$PING_PID" ] && kill -KILL "$PING_PID" 2>/dev/null
	ss_cleanup
	for pid in $N1_PID $N2_PID; do kill -KILL "$pid" 2>/dev/null; done
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for n in n1 n2; do echo "--- last lines of $n's log"; tail -n 30 "$WORK/$n.log" 2>/dev/null; done
		echo "--- last lines of the site's charon.log"; tail -n 30 "$S1/charon.log" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then echo "work folder kept: $WORK"; WORK=/nonexistent-keep; fi
	lab_cleanup
	for ns in "${NSS[@]}"; do
		for pid in $(ip netns pids "$LAB$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$LAB$ns" 2>/dev/null
	done
}
trap ha_cleanup EXIT
trap "exit 143" TERM INT HUP

nx() { local ns=$1; shift; ip netns exec "$LAB$ns" "$@"; }
quiet() { nx "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1; }
hactl() { local n=$1; shift; nx "$n" "$BIN/straitctl" --socket "$WORK/$n.sock" "$@"; }
# ha_field NODE KEY: one field of `ha status --json`.
ha_field() { nx "$1" "$BIN/straitctl" --socket "$WORK/$1.sock" --json ha status 2>/dev/null \
	| python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))" 2>/dev/null; }
# field_is NODE KEY VALUE: that field has that value now.
field_is() { [ "$(ha_field "$1" "$2")" = "$3" ]; }
# ike_sas NODE: how many IKE SAs the node's engine holds.
ike_sas() { nx "$1" "$BIN/straitctl" --socket "$WORK/$1.sock" --json show ike sa 2>/dev/null \
	| python3 -c "import json,sys; print(len(json.load(sys.stdin)))" 2>/dev/null; }
ike_sas_are() { [ "$(ike_sas "$1")" = "$2" ]; }
# wait_for SECONDS CMD...: poll every 0.2 s.
wait_for() { local n=$(($1 * 5)); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done; return 1; }

topology() {
	local ns
	for ns in "${NSS[@]}"; do ip netns add "$LAB$ns" || return 1; nx "$ns" ip link set lo up; done
	for ns in l w; do nx "$ns" ip link add br0 type bridge; nx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; nx "$ns" ip link set br0 up; done
	ip link add a0 netns "${LAB}a" type veth peer name l-a netns "${LAB}l" || return 1
	ip link add n1-lan netns "${LAB}n1" type veth peer name l-n1 netns "${LAB}l" || return 1
	ip link add n2-lan netns "${LAB}n2" type veth peer name l-n2 netns "${LAB}l" || return 1
	ip link add n1-wan netns "${LAB}n1" type veth peer name w-n1 netns "${LAB}w" || return 1
	ip link add n2-wan netns "${LAB}n2" type veth peer name w-n2 netns "${LAB}w" || return 1
	ip link add gb-wan netns "${LAB}gb" type veth peer name w-gb netns "${LAB}w" || return 1
	ip link add n1-sync netns "${LAB}n1" type veth peer name n2-sync netns "${LAB}n2" || return 1
	ip link add gb-lan netns "${LAB}gb" type veth peer name b0 netns "${LAB}b" || return 1
	for d in l-a l-n1 l-n2; do quiet l "$d"; nx l ip link set "$d" master br0 up; done
	for d in w-n1 w-n2 w-gb; do quiet w "$d"; nx w ip link set "$d" master br0 up; done
	for n in n1 n2; do
		for d in $n-lan $n-wan $n-sync; do
			nx "$n" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"; quiet "$n" "$d"; nx "$n" ip link set "$d" up
		done
	done
	quiet a a0; nx a ip addr add 10.1.0.2/24 dev a0; nx a ip link set a0 up; nx a ip route add default via 10.1.0.1
	quiet gb gb-wan; quiet gb gb-lan; quiet b b0
	nx gb ip addr add 192.0.2.2/24 dev gb-wan; nx gb ip link set gb-wan up
	nx gb ip addr add 10.2.0.1/24 dev gb-lan; nx gb ip link set gb-lan up
	nx gb sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	nx b ip addr add 10.2.0.2/24 dev b0; nx b ip link set b0 up; nx b ip route add default via 10.2.0.1
}

# node_config N PRIORITY: node N's config (node 1: .11 and sync .1; node 2: .12 and sync .2).
node_config() {
	local n=$1 prio=$2 me=$((10 + $1)) peer=$((3 - $1))
	cat >"$WORK/n$n.yaml" <<CONF
fast-path: { instance: ha$n-$$, core-mask: "1", control-core: 0, nb-mbuf: 8192, memory-mb: 600, poll-mode: adaptive }
control: { socket: $WORK/n$n.sock, log-level: info }
ports:
  - { name: lan01, device: "net_af_packet0,iface=n$n-lan", addresses: [10.1.0.$me/24] }
  - { name: wan01, device: "net_af_packet1,iface=n$n-wan", addresses: [192.0.2.$me/24] }
  - { name: sync01, device: "net_af_packet2,iface=n$n-sync", addresses: [192.168.255.$n/30] }
ike:
  ike-policy-templates:
    - { name: t, proposals: [aes128gcm16-prfsha256-x25519], dpd: { interval: 60s, timeout: 300s } }
  ipsec-policy-templates:
    - { name: e, proposals: [aes128gcm16-esn-noesn], replay-window: 1024 }
  vpns:
    - name: sites
      ike-policy: t
      ipsec-policy: e
      local-address: 192.0.2.1
      remote-address: any
      local-id: gw.strait.test
      remote-id: "*.strait.test"
      local-auth: { method: psk }
      remote-auth: { method: psk }
      psk: "strait-lab-psk-0123456789"
      security-policies:
        - { name: lan, local-ts: [10.1.0.0/24], remote-ts: [10.2.0.0/24] }
vrrp:
  instances:
    - { name: wan, interface: wan01, vrid: 51, priority: $prio, advert-interval: 100ms, preempt-delay: 10s, virtual-addresses: [192.0.2.1/24] }
    - { name: lan, interface: lan01, vrid: 52, priority: $prio, advert-interval: 100ms, preempt-delay: 10s, virtual-addresses: [10.1.0.1/24] }
  groups:
    - { name: vpnc, instances: [wan, lan] }
ha:
  node-id: $n
  listen-vrrp-group: vpnc
  sync: { interface: sync01, local-address: 192.168.255.$n, remote-address: 192.168.255.$peer }
  key: 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  seqnum-sync: { oseq-shift: 4096, sync-period-time: 200ms, sync-period-packets: 1000 }
CONF
}

# node_start N: straitd in ${LAB}nN, log $WORK/nN.log; sets N1_PID / N2_PID.
node_start() {
	local n=$1 pid
	nx "n$n" "$BIN/straitd" --config "$WORK/n$n.yaml" >>"$WORK/n$n.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	eval "N${n}_PID=$pid"
	wait_for 40 hactl "n$n" show version >/dev/null 2>&1 || { log "node $n did not come up"; tail -n 20 "$WORK/n$n.log"; return 1; }
	# $! is the subshell's; straitd is the one process in its namespace.
	pid=$(ip netns pids "${LAB}n$n" | head -n 1)
	PIDS+=("$pid")
	eval "N${n}_PID=$pid"
}

topology || { fail "topology"; exit 1; }
node_config 1 200; node_config 2 100
node_start 1 || { fail "node 1 starts"; exit 1; }
check "node 1 is active" wait_for 20 field_is n1 role active
node_start 2 || { fail "node 2 starts"; exit 1; }
check "node 2 is standby" wait_for 20 field_is n2 role standby
check "the sync link is up" wait_for 20 field_is n2 peerConnected True

mkdir -p "$S1"
ss_write_conf "$S1" log_esp=1
ss_swanctl_conf "$S1" --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 --local-id site1.strait.test \
	--remote-id gw.strait.test --psk "$SS_LAB_PSK" --local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24
ss_start "${LAB}gb" "$S1" && ss_load "$S1" || { fail "the site's charon starts"; exit 1; }
check "the tunnel comes up (site initiates to the virtual address)" ss_initiate "$S1" c 30
SPIS=$(ss_child_spis "$S1" site c)
log "site CHILD SA: $SPIS"
check "node 2 holds the CHILD SA inactive" wait_for 10 field_is n2 inactiveSAs 1
check "node 2 holds the IKE SA" wait_for 10 field_is n2 ikeSAs 1
check "traffic through node 1" nx a ping -c 3 -W 2 10.2.0.2
INITS=$(ss_counter "$S1" init-out-req)

nx a ping -i 0.01 -w 14 -W 1 10.2.0.2 >"$WORK/ping.txt" 2>&1 &
PING_PID=$!
sleep 3
check "node 2 has synced sequence state" field_is n2 seqStates 1
log "SIGKILL node 1 (pid $N1_PID; in its namespace: $(ip netns pids "${LAB}n1" | tr '\n' ' '))"
kill -KILL "$N1_PID"; N1_PID=
sleep 0.5
log "left in node 1's namespace: $(ip netns pids "${LAB}n1" | tr '\n' ' ')"
check "node 2 takes over" wait_for 10 field_is n2 takenOverSAs 1
check "node 2 is active" field_is n2 role active
check "node 2's IKE engine took the IKE SA over" test "$(ike_sas n2)" = 1
wait "$PING_PID"; PING_PID=
hactl n2 ha status
SENT=$(awk '/packets transmitted/ { print $1 }' "$WORK/ping.txt")
LAST=$(grep -o 'icmp_seq=[0-9]*' "$WORK/ping.txt" | tail -n 1 | cut -d= -f2)
LOST=$(( ${SENT:-0} - $(grep -c 'bytes from' "$WORK/ping.txt") ))
log "ping: sent ${SENT:-?}, last reply icmp_seq ${LAST:-none}, lost $LOST"
check "the ping resumes through node 2" test "${LAST:-0}" -ge $(( ${SENT:-0} - 100 ))
check "the gap is the VRRP failover time (under 3 s of pings)" test "$LOST" -lt 300
check "the site sent no new IKE_SA_INIT" test "$(ss_counter "$S1" init-out-req)" = "$INITS"
check "the site keeps its CHILD SA" test "$(ss_child_spis "$S1" site c)" = "$SPIS"
check "the site's libipsec saw no replayed sequence number" test "$(ss_esp_replay_failures "$S1")" = 0
check "and no ICV failure" test "$(ss_esp_auth_failures "$S1")" = 0

# Failback: node 1 comes back, joins as standby (its preempt-delay holds it back), gets the
# taken-over SA from node 2's full dump, then preempts and takes it over in turn.
nx a ping -i 0.01 -w 22 -W 1 10.2.0.2 >"$WORK/ping2.txt" 2>&1 &
PING_PID=$!
node_start 1 || { fail "node 1 restarts"; exit 1; }
check "node 1 rejoins as standby" wait_for 5 field_is n1 role standby
check "node 1 gets the CHILD SA from node 2 (inactive)" wait_for 9 field_is n1 inactiveSAs 1
check "node 1 preempts and takes the CHILD SA back" wait_for 20 field_is n1 takenOverSAs 1
wait "$PING_PID"; PING_PID=
SENT=$(awk '/packets transmitted/ { print $1 }' "$WORK/ping2.txt")
LAST=$(grep -o 'icmp_seq=[0-9]*' "$WORK/ping2.txt" | tail -n 1 | cut -d= -f2)
LOST=$(( ${SENT:-0} - $(grep -c 'bytes from' "$WORK/ping2.txt") ))
log "ping: sent ${SENT:-?}, last reply icmp_seq ${LAST:-none}, lost $LOST"
check "the ping carries on through node 1 again" test "${LAST:-0}" -ge $(( ${SENT:-0} - 100 ))
check "failback: no new IKE_SA_INIT from the site" test "$(ss_counter "$S1" init-out-req)" = "$INITS"
check "failback: the same CHILD SA" test "$(ss_child_spis "$S1" site c)" = "$SPIS"
check "failback: no replayed sequence number at the site" test "$(ss_esp_replay_failures "$S1")" = 0
check "node 1's IKE engine has the IKE SA again" test "$(ike_sas n1)" = 1
# The IKE SA is alive on node 1: the site's Delete is answered there (no retransmits).
check "the site's Delete is answered by node 1" ss_terminate "$S1" site 8
check "and node 1 dropped the SA" wait_for 5 ike_sas_are n1 0
log "took $((SECONDS - T0)) s"
lab_summary
