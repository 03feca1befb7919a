"""The broker's cluster state in the coordination service (kf_zk): after the
broker starts against odradek-coord, and against Debian's real ZooKeeper,
kazoo sees Kafka 2.8's znodes with the right JSON; topics travel both ways;
start-up waits for the service and gives up with a non-zero exit; kill -9 and
restart, and a coordination service that goes away and comes back."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
from kazoo.client import KazooClient

from conftest import BrokerDaemon, Daemon, free_port, wait_port

ZK_JAR = "/usr/share/java/zookeeper.jar"


def wait_until(pred, timeout=15.0, step=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def four(port, word):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(word.encode())
        data = b""
        while True:
            c = s.recv(65536)
            if not c:
                return data.decode()
            data += c


class RealZooKeeper(Daemon):
    """Debian's ZooKeeper 3.8 (java), standalone, on a free port."""

    def __init__(self):
        workdir = tempfile.mkdtemp(prefix="odradek-realzk-")
        self.host = "127.0.0.1"
        self.port = free_port()
        cfg = os.path.join(workdir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write(f"tickTime=500\ndataDir={workdir}/data\nclientPort={self.port}\n"
                    f"clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n"
                    "4lw.commands.whitelist=*\nadmin.enableServer=false\n"
                    "minSessionTimeout=1000\n")
        super().__init__("zookeeper", ["/usr/bin/java", "-Dzookeeper.admin.enableServer=false",
                                       "-cp", ZK_JAR,
                                       "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
                         workdir=workdir, notify=False)

    def start(self, wait=True):
        super().start(wait=False)
        wait_until(lambda: self._ok(), timeout=60, what="zookeeper imok")
        return self

    def _ok(self):
        assert self.alive(), self.log_text()[-3000:]
        try:
            return four(self.port, "ruok") == "imok"
        except OSError:
            return False

    @property
    def connect(self):
        return f"{self.host}:{self.port}"


@pytest.fixture
def realzk():
    if not os.path.exists(ZK_JAR) or shutil.which("java") is None:
        pytest.skip("Debian's zookeeper package (and java) not installed")
    z = RealZooKeeper().start()
    yield z
    z.stop()


@pytest.fixture(params=["coord", "zookeeper"])
def service(request, coord_factory):
    """The coordination service: odradek-coord, then Debian's ZooKeeper."""
    if request.param == "coord":
        return coord_factory()
    return request.getfixturevalue("realzk")


def kazoo(connect):
    k = KazooClient(hosts=connect, timeout=10)
    k.start(timeout=10)
    return k


def jget(k, path):
    data, stat = k.get(path)
    return json.loads(data.decode()), stat


def check_cluster_state(k, broker_id, port, chroot=""):
    p = chroot
    cid, _ = jget(k, p + "/cluster/id")
    assert cid["version"] == "1"                  # a string, as Kafka writes it
    assert isinstance(cid["id"], str) and len(cid["id"]) == 22
    reg, stat = jget(k, f"{p}/brokers/ids/{broker_id}")
    assert stat.ephemeralOwner != 0
    assert reg["version"] == 5
    assert reg["endpoints"] == [f"PLAINTEXT://127.0.0.1:{port}"]
    assert reg["host"] == "127.0.0.1" and reg["port"] == port
    assert reg["jmx_port"] == -1 and reg["features"] == {}
    assert reg["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"}
    assert isinstance(reg["timestamp"], str) and reg["timestamp"].isdigit()
    ctl, cstat = jget(k, p + "/controller")
    assert ctl["version"] == 1 and ctl["brokerid"] == broker_id
    assert isinstance(ctl["timestamp"], str)
    assert cstat.ephemeralOwner == stat.ephemeralOwner
    epoch, _ = k.get(p + "/controller_epoch")
    assert int(epoch.decode()) >= 1
    for root in ("/consumers", "/brokers/topics", "/brokers/seqid", "/config/changes",
                 "/config/topics", "/config/clients", "/config/users", "/config/brokers",
                 "/config/ips", "/admin/delete_topics", "/isr_change_notification",
                 "/latest_producer_id_block", "/log_dir_event_notification"):
        assert k.exists(p + root) is not None, root
    return cid["id"], int(epoch.decode())


def start_broker(connect, extra=None, workdir=None, port=None):
    props = {"zookeeper.session.timeout.ms": 4000, "zookeeper.connection.timeout.ms": 6000}
    props.update(extra or {})
    b = BrokerDaemon(connect, extra=props, workdir=workdir, port=port)
    b.start()
    return b


def test_znodes_and_topics(service):
    """Kafka's znodes with Kafka's JSON, on odradek-coord and on ZooKeeper;
    a topic written by another tool under /brokers/topics is created by the
    broker (with partition state), a deletion request under
    /admin/delete_topics removes it."""
    b = start_broker(service.connect)
    k = kazoo(service.connect)
    try:
        cluster_id, _ = check_cluster_state(k, 0, b.port)
        # meta.properties holds the same cluster id
        with open(os.path.join(b.log_dir, "meta.properties")) as f:
            assert f"cluster.id={cluster_id}\n" in f.read()

        # a topic as kafka-topics.sh --zookeeper (Kafka <= 2.x) writes it
        k.create("/config/topics/ztopic", json.dumps(
            {"version": 1, "config": {"retention.ms": "86400000"}}).encode())
        k.create("/brokers/topics/ztopic", json.dumps(
            {"version": 1, "partitions": {"0": [0], "1": [0], "2": [0]}}).encode())
        for p in range(3):
            st = wait_until(lambda: k.exists(f"/brokers/topics/ztopic/partitions/{p}/state"),
                            what=f"state of ztopic-{p}")
            assert st is not None
            state, _ = jget(k, f"/brokers/topics/ztopic/partitions/{p}/state")
            assert state["leader"] == 0 and state["isr"] == [0]
            assert state["version"] == 1 and state["leader_epoch"] >= 0
            assert state["controller_epoch"] >= 1
        wait_until(lambda: os.path.isdir(os.path.join(b.log_dir, "ztopic-2")),
                   what="ztopic-2 log directory")

        # more partitions, as kafka-topics.sh --alter --partitions writes them
        k.set("/brokers/topics/ztopic", json.dumps(
            {"version": 1, "partitions": {str(p): [0] for p in range(5)}}).encode())
        wait_until(lambda: k.exists("/brokers/topics/ztopic/partitions/4/state"),
                   what="state of the added partition")
        wait_until(lambda: os.path.isdir(os.path.join(b.log_dir, "ztopic-4")),
                   what="ztopic-4 log directory")

        # deletion request, as kafka-topics.sh --delete
        k.create("/admin/delete_topics/ztopic")
        wait_until(lambda: k.exists("/brokers/topics/ztopic") is None,
                   what="/brokers/topics/ztopic removed")
        wait_until(lambda: k.exists("/admin/delete_topics/ztopic") is None,
                   what="delete request consumed")
        assert k.exists("/config/topics/ztopic") is None
        wait_until(lambda: not any(n.startswith("ztopic-") and not n.endswith("-delete")
                                   for n in os.listdir(b.log_dir)),
                   what="ztopic log dirs gone")
    finally:
        k.stop()
        assert b.stop() == 0
    # clean shutdown deregisters at once (closeSession), no session timeout
    k = kazoo(service.connect)
    try:
        assert k.exists("/brokers/ids/0") is None
        assert k.exists("/controller") is None
    finally:
        k.stop()


def test_topic_created_by_kafka_client_is_written(coord):
    """A topic created through the Kafka protocol (CreateTopics) appears in
    Kafka 2.8's shape, with its config and a config change notification
    when the config is altered."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    b = start_broker(coord.connect)
    k = kazoo(coord.connect)
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=10000)
    try:
        admin.create_topics([NewTopic("kt", 2, 1, topic_configs={"retention.ms": "3600000"})])
        t = wait_until(lambda: k.exists("/brokers/topics/kt"), what="/brokers/topics/kt")
        assert t is not None
        topic, _ = jget(k, "/brokers/topics/kt")
        assert topic["version"] == 3
        assert topic["partitions"] == {"0": [0], "1": [0]}
        assert topic["adding_replicas"] == {} and topic["removing_replicas"] == {}
        assert len(topic["topic_id"]) == 22
        conf, _ = jget(k, "/config/topics/kt")
        assert conf == {"version": 1, "config": {"retention.ms": "3600000"}}
        for p in (0, 1):
            wait_until(lambda: k.exists(f"/brokers/topics/kt/partitions/{p}/state"),
                       what="partition state")
        before = set(k.get_children("/config/changes"))
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kt",
                                            configs={"retention.ms": "7200000"})])
        wait_until(lambda: jget(k, "/config/topics/kt")[0]["config"].get("retention.ms")
                   == "7200000", what="config written")
        new = set(k.get_children("/config/changes")) - before
        assert len(new) == 1
        note, _ = jget(k, "/config/changes/" + new.pop())
        assert note == {"version": 2, "entity_path": "topics/kt"}

        # a config change made by another tool reaches the broker
        k.set("/config/topics/kt", json.dumps(
            {"version": 1, "config": {"retention.ms": "60000"}}).encode())
        k.create("/config/changes/config_change_", json.dumps(
            {"version": 2, "entity_path": "topics/kt"}).encode(), sequence=True)

        def retention():
            r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kt")])
            for res in r:
                for entry in res.resources[0][4]:
                    if entry[0] == "retention.ms":
                        return entry[1]
            return None
        wait_until(lambda: retention() == "60000", what="config applied from ZooKeeper")

        admin.delete_topics(["kt"])
        wait_until(lambda: k.exists("/brokers/topics/kt") is None, what="kt znodes deleted")
        assert k.exists("/config/topics/kt") is None
    finally:
        admin.close()
        k.stop()
        assert b.stop() == 0


def test_topic_configs_survive_restart(coord):
    """Topic configs live in /config/topics (Kafka's source of truth): after
    a restart the broker has them again."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    b = start_broker(coord.connect)
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=10000)
    admin.create_topics([NewTopic("keep", 1, 1, topic_configs={"retention.ms": "123456"})])
    admin.close()
    assert b.stop() == 0
    b.start()
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap, request_timeout_ms=10000)
    try:
        r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "keep")])
        got = {e[0]: e[1] for res in r for e in res.resources[0][4]}
        assert got.get("retention.ms") == "123456"
    finally:
        admin.close()
        assert b.stop() == 0


