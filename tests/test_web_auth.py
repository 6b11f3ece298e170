"""web.auth: sign-in, roles on pages and the JSON API, API tokens, CSRF, and the `flask users` CLI."""

import re

import pytest
from conftest import TEST_PASSWORD

from app import create_app


def test_pages_send_anonymous_visitors_to_sign_in(client):
    r = client.get("/quota/")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/auth/login?next=")


def test_api_answers_401_in_both_languages(client):
    r = client.get("/api/quota/ledger")
    assert r.status_code == 401
    assert r.json["error"] == "sign_in_required"
    assert r.json["message_zh"] and r.json["message_en"]


def test_sign_in_and_out(client, sign_in):
    sign_in("viewer", username="li")
    r = client.get("/auth/login")
    assert "li" in r.get_data(as_text=True)
    assert client.get("/quota/").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/quota/").status_code == 302


def test_wrong_password_is_refused(client, sign_in):
    sign_in("viewer", username="li")
    client.post("/auth/logout")
    r = client.post("/auth/login", data={"username": "li", "password": "not-it-at-all"})
    assert r.status_code == 401
    assert "用户名或密码不正确" in r.get_data(as_text=True)
    assert client.get("/quota/").status_code == 302


def test_sign_in_only_redirects_within_the_site(client, sign_in):
    sign_in("viewer", username="li")
    client.post("/auth/logout")
    data = {"username": "li", "password": TEST_PASSWORD}
    r = client.post("/auth/login?next=https://evil.example/x", data=data)
    assert r.headers["Location"] == "/quota/"
    client.post("/auth/logout")
    r = client.post("/auth/login?next=/quota/check", data=data)
    assert r.headers["Location"] == "/quota/check"


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/quota/areas/park-01/quota", {"quota_ha": 1, "reason": "x"}),
    ("post", "/api/quota/reserve", {"check_id": 1, "parcel_no": 1, "reason": "x"}),
    ("post", "/api/quota/allocations/1/release", {"reason": "x"}),
    ("get", "/api/quota/audit", None),
])
def test_viewers_can_never_change_the_ledger_by_the_api(client, sign_in, method, url, body):
    sign_in("viewer")
    r = getattr(client, method)(url, json=body)
    assert r.status_code == 403
    assert r.json["error"] == "forbidden"
    assert "land staff" in r.json["message_en"]


def test_viewers_cannot_post_ledger_forms(client, sign_in):
    sign_in("viewer")
    r = client.post("/quota/areas/park-01/quota", data={"value": "1", "unit": "ha", "reason": "x"})
    assert r.status_code == 403
    sign_in("land_staff")
    assert client.get("/api/quota/audit").json["entries"][0]["action"] != "quota.edit"


def test_admin_may_do_what_land_staff_may(client, sign_in):
    sign_in("admin")
    r = client.post("/api/quota/areas/zone-01/quota", json={"quota_ha": 12.5, "reason": "下达", "year": 2013})
    assert r.status_code == 200
    assert r.json["quota_m2"] == pytest.approx(125_000)


def test_api_token_for_scripts(app, client, runner, sign_in):
    sign_in("land_staff", username="bot")
    client.post("/auth/logout")
    result = runner.invoke(args=["users", "token", "bot"])
    token = result.output.strip()
    assert result.exit_code == 0 and len(token) > 30
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/quota/ledger", headers=headers).status_code == 200
    r = client.post("/api/quota/areas/zone-02/quota", headers=headers,
                    json={"quota_mu": 150, "reason": "脚本"})
    assert r.status_code == 200
    assert r.json["quota_m2"] == pytest.approx(100_000)
    bad = client.get("/api/quota/ledger", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_users_cli(runner, app):
    r = runner.invoke(args=["users", "create", "zhang", "--role", "land_staff", "--password", "long-enough"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["users", "create", "zhang", "--password", "long-enough"])
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(args=["users", "create", "wu", "--password", "short"])
    assert r.exit_code != 0 and "8" in r.output
    assert runner.invoke(args=["users", "set-role", "zhang", "admin"]).exit_code == 0
    assert runner.invoke(args=["users", "set-password", "zhang", "--password", "brand-new-pw"]).exit_code == 0
    r = runner.invoke(args=["users", "list"])
    assert "zhang\tadmin" in r.output
    client = app.test_client()
    r = client.post("/auth/login", data={"username": "zhang", "password": "brand-new-pw"})
    assert r.status_code == 302


def test_csrf_is_enforced_when_enabled(data_dir, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATA_DIR": str(data_dir),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'csrf.db'}", "WTF_CSRF_ENABLED": True})
    app.test_cli_runner().invoke(args=["users", "create", "li", "--role", "land_staff",
                                       "--password", TEST_PASSWORD])
    client = app.test_client()
    # Sign-in itself is a form: without its token it is refused.
    assert client.post("/auth/login", data={"username": "li", "password": TEST_PASSWORD}).status_code == 400
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/auth/login", data={"username": "li", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    # A ledger form posted without the token is refused and changes nothing …
    form = {"value": "7", "unit": "ha", "reason": "下达", "year": "2013"}
    r = client.post("/quota/areas/zone-03/quota", data=form)
    assert r.status_code == 400
    assert "安全令牌" in r.get_data(as_text=True) and "security token" in r.get_data(as_text=True)
    # … and so is an API write sent with the session cookie.
    r = client.post("/api/quota/areas/zone-03/quota", json={"quota_ha": 7, "reason": "x"})
    assert r.status_code == 400 and r.json["error"] == "csrf"
    ledger = client.get("/api/quota/ledger").json["areas"]
    assert next(a for a in ledger if a["area_id"] == "zone-03")["quota_m2"] is None
    # With the token both work.
    r = client.post("/quota/areas/zone-03/quota", data=form | {"csrf_token": token})
    assert r.status_code == 303
    r = client.post("/api/quota/areas/zone-03/quota", json={"quota_ha": 8, "reason": "x"},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 200
