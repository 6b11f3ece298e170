"""The admin's layer import over HTTP: roles, upload → preview → correct → confirm, restore, CLI."""

from __future__ import annotations

import re

import pytest
from fixtures_files import make_csv_points, make_geojson, make_zip_slip, make_zipped_shapefile, parcels_gdf

from store import layer_versions as lv

OFFICIAL = ["郑州航空港经济综合实验区", "洛阳高新区"]


def official_zip(tmp_path, **kwargs):
    gdf = parcels_gdf(2, names=OFFICIAL).rename(columns={"name": "YQMC", "code": "园区代码",
                                                         "area_ha": "面积(公顷)"})
    return make_zipped_shapefile(tmp_path, gdf, crs=4526, encoding="GBK", cpg=False, **kwargs)


def upload(client, path, **form):
    with open(path, "rb") as f:
        data = {"layer": "parks", "mode": "replace", "crs": "", "encoding": "", "datum": "",
                **form, "file": (f, path.name)}
        return client.post("/admin/import", data=data, content_type="multipart/form-data")


def token_of(response) -> str:
    return re.search(r"/admin/import/([A-Za-z0-9_-]{16})$", response.headers["Location"]).group(1)


def test_admin_only(client, sign_in):
    assert client.get("/admin/").status_code == 302  # to sign-in
    sign_in("land_staff")
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/import").status_code == 403


def test_upload_preview_confirm_and_restore(app, client, sign_in, tmp_path):
    sign_in("admin")
    page = client.get("/admin/")
    assert page.status_code == 200 and "图层导入" in page.text
    response = upload(client, official_zip(tmp_path))
    assert response.status_code == 302
    token = token_of(response)
    preview = client.get(f"/admin/import/{token}")
    html = preview.text
    assert preview.status_code == 200
    assert "郑州航空港经济综合实验区" in html and "EPSG:4526" in html and "GBK" in html
    assert 'id="preview-table"' in html and "0.06" in html  # 6 公顷 shown as 0.06 km²
    assert "新增 2，删除 21" in html or "2 added, 21 removed" in html
    assert lv.current_version(app.config["DATA_DIR"], "parks") is None  # nothing swapped yet

    response = client.post(f"/admin/import/{token}/commit", data={"reason": "正式红线"})
    assert response.status_code == 302
    assert client.get("/api/layers/parks").get_json()["features"][0]["properties"]["name_zh"] == OFFICIAL[0]
    from store.models import Quota
    from web.auth import database

    with app.app_context(), database().read() as session:  # the ledger learns the new parks
        assert session.query(Quota).filter_by(area_id="DK001").count() == 1
    history = client.get("/admin/layers/parks")
    assert "正式红线" in history.text and history.text.count("恢复此版本") == 1
    audit = client.get("/quota/audit")
    if audit.status_code == 200:
        assert "layer.import" in audit.text
    versions = lv.versions(app.config["DATA_DIR"], "parks")
    response = client.post("/admin/layers/parks/restore", data={"version": versions[1]["version"]})
    assert response.status_code == 302
    assert len(client.get("/api/layers/parks").get_json()["features"]) == 21
    assert client.get(f"/admin/import/{token}").status_code == 404  # staged upload gone


def test_correcting_the_mapping_and_blocked_commit(app, client, sign_in, tmp_path):
    sign_in("admin")
    token = token_of(upload(client, official_zip(tmp_path)))
    # Map the name to a column that is empty for nobody but duplicate the ID: errors block.
    client.post(f"/admin/import/{token}/mapping", data={"map_id": "面积(公顷)", "map_name_zh": "YQMC",
                                                        "mode": "replace"})
    preview = client.get(f"/admin/import/{token}")
    assert "duplicate" in preview.text or "重复" in preview.text
    response = client.post(f"/admin/import/{token}/commit")
    assert response.status_code == 400
    assert lv.current_version(app.config["DATA_DIR"], "parks") is None
    client.post(f"/admin/import/{token}/mapping", data={"map_id": "园区代码", "map_name_zh": "YQMC",
                                                        "map_a13_km2": "面积(公顷)", "unit_a13_km2": "mu"})
    preview = client.get(f"/admin/import/{token}")
    assert "没有错误" in preview.text
    assert client.post(f"/admin/import/{token}/commit").status_code == 302
    served = client.get("/api/layers/parks").get_json()["features"][0]["properties"]
    assert served["a13_km2"] == pytest.approx(6.0 / 1500)  # 6 read as 亩 → km²
    assert served["geom_basis"] == "user" and served["imp_file"] == "parcels.zip"


@pytest.mark.parametrize(("maker", "code"), [
    (lambda tmp: make_zip_slip(tmp), "zip_slip"),
    (lambda tmp: official_zip(tmp, prj=False, drop=(".dbf",)), "missing_part"),
    (lambda tmp: make_geojson(tmp, None), "empty"),
])
def test_unreadable_uploads_are_refused_and_not_kept(app, client, sign_in, tmp_path, maker, code):
    sign_in("admin")
    response = upload(client, maker(tmp_path))
    assert response.status_code == 400
    assert 'id="import-error"' in response.text
    staged = list((tmp_path / "instance" / "imports").glob("*")) if (tmp_path / "instance").exists() else []
    assert staged == []


