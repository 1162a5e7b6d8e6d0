#!/usr/bin/env bash
# tests/qubes-topology/build.sh OUT_DIR PROJECT_BUILD_DIR DEB — the images for the Qubes-
# topology test on Xen 4.17 in QEMU (run.sh boots them; docs/qubes-topology.md):
#   OUT_DIR/xen            Xen 4.17 (gunzipped multiboot ELF, for qemu -kernel)
#   OUT_DIR/vmlinuz        the Debian kernel (dom0's; the domUs boot the ELF inside it)
#   OUT_DIR/dom0.cpio.gz   busybox + the Xen toolstack, dom0's scenario (dom0-init) and,
#                          under /guest, the domUs' kernel, images and configurations:
#     netvm.cpio.gz   sys-net, and the Linux sys-firewall beside actorwall's: the kernel's
#                     netback and netfront, nftables, iproute2, dnsmasq, iperf3, xl devd
#                     with a Qubes-like vif-route-qubes
#     sysfw.cpio.gz   actorwall's sys-firewall: the project's package installed with dpkg,
#                     aw-fake-qubesdb (the qube's QubesDB), xl devd, the same vif-route-qubes
#                     (diverted by the package), the kernel's netfront (the package's
#                     ExecStartPre takes it off vif 0)
#     client.cpio.gz  a client qube: the kernel's netfront, iperf3
# Everything comes from installed Debian packages (scripts/setup-deps.sh) and the
# project's build and package; staging happens in a mktemp folder, removed at exit.
set -euo pipefail
(($# == 3)) || { echo "usage: $0 OUT_DIR PROJECT_BUILD_DIR DEB" >&2; exit 2; }
out=$1
build=$2
deb=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)

kver=${KVER:-$(ls /lib/modules | sort -V | tail -1)}   # the kernel of linux-image-amd64
xenbin=/usr/lib/xen-4.17/bin
for f in /boot/vmlinuz-"$kver" /boot/xen-4.17-amd64.gz "$xenbin/xl" "$deb"; do
  [[ -e $f ]] || { echo "build.sh: $f missing (run scripts/setup-deps.sh, scripts/package.sh)" >&2; exit 1; }
done
for b in xen/aw-xen-probe qubes/aw-fake-qubesdb; do
  [[ -x $build/$b ]] || { echo "build.sh: $build/$b not built" >&2; exit 1; }
done

mkdir -p "$out"
stage=$(mktemp -d "${TMPDIR:-/tmp}/aw-qubes-topology.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# copy_with_libs ROOT DEST SOURCE: SOURCE to ROOT/DEST, then every library ldd names at
# its own path, so the dynamic loader finds it as on the host.
copy_with_libs() {
  local root=$1 dest=$2 src=$3 lib
  install -D -m 755 "$src" "$root$dest"
  for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"    # keeps the mode: the loader must stay executable
  done
}
# tool ROOT PATH...: host binaries at their own paths (over busybox's applet of that name).
tool() {
  local root=$1 f dir; shift
  for f in "$@"; do
    for dir in bin sbin usr/bin usr/sbin; do rm -f "$root/$dir/$(basename "$f")"; done
    copy_with_libs "$root" "$f" "$f"
  done
}
# busybox_root ROOT: the base filesystem with every busybox applet as a symlink.
busybox_root() {
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,var/log/xen,var/lib,var/run,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list-full); do
    [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"
  echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >> "$root/etc/passwd"   # dnsmasq's user
  echo "nogroup:x:65534:" >> "$root/etc/group"
}
module() { modinfo -k "$kver" -n "$1"; }     # the .ko file of a module
# modules ROOT MODULE...: the modules with their dependencies, in load order, copied to
# ROOT/lib/modules and listed in ROOT/lib/modules/order (the inits insmod them).
modules() {
  local root=$1 ko; shift
  for m in "$@"; do modprobe -S "$kver" --show-depends "$m"; done |
    awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
      [[ -e $root/lib/modules/$(basename "$ko") ]] && continue
      cp "$ko" "$root/lib/modules/"
      basename "$ko" >> "$root/lib/modules/order"
    done
}
pack() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip "$2"); }
# xl_devd ROOT: what `xl devd` needs in a driver domain (the toolstack's xl and its
# libraries, xenstore tools for the hotplug scripts).
xl_devd() {
  local root=$1 n
  copy_with_libs "$root" "$xenbin/xl" "$xenbin/xl"
  copy_with_libs "$root" /usr/bin/xenstore /usr/bin/xenstore
  for n in read write list ls rm exists watch chmod; do ln -sf xenstore "$root/usr/bin/xenstore-$n"; done
  install -m 644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/"   # glibc's pthread_cancel
  mkdir -p "$root/etc/xen/scripts" "$root/var/run/xen" "$root/var/lib/xen"
  install -m 755 "$here/vif-route-qubes" "$root/etc/xen/scripts/vif-route-qubes"
}
guest_common() {  # guest_common ROOT ROLE-MODULES...: busybox, the init, the modules
  local root=$1; shift
  busybox_root "$root"
  install -m 755 "$here/guest-init" "$root/init"
  modules "$root" "$@"
}

