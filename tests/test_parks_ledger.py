"""parks.ledger: seed quotas, quota edits, reserve / approve / release, and the concurrency guarantee."""

import multiprocessing
import threading

import geopandas as gpd
import pytest
from fixtures_files import rect_m
from sqlalchemy import select

from core.errors import UserError
from parks import ledger
from parks.catalog import Catalog
from parks.checks import check_parcels
from parks.footprints import circle_footprint
from parks.ledger import LedgerError
from store import audit
from store.db import Database
from store.models import Quota

LON, LAT = 113.70, 34.70


@pytest.fixture
def db(ledger_db):
    return ledger_db


@pytest.fixture
def cat(built_data):
    return Catalog(built_data)


def official_park(db, quota_ha: float | None = 10.0, area_id: str = "P") -> gpd.GeoDataFrame:
    """One park with an official (user) boundary at LON/LAT, in the ledger with ``quota_ha``."""
    with db.write() as s:
        s.add(Quota(area_id=area_id, year=2013, kind="park", name_zh="试验园区", name_en="Test park",
                    quota_m2=None if quota_ha is None else quota_ha * 10_000,
                    basis="user" if quota_ha is not None else "none", rule=""))
    return gpd.GeoDataFrame({"area_id": [area_id], "kind": ["park"], "name_zh": ["试验园区"],
                             "name_en": ["Test park"], "geom_basis": ["user"]},
                            geometry=[circle_footprint(LON, LAT, 4.0)], crs=4490)


def checked(db, areas, *geoms) -> list[dict]:
    """Check parcels against the ledger as it is; one dict per parcel, ready for reserve()."""
    parcels = gpd.GeoDataFrame({"name": [f"DK{i + 1}" for i in range(len(geoms))]},
                               geometry=list(geoms), crs=4490)
    with db.read() as s:
        state = ledger.state(s, 2013)
    rows = check_parcels(parcels, areas, state).rows
    return [rows.iloc[i].to_dict() for i in range(len(rows))]


def hectare(i: int):
    """The i-th of a row of 100 m × 100 m parcels (≈1 ha), 20 m apart."""
    return rect_m(LON, LAT, 100, 100, dx_m=-900 + i * 120)


def reserve(db, parcel, **kw):
    return ledger.reserve(db, parcel, year=2013, check_id=None, actor=kw.get("actor", "clerk"),
                          reason=kw.get("reason", "园区申请"))


def test_seed_quotas_are_derived_from_the_plan_and_idempotent(db, cat):
    parks, zones = cat.layer("parks"), cat.layer("zones")
    added = ledger.seed(db, cat)
    assert added == len(parks) + len(zones)
    assert ledger.seed(db, cat) == 0
    with db.read() as s:
        rows = {r["area_id"]: r for r in ledger.rows(s, 2013)}
        seeded = audit.entries(s, audit.AuditFilter(action="quota.seed"), limit=None)
    slots = [r for r in rows.values() if r["kind"] == "park" and not r["area_id"].startswith("park-b2")]
    assert len(slots) == 16
    for r in slots:
        assert r["basis"] == "derived"
        assert r["quota_m2"] == pytest.approx((65 - 50) / 16 * 1e6)  # 93.75 公顷
        assert "§三(五)2" in r["rule"]
    assert r["quota_m2"] / (10_000 / 15) == pytest.approx(1406.25)  # 亩
    for r in rows.values():
        if r["kind"] == "zone" or r["area_id"].startswith("park-b2"):
            assert r["quota_m2"] is None and r["basis"] == "none"
    # one audit line per layer version seeded, naming it and the rows it added
    assert sorted(e.target for e in seeded) == sorted(
        f"{layer}:{cat.layer_version(layer)}@2013" for layer in ("parks", "zones"))
    assert sum(audit.as_dict(e)["after"]["rows"] for e in seeded) == added


