"""The main pages in headless Chromium with the Content-Security-Policy on: nothing is blocked.

Chromium reports every CSP violation on the console ("Refused to … because it violates the
following Content Security Policy directive …") and as a ``securitypolicyviolation`` event;
both are collected while each page loads, draws its map and is used a little.

Playwright's ``wait_for_function`` must get a function (``"() => …"``): a bare expression is
polled with ``eval``, which this policy refuses.
"""

import pytest
from conftest import TEST_PASSWORD
from fixtures_files import make_geojson, parcels_gdf

pytestmark = pytest.mark.browser

PARK01 = (113.846, 34.549)
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""
MAP_DRAWN = "() => document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-pane *').length > 0"


@pytest.fixture
def watched(page):
    page.console_csp = []
    page.errors = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: page.console_csp.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def visit(page, path: str, *, map_drawn: bool = False):
    response = page.goto(f"{page.base_url}{path}")
    assert response.status == 200, path
    assert "nonce-" in response.headers["content-security-policy"]
    if map_drawn:
        page.wait_for_function(MAP_DRAWN, timeout=15000)
    page.wait_for_load_state("networkidle")


def assert_nothing_blocked(page, where: str):
    violations = page.evaluate("window.__csp")
    assert page.console_csp == [] and violations == [], (where, page.console_csp, violations)
    assert page.errors == [], (where, page.errors)
    assert page.blocked == [], where


def sign_in(page, app, role: str):
    result = app.test_cli_runner().invoke(
        args=["users", "create", role, "--role", role, "--password", TEST_PASSWORD])
    assert result.exit_code == 0, result.output
    page.goto(f"{page.base_url}/auth/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form.signin-form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_public_pages_run_under_the_policy(watched):
    page = watched
    visit(page, "/")
    page.wait_for_function("() => window.atlasReady === true", timeout=15000)
    page.locator(".leaflet-interactive").first.click(force=True)  # a popup, with its inline styles
    assert_nothing_blocked(page, "overview")
    for path, drawn in [("/parks/", False), ("/parks/park-01", True), ("/views/built-up", True),
                        ("/views/revenue", True), ("/data/", False),
                        ("/ogc/collections/parks/items?f=html", True), ("/auth/login", False)]:
        visit(page, path, map_drawn=drawn)
        assert_nothing_blocked(page, path)
    visit(page, "/export/")
    page.locator("button", has_text="预览").first.click()
    page.wait_for_load_state("networkidle")
    assert_nothing_blocked(page, "/export/ preview")


def test_ledger_check_and_admin_pages_run_under_the_policy(watched, app, tmp_path):
    page = watched
    sign_in(page, app, "admin")
    for path in ["/quota/", "/quota/areas/park-01", "/quota/audit", "/admin/", "/admin/layers/parks"]:
        visit(page, path)
        assert_nothing_blocked(page, path)

    visit(page, "/quota/")
    with page.expect_navigation():
        page.locator("form.inline button[type=submit]").click()  # the year picker
    assert_nothing_blocked(page, "/quota/ year")

    visit(page, "/quota/check")
    path = make_geojson(tmp_path, parcels_gdf(2, lon=PARK01[0], lat=PARK01[1]))
    page.set_input_files("#check-form input[name=file]", str(path))
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#verdict")
    page.wait_for_function(MAP_DRAWN, timeout=15000)
    assert_nothing_blocked(page, "verdict")
