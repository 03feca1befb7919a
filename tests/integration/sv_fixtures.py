"""Fixtures for odradek-supervisor's integration tests.

  Supervisor(conf_text)   odradek-supervisor -c <workdir>/odradek.conf --log-stdout,
                          a conftest.Daemon (NOTIFY_SOCKET listener, log capture,
                          clean SIGTERM exit checked at teardown).  conf_text may use
                          {sock} (the control socket), {dir} (the work dir) and
                          {progs} (tests/integration/sv_progs).
                          .ctl(*args) -> CompletedProcess of `odradek ctl --socket ...`
                          .status() -> the JSON status as a dict
                          .prog(name) -> that program's entry of status()
                          .wait_log(regex, timeout) -> the match
                          .wait_state(name, state, timeout)
  supervisor_factory      make(conf_text, start=True, wait=True, log_stdout=True, env=None)
  proc_children(pid)      pids whose parent is pid (from /proc)
  zombies_of(pid)         children of pid in state Z
  pids_with_marker(s)     live pids whose command line starts with s
  fd_count(pid)           open fds of pid
  cc_prog(name)           compile tests/integration/sv_progs/<name>.c with cc, cached
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import Daemon, bin_path

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "sv_progs")


def proc_stat(pid):
    """(state, ppid, pgid) of pid, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def proc_children(pid):
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[1] == pid:
            out.append(p)
    return out


def zombies_of(pid):
    return [p for p in proc_children(pid) if (proc_stat(p) or ("?",))[0] == "Z"]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def pids_with_marker(prefix):
    """Live processes whose command line starts with prefix."""
    me = os.getpid()
    return [p for p in all_pids()
            if p != me and cmdline(p).startswith(prefix)
            and (proc_stat(p) or ("Z",))[0] != "Z"]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_until(pred, timeout, what="condition", interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(interval)


_cc_dir = None


def cc_prog(name):
    """Compile sv_progs/<name>.c once per session; returns the binary path."""
    global _cc_dir
    if _cc_dir is None:
        _cc_dir = tempfile.mkdtemp(prefix="svprogs-")
    out = os.path.join(_cc_dir, name)
    if not os.path.exists(out):
        subprocess.run(["cc", "-O1", "-o", out, os.path.join(PROGS, name + ".c")],
                       check=True)
    return out


class Supervisor(Daemon):
    stop_timeout = 20.0

    def __init__(self, conf_text, log_stdout=True, env=None, argv_prefix=None):
        workdir = tempfile.mkdtemp(prefix="sv-", dir="/tmp")
        self.sock = os.path.join(workdir, "ctl.sock")
        self.conf_path = os.path.join(workdir, "odradek.conf")
        self.write_conf(conf_text, workdir)
        argv = [bin_path("odradek-supervisor"), "-c", self.conf_path]
        if log_stdout:
            argv.append("--log-stdout")
        if argv_prefix:
            argv = list(argv_prefix) + argv
        super().__init__("supervisor", argv, workdir=workdir, env=env)

    def write_conf(self, conf_text, workdir=None):
        workdir = workdir or self.workdir
        text = (conf_text.replace("{sock}", self.sock)
                .replace("{dir}", workdir).replace("{progs}", PROGS))
        with open(self.conf_path, "w") as f:
            f.write(text)

    def ctl(self, *args, timeout=30):
        # right after start(wait=False) the socket may not be bound yet
        wait_until(lambda: os.path.exists(self.sock) or not self.alive(), 10,
                   "control socket")
        return subprocess.run([bin_path("odradek"), "ctl", "--socket", self.sock]
                              + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout)

    def status(self):
        r = self.ctl("status", "--json")
        assert r.returncode in (0, 3), (r.returncode, r.stderr)
        return json.loads(r.stdout)

    def prog(self, name):
        for p in self.status()["programs"]:
            if p["name"] == name:
                return p
        raise KeyError(name)

    def wait_log(self, pattern, timeout=10.0, start=0):
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log_text(), start)
            if m:
                return m
            if time.monotonic() > deadline:
                raise TimeoutError(f"no /{pattern}/ in the log within {timeout}s\n"
                                   + self.log_text()[-3000:])
            if not self.alive() and not rx.search(self.log_text(), start):
                raise RuntimeError(f"supervisor exited before /{pattern}/\n"
                                   + self.log_text()[-3000:])
            time.sleep(0.02)

    def wait_state(self, name, state, timeout=10.0):
        return wait_until(lambda: self.prog(name)["state"] == state and self.prog(name),
                          timeout, f"{name} {state}")

    def cleanup(self):
        try:
            super().cleanup()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture
def supervisor_factory():
    made = []

    def make(conf_text, start=True, wait=True, **kw):
        s = Supervisor(conf_text, **kw)
        made.append(s)
        if start:
            s.start(wait=wait)
        return s

    yield make
    errors = []
    for s in reversed(made):
        try:
            s.cleanup()
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)
