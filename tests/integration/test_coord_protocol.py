"""odradek-coord at the byte level (raw jute over a socket): what kazoo,
zkCli and the C client depend on but do not show — reply framing, the
multi failure encoding, event-before-reply, SetWatches with xid -8,
persistent watches, limits and hostile input."""
import socket
import struct
import time

import pytest

from coord_fixtures import (RawZk, Reader, four_letter, ustr, create_body,
                            path_watch, wait_until, OP)


def raw(coord, **kw):
    r = RawZk(coord.host, coord.port)
    r.connect(**kw)
    return r


def test_error_reply_is_16_bytes(coord):
    r = raw(coord)
    r.send_frame(struct.pack(">ii", 3, OP["getData"]) + path_watch("/nonexist"))
    frame = r.read_frame()
    assert len(frame) == 16
    xid, zxid, err = struct.unpack(">iqi", frame)
    assert xid == 3 and err == -101


def test_connect_response_sizes(coord):
    r = RawZk(coord.host, coord.port)
    r.send_frame(struct.pack(">iqiq", 0, 0, 30000, 0) + ustr(b"\0" * 16) + b"\0")
    assert len(r.read_frame()) == 37            # with readOnly
    r2 = RawZk(coord.host, coord.port)
    r2.send_frame(struct.pack(">iqiq", 0, 0, 30000, 0) + ustr(b"\0" * 16))
    assert len(r2.read_frame()) == 36            # old client: no readOnly byte


def test_multi_failure_encoding(coord):
    r = raw(coord)
    body = b""
    body += struct.pack(">i?i", 1, False, -1) + create_body("/mp2")
    body += struct.pack(">i?i", 13, False, -1) + ustr("/nonexist") + struct.pack(">i", 0)
    body += struct.pack(">i?i", 5, False, -1) + ustr("/mp2") + ustr(b"x") + struct.pack(">i", -1)
    body += struct.pack(">i?i", -1, True, -1)
    before = r.last_zxid
    xid, zxid, err, rd = r.request("multi", body)
    assert err == 0 and zxid > before            # reply err 0, a zxid consumed
    rest = rd.b[rd.i:]
    assert rest == bytes.fromhex(
        "ffffffff00" "00000000" "00000000"
        "ffffffff00" "ffffff9b" "ffffff9b"
        "ffffffff00" "fffffffe" "fffffffe"
        "ffffffff01" "ffffffff")
    assert r.exists("/mp2")[0] == -101


def test_multi_success_encoding(coord):
    r = raw(coord)
    body = struct.pack(">i?i", 1, False, -1) + create_body("/mp")
    body += struct.pack(">i?i", 5, False, -1) + ustr("/mp") + ustr(b"d") + struct.pack(">i", 0)
    body += struct.pack(">i?i", 13, False, -1) + ustr("/mp") + struct.pack(">i", 1)
    body += struct.pack(">i?i", 2, False, -1) + ustr("/mp") + struct.pack(">i", -1)
    body += struct.pack(">i?i", -1, True, -1)
    xid, zxid, err, rd = r.request("multi", body)
    assert err == 0
    assert (rd.int(), rd.bool(), rd.int(), rd.str()) == (1, False, 0, "/mp")
    assert (rd.int(), rd.bool(), rd.int()) == (5, False, 0)
    assert rd.stat()["version"] == 1
    assert (rd.int(), rd.bool(), rd.int()) == (13, False, 0)
    assert (rd.int(), rd.bool(), rd.int()) == (2, False, 0)
    assert (rd.int(), rd.bool(), rd.int()) == (-1, True, -1)
    assert rd.left() == 0


def test_multi_read(coord):
    r = raw(coord)
    assert r.create("/mr", b"v")[0] == 0
    body = struct.pack(">i?i", 4, False, -1) + path_watch("/mr")
    body += struct.pack(">i?i", 4, False, -1) + path_watch("/missing")
    body += struct.pack(">i?i", 8, False, -1) + path_watch("/")
    body += struct.pack(">i?i", -1, True, -1)
    xid, zxid, err, rd = r.request("multiRead", body)
    assert err == 0
    assert (rd.int(), rd.bool(), rd.int()) == (4, False, 0)
    assert rd.buf() == b"v"
    rd.stat()
    assert (rd.int(), rd.bool(), rd.int(), rd.int()) == (-1, False, -101, -101)
    assert (rd.int(), rd.bool(), rd.int()) == (8, False, 0)
    assert sorted(rd.str() for _ in range(rd.int())) == ["mr", "zookeeper"]


