"""Avro in the message browser: values encoded by Debian's python3-avro are
decoded by the UI's own decoder (ui/static/avro.js, run in Node) to the same
data; the broker serves the topic's local schema files; Chromium shows a
produced Avro record decoded in the browse page."""
import base64
import io
import json
import os
import shutil
import subprocess

import pytest

from conftest import UI_DIR as UI

SCHEMA = {
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "small", "type": "int"},
        {"name": "customer", "type": "string"},
        {"name": "paid", "type": "boolean"},
        {"name": "total", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "items", "type": {"type": "array", "items": {
            "type": "record", "name": "Item", "fields": [
                {"name": "sku", "type": "string"},
                {"name": "qty", "type": "int"}]}}},
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "digest", "type": {"type": "fixed", "name": "MD5", "size": 4}},
        {"name": "blob", "type": "bytes"},
        {"name": "again", "type": ["null", "Item"]},
    ],
}


def order(i):
    return {"id": 2 ** 60 + i if i % 2 else -i, "small": -2 ** 31 + i, "customer": f"cüstomer {i}",
            "paid": i % 2 == 0, "total": 10.25 * i, "ratio": 0.5, "note": None if i % 3 else f"n{i}",
            "status": ["NEW", "PAID", "SHIPPED"][i % 3],
            "items": [{"sku": f"s{k}", "qty": k} for k in range(i % 4)],
            "tags": {f"t{k}": k * 1000 for k in range(i % 3)},
            "digest": bytes([i, 1, 2, 3]), "blob": b"\x00\xff" * i,
            "again": {"sku": "x", "qty": i} if i % 2 else None}


def encode(schema_json, datum):
    import avro.io
    import avro.schema
    schema = avro.schema.parse(json.dumps(schema_json))
    out = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()


def as_json(datum):
    """What the UI shows: bytes and fixed as hex, longs beyond 2^53 as strings."""
    if isinstance(datum, dict):
        return {k: as_json(v) for k, v in datum.items()}
    if isinstance(datum, list):
        return [as_json(v) for v in datum]
    if isinstance(datum, bytes):
        return datum.hex()
    if isinstance(datum, int) and not isinstance(datum, bool) and abs(datum) > 2 ** 53 - 1:
        return str(datum)
    return datum


def node_ok():
    return shutil.which("node") is not None


def test_ui_avro_decoder_matches_python_avro(tmp_path):
    if not node_ok():
        pytest.fail("node missing (scripts/test installs it)")
    cases = []
    for i in range(12):
        b = encode(SCHEMA, order(i))
        cases.append({"schema": SCHEMA, "b64": base64.b64encode(b).decode(),
                      "want": as_json(order(i))})
    b = encode(SCHEMA, order(5))
    framed = b"\x00\x00\x00\x00\x2a" + b
    cases.append({"schema": SCHEMA, "b64": base64.b64encode(framed).decode(),
                  "want": as_json(order(5)), "framed": True})
    # not Avro of this schema: cut short, trailing bytes, bad enum index
    cases.append({"schema": SCHEMA, "b64": base64.b64encode(b[:-3]).decode(), "error": True})
    cases.append({"schema": "long", "b64": base64.b64encode(b"\x02\x02").decode(), "error": True})
    cases.append({"schema": {"type": "enum", "name": "E", "symbols": ["A"]},
                  "b64": base64.b64encode(b"\x04").decode(), "error": True})
    for s, v in [("string", "héllo"), ("long", -(2 ** 63)), ("double", 1.5), ("null", None),
                 ({"type": "array", "items": "int"}, list(range(300)))]:
        cases.append({"schema": s, "b64": base64.b64encode(encode(s, v)).decode(),
                      "want": as_json(v)})
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    r = subprocess.run(["node", os.path.join(UI, "avro_check.mjs"), str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"ok {len(cases)}", r.stdout + r.stderr


def test_schema_endpoint_and_browser_view(broker_factory, tmp_path):
    import urllib.request
    sdir = tmp_path / "schemas"
    sdir.mkdir()
    (sdir / "orders.avsc").write_text(json.dumps(SCHEMA))
    (sdir / "orders-key.avsc").write_text('"string"')
    b = broker_factory(extra={"http.avro.schema.dir": str(sdir)})
    from kafka import KafkaProducer
    p = KafkaProducer(bootstrap_servers=b.bootstrap)
    for i in range(3):
        p.send("orders", key=encode("string", f"order-{i}"), value=encode(SCHEMA, order(i)))
    p.send("plain", value=b"x")
    p.flush()
    p.close()
    with urllib.request.urlopen(f"http://127.0.0.1:{b.http_port}/api/v1/topics/orders/schema") as r:
        s = json.loads(r.read())
    assert json.loads(s["value"]) == SCHEMA and json.loads(s["key"]) == "string"
    with urllib.request.urlopen(f"http://127.0.0.1:{b.http_port}/api/v1/topics/plain/schema") as r:
        assert json.loads(r.read()) == {"key": None, "value": None}
    if not (os.path.exists("/usr/bin/chromium") and
            os.path.isdir(os.path.join(UI, "node_modules", "playwright-core"))):
        pytest.fail("chromium or playwright-core missing (scripts/test installs them)")
    shots = os.environ.get("ODRADEK_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    r = subprocess.run(["node", os.path.join(UI, "avro_view.mjs"),
                        f"http://127.0.0.1:{b.http_port}", shots],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
    assert os.path.getsize(os.path.join(shots, "avro-01-message.png")) > 5000
