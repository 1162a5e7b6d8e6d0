#!/usr/bin/env python3
"""Writes the seed corpus of the resolver fuzzer: scripts of steps (op byte, length byte,
bytes). op % 3 == 0: the bytes answer pending query op // 3 (the fuzzer sets the id);
1: a raw packet; 2: time passes (first byte: seconds) and the resolver polls."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "resolver")


def name(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def response(qname, rcode=0, answers=(), ttl=300, flags=0x8180):
    msg = struct.pack("!HHHHHH", 0, flags | rcode, 1, len(answers), 0, 0)
    msg += name(qname) + struct.pack("!HH", 1, 1)
    for a in answers:
        msg += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + bytes(a)
    return msg


def step(op, data):
    assert len(data) < 256
    return bytes([op, len(data)]) + data


seeds = {
    "answer_a": step(0, response("a.example", answers=[(192, 0, 2, 1)])),
    "answer_b_two": step(3, response("b.example", answers=[(192, 0, 2, 2), (192, 0, 2, 3)])),
    "nxdomain_then_retry": step(0, response("a.example", rcode=3)) + step(2, bytes([11])),
    "servfail": step(6, response("c.example", rcode=2)),
    "no_address": step(0, response("a.example")),
    "truncated": step(0, response("a.example", answers=[(192, 0, 2, 9)], flags=0x8380)),
    "wrong_question": step(0, response("z.example", answers=[(192, 0, 2, 1)])),
    "timeout_then_answer": step(2, bytes([6])) + step(0, response("a.example", answers=[(192, 0, 2, 4)])),
    "ttl_refresh": step(0, response("a.example", answers=[(192, 0, 2, 1)], ttl=30)) + step(2, bytes([31]))
    + step(0, response("a.example", answers=[(192, 0, 2, 5)])),
    "raw_runt": step(1, bytes([0x45, 0, 0, 20])),
    "all_three": step(0, response("a.example", answers=[(192, 0, 2, 1)]))
    + step(3, response("b.example", answers=[(192, 0, 2, 2)]))
    + step(6, response("c.example", answers=[(192, 0, 2, 3)])),
}

os.makedirs(OUT, exist_ok=True)
for n, data in seeds.items():
    with open(os.path.join(OUT, n), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
