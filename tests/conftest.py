"""Fixtures: a fresh app per test (own data folder and database), its client and CLI runner,
and — for browser tests — a live server on 127.0.0.1 with headless Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from app import create_app
from layers.tiles.basemap import BasemapStore
from parks.build import build_data
from parks.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_data(tmp_path_factory) -> Path:
    """The default layers, built once per test session from the shipped sources, with the
    basemap's tiles (built in the first request otherwise: seconds a browser test would wait)."""
    data = tmp_path_factory.mktemp("data")
    build_data(data / "shapefiles")
    BasemapStore(Catalog(data)).served()
    return data


@pytest.fixture
def data_dir(built_data, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(built_data, target)
    return target


@pytest.fixture(scope="session", autouse=True)
def throwaway_tempdir(tmp_path_factory) -> Path:
    """The system temporary folder (:func:`tempfile.gettempdir`) of every test in a throwaway
    folder: a download's file goes when the server closes the response, as every WSGI server
    does, but a test client's response is rarely closed."""
    folder = tmp_path_factory.mktemp("systemp")
    before, tempfile.tempdir = tempfile.tempdir, str(folder)
    yield folder
    tempfile.tempdir = before


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch) -> Path:
    """The system temporary folder (:func:`tempfile.gettempdir`) made this test's own, so that
    what the code leaves there is seen, and removed with ``tmp_path``."""
    folder = tmp_path / "systemp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


TEST_DATABASE_URL = os.environ.get("SEI_ATLAS_TEST_DATABASE_URL")  # scripts/with-postgres.sh
#: the fixtures through which a test meets the database engine
DATABASE_FIXTURES = {"database_url", "ledger_db"}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL leg (``SEI_ATLAS_TEST_DATABASE_URL`` set) runs again only the tests the
    database engine can change: those using :data:`DATABASE_FIXTURES` and those marked
    ``postgres``; the SQLite leg skips the ``postgres`` ones."""
    if not TEST_DATABASE_URL:
        skip = pytest.mark.skip(reason="PostgreSQL leg only (scripts/with-postgres.sh)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
        return
    kept, other = [], []
    for item in items:
        meets = DATABASE_FIXTURES & set(item.fixturenames) or item.get_closest_marker("postgres")
        (kept if meets else other).append(item)
    config.hook.pytest_deselected(items=other)
    items[:] = kept


@contextmanager
def fresh_schema(url: str):
    """A new, empty PostgreSQL schema in the database at ``url`` (PostGIS stays reachable in
    ``public``); yields a URL whose connections use it, and drops it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema},public"}) \
            .render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path):
    """A SQLite file per test, or a fresh schema on PostgreSQL when SEI_ATLAS_TEST_DATABASE_URL is set."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with fresh_schema(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
def app(data_dir, tmp_path, database_url):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
    })
    app.instance_path = str(tmp_path / "instance")
    yield app
    app.extensions["atlas_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/install-browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def viewport() -> tuple[int, int]:
    """The size of ``page``'s window; a test module overrides it (tests/browser/test_mobile.py)."""
    return 1400, 900


@pytest.fixture
def page(browser, live_server, viewport):
    """A page whose every request outside 127.0.0.1 is blocked and recorded; below 1000 px wide
    it has a touch screen, like the phones and tablets of that size."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=width < 1000)
    pg = context.new_page()
    pg.blocked = []
    pg.failed = []

    def guard(route):
        if route.request.url.startswith(live_server.url):
            return route.continue_()
        pg.blocked.append(route.request.url)
        return route.abort()

    pg.route("**/*", guard)
    # a fetch the page cancels itself is no failure (vector tile layers cancel the tiles of a
    # zoom they left, as protomaps-leaflet does)
    pg.on("requestfailed", lambda req: req.failure == "net::ERR_ABORTED" or pg.failed.append(req.url))
    pg.base_url = live_server.url
    yield pg
    context.close()


# ----- accounts (issue 3): sign the test client in with any role ----------------------------

TEST_PASSWORD = "password-123"


@pytest.fixture
def sign_in(app, client):
    """``sign_in("land_staff")`` creates a user of that role (named after the role unless
    ``username`` is given) when missing, signs ``client`` in and returns it."""
    from store import accounts
    from store.models import User
    from web.auth import database

    def _sign_in(role: str = "viewer", username: str | None = None):
        username = username or role
        with app.app_context(), database().write() as session:
            if session.query(User).filter_by(username=username).first() is None:
                accounts.create_user(session, username, TEST_PASSWORD, role)
        response = client.post("/auth/login", data={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.data[:300]
        return client

    return _sign_in


def _postgres_url() -> str | None:
    import os

    return os.environ.get("SEI_ATLAS_TEST_POSTGRES_URL")  # postgresql+psycopg://…


POSTGRES_URL = _postgres_url()


@pytest.fixture(params=["sqlite", *(["postgresql"] if POSTGRES_URL else [])])
def ledger_db(request, tmp_path):
    """A fresh :class:`store.db.Database` on a SQLite file; also on PostgreSQL when
    ``SEI_ATLAS_TEST_POSTGRES_URL`` names a database (in a schema of its own)."""
    from store.db import Database

    with ExitStack() as stack:  # PostgreSQL: a fresh schema per test, so parallel workers never meet
        db = Database(f"sqlite:///{tmp_path / 'ledger.db'}" if request.param == "sqlite"
                      else stack.enter_context(fresh_schema(POSTGRES_URL)))
        db.create_all()
        yield db
        db.dispose()
