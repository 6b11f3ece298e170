"""Pitch packs: a cover listing the chosen candidate parks with their figures, then one sheet per
located park — as one multi-page PDF or a zip of PNGs.

The parks are candidates, never "the 16 parks": the cover says the official list is not public,
gives every figure with its basis (per-park figures are ``derived`` even splits of the plan's
totals) and lists unlocated candidates and unidentified slots, which have no sheet.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from core.errors import UserError
from geo.area import HENAN_EQUAL_AREA
from geo.crs import CGCS2000, transform_geoms
from layers.labels import (
    actuals_note,
    basis_label,
    city,
    field_basis,
    figure_pair,
    num,
    pick,
    precision_label,
    recorded_actuals,
    tr,
)
from layers.print import fonts, furniture, printmap
from layers.print.placement import place_labels
from layers.print.render import (
    APP_NAME,
    PLAN_TITLE,
    Rendered,
    build_figure,
    credits,
    data_date,
    load,
    save,
    symbol_boxes,
)
from layers.print.scope import fit_frame
from layers.print.sheet import SheetOptions, parse_options, wrap
from layers.styles import LAYER_COLOURS
from parks import summary
from parks.actuals import with_actuals
from parks.basemap import read_basemap
from parks.catalog import Catalog
from parks.provenance import PRECISIONS
from parks.sources import PARK_SLOTS, plan_target

PACK_FORMATS = {"pdf": "application/pdf", "zip": "application/zip"}


@dataclass(frozen=True)
class PackOptions:
    sheet: SheetOptions  # paper, orientation, dpi, language of every sheet
    parks: tuple[str, ...] | None = None  # None: every candidate
    fmt: str = "pdf"

    @property
    def mimetype(self) -> str:
        return PACK_FORMATS[self.fmt]

    @property
    def filename(self) -> str:
        return f"henan-sei-pitch-pack-{self.sheet.lang}-{self.sheet.paper}.{self.fmt}"


def parse_pack_options(args: Mapping[str, str]) -> PackOptions:
    """``parks`` ("all" or comma-separated ids), ``format`` (pdf | zip), and the sheet options
    ``paper``, ``orientation``, ``dpi``, ``lang``, ``layers``. Raises :class:`UserError`."""
    fmt = (args.get("format") or "pdf").strip().lower()
    if fmt not in PACK_FORMATS:
        raise UserError(f"图册格式须为 pdf 或 zip（收到“{fmt}”）。",
                            f"The pack format must be pdf or zip (got '{fmt}').", code="bad_parameter")
    sheet_args = {k: v for k, v in args.items() if k in ("paper", "orientation", "dpi", "lang", "layers")}
    sheet = parse_options(sheet_args, fmt="pdf" if fmt == "pdf" else "png")
    raw = (args.get("parks") or "all").strip()
    ids = None if raw.lower() == "all" else tuple(dict.fromkeys(p.strip() for p in raw.split(",")
                                                               if p.strip()))
    return PackOptions(sheet, ids or None, fmt)


def choose(parks, ids: tuple[str, ...] | None):
    """(candidates with a sheet, candidates without a location, unidentified slots) for the pack."""
    groups = summary.slot_groups(parks)
    candidates = parks[parks["kind"] == "candidate"]
    if ids:
        unknown = [i for i in ids if i not in set(candidates["id"])]
        if unknown:
            raise UserError(
                f"不是示范园区候选：{'、'.join(unknown)}。可选：{'、'.join(candidates['id'])}，或 all。",
                f"Not a candidate park: {', '.join(unknown)}. Choose from {', '.join(candidates['id'])} "
                "or all.", code="bad_parks")
        chosen = candidates.set_index("id").loc[list(ids)].reset_index()
    else:
        chosen = candidates
    located = chosen[chosen.geometry.notna()]
    return located, chosen[chosen.geometry.isna()], groups["unidentified"]


# --- cover ---------------------------------------------------------------------------------

#: the cover's figure columns: 2012 and 2013 fields
FIGURES = (("a12_km2", "a13_km2"), ("rev12_yi", "rev13_yi"), ("inv12_yi", "inv13_yi"))


def column_bases(parks) -> dict[tuple[str, str], str | None]:
    """Per figure column, the one basis of every figure in it, or None when they differ (a
    recorded actual among derived shares): then each cell names its own."""
    rows = parks.to_dict("records")
    return {(a, b): (only.pop() if len(only := {field_basis(r, f) for r in rows for f in (a, b)}) == 1
                     else None) for a, b in FIGURES}


def _pair(row, a: str, b: str, lang: str, shared: str | None) -> str:
    """'3.13 → 4.06', with each year's basis when the column has no single one."""
    if shared:
        return f"{num(row[a])} → {num(row[b])}"
    return figure_pair(row, a, b, "", lang)


