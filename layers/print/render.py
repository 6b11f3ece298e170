"""Print-quality sheets: one map of a scope as PNG, SVG or PDF, with its provenance inside.

``render(catalog, options)`` loads what the sheet needs and returns the file's bytes. Drawing
uses matplotlib's object-oriented API only (a :class:`~matplotlib.figure.Figure` with its own
Agg canvas, never pyplot), so renders in concurrent request threads share no state. Every file
records the data version and the time it was made (PNG text chunks, PDF info dictionary, SVG
``<metadata>``); if any drawn feature is fictional, the sheet is watermarked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from geo.crs import CGCS2000, transform_geoms
from layers.labels import (
    actuals_note,
    basis_label,
    city,
    field_basis,
    figure_pair,
    layer_title,
    missing,
    num,
    recorded_actuals,
    tr,
)
from layers.legend import keyed_sections
from layers.print import furniture, locator, printmap
from layers.print.big_layer import BigLayer, sheet_layer
from layers.print.placement import place_labels
from layers.print.scope import Scope, fit_frame, resolve_scope
from layers.print.sheet import SheetOptions
from layers.styles import LAYER_COLOURS, NO_VALUE_COLOUR, PRECISION_MARKER, SEQUENTIAL_RAMP
from parks import provenance as pv
from parks import summary
from parks.actuals import FIGURE_RANK, with_actuals
from parks.basemap import ATTRIBUTION as BASEMAP_CREDIT
from parks.basemap import KINDS as BASEMAP_KINDS
from parks.basemap import read_basemap
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import THEMATIC, Catalog
from parks.sources import PARK_SLOTS, plan_target

PLAN_TITLE = ("《河南省推动科技创新培育战略性新兴产业专项工作方案》（2012-11-01）",
              "Henan plan to promote S&T innovation and cultivate strategic emerging industries "
              "(2012-11-01)")
APP_NAME = "Henan SEI Atlas / 河南省战略性新兴产业地图"
#: the basemap names counties and towns on city, park and cluster sheets, and on province sheets
#: narrower than this (metres); wider, only cities
TOWN_NAMES_BELOW_M = 250_000
#: boundary simplification of the locator inset, metres (a few hundred metres are far below a
#: pixel of an inset showing the whole province)
LOCATOR_TOLERANCE_M = 500.0


@dataclass
class SheetData:
    """Everything one sheet shows, in CGCS2000, loaded from a catalog (or built by a test)."""

    scope: Scope
    boundaries: dict[str, gpd.GeoDataFrame]
    layers: dict[str, gpd.GeoDataFrame | BigLayer]
    parks: gpd.GeoDataFrame  # every park slot + second batch, for themes and notes
    clusters: gpd.GeoDataFrame
    data_version: str
    data_date: date
    theme: dict = field(default_factory=dict)
    locator: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)  # province and cities, for the inset
    #: places, rivers, lakes near the sheet, and the county areas the county names go in
    basemap: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)


@dataclass
class Rendered:
    content: bytes
    mimetype: str
    filename: str
    metadata: dict
    gids: set[str]
    pixel_of: object = None  # (lon, lat) -> (column, row) in the PNG, for checks


def data_date(catalog: Catalog) -> date:
    """The date the layers served were last written, imported versions included."""
    stamps = [catalog.path(info.name).stat().st_mtime for info in THEMATIC
              if catalog.path(info.name).exists()]
    return datetime.fromtimestamp(max(stamps)).date() if stamps else date.today()


def _clip(gdf: gpd.GeoDataFrame, lonlat_box) -> gpd.GeoDataFrame:
    return gdf[gdf.geometry.notna() & gdf.intersects(lonlat_box)]


def load(catalog: Catalog, options: SheetOptions, actuals: pd.DataFrame | None = None) -> SheetData:
    """Resolve the scope and read the layers, boundaries and theme figures the sheet needs;
    recorded ``actuals`` (:func:`parks.actuals.load`) replace the parks' derived figures."""
    scope = resolve_scope(catalog, options)
    window = shapely.box(*options.bbox) if options.bbox else scope.extent
    reach = shapely.envelope(window).buffer(0.6)  # generous: the frame is widened to the paper
    if "boundaries" in options.layers or options.theme == "revenue":
        boundaries = {level: _clip(catalog.boundaries(level, scope.tolerance_m), reach)
                      for level in ("province", "city", "county")}
    else:
        boundaries = {"province": catalog.boundaries("province", scope.tolerance_m)}
    layer_parks, clusters = catalog.layer("parks"), catalog.layer("clusters")
    parks = with_actuals(layer_parks, actuals)
    layers = {name: parks if name == "parks" else sheet_layer(catalog, name)
              for name in options.layers if name != "boundaries"}
    if scope.kind == "park":
        scope = replace(scope, feature=parks[parks["id"] == scope.key].iloc[0].to_dict())
    theme = {}
    if options.theme == "revenue":
        theme = summary.revenue_by_city(layer_parks, catalog.boundaries("city", scope.tolerance_m or 100.0),
                                        actuals=actuals)
    elif options.theme == "builtup":
        theme = summary.built_up(layer_parks, actuals=actuals)
    locator = {} if scope.kind == "province" else \
        {level: catalog.boundaries(level, LOCATOR_TOLERANCE_M) for level in ("province", "city")}
    basemap = {kind: _clip(read_basemap(kind), reach) for kind in BASEMAP_KINDS}
    basemap["counties"] = boundaries["county"] if "county" in boundaries else \
        _clip(catalog.boundaries("county", scope.tolerance_m or LOCATOR_TOLERANCE_M), reach)  # county names
    return SheetData(scope, boundaries, layers, parks, clusters, catalog.data_version(),
                     data_date(catalog), theme, locator, basemap)


