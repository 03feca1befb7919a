"""SIGTERM at any moment of a broker's start-up ends in a clean stop (exit
0, clean-shutdown marker written): a supervisor or a test may stop a broker
the instant its port accepts, or while it still waits for the coordination
service."""
import os
import signal
import socket
import time

from conftest import BrokerDaemon


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def test_sigterm_as_soon_as_the_port_accepts(coord):
    for i in range(12):
        b = BrokerDaemon(coord.connect, extra={"num.partitions": 1})
        b.start(wait=False)
        deadline = time.monotonic() + 20
        while not accepts(b.port):
            assert b.proc.poll() is None, b.log_text()[-2000:]
            assert time.monotonic() < deadline, "broker never listened"
            time.sleep(0.002)
        b.proc.send_signal(signal.SIGTERM)
        rc = b.proc.wait(30)
        b._log.close()
        assert rc == 0, f"round {i}: exit {rc}\n{b.log_text()[-2000:]}"
        b.assert_clean()
        marker = [f for f in os.listdir(b.log_dir) if f == ".kafka_cleanshutdown"]
        assert marker, f"round {i}: no clean-shutdown marker"
        b.remove_workdir()


def test_sigterm_while_waiting_for_the_coordination_service(coord_factory):
    c = coord_factory()
    port = c.port
    c.stop()
    b = BrokerDaemon(f"127.0.0.1:{port}", extra={"zookeeper.connection.timeout.ms": 60000})
    b.start(wait=False)
    time.sleep(0.5)
    b.proc.send_signal(signal.SIGTERM)
    c.start()  # start-up completes, then the pending stop runs
    rc = b.proc.wait(30)
    b._log.close()
    assert rc == 0, b.log_text()[-2000:]
    assert "shutting down" in b.log_text()
    b.assert_clean()
    b.remove_workdir()
