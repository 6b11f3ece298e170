"""Maps of the planners' views: a park's surroundings, built-up area, and revenue by city.

Each builder returns an :class:`~layers.web.offline.OfflineMap`; the figures drawn come from
:mod:`parks.summary` and :mod:`parks.nearby`, so a page's table and its map agree.
"""

from __future__ import annotations

import math
from html import escape

import folium
import geopandas as gpd
import pandas as pd

from layers.labels import basis_badge, city, num, pick, tr
from layers.legend import Legend, swatch
from layers.styles import LAYER_COLOURS, NO_VALUE_COLOUR, SEQUENTIAL_RAMP, ramp_colour
from layers.web.geojson import to_geojson_dict
from layers.web.mapstyle import boundary_style
from layers.web.offline import VENDOR_BASE, OfflineMap
from layers.web.overview import HENAN_BBOX, DetailUrl, feature_collection, thematic_layer, title
from layers.web.popups import popup_html
from parks import provenance as pv
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import Catalog
from parks.footprints import circle_footprint
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
             detail_url: DetailUrl | None = None, vendor_base: str = VENDOR_BASE) -> folium.Map | None:
    """The park's schematic footprint, what :func:`parks.nearby.nearby` found around it, and the
    county boundaries there; None for an unlocated park."""
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
        gdf = catalog.layer(name)
        ids = set(shown.loc[shown["layer"] == name, "id"])
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


def built_up_map(catalog: Catalog, *, lang: str, detail_url: DetailUrl | None = None,
                 vendor_base: str = VENDOR_BASE) -> folium.Map:
    """Candidate parks with schematic footprints of their derived 2012 and 2013 built-up areas."""
    m = _province_map(vendor_base)
    _boundaries(m, catalog.boundaries("city", BOUNDARY_TOLERANCE_M), "city", lang)
    parks = catalog.layer("parks")
    located = parks[parks.geometry.notna() & parks["a12_km2"].notna()]  # no figure, no circle
    inner = gpd.GeoDataFrame(
        located[["id", "name_zh", "name_en", "a12_km2"]],
        geometry=[circle_footprint(r.lon, r.lat, r.a12_km2) for r in located.itertuples()],
        crs=parks.crs)
    colour = LAYER_COLOURS["parks"]
    folium.GeoJson(to_geojson_dict(inner), name=tr(lang, "2012年推算建成面积（示意）",
                                                   "2012 derived built-up area (schematic)"),
                   style={"color": colour, "weight": 1, "dashArray": "2 3", "fillColor": colour,
                          "fillOpacity": 0.35}).add_to(m)
    fc, styles = feature_collection("parks", parks, lang, detail_url)
    thematic_layer("parks", fc, styles, lang).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def symbol_radius(value: float, vmax: float) -> float:
    """Proportional symbol radius in px: area proportional to the value."""
    return round(SYMBOL_MAX_PX * math.sqrt(value / vmax), 1)


