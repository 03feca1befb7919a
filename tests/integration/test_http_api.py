"""The broker's HTTP listener: embedded UI files, /api/v1 JSON built from
real broker state (data produced by kcat), /metrics, security headers,
read-only enforcement and hostile requests."""
import json
import socket
import subprocess
import urllib.error
import urllib.request

import pytest


def get(broker, path, method="GET", data=None):
    req = urllib.request.Request(f"http://127.0.0.1:{broker.http_port}{path}",
                                 method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def kcat_produce(broker, topic, lines, key_delim=None):
    args = ["kcat", "-P", "-b", broker.bootstrap, "-t", topic]
    if key_delim:
        args += ["-K", key_delim]
    subprocess.run(args, input="\n".join(lines) + "\n", text=True, check=True,
                   timeout=60)


def test_ui_files_and_security_headers(broker):
    status, h, body = get(broker, "/")
    assert status == 200 and b"<title>odradek</title>" in body
    assert h["Content-Type"].startswith("text/html")
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    status, h, body = get(broker, "/app.js")
    assert status == 200 and h["Content-Type"].startswith("text/javascript")
    status, _, body = get(broker, "/nope.html")
    assert status == 404 and json.loads(body)["error"]


def test_cluster_and_topics_reflect_real_data(broker):
    status, _, body = get(broker, "/api/v1/cluster")
    c = json.loads(body)
    assert status == 200 and c["brokers"][0]["port"] == broker.port
    assert c["controller_id"] == c["brokers"][0]["id"]
    kcat_produce(broker, "web-a", [f"m{i}" for i in range(250)])
    kcat_produce(broker, "web-b", ["k1:v1", "k2:v2"], key_delim=":")
    status, _, body = get(broker, "/api/v1/topics?filter=web-")
    t = {x["name"]: x for x in json.loads(body)["topics"]}
    assert set(t) == {"web-a", "web-b"}
    assert t["web-a"]["messages"] == 250 and t["web-b"]["messages"] == 2
    assert t["web-a"]["bytes"] > 250 * 2
    status, _, body = get(broker, "/api/v1/topics?limit=1&filter=web-")
    page = json.loads(body)
    assert page["total"] == 2 and [x["name"] for x in page["topics"]] == ["web-a"]
    status, _, body = get(broker, "/api/v1/topics/web-a")
    d = json.loads(body)
    p0 = d["partitions"][0]
    assert p0["high_watermark"] == 250 and p0["log_start_offset"] == 0
    assert p0["segments"] and p0["segments"][0]["base_offset"] == 0
    assert get(broker, "/api/v1/topics/no-such-topic")[0] == 404
    assert get(broker, "/api/v1/topics?limit=0")[0] == 400


def test_metrics_prometheus_text(broker):
    kcat_produce(broker, "metered", ["a", "b", "c"])
    status, h, body = get(broker, "/metrics")
    text = body.decode()
    assert status == 200 and h["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'odradek_log_end_offset{topic="metered",partition="0"} 3' in text
    assert "# TYPE odradek_broker_requests_total counter" in text
    reqs = [l for l in text.splitlines() if l.startswith("odradek_broker_requests_total ")]
    assert int(reqs[0].split()[1]) > 0


def test_read_only_and_hostile_requests(broker):
    assert get(broker, "/api/v1/cluster", method="POST", data=b"{}")[0] == 405
    assert get(broker, "/api/v1/topics", method="DELETE")[0] == 405
    assert get(broker, "/api/v1/nothing-here")[0] == 404
    s = socket.create_connection(("127.0.0.1", broker.http_port), timeout=10)
    s.sendall(b"GARBAGE\r\n\r\n")
    reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    s.close()
    s = socket.create_connection(("127.0.0.1", broker.http_port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n")
    reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413")
    s.close()
    # the Kafka side is unaffected
    kcat_produce(broker, "after-garbage", ["ok"])
    assert json.loads(get(broker, "/api/v1/topics/after-garbage")[2])["partitions"][0]["high_watermark"] == 1


def test_keep_alive_pipelining(broker):
    s = socket.create_connection(("127.0.0.1", broker.http_port), timeout=10)
    s.sendall(b"GET /api/v1/cluster HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert data.index(b"cluster_id") < data.index(b"odradek_broker_requests_total")


def messages(broker, topic, part=0, **q):
    qs = "&".join(f"{k}={v}" for k, v in q.items())
    status, _, body = get(broker, f"/api/v1/topics/{topic}/partitions/{part}/messages?{qs}")
    return status, json.loads(body)


def test_message_browser_seek_and_decode(broker):
    import base64
    import time
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=broker.bootstrap, compression_type="gzip",
                      linger_ms=5)
    t0 = int(time.time() * 1000)
    for i in range(300):
        p.send("browse", key=f"k{i}".encode(), value=f"value-{i}".encode(),
               headers=[("h", f"{i}".encode())], timestamp_ms=t0 + i)
    p.flush()
    p.close()
    status, page = messages(broker, "browse", limit=10)
    assert status == 200 and page["high_watermark"] == 300
    got = page["messages"]
    assert [m["offset"] for m in got] == list(range(10))
    assert base64.b64decode(got[3]["key"]) == b"k3"
    assert base64.b64decode(got[3]["value"]) == b"value-3"
    assert got[3]["headers"] == [{"key": "h", "value": base64.b64encode(b"3").decode()}]
    assert got[3]["timestamp"] == t0 + 3 and page["next_offset"] == 10
    status, page = messages(broker, "browse", offset=155, limit=3)
    assert [m["offset"] for m in page["messages"]] == [155, 156, 157]
    status, page = messages(broker, "browse", timestamp=t0 + 200, limit=1)
    assert page["messages"][0]["offset"] == 200
    status, page = messages(broker, "browse", newest=2)
    assert [m["offset"] for m in page["messages"]] == [298, 299]
    status, page = messages(broker, "browse", offset=0, limit=1, max_value=3)
    m = page["messages"][0]
    assert m["truncated"] and base64.b64decode(m["value"]) == b"val" and m["value_size"] == 7
    assert messages(broker, "browse", part=7)[0] == 404
    assert messages(broker, "browse", limit=0)[0] == 400


def test_message_page_on_a_large_topic_is_fast(broker):
    subprocess.run(["kcat", "-P", "-b", broker.bootstrap, "-t", "big", "-z", "lz4"],
                   input="".join(f"message number {i}\n" for i in range(200000)),
                   text=True, check=True, timeout=120)
    import time
    worst = 0.0
    for off in (0, 77777, 199990, 123456):
        t = time.monotonic()
        status, page = messages(broker, "big", offset=off, limit=50)
        worst = max(worst, time.monotonic() - t)
        assert status == 200 and page["messages"][0]["offset"] == off
    assert worst < 0.5, worst  # sanitizer build; plain builds are far faster
