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

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_PATTERN = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_NUMBER = re.compile(_NUMBER_PATTERN)


def safe_cell(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula;
    anything else (numbers, None, other text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_text_columns(table: pa.Table) -> pa.Table:
    """``table`` with :func:`safe_cell` applied to every text column, vectorised (the batch
    check's CSV of millions of rows)."""
    starts = "^[" + re.escape("".join(FORMULA_START)) + "]"
    for i, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = table.column(i)
        runs = pc.and_(pc.match_substring_regex(column, starts),
                       pc.invert(pc.match_substring_regex(column, f"^{_NUMBER_PATTERN}$")))
        quoted = pc.binary_join_element_wise(pa.scalar("'", field.type), column, pa.scalar("", field.type))
        table = table.set_column(i, field, pc.if_else(runs, quoted, column))
    return table
