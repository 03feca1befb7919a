"""Helpers for odradek-coord's integration tests (owned by coord).

RawZk: a deliberately small synchronous ZooKeeper client speaking jute over
a plain socket, so tests can check bytes that kazoo hides (xids, reply
headers, event-before-reply order, SetWatches with xid -8, malformed
frames).  four_letter(): send a four-letter word, read the text until the
server closes.
"""
import os
import socket
import struct
import time

OP = dict(notification=0, create=1, delete=2, exists=3, getData=4, setData=5,
          getACL=6, setACL=7, getChildren=8, sync=9, ping=11, getChildren2=12,
          check=13, multi=14, create2=15, reconfig=16, checkWatches=17,
          removeWatches=18, createContainer=19, createTTL=21, multiRead=22,
          auth=100, setWatches=101, getEphemerals=103,
          getAllChildrenNumber=104, setWatches2=105, addWatch=106, whoAmI=107,
          closeSession=-11)

OPEN_ACL = [(31, "world", "anyone")]


def four_letter(host, port, word, timeout=5.0):
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode() if isinstance(word, str) else word)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data.decode()
            data += chunk


def ustr(s):
    if s is None:
        return struct.pack(">i", -1)
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">i", len(b)) + b


def acl_vec(acls):
    out = struct.pack(">i", len(acls))
    for perms, scheme, ident in acls:
        out += struct.pack(">i", perms) + ustr(scheme) + ustr(ident)
    return out


def create_body(path, data=b"", flags=0, acls=OPEN_ACL):
    return ustr(path) + ustr(data) + acl_vec(acls) + struct.pack(">i", flags)


def path_watch(path, watch=False):
    return ustr(path) + struct.pack(">?", watch)


class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def int(self):
        v = struct.unpack_from(">i", self.b, self.i)[0]
        self.i += 4
        return v

    def long(self):
        v = struct.unpack_from(">q", self.b, self.i)[0]
        self.i += 8
        return v

    def bool(self):
        v = self.b[self.i] != 0
        self.i += 1
        return v

    def buf(self):
        n = self.int()
        if n < 0:
            return None
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def str(self):
        v = self.buf()
        return None if v is None else v.decode()

    def stat(self):
        names = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion",
                 "aversion", "ephemeralOwner", "dataLength", "numChildren", "pzxid")
        fmt = ">qqqqiiiqiiq"
        vals = struct.unpack_from(fmt, self.b, self.i)
        self.i += struct.calcsize(fmt)
        return dict(zip(names, vals))

    def left(self):
        return len(self.b) - self.i


class RawZk:
    """One TCP connection; connect() performs the session handshake."""

    def __init__(self, host, port, timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.xid = 0
        self.session_id = 0
        self.passwd = b"\0" * 16
        self.timeout = 0
        self.last_zxid = 0
        self.events = []     # (type, state, path) read while waiting for replies
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def read_frame(self):
        while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack_from(">i", self.buf)[0]:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        n = struct.unpack_from(">i", self.buf)[0]
        frame, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return frame

    def connect(self, timeout_ms=10000, session_id=0, passwd=b"\0" * 16,
                last_zxid=0, read_only=True):
        body = struct.pack(">iqiq", 0, last_zxid, timeout_ms, session_id) + ustr(passwd)
        if read_only is not None:
            body += struct.pack(">?", read_only)
        self.send_frame(body)
        r = Reader(self.read_frame())
        proto, self.timeout, sid = r.int(), r.int(), r.long()
        self.passwd = r.buf()
        self.session_id = sid
        self.ro_byte = r.left() == 1
        return proto, self.timeout, sid, self.passwd

    def request(self, op, body=b"", xid=None):
        """Sends one request and returns (xid, zxid, err, Reader of body);
        watch events that arrive first are appended to self.events."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_frame(struct.pack(">ii", xid, OP[op] if isinstance(op, str) else op) + body)
        return self.reply()

    def reply(self):
        while True:
            r = Reader(self.read_frame())
            xid, zxid, err = r.int(), r.long(), r.int()
            if xid == -1:
                self.events.append((r.int(), r.int(), r.str()))
                continue
            if zxid > self.last_zxid:
                self.last_zxid = zxid
            return xid, zxid, err, r

    def wait_event(self, timeout=5.0):
        """Reads until one watch event arrives; returns (type, state, path)."""
        if self.events:
            return self.events.pop(0)
        self.sock.settimeout(timeout)
        r = Reader(self.read_frame())
        xid, zxid, err = r.int(), r.long(), r.int()
        assert xid == -1, f"expected an event, got xid {xid}"
        return r.int(), r.int(), r.str()

    # convenience wrappers -------------------------------------------------
    def create(self, path, data=b"", flags=0, acls=OPEN_ACL):
        xid, zxid, err, r = self.request("create", create_body(path, data, flags, acls))
        return err, (r.str() if err == 0 else None)

    def get(self, path, watch=False):
        xid, zxid, err, r = self.request("getData", path_watch(path, watch))
        return err, ((r.buf(), r.stat()) if err == 0 else None)

    def set(self, path, data, version=-1):
        xid, zxid, err, r = self.request("setData", ustr(path) + ustr(data) + struct.pack(">i", version))
        return err, (r.stat() if err == 0 else None)

    def delete(self, path, version=-1):
        return self.request("delete", ustr(path) + struct.pack(">i", version))[2]

    def exists(self, path, watch=False):
        xid, zxid, err, r = self.request("exists", path_watch(path, watch))
        return err, (r.stat() if err == 0 else None)

    def children(self, path, watch=False):
        xid, zxid, err, r = self.request("getChildren", path_watch(path, watch))
        if err:
            return err, None
        return err, sorted(r.str() for _ in range(r.int()))


def wait_until(pred, timeout=10.0, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise TimeoutError("condition not met within %.1fs" % timeout)


class JavaZk:
    """Debian's ZooKeeper 3.8 (the reference implementation), standalone on a
    free port in a temp dir, for differential tests."""

    JAR = "/usr/share/java/zookeeper.jar"

    def __init__(self, extra=None):
        import subprocess
        import tempfile
        from conftest import free_port
        self.dir = tempfile.mkdtemp(prefix="javazk-")
        self.host, self.port = "127.0.0.1", free_port()
        cfg = os.path.join(self.dir, "zoo.cfg")
        props = {"tickTime": 2000, "dataDir": os.path.join(self.dir, "data"),
                 "clientPort": self.port, "clientPortAddress": self.host,
                 "maxClientCnxns": 0, "4lw.commands.whitelist": "*",
                 "admin.enableServer": "false"}
        props.update(extra or {})
        with open(cfg, "w") as f:
            for k, v in props.items():
                f.write(f"{k}={v}\n")
        self.log = open(os.path.join(self.dir, "zk.log"), "wb")
        self.proc = subprocess.Popen(
            ["java", "-Dzookeeper.admin.enableServer=false", "-cp", self.JAR,
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if four_letter(self.host, self.port, "srvr").find("Mode:") >= 0:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("ZooKeeper did not start")
            time.sleep(0.05)

    def stop(self):
        import shutil
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
