"""Print-quality sheets: one map of a scope as PNG, SVG or PDF, with its provenance inside.

``render(catalog, options)`` loads what the sheet needs and returns the file's bytes. Drawing
uses matplotlib's object-oriented API only (a :class:`~matplotlib.figure.Figure` with its own
Agg canvas, never pyplot), so renders in concurrent request threads share no state. Every file
records the data version and the time it was made (PNG text chunks, PDF info dictionary, SVG
``<metadata>``); if any drawn feature is fictional, the sheet is watermarked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from geo.crs import CGCS2000, transform_geoms
from layers.labels import city, layer_title, missing, num, tr
from layers.legend import keyed_sections
from layers.print import furniture, printmap
from layers.print.placement import place_labels
from layers.print.scope import Scope, resolve_scope
from layers.print.sheet import SheetOptions
from layers.styles import LAYER_COLOURS, NO_VALUE_COLOUR, PRECISION_MARKER, SEQUENTIAL_RAMP
from parks import summary
from parks.boundaries import CREDIT_EN, CREDIT_ZH
from parks.catalog import THEMATIC, Catalog
from parks.sources import PARK_SLOTS, plan_target

PLAN_TITLE = ("《河南省推动科技创新培育战略性新兴产业专项工作方案》（2012-11-01）",
              "Henan plan to promote S&T innovation and cultivate strategic emerging industries "
              "(2012-11-01)")
APP_NAME = "Henan SEI Atlas / 河南省战略性新兴产业地图"
#: county names (Chinese only: the data has no English ones) are printed on city and park
#: sheets, and on province sheets narrower than this (metres)
COUNTY_NAMES_BELOW_M = 250_000


@dataclass
class SheetData:
    """Everything one sheet shows, in CGCS2000, loaded from a catalog (or built by a test)."""

    scope: Scope
    boundaries: dict[str, gpd.GeoDataFrame]
    layers: dict[str, gpd.GeoDataFrame]
    parks: gpd.GeoDataFrame  # every park slot + second batch, for themes and notes
    clusters: gpd.GeoDataFrame
    data_version: str
    data_date: date
    theme: dict = field(default_factory=dict)


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


def load(catalog: Catalog, options: SheetOptions) -> SheetData:
    """Resolve the scope and read the layers, boundaries and theme figures the sheet needs."""
    scope = resolve_scope(catalog, options)
    window = shapely.box(*options.bbox) if options.bbox else scope.extent
    reach = shapely.envelope(window).buffer(0.6)  # generous: the frame is widened to the paper
    if "boundaries" in options.layers or options.theme == "revenue":
        boundaries = {level: _clip(catalog.boundaries(level, scope.tolerance_m), reach)
                      for level in ("province", "city", "county")}
    else:
        boundaries = {"province": catalog.boundaries("province", scope.tolerance_m)}
    layers = {name: catalog.layer(name) for name in options.layers if name != "boundaries"}
    parks, clusters = catalog.layer("parks"), catalog.layer("clusters")
    theme = {}
    if options.theme == "revenue":
        theme = summary.revenue_by_city(parks, catalog.boundaries("city", scope.tolerance_m or 100.0))
    elif options.theme == "builtup":
        theme = summary.built_up(parks)
    return SheetData(scope, boundaries, layers, parks, clusters, catalog.data_version(),
                     data_date(catalog), theme)


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
        parts.append(tr(lang, f"推算建成面积 {num(f['a12_km2'])}→{num(f['a13_km2'])} km²，"
                              f"主营业务收入 {num(f['rev12_yi'])}→{num(f['rev13_yi'])} 亿元"
                              "（2012→2013，推算）",
                        f"derived built-up area {num(f['a12_km2'])}→{num(f['a13_km2'])} km², revenue "
                        f"{num(f['rev12_yi'])}→{num(f['rev13_yi'])} × 100M yuan (2012→2013, derived)"))
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
        out.append(tr(lang, f"收入：各市数值＝该市已定位候选园区的推算主营业务收入之和（2013年规划"
                            f"{num(plan[2013])}亿元÷{n}＝{num(plan[2013] / n)}亿元/园区）；紫色圆圈为"
                            "有出处的集群公开数字（面积与数值成比例，年份见标注）。",
                      f"Revenue: each city = sum of the derived main-business revenue of its located "
                      f"candidate parks (2013 plan {num(plan[2013])} ÷ {n} = {num(plan[2013] / n)} "
                      "× 100M yuan per park); purple circles are sourced cluster figures (area to "
                      "scale, year as labelled)."))
    if options.theme == "builtup":
        plan = data.theme["plan"]
        out.append(tr(lang, f"建成面积：规划 2012 年 {n} 个园区合计突破 {num(plan[2012])} km²，2013 年 "
                            f"{num(plan[2013])} km² 以上；各园区为推算值（÷{n}），所以符号大小相同。",
                      f"Built-up area: the plan states over {num(plan[2012])} km² for the {n} parks in "
                      f"2012 and at least {num(plan[2013])} km² in 2013; per-park values are derived "
                      f"(÷ {n}), so every symbol has the same size."))
    cell = f"{printmap.CLUSTER_CELL_MM:g}"
    for name, count in (aggregated or {}).items():
        out.append(tr(lang, f"{layer_title(name, lang)}：{count:,} 个要素按 {cell} 毫米格网聚合显示，"
                            "圆内数字为该格要素数。",
                      f"{layer_title(name, lang)}: {count:,} features, counted in "
                      f"{cell} mm cells; each circle shows its number of features."))
    if displaced:
        out.append(tr(lang, "位置相同或很近的符号已略微错开，以便都能看见。",
                      "Symbols at the same or nearby places are spread slightly so each stays visible."))
    out.append(tr(lang, f"来源：{PLAN_TITLE[0]}；点位与数字的出处见 data/sources/sites.csv。",
                  f"Source: {PLAN_TITLE[1]}; sources of locations and figures in data/sources/sites.csv."))
    return out


def footer_lines(data: SheetData, options: SheetOptions, made: datetime) -> list[str]:
    lang = options.lang
    return [tr(lang, CREDIT_ZH, CREDIT_EN),
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


def legend_for(options: SheetOptions, theme_info: dict, drawn: dict) -> list[tuple[str, list[dict]]]:
    """The screen legend's sections, keeping only what this sheet shows, plus the theme's keys."""
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
        sections.insert(0, _revenue_keys(options, theme_info))
    elif options.theme == "builtup":
        sections.insert(0, _builtup_keys(options, theme_info["plan"]))
    return sections


def _revenue_keys(options: SheetOptions, info: dict) -> tuple[str, list[dict]]:
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
    return tr(lang, "2013 年推算园区收入（按市）", "2013 derived park revenue by city"), keys


def _builtup_keys(options: SheetOptions, plan: dict) -> tuple[str, list[dict]]:
    """The 2013 key circle stands for BUILTUP_REF_KM2; the 2012 disc inside it keeps the plan's
    2012 : 2013 ratio, as every park's derived figures do."""
    lang, colour = options.lang, LAYER_COLOURS["parks"]
    r13 = float(printmap.builtup_radius_pt([printmap.BUILTUP_REF_KM2], 1)[0])
    r12 = float(printmap.builtup_radius_pt([printmap.BUILTUP_REF_KM2 * plan[2012] / plan[2013]], 1)[0])
    keys = [{"kind": "circle", "colour": colour, "fill_opacity": 0.75, "edge": "none",
             "radius_pt": r12 * options.scale,
             "label": tr(lang, "2012 年建成面积（推算）", "built-up area 2012 (derived)")},
            {"kind": "circle", "colour": colour, "fill_opacity": 0.12, "dash": "3 2",
             "radius_pt": r13 * options.scale, "row_mm": 2 * r13 / furniture.PT_PER_MM,
             "label": tr(lang, f"2013 年建成面积（推算）；此圆＝{num(printmap.BUILTUP_REF_KM2)} km²",
                         f"built-up area 2013 (derived); this circle = {num(printmap.BUILTUP_REF_KM2)} km²")}]
    return tr(lang, "示范园区候选建成面积（圆面积与数值成比例）",
              "Candidate parks' built-up area (circle area to scale)"), keys


