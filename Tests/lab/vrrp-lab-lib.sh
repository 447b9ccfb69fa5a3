# The straitd-vs-keepalived segment, shared by the test-vrrp*.sh labs (source it after lib.sh):
# the prerequisites, keepalived's stop and kill, the cleanup (set as the EXIT trap) and the
# namespaces: straitd in ${LAB}gw, keepalived in ${LAB}k, a host in ${LAB}h, bridges in ${LAB}s.

# vrrp_lab_require NAME: root, keepalived and the binaries, or exit.
vrrp_lab_require() {
	[ "$(id -u)" -eq 0 ] || { echo "$1 must run as root"; rm -rf "$WORK"; exit 2; }
	command -v keepalived >/dev/null || { echo "keepalived is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
	[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
}

T0=$SECONDS
SOCK=$WORK/gw.sock
GW_PID=
KA_PID=
KA_CHILD=

# Stop keepalived (SIGTERM: it sends priority 0 and removes its addresses), SIGKILL if slow.
ka_stop() {
	kill -TERM "$KA_PID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$KA_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$KA_PID" 2>/dev/null
	[ -n "$KA_CHILD" ] && kill -KILL "$KA_CHILD" 2>/dev/null
	wait "$KA_PID" 2>/dev/null
	KA_PID= KA_CHILD=
}
# Fail the keepalived node: SIGKILL the parent first (it would respawn its VRRP child),
# then the child, which holds the address and sends the advertisements.
ka_kill() {
	kill -KILL "$KA_PID" 2>/dev/null
	[ -n "$KA_CHILD" ] && kill -KILL "$KA_CHILD" 2>/dev/null
	wait "$KA_PID" 2>/dev/null
	KA_PID= KA_CHILD=
}

vrrp_lab_cleanup() {
	local rc=$? ns pid
	[ -n "$KA_PID$KA_CHILD" ] && ka_stop
	[ -n "$GW_PID" ] && kill -KILL "$GW_PID" 2>/dev/null
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "--- last lines of straitd's log"; tail -n 30 "$WORK/straitd.log" 2>/dev/null
		echo "--- last lines of keepalived's log"; tail -n 20 "$WORK/ka.log" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then echo "work folder kept: $WORK"; WORK=/nonexistent-keep; fi
	lab_cleanup
	for ns in k h s; do
		for pid in $(ip netns pids "$LAB$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$LAB$ns" 2>/dev/null
	done
}
trap vrrp_lab_cleanup EXIT
trap "exit 143" TERM INT HUP

# wait_for SECONDS CMD...: polls every 20 ms; prints the milliseconds it took (the labs report
# takeover times with it).
wait_for() {
	local limit=$1 start now; shift
	start=$(date +%s%3N)
	while :; do
		"$@" && { now=$(date +%s%3N); echo $((now - start)); return 0; }
		now=$(date +%s%3N)
		[ $((now - start)) -ge $((limit * 1000)) ] && return 1
		sleep 0.02
	done
}

nk() { ip netns exec "${LAB}k" "$@"; }
nh() { ip netns exec "${LAB}h" "$@"; }
ns_() { ip netns exec "${LAB}s" "$@"; }

# vrrp_segment "NS DEV BRIDGE-PORT BRIDGE"...: the namespaces (gw, k, s, and h if named), the
# bridges in ${LAB}s, and a veth per argument from DEV in NS to BRIDGE-PORT on BRIDGE, up,
# without offloads (af_packet sees frames as the wire would).
vrrp_segment() {
	local ns spec specs=("$@")
	local -A seen=([gw]=1 [k]=1 [s]=1)
	for spec in "${specs[@]}"; do set -- $spec; seen[$1]=1; done
	for ns in "${!seen[@]}"; do ip netns add "$LAB$ns" || return 1; ip netns exec "$LAB$ns" ip link set lo up; done
	for spec in "${specs[@]}"; do
		set -- $spec
		ns_ ip link show "$4" >/dev/null 2>&1 || { ns_ ip link add "$4" type bridge; ns_ ip link set "$4" up; }
		ip link add "$2" netns "$LAB$1" type veth peer name "$3" netns "${LAB}s" || return 1
		ns_ ip link set "$3" master "$4" up
		ip netns exec "$LAB$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
		ip netns exec "$LAB$1" ip link set "$2" up
	done
}
