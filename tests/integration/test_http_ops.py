"""The operations part of the broker's HTTP API (docs/API.md, coordination tree, supervisor, history):

  - the coordination tree (/api/v1/coord/node) against odradek-coord and
    Debian's ZooKeeper, compared field by field with what kazoo reads; the
    chroot; caps; 404/400/503;
  - the supervisor's programs (/api/v1/supervisor, .../log) under a real
    odradek-supervisor running coord + broker: both READY with the pids
    /proc shows, the broker's own log line in the tail, /metrics families;
    not supervised (no socket, a socket that never answers);
  - the in-memory history (/api/v1/history): kcat's messages show up as a
    rate whose integral is the number produced; bytes out after a consumer
    read; a kafka-python group's lag."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from kazoo.client import KazooClient

from conftest import BrokerDaemon, free_port, write_properties
from sv_fixtures import supervisor_factory, wait_until  # noqa: F401
from test_broker_zk import ZK_JAR, RealZooKeeper


def get(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_quiet(port, path):
    """get(), or the exception (a request cut by the broker's stop)."""
    try:
        return get(port, path)
    except Exception as e:  # noqa: BLE001
        return e


def jget(port, path):
    status, body = get(port, path)
    return status, json.loads(body)


def node(port, path, **q):
    qs = urllib.parse.urlencode({"path": path, **q})
    return jget(port, "/api/v1/coord/node?" + qs)


def kazoo(connect):
    k = KazooClient(hosts=connect, timeout=10)
    k.start(timeout=10)
    return k


def b64(s):
    import base64
    return None if s is None else base64.b64decode(s)


# ---- coordination tree ------------------------------------------------------

@pytest.fixture(params=["coord", "zookeeper"])
def service(request, coord_factory):
    if request.param == "coord":
        yield coord_factory()
        return
    if not os.path.exists(ZK_JAR) or shutil.which("java") is None:
        pytest.skip("Debian's zookeeper package (and java) not installed")
    z = RealZooKeeper().start()
    yield z
    z.stop()


def check_same_as_kazoo(k, port, path, kpath):
    status, n = node(port, path)
    assert status == 200, n
    data, st = k.get(kpath)
    assert n["path"] == path
    s = n["stat"]
    assert (s["czxid"], s["mzxid"], s["pzxid"]) == (st.czxid, st.mzxid, st.pzxid)
    assert (s["ctime"], s["mtime"]) == (st.ctime, st.mtime)
    assert (s["version"], s["cversion"], s["aversion"]) == (st.version, st.cversion,
                                                           st.aversion)
    assert s["ephemeralOwner"] == st.ephemeralOwner
    assert s["ephemeralOwnerHex"] == hex(st.ephemeralOwner)
    assert (s["dataLength"], s["numChildren"]) == (st.dataLength, st.numChildren)
    assert (b64(n["data"]) or b"") == (data or b"")
    acls, _ = k.get_acls(kpath)
    letters = [(4, "c"), (8, "d"), (1, "r"), (2, "w"), (16, "a")]
    assert n["acl"] == [{"scheme": x.id.scheme, "id": x.id.id,
                         "perms": "".join(c for b, c in letters if x.perms & b)} for x in acls]
    kids = sorted(k.get_children(kpath))
    assert n["children"] == kids and n["children_total"] == len(kids)
    assert n["children_truncated"] is False
    return n


@pytest.mark.parametrize("chroot", ["", "/kafka/one"])
def test_coord_tree_matches_kazoo(service, chroot):
    b = BrokerDaemon(service.connect + chroot,
                     extra={"zookeeper.session.timeout.ms": 6000}).start()
    k = kazoo(service.connect)
    try:
        reg = check_same_as_kazoo(k, b.http_port, "/brokers/ids/0", chroot + "/brokers/ids/0")
        assert reg["chroot"] == chroot
        assert ("relative to the broker's chroot" in reg["note"]) == bool(chroot)
        assert reg["stat"]["ephemeralOwner"] != 0  # the broker's session
        assert json.loads(b64(reg["data"]))["port"] == b.port
        ids = check_same_as_kazoo(k, b.http_port, "/brokers/ids", chroot + "/brokers/ids")
        assert ids["children"] == ["0"]
        root = check_same_as_kazoo(k, b.http_port, "/", chroot or "/")
        assert {"brokers", "cluster", "controller", "config"} <= set(root["children"])
        # a node written by another client, with children and binary data
        base = chroot + "/ops-test"
        k.create(base, b"\x00\x01\xffbinary", makepath=True)
        for i in range(30):
            k.create(f"{base}/c{i:02d}", str(i).encode())
        n = check_same_as_kazoo(k, b.http_port, "/ops-test", base)
        assert n["children"][:3] == ["c00", "c01", "c02"]
        assert n["acl"] == [{"scheme": "world", "id": "anyone", "perms": "cdrwa"}]
        from kazoo.security import make_acl
        k.create(chroot + "/ops-ro", b"", acl=[make_acl("world", "anyone", read=True),
                                               make_acl("ip", "10.0.0.1", all=True)])
        ro = check_same_as_kazoo(k, b.http_port, "/ops-ro", chroot + "/ops-ro")
        assert ro["acl"] == [{"scheme": "world", "id": "anyone", "perms": "r"},
                             {"scheme": "ip", "id": "10.0.0.1", "perms": "cdrwa"}]
        status, n = node(b.http_port, "/ops-test", children=10, max_data=4)
        assert status == 200
        assert n["children"] == [f"c{i:02d}" for i in range(10)]
        assert n["children_total"] == 30 and n["children_truncated"] is True
        assert b64(n["data"]) == b"\x00\x01\xffb" and n["data_truncated"] is True
        status, n = node(b.http_port, "/ops-test", children=10, offset=25)
        assert n["children"] == [f"c{i:02d}" for i in range(25, 30)]
        assert n["children_offset"] == 25 and n["children_truncated"] is False
        status, n = node(b.http_port, "/ops-test", offset=99)
        assert status == 200 and n["children"] == [] and n["children_total"] == 30
        k.create(base + "/empty", b"")
        status, n = node(b.http_port, "/ops-test/empty")
        assert status == 200 and n["data"] == "" and n["stat"]["dataLength"] == 0
        # errors
        status, e = node(b.http_port, "/no/such/node")
        assert status == 404 and "no such node" in e["error"]
        for bad in ("brokers", "/brokers/", "/a//b", "/a/../b", "/a/./b"):
            status, e = node(b.http_port, bad)
            assert status == 400, bad
        assert jget(b.http_port, "/api/v1/coord/node?path=/&children=99999")[0] == 400
        assert jget(b.http_port, "/api/v1/coord/node?path=/&offset=-1")[0] == 400
        assert jget(b.http_port, "/api/v1/coord/node")[1]["path"] == "/"
    finally:
        k.stop()
        k.close()
        b.cleanup()


def test_coord_node_acl_refused(service):
    """A node whose ACL does not let the broker read it: 403."""
    from kazoo.security import make_digest_acl
    b = BrokerDaemon(service.connect, extra={"zookeeper.session.timeout.ms": 6000}).start()
    k = KazooClient(hosts=service.connect, timeout=10,
                    auth_data=[("digest", "ops:secret")])
    k.start(timeout=10)
    try:
        k.create("/ops-secret", b"hidden", acl=[make_digest_acl("ops", "secret", all=True)])
        status, e = node(b.http_port, "/ops-secret")
        assert status == 403 and "ACL" in e["error"], e
    finally:
        k.stop()
        k.close()
        b.cleanup()


def test_coord_servers_mntr_srvr(service):
    """Every server of zookeeper.connect with its mntr and srvr answers;
    an unreachable one says why."""
    dead = free_port()
    b = BrokerDaemon(f"{service.connect},127.0.0.1:{dead}",
                     extra={"zookeeper.session.timeout.ms": 6000}).start()
    try:
        status, r = jget(b.http_port, "/api/v1/coord/servers")
        assert status == 200 and len(r["servers"]) == 2
        live, gone = r["servers"]
        assert live["address"] == service.connect and live["error"] is None
        m, s = live["mntr"], live["srvr"]
        assert m["zk_server_state"] == "standalone" and s["Mode"] == "standalone"
        assert int(m["zk_znode_count"]) >= 15  # Kafka's persistent roots at least
        assert int(m["zk_ephemerals_count"]) >= 2  # /brokers/ids/0, /controller
        # the broker watches /controller: a real ZooKeeper may count it a
        # moment after the session is up, so ask again for a few seconds
        deadline = time.monotonic() + 10
        while int(m["zk_watch_count"]) < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
            m = jget(b.http_port, "/api/v1/coord/servers")[1]["servers"][0]["mntr"]
        assert int(m["zk_watch_count"]) >= 1, m
        assert int(s["Node count"]) >= 15
        assert gone["address"] == f"127.0.0.1:{dead}"
        assert gone["mntr"] is None and gone["srvr"] is None
        assert gone["error"] == "connection refused"
    finally:
        b.cleanup()


def test_coord_servers_whitelist(coord_factory, broker_factory):
    """A server that only answers srvr (ZooKeeper's default whitelist)."""
    c = coord_factory(extra={"4lw.commands.whitelist": "srvr"})
    b = broker_factory(coord=c)
    status, r = jget(b.http_port, "/api/v1/coord/servers")
    (one,) = r["servers"]
    assert one["mntr"] is None and one["srvr"]["Mode"] == "standalone"
    assert one["error"] == "mntr: not in the server's 4lw.commands.whitelist"


class MuteServer:
    """A TCP (or unix) listener that accepts and never answers."""

    def __init__(self, family=socket.AF_INET, addr=("127.0.0.1", 0)):
        self.srv = socket.socket(family, socket.SOCK_STREAM)
        self.srv.bind(addr)
        self.srv.listen(16)
        self.srv.settimeout(0.2)
        self.held = []
        self.stop_ev = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        while not self.stop_ev.is_set():
            try:
                self.held.append(self.srv.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self.stop_ev.set()
        self.th.join()
        for c in self.held:
            c.close()
        self.srv.close()


def test_coord_servers_timeout_and_stop_while_pending(coord_factory):
    c = coord_factory()
    mute = MuteServer()
    port = mute.srv.getsockname()[1]
    b = BrokerDaemon(f"{c.connect},127.0.0.1:{port}").start()
    try:
        t0 = time.monotonic()
        status, r = jget(b.http_port, "/api/v1/coord/servers")
        assert 1.5 < time.monotonic() - t0 < 6
        assert r["servers"][0]["error"] is None
        assert r["servers"][1]["error"] == "no answer in time"
        # stopping while the probes wait: a clean, prompt exit
        th = threading.Thread(target=lambda: get_quiet(b.http_port, "/api/v1/coord/servers"))
        th.start()
        wait_until(lambda: len(mute.held) >= 4, 5, "probes connected")
        t1 = time.monotonic()
        assert b.stop() == 0
        assert time.monotonic() - t1 < 1.5
        th.join(10)
    finally:
        b.cleanup()
        mute.close()


def test_coord_tree_503_while_session_down(coord_factory):
    c = coord_factory()
    b = BrokerDaemon(c.connect, extra={"zookeeper.session.timeout.ms": 30000}).start()
    try:
        assert node(b.http_port, "/brokers")[0] == 200
        c.stop()
        status, e = wait_until(lambda: (lambda r: r if r[0] == 503 else None)(
            node(b.http_port, "/brokers")), 15, "503 while coord is down")
        assert "session" in e["error"]
        c.start()
        wait_until(lambda: node(b.http_port, "/brokers")[0] == 200, 30, "200 again")
    finally:
        b.cleanup()


def test_coord_tree_without_zookeeper_connect(tmp_path):
    """A broker without zookeeper.connect (standalone) answers 503."""
    b = BrokerDaemon("", extra={})
    try:
        b.start()
    except RuntimeError:
        b.cleanup()
        pytest.skip("this broker needs zookeeper.connect")
    try:
        status, e = node(b.http_port, "/")
        assert status == 503 and "zookeeper.connect" in e["error"]
    finally:
        b.cleanup()


# ---- supervisor -------------------------------------------------------------

class Bundle:
    """odradek-supervisor running odradek-coord then odradek-broker."""

    def __init__(self, factory, d):
        self.zk_port, self.kafka_port, self.http_port = free_port(), free_port(), free_port()
        write_properties(os.path.join(d, "zookeeper.properties"), {
            "dataDir": os.path.join(d, "zk"), "clientPort": self.zk_port,
            "clientPortAddress": "127.0.0.1", "4lw.commands.whitelist": "srvr,ruok"})
        write_properties(os.path.join(d, "server.properties"), {
            "broker.id": 0, "listeners": f"PLAINTEXT://127.0.0.1:{self.kafka_port}",
            "log.dirs": os.path.join(d, "kafka-logs"),
            "zookeeper.connect": f"127.0.0.1:{self.zk_port}",
            "http.listeners": f"127.0.0.1:{self.http_port}",
            "offsets.topic.num.partitions": 4})
        self.sv = factory(f"""[supervisor]
control_socket = {{sock}}
state_file = {{dir}}/sv.state
[program:coord]
command = odradek-coord {d}/zookeeper.properties
ready = notify
backoff_base = 0.2
stopwaitsecs = 10
[program:broker]
command = odradek-broker {d}/server.properties
requires = coord
ready = notify
backoff_base = 0.2
stopwaitsecs = 20
""", wait=False)
        self.sv.wait_ready(60)

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.kafka_port}"


def make_bundle(factory, tmp_path):
    os.makedirs(tmp_path, exist_ok=True)
    return Bundle(factory, str(tmp_path))


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")


def test_supervisor_programs_and_log(supervisor_factory, tmp_path):
    bd = make_bundle(supervisor_factory, tmp_path)
    status, s = jget(bd.http_port, "/api/v1/supervisor")
    assert status == 200 and s["supervised"] is True, s
    assert s["socket"] == bd.sv.sock and s["pid"] == bd.sv.pid and s["ready"] is True
    progs = {p["name"]: p for p in s["programs"]}
    assert set(progs) == {"coord", "broker"}
    ctl = {p["name"]: p for p in bd.sv.status()["programs"]}
    for name, binary in (("coord", b"odradek-coord"), ("broker", b"odradek-broker")):
        p = progs[name]
        assert p["state"] == "READY" and p["ready"] is True, p
        assert p["pid"] == ctl[name]["pid"] > 0
        assert os.path.basename(cmdline(p["pid"])[0]) == binary
        assert p["restarts"] == 0 and p["last_exit"] is None and p["uptime_ms"] > 0
    # the supervisor told the broker where its control socket is
    with open(f"/proc/{progs['broker']['pid']}/environ", "rb") as f:
        env = f.read().split(b"\0")
    assert b"ODRADEK_CTL_SOCKET=" + bd.sv.sock.encode() in env
    # the log tail holds a line the broker itself logged
    status, t = jget(bd.http_port, "/api/v1/supervisor/programs/broker/log?bytes=65536")
    assert status == 200 and t["program"] == "broker"
    assert f"http: listening on 127.0.0.1:{bd.http_port}" in t["log"], t["log"][-2000:]
    assert t["bytes"] == len(t["log"].encode())
    status, t = jget(bd.http_port, "/api/v1/supervisor/programs/coord/log?bytes=100")
    assert status == 200 and 0 < t["bytes"] <= 100
    assert jget(bd.http_port, "/api/v1/supervisor/programs/nope/log")[0] == 404
    assert jget(bd.http_port, "/api/v1/supervisor/programs/a%20b/log")[0] == 400
    assert jget(bd.http_port, "/api/v1/supervisor/programs/broker/log?bytes=0")[0] == 400
    # /metrics: from the last status (a scrape refreshes it for the next)
    def metrics():
        text = get(bd.http_port, "/metrics")[1].decode()
        return text if 'odradek_supervisor_program_up{program="broker"} 1' in text else None
    text = wait_until(metrics, 15, "supervisor families in /metrics", interval=0.3)
    assert 'odradek_supervisor_program_up{program="coord"} 1' in text
    assert 'odradek_supervisor_program_restarts_total{program="broker"} 0' in text
    assert "odradek_supervisor_up 1" in text
    # a restart shows: new pid, restarts counted
    old = progs["broker"]["pid"]
    r = bd.sv.ctl("restart", "broker", timeout=60)
    assert r.returncode == 0, r.stderr
    def restarted():
        st, s2 = jget(bd.http_port, "/api/v1/supervisor")
        b = [p for p in s2.get("programs", []) if p["name"] == "broker"]
        return b and b[0]["state"] == "READY" and b[0]["pid"] != old and b[0]
    p = wait_until(restarted, 30, "broker restarted", interval=0.2)
    assert p["pid"] == bd.sv.prog("broker")["pid"]


def test_not_supervised(broker_factory, tmp_path):
    missing = str(tmp_path / "none.sock")
    b = broker_factory(extra={"http.supervisor.socket": missing})
    status, s = jget(b.http_port, "/api/v1/supervisor")
    assert status == 200 and s == {"supervised": False, "socket": missing,
                                   "reason": f"control socket {missing}: no such file "
                                             "or directory"}
    assert jget(b.http_port, "/api/v1/supervisor/programs/broker/log")[0] == 503
    b2 = broker_factory(extra={"http.supervisor.socket": "/tmp/" + "x" * 120})
    status, s = jget(b2.http_port, "/api/v1/supervisor")
    assert status == 200 and s["supervised"] is False and "longer" in s["reason"]


def test_supervisor_socket_that_refuses(broker_factory, tmp_path):
    """The supervisor closes on a peer it does not accept (SO_PEERCRED):
    supervised:false, saying so."""
    path = str(tmp_path / "refuse.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)

    def refuse():
        for _ in range(2):
            c, _ = srv.accept()
            c.close()
    th = threading.Thread(target=refuse, daemon=True)
    th.start()
    try:
        b = broker_factory(extra={"http.supervisor.socket": path})
        status, s = jget(b.http_port, "/api/v1/supervisor")
        assert status == 200 and s["supervised"] is False
        assert s["reason"].startswith(f"control socket {path}: closed without an answer")
        status, e = jget(b.http_port, "/api/v1/supervisor/programs/broker/log")
        assert status == 503 and "closed without an answer" in e["error"]
        th.join(5)
    finally:
        srv.close()


def test_supervisor_socket_that_never_answers(broker_factory, tmp_path):
    """A socket that accepts and stays silent: the broker gives up after its
    timeout and says why; meanwhile other requests are served."""
    path = str(tmp_path / "mute.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return
    th = threading.Thread(target=accept, daemon=True)
    th.start()
    try:
        b = broker_factory(extra={"http.supervisor.socket": path})
        result = {}
        t0 = time.monotonic()
        waiter = threading.Thread(target=lambda: result.update(
            r=jget(b.http_port, "/api/v1/supervisor")))
        waiter.start()
        # the loop is not blocked: another request is answered at once
        t1 = time.monotonic()
        assert jget(b.http_port, "/api/v1/cluster")[0] == 200
        assert time.monotonic() - t1 < 1.0
        waiter.join(15)
        status, s = result["r"]
        assert status == 200 and s["supervised"] is False
        assert "no answer in time" in s["reason"]
        assert 2.5 < time.monotonic() - t0 < 10
        # stopping while a round trip is pending: a clean, prompt exit
        # (the conftest teardown checks the ASan/LSan report)
        late = threading.Thread(target=lambda: result.update(
            late=get_quiet(b.http_port, "/api/v1/supervisor/programs/broker/log")))
        late.start()
        wait_until(lambda: len(held) >= 2, 5, "second connection")
        t1 = time.monotonic()
        assert b.stop() == 0
        assert time.monotonic() - t1 < 2.0  # well before the 3 s timeout
        late.join(10)
    finally:
        stop.set()
        th.join()
        for c in held:
            c.close()
        srv.close()


# ---- history ----------------------------------------------------------------

def history(port, *ids, seconds=None):
    q = "series=" + ",".join(urllib.parse.quote(i, safe="") for i in ids)
    if seconds:
        q += f"&seconds={seconds}"
    status, h = jget(port, "/api/v1/history?" + q)
    assert status == 200, h
    return h


def integral(series, interval_ms):
    """Sum of rate x time: the counter's growth over the points."""
    pts = series["points"]
    total, prev = 0.0, None
    for t, v in pts:
        dt = (t - prev) if prev is not None else interval_ms
        total += v * dt / 1000.0
        prev = t
    return total


def test_history_rates_from_kcat(broker):
    n = 1500
    subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", "hist-a"],
                   input="".join(f"message-{i}\n" for i in range(n)), text=True,
                   check=True, timeout=60)
    ids = ("topic:messages_in:hist-a", "topic:bytes_in:hist-a", "topic:bytes_out:hist-a")

    def settled():
        h = history(broker.http_port, *ids)
        s = {x["id"]: x for x in h["series"]}
        m = s.get(ids[0])
        # the produce is over and a quiet sample follows it
        return (m and m["total"] == n and len(m["points"]) >= 2
                and m["points"][-1][1] == 0 and h)
    h = wait_until(settled, 10, "history of hist-a", interval=0.2)
    assert h["interval_ms"] == 1000 and h["unknown"] == []
    s = {x["id"]: x for x in h["series"]}
    msgs = s[ids[0]]
    assert msgs["unit"] == "messages/s"
    assert abs(integral(msgs, h["interval_ms"]) - n) < 1.0
    assert max(v for _, v in msgs["points"]) > 0
    ts = [t for t, _ in msgs["points"]]
    assert ts == sorted(ts) and abs(ts[-1] - time.time() * 1000) < 10000
    bytes_in = s[ids[1]]
    assert bytes_in["unit"] == "bytes/s" and bytes_in["total"] > n * len("message-0")
    assert abs(integral(bytes_in, h["interval_ms"]) - bytes_in["total"]) < 1.0
    assert s[ids[2]]["total"] == 0
    # a consumer reads: bytes out
    subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", "hist-a", "-e", "-q"],
                   capture_output=True, check=True, timeout=60)
    out = wait_until(lambda: (lambda x: x["total"] > 0 and x)(
        history(broker.http_port, ids[2])["series"][0]), 10, "bytes out")
    assert out["total"] >= bytes_in["total"] * 0.9
    wait_until(lambda: integral(history(broker.http_port, ids[2])["series"][0], 1000)
               >= out["total"] - 1, 10, "bytes out rate")
    # the list names the series, with the latest values
    status, lst = jget(broker.http_port, "/api/v1/history/series")
    assert status == 200 and lst["seconds"] == 900 and lst["max_topics"] == 200
    mine = {x["id"]: x for x in lst["series"] if x["name"] == "hist-a"}
    assert set(mine) == set(ids)
    assert mine[ids[0]]["total"] == n and mine[ids[0]]["unit"] == "messages/s"
    # the broker's series counts every topic
    b = history(broker.http_port, "broker:messages_in:0")["series"][0]
    assert b["total"] == n and abs(integral(b, 1000) - n) < 1.0
    assert {"broker:bytes_in:0", "broker:messages_in:0", "broker:bytes_out:0"} <= \
        {x["id"] for x in lst["series"]}
    # a window, unknown ids, bad requests
    assert len(history(broker.http_port, ids[0], seconds=1)["series"][0]["points"]) <= 2
    h = history(broker.http_port, "topic:messages_in:nope", "group:lag:none", "bogus")
    assert h["series"] == [] and h["unknown"] == ["topic:messages_in:nope",
                                                  "group:lag:none", "bogus"]
    assert jget(broker.http_port, "/api/v1/history")[0] == 400
    assert jget(broker.http_port, "/api/v1/history?series=x&seconds=0")[0] == 400
    many = ",".join(["topic:bytes_in:x"] * 65)
    assert jget(broker.http_port, "/api/v1/history?series=" + many)[0] == 400


def test_history_deleted_topic(broker):
    """A deleted topic's series goes; the broker's total does not go back."""
    from kafka.admin import KafkaAdminClient
    for t, k in (("del-a", 300), ("del-b", 200)):
        subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", t],
                       input="".join(f"x{i}\n" for i in range(k)), text=True,
                       check=True, timeout=60)
    wait_until(lambda: history(broker.http_port, "broker:messages_in:0")["series"][0]
               ["total"] == 500, 10, "500 in the broker's total")
    a = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        a.delete_topics(["del-a"])
    finally:
        a.close()

    def gone():
        lst = jget(broker.http_port, "/api/v1/history/series")[1]
        return not any(x["name"] == "del-a" for x in lst["series"]) and lst
    wait_until(gone, 15, "del-a's series dropped", interval=0.2)
    time.sleep(1.5)  # a few samples without del-a
    h = history(broker.http_port, "broker:messages_in:0", "topic:messages_in:del-a",
                "topic:messages_in:del-b")
    b = h["series"][0]
    assert b["id"] == "broker:messages_in:0" and b["total"] == 500
    assert min(v for _, v in b["points"]) >= 0 and abs(integral(b, 1000) - 500) < 1.0
    assert h["unknown"] == ["topic:messages_in:del-a"]
    assert h["series"][1]["total"] == 200


