"""The per-layer schema in data/sources/layer_schemas.csv: types, ranges, choices, defaults."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from fixtures_files import make_geojson, parcels_gdf

from parks import importer, layer_schema
from parks.build import build_layers
from parks.catalog import Catalog


def test_every_shipped_layer_fits_its_schema(data_dir):
    built = build_layers()
    catalog = Catalog(data_dir)
    for layer, columns in layer_schema.schemas().items():
        assert [c.name for c in columns] == [c for c in built[layer].columns if c != "geometry"]
        assert layer_schema.check(layer, catalog.layer(layer)) == [], layer


def test_conform_types_values_and_lists_what_it_refuses():
    frame = gpd.GeoDataFrame({
        "id": ["p1", "p2", "p3"], "name_zh": ["甲", "乙", ""], "name_en": ["A", "B", "C"],
        "a12_km2": ["0.5", "", "约六"], "a13_km2": [None, -1.0, 3000.0], "slot": ["1", None, 2.5],
        "kind": ["official", "official", "park"], "fig_basis": [None, "user", "user"],
    }, geometry=[None] * 3, crs=4490)
    out, issues = layer_schema.conform("parks", frame)
    assert out["a12_km2"].dtype == float
    assert out["a12_km2"].iloc[0] == 0.5 and np.isnan(out["a12_km2"].iloc[1])
    assert out["fig_basis"].tolist() == ["none", "user", "user"]  # the documented default
    assert out["src_id"].tolist() == [0, 0, 0] and out["src_id"].dtype == "int64"  # missing column
    found = {(i.column, i.ids) for i in issues}
    assert found >= {("a12_km2", ("p3",)), ("a13_km2", ("p2",)), ("a13_km2", ("p3",)),
                     ("slot", ("p3",)), ("kind", ("p3",)), ("name_zh", ("p3",))}
    message = next(i for i in issues if i.column == "a13_km2" and i.ids == ("p3",))
    assert "3000" not in message.en and "2000" in message.en and "p3" in message.zh


def test_an_import_with_values_out_of_range_is_refused(data_dir, tmp_path):
    gdf = parcels_gdf(2, names=["甲园区", "乙园区"]).rename(columns={"name": "名称", "area_ha": "面积(公顷)"})
    gdf["面积(公顷)"] = [-6.0, 6.0]
    plan = importer.plan_import(Catalog(data_dir), "parks", make_geojson(tmp_path, gdf), "p.geojson")
    assert not plan.ok
    (problem,) = [p for p in plan.errors if p.code == "bad_value"]
    assert problem.field == "a13_km2" and "不得小于 0" in problem.zh and "must not be below 0" in problem.en


@pytest.mark.parametrize("layer", ["zones", "foxconn", "projects", "clusters"])
def test_every_layer_import_comes_out_in_the_schema_types(data_dir, tmp_path, layer):
    geometry = "point" if layer in ("foxconn", "projects", "clusters") else "polygon"
    gdf = parcels_gdf(1, names=["新要素"]).rename(columns={"name": "名称"})[["名称", "geometry"]]
    if geometry == "point":
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
    plan = importer.plan_import(Catalog(data_dir), layer, make_geojson(tmp_path, gdf), "f.geojson")
    assert plan.ok, [p.en for p in plan.errors]
    assert layer_schema.check(layer, plan.result) == []
