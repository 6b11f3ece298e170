"""read_vector on files shaped like real deliveries, built in code (tests/fixtures_files.py)."""

from __future__ import annotations

import shutil
import time
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures_files import (
    GBK_NAMES,
    damage_record,
    make_csv_points,
    make_geojson,
    make_gpkg,
    make_hostile_gpkg,
    make_jzd_txt,
    make_kml,
    make_shapefile,
    make_zip_bomb,
    make_zip_slip,
    make_zipped_shapefile,
    parcels_gdf,
    rect_m,
    twisted_parcel,
    zip_folder,
)

from geo.area import ellipsoidal_area_m2
from geo.crs import CGCS2000, transformer
from geo.errors import CRSError, GeoInputError
from geo.gcj02 import wgs84_to_gcj02
from geo.vector_io import VectorRead, read_vector


def assert_same_areas(result: VectorRead, expected: gpd.GeoDataFrame, rel=1e-4):
    """Areas via geo.area within 0.01 % of the polygons written."""
    got = ellipsoidal_area_m2(result.gdf.geometry.values)
    want = ellipsoidal_area_m2(expected.geometry.values)
    np.testing.assert_allclose(got, want, rtol=rel)


def refused(code: str, *args, **kwargs) -> GeoInputError:
    with pytest.raises(GeoInputError) as info:
        read_vector(*args, **kwargs)
    err = info.value
    assert err.code == code, (err.code, err.en)
    assert err.zh.strip() and err.en.strip()
    return err


@pytest.fixture
def parcels():
    return parcels_gdf(2, multipart=True)


# --- Shapefiles ------------------------------------------------------------------------------

def test_gbk_shapefile_without_cpg_or_prj_in_zone_prefixed_gk(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4526, encoding="GBK", cpg=False, prj=False,
                                 subfolder="成果/地块")
    r = read_vector(path)
    assert r.format == "shapefile"
    assert (r.source_epsg, r.crs_how) == (4526, "inferred")
    assert "4526" in r.source_crs
    assert (r.encoding, r.encoding_how) == ("gbk", "detected")
    assert r.gdf["name"].tolist() == GBK_NAMES[:2]
    assert r.name_preview == GBK_NAMES[:2]
    assert r.gdf.crs.to_epsg() == CGCS2000
    assert list(r.gdf.index) == [0, 1]
    assert r.gdf.geom_type.tolist() == ["MultiPolygon", "Polygon"]  # multipart kept whole
    assert_same_areas(r, parcels)
    assert any("推断" in zh and "inferred" in en for zh, en in r.notes)


def test_gbk_shapefile_with_cpg_and_prj_in_plain_gk(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4547, encoding="GBK")
    r = read_vector(path)
    assert (r.source_epsg, r.crs_how, r.encoding, r.encoding_how) == (4547, "file", "gbk", "cpg")
    assert r.gdf["name"].tolist() == GBK_NAMES[:2]
    assert_same_areas(r, parcels)


def test_plain_gk_without_prj_is_ambiguous_and_never_guessed(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4547, encoding="GBK", cpg=False, prj=False)
    err = refused("crs_ambiguous", path)
    assert isinstance(err, CRSError)
    assert err.candidates == [4546, 4547, 4548]
    assert err.details["candidates"] == [4546, 4547, 4548]
    assert "EPSG:4547" in err.zh and "EPSG:4547" in err.en
    # The user's word settles it.
    r = read_vector(path, crs=4547)
    assert (r.source_epsg, r.crs_how) == (4547, "user")
    assert_same_areas(r, parcels)


def test_province_outline_settles_a_plain_zone_when_only_one_fits(tmp_path):
    from parks.boundaries import build_boundaries

    henan = build_boundaries()["boundary_province"].geometry[0]
    xinyang = parcels_gdf(1, lon=114.3, lat=32.1)
    path = make_zipped_shapefile(tmp_path, xinyang, crs=4547, prj=False)
    assert refused("crs_ambiguous", path).candidates == [4546, 4547]
    r = read_vector(path, region=henan)
    assert (r.source_epsg, r.crs_how) == (4547, "inferred")
    assert_same_areas(r, xinyang)


