#!/usr/bin/env bash
# HA lab: IKE carries on from the new active after a takeover (the pair of test-ha.sh,
# ha-pair-lib.sh, with short lifetimes on the nodes: CHILD SA rekey-time 16 s, IKE SA 26 s,
# DPD after 8 s without a message from the site).
#
# The site brings its tunnel up to 192.0.2.1; host A pings host B every 10 ms through it;
# node 1 is SIGKILLed 6 s later (before its first DPD) and node 2 takes over. Then, all
# against real strongSwan:
#   - RFC 6311: node 2 synchronizes the message IDs first (INFORMATIONAL, message ID 0); the
#     site's charon logs "responder requested MID sync" (both announced support in IKE_AUTH).
#     (Only while the site has answered no request of the gateway yet: strongSwan derives its
#     AES-GCM IVs from message IDs and cannot seal a second response 0; it drops the IKE SA
#     instead. The new active skips the sync then: IKEEngine+HAImport, MessageIDSync.)
#   - DPD: node 2's liveness check (8 s after the sync) is answered by the site.
#   - node 2 rekeys the CHILD SA itself at the deadline node 1 had set (about 16 s after the
#     tunnel came up, not 16 s after the takeover) and the site takes the new SPIs.
#   - node 2 rekeys the IKE SA at node 1's deadline (about 26 s after it was made).
#   - the site rekeys the CHILD SA (swanctl --rekey) on the rekeyed IKE SA; node 2 answers.
# After each rekey traffic flows with the new SPIs; the site logs no replay or ICV error,
# sends no IKE_SA_INIT, and its IKE SA never goes away.
#
# Run as root: bash Tests/lab/test-ha-rekey.sh   (STRAIT_BIN=dir picks straitd/straitctl; KEEP=1)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
source "$(dirname "$0")/ha-pair-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "test-ha-rekey.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }

# The nodes' templates with short lifetimes (node_config writes the pair's defaults).
short_lifetimes() {
	local f=$WORK/n$1.yaml
	sed -i -e 's/dpd: { interval: 60s, timeout: 300s } }/dpd: { interval: 8s, timeout: 60s }, rekey-time: 26s, rand-time: 1s }/' \
		-e 's/replay-window: 1024 }/replay-window: 1024, rekey-time: 16s, life-time: 30s, rand-time: 1s }/' "$f"
	grep -q 'rekey-time: 26s' "$f" && grep -q 'rekey-time: 16s' "$f"
}
# count FILE PATTERN: matching lines (0 if none).
count() { local n; n=$(grep -c -- "$2" "$1" 2>/dev/null); echo "${n:-0}"; }
# after MARK FILE PATTERN: matching lines past the first MARK lines.
after() { tail -n +"$(($1 + 1))" "$2" 2>/dev/null | grep -c -- "$3"; }
mark() { wc -l <"$1" 2>/dev/null || echo 0; }
# since_kill PATTERN: seconds from the SIGKILL to node 2's first log line matching PATTERN
# (its timestamp, so a check that runs late still measures the event).
since_kill() {
	local t
	t=$(grep -m1 -- "$1" "$WORK/n2.log" | cut -c1-24)
	[ -n "$t" ] && echo $(( $(date -d "$t" +%s) - KILL_EPOCH ))
}
# pings N: N pings from host A to host B through the tunnel, all answered.
pings() { nx a ping -c "$1" -i 0.05 -W 1 10.2.0.2 >/dev/null 2>&1; }

topology || { fail "topology"; exit 1; }
node_config 1 200; node_config 2 100
check "the nodes get short lifetimes" short_lifetimes 1 && check "(node 2 too)" short_lifetimes 2
pair_up

site1_start || { fail "the site's charon starts"; exit 1; }
check "the tunnel comes up (site initiates to the virtual address)" ss_initiate "$S1" c 30
T_UP=$SECONDS
SPIS0=$(ss_child_spis "$S1" site c)
IKE0=$(ss_ike_field "$S1" site initiator-spi)
log "site CHILD SA: $SPIS0, IKE SA $IKE0"
check "node 1 announced RFC 6311 support (the site enabled it)" grep -q 'IKE_AUTH response 1 .*N(MSG_ID_SYN_SUP)' "$S1/charon.log"
check "node 2 holds the CHILD SA inactive" wait_for 10 field_is n2 inactiveSAs 1
check "node 2 holds the IKE SA" wait_for 10 field_is n2 ikeSAs 1
check "traffic through node 1" pings 3
INITS=$(ss_counter "$S1" init-out-req)

nx a ping -i 0.01 -w 40 -W 1 10.2.0.2 >"$WORK/ping.txt" 2>&1 &
PING_PID=$!
# Node 1 goes 6 s after the tunnel came up: its deadlines are then 6 s ahead of a fresh start.
sleep $((6 - (SECONDS - T_UP) > 0 ? 6 - (SECONDS - T_UP) : 0))
S_MARK=$(mark "$S1/charon.log")
log "SIGKILL node 1 (pid $N1_PID), $((SECONDS - T_UP)) s after the tunnel came up"
RESP0=$(ss_counter "$S1" ike-rekey-resp)
KILL_EPOCH=$(date +%s)
kill -KILL "$N1_PID"; N1_PID=
check "node 2 takes over" wait_for 10 field_is n2 takenOverSAs 1
check "node 2's IKE engine took the IKE SA over" test "$(ike_sas n2)" = 1