def _cover_rows(located, unlocated, unidentified, lang: str, bases: dict) -> list[list[str]]:
    def figures(row, each: str = "") -> list[str]:
        return [each + _pair(row, a, b, lang, bases[(a, b)]) for a, b in FIGURES]

    rows = []
    for page, row in enumerate(located.to_dict("records"), start=2):
        rows.append([str(page), pick(row, "name", lang), city(row["city"] or "", lang) or "—",
                     pick(row, "ind", lang), precision_label(row["loc_prec"], lang), *figures(row)])
    for row in unlocated.to_dict("records"):
        rows.append([tr(lang, "无图（未定位）", "no sheet (unlocated)"), pick(row, "name", lang), "—",
                     pick(row, "ind", lang), precision_label("unlocated", lang), *figures(row)])
    if len(unidentified):
        first = unidentified.iloc[0].to_dict()
        slots = f"{int(unidentified['slot'].min())}–{int(unidentified['slot'].max())}"
        rows.append([tr(lang, "无图", "no sheet"),
                     tr(lang, f"第{slots}个名额（{len(unidentified)}个，名单未公开）",
                        f"Slots {slots} ({len(unidentified)}; list not public)"),
                     "—", "—", "—", *figures(first, tr(lang, "每个 ", "each "))])
    return rows


def cover_figure(located, unlocated, unidentified, boundaries: dict, sheet: SheetOptions, version: str,
                 made: datetime, data_day) -> Figure:
    """The cover: what the pack is, a table of the parks with their figures and basis (derived
    shares, or recorded actuals in their place, listed with their sources)."""
    lang, s = sheet.lang, sheet.scale
    chosen = pd.concat([located, unlocated, unidentified])
    bases = column_bases(chosen)
    recorded = [text for row in chosen.to_dict("records") for text in recorded_actuals(row, lang, named=True)]
    fig = Figure(figsize=sheet.size_inches, dpi=sheet.dpi, facecolor="white")
    FigureCanvasAgg(fig)
    w, h = sheet.paper_mm
    m = 10 * s
    head = furniture.heading(sheet, tr(lang, "河南省战略性新兴产业示范园区候选 · 招商图册",
                                       "Henan strategic-emerging-industry park candidates: pitch pack"),
                             tr(lang, f"依据{PLAN_TITLE[0]}；{made:%Y-%m-%d} 制",
                                f"After the {PLAN_TITLE[1]}; made {made:%Y-%m-%d}"))
    furniture.title_block(fig, sheet, (m, h - m - 24 * s, w - 2 * m, 24 * s), head)
    figures = (tr(lang, "各园区数字为规划总数的平均分摊（推算），不是统计数据。",
                  "per-park figures are even shares of the plan's totals (derived), not statistics.")
               if not recorded else
               tr(lang, "各园区数字除注明的实际数字外，为规划总数的平均分摊（推算），不是统计数据。",
                  "per-park figures, apart from the actual figures marked, are even shares of the "
                  "plan's totals (derived), not statistics."))
    warning = tr(lang, f"{PARK_SLOTS}个省级示范园区的官方名单未公开。本册所列为根据方案与公开资料推断的"
                       "候选园区，均未经确认；园区范围为示意，",
                 f"The official list of the {PARK_SLOTS} provincial demonstration parks is not public. "
                 "The parks in this pack are candidates inferred from the plan and public sources, "
                 "none confirmed; extents are schematic and ") + figures
    furniture.text_box(fig, sheet, (m, h - m - 35 * s, w - 2 * m, 10 * s),
                       [data_statement(located, unlocated, lang)], 9.0, "cover-statement")
    furniture.text_box(fig, sheet, (m, h - m - 48 * s, w - 2 * m, 12 * s), [warning], 8.0, "cover-warning",
                       colour="#8c1c2c")
    table_top = h - m - 50 * s
    table_h = _cover_table(fig, sheet, (m, 40 * s, w - 2 * m, table_top - 40 * s),
                           _cover_rows(located, unlocated, unidentified, lang, bases), bases)
    top = table_top - table_h - 3 * s
    if recorded:  # the sources of the actual figures in the table, right below it
        note = actuals_note(recorded, lang)
        size = 6.5
        lines = len(wrap(note, (w - 2 * m) / s * furniture.PT_PER_MM / size))
        height = lines * size * 1.38 / furniture.PT_PER_MM * s + s
        top -= height
        furniture.text_box(fig, sheet, (m, top, w - 2 * m, height), [note], size, "cover-actuals")
    top -= 3 * s
    if top - 40 * s > 60 * s:
        _locator(fig, sheet, (m, 40 * s, w - 2 * m, top - 40 * s), boundaries, located)
    furniture.text_box(fig, sheet, (m, 14 * s, w - 2 * m, 24 * s),
                       [plan_note(lang), credits(lang),
                        tr(lang, f"数据版本 {version}（数据日期 {data_day:%Y-%m-%d}）· {APP_NAME}",
                           f"Data version {version} (data date {data_day:%Y-%m-%d}) · {APP_NAME}")],
                       6.5, "footer", colour=furniture.MUTED)
    return fig


