#!/usr/bin/env bash
# scripts/package.sh — builds the Debian package actorwall_<version>_amd64.deb from a built
# tree: the binary, the systemd unit, /etc/actorwall/actorwall.toml, the helpers that
# prepare a Qubes firewall qube (actorwall-prepare: xen-netback kept off the clients' vifs,
# the kernel's netfront off the uplink vif) and make `xl devd`'s hotplug work there (a
# vif-route-qubes wrapper, Qubes' own script diverted), the modprobe configuration and
# the documentation. Prints the .deb's path on its last line. docs/qubes-firewall-qube.md.
#
#   scripts/package.sh [--build-dir DIR] [--out DIR]     (defaults build/release, DIR/package)
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/release
out=""
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
out=${out:-$build/package}
[[ -x $build/app/actorwall ]] || { echo "package.sh: $build/app/actorwall not built" >&2; exit 1; }
version=$(sed -n 's/^project(actorwall VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[[ -n $version ]] || { echo "package.sh: no version in CMakeLists.txt" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/aw-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
doc=$root/usr/share/doc/actorwall
install -D -m 755 "$build/app/actorwall" "$root/usr/bin/actorwall"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/actorwall"
install -D -m 644 packaging/actorwall.service "$root/lib/systemd/system/actorwall.service"
install -D -m 644 packaging/qubes-firewall-actorwall.conf "$root/lib/systemd/system/qubes-firewall.service.d/actorwall.conf"
install -D -m 644 packaging/actorwall.toml "$root/etc/actorwall/actorwall.toml"
install -D -m 755 packaging/actorwall-prepare "$root/usr/lib/actorwall/actorwall-prepare"
install -D -m 755 packaging/vif-route-qubes "$root/usr/lib/actorwall/vif-route-qubes"
install -D -m 644 packaging/modprobe.conf "$root/usr/lib/actorwall/modprobe.conf"
mkdir -p "$root/etc/xen/scripts"   # xl devd runs it for every vif (Qubes' own is diverted)
ln -s /usr/lib/actorwall/vif-route-qubes "$root/etc/xen/scripts/vif-route-qubes"
install -D -m 644 packaging/actorwall.1 "$root/usr/share/man/man1/actorwall.1"
gzip -9n "$root/usr/share/man/man1/actorwall.1"
install -D -m 644 docs/qubes-firewall-qube.md "$doc/README.md"
install -m 644 packaging/README.md "$doc/systemd-unit.md"
install -m 644 packaging/debian/copyright "$doc/copyright"
date=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" packaging/debian/changelog | gzip -9n > "$doc/changelog.gz"

# Depends: the shared libraries the binary links, as dpkg-shlibdeps finds their packages.
mkdir -p "$stage/src/debian"
printf 'Source: actorwall\n\nPackage: actorwall\nArchitecture: amd64\n' > "$stage/src/debian/control"
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O "$root/usr/bin/actorwall" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || { echo "package.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" packaging/debian/control.in \
  > "$root/DEBIAN/control"
for f in preinst postinst prerm postrm; do install -m 755 "packaging/debian/$f" "$root/DEBIAN/$f"; done
install -m 644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z |
  xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/actorwall_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
