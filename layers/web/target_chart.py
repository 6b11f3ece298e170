"""A bullet chart of target against actual, as inline SVG made on the server (no chart library).

One row per area that has a target or an actual (from :func:`parks.monitoring.compare`), then
the province against the plan's total on a scale of its own: a pale bar is the target, the
narrow bar inside it the actual, coloured as on the map, and the numbers on the right are the
same as in the map's popups and the table.
"""

from __future__ import annotations

import unicodedata
from html import escape

from layers.labels import city, missing, num, pick, signed, tr
from layers.web.views import STATUS_COLOURS
from parks.monitoring import NOTHING

ROW_H = 26
LABEL_W = 120
BAR_W = 150
TEXT_W = 150
WIDTH = LABEL_W + BAR_W + TEXT_W  # px at 12 px type; the SVG scales to its container
LABEL_UNITS = 18  # what fits in LABEL_W: a Chinese character takes two units, a Latin one


def _short(text: str) -> str:
    """``text`` cut to fit the label column, with an ellipsis when cut."""
    widths = [2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text]
    if sum(widths) <= LABEL_UNITS:
        return text
    out, used = "", 1  # the ellipsis
    for ch, width in zip(text, widths, strict=True):
        if used + width > LABEL_UNITS:
            break
        out, used = out + ch, used + width
    return out + "…"


def _row(y: float, row: dict, label: str, vmax: float) -> str:
    def width(v) -> float:
        return 0.0 if missing(v) or not vmax else round(BAR_W * v / vmax, 1)

    target, actual = row["target"], row["actual"]
    parts = [f'<text x="{LABEL_W - 6}" y="{y + 17}" text-anchor="end"><title>{escape(label)}</title>'
             f"{escape(_short(label))}</text>"]
    if not missing(target):
        parts.append(f'<rect class="target" x="{LABEL_W}" y="{y + 4}" width="{width(target)}" '
                     f'height="{ROW_H - 8}" fill="#d9d9d9"/>')
    if not missing(actual):
        parts.append(f'<rect class="actual" x="{LABEL_W}" y="{y + 9}" width="{width(actual)}" '
                     f'height="{ROW_H - 18}" fill="{STATUS_COLOURS[row["status"]]}"/>')
    if not missing(target):
        parts.append(f'<line x1="{LABEL_W + width(target)}" x2="{LABEL_W + width(target)}" y1="{y + 2}" '
                     f'y2="{y + ROW_H - 2}" stroke="#222" stroke-width="2"/>')
    figures = f"{num(actual)} / {num(target)}"
    gap = "" if missing(row["gap"]) else f" ({signed(row['gap'])})"
    parts.append(f'<text x="{LABEL_W + BAR_W + 6}" y="{y + 17}">{escape(figures + gap)}</text>')
    data = {"id": row["id"], "target": "" if missing(target) else target,
            "actual": "" if missing(actual) else actual}
    attrs = " ".join(f'data-{k}="{escape(str(v))}"' for k, v in data.items())
    return f'<g class="chart-row" {attrs}>{"".join(parts)}</g>'



def target_chart(comparison: dict, lang: str) -> str:
    """The chart as an ``<svg>`` element (scales with its container's width)."""
    rows = [r for r in comparison["rows"].to_dict("records") if r["status"] != NOTHING]
    level, metric = comparison["level"], comparison["metric"]
    unit = tr(lang, metric.unit_zh, metric.unit_en)
    vmax = max([v for r in rows for v in (r["target"], r["actual"]) if not missing(v)], default=0.0)
    province = comparison["province"]
    pmax = max([v for v in (province["target"], province["actual"]) if not missing(v)], default=0.0)
    y, body = 28, []
    for r in rows:
        label = city(r["name_zh"], lang) if level == "city" else pick(r, "name", lang)
        body.append(_row(y, r, label, vmax))
        y += ROW_H
    if not rows:
        empty = tr(lang, "本级暂无目标或实际值。", "No target or actual at this level yet.")
        body.append(f'<text x="{LABEL_W}" y="{y + 17}">{escape(empty)}</text>')
        y += ROW_H
    y += 10
    body.append(f'<line x1="0" x2="{WIDTH}" y1="{y}" y2="{y}" stroke="#bbb"/>')
    y += 6
    if pmax:
        body.append(_row(y, province, tr(lang, "全省（规划总量）", "Province (plan total)"), pmax))
        y += ROW_H
    title = tr(lang, f"{comparison['year']}年{metric.name_zh}：实际 / 目标（{unit}）",
               f"{metric.name_en} {comparison['year']}: actual / target ({unit})")
    legend = tr(lang, "浅灰条＝目标，竖线＝目标位置，彩色条＝实际；括号内为差距",
                "pale bar = target, tick = target, coloured bar = actual; gap in brackets")
    return chart_svg("target-chart", title, body, legend, y, bottom=22)


def chart_svg(css_class: str, title: str, rows: list[str], note: str, y: float, *, bottom: float) -> str:
    """A server-side bar chart: its title, the ``rows`` drawn above ``y`` and a grey ``note`` under
    them (one frame for every chart of the pages)."""
    return (f'<svg class="{css_class}" viewBox="0 0 {WIDTH} {y + bottom}" width="100%" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" font-size="12">'
            f'<title>{escape(title)}</title><text x="0" y="16" font-weight="600">{escape(title)}</text>'
            f'{"".join(rows)}<text x="0" y="{y + 16}" fill="#666" font-size="11">{escape(note)}</text>'
            '</svg>')
