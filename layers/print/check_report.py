"""The report of a parcel check, to file: a PDF (A4, summary, map, one row per parcel with its
reasons) and a CSV (one row per parcel plus a totals row).

The PDF is drawn with matplotlib (``PdfPages``) in Noto Sans CJK SC from ``mplfonts``
(:mod:`layers.print.fonts`), so Chinese never renders as boxes; the font's glyphs are embedded.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

from core.spreadsheet import safe_cell
from geo.crs import crs_label
from geo.units import SURVEY_DIGITS, m2_to_ha, m2_to_mu, survey_areas
from layers.labels import attribute_text, beijing_time, tr
from layers.print.fonts import props
from layers.print.printmap import dash, polygon_path
from layers.print.sheet import wrap
from layers.styles import ALLOCATED_COLOUR, BASIS_DASH, LAYER_COLOURS, VERDICT_COLOURS
from parks import provenance as pv
from parks.checks import FAIL, VERDICT_LABELS
from parks.ledger import seed_rule

A4_MM = (210.0, 297.0)
MARGIN_MM = 14.0
MM_PER_INCH = 25.4
#: parcels listed in the PDF; the CSV always has every parcel
PDF_MAX_PARCELS = 500
CRS_HOW = {"file": ("取自文件", "from the file"), "user": ("用户指定", "given by the user"),
           "inferred": ("由坐标推断", "inferred from the coordinates")}

CSV_COLUMNS = (
    ("no", "序号", "No."), ("label", "地块名称", "Parcel"), ("area_id", "区域编号", "Area id"),
    ("area_name", "所在园区/高新区", "Park or zone"), ("geom_basis", "范围依据", "Boundary basis"),
    ("area_m2", "椭球面积(m²)", "Ellipsoidal area (m²)"),
    ("area_ha", "椭球面积(公顷)", "Ellipsoidal (ha)"),
    ("area_mu", "椭球面积(亩)", "Ellipsoidal (mu)"),
    ("gk_area_m2", "高斯平面面积(m²)", "GK planar area (m²)"),
    ("gk_area_ha", "高斯平面面积(公顷)", "GK planar (ha)"),
    ("gk_area_mu", "高斯平面面积(亩)", "GK planar (mu)"),
    ("gk_epsg", "投影带EPSG", "GK zone EPSG"),
    ("outside_m2", "区域外面积(m²)", "Outside (m²)"),
    ("outside_ha", "区域外面积(公顷)", "Outside (ha)"),
    ("overlap_m2", "与已用地重叠(m²)", "Overlap (m²)"),
    ("overlap_ha", "与已用地重叠(公顷)", "Overlap (ha)"),
    ("quota_ha", "年度指标(公顷)", "Quota (ha)"), ("quota_basis", "指标依据", "Quota basis"),
    ("before_ha", "核减前剩余(公顷)", "Remaining before (ha)"),
    ("before_mu", "核减前剩余(亩)", "Remaining before (mu)"),
    ("after_ha", "核减后剩余(公顷)", "Remaining after (ha)"),
    ("after_mu", "核减后剩余(亩)", "Remaining after (mu)"),
    ("verdict", "结论", "Verdict"), ("reasons", "理由", "Reasons"),
)


def report_csv(stored) -> bytes:
    """Every parcel of a stored check (:class:`parks.check_records.StoredCheck`) and a totals
    row, as UTF-8 CSV with a byte-order mark (so spreadsheet programs open the Chinese right).
    The file's own columns (BSM, DKBH, 权利人 …) follow the parcel's name under their own
    headers; areas are at survey precision; texts from the file that a spreadsheet would run as
    formulas are written as text."""
    attribute_columns = [str(c) for c in stored.result.attributes.columns]
    out = io.StringIO()
    writer = csv.writer(out)

    def write(cells: list, attributes: list) -> None:
        writer.writerow(cells[:2] + attributes + cells[2:])

    write([f"{zh} {en}" for _, zh, en in CSV_COLUMNS], [safe_cell(c) for c in attribute_columns])
    blank = [""] * len(attribute_columns)

    def cells(row: dict) -> list:
        return [_csv_value(key, row.get(key)) for key, _, _ in CSV_COLUMNS]

    for s in stored.summaries():
        write(cells(s | {"area_name": s["area_name_zh"] or "",
                         "verdict": f"{s['verdict_zh']} {s['verdict_en']}",
                         "reasons": "；".join(f"{r['zh']} {r['en']}" for r in s["reasons"])}),
              [safe_cell(attribute_text(s["attributes"].get(c))) for c in attribute_columns])
    totals = stored.result.totals()
    total_row = {"no": "合计 total", "label": f"{totals['parcels']}",
                 "verdict": "{} {}".format(*VERDICT_LABELS[totals["verdict"]])}
    for key in ("area", "gk_area", "outside", "overlap"):
        for unit, value in survey_areas(totals[f"{key}_m2"]).items():
            total_row[f"{key}_{unit}"] = value
    for (zh, en), record in zip(stored.result.unreadable_lines(), stored.result.unreadable, strict=True):
        write(cells({"label": f"文件第 {record['row']} 条记录 record {record['row']}",
                     "verdict": "{} {}".format(*VERDICT_LABELS[FAIL]), "reasons": f"{zh} {en}"}), blank)
    write(cells(total_row), blank)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(key: str, value):
    """A cell: areas at survey precision by their unit (``…_m2``, ``…_ha``, ``…_mu``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{SURVEY_DIGITS.get(key.rsplit('_', 1)[-1], 4)}f}"
    return safe_cell(value)


