"""Kill the server in the middle of a reservation or a layer import, restart it, and check the
ledger, the audit trail and the layers are exactly as before or as after — never between.

The server is waitress in a subprocess on loopback (tests/crash_server.py); a hook there stalls a
chosen transaction just before COMMIT, the test SIGKILLs the process, and starts it again.
"""

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
from fixtures_files import make_geojson, make_zipped_shapefile, parcels_gdf

from store import accounts
from store import layer_versions as lv
from web.auth import database

ROOT = Path(__file__).resolve().parent.parent
PARK01 = (113.846, 34.549)
PASSWORD = "password-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app under waitress in a subprocess, started and SIGKILLed at will."""

    def __init__(self, data_dir: Path, db_url: str, tmp: Path):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SEI_ATLAS_", "CRASH_"))}
        self.env.update(SEI_ATLAS_DATA_DIR=str(data_dir), SEI_ATLAS_DATABASE_URL=db_url,
                        SEI_ATLAS_SECRET_KEY="r" * 64, SEI_ATLAS_REQUEST_LOG="",
                        SEI_ATLAS_UPLOAD_RATE_LIMIT="1000 per minute")
        self.marker = tmp / "in-commit"
        self.proc = None
        self.url = ""

    def start(self, crash_on: str = "", crash_after: int = 1) -> None:
        self.marker.unlink(missing_ok=True)
        port = _free_port()
        env = dict(self.env, CRASH_ON=crash_on, CRASH_AFTER=str(crash_after), CRASH_MARKER=str(self.marker))
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "crash_server.py"), str(port)],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or busy starting
                pass
            assert self.proc.poll() is None, self.proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.2)

    def kill_when_stalled(self, timeout: float = 30) -> None:
        """Wait until the hooked transaction has done its work and stalls before COMMIT; kill -9."""
        deadline = time.time() + timeout
        while not self.marker.exists():
            assert time.time() < deadline and self.proc.poll() is None, "the transaction never stalled"
            time.sleep(0.05)
        self.kill()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.kill()


@pytest.fixture
def server(app, data_dir, tmp_path):
    """A fresh database with a land clerk and an admin (API tokens), served from a subprocess."""
    url = app.config["DATABASE_URL"]
    with app.app_context(), database().write() as session:
        accounts.create_user(session, "clerk", PASSWORD, "land_staff")
        accounts.create_user(session, "boss", PASSWORD, "admin")
        tokens = {"clerk": accounts.new_api_token(session, "clerk")}
    database_of(app).dispose()
    srv = Server(data_dir, url, tmp_path)
    srv.tokens = tokens
    yield srv
    srv.stop()


def database_of(app):
    return app.extensions["atlas_db"]


