#!/bin/sh
# tests/app/status_command_test.sh ACTORWALL — `actorwall status` against a running service
# (--sim 2): the table shows both vifs connected with their clients, --json is JSON with
# every group, --client narrows to one client and its port, --raw is the socket's lines;
# no service and bad options are clear errors with their own exit codes.
set -u
aw=$1
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$aw" --sim 2 --sim-seconds 30 --status-socket "$dir/s.sock" >/dev/null 2>"$dir/log" &
pid=$!
# Until both vifs are served (the status answers once the socket is up).
i=0
until "$aw" status --socket "$dir/s.sock" --raw 2>/dev/null | grep -c '^port\.vif.*\.link\.xenbus_state 4$' | grep -qx 2; do
  i=$((i+1)); [ $i -lt 200 ] || { cat "$dir/log"; fail "the vifs never connected"; }
  sleep 0.05
done

"$aw" status --socket "$dir/s.sock" >"$dir/table" || fail "status exited $?"
cat "$dir/table"
for ip in 10.137.0.10 10.137.0.11; do
  grep -Eq "^vif[0-9]+\.0 +$ip +connected " "$dir/table" || fail "no connected vif row for $ip"
  grep -Eq "^$ip +[0-9]+ " "$dir/table" || fail "no client row for $ip"
done
grep -Eq '^uplink +- +connected ' "$dir/table" || fail "no uplink row"
grep -Eq '^nat +mappings [0-9]+' "$dir/table" || fail "no nat line"

"$aw" status --socket "$dir/s.sock" --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert {"totals", "nat", "supervisor", "config", "resolver", "clients", "ports"} <= set(j), set(j)
assert set(j["clients"]) == {"10.137.0.10", "10.137.0.11"}, j["clients"]
vifs = {n: p for n, p in j["ports"].items() if n.startswith("vif")}
assert len(vifs) == 2 and all(p["link.xenbus_state"] == 4 for p in vifs.values()), vifs
assert isinstance(j["nat"]["sessions"], int) and j["malformed_lines"] == 0
' || fail "--json"

"$aw" status --socket "$dir/s.sock" --client 10.137.0.11 --raw >"$dir/one" || fail "--client exited $?"
grep -q '^client\.10\.137\.0\.11\.forwarded ' "$dir/one" || fail "--client lost the client's counters"
grep -q '10\.137\.0\.10' "$dir/one" && fail "--client 10.137.0.11 shows the other client"
[ "$(grep -c '^port\..*\.client 10\.137\.0\.11$' "$dir/one")" = 1 ] || fail "--client: not exactly its port"

"$aw" status --socket "$dir/s.sock" --client 10.137.0.99 >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 1 ] && grep -q "no client 10.137.0.99" "$dir/err" || fail "unknown client: rc $rc, $(cat "$dir/err")"
"$aw" status --socket "$dir/none.sock" >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 1 ] && grep -q "cannot connect to $dir/none.sock" "$dir/err" || fail "no service: rc $rc, $(cat "$dir/err")"
"$aw" status --client 10.137.0 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "a bad --client: rc $rc"
"$aw" status --json --raw >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || fail "--json with --raw: rc $rc"
echo "status command: PASS"
