"""OGC API – Features over HTTP, and read by a real client (GDAL's OAPIF driver)."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import schemathesis
import shapely
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from layers.downloads import layer_frame
from layers.ogc.features import CONFORMANCE
from layers.ogc.params import CRS_LIST
from parks.catalog import Catalog

COLLECTIONS = ["parks", "zones", "foxconn", "projects", "clusters",
               "boundaries-province", "boundaries-city", "boundaries-county"]
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


def test_landing_page_links_to_service_desc_conformance_and_data(client):
    doc = client.get("/ogc").json
    links = {link["rel"]: link for link in doc["links"]}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-desc"]["href"].endswith("/ogc/api")
    assert links["conformance"]["href"].endswith("/ogc/conformance")
    assert links["data"]["href"].endswith("/ogc/collections")
    assert client.get("/ogc/").status_code == 200
    assert client.get("/ogc").headers["Access-Control-Allow-Origin"] == "*"  # open data


def test_openapi_and_conformance(client):
    api = client.get("/ogc/api")
    assert api.mimetype == "application/vnd.oai.openapi+json"
    assert api.get_json(force=True)["openapi"] == "3.0.3"
    assert client.get("/ogc/conformance").json["conformsTo"] == CONFORMANCE


def test_collections_have_crs_lists_and_storage_crs(client):
    doc = client.get("/ogc/collections").json
    assert [c["id"] for c in doc["collections"]] == COLLECTIONS
    for c in doc["collections"]:
        assert c["crs"] == CRS_LIST and c["storageCrs"] == EPSG4490
        assert len(c["extent"]["spatial"]["bbox"][0]) == 4
    parks = client.get("/ogc/collections/parks?lang=en").json
    assert "candidates" in parks["description"]


def test_items_paging_counts_links_and_content_crs(client):
    r = client.get("/ogc/collections/boundaries-county/items?limit=50&offset=100")
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert r.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    fc = r.get_json(force=True)
    assert fc["numberMatched"] == 157 and fc["numberReturned"] == 50
    rels = {link["rel"]: link["href"] for link in fc["links"]}
    assert "offset=150" in rels["next"] and "offset=50" in rels["prev"]
    last = client.get(rels["next"]).get_json(force=True)
    assert last["numberReturned"] == 7 and "next" not in {link["rel"] for link in last["links"]}


def test_epsg4490_is_served_latitude_first(client):
    crs84 = client.get("/ogc/collections/foxconn/items/fox-01").get_json(force=True)
    r = client.get(f"/ogc/collections/foxconn/items/fox-01?crs={EPSG4490}")
    assert r.headers["Content-Crs"] == f"<{EPSG4490}>"
    lon, lat = crs84["geometry"]["coordinates"]
    assert r.get_json(force=True)["geometry"]["coordinates"] == [lat, lon]
    assert 34 < lat < 35 and 113 < lon < 114


def test_property_filter_and_bbox(client):
    fc = client.get("/ogc/collections/projects/items?city=郑州市&limit=100").get_json(force=True)
    assert fc["numberMatched"] > 0
    assert {f["properties"]["city"] for f in fc["features"]} == {"郑州市"}
    box = client.get("/ogc/collections/boundaries-city/items?bbox=113.6,34.7,113.7,34.8")
    names = {f["properties"]["name_zh"] for f in box.get_json(force=True)["features"]}
    assert names == {"郑州市"}


@pytest.mark.parametrize("query", ["limit=abc", "offset=-5", "bbox=1,2", "crs=EPSG:4547",
                                   "unknown=1", "f=xml", "kind=1&slot=x", "datetime=notadate",
                                   "sortby=-nope", "properties=nope", "skipGeometry=maybe",
                                   "offset=99999999999999999999", "limit=99999999999999999999"])
def test_bad_query_parameters_are_400_ogc_exceptions(client, query):
    r = client.get(f"/ogc/collections/parks/items?{query}")
    assert r.status_code == 400
    body = r.json
    assert body["code"] == "InvalidParameterValue" and body["description"]
    assert body["message_zh"] and body["message_en"]


def test_unknown_collection_and_feature_are_404_ogc_exceptions(client):
    for url in ("/ogc/collections/nope", "/ogc/collections/nope/items",
                "/ogc/collections/parks/items/park-99"):
        r = client.get(url)
        assert r.status_code == 404 and r.json["code"] == "NotFound", url


def test_queryables_list_short_properties(client):
    r = client.get("/ogc/collections/projects/queryables")
    assert r.mimetype == "application/schema+json"
    doc = r.get_json(force=True)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"].endswith("/ogc/collections/projects/queryables") and doc["type"] == "object"
    props = doc["properties"]
    assert props["city"] == {"type": "string", "title": "city"}
    assert props["geometry"] == {"x-ogc-role": "primary-geometry", "format": "geometry-point"}
    assert "evidence" not in props and "inv_yi" not in props
    county = client.get("/ogc/collections/boundaries-county/queryables").get_json(force=True)
    assert county["properties"]["geometry"]["format"] == "geometry-multipolygon"


def test_datetime_sortby_properties_and_skip_geometry(client):
    base = "/ogc/collections/boundaries-county/items"
    assert client.get(f"{base}?datetime=2012-01-01T00:00:00Z/..").status_code == 200
    fc = client.get(f"{base}?sortby=-city,name_zh&properties=city,name_zh&skipGeometry=true"
                    "&limit=200").get_json(force=True)
    keys = [(f["properties"]["city"], f["properties"]["name_zh"]) for f in fc["features"]]
    assert len(keys) == 157 and [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
    assert all(f["geometry"] is None and set(f["properties"]) == {"city", "name_zh"}
               for f in fc["features"])
    html = client.get(f"{base}?sortby=-city&f=html").get_data(as_text=True)
    assert "sortby=-city" in html  # the pager keeps the order


def test_every_polygon_collection_serves_one_geometry_type(client):
    for cid in ("boundaries-city", "boundaries-county"):
        fc = client.get(f"/ogc/collections/{cid}/items?limit=1000").get_json(force=True)
        assert {f["geometry"]["type"] for f in fc["features"]} == {"MultiPolygon"}, cid


@pytest.mark.parametrize("url", ["/ogc/", "/ogc/api", "/ogc/conformance", "/ogc/collections",
                                 "/ogc/collections/parks", "/ogc/collections/parks/queryables",
                                 "/ogc/collections/parks/items",
                                 "/ogc/collections/zones/items/zone-01"])
def test_html_for_browsers(client, url):
    r = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert client.get(url + "?f=html").mimetype == "text/html"
    assert client.get(url, headers={"Accept": "application/json"}).mimetype.endswith("json")


def test_items_html_pages_and_escapes_script_data(client):
    html = client.get("/ogc/collections/boundaries-county/items?f=html&limit=20").get_data(as_text=True)
    assert 'rel="next"' in html and "offset=20" in html
    assert "</script>" not in html.split("var data = ")[1].split(";")[0]


GDAL_CLIENT = textwrap.dedent("""
    import logging, pickle, sys, warnings
    import pyogrio
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)  # GDAL warnings via pyogrio
    warnings.simplefilter("always")
    url, out = sys.argv[1], sys.argv[2]
    frames = {name: pyogrio.read_dataframe(url, layer=name) for name in sys.argv[3:]}
    frames["declared"] = {name: pyogrio.read_info(url, layer=name)["geometry_type"]
                          for name in sys.argv[3:]}
    # filters GDAL pushes to the server: bbox (+ bbox-crs, lat/lon) and a queryable property
    frames["bbox"] = pyogrio.read_dataframe(url, layer="projects", bbox=(113.5, 34.5, 114, 35))
    frames["where"] = pyogrio.read_dataframe(url, layer="projects", where="city = '郑州市'")
    with open(out, "wb") as f:
        pickle.dump(frames, f)
