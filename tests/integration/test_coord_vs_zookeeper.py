"""Differential test: the same raw request transcript against Debian's
ZooKeeper 3.8 (the reference) and odradek-coord, compared reply by reply:
error codes, xids, zxids, bodies (Stat fields but the clock ones), watch
events and where they fall between replies.  Any divergence in semantics
clients can observe shows up as a diff."""
import os
import shutil
import struct

import pytest

from coord_fixtures import (JavaZk, RawZk, Reader, OP, ustr, create_body, path_watch,
                            acl_vec)

pytestmark = pytest.mark.skipif(not os.path.exists(JavaZk.JAR) or shutil.which("java") is None,
                                reason="Debian zookeeper not installed")


def stat_norm(st, sids):
    st = dict(st)
    st.pop("ctime")
    st.pop("mtime")
    if st["ephemeralOwner"] in sids:
        st["ephemeralOwner"] = "session%d" % sids.index(st["ephemeralOwner"])
    return st


def body_norm(op, err, r, sids):
    """Decodes a reply body into comparable data."""
    if err != 0 or r.left() == 0:
        return r.b[r.i:].hex()
    if op in ("create", "sync"):
        return r.str()
    if op in ("create2", "createContainer"):
        return (r.str(), stat_norm(r.stat(), sids))
    if op in ("exists", "setData", "setACL"):
        return stat_norm(r.stat(), sids)
    if op == "getData":
        return (r.buf(), stat_norm(r.stat(), sids))
    if op == "getChildren":
        return sorted(r.str() for _ in range(r.int()))
    if op == "getChildren2":
        return (sorted(r.str() for _ in range(r.int())), stat_norm(r.stat(), sids))
    if op == "getACL":
        acls = [(r.int(), r.str(), r.str()) for _ in range(r.int())]
        return (acls, stat_norm(r.stat(), sids))
    if op in ("getEphemerals",):
        return sorted(r.str() for _ in range(r.int()))
    if op == "getAllChildrenNumber":
        return r.int()
    if op == "whoAmI":
        return [(r.str(), r.str()) for _ in range(r.int())]
    if op in ("multi", "multiRead"):
        out = []
        while True:
            t, done, e = r.int(), r.bool(), r.int()
            if done:
                break
            if t == -1:
                out.append(("err", r.int()))
            elif t in (1,):
                out.append((t, e, r.str()))
            elif t in (15, 19):
                out.append((t, e, r.str(), stat_norm(r.stat(), sids)))
            elif t == 5:
                out.append((t, e, stat_norm(r.stat(), sids)))
            elif t == 4:
                out.append((t, e, r.buf(), stat_norm(r.stat(), sids)))
            elif t == 8:
                out.append((t, e, sorted(r.str() for _ in range(r.int()))))
            else:
                out.append((t, e))
        return out
    return r.b[r.i:].hex()


def mops(*ops):
    b = b""
    for t, body in ops:
        b += struct.pack(">i?i", t, False, -1) + body
    return b + struct.pack(">i?i", -1, True, -1)


V = lambda v: struct.pack(">i", v)  # noqa: E731

