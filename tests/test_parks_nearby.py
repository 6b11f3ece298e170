"""What lies inside or near a park, measured in the park's Gauss–Krüger zone."""

import pytest

from parks.catalog import Catalog
from parks.nearby import nearby, park_record


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def test_features_inside_the_footprint_and_nearby_zone(catalog):
    near = nearby(catalog, "park-04")  # 洛阳 725 所 candidate
    rows = near.set_index("id")
    assert rows.loc["proj-08", "in_footprint"] and rows.loc["proj-08", "distance_km"] == 0
    assert rows.loc["proj-08", "layer"] == "projects"
    assert not rows.loc["zone-02", "in_footprint"]
    assert 4 < rows.loc["zone-02", "distance_km"] < 5  # 洛阳高新区's schematic circle
    assert list(near["distance_km"]) == sorted(near["distance_km"])
    assert "park-04" not in set(near["id"])


def test_radius_limits_what_is_found(catalog):
    assert len(nearby(catalog, "park-04", radius_km=1)) < len(nearby(catalog, "park-04", radius_km=10))
    assert "park-06" in set(nearby(catalog, "park-04", radius_km=10)["id"])  # the other Luoyang candidate


def test_foxconn_campus_lies_in_the_airport_candidate(catalog):
    near = nearby(catalog, "park-01")
    assert {"fox-01", "fox-02", "fox-03"} <= set(near.loc[near["in_footprint"], "id"])


def test_unlocated_park_has_no_neighbours_and_unknown_park_raises(catalog):
    assert nearby(catalog, "park-09").empty
    with pytest.raises(KeyError):
        nearby(catalog, "park-99")
    with pytest.raises(KeyError):
        park_record(catalog, "nope")