def test_chroot(coord):
    """zookeeper.connect with a chroot: the chroot is created and everything
    lives under it."""
    b = start_broker(coord.connect + "/kafka/odr")
    k = kazoo(coord.connect)
    try:
        check_cluster_state(k, 0, b.port, chroot="/kafka/odr")
        assert k.exists("/brokers") is None
        assert k.exists("/controller") is None
    finally:
        k.stop()
        assert b.stop() == 0


def test_start_without_service_exits_nonzero():
    """Nothing listens at zookeeper.connect: the broker gives up after
    zookeeper.connection.timeout.ms and exits non-zero (a supervisor
    restarts it)."""
    port = free_port()
    b = BrokerDaemon(f"127.0.0.1:{port}", extra={"zookeeper.connection.timeout.ms": 1500})
    t0 = time.monotonic()
    b.start(wait=False)
    try:
        rc = b.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        b.proc.kill()
        raise AssertionError("broker kept waiting for zookeeper")
    elapsed = time.monotonic() - t0
    b._log.close()
    assert rc != 0
    assert 1.0 < elapsed < 15, elapsed
    assert "zookeeper" in b.log_text().lower()
    assert not any(m.startswith("READY=1") for m in b.notify_messages())


def test_waits_for_service_that_comes_up_late(coord_factory):
    """The service starts a little after the broker: start-up waits for it."""
    from conftest import CoordDaemon
    port = free_port()
    b = BrokerDaemon(f"127.0.0.1:{port}", extra={"zookeeper.connection.timeout.ms": 15000})
    b.start(wait=False)
    time.sleep(1.0)                       # the broker is already waiting
    c = CoordDaemon(port=port)
    c.start()
    try:
        b.wait_ready(timeout=20)
        k = kazoo(c.connect)
        try:
            check_cluster_state(k, 0, b.port)
        finally:
            k.stop()
        assert b.stop() == 0
    finally:
        if b.alive():
            b.proc.kill()
        c.cleanup()