def test_ambiguous_crs_offers_the_candidates(client, sign_in, tmp_path):
    sign_in("admin")
    gdf = parcels_gdf(1).rename(columns={"name": "名称"})
    response = upload(client, make_zipped_shapefile(tmp_path, gdf, crs=4547, prj=False))
    assert response.status_code == 400
    assert 'id="crs-candidates"' in response.text and "EPSG:4547" in response.text
    response = upload(client, make_zipped_shapefile(tmp_path, gdf, crs=4547, prj=False, zip_name="b.zip"),
                      crs="4547")
    assert response.status_code == 302


def test_cli_import_history_and_restore(app, runner, tmp_path):
    path = official_zip(tmp_path)
    result = runner.invoke(args=["import-layer", "parks", str(path), "--yes",
                                 "--mapping", "id=园区代码,name_zh=YQMC,a13_km2=面积(公顷):ha"])
    assert result.exit_code == 0, result.output
    assert "imported parks as version" in result.output and "EPSG:4526" in result.output
    listing = runner.invoke(args=["layer-versions", "parks"]).output
    assert listing.count("\n") == 2 and listing.startswith("*")
    old = listing.splitlines()[1].split()[0]
    assert runner.invoke(args=["restore-layer", "parks", old]).exit_code == 0
    bad = runner.invoke(args=["import-layer", "parks", str(path), "--yes", "--mapping", "id=nope"])
    assert bad.exit_code != 0 and "not imported" in bad.output


def test_dropped_file_is_imported_at_start(data_dir, tmp_path):
    from app import create_app

    official_zip(data_dir / "shapefiles", zip_name="parks.zip")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATA_DIR": str(data_dir),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'drop.db'}", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    names = [f["properties"]["name_zh"] for f in client.get("/api/layers/parks").get_json()["features"]]
    assert names == OFFICIAL


def test_cli_import_says_each_problem_once_with_a_count(runner, tmp_path):
    rows = [{"名称": f"北京合作项目{i}", "经度": 116.3 + i * 0.001, "纬度": 39.9} for i in range(300)]
    rows.append({"名称": "郑州合作项目", "经度": 113.6, "纬度": 34.7})
    result = runner.invoke(args=["import-layer", "foxconn", str(make_csv_points(tmp_path, rows)), "--yes"])
    assert result.exit_code == 1 and "not imported" in result.output
    assert result.output.count("outside Henan") == 1
    [line] = [ln for ln in result.output.splitlines() if "outside Henan" in ln]
    assert line.startswith("  error ×300 — rows 1, 2, 3, 4, 5 … (300): Features 1, 2,")


def test_cli_bad_file_is_a_usage_error_in_both_languages(runner, tmp_path):
    empty = make_geojson(tmp_path, None)
    result = runner.invoke(args=["import-layer", "parks", str(empty), "--yes"])
    assert result.exit_code == 2
    assert "空文件" in result.stderr and "The file holds no features" in result.stderr


EVERY_PAGE = ("/", "/parks/", "/views/built-up", "/views/revenue", "/views/revenue?year=2012", "/export/",
              "/quota/", "/data/", "/ogc/collections")


@pytest.mark.parametrize("delivery", ["id_and_name_only", "figures_as_text"])
def test_an_import_never_breaks_a_page(app, client, sign_in, tmp_path, delivery):
    """A parks update with only ID and name columns (figures filled with the documented default:
    empty, basis none) or with its figures written as text imports with the layer's types, and
    every page still answers."""
    sign_in("admin")
    gdf = parcels_gdf(2, names=OFFICIAL).rename(columns={"name": "名称", "code": "编号"})
    gdf["编号"] = ["park-01", "park-02"]
    if delivery == "id_and_name_only":
        gdf = gdf[["编号", "名称", "geometry"]]
    else:
        gdf = gdf.drop(columns="area_ha")
        gdf["2012年建成面积"] = ["0.05", "0.06"]
        gdf["2013年建成面积"] = ["0.06", "0.07"]
        gdf["2013年主营业务收入"] = ["12.5", "3"]
    response = upload(client, make_geojson(tmp_path, gdf), mode="update")
    token = token_of(response)
    assert client.post(f"/admin/import/{token}/commit", data={"reason": "t"}).status_code == 302
    served = app.extensions["atlas_catalog"].layer("parks")
    assert served["name_zh"].tolist()[:2] == OFFICIAL
    for col in ("a12_km2", "a13_km2", "inv12_yi", "rev13_yi", "lon", "lat", "slot", "src_id"):
        assert served[col].dtype.kind in "fi", (col, served[col].dtype)
    if delivery == "figures_as_text":
        assert served["a13_km2"].tolist()[:2] == pytest.approx([0.06, 0.07])
    ids = served["id"].tolist()
    for path in (*EVERY_PAGE, *(f"/parks/{i}" for i in ids)):
        assert client.get(path).status_code == 200, path


def test_an_upload_over_a_budget_or_failing_keeps_nothing_staged(client, sign_in, tmp_path, monkeypatch):
    from geo import budget
    from parks import importer

    sign_in("admin")
    staged = tmp_path / "instance" / "imports"
    monkeypatch.setattr(budget, "MAX_RECORDS", 1)
    response = upload(client, official_zip(tmp_path))
    assert response.status_code == 413 and 'id="import-error"' in response.text
    assert not staged.exists() or list(staged.iterdir()) == []
    monkeypatch.undo()

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug, not the file")

    monkeypatch.setattr(importer, "plan_import", broken)
    assert upload(client, official_zip(tmp_path, zip_name="again.zip")).status_code == 500
    assert list(staged.iterdir()) == []
