"""Maps of the views: a park's surroundings, and target against actual per park and per city."""

import folium
import pandas as pd
import pytest

from layers.web.offline import map_parts
from layers.web.views import STATUS_COLOURS, monitor_legend, monitor_map, park_map, symbol_radius
from parks.actuals import COLUMNS, metrics
from parks.catalog import Catalog
from parks.monitoring import compare
from parks.nearby import nearby


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def test_park_map_shows_the_park_and_its_neighbours(catalog):
    near = nearby(catalog, "park-04")
    script = map_parts(park_map(catalog, "park-04", near, lang="zh"))["script"]
    for fid in ("park-04:footprint", "park-04:marker", "proj-08:marker", "zone-02:footprint"):
        assert f'"{fid}"' in script
    assert '"fox-01:marker"' not in script  # far away: not drawn
    assert "fitBounds" in script and "$(" not in script


def test_unlocated_park_has_no_map(catalog):
    assert park_map(catalog, "park-09", nearby(catalog, "park-09"), lang="zh") is None


RECORDED = pd.DataFrame([["park-04", 2013, "built_up_km2", 5.2, "sourced", "2013年<调查>", "p", None],
                         ["park-06", 2013, "built_up_km2", 3.0, "sourced", "洛阳统计年鉴", "p", None]],
                        columns=COLUMNS)


def comparison(catalog, level, metric="built_up_km2"):
    return compare(metrics()[metric], 2013, level, parks=catalog.layer("parks"), zones=catalog.layer("zones"),
                   clusters=catalog.layer("clusters"), cities=catalog.boundaries("city", 0), actuals=RECORDED)


def drawn(m) -> dict[str, dict]:
    """The features of the map's target-and-actual layer, by id."""
    layer = [c for c in m._children.values() if isinstance(c, folium.GeoJson)][-1]  # over the boundaries
    return {f["id"]: f["properties"] for f in layer.data["features"]}


def test_monitor_map_draws_parks_coloured_by_how_they_stand_with_target_and_actual_in_popups(catalog):
    m = monitor_map(catalog, comparison(catalog, "park"), lang="zh",
                    detail_url=lambda layer, fid: f"/parks/{fid}")
    parks = drawn(m)
    assert len(parks) == 8  # the located slots; the others are listed in the table, not drawn
    p4, p6, p1 = parks["park-04"], parks["park-06"], parks["park-01"]
    assert p4["style"]["fillColor"] == STATUS_COLOURS["met"] and p4["style"]["className"] == "area-park-04"
    assert p6["style"]["fillColor"] == STATUS_COLOURS["below"]  # 3 < 4.06
    assert p1["style"]["fillColor"] == STATUS_COLOURS["not_recorded"] and p1["style"]["dashArray"] == "3 3"
    assert p4["style"]["radius"] == 28.0 and p6["style"]["radius"] < 28.0  # area ∝ the larger figure
    popup = p4["popup"]
    assert "5.2 km²" in popup and "4.06 km²" in popup and "+1.14 km²" in popup and "128%" in popup
    assert "basis-sourced" in popup and "basis-derived" in popup and "达到目标" in popup
    assert "2013年&lt;调查&gt;" in popup and "<调查>" not in popup  # the source, escaped
    assert "/parks/park-04" in popup
    assert "−1.06 km²" in p6["popup"] and "低于目标" in p6["popup"]
    assert "$(" not in map_parts(m)["script"]


def test_monitor_map_colours_cities_and_speaks_english_in_english(catalog):
    cities = drawn(monitor_map(catalog, comparison(catalog, "city"), lang="en"))
    assert len(cities) == 18
    luoyang = cities["洛阳市"]
    assert luoyang["style"]["fillColor"] == STATUS_COLOURS["met"]  # 8.2 ≥ 8.125, both parks recorded
    popup = luoyang["popup"]
    assert "Luoyang" in popup and "target met" in popup and "目标" not in popup
    assert cities["南阳市"]["style"]["fillColor"] == STATUS_COLOURS["nothing"]
    html = monitor_legend(comparison(catalog, "city"), "en")
    assert "2013: actual against target" in html and "below target" in html and "Circle area" not in html
    assert "Circle area" in monitor_legend(comparison(catalog, "park"), "en")


def test_symbols_scale_by_area():
    assert symbol_radius(313, 313) == 28.0
    assert symbol_radius(313 / 4, 313) == pytest.approx(14.0)
