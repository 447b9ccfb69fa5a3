#!/usr/bin/env bash
# The Strait demo: an active/standby pair of straitd (VRRP + HA state sync) with two strongSwan
# sites, all in network namespaces on this machine (no NIC needed). The sites bring their
# tunnels up to the pair's virtual address; host A sends ping probes through both tunnels
# and a UDP stream to site 1; `straitctl ha failover-test --trigger kill` kills the active
# with SIGKILL and prints its report: the traffic gap, probes lost, tunnels before and after,
# renegotiations, replay drops. Then the standby's view. Run as root on Debian 12
# (scripts/install-deps.sh runs first; it installs strongSwan, iperf3...).
# The earlier demo, plain forwarding through one straitd: scripts/demo-forwarding.sh.
set -u
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" -eq 0 ] || { echo "scripts/demo.sh must run as root"; exit 2; }
# STRAIT_BIN=dir runs the binaries there instead (no install, no build).
if [ -z "${STRAIT_BIN:-}" ]; then
	bash scripts/install-deps.sh || exit 2
	echo "building straitd and straitctl (release)..."
	swift build -c release --product straitd >/dev/null && swift build -c release --product straitctl >/dev/null || exit 1
fi

LAB=stdemo
source Tests/lab/lib.sh
source Tests/lab/strongswan-lib.sh
set +e
HA_REMOTE_TS=10.2.0.0/15                    # both sites' networks
HA_VRRP_OPTS=", track: { ports: [wan01] }"  # a node whose WAN link is down gives up the addresses
source Tests/lab/ha-pair-lib.sh             # the pair: namespaces, node configs, cleanup on exit
S2=$WORK/site2
say() { printf '\n--- %s\n' "$*"; }

cat <<'TOPO'

  host A 10.1.0.2 -- LAN bridge (virtual 10.1.0.1) -- node 1 straitd (priority 200)
                                                  \-- node 2 straitd (priority 100)
  node 1 -- WAN bridge (virtual 192.0.2.1) -- site 1 strongSwan 192.0.2.2 -- host B 10.2.0.2
  node 2 --/                               \-- site 2 strongSwan 192.0.2.3 -- host C 10.3.0.2
  node 1 sync01 192.168.255.1 ---- 192.168.255.2 sync01 node 2 (HA state sync, encrypted)
TOPO
topology && site_topology c 3 || { echo "could not create the namespaces"; exit 1; }
node_config 1 200; node_config 2 100
say "starting node 1 (becomes active) and node 2 (standby); config: $WORK/n1.yaml"
node_start 1 || exit 1
wait_for 20 field_is n1 role active || { echo "node 1 did not become active"; exit 1; }
node_start 2 || exit 1
wait_for 20 field_is n2 peerConnected True || { echo "the sync link did not come up"; exit 1; }
say "the sites bring their tunnels up to 192.0.2.1 (IKEv2, PSK, AES-GCM)"
site_start "$S1" b 2 && site_start "$S2" c 3 || { echo "a site's tunnel did not come up"; exit 1; }
wait_for 10 field_is n2 inactiveSAs 2
say "node 1: straitctl show ike sa"
hactl n1 show ike sa
say "node 2 (standby): straitctl ha status"
hactl n2 ha status

say "UDP stream host A -> host B (iperf3, 2 Mbit/s) and the failover test from host A:"
echo "    straitctl ha failover-test --node n1.sock --node n2.sock --target 10.2.0.2 --target 10.3.0.2 \\"
echo "        --trigger kill --duration 8"
I1=$(ss_counter "$S1" init-out-req) I2=$(ss_counter "$S2" init-out-req)
nx b iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=($!)
wait_for 5 eval 'nx b ss -ltn | grep -q :5201'
timeout 20 ip netns exec "${LAB}a" iperf3 -u -c 10.2.0.2 -p 5201 -b 2M -l 1000 -t 9 --connect-timeout 3000 --json \
	>"$WORK/iperf.json" 2>&1 &
IPERF=$!
sleep 0.3
nx a "$BIN/straitctl" ha failover-test --node "$WORK/n1.sock" --node "$WORK/n2.sock" \
	--target 10.2.0.2 --target 10.3.0.2 --trigger kill --duration 8
RC=$?
N1_PID=
wait "$IPERF"
echo
python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['end']['sum']; print('UDP stream: %d of %d datagrams lost (%.1f%%)' % (s['lost_packets'], s['packets'], s['lost_percent']))" \
	"$WORK/iperf.json" 2>/dev/null || echo "UDP stream: no result"
echo "site 1: new IKE_SA_INIT sent: $(( $(ss_counter "$S1" init-out-req) - I1 )); ESP replay errors: $(ss_esp_replay_failures "$S1"), ICV errors: $(ss_esp_auth_failures "$S1")"
echo "site 2: new IKE_SA_INIT sent: $(( $(ss_counter "$S2" init-out-req) - I2 )); ESP replay errors: $(ss_esp_replay_failures "$S2"), ICV errors: $(ss_esp_auth_failures "$S2")"
say "node 2, now active: straitctl ha status"
hactl n2 ha status
say "done: the namespaces and processes go away (failover-test exit status $RC)"
exit "$RC"