def test_reseeding_keeps_staff_figures(db, cat):
    ledger.seed(db, cat)
    ledger.set_quota(db, "park-01", 2013, 500_000, actor="clerk", reason="省厅下达")
    ledger.seed(db, cat)
    with db.read() as s:
        row = next(r for r in ledger.rows(s, 2013) if r["area_id"] == "park-01")
    assert (row["quota_m2"], row["basis"], row["updated_by"]) == (500_000, "user", "clerk")


def test_set_quota_needs_a_reason_and_is_audited(db, cat):
    ledger.seed(db, cat)
    with pytest.raises(UserError) as err:
        ledger.set_quota(db, "zone-01", 2013, 1_000_000, actor="clerk", reason=" ")
    assert err.value.code == "reason_required"
    ledger.set_quota(db, "zone-01", 2013, 1_000_000, actor="clerk", reason="2013年计划下达")
    with db.read() as s:
        entry = audit.entries(s, audit.AuditFilter(action="quota.edit"))[0]
    assert audit.as_dict(entry)["before"] == {"quota_m2": None, "basis": "none"}
    assert audit.as_dict(entry)["after"] == {"quota_m2": 1_000_000, "basis": "user"}
    assert (entry.actor, entry.target, entry.reason) == ("clerk", "zone-01@2013", "2013年计划下达")
    with pytest.raises(UserError) as err:
        ledger.set_quota(db, "nowhere", 2013, 1.0, actor="clerk", reason="x")
    assert err.value.code == "unknown_area"


def test_quota_for_a_new_year_copies_the_area(db, cat):
    ledger.seed(db, cat)
    ledger.set_quota(db, "park-02", 2014, 200_000, actor="clerk", reason="2014年指标")
    with db.read() as s:
        assert ledger.years(s) == [2013, 2014]
        row = next(r for r in ledger.rows(s, 2014) if r["area_id"] == "park-02")
    assert row["name_zh"].startswith("新乡") and row["quota_m2"] == 200_000


def test_reserve_approve_release_cycle(db):
    areas = official_park(db, 10)
    parcel = checked(db, areas, hectare(0))[0]
    alloc = reserve(db, parcel)
    with db.read() as s:
        row = ledger.rows(s, 2013)[0]
    assert row["reserved_m2"] == pytest.approx(parcel["area_m2"])
    assert row["remaining_m2"] == pytest.approx(100_000 - parcel["area_m2"])

    ledger.approve(db, alloc.id, actor="chief", reason="批复")
    with db.read() as s:
        row = ledger.rows(s, 2013)[0]
    assert row["reserved_m2"] == 0 and row["approved_m2"] == pytest.approx(parcel["area_m2"])
    with pytest.raises(LedgerError) as err:
        ledger.approve(db, alloc.id, actor="chief", reason="again")
    assert err.value.code == "bad_status" and err.value.status == 409

    ledger.release(db, alloc.id, actor="chief", reason="项目取消")
    with db.read() as s:
        row = ledger.rows(s, 2013)[0]
        actions = [e.action for e in audit.entries(s)]
    assert row["remaining_m2"] == pytest.approx(100_000)
    assert actions[:3] == ["parcel.release", "parcel.approve", "parcel.reserve"]
    with pytest.raises(LedgerError):
        ledger.release(db, alloc.id, actor="chief", reason="twice")


def test_reserve_refuses_what_the_quota_cannot_cover(db):
    areas = official_park(db, 1.5)
    first, second = checked(db, areas, hectare(0), hectare(1))
    reserve(db, first)
    with pytest.raises(LedgerError) as err:
        reserve(db, second)
    assert err.value.code == "quota_exceeded"
    assert "公顷" in err.value.zh and "ha" in err.value.en


def test_reserve_refuses_overlap_with_the_ledger(db):
    areas = official_park(db, 50)
    first = checked(db, areas, hectare(0))[0]
    reserve(db, first)
    # Checked before the first was reserved, so its own verdict does not know of the overlap.
    overlapping = checked(db, areas, rect_m(LON, LAT, 100, 100, dx_m=-850))[0]
    assert overlapping["overlap_m2"] > 0  # the check now sees it …
    overlapping["flags"] = 0  # … and reserve() checks again, even if the check had not
    with pytest.raises(LedgerError) as err:
        reserve(db, overlapping)
    assert err.value.code == "overlap"