# (session index, op, body)
SCRIPT = [
    (0, "create", create_body("/a", b"x")),
    (0, "create", create_body("/a", b"x")),
    (0, "create", create_body("/a/b/c")),
    (0, "create", create_body("bad/path")),
    (0, "create", create_body("/a/")),
    (0, "create", create_body("/a/s-", b"", 2)),
    (1, "create", create_body("/a/e", b"", 1)),
    (0, "create", create_body("/a/e/x")),
    (0, "create", create_body("/a/s-", b"", 3)),
    (0, "create", create_body("/zookeeper/x")),
    (0, "create", create_body("/")),
    (0, "create", create_body("/bad-acl", b"", 0, [(31, "world", "someone")])),
    (0, "create", create_body("/no-acl", b"", 0, [])),
    (0, "create", create_body("/flags", b"", 9)),
    (0, "getData", path_watch("/a")),
    (0, "getData", path_watch("/nope")),
    (0, "exists", path_watch("/a")),
    (0, "exists", path_watch("/nope", True)),
    (1, "create", create_body("/nope")),          # fires session 0's exist watch
    (0, "setData", ustr("/a") + ustr(b"y") + V(5)),
    (0, "getData", path_watch("/a", True)),
    (0, "setData", ustr("/a") + ustr(b"y") + V(0)),  # event before reply
    (0, "getChildren", path_watch("/a", True)),
    (1, "delete", ustr("/a/e") + V(-1)),             # NodeChildrenChanged for 0
    (0, "getChildren2", path_watch("/a")),
    (0, "delete", ustr("/a") + V(-1)),
    (0, "delete", ustr("/a/s-0000000000") + V(3)),
    (0, "delete", ustr("/zookeeper") + V(-1)),
    (0, "delete", ustr("/") + V(-1)),
    (0, "delete", ustr("/nothing") + V(-1)),
    (0, "multi", mops((1, create_body("/m")), (5, ustr("/m") + ustr(b"d") + V(0)),
                      (13, ustr("/m") + V(1)), (15, create_body("/m2")),
                      (19, create_body("/mc", b"", 4)))),
    (0, "create", create_body("/seq-", b"", 2)),   # root cversion as suffix
    (0, "multi", mops((1, create_body("/m3")), (13, ustr("/nonexist") + V(0)),
                      (5, ustr("/m") + ustr(b"e") + V(-1)))),
    (0, "multi", mops((2, ustr("/m2") + V(-1)), (2, ustr("/m2") + V(-1)))),
    (0, "multi", mops()),
    (0, "multiRead", mops((4, path_watch("/m")), (4, path_watch("/zz")),
                          (8, path_watch("/")))),
    (0, "getACL", ustr("/a")),
    (0, "setACL", ustr("/m") + acl_vec([(1, "world", "anyone")]) + V(5)),
    (0, "setACL", ustr("/m") + acl_vec([(17, "world", "anyone")]) + V(0)),
    (0, "setData", ustr("/m") + ustr(b"z") + V(-1)),
    (0, "setACL", ustr("/m") + acl_vec([(31, "world", "someone")]) + V(-1)),
    (0, "setACL", ustr("/m") + acl_vec([]) + V(-1)),
    (0, "setACL", ustr("/zz") + acl_vec([(31, "world", "anyone")]) + V(-1)),
    (0, "getACL", ustr("/m")),
    (0, "sync", ustr("/a")),
    (0, "getAllChildrenNumber", ustr("/a")),
    (1, "create", create_body("/a/e2", b"", 1)),
    (1, "getEphemerals", ustr("/")),
    (0, "getEphemerals", ustr("/")),
    (0, "createContainer", create_body("/c", b"", 4)),
    (0, "create2", create_body("/d", b"dd")),
    (0, "createTTL", create_body("/t", b"", 5) + struct.pack(">q", 1000)),
    (0, "removeWatches", ustr("/d") + V(1)),
    (0, "addWatch", ustr("/d") + V(0)),
    (0, "checkWatches", ustr("/d") + V(4)),
    (1, "setData", ustr("/d") + ustr(b"1") + V(-1)),  # persistent watch event
    (0, "removeWatches", ustr("/d") + V(4)),
    (0, "addWatch", ustr("/d") + V(7)),
    (0, "removeWatches", ustr("/d") + V(3)),
    (0, "checkWatches", ustr("/d") + V(3)),
    (0, "auth", struct.pack(">i", 0) + ustr("digest") + ustr(b"user:pass")),
    (0, "create", create_body("/secret", b"s", 0, [(31, "digest",
                                                    "user:smGaoVKd/cQkjm7b88GyorAUz20=")])),
    (1, "getData", path_watch("/secret")),
    (0, "getData", path_watch("/secret")),
    (1, "getACL", ustr("/secret")),
    (0, "create", create_body("/byauth", b"", 0, [(31, "auth", "")])),
    (1, "create", create_body("/byauth2", b"", 0, [(31, "auth", "")])),
    (0, "getACL", ustr("/byauth")),
    (0, "whoAmI", b""),
    (0, "exists", path_watch("/")),
    (0, "exists", path_watch("/zookeeper")),
    (0, "exists", path_watch("/c")),
    (1, "closeSession", b""),
    (0, "exists", path_watch("/a/e2")),
    (0, "getChildren", path_watch("/")),
    (0, 55, b""),                                  # unknown op: -6, then closed
]


