"""The Kafka wire protocol at the byte level against odradek-broker: the
ApiVersions rules (v3 flexible body with a v0 header, error 35 in a v0 body
for an unknown version), connections closed on unknown keys, unsupported
versions, garbage and oversized frames, in-order pipelined responses,
acks=0, produce errors (MESSAGE_TOO_LARGE, CORRUPT_MESSAGE), idempotent
sequence checks, long-poll fetch woken by an append and bounded by
max_wait_ms, and data surviving a restart."""
import socket
import struct
import threading
import time

import pytest
from kafka.record.default_records import DefaultRecordBatchBuilder

from broker_fixtures import KafkaWire, kbroker, kbroker_factory, kstr  # noqa: F401


def api_versions_v0(data):
    err, n = struct.unpack_from(">hi", data)
    keys = {}
    for i in range(n):
        k, lo, hi = struct.unpack_from(">hhh", data, 6 + 6 * i)
        keys[k] = (lo, hi)
    return err, keys


def batch(n=3, pid=-1, epoch=-1, seq=-1, size=10, codec=0):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec,
                                  is_transactional=False, producer_id=pid,
                                  producer_epoch=epoch, base_sequence=seq,
                                  batch_size=10 << 20)
    for i in range(n):
        b.append(i, timestamp=int(time.time() * 1000), key=b"k%d" % i,
                 value=b"v" * size, headers=[])
    return bytes(b.build())


def produce_body(topic, records, acks=-1, ver=3):
    body = b""
    if ver >= 3:
        body += struct.pack(">h", -1)  # transactional id: null
    body += struct.pack(">hi", acks, 5000)
    body += struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", 0)
    body += struct.pack(">i", len(records)) + records
    return body


def produce_v3(w, topic, records, acks=-1):
    data = w.request(0, 3, produce_body(topic, records, acks))
    # topics[1]: name, partitions[1]: index, error, base offset, log append
    pos = 4
    n, = struct.unpack_from(">h", data, pos)
    pos += 2 + n + 4
    idx, err, base, _ = struct.unpack_from(">ihqq", data, pos)
    return err, base


def metadata_create(w, topic):
    for _ in range(50):
        data = w.request(3, 1, struct.pack(">i", 1) + kstr(topic))
        if b"\x00\x00" + kstr(topic) in data:  # error 0
            return
        time.sleep(0.05)
    raise AssertionError("topic not ready")


