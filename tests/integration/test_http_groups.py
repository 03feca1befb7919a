"""Consumer groups in the HTTP API (docs/API.md, consumer groups): a real kafka-python
consumer group commits offsets; the API shows its state, members,
assignment and lag (exactly produced - committed); an offset reset is
previewed without changing anything, refused while the group has members,
and applied once it is Empty, landing in __consumer_offsets (kafka-python's
committed() sees it, and so does a restarted broker); /metrics carries the
lag per partition."""
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from conftest import api_json as api
from conftest import python

SETTINGS = {"group.initial.rebalance.delay.ms": 0}


def metrics(broker):
    with urllib.request.urlopen(f"http://127.0.0.1:{broker.http_port}/metrics",
                                timeout=10) as r:
        return r.read().decode()


def setup_topic(broker, topic, counts):
    """A topic with len(counts) partitions holding counts[p] messages each."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    a.create_topics([NewTopic(topic, len(counts), 1)])
    a.close()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    t0 = int(time.time() * 1000) - 100000
    for part, n in enumerate(counts):
        for i in range(n):
            # timestamps 1 s apart: message i of each partition at t0 + i s
            p.send(topic, value=f"p{part}-m{i}".encode(), partition=part,
                   timestamp_ms=t0 + i * 1000).get(timeout=30)
    p.flush()
    p.close()
    return t0


# A consumer of the group that joins, consumes exactly `consume`
# ({partition: n}) messages one poll at a time (pausing each partition when
# it has its count), commits its positions (what it consumed) and stays a
# member until its stdin closes.
MEMBER = """
import json, select, sys, time
from kafka import KafkaConsumer, TopicPartition
bs, group, topic, want = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
want = {int(p): n for p, n in want.items()}
c = KafkaConsumer(topic, group_id=group, bootstrap_servers=bs, client_id='ui-test-client',
                  auto_offset_reset='earliest', enable_auto_commit=False,
                  heartbeat_interval_ms=500, session_timeout_ms=10000)
got = {p: 0 for p in want}
end = time.time() + 60
while got != want and time.time() < end:
    for tp, msgs in c.poll(timeout_ms=200, max_records=1).items():
        got[tp.partition] += len(msgs)
    for p in want:
        if got[p] >= want[p]:
            c.pause(TopicPartition(topic, p))
assert got == want, got
c.commit()
print('ready', flush=True)
while not select.select([sys.stdin], [], [], 0.2)[0]:
    c.poll(timeout_ms=100, max_records=1)
