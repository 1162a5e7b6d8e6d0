#!/usr/bin/env bash
# scripts/test.sh — the README's test command: installs what is missing, builds
# everything (warnings are errors), runs all tests, the network-namespace lab, the
# Debian package's checks and the Qubes-topology test on Xen in QEMU, then builds the
# unit tests and fuzz replays again with ASan + UBSan and runs them (and the lab) there too;
# last, a short libFuzzer campaign over every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh

jobs=$(nproc)
run_suite() {  # name, build dir, extra cmake args...
  local name=$1 dir=$2
  shift 2
  echo "=== ${name}: configure and build (${dir})"
  cmake -S . -B "$dir" -G Ninja "$@" > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  ninja -C "$dir" -j "$jobs"
  echo "=== ${name}: tests"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

mkdir -p build
run_suite "release build" build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The whole service end to end: real kernels in namespaces around actorwall.
echo "=== network-namespace lab (scripts/lab.sh)"
scripts/lab.sh --build-dir build/release
# The Debian package: lintian, install over a Qubes-like hotplug script, systemd, purge.
echo "=== the Debian package (scripts/package.sh, tests/package/package_test.sh)"
tests/package/package_test.sh "$(scripts/package.sh --build-dir build/release | tail -1)"
# A real hypervisor: Xen 4.17 in QEMU in the Qubes topology, actorwall (from its package)
# in a sys-firewall driver domain between sys-net and client domUs, a Linux one beside.
echo "=== Qubes topology on Xen (scripts/qubes-topology.sh)"
scripts/qubes-topology.sh --build-dir build/release
# Sanitizers: the unit tests and fuzz corpora; benchmarks are not built there.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "ASan+UBSan build" build/sanitize -DCMAKE_BUILD_TYPE=Debug -DAW_SANITIZE=ON -DAW_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
echo "=== network-namespace lab with the ASan+UBSan actorwall"
# The sanitized actorwall is ~3x slower: the flood takes a larger share of the cores.
AW_LAB_FAIR_MIN=0.2 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  scripts/lab.sh --build-dir build/sanitize
# The parsers and ring codecs under libFuzzer (clang, ASan+UBSan), 20 s each from their
# corpora: a crash or a hang (-timeout=10) fails the run. Longer: scripts/fuzz.sh SECONDS.
echo "=== fuzzing, 20 s per target (scripts/fuzz.sh)"
scripts/fuzz.sh --no-merge 20
echo "=== all test suites passed"