def test_api_versions_v0_ranges_start_at_zero(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    err, keys = api_versions_v0(w.request(18, 0, b""))
    assert err == 0
    want = {0: 9, 1: 12, 2: 6, 3: 11, 18: 3, 19: 7, 20: 6, 21: 2, 22: 4,
            32: 4, 33: 2, 35: 2, 37: 3, 44: 1, 60: 0,
            8: 8, 9: 7, 10: 3, 11: 7, 12: 4, 13: 4, 14: 5, 15: 5, 16: 4,
            42: 2, 47: 0}
    for k, hi in want.items():
        assert keys.get(k) == (0, hi), (k, keys.get(k))
    assert 17 not in keys  # SaslHandshake: not served, not advertised
    w.close()


def test_api_versions_v3_flexible_body_v0_header(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    body = b"\x0blibrdkafka\x062.0.2\x00"
    data = w.request(18, 3, body, flexible=True)
    # v0 response header: the body's error code follows the correlation id
    # directly (a v1 header would put a 0x00 tag byte first)
    err, = struct.unpack_from(">h", data)
    assert err == 0
    count = data[2] - 1  # compact array (small)
    entries = [struct.unpack_from(">hhhB", data, 3 + 7 * i) for i in range(count)]
    assert (18, 0, 3, 0) in entries
    throttle, tags = struct.unpack_from(">iB", data, 3 + 7 * count)
    assert throttle == 0 and tags == 0
    assert len(data) == 3 + 7 * count + 5
    w.close()


def test_api_versions_unknown_version_gets_error_35_v0_body(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    data = w.request(18, 4, b"\x00garbage-the-broker-must-not-parse", flexible=True)
    err, keys = api_versions_v0(data)
    assert err == 35
    assert keys[18] == (0, 3)
    # the connection stays usable
    err, _ = api_versions_v0(w.request(18, 0, b""))
    assert err == 0
    w.close()


@pytest.mark.parametrize("key,ver", [(99, 0), (3, 12), (0, 10), (17, 0),
                                     (1, -1)])
def test_unknown_key_or_version_closes(kbroker, key, ver):
    w = KafkaWire(kbroker.host, kbroker.port)
    w.send(key, ver, b"\x00\x00\x00\x00")
    assert w.closed_by_peer()
    w.close()


def test_garbage_and_oversized_frames_close(kbroker_factory):
    b = kbroker_factory(extra={"socket.request.max.bytes": 100000})
    for raw in [struct.pack(">i", -5) + b"xxxx",
                struct.pack(">i", 100001) + b"x" * 100,
                struct.pack(">i", 3) + b"abc",           # truncated header
                struct.pack(">i", 12) + struct.pack(">hhih", 3, 1, 1, 0) +
                b"\xff\xff"]:                          # truncated body
        w = KafkaWire(b.host, b.port)
        w.send_raw(raw)
        assert w.closed_by_peer(), raw
        w.close()
    # still serving
    w = KafkaWire(b.host, b.port)
    assert api_versions_v0(w.request(18, 0, b""))[0] == 0
    w.close()


def test_pipelined_requests_answered_in_order_and_acks0_silent(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "pipe")
    c1 = w.send(18, 0, b"")
    c2 = w.send(0, 3, produce_body("pipe", batch(2), acks=0))  # no answer
    c3 = w.send(3, 0, struct.pack(">i", 0))
    c4 = w.send(1, 4, struct.pack(">iiiib", -1, 2000, 1, 1 << 20, 0) +
                struct.pack(">i", 1) + kstr("pipe") + struct.pack(">i", 1) +
                struct.pack(">iqi", 0, 0, 1 << 20))
    c5 = w.send(18, 1, b"")
    got = [w.recv()[0] for _ in range(4)]
    assert got == [c1, c3, c4, c5]
    assert c2 not in got
    w.close()


def test_produce_errors(kbroker_factory):
    b = kbroker_factory(extra={"message.max.bytes": 20000})
    w = KafkaWire(b.host, b.port)
    metadata_create(w, "perr")
    assert produce_v3(w, "perr", batch(3)) == (0, 0)
    err, _ = produce_v3(w, "perr", batch(5, size=8000))
    assert err == 10  # MESSAGE_TOO_LARGE
    bad = bytearray(batch(3))
    bad[-1] ^= 0xff
    err, _ = produce_v3(w, "perr", bytes(bad))
    assert err == 2  # CORRUPT_MESSAGE (CRC)
    err, _ = produce_v3(w, "perr2", batch(1))
    assert err in (3, 0)  # auto-created: UNKNOWN_TOPIC_OR_PARTITION first
    assert produce_v3(w, "perr", batch(2)) == (0, 3)
    w.close()


def test_idempotent_sequences(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "seq")
    data = w.request(22, 0, struct.pack(">hi", -1, 60000))
    _, err, pid, epoch = struct.unpack_from(">ihqh", data)
    assert err == 0 and pid >= 0 and epoch == 0
    assert produce_v3(w, "seq", batch(3, pid, 0, 0)) == (0, 0)
    assert produce_v3(w, "seq", batch(2, pid, 0, 3)) == (0, 3)
    # a retry of the last batch: success with its original offset
    assert produce_v3(w, "seq", batch(2, pid, 0, 3)) == (0, 3)
    # a gap
    assert produce_v3(w, "seq", batch(1, pid, 0, 9))[0] == 45
    # a fenced (older) epoch after a bump
    assert produce_v3(w, "seq", batch(1, pid, 1, 0)) == (0, 5)
    assert produce_v3(w, "seq", batch(1, pid, 0, 5))[0] == 47
    # transactional ids are refused clearly
    data = w.request(22, 0, kstr("txn") + struct.pack(">i", 60000))
    assert struct.unpack_from(">ih", data)[1] == 53
    w.close()


def fetch_v4_body(topic, offset, max_wait, min_bytes=1):
    return (struct.pack(">iiiib", -1, max_wait, min_bytes, 1 << 20, 0) +
            struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1) +
            struct.pack(">iqi", 0, offset, 1 << 20))


def test_long_poll_fetch_woken_by_append(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port, timeout=10)
    metadata_create(w, "lp")
    # bounded by max_wait_ms when nothing comes
    t0 = time.monotonic()
    data = w.request(1, 4, fetch_v4_body("lp", 0, 300))
    took = time.monotonic() - t0
    assert 0.25 <= took < 2.0, took
    # woken by an append from another connection
    corr = w.send(1, 4, fetch_v4_body("lp", 0, 8000))
    time.sleep(0.2)
    t0 = time.monotonic()
    p = KafkaWire(kbroker.host, kbroker.port)
    assert produce_v3(p, "lp", batch(4)) == (0, 0)
    got, data = w.recv()
    took = time.monotonic() - t0
    assert got == corr and took < 1.0, took
    assert b"v" * 10 in data  # the records came with it
    p.close()
    w.close()


def test_data_survives_restart(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "keep")
    for i in range(5):
        assert produce_v3(w, "keep", batch(10)) == (0, 10 * i)
    w.close()
    kbroker.restart()
    w = KafkaWire(kbroker.host, kbroker.port)
    assert produce_v3(w, "keep", batch(1)) == (0, 50)
    data = w.request(2, 1, struct.pack(">i", -1) + struct.pack(">i", 1) +
                     kstr("keep") + struct.pack(">i", 1) +
                     struct.pack(">iq", 0, -1))
    assert data.endswith(struct.pack(">qq", -1, 51))
    w.close()


def test_slow_client_does_not_stall_others(kbroker):
    """A client that pipelines fetches of ~1 MiB and never reads fills its
    socket; conn stops reading from it (backpressure) while every other
    connection is served at full speed."""
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "slow")
    for _ in range(20):
        assert produce_v3(w, "slow", batch(10, size=5000))[0] == 0
    slow = KafkaWire(kbroker.host, kbroker.port)
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sock.settimeout(0.5)
    body = fetch_v4_body("slow", 0, 0)
    sent = 0
    try:
        for _ in range(400):
            slow.send(1, 4, body)
            sent += 1
    except (socket.timeout, BlockingIOError):
        pass  # its own send side filled up too: the broker stopped reading
    assert sent > 10
    t0 = time.monotonic()
    for i in range(50):
        assert produce_v3(w, "slow", batch(1))[0] == 0
        assert api_versions_v0(w.request(18, 0, b""))[0] == 0
    assert time.monotonic() - t0 < 5.0
    slow.close()
    w.close()


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cstr(s):
    b = s.encode()
    return uvarint(len(b) + 1) + b


def test_admin_apis_on_the_wire(kbroker):
    """APIs no client in the test set sends: DeleteRecords v1,
    DescribeCluster v0 (flexible from v0), Metadata v9 (flexible, header
    v1 in the response), ListOffsets v0 (old-style offset arrays),
    IncrementalAlterConfigs v0, DescribeLogDirs v1."""
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "adm")
    assert produce_v3(w, "adm", batch(10)) == (0, 0)
    # DeleteRecords v1: up to offset 4
    data = w.request(21, 1, struct.pack(">i", 1) + kstr("adm") +
                     struct.pack(">i", 1) + struct.pack(">iq", 0, 4) +
                     struct.pack(">i", 5000))
    assert data.endswith(struct.pack(">iqh", 0, 4, 0)), data
    # beyond the high watermark: OFFSET_OUT_OF_RANGE
    data = w.request(21, 1, struct.pack(">i", 1) + kstr("adm") +
                     struct.pack(">i", 1) + struct.pack(">iq", 0, 99) +
                     struct.pack(">i", 5000))
    assert data.endswith(struct.pack(">h", 1)), data
    # ListOffsets v0: earliest is now 4
    data = w.request(2, 0, struct.pack(">i", -1) + struct.pack(">i", 1) +
                     kstr("adm") + struct.pack(">i", 1) +
                     struct.pack(">iqi", 0, -2, 1))
    assert data.endswith(struct.pack(">ihiq", 0, 0, 1, 4)), data
    # DescribeCluster v0: header v1 (tag byte), then throttle, error...
    data = w.request(60, 0, b"\x00\x00", flexible=True)
    assert data[0] == 0  # response header tags
    throttle, err = struct.unpack_from(">ih", data, 1)
    assert (throttle, err) == (0, 0)
    assert b"127.0.0.1" in data
    # Metadata v9 for one topic, flexible
    body = uvarint(2) + uvarint(4) + b"adm" + b"\x00" + b"\x01" + b"\x00\x00" + b"\x00"
    data = w.request(3, 9, body, flexible=True)
    assert data[0] == 0 and b"\x04adm" in data
    # IncrementalAlterConfigs v0: SET retention.ms, then DescribeConfigs v0
    body = (struct.pack(">i", 1) + struct.pack(">b", 2) + kstr("adm") +
            struct.pack(">i", 1) + kstr("retention.ms") + struct.pack(">b", 0) +
            kstr("12345") + b"\x00")
    data = w.request(44, 0, body)
    assert struct.unpack_from(">h", data, 8)[0] == 0, data
    data = w.request(32, 0, struct.pack(">i", 1) + struct.pack(">b", 2) +
                     kstr("adm") + struct.pack(">i", 1) + kstr("retention.ms"))
    assert kstr("retention.ms") + kstr("12345") in data
    # unknown config key: INVALID_CONFIG (40)
    body = (struct.pack(">i", 1) + struct.pack(">b", 2) + kstr("adm") +
            struct.pack(">i", 1) + kstr("no.such") + struct.pack(">b", 0) +
            kstr("1") + b"\x00")
    data = w.request(44, 0, body)
    assert struct.pack(">h", 40) in data[:12], data
    # DescribeLogDirs v1, all topics
    data = w.request(35, 1, struct.pack(">i", -1))
    assert kstr(kbroker.log_dir) in data and kstr("adm") in data
    w.close()