def test_utf8_dbf_without_cpg_is_detected(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4526, encoding="UTF-8", cpg=False)
    r = read_vector(path)
    assert (r.encoding, r.encoding_how) == ("utf-8", "detected")
    assert r.gdf["name"].tolist() == GBK_NAMES[:2]


def test_utf8_field_names_cut_mid_character_are_read(tmp_path):
    gdf = parcels_gdf(2).rename(columns={"code": "园区代码", "name": "园区名称"})
    r = read_vector(make_zipped_shapefile(tmp_path, gdf, crs=4526))
    assert {"园区代", "园区名"} <= set(r.gdf.columns)
    assert r.gdf["园区名"].tolist() == GBK_NAMES[:2]
    assert any("半个汉字" in zh and "cut a character" in en for zh, en in r.notes)


def test_user_encoding_wins_and_a_wrong_one_is_refused(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4526, encoding="GBK", cpg=False)
    r = read_vector(path, encoding="GB18030")
    assert (r.encoding, r.encoding_how) == ("gb18030", "user")
    assert r.gdf["name"].tolist() == GBK_NAMES[:2]
    err = refused("encoding", path, encoding="utf-8")
    assert "utf-8" in err.en


def test_prj_without_epsg_is_matched_by_central_meridian(tmp_path, parcels):
    shp = make_shapefile(tmp_path / "parts", parcels, crs=4526)
    # An ArcGIS-style ESRI WKT naming no authority, with CM 114 and the zone-38 false easting.
    shp.with_suffix(".prj").write_text(
        'PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
        'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
        'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
        'PARAMETER["False_Easting",38500000.0],PARAMETER["False_Northing",0.0],'
        'PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],'
        'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
    r = read_vector(shp)
    assert (r.source_epsg, r.crs_how) == (4526, "file")
    assert_same_areas(r, parcels)


def test_xian80_prj_is_refused_unless_named(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=2383)
    refused("crs_datum", path)
    r = read_vector(path, crs=2383)
    assert r.crs_how == "user" and any("七参数" in zh for zh, _ in r.notes)


def test_unzipped_shp_path_reads_its_siblings_and_needs_them(tmp_path, parcels):
    shp = make_shapefile(tmp_path / "parts", parcels, crs=4526)
    assert read_vector(shp).source_epsg == 4526
    shp.with_suffix(".dbf").unlink()
    assert refused("missing_part", shp).details["missing"] == [".dbf"]


def test_zip_without_dbf_or_shx(tmp_path, parcels):
    err = refused("missing_part", make_zipped_shapefile(tmp_path, parcels, drop=(".dbf",)))
    assert ".dbf" in err.zh and ".dbf" in err.en
    err = refused("missing_part", make_zipped_shapefile(tmp_path, parcels, drop=(".shx",),
                                                         zip_name="noshx.zip"))
    assert ".shx" in err.en


def test_several_shapefiles_listed_or_chosen(tmp_path, parcels):
    other = parcels_gdf(1, lon=112.45, lat=34.62)
    path = make_zipped_shapefile(tmp_path, parcels, extra={"洛阳地块": other}, crs=4526)
    err = refused("several_layers", path)
    assert sorted(err.details["layers"]) == ["parcels", "洛阳地块"]
    assert "洛阳地块" in err.zh
    r = read_vector(path, layer="洛阳地块")
    assert len(r.gdf) == 1 and r.gdf["name"][0] == GBK_NAMES[0]
    assert_same_areas(r, other)


def test_zip_with_polygons_and_points_takes_the_polygons(tmp_path, parcels):
    points = gpd.GeoDataFrame({"name": ["J1"]}, geometry=[shapely.Point(113.84, 34.53)], crs=4490)
    path = make_zipped_shapefile(tmp_path, parcels, extra={"界址点": points}, crs=4526)
    r = read_vector(path)
    assert len(r.gdf) == 2
    assert read_vector(path, geometry="point").gdf["name"].tolist() == ["J1"]


# --- other formats ---------------------------------------------------------------------------

def test_geopackage_only_polygon_layer(tmp_path, parcels):
    points = gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.Point(113.8, 34.5)], crs=4490)
    path = make_gpkg(tmp_path, {"地块": parcels.to_crs(4526), "点": points})
    r = read_vector(path)
    assert (r.format, r.source_epsg, r.crs_how) == ("gpkg", 4526, "file")
    assert r.encoding is None
    assert r.name_preview == GBK_NAMES[:2]
    assert_same_areas(r, parcels)


