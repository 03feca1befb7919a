"""odradek-coord driven by kazoo (python3-kazoo), the way applications use
ZooKeeper: every op, watches, ephemerals, sequential names, ACLs and
digest auth, transactions, session expiry, reconnect."""
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError,
                              NoNodeError, NotEmptyError, RolledBackError,
                              NoChildrenForEphemeralsError, RuntimeInconsistency)
from kazoo.security import make_digest_acl, make_acl
from kazoo.protocol.states import EventType, KazooState

from coord_fixtures import wait_until, four_letter


@pytest.fixture
def zk(coord):
    c = KazooClient(hosts=coord.connect, timeout=10)
    c.start(timeout=10)
    yield c
    c.stop()
    c.close()


def client(coord, **kw):
    c = KazooClient(hosts=coord.connect, timeout=10, **kw)
    c.start(timeout=10)
    return c


def test_fresh_tree(zk):
    assert zk.get_children("/") == ["zookeeper"]
    assert sorted(zk.get_children("/zookeeper")) == ["config", "quota"]
    assert zk.server_version()[:2] == (3, 8)


def test_crud_and_stat(zk):
    path = zk.create("/a", b"hello")
    assert path == "/a"
    data, st = zk.get("/a")
    assert data == b"hello"
    assert st.version == 0 and st.dataLength == 5 and st.czxid == st.mzxid
    st2 = zk.set("/a", b"x")
    assert st2.version == 1 and st2.mzxid > st.mzxid and st2.czxid == st.czxid
    with pytest.raises(BadVersionError):
        zk.set("/a", b"y", version=0)
    with pytest.raises(NodeExistsError):
        zk.create("/a")
    with pytest.raises(NoNodeError):
        zk.get("/missing")
    with pytest.raises(NoNodeError):
        zk.create("/missing/child")
    zk.create("/a/b")
    with pytest.raises(NotEmptyError):
        zk.delete("/a")
    st = zk.exists("/a")
    assert st.numChildren == 1 and st.cversion == 1 and st.pzxid > st.czxid
    zk.delete("/a", recursive=True)
    assert zk.exists("/a") is None
    # ensure_path and create with include_data (create2)
    zk.ensure_path("/x/y/z")
    p, st = zk.create("/x/y/z/n", b"d", include_data=True)
    assert p == "/x/y/z/n" and st.dataLength == 1
    children, st = zk.get_children("/x/y", include_data=True)
    assert children == ["z"] and st.numChildren == 1
    zk.sync("/x")


def test_sequential_names_use_parent_cversion(zk):
    zk.create("/s")
    zk.create("/s/plain")
    p1 = zk.create("/s/q-", sequence=True)
    assert p1 == "/s/q-0000000001"
    zk.delete("/s/plain")
    p2 = zk.create("/s/q-", sequence=True)
    assert p2 == "/s/q-0000000002"  # suffix = child creates (3.8 stored cversion)


def test_ephemeral_removed_on_close_with_watch(coord, zk):
    other = client(coord)
    other.create("/e", ephemeral=True)
    assert zk.exists("/e").ephemeralOwner == other.client_id[0]
    with pytest.raises(NoChildrenForEphemeralsError):
        other.create("/e/child")
    fired = threading.Event()
    events = []

    def watch(ev):
        events.append(ev)
        fired.set()
    zk.exists("/e", watch=watch)
    other.stop()
    other.close()
    assert fired.wait(5)
    assert events[0].type == EventType.DELETED and events[0].path == "/e"
    assert zk.exists("/e") is None


def test_ephemeral_removed_on_expiry(coord_factory):
    coord = coord_factory({"tickTime": 200})
    zk = client(coord)
    # a raw session with a short timeout that never pings
    from coord_fixtures import RawZk
    raw = RawZk(coord.host, coord.port)
    proto, to, sid, pw = raw.connect(timeout_ms=400)
    assert to == 400  # within [2, 20] ticks
    assert raw.create("/exp", flags=1)[0] == 0
    assert zk.exists("/exp").ephemeralOwner == sid
    got = threading.Event()
    zk.exists("/exp", watch=lambda ev: got.set())
    assert got.wait(5), "ephemeral of an expired session must go (with its watch)"
    assert zk.exists("/exp") is None
    # the expired session's connection was closed; re-attaching says expired
    raw.close()
    raw2 = RawZk(coord.host, coord.port)
    assert raw2.connect(session_id=sid, passwd=pw)[1:3] == (0, 0)
    raw2.close()
    zk.stop()
    zk.close()


def test_session_timeout_negotiation(coord_factory):
    coord = coord_factory({"tickTime": 100})
    from coord_fixtures import RawZk
    r = RawZk(coord.host, coord.port)
    assert r.connect(timeout_ms=1)[1] == 200
    r.close()
    r = RawZk(coord.host, coord.port)
    assert r.connect(timeout_ms=10 ** 6)[1] == 2000
    r.close()


def test_data_and_child_watches_fire_once(zk):
    zk.create("/w", b"0")
    data_events, child_events = [], []
    zk.get("/w", watch=lambda ev: data_events.append(ev))
    zk.get_children("/w", watch=lambda ev: child_events.append(ev))
    zk.set("/w", b"1")
    zk.set("/w", b"2")  # one-shot: no second event
    zk.create("/w/c")
    zk.create("/w/d")
    wait_until(lambda: data_events and child_events)
    time.sleep(0.2)
    assert [e.type for e in data_events] == [EventType.CHANGED]
    assert [e.type for e in child_events] == [EventType.CHILD]
    # exists watch on a missing node fires on create
    created = []
    assert zk.exists("/w/new", watch=lambda ev: created.append(ev)) is None
    zk.create("/w/new")
    wait_until(lambda: created)
    assert created[0].type == EventType.CREATED


