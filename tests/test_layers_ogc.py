"""The framework-free OGC API core: paging, filters, CRS and axis order, errors, OpenAPI."""

import json
import threading
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs_ogc import CRS84, EPSG_URI
from layers.ogc.features import Collection, OGCService, catalog_collections
from layers.ogc.openapi import openapi
from layers.ogc.params import CRS_LIST, MAX_LIMIT, STORAGE_CRS, OGCError
from layers.ogc.table import SORT_ORDERS_KEPT
from parks.catalog import Catalog

BASE = "http://example.test/ogc"
EPSG4490 = EPSG_URI.format(code=4490)
EPSG3857 = EPSG_URI.format(code=3857)


def points(n: int) -> gpd.GeoDataFrame:
    """``n`` fictional points on a line across Henan; every third in 郑州市."""
    lon = np.linspace(111.0, 116.0, n)
    return gpd.GeoDataFrame({
        "id": [f"p{i}" for i in range(n)],
        "city": np.where(np.arange(n) % 3 == 0, "郑州市", "洛阳市"),
        "rank": np.arange(n),
        "value": np.linspace(0, 1, n),
        "evidence": ["长文本"] * n,
    }, geometry=gpd.points_from_xy(lon, np.full(n, 34.5)), crs=4490)


@pytest.fixture
def stamp():
    return {"v": 1}


@pytest.fixture
def service(stamp):
    frames = {"pts": points(25)}
    loads = []

    def load():
        loads.append(1)
        return frames["pts"]

    svc = OGCService([Collection("pts", "点", "Points", "虚构点", "Fictional points", "id",
                                 load=load, stamp=lambda: stamp["v"])])
    svc.loads = loads
    svc.frames = frames
    return svc


def _fc(page) -> dict:
    return json.loads(page.to_json())


def test_first_page_counts_and_next_link(service):
    fc = _fc(service.items(BASE, "pts", {}))
    assert fc["type"] == "FeatureCollection"
    assert fc["numberMatched"] == 25 and fc["numberReturned"] == 10
    assert [f["id"] for f in fc["features"]] == [f"p{i}" for i in range(10)]
    rels = {link["rel"]: link["href"] for link in fc["links"]}
    assert "offset=10" in rels["next"] and "prev" not in rels
    assert "id" not in fc["features"][0]["properties"]  # the id is the featureId
    assert fc["features"][0]["properties"]["city"] == "郑州市"


def test_last_page_has_prev_but_no_next_and_keeps_other_arguments(service):
    fc = _fc(service.items(BASE, "pts", {"limit": "10", "offset": "20", "city": "洛阳市"}))
    assert fc["numberMatched"] == 16 and fc["numberReturned"] == 0
    fc = _fc(service.items(BASE, "pts", {"limit": "10", "offset": "10", "city": "洛阳市"}))
    assert fc["numberReturned"] == 6
    rels = {link["rel"]: link["href"] for link in fc["links"]}
    assert "next" not in rels
    assert "offset=" not in rels["prev"] and "city=" in rels["prev"] and "limit=10" in rels["prev"]


def test_limit_above_maximum_is_served_as_maximum(service):
    page = service.items(BASE, "pts", {"limit": str(MAX_LIMIT * 5)})
    assert page.limit == MAX_LIMIT and len(page.rows) == 25


def test_property_filter_is_typed(service):
    fc = _fc(service.items(BASE, "pts", {"rank": "4"}))
    assert [f["id"] for f in fc["features"]] == ["p4"]
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", {"rank": "four"})
    assert exc.value.to_dict()["code"] == "InvalidParameterValue"


def test_long_texts_and_numbers_are_not_queryable(service):
    assert service.queryable_names("pts") == ["city", "rank"]
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", {"evidence": "长文本"})
    assert "evidence" in exc.value.en and "city" in exc.value.en


def test_bbox_in_crs84_and_in_lat_first_epsg4490_select_the_same(service):
    lonlat = service.items(BASE, "pts", {"bbox": "112.9,34,114.1,35", "limit": "100"})
    latlon = service.items(BASE, "pts", {"bbox": "34,112.9,35,114.1", "bbox-crs": EPSG4490,
                                         "limit": "100"})
    assert len(lonlat.rows) > 0
    assert lonlat.rows.tolist() == latlon.rows.tolist()
    lons = service.table("pts").bounds[lonlat.rows, 0]
    assert ((lons >= 112.9) & (lons <= 114.1)).all()
    assert lonlat.number_matched == len(lonlat.rows)