def test_geopackage_with_two_polygon_layers_asks_which(tmp_path, parcels):
    path = make_gpkg(tmp_path, {"a": parcels, "b": parcels})
    assert refused("several_layers", path).details["layers"] == ["a", "b"]
    assert len(read_vector(path, layer="b").gdf) == 2


def test_geojson_and_kml(tmp_path, parcels):
    r = read_vector(make_geojson(tmp_path, parcels))
    assert (r.format, r.source_epsg, r.crs_how) == ("geojson", 4326, "file")
    assert_same_areas(r, parcels)
    k = read_vector(make_kml(tmp_path, parcels))
    assert k.format == "kml"
    assert k.name_preview == GBK_NAMES[:2]
    assert "tessellate" not in k.gdf.columns
    assert k.gdf.geom_type.tolist() == ["MultiPolygon", "Polygon"]
    assert_same_areas(k, parcels)


def test_kmz_is_read_as_zipped_kml(tmp_path, parcels):
    kml = make_kml(tmp_path, parcels)
    kmz = tmp_path / "parcels.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(kml, "doc.kml")
    assert read_vector(kmz).format == "kml"


def test_geojson_in_gk_metres_without_crs_member_is_inferred(tmp_path, parcels):
    import json

    doc = json.loads(parcels.to_crs(4526).to_json(ensure_ascii=False))
    doc.pop("crs", None)
    path = tmp_path / "gk.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="gbk")
    r = read_vector(path)
    assert (r.source_epsg, r.crs_how, r.encoding) == (4526, "inferred", "gbk")
    assert r.gdf["name"].tolist() == GBK_NAMES[:2]
    assert_same_areas(r, parcels)


def test_gcj02_conversion_is_explicit_and_noted(tmp_path):
    lon, lat = 113.84, 34.53
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    true = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(lon, lat).buffer(0.002)],
                            crs=4490)
    shifted = true.copy()
    shifted["geometry"] = true.translate(glon[0] - lon, glat[0] - lat)
    path = make_geojson(tmp_path, shifted)
    plain = read_vector(path)
    assert plain.gdf.geometry[0].centroid.distance(true.geometry[0].centroid) > 0.002
    r = read_vector(path, datum="gcj02")
    assert r.gdf.geometry[0].centroid.distance(true.geometry[0].centroid) < 1e-5
    assert any("GCJ-02" in zh and "GCJ-02" in en for zh, en in r.notes)
    refused("bad_datum", path, datum="wgs")
    refused("bad_datum", make_zipped_shapefile(tmp_path, true, crs=4526), datum="gcj02")


# --- 界址点 text -------------------------------------------------------------------------------

