"""The sheet around the map: title, legend, scale bar, north arrow, notes, footer, watermark.

Positions and sizes are millimetres of an A4 sheet, multiplied by the paper's scale. Each
element gets a ``gid`` (``title``, ``legend``, ``scalebar``, ``northarrow``…), kept as ``id`` in
SVG, so tests and designers can find it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle
from pyproj import Proj

from geo.crs import CGCS2000, transformer
from layers.print import fonts
from layers.print.printmap import PT_PER_LINE_PX, PT_PER_PX, dash
from layers.print.sheet import MM_PER_INCH, SheetOptions, text_width_em, wrap

PT_PER_MM = 72 / MM_PER_INCH
INK = "#222222"
MUTED = "#555555"


def layout(options: SheetOptions, header_mm: float = 21.0) -> dict[str, tuple[float, float, float, float]]:
    """Boxes (x, y, width, height) in mm from the bottom-left corner of the sheet; ``header_mm``
    is the height the title and subtitle need on A4 (see :func:`heading`)."""
    s = options.scale
    w, h = options.paper_mm
    m = 10 * s
    header, footer = header_mm * s, 14 * s
    boxes = {"header": (m, h - m - header, w - 2 * m, header), "footer": (m, m, w - 2 * m, footer)}
    body_bottom, body_top = m + footer + 2 * s, h - m - header
    if options.orientation == "portrait":
        panel = 55 * s
        boxes["map"] = (m, body_bottom + panel + 3 * s, w - 2 * m, body_top - body_bottom - panel - 3 * s)
        legend_w = (w - 2 * m) * 0.56
        boxes["legend"] = (m, body_bottom, legend_w, panel)
        boxes["notes"] = (m + legend_w + 4 * s, body_bottom, w - 2 * m - legend_w - 4 * s, panel)
    else:
        side = 84 * s
        boxes["map"] = (m, body_bottom, w - 2 * m - side - 5 * s, body_top - body_bottom)
        x = w - m - side
        boxes["legend"] = (x, body_bottom + 62 * s, side, body_top - body_bottom - 62 * s)
        boxes["notes"] = (x, body_bottom, side, 60 * s)
    return boxes


def axes_mm(fig, box, options: SheetOptions, gid: str):
    """An axes over ``box`` (mm) whose data units are millimetres, with nothing drawn but content."""
    w, h = options.paper_mm
    x, y, bw, bh = box
    ax = fig.add_axes((x / w, y / h, bw / w, bh / h))
    ax.set_xlim(0, bw)
    ax.set_ylim(0, bh)
    ax.set_axis_off()
    ax.set_gid(gid)
    return ax


def fig_text(fig, options: SheetOptions, x_mm, y_mm, text, size, *, gid, colour=INK, **kw):
    w, h = options.paper_mm
    artist = fig.text(x_mm / w, y_mm / h, text, fontproperties=fonts.props(size * options.scale),
                      color=colour, **kw)
    artist.set_gid(gid)
    return artist


@dataclass(frozen=True)
class Heading:
    """Title fitted to the width (shrunk, then wrapped to two lines) and up to two subtitle lines."""

    lines: list[str]
    size: float
    sub_lines: list[str]
    SUB_SIZE = 8.5

    @property
    def title_mm(self) -> float:
        return len(self.lines) * self.size * 1.2 / PT_PER_MM

    @property
    def height_mm(self) -> float:
        """Height on A4, with the gap above the map."""
        return self.title_mm + 1.5 + len(self.sub_lines) * self.SUB_SIZE * 1.3 / PT_PER_MM + 3.0


def heading(options: SheetOptions, title: str, subtitle: str) -> Heading:
    width_pt = (options.paper_mm[0] / options.scale - 20) * PT_PER_MM
    size = min(20.0, max(13.0, width_pt / max(text_width_em(title), 1)))
    lines = wrap(title, width_pt / size)
    if len(lines) > 1:
        size = min(size, 15.0)
        lines = wrap(title, width_pt / size)[:2]
    return Heading(lines, size, wrap(subtitle, width_pt / Heading.SUB_SIZE)[:2])


def title_block(fig, options: SheetOptions, box, head: Heading) -> None:
    x, y, w, h = box
    top = y + h
    fig_text(fig, options, x, top, "\n".join(head.lines), head.size, gid="title", va="top", linespacing=1.15)
    fig_text(fig, options, x, top - (head.title_mm + 1.5) * options.scale, "\n".join(head.sub_lines),
             head.SUB_SIZE, gid="subtitle", colour=MUTED, va="top", linespacing=1.3)


def text_box(fig, options: SheetOptions, box, paragraphs: list[str], size: float, gid: str,
             *, colour=INK, heading: str | None = None) -> None:
    """Paragraphs wrapped to the box width, from its top; lines that do not fit are cut."""
    ax = axes_mm(fig, box, options, gid)
    x, y, w, h = box
    width_em = w / options.scale * PT_PER_MM / size
    line_mm = size * 1.38 / PT_PER_MM * options.scale
    lines = ([heading] if heading else []) + [ln for p in paragraphs for ln in wrap(p, width_em)]
    fits = max(int(h // line_mm), 1)
    ax.text(0, h, "\n".join(lines[:fits]), va="top", ha="left", linespacing=1.38, color=colour,
            fontproperties=fonts.props(size * options.scale))


# --- legend ------------------------------------------------------------------------------------

def _swatch(ax, item: dict, x: float, y: float, s: float) -> None:
    """Draw one legend symbol centred at (x, y) mm; ``s`` is the paper scale."""
    kind, c = item["kind"], item.get("colour", INK)
    if kind in ("area", "fill"):
        alpha = 0.3 if kind == "area" else 1.0
        ax.add_patch(Rectangle((x - 3 * s, y - 1.8 * s), 6 * s, 3.6 * s, fc=to_rgba(c, alpha),
                               ec=c if kind == "area" else "none", lw=1.0 * s, ls=dash(item.get("dash"))))
    elif kind == "line":
        ax.add_line(Line2D([x - 3.2 * s, x + 3.2 * s], [y, y], color=c,
                           lw=item["weight"] * PT_PER_LINE_PX * s * 1.4))
    else:
        r_pt = item.get("radius_pt") or item["radius"] * PT_PER_PX * s
        ax.scatter([x], [y], s=(2 * r_pt) ** 2, fc=to_rgba(c, item.get("fill_opacity", 0.35)),
                   ec=item.get("edge", c), lw=1.0 * s, linestyles=dash(item.get("dash")), clip_on=False)


def _swatch_mm(item: dict, s: float) -> float:
    """Width the swatch of ``item`` takes (big proportional circles take their diameter)."""
    return max(7.2 * s, 2 * item.get("radius_pt", 0) / PT_PER_MM + 1.0 * s)


def _row_height(item: dict, lines: list[str], line: float, s: float) -> float:
    return max(len(lines) * line, item.get("row_mm", 0) * s, 4.2 * s)


def draw_legend(fig, options: SheetOptions, box, sections: list[tuple[str, list[dict]]]) -> int:
    """Sections of (swatch, label) rows flowing down columns (two when the box is wide), a section
    kept in one column when it fits. Returns how many items did not fit (then "…" ends it)."""
    ax = axes_mm(fig, box, options, "legend")
    s = options.scale
    w, h = box[2], box[3]
    ncol = 2 if w / s > 95 else 1
    col_w = w / ncol
    size, head = 6.4, 7.0
    line = size * 1.35 / PT_PER_MM * s
    head_h = head * 1.6 / PT_PER_MM * s
    col, y, omitted = 0, h, 0
    for title, items in sections:
        rows = [(item, wrap(item["label"], (col_w - _swatch_mm(item, s) - 3 * s) / s * PT_PER_MM / size))
                for item in items]
        need = head_h + sum(_row_height(item, lines, line, s) + 0.8 * s for item, lines in rows)
        if y - need < 0 and y < h and col < ncol - 1:
            col, y = col + 1, h
        if omitted or y - head_h - _row_height(*rows[0], line, s) < 0:
            omitted += len(rows)
            continue
        ax.text(col * col_w, y, title, va="top", ha="left", color=INK, fontproperties=fonts.props(head * s))
        y -= head_h
        for item, lines in rows:
            row_h = _row_height(item, lines, line, s)
            if y - row_h < 0 and col < ncol - 1:
                col, y = col + 1, h
            if omitted or y - row_h < 0:
                omitted += 1
                continue
            x, sw = col * col_w, _swatch_mm(item, s)
            centre = y - row_h / 2 if item.get("row_mm") else y - line / 2 - 0.3 * s
            _swatch(ax, item, x + sw / 2, centre, s)
            ax.text(x + sw + 1.3 * s, y, "\n".join(lines), va="top", ha="left", color=INK,
                    linespacing=1.35, fontproperties=fonts.props(size * s))
            y -= row_h + 0.8 * s
        y -= 1.5 * s
    if omitted:
        ax.text(w, 0, "…", ha="right", va="bottom", color=MUTED, fontproperties=fonts.props(size * s))
    return omitted


# --- scale bar and north arrow ---------------------------------------------------------------------

def nice_length(max_m: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``max_m``."""
    exp = 10 ** math.floor(math.log10(max_m))
    return max(f * exp for f in (1, 2, 5) if f * exp <= max_m)


