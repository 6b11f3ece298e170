"""Vector tiles over HTTP: TileJSON, MVT tiles (gzip, 204, ETag, versioned URLs), OGC API –
Tiles, the feature API behind tiled layers, background builds, and the overview drawing big
layers from tiles. On the PostgreSQL leg the same tests run on the PostGIS engine."""

from __future__ import annotations

import gzip
import time

import mapbox_vector_tile
import pytest

from benchmarks.synthetic import fictional_points, install_layer
from layers.tiles import service as tile_service
from parks import catalog as catalog_module
from parks.catalog import Catalog

ZHENGZHOU_Z7 = (7, 104, 51)  # a z7 tile holding Zhengzhou's features


def tilejson(client, layer="projects", **kw):
    response = client.get(f"/tiles/{layer}.json", **kw)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def tile_path(doc: dict, z: int, x: int, y: int) -> str:
    url = doc["tiles"][0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    return url.removeprefix("http://localhost")


def features(response, layer: str) -> list[dict]:
    data = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return mapbox_vector_tile.decode(data).get(layer, {}).get("features", [])


def test_tilejson_describes_the_layer_with_its_basis_and_fields(client):
    doc = tilejson(client, "parks")
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].startswith("http://localhost/tiles/parks/{z}/{x}/{y}.mvt?v=")
    assert doc["minzoom"] == 6 and doc["maxzoom"] == 14
    west, south, east, north = doc["bounds"]
    assert 110 < west < east < 117 and 31 < south < north < 37
    fields = {layer["id"]: layer["fields"] for layer in doc["vector_layers"]}
    # only what the map draws, filters and picks with; the rest comes from the feature API
    assert set(fields["parks"]) == {"id", "name_zh", "name_en", "city", "loc_prec", "kind", "geom_basis",
                                    "f_ind"}
    assert "示意" in doc["attribution"]
    assert "schematic" in tilejson(client, "parks", query_string={"lang": "en"})["attribution"]


def test_a_tile_is_gzip_when_accepted_plain_otherwise_and_cached_by_version(client):
    doc = tilejson(client)
    path = tile_path(doc, *ZHENGZHOU_Z7)
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "immutable" in zipped.headers["Cache-Control"] and "Accept-Encoding" in zipped.headers["Vary"]
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    ids = {f["properties"]["id"] for f in features(plain, "projects")}
    assert ids and ids == {f["properties"]["id"] for f in features(zipped, "projects")}
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_empty_tiles_are_204_and_bad_tiles_are_refused(client):
    doc = tilejson(client)
    assert client.get(tile_path(doc, 7, 0, 0)).status_code == 204  # the Pacific
    assert client.get(tile_path(doc, 3, 6, 3)).status_code == 204  # under the min zoom
    assert client.get(tile_path(doc, 7, 500, 51)).status_code == 400
    assert client.get("/tiles/projects/7/104/51.mvt?v=no-such-version").status_code == 404
    missing = client.get("/tiles/nope.json")
    assert missing.status_code == 404 and "没有名为" in missing.get_json()["message_zh"]


def test_a_big_layer_stops_at_its_data_max_zoom_and_says_so_everywhere(client, data_dir):
    install_layer(data_dir, "projects", fictional_points(Catalog(data_dir), "projects", 3_000, seed=5))
    doc = tilejson(client)
    assert doc["atlas"]["detail_minzoom"] > 6 and doc["maxzoom"] == 12  # clients over-zoom beyond
    layer = next(layer for layer in doc["vector_layers"] if layer["id"] == "projects")
    assert layer["maxzoom"] == 12
    assert set(layer["fields"]) == {"id", "name_zh", "name_en", "city", "f_ind", "sector_zh", "loc_prec",
                                    "geom_basis", "fictional"}
    z, x, y = 12, 3340, 1625  # Zhengzhou
    assert client.get(tile_path(doc, z, x, y)).status_code in (200, 204)
    beyond = client.get(tile_path(doc, z + 1, 2 * x, 2 * y))
    assert beyond.status_code == 404 and beyond.get_json()["error"] == "beyond_data_maxzoom"
    assert "第 12 级" in beyond.get_json()["message_zh"] and "over-zoom" in beyond.get_json()["message_en"]
    tileset = client.get("/ogc/collections/projects/tiles/WebMercatorQuad").get_json()
    assert max(int(lim["tileMatrix"]) for lim in tileset["tileMatrixSetLimits"]) == 12
    assert {lay["id"]: lay["maxTileMatrix"] for lay in tileset["layers"]} == {"clusters": str(
        doc["atlas"]["detail_minzoom"] - 1), "projects": "12"}
    assert client.get(f"/ogc/collections/projects/tiles/WebMercatorQuad/13/{2 * y}/{2 * x}?v="
                      f"{doc['atlas']['version']}").status_code == 404


def test_a_new_layer_version_gets_a_new_url_and_its_own_tiles(client, data_dir):
    before = tilejson(client)
    points = fictional_points(Catalog(data_dir), "projects", 50, seed=3)
    install_layer(data_dir, "projects", points)
    after = tilejson(client)
    assert after["tiles"] != before["tiles"] and after["atlas"]["features"] == 50
    ids = set()
    for z, x, y in [(6, x, y) for x in (51, 52) for y in (25, 26)]:
        ids |= {f["properties"]["id"] for f in features(client.get(tile_path(after, z, x, y)), "projects")}
    assert ids == set(points["id"])
    old = client.get(tile_path(before, *ZHENGZHOU_Z7))  # the old URL still answers, for caches
    assert old.status_code in (200, 204)


