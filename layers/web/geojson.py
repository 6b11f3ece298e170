"""Layers as GeoJSON FeatureCollections for the browser and the API."""

from __future__ import annotations

import json

import geopandas as gpd

from geo.crs import WGS84, is_geographic_cgcs2000_like
from layers.downloads import layer_frame
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import LAYERS, WEB_TOLERANCE_M, Catalog

CRS_NOTE = ("CGCS2000 (EPSG:4490) coordinates served as EPSG:4326; the two differ by centimetres.")


def to_geojson_dict(gdf: gpd.GeoDataFrame) -> dict:
    """A GeoDataFrame in CGCS2000/WGS84 as a GeoJSON dict (NaN → null, no reprojection)."""
    if not is_geographic_cgcs2000_like(gdf.crs):
        gdf = gdf.to_crs(WGS84)
    return json.loads(gdf.to_json(na="null", drop_id=True, to_wgs84=False))


_TEXT_CACHE: dict[tuple, str] = {}
_TEXT_CACHE_SIZE = 64


def layer_geojson_text(catalog: Catalog, name: str, *, level: str | None = None,
                       tolerance_m: float | None = None) -> str:
    """:func:`layer_feature_collection` serialised, cached per data version and query."""
    key = (str(catalog.data_dir), catalog.data_version(), name, level, tolerance_m)
    text = _TEXT_CACHE.get(key)
    if text is None:
        fc = layer_feature_collection(catalog, name, level=level, tolerance_m=tolerance_m)
        text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
        if len(_TEXT_CACHE) >= _TEXT_CACHE_SIZE:
            _TEXT_CACHE.pop(next(iter(_TEXT_CACHE)))
        _TEXT_CACHE[key] = text
    return text


def layer_feature_collection(catalog: Catalog, name: str, *, level: str | None = None,
                             tolerance_m: float | None = None) -> dict:
    info = LAYERS[name]
    tol = WEB_TOLERANCE_M if tolerance_m is None else tolerance_m
    gdf = layer_frame(catalog, name, level=level, tolerance_m=tol)
    extra = ({"credit_zh": CREDIT_ZH, "credit_en": CREDIT_EN, "tolerance_m": tol}
             if name == "boundaries" else {})
    fc = to_geojson_dict(gdf)
    fc.update({"name": name, "title_zh": info.title_zh, "title_en": info.title_en,
               "crs_note": CRS_NOTE, "data_version": catalog.data_version(), **extra})
    return fc
