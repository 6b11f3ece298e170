"""Running a parcel check on an uploaded file, and keeping it: a stored check can be reopened,
reported (PDF/CSV) and its parcels reserved.

A check changes no ledger figure, but it is recorded (table ``parcel_check`` and an audit line
``check.run``) so the verdict can be filed and traced. Bad input raises before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.crs import CGCS2000
from geo.vector_io import read_vector
from parks import ledger
from parks.checks import CheckResult, check_parcels, with_none
from parks.ledger import NotFound, valid_id
from store import audit
from store.db import Database
from store.models import ParcelCheck

#: columns of a result row kept as JSON lists
_LIST_COLUMNS = ("overlap_ids", "upload_overlaps")


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


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def result_to_json(result: CheckResult) -> dict:
    rows = pd.DataFrame(result.rows.drop(columns="geometry"))
    records = [{k: _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
    wkt = shapely.to_wkt(np.asarray(result.rows.geometry.values, dtype=object), rounding_precision=-1)
    for rec, w in zip(records, wkt, strict=True):
        rec["wkt"] = w
    return {"year": result.year, "notes": [list(n) for n in result.notes], "rows": records,
            "unreadable": result.unreadable}


def result_from_json(data: dict) -> CheckResult:
    records = data["rows"]
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "wkt"} for r in records])
    for col in ("quota_m2", "before_m2", "after_m2"):
        frame[col] = frame[col].astype(float)
    for col in _LIST_COLUMNS:
        frame[col] = [v or None for v in frame[col]]
    geoms = shapely.from_wkt([r["wkt"] for r in records])
    rows = with_none(gpd.GeoDataFrame(frame, geometry=geoms, crs=CGCS2000))
    return CheckResult(rows, data["year"], [tuple(n) for n in data.get("notes", [])],
                       data.get("unreadable", []))


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
                      "area_m2": totals["area_m2"], "verdicts": totals["verdicts"],
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


def run_check(db: Database, path: Path, *, filename: str, areas: gpd.GeoDataFrame, actor: str,
              year: int = ledger.SEED_YEAR, crs: str | None = None, encoding: str | None = None,
              datum: str | None = None, declared: str | None = None) -> int:
    """Read an uploaded file, check its parcels against ``areas`` and the ledger, store the
    check. Returns the check's id. Raises :class:`geo.errors.UserError` (nothing stored)
    for anything wrong with the file or the request."""
    read = read_vector(path, filename=filename, crs=crs or None, encoding=encoding or None,
                       datum=datum or None, geometry="polygon")
    with db.read() as session:
        state = ledger.state(session, year)
    result = check_parcels(read.gdf, areas, state, declared=declared or None)
    result.notes = list(read.notes)
    result.unreadable = list(read.unreadable)
    meta = {"format": read.format, "source_crs": read.source_crs, "source_epsg": read.source_epsg,
            "crs_how": read.crs_how, "encoding": read.encoding, "datum": datum or None,
            "name_preview": list(read.name_preview or []), "declared": declared or None}
    return save_check(db, result, actor=actor, filename=filename, meta=meta)