def test_kill9_and_restart(service):
    """kill -9: the registration stays (its session lives on); the restarted
    broker recognises its predecessor's (same id, same endpoint), replaces it
    at once instead of waiting a session timeout, and is elected controller
    with a new epoch.  Data written before the kill is there."""
    from kafka import KafkaProducer
    b = start_broker(service.connect, extra={"zookeeper.session.timeout.ms": 30000})
    k = kazoo(service.connect)
    try:
        _, epoch1 = check_cluster_state(k, 0, b.port)
        prod = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1)
        prod.send("k9", b"x").get(timeout=15)
        prod.close()
        wait_until(lambda: k.exists("/brokers/topics/k9"), what="k9 in zookeeper")
        _, old = k.get("/brokers/ids/0")
        b.kill9()
        b.expect_exit = -9
        assert k.exists("/brokers/ids/0") is not None   # its session lives on
        t0 = time.monotonic()
        b.start()                                         # waits for READY=1
        assert time.monotonic() - t0 < 10                 # not a 30 s session timeout
        _, new = k.get("/brokers/ids/0")
        assert new.ephemeralOwner != old.ephemeralOwner
        _, epoch2 = check_cluster_state(k, 0, b.port)
        assert epoch2 == epoch1 + 1
        assert "previous run" in b.log_text()
        assert k.exists("/brokers/topics/k9/partitions/0/state") is not None
        b.expect_exit = None
    finally:
        k.stop()
        assert b.stop() == 0