def fire(fn, *args, **kwargs) -> threading.Thread:
    """Run a request that will never get its answer (the server dies under it)."""
    def run():
        with contextlib.suppress(requests.RequestException):
            fn(*args, **kwargs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def api(srv: Server, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {srv.tokens['clerk']}"}
    return requests.request(method, srv.url + path, headers=headers, timeout=60, **kwargs)


def ledger_state(srv: Server) -> tuple:
    rows = api(srv, "GET", "/api/quota/ledger").json()["areas"]
    audit = api(srv, "GET", "/api/quota/audit").json()["entries"]
    return ({r["area_id"]: (r["reserved_m2"], r["approved_m2"]) for r in rows},
            sorted((e["id"], e["action"], e["target"]) for e in audit))


def check_parcels(srv: Server, tmp_path: Path, n: int) -> int:
    """Check ``n`` 6-ha parcels laid out in rows of four inside park-01; returns the check id."""
    rows = [parcels_gdf(min(4, n - i), lon=PARK01[0] - 0.004, lat=PARK01[1] + 0.0022 * (i // 4) - 0.003,
                        names=[f"地块{j}" for j in range(i, i + 4)], spacing_m=310)
            for i in range(0, n, 4)]
    path = make_geojson(tmp_path, pd.concat(rows, ignore_index=True))
    with open(path, "rb") as f:
        r = api(srv, "POST", "/api/quota/check", files={"file": ("parcels.geojson", f)})
    assert r.status_code == 201, r.text
    return r.json()["check_id"]


def integrity(db_url: str) -> str:
    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA integrity_check").fetchone()[0]


def sqlite_only(app):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return
    assert integrity(app.config["DATABASE_URL"]) == "ok"


def test_killed_during_a_reservation_the_ledger_is_as_before(server, app, tmp_path):
    server.start(crash_on="parcel.reserve")
    check_id = check_parcels(server, tmp_path, 1)
    before = ledger_state(server)
    fire(api, server, "POST", "/api/quota/reserve",
         json={"check_id": check_id, "parcel_no": 1, "reason": "kill test"})
    server.kill_when_stalled()

    server.start()
    assert ledger_state(server) == before
    sqlite_only(app)
    r = api(server, "POST", "/api/quota/reserve", json={"check_id": check_id, "parcel_no": 1,
                                                        "reason": "after restart"})
    assert r.status_code == 201, r.text  # nothing half-done blocks the same parcel
    reserved, audit = ledger_state(server)
    assert reserved["park-01"][0] == pytest.approx(before[0]["park-01"][0] + r.json()["area_m2"])
    assert [a for a in audit if a[1] == "parcel.reserve"] == [(audit[-1][0], "parcel.reserve", audit[-1][2])]


def test_killed_amid_concurrent_reservations_every_allocation_is_whole(server, app, tmp_path):
    """Twelve clerks reserve at once and the server dies inside the fifth reservation's
    transaction while the others wait for the ledger: afterwards exactly the four committed ones
    are in the ledger, each with its audit line, and nothing else is there."""
    server.start(crash_on="parcel.reserve", crash_after=5)
    check_id = check_parcels(server, tmp_path, 12)
    threads = [fire(api, server, "POST", "/api/quota/reserve",
                    json={"check_id": check_id, "parcel_no": no, "reason": "race"}) for no in range(1, 13)]
    server.kill_when_stalled()
    for t in threads:
        t.join(timeout=5)

    server.start()
    sqlite_only(app)
    reserved, audit = ledger_state(server)
    lines = [a for a in audit if a[1] == "parcel.reserve"]
    with app.app_context(), database().read() as session:
        from store.models import Allocation

        allocations = session.query(Allocation).filter_by(check_id=check_id).all()
    assert len(allocations) == len(lines) == 4
    assert {f"allocation:{a.id}" for a in allocations} == {target for _, _, target in lines}
    assert reserved["park-01"][0] == pytest.approx(sum(a.area_m2 for a in allocations))
    assert reserved["park-01"][0] <= 937_500 + 1e-6


def _admin_session(server: Server) -> tuple[requests.Session, str]:
    s = requests.Session()
    page = s.get(f"{server.url}/auth/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = s.post(f"{server.url}/auth/login", data={"username": "boss", "password": PASSWORD,
                                                 "csrf_token": token}, timeout=30, allow_redirects=False)
    assert r.status_code == 302, r.text[:300]
    return s, token


def _features(server: Server) -> list[str]:
    layer = requests.get(f"{server.url}/api/layers/parks", timeout=30).json()
    return [f["properties"]["name_zh"] for f in layer["features"]]


def test_killed_during_a_layer_import_the_layer_is_as_before(server, app, data_dir, tmp_path):
    server.start(crash_on="layer.import")
    before = (_features(server), lv.current_version(data_dir, "parks"))
    s, csrf = _admin_session(server)
    gdf = parcels_gdf(2, names=["官方园区甲", "官方园区乙"]).rename(
        columns={"name": "YQMC", "code": "园区代码", "area_ha": "面积(公顷)"})
    path = make_zipped_shapefile(tmp_path, gdf, crs=4526, encoding="GBK", cpg=False)
    with open(path, "rb") as f:
        r = s.post(f"{server.url}/admin/import", data={"layer": "parks", "mode": "replace",
                                                       "csrf_token": csrf},
                   files={"file": (path.name, f)}, allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text[:500]
    token = r.headers["Location"].rsplit("/", 1)[1]
    fire(s.post, f"{server.url}/admin/import/{token}/commit", data={"reason": "kill", "csrf_token": csrf},
         timeout=60)
    server.kill_when_stalled()
    assert lv.current_version(data_dir, "parks") != before[1]  # killed after the switch, before COMMIT

    server.start()
    assert (_features(server), lv.current_version(data_dir, "parks")) == before
    assert not [e for e in api(server, "GET", "/api/quota/audit").json()["entries"]
                if e["action"] == "layer.import"]
    sqlite_only(app)



def _fake_crash_journal(data_dir, layer: str, previous, version, database_url: str) -> None:
    """The journal entry a process killed between its swap and its commit leaves behind."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    lv.write_journal(data_dir, layer, {"from": previous, "to": version, "pid": int(dead),
                                       "host": socket.gethostname(), "database": database_url})


def test_reconcile_acts_only_on_journaled_imports(app, data_dir):
    """The start-up repair undoes a switch journaled as interrupted whose audit line never
    committed; a pointer merely disagreeing with this database's audit trail (another database,
    a benchmark's) is left alone."""
    from parks.catalog import Catalog
    from store.recovery import reconcile_layers

    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    version = lv.write_version(data_dir, "parks", parks, {"imported_at": "now"})
    with app.app_context(), database().write() as session:
        from store import audit

        audit.record(session, "boss", "layer.import", "parks", after={"version": version})
    lv.switch(data_dir, "parks", version)
    newer = lv.write_version(data_dir, "parks", parks, {"imported_at": "later"})
    lv.switch(data_dir, "parks", newer)  # served, audited in another database: not ours to undo
    with app.app_context(), database().read() as session:
        assert reconcile_layers(data_dir, session) == []
    assert lv.current_version(data_dir, "parks") == newer

    url = database_of(app).engine.url.render_as_string(hide_password=True)
    _fake_crash_journal(data_dir, "parks", version, newer, url)
    with app.app_context(), database().read() as session:
        assert reconcile_layers(data_dir, session) == [{"layer": "parks", "was": newer, "now": version}]
    assert lv.current_version(data_dir, "parks") == version
    assert lv.read_journal(data_dir, "parks") is None


def test_journal_of_a_committed_import_is_cleared_and_the_import_kept(app, data_dir):
    from parks.catalog import Catalog
    from store import audit
    from store.recovery import reconcile_layers

    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    version = lv.write_version(data_dir, "parks", parks, {"imported_at": "now"})
    with app.app_context(), database().write() as session:
        audit.record(session, "boss", "layer.import", "parks", after={"version": version})
    lv.switch(data_dir, "parks", version)  # killed after COMMIT, before the journal was removed
    url = database_of(app).engine.url.render_as_string(hide_password=True)
    _fake_crash_journal(data_dir, "parks", None, version, url)
    with app.app_context(), database().read() as session:
        assert reconcile_layers(data_dir, session) == []
        _fake_crash_journal(data_dir, "parks", None, version, "sqlite:////another/atlas.db")
        assert reconcile_layers(data_dir, session) == []  # journaled against another database
    assert lv.current_version(data_dir, "parks") == version


def test_a_journaled_switch_is_undone_when_its_transaction_rolls_back(app, data_dir):
    from parks.catalog import Catalog
    from store.recovery import journaled_switch

    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    version = lv.write_version(data_dir, "parks", parks, {"imported_at": "now"})
    with pytest.raises(RuntimeError), app.app_context(), database().write() as session:
        journaled_switch(data_dir, "parks", version, session)
        assert lv.current_version(data_dir, "parks") == version
        assert lv.read_journal(data_dir, "parks")["to"] == version
        raise RuntimeError("the audit line failed")
    assert lv.current_version(data_dir, "parks") is None
    assert lv.read_journal(data_dir, "parks") is None
    with app.app_context(), database().write() as session:
        journaled_switch(data_dir, "parks", version, session)
    assert lv.current_version(data_dir, "parks") == version
    assert lv.read_journal(data_dir, "parks") is None


def test_read_only_commands_leave_the_served_version_unchanged(app, data_dir, tmp_path):
    """`flask layer-versions` and `flask layer list` start the app (start-up steps included),
    with its own database or — as a benchmark once did — with another one: the layer served,
    its pointer and the data version stay as they were."""
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    from app import create_app
    from parks import importer
    from parks.catalog import Catalog

    catalog = Catalog(data_dir)
    path = make_geojson(tmp_path, parcels_gdf(2, names=["官方园区甲", "官方园区乙"]))
    plan = importer.plan_import(catalog, "parks", path, path.name)
    with app.app_context(), database().write() as session:
        version = importer.commit_import(catalog, plan, actor="boss", session=session)
    served = (lv.current_version(data_dir, "parks"), catalog.data_version(),
              sorted(p.name for p in (data_dir / "layers" / "parks").iterdir()))
    assert served[0] == version
    for url in (app.config["DATABASE_URL"], f"sqlite:///{tmp_path / 'other.db'}"):
        def factory(url=url):
            return create_app({"TESTING": True, "DATA_DIR": str(data_dir), "DATABASE_URL": url})

        for args in (["layer-versions", "parks"], ["layer", "list"]):
            result = CliRunner().invoke(FlaskGroup(create_app=factory), args=args)
            assert result.exit_code == 0, result.output
            assert (lv.current_version(data_dir, "parks"), Catalog(data_dir).data_version(),
                    sorted(p.name for p in (data_dir / "layers" / "parks").iterdir())) == served
