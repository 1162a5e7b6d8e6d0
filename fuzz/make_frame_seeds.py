#!/usr/bin/env python3
"""Writes the seed corpus of the frame fuzzer: one well-formed or deliberately
malformed Ethernet frame per file, covering each protocol and error path."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "frame")
CLIENT_MAC = bytes.fromhex("00163e5e6c00")
FW_MAC = bytes.fromhex("feffffffffff")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip(src, dst, proto, payload, ttl=64, ident=0x1234, flags_frag=0x4000, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags_frag, ttl, proto, 0,
                      bytes(src), bytes(dst)) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def pseudo(src, dst, proto, length):
    return bytes(src) + bytes(dst) + struct.pack("!BBH", 0, proto, length)


def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp(src, dst, sport, dport, flags, data=b"", options=b""):
    off = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, off << 4, flags, 64240, 0, 0) + options + data
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def icmp(t, code, rest, data):
    msg = struct.pack("!BBHI", t, code, 0, rest) + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def eth(ethertype, payload, vlan=None):
    if vlan is not None:
        return FW_MAC + CLIENT_MAC + struct.pack("!HHH", 0x8100, vlan, ethertype) + payload
    return FW_MAC + CLIENT_MAC + struct.pack("!H", ethertype) + payload


C = [10, 137, 0, 5]
R = [192, 0, 2, 10]
seeds = {
    "tcp_syn_mss": eth(0x0800, ip(C, R, 6, tcp(C, R, 40000, 443, 0x02, options=b"\x02\x04\x05\xb4\x01\x01\x04\x02"))),
    "tcp_data": eth(0x0800, ip(C, R, 6, tcp(C, R, 40000, 80, 0x18, b"GET / HTTP/1.1\r\n\r\n"))),
    "udp_dns": eth(0x0800, ip(C, [10, 139, 1, 1], 17, udp(C, [10, 139, 1, 1], 5353, 53, b"\x12\x34\x01\x00\x00\x01" + b"\0" * 6))),
    "icmp_echo": eth(0x0800, ip(C, R, 1, icmp(8, 0, (0x77 << 16) | 1, bytes(range(56))))),
    "icmp_port_unreachable": eth(0x0800, ip(R, C, 1, icmp(3, 3, 0, ip(C, R, 17, udp(C, R, 5353, 33434, b"x" * 8))[:28]))),
    "icmp_time_exceeded": eth(0x0800, ip(R, C, 1, icmp(11, 0, 0, ip(C, R, 1, icmp(8, 0, 1, b"p" * 8), ttl=1)[:28]))),
    "icmp_timestamp": eth(0x0800, ip(C, R, 1, icmp(13, 0, (1 << 16) | 1, b"\0" * 12))),
    "arp_request": eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + CLIENT_MAC + bytes(C) + b"\0" * 6 + bytes([10, 137, 0, 1])),
    "vlan_udp": eth(0x0800, ip(C, R, 17, udp(C, R, 1, 2, b"tagged")), vlan=0x0005),
    "ipv6_udp": eth(0x86DD, struct.pack("!IHBB", 6 << 28, 8, 17, 64) + bytes(16) + bytes(15) + b"\1" + struct.pack("!HHHH", 1, 2, 8, 0)),
    "ipv4_options": eth(0x0800, ip(C, R, 17, udp(C, R, 1, 2, b"opt"), options=b"\x01\x01\x01\x00")),
    "fragment_first": eth(0x0800, ip(C, R, 17, udp(C, R, 1, 2, b"a" * 64)[:48], flags_frag=0x2000)),
    "fragment_later": eth(0x0800, ip(C, R, 17, b"b" * 40, flags_frag=0x0005)),
    "bad_ip_checksum": eth(0x0800, bytearray(ip(C, R, 17, udp(C, R, 1, 2, b"x")))[:10] + b"\xde\xad" + ip(C, R, 17, udp(C, R, 1, 2, b"x"))[12:]),
    "truncated_ip": eth(0x0800, ip(C, R, 17, udp(C, R, 1, 2, b"x" * 30))[:30]),
    "short_frame": FW_MAC + CLIENT_MAC[:4],
    "unknown_ethertype": eth(0x88B5, b"local experimental"),
}

os.makedirs(OUT, exist_ok=True)
for name, frame in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes(frame))
print(f"wrote {len(seeds)} seeds to {OUT}", file=sys.stderr)
