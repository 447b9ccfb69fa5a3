#!/usr/bin/env bash
# MOBIKE (RFC 4555) against a real strongSwan site that changes address (an LTE uCPE).
#
#   host A (${LAB}a)        straitd (${LAB}ga)                         site1 (${LAB}gb)               host B (${LAB}b)
#   a0 10.1.0.2 -- ga-lan [lan01 10.1.0.1] [wan01 192.0.2.1] ga-wan -- gb-wan 192.0.2.2 -> .12  gb-lan -- b0 10.2.0.2
#
# ike_lab_up's namespaces; the site is strongSwan (charon-systemd, kernel-libipsec: ESP in
# UDP 4500, NAT-D faked so straitd sees "NAT"), mobike = yes, local_addrs %any; straitd's
# config from ike-configs.py (MOBIKE on by default in its IKE template).
#
#  1. The tunnel comes up, straitd's IKE_AUTH answer carries MOBIKE_SUPPORTED, ping A -> B.
#  2. The site's WAN address moves under a ping every 10 ms: 192.0.2.12 is added, 192.0.2.2
#     removed. charon hears it over netlink and sends UPDATE_SA_ADDRESSES from 192.0.2.12.
#     Then: straitd logged the move (mobike), `show ike sa` shows 192.0.2.12:4500, the fast
#     path's outbound SA has the new outer address, and ESP with the CHILD SA's SPI from
#     before the move leaves straitd for 192.0.2.12 (tcpdump on the site's wire): the SA was
#     moved in place. The IKE SA keeps its SPIs at both ends. strongSwan's kernel-libipsec
#     cannot update SAs, so charon then rekeys its CHILD SA (its first CREATE_CHILD_SA is
#     held back for a while, see phase 2); both ends must then agree on the one new CHILD SA
#     (a site with kernel XFRM keeps its SPIs, which the test checks when no rekey happened).
#     Ping works afterwards; the site saw no replay or ICV failures.
#
# Run as root: bash Tests/lab/test-ike-mobike.sh   (KEEP=1 keeps the work folder;
# STRAIT_BIN=dir picks straitd/straitctl)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "test-ike-mobike.sh must run as root"; rm -rf "$WORK"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; rm -rf "$WORK"; exit 2; }
[ -x "$BIN/straitd" ] && [ -x "$BIN/straitctl" ] || { echo "no straitd/straitctl in $BIN: build them first"; rm -rf "$WORK"; exit 1; }
LABDIR=$(dirname "$0")
S1=$WORK/site1
SOCK=$WORK/gw.sock
GW_PID=
CAPTURE=

mobike_test_cleanup() {
	local rc=$?
	[ -n "$CAPTURE" ] && kill -INT "$CAPTURE" 2>/dev/null
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
trap mobike_test_cleanup EXIT
trap "exit 143" TERM INT HUP

nga() { ip netns exec "${LAB}ga" "$@"; }
ngb() { ip netns exec "${LAB}gb" "$@"; }
gctl() { nga "$BIN/straitctl" --socket "$SOCK" "$@"; }


# gw_q QUESTION: straitd's IKE SAs (`show ike sa --json`): count, spis (IKE "I/R"), remote,
# children ("IN OUT" of each CHILD SA).
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
    if q == "spis": print(h(s["initiatorSPI"], 16) + "/" + h(s["responderSPI"], 16))
    elif q == "remote": print(s["remote"])
    elif q == "children":
        for c in s["children"]:
            print(h(c["inboundSPI"], 8), h(c["outboundSPI"], 8))' "$1"
}
# sa_q FIELD: FIELD of the fast path's outbound SA(s) (`show ipsec sa --json`), e.g. remote, packets.
sa_q() {
	gctl --json show ipsec sa 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for s in json.load(sys.stdin):
    if s["direction"] == "out": print(s[sys.argv[1]])' "$1" 2>/dev/null
}
ss_spis() { paste -d/ <(ss_ike_field "$S1" gw initiator-spi) <(ss_ike_field "$S1" gw responder-spi); }
wait_for() { local limit=$1; shift; for _ in $(seq $((limit * 5))); do "$@" && return 0; sleep 0.2; done; return 1; }
mark() { wc -l <"$1" 2>/dev/null || echo 0; }
since() { tail -n +$(($2 + 1)) "$1" 2>/dev/null; }
gw_remote_is() { [ "$(gw_q remote)" = "$1" ]; }
pings() { na ping -c "${1:-5}" -i 0.2 -W 1 10.2.0.2 >/dev/null 2>&1; }

