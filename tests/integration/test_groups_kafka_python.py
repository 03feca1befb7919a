"""Consumer groups with kafka-python 2.0.2 (/usr/bin/python3): the tutorial's
session, two consumers sharing a 4-partition topic, and committed offsets
surviving a restart and kill -9.

kafka-python runs in a child /usr/bin/python3 (Debian's module imports only
there); each scenario is a small script whose JSON output is checked here.
"""
import json
import subprocess
import textwrap

import pytest

from conftest import python

SETTINGS = {"group.initial.rebalance.delay.ms": 0}


def run_py(code, timeout=120):
    p = subprocess.run([python(), "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


PRELUDE = """
import json, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
BS = %r

def produce(topic, values, key=None):
    p = KafkaProducer(bootstrap_servers=BS)
    for v in values:
        p.send(topic, v.encode(), key=key(v).encode() if key else None).get(timeout=30)
    p.flush(); p.close()

def drain(c, want, timeout=30):
    got, end = [], time.time() + timeout
    while len(got) < want and time.time() < end:
        for tp, msgs in c.poll(timeout_ms=500).items():
            got += [(tp.partition, m.offset, m.value.decode()) for m in msgs]
    return got
"""


def test_tutorial_session(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py(PRELUDE % b.bootstrap + """
produce('my-topic', ['message1', 'message2', 'message3'])
c = KafkaConsumer('my-topic', group_id='my_group', bootstrap_servers=BS,
                  auto_offset_reset='earliest', enable_auto_commit=False)
first = drain(c, 3)
c.commit()
c.close()
# a second consumer of the group gets nothing old, only what comes next
c2 = KafkaConsumer('my-topic', group_id='my_group', bootstrap_servers=BS,
                   auto_offset_reset='earliest', enable_auto_commit=False)
early = drain(c2, 1, timeout=5)
produce('my-topic', ['message4'])
later = drain(c2, 1)
c2.close()
print(json.dumps({'first': [v for _, _, v in first], 'early': early,
                  'later': [v for _, _, v in later]}))
""")
    assert out["first"] == ["message1", "message2", "message3"]
    assert out["early"] == []
    assert out["later"] == ["message4"]


def test_two_consumers_share_four_partitions(broker_factory):
    """kafka-python's consumer joins inside poll(), so each consumer runs in
    its own thread (two in one thread would wait on each other's JoinGroup
    for a whole rebalance timeout, with Apache Kafka too)."""
    b = broker_factory(extra=SETTINGS)
    out = run_py(PRELUDE % b.bootstrap + """
import threading
a = KafkaAdminClient(bootstrap_servers=BS)
a.create_topics([NewTopic('shared', 4, 1)]); a.close()
got, assigned, lock = [], {}, threading.Lock()
stops = {'c1': threading.Event(), 'c2': threading.Event()}

def run(name):
    c = KafkaConsumer('shared', group_id='pair', bootstrap_servers=BS,
                      auto_offset_reset='earliest', enable_auto_commit=False,
                      heartbeat_interval_ms=300, session_timeout_ms=10000,
                      max_poll_interval_ms=30000)
    while not stops[name].is_set():
        recs = c.poll(timeout_ms=200)
        with lock:
            for tp, msgs in recs.items():
                got.extend((name, m.value.decode()) for m in msgs)
        try:
            c.commit()
        except Exception:
            pass            # a rebalance started: the next poll rejoins
        with lock:
            assigned[name] = len(c.assignment())
    c.close()               # commits nothing new; sends LeaveGroup

def wait(cond, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        with lock:
            if cond():
                return True
        time.sleep(0.1)
    return False

def values(prefix):
    return [v for _, v in got if v.startswith(prefix)]

produce('shared', ['m%d' % i for i in range(40)], key=lambda v: v)
t1 = threading.Thread(target=run, args=('c1',)); t1.start()
ok1 = wait(lambda: len(values('m')) >= 40 and assigned.get('c1') == 4)
t2 = threading.Thread(target=run, args=('c2',)); t2.start()
ok2 = wait(lambda: assigned.get('c1') == 2 and assigned.get('c2') == 2)
split = [assigned.get('c1'), assigned.get('c2')]
produce('shared', ['n%d' % i for i in range(20)], key=lambda v: v)
ok3 = wait(lambda: len(values('n')) >= 20)
stops['c1'].set(); t1.join(60)          # clean leave
ok4 = wait(lambda: assigned.get('c2') == 4)
produce('shared', ['p%d' % i for i in range(20)], key=lambda v: v)
ok5 = wait(lambda: len(values('p')) >= 20)
time.sleep(1)                           # anything delivered twice shows up
stops['c2'].set(); t2.join(60)
print(json.dumps({'ok': [ok1, ok2, ok3, ok4, ok5], 'split': split,
                  'got': got}))
""", timeout=280)
    assert out["ok"] == [True] * 5
    assert out["split"] == [2, 2]
    vals = [v for _, v in out["got"]]
    want = ["m%d" % i for i in range(40)] + ["n%d" % i for i in range(20)] + \
        ["p%d" % i for i in range(20)]
    assert sorted(vals) == sorted(want)          # each exactly once
    assert {n for n, v in out["got"] if v.startswith("n")} == {"c1", "c2"}
    assert {n for n, v in out["got"] if v.startswith("p")} == {"c2"}


@pytest.mark.parametrize("how", ["restart", "kill9"])
def test_committed_offsets_survive(broker_factory, how):
    b = broker_factory(extra=SETTINGS)
    run_py(PRELUDE % b.bootstrap + """
produce('durable', ['a', 'b', 'c'])
c = KafkaConsumer('durable', group_id='keep', bootstrap_servers=BS,
                  auto_offset_reset='earliest', enable_auto_commit=False)
got = drain(c, 3)
c.commit(); c.close()
print(json.dumps(len(got)))
""")
    if how == "restart":
        b.restart()
    else:
        b.kill9()
        b.start()
    out = run_py(PRELUDE % b.bootstrap + """
c = KafkaConsumer(bootstrap_servers=BS, group_id='keep', enable_auto_commit=False)
tp = TopicPartition('durable', 0)
committed = c.committed(tp)
c.close()
produce('durable', ['d'])
c = KafkaConsumer('durable', group_id='keep', bootstrap_servers=BS,
                  auto_offset_reset='earliest', enable_auto_commit=False)
got = drain(c, 1)
c.close()
print(json.dumps({'committed': committed, 'got': [v for _, _, v in got]}))
""")
    assert out["committed"] == 3
    assert out["got"] == ["d"]
