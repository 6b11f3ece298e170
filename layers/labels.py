"""Bilingual text for maps built outside a request: the language is passed in, never looked up.

``tr(lang, zh, en)`` picks one of a pair, ``pick(row, field, lang)`` one of ``field_zh`` /
``field_en``; numbers are formatted once here so pages, popups and legends agree.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from parks import provenance as pv
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
