"""The append-only audit trail: who did what, when, to what, before → after, and why.

Call :func:`record` inside the same transaction as the change it describes, so the change
and its audit line are committed together or not at all::

    with db.write() as session:            # store.db.Database
        ...change something...
        audit.record(session, actor="li.ming", action="layer.import", target="parks",
                     before={"features": 21}, after={"features": 16}, reason="正式红线")

Lines are never updated or deleted: the ORM refuses it here, and the database refuses it with
triggers (:mod:`store.models`). Action names are ``<area>.<verb>`` (``quota.edit``,
``parcel.reserve``, ``check.run``, ``user.create``, ``layer.import`` …).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.spreadsheet import safe_cell
from store.models import AuditEntry

SYSTEM = "system"


def _dump(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(session: Session, actor: str, action: str, target: str, before=None, after=None,
           reason: str = "") -> AuditEntry:
    """Append one audit line to ``session`` (flushed, committed with the caller's transaction).

    ``before`` and ``after`` are JSON-serialisable values (usually dicts) or None; ``actor``
    is a username, or ``"system"`` / ``"cli"`` for changes no signed-in person made.
    Returns the new :class:`~store.models.AuditEntry`.
    """
    entry = AuditEntry(actor=actor or SYSTEM, action=action, target=str(target),
                       before_json=_dump(before), after_json=_dump(after), reason=reason or "")
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What to list: every field optional; ``target`` matches exactly."""

    action: str | None = None
    actor: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(session: Session, flt: AuditFilter | None = None, *, limit: int | None = 500,
            offset: int = 0) -> list[AuditEntry]:
    """Audit lines, newest first, filtered by ``flt``."""
    flt = flt or AuditFilter()
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if flt.action:
        query = query.where(AuditEntry.action == flt.action)
    if flt.actor:
        query = query.where(AuditEntry.actor == flt.actor)
    if flt.target:
        query = query.where(AuditEntry.target == flt.target)
    if flt.since:
        query = query.where(AuditEntry.at >= flt.since)
    if flt.until:
        query = query.where(AuditEntry.at < flt.until)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def as_dict(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat(timespec="seconds") + "Z",
            "actor": entry.actor, "action": entry.action, "target": entry.target,
            "before": json.loads(entry.before_json) if entry.before_json else None,
            "after": json.loads(entry.after_json) if entry.after_json else None,
            "reason": entry.reason}


CSV_HEADER = ("id", "at_utc", "actor", "action", "target", "before", "after", "reason")


def to_csv(rows: Iterable[AuditEntry]) -> str:
    """The lines as CSV (UTF-8 text; before/after as JSON), for filing or a spreadsheet (text a
    spreadsheet would run as a formula is written as text, :func:`core.spreadsheet.safe_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in rows:
        writer.writerow([safe_cell(v) for v in (
            e.id, e.at.isoformat(timespec="seconds"), e.actor, e.action, e.target,
            e.before_json or "", e.after_json or "", e.reason)])
    return out.getvalue()


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("the audit trail is append-only")
