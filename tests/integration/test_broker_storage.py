"""Broker storage through real clients: every record acknowledged with
acks=all under a flush-per-message policy survives kill -9; a torn segment
tail is cut at restart and the log goes on at the right offset; roll and
retention with small settings; Kafka's files after a clean stop."""
import glob
import os
import threading
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def wait_until(pred, timeout=15.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def consume_all(bootstrap, topic, partition=0, expect=None, timeout=20):
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      consumer_timeout_ms=3000, auto_offset_reset="earliest")
    tp = TopicPartition(topic, partition)
    c.assign([tp])
    c.seek_to_beginning(tp)
    out = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = c.poll(timeout_ms=500)
        for recs in batch.values():
            for r in recs:
                out[r.offset] = r.value
        if expect is not None and len(out) >= expect:
            break
        if not batch and expect is None:
            break
    end = c.end_offsets([tp])[tp]
    begin = c.beginning_offsets([tp])[tp]
    c.close()
    return out, begin, end


def test_acked_records_survive_kill9(broker_factory):
    """flush.messages=1 and acks=all: a record is acknowledged only after its
    fdatasync, so after kill -9 in the middle of producing every
    acknowledged record is there (and offsets are dense)."""
    b = broker_factory(extra={"log.flush.interval.messages": 1, "num.partitions": 1})
    acked = {}
    stop = threading.Event()
    errors = []

    def produce():
        p = KafkaProducer(bootstrap_servers=b.bootstrap, acks="all", linger_ms=0,
                          retries=0, max_in_flight_requests_per_connection=5,
                          request_timeout_ms=5000)
        i = 0
        futs = []
        while not stop.is_set():
            v = f"v{i}".encode()
            futs.append((v, p.send("dur", v)))
            i += 1
            if len(futs) >= 20:
                for v, f in futs:
                    try:
                        md = f.get(timeout=10)
                        acked[md.offset] = v
                    except Exception as e:  # the broker died: not acknowledged
                        errors.append(e)
                futs = []
        p.close(timeout=1)

    t = threading.Thread(target=produce, daemon=True)
    t.start()
    wait_until(lambda: len(acked) >= 300, timeout=30, what="300 acknowledged records")
    b.kill9()
    b.expect_exit = -9
    stop.set()
    t.join(timeout=30)
    n_acked = len(acked)
    assert n_acked >= 300
    b.start()
    b.expect_exit = None
    got, begin, end = consume_all(b.bootstrap, "dur", expect=max(acked) + 1)
    assert begin == 0
    assert end >= max(acked) + 1
    missing = [o for o, v in acked.items() if got.get(o) != v]
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
    # offsets are dense: nothing between 0 and the end is missing
    assert sorted(got) == list(range(len(got)))


def test_torn_tail_recovers(broker_factory):
    """Garbage after the last batch of the active segment (a crash in the
    middle of a write): the restarted broker cuts it, keeps every record
    before it, and goes on at the next offset."""
    b = broker_factory(extra={"num.partitions": 1})
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1, linger_ms=0)
    for i in range(50):
        p.send("torn", f"r{i}".encode()).get(timeout=10)
    p.close()
    b.kill9()
    b.expect_exit = -9
    seg = sorted(glob.glob(os.path.join(b.log_dir, "torn-0", "*.log")))[-1]
    size = os.path.getsize(seg)
    with open(seg, "ab") as f:
        f.write(b"\x00\x00\x00\x00\x00\x00\x00\x32\x00\x00\x01\x00torn-batch-garbage")
    b.start()
    b.expect_exit = None
    assert os.path.getsize(seg) == size            # cut back to the last good batch
    got, _, end = consume_all(b.bootstrap, "torn", expect=50)
    assert end == 50
    assert [got[i] for i in range(50)] == [f"r{i}".encode() for i in range(50)]
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1)
    md = p.send("torn", b"after").get(timeout=10)
    p.close()
    assert md.offset == 50


def test_roll_and_retention(broker_factory):
    """Small segment and retention settings: segments roll by size, old ones
    are deleted by retention.bytes, the log start offset moves on and the
    consumer sees it."""
    b = broker_factory(extra={"num.partitions": 1, "log.segment.bytes": 4096,
                              "log.retention.bytes": 16384,
                              "log.retention.check.interval.ms": 300})
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1, linger_ms=0,
                      batch_size=1)
    futs = [p.send("ret", b"x" * 200) for _ in range(400)]
    p.flush(timeout=30)
    assert sorted(f.get(timeout=10).offset for f in futs) == list(range(400))
    p.close()
    d = os.path.join(b.log_dir, "ret-0")

    def few_segments():
        logs = glob.glob(os.path.join(d, "*.log"))
        return len(logs) <= 6 and logs
    wait_until(few_segments, timeout=20, what="retention deleting old segments")
    for f in glob.glob(os.path.join(d, "*.log")):
        name = os.path.basename(f)
        assert len(name) == 24 and name[:20].isdigit()
        assert os.path.exists(f[:-4] + ".index") and os.path.exists(f[:-4] + ".timeindex")
    wait_until(lambda: not glob.glob(os.path.join(d, "*.deleted")), what="unlink off-loop")

    # retention has settled when two passes in a row keep the same segments
    def settled():
        a = sorted(glob.glob(os.path.join(d, "*.log")))
        time.sleep(1.0)
        return a == sorted(glob.glob(os.path.join(d, "*.log")))
    wait_until(settled, timeout=20, what="retention settled")
    first = int(os.path.basename(sorted(glob.glob(os.path.join(d, "*.log")))[0])[:20])
    got, begin, end = consume_all(b.bootstrap, "ret", expect=400 - first)
    assert end == 400, (begin, end)
    assert begin == first and begin > 0, (begin, first)
    missing = set(range(begin, end)) - set(got)
    assert not missing, f"{len(missing)} offsets missing above the log start {begin}"


def test_kafka_files_after_clean_stop(broker_factory):
    """After SIGTERM: the clean-shutdown marker, Kafka's checkpoint files
    with the partition's offsets, meta.properties; the next start skips
    recovery and serves the same data."""
    b = broker_factory(extra={"num.partitions": 2})
    p = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1)
    for i in range(30):
        p.send("files", f"{i}".encode(), partition=i % 2).get(timeout=10)
    p.close()
    assert b.stop() == 0
    root = b.log_dir
    assert os.path.exists(os.path.join(root, ".kafka_cleanshutdown"))
    with open(os.path.join(root, "meta.properties")) as f:
        meta = f.read()
    assert "version=0" in meta and "broker.id=0" in meta and "cluster.id=" in meta
    with open(os.path.join(root, "recovery-point-offset-checkpoint")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "0" and int(lines[1]) == len(lines) - 2
    rows = {tuple(l.split()[:2]): int(l.split()[2]) for l in lines[2:]}
    assert rows[("files", "0")] == 15 and rows[("files", "1")] == 15
    with open(os.path.join(root, "replication-offset-checkpoint")) as f:
        assert "files 0 15" in f.read()
    assert os.path.exists(os.path.join(root, "log-start-offset-checkpoint"))
    assert os.path.exists(os.path.join(root, "files-0", "leader-epoch-checkpoint"))
    assert glob.glob(os.path.join(root, "files-0", "*.snapshot"))
    b.start()
    assert not os.path.exists(os.path.join(root, ".kafka_cleanshutdown"))
    got, _, end = consume_all(b.bootstrap, "files", partition=1, expect=15)
    assert end == 15 and len(got) == 15
