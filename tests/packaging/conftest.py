"""Packaging tests: the .deb, the systemd units, the init script, the
container image and the supervisord program file, each exercised for real.

What this gives every test file (tests/packaging/test_*.py):

  run(cmd, ...)       subprocess.run with text output, a timeout, and the
                      command's output in the assertion message on failure.
  deb                 (session) path of odradek_<v>_<arch>.deb: $ODRADEK_DEB if
                      set, else built once with scripts/build-deb.
  deb_tree            (session) the .deb's files, unpacked (dpkg-deb -x).
  deb_control         (session) the .deb's control files (dpkg-deb -e).
  Root                a Debian 12 root file system from the cached debootstrap
                      tarball (packaging/rootfs nspawn), unpacked into a temp
                      dir, with the .deb installed by dpkg inside it;
                      .chroot(cmd) runs a command in it; .close() removes it.
  Nspawn(root)        that root booted with systemd as PID 1 in
                      systemd-nspawn (private network: only its own
                      loopback); .sh(cmd) runs a shell command inside it
                      through nsenter; .poweroff().
  slow                marker: these tests boot containers or build images.
                      They run when ODRADEK_PACKAGING_SLOW=1 (tests/packaging/run
                      sets it for the ones CI runs); otherwise they are skipped
                      with that reason.

Everything needs root (apt, chroot, nspawn, podman), as CI has.
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("ODRADEK_CACHE", "/var/cache/odradek-ci")
# Packages of the root used for nspawn, chroot and supervisord tests: systemd
# as init, and the clients of the walkthrough.
ROOTFS_PACKAGES = ("systemd,systemd-sysv,dbus,procps,adduser,iproute2,kcat,"
                   "python3-kafka,supervisor,ca-certificates")

WALKTHROUGH = r"""
from kafka import KafkaProducer, KafkaConsumer
p = KafkaProducer(bootstrap_servers=['localhost:9092'])
for m in (b'message1', b'message2', b'message3'):
    p.send('my-topic', m)
p.flush()
got = [m.value for m in KafkaConsumer('my-topic', group_id='my_group',
                                      bootstrap_servers=['localhost:9092'],
                                      auto_offset_reset='earliest',
                                      consumer_timeout_ms=10000)]
print(got)
assert got[:3] == [b'message1', b'message2', b'message3'], got
"""


def run(cmd, check=True, timeout=300, **kw):
    """Runs cmd (a list, or a string for sh -c); returns CompletedProcess."""
    shell = isinstance(cmd, str)
    try:
        r = subprocess.run(cmd, shell=shell, text=True, capture_output=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"timed out after {timeout}s: {cmd}\n"
                             f"{e.stdout or ''}{e.stderr or ''}")
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {cmd}\n"
                             f"--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r


def wait_for(pred, timeout, what, interval=0.2):
    """Polls pred() until it returns a true value; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                         f"(last: {last!r})")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: boots containers or builds images "
                            "(run with ODRADEK_PACKAGING_SLOW=1)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ODRADEK_PACKAGING_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow packaging test: set ODRADEK_PACKAGING_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def deb():
    path = os.environ.get("ODRADEK_DEB")
    if not path:
        r = run([os.path.join(ROOT, "scripts", "build-deb")], timeout=900,
                env=dict(os.environ, ODRADEK_SKIP_DEPS="1"))
        path = r.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path), path
    return path


@pytest.fixture(scope="session")
def deb_tree(deb, tmp_path_factory):
    d = tmp_path_factory.mktemp("deb-tree")
    run(["dpkg-deb", "-x", deb, str(d)])
    return str(d)


@pytest.fixture(scope="session")
def deb_control(deb, tmp_path_factory):
    d = tmp_path_factory.mktemp("deb-control")
    run(["dpkg-deb", "-e", deb, str(d)])
    return str(d)


def rootfs_tarball():
    r = run([os.path.join(ROOT, "packaging", "rootfs"), "nspawn", ROOTFS_PACKAGES],
            timeout=900)
    return r.stdout.strip().splitlines()[-1]


