"""Live tail and search over Server-Sent Events (kf_http_stream.c,
docs/API.md, live tail and search): events parsed off a raw socket, records produced by
kcat and kafka-python (with headers), exact offsets asserted.

Covers: a tail sees a kcat record within a deadline (and the append ->
event latency of kafka-python records is measured), partitions, from= and
positions=; a reader that does not read gets records dropped and counted,
and received + dropped == produced; substring / regex / filter searches
find exactly the right records; the record, byte and match bounds stop a
search with a resume token that finds the rest; closing a search stops the
scan; bad queries answer 400; the stream cap answers 503; the broker stops
cleanly (exit 0, no leak under ASan) with streams open."""
import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


class SSE:
    """One Server-Sent Events stream over a raw socket."""

    def __init__(self, port, path, rcvbuf=None, timeout=10.0):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       f"Accept: text/event-stream\r\n\r\n".encode())
        self.buf = b""
        self.eof = False
        self.head = None
        self.status = None

    def _fill(self, deadline):
        self.s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = self.s.recv(1 << 16)
        except socket.timeout:
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def open(self, timeout=10.0):
        """Reads the response head; returns the status (body parsed on errors)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            if not self._fill(deadline) and (self.eof or time.monotonic() > deadline):
                raise AssertionError(f"no response head: {self.buf[:200]!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        self.status = int(self.head.split()[1])
        if self.status != 200:
            m = re.search(r"Content-Length: (\d+)", self.head)
            while len(self.buf) < int(m.group(1)) and self._fill(deadline):
                pass
            self.error = json.loads(self.buf)["error"]
        else:
            assert "text/event-stream" in self.head
        return self.status

    def next(self, timeout=10.0):
        """The next (event, data) or None at end of stream / timeout."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                ev, data = "message", []
                for line in block.decode().split("\n"):
                    if line.startswith("event: "):
                        ev = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                if data:
                    return ev, json.loads("\n".join(data))
            if self.eof or time.monotonic() > deadline:
                return None
            self._fill(deadline)

    def until(self, event, timeout=10.0):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            e = self.next(deadline - time.monotonic())
            if e is None:
                break
            seen.append(e)
            if e[0] == event:
                return e[1], seen
        raise AssertionError(f"no {event} event; saw {[x[0] for x in seen]}")

    def all(self, timeout=30.0):
        """Every event until the server closes the stream."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            e = self.next(deadline - time.monotonic())
            if e is None:
                assert self.eof, f"stream did not end in {timeout}s"
                return out
            out.append(e)

    def close(self):
        self.s.close()


def stream(broker, path, **kw):
    s = SSE(broker.http_port, path, **kw)
    assert s.open() == 200, getattr(s, "error", s.head)
    return s


def http_get(broker, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{broker.http_port}{path}",
                                    timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metric(broker, name):
    _, body = http_get(broker, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def kcat(broker, topic, lines, *extra):
    subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", topic, *extra],
                   input="\n".join(lines) + "\n", text=True, check=True, timeout=120)


def b64(s):
    return None if s is None else base64.b64decode(s)


def search(broker, topic, q, **params):
    qs = urllib.parse.urlencode({"q": q, **params})
    return stream(broker, f"/api/v1/topics/{topic}/search?{qs}")


def search_all(broker, topic, q, **params):
    """(matched offsets, done event, every event) of one search."""
    ev = search(broker, topic, q, **params).all()
    assert ev[0][0] == "start" and ev[-1][0] == "done", [e[0] for e in ev]
    return [(d["partition"], d["offset"]) for e, d in ev if e == "match"], ev[-1][1], ev


# ---- tail -------------------------------------------------------------------

def test_tail_sees_kcat_record_and_latency(broker):
    kcat(broker, "tailed", ["before"])
    t = stream(broker, "/api/v1/topics/tailed/tail")
    start, _ = t.until("start")
    assert start["partitions"] == [{"partition": 0, "offset": 1}]  # from=end
    t0 = time.monotonic()
    kcat(broker, "tailed", ["k1:hello from kcat"], "-K", ":")
    msg, seen = t.until("message", timeout=5)
    took = time.monotonic() - t0
    assert b64(msg["key"]) == b"k1" and b64(msg["value"]) == b"hello from kcat"
    assert msg["offset"] == 1 and msg["partition"] == 0
    assert took < 5, took

    # append -> event latency: a kafka-python send acknowledged (acks=1:
    # appended) to the event read off the socket
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, acks=1, linger_ms=0)
    lat = []
    for i in range(20):
        t0 = time.monotonic()
        p.send("tailed", value=f"lat-{i}".encode()).get(timeout=10)
        msg, _ = t.until("message", timeout=5)
        lat.append(time.monotonic() - t0)
        assert b64(msg["value"]) == f"lat-{i}".encode()
    p.close()
    lat.sort()
    print(f"\ntail latency produce->event: median {lat[10]*1000:.0f} ms, "
          f"max {lat[-1]*1000:.0f} ms")
    assert lat[10] < 0.5 and lat[-1] < 1.5, lat
    t.close()


def test_tail_partitions_from_and_positions(broker_factory):
    broker = broker_factory(extra={"num.partitions": 3})
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for i in range(30):
        p.send("tp3", value=f"v{i}".encode(), partition=i % 3)
    p.flush()
    t = stream(broker, "/api/v1/topics/tp3/tail?from=earliest")
    start, _ = t.until("start")
    assert sorted(x["partition"] for x in start["partitions"]) == [0, 1, 2]
    got = set()
    while len(got) < 30:
        ev = t.next(5)
        assert ev is not None, f"only {len(got)} of 30"
        if ev[0] == "message":
            got.add((ev[1]["partition"], b64(ev[1]["value"])))
    assert got == {(i % 3, f"v{i}".encode()) for i in range(30)}
    t.close()

    t = stream(broker, "/api/v1/topics/tp3/tail?partition=1&from=latest-2")
    vals = []
    for _ in range(2):
        msg, _ = t.until("message")
        vals.append((msg["partition"], msg["offset"], b64(msg["value"])))
    assert vals == [(1, 8, b"v25"), (1, 9, b"v28")]
    p.send("tp3", value=b"new-on-2", partition=2)
    p.send("tp3", value=b"new-on-1", partition=1)
    p.flush()
    msg, _ = t.until("message")
    assert (msg["partition"], b64(msg["value"])) == (1, b"new-on-1")
    t.close()

    # the page's resume after a pause: positions= per partition
    t = stream(broker, "/api/v1/topics/tp3/tail?positions=2:10,0:10")
    start, _ = t.until("start")
    assert start["partitions"] == [{"partition": 2, "offset": 10},
                                   {"partition": 0, "offset": 10}]
    msg, _ = t.until("message")
    assert (msg["partition"], msg["offset"], b64(msg["value"])) == (2, 10, b"new-on-2")
    p.close()
    t.close()
    for bad in ("from=nope", "partition=7", "positions=9:1", "positions=0:x",
                "positions=0:1,0:2", "max_value=-1"):
        s = SSE(broker.http_port, f"/api/v1/topics/tp3/tail?{bad}")
        assert s.open() == 400 and s.error, bad
        s.close()
    s = SSE(broker.http_port, "/api/v1/topics/nope/tail")
    assert s.open() == 404
    req = urllib.request.Request(f"http://127.0.0.1:{broker.http_port}/api/v1/topics/tp3/tail",
                                 method="HEAD")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405


def test_tail_follows_new_partitions_and_ends_on_delete(broker):
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewPartitions
    kcat(broker, "grows", ["p0-first"])
    t = stream(broker, "/api/v1/topics/grows/tail")
    start, _ = t.until("start")
    assert start["partitions"] == [{"partition": 0, "offset": 1}]
    a = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    a.create_partitions({"grows": NewPartitions(2)})
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    p.send("grows", value=b"on-the-new-partition", partition=1).get(timeout=10)
    p.close()
    msg, _ = t.until("message")
    assert (msg["partition"], msg["offset"], b64(msg["value"])) == \
        (1, 0, b"on-the-new-partition")
    a.delete_topics(["grows"])
    a.close()
    end, _ = t.until("end")
    assert end == {"reason": "topic deleted"}
    assert t.next(5) is None and t.eof
    t.close()


def test_tail_slow_reader_drops_and_counts(broker):
    kcat(broker, "firehose", ["x"])
    t = stream(broker, "/api/v1/topics/firehose/tail?max_value=65536", rcvbuf=4096)
    t.until("start")
    n = 4000
    value = "y" * 8000  # ~10.7 KB an event: ~43 MB against a 1 MiB backlog
    kcat(broker, "firehose", [f"{i:06d}{value}" for i in range(n)])
    deadline = time.monotonic() + 20
    while metric(broker, "odradek_http_tail_dropped_total") == 0:  # before reading
        assert time.monotonic() < deadline, "nothing dropped for a reader that does not read"
        time.sleep(0.1)
    received, dropped, offsets = 0, 0, []
    deadline = time.monotonic() + 60
    while received + dropped < n and time.monotonic() < deadline:
        ev = t.next(5)
        assert ev is not None, (received, dropped)
        if ev[0] == "message":
            received += 1
            offsets.append(ev[1]["offset"])
            assert b64(ev[1]["value"])[6:] == value.encode()
        elif ev[0] == "dropped":
            assert ev[1]["dropped"] >= dropped  # a running total
            dropped = ev[1]["dropped"]
    with open(f"/proc/{broker.pid}/status") as st:
        rss = {k: v.strip() for k, v in (l.split(":", 1) for l in st)}
    print(f"\nslow reader: {received} received, {dropped} dropped of {n}; "
          f"broker VmHWM {rss['VmHWM']}, VmRSS {rss['VmRSS']}")
    assert dropped > 0 and received > 0
    assert received + dropped == n
    assert offsets == sorted(offsets) and len(set(offsets)) == received
    t.close()


def test_stream_cap_and_broker_stop_with_streams_open(broker):
    kcat(broker, "capped", ["a"])
    open_ = [stream(broker, "/api/v1/topics/capped/tail") for _ in range(16)]
    for s in open_:
        s.until("start")
    s = SSE(broker.http_port, "/api/v1/topics/capped/tail")
    assert s.open() == 503 and "too many" in s.error
    s.close()
    assert metric(broker, "odradek_http_streams") == 16
    open_.pop().close()
    deadline = time.monotonic() + 5
    while True:
        s = SSE(broker.http_port, "/api/v1/topics/capped/search?q=a")
        if s.open() == 200 or time.monotonic() > deadline:
            break
        s.close()
    assert s.status == 200
    s.close()
    # the broker stops with 15 tails open (and one stream closing):
    # exit 0, and (ASan builds) no leak report
    assert broker.stop() == 0
    broker.assert_clean()
    for x in open_:
        assert x.next(5) is None and x.eof
        x.close()


# ---- search -----------------------------------------------------------------

COLORS = ["red", "green", "blue"]


@pytest.fixture
def searchable(broker):
    """1000 records on 'hay' (one partition: offset == i) from kafka-python:
    key k<i>, JSON value, headers trace=t<i> (+ special=yes every 97th);
    'needle' in the values of 5, 500, 777 and a header of 321."""
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=20,
                      compression_type="gzip")
    for i in range(1000):
        v = {"n": i, "color": COLORS[i % 3]}
        if i in (5, 500, 777):
            v["text"] = "a needle here"
        headers = [("trace", f"t{i}".encode())]
        if i % 97 == 0:
            headers.append(("special", b"yes"))
        if i == 321:
            headers.append(("note", b"hdr-needle"))
        p.send("hay", key=f"k{i}".encode(), value=json.dumps(v).encode(),
               headers=headers)
    p.flush()
    p.close()
    return broker


def offsets(matches):
    return sorted(o for _, o in matches)


def test_search_substring_regex_filter(searchable):
    b = searchable
    m, done, ev = search_all(b, "hay", "needle")
    assert offsets(m) == [5, 321, 500, 777]
    assert done["reason"] == "complete" and done["resume"] is None
    assert done["scanned_records"] == 1000 and done["matches"] == 4
    start = ev[0][1]
    assert start["records"] == 1000
    assert start["partitions"] == [{"partition": 0, "offset": 0, "end": 1000}]
    first = next(d for e, d in ev if e == "match")
    assert b64(first["key"]) == b"k5" and json.loads(b64(first["value"]))["n"] == 5
    assert {"key": "trace", "value": base64.b64encode(b"t5").decode()} in first["headers"]

    assert offsets(search_all(b, "hay", "needle", **{"in": "value"})[0]) == [5, 500, 777]
    assert offsets(search_all(b, "hay", "needle", **{"in": "headers"})[0]) == [321]
    assert offsets(search_all(b, "hay", "k77", **{"in": "key"})[0]) == [77] + list(range(770, 780))

    assert offsets(search_all(b, "hay", r"^k(12|345)$", mode="regex", **{"in": "key"})[0]) == [12, 345]
    assert offsets(search_all(b, "hay", r'"n": 9[0-9]{2},', mode="regex")[0]) == list(range(900, 1000))
    assert offsets(search_all(b, "hay", r"^t99[5-9]$", mode="regex", **{"in": "headers"})[0]) == \
        [995, 996, 997, 998, 999]

    f = lambda q: offsets(search_all(b, "hay", q, mode="filter")[0])  # noqa: E731
    assert f("header.special = yes") == [i for i in range(1000) if i % 97 == 0]
    assert f("header.special = yes and offset >= 300 and offset < 700") == [388, 485, 582, 679]
    assert f("key = k42 or key = k43 or header.note contains needle") == [42, 43, 321]
    assert f('value contains "\\"color\\": \\"blue\\"" and offset < 12') == [2, 5, 8, 11]
    assert f("value ~ needle and key !~ ^k[0-9]$") == [500, 777]
    assert f("header.trace = t7") == [7]
    assert f("header.trace != t7 and offset <= 8") == [0, 1, 2, 3, 4, 5, 6, 8]
    assert f("partition = 0 and size > 43") == \
        [i for i in range(1000) if len(f"k{i}") + len(json.dumps(
            {"n": i, "color": COLORS[i % 3], **({"text": "a needle here"} if i in (5, 500, 777) else {})})) > 43]
    assert f("timestamp > 0 and offset > 997") == [998, 999]
    # inside JSON values
    assert f("value.n >= 995") == [995, 996, 997, 998, 999]
    assert f("value.color = blue and value.n < 10") == [2, 5, 8]
    assert f("value.text contains needle") == [5, 500, 777]
    assert f("value.n = 7.0 or value.n ~ ^99[89]$") == [7, 998, 999]
    assert f("value.missing != x and offset < 2") == [0, 1]
    assert f("key.n = 1") == []  # keys are not JSON


def test_search_bounds_and_resume(searchable):
    b = searchable
    # a record budget: 100 records at a time; the resume token continues
    found, rounds, scanned, token = [], 0, 0, None
    while True:
        params = {"max_records": 100}
        if token:
            params["resume"] = token
        m, done, _ = search_all(b, "hay", "needle", **params)
        found += offsets(m)
        scanned += done["scanned_records"]
        rounds += 1
        assert done["scanned_records"] <= 100
        if done["reason"] == "complete":
            assert done["resume"] is None
            break
        assert done["reason"] == "max_records" and done["resume"], done
        token = done["resume"]
        assert rounds < 20
    assert found == [5, 321, 500, 777] and scanned == 1000 and rounds == 10

    # a match limit: one at a time
    found, token = [], None
    for _ in range(6):
        params = {"limit": 1, **({"resume": token} if token else {})}
        m, done, _ = search_all(b, "hay", "needle", **params)
        found += offsets(m)
        token = done["resume"]
        if token is None:
            break
        assert done["reason"] == "limit"
    assert found == [5, 321, 500, 777]

    # a byte budget stops after the first batch(es), with a token
    m, done, ev = search_all(b, "hay", "needle", max_bytes=1)
    assert done["reason"] == "max_bytes" and 0 < done["scanned_records"] < 1000
    assert done["resume"].startswith("0:") and done["resume"].endswith(":1000")
    progress = [d for e, d in ev if e == "progress"]
    assert progress and progress[-1]["positions"][0]["offset"] == \
        int(done["resume"].split(":")[1])
    rest, done2, _ = search_all(b, "hay", "needle", resume=done["resume"])
    assert sorted(offsets(m) + offsets(rest)) == [5, 321, 500, 777]
    assert done["scanned_records"] + done2["scanned_records"] == 1000

    # from=
    assert offsets(search_all(b, "hay", "needle", **{"from": "latest-300"})[0]) == [777]
    assert offsets(search_all(b, "hay", "needle", **{"from": "offset:321"})[0]) == [321, 500, 777]


def test_search_bad_requests(searchable):
    b = searchable
    for q, params, want in [
        ("(", {"mode": "regex"}, "regular expression"),
        ("a\\1", {"mode": "regex"}, "back-references"),
        ("(a{100}){100}", {"mode": "regex"}, "too complex"),
        ("a" + "+" * 20, {"mode": "regex"}, "stacked"),
        ("(" * 11 + "a" + ")+" * 11, {"mode": "regex"}, "too complex"),
        ("(" * 40 + "a" + ")" * 40, {"mode": "regex"}, "nested deeper"),
        ("foo = 1", {"mode": "filter"}, "unknown field"),
        ("offset ~ 1", {"mode": "filter"}, "does not apply"),
        ("key = k1 and", {"mode": "filter"}, "term is expected"),
        ("key ~ (", {"mode": "filter"}, "regular expression"),
        ("offset > x", {"mode": "filter"}, "not an integer"),
        ("value.n > x", {"mode": "filter"}, "not a number"),
        ("value..n = 1", {"mode": "filter"}, "JSON path"),
        ("x", {"mode": "glob"}, "mode"),
        ("x", {"max_records": 0}, "max_records"),
        ("x", {"from": "sometime"}, "from"),
        ("x", {"resume": "0:5"}, "resume"),
        ("x", {"resume": "3:0:5"}, "resume"),
        ("x", {"in": "body"}, "in must"),
        ("", {}, "empty"),
    ]:
        qs = urllib.parse.urlencode({"q": q, **params})
        s = SSE(b.http_port, f"/api/v1/topics/hay/search?{qs}")
        assert s.open() == 400, (q, params)
        assert want in s.error, (q, params, s.error)
        s.close()
    s = SSE(b.http_port, "/api/v1/topics/hay/search")
    assert s.open() == 400 and "required" in s.error


def test_search_cancel_stops_the_scan(broker):
    # ~60 MB of log: a search that matches nothing takes seconds
    line = "z" * 600
    data = "\n".join(f"{i:08d}{line}" for i in range(100000)) + "\n"
    subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", "big"], input=data,
                   text=True, check=True, timeout=300)
    total = sum(os.path.getsize(os.path.join(broker.log_dir, "big-0", f))
                for f in os.listdir(os.path.join(broker.log_dir, "big-0"))
                if f.endswith(".log"))
    # a whole scan, for the figure (MB/s) and the progress events
    t0 = time.monotonic()
    m, done, ev = search_all(broker, "big", "never-there", max_ms=120000)
    took = time.monotonic() - t0
    assert m == [] and done["reason"] == "complete" and done["scanned_records"] == 100000
    assert [e for e, _ in ev if e == "progress"]
    t0 = time.monotonic()
    for f in os.listdir(os.path.join(broker.log_dir, "big-0")):
        if f.endswith(".log"):
            with open(os.path.join(broker.log_dir, "big-0", f), "rb") as fh:
                while fh.read(1 << 20):
                    pass
    cat = time.monotonic() - t0
    print(f"\nsearch: {total/took/1e6:.0f} MB/s ({total/1e6:.0f} MB in {took:.2f} s; "
          f"server {done['elapsed_ms']} ms); reading the files: {total/cat/1e6:.0f} MB/s")

    t0 = time.monotonic()
    m, done, _ = search_all(broker, "big", "never-there", mode="regex", max_ms=120000)
    took = time.monotonic() - t0
    assert m == [] and done["reason"] == "complete"
    print(f"regex 'never-there': {total/took/1e6:.0f} MB/s")

    # "z+y" costs O(n^2) per 600-byte value in glibc's regexec: a slow
    # scan, stopped by closing the stream (checked between records)
    before = metric(broker, "odradek_http_search_scanned_bytes_total")
    s = search(broker, "big", "z+y", mode="regex", max_ms=120000)
    s.until("progress")  # one every 250 ms at most, even for a slow regex
    s.close()
    t0 = time.monotonic()
    while metric(broker, "odradek_http_streams") != 0:
        assert time.monotonic() < t0 + 5, "the search still runs after close"
        time.sleep(0.02)
    print(f"search stopped {1000*(time.monotonic()-t0):.0f} ms after the close")
    a = metric(broker, "odradek_http_search_scanned_bytes_total")
    time.sleep(0.5)
    assert metric(broker, "odradek_http_search_scanned_bytes_total") == a
    assert a - before < total * 0.5, (a - before, total)

    # a time budget stops a slow scan, with a token that goes on from there
    t0 = time.monotonic()
    m, done, _ = search_all(broker, "big", "z+y", mode="regex", max_ms=700)
    took = time.monotonic() - t0
    assert done["reason"] == "max_ms" and done["resume"].startswith("0:"), done
    assert 0.7 <= took < 3, took
    assert 0 < done["scanned_records"] < 100000
    assert int(done["resume"].split(":")[1]) == done["scanned_records"]

    # the broker stops while a chunk is on the thread pool: exit 0, no leak
    s = search(broker, "big", "z+y", mode="regex", max_ms=120000)
    s.until("progress")
    assert broker.stop() == 0
    broker.assert_clean()
    rest = s.all(timeout=5)  # ends (eof) without a done event: cut
    assert s.eof and "done" not in [e for e, _ in rest]
    s.close()
