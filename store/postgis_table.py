"""A PostGIS table written batch by batch in one transaction, and read by area.

The PostgreSQL counterpart of :mod:`store.geoparquet`: rows are copied in with ``COPY`` into a
new table (geometry ``MultiPolygon``/``Polygon`` in EPSG:4490 as EWKB), a GiST index is built,
and the table replaces the one of the same name — all in one transaction, so a failed import
leaves the old table as it was and a reader never sees half a table.
"""

from __future__ import annotations

import secrets

import geopandas as gpd
import numpy as np
import pyarrow as pa
import shapely
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from geo.crs import CGCS2000

SQL_TYPES = {"string": "text", "large_string": "text", "double": "double precision",
             "float": "double precision", "int64": "bigint", "int32": "integer", "int16": "integer",
             "bool": "boolean", "date32[day]": "date"}


def _sql_type(field: pa.Field) -> str:
    return SQL_TYPES.get(str(field.type), "text")


class PostGISTableWriter:
    """Write batches of (attribute table, CGCS2000 geometries) into ``table`` (replacing it)."""

    def __init__(self, url: str, table: str):
        self.table = table
        self.tmp = f"{table}_new_{secrets.token_hex(3)}"
        self.rows = 0
        self._engine = create_engine(url, poolclass=NullPool)
        self._raw = None
        self._columns: list[str] | None = None

    def __enter__(self) -> PostGISTableWriter:
        self._raw = self._engine.raw_connection()
        return self

    def write(self, attributes: pa.Table, geoms: np.ndarray) -> None:
        if not len(geoms):
            return
        cur = self._raw.cursor()
        if self._columns is None:
            self._columns = attributes.column_names
            columns = sql.SQL("").join(
                sql.SQL("{} {}, ").format(sql.Identifier(f.name), sql.SQL(_sql_type(f)))
                for f in attributes.schema)
            cur.execute(sql.SQL("CREATE TABLE {} (fid bigserial PRIMARY KEY, "
                                "{}geom geometry(Geometry, 4490))").format(sql.Identifier(self.tmp), columns))
        names = sql.SQL("").join(sql.SQL("{}, ").format(sql.Identifier(c)) for c in self._columns)
        wkb = shapely.to_wkb(geoms, hex=True)
        rows = attributes.select(self._columns).to_pylist()
        with cur.copy(sql.SQL("COPY {} ({}geom) FROM STDIN").format(sql.Identifier(self.tmp), names)) as copy:
            for row, geom in zip(rows, wkb, strict=True):
                copy.write_row([*row.values(), f"SRID=4490;{geom}"])
        self.rows += len(geoms)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and self._columns is None:
                raise ValueError("no rows were written")
            if exc_type is not None:
                self._raw.rollback()
                return
            cur = self._raw.cursor()
            target, tmp = sql.Identifier(self.table), sql.Identifier(self.tmp)
            cur.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(tmp))
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
            cur.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(tmp, target))
            cur.execute(sql.SQL("ANALYZE {}").format(target))
            self._raw.commit()
        except BaseException:
            self._raw.rollback()
            raise
        finally:
            self._raw.close()
            self._engine.dispose()


def read_postgis_table(url: str, table: str, *, mask=None, columns=None) -> gpd.GeoDataFrame:
    """The rows of ``table`` (all, or those intersecting ``mask`` — found through the GiST index),
    with ``columns`` (all when None) and the geometry, in CGCS2000."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote
            if columns is None:
                found = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE "
                                          "table_name = :t AND table_schema = ANY (current_schemas(false)) "
                                          "ORDER BY ordinal_position"), {"t": table}).scalars()
                columns = [c for c in found if c not in ("fid", "geom")]
            select = ", ".join(quoted(c) for c in columns if c != "geometry")
            query = f"SELECT {select + ', ' if select else ''}geom AS geometry FROM {quoted(table)}"
            params = {}
            if mask is not None:
                query += (" WHERE geom && ST_GeomFromWKB(:mask, 4490)"
                          " AND ST_Intersects(geom, ST_GeomFromWKB(:mask, 4490))")
                params["mask"] = shapely.to_wkb(mask)
            query += " ORDER BY fid"
            gdf = gpd.read_postgis(text(query), conn, geom_col="geometry", params=params)
    finally:
        engine.dispose()
    return gdf.set_crs(CGCS2000, allow_override=True)
