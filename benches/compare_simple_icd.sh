#!/usr/bin/env bash
# Compares Practicum's ICD-10-CM validation speed with the Python package
# simple-icd-10-cm 1.5.0 on the same codes, in one run. Installs the package
# into a virtual environment under target/ (a test tool; the service never
# needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q simple-icd-10-cm==1.5.0
fi
out=$(PRACTICUM_BENCH_CODES=target/bench-codes.txt cargo bench --bench codes -- --quick 2>/dev/null | tee /dev/stderr | grep "validations:")
rust_rate=$(echo "$out" | sed -E 's/.*: ([0-9.]+) million.*/\1/')
"$venv/bin/python" - "$rust_rate" <<'PY'
import sys, time
import simple_icd_10_cm as cm
codes = [l.strip() for l in open("target/bench-codes.txt") if l.strip()]
rounds = 5
t = time.perf_counter()
ok = 0
for _ in range(rounds):
    for c in codes:
        ok += cm.is_valid_item(c) and cm.is_leaf(c)
rate = rounds * len(codes) / (time.perf_counter() - t)
rust = float(sys.argv[1]) * 1e6
print(f"simple-icd-10-cm 1.5.0: {rate/1e6:.3f} million validations/s (is_valid_item + is_leaf)")
print(f"Practicum: {rust/1e6:.2f} million/s -> {rust/rate:.0f}x")
PY
