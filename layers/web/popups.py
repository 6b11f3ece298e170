"""Popup HTML for every feature: each figure with its basis, the location's precision, the
geometry's basis and the evidence and source it rests on. Every value is HTML-escaped."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from layers.labels import (
    CANDIDATE,
    basis_badge,
    city,
    field_basis,
    missing,
    num,
    pick,
    precision_label,
    recorded_actuals,
    tr,
)
from parks import provenance as pv
from parks import source_kinds as sk
from parks.actuals import metrics
from parks.evidence import KEY_LABELS, ORIGINAL, STRENGTH, evidence_items, text_language
from parks.footprints import RULES
from parks.summary import EVEN_SPLIT_RULE

#: per-park figures: (field 2012, field 2013, label zh, label en, unit zh, unit en)
PARK_FIGURES = (
    ("a12_km2", "a13_km2", "建成面积", "Built-up area", "km²", "km²"),
    ("inv12_yi", "inv13_yi", "完成投资", "Investment", "亿元", "100M yuan"),
    ("rev12_yi", "rev13_yi", "主营业务收入", "Main-business revenue", "亿元", "100M yuan"),
)


def _row(label: str, value_html: str) -> str:
    return f"<tr><th>{escape(label)}</th><td>{value_html}</td></tr>"


def _text_row(label: str, value) -> str:
    return "" if missing(value) else _row(label, escape(str(value)))


def figure(value, unit: str, basis: str, lang: str, *, digits: int = 2) -> str:
    """'4.06 km² [推算]' as HTML; a missing figure reads '未公开 / not public'."""
    if missing(value):
        return escape(tr(lang, "未公开", "not public"))
    return f"{escape(num(value, digits))} {escape(unit)} {basis_badge(basis, lang)}"


def change(v12, v13, unit: str, basis: str, lang: str) -> str:
    """'3.13 → 4.06 km² [推算]' (2012 → 2013)."""
    if missing(v12) and missing(v13):
        return escape(tr(lang, "未公开", "not public"))
    return f"{escape(num(v12))} → {escape(num(v13))} {escape(unit)} {basis_badge(basis, lang)}"


def _park_rows(p: dict, lang: str) -> list[str]:
    rows = [_text_row(tr(lang, "状态", "Status"), pick(p, "status", lang)),
            _text_row(tr(lang, "产业", "Industry"), pick(p, "ind", lang))]
    if not missing(p.get("strength")):
        rows.append(_row(tr(lang, "证据强度", "Evidence strength"),
                         escape(tr(lang, *STRENGTH.get(p["strength"], (p["strength"],) * 2)))))
    for f12, f13, zh, en, unit_zh, unit_en in PARK_FIGURES:
        rows.append(_row(tr(lang, f"{zh} 2012→2013", f"{en} 2012→2013"),
                         park_change(p, f12, f13, tr(lang, unit_zh, unit_en), lang)))
    rows += measured_rows(p, lang)
    if any(field_basis(p, f) == pv.DERIVED for f12, f13, *_ in PARK_FIGURES for f in (f12, f13)):
        rows.append(_row(tr(lang, "推算方法", "Derivation"), escape(tr(lang, *EVEN_SPLIT_RULE))))
    recorded = recorded_actuals(p, lang)
    if recorded:
        rows.append(_row(tr(lang, "实际数字", "Actual figures"),
                         "<br>".join(f"<small>{escape(text)}</small>" for text in recorded)))
    return rows


def measured_rows(p: dict, lang: str) -> list[str]:
    """A row per metric measured from a loaded survey (``measured_<metric>`` of
    :func:`parks.actuals.with_actuals`): '建成面积（2019年实测）4.12 km² [实测]'."""
    rows = []
    for metric in metrics().values():
        value, year = p.get(f"measured_{metric.key}"), p.get(f"measured_{metric.key}_year")
        if missing(value) or missing(year):
            continue
        label = tr(lang, f"{metric.name_zh}（{int(year)}年实测）",
                   f"{metric.name_en} ({int(year)}, measured)")
        rows.append(_row(label, figure(value, tr(lang, metric.unit_zh, metric.unit_en), pv.MEASURED, lang)
                         + f"<br><small>{escape(str(p.get(f'measured_{metric.key}_src') or ''))}</small>"))
    return rows


def park_change(p: dict, f12: str, f13: str, unit: str, lang: str) -> str:
    """A park's 2012 → 2013 figure, each year with its own basis when a recorded actual
    (:func:`parks.actuals.with_actuals`) replaces one of the derived shares."""
    b12, b13 = field_basis(p, f12), field_basis(p, f13)
    if b12 == b13 or missing(p.get(f12)) or missing(p.get(f13)):
        return change(p.get(f12), p.get(f13), unit, b13, lang)
    return (f"{escape(num(p[f12]))} {basis_badge(b12, lang)} → {escape(num(p[f13]))} {escape(unit)} "
            f"{basis_badge(b13, lang)}")


def _zone_rows(p: dict, lang: str) -> list[str]:
    basis = p.get("area_basis") or pv.NONE
    rows = [_text_row(tr(lang, "级别", "Level"), pick(p, "status", lang)),
            "" if missing(p.get("approved")) else _row(tr(lang, "批准", "Approved"),
                                                          original_text(p["approved"], lang)),
            _row(tr(lang, "建成面积", "Built-up area"), figure(p.get("built_km2"), "km²", basis, lang)),
            _row(tr(lang, "规划面积", "Planned area"), figure(p.get("plan_km2"), "km²", basis, lang))]
    if p.get("batch") == "2013_target":
        target = tr(lang, "2013年新建省级高新区目标之一", "one of the 2013 new-zone targets")
        rows.append(_row(tr(lang, "方案", "Plan"), escape(target)))
    return rows


def _investment(p: dict, lang: str) -> str:
    text = figure(p.get("inv_yi"), tr(lang, "亿元", "100M yuan"), p.get("inv_basis") or pv.NONE, lang)
    year = p.get("inv_year")
    return text if missing(year) else f"{text} ({escape(str(year))})"


def _foxconn_rows(p: dict, lang: str) -> list[str]:
    return [_text_row(tr(lang, "角色", "Role"), pick(p, "role", lang)),
            _text_row(tr(lang, "产品", "Products"), pick(p, "prod", lang)),
            _text_row(tr(lang, "状态", "Status"), pick(p, "status", lang)),
            _row(tr(lang, "投资", "Investment"), _investment(p, lang))]


def _project_rows(p: dict, lang: str) -> list[str]:
    return [_text_row(tr(lang, "板块", "Sector"), pick(p, "sector", lang)),
            _text_row(tr(lang, "产业", "Industry"), pick(p, "ind", lang)),
            _text_row(tr(lang, "产品", "Product"), pick(p, "prod", lang)),
            _text_row(tr(lang, "状态", "Status"), pick(p, "status", lang)),
            _row(tr(lang, "投资", "Investment"), _investment(p, lang))]


def _cluster_rows(p: dict, lang: str) -> list[str]:
    revenue = figure(p.get("rev_yi"), tr(lang, "亿元", "100M yuan"), p.get("rev_basis") or pv.NONE, lang)
    if not missing(p.get("rev_yi")):
        revenue += f"<br><small>{escape(pick(p, 'rnote', lang))}</small>"
    sections = None if missing(p.get("section")) else tr(lang, "；", "; ").join(str(p["section"]).split("；"))
    return [_text_row(tr(lang, "方案章节", "Plan section"), sections),
            _text_row(tr(lang, "定位依据", "Located by"), pick(p, "link", lang)),
            _row(tr(lang, "主营业务收入", "Revenue"), revenue)]


LAYER_ROWS: dict[str, Callable[[dict, str], list[str]]] = {
    "parks": _park_rows, "zones": _zone_rows, "foxconn": _foxconn_rows,
    "projects": _project_rows, "clusters": _cluster_rows,
}


def location_rows(p: dict, lang: str) -> list[str]:
    """Where, how precisely, what the drawn geometry is, and the evidence and sources."""
    town = "" if missing(p.get("city")) else escape(city(str(p["city"]), lang))
    county = "" if missing(p.get("county")) else f'<span lang="zh">{escape(str(p["county"]))}</span>'
    place = " · ".join(x for x in (town, county) if x)
    precision = escape(precision_label(p.get("loc_prec") or "unlocated", lang))
    if p.get("loc_prec") in ("city seat", "county seat"):
        precision += "<br><small>" + escape(tr(lang, "实际位置在该县/市范围内某处，非厂址",
                                               "the real site is somewhere in that county/city, "
                                               "not a plant coordinate")) + "</small>"
    if not missing(p.get("prec_note")):
        precision += f"<br><small>{original_text(p['prec_note'], lang)}</small>"
    rule = RULES.get(p.get("geom_rule") or "none", RULES["none"])
    rows = [_row(tr(lang, "位置", "Location"), place) if place else "",
            _row(tr(lang, "位置精度", "Location precision"), precision),
            _row(tr(lang, "图形", "Geometry"),
                 f"{basis_badge(p.get('geom_basis') or pv.NONE, lang)} {escape(tr(lang, *rule))}")]
    block = evidence_html(p.get("evidence"), p.get("source"), lang)
    if block:
        rows.append(_row(tr(lang, "证据与来源", "Evidence and sources"),
                         f"<details><summary>{escape(tr(lang, '展开', 'show'))}</summary>{block}</details>"))
    return rows


def original_text(text, lang: str, *, tagged: bool = True) -> str:
    """``text`` as written, in an element naming its language; in a page of the other language
    it carries an "English original" (英文原文) tag unless ``tagged`` is False."""
    text = "" if missing(text) else str(text)
    written = text_language(text)
    body = f'<span lang="{written}">{escape(text)}</span>'
    if written == lang or not tagged:
        return body
    return f'<span class="tag original">{escape(tr(lang, *ORIGINAL[written]))}</span> {body}'


def _source_item(item: str, lang: str) -> str:
    kind = sk.classify(item)
    label = escape(tr(lang, *sk.KIND_LABELS[kind.kind]))
    badge = f'<span class="source-kind source-{kind.kind}">{label}</span>'
    if kind.secondary:
        badge += f' <span class="source-kind secondary">{escape(tr(lang, *sk.SECONDARY_LABEL))}</span>'
    return f"<li>{badge} {original_text(item, lang, tagged=False)}</li>"


def evidence_html(evidence, source, lang: str) -> str:
    """The evidence items under bilingual labels, and each source with its kind (plan text,
    government site, news, web copy…, secondary or not); texts stay as written, and a note
    says so when they are in the other language. Empty when there is neither."""
    items = [] if missing(evidence) else evidence_items(str(evidence))
    sources = sk.items("" if missing(source) else source)
    if not items and not sources:
        return ""
    texts = [value for key, value in items if key != "strength"] + sources
    other = [w for w in dict.fromkeys(text_language(t) for t in texts) if w != lang]
    note = "".join(
        f'<p class="original-note"><span class="tag original">{escape(tr(lang, *ORIGINAL[w]))}</span> '
        + escape(tr(lang, "证据与出处按原文列出，未翻译。", "Evidence and sources are listed as written, "
                    "not translated.")) + "</p>" for w in other[:1])
    rows = []
    for key, value in items:
        label = tr(lang, *KEY_LABELS[key]) if key in KEY_LABELS else (key or tr(lang, "说明", "Note"))
        if key == "strength" and value in STRENGTH:
            shown = escape(tr(lang, *STRENGTH[value]))
        else:
            shown = original_text(value, lang, tagged=False)
        rows.append(f"<dt>{escape(label)}</dt><dd>{shown}</dd>")
    listed = "".join(_source_item(item, lang) for item in sources)
    heading = f"<h5>{escape(tr(lang, '来源', 'Sources'))}</h5>" if sources else ""
    return (f'<div class="evidence">{note}<dl>{"".join(rows)}</dl>{heading}'
            f'<ul class="sources">{listed}</ul></div>')


def popup_html(layer: str, props: dict, lang: str, *, detail_url: str | None = None) -> str:
    """The popup of one feature of ``layer`` (a properties dict of the catalog layer)."""
    title = escape(pick(props, "name", lang))
    if layer == "parks" and props.get("kind") == "candidate":
        title = f'<span class="tag candidate">{escape(tr(lang, *CANDIDATE))}</span> {title}'
    rows = [r for r in LAYER_ROWS[layer](props, lang) + location_rows(props, lang) if r]
    link = (f'<p><a href="{escape(detail_url)}">{escape(tr(lang, "详情", "Details"))} →</a></p>'
            if detail_url else "")
    return f'<div class="atlas-popup"><h4>{title}</h4><table>{"".join(rows)}</table>{link}</div>'
