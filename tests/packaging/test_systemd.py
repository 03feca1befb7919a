"""Real systemd: a Debian 12 root with the .deb installed, booted with
systemd as PID 1 in systemd-nspawn (private network), driven with nsenter.

odradek.service: start -> active (READY=1 from the supervisor once coord
and broker are ready); kcat and the kafka-python walkthrough inside;
SIGSEGV to the broker -> the supervisor restarts it; SIGKILL to the
supervisor -> systemd restarts the bundle; reload; stop -> the broker is
gone before coord.  Then the standalone units: odradek-broker.service pulls
in odradek-coord.service, and stopping coord stops the broker first."""
import os
import re
import time

import pytest

from conftest import WALKTHROUGH, Nspawn, Root, wait_for

pytestmark = pytest.mark.slow

# Prints "gone <name>" as each watched program disappears (polling /proc
# every 5 ms), then exits; run in the background around a stop.
WATCH_EXIT = r"""
import os, sys, time
names = sys.argv[1:]
def alive():
    seen = set()
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                with open('/proc/%s/comm' % p) as f:
                    c = f.read().strip()
                with open('/proc/%s/stat' % p) as f:
                    st = f.read().rsplit(')', 1)[1].split()[0]
            except OSError:
                continue
            if c in names and st != 'Z':
                seen.add(c)
    return seen
left = alive()
print('watching', sorted(left), flush=True)
open('/run/watch-ready', 'w').close()
deadline = time.time() + 120
while left and time.time() < deadline:
    now = alive()
    for n in sorted(left - now):
        print('gone', n, flush=True)
    left &= now
    time.sleep(0.005)
"""


@pytest.fixture(scope="module")
def box(deb):
    if os.geteuid() != 0:
        pytest.skip("needs root (systemd-nspawn)")
    root = Root(deb)
    # As the Debian installer does: the host name resolves (the broker
    # advertises it by default).
    with open(root.path("/etc/hosts"), "a") as f:
        f.write("127.0.1.1 odradek-test\n")
    for name, text in (("walk.py", WALKTHROUGH), ("watch_exit.py", WATCH_EXIT)):
        with open(root.path("/srv/" + name), "w") as f:
            f.write(text)
    n = Nspawn(root, "odradek-test")
    yield n
    n.poweroff()
    root.close()


def pid_of(box, comm):
    r = box.sh(f"pgrep -x {comm}", check=False)
    pids = r.stdout.split()
    return int(pids[0]) if len(pids) == 1 else None


def ctl_ready(box):
    return box.sh("odradek ctl status", check=False).returncode == 0


def kcat_roundtrip(box, topic, payload):
    box.sh(f"echo '{payload}' | kcat -b localhost:9092 -P -t {topic}", timeout=30)
    r = box.sh(f"kcat -b localhost:9092 -C -t {topic} -o beginning -e -q", timeout=30)
    assert payload in r.stdout.split(), r.stdout


def watch_stop(box, stop_cmd, names=("odradek-broker", "odradek-coord")):
    """Runs stop_cmd while watching which program disappears first."""
    box.sh("rm -f /run/watch-ready /run/watch.out")
    box.sh(f"nohup python3 /srv/watch_exit.py {' '.join(names)} >/run/watch.out 2>&1 &")
    wait_for(lambda: box.sh("test -e /run/watch-ready", check=False).returncode == 0,
             10, "the exit watcher")
    box.sh(stop_cmd, timeout=200)
    out = wait_for(lambda: (lambda o: o if o.count("gone") >= len(names) else None)(
        box.sh("cat /run/watch.out", check=False).stdout), 30, "both programs to exit")
    return [l.split()[1] for l in out.splitlines() if l.startswith("gone")]


def start(box, unit):
    r = box.sh(f"timeout 120 systemctl start {unit}", check=False, timeout=130)
    assert r.returncode == 0, r.stderr + box.diag(unit)


