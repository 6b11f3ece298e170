"""`flask check-parcels` (web/check_batch.py): the command against the app's parks and zones,
on a running scheduler, in PostGIS, and bad input refused with exit code 2 and no output."""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely

from geo.crs import CGCS2000, transform_geoms
from parks import ledger
from parks.batch import Reference, check_file
from parks.checks import quota_areas
from web.auth import database
from web.context import catalog

GK = 4546


@pytest.fixture
def parcels_file(app, tmp_path):
    """200 parcels on a line through the first park's footprint: inside, across its edge, outside."""
    with app.app_context():
        cat = catalog()
        areas = quota_areas(cat.layer("parks"), cat.layer("zones"))
    centre = transform_geoms(np.array([areas.geometry.iloc[0].centroid]), CGCS2000, GK)[0]
    x = centre.x + 60 * np.arange(200)
    boxes = shapely.box(x, centre.y, x + 40, centre.y + 30)
    path = tmp_path / "parcels.gpkg"
    gpd.GeoDataFrame({"BSM": [f"B{k:04d}" for k in range(200)]},
                     geometry=transform_geoms(boxes, GK, CGCS2000), crs=CGCS2000).to_file(path)
    return path


@pytest.mark.dask
def test_local_cluster_writes_every_parcel(runner, parcels_file, tmp_path):
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(out), "--workers", "1",
                                 "--batch-size", "1000"])
    assert result.exit_code == 0, result.output
    assert "a local cluster of 1 workers" in result.output
    assert "wrote" in result.output and "200 parcels" in result.output and "未预留" in result.output
    text = out.read_bytes().decode("utf-8-sig")  # as Excel opens it: BOM, CRLF
    assert text.startswith("WKT,BSM,file_row,area_id") and text.count("\r\n") == 201


@pytest.mark.dask
def test_runs_on_an_existing_scheduler(app, runner, parcels_file, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        app.config["DASK_SCHEDULER"] = cluster.scheduler_address  # as SEI_ATLAS_DASK_SCHEDULER sets it
        out = tmp_path / "out.parquet"
        result = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(out),
                                     "--batch-size", "1000"])
        folder = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(tmp_path / "核查结果"),
                                     "--batch-size", "1000"])
    assert result.exit_code == 0, result.output
    assert f"scheduler {cluster.scheduler_address}" in result.output
    table = pq.read_table(out)
    assert table.num_rows == 200 and table.column("BSM").to_pylist()[:2] == ["B0000", "B0001"]
    verdicts = set(table.column("verdict").to_pylist())
    assert "fail" in verdicts and verdicts & {"review", "pass"}  # outside parcels and inside ones
    assert folder.exit_code == 0 and "200 parcels" in folder.output, folder.output  # the workers wrote it
    assert "(GeoParquet dataset; part files: 1)" in folder.output
    assert [p.name for p in (tmp_path / "核查结果").iterdir()] == ["part-00000.parquet"]
    assert pq.read_table(tmp_path / "核查结果").equals(table)


def test_bad_input_exits_2_with_both_languages_and_writes_nothing(runner, tmp_path, parcels_file):
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(113.6, 34.7), (113.7, 34.8)])], crs=CGCS2000)
    lines.to_file(tmp_path / "lines.gpkg")
    (tmp_path / "garbage.parquet").write_bytes(b"not parquet at all")
    out = tmp_path / "out.parquet"
    for source, words in ((tmp_path / "missing.gpkg", ("找不到文件", "File not found")),
                          (tmp_path / "lines.gpkg", ("没有面要素", "no polygons")),
                          (tmp_path / "garbage.parquet", ("无法读取文件", "Cannot read"))):
        result = runner.invoke(args=["check-parcels", str(source), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert all(w in result.output for w in words), result.output
    result = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(tmp_path / "out.shp")])
    assert result.exit_code == 2 and "输出须为" in result.output and "a folder (no suffix)" in result.output
    assert not list(tmp_path.glob("*out*"))


@pytest.mark.skipif(bool(os.environ.get("SEI_ATLAS_TEST_DATABASE_URL")), reason="SQLite only")
def test_postgis_engine_needs_postgresql(runner, parcels_file, tmp_path):
    result = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(tmp_path / "o.parquet"),
                                 "--engine", "postgis"])
    assert result.exit_code == 2 and "PostgreSQL" in result.output
    assert not (tmp_path / "o.parquet").exists()


@pytest.mark.postgres
def test_postgis_engine_writes_the_in_process_rows(app, runner, parcels_file, tmp_path):
    theirs, ours = tmp_path / "postgis.parquet", tmp_path / "in_process.parquet"
    result = runner.invoke(args=["check-parcels", str(parcels_file), "--out", str(theirs),
                                 "--engine", "postgis"])
    assert result.exit_code == 0, result.output
    with app.app_context(), database().read() as session:
        cat = catalog()
        reference = Reference.as_of_start(quota_areas(cat.layer("parks"), cat.layer("zones")),
                                          ledger.state(session, ledger.SEED_YEAR))
    check_file(parcels_file, ours, reference)
    a, b = pq.read_table(ours).to_pandas(), pq.read_table(theirs).to_pandas()
    for col in ("BSM", "area_id", "verdict", "reasons"):
        assert a[col].fillna("").tolist() == b[col].fillna("").tolist(), col
    for col in ("area_m2", "gk_area_m2", "outside_m2", "after_m2"):  # the ellipsoid by PostGIS: to the cent
        np.testing.assert_allclose(a[col], b[col], atol=0.0101, err_msg=col)