def draw_scalebar(fig, options: SheetOptions, map_box, units_per_mm: float, crs, centre_lonlat,
                  lang: str) -> dict:
    """A bar of a round ground distance, corrected by the projection's scale factor at the sheet
    centre, with the representative fraction at the printed paper size."""
    s = options.scale
    lon, lat = centre_lonlat
    k = Proj(crs).get_factors(lon, lat).parallel_scale
    ground_per_mm = units_per_mm / k
    length_m = nice_length(ground_per_mm * map_box[2] * 0.22)
    bar_mm = length_m / ground_per_mm
    box = (map_box[0] + 4 * s, map_box[1] + 4 * s, bar_mm + 16 * s, 14 * s)
    ax = axes_mm(fig, box, options, "scalebar")
    ax.add_patch(FancyBboxPatch((0, 0), box[2], box[3], boxstyle=f"round,pad=0,rounding_size={s}",
                                fc=(1, 1, 1, 0.85), ec="#bbbbbb", lw=0.5 * s))
    x0, y0, seg = 5 * s, 5.2 * s, bar_mm / 4
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * seg, y0), seg, 1.6 * s, fc=INK if i % 2 == 0 else "white",
                               ec=INK, lw=0.6 * s))
    unit, div = ("km", 1000) if length_m >= 1000 else ("m", 1)
    for frac in (0, 0.5, 1):
        value = length_m * frac / div
        text = f"{value:g}" + (f" {unit}" if frac == 1 else "")
        ax.text(x0 + bar_mm * frac, y0 + 2.6 * s, text, ha="center", va="bottom", color=INK,
                fontproperties=fonts.props(6.2 * s))
    denominator = round(ground_per_mm * 1000, -3 if ground_per_mm > 10 else -2)
    paper = options.paper
    ax.text(x0, y0 - 1.2 * s, f"1 : {denominator:,.0f}".replace(",", " ") + "  " +
            (f"（{paper} 原大打印）" if lang == "zh" else f"(printed at {paper})"),
            ha="left", va="top", color=MUTED, fontproperties=fonts.props(5.4 * s))
    return {"length_m": length_m, "bar_mm": bar_mm, "scale_factor": k, "denominator": denominator}


