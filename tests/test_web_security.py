"""web.security, web.limits and the app's security as a reviewer checks it: headers and CSP
with per-request nonces, hostile data that must not become script, default-deny, CSRF on every
form and write, cookie flags, rate limits, and no user input near a shell or an SQL string."""

import ast
import io
import re
from pathlib import Path

import pytest
from fixtures_files import make_geojson, parcels_gdf

from parks.catalog import Catalog
from store import accounts
from store import layer_versions as lv
from web.auth import database
from web.security import PROTECTED_BLUEPRINTS, add_nonces, content_security_policy, tile_source

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_PAGES = ["/", "/parks/", "/parks/park-01", "/views/built-up", "/views/revenue", "/export/",
                "/data/", "/ogc/collections/parks/items?f=html", "/auth/login"]
PARK01 = (113.846, 34.549)
PASSWORD = "password-123"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)


# ----- headers and CSP ------------------------------------------------------------------------

def test_every_response_carries_the_security_headers(client):
    for path in ["/", "/api/layers", "/healthz", "/static/css/atlas.css", "/nope"]:
        r = client.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "geolocation=()" in r.headers["Permissions-Policy"]
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
        assert "object-src 'none'" in csp and "'unsafe-eval'" not in csp
        assert "Strict-Transport-Security" not in r.headers  # only when served over https


def test_script_src_allows_no_inline_code_without_the_nonce():
    csp = content_security_policy("abc")
    script = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert script == "script-src 'self' 'nonce-abc'"
    assert "img-src 'self' data: blob:" in csp and "connect-src 'self'" in csp


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_script_tag_of_a_page_carries_this_requests_nonce(client, path):
    first, second = client.get(path), client.get(path)
    assert first.status_code == 200, path
    assert nonce_of(first) != nonce_of(second)
    tags = SCRIPT_TAG.findall(first.get_data(as_text=True))
    assert len(tags) >= (3 if path in ("/", "/parks/park-01") else 0)
    for tag in tags:
        assert f'nonce="{nonce_of(first)}"' in tag, (path, tag)


def test_nonces_are_added_once_and_kept_where_a_template_set_them():
    html = b'<script>a()</script><SCRIPT src="/x.js"></SCRIPT><script nonce="n1">b()</script>'
    out = add_nonces(html, "n1").decode()
    assert out.count('nonce="n1"') == 3 and "nonce" not in out.replace('nonce="n1"', "")


def test_tile_layer_origin_is_allowed_for_images_only(app, client):
    assert tile_source("") is None
    assert tile_source("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}") == "https://*.tianditu.gov.cn"
    assert tile_source("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png") == "http://10.1.2.3:8080"
    app.config["TILE_URL"] = "http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://10.1.2.3:8080" in csp
    assert "connect-src 'self';" in csp and "script-src 'self' 'nonce-" in csp


HOSTILE = '</script><script>alert("x1")</script><img src=x onerror=alert("x2")>'


def test_hostile_layer_text_never_becomes_markup_or_script(app, client, data_dir):
    """An imported layer whose names carry markup: every page shows it as text only."""
    baseline = {p: len(SCRIPT_TAG.findall(client.get(p).get_data(as_text=True)))
                for p in ["/", "/parks/", "/parks/park-01"]}
    parks = Catalog(data_dir).layer("parks").drop(columns=["evidence", "source", "prec_note"])
    parks["name_zh"] = HOSTILE
    parks["name_en"] = HOSTILE
    lv.switch(data_dir, "parks", lv.write_version(data_dir, "parks", parks, {"origin": "test"}))
    for path, scripts in baseline.items():
        body = client.get(path).get_data(as_text=True)
        assert len(SCRIPT_TAG.findall(body)) == scripts, path
        assert "<img src=x" not in body and '<script>alert("x1")' not in body, path
        assert "alert" in body  # the name is there, as text


# ----- cookies ------------------------------------------------------------------------------

def _make_user(app, role: str, username: str | None = None) -> str:
    username = username or role
    with app.app_context(), database().write() as session:
        accounts.create_user(session, username, PASSWORD, role)
    return username


