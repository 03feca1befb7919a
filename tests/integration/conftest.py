"""Integration-test harness: real daemons over real sockets.

What this gives every test file (tests/integration/test_<part>_*.py):

  bin_path(name)      path of a built program; the directory is $ODRADEK_BIN,
                      else <repo>/build/bin.
  free_port()         a TCP port on 127.0.0.1 that was free a moment ago.
  Daemon              one process started in its own temporary directory, with
                      stdout+stderr captured to <dir>/<name>.log and its
                      NOTIFY_SOCKET pointed at a datagram socket we listen on,
                      so readiness is the daemon's own READY=1 (no sleeps).
                      .start() .wait_ready() .stop() -> exit code, .kill9(),
                      .restart(), .signal(sig), .log_text(), .notify_messages(),
                      .pid, .alive()
  CoordDaemon         odradek-coord with a zookeeper.properties written for it
                      (.host .port .data_dir .config_path)
  BrokerDaemon        odradek-broker with a server.properties written for it
                      (.host .port .bootstrap .log_dir .http_port .config_path)
  fixtures
    coord             a running CoordDaemon (function scope)
    broker            a running BrokerDaemon attached to a fresh `coord`
    coord_factory     make(extra={key: value}) -> started CoordDaemon
    broker_factory    make(coord=None, extra={...}) -> started BrokerDaemon
  python()            /usr/bin/python3 (Debian's modules import only there)

At teardown every daemon still running is stopped with SIGTERM and must exit
0 within its stop timeout, and its log must contain no sanitizer report: a
daemon that crashes, leaks under ASan or hangs on shutdown fails the test
that used it.  The daemon's temporary directory is removed after a test
that passed, and kept (its path printed) after one that failed;
ODRADEK_KEEP_TMP=1 keeps them all.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "ThreadSanitizer")


def bin_path(name):
    d = os.environ.get("ODRADEK_BIN") or os.path.join(ROOT, "build", "bin")
    p = os.path.join(d, name)
    if not os.path.exists(p):
        raise FileNotFoundError(f"{p} is not built (set ODRADEK_BIN?)")
    return p


def python():
    return "/usr/bin/python3"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(host, port, timeout=10.0):
    """Until a TCP connect to host:port succeeds; raises on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{host}:{port} not accepting after {timeout}s")
            time.sleep(0.02)


class NotifyListener:
    """A unix datagram socket playing systemd's side of sd_notify(3)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                self.messages.append(data.decode("utf-8", "replace"))
                self.cond.notify_all()

    def wait_for(self, line, timeout, start=0, alive=None):
        """Until some message at index >= start has `line` as one of its
        lines; returns its index.  alive() returning False aborts early."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.messages)):
                    if line in self.messages[i].split("\n"):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {line!r} on NOTIFY_SOCKET within {timeout}s")
                if alive is not None and not alive():
                    raise RuntimeError("process exited before sending " + line)
                self.cond.wait(min(left, 0.05))

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


