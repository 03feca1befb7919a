"""The web UI in headless Chromium (Debian's), driven by playwright-core
(npm, tests/integration/ui): overview, topic, message browser with its
views and seek modes, theme and time-zone toggles, keyboard use.
Screenshots go to $ODRADEK_SCREENSHOTS (default: the test's tmp dir)."""
import json
import os
import subprocess

from conftest import UI_DIR as UI


def test_ui_walkthrough(ui_env, broker, tmp_path):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for i in range(120):
        p.send("ui-topic", key=f"key-{i}".encode(),
               value=json.dumps({"n": i, "text": f"message {i}"}).encode())
    p.flush()
    p.close()
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    r = subprocess.run(["node", os.path.join(UI, "ui_walkthrough.mjs"),
                        f"http://127.0.0.1:{broker.http_port}", "ui-topic", shots],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
    for name in ("01-overview", "02-topic", "03-message", "04-dark"):
        assert os.path.getsize(os.path.join(shots, name + ".png")) > 5000
