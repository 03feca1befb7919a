"""The CLI's Kafka client against a scripted fake broker: version
negotiation (ApiVersions v3 first; on UNSUPPORTED_VERSION with a v0 body it
asks again with v0; per API min(our max, broker max), never below the
broker's min), correlation ids, and framing of the answers.  No bundle
needed: the fake speaks just enough of the protocol to answer ApiVersions
and Metadata, and records what it was sent.
"""
import socket
import struct
import subprocess
import threading

from conftest import bin_path

EXIT_FAIL = 1


def s16(x):
    return struct.pack(">h", x)


def s32(x):
    return struct.pack(">i", x)


def kstr(s):
    if s is None:
        return s16(-1)
    b = s.encode()
    return s16(len(b)) + b


class FakeBroker:
    """Answers ApiVersions with `ranges` (v3 requests get error 35 and a v0
    body when reject_v3) and Metadata v1..v8 (non-flexible) with one topic.
    `seen` records (api_key, version, corr_id) of every request."""

    def __init__(self, ranges, reject_v3=True):
        self.ranges = ranges
        self.reject_v3 = reject_v3
        self.seen = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _read(self, c, n):
        b = b""
        while len(b) < n:
            x = c.recv(n - len(b))
            if not x:
                raise EOFError
            b += x
        return b

    def _serve(self, c):
        try:
            while True:
                (n,) = struct.unpack(">i", self._read(c, 4))
                req = self._read(c, n)
                key, ver, corr = struct.unpack(">hhi", req[:8])
                self.seen.append((key, ver, corr))
                if key == 18:
                    body = self._api_versions(ver)
                elif key == 3 and 1 <= ver <= 8:
                    body = self._metadata(ver)
                else:
                    return  # unknown: close, as Kafka does
                out = s32(corr) + body  # response header v0
                c.sendall(s32(len(out)) + out)
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    def _api_versions(self, ver):
        keys = [(18, 0, 2)] + self.ranges
        if ver >= 3 and self.reject_v3:
            return s16(35) + s32(1) + s16(18) + s16(0) + s16(2)
        assert ver <= 2
        body = s16(0) + s32(len(keys))
        for k, lo, hi in keys:
            body += s16(k) + s16(lo) + s16(hi)
        if ver >= 1:
            body += s32(0)
        return body

    def _metadata(self, ver):
        body = s32(0) if ver >= 3 else b""
        body += s32(1) + s32(7) + kstr("127.0.0.1") + s32(self.port) + kstr(None)
        if ver >= 2:
            body += kstr("fakecluster")
        body += s32(7)  # controller
        body += s32(1) + s16(0) + kstr("faketopic") + b"\x00"
        body += s32(1) + s16(0) + s32(0) + s32(7)
        if ver >= 7:
            body += s32(0)
        body += s32(1) + s32(7) + s32(1) + s32(7)
        if ver >= 5:
            body += s32(0)
        if ver >= 8:
            body += s32(-2147483648)
        if ver >= 8:
            body += s32(-2147483648)
        return body

    def close(self):
        self.sock.close()


def run(*args):
    return subprocess.run([bin_path("odradek"), *args], capture_output=True, text=True,
                          timeout=20)


def test_v3_rejected_then_v0_and_min_of_maxima():
    fb = FakeBroker([(3, 1, 5)])  # Metadata 1..5: ours goes to 11, so 5
    try:
        p = run("topics", "--bootstrap-server", f"127.0.0.1:{fb.port}", "--list")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "faketopic\n"
        assert [(k, v) for k, v, _ in fb.seen] == [(18, 3), (18, 0), (3, 5)]
        corr = [c for _, _, c in fb.seen]
        assert len(set(corr)) == len(corr)  # a fresh correlation id each time
    finally:
        fb.close()


def test_broker_max_below_ours_is_used():
    fb = FakeBroker([(3, 0, 2)])
    try:
        p = run("topics", "--bootstrap-server", f"127.0.0.1:{fb.port}", "--list")
        assert p.returncode == 0, p.stderr
        assert (3, 2) in [(k, v) for k, v, _ in fb.seen]
    finally:
        fb.close()


def test_broker_min_above_our_max_is_refused():
    fb = FakeBroker([(3, 20, 30)])  # nothing we can speak
    try:
        p = run("topics", "--bootstrap-server", f"127.0.0.1:{fb.port}", "--list")
        assert p.returncode == EXIT_FAIL
        assert "does not serve Metadata" in p.stderr
        assert len(p.stderr.splitlines()) == 1
        assert 3 not in [k for k, _, _ in fb.seen]  # never sent
    finally:
        fb.close()


def test_api_missing_from_the_list_is_refused():
    fb = FakeBroker([])  # no Metadata at all
    try:
        p = run("topics", "--bootstrap-server", f"127.0.0.1:{fb.port}", "--list")
        assert p.returncode == EXIT_FAIL and "does not serve Metadata" in p.stderr
    finally:
        fb.close()
