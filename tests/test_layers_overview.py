"""The overview map: offline assets, one footprint and one marker per located park, candidate
labels, precision-dependent markers, escaped popups that carry basis and precision."""

import re

import pandas as pd
import pytest

from layers.legend import layer_swatch, legend_html
from layers.web.offline import OfflineMap, map_parts
from layers.web.overview import (
    build_overview,
    feature_collection,
    filter_options,
    label_directions,
    thematic_layer,
)
from layers.web.popups import popup_html
from parks.actuals import COLUMNS, with_actuals
from parks.catalog import Catalog


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


@pytest.fixture(scope="module")
def overview(catalog):
    m, config = build_overview(catalog, lang="zh", boundary_url="/api/layers/boundaries",
                               detail_url=lambda layer, fid: f"/parks/{fid}" if layer == "parks" else None)
    return map_parts(m), config


def test_map_loads_leaflet_from_the_app_and_nothing_else(overview):
    parts, _ = overview
    header = parts["header"]
    assert '<script src="/vendor/leaflet/leaflet.js">' in header
    assert 'href="/vendor/leaflet/leaflet.css"' in header
    everything = header + parts["html"] + parts["script"]
    assert not re.search(r'(src|href)="(https?:)?//', everything)
    for lib in ("jquery", "bootstrap", "awesome-markers", "glyphicons", "cdn"):
        assert lib not in everything.lower()
    assert "$(" not in parts["script"]  # folium.Popup needs jQuery: never used


def test_vendor_base_follows_the_mount_point():
    parts = map_parts(OfflineMap(vendor_base="/atlas/vendor"))
    assert '<script src="/atlas/vendor/leaflet/leaflet.js">' in parts["header"]


def test_config_names_every_layer_and_boundary_level(overview):
    parts, config = overview
    names = [layer["name"] for layer in config["layers"]]
    assert names == ["zones", "parks", "clusters", "projects", "foxconn"]
    assert [b["level"] for b in config["boundaries"]] == ["province", "city", "county"]
    for layer in config["layers"] + config["boundaries"]:
        assert f"var {layer['var']} = L.geoJson" in parts["script"]
    assert config["boundaries"][0]["url"] == "/api/layers/boundaries?level=province"
    assert '"features": []' in parts["script"]  # boundaries are fetched, not inlined
    tolerances = [tol for _, tol in config["tolerances"]]
    assert tolerances == sorted(tolerances, reverse=True)


def test_parks_have_a_footprint_and_a_marker_each_unlocated_ones_none(catalog):
    parks = catalog.layer("parks")
    fc, styles = feature_collection("parks", parks, "zh")
    located = parks[parks.geometry.notna()]["id"]
    roles = {(f["properties"]["id"], f["properties"]["role"]) for f in fc["features"]}
    assert roles == {(i, r) for i in located for r in ("footprint", "marker")}
    assert "park-09" not in {i for i, _ in roles}  # candidate without a location: listed, not drawn
    assert set(styles) == {f["id"] for f in fc["features"]}
    footprint = styles["park-01:footprint"]
    assert footprint["dashArray"]  # schematic footprints are dashed


def test_candidate_markers_are_labelled_candidate_in_both_languages(catalog):
    parks = catalog.layer("parks")
    for lang, word in (("zh", "候选"), ("en", "Candidate")):
        fc, _ = feature_collection("parks", parks, lang)
        markers = [f for f in fc["features"] if f["properties"]["role"] == "marker"]
        assert len(markers) == 8
        assert all(f["properties"]["label"].startswith(word) for f in markers)
        assert all(f["properties"]["label_dir"] in ("right", "left", "top", "bottom") for f in markers)
    rendered = map_parts(_one_layer_map("parks", parks))["script"]
    assert "bindTooltip(p.label" in rendered and "permanent: true" in rendered


def _one_layer_map(name, gdf):
    m = OfflineMap()
    fc, styles = feature_collection(name, gdf, "zh")
    thematic_layer(name, fc, styles, "zh").add_to(m)
    return m


def test_seat_precision_points_look_different_from_plant_coordinates(catalog):
    _, styles = feature_collection("foxconn", catalog.layer("foxconn"), "zh")
    plant = styles["fox-01:marker"]          # site: plant EIA coordinate
    seat = styles["fox-07:marker"]           # county seat (西华县)
    assert plant["fillOpacity"] > 0.5 and plant["dashArray"] is None
    assert seat["fillOpacity"] == 0 and seat["dashArray"]
    assert seat["radius"] > plant["radius"]


