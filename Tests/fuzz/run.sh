#!/usr/bin/env bash
# Builds the ESP fuzz targets (libFuzzer + AddressSanitizer + UBSan) from CFastPath's sources,
# makes a seed corpus with scapy, checks that every valid seed decapsulates, then fuzzes each
# target for a bounded time. Fails on any crash, sanitizer report, broken invariant or timeout.
#
#   bash Tests/fuzz/run.sh                 # 60 s per target (CI)
#   FUZZ_SECONDS=600 bash Tests/fuzz/run.sh
#   FUZZ_KEEP=1 ...                        # keep the work directory (corpus, logs, crashes)
#
# Targets: fuzz_esp_decap (fp_esp_decap_buffer) and fuzz_esp_worker (the worker loop on a
# net_ring port). Root is needed (DPDK). Crash inputs are left in the work directory, which
# is then kept and named in the output.
set -u
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
CLANG=${FUZZ_CLANG:-/opt/swift/usr/bin/clang}
[ -x "$CLANG" ] || CLANG=$(command -v clang) || { echo "fuzz: no clang with libFuzzer"; exit 2; }
WORK=$(mktemp -d /tmp/strait-fuzz.XXXXXX)
keep=${FUZZ_KEEP:-0}
cleanup() {
	# DPDK runtime directories of fuzz processes that died before fp_shutdown.
	for d in /var/run/dpdk/strait-fuzz-*; do
		[ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && rmdir "$d" 2>/dev/null
	done
	if [ "$keep" = 1 ]; then echo "fuzz: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 -DALLOW_EXPERIMENTAL_API
	-Wall -Wno-unused-parameter -ICFastPath/include -ICFastPath $(pkg-config --cflags libdpdk))
LIBS=($(pkg-config --libs libdpdk) -lrte_net_ring -lIPSec_MB -lnuma)
LD=()
[ -x "$(dirname "$CLANG")/ld.lld" ] && LD=(-fuse-ld=lld)
for t in fuzz_esp_decap fuzz_esp_worker; do
	echo "fuzz: building $t"
	"$CLANG" "${LD[@]}" "${CFLAGS[@]}" CFastPath/*.c "Tests/fuzz/$t.c" -o "$WORK/$t" "${LIBS[@]}" \
		> "$WORK/$t.build.log" 2>&1 || { cat "$WORK/$t.build.log"; keep=1; exit 1; }
done

valid=$(/usr/bin/python3 Tests/fuzz/make_seeds.py "$WORK/seeds") || { echo "fuzz: cannot make seeds"; exit 1; }
echo "fuzz: $(ls "$WORK/seeds" | wc -l) seeds, $valid of them valid ESP"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for t in fuzz_esp_decap fuzz_esp_worker; do
	# The seeds alone: every valid one must come out decrypted (keys and SAs in step).
	STRAIT_FUZZ_STATS=1 timeout 300 "$WORK/$t" -runs=0 "$WORK/seeds" > "$WORK/$t.seeds.log" 2>&1
	got=$(sed -n 's/^fuzz stats: [0-9]* inputs, \([0-9]*\) decapsulated$/\1/p' "$WORK/$t.seeds.log")
	if [ "$got" != "$valid" ]; then
		echo "FAIL: $t decapsulated ${got:-?} of $valid valid seeds"; tail -20 "$WORK/$t.seeds.log"; failed=1; continue
	fi
	mkdir -p "$WORK/corpus-$t"
	echo "fuzz: $t for $SECONDS_PER_TARGET s"
	timeout $((SECONDS_PER_TARGET + 120)) "$WORK/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=30 -max_len=1700 \
		-print_final_stats=1 -artifact_prefix="$WORK/$t-" "$WORK/corpus-$t" "$WORK/seeds" > "$WORK/$t.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || grep -qE "ERROR: (AddressSanitizer|libFuzzer)|runtime error:|^fuzz: " "$WORK/$t.log"; then
		echo "FAIL: $t (exit $rc)"; grep -vE "^(#|INFO|\")" "$WORK/$t.log" | tail -40
		ls "$WORK/$t-"* 2>/dev/null && keep=1
		failed=1
	else
		echo "PASS: $t: $(grep -E '^stat::number_of_executed_units' "$WORK/$t.log" | awk '{print $2}') inputs," \
			"$(ls "$WORK/corpus-$t" | wc -l) in the corpus, no crash"
	fi
done
[ $failed -eq 0 ]
