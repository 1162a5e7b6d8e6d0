#!/usr/bin/env python3
"""Writes the seed corpus of the vnet fuzzer: a virtio_net_hdr (host order,
little-endian here), a head-size byte and an Ethernet frame per file, for each
offload case the links map and each malformed header they refuse."""
import hashlib
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "vnet")
ETH4 = bytes.fromhex("020000000002" "020000000001" "0800")
ETH6 = bytes.fromhex("020000000002" "020000000001" "86dd")
SRC, DST = bytes([10, 200, 0, 1]), bytes([10, 200, 0, 2])


def ipv4(proto, payload):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0, SRC, DST) + payload


def tcp(payload=b""):
    return struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 5 << 4, 0x10, 64240, 0, 0) + payload


def udp(payload=b""):
    return struct.pack("!HHHH", 40000, 53, 8 + len(payload), 0) + payload


def ipv6(nh, payload):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 64) + bytes(15) + b"\1" + bytes(15) + b"\2" + payload


def hdr(flags=0, gso=0, hdr_len=0, gso_size=0, start=0, offset=0):
    return struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, start, offset)


NEEDS, VALID = 1, 2
seeds = {
    "plain": hdr() + b"\xff" + ETH4 + ipv4(6, tcp(b"x" * 40)),
    "data_valid": hdr(VALID) + b"\xff" + ETH4 + ipv4(6, tcp(b"x" * 40)),
    "partial_tcp": hdr(NEEDS, start=34, offset=16) + b"\xff" + ETH4 + ipv4(6, tcp(b"x" * 40)),
    "partial_udp": hdr(NEEDS, start=34, offset=6) + b"\xff" + ETH4 + ipv4(17, udp(b"y" * 40)),
    "partial_icmp_software": hdr(NEEDS, start=34, offset=2) + b"\xff" + ETH4
    + ipv4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]) + b"z" * 33),
    "gso_tcpv4": hdr(NEEDS, 1, 54, 1448, 34, 16) + b"\x04" + ETH4 + ipv4(6, tcp(b"g" * 3000)),
    "gso_tcpv4_ecn": hdr(NEEDS, 0x81, 54, 1448, 34, 16) + b"\x04" + ETH4 + ipv4(6, tcp(b"g" * 3000)),
    "gso_tcpv6": hdr(NEEDS, 4, 74, 1428, 54, 16) + b"\x08" + ETH6 + ipv6(6, tcp(b"g" * 3000)),
    "gso_udp_l4": hdr(NEEDS, 5, 42, 1000, 34, 6) + b"\xff" + ETH4 + ipv4(17, udp(b"u" * 2000)),
    "gso_without_csum": hdr(0, 1, 54, 1448) + b"\xff" + ETH4 + ipv4(6, tcp(b"g" * 3000)),
    "csum_start_in_ethernet": hdr(NEEDS, start=4, offset=16) + b"\xff" + ETH4 + ipv4(6, tcp()),
    "csum_beyond_frame": hdr(NEEDS, start=0xfff0, offset=0xff) + b"\xff" + ETH4 + ipv4(6, tcp()),
    "hdr_len_beyond_frame": hdr(NEEDS, 1, 0xffff, 1448, 34, 16) + b"\xff" + ETH4 + ipv4(6, tcp(b"g" * 100)),
    "runt": hdr(NEEDS, start=14, offset=0) + b"\0" + ETH4[:10],
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