# ---- a client qube: busybox + xen-netfront + iperf3
c=$stage/client
guest_common "$c" xen-netfront
tool "$c" /usr/sbin/ip /usr/bin/iperf3
pack "$c" -9 > "$stage/client.cpio.gz"

# ---- sys-net and the Linux sys-firewall: the kernel's network data path and xl devd
n=$stage/netvm
guest_common "$n" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback xen-netfront veth dummy \
  nft_chain_nat nft_nat nft_masq nft_ct nft_reject_ipv4 nft_reject_inet nf_flow_table_inet nft_flow_offload
xl_devd "$n"
tool "$n" /usr/sbin/ip /usr/sbin/nft /usr/sbin/dnsmasq /usr/bin/iperf3
pack "$n" -9 > "$stage/netvm.cpio.gz"

# ---- actorwall's sys-firewall: the package installed as dpkg installs it, over a
# Qubes-like vif-route-qubes (which its preinst diverts)
f=$stage/sysfw
guest_common "$f" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netfront
xl_devd "$f"
mkdir -p "$f/var/lib/dpkg/info" "$f/var/lib/dpkg/updates" "$f/var/lib/dpkg/triggers"
touch "$f/var/lib/dpkg/status" "$f/var/lib/dpkg/available"
# Chrootless (the image has no dpkg): the maintainer scripts act on DPKG_ROOT=$f.
dpkg --root="$f" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" > "$stage/dpkg.log" 2>&1 ||
  { cat "$stage/dpkg.log" >&2; exit 1; }
[[ -L $f/etc/xen/scripts/vif-route-qubes && -x $f/etc/xen/scripts/vif-route-qubes.qubes ]] ||
  { echo "build.sh: the package's diversion of vif-route-qubes is not in place" >&2; exit 1; }
for lib in $(ldd "$f/usr/bin/actorwall" | grep -o '/[^ ]*'); do   # the package's Depends, from the host
  [[ -e $f$lib ]] || { mkdir -p "$f$(dirname "$lib")"; cp -L "$lib" "$f$lib"; }
done
copy_with_libs "$f" /usr/bin/aw-fake-qubesdb "$build/qubes/aw-fake-qubesdb"
strip --strip-debug "$f/usr/bin/aw-fake-qubesdb"
install -m 644 "$here/sys-firewall.qubesdb" "$f/etc/qubesdb"
pack "$f" -9 > "$stage/sysfw.cpio.gz"

# ---- dom0: busybox + toolstack (xl, xenstored, xenconsoled) + the guests
d=$stage/dom0
busybox_root "$d"
for b in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper; do
  copy_with_libs "$d" "$xenbin/$b" "$xenbin/$b"
  ln -s "$xenbin/$b" "$d/usr/sbin/$b"
done
copy_with_libs "$d" /usr/bin/xenstore /usr/bin/xenstore
for n in read write list ls rm exists watch chmod; do ln -s xenstore "$d/usr/bin/xenstore-$n"; done
install -m 644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$d/lib/x86_64-linux-gnu/"
copy_with_libs "$d" /usr/bin/aw-xen-probe "$build/xen/aw-xen-probe"
strip --strip-debug "$d/usr/bin/aw-xen-probe"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do cp "$(module $m)" "$d/lib/modules/"; done
mkdir -p "$d/etc/xen" "$d/var/lib/xen" "$d/var/log/xen/console" "$d/var/run/xen" "$d/guest"
install -m 644 /etc/xen/xl.conf "$d/etc/xen/xl.conf"
# The domUs' kernel as the ELF inside the bzImage: libxc would otherwise xz-decompress
# 66 MB in xl's domain build, under TCG, for every xl create.
xz_at=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' /boot/vmlinuz-"$kver" | awk -F: 'NR == 1 { print $1 }')
[[ -n $xz_at ]] || { echo "build.sh: no xz payload in /boot/vmlinuz-$kver" >&2; exit 1; }
tail -c +$((xz_at + 1)) /boot/vmlinuz-"$kver" > "$stage/vmlinux.xz"
xz -dc --single-stream "$stage/vmlinux.xz" > "$d/guest/vmlinux"
[[ $(head -c 4 "$d/guest/vmlinux" | od -An -c | tr -d ' ') == 177ELF ]] ||
  { echo "build.sh: the domU kernel is not an ELF" >&2; exit 1; }
chmod 644 "$d/guest/vmlinux"
install -m 644 "$stage"/{client,netvm,sysfw}.cpio.gz "$d/guest/"
install -m 644 "$here"/*.cfg "$d/guest/"
install -m 755 "$here/dom0-init" "$d/init"
pack "$d" -1 > "$out/dom0.cpio.gz"

# ---- the hypervisor and dom0's kernel
zcat /boot/xen-4.17-amd64.gz > "$out/xen"
install -m 644 /boot/vmlinuz-"$kver" "$out/vmlinuz"
echo "build.sh: images in $out (kernel $kver): $(cd "$out" && du -sh xen vmlinuz dom0.cpio.gz | awk '{printf "%s %s  ", $2, $1}')" \
  "guests: $(cd "$stage" && du -sh client.cpio.gz netvm.cpio.gz sysfw.cpio.gz | awk '{printf "%s %s  ", $2, $1}')"
