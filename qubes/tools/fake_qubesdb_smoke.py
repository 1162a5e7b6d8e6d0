#!/usr/bin/env python3
"""Smoke test of `aw-fake-qubesdb <socket> <file>`: serves the file's keys over the
QubesDB protocol, fires watches for the keys a SIGHUP reload changes, keeps the
old keys when the new file is malformed, and exits cleanly on SIGTERM."""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

READ, WATCH, OK, NOENT, R_READ, R_WATCH = 0, 5, 7, 8, 10, 13
HDR = struct.Struct("=B64s3xI")  # native order, as the daemon


def send(s, mtype, path):
    s.sendall(HDR.pack(mtype, path.encode(), 0))


def recv(s):
    buf = b""
    while len(buf) < HDR.size:
        chunk = s.recv(HDR.size - len(buf))
        if not chunk:
            raise SystemExit("daemon closed the connection")
        buf += chunk
    mtype, path, n = HDR.unpack(buf)
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return mtype, path.split(b"\0", 1)[0].decode(), data.decode()


def expect(got, want, what):
    if got != want:
        raise SystemExit(f"{what}: got {got!r}, want {want!r}")


def write_keys(path, text):
    # Atomically: a reload racing the write must see the old file or the new one,
    # never a truncated one (a late SIGHUP would read an empty database).
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="aw-fake-qubesdb-") as d:
        sock, keys = os.path.join(d, "qubesdb.sock"), os.path.join(d, "keys.txt")
        write_keys(keys, "/qubes-ip 10.137.0.2\n/qubes-firewall/10.137.0.5/policy drop\n")
        proc = subprocess.Popen([exe, sock, keys])
        try:
            for _ in range(500):
                if os.path.exists(sock):
                    break
                time.sleep(0.01)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(sock)
            send(s, READ, "/qubes-ip")
            expect(recv(s), (R_READ, "/qubes-ip", "10.137.0.2"), "READ")
            send(s, WATCH, "/qubes-firewall/")
            expect(recv(s)[0], OK, "WATCH")

            write_keys(keys, "/qubes-ip 10.137.0.2\nno-slash x\n")  # malformed: refused, old keys kept
            proc.send_signal(signal.SIGHUP)
            send(s, READ, "/qubes-firewall/10.137.0.5/policy")
            expect(recv(s), (R_READ, "/qubes-firewall/10.137.0.5/policy", "drop"), "READ after a bad reload")

            write_keys(keys, "/qubes-ip 10.137.0.2\n/qubes-firewall/10.137.0.5 \n"
                       "/qubes-firewall/10.137.0.5/policy drop\n/qubes-firewall/10.137.0.5/0000 action=accept\n")
            proc.send_signal(signal.SIGHUP)
            got = {recv(s)[1] for _ in range(2)}
            expect(got, {"/qubes-firewall/10.137.0.5", "/qubes-firewall/10.137.0.5/0000"}, "watch events after SIGHUP")
            # A client's rules changed, its commit key's value not: dom0 writes the key all
            # the same (it is the signal to read the rules), and so does the reload.
            write_keys(keys, "/qubes-ip 10.137.0.2\n/qubes-firewall/10.137.0.5 \n"
                       "/qubes-firewall/10.137.0.5/policy accept\n/qubes-firewall/10.137.0.5/0000 action=accept\n")
            proc.send_signal(signal.SIGHUP)
            got = {recv(s)[1] for _ in range(2)}
            expect(got, {"/qubes-firewall/10.137.0.5", "/qubes-firewall/10.137.0.5/policy"}, "commit after a rule change")
            send(s, READ, "/nothing")
            expect(recv(s)[0], NOENT, "READ of a missing key")
            s.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=5)
        expect(rc, 0, "exit status")
        expect(os.path.exists(sock), False, "socket removed")
    print("aw-fake-qubesdb: ok")


main()
