#!/usr/bin/env bash
# scripts/fuzz.sh [--no-merge] [SECONDS] [TARGET...] — a fuzzing campaign: builds every
# libFuzzer target (clang, ASan + UBSan) in build/fuzz, runs each for SECONDS (default 60)
# from its committed corpus with a per-input timeout, merges what adds coverage back into
# fuzz/corpus/<target>/ (libFuzzer's -merge keeps the smallest inputs that cover it; not
# with --no-merge, as CI runs it), and prints a table per target: runs, runs/s, coverage
# (cov/ft), corpus size, findings. Exits 1 when any target found a crash, a timeout
# (a hang: -timeout=10), a leak or an out-of-memory; the inputs are in build/fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."

merge=1
if [[ ${1:-} == --no-merge ]]; then merge=0; shift; fi
seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive number, got '$seconds'" >&2; exit 2; }
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(sed -n 's/^aw_fuzz_target(\([a-z_0-9]*\) .*/\1/p' fuzz/CMakeLists.txt)
fi

scripts/setup-deps.sh
dir=build/fuzz
mkdir -p build
echo "=== fuzz: configure and build (${dir}, clang, libFuzzer, ASan+UBSan)"
CXX=clang++ CC=clang cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAW_LIBFUZZER=ON \
  -DAW_SANITIZE=ON -DAW_BENCH=OFF > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
ninja -C "$dir" $(printf 'fuzz_%s ' "${targets[@]}")

work=$dir/campaign
findings=$dir/findings
rm -rf "$work" "$findings"   # this campaign's: an earlier one's findings were reported then
mkdir -p "$work" "$findings"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

rows=()
failed=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  bin=$dir/fuzz/fuzz_$t
  [[ -x $bin ]] || { echo "fuzz.sh: no target fuzz_$t" >&2; exit 2; }
  before=$(find "$corpus" -type f | wc -l)
  new=$work/$t.new
  mkdir -p "$new"
  echo "=== fuzz: $t for ${seconds}s (corpus: $before inputs)"
  # New inputs go to the first directory, the committed corpus is read from the second.
  # -fork is not used: one process, so the stats below are the whole run's.
  set +e
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/$t-" "$new" "$corpus" > "$work/$t.log" 2>&1
  rc=$?
  set -e
  # A run that crashes on a seed ends before libFuzzer prints any of these: no match is
  # not an error here (set -e), the findings below say what happened.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -1 || true)
  cov=$( (grep -o 'cov: [0-9]*' "$work/$t.log" || true) | tail -1 | cut -d' ' -f2)
  ft=$( (grep -o 'ft: [0-9]*' "$work/$t.log" || true) | tail -1 | cut -d' ' -f2)
  found=$(find "$findings" -maxdepth 1 -type f -name "$t-*" | wc -l)
  after=$before
  if ((merge)) && ((rc == 0)); then
    "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$corpus" "$new" > "$work/$t.merge.log" 2>&1 ||
      { echo "fuzz.sh: merging $t failed:"; tail -20 "$work/$t.merge.log"; failed=1; }
    after=$(find "$corpus" -type f | wc -l)
  fi
  if ((rc != 0 || found != 0)); then
    failed=1
    echo "fuzz.sh: $t: exit $rc, $found finding(s) in $findings:"
    grep -E 'ERROR: |SUMMARY: |==[0-9]+==|timeout after|deadly signal' "$work/$t.log" | head -20 || true
  fi
  rows+=("$(printf '%-14s %10s %8s %6s %7s %6s -> %-6s %s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$before" "$after" "$((found))")")
done

echo
echo "fuzz campaign: ${seconds}s per target, -timeout=10, ASan+UBSan, corpus merged: $( ((merge)) && echo yes || echo no)"
printf '%-14s %10s %8s %6s %7s %16s %s\n' TARGET RUNS RUNS/S COV FT CORPUS FINDINGS
printf '%s\n' "${rows[@]}"
if ((failed)); then echo "fuzz.sh: FAILED (findings in $findings, logs in $work)"; exit 1; fi
echo "fuzz.sh: no findings"