def test_reserve_refuses_areas_without_quota_and_failed_parcels(db):
    areas = official_park(db, None)
    with pytest.raises(LedgerError) as err:
        reserve(db, checked(db, areas, hectare(0))[0])
    assert err.value.code == "no_quota"
    outside = checked(db, areas, rect_m(LON, LAT, 2_000, 100))[0]
    with pytest.raises(LedgerError) as err:
        reserve(db, outside)
    assert err.value.code == "not_reservable"
    with pytest.raises(UserError) as err:
        ledger.reserve(db, checked(db, areas, hectare(3))[0], year=2013, check_id=None, actor="c", reason="")
    assert err.value.code == "reason_required"


def test_quota_cannot_drop_below_what_is_committed(db):
    areas = official_park(db, 10)
    reserve(db, checked(db, areas, hectare(0))[0])
    with pytest.raises(LedgerError) as err:
        ledger.set_quota(db, "P", 2013, 5_000, actor="clerk", reason="调减")
    assert err.value.code == "quota_below_committed"


def test_state_feeds_checks_with_allocations_and_commitments(db):
    areas = official_park(db, 10)
    parcel = checked(db, areas, hectare(0))[0]
    reserve(db, parcel)
    again = checked(db, areas, hectare(0), hectare(2))
    assert again[0]["verdict"] == "fail" and again[0]["overlap_ids"] == [1]
    assert again[1]["before_m2"] == pytest.approx(100_000 - parcel["area_m2"])


def _race(db, parcels, workers):
    barrier = threading.Barrier(workers)
    outcomes = []

    def clerk(i):
        barrier.wait()
        try:
            reserve(db, parcels[i], actor=f"clerk{i}")
            outcomes.append("ok")
        except LedgerError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # e.g. "database is locked": must not happen
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_clerks_at_once_cannot_push_a_park_past_its_quota(db):
    areas = official_park(db, 1.5)  # room for one 1-ha parcel, not two
    parcels = checked(db, areas, hectare(0), hectare(1))
    assert sorted(_race(db, parcels, 2)) == ["ok", "quota_exceeded"]


def test_many_concurrent_reservations_stop_exactly_at_the_quota(db):
    areas = official_park(db, 10.5)
    parcels = checked(db, areas, *[hectare(i) for i in range(14)])
    outcomes = _race(db, parcels, 14)
    assert outcomes.count("ok") == 10, outcomes
    assert outcomes.count("quota_exceeded") == 4, outcomes
    with db.read() as s:
        row = ledger.rows(s, 2013)[0]
        reserves = audit.entries(s, audit.AuditFilter(action="parcel.reserve"))
    assert row["reserved_m2"] <= row["quota_m2"]
    assert row["remaining_m2"] >= 0
    assert len(reserves) == 10


def _process_clerk(url, parcel, barrier, queue):
    db = Database(url)
    barrier.wait()
    try:
        ledger.reserve(db, parcel, year=2013, check_id=None, actor="proc", reason="并发")
        queue.put("ok")
    except LedgerError as exc:
        queue.put(exc.code)
    except Exception as exc:
        queue.put(repr(exc))


def test_concurrent_reservations_from_separate_processes(db):
    areas = official_park(db, 2.5)
    parcels = checked(db, areas, *[hectare(i) for i in range(4)])
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_process_clerk, args=(str(db.url), p, barrier, queue)) for p in parcels]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    outcomes = sorted(queue.get(timeout=5) for _ in procs)
    assert outcomes == ["ok", "ok", "quota_exceeded", "quota_exceeded"]
    with db.read() as s:
        assert ledger.rows(s, 2013)[0]["remaining_m2"] >= 0
        assert len(s.scalars(select(Quota)).all()) == 1
