"""The land-use quota ledger (用地指标台账): quotas per park and zone, and the parcels reserved,
approved and released against them.

Seed quotas (basis ``derived``): the plan's 2013 growth of its parks' built-up area split
evenly over the park slots, for :data:`SEED_YEAR` — with the figures of
``data/sources/plan_targets.csv`` (≥65 km² in 2013 − >50 km² in 2012 = 15 km², ÷ 16 slots),
0.9375 km² = 93.75 公顷 = 1,406.25 亩 each. The plan gives no figure per zone nor
for the planned second-batch parks, so those start with no quota (basis ``none``) until staff
enter one; checks against them say 需人工复核.

Every change is one transaction with its audit line. Two clerks reserving at the same moment
cannot push an area past its quota: the quota row is locked (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the whole write transaction holds the database's write lock from
``BEGIN IMMEDIATE``), and the remaining quota is computed from the allocations after the lock.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from core.errors import UserError
from geo.area import ellipsoidal_area_m2
from geo.crs import CGCS2000
from parks import provenance as pv
from parks.catalog import Catalog
from parks.checks import FLAGS, SPATIAL_FAIL_BITS, TOLERANCE_M2, LedgerState
from parks.sources import PARK_SLOTS, plan_target
from store import audit
from store.db import Database
from store.models import ACTIVE, APPROVED, RELEASED, RESERVED, Allocation, AuditEntry, Quota, utcnow

SEED_YEAR = 2013
#: the layers whose features are quota areas, and the kind of area each gives
SEED_LAYERS = (("park", "parks"), ("zone", "zones"))
#: ledger rows inserted per statement when seeding
SEED_BATCH = 5_000


class LedgerError(UserError):
    """A ledger change refused because of the ledger's state (quota, overlap, status)."""

    status = 409


class NotFound(UserError):
    status = 404


#: database ids are 32-bit on PostgreSQL; anything outside cannot exist
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def seed_rule() -> tuple[float, str]:
    """The derived per-park quota (m²) and the rule that gives it, from the plan's targets."""
    t = plan_target("parks_built_area")
    growth_km2 = float(t["value_2013"]) - float(t["value_2012"])
    per_park_km2 = growth_km2 / PARK_SLOTS
    rule = (f"(2013年 {t['value_2013']:g} km² − 2012年 {t['value_2012']:g} km²) ÷ {PARK_SLOTS} = "
            f"{per_park_km2:g} km²（{t['section']}，平均分配 / even split）")
    return per_park_km2 * 1e6, rule


def seed(db: Database, catalog: Catalog, *, year: int = SEED_YEAR) -> int:
    """Add a ledger row for every park and zone ``catalog`` serves that has none for ``year``;
    never changes an existing row. Reads the layers' id and name columns only, inserts
    :data:`SEED_BATCH` rows a statement, and writes one audit line ``quota.seed`` per layer
    version (target ``<layer>:<version>@<year>``, the rows it added); a layer version already
    seeded for ``year`` is skipped, so a start or a request after it costs one query.
    Returns the number of rows added."""
    per_park_m2, rule = seed_rule()
    targets = {layer: f"{layer}:{catalog.layer_version(layer)}@{year}" for _, layer in SEED_LAYERS}
    with db.read() as session:  # the usual case, without taking the write lock
        if all(_seeded(session, target) for target in targets.values()):
            return 0
    added = 0
    with db.write() as session:
        have: set[str] | None = None
        for kind, layer in SEED_LAYERS:
            target = targets[layer]
            if _seeded(session, target):  # again under the lock: another worker may have seeded it
                continue
            if have is None:
                have = set(session.scalars(select(Quota.area_id).where(Quota.year == year)))
            areas = catalog.attributes(layer, ("id", "name_zh", "name_en", "slot"))
            areas = areas[~areas["id"].isin(have)].drop_duplicates("id")
            slots = areas["slot"].to_numpy() if "slot" in areas else np.zeros(len(areas))
            derived = (kind == "park") & (slots >= 1) & (slots <= PARK_SLOTS)
            names = areas[["id", "name_zh", "name_en"]].fillna("").astype(str)
            now = utcnow()
            for start in range(0, len(areas), SEED_BATCH):
                batch = names.iloc[start:start + SEED_BATCH]
                session.connection().execute(insert(Quota.__table__), [  # Core executemany: no ORM objects
                    {"area_id": area_id, "year": year, "kind": kind, "name_zh": zh, "name_en": en,
                     "quota_m2": per_park_m2 if d else None, "basis": pv.DERIVED if d else pv.NONE,
                     "rule": rule if d else "", "updated_at": now, "updated_by": audit.SYSTEM}
                    for area_id, zh, en, d in zip(
                        batch["id"].tolist(), batch["name_zh"].tolist(), batch["name_en"].tolist(),
                        derived[start:start + SEED_BATCH], strict=True)])
            have.update(names["id"].tolist())
            audit.record(session, audit.SYSTEM, "quota.seed", target, None,
                         {"rows": len(areas), "derived": int(derived.sum())},
                         rule if derived.any() else "no plan figure")
            added += len(areas)
    return added