def test_start_active(box):
    start(box, "odradek")
    s = box.show("odradek", "ActiveState", "SubState", "StatusText", "MainPID")
    assert (s["ActiveState"], s["SubState"]) == ("active", "running"), s
    assert ctl_ready(box)
    users = box.sh("ps -o user= -C odradek-broker,odradek-coord").stdout.split()
    assert users == ["odradek", "odradek"], users
    # The supervisor itself runs as odradek too.
    assert box.sh(f"ps -o user= -p {s['MainPID']}").stdout.strip() == "odradek"


def test_kcat_and_walkthrough(box):
    kcat_roundtrip(box, "kcat-topic", "hello-from-kcat")
    r = box.sh("python3 /srv/walk.py", timeout=90)
    assert "message1" in r.stdout


def test_broker_segv_restarted_by_supervisor(box):
    main = box.show("odradek", "MainPID", "NRestarts")
    old = pid_of(box, "odradek-broker")
    assert old
    box.sh(f"kill -SEGV {old}")
    wait_for(lambda: pid_of(box, "odradek-broker") not in (None, old), 60,
             "a new broker")
    wait_for(lambda: ctl_ready(box), 60, "the bundle to be ready again")
    after = box.show("odradek", "MainPID", "NRestarts", "ActiveState")
    # The supervisor handled it: systemd saw nothing.
    assert after["MainPID"] == main["MainPID"] and after["NRestarts"] == main["NRestarts"]
    assert after["ActiveState"] == "active"
    kcat_roundtrip(box, "kcat-topic", "after-segv")


def test_supervisor_kill9_restarted_by_systemd(box):
    before = box.show("odradek", "MainPID", "NRestarts")
    box.sh(f"kill -9 {before['MainPID']}")
    def restarted():
        s = box.show("odradek", "MainPID", "NRestarts", "ActiveState", "SubState")
        ok = (s["NRestarts"] != before["NRestarts"] and s["MainPID"] not in ("0", before["MainPID"])
              and s["ActiveState"] == "active" and s["SubState"] == "running")
        return s if ok else None
    s = wait_for(restarted, 90, "systemd to restart odradek")
    assert int(s["NRestarts"]) == int(before["NRestarts"]) + 1
    assert ctl_ready(box)
    kcat_roundtrip(box, "kcat-topic", "after-kill9")


def test_reload(box):
    before = box.show("odradek", "MainPID")
    box.sh("timeout 60 systemctl reload odradek", timeout=70)
    wait_for(lambda: ctl_ready(box), 60, "ready after reload")
    s = box.show("odradek", "MainPID", "ActiveState")
    assert s["MainPID"] == before["MainPID"] and s["ActiveState"] == "active"
    kcat_roundtrip(box, "kcat-topic", "after-reload")


def test_upgrade_restarts_running_bundle(box):
    # dpkg -i over the installed version is an upgrade for the maintainer
    # scripts ($2 set): postinst restarts what was running.
    before = box.show("odradek", "MainPID")
    box.sh("dpkg -i /srv/odradek.deb", timeout=120)
    wait_for(lambda: box.show("odradek", "MainPID")["MainPID"] not in ("0", before["MainPID"]),
             60, "odradek.service restarted by postinst")
    wait_for(lambda: ctl_ready(box), 60, "ready after the upgrade")
    assert box.show("odradek", "ActiveState")["ActiveState"] == "active"
    kcat_roundtrip(box, "kcat-topic", "after-upgrade")


