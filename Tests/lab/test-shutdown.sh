#!/usr/bin/env bash
# SIGTERM (and SIGINT) stop straitd cleanly: exit 0, kernel mirrors removed, no hugepage
# files or DPDK runtime files left. Uses hugepages when the machine has them reserved.
source "$(dirname "$0")/lib.sh"
trap lab_cleanup EXIT
set +e
lab_up || exit 1

huge=false
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null || echo 0)" -ge 256 ] && huge=true
log "hugepages: $huge"
for sig in TERM INT; do
	cat >"$WORK/sd.yaml" <<YAML
fast-path:
  instance: sdtest
  core-mask: "1"
  control-core: 0
  nb-mbuf: 8192
  hugepages: $huge
  memory-mb: 512
control:
  socket: $WORK/sd.sock
ports:
  - name: lan01
    device: net_af_packet0,iface=gw-lan
    addresses: [10.10.1.1/24]
  - name: wan01
    device: net_af_packet1,iface=gw-wan
    addresses: [10.10.2.1/24]
YAML
	straitd_start "$WORK/sd.sock" --config "$WORK/sd.yaml" || { fail "straitd starts (SIG$sig run)"; continue; }
	check "mirrors lan01 and wan01 exist while running" bash -c "ip netns exec ${LAB}gw ip link show lan01 >/dev/null && ip netns exec ${LAB}gw ip link show wan01 >/dev/null"
	kill -"$sig" "$STRAITD_PID"
	rc=124
	for _ in $(seq 100); do
		if ! kill -0 "$STRAITD_PID" 2>/dev/null; then wait "$STRAITD_PID"; rc=$?; break; fi
		sleep 0.1
	done
	check "SIG$sig: straitd exits 0 within 10 s (rc=$rc)" test "$rc" -eq 0
	check "SIG$sig: no TAP mirror left" bash -c "! ip netns exec ${LAB}gw ip link show lan01 >/dev/null 2>&1 && ! ip netns exec ${LAB}gw ip link show wan01 >/dev/null 2>&1"
	check "SIG$sig: no hugepage files left" bash -c "! ls /dev/hugepages 2>/dev/null | grep -q sdtest"
	check "SIG$sig: no DPDK runtime directory left" test ! -e /var/run/dpdk/sdtest
	check "SIG$sig: control socket removed" test ! -e "$WORK/sd.sock"
	grep -q "stopped" "$WORK/straitd.log" || cat "$WORK/straitd.log"
done
lab_summary
