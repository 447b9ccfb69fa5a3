# strongSwan helpers for Strait's IKEv2 labs. Source it; do not run it.
#
# One strongSwan instance = one folder (DIR) holding its strongswan.conf, swanctl.conf,
# credentials (x509/, x509ca/, private/), its vici socket (charon.vici), its log
# (charon.log) and its pid (charon.pid). It runs charon-systemd inside a network namespace
# with the kernel-libipsec backend (this kernel has no ESP: ESP is done in user space
# through a TUN device, ipsec0, and always in UDP 4500, RFC 3948), so any number of
# instances run side by side, one per namespace. Nothing here touches a process it did not
# start; every wait is bounded.
#
# A strongSwan site at 192.0.2.2 (10.2.0.0/24 behind it, host B 10.2.0.2) against straitd
# at 192.0.2.1 (10.1.0.0/24 behind it, host A 10.1.0.2), the site initiating with a PSK:
#
#   source Tests/lab/lib.sh; source Tests/lab/strongswan-lib.sh
#   trap 'ss_cleanup; lab_cleanup; ike_lab_down "$LAB"' EXIT
#   ike_lab_up "$LAB" straitd            # ${LAB}ga's ga-lan/ga-wan are left for straitd
#   ... start straitd in ${LAB}ga (lan01 10.1.0.1/24 on ga-lan, wan01 192.0.2.1/24 on ga-wan)
#   D=$WORK/site1; ss_write_conf "$D"
#   ss_swanctl_conf "$D" --local-addrs 192.0.2.2 --remote-addrs 192.0.2.1 \
#       --local-id site1.strait.test --remote-id gw.strait.test --psk "$SS_LAB_PSK" \
#       --local-ts 10.2.0.0/24 --remote-ts 10.1.0.0/24      # connection "site", CHILD "c"
#   ss_start "${LAB}gb" "$D" && ss_load "$D" && ss_initiate "$D" c 20
#   ss_ike_state "$D" site               # ESTABLISHED
#   ss_child_spis "$D" site c            # "c1a2b3c4 cf00ba12" (in out), one line per CHILD SA
#   ip netns exec "${LAB}a" ping -c 3 10.2.0.2
#   ss_child_stat "$D" site c packets-in # summed over the CHILD's installed SAs
#
# For "straitd initiates": ss_swanctl_conf ... --responder, and no ss_initiate.
# strongswan-selftest.sh runs all this with a second strongSwan in place of straitd.
#
# Functions: see the one-line comment above each. Requires root, strongSwan 5.9
# (scripts/install-deps.sh), python3.

SS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SS_CHARON=${SS_CHARON:-/usr/sbin/charon-systemd}
SS_SWANCTL=${SS_SWANCTL:-/usr/sbin/swanctl}
SS_PKI=${SS_PKI:-/usr/bin/pki}
# Lab-only pre-shared key (swanctl's 0s = base64 of "strait-lab-psk-0123456789").
SS_LAB_PSK=${SS_LAB_PSK:-0sc3RyYWl0LWxhYi1wc2stMDEyMzQ1Njc4OQ==}
# Instances started by ss_start in this shell (their folders), for ss_cleanup.
SS_DIRS=()

# The default plugin list: crypto (openssl does ECDSA/RSA/ECP/X25519 too), certificates
# (x509, pem, pkcs1, pkcs8, pubkey, constraints; no revocation: no CRL/OCSP fetches),
# vici, the user-space ESP backend, and counters (swanctl --counters).
SS_PLUGINS_DEFAULT="random nonce aes sha1 sha2 hmac gcm kdf openssl curve25519 x509 pubkey pem pkcs1 pkcs8 constraints vici kernel-libipsec kernel-netlink socket-default updown counters"

