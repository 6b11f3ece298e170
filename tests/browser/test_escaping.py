"""Hostile names in headless Chromium (issue 11, finding 3): with every tooltip, label and popup
of the overview and the OGC pages open, no element of the name's markup exists in the page and
the Content-Security-Policy never had to block anything (it would only hide the bug)."""

import pytest
from test_csp import RECORD_VIOLATIONS
from test_web_escaping import HOSTILE, serve_hostile

pytestmark = pytest.mark.browser

#: elements the hostile name would create if it were parsed as HTML
INJECTED = "() => document.querySelectorAll('.pwn, img[src=\"x\"]').length"
OPEN_EVERYTHING = """() => {
  let n = 0;
  for (const t of window.atlas.layers) {
    for (const sub of t.items) {
      const at = sub.getLatLng ? sub.getLatLng() : sub.getBounds().getCenter();
      sub.fire('mouseover', {latlng: at}, true);  // the hover tooltip
      sub.fire('click', {latlng: at}, true);      // the popup
      n += document.querySelectorAll('.leaflet-tooltip, .leaflet-popup').length > 0;
    }
  }
  return n;
}"""
HOVER_ALL = """() => {
  const paths = document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive');
  const hover = {bubbles: true, clientX: 400, clientY: 300};
  paths.forEach(p => p.dispatchEvent(new MouseEvent('mouseover', hover)));
  return paths.length;
}"""


@pytest.fixture
def hostile_page(page, data_dir):
    serve_hostile(data_dir, "parks")
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def assert_shown_as_text(page):
    assert page.evaluate(INJECTED) == 0
    assert page.evaluate("window.__csp") == []
    assert any(HOSTILE in t for t in page.locator(".leaflet-tooltip, .leaflet-popup").all_inner_texts())


def test_overview_tooltips_labels_and_popups_show_markup_as_text(hostile_page):
    page = hostile_page
    page.goto(f"{page.base_url}/")
    page.wait_for_function("() => window.atlasReady === true", timeout=15000)
    assert page.locator(".leaflet-tooltip.atlas-label").count() == 8  # permanent candidate labels
    assert page.evaluate(OPEN_EVERYTHING) > 0
    assert_shown_as_text(page)


@pytest.mark.parametrize("path", ["/ogc/collections/parks/items?f=html",
                                  "/ogc/collections/parks/items/park-01?f=html"])
def test_ogc_map_tooltips_show_markup_as_text(hostile_page, path):
    page = hostile_page
    page.goto(f"{page.base_url}{path}")
    page.wait_for_function("() => document.querySelectorAll('path.leaflet-interactive').length > 0",
                           timeout=15000)
    assert page.evaluate(HOVER_ALL) > 0
    page.wait_for_selector(".leaflet-tooltip", state="attached", timeout=5000)
    assert_shown_as_text(page)
