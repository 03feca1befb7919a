"""Writes through the HTTP API (docs/API.md, writes): produce a message (seen
by kcat and kafka-python with its key, value, headers and partition; the
key picks the partition as Kafka's default partitioner does), create,
configure, grow and delete topics (checked with kafka-python's
KafkaAdminClient and in the coordination service), Kafka's refusals as
400/404/409/413, the read-only and per-action switches (403, nothing
changes), cross-origin and non-JSON writes refused, an audit line per
write in the broker's log."""
import base64
import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import api_json as api


def produce(broker, topic, **msg):
    return api(broker, f"/api/v1/topics/{topic}/messages", "POST", msg)


def admin(broker):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=broker.bootstrap)


def topic_partitions(broker, topic):
    a = admin(broker)
    try:
        d = a.describe_topics([topic])
    finally:
        a.close()
    return len(d[0]["partitions"]) if d and d[0]["error_code"] == 0 else None


def topic_configs(broker, topic):
    from kafka.admin import ConfigResource, ConfigResourceType
    a = admin(broker)
    try:
        r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        a.close()
    # DescribeConfigsResponse: resources [(error, msg, type, name, [(name, value, ...)])]
    entries = r[0].resources[0][4]
    return {e[0]: e[1] for e in entries}


def kcat_one(broker, topic, partition, offset):
    out = subprocess.run(["kcat", "-C", "-b", broker.bootstrap, "-t", topic, "-p",
                          str(partition), "-o", str(offset), "-c", "1", "-e",
                          "-f", "%k|%s|%h|%p|%o\n"],
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.strip()


def test_produce_then_consume_with_kcat_and_kafka_python(broker):
    st, res = api(broker, "/api/v1/topics", "POST", {"name": "pw", "partitions": 4})
    assert st == 201 and res["partitions"] == 4
    st, res = produce(broker, "pw", partition=2, key="k-1", value="hello from the UI",
                      headers=[{"key": "h1", "value": "v1"}, {"key": "trace", "value": "abc"}])
    assert st == 200, res
    assert res["partition"] == 2 and res["offset"] == 0 and res["timestamp"] > 0
    assert kcat_one(broker, "pw", 2, 0) == "k-1|hello from the UI|h1=v1,trace=abc|2|0"
    st, res = produce(broker, "pw", partition=2, key=None, value="second")
    assert (st, res["offset"]) == (200, 1)
    assert kcat_one(broker, "pw", 2, 1).startswith("|second||2|1")

    # binary through base64; a null value (a tombstone)
    blob = bytes(range(256))
    st, res = produce(broker, "pw", partition=0, encoding="base64",
                      key=base64.b64encode(b"\x00\xffkey").decode(),
                      value=base64.b64encode(blob).decode(),
                      headers=[{"key": "bin", "value": base64.b64encode(b"\x01\x02").decode()}])
    assert st == 200 and res["partition"] == 0
    st, res2 = produce(broker, "pw", partition=0, key="dead", value=None)
    assert st == 200
    from kafka import KafkaConsumer, TopicPartition
    from kafka.partitioner.default import murmur2
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
    tp = TopicPartition("pw", 0)
    c.assign([tp])
    c.seek(tp, 0)
    got = []
    end = time.monotonic() + 30
    while len(got) < 2 and time.monotonic() < end:
        for msgs in c.poll(timeout_ms=500).values():
            got += msgs
    assert got[0].key == b"\x00\xffkey" and got[0].value == blob
    assert got[0].headers == [("bin", b"\x01\x02")]
    assert got[1].key == b"dead" and got[1].value is None

    # no partition: the key's murmur2, as kafka-python's (and Kafka's) default partitioner
    for k in ("alpha", "beta", "gamma", "delta", "", "ключ"):
        st, res = produce(broker, "pw", key=k, value="x")
        assert st == 200
        want = (murmur2(k.encode()) & 0x7fffffff) % 4
        assert res["partition"] == want, (k, res)
    # no key: round-robin over the partitions
    parts = {produce(broker, "pw", value=f"rr{i}")[1]["partition"] for i in range(4)}
    assert parts == {0, 1, 2, 3}
    c.close()

    # every produce left an audit line with topic, partition and offset
    log = broker.log_text()
    assert "action=produce target=topic=pw partition=2 offset=0 result=ok" in log
    assert "action=produce target=topic=pw partition=2 offset=1 result=ok" in log


def test_produce_refusals(broker):
    api(broker, "/api/v1/topics", "POST",
        {"name": "small", "partitions": 1, "configs": {"max.message.bytes": "300"}})
    st, err = produce(broker, "small", value="x" * 1000)
    assert st == 413 and "max.message.bytes" in err["error"]
    assert produce(broker, "small", value="y" * 100)[0] == 200
    assert produce(broker, "nope", value="x")[0] == 404
    assert produce(broker, "small", partition=5, value="x")[0] == 404
    assert produce(broker, "small", partition="0", value="x")[0] == 400
    assert produce(broker, "small", value=5)[0] == 400
    assert produce(broker, "small", value="!!", encoding="base64")[0] == 400
    assert produce(broker, "small", value="x", encoding="hex")[0] == 400
    assert produce(broker, "small", value="x", headers=[{"value": "no key"}])[0] == 400
    st, err = api(broker, "/api/v1/topics/small/messages", "POST", raw=b"{not json")
    assert st == 400 and "JSON" in err["error"]
    # non-JSON content type and cross-origin writes
    st, err = api(broker, "/api/v1/topics/small/messages", "POST", raw=b'{"value":"x"}',
                  headers={"Content-Type": "text/plain"})
    assert st == 415
    st, err = api(broker, "/api/v1/topics/small/messages", "POST", {"value": "x"},
                  headers={"Origin": "http://evil.example"})
    assert st == 403 and "cross-origin" in err["error"]
    st, _ = api(broker, "/api/v1/topics/small/messages", "POST", {"value": "same origin"},
                headers={"Origin": f"http://127.0.0.1:{broker.http_port}"})
    assert st == 200
    st, t = api(broker, "/api/v1/topics/small")
    assert t["partitions"][0]["high_watermark"] == 2  # only the two accepted ones


def test_topic_create_configure_grow_delete(broker):
    st, res = api(broker, "/api/v1/topics", "POST",
                  {"name": "adm", "partitions": 3, "replication_factor": 1,
                   "configs": {"retention.ms": "3600000", "cleanup.policy": "compact"}})
    assert st == 201, res
    assert res["configs"] == {"cleanup.policy": "compact", "retention.ms": "3600000"}
    assert topic_partitions(broker, "adm") == 3
    cfg = topic_configs(broker, "adm")
    assert cfg["retention.ms"] == "3600000" and cfg["cleanup.policy"] == "compact"
    # the cluster state in the coordination service follows
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=broker.coord.connect)
    zk.start(timeout=10)
    try:
        end = time.monotonic() + 10
        while zk.exists("/brokers/topics/adm") is None and time.monotonic() < end:
            time.sleep(0.05)
        data, _ = zk.get("/brokers/topics/adm")
        assert sorted(json.loads(data)["partitions"]) == ["0", "1", "2"]
    finally:
        zk.stop()
        zk.close()

    # Kafka's refusals
    st, err = api(broker, "/api/v1/topics", "POST", {"name": "adm"})
    assert st == 409 and err["error"] == "Topic 'adm' already exists."
    st, err = api(broker, "/api/v1/topics", "POST", {"name": "bad name!"})
    assert st == 400 and "illegal" in err["error"]
    st, err = api(broker, "/api/v1/topics", "POST", {"name": "rf", "replication_factor": 3})
    assert st == 400 and "larger than available brokers: 1" in err["error"]
    assert api(broker, "/api/v1/topics", "POST", {"name": "np", "partitions": "3"})[0] == 400
    assert api(broker, "/api/v1/topics", "POST", {"name": "np", "partitions": 2.5})[0] == 400
    assert api(broker, "/api/v1/topics", "POST", ["adm"])[0] == 400
    st, err = api(broker, "/api/v1/topics", "POST", {"name": "np", "partitions": 0})
    assert st == 400 and "larger than 0" in err["error"]
    st, err = api(broker, "/api/v1/topics", "POST",
                  {"name": "badcfg", "configs": {"retention.ms": "soon"}})
    assert st == 400 and "retention.ms" in err["error"]
    st, err = api(broker, "/api/v1/topics", "POST", {"name": "badcfg", "configs": {"no.such": "1"}})
    assert st == 400
    assert topic_partitions(broker, "badcfg") is None and topic_partitions(broker, "rf") is None

    # configs: set and delete, validated before anything changes
    st, res = api(broker, "/api/v1/topics/adm/configs", "PUT",
                  {"set": {"retention.ms": 7200000, "segment.bytes": "1048576"},
                   "delete": ["cleanup.policy"]})
    assert st == 200, res
    assert res["configs"] == {"retention.ms": "7200000", "segment.bytes": "1048576"}
    cfg = topic_configs(broker, "adm")
    assert cfg["retention.ms"] == "7200000" and cfg["segment.bytes"] == "1048576"
    assert cfg["cleanup.policy"] == "delete"  # back to the broker default
    st, err = api(broker, "/api/v1/topics/adm/configs", "PUT",
                  {"set": {"retention.ms": "1000", "segment.bytes": "tiny"}})
    assert st == 400 and "segment.bytes" in err["error"]
    assert topic_configs(broker, "adm")["retention.ms"] == "7200000"  # nothing applied
    assert api(broker, "/api/v1/topics/none/configs", "PUT", {"set": {"retention.ms": "1"}})[0] == 404

    # partitions
    st, res = api(broker, "/api/v1/topics/adm/partitions", "POST", {"count": 5})
    assert st == 200 and res["partitions"] == 5
    assert topic_partitions(broker, "adm") == 5
    st, err = api(broker, "/api/v1/topics/adm/partitions", "POST", {"count": 2})
    assert st == 400 and "higher than the requested 2" in err["error"]
    assert api(broker, "/api/v1/topics/adm/partitions", "POST", {"count": "9"})[0] == 400
    assert api(broker, "/api/v1/topics/adm/partitions", "POST", {})[0] == 400
    assert topic_partitions(broker, "adm") == 5

    # delete
    st, res = api(broker, "/api/v1/topics/adm", "DELETE")
    assert st == 200 and res == {"deleted": "adm"}
    assert api(broker, "/api/v1/topics/adm")[0] == 404
    a = admin(broker)
    try:
        assert "adm" not in a.list_topics()
    finally:
        a.close()
    assert api(broker, "/api/v1/topics/adm", "DELETE")[0] == 404
    log = broker.log_text()
    for action in ("create-topic target=adm result=ok", "alter-configs target=adm result=ok",
                   "create-partitions target=adm result=ok", "delete-topic target=adm result=ok",
                   "create-topic target=rf result=refused"):
        assert "action=" + action in log, action


