"""Maps of the views: a park's surroundings, built-up footprints, revenue choropleth and symbols."""

import pytest

from layers.web.offline import map_parts
from layers.web.views import built_up_map, park_map, revenue_legend, revenue_map, symbol_radius
from parks.catalog import Catalog
from parks.nearby import nearby
from parks.summary import cluster_revenue, revenue_by_city


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


def test_built_up_map_draws_2012_and_2013_footprints(catalog):
    script = map_parts(built_up_map(catalog, lang="en"))["script"]
    assert "2012 derived built-up area (schematic)" in script
    assert script.count('"a12_km2": 3.125') == 8  # one inner circle per located candidate


def test_revenue_map_colours_cities_and_sizes_sourced_clusters(catalog):
    by_city = revenue_by_city(catalog.layer("parks"), catalog.boundaries("city", 0))["cities"]
    clusters = cluster_revenue(catalog.layer("clusters"))
    script = map_parts(revenue_map(catalog, by_city, clusters, year=2013, lang="zh"))["script"]
    assert '"fillColor": "#d7301f"' in script   # 洛阳, 郑州: the top class (375 亿元)
    assert '"fillColor": "#eeeeee"' in script   # no candidate park
    assert '"radius": 28.0' in script  # the largest sourced cluster (313 亿元)
    assert f'"radius": {symbol_radius(163.1, 313)}' in script
    assert "$(" not in script


def test_symbols_scale_by_area_and_legend_states_basis():
    assert symbol_radius(313, 313) == 28.0
    assert symbol_radius(313 / 4, 313) == pytest.approx(14.0)
    html = revenue_legend(375, 313, 2013, "en")
    assert "no candidate park" in html and "281.3–375" in html and "sourced" in html
