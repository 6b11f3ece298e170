"""The verdict map of a parcel check: the checked parcels, coloured by verdict, on the parks and
zones around them (dashed when schematic), with parcels already in the ledger and county
boundaries for orientation. Built on :class:`layers.web.offline.OfflineMap`: nothing from a CDN.
Leaflet shows tooltips as HTML, so every text in them is escaped."""

from __future__ import annotations

from html import escape

import folium
import geopandas as gpd
import shapely

from layers.labels import tr
from layers.legend import Legend, swatch
from layers.styles import ALLOCATED_COLOUR, VERDICT_COLOURS
from layers.web.basemap import BasemapSpec, add_basemap
from layers.web.geojson import to_geojson_dict
from layers.web.mapstyle import footprint_style
from layers.web.offline import VENDOR_BASE, OfflineMap, add_tile_layer
from parks.checks import FAIL, PASS, REVIEW, VERDICT_LABELS

COUNTY_STYLE = {"color": "#999999", "weight": 1, "fill": False}
LAYER_OF_KIND = {"park": "parks", "zone": "zones"}
#: the map shows what lies within this many degrees (~5 km) of the parcels
MARGIN_DEG = 0.05
#: parcels drawn on the page map; a bigger upload is summarised in the table and the CSV
MAX_DRAWN = 3000


def _near(gdf: gpd.GeoDataFrame | None, bbox) -> gpd.GeoDataFrame | None:
    if gdf is None or gdf.empty:
        return None
    near = gdf[gdf.geometry.notna() & gdf.geometry.intersects(bbox)]
    return near if not near.empty else None


def _legend(lang: str) -> str:
    items = [{"kind": "area", "colour": VERDICT_COLOURS[v], "label": tr(lang, *VERDICT_LABELS[v])}
             for v in (PASS, REVIEW, FAIL)]
    items += [
        {"kind": "area", "colour": ALLOCATED_COLOUR,
         "label": tr(lang, "已预留/批准的地块", "Parcels already reserved/approved")},
        {"kind": "area", "colour": "#d1495b", "dash": "4 3",
         "label": tr(lang, "园区（虚线：示意范围）", "Park (dashed: schematic)")},
        {"kind": "area", "colour": "#00798c", "dash": "4 3",
         "label": tr(lang, "高新区（虚线：示意范围）", "Zone (dashed: schematic)")},
    ]
    rows = "".join(f"<li>{swatch(i)}<span>{escape(i['label'])}</span></li>" for i in items)
    note = tr(lang, "虚线范围为示意，不是正式红线。", "Dashed extents are schematic, not red lines.")
    return f"<h5>{escape(tr(lang, '图例', 'Legend'))}</h5><ul>{rows}</ul><p class=\"note\">{escape(note)}</p>"


def parcel_map(rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, lang: str,
               allocations: gpd.GeoDataFrame | None = None, counties: gpd.GeoDataFrame | None = None,
               vendor_base: str = VENDOR_BASE, tile_url: str = "", tile_attribution: str = "",
               tile_key: str = "", basemap: BasemapSpec | None = None) -> folium.Map:
    """A map of checked parcels (``rows`` of :class:`parks.checks.CheckResult`) on ``areas``
    (:func:`parks.checks.quota_areas`), with ``allocations`` (active ledger parcels) and
    ``counties`` drawn where they are near."""
    drawn = rows.iloc[:MAX_DRAWN]
    minx, miny, maxx, maxy = drawn.total_bounds
    view = shapely.box(minx - MARGIN_DEG, miny - MARGIN_DEG, maxx + MARGIN_DEG, maxy + MARGIN_DEG)
    m = OfflineMap(control_scale=True, vendor_base=vendor_base, max_zoom=19)
    add_tile_layer(m, tile_url, tile_attribution, tr(lang, "在线底图", "Online basemap"), key=tile_key)
    add_basemap(m, basemap, lang=lang, raster=bool(tile_url))

    county = _near(counties, view)
    if county is not None:
        folium.GeoJson(to_geojson_dict(county[["geometry"]]),
                       name=tr(lang, "县界", "County boundaries"), style_function=lambda f: COUNTY_STYLE,
                       interactive=False).add_to(m)

    near_areas = _near(areas, view)
    if near_areas is not None:
        fc = to_geojson_dict(near_areas)
        for f in fc["features"]:
            p = f["properties"]
            p["tip"] = escape(p["name_zh"] if lang == "zh" else p["name_en"])
        folium.GeoJson(fc, name=tr(lang, "园区与高新区", "Parks and zones"),
                       style_function=lambda f: footprint_style(LAYER_OF_KIND[f["properties"]["kind"]],
                                                                f["properties"]),
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)

    near_allocs = _near(allocations, view)
    if near_allocs is not None:
        fc = to_geojson_dict(near_allocs[["alloc_id", "status", "label", "geometry"]])
        for f in fc["features"]:
            p = f["properties"]
            p["tip"] = escape(f"{tr(lang, '台账', 'Ledger')} #{p['alloc_id']} {p['label']} ({p['status']})")
        folium.GeoJson(fc, name=tr(lang, "已预留/批准", "Reserved/approved"),
                       style_function=lambda f: {"color": ALLOCATED_COLOUR, "weight": 1,
                                                 "fillColor": ALLOCATED_COLOUR, "fillOpacity": 0.35},
                       tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)

    parcels = gpd.GeoDataFrame({
        "no": drawn["no"].astype(int), "verdict": drawn["verdict"],
        "tip": [escape(f"{int(r.no)}. {r.label} — {tr(lang, *VERDICT_LABELS[r.verdict])}")
                for r in drawn.itertuples()]}, geometry=drawn.geometry.values, crs=drawn.crs)
    folium.GeoJson(to_geojson_dict(parcels), name=tr(lang, "核查地块", "Checked parcels"),
                   style_function=lambda f: {"color": VERDICT_COLOURS[f["properties"]["verdict"]],
                                             "weight": 2, "fillOpacity": 0.45,
                                             "fillColor": VERDICT_COLOURS[f["properties"]["verdict"]]},
                   tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False)).add_to(m)

    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(30, 30))
    folium.LayerControl(collapsed=True).add_to(m)
    Legend(_legend(lang), position="bottomright").add_to(m)
    return m
