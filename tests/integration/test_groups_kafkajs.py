"""kafkajs 2.2.4 consumer groups against odradek-broker: consumer.run with
eachMessage and commits (JoinGroup v5 with MEMBER_ID_REQUIRED, SyncGroup v3,
OffsetCommit v5, OffsetFetch v4), a second consumer of the group resuming
after the committed offset, and a group mixing kafkajs (RoundRobinAssigner)
with librdkafka (range,roundrobin) answered INCONSISTENT_GROUP_PROTOCOL."""
import json
import subprocess
import textwrap

from broker_fixtures import kafkajs, kbroker, kbroker_factory, node  # noqa: F401
from conftest import python

SETTINGS = {"group.initial.rebalance.delay.ms": 0}

PRELUDE = """
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ clientId: 'odradek-groups', brokers: [process.env.BROKER],
                          logLevel: logLevel.NOTHING, retry: { retries: 5 } });
const out = (x) => { process.stdout.write(JSON.stringify(x)); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function consumeN(groupId, topic, n, timeoutMs) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000,
                                    heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await consumer.run({ eachMessage: async ({ message }) => {
    got.push(message.value.toString()); } });
  const end = Date.now() + timeoutMs;
  while (got.length < n && Date.now() < end) await sleep(100);
  await sleep(300);
  await consumer.disconnect();   // commits what eachMessage resolved, leaves
  return got;
}
"""


def run(broker, body, timeout=120):
    r = node(PRELUDE + "(async () => {\n" + body +
             "\n})().then(() => process.exit(0)).catch((e) => {"
             " console.error(e && e.stack || e); process.exit(1); });",
             timeout=timeout, env={"BROKER": broker.bootstrap})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout) if r.stdout.strip() else None


def test_run_each_message_commit_resume(kafkajs, kbroker_factory):
    b = kbroker_factory(extra=SETTINGS)
    got = run(b, """
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'jsg', numPartitions: 2 }] });
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
await producer.send({ topic: 'jsg', messages: [...Array(10).keys()].map(
  (i) => ({ key: 'k' + i, value: 'a' + i })) });
const first = await consumeN('jsgroup', 'jsg', 10, 30000);
await producer.send({ topic: 'jsg', messages: [...Array(5).keys()].map(
  (i) => ({ key: 'k' + i, value: 'b' + i })) });
await producer.disconnect();
const second = await consumeN('jsgroup', 'jsg', 5, 30000);
const admin2 = kafka.admin();
await admin2.connect();
const offs = await admin2.fetchOffsets({ groupId: 'jsgroup', topics: ['jsg'] });
await admin2.disconnect();
out({ first, second, committed: offs[0].partitions.map((p) => Number(p.offset))
                                                  .reduce((a, c) => a + c, 0) });
""")
    assert sorted(got["first"]) == sorted("a%d" % i for i in range(10))
    assert sorted(got["second"]) == sorted("b%d" % i for i in range(5))
    assert got["committed"] == 15


def test_mixed_kafkajs_librdkafka_inconsistent(kafkajs, kbroker_factory):
    b = kbroker_factory(extra=SETTINGS)
    # a librdkafka member holds the group with range,roundrobin ...
    holder = subprocess.Popen([python(), "-c", textwrap.dedent("""
        import sys, time
        from confluent_kafka import Consumer
        from confluent_kafka.admin import AdminClient, NewTopic
        bs = %r
        a = AdminClient({'bootstrap.servers': bs})
        for f in a.create_topics([NewTopic('mixjs', 1, 1)]).values():
            f.result(30)
        c = Consumer({'bootstrap.servers': bs, 'group.id': 'mixjs',
                      'session.timeout.ms': 10000})
        c.subscribe(['mixjs'])
        end = time.time() + 60
        while time.time() < end and not c.assignment():
            c.poll(0.2)
        print('assigned' if c.assignment() else 'not assigned', flush=True)
        sys.stdin.readline()
        c.close()
        """ % b.bootstrap)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "assigned"
        # ... and kafkajs, which only offers RoundRobinAssigner, is refused
        got = run(b, """
const consumer = kafka.consumer({ groupId: 'mixjs', retry: { retries: 0 } });
await consumer.connect();
await consumer.subscribe({ topic: 'mixjs', fromBeginning: true });
let err = null;
try {
  await new Promise((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    consumer.run({ eachMessage: async () => {} }).catch(reject);
    setTimeout(resolve, 15000);
  });
} catch (e) { err = e.type || e.name; }
await consumer.disconnect().catch(() => {});
out({ err });
""")
        assert got["err"] == "INCONSISTENT_GROUP_PROTOCOL"
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(30)
