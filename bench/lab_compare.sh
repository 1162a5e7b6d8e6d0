#!/usr/bin/env bash
# bench/lab_compare.sh — actorwall against the Linux sys-firewall data path, side by side
# in one run. Two copies of the lab's topology (one client, one netvm, Qubes addressing):
#   awcmp-aw-*  client --TAP-- actorwall --TAP-- netvm       (as scripts/lab.sh)
#   awcmp-k-*   client --veth-- fw namespace --veth-- netvm  (ip_forward=1, nftables
#               masquerade, conntrack, anti-spoofing and a per-client rule chain, as a
#               Linux sys-firewall configures itself)
# For each measurement the two paths run one after the other (actorwall first), REPS
# times; the table gives the medians and the ratio actorwall/kernel.
#   iperf3 TCP, 1 and 4 streams, client -> netvm and netvm -> client (-R)
#   UDP 64-byte frames (18-byte payload), as fast as one iperf3 sends: packets/s received
#   ping RTT p50/p99, idle and under a 1-stream TCP load from the same client
# Not part of the test command: a benchmark (root, ~3 min with the defaults).
#
#   bench/lab_compare.sh [--build-dir DIR] [--time SECONDS] [--reps N]
#
# AW_WRAP: a command actorwall runs under, e.g. AW_WRAP="chrt -f 10" (real-time priority).
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/release
T=5
REPS=3
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --time) T=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--time SECONDS] [--reps N]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "lab_compare: needs root" >&2; exit 1; }
actorwall=$build/app/actorwall
fake_qdb=$build/qubes/aw-fake-qubesdb
for b in "$actorwall" "$fake_qdb"; do [[ -x $b ]] || { echo "lab_compare: $b not built" >&2; exit 1; }; done
for t in iperf3 nft ping python3; do command -v $t >/dev/null || { echo "lab_compare: $t missing (scripts/setup-deps.sh)" >&2; exit 1; }; done

