#!/usr/bin/env bash
# VRRP interop lab, the modes test-vrrp.sh does not cover: IPv4 over unicast peers and IPv6
# (link-local sources, ff02::12, unsolicited NA), straitd against keepalived in both roles.
#
#   straitd (${LAB}gw)   gw-wan [wan01 192.0.2.1, fe80::... on the mirror] -- s-gw \
#   keepalived (${LAB}k)  k0 192.0.2.2                                       -- s-k   bridge br0 in ${LAB}s
#   host (${LAB}h)        h0 192.0.2.10, fd00:2::10/64                       -- s-h  /
#   wan4: VRID 10, 192.0.2.100/24, unicast peers (straitd -> 192.0.2.2, keepalived -> 192.0.2.1)
#   wan6: VRID 11, fd00:2::100/64, multicast; 100 ms adverts for both
#
#  a. keepalived 200, straitd 100: straitd Backup on both, naming keepalived's addresses (its
#     link-local one for IPv6); keepalived SIGKILLed -> straitd Master on both, the host's
#     neighbour entry for the IPv6 address moves to straitd's MAC (unsolicited NA) and the
#     host pings both addresses through straitd.
#  b. straitd 200, keepalived 100: straitd Master on both, keepalived BACKUP on both; straitd
#     SIGKILLed -> keepalived takes both addresses.
#  c. A unicast advertisement from a host that is not a peer is dropped (unknown-peer).
#  In a, the host also sends to both addresses at straitd's MAC while straitd is Backup: the
#  fast path drops them as vrrp-backup (before: IPv4 went back out to the Master, IPv6 no-route).
#
# keepalived 2.2 has no switch for an IPv4 checksum without the pseudo-header (its
# old_unicast_checksum keeps the pseudo-header, with 224.0.0.18 as destination): `checksum:
# v2-compatible` is checked against scapy-built packets in the unit tests, not here.
#
# Run as root: bash Tests/lab/test-vrrp-interop.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vrrp-lab-lib.sh"
set +e
vrrp_lab_require test-vrrp-interop.sh

vrrp_segment "gw gw-wan s-gw br0" "k k0 s-k br0" "h h0 s-h br0" || exit 1
ngw sysctl -qw net.ipv6.conf.gw-wan.disable_ipv6=1
nk ip addr add 192.0.2.2/24 dev k0
nh ip addr add 192.0.2.10/24 dev h0
nh ip addr add fd00:2::10/64 dev h0 nodad

