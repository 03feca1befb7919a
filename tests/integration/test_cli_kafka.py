"""odradek topics / console-producer / console-consumer / consumer-groups
against a running bundle (the `broker` fixture), each cross-checked with a
third-party client: kcat (librdkafka) and kafka-python (in a child
/usr/bin/python3).

Bad input (unknown flags, missing arguments, unreachable servers) must give
one line on stderr and the documented exit code (2 usage, 3 unreachable,
1 failed).
"""
import json
import os
import re
import subprocess
import textwrap
import time

import pytest

from conftest import bin_path, free_port, python

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
SETTINGS = {"group.initial.rebalance.delay.ms": 0}


def odradek(*args, input=None, timeout=60, check=True):
    p = subprocess.run([bin_path("odradek"), *args], input=input,
                       capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, (args, p.returncode, p.stderr)
    return p


def kcat(*args, input=None, timeout=60):
    p = subprocess.run(["kcat", *args], input=input, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout


def run_py(code, timeout=120):
    p = subprocess.run([python(), "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-4000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


def kcat_read(bs, topic, n, fmt="%p|%k|%s\\n"):
    out = kcat("-b", bs, "-C", "-t", topic, "-o", "beginning", "-c", str(n),
               "-e", "-q", "-f", fmt)
    return [l for l in out.split("\n") if l]


def kcat_wait(bs, topic, n, fmt="%s\\n", timeout=20):
    """kcat_read until n messages are there (a producer still running may
    not have sent them yet)."""
    deadline = time.monotonic() + timeout
    while True:
        got = kcat_read(bs, topic, n, fmt)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


# ---- topics --------------------------------------------------------------------


def test_topics_create_seen_by_kcat_and_kafka_python(broker):
    bs = broker.bootstrap
    p = odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "t3",
                "--partitions", "3", "--replication-factor", "1",
                "--config", "retention.ms=123456", "--config", "cleanup.policy=compact")
    assert p.stdout == "Created topic t3.\n"
    md = json.loads(kcat("-b", bs, "-L", "-J", "-t", "t3"))
    (t,) = [t for t in md["topics"] if t["topic"] == "t3"]
    assert len(t["partitions"]) == 3
    got = run_py("""
        import json
        from kafka import KafkaConsumer
        from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
        c = KafkaConsumer(bootstrap_servers=%r)
        parts = sorted(c.partitions_for_topic('t3'))
        a = KafkaAdminClient(bootstrap_servers=%r)
        r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 't3')])
        conf = {e[0]: e[1] for e in r[0].resources[0][4]}
        print(json.dumps({"parts": parts, "retention": conf.get("retention.ms"),
                          "cleanup": conf.get("cleanup.policy")}))
    """ % (bs, bs))
    assert got == {"parts": [0, 1, 2], "retention": "123456", "cleanup": "compact"}


def test_topics_describe_list_alter_delete(broker):
    bs = broker.bootstrap
    base = ["topics", "--bootstrap-server", bs]
    odradek(*base, "--create", "--topic", "d1", "--partitions", "2",
            "--config", "retention.ms=1000")
    odradek(*base, "--create", "--topic", "d2", "--partitions", "1")
    lines = odradek(*base, "--describe", "--topic", "d1").stdout.splitlines()
    assert lines[0].startswith("Topic: d1\tTopicId: ")
    assert "\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=1000" in lines[0]
    assert lines[1] == "\tTopic: d1\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0"
    assert lines[2] == "\tTopic: d1\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0"
    assert len(lines) == 3
    assert odradek(*base, "--list").stdout.split() == ["d1", "d2"]
    assert json.loads(odradek(*base, "--list", "--json").stdout) == ["d1", "d2"]
    js = json.loads(odradek(*base, "--describe", "--json").stdout)
    assert [(t["name"], t["partition_count"]) for t in js] == [("d1", 2), ("d2", 1)]
    assert js[0]["configs"] == {"retention.ms": "1000"}
    assert js[0]["partitions"][1] == {"partition": 1, "leader": 0, "replicas": [0], "isr": [0]}
    # a single broker has nothing under-replicated
    assert odradek(*base, "--describe", "--under-replicated-partitions").stdout == ""
    assert odradek(*base, "--describe", "--unavailable-partitions").stdout == ""
    ov = odradek(*base, "--describe", "--topics-with-overrides").stdout.splitlines()
    assert [l.split("\t")[0] for l in ov] == ["Topic: d1"]
    # --alter raises the partition count; kcat sees it
    odradek(*base, "--alter", "--topic", "d1", "--partitions", "5")
    md = json.loads(kcat("-b", bs, "-L", "-J", "-t", "d1"))
    assert len([t for t in md["topics"] if t["topic"] == "d1"][0]["partitions"]) == 5
    odradek(*base, "--alter", "--topic", "d1", "--config", "retention.ms=2000",
            "--config", "cleanup.policy=compact")
    js = json.loads(odradek(*base, "--describe", "--topic", "d1", "--json").stdout)
    assert js[0]["configs"] == {"retention.ms": "2000", "cleanup.policy": "compact"}
    p = odradek(*base, "--alter", "--topic", "d1", "--partitions", "2", check=False)
    assert p.returncode == EXIT_FAIL and "INVALID_PARTITIONS" in p.stderr
    # --create of an existing topic fails, unless --if-not-exists
    p = odradek(*base, "--create", "--topic", "d2", check=False)
    assert p.returncode == EXIT_FAIL
    assert "Topic 'd2' already exists." in p.stderr and len(p.stderr.splitlines()) == 1
    odradek(*base, "--create", "--topic", "d2", "--if-not-exists")
    # --delete; the topic is gone for kafka-python too
    odradek(*base, "--delete", "--topic", "d2")
    assert odradek(*base, "--list").stdout.split() == ["d1"]
    got = run_py("""
        import json
        from kafka import KafkaConsumer
        print(json.dumps(sorted(KafkaConsumer(bootstrap_servers=%r).topics())))
    """ % bs)
    assert "d2" not in got and "d1" in got
    p = odradek(*base, "--delete", "--topic", "d2", check=False)
    assert p.returncode == EXIT_FAIL and "does not exist" in p.stderr
    odradek(*base, "--delete", "--topic", "d2", "--if-exists")


def test_topics_zookeeper_form(broker):
    """--zookeeper: the brokers are found in /brokers/ids/<id> (Kafka's JSON)."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=broker.coord.connect)
    zk.start(timeout=10)
    try:
        if not zk.exists("/brokers/ids/0"):
            # the broker's own registration may not be wired yet: register
            # it the way Kafka 2.8 does, so the lookup path is what is tested
            zk.create("/brokers/ids/0", json.dumps({
                "listener_security_protocol_map": {"PLAINTEXT": "PLAINTEXT"},
                "endpoints": [f"PLAINTEXT://{broker.host}:{broker.port}"],
                "jmx_port": -1, "host": broker.host, "timestamp": "1700000000000",
                "port": broker.port, "version": 5}).encode(),
                ephemeral=True, makepath=True)
        p = odradek("topics", "--zookeeper", broker.coord.connect, "--create",
                    "--topic", "zkt", "--partitions", "2")
        assert p.stdout == "Created topic zkt.\n"
        assert "zkt" in odradek("topics", "--zookeeper", broker.coord.connect,
                                "--list").stdout.split()
    finally:
        zk.stop()
        zk.close()


def test_topics_zookeeper_without_brokers(coord):
    p = odradek("topics", "--zookeeper", coord.connect, "--list", check=False)
    assert p.returncode == EXIT_UNREACHABLE
    assert len(p.stderr.splitlines()) == 1 and "/brokers/ids" in p.stderr


# ---- console-producer / console-consumer ----------------------------------------------


def test_producer_keys_read_back_by_kcat(broker):
    bs = broker.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "keyed",
            "--partitions", "3")
    lines = [f"k{i}:v{i}" for i in range(30)]
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "keyed",
            "--property", "parse.key=true", "--property", "key.separator=:",
            input="\n".join(lines) + "\n")
    got = kcat_read(bs, "keyed", 30)
    assert sorted(l.split("|", 1)[1] for l in got) == sorted(l.replace(":", "|") for l in lines)
    # the partition of each key is the Java default partitioner's, which
    # kafka-python implements too
    want = run_py("""
        import json
        from kafka.partitioner.default import murmur2
        print(json.dumps({"k%d" % i: (murmur2(b"k%d" % i) & 0x7fffffff) % 3
                          for i in range(30)}))
    """)
    for l in got:
        p, k, v = l.split("|")
        assert int(p) == want[k], l


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_producer_compression_read_by_kcat(broker, codec):
    bs = broker.bootstrap
    lines = [f"{codec}-{i}" for i in range(50)]
    odradek("console-producer", "--broker-list", bs, "--topic", "c-" + codec,
            "--compression-codec", codec, input="\n".join(lines) + "\n")
    assert sorted(kcat_read(bs, "c-" + codec, 50, "%s\\n")) == sorted(lines)
    fmt = kcat("-b", bs, "-C", "-t", "c-" + codec, "-o", "beginning", "-c", "1", "-e",
               "-q", "-J")
    assert json.loads(fmt.splitlines()[0])["payload"].startswith(codec)


def test_producer_acks_zero_and_all(broker):
    bs = broker.bootstrap
    for acks in ("0", "all", "-1", "1"):
        odradek("console-producer", "--bootstrap-server", bs, "--topic", "acks",
                "--request-required-acks", acks, input=f"a{acks}\n")
    assert sorted(kcat_read(bs, "acks", 4, "%s\\n")) == sorted(
        ["a0", "aall", "a-1", "a1"])


def test_consumer_prints_kcat_messages(broker):
    bs = broker.bootstrap
    kcat("-b", bs, "-P", "-t", "fromkcat", "-K", ":", input="ka:one\nkb:two\nkc:three\n")
    kcat("-b", bs, "-P", "-t", "fromkcat", input="four\n")
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "fromkcat",
                "--from-beginning", "--max-messages", "4", "--property", "print.key=true",
                "--property", "key.separator=:")
    assert p.stdout.splitlines() == ["ka:one", "kb:two", "kc:three", "null:four"]
    assert "Processed a total of 4 messages" in p.stderr
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "fromkcat",
                "--from-beginning", "--max-messages", "4", "--isolation-level", "read_committed")
    assert p.stdout.split() == ["one", "two", "three", "four"]
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "fromkcat",
                "--from-beginning", "--max-messages", "1", "--property", "print.timestamp=true",
                "--property", "print.offset=true", "--property", "print.partition=true")
    ts, part, off, val = p.stdout.rstrip("\n").split("\t")
    assert ts.startswith("CreateTime:") and abs(int(ts[11:]) / 1000 - time.time()) < 120
    assert (part, off, val) == ("Partition:0", "Offset:0", "one")


def test_consumer_partition_offset_and_timeout(broker):
    bs = broker.bootstrap
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "po",
            input="".join(f"m{i}\n" for i in range(10)))
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "po",
                "--partition", "0", "--offset", "7", "--timeout-ms", "1000")
    assert p.stdout.split() == ["m7", "m8", "m9"]
    # without --from-beginning it starts at the end: nothing old, then exits
    t0 = time.monotonic()
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "po",
                "--timeout-ms", "700")
    assert p.stdout == "" and time.monotonic() - t0 < 10
    assert "Processed a total of 0 messages" in p.stderr
    # a message produced while it waits is printed
    c = subprocess.Popen([bin_path("odradek"), "console-consumer", "--bootstrap-server", bs,
                          "--topic", "po", "--max-messages", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while c.poll() is None and time.monotonic() < deadline:
            odradek("console-producer", "--bootstrap-server", bs, "--topic", "po",
                    input="late\n")
            try:
                c.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        out, _ = c.communicate(timeout=10)
    finally:
        if c.poll() is None:
            c.kill()
    assert c.returncode == 0 and out.split()[0] == "late"


def test_quickstart_commands(broker):
    """Kafka's quickstart with only the command name changed."""
    bs = broker.bootstrap
    p = odradek("topics", "--create", "--topic", "quickstart-events",
                "--bootstrap-server", bs)
    assert p.stdout == "Created topic quickstart-events.\n"
    p = odradek("topics", "--describe", "--topic", "quickstart-events",
                "--bootstrap-server", bs)
    assert p.stdout.startswith("Topic: quickstart-events\tTopicId: ")
    odradek("console-producer", "--topic", "quickstart-events", "--bootstrap-server", bs,
            input="This is my first event\nThis is my second event\n")
    p = odradek("console-consumer", "--topic", "quickstart-events", "--from-beginning",
                "--bootstrap-server", bs, "--max-messages", "2")
    assert p.stdout == "This is my first event\nThis is my second event\n"


# ---- consumer groups ------------------------------------------------------------------------


def test_group_consumer_resumes_and_lag_matches_kafka_python(broker_factory):
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "gt",
            "--partitions", "2")
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "gt",
            "--property", "parse.key=true", "--property", "key.separator=:",
            input="".join(f"k{i}:v{i}\n" for i in range(20)))
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "gt",
                "--group", "cg", "--from-beginning", "--max-messages", "12")
    first = p.stdout.split()
    assert len(first) == 12
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "gt",
                "--group", "cg", "--from-beginning", "--timeout-ms", "2000")
    rest = p.stdout.split()
    assert sorted(first + rest) == sorted(f"v{i}" for i in range(20))
    # what the group committed, as kafka-python sees it, against the
    # lag consumer-groups prints
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "gt",
            input="x1\nx2\nx3\n")
    want = run_py("""
        import json
        from kafka import KafkaConsumer, TopicPartition
        c = KafkaConsumer(bootstrap_servers=%r, group_id='cg', enable_auto_commit=False)
        tps = [TopicPartition('gt', p) for p in (0, 1)]
        ends = c.end_offsets(tps)
        print(json.dumps({str(tp.partition): [c.committed(tp), ends[tp]] for tp in tps}))
    """ % bs)
    js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                            "--group", "cg", "--json").stdout)
    rows = {str(r["partition"]): r for r in js[0]["partitions"]}
    assert sum(w[1] for w in want.values()) == 23
    for p_, (committed, end) in want.items():
        assert rows[p_]["current_offset"] == committed
        assert rows[p_]["log_end_offset"] == end
        assert rows[p_]["lag"] == end - committed
    assert sum(r["lag"] for r in rows.values()) == 3
    text = odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                   "--group", "cg").stdout
    assert "Consumer group 'cg' has no active members." in text
    hdr = [l for l in text.splitlines() if l.startswith("GROUP")][0]
    assert hdr.split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                           "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    body = [l.split() for l in text.splitlines() if l.startswith("cg ")]
    assert sorted((r[1], r[2], r[5]) for r in body) == sorted(
        ("gt", p_, str(rows[p_]["lag"])) for p_ in rows)
    assert "cg" in odradek("consumer-groups", "--bootstrap-server", bs, "--list").stdout.split()


