"""kcat (librdkafka 2.0.2) against odradek-broker: metadata, 10k keyed
messages both ways, offsets by time, and every compression codec, checked
in the stored segment files so a silent fallback to "no compression"
(librdkafka does that when Produce's minimum version is above 0) fails."""
import subprocess
import time

import pytest

from broker_fixtures import kbroker, kbroker_factory, segment_batches  # noqa: F401


def kcat(broker, *args, input=None, timeout=60):
    r = subprocess.run(["kcat", "-b", broker.bootstrap] + list(args),
                       input=input, capture_output=True, timeout=timeout)
    assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])
    return r.stdout.decode()


def test_metadata_lists_broker_as_controller(kbroker):
    out = kcat(kbroker, "-L")
    assert f"broker 0 at 127.0.0.1:{kbroker.port} (controller)" in out
    kcat(kbroker, "-P", "-t", "meta-t", input=b"x\n")
    out = kcat(kbroker, "-L", "-t", "meta-t")
    assert 'topic "meta-t" with 1 partitions' in out
    assert "partition 0, leader 0, replicas: 0, isrs: 0" in out


def test_produce_consume_10k_keyed(kbroker):
    msgs = "".join(f"key{i}:value-{i}\n" for i in range(10000)).encode()
    kcat(kbroker, "-P", "-t", "k10k", "-K:", input=msgs)
    out = kcat(kbroker, "-C", "-t", "k10k", "-o", "beginning", "-e", "-K:",
               "-f", "%k:%s:%o\n")
    lines = out.splitlines()
    assert len(lines) == 10000
    for i, line in enumerate(lines):
        assert line == f"key{i}:value-{i}:{i}", line
    # stored as record batches (magic 2), offsets contiguous from 0
    batches = segment_batches(kbroker.log_dir, "k10k")
    assert batches and all(b[1] == 2 for b in batches)
    assert sum(b[3] for b in batches) == 10000
    expect = 0
    for base, _, _, count in batches:
        assert base == expect
        expect += count


def test_offsets_by_time(kbroker):
    kcat(kbroker, "-P", "-t", "qt", input=b"a\nb\n")
    time.sleep(0.05)
    mid = int(time.time() * 1000)
    time.sleep(0.05)
    kcat(kbroker, "-P", "-t", "qt", input=b"c\nd\ne\n")
    out = kcat(kbroker, "-Q", "-t", f"qt:0:{mid}")
    assert "offset 2" in out, out
    out = kcat(kbroker, "-Q", "-t", "qt:0:-1")
    assert "offset 5" in out, out
    out = kcat(kbroker, "-Q", "-t", "qt:0:-2")
    assert "offset 0" in out, out
    out = kcat(kbroker, "-Q", "-t", f"qt:0:{int(time.time() * 1000) + 60000}")
    assert "offset -1" in out, out


@pytest.mark.parametrize("codec,bits", [("gzip", 1), ("snappy", 2),
                                        ("lz4", 3), ("zstd", 4)])
def test_every_codec_is_really_used(kbroker, codec, bits):
    topic = f"codec-{codec}"
    msgs = "".join(f"k{i}:{'payload-' * 20}{i}\n" for i in range(500)).encode()
    kcat(kbroker, "-P", "-t", topic, "-K:", "-z", codec, input=msgs)
    batches = segment_batches(kbroker.log_dir, topic)
    assert batches, "nothing stored"
    assert all(b[2] & 7 == bits for b in batches), batches
    out = kcat(kbroker, "-C", "-t", topic, "-o", "beginning", "-e", "-K:",
               "-f", "%k\n")
    assert out.splitlines() == [f"k{i}" for i in range(500)]


def test_librdkafka_uses_the_newest_versions_without_fallback(kbroker):
    """librdkafka silently falls back (ApiVersions v0, older Produce/Fetch)
    when an answer does not parse; its protocol debug log shows what it
    really used."""
    r = subprocess.run(["kcat", "-b", kbroker.bootstrap, "-P", "-t", "dbg",
                        "-X", "debug=protocol,feature"],
                       input=b"one\n", capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr[-2000:]
    err = r.stderr.decode()
    assert "Received ApiVersionResponse (v3" in err
    assert "Sent ApiVersionRequest (v0" not in err
    assert "Sent MetadataRequest (v4" in err
    assert "Sent ProduceRequest (v7" in err
    r = subprocess.run(["kcat", "-b", kbroker.bootstrap, "-C", "-t", "dbg",
                        "-o", "beginning", "-e", "-X", "debug=protocol"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout == b"one\n", r.stderr[-2000:]
    err = r.stderr.decode()
    assert "Sent FetchRequest (v11" in err


def test_consumer_offsets_topic_is_listed_once_used(kbroker):
    """The group coordinator creates __consumer_offsets partitions through
    the log manager; Metadata then lists the whole internal topic
    (offsets.topic.num.partitions, 4 in the fixture), as Kafka does."""
    kcat(kbroker, "-P", "-t", "gco", input=b"a\nb\n")
    out = kcat(kbroker, "-G", "g-co", "gco", "-e", "-o", "beginning",
               "-X", "auto.commit.interval.ms=100", timeout=60)
    assert out.splitlines() == ["a", "b"]
    out = kcat(kbroker, "-L")  # all topics: nothing auto-created
    assert 'topic "__consumer_offsets" with 4 partitions' in out, out