def test_a_big_layer_builds_in_the_background_while_the_old_tiles_are_served(client, data_dir, monkeypatch):
    old = tilejson(client)["atlas"]["version"]
    monkeypatch.setattr(tile_service, "SYNC_BUILD_MAX_FEATURES", 10)
    version = install_layer(data_dir, "projects", fictional_points(Catalog(data_dir), "projects", 300))
    doc = tilejson(client)
    assert doc["atlas"]["version"] == old  # the previous build is served meanwhile
    job = doc["atlas"]["building"]
    assert job["version"] == version and job["state"] in ("running", "done")
    deadline = time.monotonic() + 120
    while (state := client.get(f"/api/jobs/{job['id']}").get_json()["state"]) != "done":
        assert state == "running"
        assert time.monotonic() < deadline, "the background build did not finish"
        time.sleep(0.5)
    assert tilejson(client)["atlas"]["version"] == version
    assert client.get("/api/jobs/tiles.projects.nope").status_code == 404


def test_ogc_api_tiles_lists_tilesets_and_serves_the_same_tiles(client):
    assert client.get("/ogc/tileMatrixSets").get_json()["tileMatrixSets"][0]["id"] == "WebMercatorQuad"
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").get_json()
    assert tms["crs"].endswith("EPSG/0/3857") and len(tms["tileMatrices"]) >= 15
    sets = client.get("/ogc/collections/projects/tiles").get_json()["tilesets"]
    assert sets[0]["dataType"] == "vector" and sets[0]["tileMatrixSetURI"].endswith("WebMercatorQuad")
    tileset = client.get("/ogc/collections/boundaries-county/tiles/WebMercatorQuad").get_json()
    limits = {lim["tileMatrix"]: lim for lim in tileset["tileMatrixSetLimits"]}
    assert set(limits) == {str(z) for z in range(6, 11)}  # boundaries stop at z10 (over-zoomed)
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert "{tileMatrix}/{tileRow}/{tileCol}" in item["href"] and item["templated"] is True
    z, x, y = ZHENGZHOU_Z7
    ogc = client.get(f"/ogc/collections/projects/tiles/WebMercatorQuad/{z}/{y}/{x}")
    direct = client.get(tile_path(tilejson(client), z, x, y))
    assert ogc.status_code == 200 and ogc.data == direct.data
    conformance = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conformance
    links = client.get("/ogc/collections/projects").get_json()["links"]
    assert any(link["rel"].endswith("tilesets-vector") for link in links)
    assert client.get("/ogc/tileMatrixSets/WorldCRS84Quad").status_code == 404


def test_feature_api_finds_filters_and_opens_features(client):
    found = client.get("/api/features/projects", query_string={"q": "郑州", "limit": 5}).get_json()
    assert found["total"] >= 1 and all("郑州" in f["name"] for f in found["features"])
    by_city = client.get("/api/features/projects", query_string={"city": "洛阳市"}).get_json()
    assert by_city["total"] >= 1 and {f["city"] for f in by_city["features"]} == {"洛阳市"}
    assert client.get("/api/features/projects", query_string={"limit": 0}).status_code == 400
    fid = found["features"][0]["id"]
    feature = client.get(f"/api/features/projects/{fid}").get_json()
    assert feature["id"] == fid and feature["geometry"]["type"] == "Point"
    assert feature["properties"]["name_zh"] in feature["popup_html"] and feature["properties"]["evidence"]
    assert client.get("/api/features/projects/nope").status_code == 404
    assert client.get("/api/features/boundary_city/x").status_code == 404


def test_overview_draws_big_layers_from_tiles_instead_of_inlining_them(client, monkeypatch):
    small = client.get("/").get_data(as_text=True)
    monkeypatch.setattr(catalog_module, "BIG_LAYER_FEATURES", 5)
    html = client.get("/?lang=zh&v=big").get_data(as_text=True)
    assert '"tiled": [' in html and "/tiles/projects.json" in html
    assert "atlas-tiles.js" in html and "protomaps-leaflet.js" in html
    assert "atlas-tiles.js" not in small
    inlined = '"proj-02:marker"'  # a project's map feature: inlined in the small page only
    assert inlined in small and inlined not in html


@pytest.mark.parametrize("command", [["tiles", "build", "parks"], ["tiles", "status"]])
def test_tiles_cli(runner, command):
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
    assert "parks" in result.output


def test_feature_search_gives_the_extent_of_every_match_for_the_map_to_zoom_to(client):
    found = client.get("/api/features/projects", query_string={"city": "洛阳市", "limit": 1}).get_json()
    west, south, east, north = found["bbox"]
    assert found["total"] > len(found["features"]) == 1
    for f in client.get("/api/features/projects", query_string={"city": "洛阳市"}).get_json()["features"]:
        assert west <= f["lon"] <= east and south <= f["lat"] <= north
    assert client.get("/api/features/projects", query_string={"q": "no such name"}).get_json()["bbox"] is None
