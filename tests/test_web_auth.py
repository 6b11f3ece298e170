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


# ----- issue 11, finding 6: sessions end when their right does --------------------------------

def _signed_in_client(app, username: str = "li"):
    client = app.test_client()
    r = client.post("/auth/login", data={"username": username, "password": TEST_PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def _token(runner, username: str = "li") -> dict:
    result = runner.invoke(args=["users", "token", username])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def _signed_in(client) -> bool:
    return client.get("/quota/").status_code == 200


def _token_works(client, headers) -> bool:
    return client.get("/api/quota/ledger", headers=headers).status_code == 200


@pytest.fixture
def li(runner):
    r = runner.invoke(args=["users", "create", "li", "--role", "land_staff", "--password", TEST_PASSWORD])
    assert r.exit_code == 0, r.output
    return "li"


def test_signing_out_ends_every_session_and_the_api_token(app, runner, li):
    office, laptop = _signed_in_client(app), _signed_in_client(app)
    headers = _token(runner)
    assert _signed_in(office) and _signed_in(laptop) and _token_works(app.test_client(), headers)
    assert office.post("/auth/logout").status_code == 302
    assert not _signed_in(laptop) and not _signed_in(office)
    assert not _token_works(app.test_client(), headers)
    assert _signed_in(_signed_in_client(app))  # signing in again works


def test_a_new_password_ends_every_session_and_the_api_token(app, runner, li):
    browser, headers = _signed_in_client(app), _token(runner)
    assert runner.invoke(args=["users", "set-password", "li", "--password", "brand-new-pw"]).exit_code == 0
    assert not _signed_in(browser) and not _token_works(app.test_client(), headers)
    r = app.test_client().post("/auth/login", data={"username": "li", "password": "brand-new-pw"})
    assert r.status_code == 302


def test_users_revoke_tokens_disable_enable_and_delete(app, runner, li):
    browser, headers = _signed_in_client(app), _token(runner)
    r = runner.invoke(args=["users", "revoke-tokens", "li"])
    assert r.exit_code == 0 and "revoked" in r.output
    assert not _signed_in(browser) and not _token_works(app.test_client(), headers)

    browser, headers = _signed_in_client(app), _token(runner)
    assert runner.invoke(args=["users", "disable", "li"]).exit_code == 0
    assert not _signed_in(browser) and not _token_works(app.test_client(), headers)
    refused = app.test_client().post("/auth/login", data={"username": "li", "password": TEST_PASSWORD})
    assert refused.status_code == 401
    assert not _token_works(app.test_client(), _token(runner))  # a disabled account's new token
    assert "li\tland_staff (inactive)" in runner.invoke(args=["users", "list"]).output

    assert runner.invoke(args=["users", "enable", "li"]).exit_code == 0
    assert _signed_in(_signed_in_client(app)) and _token_works(app.test_client(), _token(runner))

    assert runner.invoke(args=["users", "delete", "li"], input="n\n").exit_code != 0  # asks first
    r = runner.invoke(args=["users", "delete", "li", "--yes"])
    assert r.exit_code == 0 and "deleted" in r.output
    assert app.test_client().post("/auth/login", data={"username": "li", "password": TEST_PASSWORD}
                                  ).status_code == 401
    assert "li" not in runner.invoke(args=["users", "list"]).output
    missing = runner.invoke(args=["users", "disable", "nobody"])
    assert missing.exit_code != 0 and "no user" in missing.output
    admin = _signed_in_client(app, _create(runner, "boss", "admin"))
    actions = [e["action"] for e in admin.get("/api/quota/audit").json["entries"]]
    for action in ("user.revoke_sessions", "user.disable", "user.enable", "user.delete"):
        assert action in actions


def _create(runner, username: str, role: str) -> str:
    r = runner.invoke(args=["users", "create", username, "--role", role, "--password", TEST_PASSWORD])
    assert r.exit_code == 0, r.output
    return username


def test_failed_sign_ins_of_one_account_never_lock_out_a_colleague_at_the_same_address(app, runner, li):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    _create(runner, "wang", "viewer")
    client = app.test_client()

    def attempt(who, username, password):
        return who.post("/auth/login", data={"username": username, "password": password}).status_code

    assert [attempt(client, "li", "wrong-pass") for _ in range(3)] == [401] * 3
    assert attempt(client, "li", TEST_PASSWORD) == 429
    colleague = app.test_client()  # same address (127.0.0.1), another account
    assert attempt(colleague, "wang", TEST_PASSWORD) == 302


def test_one_address_trying_many_accounts_is_limited(app, runner):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "4 per minute"
    client = app.test_client()
    codes = [client.post("/auth/login", data={"username": f"guess{i}", "password": "wrong-pass"}).status_code
             for i in range(5)]
    assert codes == [401] * 4 + [429]
