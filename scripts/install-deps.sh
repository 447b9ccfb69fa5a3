#!/usr/bin/env bash
# Installs everything Strait needs on a fresh Debian 12 machine (run as root).
# The Swift toolchain is expected at /opt/swift (or on PATH); everything else comes from apt.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
	pkg-config dpdk dpdk-dev libdpdk-dev libnuma-dev libssl-dev libipsec-mb-dev
	iproute2 iputils-ping ethtool iperf3 tcpdump tshark python3 python3-scapy python3-cryptography procps
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
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift --version >/dev/null
