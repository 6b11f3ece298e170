"""Actual figures against the plan's targets: what may be recorded, for which areas, and which
figure a page shows.

* Metrics are rows of ``data/sources/metrics.csv`` (key, names, unit, the plan target of
  ``plan_targets.csv`` they are compared with, the parks-layer column that holds the layer's own
  figure per year, whole numbers or not, and the largest plausible value): a new metric is a
  new row, no code.
* Areas: ``province`` (the plan's demonstration parks taken together, what the plan's totals
  count), a park, zone or cluster id of the catalog, or a city by its Chinese name (郑州市);
  :class:`Areas` also knows names, short city names, English names and adcodes.
* A recorded figure has basis ``sourced`` and names its source (a document, a statistics
  yearbook, a survey year). It outranks the layer's own figure (a ``derived`` even split of a
  plan total, or a layer's ``user`` figure) wherever a figure is shown (:func:`with_actuals`).
* :func:`record` stores figures in one transaction with an audit line each (``actual.set``,
  before → after), so a replaced figure stays in the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from core.errors import UserError
from parks import provenance as pv
from parks.catalog import Catalog
from parks.cities import CITY_EN
from parks.sources import PARK_SLOTS, SOURCES_DIR, plan_target
from store import actuals as stored
from store import audit
from store.db import Database

PROVINCE = "province"
AREA_KINDS = (PROVINCE, "park", "zone", "city", "cluster")
AREA_KIND_LABELS = {PROVINCE: ("全省", "province"), "park": ("园区", "park"),
                    "zone": ("高新区", "zone"), "city": ("市", "city"), "cluster": ("集群", "cluster")}
PROVINCE_NAME = (f"全省（{PARK_SLOTS}个示范园区合计）",
                 f"Province ({PARK_SLOTS} demonstration parks together)")
#: what a recorded figure may be based on: a published figure (``sourced``), or one measured
#: from a land-use survey or land-supply records (``measured``, :mod:`parks.measured` computes
#: them from the stored survey; one may also be recorded with the survey named as its source)
ACTUAL_BASES = (pv.SOURCED, pv.MEASURED)
#: which figure wins where several exist for one area and year: the higher rank; a recorded
#: figure wins a tie with the layer's own. A measured figure outranks everything: it is counted
#: from the survey's own patches, where a published one is a figure someone else reported
FIGURE_RANK = {pv.NONE: 0, pv.DERIVED: 1, pv.USER: 2, pv.SOURCED: 3, pv.MEASURED: 4}
FIRST_YEAR = 2000
MAX_SOURCE = 500
ACTION = "actual.set"


class ActualError(UserError):
    """A figure that cannot be recorded as given (area, metric, year, value or source)."""


# ----- metrics ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """One kind of figure that can be recorded, from ``metrics.csv``."""

    key: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    target: str  # key of plan_targets.csv, or "" when the plan sets none
    fields: dict = field(default_factory=dict)  # year → parks-layer column with the layer's figure
    whole: bool = False
    max: float = math.inf

    def plan_total(self, year: int, targets: list[dict] | None = None) -> float | None:
        """The plan's figure for ``year`` (all parks together), or None when it states none."""
        if not self.target:
            return None
        value = plan_target(self.target, targets).get(f"value_{year}")
        return float(value) if isinstance(value, float) else None


