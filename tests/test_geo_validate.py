"""Geometry checks: kinds, empties, Z, collections, repairs within 0.1 %, the Henan check."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from fixtures_files import rect_m, twisted_parcel

from geo.errors import GeoInputError
from geo.validate import check_region, clean, polygonal_part, rows_text


def frame(geoms):
    return gpd.GeoDataFrame({"n": range(len(geoms))}, geometry=geoms, crs=4490)


def test_rows_text():
    assert rows_text([1, 2, 3]) == "1, 2, 3"
    assert rows_text(range(1, 26)).endswith("… (25)")


def test_polygonal_part_keeps_only_areas():
    poly = shapely.box(0, 0, 1, 1)
    gc = shapely.GeometryCollection([poly, shapely.Point(5, 5), shapely.box(2, 2, 3, 3)])
    assert polygonal_part(gc).geom_type == "MultiPolygon"
    assert polygonal_part(shapely.GeometryCollection([shapely.Point(0, 0)])) is None


def test_collections_z_and_multipoints():
    a = rect_m(113.84, 34.53)
    z = shapely.force_3d(a)
    gc = shapely.GeometryCollection([rect_m(113.85, 34.53), shapely.Point(113.8, 34.5)])
    out, notes = clean(frame([z, gc]))
    assert not shapely.has_z(out.geometry.values).any()
    assert out.geom_type.tolist() == ["Polygon", "Polygon"]
    assert len(notes) == 2
    pts, _ = clean(frame([shapely.MultiPoint([(113.8, 34.5)])]), geometry="point")
    assert pts.geom_type.tolist() == ["Point"]


def test_repair_threshold_uses_the_file_row_numbers():
    ok, twisted = rect_m(113.84, 34.53, dx_m=1000), twisted_parcel(lobe_m=30)
    with pytest.raises(GeoInputError) as info:
        clean(frame([ok, twisted]), rows=[4, 9])
    assert info.value.code == "invalid_geometry" and info.value.details["rows"] == [9]
    out, notes = clean(frame([ok, twisted_parcel(lobe_m=2)]))
    assert out.is_valid.all() and "2" in notes[0][1]


def test_all_empty_and_any_kind():
    with pytest.raises(GeoInputError) as info:
        clean(frame([None, shapely.Polygon()]))
    assert info.value.code == "empty"
    line = shapely.LineString([(113.8, 34.5), (113.9, 34.6)])
    out, _ = clean(frame([line, rect_m(113.84, 34.53)]), geometry="any")
    assert len(out) == 2


def test_check_region_with_a_polygon():
    region = shapely.box(113, 34, 114, 35)
    check_region(frame([rect_m(113.84, 34.53)]), region)
    with pytest.raises(GeoInputError) as info:
        check_region(frame([rect_m(113.84, 34.53), rect_m(112.5, 34.5)]), region)
    assert info.value.code == "outside_henan" and info.value.details["rows"] == [2]
