"""Looking inside an uploaded GeoPackage before GDAL reads it.

A GeoPackage is an SQLite database, and SQLite runs whatever a view says when it is read: a view
with a recursive query can keep a worker busy for as long as it likes. So the file's schema is
read first (read-only, nothing of it executed): views are refused, and so are triggers other
than the ones the GeoPackage standard and GDAL create (spatial index, feature count, metadata
checks). A layer's rows are counted before reading against the record budget.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import func, select, table
from sqlalchemy.dialects import sqlite

from geo.budget import check_records
from geo.errors import GeoInputError

SQLITE_MAGIC = b"SQLite format 3\x00"
#: triggers a GeoPackage may carry: the standard's own (gpkg_…, rtree_<t>_<g>_…) and GDAL's
#: feature counts
STANDARD_TRIGGER = re.compile(
    r"^(gpkg_\w+|rtree_\w+_(insert\d*|update\d+|delete)|trigger_(insert|delete)_feature_count_\w+)$")


def _refuse(zh: str, en: str, names: list[str]) -> GeoInputError:
    return GeoInputError(
        f"GeoPackage 中含有{zh}（{'、'.join(names[:10])}），为安全起见不予读取。请在 GIS 软件中把图层"
        "另存为不含视图和自定义触发器的 GeoPackage 后上传。",
        f"The GeoPackage holds {en} ({', '.join(names[:10])}) and, to be safe, is not read. Save "
        "the layers from your GIS as a GeoPackage without views or custom triggers and upload that.",
        code="gpkg_unsafe", details={"objects": names})


def _damaged() -> GeoInputError:
    return GeoInputError("GeoPackage 文件已损坏，无法读取。", "The GeoPackage is damaged and cannot be read.",
                         code="bad_file")


def _connect(path: Path) -> closing[sqlite3.Connection]:
    """A read-only connection that runs nothing of the file's own (closed after use)."""
    with open(path, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise _damaged()
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    con.execute("PRAGMA trusted_schema = OFF")
    return closing(con)


def inspect(path: Path) -> None:
    """Refuse (``gpkg_unsafe``) a GeoPackage with views or non-standard triggers; ``bad_file``
    when it is not an SQLite database."""
    try:
        with _connect(path) as con:
            objects = con.execute("SELECT type, name FROM sqlite_master "
                                  "WHERE type IN ('view', 'trigger')").fetchall()
    except sqlite3.DatabaseError as exc:
        raise _damaged() from exc
    views = [name for kind, name in objects if kind == "view"]
    if views:
        raise _refuse("视图（view）", "views", views)
    triggers = [name for kind, name in objects if kind == "trigger" and not STANDARD_TRIGGER.match(name)]
    if triggers:
        raise _refuse("自定义触发器", "custom triggers", triggers)


def check_layer_records(path: Path, layer: str) -> None:
    """Count the rows of table ``layer`` (a table: views were refused) against the budget."""
    with _connect(path) as con:
        (count,) = con.execute(_count_rows_sql(layer)).fetchone()
    check_records(count)


def _count_rows_sql(table_name: str) -> str:
    """``SELECT count(*)`` of a table whose name comes from the file: SQLAlchemy quotes it."""
    statement = select(func.count()).select_from(table(table_name))
    return str(statement.compile(dialect=sqlite.dialect()))