def test_reset_offsets_honoured_by_kafka_python(broker_factory):
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "rt",
            input="".join(f"r{i}\n" for i in range(10)))
    odradek("console-consumer", "--bootstrap-server", bs, "--topic", "rt", "--group", "rg",
            "--from-beginning", "--max-messages", "10")
    base = ["consumer-groups", "--bootstrap-server", bs, "--group", "rg", "--reset-offsets",
            "--topic", "rt"]
    p = odradek(*base, "--to-offset", "4", "--dry-run")
    assert [l.split() for l in p.stdout.splitlines() if l.startswith("rg")] == \
        [["rg", "rt", "0", "4"]]
    js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                            "--group", "rg", "--json").stdout)
    assert js[0]["partitions"][0]["current_offset"] == 10  # dry run changed nothing
    odradek(*base, "--to-offset", "4", "--execute")
    got = run_py("""
        import json, time
        from kafka import KafkaConsumer
        c = KafkaConsumer('rt', bootstrap_servers=%r, group_id='rg',
                          auto_offset_reset='latest', enable_auto_commit=False)
        got, end = [], time.time() + 30
        while len(got) < 6 and time.time() < end:
            for tp, ms in c.poll(timeout_ms=500).items():
                got += [m.value.decode() for m in ms]
        c.close()
        print(json.dumps(got))
    """ % bs)
    assert got == [f"r{i}" for i in range(4, 10)]
    p = odradek(*base, "--shift-by", "-3", "--execute")
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["1"]
    p = odradek(*base, "--to-latest", "--execute", "--json")
    assert json.loads(p.stdout) == [{"group": "rg", "topic": "rt", "partition": 0,
                                     "new_offset": 10}]
    p = odradek(*base, "--to-earliest", "--execute")
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["0"]
    p = odradek(*base, "--to-datetime", "2100-01-01T00:00:00.000Z", "--execute")
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["10"]
    p = odradek(*base, "--to-datetime", "2000-01-01T00:00:00.000Z", "--execute")
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["0"]
    p = odradek(*base, "--by-duration", "PT0S", "--execute")  # nothing is younger than now
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["10"]
    p = odradek(*base, "--by-duration", "PT1H", "--execute")  # everything is
    assert [l.split()[3] for l in p.stdout.splitlines() if l.startswith("rg")] == ["0"]
    p = odradek(*base, "--by-duration", "yesterday", check=False)
    assert p.returncode == EXIT_USAGE and "--by-duration" in p.stderr
    # delete the (empty) group
    p = odradek("consumer-groups", "--bootstrap-server", bs, "--delete", "--group", "rg")
    assert "Deletion of requested consumer groups ('rg') was successful." in p.stdout
    p = odradek("consumer-groups", "--bootstrap-server", bs, "--describe", "--group", "rg",
                check=False)
    assert p.returncode == EXIT_FAIL and "does not exist" in p.stderr