FW=10.137.0.6; NETVM=10.137.0.5; C1=10.137.0.10; WEB=192.0.2.80
AW_C=awcmp-aw-c1; AW_N=awcmp-aw-netvm; K_C=awcmp-k-c1; K_F=awcmp-k-fw; K_N=awcmp-k-netvm
ALL_NS="$AW_C $AW_N $K_C $K_F $K_N"
work=$(mktemp -d /tmp/awcmp.XXXXXX)
pids=()
cleanup() {
  trap '' INT TERM
  trap - EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for ns in $ALL_NS; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "lab_compare: interrupted"; exit 130' INT TERM
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
die() { echo "lab_compare: $*" >&2; exit 1; }

for ns in $ALL_NS; do
  ip netns del "$ns" 2>/dev/null
  ip netns add "$ns" || die "cannot create $ns"
  in_ns "$ns" ip link set lo up
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done

client_setup() {  # ns dev: Qubes addressing of a client qube
  in_ns "$1" ip link set "$2" address 00:16:3e:5e:6c:00
  in_ns "$1" ip link set "$2" up
  in_ns "$1" ip addr add $C1/32 dev "$2"
  in_ns "$1" ip route add $FW dev "$2"
  in_ns "$1" ip route add default via $FW dev "$2"
  in_ns "$1" ip neigh replace $FW lladdr fe:ff:ff:ff:ff:ff dev "$2" nud permanent
}
netvm_setup() {  # ns dev: the netvm's side of the uplink, "the internet" on lo, iperf3
  in_ns "$1" ip link set "$2" up
  in_ns "$1" ip addr add $NETVM/32 dev "$2"
  in_ns "$1" ip route add $FW dev "$2"
  in_ns "$1" ip addr add $WEB/32 dev lo
  in_ns "$1" iperf3 -s -B $WEB >/dev/null 2>&1 &
  pids+=($!)
}

# --- actorwall's path (as scripts/lab.sh, one client)
cp examples/qubesdb/lab.qubesdb "$work/qubesdb"
"$fake_qdb" "$work/qdb.sock" "$work/qubesdb" 2>"$work/qubesdb.log" &
pids+=($!)
for _ in $(seq 50); do [[ -S $work/qdb.sock ]] && break; sleep 0.1; done
${AW_WRAP:-} "$actorwall" --qubesdb "$work/qdb.sock" --status-socket "$work/status.sock" \
  --uplink-tap "aw-up@$AW_N" --client-tap "aw-c1=$C1@$AW_C" 2>"$work/actorwall.log" &
aw_pid=$!
pids+=($aw_pid)
for _ in $(seq 100); do [[ -S $work/status.sock ]] && break; sleep 0.1; done
[[ -S $work/status.sock ]] || { cat "$work/actorwall.log"; die "actorwall did not start"; }
netvm_setup $AW_N aw-up
client_setup $AW_C aw-c1

# --- the kernel's path: a Linux sys-firewall in a namespace
ip link add eth0 netns $K_C type veth peer name vif-c1 netns $K_F || die "veth"
ip link add eth0 netns $K_F type veth peer name eth0 netns $K_N || die "veth"
client_setup $K_C eth0
in_ns $K_F sysctl -qw net.ipv4.ip_forward=1
in_ns $K_F ip link set vif-c1 address fe:ff:ff:ff:ff:ff
in_ns $K_F ip link set vif-c1 up
in_ns $K_F ip addr add $FW/32 dev vif-c1
in_ns $K_F ip route add $C1 dev vif-c1
in_ns $K_F ip neigh replace $C1 lladdr 00:16:3e:5e:6c:00 dev vif-c1 nud permanent
in_ns $K_F ip link set eth0 up
in_ns $K_F ip addr add $FW/32 dev eth0
in_ns $K_F ip route add $NETVM dev eth0
in_ns $K_F ip route add default via $NETVM dev eth0
in_ns $K_F nft -f - <<NFT || die "nft"
table ip qubes {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    iifname "vif-c1" ip saddr != $C1 counter drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state invalid counter drop
    ct state established,related accept
    iifname "vif*" oifname "vif*" counter drop
    iifname "vif-c1" oifname "eth0" jump qbs-c1
  }
  chain qbs-c1 {
    tcp dport 8080 reject with icmp type admin-prohibited
    accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth0" masquerade
  }
}
NFT
netvm_setup $K_N eth0
sleep 1
in_ns $AW_C ping -c 1 -W 2 $WEB >/dev/null || die "no path through actorwall"
in_ns $K_C ping -c 1 -W 2 $WEB >/dev/null || die "no path through the kernel"

# --- measurements: each prints one number
tcp() {  # ns streams [-R] -> Gbit/s received
  in_ns "$1" iperf3 -c $WEB -t "$T" -P "$2" ${3:-} -J 2>/dev/null | python3 -c 'import json,sys
try: print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("nan")'
}
udp64() {  # ns -> packets/s received (and sent, in $work/udp.sent)
  in_ns "$1" iperf3 -c $WEB -u -b 0 -l 18 -t "$T" -J 2>/dev/null | python3 -c 'import json,sys
try:
    s = json.load(sys.stdin)["end"]["sum"]
    print("%.0f" % ((s["packets"] - s["lost_packets"]) / s["seconds"]))
    open(sys.argv[1], "a").write("%.0f\n" % (s["packets"] / s["seconds"]))
except Exception: print("nan")' "$work/udp.sent.$1"
}
rtts() {  # ns -> RTT samples in ms, one a line (300 pings, 10 ms apart)
  in_ns "$1" ping -c 300 -i 0.01 -W 1 $WEB 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms/\1/p'
}
pct() {  # p file -> the p-th percentile of the samples
  python3 -c 'import sys
v = sorted(float(x) for x in open(sys.argv[2]) if x.strip())
print("%.3f" % v[min(len(v) - 1, int(len(v) * float(sys.argv[1]) / 100))] if v else "nan")' "$1" "$2"
}
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$aw_pid/stat; }

