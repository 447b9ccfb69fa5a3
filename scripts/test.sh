#!/usr/bin/env bash
# Runs every test of Strait on this machine (root, Debian 12): unit tests (swift test),
# then the namespace labs in Tests/lab against the release binaries.
# Prints one closing line: "N passed, M failed" (suites), and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
[ "$(id -u)" -eq 0 ] || { echo "scripts/test.sh must run as root (namespaces, DPDK)"; exit 2; }
bash scripts/install-deps.sh || exit 2
bash scripts/hugepages.sh 512 >/dev/null
mkdir -p /run/strait

passed=0
failed=0
results=()
suite() {
	local name=$1; shift
	echo "=== $name"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1)); results+=("PASS  $name ($((SECONDS - t0)) s)")
	else
		failed=$((failed + 1)); results+=("FAIL  $name ($((SECONDS - t0)) s)")
	fi
}

suite "build (release)" swift build -c release
suite "unit tests (swift test)" swift test
suite "ESP interop with scapy" bash -c "swift build -c release --product strait-esp-tool && timeout 900 /usr/bin/python3 Tests/interop/esp_interop.py"
suite "ESP fuzz (libFuzzer)" timeout 900 bash Tests/fuzz/run.sh
suite "IKE codec fuzz (libFuzzer)" timeout 600 bash Tests/fuzz/ike/run.sh
for lab in Tests/lab/test-*.sh; do
	suite "lab $(basename "$lab" .sh)" timeout 600 bash "$lab"
done

echo
echo "=== summary"
printf '%s\n' "${results[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
