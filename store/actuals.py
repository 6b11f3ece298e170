"""Actual figures per area, year and metric (table ``actual``): reads, and the one write.

:func:`upsert` runs inside the caller's transaction (:meth:`store.db.Database.write`) and returns
what the row held before, for the audit line. Two writers of the same area, year and metric
never lose a figure: the row is inserted with ``ON CONFLICT DO NOTHING`` and then locked
(``SELECT … FOR UPDATE`` on PostgreSQL, where a second inserter waits for the first to commit;
on SQLite the write transaction holds the database's write lock from ``BEGIN IMMEDIATE``), so
the later writer replaces the earlier figure and the audit trail keeps both.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import Actual, utcnow

KEY = ("area_id", "year", "metric")


def snapshot(row: Actual) -> dict:
    """The row as plain data (the audit trail's before and after, the API's answer)."""
    return {"area": row.area_id, "year": row.year, "metric": row.metric, "value": row.value,
            "basis": row.basis, "source": row.source, "updated_by": row.updated_by,
            "updated_at": row.updated_at.isoformat(timespec="seconds") + "Z"}


def _locked(session: Session, area_id: str, year: int, metric: str) -> Actual | None:
    query = (select(Actual).where(Actual.area_id == area_id, Actual.year == year,
                                  Actual.metric == metric)
             .with_for_update().execution_options(populate_existing=True))
    return session.execute(query).scalar_one_or_none()


def upsert(session: Session, *, area_id: str, year: int, metric: str, value: float, basis: str,
           source: str, actor: str) -> tuple[Actual, dict | None]:
    """Store one figure (insert, or replace the area's figure of that year and metric).

    Returns the stored row and :func:`snapshot` of what it held before (None when new).
    """
    fields = {"value": value, "basis": basis, "source": source, "updated_by": actor,
              "updated_at": utcnow()}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = session.execute(insert(Actual).values(area_id=area_id, year=year, metric=metric, **fields)
                            .on_conflict_do_nothing(index_elements=list(KEY))
                            .returning(Actual.id)).scalar_one_or_none()
    row = _locked(session, area_id, year, metric)
    if added:
        return row, None
    before = snapshot(row)
    for name, v in fields.items():
        setattr(row, name, v)
    session.flush()
    return row, before


def records(session: Session, *, metric: str | None = None, year: int | None = None,
            area_id: str | None = None) -> list[Actual]:
    """Stored figures, by metric, year and area; each filter optional."""
    query = select(Actual).order_by(Actual.metric, Actual.year, Actual.area_id)
    if metric:
        query = query.where(Actual.metric == metric)
    if year:
        query = query.where(Actual.year == year)
    if area_id:
        query = query.where(Actual.area_id == area_id)
    return list(session.scalars(query))


def stamp(session: Session) -> tuple:
    """Changes whenever a figure is added or replaced (pages that show figures key on it)."""
    return tuple(session.execute(select(func.count(Actual.id), func.max(Actual.updated_at))).one())
