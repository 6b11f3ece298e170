"""Single features and search, for layers the map draws from vector tiles: a click on a tiled
feature fetches its popup here, and the search box and filters ask here instead of the page."""

from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
import shapely

from layers.labels import pick
from layers.web.popups import popup_html
from parks.catalog import Catalog
from parks.industry import industry_keys

MAX_RESULTS = 50
#: the overview's filters and the layer column each reads (the industry key is derived)
FILTER_COLUMNS = {"city": "city", "sector": "sector_zh"}

_index_lock = threading.Lock()
_indexes: dict[tuple[str, str], pd.Index] = {}


def _row_index(catalog: Catalog, layer: str, frame: pd.DataFrame) -> pd.Index:
    """Row positions by feature id, built once per layer version."""
    key = (layer, catalog.layer_version(layer))
    index = _indexes.get(key)
    if index is None:
        index = pd.Index(frame["id"].astype(str))
        with _index_lock:
            for old in [k for k in _indexes if k[0] == layer]:
                del _indexes[old]
            _indexes[key] = index
    return index


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def feature(catalog: Catalog, layer: str, fid: str, *, lang: str, detail_url=None) -> dict | None:
    """The GeoJSON feature ``fid`` of ``layer`` (EPSG:4326) with its popup, or None."""
    frame = catalog.layer(layer, copy=False)
    index = _row_index(catalog, layer, frame)
    positions = index.get_indexer([fid])
    if positions[0] < 0:
        return None
    row = frame.iloc[int(positions[0])]
    props = {k: _clean(v) for k, v in row.items() if k != frame.geometry.name}
    geom = row[frame.geometry.name]
    url = detail_url(layer, fid) if detail_url else None
    return {"type": "Feature", "id": fid, "properties": props,
            "geometry": shapely.geometry.mapping(geom) if geom is not None else None,
            "popup_html": popup_html(layer, props, lang, detail_url=url)}


def search(catalog: Catalog, layer: str, *, q: str = "", filters: dict[str, str] | None = None,
           lang: str = "zh", limit: int = 20) -> dict:
    """Features of ``layer`` whose Chinese or English name contains ``q`` and that pass the
    overview's filters: the total, the extent of them all (``bbox``, or None) and the first
    ``limit`` (≤ :data:`MAX_RESULTS`)."""
    frame = catalog.layer(layer, copy=False)
    keep = frame.geometry.notna().to_numpy().copy()
    if q:
        text = frame["name_zh"].fillna("") + " " + frame["name_en"].fillna("")
        keep &= text.str.lower().str.contains(q.lower(), regex=False).to_numpy()
    for name, value in (filters or {}).items():
        if not value:
            continue
        column = industry_keys(layer, frame) if name == "industry" else frame.get(FILTER_COLUMNS[name])
        keep &= (column == value).to_numpy() if column is not None else False
    hits = frame[keep]
    first = hits.head(min(limit, MAX_RESULTS))
    points = shapely.point_on_surface(np.asarray(first.geometry.values))
    coords = shapely.get_coordinates(points) if len(first) else np.empty((0, 2))
    bbox = [round(float(v), 6) for v in hits.geometry.total_bounds] if len(hits) else None
    return {"layer": layer, "total": int(keep.sum()), "bbox": bbox, "features": [
        {"id": str(row["id"]), "name": pick(row, "name", lang), "city": row.get("city") or "",
         "lon": round(float(x), 6), "lat": round(float(y), 6)}
        for (_, row), (x, y) in zip(first.iterrows(), coords, strict=True)]}
