"""Maps of the planners' views: a park's surroundings, and target against actual (built-up
area, investment, revenue…) per park, city, zone or cluster.

Each builder returns an :class:`~layers.web.offline.OfflineMap`; the figures drawn come from
:mod:`parks.monitoring` and :mod:`parks.nearby`, so a page's table, chart and map agree.
"""

from __future__ import annotations

import math
from html import escape

import folium
import geopandas as gpd
import pandas as pd

from layers.labels import basis_badge, city, missing, num, pick, signed, tr
from layers.legend import Legend, swatch
from layers.styles import NO_VALUE_COLOUR
from layers.web.geojson import to_geojson_dict
from layers.web.mapstyle import boundary_style
from layers.web.offline import VENDOR_BASE, OfflineMap
from layers.web.overview import HENAN_BBOX, DetailUrl, feature_collection, thematic_layer, title
from parks.actuals import with_actuals
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import Catalog
from parks.monitoring import BELOW, MET, NO_TARGET, NOT_RECORDED, NOTHING, STATUS_LABELS
from parks.nearby import NEIGHBOUR_LAYERS, park_record

BOUNDARY_TOLERANCE_M = 800.0  # province-wide views: a pixel at zoom 7
LOCAL_TOLERANCE_M = 100.0     # a park's surroundings
SYMBOL_MAX_PX = 28


def _boundaries(m: folium.Map, gdf: gpd.GeoDataFrame, level: str, lang: str) -> None:
    folium.GeoJson(to_geojson_dict(gdf[["name_zh", "geometry"]]), name=title(level, lang),
                   style=boundary_style(level), interactive=False,
                   attribution=tr(lang, CREDIT_ZH, CREDIT_EN)).add_to(m)


def _province_map(vendor_base: str) -> folium.Map:
    m = OfflineMap(location=(33.9, 113.6), zoom_start=7, control_scale=True, vendor_base=vendor_base)
    m.fit_bounds(HENAN_BBOX)
    return m


def park_map(catalog: Catalog, park_id: str, near: pd.DataFrame, *, lang: str,
             detail_url: DetailUrl | None = None, vendor_base: str = VENDOR_BASE,
             actuals: pd.DataFrame | None = None) -> folium.Map | None:
    """The park's schematic footprint, what :func:`parks.nearby.nearby` found around it, and the
    county boundaries there; None for an unlocated park. ``actuals`` (recorded figures) replace
    the parks' derived figures in their popups."""
    park = park_record(catalog, park_id)
    if park["geometry"] is None:
        return None
    m = OfflineMap(location=(park["lat"], park["lon"]), zoom_start=12, control_scale=True,
                   vendor_base=vendor_base)
    minx, miny, maxx, maxy = park["geometry"].bounds
    counties = catalog.boundaries("county", LOCAL_TOLERANCE_M).cx[minx - 0.3:maxx + 0.3,
                                                                     miny - 0.3:maxy + 0.3]
    _boundaries(m, counties, "county", lang)
    shown = pd.concat([near[["layer", "id"]], pd.DataFrame([{"layer": "parks", "id": park_id}])])
    for name in NEIGHBOUR_LAYERS:
        ids = set(shown.loc[shown["layer"] == name, "id"])
        gdf = catalog.features(name, catalog.positions(name, ids))  # only the features shown
        if name == "parks" and actuals is not None:
            gdf = with_actuals(gdf, actuals)
        if ids:
            fc, styles = feature_collection(name, gdf[gdf["id"].isin(ids)], lang, detail_url)
            thematic_layer(name, fc, styles, lang).add_to(m)
            xs = [c for f in fc["features"] for c in _coords(f["geometry"])]
            minx, maxx = min([minx, *(x for x, _ in xs)]), max([maxx, *(x for x, _ in xs)])
            miny, maxy = min([miny, *(y for _, y in xs)]), max([maxy, *(y for _, y in xs)])
    pad = 0.01
    m.fit_bounds([(miny - pad, minx - pad), (maxy + pad, maxx + pad)])
    folium.LayerControl(collapsed=True).add_to(m)
    return m


def _coords(geom: dict):
    """Every (x, y) of a GeoJSON geometry."""
    stack = [geom["coordinates"]]
    while stack:
        c = stack.pop()
        if isinstance(c[0], (int, float)):
            yield c[0], c[1]
        else:
            stack.extend(c)


def monitor_map(catalog: Catalog, comparison: dict, *, lang: str, detail_url: DetailUrl | None = None,
                vendor_base: str = VENDOR_BASE) -> folium.Map:
    """Target against actual (``comparison`` from :func:`parks.monitoring.compare`) on a map of
    Henan: cities coloured by how they stand against their target, or parks, zones and clusters
    as circles (area ∝ the larger of target and actual) in the same colours. Every area's popup
    states target, actual (basis and source) and the gap, as the page's table and chart do."""
    m = OfflineMap(location=(33.9, 113.6), zoom_start=7, control_scale=True, vendor_base=vendor_base)
    m.fit_bounds(HENAN_BBOX)
    rows = comparison["rows"]
    cities = catalog.boundaries("city", BOUNDARY_TOLERANCE_M)
    name = tr(lang, f"{comparison['year']}年目标与实际", f"{comparison['year']} target and actual")
    if comparison["level"] == "city":
        by_id = rows.set_index("id")
        features = [f for f in to_geojson_dict(cities[["name_zh", "geometry"]])["features"]
                    if f["properties"]["name_zh"] in by_id.index]
        for f in features:
            f["id"] = f["properties"]["name_zh"]
            row = {"id": f["id"], **by_id.loc[f["id"]].to_dict()}
            f["properties"] = _area_props(row, comparison, lang, None) | {"style": _area_style(row)}
        kwargs = {}
    else:
        _boundaries(m, cities, "city", lang)
        located = rows[rows["lon"].notna() & rows["lat"].notna()]
        vmax = float(located[["target", "actual"]].max().max()) if len(located) else 0.0
        features = [{"type": "Feature", "id": r["id"],
                     "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                     "properties": _area_props(r, comparison, lang, detail_url)
                     | {"style": _marker_style(r, vmax)}}
                    for r in located.to_dict("records")]
        kwargs = {"marker": folium.CircleMarker()}
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name=name,
                   style_function=lambda f: f["properties"]["style"],
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False), **kwargs).add_to(m)
    Legend(monitor_legend(comparison, lang), title=tr(lang, "图例", "Legend")).add_to(m)
    return m


