#!/usr/bin/env bash
# VRRP tracking lab: a pulled WAN link moves the whole group (WAN and LAN virtual addresses)
# from straitd to keepalived, and back (preempt) when the link returns.
#
#   straitd (${LAB}gw)  gw-wan [wan01 192.0.2.1]  -- s-gw  bridge br0 (WAN) in ${LAB}s
#                       gw-lan [lan01 10.1.0.1]   -- s-gl  bridge br1 (LAN)
#   keepalived (${LAB}k) k0 192.0.2.2 (br0), k1 10.1.0.2 (br1), vrrp_sync_group of both
#   group vpnc: wan (VRID 10, 192.0.2.100/24), lan (VRID 20, 10.1.0.100/24), 100 ms adverts;
#   straitd 200 with `track: { ports: [wan01] }` on wan, keepalived 100.
#
#  a. straitd holds both addresses, keepalived is Backup on both.
#  b. `ip link set s-gw down` (the bridge side: gw-wan loses its carrier): straitd's wan goes
#     Fault, its lan follows (the whole group in Fault), keepalived holds BOTH addresses within
#     master-down (361 ms) + the 100 ms sample + margin; show vrrp says why. Without tracking
#     the LAN address would stay on straitd while the WAN one moves (TRACK=0 shows that).
#  c. The link returns: straitd preempts both back.
#  d. straitd again, polling busy; its fast-path worker is stopped for 3 s (ptrace: that one thread, the rest of straitd
#     runs on): its loop counter stands still, straitd's group goes to Fault within
#     worker-stuck-after (500 ms) + a sample and gives both addresses up, even while a route
#     change waits for that worker; when the worker runs again the group comes back.
#  e. keepalived gone, straitd restarted with startup-delay 5s: still Backup 1 s after it
#     answers although nobody is Master (master-down is 0.33 s), then Master.
#
# Run as root: bash Tests/lab/test-vrrp-track.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vrrp-lab-lib.sh"
set +e
vrrp_lab_require test-vrrp-track.sh

vrrp_segment "gw gw-wan s-gw br0" "gw gw-lan s-gl br1" "k k0 s-k0 br0" "k k1 s-k1 br1" || exit 1
ngw sysctl -qw net.ipv6.conf.gw-wan.disable_ipv6=1
ngw sysctl -qw net.ipv6.conf.gw-lan.disable_ipv6=1
nk ip addr add 192.0.2.2/24 dev k0
nk ip addr add 10.1.0.2/24 dev k1

