"""odradek-coord's command line: --print-config, configuration errors
(exit 78 with file:line), --daemon with a pidfile and --stop, warnings for
ensemble keys, the global connection limit."""
import os
import socket
import subprocess
import time

from conftest import bin_path, free_port
from coord_fixtures import RawZk, four_letter, wait_until


def write_cfg(tmp_path, extra=""):
    port = free_port()
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(f"dataDir={tmp_path}/data\nclientPort={port}\nclientPortAddress=127.0.0.1\n"
                   f"4lw.commands.whitelist=ruok,srvr\n{extra}")
    return str(cfg), port


def test_print_config_and_help(tmp_path):
    cfg, port = write_cfg(tmp_path, "tickTime=500\n")
    out = subprocess.run([bin_path("odradek-coord"), "--print-config", cfg],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    assert f"clientPort={port}" in out.stdout and "tickTime=500" in out.stdout
    assert "snapCount=100000" in out.stdout
    h = subprocess.run([bin_path("odradek-coord"), "--help"], capture_output=True, text=True,
                       timeout=30)
    assert h.returncode == 0 and "4lw.commands.whitelist" in h.stdout


def test_bad_value_exits_78_with_location(tmp_path):
    cfg, port = write_cfg(tmp_path, "tickTime=often\n")
    out = subprocess.run([bin_path("odradek-coord"), cfg], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 78
    assert f"{cfg}:5: tickTime" in out.stderr


def test_min_above_max_is_a_config_error(tmp_path):
    cfg, port = write_cfg(tmp_path, "minSessionTimeout=50000\nmaxSessionTimeout=10000\n")
    out = subprocess.run([bin_path("odradek-coord"), cfg], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 78 and "minSessionTimeout" in out.stderr


def test_ensemble_keys_warned(coord_factory):
    coord = coord_factory({"initLimit": 10, "server.1": "host:2888:3888"})
    log = coord.log_text()
    assert "initLimit" in log and "ensemble" in log
    assert "server.1" in log


def test_daemon_pidfile_and_stop(tmp_path):
    cfg, port = write_cfg(tmp_path)
    pidfile = str(tmp_path / "coord.pid")
    logf = open(tmp_path / "coord.log", "wb")
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    rc = subprocess.run([bin_path("odradek-coord"), "--daemon", "--pidfile", pidfile, cfg],
                        stdout=logf, stderr=subprocess.STDOUT, timeout=30, env=env).returncode
    assert rc == 0
    # the parent exits only once the daemon is serving
    assert four_letter("127.0.0.1", port, "ruok") == "imok"
    pid = int(open(pidfile).read().strip())
    assert os.path.exists(f"/proc/{pid}")
    out = subprocess.run([bin_path("odradek-coord"), "--stop", "--pidfile", pidfile],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
               open(f"/proc/{pid}/stat").read().split()[2] == "Z", timeout=10)
    assert "ERROR: AddressSanitizer" not in open(tmp_path / "coord.log").read()


def test_port_in_use_fails(tmp_path):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(f"dataDir={tmp_path}/data\nclientPort={port}\nclientPortAddress=127.0.0.1\n")
    out = subprocess.run([bin_path("odradek-coord"), str(cfg)], capture_output=True,
                         text=True, timeout=30)
    s.close()
    assert out.returncode == 1 and "listen" in out.stderr


def test_global_connection_limit(coord_factory):
    coord = coord_factory({"maxCnxns": 2})
    a = RawZk(coord.host, coord.port)
    a.connect()
    b = RawZk(coord.host, coord.port)
    b.connect()
    c = socket.create_connection((coord.host, coord.port))
    c.settimeout(5)
    try:
        assert c.recv(10) == b""
    except ConnectionResetError:
        pass
    assert a.exists("/")[0] == 0
