"""OGC API – Features over a big thematic layer: read light (columns, envelopes, the page's
features by position), never loaded whole, and answering exactly as the whole-layer path does."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from benchmarks.synthetic import fictional_parcels, fictional_points, install_layer
from geo.geom_types import type_names
from layers.ogc.features import OGCService, catalog_collections
from parks import catalog as catalog_module
from parks.catalog import Catalog

BASE = "http://example.test/ogc"
FEATURES = 600


def _answer(page) -> dict:
    doc = json.loads(page.to_json())
    doc.pop("timeStamp")
    return doc


@pytest.mark.parametrize(("layer", "make"), [("zones", fictional_parcels), ("projects", fictional_points)])
def test_a_big_layer_is_served_light_with_the_same_answers(data_dir, monkeypatch, layer, make):
    install_layer(data_dir, layer, make(Catalog(data_dir), layer, FEATURES))
    whole = OGCService(catalog_collections(Catalog(data_dir)))
    assert FEATURES <= catalog_module.BIG_LAYER_FEATURES  # read whole: the reference answers
    whole.table(layer)

    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    catalog = Catalog(data_dir)
    read_whole = []
    monkeypatch.setattr(catalog, "layer", lambda name, **kw: read_whole.append(name))
    light = OGCService(catalog_collections(catalog))

    # a bbox whose west edge runs through feature 7: it crosses the edge, so it is read and tested
    x, y = catalog.features(layer, [7]).geometry.iloc[0].centroid.coords[0]
    city = catalog.attributes(layer, ["city"])["city"].iloc[3]
    asked = [
        {}, {"offset": "590"}, {"limit": "50", "offset": "20"}, {"limit": "1000"},
        {"bbox": f"{x},{y - 1},{x + 1.5},{y + 1}", "limit": "100"},
        {"bbox": f"{y - 1},{x},{y + 1},{x + 1.5}", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"},
        {"city": city, "limit": "30"}, {"city": city, "offset": "30"},
        {"sortby": "-name_zh"}, {"sortby": "city,-name_zh", "offset": "200"}, {"sortby": "evidence,name_en"},
        {"city": city, "sortby": "-name_en", "bbox": f"{x},{y - 1},{x + 1.5},{y + 1}"},
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857", "limit": "5"},
        {"properties": "name_zh,city", "skipGeometry": "true", "offset": "7"},
    ]
    for args in asked:
        want, got = whole.items(BASE, layer, args), light.items(BASE, layer, args)
        assert _answer(got) == _answer(want), args
        assert got.records() == want.records(), args
    assert light.items(BASE, layer, {"city": city}).number_matched > 1
    fid = "fict-0000123"
    assert light.item(BASE, layer, fid, {}) == whole.item(BASE, layer, fid, {})
    for doc in ("collection", "queryables"):
        assert getattr(light, doc)(BASE, layer, "en") == getattr(whole, doc)(BASE, layer, "en")
    assert read_whole == []


def test_a_big_layer_of_polygons_and_multipolygons_is_served_as_multipolygons(data_dir, monkeypatch):
    parcels = fictional_parcels(Catalog(data_dir), "zones", 150)
    parcels.loc[5, "geometry"] = shapely.MultiPolygon([parcels.geometry[5], parcels.geometry[140]])
    install_layer(data_dir, "zones", parcels)
    whole = OGCService(catalog_collections(Catalog(data_dir)))
    whole.table("zones")
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    light = OGCService(catalog_collections(Catalog(data_dir)))
    assert light.table("zones").geometry_type == whole.table("zones").geometry_type == "MultiPolygon"
    page = _answer(light.items(BASE, "zones", {}))
    assert page == _answer(whole.items(BASE, "zones", {}))
    assert {f["geometry"]["type"] for f in page["features"]} == {"MultiPolygon"}


def _parcels_with_holes_and_multis(catalog: Catalog, layer: str, n: int):
    """Fictional parcels, every third with a hole and every fifth of two parts."""
    parcels = fictional_parcels(catalog, layer, n)
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    x, y = shapely.get_coordinates(shapely.centroid(geoms)).T
    hole = shapely.get_exterior_ring(shapely.box(x - 1e-4, y - 1e-4, x + 1e-4, y + 1e-4))
    holed = shapely.polygons(shapely.get_exterior_ring(geoms), hole[:, None])
    pairs = shapely.multipolygons(np.stack([geoms, shapely.box(x + 0.5, y, x + 0.501, y + 0.001)], axis=1))
    row = np.arange(n)
    parcels["geometry"] = np.where(row % 5 == 0, pairs, np.where(row % 3 == 0, holed, geoms))
    return parcels


@pytest.mark.parametrize(("layer", "make", "types"), [
    ("projects", fictional_points, {"Point"}), ("zones", fictional_parcels, {"Polygon"}),
    ("zones", _parcels_with_holes_and_multis, {"Polygon", "MultiPolygon"})])
def test_prefetch_reads_the_geometry_types_so_the_first_ogc_request_does_not(data_dir, monkeypatch,
                                                                              layer, make, types):
    install_layer(data_dir, layer, make(Catalog(data_dir), layer, 300))
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 100)
    catalog = Catalog(data_dir)
    passes = []
    header_pass = catalog_module.record_geometry_types
    monkeypatch.setattr(catalog_module, "record_geometry_types",
                        lambda shp: passes.append(shp) or header_pass(shp))
    catalog.prefetch(layer)
    assert len(passes) == 1

    # the types every geometry GDAL reads has: what the OGC API was once given by a pass over them all
    assert catalog.geometry_types(layer) == type_names(catalog.layer(layer).geometry.values) == types
    page = _answer(OGCService(catalog_collections(catalog)).items(BASE, layer, {"limit": "100"}))
    assert len(page["features"]) == 100 and len(passes) == 1
