"""Single features and search, for layers the map draws from vector tiles: a click on a tiled
feature fetches its popup here, and the search box and filters ask here instead of the page."""

from __future__ import annotations

import math

import numpy as np
import shapely

from layers.labels import pick
from layers.web.popups import popup_html
from parks.catalog import Catalog
from parks.industry import industry_keys

MAX_RESULTS = 50
#: the overview's filters and the layer column each reads (the industry key is derived)
FILTER_COLUMNS = {"city": "city", "sector": "sector_zh"}
#: the columns search reads (those a layer has)
SEARCH_COLUMNS = ("id", "name_zh", "name_en", "city", "sector_zh", "ind_zh")


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def feature(catalog: Catalog, layer: str, fid: str, *, lang: str, detail_url=None) -> dict | None:
    """The GeoJSON feature ``fid`` of ``layer`` (EPSG:4326) with its popup, or None: found in
    the id column and read by its position, the layer is never loaded."""
    positions = catalog.positions(layer, [fid])
    if not len(positions):
        return None
    frame = catalog.features(layer, positions[:1])
    row = frame.iloc[0]
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
    ``limit`` (≤ :data:`MAX_RESULTS`). Reads the name and filter columns and the features'
    bounds; only the features listed are read whole."""
    frame = catalog.attributes(layer, SEARCH_COLUMNS)
    keep = catalog.located(layer).copy()
    if q:
        text = frame["name_zh"].fillna("") + " " + frame["name_en"].fillna("")
        keep &= text.str.lower().str.contains(q.lower(), regex=False).to_numpy()
    for name, value in (filters or {}).items():
        if not value:
            continue
        column = industry_keys(layer, frame) if name == "industry" else frame.get(FILTER_COLUMNS[name])
        keep &= (column == value).to_numpy() if column is not None else False
    hits = np.flatnonzero(keep)
    bounds = catalog.bounds(layer)[hits]
    extent = [*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0)] if len(hits) else None
    first = catalog.features(layer, hits[:min(limit, MAX_RESULTS)])
    points = shapely.point_on_surface(np.asarray(first.geometry.values))
    coords = shapely.get_coordinates(points) if len(first) else np.empty((0, 2))
    return {"layer": layer, "total": len(hits),
            "bbox": [round(float(v), 6) for v in extent] if extent else None, "features": [
                {"id": str(row["id"]), "name": pick(row, "name", lang), "city": row.get("city") or "",
                 "lon": round(float(x), 6), "lat": round(float(y), 6)}
                for (_, row), (x, y) in zip(first.iterrows(), coords, strict=True)]}
