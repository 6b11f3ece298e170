"""A park's land-use breakdown as inline SVG made on the server: one bar per land group of the
survey (construction with its industrial part, agricultural with its cultivated part, unused),
in 公顷 and as a share of the surveyed land, the same numbers as the indicator table."""

from __future__ import annotations

from html import escape

from layers.labels import missing, num, tr
from layers.web.target_chart import chart_svg
from parks.indicators import AGRICULTURAL, CONSTRUCTION, UNUSED

ROW_H = 30
LABEL_W = 110
BAR_W = 180
TEXT_W = 300
WIDTH = LABEL_W + BAR_W + TEXT_W
M2_PER_HA = 10_000
#: group → (colour, its part shown inside the bar: the input key, colour, zh, en)
GROUPS = {
    CONSTRUCTION: ("#d1495b", ("industrial_m2", "#8c1c2b", "其中工业用地", "of which industrial")),
    AGRICULTURAL: ("#66a182", ("cultivated_m2", "#2e6b4a", "其中耕地", "of which cultivated")),
    UNUSED: ("#c8b88a", None),
}
GROUP_NAMES = {CONSTRUCTION: ("建设用地", "Construction land"), AGRICULTURAL: ("农用地", "Agricultural land"),
               UNUSED: ("未利用地", "Unused land")}


def land_use_chart(body: dict, lang: str) -> str:
    """The chart of ``body`` (:func:`parks.measured.area_indicators`) as an ``<svg>`` element."""
    groups = body["land_use"]
    values = {i["key"]: i["value"] for i in body["indicators"]}
    total = sum(v for v in groups.values() if not missing(v))
    y, parts = 28, []
    for group, (colour, inner) in GROUPS.items():
        m2 = groups.get(group)
        label = tr(lang, *GROUP_NAMES[group])
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + 18}" text-anchor="end">{escape(label)}</text>')
        width = 0.0 if missing(m2) or not total else round(BAR_W * m2 / total, 1)
        parts.append(f'<rect class="group" data-group="{escape(group)}" data-m2="{m2 or 0}" x="{LABEL_W}" '
                     f'y="{y + 5}" width="{width}" height="{ROW_H - 10}" fill="{colour}"/>')
        text = "—" if missing(m2) else (f"{num(m2 / M2_PER_HA, 2)} {tr(lang, '公顷', 'ha')} · "
                                         f"{num(100 * m2 / total if total else 0, 1)}%")
        if inner and not missing(values.get(inner[0])):
            part = values[inner[0]]
            inner_w = 0.0 if not total else round(BAR_W * part / total, 1)
            tip = f"{tr(lang, inner[2], inner[3])} {num(part / M2_PER_HA, 2)} {tr(lang, '公顷', 'ha')}"
            parts.append(f'<rect class="part" x="{LABEL_W}" y="{y + 11}" width="{inner_w}" '
                         f'height="{ROW_H - 22}" fill="{inner[1]}"><title>{escape(tip)}</title></rect>')
            text += tr(lang, f"（{inner[2]} {num(part / M2_PER_HA, 2)} 公顷）",
                       f" ({inner[3]} {num(part / M2_PER_HA, 2)} ha)")
        parts.append(f'<text x="{LABEL_W + BAR_W + 6}" y="{y + 18}">{escape(text)}</text>')
        y += ROW_H
    title = tr(lang, f"{body['year']}年土地调查：区域内地类构成（实测）",
               f"Land use inside the area, land-use survey {body['year']} (measured)")
    note = tr(lang, "条长＝占区域内调查图斑面积的比例；深色段为其中的工业用地／耕地",
              "bar = share of the surveyed land inside the area; the dark part is industrial / cultivated")
    return chart_svg("land-use-chart", title, parts, note, y, bottom=26)