def _seeded(session: Session, target: str) -> bool:
    return session.scalar(select(AuditEntry.id).where(AuditEntry.action == "quota.seed",
                                                      AuditEntry.target == target).limit(1)) is not None


def _target(area_id: str, year: int) -> str:
    return f"{area_id}@{year}"


def _quota_snapshot(q: Quota) -> dict:
    return {"quota_m2": q.quota_m2, "basis": q.basis}


def _committed(session: Session, area_id: str, year: int) -> dict[str, float]:
    rows = session.execute(
        select(Allocation.status, func.coalesce(func.sum(Allocation.area_m2), 0.0))
        .where(Allocation.area_id == area_id, Allocation.year == year,
               Allocation.status.in_(ACTIVE))
        .group_by(Allocation.status)).all()
    sums = dict.fromkeys(ACTIVE, 0.0) | {status: float(m2) for status, m2 in rows}
    return sums


def _lock_quota(session: Session, area_id: str, year: int) -> Quota | None:
    return session.execute(select(Quota).where(Quota.area_id == area_id, Quota.year == year)
                           .with_for_update()).scalar_one_or_none()


def _require_reason(reason) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise UserError("请填写理由（将记入审计记录）。",
                            "Give a reason (it goes into the audit trail).", code="reason_required")
    return reason


def years(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(Quota.year))) | {SEED_YEAR})


def count(session: Session, year: int) -> int:
    """How many areas the ledger holds for ``year``."""
    return session.scalar(select(func.count()).select_from(Quota).where(Quota.year == year))


def rows(session: Session, year: int, area_ids=None, *, limit: int | None = None,
         offset: int = 0) -> list[dict]:
    """The ledger for ``year``: one dict per area (of ``area_ids``, when given; else ``limit``
    of them from ``offset``, parks first, then by id) with quota, reserved, approved, remaining
    (m²)."""
    query = (select(Allocation.area_id, Allocation.status, func.sum(Allocation.area_m2))
             .where(Allocation.year == year, Allocation.status.in_(ACTIVE))
             .group_by(Allocation.area_id, Allocation.status))
    quotas = select(Quota).where(Quota.year == year).order_by(Quota.kind, Quota.area_id)
    if limit is not None:
        area_ids = session.scalars(quotas.with_only_columns(Quota.area_id).limit(limit).offset(offset)).all()
    if area_ids is not None:
        area_ids = [str(a) for a in area_ids]
        query = query.where(Allocation.area_id.in_(area_ids))
        quotas = quotas.where(Quota.area_id.in_(area_ids))
    sums = session.execute(query).all()
    committed: dict[str, dict] = {}
    for area_id, status, m2 in sums:
        committed.setdefault(area_id, {})[status] = float(m2)
    out = []
    for q in session.scalars(quotas):
        c = committed.get(q.area_id, {})
        reserved, approved = c.get(RESERVED, 0.0), c.get(APPROVED, 0.0)
        out.append({"area_id": q.area_id, "year": q.year, "kind": q.kind, "name_zh": q.name_zh,
                    "name_en": q.name_en, "quota_m2": q.quota_m2, "basis": q.basis, "rule": q.rule,
                    "reserved_m2": reserved, "approved_m2": approved,
                    "remaining_m2": None if q.quota_m2 is None else q.quota_m2 - reserved - approved,
                    "updated_at": q.updated_at, "updated_by": q.updated_by})
    return out


def state(session: Session, year: int, area_ids=None) -> LedgerState:
    """What :func:`parks.checks.check_parcels` needs: quotas for ``year`` (of ``area_ids``,
    when given: the areas a check meets) and every active allocation (of any year: allocated
    land stays allocated)."""
    table = pd.DataFrame(rows(session, year, area_ids))
    if table.empty:
        quotas = LedgerState.empty(year).quotas
    else:
        table["committed_m2"] = table["reserved_m2"] + table["approved_m2"]
        quotas = table.set_index("area_id")[["quota_m2", "basis", "committed_m2"]]
        quotas["quota_m2"] = quotas["quota_m2"].astype(float)
    return LedgerState(year, quotas, active_allocations(session))