#: how an area stands against its target (:data:`parks.monitoring.STATUS_LABELS`)
STATUS_COLOURS = {MET: "#2e7d32", BELOW: "#e07b00", NO_TARGET: "#30638e", NOT_RECORDED: "#9e9e9e",
                  NOTHING: NO_VALUE_COLOUR}


def _area_style(row: dict) -> dict:
    recorded = row["status"] in (MET, BELOW, NO_TARGET)
    return {"color": "#555555", "weight": 1, "fillColor": STATUS_COLOURS[row["status"]],
            "fillOpacity": 0.8 if recorded else 0.35, "className": f"area-{row['id']}"}


def _marker_style(row: dict, vmax: float) -> dict:
    values = [v for v in (row["target"], row["actual"]) if not missing(v)]
    colour = STATUS_COLOURS[row["status"]]
    recorded = row["status"] in (MET, BELOW, NO_TARGET)
    return {"radius": max(5.0, symbol_radius(max(values), vmax)) if values and vmax else 5.0,
            "color": colour if recorded else "#666666", "weight": 2 if recorded else 1.5,
            "dashArray": None if recorded else "3 3", "fill": True, "fillColor": colour,
            "fillOpacity": 0.75 if recorded else 0.25, "className": f"area-{row['id']}"}


def symbol_radius(value: float, vmax: float) -> float:
    """Proportional symbol radius in px: area proportional to the value."""
    return round(SYMBOL_MAX_PX * math.sqrt(value / vmax), 1)


def _area_props(row: dict, comparison: dict, lang: str, detail_url: DetailUrl | None) -> dict:
    label = pick(row, "name", lang) if comparison["level"] != "city" else city(row["name_zh"], lang)
    metric, unit = comparison["metric"], tr(lang, comparison["metric"].unit_zh, comparison["metric"].unit_en)
    link = detail_url("parks", row["id"]) if detail_url and comparison["level"] == "park" else None
    tip = f"{label}: {num(row['actual'])} / {num(row['target'])} {unit}"
    return {"popup": monitor_popup(row, label, comparison["year"], tr(lang, metric.name_zh, metric.name_en),
                                   unit, lang, link),
            "tip": escape(tip)}


def monitor_popup(row: dict, label: str, year: int, metric_name: str, unit: str, lang: str,
                  link: str | None = None) -> str:
    """A popup's HTML: the area's target, actual with basis and source, gap, how it stands."""
    def figure(value, basis):
        if missing(value):
            return escape(tr(lang, "无", "none"))
        return f"{escape(num(value))} {escape(unit)} {basis_badge(basis, lang)}"

    actual = figure(row["actual"], row["actual_basis"])
    if row.get("source"):
        actual += f"<br><small>{escape(tr(lang, '来源：', 'Source: '))}{escape(row['source'])}</small>"
    gap = "—" if missing(row["gap"]) else escape(f"{signed(row['gap'])} {unit}") + (
        "" if missing(row["ratio"]) else escape(tr(lang, f"（完成 {row['ratio']:.0%}）",
                                                   f" ({row['ratio']:.0%} of target)")))
    rows = [(tr(lang, "目标", "Target"), figure(row["target"], row["target_basis"])),
            (tr(lang, "实际", "Actual"), actual), (tr(lang, "差距", "Gap"), gap),
            (tr(lang, "状态", "Status"), escape(tr(lang, *STATUS_LABELS[row["status"]])))]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    more = f"<p><a href='{escape(link)}'>{escape(tr(lang, '园区页面', 'Park page'))}</a></p>" if link else ""
    return (f"<div class='atlas-popup monitor-popup' data-id='{escape(row['id'])}'><h4>{escape(label)}</h4>"
            f"<p>{year} · {escape(metric_name)}</p><table>{body}</table>{more}</div>")


def monitor_legend(comparison: dict, lang: str) -> str:
    items = "".join(f"<li>{swatch({'kind': 'area', 'colour': colour})}<span>"
                    f"{escape(tr(lang, *STATUS_LABELS[status]))}</span></li>"
                    for status, colour in STATUS_COLOURS.items())
    heading = tr(lang, f"{comparison['year']}年实际与目标", f"{comparison['year']}: actual against target")
    note = tr(lang, "圆圈面积：目标与实际中较大者", "Circle area: the larger of target and actual")
    size = "" if comparison["level"] == "city" else f"<p class='note'>{escape(note)}</p>"
    return f"<h5>{escape(heading)}</h5><ul>{items}</ul>{size}"