ike_lab_up "$LAB" straitd || { fail "lab namespaces"; lab_summary; exit 1; }
# Secondary addresses survive the primary's removal (the new address is added first).
ngb sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.gb-wan.promote_secondaries=1
ss_write_conf "$S1"
check "strongSwan starts in site1's namespace" ss_start "${LAB}gb" "$S1"
/usr/bin/python3 "$LABDIR/ike-configs.py" "$WORK/gw.yaml" --instance "ikemobike$$" --socket "$SOCK" --dpd 30s/60s
check "straitd starts" gw_start "$WORK/gw.yaml"
[ -n "$GW_PID" ] || { lab_summary; exit 1; }

# --- 1. up, MOBIKE negotiated, traffic
ss_swanctl_conf "$S1" --name gw --local-addrs %any --remote-addrs 192.0.2.1 \
	--local-id site1.strait.test --remote-id gw.strait.test --psk "$SS_LAB_PSK" \
	--local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24 --mobike yes \
	--proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16
site_up() { ss_load "$S1" && ss_initiate "$S1" c 20; }
check "site1 initiates (mobike = yes): IKE and CHILD SAs up" site_up
check "straitd's IKE_AUTH answer carries MOBIKE_SUPPORTED (charon's log)" grep -q 'IKE_AUTH response.*N(MOBIKE_SUP)' "$S1/charon.log"
check "straitd: one IKE SA from 192.0.2.2:4500 ($(gw_q remote))" gw_remote_is 192.0.2.2:4500
pings 3
check "ping A -> B through the tunnel" pings 5
ike_before=$(gw_q spis); child_gw=$(gw_q children); child_ss=$(ss_child_spis "$S1" gw c); ss_ike=$(ss_spis)
log "before: IKE SPIs straitd $ike_before, site $ss_ike; CHILD SPIs straitd '$child_gw', site '$child_ss'; fast path out SA to $(sa_q remote)"

# --- 2. the site moves
# strongSwan's kernel-libipsec cannot update an installed SA, so charon rekeys its CHILD SA
# right after every MOBIKE update. The site's first CREATE_CHILD_SA is dropped on its way
# out (nftables: IKE exchange type 36 at byte 22 of the UDP payload, after the non-ESP
# marker), so its rekey waits for charon's retransmit (4 s): meanwhile the CHILD SA that
# straitd moved carries the ping, ESP with the old SPI towards 192.0.2.12 on the site's wire.
log "the site's WAN address moves: 192.0.2.12 added, 192.0.2.2 removed (the site's rekey held back)"
read -r gw_in gw_out <<<"$child_gw"
g=$(mark "$WORK/straitd.log"); m=$(mark "$S1/charon.log")
ngb tcpdump -i gb-wan -nn -U -w "$WORK/moved.pcap" udp port 4500 >/dev/null 2>&1 &
CAPTURE=$!
PIDS+=("$CAPTURE")
ngb nft -f - <<-'EOF'
	table inet mobike_lab {
	  chain out {
	    type filter hook output priority 0; policy accept;
	    udp dport 4500 @th,240,8 36 counter drop
	  }
	}
	EOF
