#!/usr/bin/python3
"""ruok_server.py PORT [DELAY]: after DELAY seconds listen on 127.0.0.1:PORT
and answer ZooKeeper's "ruok" with "imok" and "srvr" with a "Mode:" line
(one request per connection).
SIGSTOP it to make it hang: connects still succeed (the kernel's backlog)
but nothing answers."""
import socket
import sys
import time

port = int(sys.argv[1])
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
print("listening", port, flush=True)
while True:
    c, _ = srv.accept()
    c.settimeout(2)
    try:
        word = c.recv(4)
        if word == b"ruok":
            c.sendall(b"imok")
        elif word == b"srvr":
            c.sendall(b"Zookeeper version: fake\nMode: standalone\nNode count: 1\n")
    except OSError:
        pass
    c.close()