def read_metrics(path: Path | None = None) -> dict[str, Metric]:
    """The metrics of ``metrics.csv`` (default: the shipped one), by key, in file order."""
    with open(path or SOURCES_DIR / "metrics.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        fields = {int(k[len("field_"):]): v for k, v in r.items() if k.startswith("field_") and v}
        out[r["key"]] = Metric(r["key"], r["name_zh"], r["name_en"], r["unit_zh"], r["unit_en"],
                               r["target"], fields, r["whole"] == "yes", float(r["max"] or math.inf))
    return out


@lru_cache(maxsize=1)
def metrics() -> dict[str, Metric]:
    """The shipped metrics (read once)."""
    return read_metrics()


def check_metric(key, known: dict[str, Metric] | None = None) -> Metric:
    known = known or metrics()
    metric = known.get(str(key or "").strip())
    if metric is None:
        raise ActualError(f"指标须为 {'、'.join(known)} 之一。",
                          f"The metric must be one of {', '.join(known)}.", code="bad_metric")
    return metric


# ----- areas --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    id: str
    kind: str
    name_zh: str
    name_en: str


def _key(text) -> str:
    """How names are compared: full-width folded to half-width, no spaces, case-insensitive."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).casefold()


class Areas:
    """Every area a figure may be recorded for, found by id or by name."""

    def __init__(self, catalog: Catalog):
        self.by_id: dict[str, Area] = {PROVINCE: Area(PROVINCE, PROVINCE, *PROVINCE_NAME)}
        for kind, layer in (("park", "parks"), ("zone", "zones"), ("cluster", "clusters")):
            names = catalog.attributes(layer, ["id", "name_zh", "name_en"]).fillna("")  # no geometry
            for fid, zh, en in zip(names["id"], names["name_zh"], names["name_en"], strict=True):
                self.by_id[fid] = Area(fid, kind, zh, en or zh)
        cities = catalog.boundaries("city", 0)
        for zh in cities["name_zh"]:
            self.by_id[zh] = Area(zh, "city", zh, CITY_EN.get(zh, zh))
        self._names: dict[str, set[str]] = {}
        for area in self.by_id.values():
            for alias in (area.id, area.name_zh, area.name_en):
                self._names.setdefault(_key(alias), set()).add(area.id)
        for zh, code in zip(cities["name_zh"], cities["adcode"], strict=True):
            for alias in (zh.removesuffix("市"), f"city:{zh}", code):
                self._names.setdefault(_key(alias), set()).add(zh)
        for alias in ("河南省", "河南", "全省", "Henan"):
            self._names.setdefault(_key(alias), set()).add(PROVINCE)

    def of_kind(self, kind: str) -> list[Area]:
        return [a for a in self.by_id.values() if a.kind == kind]

    def find(self, text) -> Area:
        """The area whose id or name is ``text``; ``bad_area`` when none or several are."""
        if not _key(text):
            raise ActualError("请填写区域。", "Give the area.", code="bad_area")
        ids = self._names.get(_key(text), set())
        if len(ids) == 1:
            return self.by_id[next(iter(ids))]
        if ids:
            raise ActualError(f"“{text}”可指多个区域（{'、'.join(sorted(ids))}），请填写编号。",
                              f"'{text}' could be any of {', '.join(sorted(ids))}: give the id.",
                              code="bad_area")
        raise ActualError(
            f"没有区域“{text}”。区域须为 province（全省）、园区/高新区/集群编号（如 park-01）"
            "或市名（如 郑州市）。",
            f"There is no area '{text}'. The area must be province, a park, zone or cluster id "
            "(e.g. park-01) or a city (e.g. 郑州市).", code="bad_area")


# ----- checks of one figure -----------------------------------------------------------------

def last_year() -> int:
    return dt.date.today().year


def check_year(raw) -> int:
    """A year from a form, JSON or a spreadsheet cell (2013, "2013", "2013年", 2013.0)."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip().removesuffix("年")
    if re.fullmatch(r"\d{4}(\.0+)?", text):
        year = int(float(text))
        if FIRST_YEAR <= year <= last_year():
            return year
    raise ActualError(f"年份须为 {FIRST_YEAR} 至 {last_year()} 年之间的四位数字，如 2013。",
                      f"The year must be four digits from {FIRST_YEAR} to {last_year()}, e.g. 2013.",
                      code="bad_year")


def check_value(raw, metric: Metric) -> float:
    """A figure in the metric's unit: a number of 0 or more, below the metric's limit, whole
    where the metric counts things; thousands separators are accepted ("1,600")."""
    if isinstance(raw, bool):
        raw = None
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).replace(",", "").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= metric.max or (metric.whole and value != int(value)):
        kind_zh, kind_en = ("不小于 0 的整数", "a whole number of 0 or more") if metric.whole else \
            ("不小于 0 的数", "a number of 0 or more")
        raise ActualError(
            f"“{metric.name_zh}”的数值须为{kind_zh}（单位：{metric.unit_zh}），且不超过 {metric.max:,.0f}；"
            f"收到“{raw}”。",
            f"The figure for {metric.name_en.lower()} must be {kind_en} (in {metric.unit_en}), at most "
            f"{metric.max:,.0f}; got '{raw}'.", code="bad_value")
    return value


def check_source(raw) -> str:
    source = str(raw or "").strip()
    if not source or len(source) > MAX_SOURCE:
        raise ActualError(
            f"请注明来源（文件、统计年鉴或调查年份，至多 {MAX_SOURCE} 字）。",
            f"Give the source (a document, a statistics yearbook or a survey year; at most "
            f"{MAX_SOURCE} characters).", code="source_required")
    return source


def check_basis(raw) -> str:
    basis = str(raw or pv.SOURCED).strip()
    if basis not in ACTUAL_BASES:
        raise ActualError(f"依据须为 {'、'.join(ACTUAL_BASES)}。",
                          f"The basis must be {', '.join(ACTUAL_BASES)}.", code="bad_basis")
    return basis


