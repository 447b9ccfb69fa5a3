#!/usr/bin/env bash
# Builds the IKEv2 codec fuzz target (libFuzzer + AddressSanitizer) from the StraitIKEWire and StraitCore
# sources with swiftc, makes a seed corpus (the codec's own encodings of every payload type plus the
# strongSwan captures of the unit tests), checks that every seed message decodes, then fuzzes for a
# bounded time. Fails on any crash, sanitizer report, broken invariant or timeout.
#
#   bash Tests/fuzz/ike/run.sh                 # 60 s (CI)
#   FUZZ_SECONDS=600 bash Tests/fuzz/ike/run.sh
#   FUZZ_KEEP=1 ...                            # keep the work directory (corpus, logs, crashes)
#
# Needs no root and no DPDK. Crash inputs are left in the work directory, which is then kept and named.
set -u
cd "$(dirname "$0")/../../.."
SECONDS_TOTAL=${FUZZ_SECONDS:-60}
SWIFTC=${FUZZ_SWIFTC:-/opt/swift/usr/bin/swiftc}
[ -x "$SWIFTC" ] || SWIFTC=$(command -v swiftc) || { echo "fuzz-ike: no swiftc"; exit 2; }
WORK=$(mktemp -d /tmp/strait-fuzz-ike.XXXXXX)
keep=${FUZZ_KEEP:-0}
cleanup() { if [ "$keep" = 1 ]; then echo "fuzz-ike: work directory kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

# Three modules, as SwiftPM builds them (StraitIKEWire imports StraitCore), all instrumented.
FLAGS=(-O -g -sanitize=fuzzer,address -parse-as-library -I "$WORK/mod")
mkdir -p "$WORK/mod" "$WORK/seeds" "$WORK/corpus"
build() {
	local name=$1; shift
	"$SWIFTC" "${FLAGS[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$WORK/mod/$name.swiftmodule" \
		-c "$@" -o "$WORK/$name.o" >> "$WORK/build.log" 2>&1
}
echo "fuzz-ike: building"
build StraitCore Sources/StraitCore/*.swift &&
	build StraitIKEWire $(find Sources/StraitIKEWire -name '*.swift' | sort) &&
	"$SWIFTC" "${FLAGS[@]}" -module-name fuzz_ike Tests/fuzz/ike/*.swift "$WORK/StraitCore.o" "$WORK/StraitIKEWire.o" \
		-o "$WORK/fuzz_ike" >> "$WORK/build.log" 2>&1 ||
	{ cat "$WORK/build.log"; keep=1; exit 1; }

own=$(STRAIT_FUZZ_WRITE_SEEDS="$WORK/seeds" "$WORK/fuzz_ike") || { echo "fuzz-ike: cannot write seeds"; exit 1; }
captured=$(/usr/bin/python3 Tests/fuzz/ike/make_seeds.py Tests/StraitIKEWireTests/Fixtures/StrongSwanCapture.swift \
	"$WORK/seeds") || { echo "fuzz-ike: cannot read the strongSwan captures"; exit 1; }
valid=$((own + captured))
echo "fuzz-ike: $(ls "$WORK/seeds" | wc -l) seeds, $valid of them whole messages"

# The message seeds alone, each once: every one must decode (and survive the target's re-encoding checks).
if ! STRAIT_FUZZ_EXPECT_MESSAGES=1 timeout 120 "$WORK/fuzz_ike" "$WORK"/seeds/msg-* > "$WORK/seeds.log" 2>&1; then
	echo "FAIL: a seed message does not decode"; grep -E "^fuzz: " "$WORK/seeds.log"; keep=1; exit 1
fi
ran=$(grep -c '^Executed ' "$WORK/seeds.log")
[ "$ran" = "$valid" ] || { echo "FAIL: fuzz_ike ran $ran of $valid seed messages"; keep=1; exit 1; }

echo "fuzz-ike: fuzz_ike for $SECONDS_TOTAL s"
timeout $((SECONDS_TOTAL + 120)) "$WORK/fuzz_ike" -max_total_time="$SECONDS_TOTAL" -timeout=10 -max_len=8192 \
	-print_final_stats=1 -artifact_prefix="$WORK/fuzz_ike-" "$WORK/corpus" "$WORK/seeds" > "$WORK/fuzz.log" 2>&1
rc=$?
if [ $rc -ne 0 ] || grep -qE "ERROR: (AddressSanitizer|libFuzzer)|^fuzz: " "$WORK/fuzz.log"; then
	echo "FAIL: fuzz_ike (exit $rc)"; grep -vE "^(#|INFO|\")" "$WORK/fuzz.log" | tail -40
	ls "$WORK/fuzz_ike-"* 2>/dev/null
	keep=1
	exit 1
fi
echo "PASS: fuzz_ike: $(grep -E '^stat::number_of_executed_units' "$WORK/fuzz.log" | awk '{print $2}') inputs," \
	"$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$WORK/fuzz.log" | tail -1)," \
	"$(ls "$WORK/corpus" | wc -l) in the corpus, no crash"
