#!/usr/bin/env bash
# HA lab: graceful failover, resume, and split brain, on the pair of ha-pair-lib.sh (node 1
# priority 200, node 2 100, one strongSwan site, host A pinging host B every 10 ms through the
# tunnel). No node restarts in this lab: a node that leaves Master becomes standby by itself.
#
# 1. `ha failover` on node 1: its last sequence numbers go to node 2, its group resigns
#    (priority 0), node 2 takes over; node 1 releases the IKE SA silently, becomes standby and
#    holds the CHILD SA inactive again from node 2's dump. The site sees no IKE_SA_INIT, the same
#    CHILD SPIs, no replay or ICV failure; few pings are lost.
# 2. `ha resume` on node 1: it preempts and takes the SA back; node 2 becomes standby. Same checks.
# 3. Split brain: VRRP (IP protocol 112) is dropped on both bridges, the sync link stays up;
#    both nodes become Master and both report the split brain. Healed: VRRP converges, node 2
#    demotes, node 1 moves its outbound sequence numbers past node 2's (traffic went through
#    node 2 meanwhile) and announces the addresses: the site sees no replay.
# 4. Split brain that does not heal: after the bound node 2 (lower priority) yields and holds
#    its group out of the election; node 1 carries the traffic, no replay at the site.
#
# Run as root: bash Tests/lab/test-ha-graceful.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
source "$(dirname "$0")/ha-pair-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "test-ha-graceful.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
command -v nft >/dev/null || { echo "nft is missing (the split-brain phase drops VRRP with it)"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
# The whole lab is bounded: a hung step ends it (the EXIT trap cleans up).
( for _ in $(seq 300); do sleep 1; done; echo "test-ha-graceful.sh: over 300 s, giving up"; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!
PIDS+=("$WATCHDOG")

# ping_start FILE SECONDS / ping_lost FILE: a 10 ms ping from host A to host B, and what it lost.
ping_start() { nx a ping -i 0.01 -w "$2" -W 1 10.2.0.2 >"$WORK/$1" 2>&1 & PING_PID=$!; }
ping_lost() {
	local sent
	sent=$(awk '/packets transmitted/ { print $1 }' "$WORK/$1")
	echo $(( ${sent:-0} - $(grep -c 'bytes from' "$WORK/$1") ))
}
ping_wait() { wait "$PING_PID"; PING_PID=; }
site_clean() {
	check "$1: the site sent no new IKE_SA_INIT" test "$(ss_counter "$S1" init-out-req)" = "$INITS"
	check "$1: the site keeps its CHILD SA" test "$(ss_child_spis "$S1" site c)" = "$SPIS"
	check "$1: no replayed sequence number at the site" test "$(ss_esp_replay_failures "$S1")" = 0
	check "$1: no ICV failure at the site" test "$(ss_esp_auth_failures "$S1")" = 0
}
both_split() { field_is n1 splitBrain True && field_is n2 splitBrain True; }
one_active() { field_is n1 role active && field_is n2 role standby; }
vrrp_block() {
	local ns
	for ns in l w; do
		nx "$ns" nft add table bridge hawire && nx "$ns" nft add chain bridge hawire drop112 '{ type filter hook forward priority 0; }' \
			&& nx "$ns" nft add rule bridge hawire drop112 ip protocol 112 drop || return 1
	done
}
vrrp_unblock() { nx l nft delete table bridge hawire; nx w nft delete table bridge hawire; }

topology || { fail "topology"; exit 1; }
node_config 1 200; node_config 2 100
pair_up
N1=$N1_PID N2=$N2_PID

site1_start || { fail "the site's charon starts"; exit 1; }
check "the tunnel comes up through node 1" ss_initiate "$S1" c 30
SPIS=$(ss_child_spis "$S1" site c)
log "site CHILD SA: $SPIS"
check "node 2 holds the CHILD SA inactive" wait_for 10 field_is n2 inactiveSAs 1
check "traffic through node 1" nx a ping -c 3 -W 2 10.2.0.2
INITS=$(ss_counter "$S1" init-out-req)

# --- 1. graceful failover -------------------------------------------------------------------
OUT=$(hactl n2 ha failover 2>&1); RC=$?
check "ha failover on the standby is refused (not-active)" eval '[ $RC -ne 0 ] && grep -q "not-active" <<<"$OUT"'
ping_start ping1.txt 8
sleep 2
hactl n1 ha failover
check "node 2 takes over" wait_for 5 field_is n2 takenOverSAs 1
check "node 2 is active" field_is n2 role active
check "node 1 is standby without a restart" wait_for 5 field_is n1 role standby
check "node 1 is the same process" kill -0 "$N1"
check "node 1 reports resigned" field_is n1 resigned True
check "node 1 holds the CHILD SA inactive again (node 2's dump)" wait_for 5 field_is n1 inactiveSAs 1
check "node 1's IKE engine let the IKE SA go" ike_sas_are n1 0
check "node 2's IKE engine has it" ike_sas_are n2 1
ping_wait
LOST1=$(ping_lost ping1.txt)
log "graceful failover: ping lost $LOST1"
check "graceful failover: under 50 pings lost" test "$LOST1" -lt 50
site_clean "failover"

# --- 2. resume: node 1 preempts --------------------------------------------------------------
ping_start ping2.txt 8
sleep 2
hactl n1 ha resume
check "node 1 takes the CHILD SA back" wait_for 6 field_is n1 takenOverSAs 1
check "node 1 is active" field_is n1 role active
check "node 1 is not resigned any more" field_is n1 resigned False
check "node 2 is standby without a restart" wait_for 5 field_is n2 role standby
check "node 2 is the same process" kill -0 "$N2"
check "node 2 holds the CHILD SA inactive again" wait_for 5 field_is n2 inactiveSAs 1
check "node 2's IKE engine let the IKE SA go" ike_sas_are n2 0
check "node 1's IKE engine has it" ike_sas_are n1 1
ping_wait
LOST2=$(ping_lost ping2.txt)
log "resume: ping lost $LOST2"
check "resume: under 50 pings lost" test "$LOST2" -lt 50
site_clean "resume"

# --- 3. split brain, healed by VRRP -----------------------------------------------------------
ping_start ping3.txt 10
sleep 1
vrrp_block || fail "VRRP dropped on the bridges"
check "both nodes report the split brain" wait_for 6 both_split
vrrp_unblock
check "healed: node 1 active, node 2 standby" wait_for 5 one_active
check "node 1 moved its outbound sequence numbers past node 2's" wait_for 3 eval '[ "$(ha_field n1 counters | python3 -c "import sys,ast; print(ast.literal_eval(sys.stdin.read()).get(\"split-brain-seq-moves\", 0))")" -ge 1 ]'
check "node 2 holds the CHILD SA inactive again" wait_for 5 field_is n2 inactiveSAs 1
ping_wait
log "split brain healed: ping lost $(ping_lost ping3.txt)"
check "after the split brain: traffic through the tunnel" nx a ping -c 20 -i 0.05 -W 1 10.2.0.2
site_clean "split brain"

# --- 4. split brain that lasts: the lower node yields after the bound --------------------------
vrrp_block || fail "VRRP dropped on the bridges"
check "split brain again" wait_for 6 both_split
check "node 2 yields after the bound and holds its group back" wait_for 8 field_is n2 splitBrainHold True
check "node 1 stays active, node 2 standby" wait_for 3 one_active
check "still both standby/active 3 s later (no flapping back)" eval 'sleep 3; one_active'
check "during the partition: traffic through node 1" nx a ping -c 20 -i 0.05 -W 1 10.2.0.2
vrrp_unblock
site_clean "lasting split brain"
hactl n1 ha status
hactl n2 ha status
kill "$WATCHDOG" 2>/dev/null
log "pings lost: graceful failover $LOST1, resume $LOST2; took $((SECONDS - T0)) s"
lab_summary
