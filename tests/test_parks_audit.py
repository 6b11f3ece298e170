"""store.audit: append-only lines, filters, CSV export; the database refuses edits."""

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store import audit
from store.models import AuditEntry


@pytest.fixture
def db(ledger_db):
    return ledger_db


def test_record_and_list_newest_first(db):
    with db.write() as s:
        audit.record(s, "li", "quota.edit", "park-01@2013", {"quota_m2": 1.0}, {"quota_m2": 2.0}, "下达")
        audit.record(s, "wang", "parcel.reserve", "allocation:1", None, {"area_m2": 5.5})
        audit.record(s, "", "quota.seed", "zone-01@2013")
    with db.read() as s:
        lines = audit.entries(s)
        assert [e.action for e in lines] == ["quota.seed", "parcel.reserve", "quota.edit"]
        assert lines[0].actor == audit.SYSTEM
        first = audit.as_dict(lines[2])
        assert first["before"] == {"quota_m2": 1.0} and first["after"] == {"quota_m2": 2.0}
        assert first["reason"] == "下达" and first["at"].endswith("Z")
        assert [e.actor for e in audit.entries(s, audit.AuditFilter(actor="wang"))] == ["wang"]
        assert len(audit.entries(s, audit.AuditFilter(target="park-01@2013"))) == 1
        assert len(audit.entries(s, audit.AuditFilter(action="parcel.reserve"))) == 1
        assert len(audit.entries(s, limit=1)) == 1


def test_csv_export_round_trips(db):
    with db.write() as s:
        audit.record(s, "li", "quota.edit", "park-01@2013", {"quota_m2": None}, {"quota_m2": 9.0},
                     "理由，含逗号")
    with db.read() as s:
        body = audit.to_csv(audit.entries(s, limit=None))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == list(audit.CSV_HEADER)
    assert rows[0]["reason"] == "理由，含逗号"
    assert rows[0]["after"] == '{"quota_m2": 9.0}'


def test_orm_refuses_to_change_or_delete_lines(db):
    with db.write() as s:
        entry_id = audit.record(s, "li", "quota.edit", "x").id
    with pytest.raises(PermissionError), db.write() as s:
        s.get(AuditEntry, entry_id).reason = "rewritten"
    with pytest.raises(PermissionError), db.write() as s:
        s.delete(s.get(AuditEntry, entry_id))
    with db.read() as s:
        assert s.get(AuditEntry, entry_id).reason == ""


@pytest.mark.parametrize("statement", ["UPDATE audit SET reason = 'x'", "DELETE FROM audit"])
def test_database_refuses_to_change_or_delete_lines(db, statement):
    with db.write() as s:
        audit.record(s, "li", "quota.edit", "x")
    with pytest.raises(DBAPIError, match="append-only"), db.write() as s:
        s.execute(text(statement))
    with db.read() as s:
        assert len(audit.entries(s)) == 1
