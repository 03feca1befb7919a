"""The .deb itself: lintian, gzip members, static binaries, contents,
conffiles, FHS configuration, maintainer scripts that Ubuntu 14.04 can run."""
import glob
import os
import re
import subprocess

import pytest

from conftest import ROOT, run

DAEMONS = ("usr/sbin/odradek-coord", "usr/sbin/odradek-broker",
           "usr/sbin/odradek-supervisor")
PROGRAMS = DAEMONS + ("usr/bin/odradek",)


def test_lintian_clean(deb):
    changes = glob.glob(os.path.join(os.path.dirname(deb), "odradek_*.changes"))
    target = changes[0] if changes else deb
    r = run(["lintian", "-I", "-E", "--pedantic", "--fail-on", "error,warning",
             target],
            check=False, timeout=300)
    tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", l)]
    errors = [l for l in tags if l[0] in "EW"]
    assert r.returncode == 0 and not errors, r.stdout + r.stderr


def test_members_are_gzip(deb):
    # Ubuntu 14.04's dpkg 1.17 rejects control.tar.xz / data.tar.xz.
    members = run(["ar", "t", deb]).stdout.split()
    assert members == ["debian-binary", "control.tar.gz", "data.tar.gz"], members
    info = run(["dpkg-deb", "--info", deb]).stdout
    assert "new Debian package, version 2.0" in info


@pytest.mark.parametrize("prog", PROGRAMS)
def test_binary_static_no_new_glibc(deb_tree, prog):
    path = os.path.join(deb_tree, prog)
    dyn = run(["readelf", "-d", path]).stdout
    assert "NEEDED" not in dyn, f"{prog} needs shared libraries:\n{dyn}"
    assert not run(["readelf", "-l", path]).stdout.count("INTERP"), \
        f"{prog} has a program interpreter (dynamic)"
    # Static: no versioned symbol requirements at all; if there were any,
    # none may be newer than GLIBC_2.19 (Ubuntu 14.04).
    vers = run(["objdump", "-T", path], check=False).stdout
    too_new = [v for v in re.findall(r"GLIBC_(\d+)\.(\d+)", vers)
               if (int(v[0]), int(v[1])) > (2, 19)]
    assert not too_new, f"{prog} needs glibc {too_new}"
    # It runs (here, where glibc is 2.36; nothing is loaded from the system).
    r = run([path, "--version"], check=False, timeout=10)
    assert r.returncode == 0 and "0." in (r.stdout + r.stderr), r


def test_contents(deb_tree):
    want = list(PROGRAMS) + [
        "etc/odradek/odradek.conf", "etc/odradek/server.properties",
        "etc/odradek/zookeeper.properties", "etc/init.d/odradek",
        "etc/default/odradek", "etc/logrotate.d/odradek",
        "lib/systemd/system/odradek.service",
        "lib/systemd/system/odradek-coord.service",
        "lib/systemd/system/odradek-broker.service",
        "usr/lib/tmpfiles.d/odradek.conf",
        "usr/share/doc/odradek/copyright", "usr/share/doc/odradek/changelog.gz",
        "usr/share/man/man1/odradek.1.gz", "usr/share/man/man8/odradek-coord.8.gz",
        "usr/share/man/man8/odradek-broker.8.gz",
        "usr/share/man/man8/odradek-supervisor.8.gz",
        "usr/share/bash-completion/completions/odradek",
    ]
    missing = [p for p in want if not os.path.exists(os.path.join(deb_tree, p))]
    assert not missing, missing
    for p in DAEMONS:
        assert os.access(os.path.join(deb_tree, p), os.X_OK)


def test_conffiles(deb_control):
    with open(os.path.join(deb_control, "conffiles")) as f:
        conffiles = set(f.read().split())
    for p in ("/etc/odradek/odradek.conf", "/etc/odradek/server.properties",
              "/etc/odradek/zookeeper.properties", "/etc/init.d/odradek",
              "/etc/default/odradek", "/etc/logrotate.d/odradek"):
        assert p in conffiles, conffiles


