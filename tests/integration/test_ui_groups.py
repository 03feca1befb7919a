"""The groups, produce and topic-admin pages in headless Chromium (Debian's),
driven by playwright-core (tests/integration/ui/groups.mjs): a group's lag,
an offset reset previewed then applied, a message produced from the form and
seen in the browser, a topic created, configured and deleted.  What the
pages did is checked again here with kafka-python and kcat.  Screenshots go
to $ODRADEK_SCREENSHOTS (default: the test's tmp dir)."""
import os
import subprocess

from test_http_groups import SETTINGS, committed, setup_topic
from conftest import UI_DIR as UI


def test_ui_groups_produce_and_topic_admin(ui_env, broker_factory, tmp_path):
    b = broker_factory(extra=SETTINGS)
    setup_topic(b, "ui-gr", [20, 10])
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(group_id="ui-group", bootstrap_servers=b.bootstrap,
                      enable_auto_commit=False)
    c.commit({TopicPartition("ui-gr", 0): OffsetAndMetadata(12, ""),
              TopicPartition("ui-gr", 1): OffsetAndMetadata(4, "")})
    c.close()
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    r = subprocess.run(["node", os.path.join(UI, "groups.mjs"),
                        f"http://127.0.0.1:{b.http_port}", "ui-group", "ui-gr", shots],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
    for name in ("10-groups", "11-group", "12-reset-preview", "13-produce", "14-produced",
                 "15-new-topic"):
        assert os.path.getsize(os.path.join(shots, name + ".png")) > 5000
    # what the pages did, seen by real clients
    assert committed(b, "ui-group", "ui-gr", [0, 1]) == {0: 0, 1: 0}
    out = subprocess.run(["kcat", "-C", "-b", b.bootstrap, "-t", "ui-gr", "-p", "1", "-o", "10",
                          "-c", "1", "-e", "-f", "%k|%s|%h"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "ui-key|from the browser|origin=ui test"
    log = b.log_text()
    for action in ("offset-reset target=group=ui-group topic=ui-gr result=ok partitions=2",
                   "produce target=topic=ui-gr partition=1 offset=10 result=ok",
                   "create-topic target=ui-new result=ok", "alter-configs target=ui-new result=ok",
                   "delete-topic target=ui-new result=ok"):
        assert "action=" + action in log, action


def test_ui_read_only_offers_no_writes(ui_env, broker_factory, tmp_path):
    b = broker_factory(extra=dict(SETTINGS, **{"http.read.only": "true"}))
    setup_topic(b, "ro-topic", [3])
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(group_id="ro-group", bootstrap_servers=b.bootstrap,
                      enable_auto_commit=False)
    c.commit({TopicPartition("ro-topic", 0): OffsetAndMetadata(1, "")})
    c.close()
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    r = subprocess.run(["node", os.path.join(UI, "groups.mjs"),
                        f"http://127.0.0.1:{b.http_port}", "ro-group", "ro-topic", shots,
                        "readonly"], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
    assert os.path.getsize(os.path.join(shots, "16-read-only.png")) > 5000