# --- texts ---------------------------------------------------------------------------------

THEME_NAMES = {"layers": ("战略性新兴产业布局", "strategic emerging industries"),
               "builtup": ("示范园区候选建成面积 2012→2013", "built-up area of candidate parks, 2012→2013"),
               "revenue": ("示范园区候选收入与产业集群", "candidate-park revenue and industry clusters")}


def default_title(scope: Scope, options: SheetOptions) -> str:
    zh, en = THEME_NAMES[options.theme]
    if scope.kind == "park":
        return tr(options.lang, f"示范园区候选：{scope.name}", f"Candidate park: {scope.name}")
    if scope.kind == "cluster":
        return tr(options.lang, f"{scope.name}产业集群", f"{scope.name} industry cluster")
    return tr(options.lang, f"{scope.name}{zh}", f"{scope.name}: {en}")


def subtitle(data: SheetData, options: SheetOptions) -> str:
    lang = options.lang
    parts = [tr(lang, "依据 2012 年《河南省推动科技创新培育战略性新兴产业专项工作方案》",
                "After Henan's 2012 plan for strategic emerging industries")]
    if "parks" in options.layers or options.theme != "layers":
        parts.append(tr(lang, "示范园区为候选（未确认），范围为示意",
                        "parks shown are unconfirmed candidates with schematic extents"))
    if data.scope.kind == "park" and data.scope.feature:
        f = data.scope.feature
        area = figure_pair(f, "a12_km2", "a13_km2", "km²", lang)
        revenue = figure_pair(f, "rev12_yi", "rev13_yi", tr(lang, "亿元", "× 100M yuan"), lang)
        parts.append(tr(lang, f"2012→2013 年建成面积 {area}，主营业务收入 {revenue}",
                        f"2012→2013: built-up area {area}, revenue {revenue}"))
    if data.scope.kind == "cluster" and data.scope.feature:
        f = data.scope.feature
        if missing(f.get("rev_yi")):
            parts.append(tr(lang, "该集群无公开收入数字", "no public revenue figure for this cluster"))
        else:
            value = num(f["rev_yi"])
            parts.append(tr(lang, f"集群收入 {value} 亿元（有出处：{f.get('rnote_zh') or ''}）",
                            f"cluster revenue {value} × 100M yuan (sourced: {f.get('rnote_en') or ''})"))
    return tr(lang, "；", "; ").join(parts)