declare -A R  # R[test,variant] = "v1 v2 ..."
add() { R[$1,$2]="${R[$1,$2]:-} $3"; }
for rep in $(seq "$REPS"); do
  echo "lab_compare: repetition $rep of $REPS" >&2
  for v in aw k; do
    if [[ $v == aw ]]; then c=$AW_C; else c=$K_C; fi
    [[ $v == aw ]] && t0=$(cpu_ticks)
    add tcp1 $v "$(tcp $c 1)"
    add tcp4 $v "$(tcp $c 4)"
    add tcp1r $v "$(tcp $c 1 -R)"
    add tcp4r $v "$(tcp $c 4 -R)"
    add udp64 $v "$(udp64 $c)"
    [[ $v == aw ]] && add cpu $v "$(( ($(cpu_ticks) - t0) ))"
    rtts $c >"$work/idle.$v.$rep"
    add p50 $v "$(pct 50 "$work/idle.$v.$rep")"
    add p99 $v "$(pct 99 "$work/idle.$v.$rep")"
    in_ns $c iperf3 -c $WEB -t $((T + 2)) >/dev/null 2>&1 &
    load=$!
    sleep 1
    rtts $c >"$work/load.$v.$rep"
    wait $load
    add lp50 $v "$(pct 50 "$work/load.$v.$rep")"
    add lp99 $v "$(pct 99 "$work/load.$v.$rep")"
  done
done

median() { python3 -c 'import statistics,sys
v = [float(x) for x in sys.argv[1:] if x != "nan"]
print("%g" % statistics.median(v) if v else "nan")' $1; }
row() {  # name test unit target(kind:value) 
  local a k r
  a=$(median "${R[$2,aw]}"); k=$(median "${R[$2,k]}")
  r=$(python3 -c 'import sys
try: print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))
except Exception: print("nan")' "$a" "$k")
  local target=""
  case $4 in
    min:*) target=">= ${4#min:} $(python3 -c "print('met' if float('$r') >= ${4#min:} else 'MISSED')" 2>/dev/null || echo '?')" ;;
    max:*) target="<= ${4#max:} $(python3 -c "print('met' if float('$r') <= ${4#max:} else 'MISSED')" 2>/dev/null || echo '?')" ;;
  esac
  printf '| %-44s | %10s | %10s | %5s | %-14s |\n' "$1 ($3)" "$a" "$k" "$r" "$target"
}
echo
echo "actorwall vs Linux kernel forwarding + nftables masquerade: medians of $REPS runs of ${T} s"
echo "($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); each value: actorwall, kernel, ratio actorwall/kernel)"
echo
printf '| %-44s | %10s | %10s | %5s | %-14s |\n' measurement actorwall kernel ratio target
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})" "-------" "----------------"
row "TCP 1 stream, client -> netvm" tcp1 Gbit/s min:0.5
row "TCP 4 streams, client -> netvm" tcp4 Gbit/s min:0.5
row "TCP 1 stream, netvm -> client (-R)" tcp1r Gbit/s min:0.5
row "TCP 4 streams, netvm -> client (-R)" tcp4r Gbit/s min:0.5
row "UDP 64-byte frames, client -> netvm" udp64 "packets/s" min:0.5
row "ping RTT p50, idle" p50 ms ""
row "ping RTT p99, idle" p99 ms ""
row "ping RTT p50, under 1-stream TCP load" lp50 ms ""
row "ping RTT p99, under 1-stream TCP load" lp99 ms max:2
echo
echo "UDP sent (packets/s, medians): actorwall $(median "$(cat "$work/udp.sent.$AW_C")"), kernel $(median "$(cat "$work/udp.sent.$K_C")")"
echo "actorwall CPU time over the throughput tests (5 x ${T} s): $(median "${R[cpu,aw]}") ticks of 1/$(getconf CLK_TCK) s per repetition"
echo
echo "actorwall counters:"
python3 - "$work/status.sock" <<'PY' | grep -E '^(forwarded|credit_withheld|drop\.|nat\.|port\.(aw-c1|uplink)\.(rx_paused|link\.(would_block|rx_gso|tx_frames|rx_frames)))' | sed 's/^/  /'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
data = b""
while chunk := s.recv(65536): data += chunk
print(data.decode(), end="")
PY