# ---- bad input ------------------------------------------------------------------------------


BAD = [
    (["topics", "--bootstrap-server", "127.0.0.1:1", "--lst"], EXIT_USAGE, "unknown option"),
    (["topics", "--bootstrap-server", "127.0.0.1:1"], EXIT_USAGE, "exactly one of"),
    (["topics", "--bootstrap-server", "127.0.0.1:1", "--create"], EXIT_USAGE, "needs --topic"),
    (["topics", "--bootstrap-server"], EXIT_USAGE, "needs a value"),
    (["topics", "--list"], EXIT_USAGE, "--bootstrap-server is required"),
    (["topics", "--bootstrap-server", "nocolon", "--list"], EXIT_USAGE, "bad server list"),
    (["console-producer", "--bootstrap-server", "127.0.0.1:1"], EXIT_USAGE, "--topic"),
    (["console-producer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
      "--compression-codec", "brotli"], EXIT_USAGE, "compression-codec"),
    (["console-producer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
      "--request-required-acks", "2"], EXIT_USAGE, "acks"),
    (["console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
      "--offset", "3"], EXIT_USAGE, "--offset needs --partition"),
    (["console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
      "--max-messages", "many"], EXIT_USAGE, "--max-messages"),
    (["console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
      "--isolation-level", "dirty"], EXIT_USAGE, "--isolation-level"),
    (["consumer-groups", "--bootstrap-server", "127.0.0.1:1", "--describe"], EXIT_USAGE,
     "needs --group"),
    (["consumer-groups", "--bootstrap-server", "127.0.0.1:1", "--list", "extra"], EXIT_USAGE,
     "unexpected argument"),
    (["nosuchcommand"], EXIT_USAGE, "unknown command"),
]