def grid_north_angle(crs, lon: float, lat: float) -> float:
    """Degrees from the sheet's up direction to true north at (lon, lat) (positive: clockwise)."""
    t = transformer(CGCS2000, crs)
    (x0, x1), (y0, y1) = t.transform([lon, lon], [lat, lat + 0.05])
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def draw_north_arrow(fig, options: SheetOptions, map_box, crs, centre_lonlat, lang: str) -> float:
    """A north arrow pointing to true north at the sheet centre (grid convergence applied)."""
    s = options.scale
    size = 14 * s
    box = (map_box[0] + 4 * s, map_box[1] + map_box[3] - size - 4 * s, size, size)
    ax = axes_mm(fig, box, options, "northarrow")
    ax.add_patch(FancyBboxPatch((0, 0), size, size, boxstyle=f"round,pad=0,rounding_size={s}",
                                fc=(1, 1, 1, 0.85), ec="#bbbbbb", lw=0.5 * s))
    angle = grid_north_angle(crs, *centre_lonlat)
    c = size / 2
    a = math.radians(angle)

    def rot(points):
        pts = np.asarray(points, float)
        rx = pts[:, 0] * math.cos(a) + pts[:, 1] * math.sin(a)
        ry = -pts[:, 0] * math.sin(a) + pts[:, 1] * math.cos(a)
        return np.column_stack([rx + c, ry + c - 1.5 * s])

    tip, base, half = 4.6 * s, -3.8 * s, 2.4 * s
    ax.add_patch(Polygon(rot([(0, tip), (-half, base), (0, base * 0.45)]), fc=INK, ec=INK, lw=0.5 * s))
    ax.add_patch(Polygon(rot([(0, tip), (half, base), (0, base * 0.45)]), fc="white", ec=INK, lw=0.5 * s))
    lx, ly = rot([(0, tip + 2.6 * s)])[0]
    ax.text(lx, ly, "北" if lang == "zh" else "N", ha="center", va="center", color=INK,
            fontproperties=fonts.props(8 * s))
    return angle


def watermark(fig, options: SheetOptions, map_box) -> None:
    """A diagonal mark across the map: shown whenever any drawn feature is fictional."""
    x, y, w, h = map_box
    fig_text(fig, options, x + w / 2, y + h / 2, "虚构示例数据\nFICTIONAL SAMPLE DATA", 30,
             gid="watermark", colour=(0.75, 0.1, 0.1, 0.28), ha="center", va="center", rotation=30,
             zorder=50, linespacing=1.2)
