#!/usr/bin/env bash
# scripts/demo.sh — the README's main-job command. Until the network-namespace lab
# exists, it builds actorwall and runs the packet-core demo: a client's packets
# parsed, NATed into new packets, checked, and hostile bytes refused.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > build-demo.configure.log 2>&1 ||
  { cat build-demo.configure.log; exit 1; }
rm -f build-demo.configure.log
ninja -C build/release packet_demo
exec build/release/examples/packet_demo "$@"
