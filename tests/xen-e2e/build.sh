#!/usr/bin/env bash
# tests/xen-e2e/build.sh OUT_DIR PROJECT_BUILD_DIR — the images for the end-to-end
# test on a real Xen hypervisor in QEMU (run.sh boots them; docs/xen-e2e.md):
#   OUT_DIR/xen           Xen 4.17 (gunzipped multiboot ELF, for qemu -kernel)
#   OUT_DIR/vmlinuz       the Debian kernel (dom0's; the domUs boot the ELF inside it)
#   OUT_DIR/dom0.cpio.gz  busybox + Xen toolstack + Xen modules + project binaries
#                         + the netvm's tools (iproute2 ip, nft, dnsmasq, iperf3)
#                         + xen-netback (loaded only for the last, kernel, phase)
#                         + the domU kernel (the bzImage's ELF), initramfs and
#                         configs (under /guest)
#   OUT_DIR/domU.cpio.gz  busybox + xen-netfront + iperf3
# Everything comes from installed Debian packages (scripts/setup-deps.sh) and the
# project binaries listed below; staging happens in a mktemp folder, removed at exit.
set -euo pipefail
(($# == 2)) || { echo "usage: $0 OUT_DIR PROJECT_BUILD_DIR" >&2; exit 2; }
out=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)

# Project binaries for dom0, relative to the build dir; installed as /usr/bin/<name>
# with the shared libraries they need.
project_binaries=(
  xen/aw-xen-probe
  app/actorwall
  qubes/aw-fake-qubesdb
)
# Host tools for the actorwall scenario (the netvm namespace in dom0 and the checks),
# with their libraries: iproute2's ip replaces busybox's (which has no netns), nft for
# the netvm's DNS DNAT, dnsmasq its resolver, iperf3 (dom0 and domU) for throughput.
dom0_tools=(/usr/sbin/ip /usr/sbin/nft /usr/sbin/dnsmasq /usr/bin/iperf3)
domU_tools=(/usr/bin/iperf3)
# Kernel modules for dom0 beyond Xen's, in load order (dependencies first): TAP for
# actorwall's uplink, nf_tables NAT for the netvm; veth, conntrack matches and reject
# for the last phase's Linux sys-firewall (dom0-init's kernel-netback step).
dom0_extra_modules=(tun nft_chain_nat nft_nat nft_masq veth nft_ct nft_reject_ipv4)
# The kernel's netback: in the image, loaded only by the kernel-netback step, after
# actorwall has stopped (the two must not both serve this domain's vifs).
dom0_netback_modules=(xen-netback)

kver=${KVER:-$(ls /lib/modules | sort -V | tail -1)}   # the kernel of linux-image-amd64
xenbin=/usr/lib/xen-4.17/bin
for f in /boot/vmlinuz-"$kver" /boot/xen-4.17-amd64.gz "$xenbin/xl"; do
  [[ -e $f ]] || { echo "build.sh: $f missing (run scripts/setup-deps.sh)" >&2; exit 1; }
done
for b in "${project_binaries[@]}"; do
  [[ -x $build/$b ]] || { echo "build.sh: $build/$b not built" >&2; exit 1; }
done
for f in "${dom0_tools[@]}" "${domU_tools[@]}"; do
  [[ -x $f ]] || { echo "build.sh: $f missing (run scripts/setup-deps.sh)" >&2; exit 1; }
done

mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/aw-xen-e2e.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# copy_with_libs ROOT DEST SOURCE: SOURCE to ROOT/DEST, then every library ldd names
# at its own path, so the dynamic loader finds it as on the host.
copy_with_libs() {
  local root=$1 dest=$2 src=$3 lib
  install -D -m 755 "$src" "$root$dest"
  for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"    # keeps the mode: the loader must stay executable
  done
}

# busybox_root ROOT: the base filesystem with every busybox applet as a symlink.
busybox_root() {
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,var/log,var/lib,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"
}

module() { modinfo -k "$kver" -n "$1"; }     # the .ko file of a module
pack() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip "$2"); }

# ---- domU: busybox + xen-netfront, its /init is domU-init
u=$stage/domU
busybox_root "$u"
cp "$(module xen-netfront)" "$u/lib/modules/"
for f in "${domU_tools[@]}"; do copy_with_libs "$u" "$f" "$f"; done
install -m 755 "$here/domU-init" "$u/init"
pack "$u" -9 > "$out/domU.cpio.gz"