def test_jzd_txt_in_gbk_with_two_parcels_and_zone_prefix(tmp_path, parcels):
    path = make_jzd_txt(tmp_path, parcels, epsg=4526)
    assert path.read_bytes().decode("gbk").startswith("[属性描述]")
    r = read_vector(path)
    assert (r.format, r.source_epsg, r.crs_how, r.encoding) == ("jzd", 4526, "file", "gbk")
    assert r.gdf["地块名称"].tolist() == GBK_NAMES[:2]
    assert r.gdf["地块编号"].tolist() == ["DK001", "DK002"]
    assert r.name_preview == GBK_NAMES[:2]
    assert r.gdf.geom_type.tolist() == ["MultiPolygon", "Polygon"]
    assert_same_areas(r, parcels)
    assert not [n for n in r.notes if "面积" in n[0]]  # stated areas agree


def test_jzd_without_header_and_with_plain_zone(tmp_path, parcels):
    bare = read_vector(make_jzd_txt(tmp_path, parcels, header=False, name="bare.txt"))
    assert (bare.source_epsg, bare.crs_how) == (4526, "inferred")
    plain = read_vector(make_jzd_txt(tmp_path, parcels, epsg=4547, name="plain.txt"))
    assert (plain.source_epsg, plain.crs_how) == (4547, "file")  # 带号=38 names the zone
    assert_same_areas(plain, parcels)
    refused("crs_ambiguous", make_jzd_txt(tmp_path, parcels, epsg=4547, header=False, name="b.txt"))


def test_jzd_tolerates_swapped_columns_full_width_commas_and_holes(tmp_path):
    from geo.crs import transformer as tf

    x0, y0 = tf(CGCS2000, 4526).transform(113.84, 34.53)
    outer = [(0, 0), (400, 0), (400, 400), (0, 400)]
    hole = [(100, 100), (200, 100), (200, 200), (100, 200)]
    lines = ["【地块坐标】", "10,15.0000,DK9,带洞地块,面,,,,@"]
    for ring_no, ring in ((1, outer), (2, hole)):
        for k, (dx, dy) in enumerate([*ring, ring[0]]):
            lines.append(f"J{k % 4 + 1}，{ring_no}，{x0 + dx:.3f}，{y0 + dy:.3f}")  # easting first
    path = tmp_path / "swapped.txt"
    path.write_bytes("\n".join(lines).encode("gb18030"))
    r = read_vector(path)
    poly = r.gdf.geometry[0]
    assert poly.geom_type == "Polygon" and len(poly.interiors) == 1
    expected = shapely.Polygon([(x0 + a, y0 + b) for a, b in outer],
                               [[(x0 + a, y0 + b) for a, b in hole]])
    lonlat = gpd.GeoSeries([expected], crs=4526).to_crs(CGCS2000)
    np.testing.assert_allclose(ellipsoidal_area_m2(r.gdf.geometry.values),
                               ellipsoidal_area_m2(lonlat.values), rtol=1e-4)
    assert any("X/Y" in zh for zh, _ in r.notes)
    assert not any("面积" in zh for zh, _ in r.notes)  # 16 ha − 1 ha hole = the 15 ha stated
    path.write_bytes("\n".join(lines).replace(",15.0000,", ",20.0000,").encode("gb18030"))
    wrong = read_vector(path)
    assert any("20.0" in zh and "15.0000" in zh for zh, _ in wrong.notes)


def test_jzd_xian80_is_refused(tmp_path, parcels):
    path = make_jzd_txt(tmp_path, parcels)
    text = path.read_bytes().decode("gbk").replace("2000国家大地坐标系", "1980西安坐标系")
    path.write_bytes(text.encode("gbk"))
    err = refused("crs_datum", path)
    assert "西安" in err.zh


def test_jzd_garbage_line_names_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("[地块坐标]\n4,1,DK1,地块,面,,,,@\nJ1,1,3822464.4,38485610.8\n这一行不对\n",
                    encoding="utf-8")
    err = refused("bad_jzd", path)
    assert "第 4 行" in err.zh and "Line 4" in err.en


# --- CSV points ------------------------------------------------------------------------------

