"""Download of a partition range as NDJSON or CSV: exact content of records
produced by kafka-python (keys, values, headers, compressed batches), ranges,
text and base64 encodings, CSV quoting, a client that stops reading midway
(the broker holds about one chunk, keeps serving and exits cleanly), the
http.allow.export switch."""
import base64
import csv
import io
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request


def fetch(broker, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{broker.http_port}{path}",
                                    timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def produce(broker, topic, n, **kw):
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, **kw)
    for i in range(n):
        value = None if i % 97 == 5 else f'value {i}, "quoted"\nline2'.encode()
        p.send(topic, key=f"k{i}".encode() if has_key(i) else None, value=value,
               headers=[("h", f"{i}".encode()), ("bin", bytes([i % 256, 255]))])
    p.flush()
    p.close()


def has_key(i):
    return i % 2 == 1 or i % 97 == 5  # kafka-python refuses a null key and value


def expected_value(i):
    return None if i % 97 == 5 else f'value {i}, "quoted"\nline2'


def test_ndjson_whole_partition_and_ranges(broker):
    produce(broker, "exp", 5000, compression_type="gzip", linger_ms=20)
    status, h, body = fetch(broker, "/api/v1/topics/exp/partitions/0/export")
    assert status == 200 and h["Content-Type"] == "application/x-ndjson"
    assert 'filename="partition-0-0-5000.ndjson"' in h["Content-Disposition"]
    lines = body.decode().splitlines()
    assert len(lines) == 5000
    for i in (0, 1, 5, 102, 4999):
        r = json.loads(lines[i])
        assert r["offset"] == i and r["partition"] == 0 and r["timestamp"] > 0
        assert r["key"] == (f"k{i}" if has_key(i) else None)
        assert r["value"] == expected_value(i)
        assert r["headers"][0] == {"key": "h", "value": f"{i}"}
    status, _, body = fetch(broker, "/api/v1/topics/exp/partitions/0/export?from=1234&to=1240&encoding=base64")
    recs = [json.loads(l) for l in body.decode().splitlines()]
    assert [r["offset"] for r in recs] == list(range(1234, 1240))
    assert base64.b64decode(recs[0]["headers"][1]["value"]) == bytes([1234 % 256, 255])
    assert base64.b64decode(recs[1]["key"]) == b"k1235"
    assert fetch(broker, "/api/v1/topics/exp/partitions/0/export?format=xml")[0] == 400
    assert fetch(broker, "/api/v1/topics/exp/partitions/0/export?from=-1")[0] == 400
    assert fetch(broker, "/api/v1/topics/exp/partitions/9/export")[0] == 404
    # to beyond the end stops at the high watermark; an empty range is empty
    status, _, body = fetch(broker, "/api/v1/topics/exp/partitions/0/export?from=4998&to=99999")
    assert [json.loads(l)["offset"] for l in body.decode().splitlines()] == [4998, 4999]
    assert fetch(broker, "/api/v1/topics/exp/partitions/0/export?from=5000")[2] == b""


def test_csv_quoting(broker):
    produce(broker, "expcsv", 300)
    status, h, body = fetch(broker, "/api/v1/topics/expcsv/partitions/0/export?format=csv")
    assert status == 200 and h["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert rows[0] == ["partition", "offset", "timestamp", "key", "value"]
    assert len(rows) == 301
    for i in (0, 3, 5, 102, 299):
        row = rows[i + 1]
        assert row[1] == str(i) and row[3] == (f"k{i}" if has_key(i) else "")
        assert row[4] == (expected_value(i) or "")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]


def test_slow_reader_is_bounded_and_broker_keeps_serving(broker_factory):
    # a sanitizer build keeps freed blocks in quarantine: keep it small so RSS
    # shows what the broker holds
    asan = os.environ.get("ASAN_OPTIONS", "")
    broker = broker_factory(env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=4"})
    big = "x" * 2000
    subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", "expbig", "-z", "lz4"],
                   input="".join(f"{i} {big}\n" for i in range(20000)), text=True,
                   check=True, timeout=120)
    fetch(broker, "/api/v1/topics/expbig/partitions/0/export?to=2000")  # warm up
    before = rss_kib(broker.proc.pid)
    s = socket.create_connection(("127.0.0.1", broker.http_port), timeout=10)
    s.sendall(b"GET /api/v1/topics/expbig/partitions/0/export HTTP/1.1\r\nHost: x\r\n\r\n")
    head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200")
    time.sleep(1.0)  # the client reads nothing: the broker must stop at its backlog
    stalled = rss_kib(broker.proc.pid)
    # the whole export is 42 MB of JSON; the broker holds about a chunk and
    # its backlog (3 MiB), the kernel's socket buffers hold some more
    assert stalled - before < 16 * 1024, (before, stalled)
    status, _, body = fetch(broker, "/api/v1/topics/expbig")
    assert status == 200 and json.loads(body)["partitions"][0]["high_watermark"] == 20000
    got = head
    s.settimeout(30)
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    s.close()
    body = got.split(b"\r\n\r\n", 1)[1]
    lines = body.splitlines()
    assert len(lines) == 20000 and json.loads(lines[-1])["offset"] == 19999
    # a client that disconnects midway
    s = socket.create_connection(("127.0.0.1", broker.http_port), timeout=10)
    s.sendall(b"GET /api/v1/topics/expbig/partitions/0/export HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(65536)
    s.close()
    assert fetch(broker, "/api/v1/cluster")[0] == 200


def test_export_switch(broker_factory):
    b = broker_factory(extra={"http.allow.export": "false"})
    produce(b, "noexp", 3)
    status, _, body = fetch(b, "/api/v1/topics/noexp/partitions/0/export")
    assert status == 403 and "http.allow.export" in json.loads(body)["error"]
    assert json.loads(fetch(b, "/api/v1/cluster")[2])["ui"]["allow_export"] is False
