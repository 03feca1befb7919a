"""Fixtures and helpers for the broker's protocol tests (issue 4).

  kbroker          a running odradek-broker (conftest's broker_factory, with
                   a coord) with small, test-friendly settings
  kbroker_factory  make(extra={...}) -> another one
  kafkajs          path of tests/integration/js with node_modules installed
                   from its package-lock.json (npm install --prefix, once per session)
  segment_batches(log_dir, topic, p)  -> [(base_offset, attributes, count)]
                   read straight from the .log files: what was stored, so a
                   test can prove a codec or a format was really used and a
                   client did not silently fall back
  KafkaWire        a tiny raw client: frame, send, read one response
"""
import glob
import os
import socket
import struct
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")


@pytest.fixture
def kbroker_factory(broker_factory):
    def make(extra=None, **kw):
        props = {"num.partitions": 1, "log.retention.check.interval.ms": 1000}
        props.update(extra or {})
        return broker_factory(extra=props, **kw)
    return make


@pytest.fixture
def kbroker(kbroker_factory):
    return kbroker_factory()


@pytest.fixture(scope="session")
def kafkajs():
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "kafkajs")):
        r = subprocess.run(["npm", "install", "--prefix", JS_DIR, "--no-audit",
                            "--no-fund"], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    return JS_DIR


def node(script, cwd=JS_DIR, timeout=60, env=None):
    """Runs a kafkajs script (text) with node; returns CompletedProcess."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run(["node", "-e", script], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=e)


def segment_batches(log_dir, topic, partition=0):
    """Every record batch stored for topic-partition, from the segment
    files: [(base_offset, magic, attributes, record_count)]."""
    out = []
    files = sorted(glob.glob(os.path.join(log_dir, f"{topic}-{partition}",
                                          "*.log")))
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            if length <= 0:
                break
            magic = data[pos + 16]
            attrs, = struct.unpack_from(">h", data, pos + 21)
            count, = struct.unpack_from(">i", data, pos + 57)
            out.append((base, magic, attrs, count))
            pos += 12 + length
    return out


class KafkaWire:
    """A raw Kafka connection for protocol tests."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.corr = 0

    def close(self):
        self.sock.close()

    def send(self, key, ver, body, flexible=False, client_id=b"wire"):
        self.corr += 1
        hdr = struct.pack(">hhih", key, ver, self.corr, len(client_id)) + client_id
        if flexible:
            hdr += b"\x00"
        frame = hdr + body
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        return self.corr

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by peer")
            buf += chunk
        return buf

    def recv(self):
        """One response frame: (correlation id, rest of the frame)."""
        size, = struct.unpack(">i", self.recv_exact(4))
        data = self.recv_exact(size)
        return struct.unpack_from(">i", data)[0], data[4:]

    def closed_by_peer(self, timeout=3.0):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def request(self, key, ver, body, flexible=False):
        corr = self.send(key, ver, body, flexible)
        got, data = self.recv()
        assert got == corr
        return data


def kstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b
