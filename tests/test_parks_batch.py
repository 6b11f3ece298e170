"""Batch parcel checks (parks/batch.py, parks/batch_postgis.py, geo/arrow_stream.py): the same
rows whichever engine runs — in process, dask with 1 and 2 workers, PostGIS — and the same
placement and areas as the upload check."""

from __future__ import annotations

import os
from contextlib import nullcontext

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from geo.crs import CGCS2000, transform_geoms
from geo.errors import GeoInputError
from parks import provenance as pv
from parks.batch import OnCluster, Reference, check_file
from parks.checks import LedgerState, check_parcels

GK = 4546  # CGCS2000 3° GK, CM 111°E: the parcels are built in it (the zone west of Zhengzhou's)
X0, Y0 = 500_000.0, 3_850_000.0


def _box(x, y, w, h):
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    """Two parks side by side (one a red line, one schematic) inside a zone."""
    geoms = [_box(0, 0, 1000, 1000), _box(1000, 0, 1000, 1000), _box(-500, -500, 3000, 2000)]
    return gpd.GeoDataFrame({"area_id": ["park-a", "park-b", "zone-z"], "kind": ["park", "park", "zone"],
                             "name_zh": ["甲园", "乙园", "丙区"], "name_en": ["Park A", "Park B", "Zone Z"],
                             "geom_basis": [pv.USER, pv.SCHEMATIC, pv.USER]},
                            geometry=transform_geoms(np.array(geoms), GK, CGCS2000), crs=CGCS2000)


@pytest.fixture(scope="module")
def reference(areas) -> Reference:
    quotas = pd.DataFrame({"quota_m2": [500_000.0, 1_000.0, np.nan], "basis": [pv.USER, pv.DERIVED, pv.NONE],
                           "committed_m2": [0.0, 0.0, 0.0]}, index=pd.Index(areas["area_id"]))
    return Reference.as_of_start(areas, LedgerState(2013, quotas, LedgerState.empty(2013).allocations))


def parcels(n_side: int = 18, straddle: bool = True) -> gpd.GeoDataFrame:
    """40 m × 30 m parcels on a grid from inside park A across park B into the zone and out of
    everything; some cross the parks' edges; a few straddle the A|B boundary."""
    xs, ys = np.meshgrid(np.linspace(-800, 2900, n_side), np.linspace(-700, 1700, n_side))
    boxes = [_box(x, y, 40, 30) for x, y in zip(xs.ravel(), ys.ravel(), strict=True)]
    if straddle:
        boxes += [_box(980, 100 + 50 * k, 40, 30) for k in range(3)]
    geoms = transform_geoms(np.array(boxes), GK, CGCS2000)
    n = len(geoms)
    return gpd.GeoDataFrame({"BSM": [f"41010{k:05d}" for k in range(n)],
                             "DKBH": [f"DK-{k}" for k in range(n)], "权利人": ["某公司"] * n},
                            geometry=geoms, crs=CGCS2000)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    p = parcels()
    p.to_file(d / "parcels.gpkg")
    p.to_parquet(d / "parcels.parquet")
    csv = pd.DataFrame(p.drop(columns="geometry")).assign(
        wkt=shapely.to_wkt(p.geometry.values, rounding_precision=-1))
    csv.to_csv(d / "parcels.csv", index=False, encoding="utf-8-sig")
    csv.to_csv(d / "parcels_gbk.csv", index=False, encoding="gbk")  # as a land office's Excel saves it
    return d


def read(path) -> pd.DataFrame:
    """A result file, or a dataset folder's parts in order, as a frame."""
    return pq.read_table(path).to_pandas() if str(path).endswith(".parquet") or path.is_dir() else \
        pd.DataFrame(gpd.read_file(path, use_arrow=True))