# --- the sheet -----------------------------------------------------------------------------

def fit_frame(extent_xy: tuple, box_mm: tuple, pad: float) -> tuple[float, float, float, float]:
    """Widen projected bounds (x0, y0, x1, y1) to the frame's proportions, with ``pad`` margin."""
    x0, y0, x1, y1 = extent_xy
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    aspect = box_mm[2] / box_mm[3]
    w, h = max(w, h * aspect), max(h, w / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


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
    for name, gdf in data.layers.items():
        if not (options.theme == "builtup" and name == "parks"):  # the theme draws the parks
            themed = options.theme == "revenue" and name == "clusters"  # the theme labels them
            printmap.draw_layer(canvas, name, gdf, labels=not themed)
    printmap.draw_symbols(canvas)
    if options.theme == "builtup":
        printmap.draw_builtup_theme(canvas, data.parks)
        theme_info = data.theme
    if "boundaries" in options.layers and "city" in data.boundaries:
        printmap.area_labels(canvas, data.boundaries["city"])
        if options.lang == "zh" and (scope.kind != "province" or (x1 - x0) < COUNTY_NAMES_BELOW_M):
            printmap.area_labels(canvas, data.boundaries["county"], size=6.0, colour="#8a8a8a",
                                 priority=8, gid="label-county")

    renderer = fig.canvas.get_renderer()
    obstacles = symbol_boxes(ax, renderer, canvas.symbols)
    placed, dropped = place_labels(ax, renderer, canvas.labels, obstacles)

    furniture.title_block(fig, options, boxes["header"], head)
    furniture.draw_legend(fig, options, boxes["legend"], legend_for(options, theme_info, canvas.drawn))
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
                   f"fictional data: {fictional}. {CREDIT_EN}.")
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
            "Creator": APP_NAME, "Rights": CREDIT_EN}


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


def render(catalog: Catalog, options: SheetOptions, *, made: datetime | None = None) -> Rendered:
    """The sheet ``options`` asks for, from ``catalog``'s current data."""
    return render_data(load(catalog, options), options, made=made)
