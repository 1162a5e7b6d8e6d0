#!/usr/bin/env bash
# scripts/setup-deps.sh — installs the Debian 12 packages actorwall needs to build,
# test and run its demos. Idempotent and non-interactive; needs root.
set -euo pipefail

packages=(
  # toolchain and build
  build-essential g++ clang libclang-rt-14-dev cmake ninja-build pkg-config python3
  # libraries
  libcaf-dev libxen-dev doctest-dev libbenchmark-dev libcli11-dev
  # network namespaces and real peers for the link tests and the lab
  iproute2 iputils-ping
  # the lab's netvm and clients: DNS server, NAT, traffic tools
  dnsmasq-base nftables iperf3 curl traceroute bind9-dnsutils nmap python3-scapy
  # the end-to-end test on a real hypervisor (tests/qubes-topology, scripts/qubes-topology.sh):
  # QEMU (TCG), Xen 4.17 and its toolstack for dom0, the Debian kernel for dom0
  # and the PV domUs (its modules: xen-netfront, gntdev, ...), the initramfs tools
  qemu-system-x86 xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils
  linux-image-amd64 kmod busybox-static cpio
  # the Debian package (scripts/package.sh) and its checks (tests/package)
  dpkg-dev lintian systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "setup-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
