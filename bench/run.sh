#!/usr/bin/env bash
# bench/run.sh — builds the benchmarks in Release and runs them (all, or those
# matching $1 as a --benchmark_filter regex).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh >/dev/null
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release > build-bench.configure.log 2>&1 ||
  { cat build-bench.configure.log; exit 1; }
ninja -C build-bench
for b in build-bench/bench/bench_*; do
  echo "== $(basename "$b")"
  "$b" --benchmark_filter="${1:-.}" --benchmark_min_time=0.5
done
