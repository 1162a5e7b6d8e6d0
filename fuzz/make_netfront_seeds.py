#!/usr/bin/env python3
"""Writes the seed corpus of the netfront ring fuzzer: a hostile backend's rounds of writes
(see fuzz/netfront_ring_fuzzer.cpp for the layout), well-behaved ones (tx responses for the
outstanding ids, rx frames, GSO, a backlog drained) and lying ones (ids never handed out or
answered twice, producers far ahead, offset + size past the page, chains too long).

The netfront hands out tx ids 0, 1, 2, ... in send order (one per data slot), and posts rx
request i in ring slot i with buffer page i."""
import hashlib
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "netfront_ring")

SG, GSO4, GSO6, TINY_POOL = 1, 2, 4, 8
TX, TX_RAW, RX, RX_RAW, BUF, EVENTS, NOTIFY, RECEIVE, POLL, SEND = (1 << i for i in range(10))
# rx response flags (XEN_NETRXF_*)
VALID, BLANK, MORE, EXTRA = 1, 2, 4, 8


def header(features=SG | GSO4 | GSO6, per_receive=15, small=8, sg=0, gso=0):
    return bytes([features | (per_receive << 4), small, sg | (gso << 4)])


def round_(tx=None, tx_raw=None, rx=None, rx_raw=None, buf=None, events=None, notify=False,
           receive=False, poll=False, send=None):
    op = 0
    body = b""
    if tx is not None:
        op |= TX
        body += bytes([len(tx)]) + b"".join(struct.pack("<Hh", i, s) for i, s in tx)
    if tx_raw is not None:
        op |= TX_RAW
        body += struct.pack("<I", tx_raw)
    if rx is not None:
        op |= RX
        body += bytes([len(rx)]) + b"".join(rx)
    if rx_raw is not None:
        op |= RX_RAW
        body += struct.pack("<I", rx_raw)
    if buf is not None:
        op |= BUF
        body += bytes([len(buf)]) + b"".join(struct.pack("<BHHB", *w) for w in buf)
    if events is not None:
        op |= EVENTS
        body += struct.pack("<II", *events)
    if notify:
        op |= NOTIFY
    if receive:
        op |= RECEIVE
    if poll:
        op |= POLL
    if send is not None:
        op |= SEND
        count, size_class, meta = send
        body += bytes([count | (size_class << 5), meta])
    return struct.pack("<H", op) + body


def rsp(offset, flags, status, id_=0):
    return struct.pack("<HHHh", id_, offset, flags, status)


def gso_extra(size=1448, type_=1, flags=0):
    return struct.pack("<BBHBBH", 1, flags, size, type_, 0, 0)


def ok(ids):
    return [(i, 0) for i in ids]