def notes(data: SheetData, options: SheetOptions, displaced: bool, aggregated: dict | None = None
          ) -> list[str]:
    """The sources-and-basis note: what each kind of figure and geometry is (and which layers
    were printed as counted clusters, ``aggregated``: layer → features)."""
    lang, n = options.lang, PARK_SLOTS
    out = [tr(lang, "数据依据：规划＝方案原文数字；有出处＝公开资料（出处见数据表）；"
                    f"推算＝由规划总数按规则推算（每个园区名额＝总数÷{n}，非统计数据）；"
                    "示意＝表示规模的示意范围，不是勘测红线。",
              "Basis: plan = stated in the plan; sourced = published figure (source in the data); "
              f"derived = computed from plan totals by a rule (each park slot = total ÷ {n}, not a "
              "statistic); schematic = an extent drawn to show size, not a surveyed boundary.")]
    if "parks" in options.layers or options.theme != "layers":
        groups = summary.slot_groups(data.parks)
        built13 = num(plan_target("parks_built_area")["value_2013"])
        out.append(tr(lang, f"{n}个省级示范园区的名单未公开。图中为{len(groups['located'])}个已定位的候选园区"
                            f"（未确认）；另有{len(groups['unlocated'])}个候选未定位、{len(groups['unidentified'])}"
                            f"个名额未查明。园区范围为面积 {built13} km²÷{n} 的示意圆。",
                      f"The official list of the {n} provincial parks is not public. Shown: "
                      f"{len(groups['located'])} located, unconfirmed candidates; "
                      f"{len(groups['unlocated'])} more candidate(s) unlocated and "
                      f"{len(groups['unidentified'])} slots unidentified. Park extents are schematic "
                      f"circles of {built13} km² ÷ {n}."))
    if options.theme == "revenue":
        plan = data.theme["plan"]
        out.append(tr(lang, f"收入：各市数值＝该市已定位候选园区的主营业务收入之和（推算值为 2013年规划"
                            f"{num(plan[2013])}亿元÷{n}＝{num(plan[2013] / n)}亿元/园区，有记录的实际数字"
                            "替代推算值）；紫色圆圈为有出处的集群公开数字（面积与数值成比例，年份见标注）。",
                      f"Revenue: each city = sum of the main-business revenue of its located candidate "
                      f"parks (derived: 2013 plan {num(plan[2013])} ÷ {n} = {num(plan[2013] / n)} "
                      "× 100M yuan per park, unless an actual figure is recorded); purple circles are "
                      "sourced cluster figures (area to scale, year as labelled)."))
    if options.theme == "builtup":
        plan = data.theme["plan"]
        out.append(tr(lang, f"建成面积：规划 2012 年 {n} 个园区合计突破 {num(plan[2012])} km²，2013 年 "
                            f"{num(plan[2013])} km² 以上；各园区为推算值（÷{n}，符号大小相同），"
                            "有记录的实际数字替代推算值。",
                      f"Built-up area: the plan states over {num(plan[2012])} km² for the {n} parks in "
                      f"2012 and at least {num(plan[2013])} km² in 2013; per-park values are derived "
                      f"(÷ {n}, so symbols have the same size) unless an actual figure is recorded."))
    cell = f"{printmap.CLUSTER_CELL_MM:g}"
    for name, count in (aggregated or {}).items():
        out.append(tr(lang, f"{layer_title(name, lang)}：{count:,} 个要素按 {cell} 毫米格网聚合显示，"
                            "圆内数字为该格要素数。",
                      f"{layer_title(name, lang)}: {count:,} features, counted in "
                      f"{cell} mm cells; each circle shows its number of features."))
    out.extend(filter(None, [actuals_note(recorded_notes(data, options), lang)]))
    if displaced:
        out.append(tr(lang, "位置相同或很近的符号已略微错开，以便都能看见。",
                      "Symbols at the same or nearby places are spread slightly so each stays visible."))
    out.append(tr(lang, f"来源：{PLAN_TITLE[0]}；点位与数字的出处见 data/sources/sites.csv。",
                  f"Source: {PLAN_TITLE[1]}; sources of locations and figures in data/sources/sites.csv."))
    return out