def test_in_process_check_matches_the_upload_check(files, reference, areas):
    out = files / "in_process.parquet"
    summary = check_file(files / "parcels.gpkg", out, reference, batch_size=97)
    rows = read(out)
    p = parcels(straddle=False)
    assert summary.rows_in == summary.rows_out == len(p) + 3 == len(rows)
    assert rows["file_row"].tolist() == list(range(1, len(rows) + 1))
    assert rows["BSM"].tolist()[:3] == ["4101000000", "4101000001", "4101000002"]  # the file's ids kept
    upload = check_parcels(p, areas, reference.ledger).rows  # same placement and areas
    ours = rows.iloc[: len(p)]
    assert ours["area_id"].fillna("").tolist() == upload["area_id"].fillna("").tolist()
    for col in ("area_m2", "gk_area_m2", "outside_m2"):
        np.testing.assert_allclose(ours[col], upload[col].round(2), atol=0.005)
    # every kind of parcel is there: inside, crossing an edge, outside, straddling, short of quota
    reasons = set(";".join(rows["reasons"]).split(";"))
    assert {"no_area", "outside", "outside_schematic", "straddles", "quota_short", "no_quota"} <= reasons
    straddlers = rows.iloc[-3:]
    assert (straddlers["verdict"] == "fail").all() and straddlers["area_id"].isna().all()
    assert straddlers["reasons"].str.contains("straddles").all()
    assert set(rows["verdict"]) == {"pass", "review", "fail"}
    # each parcel alone against the quota as of the start: not charged in file order
    in_a = rows[rows["area_id"] == "park-a"]
    assert (in_a["before_m2"] == 500_000.0).all()
    assert (rows.loc[rows["area_id"] == "park-b", "reasons"].str.contains("quota_short")).all()


def test_formats_round_trip_to_the_same_rows(files, reference):
    base = read_check(files, reference, "parcels.gpkg", "a.parquet")
    for source, out in (("parcels.parquet", "b.gpkg"), ("parcels.csv", "c.csv"),
                        ("parcels_gbk.csv", "e.parquet"), ("parcels.gpkg", "d.gpkg"), ("parcels.gpkg", "f")):
        other = read_check(files, reference, source, out)
        assert_same(base, other, exact=not out.endswith(".csv"))


def test_parcels_are_written_as_cleaned_or_as_read(tmp_path, reference):
    """A parcel reprojected or repaired is written as cleaned; one left as read keeps the file's
    bytes (the worker sends no WKB back for it)."""
    from tests.fixtures_files import twisted_parcel

    p = parcels(6, straddle=False)
    p.loc[len(p)] = ["41010TWIST", "DK-T", "某公司", twisted_parcel(lobe_m=2, lon=113.9, lat=34.7)]
    p.iloc[:-1].to_parquet(tmp_path / "as_read.parquet")
    p.to_parquet(tmp_path / "repaired.parquet")
    p.to_crs(GK).to_parquet(tmp_path / "gk.parquet")
    written = {}
    for name in ("as_read", "repaired", "gk"):
        check_file(tmp_path / f"{name}.parquet", tmp_path / f"{name}_out.parquet", reference, batch_size=20)
        written[name] = pq.read_table(tmp_path / f"{name}_out.parquet")
    as_read = pq.read_table(tmp_path / "as_read.parquet").column("geometry")
    assert written["as_read"].column("geometry").equals(as_read)
    repaired, reprojected = (shapely.from_wkb(written[name].column("geometry").to_numpy(zero_copy_only=False))
                             for name in ("repaired", "gk"))
    assert shapely.is_valid(repaired).all()
    assert shapely.equals_exact(repaired[:-1], p.geometry.values[:-1]).all()
    assert shapely.equals_exact(reprojected, shapely.make_valid(p.geometry.values), tolerance=1e-9).all()


def read_check(files, reference, source, out) -> pd.DataFrame:
    check_file(files / source, files / out, reference, batch_size=128)
    if out.endswith(".csv"):
        return pd.read_csv(files / out, encoding="utf-8-sig", dtype={"BSM": str})
    return read(files / out)


CHECK = ["file_row", "BSM", "area_id", "area_kind", "area_name_zh", "geom_basis", "area_m2", "area_ha",
         "area_mu", "gk_area_m2", "gk_epsg", "outside_m2", "quota_m2", "before_m2", "after_m2",
         "verdict", "verdict_zh", "reasons", "flags"]


