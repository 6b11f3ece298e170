"""Bounds read from a Shapefile's record headers are GDAL's, shape by shape."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geo.shp_records import record_bounds


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
