#!/usr/bin/env bash
# scripts/lab.sh — the network-namespace lab: a Qubes-like topology on this machine
# with actorwall as the firewall qube between two client qubes and a netvm, each a real
# kernel network stack in its own namespace, on TAP links actorwall created. Runs a short
# scenario, prints each check (expected, observed), then actorwall's counters, and tears
# everything down (also on Ctrl-C or failure). Besides ping, DNS, HTTP and the rules:
# scapy-built spoofed frames, nmap scans, open connections across a rule reload, a UDP
# flood against another client's TCP (fairness), a client namespace deleted and
# re-created, and `systemd-analyze verify` on packaging/actorwall.service.
# Needs nmap and python3-scapy (scripts/setup-deps.sh); about a minute.
#
# Environment: AW_LAB_FAIR_MIN (0.2) and AW_LAB_FAIR_RTT_MS (20), the fairness bounds.
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
WEB=192.0.2.80; WEB2=192.0.2.81; DNS_REAL=192.0.2.53
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
# A second host with iperf3 on TCP 80: the only TCP port client 2's rules allow (fairness).
in_ns $NS_NETVM ip addr add $WEB2/32 dev lo
in_ns $NS_NETVM iperf3 -s -B $WEB2 -p 80 >/dev/null 2>&1 &
pids+=($!)
# Echo servers for the rule reload with connections open.
in_ns $NS_NETVM python3 - $WEB 7001 7002 >/dev/null 2>&1 <<'PY' &
import socket, sys, threading
def echo(c):
    try:
        while data := c.recv(4096): c.sendall(data)
    except OSError: pass
def serve(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((sys.argv[1], port)); l.listen()
    while True: threading.Thread(target=echo, args=(l.accept()[0],), daemon=True).start()
for p in sys.argv[2:]: threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
PY
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
# Client 2 listens on TCP 22 and 80: what nmap from client 1 must not reach.
c2_listeners() {
  in_ns $NS_C2 python3 -c '
import socket, threading
for port in (22, 80):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("0.0.0.0", port)); l.listen()
    threading.Thread(target=lambda l=l: [l.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
threading.Event().wait()' >/dev/null 2>&1 &
  c2_listen_pid=$!
  pids+=($c2_listen_pid)
}
c2_listeners
# A second address on client 1, to send from an address that is not its own.
in_ns $NS_C1 ip addr add 10.137.0.99/32 dev aw-c1
sleep 1

status() { "$actorwall" status --socket "$work/status.sock" --raw; }  # the counters as "name value" lines
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
  printf '  %-52s %-28s %-36s %s\n' "$1" "$2" "$3" "$mark"
}
ok_if() { [[ $1 == 0 ]] && echo 1 || echo 0; }

echo "actorwall lab: clients $C1 ($NS_C1), $C2 ($NS_C2); netvm $NETVM ($NS_NETVM); firewall $FW"
echo
printf '  %-52s %-28s %-36s %s\n' CHECK EXPECTED OBSERVED ""

in_ns $NS_C1 ping -c 2 -W 2 $FW >/dev/null; r=$?
row "client 1 pings its gateway (the firewall)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
in_ns $NS_C1 ping -c 2 -W 2 $WEB >/dev/null; r=$?
row "client 1 pings a host beyond the netvm (NATed ICMP)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
in_ns $NS_C1 ping -c 2 -W 2 -s 8000 $WEB >/dev/null; r=$?
row "client 1 pings with 8000 bytes (IP fragments)" "replies" "$([[ $r == 0 ]] && echo replies || echo none)" "$(ok_if $r)"
# RFC 4787 REQ-1: one internal endpoint keeps one external port towards two destinations.
in_ns $NS_NETVM python3 - "$work/ports.ready" "$WEB" "$DNS_REAL" >"$work/ports" 2>/dev/null <<'PY' &
import socket, sys
socks = []
for addr in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, 9999)); s.settimeout(5); socks.append(s)
open(sys.argv[1], "w").close()
print(" ".join(str(s.recvfrom(64)[1][1]) for s in socks))
PY
listener=$!
for _ in $(seq 200); do [[ -e $work/ports.ready ]] && break; sleep 0.05; done
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
# Frames built by hand (scapy) on client 1's link: client 2's source address, with the
# MAC Qubes gives every client (00:16:3e:5e:6c:00, so a MAC names no client: actorwall
# knows the client by its port) and with a foreign MAC; then 5 control frames with
# client 1's own address, which must arrive (so the check cannot pass on a dead path).
before=$(counter drop.spoofed_source)
in_ns $NS_NETVM python3 - "$WEB" "$work/udp.ready" >"$work/udp_seen" 2>/dev/null <<'PY' &
import collections, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9998)); s.settimeout(0.2)
open(sys.argv[2], "w").close()
seen = collections.Counter(); deadline = time.monotonic() + 15
while time.monotonic() < deadline and seen["own"] < 5:
    try: seen[s.recv(64).decode(errors="replace")] += 1
    except socket.timeout: pass
