#!/usr/bin/env bash
# IKE SA rekeys started by straitd (RFC 7296 1.3.2, 2.8) against a real strongSwan site.
#
#   host A (${LAB}a)        straitd (${LAB}ga)                         site1 (${LAB}gb)         host B (${LAB}b)
#   a0 10.1.0.2 -- ga-lan [lan01 10.1.0.1] [wan01 192.0.2.1] ga-wan -- gb-wan 192.0.2.2  gb-lan -- b0 10.2.0.2
#
# ike_lab_up's namespaces; the site is strongSwan (charon-systemd, kernel-libipsec), PSK,
# straitd's config from ike-configs.py with a short IKE rekey-time.
#
#  1. straitd rekeys (rekey-time 20 s, rand-time 0; the site's 1 h): under a ping every 10 ms
#     straitd sends CREATE_CHILD_SA, moves the CHILD SA to the new IKE SA and deletes the old
#     one. strongSwan lists a new IKE SPI pair, the same CHILD SA; straitctl the new IKE SA
#     with the same CHILD SPIs; no ping lost; strongSwan counted a rekey it answered.
#  1b. The site deletes the IKE SA and straitd's answer is dropped on its way in: straitd,
#     which deleted the SA, answers the site's retransmitted Delete again (RFC 7296 2.1).
#  2. Both ends on the same schedule (rekey-time 20 s at both, no jitter): whoever starts,
#     and when the two CREATE_CHILD_SAs cross (RFC 7296 2.8.2, each end deletes the SA made
#     with the lowest nonce), both list the same single IKE SA afterwards, the CHILD SA on it,
#     and no ping was lost. Whether the requests crossed is logged, not required: that takes
#     both ends sending within one round trip (~1 ms here; this kernel has no netem to widen
#     it). The nonce rule itself is pinned by the unit tests (IKERekeyInitiatorTests).
#
# Run as root: bash Tests/lab/test-ike-rekey.sh   (KEEP=1 keeps the work folder; STRAIT_BIN=dir
# picks straitd/straitctl)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "test-ike-rekey.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
command -v nft >/dev/null || { echo "nft is missing (phase 1b drops an IKE answer with it)"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
LABDIR=$(dirname "$0")
S1=$WORK/site1
SOCK=$WORK/gw.sock
GW_PID=

rekey_test_cleanup() {
	local rc=$?
	ss_cleanup
	gw_stop
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "--- last lines of straitd's log"
		tail -n 40 "$WORK/straitd.log" 2>/dev/null
		echo "--- last lines of site1's charon.log"
		tail -n 40 "$S1/charon.log" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "work folder kept: $WORK"
		WORK=/nonexistent-keep
	fi
	lab_cleanup
	ike_lab_down "$LAB"
}
trap rekey_test_cleanup EXIT
trap "exit 143" TERM INT HUP

nga() { ip netns exec "${LAB}ga" "$@"; }
ngb() { ip netns exec "${LAB}gb" "$@"; }
gctl() { nga "$BIN/straitctl" --socket "$SOCK" "$@"; }


# gw_q QUESTION: straitd's IKE SAs of site1 (`show ike sa --json`): count, id, spis (IKE
# "I/R"), role, state, children ("IN OUT" of each CHILD SA).
gw_q() {
	gctl --json show ike sa 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    sas = json.load(sys.stdin)
except Exception:
    sys.exit(1)
def h(v, n):
    return format(int(v, 16) if isinstance(v, str) else v, "0%dx" % n)
q = sys.argv[1]
if q == "count":
    print(len(sas))
for s in sas:
    if q == "id": print(s["id"])
    elif q == "spis": print(h(s["initiatorSPI"], 16) + "/" + h(s["responderSPI"], 16))
    elif q in ("role", "state"): print(s[q])
    elif q == "children":
        for c in s["children"]:
            print(h(c["inboundSPI"], 8), h(c["outboundSPI"], 8))' "$1"
}
ipsec_count() { gctl --json show ipsec sa 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo "?"; }
# The site's IKE SA SPIs "I/R" (one line per IKE SA).
ss_spis() {
	paste -d/ <(ss_ike_field "$S1" gw initiator-spi) <(ss_ike_field "$S1" gw responder-spi)
}
wait_for() { local limit=$1; shift; for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
settled() { [ "$(gw_q count)" = 1 ] && [ "$(ss_ike_state "$S1" gw)" = ESTABLISHED ] && [ "$(ipsec_count)" = 2 ]; }
mark() { wc -l <"$1" 2>/dev/null || echo 0; }
since() { tail -n +$(($2 + 1)) "$1" 2>/dev/null; }
ping_summary() { sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) (packets )?received.*/\1 \2/p' "$1"; }

# rekey_phase NAME SECONDS: ping A -> B every 10 ms for SECONDS while the IKE SA is rekeyed;
# check that afterwards both ends hold one and the same new IKE SA with the old CHILD SA.
rekey_phase() {
	local name=$1 secs=$2 old_gw old_ss child_gw child_ss sent got new_gw new_ss
	old_gw=$(gw_q spis); old_ss=$(ss_spis)
	child_gw=$(gw_q children); child_ss=$(ss_child_spis "$S1" gw c)
	log "$name: before: IKE SPIs straitd $old_gw, site $old_ss; CHILD SPIs straitd '$child_gw', site '$child_ss'"
	# -c: ping stops by itself after the last reply and prints its summary (a signal would
	# reach the netns wrapper). Not -w alone: a deadline cuts off the replies still in
	# flight and counts them lost. -w is only the bound, well past the count.
	na ping -i 0.01 -c $((secs * 100)) -w $((secs * 3)) -W 1 10.2.0.2 >"$WORK/$name-ping.txt" 2>&1 &
	local ping_pid=$!
	PIDS+=("$ping_pid")
	wait "$ping_pid"
	read -r sent got <<<"$(ping_summary "$WORK/$name-ping.txt")"
	wait_for 10 settled
	new_gw=$(gw_q spis); new_ss=$(ss_spis)
	log "$name: after: IKE SPIs straitd $new_gw ($(gw_q role)), site $new_ss; CHILD SPIs straitd '$(gw_q children)', site '$(ss_child_spis "$S1" gw c)'"
	gctl show ike sa | sed 's/^/    /'
	ss_list_sas "$S1" | sed 's/^/    /'
	check "$name: one IKE SA at each end, established (straitd $(gw_q count) $(gw_q state), site '$(ss_ike_state "$S1" gw | tr '\n' ' ')')" settled
	check "$name: a new IKE SPI pair ($old_gw -> $new_gw)" test -n "$new_gw" -a "$new_gw" != "$old_gw"
	check "$name: strongSwan lists the same IKE SA as straitd ($new_ss)" test "$new_ss" = "$new_gw"
	check "$name: the same CHILD SA at straitd (on the new IKE SA) and in its fast path" \
		test "$(gw_q children)/$(ipsec_count)" = "$child_gw/2"
	check "$name: the same CHILD SA at the site" test "$(ss_child_spis "$S1" gw c)" = "$child_ss"
	check "$name: ping every 10 ms across the rekey, none lost ($got of $sent)" test "${sent:-0}" -ge $((secs * 40)) -a "${got:-0}" = "${sent:-x}"
	check "$name: no ESP replay or ICV failures at the site" test "$(ss_esp_replay_failures "$S1")$(ss_esp_auth_failures "$S1")" = 00
}

ike_lab_up "$LAB" straitd || { fail "lab namespaces"; lab_summary; exit 1; }
ss_write_conf "$S1"
check "strongSwan starts in site1's namespace" ss_start "${LAB}gb" "$S1"
/usr/bin/python3 "$LABDIR/ike-configs.py" "$WORK/gw.yaml" --instance "ikerekey$$" --socket "$SOCK" \
	--ike-rekey-time 20s --ike-rand-time 0s --ike-over-time 60s --dpd 30s/60s
check "straitd starts (IKE rekey-time 20 s, rand-time 0)" gw_start "$WORK/gw.yaml"
[ -n "$GW_PID" ] || { lab_summary; exit 1; }

site_conf() {
	ss_swanctl_conf "$S1" --name gw --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 \
		--local-id site1.strait.test --remote-id gw.strait.test --psk "$SS_LAB_PSK" \
		--local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24 \
		--proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16 "$@"
}

site_up() { ss_load "$S1" && ss_initiate "$S1" c 20; }
gw_empty() { [ "$(gw_q count)/$(ipsec_count)" = 0/0 ]; }
site_empty() { [ -z "$(ss_ike_state "$S1" gw)" ]; }
retransmits_answered() { gctl show ike stats | awk '$1 == "retransmits-answered" { print $2 }'; }

# --- 1. straitd rekeys, the site answers
log "phase 1: straitd rekeys the IKE SA after 20 s; the site's rekey-time is 1 h"
site_conf --rekey-time 1h --rand-time 0
g=$(mark "$WORK/straitd.log"); resp0=$(ss_counter "$S1" ike-rekey-resp)
check "site1 up" site_up
na ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null
rekey_phase straitd-rekeys 28
resp=$(( $(ss_counter "$S1" ike-rekey-resp) - resp0 ))
check "strongSwan answered an IKE SA rekey ($resp)" test "$resp" -ge 1
since "$WORK/straitd.log" "$g" | grep -m3 -E 'rekeying IKE SA|IKE SA rekeyed|deleted' | sed 's/^/    straitd: /'
check "straitd logged its rekey" bash -c "tail -n +$((g + 1)) '$WORK/straitd.log' | grep -q 'IKE SA rekeyed (we initiated)'"

# --- 1b. the site deletes the IKE SA and straitd's answer is lost
# strongSwan 5.9.8 drops straitd's answer to its Delete when it arrives while charon works on
# a request of straitd's with the same message ID (CI saw it: straitd's next rekey crossed the
# Delete). Here the answer is dropped on its way into the site (nftables: the first
# INFORMATIONAL, exchange type 37 at byte 22 of the UDP payload after the non-ESP marker, an
# 89-byte packet), so charon retransmits the Delete (4 s); straitd deleted the SA when it
# answered, and answers the retransmit from what it kept (ClosedSAAnswers). Without that the
# site stays in DELETING until its retransmits run out (165 s).
log "phase 1b: the site deletes the IKE SA; straitd's first answer is dropped"
m=$(mark "$S1/charon.log"); ra0=$(retransmits_answered)
ngb nft -f - <<-'EOF'
	table inet rekey_lab {
	  chain in {
	    type filter hook input priority 0; policy accept;
	    udp sport 4500 @th,240,8 37 quota until 120 bytes counter drop
	  }
	}
	EOF
ss_terminate "$S1" gw 20 &
term_pid=$!
PIDS+=("$term_pid")
check "straitd answers the Delete and deletes the IKE SA" wait_for 5 gw_empty
check "charon retransmits its Delete (the answer was dropped)" \
	wait_for 10 bash -c "tail -n +$((m + 1)) '$S1/charon.log' | grep -q 'retransmit 1 of request'"
dropped=$(ngb nft list table inet rekey_lab 2>/dev/null | sed -nE 's/.*counter packets ([0-9]+).*/\1/p')
ngb nft delete table inet rekey_lab
wait "$term_pid"
check "the retransmitted Delete is answered: the site has no IKE SA left" wait_for 5 site_empty
check "straitd answered it from the deleted SA's kept answer (retransmits answered $ra0 -> $(retransmits_answered)); answers dropped: $dropped" \
	test "$(retransmits_answered)" -gt "$ra0" -a "${dropped:-0}" = 1

# --- 2. both rekey at once
log "phase 2: both ends rekey every 20 s"
site_conf --rekey-time 20s --rand-time 0 --over-time 60s
g=$(mark "$WORK/straitd.log"); m=$(mark "$S1/charon.log")
check "site1 up" site_up
na ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null
rekey_phase both-rekey 45
log "rekeys started by straitd: $(since "$WORK/straitd.log" "$g" | grep -c 'rekeying IKE SA'), answered by straitd: $(since "$WORK/straitd.log" "$g" | grep -c 'IKE SA rekeyed: ')"
since "$WORK/straitd.log" "$g" | grep 'rekey collision' | sed 's/^.*\[StraitIKE\] /    straitd: /'
since "$S1/charon.log" "$m" | grep -i 'collision' | sed 's/^/    site1: /'
check "at least two IKE SA rekeys in phase 2" test "$(since "$WORK/straitd.log" "$g" | grep -c 'IKE SA rekeyed')" -ge 2

lab_summary