#: the parks' figures each kind of sheet shows
SHOWN_FIGURES = {"park": ("a12_km2", "a13_km2", "rev12_yi", "rev13_yi"),
                 "builtup": ("a12_km2", "a13_km2"), "revenue": ("rev12_yi", "rev13_yi")}


def recorded_notes(data: SheetData, options: SheetOptions) -> list[str]:
    """The recorded actual figures the sheet shows in place of derived ones, each with its
    park and source."""
    lang = options.lang
    if data.scope.kind == "park" and data.scope.feature:
        rows, fields = [data.scope.feature], SHOWN_FIGURES["park"]
    elif options.theme in SHOWN_FIGURES:
        rows = summary.slot_groups(data.parks)["located"].to_dict("records")
        fields = SHOWN_FIGURES[options.theme]
    else:
        return []
    return [text for row in rows for text in recorded_actuals(row, lang, fields, named=len(rows) > 1)]


def bases_of(parks, column: str, lang: str) -> str:
    """The bases of the located parks' figures in ``column`` ('推算、有出处')."""
    located = summary.slot_groups(parks)["located"]
    bases = sorted({field_basis(row, column) for row in located.to_dict("records")},
                   key=lambda basis: FIGURE_RANK.get(basis, 0))
    return tr(lang, "、", ", ").join(basis_label(b, lang) for b in bases) or basis_label(pv.DERIVED, lang)


def credits(lang: str) -> str:
    """The credit line of every sheet: boundaries and the basemap's sources and licences."""
    return tr(lang, f"{CREDIT_ZH}；{BASEMAP_CREDIT[0]}", f"{CREDIT_EN}; {BASEMAP_CREDIT[1]}")


def footer_lines(data: SheetData, options: SheetOptions, made: datetime) -> list[str]:
    lang = options.lang
    return [credits(lang),
            tr(lang, f"数据版本 {data.data_version}（数据日期 {data.data_date:%Y-%m-%d}）"
                     f"· 制图 {made:%Y-%m-%d %H:%M} · {APP_NAME}",
               f"Data version {data.data_version} (data date {data.data_date:%Y-%m-%d}) · made "
               f"{made:%Y-%m-%d %H:%M} · {APP_NAME}"),
            data.scope.crs_note]


# --- legend --------------------------------------------------------------------------------

def _precision_of(item: dict) -> set[str]:
    """The precision classes whose marker a legend item shows."""
    return {cls for cls, look in PRECISION_MARKER.items()
            if (look["radius"], look["fill_opacity"], look["dash"]) ==
            (item.get("radius"), item.get("fill_opacity"), item.get("dash"))}


def legend_for(options: SheetOptions, theme_info: dict, drawn: dict, parks: gpd.GeoDataFrame
               ) -> list[tuple[str, list[dict]]]:
    """The screen legend's sections, keeping only what this sheet shows, plus the theme's keys
    (naming the bases of the ``parks``' figures they show)."""
    lang = options.lang
    sections = []
    for key, title, items in keyed_sections(lang):
        if key == "layers":
            items = [it for it in items if it["colour"] in drawn.get(it["layer"], ())]
            items += [{"kind": "marker", "colour": LAYER_COLOURS[name], "radius": 6, "fill_opacity": 0.8,
                       "dash": None, "label": tr(lang, f"{layer_title(name, lang)}（聚合，圆内为要素数）",
                                                 f"{layer_title(name, lang)} (counted; number of features)")}
                      for name in sorted(drawn.get("aggregated", ()))]
        elif key == "precision":
            items = [it for it in items if _precision_of(it) & drawn.get("precision", set())]
        elif "boundaries" not in options.layers:
            items = [it for it in items if it["layer"] == "province"]
        if items:
            sections.append((title, items))
    if options.theme == "revenue":
        sections.insert(0, _revenue_keys(options, theme_info, bases_of(parks, "rev13_yi", options.lang)))
    elif options.theme == "builtup":
        bases = (bases_of(parks, col, options.lang) for col in ("a12_km2", "a13_km2"))
        sections.insert(0, _builtup_keys(options, theme_info["plan"], *bases))
    return sections


