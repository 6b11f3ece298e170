"""Cells that a spreadsheet shows as text, never runs: every CSV we write goes through
:func:`safe_cell` (the audit trail, check reports, layer downloads).

Excel, WPS and LibreOffice run a cell that starts with ``= + - @`` (or a tab or carriage return
before one) as a formula, so a parcel named ``=HYPERLINK(…)`` would become a link or a command
in the clerk's spreadsheet. Such text gets a leading apostrophe, which spreadsheets show as
text (OWASP's "CSV injection" advice). Numbers written as text (``-3.25``, ``+86``) are left
alone: spreadsheets read them as numbers, not formulas.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula;
    anything else (numbers, None, other text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
