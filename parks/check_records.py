"""Running a parcel check on an uploaded file, and keeping it: a stored check can be reopened,
reported (PDF/CSV) and its parcels reserved.

A check changes no ledger figure, but it is recorded (table ``parcel_check`` and an audit line
``check.run``) so the verdict can be filed and traced. Bad input raises before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.crs import CGCS2000
from geo.units import survey_areas
from geo.vector_io import read_vector
from parks import ledger
from parks.catalog import Catalog
from parks.checks import CheckResult, area_names, check_parcels, parcel_summary, quota_areas, with_none
from parks.ledger import NotFound, valid_id
from store import audit
from store.db import Database
from store.models import ParcelCheck

#: columns of a result row kept as JSON lists
_LIST_COLUMNS = ("overlap_ids", "upload_overlaps")
#: what the verdict page and the report draw around the parcels, degrees (covers their frames)
AREA_MARGIN_DEG = 0.05
#: the layers whose features are quota areas
AREA_LAYERS = tuple(layer for _, layer in ledger.SEED_LAYERS)


def areas_near(catalog: Catalog, bounds, ids=()) -> gpd.GeoDataFrame:
    """The quota areas (:func:`parks.checks.quota_areas`) whose extent meets ``bounds`` (west,
    south, east, north) or whose id is in ``ids``. Only those features are read, by their
    position in the file: a check against a layer of a million parcels reads the few around it."""
    return quota_areas(*(catalog.features(layer, np.union1d(catalog.positions_in(layer, bounds),
                                                            catalog.positions(layer, ids)))
                         for layer in AREA_LAYERS))


def located_areas(catalog: Catalog) -> pd.DataFrame:
    """Every quota area with a footprint: ``area_id``, ``kind``, ``name_zh``, ``name_en`` (a
    candidate park named as one; a column-only read, in file order, parks first)."""
    frames = []
    for kind, layer in ledger.SEED_LAYERS:
        rows = catalog.attributes(layer, ("id", "name_zh", "name_en", "kind"))[catalog.located(layer)]
        names = area_names(rows)
        frames.append(pd.DataFrame({"area_id": rows["id"].astype(str).to_numpy(), "kind": kind,
                                    "name_zh": names["zh"], "name_en": names["en"]}))
    return pd.concat(frames, ignore_index=True)


def located_ids(catalog: Catalog, ids) -> set[str]:
    """Those of the quota areas ``ids`` that have a footprint (read by id, not the layers)."""
    ids = [str(i) for i in ids]
    found = set()
    for _, layer in ledger.SEED_LAYERS:
        positions = catalog.positions(layer, ids)
        located = positions[catalog.located(layer)[positions]]
        found |= set(catalog.attributes(layer, ["id"])["id"].iloc[located].astype(str))
    return found


def areas_around(catalog: Catalog, rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The quota areas a stored check's map and report draw: those near its parcels, and the
    whole of each area a parcel lies in."""
    west, south, east, north = rows.total_bounds
    m = AREA_MARGIN_DEG
    return areas_near(catalog, (west - m, south - m, east + m, north + m), rows["area_id"].dropna().unique())


@dataclass
class StoredCheck:
    id: int
    created_at: datetime
    actor: str
    filename: str
    meta: dict
    result: CheckResult

    def parcel(self, no: int) -> dict:
        """Row ``no`` (1-based) as a dict with its shapely geometry."""
        rows = self.result.rows
        if not 1 <= no <= len(rows):
            raise NotFound(f"本次核查没有第 {no} 号地块。", f"This check has no parcel {no}.",
                           code="no_parcel")
        return rows.iloc[no - 1].to_dict()

    def summaries(self, limit: int | None = None) -> list[dict]:
        """The first ``limit`` parcels (all by default) as :func:`parks.checks.parcel_summary`
        with ``attributes``: the file's own columns for that parcel, as delivered."""
        rows = self.result.rows.iloc[:limit]
        attributes = _records(self.result.attributes.iloc[:limit]) or [{}] * len(rows)
        return [parcel_summary(row) | {"attributes": attrs}
                for (_, row), attrs in zip(rows.iterrows(), attributes, strict=True)]


