"""An admin imports official park boundaries in the browser: preview map, confirm, offline."""

import pytest
from browser_pages import create_user, sign_in
from fixtures_files import make_zipped_shapefile, parcels_gdf

pytestmark = pytest.mark.browser

OFFICIAL = ["郑州航空港经济综合实验区", "洛阳高新区"]


@pytest.fixture
def admin(app):
    return create_user(app, "boss", "admin")


def test_upload_preview_and_confirm(page, admin, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    gdf = parcels_gdf(2, names=OFFICIAL).rename(columns={"name": "园区名称", "area_ha": "面积(公顷)"})
    path = make_zipped_shapefile(tmp_path, gdf, crs=4526, encoding="GBK", cpg=False, zip_name="正式园区.zip")
    sign_in(page, admin, "/admin/")

    page.set_input_files("#import-form input[name=file]", str(path))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#preview-table")
    assert "没有错误" in page.inner_text("#verdict")
    assert page.locator("#preview-table tbody tr").count() == 2
    assert page.locator(".import-map path.leaflet-interactive").count() >= 2  # drawn by Leaflet

    page.click("#commit-form button[type=submit]")
    page.wait_for_selector("#versions")
    assert "正式园区.zip" in page.inner_text("#versions")
    assert errors == [] and page.blocked == [] and page.failed == []