sleep 0.5
na ping -c 600 -i 0.01 -W 1 10.2.0.2 >"$WORK/move-ping.txt" 2>&1 &
ping_pid=$!
PIDS+=("$ping_pid")
sleep 0.5
ngb ip addr add 192.0.2.12/24 dev gb-wan
# straitd's neighbour table learns the new address now (its kernel resolves it through the
# TAP mirror and the fast path mirrors the entry), as a site's next-hop router would be
# known already; else the first packets after the move wait for ARP.
nga ping -c 1 -W 2 192.0.2.12 >/dev/null 2>&1
ngb ip addr del 192.0.2.2/24 dev gb-wan
check "straitd follows: show ike sa says 192.0.2.12:4500 ($(wait_for 20 gw_remote_is 192.0.2.12:4500; gw_q remote))" gw_remote_is 192.0.2.12:4500
sleep 2
held=$(ngb nft list table inet mobike_lab 2>/dev/null | sed -nE 's/.*counter packets ([0-9]+).*/\1/p')
ngb nft delete table inet mobike_lab
log "CREATE_CHILD_SA requests of the site held back: ${held:-?}"
for _ in $(seq 100); do kill -0 "$ping_pid" 2>/dev/null || break; sleep 0.1; done
since "$WORK/straitd.log" "$g" | grep -m3 -E 'peer moved|moved \(' | sed 's/^/    straitd: /'
check "straitd logged the move as MOBIKE" bash -c "tail -n +$((g + 1)) '$WORK/straitd.log' | grep -q 'peer moved 192.0.2.2:4500 -> 192.0.2.12:4500 (mobike)'"
since "$S1/charon.log" "$m" | grep -m4 -E 'UPD_SA_ADDR|endpoint changed|CHILD_REKEY' | sed 's/^/    site1: /'
check "the fast path's outbound SA now sends to 192.0.2.12 ($(sa_q remote))" test "$(sa_q remote)" = 192.0.2.12
enc0=$(sa_q packets)
check "ping A -> B works after the move" wait_for 15 pings 3
check "ping A -> B: 20 more, none lost" na ping -q -c 20 -i 0.05 -W 1 10.2.0.2
enc=$(( $(sa_q packets) - enc0 ))
check "the fast path encrypted them (+$enc)" test "$enc" -ge 20
sleep 0.3
kill -INT "$CAPTURE" 2>/dev/null
for _ in $(seq 30); do kill -0 "$CAPTURE" 2>/dev/null || break; sleep 0.1; done
CAPTURE=
esp_to() { tcpdump -nn -r "$WORK/moved.pcap" "src host 192.0.2.1 and dst host $1 and udp src port 4500 and udp dst port 4500 and udp[8:4] != 0 $2" 2>/dev/null | wc -l; }
moved_old_spi=$(esp_to 192.0.2.12 "and udp[8:4] = 0x$gw_out")
to_new=$(esp_to 192.0.2.12 "")
log "on the site's wire: ESP 192.0.2.1:4500 -> 192.0.2.12:4500: $to_new packets, $moved_old_spi of them on the CHILD SA from before the move (SPI $gw_out)"
check "straitd's CHILD SA from before the move sent ESP to the new address ($moved_old_spi packets with SPI $gw_out)" test "$moved_old_spi" -ge 5
check "ESP from straitd reaches the new address on the wire ($to_new >= 20)" test "$to_new" -ge 20
check "the same IKE SA at straitd ($ike_before -> $(gw_q spis)) and at the site ($ss_ike -> $(ss_spis))" \
	test "$(gw_q spis)" = "$ike_before" -a "$(ss_spis)" = "$ss_ike" -a "$(gw_q count)" = 1
# strongSwan's rekey after the update (see above) replaces the CHILD SA; without it the
# SPIs stay. Either way both ends must agree on the one CHILD SA there is.
if since "$S1/charon.log" "$m" | grep -q 'queueing CHILD_REKEY'; then
	log "strongSwan (kernel-libipsec) rekeyed its CHILD SA after the update, as it does when its kernel interface cannot update SAs"
	read -r ss_in ss_out <<<"$(ss_child_spis "$S1" gw c)"
	check "one CHILD SA at both ends, the same (straitd '$(gw_q children)', site '$ss_in $ss_out')" \
		test "$(gw_q children)" = "$ss_out $ss_in" -a "$(sa_q spi | wc -l)" = 1
else
	check "the same CHILD SA at straitd ('$(gw_q children)') and at the site ('$(ss_child_spis "$S1" gw c)')" \
		test "$(gw_q children)" = "$child_gw" -a "$(ss_child_spis "$S1" gw c)" = "$child_ss"
fi
gctl show ike sa | sed 's/^/    /'
check "no ESP replay or ICV failures at the site" test "$(ss_esp_replay_failures "$S1")$(ss_esp_auth_failures "$S1")" = 00

lab_summary
