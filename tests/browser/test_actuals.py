"""A planner records 2013's built-up area of a park with its source through the form, then sees
it against the target in the built-up view's map popup and chart — on a desktop and a phone."""

import pytest
from browser_pages import create_user, sign_in

pytestmark = pytest.mark.browser

SOURCE = "2013年土地变更调查（洛阳市国土资源局）"


@pytest.fixture
def planner(app):
    return create_user(app, "wang.planner", "planner")


@pytest.mark.parametrize(("width", "height"), [(1400, 900), (390, 844)])
def test_record_a_figure_then_see_it_on_the_map_popup_and_the_chart(page, planner, width, height, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, planner, "/views/built-up")

    page.click("#record-actual")
    page.wait_for_url("**/actuals/?metric=built_up_km2&year=2013")
    form = page.locator("#actual-form")
    assert form.locator("select[name=year]").input_value() == "2013"
    assert form.locator("select[name=metric]").input_value() == "built_up_km2"
    form.locator("select[name=area]").select_option("park-04")
    form.locator("input[name=value]").fill("5.2")
    form.locator("input[name=source]").fill(SOURCE)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-ok")
    row = page.locator('#actuals-table tr[data-area="park-04"]').inner_text()
    assert "5.2" in row and SOURCE in row and "有出处" in row

    page.goto(f"{page.base_url}/views/built-up")
    bar = page.locator('#monitor-chart g.chart-row[data-id="park-04"]')
    assert bar.get_attribute("data-actual") == "5.2"
    assert "5.2 / 4.06 (+1.14)" in bar.text_content()
    marker = page.locator("path.area-park-04")
    marker.scroll_into_view_if_needed()
    marker.dispatch_event("click")  # on a phone the legend may cover the circle
    popup = page.wait_for_selector(".leaflet-popup-content .monitor-popup")
    text = popup.inner_text()
    assert "5.2 km²" in text and "有出处" in text and SOURCE in text
    assert "4.06 km²" in text and "推算" in text and "+1.14 km²" in text and "达到目标" in text
    box = page.locator(".monitor-map").bounding_box()
    assert box["width"] >= min(350, width - 40) and box["height"] >= 400
    assert page.locator("#monitor").bounding_box()["width"] <= width  # the section fits the screen
    page.wait_for_timeout(300)  # the popup fades in
    page.screenshot(path=str(tmp_path / f"built-up-{width}.png"), full_page=False)

    assert page.blocked == [] and page.failed == []
    assert errors == []
