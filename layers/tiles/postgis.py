"""The shared engine: layers in PostGIS tables, tiles from ``ST_AsMVT``.

Each layer version is loaded once into a table of its own (Web Mercator geometry and anchor
point, GiST indexes on both) plus a table of its counted clusters per zoom, computed by the same
rule as the embedded engine (:mod:`layers.tiles.rule`), with the same fields
(:mod:`layers.tiles.frame`) and the same data max zoom, so both engines put the same features
and the same counts into a tile. ``tile_layers`` records every loaded version and which one is
*current*: every app server sharing the database serves that one, so a layer imported through
one server is served by all of them without a restart.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict

import geopandas as gpd
import shapely
from psycopg import sql
from sqlalchemy import create_engine, text

from layers.tiles import rule
from layers.tiles.frame import field_types, tile_frame, tileset_metadata
from layers.tiles.mbtiles import Progress
from layers.tiles.versions import is_newer

EXTENT, BUFFER = 4096, 64
REGISTRY = """CREATE TABLE IF NOT EXISTS tile_layers (
    layer TEXT NOT NULL, version TEXT NOT NULL, table_name TEXT NOT NULL, meta TEXT NOT NULL,
    is_current BOOLEAN NOT NULL DEFAULT FALSE, created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, version))"""
#: column types by the frame's dtype kind: integers stay integers in the tiles, as GDAL writes them
SQL_TYPES = {"i": "bigint", "u": "bigint", "f": "double precision", "b": "boolean"}
#: one tile of a layer table or of its clusters table (``where`` narrows clusters to the zoom)
TILE_SQL = ("SELECT ST_AsMVT(m, %(name)s, %(extent)s, 'geom') FROM ("
            "SELECT ST_AsMVTGeom(t.geom, b.env, %(extent)s, %(buffer)s, true) AS geom{columns} "
            "FROM {source} t, (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env) b "
            "WHERE {where}t.geom && ST_Expand(b.env, %(margin)s)) m WHERE m.geom IS NOT NULL")
#: warm tiles kept in memory per process (each a few KB)
CACHE_TILES = 4096


def table_name(layer: str, version: str) -> str:
    return f"tl_{layer}_{hashlib.sha256(version.encode()).hexdigest()[:12]}"


class PostGISEngine:
    name = "postgis"

    def __init__(self, url: str, store_dir):
        from pathlib import Path

        self.url = url
        self.store_dir = Path(store_dir)  # job state files only
        self.engine = create_engine(url, pool_pre_ping=True)
        with self.engine.begin() as conn:
            conn.execute(text(REGISTRY))
        self._meta: dict[tuple[str, str], tuple[str, dict]] = {}
        self._cache: OrderedDict[tuple, bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def dispose(self) -> None:
        self.engine.dispose()

    def _row(self, layer: str, version: str) -> tuple[str, dict] | None:
        key = (layer, version)
        if key not in self._meta:
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT table_name, meta FROM tile_layers WHERE layer = :l "
                                        "AND version = :v"), {"l": layer, "v": version}).first()
            if row is None:
                return None
            self._meta[key] = (row[0], json.loads(row[1]))
        return self._meta[key]

    def ready(self, layer: str, version: str) -> dict | None:
        row = self._row(layer, version)
        return row[1] if row else None

    def current(self, layer: str) -> str | None:
        """The version every server sharing this database serves."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT version FROM tile_layers WHERE layer=:l AND is_current"),
                                {"l": layer}).scalar()

    def latest_ready(self, layer: str) -> tuple[str, dict] | None:
        version = self.current(layer)
        return (version, self.ready(layer, version)) if version else None

    def store(self, layer: str, version: str, gdf: gpd.GeoDataFrame, *, maxzoom: int, workers: int = 1,
              progress: Progress | None = None) -> dict:
        """Load ``gdf`` as ``version`` of ``layer`` (table, clusters, indexes) and make it current
        unless a newer version is current already."""
        report = progress or (lambda done, total, label: None)
        frame = tile_frame(gdf)
        xy = rule.anchor_points(frame)
        detail_zoom = rule.detail_minzoom(xy, maxzoom)
        meta = tileset_metadata(frame, layer, detail_zoom, rule.data_maxzoom(detail_zoom, maxzoom))
        cluster_zooms = range(rule.MINZOOM, detail_zoom)
        total = 3 + len(cluster_zooms)
        fields = field_types(frame)
        name = table_name(layer, version)
        table, clusters = sql.Identifier(name), sql.Identifier(name + "_c")
        columns = sql.SQL("").join(
            sql.SQL("{} {}, ").format(sql.Identifier(c), sql.SQL(SQL_TYPES.get(frame[c].dtype.kind, "text")))
            for c in fields)
        names = sql.SQL("").join(sql.SQL("{}, ").format(sql.Identifier(c)) for c in fields)
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}, {}").format(table, clusters))
            cur.execute(sql.SQL("CREATE TABLE {} ({}geom geometry(Geometry, 3857), "
                                "anchor geometry(Point, 3857))").format(table, columns))
            report(1, total, "table")
            geoms = shapely.to_wkb(frame.geometry.values, hex=True, include_srid=False)
            anchors = shapely.to_wkb(shapely.points(xy), hex=True) if len(xy) else []
            values = frame[list(fields)].astype(object).where(frame[list(fields)].notna(), None).to_numpy()
            with cur.copy(sql.SQL("COPY {} ({}geom, anchor) FROM STDIN").format(table, names)) as copy:
                for row, geom, anchor in zip(values, geoms, anchors, strict=True):
                    copy.write_row([*row, f"SRID=3857;{geom}", f"SRID=3857;{anchor}"])
            report(2, total, "rows")
            cur.execute(sql.SQL("CREATE TABLE {} (z integer, count integer, label text, "
                                "geom geometry(Point, 3857))").format(clusters))
            for i, zoom in enumerate(cluster_zooms, 3):
                points = rule.clusters(xy, zoom)
                with cur.copy(sql.SQL("COPY {} (z, count, label, geom) FROM STDIN").format(clusters)) as copy:
                    wkbs = shapely.to_wkb(points.geometry.values, hex=True)
                    for count, label, wkb in zip(points["count"], points["label"], wkbs, strict=True):
                        copy.write_row([zoom, int(count), label, f"SRID=3857;{wkb}"])
                report(i, total, f"clusters z{zoom}")
            for target, column in ((table, "geom"), (table, "anchor"), (clusters, "geom")):
                cur.execute(sql.SQL("CREATE INDEX ON {} USING gist ({})")
                            .format(target, sql.Identifier(column)))
            cur.execute(sql.SQL("ANALYZE {}").format(table))
            current = self._current_in(cur, layer)
            make_current = is_newer(version, current)
            if make_current:
                cur.execute("UPDATE tile_layers SET is_current = FALSE WHERE layer = %s", (layer,))
            cur.execute("DELETE FROM tile_layers WHERE layer = %s AND version = %s", (layer, version))
            cur.execute("INSERT INTO tile_layers (layer, version, table_name, meta, is_current) "
                        "VALUES (%s, %s, %s, %s, %s)",
                        (layer, version, name, json.dumps(meta, ensure_ascii=False), make_current))
            raw.commit()
        except Exception:
            raw.rollback()
            raise
        finally:
            raw.close()
        report(total, total, "done")
        return meta

    @staticmethod
    def _current_in(cur, layer: str) -> str | None:
        cur.execute("SELECT version FROM tile_layers WHERE layer = %s AND is_current FOR UPDATE", (layer,))
        row = cur.fetchone()
        return row[0] if row else None

    def tile(self, layer: str, version: str, z: int, x: int, y: int) -> bytes | None:
        key = (layer, version, z, x, y)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = self._query(layer, version, z, x, y)
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > CACHE_TILES:
                self._cache.popitem(last=False)
        return data

    def _query(self, layer: str, version: str, z: int, x: int, y: int) -> bytes | None:
        row = self._row(layer, version)
        if row is None:
            return None
        table, meta = row
        if z < meta["detail_minzoom"]:
            source, name = sql.Identifier(table + "_c"), rule.CLUSTER_LAYER
            columns, where = sql.SQL(", t.count, t.label"), sql.SQL("t.z = %(z)s AND ")
        else:
            source, name, where = sql.Identifier(table), layer, sql.SQL("")
            columns = sql.SQL("").join(sql.SQL(", t.{}").format(sql.Identifier(c))
                                       for c in meta["vector_layers"][-1]["fields"])
        query = sql.SQL(TILE_SQL).format(columns=columns, source=source, where=where)
        margin = 2 * rule.HALF_WORLD_M / (1 << z) * BUFFER / EXTENT
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(query, {"name": name, "z": z, "x": x, "y": y, "margin": margin,
                                "extent": EXTENT, "buffer": BUFFER})
            data = cur.fetchone()[0]
            raw.rollback()  # read only: end the transaction
        finally:
            raw.close()
        return gzip.compress(bytes(data), 6) if data else None


def has_postgis(url: str) -> bool:
    """Whether the PostgreSQL database at ``url`` has the PostGIS extension installed."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).scalar())
    finally:
        engine.dispose()

