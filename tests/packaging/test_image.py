"""The container image, built by scripts/build-image (buildah, docker
format) and run with podman (runc): metadata (non-root numeric user, ports,
volume, stop signal, HEALTHCHECK), healthy within the start period, PID 1 is
odradek-supervisor running as the non-root user, kcat from the host through
the published port, no zombies after children crash, `podman stop` under
5 s, data kept in the volume across containers, and the default advertised
listener working for `-p 9092:9092`."""
import json
import os
import socket
import time
import uuid

import pytest

from conftest import ROOT, run, wait_for

pytestmark = pytest.mark.slow
RUN_OPTS = ["--runtime", "runc", "--network", "slirp4netns",
            "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def podman():
    if os.geteuid() != 0:
        pytest.skip("needs root (buildah, podman)")
    env = dict(os.environ, ODRADEK_SKIP_DEPS="1")
    image = run([os.path.join(ROOT, "scripts/build-image")], timeout=1200,
                env=env).stdout.strip().splitlines()[-1]
    opts = run([os.path.join(ROOT, "scripts/build-image"), "--storage-opts"]).stdout.split()
    made = []

    def pm(*args, check=True, timeout=120):
        return run(["podman", *opts, *args], check=check, timeout=timeout)

    def start(name, port, *extra, env_adv=True, host_port=None):
        args = ["run", "-d", "--name", name, *RUN_OPTS,
                "-p", f"127.0.0.1:{host_port or port}:9092"]
        if env_adv:
            args += ["-e", f"ODRADEK_BROKER_ADVERTISED_LISTENERS=PLAINTEXT://127.0.0.1:{port}"]
        made.append(name)
        pm(*args, *extra, image)
        return name

    pm.image, pm.start = image, start
    yield pm
    for n in made:
        pm("rm", "-f", "-t", "1", n, check=False)
    pm("volume", "prune", "-f", check=False)


def inspect(pm, what):
    return json.loads(pm("inspect", what).stdout)[0]


def healthy(pm, name):
    return pm("healthcheck", "run", name, check=False).returncode == 0


def diag(pm, name):
    return pm("logs", "--tail", "60", name, check=False).stdout


def test_image_metadata(podman):
    img = json.loads(podman("image", "inspect", podman.image).stdout)[0]
    cfg = img["Config"]
    assert cfg["User"] == "10001:10001"
    assert set(cfg["ExposedPorts"]) == {"2181/tcp", "9092/tcp", "8888/tcp"}
    assert "/var/lib/odradek" in cfg["Volumes"]
    assert cfg["StopSignal"] in ("SIGTERM", "15")
    assert img["Healthcheck"]["Test"] == ["CMD", "/usr/bin/odradek", "ctl", "status"]
    assert cfg["Entrypoint"][0] == "/usr/sbin/odradek-supervisor"
    assert "--log-stdout" in cfg["Entrypoint"]


@pytest.fixture(scope="module")
def box(podman):
    port = free_port()
    vol = "odradek-test-" + uuid.uuid4().hex[:8]
    name = podman.start("odradek-test-" + uuid.uuid4().hex[:8], port,
                        "-v", f"{vol}:/var/lib/odradek")
    podman.port, podman.vol, podman.name = port, vol, name
    t0 = time.monotonic()
    try:
        wait_for(lambda: healthy(podman, name), 60, "healthy (start period 60 s)", 0.5)
    except AssertionError as e:
        raise AssertionError(str(e) + "\n" + diag(podman, name))
    print(f"healthy after {time.monotonic() - t0:.1f}s")
    return podman


def test_healthy_nonroot_pid1(box):
    top = box("top", box.name, "user", "pid", "comm").stdout.splitlines()[1:]
    rows = [l.split() for l in top]
    assert any(r[1] == "1" and r[2].startswith("odradek-super") for r in rows), top
    assert all(r[0] in ("10001", "odradek") for r in rows), top
    assert box("exec", box.name, "id", "-u").stdout.strip() == "10001"


def kcat(port, *args, stdin=None, timeout=30):
    return run(["kcat", "-b", f"127.0.0.1:{port}", *args], input=stdin, timeout=timeout)


def test_kcat_from_host(box):
    kcat(box.port, "-P", "-t", "img-topic", stdin="from-host-1\nfrom-host-2\n")
    out = kcat(box.port, "-C", "-t", "img-topic", "-o", "beginning", "-e", "-q").stdout
    assert out.split() == ["from-host-1", "from-host-2"], out


def zombies(pm, name):
    out = pm("exec", name, "sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null", check=False).stdout
    return [l for l in out.splitlines() if l.rsplit(")", 1)[-1].split()[:1] == ["Z"]]


def test_no_zombies_after_crashes(box):
    for _ in range(3):
        pid = box("exec", box.name, "sh", "-c",
                  "for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = odradek-broker ] && "
                  "echo ${p#/proc/}; done; true").stdout.split()
        assert len(pid) == 1, pid
        box("exec", box.name, "sh", "-c", f"kill -SEGV {pid[0]}")
        wait_for(lambda: healthy(box, box.name), 60, "healthy after a broker crash", 0.5)
    assert zombies(box, box.name) == []


def test_stop_fast_and_data_persists(box):
    t0 = time.monotonic()
    box("stop", "-t", "10", box.name, timeout=30)
    took = time.monotonic() - t0
    print(f"podman stop took {took:.2f}s")
    st = inspect(box, box.name)["State"]
    assert st["ExitCode"] == 0, st
    assert took < 5, took
    # A new container on the same volume serves the old messages.
    port = free_port()
    name2 = box.start("odradek-test2-" + uuid.uuid4().hex[:8], port,
                      "-v", f"{box.vol}:/var/lib/odradek")
    wait_for(lambda: healthy(box, name2), 60, "second container healthy", 0.5)
    out = kcat(port, "-C", "-t", "img-topic", "-o", "beginning", "-e", "-q").stdout
    assert out.split() == ["from-host-1", "from-host-2"], out
    box("rm", "-f", "-t", "10", name2)


def test_default_advertised_listener(podman):
    # `docker run -p 9092:9092`: a client on the host bootstraps from
    # localhost:9092 and is sent back to localhost:9092.
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 9092)) == 0:
            pytest.skip("port 9092 is in use on this machine")
    name = podman.start("odradek-test3-" + uuid.uuid4().hex[:8], 9092, env_adv=False)
    wait_for(lambda: healthy(podman, name), 60, "healthy", 0.5)
    run(["kcat", "-b", "localhost:9092", "-P", "-t", "dflt"], input="default-ok\n", timeout=30)
    out = run(["kcat", "-b", "localhost:9092", "-C", "-t", "dflt", "-o", "beginning",
               "-e", "-q"], timeout=30).stdout
    assert "default-ok" in out.split()
    md = run(["kcat", "-b", "localhost:9092", "-L"], timeout=30).stdout
    assert "localhost:9092" in md, md
    podman("rm", "-f", "-t", "10", name)
