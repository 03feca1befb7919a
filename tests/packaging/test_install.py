"""install, remove, reinstall and purge the .deb on this machine with apt:
files, the odradek user and group, directory ownership, conffiles kept
across remove, everything gone after purge.  Nothing is started (the
package never starts the bundle at install time)."""
import grp
import os
import pwd
import stat

import pytest

from conftest import run

# Other jobs on the machine may hold the dpkg lock for a while: wait for it.
APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q",
       "-o", "DPkg::Lock::Timeout=180",
       "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]
OWNED_DIRS = ("/var/lib/odradek", "/var/lib/odradek/coord",
              "/var/lib/odradek/kafka-logs", "/var/log/odradek")
CONFFILES = ("/etc/odradek/odradek.conf", "/etc/odradek/server.properties",
             "/etc/odradek/zookeeper.properties", "/etc/init.d/odradek",
             "/etc/default/odradek", "/etc/logrotate.d/odradek")


def status():
    r = run(["dpkg-query", "-W", "-f", "${Status}", "odradek"], check=False)
    return r.stdout.strip() if r.returncode == 0 else "not-installed"


def user_exists():
    try:
        pwd.getpwnam("odradek")
        return True
    except KeyError:
        return False


def group_exists():
    try:
        grp.getgrnam("odradek")
        return True
    except KeyError:
        return False


@pytest.fixture
def clean_host():
    if os.geteuid() != 0:
        pytest.skip("needs root (apt-get install)")
    if status() != "not-installed":
        run(APT + ["purge", "odradek"], timeout=300)
    yield
    if status() != "not-installed":
        run(APT + ["purge", "odradek"], timeout=300, check=False)


def test_install_remove_purge(deb, clean_host):
    run(APT + ["install", os.path.abspath(deb)], timeout=300)
    assert status() == "install ok installed"

    # Programs and files.
    for p in ("/usr/sbin/odradek-coord", "/usr/sbin/odradek-broker",
              "/usr/sbin/odradek-supervisor", "/usr/bin/odradek"):
        assert os.access(p, os.X_OK), p
    assert run(["/usr/bin/odradek", "--version"], timeout=10).returncode == 0
    for p in CONFFILES:
        assert os.path.isfile(p), p

    # The system user and group, and what they own.
    u = pwd.getpwnam("odradek")
    g = grp.getgrnam("odradek")
    assert u.pw_uid < 1000 and u.pw_gid == g.gr_gid
    assert u.pw_dir == "/var/lib/odradek"
    assert u.pw_shell in ("/usr/sbin/nologin", "/bin/false")
    for d in OWNED_DIRS:
        st = os.stat(d)
        assert (st.st_uid, st.st_gid) == (u.pw_uid, g.gr_gid), d
        assert stat.S_IMODE(st.st_mode) == 0o750, (d, oct(st.st_mode))

    # Conffiles, as dpkg records them.
    recorded = run(["dpkg-query", "-W", "-f", "${Conffiles}", "odradek"]).stdout
    for p in CONFFILES:
        assert p + " " in recorded, recorded

    # odradek.service enabled, the standalone units not; init script linked.
    wants = "/etc/systemd/system/multi-user.target.wants"
    assert os.path.islink(os.path.join(wants, "odradek.service"))
    assert not os.path.exists(os.path.join(wants, "odradek-coord.service"))
    assert not os.path.exists(os.path.join(wants, "odradek-broker.service"))
    assert any(n.endswith("odradek") for n in os.listdir("/etc/rc2.d"))

    # logrotate accepts the configuration (su odradek odradek needs the user).
    r = run(["logrotate", "-d", "/etc/logrotate.d/odradek"], check=False)
    assert r.returncode == 0 and "error" not in (r.stdout + r.stderr).lower(), r

    # An administrator's edit and some data.
    with open("/etc/odradek/server.properties", "a") as f:
        f.write("\n# edited by test_install\n")
    with open("/var/lib/odradek/kafka-logs/marker", "w") as f:
        f.write("data")

    # remove: programs gone; configuration, data, logs and user kept.
    run(APT + ["remove", "odradek"], timeout=300)
    assert status() == "deinstall ok config-files"
    assert not os.path.exists("/usr/sbin/odradek-broker")
    assert "edited by test_install" in open("/etc/odradek/server.properties").read()
    assert open("/var/lib/odradek/kafka-logs/marker").read() == "data"
    assert os.path.isdir("/var/log/odradek")
    assert user_exists() and group_exists()

    # Reinstall keeps the edit and the data.
    run(APT + ["install", os.path.abspath(deb)], timeout=300)
    assert status() == "install ok installed"
    assert "edited by test_install" in open("/etc/odradek/server.properties").read()
    assert open("/var/lib/odradek/kafka-logs/marker").read() == "data"
    assert pwd.getpwnam("odradek").pw_uid == u.pw_uid

    # purge: everything goes, the user and group too.
    run(APT + ["purge", "odradek"], timeout=300)
    assert status() == "not-installed"
    for p in ("/etc/odradek", "/var/lib/odradek", "/var/log/odradek",
              "/etc/init.d/odradek", "/etc/default/odradek",
              os.path.join(wants, "odradek.service")):
        assert not os.path.lexists(p), p
    assert not any(n.endswith("odradek") for n in os.listdir("/etc/rc2.d"))
    assert not user_exists()
    assert not group_exists()