def test_producer_state_and_ids_survive_restart(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "pst")
    data = w.request(22, 0, struct.pack(">hi", -1, 60000))
    pid = struct.unpack_from(">ihqh", data)[2]
    assert produce_v3(w, "pst", batch(3, pid, 0, 0)) == (0, 0)
    assert produce_v3(w, "pst", batch(2, pid, 0, 3)) == (0, 3)
    w.close()
    kbroker.restart()
    w = KafkaWire(kbroker.host, kbroker.port)
    # the retry of the last batch is still recognised, the gap still refused
    assert produce_v3(w, "pst", batch(2, pid, 0, 3)) == (0, 3)
    assert produce_v3(w, "pst", batch(1, pid, 0, 7))[0] == 45
    assert produce_v3(w, "pst", batch(1, pid, 0, 5)) == (0, 5)
    # producer ids are never handed out twice
    data = w.request(22, 0, struct.pack(">hi", -1, 60000))
    assert struct.unpack_from(">ihqh", data)[2] > pid
    w.close()


def test_zstd_needs_produce_v7_and_fetch_v10(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)
    metadata_create(w, "zs")
    z = batch(5, codec=4)
    assert produce_v3(w, "zs", z)[0] == 76  # UNSUPPORTED_COMPRESSION_TYPE
    data = w.request(0, 7, produce_body("zs", z, ver=7))
    assert struct.unpack_from(">h", data, 4 + 2 + 2 + 4 + 4)[0] == 0, data
    # Fetch v4 cannot carry it
    data = w.request(1, 4, fetch_v4_body("zs", 0, 0))
    assert struct.unpack_from(">h", data, 4 + 4 + 2 + 2 + 4 + 4)[0] == 76
    # Fetch v10 can (same layout up to the partition error, plus
    # error/session after throttle)
    body = (struct.pack(">iiiibii", -1, 0, 1, 1 << 20, 0, 0, -1) +
            struct.pack(">i", 1) + kstr("zs") + struct.pack(">i", 1) +
            struct.pack(">iiqqi", 0, -1, 0, -1, 1 << 20) + struct.pack(">i", 0))
    data = w.request(1, 10, body)
    off = 4 + 2 + 4 + 4 + 2 + 2 + 4 + 4
    assert struct.unpack_from(">h", data, off)[0] == 0, data
    w.close()


def test_create_topics_bounds(kbroker):
    w = KafkaWire(kbroker.host, kbroker.port)

    def create(name, np, rf, validate=False):
        body = (struct.pack(">i", 1) + kstr(name) + struct.pack(">ih", np, rf) +
                struct.pack(">ii", 0, 0) + struct.pack(">ib", 5000, validate))
        data = w.request(19, 1, body)
        return struct.unpack_from(">h", data, 4 + 2 + len(name))[0]

    assert create("huge", 1000000000, 1) == 37   # INVALID_PARTITIONS
    assert create("zero", 0, 1) == 37
    assert create("rf3", 1, 3) == 38              # INVALID_REPLICATION_FACTOR
    assert create("bad/name", 1, 1) == 17         # INVALID_TOPIC_EXCEPTION
    assert create("vonly", 2, 1, validate=True) == 0
    assert create("ok", 2, 1) == 0
    assert create("ok", 2, 1) == 36               # TOPIC_ALREADY_EXISTS
    # validate_only created nothing
    data = w.request(3, 1, struct.pack(">i", 1) + kstr("vonly"))
    assert struct.pack(">h", 3) + kstr("vonly") in data or \
        struct.pack(">h", 5) + kstr("vonly") in data
    w.close()
