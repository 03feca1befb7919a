"""`odradek zk` against a running odradek-coord, cross-checked with kazoo
(python3-kazoo): what one writes the other reads, in zkCli.sh's formats."""
import os
import re
import subprocess

import pytest

from conftest import bin_path, free_port

kazoo_client = pytest.importorskip("kazoo.client")


def zk(coord, *args, stdin=None, timeout=30):
    return subprocess.run([bin_path("odradek"), "zk", "-server", coord.connect]
                          + list(args), input=stdin, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def kz(coord):
    c = kazoo_client.KazooClient(hosts=coord.connect)
    c.start(timeout=10)
    yield c
    c.stop()
    c.close()


def test_create_get_set_stat_agree_with_kazoo(coord, kz):
    r = zk(coord, "create", "/app", "hello")
    assert r.returncode == 0 and r.stdout == "Created /app\n", r
    data, st = kz.get("/app")
    assert data == b"hello" and st.version == 0
    kz.set("/app", b"from kazoo")
    r = zk(coord, "get", "-s", "/app")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "from kazoo"
    stat = dict(l.split(" = ", 1) for l in lines[1:])
    _, st = kz.get("/app")
    assert stat["dataVersion"] == str(st.version) == "1"
    assert stat["cZxid"] == hex(st.czxid) and stat["mZxid"] == hex(st.mzxid)
    assert stat["dataLength"] == str(st.data_length)
    assert stat["numChildren"] == "0" and stat["ephemeralOwner"] == "0x0"
    r = zk(coord, "set", "/app", "v2")
    assert r.returncode == 0 and r.stdout == ""
    assert kz.get("/app")[0] == b"v2"
    r = zk(coord, "set", "-v", "0", "/app", "stale")
    assert r.returncode == 1 and "version No is not valid" in r.stderr
    r = zk(coord, "stat", "/app")
    assert r.returncode == 0 and "dataVersion = 2" in r.stdout


def test_ls_and_recursive_listing_match_kazoo(coord, kz):
    for p in ("/t/a/x", "/t/a/y", "/t/b"):
        kz.ensure_path(p)
    r = zk(coord, "ls", "/t")
    assert r.stdout == "[a, b]\n", r
    r = zk(coord, "ls", "-R", "/t")
    assert r.stdout.splitlines() == ["/t", "/t/a", "/t/b", "/t/a/x", "/t/a/y"]
    r = zk(coord, "ls", "-s", "/t")
    assert "numChildren = 2" in r.stdout
    assert sorted(kz.get_children("/t")) == ["a", "b"]


def test_sequential_container_and_errors(coord, kz):
    kz.ensure_path("/q")
    names = []
    for _ in range(3):
        r = zk(coord, "create", "-s", "/q/item-", "d")
        assert r.returncode == 0
        names.append(r.stdout.strip().split(" ", 1)[1])
    assert names == [f"/q/item-{i:010d}" for i in range(3)], names
    assert sorted(kz.get_children("/q")) == [n.split("/")[-1] for n in names]
    r = zk(coord, "create", "-c", "/cont")
    assert r.returncode == 0 and r.stdout == "Created /cont\n", r
    assert kz.exists("/cont") is not None
    r = zk(coord, "create", "/q")
    assert r.returncode == 1 and "Node already exists: /q" in r.stderr
    r = zk(coord, "get", "/nope")
    assert r.returncode == 1 and "Node does not exist: /nope" in r.stderr
    r = zk(coord, "delete", "/q")
    assert r.returncode == 1 and "Node not empty: /q" in r.stderr


def test_delete_and_deleteall(coord, kz):
    kz.ensure_path("/d/1/2/3")
    kz.create("/d/leaf", b"x")
    r = zk(coord, "delete", "/d/leaf")
    assert r.returncode == 0 and kz.exists("/d/leaf") is None
    r = zk(coord, "deleteall", "/d")
    assert r.returncode == 0, r
    assert kz.exists("/d") is None


def test_acl_and_auth(coord, kz):
    from kazoo.security import make_digest_acl
    kz.create("/secret", b"s", acl=[make_digest_acl("alice", "pw", all=True)])
    r = zk(coord, "get", "/secret")
    assert r.returncode == 1 and "Insufficient permission" in r.stderr
    r = zk(coord, stdin="addauth digest alice:pw\nget /secret\nquit\n")
    assert r.returncode == 0 and "s\n" in r.stdout, r
    r = zk(coord, "sync", "/")
    assert r.returncode == 0 and "Sync is OK" in r.stdout
    # getACL needs READ or ADMIN since ZooKeeper 3.6 (ZOOKEEPER-1392)
    r = zk(coord, "getAcl", "/secret")
    assert r.returncode == 1 and "Insufficient permission" in r.stderr
    r = zk(coord, stdin="addauth digest alice:pw\ngetAcl /secret\nquit\n")
    assert r.returncode == 0, r
    assert r.stdout.startswith("'digest,'alice:") and r.stdout.endswith("\n: cdrwa\n"), r
    kz.create("/open", b"o")
    r = zk(coord, "setAcl", "/open", "world:anyone:r")
    assert r.returncode == 0, r
    acl, _ = kz.get_acls("/open")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acl] == [(1, "world", "anyone")]
    r = zk(coord, "set", "/open", "x")
    assert r.returncode == 1 and "Insufficient permission" in r.stderr


def test_interactive_shell_runs_a_script(coord, kz):
    script = "create /sh one\nset /sh two\nget /sh\nls /\nquit\n"
    r = zk(coord, stdin=script)
    assert r.returncode == 0, r
    assert "Created /sh" in r.stdout and "two\n" in r.stdout
    assert "sh" in r.stdout.split("two\n", 1)[1]
    assert kz.get("/sh")[0] == b"two"


def test_bad_usage_and_unreachable_server():
    r = subprocess.run([bin_path("odradek"), "zk", "-server", "127.0.0.1:1",
                        "-timeout", "1500", "ls", "/"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 3 and "cannot reach 127.0.0.1:1" in r.stderr, r
    assert len(r.stderr.strip().splitlines()) <= 2  # no stack noise
    r = subprocess.run([bin_path("odradek"), "zk", "frobnicate", "/"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    r = subprocess.run([bin_path("odradek"), "zk", "get"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stderr


def test_set_acl_recursive(coord, kz):
    for p in ("/r/a/x", "/r/b"):
        kz.ensure_path(p)
    r = zk(coord, "setAcl", "-R", "/r", "world:anyone:cdra")
    assert r.returncode == 0, r
    for p in ("/r", "/r/a", "/r/a/x", "/r/b"):
        acl, _ = kz.get_acls(p)
        assert [(a.perms, a.id.scheme, a.id.id) for a in acl] == [(29, "world", "anyone")], p
    r = zk(coord, "set", "/r/a/x", "denied")   # no WRITE left anywhere below /r
    assert r.returncode == 1 and "Insufficient permission" in r.stderr