def revenue_map(catalog: Catalog, by_city: pd.DataFrame, clusters: pd.DataFrame, *, year: int,
                lang: str, vendor_base: str = VENDOR_BASE) -> folium.Map:
    """Cities coloured by the derived revenue of the candidate parks in them (``by_city`` from
    :func:`parks.summary.revenue_by_city`), and proportional symbols for the clusters' sourced
    revenue figures (``clusters`` from :func:`parks.summary.cluster_revenue`)."""
    m = _province_map(vendor_base)
    field = "rev12_yi" if year == 2012 else "rev13_yi"
    cities = catalog.boundaries("city", BOUNDARY_TOLERANCE_M)[["name_zh", "geometry"]]
    cities = cities.merge(by_city[["city", "parks", field]], left_on="name_zh", right_on="city")
    vmax = float(cities[field].max() or 0)
    unit = tr(lang, "亿元", "100M yuan")
    features = to_geojson_dict(cities)["features"]
    for f in features:
        p = f["properties"]
        value = p[field]
        p["popup"] = (f"<div class='atlas-popup'><h4>{escape(city(p['name_zh'], lang))}</h4><p>"
                      + tr(lang, f"候选园区 {p['parks']} 个", f"{p['parks']} candidate park(s)")
                      + f"<br>{year}: {escape(num(value))} {unit} {basis_badge(pv.DERIVED, lang)}</p></div>")
        p["tip"] = escape(city(p["name_zh"], lang))
        p["style"] = {"color": "#666666", "weight": 1, "fillColor": ramp_colour(value, vmax),
                      "fillOpacity": 0.85}
    folium.GeoJson({"type": "FeatureCollection", "features": features},
                   name=tr(lang, f"{year}年候选园区推算收入（按市）", f"{year} derived park revenue by city"),
                   style_function=lambda f: f["properties"]["style"],
                   popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False),
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)
    sourced = clusters[clusters["rev_yi"].notna() & clusters["located"]]
    smax = float(sourced["rev_yi"].max()) if len(sourced) else 0.0
    layer = catalog.layer("clusters")
    symbols = []
    for row in sourced.itertuples():
        props = layer[layer["id"] == row.id].iloc[0].to_dict()
        style = {"radius": symbol_radius(row.rev_yi, smax), "color": "#ffffff", "weight": 1.5, "fill": True,
                 "fillColor": LAYER_COLOURS["clusters"], "fillOpacity": 0.75}
        symbols.append({"type": "Feature", "id": row.id,
                        "geometry": {"type": "Point", "coordinates": [props["lon"], props["lat"]]},
                        "properties": {"popup": popup_html("clusters", props, lang), "style": style,
                                       "tip": escape(f"{pick(props, 'name', lang)}: {num(row.rev_yi)} {unit}")}})
    if symbols:
        folium.GeoJson({"type": "FeatureCollection", "features": symbols},
                       name=tr(lang, "集群收入（有出处）", "Cluster revenue (sourced)"),
                       style_function=lambda f: f["properties"]["style"], marker=folium.CircleMarker(),
                       popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False),
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    Legend(revenue_legend(vmax, smax, year, lang), title=tr(lang, "图例", "Legend")).add_to(m)
    return m


def revenue_legend(vmax: float, smax: float, year: int, lang: str) -> str:
    unit = tr(lang, "亿元", "100M yuan")
    step = vmax / len(SEQUENTIAL_RAMP) if vmax else 0
    rows = [f"<li>{swatch({'kind': 'area', 'colour': NO_VALUE_COLOUR})}"
            f"<span>{tr(lang, '无候选园区', 'no candidate park')}</span></li>"]
    for i, colour in enumerate(SEQUENTIAL_RAMP):
        rows.append(f"<li>{swatch({'kind': 'area', 'colour': colour})}"
                    f"<span>{num(step * i, 1)}–{num(step * (i + 1), 1)} {unit}</span></li>")
    parts = [f"<h5>{tr(lang, f'{year}年推算园区收入（按市）', f'{year} derived park revenue by city')}</h5>"
             f"<ul>{''.join(rows)}</ul>"]
    if smax:
        sizes = "".join(
            f"<li><svg width='{2 * SYMBOL_MAX_PX + 4}' height='{2 * symbol_radius(v, smax) + 4}'>"
            f"<circle cx='{SYMBOL_MAX_PX + 2}' cy='{symbol_radius(v, smax) + 2}' r='{symbol_radius(v, smax)}'"
            f" fill='{LAYER_COLOURS['clusters']}' fill-opacity='0.75'/></svg>"
            f"<span>{num(v)} {unit}</span></li>" for v in (smax, smax / 2))
        heading = tr(lang, "集群收入（有出处，年份见弹窗）", "Cluster revenue (sourced; year in popup)")
        parts.append(f"<h5>{heading}</h5><ul>{sizes}</ul>")
    return "".join(parts)