def _revenue_keys(options: SheetOptions, info: dict, bases: str) -> tuple[str, list[dict]]:
    lang, vmax, smax = options.lang, info["vmax"], info["smax"]
    unit = tr(lang, "亿元", "× 100M yuan")
    step = vmax / len(SEQUENTIAL_RAMP) if vmax else 0
    keys = [{"kind": "fill", "colour": NO_VALUE_COLOUR, "label": tr(lang, "无候选园区", "no candidate park")}]
    keys += [{"kind": "fill", "colour": colour,
              "label": f"{num(step * i, 1)}–{num(step * (i + 1), 1)} {unit}"}
             for i, colour in enumerate(SEQUENTIAL_RAMP)]
    for value in (smax, smax / 2) if smax else ():
        r = float(printmap.proportional_radius_pt([value], smax, 1)[0])
        keys.append({"kind": "circle", "colour": LAYER_COLOURS["clusters"], "fill_opacity": 0.75,
                     "edge": "white", "radius_pt": r * options.scale, "row_mm": 2 * r / furniture.PT_PER_MM,
                     "label": tr(lang, f"集群收入 {num(value)} 亿元（有出处）",
                                 f"cluster revenue {num(value)} × 100M yuan (sourced)")})
    return tr(lang, f"2013 年园区收入（按市；{bases}）", f"2013 park revenue by city ({bases})"), keys


def _builtup_keys(options: SheetOptions, plan: dict, bases12: str, bases13: str) -> tuple[str, list[dict]]:
    """The 2013 key circle stands for BUILTUP_REF_KM2; the 2012 disc inside it keeps the plan's
    2012 : 2013 ratio, as every park's derived figures do."""
    lang, colour, ref = options.lang, LAYER_COLOURS["parks"], num(printmap.BUILTUP_REF_KM2)
    r13 = float(printmap.builtup_radius_pt([printmap.BUILTUP_REF_KM2], 1)[0])
    r12 = float(printmap.builtup_radius_pt([printmap.BUILTUP_REF_KM2 * plan[2012] / plan[2013]], 1)[0])
    keys = [{"kind": "circle", "colour": colour, "fill_opacity": 0.75, "edge": "none",
             "radius_pt": r12 * options.scale,
             "label": tr(lang, f"2012 年建成面积（{bases12}）", f"built-up area 2012 ({bases12})")},
            {"kind": "circle", "colour": colour, "fill_opacity": 0.12, "dash": "3 2",
             "radius_pt": r13 * options.scale, "row_mm": 2 * r13 / furniture.PT_PER_MM,
             "label": tr(lang, f"2013 年建成面积（{bases13}）；此圆＝{ref} km²",
                         f"built-up area 2013 ({bases13}); this circle = {ref} km²")}]
    return tr(lang, "示范园区候选建成面积（圆面积与数值成比例）",
              "Candidate parks' built-up area (circle area to scale)"), keys


# --- the sheet -----------------------------------------------------------------------------

def symbol_boxes(ax, renderer, symbols) -> list[Bbox]:
    if not symbols:
        return []
    xy = ax.transData.transform(np.array([(x, y) for x, y, _ in symbols]))
    return [Bbox.from_extents(px - r, py - r, px + r, py + r)
            for (px, py), r in zip(xy, (renderer.points_to_pixels(r) for _, _, r in symbols), strict=True)]


