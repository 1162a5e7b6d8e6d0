#!/usr/bin/env python3
"""fuzz/make_nat_seeds.py — writes the seed corpus of the NAT fuzz target
(fuzz/corpus/nat/), one small binary file per scenario, in the input format
documented at the top of fuzz/nat_fuzzer.cpp. Run from anywhere; rerun after
changing the format. Files named regression-* are inputs that once
failed (kept as they were found); this script leaves them alone."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "nat")

UDP, TCP, ICMP = 0, 1, 2
SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04


def flow(proto, client=0, cport=20, remote=0, rport=0, flags=0, length=8):
    return bytes([proto, client, cport, remote, rport, flags, length])


def out_new(*a, **k): return bytes([0]) + flow(*a, **k)
def out(*a, **k): return bytes([1]) + flow(*a, **k)
def inb(*a, **k): return bytes([2]) + flow(*a, **k)
def clock(quarter_seconds, expire=True):
    v = (quarter_seconds << 1) | (1 if expire else 0)
    return bytes([3, (v >> 8) & 0xff, v & 0xff])
def remove_client(c): return bytes([4, c])
def retain(mask): return bytes([5, mask])
def raw(data): return bytes([6, len(data)]) + data
def icmp_error(type_sel=0, code=3, quote=0, corrupt=0): return bytes([7, type_sel, code, quote, corrupt])
def fragments(f, at=2, order=0): return bytes([8]) + f + bytes([at, order])
def flip(f, pos, x): return bytes([9]) + f + bytes([pos, x])


SEEDS = {
    "udp_round_trip": b"\x00" + out_new(UDP) + inb(UDP) + out(UDP),
    "tcp_handshake_and_close": b"\x00" + out_new(TCP, flags=SYN) + inb(TCP, flags=SYN | ACK) + out(TCP, flags=ACK)
        + out(TCP, flags=FIN | ACK) + inb(TCP, flags=FIN | ACK) + clock(4 * 240),
    "ping": b"\x00" + out_new(ICMP) + inb(ICMP) + out_new(ICMP, remote=1),
    "expiry": b"\x00" + out_new(UDP) + out_new(UDP, cport=21) + clock(4 * 301) + inb(UDP),
    "eif_filtering": b"\x01" + out_new(UDP) + inb(UDP, remote=1) + inb(UDP, remote=2),
    "hairpin": b"\x01" + out_new(UDP, client=1, cport=22) + out_new(UDP, client=0, remote=3),
    "remove_client": b"\x00" + out_new(UDP) + out_new(TCP, flags=SYN) + out_new(ICMP) + remove_client(0) + inb(UDP),
    "retain": b"\x00" + out_new(UDP) + out_new(UDP, remote=1) + out_new(UDP, client=2) + retain(0x55),
    "icmp_errors": b"\x00" + out_new(UDP) + icmp_error() + out_new(TCP, flags=SYN) + icmp_error(1, 0, 30)
        + out_new(ICMP) + icmp_error(0, 1, 40) + icmp_error(0, 3, 0, 200),
    "fragments": b"\x00" + fragments(flow(UDP), 2, 0) + fragments(flow(UDP, cport=23), 3, 1)
        + out_new(UDP, cport=24) + fragments(flow(UDP, cport=24), 1, 2),
    "table_full": b"\x00" + b"".join(out_new(UDP, client=c % 4, cport=16 + c, remote=c % 3) for c in range(24))
        + b"".join(out_new(TCP, client=c % 4, cport=16 + c, flags=SYN) for c in range(8)),
    "garbage": b"\x06" + raw(bytes([0x45, 0, 0, 28, 0, 0, 0x20, 0, 64, 17, 0, 0, 10, 137, 0, 5, 192, 168, 1, 2,
                                   0, 53, 0, 53, 0, 8, 0, 0]))
        + flip(flow(TCP, flags=SYN), 9, 0x08) + flip(flow(UDP), 0, 0x10) + raw(b"\x45" * 40),
    "low_ports_and_time": b"\x04" + out_new(UDP, cport=3) + out_new(UDP, cport=4) + clock(100, False)
        + inb(UDP) + clock(4 * 200) + out(UDP, cport=3),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
