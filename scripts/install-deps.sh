#!/usr/bin/env bash
# Installs everything Strait needs on a fresh Debian 12 machine (run as root).
# The Swift toolchain is expected at /opt/swift (or on PATH); everything else comes from apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
	pkg-config dpdk dpdk-dev libdpdk-dev libnuma-dev libssl-dev libipsec-mb-dev
	iproute2 iputils-ping ethtool iperf3 tcpdump tshark python3 python3-scapy python3-cryptography procps
	# strongSwan as the IKEv2 peer of the labs (Tests/lab/strongswan-lib.sh), its pki tool,
	# openssl, and nftables (NAT between namespaces)
	strongswan-charon strongswan-swanctl charon-systemd libcharon-extra-plugins
	libstrongswan-extra-plugins libstrongswan-standard-plugins strongswan-pki openssl nftables
	# keepalived as the VRRP peer of Tests/lab/test-vrrp.sh (run per namespace, never as a service)
	keepalived
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -qq
	# tshark asks whether non-root users may capture; the answer does not matter here.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	# strongSwan's packages start a system-wide charon (strongswan.service, and the ipsec
	# starter): the labs run their own, one per namespace. No service starts during the
	# install (a policy-rc.d, unless the machine has one), and none at boot (below).
	own_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
	[ $rc -eq 0 ] || exit $rc
fi
if [ -d /run/systemd/system ]; then
	for unit in strongswan.service strongswan-starter.service keepalived.service; do
		if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
			systemctl disable --now --quiet "$unit" 2>/dev/null || true
		fi
	done
elif ls /etc/rc[2-5].d/S*ipsec >/dev/null 2>&1; then
	update-rc.d ipsec disable >/dev/null 2>&1 || true
fi
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift --version >/dev/null
