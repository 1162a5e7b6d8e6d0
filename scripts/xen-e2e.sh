#!/usr/bin/env bash
# scripts/xen-e2e.sh — the end-to-end test on a real Xen hypervisor: builds the
# images (Xen 4.17, the Debian kernel, dom0 and domU initramfs with the project's
# binaries from the build dir), boots them in QEMU (TCG), and passes iff every
# RESULT line dom0 prints says PASS. See docs/xen-e2e.md.
#
#   scripts/xen-e2e.sh [--build-dir DIR]     (default build/release, already built)
#     env: STEPS=step,step (dom0-init steps, default all)  TIMEOUT=seconds (480)
# Images and the serial log stay in DIR/xen-e2e (rerun with tests/xen-e2e/run.sh);
# the staging folders are temporary and removed.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/release
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR]" >&2; exit 2 ;;
  esac
done

scripts/setup-deps.sh
out=$build/xen-e2e
t0=$SECONDS
echo "=== xen-e2e: images (tests/xen-e2e/build.sh $out $build)"
tests/xen-e2e/build.sh "$out" "$build"
t1=$SECONDS
echo "=== xen-e2e: Xen in QEMU (tests/xen-e2e/run.sh $out)"
rc=0
tests/xen-e2e/run.sh "$out" "$out/serial.log" || rc=$?
t2=$SECONDS
echo "=== xen-e2e: $( ((rc == 0)) && echo PASS || echo FAIL ): images $((t1 - t0))s, run $((t2 - t1))s, total $((t2 - t0))s"
exit $rc
