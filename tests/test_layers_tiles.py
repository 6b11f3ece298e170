"""The tile engines: the thinning rule, the embedded MBTiles build, GDAL reading it, and the
PostGIS engine putting the same features and counts into the same tiles."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
from conftest import TEST_DATABASE_URL, fresh_schema

from benchmarks.synthetic import fictional_parcels, fictional_points
from layers.tiles import rule
from layers.tiles.embedded import EmbeddedEngine
from layers.tiles.mbtiles import MBTiles, build, plan_steps
from parks.catalog import Catalog


@pytest.fixture
def catalog(data_dir) -> Catalog:
    return Catalog(data_dir)


def decode(data: bytes | None) -> dict:
    return mapbox_vector_tile.decode(gzip.decompress(data)) if data else {}


def all_tiles(store: MBTiles, zoom: int):
    rows = store._db().execute("SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level=?",
                               (zoom,)).fetchall()
    return [((1 << zoom) - 1 - row, col, data) for col, row, data in rows]


def test_detail_zoom_is_the_first_zoom_whose_tiles_stay_small():
    rng = np.random.default_rng(1)
    few = rng.uniform([12_300_000, 3_700_000], [12_900_000, 4_300_000], size=(100, 2))
    assert rule.detail_minzoom(few) == rule.MINZOOM
    many = rng.uniform([12_300_000, 3_700_000], [12_900_000, 4_300_000], size=(20_000, 2))
    zoom = rule.detail_minzoom(many)
    assert zoom > rule.MINZOOM
    assert rule.max_per_tile(many, zoom) <= rule.MAX_FEATURES_PER_TILE < rule.max_per_tile(many, zoom - 1)


def test_clusters_account_for_every_feature_at_every_zoom():
    xy = np.random.default_rng(2).uniform([12_300_000, 3_700_000], [12_900_000, 4_300_000], size=(5_000, 2))
    for zoom in range(rule.MINZOOM, rule.MAXZOOM):
        clusters = rule.clusters(xy, zoom)
        assert clusters["count"].sum() == len(xy)
        assert clusters["label"].iloc[0] == f"{clusters['count'].iloc[0]:,}"


def test_every_feature_is_in_its_tile_at_the_data_max_zoom_with_the_map_fields_only(catalog, tmp_path):
    points = fictional_points(catalog, "projects", 3_000)
    meta = build(points, tmp_path / "p.mbtiles", layer="projects")
    store = MBTiles(tmp_path / "p.mbtiles")
    assert meta["features"] == 3_000 and store.metadata()["detail_minzoom"] == meta["detail_minzoom"]
    # a big layer's tiles stop at the data max zoom; the map over-zooms them
    assert meta["detail_minzoom"] > rule.MINZOOM and meta["maxzoom"] == rule.DATA_MAXZOOM
    assert store.metadata()["maxzoom"] == rule.DATA_MAXZOOM and not all_tiles(store, rule.DATA_MAXZOOM + 1)
    fields = {"id", "name_zh", "name_en", "city", "f_ind", "sector_zh", "loc_prec", "geom_basis",
              "fictional"}
    # exactly the map's fields (f_ind, the industry filter's key, is added by TileService.load)
    assert set(meta["vector_layers"][-1]["fields"]) == fields - {"f_ind"}
    seen = set()
    for _, _, data in all_tiles(store, rule.DATA_MAXZOOM):
        for feature in decode(data)["projects"]["features"]:
            assert set(feature["properties"]) <= fields  # figures, statuses, sources: the feature API
            seen.add(feature["properties"]["id"])
    assert seen == set(points["id"])


def test_small_layers_keep_every_zoom_and_big_ones_stop_at_the_data_max_zoom():
    assert rule.data_maxzoom(rule.MINZOOM) == rule.MAXZOOM
    assert rule.data_maxzoom(rule.MINZOOM, rule.BOUNDARY_MAXZOOM) == rule.BOUNDARY_MAXZOOM
    assert rule.data_maxzoom(9) == rule.DATA_MAXZOOM == 12
    assert rule.data_maxzoom(13) == 13  # never below the detail zoom


def test_below_the_detail_zoom_tiles_hold_counted_clusters_summing_to_the_layer(catalog, tmp_path):
    parcels = fictional_parcels(catalog, "zones", 8_000)
    meta = build(parcels, tmp_path / "z.mbtiles", layer="zones", workers=2)
    assert meta["detail_minzoom"] > rule.MINZOOM
    assert [layer["id"] for layer in meta["vector_layers"]] == ["clusters", "zones"]
    # GDAL reads the store back: every cluster zoom accounts for every parcel
    for zoom in range(rule.MINZOOM, meta["detail_minzoom"]):
        clusters = pyogrio.read_dataframe(tmp_path / "z.mbtiles", layer="clusters", ZOOM_LEVEL=zoom)
        assert clusters["count"].sum() == 8_000, zoom
    # the data max zoom, built in column parts by the two workers, holds every parcel
    detail = pyogrio.read_dataframe(tmp_path / "z.mbtiles", layer="zones", ZOOM_LEVEL=meta["maxzoom"])
    assert set(detail["id"]) == set(parcels["id"])
    assert set(detail.geom_type) <= {"Polygon", "MultiPolygon"}


def test_worker_processes_build_the_very_tiles_one_process_builds(catalog, tmp_path):
    """Workers stream the layer from a file through GDAL (never a GeoDataFrame of the whole
    layer in each of them), each detail zoom cut into column ranges: the tiles are byte for byte
    those of a build in one process, parcels across the cuts included."""
    parcels = fictional_parcels(catalog, "zones", 3_000)
    xy = rule.anchor_points(parcels)
    detail_zoom = rule.detail_minzoom(xy)
    parts = [s for s in plan_steps(detail_zoom, rule.data_maxzoom(detail_zoom), xy=xy, parts=2) if s.columns]
    assert len(parts) == 2 * (rule.DATA_MAXZOOM - detail_zoom + 1)  # each detail zoom in two parts
    tiles = []
    for workers in (1, 2):
        build(parcels, tmp_path / f"{workers}.mbtiles", layer="zones", workers=workers)
        rows = MBTiles(tmp_path / f"{workers}.mbtiles")._db().execute(
            "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
        tiles.append({(z, x, y): data for z, x, y, data in rows})
    assert len(tiles[0]) > 100
    assert tiles[0] == tiles[1]


def test_embedded_engine_serves_a_built_version_and_only_that(catalog, tmp_path):
    engine = EmbeddedEngine(tmp_path / "tiles")
    assert engine.ready("parks", "v1") is None and engine.latest_ready("parks") is None
    engine.store("parks", "v1", catalog.layer("parks"), maxzoom=rule.MAXZOOM)
    assert engine.ready("parks", "v1")["features"] == catalog.layer("parks").geometry.notna().sum()
    assert engine.latest_ready("parks")[0] == "v1"
    assert engine.tile("parks", "v2", 7, 105, 51) is None


@pytest.mark.postgres
def test_postgis_engine_puts_the_same_features_and_counts_into_the_same_tiles(catalog, tmp_path):
    from layers.tiles.postgis import PostGISEngine

    parcels = fictional_parcels(catalog, "zones", 8_000, seed=7)
    embedded = EmbeddedEngine(tmp_path / "tiles")
    meta = embedded.store("zones", "v1", parcels, maxzoom=rule.MAXZOOM)
    with fresh_schema(TEST_DATABASE_URL) as url:
        postgis = PostGISEngine(url, tmp_path / "jobs")
        try:
            theirs_meta = postgis.store("zones", "v1", parcels, maxzoom=rule.MAXZOOM)
            # the same detail zoom, data max zoom and fields (TileJSON says the same for both)
            assert theirs_meta["vector_layers"] == meta["vector_layers"]
            assert (theirs_meta["detail_minzoom"], theirs_meta["maxzoom"]) == \
                (meta["detail_minzoom"], meta["maxzoom"]) == (meta["detail_minzoom"], rule.DATA_MAXZOOM)
            assert postgis.current("zones") == "v1"
            store = MBTiles(tmp_path / "tiles" / "zones" / "v1.mbtiles")
            for zoom in (rule.MINZOOM, meta["detail_minzoom"], meta["maxzoom"]):
                for y, x, data in all_tiles(store, zoom)[:40]:
                    ours, theirs = decode(data), decode(postgis.tile("zones", "v1", zoom, x, y))
                    if zoom < meta["detail_minzoom"]:
                        assert sorted(f["properties"]["count"] for f in ours["clusters"]["features"]) == \
                            sorted(f["properties"]["count"] for f in theirs["clusters"]["features"])
                    else:  # the same features with the same fields and values
                        assert sorted(map(repr, (f["properties"] for f in ours["zones"]["features"]))) == \
                            sorted(map(repr, (f["properties"] for f in theirs["zones"]["features"])))
        finally:
            postgis.dispose()
