"""Built-up area and revenue aggregates: derived shares add up to the plan, nothing dropped."""

import pytest

from parks.catalog import Catalog
from parks.summary import built_up, cluster_revenue, revenue_by_city, slot_groups, unlocated


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def test_slots_split_into_located_unlocated_and_unidentified(catalog):
    groups = slot_groups(catalog.layer("parks"))
    assert {k: len(g) for k, g in groups.items()} == {"located": 8, "unlocated": 1, "unidentified": 7}
    assert list(groups["unlocated"]["id"]) == ["park-09"]


def test_built_up_groups_add_up_to_the_plan_50_and_65_km2(catalog):
    b = built_up(catalog.layer("parks"))
    assert (b["plan"][2012], b["plan"][2013]) == (50, 65) and b["plan"]["basis"] == "plan"
    for year in (2012, 2013):
        assert sum(g[year] for g in b["groups"].values()) == pytest.approx(b["plan"][year])
    assert b["groups"]["located"][2013] == pytest.approx(8 * 65 / 16)
    assert b["basis"] == "derived" and "÷ 16" in b["rule"][0]
    assert len(b["rows"]) == 16  # the second batch has no figures and is not a slot


def test_revenue_by_city_locates_parks_spatially_and_states_the_unassigned_share(catalog):
    r = revenue_by_city(catalog.layer("parks"), catalog.boundaries("city", 0))
    cities = r["cities"].set_index("city")
    assert len(cities) == 18
    assert cities.loc["洛阳市", "parks"] == 2 and cities.loc["洛阳市", "rev13_yi"] == pytest.approx(375)
    assert cities.loc["商丘市", "park_ids"] == ["park-07"]  # 永城 lies in 商丘市
    assert cities.loc["南阳市", "parks"] == 0
    assert r["unassigned"]["count"] == 8 and r["unassigned"][2013] == pytest.approx(1500)
    for year, col in ((2012, "rev12_yi"), (2013, "rev13_yi")):
        total = cities[col].sum() + r["unassigned"][year]
        assert total == pytest.approx(r["plan"][year])
    assert (r["plan"][2012], r["plan"][2013]) == (1600, 3000)
    assert r["outside_ids"] == []


def test_cluster_revenue_lists_every_cluster_sourced_figures_first(catalog):
    c = cluster_revenue(catalog.layer("clusters"))
    assert len(c) == 12
    assert list(c["id"][:2]) == ["clu-09", "clu-03"]
    assert c.loc[0, "rev_yi"] == 313 and c.loc[0, "rev_basis"] == "sourced"
    assert not c.loc[c["id"] == "clu-11", "located"].iloc[0]


def test_unlocated_lists_features_without_geometry(catalog):
    u = unlocated(catalog, ("parks", "projects", "zones"))
    assert {"park-09", "park-16", "park-b2-5", "proj-07", "zone-08"} <= set(u["id"])
    assert "park-01" not in set(u["id"])


def test_recorded_actuals_replace_derived_shares_and_carry_basis_and_source(catalog):
    import pandas as pd

    from parks.actuals import COLUMNS

    recorded = pd.DataFrame([[a, 2013, m, v, "sourced", s, "p", None] for a, m, v, s in (
        ("park-04", "built_up_km2", 5.0, "2013年土地变更调查"),
        ("park-09", "built_up_km2", 2.0, "国药集团年报"),
        ("park-06", "revenue_yi", 100.0, "洛阳统计年鉴"))], columns=COLUMNS)
    b = built_up(catalog.layer("parks"), actuals=recorded)
    assert b["groups"]["located"][2013] == pytest.approx(7 * 65 / 16 + 5.0)
    assert b["groups"]["located"]["recorded"] == {2012: 0, 2013: 1}
    assert b["groups"]["unlocated"][2013] == 2.0 and b["groups"]["unlocated"]["recorded"][2013] == 1
    row = b["rows"].set_index("id").loc["park-04"]
    assert (row["a13_km2"], row["a13_km2_basis"]) == (5.0, "sourced")
    assert row["a13_km2_src"] == "2013年土地变更调查"
    assert row["a12_km2_basis"] == "derived"
    r = revenue_by_city(catalog.layer("parks"), catalog.boundaries("city", 0), actuals=recorded)
    luoyang = r["cities"].set_index("city").loc["洛阳市"]
    assert luoyang["rev13_yi"] == pytest.approx(3000 / 16 + 100) and luoyang["recorded13"] == 1
    assert luoyang["recorded12"] == 0
