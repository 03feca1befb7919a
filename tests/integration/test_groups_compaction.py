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
