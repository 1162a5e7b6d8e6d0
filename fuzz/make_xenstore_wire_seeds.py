#!/usr/bin/env python3
"""Writes the seed corpus of the xenstore wire fuzzer: client byte streams for
the simulated xenstored, as chunks [client selector: 0 dom0, 1 backend (dom1),
2 frontend (dom5)][length][bytes]. Well-formed sessions (write/read/directory,
watches, transactions with and without conflict, permissions, relative paths,
domain introduction, DIRECTORY_PART) and malformed ones (bad paths, missing
NULs, unknown and reply-only types, an oversized length, a split header).
Headers are native byte order; the seeds use little-endian (x86, arm64).
Regression inputs (regression-*) are kept beside them and not rewritten."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "xenstore_wire")
T = dict(directory=1, read=2, get_perms=3, watch=4, unwatch=5, tx_start=6, tx_end=7, introduce=8, release=9,
         get_domain_path=10, write=11, mkdir=12, rm=13, set_perms=14, watch_event=15, error=16, is_intro=17,
         reset_watches=21, directory_part=22)


def msg(t, payload, req=1, tx=0):
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack("<IIII", T[t] if isinstance(t, str) else t, req, tx, len(payload)) + payload


def chunks(*items):
    out = b""
    for who, data in items:
        while data:
            part, data = data[:254], data[254:]
            out += bytes([who, len(part)]) + part
    return out


BE = "/local/domain/1/backend/vif/5/0"
SEEDS = {
    "write_read": chunks((0, msg("write", "/a/b\0hello")), (0, msg("read", "/a/b\0")), (0, msg("directory", "/a\0"))),
    "watch_write_rm": chunks((0, msg("watch", "/w\0tok\0")), (1, msg("write", "/w/x\0v")), (0, msg("write", "/w/x\0v")),
                             (0, msg("rm", "/w\0")), (0, msg("unwatch", "/w\0tok\0"))),
    "transaction_conflict": chunks((0, msg("write", "/x\0" "0")), (0, msg("tx_start", "\0")),
                                   (0, msg("read", "/x\0", tx=1)), (0, msg("write", "/y\0v", tx=1)),
                                   (1, msg("write", "/x\0" "1")), (0, msg("write", "/x\0" "2")),
                                   (0, msg("tx_end", "T\0", tx=1))),
    "transaction_commit": chunks((0, msg("tx_start", "\0")), (0, msg("write", "/t/a/b\0v", tx=1)),
                                 (0, msg("rm", "/local\0", tx=1)), (0, msg("tx_end", "T\0", tx=1)),
                                 (0, msg("directory", "/\0"))),
    "perms": chunks((0, msg("write", BE + "/state\0" "1")), (0, msg("set_perms", BE + "\0n1\0r5\0")),
                    (2, msg("read", BE + "/state\0")), (2, msg("write", BE + "/state\0" "6")),
                    (1, msg("get_perms", BE + "\0")), (1, msg("set_perms", BE + "\0n5\0"))),
    "relative": chunks((2, msg("watch", "device\0dev\0")), (2, msg("write", "device/vif/0/state\0" "1")),
                       (2, msg("mkdir", "data\0")), (2, msg("get_domain_path", "5\0"))),
    "domains": chunks((0, msg("watch", "@releaseDomain\0r\0")), (0, msg("watch", "@introduceDomain\0i\0")),
                      (0, msg("introduce", "9\0" "123\0" "4\0")), (0, msg("is_intro", "9\0")),
                      (0, msg("release", "9\0")), (2, msg("release", "5\0")), (0, msg("reset_watches", ""))),
    "directory_part": chunks(*[(0, msg("write", "/big/name-%03d\0" % i)) for i in range(40)],
                             (0, msg("directory_part", "/big\0" "0\0")), (0, msg("directory_part", "/big\0" "100\0")),
                             (0, msg("directory_part", "/big\0" "99999\0"))),
    "bad_paths": chunks((0, msg("write", "/a//b\0")), (0, msg("write", "/a/\0")), (0, msg("write", "a b\0")),
                        (0, msg("rm", "/\0")), (0, msg("read", "/no-nul")), (0, msg("set_perms", "/\0x1\0")),
                        (0, msg("tx_end", "X\0", tx=77))),
    "unknown_types": chunks((0, msg(99, "x\0")), (0, msg("watch_event", "a\0b\0")), (0, msg("error", "EINVAL\0")),
                            (1, msg(0, "print\0"))),
    "oversized": chunks((0, struct.pack("<IIII", 11, 1, 0, 5000) + b"/x\0" + b"a" * 100)),
    "split_header": chunks((0, msg("write", "/s\0v")[:7]), (0, msg("write", "/s\0v")[7:]), (0, msg("read", "/s\0"))),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")