def test_csv_points_with_chinese_columns_in_gbk(tmp_path):
    rows = [{"名称": "富士康郑州航空港园区", "经度": 113.84, "纬度": 34.53},
            {"名称": "洛阳项目", "经度": 112.45, "纬度": 34.62}]
    path = make_csv_points(tmp_path, rows, encoding="gbk")
    r = read_vector(path, geometry="point")
    assert (r.format, r.encoding, r.crs_how) == ("csv", "gbk", "inferred")
    assert r.name_preview == ["富士康郑州航空港园区", "洛阳项目"]
    assert r.gdf.geometry[0].equals(shapely.Point(113.84, 34.53))


def test_csv_xy_in_surveying_order(tmp_path):
    x, y = transformer(CGCS2000, 4526).transform(113.84, 34.53)
    path = make_csv_points(tmp_path, [{"name": "a", "X": y, "Y": x}])  # X = northing
    r = read_vector(path, geometry="point")
    assert r.source_epsg == 4526
    assert r.gdf.geometry[0].distance(shapely.Point(113.84, 34.53)) < 1e-7
    assert any("northing" in en for _, en in r.notes)


def test_csv_bad_coordinates_are_listed_by_row(tmp_path):
    path = make_csv_points(tmp_path, [{"经度": 113.8, "纬度": 34.5}, {"经度": "", "纬度": 34.5},
                                      {"经度": "东经", "纬度": 34.5}])
    assert refused("bad_coordinates", path, geometry="point").details["rows"] == [2, 3]
    refused("no_coordinates", make_csv_points(tmp_path, [{"a": 1, "b": 2}], name="n.csv"),
            geometry="point")


# --- refusals --------------------------------------------------------------------------------

def test_unknown_format_and_empty_files(tmp_path):
    doc = tmp_path / "地块.docx"
    doc.write_bytes(b"PK\x03\x04")
    refused("unknown_format", doc)
    refused("empty", make_geojson(tmp_path, None))
    zero = tmp_path / "zero.geojson"
    zero.write_bytes(b"")
    refused("empty", zero)
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage at all")
    refused("bad_file", broken)


def test_filename_decides_the_format(tmp_path, parcels):
    path = make_zipped_shapefile(tmp_path, parcels, crs=4526)
    upload = path.rename(tmp_path / "werkzeug-tmp-upload")  # as a web upload arrives
    assert read_vector(upload, "地块.zip").format == "shapefile"
    refused("unknown_format", upload)


def test_points_where_polygons_are_wanted(tmp_path):
    pts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(113.8, 34.5)], crs=4490)
    err = refused("no_polygons", make_geojson(tmp_path, pts))
    assert "Point" in err.en


def test_mixed_geometry_lists_rows(tmp_path, parcels):
    mixed = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, crs=4490, geometry=[
        parcels.geometry[1], shapely.Point(113.8, 34.5), shapely.LineString([(113.8, 34.5), (113.9, 34.6)])])
    assert refused("mixed_geometry", make_geojson(tmp_path, mixed)).details["rows"] == [2, 3]


def test_outside_henan(tmp_path):
    beijing = parcels_gdf(1, lon=116.4, lat=39.9)
    err = refused("outside_henan", make_geojson(tmp_path, beijing))
    assert err.details["rows"] == [1]
    # zone-prefixed coordinates in Henan's zone but far north: the zone is certain, the place is not
    refused("outside_henan", make_zipped_shapefile(tmp_path, parcels_gdf(1, lon=114.2, lat=36.9),
                                                   crs=4526, prj=False))


