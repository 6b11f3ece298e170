"""The map of an import preview: the layer as served now (grey, dashed) under what it would be
after the import (the layer's colour, solid: basis ``user``)."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import numpy as np

from geo.area import ellipsoidal_area_m2
from layers.labels import tr
from layers.styles import LAYER_COLOURS
from layers.web.geojson import to_geojson_dict
from layers.web.mapstyle import boundary_style
from layers.web.offline import VENDOR_BASE, OfflineMap
from layers.web.overview import HENAN_BBOX
from parks.boundaries import CREDIT_EN, CREDIT_ZH

CURRENT_COLOUR = "#777777"


def _collection(gdf: gpd.GeoDataFrame, tip) -> dict:
    """``gdf``'s drawable features with a tooltip ``tip(row)`` each (escaped: Leaflet shows it as HTML)."""
    shown = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    out = gpd.GeoDataFrame({"tip": [escape(tip(r)) for r in shown.itertuples()]},
                           geometry=shown.geometry.values, crs=shown.crs)
    return to_geojson_dict(out)


def _layer(fc: dict, name: str, colour: str, *, points: bool, dash: str | None, weight: float):
    style = {"color": colour, "weight": weight, "fillColor": colour, "fillOpacity": 0.25,
             "dashArray": dash}
    kwargs = {"marker": folium.CircleMarker(radius=6, fill=True)} if points else {}
    return folium.GeoJson(fc, name=name, style_function=lambda f: style,
                          tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), **kwargs)


def import_map(layer: str, current: gpd.GeoDataFrame, result: gpd.GeoDataFrame, *, lang: str,
               points: bool, counties: gpd.GeoDataFrame | None = None,
               vendor_base: str = VENDOR_BASE) -> folium.Map:
    """Both versions of ``layer`` on one offline map, zoomed to the imported features, over the
    ``counties`` near them (for orientation; no tiles are needed)."""
    m = OfflineMap(control_scale=True, vendor_base=vendor_base, max_zoom=19)
    if counties is not None and len(result):
        minx, miny, maxx, maxy = result.total_bounds
        near = counties.cx[minx - 0.2:maxx + 0.2, miny - 0.2:maxy + 0.2]
        folium.GeoJson(to_geojson_dict(near[["name_zh", "geometry"]]), name=tr(lang, "县界", "Counties"),
                       style_function=lambda f: boundary_style("county"), interactive=False,
                       attribution=tr(lang, CREDIT_ZH, CREDIT_EN)).add_to(m)
    now = tr(lang, "当前", "now")
    after = tr(lang, "导入后", "after import")
    _layer(_collection(current, lambda r: f"{now}: {r.name_zh}"), tr(lang, "当前图层", "Current layer"),
           CURRENT_COLOUR, points=points, dash="4 4", weight=1.5).add_to(m)
    _layer(_collection(result, lambda r: f"{after}: {r.id} {r.name_zh}"),
           tr(lang, "导入后的图层", "Layer after import"), LAYER_COLOURS[layer], points=points,
           dash=None, weight=2.5).add_to(m)
    located = result.geometry[result.geometry.notna() & ~result.geometry.is_empty]
    if len(located):
        minx, miny, maxx, maxy = located.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(30, 30), max_zoom=15)
    else:
        m.fit_bounds(HENAN_BBOX)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def areas_ha(gdf: gpd.GeoDataFrame) -> list[float | None]:
    """Ellipsoidal area of each polygon in 公顷 (None for points and missing geometry)."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    polygonal = np.array([g is not None and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms])
    out: list[float | None] = [None] * len(geoms)
    if polygonal.any():
        for i, a in zip(np.flatnonzero(polygonal), ellipsoidal_area_m2(geoms[polygonal]), strict=True):
            out[i] = float(a) / 10_000
    return out