def test_session_cookie_is_httponly_and_samesite(app, client):
    name = _make_user(app, "viewer")
    r = client.post("/auth/login", data={"username": name, "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_when_served_over_https(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    name = _make_user(app, "viewer")
    r = client.post("/auth/login", data={"username": name, "password": PASSWORD},
                    base_url="https://atlas.example")
    assert "Secure" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_https_flag_comes_from_the_environment(monkeypatch, data_dir, tmp_path):
    from app import create_app

    monkeypatch.setenv("SEI_ATLAS_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("SEI_ATLAS_PROXY_FIX", "1")
    app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    r = app.test_client().get("/healthz", headers={"X-Forwarded-For": "10.9.8.7",
                                                   "X-Forwarded-Proto": "https"})
    assert r.status_code == 200 and "Strict-Transport-Security" in r.headers


# ----- default-deny ---------------------------------------------------------------------------

SAMPLE_ARGS = {"area_id": "park-01", "check_id": 1, "no": 1, "alloc_id": 1, "action": "approve",
               "fmt": "csv", "token": "x" * 16, "name": "parks"}


def _protected_rules(app):
    """(rule, method, url) of every route in a protected area, with sample arguments."""
    from flask import url_for

    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in PROTECTED_BLUEPRINTS:
            with app.test_request_context():
                url = url_for(rule.endpoint, **{a: SAMPLE_ARGS[a] for a in rule.arguments})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, url


def test_anonymous_requests_never_reach_a_ledger_or_admin_view(app, client):
    seen = 0
    for _rule, method, url in _protected_rules(app):
        r = client.open(url, method=method)
        seen += 1
        if url.startswith("/api/"):
            assert r.status_code == 401, (method, url, r.status_code)
        else:
            assert r.status_code == 302 and "/auth/login" in r.headers["Location"], (method, url)
    assert seen >= 25


def test_viewers_never_reach_an_admin_view(app, client, sign_in):
    sign_in("viewer")
    for rule, method, url in _protected_rules(app):
        if rule.endpoint.startswith("admin."):
            assert client.open(url, method=method).status_code == 403, (method, url)


def test_a_new_route_in_a_protected_area_is_denied_without_a_decorator(app, client, sign_in):
    app.add_url_rule("/quota/forgotten", endpoint="quota.forgotten", view_func=lambda: "secret")
    app.add_url_rule("/admin/forgotten", endpoint="admin.forgotten", view_func=lambda: "secret")
    assert client.get("/quota/forgotten").status_code == 302
    assert client.get("/admin/forgotten").status_code == 302
    sign_in("viewer")
    assert client.get("/quota/forgotten").data == b"secret"
    assert client.get("/admin/forgotten").status_code == 403


# ----- CSRF ---------------------------------------------------------------------------------

@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _sign_in_with_form(client, username: str) -> str:
    token = _csrf_token(client.get("/auth/login").get_data(as_text=True))
    r = client.post("/auth/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    return token


def test_sign_in_itself_needs_the_form_token(csrf_app, client):
    name = _make_user(csrf_app, "viewer")
    r = client.post("/auth/login", data={"username": name, "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/quota/").status_code == 302


def test_every_write_without_the_token_is_refused(csrf_app, client):
    name = _make_user(csrf_app, "admin")
    _sign_in_with_form(client, name)
    writes = [(m, u) for _, m, u in _protected_rules(csrf_app) if m == "POST"]
    writes.append(("POST", "/auth/logout"))
    assert len(writes) >= 12
    with csrf_app.app_context(), database().read() as session:
        from store.audit import entries

        before = len(entries(session, limit=None))
    for method, url in writes:
        r = client.open(url, method=method, data={"reason": "x"})
        assert r.status_code == 400, (url, r.status_code)
        assert b"csrf" in r.data.lower() or "安全令牌" in r.get_data(as_text=True), url
    with csrf_app.app_context(), database().read() as session:
        assert len(entries(session, limit=None)) == before
    assert client.get("/admin/").status_code == 200  # still signed in: logout was refused too


def test_api_writes_with_a_cookie_need_the_header_and_tokens_do_not(csrf_app, client, tmp_path):
    name = _make_user(csrf_app, "land_staff")
    form_token = _sign_in_with_form(client, name)
    geojson = make_geojson(tmp_path, parcels_gdf(1, lon=PARK01[0], lat=PARK01[1])).read_bytes()

    def check(**headers):
        return client.post("/api/quota/check", data={"file": (io.BytesIO(geojson), "p.geojson")},
                           headers=headers, content_type="multipart/form-data")

    assert check().status_code == 400
    assert check(**{"X-CSRFToken": form_token}).status_code == 201
    with csrf_app.app_context(), database().write() as session:
        api_token = accounts.new_api_token(session, name)
    bare = csrf_app.test_client()
    r = bare.post("/api/quota/check", data={"file": (io.BytesIO(geojson), "p.geojson")},
                  headers={"Authorization": f"Bearer {api_token}"}, content_type="multipart/form-data")
    assert r.status_code == 201


def test_every_form_on_every_page_carries_a_csrf_token(csrf_app, client, tmp_path):
    name = _make_user(csrf_app, "admin")
    token = _sign_in_with_form(client, name)
    geojson = make_geojson(tmp_path, parcels_gdf(1, lon=PARK01[0], lat=PARK01[1])).read_bytes()
    r = client.post("/quota/check", data={"file": (io.BytesIO(geojson), "p.geojson"), "csrf_token": token},
                    content_type="multipart/form-data")
    assert r.status_code == 303
    pages = ["/auth/login", "/quota/", "/quota/areas/park-01", "/quota/check", r.headers["Location"],
             "/quota/audit", "/admin/", "/admin/layers/parks", *PUBLIC_PAGES]
    forms = 0
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for form in re.findall(r"<form\b.*?</form>", html, re.DOTALL | re.IGNORECASE):
            if re.search(r'method="post"', form, re.IGNORECASE):
                forms += 1
                assert 'name="csrf_token"' in form, (path, form[:200])
    assert forms >= 6


# ----- rate limits --------------------------------------------------------------------------

def test_failed_sign_ins_are_limited_per_address_and_successes_are_not(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    name = _make_user(app, "viewer")
    for _ in range(5):  # successes do not count
        assert client.post("/auth/login", data={"username": name, "password": PASSWORD}).status_code == 302
    for _ in range(3):
        r = client.post("/auth/login", data={"username": name, "password": "wrong-pass"})
        assert r.status_code == 401
    r = client.post("/auth/login", data={"username": name, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "请求过于频繁" in r.get_data(as_text=True)
    other = client.post("/auth/login", data={"username": name, "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 302
    assert client.get("/auth/login").status_code == 200  # the form itself is not limited


def test_uploads_are_limited_per_user(app, client, sign_in, tmp_path):
    app.config["UPLOAD_RATE_LIMIT"] = "2 per minute"
    geojson = make_geojson(tmp_path, parcels_gdf(1, lon=PARK01[0], lat=PARK01[1])).read_bytes()
    sign_in("viewer")

    def upload():
        return client.post("/api/quota/check", data={"file": (io.BytesIO(geojson), "p.geojson")},
                           content_type="multipart/form-data")

    assert [upload().status_code for _ in range(3)] == [201, 201, 429]
    assert upload().json["message_en"].startswith("Too many requests")
    assert client.get("/api/quota/ledger").status_code == 200  # reading is not limited
    sign_in("land_staff")  # another user has a budget of their own
    assert upload().status_code == 201


# ----- no user input near a shell, an SQL string or a path ------------------------------------

def _python_files():
    for package in ("geo", "parks", "layers", "web"):
        yield from (ROOT / package).rglob("*.py")
    yield ROOT / "app.py"


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


def _composed_by_the_driver(call) -> bool:
    """``sql.SQL("… {}").format(sql.Identifier(x))``: psycopg quotes what it composes."""
    receiver = call.func.value
    if not isinstance(receiver, ast.Call):
        return False
    return getattr(receiver.func, "attr", getattr(receiver.func, "id", "")) == "SQL"


def _built_string(node) -> bool:
    """An f-string, a concatenation or a .format()/% on a string: text built at run time."""
    return (isinstance(node, ast.JoinedStr | ast.BinOp)
            or isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format" and not _composed_by_the_driver(node))


def _imports_sqlalchemy_text(tree) -> bool:
    return any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("sqlalchemy")
               and any(a.name == "text" for a in n.names) for n in ast.walk(tree))


def _problems(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    sql_text = _imports_sqlalchemy_text(tree)
    found = []
    for name, call in _calls(tree):
        if name == "text" and not (sql_text and isinstance(call.func, ast.Name)):
            continue  # matplotlib's ax.text and the like
        at = f"{where}:{call.lineno}"
        if name in ("system", "popen", "getoutput", "getstatusoutput"):
            found.append(f"{at} {name}()")
        if any(k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
               for k in call.keywords):
            found.append(f"{at} shell=")
        if name in ("text", "execute", "exec_driver_sql", "executescript") and call.args \
                and _built_string(call.args[0]):
            found.append(f"{at} {name}() of a built string")
    return found


def test_the_scan_finds_what_it_looks_for():
    sample = ("from sqlalchemy import text\nimport os, subprocess\n"
              "text(f'SELECT {x}')\nconn.execute('DELETE ' + t)\nos.system(c)\n"
              "subprocess.run(c, shell=True)\nconn.execute(text('SELECT 1'))\nax.text(f'{a}')\n"
              "cur.execute(sql.SQL('DROP TABLE {}').format(sql.Identifier(t)))\n"
              "cur.execute('DROP TABLE {}'.format(t))\n")
    assert len(_problems(sample, "s")) == 5


def test_no_shell_and_no_sql_built_from_strings():
    problems = []
    for path in _python_files():
        problems += _problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert problems == []