def test_small_bowtie_is_repaired_and_noted_large_one_refused(tmp_path):
    ok = rect_m(113.84, 34.53, dx_m=1000)
    small = gpd.GeoDataFrame({"name": ["扭结", "正常"]}, geometry=[twisted_parcel(lobe_m=2), ok],
                             crs=4490)
    path = make_zipped_shapefile(tmp_path, small, crs=4526, encoding="GBK", cpg=False, prj=False)
    r = read_vector(path)
    assert r.gdf.geometry.is_valid.all()
    assert r.gdf.geom_type[0] in ("Polygon", "MultiPolygon")
    repaired = ellipsoidal_area_m2(r.gdf.geometry.values[:1])[0]
    assert repaired == pytest.approx(60_002, rel=1e-4)  # both lobes kept
    assert any("修复" in zh and "Repaired" in en and "1" in en for zh, en in r.notes)
    large = small.copy()
    large.loc[0, "geometry"] = twisted_parcel(lobe_m=30)
    err = refused("invalid_geometry",
                  make_zipped_shapefile(tmp_path, large, crs=4526, zip_name="large.zip"))
    assert err.details["rows"] == [1]
    assert "0.1%" in err.zh and "0.1%" in err.en


def test_empty_geometries_are_dropped_with_a_note(tmp_path, parcels):
    gdf = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, crs=4490,
                           geometry=[parcels.geometry[1], None, parcels.geometry[0]])
    r = read_vector(make_gpkg(tmp_path, gdf))
    assert r.gdf["name"].tolist() == ["a", "c"]
    assert list(r.gdf.index) == [0, 1]
    assert any("2" in en and "empty" in en for _, en in r.notes)


def test_zip_slip_and_zip_bombs(tmp_path):
    err = refused("zip_slip", make_zip_slip(tmp_path))
    assert "../evil.shp" in err.en
    assert not (tmp_path.parent / "evil.shp").exists()
    bomb = make_zip_bomb(tmp_path)
    assert bomb.stat().st_size < 200_000
    refused("zip_bomb", bomb)
    liar = make_zip_bomb(tmp_path, declare_small=True, name="liar.zip")
    with pytest.raises(GeoInputError) as info:
        read_vector(liar)
    assert info.value.code in ("zip_bomb", "bad_zip")


def test_temporary_folder_is_removed(tmp_path, parcels, monkeypatch):
    import tempfile

    made = []
    real = tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        d = real(*args, **kwargs)
        made.append(d.name)
        return d

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    read_vector(make_zipped_shapefile(tmp_path, parcels, crs=4526))
    with pytest.raises(GeoInputError):
        read_vector(make_zip_slip(tmp_path))
    assert len(made) == 2
    from pathlib import Path

    assert not any(Path(d).exists() for d in made)


@pytest.mark.parametrize(("part", "reason"), [("bbox", "bounding box"), ("type", "damaged"),
                                              ("parts", "damaged")])
def test_a_damaged_shapefile_record_is_reported_not_dropped(tmp_path, part, reason):
    """A record whose bounding box, shape type or part count is damaged is named with its number
    and the reason — never skipped as an 'empty geometry'."""
    folder = tmp_path / "parts"
    shp = make_shapefile(folder, parcels_gdf(3, names=GBK_NAMES[:3]), crs=4526)
    damage_record(shp, 2, part)
    result = read_vector(zip_folder(folder, tmp_path / "damaged.zip"))
    assert [u["row"] for u in result.unreadable] == [2]
    assert reason in result.unreadable[0]["en"] and result.unreadable[0]["zh"]
    assert result.gdf["name"].tolist() == [GBK_NAMES[0], GBK_NAMES[2]]
    assert not any("empty geometry" in en for _, en in result.notes)


def test_a_shapefile_of_only_damaged_records_is_refused(tmp_path):
    folder = tmp_path / "parts"
    shp = make_shapefile(folder, parcels_gdf(1), crs=4526)
    damage_record(shp, 1, "type")
    with pytest.raises(GeoInputError) as err:
        read_vector(zip_folder(folder, tmp_path / "damaged.zip"))
    assert err.value.code == "unreadable_records" and err.value.details["rows"] == [1]


# ----- budgets: records, vertices, time, temporary space ------------------------------------