seeds = {
    # Eight frames out, all answered (after a notification), then four more sent: free ids
    # are a stack, so the answered 0-7 come back as 7, 6, 5, 4.
    "tx-answered": header() + round_(tx=ok(range(8)), notify=True, poll=True)
    + round_(send=(4, 2, 0), receive=True) + round_(tx=ok([7, 6, 5, 4]), receive=True),
    # 255 small frames (ids 0-254), 3 SG frames and a GSO one: the ring fills, 4 frames wait
    # in the backlog and go out when 0-63 are answered (ids 63-55 for the SG frames' pages, 54
    # and an extra slot for the GSO one), then everything is answered, in several rounds.
    "backlog-drained": header(small=255, sg=3, gso=1)
    + round_(tx=ok(range(64)), poll=True)
    + round_(tx=ok(range(64, 255)), receive=True)
    + round_(tx=ok(range(63, 53, -1)) + [(0, 1)], receive=True, send=(31, 2, 0))
    + round_(send=(31, 3, 4), receive=True),
    # The same backlog, still waiting at the end: only a few answers come.
    "backlog-waits": header(small=255, sg=15, gso=15)
    + round_(tx=ok(range(3)), receive=True) + round_(send=(31, 3, 0), poll=True),
    # A small frame on the rx ring, its bytes in buffer page 0.
    "rx-60": header() + round_(rx=[rsp(0, VALID, 60)], buf=[(0, 0, 60, 0x02)], receive=True),
    # A GSO frame: extra_info + a GSO extra, two data slots (SG), checksum blank.
    "rx-gso": header()
    + round_(rx=[rsp(0, BLANK | VALID | EXTRA | MORE, 4096), gso_extra(), rsp(0, 0, 1000)],
             buf=[(0, 0, 4096, 0x11), (2, 0, 1000, 0x22)], receive=True)
    + round_(rx=[rsp(100, 0, 60), rsp(0, 0, 1514)], receive=True),
    # Many frames in one round, more than one receive() takes.
    "rx-many": header(per_receive=0)
    + round_(rx=[rsp(0, 0, 60 + i) for i in range(40)], receive=True)
    + round_(receive=True) + round_(receive=True, tx=ok(range(8))),
    # A chain cut short by rsp_prod (the harness holds it back), completed in the next round.
    "rx-chain-completed-later": header()
    + round_(rx=[rsp(0, MORE, 4096)], receive=True)
    + round_(rx=[rsp(0, 0, 200)], receive=True),
    # Hostile: a tx id never handed out (8 frames: ids 0-7) - fatal.
    "tx-id-never-handed-out": header() + round_(tx=[(200, 0)], receive=True),
    # Hostile: the same id answered twice - fatal.
    "tx-id-twice": header() + round_(tx=[(3, 0), (3, 0)], poll=True),
    # Hostile: an answered id answered again in a later round - fatal.
    "tx-id-again-later": header() + round_(tx=ok(range(4)), poll=True) + round_(tx=[(1, 0)], poll=True),
    # Hostile: tx errors, and NULL statuses that answer nothing.
    "tx-errors-null": header() + round_(tx=[(0, -1), (1, -2), (2, 1), (3, 0x7fff)], receive=True),
    # Hostile: rsp_prod far ahead of the requests - fatal (tx, then rx).
    "tx-rsp-prod-far": header() + round_(tx=ok(range(2)), tx_raw=0x10000, poll=True),
    "rx-rsp-prod-far": header() + round_(rx=[rsp(0, 0, 60)], rx_raw=1000, receive=True),
    # Hostile: rsp_prod going backwards.
    "rx-rsp-prod-back": header() + round_(rx=[rsp(0, 0, 60)], receive=True) + round_(rx_raw=0xffffffff, receive=True),
    # Hostile: offset + size past the page (that frame dropped), then a good one.
    "rx-offset-past-page": header()
    + round_(rx=[rsp(4000, 0, 500), rsp(0xffff, 0, 0x7fff), rsp(0, 0, 60)], receive=True),
    # Hostile: error statuses, a runt, a zero-length chain.
    "rx-bad-statuses": header()
    + round_(rx=[rsp(0, 0, -1), rsp(0, MORE, 100), rsp(0, 0, -2), rsp(0, 0, 13), rsp(0, MORE, 0), rsp(0, 0, 0)],
             receive=True),
    # Hostile: a chain longer than the netfront takes (20 slots), then a good frame.
    "rx-chain-too-long": header()
    + round_(rx=[rsp(0, MORE, 100)] * 20 + [rsp(0, 0, 100), rsp(0, 0, 60)], receive=True),
    # Hostile: a GSO extra with a zero size / unknown type, and an unknown extra type.
    "rx-odd-extras": header()
    + round_(rx=[rsp(0, EXTRA, 1514), gso_extra(size=0), rsp(0, EXTRA, 1514), gso_extra(type_=7),
                 rsp(0, EXTRA, 100), struct.pack("<BBHBBH", 4, 1, 0, 0, 0, 0)], receive=True),
    # Odd event indices, notifications, sends of every size class with a tiny rx pool.
    "events-and-sends": header(features=SG | GSO4 | TINY_POOL)
    + round_(events=(0, 0xffffffff), notify=True, send=(3, 0, 0))
    + round_(send=(2, 6, 1), poll=True)
    + round_(send=(2, 7, 2), rx=[rsp(0, 0, 3000), rsp(0, 0, 3000), rsp(0, 0, 3000)], receive=True)
    + round_(send=(1, 4, 8), tx=ok(range(8)), receive=True),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
