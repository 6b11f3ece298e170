"""The map body of a printed sheet, drawn with the shared grammar of :mod:`layers.styles`.

Colour says the layer, a dashed outline a schematic footprint, the marker the coordinate
precision — as on screen. Footprints too small to see at the sheet's scale also get a symbol
at their centre. Every artist carries a ``gid`` (kept as ``id`` in SVG) naming what it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from geo.crs import CGCS2000, transform_geoms
from layers.labels import city as city_name
from layers.labels import num, pick, tr
from layers.print import fonts
from layers.print.placement import LabelRequest, dodge
from layers.styles import (
    BASIS_MPL_LINESTYLE,
    BOUNDARY_STYLE,
    FOOTPRINT_FILL_OPACITY,
    LAYER_COLOURS,
    PLACE_COLOURS,
    PRECISION_MARKER,
    RIVER_COLOUR,
    WATER_COLOUR,
    colour_for,
    ramp_colour,
)

#: Leaflet radii are CSS pixels; on paper a marker of radius r px is drawn r × this many points
PT_PER_PX = 0.55
#: a footprint narrower than this on paper also gets a centre symbol
SMALL_FOOTPRINT_MM = 3.0
#: more features than this in the frame are printed as counted clusters, in cells of this size
PRINT_MAX_FEATURES = 2_000
CLUSTER_CELL_MM = 8.0
#: label priority per layer (lower is placed first)
LABEL_PRIORITY = {"parks": 1, "zones": 2, "foxconn": 4, "clusters": 5, "projects": 6}
CITY_PRIORITY = 0
#: basemap place names per rank (1 city, 2 county, 3 town): (font size, dot radius, 0 for none),
#: and label priority (cities after the parks' and zones' labels, the others after every layer)
PLACE_LOOK = {1: (7.0, 1.8), 2: (6.5, 0), 3: (5.6, 1.1)}
PLACE_PRIORITY = {1: 3, 2: 8, 3: 9}
#: rivers at least this long (km) are drawn a little wider
MAJOR_RIVER_KM = 300.0
LAND = "#f6f4ee"
#: matplotlib draws in points; Leaflet line weights are pixels
PT_PER_LINE_PX = 0.6


def dash(text: str | None):
    """A Leaflet dashArray ("4 3") as a matplotlib line style."""
    return (0, tuple(float(v) for v in text.split())) if text else "solid"


def polygon_path(geoms) -> Path | None:
    """One compound path of every ring of ``geoms`` (exteriors counter-clockwise, holes clockwise,
    so the default non-zero fill leaves holes empty)."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    parts = parts[shapely.get_type_id(parts) == 3]
    if not len(parts):
        return None
    rings = shapely.get_rings(shapely.orient_polygons(parts))
    coords, index = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    codes[starts] = Path.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = Path.CLOSEPOLY
    return Path(coords, codes)


def short_name(row: dict, layer: str, lang: str) -> str:
    """A map label: the name up to its first clause, with a parenthesis left open closed."""
    name = pick(row, "name", lang)
    cut = r"[；;，,]" if layer == "parks" else r"[；;，,：:]|（| \("
    name = re.split(cut, name, maxsplit=1)[0].strip()
    if name.count("（") > name.count("）"):
        name += "）"
    if name.count("(") > name.count(")"):
        name += ")"
    return name.replace("高新技术产业开发区", "高新区")


@dataclass
class Symbol:
    """A point symbol waiting to be drawn (after coincident symbols are spread apart)."""

    x: float
    y: float
    layer: str
    marker: str  # "s" square: a footprint too small to see; "o" circle: a point
    radius_pt: float
    face: tuple
    edge: str
    linestyle: object
    label: str
    label_size: float
    label_colour: str