# Watches of every kind, ACL masking, null data, more multi failures.
SCRIPT2 = [
    (0, "create", create_body("/w", None)),
    (0, "getData", path_watch("/w", True)),           # null data
    (0, "create", create_body("/w/k", b"1")),
    (0, "getChildren", path_watch("/w", True)),
    (0, "exists", path_watch("/w/k", True)),
    (1, "delete", ustr("/w/k") + V(-1)),              # NodeDeleted + NodeChildrenChanged
    (0, "exists", path_watch("/")),
    (0, "getData", path_watch("/w", True)),
    (0, "getChildren", path_watch("/w", True)),
    (1, "delete", ustr("/w") + V(-1)),                # one event for data+child watch
    (0, "exists", path_watch("/w")),
    (0, "addWatch", ustr("/r") + V(1)),
    (1, "create", create_body("/r", b"")),
    (1, "create", create_body("/r/a", b"")),
    (1, "create", create_body("/r/a/b", b"", 3)),
    (1, "setData", ustr("/r/a") + ustr(b"x") + V(-1)),
    (1, "delete", ustr("/r/a/b0000000000") + V(-1)),
    (0, "removeWatches", ustr("/r") + V(3)),
    (1, "setData", ustr("/r") + ustr(b"y") + V(-1)),
    (0, "create", create_body("/acl", b"v", 0, [(1, "world", "anyone"),
                                              (16, "digest", "u:abcdefghijklmnopqrstuvwxyz0="),
                                              (31, "ip", "127.0.0.1")])),
    (1, "getACL", ustr("/acl")),
    (1, "create", create_body("/ip", b"", 0, [(31, "ip", "10.0.0.0/8")])),
    (1, "getData", path_watch("/ip")),
    (1, "create", create_body("/ip2", b"", 0, [(31, "ip", "127.0.0.0/8")])),
    (1, "getData", path_watch("/ip2")),
    (1, "create", create_body("/badip", b"", 0, [(31, "ip", "300.1.1.1")])),
    (0, "multi", mops((1, create_body("/mm")), (1, create_body("/mm/x")),
                      (2, ustr("/mm") + V(-1)))),
    (0, "multi", mops((1, create_body("/mm")), (5, ustr("/mm") + ustr(b"v") + V(3)))),
    (0, "multi", mops((1, create_body("/mm", b"", 1)), (1, create_body("/mm/z")))),
    (0, "multi", mops((1, create_body("/mm")), (1, create_body("/mm/s", b"", 2)),
                      (1, create_body("/mm/s", b"", 2)))),
    (0, "getChildren2", path_watch("/mm")),
    (0, "getAllChildrenNumber", ustr("/nope")),
    (0, "sync", ustr("/nope")),
    (0, "getEphemerals", ustr("/mm")),
    (0, "whoAmI", b""),
    (0, "getData", path_watch("/zookeeper/config")),
    (0, "getChildren", path_watch("/zookeeper/quota")),
    (0, "setData", ustr("/zookeeper/config") + ustr(b"x") + V(-1)),
    (0, "getACL", ustr("/zookeeper/config")),
    (0, "getACL", ustr("/zookeeper")),
    (0, "delete", ustr("/zookeeper/quota") + V(-1)),
    (0, "reconfig", ustr("") + ustr("") + ustr("") + struct.pack(">q", -1)),
    (0, 102, ustr(b"token")),                                          # sasl
    (0, "multi", mops((4, path_watch("/")))),                          # read op in multi
    (0, "multiRead", mops((1, create_body("/x")))),                    # write in multiRead
    (0, "getEphemerals", ustr("")),
    (0, "getData", path_watch("")),
    (0, "sync", ustr("")),
    (0, "setWatches2", struct.pack(">q", 0) + struct.pack(">i", 0) * 3 +
     struct.pack(">i", 1) + ustr("/p") + struct.pack(">i", 1) + ustr("/r")),
    (1, "create", create_body("/p")),                                  # persistent fires
    (1, "create", create_body("/r")),                                  # recursive fires
    (0, "auth", struct.pack(">i", 0) + ustr("nosuch") + ustr(b"x")),   # AUTHFAILED, closed
]