@dataclass(frozen=True)
class Figure:
    """A checked figure, ready to store."""

    area: Area
    year: int
    metric: Metric
    value: float
    source: str
    basis: str = pv.SOURCED

    @property
    def target(self) -> str:
        return f"{self.area.id}@{self.year}:{self.metric.key}"


def check_figure(areas: Areas, *, area, year, metric, value, source, basis=None,
                 known: dict[str, Metric] | None = None) -> Figure:
    """Check one ``{area, year, metric, value, source}``; raises :class:`ActualError`."""
    m = check_metric(metric, known)
    return Figure(areas.find(area), check_year(year), m, check_value(value, m), check_source(source),
                  check_basis(basis))


# ----- storing --------------------------------------------------------------------------------

def record(db: Database, figures: list[Figure], *, actor: str, reason: str = "") -> list[dict]:
    """Store ``figures`` in one transaction, each change with its audit line (the figure it
    replaced as ``before``). Returns per figure ``{"record", "before", "change"}`` with
    ``change`` ``added``, ``replaced`` or ``unchanged`` (same value, basis and source: no line)."""
    out = []
    with db.write() as session:
        for f in figures:
            row, before = stored.upsert(session, area_id=f.area.id, year=f.year, metric=f.metric.key,
                                        value=f.value, basis=f.basis, source=f.source, actor=actor)
            after = stored.snapshot(row)
            change = "added" if before is None else "replaced"
            if before is not None and all(before[k] == after[k] for k in ("value", "basis", "source")):
                change = "unchanged"
            else:
                audit.record(session, actor, ACTION, f.target, before, after, reason)
            out.append({"record": after, "before": before, "change": change})
    return out


COLUMNS = ["area_id", "year", "metric", "value", "basis", "source", "updated_by", "updated_at"]


def load(db: Database, **filters) -> pd.DataFrame:
    """The stored figures as a DataFrame (:data:`COLUMNS`); ``filters`` as for
    :func:`store.actuals.records` (metric, year, area_id)."""
    with db.read() as session:
        rows = stored.records(session, **filters)
        return pd.DataFrame([[getattr(r, c) for c in COLUMNS] for r in rows], columns=COLUMNS)


def stamp(db: Database) -> tuple:
    with db.read() as session:
        return stored.stamp(session)


# ----- which figure a page shows --------------------------------------------------------------

def outranks(basis: str, other: str) -> bool:
    """Whether a recorded figure of ``basis`` replaces a layer figure of basis ``other``."""
    return FIGURE_RANK.get(basis, 0) >= FIGURE_RANK.get(other or pv.NONE, 0)


def with_actuals(parks: gpd.GeoDataFrame, actuals: pd.DataFrame | None,
                 known: dict[str, Metric] | None = None) -> gpd.GeoDataFrame:
    """The parks layer with recorded figures (``actuals``, as :func:`load` gives them; None for
    none) in place of the layer's own where they outrank them. Every figure column ``<field>``
    named in the metrics gets ``<field>_basis`` (the layer's ``fig_basis``, or the recorded
    figure's) and ``<field>_src`` (its source, or ""). A metric with a ``measured`` figure (of
    any year: surveys are not of the plan's years) also gets the latest as ``measured_<metric>``
    with ``measured_<metric>_year`` and ``measured_<metric>_src`` (NaN / "" where none)."""
    out = parks.copy()
    actuals = pd.DataFrame(columns=COLUMNS) if actuals is None else actuals
    for metric in (known or metrics()).values():
        got = actuals[(actuals["metric"] == metric.key) & (actuals["basis"] == pv.MEASURED)]
        if len(got):
            latest = got.sort_values("year").drop_duplicates("area_id", keep="last").set_index("area_id")
            out[f"measured_{metric.key}"] = out["id"].map(latest["value"]).astype(float)
            out[f"measured_{metric.key}_year"] = out["id"].map(latest["year"])
            out[f"measured_{metric.key}_src"] = out["id"].map(latest["source"]).fillna("")
        for year, col in metric.fields.items():
            if col not in out.columns:
                continue
            out[f"{col}_basis"] = out["fig_basis"].fillna(pv.NONE)
            out[f"{col}_src"] = ""
            rec = actuals[(actuals["metric"] == metric.key) & (actuals["year"] == year)]
            rec = rec.set_index("area_id")
            for i in out.index[out["id"].isin(rec.index)]:
                r = rec.loc[out.at[i, "id"]]
                if outranks(r["basis"], out.at[i, f"{col}_basis"]):
                    out.at[i, col] = r["value"]
                    out.at[i, f"{col}_basis"] = r["basis"]
                    out.at[i, f"{col}_src"] = r["source"]
    return out

