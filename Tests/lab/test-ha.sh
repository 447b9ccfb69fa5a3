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
source "$(dirname "$0")/ha-pair-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "test-ha.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
topology || { fail "topology"; exit 1; }
node_config 1 200; node_config 2 100
pair_up

site1_start || { fail "the site's charon starts"; exit 1; }
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