def test_watch_event_before_reply_to_own_write(coord):
    r = raw(coord)
    assert r.create("/t1", b"0")[0] == 0
    assert r.get("/t1", watch=True)[0] == 0
    r.send_frame(struct.pack(">ii", 77, OP["setData"]) + ustr("/t1") + ustr(b"1") +
                 struct.pack(">i", -1))
    first = Reader(r.read_frame())
    assert (first.int(), first.long(), first.int()) == (-1, -1, 0)   # event header
    assert (first.int(), first.int(), first.str()) == (3, 3, "/t1")  # NodeDataChanged
    second = Reader(r.read_frame())
    assert second.int() == 77


def test_set_watches_xid_minus_8_after_reattach(coord):
    a = raw(coord, timeout_ms=30000)
    sid, pw = a.session_id, a.passwd
    assert a.create("/sw", b"0")[0] == 0
    assert a.create("/swc")[0] == 0
    rel = a.last_zxid
    a.sock.close()                       # connection lost; session lives on
    b = raw(coord)
    assert b.set("/sw", b"1")[0] == 0    # changes while a is away
    assert b.create("/swc/kid")[0] == 0
    a2 = RawZk(coord.host, coord.port)
    proto, to, sid2, pw2 = a2.connect(session_id=sid, passwd=pw, last_zxid=rel)
    assert sid2 == sid and pw2 == pw and to > 0
    body = struct.pack(">q", rel)
    body += struct.pack(">i", 2) + ustr("/sw") + ustr("/gone")  # data watches
    body += struct.pack(">i", 1) + ustr("/later")               # exist watches
    body += struct.pack(">i", 1) + ustr("/swc")                 # child watches
    xid, zxid, err, rd = a2.request("setWatches", body, xid=-8)
    assert xid == -8 and err == 0
    got = sorted((t, p) for t, s, p in a2.events)
    assert got == [(2, "/gone"), (3, "/sw"), (4, "/swc")]
    a2.events.clear()
    assert b.create("/later")[0] == 0    # the exist watch was registered
    assert a2.wait_event() == (1, 3, "/later")


def test_reattach_wrong_password_is_expired(coord):
    a = raw(coord)
    b = RawZk(coord.host, coord.port)
    proto, to, sid, pw = b.connect(session_id=a.session_id, passwd=b"x" * 16)
    assert (to, sid, pw) == (0, 0, b"\0" * 16)
    with pytest.raises((ConnectionError, OSError)):
        b.read_frame()                   # then the server closes


def test_client_ahead_of_server_is_refused(coord):
    r = RawZk(coord.host, coord.port)
    r.send_frame(struct.pack(">iqiq", 0, 1 << 40, 30000, 0) + ustr(b"\0" * 16) + b"\0")
    with pytest.raises((ConnectionError, OSError)):
        r.read_frame()
    assert raw(coord).session_id != 0    # others are fine


def test_persistent_and_recursive_watches(coord):
    w = raw(coord)
    x = raw(coord)
    assert x.create("/p")[0] == 0
    assert x.create("/q")[0] == 0
    assert w.request("addWatch", ustr("/p") + struct.pack(">i", 1))[2] == 0
    assert w.request("addWatch", ustr("/q") + struct.pack(">i", 0))[2] == 0
    assert x.create("/p/a")[0] == 0
    assert x.create("/p/a/b")[0] == 0
    assert x.set("/p/a/b", b"1")[0] == 0
    assert x.set("/q", b"1")[0] == 0
    assert x.set("/q", b"2")[0] == 0     # persistent: fires again
    assert x.create("/q/c")[0] == 0
    events = [w.wait_event() for _ in range(6)]
    assert events == [(1, 3, "/p/a"), (1, 3, "/p/a/b"), (3, 3, "/p/a/b"),
                      (3, 3, "/q"), (3, 3, "/q"), (4, 3, "/q")]
    # removeWatches: type 5 is not a WatcherType (-5); Any (3) removes the
    # persistent-recursive watch, then nothing is left (-121)
    assert w.request("removeWatches", ustr("/p") + struct.pack(">i", 5))[2] == -5
    assert w.request("removeWatches", ustr("/p") + struct.pack(">i", 3))[2] == 0
    assert w.request("removeWatches", ustr("/p") + struct.pack(">i", 3))[2] == -121
    assert w.request("checkWatches", ustr("/q") + struct.pack(">i", 3))[2] == 0
    assert w.request("addWatch", ustr("/q") + struct.pack(">i", 7))[2] == -5
    assert x.create("/p/z")[0] == 0
    assert x.set("/q", b"3")[0] == 0
    assert w.wait_event() == (3, 3, "/q")  # /p/z did not notify


