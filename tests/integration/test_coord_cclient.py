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


def test_cli_mt_lists(coord):
    """cli_mt is the C client's shell; check it can list after connecting."""
    cli = "/usr/lib/zookeeper/bin/cli_mt"
    if not os.path.exists(cli):
        pytest.skip("zookeeper-bin (cli_mt) not installed")
    out = subprocess.run([cli, coord.connect], input="ls /\nquit\n", capture_output=True,
                         text=True, timeout=30)
    assert "zookeeper" in out.stdout + out.stderr
