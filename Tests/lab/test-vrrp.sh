#!/usr/bin/env bash
# VRRP lab: straitd's VRRPv3 against keepalived on one segment (100 ms adverts).
#
#   straitd (${LAB}gw)  gw-wan [wan01 192.0.2.1]  -- s-gw \
#   keepalived (${LAB}k)  k0 192.0.2.2            -- s-k   bridge br0 in ${LAB}s
#   host (${LAB}h)        h0 192.0.2.10           -- s-h  /
#   virtual address 192.0.2.100/24, VRID 10
#
#  a. keepalived 200, straitd 100: keepalived Master, straitd Backup (show vrrp names
#     keepalived's address); keepalived SIGKILLed -> straitd Master within master-down
#     (3 x 100 ms + skew) + margin, and the host pings the virtual address through straitd.
#  b. straitd 200, keepalived 100: straitd Master, keepalived logs BACKUP. straitd SIGKILLed
#     -> keepalived Master. straitd again, then SIGTERM: it sends priority 0 and keepalived
#     takes over within its skew time (well under master-down).
#  c. Advertisements with TTL 64 and with a bad checksum (scapy, from the host) claiming
#     priority 254 are counted by reason and change nothing.
#
# Run as root: bash Tests/lab/test-vrrp.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vrrp-lab-lib.sh"
set +e
vrrp_lab_require test-vrrp.sh
KA_RUN=0

vrrp_segment "gw gw-wan s-gw br0" "k k0 s-k br0" "h h0 s-h br0" || exit 1
ngw sysctl -qw net.ipv6.conf.gw-wan.disable_ipv6=1
nk ip addr add 192.0.2.2/24 dev k0
nh ip addr add 192.0.2.10/24 dev h0

# straitd's config: one af_packet port, one VRRP instance of priority $1.
gw_config() {
	cat >"$WORK/gw.yaml" <<CONF
fast-path: { instance: vrrp$$, core-mask: "1", control-core: 0, nb-mbuf: 8192, hugepages: false, memory-mb: 512, poll-mode: adaptive }
control: { socket: $SOCK, log-level: info }
ports:
  - name: wan01
    device: net_af_packet0,iface=gw-wan
    addresses: [192.0.2.1/24]
vrrp:
  instances:
    - name: wan
      interface: wan01
      vrid: 10
      priority: $1
      advert-interval: 100ms
      virtual-addresses: [192.0.2.100/24]
CONF
}

gw_start() {
	ip netns exec "${LAB}gw" "$BIN/straitd" --config "$WORK/gw.yaml" >>"$WORK/straitd.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 150); do
		ctl show version >/dev/null 2>&1 && return 0
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.2
	done
	log "straitd did not come up"; return 1
}
# gw_wait_gone: waits (bounded) for straitd's pid to end.
gw_wait_gone() {
	for _ in $(seq 100); do kill -0 "$GW_PID" 2>/dev/null || { wait "$GW_PID" 2>/dev/null; GW_PID=; return 0; }; sleep 0.1; done
	kill -KILL "$GW_PID" 2>/dev/null; GW_PID=; return 1
}

ka_start() {
	cat >"$WORK/ka.conf" <<CONF
global_defs {
  router_id K
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance VI_1 {
  state BACKUP
  interface k0
  virtual_router_id 10
  priority $1
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
CONF
	# A new log per start (a killed keepalived's log is left as it was).
	KA_RUN=$((KA_RUN + 1))
	ln -sf "ka-$KA_RUN.log" "$WORK/ka.log"
	rm -f "$WORK/ka.pid" "$WORK/ka.vrrp.pid"
	# `ip netns exec` execs keepalived, so $! is keepalived's parent process itself.
	ip netns exec "${LAB}k" keepalived -n -l -D --vrrp -f "$WORK/ka.conf" -p "$WORK/ka.pid" -r "$WORK/ka.vrrp.pid" \
		>"$WORK/ka-$KA_RUN.log" 2>&1 &
	KA_PID=$!
	for _ in $(seq 50); do [ -s "$WORK/ka.vrrp.pid" ] && break; sleep 0.1; done
	KA_CHILD=$(cat "$WORK/ka.vrrp.pid" 2>/dev/null)
}

# A field of `show vrrp --json`'s first instance (dotted: drops.bad-ttl).
vrrp_field() {
	ctl --json show vrrp 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)["instances"][0]
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v if v is not None else "")' "$1"
}
gw_state_is() { [ "$(vrrp_field state)" = "$1" ]; }
ka_has_vip() { nk ip -4 addr show dev k0 | grep -q 192.0.2.100/; }
gw_has_vip() { ngw ip -4 addr show dev wan01 | grep -q 192.0.2.100/; }
ka_logged() { grep -aq "$1" "$WORK/ka.log"; }