def test_history_group_lag_kafka_python(broker_factory):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    b = broker_factory(extra={"http.history.seconds": 60})
    p = KafkaProducer(bootstrap_servers=b.bootstrap)
    for i in range(100):
        p.send("lag-t", value=f"v{i}".encode(), partition=0)
    p.flush()
    p.close()
    group = "ops group, with comma"
    c = KafkaConsumer(bootstrap_servers=b.bootstrap, group_id=group,
                      enable_auto_commit=False)
    tp = TopicPartition("lag-t", 0)
    c.assign([tp])
    c.commit({tp: OffsetAndMetadata(40, "")})
    c.close()
    gid = "group:lag:" + group

    def lag():
        h = history(b.http_port, gid)
        return h["series"] and h["series"][0]["points"] and \
            h["series"][0]["points"][-1][1] == 60 and h
    h = wait_until(lag, 10, "lag 60 in the history", interval=0.2)
    s = h["series"][0]
    assert s["id"] == gid and s["unit"] == "messages" and s["total"] == 60
    status, lst = jget(b.http_port, "/api/v1/history/series")
    assert lst["seconds"] == 60 and lst["capacity"] == 61
    g = [x for x in lst["series"] if x["kind"] == "group"]
    assert g == [{"id": gid, "kind": "group", "metric": "lag", "name": group,
                  "unit": "messages", "last": 60.0, "total": 60}]
