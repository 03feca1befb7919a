"""Hostile clients against the live daemon: a fixed-seed stream of request
frames built from valid templates of every op, with random bytes flipped,
lengths cut and counts inflated, over several connections at once.  The
daemon must keep serving (each bad frame costs at most its connection) and,
under the ASan build, must not report anything (checked at teardown)."""
import random
import socket
import struct
import time

from coord_fixtures import RawZk, four_letter, ustr, create_body, path_watch, acl_vec

V = lambda v: struct.pack(">i", v)  # noqa: E731


def templates(rng):
    p = "/r%d" % rng.randrange(20)
    q = p + "/c%d" % rng.randrange(5)
    multi = (struct.pack(">i?i", 1, False, -1) + create_body(q) +
             struct.pack(">i?i", 13, False, -1) + ustr(p) + V(-1) +
             struct.pack(">i?i", 2, False, -1) + ustr(q) + V(-1) +
             struct.pack(">i?i", -1, True, -1))
    return [
        (1, create_body(p, b"d" * rng.randrange(50), rng.randrange(4))),
        (15, create_body(q, b"", rng.randrange(4))),
        (19, create_body(p + "c", b"", 4)),
        (2, ustr(q) + V(-1)),
        (3, path_watch(p, True)),
        (4, path_watch(p, True)),
        (5, ustr(p) + ustr(b"x") + V(-1)),
        (6, ustr(p)),
        (7, ustr(p) + acl_vec([(31, "world", "anyone")]) + V(-1)),
        (8, path_watch(p, True)),
        (12, path_watch("/", True)),
        (9, ustr(p)),
        (13, ustr(p) + V(0)),
        (14, multi),
        (22, struct.pack(">i?i", 4, False, -1) + path_watch(p) + struct.pack(">i?i", -1, True, -1)),
        (18, ustr(p) + V(rng.randrange(1, 4))),
        (17, ustr(p) + V(3)),
        (100, V(0) + ustr("digest") + ustr(b"u:p")),
        (101, struct.pack(">q", 0) + V(1) + ustr(p) + V(1) + ustr(q) + V(1) + ustr("/")),
        (105, struct.pack(">q", 0) + V(0) * 3 + V(1) + ustr(p) + V(1) + ustr("/")),
        (106, ustr(p) + V(rng.randrange(2))),
        (103, ustr("/")),
        (104, ustr("/")),
        (107, b""),
        (11, b""),
    ]


def mutate(rng, body):
    b = bytearray(body)
    kind = rng.randrange(6)
    if kind == 0 and b:
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1 and b:
        del b[rng.randrange(len(b)):]
    elif kind == 2 and len(b) >= 4:
        i = rng.randrange(len(b) - 3)
        b[i:i + 4] = struct.pack(">i", rng.choice([-2, -1, 0x7fffffff, 0x10000, 65]))
    elif kind == 3:
        b += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    return bytes(b)  # kinds 4, 5: unchanged (valid requests keep state moving)


def test_random_frames_do_not_hurt_the_daemon(coord):
    rng = random.Random(20261125)
    conns = []
    sent = closed = 0
    deadline = time.monotonic() + 6.0
    while time.monotonic() < deadline:
        if len(conns) < 4:
            r = RawZk(coord.host, coord.port, timeout=2)
            r.connect(timeout_ms=10000)
            conns.append(r)
        r = rng.choice(conns)
        op, body = rng.choice(templates(rng))
        xid = -4 if op == 100 else (-2 if op == 11 else rng.randrange(1, 1 << 30))
        try:
            r.send_frame(struct.pack(">ii", xid, op) + mutate(rng, body))
            sent += 1
            r.sock.settimeout(2)
            r.reply()
        except (ConnectionError, OSError, struct.error, IndexError, UnicodeDecodeError):
            closed += 1
            r.close()
            conns.remove(r)
    for r in conns:
        r.close()
    print(f"sent {sent} frames, {closed} connections closed by the server")
    assert sent > 200
    assert four_letter(coord.host, coord.port, "ruok") == "imok"
    ok = RawZk(coord.host, coord.port)
    ok.connect()
    assert ok.create("/after-chaos")[0] == 0
