"""odradek-broker: the last gaps of issue 4, each against real clients.

  - ListOffsets by timestamp is record-exact inside compressed batches
    (confluent-kafka offsets_for_times and kcat -Q against gzip, snappy, lz4
    and zstd batches whose records carry distinct timestamps);
  - start-up recovery runs partitions in parallel on the thread pool
    (num.recovery.threads.per.data.dir) and READY=1 comes only after it:
    torn tails of many partitions are all cut, acked records all survive;
  - retention's segment renames and the leader-epoch checkpoint go through
    the flush job (no leftover files, checkpoint written);
  - socket.send.buffer.bytes / socket.receive.buffer.bytes are applied
    (a broker with them serves; a bad value exits 78 with file:line);
  - Metadata's controller id is always a listed broker, also when
    /controller names a broker id that is not listed; Produce to an unknown
    topic answers UNKNOWN_TOPIC_OR_PARTITION and Metadata
    LEADER_NOT_AVAILABLE while auto-creating, as Kafka 2.8.
"""
import glob
import os
import struct
import subprocess
import time

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from broker_fixtures import (KafkaWire, kbroker, kbroker_factory,  # noqa: F401
                             kstr, segment_batches)
from conftest import bin_path

BASE_TS = 1_700_000_000_000


def create_topic(bootstrap, topic, partitions=1):
    a = AdminClient({"bootstrap.servers": bootstrap})
    fs = a.create_topics([NewTopic(topic, partitions, 1)])
    fs[topic].result(timeout=20)


def produce_one_batch(bootstrap, topic, n, codec, partition=0):
    """n records with timestamps BASE_TS + 10*i, lingered into one batch."""
    errors = []
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 500,
                  "batch.num.messages": 10000, "compression.type": codec})
    for i in range(n):
        p.produce(topic, value=b"v%03d" % i * 20, partition=partition,
                  timestamp=BASE_TS + 10 * i,
                  on_delivery=lambda e, m: errors.append(e) if e else None)
    assert p.flush(30) == 0
    assert errors == []


def offsets_for_times(bootstrap, topic, ts_list):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "oft",
                  "enable.auto.commit": False})
    try:
        out = []
        for ts in ts_list:  # one partition per request: librdkafka keeps
            # one entry per partition
            got = c.offsets_for_times([TopicPartition(topic, 0, ts)],
                                      timeout=20)
            assert got[0].error is None, got
            out.append(got[0].offset)
        return out
    finally:
        c.close()


# ---- 1. ListOffsets by timestamp inside compressed batches -----------------

@pytest.mark.parametrize("codec,bits", [("gzip", 1), ("snappy", 2),
                                        ("lz4", 3), ("zstd", 4)])
def test_offsets_for_times_inside_compressed_batch(kbroker, codec, bits):
    topic = "oft-" + codec
    create_topic(kbroker.bootstrap, topic)
    produce_one_batch(kbroker.bootstrap, topic, 20, codec)
    batches = segment_batches(kbroker.log_dir, topic)
    # the point of the test: several records with distinct timestamps in
    # one compressed batch
    assert any(b[2] & 7 == bits and b[3] > 5 for b in batches), batches
    want_ts = [BASE_TS - 5, BASE_TS, BASE_TS + 1, BASE_TS + 35, BASE_TS + 40,
               BASE_TS + 190, BASE_TS + 191]
    got = offsets_for_times(kbroker.bootstrap, topic, want_ts)
    assert got == [0, 0, 1, 4, 4, 19, -1]


def test_kcat_query_by_timestamp_zstd(kbroker):
    topic = "oft-kcat"
    create_topic(kbroker.bootstrap, topic)
    produce_one_batch(kbroker.bootstrap, topic, 30, "zstd")
    assert any(b[2] & 7 == 4 and b[3] > 5
               for b in segment_batches(kbroker.log_dir, topic))
    r = subprocess.run(["kcat", "-b", kbroker.bootstrap, "-Q", "-t",
                        f"{topic}:0:{BASE_TS + 123}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    # timestamps BASE_TS + 10*i: the first >= +123 is i = 13
    assert f"{topic} [0] offset 13" in r.stdout, r.stdout
