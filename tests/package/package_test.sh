#!/usr/bin/env bash
# tests/package/package_test.sh DEB — the Debian package on this machine (Debian 12, root):
# lintian reports no error; it installs over a Qubes-like /etc/xen/scripts/vif-route-qubes
# (diverted, the wrapper in its place); the installed unit passes systemd-analyze verify;
# the installed binary and helpers run; the wrapper hands a kernel-netback vif to Qubes'
# script and answers an actorwall vif itself; purge leaves nothing behind and Qubes'
# script back. One "PKG <check> PASS|FAIL detail" line per check; exit 1 on any FAIL.
# The Xen test (tests/qubes-topology) runs the same package's files in a real sys-firewall.
set -uo pipefail
deb=$(realpath "$1")
fail=0
check() {  # check NAME OK(0/1) DETAIL...
  local name=$1 ok=$2; shift 2
  if [[ $ok == 0 ]]; then echo "PKG $name PASS $*"; else echo "PKG $name FAIL $*"; fail=1; fi
}
dpkg -s actorwall >/dev/null 2>&1 && { echo "package_test: actorwall is installed already; remove it first" >&2; exit 1; }

out=$(lintian --fail-on error "$deb" 2>&1); r=$?
out=$(grep -v 'running with root privileges' <<<"$out")
check lintian $r "no errors${out:+ (${out//$'\n'/; })}"

# A Qubes template's own script (qubes-core-agent-networking), here a stand-in that says who it is.
scripts=/etc/xen/scripts
mkdir -p $scripts
qubes_own=0
if [[ ! -e $scripts/vif-route-qubes ]]; then
  printf '#!/bin/sh\necho qubes-own-vif-route-qubes "$@"\n' > $scripts/vif-route-qubes
  chmod 755 $scripts/vif-route-qubes
  qubes_own=1
fi
before=$(md5sum < $scripts/vif-route-qubes)
# Interrupted or not, the machine is left as it was: the package purged, the stand-in gone.
cleanup() {
  dpkg -s actorwall >/dev/null 2>&1 && dpkg -P actorwall >/dev/null 2>&1
  ((qubes_own)) && rm -f $scripts/vif-route-qubes
}
trap cleanup EXIT
trap 'exit 130' INT TERM PIPE

dpkg -i "$deb" > /tmp/aw-pkg-install.log 2>&1; r=$?
check install $r "dpkg -i $(basename "$deb") exit $r"
for f in /usr/bin/actorwall /lib/systemd/system/actorwall.service /etc/actorwall/actorwall.toml \
         /usr/lib/actorwall/actorwall-prepare /usr/lib/actorwall/vif-route-qubes /usr/lib/actorwall/modprobe.conf \
         /lib/systemd/system/qubes-firewall.service.d/actorwall.conf; do
  [[ -e $f ]] || missing+=" $f"
done
check files "${missing:+1}${missing:-0}" "installed${missing:+; missing:$missing}"
div=$(dpkg-divert --list $scripts/vif-route-qubes)
[[ $(readlink $scripts/vif-route-qubes) == /usr/lib/actorwall/vif-route-qubes &&
   $(md5sum < $scripts/vif-route-qubes.qubes) == "$before" && $div == *actorwall* ]]
check diversion $? "Qubes' script kept as vif-route-qubes.qubes, the wrapper in its place ($div)"
systemctl is-enabled actorwall.service >/dev/null 2>&1 || [[ -L /etc/systemd/system/multi-user.target.wants/actorwall.service ]]
check enabled $? "actorwall.service enabled (it starts where /run/qubes-service/actorwall exists)"

# The installed unit as systemd reads it, with stand-ins for the Qubes units it orders after.
units=$(mktemp -d)
for u in qubes-db qubes-network-uplink qubes-firewall; do
  printf '[Unit]\nDescription=stand-in for %s\n[Service]\nExecStart=/bin/true\n' $u > "$units/$u.service"
