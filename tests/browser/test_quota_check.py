"""A clerk signs in, uploads a parcel file on the check page and reads the verdict, offline."""

import pytest
from browser_pages import create_user, sign_in
from fixtures_files import GBK_NAMES, make_zipped_shapefile, parcels_gdf

pytestmark = pytest.mark.browser

PARK01 = (113.846, 34.549)


@pytest.fixture
def clerk(app):
    return create_user(app, "clerk", "land_staff")


def test_upload_on_the_page_and_read_the_verdict(page, clerk, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    path = make_zipped_shapefile(tmp_path, parcels_gdf(3, lon=PARK01[0], lat=PARK01[1]), crs=4526,
                                 encoding="GBK", cpg=False, zip_name="地块成果.zip")
    sign_in(page, clerk, "/quota/check")
    page.set_input_files("#check-form input[name=file]", str(path))
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#verdict")

    assert "需人工复核" in page.inner_text("#verdict")
    rows = page.locator("#parcels tbody tr")
    assert rows.count() == 3
    first = rows.first.inner_text()
    assert GBK_NAMES[0] in first and "郑州航空港区" in first and "公顷" in first and "亩" in first
    assert "示意" in page.inner_text(".notice")
    # The map draws the three parcels and the park around them, from the app's own Leaflet.
    page.wait_for_function("() => document.querySelectorAll('.leaflet-overlay-pane path').length >= 4")
    assert page.locator(".atlas-legend").is_visible()

    # Reserve the first parcel from the page.
    rows.first.locator("input[name=reason]").fill("管委会申请，位置已核实")
    rows.first.locator("form.decision button").click()
    page.wait_for_selector(".flash-ok")
    assert "已预留" in page.locator("#parcels tbody tr").first.inner_text()

    assert page.blocked == [] and page.failed == []
    assert errors == []


def test_bad_file_gets_a_message_on_the_page(page, clerk, tmp_path):
    bad = tmp_path / "图纸.dwg"
    bad.write_bytes(b"AC1027" + b"\x00" * 64)
    sign_in(page, clerk, "/quota/check")
    page.set_input_files("#check-form input[name=file]", str(bad))
    page.click("#check-form button[type=submit]")
    message = page.inner_text("#check-error")
    assert "不支持的文件类型" in message and "Unsupported file type" in message
    assert page.blocked == []
