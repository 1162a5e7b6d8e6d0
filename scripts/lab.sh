#!/usr/bin/env bash
# scripts/lab.sh — the network-namespace lab: a Qubes-like topology on this machine
# with actorwall as the firewall qube between two client qubes and a netvm, each a real
# kernel network stack in its own namespace, on TAP links actorwall created. Runs a short
# scenario, prints each check (expected, observed), then actorwall's counters, and tears
# everything down (also on Ctrl-C or failure).
#
#   scripts/lab.sh [--build-dir DIR] [--keep]
#     --keep   leave the lab running for manual use until Ctrl-C
#              (e.g. ip netns exec awlab-c1 curl http://192.0.2.80/)
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/release
keep=0
while (($#)); do
  case $1 in
    --build-dir) build=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--build-dir DIR] [--keep]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "lab: needs root (network namespaces, TAP devices)" >&2; exit 1; }
actorwall=$build/app/actorwall
fake_qdb=$build/qubes/aw-fake-qubesdb
for b in "$actorwall" "$fake_qdb"; do
  [[ -x $b ]] || { echo "lab: $b not built (run scripts/demo.sh)" >&2; exit 1; }
done

# --- addressing (as Qubes): firewall 10.137.0.6, netvm 10.137.0.5, clients .10 and .11
FW=10.137.0.6; NETVM=10.137.0.5; C1=10.137.0.10; C2=10.137.0.11
WEB=192.0.2.80; DNS_REAL=192.0.2.53
NS_NETVM=awlab-netvm; NS_C1=awlab-c1; NS_C2=awlab-c2
work=$(mktemp -d /tmp/awlab.XXXXXX)
pids=()

cleanup() {
  # A second Ctrl-C or TERM must not cut the teardown short.
  trap '' INT TERM
  trap - EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for ns in $NS_C1 $NS_C2 $NS_NETVM; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "lab: interrupted"; exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# --- namespaces
for ns in $NS_NETVM $NS_C1 $NS_C2; do
  ip netns del "$ns" 2>/dev/null
  ip netns add "$ns" || exit 1
  in_ns "$ns" ip link set lo up
done

# --- QubesDB (the fake daemon serving the example file) and actorwall
cp examples/qubesdb/lab.qubesdb "$work/qubesdb.new" && mv "$work/qubesdb.new" "$work/qubesdb"  # atomic for the reload
"$fake_qdb" "$work/qdb.sock" "$work/qubesdb" 2>"$work/qubesdb.log" &
pids+=($!)
for _ in $(seq 50); do [[ -S $work/qdb.sock ]] && break; sleep 0.1; done
"$actorwall" --qubesdb "$work/qdb.sock" --status-socket "$work/status.sock" \
  --uplink-tap "aw-up@$NS_NETVM" --client-tap "aw-c1=$C1@$NS_C1" --client-tap "aw-c2=$C2@$NS_C2" \
  2>"$work/actorwall.log" &
aw_pid=$!
pids+=($aw_pid)
for _ in $(seq 100); do [[ -S $work/status.sock ]] && break; sleep 0.1; done
[[ -S $work/status.sock ]] || { echo "lab: actorwall did not start:"; cat "$work/actorwall.log"; exit 1; }

# --- the netvm: its end of the uplink, "the internet",
# DNS DNAT as sys-net does, a DNS server, HTTP servers, iperf3
in_ns $NS_NETVM ip link set aw-up up
in_ns $NS_NETVM ip addr add $NETVM/32 dev aw-up
in_ns $NS_NETVM ip route add $FW dev aw-up
# "The internet": addresses of the netvm's own (on lo), reached through it.
in_ns $NS_NETVM ip addr add $WEB/32 dev lo
in_ns $NS_NETVM ip addr add $DNS_REAL/32 dev lo
in_ns $NS_NETVM nft -f - <<NFT
table ip qubes-lab-nat {
  chain prerouting {
    type nat hook prerouting priority dstnat;
    ip daddr { 10.139.1.1, 10.139.1.2 } udp dport 53 dnat to $DNS_REAL
    ip daddr { 10.139.1.1, 10.139.1.2 } tcp dport 53 dnat to $DNS_REAL
  }
}
NFT
in_ns $NS_NETVM dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=$DNS_REAL --bind-interfaces \
  --address=/www.lab.example/$WEB --address=/ads.lab.example/192.0.2.66 --pid-file="$work/dnsmasq.pid" \
  2>"$work/dnsmasq.log" &
pids+=($!)
mkdir -p "$work/www" && echo "hello from the netvm" > "$work/www/index.html"
in_ns $NS_NETVM python3 -m http.server 80 --bind $WEB --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)
in_ns $NS_NETVM python3 -m http.server 8080 --bind $WEB --directory "$work/www" >/dev/null 2>&1 &
pids+=($!)
in_ns $NS_NETVM iperf3 -s -B $WEB >/dev/null 2>&1 &
pids+=($!)

