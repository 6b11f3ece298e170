"""The default layers: every feature carries its basis, and derived figures add up."""

import geopandas as gpd
import pytest

from parks.build import build_layers
from parks.catalog import Catalog
from parks.provenance import BASES, PRECISIONS
from parks.sources import plan_target

THEMATIC = ("parks", "zones", "foxconn", "projects", "clusters")


@pytest.fixture(scope="module")
def layers():
    return build_layers()


@pytest.mark.parametrize("name", THEMATIC)
def test_every_feature_has_basis_precision_and_source(name, built_data):
    gdf = Catalog(built_data).layer(name)
    assert len(gdf)
    assert gdf["geom_basis"].isin([*BASES, "none"]).all()
    assert gdf["loc_prec"].isin(PRECISIONS).all()
    drawn = gdf[gdf.geometry.notna()]
    assert (drawn["geom_basis"] != "none").all()
    located = gdf[gdf["src_id"] > 0]
    assert (located["source"].str.len() > 0).all()
    assert (located["evidence"].str.len() > 0).all()
    assert (gdf.loc[gdf.geometry.isna(), "loc_prec"] == "unlocated").all() or name in (
        "parks", "zones")


def test_parks_are_16_slots_with_9_candidates_never_16_parks(layers):
    parks = layers["parks"]
    slots = parks[parks["slot"] > 0]
    assert len(slots) == 16
    assert (slots["kind"] == "candidate").sum() == 9
    assert (slots["kind"] == "unidentified").sum() == 7
    assert (parks["kind"] == "second_batch").sum() == 5
    candidates = slots[slots["kind"] == "candidate"]
    assert candidates["status_zh"].str.contains("候选").all()
    assert candidates["status_en"].str.contains("candidate").all()
    # located candidates are schematic footprints, unlocated ones listed but not drawn
    assert (candidates[candidates.geometry.notna()]["geom_basis"] == "schematic").all()
    assert candidates.geometry.isna().sum() == 1


def test_slot_counts_are_the_plans_figures(layers):
    from parks.sources import PARK_SLOTS, SECOND_BATCH

    assert PARK_SLOTS == plan_target("parks_count")["value_2013"] == 16
    assert SECOND_BATCH == plan_target("second_batch_parks")["value_2013"] == 5
    assert plan_target("parks_count")["section"] == "§三(五)1"
    assert layers["parks"]["id"].tolist()[PARK_SLOTS:] == [f"park-b2-{n}" for n in range(1, SECOND_BATCH + 1)]


@pytest.mark.parametrize("column,key,year", [
    ("a12_km2", "parks_built_area", "value_2012"), ("a13_km2", "parks_built_area", "value_2013"),
    ("inv12_yi", "parks_investment", "value_2012"), ("inv13_yi", "parks_investment", "value_2013"),
    ("rev12_yi", "parks_revenue", "value_2012"), ("rev13_yi", "parks_revenue", "value_2013"),
])
def test_derived_park_figures_add_up_to_plan_totals(layers, column, key, year):
    parks = layers["parks"]
    slots = parks[parks["slot"] > 0]
    assert (slots["fig_basis"] == "derived").all()
    assert slots[column].sum() == pytest.approx(plan_target(key)[year])


def test_zones_include_the_five_national_zones_of_2012(layers):
    zones = layers["zones"]
    national = zones[zones["level"] == "national"]
    assert sorted(national["city"]) == sorted(["郑州市", "洛阳市", "安阳市", "南阳市", "新乡市"])
    assert (zones["approved"].str.len() > 0).all()


def test_foxconn_sites_cover_every_city_the_plan_names(layers):
    cities = set(layers["foxconn"]["city"])
    for city in ("郑州市", "济源市", "南阳市", "周口市", "鹤壁市", "洛阳市", "新乡市", "开封市"):
        assert city in cities


def test_projects_have_the_plan_sectors(layers):
    projects = layers["projects"]
    assert set(projects["sector_zh"]) == {"生物", "新材料", "新能源", "新能源汽车"}
    assert (projects.geometry.isna() == (projects["loc_prec"] == "unlocated")).all()


def test_boundaries_cover_henan(layers):
    assert len(layers["boundary_province"]) == 1
    assert len(layers["boundary_city"]) == 18
    assert len(layers["boundary_county"]) == 157


def test_written_shapefiles_have_prj_and_utf8_cpg(built_data):
    for shp in (built_data / "shapefiles").glob("*.shp"):
        assert shp.with_suffix(".prj").exists()
        assert shp.with_suffix(".cpg").read_text().strip().upper() in ("UTF-8", "UTF8")


def test_build_is_reproducible(layers, built_data):
    for name in THEMATIC:
        written = gpd.read_file(built_data / "shapefiles" / f"{name}.shp")
        fresh = layers[name]
        assert list(written["id"]) == list(fresh["id"])
        assert list(written["name_zh"]) == list(fresh["name_zh"])
        drawn = fresh.geometry.notna().to_numpy()
        assert (written.geometry.notna().to_numpy() == drawn).all()
        assert written.geometry[drawn].geom_equals_exact(
            fresh.geometry[drawn].set_crs(written.crs, allow_override=True),
            tolerance=1e-9).all()
