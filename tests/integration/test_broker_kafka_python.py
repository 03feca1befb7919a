"""kafka-python 2.0.2 against odradek-broker: the tutorial's producer to an
auto-created topic, a consumer with assign/seek, the admin client (create,
list, describe configs, alter, delete), every codec kafka-python can write,
and a client pinned to api_version=(0, 10), which speaks Produce v2 / Fetch
v2 with magic-1 message sets (converted in, down-converted out)."""
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError

from broker_fixtures import kbroker, kbroker_factory, segment_batches  # noqa: F401


def consume_all(bootstrap, topic, n, **kw):
    c = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=5000,
                      **kw)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    out = []
    for m in c:
        out.append(m)
        if len(out) >= n:
            break
    c.close()
    return out


def test_producer_auto_creates_topic_and_consumer_seeks(kbroker):
    p = KafkaProducer(bootstrap_servers=kbroker.bootstrap)
    # inferred from our ApiVersions answer: record batches (>= 0.11)
    assert p.config["api_version"] >= (0, 11), p.config["api_version"]
    futs = [p.send("my-topic", key=b"k%d" % i, value=b"v%d" % i)
            for i in range(200)]
    p.flush()
    offsets = [f.get(timeout=10).offset for f in futs]
    assert offsets == list(range(200))
    p.close()
    got = consume_all(kbroker.bootstrap, "my-topic", 200)
    assert [(m.key, m.value, m.offset) for m in got] == [
        (b"k%d" % i, b"v%d" % i, i) for i in range(200)]
    # seek to the middle
    c = KafkaConsumer(bootstrap_servers=kbroker.bootstrap,
                      consumer_timeout_ms=3000)
    tp = TopicPartition("my-topic", 0)
    c.assign([tp])
    c.seek(tp, 150)
    rest = [m.offset for m in c]
    assert rest == list(range(150, 200))
    assert c.end_offsets([tp])[tp] == 200
    assert c.beginning_offsets([tp])[tp] == 0
    c.close()
    assert all(b[1] == 2 for b in segment_batches(kbroker.log_dir, "my-topic"))


@pytest.mark.parametrize("codec,bits", [("gzip", 1), ("snappy", 2),
                                        ("lz4", 3)])
def test_codecs(kbroker, codec, bits):
    topic = "kp-" + codec
    p = KafkaProducer(bootstrap_servers=kbroker.bootstrap,
                      compression_type=codec)
    for i in range(100):
        p.send(topic, value=b"x" * 100 + b"%d" % i)
    p.flush()
    p.close()
    batches = segment_batches(kbroker.log_dir, topic)
    assert batches and all(b[2] & 7 == bits for b in batches), batches
    got = consume_all(kbroker.bootstrap, topic, 100)
    assert [m.value for m in got] == [b"x" * 100 + b"%d" % i for i in range(100)]


def test_admin_create_list_describe_alter_delete(kbroker):
    a = KafkaAdminClient(bootstrap_servers=kbroker.bootstrap)
    r = a.create_topics([NewTopic("adm-a", 3, 1,
                                  topic_configs={"retention.ms": "3600000"})])
    assert all(e[1] == 0 for e in r.topic_errors), r
    with pytest.raises(TopicAlreadyExistsError):
        a.create_topics([NewTopic("adm-a", 1, 1)])
    assert "adm-a" in a.list_topics()
    res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                             "adm-a")])
    entries = {e[0]: e[1] for e in res[0].resources[0][4]}
    assert entries["retention.ms"] == "3600000"
    assert entries["cleanup.policy"] == "delete"
    a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-a",
                                    configs={"retention.ms": "7200000"})])
    res = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                             "adm-a")])
    entries = {e[0]: e[1] for e in res[0].resources[0][4]}
    assert entries["retention.ms"] == "7200000"
    a.create_partitions({"adm-a": NewPartitions(5)})
    meta = a.describe_topics(["adm-a"])
    assert len(meta[0]["partitions"]) == 5
    res = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
    entries = {e[0]: e[1] for e in res[0].resources[0][4]}
    assert entries["log.dirs"] == kbroker.log_dir
    r = a.delete_topics(["adm-a"])
    assert all(e[1] == 0 for e in r.topic_error_codes), r
    assert "adm-a" not in a.list_topics()
    a.close()


def test_pinned_api_version_0_10_uses_legacy_format(kbroker):
    """api_version=(0, 10) makes kafka-python use Produce v2 / Fetch v2 and
    magic-1 message sets: no probing, so nothing can fall back."""
    p = KafkaProducer(bootstrap_servers=kbroker.bootstrap,
                      api_version=(0, 10))
    for i in range(50):
        p.send("legacy-t", key=b"k%d" % i, value=b"v%d" % i)
    p.flush()
    p.close()
    # stored converted: v2 batches
    batches = segment_batches(kbroker.log_dir, "legacy-t")
    assert batches and all(b[1] == 2 for b in batches)
    assert sum(b[3] for b in batches) == 50
    got = consume_all(kbroker.bootstrap, "legacy-t", 50, api_version=(0, 10))
    assert [(m.key, m.value, m.offset) for m in got] == [
        (b"k%d" % i, b"v%d" % i, i) for i in range(50)]
    assert all(m.timestamp > 0 for m in got)
    # and gzip-compressed wrapper messages, down-converted back
    p = KafkaProducer(bootstrap_servers=kbroker.bootstrap,
                      api_version=(0, 10), compression_type="gzip")
    for i in range(20):
        p.send("legacy-gz", value=b"z%d" % i)
    p.flush()
    p.close()
    got = consume_all(kbroker.bootstrap, "legacy-gz", 20, api_version=(0, 10))
    assert [m.value for m in got] == [b"z%d" % i for i in range(20)]


def test_pinned_api_version_0_9_magic_0(kbroker):
    p = KafkaProducer(bootstrap_servers=kbroker.bootstrap, api_version=(0, 9))
    for i in range(10):
        p.send("legacy-m0", value=b"m%d" % i)
    p.flush()
    p.close()
    got = consume_all(kbroker.bootstrap, "legacy-m0", 10, api_version=(0, 9))
    assert [m.value for m in got] == [b"m%d" % i for i in range(10)]