print(seen["other"], seen["own"])
PY
listener=$!
for _ in $(seq 200); do [[ -e $work/udp.ready ]] && break; sleep 0.05; done
in_ns $NS_C1 /usr/bin/python3 - $C1 $C2 $WEB >"$work/scapy.log" 2>&1 <<'PY'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, UDP, Raw, sendp
c1, c2, web = sys.argv[1:4]
def frame(mac, src, tag): return Ether(src=mac, dst="fe:ff:ff:ff:ff:ff") / IP(src=src, dst=web) / UDP(sport=40000, dport=9998) / Raw(tag)
sendp([frame("00:16:3e:5e:6c:00", c2, b"other")] * 5 + [frame("02:00:00:00:00:0b", c2, b"other")] * 5
      + [frame("00:16:3e:5e:6c:00", c1, b"own")] * 5, iface="aw-c1", verbose=False)
PY
wait "$listener"
read -r other own < "$work/udp_seen"
after=$(counter drop.spoofed_source)
row "scapy: 10 frames from client 1 with client 2's IP" "0 arrive, +10 counted" "${other:-?} arrive, +$((after - before))" "$([[ $other == 0 && $((after - before)) -ge 10 ]] && echo 1 || echo 0)"
row "scapy: 5 control frames with client 1's own IP" "5 arrive" "${own:-?} arrive" "$([[ $own == 5 ]] && echo 1 || echo 0)"

# What Linux conntrack marks invalid (a Linux sys-firewall drops it: `ct state invalid drop`):
# TCP segments with flags no TCP sends (SYN+FIN, none, nmap's Xmas FIN+PSH+URG) and a UDP
# datagram whose length field exceeds its IP payload, crafted by scapy from client 1; a
# valid SYN and a valid datagram after them must arrive (the check cannot pass on a dead path).
tcp_before=$(counter drop.tcp_invalid_flags); udp_before=$(counter drop.udp_bad_length)
in_ns $NS_NETVM python3 - "$work/sniff.ready" >"$work/sniff_seen" 2>/dev/null <<'PY' &
import collections, socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); s.bind(("aw-up", 0)); s.settimeout(0.2)
open(sys.argv[1], "w").close()
seen = collections.Counter(); deadline = time.monotonic() + 15
while time.monotonic() < deadline and not (seen["tcp-valid"] and seen["udp-valid"]):
    try: f = s.recv(2048)
    except socket.timeout: continue
    ip = f[14:]; ihl = (ip[0] & 15) * 4; l4 = ip[ihl:]
    if ip[9] == 6 and struct.unpack("!H", l4[2:4])[0] == 9997: seen["tcp-valid" if l4[13] == 0x02 else "tcp-invalid"] += 1
    if ip[9] == 17 and struct.unpack("!H", l4[2:4])[0] == 9996: seen["udp-" + l4[8:].decode(errors="replace")] += 1