def assert_same(a: pd.DataFrame, b: pd.DataFrame, *, exact=True, atol=0.0) -> None:
    """Same ids, areas to 2 decimals of m², verdicts and reasons."""
    assert len(a) == len(b)
    for col in CHECK:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            np.testing.assert_allclose(x.astype(float), y.astype(float), atol=atol, err_msg=col)
        else:
            assert [_text(v) for v in x] == [_text(v) for v in y], col
    if exact:  # the parcels themselves, unchanged (CSV's WKT keeps 15 digits)
        assert shapely.equals_exact(_shapes(a["geometry"]), _shapes(b["geometry"]), tolerance=0).all()


def _text(value) -> str | None:
    """A cell as text; empty and missing alike (a CSV cannot tell them apart)."""
    return None if pd.isna(value) or value == "" else str(value)


def _shapes(column: pd.Series) -> np.ndarray:
    values = column.to_numpy()
    return shapely.from_wkb(values) if isinstance(values[0], bytes) else values.astype(object)


def test_bad_input_raises_before_anything_is_written(tmp_path, reference):
    points = gpd.GeoDataFrame({"id": [1, 2]}, geometry=gpd.points_from_xy([113.6, 113.7], [34.7, 34.8]),
                              crs=CGCS2000)
    points.to_file(tmp_path / "points.gpkg")
    (tmp_path / "broken.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    (tmp_path / "nowkt.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    cases = {"missing.gpkg": "file_not_found", "points.gpkg": "no_polygons", "broken.gpkg": "unreadable",
             "nowkt.csv": "no_geometry_column"}
    for name, code in cases.items():
        with pytest.raises(GeoInputError) as err:
            check_file(tmp_path / name, tmp_path / "out.parquet", reference)
        assert err.value.code == code, name
        assert err.value.zh and err.value.en
    assert not list(tmp_path.glob("*out*"))


def mixed_file(folder):
    """400 parcels with a line at row 351."""
    p = parcels(n_side=20, straddle=False)
    line = gpd.GeoDataFrame({"BSM": ["x"], "DKBH": ["y"], "权利人": ["z"]},
                            geometry=[shapely.LineString([(113.6, 34.7), (113.7, 34.8)])], crs=CGCS2000)
    path = folder / "mixed.parquet"
    pd.concat([p.iloc[:350], line, p.iloc[350:]], ignore_index=True).to_parquet(path)
    return path


def test_a_failure_midway_leaves_no_output(tmp_path, reference):
    """The check stops at the line's partition and the half-written file goes."""
    with pytest.raises(GeoInputError) as err:
        check_file(mixed_file(tmp_path), tmp_path / "out.gpkg", reference, batch_size=100)
    assert err.value.code == "mixed_geometry" and err.value.details["rows"] == [351]
    assert list(tmp_path.iterdir()) == [tmp_path / "mixed.parquet"]


@pytest.fixture(scope="module")
def clusters():
    distributed = pytest.importorskip("distributed")
    options = {"threads_per_worker": 1, "processes": True, "dashboard_address": ":0"}
    with distributed.LocalCluster(n_workers=1, **options) as one, \
            distributed.LocalCluster(n_workers=2, **options) as two:
        yield {1: one, 2: two}


@pytest.mark.dask
@pytest.mark.parametrize("workers", [1, 2])
def test_dask_gives_the_in_process_rows(files, reference, clusters, workers):
    from distributed import Client

    base = read_check(files, reference, "parcels.gpkg", "base.parquet")
    out = files / f"dask{workers}.parquet"
    with Client(clusters[workers], timeout="30s") as client:
        assert len(client.scheduler_info()["workers"]) == workers
        done = []
        summary = check_file(files / "parcels.gpkg", out, reference, nullcontext(OnCluster(client)),
                             batch_size=41, on_rows=done.append)
    assert sum(done) == summary.rows_in == len(base) and len(done) == -(-len(base) // 41)
    assert_same(base, read(out))


@pytest.mark.postgres
def test_postgis_gives_the_same_rows(files, reference):
    from parks.batch_postgis import in_postgis

    base = read_check(files, reference, "parcels.gpkg", "base_pg.parquet")
    out = files / "postgis.parquet"
    engine = nullcontext(in_postgis(os.environ["SEI_ATLAS_TEST_DATABASE_URL"]))
    check_file(files / "parcels.gpkg", out, reference, engine, batch_size=100)
    assert_same(base, read(out), atol=0.0101)  # areas on the ellipsoid by PostGIS: equal to the cent


@pytest.mark.dask
@pytest.mark.parametrize("out", ["out.parquet", "out"])  # one file, or a dataset the workers write
def test_a_worker_failure_reaches_the_caller_as_the_same_error(tmp_path, reference, clusters, out):
    from distributed import Client

    with Client(clusters[2], timeout="30s") as client, pytest.raises(GeoInputError) as err:
        check_file(mixed_file(tmp_path), tmp_path / out, reference, nullcontext(OnCluster(client)),
                   batch_size=50)
    assert err.value.code == "mixed_geometry" and err.value.details["rows"] == [351]
    assert "不是面" in err.value.zh and "are not polygons" in err.value.en
    assert list(tmp_path.iterdir()) == [tmp_path / "mixed.parquet"]


@pytest.mark.dask
@pytest.mark.parametrize("workers", [1, 2])
def test_workers_write_a_dataset_of_the_in_process_rows(files, reference, clusters, workers):
    """Into a folder, each worker writes its partitions' part files; read in order they are the
    in-process file's rows, and no temporary folder is left."""
    from distributed import Client

    base = read_check(files, reference, "parcels.gpkg", "base_ds.parquet")
    out = files / f"dataset{workers}"
    with Client(clusters[workers], timeout="30s") as client:
        done = []
        summary = check_file(files / "parcels.gpkg", out, reference, nullcontext(OnCluster(client)),
                             batch_size=41, on_rows=done.append)
    parts = sorted(p.name for p in out.iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(-(-len(base) // 41))]
    assert summary.rows_in == summary.rows_out == sum(done) == len(base)
    assert summary.verdicts == read(out)["verdict"].value_counts().to_dict()
    assert_same(base, read(out))
    geo = pq.read_schema(files / "base_ds.parquet").metadata[b"geo"]
    assert all(pq.read_schema(out / part).metadata[b"geo"] == geo for part in parts)  # each a GeoParquet file
    assert not list(files.glob(".dataset*"))


def test_a_dataset_goes_only_into_a_new_or_empty_folder(files, reference, tmp_path):
    (tmp_path / "empty").mkdir()
    check_file(files / "parcels.gpkg", tmp_path / "empty", reference, batch_size=200)
    assert len(list((tmp_path / "empty").iterdir())) == 2
    with pytest.raises(GeoInputError) as err:
        check_file(files / "parcels.gpkg", tmp_path / "empty", reference)
    assert err.value.code == "bad_parameter" and "不为空" in err.value.zh and "not empty" in err.value.en
    assert len(list((tmp_path / "empty").iterdir())) == 2


def test_workers_that_cannot_see_the_folder_are_told_before_any_work(files, reference, tmp_path):
    class FarWorkers:  # a cluster on other machines, without the folder
        def run(self, function, *args):
            return {"tcp://10.0.0.9:40001": False, "tcp://10.0.0.8:40001": function(*args)}

        def scatter(self, *args, **kwargs):
            raise AssertionError("nothing is sent before the folder is known to be shared")

    with pytest.raises(GeoInputError) as err:
        check_file(files / "parcels.gpkg", tmp_path / "far", reference, nullcontext(OnCluster(FarWorkers())))
    assert err.value.code == "output_not_shared"
    assert "10.0.0.9" in err.value.en and "10.0.0.8" not in err.value.en and "共享" in err.value.zh
    assert list(tmp_path.iterdir()) == []


@pytest.mark.dask
def test_local_workers_keep_glibcs_own_memory_thresholds(monkeypatch):
    """dask's MALLOC_TRIM_THRESHOLD_ makes every partition's arrays be mapped afresh (a slower
    check); its other settings for new workers stay."""
    from parks.batch import dask_engine

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # dask's nannies leave it in os.environ
    with dask_engine(1) as engine:
        environ = engine.client.run(lambda: dict(os.environ))
    (worker,) = environ.values()
    assert "MALLOC_TRIM_THRESHOLD_" not in worker and worker["OMP_NUM_THREADS"] == "1"