@pytest.mark.parametrize("args,code,text", BAD, ids=[" ".join(b[0][:3]) + str(i)
                                                     for i, b in enumerate(BAD)])
def test_bad_input_one_line(args, code, text):
    p = odradek(*args, check=False, timeout=20)
    assert p.returncode == code, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert text in p.stderr
    assert p.stdout == ""


@pytest.mark.parametrize("args", [
    ["topics", "--list"],
    ["console-producer", "--topic", "t"],
    ["console-consumer", "--topic", "t"],
    ["consumer-groups", "--list"],
])
def test_unreachable_broker_exit_3(args):
    port = free_port()  # nothing listens there
    t0 = time.monotonic()
    p = odradek(*args, "--bootstrap-server", f"127.0.0.1:{port}", check=False,
                input="x\n", timeout=30)
    assert p.returncode == EXIT_UNREACHABLE, p.stderr
    assert p.stderr.count("\n") == 1 and "cannot reach a broker" in p.stderr
    assert time.monotonic() - t0 < 15


def test_help_and_version():
    for sub in ("topics", "console-producer", "console-consumer", "consumer-groups"):
        h = odradek("help", sub).stdout
        assert h.startswith("usage: odradek " + sub) and "exit codes" in h
        assert odradek(sub, "--help").stdout == h
    top = odradek("--help").stdout
    for sub in ("topics", "console-producer", "console-consumer", "consumer-groups", "ctl", "zk"):
        assert f"  {sub} " in top
    assert odradek("--version").stdout.startswith("odradek ")
    p = odradek("help", "nosuch", check=False)
    assert p.returncode == EXIT_USAGE


