"""Bilingual text for maps built outside a request: the language is passed in, never looked up.

``tr(lang, zh, en)`` picks one of a pair, ``pick(row, field, lang)`` one of ``field_zh`` /
``field_en``; numbers are formatted once here so pages, popups and legends agree.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from parks import provenance as pv
from parks.actuals import ACTUAL_BASES, metrics
from parks.cities import city_en

LANGS = ("zh", "en")


def tr(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def pick(row, field: str, lang: str) -> str:
    """``row[field_zh]`` or ``row[field_en]``, falling back to the other when one is empty."""
    zh, en = _text(row.get(f"{field}_zh")), _text(row.get(f"{field}_en"))
    return (en or zh) if lang == "en" else (zh or en)


def city(name_zh: str, lang: str) -> str:
    return city_en(name_zh) if lang == "en" else name_zh


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def num(value, digits: int = 2) -> str:
    """1600 → '1,600'; 3.125 → '3.13'; 187.5 → '187.5'; missing → '—'; text ('3-5') as it is."""
    if missing(value):
        return "—"
    if isinstance(value, str):
        return value
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: land offices file in Beijing time; the database keeps UTC (China has no daylight saving)
BEIJING = timezone(timedelta(hours=8))


def beijing_time(utc: datetime, lang: str, *, zone: bool = True) -> str:
    """A stored time (naive means UTC) in Beijing time, with its zone unless a column header
    says it: '2013-05-02 14:30 北京时间 (UTC+8)'."""
    local = (utc if utc.tzinfo else utc.replace(tzinfo=timezone.utc)).astimezone(BEIJING)
    return f"{local:%Y-%m-%d %H:%M}" + (f" {tr(lang, '北京时间', 'Beijing time')} (UTC+8)" if zone else "")


def attribute_text(value) -> str:
    """A cell of an uploaded file as its office wrote it: 4800.0 → '4800', missing → ''."""
    if missing(value):
        return ""
    if isinstance(value, float):
        return format(value, ".15g")
    return str(value)


def signed(value, digits: int = 2) -> str:
    """A difference with its sign: 0.9375 → '+0.94'; -1.0625 → '−1.06' (a minus sign); missing → '—'."""
    if missing(value):
        return "—"
    text = num(abs(value), digits)
    return text if text == "0" else ("+" if value > 0 else "−") + text


def basis_label(basis: str, lang: str) -> str:
    zh, en = pv.LABELS.get(basis, (basis, basis))
    return tr(lang, zh, en)


def basis_badge(basis: str, lang: str) -> str:
    """An HTML badge naming a figure's basis (class ``basis basis-<basis>``)."""
    return f'<span class="basis basis-{escape(basis)}">{escape(basis_label(basis, lang))}</span>'


def field_basis(row, field: str) -> str:
    """The basis of ``row[field]``: its own (``<field>_basis``, which
    :func:`parks.actuals.with_actuals` sets where a recorded actual replaces the layer's
    figure) or else the row's ``fig_basis``."""
    return _text(row.get(f"{field}_basis")) or _text(row.get("fig_basis")) or pv.NONE


def figure_pair(row, f12: str, f13: str, unit: str, lang: str) -> str:
    """2012 → 2013 with the basis: '3.13 → 4.06 km²（推算）', or each year with its own basis
    when they differ: '3.13（推算）→ 4.8 km²（有出处）'."""
    b12, b13 = (basis_label(field_basis(row, f), lang) for f in (f12, f13))
    v12, v13 = num(row.get(f12)), num(row.get(f13)) + (f" {unit}" if unit else "")
    if b12 == b13:
        return tr(lang, f"{v12} → {v13}（{b13}）", f"{v12} → {v13} ({b13})")
    return tr(lang, f"{v12}（{b12}）→ {v13}（{b13}）", f"{v12} ({b12}) → {v13} ({b13})")


def recorded_actuals(row, lang: str, fields=None, *, named: bool = False) -> list[str]:
    """Each recorded actual figure a row shows (see :func:`field_basis`; only ``fields`` when
    given) with its source: '2013 年建成面积 4.8 km²（有出处：《郑州统计年鉴 2014》）', after
    the row's name when ``named``."""
    prefix = tr(lang, f"{pick(row, 'name', lang)}：", f"{pick(row, 'name', lang)}: ") if named else ""
    out = []
    for metric in metrics().values():
        for year, col in sorted(metric.fields.items()):
            basis = field_basis(row, col)
            if basis not in ACTUAL_BASES or missing(row.get(col)) or (fields and col not in fields):
                continue
            source = _text(row.get(f"{col}_src"))
            out.append(prefix + tr(lang, f"{year} 年{metric.name_zh} {num(row[col])} {metric.unit_zh}"
                                f"（{basis_label(basis, lang)}：{source}）",
                          f"{metric.name_en} {year}: {num(row[col])} {metric.unit_en} "
                          f"({basis_label(basis, lang)}: {source})"))
    return out


def actuals_note(recorded: list[str], lang: str) -> str:
    """One sentence listing the recorded actual figures shown in place of derived ones (as
    :func:`recorded_actuals` words them); empty when there are none."""
    if not recorded:
        return ""
    return (tr(lang, "实际数字（替代推算值）：", "Actual figures (in place of derived ones): ")
            + tr(lang, "；", "; ").join(recorded) + tr(lang, "。", "."))


def precision_label(precision: str, lang: str) -> str:
    zh, en = pv.PRECISION_LABELS.get(precision, (precision, precision))
    return tr(lang, zh, en)


CANDIDATE = ("候选", "Candidate")
UNIT_KM2 = ("km²", "km²")
UNIT_YI = ("亿元", "100M yuan")


#: short layer names for switchers, legends and notes (the catalog has the long titles)
LAYER_TITLES = {
    "parks": ("示范园区候选（9个，未确认）", "Demonstration-park candidates (9, unconfirmed)"),
    "zones": ("高新区", "High-tech zones"),
    "foxconn": ("富士康", "Foxconn sites"),
    "projects": ("重大项目", "Major projects"),
    "clusters": ("产业集群", "Industry clusters"),
    "province": ("省界", "Province boundary"),
    "city": ("市界", "City boundaries"),
    "county": ("县界", "County boundaries"),
}


def layer_title(name: str, lang: str) -> str:
    return tr(lang, *LAYER_TITLES[name])