def data_statement(located, unlocated, lang: str) -> str:
    """What the pack's parks are: how many candidates, and how precisely each is located."""
    chosen = list(located["loc_prec"]) + list(unlocated["loc_prec"])
    counts = [(precision_label(p, lang), chosen.count(p)) for p in PRECISIONS if p in chosen]
    return tr(lang, f"本册数据：{len(chosen)}个候选园区（未确认）；位置精度："
                    + "、".join(f"{label}{n}个" for label, n in counts) + "。",
              f"What this pack shows: {len(chosen)} candidate parks (unconfirmed); location precision: "
              + ", ".join(f"{label} × {n}" for label, n in counts) + ".")


def plan_note(lang: str) -> str:
    """The plan's totals for the parks, as the cover states them, from plan_targets.csv."""
    inv, rev, area = (plan_target(key) for key in ("parks_investment", "parks_revenue", "parks_built_area"))
    sections = tr(lang, "、", ", ").join(dict.fromkeys(t["section"] for t in (inv, rev, area)))
    n, y12, y13 = PARK_SLOTS, "value_2012", "value_2013"
    return tr(lang, f"规划总数（{sections}）：{n}个园区 2012年投资{num(inv[y12])}亿元、主营业务收入"
                    f"{num(rev[y12])}亿元、建成面积超过{num(area[y12])} km²；2013年{num(inv[y13])}亿元、"
                    f"{num(rev[y13])}亿元、{num(area[y13])} km²以上。每个园区＝总数÷{n}（推算）。",
              f"Plan totals ({sections}): the {n} parks' investment {num(inv[y12])}, revenue "
              f"{num(rev[y12])} (× 100M yuan) and built-up area over {num(area[y12])} km² in 2012; "
              f"{num(inv[y13])}, {num(rev[y13])} and at least {num(area[y13])} km² in 2013. Each park = "
              f"total ÷ {n} (derived).")


def _cover_table(fig, sheet: SheetOptions, box, rows: list[list[str]], bases: dict) -> float:
    """The parks as a table from the top of ``box``; returns the height it took (mm). A figure
    column's heading names its basis when every figure in it shares one (``bases``)."""
    lang, s = sheet.lang, sheet.scale
    ax = furniture.axes_mm(fig, box, sheet, "cover-table")

    def years(fields) -> str:
        basis = bases[fields]
        return "2012→2013" + (tr(lang, f"（{basis_label(basis, lang)}）", f" ({basis_label(basis, lang)})")
                              if basis else "")

    area, revenue, investment = (years(f) for f in FIGURES)
    head = [tr(lang, "页", "Page"), tr(lang, "园区（候选）", "Park (candidate)"), tr(lang, "所在市", "City"),
            tr(lang, "主导产业", "Industry"), tr(lang, "位置精度", "Location precision"),
            tr(lang, f"建成面积 km²\n{area}", f"Built-up km²\n{area}"),
            tr(lang, f"主营业务收入 亿元\n{revenue}", f"Revenue 100M yuan\n{revenue}"),
            tr(lang, f"投资 亿元\n{investment}", f"Investment 100M yuan\n{investment}")]
    widths = (0.07, 0.24, 0.08, 0.13, 0.12, 0.12, 0.12, 0.12)
    size, line = 6.6, 6.6 * 1.35 / furniture.PT_PER_MM * s
    xs = [sum(widths[:i]) * box[2] for i in range(len(widths))]
    y = box[3]
    for r, cells in enumerate([head, *rows]):
        wrapped = [wrap(c, widths[i] * box[2] / s * furniture.PT_PER_MM / size - 0.8)
                   for i, c in enumerate(cells)]
        height = max(len(c) for c in wrapped) * line + 2.2 * s
        if r % 2 == 0 and r:
            ax.add_patch(Rectangle((0, y - height), box[2], height, fc="#f3f1ea", ec="none"))
        for x, text in zip(xs, wrapped, strict=True):
            ax.text(x + 1 * s, y - 1.1 * s, "\n".join(text), va="top", ha="left", linespacing=1.35,
                    color=furniture.INK if r else "#1f3b57", fontproperties=fonts.props(size * s))
        y -= height
        if r == 0:
            ax.plot([0, box[2]], [y, y], color="#1f3b57", lw=0.8 * s)
        if y < 0:
            break
    return box[3] - y


