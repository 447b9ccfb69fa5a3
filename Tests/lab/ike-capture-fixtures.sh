#!/usr/bin/env bash
# Regenerates the IKEv2 fixtures in Tests/fixtures/ike/ from real strongSwan exchanges in
# the IKE lab (strongswan-lib.sh: strongSwan "gateway" at 192.0.2.1 responding, strongSwan
# "site" at 192.0.2.2 initiating), captured with tcpdump on the WAN veth. Both charons log
# keys (ike and chd level 4), so every encrypted message is decrypted and checked (AES-GCM
# ICV) by ike-fixtures.py verify. Run as root:
#     bash Tests/lab/ike-capture-fixtures.sh [OUTDIR=Tests/fixtures/ike]
# Each run makes new random SPIs, nonces and keys: regenerate all files together.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/strongswan-lib.sh"
set +e
[ "$(id -u)" -eq 0 ] || { echo "ike-capture-fixtures.sh must run as root"; exit 2; }
OUT=${1:-$ROOT/Tests/fixtures/ike}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TOOL="/usr/bin/python3 $SS_LIB_DIR/ike-fixtures.py"
CAPTURE=
cleanup() {
	[ -n "$CAPTURE" ] && kill -INT "$CAPTURE" 2>/dev/null
	ss_cleanup
	lab_cleanup
	ike_lab_down "$LAB"
}
trap cleanup EXIT
trap "exit 143" TERM INT HUP

capture_start() {
	ip netns exec "${LAB}ga" tcpdump -i ga-wan -nn -U -s 0 -w "$1" >/dev/null 2>&1 &
	CAPTURE=$!
	PIDS+=("$CAPTURE")
	sleep 0.5
}
capture_stop() {
	sleep 0.5
	kill -INT "$CAPTURE" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$CAPTURE" 2>/dev/null || break; sleep 0.1; done
	CAPTURE=
}

# scenario NAME GW-ARGS -- SITE-ARGS -- ACTIONS: fresh instances (conf options from
# $CONF_OPTS), capture, run ACTIONS (a function), extract, keys, verify.
scenario() {
	local name=$1 actions=$2
	local gw=$WORK/$name/gw site=$WORK/$name/site
	log "scenario $name"
	ss_write_conf "$gw" log_ike=4 log_chd=4 $CONF_OPTS && ss_write_conf "$site" log_ike=4 log_chd=4 $CONF_OPTS
	ss_swanctl_conf "$gw" --responder --name site1 --local-addrs 192.0.2.1 \
		--local-id gw.strait.test --remote-id site1.strait.test \
		--local-ts 10.1.0.0/24 --remote-ts 10.2.0.0/24 "${GW_ARGS[@]}" || return 1
	ss_swanctl_conf "$site" --name gw --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 \
		--local-id site1.strait.test --remote-id gw.strait.test \
		--local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24 "${SITE_ARGS[@]}" || return 1
	for d in "$gw" "$site"; do [ -n "$CERT_ALG" ] && ss_install_cert "$d" "$WORK/pki" "$CERT_ALG" "$([ "$d" = "$gw" ] && echo gw || echo site1)"; done
	ss_start "${LAB}ga" "$gw" && ss_start "${LAB}gb" "$site" && ss_load "$gw" && ss_load "$site" || return 1
	capture_start "$WORK/$name.pcap"
	SITE=$site GW=$gw $actions
	local rc=$?
	capture_stop
	ss_stop "$site"; ss_stop "$gw"
	[ $rc -eq 0 ] || { echo "scenario $name: actions failed"; tail -n 30 "$site/charon.log"; return 1; }
	cp "$WORK/$name.pcap" "$OUT/$name.pcap"
	$TOOL extract "$WORK/$name.pcap" "$OUT" "$name" >/dev/null &&
		$TOOL keys "$site/charon.log" "$OUT/$name-keys.txt" &&
		$TOOL verify "$OUT" "$name" $VERIFY_PSK
}

# 1. PSK, X25519, AES-GCM-128: the whole life of an IKE SA.
actions_psk() {
	ss_initiate "$SITE" c 20 || return 1
	ip netns exec "${LAB}a" ping -c 3 -i 0.2 -W 1 10.2.0.2 >/dev/null || return 1
	sleep 1.5  # the gateway's MOBIKE address update (INFORMATIONAL) lands here, if any
	ss_rekey "$SITE" --child c && sleep 1.5 || return 1            # CREATE_CHILD_SA with PFS, then delete the old CHILD
	ss_rekey "$SITE" --ike gw && sleep 1.5 || return 1             # CREATE_CHILD_SA rekeying the IKE SA, then delete the old one
	ip netns exec "${LAB}a" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null || return 1
	ss_terminate "$SITE" gw 10                                      # INFORMATIONAL delete
}
GW_ARGS=(--psk "$SS_LAB_PSK" --proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16-x25519)
SITE_ARGS=(--psk "$SS_LAB_PSK" --proposals aes128gcm16-prfsha256-x25519 --esp-proposals aes128gcm16-x25519)
CONF_OPTS= CERT_ALG= VERIFY_PSK=$(base64 -d <<<"${SS_LAB_PSK#0s}")
ike_lab_up "$LAB" strongswan || { echo "lab setup failed"; exit 1; }
results=()
scenario psk-x25519 actions_psk; results+=("psk-x25519: $?")

# 2. ECP-256 after INVALID_KE_PAYLOAD: the site offers X25519 first, the gateway wants ECP-256.
actions_up_down() {
	ss_initiate "$SITE" c 20 || return 1
	ip netns exec "${LAB}a" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null || return 1
	ss_terminate "$SITE" gw 10
}
GW_ARGS=(--psk "$SS_LAB_PSK" --proposals aes128gcm16-prfsha256-ecp256 --esp-proposals aes128gcm16 --mobike no)
SITE_ARGS=(--psk "$SS_LAB_PSK" --proposals aes128gcm16-prfsha256-x25519-ecp256 --esp-proposals aes128gcm16 --mobike no)
scenario psk-ecp256-invalid-ke actions_up_down; results+=("psk-ecp256-invalid-ke: $?")

# 3. RSA certificates, IKE_AUTH in IKE fragments (RFC 7383) of at most 576-byte datagrams.
ike_make_pki "$WORK/pki" gw@192.0.2.1 site1@192.0.2.2 >/dev/null || exit 1
rm -rf "$OUT/rsa-cert-frag-pki"; mkdir -p "$OUT/rsa-cert-frag-pki"
cp "$WORK/pki/rsa/"{ca.crt,gw.crt,gw.key,site1.crt,site1.key} "$OUT/rsa-cert-frag-pki/"
GW_ARGS=(--cert gw.crt --cacert rsa-ca.crt --send-cert always --fragmentation yes --proposals aes128gcm16-prfsha256-ecp256 --esp-proposals aes128gcm16 --mobike no)
SITE_ARGS=(--cert site1.crt --cacert rsa-ca.crt --send-cert always --fragmentation yes --proposals aes128gcm16-prfsha256-ecp256 --esp-proposals aes128gcm16 --mobike no)
CONF_OPTS=fragment_size=576 CERT_ALG=rsa VERIFY_PSK=
scenario rsa-cert-frag actions_up_down; results+=("rsa-cert-frag: $?")

printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -qv ': 0$'