# ss_write_conf DIR [key=value ...]: write DIR/strongswan.conf for one instance. Keys:
#   plugins="..." (load list), log_default=1 log_ike=2 log_knl=1 log_net=1 log_enc=1
#   log_esp=1 log_cfg=1 log_chd=1 log_mgr=0 log_lib=1 (-1..4; ike=4 and chd=4 log IKE/ESP
#   keys), fragment_size=1280, port=500, port_nat_t=4500, retransmit_timeout=4.0,
#   retransmit_tries=5, retransmit_base=1.8, retransmit_jitter=0, threads=16 (with 8,
#   kernel-libipsec and the receivers hold them all and vici never answers),
#   extra='raw lines' (appended inside the charon-systemd section).
ss_write_conf() {
	local dir=$1; shift
	local -A o=(
		[plugins]=$SS_PLUGINS_DEFAULT [log_default]=1 [log_ike]=2 [log_knl]=1 [log_net]=1
		[log_enc]=1 [log_esp]=1 [log_cfg]=1 [log_chd]=1 [log_mgr]=0 [log_lib]=1
		[fragment_size]=1280 [port]=500 [port_nat_t]=4500 [retransmit_timeout]=4.0
		[retransmit_tries]=5 [retransmit_base]=1.8 [retransmit_jitter]=0 [threads]=16 [extra]=
	)
	local kv
	for kv in "$@"; do
		[ -n "${o[${kv%%=*}]+x}" ] || { echo "ss_write_conf: unknown key ${kv%%=*}" >&2; return 2; }
		o[${kv%%=*}]=${kv#*=}
	done
	mkdir -p "$dir"/{x509,x509ca,private} || return 1
	dir=$(cd "$dir" && pwd)
	cat >"$dir/strongswan.conf" <<-EOF
	# strongSwan instance for a Strait lab (written by Tests/lab/strongswan-lib.sh)
	charon-systemd {
	  load = ${o[plugins]}
	  port = ${o[port]}
	  port_nat_t = ${o[port_nat_t]}
	  fragment_size = ${o[fragment_size]}
	  retransmit_timeout = ${o[retransmit_timeout]}
	  retransmit_tries = ${o[retransmit_tries]}
	  retransmit_base = ${o[retransmit_base]}
	  retransmit_jitter = ${o[retransmit_jitter]}
	  threads = ${o[threads]}
	  install_routes = yes
	  install_virtual_ip = yes
	  plugins {
	    vici {
	      socket = unix://$dir/charon.vici
	    }
	    kernel-libipsec {
	      allow_peer_ts = yes
	    }
	  }
	  journal {
	    default = -1
	  }
	  filelog {
	    charon {
	      path = $dir/charon.log
	      append = yes
	      flush_line = yes
	      ike_name = yes
	      time_format = %H:%M:%S
	      time_add_ms = yes
	      default = ${o[log_default]}
	      ike = ${o[log_ike]}
	      knl = ${o[log_knl]}
	      net = ${o[log_net]}
	      enc = ${o[log_enc]}
	      esp = ${o[log_esp]}
	      cfg = ${o[log_cfg]}
	      chd = ${o[log_chd]}
	      mgr = ${o[log_mgr]}
	      lib = ${o[log_lib]}
	    }
	  }
	${o[extra]}
	}
	EOF
}

# ss_uri DIR: the vici URI of the instance in DIR.
ss_uri() { echo "unix://$(cd "$1" && pwd)/charon.vici"; }

# ss_ctl DIR ARGS...: swanctl against the instance in DIR (bounded to 60 s).
ss_ctl() {
	local dir=$1; shift
	timeout 60 "$SS_SWANCTL" "$@" --uri "$(ss_uri "$dir")"
}

# ss_start NS DIR [timeout_s=15]: start charon-systemd in namespace NS with DIR's
# strongswan.conf; wait until its vici socket answers; pid in DIR/charon.pid.
ss_start() {
	local ns=$1 dir=$2 limit=${3:-15} pid i
	dir=$(cd "$dir" && pwd) || return 1
	[ -f "$dir/strongswan.conf" ] || { echo "ss_start: no $dir/strongswan.conf" >&2; return 1; }
	rm -f "$dir/charon.vici"
	# `ip netns exec` execs charon-systemd, so $! is charon itself.
	STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" "$SS_CHARON" >>"$dir/charon.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/charon.pid"
	echo "$ns" >"$dir/charon.netns"
	SS_DIRS+=("$dir")
	for i in $(seq $((limit * 5))); do
		if [ -S "$dir/charon.vici" ] && timeout 5 "$SS_SWANCTL" --stats --uri "unix://$dir/charon.vici" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "ss_start: charon in $ns ($dir) did not answer on vici; its output and log:" >&2
	tail -n 20 "$dir/charon.out" "$dir/charon.log" >&2 2>/dev/null
	return 1
}

# ss_pid DIR: the pid of the instance in DIR (empty if none recorded).
ss_pid() { cat "$1/charon.pid" 2>/dev/null; }

# ss_running DIR: true if the instance in DIR is alive.
ss_running() { local p; p=$(ss_pid "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# ss_stop DIR [timeout_s=5]: SIGTERM the instance by its recorded pid, wait bounded,
# SIGKILL if it is still there.
ss_stop() {
	local dir=$1 limit=${2:-5} pid i
	pid=$(ss_pid "$dir")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq $((limit * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "ss_stop: charon $pid ($dir) ignored SIGTERM for ${limit}s, killing" >&2
		kill -KILL "$pid" 2>/dev/null
		for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$dir/charon.pid" "$dir/charon.vici"
}

# ss_cleanup: stop every instance this shell started (for an EXIT trap; never fails).
ss_cleanup() {
	local dir
	for dir in "${SS_DIRS[@]}"; do
		[ -f "$dir/charon.pid" ] && kill -TERM "$(ss_pid "$dir")" 2>/dev/null
	done
	for dir in "${SS_DIRS[@]}"; do
		[ -f "$dir/charon.pid" ] && ss_stop "$dir" 3 2>/dev/null
	done
	return 0
}

# ss_swanctl_conf DIR ARGS...: write DIR/swanctl.conf with strongswan-conf.py (see its
# --help: auth, ids, proposals, traffic selectors, lifetimes, DPD, MOBIKE, fragmentation,
# encap, start action, responder mode). Add --append to add another connection.
ss_swanctl_conf() {
	local dir=$1; shift
	/usr/bin/python3 "$SS_LIB_DIR/strongswan-conf.py" --out "$dir/swanctl.conf" "$@"
}

# ss_load DIR [FILE=DIR/swanctl.conf]: load connections, secrets and the credentials in
# DIR/x509, DIR/x509ca, DIR/private (swanctl looks next to the file).
ss_load() {
	local dir=$1 file=${2:-$1/swanctl.conf} out rc
	out=$(ss_ctl "$dir" --load-all --noprompt --file "$file" 2>&1); rc=$?
	printf '%s\n' "$out" >>"$dir/swanctl.log"
	[ $rc -eq 0 ] || { echo "ss_load ($dir): swanctl failed ($rc):" >&2; printf '%s\n' "$out" >&2; }
	return $rc
}

# ss_initiate DIR CHILD [timeout_s=20] [IKE]: initiate CHILD (and its IKE SA); true once
# the CHILD SA is installed. swanctl's log goes to DIR/swanctl.log.
ss_initiate() {
	local dir=$1 child=$2 limit=${3:-20} ike=${4:-} rc
	local args=(--initiate --child "$child" --timeout "$limit")
	[ -n "$ike" ] && args+=(--ike "$ike")
	timeout $((limit + 5)) "$SS_SWANCTL" "${args[@]}" --uri "$(ss_uri "$dir")" >>"$dir/swanctl.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "ss_initiate ($dir): $child failed ($rc); see $dir/swanctl.log and $dir/charon.log" >&2
	return $rc
}

# ss_terminate DIR IKE [timeout_s=10]: delete the IKE SA(s) of connection IKE (and their
# CHILD SAs), waiting for the peer's answer up to timeout.
ss_terminate() {
	local dir=$1 ike=$2 limit=${3:-10}
	timeout $((limit + 5)) "$SS_SWANCTL" --terminate --ike "$ike" --timeout "$limit" \
		--uri "$(ss_uri "$dir")" >>"$dir/swanctl.log" 2>&1
}

# ss_rekey DIR --ike NAME | --child NAME [--reauth]: start a rekeying now.
ss_rekey() {
	local dir=$1; shift
	ss_ctl "$dir" --rekey "$@" >>"$dir/swanctl.log" 2>&1
}

# ss_list_sas DIR [swanctl options, e.g. --raw, --pretty, --ike NAME]: list the SAs.
ss_list_sas() {
	local dir=$1; shift
	ss_ctl "$dir" --list-sas "$@"
}

# ss_sas_json DIR: all IKE SAs as JSON ({"IKE-NAME": [{...IKE SA, "child-sas": {...}}]}).
ss_sas_json() {
	ss_ctl "$1" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" sas
}

# ss_ike_state DIR IKE: state of connection IKE's IKE SA (ESTABLISHED, CONNECTING,
# REKEYING, DELETING, ...; one line per IKE SA; nothing if none).
ss_ike_state() {
	ss_ctl "$1" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" ike "$2" state
}

# ss_ike_field DIR IKE FIELD: any field of IKE's SA(s) (initiator-spi, responder-spi,
# encr-alg, prf-alg, dh-group, nat-local, nat-remote, rekey-time, ...).
ss_ike_field() {
	ss_ctl "$1" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" ike "$2" "$3"
}

# ss_child_spis DIR IKE CHILD: "SPI-IN SPI-OUT" (hex) of each installed CHILD SA named CHILD.
ss_child_spis() {
	ss_ctl "$1" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" child "$2" "$3" spi-in spi-out
}

# ss_child_field DIR IKE CHILD FIELD...: fields of each installed CHILD SA (one line each):
# state, spi-in, spi-out, encap, encr-alg, bytes-in, packets-in, bytes-out, packets-out,
# use-in, use-out, rekey-time, life-time, local-ts, remote-ts, ...
ss_child_field() {
	local dir=$1; shift
	ss_ctl "$dir" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" child "$@"
}

# ss_child_stat DIR IKE CHILD bytes-in|packets-in|bytes-out|packets-out: the counter
# summed over CHILD's installed SAs (0 if none). Counters restart with each rekeyed SA.
ss_child_stat() {
	ss_ctl "$1" --list-sas --pretty 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" sum "$2" "$3" "$4"
}

# ss_wait_child DIR IKE CHILD [timeout_s=20]: wait until CHILD has an installed SA.
ss_wait_child() {
	local i
	for i in $(seq $((${4:-20} * 5))); do
		[ -n "$(ss_child_spis "$1" "$2" "$3")" ] && return 0
		sleep 0.2
	done
	return 1
}

# ss_wait_ike DIR IKE STATE [timeout_s=20]: wait until IKE's SA is in STATE (or, with
# STATE "none", until it has none).
ss_wait_ike() {
	local i s
	for i in $(seq $((${4:-20} * 5))); do
		s=$(ss_ike_state "$1" "$2")
		if [ "$3" = none ]; then [ -z "$s" ] && return 0; else grep -qx "$3" <<<"$s" && return 0; fi
		sleep 0.2
	done
	return 1
}

# ss_counters DIR [IKE]: IKE message counters (counters plugin) as "name value" lines,
# globally or for connection IKE: ike-rekey-init, ike-rekey-resp, child-rekey, invalid,
# invalid-spi, init-in-req, init-in-resp, init-out-req, init-out-resp, auth-in-req, ...
ss_counters() {
	local args=(--counters --pretty)
	[ -n "${2:-}" ] && args+=(--name "$2")
	ss_ctl "$1" "${args[@]}" 2>/dev/null | /usr/bin/python3 "$SS_LIB_DIR/strongswan-sas.py" counters
}

# ss_counter DIR NAME [IKE]: one counter's value (0 if absent).
ss_counter() {
	local v
	v=$(ss_counters "$1" "${3:-}" | awk -v n="$2" '$1 == n { print $2 }')
	echo "${v:-0}"
}

# ss_esp_replay_failures DIR: inbound ESP packets libipsec dropped for their sequence
# number (replayed, or left of the window) since the log began. strongSwan does not count
# these anywhere a client can query; libipsec logs each one at esp level 1.
ss_esp_replay_failures() { local n; n=$(grep -c 'ESP sequence number verification failed' "$1/charon.log" 2>/dev/null); echo "${n:-0}"; }

# ss_esp_auth_failures DIR: inbound ESP packets that failed ICV (authentication) checks.
ss_esp_auth_failures() { local n; n=$(grep -c 'ESP decryption or ICV verification failed' "$1/charon.log" 2>/dev/null); echo "${n:-0}"; }

# ss_esp_errors DIR: every ESP-level error libipsec logged (esp level 1), for diagnostics.
ss_esp_errors() { grep -E '\[ESP\]' "$1/charon.log" 2>/dev/null || true; }

# ss_ike_keys DIR: the IKE and ESP keys charon logged (needs ss_write_conf ... log_ike=4
# log_chd=4), one "<ike|n> label: hex" line each (g^ir, SKEYSEED, Sk_*, ESP keys), in order.
ss_ike_keys() { /usr/bin/python3 "$SS_LIB_DIR/ike-fixtures.py" keys "$1/charon.log" /dev/stdout; }

# ss_install_cert DIR PKI ALG NAME: give the instance in DIR the identity NAME from
# ike_make_pki's PKI/ALG (its cert in x509/, key in private/, the CA in x509ca/).
ss_install_cert() {
	local dir=$1 pki=$2/$3 name=$4
	mkdir -p "$dir"/{x509,x509ca,private}
	cp "$pki/ca.crt" "$dir/x509ca/$3-ca.crt" &&
		cp "$pki/$name.crt" "$dir/x509/$name.crt" &&
		cp "$pki/$name.key" "$dir/private/$name.key"
}

# ike_make_pki DIR [NAME[@IP,...] ...]: a test PKI with strongSwan's pki tool: for ALG in
# rsa (2048) and ecdsa (P-256), DIR/ALG/ca.{key,crt} (CN=Strait lab ALG CA) and, per NAME,
# DIR/ALG/NAME.{key,crt} with DN "O=Strait lab, CN=NAME.strait.test" and SANs
# NAME.strait.test (+ each IP), plus NAME.pk8 (PKCS#8 PEM, for OpenSSL users). Default
# names: gw@192.0.2.1 site1@192.0.2.2 site2@192.0.2.3. Certificates are PEM; .der twins too.
ike_make_pki() {
	local dir=$1; shift
	local names=("$@") alg d spec name ips ip keyargs sans
	[ ${#names[@]} -gt 0 ] || names=(gw@192.0.2.1 site1@192.0.2.2 site2@192.0.2.3)
	mkdir -p "$dir" || return 1
	# pki loads every plugin by default (tpm then complains on every call): only what it needs.
	printf 'pki {\n  load = random nonce sha1 sha2 hmac openssl x509 pubkey pem pkcs1 pkcs8 constraints\n}\n' >"$dir/pki.conf"
	local -x STRONGSWAN_CONF=$dir/pki.conf
	for alg in rsa ecdsa; do
		d=$dir/$alg
		mkdir -p "$d" || return 1
		if [ "$alg" = rsa ]; then keyargs=(--type rsa --size 2048); else keyargs=(--type ecdsa --size 256); fi
		"$SS_PKI" --gen "${keyargs[@]}" --outform pem >"$d/ca.key" || return 1
		"$SS_PKI" --self --ca --lifetime 3652 --in "$d/ca.key" --type "$alg" \
			--dn "O=Strait lab, CN=Strait lab ${alg^^} CA" --outform pem >"$d/ca.crt" || return 1
		for spec in "${names[@]}"; do
			name=${spec%%@*}
			ips=; [ "$spec" != "$name" ] && ips=${spec#*@}
			sans=(--san "$name.strait.test")
			for ip in ${ips//,/ }; do sans+=(--san "$ip"); done
			"$SS_PKI" --gen "${keyargs[@]}" --outform pem >"$d/$name.key" || return 1
			"$SS_PKI" --pub --in "$d/$name.key" --type "$alg" |
				"$SS_PKI" --issue --cacert "$d/ca.crt" --cakey "$d/ca.key" --type pub \
					--dn "O=Strait lab, CN=$name.strait.test" "${sans[@]}" \
					--flag serverAuth --flag clientAuth --flag ikeIntermediate \
					--lifetime 1826 --outform pem >"$d/$name.crt" || return 1
			openssl pkcs8 -topk8 -nocrypt -in "$d/$name.key" -out "$d/$name.pk8" 2>/dev/null
			openssl x509 -in "$d/$name.crt" -outform der -out "$d/$name.der" 2>/dev/null
		done
		openssl x509 -in "$d/ca.crt" -outform der -out "$d/ca.der" 2>/dev/null
	done
}

# ike_lab_up P [ga=strongswan|straitd]: the IKE lab's four namespaces, as in test-esp.sh:
#
#   host A (P a)            gateway (P ga)                         site (P gb)                  host B (P b)
#   a0 10.1.0.2/24 -- ga-lan 10.1.0.1  ga-wan 192.0.2.1 -- gb-wan 192.0.2.2  gb-lan 10.2.0.1 -- b0 10.2.0.2/24
#
# With ga=strongswan (default) the gateway namespace routes with the kernel (addresses on
# ga-lan/ga-wan, forwarding on). With ga=straitd its two interfaces are left for DPDK
# af_packet ports (up, no addresses, no IPv6, no offloads), as test-esp.sh does.
# gb is a strongSwan site: addresses, forwarding on, rp_filter off (ipsec0 delivers the
# decrypted packets). Hosts route everything through their gateway.
ike_lab_up() {
	local p=$1 mode=${2:-strongswan} ns pair
	for ns in a ga gb b; do
		ip netns add "$p$ns" || return 1
		ip netns exec "$p$ns" ip link set lo up
	done
	ip link add a0 netns "${p}a" type veth peer name ga-lan netns "${p}ga" || return 1
	ip link add ga-wan netns "${p}ga" type veth peer name gb-wan netns "${p}gb" || return 1
	ip link add gb-lan netns "${p}gb" type veth peer name b0 netns "${p}b" || return 1
	for pair in "a a0" "ga ga-lan" "ga ga-wan" "gb gb-wan" "gb gb-lan" "b b0"; do
		set -- $pair
		ip netns exec "$p$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
		[ "$1" = ga ] && [ "$mode" = straitd ] && ip netns exec "$p$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
		ip netns exec "$p$1" ip link set "$2" up
	done
	ip netns exec "${p}a" ip addr add 10.1.0.2/24 dev a0
	ip netns exec "${p}a" ip route add default via 10.1.0.1
	ip netns exec "${p}b" ip addr add 10.2.0.2/24 dev b0
	ip netns exec "${p}b" ip route add default via 10.2.0.1
	ip netns exec "${p}gb" ip addr add 192.0.2.2/24 dev gb-wan
	ip netns exec "${p}gb" ip addr add 10.2.0.1/24 dev gb-lan
	ip netns exec "${p}gb" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	if [ "$mode" = strongswan ]; then
		ip netns exec "${p}ga" ip addr add 192.0.2.1/24 dev ga-wan
		ip netns exec "${p}ga" ip addr add 10.1.0.1/24 dev ga-lan
		ip netns exec "${p}ga" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	fi
}

# ike_lab_down P: kill what still runs in the lab's namespaces (all of it was started in
# them by the lab) and delete them.
ike_lab_down() {
	local p=$1 ns pid
	for ns in a ga gb b; do
		for pid in $(ip netns pids "$p$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$p$ns" 2>/dev/null
	done
	return 0
}

# gw_start CONFIG / gw_stop: straitd in ${LAB}ga (the caller's `nga` and `gctl`), by its
# pid in GW_PID; each start appends to $WORK/straitd.log under a marker line.
gw_start() {
	echo "=== straitd --config $(basename "$1") at $(date +%T)" >>"$WORK/straitd.log"
	nga "$BIN/straitd" --config "$1" >>"$WORK/straitd.log" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	for _ in $(seq 150); do
		gctl show version >/dev/null 2>&1 && return 0
		kill -0 "$GW_PID" 2>/dev/null || break
		sleep 0.2
	done
	log "straitd did not come up"
	return 1
}
gw_stop() {
	[ -n "$GW_PID" ] || return 0
	kill -TERM "$GW_PID" 2>/dev/null
	for _ in $(seq 300); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$GW_PID" 2>/dev/null && kill -KILL "$GW_PID" 2>/dev/null
	GW_PID=
}