@pytest.mark.parametrize("switch, refused, allowed", [
    ({"http.read.only": "true"}, {"produce", "create", "configs", "delete", "partitions"}, set()),
    ({"http.allow.produce": "false"}, {"produce"}, {"create", "configs", "partitions", "delete"}),
    ({"http.allow.delete": "false"}, {"delete"}, {"produce", "create", "configs", "partitions"}),
    ({"delete.topic.enable": "false"}, {"delete"}, {"produce"}),
])
def test_switches_refuse_and_nothing_changes(broker_factory, switch, refused, allowed):
    b = broker_factory(extra=dict({"num.partitions": 1}, **switch))
    subprocess.run(["kcat", "-P", "-b", b.bootstrap, "-t", "keep"], input="one\n",
                   text=True, check=True, timeout=60)
    calls = {
        "produce": lambda: produce(b, "keep", value="x"),
        "create": lambda: api(b, "/api/v1/topics", "POST", {"name": "fresh"}),
        "configs": lambda: api(b, "/api/v1/topics/keep/configs", "PUT",
                               {"set": {"retention.ms": "1000"}}),
        "partitions": lambda: api(b, "/api/v1/topics/keep/partitions", "POST", {"count": 2}),
        "delete": lambda: api(b, "/api/v1/topics/keep", "DELETE"),
    }
    for name in ("produce", "create", "configs", "partitions", "delete"):
        if name not in refused | allowed:
            continue
        st, res = calls[name]()
        if name in refused:
            assert st == 403, (name, st, res)
        else:
            assert st in (200, 201), (name, st, res)
    st, t = api(b, "/api/v1/topics/keep")
    if "delete" in refused:
        assert st == 200
        assert t["partitions"][0]["high_watermark"] == (2 if "produce" in allowed else 1)
        assert ("retention.ms" in t["configs"]) == ("configs" in allowed)
        assert len(t["partitions"]) == (2 if "partitions" in allowed else 1)
    assert (api(b, "/api/v1/topics/fresh")[0] == 200) == ("create" in allowed)
    st, c = api(b, "/api/v1/cluster")
    ui = c["ui"]
    assert ui["allow_produce"] == ("produce" not in refused)
    assert "result=refused" in b.log_text()


