"""kafkajs 2.2.4 (npm) against odradek-broker: a producer (Produce v7,
acks=-1) checked through ListOffsets and the stored batches, the admin
client (createTopics / listTopics / deleteTopics go to
Metadata's controller, which must be a listed broker), and the idempotent
producer (InitProducerId v1)."""
import json

from broker_fixtures import (kafkajs, kbroker, kbroker_factory, node,  # noqa: F401
                             segment_batches)

PRELUDE = """
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ clientId: 'odradek-test', brokers: [process.env.BROKER],
                          logLevel: logLevel.NOTHING, retry: { retries: 8 } });
const out = (x) => { process.stdout.write(JSON.stringify(x)); };
"""


def run(broker, body, timeout=90):
    r = node(PRELUDE + "(async () => {\n" + body +
             "\n})().then(() => process.exit(0)).catch((e) => {"
             " console.error(e && e.stack || e); process.exit(1); });",
             timeout=timeout, env={"BROKER": broker.bootstrap})
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout) if r.stdout.strip() else None


def test_admin_create_list_delete(kafkajs, kbroker):
    got = run(kbroker, """
const admin = kafka.admin();
await admin.connect();
const created = await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 3 }] });
const again = await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 3 }] });
const listed = await admin.listTopics();
const meta = await admin.fetchTopicMetadata({ topics: ['js-a'] });
await admin.deleteTopics({ topics: ['js-a'] });
const after = await admin.listTopics();
await admin.disconnect();
out({ created, again, listed, parts: meta.topics[0].partitions.length, after });
""")
    assert got["created"] is True and got["again"] is False
    assert "js-a" in got["listed"] and got["parts"] == 3
    assert "js-a" not in got["after"]


def test_produce_and_fetch(kafkajs, kbroker):
    got = run(kbroker, """
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'js-p', numPartitions: 1 }] });
await admin.disconnect();
const producer = kafka.producer();
await producer.connect();
const msgs = [];
for (let i = 0; i < 500; i++) msgs.push({ key: 'k' + i, value: 'v' + i });
const res = await producer.send({ topic: 'js-p', messages: msgs, acks: -1 });
await producer.disconnect();
const admin2 = kafka.admin();
await admin2.connect();
const offs = await admin2.fetchTopicOffsets('js-p');
await admin2.disconnect();
out({ base: res[0].baseOffset, high: offs[0].high, low: offs[0].low });
""")
    assert got == {"base": "0", "high": "500", "low": "0"}
    batches = segment_batches(kbroker.log_dir, "js-p")
    assert sum(b[3] for b in batches) == 500


def test_gzip_and_idempotent(kafkajs, kbroker):
    got = run(kbroker, """
const { CompressionTypes } = require('kafkajs');
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const msgs = [];
for (let i = 0; i < 100; i++) msgs.push({ value: 'idem-' + i });
await producer.send({ topic: 'js-idem', messages: msgs, acks: -1,
                      compression: CompressionTypes.GZIP });
await producer.send({ topic: 'js-idem', messages: msgs, acks: -1 });
await producer.disconnect();
out({ ok: true });
""")
    assert got == {"ok": True}
    batches = segment_batches(kbroker.log_dir, "js-idem")
    assert sum(b[3] for b in batches) == 200
    assert batches[0][2] & 7 == 1  # gzip really used
