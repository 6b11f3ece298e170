"""The framework-free OGC API core: paging, filters, CRS and axis order, errors, OpenAPI."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crs_ogc import CRS84, EPSG_URI
from layers.ogc.features import Collection, OGCService, catalog_collections
from layers.ogc.openapi import openapi
from layers.ogc.params import CRS_LIST, MAX_LIMIT, STORAGE_CRS, OGCError
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
    lons = shapely.get_x(service.table("pts").geoms[lonlat.rows])
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