print(seen["tcp-invalid"], seen["tcp-valid"], seen["udp-bad"], seen["udp-valid"])
PY
sniffer=$!
for _ in $(seq 200); do [[ -e $work/sniff.ready ]] && break; sleep 0.05; done
in_ns $NS_C1 /usr/bin/python3 - $C1 $WEB >>"$work/scapy.log" 2>&1 <<'PY'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, TCP, UDP, Raw, sendp
c1, web = sys.argv[1:3]
eth = Ether(src="00:16:3e:5e:6c:00", dst="fe:ff:ff:ff:ff:ff")
bad = [eth / IP(src=c1, dst=web) / TCP(sport=41000 + i, dport=9997, flags=f) for i, f in enumerate(["SF", "", "FPU"])]
bad.append(eth / IP(src=c1, dst=web) / UDP(sport=41010, dport=9996, len=200) / Raw(b"bad"))
good = [eth / IP(src=c1, dst=web) / TCP(sport=41020, dport=9997, flags="S"), eth / IP(src=c1, dst=web) / UDP(sport=41021, dport=9996) / Raw(b"valid")]
sendp(bad + good, iface="aw-c1", verbose=False)
PY
wait "$sniffer"
read -r tcp_bad tcp_ok udp_bad udp_ok < "$work/sniff_seen"
tcp_after=$(counter drop.tcp_invalid_flags); udp_after=$(counter drop.udp_bad_length)
row "scapy: SYN+FIN, no flags, FIN+PSH+URG from client 1" "0 arrive, +3 counted; SYN arrives" "${tcp_bad:-?} arrive, +$((tcp_after - tcp_before)); SYN ${tcp_ok:-?}" "$([[ $tcp_bad == 0 && $((tcp_after - tcp_before)) == 3 && $tcp_ok -ge 1 ]] && echo 1 || echo 0)"
row "scapy: UDP length 200 over a 3-byte payload" "0 arrive, +1 counted; valid arrives" "${udp_bad:-?} arrive, +$((udp_after - udp_before)); valid ${udp_ok:-?}" "$([[ $udp_bad == 0 && $((udp_after - udp_before)) == 1 && $udp_ok -ge 1 ]] && echo 1 || echo 0)"