def _locator(fig, sheet: SheetOptions, box, boundaries: dict, located) -> None:
    """A small map of the province, its rivers and lakes, with each park's page number where
    it lies."""
    w, h = sheet.paper_mm
    ax = fig.add_axes((box[0] / w, box[1] / h, box[2] / w, box[3] / h))
    ax.set_gid("cover-map")
    ax.set_axis_off()
    province = boundaries["province"]
    bounds = shapely.bounds(transform_geoms(province.geometry.iloc[0], CGCS2000, HENAN_EQUAL_AREA))
    x0, x1, y0, y1 = fit_frame(bounds, box, 0.02)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    canvas = printmap.MapCanvas(ax, HENAN_EQUAL_AREA, sheet.lang, sheet.scale, (x1 - x0) / box[2])
    printmap.draw_boundaries(canvas, boundaries)
    printmap.draw_water(canvas, read_basemap("rivers"), read_basemap("lakes"))
    printmap.area_labels(canvas, boundaries["city"], size=6.5)
    xy = printmap.dodge(shapely.get_coordinates(shapely.centroid(canvas.project(located))),
                        canvas.pt_to_units(12 * sheet.scale))
    r = 5.5 * sheet.scale
    ax.scatter(xy[:, 0], xy[:, 1], s=(2 * r) ** 2, fc=LAYER_COLOURS["parks"], ec="white",
               lw=0.8 * sheet.scale, zorder=10, gid="cover-parks")
    for page, (x, y) in enumerate(xy, start=2):
        ax.text(x, y, str(page), ha="center", va="center", color="white", zorder=11,
                fontproperties=fonts.props(6.5 * sheet.scale))
        canvas.symbols.append((x, y, r))
    renderer = fig.canvas.get_renderer()
    place_labels(ax, renderer, canvas.labels, symbol_boxes(ax, renderer, canvas.symbols))


# --- the pack ------------------------------------------------------------------------------

def render_pack(catalog: Catalog, options: PackOptions, *, progress: Callable[[str], None] | None = None,
                made: datetime | None = None, actuals: pd.DataFrame | None = None) -> Rendered:
    """Cover plus one sheet per located candidate, as a PDF or a zip of PNGs; ``progress`` is
    called with each finished page's name (for a progress bar). Recorded ``actuals``
    (:func:`parks.actuals.load`) replace the parks' derived figures on the cover and sheets."""
    made = made or datetime.now().astimezone()
    parks = with_actuals(catalog.layer("parks"), actuals)
    located, unlocated, unidentified = choose(parks, options.parks)
    version, day = catalog.data_version(), data_date(catalog)
    boundaries = {level: catalog.boundaries(level, 500.0) for level in ("province", "city")}
    cover = cover_figure(located, unlocated, unidentified, boundaries, options.sheet, version, made, day)
    done = progress or (lambda name: None)
    done("cover")

    def sheets():
        for park_id in located["id"]:
            sheet = replace(options.sheet, scope=f"park:{park_id}")
            fig, info = build_figure(load(catalog, sheet, actuals), sheet, made)
            yield park_id, fig, info

    title = tr(options.sheet.lang, "示范园区候选招商图册", "Candidate parks pitch pack")
    stamp = made.isoformat(timespec="seconds")
    buf = io.BytesIO()
    fictional = False
    if options.fmt == "pdf":
        with PdfPages(buf) as pdf:
            pdf.savefig(cover)
            for park_id, fig, info in sheets():
                fictional |= info["fictional"]
                pdf.savefig(fig)
                done(park_id)
            pdf.infodict().update({
                "Title": title, "Author": APP_NAME, "Creator": APP_NAME, "CreationDate": made,
                "Subject": f"{title}; data version {version}",
                "Keywords": f"data_version={version}; made={stamp}; "
                            f"fictional={'yes' if fictional else 'no'}"})
    else:
        meta = {"Title": title, "Software": APP_NAME, "DataVersion": version, "Creation Time": stamp,
                "Source": f"data_version={version}", "Fictional": "no"}
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("00-cover.png", save(cover, "png", options.sheet.dpi, meta))
            for n, (park_id, fig, info) in enumerate(sheets(), start=1):
                fictional |= info["fictional"]
                page_meta = meta | {"Title": info["title"], "Fictional": "yes" if info["fictional"] else "no"}
                zf.writestr(f"{n:02d}-{park_id}.png", save(fig, "png", options.sheet.dpi, page_meta))
                done(park_id)
    return Rendered(buf.getvalue(), options.mimetype, options.filename,
                    {"data_version": version, "pages": 1 + len(located), "sheets": list(located["id"]),
                     "listed_without_sheet": list(unlocated["id"]) + list(unidentified["id"]),
                     "fictional": fictional}, set())


def pack_size(catalog: Catalog, options: PackOptions) -> int:
    """Pages the pack will have (cover + located candidates), for a progress bar's length."""
    return 1 + len(choose(catalog.layer("parks"), options.parks)[0])

