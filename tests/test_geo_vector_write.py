"""Writing layers: every format read back by GDAL gives the same geometry and Chinese text."""

import io
import os
import time
import zipfile

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.errors import CRSError, GeoInputError
from geo.scratch import STALE_S
from geo.vector_write import (
    DBF_TEXT_BYTES,
    DOWNLOAD_EPSG,
    DOWNLOAD_PREFIX,
    FORMATS,
    GPKG_VERSION,
    dbf_field_names,
    parse_download_crs,
    parse_format,
    truncate_utf8,
    write_vector,
)

LONG_ZH = "河南省郑州航空港经济综合实验区富士康科技园" * 10  # 210 characters, 630 bytes

pytestmark = pytest.mark.usefixtures("own_tempdir")  # every file written is removed or seen


@pytest.fixture
def frame():
    """Three polygons in Henan (zones 37, 38, 39), Chinese text, a long text and a long name."""
    geoms = [shapely.box(111.2, 34.7, 111.25, 34.75), shapely.box(113.6, 34.7, 113.7, 34.8),
             shapely.box(115.6, 34.4, 115.65, 34.45)]
    return gpd.GeoDataFrame({
        "id": ["a-1", "a-2", "a-3"],
        "name_zh": ["三门峡示范园", "郑州航空港", "商丘示范园"],
        "evidence": ["短文字", LONG_ZH, ""],
        "a_very_long_column_name": [1.5, None, 3.0],
        "slot": [1, 2, 3],
    }, geometry=geoms, crs=4490)


def test_parse_format_and_crs_name_the_accepted_values():
    assert parse_format(" GPKG ") == "gpkg"
    assert parse_download_crs("EPSG:4547") == 4547
    assert parse_download_crs(4526) == 4526
    with pytest.raises(GeoInputError) as bad_format:
        parse_format("dwg")
    assert all(key in bad_format.value.en for key in FORMATS)
    assert bad_format.value.zh and bad_format.value.code == "bad_format"
    with pytest.raises(CRSError) as bad_crs:
        parse_download_crs("3857")
    assert all(str(code) in bad_crs.value.en for code in DOWNLOAD_EPSG)
    assert bad_crs.value.candidates == list(DOWNLOAD_EPSG)


def test_dbf_field_names_are_short_and_unique():
    names = dbf_field_names(["id", "description_zh", "description_en", "descriptio"])
    assert names["id"] == "id"
    assert all(len(short) <= 10 for short in names.values())
    assert len(set(names.values())) == 4
    assert names["descriptio"] == "descriptio"


def test_chinese_field_names_are_cut_in_bytes_not_inside_a_character(tmp_path):
    names = dbf_field_names(["园区名称", "园区代码", "面积"])
    assert names == {"园区名称": "园区名", "园区代码": "园区代", "面积": "面积"}
    same_start = dbf_field_names(["建设用地面积", "建设用地指标"])
    assert len(set(same_start.values())) == 2
    assert all(len(v.encode("utf-8")) <= 10 for v in same_start.values())
    gdf = gpd.GeoDataFrame({"园区名称": ["郑州"], "建设用地面积": [1.0], "建设用地指标": [2.0]},
                           geometry=[shapely.Point(113.6, 34.7)], crs=4490)
    path = _save(write_vector(gdf, "shp", 4490, "zh"), tmp_path)
    back = pyogrio.read_dataframe(f"/vsizip/{path}")
    assert {"园区名", *same_start.values()} <= set(back.columns)
    assert back["园区名"][0] == "郑州"
    readme = zipfile.ZipFile(path).read("README.txt").decode("utf-8-sig")
    assert "园区名 = 园区名称" in readme


@pytest.mark.parametrize("text", ["汉字" * 200, "a" * 253 + "汉字", "ab" * 300, "短"])
def test_truncate_utf8_never_splits_a_character(text):
    cut = truncate_utf8(text)
    assert len(cut.encode("utf-8")) <= DBF_TEXT_BYTES
    assert text.startswith(cut)
    assert cut == text or len(cut.encode("utf-8")) > DBF_TEXT_BYTES - 4  # at most one character lost


def _save(file, tmp_path):
    return file.move_to(tmp_path / file.filename)


def _bytes(file) -> bytes:
    with file:
        return file.path.read_bytes()


def _read(file, tmp_path):
    return pyogrio.read_dataframe(_save(file, tmp_path))


@pytest.mark.parametrize("fmt,crs", [(fmt, crs) for fmt in FORMATS for crs in (4490, 4326, 4547, 4527)
                                      if fmt != "kml" or crs in (4490, 4326)])  # KML: lon/lat only
def test_round_trip_geometry_and_chinese_text(frame, fmt, crs, tmp_path):
    file = write_vector(frame, fmt, crs, "test", about="测试 test", id_field="id",
                        label_field="name_zh")
    assert file.filename == f"test_EPSG{crs}{FORMATS[fmt].extension}"
    back = _read(file, tmp_path)
    assert len(back) == len(frame)
    if fmt != "csv":  # CSV carries no CRS; KML is WGS84 by definition
        assert back.crs.to_epsg() == (4326 if fmt == "kml" else crs)
    back = back.set_crs(crs, allow_override=True).to_crs(4490)
    for got, want in zip(back.geometry, frame.geometry, strict=True):
        assert shapely.hausdorff_distance(got, want) < 1e-6  # degrees, ~0.1 m
    assert list(back["name_zh"]) == list(frame["name_zh"])
    if fmt == "shp":
        assert back["evidence"][1] == truncate_utf8(LONG_ZH)
        assert "a_very_lon" in back.columns
    else:
        assert back["evidence"][1] == LONG_ZH
        assert np.allclose(back["slot"].astype(int), frame["slot"])
    assert list(back["id"].astype(str)) == ["a-1", "a-2", "a-3"]


