"""Measured indicators through the API, the CLI and the pages, from a survey stored in the test's
data folder."""

from __future__ import annotations

import json
import re

import pytest
import shapely
from pyproj import Geod

from tests.survey_fixtures import grid_patches, store_survey

GRS80 = Geod(ellps="GRS80")


def _park(app, park_id):
    from web.context import catalog

    with app.app_context():
        parks = catalog().layer("parks")
        return parks.loc[parks["id"] == park_id].iloc[0]


@pytest.fixture
def surveyed(app, data_dir):
    """A 2019 survey over park-01 (mostly built) and park-02 (little built), nothing elsewhere."""
    import pandas as pd

    frames = [grid_patches(_park(app, "park-01").geometry, built_share=0.7, seed=1),
              grid_patches(_park(app, "park-02").geometry, built_share=0.2, seed=2)]
    gdf = pd.concat(frames, ignore_index=True)
    store_survey(data_dir, 2019, gdf.set_crs(4490, allow_override=True))
    return gdf


def _value(body, key):
    return next(i for i in body["indicators"] if i["key"] == key)


def test_api_gives_a_parks_indicators_with_formula_inputs_date_and_basis(app, client, surveyed):
    resp = client.get("/api/indicators?area=park-01&year=2019")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["area"]["id"] == "park-01" and body["year"] == 2019
    area = _park(app, "park-01").geometry
    built = surveyed[surveyed["land_group"] == "建设用地"]
    expected = sum(abs(GRS80.geometry_area_perimeter(shapely.intersection(g, area))[0])
                   for g in built.geometry)
    c = _value(body, "construction_m2")
    assert c["value"] == pytest.approx(expected, rel=1e-3)
    assert c["basis"] == "measured" and c["data_date"] == "2019-12-31" and c["formula"]
    rate = _value(body, "industrial_land_rate")
    assert 30 < rate["value"] < 70 and rate["inputs"][1]["key"] == "construction_m2"
    dev = _value(body, "land_development_rate")
    assert dev["value"] is None and dev["reason_zh"] and dev["reason_en"]
    # names work as ids do, and the default year is the latest
    by_name = client.get("/api/indicators", query_string={"area": body["area"]["name_zh"]}).get_json()
    assert _value(by_name, "construction_m2")["value"] == c["value"]


def test_api_without_area_lists_every_park_zone_and_city(client, surveyed):
    body = client.get("/api/indicators").get_json()
    kinds = {a["area"]["kind"] for a in body["areas"]}
    assert kinds == {"park", "zone", "city"} and body["year"] == 2019
    one, two = ({a["area"]["id"]: a for a in body["areas"]}[p] for p in ("park-01", "park-02"))
    assert _value(one, "built_up_km2")["value"] > 2 * _value(two, "built_up_km2")["value"] > 0


@pytest.mark.parametrize("query, code, zh, en", [
    ({"area": "park-99"}, "bad_area", "没有区域", "There is no area 'park-99'. Indicators"),
    ({"area": "clu-01"}, "bad_area", "只对园区、高新区和市", "parks, zones and cities"),
    ({"area": "province"}, "bad_area", "只对园区、高新区和市", "parks, zones and cities"),
    ({"area": "park-01", "year": "2018"}, "bad_year", "调查年份", "survey year"),
    ({"year": "abc"}, "bad_year", "调查年份", "survey year"),
])
def test_api_refuses_unknown_areas_and_years_in_both_languages(client, surveyed, query, code, zh, en):
    resp = client.get("/api/indicators", query_string=query)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"] == code
    assert zh in str(body) and en in str(body)


def test_without_a_survey_the_api_says_so(client):
    resp = client.get("/api/indicators?area=park-01")
    assert resp.status_code == 404 and resp.get_json()["error"] == "no_survey"


def test_cli_prints_indicators_of_one_area(app, runner, surveyed):
    result = runner.invoke(args=["survey", "indicators", "--area", "park-01", "--year", "2019"])
    assert result.exit_code == 0, result.output
    assert "建设用地面积 Construction land" in result.output and "measured" in result.output
    bad = runner.invoke(args=["survey", "indicators", "--area", "park-99"])
    assert bad.exit_code == 2 and "There is no area" in bad.output