class Root:
    """A throwaway Debian 12 root with the .deb installed."""

    def __init__(self, deb, install=True):
        os.makedirs(CACHE, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="odradek-root-", dir=CACHE)
        self.mounts = []
        self.netns = None
        run(["tar", "-C", self.dir, "--numeric-owner", "-xf", rootfs_tarball()])
        os.utime(self.dir)  # tar restored the tarball's date; tests/packaging/run ages roots by it
        # The host's resolver, so apt inside could reach the mirror if needed,
        # and an /etc/hosts (debootstrap writes none).  localhost is IPv4
        # only: the daemons bind 0.0.0.0 for an empty listener host, where
        # Kafka and ZooKeeper bind [::] (dual stack), so with Debian's usual
        # "::1 localhost" a client may try [::1]:9092 first and kcat gives
        # up (requested from the broker and coord owners).
        shutil.copy("/etc/resolv.conf", os.path.join(self.dir, "etc/resolv.conf"))
        with open(self.path("/etc/hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n")
        if install:
            shutil.copy(deb, os.path.join(self.dir, "srv", "odradek.deb"))
            self.mount_proc()
            try:
                self.chroot("dpkg -i /srv/odradek.deb", timeout=120)
            finally:
                self.umount_all()

    def path(self, p):
        return os.path.join(self.dir, p.lstrip("/"))

    def mount_proc(self):
        p = self.path("/proc")
        run(["mount", "-t", "proc", "proc", p])
        self.mounts.append(p)

    def chroot(self, cmd, check=True, timeout=120):
        return run(["chroot", self.dir, "/bin/sh", "-c", cmd], check=check,
                   timeout=timeout, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                         "LANG": "C.UTF-8"})

    def enter_netns(self):
        """Gives ns() a network namespace of its own (only loopback), so the
        daemons bind 2181/9092 there and not on the host."""
        self.netns = "odradek-" + os.path.basename(self.dir).rsplit("-", 1)[-1]
        run(["ip", "netns", "add", self.netns])
        run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"])
        with open(self.path("/etc/hosts"), "a") as f:
            f.write("127.0.1.1 %s\n" % os.uname().nodename)
        self.mount_proc()

    def ns(self, cmd, check=True, timeout=120):
        """Runs cmd in the root (chroot) inside its network namespace."""
        # nsenter --net, not `ip netns exec`: the latter also makes a new
        # mount namespace per call, after which start-stop-daemon no longer
        # recognises a daemon started by an earlier call (/proc/PID/exe).
        return run(["nsenter", "--net=/run/netns/" + self.netns, "chroot", self.dir,
                    "/bin/sh", "-c", cmd], check=check, timeout=timeout,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})

    def pids(self, comm=None):
        """Processes whose root directory is this root (optionally by name)."""
        out = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                if os.readlink(f"/proc/{p}/root") != self.dir:
                    continue
                with open(f"/proc/{p}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
                with open(f"/proc/{p}/comm") as f:
                    c = f.read().strip()
            except OSError:
                continue
            if st != "Z" and (comm is None or c == comm):
                out.append(int(p))
        return out

    def kill_all(self):
        for sig in (15, 9):
            for p in self.pids():
                try:
                    os.kill(p, sig)
                except OSError:
                    pass
            deadline = time.monotonic() + 10
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.1)

    def umount_all(self):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], capture_output=True)
        self.mounts = []

    def close(self):
        self.kill_all()
        if getattr(self, "netns", None):
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
            self.netns = None
        self.umount_all()
        # Never follow a mount point that could not be unmounted.
        if not any(os.path.ismount(os.path.join(self.dir, m)) for m in ("proc", "sys", "dev")):
            shutil.rmtree(self.dir, ignore_errors=True)
        if os.path.exists(self.dir + ".boot.log"):
            os.unlink(self.dir + ".boot.log")


def _pid_ns(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


class Nspawn:
    """root booted with systemd as PID 1; commands run inside via nsenter."""

    def __init__(self, root, name):
        self.root = root
        self.log = open(root.dir + ".boot.log", "w+")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "-D", root.dir, "-b", "--private-network",
             "--register=no", "--keep-unit", "-M", name],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.pid = wait_for(self._find_init, 30, "systemd in the container")
        # The bus comes up a moment after PID 1.
        wait_for(lambda: self.sh("systemctl is-system-running --wait", check=False,
                                 timeout=60).stdout.strip() in ("running", "degraded"),
                 90, "the container's boot to finish")

    def _find_init(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError("systemd-nspawn exited:\n" + self.log.read())
        mine = _pid_ns("self")
        r = subprocess.run(["pgrep", "-x", "systemd"], capture_output=True, text=True)
        for p in r.stdout.split():
            # systemd-nspawn's child in a new pid namespace, whose parent
            # chain leads to our nspawn process.
            if _pid_ns(p) not in (None, mine) and self._descends(int(p)):
                return int(p)
        return None

    def _descends(self, pid):
        while pid > 1:
            if pid == self.proc.pid:
                return True
            try:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                return False
        return False

    def sh(self, cmd, check=True, timeout=120):
        return run(["nsenter", "-t", str(self.pid), "-m", "-u", "-i", "-n", "-p",
                    "/bin/sh", "-c", cmd], check=check, timeout=timeout,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})

    def diag(self, unit):
        """systemctl status and the unit's journal, for failure messages."""
        r = self.sh(f"systemctl status --no-pager -l {unit}; "
                    f"journalctl -u {unit} -o short-monotonic --no-pager -n 80",
                    check=False)
        return r.stdout + r.stderr

    def show(self, unit, *props):
        r = self.sh(f"systemctl show -p {','.join(props)} {unit}")
        return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)

    def poweroff(self):
        if self.proc.poll() is None:
            self.sh("systemctl poweroff", check=False, timeout=30)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # SIGTERM makes systemd-nspawn shut the container down.
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
        self.log.close()