def test_popup_carries_basis_precision_and_source_and_escapes(catalog):
    park = catalog.layer("parks").iloc[2].to_dict()  # 许昌, city seat precision
    html = popup_html("parks", park, "zh", detail_url="/parks/park-03")
    assert "basis-derived" in html and "推算" in html and "规划总量 ÷ 16" in html
    assert "市驻地" in html and "非厂址" in html
    assert "basis-schematic" in html
    assert "gazetteer" in html  # the source list
    assert 'href="/parks/park-03"' in html
    en = popup_html("parks", park, "en")
    assert "derived" in en and "plan total ÷ 16" in en and "city seat" in en
    hostile = popup_html("projects", {**catalog.layer("projects").iloc[0].to_dict(),
                                      "name_zh": "<script>alert(1)</script>"}, "zh")
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


def test_label_directions_keep_close_labels_apart():
    dirs = label_directions([("a", 112.37, 34.64, "候选 · 洛阳高新区"), ("b", 112.45, 34.62, "候选 · 洛阳")])
    assert dirs["a"] != dirs["b"] or dirs["a"] in ("top", "bottom")
    far = label_directions([("a", 112.0, 34.0, "x"), ("b", 116.0, 33.0, "y")])
    assert far == {"a": "right", "b": "right"}


def test_filter_options_come_from_the_drawn_features(catalog):
    zh = filter_options(catalog, "zh")
    assert ("洛阳市", "洛阳市") in zh["city"]
    assert ("新材料", "新材料") in zh["sector"]
    assert "智能终端" in dict(zh["industry"])
    en = filter_options(catalog, "en")
    assert ("洛阳市", "Luoyang") in en["city"]
    assert dict(en["industry"])["智能终端"] == "Smart terminals"


def test_legend_explains_precision_and_every_layer_has_a_swatch():
    html = legend_html("zh", sections=("precision",))
    assert "厂址坐标" in html and "县/市驻地" in html and "stroke-dasharray" in html
    assert html.count("<svg") == 3
    assert layer_swatch("projects", "zh").count("<circle") == 4
    for name in ("parks", "zones", "foxconn", "clusters", "province", "city", "county"):
        assert layer_swatch(name, "en").startswith("<svg")


def test_every_map_says_plain_leaflet_draws_a_metric_scale_and_lets_phones_zoom_the_page():
    parts = map_parts(OfflineMap(control_scale=True))
    assert '.attributionControl.setPrefix("Leaflet");' in parts["script"]
    assert "L.control.scale({metric: true, imperial: false})" in parts["script"]
    assert "L.control.scale()" not in parts["script"]  # Folium's own, with miles
    assert "user-scalable=no" not in parts["header"]  # the page's viewport tag stands
    assert "L.control.scale" not in map_parts(OfflineMap())["script"]


def test_english_popups_keep_chinese_data_marked_and_use_english_punctuation(catalog):
    punctuation = re.compile(r"[，。；：、（）《》！？]")
    for layer in ("parks", "zones", "foxconn", "projects", "clusters"):
        for row in catalog.layer(layer).to_dict("records"):  # unlocated rows too (feature API)
            html = popup_html(layer, row, "en")
            chrome = re.sub(r"<[^>]+>", " ", re.sub(r'<span lang="(zh|en)">.*?</span>', " ", html))
            assert not punctuation.search(chrome), (layer, row["id"], chrome)
    zone = catalog.layer("zones").set_index("id").loc["zone-07"].to_dict()
    assert '<span class="tag original">Chinese original</span> <span lang="zh">有争议' in popup_html(
        "zones", zone, "en")


def test_popups_show_recorded_actuals_with_their_basis_and_source(catalog):
    actuals = pd.DataFrame([["park-01", 2013, "built_up_km2", 5.2, "measured", "2013 年土地变更调查",
                             "planner", None]], columns=COLUMNS)
    park = with_actuals(catalog.layer("parks"), actuals).set_index("id").loc["park-01"].to_dict()
    html = popup_html("parks", park, "zh")
    assert ('3.13 <span class="basis basis-derived">推算</span> → 5.2 km² '
            '<span class="basis basis-measured">实测</span>') in html
    assert "2013 年建成面积 5.2 km²（实测：2013 年土地变更调查）" in html
    assert "推算方法" in html and "4.06" not in html  # 2012 is still the derived share
    plain = popup_html("parks", catalog.layer("parks").set_index("id").loc["park-01"].to_dict(), "zh")
    assert "3.13 → 4.06 km²" in plain and "实际数字" not in plain
    m, _ = build_overview(catalog, lang="en", boundary_url="/api/layers/boundaries", actuals=actuals)
    script = map_parts(m)["script"]  # the popups are inside the layer's GeoJSON, JSON-escaped
    assert '5.2 km\\u00b2 \\u003cspan class=\\"basis basis-measured\\"\\u003emeasured' in script
