#!/usr/bin/env bash
# scripts/demo.sh — the README's main-job command: installs what is missing, builds
# actorwall, and runs the network-namespace lab (scripts/lab.sh): two client qubes and a
# netvm as real kernel stacks in namespaces, actorwall between them on TAP links, rules
# from a QubesDB-format file served by the fake QubesDB daemon. Arguments go to lab.sh
# (e.g. --keep to leave it running for manual use).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
mkdir -p build
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > build/release.configure.log 2>&1 ||
  { cat build/release.configure.log; exit 1; }
ninja -C build/release actorwall aw-fake-qubesdb
exec scripts/lab.sh --build-dir build/release "$@"
