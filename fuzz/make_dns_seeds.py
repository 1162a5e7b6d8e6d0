#!/usr/bin/env python3
"""Writes the seed corpus of the DNS fuzzer: responses to the fuzzer's fixed
query (www.qubes-os.org, id 0xbeef), well-formed and deliberately malformed
(compression, CNAME chains, truncation, pointer loops, NXDOMAIN, SERVFAIL),
plus queries and bare names for the query round trip."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "dns")
ID = 0xBEEF
A, CNAME, SOA, TXT, AAAA = 1, 5, 6, 16, 28


def name(text):
    out = b""
    for label in text.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ptr(offset):
    return struct.pack("!H", 0xC000 | offset)


def header(flags, qd=1, an=0, ns=0, ar=0, ident=ID):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def rr(owner, rtype, ttl, rdata, rclass=1):
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


QUESTION = name("www.qubes-os.org") + struct.pack("!HH", A, 1)  # @12; "qubes-os" @16, "org" @25
QUESTION6 = name("www.qubes-os.org") + struct.pack("!HH", AAAA, 1)


def response(answers, an, flags=0x8180, question=QUESTION, ns=0):
    return header(flags, an=an, ns=ns) + question + answers


# The test suite's response: two CNAMEs (compressed), two A records, one unrelated.
chain = (rr(ptr(12), CNAME, 3600, name("qubes-os.github.io"))          # rdata @46, "github" @55
         + rr(ptr(46), CNAME, 300, b"\x03cdn" + ptr(55))              # rdata @78
         + rr(ptr(78), A, 60, bytes([185, 199, 108, 153]))
         + rr(ptr(78), A, 3600, bytes([185, 199, 109, 153]))
         + rr(ptr(55), A, 60, bytes([140, 82, 121, 4])))
plain_a = rr(ptr(12), A, 30, bytes([192, 0, 2, 7]))
aaaa = rr(ptr(12), AAAA, 120, bytes.fromhex("20010db8000000000000000000000001"))
soa = rr(ptr(16), SOA, 900, b"\x02ns" + ptr(16) + ptr(16) + struct.pack("!IIIII", 1, 7200, 3600, 1209600, 900))

backward = b"\0" + b"".join(ptr(46 if i == 0 else 47 + 2 * (i - 1)) for i in range(40))
long_chain = rr(ptr(12), TXT, 1, backward) + rr(ptr(46 + len(backward) - 2), A, 1, b"\1\2\3\4")

seeds = {
    "response_cname_chain": response(chain, 5),
    "response_plain_a": response(plain_a, 1),
    "response_aaaa": response(aaaa, 1, question=QUESTION6),
    "response_nxdomain": response(soa, 0, flags=0x8183, ns=1),
    "response_servfail": response(b"", 0, flags=0x8182),
    "response_truncated_tc": response(plain_a, 1, flags=0x8380),
    "response_cut_short": response(chain, 5)[:100],
    "response_self_pointer": response(ptr(34) + struct.pack("!HHIH", A, 1, 30, 4) + b"\1\2\3\4", 1),
    "response_forward_pointer": response(ptr(36) + struct.pack("!HHIH", A, 1, 30, 4) + b"\1\2\3\4", 1),
    "response_pointer_loop": response(ptr(46) + struct.pack("!HHIH", CNAME, 1, 30, 2) + ptr(34), 1),
    "response_many_hops": response(long_chain, 2),
    "response_label_64": response(b"\x40x" + struct.pack("!HHIH", A, 1, 30, 4) + b"\1\2\3\4", 1),
    "response_name_320": response((b"\x3f" + b"a" * 63) * 5 + b"\0" + struct.pack("!HHIH", A, 1, 30, 4) + b"\1\2\3\4", 1),
    "response_bad_rdlength": response(rr(ptr(12), A, 30, b"\1\2\3\4\5"), 1),
    "response_cname_loop": response(rr(ptr(12), CNAME, 30, b"\x01a" + ptr(25)) + rr(ptr(46), CNAME, 30, ptr(12)), 2),
    "response_wrong_id": header(0x8180, an=1, ident=0x1234) + QUESTION + plain_a,
    "query_www_a": header(0x0100) + QUESTION,
    "query_www_aaaa": header(0x0100) + QUESTION6,
    "name_plain": b"www.qubes-os.org",
    "name_upper_dot": b"WWW.Example.COM.",
    "name_label_63": b"a" * 63 + b".com",
    "name_empty_label": b"a..b",
}

os.makedirs(OUT, exist_ok=True)
for key, data in seeds.items():
    with open(os.path.join(OUT, key), "wb") as f:
        f.write(bytes(data))
print(f"wrote {len(seeds)} seeds to {OUT}", file=sys.stderr)
