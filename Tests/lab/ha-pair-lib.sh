# The active/standby pair lab, shared by the test-ha*.sh labs (source it after lib.sh and
# strongswan-lib.sh): namespaces, the two straitd configs, starting nodes, `ha status` fields.
#
#   host A (${LAB}a) a0 10.1.0.2 -- [LAN bridge ${LAB}l] -- n1-lan [lan01 10.1.0.11] node 1 (${LAB}n1)
#                                                      \-- n2-lan [lan01 10.1.0.12] node 2 (${LAB}n2)
#   node 1 wan01 192.0.2.11 n1-wan -- [WAN bridge ${LAB}w] -- n2-wan 192.0.2.12 node 2
#                                            \-- gb-wan 192.0.2.2 site (${LAB}gb) gb-lan 10.2.0.1 -- b0 10.2.0.2 host B
#   node 1 sync01 192.168.255.1 n1-sync ---- n2-sync 192.168.255.2 sync01 node 2
#   virtual addresses 192.0.2.1 (WAN, VRID 51) and 10.1.0.1 (LAN, VRID 52), group vpnc.
#
# Sourcing it sets the EXIT trap to ha_cleanup (nodes, sites, namespaces); call `topology` first.

T0=$SECONDS
S1=$WORK/site1
# Optional (the defaults are test-ha.sh's pair): the VPN's remote-ts on the nodes (more
# sites: 10.2.0.0/15 covers site 2's 10.3.0.0/24), extra keys for both vrrp instances
# (e.g. ", track: { ports: [wan01] }"), the oseq-shift.
HA_REMOTE_TS=${HA_REMOTE_TS:-10.2.0.0/24}
HA_VRRP_OPTS=${HA_VRRP_OPTS:-}
HA_OSEQ_SHIFT=${HA_OSEQ_SHIFT:-4096}
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
        - { name: lan, local-ts: [10.1.0.0/24], remote-ts: [$HA_REMOTE_TS] }
vrrp:
  instances:
    - { name: wan, interface: wan01, vrid: 51, priority: $prio, advert-interval: 100ms, preempt-delay: 10s, virtual-addresses: [192.0.2.1/24]$HA_VRRP_OPTS }
    - { name: lan, interface: lan01, vrid: 52, priority: $prio, advert-interval: 100ms, preempt-delay: 10s, virtual-addresses: [10.1.0.1/24]$HA_VRRP_OPTS }
  groups:
    - { name: vpnc, instances: [wan, lan] }
ha:
  node-id: $n
  listen-vrrp-group: vpnc
  sync: { interface: sync01, local-address: 192.168.255.$n, remote-address: 192.168.255.$peer }
  key: 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
  seqnum-sync: { oseq-shift: $HA_OSEQ_SHIFT, sync-period-time: 200ms, sync-period-packets: 1000 }
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


# site_topology X N (optional, after topology): one more strongSwan site namespace ${LAB}gX,
# WAN gX-wan 192.0.2.N on the WAN bridge, LAN gX-lan 10.N.0.1/24, and host ${LAB}X (X0
# 10.N.0.2) behind it. Site 1 is topology's gb/b (N = 2).
site_topology() {
	local x=$1 n=$2
	NSS+=("g$x" "$x")
	ip netns add "${LAB}g$x" && ip netns add "$LAB$x" || return 1
	nx "g$x" ip link set lo up; nx "$x" ip link set lo up
	ip link add "g$x-wan" netns "${LAB}g$x" type veth peer name "w-g$x" netns "${LAB}w" || return 1
	ip link add "g$x-lan" netns "${LAB}g$x" type veth peer name "${x}0" netns "$LAB$x" || return 1
	quiet w "w-g$x"; nx w ip link set "w-g$x" master br0 up
	quiet "g$x" "g$x-wan"; quiet "g$x" "g$x-lan"; quiet "$x" "${x}0"
	nx "g$x" ip addr add "192.0.2.$n/24" dev "g$x-wan"; nx "g$x" ip link set "g$x-wan" up
	nx "g$x" ip addr add "10.$n.0.1/24" dev "g$x-lan"; nx "g$x" ip link set "g$x-lan" up
	nx "g$x" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	nx "$x" ip addr add "10.$n.0.2/24" dev "${x}0"; nx "$x" ip link set "${x}0" up
	nx "$x" ip route add default via "10.$n.0.1"
}

# site_start DIR X N (optional): strongSwan in ${LAB}gX (192.0.2.N, 10.N.0.0/24 behind it,
# id site<N-1>.strait.test; connection "site", CHILD "c") brings its tunnel up to 192.0.2.1.
site_start() {
	local dir=$1 x=$2 n=$3 id=site$(($3 - 1))
	mkdir -p "$dir"
	ss_write_conf "$dir" log_esp=1
	ss_swanctl_conf "$dir" --local-addrs "192.0.2.$n" --remote-addrs 192.0.2.1 --local-id "$id.strait.test" \
		--remote-id gw.strait.test --psk "$SS_LAB_PSK" --local-ts "10.$n.0.0/24" --remote-ts 10.1.0.0/24
	ss_start "${LAB}g$x" "$dir" && ss_load "$dir" && ss_initiate "$dir" c 30
}

# pair_up: node 1 (active) then node 2 (standby) with the sync link up, as checks; exits the
# lab when a node does not start.
pair_up() {
	node_start 1 || { fail "node 1 starts"; exit 1; }
	check "node 1 is active" wait_for 20 field_is n1 role active
	node_start 2 || { fail "node 2 starts"; exit 1; }
	check "node 2 is standby" wait_for 20 field_is n2 role standby
	check "the sync link is up" wait_for 20 field_is n2 peerConnected True
}

# site1_start: the strongSwan site in ${LAB}gb (10.2.0.0/24 behind it) configured for the
# pair's virtual address and started (ESP logging on, for the replay/ICV counters).
site1_start() {
	mkdir -p "$S1"
	ss_write_conf "$S1" log_esp=1
	ss_swanctl_conf "$S1" --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 --local-id site1.strait.test \
		--remote-id gw.strait.test --psk "$SS_LAB_PSK" --local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24
	ss_start "${LAB}gb" "$S1" && ss_load "$S1"
}
