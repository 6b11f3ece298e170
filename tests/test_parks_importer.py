"""Layer import: mapping, validation report, preview of changes, atomic versioned swap, restore."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from fixtures_files import (
    damage_record,
    make_csv_points,
    make_geojson,
    make_shapefile,
    make_zipped_shapefile,
    parcels_gdf,
    twisted_parcel,
    zip_folder,
)

from parks import field_mapping as fm
from parks import importer
from parks.catalog import Catalog
from store import layer_versions as lv
from store.db import Database

OFFICIAL = ["郑州航空港经济综合实验区", "洛阳高新区", "新乡经开区"]


def official_parks(n: int = 3) -> gpd.GeoDataFrame:
    gdf = parcels_gdf(n, names=OFFICIAL[:n]).rename(
        columns={"name": "园区名称", "code": "园区代码", "area_ha": "面积(公顷)"})
    gdf["主导产业"] = ["智能终端", "机器人", "电池"][:n]
    gdf["备注"] = "正式"
    return gdf


@pytest.fixture
def catalog(data_dir) -> Catalog:
    return Catalog(data_dir)


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    database.create_all()
    return database


def test_suggested_mapping_recognises_chinese_names_and_units():
    cols = ["园区名称", "园区代码", "面积（公顷）", "主导产业", "总投资(万元)", "备注"]
    mapping = fm.suggest_mapping("parks", cols)
    assert mapping == {"id": "园区代码", "name_zh": "园区名称", "ind_zh": "主导产业",
                       "a13_km2": "面积（公顷）", "inv13_yi": "总投资(万元)"}
    assert fm.unit_of("面积（公顷）", fm.field("parks", "a13_km2")) == "ha"
    assert fm.unit_of("总投资(万元)", fm.field("parks", "inv13_yi")) == "wan"
    assert fm.suggest_mapping("zones", ["YQMC", "MJ"]) == {"name_zh": "YQMC", "plan_km2": "MJ"}
    assert fm.suggest_mapping("parks", ["园区名", "园区代"]) == {"id": "园区代", "name_zh": "园区名"}
    assert fm.parse_mapping("name_zh=园区名称, a13_km2=面积:ha", "parks") == (
        {"name_zh": "园区名称", "a13_km2": "面积"}, {"a13_km2": "ha"})
    assert fm.to_number("1,234.5") == 1234.5 and fm.to_number("12亿元") == 12 and fm.to_number("") is None


def test_plan_maps_converts_and_marks_basis_user(catalog, tmp_path):
    path = make_zipped_shapefile(tmp_path, official_parks(), crs=4526, encoding="GBK", cpg=False, prj=False)
    plan = importer.plan_import(catalog, "parks", path, "正式园区.zip")
    assert plan.ok, [p.en for p in plan.errors]
    assert [p.code for p in plan.problems] == ["ignored_columns"]  # 备注 is not imported
    res = plan.result
    assert res["name_zh"].tolist() == OFFICIAL
    assert res["id"].tolist() == ["DK001", "DK002", "DK003"]
    assert res["a13_km2"].tolist() == pytest.approx([0.06] * 3)  # 6 公顷 = 0.06 km²
    assert set(res["geom_basis"]) == {"user"} and set(res["fig_basis"]) == {"user"}
    assert set(res["kind"]) == {"official"} and set(res["imp_file"]) == {"正式园区.zip"}
    assert list(res.columns[:-1]) == importer.schema_columns("parks")
    c = plan.changes
    assert (c["before"], c["after"], len(c["added"]), len(c["removed"])) == (21, 3, 3, 21)
    assert catalog.layer("parks")["id"].iloc[0] == "park-01"  # nothing swapped by planning
    assert not (catalog.data_dir / "layers").exists()


def test_report_lists_every_problem_with_its_row(catalog, tmp_path):
    gdf = official_parks()
    gdf["园区代码"] = ["A1", "A1", "A3"]
    gdf["面积(公顷)"] = gdf["面积(公顷)"].astype(object)
    gdf.loc[2, "面积(公顷)"] = "约六公顷"
    gdf.loc[1, "园区名称"] = ""
    path = make_geojson(tmp_path, gdf)
    plan = importer.plan_import(catalog, "parks", path, path.name)
    assert not plan.ok
    found = {(p.code, p.row) for p in plan.errors}
    assert ("not_a_number", 3) in found
    assert ("missing_name", 2) in found or ("duplicate_id", 2) in found
    plan = importer.plan_import(catalog, "parks", path, path.name,
                                mapping={"id": "园区代码", "name_zh": "备注"})
    assert {(p.code, p.row) for p in plan.errors} == {("duplicate_id", 2)}
    with pytest.raises(importer.UserError):
        importer.commit_import(catalog, plan, actor="x")
    assert lv.current_version(catalog.data_dir, "parks") is None


def test_unmappable_fields_and_wrong_geometry(catalog, tmp_path):
    path = make_geojson(tmp_path, official_parks())
    plan = importer.plan_import(catalog, "parks", path, path.name, mapping={"id": "nope", "city": "园区名称"})
    codes = {p.code for p in plan.errors}
    assert codes == {"unknown_column", "unmapped_required"}
    points = make_csv_points(tmp_path, [{"名称": "富士康", "经度": 113.8, "纬度": 34.5}])
    with pytest.raises(importer.UserError) as info:
        importer.plan_import(catalog, "parks", points, points.name)
    assert info.value.code == "no_polygons"


def test_rows_outside_henan_or_with_bad_rings_are_reported(catalog, tmp_path):
    gdf = official_parks(2)
    far = parcels_gdf(1, lon=116.4, lat=39.9).geometry[0]
    gdf.loc[1, "geometry"] = far
    plan = importer.plan_import(catalog, "parks", make_geojson(tmp_path, gdf), "x.geojson")
    assert [(p.code, p.row) for p in plan.errors] == [("outside_henan", 2)]
    gdf = official_parks(2)
    gdf.loc[0, "geometry"] = twisted_parcel(lobe_m=30)
    plan = importer.plan_import(catalog, "parks", make_geojson(tmp_path, gdf, name="t.geojson"), "t.geojson")
    assert [(p.code, p.row) for p in plan.errors] == [("invalid_geometry", 1)]


def test_commit_swaps_atomically_keeps_history_and_audits(catalog, db, tmp_path):
    from store import audit

    path = make_zipped_shapefile(tmp_path, official_parks(), crs=4526, encoding="GBK", cpg=False)
    plan = importer.plan_import(catalog, "parks", path, "正式园区.zip")
    with db.write() as session:
        version = importer.commit_import(catalog, plan, actor="admin", session=session, reason="正式红线")
    served = catalog.layer("parks")
    assert served["name_zh"].tolist() == OFFICIAL
    assert catalog.path("parks") == catalog.data_dir / "layers" / "parks" / version / "parks.shp"
    history = lv.versions(catalog.data_dir, "parks")
    assert [v["current"] for v in history] == [True, False]
    assert history[1]["origin"] == "default" and history[1]["features"] == 21
    meta = history[0]
    assert meta["source_file"] == "正式园区.zip" and meta["basis"] == "user"
    assert meta["encoding"] == "gbk" and "4526" in meta["source_crs"]
    with db.read() as session:
        (entry,) = audit.entries(session, audit.AuditFilter(action="layer.import"))
        assert (entry.actor, entry.target, entry.reason) == ("admin", "parks", "正式红线")
        assert json.loads(entry.after_json)["version"] == version
    # restore the shipped version
    with db.write() as session:
        importer.restore(catalog, "parks", history[1]["version"], actor="admin", session=session)
    assert len(catalog.layer("parks")) == 21
    with db.read() as session:
        assert len(audit.entries(session, audit.AuditFilter(action="layer.restore"))) == 1


def test_update_mode_replaces_by_id_and_appends(catalog, tmp_path):
    current = catalog.layer("zones")
    gdf = gpd.GeoDataFrame({"编号": [current["id"][0], "zone-new"], "名称": ["改名高新区", "新高新区"],
                            "规划面积": [12.5, 3.0]},
                           crs=4490, geometry=[parcels_gdf(1).geometry[0],
                                               parcels_gdf(1, lon=114.3, lat=32.1).geometry[0]])
    plan = importer.plan_import(catalog, "zones", make_geojson(tmp_path, gdf), "z.geojson", mode="update")
    assert plan.ok, [p.en for p in plan.errors]
    res = plan.result
    assert len(res) == len(current) + 1
    assert res["id"].tolist()[: len(current)] == current["id"].tolist()  # order kept
    assert res.loc[0, "name_zh"] == "改名高新区" and res.loc[0, "geom_basis"] == "user"
    assert res.loc[1, "geom_basis"] == current.loc[1, "geom_basis"]  # untouched rows keep their basis
    assert res.iloc[-1]["plan_km2"] == pytest.approx(3.0)
    assert any(p.code == "assumed_unit" for p in plan.problems)
    c = plan.changes
    assert ([a["id"] for a in c["added"]], [a["id"] for a in c["changed"]], c["removed"]) == (
        ["zone-new"], [current["id"][0]], [])
    assert c["unchanged"] == len(current) - 1


def test_points_from_csv(catalog, tmp_path):
    rows = [{"项目名称": "新项目", "经度": 113.7, "纬度": 34.7, "总投资（亿元）": "12.5", "领域": "新材料"}]
    plan = importer.plan_import(catalog, "projects", make_csv_points(tmp_path, rows), "p.csv")
    assert plan.ok
    r = plan.result.iloc[0]
    assert (r["name_zh"], r["inv_yi"], r["sector_zh"], r["inv_basis"]) == ("新项目", 12.5, "新材料", "user")
    assert r.geometry.equals(shapely.Point(113.7, 34.7))


def test_dropped_files_are_picked_up_once(catalog, db, tmp_path):
    path = make_zipped_shapefile(catalog.shapefile_dir, official_parks(), crs=4526, encoding="GBK",
                                 cpg=False, zip_name="parks.zip")
    bad = official_parks()
    bad.loc[0, "园区名称"] = ""
    make_geojson(catalog.shapefile_dir, bad, name="zones.geojson")
    outcomes = importer.pickup_dropped(catalog, write_session=db.write)
    assert {(o["layer"], o["status"]) for o in outcomes} == {("parks", "imported"), ("zones", "refused")}
    assert catalog.layer("parks")["name_zh"].tolist() == OFFICIAL
    assert lv.current_version(catalog.data_dir, "zones") is None
    assert importer.pickup_log(catalog, "zones")[0]["problems"][0]["row"] == 1
    assert importer.pickup_dropped(catalog, write_session=db.write) == []  # each file once
    assert path.exists()  # the dropped file is left where it was


def test_built_shapefiles_are_not_taken_for_drop_ins(catalog):
    assert importer.dropped_files(catalog) == []


def test_interrupted_write_leaves_nothing_served(catalog, monkeypatch, tmp_path):
    plan = importer.plan_import(catalog, "parks", make_geojson(tmp_path, official_parks()), "a.geojson")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", boom)
    with pytest.raises(OSError):
        importer.commit_import(catalog, plan, actor="x")
    assert lv.current_version(catalog.data_dir, "parks") is None
    assert len(catalog.layer("parks")) == 21
    assert not list((catalog.data_dir / "layers" / "parks").glob(".tmp-*"))


def test_official_shapefile_copied_over_the_default_is_imported_and_default_rebuilt(catalog, tmp_path):
    from fixtures_files import make_shapefile

    for old in catalog.shapefile_dir.glob("parks.*"):
        old.unlink()
    make_shapefile(catalog.shapefile_dir, official_parks(), name="parks", crs=4526, encoding="GBK", cpg=False)
    assert importer.dropped_files(catalog) == [("parks", catalog.shapefile_dir / "parks.shp")]
    (outcome,) = importer.pickup_dropped(catalog)
    assert outcome["status"] == "imported"
    assert catalog.layer("parks")["name_zh"].tolist() == OFFICIAL
    shipped = lv.versions(catalog.data_dir, "parks")[-1]
    assert (shipped["origin"], shipped["features"]) == ("build", 21)  # rebuilt from the sources


def test_refused_shapefile_over_the_default_falls_back_to_the_shipped_layer(catalog):
    from fixtures_files import make_shapefile

    bad = official_parks()
    bad.loc[1, "园区名称"] = ""
    for old in catalog.shapefile_dir.glob("parks.*"):
        old.unlink()
    make_shapefile(catalog.shapefile_dir, bad, name="parks", crs=4526, encoding="GBK", cpg=False)
    (outcome,) = importer.pickup_dropped(catalog)
    assert outcome["status"] == "refused" and outcome["fallback"]
    assert len(catalog.layer("parks")) == 21  # pages keep working on the shipped layer


def test_a_damaged_record_blocks_the_import_by_number_and_reason(catalog, tmp_path):
    folder = tmp_path / "parts"
    shp = make_shapefile(folder, official_parks(), crs=4526)
    damage_record(shp, 3, "parts")
    plan = importer.plan_import(catalog, "parks", zip_folder(folder, tmp_path / "p.zip"), "p.zip")
    assert not plan.ok
    (problem,) = [p for p in plan.errors if p.code == "unreadable_record"]
    assert problem.row == 3 and "damaged" in problem.en and "第 3 条记录" in problem.zh
