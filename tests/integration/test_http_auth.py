"""Access control of the broker's HTTP API, enforced by the server (not only
hidden in the page): basic auth and bearer tokens on /api and /metrics, the
UI's static files public, bad auth settings refused at start with
file:line: key: reason and exit 78."""
import base64
import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request

from conftest import bin_path, write_properties


def call(broker, path, headers=None, method="GET", data=None):
    req = urllib.request.Request(f"http://127.0.0.1:{broker.http_port}{path}",
                                 method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def basic(user, password):
    raw = f"{user}:{password}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def test_basic_auth(broker_factory):
    b = broker_factory(extra={"http.auth": "basic", "http.auth.user": "admin",
                              "http.auth.password": "s3cret:with:colons"})
    status, h, body = call(b, "/api/v1/cluster")
    assert status == 401 and h["WWW-Authenticate"].startswith("Basic realm=\"odradek\"")
    assert json.loads(body)["error"] == "authentication required"
    assert call(b, "/api/v1/cluster", basic("admin", "wrong"))[0] == 401
    assert call(b, "/api/v1/cluster", basic("root", "s3cret:with:colons"))[0] == 401
    assert call(b, "/api/v1/cluster", {"Authorization": "Basic !!!"})[0] == 401
    assert call(b, "/api/v1/cluster", {"Authorization": "Bearer s3cret:with:colons"})[0] == 401
    assert call(b, "/metrics")[0] == 401
    status, _, body = call(b, "/api/v1/cluster", basic("admin", "s3cret:with:colons"))
    c = json.loads(body)
    assert status == 200 and c["ui"]["auth"] == "basic" and c["ui"]["user"] == "admin"
    status, _, body = call(b, "/metrics", basic("admin", "s3cret:with:colons"))
    assert status == 200 and b"odradek_http_denied_total" in body
    denied = [l for l in body.decode().splitlines() if l.startswith("odradek_http_denied_total ")]
    assert int(denied[0].split()[1]) >= 6
    # the page's files hold no data and load without credentials
    assert call(b, "/")[0] == 200 and call(b, "/app.js")[0] == 200
    # an unknown API path is 404 before auth (no data either way)
    assert call(b, "/api/v1/none")[0] == 404


def test_token_auth(broker_factory):
    token = "tok-0123456789abcdef"
    b = broker_factory(extra={"http.auth": "token", "http.auth.token": token})
    status, h, _ = call(b, "/api/v1/topics")
    assert status == 401 and h["WWW-Authenticate"].startswith("Bearer")
    assert call(b, "/api/v1/topics", {"Authorization": "Bearer " + token[:-1]})[0] == 401
    assert call(b, "/api/v1/topics", {"Authorization": "Bearer " + token + "x"})[0] == 401
    assert call(b, "/api/v1/topics", basic("token", token))[0] == 401
    status, _, body = call(b, "/api/v1/topics", {"Authorization": "Bearer " + token})
    assert status == 200 and "topics" in json.loads(body)
    assert call(b, "/metrics", {"Authorization": "bearer " + token})[0] == 200


def test_no_auth_by_default_and_cluster_says_what_is_allowed(broker_factory):
    b = broker_factory(extra={"http.allow.produce": "false", "http.allow.delete": "false"})
    status, _, body = call(b, "/api/v1/cluster")
    ui = json.loads(body)["ui"]
    assert status == 200 and ui["auth"] == "none" and not ui["read_only"]
    assert ui["allow_produce"] is False and ui["allow_delete"] is False
    assert ui["allow_offset_reset"] is True
    ro = broker_factory(extra={"http.read.only": "true"})
    ui = json.loads(call(ro, "/api/v1/cluster")[2])["ui"]
    assert ui["read_only"] and not ui["allow_produce"] and not ui["allow_offset_reset"]


def run_config(lines):
    d = tempfile.mkdtemp(prefix="odradek-authcfg-")
    path = os.path.join(d, "server.properties")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run([bin_path("odradek-broker"), path], capture_output=True,
                       text=True, timeout=30)
    return r, path


def test_bad_auth_settings_exit_78():
    base = ["zookeeper.connect=127.0.0.1:1", "log.dirs=/nonexistent-odradek"]
    r, path = run_config(base + ["http.auth=digest"])
    assert r.returncode == 78, r.stderr
    assert f"{path}:3: http.auth: must be one of none, basic, token" in r.stderr
    r, path = run_config(base + ["http.auth=token", "http.auth.token=short"])
    assert r.returncode == 78 and f"{path}:3: http.auth: token needs" in r.stderr
    r, path = run_config(base + ["http.auth=basic", "http.auth.user=a"])
    assert r.returncode == 78 and "basic needs http.auth.user and http.auth.password" in r.stderr
    r, path = run_config(base + ["http.read.only=maybe"])
    assert r.returncode == 78 and f"{path}:3: http.read.only:" in r.stderr