def _plain(value):
    """A cell as a JSON value: numpy numbers as Python ones, missing as None, dates as ISO text."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{str(k): _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def result_to_json(result: CheckResult) -> dict:
    rows = pd.DataFrame(result.rows.drop(columns="geometry"))
    records = [{k: _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
    wkt = shapely.to_wkt(np.asarray(result.rows.geometry.values, dtype=object), rounding_precision=-1)
    for rec, w in zip(records, wkt, strict=True):
        rec["wkt"] = w
    return {"year": result.year, "notes": [list(n) for n in result.notes], "rows": records,
            "unreadable": result.unreadable,
            "attributes": {"columns": [str(c) for c in result.attributes.columns],
                           "rows": _records(result.attributes)}}


def result_from_json(data: dict) -> CheckResult:
    records = data["rows"]
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "wkt"} for r in records])
    for col in ("quota_m2", "before_m2", "after_m2"):
        frame[col] = frame[col].astype(float)
    for col in _LIST_COLUMNS:
        frame[col] = [v or None for v in frame[col]]
    geoms = shapely.from_wkt([r["wkt"] for r in records])
    rows = with_none(gpd.GeoDataFrame(frame, geometry=geoms, crs=CGCS2000))
    attributes = data.get("attributes") or {"columns": [], "rows": []}
    return CheckResult(rows, data["year"], [tuple(n) for n in data.get("notes", [])],
                       data.get("unreadable", []),
                       pd.DataFrame(attributes["rows"], columns=attributes["columns"], dtype=object))


def save_check(db: Database, result: CheckResult, *, actor: str, filename: str, meta: dict) -> int:
    """Store a check and its audit line; returns the check's id."""
    totals = result.totals()
    with db.write() as session:
        record = ParcelCheck(actor=actor, filename=filename, year=result.year, verdict=result.verdict,
                             parcels=len(result.rows),
                             result_json=json.dumps({"meta": meta, **result_to_json(result)},
                                                    ensure_ascii=False))
        session.add(record)
        session.flush()
        audit.record(session, actor, "check.run", f"check:{record.id}", None,
                     {"filename": filename, "year": result.year, "parcels": totals["parcels"],
                      "area_m2": survey_areas(totals["area_m2"])["m2"], "verdicts": totals["verdicts"],
                      "unreadable": [u["row"] for u in result.unreadable],
                      "verdict": totals["verdict"], "declared": meta.get("declared")})
        return record.id


def load_check(session: Session, check_id: int) -> StoredCheck:
    record = session.get(ParcelCheck, check_id) if valid_id(check_id) else None
    if record is None:
        raise NotFound(f"没有编号为 {check_id} 的核查记录。", f"There is no check {check_id}.",
                       code="no_check")
    data = json.loads(record.result_json)
    return StoredCheck(record.id, record.created_at, record.actor, record.filename,
                       data.get("meta", {}), result_from_json(data))


def recent_checks(session: Session, limit: int = 20) -> list[ParcelCheck]:
    return list(session.scalars(select(ParcelCheck).order_by(ParcelCheck.id.desc()).limit(limit)))


def _area_names(areas: gpd.GeoDataFrame, area_id: str | None) -> list[str] | None:
    """[中文, English] name of an area, so a verdict names the park applied for, not its id."""
    match = areas[areas["area_id"] == area_id]
    return None if match.empty else [match["name_zh"].iloc[0], match["name_en"].iloc[0]]


def run_check(db: Database, path: Path, *, filename: str, catalog: Catalog, actor: str,
              year: int = ledger.SEED_YEAR, crs: str | None = None, encoding: str | None = None,
              datum: str | None = None, declared: str | None = None) -> int:
    """Read an uploaded file, check its parcels against the quota areas around them
    (:func:`areas_near`, and the ``declared`` one) and the ledger, store the
    check. Returns the check's id. Raises :class:`geo.errors.UserError` (nothing stored)
    for anything wrong with the file or the request."""
    read = read_vector(path, filename=filename, crs=crs or None, encoding=encoding or None,
                       datum=datum or None, geometry="polygon")
    areas = areas_near(catalog, read.gdf.total_bounds, [declared] if declared else [])
    with db.read() as session:
        state = ledger.state(session, year, areas["area_id"])
    result = check_parcels(read.gdf, areas, state, declared=declared or None)
    result.notes = list(read.notes)
    result.unreadable = list(read.unreadable)
    meta = {"format": read.format, "source_crs": read.source_crs, "source_epsg": read.source_epsg,
            "crs_how": read.crs_how, "encoding": read.encoding, "datum": datum or None,
            "name_preview": list(read.name_preview or []), "declared": declared or None,
            "declared_name": _area_names(areas, declared)}
    return save_check(db, result, actor=actor, filename=filename, meta=meta)
