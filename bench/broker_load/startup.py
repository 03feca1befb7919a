#!/usr/bin/python3
"""Start odradek-broker and time its readiness (bench/broker_load/run).

    startup.py BROKER CONFIG PORT LOGFILE

Starts BROKER CONFIG in its own session with stdout+stderr to LOGFILE and
NOTIFY_SOCKET pointed at a datagram socket of ours, then prints one line

    pid=P ready_ms=R api_ms=A

R: exec to READY=1 on the notify socket (what the supervisor and systemd
wait for); A: exec to the first ApiVersions v0 answer on PORT (what a
client sees).  Leaves the broker running (the caller stops it) and exits
non-zero, after killing it, if it is not ready within 10 s.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time


def api_versions(port, deadline):
    # ApiVersions v0: size, key 18, version 0, correlation id 1, client id "b"
    req = struct.pack(">hhih", 18, 0, 1, 1) + b"b"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.sendall(struct.pack(">i", len(req)) + req)
                hdr = s.recv(8)
                if len(hdr) == 8 and struct.unpack(">ii", hdr)[1] == 1:
                    return True
        except OSError:
            time.sleep(0.001)
    return False


def main():
    broker, config, port, logfile = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ndir = tempfile.mkdtemp(prefix="odradek-notify.")
    path = os.path.join(ndir, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    with open(logfile, "ab") as log:
        t0 = time.monotonic()
        p = subprocess.Popen([broker, config], stdout=log, stderr=log, env=env,
                             start_new_session=True)
    deadline = t0 + 10
    ready = None
    ns.settimeout(0.05)
    while ready is None and time.monotonic() < deadline and p.poll() is None:
        try:
            msg = ns.recv(4096)
        except socket.timeout:
            continue
        if b"READY=1" in msg.split(b"\n"):
            ready = time.monotonic()
    ok = ready is not None and api_versions(port, deadline)
    api = time.monotonic()
    ns.close()
    os.unlink(path)
    os.rmdir(ndir)
    if not ok:
        if p.poll() is None:
            p.kill()
        print("broker not ready within 10 s", file=sys.stderr)
        return 1
    print("pid=%d ready_ms=%.1f api_ms=%.1f" % (p.pid, (ready - t0) * 1e3, (api - t0) * 1e3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