done
verify=$(SYSTEMD_UNIT_PATH="$units:/lib/systemd/system:" systemd-analyze verify --man=no actorwall.service 2>&1); r=$?
[[ -z $verify ]] || r=1
check systemd-verify $r "systemd-analyze verify actorwall.service${verify:+: ${verify//$'\n'/; }}"
rm -rf "$units"
# The Qubes firewall agent: off only where actorwall runs (the flag dom0's qvm-service
# writes), by a condition on its own unit; actorwall's unit must not conflict with it, or
# the agent's start job would be dropped in every qube of the template (systemd.unit(5):
# conditions do not gate dependencies). No systemd runs here to start a transaction: the
# drop-in's condition is evaluated with and without the flag, and Conflicts= looked for.
dropin=/lib/systemd/system/qubes-firewall.service.d/actorwall.conf
cond=$(grep '^Condition' "$dropin")
flag=/run/qubes-service/actorwall
flag_was=0; [[ -e $flag ]] && flag_was=1
((flag_was)) || { mkdir -p /run/qubes-service; rm -f $flag; }
systemd-analyze condition "$cond" >/dev/null 2>&1; without=$?
touch $flag; systemd-analyze condition "$cond" >/dev/null 2>&1; with=$?
((flag_was)) || rm -f $flag
[[ $without == 0 && $with != 0 ]] && ! grep -q '^Conflicts=.*qubes-firewall' /lib/systemd/system/actorwall.service
check qubes-firewall-elsewhere $? "the agent's condition ($cond) holds without the flag ($without), not with it ($with); actorwall.service conflicts with nothing"
ver=$(actorwall --version 2>&1); r=$?
check binary $r "actorwall --version: $ver"
# The unit's ExecStartPre on a machine that is no Xen domain: nothing to do, exit 0.
/usr/lib/actorwall/actorwall-prepare /etc/actorwall/actorwall.toml 2>/tmp/aw-prepare.log; r=$?
check prepare $r "actorwall-prepare on a non-Xen host: exit $r $(tr '\n' ' ' < /tmp/aw-prepare.log)"
rm -f /run/modprobe.d/actorwall.conf /run/modprobe.d/actorwall-uplink.conf
# A kernel with xen-netfront built in (its /sys/module directory has no initstate): the
# uplink's driver cannot be unloaded, said plainly; the runtime modprobe rule is written
# (first: a vif attached meanwhile must not load it); --release takes the rules away.
fake_sys=$(mktemp -d)
mkdir -p "$fake_sys/module/xen_netfront/parameters" "$fake_sys/bus/xen/drivers/vif"
printf 'uplink-xen-vif = 0\n' > "$fake_sys/aw.toml"
AW_SYSFS=$fake_sys /usr/lib/actorwall/actorwall-prepare "$fake_sys/aw.toml" 2>/tmp/aw-prepare.log; r=$?
[[ $r == 0 && -e /run/modprobe.d/actorwall-uplink.conf ]] && grep -q "built into this kernel" /tmp/aw-prepare.log
check prepare-builtin-netfront $? "exit $r, $(grep -o 'xen-netfront is built into this kernel[^(]*' /tmp/aw-prepare.log)"
AW_SYSFS=$fake_sys /usr/lib/actorwall/actorwall-prepare --release "$fake_sys/aw.toml" 2>/dev/null; r=$?
[[ $r == 0 && ! -e /run/modprobe.d/actorwall-uplink.conf ]]
check prepare-release $? "--release exit $r, the runtime modprobe rules removed"
rm -rf "$fake_sys"
# The wrapper: with no xen-netback loaded, the vif is actorwall's: hotplug-status connected
# (xenstore-write stands in, logging what it is asked); with it loaded, Qubes' script.
fake=$(mktemp -d)
printf '#!/bin/sh\necho "$@" >> %s/writes\n' "$fake" > "$fake/xenstore-write"; chmod 755 "$fake/xenstore-write"
if [[ ! -d /sys/module/xen_netback ]]; then
  PATH=$fake:$PATH XENBUS_PATH=backend/vif/7/0 vif=vif7.0 $scripts/vif-route-qubes online type_if=vif; r=$?
  [[ $r == 0 && $(cat "$fake/writes" 2>/dev/null) == "backend/vif/7/0/hotplug-status connected" ]]
  check wrapper-online $? "exit $r, wrote: $(cat "$fake/writes" 2>/dev/null)"
  PATH=$fake:$PATH XENBUS_PATH=backend/vif/7/0 vif=vif7.0 $scripts/vif-route-qubes offline type_if=vif
  check wrapper-offline $? "offline exits 0, writes nothing more ($(wc -l < "$fake/writes") write)"
else
  check wrapper-online 0 "skipped: xen-netback is loaded on this host"
fi
rm -rf "$fake"

dpkg -P actorwall > /tmp/aw-pkg-purge.log 2>&1; r=$?
check purge $r "dpkg -P actorwall exit $r"
left=""
for f in /usr/bin/actorwall /lib/systemd/system/actorwall.service /etc/actorwall /usr/lib/actorwall \
         /lib/systemd/system/qubes-firewall.service.d \
         /usr/share/doc/actorwall /etc/systemd/system/multi-user.target.wants/actorwall.service $scripts/vif-route-qubes.qubes; do
  [[ -e $f || -L $f ]] && left+=" $f"
done
check purge-clean "${left:+1}${left:-0}" "nothing left${left:+; left:$left}"
[[ -z $(dpkg-divert --list $scripts/vif-route-qubes) && $(md5sum < $scripts/vif-route-qubes) == "$before" ]]
check purge-restores $? "no diversion left, Qubes' script back at vif-route-qubes"
exit $fail
