"""The operations pages of the web UI in headless Chromium (Debian's),
driven by playwright-core (tests/integration/ui/ops.mjs) against a broker
run by odradek-supervisor with odradek-coord: the coordination tree down to
/brokers/ids/0, the supervisor's programs and the broker's log tail, the
throughput and lag charts.  Screenshots go to $ODRADEK_SCREENSHOTS (default:
the test's tmp dir)."""
import os
import subprocess

from sv_fixtures import supervisor_factory  # noqa: F401
from test_http_ops import make_bundle
from conftest import UI_DIR as UI


def test_ui_ops_pages(ui_env, supervisor_factory, tmp_path):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    bd = make_bundle(supervisor_factory, tmp_path / "bundle")
    topic, group = "ops-ui", "ops-ui-group"
    p = KafkaProducer(bootstrap_servers=bd.bootstrap)
    for i in range(300):
        p.send(topic, value=f"value {i}".encode(), partition=0)
    p.flush()
    p.close()
    subprocess.run(["kcat", "-P", "-b", bd.bootstrap, "-t", topic],
                   input="".join(f"kcat {i}\n" for i in range(200)), text=True,
                   check=True, timeout=60)
    c = KafkaConsumer(bootstrap_servers=bd.bootstrap, group_id=group,
                      enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.commit({tp: OffsetAndMetadata(120, "")})
    c.close()
    # a node with more children than a page holds (1000)
    from kazoo.client import KazooClient
    k = KazooClient(hosts=f"127.0.0.1:{bd.zk_port}", timeout=10)
    k.start(timeout=10)
    try:
        k.create("/many")
        for r in [k.create_async(f"/many/n{i:04d}") for i in range(1005)]:
            r.get(timeout=30)
    finally:
        k.stop()
        k.close()
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    proc = subprocess.Popen(["node", os.path.join(UI, "ops.mjs"),
                             f"http://127.0.0.1:{bd.http_port}", topic, group, shots],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []
    try:
        for line in proc.stdout:  # the script asks for a produce mid-way
            out.append(line)
            if line.strip() == "produce-follow":
                subprocess.run(["kcat", "-P", "-b", bd.bootstrap, "-t", "ops-ui-follow"],
                               input="one\n", text=True, check=True, timeout=30)
        rc = proc.wait(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    assert rc == 0 and "".join(out).strip().endswith("ok"), "".join(out) + err
    for name in ("10-coord", "11-supervisor", "12-charts", "13-charts-dark"):
        assert os.path.getsize(os.path.join(shots, name + ".png")) > 5000
