"""A recorded actual figure replaces a park's derived share in the overview map's popup, with its
basis and source, on a desktop and a phone."""

import pytest

from parks import actuals
from web.auth import database
from web.context import catalog

pytestmark = pytest.mark.browser

SOURCE = "2013年土地变更调查（郑州市国土资源局）"


@pytest.fixture(params=[(1400, 900), (390, 844)], ids=["desktop", "phone"])
def viewport(request):
    return request.param


def test_the_overview_popup_shows_the_recorded_figure_with_basis_and_source(app, page, viewport, tmp_path):
    with app.app_context():
        db = database()
        figure = actuals.check_figure(actuals.Areas(catalog()), area="park-01",
                                      year=2013, metric="built_up_km2", value="5.2", source=SOURCE)
        actuals.record(db, [figure], actor="planner")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{page.base_url}/?lang=zh")
    page.wait_for_function("() => window.atlasReady === true", timeout=15000)
    if viewport[0] < 1000:  # the search is in the drawer
        page.click("#atlas-drawer-toggle")
    page.fill("#atlas-search", "航空港区")
    page.wait_for_selector("#atlas-results[data-state=done]")
    page.locator("#atlas-results button", has_text="郑州航空港区").first.click()
    popup = page.locator(".leaflet-popup-content .atlas-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "3.13 推算 → 5.2 km² 有出处" in " ".join(text.split())
    assert SOURCE in text and "4.06" not in text
    page.wait_for_timeout(400)  # the popup fades in and is panned into view
    shape = page.locator(".leaflet-popup", has=popup).bounding_box()
    assert shape["x"] >= 0 and shape["x"] + shape["width"] <= viewport[0]
    page.screenshot(path=str(tmp_path / f"overview-actual-{viewport[0]}.png"))
    assert errors == [] and page.blocked == []
