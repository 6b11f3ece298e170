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
