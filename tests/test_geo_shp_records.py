"""Bounds read from a Shapefile's record headers are GDAL's, shape by shape; so are the geometry
types the headers settle, the polygons of several rings left to GDAL."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.geom_types import type_names
from geo.shp_records import record_bounds, record_geometry_types


@pytest.mark.parametrize("kind", ["points", "polygons", "multipolygons"])
def test_record_bounds_are_those_gdal_reads_null_records_included(tmp_path, kind, monkeypatch):
    monkeypatch.setattr("geo.shp_records.CHUNK", 7)  # several chunks, the last one short
    rng = np.random.default_rng(5)
    x, y = rng.uniform(110, 116, 40), rng.uniform(31, 36, 40)
    geoms = {"points": shapely.points(x, y),
             "polygons": shapely.box(x, y, x + rng.uniform(0.001, 0.1, 40), y + 0.02),
             "multipolygons": shapely.multipolygons([[shapely.box(a, b, a + 0.01, b + 0.01),
                                                      shapely.box(a + 0.5, b - 0.3, a + 0.6, b - 0.2)]
                                                     for a, b in zip(x, y, strict=True)])}[kind]
    geoms[[0, 13, 39]] = None
    path = tmp_path / "layer.shp"
    gpd.GeoDataFrame({"n": range(40)}, geometry=geoms, crs=4490).to_file(path, engine="pyogrio")
    _, expected = pyogrio.read_bounds(path)
    found = record_bounds(path)
    assert found.shape == (40, 4) and np.isnan(found[[0, 13, 39]]).all()
    np.testing.assert_array_equal(found, expected.T)


def _rings(geom) -> int:
    return sum(1 + len(p.interiors) for p in getattr(geom, "geoms", [geom]))


@pytest.mark.parametrize("kind", ["points", "multipoints", "lines", "polygons", "holed", "multipolygons",
                                  "mixed"])
def test_record_geometry_types_are_those_gdal_reads_polygons_of_several_rings_left_to_it(
        tmp_path, kind, monkeypatch):
    monkeypatch.setattr("geo.shp_records.CHUNK", 7)
    rng = np.random.default_rng(8)
    x, y = rng.uniform(110, 116, 40), rng.uniform(31, 36, 40)
    boxes = shapely.box(x, y, x + 0.1, y + 0.1)
    inner = shapely.box(x + 0.02, y + 0.02, x + 0.05, y + 0.05)
    holed = shapely.polygons(shapely.get_exterior_ring(boxes), shapely.get_exterior_ring(inner)[:, None])
    lines = shapely.boundary(inner)
    pairs = shapely.multipolygons(np.stack([boxes, shapely.box(x + 0.5, y, x + 0.6, y + 0.1)], axis=1))
    pick = np.arange(40) % 4
    geoms = {"points": shapely.points(x, y),
             "multipoints": shapely.multipoints(np.stack([shapely.points(x, y)] * 2, axis=1)),
             "lines": np.where(pick == 0, shapely.multilinestrings(
                 np.stack([lines, shapely.boundary(boxes)], axis=1)), lines),
             "polygons": boxes, "holed": holed, "multipolygons": pairs,
             # a one-part multipolygon is written as one ring: GDAL reads it back as a Polygon
             "mixed": np.choose(pick, [boxes, holed, pairs, shapely.multipolygons(boxes[:, None])]),
             }[kind]
    geoms[[1, 13, 39]] = None  # not the first: GDAL takes a mixed file's shape type from it
    path = tmp_path / "layer.shp"
    gpd.GeoDataFrame({"n": range(40)}, geometry=geoms, crs=4490).to_file(path, engine="pyogrio")
    read = np.asarray(pyogrio.read_dataframe(path).geometry.values, dtype=object)

    settled, unsettled = record_geometry_types(path)
    polygonal = kind in ("polygons", "holed", "multipolygons", "mixed")
    several = [i for i, g in enumerate(read) if polygonal and g is not None and _rings(g) > 1]
    assert unsettled.tolist() == several
    assert settled == type_names(np.delete(read, several))
    assert settled | type_names(read[unsettled]) == type_names(read)
