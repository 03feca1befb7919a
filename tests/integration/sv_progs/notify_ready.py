#!/usr/bin/python3
"""notify_ready.py DELAY [MARK]: after DELAY seconds send STATUS= and
READY=1 to $NOTIFY_SOCKET (sd_notify protocol, '@' = abstract), then sleep
until killed.  MARK only tags the command line for the tests."""
import os
import socket
import sys
import time

time.sleep(float(sys.argv[1]))
path = os.environ["NOTIFY_SOCKET"]
addr = "\0" + path[1:] if path.startswith("@") else path
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"STATUS=warming up", addr)
s.sendto(b"READY=1\nSTATUS=serving", addr)
print("ready sent", flush=True)
while True:
    time.sleep(3600)
