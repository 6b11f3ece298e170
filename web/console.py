"""How the CLI commands report: bad input in both languages, and a file's problems grouped so
each distinct problem is printed once, with how many rows have it and the first row numbers."""

from __future__ import annotations

from collections.abc import Iterable

import click

from core.errors import UserError
from geo.validate import rows_text

#: row numbers printed per problem (the rest are counted)
ROWS_SHOWN = 5


def input_error(exc: UserError) -> click.UsageError:
    """Bad input ends the command with exit code 2 and the bilingual message on stderr."""
    return click.UsageError(f"{exc.zh}\n{exc.en}")


def problem_lines(problems: Iterable, *, limit: int | None = None) -> list[str]:
    """One line per distinct problem (same severity, code and field), in first-seen order:
    ``error ×300 — rows 1, 2, 3, 4, 5 … (300): <message>``.

    ``problems`` have ``severity``, ``code``, ``field``, ``row`` and ``en``
    (:class:`parks.importer.Problem`); ``limit`` is the most of one kind the list can hold, so
    a group that size is counted as "at least". Messages that differ by row show the first one.
    """
    groups: dict[tuple, list] = {}
    for p in problems:
        groups.setdefault((p.severity, p.code, p.field), []).append(p)
    lines = []
    for (severity, _, _), same in groups.items():
        rows = [p.row for p in same if p.row is not None]
        count = f" ×{len(same)}{'+' if limit and len(same) >= limit else ''}" if len(same) > 1 else ""
        where = f" — rows {rows_text(rows, ROWS_SHOWN)}" if len(rows) > 1 else ""
        message = same[0].en if all(p.en == same[0].en for p in same) else f"e.g. {same[0].en}"
        lines.append(f"{severity}{count}{where}: {message}")
    return lines