# --- a: keepalived 200, straitd 100
log "a: keepalived priority 200, straitd 100"
ka_start 200
wait_for 10 ka_logged "Entering MASTER STATE" >/dev/null
check "a: keepalived becomes Master" ka_logged "Entering MASTER STATE"
gw_config 100
gw_start || { fail "straitd starts with a vrrp section"; lab_summary; exit 1; }
wait_for 5 gw_state_is backup >/dev/null
check "a: straitd is Backup" gw_state_is backup
sleep 1
check "a: show vrrp names keepalived's address as the Master" test "$(vrrp_field masterAddress)" = 192.0.2.2
check "a: straitd hears keepalived's advertisements (checksum and TTL accepted)" test "$(vrrp_field counters.adverts-received)" -gt 5
check "a: keepalived stays Master (straitd did not preempt)" test "$(grep -ao 'Entering [A-Z]* STATE' "$WORK/ka.log" | tail -1)" = "Entering MASTER STATE"
check "a: straitd does not hold the virtual address" bash -c "! ngw ip -4 addr show dev wan01 | grep -q 192.0.2.100/"
ctl show vrrp >"$WORK/show-a.txt" 2>&1
check "a: show vrrp's table shows backup" grep -q "backup" "$WORK/show-a.txt"
ka_kill
# master-down for priority 100 at 100 ms: 300 + 60 ms; the margin covers polling and the host.
took=$(wait_for 3 gw_state_is master)
check "a: straitd Master after keepalived is killed (${took:-never} ms, bound 1000)" test -n "$took" -a "${took:-9999}" -le 1000
check "a: the virtual address is on straitd's mirror" gw_has_vip
check "a: the host pings the virtual address through straitd" nh ping -c 3 -i 0.2 -W 1 192.0.2.100
kill -TERM "$GW_PID" 2>/dev/null; gw_wait_gone

# --- b: straitd 200, keepalived 100
log "b: straitd priority 200, keepalived 100"
gw_config 200
gw_start || { fail "straitd starts again"; lab_summary; exit 1; }
wait_for 5 gw_state_is master >/dev/null
ka_start 100
wait_for 5 ka_logged "Entering BACKUP STATE" >/dev/null
sleep 1
check "b: straitd is Master" gw_state_is master
check "b: keepalived logs BACKUP" ka_logged "Entering BACKUP STATE"
check "b: keepalived never became Master" bash -c "! grep -aq 'Entering MASTER STATE' '$WORK/ka.log'"
check "b: keepalived does not hold the virtual address" bash -c "! nk ip -4 addr show dev k0 | grep -q 192.0.2.100/"
kill -KILL "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=
took=$(wait_for 3 ka_has_vip)
check "b: keepalived takes over after straitd is SIGKILLed (${took:-never} ms)" test -n "$took"
# straitd back (preempts: priority 200), then a graceful stop.
gw_start || { fail "straitd starts a third time"; lab_summary; exit 1; }
wait_for 5 gw_state_is master >/dev/null
wait_for 3 bash -c "! nk ip -4 addr show dev k0 | grep -q 192.0.2.100/" >/dev/null
check "b: straitd back at 200 preempts keepalived" gw_state_is master
sleep 0.5
start=$(date +%s%3N)
kill -TERM "$GW_PID"
took=$(wait_for 3 ka_has_vip)
# With priority 0 keepalived waits only its skew ((256-100)/256 x 100 ms ~ 61 ms), not master-down (361 ms).
check "b: after SIGTERM keepalived takes over quickly (${took:-never} ms, bound 300)" test -n "$took" -a "${took:-9999}" -le 300
gw_wait_gone
check "b: straitd logged the priority-0 handover" grep -q "vrrp wan: master -> initialize" "$WORK/straitd.log"
ka_stop

# --- c: bad advertisements from the host are counted and ignored
log "c: malformed advertisements"
gw_config 200
gw_start || { fail "straitd starts a fourth time"; lab_summary; exit 1; }
wait_for 5 gw_state_is master >/dev/null
nh /usr/bin/python3 - <<'PY' 2>"$WORK/scapy.log"
from scapy.all import Ether, IP, Raw, sendp, get_if_hwaddr
import struct
def adv(src, dst, prio, good=True):
    body = bytes([0x31, 10, prio, 1, 0, 10, 0, 0]) + bytes([192, 0, 2, 100])
    ph = bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))) + bytes([0, 112, 0, len(body)])
    data = ph + body
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    c = (~s) & 0xffff
    if not good: c ^= 0x5555
    return body[:6] + struct.pack("!H", c) + body[8:]
for _ in range(5):
    # Layer 2, out of h0 with its MAC: the host has no route to the group.
    for ttl, good in ((64, True), (255, False)):
        sendp(Ether(src=get_if_hwaddr("h0"), dst="01:00:5e:00:00:12") / IP(src="192.0.2.10", dst="224.0.0.18", ttl=ttl, proto=112)
              / Raw(adv("192.0.2.10", "224.0.0.18", 254, good)), iface="h0", verbose=0)
PY
sleep 0.5
check "c: TTL 64 advertisements are counted (bad-ttl=$(vrrp_field drops.bad-ttl))" test "$(vrrp_field drops.bad-ttl)" -ge 5
check "c: bad checksums are counted (bad-checksum=$(vrrp_field drops.bad-checksum))" test "$(vrrp_field drops.bad-checksum)" -ge 5
check "c: straitd is still Master (priority 254 from bad packets ignored)" gw_state_is master
check "c: nothing was accepted from the host" test "$(vrrp_field counters.adverts-received)" -eq 0
ctl show vrrp >"$WORK/show-c.txt" 2>&1
check "c: show vrrp lists the drops" grep -q "dropped bad-ttl" "$WORK/show-c.txt"
kill -TERM "$GW_PID" 2>/dev/null; gw_wait_gone

log "done in $((SECONDS - T0)) s"
lab_summary