def transcript(host, port, script=SCRIPT):
    sessions = [RawZk(host, port), RawZk(host, port)]
    for s in sessions:
        s.connect(timeout_ms=30000)
    sids = [s.session_id for s in sessions]
    out = []
    for n, (who, op, body) in enumerate(script):
        s = sessions[who]
        xid = -4 if op == "auth" else n + 1
        s.send_frame(struct.pack(">ii", xid, OP[op] if isinstance(op, str) else op) + body)
        frames = []
        while True:
            r = Reader(s.read_frame())
            rx, zxid, err = r.int(), r.long(), r.int()
            if rx == -1:
                frames.append(("event", r.int(), r.int(), r.str()))
                continue
            frames.append((op, rx, zxid, err, body_norm(op, err, r, sids)))
            break
        out.append((who, frames))
    # events that arrived on the other session
    for i, s in enumerate(sessions):
        if i == 1:
            continue
        s.sock.settimeout(0.5)
        try:
            while True:
                r = Reader(s.read_frame())
                out.append((i, [("late", r.int(), r.long(), r.int(), r.b[r.i:].hex())]))
        except (OSError, ConnectionError):
            pass
    return out


@pytest.mark.parametrize("script", [SCRIPT, SCRIPT2], ids=["ops", "watches-acls-multi"])
def test_same_transcript_as_zookeeper(coord_factory, script):
    zk = JavaZk()
    try:
        want = transcript(zk.host, zk.port, script)
    finally:
        zk.stop()
    coord = coord_factory()
    got = transcript(coord.host, coord.port, script)
    diffs = []
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            step = script[i][:2] if i < len(script) else "trailing events"
            diffs.append(f"step {i} {step}:\n  zookeeper: {w}\n  odradek:   {g}")
    assert len(want) == len(got), (len(want), len(got))
    assert not diffs, "\n".join(diffs)


