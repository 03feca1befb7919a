"""The systemd units, checked offline by systemd 252 inside a Debian 12 root
that has the package installed (no boot needed): `systemd-analyze verify`
with a gate on its output (it exits 0 on unknown keys), the
`systemd-analyze security` exposure score, and the spelling rules that keep
the units loadable by systemd 229 (Ubuntu 16.04)."""
import os
import re

import pytest

from conftest import ROOT, Root, run

UNITS = ("odradek.service", "odradek-coord.service", "odradek-broker.service")
# Anything systemd-analyze prints about a unit is a finding.
GATE = re.compile(r"Unknown|Failed|ignoring|[Ww]arning|not executable|"
                  r"is deprecated|Invalid|Missing")


@pytest.fixture(scope="module")
def root(deb):
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot)")
    r = Root(deb)
    yield r
    r.close()


def verify(root, *units):
    r = root.chroot("systemd-analyze verify --man=no " + " ".join(units) + " 2>&1",
                    check=False)
    return r.returncode, r.stdout


def test_verify_clean(root):
    rc, out = verify(root, *UNITS)
    assert rc == 0 and out.strip() == "", out
    assert not GATE.search(out)


def test_verify_gate_catches_unknown_keys(root):
    # The gate must fail on what verify only warns about (and exits 0 for).
    bad = root.path("/etc/systemd/system/odradek-bad.service")
    with open(root.path("/lib/systemd/system/odradek.service")) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace("[Service]", "[Service]\nStartLimitIntervalSec=60\n"
                             "Type=notify-reload\nRestartSteps=3\n", 1))
    try:
        rc, out = verify(root, "odradek-bad.service")
        assert rc == 0, "systemd-analyze's exit code alone would have caught it"
        assert GATE.search(out), out
    finally:
        os.unlink(bad)


def test_security_score(root):
    scores = {}
    for u in UNITS:
        r = root.chroot(f"systemd-analyze security --offline=true --no-pager {u}",
                        check=False)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        assert m, r.stdout + r.stderr
        scores[u] = float(m.group(1))
    print("systemd-analyze security:", scores)
    # 10 is an unhardened unit; below 2 is what systemd calls "OK".
    assert all(s <= 2.5 for s in scores.values()), scores


def unit_text(name):
    """The unit without its comment lines."""
    with open(os.path.join(ROOT, "systemd", name)) as f:
        return "".join(l for l in f if not l.lstrip().startswith(("#", ";")))


@pytest.mark.parametrize("unit", UNITS)
def test_portable_spelling(unit):
    text = unit_text(unit)
    sections = dict(re.findall(r"^\[(\w+)\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M))
    svc = sections["Service"]
    # 229 knows StartLimitInterval= (in [Service]); StartLimitIntervalSec= is 230+.
    assert "StartLimitIntervalSec" not in text
    assert re.search(r"^StartLimitInterval=\d+", svc, re.M)
    assert re.search(r"^StartLimitBurst=\d+", svc, re.M)
    # Type=notify-reload (253+) would fall back to simple on older systemd.
    assert re.search(r"^Type=notify$", svc, re.M)
    assert "RestartSteps" not in text and "StateDirectory" not in text
    assert re.search(r"^RestartPreventExitStatus=78$", svc, re.M)
    assert re.search(r"^Restart=on-failure$", svc, re.M)
    # ProtectSystem=strict is not understood by 229 and would be ignored
    # entirely; full is (214+).
    assert re.search(r"^ProtectSystem=full$", svc, re.M)


def test_bundle_unit_specifics():
    svc = unit_text("odradek.service")
    for line in ("KillMode=mixed", "ExecReload=/bin/kill -HUP $MAINPID",
                 "RuntimeDirectory=odradek", "User=odradek"):
        assert re.search("^" + re.escape(line) + "$", svc, re.M), line
    assert re.search(r"^WatchdogSec=\d+", svc, re.M)
    broker = unit_text("odradek-broker.service")
    assert re.search(r"^Requires=odradek-coord.service$", broker, re.M)
    assert re.search(r"^After=odradek-coord.service$", broker, re.M)