@dataclass
class MapCanvas:
    """The map axes and what the layers drawn on it have asked for."""

    ax: object
    crs: object
    lang: str
    scale: float  # paper size relative to A4
    units_per_mm: float  # map units (metres) per millimetre of paper
    labels: list[LabelRequest] = field(default_factory=list)
    symbols: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, radius pt
    pending: list[Symbol] = field(default_factory=list)
    fictional: bool = False
    displaced: bool = False
    aggregated: dict = field(default_factory=dict)  # layer -> features printed as counted clusters
    drawn: dict = field(default_factory=dict)  # layer -> colours drawn; "precision" -> classes

    def project(self, gdf):
        return transform_geoms(np.asarray(gdf.geometry.values, dtype=object), CGCS2000, self.crs)

    @property
    def frame_lonlat(self):
        """The map frame as a CGCS2000 polygon."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        frame = shapely.segmentize(shapely.box(x0, y0, x1, y1), (x1 - x0) / 20)
        return transform_geoms(frame, self.crs, CGCS2000)

    def visible(self, gdf):
        """The located features of ``gdf`` inside the frame."""
        gdf = gdf[gdf.geometry.notna()]
        return gdf[gdf.intersects(self.frame_lonlat)]

    def mark_drawn(self, key: str, value: str) -> None:
        self.drawn.setdefault(key, set()).add(value)

    def pt_to_units(self, pt: float) -> float:
        return pt / 72 * 25.4 * self.units_per_mm

    def label_style(self, size: float, colour: str, *, halo: bool = True) -> dict:
        style = {"fontproperties": fonts.props(size * self.scale), "color": colour, "zorder": 20}
        if halo:
            style["bbox"] = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.75}
        return style

    def add_label(self, x, y, text, layer, radius_pt, *, size=6.5, colour="#222222"):
        priority = LABEL_PRIORITY.get(layer, 9)
        self.labels.append(LabelRequest(x, y, text, priority, radius_pt, self.label_style(size, colour),
                                        gid=f"label-{layer}", far=priority <= 2))


def _flag_fictional(canvas: MapCanvas, gdf) -> None:
    if gdf.attrs.get("fictional") or ("fictional" in gdf.columns and gdf["fictional"].astype(bool).any()):
        canvas.fictional = True


def draw_boundaries(canvas: MapCanvas, boundaries: dict, focus=None) -> None:
    """Land tint, county, city and province lines; outside ``focus`` (a city) is greyed."""
    ax = canvas.ax
    province = boundaries.get("province")
    if province is not None and len(province):
        path = polygon_path(canvas.project(province))
        ax.add_artist(PathPatch(path, fc=LAND, ec="none", zorder=0, gid="land"))
    for level, zorder in (("county", 1), ("city", 2), ("province", 3)):
        gdf = boundaries.get(level)
        if gdf is None or not len(gdf):
            continue
        style = BOUNDARY_STYLE[level]
        path = polygon_path(canvas.project(gdf))
        if path is not None:
            ax.add_artist(PathPatch(path, fc="none", ec=style["color"],
                                   lw=style["weight"] * PT_PER_LINE_PX * canvas.scale,
                                   zorder=zorder, gid=f"boundary-{level}", joinstyle="round"))
    if focus is not None:
        frame = shapely.box(ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1])
        outside = shapely.difference(frame, transform_geoms(focus, CGCS2000, canvas.crs))
        ax.add_artist(PathPatch(polygon_path([outside]), fc="white", ec="none", alpha=0.55, zorder=4,
                               gid="outside-mask"))


def draw_water(canvas: MapCanvas, rivers, lakes) -> None:
    """The basemap's rivers and lakes in the frame, light blue over the land tint and under
    every boundary and thematic layer; rivers longer than :data:`MAJOR_RIVER_KM` a little wider."""
    frame = canvas.frame_lonlat
    lakes = lakes[lakes.intersects(frame)]
    path = polygon_path(canvas.project(lakes)) if len(lakes) else None
    if path is not None:
        canvas.ax.add_artist(PathPatch(path, fc=WATER_COLOUR, ec=RIVER_COLOUR, lw=0.3 * canvas.scale,
                                       zorder=0.6, gid="basemap-lakes"))
    rivers = rivers[rivers.intersects(frame)]
    if not len(rivers):
        return
    parts, index = shapely.get_parts(canvas.project(rivers), return_index=True)
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    lines = np.split(coords, np.flatnonzero(np.diff(owner)) + 1)
    major = rivers["length_km"].to_numpy(float)[index] >= MAJOR_RIVER_KM
    canvas.ax.add_collection(LineCollection(
        lines, colors=RIVER_COLOUR, linewidths=np.where(major, 0.9, 0.5) * canvas.scale, zorder=0.5,
        capstyle="round", joinstyle="round", gid="basemap-rivers"), autolim=False)


def place_names(canvas: MapCanvas, places, max_rank: int, *, focus=None, counties=None) -> None:
    """Ask for the names of the basemap's places up to ``max_rank`` in the frame, in the sheet's
    language: cities and towns beside a dot at their point; counties centred in the part of
    their area (``counties``, the county boundaries) the frame shows, so a park sheet names the
    counties it lies in (a county's point is not always its seat either). Towns only inside
    ``focus`` (a city's outline) when given. A name the sheet already gives a bigger place (济源
    the city and the county) is given once. Cities are placed after the parks and zones, the
    others after every layer."""
    places = places[places["rank"] <= max_rank]
    if counties is not None and max_rank >= 2:
        places = _county_points(places, counties, canvas.frame_lonlat)
    places = canvas.visible(places)
    if focus is not None:
        places = places[(places["rank"] < 3) | places.intersects(focus)]
    places = places.assign(label=[pick(row, "name", canvas.lang) for row in places.to_dict("records")])
    places = places.sort_values("rank", kind="stable").drop_duplicates("label")
    if not len(places):
        return
    xy = shapely.get_coordinates(canvas.project(places))
    for (x, y), row in zip(xy, places.to_dict("records"), strict=True):
        rank = int(row["rank"])
        size, dot = PLACE_LOOK[rank]
        canvas.labels.append(LabelRequest(
            x, y, row["label"], PLACE_PRIORITY[rank], (dot or 6) * canvas.scale,
            canvas.label_style(size, PLACE_COLOURS[rank], halo=False), centred=not dot,
            far=rank == 1, gid=f"label-place-{row['kind']}", marked=bool(dot)))


def _county_points(places, counties, frame):
    """``places`` with each county's point moved into the part of its area inside ``frame``."""
    areas = counties[counties.intersects(frame)]
    county = (places["kind"] == "county").to_numpy()
    inside = gpd.sjoin(places[county][["geometry"]], areas[["geometry"]], predicate="within")
    inside = inside[~inside.index.duplicated()]
    moved = places.copy()
    visible = shapely.intersection(areas.geometry.loc[inside["index_right"]].to_numpy(), frame)
    moved.loc[inside.index, "geometry"] = shapely.point_on_surface(visible)
    return moved


def draw_place_dots(canvas: MapCanvas, placed: list[LabelRequest]) -> None:
    """The dots of the basemap places whose names were placed."""
    marked = [r for r in placed if r.marked]
    if marked:
        canvas.ax.scatter([r.x for r in marked], [r.y for r in marked],
                          s=[(2 * r.radius_pt) ** 2 for r in marked],
                          fc=[r.style["color"] for r in marked],
                          ec="white", lw=0.4 * canvas.scale, zorder=5, gid="basemap-places")


def area_labels(canvas: MapCanvas, areas, *, size: float = 7.5, colour: str = "#777777",
                priority: int = CITY_PRIORITY, gid: str = "label-city") -> None:
    """Names of cities (or counties) at a point inside each, shifted a little if need be."""
    if areas is None or not len(areas):
        return
    points = shapely.point_on_surface(canvas.project(areas))
    for name, pt in zip(areas["name_zh"], points, strict=True):
        canvas.labels.append(LabelRequest(pt.x, pt.y, city_name(name, canvas.lang), priority,
                                          8 * canvas.scale, canvas.label_style(size, colour, halo=False),
                                          centred=True, gid=gid))


def draw_footprints(canvas: MapCanvas, name: str, gdf, *, labels: bool = True) -> None:
    """Polygons (parks, zones) at true size, dashed when schematic; one too small to see on
    paper also gets a square symbol at its centre."""
    gdf = canvas.visible(gdf)
    if not len(gdf):
        return
    _flag_fictional(canvas, gdf)
    canvas.mark_drawn(name, LAYER_COLOURS[name])
    geoms = canvas.project(gdf)
    colour = LAYER_COLOURS[name]
    for basis in gdf["geom_basis"].unique():
        mask = (gdf["geom_basis"] == basis).to_numpy()
        canvas.ax.add_artist(PathPatch(
            polygon_path(geoms[mask]), fc=to_rgba(colour, FOOTPRINT_FILL_OPACITY * 2), ec=colour,
            lw=1.2 * canvas.scale, ls=BASIS_MPL_LINESTYLE.get(basis, "solid"), zorder=6, gid=f"layer-{name}"))
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    bounds = shapely.bounds(geoms)
    widths_pt = (bounds[:, 2] - bounds[:, 0]) / canvas.units_per_mm / 25.4 * 72
    label_colour = "#8c1c2c" if name == "parks" else "#0b4f5a"
    size = 7.0 if name == "parks" else 6.3
    for (x, y), row, width in zip(xy, gdf.to_dict("records"), widths_pt, strict=True):
        text = short_name(row, name, canvas.lang) if labels else ""
        if width / 72 * 25.4 < SMALL_FOOTPRINT_MM:
            canvas.pending.append(Symbol(x, y, name, "s", 4.2 * canvas.scale, to_rgba(colour, 0.45), colour,
                                         (0, (2, 1.5)), text, size, label_colour))
        elif text:
            canvas.add_label(x, y, text, name, width / 2, size=size, colour=label_colour)


def draw_points(canvas: MapCanvas, name: str, gdf, *, labels: bool = True) -> None:
    """Points (foxconn, projects, clusters): colour by layer, marker by coordinate precision."""
    gdf = canvas.visible(gdf)
    if not len(gdf):
        return
    _flag_fictional(canvas, gdf)
    xy = shapely.get_coordinates(canvas.project(gdf))
    for (x, y), row in zip(xy, gdf.to_dict("records"), strict=True):
        precision = row.get("loc_prec") if row.get("loc_prec") in PRECISION_MARKER else "district"
        look = PRECISION_MARKER[precision]
        colour = colour_for(name, row)
        canvas.mark_drawn(name, colour)
        canvas.mark_drawn("precision", precision)
        canvas.pending.append(Symbol(x, y, name, "o", look["radius"] * PT_PER_PX * canvas.scale,
                                     to_rgba(colour, look["fill_opacity"]), colour, dash(look["dash"]),
                                     short_name(row, name, canvas.lang) if labels else "", 5.8, "#222222"))


def draw_clusters(canvas: MapCanvas, name: str, gdf) -> None:
    """Too many features to print one by one: count them in cells of :data:`CLUSTER_CELL_MM`
    on paper, as the map's tiles do, and print each cell as a circle with its count."""
    draw_counts(canvas, name, shapely.get_coordinates(shapely.point_on_surface(canvas.project(gdf))))


def draw_counts(canvas: MapCanvas, name: str, xy: np.ndarray) -> None:
    """Features at ``xy`` (the sheet's CRS) as circles with their number per paper cell."""
    cells = np.floor(xy / (CLUSTER_CELL_MM * canvas.units_per_mm)).astype(np.int64)
    grouped = pd.DataFrame({"cx": cells[:, 0], "cy": cells[:, 1], "x": xy[:, 0], "y": xy[:, 1]}) \
        .groupby(["cx", "cy"]).agg(x=("x", "mean"), y=("y", "mean"), count=("x", "size"))
    colour = LAYER_COLOURS[name]
    radius_pt = (3.2 + 2.2 * np.log10(grouped["count"].to_numpy())) * canvas.scale
    canvas.ax.scatter(grouped["x"], grouped["y"], s=(2 * radius_pt) ** 2, fc=to_rgba(colour, 0.8), ec="white",
                      lw=0.6 * canvas.scale, zorder=8, gid=f"clusters-{name}")
    for x, y, count in zip(grouped["x"], grouped["y"], grouped["count"], strict=True):
        canvas.ax.text(x, y, f"{count:,}", ha="center", va="center", color="white", zorder=9,
                       fontproperties=fonts.props(4.2 * canvas.scale), gid=f"cluster-count-{name}")
    canvas.mark_drawn("aggregated", name)
    canvas.aggregated[name] = len(xy)


def draw_layer(canvas: MapCanvas, name: str, gdf, **kw) -> None:
    """A layer's features, or their counted clusters when more than :data:`PRINT_MAX_FEATURES`
    lie in the frame."""
    visible = canvas.visible(gdf)
    if len(visible) > PRINT_MAX_FEATURES:
        _flag_fictional(canvas, visible)
        draw_clusters(canvas, name, visible)
        return
    (draw_footprints if name in ("parks", "zones") else draw_points)(canvas, name, visible, **kw)


def draw_symbols(canvas: MapCanvas) -> None:
    """Draw the pending symbols of every layer, spreading those that would cover each other."""
    pending = canvas.pending
    if not pending:
        return
    xy = np.array([(p.x, p.y) for p in pending])
    biggest = max(p.radius_pt for p in pending)
    spread = dodge(xy, canvas.pt_to_units(1.5 * biggest))
    canvas.displaced = bool(np.any(np.abs(spread - xy) > 1e-6))
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(pending):
        groups.setdefault((p.layer, p.marker, p.radius_pt, str(p.linestyle)), []).append(i)
    for (layer, marker, radius, _), idx in groups.items():
        first = pending[idx[0]]
        canvas.ax.scatter(spread[idx, 0], spread[idx, 1], s=(2 * radius) ** 2, marker=marker,
                          fc=[pending[i].face for i in idx], ec=[pending[i].edge for i in idx],
                          lw=1.1 * canvas.scale, linestyles=first.linestyle, zorder=7 if marker == "s" else 8,
                          gid=f"layer-{layer}" if marker == "o" else f"symbol-{layer}")
    for (x, y), p in zip(spread, pending, strict=True):
        canvas.symbols.append((x, y, p.radius_pt))
        if p.label:
            canvas.add_label(x, y, p.label, p.layer, p.radius_pt, size=p.label_size,
                             colour=p.label_colour)
    pending.clear()


# --- themes ---------------------------------------------------------------------------------

def draw_revenue_theme(canvas: MapCanvas, revenue: dict, cities, clusters) -> dict:
    """As on screen: cities coloured by the derived revenue of their candidate parks (equal
    intervals of the shared ramp), clusters' sourced revenue as circles of proportional area."""
    table = revenue["cities"].set_index("city")
    values = cities["name_zh"].map(table["rev13_yi"]).to_numpy(dtype=float)
    vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    paths = [polygon_path([g]) for g in canvas.project(cities)]
    canvas.ax.add_collection(PathCollection(
        paths, facecolors=[to_rgba(ramp_colour(v, vmax), 0.85) for v in values], edgecolors="none",
        zorder=1, gid="theme-choropleth"), autolim=False)
    sized = clusters[clusters.geometry.notna() & clusters["rev_yi"].notna()].sort_values(
        "rev_yi", ascending=False)
    smax = float(sized["rev_yi"].max()) if len(sized) else 0.0
    if len(sized):
        _flag_fictional(canvas, sized)
        xy = shapely.get_coordinates(canvas.project(sized))
        radii = proportional_radius_pt(sized["rev_yi"].to_numpy(float), smax, canvas.scale)
        canvas.ax.scatter(xy[:, 0], xy[:, 1], s=(2 * radii) ** 2, fc=to_rgba(LAYER_COLOURS["clusters"], 0.75),
                          ec="white", lw=1.2 * canvas.scale, zorder=9, gid="theme-cluster-revenue")
        for (x, y), r, row in zip(xy, radii, sized.to_dict("records"), strict=True):
            year = row["rev_year"] if re.fullmatch(r"\d{4}", str(row["rev_year"])) else \
                tr(canvas.lang, "年份未注明", "year not stated")
            text = f"{short_name(row, 'clusters', canvas.lang)} {num(row['rev_yi'])} " \
                   f"{tr(canvas.lang, '亿元', '× 100M yuan')}（{year}）"
            canvas.labels.append(LabelRequest(x, y, text, 0, float(r),
                                              canvas.label_style(6.5, "#3d2a5c"), gid="label-theme",
                                              far=True))
            canvas.symbols.append((x, y, 2.0))
    return {"vmax": vmax, "smax": smax}


#: the largest cluster circle has this radius (pt, on A4), as SYMBOL_MAX_PX on screen
SYMBOL_MAX_PT = 18.0


def proportional_radius_pt(values, vmax: float, scale: float) -> np.ndarray:
    """Radius in points so that circle area is proportional to the value."""
    return SYMBOL_MAX_PT * scale * np.sqrt(np.asarray(values, float) / vmax)


#: built-up symbols: a circle of this radius (pt, on A4) stands for BUILTUP_REF_KM2
BUILTUP_REF_KM2, BUILTUP_REF_PT = 4.0, 9.0


def builtup_radius_pt(km2, scale: float) -> np.ndarray:
    return BUILTUP_REF_PT * scale * np.sqrt(np.asarray(km2, float) / BUILTUP_REF_KM2)


def draw_builtup_theme(canvas: MapCanvas, parks) -> None:
    """Each located candidate: derived 2013 built-up area (ring) over 2012 (disc), area to scale."""
    located = parks[parks.geometry.notna() & (parks["slot"] > 0)]
    if not len(located):
        return
    _flag_fictional(canvas, located)
    xy = shapely.get_coordinates(shapely.centroid(canvas.project(located)))
    r13 = builtup_radius_pt(located["a13_km2"], canvas.scale)
    r12 = builtup_radius_pt(located["a12_km2"], canvas.scale)
    xy = dodge(xy, canvas.pt_to_units(2.1 * r13.max()))
    colour = LAYER_COLOURS["parks"]
    canvas.ax.scatter(xy[:, 0], xy[:, 1], s=(2 * r13) ** 2, fc=to_rgba(colour, 0.12), ec=colour,
                      lw=1.1 * canvas.scale, linestyles=(0, (3, 2)), zorder=9, gid="theme-builtup-2013")
    canvas.ax.scatter(xy[:, 0], xy[:, 1], s=(2 * r12) ** 2, fc=to_rgba(colour, 0.75), ec="none", zorder=10,
                      gid="theme-builtup-2012")
    for (x, y), r, row in zip(xy, r13, located.to_dict("records"), strict=True):
        canvas.symbols.append((x, y, float(r)))
        text = f"{short_name(row, 'parks', canvas.lang)}\n{num(row['a12_km2'])} → {num(row['a13_km2'])} km²"
        canvas.labels.append(LabelRequest(x, y, text, 1, float(r),
                                          canvas.label_style(6.3, "#8c1c2c"), gid="label-theme"))
