"""The columns each thematic layer must hold for the pages to work, with their types and ranges.

The schema is data: ``data/sources/layer_schemas.csv``, one row per layer column — its ``type``
(``text``, ``number`` or ``integer``), whether every feature ``required`` a value, the ``min`` /
``max`` a number may take, the ``choices`` a text must be one of (``|``-separated), the
``default`` an empty cell gets, and what the app uses it for. An empty number without a default
stays empty: the pages show it as 未公开 / not public.

:func:`conform` gives an imported layer these types (numbers written as text become numbers)
and lists every value it cannot accept; :func:`check` tells whether a served layer still fits.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from parks.sources import SOURCES_DIR

SCHEMA_FILE = "layer_schemas.csv"
TYPES = ("text", "number", "integer")
#: IDs named in one message at most
LISTED = 5
#: features of a served layer whose values ``/healthz`` checks (:func:`served_problems`)
CHECKED_ROWS = 2_000


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    min: float | None
    max: float | None
    choices: tuple[str, ...]
    default: str
    used_for: str


@dataclass(frozen=True)
class Issue:
    """A column that cannot be served as it is: which column, which features, and why."""

    column: str
    ids: tuple[str, ...]
    zh: str
    en: str


def _bound(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def schemas() -> dict[str, tuple[Column, ...]]:
    """{layer: its columns in order} from :data:`SCHEMA_FILE`."""
    out: dict[str, list[Column]] = {}
    with open(SOURCES_DIR / SCHEMA_FILE, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["type"] not in TYPES:
                raise ValueError(f"{SCHEMA_FILE}: unknown type {r['type']!r} of {r['layer']}.{r['column']}")
            out.setdefault(r["layer"], []).append(Column(
                r["column"], r["type"], r["required"] == "yes", _bound(r["min"]), _bound(r["max"]),
                tuple(r["choices"].split("|")) if r["choices"] else (), r["default"], r["used_for"]))
    return {layer: tuple(cols) for layer, cols in out.items()}


def _ids(frame: pd.DataFrame, mask) -> tuple[str, ...]:
    ids = frame["id"] if "id" in frame.columns else pd.Series(range(1, len(frame) + 1), index=frame.index)
    return tuple(str(i) for i in ids[np.asarray(mask, dtype=bool)])


def _listed(ids: tuple[str, ...]) -> str:
    return ", ".join(ids[:LISTED]) + (f" … ({len(ids)})" if len(ids) > LISTED else "")


def _empty(values: pd.Series) -> np.ndarray:
    return (values.isna() | (values.astype(str).str.strip() == "")).to_numpy()


def _conform_column(col: Column, values: pd.Series, frame: pd.DataFrame
                    ) -> tuple[pd.Series, list[Issue]]:
    issues = []

    def issue(mask, zh, en):
        ids = _ids(frame, mask)
        issues.append(Issue(col.name, ids, f"字段“{col.name}”{zh}（要素 {_listed(ids)}）。",
                            f"Field '{col.name}' {en} (features {_listed(ids)})."))

    empty = _empty(values)
    if col.type == "text":
        out = values.astype(object).where(~empty, col.default or "").map(lambda v: str(v).strip())
        if col.choices:
            wrong = ~out.isin(col.choices).to_numpy()
            if wrong.any():
                issue(wrong, f"须为 {'、'.join(c or '（空）' for c in col.choices)} 之一",
                      f"must be one of {', '.join(c or '(empty)' for c in col.choices)}")
    else:
        numbers = pd.to_numeric(values.where(~empty), errors="coerce").astype(float)
        bad = ~empty & numbers.isna().to_numpy()
        if bad.any():
            issue(bad, "须为数字", "must be a number")
        if col.default:
            numbers = numbers.fillna(float(col.default))
        present = numbers.notna().to_numpy()
        below = present & (numbers < col.min).to_numpy() if col.min is not None else present & False
        above = present & (numbers > col.max).to_numpy() if col.max is not None else present & False
        if below.any():
            issue(below, f"不得小于 {col.min:g}", f"must not be below {col.min:g}")
        if above.any():
            issue(above, f"不得大于 {col.max:g}（单位是否有误？）",
                  f"must not be above {col.max:g} (is the unit right?)")
        out = numbers
        if col.type == "integer":
            fraction = present & (numbers.fillna(0) % 1 != 0).to_numpy()
            if fraction.any():
                issue(fraction, "须为整数", "must be a whole number")
            elif present.all():
                out = numbers.astype("int64")
    if col.required and _empty(out).any():
        issue(_empty(out), "不能为空", "must not be empty")
    return out, issues


def conform(layer: str, gdf: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue]]:
    """``gdf`` with every schema column of ``layer`` in its type (a missing column filled with
    its default, or left empty), and the issues that keep it from being served."""
    gdf = gdf.copy()
    issues: list[Issue] = []
    for col in schemas()[layer]:
        values = gdf[col.name] if col.name in gdf.columns else pd.Series([None] * len(gdf), index=gdf.index)
        gdf[col.name], found = _conform_column(col, values, gdf)
        issues += found
    return gdf, issues


def check(layer: str, gdf: pd.DataFrame) -> list[str]:
    """What is wrong with a served layer, in English: missing columns, columns of another
    type, values the schema refuses. Empty when the pages can rely on it."""
    problems = []
    for col in schemas()[layer]:
        if col.name not in gdf.columns:
            problems.append(f"{layer}.{col.name}: missing")
        elif col.type != "text" and gdf[col.name].dtype.kind not in "fiu":
            problems.append(f"{layer}.{col.name}: {gdf[col.name].dtype} instead of {col.type}")
    if problems:
        return problems
    _, issues = conform(layer, gdf)
    return [f"{layer}: {i.en}" for i in issues]


def served_problems(catalog) -> list[str]:
    """:func:`check` of every layer ``catalog`` serves: its columns and their types from the
    file's header, its values on at most :data:`CHECKED_ROWS` features spread through the file
    (every feature of a small layer), so a layer of a million features answers in a moment."""
    return [p for layer in schemas() for p in check(layer, catalog.sample(layer, CHECKED_ROWS))]