# --- the clients, configured as Qubes configures its qubes
setup_client() {  # ns dev ip
  local ns=$1 dev=$2 ip=$3
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  in_ns "$ns" ip link set "$dev" address 00:16:3e:5e:6c:00
  in_ns "$ns" ip link set "$dev" up
  in_ns "$ns" ip addr add "$ip/32" dev "$dev"
  in_ns "$ns" ip route add $FW dev "$dev"
  in_ns "$ns" ip route add default via $FW dev "$dev"
  in_ns "$ns" ip neigh replace $FW lladdr fe:ff:ff:ff:ff:ff dev "$dev" nud permanent
  mkdir -p "/etc/netns/$ns"
  printf 'nameserver 10.139.1.1\nnameserver 10.139.1.2\n' > "/etc/netns/$ns/resolv.conf"
}
setup_client $NS_C1 aw-c1 $C1
setup_client $NS_C2 aw-c2 $C2
# A second address on client 1, to send from an address that is not its own.
in_ns $NS_C1 ip addr add 10.137.0.99/32 dev aw-c1
sleep 1

status() { python3 - "$work/status.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
data = b""
while chunk := s.recv(65536): data += chunk
print(data.decode(), end="")
PY
}
# dom0's commit signal: a write of /qubes-firewall/<ip> (QubesDB WRITE, type 1).
qdb_commit() { python3 - "$work/qdb.sock" "/qubes-firewall/$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack("=B64s3xI", 1, sys.argv[2].encode(), 0))
reply = s.recv(72)
sys.exit(0 if reply and reply[0] == 7 else 1)  # RESP_OK
PY
}
counter() { status | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'; }

failures=0
row() {  # check expected observed ok
  local mark=ok
  [[ $4 == 1 ]] || { mark=FAIL; failures=$((failures + 1)); }
  printf '  %-52s %-24s %-24s %s\n' "$1" "$2" "$3" "$mark"
}
ok_if() { [[ $1 == 0 ]] && echo 1 || echo 0; }

echo "actorwall lab: clients $C1 ($NS_C1), $C2 ($NS_C2); netvm $NETVM ($NS_NETVM); firewall $FW"
echo
printf '  %-52s %-24s %-24s %s\n' CHECK EXPECTED OBSERVED ""

in_ns $NS_C1 ping -c 2 -W 2 $FW >/dev/null; r=$?
row "client 1 pings its gateway (the firewall)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
in_ns $NS_C1 ping -c 2 -W 2 $WEB >/dev/null; r=$?
row "client 1 pings a host beyond the netvm (NATed ICMP)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
in_ns $NS_C1 ping -c 2 -W 2 -s 8000 $WEB >/dev/null; r=$?
row "client 1 pings with 8000 bytes (IP fragments)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
# RFC 4787 REQ-1: one internal endpoint keeps one external port towards two destinations.
in_ns $NS_NETVM python3 - "$WEB" "$DNS_REAL" >"$work/ports" 2>/dev/null <<'PY' &
import socket, sys
socks = []
for addr in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, 9999)); s.settimeout(5); socks.append(s)
print(" ".join(str(s.recvfrom(64)[1][1]) for s in socks))
PY
listener=$!
sleep 0.5
in_ns $NS_C1 python3 - "$C1" "$WEB" "$DNS_REAL" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 40404))
for dst in sys.argv[2:]: s.sendto(b"mapping", (dst, 9999))
PY
wait "$listener"
read -r p1 p2 < "$work/ports"
row "one client port to two destinations: external port" "the same twice" "${p1:-none} ${p2:-none}" "$([[ -n $p1 && $p1 == "$p2" ]] && echo 1 || echo 0)"
answer=$(in_ns $NS_C1 dig +short +time=2 +tries=1 @10.139.1.1 www.lab.example 2>/dev/null | head -1)
row "client 1 resolves www.lab.example via 10.139.1.1" "$WEB" "${answer:-no answer}" "$([[ $answer == "$WEB" ]] && echo 1 || echo 0)"
body=$(in_ns $NS_C1 curl -s -m 5 http://www.lab.example/ 2>/dev/null)
row "client 1 fetches http://www.lab.example/" "hello from the netvm" "${body:-nothing}" "$([[ $body == "hello from the netvm" ]] && echo 1 || echo 0)"
start=$(date +%s%N)
in_ns $NS_C1 curl -s -m 5 http://$WEB:8080/ >/dev/null 2>&1; r=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
row "client 1 to TCP 8080 (its rule drops it)" "refused at once" "curl exit $r in ${ms} ms" "$([[ $r == 7 && $ms -lt 2000 ]] && echo 1 || echo 0)"
before=$(counter drop.client_to_client)
in_ns $NS_C1 ping -c 1 -W 1 $C2 >/dev/null; r=$?
after=$(counter drop.client_to_client)
row "client 1 pings client 2" "no reply, counted" "$([[ $r == 0 ]] && echo reply || echo none), +$((after - before))" "$([[ $r != 0 && $after -gt $before ]] && echo 1 || echo 0)"
before=$(counter drop.spoofed_source)
in_ns $NS_C1 ping -c 1 -W 1 -I 10.137.0.99 $WEB >/dev/null; r=$?
after=$(counter drop.spoofed_source)
row "client 1 sends from a spoofed source address" "dropped, counted" "$([[ $r == 0 ]] && echo reply || echo dropped), +$((after - before))" "$([[ $r != 0 && $after -gt $before ]] && echo 1 || echo 0)"
hops=$(in_ns $NS_C1 traceroute -n -q 1 -w 1 -m 4 $WEB 2>/dev/null | awk 'NR > 1 { printf "%s ", $2 }')
row "traceroute from client 1 to $WEB" "$FW $WEB" "${hops:-nothing}" "$([[ $hops == "$FW $WEB " ]] && echo 1 || echo 0)"
body=$(in_ns $NS_C2 curl -s -m 5 http://$WEB/ 2>/dev/null)
row "client 2 (restrictive rules) fetches port 80" "hello from the netvm" "${body:-nothing}" "$([[ $body == "hello from the netvm" ]] && echo 1 || echo 0)"
in_ns $NS_C2 curl -s -m 5 http://$WEB:8080/ >/dev/null 2>&1; r=$?
row "client 2 to TCP 8080 (policy drop)" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"

# A rule change applied live: dom0 rewrites client 1's rules to drop port 80 (the
# daemon reloads its file on SIGHUP), then commits them; later it restores them.
sed -i 's|^/qubes-firewall/10.137.0.10/0000 .*|/qubes-firewall/10.137.0.10/0000 action=drop proto=tcp dstports=80-80|' "$work/qubesdb"
kill -HUP "${pids[0]}"
sleep 0.5
qdb_commit $C1
sleep 0.5
in_ns $NS_C1 curl -s -m 5 http://$WEB/ >/dev/null 2>&1; r=$?
row "after a live rule change, client 1 to port 80" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"
cp examples/qubesdb/lab.qubesdb "$work/qubesdb.new" && mv "$work/qubesdb.new" "$work/qubesdb"  # atomic for the reload
kill -HUP "${pids[0]}"
sleep 0.5
qdb_commit $C1
sleep 0.5
body=$(in_ns $NS_C1 curl -s -m 5 http://$WEB/ 2>/dev/null)
row "after restoring the rules, client 1 to port 80" "hello from the netvm" "${body:-nothing}" "$([[ $body == "hello from the netvm" ]] && echo 1 || echo 0)"
rate=$(in_ns $NS_C1 iperf3 -c $WEB -t 2 -J 2>/dev/null | python3 -c 'import json,sys
try: print("%.2f Gbit/s" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("failed")')
row "iperf3 TCP, client 1 to the netvm (2 s)" "a rate" "$rate" "$([[ $rate != failed ]] && echo 1 || echo 0)"

echo
echo "actorwall counters:"
status | sed 's/^/  /'
echo
if ((failures == 0)); then echo "lab: all checks passed"; else echo "lab: $failures checks FAILED (log: actorwall.log below)"; sed 's/^/  /' "$work/actorwall.log" | tail -20; fi

if ((keep)); then
  echo
  echo "lab: running for manual use; try: ip netns exec $NS_C1 curl http://www.lab.example/   (Ctrl-C stops)"
  wait "$aw_pid"
fi
kill -TERM "$aw_pid" 2>/dev/null
wait "$aw_pid"; aw_rc=$?
((aw_rc == 0)) || { echo "lab: actorwall exited with $aw_rc"; failures=$((failures + 1)); }
exit $((failures == 0 ? 0 : 1))