def test_watchdog(box):
    # WatchdogSec=3 through a drop-in: the supervisor pets the watchdog (the
    # unit stays up over several periods), and a frozen supervisor (SIGSTOP)
    # is killed by systemd and the bundle restarted.
    box.sh("mkdir -p /run/systemd/system/odradek.service.d && printf "
           "'[Service]\\nWatchdogSec=3\\nRestartSec=1\\n' "
           ">/run/systemd/system/odradek.service.d/wd.conf && systemctl daemon-reload")
    try:
        box.sh("timeout 120 systemctl restart odradek", timeout=130)
        before = box.show("odradek", "MainPID", "NRestarts", "WatchdogUSec")
        assert before["WatchdogUSec"] in ("3s", "3000000"), before
        time.sleep(8)
        s = box.show("odradek", "MainPID", "NRestarts", "ActiveState")
        assert (s["MainPID"], s["NRestarts"]) == (before["MainPID"], before["NRestarts"]), \
            box.diag("odradek")
        box.sh(f"kill -STOP {before['MainPID']}")
        wait_for(lambda: (lambda x: x["NRestarts"] != before["NRestarts"]
                          and x["MainPID"] not in ("0", before["MainPID"])
                          and x["ActiveState"] == "active")(
                     box.show("odradek", "MainPID", "NRestarts", "ActiveState")),
                 60, "systemd to restart a frozen supervisor")
        assert "watchdog" in box.sh("journalctl -u odradek --no-pager -n 100").stdout.lower()
        wait_for(lambda: ctl_ready(box), 60, "ready after the watchdog restart")
    finally:
        box.sh("rm -rf /run/systemd/system/odradek.service.d && systemctl daemon-reload")
    box.sh("timeout 120 systemctl restart odradek", timeout=130)
    kcat_roundtrip(box, "kcat-topic", "after-watchdog")


def test_stop_order(box):
    order = watch_stop(box, "timeout 190 systemctl stop odradek")
    assert order == ["odradek-broker", "odradek-coord"], order
    s = box.show("odradek", "ActiveState", "Result")
    assert s["ActiveState"] == "inactive" and s["Result"] == "success", s
    # The journal tells the same order: the supervisor's last line about the
    # broker ("broker: ..." or "broker | ...") comes before its last line
    # about coord.
    j = box.sh("journalctl -u odradek -o cat --no-pager -n 200").stdout.splitlines()
    last = {n: max([i for i, l in enumerate(j) if re.match(n + r"\s*[:|]", l)], default=-1)
            for n in ("broker", "coord")}
    assert 0 <= last["broker"] < last["coord"], "\n".join(j[-40:])


def test_standalone_units(box):
    start(box, "odradek-broker")
    for u in ("odradek-coord", "odradek-broker"):
        s = box.show(u, "ActiveState", "SubState")
        assert (s["ActiveState"], s["SubState"]) == ("active", "running"), (u, s)
    assert box.show("odradek", "ActiveState")["ActiveState"] == "inactive"
    kcat_roundtrip(box, "standalone", "standalone-ok")
    # Stopping coord stops the broker first (Requires= + After=).
    order = watch_stop(box, "timeout 190 systemctl stop odradek-coord")
    assert order == ["odradek-broker", "odradek-coord"], order
    for u in ("odradek-coord", "odradek-broker"):
        assert box.show(u, "ActiveState")["ActiveState"] == "inactive", u


def test_standalone_restart_on_crash(box):
    start(box, "odradek-broker")
    old = pid_of(box, "odradek-broker")
    box.sh(f"kill -SEGV {old}")
    wait_for(lambda: box.show("odradek-broker", "NRestarts")["NRestarts"] != "0", 30,
             "systemd to restart the standalone broker")
    wait_for(lambda: box.show("odradek-broker", "ActiveState", "SubState") ==
             {"ActiveState": "active", "SubState": "running"}, 60, "broker active")
    kcat_roundtrip(box, "standalone", "after-crash")
    # The bundle's unit conflicts with the standalone ones.
    start(box, "odradek")
    assert box.show("odradek-broker", "ActiveState")["ActiveState"] == "inactive"
    assert box.show("odradek-coord", "ActiveState")["ActiveState"] == "inactive"
    assert ctl_ready(box)
    box.sh("timeout 190 systemctl stop odradek", timeout=200)