def _quickly(fn, seconds: float = 2.0):
    start = time.monotonic()
    with pytest.raises(GeoInputError) as err:
        fn()
    assert time.monotonic() - start < seconds, "refused, but only after the work was done"
    return err.value


@pytest.mark.parametrize("kind", ["view", "trigger"])
def test_a_geopackage_with_a_view_or_custom_trigger_is_refused_at_once(tmp_path, parcels, kind):
    path = make_hostile_gpkg(tmp_path, parcels, kind=kind)
    err = _quickly(lambda: read_vector(path, layer="slow" if kind == "view" else None))
    assert err.code == "gpkg_unsafe" and err.status == 400
    assert ("slow" if kind == "view" else "stamp") in err.en and err.zh


def test_a_dbf_header_claiming_more_records_than_the_file_holds_is_refused_at_once(tmp_path, parcels):
    folder = tmp_path / "parts"
    dbf = make_shapefile(folder, parcels, crs=4526).with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[4:8] = (268_435_456).to_bytes(4, "little")
    dbf.write_bytes(bytes(data))
    err = _quickly(lambda: read_vector(zip_folder(folder, tmp_path / "p.zip")))
    assert err.code == "bad_file" and "268,435,456" in err.en and err.details["room"] == len(parcels)


def test_records_and_vertices_over_the_budget_are_refused(tmp_path, parcels, monkeypatch):
    from geo import budget

    monkeypatch.setattr(budget, "MAX_RECORDS", len(parcels) - 1)
    shapefile = make_zipped_shapefile(tmp_path, parcels, crs=4526)
    monkeypatch.setattr("pyogrio.read_dataframe", lambda *a, **k: pytest.fail("read before counting"))
    err = _quickly(lambda: read_vector(shapefile))
    assert (err.code, err.status, err.details["limit"]) == ("too_large", 413, len(parcels) - 1)
    monkeypatch.undo()
    monkeypatch.setattr(budget, "MAX_RECORDS", len(parcels) - 1)
    for path in (make_geojson(tmp_path, parcels), make_gpkg(tmp_path, parcels)):
        assert _quickly(lambda p=path: read_vector(p)).code == "too_large"
    monkeypatch.setattr(budget, "MAX_RECORDS", 1000)
    monkeypatch.setattr(budget, "MAX_VERTICES", 5 * len(parcels) - 1)
    err = _quickly(lambda: read_vector(shapefile))
    assert err.code == "too_large" and "vertices" in err.en


def test_reading_past_the_time_budget_is_stopped(tmp_path, parcels, monkeypatch):
    from geo import budget

    monkeypatch.setattr(budget, "MAX_SECONDS", 0.0)
    err = _quickly(lambda: read_vector(make_zipped_shapefile(tmp_path, parcels, crs=4526)))
    assert (err.code, err.status) == ("too_slow", 413)


def test_no_room_in_the_temporary_folder_is_a_503(tmp_path, parcels, monkeypatch):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("shutil.disk_usage", lambda _path: usage(10**9, 10**9 - 10**6, 10**6))
    err = _quickly(lambda: read_vector(make_zipped_shapefile(tmp_path, parcels, crs=4526)))
    assert (err.code, err.status) == ("no_space", 503)


def test_workspaces_left_by_killed_workers_are_removed(tmp_path, parcels):
    import os
    import tempfile
    from pathlib import Path

    from geo.scratch import STALE_S
    from geo.vector_io import WORKSPACE_PREFIX

    stale = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX))
    (stale / "upload.zip").write_bytes(b"x" * 100)
    os.utime(stale, (0, time.time() - STALE_S - 60))
    busy = Path(tempfile.mkdtemp(prefix=WORKSPACE_PREFIX))  # another worker's, in use
    try:
        read_vector(make_zipped_shapefile(tmp_path, parcels, crs=4526))
        assert not stale.exists() and busy.exists()
    finally:
        shutil.rmtree(busy, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)
