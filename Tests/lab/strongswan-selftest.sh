#!/usr/bin/env bash
# strongSwan-to-strongSwan selftest of the IKEv2 lab harness (strongswan-lib.sh): proves the
# harness, not Strait, so it is not part of scripts/test.sh. Run as root:
#     bash Tests/lab/strongswan-selftest.sh          (KEEP=1 keeps the work folder)
#
#   host A (ns ${LAB}a)     "gateway" (ns ${LAB}ga)                "site" (ns ${LAB}gb)          host B (ns ${LAB}b)
#   a0 10.1.0.2 -- ga-lan 10.1.0.1  ga-wan 192.0.2.1 -- gb-wan 192.0.2.2  gb-lan 10.2.0.1 -- b0 10.2.0.2
#                   strongSwan responder (where straitd will be)  strongSwan initiator
#                              IKEv2 + ESP-in-UDP (kernel-libipsec, ipsec0 TUN on each)
#
# 1. PSK, aes128gcm16-prfsha256-x25519: CHILD SA up, ping both ways, only UDP 500/4500 on
#    the wire and the data as ESP-in-UDP with the CHILD's SPIs, counters move, injected
#    replays and forged packets are counted by the peer, clean delete.
# 2. ECDSA certificates (aes128gcm16-prfsha256-ecp256), then RSA (aes256gcm16-prfsha384-ecp384).
# 3. CHILD rekey every 10 s under a 10 ms ping: no loss, new SPIs, no ESP errors.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "strongswan-selftest.sh must run as root"; exit 2; }
command -v "$SS_CHARON" >/dev/null || { echo "strongSwan is missing: run scripts/install-deps.sh"; exit 2; }
T0=$SECONDS
GW=$WORK/gw
SITE=$WORK/site
CAPTURE=