def _props(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and line[0] not in "#!" and "=" in line:
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def test_fhs_configuration(deb_tree):
    etc = os.path.join(deb_tree, "etc/odradek")
    assert _props(os.path.join(etc, "server.properties"))["log.dirs"] == \
        "/var/lib/odradek/kafka-logs"
    assert _props(os.path.join(etc, "zookeeper.properties"))["dataDir"] == \
        "/var/lib/odradek/coord"
    with open(os.path.join(etc, "odradek.conf")) as f:
        conf = f.read()
    settings = [l for l in conf.splitlines() if l.strip() and l.strip()[0] not in ";#"]
    cmds = [l for l in settings if l.replace(" ", "").startswith("command=")]
    assert any("/usr/sbin/odradek-coord /etc/odradek/zookeeper.properties" in c for c in cmds), cmds
    assert any("/usr/sbin/odradek-broker /etc/odradek/server.properties" in c for c in cmds), cmds
    for l in settings:
        assert "/tmp/" not in l and "%(here)s" not in l and "build/" not in l, l
    # Everything else is the default config's, unchanged (no fork).
    for name in ("server.properties", "zookeeper.properties"):
        with open(os.path.join(ROOT, "config", name)) as f:
            src = f.read().splitlines()
        with open(os.path.join(etc, name)) as f:
            dst = f.read().splitlines()
        assert len(src) == len(dst)
        changed = [(a, b) for a, b in zip(src, dst) if a != b]
        assert 1 <= len(changed) <= 2, changed


def test_fhs_config_refuses_unknown_paths(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for n in ("server.properties", "zookeeper.properties"):
        (src / n).write_text(open(os.path.join(ROOT, "config", n)).read())
    (src / "odradek.conf").write_text(
        "[program:x]\ncommand=./build/bin/something-else --data /tmp/x\n")
    r = run([os.path.join(ROOT, "packaging", "fhs-config"), str(src),
             str(tmp_path / "out")], check=False)
    assert r.returncode != 0 and "not FHS paths" in r.stderr, r


def test_dependencies_installable_on_trusty(deb):
    # Ubuntu 14.04 has init-system-helpers 1.14 and no libuv1/libinih: the
    # package may depend on nothing newer than what 14.04 has.
    fields = run(["dpkg-deb", "-f", deb, "Depends", "Pre-Depends"]).stdout
    deps = re.findall(r"([a-z0-9.+-]+)(?:\s*\(([^)]*)\))?", fields.split(":", 1)[-1]
                      if ":" in fields else fields)
    names = {n for n, _ in deps}
    assert names <= {"adduser"}, fields
    assert "init-system-helpers" not in fields


def test_maintainer_scripts_are_posix(deb_control):
    for s in ("preinst", "postinst", "prerm", "postrm"):
        p = os.path.join(deb_control, s)
        if os.path.exists(p):
            run(["sh", "-n", p])
            r = run(["checkbashisms", p], check=False)
            assert r.returncode == 0, r.stdout + r.stderr
    run(["sh", "-n", os.path.join(ROOT, "packaging/debian/odradek.init")])
    r = run(["checkbashisms", os.path.join(ROOT, "packaging/debian/odradek.init")], check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_manpages_render(deb_tree):
    pages = glob.glob(os.path.join(deb_tree, "usr/share/man/man*/*.gz"))
    # A page for every program (the CLI's subcommand pages come from man/).
    names = {os.path.basename(p) for p in pages}
    assert {"odradek.1.gz", "odradek-coord.8.gz", "odradek-broker.8.gz",
            "odradek-supervisor.8.gz"} <= names, names
    assert len(pages) == 3 + len(glob.glob(os.path.join(ROOT, "man", "*.1"))), names
    for p in pages:
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", p],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        assert r.returncode == 0 and not r.stderr.strip(), (p, r.stderr)
