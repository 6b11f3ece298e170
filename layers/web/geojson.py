"""Layers as GeoJSON FeatureCollections for the browser and the API."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

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


_TEXT_CACHE: OrderedDict[tuple, str] = OrderedDict()
#: characters of GeoJSON kept, least recently used dropped first (a county layer at full
#: resolution is ~2.6 MB, at the map's tolerances 0.3–1 MB)
TEXT_CACHE_CHARS = 32 * 1024 * 1024
_TEXT_LOCK = threading.Lock()


def layer_geojson_text(catalog: Catalog, name: str, *, level: str | None = None,
                       tolerance_m: float | None = None) -> str:
    """:func:`layer_feature_collection` serialised, cached per data version and query (at
    most :data:`TEXT_CACHE_CHARS` in all)."""
    key = (str(catalog.data_dir), catalog.data_version(), name, level, tolerance_m)
    with _TEXT_LOCK:
        text = _TEXT_CACHE.get(key)
        if text is not None:
            _TEXT_CACHE.move_to_end(key)
            return text
    fc = layer_feature_collection(catalog, name, level=level, tolerance_m=tolerance_m)
    text = json.dumps(fc, ensure_ascii=False, separators=(",", ":"))
    with _TEXT_LOCK:
        _TEXT_CACHE[key] = text
        while sum(map(len, _TEXT_CACHE.values())) > TEXT_CACHE_CHARS and len(_TEXT_CACHE) > 1:
            _TEXT_CACHE.popitem(last=False)
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
