"""The bullet chart of target against actual: one row per area with figures, the same numbers
as the map and the table, the province on a scale of its own, valid SVG."""

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from layers.web.target_chart import BAR_W, target_chart
from layers.web.views import STATUS_COLOURS
from parks.actuals import COLUMNS, metrics
from parks.catalog import Catalog
from parks.monitoring import compare

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalog(built_data):
    return Catalog(built_data)


def chart(catalog, level, rows, lang="zh", metric="built_up_km2"):
    recorded = pd.DataFrame([[a, 2013, metric, v, "sourced", "s", "p", None] for a, v in rows],
                            columns=COLUMNS)
    c = compare(metrics()[metric], 2013, level, parks=catalog.layer("parks"), zones=catalog.layer("zones"),
                clusters=catalog.layer("clusters"), cities=catalog.boundaries("city", 0), actuals=recorded)
    return ET.fromstring(target_chart(c, lang))


def rows_of(svg) -> dict[str, ET.Element]:
    return {g.get("data-id"): g for g in svg.iter(f"{SVG}g") if g.get("class") == "chart-row"}


def test_rows_bars_and_numbers_match_the_comparison(catalog):
    svg = chart(catalog, "park", [("park-04", 5.2), ("park-06", 3.0), ("province", 61.5)])
    rows = rows_of(svg)
    assert len(rows) == 17  # 16 slots with a target, then the province
    p4 = rows["park-04"]
    assert p4.get("data-actual") == "5.2" and float(p4.get("data-target")) == pytest.approx(65 / 16)
    texts = ["".join(t.itertext()) for t in p4.iter(f"{SVG}text")]
    assert "5.2 / 4.06 (+1.14)" in texts
    target, actual = (r for r in p4.iter(f"{SVG}rect"))
    assert float(actual.get("width")) == pytest.approx(BAR_W)  # the largest value fills the bar
    assert float(target.get("width")) == pytest.approx(BAR_W * (65 / 16) / 5.2, abs=0.1)
    assert actual.get("fill") == STATUS_COLOURS["met"]
    assert next(r for r in rows["park-06"].iter(f"{SVG}rect") if r.get("class") == "actual").get("fill") \
        == STATUS_COLOURS["below"]
    assert "61.5 / 65 (−3.5)" in ["".join(t.itertext()) for t in rows["province"].iter(f"{SVG}text")]
    assert not [r for r in rows["park-01"].iter(f"{SVG}rect") if r.get("class") == "actual"]


def test_levels_without_figures_say_so_in_the_pages_language(catalog):
    svg = chart(catalog, "zone", [], lang="en")
    assert "No target or actual at this level yet." in "".join(svg.itertext())
    assert "Built-up area 2013: actual / target (km²)" in svg.get("aria-label")
    firms = chart(catalog, "cluster", [("clu-09", 40)], lang="en", metric="enterprises")
    assert set(rows_of(firms)) == {"clu-09"}  # no target, no province figure: one row


def test_long_names_are_cut_to_the_label_column_and_kept_whole_in_the_tooltip(catalog):
    for lang, cut, whole in (("en", "Zhengzhou Airport…", "Zhengzhou Airport Zone (smart terminals)"),
                             ("zh", "郑州航空港区（智…", "郑州航空港区（智能终端）")):
        row = rows_of(chart(catalog, "park", [], lang=lang))["park-01"]
        label = next(row.iter(f"{SVG}text"))
        title = label.find(f"{SVG}title")
        assert title.text == whole and title.tail == cut  # <text><title>whole</title>cut</text>