gw_start() {
	cat >"$WORK/gw.yaml" <<CONF
fast-path: { instance: vrrpi$$, core-mask: "1", control-core: 0, nb-mbuf: 8192, hugepages: false, memory-mb: 512, poll-mode: adaptive }
control: { socket: $SOCK, log-level: info }
ports:
  - { name: wan01, device: "net_af_packet0,iface=gw-wan", addresses: [192.0.2.1/24] }
vrrp:
  instances:
    - { name: wan4, interface: wan01, vrid: 10, priority: $1, advert-interval: 100ms, virtual-addresses: [192.0.2.100/24],
        unicast-peers: [192.0.2.2] }
    - { name: wan6, interface: wan01, vrid: 11, priority: $1, advert-interval: 100ms, virtual-addresses: ["fd00:2::100/64"] }
CONF
	ip netns exec "${LAB}gw" "$BIN/straitd" --config "$WORK/gw.yaml" >>"$WORK/straitd.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 150); do
		ctl show version >/dev/null 2>&1 && return 0
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.2
	done
	log "straitd did not come up"; return 1
}
gw_kill() { kill -KILL "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; GW_PID=; }

ka_start() {
	cat >"$WORK/ka.conf" <<CONF
global_defs {
  router_id K
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance V4 {
  state BACKUP
  interface k0
  virtual_router_id 10
  priority $1
  advert_int 0.1
  unicast_src_ip 192.0.2.2
  unicast_peer {
    192.0.2.1
  }
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance V6 {
  state BACKUP
  interface k0
  virtual_router_id 11
  priority $1
  advert_int 0.1
  virtual_ipaddress {
    fd00:2::100/64
  }
}
CONF
	rm -f "$WORK/ka.vrrp.pid"
	ip netns exec "${LAB}k" keepalived -n -l -D --vrrp -f "$WORK/ka.conf" -p "$WORK/ka.pid" -r "$WORK/ka.vrrp.pid" >"$WORK/ka.log" 2>&1 &
	KA_PID=$!
	for _ in $(seq 50); do [ -s "$WORK/ka.vrrp.pid" ] && break; sleep 0.1; done
	KA_CHILD=$(cat "$WORK/ka.vrrp.pid" 2>/dev/null)
}

vrrp_field() {
	ctl --json show vrrp 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = [i for i in json.load(sys.stdin)["instances"] if i["name"] == sys.argv[1]][0]
for k in sys.argv[2].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v if v is not None else "")' "$1" "$2"
}
both_are() { [ "$(vrrp_field wan4 state)/$(vrrp_field wan6 state)" = "$1/$1" ]; }
ka_has_both() { nk ip addr show dev k0 | grep -q 192.0.2.100/ && nk ip addr show dev k0 | grep -q fd00:2::100/; }
gw_has_both() { ngw ip addr show dev wan01 | grep -q 192.0.2.100/ && ngw ip addr show dev wan01 | grep -q fd00:2::100/; }
ka_ll=
ka_link_local() { ka_ll=$(nk ip -6 addr show dev k0 scope link | awk '/inet6/ { sub("/.*", "", $2); print $2; exit }'); [ -n "$ka_ll" ]; }
host_neigh_mac() { nh ip -6 neigh show fd00:2::100 dev h0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }

# --- a
log "a: keepalived 200, straitd 100 (IPv4 unicast peers, IPv6 multicast)"
ka_start 200
wait_for 10 ka_has_both >/dev/null
check "a: keepalived holds both addresses" ka_has_both
wait_for 5 ka_link_local >/dev/null
gw_start 100 || { fail "straitd starts"; lab_summary; exit 1; }
wait_for 5 both_are backup >/dev/null
sleep 1
check "a: straitd is Backup on both" both_are backup
check "a: wan4 hears keepalived's unicast adverts ($(vrrp_field wan4 counters.adverts-received))" test "$(vrrp_field wan4 counters.adverts-received)" -gt 5
check "a: wan4 names keepalived as the Master" test "$(vrrp_field wan4 masterAddress)" = 192.0.2.2
check "a: wan6 names keepalived's link-local address ($ka_ll) as the Master" test "$(vrrp_field wan6 masterAddress)" = "$ka_ll"
check "a: straitd's wan6 source is the mirror's link-local address" bash -c "[[ '$(vrrp_field wan6 primaryAddress)' == fe80:* ]]"
check "a: keepalived stays Master on both" bash -c "! grep -aq 'Entering BACKUP' '$WORK/ka.log' || [ \$(grep -ac 'Entering MASTER' '$WORK/ka.log') -ge 2 ]"
# Traffic for the virtual addresses sent to the Backup's MAC (a stale neighbour entry) is
# dropped and counted there, not sent back out to the Master (v4) or lost as no-route (v6).
gw_mac=$(ngw cat /sys/class/net/wan01/address)
fwd0=$(counter ipv4-forwarded) bk0=$(counter vrrp-backup)
nh ip neigh replace 192.0.2.100 lladdr "$gw_mac" dev h0 nud permanent
nh ip -6 neigh replace fd00:2::100 lladdr "$gw_mac" dev h0 nud permanent
nh ping -c 4 -i 0.1 -W 1 192.0.2.100 >/dev/null 2>&1
nh ping -6 -c 4 -i 0.1 -W 1 fd00:2::100 >/dev/null 2>&1
check "a: the Backup drops traffic for both addresses as vrrp-backup ($(( $(counter vrrp-backup) - bk0 )) of 8)" \
	test $(( $(counter vrrp-backup) - bk0 )) -ge 8
check "a: ... and forwards none of it back out ($(( $(counter ipv4-forwarded) - fwd0 )))" test "$(counter ipv4-forwarded)" -eq "$fwd0"
nh ip neigh del 192.0.2.100 dev h0
nh ip -6 neigh del fd00:2::100 dev h0
nh ping -6 -c 1 -W 1 fd00:2::100 >/dev/null 2>&1   # the host learns keepalived's MAC for the address
ka_mac=$(nk cat /sys/class/net/k0/address)
check "a: the host reaches the IPv6 address at keepalived ($(host_neigh_mac))" test "$(host_neigh_mac)" = "$ka_mac"
ka_kill
took=$(wait_for 3 both_are master)
check "a: straitd Master on both after keepalived is killed (${took:-never} ms, bound 1000)" test -n "$took" -a "${took:-9999}" -le 1000
sleep 0.3
check "a: the unsolicited NA moved the host's entry to straitd ($(host_neigh_mac), want $gw_mac)" test "$(host_neigh_mac)" = "$gw_mac"
check "a: the host pings the IPv6 address through straitd" nh ping -6 -c 2 -i 0.2 -W 1 fd00:2::100
check "a: the host pings the IPv4 address through straitd" nh ping -c 2 -i 0.2 -W 1 192.0.2.100
gw_kill

# --- b
log "b: straitd 200, keepalived 100"
gw_start 200 || { fail "straitd starts again"; lab_summary; exit 1; }
wait_for 5 both_are master >/dev/null
ka_start 100
wait_for 5 bash -c "[ \$(grep -ac 'Entering BACKUP STATE' '$WORK/ka.log') -ge 2 ]" >/dev/null
sleep 1
check "b: straitd is Master on both" both_are master
check "b: keepalived logs BACKUP for both" test "$(grep -ac 'Entering BACKUP STATE' "$WORK/ka.log")" -ge 2
check "b: keepalived never became Master" bash -c "! grep -aq 'Entering MASTER STATE' '$WORK/ka.log'"
check "b: keepalived heard straitd's unicast adverts (no checksum or TTL complaints)" bash -c "! grep -aiE 'checksum|ttl' '$WORK/ka.log'"

# --- c: while straitd is Master, a stranger's unicast advertisement at priority 254
log "c: an advertisement from a host that is not a peer"
nh /usr/bin/python3 - <<'PY' 2>"$WORK/scapy.log"
from scapy.all import IP, Raw, send
import struct
body = bytes([0x31, 10, 254, 1, 0, 10, 0, 0]) + bytes([192, 0, 2, 100])
ph = bytes([192, 0, 2, 10, 192, 0, 2, 1, 0, 112, 0, len(body)])
data = ph + body
s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while s >> 16: s = (s & 0xffff) + (s >> 16)
pkt = body[:6] + struct.pack("!H", (~s) & 0xffff) + body[8:]
for _ in range(5):
    send(IP(src="192.0.2.10", dst="192.0.2.1", ttl=255, proto=112) / Raw(pkt), verbose=0)
PY
sleep 0.3
check "c: dropped as unknown-peer ($(vrrp_field wan4 drops.unknown-peer))" test "$(vrrp_field wan4 drops.unknown-peer)" -ge 5
check "c: straitd is still Master on both" both_are master

gw_kill
took=$(wait_for 3 ka_has_both)
check "b: keepalived takes both addresses after straitd is SIGKILLed (${took:-never} ms)" test -n "$took"

log "done in $((SECONDS - T0)) s"
lab_summary
