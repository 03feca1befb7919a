"""Without systemd: /etc/init.d/odradek in a chroot of a Debian 12 root
with the .deb installed (no /run/systemd/system, so the LSB functions do
not hand over to systemctl), in a network namespace of its own: start
(returns once `odradek ctl status` is ready), status, a kcat round trip,
reload, restart, stop (nothing left), status after stop = 3."""
import os

import pytest

from conftest import Root, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def root(deb):
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot, ip netns)")
    r = Root(deb)
    r.enter_netns()
    assert not os.path.exists(r.path("/run/systemd/system"))
    yield r
    r.close()


def supervisor_pid(root):
    pids = root.pids("odradek-supervi")  # comm is cut at 15 characters
    return pids[0] if len(pids) == 1 else None


def kcat_roundtrip(root, payload):
    root.ns(f"echo '{payload}' | kcat -b localhost:9092 -P -t init-topic", timeout=30)
    r = root.ns("kcat -b localhost:9092 -C -t init-topic -o beginning -e -q", timeout=30)
    assert payload in r.stdout.split(), r.stdout


def logs(root):
    return root.ns("tail -n 40 /var/log/odradek/*.log", check=False).stdout


def test_start_status(root):
    r = root.ns("/etc/init.d/odradek start", check=False, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr + logs(root)
    assert root.ns("/etc/init.d/odradek status", check=False).returncode == 0
    assert root.ns("odradek ctl status", check=False).returncode == 0, logs(root)
    pid = supervisor_pid(root)
    assert pid
    with open(f"/proc/{pid}/status") as f:
        uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
    assert uid == root.ns("id -u odradek").stdout.strip()
    assert root.pids("odradek-broker") and root.pids("odradek-coord")
    # Starting again is not an error and starts nothing new.
    root.ns("/etc/init.d/odradek start", timeout=90)
    assert supervisor_pid(root) == pid


def test_roundtrip(root):
    kcat_roundtrip(root, "init-hello")


def test_reload(root):
    pid = supervisor_pid(root)
    root.ns("/etc/init.d/odradek reload", timeout=60)
    wait_for(lambda: root.ns("odradek ctl status", check=False).returncode == 0, 60,
             "ready after reload")
    assert supervisor_pid(root) == pid
    kcat_roundtrip(root, "after-reload")


def test_restart(root):
    pid = supervisor_pid(root)
    root.ns("/etc/init.d/odradek restart", timeout=240)
    new = supervisor_pid(root)
    assert new and new != pid
    assert root.ns("odradek ctl status", check=False).returncode == 0
    kcat_roundtrip(root, "after-restart")


def test_stop(root):
    root.ns("/etc/init.d/odradek stop", timeout=240)
    assert root.pids("odradek-broker") == [] and root.pids("odradek-coord") == []
    assert supervisor_pid(root) is None
    assert root.ns("/etc/init.d/odradek status", check=False).returncode == 3
    # Stopping a stopped service is not an error.
    root.ns("/etc/init.d/odradek stop", timeout=60)