def test_who_am_i_ephemerals_and_counts(coord):
    r = raw(coord)
    xid, zxid, err, rd = r.request("auth", struct.pack(">i", 0) + ustr("digest") +
                                   ustr(b"user:pass"), xid=-4)
    assert (xid, err) == (-4, 0)
    xid, zxid, err, rd = r.request("whoAmI")
    ids = [(rd.str(), rd.str()) for _ in range(rd.int())]
    assert ids == [("ip", "127.0.0.1"), ("digest", "user")]
    assert r.create("/eph")[0] == 0
    assert r.create("/eph/e1", flags=1)[0] == 0
    assert r.create("/eph/e2", flags=1)[0] == 0
    xid, zxid, err, rd = r.request("getEphemerals", ustr("/eph"))
    assert sorted(rd.str() for _ in range(rd.int())) == ["/eph/e1", "/eph/e2"]
    xid, zxid, err, rd = r.request("getAllChildrenNumber", ustr("/eph"))
    assert rd.int() == 2
    xid, zxid, err, rd = r.request("reconfig", ustr("") + ustr("") + ustr("") +
                                   struct.pack(">q", -1))
    assert err == -123


def test_auth_failure_closes(coord):
    r = raw(coord)
    xid, zxid, err, rd = r.request("auth", struct.pack(">i", 0) + ustr("kerberos") +
                                   ustr(b"x"), xid=-4)
    assert err == -115
    with pytest.raises((ConnectionError, OSError)):
        r.read_frame()


def test_ttl_needs_extended_types(coord_factory):
    plain = coord_factory()
    r = raw(plain)
    body = create_body("/ttl", b"", 5) + struct.pack(">q", 500)
    assert r.request("createTTL", body)[2] == -6
    ext = coord_factory({"extendedTypesEnabled": "true", "tickTime": 100})
    r = raw(ext)
    xid, zxid, err, rd = r.request("createTTL", body)
    assert err == 0 and rd.str() == "/ttl"
    st = rd.stat()
    assert st["ephemeralOwner"] == 0  # clients see 0 for TTL nodes (as 3.8)
    wait_until(lambda: r.exists("/ttl")[0] == -101, timeout=10)


def test_container_reaped_when_emptied(coord_factory):
    coord = coord_factory({"tickTime": 100})
    r = raw(coord)
    xid, zxid, err, rd = r.request("createContainer", create_body("/ct", b"", 4))
    assert err == 0 and rd.str() == "/ct"
    assert rd.stat()["ephemeralOwner"] == 0  # containers show 0, as 3.8
    assert r.create("/ct/k")[0] == 0
    time.sleep(0.3)
    assert r.exists("/ct")[0] == 0       # not empty: kept
    assert r.delete("/ct/k") == 0
    wait_until(lambda: r.exists("/ct")[0] == -101, timeout=10)


def test_four_letter_words_default_whitelist(coord_factory):
    coord = coord_factory({"4lw.commands.whitelist": "srvr"})
    assert four_letter(coord.host, coord.port, "mntr") == \
        "mntr is not executed because it is not in the whitelist.\n"
    assert four_letter(coord.host, coord.port, "ruok") == \
        "ruok is not executed because it is not in the whitelist.\n"
    assert "Mode: standalone" in four_letter(coord.host, coord.port, "srvr")
    coord2 = coord_factory({"4lw.commands.whitelist": "srvr, ruok"})
    assert four_letter(coord2.host, coord2.port, "ruok") == "imok"