def test_crs_axis_order_and_content(service):
    crs84 = _fc(service.items(BASE, "pts", {"limit": "1", "offset": "5"}))["features"][0]
    lat_first = _fc(service.items(BASE, "pts", {"limit": "1", "offset": "5", "crs": EPSG4490}))
    mercator = _fc(service.items(BASE, "pts", {"limit": "1", "offset": "5", "crs": "EPSG:3857"}))
    lon, lat = crs84["geometry"]["coordinates"]
    assert 110 < lon < 117 and lat == pytest.approx(34.5)
    assert lat_first["features"][0]["geometry"]["coordinates"] == [lat, lon]
    x, y = mercator["features"][0]["geometry"]["coordinates"]
    assert x == pytest.approx(lon * 20037508.342789244 / 180, abs=0.01)
    assert 4_000_000 < y < 4_200_000


@pytest.mark.parametrize("args,word", [
    ({"limit": "0"}, "limit"), ({"limit": "x"}, "limit"), ({"offset": "-1"}, "offset"),
    ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "114,35,113,34"}, "bbox"), ({"bbox": "a,b,c,d"}, "bbox"),
    ({"crs": "EPSG:4547"}, "crs"), ({"bbox-crs": "nonsense", "bbox": "1,2,3,4"}, "bbox-crs"),
    ({"colour": "red"}, "colour"),
])
def test_bad_arguments_are_ogc_exceptions(service, args, word):
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", args)
    body = exc.value.to_dict()
    assert exc.value.status == 400
    assert body["code"] == "InvalidParameterValue"
    assert word in body["description"] and body["message_zh"] and body["message_en"]


def test_unknown_crs_names_the_accepted_ones(service):
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", {"crs": "EPSG:2000"})
    assert all(uri in exc.value.en for uri in CRS_LIST)


def test_unknown_collection_and_item_are_not_found(service):
    with pytest.raises(OGCError) as coll:
        service.get("nope")
    with pytest.raises(OGCError) as item:
        service.item(BASE, "pts", "p999", {})
    assert coll.value.status == item.value.status == 404
    assert item.value.to_dict()["code"] == "NotFound"


def test_single_item_with_links_and_crs(service):
    text, crs, props = service.item(BASE, "pts", "p3", {"crs": EPSG4490})
    feature = json.loads(text)
    assert crs == EPSG4490 and feature["id"] == "p3" and props["rank"] == 3
    assert feature["geometry"]["coordinates"][0] == pytest.approx(34.5)  # latitude first
    assert {link["rel"] for link in feature["links"]} >= {"self", "alternate", "collection"}


def test_table_is_rebuilt_only_when_the_stamp_changes(service, stamp):
    service.items(BASE, "pts", {})
    service.items(BASE, "pts", {"offset": "3"})
    assert len(service.loads) == 1
    service.frames["pts"] = points(40)
    stamp["v"] = 2
    assert service.items(BASE, "pts", {}).number_matched == 40
    assert len(service.loads) == 2


def test_collection_metadata_has_crs_list_storage_crs_and_extent(service):
    doc = service.collection(BASE, "pts", "en")
    assert doc["title"] == "Points" and doc["crs"] == CRS_LIST and doc["storageCrs"] == STORAGE_CRS
    assert doc["extent"]["spatial"]["crs"] == CRS84
    assert doc["extent"]["spatial"]["bbox"][0] == pytest.approx([111, 34.5, 116, 34.5])
    assert service.collection(BASE, "pts", "zh")["title"] == "点"


def test_catalog_collections_cover_every_layer_and_boundary_level(built_data):
    svc = OGCService(catalog_collections(Catalog(built_data)))
    assert svc.ids() == ["parks", "zones", "foxconn", "projects", "clusters",
                         "boundaries-province", "boundaries-city", "boundaries-county"]
    county = json.loads(svc.items(BASE, "boundaries-county", {"limit": "1"}).to_json())
    assert county["numberMatched"] == 157
    assert county["features"][0]["id"].startswith("41")  # adcode
    zz = json.loads(svc.items(BASE, "projects", {"city": "郑州市", "limit": "100"}).to_json())
    assert zz["numberMatched"] > 0
    assert {f["properties"]["city"] for f in zz["features"]} == {"郑州市"}


