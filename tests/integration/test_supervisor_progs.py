"""odradek-supervisor with small test programs (tests/integration/sv_progs):
crash loops, hangs, slow starters, grandchildren, SIGTERM-ignorers, exit 78,
1000 crashes, notify towards its manager, reload, stale children, logs and
the control socket."""
import os
import re
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import bin_path, free_port
from sv_fixtures import (Supervisor, cc_prog, fd_count, pids_with_marker,  # noqa: F401
                         proc_children, proc_stat, supervisor_factory, wait_until,
                         zombies_of)

PY = "/usr/bin/python3"

HEAD = """[supervisor]
control_socket = {sock}
state_file = {dir}/sv.state
"""


def test_crash_loop_backs_off_with_jitter_then_escalates(supervisor_factory):
    sv = supervisor_factory(HEAD + """
restart_intensity = 1000
[program:crash]
command = /bin/sh -c 'sleep 0.05; exit 3'
startsecs = 0
backoff_base = 0.05
backoff_cap = 10
restart_intensity = 6
restart_period = 60
""", wait=False)
    sv.expect_exit = 1
    sv.proc.wait(30)
    assert sv.proc.returncode == 1, sv.log_text()[-3000:]
    log = sv.log_text()
    rows = [(int(d), int(n), int(c)) for d, n, c in re.findall(
        r"crash: restart in (\d+) ms \(attempt (\d+), ceiling (\d+) ms\)", log)]
    assert len(rows) == 6, log[-3000:]
    # ceilings double from the base; each delay is drawn in [0, ceiling]
    assert [c for _, _, c in rows] == [50, 100, 200, 400, 800, 1600]
    assert [n for _, n, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert all(0 <= d <= c for d, _, c in rows)
    # full jitter: not simply the ceiling every time
    assert sum(d for d, _, _ in rows) < sum(c for _, _, c in rows)
    # the gaps between spawns grow with the delays (not linear 1-2-3 s)
    assert "more than 6 restarts in 60 s: escalating" in log
    assert "stopping all programs in order" in log
    assert len(re.findall(r"crash: spawned pid", log)) == 7


def test_exit_78_is_not_restarted(supervisor_factory):
    sv = supervisor_factory(HEAD + """
[program:badconf]
command = /bin/sh -c 'echo bad config; exit 78'
backoff_base = 0.01
[program:other]
command = /bin/sleep 1000
startsecs = 0.1
""", wait=False)
    sv.wait_log(r"badconf: .* -> FATAL")
    time.sleep(1.0)  # a restart would come after 10 ms of backoff
    log = sv.log_text()
    assert len(re.findall(r"badconf: spawned pid", log)) == 1, log
    assert "exit code 78 (configuration error): not restarted" in log
    assert sv.alive()
    assert sv.prog("badconf")["state"] == "FATAL"
    assert sv.prog("badconf")["last_exit"] == 78
    # not every program is READY: status exits 3
    r = sv.ctl("status")
    assert r.returncode == 3 and "FATAL" in r.stdout, r
    # an operator's start runs it again (once)
    r = sv.ctl("--wait", "0", "start", "badconf")
    assert r.returncode == 0, r
    wait_until(lambda: len(re.findall(r"badconf: spawned pid", sv.log_text())) == 2, 5)


def test_slow_starter_gates_its_dependants(supervisor_factory):
    port = free_port()
    sv = supervisor_factory(HEAD + f"""
[program:slow]
command = {PY} {{progs}}/notify_ready.py 1.0
ready = notify
[program:probed]
command = {PY} {{progs}}/ruok_server.py {port} 0.5
requires = slow
ready = zk-ruok 127.0.0.1:{port}
ready_interval = 0.05
[program:last]
command = /bin/sleep 1000
requires = slow, probed
startsecs = 0
""", wait=False)
    # while slow is starting, its dependants are not started
    time.sleep(0.5)
    st = {p["name"]: p["state"] for p in sv.status()["programs"]}
    assert st["slow"] in ("STARTING", "RUNNING"), st
    assert st["probed"] == "STOPPED" and st["last"] == "STOPPED", st
    sv.wait_ready(10)
    log = sv.log_text()
    order = [m.group(1) for m in re.finditer(r"(\w+): STOPPED -> STARTING", log)]
    assert order == ["slow", "probed", "last"], log
    assert re.search(r"slow: (STARTING|RUNNING) -> READY", log).start() < \
        log.index("probed: STOPPED -> STARTING")
    assert log.index("probed: ready (imok)") < log.index("last: STOPPED -> STARTING")
    # the STATUS= a program sends shows in ctl status
    assert sv.prog("slow")["status"] == "serving"
    r = sv.ctl("status")
    assert r.returncode == 0, r


def test_hang_is_detected_by_liveness_and_restarted(supervisor_factory):
    port = free_port()
    sv = supervisor_factory(HEAD + f"""
[program:hang]
command = {PY} {{progs}}/ruok_server.py {port}
ready = zk-ruok 127.0.0.1:{port}
ready_interval = 0.05
live = zk-srvr 127.0.0.1:{port}
live_interval = 0.2
live_timeout = 0.3
live_failures = 2
backoff_base = 0.05
stopwaitsecs = 2
""")
    pid = sv.prog("hang")["pid"]
    os.kill(pid, signal.SIGSTOP)  # hangs: the port still accepts, nothing answers
    sv.wait_log(r"hang: READY -> UNHEALTHY \(live-fail\)", 10)
    sv.wait_log(r"hang: UNHEALTHY -> STOPPING \(live-dead\)", 10)
    new = wait_until(lambda: (p := sv.prog("hang"))["state"] == "READY"
                     and p["pid"] != pid and p, 15, "restarted and ready")
    assert new["restarts"] == 1
    assert proc_stat(pid) is None or proc_stat(pid)[0] == "Z"


def test_grandchildren_do_not_survive_stop(supervisor_factory):
    marker = f"{70000 + os.getpid() % 1000}"
    sv = supervisor_factory(HEAD + f"""
[program:forker]
command = /bin/sh -c 'sleep {marker}1 & sleep {marker}2 & sh -c "sleep {marker}3" & wait'
startsecs = 0.2
""")
    wait_until(lambda: len(pids_with_marker(f"sleep {marker}")) == 3, 5, "3 grandchildren")
    r = sv.ctl("stop", "forker")
    assert r.returncode == 0, r
    wait_until(lambda: not pids_with_marker(f"sleep {marker}"), 3, "grandchildren gone")
    assert sv.prog("forker")["state"] == "STOPPED"
    # and started again, they are back, and go with the supervisor's stop
    assert sv.ctl("start", "forker").returncode == 0
    wait_until(lambda: len(pids_with_marker(f"sleep {marker}")) == 3, 5)
    assert sv.stop() == 0
    assert not pids_with_marker(f"sleep {marker}")


def test_sigterm_ignoring_child_is_killed_after_stopwaitsecs(supervisor_factory):
    prog = cc_prog("ignore_term")
    sv = supervisor_factory(HEAD + f"""
[program:stubborn]
command = {prog}
startsecs = 0.1
stopwaitsecs = 0.7
""")
    pid = sv.prog("stubborn")["pid"]
    t0 = time.monotonic()
    r = sv.ctl("stop", "stubborn")
    took = time.monotonic() - t0
    assert r.returncode == 0, r
    assert 0.6 <= took < 3.0, took
    log = sv.log_text()
    assert "stubborn: still running 700 ms after SIGTERM: SIGKILL" in log
    assert f"stubborn: pid {pid} killed by signal 9" in log


def test_1000_crashes_leave_no_zombie_and_no_fd_leak(supervisor_factory):
    sv = supervisor_factory(HEAD + """
restart_intensity = 100000
[program:ok]
command = /bin/sleep 1000
startsecs = 0
[program:crash]
command = /bin/false
startsecs = 0
autorestart = true
backoff_base = 0
backoff_cap = 0
restart_intensity = 100000
""", wait=False)
    wait_until(lambda: sv.prog("crash")["restarts"] >= 20, 20, "20 restarts")
    fds_early = fd_count(sv.pid)
    t0 = time.monotonic()
    wait_until(lambda: sv.prog("crash")["restarts"] >= 1000, 120, "1000 restarts",
               interval=0.2)
    took = time.monotonic() - t0
    print(f"980 crash/restart cycles in {took:.2f}s")
    sv.ctl("stop", "crash")
    sv.wait_state("crash", "STOPPED")
    time.sleep(0.2)
    assert zombies_of(sv.pid) == []
    assert fd_count(sv.pid) <= fds_early, (fds_early, fd_count(sv.pid))
    # only the one sleep is still a child
    kids = proc_children(sv.pid)
    assert len(kids) == 1, kids
    assert sv.prog("ok")["state"] == "READY"


def test_notify_towards_manager_ready_after_all_status_watchdog(supervisor_factory):
    sv = supervisor_factory(HEAD + f"""
[program:first]
command = {PY} {{progs}}/notify_ready.py 0.4
ready = notify
[program:second]
command = {PY} {{progs}}/notify_ready.py 0.4
requires = first
ready = notify
""", wait=False, env={"WATCHDOG_USEC": "300000"})
    sv.wait_ready(10)
    msgs = sv.notify_messages()
    ready_at = next(i for i, m in enumerate(msgs) if "READY=1" in m.split("\n"))
    # READY=1 only once both are: its STATUS says so, and earlier ones did not
    assert "STATUS=first:READY second:READY" in msgs[ready_at].split("\n"), msgs
    before = [m for m in msgs[:ready_at] if m.startswith("STATUS=")]
    assert any("first:STARTING" in m for m in before), msgs
    assert any("first:READY second:STARTING" in m for m in before), msgs
    assert sv.log_text().index("second: STARTING -> READY") < \
        sv.log_text().index("all programs ready")
    # WATCHDOG=1 every ~150 ms while the loop is healthy
    n0 = sum(1 for m in sv.notify_messages() if m == "WATCHDOG=1")
    time.sleep(1.0)
    n1 = sum(1 for m in sv.notify_messages() if m == "WATCHDOG=1")
    assert 3 <= n1 - n0 <= 10, (n0, n1)
    assert sv.stop() == 0
    assert any(m.startswith("STOPPING=1") for m in sv.notify_messages())


def test_sighup_reload_applies_only_changes(supervisor_factory):
    conf = HEAD + """
[program:keep]
command = /bin/sleep 1001
startsecs = 0.1
[program:change]
command = /bin/sleep 1002
startsecs = 0.1
[program:drop]
command = /bin/sleep 1003
startsecs = 0.1
"""
    sv = supervisor_factory(conf)
    keep, change = sv.prog("keep")["pid"], sv.prog("change")["pid"]
    sv.write_conf(conf.replace("sleep 1002", "sleep 1012")
                  .replace("[program:drop]\ncommand = /bin/sleep 1003",
                           "[program:new]\ncommand = /bin/sleep 1004"))
    mark = len(sv.notify_messages())
    sv.signal(signal.SIGHUP)
    sv.notify.wait_for("RELOADING=1", 5, start=mark)
    sv.notify.wait_for("READY=1", 10, start=mark)
    names = {p["name"]: p for p in sv.status()["programs"]}
    assert set(names) == {"keep", "change", "new"}
    assert names["keep"]["pid"] == keep           # untouched
    assert names["change"]["pid"] != change       # restarted with the new command
    assert "sleep 1012" in open(f"/proc/{names['change']['pid']}/cmdline").read().replace("\0", " ")
    assert names["new"]["state"] == "READY"
    assert "reload: 1 added, 1 changed, 1 removed" in sv.log_text()
    # a broken file is refused and the running set is kept
    sv.write_conf(conf + "\n[program:broken]\nstartsecs = 1\n")
    r = sv.ctl("reload")
    assert r.returncode == 1 and "has no command" in r.stderr, r
    assert sv.prog("keep")["pid"] == keep


def test_stale_children_of_killed_supervisor_are_stopped(supervisor_factory, tmp_path):
    marker = f"{90000 + os.getpid() % 1000}"
    state = tmp_path / "shared.state"
    conf = f"""[supervisor]
control_socket = {{sock}}
state_file = {state}
[program:tree]
command = /bin/sh -c 'sleep {marker}1 & exec sleep {marker}2'
startsecs = 0.2
"""
    sv = supervisor_factory(conf)
    wait_until(lambda: len(pids_with_marker(f"sleep {marker}")) == 2, 5)
    child = sv.prog("tree")["pid"]
    sv.expect_exit = -9
    sv.kill9()
    # PR_SET_PDEATHSIG: the direct child goes within a second; its
    # grandchild (same group) is out of the kernel's reach
    wait_until(lambda: proc_stat(child) is None or proc_stat(child)[0] == "Z", 1.0,
               "direct child gone after kill -9 of the supervisor")
    wait_until(lambda: len(pids_with_marker(f"sleep {marker}")) == 1, 2)
    sv2 = supervisor_factory(conf.replace(f"sleep {marker}1 &", "true;"))
    assert "survived a previous supervisor: stopping it" in sv2.log_text()
    wait_until(lambda: not pids_with_marker(f"sleep {marker}1"), 3, "stale group gone")
    # a second supervisor on the same state file is refused
    sv3 = supervisor_factory(conf, wait=False)
    sv3.expect_exit = 1
    assert sv3.proc.wait(10) == 1
    assert "another odradek-supervisor is running" in sv3.log_text()
    assert sv2.alive()


def test_log_files_rotate_and_stdout_prefix(supervisor_factory):
    sv = supervisor_factory(HEAD + f"""
log_dir = {{dir}}/logs
[program:chatty]
command = {PY} {{progs}}/chatty.py 500
startsecs = 0.1
stdout_logfile_maxbytes = 20KB
stdout_logfile_backups = 2
[program:quiet]
command = {PY} {{progs}}/chatty.py 3
startsecs = 0.1
redirect_stderr = true
""", log_stdout=False)
    logs = os.path.join(sv.workdir, "logs")
    # two pipes are read in whatever order they become readable, so "done"
    # need not be in the last few KiB: ask for all that is kept
    wait_until(lambda: "done" in sv.ctl("tail", "chatty", 65536).stdout, 10, "chatty done")
    names = sorted(os.listdir(logs))
    assert "chatty.log" in names and "chatty.log.1" in names and "chatty.log.2" in names
    assert "chatty.log.3" not in names
    for n in names:
        assert os.path.getsize(os.path.join(logs, n)) <= 20 * 1024 + 65536  # one read may overshoot
    # stdout and stderr both captured; in order within each stream
    text = open(os.path.join(logs, "chatty.log")).read()
    assert "done" in text
    quiet = open(os.path.join(logs, "quiet.log")).read()
    assert "out 000002" in quiet and "err 000002" in quiet
    # logrotate: move the file away, reopen, new lines go to a new file
    os.rename(os.path.join(logs, "quiet.log"), os.path.join(logs, "quiet.old"))
    assert sv.ctl("reopen").returncode == 0
    assert sv.ctl("restart", "quiet").returncode == 0
    wait_until(lambda: os.path.exists(os.path.join(logs, "quiet.log")) and
               "done" in open(os.path.join(logs, "quiet.log")).read(), 10)


def test_log_stdout_prefixes_lines(supervisor_factory):
    sv = supervisor_factory(HEAD + f"""
[program:talker]
command = {PY} {{progs}}/chatty.py 2
startsecs = 0.1
""")
    sv.wait_log(r"^talker \| out 000001 x+$")
    sv.wait_log(r"^talker \| err 000001 y+$")
    sv.wait_log(r"^talker \| done$")


def test_ctl_round_trips(supervisor_factory):
    sv = supervisor_factory(HEAD + """
[program:a]
command = /bin/sh -c 'trap "echo got HUP" HUP; echo started; while :; do sleep 0.05; done'
startsecs = 0.1
[program:b]
command = /bin/sleep 1000
requires = a
startsecs = 0.1
""")
    mode = stat.S_IMODE(os.stat(sv.sock).st_mode)
    assert mode == 0o660, oct(mode)
    r = sv.ctl("status")
    assert r.returncode == 0, r
    assert re.search(r"^a\s+READY\s+pid \d+", r.stdout, re.M), r.stdout
    st = sv.status()
    assert st["ready"] is True and [p["name"] for p in st["programs"]] == ["a", "b"]
    pid = sv.prog("a")["pid"]
    r = sv.ctl("signal", "a", "HUP")
    assert r.returncode == 0 and f"sent SIGHUP to pid {pid}" in r.stdout, r
    wait_until(lambda: "got HUP" in sv.ctl("tail", "a").stdout, 5)
    r = sv.ctl("signal", "USR2", "b")  # supervisorctl's order
    assert r.returncode == 0 and "sent SIGUSR2" in r.stdout, r
    sv.wait_log(r"b: pid \d+ killed by signal 12")
    r = sv.ctl("restart", "a")
    assert r.returncode == 0 and "a: READY" in r.stdout, r
    assert sv.prog("a")["pid"] != pid
    r = sv.ctl("stop", "b")
    assert r.returncode == 0 and "b: STOPPED" in r.stdout, r
    assert sv.ctl("status").returncode == 3
    r = sv.ctl("start", "b")
    assert r.returncode == 0 and "b: READY" in r.stdout, r
    # errors
    r = sv.ctl("stop", "nope")
    assert r.returncode == 1 and "no such program" in r.stderr
    r = sv.ctl("signal", "a", "BOGUS")
    assert r.returncode == 1 and "bad signal" in r.stderr
    assert sv.ctl("frobnicate").returncode == 2
    r = subprocess.run([bin_path("odradek"), "ctl", "--socket", sv.workdir + "/none.sock",
                        "status"], capture_output=True, text=True)
    assert r.returncode == 4 and "none.sock" in r.stderr
    # the raw protocol: one line, an answer, then EOF; junk is refused
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sv.sock)
        s.sendall(b"x" * 5000)
        s.settimeout(5)
        try:
            assert s.recv(100) == b""
        except ConnectionResetError:
            pass  # closed with our junk unread: also a refusal
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sv.sock)
        s.sendall(b"status\n")
        s.settimeout(5)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"OK ready\n")
    r = subprocess.run([bin_path("odradek"), "help", "ctl"], capture_output=True, text=True)
    assert r.returncode == 0 and "status" in r.stdout