# ---- dom0: busybox + toolstack (xl, xenstored, xenconsoled) + modules + project binaries
d=$stage/dom0
busybox_root "$d"
for b in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper; do
  copy_with_libs "$d" "$xenbin/$b" "$xenbin/$b"
  ln -s "$xenbin/$b" "$d/usr/sbin/$b"
done
copy_with_libs "$d" /usr/bin/xenstore /usr/bin/xenstore
for n in read write list ls rm exists watch chmod; do ln -s xenstore "$d/usr/bin/xenstore-$n"; done
# glibc dlopen()s libgcc_s for pthread_cancel: without it xl aborts at exit.
install -m 644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$d/lib/x86_64-linux-gnu/"
for b in "${project_binaries[@]}"; do
  copy_with_libs "$d" "/usr/bin/$(basename "$b")" "$build/$b"
  strip --strip-debug "$d/usr/bin/$(basename "$b")"   # symbols stay, for backtraces
done
# The scenario's tools (over busybox's applets of the same name) and the status client.
for f in "${dom0_tools[@]}"; do
  for dir in bin sbin usr/bin usr/sbin; do rm -f "$d/$dir/$(basename "$f")"; done   # busybox's applet
  copy_with_libs "$d" "$f" "$f"
done
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >> "$d/etc/passwd"   # dnsmasq's user
echo "nogroup:x:65534:" >> "$d/etc/group"
cc -O2 -static -o "$stage/aw-status" "$here/aw-status.c"
install -m 755 "$stage/aw-status" "$d/usr/bin/aw-status"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do cp "$(module $m)" "$d/lib/modules/"; done
# modules_in_order LIST MODULE...: the modules with their dependencies, in load order,
# copied to /lib/modules and listed in /lib/modules/LIST (dom0-init insmods them).
modules_in_order() {
  local list=$1 m ko; shift
  for m in "$@"; do modprobe -S "$kver" --show-depends "$m"; done |
    awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
      [[ -e $d/lib/modules/$(basename "$ko") ]] || cp "$ko" "$d/lib/modules/"
      basename "$ko" >> "$d/lib/modules/$list"
    done
  [[ -s $d/lib/modules/$list ]] || { echo "build.sh: no modules for $list" >&2; exit 1; }
}
modules_in_order extra.order "${dom0_extra_modules[@]}"
# xen-netback is not loaded at boot: dom0 serves vifs from userspace (actorwall) first.
modules_in_order netback.order "${dom0_netback_modules[@]}"
mkdir -p "$d/etc/xen" "$d/var/lib/xen" "$d/var/log/xen/console" "$d/var/run/xen" "$d/guest"
install -m 644 /etc/xen/xl.conf "$d/etc/xen/xl.conf"
# The domUs' kernel as the ELF inside the bzImage: libxc would otherwise xz-decompress
# 66 MB in xl's domain build, under TCG, for every xl create and the reboot.
xz_at=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' /boot/vmlinuz-"$kver" | awk -F: 'NR == 1 { print $1 }')
[[ -n $xz_at ]] || { echo "build.sh: no xz payload in /boot/vmlinuz-$kver" >&2; exit 1; }
tail -c +$((xz_at + 1)) /boot/vmlinuz-"$kver" > "$stage/vmlinux.xz"
xz -dc --single-stream "$stage/vmlinux.xz" > "$d/guest/vmlinux"
[[ $(head -c 4 "$d/guest/vmlinux" | od -An -c | tr -d ' ') == 177ELF ]] ||
  { echo "build.sh: the domU kernel is not an ELF" >&2; exit 1; }
chmod 644 "$d/guest/vmlinux"
install -m 644 "$out/domU.cpio.gz" "$d/guest/domU.cpio.gz"
install -m 644 "$here"/domU-*.cfg "$d/guest/"
install -m 644 "$here/../../examples/qubesdb/lab.qubesdb" "$d/guest/lab.qubesdb"   # the scenario's QubesDB
install -m 755 "$here/dom0-init" "$d/init"
pack "$d" -1 > "$out/dom0.cpio.gz"

# ---- the hypervisor and dom0's kernel
zcat /boot/xen-4.17-amd64.gz > "$out/xen"
install -m 644 /boot/vmlinuz-"$kver" "$out/vmlinuz"
echo "build.sh: images in $out (kernel $kver): $(cd "$out" && du -sh xen vmlinuz dom0.cpio.gz domU.cpio.gz | awk '{printf "%s %s  ", $2, $1}')"