def test_man_pages_and_completion_cover_the_flags():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    comp = open(os.path.join(root, "cli", "completion", "odradek.bash")).read()
    for sub in ("topics", "console-producer", "console-consumer", "consumer-groups"):
        page = open(os.path.join(root, "man", f"odradek-{sub}.1")).read()
        assert page.startswith(".TH ") or "\n.TH " in page
        h = odradek("help", sub).stdout
        flags = set(re.findall(r"--[a-z][a-z-]*", h))
        assert len(flags) > 8
        for f in flags:
            assert f.replace("-", "\\-") in page, (sub, f)
            assert f in comp, (sub, f)
        p = subprocess.run(["man", "-l", "-Tutf8", os.path.join(root, "man", f"odradek-{sub}.1")],
                           capture_output=True, text=True,
                           env={**os.environ, "MANWIDTH": "80"})
        if p.returncode == 0:  # rendered; overstrike bold removed
            assert "EXIT STATUS" in re.sub(".\b", "", p.stdout)
    # the completion script loads in bash and completes subcommands
    p = subprocess.run(["bash", "-c",
                        f"source {os.path.join(root, 'cli', 'completion', 'odradek.bash')}; "
                        "COMP_WORDS=(odradek cons); COMP_CWORD=1; _odradek; "
                        "echo ${COMPREPLY[@]}"], capture_output=True, text=True)
    assert sorted(p.stdout.split()) == ["console-consumer", "console-producer",
                                        "consumer-groups"], p.stderr


