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
from kafka import TopicPartition as TopicPartition_k

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


# ---- 5. controller id; auto-create answers ---------------------------------

def metadata_v1(w, topics):
    """-> (broker ids, controller id, {topic: error code})."""
    body = struct.pack(">i", len(topics)) + b"".join(kstr(t) for t in topics)
    data = w.request(3, 1, body)
    pos = 0
    n, = struct.unpack_from(">i", data, pos)
    pos += 4
    brokers = []
    for _ in range(n):
        node, hl = struct.unpack_from(">ih", data, pos)
        pos += 6 + hl + 4
        rl, = struct.unpack_from(">h", data, pos)
        pos += 2 + max(rl, 0)
        brokers.append(node)
    controller, nt = struct.unpack_from(">ii", data, pos)
    pos += 8
    errs = {}
    for _ in range(nt):
        err, nl = struct.unpack_from(">hh", data, pos)
        pos += 4
        name = data[pos:pos + nl].decode()
        pos += nl + 1
        np_, = struct.unpack_from(">i", data, pos)
        pos += 4
        for _ in range(np_):
            pos += 2 + 4 + 4
            nr, = struct.unpack_from(">i", data, pos)
            pos += 4 + 4 * nr
            ni, = struct.unpack_from(">i", data, pos)
            pos += 4 + 4 * ni
        errs[name] = err
    return brokers, controller, errs


def one_batch(n=2):
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0,
                                  is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    for i in range(n):
        b.append(i, timestamp=BASE_TS, key=None, value=b"x", headers=[])
    return bytes(b.build())