def test_park_page_shows_measured_values_with_basis_and_survey_year(client, surveyed):
    page = client.get("/parks/park-01").get_data(as_text=True)
    line = page[page.index('id="measured-built-up"'):]
    assert "2019" in line[:line.index("</p>")] and "basis-measured" in line[:line.index("</p>")]
    table = page[page.index('id="indicators"'):]
    table = table[:table.index("</table>")]
    assert "实测" in table and "2019" in table and "建设用地面积" in table
    assert "土地开发率" in table and "已达到供地条件" in table  # null with its reason
    body = client.get("/api/indicators?area=park-01").get_json()
    km2 = _value(body, "built_up_km2")["value"]
    assert f"{km2:.4f}".rstrip("0") in table
    chart = page[page.index('class="land-use-chart"'):]
    chart = chart[:chart.index("</svg>")]
    drawn = float(re.search(r'data-group="建设用地" data-m2="([\d.]+)"', chart).group(1))
    assert drawn == pytest.approx(_value(body, "construction_m2")["value"])  # the table's figure
    english = client.get("/parks/park-01?lang=en").get_data(as_text=True)
    assert "measured" in english and "Construction land" in english


def test_park_page_without_a_survey_keeps_the_derived_figures(client):
    page = client.get("/parks/park-01").get_data(as_text=True)
    assert 'id="indicators"' not in page and "推算" in page


def test_built_up_view_differs_per_park_with_basis_measured(client, surveyed):
    page = client.get("/views/built-up?level=park").get_data(as_text=True)  # the survey's year by default
    assert '<strong>2019</strong>' in page
    page = page[page.index('id="monitor-table"'):]
    page = page[:page.index("</table>")]
    rows = {m.group(1): m.group(0) for m in re.finditer(
        r'<tr[^>]*data-id="(park-0[12])".*?</tr>', page, re.S)}
    assert set(rows) == {"park-01", "park-02"}
    assert all("实测" in r for r in rows.values())
    values = {k: re.findall(r'class="num"[^>]*>\s*([\d.,]+)', r) for k, r in rows.items()}
    assert values["park-01"] != values["park-02"]


def test_overview_popups_show_the_measured_built_up_area_with_its_year(client, surveyed):
    def escaped(text):  # the popups travel in the page as JSON
        return json.dumps(text)[1:-1]

    page = client.get("/").get_data(as_text=True)
    assert escaped("建成面积（2019年实测）") in page and "basis-measured" in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert escaped("Built-up area (2019, measured)") in english


def test_a_survey_imported_through_the_cli_gives_the_park_page_its_measured_figures(app, runner, client,
                                                                                      tmp_path):
    """As a land officer would: import a DLTB GeoPackage, then open the park's page."""
    patches = grid_patches(_park(app, "park-02").geometry, built_share=0.5, seed=5)
    path = tmp_path / "dltb.gpkg"
    patches[["BSM", "DLBM", "DLMC", "TBMJ", "KCMJ", "TBDLMJ", "SJNF", "geometry"]].to_file(
        path, layer="DLTB", engine="pyogrio")
    result = runner.invoke(args=["survey", "import", str(path)])
    assert result.exit_code == 0, result.output
    page = client.get("/parks/park-02").get_data(as_text=True)
    table = page[page.index('id="indicators"'):]
    table = table[:table.index("</table>")]
    assert 'data-year="2019"' in table and "basis-measured" in table
    built = client.get("/api/indicators?area=park-02").get_json()
    assert _value(built, "construction_m2")["value"] > 0


def test_an_unlocated_park_says_why_it_has_no_measured_figures(client, surveyed):
    page = client.get("/parks/park-10").get_data(as_text=True)
    assert 'id="indicators-unlocated"' in page and "未定位" in page and 'id="indicators"' not in page
