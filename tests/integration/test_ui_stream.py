"""Live tail and search pages in headless Chromium (Debian's), driven by
playwright-core (tests/integration/ui/stream.mjs): a record produced by
kcat appears in the live tail; pause and resume miss nothing; a search
finds a record and a bounded one resumes; a slow search is cancelled and
the broker stops it.  Screenshots go to $ODRADEK_SCREENSHOTS (default: the
test's tmp dir)."""
import os
import subprocess

from conftest import UI_DIR as UI


def test_ui_tail_and_search(ui_env, broker, tmp_path):
    kcat = ["kcat", "-P", "-b", broker.bootstrap]
    subprocess.run(kcat + ["-t", "ui-live", "-K", ":"], input="k0:first\n", text=True,
                   check=True, timeout=60)
    big = "\n".join(f"{i:08d}" + "z" * 600 for i in range(40000)) + "\n"
    subprocess.run(kcat + ["-t", "ui-big"], input=big, text=True, check=True, timeout=120)
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    r = subprocess.run(["node", os.path.join(UI, "stream.mjs"),
                        f"http://127.0.0.1:{broker.http_port}", "ui-live", "ui-big",
                        broker.bootstrap, shots],
                       capture_output=True, text=True, timeout=180)
    print(r.stdout)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
    for name in ("10-tail", "11-tail-paused", "12-search", "13-search-cancelled",
                 "14-tail-dark"):
        assert os.path.getsize(os.path.join(shots, name + ".png")) > 5000
