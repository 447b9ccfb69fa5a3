#!/usr/bin/env bash
# straitd refuses bad configs: each case names file, line and key, exits non-zero, and
# nothing starts (no kernel mirror appears, no DPDK runtime files).
source "$(dirname "$0")/lib.sh"
trap lab_cleanup EXIT
set +e
ip netns add "${LAB}gw" || exit 1
ip link add gw-lan netns "${LAB}gw" type veth peer name gw-lan-p netns "${LAB}gw"

base() {
cat <<YAML
fast-path:
  instance: cfgtest
  core-mask: "1"
  control-core: 0
  nb-mbuf: 8192
  memory-mb: 512
ports:
  - name: lan01
    device: net_af_packet0,iface=gw-lan
    addresses: [10.20.1.1/24]
YAML
}

# case name | text appended or substituted | expected "line:key" fragment
run_case() {
	local name=$1 expect=$2 file="$WORK/$1.yaml"
	cat >"$file"
	local out
	out=$(ngw "$BIN/straitd" --check "$file" 2>&1)
	local rc=$?
	if [ $rc -ne 0 ] && grep -q -- "$file:$expect" <<<"$out"; then
		pass "$name refused: $(head -1 <<<"$out" | sed "s|$WORK/||")"
	else
		fail "$name: rc=$rc, wanted '$file:$expect', got: $out"
	fi
}

base | sed 's/core-mask: "1"/core-mak: "1"/' >"$WORK/in.yaml"; run_case unknown-key "3:[0-9]*: fast-path.core-mak" <"$WORK/in.yaml"
base | sed 's/nb-mbuf: 8192/nb-mbuf: lots/' >"$WORK/in.yaml"; run_case wrong-type "5:[0-9]*: fast-path.nb-mbuf" <"$WORK/in.yaml"
base | sed 's/core-mask: "1"/core-mask: "1-77"/' >"$WORK/in.yaml"; run_case cpu-missing "3:[0-9]*: fast-path.core-mask" <"$WORK/in.yaml"
base | sed 's/core-mask: "1"/core-mask: "0-1"/' >"$WORK/in.yaml"; run_case overlaps-control "4:[0-9]*: fast-path.control-core" <"$WORK/in.yaml"
base | sed 's/iface=gw-lan/iface=no-such-if/' >"$WORK/in.yaml"; run_case port-cannot-open "9:[0-9]*: ports\[0\].device" <"$WORK/in.yaml"
{ base; cat <<YAML
  - name: wan01
    device: net_af_packet1,iface=gw-lan-p
    addresses: [10.20.1.1/24]
YAML
} >"$WORK/in.yaml"; run_case duplicate-address "13:[0-9]*: ports\[1\].addresses" <"$WORK/in.yaml"
{ base; cat <<YAML
routes:
  - prefix: 10.30.0.1/16
    via: 10.20.1.254
YAML
} >"$WORK/in.yaml"; run_case route-host-bits "12:[0-9]*: routes\[0\].prefix" <"$WORK/in.yaml"
base | sed 's/memory-mb: 512/memory-mb: 70/' >"$WORK/in.yaml"; run_case memory-too-small "6:[0-9]*: fast-path.memory-mb" <"$WORK/in.yaml"
printf 'fast-path:\n  core-mask: [1\n' >"$WORK/in.yaml"; run_case yaml-syntax "[0-9]*:[0-9]*:" <"$WORK/in.yaml"

# A refused config starts nothing: straitd --config exits non-zero and no mirror appears.
base | sed 's/iface=gw-lan/iface=no-such-if/' >"$WORK/bad.yaml"
ngw timeout 20 "$BIN/straitd" --config "$WORK/bad.yaml" >"$WORK/bad.log" 2>&1
rc=$?
check "straitd --config on a bad file exits non-zero (rc=$rc)" test $rc -ne 0 -a $rc -ne 124
check "... and creates no kernel mirror" bash -c "! ip netns exec ${LAB}gw ip link show lan01 >/dev/null 2>&1"
check "... and leaves no DPDK runtime directory" test ! -e /var/run/dpdk/cfgtest
check "straitd --check accepts the shipped default config" bash -c "'$BIN/straitd' --print-default >'$WORK/d.yaml' && cmp -s '$WORK/d.yaml' '$ROOT/conf/default.yaml'"

lab_summary
