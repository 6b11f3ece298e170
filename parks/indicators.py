"""Intensive-use indicators of one area (a park, a zone, a city) from the land-use survey and the
land-supply records, after 《开发区土地集约利用评价规程》.

What each indicator is — names, unit, formula as text, the inputs it divides — is data,
``data/sources/indicators.csv``: a ``measure`` row is an input shown as an indicator, a
``ratio`` row is ``numerator ÷ denominator × factor``, an ``input`` row is only listed. The
code here only measures the inputs:

* survey patches are clipped to the area and measured on the ellipsoid
  (:func:`geo.area.ellipsoidal_area_m2`, as the parcel check does), each patch's land-class share
  ``TBDLMJ / TBMJ`` kept (field ridges are not cultivated land);
* supplied parcels (to the end of the survey's year) are merged and clipped the same way; the
  floor area comes from each parcel's contract FAR, and only when every parcel has one;
* revenue and investment are recorded actual figures of the survey's year, never an even split.

An input that cannot be measured carries its reason (zh + en), and every indicator that needs
it is ``None`` with that reason: nothing is guessed. Each indicator's basis is the weakest of
its inputs' (:data:`parks.actuals.FIGURE_RANK`): ``measured`` when all come from the survey or
the supply records.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.area import ellipsoidal_area_m2
from parks import provenance as pv
from parks.actuals import FIGURE_RANK
from parks.sources import SOURCES_DIR

CONSTRUCTION, AGRICULTURAL, UNUSED = "建设用地", "农用地", "未利用地"
#: the land groups of the breakdown chart, in order, with the input holding each
GROUP_INPUTS = {CONSTRUCTION: "construction_m2", AGRICULTURAL: "agricultural_m2", UNUSED: "unused_m2"}
#: a supplied parcel is industrial when its 用途 names this
INDUSTRIAL_USE = "工业"
#: columns of the supply records (:func:`store.survey.read_supply`): 用途, 供地时间, 容积率
USE, DATE, FAR = "use", "supplied_on", "far"


@dataclass(frozen=True)
class Definition:
    """One row of ``indicators.csv``."""

    key: str
    kind: str  # input | measure | ratio
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    numerator: str
    denominator: str
    factor: float
    digits: int
    formula_zh: str
    formula_en: str
    ref_zh: str
    ref_en: str


def read_definitions(path: Path | None = None) -> dict[str, Definition]:
    """The rows of ``indicators.csv`` (default: the shipped one), by key, in file order."""
    with open(path or SOURCES_DIR / "indicators.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["key"]: Definition(r["key"], r["kind"], r["name_zh"], r["name_en"], r["unit_zh"],
                                 r["unit_en"], r["numerator"], r["denominator"],
                                 float(r["factor"] or 1), int(r["digits"] or 2), r["formula_zh"],
                                 r["formula_en"], r["ref_zh"], r["ref_en"]) for r in rows}


@lru_cache(maxsize=1)
def definitions() -> dict[str, Definition]:
    return read_definitions()


@dataclass
class Input:
    """A measured (or recorded) quantity an indicator divides; ``value`` None with a reason."""

    value: float | None
    basis: str
    data_date: str = ""
    reason_zh: str = ""
    reason_en: str = ""
    detail: dict = field(default_factory=dict)


def _missing(zh: str, en: str) -> Input:
    return Input(None, pv.NONE, "", zh, en)


def year_end(year: int) -> str:
    """The survey's reference date: 三调 and its annual updates count the land as of 31 December."""
    return f"{year}-12-31"


# ----- measuring --------------------------------------------------------------------------------

#: an area with more vertices (a city's boundary) is cut into tiles of about this many before
#: patches are intersected with it: each intersection then works on a small piece
TILE_VERTICES = 256


def _tiles(area) -> np.ndarray:
    n = int(np.ceil(np.sqrt(shapely.get_num_coordinates(area) / TILE_VERTICES)))
    if n <= 1:
        return np.array([area], dtype=object)
    minx, miny, maxx, maxy = area.bounds
    xs, ys = np.linspace(minx, maxx, n + 1), np.linspace(miny, maxy, n + 1)
    tiles = np.array([shapely.clip_by_rect(area, xs[i], ys[j], xs[i + 1], ys[j + 1])
                      for i in range(n) for j in range(n)], dtype=object)
    return tiles[~shapely.is_empty(tiles)]