def test_openapi_declares_every_items_path_with_limit_bounds_and_filters(service):
    doc = openapi(service, BASE)
    assert doc["openapi"].startswith("3.0")
    params = doc["paths"]["/collections/pts/items"]["get"]["parameters"]
    names = [p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in params]
    assert {"limit", "offset", "bbox", "crs", "bbox-crs", "city", "rank"} <= set(names)
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == MAX_LIMIT and limit["default"] == 10
    assert "/collections/pts/items/{featureId}" in doc["paths"]
    json.dumps(doc)  # serialisable


def _on_fresh_thread(call) -> float:
    """Milliseconds ``call`` takes on a new thread, as a threaded server runs each request."""
    took = []

    def run():
        start = time.perf_counter()
        call()
        took.append((time.perf_counter() - start) * 1000)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return took[0]


def test_bbox_and_crs_cost_about_a_plain_page_on_a_fresh_thread(service):
    """Transformers are built once per process: a new server thread does not rebuild them
    (that cost 60–250 ms per CRS pair on every new thread)."""
    cases = {"plain": {}, "bbox": {"bbox": "112.9,34,114.1,35"}, "crs": {"crs": EPSG3857},
             "bbox-crs": {"bbox": "12500000,4000000,12700000,4200000", "bbox-crs": EPSG3857}}
    for args in cases.values():
        service.items(BASE, "pts", args).to_json()  # warm: table and transformers built
    ms = {name: min(_on_fresh_thread(lambda a=args: service.items(BASE, "pts", a).to_json())
                    for _ in range(3))
          for name, args in cases.items()}
    for name in ("bbox", "crs", "bbox-crs"):
        assert ms[name] < ms["plain"] * 1.5 + 15, ms


@pytest.mark.parametrize("value", [
    "2012-12-31", "2012-12-31T08:00:00Z", "2012-12-31T08:00:00.5+08:00", "2012-01-01/2013-01-01",
    "2012-01-01T00:00:00Z/..", "../2012-01-01", "2012-01-01/", "/2013-01-01T00:00:00z"])
def test_datetime_accepts_rfc3339_instants_and_intervals(service, value):
    assert service.items(BASE, "pts", {"datetime": value}).number_matched == 25


@pytest.mark.parametrize("value", [
    "notadate", "", "..", "../..", "2012-13-01", "2012-12-31T08:00:00", "20121231",
    "2013-01-01/2012-01-01", "2012-01-01/2012-02-01/2012-03-01", "2012-01-01/soon"])
def test_datetime_refuses_anything_else(service, value):
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", {"datetime": value})
    assert exc.value.status == 400 and "datetime" in exc.value.en and "RFC 3339" in exc.value.en


def test_conformance_declares_part3_queryables_as_query_parameters():
    conf = OGCService.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters" in conf
    assert not any(c.endswith("/conf/filter") for c in conf)  # no CQL2 filter: not claimed


def test_queryables_are_json_schema_2020_12(service):
    doc = service.queryables(BASE, "pts", "en")
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"{BASE}/collections/pts/queryables"
    assert doc["type"] == "object" and doc["additionalProperties"] is False
    assert doc["properties"]["city"] == {"type": "string", "title": "city"}
    assert doc["properties"]["rank"]["type"] == "integer"
    assert doc["properties"]["geometry"] == {"x-ogc-role": "primary-geometry",
                                             "format": "geometry-point"}
    assert "evidence" not in doc["properties"] and "value" not in doc["properties"]


def _ids(page) -> list[str]:
    return [f["id"] for f in _fc(page)["features"]]


def test_sortby_descending_ascending_several_keys_and_paging(service):
    assert _ids(service.items(BASE, "pts", {"sortby": "-rank", "limit": "3"})) == ["p24", "p23", "p22"]
    assert _ids(service.items(BASE, "pts", {"sortby": "+rank", "limit": "2", "offset": "5"})) \
        == ["p5", "p6"]
    fc = _fc(service.items(BASE, "pts", {"sortby": "city,-rank", "limit": "100"}))
    keys = [(f["properties"]["city"], -f["properties"]["rank"]) for f in fc["features"]]
    assert keys == sorted(keys) and fc["features"][0]["properties"]["city"] == "洛阳市"
    filtered = _ids(service.items(BASE, "pts", {"sortby": "-rank", "city": "郑州市", "limit": "2"}))
    assert filtered == ["p24", "p21"]
    nxt = {link["rel"]: link["href"] for link in _fc(service.items(
        BASE, "pts", {"sortby": "-rank", "limit": "2"}))["links"]}["next"]
    assert "sortby=-rank" in nxt