# ----- PDF --------------------------------------------------------------------------------


class _Page:
    """One A4 page, written top-down in millimetres."""

    def __init__(self, pdf: PdfPages, footer: str):
        self.pdf, self.footer = pdf, footer
        self.fig = Figure(figsize=(A4_MM[0] / MM_PER_INCH, A4_MM[1] / MM_PER_INCH))
        self.y = MARGIN_MM

    def _xy(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        return x_mm / A4_MM[0], 1 - y_mm / A4_MM[1]

    def text(self, x_mm: float, y_mm: float, s: str, size: float = 8.5, **kw) -> None:
        weight = kw.pop("weight", "normal")
        self.fig.text(*self._xy(x_mm, y_mm), s, fontproperties=props(size, weight=weight),
                      va="top", **kw)

    def line(self, s: str, size: float = 8.5, *, indent: float = 0, gap: float = 1.5, **kw) -> None:
        self.text(MARGIN_MM + indent, self.y, s, size, **kw)
        self.y += size * 0.3528 + gap  # points to mm, plus leading

    def para(self, s: str, size: float = 8.5, *, indent: float = 0, width_mm: float | None = None,
             **kw) -> None:
        width_mm = width_mm or (A4_MM[0] - 2 * MARGIN_MM - indent)
        for part in wrap(s, width_mm / (size * 0.3528)):
            self.line(part, size, indent=indent, gap=0.8, **kw)

    def room(self) -> float:
        return A4_MM[1] - MARGIN_MM - 8 - self.y

    def axes(self, x_mm, y_mm, w_mm, h_mm):
        left, top = self._xy(x_mm, y_mm)
        return self.fig.add_axes([left, top - h_mm / A4_MM[1], w_mm / A4_MM[0], h_mm / A4_MM[1]])

    def close(self, number: int) -> None:
        self.text(MARGIN_MM, A4_MM[1] - MARGIN_MM + 4, f"{self.footer} · {number}", 6.5, color="#666666")
        self.pdf.savefig(self.fig)


#: the map frame takes in the whole park a parcel lies in when the park is at most this wide
WHOLE_AREA_MAX_M = 15_000.0
#: parks and zones named in the map legend; more are drawn but not listed
LEGEND_AREAS = 5


def _frame(parcels: gpd.GeoDataFrame, home: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The parcels, and the whole boundary of the parks/zones they lie in when it fits."""
    minx, miny, maxx, maxy = parcels.total_bounds
    if not home.empty:
        hx0, hy0, hx1, hy1 = home.total_bounds
        if max(hx1 - hx0, hy1 - hy0) <= WHOLE_AREA_MAX_M:
            minx, miny, maxx, maxy = min(minx, hx0), min(miny, hy0), max(maxx, hx1), max(maxy, hy1)
    pad = max(maxx - minx, maxy - miny) * 0.12 + 150
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def _draw_map(ax, rows: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, allocations, lang: str) -> None:
    """Parcels on the parks/zones around them, in the parcels' own GK zone (metres), with a
    legend naming each park or zone drawn, a scale bar and a north arrow."""
    from matplotlib.patches import Patch

    epsg = int(rows["gk_epsg"].iloc[0])
    parcels = rows.to_crs(epsg)
    areas_gk = areas.to_crs(epsg)
    box = _frame(parcels, areas_gk[areas_gk["area_id"].isin(set(rows["area_id"].dropna()))])
    handles = []
    near = areas_gk.cx[box[0]:box[2], box[1]:box[3]].sort_values("kind", ascending=False)
    for area in near.itertuples():
        path = polygon_path([area.geometry])
        if path is None:
            continue
        colour = LAYER_COLOURS[{"zone": "zones", "park": "parks"}[area.kind]]
        style = dash(BASIS_DASH.get(area.geom_basis))
        ax.add_patch(PathPatch(path, facecolor=colour, alpha=0.10, edgecolor="none"))
        ax.add_patch(PathPatch(path, facecolor="none", edgecolor=colour, linewidth=1.2, linestyle=style))
        name = area.name_zh if lang == "zh" else area.name_en
        schematic = tr(lang, "（示意范围，非红线）", " (schematic, not a red line)")
        handles.append(Patch(facecolor="none", edgecolor=colour, linestyle=style, linewidth=1.2,
                             label=name + (schematic if area.geom_basis == pv.SCHEMATIC else "")))
    handles = handles[-LEGEND_AREAS:]  # parks are drawn after zones: a long list drops zones first
    if allocations is not None and not allocations.empty:
        near = allocations.to_crs(epsg).cx[box[0]:box[2], box[1]:box[3]]
        path = polygon_path(near.geometry.values) if not near.empty else None
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor=ALLOCATED_COLOUR, alpha=0.35, edgecolor=ALLOCATED_COLOUR))
            handles.append(Patch(facecolor=ALLOCATED_COLOUR, alpha=0.35,
                                 label=tr(lang, "已预留/批准的地块", "Parcels already reserved/approved")))
    for verdict, group in parcels.groupby("verdict"):
        path = polygon_path(group.geometry.values)
        if path is not None:
            colour = VERDICT_COLOURS[verdict]
            ax.add_patch(PathPatch(path, facecolor=colour, alpha=0.45, edgecolor=colour, linewidth=1))
            handles.insert(0, Patch(facecolor=colour, alpha=0.45, edgecolor=colour,
                                    label=tr(lang, "核查地块：", "Checked parcel: ")
                                    + tr(lang, *VERDICT_LABELS[verdict])))
    if len(parcels) <= 60:
        points = parcels.geometry.representative_point()
        for no, pt in zip(parcels["no"], points, strict=True):
            ax.text(pt.x, pt.y, str(int(no)), ha="center", va="center", fontproperties=props(7))
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    _scale_bar(ax, box, lang)
    ax.text(0.97, 0.95, "N\n↑", transform=ax.transAxes, ha="center", va="top", fontproperties=props(9))
    ax.text(0.01, 0.01, crs_label(epsg), transform=ax.transAxes, fontproperties=props(6), color="#555555")
    ax.legend(handles=handles, loc="upper left", prop=props(6.5), title=tr(lang, "图例", "Legend"),
                  title_fontproperties=props(7, weight="bold"), framealpha=0.9, borderpad=0.5,
                  alignment="left")


def _scale_bar(ax, box, lang: str) -> None:
    width = box[2] - box[0]
    nice = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]
    length = max([n for n in nice if n <= width / 4] or [nice[0]])
    x0, y0 = box[0] + width * 0.04, box[1] + (box[3] - box[1]) * 0.06
    ax.plot([x0, x0 + length], [y0, y0], color="#222222", linewidth=2.5, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    ax.text(x0 + length / 2, y0 + (box[3] - box[1]) * 0.015, label, ha="center", va="bottom",
            fontproperties=props(7))


def _fmt(value, digits: int = 4) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:,.{digits}f}"


TABLE = (  # (header zh, header en, width mm, cell)
    ("序号", "No.", 8, lambda s, lang: str(s["no"])),
    ("地块", "Parcel", 26, lambda s, lang: s["label"]),
    ("所在区域", "Park / zone", 32,
     lambda s, lang: (s["area_name_zh"] if lang == "zh" else s["area_name_en"]) or tr(lang, "无", "none")),
    ("椭球面积 公顷", "Ellipsoidal ha", 18, lambda s, lang: _fmt(s["area_ha"])),
    ("亩", "mu", 14, lambda s, lang: _fmt(s["area_mu"], 2)),
    ("高斯平面 公顷", "GK planar ha", 18, lambda s, lang: _fmt(s["gk_area_ha"])),
    ("区域外 公顷", "Outside ha", 16, lambda s, lang: _fmt(s["outside_ha"])),
    ("剩余 前→后 公顷", "Left before→after ha", 28,
     lambda s, lang: f"{_fmt(s['before_ha'])}→{_fmt(s['after_ha'])}"),
    ("结论", "Verdict", 22, lambda s, lang: ""),
)


def _truncate(text: str, width_mm: float, size: float) -> str:
    lines = wrap(text, width_mm / (size * 0.3528))
    return lines[0] + ("…" if len(lines) > 1 else "")


def report_pdf(stored, areas: gpd.GeoDataFrame, *, lang: str = "zh", allocations=None,
               data_version: str = "") -> bytes:
    """The PDF report of a stored check (:class:`parks.check_records.StoredCheck`)."""
    result = stored.result
    summaries = stored.summaries(PDF_MAX_PARCELS)
    totals = result.totals()
    buf = io.BytesIO()
    footer = (f"{tr(lang, '河南省战略性新兴产业地图', 'Henan SEI Atlas')} · "
              f"{tr(lang, '核查', 'check')} #{stored.id} · {tr(lang, '数据版本', 'data')} {data_version}")
    with PdfPages(buf, metadata={"Title": f"Parcel check {stored.id}", "Creator": "Henan SEI Atlas",
                                 "CreationDate": None}) as pdf:
        pages = 1
        page = _Page(pdf, footer)
        page.line(tr(lang, "地块用地指标核查报告", "Parcel land-use quota check"), 16, weight="bold", gap=3)
        page.line(f"{tr(lang, '核查编号', 'Check')} #{stored.id} · "
                  f"{beijing_time(stored.created_at, lang)} · {tr(lang, '核查人', 'by')} {stored.actor}", 8.5)
        verdict = totals["verdict"]
        page.y += 1
        page.fig.patches.append(_verdict_box(page, verdict))
        page.text(MARGIN_MM + 3, page.y + 1.6, f"{tr(lang, '结论：', 'Verdict: ')}"
                  f"{tr(lang, *VERDICT_LABELS[verdict])}", 13, weight="bold", color="#ffffff")
        counts = "  ".join(f"{tr(lang, *VERDICT_LABELS[k])} {n}" for k, n in totals["verdicts"].items())
        page.text(MARGIN_MM + 75, page.y + 2.6, counts, 9, color="#ffffff")
        page.y += 12
        for label, value in _meta_lines(stored, lang):
            page.para(f"{label}：{value}" if lang == "zh" else f"{label}: {value}", 8.5)
        page.y += 1.5
        for caveat in _caveats(result, lang):
            page.para("• " + caveat, 8, color="#8a5a00")
        page.y += 2
        map_h = min(95.0, page.room() - 40)
        _draw_map(page.axes(MARGIN_MM, page.y, A4_MM[0] - 2 * MARGIN_MM, map_h),
                  result.rows.iloc[:PDF_MAX_PARCELS], areas, allocations, lang)
        page.y += map_h + 4
        page.line(tr(lang, "合计", "Totals"), 10, weight="bold")
        page.para(_totals_line(totals, lang), 8.5)
        page.y += 4
        page.line(tr(lang, "逐块结果", "Parcel by parcel"), 10, weight="bold", gap=2)
        _table_header(page, lang)
        for s in summaries:
            attributes = " · ".join(f"{k} {attribute_text(v)}" for k, v in s["attributes"].items())
            notes = [r["zh"] if lang == "zh" else r["en"] for r in s["reasons"]]
            lines = sum(len(wrap(r, (A4_MM[0] - 2 * MARGIN_MM - 12) / (7 * 0.3528)))
                        for r in [attributes, *notes] if r)
            if page.room() < 6 + lines * 3.3:
                page.close(pages)
                pages += 1
                page = _Page(pdf, footer)
                _table_header(page, lang)
            _table_row(page, s, lang)
            if attributes:
                page.para(attributes, 7, indent=12, color="#1f3a5f")
            for r in notes:
                page.para("· " + r, 7, indent=12, color="#444444")
            page.y += 1.2
        if totals["parcels"] > PDF_MAX_PARCELS:
            page.para(tr(lang, f"仅列出前 {PDF_MAX_PARCELS} 块，全部 {totals['parcels']} 块见 CSV 报告。",
                         f"Only the first {PDF_MAX_PARCELS} parcels are listed; the CSV report has all "
                         f"{totals['parcels']}."), 8)
        page.y += 2
        page.para(_method_note(lang), 7, color="#555555")
        if page.room() < SIGN_OFF_MM:
            page.close(pages)
            pages += 1
            page = _Page(pdf, footer)
        _sign_off(page, lang)
        page.close(pages)
    return buf.getvalue()


#: height of the sign-off block: review opinion box, then 经办人 / 审核人 / 日期
SIGN_OFF_MM = 44.0


def _sign_off(page: _Page, lang: str) -> None:
    """The block a land office signs before filing: review opinion, 经办人, 审核人, 日期."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    width = A4_MM[0] - 2 * MARGIN_MM
    page.y += 4
    page.line(tr(lang, "审核意见", "Review opinion"), 9, weight="bold", gap=1.5)
    left, top = page._xy(MARGIN_MM, page.y)
    page.fig.patches.append(Rectangle((left, top - 18 / A4_MM[1]), width / A4_MM[0], 18 / A4_MM[1],
                                      transform=page.fig.transFigure, facecolor="none",
                                      edgecolor="#888888", linewidth=0.6, figure=page.fig))
    page.y += 26
    fields = (("经办人", "Prepared by"), ("审核人", "Reviewed by"), ("日期", "Date"))
    step = width / len(fields)
    label_mm = 24 if lang == "en" else 17  # room for the field name before its line
    for i, (zh, en) in enumerate(fields):
        x = MARGIN_MM + i * step
        page.text(x, page.y - 3.2, f"{tr(lang, zh, en)}{tr(lang, '：', ':')}", 9)
        x0, y0 = page._xy(x + label_mm, page.y)
        x1, _ = page._xy(x + step - 6, page.y)
        page.fig.lines.append(Line2D([x0, x1], [y0, y0], transform=page.fig.transFigure,
                                     color="#222222", linewidth=0.6, figure=page.fig))
    page.y += 4


def _verdict_box(page: _Page, verdict: str):
    from matplotlib.patches import Rectangle

    left, top = page._xy(MARGIN_MM, page.y)
    height = 9 / A4_MM[1]
    return Rectangle((left, top - height), (A4_MM[0] - 2 * MARGIN_MM) / A4_MM[0], height,
                     transform=page.fig.transFigure, facecolor=VERDICT_COLOURS[verdict],
                     edgecolor="none", figure=page.fig)


def _meta_lines(stored, lang: str) -> list[tuple[str, str]]:
    meta = stored.meta
    how = CRS_HOW.get(meta.get("crs_how"), ("", ""))
    lines = [
        (tr(lang, "文件", "File"), f"{stored.filename} ({meta.get('format') or '?'})"),
        (tr(lang, "坐标系", "CRS"), f"{meta.get('source_crs') or '?'}（{tr(lang, *how)}）"
         if lang == "zh" else f"{meta.get('source_crs') or '?'} ({tr(lang, *how)})"),
        (tr(lang, "编码", "Encoding"), meta.get("encoding") or "—"),
        (tr(lang, "指标年度", "Quota year"), str(stored.result.year)),
    ]
    if meta.get("datum"):
        lines.append((tr(lang, "坐标转换", "Datum conversion"), f"{meta['datum']} → CGCS2000"))
    if meta.get("declared"):
        lines.append((tr(lang, "申报园区", "Applied for"),
                      tr(lang, *meta["declared_name"]) if meta.get("declared_name") else meta["declared"]))
    if meta.get("name_preview"):
        lines.append((tr(lang, "名称预览", "Names"), "、".join(map(str, meta["name_preview"][:6]))))
    return lines


def _caveats(result, lang: str) -> list[str]:
    out = []
    if (result.rows["geom_basis"] == pv.SCHEMATIC).any():
        out.append(tr(lang, "园区/高新区范围为示意圆，不是正式红线：在导入正式红线之前，“位于园区内”只能作为"
                            "参考，结论为“需人工复核”。",
                      "Park/zone footprints are schematic circles, not red lines: until the official "
                      "boundaries are imported, 'inside the park' is indicative only and the verdict is "
                      "'needs manual review'."))
    if (result.rows["quota_basis"] == pv.DERIVED).any():
        rule = seed_rule()[1]
        out.append(tr(lang, f"指标为推算值：{rule}，不是正式下达的指标。",
                      f"Quotas are derived: {rule}; they are not official figures."))
    for zh, en in result.unreadable_lines() + list(result.notes):
        out.append(tr(lang, zh, en))
    return out


def _totals_line(totals: dict, lang: str) -> str:
    ha = {k: _fmt(m2_to_ha(totals[f"{k}_m2"])) for k in ("area", "gk_area", "outside", "overlap")}
    mu = _fmt(m2_to_mu(totals["area_m2"]), 2)
    return tr(lang, f"{totals['parcels']} 块；椭球面积 {ha['area']} 公顷（{mu} 亩）；高斯平面面积 "
                    f"{ha['gk_area']} 公顷；区域外 {ha['outside']} 公顷；与已用地重叠 {ha['overlap']} 公顷。",
              f"{totals['parcels']} parcels; ellipsoidal area {ha['area']} ha ({mu} mu); GK planar "
              f"{ha['gk_area']} ha; outside {ha['outside']} ha; overlapping the ledger {ha['overlap']} ha.")


def _method_note(lang: str) -> str:
    now = beijing_time(datetime.now(timezone.utc), lang)
    return tr(lang, "面积说明：椭球面积为 CGCS2000（GRS80 椭球）上的面积，作为核算依据；高斯平面面积为"
                    "地块所在 3° 高斯–克吕格投影带中的平面面积，供与测绘成果对照。"
                    f"1 公顷 = 10,000 m²，1 亩 = 666.67 m²。生成时间 {now}。",
              "Areas: the ellipsoidal area on CGCS2000 (GRS80) is the reference figure; the planar area "
              "in the parcel's 3° Gauss–Krüger zone is shown for comparison with survey results. "
              f"1 ha = 10,000 m², 1 mu = 666.67 m². Generated {now}.")


def _table_header(page: _Page, lang: str) -> None:
    x = MARGIN_MM
    for zh, en, width, _ in TABLE:
        page.text(x, page.y, tr(lang, zh, en), 7, weight="bold")
        x += width
    page.y += 4.5


def _table_row(page: _Page, s: dict, lang: str) -> None:
    x = MARGIN_MM
    for _, _, width, cell in TABLE[:-1]:
        page.text(x, page.y, _truncate(cell(s, lang), width - 1.5, 7.5), 7.5)
        x += width
    page.text(x, page.y, tr(lang, *VERDICT_LABELS[s["verdict"]]), 7.5, weight="bold",
              color=VERDICT_COLOURS[s["verdict"]])
    page.y += 3.8