def handshakes(host, port):
    """Session behaviours around the handshake, as comparable observations."""
    obs = []

    def conn(**kw):
        r = RawZk(host, port)
        return r, r.connect(**kw)

    for to in (1, 5000, 10 ** 6):
        r, (proto, t, sid, pw) = conn(timeout_ms=to)
        obs.append(("timeout", to, t, r.ro_byte))
        r.close()
    r, (proto, t, sid, pw) = conn(read_only=None)
    obs.append(("old client", t, r.ro_byte))
    r.close()
    a, (_, t, sid, pw) = conn(timeout_ms=30000)
    assert a.create("/x", b"0")[0] == 0
    assert a.get("/x", watch=True)[0] == 0
    assert a.children("/", watch=True)[0] == 0
    rel = a.last_zxid
    xid, zxid, err, _ = a.request("ping", xid=-2)
    obs.append(("ping", xid, zxid == rel, err))
    a.close()
    b, _ = conn()
    b.set("/x", b"1")
    b.create("/y")
    a2, (_, t2, sid2, pw2) = conn(session_id=sid, passwd=pw, last_zxid=rel)
    obs.append(("reattach", t2, sid2 == sid, pw2 == pw))
    body = struct.pack(">q", rel)
    body += struct.pack(">i", 2) + ustr("/x") + ustr("/gone")
    body += struct.pack(">i", 2) + ustr("/y") + ustr("/later")
    body += struct.pack(">i", 1) + ustr("/")
    xid, zxid, err, _ = a2.request("setWatches", body, xid=-8)
    obs.append(("setWatches", xid, err, sorted(a2.events)))
    a2.events.clear()
    b.create("/later")
    obs.append(("exist watch kept", a2.wait_event()))
    w, (_, tw, sidw, pww) = conn(session_id=sid, passwd=b"w" * 16, last_zxid=rel)
    obs.append(("wrong password", tw, sidw, pww))
    try:  # ZooKeeper drops the session's live connection before checking
        a2.request("ping", xid=-2)
        obs.append(("old connection", "open"))
    except (ConnectionError, OSError):
        obs.append(("old connection", "closed"))
    a3, (_, t3, sid3, _) = conn(session_id=sid, passwd=pw, last_zxid=rel)
    obs.append(("reattach again", t3, sid3 == sid))
    xid, zxid, err, _ = a3.request("closeSession")
    obs.append(("closeSession", err))
    c, (_, tc, sidc, pwc) = conn(session_id=sid, passwd=pw)
    obs.append(("after close", tc, sidc, pwc))
    d = RawZk(host, port)
    d.send_frame(struct.pack(">iqiq", 0, rel + 1000, 30000, 0) + ustr(b"\0" * 16) + b"\0")
    try:
        d.read_frame()
        obs.append(("ahead", "answered"))
    except (ConnectionError, OSError):
        obs.append(("ahead", "closed"))
    return obs


def test_same_handshakes_as_zookeeper(coord_factory):
    zk = JavaZk()
    try:
        want = handshakes(zk.host, zk.port)
    finally:
        zk.stop()
    coord = coord_factory()
    got = handshakes(coord.host, coord.port)
    assert got == want


def fourlw_shapes(host, port):
    """The shape of each four-letter word's text: line keys in order (values
    vary by nature), mntr's key set, the whitelist refusal."""
    from coord_fixtures import four_letter
    r = RawZk(host, port)
    r.connect()
    r.create("/s")
    r.get("/s", watch=True)
    key = lambda text, sep: [l.split(sep, 1)[0] for l in text.splitlines()]  # noqa: E731
    shapes = {
        "srvr": key(four_letter(host, port, "srvr"), ":"),
        "stat": [l if not l.startswith(" /") else "client" for l in
                 key(four_letter(host, port, "stat"), ":")],
        "conf": key(four_letter(host, port, "conf"), "="),
        "wchs": four_letter(host, port, "wchs"),
        "isro": four_letter(host, port, "isro"),
        "ruok": four_letter(host, port, "ruok"),
        "envi": key(four_letter(host, port, "envi"), "=")[:2],
        "dirs": key(four_letter(host, port, "dirs"), ":"),
        "crst": four_letter(host, port, "crst"),
        "srst": four_letter(host, port, "srst"),
    }
    mntr = set(key(four_letter(host, port, "mntr"), "\t"))
    r.close()
    return shapes, mntr


def test_four_letter_word_shapes_match_zookeeper(coord_factory):
    zk = JavaZk()
    try:
        want, want_mntr = fourlw_shapes(zk.host, zk.port)
    finally:
        zk.stop()
    coord = coord_factory()
    got, got_mntr = fourlw_shapes(coord.host, coord.port)
    assert got == want
    # every mntr key we print is one ZooKeeper prints (no invented names),
    # and the keys monitoring tools read are all there
    assert got_mntr <= want_mntr, got_mntr - want_mntr
    core = {"zk_version", "zk_server_state", "zk_znode_count", "zk_watch_count",
            "zk_ephemerals_count", "zk_approximate_data_size", "zk_num_alive_connections",
            "zk_outstanding_requests", "zk_avg_latency", "zk_min_latency", "zk_max_latency",
            "zk_packets_sent", "zk_packets_received", "zk_open_file_descriptor_count",
            "zk_max_file_descriptor_count"}
    assert core <= got_mntr