""")


def test_gdal_oapif_client_reads_every_collection_like_the_layer(live_server, data_dir, tmp_path):
    """GDAL reads the API as QGIS would (storage CRS EPSG:4490, paging by next links), without
    a warning, and the geometry type it takes from the first page holds for every feature.

    The client runs in its own process: pyogrio holds the GIL while GDAL fetches pages, which
    would stall the in-process live server.
    """
    out = tmp_path / "frames.pkl"
    url = f"OAPIF:{live_server.url}/ogc"
    run = subprocess.run([sys.executable, "-c", GDAL_CLIENT, url, str(out), *COLLECTIONS],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr == ""
    frames = pickle.loads(out.read_bytes())
    catalog = Catalog(data_dir)
    for cid in COLLECTIONS:
        got = frames[cid]
        layer, _, level = cid.partition("-")
        want = layer_frame(catalog, layer, level=level or None)
        key = "adcode" if layer == "boundaries" else "id"
        assert got.crs.to_epsg() == 4490, cid
        assert list(got["id"]) == list(want[key]), cid
        assert set(want.columns) - {key, "geometry"} <= set(got.columns), cid
        for col in want.columns.drop([key, "geometry"]):
            if pd.api.types.is_numeric_dtype(want[col]):
                assert np.allclose(got[col].astype(float), want[col].astype(float), equal_nan=True), col
            else:
                assert list(got[col].fillna("")) == list(want[col].fillna("")), (cid, col)
        has = want.geometry.notna().to_numpy()
        assert (got.geometry.notna().to_numpy() == has).all(), cid
        declared = frames["declared"][cid]
        assert set(got.geometry[has].geom_type) == {declared}, cid
        if declared == "MultiPolygon":  # polygons mixed with multipolygons: served as one type
            want = want.set_geometry([g if g is None or g.geom_type == "MultiPolygon"
                                      else shapely.MultiPolygon([g]) for g in want.geometry])
        same = shapely.equals_exact(got.geometry.to_numpy()[has], want.geometry.to_numpy()[has],
                                    tolerance=1e-6)  # served to 7 decimals, ~1 cm
        assert same.all(), cid
    assert frames["declared"]["boundaries-county"] == "MultiPolygon"
    projects = catalog.layer("projects")
    assert sorted(frames["bbox"]["id"]) == sorted(projects.cx[113.5:114, 34.5:35]["id"])
    assert sorted(frames["where"]["id"]) == sorted(projects[projects["city"] == "郑州市"]["id"])
    assert 0 < len(frames["where"]) < len(projects)



FUZZED = (r"^/(api|conformance|collections|collections/\{collectionId\}"
          r"|collections/(foxconn|boundaries-county)/(items|items/\{featureId\}|queryables))?$")


def test_every_response_conforms_to_the_openapi_document(app):
    """Schemathesis against /ogc/api: generated requests to the capabilities and to a point and
    a polygon collection answer with a documented status, media type and schema, never a 500."""
    app.config.update(REQUEST_LOG="")
    schema = schemathesis.openapi.from_wsgi("/ogc/api", app).include(path_regex=FUZZED)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:
        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers={"Accept-Encoding": "identity"},
                                   checks=[not_a_server_error, status_code_conformance,
                                           content_type_conformance, response_schema_conformance])

        run()