def test_datawatch_recipe_sees_every_change(zk):
    zk.create("/dw", b"a")
    seen = []
    zk.DataWatch("/dw", lambda data, stat: seen.append(data))
    wait_until(lambda: seen == [b"a"])
    zk.set("/dw", b"b")
    wait_until(lambda: seen[-1] == b"b")
    zk.delete("/dw")
    wait_until(lambda: seen[-1] is None)


def test_transactions(zk):
    zk.create("/t", b"0")
    tx = zk.transaction()
    tx.check("/t", 0)
    tx.create("/t/new", b"n")
    tx.set_data("/t", b"1")
    tx.delete("/t/new")
    res = tx.commit()
    assert res[0] is True and res[1] == "/t/new" and res[2].version == 1 and res[3] is True
    tx = zk.transaction()
    tx.create("/t/kept-out", b"")
    tx.check("/nonexist", 0)
    tx.set_data("/t", b"2")
    res = tx.commit()
    assert isinstance(res[0], RolledBackError)
    assert isinstance(res[1], NoNodeError)
    assert isinstance(res[2], RuntimeInconsistency)  # -2 after the failing op
    assert zk.exists("/t/kept-out") is None
    assert zk.get("/t")[0] == b"1"


def test_acl_digest_auth(coord):
    owner = client(coord, auth_data=[("digest", "alice:secret")])
    acl = [make_digest_acl("alice", "secret", all=True)]
    owner.create("/secure", b"s", acl=acl)
    other = client(coord)
    with pytest.raises(NoAuthError):
        other.get("/secure")
    assert other.exists("/secure") is not None  # exists has no ACL check
    with pytest.raises(NoAuthError):
        other.set("/secure", b"x")
    other.add_auth("digest", "alice:secret")
    assert other.get("/secure")[0] == b"s"
    acls, st = owner.get_acls("/secure")
    assert acls[0].id.scheme == "digest" and acls[0].id.id.startswith("alice:")
    # read-only ACL for world + admin for alice
    owner.set_acls("/secure", [make_acl("world", "anyone", read=True),
                               make_digest_acl("alice", "secret", all=True)])
    third = client(coord)
    assert third.get("/secure")[0] == b"s"
    with pytest.raises(NoAuthError):
        third.set("/secure", b"nope")
    for c in (owner, other, third):
        c.stop()
        c.close()


def test_super_digest_bypasses_acls(coord_factory):
    coord = coord_factory({"DigestAuthenticationProvider.superDigest":
                           "super:D/InIHSb7yEEbrWz8b9l71RjZJU="})
    owner = client(coord, auth_data=[("digest", "bob:pw")])
    owner.create("/locked", b"L", acl=[make_digest_acl("bob", "pw", all=True)])
    sup = client(coord, auth_data=[("digest", "super:test")])
    assert sup.get("/locked")[0] == b"L"
    sup.delete("/locked")
    for c in (owner, sup):
        c.stop()
        c.close()


def test_kazoo_survives_server_restart_with_session(coord):
    zk = client(coord)
    zk.create("/eph-restart", ephemeral=True)
    sid = zk.client_id[0]
    zk.create("/r", b"0")
    seen = []
    zk.DataWatch("/r", lambda d, s: seen.append(d))
    wait_until(lambda: seen == [b"0"])
    states = []
    zk.add_listener(lambda st: states.append(st))
    coord.restart()
    # kazoo re-attaches to the same session (persisted), re-arms its watch
    wait_until(lambda: zk.connected and zk.client_id[0] == sid, timeout=15)
    assert zk.exists("/eph-restart") is not None
    other = client(coord)
    other.set("/r", b"1")
    wait_until(lambda: seen[-1] == b"1", timeout=10)
    other.stop()
    other.close()
    zk.stop()
    zk.close()


def test_four_letter_words_with_whitelist_star(coord):
    assert four_letter(coord.host, coord.port, "ruok") == "imok"
    assert four_letter(coord.host, coord.port, "isro") == "rw"
    srvr = four_letter(coord.host, coord.port, "srvr")
    assert srvr.startswith("Zookeeper version: 3.8.0-")
    assert "\nMode: standalone\n" in srvr and "\nNode count: 5\n" in srvr
    mntr = dict(l.split("\t", 1) for l in
                four_letter(coord.host, coord.port, "mntr").splitlines())
    assert mntr["zk_server_state"] == "standalone"
    assert mntr["zk_znode_count"] == "5"
    envi = four_letter(coord.host, coord.port, "envi")
    assert envi.startswith("Environment:\nzookeeper.version=3.8.0-")
    assert four_letter(coord.host, coord.port, "wchs") == \
        "0 connections watching 0 paths\nTotal watches:0\n"
    assert four_letter(coord.host, coord.port, "srst") == "Server stats reset.\n"
    assert four_letter(coord.host, coord.port, "crst") == "Connection stats reset.\n"
    conf = four_letter(coord.host, coord.port, "conf")
    assert f"clientPort={coord.port}\n" in conf and "tickTime=2000\n" in conf


def test_stat_client_lines_parse_like_zktop(coord, zk):
    import re
    text = four_letter(coord.host, coord.port, "stat")
    lines = text.splitlines()
    assert re.match(r".*: (\d+\.\d+\.\d+)-.*", lines[0])
    assert lines[1] == "Clients:"
    clients = [l for l in lines if l.startswith(" /")]
    assert len(clients) >= 2  # kazoo + this probe
    for l in clients:
        assert re.match(r" /([0-9.]+):(\d+)\[(\d+)\]\((.*)\)$", l), l
    assert "Zxid: 0x" in text and "Mode: standalone" in text
