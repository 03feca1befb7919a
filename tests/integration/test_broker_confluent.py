"""confluent-kafka 1.7.0 (librdkafka 2.0.2) against odradek-broker: every
codec (checked in the stored batches), the idempotent producer
(InitProducerId v4 flexible, sequences stored with the batches), consume,
and the admin client: create/delete topics, partitions, configs."""
import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,
                                   NewTopic)

from broker_fixtures import kbroker, kbroker_factory, segment_batches  # noqa: F401


def produce(bootstrap, topic, n, **conf):
    errors = []
    c = {"bootstrap.servers": bootstrap, "linger.ms": 5}
    c.update(conf)
    p = Producer(c)
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"value-%d" % i * 5,
                  on_delivery=lambda e, m: errors.append(e) if e else None)
        p.poll(0)
    assert p.flush(30) == 0
    assert errors == []


def consume(bootstrap, topic, n):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    out = []
    for _ in range(200):
        for m in c.consume(1000, timeout=0.5):
            assert m.error() is None, m.error()
            out.append((m.key(), m.value(), m.offset()))
        if len(out) >= n:
            break
    c.close()
    return out


@pytest.mark.parametrize("codec,bits", [("gzip", 1), ("snappy", 2),
                                        ("lz4", 3), ("zstd", 4)])
def test_codecs(kbroker, codec, bits):
    topic = "ck-" + codec
    produce(kbroker.bootstrap, topic, 300, **{"compression.type": codec})
    batches = segment_batches(kbroker.log_dir, topic)
    assert batches and all(b[2] & 7 == bits for b in batches), batches
    got = consume(kbroker.bootstrap, topic, 300)
    assert got == [(b"k%d" % i, b"value-%d" % i * 5, i) for i in range(300)]


def test_idempotent_producer(kbroker):
    produce(kbroker.bootstrap, "idem", 1000, **{"enable.idempotence": True})
    produce(kbroker.bootstrap, "idem", 1000, **{"enable.idempotence": True})
    got = consume(kbroker.bootstrap, "idem", 2000)
    assert [o for _, _, o in got] == list(range(2000))
    # stored with producer ids: read each batch's producer id from disk
    import glob, struct
    pids = set()
    for path in glob.glob(f"{kbroker.log_dir}/idem-0/*.log"):
        data = open(path, "rb").read()
        pos = 0
        while pos + 61 <= len(data):
            length, = struct.unpack_from(">i", data, pos + 8)
            pid, = struct.unpack_from(">q", data, pos + 43)
            pids.add(pid)
            pos += 12 + length
    assert len(pids) == 2 and all(p >= 0 for p in pids), pids


def test_admin(kbroker):
    a = AdminClient({"bootstrap.servers": kbroker.bootstrap})
    fs = a.create_topics([NewTopic("cadm", 2, 1,
                                   config={"segment.bytes": "1048576"})])
    fs["cadm"].result(10)
    fs = a.create_topics([NewTopic("cadm", 2, 1)])
    with pytest.raises(KafkaException) as e:
        fs["cadm"].result(10)
    assert "TOPIC_ALREADY_EXISTS" in str(e.value)
    fs = a.create_topics([NewTopic("cbad", 1, 3)])
    with pytest.raises(KafkaException) as e:
        fs["cbad"].result(10)
    assert "INVALID_REPLICATION_FACTOR" in str(e.value)
    md = a.list_topics(timeout=10)
    assert len(md.topics["cadm"].partitions) == 2
    assert md.controller_id == 0
    a.create_partitions([NewPartitions("cadm", 4)])["cadm"].result(10)
    md = a.list_topics(timeout=10)
    assert len(md.topics["cadm"].partitions) == 4
    res = ConfigResource("topic", "cadm")
    cfg = a.describe_configs([res])[res].result(10)
    assert cfg["segment.bytes"].value == "1048576"
    assert not cfg["segment.bytes"].is_default
    assert cfg["retention.ms"].is_default
    res = ConfigResource("topic", "cadm", set_config={"retention.ms": "1000"})
    a.alter_configs([res])[res].result(10)
    cfg = a.describe_configs([ConfigResource("topic", "cadm")])
    cfg = list(cfg.values())[0].result(10)
    assert cfg["retention.ms"].value == "1000"
    bad = ConfigResource("topic", "cadm", set_config={"retention.ms": "abc"})
    with pytest.raises(KafkaException) as e:
        a.alter_configs([bad])[bad].result(10)
    assert "INVALID_CONFIG" in str(e.value)
    a.delete_topics(["cadm"])["cadm"].result(10)
    assert "cadm" not in a.list_topics(timeout=10).topics