def active_allocations(session: Session) -> gpd.GeoDataFrame:
    """Every reserved or approved parcel: ``alloc_id``, ``area_id``, ``status``, ``label``."""
    active = session.execute(select(Allocation.id, Allocation.area_id, Allocation.status,
                                    Allocation.label, Allocation.wkt)
                             .where(Allocation.status.in_(ACTIVE))).all()
    return gpd.GeoDataFrame(
        {"alloc_id": [a.id for a in active], "area_id": [a.area_id for a in active],
         "status": [a.status for a in active], "label": [a.label for a in active]},
        geometry=shapely.from_wkt([a.wkt for a in active]) if active else [], crs=CGCS2000)


def allocations(session: Session, *, area_id: str | None = None, year: int | None = None,
                check_id: int | None = None, include_released: bool = True) -> list[Allocation]:
    query = select(Allocation).order_by(Allocation.id.desc())
    if check_id is not None:
        query = query.where(Allocation.check_id == check_id)
    if area_id:
        query = query.where(Allocation.area_id == area_id)
    if year:
        query = query.where(Allocation.year == year)
    if not include_released:
        query = query.where(Allocation.status.in_(ACTIVE))
    return list(session.scalars(query))


def set_quota(db: Database, area_id: str, year: int, quota_m2: float, *, actor: str,
              reason: str) -> Quota:
    """Enter an official quota (basis ``user``). Refused below what is already reserved and
    approved, or for an area the ledger does not know."""
    reason = _require_reason(reason)
    if not quota_m2 >= 0:
        raise UserError("指标须为不小于 0 的数值。", "The quota must be a number of 0 or more.",
                            code="bad_quota")
    with db.write() as session:
        q = _lock_quota(session, area_id, year)
        if q is None:
            known = session.scalars(select(Quota).where(Quota.area_id == area_id).limit(1)).first()
            if known is None:
                raise NotFound(f"台账中没有“{area_id}”。", f"The ledger has no area '{area_id}'.",
                               code="unknown_area")
            q = Quota(area_id=area_id, year=year, kind=known.kind, name_zh=known.name_zh,
                      name_en=known.name_en, quota_m2=None, basis=pv.NONE, rule="")
            session.add(q)
        committed = sum(_committed(session, area_id, year).values())
        if quota_m2 < committed - 1e-6:
            raise LedgerError(
                f"指标不能低于已预留和已批准的 {committed / 1e4:,.4f} 公顷。请先释放地块。",
                f"The quota cannot be below the {committed / 1e4:,.4f} ha already reserved and "
                "approved: release parcels first.", code="quota_below_committed")
        before = _quota_snapshot(q) if q.id else None
        q.quota_m2, q.basis, q.rule = float(quota_m2), pv.USER, ""
        q.updated_at, q.updated_by = utcnow(), actor
        session.flush()
        audit.record(session, actor, "quota.edit", _target(area_id, year), before,
                     _quota_snapshot(q), reason)
    return q


def reserve(db: Database, parcel: dict, *, year: int, check_id: int | None, actor: str,
            reason: str) -> Allocation:
    """Reserve a checked parcel (a row of a stored check, see
    :meth:`parks.check_records.StoredCheck.parcel`) against its area's quota for ``year``.
    Quota and overlaps are checked again under the lock, against the ledger as it is now."""
    reason = _require_reason(reason)
    _refuse_unreservable(parcel)
    with db.write() as session:
        q = _lock_quota(session, parcel["area_id"], year)
        if q is None or q.quota_m2 is None:
            raise LedgerError(f"{parcel['area_name_zh']}尚无用地指标，请先录入指标。",
                              f"{parcel['area_name_en']} has no quota yet: enter one first.",
                              code="no_quota")
        if check_id is not None and session.scalar(select(Allocation.id).where(
                Allocation.check_id == check_id, Allocation.parcel_no == parcel["no"],
                Allocation.status.in_(ACTIVE))):
            raise LedgerError("该地块已预留或批准。", "This parcel is already reserved or approved.",
                              code="already_reserved")
        geom = parcel["geometry"]
        _refuse_overlap(session, geom)
        remaining = q.quota_m2 - sum(_committed(session, q.area_id, year).values())
        if parcel["area_m2"] > remaining + 1e-6:
            raise LedgerError(
                f"剩余指标 {remaining / 1e4:,.4f} 公顷，不足以预留 {parcel['area_m2'] / 1e4:,.4f} 公顷。",
                f"Only {remaining / 1e4:,.4f} ha of quota remain, not enough for "
                f"{parcel['area_m2'] / 1e4:,.4f} ha.", code="quota_exceeded")
        minx, miny, maxx, maxy = geom.bounds
        alloc = Allocation(area_id=q.area_id, year=year, status=RESERVED, label=parcel["label"],
                           area_m2=parcel["area_m2"], gk_area_m2=parcel["gk_area_m2"],
                           gk_epsg=int(parcel["gk_epsg"]),
                           wkt=shapely.to_wkt(geom, rounding_precision=-1),
                           minx=minx, miny=miny, maxx=maxx, maxy=maxy, check_id=check_id,
                           parcel_no=parcel["no"], created_by=actor, updated_by=actor)
        session.add(alloc)
        session.flush()
        audit.record(session, actor, "parcel.reserve", f"allocation:{alloc.id}",
                     {"remaining_m2": remaining},
                     {"remaining_m2": remaining - alloc.area_m2, "area_id": q.area_id, "year": year,
                      "area_m2": alloc.area_m2, "check_id": check_id, "parcel_no": parcel["no"],
                      "label": alloc.label}, reason)
    return alloc


