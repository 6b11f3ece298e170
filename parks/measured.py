"""Measured figures of the parks, zones and cities: their intensive-use indicators
(:mod:`parks.indicators`) from the stored survey and supply records (:mod:`store.survey`), and the
measured built-up areas that take the place of derived ones wherever figures are shown.

Each area's survey is read with the area as ``mask`` (only the row groups and rows meeting it),
so every park and zone of a province-wide survey is a few small reads. What was measured is kept
per (survey version, supply version, area, year): a new import changes the version and so the
figures; recorded revenue and investment are applied afresh on every call.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import shapely

from core.errors import UserError
from parks import indicators as ind
from parks import provenance as pv
from parks.actuals import COLUMNS, FIGURE_RANK, ActualError, Areas
from parks.catalog import Catalog
from store import layer_versions
from store import survey as stored

#: the kinds of area indicators are computed for, and the layer holding each kind's boundary
AREA_LAYERS = {"park": "parks", "zone": "zones"}
INDICATOR_KINDS = ("park", "zone", "city")
#: the metric of ``metrics.csv`` a measured built-up area stands for
BUILT_UP_METRIC = "built_up_km2"
CACHE_SIZE = 512


class IndicatorError(UserError):
    """An area or year indicators cannot be given for."""


class NoSurveyError(IndicatorError):
    status = 404


@dataclass(frozen=True)
class Region:
    """An area indicators are computed for: id, kind, names, boundary and its basis."""

    id: str
    kind: str
    name_zh: str
    name_en: str
    geometry: object  # shapely, CGCS2000, or None when unlocated
    geom_basis: str


def regions(catalog: Catalog, areas: Areas | None = None) -> dict[str, Region]:
    """Every park, zone and city, by id (as :class:`parks.actuals.Areas` names them)."""
    areas = areas or Areas(catalog)
    found: dict[str, Region] = {}
    for kind, layer in AREA_LAYERS.items():
        gdf = catalog.layer(layer, copy=False)
        for fid, geom, basis in zip(gdf["id"], gdf.geometry, gdf["geom_basis"], strict=True):
            a = areas.by_id[fid]
            found[fid] = Region(fid, kind, a.name_zh, a.name_en, geom, basis or pv.NONE)
    cities = catalog.boundaries("city", 0)
    for zh, geom in zip(cities["name_zh"], cities.geometry, strict=True):
        a = areas.by_id[zh]
        found[zh] = Region(zh, "city", a.name_zh, a.name_en, geom, pv.SOURCED)
    return found


def find_region(catalog: Catalog, text) -> Region:
    """The park, zone or city ``text`` names (id or name); ``bad_area`` otherwise."""
    areas = Areas(catalog)
    try:
        area = areas.find(text)
    except ActualError as exc:
        if "可指多个区域" in exc.zh:  # several areas answer to the name: that message says which
            raise
        raise IndicatorError(f"没有区域“{text}”。指标的区域须为园区或高新区编号（如 park-01、zone-01）"
                             "或市名（如 郑州市）。",
                             f"There is no area '{text}'. Indicators are given for a park or zone id "
                             "(e.g. park-01, zone-01) or a city (e.g. 郑州市).", code="bad_area") from None
    found = regions(catalog, areas).get(area.id)
    if found is None:
        raise IndicatorError(f"指标只对园区、高新区和市计算；“{text}”是{area.name_zh}。",
                             f"Indicators are computed for parks, zones and cities; '{text}' is "
                             f"{area.name_en}.", code="bad_area")
    return found


def years(data_dir: Path | str) -> list[int]:
    return stored.survey_years(data_dir)


def check_year(data_dir: Path | str, raw=None) -> int:
    """``raw`` as one of the stored survey years (the latest when empty)."""
    have = years(data_dir)
    if not have:
        raise NoSurveyError("尚未导入土地调查数据，没有实测指标。请先导入（flask survey import）。",
                            "No land-use survey is loaded, so there are no measured indicators. "
                            "Import one first (flask survey import).", code="no_survey")
    text = str(raw or "").strip()
    if not text:
        return have[-1]
    if text.isdigit() and int(text) in have:
        return int(text)
    listed = ", ".join(map(str, have))
    raise IndicatorError(f"year 须为已导入的调查年份：{listed.replace(', ', '、')}。",
                         f"year must be a loaded survey year: {listed}.", code="bad_year")


def _supply_version(data_dir) -> str | None:
    return layer_versions.current_version(data_dir, stored.SUPPLY_LAYER)


def version(data_dir: Path | str) -> str:
    """A short digest of every stored survey year's import record and the served supply version:
    it changes with any import (pages and the cache key on it)."""
    h = hashlib.sha256(repr(_supply_version(data_dir)).encode())
    for year in years(data_dir):
        h.update(json.dumps(stored.survey_meta(data_dir, year), sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]


_cache: dict[tuple, dict] = {}
_lock = threading.Lock()


def _measure(data_dir, region: Region, year: int, database_url: str | None) -> dict[str, ind.Input]:
    """The survey and supply inputs of ``region`` (kept per versions, area and year)."""
    key = (str(data_dir), version(data_dir), region.id, year, shapely.to_wkb(region.geometry)
           if region.geometry is not None else b"")
    with _lock:
        if key in _cache:
            return _cache[key]
    if region.geometry is None:
        measured = ind.area_indicators(None, geom_basis=pv.NONE, year=year, patches=None,
                                       supply=None, recorded={})["inputs"]
    else:
        patches = stored.read_patches(data_dir, year, mask=region.geometry, database_url=database_url,
                                      columns=["TBMJ", "TBDLMJ", "land_group", "is_industrial",
                                               "is_cultivated"])
        supply = None
        if _supply_version(data_dir):
            supply = stored.read_supply(data_dir, mask=region.geometry, database_url=database_url,
                                        columns=[ind.USE, ind.DATE, ind.FAR])
        measured = ind.area_indicators(region.geometry, geom_basis=region.geom_basis, year=year,
                                       patches=patches, supply=supply, recorded={})["inputs"]
    measured = {k: v for k, v in measured.items() if k not in ("revenue_yi", "investment_yi")}
    with _lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = measured
    return measured


def _recorded(actuals: pd.DataFrame | None, area_id: str, year: int) -> dict[str, dict | None]:
    out: dict[str, dict | None] = {"revenue_yi": None, "investment_yi": None}
    if actuals is None or actuals.empty:
        return out
    rows = actuals[(actuals["area_id"] == area_id) & (actuals["year"] == year)]
    for metric in out:
        hit = rows[rows["metric"] == metric]
        if len(hit):
            out[metric] = hit.iloc[0][["value", "basis", "source"]].to_dict()
    return out


def area_indicators(catalog: Catalog, data_dir, region: Region, year: int, *,
                    actuals: pd.DataFrame | None = None, database_url: str | None = None) -> dict:
    """Indicators of ``region`` in survey ``year``, as the API gives them: the area, its year,
    every indicator (:func:`parks.indicators.evaluate`), the land-use breakdown (m² per group)."""
    inputs = dict(_measure(data_dir, region, year, database_url))
    recorded = _recorded(actuals, region.id, year)
    defs = ind.definitions()
    for key in ("revenue_yi", "investment_yi"):
        inputs[key] = ind.recorded_input(recorded[key], (defs[key].name_zh, defs[key].name_en), year)
    return {"area": {"id": region.id, "kind": region.kind, "name_zh": region.name_zh,
                     "name_en": region.name_en, "geom_basis": region.geom_basis},
            "year": year, "survey_date": ind.year_end(year),
            "indicators": ind.evaluate(inputs, defs),
            "land_use": {g: inputs[k].value for g, k in ind.GROUP_INPUTS.items()}}


def all_indicators(catalog: Catalog, data_dir, year: int, *, kinds=INDICATOR_KINDS,
                   actuals: pd.DataFrame | None = None, database_url: str | None = None) -> list[dict]:
    """:func:`area_indicators` of every area of ``kinds``."""
    return [area_indicators(catalog, data_dir, r, year, actuals=actuals, database_url=database_url)
            for r in regions(catalog).values() if r.kind in kinds]


def built_up_figures(catalog: Catalog, data_dir, *, database_url: str | None = None) -> pd.DataFrame:
    """The measured built-up area (km²) of every located park and zone in every survey year, as
    rows of recorded figures (:data:`parks.actuals.COLUMNS`, basis ``measured``), so that
    :func:`combine` can put them beside, or in place of, the recorded ones."""
    rows = []
    for year in years(data_dir):
        for region in regions(catalog).values():
            if region.kind not in AREA_LAYERS or region.geometry is None:
                continue
            got = _measure(data_dir, region, year, database_url)["construction_m2"]
            where = ("，示意范围内" if region.geom_basis == pv.SCHEMATIC else "")
            where_en = (", within the schematic extent" if region.geom_basis == pv.SCHEMATIC else "")
            rows.append([region.id, year, BUILT_UP_METRIC, got.value / 1e6, pv.MEASURED,
                         f"{year}年土地调查建设用地{where} · land-use survey {year}, construction "
                         f"land{where_en}", "survey", None])
    return pd.DataFrame(rows, columns=COLUMNS)


def combine(recorded: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Recorded and measured figures together, one per area, year and metric: the higher
    :data:`parks.actuals.FIGURE_RANK` wins (measured over sourced), a recorded one a tie."""
    if measured.empty:
        return recorded
    both = pd.concat([recorded.assign(_own=1), measured.assign(_own=0)], ignore_index=True)
    both["_rank"] = both["basis"].map(FIGURE_RANK).fillna(0)
    both = both.sort_values(["_rank", "_own"], ascending=False, kind="stable")
    return (both.drop_duplicates(["area_id", "year", "metric"]).drop(columns=["_rank", "_own"])
            .sort_index().reset_index(drop=True))
