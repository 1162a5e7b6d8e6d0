#!/bin/sh
# xen/sim/smoke_test.sh — aw-xenstored as a program, served to the real libxenstore (aw-xenstore).
# Usage: smoke_test.sh AW_XENSTORED AW_XENSTORE
set -eu
dir=$(mktemp -d)
"$1" "$dir/xs0:0" "$dir/xs5:5" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do [ -S "$dir/xs5" ] && break; sleep 0.1; done
"$2" "$dir/xs0" write /local/domain/5/device/vif/0/state 1
test "$("$2" "$dir/xs5" read device/vif/0/state)" = 1
test "$("$2" "$dir/xs5" ls /local/domain/5/device/vif)" = 0
test "$("$2" "$dir/xs5" perms /local/domain/5)" = "n5 "
if "$2" "$dir/xs5" write /tool/x 1 2>/dev/null; then echo "domU wrote outside its home"; exit 1; fi
"$2" "$dir/xs0" rm /local/domain/5/device
echo ok
