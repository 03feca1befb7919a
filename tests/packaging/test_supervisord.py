"""Debian's supervisor (supervisord 4.2) runs config/supervisord/odradek.conf
in a chroot of a Debian 12 root with the .deb installed, in a network
namespace of its own: the bundle comes up, the walkthrough works, a killed
broker is restarted, a killed odradek-supervisor is restarted by
supervisord, and `supervisorctl stop` stops everything."""
import os
import re
import shutil

import pytest

from conftest import ROOT, WALKTHROUGH, Root, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def root(deb):
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot, ip netns)")
    r = Root(deb)
    r.enter_netns()
    shutil.copy(os.path.join(ROOT, "config/supervisord/odradek.conf"),
                r.path("/etc/supervisor/conf.d/odradek.conf"))
    with open(r.path("/srv/walk.py"), "w") as f:
        f.write(WALKTHROUGH)
    # What the package's tmpfiles.d entry does at boot.
    r.ns("systemd-tmpfiles --create odradek.conf")
    r.ns("supervisord -c /etc/supervisor/supervisord.conf")
    yield r
    r.ns("supervisorctl shutdown", check=False, timeout=200)
    wait_for(lambda: not r.pids(), 60, "supervisord and the bundle to exit")
    r.close()


def prog_status(root):
    out = root.ns("supervisorctl status odradek", check=False).stdout
    m = re.search(r"odradek\s+(\w+)(?:\s+pid (\d+))?", out)
    return (m.group(1), int(m.group(2)) if m.group(2) else None) if m else (out, None)


def ready(root):
    return root.ns("odradek ctl status", check=False).returncode == 0


def diag(root):
    return root.ns("tail -n 60 /var/log/odradek/odradek.log "
                   "/var/log/supervisor/supervisord.log", check=False).stdout


def one(pids):
    return pids[0] if len(pids) == 1 else None


def test_bundle_runs(root):
    try:
        wait_for(lambda: prog_status(root)[0] == "RUNNING", 60, "RUNNING")
        wait_for(lambda: ready(root), 90, "odradek ctl status")
    except AssertionError as e:
        raise AssertionError(str(e) + "\n" + diag(root))
    assert root.pids("odradek-broker") and root.pids("odradek-coord")


def test_walkthrough(root):
    r = root.ns("python3 /srv/walk.py", timeout=90)
    assert "message1" in r.stdout


def test_killed_broker_restarted(root):
    old = one(root.pids("odradek-broker"))
    assert old
    os.kill(old, 9)
    wait_for(lambda: one(root.pids("odradek-broker")) not in (None, old), 60,
             "a new broker")
    wait_for(lambda: ready(root), 60, "ready again")
    root.ns("echo after-kill | kcat -b localhost:9092 -P -t sd-topic", timeout=30)
    r = root.ns("kcat -b localhost:9092 -C -t sd-topic -o beginning -e -q", timeout=30)
    assert "after-kill" in r.stdout


def test_killed_supervisor_restarted_by_supervisord(root):
    state, pid = prog_status(root)
    assert state == "RUNNING" and pid
    old_broker = one(root.pids("odradek-broker"))
    os.kill(pid, 9)
    wait_for(lambda: (lambda s: s[0] == "RUNNING" and s[1] not in (None, pid))(
        prog_status(root)), 60, "supervisord to restart odradek-supervisor")
    wait_for(lambda: ready(root), 90, "ready again")
    assert one(root.pids("odradek-broker")) not in (None, old_broker)
    r = root.ns("kcat -b localhost:9092 -C -t sd-topic -o beginning -e -q", timeout=30)
    assert "after-kill" in r.stdout


def test_supervisorctl_stop(root):
    root.ns("supervisorctl stop odradek", timeout=200)
    assert prog_status(root)[0] == "STOPPED", diag(root)
    assert root.pids("odradek-broker") == [] and root.pids("odradek-coord") == []
