"""parks.checks: assignment to parks and zones, areas against pyproj.Geod, overlaps, quota, verdicts."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures_files import rect_m
from pyproj import Geod

from core.errors import UserError
from parks.checks import (
    FAIL,
    PASS,
    REVIEW,
    LedgerState,
    StraddleError,
    check_parcels,
    parcel_labels,
    parcel_summary,
    quota_areas,
    reasons,
)
from parks.footprints import circle_footprint

GEOD = Geod(ellps="GRS80")
LON, LAT = 113.70, 34.70  # GK zone 38, central meridian 114°E


def geod_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def areas_frame(*specs) -> gpd.GeoDataFrame:
    """(area_id, kind, lon, lat, km², geom_basis) → the frame :func:`quota_areas` returns."""
    rows = [{"area_id": a, "kind": k, "name_zh": f"{a}区", "name_en": f"area {a}", "geom_basis": b}
            for a, k, _, _, _, b in specs]
    geoms = [circle_footprint(lon, lat, km2) for _, _, lon, lat, km2, _ in specs]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4490)


def ledger(quotas: dict | None = None, allocations=(), year=2013, committed=None) -> LedgerState:
    """Quotas in ha per area (None: no quota), and allocation geometries (all 'reserved')."""
    quotas = quotas or {}
    frame = pd.DataFrame({
        "quota_m2": [np.nan if v is None else v * 10_000 for v in quotas.values()],
        "basis": ["none" if v is None else "user" for v in quotas.values()],
        "committed_m2": [(committed or {}).get(k, 0.0) for k in quotas]},
        index=pd.Index(list(quotas), dtype=object))
    allocs = gpd.GeoDataFrame({"alloc_id": list(range(1, len(allocations) + 1)),
                               "area_id": ["P"] * len(allocations), "status": ["reserved"] * len(allocations),
                               "label": ["old"] * len(allocations)},
                              geometry=list(allocations), crs=4490)
    return LedgerState(year, frame, allocs)


def parcels(*geoms, names=None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": names or [f"DK{i + 1}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs=4490)


# An official park (red line imported by staff) inside a schematic zone, and a schematic park.
OFFICIAL = ("P", "park", LON, LAT, 4.0, "user")
ZONE = ("Z", "zone", LON, LAT, 30.0, "schematic")
SCHEMATIC = ("S", "park", 112.45, 34.62, 4.0, "schematic")


def test_areas_match_independent_geod_and_gk_figures():
    geoms = [rect_m(LON, LAT, 300, 200, dx_m=-150 + i * 10, dy_m=-100 - i * 10) for i in range(3)]
    geoms.append(shapely.MultiPolygon([rect_m(LON, LAT, 50, 40), rect_m(LON, LAT, 60, 30, dy_m=100)]))
    result = check_parcels(parcels(*geoms), areas_frame(OFFICIAL, ZONE), ledger({"P": 90}))
    rows = result.rows
    for geom, ours in zip(geoms, rows["area_m2"], strict=True):
        assert ours == pytest.approx(geod_m2(geom), rel=1e-4)
    # The rectangles were laid out in metres in GK zone 38 (EPSG:4547), so planar area is exact.
    np.testing.assert_allclose(rows["gk_area_m2"].iloc[:3], 60_000, rtol=1e-7)
    assert rows["gk_area_m2"].iloc[3] == pytest.approx(50 * 40 + 60 * 30, rel=1e-7)
    assert set(rows["gk_epsg"]) == {4547}
    s = parcel_summary(rows.iloc[0])
    assert s["area_ha"] == pytest.approx(s["area_m2"] / 10_000, abs=5e-5)  # survey precision
    assert s["area_mu"] == pytest.approx(s["area_m2"] * 15 / 10_000, abs=5e-3)
    assert s["gk_area_mu"] == pytest.approx(90.0, rel=1e-6)


def test_parcel_inside_official_park_is_compliant():
    result = check_parcels(parcels(rect_m(LON, LAT, 300, 200)), areas_frame(OFFICIAL, ZONE),
                           ledger({"P": 90}))
    row = result.rows.iloc[0]
    assert row["area_id"] == "P"
    assert row["verdict"] == PASS
    assert row["outside_m2"] == 0
    assert row["before_m2"] == pytest.approx(900_000)
    assert row["after_m2"] == pytest.approx(900_000 - row["area_m2"])
    assert result.verdict == PASS


def test_most_specific_area_applies_park_before_zone():
    in_park = rect_m(LON, LAT, 100, 100)
    in_zone_only = rect_m(LON, LAT, 100, 100, dx_m=2_000)  # park radius ≈ 1.13 km, zone ≈ 3.1 km
    result = check_parcels(parcels(in_park, in_zone_only), areas_frame(OFFICIAL, ZONE),
                           ledger({"P": 90, "Z": None}))
    rows = result.rows
    assert list(rows["area_id"]) == ["P", "Z"]
    assert list(rows["area_kind"]) == ["park", "zone"]
    assert rows["outside_m2"].iloc[0] == 0  # the part in the zone around the park is not "outside"
    zone_row = rows.iloc[1]
    assert zone_row["verdict"] == REVIEW
    texts = [zh for _, zh, _ in reasons(zone_row)]
    assert any("尚无用地指标" in t for t in texts)
    assert np.isnan(zone_row["before_m2"])


def test_parcel_straddling_two_parks_is_refused():
    east = ("E", "park", LON + 0.025, LAT, 4.0, "user")  # ≈ 2.3 km east: circles ~0.05 km apart
    long_parcel = rect_m(LON, LAT, 2_400, 100, dy_m=-50)
    with pytest.raises(StraddleError) as err:
        check_parcels(parcels(rect_m(LON, LAT, 50, 50), long_parcel), areas_frame(OFFICIAL, east), ledger())
    assert err.value.code == "straddles_parks"
    assert err.value.details["parcels"] == [2]
    assert "area P" in err.value.en and "area E" in err.value.en
    assert "拆分" in err.value.zh


def test_parcel_crossing_official_boundary_fails_with_the_outside_area():
    area = areas_frame(OFFICIAL)
    parcel = rect_m(LON, LAT, 2_000, 100)  # from the centre eastwards, well past the edge
    row = check_parcels(parcels(parcel), area, ledger({"P": 90})).rows.iloc[0]
    expected_outside = geod_m2(parcel.difference(area.geometry.iloc[0]))
    assert row["outside_m2"] == pytest.approx(expected_outside, rel=1e-4)
    assert row["verdict"] == FAIL
    assert any("范围外" in zh for _, zh, _ in reasons(row))


def test_schematic_boundary_never_gives_a_plain_pass():
    area = areas_frame(SCHEMATIC)
    inside = rect_m(112.45, 34.62, 100, 100)
    crossing = rect_m(112.45, 34.62, 2_000, 100, dy_m=200)
    rows = check_parcels(parcels(inside, crossing), area, ledger({"S": 90})).rows
    assert list(rows["verdict"]) == [REVIEW, REVIEW]
    assert any("示意" in zh for _, zh, _ in reasons(rows.iloc[0]))
    assert rows["outside_m2"].iloc[1] > 0


def test_parcel_in_no_area_fails():
    far = rect_m(114.5, 33.2, 100, 100)
    row = check_parcels(parcels(far), areas_frame(OFFICIAL), ledger({"P": 90})).rows.iloc[0]
    assert row["area_id"] is None
    assert row["verdict"] == FAIL
    assert row["outside_m2"] == pytest.approx(row["area_m2"])
    assert reasons(row)[0][0] == FAIL


def test_overlap_with_allocated_parcel_is_measured_and_fails():
    parcel = rect_m(LON, LAT, 200, 100)
    old = rect_m(LON, LAT, 200, 100, dx_m=100)  # the east half overlaps
    touching = rect_m(LON, LAT, 100, 100, dx_m=-100)  # shares the west edge only
    rows = check_parcels(parcels(parcel), areas_frame(OFFICIAL), ledger({"P": 90}, [old, touching])).rows
    row = rows.iloc[0]
    assert row["overlap_m2"] == pytest.approx(geod_m2(parcel.intersection(old)), rel=1e-4)
    assert row["overlap_ids"] == [1]
    assert row["verdict"] == FAIL


def test_parcels_of_one_upload_that_overlap_each_other_fail():
    a = rect_m(LON, LAT, 200, 100)
    b = rect_m(LON, LAT, 200, 100, dx_m=150)
    c = rect_m(LON, LAT, 100, 100, dx_m=-100)  # touches a only along an edge
    rows = check_parcels(parcels(a, b, c), areas_frame(OFFICIAL), ledger({"P": 90})).rows
    assert list(rows["verdict"]) == [FAIL, FAIL, PASS]
    assert rows["upload_overlaps"].iloc[0] == [2]
    assert rows["upload_overlaps"].iloc[2] is None


def test_running_quota_in_file_order():
    geoms = [rect_m(LON, LAT, 300, 200, dx_m=-600 + i * 400) for i in range(3)]  # 6 ha each
    state = ledger({"P": 15}, committed={"P": 20_000})
    rows = check_parcels(parcels(*geoms), areas_frame(OFFICIAL), state).rows
    ha = rows["area_m2"].to_numpy()
    assert rows["before_m2"].iloc[0] == pytest.approx(130_000)
    assert rows["before_m2"].iloc[1] == pytest.approx(130_000 - ha[0])
    assert rows["after_m2"].iloc[1] == pytest.approx(130_000 - ha[0] - ha[1])
    assert list(rows["verdict"]) == [PASS, PASS, FAIL]
    assert any("剩余指标不足" in zh for _, zh, _ in reasons(rows.iloc[2]))


def test_parcel_failing_on_extent_is_not_charged_to_the_running_quota():
    outside = rect_m(114.5, 33.2, 300, 200)
    inside = rect_m(LON, LAT, 300, 200)
    rows = check_parcels(parcels(outside, inside), areas_frame(OFFICIAL), ledger({"P": 7})).rows
    assert rows["before_m2"].iloc[1] == pytest.approx(70_000)
    assert rows["verdict"].iloc[1] == PASS


def test_declared_park_must_match():
    area = areas_frame(OFFICIAL, ("Q", "park", 114.3, 35.7, 4.0, "user"))
    rows = check_parcels(parcels(rect_m(LON, LAT, 100, 100)), area, ledger({"P": 90, "Q": 90}),
                         declared="Q").rows
    assert rows["verdict"].iloc[0] == FAIL
    assert any("申报" in zh for _, zh, _ in reasons(rows.iloc[0]))
    with pytest.raises(UserError) as err:
        check_parcels(parcels(rect_m(LON, LAT, 100, 100)), area, ledger(), declared="nope")
    assert err.value.code == "unknown_park"


def test_no_parcels_is_an_input_error():
    with pytest.raises(UserError) as err:
        check_parcels(parcels(), areas_frame(OFFICIAL), ledger())
    assert err.value.code == "no_polygons"


def test_derived_quota_is_noted_without_changing_the_verdict():
    state = ledger({"P": 90})
    state.quotas.loc["P", "basis"] = "derived"
    row = check_parcels(parcels(rect_m(LON, LAT, 100, 100)), areas_frame(OFFICIAL), state).rows.iloc[0]
    assert row["verdict"] == PASS
    assert [sev for sev, _, _ in reasons(row)] == ["info"]


def test_parcel_labels_from_attributes_or_numbered():
    gdf = parcels(rect_m(LON, LAT), rect_m(LON, LAT, dx_m=500), names=["一号地块", " "])
    assert parcel_labels(gdf) == ["一号地块", "地块 2"]
    bare = gpd.GeoDataFrame(geometry=[rect_m(LON, LAT)], crs=4490)
    assert parcel_labels(bare) == ["地块 1"]
    coded = gpd.GeoDataFrame({"DKBH": ["DK-7"]}, geometry=[rect_m(LON, LAT)], crs=4490)
    assert parcel_labels(coded) == ["DK-7"]


def test_quota_areas_from_the_shipped_layers(built_data):
    from parks.catalog import Catalog

    cat = Catalog(built_data)
    areas = quota_areas(cat.layer("parks"), cat.layer("zones"))
    assert set(areas["kind"]) == {"park", "zone"}
    assert areas.geometry.notna().all()
    assert "park-10" not in set(areas["area_id"])  # unlocated slots have no footprint
    assert set(areas["geom_basis"]) == {"schematic"}
    # Shipped candidate parks lie inside the zones of the same place: the park is chosen.
    park08 = areas.set_index("area_id").geometry["park-08"]
    row = check_parcels(parcels(rect_m(park08.centroid.x, park08.centroid.y, 100, 100)), areas,
                        ledger({"park-08": 93.75})).rows.iloc[0]
    assert row["area_id"] == "park-08"
