#!/bin/sh
# tests/app/sim_mode_test.sh ACTORWALL — `--sim N`: the whole service in a simulated Qubes
# machine (no Xen, no root). Every client qube's probes (ping, DNS, UDP echo, a TCP exchange,
# a TCP port its rules refuse) are answered as the rules say, the report says so, exit 0;
# with --trace the actor messages land in a Chrome trace-event file.
set -u
aw=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$aw" --sim 3 --sim-seconds 2 --trace "$dir/trace.json" --status-socket "$dir/status.sock" \
  >"$dir/report" 2>"$dir/log" || { cat "$dir/report" "$dir/log"; fail "--sim exited $?"; }
cat "$dir/report"
[ "$(grep -c '^client 10\.137\.0\.1[0-2]:' "$dir/report")" = 3 ] || fail "not 3 client lines"
# Each probe answered as often as sent, and sent at least 5 times in 2 s (a round per 100 ms).
for c in 10 11 12; do
  line=$(grep "^client 10.137.0.$c:" "$dir/report")
  for p in ping dns udp_echo tcp_exchange tcp_refused; do
    n=$(echo "$line" | sed -n "s/.* $p \([0-9]*\)\/\([0-9]*\).*/\1 \2/p")
    set -- $n
    [ "${1:-x}" = "${2:-y}" ] || fail "client $c $p: $n"
    [ "${2:-0}" -ge 5 ] || fail "client $c $p sent only ${2:-0}"
  done
done
grep -q "wrong\|bad_checksums" "$dir/report" && fail "wrong answers or bad checksums"
grep -q "netvm: received [1-9][0-9]*, bad checksums 0" "$dir/report" || fail "netvm line"
grep -q "vif vif12.0 (10.137.0.12) served" "$dir/log" || fail "client 3's vif not served"
python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
names = {e.get('name') for e in t}
assert {'client_packets', 'uplink_packets', 'transmit_packets'} <= names, names
" "$dir/trace.json" || fail "trace file"

# The status socket is the owner's only (the counters name clients and their traffic), and
# a path that is not a socket is left alone.
"$aw" --sim 1 --sim-seconds 3 --status-socket "$dir/mode.sock" >/dev/null 2>&1 &
pid=$!
i=0; while [ ! -S "$dir/mode.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
mode=$(stat -c %a "$dir/mode.sock" 2>/dev/null)
wait $pid
[ "$mode" = 600 ] || fail "status socket mode ${mode:-missing}, wanted 600"
echo keep > "$dir/not-a-socket"
"$aw" --sim 1 --sim-seconds 1 --status-socket "$dir/not-a-socket" >/dev/null 2>"$dir/log2"
[ "$(cat "$dir/not-a-socket")" = keep ] || fail "a regular file at the status socket path was replaced"
grep -q "not a socket" "$dir/log2" || fail "no error for a status path that is not a socket"

# --sim brings its own clients and uplink.
out=$("$aw" --sim 1 --xen 2>&1) && fail "--sim with --xen accepted"
echo "$out" | grep -q "no --xen" || fail "--sim with --xen: $out"
out=$("$aw" --sim 1 --uplink-tap x 2>&1) && fail "--sim with --uplink-tap accepted"
out=$("$aw" --sim 1 --silent-drop 2>&1) && fail "--sim with --silent-drop accepted"
out=$("$aw" --uplink-tap x --sim-seconds 3 2>&1) && fail "--sim-seconds without --sim accepted"
echo "sim mode: ok"
