"""Phones and tablets, at 390×844 and 768×1024 with a touch screen: the map fills the screen and
the side panel is a drawer behind a toggle; the map's controls and the toggle are thumb-sized
(≥ 40 px); no page of templates/ overflows sideways and the top navigation stays one line."""

from pathlib import Path

import pytest
from browser_pages import open_map, script_errors
from conftest import TEST_PASSWORD
from fixtures_files import make_zipped_shapefile, parcels_gdf
from flask import template_rendered

pytestmark = pytest.mark.browser

TAP = 40  # px: the smallest tap target (Lighthouse, WCAG 2.5.5 asks 44)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: every page a person can open, signed out…
PUBLIC = ("/", "/parks/", "/parks/park-01", "/parks/park-09", "/views/built-up", "/views/revenue",
          "/views/investment", "/export/", "/data/", "/auth/login", "/ogc/?f=html", "/ogc/api?f=html",
          "/ogc/collections?f=html", "/ogc/collections/parks?f=html",
          "/ogc/collections/parks/queryables?f=html", "/ogc/collections/parks/items?f=html",
          "/ogc/collections/parks/items/park-01?f=html", "/no-such-page")
#: …and signed in as an admin (the verdict and the import preview come from uploads)
SIGNED_IN = ("/quota/", "/quota/areas/park-01", "/quota/check", "/quota/audit", "/admin/",
             "/admin/layers/parks", "/actuals/")

OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
SLID_IN = "() => document.getElementById('atlas-panel').getBoundingClientRect().right <= window.innerWidth"
NAV_HEIGHTS = """() => [...document.querySelectorAll('.topbar nav a')]
                         .map(a => a.getBoundingClientRect().height)"""


@pytest.fixture(params=[(390, 844), (768, 1024)], ids=["phone", "tablet"])
def viewport(request):
    return request.param


@pytest.fixture(autouse=True)
def no_script_errors(page):
    errors = script_errors(page)
    yield
    assert errors == []


def box(page, selector):
    found = page.locator(selector)
    assert found.count() >= 1, selector
    return found.first.bounding_box()


def assert_fits_sideways(page):
    scroll_width, inner_width = page.evaluate(OVERFLOW)
    assert scroll_width <= inner_width, page.url


def test_the_map_fills_the_screen_and_the_panel_is_a_drawer(page, viewport):
    width, height = viewport
    open_map(page)
    assert_fits_sideways(page)
    area = box(page, ".atlas-map .folium-map")
    assert area["width"] >= 350 and area["height"] >= 400
    assert area["width"] == width and area["height"] >= height - 120  # all but the top bar
    panel, toggle = page.locator("#atlas-panel"), page.locator("#atlas-drawer-toggle")
    assert not panel.is_visible() and toggle.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.wait_for_function(SLID_IN)  # the drawer slides in, all of it on the screen
    assert panel.is_visible() and panel.bounding_box()["x"] >= 0
    assert_fits_sideways(page)
    toggle.click()
    panel.wait_for(state="hidden")
    assert page.blocked == [] and page.failed == []


def test_map_controls_and_the_drawer_toggle_are_thumb_sized(page):
    open_map(page, "en")
    for selector in (".leaflet-control-zoom-in", ".leaflet-control-zoom-out",
                     ".leaflet-control-layers-toggle", ".atlas-legend summary", "#atlas-drawer-toggle"):
        size = box(page, selector)
        assert size["width"] >= TAP and size["height"] >= TAP, (selector, size)
    assert not page.locator(".leaflet-control-layers-list").is_visible()  # folded on small screens
    page.click("#atlas-drawer-toggle")
    for selector in ("#atlas-search", "#atlas-filter-city", "#atlas-filter-reset"):
        assert box(page, selector)["height"] >= TAP, selector


def test_a_phone_finds_luoyang_by_typing_it_and_a_popup_fits_the_screen(page, viewport):
    width, height = viewport
    open_map(page)
    page.click("#atlas-drawer-toggle")
    page.fill("#atlas-search", "洛阳")
    page.wait_for_selector("#atlas-results[data-state=done]")
    page.locator("#atlas-results button", has_text="洛阳市").first.click()
    page.locator("#atlas-panel").wait_for(state="hidden")  # back to the map
    assert page.evaluate("() => window.atlas.map.getZoom()") >= 8
    page.evaluate("""() => { const t = window.atlas.layers.find(l => l.name === 'parks');
                             const m = t.items.find(s => s.feature.properties.role === 'marker');
                             m.fire('click', {latlng: m.getLatLng()}, true); }""")
    popup = page.locator(".leaflet-popup", has=page.locator(".atlas-popup"))
    popup.wait_for()
    page.wait_for_timeout(400)  # the map pans the popup into view
    shape = popup.bounding_box()
    assert shape["x"] >= 0 and shape["x"] + shape["width"] <= width and shape["height"] <= height
    assert page.locator(".leaflet-popup-content a[href^='/parks/']").count() == 1


def test_no_page_overflows_and_the_navigation_stays_one_line(app, page, tmp_path):
    rendered = set()

    def record(sender, template, context, **extra):
        rendered.add(template.name)

    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "boss", "--role", "admin",
                               "--password", TEST_PASSWORD]).exit_code == 0
    template_rendered.connect(record, app)
    try:
        for path in PUBLIC:
            visit(page, path)
        page.goto(f"{page.base_url}/auth/login")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("form.signin-form button[type=submit]")
        page.wait_for_load_state()
        for path in SIGNED_IN:
            visit(page, path)
        upload(page, "/quota/check", "#check-form", make_zipped_shapefile(
            tmp_path / "check", parcels_gdf(2, lon=113.846, lat=34.549), crs=4526), "#verdict")
        upload(page, "/admin/", "#import-form", make_zipped_shapefile(
            tmp_path / "import", parcels_gdf(2, names=["甲园区", "乙园区"]).rename(
                columns={"name": "园区名称"}), crs=4526), "#preview-table")
    finally:
        template_rendered.disconnect(record, app)
    pages = {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
             if not p.name.startswith("_") and p.name != "base.html"}
    assert pages <= rendered, f"not checked on a small screen: {sorted(pages - rendered)}"


def visit(page, path):
    page.goto(f"{page.base_url}{path}")
    page.wait_for_load_state("load")
    check_page(page)


def upload(page, path, form, file, result):
    visit(page, path)
    page.set_input_files(f"{form} input[name=file]", str(file))
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector(result)
    check_page(page)


def check_page(page):
    assert_fits_sideways(page)
    heights = page.evaluate(NAV_HEIGHTS)
    assert heights and max(heights) <= 48, (page.url, heights)  # one line each, never a column