def test_service_away_and_back(coord_factory):
    """The coordination service restarts: the broker keeps serving Kafka
    requests meanwhile and registers again when it is back."""
    from kafka import KafkaProducer
    c = coord_factory()
    b = start_broker(c.connect)
    prod = KafkaProducer(bootstrap_servers=b.bootstrap, acks=1, request_timeout_ms=10000)
    try:
        prod.send("away", b"before").get(timeout=15)
        assert c.stop() == 0
        # still serving while the service is gone
        md = prod.send("away", b"during").get(timeout=15)
        assert md.offset == 1
        c.start()
        k = kazoo(c.connect)
        try:
            wait_until(lambda: k.exists("/brokers/ids/0"), timeout=20,
                       what="re-registration after the service came back")
            wait_until(lambda: k.exists("/brokers/topics/away"), timeout=20,
                       what="topic written again")
            check_cluster_state(k, 0, b.port)
        finally:
            k.stop()
        assert b.alive()
    finally:
        prod.close()
        assert b.stop() == 0


def test_session_expiry_reregisters(service):
    """The session expires under the broker (it is frozen with SIGSTOP for
    longer than zookeeper.session.timeout.ms): its ephemerals go; once it
    runs again it starts a new session and registers again."""
    b = start_broker(service.connect)
    k = kazoo(service.connect)
    try:
        _, st = k.get("/brokers/ids/0")
        b.signal(signal.SIGSTOP)
        try:
            wait_until(lambda: k.exists("/brokers/ids/0") is None, timeout=20,
                       what="session expiry removing /brokers/ids/0")
            assert k.exists("/controller") is None
        finally:
            b.signal(signal.SIGCONT)
        st2 = wait_until(lambda: k.exists("/brokers/ids/0"), timeout=20,
                         what="registration with a new session")
        assert st2.ephemeralOwner != st.ephemeralOwner
        wait_until(lambda: k.exists("/controller"), timeout=20, what="controller again")
        check_cluster_state(k, 0, b.port)
        assert "expired" in b.log_text()
    finally:
        k.stop()
        assert b.stop() == 0


def test_stop_while_service_down(coord_factory):
    """SIGTERM while the coordination service is gone: the broker still
    stops cleanly and promptly (no wait for a session it cannot close)."""
    c = coord_factory()
    b = start_broker(c.connect)
    assert c.stop() == 0
    t0 = time.monotonic()
    assert b.stop() == 0
    assert time.monotonic() - t0 < 5
    assert os.path.exists(os.path.join(b.log_dir, ".kafka_cleanshutdown"))


def test_listener_on_port_zero_registers_real_port(coord):
    """listeners=PLAINTEXT://127.0.0.1:0: the registration carries the port
    the listener got, not 0."""
    b = BrokerDaemon(coord.connect, extra={"listeners": "PLAINTEXT://127.0.0.1:0"})
    b.start()
    k = kazoo(coord.connect)
    try:
        def port():
            reg, _ = jget(k, "/brokers/ids/0")
            return reg["port"] if reg["port"] != 0 else None
        p = wait_until(port, what="registration with the real port")
        assert reg_endpoint(k) == [f"PLAINTEXT://127.0.0.1:{p}"]
        assert f"127.0.0.1:{p}" in b.log_text()
    finally:
        k.stop()
        assert b.stop() == 0


def reg_endpoint(k):
    return jget(k, "/brokers/ids/0")[0]["endpoints"]