c.close()
print('closed', flush=True)
"""


class Member:
    def __init__(self, broker, group, topic, consume):
        self.p = subprocess.Popen([python(), "-c", MEMBER, broker.bootstrap, group, topic,
                                   json.dumps(consume)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line.strip() == "ready", line + self.p.stderr.read()

    def leave(self):
        self.p.stdin.close()
        out = self.p.stdout.read()
        assert self.p.wait(timeout=60) == 0 and "closed" in out, self.p.stderr.read()


def wait_state(broker, group, state, timeout=30):
    end = time.monotonic() + timeout
    while True:
        st, g = api(broker, f"/api/v1/groups/{group}")
        if st == 200 and g["state"] == state:
            return g
        assert time.monotonic() < end, f"group {group} still {g}"
        time.sleep(0.1)


def committed(broker, group, topic, partitions):
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(group_id=group, bootstrap_servers=broker.bootstrap,
                      enable_auto_commit=False)
    try:
        return {p: c.committed(TopicPartition(topic, p)) for p in partitions}
    finally:
        c.close()


def rows(detail, topic):
    return {r["partition"]: r for r in detail["offsets"] if r["topic"] == topic}


def test_group_lag_members_preview_and_reset(broker_factory):
    b = broker_factory(extra=SETTINGS)
    setup_topic(b, "gl", [20, 10])
    m = Member(b, "g1", "gl", {0: 12, 1: 4})
    try:
        st, page = api(b, "/api/v1/groups")
        assert st == 200
        g = {x["group"]: x for x in page["groups"]}["g1"]
        assert g["state"] == "Stable" and g["members"] == 1
        assert g["protocol_type"] == "consumer" and g["protocol"] in ("range", "roundrobin")
        assert g["lag"] == (20 - 12) + (10 - 4) and g["partitions"] == 2
        st, d = api(b, "/api/v1/groups/g1")
        assert st == 200 and d["state"] == "Stable" and d["generation"] >= 1
        [mem] = d["members"]
        assert mem["client_id"] == "ui-test-client" and mem["member_id"] == d["leader"]
        assert mem["client_host"].endswith("127.0.0.1")
        assert mem["subscription"] == ["gl"]
        assert mem["assignment"]["topics"] == [{"topic": "gl", "partitions": [0, 1]}]
        r = rows(d, "gl")
        assert (r[0]["committed"], r[0]["high_watermark"], r[0]["lag"]) == (12, 20, 8)
        assert (r[1]["committed"], r[1]["high_watermark"], r[1]["lag"]) == (4, 10, 6)
        assert r[0]["client_id"] == "ui-test-client"
        assert d["lag"] == 14
        text = metrics(b)
        assert 'odradek_group_lag{group="g1",topic="gl",partition="0"} 8' in text
        assert 'odradek_group_lag{group="g1",topic="gl",partition="1"} 6' in text
        assert 'odradek_group_members{group="g1"} 1' in text
        assert "# TYPE odradek_groups gauge" in text

        # a preview works on any group and changes nothing
        st, pv = api(b, "/api/v1/groups/g1/offsets/reset/preview", "POST",
                     {"topic": "gl", "to": "earliest"})
        assert st == 200 and pv["allowed"] is False and pv["dry_run"] is True
        assert [(p["partition"], p["current"], p["new"], p["lag_before"], p["lag_after"])
                for p in pv["partitions"]] == [(0, 12, 0, 8, 20), (1, 4, 0, 6, 10)]
        assert (pv["lag_before"], pv["lag_after"]) == (14, 30)
        # Kafka refuses a reset while the group is active
        st, err = api(b, "/api/v1/groups/g1/offsets/reset", "POST",
                      {"topic": "gl", "to": "earliest"})
        assert st == 409 and "inactive" in err["error"] and "Stable" in err["error"]
        assert committed(b, "g1", "gl", [0, 1]) == {0: 12, 1: 4}
    finally:
        m.leave()
    wait_state(b, "g1", "Empty")
    st, d = api(b, "/api/v1/groups/g1")
    assert d["members"] == [] and rows(d, "gl")[0]["committed"] == 12

    # dry_run on the real route: a preview too
    st, pv = api(b, "/api/v1/groups/g1/offsets/reset", "POST",
                 {"topic": "gl", "partitions": [1], "to": "shift", "value": -3,
                  "dry_run": True})
    assert st == 200 and pv["allowed"] is True
    assert [(p["partition"], p["new"]) for p in pv["partitions"]] == [(1, 1)]
    assert committed(b, "g1", "gl", [0, 1]) == {0: 12, 1: 4}

    st, res = api(b, "/api/v1/groups/g1/offsets/reset", "POST",
                  {"topic": "gl", "partitions": [0], "to": "offset", "value": 5})
    assert st == 200 and res["dry_run"] is False
    assert [(p["partition"], p["current"], p["new"]) for p in res["partitions"]] == [(0, 12, 5)]
    st, res = api(b, "/api/v1/groups/g1/offsets/reset", "POST",
                  {"topic": "gl", "partitions": [1], "to": "shift", "value": -3})
    assert st == 200 and res["partitions"][0]["new"] == 1
    assert committed(b, "g1", "gl", [0, 1]) == {0: 5, 1: 1}
    st, d = api(b, "/api/v1/groups/g1")
    assert d["lag"] == (20 - 5) + (10 - 1)
    assert "action=offset-reset target=group=g1 topic=gl result=ok partitions=1" in b.log_text()

    # a consumer of the group starts where the reset put it
    from kafka import KafkaConsumer
    c = KafkaConsumer("gl", group_id="g1", bootstrap_servers=b.bootstrap,
                      auto_offset_reset="latest", enable_auto_commit=False)
    first = {}
    end = time.monotonic() + 30
    while len(first) < 2 and time.monotonic() < end:
        for tp, msgs in c.poll(timeout_ms=500).items():
            first.setdefault(tp.partition, msgs[0].offset)
    c.close()
    assert first == {0: 5, 1: 1}
    wait_state(b, "g1", "Empty")

    # offsets are in __consumer_offsets: they survive a restart
    b.restart()
    st, d = api(b, "/api/v1/groups/g1")
    assert st == 200 and rows(d, "gl")[0]["committed"] == 5 and rows(d, "gl")[1]["committed"] == 1


def test_reset_modes_and_bad_requests(broker_factory):
    b = broker_factory(extra=SETTINGS)
    t0 = setup_topic(b, "modes", [10])
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(group_id="simple", bootstrap_servers=b.bootstrap,
                      enable_auto_commit=False)
    c.commit({TopicPartition("modes", 0): OffsetAndMetadata(7, "")})
    c.close()

    def preview(**body):
        return api(b, "/api/v1/groups/simple/offsets/reset/preview", "POST",
                   dict(topic="modes", **body))

    assert preview(to="latest")[1]["partitions"][0]["new"] == 10
    assert preview(to="earliest")[1]["partitions"][0]["new"] == 0
    assert preview(to="offset", value=1000)[1]["partitions"][0]["new"] == 10  # clamped
    assert preview(to="offset", value=-5)[1]["partitions"][0]["new"] == 0
    assert preview(to="shift", value=2)[1]["partitions"][0]["new"] == 9
    assert preview(to="timestamp", value=t0 + 3500)[1]["partitions"][0]["new"] == 4
    assert preview(to="timestamp", value=t0 + 10 ** 9)[1]["partitions"][0]["new"] == 10
    assert preview(to="sideways")[0] == 400
    assert preview(to="offset")[0] == 400  # no value
    assert preview(to="earliest", partitions=[3])[0] == 404
    assert api(b, "/api/v1/groups/simple/offsets/reset/preview", "POST",
               {"topic": "nope", "to": "earliest"})[0] == 404
    assert api(b, "/api/v1/groups/nobody/offsets/reset/preview", "POST",
               {"topic": "modes", "to": "earliest"})[0] == 404
    # hostile bodies: 400, never a crash or a change
    for bad in ({"to": "earliest", "partitions": ["0"]}, {"to": "earliest", "partitions": 5},
                {"to": "offset", "value": 1.5}, {"to": "offset", "value": "3"},
                {"to": "earliest", "partitions": []}, {"to": 7}):
        assert preview(**bad)[0] == 400, bad
    for raw in (b"[]", b"{", b"", b'{"topic": "modes", "to": "earliest"} x'):
        req = urllib.request.Request(
            f"http://127.0.0.1:{b.http_port}/api/v1/groups/simple/offsets/reset",
            method="POST", data=raw, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
            assert False, raw
        except urllib.error.HTTPError as e:
            assert e.code == 400, (raw, e.code)
    st, err = api(b, "/api/v1/groups/simple/offsets/reset", "POST", {"topic": "modes"})
    assert st == 400 and "to" in err["error"]
    assert committed(b, "simple", "modes", [0]) == {0: 7}
    # shift needs a committed offset: a partition the group never committed
    api(b, "/api/v1/topics/modes/partitions", "POST", {"count": 2})
    st, err = preview(to="shift", value=1)
    assert st == 400 and "no current committed offset" in err["error"]
    # filters and pagination of the list
    st, page = api(b, "/api/v1/groups?filter=simp&state=empty&limit=1")
    assert st == 200 and page["total"] == 1 and page["groups"][0]["group"] == "simple"
    assert api(b, "/api/v1/groups?state=stable")[1]["total"] == 0
    assert api(b, "/api/v1/groups?limit=0")[0] == 400
    assert api(b, "/api/v1/groups/nobody")[0] == 404
    # a group id that needs escaping in the path
    c = KafkaConsumer(group_id="my group+ü", bootstrap_servers=b.bootstrap,
                      enable_auto_commit=False)
    c.commit({TopicPartition("modes", 0): OffsetAndMetadata(3, "")})
    c.close()
    st, d = api(b, "/api/v1/groups/" + urllib.parse.quote("my group+ü", safe=""))
    assert st == 200 and d["group"] == "my group+ü" and d["lag"] == 7
    # Kafka group ids may hold '/': %2F inside the path segment
    c = KafkaConsumer(group_id="team/app", bootstrap_servers=b.bootstrap,
                      enable_auto_commit=False)
    c.commit({TopicPartition("modes", 0): OffsetAndMetadata(9, "")})
    c.close()
    st, d = api(b, "/api/v1/groups/team%2Fapp")
    assert st == 200 and d["group"] == "team/app" and d["lag"] == 1


def test_delete_group_and_switches(broker_factory):
    b = broker_factory(extra=dict(SETTINGS, **{"http.allow.offset.reset": "false"}))
    setup_topic(b, "gd", [3])
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    c = KafkaConsumer(group_id="gone", bootstrap_servers=b.bootstrap, enable_auto_commit=False)
    c.commit({TopicPartition("gd", 0): OffsetAndMetadata(2, "")})
    c.close()
    # the switch refuses the reset, not the preview
    st, err = api(b, "/api/v1/groups/gone/offsets/reset", "POST",
                  {"topic": "gd", "to": "earliest"})
    assert st == 403 and "http.allow.offset.reset" in err["error"]
    assert api(b, "/api/v1/groups/gone/offsets/reset/preview", "POST",
               {"topic": "gd", "to": "earliest"})[0] == 200
    assert committed(b, "gone", "gd", [0]) == {0: 2}
    # a cross-origin write is refused whatever the switches say
    st, _ = api(b, "/api/v1/groups/gone", "DELETE", headers={"Origin": "http://evil.example"})
    assert st == 403
    st, res = api(b, "/api/v1/groups/gone", "DELETE")
    assert st == 200 and res == {"deleted": "gone"}
    assert api(b, "/api/v1/groups/gone")[0] == 404
    assert committed(b, "gone", "gd", [0]) == {0: None}
    assert "action=delete-group target=gone result=ok" in b.log_text()
    b.restart()
    assert api(b, "/api/v1/groups/gone")[0] == 404


if __name__ == "__main__":
    sys.exit("run with pytest")
