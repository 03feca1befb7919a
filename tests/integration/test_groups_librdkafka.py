"""Consumer groups with librdkafka 2.0.2 clients: confluent-kafka (eager
range and cooperative-sticky assignment, static membership restarted inside
the session timeout without a rebalance, commit/committed/position/seek),
a group mixing kafka-python and librdkafka assignors
(INCONSISTENT_GROUP_PROTOCOL), and kcat -G."""
import json
import subprocess
import textwrap

from conftest import python

SETTINGS = {"group.initial.rebalance.delay.ms": 0}


def run_py(code, timeout=150):
    p = subprocess.run([python(), "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


PRELUDE = """
import json, time
from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
BS = %r

def topic(name, parts):
    a = AdminClient({'bootstrap.servers': BS})
    for f in a.create_topics([NewTopic(name, parts, 1)]).values():
        f.result(30)

def produce(name, n, prefix='m'):
    p = Producer({'bootstrap.servers': BS})
    for i in range(n):
        p.produce(name, ('%%s%%d' %% (prefix, i)).encode(), key=str(i).encode())
    assert p.flush(30) == 0

def consumer(group, **extra):
    conf = {'bootstrap.servers': BS, 'group.id': group,
            'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
            'session.timeout.ms': 10000, 'heartbeat.interval.ms': 500}
    conf.update(extra)
    return Consumer(conf)
"""


def run_assignors(broker, strategy):
    return run_py(PRELUDE % broker.bootstrap + """
topic('t4', 4)
produce('t4', 40)
events = {'a': [], 'b': []}
def cb(name):
    def on_assign(c, parts): events[name].append(('assign', sorted(p.partition for p in parts)))
    def on_revoke(c, parts): events[name].append(('revoke', sorted(p.partition for p in parts)))
    return on_assign, on_revoke
a = consumer('grp', **{'partition.assignment.strategy': %r})
b = consumer('grp', **{'partition.assignment.strategy': %r})
oa, ra = cb('a'); ob, rb = cb('b')
a.subscribe(['t4'], on_assign=oa, on_revoke=ra)
b.subscribe(['t4'], on_assign=ob, on_revoke=rb)
seen = []
end = time.time() + 60
while time.time() < end and (len(seen) < 40 or len(a.assignment()) + len(b.assignment()) != 4):
    for c in (a, b):
        m = c.poll(0.2)
        if m is not None and not m.error():
            seen.append(m.value().decode())
            c.commit(m, asynchronous=False)
split = sorted([len(a.assignment()), len(b.assignment())])
a.close()
end = time.time() + 60
while time.time() < end and len(b.assignment()) != 4:
    b.poll(0.2)
final = len(b.assignment())
b.close()
print(json.dumps({'seen': seen, 'split': split, 'final': final}))
""" % (strategy, strategy))


def test_eager_range(broker_factory):
    out = run_assignors(broker_factory(extra=SETTINGS), "range")
    assert sorted(out["seen"]) == sorted("m%d" % i for i in range(40))
    assert out["split"] == [2, 2]
    assert out["final"] == 4


def test_cooperative_sticky(broker_factory):
    out = run_assignors(broker_factory(extra=SETTINGS), "cooperative-sticky")
    assert sorted(out["seen"]) == sorted("m%d" % i for i in range(40))
    assert out["split"] == [2, 2]
    assert out["final"] == 4


def test_static_member_restart_no_rebalance(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py(PRELUDE % b.bootstrap + """
topic('st', 2)
produce('st', 10)
assigns = {'x': 0, 'y': 0}
def counter(name):
    def on_assign(c, parts): assigns[name] += 1
    return on_assign
x = consumer('static', **{'group.instance.id': 'x-1', 'session.timeout.ms': 20000})
y = consumer('static', **{'group.instance.id': 'y-1', 'session.timeout.ms': 20000})
x.subscribe(['st'], on_assign=counter('x'))
y.subscribe(['st'], on_assign=counter('y'))
end = time.time() + 60
while time.time() < end and not (len(x.assignment()) == 1 and len(y.assignment()) == 1):
    x.poll(0.2); y.poll(0.2)
before = dict(assigns)
# x restarts inside its session timeout: a static member sends no LeaveGroup
x.close()
x = consumer('static', **{'group.instance.id': 'x-1', 'session.timeout.ms': 20000})
x.subscribe(['st'], on_assign=counter('x'))
end = time.time() + 30
while time.time() < end and len(x.assignment()) != 1:
    x.poll(0.2); y.poll(0.2)
for _ in range(15):            # give a rebalance every chance to show
    x.poll(0.2); y.poll(0.2)
after = dict(assigns)
x.close(); y.close()
print(json.dumps({'before': before, 'after': after}))
""")
    assert out["before"]["x"] >= 1 and out["before"]["y"] >= 1
    assert out["after"]["y"] == out["before"]["y"]      # y saw no rebalance
    assert out["after"]["x"] == out["before"]["x"] + 1  # restarted x got its share


def test_commit_committed_position_seek(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py(PRELUDE % b.bootstrap + """
topic('cp', 1)
produce('cp', 10)
c = consumer('cpg')
c.subscribe(['cp'])
got = []
end = time.time() + 60
while time.time() < end and len(got) < 5:
    m = c.poll(0.5)
    if m is not None and not m.error():
        got.append(m.offset())
tp = TopicPartition('cp', 0, 5)
c.commit(offsets=[tp], asynchronous=False)
committed = c.committed([TopicPartition('cp', 0)], timeout=10)[0].offset
position = c.position([TopicPartition('cp', 0)])[0].offset
c.seek(TopicPartition('cp', 0, 2))
m = None
end = time.time() + 30
while time.time() < end and (m is None or m.error()):
    m = c.poll(0.5)
after_seek = m.offset()
c.close()
print(json.dumps({'got': got, 'committed': committed, 'position': position,
                  'after_seek': after_seek}))
""")
    assert out["got"] == [0, 1, 2, 3, 4]
    assert out["committed"] == 5
    assert out["position"] == 5
    assert out["after_seek"] == 2


def test_mixed_assignors_inconsistent(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py(PRELUDE % b.bootstrap + """
from kafka import KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
topic('mix', 1)
c = consumer('mixed', **{'partition.assignment.strategy': 'cooperative-sticky'})
c.subscribe(['mix'])
end = time.time() + 30
while time.time() < end and not c.assignment():
    c.poll(0.2)
k = KafkaConsumer('mix', group_id='mixed', bootstrap_servers=BS,
                  partition_assignment_strategy=[RangePartitionAssignor])
err = None
try:
    k.poll(timeout_ms=5000)
except Exception as e:
    err = type(e).__name__
k.close(autocommit=False)
c.close()
print(json.dumps({'err': err}))
""")
    assert out["err"] == "InconsistentGroupProtocolError"


def test_kcat_balanced_consumer(broker_factory):
    b = broker_factory(extra=SETTINGS)
    p = subprocess.run(["kcat", "-b", b.bootstrap, "-P", "-t", "kc"],
                       input="one\ntwo\nthree\n", text=True,
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    p = subprocess.run(["kcat", "-b", b.bootstrap, "-G", "kcatgrp", "kc",
                        "-o", "beginning", "-e", "-q",
                        "-X", "topic.auto.offset.reset=earliest"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["one", "two", "three"]