def test_control_socket_refuses_other_users(supervisor_factory):
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/setpriv"):
        pytest.skip("needs root and setpriv to act as another user")
    sv = supervisor_factory(HEAD + """
[program:a]
command = /bin/sleep 1000
startsecs = 0.1
""")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    os.chmod(sv.workdir, 0o755)  # the directory lets anyone reach the socket
    r = subprocess.run(as_nobody + [bin_path("odradek"), "ctl", "--socket", sv.sock,
                                    "status"], capture_output=True, text=True)
    assert r.returncode == 4 and "ermission denied" in r.stderr, r  # mode 0660
    os.chmod(sv.sock, 0o666)  # even with the mode loosened, SO_PEERCRED refuses
    r = subprocess.run(as_nobody + [bin_path("odradek"), "ctl", "--socket", sv.sock,
                                    "status"], capture_output=True, text=True)
    assert r.returncode != 0 and r.returncode != 3, r
    assert "refused peer uid 65534" in sv.log_text()
    # a member of the socket's group (here as a supplementary group) is let in
    gid = os.stat(sv.sock).st_gid
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", f"--groups={gid}",
                        bin_path("odradek"), "ctl", "--socket", sv.sock, "status"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r


def test_config_errors_exit_78(tmp_path):
    p = tmp_path / "bad.conf"
    p.write_text("[program:a]\ncommand = x\nstartsecs = soon\n")
    r = subprocess.run([bin_path("odradek-supervisor"), "-c", str(p)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 78
    assert f"{p}:3: startsecs: bad value 'soon'" in r.stderr
    r = subprocess.run([bin_path("odradek-supervisor"), "-c", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 78 and "no such file" in r.stderr.lower()


def test_sigterm_stops_in_reverse_order(supervisor_factory):
    sv = supervisor_factory(HEAD + f"""
[program:base]
command = {PY} {{progs}}/notify_ready.py 0
ready = notify
[program:mid]
command = /bin/sleep 1000
requires = base
startsecs = 0.1
[program:top]
command = {cc_prog("ignore_term")}
requires = mid
startsecs = 0.1
stopwaitsecs = 0.5
""")
    assert sv.stop() == 0
    log = sv.log_text()
    i_top = log.index("top: STOPPING -> STOPPED")
    i_mid_stop = log.index("mid: READY -> STOPPING")
    i_mid = log.index("mid: STOPPING -> STOPPED")
    i_base_stop = log.index("base: READY -> STOPPING")
    assert i_top < i_mid_stop < i_mid < i_base_stop, log[-3000:]


def test_pid1_in_pid_namespace(supervisor_factory):
    if os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"):
        pytest.skip("needs root and unshare")
    r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("unshare --pid not permitted here: " + r.stderr.decode())
    sv = supervisor_factory(HEAD + f"""
[program:orphans]
command = /bin/sh -c 'setsid sh -c "sleep 0.2" & setsid sh -c "sleep 0.3" & exec sleep 1000'
startsecs = 0.1
[program:svc]
command = {PY} {{progs}}/notify_ready.py 0.1
requires = orphans
ready = notify
""", argv_prefix=["/usr/bin/unshare", "--pid", "--fork", "--mount-proc"])
    assert "running as PID 1" in sv.log_text()
    inner = wait_until(lambda: proc_children(sv.pid), 5, "supervisor under unshare")[0]
    # the setsid'd grandchildren escape the group, exit, and are reaped by PID 1
    time.sleep(0.8)
    assert zombies_of(inner) == [], [proc_stat(p) for p in proc_children(inner)]
    # SIGTERM to PID 1 (delivered: we have handlers) -> ordered stop -> exit 0
    os.kill(inner, signal.SIGTERM)
    assert sv.proc.wait(10) == 0, sv.log_text()[-2000:]
    log = sv.log_text()
    assert log.index("svc: STOPPING -> STOPPED") < log.index("orphans: READY -> STOPPING")


def test_default_config_checks():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([bin_path("odradek-supervisor"), "--check", "-c",
                        os.path.join(root, "config", "odradek.conf")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "2 program(s)" in r.stdout, r


def test_user_rlimits_umask_environment_and_exec_probe(supervisor_factory, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    flag = tmp_path / "ready.flag"
    os.chmod(tmp_path, 0o777)
    sv = supervisor_factory(HEAD + f"""
[program:limited]
command = /bin/sh -c 'echo "uid=$(id -u) nofile=$(ulimit -n) umask=$(umask) foo=$FOO"; \
exec sleep 1000'
user = nobody
rlimit_nofile = 123
umask = 027
environment = FOO="bar baz",OTHER=1
startsecs = 0.1
[program:gated]
command = /bin/sleep 1000
ready = exec test -f {flag}
ready_interval = 0.05
""", wait=False)
    sv.wait_log(r"^limited \| uid=65534 nofile=123 umask=0027 foo=bar baz$")
    # readiness by an exec probe: not READY until the file exists
    time.sleep(0.5)
    assert sv.prog("gated")["state"] in ("STARTING", "RUNNING")
    flag.write_text("")
    sv.wait_ready(5)
    # PR_SET_PDEATHSIG was set after setuid (which clears it): a kill -9 of
    # the supervisor still takes the unprivileged child down
    child = sv.prog("limited")["pid"]
    with open(f"/proc/{child}/status") as f:
        assert re.search(r"^Uid:\s+65534", f.read(), re.M)
    sv.expect_exit = -9
    sv.kill9()
    wait_until(lambda: proc_stat(child) is None or proc_stat(child)[0] == "Z", 1.0,
               "unprivileged child gone after kill -9 of the supervisor")


@pytest.mark.parametrize("reset,ceilings", [("0.3", [50, 50, 50]), ("10", [50, 100, 200])])
def test_backoff_resets_after_being_healthy(supervisor_factory, reset, ceilings):
    sv = supervisor_factory(HEAD + f"""
[program:flaky]
command = /bin/sh -c 'sleep 0.5; exit 1'
startsecs = 0.05
backoff_base = 0.05
backoff_reset = {reset}
restart_intensity = 100
""", wait=False)
    sv.wait_log(r"flaky: restart in \d+ ms \(attempt \d+, ceiling \d+ ms\)(.|\n)*"
                r"flaky: restart in(.|\n)*flaky: restart in", 20)
    got = [int(c) for c in re.findall(r"flaky: restart in \d+ ms \(attempt \d+, ceiling (\d+) ms\)",
                                      sv.log_text())][:3]
    assert got == ceilings


def test_total_restart_intensity_escalates(supervisor_factory):
    sv = supervisor_factory("""[supervisor]
control_socket = {sock}
state_file = {dir}/sv.state
restart_intensity = 3
restart_period = 60
[program:one]
command = /bin/sh -c 'sleep 0.1; exit 1'
startsecs = 0
backoff_base = 0.01
restart_intensity = 100
[program:two]
command = /bin/sh -c 'sleep 0.1; exit 1'
startsecs = 0
backoff_base = 0.01
restart_intensity = 100
""", wait=False)
    sv.expect_exit = 1
    assert sv.proc.wait(20) == 1
    log = sv.log_text()
    assert "more than 3 restarts in total in 60 s: escalating" in log, log[-2000:]
    # neither program reached its own limit
    assert len(re.findall(r"(one|two): restart in", log)) == 3