def test_group_shared_with_kafka_python(broker_factory):
    """console-consumer and a kafka-python consumer in one group split a
    4-partition topic (range assignor on both sides; odradek joined first,
    so it leads and computes the assignment), and together see every
    message exactly once."""
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "g4",
            "--partitions", "4")
    c = subprocess.Popen([bin_path("odradek"), "console-consumer", "--bootstrap-server", bs,
                          "--topic", "g4", "--group", "mix", "--from-beginning",
                          "--timeout-ms", "15000", "--property", "print.partition=true"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the group exists with odradek as its only member before python joins
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                                    "--group", "mix", "--json", check=False).stdout or "[]")
            if js and js[0]["members"] == 1:
                break
            time.sleep(0.2)
        got = run_py("""
            import json, time
            from kafka import KafkaConsumer, KafkaProducer
            c = KafkaConsumer('g4', group_id='mix', bootstrap_servers=%r,
                              auto_offset_reset='earliest', enable_auto_commit=True)
            end = time.time() + 30
            while not c.assignment() and time.time() < end:
                c.poll(timeout_ms=200)
            asg = sorted(tp.partition for tp in c.assignment())
            p = KafkaProducer(bootstrap_servers=%r)
            for i in range(40):
                p.send('g4', b'v%%d' %% i, key=b'k%%d' %% i)
            p.flush()
            got, end = [], time.time() + 5
            while time.time() < end:
                for tp, ms in c.poll(timeout_ms=300).items():
                    got += [[tp.partition, m.value.decode()] for m in ms]
            c.close()
            print(json.dumps({"asg": asg, "got": got}))
        """ % (bs, bs))
        out, err = c.communicate(timeout=60)
    finally:
        if c.poll() is None:
            c.kill()
    assert c.returncode == 0, err
    mine = [l.split("\t") for l in out.splitlines()]
    my_parts = sorted({int(p.split(":")[1]) for p, _ in mine})
    assert len(got["asg"]) == 2 and len(my_parts) == 2, (got["asg"], my_parts)
    assert not set(got["asg"]) & set(my_parts)
    values = [v for _, v in got["got"]] + [v for _, v in mine]
    assert sorted(values) == sorted(f"v{i}" for i in range(40))


def test_unreachable_zookeeper_exit_3_fast():
    port = free_port()
    t0 = time.monotonic()
    p = odradek("topics", "--zookeeper", f"127.0.0.1:{port}", "--list", check=False)
    assert p.returncode == EXIT_UNREACHABLE
    assert p.stderr.count("\n") == 1 and "ZooKeeper unreachable" in p.stderr
    assert time.monotonic() - t0 < 5


def test_interactive_producer_sends_each_line_and_consumer_stops_on_sigint(broker):
    """A line typed into a running console-producer is sent at once (no
    waiting for EOF or a full batch); a console-consumer ended with SIGINT
    exits 0, commits, leaves its group, and says how many it printed; a
    group with a live member cannot be reset."""
    import signal
    bs = broker.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "live")
    prod = subprocess.Popen([bin_path("odradek"), "console-producer", "--bootstrap-server", bs,
                             "--topic", "live"], stdin=subprocess.PIPE, text=True)
    cons = subprocess.Popen([bin_path("odradek"), "console-consumer", "--bootstrap-server", bs,
                             "--topic", "live", "--group", "lg", "--from-beginning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        prod.stdin.write("first line\n")
        prod.stdin.flush()
        # kcat sees it while the producer still holds stdin open
        assert kcat_wait(bs, "live", 1) == ["first line"]
        assert cons.stdout.readline() == "first line\n"
        p = odradek("consumer-groups", "--bootstrap-server", bs, "--group", "lg",
                    "--reset-offsets", "--topic", "live", "--to-earliest", "--execute",
                    check=False)
        assert p.returncode == EXIT_FAIL and "inactive" in p.stderr
        js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                                "--group", "lg", "--json").stdout)
        assert js[0]["members"] == 1 and js[0]["state"] == "Stable"
        (row,) = js[0]["partitions"]
        assert row["consumer_id"] and row["client_id"] == "odradek-cli" and row["host"]
        text = odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                       "--group", "lg").stdout
        assert "has no active members" not in text
        (line,) = [l.split() for l in text.splitlines() if l.startswith("lg ")]
        assert line[6] == row["consumer_id"] and line[8] == "odradek-cli"
        js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                                "--group", "lg", "--members", "--json").stdout)
        assert js == [{"group": "lg", "members": [{
            "consumer_id": row["consumer_id"], "host": row["host"],
            "client_id": "odradek-cli", "partitions": 1}]}]
        js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                                "--group", "lg", "--state", "--json").stdout)
        assert js[0]["state"] == "Stable" and js[0]["assignment_strategy"] == "range"
        assert js[0]["members"] == 1 and js[0]["coordinator"]["id"] == 0
        text = odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                       "--group", "lg", "--state").stdout.splitlines()
        assert text[1].split()[:3] == ["GROUP", "COORDINATOR", "(ID)"]
        assert text[2].split()[-3:] == ["range", "Stable", "1"]
        cons.send_signal(signal.SIGINT)
        out, err = cons.communicate(timeout=20)
        assert cons.returncode == 0, err
        assert "Processed a total of 1 messages" in err
        prod.stdin.close()
        assert prod.wait(timeout=20) == 0
    finally:
        for x in (prod, cons):
            if x.poll() is None:
                x.kill()
    js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                            "--group", "lg", "--json").stdout)
    assert js[0]["members"] == 0
    assert js[0]["partitions"][0]["current_offset"] == 1