def build_figure(data: SheetData, options: SheetOptions, made: datetime) -> tuple[Figure, dict]:
    """The whole sheet as a Figure, and facts about it (extent, scale bar, fictional…)."""
    fig = Figure(figsize=options.size_inches, dpi=options.dpi, facecolor="white")
    FigureCanvasAgg(fig)
    made_title = options.title or default_title(data.scope, options)
    head = furniture.heading(options, made_title, subtitle(data, options))
    boxes = furniture.layout(options, head.height_mm)
    scope = data.scope
    window = shapely.box(*options.bbox) if options.bbox else scope.extent
    bounds = shapely.bounds(transform_geoms(shapely.segmentize(window, 0.05), CGCS2000, scope.crs))
    x0, x1, y0, y1 = fit_frame(bounds, boxes["map"], 0.0 if options.bbox else 0.04)
    w, h = options.paper_mm
    mx, my, mw, mh = boxes["map"]
    ax = fig.add_axes((mx / w, my / h, mw / w, mh / h))
    ax.set_gid("map")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * options.scale)
        spine.set_color("#666666")
    canvas = printmap.MapCanvas(ax, scope.crs, options.lang, options.scale, (x1 - x0) / mw)

    theme_info: dict = {}
    if options.theme == "revenue":
        theme_info = printmap.draw_revenue_theme(canvas, data.theme, data.boundaries["city"], data.clusters)
    printmap.draw_boundaries(canvas, data.boundaries, scope.focus if scope.kind == "city" else None)
    if data.basemap:
        printmap.draw_water(canvas, data.basemap["rivers"], data.basemap["lakes"])
    for name, gdf in data.layers.items():
        if not (options.theme == "builtup" and name == "parks"):  # the theme draws the parks
            themed = options.theme == "revenue" and name == "clusters"  # the theme labels them
            if isinstance(gdf, BigLayer):
                gdf.draw(canvas, labels=not themed)
            else:
                printmap.draw_layer(canvas, name, gdf, labels=not themed)
    printmap.draw_symbols(canvas)
    if options.theme == "builtup":
        printmap.draw_builtup_theme(canvas, data.parks)
        theme_info = data.theme
    if data.basemap:
        province_wide = scope.kind == "province" and (x1 - x0) >= TOWN_NAMES_BELOW_M
        printmap.place_names(canvas, data.basemap["places"], max_rank=1 if province_wide else 3,
                             focus=scope.focus if scope.kind == "city" else None,
                             counties=data.basemap["counties"])

    renderer = fig.canvas.get_renderer()
    obstacles = symbol_boxes(ax, renderer, canvas.symbols)
    if data.locator:
        inset = locator.place(canvas, options, boxes["map"], data.locator["province"].geometry.iloc[0],
                              scope.focus)
        obstacles.append(locator.draw(fig, options, inset, data.locator, canvas.frame_lonlat))
    placed, dropped = place_labels(ax, renderer, canvas.labels, obstacles)
    left_out = {id(req) for req in dropped}
    printmap.draw_place_dots(canvas, [req for req in canvas.labels if id(req) not in left_out])

    furniture.title_block(fig, options, boxes["header"], head)
    legend = legend_for(options, theme_info, canvas.drawn, data.parks)
    furniture.draw_legend(fig, options, boxes["legend"], legend)
    sheet_notes = notes(data, options, canvas.displaced, canvas.aggregated)
    furniture.text_box(fig, options, boxes["notes"], sheet_notes, 6.3, "notes",
                       heading=tr(options.lang, "说明与数据依据", "Notes, sources and basis"))
    furniture.text_box(fig, options, boxes["footer"], footer_lines(data, options, made), 5.8, "footer",
                       colour=furniture.MUTED)
    centre = transform_geoms(shapely.Point((x0 + x1) / 2, (y0 + y1) / 2), scope.crs, CGCS2000)
    scalebar = furniture.draw_scalebar(fig, options, boxes["map"], canvas.units_per_mm, scope.crs,
                                       (centre.x, centre.y), options.lang)
    angle = furniture.draw_north_arrow(fig, options, boxes["map"], scope.crs, (centre.x, centre.y),
                                       options.lang)
    if canvas.fictional:
        furniture.watermark(fig, options, boxes["map"])
    unique_gids(fig)
    return fig, {"title": made_title, "extent": (x0, y0, x1, y1), "scalebar": scalebar,
                 "north_angle": angle, "fictional": canvas.fictional, "labels": len(placed),
                 "dropped_labels": [r.text for r in dropped], "ax": ax}


