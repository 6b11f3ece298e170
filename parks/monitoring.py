"""Target against actual, for one metric and year, per park, city, zone or cluster.

Targets, with their basis:

* a park slot: the plan's total ÷ :data:`~parks.sources.PARK_SLOTS` (``derived``, the even
  split of :data:`parks.summary.EVEN_SPLIT_RULE`);
* a city: the sum of the targets of the park slots whose point lies in it (``derived``);
* a zone or a cluster: none (the plan states no figure for them);
* the province: the plan's total (``plan``).

Actuals are the recorded figures (:mod:`parks.actuals`). A city without a figure of its own has
the sum of its parks' figures when every one of them is recorded. The gap is actual − target
(below zero: short of the target). Tables, map and chart all read :func:`compare`, so they
agree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from parks import provenance as pv
from parks.actuals import PROVINCE, PROVINCE_NAME, Metric
from parks.cities import CITY_EN
from parks.sources import PARK_SLOTS
from parks.summary import park_cities

LEVELS = ("park", "city", "zone", "cluster")
LEVEL_LABELS = {"park": ("园区", "Parks"), "city": ("市", "Cities"), "zone": ("高新区", "Zones"),
                "cluster": ("集群", "Clusters")}
#: how a row stands: actual at or above target, below it, an actual with no target, a target
#: with no actual recorded, or neither
MET, BELOW, NO_TARGET, NOT_RECORDED, NOTHING = "met", "below", "no_target", "not_recorded", "nothing"
STATUS_LABELS = {MET: ("达到目标", "target met"), BELOW: ("低于目标", "below target"),
                 NO_TARGET: ("有实际值，无目标", "actual, no target"),
                 NOT_RECORDED: ("未录入实际值", "no actual recorded"), NOTHING: ("无数据", "no figures")}
COLUMNS = ["id", "name_zh", "name_en", "lon", "lat", "target", "target_basis", "actual",
           "actual_basis", "source", "parts", "gap", "ratio", "status"]


def status(target: float | None, actual: float | None) -> str:
    has_t, has_a = target is not None and target == target, actual is not None and actual == actual
    if has_t and has_a:
        return MET if actual >= target else BELOW
    return NO_TARGET if has_a else NOT_RECORDED if has_t else NOTHING


def share_of_plan(metric: Metric, year: int, targets: list[dict] | None = None) -> float | None:
    """One park slot's target: the plan's total ÷ :data:`PARK_SLOTS` (an even split)."""
    total = metric.plan_total(year, targets)
    return None if total is None else total / PARK_SLOTS


def _recorded(actuals: pd.DataFrame, metric: Metric, year: int) -> pd.DataFrame:
    rec = actuals[(actuals["metric"] == metric.key) & (actuals["year"] == year)]
    return rec.set_index("area_id")[["value", "basis", "source"]]


def _areas(gdf: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"id": gdf["id"], "name_zh": gdf["name_zh"], "name_en": gdf["name_en"],
                        "lon": gdf["lon"], "lat": gdf["lat"]}).reset_index(drop=True)
    out["name_en"] = out["name_en"].fillna(out["name_zh"])
    return out


def _park_rows(parks: gpd.GeoDataFrame, rec: pd.DataFrame, share: float | None) -> pd.DataFrame:
    slot = parks["slot"].fillna(0).astype(int)
    shown = parks[(slot.between(1, PARK_SLOTS)) | parks["id"].isin(rec.index)]
    rows = _areas(shown)
    in_slot = shown["slot"].fillna(0).astype(int).between(1, PARK_SLOTS).to_numpy()
    rows["target"] = np.where(in_slot, share, np.nan) if share is not None else np.nan
    return rows


def _city_rows(parks: gpd.GeoDataFrame, cities: gpd.GeoDataFrame, share: float | None) -> pd.DataFrame:
    slots = parks[parks["slot"].fillna(0).astype(int).between(1, PARK_SLOTS)]
    city_of = park_cities(slots, cities)
    rows = pd.DataFrame({"id": cities["name_zh"].to_numpy(), "name_zh": cities["name_zh"].to_numpy(),
                         "name_en": [CITY_EN.get(c, c) for c in cities["name_zh"]],
                         "lon": np.nan, "lat": np.nan})
    rows["parts"] = [list(city_of.index[city_of == c]) for c in rows["id"]]
    rows["target"] = [len(p) * share if p and share is not None else np.nan for p in rows["parts"]]
    return rows


def _city_sums(rows: pd.DataFrame, rec: pd.DataFrame) -> None:
    """A city with no figure of its own gets the sum of its parks' when all are recorded."""
    for i, parts in rows["parts"].items():
        if rows.at[i, "id"] in rec.index or not parts or not all(p in rec.index for p in parts):
            continue
        got = rec.loc[parts]
        rows.at[i, "actual"] = float(got["value"].sum())
        rows.at[i, "actual_basis"] = got["basis"].iloc[0] if got["basis"].nunique() == 1 else pv.SOURCED
        rows.at[i, "source"] = "Σ " + "; ".join(f"{p}: {s}" for p, s in got["source"].items())


