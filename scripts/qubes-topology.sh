#!/usr/bin/env bash
# scripts/qubes-topology.sh — actorwall as a Qubes firewall qube on a real Xen hypervisor:
# builds the project's package and the images (Xen 4.17, the Debian kernel, dom0 and the
# domUs: sys-net, actorwall's sys-firewall from the package, a Linux sys-firewall, two
# clients), boots them in QEMU (TCG) and passes iff every qt-* RESULT line dom0 prints says
# PASS. See docs/qubes-topology.md.
#
#   scripts/qubes-topology.sh [--build-dir DIR]     (default build/release, already built)
#     env: STEPS=step,step (dom0-init's steps, default all)  TIMEOUT=seconds (1200)
#          SYSFW_MEM, LINUXFW_MEM=MiB (the sys-firewalls' memory)
# Images and the serial log stay in DIR/qubes-topology (rerun with tests/qubes-topology/run.sh).
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
out=$build/qubes-topology
t0=$SECONDS
echo "=== qubes-topology: the package (scripts/package.sh)"
deb=$(scripts/package.sh --build-dir "$build" | tail -1)
echo "=== qubes-topology: images (tests/qubes-topology/build.sh $out $build $deb)"
tests/qubes-topology/build.sh "$out" "$build" "$deb"
t1=$SECONDS
echo "=== qubes-topology: Xen in QEMU (tests/qubes-topology/run.sh $out)"
rc=0
tests/qubes-topology/run.sh "$out" "$out/serial.log" || rc=$?
t2=$SECONDS
echo "=== qubes-topology: $( ((rc == 0)) && echo PASS || echo FAIL ): images $((t1 - t0))s, run $((t2 - t1))s, total $((t2 - t0))s"
exit $rc
