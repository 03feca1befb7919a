#!/usr/bin/python3
"""chatty.py N: write N numbered 100-byte lines to stdout and N to stderr,
then sleep until killed (log capture and rotation)."""
import sys
import time

n = int(sys.argv[1])
for i in range(n):
    sys.stdout.write(("out %06d " % i).ljust(99, "x") + "\n")
    sys.stderr.write(("err %06d " % i).ljust(99, "y") + "\n")
sys.stdout.flush()
sys.stderr.flush()
time.sleep(0.3)  # two pipes: let the supervisor drain both before "done"
print("done", flush=True)
while True:
    time.sleep(3600)