selftest_cleanup() {
	local rc=$?
	[ -n "$CAPTURE" ] && kill -INT "$CAPTURE" 2>/dev/null
	ss_cleanup
	if [ "$FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for d in "$GW" "$SITE"; do
			echo "--- last lines of $d/charon.log"
			tail -n 25 "$d/charon.log" 2>/dev/null
		done
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "work folder kept: $WORK"
		WORK=/nonexistent-keep
	fi
	lab_cleanup
	ike_lab_down "$LAB"
}
trap selftest_cleanup EXIT
trap "exit 143" TERM INT HUP


# capture_start FILE / capture_stop: tcpdump on the gateway's WAN veth (both directions).
capture_start() {
	ip netns exec "${LAB}ga" tcpdump -i ga-wan -nn -U -w "$1" >/dev/null 2>&1 &
	CAPTURE=$!
	PIDS+=("$CAPTURE")
	sleep 0.5
}
capture_stop() {
	sleep 0.3
	kill -INT "$CAPTURE" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$CAPTURE" 2>/dev/null || break; sleep 0.1; done
	CAPTURE=
}
count() { tcpdump -nn -r "$1" "$2" 2>/dev/null | wc -l; }

# conf_pair ARGS...: the gateway's (responder) and the site's (initiator) swanctl.conf,
# with the common arguments given (proposals, auth, lifetimes...).
conf_pair() {
	local gw_auth=() site_auth=() a
	local common=()
	for a in "$@"; do
		case $a in
			cert:*) gw_auth=(--cert gw.crt --cacert "${a#cert:}-ca.crt"); site_auth=(--cert site1.crt --cacert "${a#cert:}-ca.crt") ;;
			*) common+=("$a") ;;
		esac
	done
	[ ${#gw_auth[@]} -gt 0 ] || { gw_auth=(--psk "$SS_LAB_PSK"); site_auth=(--psk "$SS_LAB_PSK"); }
	ss_swanctl_conf "$GW" --responder --name site1 --local-addrs 192.0.2.1 \
		--local-id gw.strait.test --remote-id site1.strait.test "${gw_auth[@]}" \
		--local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 "${common[@]}" &&
	ss_swanctl_conf "$SITE" --name gw --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 \
		--local-id site1.strait.test --remote-id gw.strait.test "${site_auth[@]}" \
		--local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24 "${common[@]}" "${SITE_EXTRA[@]}"
}
SITE_EXTRA=()

# up: load both, the site initiates, both sides show the CHILD SA.
up() {
	ss_load "$GW" && ss_load "$SITE" && ss_initiate "$SITE" c 20 &&
		ss_wait_child "$GW" site1 c 5 && ss_wait_child "$SITE" gw c 5
}

down() {
	ss_terminate "$SITE" gw 10
	ss_wait_ike "$SITE" gw none 10 && ss_wait_ike "$GW" site1 none 10
}

ike_lab_up "$LAB" strongswan || { fail "lab namespaces"; lab_summary; exit 1; }
ss_write_conf "$GW" && ss_write_conf "$SITE"
check "strongSwan starts in the gateway namespace" ss_start "${LAB}ga" "$GW"
check "strongSwan starts in the site namespace" ss_start "${LAB}gb" "$SITE"

# --- 1. PSK, X25519, AES-GCM-128
log "phase 1: PSK, aes128gcm16-prfsha256-x25519"
conf_pair --proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16
capture_start "$WORK/psk.pcap"
t=$SECONDS
check "site initiates; IKE and CHILD SAs come up (PSK, X25519, AES-GCM-128)" up
log "established in $((SECONDS - t)) s"
check "IKE SA ESTABLISHED on both ends" \
	test "$(ss_ike_state "$SITE" gw)/$(ss_ike_state "$GW" site1)" = ESTABLISHED/ESTABLISHED
ike_alg=$(ss_ike_field "$SITE" gw encr-alg)/$(ss_ike_field "$SITE" gw encr-keysize)/$(ss_ike_field "$SITE" gw prf-alg)/$(ss_ike_field "$SITE" gw dh-group)
check "IKE proposal AES_GCM_16/128/PRF_HMAC_SHA2_256/CURVE_25519 ($ike_alg)" \
	test "$ike_alg" = AES_GCM_16/128/PRF_HMAC_SHA2_256/CURVE_25519
read -r site_in site_out <<<"$(ss_child_spis "$SITE" gw c)"
read -r gw_in gw_out <<<"$(ss_child_spis "$GW" site1 c)"
log "CHILD SA SPIs: site in $site_in out $site_out, gateway in $gw_in out $gw_out"
check "the CHILD SA's SPIs match crosswise" test -n "$site_in" -a "$site_in" = "$gw_out" -a "$site_out" = "$gw_in"
check "the CHILD SA is ESP in UDP (encap) with AES_GCM_16/128 on both ends" \
	test "$(ss_child_field "$SITE" gw c encap encr-alg encr-keysize)/$(ss_child_field "$GW" site1 c encap encr-alg encr-keysize)" = "yes AES_GCM_16 128/yes AES_GCM_16 128"
check "ping A -> B through the tunnel" na ping -q -c 20 -i 0.05 -W 1 10.2.0.2
check "ping B -> A through the tunnel" nb ping -q -c 20 -i 0.05 -W 1 10.1.0.2
sp_in=$(ss_child_stat "$SITE" gw c packets-in); sp_out=$(ss_child_stat "$SITE" gw c packets-out)
gp_in=$(ss_child_stat "$GW" site1 c packets-in); gp_out=$(ss_child_stat "$GW" site1 c packets-out)
log "CHILD SA packets: site in $sp_in out $sp_out, gateway in $gp_in out $gp_out"
check "the CHILD SA counters moved (>= 40 packets each way, each end)" \
	test "$sp_in" -ge 40 -a "$sp_out" -ge 40 -a "$gp_in" -ge 40 -a "$gp_out" -ge 40
check "bytes counted too (site bytes-out $(ss_child_stat "$SITE" gw c bytes-out))" \
	test "$(ss_child_stat "$SITE" gw c bytes-out)" -ge $((40 * 84))
capture_stop
pcap=$WORK/psk.pcap
ike500=$(count "$pcap" 'udp port 500')
ike4500=$(count "$pcap" 'udp port 4500 and udp[8:4] = 0')
espudp=$(count "$pcap" 'udp port 4500 and udp[8:4] != 0')
other=$(count "$pcap" 'ip and not (udp port 500 or udp port 4500)')
rawesp=$(count "$pcap" 'ip proto 50')
clear=$(count "$pcap" 'host 10.1.0.2 or host 10.2.0.2')
log "on the WAN: $ike500 IKE on 500, $ike4500 IKE on 4500, $espudp ESP-in-UDP, $rawesp raw ESP, $other other IPv4, $clear inner addresses in clear"
check "IKE_SA_INIT on UDP 500, then IKE on UDP 4500 (NAT-T: kernel-libipsec fakes a NAT)" test "$ike500" -ge 2 -a "$ike4500" -ge 2
check "the data is ESP-in-UDP on 4500 (>= 80 packets)" test "$espudp" -ge 80
check "no raw ESP (protocol 50) and no other IPv4 on the WAN" test "$rawesp" -eq 0 -a "$other" -eq 0
check "no inner address in clear on the WAN" test "$clear" -eq 0
spis=$(tshark -r "$pcap" -Y esp -T fields -e esp.spi 2>/dev/null | sort -u | tr '\n' ' ')
want=$(printf '0x%s\n' "$site_in" "$site_out" | sort -u | tr '\n' ' ')
check "tshark sees ESP with exactly the CHILD SA's SPIs ($spis)" test "$spis" = "$want"
check "IKE counters (counters plugin): site sent IKE_SA_INIT and IKE_AUTH, the gateway received them" \
	test "$(ss_counter "$SITE" ike-init-out-req gw)$(ss_counter "$SITE" ike-auth-out-req gw)$(ss_counter "$GW" ike-init-in-req)$(ss_counter "$GW" ike-auth-in-req)" = 1111
check "no ESP replay or authentication failures at either end" \
	test "$(ss_esp_replay_failures "$SITE")$(ss_esp_auth_failures "$SITE")$(ss_esp_replay_failures "$GW")$(ss_esp_auth_failures "$GW")" = 0000
# The peer-side replay and ICV detectors that later tests rely on to show "zero drops":
# the gateway's last ESP packet sent again 3 times (replays), then twice with a sequence
# number moved 1000 ahead (authenticated data changed: ICV failures).
r0=$(ss_esp_replay_failures "$SITE"); a0=$(ss_esp_auth_failures "$SITE")
ip netns exec "${LAB}ga" /usr/bin/python3 -c '
import sys
from scapy.all import rdpcap, sendp, conf, IP, UDP, Raw
conf.verb = 0
esp = [p for p in rdpcap(sys.argv[1]) if IP in p and UDP in p and p[IP].src == "192.0.2.1"
       and p[UDP].dport == 4500 and bytes(p[UDP].payload)[:4] != bytes(4)]
last = esp[-1]
sendp(last, iface="ga-wan", count=3)
for ahead in (1000, 1001):
    raw = bytearray(bytes(last[UDP].payload))
    raw[4:8] = (int.from_bytes(raw[4:8], "big") + ahead).to_bytes(4, "big")
    bad = last.copy()
    bad[UDP].remove_payload()
    bad[UDP].add_payload(Raw(bytes(raw)))
    del bad[IP].chksum, bad[UDP].chksum
    sendp(bad, iface="ga-wan")' "$pcap"
sleep 0.5
dr=$(( $(ss_esp_replay_failures "$SITE") - r0 )); da=$(( $(ss_esp_auth_failures "$SITE") - a0 ))
log "site (libipsec) after injection: replay failures +$dr, ICV failures +$da"
check "the site counts 3 replayed ESP packets (ss_esp_replay_failures +$dr)" test "$dr" -eq 3
check "the site counts 2 ESP packets failing the ICV (ss_esp_auth_failures +$da)" test "$da" -eq 2
check "traffic still passes after the injection" na ping -q -c 3 -i 0.1 -W 1 10.2.0.2
check "the site deletes the IKE SA; both ends drop it" down
check "no CHILD SA left, traffic no longer passes" bash -c "! ip netns exec ${LAB}a ping -c 1 -W 1 10.2.0.2 >/dev/null"

# --- 2. certificates
log "phase 2: certificates"
t=$SECONDS
ike_make_pki "$WORK/pki" gw@192.0.2.1 site1@192.0.2.2 >/dev/null
check "test PKI made (RSA and ECDSA CAs, gateway and site certificates) in $((SECONDS - t)) s" \
	test -s "$WORK/pki/ecdsa/site1.crt" -a -s "$WORK/pki/rsa/gw.crt"
for alg in ecdsa rsa; do
	if [ "$alg" = ecdsa ]; then prop=aes128gcm16-prfsha256-ecp256; want=ECP_256; else prop=aes256gcm16-prfsha384-ecp384; want=ECP_384; fi
	rm -f "$GW"/x509/* "$GW"/private/* "$SITE"/x509/* "$SITE"/private/*
	ss_install_cert "$GW" "$WORK/pki" "$alg" gw && ss_install_cert "$SITE" "$WORK/pki" "$alg" site1
	conf_pair "cert:$alg" --proposals "$prop" --esp-proposals aes128gcm16,aes256gcm16
	check "$alg certificates, $prop: the CHILD SA comes up" up
	check "$alg: the IKE SA uses $want ($(ss_ike_field "$SITE" gw dh-group))" test "$(ss_ike_field "$SITE" gw dh-group)" = "$want"
	auth=$(grep -o "authentication of 'gw.strait.test' with [^ ]*" "$SITE/charon.log" | tail -n 1)
	check "$alg: the site verified the gateway's signature ($auth)" grep -qi "$alg" <<<"$auth"
	check "$alg: ping A -> B through the tunnel" na ping -q -c 10 -i 0.05 -W 1 10.2.0.2
	check "$alg: the IKE SA is deleted" down
done

# --- 3. CHILD rekey under load
log "phase 3: CHILD SA rekey every 10 s under a 10 ms ping"
SITE_EXTRA=(--child-rekey-time 10s --child-life-time 20s --child-rand-time 0)
rm -f "$GW"/x509/* "$GW"/private/* "$SITE"/x509/* "$SITE"/private/*
conf_pair --proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16
rekeys0=$(ss_counter "$SITE" child-rekey)
esp_errors0=$(ss_esp_replay_failures "$SITE")$(ss_esp_auth_failures "$SITE")$(ss_esp_replay_failures "$GW")$(ss_esp_auth_failures "$GW")
check "PSK CHILD SA with a 10 s rekey time comes up" up
read -r spi0_in spi0_out <<<"$(ss_child_spis "$SITE" gw c)"
capture_start "$WORK/rekey.pcap"
na ping -c 1200 -i 0.01 -W 1 10.2.0.2 >"$WORK/rekey-ping.txt" 2>&1 &
ping_pid=$!
PIDS+=("$ping_pid")
for _ in $(seq 400); do kill -0 "$ping_pid" 2>/dev/null || break; sleep 0.1; done
kill -INT "$ping_pid" 2>/dev/null
sleep 0.2
capture_stop
summary=$(grep -E 'packets transmitted' "$WORK/rekey-ping.txt")
log "ping: $summary"
sent=$(sed -E 's/^([0-9]+) packets transmitted.*/\1/' <<<"$summary")
got=$(sed -E 's/.* ([0-9]+) received.*/\1/' <<<"$summary")
check "1200 pings at 10 ms across the rekey, none lost ($got/$sent)" test "${sent:-0}" -eq 1200 -a "${got:-0}" -eq 1200
ss_wait_child "$SITE" gw c 5
read -r spi1_in spi1_out <<<"$(ss_child_spis "$SITE" gw c)"
log "site CHILD SA SPIs before: in $spi0_in out $spi0_out; after: in $spi1_in out $spi1_out"
check "the CHILD SA was rekeyed: new SPIs both ways" \
	test -n "$spi1_in" -a "$spi1_in" != "$spi0_in" -a "$spi1_out" != "$spi0_out"
check "the gateway has the new SPIs too" grep -qx "$spi1_out $spi1_in" <<<"$(ss_child_spis "$GW" site1 c)"
check "the counters plugin counted the rekey ($(( $(ss_counter "$SITE" child-rekey) - rekeys0 )))" \
	test $(( $(ss_counter "$SITE" child-rekey) - rekeys0 )) -ge 1
# On the wire: ESP packets per sender and SPI; the old and the new SA each carried the ping.
tshark -r "$WORK/rekey.pcap" -Y esp -T fields -e ip.src -e esp.spi 2>/dev/null | sort | uniq -c >"$WORK/rekey-spis.txt"
log "ESP packets on the WAN per sender and SPI: $(awk '{printf "%s %s: %s; ", $2, $3, $1}' "$WORK/rekey-spis.txt")"
check "the old and the new CHILD SA each carried >= 100 pings each way (wire)" \
	test "$(awk '$1 >= 100 && $2 == "192.0.2.2"' "$WORK/rekey-spis.txt" | wc -l)" -ge 2 -a \
		"$(awk '$1 >= 100 && $2 == "192.0.2.1"' "$WORK/rekey-spis.txt" | wc -l)" -ge 2
check "no ESP replay or authentication failures at either end across the rekey" \
	test "$(ss_esp_replay_failures "$SITE")$(ss_esp_auth_failures "$SITE")$(ss_esp_replay_failures "$GW")$(ss_esp_auth_failures "$GW")" = "$esp_errors0"
check "the site deletes the IKE SA; both ends drop it" down

check "both strongSwan instances are still running" bash -c "kill -0 $(ss_pid "$GW") && kill -0 $(ss_pid "$SITE")"
ss_stop "$SITE"; ss_stop "$GW"
log "runtime: $((SECONDS - T0)) s"
lab_summary
