"""Configuration as users write it: the tutorial's files verbatim, bad
values, environment overrides, --help/--version, --daemon and --stop."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import bin_path, free_port, CoordDaemon

# Exactly as the Kafka tutorial this project starts from writes them
# (issue 2), Japanese trailing comments included.
TUTORIAL_ZK = """dataDir=/tmp/zookeeper
clientPort=2181 # Zookeeper がサービス提供するポート番号
maxClientCnxns=0
"""
TUTORIAL_SERVER = """broker.id=0 # 複数のKafkaをクラスタリングするときの識別子
port=9092 # Kafka がサービス提供するポート番号
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kafka-logs

num.partitions=1
num.recovery.threads.per.data.dir=1

log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
log.cleaner.enable=false

zookeeper.connect=localhost:2181 # 利用する Zookeeper
zookeeper.connection.timeout.ms=6000
"""

EXPECT_ZK = {"dataDir": "/tmp/zookeeper", "clientPort": "2181",
             "maxClientCnxns": "0"}
EXPECT_SERVER = {
    "broker.id": "0", "port": "9092", "socket.send.buffer.bytes": "102400",
    "socket.receive.buffer.bytes": "102400",
    "socket.request.max.bytes": "104857600", "log.dirs": "/tmp/kafka-logs",
    "num.partitions": "1", "log.retention.hours": "168",
    "log.segment.bytes": "1073741824",
    "log.retention.check.interval.ms": "300000",
    "log.cleaner.enable": "false", "zookeeper.connect": "localhost:2181",
    "zookeeper.connection.timeout.ms": "6000",
}
DAEMONS = [("odradek-coord", TUTORIAL_ZK, EXPECT_ZK, "clientPort", "ODRADEK_COORD_"),
           ("odradek-broker", TUTORIAL_SERVER, EXPECT_SERVER, "port", "ODRADEK_BROKER_")]


def run(argv, env=None, timeout=20):
    e = dict(os.environ)
    e.pop("NOTIFY_SOCKET", None)
    e.update(env or {})
    return subprocess.run(argv, capture_output=True, text=True, env=e,
                          timeout=timeout)


def parse_printed(text):
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k] = re.sub(r"\s+#.*$", "", v)
    return out


@pytest.mark.parametrize("prog,text,expect,portkey,prefix", DAEMONS)
def test_tutorial_file_loads_with_its_values(tmp_path, prog, text, expect,
                                             portkey, prefix):
    path = tmp_path / "tutorial.properties"
    path.write_text(text, encoding="utf-8")
    r = run([bin_path(prog), "--print-config", str(path)])
    assert r.returncode == 0, r.stderr
    got = parse_printed(r.stdout)
    for k, v in expect.items():
        assert got.get(k) == v, f"{k}: {got.get(k)!r} != {v!r}\n{r.stdout}"
    # the trailing comments were removed with a warning naming file:line
    assert re.search(rf"{re.escape(str(path))}:\d+: warning: {re.escape(portkey)}: trailing",
                     r.stderr), r.stderr


@pytest.mark.parametrize("prog,text,expect,portkey,prefix", DAEMONS)
def test_bad_value_exits_78_naming_file_line_key(tmp_path, prog, text, expect,
                                                 portkey, prefix):
    path = tmp_path / "bad.properties"
    path.write_text(f"# a comment\n{portkey}=abc\n")
    r = run([bin_path(prog), "--print-config", str(path)])
    assert r.returncode == 78, (r.returncode, r.stderr)
    assert f"{path}:2: {portkey}:" in r.stderr, r.stderr
    # and when started for real, not only with --print-config
    r = run([bin_path(prog), str(path)])
    assert r.returncode == 78, (r.returncode, r.stderr)
    assert f"{path}:2: {portkey}:" in r.stderr


@pytest.mark.parametrize("prog,text,expect,portkey,prefix", DAEMONS)
def test_unknown_key_is_a_warning(tmp_path, prog, text, expect, portkey, prefix):
    path = tmp_path / "x.properties"
    path.write_text(text + "no.such.key=1\n")
    r = run([bin_path(prog), "--print-config", str(path)])
    assert r.returncode == 0, r.stderr
    assert re.search(r":\d+: warning: no.such.key: unknown key", r.stderr), r.stderr


@pytest.mark.parametrize("prog,text,expect,portkey,prefix", DAEMONS)
def test_environment_overrides_file(tmp_path, prog, text, expect, portkey, prefix):
    path = tmp_path / "x.properties"
    path.write_text(text)
    r = run([bin_path(prog), "--print-config", str(path)],
            env={prefix + portkey.upper().replace(".", "_"): "4242"})
    assert r.returncode == 0, r.stderr
    assert parse_printed(r.stdout)[portkey] == "4242"
    r = run([bin_path(prog), "--print-config", str(path)],
            env={prefix + portkey.upper().replace(".", "_"): "nope"})
    assert r.returncode == 78
    assert "environment" in r.stderr and portkey in r.stderr


@pytest.mark.parametrize("prog", ["odradek-coord", "odradek-broker",
                                  "odradek-supervisor", "odradek"])
def test_help_and_version(prog):
    r = run([bin_path(prog), "--version"])
    assert r.returncode == 0 and re.search(r"\d+\.\d+\.\d+", r.stdout), r
    r = run([bin_path(prog), "--help"])
    assert r.returncode == 0 and "usage" in r.stdout.lower(), r
    r = run([bin_path(prog), "--no-such-flag"])
    assert r.returncode != 0 and r.stderr.strip(), r


def test_daemon_help_lists_keys():
    r = run([bin_path("odradek-broker"), "--help"])
    for key in ("log.dirs", "zookeeper.connect", "log.segment.bytes",
                "auto.create.topics.enable"):
        assert key in r.stdout
    r = run([bin_path("odradek-coord"), "--help"])
    for key in ("dataDir", "clientPort", "tickTime", "4lw.commands.whitelist"):
        assert key in r.stdout


def test_missing_config_file_is_an_error(tmp_path):
    r = run([bin_path("odradek-coord"), str(tmp_path / "nope.properties")])
    assert r.returncode != 0
    assert "nope.properties" in r.stderr


def test_daemon_pidfile_and_stop(tmp_path):
    """--daemon returns once the daemon is up; --stop signals and waits,
    like kafka-server-start.sh -daemon / zookeeper-server-stop.sh."""
    port = free_port()
    cfg = tmp_path / "zk.properties"
    cfg.write_text(f"dataDir={tmp_path}/data\nclientPort={port}\n"
                   "clientPortAddress=127.0.0.1\n")
    pidfile = tmp_path / "coord.pid"
    log = open(tmp_path / "coord.log", "w")
    r = subprocess.run([bin_path("odradek-coord"), "--daemon", "--pidfile",
                        str(pidfile), str(cfg)], stdout=log, stderr=log,
                       timeout=20)
    assert r.returncode == 0, (tmp_path / "coord.log").read_text()
    pid = int(pidfile.read_text().strip())
    os.kill(pid, 0)  # running
    # a second instance with the same pidfile refuses to start
    r2 = subprocess.run([bin_path("odradek-coord"), "--daemon", "--pidfile",
                         str(pidfile), str(cfg)], capture_output=True, text=True,
                        timeout=20)
    assert r2.returncode != 0
    r = run([bin_path("odradek-coord"), "--stop", "--pidfile", str(pidfile)])
    assert r.returncode == 0, r.stderr
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    r = run([bin_path("odradek-coord"), "--stop", "--pidfile", str(pidfile)])
    assert r.returncode != 0  # nothing left to stop
