"""Survey (DLTB) and supply imports: delivered files in GK zones and GBK import and read back by
area; every bad input is refused with a bilingual report and nothing stored — on SQLite
(GeoParquet) and, with scripts/with-postgres.sh, on PostgreSQL (PostGIS tables)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import shapely
from sqlalchemy import select, text
from survey_files import grid, in_cgcs2000, supply_records, write_gbk_shp_zip, write_gpkg

from core.errors import UserError
from geo.errors import GeoInputError
from geo.overlaps import overlapping_pairs
from parks import survey_import as si
from store import layer_versions as lv
from store import survey as sv
from store.models import AuditEntry


def _url(db):
    return None if db.is_sqlite else db.url.render_as_string(hide_password=False)


def _audit(db, action):
    with db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _tables(db) -> list[str]:
    """The survey and supply tables in PostgreSQL (none on SQLite)."""
    if db.is_sqlite:
        return []
    with db.read() as session:
        return sorted(session.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = ANY (current_schemas(false)) "
            "AND (tablename LIKE 'survey%' OR tablename LIKE 'supply%')")).scalars())


def _nothing_stored(db, data_dir):
    assert sv.survey_years(data_dir) == []
    leftovers = [p.name for p in (data_dir / "survey").glob("*")] if (data_dir / "survey").exists() else []
    assert leftovers == []
    assert _audit(db, "survey.import") == []
    assert _tables(db) == []


def test_a_gpkg_in_a_gk_zone_imports_and_reads_back_by_area(ledger_db, tmp_path):
    data = tmp_path / "data"
    patches = grid(10)
    meta = si.import_survey(ledger_db, data, write_gpkg(patches, tmp_path / "dltb.gpkg"), actor="li")
    assert meta["year"] == 2023 and meta["features"] == 100  # the year from SJNF
    assert meta["source_epsg"] == 4547
    assert meta["engine"] == ("geoparquet" if ledger_db.is_sqlite else "postgis")
    assert sv.survey_years(data) == [2023]

    every = sv.read_patches(data, 2023, database_url=_url(ledger_db))
    assert len(every) == 100 and every.crs.to_epsg() == 4490
    assert {*sv.SURVEY_FIELDS, "land_group", "is_industrial", "is_cultivated"} <= set(every.columns)
    row = every.set_index("BSM").loc["410100000002"]  # the third patch: 0601 工业用地
    assert (row["DLBM"], row["land_group"], bool(row["is_industrial"]), bool(row["is_cultivated"])) == \
        ("0601", "建设用地", True, False)
    assert every.loc[every["DLBM"] == "0101", "is_cultivated"].all()
    # the geometry is the delivered patch, moved from GK to CGCS2000 (within a millimetre)
    expected = dict(zip(patches["BSM"], in_cgcs2000(patches), strict=True))
    assert all(shapely.equals_exact(g, expected[b], 1e-8)
               for b, g in zip(every["BSM"], every.geometry, strict=True))

    # a mask over the corner patch and its neighbours' edges: exactly the patches it meets
    corner = expected["410100000000"]
    mask = shapely.buffer(corner.centroid, 0.0003)  # ~30 m: inside patch 0 only
    inside = sv.read_patches(data, 2023, mask=mask, database_url=_url(ledger_db))
    assert list(inside["BSM"]) == ["410100000000"]
    wider = shapely.box(*shapely.bounds(corner)).buffer(0.0002)  # reaches into 3 neighbours
    met = sv.read_patches(data, 2023, mask=wider, columns=["BSM", "DLBM"], database_url=_url(ledger_db))
    truth = sorted(b for b, g in expected.items() if g.intersects(wider))
    assert sorted(met["BSM"]) == truth and len(truth) == 4
    assert list(met.columns) == ["BSM", "DLBM", "geometry"]

    [entry] = _audit(ledger_db, "survey.import")
    assert entry.actor == "li" and entry.target == "dltb-2023"
    assert json.loads(entry.after_json)["features"] == 100
    if not ledger_db.is_sqlite:  # a PostGIS table with a GiST index on its geometry
        assert _tables(ledger_db) == ["survey_dltb_2023"]
        with ledger_db.read() as session:
            indexes = session.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = "
                                           "'survey_dltb_2023'")).scalars().all()
        assert any("USING gist (geom)" in d for d in indexes)


def test_a_zipped_file_geodatabase_imports(ledger_db, tmp_path):
    folder = tmp_path / "县级三调.gdb"
    grid(5).to_file(folder, layer="DLTB", driver="OpenFileGDB", engine="pyogrio")
    grid(2).to_file(folder, layer="CZCDYD", driver="OpenFileGDB", engine="pyogrio")  # another layer
    source = tmp_path / "gdb.zip"
    with zipfile.ZipFile(source, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, f"{folder.name}/{part.name}")
    meta = si.import_survey(ledger_db, tmp_path / "data", source)
    assert (meta["format"], meta["layer"], meta["features"]) == ("filegdb", "DLTB", 25)


def test_a_zipped_gbk_shapefile_in_the_prefixed_zone_imports(ledger_db, tmp_path):
    data = tmp_path / "data"
    source = write_gbk_shp_zip(grid(6), tmp_path / "shp")
    meta = si.import_survey(ledger_db, data, source, year=2024)
    assert (meta["year"], meta["features"]) == (2024, 36)
    assert (meta["encoding"], meta["encoding_how"], meta["source_epsg"]) == ("gbk", "detected", 4526)
    patches = sv.read_patches(data, 2024, database_url=_url(ledger_db))
    assert set(patches["ZLDWMC"]) == {"郑州市中牟县某村"} and "工业用地" in set(patches["DLMC"])


def test_reimporting_a_year_replaces_it(ledger_db, tmp_path):
    data = tmp_path / "data"
    si.import_survey(ledger_db, data, write_gpkg(grid(4), tmp_path / "a.gpkg"))
    si.import_survey(ledger_db, data, write_gpkg(grid(5), tmp_path / "b.gpkg"))
    assert len(sv.read_patches(data, 2023, database_url=_url(ledger_db))) == 25
    assert len(_audit(ledger_db, "survey.import")) == 2


@pytest.mark.parametrize("break_it, code", [
    (lambda g: g.drop(columns="DLBM"), "missing_field"),
    (lambda g: g.assign(DLBM=["0101"] * (len(g) - 2) + ["9999", "01X"]), "unknown_codes"),
    (lambda g: g.set_geometry(g.geometry.translate(xoff=60.0).where(g.index == 5, g.geometry)), "overlaps"),
    (lambda g: g.set_geometry(g.geometry.translate(yoff=-1_500_000.0)), "outside_henan"),
    (lambda g: g.set_geometry(g.geometry.centroid), "no_polygons"),
])
def test_bad_input_is_refused_with_a_bilingual_report_and_nothing_stored(ledger_db, tmp_path, break_it, code):
    data = tmp_path / "data"
    with pytest.raises((UserError, GeoInputError)) as caught:
        si.import_survey(ledger_db, data, write_gpkg(break_it(grid(8)), tmp_path / "bad.gpkg"))
    assert caught.value.code == code and caught.value.status == 400
    assert caught.value.zh and caught.value.en and caught.value.zh != caught.value.en
    _nothing_stored(ledger_db, data)


def test_unknown_codes_are_all_reported_with_counts_never_guessed(ledger_db, tmp_path):
    patches = grid(8).assign(DLBM=["0101"] * 60 + ["9999"] * 3 + ["0611"])
    with pytest.raises(si.SurveyImportError) as caught:
        si.import_survey(ledger_db, tmp_path / "data", write_gpkg(patches, tmp_path / "x.gpkg"),
                         batch_size=16)
    codes = caught.value.details["codes"]
    assert codes == {"9999": {"count": 3, "rows": [61, 62, 63]}, "0611": {"count": 1, "rows": [64]}}
    assert "9999" in caught.value.zh and "0611" in caught.value.en


def test_overlaps_across_batches_are_found_and_reported_by_bsm(ledger_db, tmp_path):
    patches = grid(8)
    # patch 20 (the 3rd batch of 8) pushed 40 m into patch 12 (the 2nd batch): 4,000 m² shared
    patches.loc[20, "geometry"] = shapely.box(*np.add(patches.geometry[20].bounds, (0, -40, 0, 0)))
    with pytest.raises(si.SurveyImportError) as caught:
        si.import_survey(ledger_db, tmp_path / "data", write_gpkg(patches, tmp_path / "o.gpkg"), batch_size=8)
    assert caught.value.code == "overlaps"
    [pair] = caught.value.details["pairs"]
    assert pair["rows"] == [13, 21] and pair["bsm"] == ["410100000012", "410100000020"]
    assert pair["shared_m2"] == pytest.approx(4000, rel=0.01)


def test_slivers_within_the_tolerance_are_not_overlaps():
    a = shapely.box(113.0, 34.0, 113.001, 34.001)
    b = shapely.box(113.001 - 1e-8, 34.0, 113.002, 34.001)  # ~1 mm into a: drawing noise
    c = shapely.box(113.0, 34.0, 113.0005, 34.0005)  # wholly inside a
    assert overlapping_pairs(np.array([a, b])) == []
    [(i, j, m2)] = overlapping_pairs(np.array([a, b, c]))
    assert (i, j) == (0, 2) and m2 == pytest.approx(0.0005 * 111_320 * 0.0005 * 92_000, rel=0.05)


def test_supply_records_import_as_a_version_of_their_own(ledger_db, tmp_path):
    data = tmp_path / "data"
    source = write_gpkg(supply_records(), tmp_path / "s.gpkg", "GD")
    meta = si.import_supply(ledger_db, data, source, actor="li")
    assert meta["features"] == 6 and lv.current_version(data, "supply") == meta["version"]
    rows = sv.read_supply(data, database_url=_url(ledger_db)).sort_values("parcel_id")
    assert list(rows["method"]) == ["出让", "划拨"] * 3
    assert list(rows["supplied_on"][:2]) == ["2021-03-05", "2022-07-01"]
    assert rows["area_m2"].tolist() == [14_400.0] * 6  # 1.44 公顷, the unit from the column's name
    assert rows["far"].isna().sum() == 3 and rows["far"].max() == 1.2
    assert {"电子监管号", "土地用途"} <= set(rows.columns)  # the delivered fields kept
    second = si.import_supply(ledger_db, data, write_gpkg(supply_records(2), tmp_path / "t.gpkg", "GD"))
    assert len(sv.read_supply(data, database_url=_url(ledger_db))) == 2
    assert len(sv.read_supply(data, version=meta["version"], database_url=_url(ledger_db))) == 6
    assert [v["version"] for v in lv.versions(data, "supply")] == [second["version"], meta["version"]]
    assert [json.loads(e.after_json)["version"] for e in _audit(ledger_db, "layer.import")] == \
        [meta["version"], second["version"]]


@pytest.mark.parametrize("break_it, code", [
    (lambda g: g.drop(columns="供地方式"), "missing_field"),
    (lambda g: g.assign(签订日期=["2021-03-05", "不详"] * 3), "bad_dates"),
    (lambda g: g.rename(columns={"供地面积(公顷)": "面积"}), "area_unit_unknown"),
])
def test_bad_supply_records_are_refused_and_nothing_stored(ledger_db, tmp_path, break_it, code):
    data = tmp_path / "data"
    with pytest.raises(si.SurveyImportError) as caught:
        si.import_supply(ledger_db, data, write_gpkg(break_it(supply_records()), tmp_path / "s.gpkg"))
    assert caught.value.code == code and caught.value.zh and caught.value.en
    assert lv.current_version(data, "supply") is None and lv.versions(data, "supply") == []
    assert _audit(ledger_db, "layer.import") == []