def _refuse_unreservable(row: dict) -> None:
    if row["area_id"] is None:
        raise LedgerError("该地块不在任何园区或高新区内，不能预留。",
                          "This parcel is in no park or zone and cannot be reserved.",
                          code="not_reservable")
    # Overlaps are checked again below against the ledger as it is now.
    blocking = SPATIAL_FAIL_BITS & ~FLAGS["overlap"][0]
    if int(row["flags"]) & blocking:
        raise LedgerError("核查结论为“不符合”（范围或重叠问题），不能预留。请修改地块后重新核查。",
                          "The check found the parcel not compliant (extent or overlap): correct "
                          "it and check it again before reserving.", code="not_reservable")


def _refuse_overlap(session: Session, geom) -> None:
    minx, miny, maxx, maxy = geom.bounds
    near = session.execute(select(Allocation.id, Allocation.wkt).where(
        Allocation.status.in_(ACTIVE), Allocation.maxx >= minx, Allocation.minx <= maxx,
        Allocation.maxy >= miny, Allocation.miny <= maxy)).all()
    if not near:
        return
    others = shapely.from_wkt([w for _, w in near])
    overlap = ellipsoidal_area_m2(shapely.intersection(geom, others))
    hits = [str(i) for (i, _), m2 in zip(near, overlap, strict=True) if m2 > TOLERANCE_M2]
    if hits:
        raise LedgerError(f"与已预留/批准的地块（台账编号 {', '.join(hits)}）重叠，不能预留。",
                          f"Overlaps parcels already reserved/approved (ledger ids {', '.join(hits)}).",
                          code="overlap")


def _change_status(db: Database, alloc_id: int, new: str, allowed: tuple[str, ...], *, actor: str,
                   reason: str) -> Allocation:
    reason = _require_reason(reason)
    with db.write() as session:
        alloc = session.get(Allocation, alloc_id) if valid_id(alloc_id) else None
        if alloc is None:
            raise NotFound(f"台账中没有编号为 {alloc_id} 的地块。", f"The ledger has no parcel {alloc_id}.",
                           code="unknown_allocation")
        _lock_quota(session, alloc.area_id, alloc.year)
        session.refresh(alloc)
        if alloc.status not in allowed:
            raise LedgerError(f"该地块当前状态为 {alloc.status}，不能改为 {new}。",
                              f"The parcel is {alloc.status}; it cannot become {new}.",
                              code="bad_status")
        before = {"status": alloc.status}
        alloc.status, alloc.updated_at, alloc.updated_by = new, utcnow(), actor
        audit.record(session, actor, f"parcel.{'release' if new == RELEASED else 'approve'}",
                     f"allocation:{alloc.id}", before,
                     {"status": new, "area_id": alloc.area_id, "year": alloc.year,
                      "area_m2": alloc.area_m2}, reason)
    return alloc


def approve(db: Database, alloc_id: int, *, actor: str, reason: str) -> Allocation:
    """A reserved parcel becomes approved (it keeps counting against the quota)."""
    return _change_status(db, alloc_id, APPROVED, (RESERVED,), actor=actor, reason=reason)


def release(db: Database, alloc_id: int, *, actor: str, reason: str) -> Allocation:
    """A reserved or approved parcel is released: its area returns to the remaining quota."""
    return _change_status(db, alloc_id, RELEASED, ACTIVE, actor=actor, reason=reason)