def produce_v3_err(w, topic, records):
    body = struct.pack(">hhi", -1, -1, 5000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records
    data = w.request(0, 3, body)
    n, = struct.unpack_from(">h", data, 4)
    _, err = struct.unpack_from(">ih", data, 4 + 2 + n + 4)
    return err


def test_controller_id_is_a_listed_broker_when_another_holds_controller(
        coord_factory, kbroker_factory):
    from kazoo.client import KazooClient
    coord = coord_factory()
    zk = KazooClient(hosts=coord.connect)
    zk.start(timeout=10)
    try:
        # another broker (id 7, not known to clients) holds /controller
        zk.create("/controller", b'{"version":1,"brokerid":7,'
                  b'"timestamp":"1700000000000"}', ephemeral=True)
        b = kbroker_factory(coord=coord, extra={"broker.id": 3})
        w = KafkaWire(b.host, b.port)
        brokers, controller, _ = metadata_v1(w, [])
        w.close()
        assert brokers == [3]
        assert controller in brokers
        assert "controller is 7" in b.log_text()
        # the admin clients that send topic admin to the controller work
        from kafka.admin import KafkaAdminClient, NewTopic as KNewTopic
        a = KafkaAdminClient(bootstrap_servers=b.bootstrap,
                             request_timeout_ms=10000)
        a.create_topics([KNewTopic("via-controller", 2, 1)])
        a.close()
        md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(
            timeout=10)
        assert md.controller_id == 3
        assert len(md.topics["via-controller"].partitions) == 2
    finally:
        zk.stop()
        zk.close()


def test_controller_id_when_elected(kbroker_factory):
    b = kbroker_factory(extra={"broker.id": 5})
    md = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(timeout=10)
    assert md.controller_id == 5 and list(md.brokers) == [5]


def test_unknown_topic_answers_while_auto_creating(kbroker):
    """Kafka 2.8: Produce never creates a topic and answers
    UNKNOWN_TOPIC_OR_PARTITION (3, retriable); Metadata creates it and
    answers LEADER_NOT_AVAILABLE (5) for that request, then the topic."""
    w = KafkaWire(kbroker.host, kbroker.port)
    assert produce_v3_err(w, "auto-p", one_batch()) == 3
    _, _, errs = metadata_v1(w, ["auto-m"])
    assert errs == {"auto-m": 5}
    for _ in range(100):
        _, _, errs = metadata_v1(w, ["auto-m"])
        if errs["auto-m"] == 0:
            break
        time.sleep(0.02)
    assert errs == {"auto-m": 0}
    assert produce_v3_err(w, "auto-m", one_batch()) == 0
    w.close()


# ---- 4. socket.send.buffer.bytes / socket.receive.buffer.bytes -------------

def broker_side_skmem(port):
    """{rb, tb} of the broker's end of each established connection."""
    r = subprocess.run(["ss", "-tmnH", "state", "established",
                        f"( sport = :{port} )"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        if "skmem:(" in line:
            fields = line.split("skmem:(")[1].split(")")[0].split(",")
            out.append({f[:2]: int(f[2:]) for f in fields
                        if f[:2] in ("rb", "tb")})
    return out


@pytest.mark.parametrize("snd,rcv", [(65536, 32768), (-1, -1)])
def test_socket_buffer_sizes_applied(kbroker_factory, snd, rcv):
    b = kbroker_factory(extra={"socket.send.buffer.bytes": snd,
                               "socket.receive.buffer.bytes": rcv})
    w = KafkaWire(b.host, b.port)
    w.request(18, 0, b"")  # ApiVersions v0: the connection is accepted
    mem = broker_side_skmem(b.port)
    w.close()
    assert len(mem) == 1, mem
    if snd > 0:
        # Linux doubles the requested size (socket(7))
        assert mem[0] == {"rb": 2 * rcv, "tb": 2 * snd}
    else:
        assert mem[0]["tb"] != 2 * 102400 and mem[0]["rb"] != 2 * 102400


@pytest.mark.parametrize("key,value", [("socket.send.buffer.bytes", 0),
                                       ("socket.receive.buffer.bytes", 0),
                                       ("socket.send.buffer.bytes", -2),
                                       ("socket.receive.buffer.bytes", "big")])
def test_bad_socket_buffer_exits_78(tmp_path, key, value):
    cfg = tmp_path / "server.properties"
    cfg.write_text(f"log.dirs={tmp_path}/logs\n{key}={value}\n"
                   "listeners=PLAINTEXT://127.0.0.1:0\n"
                   "http.listeners=127.0.0.1:0\n")
    try:
        r = subprocess.run([bin_path("odradek-broker"), str(cfg)],
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{key}={value} was accepted: the broker started")
    assert r.returncode == 78, (r.returncode, r.stderr)
    assert f"{cfg}:2: {key}: " in r.stderr, r.stderr


# ---- 2. start-up recovery on the thread pool, partitions in parallel -------

def test_parallel_recovery_of_torn_partitions(broker_factory, tmp_path):
    """Two log dirs, 12 partitions, kill -9, then every active segment gets
    a torn tail and some lose their indexes: the restart (4 partitions at
    a time per dir on the pool) cuts every tail, rebuilds the indexes,
    keeps every record, and is READY only when all that is done."""
    from kafka import KafkaConsumer, KafkaProducer
    d2 = str(tmp_path / "logs2")
    b = broker_factory(extra={"num.partitions": 12,
                              "num.recovery.threads.per.data.dir": 4,
                              "log.index.interval.bytes": 200})
    b.props["log.dirs"] = f"{b.log_dir},{d2}"
    b.stop()
    from conftest import write_properties
    write_properties(b.config_path, b.props)
    b.start()
    # tiny batches: the indexes (every 200 bytes) get entries
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1, linger_ms=0,
                      batch_size=16)
    for i in range(600):
        p.send("par", f"r{i}".encode(), partition=i % 12)
    p.flush(30)
    p.close()
    b.kill9()
    b.expect_exit = -9
    segs = {}
    for part in range(12):
        found = glob.glob(os.path.join(b.log_dir, f"par-{part}", "*.log")) + \
            glob.glob(os.path.join(d2, f"par-{part}", "*.log"))
        assert len(found) == 1, found
        seg = found[0]
        segs[part] = (seg, os.path.getsize(seg))
        with open(seg, "ab") as f:
            f.write(b"\x00" * 7 + b"\x40" + b"torn" * 5)
        if part % 3 == 0:
            os.unlink(seg[:-4] + ".index")
    assert {os.path.dirname(os.path.dirname(s)) for s, _ in segs.values()} \
        == {b.log_dir, d2}
    b.start()  # returns at READY=1
    b.expect_exit = None
    # ready means recovered: every tail already cut, every index back
    for part, (seg, size) in segs.items():
        assert os.path.getsize(seg) == size, part
        assert os.path.getsize(seg[:-4] + ".index") > 0, part
    assert "open partition log" not in b.log_text()
    c = KafkaConsumer(bootstrap_servers=b.bootstrap)
    tps = [TopicPartition_k("par", part) for part in range(12)]
    ends = c.end_offsets(tps)
    c.close()
    assert [ends[tp] for tp in tps] == [50] * 12
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1)
    assert p.send("par", b"after", partition=5).get(timeout=10).offset == 50
    p.close()
