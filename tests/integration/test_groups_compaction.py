"""Log compaction seen from clients: __consumer_offsets stays bounded under
a commit storm and keeps the newest commit across a restart (kf_compact
through the log manager's cleaner, which runs every 15 s on logs that have
rolled)."""
import json
import os
import subprocess
import textwrap
import time

from conftest import python

SETTINGS = {"group.initial.rebalance.delay.ms": 0}


def run_py(code, timeout=150):
    p = subprocess.run([python(), "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
               if f.endswith(".log"))


def test_offsets_topic_bounded_under_commit_storm(broker_factory):
    b = broker_factory(extra=dict(SETTINGS, **{"log.segment.bytes": 8192}))
    run_py("""
import json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
BS = %r
p = KafkaProducer(bootstrap_servers=BS)
p.send('storm', b'x').get(timeout=30); p.close()
c = KafkaConsumer(bootstrap_servers=BS, group_id='stormg', enable_auto_commit=False)
tp = TopicPartition('storm', 0)
for i in range(3000):
    c.commit({tp: OffsetAndMetadata(i, '')})
c.close()
print(json.dumps(0))
""" % b.bootstrap, timeout=280)
    dirs = [os.path.join(b.log_dir, d) for d in os.listdir(b.log_dir)
            if d.startswith("__consumer_offsets-")]
    assert dirs
    peak = sum(dir_bytes(d) for d in dirs)
    assert peak > 100000                      # the storm did write
    end = time.time() + 60
    while time.time() < end and sum(dir_bytes(d) for d in dirs) > 40000:
        time.sleep(0.5)
    size = sum(dir_bytes(d) for d in dirs)
    assert size <= 40000, (peak, size)
    b.restart()
    out = run_py("""
import json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=%r, group_id='stormg', enable_auto_commit=False)
print(json.dumps(c.committed(TopicPartition('storm', 0))))
c.close()
""" % b.bootstrap)
    assert out == 2999


def test_compacted_topic_keeps_newest_per_key(broker_factory):
    b = broker_factory(extra=SETTINGS)
    run_py("""
import json
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
BS = %r
a = KafkaAdminClient(bootstrap_servers=BS)
a.create_topics([NewTopic('compacted', 1, 1, topic_configs={
    'cleanup.policy': 'compact', 'segment.bytes': '2048'})])
a.close()
p = KafkaProducer(bootstrap_servers=BS, linger_ms=0)
for v in range(10):
    for k in range(20):
        p.send('compacted', key=b'k%%d' %% k, value=b'v%%d-k%%d' %% (v, k)).get(timeout=30)
p.close()
print(json.dumps(0))
""" % b.bootstrap)
    part = os.path.join(b.log_dir, "compacted-0")
    before = dir_bytes(part)
    end = time.time() + 60                  # the cleaner runs every 15 s
    while time.time() < end and dir_bytes(part) > before // 2:
        time.sleep(0.5)
    after = dir_bytes(part)
    b.restart()
    out = run_py("""
import json, time
from kafka import KafkaConsumer
c = KafkaConsumer('compacted', bootstrap_servers=%r, auto_offset_reset='earliest',
                  enable_auto_commit=False, consumer_timeout_ms=5000)
latest, n = {}, 0
for m in c:
    latest[m.key.decode()] = m.value.decode(); n += 1
c.close()
print(json.dumps({'latest': latest, 'n': n}))
""" % b.bootstrap)
    assert after <= before // 2, (before, after)
    assert out["latest"] == {"k%d" % k: "v9-k%d" % k for k in range(20)}
    assert 20 <= out["n"] < 200




def test_cleaner_disabled_leaves_user_topics_alone(broker_factory):
    """log.cleaner.enable=false (the tutorial's setting): a compacted user
    topic is not cleaned, as in Kafka; __consumer_offsets still is (see the
    commit-storm test)."""
    b = broker_factory(extra=dict(SETTINGS, **{"log.cleaner.enable": "false"}))
    run_py("""
import json
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
BS = %r
a = KafkaAdminClient(bootstrap_servers=BS)
a.create_topics([NewTopic('kept', 1, 1, topic_configs={
    'cleanup.policy': 'compact', 'segment.bytes': '2048'})])
a.close()
p = KafkaProducer(bootstrap_servers=BS, linger_ms=0)
for v in range(10):
    for k in range(20):
        p.send('kept', key=b'k%%d' %% k, value=b'v%%d-k%%d' %% (v, k)).get(timeout=30)
p.close()
print(json.dumps(0))
""" % b.bootstrap)
    part = os.path.join(b.log_dir, "kept-0")
    before = dir_bytes(part)
    time.sleep(20)                          # longer than a cleaner period
    assert dir_bytes(part) >= before, (before, dir_bytes(part))
