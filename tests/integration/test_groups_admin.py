"""Group administration and expiry with real clients: kafka-python's
KafkaAdminClient lists, describes and deletes groups and lists committed
offsets; a consumer killed with SIGKILL is removed once its session times
out and the survivor takes its partitions; OffsetDelete via
confluent-kafka is not in 1.7, so deletion is checked through DeleteGroups."""
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


def test_list_describe_offsets_delete(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py("""
import json, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
BS = %r
p = KafkaProducer(bootstrap_servers=BS)
for i in range(3):
    p.send('adm', b'x%%d' %% i).get(timeout=30)
p.close()
c = KafkaConsumer('adm', group_id='admg', bootstrap_servers=BS, client_id='cid-1',
                  auto_offset_reset='earliest', enable_auto_commit=False)
n, end = 0, time.time() + 30
while n < 3 and time.time() < end:
    n += sum(len(v) for v in c.poll(timeout_ms=300).values())
c.commit()
a = KafkaAdminClient(bootstrap_servers=BS)
listed = sorted(a.list_consumer_groups())
d = a.describe_consumer_groups(['admg'])[0]
desc = {'state': d.state, 'protocol_type': d.protocol_type, 'protocol': d.protocol,
        'members': [m.client_id for m in d.members]}
offs = {'%%s-%%d' %% (tp.topic, tp.partition): om.offset
        for tp, om in a.list_consumer_group_offsets('admg').items()}
busy = a.delete_consumer_groups(['admg'])
c.close()
time.sleep(0.5)
after = a.describe_consumer_groups(['admg'])[0].state
deleted = a.delete_consumer_groups(['admg'])
gone = sorted(a.list_consumer_groups())
a.close()
print(json.dumps({'n': n, 'listed': listed, 'desc': desc, 'offs': offs,
                  'busy': [[g, e.__name__] for g, e in busy],
                  'after': after,
                  'deleted': [[g, e.__name__] for g, e in deleted],
                  'gone': gone}))
""" % b.bootstrap)
    assert out["n"] == 3
    assert out["listed"] == [["admg", "consumer"]]
    assert out["desc"] == {"state": "Stable", "protocol_type": "consumer",
                           "protocol": "range", "members": ["cid-1"]}
    assert out["offs"] == {"adm-0": 3}
    assert out["busy"] == [["admg", "NonEmptyGroupError"]]
    assert out["after"] == "Empty"
    assert out["deleted"] == [["admg", "NoError"]]
    assert out["gone"] == []


def test_killed_member_expires(broker_factory):
    b = broker_factory(extra=SETTINGS)
    out = run_py("""
import json, os, signal, subprocess, sys, time
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic
BS = %r
a = AdminClient({'bootstrap.servers': BS})
for f in a.create_topics([NewTopic('exp', 2, 1)]).values():
    f.result(30)
conf = {'bootstrap.servers': BS, 'group.id': 'expg', 'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 500, 'auto.offset.reset': 'earliest'}
victim = subprocess.Popen([sys.executable, '-c', '''
import sys, time
from confluent_kafka import Consumer
c = Consumer(%%r)
c.subscribe(["exp"])
while True:
    c.poll(0.2)
    if c.assignment():
        print("assigned", flush=True)
''' %% conf], stdout=subprocess.PIPE, text=True)
assert victim.stdout.readline().strip() == 'assigned'
c = Consumer(conf)
c.subscribe(['exp'])
end = time.time() + 60
while time.time() < end and len(c.assignment()) != 1:
    c.poll(0.2)
shared = len(c.assignment())
victim.send_signal(signal.SIGKILL); victim.wait()
t0 = time.time()
end = t0 + 60
while time.time() < end and len(c.assignment()) != 2:
    c.poll(0.2)
took = time.time() - t0
final = len(c.assignment())
c.close()
print(json.dumps({'shared': shared, 'final': final, 'took': took}))
""" % b.bootstrap, timeout=200)
    assert out["shared"] == 1
    assert out["final"] == 2
    # removed by the session timeout (6 s), not earlier, not much later
    assert 4.0 <= out["took"] <= 30.0