class Daemon:
    """One program run in the background with captured output and readiness
    through NOTIFY_SOCKET.  argv[0] may be a bare program name (resolved
    with bin_path) or a path."""

    stop_timeout = 10.0
    ready_timeout = 15.0

    def __init__(self, name, argv, workdir=None, env=None, notify=True):
        self.name = name
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"odradek-{name}-")
        os.makedirs(self.workdir, exist_ok=True)
        if os.sep not in argv[0]:
            argv = [bin_path(argv[0])] + list(argv[1:])
        self.argv = list(argv)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.log_path = os.path.join(self.workdir, f"{name}.log")
        self.notify = None
        if notify:
            # sun_path is 108 bytes: keep the socket path short
            self._nsdir = tempfile.mkdtemp(prefix="ns", dir="/tmp")
            self.notify = NotifyListener(os.path.join(self._nsdir, "n"))
            self.env["NOTIFY_SOCKET"] = self.notify.path
        self.proc = None
        self.expect_exit = None  # tests that kill on purpose set this
        self._notify_mark = 0

    # -- lifecycle -----------------------------------------------------
    def start(self, wait=True):
        assert self.proc is None or self.proc.poll() is not None
        self._log = open(self.log_path, "ab")
        if self.notify is not None:
            self._notify_mark = len(self.notify.messages)
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.argv, cwd=self.workdir, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        timeout = timeout or self.ready_timeout
        if self.notify is None:
            return
        try:
            self.notify.wait_for("READY=1", timeout, start=self._notify_mark,
                                 alive=self.alive)
        except (TimeoutError, RuntimeError) as e:
            raise RuntimeError(f"{self.name} not ready: {e}\n--- log ---\n"
                               + self.log_text()[-4000:]) from None
        self.ready_at = time.monotonic()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=None):
        """SIGTERM and wait; returns the exit code (negative = signal).
        A process that does not exit in time is SIGKILLed and the test fails."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout or self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not stop within "
                                     f"{timeout or self.stop_timeout}s of SIGTERM")
        self._log.close()
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def restart(self, wait=True):
        if self.alive():
            rc = self.stop()
            assert rc == 0, f"{self.name} exited {rc} on SIGTERM"
        return self.start(wait=wait)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def notify_messages(self):
        return list(self.notify.messages) if self.notify else []

    def assert_clean(self):
        text = self.log_text()
        for m in SANITIZER_MARKERS:
            assert m not in text, f"{self.name}: sanitizer report in log:\n{text[-6000:]}"

    def remove_workdir(self):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def cleanup(self):
        """Teardown: stop if running (must exit 0), check for sanitizer reports."""
        try:
            if self.alive():
                rc = self.stop()
                if self.expect_exit is None:
                    assert rc == 0, (f"{self.name} exited {rc} on SIGTERM\n"
                                     + self.log_text()[-4000:])
            self.assert_clean()
        finally:
            if self.notify is not None:
                self.notify.close()
                shutil.rmtree(self._nsdir, ignore_errors=True)


def write_properties(path, props):
    with open(path, "w") as f:
        for k, v in props.items():
            f.write(f"{k}={v}\n")


class CoordDaemon(Daemon):
    def __init__(self, extra=None, workdir=None, env=None, port=None):
        workdir = workdir or tempfile.mkdtemp(prefix="odradek-coord-")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "zookeeper.properties")
        self.props = {
            "dataDir": self.data_dir,
            "clientPort": self.port,
            "clientPortAddress": self.host,
            "maxClientCnxns": 0,
            "4lw.commands.whitelist": "*",
        }
        self.props.update(extra or {})
        write_properties(self.config_path, self.props)
        super().__init__("coord", ["odradek-coord", self.config_path],
                         workdir=workdir, env=env)

    @property
    def connect(self):
        return f"{self.host}:{self.port}"


class BrokerDaemon(Daemon):
    def __init__(self, zk_connect, extra=None, workdir=None, env=None, port=None):
        workdir = workdir or tempfile.mkdtemp(prefix="odradek-broker-")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.http_port = free_port()
        self.log_dir = os.path.join(workdir, "kafka-logs")
        self.config_path = os.path.join(workdir, "server.properties")
        self.props = {
            "broker.id": 0,
            "listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "log.dirs": self.log_dir,
            "zookeeper.connect": zk_connect,
            "http.listeners": f"{self.host}:{self.http_port}",
            "offsets.topic.num.partitions": 4,
        }
        self.props.update(extra or {})
        write_properties(self.config_path, self.props)
        super().__init__("broker", ["odradek-broker", self.config_path],
                         workdir=workdir, env=env)

    @property
    def bootstrap(self):
        return f"{self.host}:{self.port}"


def api_json(broker, path, method="GET", body=None, headers=None, raw=None):
    """One request to a broker's HTTP API: body (JSON-encoded, with its
    content type) or raw bytes; returns (status, decoded JSON or None)."""
    import json
    import urllib.error
    import urllib.request
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(f"http://127.0.0.1:{broker.http_port}{path}",
                                 method=method, data=data, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


UI_DIR = os.path.join(ROOT, "tests", "integration", "ui")


@pytest.fixture
def ui_env():
    """Guard of the browser tests: Debian's Chromium, node and playwright-core
    (npm, tests/integration/ui).  Missing under CI is a failure, elsewhere a
    skip."""
    if not (os.path.exists("/usr/bin/chromium") and shutil.which("node")
            and os.path.isdir(os.path.join(UI_DIR, "node_modules", "playwright-core"))):
        if os.environ.get("CI"):
            pytest.fail("chromium, node or playwright-core missing (scripts/test installs them)")
        pytest.skip("chromium/node/playwright-core not installed")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, so fixtures can tell
    at teardown whether the test passed."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _test_passed(request):
    rep = getattr(request.node, "rep_call", None)
    return rep is not None and rep.passed


def _finish(request, made):
    """Teardown shared by the factories: clean up each daemon (latest
    first), then remove the temp dirs if everything passed."""
    errors = []
    for d in reversed(made):
        try:
            d.cleanup()
        except AssertionError as e:
            errors.append(str(e))
    if not errors and _test_passed(request) and not os.environ.get("ODRADEK_KEEP_TMP"):
        for d in made:
            d.remove_workdir()
    elif made:
        print("kept for inspection: " + " ".join(d.workdir for d in made))
    assert not errors, "\n".join(errors)


@pytest.fixture
def coord_factory(request):
    made = []

    def make(extra=None, **kw):
        d = CoordDaemon(extra=extra, **kw)
        made.append(d)
        return d.start()

    yield make
    _finish(request, made)


@pytest.fixture
def coord(coord_factory):
    return coord_factory()


@pytest.fixture
def broker_factory(request, coord_factory):
    made = []

    def make(coord=None, extra=None, **kw):
        if coord is None:
            coord = coord_factory()
        d = BrokerDaemon(coord.connect, extra=extra, **kw)
        d.coord = coord
        made.append(d)
        return d.start()

    yield make
    _finish(request, made)  # brokers stop before their coord


@pytest.fixture
def broker(broker_factory):
    return broker_factory()
