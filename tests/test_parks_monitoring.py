"""parks.monitoring: targets per park, city, zone and cluster, actuals against them, the gap,
totals and the province against the plan."""

import pandas as pd
import pytest

from parks.actuals import COLUMNS, metrics
from parks.catalog import Catalog
from parks.monitoring import compare, status


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def recorded(*rows) -> pd.DataFrame:
    return pd.DataFrame([[a, y, m, v, "sourced", s, "planner", None] for a, y, m, v, s in rows],
                        columns=COLUMNS)


def run(catalog, level, actuals, metric="built_up_km2", year=2013):
    return compare(metrics()[metric], year, level, parks=catalog.layer("parks"), zones=catalog.layer("zones"),
                   clusters=catalog.layer("clusters"), cities=catalog.boundaries("city", 0), actuals=actuals)


FIGURES = recorded(("park-04", 2013, "built_up_km2", 5.2, "2013年土地变更调查"),
                   ("park-06", 2013, "built_up_km2", 3.0, "洛阳统计年鉴2014"),
                   ("province", 2013, "built_up_km2", 61.5, "省发改委通报"),
                   ("clu-09", 2013, "built_up_km2", 1.2, "新乡年报"),
                   ("park-04", 2012, "built_up_km2", 9.9, "other year"),
                   ("park-01", 2013, "revenue_yi", 99.0, "other metric"))


def test_parks_get_an_even_share_of_the_plan_and_their_recorded_actual(catalog):
    c = run(catalog, "park", FIGURES)
    rows = c["rows"].set_index("id")
    assert len(rows) == 16
    assert rows["target"].tolist() == pytest.approx([65 / 16] * 16)
    assert set(rows["target_basis"]) == {"derived"}
    p4, p6 = rows.loc["park-04"], rows.loc["park-06"]
    assert (p4["actual"], p4["actual_basis"], p4["source"]) == (5.2, "sourced", "2013年土地变更调查")
    assert p4["gap"] == pytest.approx(5.2 - 65 / 16) and p4["status"] == "met"
    assert p6["gap"] == pytest.approx(3.0 - 65 / 16) and p6["status"] == "below"
    assert rows.loc["park-01", "status"] == "not_recorded" and pd.isna(rows.loc["park-01", "actual"])
    total = c["total"]
    assert total["target"] == pytest.approx(65) and total["actual"] == pytest.approx(8.2)
    assert (total["recorded"], total["count"]) == (2, 16)
    assert total["target_recorded"] == pytest.approx(2 * 65 / 16)
    assert total["gap"] == pytest.approx(8.2 - 2 * 65 / 16)
    province = c["province"]
    assert (province["target"], province["target_basis"], province["actual"]) == (65, "plan", 61.5)
    assert province["gap"] == pytest.approx(-3.5) and province["status"] == "below"
    assert province["source"] == "省发改委通报"


def test_a_second_batch_park_with_a_figure_is_listed_without_a_target(catalog):
    rows = run(catalog, "park", recorded(("park-b2-1", 2013, "built_up_km2", 2.0, "s")))["rows"]
    row = rows.set_index("id").loc["park-b2-1"]
    assert pd.isna(row["target"]) and row["status"] == "no_target" and len(rows) == 17


def test_cities_add_up_their_parks_targets_and_sum_actuals_only_when_complete(catalog):
    c = run(catalog, "city", FIGURES)
    rows = c["rows"].set_index("id")
    assert len(rows) == 18
    assert rows.loc["洛阳市", "parts"] == ["park-04", "park-06"]
    assert rows.loc["洛阳市", "target"] == pytest.approx(2 * 65 / 16)
    assert rows.loc["洛阳市", "actual"] == pytest.approx(8.2)  # both parks recorded
    assert rows.loc["洛阳市", "source"].startswith("Σ park-04: 2013年土地变更调查")
    assert pd.isna(rows.loc["郑州市", "actual"])  # neither of its two parks recorded
    assert pd.isna(rows.loc["南阳市", "target"]) and rows.loc["南阳市", "status"] == "nothing"
    assert c["total"]["unassigned"]["count"] == 8
    assert c["total"]["target"] + c["total"]["unassigned"]["target"] == pytest.approx(65)
    own = run(catalog, "city",
              pd.concat([FIGURES, recorded(("洛阳市", 2013, "built_up_km2", 7.0, "市统计局"))]))
    assert own["rows"].set_index("id").loc["洛阳市", "actual"] == 7.0  # the city's own figure wins


def test_zones_and_clusters_have_no_plan_target(catalog):
    clusters = run(catalog, "cluster", FIGURES)["rows"].set_index("id")
    assert clusters["target"].isna().all()
    assert clusters.loc["clu-09", "actual"] == 1.2 and clusters.loc["clu-09", "status"] == "no_target"
    zones = run(catalog, "zone", FIGURES)
    assert len(zones["rows"]) == 12 and zones["total"]["actual"] is None and zones["total"]["gap"] is None


def test_a_metric_without_plan_target_and_a_year_beyond_the_plan(catalog):
    firms = run(catalog, "park", recorded(("park-02", 2013, "enterprises", 40, "s")), metric="enterprises")
    assert firms["rows"]["target"].isna().all() and firms["province"]["target"] is None
    later = run(catalog, "park", recorded(("park-02", 2015, "built_up_km2", 6, "s")), year=2015)
    assert later["rows"]["target"].isna().all() and later["total"]["recorded"] == 1


def test_status_of_a_row():
    assert status(4.0, 5.0) == "met" and status(4.0, 4.0) == "met" and status(4.0, 3.9) == "below"
    assert status(None, 1.0) == "no_target" and status(4.0, float("nan")) == "not_recorded"
    assert status(None, None) == "nothing"