# nmap from client 1: a TCP SYN scan of the firewall's address and of client 2 (which
# listens on 22 and 80), and a host discovery of client 2.
nmap_scan() {  # target -> "OPEN  other states"
  in_ns $NS_C1 nmap -n -Pn -sS -p 1-1024,5201,7001,7002,8080 --max-retries 1 --min-rate 2000 --host-timeout 30s -oG - "$1" 2>/dev/null |
    python3 -c '
import collections, re, sys
t = sys.stdin.read(); c = collections.Counter()
for m in re.finditer(r"Ignored State: (\S+) \((\d+)\)", t): c[m.group(1)] += int(m.group(2))
for m in re.finditer(r"Ports: ([^\t\n]*)", t):
    for e in filter(None, m.group(1).strip().split(", ")): c[e.split("/")[1]] += 1
print(c["open"], " ".join(f"{n} {k}" for k, n in sorted(c.items()) if k != "open") or "no report")'
}
read -r n_open rest <<<"$(nmap_scan $FW)"
row "nmap client 1 -> the firewall $FW (1028 TCP ports)" "0 open" "$n_open open ($rest)" "$([[ $n_open == 0 && $rest != "no report" ]] && echo 1 || echo 0)"
before=$(counter drop.client_to_client)
read -r n_open rest <<<"$(nmap_scan $C2)"
up=$(in_ns $NS_C1 nmap -n -sn $C2 -oG - 2>/dev/null | grep -c 'Status: Up')
after=$(counter drop.client_to_client)
row "nmap client 1 -> client 2 (listening on 22, 80)" "0 open, down, counted" "$n_open open ($rest), $([[ $up == 0 ]] && echo down || echo up), +$((after - before))" "$([[ $n_open == 0 && $rest != "no report" && $up == 0 && $((after - before)) -ge 1000 ]] && echo 1 || echo 0)"
hops=$(in_ns $NS_C1 traceroute -n -q 1 -w 1 -m 4 $WEB 2>/dev/null | awk 'NR > 1 { printf "%s ", $2 }')
row "traceroute from client 1 to $WEB" "$FW $WEB" "${hops:-nothing}" "$([[ $hops == "$FW $WEB " ]] && echo 1 || echo 0)"
body=$(in_ns $NS_C2 curl -s -m 5 http://$WEB/ 2>/dev/null)
row "client 2 (restrictive rules) fetches port 80" "hello from the netvm" "${body:-nothing}" "$([[ $body == "hello from the netvm" ]] && echo 1 || echo 0)"
in_ns $NS_C2 curl -s -m 5 http://$WEB:8080/ >/dev/null 2>&1; r=$?
row "client 2 to TCP 8080 (policy drop)" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"

# A rule change applied live: dom0 rewrites client 1's rules to drop ports 80 and 7002
# (the daemon reloads its file on SIGHUP and commits them); later it restores them.
# Two TCP connections of client 1 are open across the change, to echo servers on 7001
# (still allowed) and 7002 (now refused): each sends once before and once after.
in_ns $NS_C1 python3 - $C1 $WEB "$work/conn.ready" "$work/conn.go" >"$work/conn.out" 2>&1 <<'PY' &
import errno, os, socket, sys, time
c1, web, ready, go = sys.argv[1:5]
conns = []
for port in (7001, 7002):
    s = socket.create_connection((web, port), timeout=3, source_address=(c1, 0))
    s.setsockopt(socket.IPPROTO_IP, 11, 1)  # IP_RECVERR (not in Python's socket module): ICMP errors reach the socket
    s.sendall(b"before"); assert s.recv(64) == b"before"
    conns.append(s)
open(ready, "w").close()
for _ in range(200):
    if os.path.exists(go): break
    time.sleep(0.05)
out = []
for s in conns:
    try:
        s.settimeout(2); s.sendall(b"after"); r = s.recv(64)
        out.append("echoed" if r == b"after" else "closed" if not r else "garbled")
    except socket.timeout: out.append("no-echo")
    except OSError as e: out.append(errno.errorcode.get(e.errno, str(e.errno)))
print(" ".join(out))
PY
conn_pid=$!
for _ in $(seq 100); do [[ -e $work/conn.ready ]] && break; sleep 0.05; done
sessions_before=$(counter nat.sessions)
sed -i 's|^/qubes-firewall/10.137.0.10/0000 .*|/qubes-firewall/10.137.0.10/0000 action=drop proto=tcp dstports=80-80\
/qubes-firewall/10.137.0.10/0001 action=drop proto=tcp dstports=7002-7002|' "$work/qubesdb"
kill -HUP "${pids[0]}"   # the daemon writes the commit key of a client whose rules changed, as dom0 does
sessions_after=$sessions_before
for _ in $(seq 60); do
  sessions_after=$(counter nat.sessions)
  (( sessions_after < sessions_before )) && break
  sleep 0.05
done
touch "$work/conn.go"
wait "$conn_pid"
read -r allowed refused < <(tail -1 "$work/conn.out")
row "open TCP to 7001 (still allowed) after the change" "echoed" "${allowed:-$(tail -1 "$work/conn.out")}" "$([[ $allowed == echoed ]] && echo 1 || echo 0)"
row "open TCP to 7002 (now refused) after the change" "cut" "${refused:-none}, sessions $sessions_before->$sessions_after" "$([[ -n $refused && $refused != echoed && $sessions_after -lt $sessions_before ]] && echo 1 || echo 0)"
in_ns $NS_C1 curl -s -m 5 http://$WEB/ >/dev/null 2>&1; r=$?
row "after a live rule change, client 1 to port 80" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"
cp examples/qubesdb/lab.qubesdb "$work/qubesdb.new" && mv "$work/qubesdb.new" "$work/qubesdb"  # atomic for the reload
kill -HUP "${pids[0]}"
sleep 0.5
qdb_commit $C1
sleep 0.5
body=$(in_ns $NS_C1 curl -s -m 5 http://$WEB/ 2>/dev/null)
row "after restoring the rules, client 1 to port 80" "hello from the netvm" "${body:-nothing}" "$([[ $body == "hello from the netvm" ]] && echo 1 || echo 0)"
# Rules by host name (examples/rules/dsthost.rules): actorwall's resolver asks the netvm's
# DNS (10.139.1.1) for www.lab.example from the firewall's own address; only that host's
# port 80 opens. Then client 1's lab rules come back.
{ grep -v '^/qubes-firewall/10.137.0.10' examples/qubesdb/lab.qubesdb; grep '^/qubes-firewall/10.137.0.10' examples/rules/dsthost.rules; } >"$work/qubesdb.new"
mv "$work/qubesdb.new" "$work/qubesdb"
kill -HUP "${pids[0]}"
sleep 0.5
qdb_commit $C1
sleep 0.5
body=$(in_ns $NS_C1 curl -s -m 5 http://www.lab.example/ 2>/dev/null)
answers=$(counter resolver.answers)
row "dsthost rule: client 1 fetches www.lab.example" "hello from the netvm" "${body:-nothing}, ${answers} answers" "$([[ $body == "hello from the netvm" && $answers -ge 1 ]] && echo 1 || echo 0)"
in_ns $NS_C1 curl -s -m 5 http://$WEB2/ >/dev/null 2>&1; r=$?
row "dsthost rule: client 1 to another host's port 80" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"
cp examples/qubesdb/lab.qubesdb "$work/qubesdb.new" && mv "$work/qubesdb.new" "$work/qubesdb"
kill -HUP "${pids[0]}"
sleep 0.5
qdb_commit $C1
sleep 0.5
gbits() { python3 -c 'import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("failed")'; }
rate=$(in_ns $NS_C1 iperf3 -c $WEB -t 2 -J 2>/dev/null | gbits)
row "iperf3 TCP, client 1 to the netvm (2 s)" "a rate" "$rate Gbit/s" "$([[ $rate != failed ]] && echo 1 || echo 0)"

# Fairness: client 2's TCP throughput alone, then while client 1 floods UDP with
# 64-byte datagrams as fast as one iperf3 can send; then client 2's ping while the flood
# lasts. In Qubes the flooding client runs on its own vCPUs; here everything shares this
# machine's cores, so the flood's generator runs at nice 10 (it still overloads
# actorwall: see its loss and credit_withheld) and what is measured is how actorwall
# shares its own time. Asserted: client 2 keeps >= FAIR_MIN of its throughput alone and
# its ping stays under FAIR_RTT_MS on average (with queues bounded by egress credit).
# Without egress credit client 2 kept 0.01-0.32 with a 157 ms ping; with it 0.35-0.87 was
# seen on 2 loaded shared cores (the ratio measures CPU sharing as much as actorwall); on
# 2026-12-08, nine runs on this 2-core host gave 0.22-0.42. So the throughput bound is 0.2
# (the better of two 3 s windows) and the latency bound is the sharper test; flow-fair
# ingress (issue #20) is what would raise it.
FAIR_MIN=${AW_LAB_FAIR_MIN:-0.2}; FAIR_RTT_MS=${AW_LAB_FAIR_RTT_MS:-20}
alone=$(in_ns $NS_C2 iperf3 -c $WEB2 -p 80 -t 3 -J 2>/dev/null | gbits)
withheld0=$(counter credit_withheld)
nice -n 10 ip netns exec $NS_C1 iperf3 -c $WEB -u -b 0 -l 64 -t 9 -J >"$work/flood.json" 2>/dev/null &
flood_pid=$!
sleep 1
# The better of two windows: the host's other load only ever lowers a window (0.22 was
# seen once in five runs where the others gave 0.30-0.42).
under=$(in_ns $NS_C2 iperf3 -c $WEB2 -p 80 -t 3 -J 2>/dev/null | gbits)
if ! python3 -c "import sys; sys.exit(0 if float('$under') >= $FAIR_MIN * float('$alone') else 1)" 2>/dev/null; then
  first=$under
  under=$(in_ns $NS_C2 iperf3 -c $WEB2 -p 80 -t 3 -J 2>/dev/null | gbits)
  under=$(python3 -c "import sys; print(max(sys.argv[1:], key=lambda v: float(v) if v != 'failed' else -1))" "$first" "$under")
fi
rtt=$(in_ns $NS_C2 ping -c 10 -i 0.1 -W 1 -q $WEB 2>/dev/null | awk -F/ '/^rtt/ { printf "%.1f", $5 }')
wait "$flood_pid"
withheld=$(( $(counter credit_withheld) - withheld0 ))
flood=$(python3 -c 'import json,sys
try:
    s = json.load(open(sys.argv[1]))["end"]["sum"]
    print("%d kpps sent, %.0f%% lost" % (s["packets"] / s["seconds"] / 1e3, s["lost_percent"]))
except Exception: print("flood failed")' "$work/flood.json")
ratio=$(python3 -c 'import sys
try: print("%.2f" % (float(sys.argv[2]) / float(sys.argv[1])))
except Exception: print("0")' "$alone" "$under")
row "client 2 TCP alone / under client 1's UDP flood" ">= $FAIR_MIN of alone" "$alone / $under Gbit/s = $ratio" "$(python3 -c "print(int($ratio >= $FAIR_MIN))")"
row "client 2 ping during the flood (average)" "<= $FAIR_RTT_MS ms" "${rtt:-no reply} ms" "$(python3 -c "print(int('$rtt' != '' and float('${rtt:-0}') <= $FAIR_RTT_MS))")"
row "  (the flood: iperf3 -u -b 0 -l 64, client 1)" "a flood" "$flood, +$withheld withheld" "$([[ $flood != "flood failed" ]] && echo 1 || echo 0)"

# Client 2's namespace deleted (its TAP goes with it) and re-created: actorwall stops
# that port and forgets the client's flows, waits for the namespace without counting
# crashes (kept away longer than the crash-loop bound would allow), then creates the
# TAP again, moves it in, and the re-addressed client works.
# Nothing may hold the namespace: its processes go first (as a qube's do when it stops).
ip netns pids $NS_C2 | xargs -r kill 2>/dev/null
wait "$c2_listen_pid" 2>/dev/null
lost0=$(counter supervisor.devices_lost); back0=$(counter supervisor.devices_back); restarts0=$(counter supervisor.restarts)
start=$(date +%s%N)
ip netns del $NS_C2
until (($(counter supervisor.devices_lost) > lost0 || $(date +%s%N) - start > 10000000000)); do sleep 0.05; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
lost=$(( $(counter supervisor.devices_lost) - lost0 )); waiting=$(counter supervisor.waiting)
c2_lines=$(status | grep -c "^client\.$C2\.\|^port\.aw-c2\.")
row "client 2's namespace deleted: its port stopped" "lost +1, waiting, no c2 lines" "+$lost in ${ms} ms, waiting $waiting, $c2_lines lines" "$([[ $lost == 1 && $waiting == 1 && $c2_lines == 0 ]] && echo 1 || echo 0)"
sleep 2  # ten reopen attempts (every 200 ms): more than the 5 crashes a port may have
row "  namespace away 2 s: no crash counted" "restarts +0, gave_up 0" "restarts +$(( $(counter supervisor.restarts) - restarts0 )), gave_up $(counter supervisor.gave_up)" "$([[ $(counter supervisor.restarts) == "$restarts0" && $(counter supervisor.gave_up) == 0 ]] && echo 1 || echo 0)"
start=$(date +%s%N)
ip netns add $NS_C2 && in_ns $NS_C2 ip link set lo up
until in_ns $NS_C2 ip link show aw-c2 >/dev/null 2>&1 || (($(date +%s%N) - start > 5000000000)); do sleep 0.05; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
setup_client $NS_C2 aw-c2 $C2
body=$(in_ns $NS_C2 curl -s -m 5 http://$WEB/ 2>/dev/null)
back=$(( $(counter supervisor.devices_back) - back0 ))
row "  namespace re-created: client 2 fetches port 80" "TAP back, hello..." "TAP in ${ms} ms, back +$back, ${body:0:10}..." "$([[ $back == 1 && $body == "hello from the netvm" ]] && echo 1 || echo 0)"
in_ns $NS_C2 curl -s -m 5 http://$WEB:8080/ >/dev/null 2>&1; r=$?
row "  client 2's rules still apply (TCP 8080)" "refused" "curl exit $r" "$([[ $r == 7 ]] && echo 1 || echo 0)"

# The systemd unit for a firewall qube parses (systemd-analyze verify, when present).
unit=packaging/actorwall.service
if command -v systemd-analyze >/dev/null; then
  # The built binary in ExecStart and stand-ins for the Qubes units it orders after;
  # any warning (an unknown key, a bad value) counts as a refusal.
  mkdir -p "$work/units"
  sed -e "s|^ExecStart=/usr/bin/actorwall|ExecStart=$(realpath "$actorwall")|" \
      -e "s|^ExecStartPre=+/usr/lib/actorwall/actorwall-prepare|ExecStartPre=+$(realpath packaging/actorwall-prepare)|" \
      "$unit" >"$work/units/actorwall.service"
  for u in qubes-db qubes-network-uplink qubes-firewall; do
    printf '[Unit]\nDescription=stand-in for %s\n[Service]\nExecStart=/bin/true\n' $u >"$work/units/$u.service"
  done
  verify=$(cd "$work/units" && SYSTEMD_UNIT_PATH="$work/units:" systemd-analyze verify --man=no actorwall.service 2>&1); r=$?
  [[ -z $verify ]] || r=1
  row "systemd-analyze verify $unit" "accepted" "$([[ $r == 0 ]] && echo accepted || echo "${verify:0:60}")" "$(ok_if $r)"
else
  row "systemd-analyze verify $unit" "accepted" "skipped (no systemd-analyze)" 1
fi

echo
echo "actorwall status:"
"$actorwall" status --socket "$work/status.sock" | sed 's/^/  /'
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