def unique_gids(fig: Figure) -> None:
    """Number repeated gids (``label-parks``, ``label-parks-2``…) so SVG ids stay unique."""
    seen: dict[str, int] = {}
    for artist in fig.findobj():
        gid = artist.get_gid()
        if gid:
            seen[gid] = seen.get(gid, 0) + 1
            if seen[gid] > 1:
                artist.set_gid(f"{gid}-{seen[gid]}")


def _metadata(fmt: str, info: dict, data: SheetData, options: SheetOptions, made: datetime) -> dict:
    fictional = "yes" if info["fictional"] else "no"
    description = (f"{info['title']} — scope {options.scope}, theme {options.theme}, layers "
                   f"{','.join(options.layers)}; data version {data.data_version} "
                   f"({data.data_date:%Y-%m-%d}); made {made.isoformat(timespec='seconds')}; "
                   f"fictional data: {fictional}. {credits('en')}.")
    if fmt == "png":
        return {"Title": info["title"], "Description": description, "Software": APP_NAME,
                "Creation Time": made.isoformat(timespec="seconds"), "DataVersion": data.data_version,
                "Fictional": fictional, "Source": f"data_version={data.data_version}"}
    if fmt == "pdf":
        return {"Title": info["title"], "Author": APP_NAME, "Subject": description, "Creator": APP_NAME,
                "Keywords": f"data_version={data.data_version}; made={made.isoformat(timespec='seconds')};"
                            f" fictional={fictional}; scope={options.scope}",
                "CreationDate": made}
    return {"Title": info["title"], "Description": description, "Date": made.isoformat(timespec="seconds"),
            "Identifier": f"data_version={data.data_version}", "Source": APP_NAME,
            "Creator": APP_NAME, "Rights": credits("en")}


def filename(options: SheetOptions, ext: str | None = None) -> str:
    """``henan-sei-city-郑州市-layers-A4-portrait.pdf``: a city by its name in the sheet's
    language, kept readable (a download sends it RFC 5987-encoded, with an ASCII fallback)."""
    kind, _, name = options.scope.partition(":")
    scope = "-".join(filter(None, (kind, city(name, options.lang) if kind == "city" else name)))
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in scope)
    return f"henan-sei-{safe}-{options.theme}-{options.paper}-{options.orientation}.{ext or options.fmt}"


def save(fig: Figure, fmt: str, dpi: int, metadata: dict) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buf.getvalue()


def render_data(data: SheetData, options: SheetOptions, *, made: datetime | None = None) -> Rendered:
    """Draw ``data`` as one sheet in ``options.fmt``."""
    made = made or datetime.now().astimezone()
    fig, info = build_figure(data, options, made)
    metadata = _metadata(options.fmt, info, data, options, made)
    content = save(fig, options.fmt, options.dpi, metadata)
    gids = {a.get_gid() for a in fig.findobj() if a.get_gid()}
    ax, height = info.pop("ax"), fig.bbox.height

    def pixel_of(lon: float, lat: float) -> tuple[float, float]:
        pt = transform_geoms(shapely.Point(lon, lat), CGCS2000, data.scope.crs)
        px, py = ax.transData.transform((pt.x, pt.y))
        return px, height - py

    return Rendered(content, options.mimetype, filename(options),
                    metadata | info | {"data_version": data.data_version}, gids, pixel_of)


def render(catalog: Catalog, options: SheetOptions, *, made: datetime | None = None,
           actuals: pd.DataFrame | None = None) -> Rendered:
    """The sheet ``options`` asks for, from ``catalog``'s current data and the recorded
    ``actuals`` (:func:`parks.actuals.load`)."""
    return render_data(load(catalog, options, actuals), options, made=made)