def test_shapefile_zip_has_prj_cpg_readme_and_full_texts(frame):
    file = write_vector(frame, "shp", 4547, "test", about="关于本图层 About this layer", id_field="id")
    assert file.mimetype == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(_bytes(file)))
    names = set(zf.namelist())
    assert {f"test_EPSG4547{ext}" for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")} <= names
    assert zf.read("test_EPSG4547.cpg").decode().strip() == "UTF-8"
    assert b"CM_114E" in zf.read("test_EPSG4547.prj")
    readme = zf.read("README.txt").decode("utf-8-sig")
    assert "关于本图层 About this layer" in readme
    assert "a_very_lon = a_very_long_column_name" in readme
    assert "evidence: 1" in readme and "test_EPSG4547_fulltext.csv" in readme
    full = zf.read("test_EPSG4547_fulltext.csv").decode("utf-8-sig")
    assert LONG_ZH in full and '"a-2"' in full
    assert "a-1" not in full  # only rows that were cut


def test_csv_has_bom_and_wkt_first(frame):
    data = _bytes(write_vector(frame, "csv", 4490, "test"))
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].split(b"\r\n")[0].decode()
    assert header.startswith("WKT,id,name_zh")
    assert "郑州航空港".encode() in data


def test_kml_names_placemarks_and_refuses_projected_crs(frame):
    file = write_vector(frame, "kml", 4490, "test", label_field="name_zh")
    assert "<name>郑州航空港</name>".encode() in _bytes(file)
    with pytest.raises(CRSError) as exc:
        write_vector(frame, "kml", 4547, "test")
    assert "4326" in exc.value.en and "KML" in exc.value.zh


def test_geojson_in_gauss_kruger_names_its_crs(frame):
    data = _bytes(write_vector(frame, "geojson", 4526, "test", id_field="id"))
    assert b"EPSG::4526" in data
    back = gpd.read_file(io.BytesIO(data))
    assert (shapely.get_coordinates(back.geometry)[:, 0] > 38_000_000).all()  # zone-prefixed


def test_geopackage_declares_version_1_3_or_1_4_whatever_gdal_defaults_to(frame, monkeypatch):
    """Older GDALs default to GeoPackage 1.2; the version is asked for explicitly."""
    asked = []
    write = gpd.GeoDataFrame.to_file

    def spy(self, *args, **kwargs):
        asked.append(kwargs.get("dataset_options"))
        return write(self, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", spy)
    data = _bytes(write_vector(frame, "gpkg", 4490, "parks"))
    assert asked == [{"VERSION": GPKG_VERSION}] and GPKG_VERSION in ("1.3", "1.4")
    assert data[68:72] == b"GPKG"  # application_id
    assert int.from_bytes(data[60:64], "big") == {"1.3": 10300, "1.4": 10400}[GPKG_VERSION]


def test_the_file_stays_on_disk_until_closed_and_nothing_else_is_left(frame, own_tempdir):
    with write_vector(frame, "shp", 4547, "test") as file:
        assert file.path.parent == own_tempdir and file.path.name.startswith(DOWNLOAD_PREFIX)
        assert file.size == file.path.stat().st_size > 0
        assert list(own_tempdir.iterdir()) == [file.path]  # the work folder is gone
        assert zipfile.ZipFile(file.path).testzip() is None
    assert list(own_tempdir.iterdir()) == []


def test_moving_the_file_keeps_it_and_closing_then_removes_nothing(frame, own_tempdir, tmp_path):
    with write_vector(frame, "csv", 4490, "test") as file:
        kept = file.move_to(tmp_path / "out.csv")
    assert kept.read_bytes().startswith(b"\xef\xbb\xbf") and kept.stat().st_size == file.size
    assert list(own_tempdir.iterdir()) == []


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "csv"])
def test_nothing_is_left_when_writing_fails_half_way(frame, own_tempdir, fmt):
    def batches():
        yield frame
        raise RuntimeError("the layer could not be read")

    with pytest.raises(RuntimeError):
        write_vector(batches(), fmt, 4490, "test")
    assert list(own_tempdir.iterdir()) == []


def test_files_left_by_killed_workers_are_removed(frame, own_tempdir):
    stale, busy = own_tempdir / f"{DOWNLOAD_PREFIX}stale.gpkg", own_tempdir / f"{DOWNLOAD_PREFIX}busy.gpkg"
    for path in (stale, busy):
        path.write_bytes(b"x")
    os.utime(stale, (0, time.time() - STALE_S - 60))  # busy: another worker's download, being sent
    with write_vector(frame, "gpkg", 4490, "test") as file:
        assert sorted(own_tempdir.iterdir()) == sorted([busy, file.path])
