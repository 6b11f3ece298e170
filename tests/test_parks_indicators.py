"""Intensive-use indicators of an area from hand-built survey patches and supply parcels."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import Point, box

from parks import indicators as ind
from parks import provenance as pv

GRS80 = Geod(ellps="GRS80")
# an area near Zhengzhou: a ~2.2 km disc (a candidate park's schematic circle is one, too)
AREA = Point(113.60, 34.75).buffer(0.02, quad_segs=32)


def geodesic_m2(geom) -> float:
    """The independent reference: pyproj.Geod on each polygon of ``geom`` (no code under test)."""
    return sum(abs(GRS80.geometry_area_perimeter(g)[0]) for g in getattr(geom, "geoms", [geom])
               if g.geom_type == "Polygon")


def patch(x0, y0, x1, y1, code, group, *, industrial=False, cultivated=False, tbmj=None, kcmj=0.0):
    geom = box(x0, y0, x1, y1)
    tbmj = geodesic_m2(geom) if tbmj is None else tbmj
    return {"BSM": f"{code}-{x0}-{y0}", "DLBM": code, "land_group": group, "is_industrial": industrial,
            "is_cultivated": cultivated, "TBMJ": tbmj, "KCMJ": kcmj, "TBDLMJ": tbmj - kcmj,
            "geometry": geom}


@pytest.fixture
def patches() -> gpd.GeoDataFrame:
    rows = [
        # construction land wholly inside, crossing the boundary, and outside
        patch(113.595, 34.745, 113.600, 34.750, "0601", ind.CONSTRUCTION, industrial=True),
        patch(113.600, 34.745, 113.610, 34.755, "0701", ind.CONSTRUCTION),
        patch(113.610, 34.760, 113.630, 34.775, "0601", ind.CONSTRUCTION, industrial=True),
        patch(113.650, 34.750, 113.660, 34.760, "05H1", ind.CONSTRUCTION),  # outside
        # cultivated land with 10 % field ridges, crossing the boundary
        patch(113.570, 34.735, 113.590, 34.748, "0103", ind.AGRICULTURAL, cultivated=True),
        patch(113.585, 34.760, 113.600, 34.765, "0301", ind.AGRICULTURAL),
        patch(113.600, 34.735, 113.605, 34.740, "1204", ind.UNUSED),
    ]
    rows[4]["KCMJ"] = 0.1 * rows[4]["TBMJ"]
    rows[4]["TBDLMJ"] = 0.9 * rows[4]["TBMJ"]
    return gpd.GeoDataFrame(rows, crs=4490)


def supply_frame(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        [{"parcel_id": f"GD{i}", "use": use, "method": how, "supplied_on": date, "area_m2": 0.0, "far": far,
          "geometry": geom} for i, (geom, use, how, date, far) in enumerate(rows)], crs=4490)


def by_key(result: dict) -> dict:
    return {i["key"]: i for i in result["indicators"]}


def test_construction_land_within_0_1_percent_of_an_independent_ellipsoidal_overlay(patches):
    result = ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                 supply=None, recorded={})
    construction = patches[patches["land_group"] == ind.CONSTRUCTION]
    expected = sum(geodesic_m2(shapely.intersection(g, AREA)) for g in construction.geometry)
    got = by_key(result)["construction_m2"]
    assert expected > 500_000  # the case is not trivially small
    assert got["value"] == pytest.approx(expected, rel=1e-3)
    assert got["basis"] == pv.MEASURED and got["data_date"] == "2019-12-31"
    industrial = sum(geodesic_m2(shapely.intersection(g, AREA))
                     for g in construction[construction["is_industrial"]].geometry)
    assert by_key(result)["industrial_m2"]["value"] == pytest.approx(industrial, rel=1e-3)
    assert by_key(result)["built_up_km2"]["value"] == pytest.approx(expected / 1e6, rel=1e-3)
    rate = by_key(result)["industrial_land_rate"]
    assert rate["value"] == pytest.approx(100 * industrial / expected, rel=1e-3)
    assert rate["unit"] == "%" and "工业用地面积" in rate["formula"]
    assert [i["key"] for i in rate["inputs"]] == ["industrial_m2", "construction_m2"]


def test_cultivated_land_is_net_of_field_ridges(patches):
    result = ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                 supply=None, recorded={})
    field = patches[patches["is_cultivated"]].geometry.iloc[0]
    expected = 0.9 * geodesic_m2(shapely.intersection(field, AREA))
    assert by_key(result)["cultivated_m2"]["value"] == pytest.approx(expected, rel=1e-3)
    # every m² inside the area is in one group: the ridges are counted as other (unused) land
    covered = sum(geodesic_m2(shapely.intersection(g, AREA)) for g in patches.geometry)
    assert sum(result["land_use"].values()) == pytest.approx(covered, rel=1e-3)


def test_ratios_without_their_inputs_are_null_with_the_reason(patches):
    result = by_key(ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                        supply=None, recorded={}))
    for key in ("land_development_rate", "land_supply_rate", "building_density"):
        assert result[key]["value"] is None and result[key]["basis"] == pv.NONE
        assert result[key]["reason_zh"] and result[key]["reason_en"]
    assert "已达到供地条件" in result["land_development_rate"]["reason_zh"]
    assert "buildings layer" in result["building_density"]["reason_en"]
    assert "供地数据" in result["land_built_rate"]["reason_zh"]
    assert "2019" in result["revenue_per_km2"]["reason_zh"]
    assert "even split" in result["revenue_per_km2"]["reason_en"]


def test_supply_ratios_and_floor_area_from_contract_far(patches):
    inside = box(113.596, 34.746, 113.604, 34.752)  # over the industrial patch and the housing
    later = box(113.590, 34.752, 113.595, 34.756)
    supply = supply_frame([(inside, "工业用地", "出让", "2015-06-01", 1.2),
                           (later, "工业用地", "出让", "2021-03-01", 2.0)])  # after 2019: left out
    result = ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                 supply=supply, recorded={})
    got = by_key(result)
    supplied = geodesic_m2(inside)
    built = sum(geodesic_m2(shapely.intersection(g, inside))
                for g in patches[patches["land_group"] == ind.CONSTRUCTION].geometry)
    assert result["inputs"]["supplied_m2"].value == pytest.approx(supplied, rel=1e-3)
    assert result["inputs"]["supplied_m2"].data_date == "2019-12-31"
    assert result["inputs"]["supplied_m2"].detail["latest_supplied_on"] == "2015-06-01"
    assert got["land_built_rate"]["value"] == pytest.approx(100 * built / supplied, rel=1e-3)
    assert got["composite_far"]["value"] == pytest.approx(
        1.2 * supplied / got["construction_m2"]["value"], rel=1e-3)
    assert got["industrial_far"]["basis"] == pv.MEASURED
    # the same land supplied twice (allocated, then sold) is counted once
    twice = supply_frame([(inside, "工业用地", "划拨", "2010-01-01", 1.2),
                          (inside, "工业用地", "出让", "2015-06-01", 1.2)])
    again = ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                supply=twice, recorded={})
    assert again["inputs"]["supplied_m2"].value == pytest.approx(supplied, rel=1e-3)
    assert by_key(again)["land_built_rate"]["value"] == pytest.approx(100 * built / supplied, rel=1e-3)
    # one parcel without a FAR empties both floor-area ratios, with the count
    supply.loc[0, "far"] = None
    got = by_key(ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                     supply=supply, recorded={}))
    assert got["composite_far"]["value"] is None
    assert "1 宗没有容积率" in got["composite_far"]["reason_zh"]


def test_economy_uses_recorded_figures_and_takes_their_basis(patches):
    recorded = {"revenue_yi": {"value": 50.0, "basis": pv.SOURCED, "source": "统计年鉴 2020"},
                "investment_yi": None}
    got = by_key(ind.area_indicators(AREA, geom_basis=pv.SCHEMATIC, year=2019, patches=patches,
                                     supply=None, recorded=recorded))
    km2 = got["built_up_km2"]["value"]
    assert got["revenue_per_km2"]["value"] == pytest.approx(50.0 / km2, rel=1e-6)
    assert got["revenue_per_km2"]["basis"] == pv.SOURCED  # the weaker of sourced and measured
    assert got["investment_per_mu"]["value"] is None


def test_an_unlocated_area_has_no_figures_and_says_why(patches):
    result = ind.area_indicators(None, geom_basis=pv.NONE, year=2019, patches=patches.iloc[:0],
                                 supply=None, recorded={})
    got = by_key(result)
    assert all(i["value"] is None for i in result["indicators"])
    assert "未定位" in got["construction_m2"]["reason_zh"]


def test_definitions_are_data():
    defs = ind.definitions()
    ratios = [d.key for d in defs.values() if d.kind == "ratio"]
    assert {"land_development_rate", "land_supply_rate", "land_built_rate", "industrial_land_rate",
            "composite_far", "building_density", "industrial_far"} <= set(ratios)
    for d in defs.values():
        assert d.name_zh and d.name_en and d.formula_zh and d.ref_zh and d.ref_en
        for k in (d.numerator, d.denominator):
            assert not k or k in defs


def test_measured_figures_outrank_recorded_ones_of_the_same_area_year_and_metric():
    import pandas as pd

    from parks.actuals import COLUMNS
    from parks.measured import combine

    recorded = pd.DataFrame([["park-01", 2019, "built_up_km2", 5.0, pv.SOURCED, "年鉴", "li", None],
                             ["park-01", 2013, "built_up_km2", 4.8, pv.SOURCED, "年鉴", "li", None]],
                            columns=COLUMNS)
    measured = pd.DataFrame([["park-01", 2019, "built_up_km2", 3.2, pv.MEASURED, "survey 2019", "survey",
                              None]], columns=COLUMNS)
    shown = combine(recorded, measured).set_index("year")
    assert shown.loc[2019, "value"] == 3.2 and shown.loc[2019, "basis"] == pv.MEASURED
    assert shown.loc[2013, "value"] == 4.8 and len(shown) == 2


def test_a_complex_boundary_is_cut_in_tiles_and_measures_the_same(patches):
    fine = Point(113.60, 34.75).buffer(0.02, quad_segs=400)  # 1,601 vertices: 9 tiles
    assert len(ind._tiles(fine)) > 1
    result = ind.area_indicators(fine, geom_basis=pv.SOURCED, year=2019, patches=patches, supply=None,
                                 recorded={})
    construction = patches[patches["land_group"] == ind.CONSTRUCTION]
    expected = sum(geodesic_m2(shapely.intersection(g, fine)) for g in construction.geometry)
    assert by_key(result)["construction_m2"]["value"] == pytest.approx(expected, rel=1e-3)
