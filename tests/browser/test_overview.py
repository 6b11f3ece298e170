"""The overview map in headless Chromium, with every request outside the app blocked."""

import pytest
from browser_pages import open_map, script_errors

pytestmark = pytest.mark.browser

#: drawn features per layer: polygon layers give a footprint and a marker per located row
EXPECTED = {"zones": 22, "parks": 16, "clusters": 11, "projects": 13, "foxconn": 11}
BOUNDARIES = {"province": 1, "city": 18, "county": 157}

DRAWN = """() => {
  const drawn = (layer) => layer.getLayers().filter(s => s._path && document.contains(s._path)).length;
  const out = {};
  for (const t of window.atlas.layers) { out[t.name] = drawn(t.group); }
  for (const b of window.atlas.boundaries) { out[b.level] = drawn(b.layer); }
  return out;
}"""


@pytest.fixture(autouse=True)
def no_script_errors(page):
    errors = script_errors(page)
    yield
    assert errors == []


def test_every_layer_is_drawn_offline(page):
    open_map(page)
    assert page.evaluate(DRAWN) == {**EXPECTED, **BOUNDARIES}
    svg_paths = page.locator(".leaflet-overlay-pane path, .leaflet-basemap-pane path").count()
    assert svg_paths == sum(EXPECTED.values()) + sum(BOUNDARIES.values())
    labels = page.locator(".leaflet-tooltip.atlas-label")
    assert labels.count() == 8 and labels.first.inner_text().startswith("候选")
    assert page.locator(".atlas-legend").is_visible()
    assert page.blocked == [] and page.failed == []


def test_layer_switcher_toggles_a_layer_and_the_export_link_follows(page):
    open_map(page, "en")
    box = page.locator(".leaflet-control-layers-overlays label", has_text="Foxconn sites")
    export = page.locator("#atlas-export")
    assert "layers=zones,parks,clusters,projects,foxconn,boundaries" in export.get_attribute("href")
    box.locator("input").uncheck()
    assert page.evaluate(DRAWN)["foxconn"] == 0
    href = export.get_attribute("href")
    assert "foxconn" not in href and "scope=province&bbox=" in href and href.endswith("&lang=en")
    box.locator("input").check()
    assert page.evaluate(DRAWN)["foxconn"] == EXPECTED["foxconn"]
    assert page.blocked == [] and page.failed == []


def test_filters_change_what_is_drawn(page):
    open_map(page)
    page.select_option("#atlas-filter-city", "洛阳市")
    drawn = page.evaluate(DRAWN)
    assert 0 < sum(drawn[n] for n in EXPECTED) < sum(EXPECTED.values())
    cities = page.evaluate("""() => window.atlas.layers.flatMap(t => t.group.getLayers())
                                 .map(s => s.feature.properties.city)""")
    assert set(cities) == {"洛阳市"}
    assert drawn["parks"] == 4  # two Luoyang candidates: footprint + marker each
    page.select_option("#atlas-filter-sector", "新能源汽车")
    drawn = page.evaluate(DRAWN)
    assert drawn["projects"] == 1 and drawn["parks"] == 0  # 中航锂电 only
    assert "显示 1 / 54 项" in page.inner_text("#atlas-count")
    page.click("#atlas-filter-reset")
    assert {k: v for k, v in page.evaluate(DRAWN).items() if k in EXPECTED} == EXPECTED
    assert page.blocked == [] and page.failed == []


def test_search_finds_a_feature_and_opens_its_popup(page):
    open_map(page)
    page.fill("#atlas-search", "鹤壁科技园")
    result = page.locator("#atlas-results button")
    assert result.count() == 1 and "富士康鹤壁科技园" in result.inner_text()
    result.click()
    popup = page.locator(".leaflet-popup-content .atlas-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "富士康鹤壁科技园" in text and "12.6 亿元" in text and "有出处" in text and "位置精度" in text
    page.fill("#atlas-search", "Sinopharm")
    assert "未定位" in page.inner_text("#atlas-results")
    page.fill("#atlas-search", "no such place")
    page.wait_for_selector("#atlas-results[data-state=done]")  # places are asked of the server
    assert page.inner_text("#atlas-results").strip() == "没有找到"
    assert page.blocked == [] and page.failed == []


def test_filters_zoom_to_what_they_match_and_list_it_with_counts(page):
    open_map(page)
    start = page.evaluate("() => window.atlas.map.getZoom()")
    assert page.locator("#atlas-matches").is_hidden()
    page.select_option("#atlas-filter-city", "洛阳市")
    listed = page.locator("#atlas-matches")
    assert listed.is_visible()
    expected = page.evaluate("""() => window.atlas.layers.map(t => [t.title, t.items.filter(s =>
        s.feature.properties.role === 'marker' && s.feature.properties.city === '洛阳市').length])
        .filter(([, n]) => n)""")
    headings = listed.locator("li.group").all_inner_texts()
    assert headings == [f"{title} ({n})" for title, n in expected]
    assert listed.locator("button").count() == sum(n for _, n in expected)
    view = page.evaluate("""() => { const m = window.atlas.map, b = m.getBounds();
        return {zoom: m.getZoom(), inside: window.atlas.layers.flatMap(t => t.items)
            .filter(s => s.feature.properties.role === 'marker' && s.feature.properties.city === '洛阳市')
            .every(s => b.contains(window.atlas.spread.home(s)))}; }""")
    assert view["zoom"] > start and view["inside"]
    listed.locator("button", has_text="洛阳高新区").first.click()
    page.locator(".leaflet-popup-content .atlas-popup").wait_for()
    page.click("#atlas-filter-reset")
    assert page.locator("#atlas-matches").is_hidden()


def test_stacked_markers_are_spread_apart_with_a_leg_to_their_place(page):
    open_map(page)
    stacked = page.evaluate("""() => {
        const map = window.atlas.map, seen = {}, out = [];
        for (const s of window.atlas.layers.flatMap(t => t.items)) {
            if (s.feature.properties.role !== 'marker') continue;
            const home = window.atlas.spread.home(s), key = home.lat.toFixed(5) + ',' + home.lng.toFixed(5);
            if (seen[key]) out.push([seen[key], s].map(m => map.latLngToContainerPoint(m.getLatLng())));
            seen[key] = s;
        }
        return out.map(([a, b]) => a.distanceTo(b));
    }""")
    assert stacked and min(stacked) >= 8  # markers at one coordinate no longer cover each other
    assert page.locator(".leaflet-atlasLegs-pane path").count() > 0


def test_attribution_is_plain_leaflet_and_the_scale_metric(page):
    open_map(page, "en")
    attribution = page.locator(".leaflet-control-attribution")
    assert attribution.inner_text().startswith("Leaflet | ")
    assert attribution.locator("svg, a").count() == 0  # no flag, no link out of the intranet
    lines = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(lines) == 1 and lines[0].split()[-1] in ("m", "km")


def test_a_place_is_found_by_pinyin_and_the_map_goes_there(page):
    open_map(page, "en")
    page.fill("#atlas-search", "luoyang")
    page.wait_for_selector("#atlas-results[data-state=done]")
    assert page.locator("#atlas-results li.group").first.inner_text().startswith("Places")
    page.press("#atlas-search", "Enter")  # the first result: the city
    popup = page.locator(".atlas-place-popup")
    popup.wait_for()
    assert "Luoyang" in popup.inner_text() and "洛阳市" in popup.inner_text()
    centre = page.evaluate("() => window.atlas.map.getCenter()")
    assert 111.1 < centre["lng"] < 113.0 and 33.5 < centre["lat"] < 35.1  # inside Luoyang's extent
