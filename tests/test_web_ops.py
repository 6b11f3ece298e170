"""web.ops, web.request_log and web.production: the health check, JSON request logs, the
production entry point (and its refusal of development settings), served by gunicorn."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app import DEFAULTS, create_app, production_app
from web import production
from web.auth import DB_KEY

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 64


def test_healthz_checks_the_database_and_the_layers(app, client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["status"] == "ok" and r.json["checks"] == {"database": "ok", "layers": "ok"}
    assert app.config["DATABASE_URL"].startswith(r.json["database"]) and r.json["data_version"]
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_is_unreachable(app, client, tmp_path):
    app.extensions[DB_KEY].engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json["status"] == "error" and r.json["checks"]["database"].startswith("error: ")
    assert r.json["checks"]["layers"] == "ok"


@pytest.fixture
def logged_app(data_dir, tmp_path):
    log = tmp_path / "requests.log"
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATA_DIR": str(data_dir),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}", "REQUEST_LOG": str(log),
                      "WTF_CSRF_ENABLED": False})
    return app, log


def _lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_each_request_is_one_json_line(logged_app):
    app, log = logged_app
    client = app.test_client()
    r = client.get("/api/layers?x=1", headers={"X-Request-ID": "nginx-req-12345678"})
    assert r.headers["X-Request-ID"] == "nginx-req-12345678"
    client.get("/nope")
    client.get("/quota/")
    first, missing, denied = _lines(log)
    assert set(first) == {"time", "method", "path", "status", "duration_ms", "bytes", "user", "remote",
                          "request_id"}
    assert first["method"] == "GET" and first["path"] == "/api/layers" and first["status"] == 200
    assert first["request_id"] == "nginx-req-12345678" and first["user"] == "-"
    assert first["time"].endswith("+00:00") and 0 <= first["duration_ms"] < 10_000
    assert (missing["status"], denied["status"]) == (404, 302)
    assert len({first["request_id"], missing["request_id"], denied["request_id"]}) == 3


def test_the_log_names_the_signed_in_user_and_ignores_odd_request_ids(logged_app):
    from store import accounts
    from web.auth import database

    app, log = logged_app
    with app.app_context(), database().write() as session:
        accounts.create_user(session, "li.ming", "password-123", "viewer")
    client = app.test_client()
    client.post("/auth/login", data={"username": "li.ming", "password": "password-123"})
    r = client.get("/quota/", headers={"X-Request-ID": "bad id {injected}"})
    line = _lines(log)[-1]
    assert line["user"] == "li.ming" and line["status"] == 200
    assert line["request_id"] == r.headers["X-Request-ID"] != "bad id {injected}"
    assert len(line["request_id"]) == 32


def test_errors_in_the_app_log_carry_the_request_id(app, client, caplog):
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
    with caplog.at_level("ERROR"):
        r = client.get("/boom", headers={"X-Request-ID": "trace-abcdef12"})
    assert r.status_code == 500
    assert any("[request trace-abcdef12]" in rec.getMessage() for rec in caplog.records)


def test_openapi_description_is_served(client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.0") and "/api/quota/check" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# ----- production entry point -------------------------------------------------------------

def test_production_refuses_development_settings():
    assert production.problems({"SECRET_KEY": DEFAULTS["SECRET_KEY"]})[0].startswith("SECRET_KEY is the")
    assert "shorter" in production.problems({"SECRET_KEY": "short"})[0]
    assert production.problems({"SECRET_KEY": STRONG_KEY, "DEBUG": True}) == ["DEBUG/TESTING is on"]
    assert production.problems({"SECRET_KEY": STRONG_KEY, "WTF_CSRF_ENABLED": False})
    assert production.problems({"SECRET_KEY": STRONG_KEY}) == []


def test_production_factory_exits_with_the_default_key(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SEI_ATLAS_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as exc:
        production_app({"DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    assert exc.value.code == 3
    assert "SECRET_KEY is the development default" in capsys.readouterr().err
    app = production_app({"DATA_DIR": str(data_dir), "SECRET_KEY": STRONG_KEY,
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    assert app.test_client().get("/healthz").status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(data_dir: Path, tmp_path: Path, **more) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEI_ATLAS_")}
    env.update(SEI_ATLAS_DATA_DIR=str(data_dir), SEI_ATLAS_DATABASE_URL=f"sqlite:///{tmp_path / 'srv.db'}",
               VENV=str(Path(sys.executable).parent.parent), **more)
    return env


def test_serve_production_refuses_the_default_key(data_dir, tmp_path):
    done = subprocess.run(["bash", "scripts/serve-production.sh"], cwd=ROOT, capture_output=True, text=True,
                          env=_server_env(data_dir, tmp_path, BIND=f"127.0.0.1:{_free_port()}"),
                          timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY is the development default" in done.stderr


def _group(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()


def _wait_for(condition, timeout: float = 20) -> bool:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.parametrize("server", ["gunicorn", "waitress"])
def test_serve_production_serves_with_several_workers(server, data_dir, tmp_path):
    port = _free_port()
    log = tmp_path / "requests.log"
    env = _server_env(data_dir, tmp_path, BIND=f"127.0.0.1:{port}", WORKERS="2", THREADS="2",
                      SERVER=server, SEI_ATLAS_SECRET_KEY=STRONG_KEY, SEI_ATLAS_REQUEST_LOG=str(log))
    proc = subprocess.Popen(["bash", "scripts/serve-production.sh"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    assert json.load(r)["status"] == "ok"
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
                assert time.time() < deadline, "the server did not come up"
                time.sleep(0.3)
        for _ in range(8):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/layers", timeout=10) as r:
                assert r.status == 200 and r.headers["Content-Security-Policy"]
        if server == "gunicorn":  # the master and two workers
            assert _wait_for(lambda: len(_group(proc.pid)) >= 3), _group(proc.pid)
        assert sum(1 for line in _lines(log) if line["path"] == "/api/layers") == 8
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_healthz_reads_the_layers_it_reports_on(app, client, data_dir):
    """A served layer the pages cannot use (figures stored as text) makes /healthz say so."""
    from parks.catalog import Catalog
    from store import layer_versions as lv

    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    parks["a12_km2"] = parks["a12_km2"].astype(object).fillna("")
    lv.switch(data_dir, "parks", lv.write_version(data_dir, "parks", parks, {"origin": "test"}))
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json["status"] == "error"
    assert r.json["checks"]["database"] == "ok" and "parks.a12_km2" in r.json["checks"]["layers"]
