#!/bin/sh
# tests/app/config_file_test.sh ACTORWALL — `--config FILE` reads options from TOML: the
# file's values are checked like the command line's, and an unknown key is refused.
set -u
aw=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Two uplinks from the file: refused as on the command line (so the file was read).
printf 'uplink-tap = "aw-up"\nuplink-interface = "eth0"\n' >"$dir/two.toml"
out=$("$aw" --config "$dir/two.toml" 2>&1) && fail "two uplinks accepted"
echo "$out" | grep -q "choose one uplink" || fail "two uplinks: $out"

# A value the file gets wrong is checked too.
printf 'uplink-tap = "aw-up"\nlog-level = "loud"\n' >"$dir/level.toml"
out=$("$aw" --config "$dir/level.toml" 2>&1) && fail "bad log level accepted"
echo "$out" | grep -qi "log-level" || fail "bad log level: $out"

# A start-up timeout that could never be met is refused (it used to fail at once, blaming QubesDB).
out=$("$aw" --uplink-tap aw-up --startup-timeout 0 2>&1) && fail "--startup-timeout 0 accepted"
echo "$out" | grep -q "startup-timeout" || fail "--startup-timeout 0: $out"

# An unknown key is an error, not ignored.
printf 'uplink-tap = "aw-up"\nuplink-tapp = "x"\n' >"$dir/typo.toml"
out=$("$aw" --config "$dir/typo.toml" 2>&1) && fail "unknown key accepted"
echo "$out" | grep -q "uplink-tapp" || fail "unknown key: $out"

# A missing file is an error.
out=$("$aw" --config "$dir/none.toml" 2>&1) && fail "missing file accepted"
echo "config file: ok"