def test_produce_and_reset_wait_for_the_flush_policy(broker_factory):
    """With log.flush.interval.messages=1 every append waits for its fsync:
    the answers come from the flush callbacks (conn slots filled later)."""
    b = broker_factory(extra={"log.flush.interval.messages": 1, "num.partitions": 1,
                              "group.initial.rebalance.delay.ms": 0})
    assert api(b, "/api/v1/topics", "POST", {"name": "synced", "partitions": 1})[0] == 201
    # pipelined on one keep-alive connection: answers in request order
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", b.http_port, timeout=30)
    offsets = []
    for i in range(5):
        conn.request("POST", "/api/v1/topics/synced/messages",
                     body=json.dumps({"value": f"v{i}"}),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        assert r.status == 200
        offsets.append(json.loads(r.read())["offset"])
    conn.close()
    assert offsets == [0, 1, 2, 3, 4]
    with urllib.request.urlopen(f"http://127.0.0.1:{b.http_port}/metrics", timeout=10) as r:
        fsyncs = [l for l in r.read().decode().splitlines()
                  if l.startswith("odradek_fsync_seconds_count ")]
    assert int(fsyncs[0].split()[1]) >= 5  # each answer waited for its fdatasync
    assert kcat_one(b, "synced", 0, 4).startswith("|v4||0|4")
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(group_id="fsynced", bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    c.commit({TopicPartition("synced", 0): OffsetAndMetadata(4, "")})
    st, res = api(b, "/api/v1/groups/fsynced/offsets/reset", "POST",
                  {"topic": "synced", "to": "earliest"})
    assert st == 200 and res["partitions"][0]["new"] == 0
    assert c.committed(TopicPartition("synced", 0)) == 0
    c.close()


def test_produce_wakes_a_long_polling_fetch(broker):
    """A consumer's Fetch waiting up to 10 s (fetch.max.wait.ms) is answered
    as soon as the API appends: the append woke it, as a Produce does."""
    import threading
    from kafka import KafkaConsumer, TopicPartition
    assert api(broker, "/api/v1/topics", "POST", {"name": "woken", "partitions": 1})[0] == 201
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False,
                      fetch_max_wait_ms=10000, fetch_min_bytes=1)
    tp = TopicPartition("woken", 0)
    c.assign([tp])
    c.seek(tp, 0)
    assert c.poll(timeout_ms=300) == {}  # a fetch is now parked at the broker
    threading.Timer(0.5, lambda: produce(broker, "woken", value="wake up")).start()
    t0 = time.monotonic()
    got = []
    while not got and time.monotonic() - t0 < 20:
        for msgs in c.poll(timeout_ms=200).values():
            got += msgs
    took = time.monotonic() - t0
    c.close()
    assert got and got[0].value == b"wake up"
    assert took < 5, took  # well under the 10 s the fetch would otherwise wait
