#!/usr/bin/env bash
# Reserves 2 MiB hugepages for straitd when the machine allows it (run as root). Strait also
# runs without them (fast-path.hugepages: false -> DPDK --no-huge); this only makes the
# hugepage configuration testable where the kernel can give pages.
set -u
want=${1:-512}
f=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -w "$f" ] || { echo "hugepages: not available here; running with --no-huge"; exit 0; }
cur=$(cat "$f")
[ "$cur" -ge "$want" ] || echo "$want" > "$f" 2>/dev/null
mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; }
echo "hugepages: $(cat "$f") x 2 MiB reserved"