def compare(metric: Metric, year: int, level: str, *, parks: gpd.GeoDataFrame,
            zones: gpd.GeoDataFrame, clusters: gpd.GeoDataFrame, cities: gpd.GeoDataFrame,
            actuals: pd.DataFrame, targets: list[dict] | None = None) -> dict:
    """Target against actual of ``metric`` in ``year`` for every area of ``level``.

    ``cities`` is the city boundary layer (``name_zh``); ``actuals`` the recorded figures
    (:func:`parks.actuals.load`). Returns ``rows`` (a DataFrame of :data:`COLUMNS`; ``parts`` are
    the park ids a city's target adds up), ``total`` (sums over the rows: ``target``, ``actual``,
    ``recorded`` / ``count`` rows with an actual, and ``gap``, ``target_recorded`` over the rows
    having both), and ``province`` (the plan's total against the province's recorded figure).
    """
    rec = _recorded(actuals, metric, year)
    share = share_of_plan(metric, year, targets)
    if level == "park":
        rows = _park_rows(parks, rec, share)
    elif level == "city":
        rows = _city_rows(parks, cities, share)
    else:
        rows = _areas(zones if level == "zone" else clusters)
        rows["target"] = np.nan
    if "parts" not in rows:
        rows["parts"] = [[] for _ in range(len(rows))]
    rows["target_basis"] = np.where(rows["target"].notna(), pv.DERIVED, pv.NONE)
    found = rows["id"].map(rec["value"])
    rows["actual"] = found.astype(float)
    rows["actual_basis"] = rows["id"].map(rec["basis"]).astype(object).fillna(pv.NONE)
    rows["source"] = rows["id"].map(rec["source"]).astype(object).fillna("")
    if level == "city":
        _city_sums(rows, rec)
    _gaps(rows)
    both = rows["target"].notna() & rows["actual"].notna()
    total = {"count": len(rows), "recorded": int(rows["actual"].notna().sum()),
             "target": _sum(rows["target"]), "actual": _sum(rows["actual"]),
             "target_recorded": _sum(rows.loc[both, "target"]),
             "gap": _sum(rows.loc[both, "actual"] - rows.loc[both, "target"]),
             "unassigned": _unassigned(parks, rows, share) if level == "city" else None}
    plan = metric.plan_total(year, targets)
    mine = rec["value"].get(PROVINCE)
    province = {"id": PROVINCE, "name_zh": PROVINCE_NAME[0], "name_en": PROVINCE_NAME[1],
                "target": plan, "target_basis": pv.PLAN if plan is not None else pv.NONE,
                "actual": None if mine is None else float(mine),
                "actual_basis": rec["basis"].get(PROVINCE, pv.NONE),
                "source": rec["source"].get(PROVINCE, ""),
                "gap": None if plan is None or mine is None else float(mine) - plan,
                "ratio": None if not plan or mine is None else float(mine) / plan,
                "status": status(plan, mine)}
    return {"metric": metric, "year": year, "level": level, "rows": rows[COLUMNS], "total": total,
            "province": province}


def _unassigned(parks: gpd.GeoDataFrame, rows: pd.DataFrame, share: float | None) -> dict:
    """The park slots in no city's target (unlocated or unidentified) and their targets' sum."""
    in_city = {p for parts in rows["parts"] for p in parts}
    slots = parks.loc[parks["slot"].fillna(0).astype(int).between(1, PARK_SLOTS), "id"]
    ids = [p for p in slots if p not in in_city]
    return {"count": len(ids), "ids": ids, "target": None if share is None else share * len(ids)}


def _gaps(rows: pd.DataFrame) -> None:
    rows["gap"] = rows["actual"] - rows["target"]
    rows["ratio"] = (rows["actual"] / rows["target"]).where(rows["target"] > 0)
    rows["status"] = [status(t, a) for t, a in zip(rows["target"], rows["actual"], strict=True)]


def _sum(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.sum()) if len(values) else None
