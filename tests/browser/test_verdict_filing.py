"""What a land officer sees on the verdict of a survey-style parcel file (BSM, DKBH, QLR 权利人), on a
desktop and on a phone: the file's ids and owner beside each parcel, the candidate park named as a
candidate, the time in Beijing time; the page does not overflow sideways; the PDF link downloads."""

import geopandas as gpd
import pytest
from browser_pages import create_user, sign_in
from fixtures_files import make_gpkg, rect_m

pytestmark = pytest.mark.browser

PARK01 = (113.846, 34.549)
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture(params=[(1400, 900), (390, 844)], ids=["desktop", "phone"])
def viewport(request):
    return request.param


@pytest.fixture
def clerk(app):
    return create_user(app, "clerk", "land_staff")


def test_verdict_of_a_survey_file(page, clerk, tmp_path, viewport):
    gdf = gpd.GeoDataFrame({"BSM": ["410184000000123", "410184000000124"],
                            "DKBH": ["ZZ-2013-001", "ZZ-2013-002"],
                            "QLR": ["郑州某某电子科技有限公司", "河南省某某智能终端产业园"]},
                           geometry=[rect_m(*PARK01, 120, 100), rect_m(*PARK01, 80, 60, dx_m=400)], crs=4490)
    path = make_gpkg(tmp_path, gdf, name="宗地.gpkg")
    sign_in(page, clerk, "/quota/check")
    page.set_input_files("#check-form input[name=file]", str(path))
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#verdict")

    first = page.locator("#parcels tbody tr").first
    text = first.inner_text()
    for value in ("BSM", "410184000000123", "ZZ-2013-001", "郑州某某电子科技有限公司",
                  "候选园区“郑州航空港区（智能终端）”"):
        assert value in text, value
    assert first.locator("dl.attrs").is_visible()
    assert "北京时间 (UTC+8)" in page.inner_text("table.facts")
    page.screenshot(path=str(tmp_path / f"verdict-{viewport[0]}.png"), full_page=True)
    width, inner = page.evaluate(OVERFLOW)
    assert width <= inner, f"the page is {width}px wide in a {inner}px window"

    pdf = page.request.get(page.base_url + page.locator("#report-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    (tmp_path / "verdict.pdf").write_bytes(pdf.body())