@pytest.mark.parametrize("group", [None, "rg2"])
def test_consumer_survives_broker_restart(broker_factory, group):
    """A running console-consumer (alone or in a group) reconnects when the
    broker restarts and prints what is produced afterwards."""
    b = broker_factory(extra=SETTINGS, port=free_port())
    bs = b.bootstrap
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "rs", input="before\n")
    args = [bin_path("odradek"), "console-consumer", "--bootstrap-server", bs, "--topic", "rs",
            "--from-beginning", "--max-messages", "2"]
    if group:
        args += ["--group", group]
    c = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert c.stdout.readline() == "before\n"
        deadline = time.monotonic() + 20
        while group and time.monotonic() < deadline:  # committed before the restart
            js = json.loads(odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                                    "--group", group, "--json").stdout)
            if js[0]["partitions"] and js[0]["partitions"][0]["current_offset"] == 1:
                break
            time.sleep(0.1)
        b.restart()
        odradek("console-producer", "--bootstrap-server", bs, "--topic", "rs", input="after\n")
        out, err = c.communicate(timeout=40)
    finally:
        if c.poll() is None:
            c.kill()
    assert c.returncode == 0, err
    assert out == "after\n"


def test_producer_survives_broker_restart(broker_factory):
    b = broker_factory(port=free_port())
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "prs")
    prod = subprocess.Popen([bin_path("odradek"), "console-producer", "--bootstrap-server", bs,
                             "--topic", "prs"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        prod.stdin.write("one\n")
        prod.stdin.flush()
        assert kcat_wait(bs, "prs", 1) == ["one"]
        b.restart()
        prod.stdin.write("two\n")
        prod.stdin.close()
        assert prod.wait(timeout=40) == 0, prod.stderr.read()
    finally:
        if prod.poll() is None:
            prod.kill()
    assert kcat_read(bs, "prs", 2, "%s\\n") == ["one", "two"]


def test_describe_lag_matches_kafka_python_positions(broker_factory):
    """kafka-python consumes part of two partitions and commits its
    positions; consumer-groups --describe shows those positions as
    CURRENT-OFFSET and LAG = end - position."""
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "kp", "--partitions", "2")
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "kp", "--property",
            "parse.key=true", input="".join(f"k{i}\tv{i}\n" for i in range(40)))
    pos = run_py("""
        import json, time
        from kafka import KafkaConsumer, TopicPartition
        c = KafkaConsumer(bootstrap_servers=%r, group_id='kpg', enable_auto_commit=False,
                          auto_offset_reset='earliest', max_poll_records=5)
        tps = [TopicPartition('kp', 0), TopicPartition('kp', 1)]
        c.assign(tps)
        got, end = 0, time.time() + 30
        while got < 13 and time.time() < end:
            for tp, ms in c.poll(timeout_ms=500, max_records=5).items():
                got += len(ms)
        c.commit()
        ends = c.end_offsets(tps)
        print(json.dumps({str(tp.partition): [c.position(tp), ends[tp]] for tp in tps}))
        c.close()
    """ % bs)
    text = odradek("consumer-groups", "--bootstrap-server", bs, "--describe",
                   "--group", "kpg").stdout
    rows = {l.split()[2]: l.split() for l in text.splitlines() if l.startswith("kpg ")}
    assert set(rows) == {"0", "1"}
    for p_, (position, end) in pos.items():
        assert rows[p_][3] == str(position)
        assert rows[p_][4] == str(end)
        assert rows[p_][5] == str(end - position)
    assert sum(int(r[5]) for r in rows.values()) == 40 - sum(p[0] for p in pos.values())


