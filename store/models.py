"""Tables of the quota ledger, parcel checks, actual figures, audit trail and user accounts.

Areas are in m² throughout (ellipsoidal, CGCS2000/GRS80); pages convert to 公顷 and 亩.
Geometries are stored as WKT in CGCS2000 (EPSG:4490) with their bounding box, so the same
tables work on SQLite and on PostgreSQL without PostGIS.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DDL, Float, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every table."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Quota(Base):
    """One area's land-use quota (用地指标) for one year. No row, or ``quota_m2`` None: no quota."""

    __tablename__ = "quota"
    __table_args__ = (UniqueConstraint("area_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "park" | "zone"
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    quota_m2: Mapped[float | None] = mapped_column(Float, nullable=True)
    basis: Mapped[str] = mapped_column(String(16))  # derived | user | none
    rule: Mapped[str] = mapped_column(Text, default="")  # how a derived figure was computed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="system")


#: allocation states; reserved and approved both count against the quota
RESERVED, APPROVED, RELEASED = "reserved", "approved", "released"
ACTIVE = (RESERVED, APPROVED)


class Allocation(Base):
    """A parcel reserved, approved or released against an area's quota."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(200))
    area_m2: Mapped[float] = mapped_column(Float)
    gk_area_m2: Mapped[float] = mapped_column(Float)
    gk_epsg: Mapped[int] = mapped_column(Integer)
    wkt: Mapped[str] = mapped_column(Text)
    minx: Mapped[float] = mapped_column(Float)
    miny: Mapped[float] = mapped_column(Float)
    maxx: Mapped[float] = mapped_column(Float)
    maxy: Mapped[float] = mapped_column(Float)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("parcel_check.id"), nullable=True)
    parcel_no: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))


class ParcelCheck(Base):
    """A stored parcel check: the uploaded parcels and the verdict, as JSON."""

    __tablename__ = "parcel_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(16))
    parcels: Mapped[int] = mapped_column(Integer)
    result_json: Mapped[str] = mapped_column(Text)


class Actual(Base):
    """One area's recorded figure of one metric for one year (see :mod:`parks.actuals`): one row
    per area, year and metric; a new figure replaces the row, the audit trail keeps the old one."""

    __tablename__ = "actual"
    __table_args__ = (UniqueConstraint("area_id", "year", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    year: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(String(16))  # sourced (measured once survey layers give it)
    source: Mapped[str] = mapped_column(Text)  # a document, a statistics yearbook, a survey year
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))


class AuditEntry(Base):
    """One line of the append-only audit trail (see :mod:`store.audit`)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(255))
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    """A sign-in account; ``role`` is one of :data:`store.accounts.ROLES`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    token_hash: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: sign-in sessions carry it; raising it (sign-out, new password, disable) ends them all.
    #: Added after the first release: :meth:`store.db.Database.create_all` adds it to older
    #: databases (its server default fills existing rows).
    session_gen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# The database itself refuses to change or delete audit lines, whoever connects.
_SQLITE_APPEND_ONLY = [
    DDL(f"CREATE TRIGGER IF NOT EXISTS audit_no_{op.lower()} BEFORE {op} ON audit "
        "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END")
    for op in ("UPDATE", "DELETE")
]
_PG_APPEND_ONLY = [
    DDL("CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit trail is append-only'; END $$ LANGUAGE plpgsql"),
    DDL("CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"),
]
for _ddl in _SQLITE_APPEND_ONLY:
    event.listen(AuditEntry.__table__, "after_create", _ddl.execute_if(dialect="sqlite"))
for _ddl in _PG_APPEND_ONLY:
    event.listen(AuditEntry.__table__, "after_create", _ddl.execute_if(dialect="postgresql"))