def clip(geoms, area) -> tuple[np.ndarray, np.ndarray]:
    """``geoms`` cut to ``area`` (CGCS2000) as parts, and the index in ``geoms`` of each part:
    a geometry wholly inside is its own part, one crossing the boundary is intersected (tile by
    tile with a complex area, so a crossing geometry may give a part per tile)."""
    geoms = np.asarray(geoms, dtype=object)
    index = np.arange(len(geoms))
    if not len(geoms):
        return geoms, index
    shapely.prepare(area)
    inside = shapely.contains_properly(area, geoms)
    crossing = np.flatnonzero(~inside)
    tiles = _tiles(area)
    ci, ti = shapely.STRtree(tiles).query(geoms[crossing], predicate="intersects")
    parts = shapely.intersection(geoms[crossing[ci]], tiles[ti])
    return np.concatenate([geoms[inside], parts]), np.concatenate([index[inside], crossing[ci]])


def clipped_areas(geoms, area) -> np.ndarray:
    """Ellipsoidal area (m²) of each of ``geoms`` inside ``area``."""
    parts, index = clip(geoms, area)
    m2 = ellipsoidal_area_m2(parts) if len(parts) else np.zeros(0)
    return np.bincount(index, weights=m2, minlength=len(geoms)).astype(float)