# RFC 6311: node 2's first request on the SA, answered by strongSwan's ike_mid_sync task.
check "RFC 6311: node 2 synchronized the message IDs with the site" \
	wait_for 10 grep -q 'message IDs synchronized (RFC 6311)' "$WORK/n2.log"
check "RFC 6311: the site answered a sync request (charon: responder requested MID sync)" \
	wait_for 5 eval '[ "$(after "$S_MARK" "$S1/charon.log" "requested MID sync")" -ge 1 ]'
grep -h 'RFC 6311' "$WORK/n2.log" | sed 's/^/    n2: /'
grep -h 'MID sync' "$S1/charon.log" | sed 's/^/    site: /'

# DPD from node 2, 8 s after the sync: the site answers an empty INFORMATIONAL (under the
# synchronized message IDs: anything else the site would drop as outside its window).
dpds() { after "$S_MARK" "$S1/charon.log" 'generating INFORMATIONAL response [0-9]* \[ \]'; }
check "DPD: node 2's liveness check reaches the site and is answered" wait_for 12 eval '[ "$(dpds)" -ge 1 ]'
check "and node 2 does not declare the site dead" test "$(count "$WORK/n2.log" 'does not answer')" = 0

# Node 2 rekeys the CHILD SA at node 1's deadline (16 s after the tunnel came up).
check "node 2 rekeys the CHILD SA" wait_for 20 grep -q 'installed (rekeyed by us)' "$WORK/n2.log"
log "node 2's CHILD SA rekey: $(since_kill 'installed (rekeyed by us)') s after the SIGKILL"
# Node 1's deadline is 9-10 s after the kill; counted afresh from the takeover it would be 15-16 s.
check "at the synced deadline (at most 12 s after the SIGKILL)" test "$(since_kill 'installed (rekeyed by us)')" -le 12
check "the site has the new CHILD SA" wait_for 10 eval '[ -n "$(ss_child_spis "$S1" site c)" ] && [ "$(ss_child_spis "$S1" site c)" != "$SPIS0" ]'
SPIS1=$(ss_child_spis "$S1" site c)
log "site CHILD SA after node 2's rekey: $SPIS1"
check "the old CHILD SA is gone at the site (one SA left)" wait_for 10 eval '[ "$(ss_child_spis "$S1" site c | wc -l)" = 1 ]'
check "traffic with the new SPIs" pings 5

# Node 2 rekeys the IKE SA at node 1's deadline (26 s after it was made).
check "node 2 rekeys the IKE SA" wait_for 30 grep -q 'IKE SA rekeyed (we initiated)' "$WORK/n2.log"
log "node 2's IKE SA rekey: $(since_kill 'IKE SA rekeyed (we initiated)') s after the SIGKILL"
# Node 1's deadline is 19-20 s after the kill; afresh it would be 25-26 s.
check "at the synced deadline (at most 22 s after the SIGKILL)" test "$(since_kill 'IKE SA rekeyed (we initiated)')" -le 22
check "the site answered it" wait_for 5 eval '[ "$(ss_counter "$S1" ike-rekey-resp)" -gt "$RESP0" ]'
check "the site has the new IKE SA" wait_for 10 eval '[ "$(ss_ike_field "$S1" site initiator-spi | wc -l)" = 1 ] && [ "$(ss_ike_field "$S1" site initiator-spi)" != "$IKE0" ]'
check "node 2's engine holds one IKE SA" wait_for 5 ike_sas_are n2 1

# The site rekeys the CHILD SA on the new IKE SA; node 2 answers.
ss_rekey "$S1" --child c
check "the site's CHILD SA rekey is answered by node 2" \
	wait_for 10 eval '[ "$(ss_child_spis "$S1" site c | wc -l)" = 1 ] && [ "$(ss_child_spis "$S1" site c)" != "$SPIS1" ]'
log "site CHILD SA after its own rekey: $(ss_child_spis "$S1" site c)"
check "node 2 installed the site's rekey" grep -q 'installed (rekeys CHILD SA' "$WORK/n2.log"
check "traffic with the site's new SPIs" pings 5

wait "$PING_PID"; PING_PID=
SENT=$(awk '/packets transmitted/ { print $1 }' "$WORK/ping.txt")
LOST=$(( ${SENT:-0} - $(grep -c 'bytes from' "$WORK/ping.txt") ))
log "ping through takeover and rekeys: sent ${SENT:-?}, lost $LOST"
check "the ping lost only the takeover gap (under 3 s of pings)" test "$LOST" -lt 300
check "the site sent no new IKE_SA_INIT" test "$(ss_counter "$S1" init-out-req)" = "$INITS"
check "the site's libipsec saw no replayed sequence number" test "$(ss_esp_replay_failures "$S1")" = 0
check "and no ICV failure" test "$(ss_esp_auth_failures "$S1")" = 0
check "node 2 logged no failed rekey" test "$(count "$WORK/n2.log" 'rekey.*failed\|cannot rekey')" = 0
log "took $((SECONDS - T0)) s"
lab_summary