TRACK_LINE="track: { ports: [wan01], fast-path: fault }"
[ "${TRACK:-1}" = 0 ] && TRACK_LINE="track: { ports: [] }"   # TRACK=0: nothing tracked, to see the checks fail
gw_config() {
cat >"$WORK/gw.yaml" <<CONF
fast-path: { instance: vrrpt$$, core-mask: "1", control-core: 0, nb-mbuf: 8192, hugepages: false, memory-mb: 512, poll-mode: $1 }
control: { socket: $SOCK, log-level: info }
ports:
  - { name: wan01, device: "net_af_packet0,iface=gw-wan", addresses: [192.0.2.1/24] }
  - { name: lan01, device: "net_af_packet1,iface=gw-lan", addresses: [10.1.0.1/24] }
vrrp:
  track-interval: 100ms
  startup-delay: ${2:-0s}
  instances:
    - { name: wan, interface: wan01, vrid: 10, priority: 200, advert-interval: 100ms, virtual-addresses: [192.0.2.100/24],
        $TRACK_LINE }
    - { name: lan, interface: lan01, vrid: 20, priority: 200, advert-interval: 100ms, virtual-addresses: [10.1.0.100/24] }
  groups:
    - { name: vpnc, instances: [wan, lan] }
CONF
}
gw_config adaptive
cat >"$WORK/ka.conf" <<CONF
global_defs {
  router_id K
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_sync_group G {
  group {
    WAN
    LAN
  }
}
vrrp_instance WAN {
  state BACKUP
  interface k0
  virtual_router_id 10
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
vrrp_instance LAN {
  state BACKUP
  interface k1
  virtual_router_id 20
  priority 100
  advert_int 0.1
  virtual_ipaddress {
    10.1.0.100/24
  }
}
CONF

# An instance's field from `show vrrp --json` (by name; dotted keys).
vrrp_field() {
	ctl --json show vrrp 2>/dev/null | /usr/bin/python3 -c '
import json, sys
v = [i for i in json.load(sys.stdin)["instances"] if i["name"] == sys.argv[1]][0]
for k in sys.argv[2].split("."):
    v = v.get(k, "") if isinstance(v, dict) else ""
print(" ".join(v) if isinstance(v, list) else v)' "$1" "$2"
}
ka_has() { nk ip -4 addr show | grep -q "$1/"; }
gw_has() { ngw ip -4 addr show | grep -q "$1/"; }
ka_has_both() { ka_has 192.0.2.100 && ka_has 10.1.0.100; }
gw_has_both() { gw_has 192.0.2.100 && gw_has 10.1.0.100 && ! ka_has 192.0.2.100 && ! ka_has 10.1.0.100; }

ip netns exec "${LAB}k" keepalived -n -l -D --vrrp -f "$WORK/ka.conf" -p "$WORK/ka.pid" -r "$WORK/ka.vrrp.pid" >"$WORK/ka.log" 2>&1 &
KA_PID=$!
for _ in $(seq 50); do [ -s "$WORK/ka.vrrp.pid" ] && break; sleep 0.1; done
KA_CHILD=$(cat "$WORK/ka.vrrp.pid" 2>/dev/null)
gw_start() {
	ip netns exec "${LAB}gw" "$BIN/straitd" --config "$WORK/gw.yaml" >>"$WORK/straitd.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 150); do ctl show version >/dev/null 2>&1 && break; kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.2; done
	ctl show version >/dev/null 2>&1 || { fail "straitd starts with vrrp tracking"; lab_summary; exit 1; }
}
gw_start

log "a: straitd 200 (wan tracks wan01), keepalived 100"
wait_for 8 gw_has_both >/dev/null
check "a: straitd holds both virtual addresses" gw_has_both
check "a: straitd's group is master" test "$(vrrp_field wan state)/$(vrrp_field lan state)" = master/master
check "a: keepalived holds neither" bash -c "! nk ip -4 addr show | grep -qE '192.0.2.100/|10.1.0.100/'"

log "b: the WAN link is pulled (s-gw down)"
ns_ ip link set s-gw down
took=$(wait_for 4 ka_has_both)
# master-down at 100 ms for priority 100 is 361 ms; + one 100 ms sample; + polling margin.
check "b: keepalived holds both addresses (${took:-never} ms, bound 800)" test -n "$took" -a "${took:-9999}" -le 800
check "b: straitd's wan is in fault ($(vrrp_field wan state))" test "$(vrrp_field wan state)" = fault
check "b: straitd's lan followed into fault ($(vrrp_field lan state))" test "$(vrrp_field lan state)" = fault
check "b: the LAN address left straitd's lan01" bash -c "! ngw ip -4 addr show dev lan01 | grep -q 10.1.0.100/"
check "b: show vrrp says why ($(vrrp_field wan tracking))" test "$(vrrp_field wan tracking)" = "port wan01 down"
check "b: straitd logged the tracking change" grep -q "vrrp wan: tracking: port wan01 down (fault)" "$WORK/straitd.log"
sleep 1
check "b: it stays that way while the link is down" bash -c "$(declare -f ka_has ka_has_both nk); ka_has_both"

log "c: the link returns"
ns_ ip link set s-gw up
took=$(wait_for 6 gw_has_both)
check "c: straitd takes both addresses back (${took:-never} ms)" test -n "$took"
check "c: straitd's group is master again" test "$(vrrp_field wan state)/$(vrrp_field lan state)" = master/master
check "c: tracking is clear" test -z "$(vrrp_field wan tracking)"

log "d: the fast-path worker is stopped for 3 s"
# A busy-polling worker stays online for RCU, as a worker stuck in a loop would (an idle
# adaptive one is often caught asleep, offline, and holds nothing up).
kill -TERM "$GW_PID"; for _ in $(seq 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$GW_PID" 2>/dev/null
gw_config busy
gw_start
wait_for 8 gw_has_both >/dev/null
worker=
for t in /proc/"$GW_PID"/task/*; do
	case "$(cat "$t/comm" 2>/dev/null)" in *worker*) worker=${t##*/}; break ;; esac
done
check "d: straitd has a worker thread (${worker:-none}: $(cat /proc/"$GW_PID"/task/*/comm 2>/dev/null | tr '\n' ' '))" test -n "$worker"
# A route whose next hop only it uses: deleting it waits for the workers (RCU) with the
# fast path's control lock held, which a stuck worker drags out until it runs again.
ngw ip route add 10.99.0.0/24 via 192.0.2.99 dev wan01
# PTRACE_SEIZE + PTRACE_INTERRUPT stop that one thread (SIGSTOP would stop them all).
timeout 10 /usr/bin/python3 - "$worker" 3 "$WORK/stopped" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
tid, secs = int(sys.argv[1]), float(sys.argv[2])
if libc.ptrace(0x4206, tid, None, None) != 0:      # PTRACE_SEIZE
    sys.exit("ptrace seize: errno %d" % ctypes.get_errno())
libc.ptrace(0x4207, tid, None, None)               # PTRACE_INTERRUPT
os.waitpid(tid, 0x40000000)                        # __WALL
open(sys.argv[3], "w").close()                     # the clock starts now
time.sleep(secs)
libc.ptrace(17, tid, None, None)                   # PTRACE_DETACH
PY
STOPPER=$!
# One status round gives both the state and why (rounds are slow while a worker busy-polls).
wan_fault() {
	ctl --json show vrrp 2>/dev/null | /usr/bin/python3 -c '
import json, sys
w = [i for i in json.load(sys.stdin)["instances"] if i["name"] == "wan"][0]
print(" ".join(w.get("tracking") or []))
sys.exit(0 if w["state"] == "fault" else 1)' >"$WORK/why"
}
wait_for 3 test -e "$WORK/stopped" >/dev/null
ngw ip route del 10.99.0.0/24
took=$(wait_for 3 wan_fault)
# worker-stuck-after 500 ms + up to one 100 ms sample + status rounds (~0.3 s each here,
# with the worker polling busy on a small machine).
check "d: straitd's wan goes to fault (${took:-never} ms after the worker stopped, bound 1500)" test -n "$took" -a "${took:-9999}" -le 1500
check "d: show vrrp says why ($(cat "$WORK/why"))" test "$(cat "$WORK/why")" = "fast-path worker 0 stuck"
check "d: the LAN address left straitd's lan01" bash -c "! ngw ip -4 addr show dev lan01 | grep -q 10.1.0.100/"
wait "$STOPPER" 2>/dev/null
took=$(wait_for 6 gw_has_both)
check "d: with the worker running again straitd takes both addresses back (${took:-never} ms)" test -n "$took"
check "d: tracking is clear" test -z "$(vrrp_field wan tracking)"

log "e: alone on the segment with startup-delay 5s"
kill -TERM "$GW_PID"; for _ in $(seq 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$GW_PID" 2>/dev/null
kill -TERM "$KA_PID"; for _ in $(seq 50); do kill -0 "$KA_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$KA_PID" "$KA_CHILD" 2>/dev/null; wait "$KA_PID" 2>/dev/null; KA_PID= KA_CHILD=
gw_config adaptive "${STARTUP_DELAY:-5s}"   # STARTUP_DELAY=0s: to see e fail
gw_start
# The VRRP service starts just before the control socket answers.
sleep 1
check "e: still Backup 1 s after start (master-down is 0.33 s)" test "$(vrrp_field wan state)/$(vrrp_field lan state)" = backup/backup
took=$(wait_for 6 gw_has_both)
check "e: Master at the end of the delay (${took:-never} ms later)" test -n "$took"

log "done in $((SECONDS - T0)) s"
lab_summary