def without_overlaps(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` as pieces that do not overlap: each one overlapping no other as it is, those
    that overlap merged (supply records may hold the same land twice, e.g. allocated then sold)."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return geoms
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    i, j = i[i < j], j[i < j]
    inner = shapely.relate_pattern(geoms[i], geoms[j], "T********")  # interiors meet
    overlapping = np.unique(np.r_[i[inner], j[inner]])
    if not len(overlapping):
        return geoms
    alone = np.setdiff1d(np.arange(len(geoms)), overlapping)
    return np.concatenate([geoms[alone], shapely.get_parts(shapely.union_all(geoms[overlapping]))])


def overlay_m2(geoms, pieces) -> float:
    """Ellipsoidal area (m²) of ``geoms`` on ``pieces`` (which do not overlap one another)."""
    geoms, pieces = np.asarray(geoms, dtype=object), np.asarray(pieces, dtype=object)
    if not len(geoms) or not len(pieces):
        return 0.0
    gi, pi = shapely.STRtree(pieces).query(geoms, predicate="intersects")
    if not len(gi):
        return 0.0
    shapely.prepare(pieces)
    parts = geoms[gi]  # a patch wholly on one piece is measured as it is; only the rest are cut
    cut = ~shapely.contains_properly(pieces[pi], parts)
    parts[cut] = shapely.intersection(parts[cut], pieces[pi[cut]])
    return float(ellipsoidal_area_m2(parts).sum())


def _class_share(patches: pd.DataFrame) -> np.ndarray:
    """Each patch's share of its land class: ``TBDLMJ / TBMJ`` (less the field ridges), 1 where
    the survey gives neither."""
    if "TBDLMJ" not in patches or "TBMJ" not in patches:
        return np.ones(len(patches))
    net = pd.to_numeric(patches["TBDLMJ"], errors="coerce").to_numpy(dtype=float)
    gross = pd.to_numeric(patches["TBMJ"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where((gross > 0) & np.isfinite(net), net / gross, 1.0)
    return np.clip(share, 0.0, 1.0)


def land_use(patches: gpd.GeoDataFrame, area, year: int) -> dict[str, Input]:
    """The survey's land inside ``area``: construction, industrial, cultivated, agricultural and
    unused land (m²), each an :class:`Input` of basis ``measured`` dated the survey's year end."""
    whole = clipped_areas(patches.geometry.to_numpy(), area)
    share = _class_share(patches)
    net = whole * share
    group = patches["land_group"].to_numpy(dtype=object)
    date = year_end(year)
    count = int((whole > 0).sum())

    def measured(mask: np.ndarray, values: np.ndarray = net) -> Input:
        return Input(float(values[mask].sum()), pv.MEASURED, date,
                     detail={"patches": int((mask & (whole > 0)).sum())})

    construction = group == CONSTRUCTION
    out = {"construction_m2": measured(construction),
           "industrial_m2": measured(construction & patches["is_industrial"].to_numpy(dtype=bool)),
           "cultivated_m2": measured(patches["is_cultivated"].to_numpy(dtype=bool)),
           "agricultural_m2": measured(group == AGRICULTURAL)}
    # field ridges (the share a patch's class does not cover) count as other land, as in 三调
    unused = float(net[group == UNUSED].sum() + (whole - net).sum())
    out["unused_m2"] = Input(unused, pv.MEASURED, date, detail={"patches": count})
    return out


def supply_use(supply: gpd.GeoDataFrame, area, year: int, construction) -> dict[str, Input]:
    """The supplied land inside ``area`` to the end of ``year``: its area (overlaps counted
    once), the survey's construction land on it (``construction``: the construction-land patch
    geometries), and the floor areas from contract FARs."""
    dates = pd.to_datetime(supply[DATE], errors="coerce") if DATE in supply else \
        pd.Series(pd.NaT, index=supply.index)
    cutoff = pd.Timestamp(year_end(year))
    undated = int(dates.isna().sum())
    taken = supply[(dates <= cutoff).to_numpy()]
    taken_dates = dates[(dates <= cutoff).to_numpy()]
    last = year_end(year)  # the records are counted as of the survey's date
    latest = taken_dates.max().date().isoformat() if len(taken) else ""
    parts, index = clip(taken.geometry.to_numpy(), area)
    part_m2 = ellipsoidal_area_m2(parts) if len(parts) else np.zeros(0)
    parcel_m2 = np.bincount(index, weights=part_m2, minlength=len(taken)).astype(float)
    detail = {"parcels": int((parcel_m2 > 0).sum()), "undated_left_out": undated,
              "latest_supplied_on": latest}
    pieces = without_overlaps(parts[part_m2 > 0])
    supplied = float(ellipsoidal_area_m2(pieces).sum()) if len(pieces) else 0.0
    out = {"supplied_m2": Input(supplied, pv.MEASURED, last, detail=detail),
           "built_on_supplied_m2": Input(overlay_m2(construction, pieces), pv.MEASURED, last,
                                         detail=detail)}
    far = pd.to_numeric(taken[FAR], errors="coerce").to_numpy(dtype=float) if FAR in taken else \
        np.full(len(taken), np.nan)
    industrial = (taken[USE].astype(str).str.contains(INDUSTRIAL_USE).to_numpy()
                  if USE in taken else np.zeros(len(taken), dtype=bool))
    for key, rows in (("floor_m2", np.ones(len(taken), dtype=bool)), ("industrial_floor_m2", industrial)):
        rows = rows & (parcel_m2 > 0)
        lacking = int((rows & ~np.isfinite(far)).sum())
        if not rows.any():
            out[key] = _missing("区域内截至调查年末没有相应的供地地块。",
                                "No such supplied parcel inside the area by the survey's year end.")
        elif lacking:
            out[key] = _missing(f"区域内 {int(rows.sum())} 宗供地中 {lacking} 宗没有容积率。",
                                f"{lacking} of the {int(rows.sum())} supplied parcels inside the "
                                "area have no floor-area ratio.")
        else:
            out[key] = Input(float((parcel_m2[rows] * far[rows]).sum()), pv.MEASURED, last,
                             detail={"parcels": int(rows.sum())})
    return out


def recorded_input(figure: dict | None, name: tuple[str, str], year: int) -> Input:
    """A recorded actual figure (``{"value", "basis", "source"}``, or None) as an input."""
    if figure is None:
        return _missing(f"没有录入{year}年的{name[0]}实际值（平均分配的推算值不用于地均指标）。",
                        f"No actual {name[1].lower()} is recorded for {year} (derived even splits "
                        "are not used for per-area figures).")
    return Input(float(figure["value"]), figure["basis"], str(year), detail={"source": figure["source"]})


# ----- indicators ---------------------------------------------------------------------------------

def _weakest(bases: list[str]) -> str:
    return min(bases, key=lambda b: FIGURE_RANK.get(b, 0))


def _input_entry(key: str, got: Input, defs: dict[str, Definition]) -> dict:
    d = defs[key]
    return {"key": key, "name_zh": d.name_zh, "name_en": d.name_en, "value": got.value,
            "unit": d.unit_zh, "unit_en": d.unit_en, "basis": got.basis, "data_date": got.data_date,
            **({"reason_zh": got.reason_zh, "reason_en": got.reason_en} if got.value is None else {}),
            **got.detail}


def _not_held(key: str, defs: dict[str, Definition]) -> Input:
    d = defs[key]
    return _missing(f"没有“{d.name_zh}”的数据：{d.ref_zh}。", f"No data for {d.name_en.lower()}: {d.ref_en}.")


def evaluate(inputs: dict[str, Input], defs: dict[str, Definition] | None = None) -> list[dict]:
    """Every ``measure`` and ``ratio`` of ``defs`` from ``inputs`` (an input not given counts
    as not held, with the reason its row states). Each indicator is ``{key, name_zh, name_en,
    value, unit, unit_en, formula, formula_en, reference, reference_en, inputs, data_date,
    basis}``, plus ``reason_zh`` / ``reason_en`` when ``value`` is None."""
    defs = defs or definitions()
    out = []
    for d in defs.values():
        if d.kind == "input":
            continue
        keys = [k for k in (d.numerator, d.denominator) if k]
        got = {k: inputs.get(k) or _not_held(k, defs) for k in keys}
        lacking = [k for k in keys if got[k].value is None]
        value, reason = None, {}
        if lacking:
            reason = {"reason_zh": "".join(got[k].reason_zh for k in lacking),
                      "reason_en": " ".join(got[k].reason_en for k in lacking)}
        elif d.denominator and not got[d.denominator].value:
            reason = {"reason_zh": f"{defs[d.denominator].name_zh}为 0，比值无意义。",
                      "reason_en": f"The {defs[d.denominator].name_en.lower()} is 0: no ratio."}
        else:
            value = got[d.numerator].value * d.factor
            if d.denominator:
                value /= got[d.denominator].value
            value = round(value, d.digits + 4)
        dates = [got[k].data_date for k in keys if got[k].data_date]
        out.append({"key": d.key, "name_zh": d.name_zh, "name_en": d.name_en, "value": value,
                    "unit": d.unit_zh, "unit_en": d.unit_en, "digits": d.digits,
                    "formula": d.formula_zh, "formula_en": d.formula_en,
                    "reference": d.ref_zh, "reference_en": d.ref_en,
                    "inputs": [_input_entry(k, got[k], defs) for k in keys],
                    "data_date": min(dates) if dates and value is not None else "",
                    "basis": pv.NONE if value is None else _weakest([got[k].basis for k in keys]),
                    **reason})
    return out


def area_indicators(area, *, geom_basis: str, year: int, patches: gpd.GeoDataFrame,
                    supply: gpd.GeoDataFrame | None, recorded: dict[str, dict | None],
                    defs: dict[str, Definition] | None = None) -> dict:
    """Indicators of one area (a CGCS2000 polygon, or None when the area has no geometry) from
    the survey ``patches`` of ``year`` and the ``supply`` records (None when none are loaded)
    around it; ``recorded`` holds the area's actual ``revenue_yi`` / ``investment_yi`` of
    ``year`` (or None). Returns ``{"indicators", "inputs", "land_use"}``: the list of
    :func:`evaluate`, every input by key, and m² per land group for the breakdown chart."""
    defs = defs or definitions()
    if area is None or area.is_empty:
        no = _missing("该区域未定位，没有范围，无法裁切调查图斑。",
                      "The area is unlocated: with no boundary the survey cannot be clipped to it.")
        inputs = {k: no for k, d in defs.items() if d.kind != "ratio"}
        return {"indicators": evaluate(inputs, defs), "inputs": inputs, "land_use": {}}
    inputs = {"area_m2": Input(float(ellipsoidal_area_m2([area])[0]), geom_basis,
                               detail={"geom_basis": geom_basis})}
    inputs |= land_use(patches, area, year)
    if supply is None:
        none = _missing("尚未导入供地数据。", "No land-supply records are loaded.")
        for key in ("supplied_m2", "built_on_supplied_m2", "floor_m2", "industrial_floor_m2"):
            inputs[key] = none
    else:
        construction = patches.geometry.to_numpy()[(patches["land_group"] == CONSTRUCTION).to_numpy()]
        inputs |= supply_use(supply, area, year, construction)
    for key in ("revenue_yi", "investment_yi"):
        inputs[key] = recorded_input(recorded.get(key), (defs[key].name_zh, defs[key].name_en), year)
    return {"indicators": evaluate(inputs, defs), "inputs": inputs,
            "land_use": {g: inputs[k].value for g, k in GROUP_INPUTS.items()}}
