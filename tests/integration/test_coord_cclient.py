"""odradek-coord driven by Debian's ZooKeeper C client (libzookeeper-mt):
a small C program (tests/integration/c/coord_cclient.c), built here with cc,
covering create/get/set/watch/multi/delete."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "c", "coord_cclient.c")

pytestmark = pytest.mark.skipif(
    not os.path.exists("/usr/include/zookeeper/zookeeper.h") or shutil.which("cc") is None,
    reason="libzookeeper-mt-dev or cc missing")


@pytest.fixture(scope="module")
def cclient(tmp_path_factory):
    exe = str(tmp_path_factory.mktemp("cclient") / "coord_cclient")
    subprocess.run(["cc", "-O1", "-Wall", "-o", exe, SRC, "-lzookeeper_mt", "-lpthread"],
                   check=True, timeout=120)
    return exe


def test_c_client(coord, cclient):
    out = subprocess.run([cclient, coord.connect], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "ok"
    assert "watch fired" in out.stdout and "multi ok" in out.stdout


def test_cli_mt_shell(coord):
    """cli_mt, the C client's shell: ls (getChildren with watch=1), then a
    create by another client fires its child watch."""
    import select
    import time
    from coord_fixtures import RawZk
    cli = "/usr/lib/zookeeper/bin/cli_mt"
    if not os.path.exists(cli):
        pytest.skip("zookeeper-bin (cli_mt) not installed")
    p = subprocess.Popen([cli, coord.connect], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""

    def until(text, timeout=10):
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} from cli_mt:\n{seen.decode()}"
            if select.select([p.stdout], [], [], left)[0]:
                chunk = os.read(p.stdout.fileno(), 65536)
                assert chunk, seen.decode()
                seen += chunk
    try:
        until("Got a new session id")
        p.stdin.write(b"ls /\n")
        p.stdin.flush()
        until("\tzookeeper")
        r = RawZk(coord.host, coord.port)
        r.connect()
        assert r.create("/from-raw")[0] == 0
        until("Watcher CHILD_EVENT state = CONNECTED_STATE for path /")
        p.stdin.write(b"quit\n")
        p.stdin.flush()
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
