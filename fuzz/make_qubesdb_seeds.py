#!/usr/bin/env python3
"""Writes the seed corpus of the QubesDB fuzzer: byte streams from the daemon,
well-formed (the replies to the fuzzer's requests: READ /qubes-ip, MULTIREAD
/qubes-, LIST "", WRITE, RM; watch events interleaved) and malformed (unknown
type, unterminated or bad path, oversized data_len, truncation). The header's
data_len is native byte order; the seeds use little-endian (x86, arm64)."""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "qubesdb")
(READ, WRITE, MULTIREAD, LIST, RM, WATCH, UNWATCH, OK, NOENT, ERROR, R_READ, R_MULTIREAD, R_LIST,
 R_WATCH) = range(14)


def msg(mtype, path=b"", data=b"", data_len=None, raw_path=False):
    p = path if raw_path else path.ljust(64, b"\0")
    assert len(p) == 64
    n = len(data) if data_len is None else data_len
    return struct.pack("<B64s3xI", mtype, p, n) + data


FW = {
    b"/qubes-firewall/10.137.0.5": b"",
    b"/qubes-firewall/10.137.0.5/0000": b"action=accept specialtarget=dns",
    b"/qubes-firewall/10.137.0.5/policy": b"drop",
}
CONFIG = {b"/qubes-ip": b"10.137.0.2", b"/qubes-gateway": b"10.137.0.1", b"/qubes-netmask": b"255.255.255.255"}


def multiread(items, prefix_watch=None):
    out = b""
    for i, (k, v) in enumerate(items.items()):
        out += msg(R_MULTIREAD, k, v)
        if i == 0 and prefix_watch:
            out += msg(R_WATCH, prefix_watch)
    return out + msg(R_MULTIREAD)


def listing(paths, watch=None):
    out = b"".join(msg(R_LIST, p) for p in paths)
    if watch:
        out += msg(R_WATCH, watch)
    return out + msg(R_LIST)


session = (msg(OK, b"/qubes-firewall/")                    # the WATCH re-sent on adopt
           + msg(R_READ, b"/qubes-ip", b"10.137.0.2")
           + multiread(CONFIG, prefix_watch=b"/qubes-firewall/10.137.0.5")
           + listing(list(CONFIG) + list(FW), watch=b"/qubes-firewall/10.137.0.5/policy")
           + msg(OK, b"/qubes-service/x")
           + msg(NOENT, b"/qubes-firewall/10.137.0.5/"))

seeds = {
    "session_full": session,
    "session_errors": msg(ERROR, b"/qubes-firewall/") + msg(NOENT, b"/qubes-ip") + msg(ERROR, b"/qubes-") + msg(R_LIST),
    "watch_only": msg(R_WATCH, b"/qubes-firewall/10.137.0.5") * 3,
    "read_max_value": msg(OK, b"/qubes-firewall/") + msg(R_READ, b"/qubes-ip", b"v" * 3072),
    "requests_from_client": msg(READ, b"/qubes-ip") + msg(WRITE, b"/a", b"b") + msg(MULTIREAD, b"/") + msg(LIST)
                            + msg(RM, b"/a/") + msg(WATCH, b"/a/") + msg(UNWATCH, b"/a/"),
    "unknown_type": msg(42, b"/qubes-ip"),
    "request_type_from_daemon": msg(WRITE, b"/qubes-ip", b"x"),
    "unterminated_path": msg(R_READ, b"/" + b"a" * 63, raw_path=True),
    "bad_path_chars": msg(R_READ, b"/qubes ip"),
    "relative_path": msg(R_READ, b"qubes-ip"),
    "oversized_data_len": msg(R_READ, b"/qubes-ip", data_len=3073),
    "huge_data_len": msg(R_READ, b"/qubes-ip", data_len=0xFFFFFFFF),
    "truncated_header": msg(R_READ, b"/qubes-ip", b"10.137.0.2")[:40],
    "truncated_data": msg(OK, b"/qubes-firewall/") + msg(R_READ, b"/qubes-ip", b"10.137.0.2")[:76],
    "reply_out_of_order": msg(R_LIST, b"/qubes-ip") + msg(R_LIST),
    "multiread_outside_prefix": msg(OK, b"/qubes-firewall/") + msg(R_READ, b"/qubes-ip", b"1") + msg(R_MULTIREAD, b"/other", b"x"),
    "garbage_after_nul": msg(OK, b"/q\0\xff\xfe" + b"\x01" * 59, raw_path=True),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {OUT}", file=sys.stderr)
