"""Aggregates for the planners' views: built-up area and revenue of the plan's park slots.

The plan states only totals for its parks (:data:`~parks.sources.PARK_SLOTS`). Per-park figures
in the parks layer are an even split of those totals (basis ``derived``); a recorded actual of
a park and year (:mod:`parks.actuals`) replaces its share and carries its own basis and source.
The slots whose park is unknown or unlocated are reported beside the located ones, never dropped.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from parks import provenance as pv
from parks.actuals import ACTUAL_BASES, with_actuals
from parks.catalog import Catalog
from parks.sources import PARK_SLOTS, plan_target

#: how the per-park figures are derived from the plan's totals
EVEN_SPLIT_RULE = (f"规划总量 ÷ {PARK_SLOTS} 个园区名额（平均分配，非统计数据）",
                   f"plan total ÷ {PARK_SLOTS} park slots (an even split, not a statistic)")
YEARS = (2012, 2013)
#: what the overview lists of a feature without geometry
UNLOCATED_COLUMNS = ("id", "name_zh", "name_en", "kind", "status_zh", "status_en")


def _slots(parks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return parks[parks["slot"] > 0]


def _plan(key: str, targets: list[dict] | None) -> dict:
    t = plan_target(key, targets)
    return {"key": key, 2012: t["value_2012"], 2013: t["value_2013"], "section": t["section"],
            "qualifier_zh": t["qualifier_zh"], "qualifier_en": t["qualifier_en"],
            "unit_zh": t["unit_zh"], "unit_en": t["unit_en"], "basis": pv.PLAN}


def slot_groups(parks: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The park slots as three groups: located parks (candidates, or official ones once imported),
    unlocated candidates, unidentified."""
    slots = _slots(parks)
    candidate = slots["kind"].isin(["candidate", "official"])
    located = slots.geometry.notna()
    return {"located": slots[candidate & located], "unlocated": slots[candidate & ~located],
            "unidentified": slots[slots["kind"] == "unidentified"]}


def _recorded(g: pd.DataFrame, field: str) -> int:
    """How many of ``g``'s figures in ``field`` are recorded actuals (:mod:`parks.actuals`)."""
    return int(g[f"{field}_basis"].isin(ACTUAL_BASES).sum())


def built_up(parks: gpd.GeoDataFrame, targets: list[dict] | None = None,
             actuals: pd.DataFrame | None = None) -> dict:
    """Built-up area 2012 → 2013, km²: per slot and per group, against the plan total. Each
    figure is the slot's recorded actual where there is one (``actuals``, see
    :func:`parks.actuals.with_actuals`: ``a12_km2_basis``, ``a12_km2_src``…), else its derived
    share; each group says how many of its figures are recorded (``recorded``)."""
    parks = with_actuals(parks, actuals)
    groups = slot_groups(parks)
    totals = {name: {"count": len(g), 2012: float(g["a12_km2"].sum()), 2013: float(g["a13_km2"].sum()),
                     "recorded": {2012: _recorded(g, "a12_km2"), 2013: _recorded(g, "a13_km2")}}
              for name, g in groups.items()}
    return {"plan": _plan("parks_built_area", targets), "groups": totals,
            "rows": _slots(parks), "basis": pv.DERIVED, "rule": EVEN_SPLIT_RULE}


def park_cities(parks: gpd.GeoDataFrame, cities: gpd.GeoDataFrame) -> pd.Series:
    """The city (``name_zh`` of the boundary layer ``cities``) whose area holds each located
    park's point, by park id; NaN where no city's does."""
    located = parks[parks["lon"].notna() & parks["lat"].notna()]
    points = gpd.GeoDataFrame({"id": located["id"].to_numpy()},
                              geometry=gpd.points_from_xy(located["lon"], located["lat"]), crs=parks.crs)
    joined = gpd.sjoin(points, cities[["name_zh", "geometry"]].to_crs(parks.crs),
                       how="left", predicate="within")
    return joined.drop_duplicates("id").set_index("id")["name_zh"]


def revenue_by_city(parks: gpd.GeoDataFrame, cities: gpd.GeoDataFrame,
                    targets: list[dict] | None = None, actuals: pd.DataFrame | None = None) -> dict:
    """Park revenue (亿元) summed per city, by where each candidate park's point lies: each
    park's recorded actual where there is one (``actuals``), else its derived share.

    ``cities`` is the city boundary layer (``name_zh``). Returns ``cities`` (a DataFrame, one row
    per city: ``city``, ``parks`` count, ``park_ids``, ``rev12_yi``, ``rev13_yi``, and
    ``recorded12`` / ``recorded13``, how many of those figures are recorded actuals), the
    ``unassigned`` slots (unlocated candidates and unidentified slots) with their summed share,
    and the plan totals.
    """
    groups = slot_groups(with_actuals(parks, actuals))
    located = groups["located"]
    joined = located[["id", "rev12_yi", "rev13_yi"]].assign(
        name_zh=located["id"].map(park_cities(located, cities)),
        recorded12=located["rev12_yi_basis"].isin(ACTUAL_BASES),
        recorded13=located["rev13_yi_basis"].isin(ACTUAL_BASES))
    per_city = joined.groupby("name_zh").agg(parks=("id", "size"), park_ids=("id", list),
                                             rev12_yi=("rev12_yi", "sum"), rev13_yi=("rev13_yi", "sum"),
                                             recorded12=("recorded12", "sum"),
                                             recorded13=("recorded13", "sum"))
    table = (pd.DataFrame({"city": cities["name_zh"]}).set_index("city")
             .join(per_city).reset_index(names="city"))
    for col in ("parks", "recorded12", "recorded13"):
        table[col] = table[col].fillna(0).astype(int)
    table["park_ids"] = table["park_ids"].apply(lambda v: v if isinstance(v, list) else [])
    table = table.sort_values(["rev13_yi", "city"], ascending=[False, True], na_position="last",
                              ignore_index=True)
    rest = pd.concat([groups["unlocated"], groups["unidentified"]])
    unassigned = {"count": len(rest), "ids": list(rest["id"]),
                  2012: float(rest["rev12_yi"].sum()), 2013: float(rest["rev13_yi"].sum())}
    outside = joined["name_zh"].isna()
    return {"cities": table, "unassigned": unassigned, "outside_ids": list(joined.loc[outside, "id"]),
            "plan": _plan("parks_revenue", targets), "basis": pv.DERIVED, "rule": EVEN_SPLIT_RULE}


def cluster_revenue(clusters: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every cluster with its sourced revenue figure (``rev_yi``, 亿元) where one is published."""
    cols = ["id", "name_zh", "name_en", "city", "section", "rev_yi", "rev_year", "rev_basis",
            "rnote_zh", "rnote_en", "loc_prec", "link_zh", "link_en"]
    out = pd.DataFrame(clusters[cols]).copy()
    out["located"] = clusters.geometry.notna().to_numpy()
    return out.sort_values(["rev_yi", "id"], ascending=[False, True], na_position="last",
                           ignore_index=True)


def unlocated(catalog: Catalog, names) -> pd.DataFrame:
    """Features without geometry of the layers ``names`` (listed, never drawn): found from the
    features' bounds and read by position, so a big layer is not loaded."""
    frames = []
    for name in names:
        missing = catalog.features(name, np.flatnonzero(~catalog.located(name)))
        frames.append(pd.DataFrame(missing).reindex(columns=UNLOCATED_COLUMNS).assign(layer=name))
    return pd.concat(frames, ignore_index=True)[["layer", *UNLOCATED_COLUMNS]].fillna("")