def connection_closed(sock, timeout=5.0):
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("payload", [
    pytest.param(struct.pack(">i", 0x7fffffff) + b"x" * 10, id="oversize-length"),
    pytest.param(struct.pack(">i", -5), id="negative-length"),
    pytest.param(struct.pack(">i", 8) + b"\x00" * 8, id="short-connect"),
    pytest.param(b"GET / HTTP/1.1\r\n\r\n", id="http"),
])
def test_bad_handshakes_close_only_that_connection(coord, payload):
    good = raw(coord)
    s = socket.create_connection((coord.host, coord.port))
    s.sendall(payload)
    assert connection_closed(s)
    assert good.create("/still-ok-" + str(abs(hash(payload)) % 1000))[0] == 0


@pytest.mark.parametrize("body", [
    pytest.param(struct.pack(">ii", 1, 4) + struct.pack(">i", 1000) + b"/a", id="path-len-past-end"),
    pytest.param(struct.pack(">ii", 1, 1) + ustr("/x") + ustr(b"") + struct.pack(">i", 0x10000000),
                 id="huge-acl-count"),
    pytest.param(struct.pack(">ii", 1, 14) + struct.pack(">i?i", 1, False, -1), id="multi-short-op"),
    pytest.param(struct.pack(">i", 1), id="short-header"),
])
def test_malformed_requests_close_only_that_connection(coord, body):
    good = raw(coord)
    bad = raw(coord)
    bad.send_frame(body)
    assert connection_closed(bad.sock)
    assert good.exists("/")[0] == 0
    assert four_letter(coord.host, coord.port, "ruok") == "imok"


def test_unknown_op_is_unimplemented(coord):
    r = raw(coord)
    xid, zxid, err, rd = r.request(55)
    assert err == -6


def test_max_client_cnxns(coord_factory):
    coord = coord_factory({"maxClientCnxns": 2})
    a, b = raw(coord), raw(coord)
    c = socket.create_connection((coord.host, coord.port))
    assert connection_closed(c)
    assert b.create("/ok")[0] == 0
    a.close()

    def can_connect():
        try:
            raw(coord).close()
            return True
        except (ConnectionError, OSError):
            return False
    wait_until(can_connect)   # a freed slot is usable again


def test_frame_limit_jute_maxbuffer(coord_factory):
    coord = coord_factory({"jute.maxbuffer": 4096})
    r = raw(coord)
    assert r.create("/small", b"x" * 1000)[0] == 0
    r.send_frame(struct.pack(">ii", 9, 1) + create_body("/big", b"x" * 20000))
    assert connection_closed(r.sock)
    assert raw(coord).exists("/small")[0] == 0


def test_sessionless_connection_closed_after_10s(coord):
    s = socket.create_connection((coord.host, coord.port))
    t0 = time.monotonic()
    assert connection_closed(s, timeout=20)
    assert 9.0 <= time.monotonic() - t0 <= 16.0


def test_watch_listing_words(coord):
    r = raw(coord)
    assert r.create("/wl")[0] == 0
    assert r.get("/wl", watch=True)[0] == 0
    assert r.children("/", watch=True)[0] == 0
    sid = "0x%x" % r.session_id
    assert four_letter(coord.host, coord.port, "wchs") == \
        "1 connections watching 2 paths\nTotal watches:2\n"
    wchc = four_letter(coord.host, coord.port, "wchc")
    assert wchc.startswith(sid + "\n") and "\t/wl\n" in wchc and "\t/\n" in wchc
    wchp = four_letter(coord.host, coord.port, "wchp")
    assert f"/wl\n\t{sid}\n" in wchp
    cons = four_letter(coord.host, coord.port, "cons")
    assert f"sid={sid}," in cons and "lop=GETC" in cons
    dump = four_letter(coord.host, coord.port, "dump")
    assert dump.startswith("SessionTracker dump:\n") and sid in dump
    assert r.create("/wl/e", flags=1)[0] == 0
    assert f"{sid}:\n\t/wl/e\n" in four_letter(coord.host, coord.port, "dump")
    dirs = four_letter(coord.host, coord.port, "dirs")
    assert dirs.startswith("datadir_size: ") and "\nlogdir_size: " in dirs
    assert four_letter(coord.host, coord.port, "gtmk") == "306"
