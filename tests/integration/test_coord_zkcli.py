"""odradek-coord driven by Debian's zkCli.sh (the Java client): scripted
create/ls/get/set/stat/delete/deleteall, plus the ops zkCli sends that
kazoo does not (getChildren2, SetWatches-capable client, whoami, getAcl)."""
import os
import shutil
import subprocess

import pytest

from coord_fixtures import RawZk

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"

pytestmark = pytest.mark.skipif(not os.path.exists(ZKCLI),
                                reason="zookeeper (zkCli.sh) not installed")


def zkcli(coord, script):
    out = subprocess.run([ZKCLI, "-server", coord.connect], input=script,
                         capture_output=True, text=True, timeout=120)
    return "\n".join(l for l in (out.stdout + out.stderr).splitlines()
                     if l and not l.startswith("SLF4J"))


def test_zkcli_script(coord):
    out = zkcli(coord, "\n".join([
        "create /zc hello",
        "create /zc/a 1",
        "create -e /zc/e x",
        "create -s /zc/s- y",
        "ls /zc",
        "get /zc",
        "set /zc world",
        "stat /zc",
        "delete /zc/a",
        "ls /",
        "quit", ""]))
    assert "Created /zc" in out
    assert "Created /zc/s-0000000002" in out
    assert "[a, e, s-0000000002]" in out
    assert "\nhello\n" in out
    assert "dataVersion = 1" in out
    assert "numChildren = 3" in out
    assert "[zc, zookeeper]" in out
    # the ephemeral left with zkCli's session (closeSession on quit)
    r = RawZk(coord.host, coord.port)
    r.connect()
    assert r.children("/zc") == (0, ["s-0000000002"])
    assert r.get("/zc")[1][0] == b"world"


def test_zkcli_deleteall_uses_multi(coord):
    r = RawZk(coord.host, coord.port)
    r.connect()
    r.create("/da")
    for i in range(30):
        r.create(f"/da/n{i}")
        r.create(f"/da/n{i}/m")
    out = zkcli(coord, "deleteall /da\nls /\nquit\n")
    assert "[zookeeper]" in out, out
    assert r.exists("/da")[0] == -101


def test_zkcli_errors_and_acl_commands(coord):
    out = zkcli(coord, "\n".join([
        "get /missing",
        "create /x",
        "create /x",
        "getAcl /x",
        "addauth digest u:p",
        "setAcl /x auth:u:p:cdrwa",
        "getAcl /x",
        "whoami",
        "quit", ""]))
    assert "Node does not exist: /missing" in out
    assert "Node already exists: /x" in out
    assert "'world,'anyone\n: cdrwa" in out
    assert "'digest,'u:" in out
    assert "digest: u" in out


def test_zkcli_watches_and_recursive_listing(coord):
    out = zkcli(coord, "\n".join([
        "create /zw v",
        "create /zw/a",
        "create /zw/a/b",
        "get -w /zw",
        "set /zw x",
        "ls -w /zw",
        "create /zw/c",
        "ls -R /zw",
        "addWatch -m PERSISTENT_RECURSIVE /zw",
        "set /zw/a/b y",
        "getAllChildrenNumber /zw",
        "getEphemerals",
        "sync /zw",
        "quit", ""]))
    assert "WatchedEvent state:SyncConnected type:NodeDataChanged path:/zw" in out
    assert "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/zw" in out
    assert "WatchedEvent state:SyncConnected type:NodeDataChanged path:/zw/a/b" in out
    assert "/zw/a/b" in out and "/zw/c" in out
    assert "\n3\n" in out  # getAllChildrenNumber
