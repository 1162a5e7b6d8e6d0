#!/usr/bin/env bash
# tests/qubes-topology/run.sh IMAGES_DIR [LOG] — boots Xen 4.17 + dom0 (images from
# build.sh) in QEMU with TCG; dom0-init runs the steps and powers off. The serial
# log (Xen, dom0 kernel and dom0-init, each line prefixed with the host's elapsed
# seconds) goes to LOG (default IMAGES_DIR/serial.log). QEMU is killed on a
# timeout or when the log shows a panic. Prints the RESULT lines; exits 0 iff
# dom0 printed ALL-DONE with fail=0 and no RESULT line says FAIL.
#   env: TIMEOUT=seconds (1200)  STEPS=step,step (dom0-init's aw.steps=, default all)
#        SMP=vcpus (2)  QMEM=MiB (3072)  DOM0MEM=MiB (512)
#        SYSFW_MEM / LINUXFW_MEM=MiB (the two sys-firewalls' memory, dom0-init's defaults)
set -uo pipefail
(($# >= 1)) || { echo "usage: $0 IMAGES_DIR [LOG]" >&2; exit 2; }
img=$1
log=${2:-$img/serial.log}
timeout=${TIMEOUT:-1200}
smp=${SMP:-2}
for f in xen vmlinuz dom0.cpio.gz; do
  [[ -e $img/$f ]] || { echo "run.sh: $img/$f missing (run build.sh)" >&2; exit 1; }
done

# Xen writes its console and dom0's (hvc0) to com1 = QEMU's stdio. TCG, one host
# thread per vCPU; the CPU model is the recipe's verified one (the domUs are PV).
xen_args="dom0_mem=${DOM0MEM:-512}M,max:${DOM0MEM:-512}M dom0_max_vcpus=$smp console=com1 com1=115200,8n1"
xen_args+=" loglvl=all guest_loglvl=all"
# QEMU's -initrd list is comma-separated: a comma inside a module's command line is doubled.
dom0_args="console=hvc0 earlyprintk=xen loglevel=4${STEPS:+ aw.steps=${STEPS//,/,,}}"
dom0_args+="${SYSFW_MEM:+ aw.sysfw_mem=$SYSFW_MEM}${LINUXFW_MEM:+ aw.linuxfw_mem=$LINUXFW_MEM}"

start=${EPOCHREALTIME/./}
elapsed() { echo $(( (${EPOCHREALTIME/./} - start) / 1000000 )); }
: > "$log"
qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt -machine q35 -m "${QMEM:-3072}" -smp "$smp" \
    -display none -serial stdio -monitor none -no-reboot -net none \
    -kernel "$img/xen" -append "$xen_args" \
    -initrd "$img/vmlinuz $dom0_args,$img/dom0.cpio.gz" < /dev/null > >(
  while IFS= read -r line; do
    now=${EPOCHREALTIME/./}; cs=$(( (now - start) / 10000 ))
    printf '[%4d.%02d] %s\n' $((cs / 100)) $((cs % 100)) "${line%$'\r'}"
  done >> "$log") 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null' EXIT
echo "run.sh: qemu pid $qemu, serial log $log, timeout ${timeout}s"

why=""
while kill -0 $qemu 2>/dev/null; do
  sleep 1
  # dom0's or Xen's own panic (a guest's, echoed by dom0 as "  NAME: ...", may be the test's)
  if grep -E 'Panic on CPU|FATAL PAGE FAULT|Kernel panic|Attempted to kill init' "$log" |
       grep -qvE '^\[ *[0-9.]+\]   [a-z0-9-]+: '; then
    why="panic in the log"
  elif (($(elapsed) >= timeout)); then
    why="timeout after ${timeout}s"
  fi
  if [[ -n $why ]]; then sleep 2; kill $qemu 2>/dev/null; break; fi
done
wait $qemu 2>/dev/null
sleep 0.5   # let the log writer drain
echo "run.sh: qemu finished${why:+ (killed: $why)} after $(elapsed)s"

grep -E '\] (RESULT|ALL-DONE)' "$log" | sed 's/^\[ *\([0-9.]*\)\] /[\1s] /'
done_line=$(grep -E '\] ALL-DONE ' "$log" | tail -1)
if [[ -z $done_line ]]; then
  echo "run.sh: FAIL: dom0 did not finish (no ALL-DONE)${why:+: $why}; see $log"
  exit 1
fi
if grep -qE '\] RESULT [^ ]+ FAIL' "$log" || [[ $done_line != *" fail=0"* ]]; then
  echo "run.sh: FAIL: some checks failed; see $log"
  exit 1
fi
echo "run.sh: PASS (${done_line#*ALL-DONE })"