def test_sortby_puts_missing_values_last_both_ways(service, stamp):
    frame = points(4)
    frame["label"] = ["b", None, "a", "c"]
    service.frames["pts"] = frame
    stamp["v"] = 2
    assert _ids(service.items(BASE, "pts", {"sortby": "label"})) == ["p2", "p0", "p3", "p1"]
    assert _ids(service.items(BASE, "pts", {"sortby": "-label"})) == ["p3", "p0", "p2", "p1"]


def test_sort_orders_kept_are_bounded(service):
    table = service.table("pts")
    for i in range(SORT_ORDERS_KEPT + 10):
        table.order((("rank", bool(i % 2)), ("city", bool(i % 3)), ("value", bool(i % 5))) * (i + 1))
    assert len(table._orders) <= SORT_ORDERS_KEPT


@pytest.mark.parametrize("args,word", [({"sortby": "-colour"}, "sortby"),
                                       ({"properties": "city,colour"}, "properties"),
                                       ({"skipGeometry": "yes"}, "skipGeometry")])
def test_bad_sortby_properties_and_skip_geometry_are_400(service, args, word):
    with pytest.raises(OGCError) as exc:
        service.items(BASE, "pts", args)
    assert exc.value.status == 400 and word in exc.value.en


def test_properties_and_skip_geometry_on_items_and_item(service):
    fc = _fc(service.items(BASE, "pts", {"properties": "rank,city", "skipGeometry": "true"}))
    assert fc["features"][0]["geometry"] is None
    assert fc["features"][0]["properties"] == {"rank": 0, "city": "郑州市"}
    assert _fc(service.items(BASE, "pts", {"properties": ""}))["features"][0]["properties"] == {}
    assert _fc(service.items(BASE, "pts", {"skipGeometry": "FALSE"}))["features"][0]["geometry"]
    text, _, props = service.item(BASE, "pts", "p3", {"properties": "value", "skipGeometry": "true"})
    feature = json.loads(text)
    assert feature["geometry"] is None and feature["properties"] == props == {"value": 0.125}
    assert "skipGeometry=true" in feature["links"][0]["href"]


def test_mixed_polygons_and_multipolygons_are_served_as_multipolygons(stamp):
    shapes = [shapely.box(113, 34, 113.1, 34.1),
              shapely.MultiPolygon([shapely.box(114, 34, 114.1, 34.1), shapely.box(115, 34, 115.1, 34.1)]),
              None]
    frame = gpd.GeoDataFrame({"id": ["a", "b", "c"], "city": ["郑州市"] * 3}, geometry=shapes, crs=4490)
    svc = OGCService([Collection("mixed", "混合", "Mixed", "", "", "id", load=lambda: frame,
                                 stamp=lambda: 1)])
    fc = _fc(svc.items(BASE, "mixed", {}))
    assert [f["geometry"] and f["geometry"]["type"] for f in fc["features"]] \
        == ["MultiPolygon", "MultiPolygon", None]
    assert fc["features"][0]["geometry"]["coordinates"][0][0][0] == [113.1, 34.0]
    assert svc.queryables(BASE, "mixed", "en")["properties"]["geometry"]["format"] \
        == "geometry-multipolygon"
    assert svc.table("mixed").geometry_type == "MultiPolygon"


def test_openapi_has_a_schema_for_every_response(service):
    doc = openapi(service, BASE)
    schemas = doc["components"]["schemas"]
    assert {"landingPage", "confClasses", "collections", "collection", "featureCollectionGeoJSON",
            "featureGeoJSON", "exception", "queryables"} <= set(schemas)
    for path, operations in doc["paths"].items():
        for op in operations.values():
            for code, resp in op["responses"].items():
                assert resp["content"], (path, code)
                for media in resp["content"].values():
                    ref = media["schema"].get("$ref")
                    assert ref is None or ref.rsplit("/", 1)[-1] in schemas, (path, code, ref)
    items = doc["paths"]["/collections/pts/items"]["get"]
    assert items["responses"]["200"]["content"]["application/geo+json"]["schema"] == {
        "$ref": "#/components/schemas/featureCollectionGeoJSON"}
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1]: p for p in items["parameters"]}
    assert {"sortby", "properties", "skipGeometry", "datetime"} <= set(names)
    assert "-rank" in names["sortby"]["schema"]["items"]["enum"]
    assert names["properties"]["explode"] is False