def test_producer_splits_big_input_below_the_message_size_limit(broker):
    """3 MB of lines with a huge --batch-size still go out in requests the
    broker accepts (message.max.bytes is 1 MiB by default)."""
    bs = broker.bootstrap
    lines = "".join(f"{i:06d}" + "x" * 994 + "\n" for i in range(3000))
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "big",
            "--batch-size", "100000", input=lines)
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "big",
                "--from-beginning", "--max-messages", "3000")
    assert p.stdout == lines


def test_group_follower_of_kafka_python_leader(broker_factory):
    """kafka-python joins first and leads (its range assignor computes the
    assignment); console-consumer joins as a follower and reads the
    partitions kafka-python's assignment gave it."""
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "f4",
            "--partitions", "4")
    py = subprocess.Popen([python(), "-u", "-c", textwrap.dedent("""
        import json, sys, time
        from kafka import KafkaConsumer, KafkaProducer
        c = KafkaConsumer('f4', group_id='fol', bootstrap_servers=%r,
                          auto_offset_reset='earliest', enable_auto_commit=True,
                          partition_assignment_strategy=[
                              __import__('kafka.coordinator.assignors.range',
                                         fromlist=['x']).RangePartitionAssignor])
        end = time.time() + 30
        while not c.assignment() and time.time() < end:
            c.poll(timeout_ms=200)
        print("joined", flush=True)
        end = time.time() + 40
        while len(c.assignment()) != 2 and time.time() < end:
            c.poll(timeout_ms=200)
        asg = sorted(tp.partition for tp in c.assignment())
        p = KafkaProducer(bootstrap_servers=%r)
        for i in range(40):
            p.send('f4', b'v%%d' %% i, key=b'k%%d' %% i)
        p.flush()
        got, end = [], time.time() + 5
        while time.time() < end:
            for tp, ms in c.poll(timeout_ms=300).items():
                got += [[tp.partition, m.value.decode()] for m in ms]
        c.close()
        print(json.dumps({"asg": asg, "got": got}))
    """ % (bs, bs))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c = None
    try:
        assert py.stdout.readline() == "joined\n", py.stderr.read()
        c = subprocess.Popen([bin_path("odradek"), "console-consumer", "--bootstrap-server", bs,
                              "--topic", "f4", "--group", "fol", "--from-beginning",
                              "--timeout-ms", "15000", "--property", "print.partition=true"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pyout, pyerr = py.communicate(timeout=90)
        assert py.returncode == 0, pyerr[-3000:]
        got = json.loads(pyout.strip().splitlines()[-1])
        out, err = c.communicate(timeout=60)
    finally:
        for x in (py, c):
            if x is not None and x.poll() is None:
                x.kill()
    assert c.returncode == 0, err
    mine = [l.split("\t") for l in out.splitlines()]
    my_parts = sorted({int(p.split(":")[1]) for p, _ in mine})
    assert len(got["asg"]) == 2 and sorted(got["asg"] + my_parts) == [0, 1, 2, 3]
    values = [v for _, v in got["got"]] + [v for _, v in mine]
    assert sorted(values) == sorted(f"v{i}" for i in range(40))


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_consumer_reads_kcat_compressed(broker, codec):
    """Batches compressed by librdkafka (raw snappy, LZ4 frames, ...) are
    printed by console-consumer."""
    bs = broker.bootstrap
    lines = [f"{codec}-{i}" for i in range(100)]
    kcat("-b", bs, "-P", "-t", "kz-" + codec, "-z", codec, "-X", "linger.ms=50",
         input="\n".join(lines) + "\n")
    p = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "kz-" + codec,
                "--from-beginning", "--max-messages", "100")
    assert p.stdout.splitlines() == lines


def test_librdkafka_group_member_resumes_at_committed_offsets(broker_factory):
    """console-consumer reads 25 of 40 in a group and exits (commit, leave);
    kcat in the same group (librdkafka's balanced consumer) then gets
    exactly the other 15."""
    b = broker_factory(extra=SETTINGS)
    bs = b.bootstrap
    odradek("topics", "--bootstrap-server", bs, "--create", "--topic", "rk", "--partitions", "4")
    odradek("console-producer", "--bootstrap-server", bs, "--topic", "rk", "--property",
            "parse.key=true", input="".join(f"k{i}\tv{i}\n" for i in range(40)))
    first = odradek("console-consumer", "--bootstrap-server", bs, "--topic", "rk", "--group",
                    "rkg", "--from-beginning", "--max-messages", "25").stdout.split()
    assert len(first) == 25
    out = subprocess.run(["kcat", "-b", bs, "-G", "rkg", "-e", "-q", "-f", "%s\\n",
                          "-X", "auto.offset.reset=earliest", "rk"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rest = out.stdout.split()
    assert sorted(first + rest) == sorted(f"v{i}" for i in range(40))
