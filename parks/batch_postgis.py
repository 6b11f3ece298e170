"""The PostGIS engine of a batch check (``flask check-parcels --engine postgis``): the join of
parcels with parks and zones, and their ellipsoidal areas, computed in the database.

The parks and zones go into a schema of the run's own (GiST-indexed, analysed); each partition
of the file is copied in (``COPY``), placed by :data:`PLACEMENT` — ``ST_Intersects`` through
the index, areas on the ellipsoid with ``geography`` — and read back in order. The rest (the
Gauss–Krüger area, the verdict, the columns) is the same Python as the dask engine's
(:func:`parks.checks.judge`, :func:`parks.batch.check_columns`), so both write the same file.
The schema is dropped at the end; the database never holds more than a partition of parcels.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import shapely

from geo.area import gk_area_m2
from parks.batch import Reference, check_columns, prepare, result_table
from parks.checks import KIND_RANK, TOLERANCE_M2, Placement

#: each parcel's ellipsoidal m², and among the areas it overlaps by more than the tolerance the
#: most specific ones (park before zone): how many (2+: it straddles), the first and its m² inside
PLACEMENT = """
WITH hit AS MATERIALIZED (
  SELECT p.id, a.idx, a.rank,
         CASE WHEN ST_Covers(a.geom, p.geom) THEN ST_Area(p.geom::geography)
              ELSE ST_Area(ST_Intersection(p.geom, a.geom)::geography) END AS inside_m2
  FROM {schema}.parcels p JOIN {schema}.areas a ON ST_Intersects(p.geom, a.geom)),
kept AS (SELECT *, min(rank) OVER (PARTITION BY id) AS best FROM hit WHERE inside_m2 > {tolerance}),
top AS (SELECT id, count(*) AS n, min(idx) AS idx, max(inside_m2) AS inside_m2
        FROM kept WHERE rank = best GROUP BY id)
SELECT ST_Area(p.geom::geography), coalesce(top.n, 0), coalesce(top.idx, -1), coalesce(top.inside_m2, 0)
FROM {schema}.parcels p LEFT JOIN top USING (id) ORDER BY p.id"""


def psycopg_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://``) as psycopg takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def ewkb_hex(geoms) -> np.ndarray:
    return shapely.to_wkb(shapely.set_srid(np.asarray(geoms, dtype=object), 4490), hex=True,
                          include_srid=True)


def in_schema(schema: str, statement: str, **values):
    """``statement`` with ``{schema}`` as the quoted identifier and ``values`` as literals
    (identifiers and values are never pasted into SQL text)."""
    from psycopg import sql

    return sql.SQL(statement).format(schema=sql.Identifier(schema),
                                     **{k: sql.Literal(v) for k, v in values.items()})


def copy_rows(conn, schema: str, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """``rows`` into ``schema.table (columns)`` with ``COPY``."""
    from psycopg import sql

    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load_areas(conn, schema: str, areas) -> None:
    """The parks and zones as ``schema.areas`` (``idx`` their row in ``areas``, ``rank`` park
    before zone), GiST-indexed and analysed."""
    conn.execute(in_schema(schema, "CREATE TABLE {schema}.areas (idx int PRIMARY KEY, area_id text, "
                                   "rank int, geom geometry(Geometry, 4490))"))
    copy_rows(conn, schema, "areas", ("idx", "area_id", "rank", "geom"),
              zip(range(len(areas)), areas["area_id"], areas["kind"].map(KIND_RANK),
                  ewkb_hex(areas.geometry.values), strict=True))
    conn.execute(in_schema(schema, "CREATE INDEX ON {schema}.areas USING gist (geom)"))
    conn.execute(in_schema(schema, "ANALYZE {schema}.areas"))


def create_parcels(conn, schema: str) -> None:
    conn.execute(in_schema(schema, "CREATE UNLOGGED TABLE {schema}.parcels (id int PRIMARY KEY, "
                                   "geom geometry(Geometry, 4490))"))
    conn.execute(in_schema(schema, "CREATE INDEX ON {schema}.parcels USING gist (geom)"))


def place(conn, schema: str, geoms: np.ndarray) -> Placement:
    """Copy one partition's parcels in (replacing the last) and place them in the database."""
    conn.execute(in_schema(schema, "TRUNCATE {schema}.parcels"))
    copy_rows(conn, schema, "parcels", ("id", "geom"), zip(range(len(geoms)), ewkb_hex(geoms), strict=True))
    placement = in_schema(schema, PLACEMENT, tolerance=TOLERANCE_M2)
    found = np.array(conn.execute(placement).fetchall(), dtype=float).reshape(-1, 4)
    area_m2, hits, idx, inside_m2 = found.T
    single = hits == 1
    gk_m2, gk_codes = gk_area_m2(geoms)
    return Placement(area_m2, gk_m2, gk_codes, np.where(single, idx, -1).astype(int),
                     np.where(single, inside_m2, 0.0), hits > 1)


def in_postgis(url: str):
    """The PostGIS engine over the database at ``url``; yields ``(table, notes, rows read)`` in
    file order, as :class:`parks.batch.OnCluster` does."""
    import psycopg

    def run(batches: Iterator[pa.RecordBatch], info, reference: Reference):
        schema = f"check_parcels_{secrets.token_hex(4)}"
        with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
            conn.execute(in_schema(schema, "CREATE SCHEMA {schema}"))
            try:
                load_areas(conn, schema, reference.areas)
                create_parcels(conn, schema)
                first_row = 0
                for batch in batches:
                    part = prepare(batch, first_row, info)
                    placement = place(conn, schema, part.geoms)
                    checked = check_columns(part, placement, reference)
                    yield result_table(batch, first_row, checked, info), part.notes, len(batch)
                    first_row += len(batch)
            finally:
                conn.execute(in_schema(schema, "DROP SCHEMA {schema} CASCADE"))

    return run
